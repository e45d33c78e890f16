/* store_articles.c: articles by id and newest-first listings, each on the
 * calling thread's read connection with cached statements, always reset
 * after use so no read snapshot outlives its request. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

int store_row_article(sqlite3_stmt *s, struct article *a)
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
    if (sqlite3_column_count(s) > 14)
        a->story = sqlite3_column_int64(s, 14);
    if (sqlite3_column_count(s) > 15)
        a->language_detected = sqlite3_column_int(s, 15) != 0;
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
    s = store_reader_stmt(r, RSTMT_GET);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
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
        store_error_from_sqlite(err, STORE_IO_READ, rc, r->db, "read failed");
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

int store_list_collect(struct store_reader *r, sqlite3_stmt *s, const struct store_list_query *q,
                       struct store_article_list *out, struct error *err)
{
    unsigned limit = q->limit ? q->limit : 20;
    int rc;

    out->items = calloc(limit + 1, sizeof *out->items);
    if (out->items == NULL) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    sqlite3_bind_int64(s, 1, q->from);
    sqlite3_bind_int64(s, 2, q->to);
    sqlite3_bind_int64(s, 3, q->has_after ? q->after_ts : INT64_MAX);
    sqlite3_bind_int64(s, 4, q->has_after ? q->after_seq : INT64_MAX);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)limit + 1);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (out->n == limit) {
            out->more = 1;
            break;
        }
        if (store_row_article(s, &out->items[out->n]) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        out->n++;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        store_error_from_sqlite(err, STORE_IO_READ, rc, rc == SQLITE_NOMEM ? NULL : r->db,
                                "list failed");
        store_article_list_free(out);
        return -1;
    }
    return 0;
}

int store_article_list(struct store *st, const struct store_list_query *q,
                       struct store_article_list *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    s = store_reader_stmt(r, q->source != NULL ? RSTMT_LIST_SOURCE : RSTMT_LIST);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    if (q->source != NULL)
        sqlite3_bind_text(s, 6, q->source, -1, SQLITE_STATIC);
    return store_list_collect(r, s, q, out, err);
}
