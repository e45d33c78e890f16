/* ner_features.c: token analysis and hashed features for the NER model (see
 * ner_features.h). Headlines in capitals are "truecased" from the same word's other
 * occurrences in the text, or from the word-case lexicon, so that "RUSSIA SAYS" looks like
 * "Russia says" to the model. */
#include "analysis/ner_features.h"

#include <stdlib.h>
#include <string.h>
#include <unictype.h>

#include "analysis/nameform.h"
#include "analysis/utf8.h"

#define MAX_PHRASE 8 /* tokens in the longest gazetteer phrase tried */

struct word_stats {
    uint64_t hash;
    uint16_t lower, capinit, capmid, upper;
    uint16_t title, surname, orgrun, runhead, single, place;
};

/* Feature templates (the seed of each feature's hash). */
enum {
    T_BIAS = 1,
    T_W,
    T_WCASE,
    T_SHAPE,
    T_LSHAPE,
    T_PRE2,
    T_PRE3,
    T_PRE4,
    T_SUF2,
    T_SUF3,
    T_SUF4,
    T_WM1,
    T_WP1,
    T_WM2,
    T_WP2,
    T_SM1,
    T_SP1,
    T_CASE3,
    T_BIG1,
    T_BIG2,
    T_FIRST,
    T_HEAD,
    T_GAZ,
    T_PLACE,
    T_TITLE,
    T_RUN,
    T_RUNBITS,
    T_LEX,
    T_FREQ,
    T_DOC,
    T_LEXM1,
    T_LEXP1,
    T_GAZM1,
    T_GAZP1,
    T_POSS,
    T_LEN,
    T_WM1SH,
    T_SHWP1,
    T_RUNLEX,
    T_PLACEM1,
    T_PLACEP1,
    T_DOCCASE,
    T_RUNPOSBITS,
    T_CHROME,
};

static int pool_put(struct nerfeat_doc *d, const char *s, size_t n, uint32_t *off)
{
    if (d->pool_len + n + 1 > d->pool_cap) {
        size_t cap = d->pool_cap ? d->pool_cap * 2 : 4096;
        while (cap < d->pool_len + n + 1)
            cap *= 2;
        char *p = realloc(d->pool, cap);
        if (p == NULL)
            return -1;
        d->pool = p;
        d->pool_cap = cap;
    }
    memcpy(d->pool + d->pool_len, s, n);
    d->pool[d->pool_len + n] = '\0';
    *off = (uint32_t)d->pool_len;
    d->pool_len += n + 1;
    return 0;
}

const char *nerfeat_fold(const struct nerfeat_doc *d, size_t i, size_t *len)
{
    *len = d->t[i].fold_len;
    return d->pool + d->t[i].fold;
}

static int is_upper_cp(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z';
    return uc_is_upper(c) || uc_is_general_category(c, UC_CATEGORY_Lt);
}

static int is_digit_cp(uint32_t c)
{
    return c < 0x80 ? c >= '0' && c <= '9' : uc_is_digit(c);
}

/* Short shape (runs of one class collapsed to one) and long shape (runs cut at 4) of a token
 * written with capitalisation tcase (headline words are shaped as restored). */
static void shapes(const char *s, size_t n, int headline, int tcase, char *sh, size_t *shn,
                   char *lsh, size_t *lshn)
{
    size_t pos = 0, a = 0, b = 0, run = 0;
    int letter_no = 0;
    char last = 0;
    while (pos < n && b < 31 && a < 15) {
        uint32_t c;
        char k;
        if ((unsigned char)s[pos] < 0x80)
            c = (unsigned char)s[pos++];
        else if (utf8_next(s, n, &pos, &c) <= 0)
            break;
        if (tokenize_is_letter(c)) {
            int up = is_upper_cp(c);
            if (headline)
                up = tcase == NERFEAT_UPPER || (tcase == NERFEAT_CAP && letter_no == 0);
            k = up ? 'X' : 'x';
            letter_no++;
        } else if (is_digit_cp(c)) {
            k = 'd';
        } else {
            k = c < 0x80 ? (char)c : '#';
        }
        run = k == last ? run + 1 : 1;
        if (run <= 4)
            lsh[b++] = k;
        if (run == 1)
            sh[a++] = k;
        last = k;
    }
    *shn = a;
    *lshn = b;
}

static struct word_stats *word_find(struct nerfeat_doc *d, size_t mask, uint64_t h)
{
    struct word_stats *w = d->words;
    size_t j = h & mask;
    while (w[j].hash != 0 && w[j].hash != h)
        j = (j + 1) & mask;
    if (w[j].hash == 0) {
        w[j].hash = h;
        d->nwords++;
    }
    return &w[j];
}

/* Case class of an unknown word from its stem ("grinds" -> "grind"), else UNKNOWN. */
static int stem_case(const struct gazetteer *g, const char *f, size_t n)
{
    static const char *const suffixes[] = {"s", "es", "ed", "d", "ing", "ly", "er", "ers", NULL};
    for (size_t k = 0; suffixes[k]; k++) {
        size_t sl = strlen(suffixes[k]);
        if (n < sl + 3 || memcmp(f + n - sl, suffixes[k], sl) != 0)
            continue;
        int wc = gazetteer_word_case(g, f, n - sl);
        if (wc != GAZ_CASE_UNKNOWN)
            return wc;
    }
    return GAZ_CASE_UNKNOWN;
}

/* Capitalisation of a headline word from its other occurrences, else from the lexicon. */
static int truecase(const struct word_stats *w, int wcase, size_t letters)
{
    unsigned lo = w->lower, cap = w->capmid, up = w->upper;
    if (lo + cap + up > 0) {
        if (up > cap && up > lo)
            return NERFEAT_UPPER;
        return cap >= lo ? NERFEAT_CAP : NERFEAT_LOWER;
    }
    switch (wcase) {
    case GAZ_CASE_LOWER:
    case GAZ_CASE_MIXED:
        return NERFEAT_LOWER;
    case GAZ_CASE_CAP:
    case GAZ_CASE_ALWAYS_CAP:
        return NERFEAT_CAP;
    case GAZ_CASE_UPPER:
        return NERFEAT_UPPER;
    default:
        if (w->capinit > 0)
            return NERFEAT_CAP;
        return letters >= 4 ? NERFEAT_CAP : NERFEAT_UPPER;
    }
}

static int is_capword(const struct nerfeat_token *t)
{
    return t->tcase == NERFEAT_CAP || t->tcase == NERFEAT_UPPER;
}

static int fold_is(const struct nerfeat_doc *d, size_t i, const char *w)
{
    size_t n = strlen(w);
    return d->t[i].fold_len == n && memcmp(d->pool + d->t[i].fold, w, n) == 0;
}

/* Words that may sit inside a run of capitalised words ("Bank of England"). */
static int is_connector(const struct nerfeat_doc *d, size_t i)
{
    return (d->t[i].tcase == NERFEAT_LOWER && (d->t[i].gaz & GAZ_PARTICLE)) ||
           fold_is(d, i, "of") || fold_is(d, i, "for") || fold_is(d, i, "&") ||
           fold_is(d, i, "de") || fold_is(d, i, "upon") || fold_is(d, i, "on");
}

/* Longest phrases of the gazetteer starting at token i, one per class: places and listed
 * organisations (len[0], bits in *place_bits), titles (len[1]), page chrome (len[2]). */
static void longest_phrases(const struct nerfeat_doc *d, size_t i, size_t len[3],
                            uint32_t *place_bits)
{
    char key[256];
    size_t k = 0;
    len[0] = len[1] = len[2] = 0;
    *place_bits = 0;
    for (size_t j = i; j < d->n && j < i + MAX_PHRASE; j++) {
        const struct nerfeat_token *t = &d->t[j];
        uint32_t b;
        if (j > i && (d->tok[j].flags & TOKEN_SENT_START))
            break;
        if (k + t->fold_len + 2 > sizeof key)
            break;
        if (j > i)
            key[k++] = ' ';
        memcpy(key + k, d->pool + t->fold, t->fold_len);
        k += t->fold_len;
        b = j == i ? t->gaz : gazetteer_phrase(d->gaz, key, k);
        if (b & (GAZ_PLACE_MASK | GAZ_ORG)) {
            len[0] = j - i + 1;
            *place_bits = b & (GAZ_PLACE_MASK | GAZ_ORG);
        }
        if (b & GAZ_TITLE)
            len[1] = j - i + 1;
        if (b & GAZ_CHROME)
            len[2] = j - i + 1;
        if (!(b & GAZ_PREFIX))
            break;
    }
}

static void mark_phrases(struct nerfeat_doc *d)
{
    size_t skip[3] = {0, 0, 0}; /* next token each class may start a match at */
    for (size_t i = 0; i < d->n; i++) {
        size_t len[3];
        uint32_t bits;
        if (i < skip[0] && i < skip[1] && i < skip[2])
            continue;
        if (!(d->t[i].gaz & (GAZ_PLACE_MASK | GAZ_ORG | GAZ_TITLE | GAZ_CHROME | GAZ_PREFIX)))
            continue;
        longest_phrases(d, i, len, &bits);
        if (i >= skip[0] && len[0] > 0 && is_capword(&d->t[i]) &&
            is_capword(&d->t[i + len[0] - 1])) {
            for (size_t j = i; j < i + len[0]; j++) {
                d->t[j].place = bits;
                d->t[j].flags |= j == i ? NERFEAT_PLACE_B : NERFEAT_PLACE_I;
            }
            skip[0] = i + len[0];
        }
        if (i >= skip[1] && len[1] > 0) {
            for (size_t j = i; j < i + len[1]; j++)
                d->t[j].flags |= NERFEAT_IN_TITLE;
            if (i + len[1] < d->n)
                d->t[i + len[1]].flags |= NERFEAT_AFTER_TITLE;
            skip[1] = i + len[1];
        }
        /* page chrome: a phrase of several words anywhere; a single word ("Photo",
         * "Watch") only at the start of a line, since names contain such words ("Human
         * Rights Watch"); a short line that starts with chrome is chrome to its end
         * ("Follow us on Facebook", "Read more: ...") */
        int line = (d->tok[i].flags & TOKEN_LINE_START) != 0;
        if (i >= skip[2] && len[2] > 0 && is_capword(&d->t[i]) && (len[2] > 1 || line)) {
            size_t e = i + len[2];
            if (line) {
                size_t le = e;
                while (le < d->n && !(d->tok[le].flags & TOKEN_LINE_START))
                    le++;
                if (le - i <= 16)
                    e = le;
            }
            for (size_t j = i; j < e; j++)
                d->t[j].flags |= NERFEAT_CHROME;
            skip[2] = e;
        }
    }
}

/* Finds runs of capitalised words and records their shape and contents. */
static void mark_runs(struct nerfeat_doc *d)
{
    for (size_t i = 0; i < d->n;) {
        size_t e = i, last;
        uint32_t bits = 0;
        struct nerfeat_token *t = &d->t[i];

        if (!is_capword(t) || !(d->tok[i].flags & TOKEN_ALPHA) ||
            ((t->flags & NERFEAT_FIRST) && t->wcase == GAZ_CASE_LOWER && !(t->gaz & GAZ_TITLE)) ||
            (t->gaz & GAZ_STOP)) {
            i++;
            continue;
        }
        last = i;
        for (e = i + 1; e < d->n; e++) {
            if (d->tok[e].flags & TOKEN_SENT_START)
                break;
            if (is_capword(&d->t[e]) && (d->tok[e].flags & TOKEN_ALPHA)) {
                last = e;
                continue;
            }
            if (is_connector(d, e) && e + 1 < d->n && is_capword(&d->t[e + 1]) &&
                !(d->tok[e + 1].flags & TOKEN_SENT_START)) {
                bits |= (d->t[e].gaz & GAZ_PARTICLE) ? NERFEAT_RUN_PARTICLE : 0;
                continue;
            }
            break;
        }
        e = last + 1;
        {
            size_t first = i;
            while (first < e && (d->t[first].flags & NERFEAT_IN_TITLE))
                first++;
            if (first < e && (d->t[first].gaz & GAZ_FIRSTNAME) && e - first >= 2)
                bits |= NERFEAT_RUN_FIRSTNAME;
            if (first > i || (d->t[i].flags & NERFEAT_AFTER_TITLE))
                bits |= NERFEAT_RUN_TITLE;
        }
        if (d->t[last].gaz & GAZ_ORGCUE)
            bits |= NERFEAT_RUN_ORGCUE;
        for (size_t j = i; j < e; j++) {
            if (d->t[j].gaz & GAZ_ORGCUE)
                bits |= NERFEAT_RUN_ORGANY;
            if (d->t[j].gaz & GAZ_LOCCUE)
                bits |= NERFEAT_RUN_LOCCUE;
            if (d->t[j].place)
                bits |= NERFEAT_RUN_HASPLACE;
        }
        if ((d->t[i].flags & NERFEAT_PLACE_B) &&
            (e == d->n || !(d->t[e].flags & NERFEAT_PLACE_I)) &&
            (last == i || (d->t[last].flags & NERFEAT_PLACE_I))) {
            int whole = 1;
            for (size_t j = i + 1; j < e; j++)
                whole &= (d->t[j].flags & NERFEAT_PLACE_I) != 0;
            if (whole)
                bits |= NERFEAT_RUN_PLACE;
        }
        if (d->t[i].flags & NERFEAT_FIRST)
            bits |= NERFEAT_RUN_SENTFIRST;
        for (size_t j = i; j < e; j++) {
            struct nerfeat_token *u = &d->t[j];
            u->run = bits;
            u->run_len = (uint8_t)(e - i > 250 ? 250 : e - i);
            u->run_pos = e - i == 1 ? 4 : j == i ? 1 : j == last ? 3 : 2;
        }
        i = e;
    }
}

int nerfeat_doc_build(struct nerfeat_doc *d, const struct gazetteer *g, const char *text,
                      const struct token *tok, size_t n)
{
    size_t mask = 63;
    char buf[128];
    struct word_stats *ws;

    memset(d, 0, sizeof *d);
    d->gaz = g;
    d->text = text;
    d->tok = tok;
    d->n = n;
    if (n == 0)
        return 0;
    d->t = calloc(n, sizeof *d->t);
    while (mask + 1 < n * 2)
        mask = mask * 2 + 1;
    d->words = calloc(mask + 1, sizeof(struct word_stats));
    if (d->t == NULL || d->words == NULL)
        return -1;
    ws = d->words;

    /* 1. forms, lexicon, single-token gazetteer bits, first words of sentences */
    int want_first = 1;
    for (size_t i = 0; i < n; i++) {
        const struct token *k = &tok[i];
        struct nerfeat_token *t = &d->t[i];
        size_t fl =
            nameform_fold(text + k->byte_start, k->byte_end - k->byte_start, buf, sizeof buf);
        if (pool_put(d, buf, fl, &t->fold) != 0)
            return -1;
        t->fold_len = (uint16_t)fl;
        int wc, fq;
        t->gaz = gazetteer_word(g, buf, fl, &wc, &fq);
        t->wcase = (uint8_t)wc;
        t->freq = (uint8_t)fq;
        t->word = (uint32_t)(word_find(d, mask, gazetteer_hash(buf, fl)) - ws);
        if (k->flags & TOKEN_SENT_START)
            want_first = 1;
        if (want_first && (k->flags & TOKEN_WORD)) {
            t->flags |= NERFEAT_FIRST;
            want_first = 0;
        }
        if (!(k->flags & TOKEN_ALPHA))
            t->tcase = NERFEAT_NONE;
        else if (k->flags & TOKEN_LOWER)
            t->tcase = NERFEAT_LOWER;
        else if ((k->flags & TOKEN_ALLCAPS) && utf8_count(buf, fl) >= 2)
            t->tcase = NERFEAT_UPPER;
        else
            t->tcase = NERFEAT_CAP;
        if (i + 1 < n && tok[i + 1].byte_end - tok[i + 1].byte_start >= 2) {
            const char *nx = text + tok[i + 1].byte_start;
            size_t nl = tok[i + 1].byte_end - tok[i + 1].byte_start;
            if ((nx[nl - 1] == 's' || nx[nl - 1] == 'S') &&
                (nx[0] == '\'' || (nl == 4 && (unsigned char)nx[0] == 0xE2)))
                t->flags |= NERFEAT_POSS_NEXT;
        }
    }
    /* 2. how each word is written outside headlines */
    for (size_t i = 0; i < n; i++) {
        struct nerfeat_token *t = &d->t[i];
        struct word_stats *w = &ws[t->word];
        if ((tok[i].flags & TOKEN_HEADLINE) || t->tcase == NERFEAT_NONE)
            continue;
        if (t->tcase == NERFEAT_LOWER)
            w->lower++;
        else if (t->flags & NERFEAT_FIRST)
            w->capinit++;
        else if (t->tcase == NERFEAT_UPPER)
            w->upper++;
        else
            w->capmid++;
    }
    /* 3. headlines back in mixed case */
    for (size_t i = 0; i < n; i++) {
        struct nerfeat_token *t = &d->t[i];
        if (!(tok[i].flags & TOKEN_HEADLINE) || t->tcase == NERFEAT_NONE)
            continue;
        int wc = t->wcase;
        if (wc == GAZ_CASE_UNKNOWN && !(t->gaz & ~GAZ_PREFIX))
            wc = stem_case(g, d->pool + t->fold, t->fold_len);
        t->tcase = (uint8_t)truecase(&ws[t->word], wc, utf8_count(d->pool + t->fold, t->fold_len));
        if ((t->flags & NERFEAT_FIRST) && t->tcase == NERFEAT_LOWER)
            t->tcase = NERFEAT_CAP;
    }
    /* 4. shapes */
    for (size_t i = 0; i < n; i++) {
        struct nerfeat_token *t = &d->t[i];
        char sh[16], lsh[32];
        size_t shn, lshn;
        shapes(text + tok[i].byte_start, tok[i].byte_end - tok[i].byte_start,
               (tok[i].flags & TOKEN_HEADLINE) != 0, t->tcase, sh, &shn, lsh, &lshn);
        if (pool_put(d, sh, shn, &t->shape) != 0 || pool_put(d, lsh, lshn, &t->lshape) != 0)
            return -1;
        t->shape_len = (uint8_t)shn;
        t->lshape_len = (uint8_t)lshn;
    }
    /* 5. phrases and runs */
    mark_phrases(d);
    mark_runs(d);
    /* 6. document evidence, each token's own share left out */
    for (size_t i = 0; i < n; i++) {
        struct nerfeat_token *t = &d->t[i];
        struct word_stats *w = &ws[t->word];
        if (t->flags & NERFEAT_AFTER_TITLE)
            w->title++;
        if ((t->run & NERFEAT_RUN_FIRSTNAME) && t->run_pos == 3)
            w->surname++;
        if (t->run & NERFEAT_RUN_ORGCUE)
            w->orgrun++;
        if (t->run_pos == 1)
            w->runhead++;
        if (t->run_pos == 4)
            w->single++;
        if (t->place)
            w->place++;
    }
    for (size_t i = 0; i < n; i++) {
        struct nerfeat_token *t = &d->t[i];
        const struct word_stats *w = &ws[t->word];
        int head = (tok[i].flags & TOKEN_HEADLINE) != 0;
        int own_lower = !head && t->tcase == NERFEAT_LOWER;
        int own_capmid = !head && t->tcase == NERFEAT_CAP && !(t->flags & NERFEAT_FIRST);
        int own_upper = !head && t->tcase == NERFEAT_UPPER && !(t->flags & NERFEAT_FIRST);
        uint32_t b = 0;
        if (w->lower > own_lower)
            b |= NERFEAT_DOC_LOWER;
        if (w->capmid > own_capmid)
            b |= NERFEAT_DOC_CAPMID;
        if (w->upper > own_upper)
            b |= NERFEAT_DOC_UPPER;
        if (w->title > ((t->flags & NERFEAT_AFTER_TITLE) ? 1 : 0))
            b |= NERFEAT_DOC_TITLE;
        if (w->surname > (((t->run & NERFEAT_RUN_FIRSTNAME) && t->run_pos == 3) ? 1 : 0))
            b |= NERFEAT_DOC_SURNAME;
        if (w->orgrun > ((t->run & NERFEAT_RUN_ORGCUE) ? 1 : 0))
            b |= NERFEAT_DOC_ORGRUN;
        if (w->runhead > (t->run_pos == 1 ? 1 : 0))
            b |= NERFEAT_DOC_RUNHEAD;
        if (w->single > (t->run_pos == 4 ? 1 : 0))
            b |= NERFEAT_DOC_SINGLE;
        if (w->place > (t->place ? 1 : 0))
            b |= NERFEAT_DOC_PLACE;
        t->doc = b;
    }
    return 0;
}

void nerfeat_doc_free(struct nerfeat_doc *d)
{
    if (d == NULL)
        return;
    free(d->t);
    free(d->pool);
    free(d->words);
    memset(d, 0, sizeof *d);
}

/* ---- features ---- */

struct fbuf {
    uint64_t *out;
    size_t n;
};

/* 64-bit hash of a short feature string under a template seed: 8 bytes at a time, each
 * word mixed by a multiply and xor-shifts (feature strings are short; this is cheaper than
 * a general-purpose hash's set-up). Changing it invalidates data/ner_model.bin. */
static uint64_t feature_hash(const char *s, size_t n, uint64_t seed)
{
    const uint64_t m = 0x9E3779B97F4A7C15ull;
    uint64_t h = (seed + 1) * m ^ n;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = (h ^ v) * m;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t v;
        if (n >= 4) { /* two overlapping 4-byte loads cover 4..7 bytes */
            uint32_t lo, hi;
            memcpy(&lo, s, 4);
            memcpy(&hi, s + n - 4, 4);
            v = (uint64_t)lo | (uint64_t)hi << 32;
        } else {
            v = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8 |
                (uint64_t)(unsigned char)s[n - 1] << 16;
        }
        h = (h ^ v) * m;
        h ^= h >> 29;
    }
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h;
}

static void f_str(struct fbuf *f, unsigned tmpl, const char *s, size_t n)
{
    if (f->n < NERFEAT_MAX)
        f->out[f->n++] = feature_hash(s, n, tmpl);
}

static void f_str2(struct fbuf *f, unsigned tmpl, const char *a, size_t an, const char *b,
                   size_t bn)
{
    char buf[160];
    if (an > 64)
        an = 64;
    if (bn > 64)
        bn = 64;
    memcpy(buf, a, an);
    buf[an] = '\x1f';
    memcpy(buf + an + 1, b, bn);
    f_str(f, tmpl, buf, an + 1 + bn);
}

static void f_int(struct fbuf *f, unsigned tmpl, uint32_t v)
{
    char b[4] = {(char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24)};
    f_str(f, tmpl, b, 4);
}

/* One feature per set bit: (bit, extra). */
static void f_bits(struct fbuf *f, unsigned tmpl, uint32_t bits, uint32_t extra)
{
    while (bits) {
        uint32_t k = (uint32_t)__builtin_ctz(bits);
        bits &= bits - 1;
        f_int(f, tmpl, k | extra << 8);
    }
}

/* Context word of token j as seen from token i: the folded form, or a boundary marker. */
static void ctx_word(const struct nerfeat_doc *d, size_t i, long j, const char **s, size_t *n)
{
    if (j < 0 || (size_t)j >= d->n) {
        *s = "<T>";
        *n = 3;
        return;
    }
    /* context does not cross sentence starts */
    size_t lo = (size_t)j < i ? (size_t)j + 1 : i + 1, hi = (size_t)j < i ? i : (size_t)j;
    for (size_t k = lo; k <= hi; k++) {
        if (d->tok[k].flags & TOKEN_SENT_START) {
            *s = "<S>";
            *n = 3;
            return;
        }
    }
    *s = d->pool + d->t[j].fold;
    *n = d->t[j].fold_len;
}

static int same_sentence(const struct nerfeat_doc *d, size_t i, size_t j)
{
    size_t lo = i < j ? i : j, hi = i < j ? j : i;
    for (size_t k = lo + 1; k <= hi; k++)
        if (d->tok[k].flags & TOKEN_SENT_START)
            return 0;
    return 1;
}

size_t nerfeat_extract(const struct nerfeat_doc *d, size_t i, uint64_t *out)
{
    struct fbuf f = {out, 0};
    const struct nerfeat_token *t = &d->t[i];
    const char *w = d->pool + t->fold, *s;
    const char *sh = d->pool + t->shape;
    size_t wn = t->fold_len, sn;
    int head = (d->tok[i].flags & TOKEN_HEADLINE) != 0;
    int has_prev = i > 0 && same_sentence(d, i, i - 1);
    int has_next = i + 1 < d->n && same_sentence(d, i, i + 1);
    uint32_t tc = t->tcase;

    f_int(&f, T_BIAS, 0);
    f_str(&f, T_W, w, wn);
    f_str(&f, T_SHAPE, sh, t->shape_len);
    if ((tc == NERFEAT_LOWER || tc == NERFEAT_NONE) && !t->run_pos && !t->place &&
        !(t->flags & NERFEAT_FIRST)) {
        /* a lower-case word or a sign outside any name: a short vector is enough (most
         * tokens are such, and this halves the cost of extraction) */
        uint32_t pc = has_prev ? d->t[i - 1].tcase : 7, nc = has_next ? d->t[i + 1].tcase : 7;
        f_int(&f, T_CASE3, pc | tc << 4 | nc << 8);
        ctx_word(d, i, (long)i - 1, &s, &sn);
        f_str(&f, T_WM1, s, sn);
        ctx_word(d, i, (long)i + 1, &s, &sn);
        f_str(&f, T_WP1, s, sn);
        f_bits(&f, T_GAZ, t->gaz & ~GAZ_PREFIX, tc);
        f_int(&f, T_LEX, t->wcase | tc << 4);
        return f.n;
    }
    f_str2(&f, T_WCASE, w, wn, (const char *)&t->tcase, 1);
    f_str(&f, T_LSHAPE, d->pool + t->lshape, t->lshape_len);
    if (wn >= 3) {
        f_str(&f, T_PRE2, w, 2);
        f_str(&f, T_SUF2, w + wn - 2, 2);
    }
    if (wn >= 4) {
        f_str(&f, T_PRE3, w, 3);
        f_str(&f, T_SUF3, w + wn - 3, 3);
    }
    if (wn >= 5) {
        f_str(&f, T_PRE4, w, 4);
        f_str(&f, T_SUF4, w + wn - 4, 4);
    }
    ctx_word(d, i, (long)i - 1, &s, &sn);
    f_str(&f, T_WM1, s, sn);
    f_str2(&f, T_BIG1, s, sn, w, wn);
    f_str2(&f, T_WM1SH, s, sn, sh, t->shape_len);
    ctx_word(d, i, (long)i + 1, &s, &sn);
    f_str(&f, T_WP1, s, sn);
    f_str2(&f, T_BIG2, w, wn, s, sn);
    f_str2(&f, T_SHWP1, sh, t->shape_len, s, sn);
    ctx_word(d, i, (long)i - 2, &s, &sn);
    f_str(&f, T_WM2, s, sn);
    ctx_word(d, i, (long)i + 2, &s, &sn);
    f_str(&f, T_WP2, s, sn);
    {
        uint32_t pc = has_prev ? d->t[i - 1].tcase : 7, nc = has_next ? d->t[i + 1].tcase : 7;
        f_int(&f, T_CASE3, pc | tc << 4 | nc << 8);
        if (has_prev)
            f_str(&f, T_SM1, d->pool + d->t[i - 1].shape, d->t[i - 1].shape_len);
        else
            f_str(&f, T_SM1, "<S>", 3);
        if (has_next)
            f_str(&f, T_SP1, d->pool + d->t[i + 1].shape, d->t[i + 1].shape_len);
        else
            f_str(&f, T_SP1, "<S>", 3);
        if (has_prev) {
            f_int(&f, T_LEXM1, d->t[i - 1].wcase | d->t[i - 1].tcase << 4 | tc << 8);
            f_bits(&f, T_GAZM1, d->t[i - 1].gaz & ~GAZ_PREFIX, tc);
            if (d->t[i - 1].place)
                f_int(&f, T_PLACEM1, d->t[i - 1].place | tc << 24);
        }
        if (has_next) {
            f_int(&f, T_LEXP1, d->t[i + 1].wcase | d->t[i + 1].tcase << 4 | tc << 8);
            f_bits(&f, T_GAZP1, d->t[i + 1].gaz & ~GAZ_PREFIX, tc);
            if (d->t[i + 1].place)
                f_int(&f, T_PLACEP1, d->t[i + 1].place | tc << 24);
        }
    }
    if (t->flags & NERFEAT_FIRST)
        f_int(&f, T_FIRST, tc | (uint32_t)t->wcase << 4);
    if (head)
        f_int(&f, T_HEAD, tc);
    f_bits(&f, T_GAZ, t->gaz & ~GAZ_PREFIX, tc);
    if (t->place)
        f_int(&f, T_PLACE,
              t->place | (t->flags & (NERFEAT_PLACE_B | NERFEAT_PLACE_I)) << 16 | tc << 24);
    if (t->flags & NERFEAT_AFTER_TITLE)
        f_int(&f, T_TITLE, tc);
    if (t->flags & NERFEAT_IN_TITLE)
        f_int(&f, T_TITLE, 16 | tc);
    if (t->flags & NERFEAT_CHROME)
        f_int(&f, T_CHROME, tc);
    if (t->run_pos) {
        uint32_t len = t->run_len > 4 ? 4 : t->run_len;
        f_int(&f, T_RUN, t->run_pos | len << 4);
        f_bits(&f, T_RUNBITS, t->run, 0);
        f_bits(&f, T_RUNPOSBITS, t->run, t->run_pos);
        f_int(&f, T_RUNLEX, t->wcase | (uint32_t)t->run_pos << 4 | len << 8);
    }
    f_int(&f, T_LEX, t->wcase | tc << 4);
    f_int(&f, T_FREQ, t->freq | tc << 4);
    f_bits(&f, T_DOC, t->doc, tc);
    f_int(&f, T_DOCCASE, (t->doc & 7) | tc << 4 | (uint32_t)head << 8);
    if (t->flags & NERFEAT_POSS_NEXT)
        f_int(&f, T_POSS, tc);
    f_int(&f, T_LEN, (wn > 12 ? 12 : (uint32_t)wn) | tc << 4);
    return f.n;
}
