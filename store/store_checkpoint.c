/* store_checkpoint.c: WAL checkpoints on a thread of their own.
 *
 * SQLite's default checkpoints a WAL of 1,000 pages on the connection that
 * committed, inside its COMMIT: with single POSTs at concurrency 32 the
 * writer spent 28% of its time there (perf, 45,000 articles), copying pages
 * back into the database and syncing it while every writer waited. Here the
 * writer's commit hook only wakes this thread once the WAL holds
 * opts.wal_checkpoint_pages; it copies the pages with a PASSIVE checkpoint
 * on its own connection while the writer goes on. A page rewritten by many
 * commits is copied once per checkpoint, so a larger WAL also means less
 * copying. The WAL starts again from its beginning at the first write after
 * a checkpoint that copied all of it; under a load that never pauses, the
 * writer checkpoints in its own commit once the WAL reaches
 * STORE_WAL_INLINE_FACTOR times the threshold, which bounds the file. */
#include "store/store_int.h"

/* SQLite calls this after every commit on the writer's connection (writer
 * thread), with the WAL's size in pages. */
static int store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct store *st = arg;
    unsigned threshold = st->opts.wal_checkpoint_pages;

    /* a log smaller than at the last commit was restarted after a checkpoint */
    atomic_fetch_add(&st->wal_frames,
                     (uint64_t)(pages >= st->wal_last_pages ? pages - st->wal_last_pages : pages));
    st->wal_last_pages = pages;

    if ((unsigned)pages >= threshold * STORE_WAL_INLINE_FACTOR) {
        /* BUSY when the thread is copying: it will have finished by the
         * next commit or the one after */
        if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) ==
            SQLITE_OK)
            atomic_fetch_add(&st->ckpt_inline, 1);
        return SQLITE_OK;
    }
    if ((unsigned)pages >= threshold) {
        pthread_mutex_lock(&st->ckpt_mu);
        if (!st->ckpt_wanted) {
            st->ckpt_wanted = 1;
            pthread_cond_signal(&st->ckpt_cv);
        }
        pthread_mutex_unlock(&st->ckpt_mu);
    }
    return SQLITE_OK;
}

static void *store_checkpoint_main(void *arg)
{
    struct store *st = arg;

    pthread_setname_np(pthread_self(), "articled-ckpt"); /* for top -H, perf */
    pthread_mutex_lock(&st->ckpt_mu);
    for (;;) {
        while (!st->ckpt_wanted && !st->ckpt_stopping)
            pthread_cond_wait(&st->ckpt_cv, &st->ckpt_mu);
        if (st->ckpt_stopping)
            break;
        st->ckpt_wanted = 0;
        pthread_mutex_unlock(&st->ckpt_mu);
        /* BUSY (the writer checkpointing inline) or an I/O error: the next
         * commit past the threshold asks again */
        if (sqlite3_wal_checkpoint_v2(st->cdb, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) ==
            SQLITE_OK)
            atomic_fetch_add(&st->ckpt_background, 1);
        pthread_mutex_lock(&st->ckpt_mu);
    }
    pthread_mutex_unlock(&st->ckpt_mu);
    return NULL;
}

int store_checkpointer_start(struct store *st, struct error *err)
{
    if (st->opts.wal_checkpoint_pages == 0)
        st->opts.wal_checkpoint_pages = STORE_WAL_CHECKPOINT_PAGES;
    if (store_conn_open(st->path, 0, &st->opts, &st->cdb, err) != 0)
        return -1;
    if (pthread_create(&st->ckpt_thread, NULL, store_checkpoint_main, st) != 0) {
        error_set(err, ERR_INTERNAL, "cannot start the checkpoint thread");
        return -1;
    }
    st->ckpt_started = 1;
    /* replaces SQLite's own checkpoint-at-1,000-pages hook */
    sqlite3_wal_hook(st->wdb, store_wal_hook, st);
    return 0;
}

void store_checkpointer_stop(struct store *st)
{
    if (st->wdb != NULL)
        sqlite3_wal_hook(st->wdb, NULL, NULL);
    if (st->ckpt_started) {
        pthread_mutex_lock(&st->ckpt_mu);
        st->ckpt_stopping = 1;
        pthread_cond_signal(&st->ckpt_cv);
        pthread_mutex_unlock(&st->ckpt_mu);
        pthread_join(st->ckpt_thread, NULL);
        st->ckpt_started = 0;
    }
    sqlite3_close_v2(st->cdb);
    st->cdb = NULL;
}

void store_checkpoint_counts(struct store *st, uint64_t *background, uint64_t *inline_)
{
    *background = atomic_load(&st->ckpt_background);
    *inline_ = atomic_load(&st->ckpt_inline);
}
