/* store.c: opening the database, the group-committing writer thread and the
 * per-thread read connections (see store.h). Reads live in store_articles.c
 * and store_search.c (their SQL in store_stmts.c); what one write does lives
 * in store_write.c. */
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "store/schema.h"
#include "store/store_int.h"

static atomic_uint_fast64_t store_generation = 1;
/* This thread's reader and the store generation it belongs to; the pointer is
 * only followed when the generation matches a live store (a closed store's
 * generation is never reused). */
static __thread struct store_reader *tls_reader;

/* The calling thread's read budget (store_read_budget): a deadline on the
 * monotonic clock in ns (0: none), and whether a read has hit it. */
static __thread int64_t tls_deadline_ns;
static __thread int tls_budget_hit;

/* SQLite VM steps between two looks at the clock: a step is tens of ns,
 * so a statement past its deadline stops within a few microseconds. */
#define STORE_BUDGET_STEPS 1000

int64_t store_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* SQLite's progress handler on read connections: a nonzero return stops the
 * statement with SQLITE_INTERRUPT. */
static int store_budget_check(void *arg)
{
    (void)arg;
    if (tls_deadline_ns == 0 || store_now_ns() < tls_deadline_ns)
        return 0;
    tls_budget_hit = 1;
    return 1;
}

void store_read_budget(unsigned ms)
{
    tls_deadline_ns = ms == 0 ? 0 : store_now_ns() + (int64_t)ms * 1000000LL;
    tls_budget_hit = 0;
}

int store_read_budget_exceeded(void)
{
    return tls_budget_hit;
}
static __thread uint64_t tls_generation;

/* Applies the pragmas every connection needs. */
static int store_conn_setup(sqlite3 *db, int writer, const struct store_options *opts)
{
    char sql[384];
    snprintf(sql, sizeof sql,
             "PRAGMA busy_timeout=10000;"
             "PRAGMA synchronous=%s;"
             "PRAGMA cache_size=%d;"
             "PRAGMA temp_store=MEMORY;"
             "PRAGMA journal_size_limit=67108864;"
             "%s",
             opts->durability_full ? "FULL" : "NORMAL", writer ? -STORE_WRITER_CACHE_KB : -4000,
             /* a reader's view of the index's vocabulary (store_vocab.c),
              * made before query_only forbids even temp tables */
             writer ? ""
                    : "CREATE VIRTUAL TABLE temp.articled_vocab"
                      " USING fts5vocab(main, articles_fts, row);"
                      "PRAGMA query_only=1;");
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* "what path: SQLite's message[: the OS's reason]" into err. */
static void store_conn_error(struct error *err, const char *what, const char *path, sqlite3 *db,
                             int rc)
{
    int sys = db ? sqlite3_system_errno(db) : 0;
    error_set(err, ERR_INTERNAL, "%s %s: %s%s%s", what, path,
              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), sys ? ": " : "",
              sys ? strerror(sys) : "");
}

int store_conn_open(const char *path, int writer, const struct store_options *opts, sqlite3 **out,
                    struct error *err)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &db, flags, NULL);

    *out = NULL;
    if (rc != SQLITE_OK) {
        store_conn_error(err, "cannot open database", path, db, rc);
        goto fail;
    }
    sqlite3_extended_result_codes(db, 1);
    if (sqlite3_db_readonly(db, "main") == 1) {
        error_set(err, ERR_INTERNAL, "database %s is read-only", path);
        goto fail;
    }
    rc = store_conn_setup(db, writer, opts);
    if (rc != SQLITE_OK) {
        store_conn_error(err, "cannot use database", path, db, rc);
        goto fail;
    }
    rc = snippet_register(db);
    if (rc == SQLITE_OK)
        rc = rank_register(db);
    if (rc != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "cannot register the FTS5 functions: %s", sqlite3_errstr(rc));
        goto fail;
    }
    *out = db;
    return 0;
fail:
    sqlite3_close_v2(db);
    return -1;
}

/* ---- the writer thread ------------------------------------------------ */

/* Every op of the chain failed with code (those that had failed on their own
 * keep a conflict or not-found reason: that stands whatever the commit did). */
static void store_batch_fail_all(struct store_batch *b, enum error_code code, const char *msg)
{
    for (; b != NULL; b = b->next)
        for (size_t i = 0; i < b->nops; i++) {
            struct store_op *op = &b->ops[i];
            if (!op->failed || (op->err.code != ERR_CONFLICT && op->err.code != ERR_NOT_FOUND)) {
                op->failed = 1;
                op->created = 0;
                error_set(&op->err, code, "%s", msg);
            }
        }
}

/* Runs every op of the chain in one transaction, then signals each batch. */
static void store_commit_chain(struct store *st, struct store_batch *chain)
{
    struct store_batch *b, *next;
    int64_t next_seq = st->next_seq, last_change = st->last_change;
    int64_t t0 = store_now_ns(), t1;
    uint64_t nops = 0;
    int rc = sqlite3_exec(st->wdb, "BEGIN IMMEDIATE", NULL, NULL, NULL);

    if (rc == SQLITE_OK) {
        for (b = chain; b != NULL && rc == SQLITE_OK; b = b->next)
            for (size_t i = 0; i < b->nops && rc == SQLITE_OK; i++) {
                store_op_apply(st, &b->ops[i]);
                nops++;
                /* An I/O error or a full disk can make SQLite roll back the
                 * whole transaction: then nothing of the chain is written, and
                 * no later op may run (it would commit on its own). */
                if (sqlite3_get_autocommit(st->wdb))
                    rc =
                        b->ops[i].failed && b->ops[i].rc != SQLITE_OK ? b->ops[i].rc : SQLITE_ABORT;
            }
    }
    t1 = store_now_ns();
    if (rc == SQLITE_OK) {
        rc = store_entities_flush(st);
        if (rc == SQLITE_OK)
            rc = store_fts_flush(st);
        /* the stories the ops touched: one change number each, after theirs */
        if (rc == SQLITE_OK)
            rc = store_story_log_flush(st);
        if (rc == SQLITE_OK)
            rc = store_tombstones_prune(st, (int64_t)time(NULL));
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(st->wdb, "COMMIT", NULL, NULL, NULL);
        store_facets_committed(st, rc == SQLITE_OK);
        if (rc == SQLITE_OK) {
            store_entities_committed(st);
            int64_t delta = 0;
            for (b = chain; b != NULL; b = b->next)
                for (size_t i = 0; i < b->nops; i++)
                    if (!b->ops[i].failed)
                        delta += b->ops[i].kind == STORE_OP_DELETE ? -1 : b->ops[i].created;
            atomic_fetch_add(&st->narticles, delta);
            atomic_store(&st->committed_change, st->last_change);
            atomic_fetch_add(&st->version, 1); /* before anyone is told */
            if (st->on_commit != NULL)
                st->on_commit(st->on_commit_arg);
        }
    }
    if (rc != SQLITE_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "write transaction failed, nothing of it was written: %s",
                 sqlite3_errstr(rc));
        if (!sqlite3_get_autocommit(st->wdb))
            sqlite3_exec(st->wdb, "ROLLBACK", NULL, NULL, NULL);
        store_fts_drop(st, 0);
        store_entities_reset(st);
        st->nstory_touched = 0;
        store_facets_committed(st, 0);
        st->next_seq = next_seq;
        st->last_change = last_change;
        for (b = chain; b != NULL; b = b->next)
            for (size_t i = 0; i < b->nops; i++)
                b->ops[i].change_seq = 0;
        for (b = chain; b != NULL && st->sizes != NULL; b = b->next)
            for (size_t i = 0; i < b->nops; i++)
                if (b->ops[i].article.seq > 0)
                    fpsizes_clear(st->sizes, b->ops[i].article.seq);
        store_batch_fail_all(chain, store_error_code(STORE_IO_WRITE, rc, NULL), msg);
        /* ops marked created or replaced did not survive the rollback */
    }
    atomic_fetch_add(&st->writer_apply_ns, (uint64_t)(t1 - t0));
    atomic_fetch_add(&st->writer_commit_ns, (uint64_t)(store_now_ns() - t1));
    atomic_fetch_add(&st->writer_ops, nops);
    atomic_fetch_add(&st->writer_commits, 1);
    for (b = chain; b != NULL; b = next) {
        next = b->next;
        b->next = NULL;
        b->done(b, b->arg);
    }
    store_filter_after_commit(st);
}

static void *store_writer_main(void *arg)
{
    struct store *st = arg;

    pthread_setname_np(pthread_self(), "articled-writer"); /* for top -H, perf */
    for (;;) {
        struct store_batch *chain, *last;
        size_t nops;

        pthread_mutex_lock(&st->mu);
        while (st->head == NULL && !st->stopping)
            pthread_cond_wait(&st->cv, &st->mu);
        if (st->head == NULL) {
            pthread_mutex_unlock(&st->mu);
            break;
        }
        /* Take queued batches up to the group-commit bound (at least one). */
        chain = last = st->head;
        nops = chain->nops;
        while (last->next != NULL && nops + last->next->nops <= st->opts.group_commit_max) {
            last = last->next;
            nops += last->nops;
        }
        st->head = last->next;
        if (st->head == NULL)
            st->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&st->mu);

        store_commit_chain(st, chain);
    }
    return NULL;
}

int store_submit(struct store *st, struct store_batch *batch, struct error *err)
{
    int rc = 0;

    batch->next = NULL;
    pthread_mutex_lock(&st->mu);
    if (st->stopping) {
        error_set(err, ERR_UNAVAILABLE, "the service is shutting down");
        rc = -1;
    } else {
        if (st->tail != NULL)
            st->tail->next = batch;
        else
            st->head = batch;
        st->tail = batch;
        pthread_cond_signal(&st->cv);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

struct store_waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
};

static void store_waiter_done(struct store_batch *batch, void *arg)
{
    struct store_waiter *w = arg;
    (void)batch;
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int store_write(struct store *st, struct store_batch *batch, struct error *err)
{
    struct store_waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

    batch->done = store_waiter_done;
    batch->arg = &w;
    if (store_submit(st, batch, err) != 0)
        return -1;
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    return 0;
}

/* ---- readers ------------------------------------------------------------ */

struct store_reader *store_reader_get(struct store *st, struct error *err)
{
    struct store_reader *r;

    if (tls_reader != NULL && tls_generation == st->generation)
        return tls_reader;
    r = calloc(1, sizeof *r);
    if (r == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    if (store_conn_open(st->path, 0, &st->opts, &r->db, err) != 0) {
        free(r);
        return NULL;
    }
    sqlite3_progress_handler(r->db, STORE_BUDGET_STEPS, store_budget_check, NULL);
    r->generation = st->generation;
    pthread_mutex_lock(&st->readers_mu);
    r->next = st->readers;
    st->readers = r;
    pthread_mutex_unlock(&st->readers_mu);
    tls_reader = r;
    tls_generation = st->generation;
    return r;
}

sqlite3_stmt *store_reader_stmt(struct store_reader *r, enum store_rstmt which)
{
    if (r->stmts[which] == NULL &&
        sqlite3_prepare_v3(r->db, store_rstmts[which].sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &r->stmts[which], NULL) != SQLITE_OK)
        return NULL;
    return r->stmts[which];
}

int store_read_begin(struct store_reader *r)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_BEGIN);
    int rc = s ? sqlite3_step(s) : sqlite3_errcode(r->db);
    if (s)
        sqlite3_reset(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void store_read_end(struct store_reader *r)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_COMMIT);
    if (s) {
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    /* a read transaction left open would hold back every checkpoint */
    if (!sqlite3_get_autocommit(r->db))
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *store_writer_stmt(struct store *st, int which, const char *sql)
{
    if (st->wstmts[which] == NULL && sqlite3_prepare_v3(st->wdb, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                                        &st->wstmts[which], NULL) != SQLITE_OK)
        return NULL;
    return st->wstmts[which];
}

static void store_reader_close(struct store_reader *r)
{
    for (size_t i = 0; i < RSTMT_COUNT_; i++)
        sqlite3_finalize(r->stmts[i]);
    sqlite3_close_v2(r->db);
    free(r);
}

/* ---- open / close ------------------------------------------------------- */

/* The writer's side of a STORE_OP_ANALYSE op (see store.h): each part is
 * written only while its flag still says missing, so an article replaced or
 * deleted since store_backfill_next read it is left as it is. SQLite rc. */
int store_op_analyse(struct store *st, struct store_op *op)
{
    /* once per article at a start: not worth cached statements */
    static const char *const mark[] = {
        "UPDATE articles SET fp_done = 1 WHERE seq = ?1 AND fp_done = 0",
        "UPDATE articles SET entities_done = 1 WHERE seq = ?1 AND entities_done = 0",
    };
    int want[] = {op->fingerprinted, op->ents.owner != NULL};
    int rc = SQLITE_OK;

    for (int part = 0; part < 2 && rc == SQLITE_OK; part++) {
        sqlite3_stmt *s = NULL;
        if (!want[part])
            continue;
        rc = sqlite3_prepare_v2(st->wdb, mark[part], -1, &s, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(s, 1, op->article.seq);
            rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
        }
        sqlite3_finalize(s);
        if (rc != SQLITE_OK || sqlite3_changes(st->wdb) == 0)
            continue;
        if (part == 0)
            rc = store_fps_write(st, op->article.seq, op->fps.n, &op->index);
        else
            rc = store_entities_write(st, op->article.seq, op->article.ts, &op->ents);
    }
    if (rc == SQLITE_OK && op->story_backfill) {
        /* still without a story (not replaced since it was read) */
        sqlite3_stmt *s = NULL;
        int todo = 0;
        rc = sqlite3_prepare_v2(st->wdb, "SELECT 1 FROM articles WHERE seq = ?1 AND story IS NULL",
                                -1, &s, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(s, 1, op->article.seq);
            rc = sqlite3_step(s);
            todo = rc == SQLITE_ROW;
            rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
        sqlite3_finalize(s);
        if (rc == SQLITE_OK && todo)
            rc = store_story_assign(st, op, 0);
    }
    if (rc != SQLITE_OK) {
        op->failed = 1;
        op->rc = rc;
        error_set(&op->err, (rc & 0xff) == SQLITE_FULL ? ERR_FULL : ERR_INTERNAL,
                  "writing the analysis of article %lld failed: %s", (long long)op->article.seq,
                  sqlite3_errstr(rc));
    }
    return rc;
}

/* Refuses a database whose articles table or its indexes are damaged (a
 * torn or overwritten page), rather than serving errors later: SQLite's
 * quick_check of that table reads each of its pages once. Skipped (and
 * st->check_skipped set) above opts.check_max_bytes, where it would hold
 * up the start for tens of seconds. Returns 0 or -1. */
static int store_check_articles(struct store *st, struct error *err)
{
    sqlite3_stmt *s = NULL;
    char what[512] = "";
    struct stat sb;
    int rc, rows = 0;

    if (stat(st->path, &sb) == 0 && (long long)sb.st_size > st->opts.check_max_bytes) {
        st->check_skipped = 1;
        return 0;
    }
    rc = sqlite3_prepare_v2(st->wdb, "PRAGMA quick_check(articles)", -1, &s, NULL);

    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *msg = (const char *)sqlite3_column_text(s, 0);
        if (rows == 0 && msg != NULL && strcmp(msg, "ok") == 0)
            break;
        /* its first few findings on one line ("*** in database main ***" is a header) */
        if (msg != NULL && strncmp(msg, "***", 3) != 0 && rows++ < 3)
            snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s", what[0] ? "; " : "",
                     msg);
        rc = SQLITE_OK;
    }
    if (rc == SQLITE_ROW && rows == 0) {
        sqlite3_finalize(s);
        return 0;
    }
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        snprintf(what, sizeof what, "%s", sqlite3_errmsg(st->wdb));
    for (char *p = what; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    error_set(err, ERR_INTERNAL, "database %s is corrupt: %s", st->path,
              what[0] ? what : "quick_check failed");
    sqlite3_finalize(s);
    return -1;
}

/* SQLite's memory statistics take a global mutex on every allocation; the
 * service never reads them. Must run before SQLite initialises (a no-op
 * afterwards, as in tests that opened a database first). */
static void store_library_init(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const char *path, const struct store_options *opts, struct store **out,
               struct error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct store *st = calloc(1, sizeof *st);
    char *mode = NULL;
    sqlite3_stmt *stmt = NULL;

    *out = NULL;
    if (st == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    pthread_once(&once, store_library_init);
    st->path = strdup(path);
    st->opts = *opts;
    if (st->opts.group_commit_max == 0)
        st->opts.group_commit_max = 2000;
    if (st->opts.rank_candidates == 0)
        st->opts.rank_candidates = 20000;
    if (st->opts.check_max_bytes <= 0)
        st->opts.check_max_bytes = STORE_CHECK_MAX_BYTES;
    st->generation = atomic_fetch_add(&store_generation, 1);
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    pthread_mutex_init(&st->readers_mu, NULL);
    pthread_rwlock_init(&st->filter_lock, NULL);
    pthread_mutex_init(&st->ckpt_mu, NULL);
    pthread_cond_init(&st->ckpt_cv, NULL);
    if (st->path == NULL || store_conn_open(path, 1, &st->opts, &st->wdb, err) != 0)
        goto fail;

    /* WAL lets readers run beside the writer; a read of the header also
     * refuses files that are not SQLite databases. */
    if (sqlite3_prepare_v2(st->wdb, "PRAGMA journal_mode=WAL", -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW) {
        store_conn_error(err, "cannot use database", path, st->wdb, SQLITE_ERROR);
        goto fail;
    }
    mode = strdup((const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (mode == NULL || strcmp(mode, "wal") != 0) {
        error_set(err, ERR_INTERNAL, "database %s cannot use WAL mode (got %s)", path,
                  mode ? mode : "?");
        goto fail;
    }
    if (schema_migrate(st->wdb, schema_latest(), err) != 0)
        goto fail;
    st->schema_version = schema_version(st->wdb);
    if (sqlite3_prepare_v2(st->wdb, "SELECT value FROM meta WHERE name = 'cursor_key'", -1, &stmt,
                           NULL) != SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW || sqlite3_column_bytes(stmt, 0) != STORE_SECRET_LEN) {
        error_set(err, ERR_INTERNAL, "database %s has no cursor key (table meta)", path);
        goto fail;
    }
    memcpy(st->cursor_key, sqlite3_column_blob(stmt, 0), STORE_SECRET_LEN);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (store_check_articles(st, err) != 0 || store_writer_init(st, err) != 0)
        goto fail;
    /* counted once here, then kept by the writer: count(*) reads a whole
     * index, too slow for /metrics and /readyz on a large database */
    if (sqlite3_prepare_v2(st->wdb, "SELECT count(*) FROM articles", -1, &stmt, NULL) ==
            SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        atomic_store(&st->narticles, sqlite3_column_int64(stmt, 0));
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (store_filter_open(st, err) != 0 || store_facets_open(st, err) != 0)
        goto fail;
    if (store_checkpointer_start(st, err) != 0)
        goto fail;
    if (pthread_create(&st->writer, NULL, store_writer_main, st) != 0) {
        error_set(err, ERR_INTERNAL, "cannot start the writer thread");
        goto fail;
    }
    st->writer_started = 1;
    atomic_store(&st->committed_change, st->last_change);
    free(mode);
    *out = st;
    return 0;
fail:
    sqlite3_finalize(stmt);
    free(mode);
    store_close(st);
    return -1;
}

void store_close(struct store *st)
{
    struct store_reader *r, *next;

    if (st == NULL)
        return;
    pthread_mutex_lock(&st->mu);
    st->stopping = 1;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    if (st->writer_started)
        pthread_join(st->writer, NULL);
    store_filter_close(st);
    store_facets_close(st);
    store_checkpointer_stop(st);
    for (r = st->readers; r != NULL; r = next) {
        next = r->next;
        store_reader_close(r);
    }
    for (size_t i = 0; i < STORE_MAX_STMTS; i++)
        sqlite3_finalize(st->wstmts[i]);
    if (st->wdb != NULL) {
        sqlite3_exec(st->wdb, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        sqlite3_close_v2(st->wdb);
    }
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->readers_mu);
    store_entities_close(st);
    free(st->story_touched);
    fpsizes_free(st->sizes);
    pthread_rwlock_destroy(&st->filter_lock);
    pthread_mutex_destroy(&st->ckpt_mu);
    pthread_cond_destroy(&st->ckpt_cv);
    store_fts_drop(st, 0);
    free(st->fts);
    free(st->path);
    free(st);
}

uint64_t store_version(struct store *st)
{
    return atomic_load(&st->version);
}

void store_cursor_key(struct store *st, uint8_t out[STORE_SECRET_LEN])
{
    memcpy(out, st->cursor_key, STORE_SECRET_LEN);
}

int store_check_skipped(struct store *st)
{
    return st->check_skipped;
}

int store_schema_version(struct store *st)
{
    /* read at open: the write connection belongs to the writer thread (a
     * PRAGMA on it from an HTTP thread, as /readyz did, raced the writer on a
     * connection opened without a mutex and corrupted pages) */
    return st->schema_version;
}

int store_schema_latest(void)
{
    return schema_latest();
}

int64_t store_article_count(struct store *st)
{
    return atomic_load(&st->narticles);
}

int store_stats(struct store *st, struct store_stats *out, struct error *err)
{
    struct stat sb;
    char wal[1100];

    (void)err;
    memset(out, 0, sizeof *out);
    out->articles = atomic_load(&st->narticles);
    out->wal_frames = (long long)atomic_load(&st->wal_frames);
    out->writer_apply_ns = (long long)atomic_load(&st->writer_apply_ns);
    out->writer_commit_ns = (long long)atomic_load(&st->writer_commit_ns);
    out->writer_ops = (long long)atomic_load(&st->writer_ops);
    out->writer_commits = (long long)atomic_load(&st->writer_commits);
    for (int i = 0; i < 3; i++)
        out->writer_index_ns[i] = (long long)atomic_load(&st->writer_fts_ns[i]);
    out->change_seq = (long long)atomic_load(&st->committed_change);
    out->facet_bytes = (long long)store_facets_bytes(st);
    if (stat(st->path, &sb) == 0)
        out->db_bytes += sb.st_size;
    snprintf(wal, sizeof wal, "%s-wal", st->path);
    if (stat(wal, &sb) == 0)
        out->db_bytes += sb.st_size;
    return 0;
}

void store_on_commit(struct store *st, void (*fn)(void *arg), void *arg)
{
    st->on_commit_arg = arg;
    st->on_commit = fn;
}
