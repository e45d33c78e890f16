/* store_write.c: what one write operation does inside the writer's group
 * transaction. Each op runs in a savepoint, so one failing op (a conflict,
 * a constraint) rolls back alone and its batch-mates still commit. The
 * full-text index and the fingerprint postings are written once per
 * transaction, just before the commit (see store_int.h for why). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/schema.h"
#include "store/store_int.h"

static const char SQL_FIND_ID[] =
    "SELECT seq, content_hash, title, body, source, tags, language, author FROM articles"
    " WHERE id = ?1";
static const char SQL_FIND_HASH[] =
    "SELECT id, grp FROM articles WHERE content_hash = ?1 AND id <> ?2 ORDER BY seq LIMIT 1";
static const char SQL_INSERT[] =
    "INSERT INTO articles (id, title, body, url, source, author, language, published_at, tags,"
    " ts, ingested_at, content_hash, duplicate_of, grp, entities_done, fp_done, seq, change_seq,"
    " created_change, language_detected)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18,"
    " ?19)";
static const char SQL_UPDATE[] =
    "UPDATE articles SET title = ?2, body = ?3, url = ?4, source = ?5, author = ?6,"
    " language = ?7, published_at = ?8, tags = ?9, ts = ?10, ingested_at = ?11,"
    " content_hash = ?12, duplicate_of = ?13, grp = ?14, entities_done = ?15, fp_done = ?16,"
    " change_seq = ?18, language_detected = ?19 WHERE id = ?1";
static const char SQL_DELETE[] = "DELETE FROM articles WHERE id = ?1 RETURNING source";
/* After a delete or a replace, every copy in a hash group points at the
 * earliest remaining one, and that one at nothing. */
static const char SQL_REGROUP[] =
    "UPDATE articles SET duplicate_of = (SELECT b.id FROM articles b"
    " WHERE b.content_hash = articles.content_hash AND b.seq < articles.seq"
    " ORDER BY b.seq LIMIT 1) WHERE content_hash = ?1";
static const char SQL_FPSET_INSERT[] =
    "INSERT OR REPLACE INTO article_fps (seq, n, idx) VALUES (?1, ?2, ?3)";
static const char SQL_FPSET_GET[] = "SELECT idx FROM article_fps WHERE seq = ?1";
static const char SQL_FPSET_DELETE[] = "DELETE FROM article_fps WHERE seq = ?1";
static const char SQL_FPX_INSERT[] = "INSERT INTO fp_index (rowid, fp) VALUES (?1, ?2)";
static const char SQL_FPX_DELETE[] =
    "INSERT INTO fp_index (fp_index, rowid, fp) VALUES ('delete', ?1, ?2)";
/* ?4..?7 are the source, tags, language and author; their tokens are the
 * view's (schema.h, SCHEMA_SRC_TOKENS) */
#define SQL_SRC_TOKEN SCHEMA_SRC_TOKENS("?4", "?5", "?6", "?7")
static const char SQL_FTS_INSERT[] = "INSERT INTO articles_fts (rowid, title, body, src)"
                                     " VALUES (?1, ?2, ?3, " SQL_SRC_TOKEN ")";
static const char SQL_FTS_DELETE[] = "INSERT INTO articles_fts (articles_fts, rowid, title, body,"
                                     " src) VALUES ('delete', ?1, ?2, ?3, " SQL_SRC_TOKEN ")";
static const char SQL_ENX_INSERT[] = "INSERT INTO ent_index (rowid, e) VALUES (?1, ?2)";
static const char SQL_ENX_DELETE[] =
    "INSERT INTO ent_index (ent_index, rowid, e) VALUES ('delete', ?1, ?2)";
static const char SQL_MAX_SEQ[] = "SELECT coalesce(max(seq), 0) + 1 FROM articles";
/* the change sequence goes on from the highest number stored or pruned
 * (rows older than the sequence count as their seq: schema.c, 12) */
static const char SQL_LAST_CHANGE[] =
    "SELECT max(coalesce((SELECT max(coalesce(change_seq, seq)) FROM articles), 0),"
    " coalesce((SELECT max(change_seq) FROM tombstones), 0),"
    " coalesce((SELECT max(change_seq) FROM curation_log), 0),"
    " coalesce((SELECT max(change_seq) FROM story_log), 0),"
    " coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE name = 'change_floor'), 0))";
static const char SQL_TOMBSTONE[] =
    "INSERT INTO tombstones (change_seq, id, deleted_at, source) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_TOMB_PRUNE_MAX[] =
    "SELECT max(change_seq) FROM tombstones WHERE deleted_at < ?1";
static const char SQL_TOMB_PRUNE[] = "DELETE FROM tombstones WHERE deleted_at < ?1";
static const char SQL_CHANGE_FLOOR[] =
    "INSERT INTO meta (name, value) VALUES ('change_floor', ?1) ON CONFLICT (name)"
    " DO UPDATE SET value = max(CAST(value AS INTEGER), excluded.value)";

/* Tombstones are pruned at most this often (seconds). */
#define STORE_TOMB_PRUNE_EVERY 3600

int store_writer_init(struct store *st, struct error *err)
{
    static const struct {
        int which;
        const char *sql;
    } stmts[] = {
        {WSTMT_FIND_ID, SQL_FIND_ID},
        {WSTMT_FIND_HASH, SQL_FIND_HASH},
        {WSTMT_INSERT, SQL_INSERT},
        {WSTMT_UPDATE, SQL_UPDATE},
        {WSTMT_DELETE, SQL_DELETE},
        {WSTMT_REGROUP, SQL_REGROUP},
        {WSTMT_FPSET_INSERT, SQL_FPSET_INSERT},
        {WSTMT_FPSET_GET, SQL_FPSET_GET},
        {WSTMT_FPSET_DELETE, SQL_FPSET_DELETE},
        {WSTMT_FTS_INSERT, SQL_FTS_INSERT},
        {WSTMT_FTS_DELETE, SQL_FTS_DELETE},
        {WSTMT_FPX_INSERT, SQL_FPX_INSERT},
        {WSTMT_FPX_DELETE, SQL_FPX_DELETE},
        {WSTMT_ENX_INSERT, SQL_ENX_INSERT},
        {WSTMT_ENX_DELETE, SQL_ENX_DELETE},
        {WSTMT_SAVEPOINT, "SAVEPOINT op"},
        {WSTMT_RELEASE, "RELEASE op"},
        {WSTMT_ROLLBACK_TO, "ROLLBACK TO op"},
        {WSTMT_MAX_SEQ, SQL_MAX_SEQ},
        {WSTMT_LAST_CHANGE, SQL_LAST_CHANGE},
        {WSTMT_TOMBSTONE, SQL_TOMBSTONE},
        {WSTMT_TOMB_PRUNE_MAX, SQL_TOMB_PRUNE_MAX},
        {WSTMT_TOMB_PRUNE, SQL_TOMB_PRUNE},
        {WSTMT_CHANGE_FLOOR, SQL_CHANGE_FLOOR},
    };
    sqlite3_stmt *s;
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        if (store_writer_stmt(st, stmts[i].which, stmts[i].sql) == NULL) {
            error_set(err, ERR_INTERNAL, "cannot prepare writer statement: %s",
                      sqlite3_errmsg(st->wdb));
            return -1;
        }
    }
    s = st->wstmts[WSTMT_MAX_SEQ];
    if (sqlite3_step(s) != SQLITE_ROW) {
        error_set(err, ERR_INTERNAL, "cannot read the last article: %s", sqlite3_errmsg(st->wdb));
        sqlite3_reset(s);
        return -1;
    }
    st->next_seq = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    s = st->wstmts[WSTMT_LAST_CHANGE];
    if (sqlite3_step(s) != SQLITE_ROW) {
        error_set(err, ERR_INTERNAL, "cannot read the last change: %s", sqlite3_errmsg(st->wdb));
        sqlite3_reset(s);
        return -1;
    }
    st->last_change = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

int store_tombstones_prune(struct store *st, int64_t now)
{
    int64_t days = st->opts.tombstone_days ? st->opts.tombstone_days : 7;
    int64_t cutoff = now - days * 86400, floor = 0, story_floor = 0;
    sqlite3_stmt *s = st->wstmts[WSTMT_TOMB_PRUNE_MAX];
    int rc;

    if (now - st->tombs_pruned_at < STORE_TOMB_PRUNE_EVERY)
        return SQLITE_OK;
    sqlite3_bind_int64(s, 1, cutoff);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        floor = sqlite3_column_int64(s, 0); /* 0 when none is old enough */
        rc = SQLITE_OK;
    }
    sqlite3_reset(s);
    /* deleted stories are forgotten with the deleted articles */
    if (rc == SQLITE_OK)
        rc = store_story_log_prune(st, cutoff, &story_floor);
    if (story_floor > floor)
        floor = story_floor;
    if (rc != SQLITE_OK || floor == 0)
        goto out;
    s = st->wstmts[WSTMT_CHANGE_FLOOR];
    sqlite3_bind_int64(s, 1, floor);
    rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
    sqlite3_reset(s);
    if (rc != SQLITE_OK)
        goto out;
    s = st->wstmts[WSTMT_TOMB_PRUNE];
    sqlite3_bind_int64(s, 1, cutoff);
    rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
    sqlite3_reset(s);
out:
    if (rc == SQLITE_OK)
        st->tombs_pruned_at = now;
    return rc;
}

char *store_column_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void store_now(char *buf, size_t size, int64_t *secs)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
    *secs = (int64_t)ts.tv_sec;
}

/* Maps a failed SQLite call on the writer to the op's error. */
static void store_op_fail(struct store *st, struct store_op *op, int rc, const char *what)
{
    op->failed = 1;
    op->rc = rc;
    store_error_from_sqlite(&op->err, STORE_IO_WRITE, rc, st->wdb, what);
}

unsigned char *store_fps_encode(const struct fingerprint_set *fps)
{
    unsigned char *buf = malloc(fps->n * 8 + 1);
    if (buf == NULL)
        return NULL;
    for (size_t i = 0; i < fps->n; i++) {
        uint64_t v = (uint64_t)fps->hashes[i];
        for (int b = 0; b < 8; b++)
            buf[i * 8 + (size_t)b] = (unsigned char)(v >> (8 * b));
    }
    return buf;
}

int store_fps_decode(const void *blob, int bytes, struct fingerprint_set *out)
{
    const unsigned char *p = blob;
    size_t n;

    memset(out, 0, sizeof *out);
    if (bytes < 0 || bytes % 8 != 0)
        return -1;
    n = (size_t)bytes / 8;
    out->hashes = malloc(n * sizeof *out->hashes + 1);
    if (out->hashes == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = 0;
        for (int b = 0; b < 8; b++)
            v |= (uint64_t)p[i * 8 + (size_t)b] << (8 * b);
        out->hashes[i] = (int64_t)v;
    }
    out->n = n;
    return 0;
}

/* The next free change of the queue, zeroed (NULL when out of memory). */
static struct store_fts_change *store_fts_next(struct store *st)
{
    struct store_fts_change *c;

    if (st->nfts == st->fts_cap) {
        size_t cap = st->fts_cap ? st->fts_cap * 2 : 1024;
        struct store_fts_change *bigger = realloc(st->fts, cap * sizeof *bigger);
        if (bigger == NULL)
            return NULL;
        st->fts = bigger;
        st->fts_cap = cap;
    }
    c = &st->fts[st->nfts];
    memset(c, 0, sizeof *c);
    c->order = st->nfts;
    return c;
}

/* Copies the NUL-terminated *v (when not NULL) to *p and points *v at the
 * copy, *p moving past it. */
static void store_fts_copy(char **p, const char **v)
{
    size_t n;
    if (*v == NULL)
        return;
    n = strlen(*v) + 1;
    memcpy(*p, *v, n);
    *v = *p;
    *p += n;
}

/* Queues a change of articles_fts. For a delete, title, body and the filter
 * values (f: source, tags JSON, language, author, each may be NULL) are
 * copied (the row is about to change); an insert borrows the op's strings.
 * SQLite rc. */
static int store_fts_queue(struct store *st, int64_t seq, int del, const char *title,
                           const char *body, size_t body_len, const char *const f[4])
{
    struct store_fts_change *c = store_fts_next(st);
    size_t tl = strlen(title), more = 0;
    const char *v[4] = {f[0], f[1], f[2], f[3]};

    if (c == NULL)
        return SQLITE_NOMEM;
    c->table = STORE_FTS_ARTICLES;
    c->seq = seq;
    c->del = del;
    c->title_len = (int)tl;
    c->body_len = (int)body_len;
    if (del) {
        char *p;
        for (int i = 0; i < 4; i++)
            more += v[i] ? strlen(v[i]) + 1 : 0;
        c->owned = malloc(tl + body_len + more + 2);
        if (c->owned == NULL)
            return SQLITE_NOMEM;
        memcpy(c->owned, title, tl + 1);
        memcpy(c->owned + tl + 1, body, body_len);
        c->owned[tl + 1 + body_len] = '\0';
        title = c->owned;
        body = c->owned + tl + 1;
        p = c->owned + tl + body_len + 2;
        for (int i = 0; i < 4; i++)
            store_fts_copy(&p, &v[i]);
    }
    c->title = title;
    c->body = body;
    c->source = v[0];
    c->tags = v[1];
    c->language = v[2];
    c->author = v[3];
    st->nfts++;
    return SQLITE_OK;
}

void store_fts_drop(struct store *st, size_t keep)
{
    for (size_t i = keep; i < st->nfts; i++)
        free(st->fts[i].owned);
    if (keep < st->nfts)
        st->nfts = keep;
}

void store_fp_token(int64_t hash, char out[STORE_FP_TOKEN_LEN + 1])
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
    uint64_t v = (uint64_t)hash;

    for (int i = 0; i < STORE_FP_TOKEN_LEN; i++) {
        out[i] = digits[v & 31];
        v >>= 5;
    }
    out[STORE_FP_TOKEN_LEN] = '\0';
}

int store_fts_queue_tokens(struct store *st, enum store_fts_table table, int64_t seq, int del,
                           const char *text, size_t len)
{
    struct store_fts_change *c;
    char *copy;

    if (len == 0)
        return SQLITE_OK;
    copy = malloc(len + 1);
    c = copy ? store_fts_next(st) : NULL;
    if (c == NULL) {
        free(copy);
        return SQLITE_NOMEM;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    c->table = table;
    c->seq = seq;
    c->del = del;
    c->owned = copy;
    c->body = copy;
    c->body_len = (int)len;
    st->nfts++;
    return SQLITE_OK;
}

/* Queues an insert (or delete) of article seq's fingerprints in fp_index, as
 * one text of tokens. SQLite rc. */
static int store_fpx_queue(struct store *st, int64_t seq, int del,
                           const struct fingerprint_set *index)
{
    struct store_fts_change *c;
    char *text, *p;

    if (index->n == 0)
        return SQLITE_OK;
    text = malloc(index->n * (STORE_FP_TOKEN_LEN + 1) + 1);
    c = text ? store_fts_next(st) : NULL;
    if (c == NULL) {
        free(text);
        return SQLITE_NOMEM;
    }
    p = text;
    for (size_t i = 0; i < index->n; i++) {
        store_fp_token(index->hashes[i], p);
        p += STORE_FP_TOKEN_LEN;
        *p++ = ' ';
    }
    *--p = '\0';
    c->table = STORE_FTS_FINGERPRINTS;
    c->seq = seq;
    c->del = del;
    c->owned = text;
    c->body = text;
    c->body_len = (int)(p - text);
    st->nfts++;
    return SQLITE_OK;
}

int store_fps_write(struct store *st, int64_t seq, size_t full_n,
                    const struct fingerprint_set *index)
{
    sqlite3_stmt *s = st->wstmts[WSTMT_FPSET_INSERT];
    unsigned char *blob = store_fps_encode(index);
    int rc;

    if (blob == NULL)
        return SQLITE_NOMEM;
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)full_n);
    sqlite3_bind_blob(s, 3, blob, (int)(index->n * 8), SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    free(blob);
    if (rc == SQLITE_OK)
        rc = store_fpx_queue(st, seq, 0, index);
    /* added before the commit: a look-up that starts after the article is
     * acknowledged must see it (a rolled-back add only costs a probe; sizes
     * set by an op that rolls back are cleared by store_op_apply or
     * store_commit_chain) */
    if (rc == SQLITE_OK)
        rc = store_filter_add(st, index);
    if (rc == SQLITE_OK && st->sizes != NULL && fpsizes_set(st->sizes, seq, full_n, index->n) != 0)
        fpsizes_clear(st->sizes, seq); /* unknown: read from article_fps */
    return rc;
}

static int cmp_fts_change(const void *a, const void *b)
{
    const struct store_fts_change *x = a, *y = b;
    if (x->table != y->table)
        return x->table < y->table ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

int store_fts_flush(struct store *st)
{
    int rc = SQLITE_OK;

    /* FTS5 starts a new segment whenever a rowid is not above the last one
     * written, so the changes go in rowid order (new articles already are). */
    if (st->nfts > 1)
        qsort(st->fts, st->nfts, sizeof *st->fts, cmp_fts_change);
    for (size_t i = 0; i < st->nfts && rc == SQLITE_OK; i++) {
        const struct store_fts_change *c = &st->fts[i];
        sqlite3_stmt *s;
        int64_t t0 = store_now_ns();
        if (c->table != STORE_FTS_FINGERPRINTS) /* its facet row changes too */
            store_facets_touch(st, c->seq);
        if (c->table == STORE_FTS_ARTICLES) {
            s = st->wstmts[c->del ? WSTMT_FTS_DELETE : WSTMT_FTS_INSERT];
            sqlite3_bind_text(s, 2, c->title, c->title_len, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, c->body, c->body_len, SQLITE_STATIC);
            if (c->source != NULL)
                sqlite3_bind_text(s, 4, c->source, -1, SQLITE_STATIC);
            if (c->tags != NULL)
                sqlite3_bind_text(s, 5, c->tags, -1, SQLITE_STATIC);
            if (c->language != NULL)
                sqlite3_bind_text(s, 6, c->language, -1, SQLITE_STATIC);
            if (c->author != NULL)
                sqlite3_bind_text(s, 7, c->author, -1, SQLITE_STATIC);
        } else {
            s = st->wstmts[c->table == STORE_FTS_FINGERPRINTS
                               ? (c->del ? WSTMT_FPX_DELETE : WSTMT_FPX_INSERT)
                               : (c->del ? WSTMT_ENX_DELETE : WSTMT_ENX_INSERT)];
            sqlite3_bind_text(s, 2, c->body, c->body_len, SQLITE_STATIC);
        }
        sqlite3_bind_int64(s, 1, c->seq);
        rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        /* the tokenizing and buffering; FTS5 writes its segments at COMMIT */
        atomic_fetch_add(&st->writer_fts_ns[c->table], (uint64_t)(store_now_ns() - t0));
    }
    store_fts_drop(st, 0);
    return rc;
}

/* Removes article seq's fingerprints (its old text's): fp_index tokens and
 * article_fps row. The filter keeps them (a stale "maybe" costs a probe). */
static int store_fps_remove(struct store *st, int64_t seq)
{
    sqlite3_stmt *s = st->wstmts[WSTMT_FPSET_GET];
    struct fingerprint_set old = {0};
    int rc, found;

    sqlite3_bind_int64(s, 1, seq);
    rc = sqlite3_step(s);
    found = rc == SQLITE_ROW;
    if (found && store_fps_decode(sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0), &old) != 0)
        rc = SQLITE_NOMEM;
    else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        rc = SQLITE_OK;
    sqlite3_reset(s);
    if (found && st->sizes != NULL)
        fpsizes_clear(st->sizes, seq);
    if (rc == SQLITE_OK && found)
        rc = store_fpx_queue(st, seq, 1, &old);
    fingerprint_set_free(&old);
    if (rc != SQLITE_OK || !found)
        return rc;
    s = st->wstmts[WSTMT_FPSET_DELETE];
    sqlite3_bind_int64(s, 1, seq);
    rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
    sqlite3_reset(s);
    return rc;
}

static int store_regroup(struct store *st, const char *hash)
{
    sqlite3_stmt *s = st->wstmts[WSTMT_REGROUP];
    int rc;
    sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The op's article's row by id: found (1) with its seq, content hash and,
 * queued as a full-text delete, its old text; or absent (0). -1 with rc set
 * on a failure. */
static int store_find_old(struct store *st, const char *id, int64_t *seq, char *hash,
                          size_t hash_size, int *rc)
{
    sqlite3_stmt *s = st->wstmts[WSTMT_FIND_ID];
    int found = 0;

    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    *rc = sqlite3_step(s);
    if (*rc == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(s, 1);
        const char *title = (const char *)sqlite3_column_text(s, 2);
        const char *body = (const char *)sqlite3_column_text(s, 3);
        found = 1;
        *seq = sqlite3_column_int64(s, 0);
        snprintf(hash, hash_size, "%s", h ? (const char *)h : "");
        const char *f[4] = {
            (const char *)sqlite3_column_text(s, 4), (const char *)sqlite3_column_text(s, 5),
            (const char *)sqlite3_column_text(s, 6), (const char *)sqlite3_column_text(s, 7)};
        *rc = store_fts_queue(st, *seq, 1, title ? title : "", body ? body : "",
                              (size_t)sqlite3_column_bytes(s, 3), f);
    } else if (*rc == SQLITE_DONE) {
        *rc = SQLITE_OK;
    }
    sqlite3_reset(s);
    return *rc == SQLITE_OK ? found : -1;
}

/* Insert or replace; the savepoint is open. Returns an SQLite rc. */
static int store_op_upsert(struct store *st, struct store_op *op)
{
    struct article *a = &op->article;
    sqlite3_stmt *s;
    char old_hash[65] = "";
    int exists, rc;
    char now[80];
    int64_t now_s;

    if (op->kind == STORE_OP_CREATE) {
        /* no old text to read for a create: only whether the id is taken */
        s = st->wstmts[WSTMT_FIND_ID];
        sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        exists = rc == SQLITE_ROW;
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(s);
        if (rc == SQLITE_OK && exists) {
            op->failed = 1;
            error_set_field(&op->err, ERR_CONFLICT, "id", "an article with id '%s' already exists",
                            a->id);
            return SQLITE_CONSTRAINT;
        }
    } else {
        exists = store_find_old(st, a->id, &a->seq, old_hash, sizeof old_hash, &rc);
    }
    if (rc != SQLITE_OK) {
        store_op_fail(st, op, rc, "look-up failed");
        return rc;
    }
    if (!exists)
        a->seq = st->next_seq;

    /* An exact copy points at the earliest stored article with its text. */
    free(a->duplicate_of);
    a->duplicate_of = NULL;
    s = st->wstmts[WSTMT_FIND_HASH];
    sqlite3_bind_text(s, 1, a->content_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, a->id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    a->grp = 0;
    if (rc == SQLITE_ROW) {
        a->duplicate_of = store_column_dup(s, 0);
        a->grp = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_op_fail(st, op, rc, "duplicate look-up failed");
        return rc;
    }

    store_now(now, sizeof now, &now_s);
    free(a->ingested_at);
    a->ingested_at = strdup(now);
    a->ts = a->published_at ? a->published_ts : now_s;
    /* An exact copy joins its original's group, else a near copy's group;
     * an article that copies nothing starts a group of its own. */
    if (a->grp == 0 && op->near_op != NULL && !op->near_op->failed)
        a->grp = op->near_op->article.grp;
    if (a->grp == 0 && op->near_grp > 0)
        a->grp = op->near_grp;
    if (a->grp == 0)
        a->grp = a->seq;

    /* a replaced article leaves its story while its row still says which
     * and from which outlet; store_story_assign puts it in one again */
    if (exists && (rc = store_story_remove(st, a->seq)) != SQLITE_OK) {
        store_op_fail(st, op, rc, "removing the article from its story failed");
        return rc;
    }
    s = st->wstmts[exists ? WSTMT_UPDATE : WSTMT_INSERT];
    sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, a->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, a->body, (int)a->body_len, SQLITE_STATIC);
    bind_text_or_null(s, 4, a->url);
    bind_text_or_null(s, 5, a->source);
    bind_text_or_null(s, 6, a->author);
    bind_text_or_null(s, 7, a->language);
    bind_text_or_null(s, 8, a->published_at);
    bind_text_or_null(s, 9, a->tags_json);
    sqlite3_bind_int64(s, 10, a->ts);
    bind_text_or_null(s, 11, a->ingested_at);
    sqlite3_bind_text(s, 12, a->content_hash, -1, SQLITE_STATIC);
    bind_text_or_null(s, 13, a->duplicate_of);
    sqlite3_bind_int64(s, 14, a->grp);
    /* an article analysed without entities (the feature was off) is picked
     * up by the backfill when it is on again */
    sqlite3_bind_int(s, 15, op->ents.owner != NULL);
    sqlite3_bind_int(s, 16, op->fingerprinted);
    if (!exists)
        sqlite3_bind_int64(s, 17, a->seq);
    op->change_seq = st->last_change + 1;
    sqlite3_bind_int64(s, 18, op->change_seq);
    sqlite3_bind_int(s, 19, a->language != NULL && a->language_detected);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) {
        store_op_fail(st, op, rc, exists ? "update failed" : "insert failed");
        return rc;
    }
    st->last_change = op->change_seq; /* given back if the op rolls back */
    {
        const char *f[4] = {a->source, a->tags_json, a->language, a->author};
        rc = store_fts_queue(st, a->seq, 0, a->title, a->body, a->body_len, f);
    }
    if (rc == SQLITE_OK && !exists)
        st->next_seq++;
    if (rc == SQLITE_OK && exists)
        rc = store_fps_remove(st, a->seq);
    /* An article analysed without fingerprints (the feature was off) gets
     * none, and is picked up by the backfill when it is on again. */
    if (rc == SQLITE_OK && op->fingerprinted)
        rc = store_fps_write(st, a->seq, op->fps.n, &op->index);
    if (rc == SQLITE_OK && exists)
        rc = store_entities_remove(st, a->seq);
    if (rc == SQLITE_OK && op->ents.owner != NULL)
        rc = store_entities_write(st, a->seq, a->ts, &op->ents);
    if (rc == SQLITE_OK)
        rc = store_story_assign(st, op, exists);
    if (rc != SQLITE_OK) {
        store_op_fail(st, op, rc, "writing fingerprints, entities and story failed");
        return rc;
    }
    if (exists) {
        /* The old text's group lost a member; the new one may have gained an
         * earlier original than the look-up above saw (ordering by seq). */
        if (strcmp(old_hash, a->content_hash) != 0)
            rc = store_regroup(st, old_hash);
        if (rc == SQLITE_OK)
            rc = store_regroup(st, a->content_hash);
        if (rc != SQLITE_OK) {
            store_op_fail(st, op, rc, "regrouping copies failed");
            return rc;
        }
    }
    op->created = !exists;
    return SQLITE_OK;
}

static int store_op_delete(struct store *st, struct store_op *op)
{
    sqlite3_stmt *s;
    char hash[65] = "", *source = NULL;
    int64_t seq = 0;
    int rc, found = store_find_old(st, op->article.id, &seq, hash, sizeof hash, &rc);

    if (found < 0) {
        store_op_fail(st, op, rc, "look-up failed");
        return rc;
    }
    if (!found) {
        op->failed = 1;
        error_set(&op->err, ERR_NOT_FOUND, "no article with id '%s'", op->article.id);
        return SQLITE_NOTFOUND;
    }
    rc = store_story_remove(st, seq);
    if (rc != SQLITE_OK) {
        store_op_fail(st, op, rc, "removing the article from its story failed");
        return rc;
    }
    s = st->wstmts[WSTMT_DELETE];
    sqlite3_bind_text(s, 1, op->article.id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) { /* the source, kept on the tombstone for the change feed */
        const unsigned char *src = sqlite3_column_text(s, 0);
        source = src ? strdup((const char *)src) : NULL;
        rc = src != NULL && source == NULL ? SQLITE_NOMEM : sqlite3_step(s);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        free(source);
        store_op_fail(st, op, rc, "delete failed");
        return rc;
    }
    /* the delete's place in the change sequence */
    s = st->wstmts[WSTMT_TOMBSTONE];
    op->change_seq = st->last_change + 1;
    sqlite3_bind_int64(s, 1, op->change_seq);
    sqlite3_bind_text(s, 2, op->article.id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (int64_t)time(NULL));
    if (source != NULL)
        sqlite3_bind_text(s, 4, source, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 4);
    rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
    sqlite3_reset(s);
    free(source);
    if (rc == SQLITE_OK)
        st->last_change = op->change_seq;
    if (rc == SQLITE_OK)
        rc = store_fps_remove(st, seq);
    if (rc == SQLITE_OK)
        rc = store_entities_remove(st, seq);
    if (rc == SQLITE_OK)
        rc = store_regroup(st, hash);
    if (rc != SQLITE_OK) {
        store_op_fail(st, op, rc, "removing the article's traces failed");
        return rc;
    }
    return SQLITE_OK;
}

/* Runs a cached savepoint statement. SQLite rc. */
static int store_savepoint_step(struct store *st, int which)
{
    sqlite3_stmt *s = st->wstmts[which];
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void store_op_apply(struct store *st, struct store_op *op)
{
    size_t nfts = st->nfts, ents = store_entities_mark(st), stories = st->nstory_touched;
    int64_t next_seq = st->next_seq, last_change = st->last_change;
    int rc;

    op->failed = 0;
    op->created = 0;
    op->change_seq = 0;
    op->story = 0;
    op->story_new = 0;
    op->rc = SQLITE_OK;
    error_clear(&op->err);
    if (op->kind == STORE_OP_CURATE) {
        /* a curation finds an entity's articles in ent_index: the changes
         * queued by earlier ops of the transaction go in first (outside
         * this op's savepoint, so its roll-back keeps them) */
        rc = store_fts_flush(st);
        nfts = 0;
        if (rc != SQLITE_OK) {
            /* the earlier ops' index changes are half written: the whole
             * transaction goes (store_commit_chain sees it ended) */
            store_op_fail(st, op, rc, "index flush failed");
            sqlite3_exec(st->wdb, "ROLLBACK", NULL, NULL, NULL);
            return;
        }
    }
    rc = store_savepoint_step(st, WSTMT_SAVEPOINT);
    if (rc != SQLITE_OK) {
        store_op_fail(st, op, rc, "savepoint failed");
        return;
    }
    if (op->kind == STORE_OP_DELETE)
        rc = store_op_delete(st, op);
    else if (op->kind == STORE_OP_ANALYSE)
        rc = store_op_analyse(st, op);
    else if (op->kind == STORE_OP_CURATE)
        rc = store_op_curate(st, op);
    else
        rc = store_op_upsert(st, op);
    if (rc != SQLITE_OK) {
        store_savepoint_step(st, WSTMT_ROLLBACK_TO);
        /* what it queued for the end of the transaction goes with it */
        store_fts_drop(st, nfts);
        store_entities_rollback(st, ents);
        st->nstory_touched = stories;
        st->next_seq = next_seq;
        st->last_change = last_change;
        op->change_seq = 0;
        op->story = 0;
        op->story_new = 0;
        /* sizes it set may name sets that were rolled back: unknown again */
        if (st->sizes != NULL && op->article.seq > 0)
            fpsizes_clear(st->sizes, op->article.seq);
    }
    store_savepoint_step(st, WSTMT_RELEASE);
}
