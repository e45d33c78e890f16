/* store_near.c: the data near-duplicate look-ups need (see store.h): the
 * postings of a text's index tokens with the candidates' set sizes, the
 * candidates' texts, and exact copies by content hash. The rules that score
 * and rank them are analysis/dedupe.c's; the store computes no fingerprints. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Appends v to the growing array *a (n, cap). 0, or -1 when out of memory. */
static int push_i64(int64_t **a, size_t *n, size_t *cap, int64_t v)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        int64_t *bigger = realloc(*a, ncap * sizeof *bigger);
        if (bigger == NULL)
            return -1;
        *a = bigger;
        *cap = ncap;
    }
    (*a)[(*n)++] = v;
    return 0;
}

/* The seqs of the stored articles carrying index tokens, one fp_index query
 * per token looked up (one seq per shared token), a boilerplate token adding
 * none; *scale as store_near_postings says. Inside the caller's read
 * transaction once *began. SQLite rc. */
static int near_seqs(struct store *st, struct store_reader *r, const struct fingerprint_set *index,
                     int64_t **seqs, size_t *nseqs, double *scale, int *began)
{
    sqlite3_stmt *post = store_reader_stmt(r, RSTMT_POSTINGS);
    int64_t *maybe = NULL;
    size_t nmaybe = 0, cap = 0, seqcap = *nseqs, passed = 0;
    int rc = SQLITE_OK;

    *scale = 1.0;
    if (post == NULL)
        return sqlite3_errcode(r->db);
    /* the filter first: most tokens are carried by no stored article; only
     * the smallest pass (tokens are hashes, so a uniform sample) */
    pthread_rwlock_rdlock(&st->filter_lock);
    for (size_t i = 0; i < index->n && rc == SQLITE_OK; i++)
        if (st->filter == NULL || fpfilter_maybe(st->filter, index->hashes[i])) {
            passed++;
            if (nmaybe < STORE_NEAR_PROBES_ALL &&
                push_i64(&maybe, &nmaybe, &cap, index->hashes[i]) != 0)
                rc = SQLITE_NOMEM;
        }
    pthread_rwlock_unlock(&st->filter_lock);
    /* a few tokens are all looked up (hits exact), many are sampled */
    if (passed > STORE_NEAR_PROBES_ALL && nmaybe > STORE_NEAR_PROBES)
        nmaybe = STORE_NEAR_PROBES;
    if (nmaybe > 0)
        *scale = (double)passed / (double)nmaybe;
    /* one snapshot for the look-ups and the sizes (none needed when the
     * filter passed nothing: most articles copy nothing) */
    if (nmaybe > 0 && rc == SQLITE_OK && (rc = store_read_begin(r)) == SQLITE_OK)
        *began = 1;

    for (size_t i = 0; i < nmaybe && rc == SQLITE_OK; i++) {
        char match[STORE_FP_TOKEN_LEN + 3];
        size_t first = *nseqs, got = 0;
        match[0] = '"';
        store_fp_token(maybe[i], match + 1);
        match[STORE_FP_TOKEN_LEN + 1] = '"';
        match[STORE_FP_TOKEN_LEN + 2] = '\0';
        sqlite3_bind_text(post, 1, match, -1, SQLITE_STATIC);
        sqlite3_bind_int64(post, 2, STORE_BOILERPLATE_ARTICLES + 1);
        while ((rc = sqlite3_step(post)) == SQLITE_ROW) {
            got++;
            if (push_i64(seqs, nseqs, &seqcap, sqlite3_column_int64(post, 0)) != 0) {
                rc = SQLITE_NOMEM;
                break;
            }
        }
        sqlite3_reset(post);
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
        if (got > STORE_BOILERPLATE_ARTICLES)
            *nseqs = first; /* boilerplate: finds no candidates */
    }
    free(maybe);
    return rc;
}

/* Fills c's set sizes: from memory, else (a seq past the in-memory table's
 * range) from article_fps. SQLite rc. */
static int near_sizes(struct store *st, sqlite3_stmt *sizes, struct dedupe_candidate *c)
{
    int rc;

    c->sized = st->sizes != NULL && fpsizes_get(st->sizes, c->seq, &c->n_all, &c->n_index);
    if (c->sized)
        return SQLITE_OK;
    sqlite3_bind_int64(sizes, 1, c->seq);
    rc = sqlite3_step(sizes);
    if (rc == SQLITE_ROW) {
        c->sized = 1;
        c->n_all = (size_t)sqlite3_column_int64(sizes, 0);
        c->n_index = (size_t)sqlite3_column_int64(sizes, 1);
    }
    sqlite3_reset(sizes);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_near_postings(struct store *st, const struct fingerprint_set *index,
                        struct store_near_postings *out, struct error *err)
{
    struct store_reader *r;
    sqlite3_stmt *sizes;
    int64_t *seqs = NULL;
    size_t nseqs = 0;
    int rc, ret = -1, began = 0;

    memset(out, 0, sizeof *out);
    out->scale = 1.0;
    if (!st->opts.fingerprints || index->n == 0)
        return 0;
    r = store_reader_get(st, err);
    if (r == NULL)
        return -1;
    sizes = store_reader_stmt(r, RSTMT_SEQ_ID);
    if (sizes == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    rc = near_seqs(st, r, index, &seqs, &nseqs, &out->scale, &began);
    if (rc == SQLITE_OK && nseqs > 1)
        qsort(seqs, nseqs, sizeof *seqs, cmp_int64);
    if (rc == SQLITE_OK && (out->items = calloc(nseqs + 1, sizeof *out->items)) == NULL)
        rc = SQLITE_NOMEM;
    /* one candidate per article, hits = its run of equal seqs */
    for (size_t i = 0; i < nseqs && rc == SQLITE_OK;) {
        size_t j = i;
        while (j < nseqs && seqs[j] == seqs[i])
            j++;
        out->items[out->n] = (struct dedupe_candidate){.seq = seqs[i], .hits = j - i};
        rc = near_sizes(st, sizes, &out->items[out->n++]);
        i = j;
    }
    if (rc != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "fingerprint look-up failed: %s", sqlite3_errstr(rc));
        goto out;
    }
    ret = 0;
out:
    if (began)
        store_read_end(r);
    if (ret != 0)
        store_near_postings_free(out);
    free(seqs);
    return ret;
}

void store_near_postings_free(struct store_near_postings *p)
{
    if (p == NULL)
        return;
    free(p->items);
    memset(p, 0, sizeof *p);
}

int store_near_texts(struct store *st, const int64_t *seqs, size_t n, struct store_near_text **out,
                     size_t *nout, struct error *err)
{
    struct store_reader *r;
    sqlite3_stmt *row;
    struct store_near_text *texts = NULL;
    size_t got = 0;
    int rc = SQLITE_OK, ret = -1, began = 0;

    *out = NULL;
    *nout = 0;
    if (n == 0)
        return 0;
    r = store_reader_get(st, err);
    if (r == NULL)
        return -1;
    row = store_reader_stmt(r, RSTMT_FPSET);
    if (row == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    texts = calloc(n, sizeof *texts);
    if (texts == NULL)
        rc = SQLITE_NOMEM;
    else if ((rc = store_read_begin(r)) == SQLITE_OK)
        began = 1;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        struct store_near_text *t = &texts[got];
        const unsigned char *h;
        sqlite3_bind_int64(row, 1, seqs[i]);
        rc = sqlite3_step(row);
        if (rc != SQLITE_ROW) {
            sqlite3_reset(row);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc; /* deleted meanwhile */
            continue;
        }
        rc = SQLITE_OK;
        t->seq = seqs[i];
        t->grp = sqlite3_column_int64(row, 1);
        h = sqlite3_column_text(row, 2);
        snprintf(t->content_hash, sizeof t->content_hash, "%s", h ? (const char *)h : "");
        t->id = store_column_dup(row, 0);
        t->body_len = (size_t)sqlite3_column_bytes(row, 3);
        t->body = malloc(t->body_len + 1);
        if (t->body != NULL) {
            const void *b = sqlite3_column_blob(row, 3);
            if (t->body_len > 0)
                memcpy(t->body, b, t->body_len);
            t->body[t->body_len] = '\0';
        }
        sqlite3_reset(row);
        if (t->body == NULL) {
            free(t->id);
            rc = SQLITE_NOMEM;
        } else if (t->id == NULL) {
            free(t->body); /* a row without an id is no candidate */
            memset(t, 0, sizeof *t);
        } else {
            got++;
        }
    }
    if (rc != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "reading near-duplicate candidates failed: %s",
                  sqlite3_errstr(rc));
        goto out;
    }
    ret = 0;
out:
    if (began)
        store_read_end(r);
    if (ret != 0) {
        store_near_texts_free(texts, got);
        texts = NULL;
        got = 0;
    }
    *out = texts;
    *nout = got;
    return ret;
}

void store_near_texts_free(struct store_near_text *texts, size_t n)
{
    for (size_t i = 0; texts != NULL && i < n; i++) {
        free(texts[i].id);
        free(texts[i].body);
    }
    free(texts);
}

int store_exact_copies(struct store *st, const char *content_hash, const char *exclude_id,
                       char ***ids, size_t *n, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s;
    size_t cap = 0;
    int rc;

    *ids = NULL;
    *n = 0;
    if (r == NULL)
        return -1;
    s = store_reader_stmt(r, RSTMT_EXACT);
    if (s == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    sqlite3_bind_text(s, 1, content_hash, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(s, 0);
        if (id == NULL || (exclude_id != NULL && strcmp(id, exclude_id) == 0))
            continue;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char **bigger = realloc(*ids, ncap * sizeof **ids);
            if (bigger == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            *ids = bigger;
            cap = ncap;
        }
        if (((*ids)[*n] = strdup(id)) == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        (*n)++;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < *n; i++)
            free((*ids)[i]);
        free(*ids);
        *ids = NULL;
        *n = 0;
        error_set(err, ERR_INTERNAL, "read failed: %s", sqlite3_errstr(rc));
        return -1;
    }
    return 0;
}

/* ---- backfill ----------------------------------------------------------- */

int store_backfill_next(struct store *st, enum store_backfill_kind kind, int64_t after,
                        unsigned limit, struct store_backfill_row **rows, size_t *n,
                        struct error *err)
{
    static const char *const sql[] = {
        [STORE_BACKFILL_FINGERPRINTS] = "SELECT seq, ts, body FROM articles"
                                        " WHERE fp_done = 0 AND seq > ?1 ORDER BY seq LIMIT ?2",
        [STORE_BACKFILL_ENTITIES] = "SELECT seq, ts, body FROM articles"
                                    " WHERE entities_done = 0 AND seq > ?1 ORDER BY seq LIMIT ?2",
        [STORE_BACKFILL_STORIES] = "SELECT seq, ts, body, title, source, duplicate_of, grp"
                                   " FROM articles INDEXED BY articles_story_todo"
                                   " WHERE story IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2",
    };
    struct store_reader *r;
    sqlite3_stmt *s = NULL;
    struct store_backfill_row *out = NULL;
    size_t got = 0;
    int rc, ret = -1;

    *rows = NULL;
    *n = 0;
    r = store_reader_get(st, err);
    if (r == NULL)
        return -1;
    /* once per start: not worth a cached statement */
    rc = sqlite3_prepare_v2(r->db, sql[kind], -1, &s, NULL);
    if (rc == SQLITE_OK && (out = calloc(limit + 1, sizeof *out)) == NULL)
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, after);
        sqlite3_bind_int64(s, 2, limit);
    }
    while (rc == SQLITE_OK && got < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_backfill_row *row = &out[got];
        const void *body = sqlite3_column_blob(s, 2);
        row->seq = sqlite3_column_int64(s, 0);
        row->ts = sqlite3_column_int64(s, 1);
        row->body_len = (size_t)sqlite3_column_bytes(s, 2);
        row->body = malloc(row->body_len + 1);
        if (row->body == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (row->body_len > 0)
            memcpy(row->body, body, row->body_len);
        row->body[row->body_len] = '\0';
        got++;
        if (kind == STORE_BACKFILL_STORIES) {
            row->title = store_column_dup(s, 3);
            row->source = store_column_dup(s, 4);
            row->duplicate_of = store_column_dup(s, 5);
            row->grp = sqlite3_column_int64(s, 6);
            if (row->title == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
        }
        rc = SQLITE_OK;
    }
    /* a failed step is a failure, never the end of the work */
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
        error_set(err, ERR_INTERNAL, "reading the articles to analyse failed: %s",
                  sqlite3_errstr(rc));
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(s);
    if (ret != 0) {
        store_backfill_rows_free(out, got);
        out = NULL;
        got = 0;
    }
    *rows = out;
    *n = got;
    return ret;
}

void store_backfill_rows_free(struct store_backfill_row *rows, size_t n)
{
    for (size_t i = 0; rows != NULL && i < n; i++) {
        free(rows[i].body);
        free(rows[i].title);
        free(rows[i].source);
        free(rows[i].duplicate_of);
    }
    free(rows);
}
