/* store_changes.c: the change feed, read from the change numbers the
 * writer gives every create, replace, delete and curation (store_write.c,
 * store_entity_curate.c) and every story a commit touched (store_story.c):
 * articles by their last change number (an expression index), deletes by
 * their tombstones, curations by their log, stories by theirs. One read
 * transaction per page, so the page, head and floor agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

const char *store_change_type_name(enum store_change_type t)
{
    switch (t) {
    case STORE_CHANGE_CREATED:
        return "article.created";
    case STORE_CHANGE_UPDATED:
        return "article.updated";
    case STORE_CHANGE_DELETED:
        return "article.deleted";
    case STORE_CHANGE_ENTITY_UPDATED:
        return "entity.updated";
    case STORE_CHANGE_ENTITY_MERGED:
        return "entity.merged";
    case STORE_CHANGE_ENTITY_BLOCKED:
        return "entity.blocked";
    case STORE_CHANGE_ENTITY_UNBLOCKED:
        return "entity.unblocked";
    case STORE_CHANGE_STORY_UPDATED:
        return "story.updated";
    case STORE_CHANGE_STORY_MERGED:
        return "story.merged";
    case STORE_CHANGE_STORY_DELETED:
        return "story.deleted";
    }
    return "article.updated";
}

void store_changes_free(struct store_changes *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].id);
        free(c->items[i].source);
        free(c->items[i].at);
        free(c->items[i].into);
    }
    free(c->items);
    memset(c, 0, sizeof *c);
}

/* Unix seconds as RFC 3339 UTC; a new string or NULL. */
static char *changes_time(int64_t secs)
{
    time_t t = (time_t)secs;
    struct tm tm;
    char buf[32];
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return strdup("1970-01-01T00:00:00Z");
    return strdup(buf);
}

/* Reads head and floor into out. SQLite rc. */
static int changes_bounds(struct store_reader *r, struct store_changes *out)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_CHANGES_BOUNDS);
    int rc;
    if (s == NULL)
        return sqlite3_errcode(r->db);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->head = sqlite3_column_int64(s, 0);
        out->floor = sqlite3_column_int64(s, 1);
        rc = SQLITE_OK;
    }
    sqlite3_reset(s);
    return rc;
}

/* The page's rows into out. SQLite rc (SQLITE_NOMEM on allocation). */
static int changes_rows(struct store_reader *r, const struct store_change_query *q, int64_t upto,
                        unsigned limit, struct store_changes *out)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_CHANGES);
    int rc;

    if (s == NULL)
        return sqlite3_errcode(r->db);
    out->items = calloc(limit, sizeof *out->items);
    if (out->items == NULL)
        return SQLITE_NOMEM;
    sqlite3_bind_int64(s, 1, q->since);
    sqlite3_bind_int64(s, 2, upto);
    if (q->source != NULL)
        sqlite3_bind_text(s, 3, q->source, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_int(s, 4, (int)(q->types ? q->types : STORE_CHANGE_ALL));
    sqlite3_bind_int(s, 5, (int)limit);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && out->n < limit) {
        struct store_change *c = &out->items[out->n];
        c->seq = sqlite3_column_int64(s, 0);
        c->type = (enum store_change_type)sqlite3_column_int(s, 1);
        c->id = store_column_dup(s, 2);
        c->at = sqlite3_column_type(s, 3) != SQLITE_NULL ? store_column_dup(s, 3)
                                                          : changes_time(sqlite3_column_int64(s, 4));
        c->source = store_column_dup(s, 5);
        c->into = store_column_dup(s, 6);
        out->n++;
        if (c->id == NULL || c->at == NULL ||
            (c->source == NULL && sqlite3_column_type(s, 5) != SQLITE_NULL) ||
            (c->into == NULL && sqlite3_column_type(s, 6) != SQLITE_NULL)) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_changes(struct store *st, const struct store_change_query *q, struct store_changes *out,
                  struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    unsigned limit = q->limit ? q->limit : 20;
    int64_t upto;
    int rc, ret = -1;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    if (limit > STORE_CHANGES_MAX)
        limit = STORE_CHANGES_MAX;
    rc = store_read_begin(r);
    if (rc == SQLITE_OK)
        rc = changes_bounds(r, out);
    if (rc != SQLITE_OK) {
        store_error_from_sqlite(err, STORE_IO_READ, rc, r->db, "reading the change feed failed");
        goto done;
    }
    if (q->since < out->floor) {
        error_set_field(err, ERR_GONE, "since",
                        "changes up to %lld are no longer kept (deletes are kept "
                        "--tombstone-days): resume from since=%lld after re-reading the articles",
                        (long long)out->floor, (long long)out->floor);
        goto done;
    }
    if (q->since > out->head) {
        error_set_field(err, ERR_GONE, "since",
                        "since=%lld is past this store's last change (%lld): it was restored or "
                        "replaced; resume from since=%lld after re-reading the articles",
                        (long long)q->since, (long long)out->head, (long long)out->floor);
        goto done;
    }
    /* bounded: at most STORE_CHANGES_SCAN numbers past since are read */
    upto = q->since > out->head - STORE_CHANGES_SCAN ? out->head : q->since + STORE_CHANGES_SCAN;
    rc = changes_rows(r, q, upto, limit, out);
    if (rc != SQLITE_OK) {
        if (rc == SQLITE_NOMEM)
            error_set(err, ERR_INTERNAL, "out of memory");
        else
            store_error_from_sqlite(err, STORE_IO_READ, rc, r->db, "reading the change feed failed");
        goto done;
    }
    /* a full page resumes after its last change; a short one after all it looked at */
    out->next_since = out->n == limit ? out->items[out->n - 1].seq : upto;
    if (out->next_since < q->since)
        out->next_since = q->since;
    ret = 0;
done:
    store_read_end(r);
    if (ret != 0) { /* head and floor stay: where to resume */
        int64_t head = out->head, floor = out->floor;
        store_changes_free(out);
        out->head = head;
        out->floor = floor;
    }
    return ret;
}
