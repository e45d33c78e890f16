/* store_read.c: near-duplicate look-ups (fp_index postings, exact copies),
 * on the calling thread's read connection with cached statements, always
 * reset after use so no read snapshot blocks WAL checkpoints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* ---- near duplicates ---------------------------------------------------- */

void store_near_list_free(struct store_near_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->n; i++)
        free(list->items[i].id);
    free(list->items);
    memset(list, 0, sizeof *list);
}

struct near_candidate {
    int64_t seq;
    size_t hits; /* postings shared with the query set */
};

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_candidate(const void *a, const void *b)
{
    const struct near_candidate *x = a, *y = b;
    if (x->hits != y->hits)
        return x->hits < y->hits ? 1 : -1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_near(const void *a, const void *b)
{
    const struct store_near *x = a, *y = b;
    if (x->containment != y->containment)
        return x->containment < y->containment ? 1 : -1;
    return (x->seq > y->seq) - (x->seq < y->seq);
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

/* Step 1 of a look-up: the stored articles carrying index tokens, one
 * fp_index query per token, a boilerplate token adding none. Only tokens the
 * filter lets through are looked up, and at most STORE_NEAR_PROBES of them
 * (the smallest: tokens are hashes, so a uniform sample); *scale gets how
 * many tokens passed the filter per one looked up, to scale hits back up.
 * Appends the seqs (one per shared token looked up) to *seqs. SQLite rc. */
static int near_postings(struct store *st, struct store_reader *r,
                         const struct fingerprint_set *index, int64_t **seqs, size_t *nseqs,
                         double *scale, int *began)
{
    sqlite3_stmt *post = store_reader_stmt(r, RSTMT_POSTINGS);
    int64_t *maybe = NULL;
    size_t nmaybe = 0, cap = 0, seqcap = *nseqs, passed = 0;
    int rc = SQLITE_OK;

    *scale = 1.0;
    if (post == NULL)
        return sqlite3_errcode(r->db);
    /* the filter first: most tokens are carried by no stored article */
    pthread_rwlock_rdlock(&st->filter_lock);
    for (size_t i = 0; i < index->n && rc == SQLITE_OK; i++)
        if (st->filter == NULL || fpfilter_maybe(st->filter, index->hashes[i])) {
            passed++;
            if (nmaybe < STORE_NEAR_PROBES &&
                push_i64(&maybe, &nmaybe, &cap, index->hashes[i]) != 0)
                rc = SQLITE_NOMEM;
        }
    pthread_rwlock_unlock(&st->filter_lock);
    if (nmaybe > 0)
        *scale = (double)passed / (double)nmaybe;
    /* one snapshot for the look-ups and the candidates' texts (none needed
     * when the filter passed nothing: most articles copy nothing) */
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

int store_near_find(struct store *st, const struct fingerprint_set *fps,
                    const struct fingerprint_set *index, const char *exclude_id,
                    const char *content_hash, double min_containment, struct store_near_list *out,
                    struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *row, *sizes;
    int64_t *seqs = NULL;
    size_t nseqs = 0, ncand = 0;
    struct near_candidate *cand = NULL;
    double scale = 1.0;
    int rc = SQLITE_OK, ret = -1, began = 0;

    memset(out, 0, sizeof *out);
    if (r == NULL)
        return -1;
    if (fps->n == 0 || index->n == 0 || st->opts.fingerprint == NULL)
        return 0;
    row = store_reader_stmt(r, RSTMT_FPSET);
    sizes = store_reader_stmt(r, RSTMT_SEQ_ID);
    if (row == NULL || sizes == NULL) {
        error_set(err, ERR_INTERNAL, "prepare failed: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    rc = near_postings(st, r, index, &seqs, &nseqs, &scale, &began);
    if (rc != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "fingerprint look-up failed: %s", sqlite3_errstr(rc));
        goto out;
    }

    /* 2. Count shared postings per article; keep those sharing the most. */
    if (nseqs > 0)
        qsort(seqs, nseqs, sizeof *seqs, cmp_int64);
    cand = malloc((nseqs + 1) * sizeof *cand);
    if (cand == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nseqs;) {
        size_t j = i;
        while (j < nseqs && seqs[j] == seqs[i])
            j++;
        cand[ncand++] = (struct near_candidate){seqs[i], j - i};
        i = j;
    }
    qsort(cand, ncand, sizeof *cand, cmp_candidate);
    if (ncand > STORE_NEAR_CANDIDATES)
        ncand = STORE_NEAR_CANDIDATES;
    out->items = calloc(ncand + 1, sizeof *out->items);
    if (out->items == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }

    /* 3. Exact containment against each candidate's whole set, computed
     * again from its text (a pure function of the body). */
    for (size_t c = 0; c < ncand && rc == SQLITE_OK; c++) {
        struct fingerprint_set other = {0}, other_index = {0};
        const char *id, *body;
        size_t shared, smaller;
        double containment;

        /* An estimate from the index sets alone, before reading the
         * candidate's text: each side's index keeps a share d of its
         * k-grams (1 for a short text), so the hits (scaled up for the
         * tokens not looked up) stand for about hits / min(d) shared
         * k-grams. Far below the threshold: skip. */
        size_t n_all = 0, n_index = 0;
        int known = st->sizes != NULL && fpsizes_get(st->sizes, cand[c].seq, &n_all, &n_index);
        if (!known) {
            /* not in memory (a seq past the table's range): from the table */
            sqlite3_bind_int64(sizes, 1, cand[c].seq);
            if (sqlite3_step(sizes) == SQLITE_ROW) {
                known = 1;
                n_all = (size_t)sqlite3_column_int64(sizes, 0);
                n_index = (size_t)sqlite3_column_int64(sizes, 1);
            }
            sqlite3_reset(sizes);
        }
        if (known) {
            double n_c = (double)n_all;
            double d_c = n_c > 0 ? (double)n_index / n_c : 1.0;
            double d_q = (double)index->n / (double)fps->n;
            double d = d_c < d_q ? d_c : d_q, n = n_c < (double)fps->n ? n_c : (double)fps->n;
            double estimate = d > 0 && n > 0 ? (double)cand[c].hits * scale / d / n : 0.0;
            if (estimate < STORE_NEAR_ESTIMATE_SLACK * min_containment)
                continue;
        }
        sqlite3_bind_int64(row, 1, cand[c].seq);
        rc = sqlite3_step(row);
        if (rc != SQLITE_ROW) {
            sqlite3_reset(row);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc; /* deleted meanwhile */
            continue;
        }
        rc = SQLITE_OK;
        id = (const char *)sqlite3_column_text(row, 0);
        body = (const char *)sqlite3_column_text(row, 3);
        if (id == NULL || (exclude_id != NULL && strcmp(id, exclude_id) == 0)) {
            sqlite3_reset(row);
            continue;
        }
        if (st->opts.fingerprint(body ? body : "", body ? (size_t)sqlite3_column_bytes(row, 3) : 0,
                                 &other, &other_index) != 0) {
            sqlite3_reset(row);
            fingerprint_set_free(&other);
            fingerprint_set_free(&other_index);
            rc = SQLITE_NOMEM;
            break;
        }
        shared = fingerprint_shared(fps, &other);
        smaller = other.n < fps->n ? other.n : fps->n;
        containment = smaller ? (double)shared / (double)smaller : 0.0;
        if (containment + 1e-9 >= min_containment && smaller > 0) {
            struct store_near *nr = &out->items[out->n];
            const unsigned char *h = sqlite3_column_text(row, 2);
            nr->id = strdup(id);
            nr->seq = cand[c].seq;
            nr->grp = sqlite3_column_int64(row, 1);
            nr->exact =
                content_hash != NULL && h != NULL && strcmp((const char *)h, content_hash) == 0;
            nr->containment = containment;
            nr->resemblance = (double)shared / (double)(fps->n + other.n - shared);
            if (nr->id == NULL)
                rc = SQLITE_NOMEM;
            else
                out->n++;
        }
        sqlite3_reset(row);
        fingerprint_set_free(&other);
        fingerprint_set_free(&other_index);
    }
    if (rc != SQLITE_OK) {
        error_set(err, ERR_INTERNAL, "fingerprint comparison failed: %s", sqlite3_errstr(rc));
        goto out;
    }
    qsort(out->items, out->n, sizeof *out->items, cmp_near);
    ret = 0;
out:
    if (began)
        store_read_end(r);
    if (ret != 0)
        store_near_list_free(out);
    free(seqs);
    free(cand);
    return ret;
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
