/* unit_tmp.c: see unit_tmp.h. */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit_tmp.h"

void unit_tmp_make(struct unit_tmp *t, const char *name)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/articled-%.24s-XXXXXX", name);
    cr_assert_not_null(mkdtemp(t->dir), "cannot make a folder for %s", name);
    snprintf(t->path, sizeof t->path, "%s/%.24s.db", t->dir, name);
}

static int unit_tmp_remove_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void unit_tmp_remove(struct unit_tmp *t)
{
    if (t->dir[0] == '\0')
        return;
    /* depth first, never following a link out of the folder */
    cr_expect_eq(nftw(t->dir, unit_tmp_remove_one, 16, FTW_DEPTH | FTW_PHYS), 0,
                 "cannot remove %s", t->dir);
    t->dir[0] = '\0';
}
