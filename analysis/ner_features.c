/* ner_features.c: token analysis and hashed features for the NER model (see
 * ner_features.h). Headlines in capitals are "truecased" from the same word's other
 * occurrences in the text, or from the word-case lexicon, so that "RUSSIA SAYS" looks like
 * "Russia says" to the model. Scoring adds up the model's weights of each token's features
 * without listing them, with what follows from a word, a form or a shape worked out once
 * per document (see features() and nerfeat_doc_scores). */
#include "analysis/ner_features.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "analysis/nameform.h"
#include "analysis/ner_model.h"
#include "analysis/utf8.h"

#define MAX_PHRASE 8 /* tokens in the longest gazetteer phrase tried */

/* One distinct word of the document (words are told apart by gazetteer_hash of their folded
 * form, as the gazetteer does): its look-ups and how it is written. */
struct word_stats {
    uint64_t hash;
    uint32_t fold; /* the folded form of its first occurrence, in the pool */
    uint16_t fold_len;
    uint32_t gaz; /* gazetteer_word: all words of a document in one batch (words_lookup) */
    uint8_t wcase, freq;
    uint16_t lower, capinit, capmid, upper;
    uint16_t title, surname, orgrun, runhead, single, place;
};

/* Rows of weights cached per word and per shape while scoring (nerfeat_doc_scores): 0 not
 * looked up yet, else the scorer's row + 1. */
enum {
    WF_W,
    WF_WM1,
    WF_WP1,
    WF_WM2,
    WF_WP2,
    WF_PRE2,
    WF_SUF2,
    WF_PRE3,
    WF_SUF3,
    WF_PRE4,
    WF_SUF4,
    WF_WCASE, /* + the token's case (4 slots) */
    WF_N = WF_WCASE + 4
};
enum { SF_SHAPE, SF_SM1, SF_SP1, SF_LSHAPE, SF_N };

/* A slot of the word table: index + 1 into words, 0 empty; words are found by hash (see
 * word_stats). Four bytes, so that the table a document clears is small. */
typedef uint32_t word_slot;

/* A distinct surface form (the bytes of a token): what follows from the bytes alone is worked
 * out once per form, not once per token. */
struct form {
    unsigned char key[16]; /* forms of up to 16 bytes: the bytes, zero-padded */
    uint64_t hash;         /* of the bytes */
    uint32_t start, len;   /* bytes of its first token in the text */
    uint32_t word, fold;   /* its word, its folded form in the pool */
    uint16_t fold_len;
    uint8_t multi;          /* the folded form has two code points or more */
    uint32_t shape, lshape; /* as in struct nerfeat_token */
    uint32_t shape_id, lshape_id;
    uint8_t shape_len, lshape_len;
};

/* What a document holds beyond its public fields. Its arrays are carved from one block (see
 * doc_alloc), this struct first. */
#define DOC_EXTRA 16

struct doc_priv {
    char *block; /* cap bytes, used so far */
    size_t cap, used;
    void *extra[DOC_EXTRA]; /* arrays that did not fit in the block (none expected) */
    size_t nextra;
    word_slot *wslot; /* word table, wmask + 1 slots */
    size_t wmask;
    struct form *forms; /* nforms; fslot: index + 1 into forms, 0 empty, fmask + 1 slots */
    size_t nforms, fmask;
    uint32_t *fslot;
    uint32_t *tform; /* form of each token */
    uint32_t *sent;  /* sentence starts among the tokens up to each */
    uint32_t *sslot; /* distinct shape strings, the same way */
    size_t smask;
    uint32_t *shape_off; /* pool offset of each distinct shape */
    uint8_t *shape_len;
    uint64_t (*shape_key)[4]; /* each shape zero-padded to 32 bytes */
    size_t nshapes;
    int clash;              /* two different forms share a word hash: no caching by word */
    uint32_t (*wrow)[WF_N]; /* per word, allocated by the first scoring */
    uint32_t (*srow)[SF_N]; /* per shape */
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
    T_COUNT
};

/* ---- memory of a document ----
 * A document's arrays come from one block sized for its tokens (a bump allocator), and the
 * thread keeps the block of a freed document for the next one: per article, no allocation
 * and memory already in the caches rather than fresh pages. Blocks past BLOCK_KEEP bytes
 * are freed; the kept one is freed when the thread exits. */
#define BLOCK_KEEP (4u << 20)

struct spare {
    char *block;
    size_t cap;
};

static _Thread_local struct spare spare_tls;
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static int spare_key_ok;

static void spare_free(void *s)
{
    struct spare *sp = s;
    free(sp->block);
    sp->block = NULL;
    sp->cap = 0;
}

static void spare_key_init(void)
{
    spare_key_ok = pthread_key_create(&spare_key, spare_free) == 0;
}

/* A block of at least n bytes: the thread's kept one if it is large enough, else a new one
 * (NULL when out of memory); its size in *cap. */
static char *block_take(size_t n, size_t *cap)
{
    struct spare *sp = &spare_tls;
    if (sp->block != NULL && sp->cap >= n) {
        char *b = sp->block;
        *cap = sp->cap;
        sp->block = NULL;
        sp->cap = 0;
        return b;
    }
    *cap = n;
    return malloc(n);
}

/* Gives a document's block back: the thread keeps the larger of it and the one it keeps
 * (unless too large), and frees the other. */
static void block_give(char *b, size_t cap)
{
    struct spare *sp = &spare_tls;
    if (cap > sp->cap && cap <= BLOCK_KEEP) {
        pthread_once(&spare_once, spare_key_init);
        if (spare_key_ok && pthread_setspecific(spare_key, sp) == 0) {
            free(sp->block);
            sp->block = b;
            sp->cap = cap;
            return;
        }
    }
    free(b);
}

/* n bytes of the document's memory (16-aligned; zeroed when zero), or NULL. */
static void *doc_alloc(struct doc_priv *p, size_t n, int zero)
{
    void *r;
    n = (n + 15) & ~(size_t)15;
    if (p->cap - p->used >= n) {
        r = p->block + p->used;
        p->used += n;
    } else if (p->nextra < DOC_EXTRA && (r = malloc(n)) != NULL) {
        p->extra[p->nextra++] = r;
    } else {
        return NULL;
    }
    if (zero)
        memset(r, 0, n);
    return r;
}

/* Zero bytes the pool keeps past its capacity, so that any of its strings can be read in
 * fixed blocks of up to 64 bytes (feature_hash_padded, hash_str2_padded). */
#define POOL_PAD 64

static int pool_put(struct nerfeat_doc *d, const char *s, size_t n, uint32_t *off)
{
    if (d->pool_len + n + 1 > d->pool_cap) {
        size_t cap = d->pool_cap ? d->pool_cap * 2 : 4096;
        while (cap < d->pool_len + n + 1)
            cap *= 2;
        char *p = realloc(d->pool, cap + POOL_PAD);
        if (p == NULL)
            return -1;
        memset(p + d->pool_cap + POOL_PAD, 0, cap - d->pool_cap);
        d->pool = p;
        d->pool_cap = cap;
    }
    memcpy(d->pool + d->pool_len, s, n);
    d->pool[d->pool_len + n] = '\0';
    *off = (uint32_t)d->pool_len;
    d->pool_len += n + 1;
    return 0;
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
        uint32_t c = (unsigned char)s[pos];
        char k;
        if (c < 0x80 && !headline) {
            /* the common case without branches on the characters */
            pos++;
            k = (char)c;
            k = c - '0' < 10 ? 'd' : k;
            k = c - 'a' < 26 ? 'x' : k;
            k = c - 'A' < 26 ? 'X' : k;
        } else {
            int letter;
            if (c < 0x80) {
                pos++;
                letter = (c | 0x20) - 'a' < 26;
            } else if (utf8_next(s, n, &pos, &c) <= 0) {
                break;
            } else {
                letter = tokenize_is_letter(c);
            }
            if (letter) {
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
        }
        run = (run & -(size_t)(k == last)) + 1; /* run + 1 after the same class, else 1 */
        /* written always, kept when counted (the caller's buffers have room) */
        lsh[b] = k;
        b += run <= 4;
        sh[a] = k;
        a += run == 1;
        last = k;
    }
    sh[a] = '\0';
    lsh[b] = '\0';
    *shn = a;
    *lshn = b;
}

/* shapes() outside headlines of a form of up to 16 ASCII bytes, from its key sixteen bytes at
 * a time: a character is kept in the short shape when its class differs from the previous
 * one's, in the long shape unless the four before it have its class. Returns 0 when the
 * form is not such, or when the short shape would reach 15 characters (where shapes()
 * stops early). */
static int form_shapes(const struct form *f, char *sh, size_t *shn, char *lsh, size_t *lshn)
{
#if defined(__SSE2__)
    size_t n = f->len;
    if (n > 16)
        return 0;
    __m128i x = _mm_loadu_si128((const __m128i *)f->key);
    if (_mm_movemask_epi8(x) != 0)
        return 0;
    __m128i up = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
                               _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
    __m128i lo = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('a' - 1)),
                               _mm_cmplt_epi8(x, _mm_set1_epi8('z' + 1)));
    __m128i dg = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                               _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
    __m128i k = _mm_or_si128(_mm_andnot_si128(_mm_or_si128(_mm_or_si128(up, lo), dg), x),
                             _mm_or_si128(_mm_and_si128(up, _mm_set1_epi8('X')),
                                          _mm_or_si128(_mm_and_si128(lo, _mm_set1_epi8('x')),
                                                       _mm_and_si128(dg, _mm_set1_epi8('d')))));
    unsigned valid = (1u << n) - 1;
    unsigned same = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(k, _mm_slli_si128(k, 1))) & valid &
                    ~1u; /* bit i: the class of character i - 1 */
    unsigned keep_s = valid & ~same;
    unsigned keep_l = valid & ~(same & same << 1 & same << 2 & same << 3);
    unsigned char c[16];
    size_t a = 0, b = 0;
    /* (popcount is a libgcc call without -mpopcnt: only forms that long can need it) */
    if (n >= 15 && __builtin_popcount(keep_s) >= 15)
        return 0;
    _mm_storeu_si128((__m128i *)c, k);
    for (unsigned m = keep_s; m; m &= m - 1)
        sh[a++] = (char)c[__builtin_ctz(m)];
    for (unsigned m = keep_l; m; m &= m - 1)
        lsh[b++] = (char)c[__builtin_ctz(m)];
    sh[a] = '\0';
    lsh[b] = '\0';
    *shn = a;
    *lshn = b;
    return 1;
#else
    (void)f, (void)sh, (void)shn, (void)lsh, (void)lshn;
    return 0;
#endif
}

/* The word with hash h, added with its first folded form fold[0..n) when new (its gazetteer
 * look-up comes later, for all words at once). Returns its index, or -1 on allocation
 * failure. */
static long word_find(struct nerfeat_doc *d, struct doc_priv *p, uint64_t h, const char *fold,
                      size_t n)
{
    struct word_stats *ws = d->words, *w;
    size_t j = h & p->wmask;
    while (p->wslot[j] != 0) {
        w = &ws[p->wslot[j] - 1];
        if (w->hash == h) {
            /* the gazetteer tells words apart by hash alone, and so do the statistics;
             * the caches of nerfeat_doc_scores need the same form */
            if (w->fold_len != n || memcmp(d->pool + w->fold, fold, n) != 0)
                p->clash = 1;
            return (long)(p->wslot[j] - 1);
        }
        j = (j + 1) & p->wmask;
    }
    w = &ws[d->nwords];
    memset(w, 0, sizeof *w);
    w->hash = h;
    if (pool_put(d, fold, n, &w->fold) != 0)
        return -1;
    w->fold_len = (uint16_t)n; /* gaz, wcase and freq: all words at once (words_lookup) */
    p->wslot[j] = (uint32_t)++d->nwords;
    return (long)(d->nwords - 1);
}

static uint64_t feature_hash(const char *s, size_t n, uint64_t seed);

/* The form of token bytes s[0..n) (at offset start of the text), added when new: folded,
 * its word found or added. Returns its index, or -1 on allocation failure. */
static long form_find(struct nerfeat_doc *d, struct doc_priv *p, const char *s, size_t n,
                      size_t start, int fast)
{
    char buf[128];
    unsigned char key[16] = {0};
    uint64_t h;
    size_t fl = 0;
    struct form *f;
    int ascii = 0;

    /* forms of up to 16 bytes are compared and hashed as 16 zero-padded bytes, read at once
     * when 16 bytes from s are inside the text (fast) */
    if (n <= 16) {
        uint64_t k0, k1;
#if defined(__SSE2__)
        static const unsigned char ones_then_zeros[32] = {
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        };
        if (fast)
            _mm_storeu_si128(
                (__m128i *)key,
                _mm_and_si128(_mm_loadu_si128((const __m128i *)s),
                              _mm_loadu_si128((const __m128i *)(ones_then_zeros + 16 - n))));
        else
            memcpy(key, s, n);
#else
        (void)fast;
        memcpy(key, s, n);
#endif
        memcpy(&k0, key, 8);
        memcpy(&k1, key + 8, 8);
        h = (k0 * 0x9E3779B97F4A7C15ull) ^ (k1 * 0xC2B2AE3D27D4EB4Full) ^ n;
        h ^= h >> 29;
    } else {
        h = feature_hash(s, n, 0);
    }
    size_t j = h & p->fmask;
    while (p->fslot[j] != 0) {
        f = &p->forms[p->fslot[j] - 1];
        if (f->hash == h && f->len == n &&
            (n <= 16 ? memcmp(f->key, key, 16) == 0 : memcmp(d->text + f->start, s, n) == 0))
            return (long)(p->fslot[j] - 1);
        j = (j + 1) & p->fmask;
    }
#if defined(__SSE2__)
    /* ASCII folds to itself in lower case */
    if (n <= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)key);
        if (_mm_movemask_epi8(x) == 0) {
            __m128i up = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
                                       _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
            _mm_storeu_si128((__m128i *)buf, _mm_add_epi8(x, _mm_and_si128(up, _mm_set1_epi8(32))));
            buf[n] = '\0';
            fl = n;
            ascii = 1;
        }
    }
#endif
    if (!ascii)
        fl = nameform_fold(s, n, buf, sizeof buf);
    long wi = word_find(d, p, gazetteer_hash(buf, fl), buf, fl);
    if (wi < 0)
        return -1;
    const struct word_stats *w = &((const struct word_stats *)d->words)[wi];
    f = &p->forms[p->nforms];
    memset(f, 0, sizeof *f);
    memcpy(f->key, key, sizeof key);
    f->hash = h;
    f->start = (uint32_t)start;
    f->len = (uint32_t)n;
    f->word = (uint32_t)wi;
    /* forms of one word share its folded form (unless hashes clash: then each has its own) */
    if (w->fold_len == fl && memcmp(d->pool + w->fold, buf, fl) == 0)
        f->fold = w->fold;
    else if (pool_put(d, buf, fl, &f->fold) != 0)
        return -1;
    f->fold_len = (uint16_t)fl;
    /* two code points or more: certain past 4 bytes (the longest code point) */
    f->multi = ascii ? fl >= 2 : fl > 4 || (fl >= 2 && utf8_count(buf, fl) >= 2);
    p->fslot[j] = (uint32_t)++p->nforms;
    return (long)(p->nforms - 1);
}

/* The gazetteer's bits and classes of every word, in one batch. */
static int words_lookup(struct nerfeat_doc *d)
{
    struct word_stats *ws = d->words;
    size_t n = d->nwords;
    uint64_t *h = doc_alloc(d->priv, n * (sizeof *h + sizeof(uint32_t) + 2), 0);
    if (h == NULL)
        return -1;
    uint32_t *bits = (uint32_t *)(h + n);
    uint8_t *wcase = (uint8_t *)(bits + n), *freq = wcase + n;
    for (size_t w = 0; w < n; w++)
        h[w] = ws[w].hash;
    gazetteer_words_hashed(d->gaz, h, n, bits, wcase, freq);
    for (size_t w = 0; w < n; w++) {
        ws[w].gaz = bits[w];
        ws[w].wcase = wcase[w];
        ws[w].freq = freq[w];
    }
    return 0;
}

/* Stores the shape s[0..n) once per document; its pool offset in *off, its number in *id.
 * s is zero-padded to 32 bytes, so that it is hashed and compared as four words. */
static int shape_put(struct nerfeat_doc *d, struct doc_priv *p, const char s[32], size_t n,
                     uint32_t *off, uint32_t *id)
{
    uint64_t w[4], h;
    size_t j;
    memcpy(w, s, sizeof w);
    h = (w[0] * 0x9E3779B97F4A7C15ull) ^ (w[1] * 0xC2B2AE3D27D4EB4Full) ^
        (w[2] * 0x165667B19E3779F9ull) ^ (w[3] * 0x27D4EB2F165667C5ull) ^ n;
    h ^= h >> 29;
    for (j = h & p->smask; p->sslot[j] != 0; j = (j + 1) & p->smask) {
        uint32_t k = p->sslot[j] - 1;
        const uint64_t *e = p->shape_key[k];
        if (p->shape_len[k] == n && e[0] == w[0] && e[1] == w[1] && e[2] == w[2] && e[3] == w[3]) {
            *off = p->shape_off[k];
            *id = k;
            return 0;
        }
    }
    if (pool_put(d, s, n, off) != 0)
        return -1;
    *id = (uint32_t)p->nshapes;
    p->shape_off[p->nshapes] = *off;
    p->shape_len[p->nshapes] = (uint8_t)n;
    memcpy(p->shape_key[p->nshapes], w, sizeof w);
    p->sslot[j] = (uint32_t)++p->nshapes;
    return 0;
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

static int mark_phrases(struct nerfeat_doc *d)
{
    size_t skip[3] = {0, 0, 0}; /* next token each class may start a match at */
    uint32_t *start = doc_alloc(d->priv, d->n * sizeof *start, 0);
    size_t nstart = 0;
    if (start == NULL)
        return -1;
    /* the tokens a phrase may start at, listed first (a fifth of them, at random) */
    for (size_t i = 0; i < d->n; i++) {
        start[nstart] = (uint32_t)i;
        nstart +=
            (d->t[i].gaz & (GAZ_PLACE_MASK | GAZ_ORG | GAZ_TITLE | GAZ_CHROME | GAZ_PREFIX)) != 0;
    }
    for (size_t s = 0; s < nstart; s++) {
        size_t i = start[s], len[3];
        uint32_t bits;
        if (i < skip[0] && i < skip[1] && i < skip[2])
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
    return 0;
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
    struct word_stats *ws;
    struct doc_priv *p;

    memset(d, 0, sizeof *d);
    d->gaz = g;
    d->text = text;
    d->tok = tok;
    d->n = n;
    if (n == 0)
        return 0;
    while (mask + 1 < n * 2)
        mask = mask * 2 + 1;
    {
        /* room for all the document's arrays (see below and nerfeat_doc_scores): per token
         * its analysis, word, form, two table slots, shapes and caches, at most */
        size_t per_token = sizeof(struct nerfeat_token) + sizeof(struct word_stats) +
                           sizeof(struct form) + 4 * sizeof(word_slot) + 24 * 16 + 256;
        size_t cap;
        char *b = block_take(sizeof *p + 64 * 16 + n * per_token, &cap);
        if (b == NULL)
            return -1;
        d->priv = p = (struct doc_priv *)b;
        memset(p, 0, sizeof *p);
        p->block = b;
        p->cap = cap;
        p->used = (sizeof *p + 15) & ~(size_t)15;
    }
    d->t = doc_alloc(p, n * sizeof *d->t, 0); /* each cleared as step 1 reaches it */
    d->words = doc_alloc(p, n * sizeof(struct word_stats), 0);
    p->wmask = p->fmask = mask;
    p->wslot = doc_alloc(p, (mask + 1) * sizeof *p->wslot, 1);
    p->fslot = doc_alloc(p, (mask + 1) * sizeof *p->fslot, 1);
    p->forms = doc_alloc(p, n * sizeof *p->forms, 0);
    p->tform = doc_alloc(p, n * sizeof *p->tform, 0);
    p->sent = doc_alloc(p, n * sizeof *p->sent, 0);
    if (d->t == NULL || d->words == NULL || p->wslot == NULL || p->fslot == NULL ||
        p->forms == NULL || p->tform == NULL || p->sent == NULL)
        return -1;
    ws = d->words;
    {
        /* folded forms of distinct words and distinct shapes: rarely more than the text */
        size_t cap = tok[n - 1].byte_end - tok[0].byte_start + 2 * n + 256;
        d->pool = calloc(cap + POOL_PAD, 1);
        if (d->pool == NULL)
            return -1;
        d->pool_cap = cap;
    }

    /* 1. forms, lexicon, single-token gazetteer bits, first words of sentences */
    int want_first = 1;
    for (size_t i = 0; i < n; i++) {
        const struct token *k = &tok[i];
        struct nerfeat_token *t = &d->t[i];
        memset(t, 0, sizeof *t); /* a few stores, where clearing the array is a pass */
        long fi = form_find(d, p, text + k->byte_start, k->byte_end - k->byte_start, k->byte_start,
                            k->byte_start + 16 <= tok[n - 1].byte_end);
        if (fi < 0)
            return -1;
        const struct form *f = &p->forms[fi];
        p->tform[i] = (uint32_t)fi;
        p->sent[i] = (i > 0 ? p->sent[i - 1] : 0) + ((k->flags & TOKEN_SENT_START) != 0);
        t->word = f->word;
        t->fold = f->fold;
        t->fold_len = f->fold_len;
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
        else if ((k->flags & TOKEN_ALLCAPS) && f->multi)
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
    if (words_lookup(d) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct nerfeat_token *t = &d->t[i];
        const struct word_stats *w = &ws[t->word];
        t->gaz = w->gaz;
        t->wcase = w->wcase;
        t->freq = w->freq;
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
    /* 4. shapes: outside headlines a shape follows from the bytes alone, so once per form;
     * two shapes a form and a headline token at most */
    {
        size_t most = 2 * p->nforms, smask = 63;
        for (size_t i = 0; i < n; i++)
            most += (tok[i].flags & TOKEN_HEADLINE) ? 2 : 0;
        while (smask + 1 < most * 2)
            smask = smask * 2 + 1;
        p->smask = smask;
        p->sslot = doc_alloc(p, (smask + 1) * sizeof *p->sslot, 1);
        p->shape_off = doc_alloc(p, most * sizeof *p->shape_off, 0);
        p->shape_len = doc_alloc(p, most, 0);
        p->shape_key = doc_alloc(p, most * sizeof *p->shape_key, 0);
        if (p->sslot == NULL || p->shape_off == NULL || p->shape_len == NULL ||
            p->shape_key == NULL)
            return -1;
    }
    for (size_t fi = 0; fi < p->nforms; fi++) {
        struct form *f = &p->forms[fi];
        char sh[32] = {0}, lsh[32] = {0};
        size_t shn, lshn;
        if (!form_shapes(f, sh, &shn, lsh, &lshn))
            shapes(text + f->start, f->len, 0, NERFEAT_NONE, sh, &shn, lsh, &lshn);
        if (shape_put(d, p, sh, shn, &f->shape, &f->shape_id) != 0 ||
            shape_put(d, p, lsh, lshn, &f->lshape, &f->lshape_id) != 0)
            return -1;
        f->shape_len = (uint8_t)shn;
        f->lshape_len = (uint8_t)lshn;
    }
    for (size_t i = 0; i < n; i++) {
        struct nerfeat_token *t = &d->t[i];
        const struct form *f = &p->forms[p->tform[i]];
        if (tok[i].flags & TOKEN_HEADLINE) {
            /* headline words are shaped as truecased */
            char sh[32] = {0}, lsh[32] = {0};
            size_t shn, lshn;
            shapes(text + tok[i].byte_start, tok[i].byte_end - tok[i].byte_start, 1, t->tcase, sh,
                   &shn, lsh, &lshn);
            if (shape_put(d, p, sh, shn, &t->shape, &t->shape_id) != 0 ||
                shape_put(d, p, lsh, lshn, &t->lshape, &t->lshape_id) != 0)
                return -1;
            t->shape_len = (uint8_t)shn;
            t->lshape_len = (uint8_t)lshn;
            continue;
        }
        t->shape = f->shape;
        t->shape_id = f->shape_id;
        t->shape_len = f->shape_len;
        t->lshape = f->lshape;
        t->lshape_id = f->lshape_id;
        t->lshape_len = f->lshape_len;
    }
    /* 5. phrases and runs */
    if (mark_phrases(d) != 0)
        return -1;
    mark_runs(d);
    /* 6. document evidence, each token's own share left out (counted and compared without
     * branches: these are data, not control) */
    for (size_t i = 0; i < n; i++) {
        const struct nerfeat_token *t = &d->t[i];
        struct word_stats *w = &ws[t->word];
        w->title += (t->flags & NERFEAT_AFTER_TITLE) != 0;
        w->surname += (t->run & NERFEAT_RUN_FIRSTNAME) && t->run_pos == 3;
        w->orgrun += (t->run & NERFEAT_RUN_ORGCUE) != 0;
        w->runhead += t->run_pos == 1;
        w->single += t->run_pos == 4;
        w->place += t->place != 0;
    }
    for (size_t i = 0; i < n; i++) {
        struct nerfeat_token *t = &d->t[i];
        const struct word_stats *w = &ws[t->word];
        unsigned body = !(tok[i].flags & TOKEN_HEADLINE), mid = !(t->flags & NERFEAT_FIRST);
        unsigned own_lower = body & (t->tcase == NERFEAT_LOWER);
        unsigned own_capmid = body & (t->tcase == NERFEAT_CAP) & mid;
        unsigned own_upper = body & (t->tcase == NERFEAT_UPPER) & mid;
        uint32_t b = 0;
        b |= (uint32_t)(w->lower > own_lower) * NERFEAT_DOC_LOWER;
        b |= (uint32_t)(w->capmid > own_capmid) * NERFEAT_DOC_CAPMID;
        b |= (uint32_t)(w->upper > own_upper) * NERFEAT_DOC_UPPER;
        b |= (uint32_t)(w->title > ((t->flags & NERFEAT_AFTER_TITLE) != 0)) * NERFEAT_DOC_TITLE;
        b |= (uint32_t)(w->surname > ((t->run & NERFEAT_RUN_FIRSTNAME) && t->run_pos == 3)) *
             NERFEAT_DOC_SURNAME;
        b |= (uint32_t)(w->orgrun > ((t->run & NERFEAT_RUN_ORGCUE) != 0)) * NERFEAT_DOC_ORGRUN;
        b |= (uint32_t)(w->runhead > (t->run_pos == 1)) * NERFEAT_DOC_RUNHEAD;
        b |= (uint32_t)(w->single > (t->run_pos == 4)) * NERFEAT_DOC_SINGLE;
        b |= (uint32_t)(w->place > (t->place != 0)) * NERFEAT_DOC_PLACE;
        t->doc = b;
    }
    return 0;
}

void nerfeat_doc_free(struct nerfeat_doc *d)
{
    struct doc_priv *p;
    if (d == NULL)
        return;
    p = d->priv;
    if (p != NULL) {
        for (size_t k = 0; k < p->nextra; k++)
            free(p->extra[k]);
        block_give(p->block, p->cap); /* p itself is in the block */
    }
    free(d->pool);
    memset(d, 0, sizeof *d);
}

/* ---- features ---- */

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

/* feature_hash of s[0..n), s readable up to s + 16 at least (beyond n: any bytes): the same
 * value, up to 16 bytes without branches on the length. */
static inline uint64_t feature_hash_padded(const char *s, size_t n, uint64_t seed)
{
    const uint64_t m = 0x9E3779B97F4A7C15ull;
    uint64_t h = (seed + 1) * m ^ n, h1, h2, w0, wt, v3, v;
    uint32_t lo, hi;
    if (n > 16)
        return feature_hash(s, n, seed);
    /* a first round with the first word when there are 8 bytes or more */
    memcpy(&w0, s, 8);
    h1 = (h ^ w0) * m;
    h1 ^= h1 >> 29;
    h = n >= 8 ? h1 : h;
    /* then the rest, r of 0..8 bytes at t: a word (8), the tail (1..7) or nothing (0) */
    const char *t = s + (n >= 8 ? 8 : 0);
    size_t r = n >= 8 ? n - 8 : n, r1 = r ? r : 1;
    memcpy(&wt, t, 8);
    memcpy(&lo, t, 4);
    memcpy(&hi, t + (r >= 4 ? r - 4 : 0), 4);
    v3 = (uint64_t)(unsigned char)t[0] | (uint64_t)(unsigned char)t[r1 / 2] << 8 |
         (uint64_t)(unsigned char)t[r1 - 1] << 16;
    v = r == 8 ? wt : r >= 4 ? ((uint64_t)lo | (uint64_t)hi << 32) : v3;
    h2 = (h ^ v) * m;
    h2 ^= h2 >> 29;
    h = r > 0 ? h2 : h;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h;
}

/* Hash of two strings joined by a unit separator, each cut at 64 bytes; a and b readable for
 * 64 bytes (pool strings, padded constants), so that they are copied in fixed blocks. */
static inline uint64_t hash_str2_padded(unsigned tmpl, const char *a, size_t an, const char *b,
                                        size_t bn)
{
    char buf[160];
    if (an > 64)
        an = 64;
    if (bn > 64)
        bn = 64;
    memcpy(buf, a, 64);
    buf[an] = '\x1f';
    memcpy(buf + an + 1, b, 64);
    return feature_hash_padded(buf, an + 1 + bn, tmpl);
}

/* Constants used as feature strings, padded like the pool. */
static const char lit_text_end[64] = "<T>", lit_sentence[64] = "<S>";
static const char tcase_str[4][64] = {{0}, {1}, {2}, {3}};

/* Hash of an integer feature: its four bytes, little-endian. */
static uint64_t hash_int(unsigned tmpl, uint32_t v)
{
    char b[4] = {(char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24)};
    return feature_hash(b, 4, tmpl);
}

/* ---- the scorer: rows of the features that do not depend on the text ---- */

#define INT_BITS 12 /* slots of the integer-feature table: 2^12, for ~1,300 features */

struct int_row {
    uint32_t v;
    uint32_t tmpl; /* 0: empty slot */
    uint32_t row;
};

/* Rows here are the scorer's: row 0 is all zeros (a feature without weights), row r + 1 is
 * the model's row r, so that adding a feature's row never branches. A row is added as one
 * vector of tags 0..7 widened to 32 bits, and tag 8. */
typedef int16_t v8hi __attribute__((vector_size(16)));
typedef int32_t v8si __attribute__((vector_size(32)));

struct nerfeat_scorer {
    const struct nermodel *m;   /* borrowed */
    uint32_t limit[T_COUNT];    /* integer features (tmpl, v < limit[tmpl]) have ... */
    uint32_t *direct[T_COUNT];  /* ... their rows at direct[tmpl][v] */
    uint32_t *direct_rows;      /* the arrays of direct[] */
    int16_t *rows;              /* nermodel_size + 1 rows of NER_NTAGS */
    uint32_t bound[T_COUNT][2]; /* rows of "<T>" and "<S>" under each template */
    struct int_row *ints;       /* integer features (template, value) looked up in advance */
    size_t nints;
};

static uint32_t row_find(const struct nerfeat_scorer *sc, uint64_t h)
{
    return (uint32_t)(nermodel_find(sc->m, h) + 1);
}

static size_t int_slot(unsigned tmpl, uint32_t v)
{
    return ((v * 0x9E3779B1u) ^ (tmpl * 0x85EBCA77u)) >> (32 - INT_BITS);
}

static void int_add(struct nerfeat_scorer *sc, unsigned tmpl, uint32_t v)
{
    const size_t mask = ((size_t)1 << INT_BITS) - 1;
    size_t j = int_slot(tmpl, v);
    if (sc->nints * 2 >= mask)
        return; /* full enough: the rest are looked up as they come */
    while (sc->ints[j].tmpl != 0) {
        if (sc->ints[j].tmpl == tmpl && sc->ints[j].v == v)
            return;
        j = (j + 1) & mask;
    }
    sc->ints[j].tmpl = tmpl;
    sc->ints[j].v = v;
    sc->ints[j].row = row_find(sc, hash_int(tmpl, v));
    sc->nints++;
}

static __attribute__((noinline)) uint32_t int_find_slow(const struct nerfeat_scorer *sc,
                                                        unsigned tmpl, uint32_t v)
{
    return row_find(sc, hash_int(tmpl, v));
}

/* Row of integer feature (tmpl, v): from the table, else from the model. */
static inline uint32_t int_find(const struct nerfeat_scorer *sc, unsigned tmpl, uint32_t v)
{
    const size_t mask = ((size_t)1 << INT_BITS) - 1;
    for (size_t j = int_slot(tmpl, v);; j = (j + 1) & mask) {
        const struct int_row *e = &sc->ints[j];
        if (e->tmpl == tmpl && e->v == v)
            return e->row;
        if (e->tmpl == 0)
            return int_find_slow(sc, tmpl, v);
    }
}

/* Integer features whose values are small (fields of a few bits each, see features()) are
 * looked up for every value below a bound when the scorer is built, into direct tables: one
 * load, no probing, no branch on the value. A value at or past the bound (none is expected)
 * goes through int_find. */
static int direct_fill(struct nerfeat_scorer *sc)
{
    static const struct {
        unsigned tmpl;
        uint32_t limit;
    } bounds[] = {
        {T_BIAS, 1},           {T_CASE3, 0x740},  {T_GAZ, 0x320}, {T_GAZM1, 0x320},
        {T_GAZP1, 0x320},      {T_DOC, 0x320},    {T_LEX, 0x40},  {T_LEXM1, 0x340},
        {T_LEXP1, 0x340},      {T_FIRST, 0x60},   {T_HEAD, 4},    {T_TITLE, 0x14},
        {T_CHROME, 4},         {T_POSS, 4},       {T_RUN, 0x50},  {T_RUNBITS, 0x20},
        {T_RUNPOSBITS, 0x420}, {T_RUNLEX, 0x450}, {T_FREQ, 0x40}, {T_DOCCASE, 0x140},
        {T_LEN, 0x40},
    };
    size_t total = 0, at = 0;
    for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++)
        total += bounds[k].limit;
    sc->direct_rows = malloc(total * sizeof *sc->direct_rows);
    if (sc->direct_rows == NULL)
        return -1;
    for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++) {
        unsigned t = bounds[k].tmpl;
        sc->direct[t] = sc->direct_rows + at;
        sc->limit[t] = bounds[k].limit;
        for (uint32_t v = 0; v < bounds[k].limit; v++)
            sc->direct[t][v] = row_find(sc, hash_int(t, v));
        at += bounds[k].limit;
    }
    return 0;
}

/* The values of the integer features past the direct tables: places (a value left out is only
 * slower: it is looked up in the model when met). */
static void ints_fill(struct nerfeat_scorer *sc)
{
    for (uint32_t tc = 0; tc < 4; tc++) {
        for (uint32_t pl = 1; pl <= (GAZ_PLACE_MASK | GAZ_ORG); pl++) {
            int_add(sc, T_PLACEM1, pl | tc << 24);
            int_add(sc, T_PLACEP1, pl | tc << 24);
            for (uint32_t bi = 0; bi < 4; bi++)
                int_add(sc, T_PLACE, pl | (bi * NERFEAT_PLACE_B) << 16 | tc << 24);
        }
    }
}

int nerfeat_scorer_new(const struct nermodel *m, struct nerfeat_scorer **out)
{
    struct nerfeat_scorer *sc = calloc(1, sizeof *sc);
    size_t nfeat = nermodel_size(m);
    *out = NULL;
    if (sc == NULL)
        return -1;
    sc->m = m;
    sc->ints = calloc((size_t)1 << INT_BITS, sizeof *sc->ints);
    sc->rows = calloc((nfeat + 1) * NER_NTAGS, sizeof *sc->rows);
    if (sc->ints == NULL || sc->rows == NULL) {
        nerfeat_scorer_free(sc);
        return -1;
    }
    if (nfeat > 0)
        memcpy(sc->rows + NER_NTAGS, nermodel_row(m, 0), nfeat * NER_NTAGS * sizeof *sc->rows);
    for (unsigned t = 0; t < T_COUNT; t++) {
        sc->bound[t][0] = row_find(sc, feature_hash("<T>", 3, t));
        sc->bound[t][1] = row_find(sc, feature_hash("<S>", 3, t));
    }
    ints_fill(sc);
    if (direct_fill(sc) != 0) {
        nerfeat_scorer_free(sc);
        return -1;
    }
    *out = sc;
    return 0;
}

void nerfeat_scorer_free(struct nerfeat_scorer *sc)
{
    if (sc == NULL)
        return;
    free(sc->ints);
    free(sc->rows);
    free(sc->direct_rows);
    free(sc);
}

/* ---- one feature list, two consumers ----
 * features() below is the single definition of a token's features. nerfeat_extract runs it
 * with scoring == 0: each feature is hashed into out, as the trainer needs. nerfeat_doc_scores
 * runs it with scoring == 1: each feature's row of weights is added to the token's sums, and
 * features that depend on a word or a shape alone are looked up once per document (cached in
 * doc_priv), integer ones once per process (the scorer). Both stop at NERFEAT_MAX features. */

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* While scoring, the features not cached yet are hashed and their buckets asked for as they
 * come, and looked up together at the end of the token (the sums do not depend on order),
 * so that the misses of one token overlap. */
struct pending {
    uint64_t h[NERFEAT_MAX];
    uint32_t *slot[NERFEAT_MAX]; /* where its row goes too, or NULL */
    unsigned n;
};

struct sink {
    uint64_t *out;                   /* scoring == 0 */
    size_t n;                        /* features so far */
    const struct nerfeat_scorer *sc; /* scoring == 1 */
    struct doc_priv *p;
    v8si sum;     /* tags 0..7 */
    int32_t sum8; /* tag 8 */
    struct pending *pend;
};

ALWAYS_INLINE void add_row(struct sink *k, uint32_t r)
{
    const int16_t *w = k->sc->rows + (size_t)r * NER_NTAGS;
    v8hi v;
    memcpy(&v, w, sizeof v);
    k->sum += __builtin_convertvector(v, v8si);
    k->sum8 += w[8];
}

/* A feature of string a[0..an), or of a and b joined (b != NULL); *slot caches its row + 1
 * (slot NULL: not cached). */
ALWAYS_INLINE void k_str(struct sink *k, int scoring, uint32_t *slot, unsigned tmpl, const char *a,
                         size_t an, const char *b, size_t bn)
{
    if (k->n >= NERFEAT_MAX)
        return;
    k->n++;
    if (scoring && slot != NULL && *slot != 0) {
        add_row(k, *slot - 1);
        return;
    }
    /* every string here is in the pool or a padded constant */
    uint64_t h =
        b != NULL ? hash_str2_padded(tmpl, a, an, b, bn) : feature_hash_padded(a, an, tmpl);
    if (!scoring) {
        k->out[k->n - 1] = h;
        return;
    }
    nermodel_prefetch(k->sc->m, h);
    k->pend->h[k->pend->n] = h;
    k->pend->slot[k->pend->n++] = slot;
}

ALWAYS_INLINE void k_int(struct sink *k, int scoring, unsigned tmpl, uint32_t v)
{
    if (k->n >= NERFEAT_MAX)
        return;
    k->n++;
    if (scoring)
        add_row(k, v < k->sc->limit[tmpl] ? k->sc->direct[tmpl][v] : int_find(k->sc, tmpl, v));
    else
        k->out[k->n - 1] = hash_int(tmpl, v);
}

/* One feature per set bit: (bit, extra). */
ALWAYS_INLINE void k_bits(struct sink *k, int scoring, unsigned tmpl, uint32_t bits, uint32_t extra)
{
    while (bits) {
        uint32_t b = (uint32_t)__builtin_ctz(bits);
        bits &= bits - 1;
        k_int(k, scoring, tmpl, b | extra << 8);
    }
}

/* "<T>" (kind 1) or "<S>" (kind 2) under a template. */
ALWAYS_INLINE void k_bound(struct sink *k, int scoring, unsigned tmpl, int kind)
{
    if (!scoring) {
        k_str(k, 0, NULL, tmpl, kind == 1 ? lit_text_end : lit_sentence, 3, NULL, 0);
    } else if (k->n < NERFEAT_MAX) {
        k->n++;
        add_row(k, k->sc->bound[tmpl][kind - 1]);
    }
}

/* Cache slot of token j's word, or NULL. */
ALWAYS_INLINE uint32_t *wslot(const struct sink *k, int scoring, const struct nerfeat_doc *d,
                              size_t j, int which)
{
    if (!scoring || k->p->clash)
        return NULL;
    return &k->p->wrow[d->t[j].word][which];
}

ALWAYS_INLINE uint32_t *sslot(const struct sink *k, int scoring, uint32_t shape_id, int which)
{
    return scoring ? &k->p->srow[shape_id][which] : NULL;
}

/* Whether no token after the first of i and j up to the other starts a sentence: then both
 * have counted as many sentence starts. */
static int same_sentence(const struct nerfeat_doc *d, size_t i, size_t j)
{
    const uint32_t *sent = ((const struct doc_priv *)d->priv)->sent;
    return sent[i] == sent[j];
}

/* Context word of token j as seen from token i: 0 and its folded form in *s, *n; 1 past
 * either end of the text ("<T>"); 2 across a sentence start ("<S>"). */
static int ctx_word(const struct nerfeat_doc *d, size_t i, long j, const char **s, size_t *n)
{
    if (j < 0 || (size_t)j >= d->n) {
        *s = lit_text_end;
        *n = 3;
        return 1;
    }
    /* context does not cross sentence starts */
    if (!same_sentence(d, i, (size_t)j)) {
        *s = lit_sentence;
        *n = 3;
        return 2;
    }
    *s = d->pool + d->t[j].fold;
    *n = d->t[j].fold_len;
    return 0;
}

/* The context word feature of token j (template tmpl, cache slot which). */
ALWAYS_INLINE void k_ctx(struct sink *k, int scoring, const struct nerfeat_doc *d, int kind, long j,
                         int which, unsigned tmpl, const char *s, size_t sn)
{
    if (kind == 0)
        k_str(k, scoring, wslot(k, scoring, d, (size_t)j, which), tmpl, s, sn, NULL, 0);
    else
        k_bound(k, scoring, tmpl, kind);
}

/* The features of token i, in a fixed order (the model was trained on it). */
ALWAYS_INLINE size_t features(const struct nerfeat_doc *d, size_t i, struct sink *k, int scoring)
{
    const struct nerfeat_token *t = &d->t[i];
    const char *w = d->pool + t->fold, *s;
    const char *sh = d->pool + t->shape;
    size_t wn = t->fold_len, sn;
    int head = (d->tok[i].flags & TOKEN_HEADLINE) != 0, kind;
    int has_prev = i > 0 && same_sentence(d, i, i - 1);
    int has_next = i + 1 < d->n && same_sentence(d, i, i + 1);
    uint32_t tc = t->tcase;

    k_int(k, scoring, T_BIAS, 0);
    k_str(k, scoring, wslot(k, scoring, d, i, WF_W), T_W, w, wn, NULL, 0);
    k_str(k, scoring, sslot(k, scoring, t->shape_id, SF_SHAPE), T_SHAPE, sh, t->shape_len, NULL, 0);
    if ((tc == NERFEAT_LOWER || tc == NERFEAT_NONE) && !t->run_pos && !t->place &&
        !(t->flags & NERFEAT_FIRST)) {
        /* a lower-case word or a sign outside any name: a short vector is enough (most
         * tokens are such, and this halves the cost of extraction) */
        uint32_t pc = has_prev ? d->t[i - 1].tcase : 7, nc = has_next ? d->t[i + 1].tcase : 7;
        k_int(k, scoring, T_CASE3, pc | tc << 4 | nc << 8);
        kind = ctx_word(d, i, (long)i - 1, &s, &sn);
        k_ctx(k, scoring, d, kind, (long)i - 1, WF_WM1, T_WM1, s, sn);
        kind = ctx_word(d, i, (long)i + 1, &s, &sn);
        k_ctx(k, scoring, d, kind, (long)i + 1, WF_WP1, T_WP1, s, sn);
        k_bits(k, scoring, T_GAZ, t->gaz & ~GAZ_PREFIX, tc);
        k_int(k, scoring, T_LEX, t->wcase | tc << 4);
        return k->n;
    }
    k_str(k, scoring, wslot(k, scoring, d, i, WF_WCASE + (tc & 3)), T_WCASE, w, wn,
          tcase_str[t->tcase & 3], 1);
    k_str(k, scoring, sslot(k, scoring, t->lshape_id, SF_LSHAPE), T_LSHAPE, d->pool + t->lshape,
          t->lshape_len, NULL, 0);
    if (wn >= 3) {
        k_str(k, scoring, wslot(k, scoring, d, i, WF_PRE2), T_PRE2, w, 2, NULL, 0);
        k_str(k, scoring, wslot(k, scoring, d, i, WF_SUF2), T_SUF2, w + wn - 2, 2, NULL, 0);
    }
    if (wn >= 4) {
        k_str(k, scoring, wslot(k, scoring, d, i, WF_PRE3), T_PRE3, w, 3, NULL, 0);
        k_str(k, scoring, wslot(k, scoring, d, i, WF_SUF3), T_SUF3, w + wn - 3, 3, NULL, 0);
    }
    if (wn >= 5) {
        k_str(k, scoring, wslot(k, scoring, d, i, WF_PRE4), T_PRE4, w, 4, NULL, 0);
        k_str(k, scoring, wslot(k, scoring, d, i, WF_SUF4), T_SUF4, w + wn - 4, 4, NULL, 0);
    }
    kind = ctx_word(d, i, (long)i - 1, &s, &sn);
    k_ctx(k, scoring, d, kind, (long)i - 1, WF_WM1, T_WM1, s, sn);
    k_str(k, scoring, NULL, T_BIG1, s, sn, w, wn);
    k_str(k, scoring, NULL, T_WM1SH, s, sn, sh, t->shape_len);
    kind = ctx_word(d, i, (long)i + 1, &s, &sn);
    k_ctx(k, scoring, d, kind, (long)i + 1, WF_WP1, T_WP1, s, sn);
    k_str(k, scoring, NULL, T_BIG2, w, wn, s, sn);
    k_str(k, scoring, NULL, T_SHWP1, sh, t->shape_len, s, sn);
    kind = ctx_word(d, i, (long)i - 2, &s, &sn);
    k_ctx(k, scoring, d, kind, (long)i - 2, WF_WM2, T_WM2, s, sn);
    kind = ctx_word(d, i, (long)i + 2, &s, &sn);
    k_ctx(k, scoring, d, kind, (long)i + 2, WF_WP2, T_WP2, s, sn);
    {
        uint32_t pc = has_prev ? d->t[i - 1].tcase : 7, nc = has_next ? d->t[i + 1].tcase : 7;
        k_int(k, scoring, T_CASE3, pc | tc << 4 | nc << 8);
        if (has_prev)
            k_str(k, scoring, sslot(k, scoring, d->t[i - 1].shape_id, SF_SM1), T_SM1,
                  d->pool + d->t[i - 1].shape, d->t[i - 1].shape_len, NULL, 0);
        else
            k_bound(k, scoring, T_SM1, 2);
        if (has_next)
            k_str(k, scoring, sslot(k, scoring, d->t[i + 1].shape_id, SF_SP1), T_SP1,
                  d->pool + d->t[i + 1].shape, d->t[i + 1].shape_len, NULL, 0);
        else
            k_bound(k, scoring, T_SP1, 2);
        if (has_prev) {
            k_int(k, scoring, T_LEXM1, d->t[i - 1].wcase | d->t[i - 1].tcase << 4 | tc << 8);
            k_bits(k, scoring, T_GAZM1, d->t[i - 1].gaz & ~GAZ_PREFIX, tc);
            if (d->t[i - 1].place)
                k_int(k, scoring, T_PLACEM1, d->t[i - 1].place | tc << 24);
        }
        if (has_next) {
            k_int(k, scoring, T_LEXP1, d->t[i + 1].wcase | d->t[i + 1].tcase << 4 | tc << 8);
            k_bits(k, scoring, T_GAZP1, d->t[i + 1].gaz & ~GAZ_PREFIX, tc);
            if (d->t[i + 1].place)
                k_int(k, scoring, T_PLACEP1, d->t[i + 1].place | tc << 24);
        }
    }
    if (t->flags & NERFEAT_FIRST)
        k_int(k, scoring, T_FIRST, tc | (uint32_t)t->wcase << 4);
    if (head)
        k_int(k, scoring, T_HEAD, tc);
    k_bits(k, scoring, T_GAZ, t->gaz & ~GAZ_PREFIX, tc);
    if (t->place)
        k_int(k, scoring, T_PLACE,
              t->place | (t->flags & (NERFEAT_PLACE_B | NERFEAT_PLACE_I)) << 16 | tc << 24);
    if (t->flags & NERFEAT_AFTER_TITLE)
        k_int(k, scoring, T_TITLE, tc);
    if (t->flags & NERFEAT_IN_TITLE)
        k_int(k, scoring, T_TITLE, 16 | tc);
    if (t->flags & NERFEAT_CHROME)
        k_int(k, scoring, T_CHROME, tc);
    if (t->run_pos) {
        uint32_t len = t->run_len > 4 ? 4 : t->run_len;
        k_int(k, scoring, T_RUN, t->run_pos | len << 4);
        k_bits(k, scoring, T_RUNBITS, t->run, 0);
        k_bits(k, scoring, T_RUNPOSBITS, t->run, t->run_pos);
        k_int(k, scoring, T_RUNLEX, t->wcase | (uint32_t)t->run_pos << 4 | len << 8);
    }
    k_int(k, scoring, T_LEX, t->wcase | tc << 4);
    k_int(k, scoring, T_FREQ, t->freq | tc << 4);
    k_bits(k, scoring, T_DOC, t->doc, tc);
    k_int(k, scoring, T_DOCCASE, (t->doc & 7) | tc << 4 | (uint32_t)head << 8);
    if (t->flags & NERFEAT_POSS_NEXT)
        k_int(k, scoring, T_POSS, tc);
    k_int(k, scoring, T_LEN, (wn > 12 ? 12 : (uint32_t)wn) | tc << 4);
    return k->n;
}

size_t nerfeat_extract(const struct nerfeat_doc *d, size_t i, uint64_t *out)
{
    struct sink k = {out, 0, NULL, NULL, {0}, 0, NULL};
    return features(d, i, &k, 0);
}

/* Fills the row caches every token needs (its word, the words next to it) in one batch. */
static int prefill(const struct nerfeat_doc *d, const struct nerfeat_scorer *sc, struct doc_priv *p)
{
    enum { NT = 3 }; /* W, WM1, WP1 */
    const struct word_stats *ws = d->words;
    size_t n = d->nwords * NT;
    uint64_t *h;
    int32_t *r;

    if (p->clash)
        return 0;
    h = doc_alloc(p, n * (sizeof *h + sizeof *r), 0);
    if (h == NULL)
        return -1;
    r = (int32_t *)(h + n);
    for (size_t w = 0; w < d->nwords; w++) {
        const char *f = d->pool + ws[w].fold;
        size_t fl = ws[w].fold_len;
        h[w * NT] = feature_hash_padded(f, fl, T_W);
        h[w * NT + 1] = feature_hash_padded(f, fl, T_WM1);
        h[w * NT + 2] = feature_hash_padded(f, fl, T_WP1);
    }
    nermodel_find_many(sc->m, h, n, r);
    for (size_t w = 0; w < d->nwords; w++) {
        /* as k_str stores them; the other slots not looked up yet */
        memset(p->wrow[w], 0, sizeof p->wrow[w]);
        p->wrow[w][WF_W] = (uint32_t)(r[w * NT] + 2);
        p->wrow[w][WF_WM1] = (uint32_t)(r[w * NT + 1] + 2);
        p->wrow[w][WF_WP1] = (uint32_t)(r[w * NT + 2] + 2);
    }
    return 0;
}

int nerfeat_doc_scores(struct nerfeat_doc *d, const struct nerfeat_scorer *sc, size_t a, size_t b,
                       int32_t *sums)
{
    struct doc_priv *p = d->priv;
    if (a >= b)
        return 0;
    if (p->wrow == NULL) {
        /* word rows are cleared by prefill, which they are only used after */
        p->wrow = doc_alloc(p, d->nwords * sizeof *p->wrow, 0);
        p->srow = doc_alloc(p, p->nshapes * sizeof *p->srow, 1);
        if (p->wrow == NULL || p->srow == NULL || prefill(d, sc, p) != 0)
            return -1;
    }
    struct pending pend;
    for (size_t i = a; i < b; i++) {
        struct sink k = {NULL, 0, sc, p, {0}, 0, &pend};
        pend.n = 0;
        features(d, i, &k, 1);
        for (unsigned q = 0; q < pend.n; q++) {
            uint32_t r = row_find(sc, pend.h[q]);
            if (pend.slot[q] != NULL)
                *pend.slot[q] = r + 1;
            add_row(&k, r);
        }
        memcpy(sums + (i - a) * NER_NTAGS, &k.sum, sizeof k.sum);
        sums[(i - a) * NER_NTAGS + 8] = k.sum8;
    }
    return 0;
}
