/* store_entity_read.c: entities read back: one by id, ranked lists, the
 * articles that mention one, the entities that co-occur with one, and an
 * article's entities with its mentions. Counts are exact (store_stmts.c adds
 * the deltas not folded yet). Writes are in store_entity_write.c. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

static int64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int b = 0; b < 8; b++)
        v |= (uint64_t)p[b] << (8 * b);
    return (int64_t)v;
}

void store_entity_row_clear(struct store_entity_row *r)
{
    free(r->id);
    free(r->name);
    free(r->type);
    free(r->merged_into);
    for (size_t i = 0; i < r->naliases; i++)
        free(r->aliases[i]);
    free(r->aliases);
    memset(r, 0, sizeof *r);
}

void store_entity_rows_free(struct store_entity_rows *rows)
{
    if (rows == NULL)
        return;
    for (size_t i = 0; i < rows->n; i++)
        store_entity_row_clear(&rows->items[i]);
    free(rows->items);
    memset(rows, 0, sizeof *rows);
}

/* Fills r from columns eid, id, name, type, articles, mentions of s. */
static int row_from(sqlite3_stmt *s, struct store_entity_row *r)
{
    memset(r, 0, sizeof *r);
    r->eid = sqlite3_column_int64(s, 0);
    r->id = store_column_dup(s, 1);
    r->name = store_column_dup(s, 2);
    r->type = store_column_dup(s, 3);
    r->articles = sqlite3_column_int64(s, 4);
    r->mentions = sqlite3_column_int64(s, 5);
    return r->id && r->name && r->type ? 0 : -1;
}

static int load_aliases(struct store_reader *r, struct store_entity_row *row)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_ENT_ALIASES);
    size_t cap = 0;
    int rc;
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, row->eid);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(s, 0);
        if (a == NULL || strcmp(a, row->name) == 0)
            continue;
        if (row->naliases == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            char **bigger = realloc(row->aliases, ncap * sizeof *bigger);
            if (bigger == NULL)
                break;
            row->aliases = bigger;
            cap = ncap;
        }
        if ((row->aliases[row->naliases] = strdup(a)) != NULL)
            row->naliases++;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_entity_get(struct store *st, const char *id, struct store_entity_row *out,
                     struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;
    int rc, ret = -1;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    s = store_reader_stmt(r, RSTMT_ENT_GET);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        ret = row_from(s, out);
        if (ret != 0)
            error_set(err, ERR_INTERNAL, "out of memory");
    } else if (rc == SQLITE_DONE) {
        error_set(err, ERR_NOT_FOUND, "no entity with id '%s'", id);
    } else {
        store_error_from_sqlite(err, STORE_IO_READ, rc, r->db, "read failed");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (ret == 0 && load_aliases(r, out) != 0) {
        store_error_from_reader(err, r, "read failed");
        ret = -1;
    }
    if (ret == 0 && (s = store_reader_stmt(r, RSTMT_ENT_CURATION)) == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        ret = -1;
    } else if (ret == 0) {
        sqlite3_bind_int64(s, 1, out->eid);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            out->merged_into = store_column_dup(s, 0);
            out->blocked = sqlite3_column_int(s, 1);
        } else if (rc != SQLITE_DONE) {
            store_error_from_sqlite(err, STORE_IO_READ, rc, r->db, "read failed");
            ret = -1;
        }
        sqlite3_reset(s);
    }
    if (ret != 0)
        store_entity_row_clear(out);
    return ret;
}

/* Runs s (bound) and collects up to limit rows (+1 to tell `more`). */
static int collect_rows(struct store_reader *r, sqlite3_stmt *s, unsigned limit,
                        struct store_entity_rows *out, int with_aliases, struct error *err)
{
    int rc;
    out->items = calloc(limit + 1, sizeof *out->items);
    if (out->items == NULL) {
        sqlite3_reset(s);
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (out->n == limit) {
            out->more = 1;
            break;
        }
        if (row_from(s, &out->items[out->n]) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        out->n++;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        store_error_from_sqlite(err, STORE_IO_READ, rc, NULL, "read failed");
        store_entity_rows_free(out);
        return -1;
    }
    for (size_t i = 0; with_aliases && i < out->n; i++)
        if (load_aliases(r, &out->items[i]) != 0) {
            store_error_from_reader(err, r, "read failed");
            store_entity_rows_free(out);
            return -1;
        }
    return 0;
}

int store_entity_list(struct store *st, const struct store_entity_query *q,
                      struct store_entity_rows *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    int windowed = q->from != INT64_MIN || q->to != INT64_MAX;
    sqlite3_stmt *s;
    char *hi = NULL, *ex = NULL;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    if (windowed)
        /* counts within the window: the window's articles (by time), then
         * their links */
        s = store_reader_stmt(r, RSTMT_ENT_LIST_WINDOW);
    else
        s = store_reader_stmt(r, RSTMT_ENT_LIST);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    sqlite3_bind_int64(s, 1, q->from);
    sqlite3_bind_int64(s, 2, q->to);
    if (q->type)
        sqlite3_bind_text(s, 3, q->type, -1, SQLITE_STATIC);
    if (q->prefix != NULL && q->prefix[0] != '\0') {
        /* [prefix, prefix + U+10FFFF): every string that starts with it */
        size_t n = strlen(q->prefix);
        hi = malloc(n + 5);
        if (hi == NULL) {
            sqlite3_reset(s);
            error_set(err, ERR_INTERNAL, "out of memory");
            return -1;
        }
        memcpy(hi, q->prefix, n);
        memcpy(hi + n, "\xf4\x8f\xbf\xbf", 5);
        sqlite3_bind_text(s, 4, q->prefix, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, hi, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(s, 6, (sqlite3_int64)(q->limit ? q->limit : 20) + 1);
    sqlite3_bind_int64(s, 7, q->offset);
    if (q->nexclude > 0) {
        /* at most STORE_ENT_EXCLUDE_MAX eids of 20 digits and a comma */
        size_t n = q->nexclude < STORE_ENT_EXCLUDE_MAX ? q->nexclude : STORE_ENT_EXCLUDE_MAX;
        char *p;
        ex = malloc(n * 22 + 3);
        if (ex == NULL) {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            free(hi);
            error_set(err, ERR_INTERNAL, "out of memory");
            return -1;
        }
        p = ex;
        *p++ = '[';
        for (size_t i = 0; i < n; i++)
            p += sprintf(p, "%s%lld", i ? "," : "", (long long)q->exclude[i]);
        *p++ = ']';
        *p = '\0';
        sqlite3_bind_text(s, 8, ex, -1, SQLITE_STATIC);
    }
    int ret = collect_rows(r, s, q->limit ? q->limit : 20, out, 1, err);
    free(hi);
    free(ex);
    return ret;
}

/* Pseudo-articles that mention neither entity, added to the store's count
 * in the related score's background rate (see store_entity_related). */
#define RELATED_PRIOR_ARTICLES 100.0

int store_entity_related(struct store *st, int64_t eid, int64_t from, int64_t to, unsigned limit,
                         struct store_entity_rows *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;
    double n_all;
    struct store_entity_rows all = {0};
    char token[STORE_ENTITY_TOKEN_MAX];
    int rc;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;

    /* co-occurrence over the entity's 5,000 most recently stored articles
     * of the window, so a very common entity costs a bounded amount */
    s = store_reader_stmt(r, RSTMT_ENT_RELATED);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    store_read_begin(r);
    n_all = (double)store_article_count(st);
    sqlite3_bind_int64(s, 1, eid);
    store_entity_token(eid, token);
    sqlite3_bind_text(s, 2, token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, from);
    sqlite3_bind_int64(s, 4, to);
    all.items = NULL;
    {
        size_t cap = 0;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            struct store_entity_row row;
            double together, n_other, n_self;
            if (row_from(s, &row) != 0) {
                store_entity_row_clear(&row);
                rc = SQLITE_NOMEM;
                break;
            }
            row.together = sqlite3_column_int64(s, 5);
            together = (double)row.together;
            n_other = (double)row.articles;
            n_self = (double)sqlite3_column_int64(s, 6);
            /* Pointwise mutual information weighted by the evidence (local
             * mutual information): together * log(P(other | self) /
             * P(other)), P(other | self) = together / n_self over the
             * articles read (the window's), P(other) = n_other / (N + K)
             * over the whole store. PMI alone favours one-off pairs, raw
             * counts favour whatever is frequent everywhere ("United
             * States"); the product ranks the partners that appear with
             * this entity far more often than chance. K pseudo-articles
             * that mention neither are a prior on the background rate: on
             * five articles that all mention the entity every partner is
             * exactly as frequent with it as without (PMI 0 for all), while
             * news at large mentions none of them that often; the prior
             * adds together * log(1 + K / N), so on a few articles the
             * co-occurrence count ranks and on thousands PMI does. */
            row.score = n_self > 0 && n_other > 0
                            ? together * log(together * (n_all + RELATED_PRIOR_ARTICLES) /
                                             (n_self * n_other))
                            : 0;
            if (all.n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                struct store_entity_row *bigger = realloc(all.items, ncap * sizeof *bigger);
                if (bigger == NULL) {
                    store_entity_row_clear(&row);
                    rc = SQLITE_NOMEM;
                    break;
                }
                all.items = bigger;
                cap = ncap;
            }
            all.items[all.n++] = row;
        }
    }
    sqlite3_reset(s);
    store_read_end(r);
    if (rc != SQLITE_DONE) {
        store_error_from_sqlite(err, STORE_IO_READ, rc, NULL, "read failed");
        store_entity_rows_free(&all);
        return -1;
    }
    /* best first; ties: more articles together, then id */
    for (size_t i = 1; i < all.n; i++) {
        struct store_entity_row x = all.items[i];
        size_t j = i;
        while (j > 0 &&
               (all.items[j - 1].score < x.score ||
                (all.items[j - 1].score == x.score && all.items[j - 1].together < x.together))) {
            all.items[j] = all.items[j - 1];
            j--;
        }
        all.items[j] = x;
    }
    while (all.n > limit)
        store_entity_row_clear(&all.items[--all.n]);
    *out = all;
    return 0;
}

/* An entity's articles newest first: with few of them, each is looked up and
 * they are sorted; with many, the articles' time index is walked from the
 * newest end and stops at the page, probing the entity's articles (an FTS5
 * doclist read once, no scoring). */
#define ENTITY_WALK_MIN_ARTICLES 2000

int store_entity_articles(struct store *st, int64_t eid, const struct store_list_query *q,
                          struct store_article_list *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s, *n;
    char token[STORE_ENTITY_TOKEN_MAX];
    long long articles = 0;
    int ret;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    n = store_reader_stmt(r, RSTMT_ENT_SELF);
    if (n == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    sqlite3_bind_int64(n, 1, eid);
    if (sqlite3_step(n) == SQLITE_ROW)
        articles = sqlite3_column_int64(n, 0);
    sqlite3_reset(n);
    if (articles >= ENTITY_WALK_MIN_ARTICLES)
        s = store_reader_stmt(r, RSTMT_ENT_ARTICLES_WALK);
    else
        s = store_reader_stmt(r, RSTMT_ENT_ARTICLES);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    store_entity_token(eid, token);
    sqlite3_bind_text(s, 6, token, -1, SQLITE_TRANSIENT);
    ret = store_list_collect(r, s, q, out, err);
    return ret;
}

int store_article_entities(struct store *st, int64_t seq, struct store_entity_rows *rows,
                           struct store_article_mention **mentions, size_t *nmentions,
                           struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s, *m;
    int rc;

    memset(rows, 0, sizeof *rows);
    *mentions = NULL;
    *nmentions = 0;
    if (r == NULL)
        return -1;
    s = store_reader_stmt(r, RSTMT_ENT_OF_ARTICLE);
    m = store_reader_stmt(r, RSTMT_ENT_MENTIONS);
    if (s == NULL || m == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    store_read_begin(r);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_int64(s, 2, 100000);
    if (collect_rows(r, s, 100000, rows, 0, err) != 0) {
        store_read_end(r);
        return -1;
    }
    sqlite3_bind_int64(m, 1, seq);
    rc = sqlite3_step(m);
    if (rc == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_blob(m, 0);
        size_t n = (size_t)sqlite3_column_bytes(m, 0) / 40;
        *mentions = calloc(n + 1, sizeof **mentions);
        if (*mentions == NULL) {
            rc = SQLITE_NOMEM;
        } else {
            for (size_t i = 0; i < n; i++, p += 40) {
                int64_t eid = get_le64(p + 32);
                size_t k = 0;
                while (k < rows->n && rows->items[k].eid != eid)
                    k++;
                if (k == rows->n)
                    continue;
                (*mentions)[(*nmentions)++] = (struct store_article_mention){
                    get_le64(p), get_le64(p + 8), get_le64(p + 16), get_le64(p + 24), k};
            }
            rc = SQLITE_DONE;
        }
    }
    sqlite3_reset(m);
    store_read_end(r);
    if (rc != SQLITE_DONE) {
        store_error_from_sqlite(err, STORE_IO_READ, rc, NULL, "read failed");
        store_entity_rows_free(rows);
        free(*mentions);
        *mentions = NULL;
        *nmentions = 0;
        return -1;
    }
    return 0;
}
