/* store_filter.c: the store's near-duplicate filter (fpfilter.h) over the
 * fingerprints of fp_index: built at open, added to by the writer, and
 * rebuilt larger on a thread of its own when it fills up.
 *
 * A rebuild reads every stored index set (about 5 s at a million articles).
 * Done inside the writer's commit, it stalled every write meanwhile, and the
 * analysis of the requests in flight piled up behind it (peak RSS +140 MB at
 * 700,000 articles); the old filter and the new one were also held together
 * (36 + 54 MB). Now the old filter is dropped when the rebuild starts, after a
 * commit: look-ups go without it meanwhile (each asks the index for at most
 * STORE_NEAR_PROBES tokens, as with no filter), the writer goes on and keeps
 * the fingerprints it adds in `pending`, and the builder reads a snapshot
 * taken after that commit, adds `pending` and installs the new filter. Every
 * fingerprint is thus in the snapshot or in `pending` (or both). */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define STORE_FILTER_DEFAULT_HEADROOM 1000000

/* Adds every stored index set read through db to f (and records the sizes in
 * sizes, if not NULL). Stops early, SQLITE_INTERRUPT, once *stop is set.
 * SQLite rc. */
static int store_filter_fill(sqlite3 *db, struct fpfilter *f, struct fpsizes *sizes,
                             const atomic_int *stop)
{
    sqlite3_stmt *s = NULL;
    long rows = 0;
    int rc = sqlite3_prepare_v2(db, "SELECT idx, seq, n FROM article_fps", -1, &s, NULL);

    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_blob(s, 0);
        int bytes = sqlite3_column_bytes(s, 0);
        rc = SQLITE_OK;
        if (stop != NULL && (++rows & 4095) == 0 && atomic_load(stop))
            rc = SQLITE_INTERRUPT;
        /* a seq out of the table's range is read from article_fps instead */
        if (sizes != NULL)
            (void)fpsizes_set(sizes, sqlite3_column_int64(s, 1),
                              (size_t)sqlite3_column_int64(s, 2), (size_t)bytes / 8);
        for (int i = 0; i + 8 <= bytes; i += 8) {
            uint64_t v = 0;
            for (int b = 0; b < 8; b++)
                v |= (uint64_t)p[i + b] << (8 * b);
            fpfilter_add(f, (int64_t)v);
        }
    }
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    sqlite3_finalize(s);
    return rc;
}

int store_filter_open(struct store *st, struct error *err)
{
    sqlite3_stmt *s = NULL;
    sqlite3_int64 keys = 0;
    int rc;

    pthread_mutex_init(&st->filter_mu, NULL);
    st->filter_mu_ready = 1;
    if (!st->opts.fingerprints)
        return 0;
    if (sqlite3_prepare_v2(st->wdb, "SELECT coalesce(sum(length(idx)), 0) / 8 FROM article_fps",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        keys = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    /* room for what is stored, a quarter more and the headroom, growing by
     * half when it fills */
    st->filter_keys = (size_t)keys * 5 / 4 +
                      (st->opts.filter_headroom ? st->opts.filter_headroom
                                                : STORE_FILTER_DEFAULT_HEADROOM);
    st->sizes = fpsizes_new();
    st->filter = fpfilter_new(st->filter_keys);
    rc = st->sizes == NULL || st->filter == NULL
             ? SQLITE_NOMEM
             : store_filter_fill(st->wdb, st->filter, st->sizes, NULL);
    if (rc != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "cannot load the fingerprint filter: %s", sqlite3_errstr(rc));
        return -1;
    }
    return 0;
}

/* Appends hashes to pending (filter_mu held). 0, or -1 out of memory. */
static int store_filter_pend(struct store *st, const struct fingerprint_set *hashes)
{
    if (st->npending + hashes->n > st->pending_cap) {
        size_t cap = st->pending_cap ? st->pending_cap : 65536;
        int64_t *bigger;
        while (cap < st->npending + hashes->n)
            cap *= 2;
        bigger = realloc(st->pending, cap * sizeof *bigger);
        if (bigger == NULL)
            return -1;
        st->pending = bigger;
        st->pending_cap = cap;
    }
    memcpy(st->pending + st->npending, hashes->hashes, hashes->n * sizeof *hashes->hashes);
    st->npending += hashes->n;
    return 0;
}

int store_filter_add(struct store *st, const struct fingerprint_set *hashes)
{
    int rc = SQLITE_OK;

    if (st->filter_keys == 0)
        return SQLITE_OK;
    pthread_mutex_lock(&st->filter_mu);
    if (st->filter_building) {
        if (store_filter_pend(st, hashes) != 0)
            rc = SQLITE_NOMEM;
    } else if (st->filter != NULL) {
        for (size_t i = 0; i < hashes->n; i++)
            fpfilter_add(st->filter, hashes->hashes[i]);
        if (fpfilter_count(st->filter) > fpfilter_capacity(st->filter))
            st->filter_grow = 1; /* started after the commit */
    }
    pthread_mutex_unlock(&st->filter_mu);
    return rc;
}

static void *store_filter_builder(void *arg)
{
    struct store *st = arg;
    struct fpfilter *f = fpfilter_new(st->filter_keys);
    sqlite3 *db = NULL;
    struct error err = {0};
    int rc = f == NULL ? SQLITE_NOMEM : SQLITE_OK;

    pthread_setname_np(pthread_self(), "articled-filter"); /* for top -H, perf */
    if (rc == SQLITE_OK && store_conn_open(st->path, 0, &st->opts, &db, &err) != 0)
        rc = SQLITE_CANTOPEN;
    /* one snapshot, taken after the commit that started the rebuild (its
     * first read takes it) */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc == SQLITE_OK && st->opts.filter_build_hook != NULL)
        st->opts.filter_build_hook(st->opts.filter_build_arg);
    if (rc == SQLITE_OK)
        rc = store_filter_fill(db, f, NULL, &st->filter_stop);
    if (db != NULL) {
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close_v2(db);
    }
    pthread_mutex_lock(&st->filter_mu);
    if (rc == SQLITE_OK) {
        for (size_t i = 0; i < st->npending; i++)
            fpfilter_add(f, st->pending[i]);
        pthread_rwlock_wrlock(&st->filter_lock);
        st->filter = f;
        pthread_rwlock_unlock(&st->filter_lock);
        f = NULL;
        atomic_fetch_add(&st->filter_rebuilds, 1);
    } else {
        st->filter_grow = 1; /* no filter: the next commit tries again */
    }
    free(st->pending);
    st->pending = NULL;
    st->npending = st->pending_cap = 0;
    st->filter_building = 0;
    pthread_mutex_unlock(&st->filter_mu);
    fpfilter_free(f);
    return NULL;
}

void store_filter_after_commit(struct store *st)
{
    struct fpfilter *old;
    int start;

    if (st->filter_keys == 0)
        return;
    pthread_mutex_lock(&st->filter_mu); /* the builder sets both */
    start = st->filter_grow && !st->filter_building;
    pthread_mutex_unlock(&st->filter_mu);
    if (!start)
        return;
    if (st->builder_started) {
        pthread_join(st->builder, NULL); /* the last one, finished */
        st->builder_started = 0;
    }
    pthread_mutex_lock(&st->filter_mu);
    old = st->filter;
    if (old != NULL)
        st->filter_keys = fpfilter_count(old) * 3 / 2;
    pthread_rwlock_wrlock(&st->filter_lock);
    st->filter = NULL;
    pthread_rwlock_unlock(&st->filter_lock);
    st->filter_grow = 0;
    st->filter_building = 1;
    pthread_mutex_unlock(&st->filter_mu);
    fpfilter_free(old);
    if (pthread_create(&st->builder, NULL, store_filter_builder, st) == 0) {
        st->builder_started = 1;
        return;
    }
    pthread_mutex_lock(&st->filter_mu); /* no thread: the next commit tries again */
    st->filter_building = 0;
    st->filter_grow = 1;
    st->npending = 0;
    pthread_mutex_unlock(&st->filter_mu);
}

void store_filter_close(struct store *st)
{
    atomic_store(&st->filter_stop, 1);
    if (st->builder_started) {
        pthread_join(st->builder, NULL);
        st->builder_started = 0;
    }
    fpfilter_free(st->filter);
    st->filter = NULL;
    free(st->pending);
    st->pending = NULL;
    if (st->filter_mu_ready)
        pthread_mutex_destroy(&st->filter_mu);
    st->filter_mu_ready = 0;
}

uint64_t store_filter_rebuilds(struct store *st)
{
    return atomic_load(&st->filter_rebuilds);
}
