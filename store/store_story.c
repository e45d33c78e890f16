/* store_story.c: story assignment in the writer, where writes are in one
 * order, so the same articles in the same order give the same stories
 * whatever the grouping of commits. An exact or near copy joins its
 * original's story; any other article is compared with the stories that
 * share its rarest features in the time window (story_terms, bounded
 * probes), and joins the most similar one from the threshold, or starts
 * its own. The rules are analysis/story.h's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

/* story_df's row of the number of articles counted (no feature hashes to 0
 * in practice; one that did would only skew its own rarity) */
#define STORY_DF_TOTAL 0

enum {
    SW_DF_GET = WSTMT_STORY_FIRST_,
    SW_DF_ADD,
    SW_PROBE,
    SW_GET,
    SW_INSERT,
    SW_UPDATE,
    SW_TERM_ADD,
    SW_TERM_DEL,
    SW_SRC_ADD,
    SW_SRC_SUB,
    SW_SRC_PRUNE,
    SW_SET_ARTICLE,
    SW_OF_ID,
    SW_OF_GRP,
    SW_OF_SEQ,
    SW_DELETE,
    SW_DELETE_SOURCES,
    SW_MERGE_TITLE,
    SW_SRC_MERGE,
    SW_MOVE_MEMBERS,
    SW_MERGE_REC,
    SW_MERGE_FLATTEN,
    SW_ID_TAKEN,
    SW_LOG_UPSERT,
    SW_LOG_PRUNE_MAX,
    SW_LOG_PRUNE,
    SW_END_
};
_Static_assert((int)SW_END_ <= (int)STORE_MAX_STMTS, "the writer's statement cache holds the story's");

static const char *const sw_sql[SW_END_ - WSTMT_STORY_FIRST_] = {
    [SW_DF_GET - WSTMT_STORY_FIRST_] = "SELECT n FROM story_df WHERE h = ?1",
    [SW_DF_ADD - WSTMT_STORY_FIRST_] = "INSERT INTO story_df (h, n) VALUES (?1, 1)"
                                       " ON CONFLICT (h) DO UPDATE SET n = n + 1",
    [SW_PROBE - WSTMT_STORY_FIRST_] = "SELECT story FROM story_terms WHERE h = ?1"
                                      " AND day BETWEEN ?2 AND ?3"
                                      " ORDER BY day DESC, story DESC LIMIT ?4",
    [SW_GET - WSTMT_STORY_FIRST_] =
        "SELECT title_score, articles, first_ts, last_ts, centroid FROM stories WHERE id = ?1",
    [SW_INSERT - WSTMT_STORY_FIRST_] =
        "INSERT INTO stories (id, title, title_score, articles, first_ts, last_ts, centroid)"
        " VALUES (?1, ?2, ?3, 1, ?4, ?4, ?5)",
    [SW_UPDATE - WSTMT_STORY_FIRST_] =
        "UPDATE stories SET title = coalesce(?2, title), title_score = ?3, articles = ?4,"
        " first_ts = ?5, last_ts = ?6, centroid = coalesce(?7, centroid) WHERE id = ?1",
    [SW_TERM_ADD - WSTMT_STORY_FIRST_] =
        "INSERT OR IGNORE INTO story_terms (h, day, story) VALUES (?1, ?2, ?3)",
    [SW_TERM_DEL - WSTMT_STORY_FIRST_] =
        "DELETE FROM story_terms WHERE h = ?1 AND day = ?2 AND story = ?3",
    [SW_SRC_ADD - WSTMT_STORY_FIRST_] =
        "INSERT INTO story_sources (story, source, articles) VALUES (?1, ?2, 1)"
        " ON CONFLICT (story, source) DO UPDATE SET articles = articles + 1",
    [SW_SRC_SUB - WSTMT_STORY_FIRST_] =
        "UPDATE story_sources SET articles = articles - 1 WHERE story = ?1 AND source = ?2",
    [SW_SRC_PRUNE - WSTMT_STORY_FIRST_] =
        "DELETE FROM story_sources WHERE story = ?1 AND source = ?2 AND articles <= 0",
    [SW_SET_ARTICLE - WSTMT_STORY_FIRST_] = "UPDATE articles SET story = ?2 WHERE seq = ?1",
    [SW_OF_ID - WSTMT_STORY_FIRST_] = "SELECT story FROM articles WHERE id = ?1",
    [SW_OF_GRP - WSTMT_STORY_FIRST_] = "SELECT story FROM articles WHERE grp = ?1"
                                       " AND story IS NOT NULL ORDER BY seq LIMIT 1",
    [SW_OF_SEQ - WSTMT_STORY_FIRST_] = "SELECT story, source FROM articles WHERE seq = ?1",
    [SW_DELETE - WSTMT_STORY_FIRST_] = "DELETE FROM stories WHERE id = ?1",
    [SW_DELETE_SOURCES - WSTMT_STORY_FIRST_] = "DELETE FROM story_sources WHERE story = ?1",
    /* merges: ?1 the survivor, ?2 the story it absorbs */
    [SW_MERGE_TITLE - WSTMT_STORY_FIRST_] =
        "UPDATE stories SET (title, title_score) = (SELECT title, title_score FROM stories"
        " WHERE id = ?2) WHERE id = ?1"
        " AND title_score < (SELECT title_score FROM stories WHERE id = ?2)",
    [SW_SRC_MERGE - WSTMT_STORY_FIRST_] =
        "INSERT INTO story_sources (story, source, articles) SELECT ?1, source, articles"
        " FROM story_sources WHERE story = ?2 ORDER BY source"
        " ON CONFLICT (story, source) DO UPDATE SET articles = articles + excluded.articles",
    [SW_MOVE_MEMBERS - WSTMT_STORY_FIRST_] = "UPDATE articles SET story = ?1 WHERE story = ?2",
    [SW_MERGE_REC - WSTMT_STORY_FIRST_] =
        "INSERT OR REPLACE INTO story_merges (id, into_id) VALUES (?2, ?1)",
    [SW_MERGE_FLATTEN - WSTMT_STORY_FIRST_] =
        "UPDATE story_merges SET into_id = ?1 WHERE into_id = ?2",
    [SW_ID_TAKEN - WSTMT_STORY_FIRST_] =
        "SELECT 1 FROM stories WHERE id = ?1 UNION ALL SELECT 1 FROM story_merges WHERE id = ?1",
    /* the change feed's row of story ?1 at change ?2, commit time ?3: its
     * state at the end of the transaction (STORE_CHANGE_STORY_* bits) */
    [SW_LOG_UPSERT - WSTMT_STORY_FIRST_] =
        "INSERT INTO story_log (id, change_seq, kind, at) VALUES (?1, ?2,"
        " CASE WHEN EXISTS (SELECT 1 FROM stories WHERE id = ?1) THEN 128"
        " WHEN EXISTS (SELECT 1 FROM story_merges WHERE id = ?1) THEN 256 ELSE 512 END, ?3)"
        " ON CONFLICT (id) DO UPDATE SET change_seq = excluded.change_seq,"
        " kind = excluded.kind, at = excluded.at",
    [SW_LOG_PRUNE_MAX - WSTMT_STORY_FIRST_] =
        "SELECT max(change_seq) FROM story_log WHERE kind = 512 AND at < ?1",
    [SW_LOG_PRUNE - WSTMT_STORY_FIRST_] = "DELETE FROM story_log WHERE kind = 512 AND at < ?1",
};

/* Merges (see store_story_assign): a story absorbs another when an article
 * scores from the join threshold with both and their centroids are at least
 * this similar to each other, so that one article alone does not glue two
 * unrelated events; the absorbed story has at most STORY_MERGE_MAX_MEMBERS
 * members (each is rewritten: the merge's cost bound). */
#define STORY_MERGE_MIN_SIMILARITY 0.30
#define STORY_MERGE_MAX_MEMBERS 5000
/* A story started by a replaced article whose seq already names a story
 * (the one it left, or one merged away) takes this plus the replace's
 * change number: unique, deterministic, and above every article seq. */
#define STORY_ID_RESEEDED 100000000000000000LL

static sqlite3_stmt *sw(struct store *st, int which)
{
    return store_writer_stmt(st, which, sw_sql[which - WSTMT_STORY_FIRST_]);
}

/* Steps a statement that returns no row; resets it. SQLite rc. */
static int sw_exec(struct store *st, sqlite3_stmt *s)
{
    int rc;
    if (s == NULL)
        return sqlite3_errcode(st->wdb) ? sqlite3_errcode(st->wdb) : SQLITE_ERROR;
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* One integer (or NULL: 0) from a statement taking one integer or text
 * argument. SQLite rc; *out 0 when no row. */
static int sw_int(struct store *st, int which, int64_t arg, const char *text, int64_t *out)
{
    sqlite3_stmt *s = sw(st, which);
    int rc;
    *out = 0;
    if (s == NULL)
        return SQLITE_ERROR;
    if (text != NULL)
        sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(s, 1, arg);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int64_t day_of(int64_t ts)
{
    return ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
}

/* A stored story's state. */
struct story_row {
    double title_score;
    int64_t articles, first, last;
    struct story_vec centroid;
};

/* Reads story id: 1 found, 0 absent, -1 with *rc. */
static int story_get(struct store *st, int64_t id, struct story_row *row, int *rc)
{
    sqlite3_stmt *s = sw(st, SW_GET);
    int found = 0;

    memset(row, 0, sizeof *row);
    if (s == NULL) {
        *rc = SQLITE_ERROR;
        return -1;
    }
    sqlite3_bind_int64(s, 1, id);
    *rc = sqlite3_step(s);
    if (*rc == SQLITE_ROW) {
        found = 1;
        row->title_score = sqlite3_column_double(s, 0);
        row->articles = sqlite3_column_int64(s, 1);
        row->first = sqlite3_column_int64(s, 2);
        row->last = sqlite3_column_int64(s, 3);
        *rc = story_centroid_decode(sqlite3_column_blob(s, 4), (size_t)sqlite3_column_bytes(s, 4),
                                    &row->centroid) == 0
                  ? SQLITE_OK
                  : SQLITE_CORRUPT;
    } else if (*rc == SQLITE_DONE) {
        *rc = SQLITE_OK;
    }
    sqlite3_reset(s);
    return *rc == SQLITE_OK ? found : -1;
}

/* Adds (del 0) or removes story id's index rows for terms[0..n) on day. */
static int terms_apply(struct store *st, int64_t id, const int64_t *terms, size_t n, int64_t day,
                       int del)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        sqlite3_stmt *s = sw(st, del ? SW_TERM_DEL : SW_TERM_ADD);
        if (s == NULL)
            return SQLITE_ERROR;
        sqlite3_bind_int64(s, 1, terms[i]);
        sqlite3_bind_int64(s, 2, day);
        sqlite3_bind_int64(s, 3, id);
        rc = sw_exec(st, s);
    }
    return rc;
}

/* Is h among the sorted terms[0..n)? */
static int terms_has(const int64_t *terms, size_t n, int64_t h)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (terms[mid] == h)
            return 1;
        if (terms[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Moves story id's index rows from (old terms, old day) to (new, new day),
 * touching only what changed. */
static int terms_move(struct store *st, int64_t id, const int64_t *ot, size_t on, int64_t oday,
                      const int64_t *nt, size_t nn, int64_t nday)
{
    int rc = SQLITE_OK;
    if (oday != nday) {
        rc = terms_apply(st, id, ot, on, oday, 1);
        return rc == SQLITE_OK ? terms_apply(st, id, nt, nn, nday, 0) : rc;
    }
    for (size_t i = 0; i < on && rc == SQLITE_OK; i++)
        if (!terms_has(nt, nn, ot[i]))
            rc = terms_apply(st, id, &ot[i], 1, oday, 1);
    for (size_t i = 0; i < nn && rc == SQLITE_OK; i++)
        if (!terms_has(ot, on, nt[i]))
            rc = terms_apply(st, id, &nt[i], 1, nday, 0);
    return rc;
}

static int source_add(struct store *st, int64_t id, const char *source)
{
    sqlite3_stmt *s;
    if (source == NULL || source[0] == '\0')
        return SQLITE_OK;
    s = sw(st, SW_SRC_ADD);
    if (s == NULL)
        return SQLITE_ERROR;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
    return sw_exec(st, s);
}

/* The article's vector: its signature weighted by the rarity counts as
 * they stand before it. */
static int article_vec(struct store *st, const struct story_vec *sig, struct story_vec *vec,
                       int64_t *anchors, size_t *nanchors)
{
    int64_t *df = NULL, total = 0;
    int rc = sw_int(st, SW_DF_GET, STORY_DF_TOTAL, NULL, &total);

    memset(vec, 0, sizeof *vec);
    if (rc != SQLITE_OK || sig->n == 0)
        return rc;
    df = malloc(sig->n * sizeof *df);
    if (df == NULL)
        return SQLITE_NOMEM;
    for (size_t i = 0; i < sig->n && rc == SQLITE_OK; i++)
        rc = sw_int(st, SW_DF_GET, sig->f[i].h, NULL, &df[i]);
    if (rc == SQLITE_OK && story_vec_make(sig, df, total, vec) != 0)
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        *nanchors = story_anchors(sig, df, total, anchors);
    free(df);
    return rc;
}

/* Is h a feature of c (sorted by h)? */
static int vec_has(const struct story_vec *c, int64_t h)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->f[mid].h == h)
            return 1;
        if (c->f[mid].h < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Counts the article's features in story_df. Rarity is counted by story,
 * not by article: joining a story, the article adds only the features its
 * story's centroid lacks (skip), and the total (the number of stories)
 * grows only when it starts one. So a story's own words stay rare however
 * many outlets report it, and a word common to many stories (the words of
 * every results table, of every market report) becomes common. */
static int df_count(struct store *st, const struct story_vec *sig, const struct story_vec *skip)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; i <= sig->n && rc == SQLITE_OK; i++) {
        sqlite3_stmt *s;
        if (i < sig->n && skip != NULL && vec_has(skip, sig->f[i].h))
            continue;
        if (i == sig->n && skip != NULL)
            break;
        s = sw(st, SW_DF_ADD);
        if (s == NULL)
            return SQLITE_ERROR;
        sqlite3_bind_int64(s, 1, i < sig->n ? sig->f[i].h : STORY_DF_TOTAL);
        rc = sw_exec(st, s);
    }
    return rc;
}

struct cand {
    int64_t id;
    double votes;
};

static int cmp_cand(const void *x, const void *y)
{
    const struct cand *a = x, *b = y;
    if (a->votes != b->votes)
        return a->votes > b->votes ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* The story that vec (at time t) joins, or 0; *score its similarity;
 * *bridge the next best story it also joins from the threshold, or 0. */
static int story_find(struct store *st, const struct story_vec *vec, const int64_t *anchors,
                      size_t nanchors, int64_t t, int64_t *found, double *score, int64_t *bridge)
{
    int64_t window = st->opts.story_window > 0 ? st->opts.story_window : STORY_DEFAULT_WINDOW;
    double threshold =
        st->opts.story_threshold > 0 ? st->opts.story_threshold : STORY_DEFAULT_THRESHOLD;
    struct cand cands[STORY_PROBES * STORY_PROBE_LIMIT];
    double scores[STORY_CANDIDATES];
    int64_t ids[STORY_CANDIDATES];
    size_t probe[STORY_PROBES], np, nc = 0, ns = 0;
    int rc = SQLITE_OK;
    long pick;

    *found = 0;
    *score = 0;
    *bridge = 0;
    np = story_probe_order(vec, probe, STORY_PROBES);
    for (size_t p = 0; p < np && rc == SQLITE_OK; p++) {
        sqlite3_stmt *s = sw(st, SW_PROBE);
        if (s == NULL)
            return SQLITE_ERROR;
        sqlite3_bind_int64(s, 1, vec->f[probe[p]].h);
        sqlite3_bind_int64(s, 2, day_of(t - window));
        sqlite3_bind_int64(s, 3, day_of(t + window));
        sqlite3_bind_int(s, 4, STORY_PROBE_LIMIT);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(s, 0);
            size_t k = 0;
            while (k < nc && cands[k].id != id)
                k++;
            if (k == nc) {
                cands[nc].id = id;
                cands[nc++].votes = 0;
            }
            cands[k].votes += vec->f[probe[p]].w;
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    if (rc != SQLITE_OK)
        return rc;
    qsort(cands, nc, sizeof *cands, cmp_cand);
    for (size_t i = 0; i < nc && ns < STORY_CANDIDATES && rc == SQLITE_OK; i++) {
        struct story_row row;
        int got = story_get(st, cands[i].id, &row, &rc);
        if (got > 0) {
            double tf = story_time_factor(t, row.first, row.last, window);
            ids[ns] = cands[i].id;
            scores[ns++] = tf > 0 && story_anchors_shared(&row.centroid, anchors, nanchors) > 0
                               ? story_similarity(vec, &row.centroid) * tf
                               : 0;
        }
        story_vec_free(&row.centroid);
    }
    if (rc != SQLITE_OK)
        return rc;
    threshold = story_threshold(vec->n, threshold);
    pick = story_pick(scores, ids, ns, threshold);
    if (pick >= 0) {
        long second;
        *found = ids[pick];
        *score = scores[pick];
        scores[pick] = -1; /* the same rule among the others */
        second = story_pick(scores, ids, ns, threshold);
        if (second >= 0)
            *bridge = ids[second];
    }
    return SQLITE_OK;
}

/* Runs a merge statement on (keep, gone). SQLite rc. */
static int merge_exec(struct store *st, int which, int64_t keep, int64_t gone)
{
    sqlite3_stmt *s = sw(st, which);
    if (s == NULL)
        return SQLITE_ERROR;
    sqlite3_bind_int64(s, 1, keep);
    sqlite3_bind_int64(s, 2, gone);
    return sw_exec(st, s);
}

/* Story a and story b, both joined by one article: the older (lower id)
 * absorbs the other when the rule above allows, its members, outlets,
 * centroid, span and index rows; the other id is recorded as merged into
 * it. *into: the survivor when merged, else 0. SQLite rc. */
static int story_merge(struct store *st, int64_t a, int64_t b, int64_t *into)
{
    int64_t keep = a < b ? a : b, gone = a < b ? b : a;
    struct story_row rk, rg;
    int64_t ot[STORY_INDEX_TERMS], gt[STORY_INDEX_TERMS], nt[STORY_INDEX_TERMS];
    size_t on, gn, nn, blen = 0;
    unsigned char *blob = NULL;
    sqlite3_stmt *s;
    int rc, fk, fg;
    int64_t first, last;

    *into = 0;
    fk = story_get(st, keep, &rk, &rc);
    fg = fk > 0 ? story_get(st, gone, &rg, &rc) : 0;
    if (fk <= 0 || fg <= 0) {
        story_vec_free(&rk.centroid);
        if (fk > 0)
            story_vec_free(&rg.centroid);
        return rc;
    }
    if (rg.articles > STORY_MERGE_MAX_MEMBERS ||
        story_similarity(&rk.centroid, &rg.centroid) < STORY_MERGE_MIN_SIMILARITY)
        goto out;
    on = story_index_terms(&rk.centroid, ot);
    gn = story_index_terms(&rg.centroid, gt);
    if (story_centroid_add(&rk.centroid, &rg.centroid) != 0) {
        rc = SQLITE_NOMEM;
        goto out;
    }
    nn = story_index_terms(&rk.centroid, nt);
    blob = story_centroid_encode(&rk.centroid, &blen);
    if (blob == NULL) {
        rc = SQLITE_NOMEM;
        goto out;
    }
    first = rg.first < rk.first ? rg.first : rk.first;
    last = rg.last > rk.last ? rg.last : rk.last;
    rc = merge_exec(st, SW_MERGE_TITLE, keep, gone);
    s = rc == SQLITE_OK ? sw(st, SW_UPDATE) : NULL;
    if (rc == SQLITE_OK && s == NULL)
        rc = SQLITE_ERROR;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, keep);
        sqlite3_bind_double(s, 3, rk.title_score > rg.title_score ? rk.title_score
                                                                  : rg.title_score);
        sqlite3_bind_int64(s, 4, rk.articles + rg.articles);
        sqlite3_bind_int64(s, 5, first);
        sqlite3_bind_int64(s, 6, last);
        sqlite3_bind_blob(s, 7, blob, (int)blen, SQLITE_STATIC);
        rc = sw_exec(st, s);
    }
    if (rc == SQLITE_OK)
        rc = terms_apply(st, gone, gt, gn, day_of(rg.last), 1);
    if (rc == SQLITE_OK)
        rc = terms_move(st, keep, ot, on, day_of(rk.last), nt, nn, day_of(last));
    if (rc == SQLITE_OK)
        rc = merge_exec(st, SW_SRC_MERGE, keep, gone);
    if (rc == SQLITE_OK) {
        s = sw(st, SW_DELETE_SOURCES);
        rc = s == NULL ? SQLITE_ERROR : SQLITE_OK;
        if (s != NULL) {
            sqlite3_bind_int64(s, 1, gone);
            rc = sw_exec(st, s);
        }
    }
    if (rc == SQLITE_OK)
        rc = merge_exec(st, SW_MOVE_MEMBERS, keep, gone);
    if (rc == SQLITE_OK) {
        s = sw(st, SW_DELETE);
        rc = s == NULL ? SQLITE_ERROR : SQLITE_OK;
        if (s != NULL) {
            sqlite3_bind_int64(s, 1, gone);
            rc = sw_exec(st, s);
        }
    }
    if (rc == SQLITE_OK)
        rc = merge_exec(st, SW_MERGE_FLATTEN, keep, gone);
    if (rc == SQLITE_OK)
        rc = merge_exec(st, SW_MERGE_REC, keep, gone);
    if (rc == SQLITE_OK)
        rc = store_story_touch(st, gone);
    if (rc == SQLITE_OK)
        *into = keep;
out:
    free(blob);
    story_vec_free(&rk.centroid);
    story_vec_free(&rg.centroid);
    return rc;
}

/* Adds the article (vec, at t, titled title) to story id; *joined 0 when
 * the story is not there (the caller starts one). SQLite rc. */
static int story_join(struct store *st, int64_t id, const struct story_vec *vec, double score,
                      const struct article *a, int *joined)
{
    struct story_row row;
    int64_t ot[STORY_INDEX_TERMS], nt[STORY_INDEX_TERMS];
    size_t on, nn;
    unsigned char *blob = NULL;
    size_t blen = 0;
    sqlite3_stmt *s;
    int rc, found = story_get(st, id, &row, &rc);
    int64_t first, last;

    *joined = found > 0;
    if (found <= 0)
        goto out;
    on = story_index_terms(&row.centroid, ot);
    if (vec->n > 0 && story_centroid_add(&row.centroid, vec) != 0) {
        rc = SQLITE_NOMEM;
        goto out;
    }
    nn = story_index_terms(&row.centroid, nt);
    blob = story_centroid_encode(&row.centroid, &blen);
    s = sw(st, SW_UPDATE);
    if (blob == NULL || s == NULL) {
        rc = blob == NULL ? SQLITE_NOMEM : SQLITE_ERROR;
        goto out;
    }
    first = a->ts < row.first ? a->ts : row.first;
    last = a->ts > row.last ? a->ts : row.last;
    sqlite3_bind_int64(s, 1, id);
    /* the story's title: its member closest to it when it joined */
    if (score > row.title_score)
        sqlite3_bind_text(s, 2, a->title, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 3, score > row.title_score ? score : row.title_score);
    sqlite3_bind_int64(s, 4, row.articles + 1);
    sqlite3_bind_int64(s, 5, first);
    sqlite3_bind_int64(s, 6, last);
    sqlite3_bind_blob(s, 7, blob, (int)blen, SQLITE_STATIC);
    rc = sw_exec(st, s);
    if (rc == SQLITE_OK)
        rc = terms_move(st, id, ot, on, day_of(row.last), nt, nn, day_of(last));
    if (rc == SQLITE_OK)
        rc = source_add(st, id, a->source);
out:
    free(blob);
    story_vec_free(&row.centroid);
    return rc;
}

/* Starts story id with the article alone. */
static int story_start(struct store *st, int64_t id, const struct story_vec *vec,
                       const struct article *a)
{
    int64_t terms[STORY_INDEX_TERMS];
    size_t n = story_index_terms(vec, terms), blen = 0;
    unsigned char *blob = story_centroid_encode(vec, &blen);
    sqlite3_stmt *s = sw(st, SW_INSERT);
    int rc;

    if (blob == NULL || s == NULL) {
        free(blob);
        return blob == NULL ? SQLITE_NOMEM : SQLITE_ERROR;
    }
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, a->title, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 3, 0.0);
    sqlite3_bind_int64(s, 4, a->ts);
    sqlite3_bind_blob(s, 5, blob, (int)blen, SQLITE_STATIC);
    rc = sw_exec(st, s);
    free(blob);
    if (rc == SQLITE_OK)
        rc = terms_apply(st, id, terms, n, day_of(a->ts), 0);
    if (rc == SQLITE_OK)
        rc = source_add(st, id, a->source);
    return rc;
}

/* The story of the original this article copies, or 0. */
static int copy_story(struct store *st, const struct store_op *op, int64_t *out)
{
    const struct article *a = &op->article;
    int rc = SQLITE_OK;

    *out = 0;
    if (a->duplicate_of != NULL)
        rc = sw_int(st, SW_OF_ID, 0, a->duplicate_of, out);
    if (rc == SQLITE_OK && *out == 0 && op->near_op != NULL && !op->near_op->failed)
        *out = op->near_op->story;
    if (rc == SQLITE_OK && *out == 0 && op->near_grp > 0)
        rc = sw_int(st, SW_OF_GRP, op->near_grp, NULL, out);
    return rc;
}

int store_story_assign(struct store *st, struct store_op *op, int exists)
{
    struct article *a = &op->article;
    struct story_vec vec = {0};
    int64_t story = 0, bridge = 0, id, anchors[STORY_SIG_MAX];
    size_t nanchors = 0;
    double score = 0;
    int rc = SQLITE_OK, copy = 0, joined = 0;
    sqlite3_stmt *s;

    /* a replaced article was taken out of its story before its row changed
     * (store_story_remove): it is assigned again as a new one */
    (void)exists;
    op->story = 0;
    op->story_new = 0;
    rc = copy_story(st, op, &story);
    copy = story != 0;
    if (rc == SQLITE_OK)
        rc = article_vec(st, &op->story_sig, &vec, anchors, &nanchors);
    if (rc == SQLITE_OK && !copy && vec.n > 0)
        rc = story_find(st, &vec, anchors, nanchors, a->ts, &story, &score, &bridge);
    if (rc == SQLITE_OK && bridge != 0) {
        /* the article bridges two stories: the older absorbs the other */
        int64_t into = 0;
        rc = story_merge(st, story, bridge, &into);
        if (rc == SQLITE_OK && into != 0)
            story = into;
    }
    if (copy)
        score = 0; /* a copy does not retitle its story */
    /* a copy's words are its original's: counting them again would make
     * an agency story's words look common */
    if (rc == SQLITE_OK && !copy) {
        struct story_row row = {0};
        int got = story != 0 ? story_get(st, story, &row, &rc) : 0;
        if (got >= 0)
            rc = df_count(st, &op->story_sig, got > 0 ? &row.centroid : NULL);
        story_vec_free(&row.centroid);
    }
    if (rc == SQLITE_OK && story != 0)
        rc = story_join(st, story, &vec, score, a, &joined);
    if (rc == SQLITE_OK && !joined) {
        rc = sw_int(st, SW_ID_TAKEN, a->seq, NULL, &id);
        story = id ? STORY_ID_RESEEDED + op->change_seq : a->seq;
        op->story_new = 1;
        if (rc == SQLITE_OK)
            rc = story_start(st, story, &vec, a);
    }
    s = rc == SQLITE_OK ? sw(st, SW_SET_ARTICLE) : NULL;
    if (rc == SQLITE_OK && s == NULL)
        rc = SQLITE_ERROR;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, a->seq);
        sqlite3_bind_int64(s, 2, story);
        rc = sw_exec(st, s);
    }
    if (rc == SQLITE_OK)
        rc = store_story_touch(st, story);
    if (rc == SQLITE_OK)
        op->story = a->story = story;
    else
        op->story_new = 0;
    story_vec_free(&vec);
    return rc;
}

int store_story_remove(struct store *st, int64_t seq)
{
    sqlite3_stmt *s = sw(st, SW_OF_SEQ);
    struct story_row row = {0};
    int64_t story = 0;
    char *source = NULL;
    int rc, found;

    if (s == NULL)
        return SQLITE_ERROR;
    sqlite3_bind_int64(s, 1, seq);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        story = sqlite3_column_int64(s, 0);
        source = store_column_dup(s, 1);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rc;
    if (story == 0) {
        free(source);
        return SQLITE_OK;
    }
    /* the row no longer names the story (a replace assigns it again) */
    s = sw(st, SW_SET_ARTICLE);
    if (s == NULL) {
        free(source);
        return SQLITE_ERROR;
    }
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_null(s, 2);
    rc = sw_exec(st, s);
    found = rc == SQLITE_OK ? story_get(st, story, &row, &rc) : -1;
    if (found <= 0)
        goto out;
    if (source != NULL) {
        s = sw(st, SW_SRC_SUB);
        sqlite3_bind_int64(s, 1, story);
        sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
        rc = sw_exec(st, s);
        s = rc == SQLITE_OK ? sw(st, SW_SRC_PRUNE) : NULL;
        if (s != NULL) {
            sqlite3_bind_int64(s, 1, story);
            sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
            rc = sw_exec(st, s);
        }
    }
    if (rc != SQLITE_OK)
        goto out;
    if (row.articles <= 1) {
        /* the last member: the story goes, with its index rows */
        int64_t terms[STORY_INDEX_TERMS];
        size_t n = story_index_terms(&row.centroid, terms);
        rc = terms_apply(st, story, terms, n, day_of(row.last), 1);
        if (rc == SQLITE_OK) {
            s = sw(st, SW_DELETE_SOURCES);
            sqlite3_bind_int64(s, 1, story);
            rc = sw_exec(st, s);
        }
        if (rc == SQLITE_OK) {
            s = sw(st, SW_DELETE);
            sqlite3_bind_int64(s, 1, story);
            rc = sw_exec(st, s);
        }
    } else {
        /* the centroid keeps the member's share: it only drifts */
        s = sw(st, SW_UPDATE);
        sqlite3_bind_int64(s, 1, story);
        sqlite3_bind_double(s, 3, row.title_score);
        sqlite3_bind_int64(s, 4, row.articles - 1);
        sqlite3_bind_int64(s, 5, row.first);
        sqlite3_bind_int64(s, 6, row.last);
        rc = sw_exec(st, s);
    }
    if (rc == SQLITE_OK)
        rc = store_story_touch(st, story);
out:
    story_vec_free(&row.centroid);
    free(source);
    return rc;
}

/* ---- the change feed's story rows (writer) ------------------------------- */

int store_story_touch(struct store *st, int64_t id)
{
    if (st->nstory_touched == st->story_touched_cap) {
        size_t cap = st->story_touched_cap ? st->story_touched_cap * 2 : 64;
        int64_t *p = realloc(st->story_touched, cap * sizeof *p);
        if (p == NULL)
            return SQLITE_NOMEM;
        st->story_touched = p;
        st->story_touched_cap = cap;
    }
    st->story_touched[st->nstory_touched++] = id;
    return SQLITE_OK;
}

static int cmp_id(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

size_t store_story_ids_unique(int64_t *ids, size_t n)
{
    size_t k = 0;
    if (n == 0)
        return 0;
    qsort(ids, n, sizeof *ids, cmp_id);
    for (size_t i = 1; i < n; i++)
        if (ids[i] != ids[k])
            ids[++k] = ids[i];
    return k + 1;
}

int store_story_log_flush(struct store *st)
{
    /* the list holds one entry per member moved: its distinct stories are
     * at most that many, each one upsert (the cost per commit is flat in
     * the store's size) */
    size_t n = store_story_ids_unique(st->story_touched, st->nstory_touched);
    int64_t now = (int64_t)time(NULL);
    int rc = SQLITE_OK;

    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        sqlite3_stmt *s = sw(st, SW_LOG_UPSERT);
        if (s == NULL) {
            rc = SQLITE_ERROR;
            break;
        }
        sqlite3_bind_int64(s, 1, st->story_touched[i]);
        sqlite3_bind_int64(s, 2, st->last_change + 1);
        sqlite3_bind_int64(s, 3, now);
        rc = sw_exec(st, s);
        if (rc == SQLITE_OK) /* given back by the commit's roll-back */
            st->last_change++;
    }
    st->nstory_touched = 0;
    return rc;
}

int store_story_log_prune(struct store *st, int64_t cutoff, int64_t *floor)
{
    sqlite3_stmt *s;
    int rc = sw_int(st, SW_LOG_PRUNE_MAX, cutoff, NULL, floor);
    if (rc != SQLITE_OK || *floor == 0)
        return rc;
    s = sw(st, SW_LOG_PRUNE);
    if (s == NULL)
        return SQLITE_ERROR;
    sqlite3_bind_int64(s, 1, cutoff);
    return sw_exec(st, s);
}

/* ---- reads (any thread, its own connection) ------------------------------ */

/* The story id was merged into, or 0 (-1: a read error, err set). */
static int64_t story_merged_into(struct store_reader *r, int64_t id, struct error *err)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_STORY_MERGED);
    int64_t into = 0;
    int rc;

    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        into = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_error_from_sqlite(err, STORE_IO_READ, rc, r->db, "story read failed");
        return -1;
    }
    return into;
}

/* err: no story id (saying where it went when it was merged away). */
static void story_not_found(struct store_reader *r, int64_t id, struct error *err)
{
    int64_t into = story_merged_into(r, id, err);
    if (into > 0)
        error_set(err, ERR_NOT_FOUND, "story '%lld' was merged into story '%lld'", (long long)id,
                  (long long)into);
    else if (into == 0)
        error_set(err, ERR_NOT_FOUND, "no story with id '%lld'", (long long)id);
}

void store_story_clear(struct store_story *s)
{
    if (s == NULL)
        return;
    free(s->title);
    for (size_t i = 0; i < s->nsource_names; i++)
        free(s->sources[i]);
    free(s->sources);
    for (size_t i = 0; i < s->nmembers; i++) {
        struct store_story_member *m = &s->members[i];
        free(m->id);
        free(m->title);
        free(m->source);
        free(m->published_at);
        free(m->duplicate_of);
    }
    free(s->members);
    memset(s, 0, sizeof *s);
}

void store_stories_free(struct store_stories *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->n; i++)
        store_story_clear(&list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* The story row at s's cursor into out. 0 or SQLITE_NOMEM. */
static int story_row_read(sqlite3_stmt *s, struct store_story *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    out->title = store_column_dup(s, 1);
    out->articles = sqlite3_column_int64(s, 2);
    out->first_ts = sqlite3_column_int64(s, 3);
    out->last_ts = sqlite3_column_int64(s, 4);
    return out->title != NULL ? SQLITE_OK : SQLITE_NOMEM;
}

/* Fills out's outlets (count and the first names). SQLite rc. */
static int story_sources_read(struct store_reader *r, struct store_story *out)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_STORY_NSOURCES);
    int rc;

    if (s == NULL)
        return SQLITE_ERROR;
    sqlite3_bind_int64(s, 1, out->id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        out->nsources = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW)
        return rc;
    out->sources = calloc(STORE_STORY_SOURCES, sizeof *out->sources);
    s = store_reader_stmt(r, RSTMT_STORY_SOURCES);
    if (out->sources == NULL || s == NULL)
        return out->sources == NULL ? SQLITE_NOMEM : SQLITE_ERROR;
    sqlite3_bind_int64(s, 1, out->id);
    sqlite3_bind_int(s, 2, STORE_STORY_SOURCES);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && out->nsource_names < STORE_STORY_SOURCES) {
        char *name = store_column_dup(s, 0);
        if (name == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        out->sources[out->nsource_names++] = name;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* The FTS5 expression of the member filters on words and source (NULL:
 * none; *oom on failure): the words kept to title and body (a source token
 * lives in src), the source as its token (schema.c, migration 10: "zzs" +
 * its bytes in upper-case hex + "q"). */
static char *story_filter_match(const struct store_story_query *q, int *oom)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t ml = q->match ? strlen(q->match) : 0, sl = q->source ? strlen(q->source) : 0, n = 0;
    char *m;

    *oom = 0;
    if (q->match == NULL && q->source == NULL)
        return NULL;
    m = malloc(ml + 2 * sl + 64);
    if (m == NULL) {
        *oom = 1;
        return NULL;
    }
    if (q->match != NULL)
        n = (size_t)sprintf(m, "{title body} : (%s)", q->match);
    if (q->source != NULL) {
        n += (size_t)sprintf(m + n, "%ssrc : \"zzs", q->match != NULL ? " AND " : "");
        for (size_t i = 0; i < sl; i++) {
            m[n++] = hex[(unsigned char)q->source[i] >> 4];
            m[n++] = hex[(unsigned char)q->source[i] & 15];
        }
        memcpy(m + n, "q\"", 3);
    } else {
        m[n] = '\0';
    }
    return m;
}

int store_story_list(struct store *st, const struct store_story_query *q,
                     struct store_stories *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    unsigned limit = q->limit ? q->limit : 20;
    sqlite3_stmt *s;
    char token[STORE_ENTITY_TOKEN_MAX];
    int rc = SQLITE_OK, oom;
    char *match;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    if (q->entity < 0) /* an entity nobody mentions: no story */
        return 0;
    match = story_filter_match(q, &oom);
    if (match != NULL)
        s = store_reader_stmt(r, RSTMT_STORY_LIST_FTS);
    else if (q->entity > 0)
        s = store_reader_stmt(r, RSTMT_STORY_LIST_ENT);
    else
        s = store_reader_stmt(r, RSTMT_STORY_LIST);
    out->items = oom ? NULL : calloc(limit + 1, sizeof *out->items);
    if (s == NULL || out->items == NULL) {
        free(out->items);
        free(match);
        out->items = NULL;
        if (s == NULL)
            store_error_from_reader(err, r, "prepare failed");
        else
            error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    if (match != NULL || q->entity > 0) {
        if (match != NULL)
            sqlite3_bind_text(s, 7, match, -1, SQLITE_STATIC);
        if (q->entity > 0) {
            store_entity_token(q->entity, token);
            sqlite3_bind_text(s, 8, token, -1, SQLITE_TRANSIENT);
        }
        sqlite3_bind_int64(s, 9, STORE_STORY_FILTER_ARTICLES);
    }
    sqlite3_bind_int64(s, 1, q->from);
    sqlite3_bind_int64(s, 2, q->to);
    sqlite3_bind_int64(s, 3, q->min_articles);
    sqlite3_bind_int64(s, 4, q->has_after ? q->after_ts : INT64_MAX);
    sqlite3_bind_int64(s, 5, q->has_after ? q->after_id : INT64_MAX);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)limit + 1);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (out->n == limit) {
            out->more = 1;
            break;
        }
        rc = story_row_read(s, &out->items[out->n]);
        out->n++;
        if (rc != SQLITE_OK)
            break;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    free(match);
    rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
    for (size_t i = 0; i < out->n && rc == SQLITE_OK; i++)
        rc = story_sources_read(r, &out->items[i]);
    if (rc != SQLITE_OK) {
        store_error_from_sqlite(err, STORE_IO_READ, rc, rc == SQLITE_NOMEM ? NULL : r->db,
                                "story list failed");
        store_stories_free(out);
        return -1;
    }
    return 0;
}

/* Whether story id is in r's snapshot, for the reads of a story's parts:
 * 0 with err when the caller is done (it does not exist: story_not_found;
 * or the statement could not be prepared), else the step's SQLite rc
 * (SQLITE_ROW, or the read's error for the caller to report). */
static int story_exists(struct store_reader *r, int64_t id, struct error *err)
{
    sqlite3_stmt *s = store_reader_stmt(r, RSTMT_STORY_GET);
    int rc;

    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return 0;
    }
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) {
        story_not_found(r, id, err);
        return 0;
    }
    return rc;
}

int store_story_get(struct store *st, int64_t id, unsigned max_members, struct store_story *out,
                    struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;
    int rc;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    s = store_reader_stmt(r, RSTMT_STORY_GET);
    if (s == NULL) {
        store_error_from_reader(err, r, "prepare failed");
        return -1;
    }
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rc = story_row_read(s, out);
    else if (rc == SQLITE_DONE)
        rc = SQLITE_NOTFOUND;
    sqlite3_reset(s);
    if (rc == SQLITE_NOTFOUND) {
        int64_t into = story_merged_into(r, id, err);
        if (into > 0) {
            out->id = id;
            out->merged_into = into;
            return 0;
        }
        if (into == 0)
            error_set(err, ERR_NOT_FOUND, "no story with id '%lld'", (long long)id);
        return -1;
    }
    if (rc == SQLITE_OK)
        rc = story_sources_read(r, out);
    s = rc == SQLITE_OK ? store_reader_stmt(r, RSTMT_STORY_MEMBERS) : NULL;
    if (rc == SQLITE_OK && s == NULL)
        rc = SQLITE_ERROR;
    if (rc == SQLITE_OK)
        out->members = calloc(max_members + 1, sizeof *out->members);
    if (rc == SQLITE_OK && out->members == NULL)
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, max_members);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW && out->nmembers < max_members) {
            struct store_story_member *m = &out->members[out->nmembers++];
            m->id = store_column_dup(s, 0);
            m->title = store_column_dup(s, 1);
            m->source = store_column_dup(s, 2);
            m->published_at = store_column_dup(s, 3);
            m->duplicate_of = store_column_dup(s, 4);
            if (m->id == NULL || m->title == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
        }
        sqlite3_reset(s);
        rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
    }
    if (rc != SQLITE_OK) {
        store_error_from_sqlite(err, STORE_IO_READ, rc, rc == SQLITE_NOMEM ? NULL : r->db,
                                "story read failed");
        store_story_clear(out);
        return -1;
    }
    return 0;
}

void store_timeline_free(struct store_timeline *t)
{
    if (t == NULL)
        return;
    free(t->items);
    memset(t, 0, sizeof *t);
}

/* The start of the bucket holding ts. */
static int64_t bucket_of(int64_t ts, int64_t width, int64_t offset)
{
    int64_t d = ts - offset;
    int64_t q = d >= 0 ? d / width : -((-d + width - 1) / width);
    return q * width + offset;
}

int store_story_timeline(struct store *st, int64_t id, int64_t width, int64_t offset,
                         size_t max_buckets, struct store_timeline *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;
    long long read = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    if ((rc = story_exists(r, id, err)) == 0)
        return -1;
    s = rc == SQLITE_ROW ? store_reader_stmt(r, RSTMT_STORY_TIMELINE) : NULL;
    out->items = calloc(max_buckets, sizeof *out->items);
    if (s == NULL || out->items == NULL) {
        rc = out->items == NULL ? SQLITE_NOMEM : rc == SQLITE_ROW ? SQLITE_ERROR : rc;
        goto fail;
    }
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, STORE_STORY_TIMELINE_MEMBERS + 1);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t b = bucket_of(sqlite3_column_int64(s, 0), width, offset);
        if (++read > STORE_STORY_TIMELINE_MEMBERS) {
            out->truncated = 1;
            break;
        }
        if (out->n == 0 || out->items[out->n - 1].start != b) {
            if (out->n == max_buckets) {
                out->truncated = 1;
                break;
            }
            out->items[out->n++].start = b;
        }
        out->items[out->n - 1].articles++;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
fail:
    store_error_from_sqlite(err, STORE_IO_READ, rc, rc == SQLITE_NOMEM ? NULL : r->db,
                            "story timeline failed");
    store_timeline_free(out);
    return -1;
}

int store_entity_timeline(struct store *st, int64_t eid, long long articles, int64_t from,
                          int64_t to, int64_t width, struct store_timeline *out,
                          struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    char token[STORE_ENTITY_TOKEN_MAX];
    sqlite3_stmt *s;
    size_t n;
    int rc;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    if (width <= 0 || to <= from || (to - from) % width != 0) {
        error_set(err, ERR_INTERNAL, "bad timeline range");
        return -1;
    }
    n = (size_t)((to - from) / width);
    s = store_reader_stmt(r, RSTMT_ENT_TIMELINE);
    out->items = calloc(n, sizeof *out->items);
    if (s == NULL || out->items == NULL) {
        rc = out->items == NULL ? SQLITE_NOMEM : SQLITE_ERROR;
        goto fail;
    }
    out->n = n;
    for (size_t i = 0; i < n; i++)
        out->items[i].start = from + (int64_t)i * width;
    out->truncated = articles > STORE_ENTITY_TIMELINE_ARTICLES;
    store_entity_token(eid, token);
    sqlite3_bind_text(s, 1, token, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, from);
    sqlite3_bind_int64(s, 3, to);
    sqlite3_bind_int64(s, 4, STORE_ENTITY_TIMELINE_ARTICLES);
    sqlite3_bind_int64(s, 5, width);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t i = sqlite3_column_int64(s, 0);
        if (i >= 0 && (size_t)i < n) {
            out->items[i].articles = sqlite3_column_int64(s, 1);
            out->items[i].stories = sqlite3_column_int64(s, 2);
        }
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_DONE)
        return 0;
fail:
    store_error_from_sqlite(err, STORE_IO_READ, rc, rc == SQLITE_NOMEM ? NULL : r->db,
                            "entity timeline failed");
    store_timeline_free(out);
    return -1;
}

int store_story_articles(struct store *st, int64_t id, const struct store_list_query *q,
                         struct store_article_list *out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    struct store_list_query page = *q;
    sqlite3_stmt *s;
    int rc;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    if ((rc = story_exists(r, id, err)) == 0)
        return -1;
    s = rc == SQLITE_ROW ? store_reader_stmt(r, RSTMT_STORY_ARTICLES) : NULL;
    if (s == NULL) {
        store_error_from_sqlite(err, STORE_IO_READ, rc == SQLITE_ROW ? SQLITE_ERROR : rc, r->db,
                                "story articles failed");
        return -1;
    }
    /* oldest first: the first page starts before every row */
    page.from = INT64_MIN;
    page.to = INT64_MAX;
    if (!page.has_after) {
        page.has_after = 1;
        page.after_ts = INT64_MIN;
        page.after_seq = INT64_MIN;
    }
    sqlite3_bind_int64(s, 6, id);
    return store_list_collect(r, s, &page, out, err);
}

