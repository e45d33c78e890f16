/* store_entities.c: entities in the store. Writes run inside the writer's
 * group transaction and keep the per-entity counts exact under insert,
 * replace and delete; reads rank entities, list their articles and find the
 * entities that co-occur with one. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

/* ---- writes (writer thread only) ----------------------------------------- */

static const char SQL_ENT_OLD[] = "SELECT eid, mentions FROM article_entities WHERE seq = ?1";
static const char SQL_ENT_UNCOUNT[] =
    "UPDATE entities SET articles = articles - 1, mentions = mentions - ?2 WHERE eid = ?1";
static const char SQL_ENT_UNLINK[] = "DELETE FROM article_entities WHERE seq = ?1";
static const char SQL_ENT_UNMENTION[] = "DELETE FROM article_mentions WHERE seq = ?1";
static const char SQL_ENT_UPSERT[] =
    "INSERT INTO entities (id, key, name, name_fold, type, articles, mentions)"
    " VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)"
    " ON CONFLICT (key) DO UPDATE SET articles = articles + 1, mentions = mentions + ?6"
    " RETURNING eid";
static const char SQL_ENT_ALIAS[] =
    "INSERT OR IGNORE INTO entity_aliases (eid, alias, alias_fold) VALUES (?1, ?2, ?3)";
static const char SQL_ENT_LINK[] =
    "INSERT OR REPLACE INTO article_entities (seq, eid, mentions, ts) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_ENT_MENTION[] =
    "INSERT OR REPLACE INTO article_mentions (seq, data) VALUES (?1, ?2)";

static void put_le64(unsigned char *p, int64_t v)
{
    for (int b = 0; b < 8; b++)
        p[b] = (unsigned char)((uint64_t)v >> (8 * b));
}

static int64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int b = 0; b < 8; b++)
        v |= (uint64_t)p[b] << (8 * b);
    return (int64_t)v;
}
static const char SQL_ENT_DONE[] = "UPDATE articles SET entities_done = 1 WHERE seq = ?1";

static int step_done(struct store *st, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(st->wdb);
}

int store_entities_remove(struct store *st, int64_t seq)
{
    sqlite3_stmt *old = store_writer_stmt(st, WSTMT_ENT_OLD, SQL_ENT_OLD);
    sqlite3_stmt *unc = store_writer_stmt(st, WSTMT_ENT_UNCOUNT, SQL_ENT_UNCOUNT);
    sqlite3_stmt *unl = store_writer_stmt(st, WSTMT_ENT_UNLINK, SQL_ENT_UNLINK);
    sqlite3_stmt *unm = store_writer_stmt(st, WSTMT_ENT_UNMENTION, SQL_ENT_UNMENTION);
    int64_t *eids = NULL, *counts = NULL;
    size_t n = 0, cap = 0;
    int rc = SQLITE_OK;

    if (old == NULL || unc == NULL || unl == NULL || unm == NULL)
        return sqlite3_errcode(st->wdb);
    sqlite3_bind_int64(old, 1, seq);
    while ((rc = sqlite3_step(old)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            int64_t *e = realloc(eids, ncap * sizeof *e), *c;
            if (e == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            eids = e;
            c = realloc(counts, ncap * sizeof *c);
            if (c == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            counts = c;
            cap = ncap;
        }
        eids[n] = sqlite3_column_int64(old, 0);
        counts[n++] = sqlite3_column_int64(old, 1);
    }
    sqlite3_reset(old);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        sqlite3_bind_int64(unc, 1, eids[i]);
        sqlite3_bind_int64(unc, 2, counts[i]);
        rc = step_done(st, unc);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(unl, 1, seq);
        rc = step_done(st, unl);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(unm, 1, seq);
        rc = step_done(st, unm);
    }
    free(eids);
    free(counts);
    return rc;
}

int store_entities_write(struct store *st, int64_t seq, int64_t ts,
                         const struct store_entity_set *set)
{
    sqlite3_stmt *ups = store_writer_stmt(st, WSTMT_ENT_UPSERT, SQL_ENT_UPSERT);
    sqlite3_stmt *ali = store_writer_stmt(st, WSTMT_ENT_ALIAS, SQL_ENT_ALIAS);
    sqlite3_stmt *lnk = store_writer_stmt(st, WSTMT_ENT_LINK, SQL_ENT_LINK);
    sqlite3_stmt *men = store_writer_stmt(st, WSTMT_ENT_MENTION, SQL_ENT_MENTION);
    int64_t *eids = NULL;
    int rc = SQLITE_OK;

    if (ups == NULL || ali == NULL || lnk == NULL || men == NULL)
        return sqlite3_errcode(st->wdb);
    if (set->n > 0 && (eids = calloc(set->n, sizeof *eids)) == NULL)
        return SQLITE_NOMEM;
    for (size_t i = 0; i < set->n && rc == SQLITE_OK; i++) {
        const struct store_entity *e = &set->entities[i];
        sqlite3_bind_text(ups, 1, e->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ups, 2, e->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(ups, 3, e->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ups, 4, e->name_fold, -1, SQLITE_STATIC);
        sqlite3_bind_text(ups, 5, e->type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ups, 6, e->mentions);
        rc = sqlite3_step(ups);
        if ((rc & 0xff) == SQLITE_CONSTRAINT) {
            /* another key already has this readable id: disambiguate with a
             * hash of the key, which stays the same for this key forever */
            char alt[1200];
            uint32_t h = 2166136261u;
            for (const char *k = e->key; *k; k++)
                h = (h ^ (unsigned char)*k) * 16777619u;
            sqlite3_reset(ups);
            snprintf(alt, sizeof alt, "%.1100s-%08x", e->id, h);
            sqlite3_bind_text(ups, 1, alt, -1, SQLITE_TRANSIENT);
            rc = sqlite3_step(ups);
        }
        if (rc == SQLITE_ROW) {
            eids[i] = sqlite3_column_int64(ups, 0);
            rc = SQLITE_OK;
        } else {
            rc = sqlite3_errcode(st->wdb);
        }
        sqlite3_reset(ups);
        for (size_t k = 0; k < e->naliases && rc == SQLITE_OK; k++) {
            sqlite3_bind_int64(ali, 1, eids[i]);
            sqlite3_bind_text(ali, 2, e->aliases[k], -1, SQLITE_STATIC);
            sqlite3_bind_text(ali, 3, e->alias_folds[k], -1, SQLITE_STATIC);
            rc = step_done(st, ali);
        }
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(lnk, 1, seq);
            sqlite3_bind_int64(lnk, 2, eids[i]);
            sqlite3_bind_int64(lnk, 3, e->mentions);
            sqlite3_bind_int64(lnk, 4, ts);
            rc = step_done(st, lnk);
        }
    }
    if (rc == SQLITE_OK && set->nmentions > 0) {
        /* all mentions in one row: one insert instead of one per mention */
        unsigned char *blob = malloc(set->nmentions * 40), *p = blob;
        if (blob == NULL) {
            rc = SQLITE_NOMEM;
        } else {
            for (size_t m = 0; m < set->nmentions; m++) {
                const struct store_mention *mn = &set->mentions[m];
                if (mn->entity >= set->n)
                    continue;
                put_le64(p, mn->start);
                put_le64(p + 8, mn->end);
                put_le64(p + 16, mn->bstart);
                put_le64(p + 24, mn->bend);
                put_le64(p + 32, eids[mn->entity]);
                p += 40;
            }
            sqlite3_bind_int64(men, 1, seq);
            sqlite3_bind_blob(men, 2, blob, (int)(p - blob), SQLITE_STATIC);
            rc = step_done(st, men);
            sqlite3_clear_bindings(men);
            free(blob);
        }
    }
    free(eids);
    return rc;
}

int store_entities_done(struct store *st, int64_t seq)
{
    sqlite3_stmt *s = store_writer_stmt(st, WSTMT_ENT_DONE, SQL_ENT_DONE);
    if (s == NULL)
        return sqlite3_errcode(st->wdb);
    sqlite3_bind_int64(s, 1, seq);
    return step_done(st, s);
}

/* ---- reads ---------------------------------------------------------------- */

void store_entity_row_clear(struct store_entity_row *r)
{
    free(r->id);
    free(r->name);
    free(r->type);
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
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_ENT_ALIASES,
                                        "SELECT alias FROM entity_aliases WHERE eid = ?1 LIMIT 50");
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

#define ENT_COLS "e.eid, e.id, e.name, e.type, e.articles, e.mentions"

int store_entity_get(struct store *st, const char *id, struct store_entity_row *out,
                     struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;
    int rc, ret = -1;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    s = store_reader_stmt(r, RSTMT_ENT_GET,
                          "SELECT " ENT_COLS " FROM entities e WHERE e.id = ?1 AND e.articles > 0");
    if (s == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
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
        error_set(err, ERR_INTERNAL, "read failed: %s", sqlite3_errmsg(r->db));
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (ret == 0 && load_aliases(r, out) != 0) {
        error_set(err, ERR_INTERNAL, "read failed: %s", sqlite3_errmsg(r->db));
        ret = -1;
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
        error_set(err, ERR_INTERNAL, "read failed: %s", sqlite3_errstr(rc));
        store_entity_rows_free(out);
        return -1;
    }
    for (size_t i = 0; with_aliases && i < out->n; i++)
        if (load_aliases(r, &out->items[i]) != 0) {
            error_set(err, ERR_INTERNAL, "read failed: %s", sqlite3_errmsg(r->db));
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
    char *hi = NULL;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    if (windowed)
        /* counts within the window, from the article links */
        s = store_reader_stmt(
            r, RSTMT_ENT_LIST_WINDOW,
            "SELECT e.eid, e.id, e.name, e.type, count(*) AS n, sum(ae.mentions)"
            " FROM article_entities ae JOIN entities e ON e.eid = ae.eid"
            " WHERE ae.ts >= ?1 AND ae.ts < ?2 AND (?3 IS NULL OR e.type = ?3)"
            " AND (?4 IS NULL OR (e.name_fold >= ?4 AND e.name_fold < ?5) OR e.eid IN"
            "  (SELECT eid FROM entity_aliases WHERE alias_fold >= ?4 AND alias_fold < ?5))"
            " GROUP BY e.eid ORDER BY n DESC, e.eid LIMIT ?6 OFFSET ?7");
    else
        s = store_reader_stmt(
            r, RSTMT_ENT_LIST,
            "SELECT " ENT_COLS " FROM entities e"
            " WHERE e.articles > 0 AND ?1 <= ?2 AND (?3 IS NULL OR e.type = ?3)"
            " AND (?4 IS NULL OR (e.name_fold >= ?4 AND e.name_fold < ?5) OR e.eid IN"
            "  (SELECT eid FROM entity_aliases WHERE alias_fold >= ?4 AND alias_fold < ?5))"
            " ORDER BY e.articles DESC, e.eid LIMIT ?6 OFFSET ?7");
    if (s == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
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
    int ret = collect_rows(r, s, q->limit ? q->limit : 20, out, 1, err);
    free(hi);
    return ret;
}

int store_entity_related(struct store *st, int64_t eid, unsigned limit,
                         struct store_entity_rows *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s, *tot, *self;
    double n_all, n_self;
    struct store_entity_rows all = {0};
    int rc;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    tot = store_reader_stmt(r, RSTMT_COUNT, "SELECT count(*) FROM articles");
    self = store_reader_stmt(r, RSTMT_ENT_SELF, "SELECT articles FROM entities WHERE eid = ?1");
    /* co-occurrence over the entity's newest 5,000 articles, so a very
     * common entity costs a bounded amount */
    s = store_reader_stmt(
        r, RSTMT_ENT_RELATED,
        "SELECT e.eid, e.id, e.name, e.type, e.articles, count(*) AS together"
        " FROM (SELECT seq FROM article_entities WHERE eid = ?1 ORDER BY ts DESC, seq DESC"
        "       LIMIT 5000) mine"
        " JOIN article_entities o ON o.seq = mine.seq AND o.eid <> ?1"
        " JOIN entities e ON e.eid = o.eid"
        " GROUP BY e.eid");
    if (tot == NULL || self == NULL || s == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
    rc = sqlite3_step(tot);
    n_all = rc == SQLITE_ROW ? (double)sqlite3_column_int64(tot, 0) : 0;
    sqlite3_reset(tot);
    sqlite3_bind_int64(self, 1, eid);
    rc = sqlite3_step(self);
    n_self = rc == SQLITE_ROW ? (double)sqlite3_column_int64(self, 0) : 0;
    sqlite3_reset(self);
    sqlite3_bind_int64(s, 1, eid);
    all.items = NULL;
    {
        size_t cap = 0;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            struct store_entity_row row;
            double together, n_other;
            if (row_from(s, &row) != 0) {
                store_entity_row_clear(&row);
                rc = SQLITE_NOMEM;
                break;
            }
            row.together = sqlite3_column_int64(s, 5);
            together = (double)row.together;
            n_other = (double)row.articles;
            /* Pointwise mutual information weighted by the evidence:
             * together * log(together * N / (n_self * n_other)). PMI alone
             * favours one-off pairs, raw counts favour whatever is frequent
             * everywhere ("United States"); the product ranks the partners
             * that appear with this entity far more often than chance. */
            row.score = n_self > 0 && n_other > 0 && n_all > 0
                            ? together * log(together * n_all / (n_self * n_other))
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
    sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_DONE) {
        error_set(err, ERR_INTERNAL, "read failed: %s", sqlite3_errstr(rc));
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

int store_entity_articles(struct store *st, int64_t eid, const struct store_list_query *q,
                          struct store_article_list *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    s = store_reader_stmt(
        r, RSTMT_ENT_ARTICLES,
        "SELECT a.seq, a.id, a.title, NULL, a.url, a.source, a.author, a.language,"
        " a.published_at, a.tags, a.ts, a.ingested_at, a.content_hash, a.duplicate_of"
        " FROM article_entities ae JOIN articles a ON a.seq = ae.seq"
        " WHERE ae.eid = ?6 AND ae.ts >= ?1 AND ae.ts < ?2"
        " AND (ae.ts < ?3 OR (ae.ts = ?3 AND ae.seq < ?4))"
        " ORDER BY ae.ts DESC, ae.seq DESC LIMIT ?5");
    if (s == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    sqlite3_bind_int64(s, 6, eid);
    return store_list_collect(r, s, q, out, err);
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
    s = store_reader_stmt(r, RSTMT_ENT_OF_ARTICLE,
                          "SELECT " ENT_COLS " FROM article_entities ae JOIN entities e"
                          " ON e.eid = ae.eid WHERE ae.seq = ?1 ORDER BY e.eid LIMIT ?2");
    m = store_reader_stmt(r, RSTMT_ENT_MENTIONS,
                          "SELECT data FROM article_mentions WHERE seq = ?1");
    if (s == NULL || m == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_int64(s, 2, 100000);
    if (collect_rows(r, s, 100000, rows, 0, err) != 0) {
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
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
    sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_DONE) {
        error_set(err, ERR_INTERNAL, "read failed: %s", sqlite3_errstr(rc));
        store_entity_rows_free(rows);
        free(*mentions);
        *mentions = NULL;
        *nmentions = 0;
        return -1;
    }
    return 0;
}
