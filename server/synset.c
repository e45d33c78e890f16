/* synset.c: see synset.h. */
#include "server/synset.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* One loaded file, shared by the views that hold it. */
struct synset_loaded {
    struct synonyms *syn;
    unsigned generation;
    time_t loaded_at;
    atomic_uint refs;
};

struct synset {
    pthread_mutex_t mu;
    char path[4096];
    struct synset_loaded *cur; /* under mu; NULL when no file */
    unsigned generation;       /* under mu */
};

static void synset_put(struct synset_loaded *l)
{
    if (l != NULL && atomic_fetch_sub(&l->refs, 1) == 1) {
        synonyms_free(l->syn);
        free(l);
    }
}

int synset_reload(struct synset *s, struct error *err)
{
    struct synset_loaded *l, *old;

    if (s->path[0] == '\0')
        return 0;
    if ((l = calloc(1, sizeof *l)) == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    if (synonyms_load(s->path, &l->syn, err) != 0) {
        free(l);
        return -1;
    }
    l->loaded_at = time(NULL);
    atomic_init(&l->refs, 1); /* the set's own reference */
    pthread_mutex_lock(&s->mu);
    l->generation = ++s->generation;
    old = s->cur;
    s->cur = l;
    pthread_mutex_unlock(&s->mu);
    synset_put(old);
    return 0;
}

struct synset *synset_new(const char *path, struct error *err)
{
    struct synset *s = calloc(1, sizeof *s);
    if (s == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    snprintf(s->path, sizeof s->path, "%s", path ? path : "");
    if (synset_reload(s, err) != 0) {
        synset_free(s);
        return NULL;
    }
    return s;
}

const char *synset_path(const struct synset *s)
{
    return s->path;
}

void synset_acquire(struct synset *s, struct synset_view *v)
{
    struct synset_loaded *l;
    pthread_mutex_lock(&s->mu);
    l = s->cur;
    if (l != NULL)
        atomic_fetch_add(&l->refs, 1);
    pthread_mutex_unlock(&s->mu);
    v->syn = l ? l->syn : NULL;
    v->generation = l ? l->generation : 0;
    v->loaded_at = l ? l->loaded_at : 0;
    v->hold = l;
}

void synset_release(struct synset_view *v)
{
    synset_put(v->hold);
    v->hold = NULL;
    v->syn = NULL;
}

void synset_free(struct synset *s)
{
    if (s == NULL)
        return;
    synset_put(s->cur);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
