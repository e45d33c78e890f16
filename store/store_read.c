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
        error_set(err, ERR_INTERNAL, "list failed: %s", sqlite3_errmsg(r->db));
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
    if (q->source != NULL)
        sqlite3_bind_text(s, 6, q->source, -1, SQLITE_STATIC);
    return store_list_collect(r, s, q, out, err);
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
    if ((rc & 0xff) == SQLITE_INTERRUPT || store_read_budget_exceeded())
        error_set(err, ERR_TIMEOUT, "the search ran past its time budget");
    else if ((rc & 0xff) == SQLITE_ERROR && strstr(msg, "fts5") != NULL)
        error_set(err, ERR_INVALID, "the search query is not valid: %s", msg);
    else
        error_set(err, ERR_INTERNAL, "search failed: %s", msg);
}

/* Relevance search is one statement: FTS5 ranks every match in its own
 * sorter (ORDER BY rank alone is what it consumes), the rows then come out
 * best first, the filters are checked on articles_meta (a small index, not
 * the rows), and only the rows of the page are read and get a snippet. Ties
 * keep the sorter's order, the same for every page of one snapshot. */
static const char SQL_SEARCH_RANK[] =
    "SELECT a.id, a.title, a.source, a.published_at, f.rank, a.ts, a.seq,"
    " html_snippet(articles_fts, 1, 24)"
    " FROM articles_fts f CROSS JOIN articles m INDEXED BY articles_meta ON m.seq = f.rowid"
    " CROSS JOIN articles a ON a.seq = f.rowid"
    " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2 AND f.rowid >= ?11"
    " AND (?3 IS NULL OR m.source = ?3) AND m.ts >= ?4 AND m.ts < ?5"
    " AND (?10 IS NULL OR m.seq IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?10))"
    " AND f.rank MATCH ?12"
    " ORDER BY f.rank LIMIT ?8 OFFSET ?9";

/* The column weights of the table's own rank (schema.c, migration 10), for
 * articled_bm25 (rank.h), which ranks as bm25 does and reads fewer pages. */
#define STORE_RANK_WEIGHTS "4.0, 1.0, 0.0"

/* Relevance with filters that few matches pass, of a query with many
 * matches: SQL_SEARCH_RANK would have FTS5 rank every match in its own
 * sorter, one call that SQLite's progress handler cannot interrupt (a
 * common word in a 6-hour window at 1,000,000 articles: 4-5 s past a 3 s
 * budget). Instead the passing rows are ranked one by one, each a step the
 * budget can stop, found by walking the matches and checking the filters
 * (0.5 s for that window, sqlite3 CLI); bm25 is computed for the passing
 * rows only. (Driving from the time index instead asks FTS5 about one
 * article at a time, and each probe of a common word read its whole
 * doclist: 27 s.) Ties go by seq. Phase 1 (the page's rows; phase 2
 * renders them, with snippets for the page only). */
static const char SQL_SEARCH_RANK_ROWS[] =
    "SELECT a.seq, articled_bm25(articles_fts, -1, " STORE_RANK_WEIGHTS ") AS r, 1"
    " FROM articles_fts f CROSS JOIN articles m INDEXED BY articles_meta ON m.seq = f.rowid"
    " CROSS JOIN articles a ON a.seq = f.rowid"
    " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2"
    " AND (?3 IS NULL OR m.source = ?3) AND m.ts >= ?4 AND m.ts < ?5"
    " AND (?10 IS NULL OR m.seq IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?10))"
    " ORDER BY r, a.seq LIMIT ?8 OFFSET ?9";

/* Newest-first and collapsed search run in two phases: phase 1 picks the
 * page's rows (seq, rank, copies) without snippets; phase 2 renders them
 * with html_snippet in one pass over the matches between the page's
 * smallest and largest seq, so the snippet is computed for the page only. */
/* Relevance ranks at most store_options.rank_candidates matches (see
 * store.h). The rowid of the rank_candidates-th newest match: FTS5 walks its
 * doclists backwards by rowid without scoring anything. */
static const char SQL_SEARCH_FLOOR[] =
    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid <= ?2"
    " ORDER BY rowid DESC LIMIT 1 OFFSET ?3";

/* The count without filters needs no look-up of the articles. */
static const char SQL_SEARCH_TOTAL_FTS[] =
    "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid <= ?2";

static const char SQL_SEARCH_NEWEST[] =
    "SELECT a.seq, 0, 1 FROM articles_fts f JOIN articles a INDEXED BY articles_meta ON a.seq = "
    "f.rowid"
    " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2"
    " AND (?3 IS NULL OR a.source = ?3) AND a.ts >= ?4 AND a.ts < ?5"
    " AND (?10 IS NULL OR a.seq IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?10))"
    " AND (?6 IS NULL OR a.ts < ?6 OR (a.ts = ?6 AND a.seq < ?7))"
    " ORDER BY a.ts DESC, a.seq DESC LIMIT ?8";

/* Newest first for a query with many matches: walk the sort-time index from
 * the newest end and stop at the page's last row, probing a list of the
 * matching rowids (FTS5 builds it from its doclists, without ranking), instead
 * of looking up and sorting every match. */
static const char SQL_SEARCH_NEWEST_WALK[] =
    "SELECT a.seq, 0, 1 FROM articles a"
    " WHERE +a.seq IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1)"
    " AND a.seq <= ?2"
    " AND (?3 IS NULL OR a.source = ?3) AND a.ts >= ?4 AND a.ts < ?5"
    " AND (?10 IS NULL OR a.seq IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?10))"
    " AND (?6 IS NULL OR a.ts < ?6 OR (a.ts = ?6 AND a.seq < ?7))"
    " ORDER BY a.ts DESC, a.seq DESC LIMIT ?8";

/* When a good share of all articles match (a common word), building the
 * list of matching rowids costs more than the page: walk the time index and
 * ask FTS5 about each article in turn (a rowid look-up), stopping at the
 * page; a few dozen articles are enough. */
static const char SQL_SEARCH_NEWEST_PROBE[] =
    "SELECT a.seq, 0, 1 FROM articles a INDEXED BY articles_ts"
    " WHERE a.ts >= ?4 AND a.ts < ?5 AND (?6 IS NULL OR a.ts < ?6 OR (a.ts = ?6 AND a.seq < ?7))"
    " AND a.seq <= ?2"
    " AND EXISTS (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid = a.seq)"
    " AND (?3 IS NULL OR a.source = ?3)"
    " AND (?10 IS NULL OR a.seq IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?10))"
    " ORDER BY a.ts DESC, a.seq DESC LIMIT ?8";

/* Above this many matches, newest-first search walks the time index; above
 * one in SEARCH_PROBE_SHARE of all articles, it probes as it walks, when
 * a probe is cheap (store_search_probe_cheap). */
#define SEARCH_WALK_MIN_MATCHES 2000
#define SEARCH_PROBE_SHARE      20
#define SEARCH_PROBE_MAX_TERMS  8

/* Whether asking FTS5 about one article at a time is cheap for match: each
 * probe evaluates the whole expression again, and a prefix term merges the
 * lists of every word it starts at every evaluation (32 prefixes, a page of
 * 100: 41 s on 21,000 articles); so do many terms, less so. Such queries
 * build their list of matches once instead (SQL_SEARCH_NEWEST_WALK). */
static int store_search_probe_cheap(const char *match)
{
    int terms = 0;
    if (strstr(match, "\" *") != NULL)
        return 0;
    /* every term is one quoted FTS5 string: two quotes, "" inside one */
    for (const char *p = match; *p; p++)
        if (*p == '"' && p[1] != '"')
            terms++;
        else if (*p == '"')
            p++;
    return terms / 2 <= SEARCH_PROBE_MAX_TERMS;
}

static const char SQL_SEARCH_TOTAL[] =
    "SELECT count(*) FROM articles_fts f JOIN articles a INDEXED BY articles_meta ON a.seq = "
    "f.rowid"
    " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2"
    " AND (?3 IS NULL OR a.source = ?3) AND a.ts >= ?4 AND a.ts < ?5"
    " AND (?10 IS NULL OR a.seq IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?10))"
    " AND f.rowid >= ?11";

/* Collapsed search, phase 1: one row per copy group (grp), its best rank,
 * earliest matching member and matching copies; phase 2 renders that member. */
static const char SQL_SEARCH_COLLAPSE[] =
    "SELECT min(a.seq), min(f.rank), count(*)"
    " FROM articles_fts f JOIN articles a INDEXED BY articles_meta ON a.seq = f.rowid"
    " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2"
    " AND (?3 IS NULL OR a.source = ?3) AND a.ts >= ?4 AND a.ts < ?5"
    " AND (?10 IS NULL OR a.seq IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?10))"
    " GROUP BY a.grp"
    " ORDER BY CASE WHEN ?6 THEN -max(a.ts) ELSE min(f.rank) END, min(a.seq)"
    " LIMIT ?8 OFFSET ?9";

static const char SQL_SEARCH_COLLAPSE_TOTAL[] =
    "SELECT count(DISTINCT a.grp) FROM articles_fts f JOIN articles a INDEXED BY articles_meta ON "
    "a.seq = f.rowid"
    " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2"
    " AND (?3 IS NULL OR a.source = ?3) AND a.ts >= ?4 AND a.ts < ?5"
    " AND (?10 IS NULL OR a.seq IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?10))";

static const char SQL_SEARCH_PAGE[] =
    "SELECT a.id, a.title, a.source, a.published_at, f.rank, a.ts, a.seq,"
    " html_snippet(articles_fts, 1, 24)"
    " FROM articles_fts f JOIN articles a ON a.seq = f.rowid"
    " WHERE articles_fts MATCH ?1 AND f.rowid >= ?2 AND f.rowid <= ?3"
    " AND +f.rowid IN (SELECT value FROM json_each(?4))";

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
    if (q->entity != 0) {
        /* an eid of -1 (nobody mentions the entity) matches no token */
        char token[STORE_ENTITY_TOKEN_MAX];
        store_entity_token(q->entity, token);
        sqlite3_bind_text(s, 10, token, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(s, 10);
    }
}

struct page_row {
    int64_t seq;
    double rank;
    long long copies;
};

/* Fills h from a row of SQL_SEARCH_RANK or SQL_SEARCH_PAGE. SQLite rc. */
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
    h->copies = 1;
    return h->id && h->title ? SQLITE_OK : SQLITE_NOMEM;
}

/* Phase 2: renders rows[0, n) into out->items, in the rows' order. */
static int store_search_render(struct store_reader *r, const char *match,
                               const struct page_row *rows, size_t n, int collapse,
                               struct store_hits *out)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_SEARCH_ONE, SQL_SEARCH_PAGE);
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
                if (collapse) {
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
    }
    free(got);
    free(json);
    return rc;
}

/* The FTS5 expression store_search runs for q (malloc'd, or NULL when out of
 * memory). A source filter becomes the article's source token (schema.c,
 * migration 10: "zzs" + the source's bytes in upper-case hex + "q"), so FTS5
 * intersects it with the query; an empty source has no token and stays a
 * filter on the rows (*in_fts 0). The query's own terms are kept to title
 * and body when one could match a source token: a prefix ("ab" *), or a
 * term holding "zzs" in any case, or any letter outside ASCII (the
 * tokenizer folds case and drops diacritics: "ẐZS..." is "zzs..."). A false
 * alarm only costs the column check. */
static int store_search_may_reach_src(const char *match)
{
    if (strstr(match, "\" *") != NULL || strcasestr(match, "zzs") != NULL)
        return 1;
    for (const unsigned char *p = (const unsigned char *)match; *p; p++)
        if (*p >= 0x80)
            return 1;
    return 0;
}

static char *store_search_match(const struct store_search_query *q, int *in_fts)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *cols = store_search_may_reach_src(q->match) ? "{title body} : " : "";
    size_t ml = strlen(q->match), sl = 0, n = 0;
    char *m;

    *in_fts = q->source != NULL && q->source[0] != '\0';
    if (*in_fts)
        sl = strlen(q->source);
    m = malloc(ml + 2 * sl + 64);
    if (m == NULL)
        return NULL;
    n = (size_t)sprintf(m, "%s(%s)", cols, q->match);
    if (*in_fts) {
        n += (size_t)sprintf(m + n, " AND src : \"zzs");
        for (size_t i = 0; i < sl; i++) {
            m[n++] = hex[(unsigned char)q->source[i] >> 4];
            m[n++] = hex[(unsigned char)q->source[i] & 15];
        }
        memcpy(m + n, "q\"", 3);
    }
    return m;
}

/* Counts every match of match up to max_seq, filters aside, into *count.
 * Returns 0, or -1 with err. */
static int store_search_count_all(struct store_reader *r, const char *match, int64_t max_seq,
                                  long long *count, struct error *err)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_SEARCH_TOTAL_FTS, SQL_SEARCH_TOTAL_FTS);
    int rc;

    if (s == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, max_seq);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_ROW) {
        store_search_error(r, rc, err);
        return -1;
    }
    return 0;
}

int store_search(struct store *st, const struct store_search_query *q_in, struct store_hits *out,
                 struct error *err)
{
    struct store_search_query qs = *q_in, *q = &qs;
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;
    unsigned limit = q->limit ? q->limit : 20;
    int64_t max_seq = q->max_seq;
    struct page_row *rows = NULL;
    size_t nrows = 0;
    int rc, ret = -1, in_txn = 0, unfiltered;
    int64_t floor = 0;
    long long window = 0;      /* rank only the newest this many matches (0: all) */
    long long all_matches = 0; /* matches without the filters */
    char *match = NULL, rank_fn[96];
    int source_in_fts, rank_rows = 0;

    memset(out, 0, sizeof *out);
    out->total = -1;
    if (r == NULL)
        return -1;
    match = store_search_match(q_in, &source_in_fts);
    if (match == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    qs.match = match;
    /* One read transaction, so the two phases see the same snapshot. */
    if (store_read_begin(r) == SQLITE_OK)
        in_txn = 1;

    /* The first page fixes a snapshot bound, so later pages neither repeat
     * nor skip hits when articles arrive in between. */
    if (max_seq <= 0) {
        s = store_reader_stmt(r, RSTMT_MAX_SEQ, "SELECT coalesce(max(seq), 0) FROM articles");
        if (s == NULL || sqlite3_step(s) != SQLITE_ROW) {
            error_set(err, ERR_INTERNAL, "search failed: %s", sqlite3_errmsg(r->db));
            if (s)
                sqlite3_reset(s);
            goto out;
        }
        max_seq = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    out->max_seq = max_seq;

    /* a source in the FTS5 expression is no filter on the rows */
    unfiltered = (q->source == NULL || source_in_fts) && q->from == INT64_MIN &&
                 q->to == INT64_MAX && q->entity == 0;
    if (q->want_total) {
        s = q->collapse
                ? store_reader_stmt(r, RSTMT_SEARCH_COLLAPSE_TOTAL, SQL_SEARCH_COLLAPSE_TOTAL)
            : unfiltered ? store_reader_stmt(r, RSTMT_SEARCH_TOTAL_FTS, SQL_SEARCH_TOTAL_FTS)
                         : store_reader_stmt(r, RSTMT_SEARCH_TOTAL, SQL_SEARCH_TOTAL);
        if (s == NULL) {
            error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
            goto out;
        }
        if (unfiltered && !q->collapse) {
            sqlite3_bind_text(s, 1, q->match, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, max_seq);
        } else {
            store_search_bind_common(s, q, max_seq);
            if (!q->collapse)
                sqlite3_bind_int64(s, 11, 0);
        }
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            out->total = sqlite3_column_int64(s, 0);
        else
            store_search_error(r, rc, err);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_ROW)
            goto out;
    }

    /* Many matches: rank only the newest candidates. Without filters, the
     * newest rank_candidates matches. With filters (checked after FTS5 has
     * ranked a window, so the window is what costs), the newest window of
     * matches expected to hold an eighth as many that pass them, from the
     * filters' share of all matches: deterministic for the snapshot, so
     * every page ranks the same window. */
    if (q->sort == STORE_SORT_RELEVANCE && !q->collapse && !unfiltered &&
        out->total > st->opts.rank_candidates / 8) {
        if (store_search_count_all(r, q->match, max_seq, &all_matches, err) != 0)
            goto out;
        window = (long long)((double)(st->opts.rank_candidates / 8) * (double)all_matches /
                             (double)(out->total > 0 ? out->total : 1)) +
                 1;
        if (window < all_matches)
            out->ranked = st->opts.rank_candidates / 8;
        else
            window = 0;
    } else if (q->sort == STORE_SORT_RELEVANCE && !q->collapse && unfiltered &&
               out->total > st->opts.rank_candidates) {
        window = st->opts.rank_candidates;
        out->ranked = st->opts.rank_candidates;
    }
    /* The window's floor: the rowid of its oldest match (FTS5 walks its
     * doclists backwards, scoring nothing). With filters, a window that
     * turns out to hold fewer than its share of passing matches (they are
     * older than most) grows fourfold until it does, or spans everything. */
    while (window > 0) {
        long long passing = 0;
        s = store_reader_stmt(r, RSTMT_SEARCH_FLOOR, SQL_SEARCH_FLOOR);
        if (s == NULL) {
            error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
            goto out;
        }
        sqlite3_bind_text(s, 1, q->match, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, max_seq);
        sqlite3_bind_int64(s, 3, window - 1);
        rc = sqlite3_step(s);
        floor = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            store_search_error(r, rc, err);
            goto out;
        }
        if (unfiltered || floor == 0)
            break;
        s = store_reader_stmt(r, RSTMT_SEARCH_TOTAL, SQL_SEARCH_TOTAL);
        if (s == NULL) {
            error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
            goto out;
        }
        store_search_bind_common(s, q, max_seq);
        sqlite3_bind_int64(s, 11, floor);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            passing = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_ROW) {
            store_search_error(r, rc, err);
            goto out;
        }
        if (passing >= (long long)out->ranked)
            break;
        window *= 4;
        if (window >= all_matches) {
            floor = 0;
            out->ranked = 0;
            break;
        }
    }

    rows = calloc(limit + 1, sizeof *rows);
    out->items = calloc(limit + 1, sizeof *out->items);
    if (rows == NULL || out->items == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }

    if (!q->collapse && q->sort == STORE_SORT_RELEVANCE && !unfiltered && floor == 0) {
        /* every match would be ranked: how many are there? */
        if (all_matches == 0 &&
            store_search_count_all(r, q->match, max_seq, &all_matches, err) != 0)
            goto out;
        rank_rows = all_matches > (long long)st->opts.rank_candidates;
    }
    if (!q->collapse && q->sort == STORE_SORT_RELEVANCE && !rank_rows) {
        /* one statement: the page, ranked and rendered */
        s = store_reader_stmt(r, RSTMT_SEARCH_RANK, SQL_SEARCH_RANK);
        if (s == NULL) {
            error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
            goto out;
        }
        store_search_bind_common(s, q, max_seq);
        /* the matches counted for `total` (the whole index as of this
         * snapshot) are a one-phrase query's document count */
        snprintf(rank_fn, sizeof rank_fn, "articled_bm25(%lld, " STORE_RANK_WEIGHTS ")",
                 unfiltered && q->want_total ? out->total : -1LL);
        sqlite3_bind_int64(s, 8, (sqlite3_int64)limit + 1);
        sqlite3_bind_int64(s, 9, q->offset);
        sqlite3_bind_int64(s, 11, floor);
        sqlite3_bind_text(s, 12, rank_fn, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            if (out->n == limit) {
                out->more = 1;
                break;
            }
            if (store_search_hit(s, &out->items[out->n++]) != SQLITE_OK) {
                rc = SQLITE_NOMEM;
                break;
            }
        }
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            store_search_error(r, rc, err);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc == SQLITE_DONE || rc == SQLITE_ROW)
            ret = 0;
        goto out;
    }

    /* Phase 1: the page's rows. */
    if (rank_rows)
        s = store_reader_stmt(r, RSTMT_SEARCH_RANK_ROWS, SQL_SEARCH_RANK_ROWS);
    else if (q->collapse)
        s = store_reader_stmt(r, RSTMT_SEARCH_COLLAPSE, SQL_SEARCH_COLLAPSE);
    else if (out->total > SEARCH_WALK_MIN_MATCHES &&
             out->total > store_article_count(st) / SEARCH_PROBE_SHARE &&
             store_search_probe_cheap(q->match))
        s = store_reader_stmt(r, RSTMT_SEARCH_NEWEST_PROBE, SQL_SEARCH_NEWEST_PROBE);
    else if (out->total > SEARCH_WALK_MIN_MATCHES)
        s = store_reader_stmt(r, RSTMT_SEARCH_NEWEST_WALK, SQL_SEARCH_NEWEST_WALK);
    else
        s = store_reader_stmt(r, RSTMT_SEARCH_NEWEST, SQL_SEARCH_NEWEST);
    if (s == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        goto out;
    }
    store_search_bind_common(s, q, max_seq);
    if (rank_rows) {
        sqlite3_bind_int64(s, 9, q->offset);
    } else if (q->collapse) {
        sqlite3_bind_int(s, 6, q->sort == STORE_SORT_NEWEST);
        sqlite3_bind_int64(s, 9, q->offset);
    } else if (q->has_after) {
        sqlite3_bind_int64(s, 6, q->after_ts);
        sqlite3_bind_int64(s, 7, q->after_seq);
    }
    sqlite3_bind_int64(s, 8, (sqlite3_int64)limit + 1);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (nrows == limit) {
            out->more = 1;
            continue;
        }
        rows[nrows].seq = sqlite3_column_int64(s, 0);
        rows[nrows].rank = sqlite3_column_double(s, 1);
        rows[nrows].copies = sqlite3_column_int64(s, 2);
        nrows++;
    }
    if (rc != SQLITE_DONE)
        store_search_error(r, rc, err);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        goto out;

    /* Phase 2: render the page (ranked rows keep the rank phase 1 gave). */
    rc = store_search_render(r, q->match, rows, nrows, q->collapse || rank_rows, out);
    if (rc != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "search failed: %s", sqlite3_errstr(rc));
        goto out;
    }
    ret = 0;
out:
    if (in_txn)
        store_read_end(r);
    free(rows);
    free(match);
    if (ret != 0)
        store_hits_free(out);
    return ret;
}
