/* query.c: the search query language parsed into a safe FTS5 MATCH expression (see
 * query.h for the grammar and the error rules). Lexing walks code points, so no term
 * boundary ever falls inside a UTF-8 sequence. */
#include "analysis/query.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>

#include "analysis/synonyms.h"
#include "analysis/utf8.h"

struct query_term {
    const char *text; /* borrowed from the query: the word, or the phrase between quotes */
    size_t len;
    int quoted; /* a "phrase" rather than a word */
    int prefix; /* trailing '*' */
    int neg;    /* '-' exclusion */
    int group;  /* index of the OR group of a positive term */
    int keep;   /* has a letter or digit: worth sending to FTS5 */
};

struct query_lexer {
    const char *s;
    size_t len;
    size_t pos; /* byte offset of the next code point */
    size_t ch;  /* 1-based character number of the next code point */
};

struct query_buf {
    char *p;
    size_t n, cap;
    int failed;
    const struct synonyms *syn; /* or NULL */
};

static int query_is_space(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || uc_is_property_white_space(cp);
}

/* Returns the code point at the lexer's position without consuming it, or -1 at the end. */
static int64_t query_peek(const struct query_lexer *lx)
{
    size_t pos = lx->pos;
    uint32_t cp;
    if (utf8_next(lx->s, lx->len, &pos, &cp) == 0)
        return -1;
    return cp;
}

static void query_advance(struct query_lexer *lx)
{
    uint32_t cp;
    if (utf8_next(lx->s, lx->len, &lx->pos, &cp) > 0)
        lx->ch++;
}

static int query_has_alnum(const char *s, size_t len)
{
    size_t pos = 0;
    uint32_t cp;
    while (utf8_next(s, len, &pos, &cp) > 0)
        if (uc_is_general_category(cp, UC_CATEGORY_L) || uc_is_general_category(cp, UC_CATEGORY_N))
            return 1;
    return 0;
}

/* The letters and digits of the token a prefix term expands: the last run
 * of them in the term (the tokenizer splits at anything else, so `u.s*`
 * expands `s`, and `ab-*` expands `ab`). */
static size_t query_prefix_letters(const char *s, size_t len)
{
    size_t pos = 0, run = 0, last = 0;
    uint32_t cp;
    while (utf8_next(s, len, &pos, &cp) > 0) {
        if (uc_is_general_category(cp, UC_CATEGORY_L) || uc_is_general_category(cp, UC_CATEGORY_N))
            run++;
        else if (run > 0)
            last = run, run = 0;
    }
    return run > 0 ? run : last;
}

static void query_buf_put(struct query_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void query_buf_str(struct query_buf *b, const char *s)
{
    query_buf_put(b, s, strlen(s));
}

/* Emits text[0..len) as an FTS5 string: embedded quotes doubled, control characters turned
 * into spaces (the tokenizer separates on them anyway), then " *" for a prefix. */
static void query_emit_string(struct query_buf *b, const char *text, size_t len, int prefix)
{
    size_t run = 0;
    query_buf_put(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c < 0x20 || c == 0x7F) {
            query_buf_put(b, text + run, i - run);
            query_buf_str(b, c == '"' ? "\"\"" : " ");
            run = i + 1;
        }
    }
    query_buf_put(b, text + run, len - run);
    query_buf_str(b, prefix ? "\" *" : "\"");
}

/* Emits one term; a term with synonyms (not a prefix) as ("term" OR "synonym" ...). */
static void query_emit_term(struct query_buf *b, const struct query_term *t)
{
    size_t n = 0;
    const char *const *syns = t->prefix ? NULL : synonyms_of(b->syn, t->text, t->len, &n);
    if (n > 0)
        query_buf_str(b, "(");
    query_emit_string(b, t->text, t->len, t->prefix);
    for (size_t i = 0; i < n; i++) {
        query_buf_str(b, " OR ");
        query_emit_string(b, syns[i], strlen(syns[i]), 0);
    }
    if (n > 0)
        query_buf_str(b, ")");
}

/* Reads one term at the lexer (after any '-'); fills text/len/prefix. Returns 0 or -1. */
static int query_lex_term(struct query_lexer *lx, struct query_term *t, struct error *err)
{
    size_t start_ch = lx->ch;
    int64_t cp = query_peek(lx);

    if (cp == '"') {
        query_advance(lx);
        size_t body = lx->pos;
        while ((cp = query_peek(lx)) != -1 && cp != '"')
            query_advance(lx);
        if (cp == -1) {
            error_set(err, ERR_INVALID,
                      "unbalanced quote: the '\"' at character %zu is never closed", start_ch);
            return -1;
        }
        t->text = lx->s + body;
        t->len = lx->pos - body;
        t->quoted = 1;
        query_advance(lx);
        if (query_peek(lx) == '*') {
            t->prefix = 1;
            query_advance(lx);
        }
        return 0;
    }

    size_t body = lx->pos;
    while ((cp = query_peek(lx)) != -1 && !query_is_space((uint32_t)cp))
        query_advance(lx);
    t->text = lx->s + body;
    t->len = lx->pos - body;
    if (t->len > 0 && t->text[t->len - 1] == '*') {
        t->prefix = 1;
        t->len--;
        if (t->len == 0) {
            error_set(err, ERR_INVALID,
                      "'*' at character %zu must follow a word or phrase, with no space before it",
                      start_ch);
            return -1;
        }
    }
    return 0;
}

/* The parsed query: terms in order, each positive one tagged with its OR group. */
struct query_parsed {
    struct query_term terms[QUERY_MAX_TERMS];
    int nterms, ngroups;
    int any_neg; /* some term was excluded, kept or not */
};

/* Returns 1 when OR group g still has a term after dropping. */
static int query_group_kept(const struct query_parsed *p, int g)
{
    for (int i = 0; i < p->nterms; i++)
        if (!p->terms[i].neg && p->terms[i].group == g && p->terms[i].keep)
            return 1;
    return 0;
}

/* Emits the kept positive terms of group g joined with OR (parenthesised when several). */
static void query_emit_group(struct query_buf *b, const struct query_parsed *p, int g)
{
    int n = 0, k = 0;
    for (int i = 0; i < p->nterms; i++)
        n += !p->terms[i].neg && p->terms[i].group == g && p->terms[i].keep;
    if (n > 1)
        query_buf_str(b, "(");
    for (int i = 0; i < p->nterms; i++) {
        if (p->terms[i].neg || p->terms[i].group != g || !p->terms[i].keep)
            continue;
        if (k++ > 0)
            query_buf_str(b, " OR ");
        query_emit_term(b, &p->terms[i]);
    }
    if (n > 1)
        query_buf_str(b, ")");
}

/* Emits the whole expression: kept groups joined with AND, then the kept exclusions. */
static void query_emit(struct query_buf *b, const struct query_parsed *p, int npos, int nneg)
{
    if (nneg > 0 && npos > 1)
        query_buf_str(b, "(");
    for (int g = 0, k = 0; g < p->ngroups; g++) {
        if (!query_group_kept(p, g))
            continue;
        if (k++ > 0)
            query_buf_str(b, " AND ");
        query_emit_group(b, p, g);
    }
    if (nneg > 0 && npos > 1)
        query_buf_str(b, ")");
    if (nneg == 0)
        return;
    query_buf_str(b, nneg > 1 ? " NOT (" : " NOT ");
    for (int i = 0, k = 0; i < p->nterms; i++) {
        if (!p->terms[i].neg || !p->terms[i].keep)
            continue;
        if (k++ > 0)
            query_buf_str(b, " OR ");
        query_emit_term(b, &p->terms[i]);
    }
    if (nneg > 1)
        query_buf_str(b, ")");
}

/* Lexes and checks the grammar of q (valid UTF-8) into p. Returns 0 or -1 with err set. */
static int query_parse(const char *q, size_t len, struct query_parsed *p, struct error *err)
{
    struct query_lexer lx = {q, len, 0, 1};
    int pending_or = 0;       /* an OR waits for its right-hand term */
    size_t pending_or_ch = 0; /* where that OR is */
    int last_neg = 0;         /* the previous item was an exclusion */
    int nprefixes = 0;

    p->nterms = p->ngroups = p->any_neg = 0;
    for (;;) {
        int64_t cp;
        while ((cp = query_peek(&lx)) != -1 && query_is_space((uint32_t)cp))
            query_advance(&lx);
        if (cp == -1)
            break;

        size_t item_ch = lx.ch;
        struct query_term t = {NULL, 0, 0, 0, 0, 0, 0};
        if (cp == '-') {
            query_advance(&lx);
            cp = query_peek(&lx);
            if (cp == -1 || query_is_space((uint32_t)cp)) {
                error_set(err, ERR_INVALID,
                          "'-' at character %zu must be followed by a word or phrase, with no "
                          "space after it",
                          item_ch);
                return -1;
            }
            t.neg = 1;
        }
        if (query_lex_term(&lx, &t, err) != 0)
            return -1;

        if (!t.neg && !t.quoted && !t.prefix && t.len == 2 && memcmp(t.text, "OR", 2) == 0) {
            if (p->nterms == 0) {
                error_set(err, ERR_INVALID,
                          "OR at character %zu needs a term before it: a query cannot start "
                          "with OR",
                          item_ch);
                return -1;
            }
            if (pending_or) {
                error_set(err, ERR_INVALID,
                          "OR at character %zu follows another OR (at character %zu): OR needs "
                          "a term on each side",
                          item_ch, pending_or_ch);
                return -1;
            }
            if (last_neg) {
                error_set(err, ERR_INVALID,
                          "OR at character %zu cannot join an excluded ('-') term", item_ch);
                return -1;
            }
            pending_or = 1;
            pending_or_ch = item_ch;
            continue;
        }

        if (p->nterms == QUERY_MAX_TERMS) {
            error_set(err, ERR_INVALID,
                      "too many terms: at most %d words or phrases (character %zu is past the "
                      "limit)",
                      QUERY_MAX_TERMS, item_ch);
            return -1;
        }
        if (t.neg && pending_or) {
            error_set(err, ERR_INVALID, "OR at character %zu cannot join an excluded ('-') term",
                      pending_or_ch);
            return -1;
        }
        t.keep = query_has_alnum(t.text, t.len);
        /* a prefix makes FTS5 merge the lists of every word it starts, at
         * every evaluation: short prefixes and many of them are refused */
        if (t.prefix && t.keep && query_prefix_letters(t.text, t.len) < QUERY_PREFIX_MIN) {
            error_set(err, ERR_INVALID,
                      "the prefix at character %zu is too short: at least %d letters or digits "
                      "before '*'",
                      item_ch, QUERY_PREFIX_MIN);
            return -1;
        }
        if (t.prefix && t.keep && ++nprefixes > QUERY_MAX_PREFIXES) {
            error_set(err, ERR_INVALID,
                      "too many prefixes: at most %d terms ending in '*' (character %zu is past "
                      "the limit)",
                      QUERY_MAX_PREFIXES, item_ch);
            return -1;
        }
        if (t.neg)
            p->any_neg = 1;
        else
            t.group = pending_or ? p->ngroups - 1 : p->ngroups++;
        last_neg = t.neg;
        pending_or = 0;
        p->terms[p->nterms++] = t;
    }

    if (pending_or) {
        error_set(err, ERR_INVALID,
                  "OR at character %zu needs a term after it: a query cannot end with OR",
                  pending_or_ch);
        return -1;
    }
    return 0;
}

int query_to_fts5(const char *q, size_t len, char **out, struct error *err)
{
    return query_to_fts5_with(q, len, NULL, out, err);
}

/* Checks and parses q into p and counts its kept positive groups and kept exclusions.
 * Returns 0, or -1 with err set (the errors of query.h). */
static int query_prepare(const char *q, size_t len, struct query_parsed *p, int *npos, int *nneg,
                         struct error *err)
{
    size_t bad;

    *npos = *nneg = 0;
    if (q == NULL)
        len = 0;
    if (len > QUERY_MAX_BYTES) {
        error_set(err, ERR_INVALID, "query is too long: %zu bytes, at most %d", len,
                  QUERY_MAX_BYTES);
        return -1;
    }
    if (len > 0 && utf8_check(q, len, &bad) != 0) {
        error_set(err, ERR_UNPROCESSABLE, "query is not valid UTF-8 (byte %zu)", bad);
        return -1;
    }
    if (query_parse(q, len, p, err) != 0)
        return -1;

    /* Terms without a letter or digit are dropped, and OR groups left empty with them. */
    for (int g = 0; g < p->ngroups; g++)
        *npos += query_group_kept(p, g);
    for (int i = 0; i < p->nterms; i++)
        *nneg += p->terms[i].neg && p->terms[i].keep;
    if (*npos == 0) {
        if (p->any_neg)
            error_set(err, ERR_INVALID,
                      "query needs at least one term to match: it only excludes ('-')");
        else if (p->nterms > 0)
            error_set(err, ERR_INVALID, "query has no letter or digit to search for");
        else
            error_set(err, ERR_INVALID, "query is empty");
        return -1;
    }
    return 0;
}

int query_to_fts5_with(const char *q, size_t len, const struct synonyms *syn, char **out,
                       struct error *err)
{
    struct query_parsed p;
    struct query_buf b = {NULL, 0, 0, 0, syn};
    int npos = 0, nneg = 0; /* kept positive groups, kept exclusions */

    *out = NULL;
    if (query_prepare(q, len, &p, &npos, &nneg, err) != 0)
        return -1;
    query_emit(&b, &p, npos, nneg);
    if (b.failed) {
        free(b.p);
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    *out = b.p;
    return 0;
}

/* ---- relaxed matching ---------------------------------------------------- */

/* English function words: in a relaxed query they would let almost every article in. */
static const char *const query_stop_words[] = {
    "a",    "about", "after", "all",   "also",  "an",   "and",   "are",  "as",   "at",    "be",
    "been", "but",   "by",    "can",   "could", "did",  "do",    "does", "for",  "from",  "had",
    "has",  "have",  "he",    "her",   "his",   "how",  "i",     "if",   "in",   "into",  "is",
    "it",   "its",   "me",    "my",    "no",    "not",  "of",    "on",   "or",   "our",   "out",
    "over", "she",   "so",    "than",  "that",  "the",  "their", "them", "then", "there", "these",
    "they", "this",  "to",    "up",    "was",   "we",   "were",  "what", "when", "where", "which",
    "why",  "will",  "with",  "would", "you",   "your",
};

int query_is_stop_word(const char *w, size_t len)
{
    char low[8];
    if (len == 0 || len >= sizeof low)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c >= 0x80)
            return 0;
        low[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    low[len] = '\0';
    for (size_t i = 0; i < sizeof query_stop_words / sizeof query_stop_words[0]; i++)
        if (strcmp(low, query_stop_words[i]) == 0)
            return 1;
    return 0;
}

/* C(n, k), saturating at INT32_MAX (n <= QUERY_MAX_TERMS). */
static long long query_choose(int n, int k)
{
    long long c = 1;
    for (int i = 1; i <= k; i++) {
        c = c * (n - k + i) / i;
        if (c > INT32_MAX)
            return INT32_MAX;
    }
    return c;
}

int query_relax_min(int n, int any)
{
    int k;
    if (any || n <= 2)
        return 1;
    k = (n + 1) / 2;
    while (k > 1 && query_choose(n, k) * k > QUERY_RELAX_LEAVES_MAX)
        k--;
    return k;
}

/* 1 when positive group g is one bare word that is a stop word. */
static int query_group_is_stop(const struct query_parsed *p, int g)
{
    int n = 0, stop = 0;
    for (int i = 0; i < p->nterms; i++) {
        const struct query_term *t = &p->terms[i];
        if (t->neg || t->group != g || !t->keep)
            continue;
        n++;
        stop = !t->quoted && !t->prefix && query_is_stop_word(t->text, t->len);
    }
    return n == 1 && stop;
}

/* Emits every choice of k groups out of the n in gs (ascending), each an AND, joined with
 * OR: each group appears equally often, so bm25 orders as over the plain OR. */
static void query_emit_choices(struct query_buf *b, const struct query_parsed *p, const int *gs,
                               int n, int k)
{
    int idx[QUERY_MAX_TERMS], first = 1;
    for (int i = 0; i < k; i++)
        idx[i] = i;
    for (;;) {
        if (!first)
            query_buf_str(b, " OR ");
        first = 0;
        if (k > 1)
            query_buf_str(b, "(");
        for (int i = 0; i < k; i++) {
            if (i > 0)
                query_buf_str(b, " AND ");
            query_emit_group(b, p, gs[idx[i]]);
        }
        if (k > 1)
            query_buf_str(b, ")");
        /* next combination in lexicographic order */
        int i = k - 1;
        while (i >= 0 && idx[i] == n - k + i)
            i--;
        if (i < 0)
            break;
        idx[i]++;
        for (int j = i + 1; j < k; j++)
            idx[j] = idx[j - 1] + 1;
    }
}

int query_to_fts5_relaxed(const char *q, size_t len, const struct synonyms *syn, int any,
                          char **out, struct error *err)
{
    struct query_parsed p;
    struct query_buf b = {NULL, 0, 0, 0, syn};
    int npos = 0, nneg = 0, gs[QUERY_MAX_TERMS], n = 0, nstop = 0, k;

    *out = NULL;
    if (query_prepare(q, len, &p, &npos, &nneg, err) != 0)
        return -1;
    /* the groups that count: stop words left out unless nothing else remains */
    for (int g = 0; g < p.ngroups; g++)
        nstop += query_group_kept(&p, g) && query_group_is_stop(&p, g);
    for (int g = 0; g < p.ngroups; g++)
        if (query_group_kept(&p, g) && (nstop == npos || !query_group_is_stop(&p, g)))
            gs[n++] = g;
    k = query_relax_min(n, any);
    /* one choice (one group) is written as the strict form writes it */
    if (k < n)
        query_buf_str(&b, "(");
    query_emit_choices(&b, &p, gs, n, k);
    if (k < n)
        query_buf_str(&b, ")");
    for (int i = 0, m = 0; i < p.nterms; i++) {
        if (!p.terms[i].neg || !p.terms[i].keep)
            continue;
        query_buf_str(&b, m++ == 0 ? (nneg > 1 ? " NOT (" : " NOT ") : " OR ");
        query_emit_term(&b, &p.terms[i]);
    }
    if (nneg > 1)
        query_buf_str(&b, ")");
    if (b.failed) {
        free(b.p);
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    *out = b.p;
    return 0;
}

int query_words(const char *q, size_t len, struct query_word *out, int max)
{
    struct query_parsed p;
    struct error err = {0};
    int npos, nneg, n = 0;

    if (query_prepare(q, len, &p, &npos, &nneg, &err) != 0)
        return -1;
    for (int i = 0; i < p.nterms && n < max; i++) {
        const struct query_term *t = &p.terms[i];
        if (t->neg || t->quoted || t->prefix || !t->keep)
            continue;
        out[n].off = (size_t)(t->text - q);
        out[n].len = t->len;
        n++;
    }
    return n;
}
