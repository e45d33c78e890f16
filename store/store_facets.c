/* store_facets.c: facets over the in-memory column table (facets.h). The
 * table is loaded at open from articles and article_ents; the writer notes
 * every seq whose full-text or entity document a transaction changed
 * (store_fts_flush: every create, replace, delete, analysis and curation
 * changes one) and sets those rows again from the database after the commit,
 * before the new version is published (a deleted row is marked dead).
 * A count reads the matching seqs from the full-text index once and counts
 * them in the table: no row look-up, no JSON, per match. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/facets.h"
#include "store/store_int.h"

static const char *const facet_names[STORE_FACET_KINDS_] = {
    "source", "tag", "language", "author", "entity", "story", "day", "week", "month"};

const char *store_facet_name(enum store_facet_kind kind)
{
    return kind < STORE_FACET_KINDS_ ? facet_names[kind] : "?";
}

int store_facet_parse(const char *name, size_t len)
{
    for (int k = 0; k < STORE_FACET_KINDS_; k++)
        if (strlen(facet_names[k]) == len && memcmp(facet_names[k], name, len) == 0)
            return k;
    return -1;
}

/* The writer's statements (on wdb): the rows of a seq range with their
 * tags and entities as JSON, and the two JSON lists taken apart. */
enum { FSTMT_ROWS, FSTMT_TAGS, FSTMT_ENTS };
static const char *const fstmt_sql[] = {
    "SELECT a.seq, a.ts, a.source, a.author, a.language, a.tags, a.story, e.ents"
    " FROM articles a LEFT JOIN article_ents e ON e.seq = a.seq"
    " WHERE a.seq >= ?1 AND a.seq <= ?2 ORDER BY a.seq",
    "SELECT value FROM json_each(?1) WHERE type = 'text'",
    "SELECT json_extract(value, '$[0]') FROM json_each(?1)",
};

/* One row's lists read into growing arrays (reused across rows). */
struct facet_lists {
    char **tags;
    size_t ntags, tags_cap;
    int64_t *ents;
    size_t nents, ents_cap;
};

static void facet_lists_reset(struct facet_lists *l)
{
    for (size_t i = 0; i < l->ntags; i++)
        free(l->tags[i]);
    l->ntags = 0;
    l->nents = 0;
}

static void facet_lists_free(struct facet_lists *l)
{
    facet_lists_reset(l);
    free(l->tags);
    free(l->ents);
}

/* Reads the JSON list json through s into l (tags when tags, else eids),
 * at most FACET_LIST_MAX. SQLite rc. */
static int facet_lists_read(sqlite3_stmt *s, const char *json, int tags, struct facet_lists *l)
{
    int rc;
    if (json == NULL)
        return SQLITE_OK;
    sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (tags && l->ntags < FACET_LIST_MAX) {
            char *t;
            if (l->ntags == l->tags_cap) {
                size_t cap = l->tags_cap ? l->tags_cap * 2 : 16;
                char **bigger = realloc(l->tags, cap * sizeof *bigger);
                if (bigger == NULL) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                l->tags = bigger;
                l->tags_cap = cap;
            }
            t = strdup((const char *)sqlite3_column_text(s, 0));
            if (t == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            l->tags[l->ntags++] = t;
        } else if (!tags && l->nents < FACET_LIST_MAX) {
            if (l->nents == l->ents_cap) {
                size_t cap = l->ents_cap ? l->ents_cap * 2 : 32;
                int64_t *bigger = realloc(l->ents, cap * sizeof *bigger);
                if (bigger == NULL) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                l->ents = bigger;
                l->ents_cap = cap;
            }
            l->ents[l->nents++] = sqlite3_column_int64(s, 0);
        }
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Sets the rows of seqs [lo, hi] from the database: those not found are
 * marked dead. SQLite rc. */
static int store_facets_load(struct store *st, int64_t lo, int64_t hi)
{
    sqlite3_stmt *s = st->fstmts[FSTMT_ROWS];
    struct facet_lists l = {0};
    int64_t next = lo;
    int rc;

    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(s, 0);
        struct facet_article a = {0};
        for (; next < seq; next++)
            facet_table_kill(st->facets, next);
        next = seq + 1;
        facet_lists_reset(&l);
        rc = facet_lists_read(st->fstmts[FSTMT_TAGS], (const char *)sqlite3_column_text(s, 5), 1,
                              &l);
        if (rc == SQLITE_OK)
            rc = facet_lists_read(st->fstmts[FSTMT_ENTS], (const char *)sqlite3_column_text(s, 7),
                                  0, &l);
        if (rc != SQLITE_OK)
            break;
        a.ts = sqlite3_column_int64(s, 1);
        a.source = (const char *)sqlite3_column_text(s, 2);
        a.author = (const char *)sqlite3_column_text(s, 3);
        a.language = (const char *)sqlite3_column_text(s, 4);
        a.tags = (const char *const *)l.tags;
        a.ntags = l.ntags;
        a.story = sqlite3_column_int64(s, 6);
        a.ents = l.ents;
        a.nents = l.nents;
        if (facet_table_set(st->facets, seq, &a) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    facet_lists_free(&l);
    if (rc != SQLITE_DONE)
        return rc;
    if (hi != INT64_MAX)
        for (; next <= hi; next++)
            facet_table_kill(st->facets, next);
    return SQLITE_OK;
}

int store_facets_open(struct store *st, struct error *err)
{
    int rc = SQLITE_OK;

    st->facets = facet_table_new();
    if (st->facets == NULL)
        rc = SQLITE_NOMEM;
    for (size_t i = 0; i < sizeof st->fstmts / sizeof st->fstmts[0] && rc == SQLITE_OK; i++)
        rc = sqlite3_prepare_v3(st->wdb, fstmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                &st->fstmts[i], NULL);
    if (rc != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "cannot prepare the facet table: %s", sqlite3_errstr(rc));
        return -1;
    }
    /* A damaged page (a file too large for the check at open) fails the
     * requests that need it, as other reads do: here the facets, while the
     * rest of the service runs. */
    rc = store_facets_load(st, 1, INT64_MAX);
    if (rc != SQLITE_OK) {
        snprintf(st->facets_broken, sizeof st->facets_broken,
                 "the facet table could not be loaded at start: %s",
                 rc == SQLITE_NOMEM ? sqlite3_errstr(rc) : sqlite3_errmsg(st->wdb));
        facet_table_free(st->facets);
        st->facets = NULL;
    }
    return 0;
}

/* 0, or -1 with err when the table could not be loaded at open. */
static int store_facets_ready(struct store *st, struct error *err)
{
    if (st->facets != NULL)
        return 0;
    error_set(err, ERR_INTERNAL, "%s", st->facets_broken);
    return -1;
}

void store_facets_touch(struct store *st, int64_t seq)
{
    if (st->nfdirty == st->fdirty_cap) {
        size_t cap = st->fdirty_cap ? st->fdirty_cap * 2 : 1024;
        int64_t *bigger = realloc(st->fdirty, cap * sizeof *bigger);
        if (bigger == NULL) {
            st->fdirty_lost = 1;
            return;
        }
        st->fdirty = bigger;
        st->fdirty_cap = cap;
    }
    st->fdirty[st->nfdirty++] = seq;
}

static int store_facets_cmp_seq(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

void store_facets_committed(struct store *st, int ok)
{
    if (ok && st->facets != NULL) {
        int rc = SQLITE_OK;
        if (st->fdirty_lost) {
            rc = store_facets_load(st, 1, INT64_MAX); /* a mark was lost: all again */
        } else if (st->nfdirty > 0) {
            /* a run of consecutive seqs (a batch of new articles) is one
             * range read */
            qsort(st->fdirty, st->nfdirty, sizeof *st->fdirty, store_facets_cmp_seq);
            for (size_t i = 0, j; i < st->nfdirty && rc == SQLITE_OK; i = j) {
                for (j = i + 1; j < st->nfdirty && st->fdirty[j] - st->fdirty[j - 1] <= 1; j++)
                    ;
                rc = store_facets_load(st, st->fdirty[i], st->fdirty[j - 1]);
            }
        }
        /* a row that could not be read stays as it was until its next write */
        (void)rc;
    }
    st->nfdirty = 0;
    st->fdirty_lost = 0;
}

void store_facets_close(struct store *st)
{
    for (size_t i = 0; i < sizeof st->fstmts / sizeof st->fstmts[0]; i++) {
        sqlite3_finalize(st->fstmts[i]);
        st->fstmts[i] = NULL;
    }
    facet_table_free(st->facets);
    st->facets = NULL;
    free(st->fdirty);
    st->fdirty = NULL;
    st->nfdirty = st->fdirty_cap = 0;
}

size_t store_facets_bytes(struct store *st)
{
    return st->facets != NULL ? facet_table_bytes(st->facets) : 0;
}

void store_facets_free(struct store_facets *f)
{
    if (f == NULL)
        return;
    for (int k = 0; k < STORE_FACET_KINDS_; k++) {
        for (size_t i = 0; i < f->n[k]; i++) {
            free(f->items[k][i].value);
            free(f->items[k][i].name);
            free(f->items[k][i].type);
        }
        free(f->items[k]);
    }
    memset(f, 0, sizeof *f);
}

/* Counts the matches of q with seq <= max_seq into c: THE place that says
 * which articles a search matches, for facets (the full-text expression with
 * its filters from store_search_match, the entity's documents in ent_index;
 * the window and the source are checked by c on the rows, as the search
 * statements check them). Each match is read once. 0 or -1 with err. */
static int store_facets_matches(struct store_reader *r, const struct store_search_query *q,
                                int64_t max_seq, struct facet_count *c, struct error *err)
{
    sqlite3_stmt *s = NULL;
    char *match = NULL;
    int64_t seqs[4096];
    size_t n = 0;
    int rc = SQLITE_OK, ret = -1, in_txn = 0;

    char inc[(STORE_FILTER_VALUES_MAX + 2) * (STORE_ENTITY_TOKEN_MAX + 4)];
    char exc[sizeof inc];
    const char *ie = store_search_entities(q, 1, inc, sizeof inc);
    const char *xe = store_search_entities(q, 0, exc, sizeof exc);
    int fields = 0;

    for (int f = 0; f < STORE_FIELDS_; f++)
        fields |= q->fields[f].nin > 0 || q->fields[f].nout > 0;
    if (q->match == NULL && !fields && ie == NULL && xe == NULL) /* every article */
        return facet_count_all(c) == 0 ? 0 : (error_set(err, ERR_INTERNAL, "out of memory"), -1);
    /* the entity's rows alone when nothing else filters; else the full-text
     * expression of the query and its filters (a browse has one too) */
    if ((q->match != NULL || fields || xe != NULL) && (match = store_search_match(q)) == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    s = store_reader_stmt(r, match != NULL ? RSTMT_FACET_MATCHES : RSTMT_FACET_ENTITY_ROWS);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        goto out;
    }
    in_txn = store_read_begin(r) == SQLITE_OK;
    sqlite3_bind_int64(s, 2, max_seq > 0 ? max_seq : INT64_MAX);
    if (match != NULL) {
        sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
        if (ie != NULL)
            sqlite3_bind_text(s, 3, ie, -1, SQLITE_STATIC);
        if (xe != NULL)
            sqlite3_bind_text(s, 4, xe, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_text(s, 1, ie, -1, SQLITE_STATIC);
    }
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        seqs[n++] = sqlite3_column_int64(s, 0);
        if (n == sizeof seqs / sizeof seqs[0]) {
            if (facet_count_add(c, seqs, n) != 0)
                rc = SQLITE_NOMEM;
            n = 0;
        }
    }
    if (rc == SQLITE_DONE && facet_count_add(c, seqs, n) != 0)
        rc = SQLITE_NOMEM;
    else if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    if (rc != SQLITE_OK)
        store_error_from_sqlite(err, STORE_IO_READ, rc, rc == SQLITE_NOMEM ? NULL : r->db,
                                "facets failed");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    ret = rc == SQLITE_OK ? 0 : -1;
out:
    if (in_txn)
        store_read_end(r);
    free(match);
    return ret;
}

/* Takes c's values of the kinds in mask into out; entities get their public
 * id, name and type (one look-up per value shown). 0 or -1 with err. */
static int store_facets_take(struct store *st, struct store_reader *r, struct facet_count *c,
                             unsigned mask, size_t size, struct store_facets *out,
                             struct error *err)
{
    out->rows = facet_count_rows(c);
    for (int k = 0; k < STORE_FACET_KINDS_; k++) {
        struct facet_value *v = NULL;
        size_t n = 0, m = 0;
        if (!(mask & (1u << k)))
            continue;
        if (facet_count_top(c, (enum store_facet_kind)k, size, &v, &n) != 0)
            goto nomem;
        out->items[k] = calloc(n + 1, sizeof *out->items[k]);
        if (out->items[k] == NULL) {
            facet_values_free(v, n);
            goto nomem;
        }
        for (size_t i = 0; i < n; i++) {
            struct store_facet_value *o = &out->items[k][m];
            o->count = v[i].count;
            o->last_ts = v[i].last_ts;
            if (k == STORE_FACET_ENTITY) {
                sqlite3_stmt *s = r != NULL ? store_reader_stmt(r, RSTMT_FACET_ENTITY) : NULL;
                int rc = s == NULL ? SQLITE_ERROR : SQLITE_OK;
                if (s != NULL) {
                    sqlite3_bind_int64(s, 1, v[i].id);
                    rc = sqlite3_step(s);
                    if (rc == SQLITE_ROW) {
                        o->value = store_column_dup(s, 0);
                        o->name = store_column_dup(s, 1);
                        o->type = store_column_dup(s, 2);
                    }
                    sqlite3_reset(s);
                    sqlite3_clear_bindings(s);
                }
                if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
                    facet_values_free(v, n);
                    out->n[k] = m;
                    store_error_from_sqlite(err, STORE_IO_READ, rc, r != NULL ? r->db : NULL,
                                            "facets failed");
                    return -1;
                }
                if (rc == SQLITE_DONE) /* gone since (merged away): not shown */
                    continue;
            } else {
                o->value = v[i].value;
                v[i].value = NULL;
            }
            m++;
            out->n[k] = m;
            if (o->value == NULL) {
                facet_values_free(v, n);
                goto nomem;
            }
        }
        facet_values_free(v, n);
    }
    (void)st;
    return 0;
nomem:
    error_set(err, ERR_INTERNAL, "out of memory");
    return -1;
}

int store_facets(struct store *st, const struct store_search_query *q, int64_t max_seq,
                 unsigned mask, size_t size, struct store_facets *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    struct facet_count *c = NULL;
    int ret = -1;

    memset(out, 0, sizeof *out);
    if (r == NULL || store_facets_ready(st, err) != 0)
        return -1;
    c = facet_count_new(st->facets, mask, q->from, q->to, q->source);
    if (c == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    if (store_facets_matches(r, q, max_seq, c, err) == 0 &&
        store_facets_take(st, r, c, mask, size, out, err) == 0)
        ret = 0;
    facet_count_free(c);
    if (ret != 0)
        store_facets_free(out);
    return ret;
}

int store_facets_all(struct store *st, enum store_facet_kind kind, int64_t from, int64_t to,
                     size_t size, struct store_facets *out, struct error *err)
{
    struct facet_count *c;
    int ret = -1;

    memset(out, 0, sizeof *out);
    if (store_facets_ready(st, err) != 0)
        return -1;
    if (kind == STORE_FACET_ENTITY) {
        error_set(err, ERR_INTERNAL, "no entity list here");
        return -1;
    }
    c = facet_count_new(st->facets, 1u << kind, from, to, NULL);
    if (c == NULL || facet_count_all(c) != 0)
        error_set(err, ERR_INTERNAL, "out of memory");
    else if (store_facets_take(st, NULL, c, 1u << kind, size, out, err) == 0)
        ret = 0;
    facet_count_free(c);
    if (ret != 0)
        store_facets_free(out);
    return ret;
}
