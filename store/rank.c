/* rank.c: articled_bm25() (see rank.h). The formula and its constants are
 * FTS5's bm25 (fts5_aux.c): for each phrase, idf * f * (k1 + 1) / (f + k1 *
 * (1 - b + b * D / avgdl)), f the phrase's weighted instances in the row, D
 * the row's tokens, avgdl the mean over the table, idf log((N - n + 0.5) / (n
 * + 0.5)) floored at 1e-6 for n rows matching the phrase out of N. */
#include "store/rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BM25_K1 1.2
#define BM25_B  0.75

/* Per statement (FTS5 auxdata): the table's figures and each phrase's idf,
 * NAN until a row needs it; freq is scratch for one row. */
struct rank_data {
    int nphrase;
    double avgdl;
    sqlite3_int64 nrow;
    double *idf, *freq;
};

static int rank_count_cb(const Fts5ExtensionApi *api, Fts5Context *fts, void *arg)
{
    (void)api;
    (void)fts;
    (*(sqlite3_int64 *)arg)++;
    return SQLITE_OK;
}

static double rank_idf(sqlite3_int64 nrow, sqlite3_int64 nhit)
{
    double idf = log(((double)nrow - (double)nhit + 0.5) / ((double)nhit + 0.5));
    return idf <= 0.0 ? 1e-6 : idf;
}

static struct rank_data *rank_data_get(const Fts5ExtensionApi *api, Fts5Context *fts,
                                       sqlite3_int64 matches, int *rc)
{
    struct rank_data *d = api->xGetAuxdata(fts, 0);
    sqlite3_int64 ntok = 0;
    int n;

    *rc = SQLITE_OK;
    if (d != NULL)
        return d;
    n = api->xPhraseCount(fts);
    d = calloc(1, sizeof *d + 2 * (size_t)(n > 0 ? n : 1) * sizeof(double));
    if (d == NULL) {
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    d->nphrase = n;
    d->idf = (double *)(d + 1);
    d->freq = d->idf + (n > 0 ? n : 1);
    *rc = api->xRowCount(fts, &d->nrow);
    if (d->nrow <= 0)
        d->nrow = 1;
    if (*rc == SQLITE_OK)
        *rc = api->xColumnTotalSize(fts, -1, &ntok);
    d->avgdl = (double)ntok / (double)d->nrow;
    for (int i = 0; i < n; i++)
        d->idf[i] = NAN;
    if (n == 1 && matches >= 0)
        d->idf[0] = rank_idf(d->nrow, matches);
    if (*rc == SQLITE_OK)
        *rc = api->xSetAuxdata(fts, d, free);
    else
        free(d);
    return *rc == SQLITE_OK ? d : NULL;
}

static void rank_bm25(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
                      int nval, sqlite3_value **val)
{
    sqlite3_int64 matches = nval > 0 ? sqlite3_value_int64(val[0]) : -1;
    struct rank_data *d;
    double score = 0.0, D;
    int rc, ninst = 0, ntok = 0;

    d = rank_data_get(api, fts, matches, &rc);
    if (d == NULL) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    memset(d->freq, 0, (size_t)d->nphrase * sizeof *d->freq);
    rc = api->xInstCount(fts, &ninst);
    for (int i = 0; rc == SQLITE_OK && i < ninst; i++) {
        int ph, col, off;
        rc = api->xInst(fts, i, &ph, &col, &off);
        if (rc == SQLITE_OK)
            d->freq[ph] += nval > col + 1 ? sqlite3_value_double(val[col + 1]) : 1.0;
    }
    if (rc == SQLITE_OK)
        rc = api->xColumnSize(fts, -1, &ntok);
    D = (double)ntok;
    for (int i = 0; rc == SQLITE_OK && i < d->nphrase; i++) {
        if (d->freq[i] == 0.0)
            continue; /* adds nothing, whatever the idf */
        if (isnan(d->idf[i])) {
            sqlite3_int64 nhit = 0;
            rc = api->xQueryPhrase(fts, i, &nhit, rank_count_cb);
            d->idf[i] = rank_idf(d->nrow, nhit);
        }
        score += d->idf[i] * (d->freq[i] * (BM25_K1 + 1.0)) /
                 (d->freq[i] + BM25_K1 * (1.0 - BM25_B + BM25_B * D / d->avgdl));
    }
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    sqlite3_result_double(ctx, -1.0 * score);
}

fts5_api *rank_fts5_api(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW && api != NULL && api->iVersion >= 2 ? api : NULL;
}

int rank_register(sqlite3 *db)
{
    fts5_api *api = rank_fts5_api(db);
    if (api == NULL)
        return SQLITE_ERROR;
    return api->xCreateFunction(api, "articled_bm25", NULL, rank_bm25, NULL);
}
