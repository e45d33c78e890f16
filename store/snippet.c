/* snippet.c: html_snippet(), an FTS5 auxiliary function (see snippet.h). It picks a window
 * of tokens from the phrase instances (xInst), tokenizes the column text (xTokenize) only as
 * far as that window, and writes the excerpt HTML-escaped with the matched tokens marked.
 * html_highlight() writes a whole (short) column the same way: titles. */
#include "store/snippet.h"

#include "store/rank.h"

#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#define SNIPPET_GAP_MAX  64 /* visible characters kept from the text between two tokens */
#define SNIPPET_ELLIPSIS "\xe2\x80\xa6"

struct snippet_inst {
    int phrase;
    int off; /* first token */
    int len; /* tokens in the phrase */
};

struct snippet_tok {
    int start, end; /* byte offsets of the token in the column text */
};

/* xTokenize context: keeps the tokens numbered first..last, stops after last + 1. */
struct snippet_scan {
    struct snippet_tok *toks;
    int first, last;
    int seen; /* tokens reported so far */
    int more; /* a token exists after last */
};

struct snippet_out {
    sqlite3_str *s;
    int started;       /* something visible was written */
    int space_pending; /* a whitespace run waits for the next visible character */
};

static int snippet_inst_cmp(const void *a, const void *b)
{
    const struct snippet_inst *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return (x->phrase > y->phrase) - (x->phrase < y->phrase);
}

/* Chooses the first token of the window of width tokens in a column of ntok tokens, given
 * the instances sorted by offset. cnt has room for one counter per phrase. */
/* The matches of the query's phrases in column col, into in (room for ninst),
 * in token order; their count in *n. An SQLite code. */
static int snippet_insts(const Fts5ExtensionApi *api, Fts5Context *fts, int col, int ninst,
                         int nphrase, struct snippet_inst *in, int *n)
{
    int rc = SQLITE_OK;

    *n = 0;
    for (int i = 0; rc == SQLITE_OK && i < ninst; i++) {
        int ph, c, off;
        rc = api->xInst(fts, i, &ph, &c, &off);
        if (rc == SQLITE_OK && c == col && ph >= 0 && ph < nphrase) {
            in[*n].phrase = ph;
            in[*n].off = off;
            in[*n].len = api->xPhraseSize(fts, ph);
            if (in[*n].len < 1)
                in[*n].len = 1;
            ++*n;
        }
    }
    if (rc == SQLITE_OK)
        qsort(in, (size_t)*n, sizeof *in, snippet_inst_cmp);
    return rc;
}

static int snippet_window(const struct snippet_inst *in, int n, int *cnt, int nphrase, int ntok,
                          int width)
{
    int best = -1, best_score = -1, best_last = 0;
    int distinct = 0, hits = 0, j = 0, start;

    if (n == 0 || ntok <= width)
        return 0;
    memset(cnt, 0, sizeof *cnt * (size_t)nphrase);
    for (int i = 0; i < n; i++) {
        int end = in[i].off + width; /* window [in[i].off, end) */
        int last = in[i].off;
        if (i > 0) { /* in[i - 1] leaves the window */
            hits--;
            if (--cnt[in[i - 1].phrase] == 0)
                distinct--;
        }
        for (; j < n && in[j].off < end; j++) {
            hits++;
            if (cnt[in[j].phrase]++ == 0)
                distinct++;
        }
        for (int k = i; k < j; k++)
            if (in[k].off + in[k].len - 1 > last)
                last = in[k].off + in[k].len - 1;
        int score = distinct * 1000 + hits;
        if (score > best_score) {
            best_score = score;
            best = i;
            best_last = last < end - 1 ? last : end - 1;
        }
    }
    /* Centre the matches: share the free tokens on both sides, then stay inside the text. */
    start = in[best].off - (width - (best_last - in[best].off + 1)) / 2;
    if (start > ntok - width)
        start = ntok - width;
    if (start < 0)
        start = 0;
    return start;
}

static int snippet_on_token(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
    struct snippet_scan *sc = ctx;
    (void)tok;
    (void)ntok;
    if (tflags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    int i = sc->seen++;
    if (i > sc->last) {
        sc->more = 1;
        return SQLITE_DONE; /* stops xTokenize: the rest of the column is not needed */
    }
    if (i >= sc->first) {
        sc->toks[i - sc->first].start = start;
        sc->toks[i - sc->first].end = end;
    }
    return SQLITE_OK;
}

static int snippet_is_space(ucs4_t c)
{
    return c <= 0x20 || c == 0x7F || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* Writes z[a..b) escaped, collapsing whitespace. With cap > 0, stops after cap visible
 * characters and returns 1 when text was left out; returns 0 otherwise. */
static int snippet_emit(struct snippet_out *o, const char *z, int a, int b, int cap)
{
    int visible = 0, in_space = 0;
    while (a < b) {
        ucs4_t c;
        int n = u8_mbtoucr(&c, (const uint8_t *)z + a, (size_t)(b - a));
        if (n < 0) {
            c = 0xFFFD;
            n = 1;
        }
        if (snippet_is_space(c)) {
            visible += !in_space;
            in_space = 1;
            o->space_pending = o->started;
            a += n;
            continue;
        }
        if (cap > 0 && visible >= cap)
            return 1;
        visible++;
        in_space = 0;
        if (o->space_pending)
            sqlite3_str_appendchar(o->s, 1, ' ');
        o->space_pending = 0;
        o->started = 1;
        switch (c) {
        case '&':
            sqlite3_str_appendall(o->s, "&amp;");
            break;
        case '<':
            sqlite3_str_appendall(o->s, "&lt;");
            break;
        case '>':
            sqlite3_str_appendall(o->s, "&gt;");
            break;
        case '"':
            sqlite3_str_appendall(o->s, "&quot;");
            break;
        case '\'':
            sqlite3_str_appendall(o->s, "&#39;");
            break;
        case 0xFFFD:
            sqlite3_str_appendall(o->s, "\xef\xbf\xbd");
            break;
        default:
            sqlite3_str_append(o->s, z + a, n);
        }
        a += n;
    }
    return 0;
}

/* Writes raw markup (a mark tag or the ellipsis), after any pending space. */
static void snippet_markup(struct snippet_out *o, const char *html)
{
    if (o->space_pending)
        sqlite3_str_appendchar(o->s, 1, ' ');
    o->space_pending = 0;
    o->started = 1;
    sqlite3_str_appendall(o->s, html);
}

/* Visible characters of z[a..b) once whitespace runs are collapsed. */
static int snippet_visible(const char *z, int a, int b)
{
    int visible = 0, in_space = 0;
    while (a < b) {
        ucs4_t c;
        int n = u8_mbtoucr(&c, (const uint8_t *)z + a, (size_t)(b - a));
        if (n < 0) {
            c = 0xFFFD;
            n = 1;
        }
        if (!snippet_is_space(c) || !in_space)
            visible++;
        in_space = snippet_is_space(c);
        a += n;
    }
    return visible;
}

/* Hands o's text to ctx as the function's result (o->s is then NULL). An
 * SQLite code: not SQLITE_OK when building the text failed. */
static int snippet_result(sqlite3_context *ctx, struct snippet_out *o)
{
    int rc = sqlite3_str_errcode(o->s), len;
    char *html;

    if (rc != SQLITE_OK)
        return rc;
    len = sqlite3_str_length(o->s);
    html = sqlite3_str_finish(o->s);
    o->s = NULL;
    if (html == NULL)
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
    else
        sqlite3_result_text(ctx, html, len, sqlite3_free);
    return SQLITE_OK;
}

/* Picks the column for -1: the most instances, the later column on ties. */
static int snippet_best_column(const Fts5ExtensionApi *api, Fts5Context *fts, int ninst, int ncol)
{
    int best = ncol - 1, best_n = -1;
    for (int c = ncol - 1; c >= 0; c--) {
        int n = 0;
        for (int i = 0; i < ninst; i++) {
            int ph, col, off;
            if (api->xInst(fts, i, &ph, &col, &off) == SQLITE_OK && col == c)
                n++;
        }
        if (n > best_n) {
            best_n = n;
            best = c;
        }
    }
    return best;
}

static void snippet_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
                       int nval, sqlite3_value **val)
{
    struct snippet_inst *in = NULL;
    struct snippet_tok *toks = NULL;
    unsigned char *marked = NULL;
    int *cnt = NULL;
    struct snippet_out o = {NULL, 0, 0};
    const char *z = NULL;
    int nz = 0, ninst = 0, n = 0, ntok = 0, col, width, nphrase, start, count;
    int rc;

    if (nval != 2) {
        sqlite3_result_error(ctx, "html_snippet: expected (table, column, max_tokens)", -1);
        return;
    }
    col = sqlite3_value_int(val[0]);
    width = sqlite3_value_int(val[1]);
    if (col < -1 || col >= api->xColumnCount(fts)) {
        sqlite3_result_error(ctx, "html_snippet: column index out of range", -1);
        return;
    }
    if (width < 1 || width > SNIPPET_MAX_TOKENS) {
        sqlite3_result_error(ctx, "html_snippet: max_tokens must be 1..256", -1);
        return;
    }
    nphrase = api->xPhraseCount(fts);
    rc = api->xInstCount(fts, &ninst);
    if (rc == SQLITE_OK && col < 0)
        col = snippet_best_column(api, fts, ninst, api->xColumnCount(fts));
    if (rc == SQLITE_OK)
        rc = api->xColumnText(fts, col, &z, &nz);
    if (rc == SQLITE_OK && z == NULL) {
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
        return;
    }
    if (rc == SQLITE_OK)
        rc = api->xColumnSize(fts, col, &ntok);

    if (rc == SQLITE_OK) {
        in = sqlite3_malloc64(sizeof *in * (size_t)(ninst + 1));
        cnt = sqlite3_malloc64(sizeof *cnt * (size_t)(nphrase + 1));
        toks = sqlite3_malloc64(sizeof *toks * (size_t)width);
        marked = sqlite3_malloc64((size_t)width);
        if (in == NULL || cnt == NULL || toks == NULL || marked == NULL)
            rc = SQLITE_NOMEM;
    }
    if (rc == SQLITE_OK)
        rc = snippet_insts(api, fts, col, ninst, nphrase, in, &n);
    if (rc != SQLITE_OK)
        goto out;

    /* The index's token count normally matches the text; if the content table drifted, the
     * second pass uses the count the tokenizer really found. */
    for (int pass = 0;; pass++) {
        struct snippet_scan sc;
        start = snippet_window(in, n, cnt, nphrase, ntok, width);
        sc.toks = toks;
        sc.first = start;
        sc.last = start + width - 1;
        sc.seen = 0;
        sc.more = 0;
        rc = api->xTokenize(fts, z, nz, &sc, snippet_on_token);
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
        if (rc != SQLITE_OK)
            goto out;
        count = sc.seen - start;
        if (count > width)
            count = width;
        if (pass == 0 && !sc.more && sc.seen < ntok) {
            ntok = sc.seen;
            continue;
        }
        if (count < 0)
            count = 0;
        o.s = sqlite3_str_new(NULL);
        memset(marked, 0, (size_t)width);
        for (int i = 0; i < n; i++)
            for (int t = in[i].off; t < in[i].off + in[i].len; t++)
                if (t >= start && t < start + count)
                    marked[t - start] = 1;

        if (count == 0) {
            if (snippet_emit(&o, z, 0, nz, SNIPPET_GAP_MAX))
                snippet_markup(&o, SNIPPET_ELLIPSIS);
            break;
        }
        if (start > 0)
            snippet_markup(&o, SNIPPET_ELLIPSIS);
        else if (snippet_visible(z, 0, toks[0].start) > SNIPPET_GAP_MAX)
            snippet_markup(&o, SNIPPET_ELLIPSIS);
        else
            snippet_emit(&o, z, 0, toks[0].start, 0);
        for (int k = 0; k < count; k++) {
            if (k > 0 && snippet_emit(&o, z, toks[k - 1].end, toks[k].start, SNIPPET_GAP_MAX))
                snippet_markup(&o, SNIPPET_ELLIPSIS);
            if (marked[k])
                snippet_markup(&o, "<mark>");
            snippet_emit(&o, z, toks[k].start, toks[k].end, 0);
            if (marked[k])
                sqlite3_str_appendall(o.s, "</mark>");
        }
        if (sc.more || snippet_emit(&o, z, toks[count - 1].end, nz, SNIPPET_GAP_MAX)) {
            o.space_pending = 0;
            snippet_markup(&o, SNIPPET_ELLIPSIS);
        }
        break;
    }
    rc = snippet_result(ctx, &o);
out:
    if (rc != SQLITE_OK)
        sqlite3_result_error_code(ctx, rc);
    sqlite3_free(sqlite3_str_finish(o.s));
    sqlite3_free(in);
    sqlite3_free(cnt);
    sqlite3_free(toks);
    sqlite3_free(marked);
}

/* xTokenize context of html_highlight: writes the text up to each token, then the token,
 * marked when it starts or continues a matched phrase (in[] sorted by offset). */
struct snippet_hl {
    struct snippet_out *o;
    const char *z;
    const struct snippet_inst *in;
    int n, next; /* instances; the first one that may still cover a token */
    int seen;    /* tokens so far */
    int done;    /* bytes of z written */
};

static int snippet_hl_token(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
    struct snippet_hl *h = ctx;
    int i, marked = 0;
    (void)tok;
    (void)ntok;
    if (tflags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    i = h->seen++;
    while (h->next < h->n && h->in[h->next].off + h->in[h->next].len <= i)
        h->next++;
    for (int k = h->next; k < h->n && h->in[k].off <= i; k++)
        marked |= i < h->in[k].off + h->in[k].len;
    if (start < h->done || end < start)
        return SQLITE_OK; /* a tokenizer going back: never write text twice */
    snippet_emit(h->o, h->z, h->done, start, 0);
    if (marked)
        snippet_markup(h->o, "<mark>");
    snippet_emit(h->o, h->z, start, end, 0);
    if (marked)
        sqlite3_str_appendall(h->o->s, "</mark>");
    h->done = end;
    return SQLITE_OK;
}

/* html_highlight(table, column): the whole column, matched tokens marked (see snippet.h). */
static void snippet_highlight_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
                                 sqlite3_context *ctx, int nval, sqlite3_value **val)
{
    struct snippet_inst *in = NULL;
    struct snippet_out o = {NULL, 0, 0};
    struct snippet_hl h;
    const char *z = NULL;
    int nz = 0, ninst = 0, n = 0, col, nphrase, rc;

    if (nval != 1) {
        sqlite3_result_error(ctx, "html_highlight: expected (table, column)", -1);
        return;
    }
    col = sqlite3_value_int(val[0]);
    if (col < 0 || col >= api->xColumnCount(fts)) {
        sqlite3_result_error(ctx, "html_highlight: column index out of range", -1);
        return;
    }
    nphrase = api->xPhraseCount(fts);
    rc = api->xInstCount(fts, &ninst);
    if (rc == SQLITE_OK)
        rc = api->xColumnText(fts, col, &z, &nz);
    if (rc == SQLITE_OK && z == NULL) {
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
        return;
    }
    if (rc == SQLITE_OK) {
        in = sqlite3_malloc64(sizeof *in * (size_t)(ninst + 1));
        if (in == NULL)
            rc = SQLITE_NOMEM;
    }
    if (rc == SQLITE_OK)
        rc = snippet_insts(api, fts, col, ninst, nphrase, in, &n);
    if (rc != SQLITE_OK)
        goto out;
    o.s = sqlite3_str_new(NULL);
    h = (struct snippet_hl){&o, z, in, n, 0, 0, 0};
    /* one pass over the column (a title: at most ARTICLE_TITLE_MAX bytes) */
    rc = api->xTokenize(fts, z, nz, &h, snippet_hl_token);
    if (rc != SQLITE_OK)
        goto out;
    snippet_emit(&o, z, h.done, nz, 0);
    rc = snippet_result(ctx, &o);
out:
    if (rc != SQLITE_OK)
        sqlite3_result_error_code(ctx, rc);
    sqlite3_free(sqlite3_str_finish(o.s));
    sqlite3_free(in);
}

int snippet_register(sqlite3 *db)
{
    fts5_api *api = rank_fts5_api(db);
    int rc;
    if (api == NULL)
        return SQLITE_ERROR;
    rc = api->xCreateFunction(api, "html_snippet", NULL, snippet_fn, NULL);
    if (rc == SQLITE_OK)
        rc = api->xCreateFunction(api, "html_highlight", NULL, snippet_highlight_fn, NULL);
    return rc;
}
