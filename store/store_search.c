/* store_search.c: full-text search. store_search makes the counts
 * search_plan asks for, then runs the plan's strategy with one executor per
 * strategy, all in one read transaction (one snapshot for every count and
 * both phases of a page). */
#include <stdlib.h>
#include <string.h>

#include "store/search_plan.h"
#include "store/store_int.h"

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
        free(h->title_html);
        store_hit_card_clear(h);
    }
    free(hits->items);
    memset(hits, 0, sizeof *hits);
}

/* The query's own terms are kept to title and body when one could match a
 * filter token (schema.h, SCHEMA_SRC_TOKENS: all start "zz"): a prefix
 * ("ab" *), or a term holding "zz" in any case, or any letter outside ASCII
 * (the tokenizer folds case and drops diacritics: "ẐZS..." is "zzs..."). A
 * false alarm only costs the column check. */
static int store_search_may_reach_src(const char *match)
{
    if (strstr(match, "\" *") != NULL || strcasestr(match, "zz") != NULL)
        return 1;
    for (const unsigned char *p = (const unsigned char *)match; *p; p++)
        if (*p >= 0x80)
            return 1;
    return 0;
}

/* The token prefix of each value field (schema.h), in enum store_field order. */
static const char store_field_prefix[STORE_FIELDS_][4] = {"zzs", "zzt", "zzl", "zza"};

/* Bytes that store_search_group may write for these values (and one more
 * value of extra_len bytes, when extra_len > 0). */
static size_t store_search_group_size(const char *const *v, size_t n, size_t extra_len)
{
    size_t size = 16 + (extra_len ? 2 * extra_len + 12 : 0);
    for (size_t i = 0; i < n; i++)
        size += 2 * strlen(v[i]) + 12;
    return size;
}

/* Writes at m `src : ("zzXhexq" OR ...)` for values v[0..n) and extra (when
 * not NULL), each its bytes in upper-case hex (so no user byte reaches FTS5
 * as itself). Returns the bytes written (NUL-terminated). */
static size_t store_search_group(char *m, const char *prefix, const char *const *v, size_t n,
                                 const char *extra)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = (size_t)sprintf(m, "src : (");
    for (size_t i = 0; i < n + (extra != NULL); i++) {
        const unsigned char *p = (const unsigned char *)(i < n ? v[i] : extra);
        k += (size_t)sprintf(m + k, "%s\"%s", i ? " OR " : "", prefix);
        for (; *p; p++) {
            m[k++] = hex[*p >> 4];
            m[k++] = hex[*p & 15];
        }
        m[k++] = 'q';
        m[k++] = '"';
    }
    m[k++] = ')';
    m[k] = '\0';
    return k;
}

char *store_search_match(const struct store_search_query *q)
{
    int in_fts = search_plan_source_in_fts(q), pos = 0, neg = 0;
    size_t size = 64, n = 0;
    char *m;

    if (q->match != NULL)
        size += strlen(q->match) + 32;
    for (int f = 0; f < STORE_FIELDS_; f++) {
        const struct store_values *v = &q->fields[f];
        size_t extra = f == STORE_FIELD_SOURCE && in_fts ? strlen(q->source) : 0;
        size += store_search_group_size(v->in, v->nin, extra) + 8;
        size += store_search_group_size(v->out, v->nout, 0) + 8;
    }
    m = malloc(size);
    if (m == NULL)
        return NULL;
    m[0] = '\0';
    if (q->match != NULL) {
        const char *cols = store_search_may_reach_src(q->match) ? "{title body} : " : "";
        n += (size_t)sprintf(m + n, "%s(%s)", cols, q->match);
        pos = 1;
    }
    /* each field's values OR'd, the fields AND'd */
    for (int f = 0; f < STORE_FIELDS_; f++) {
        const struct store_values *v = &q->fields[f];
        const char *extra = f == STORE_FIELD_SOURCE && in_fts ? q->source : NULL;
        if (v->nin == 0 && extra == NULL)
            continue;
        if (pos++)
            n += (size_t)sprintf(m + n, " AND ");
        n += store_search_group(m + n, store_field_prefix[f], v->in, v->nin, extra);
    }
    /* FTS5 has no NOT on its own: every article carries zzxq */
    if (!pos)
        n += (size_t)sprintf(m + n, "src : \"zzxq\"");
    for (int f = 0; f < STORE_FIELDS_; f++) {
        const struct store_values *v = &q->fields[f];
        if (v->nout == 0)
            continue;
        n += (size_t)sprintf(m + n, neg++ ? " OR " : " NOT (");
        n += store_search_group(m + n, store_field_prefix[f], v->out, v->nout, NULL);
    }
    if (neg)
        memcpy(m + n, ")", 2);
    return m;
}

/* The ent_index expression of entities one of which a row must mention
 * (include: entity and entities) or none of which (exclusions) into buf:
 * tokens OR'd. Returns buf, or NULL when there are none. */
const char *store_search_entities(const struct store_search_query *q, int include, char buf[],
                                  size_t size)
{
    const int64_t *v = include ? q->entities : q->xentities;
    size_t nv = include ? q->nentities : q->nxentities, n = 0;
    int any = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < nv + (include && q->entity != 0); i++) {
        char token[STORE_ENTITY_TOKEN_MAX];
        store_entity_token(i < nv ? v[i] : q->entity, token);
        if (n + strlen(token) + 5 >= size)
            break; /* cannot happen: the callers bound the counts */
        n += (size_t)snprintf(buf + n, size - n, "%s%s", any++ ? " OR " : "", token);
    }
    return any ? buf : NULL;
}

/* Binds what every search statement with filters shares: ?1 the match, ?2
 * the snapshot bound, ?3 the source, ?4/?5 the window, ?10/?13 the entities
 * to mention / not to mention. */
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
    /* an eid of -1 (nobody mentions the entity) matches no token */
    {
        char buf[(STORE_FILTER_VALUES_MAX + 2) * (STORE_ENTITY_TOKEN_MAX + 4)];
        const char *e = store_search_entities(q, 1, buf, sizeof buf);
        if (e != NULL)
            sqlite3_bind_text(s, 10, e, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(s, 10);
        e = store_search_entities(q, 0, buf, sizeof buf);
        if (e != NULL)
            sqlite3_bind_text(s, 13, e, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(s, 13);
    }
}

/* Steps s (bound) for its one integer column into *value (*value is left
 * as is when s gives no row: absent_ok says whether that is fine), resets
 * it. Returns 0, or -1 with err. */
static int store_search_scalar(struct store_reader *r, sqlite3_stmt *s, int absent_ok,
                               int64_t *value, struct error *err)
{
    int rc = sqlite3_step(s);

    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_ROW || (absent_ok && rc == SQLITE_DONE))
        return 0;
    store_error_from_sqlite(err, STORE_IO_READ, rc, r->db, "search failed");
    return -1;
}

/* The snapshot bound of the first page: its newest seq. 0 or -1 with err. */
static int store_search_max_seq(struct store_reader *r, int64_t *max_seq, struct error *err)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_MAX_SEQ);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    return store_search_scalar(r, s, 0, max_seq, err);
}

/* Runs count statement id for q (RSTMT_SEARCH_TOTAL: the matches passing
 * the filters at or above rowid floor; _TOTAL_FTS: every match, filters
 * aside; _COLLAPSE_TOTAL: copy groups; _STORY_TOTAL: stories) up to
 * max_seq. 0 or -1 with err. */
static int store_search_count(struct store_reader *r, const struct store_search_query *q,
                              enum store_rstmt id, int64_t max_seq, int64_t floor, long long *count,
                              struct error *err)
{
    sqlite3_stmt *s = store_reader_stmt(r, id);
    int64_t v = 0;

    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    if (id == RSTMT_SEARCH_TOTAL_FTS) {
        sqlite3_bind_text(s, 1, q->match, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, max_seq);
    } else {
        store_search_bind_common(s, q, max_seq);
        if (id == RSTMT_SEARCH_TOTAL)
            sqlite3_bind_int64(s, 11, floor);
    }
    if (store_search_scalar(r, s, 0, &v, err) != 0)
        return -1;
    *count = v;
    return 0;
}

/* The rowid of the window-th newest match (0: fewer matches): FTS5 walks its
 * doclists backwards, scoring nothing. 0 or -1 with err. */
static int store_search_floor(struct store_reader *r, const struct store_search_query *q,
                              int64_t max_seq, long long window, int64_t *floor, struct error *err)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_SEARCH_FLOOR);

    *floor = 0;
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    sqlite3_bind_text(s, 1, q->match, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, max_seq);
    sqlite3_bind_int64(s, 3, window - 1);
    return store_search_scalar(r, s, 1, floor, err);
}

/* Makes the count the plan needs into f. 0 or -1 with err. */
static int store_search_fact(struct store_reader *r, const struct store_search_query *q,
                             int64_t max_seq, enum search_need need, const struct search_plan *p,
                             struct search_facts *f, struct error *err)
{
    switch (need) {
    case SEARCH_NEED_ALL_MATCHES:
        return store_search_count(r, q, RSTMT_SEARCH_TOTAL_FTS, max_seq, 0, &f->all_matches, err);
    case SEARCH_NEED_FLOOR:
        f->window_tried = p->window;
        f->passing = -1;
        return store_search_floor(r, q, max_seq, p->window, &f->floor, err);
    case SEARCH_NEED_PASSING:
        return store_search_count(r, q, RSTMT_SEARCH_TOTAL, max_seq, f->floor, &f->passing, err);
    case SEARCH_NEED_NONE:
        break;
    }
    return 0;
}

/* ---- executors ----------------------------------------------------------- */

struct page_row {
    int64_t seq;
    double rank;
    long long copies;
    int64_t key; /* STORE_SORT_INGESTED: the change number */
};

/* Fills h from a row of RSTMT_SEARCH_RANK or RSTMT_SEARCH_ONE(_UNRANKED).
 * SQLite rc. */
static int store_search_hit(sqlite3_stmt *s, struct store_hit *h)
{
    h->id = store_column_dup(s, 0);
    h->title = store_column_dup(s, 1);
    h->source = store_column_dup(s, 2);
    h->published_at = store_column_dup(s, 3);
    h->rank = sqlite3_column_double(s, 4);
    h->score = -h->rank;
    h->ts = sqlite3_column_int64(s, 5);
    h->seq = sqlite3_column_int64(s, 6);
    h->snippet = store_column_dup(s, 7);
    h->title_html = store_column_dup(s, 8);
    h->copies = 1;
    return h->id && h->title ? SQLITE_OK : SQLITE_NOMEM;
}

/* Phase 2: renders rows[0, n) into out->items, in the rows' order; with
 * keep_rank, each hit keeps the rank and copies phase 1 gave its row. */
static int store_search_render(struct store_reader *r, enum store_rstmt id, const char *match,
                               const struct page_row *rows, size_t n, int keep_rank,
                               int no_snippet, struct store_hits *out)
{
    sqlite3_stmt *s = store_reader_stmt(r, id);
    struct store_hit *got = NULL;
    char *json = NULL, *p;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    size_t ngot = 0;
    int rc = SQLITE_OK;

    if (n == 0)
        return SQLITE_OK;
    if (s == NULL)
        return sqlite3_errcode(r->db);
    got = calloc(n, sizeof *got);
    json = malloc(n * 22 + 3);
    if (got == NULL || json == NULL) {
        free(got);
        free(json);
        return SQLITE_NOMEM;
    }
    p = json;
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        p += sprintf(p, "%s%lld", i ? "," : "", (long long)rows[i].seq);
        lo = rows[i].seq < lo ? rows[i].seq : lo;
        hi = rows[i].seq > hi ? rows[i].seq : hi;
    }
    *p++ = ']';
    *p = '\0';
    sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 3, hi);
    sqlite3_bind_text(s, 4, json, -1, SQLITE_STATIC);
    if (no_snippet)
        sqlite3_bind_int(s, 20, 1);
    while (rc == SQLITE_OK && ngot < n && (rc = sqlite3_step(s)) == SQLITE_ROW)
        rc = store_search_hit(s, &got[ngot++]);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        rc = SQLITE_OK;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    /* in the page's order (a row cannot vanish inside one read transaction) */
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
        for (size_t k = 0; k < ngot; k++)
            if (got[k].seq == rows[i].seq && got[k].id != NULL) {
                struct store_hit *h = &out->items[out->n++];
                *h = got[k];
                memset(&got[k], 0, sizeof got[k]);
                h->change = rows[i].key;
                if (keep_rank) {
                    h->copies = rows[i].copies;
                    h->rank = rows[i].rank; /* the group's best rank */
                    h->score = -h->rank;
                }
                break;
            }
    for (size_t k = 0; k < ngot; k++) {
        free(got[k].id);
        free(got[k].title);
        free(got[k].source);
        free(got[k].published_at);
        free(got[k].snippet);
        free(got[k].title_html);
    }
    free(got);
    free(json);
    return rc;
}

/* The two-phase strategies: runs s (bound but for ?8) for the page's rows
 * (seq, rank or the change number, copies), then renders them with match
 * (q's, or without a query the expression of every article it may show).
 * 0 or -1 with err; s is reset. */
static int store_search_two_phase(struct store_reader *r, const struct store_search_query *q,
                                  const char *match, int ranked, const struct search_plan *p,
                                  sqlite3_stmt *s, int keep_rank, struct store_hits *out,
                                  struct error *err)
{
    struct page_row *rows = calloc(p->limit + 1, sizeof *rows);
    size_t nrows = 0;
    int rc, ret = -1;

    if (rows == NULL) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    sqlite3_bind_int64(s, 8, (sqlite3_int64)p->limit + 1);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (nrows == p->limit) {
            out->more = 1;
            continue;
        }
        rows[nrows].seq = sqlite3_column_int64(s, 0);
        rows[nrows].rank = sqlite3_column_double(s, 1);
        rows[nrows].copies = sqlite3_column_int64(s, 2);
        rows[nrows].key = q->sort == STORE_SORT_INGESTED ? sqlite3_column_int64(s, 1) : 0;
        nrows++;
    }
    if (rc != SQLITE_DONE)
        store_error_from_sqlite(err, STORE_IO_READ, rc, r->db, "search failed");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        goto out;
    /* With a query, the page's rows in one pass over the matches between
     * their smallest and largest seq (one bm25 set-up for the page). Without
     * one there is no score, and a page by time can hold seqs that span the
     * whole store (a browse of every article: the one pass would read every
     * article's token): each row is looked up alone, FTS5 seeking to it. */
    if (ranked) {
        rc = store_search_render(r, RSTMT_SEARCH_ONE, match, rows, nrows, keep_rank,
                                 q->no_snippet, out);
    } else {
        rc = SQLITE_OK;
        for (size_t i = 0; i < nrows && rc == SQLITE_OK; i++)
            rc = store_search_render(r, RSTMT_SEARCH_ONE_UNRANKED, match, &rows[i], 1, keep_rank,
                                     q->no_snippet, out);
    }
    if (rc != SQLITE_OK) {
        store_error_from_sqlite(err, STORE_IO_READ, rc, NULL, "search failed");
        goto out;
    }
    ret = 0;
out:
    free(rows);
    return ret;
}

/* SEARCH_RANK: one statement, the page ranked and rendered. */
static int store_search_run_rank(struct store_reader *r, const struct store_search_query *q,
                                 const struct search_plan *p, int64_t max_seq,
                                 struct store_hits *out, struct error *err)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_SEARCH_RANK);
    char rank_fn[96];
    int rc;

    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    store_search_bind_common(s, q, max_seq);
    snprintf(rank_fn, sizeof rank_fn, "articled_bm25(%lld, " STORE_RANK_WEIGHTS ")", p->bm25_docs);
    sqlite3_bind_int64(s, 8, (sqlite3_int64)p->limit + 1);
    sqlite3_bind_int64(s, 9, q->offset);
    sqlite3_bind_int64(s, 11, p->floor);
    sqlite3_bind_text(s, 12, rank_fn, -1, SQLITE_STATIC);
    if (q->no_snippet)
        sqlite3_bind_int(s, 20, 1);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (out->n == p->limit) {
            out->more = 1;
            break;
        }
        if (store_search_hit(s, &out->items[out->n++]) != SQLITE_OK) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        store_error_from_sqlite(err, STORE_IO_READ, rc, rc == SQLITE_NOMEM ? NULL : r->db,
                                "search failed");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* SEARCH_RANK_ROWS: the passing rows ranked one by one, then rendered. */
static int store_search_run_rank_rows(struct store_reader *r, const struct store_search_query *q,
                                      const struct search_plan *p, int64_t max_seq,
                                      struct store_hits *out, struct error *err)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_SEARCH_RANK_ROWS);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    store_search_bind_common(s, q, max_seq);
    sqlite3_bind_int64(s, 9, q->offset);
    return store_search_two_phase(r, q, q->match, 1, p, s, 1, out, err);
}

/* SEARCH_COLLAPSE: one row per copy group (or per story), by relevance or
 * newest. Like every grouping of matches, its cost is that of reading
 * every match's index entry once (articles_meta, no row), bounded by the
 * read budget (--search-timeout) as the other searches are. */
static int store_search_run_collapse(struct store_reader *r, const struct store_search_query *q,
                                     const struct search_plan *p, int64_t max_seq,
                                     struct store_hits *out, struct error *err)
{
    enum store_rstmt id = !q->collapse_story                ? RSTMT_SEARCH_COLLAPSE
                          : q->sort == STORE_SORT_RELEVANCE ? RSTMT_SEARCH_STORY
                                                            : RSTMT_SEARCH_STORY_NEWEST;
    sqlite3_stmt *s = store_reader_stmt(r, id);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    store_search_bind_common(s, q, max_seq);
    if (id == RSTMT_SEARCH_COLLAPSE)
        sqlite3_bind_int(s, 6, q->sort != STORE_SORT_RELEVANCE);
    sqlite3_bind_int64(s, 9, q->offset);
    return store_search_two_phase(r, q, q->match, 1, p, s, 1, out, err);
}

/* SEARCH_STORY_WALK: the stories by their newest member, keyset paged. */
static int store_search_run_story_walk(struct store_reader *r, const struct store_search_query *q,
                                       const char *match, const struct search_plan *p,
                                       int64_t max_seq, struct store_hits *out, struct error *err)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_BROWSE_STORY);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    sqlite3_bind_int64(s, 2, max_seq);
    if (q->has_after) {
        sqlite3_bind_int64(s, 6, q->after_ts);
        sqlite3_bind_int64(s, 7, q->after_seq);
    }
    return store_search_two_phase(r, q, match, 0, p, s, 1, out, err);
}

/* collapse_story: each hit's story, its members and outlets, in one
 * statement for the page (at most 100 hits, one story_sources range each).
 * SQLite rc. */
static int store_search_story_fill(struct store_reader *r, struct store_hits *hits)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_SEARCH_STORY_INFO);
    char *json, *p;
    int rc;

    if (hits->n == 0)
        return SQLITE_OK;
    if (s == NULL)
        return sqlite3_errcode(r->db);
    json = malloc(hits->n * 22 + 3);
    if (json == NULL)
        return SQLITE_NOMEM;
    p = json;
    *p++ = '[';
    for (size_t i = 0; i < hits->n; i++)
        p += sprintf(p, "%s%lld", i ? "," : "", (long long)hits->items[i].seq);
    *p++ = ']';
    *p = '\0';
    sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(s, 0);
        for (size_t i = 0; i < hits->n; i++)
            if (hits->items[i].seq == seq) {
                struct store_hit *h = &hits->items[i];
                h->story = sqlite3_column_int64(s, 1);
                h->story_articles = sqlite3_column_int64(s, 2);
                h->story_sources = sqlite3_column_int64(s, 3);
            }
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    free(json);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The ordered strategies' statements, by strategy (SEARCH_NEWEST.._BROWSE_SORT)
 * and order (newest, oldest, ingested). */
static const enum store_rstmt store_search_ordered[5][3] = {
    {RSTMT_SEARCH_NEWEST, RSTMT_SEARCH_OLDEST, RSTMT_SEARCH_INGESTED},
    {RSTMT_SEARCH_NEWEST_WALK, RSTMT_SEARCH_OLDEST_WALK, RSTMT_SEARCH_INGESTED_WALK},
    {RSTMT_SEARCH_NEWEST_PROBE, RSTMT_SEARCH_OLDEST_PROBE, RSTMT_SEARCH_INGESTED_PROBE},
    {RSTMT_BROWSE_NEWEST, RSTMT_BROWSE_OLDEST, RSTMT_BROWSE_INGESTED},
    {RSTMT_BROWSE_NEWEST_SORT, RSTMT_BROWSE_OLDEST_SORT, RSTMT_BROWSE_INGESTED_SORT},
};

/* SEARCH_NEWEST, _WALK, _PROBE, SEARCH_BROWSE_WALK and _SORT: by time or
 * commit order from the keyset cursor, differing in how the statement
 * reaches the rows; rendered with match, scored when ranked (a query). */
static int store_search_run_ordered(struct store_reader *r, const struct store_search_query *q,
                                    const char *match, int ranked, const struct search_plan *p,
                                    int64_t max_seq, struct store_hits *out, struct error *err)
{
    int order = q->sort == STORE_SORT_OLDEST ? 1 : q->sort == STORE_SORT_INGESTED ? 2 : 0;
    sqlite3_stmt *s =
        store_reader_stmt(r, store_search_ordered[p->strategy - SEARCH_NEWEST][order]);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    store_search_bind_common(s, q, max_seq);
    if (q->has_after) {
        sqlite3_bind_int64(s, 6, q->after_ts);
        sqlite3_bind_int64(s, 7, q->after_seq);
    }
    return store_search_two_phase(r, q, match, ranked, p, s, 0, out, err);
}

/* ---- store_search ---------------------------------------------------------- */

/* Plans q step by step, making each count the planner asks for. */
static int store_search_plan(struct store *st, struct store_reader *r,
                             const struct store_search_query *q, struct store_hits *out,
                             struct search_plan *p, struct error *err)
{
    struct search_facts f;
    enum search_need need;

    search_facts_init(&f, store_article_count(st), st->opts.rank_candidates);
    if (q->want_total && search_plan_story_walk(q)) {
        sqlite3_stmt *s = store_reader_stmt(r, RSTMT_BROWSE_STORY_TOTAL);
        int64_t v = 0;
        if (s == NULL) {
            store_error_from_reader(err, r, "prepare failed");
            return -1;
        }
        if (store_search_scalar(r, s, 0, &v, err) != 0)
            return -1;
        out->total = v;
        f.total = v;
    } else if (q->want_total && search_plan_browse(q) && !search_plan_filtered(q)) {
        /* every article: the count kept by the writer, no count to make */
        out->total = f.articles;
        f.total = out->total;
    } else if (q->want_total && search_plan_browse(q)) {
        if (store_search_count(r, q, RSTMT_BROWSE_TOTAL, out->max_seq, 0, &out->total, err) != 0)
            return -1;
        f.total = out->total;
    } else if (q->want_total) {
        enum store_rstmt id = q->collapse_story         ? RSTMT_SEARCH_STORY_TOTAL
                              : q->collapse             ? RSTMT_SEARCH_COLLAPSE_TOTAL
                              : search_plan_filtered(q) ? RSTMT_SEARCH_TOTAL
                                                        : RSTMT_SEARCH_TOTAL_FTS;
        if (store_search_count(r, q, id, out->max_seq, 0, &out->total, err) != 0)
            return -1;
        f.total = out->total;
    }
    while ((need = search_plan(q, &f, p)) != SEARCH_NEED_NONE)
        if (store_search_fact(r, q, out->max_seq, need, p, &f, err) != 0)
            return -1;
    out->ranked = p->ranked;
    return 0;
}

int store_search(struct store *st, const struct store_search_query *q_in, struct store_hits *out,
                 struct error *err)
{
    struct store_search_query qs = *q_in, *q = &qs;
    struct store_reader *r = store_reader_get(st, err);
    struct search_plan plan;
    char *match = NULL;
    int ret = -1, in_txn = 0;
    /* a browse runs without FTS5 (which only renders its page), and so does
     * a walk of the stories */
    int browse = search_plan_browse(q_in) || search_plan_story_walk(q_in);

    memset(out, 0, sizeof *out);
    out->total = -1;
    if (r == NULL)
        return -1;
    match = store_search_match(q_in);
    if (match == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    if (!browse)
        qs.match = match;
    /* One read transaction, so the counts and both phases see the same
     * snapshot. */
    if (store_read_begin(r) == SQLITE_OK)
        in_txn = 1;
    /* The first page fixes a snapshot bound, so later pages neither repeat
     * nor skip hits when articles arrive in between. */
    out->max_seq = q->max_seq;
    if (out->max_seq <= 0 && store_search_max_seq(r, &out->max_seq, err) != 0)
        goto out;
    if (store_search_plan(st, r, q, out, &plan, err) != 0)
        goto out;
    out->items = calloc(plan.limit + 1, sizeof *out->items);
    if (out->items == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    switch (plan.strategy) {
    case SEARCH_RANK:
        ret = store_search_run_rank(r, q, &plan, out->max_seq, out, err);
        break;
    case SEARCH_RANK_ROWS:
        ret = store_search_run_rank_rows(r, q, &plan, out->max_seq, out, err);
        break;
    case SEARCH_COLLAPSE:
        ret = store_search_run_collapse(r, q, &plan, out->max_seq, out, err);
        break;
    case SEARCH_STORY_WALK:
        ret = store_search_run_story_walk(r, q, match, &plan, out->max_seq, out, err);
        break;
    case SEARCH_NEWEST:
    case SEARCH_NEWEST_WALK:
    case SEARCH_NEWEST_PROBE:
    case SEARCH_BROWSE_WALK:
    case SEARCH_BROWSE_SORT:
        ret = store_search_run_ordered(r, q, match, q_in->match != NULL, &plan, out->max_seq, out,
                                       err);
        break;
    }
    if (ret == 0 && q->collapse_story) {
        int rc = store_search_story_fill(r, out);
        if (rc != SQLITE_OK) {
            store_error_from_sqlite(err, STORE_IO_READ, rc, rc == SQLITE_NOMEM ? NULL : r->db,
                                    "search failed");
            ret = -1;
        }
    }
    if (ret == 0 && q->cards != 0) {
        int rc = store_cards_fill(r, q->cards, out);
        if (rc != SQLITE_OK) {
            store_error_from_sqlite(err, STORE_IO_READ, rc, rc == SQLITE_NOMEM ? NULL : r->db,
                                    "search failed");
            ret = -1;
        }
    }
out:
    if (in_txn)
        store_read_end(r);
    free(match);
    if (ret != 0)
        store_hits_free(out);
    return ret;
}
