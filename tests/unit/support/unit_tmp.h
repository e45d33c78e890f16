/* unit_tmp.h: a temporary folder for one unit test, with a database path in
 * it, made by the suite's .init and removed (with all it holds) by its .fini. */
#ifndef ARTICLED_UNIT_TMP_H
#define ARTICLED_UNIT_TMP_H

struct unit_tmp {
    char dir[64];   /* /tmp/articled-<name>-XXXXXX */
    char path[128]; /* <dir>/<name>.db (not created) */
};

/* Makes t's folder; fails the test when it cannot. */
void unit_tmp_make(struct unit_tmp *t, const char *name);

/* Removes t's folder and everything in it (no shell); expects success. */
void unit_tmp_remove(struct unit_tmp *t);

#endif
