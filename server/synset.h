/* synset.h: the search synonyms in force (analysis/synonyms.h), read from
 * --synonyms at start and again on SIGHUP. A reload swaps the set; requests
 * that hold the old one keep it until they let go (reference counted). */
#ifndef ARTICLED_SYNSET_H
#define ARTICLED_SYNSET_H

#include <time.h>

#include "analysis/error.h"
#include "analysis/synonyms.h"

struct synset;

/* What a request holds while it uses the synonyms. */
struct synset_view {
    const struct synonyms *syn; /* NULL: none */
    unsigned generation;        /* 0 before any file, then 1, 2, ... per load */
    time_t loaded_at;
    void *hold; /* for synset_release */
};

/* A set read from path ("" or NULL: no synonyms). NULL with err when the
 * file cannot be read or is refused (the service then does not start). */
struct synset *synset_new(const char *path, struct error *err);

/* Reads the file again. On failure the set in force stays, and err says why. */
int synset_reload(struct synset *s, struct error *err);

/* The path given at start ("" when none). */
const char *synset_path(const struct synset *s);

void synset_acquire(struct synset *s, struct synset_view *v);
void synset_release(struct synset_view *v);

/* Frees s; views still held stay valid until released. NULL-safe. */
void synset_free(struct synset *s);

#endif
