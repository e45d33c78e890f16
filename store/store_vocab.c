/* store_vocab.c: typo tolerance's look-up in the full-text vocabulary (store.h,
 * store_typo_suggest): the word as the index tokenizes it, its document count from an
 * fts5vocab table, and the closest frequent index term sharing its first two characters. */
#include <stdlib.h>
#include <string.h>

#include "analysis/typo.h"
#include "analysis/utf8.h"
#include "store/rank.h"
#include "store/store_int.h"

/* Index terms read at most for one word: the cost of a suggestion is bounded by this many
 * rows of one range of the vocabulary (its terms are sorted) and as many bounded distances. */
#define STORE_TYPO_SCAN_MAX 4000
/* A word in this many articles is taken as meant; a rarer one is replaced only by a term in
 * STORE_TYPO_RATIO times as many (so a misspelling that made it into one article is still
 * corrected). */
#define STORE_TYPO_KNOWN_DOCS  50
#define STORE_TYPO_RATIO       20
#define STORE_TYPO_EDIT_WEIGHT 4.0

/* The index's tokenizer, as schema.c declares it for articles_fts. */
static const char *const store_typo_tok_args[] = {"unicode61", "remove_diacritics", "2"};

struct store_typo_tok {
    char tok[4 * TYPO_WORD_MAX + 1];
    int len, count;
};

static int store_typo_on_token(void *ctx, int tflags, const char *tok, int n, int start, int end)
{
    struct store_typo_tok *t = ctx;
    (void)start;
    (void)end;
    if (tflags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    if (t->count++ == 0 && n > 0 && (size_t)n < sizeof t->tok) {
        memcpy(t->tok, tok, (size_t)n);
        t->tok[n] = '\0';
        t->len = n;
    }
    return SQLITE_OK;
}

/* The word as the index has it (porter unicode61 remove_diacritics 2) in t: one token, or
 * t->count != 1. SQLite rc. */
static int store_typo_tokenize(sqlite3 *db, const char *w, size_t len, struct store_typo_tok *t)
{
    fts5_api *api = rank_fts5_api(db);
    fts5_tokenizer methods;
    Fts5Tokenizer *tok = NULL;
    void *ud = NULL;
    int rc;

    memset(t, 0, sizeof *t);
    if (api == NULL)
        return SQLITE_ERROR;
    rc = api->xFindTokenizer(api, "porter", &ud, &methods);
    if (rc == SQLITE_OK) {
        const char *args[3] = {store_typo_tok_args[0], store_typo_tok_args[1],
                               store_typo_tok_args[2]};
        rc = methods.xCreate(ud, args, 3, &tok);
    }
    if (rc == SQLITE_OK)
        rc = methods.xTokenize(tok, t, FTS5_TOKENIZE_QUERY, w, (int)len, store_typo_on_token);
    if (tok != NULL)
        methods.xDelete(tok);
    return rc;
}

/* 1 when a candidate of d edits in doc articles goes before one of d2 edits in doc2: by
 * articles, each edit fewer counting as STORE_TYPO_EDIT_WEIGHT times as many (a far more
 * common word two edits away stays in the running), then fewer edits. */
static int store_typo_before(int d, int64_t doc, int d2, int64_t doc2)
{
    double w = doc, w2 = doc2;
    for (int i = d; i < TYPO_EDITS_MAX; i++)
        w *= STORE_TYPO_EDIT_WEIGHT;
    for (int i = d2; i < TYPO_EDITS_MAX; i++)
        w2 *= STORE_TYPO_EDIT_WEIGHT;
    return w > w2 || (w == w2 && d < d2);
}

/* Inserts term (d edits, in doc articles) into the n best of out/ds/docs (at most max),
 * in store_typo_before's order. SQLITE_OK or SQLITE_NOMEM. */
static int store_typo_keep(char **out, int *ds, int64_t *docs, size_t *n, size_t max,
                           const char *term, int d, int64_t doc)
{
    size_t at = *n;
    char *copy;

    while (at > 0 && store_typo_before(d, doc, ds[at - 1], docs[at - 1]))
        at--;
    if (at >= max)
        return SQLITE_OK;
    copy = strdup(term);
    if (copy == NULL)
        return SQLITE_NOMEM;
    if (*n == max)
        free(out[--*n]);
    memmove(out + at + 1, out + at, (*n - at) * sizeof *out);
    memmove(ds + at + 1, ds + at, (*n - at) * sizeof *ds);
    memmove(docs + at + 1, docs + at, (*n - at) * sizeof *docs);
    out[at] = copy;
    ds[at] = d;
    docs[at] = doc;
    ++*n;
    return SQLITE_OK;
}

int store_typo_candidates(struct store *st, const char *w, size_t len, char **out, size_t max,
                          size_t *n, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    struct store_typo_tok t;
    sqlite3_stmt *s = NULL;
    uint32_t a[TYPO_WORD_MAX], b[TYPO_WORD_MAX];
    int ds[STORE_TYPO_CANDIDATES_MAX];
    int64_t docs[STORE_TYPO_CANDIDATES_MAX], own = 0;
    char lo[16], hi[16];
    int na, edits = typo_max_edits(w, len), rc;
    size_t plen = 0;

    *n = 0;
    if (r == NULL)
        return -1;
    if (max > STORE_TYPO_CANDIDATES_MAX)
        max = STORE_TYPO_CANDIDATES_MAX;
    if (edits == 0 || max == 0)
        return 0;
    /* temp.articled_vocab: every reader connection has it (store.c) */
    rc = store_typo_tokenize(r->db, w, len, &t);
    if (rc != SQLITE_OK)
        goto fail;
    /* one token, not an internal one (the filter tokens all start "zz") */
    if (t.count != 1 || t.len == 0 || strncmp(t.tok, "zz", 2) == 0)
        return 0;
    na = typo_decode(t.tok, (size_t)t.len, a, TYPO_WORD_MAX);
    if (na < 3)
        return 0;
    rc = sqlite3_prepare_v2(r->db, "SELECT doc FROM temp.articled_vocab WHERE term = ?1", -1, &s,
                            NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(s, 1, t.tok, t.len, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        own = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        goto fail;
    /* a word in many articles is no typo */
    if (own >= STORE_TYPO_KNOWN_DOCS)
        return 0;
    /* the terms that share the first two characters: [lo, hi) */
    for (int k = 0; k < 2; k++) {
        uint32_t cp;
        utf8_next(t.tok, (size_t)t.len, &plen, &cp);
    }
    memcpy(lo, t.tok, plen);
    lo[plen] = '\0';
    memcpy(hi, lo, plen + 1);
    hi[plen - 1]++; /* a UTF-8 sequence never ends in 0xFF */
    rc = sqlite3_prepare_v2(r->db,
                            "SELECT term, doc FROM temp.articled_vocab"
                            " WHERE term >= ?1 AND term < ?2 LIMIT ?3",
                            -1, &s, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(s, 1, lo, (int)plen, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, hi, (int)plen, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, STORE_TYPO_SCAN_MAX);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *term = (const char *)sqlite3_column_text(s, 0);
        int nterm = sqlite3_column_bytes(s, 0), nb, d;
        int64_t doc = sqlite3_column_int64(s, 1);
        /* a rare word is replaced only by a far more common one */
        if (term == NULL || doc <= 0 || doc < STORE_TYPO_RATIO * own)
            continue;
        nb = typo_decode(term, (size_t)nterm, b, TYPO_WORD_MAX);
        if (nb < 0)
            continue;
        d = typo_distance(a, (size_t)na, b, (size_t)nb, edits);
        if (d == 0 || d > edits)
            continue;
        if (store_typo_keep(out, ds, docs, n, max, term, d, doc) != SQLITE_OK) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc != SQLITE_DONE)
        goto fail;
    return 0;
fail:
    sqlite3_finalize(s);
    for (size_t i = 0; i < *n; i++)
        free(out[i]);
    *n = 0;
    store_error_from_sqlite(err, STORE_IO_READ, rc, rc == SQLITE_NOMEM ? NULL : r->db,
                            "typo look-up failed");
    return -1;
}
