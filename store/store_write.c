/* store_write.c: what one write operation does inside the writer's group
 * transaction. Each op runs in a savepoint, so one failing op (a conflict,
 * a constraint) rolls back alone and its batch-mates still commit. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

static const char SQL_FIND_ID[] = "SELECT seq, content_hash FROM articles WHERE id = ?1";
static const char SQL_FIND_HASH[] =
    "SELECT id FROM articles WHERE content_hash = ?1 AND id <> ?2 ORDER BY seq LIMIT 1";
static const char SQL_INSERT[] =
    "INSERT INTO articles (id, title, body, url, source, author, language, published_at, tags,"
    " ts, ingested_at, content_hash, duplicate_of)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char SQL_UPDATE[] =
    "UPDATE articles SET title = ?2, body = ?3, url = ?4, source = ?5, author = ?6,"
    " language = ?7, published_at = ?8, tags = ?9, ts = ?10, ingested_at = ?11,"
    " content_hash = ?12, duplicate_of = ?13 WHERE id = ?1";
static const char SQL_DELETE[] = "DELETE FROM articles WHERE id = ?1";
/* After a delete or a replace, every copy in a hash group points at the
 * earliest remaining one, and that one at nothing. */
static const char SQL_REGROUP[] =
    "UPDATE articles SET duplicate_of = (SELECT b.id FROM articles b"
    " WHERE b.content_hash = articles.content_hash AND b.seq < articles.seq"
    " ORDER BY b.seq LIMIT 1) WHERE content_hash = ?1";

int store_writer_init(struct store *st, struct error *err)
{
    static const struct {
        int which;
        const char *sql;
    } stmts[] = {
        {WSTMT_FIND_ID, SQL_FIND_ID}, {WSTMT_FIND_HASH, SQL_FIND_HASH},
        {WSTMT_INSERT, SQL_INSERT},   {WSTMT_UPDATE, SQL_UPDATE},
        {WSTMT_DELETE, SQL_DELETE},   {WSTMT_REGROUP, SQL_REGROUP},
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        if (store_writer_stmt(st, stmts[i].which, stmts[i].sql) == NULL) {
            error_set(err, ERR_INTERNAL, "cannot prepare writer statement: %s",
                      sqlite3_errmsg(st->wdb));
            return -1;
        }
    }
    return 0;
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
    int prim = rc & 0xff;
    op->failed = 1;
    error_set(&op->err,
              prim == SQLITE_FULL         ? ERR_FULL
              : prim == SQLITE_CONSTRAINT ? ERR_CONFLICT
                                          : ERR_INTERNAL,
              "%s: %s", what, sqlite3_errmsg(st->wdb));
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

/* Insert or replace; the savepoint is open. Returns an SQLite rc. */
static int store_op_upsert(struct store *st, struct store_op *op)
{
    struct article *a = &op->article;
    sqlite3_stmt *s = st->wstmts[WSTMT_FIND_ID];
    char old_hash[65] = "";
    int exists = 0, rc;
    char now[80];
    int64_t now_s;

    sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(s, 1);
        exists = 1;
        a->seq = sqlite3_column_int64(s, 0);
        snprintf(old_hash, sizeof old_hash, "%s", h ? (const char *)h : "");
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_OK) {
        store_op_fail(st, op, rc, "look-up failed");
        return rc;
    }
    if (exists && op->kind == STORE_OP_CREATE) {
        op->failed = 1;
        error_set_field(&op->err, ERR_CONFLICT, "id", "an article with id '%s' already exists",
                        a->id);
        return SQLITE_CONSTRAINT;
    }

    /* An exact copy points at the earliest stored article with its text. */
    free(a->duplicate_of);
    a->duplicate_of = NULL;
    s = st->wstmts[WSTMT_FIND_HASH];
    sqlite3_bind_text(s, 1, a->content_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, a->id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        a->duplicate_of = store_column_dup(s, 0);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_op_fail(st, op, rc, "duplicate look-up failed");
        return rc;
    }

    store_now(now, sizeof now, &now_s);
    free(a->ingested_at);
    a->ingested_at = strdup(now);
    a->ts = a->published_at ? a->published_ts : now_s;

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
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) {
        store_op_fail(st, op, rc, exists ? "update failed" : "insert failed");
        return rc;
    }
    rc = SQLITE_OK;
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
    } else {
        a->seq = sqlite3_last_insert_rowid(st->wdb);
    }
    op->created = !exists;
    return SQLITE_OK;
}

static int store_op_delete(struct store *st, struct store_op *op)
{
    sqlite3_stmt *s = st->wstmts[WSTMT_FIND_ID];
    char hash[65] = "";
    int rc;

    sqlite3_bind_text(s, 1, op->article.id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(s, 1);
        snprintf(hash, sizeof hash, "%s", h ? (const char *)h : "");
    }
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) {
        op->failed = 1;
        error_set(&op->err, ERR_NOT_FOUND, "no article with id '%s'", op->article.id);
        return SQLITE_NOTFOUND;
    }
    if (rc != SQLITE_ROW) {
        store_op_fail(st, op, rc, "look-up failed");
        return rc;
    }
    s = st->wstmts[WSTMT_DELETE];
    sqlite3_bind_text(s, 1, op->article.id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        store_op_fail(st, op, rc, "delete failed");
        return rc;
    }
    rc = store_regroup(st, hash);
    if (rc != SQLITE_OK) {
        store_op_fail(st, op, rc, "regrouping copies failed");
        return rc;
    }
    return SQLITE_OK;
}

void store_op_apply(struct store *st, struct store_op *op)
{
    int rc;

    op->failed = 0;
    op->created = 0;
    error_clear(&op->err);
    rc = sqlite3_exec(st->wdb, "SAVEPOINT op", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        store_op_fail(st, op, rc, "savepoint failed");
        return;
    }
    if (op->kind == STORE_OP_DELETE)
        rc = store_op_delete(st, op);
    else
        rc = store_op_upsert(st, op);
    if (rc != SQLITE_OK)
        sqlite3_exec(st->wdb, "ROLLBACK TO op", NULL, NULL, NULL);
    sqlite3_exec(st->wdb, "RELEASE op", NULL, NULL, NULL);
}
