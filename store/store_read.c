/* store_read.c: read queries (get, list, search), each on the calling
 * thread's own connection with cached statements, always reset after use so
 * no read snapshot outlives its request and blocks WAL checkpoints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define ARTICLE_COLS                                                                               \
    "seq, id, title, body, url, source, author, language, published_at, tags, ts,"                 \
    " ingested_at, content_hash, duplicate_of"

/* Same columns with the body left out, for listings. */
#define ARTICLE_COLS_NOBODY                                                                        \
    "seq, id, title, NULL, url, source, author, language, published_at, tags, ts,"                 \
    " ingested_at, content_hash, duplicate_of"

static int store_row_article(sqlite3_stmt *s, struct article *a)
{
    const unsigned char *hash;
    memset(a, 0, sizeof *a);
    a->seq = sqlite3_column_int64(s, 0);
    a->id = store_column_dup(s, 1);
    a->title = store_column_dup(s, 2);
    a->body = store_column_dup(s, 3);
    a->body_len = (size_t)sqlite3_column_bytes(s, 3);
    a->url = store_column_dup(s, 4);
    a->source = store_column_dup(s, 5);
    a->author = store_column_dup(s, 6);
    a->language = store_column_dup(s, 7);
    a->published_at = store_column_dup(s, 8);
    a->tags_json = store_column_dup(s, 9);
    a->ts = sqlite3_column_int64(s, 10);
    a->ingested_at = store_column_dup(s, 11);
    hash = sqlite3_column_text(s, 12);
    snprintf(a->content_hash, sizeof a->content_hash, "%s", hash ? (const char *)hash : "");
    a->duplicate_of = store_column_dup(s, 13);
    if (a->id == NULL || a->title == NULL || a->ingested_at == NULL) {
        article_clear(a);
        return -1;
    }
    return 0;
}

int store_article_get(struct store *st, const char *id, struct article *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;
    int rc, ret = -1;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    s = store_reader_stmt(r, RSTMT_GET, "SELECT " ARTICLE_COLS " FROM articles WHERE id = ?1");
    if (s == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        if (store_row_article(s, out) == 0)
            ret = 0;
        else
            error_set(err, ERR_INTERNAL, "out of memory");
    } else if (rc == SQLITE_DONE) {
        error_set(err, ERR_NOT_FOUND, "no article with id '%s'", id);
    } else {
        error_set(err, ERR_INTERNAL, "read failed: %s", sqlite3_errmsg(r->db));
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return ret;
}

void store_article_list_free(struct store_article_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->n; i++)
        article_clear(&list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

int store_article_list(struct store *st, const struct store_list_query *q,
                       struct store_article_list *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;
    int rc = SQLITE_OK;
    unsigned limit = q->limit ? q->limit : 20;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    if (q->source != NULL)
        s = store_reader_stmt(r, RSTMT_LIST_SOURCE,
                              "SELECT " ARTICLE_COLS_NOBODY " FROM articles"
                              " WHERE source = ?6 AND ts >= ?1 AND ts < ?2"
                              " AND (ts < ?3 OR (ts = ?3 AND seq < ?4))"
                              " ORDER BY ts DESC, seq DESC LIMIT ?5");
    else
        s = store_reader_stmt(r, RSTMT_LIST,
                              "SELECT " ARTICLE_COLS_NOBODY " FROM articles"
                              " WHERE ts >= ?1 AND ts < ?2"
                              " AND (ts < ?3 OR (ts = ?3 AND seq < ?4))"
                              " ORDER BY ts DESC, seq DESC LIMIT ?5");
    if (s == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    out->items = calloc(limit + 1, sizeof *out->items);
    if (out->items == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    sqlite3_bind_int64(s, 1, q->from);
    sqlite3_bind_int64(s, 2, q->to);
    sqlite3_bind_int64(s, 3, q->has_after ? q->after_ts : INT64_MAX);
    sqlite3_bind_int64(s, 4, q->has_after ? q->after_seq : INT64_MAX);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)limit + 1);
    if (q->source != NULL)
        sqlite3_bind_text(s, 6, q->source, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (out->n == limit) {
            out->more = 1;
            continue;
        }
        if (store_row_article(s, &out->items[out->n]) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        out->n++;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) {
        error_set(err, ERR_INTERNAL, "list failed: %s", sqlite3_errmsg(r->db));
        store_article_list_free(out);
        return -1;
    }
    return 0;
}

void store_hits_free(struct store_hits *hits)
{
    if (hits == NULL)
        return;
    for (size_t i = 0; i < hits->n; i++) {
        struct store_hit *h = &hits->items[i];
        free(h->id);
        free(h->title);
        free(h->source);
        free(h->published_at);
        free(h->snippet);
    }
    free(hits->items);
    memset(hits, 0, sizeof *hits);
}

/* The FTS5 error for a bad MATCH expression is the client's fault. */
static void store_search_error(struct store_reader *r, int rc, struct error *err)
{
    const char *msg = sqlite3_errmsg(r->db);
    if ((rc & 0xff) == SQLITE_ERROR && strstr(msg, "fts5") != NULL)
        error_set(err, ERR_INVALID, "the search query is not valid: %s", msg);
    else
        error_set(err, ERR_INTERNAL, "search failed: %s", msg);
}

static const char SQL_SEARCH_RANK[] =
    "SELECT a.id, a.title, a.source, a.published_at, f.rank, a.ts, a.seq,"
    " html_snippet(articles_fts, 1, 24)"
    " FROM articles_fts f JOIN articles a ON a.seq = f.rowid"
    " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2"
    " AND (?3 IS NULL OR a.source = ?3) AND a.ts >= ?4 AND a.ts < ?5"
    " ORDER BY f.rank, f.rowid LIMIT ?8 OFFSET ?9";

static const char SQL_SEARCH_NEWEST[] =
    "SELECT a.id, a.title, a.source, a.published_at, f.rank, a.ts, a.seq,"
    " html_snippet(articles_fts, 1, 24)"
    " FROM articles_fts f JOIN articles a ON a.seq = f.rowid"
    " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2"
    " AND (?3 IS NULL OR a.source = ?3) AND a.ts >= ?4 AND a.ts < ?5"
    " AND (?6 IS NULL OR a.ts < ?6 OR (a.ts = ?6 AND a.seq < ?7))"
    " ORDER BY a.ts DESC, a.seq DESC LIMIT ?8";

static const char SQL_SEARCH_TOTAL[] =
    "SELECT count(*) FROM articles_fts f JOIN articles a ON a.seq = f.rowid"
    " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2"
    " AND (?3 IS NULL OR a.source = ?3) AND a.ts >= ?4 AND a.ts < ?5";

static void store_search_bind_common(sqlite3_stmt *s, const struct store_search_query *q,
                                     int64_t max_seq)
{
    sqlite3_bind_text(s, 1, q->match, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, max_seq);
    if (q->source != NULL)
        sqlite3_bind_text(s, 3, q->source, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_int64(s, 4, q->from);
    sqlite3_bind_int64(s, 5, q->to);
}

int store_search(struct store *st, const struct store_search_query *q, struct store_hits *out,
                 struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;
    unsigned limit = q->limit ? q->limit : 20;
    int64_t max_seq = q->max_seq;
    int rc;

    memset(out, 0, sizeof *out);
    out->total = -1;
    if (r == NULL)
        return -1;

    /* The first page fixes a snapshot bound, so later pages neither repeat
     * nor skip hits when articles arrive in between. */
    if (max_seq <= 0) {
        s = store_reader_stmt(r, RSTMT_MAX_SEQ, "SELECT coalesce(max(seq), 0) FROM articles");
        if (s == NULL || sqlite3_step(s) != SQLITE_ROW) {
            error_set(err, ERR_INTERNAL, "search failed: %s", sqlite3_errmsg(r->db));
            if (s)
                sqlite3_reset(s);
            return -1;
        }
        max_seq = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    out->max_seq = max_seq;

    if (q->want_total) {
        s = store_reader_stmt(r, RSTMT_SEARCH_TOTAL, SQL_SEARCH_TOTAL);
        if (s == NULL) {
            error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
            return -1;
        }
        store_search_bind_common(s, q, max_seq);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            out->total = sqlite3_column_int64(s, 0);
        else
            store_search_error(r, rc, err);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_ROW)
            return -1;
    }

    if (q->sort == STORE_SORT_NEWEST)
        s = store_reader_stmt(r, RSTMT_SEARCH_NEWEST, SQL_SEARCH_NEWEST);
    else
        s = store_reader_stmt(r, RSTMT_SEARCH_RANK, SQL_SEARCH_RANK);
    if (s == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    out->items = calloc(limit + 1, sizeof *out->items);
    if (out->items == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    store_search_bind_common(s, q, max_seq);
    if (q->sort == STORE_SORT_NEWEST && q->has_after) {
        sqlite3_bind_int64(s, 6, q->after_ts);
        sqlite3_bind_int64(s, 7, q->after_seq);
    }
    sqlite3_bind_int64(s, 8, (sqlite3_int64)limit + 1);
    if (q->sort == STORE_SORT_RELEVANCE)
        sqlite3_bind_int64(s, 9, q->offset);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_hit *h;
        if (out->n == limit) {
            out->more = 1;
            continue;
        }
        h = &out->items[out->n++];
        h->id = store_column_dup(s, 0);
        h->title = store_column_dup(s, 1);
        h->source = store_column_dup(s, 2);
        h->published_at = store_column_dup(s, 3);
        h->rank = sqlite3_column_double(s, 4);
        h->score = -h->rank;
        h->ts = sqlite3_column_int64(s, 5);
        h->seq = sqlite3_column_int64(s, 6);
        h->snippet = store_column_dup(s, 7);
        if (h->id == NULL || h->title == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        store_search_error(r, rc, err);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) {
        store_hits_free(out);
        return -1;
    }
    return 0;
}
