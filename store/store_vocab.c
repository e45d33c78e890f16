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

int store_typo_suggest(struct store *st, const char *w, size_t len, char **out, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    struct store_typo_tok t;
    sqlite3_stmt *s = NULL;
    uint32_t a[TYPO_WORD_MAX], b[TYPO_WORD_MAX];
    char lo[16], hi[16], *best = NULL;
    int na, max = typo_max_edits(w, len), best_d = 0, rc;
    int64_t best_doc = 0;
    size_t plen = 0;

    *out = NULL;
    if (r == NULL)
        return -1;
    if (max == 0)
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
    /* known words are left alone */
    rc = sqlite3_prepare_v2(r->db, "SELECT doc FROM temp.articled_vocab WHERE term = ?1", -1, &s,
                            NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(s, 1, t.tok, t.len, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_int64(s, 0) > 0) {
        sqlite3_finalize(s);
        return 0;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        goto fail;
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
        if (term == NULL || doc <= 0)
            continue;
        nb = typo_decode(term, (size_t)nterm, b, TYPO_WORD_MAX);
        if (nb < 0)
            continue;
        d = typo_distance(a, (size_t)na, b, (size_t)nb, max);
        /* the fewest edits, then the most articles */
        if (d == 0 || d > max || (best != NULL && (d > best_d || (d == best_d && doc <= best_doc))))
            continue;
        free(best);
        best = strdup(term);
        if (best == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        best_d = d;
        best_doc = doc;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc != SQLITE_DONE)
        goto fail;
    *out = best;
    return 0;
fail:
    sqlite3_finalize(s);
    free(best);
    store_error_from_sqlite(err, STORE_IO_READ, rc, rc == SQLITE_NOMEM ? NULL : r->db,
                            "typo look-up failed");
    return -1;
}
