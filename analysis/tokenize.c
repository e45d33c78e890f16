/* tokenize.c: news text into tokens with offsets and sentence starts (see tokenize.h).
 * Works on a decoded copy of the text (code points and their byte offsets) so that rules
 * can look one or two characters ahead, with bit sets of character classes so that runs of
 * letters and case flags are read a word of 64 characters at a time. */
#include "analysis/tokenize.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#define TOKENIZE_SSE2 1 /* sixteen characters at a time (size_t of 64 bits) */
#endif

#include "analysis/utf8.h"

/* A decoded text: code points and the byte offset of each (off[n] == len), and bit sets over
 * the code points (bit i of word i / 64) of the classes the scanner asks about, so that runs
 * and case flags are found a word at a time instead of a character at a time. */
enum { BM_ALNUM, BM_DIGIT, BM_LETTER, BM_UPPER, BM_LOWER, BM_WIDE, BM_N };

struct decoded {
    uint32_t *cp;
    size_t *off;
    size_t n;
    uint64_t *bm[BM_N]; /* each (n + 64) / 64 + 1 words; BM_LETTER: letters that are not digits,
                         * BM_UPPER, BM_LOWER: such letters in upper or lower case */
};

/* The bits [a, a + 64) of a bit set (the words past the text are zero). */
static uint64_t bits_at(const uint64_t *bm, size_t a)
{
    size_t w = a >> 6, s = a & 63;
    return s == 0 ? bm[w] : bm[w] >> s | bm[w + 1] << (64 - s);
}

/* End of the run of letters and digits from j (as is_alnum says), up to n. */
static size_t alnum_end(const struct decoded *d, size_t j)
{
    for (;;) {
        uint64_t clear = ~bits_at(d->bm[BM_ALNUM], j);
        if (clear != 0) {
            size_t e = j + (size_t)__builtin_ctzll(clear);
            return e < d->n ? e : d->n;
        }
        j += 64;
        if (j >= d->n)
            return d->n;
    }
}

/* Words that keep a final period although they have no inner one. */
static const char *const abbreviations[] = {
    "Mr",   "Mrs",  "Ms",   "Dr",   "Prof", "St",     "Jr",   "Sr",   "Gen",    "Col",  "Lt",
    "Sgt",  "Capt", "Cmdr", "Adm",  "Gov",  "Sen",    "Rep",  "Rev",  "Hon",    "Corp", "Inc",
    "Ltd",  "Co",   "Bros", "Mt",   "Ft",   "No",     "Nos",  "vs",   "etc",    "Jan",  "Feb",
    "Mar",  "Apr",  "Jun",  "Jul",  "Aug",  "Sep",    "Sept", "Oct",  "Nov",    "Dec",  "Ave",
    "Blvd", "Rd",   "Dept", "Univ", "Assn", "Messrs", "Mme",  "Mlle", "Maj",    "Brig", "Pres",
    "Supt", "Insp", "Det",  "Cpl",  "Pte",  "Fr",     "Sgt",  "Gov",  "approx", "cf",   "Ph",
    "Plc",  "plc",  "Pty",  "Bhd",  "Cie",  "Rt",     "Ald",  "Sec",  NULL,
};

/* Abbreviations after which a sentence never ends (they precede a name). */
static const char *const title_abbreviations[] = {
    "Mr",   "Mrs", "Ms",  "Dr",  "Prof", "St",   "Gen",  "Col",    "Lt",  "Sgt",  "Capt",
    "Cmdr", "Adm", "Gov", "Sen", "Rep",  "Rev",  "Hon",  "Messrs", "Mme", "Mlle", "Maj",
    "Brig", "No",  "Rt",  "Fr",  "Det",  "Insp", "Supt", "Cpl",    "Pte", "vs",   NULL,
};

/* Capitalised words that, after an abbreviation such as "Inc.", start a new sentence. */
static const char *const sentence_openers[] = {
    "The", "He",    "She",     "It",        "They", "We", "I",   "But",
    "In",  "This",  "That",    "There",     "A",    "An", "His", "Her",
    "Its", "Their", "However", "Meanwhile", "And",  "On", "At",  NULL,
};

/* Classes of ASCII characters, so that the common case is one load. */
enum { C_LETTER = 1, C_DIGIT = 2, C_UPPER = 4, C_LOWER = 8, C_SPACE = 16 };

static const uint8_t ascii_class[128] = {
    ['\t'] = C_SPACE, ['\n'] = C_SPACE, ['\v'] = C_SPACE, ['\f'] = C_SPACE, ['\r'] = C_SPACE,
    [' '] = C_SPACE,  ['0'] = C_DIGIT,  ['1'] = C_DIGIT,  ['2'] = C_DIGIT,  ['3'] = C_DIGIT,
    ['4'] = C_DIGIT,  ['5'] = C_DIGIT,  ['6'] = C_DIGIT,  ['7'] = C_DIGIT,  ['8'] = C_DIGIT,
    ['9'] = C_DIGIT,
#define UP(c) [c] = C_LETTER | C_UPPER, [c + 32] = C_LETTER | C_LOWER
    UP('A'),          UP('B'),          UP('C'),          UP('D'),          UP('E'),
    UP('F'),          UP('G'),          UP('H'),          UP('I'),          UP('J'),
    UP('K'),          UP('L'),          UP('M'),          UP('N'),          UP('O'),
    UP('P'),          UP('Q'),          UP('R'),          UP('S'),          UP('T'),
    UP('U'),          UP('V'),          UP('W'),          UP('X'),          UP('Y'),
    UP('Z'),
#undef UP
};

static int is_letter_wide(uint32_t c)
{
    return uc_is_alpha(c) || uc_is_general_category(c, UC_CATEGORY_M);
}

int tokenize_is_letter(uint32_t c)
{
    if (c < 0x80)
        return (ascii_class[c] & C_LETTER) != 0;
    return is_letter_wide(c);
}

static inline int is_letter(uint32_t c)
{
    return c < 0x80 ? (ascii_class[c] & C_LETTER) != 0 : is_letter_wide(c);
}

static inline int is_digit(uint32_t c)
{
    if (c < 0x80)
        return (ascii_class[c] & C_DIGIT) != 0;
    return uc_is_digit(c);
}

static inline int is_alnum(uint32_t c)
{
    if (c < 0x80)
        return (ascii_class[c] & (C_LETTER | C_DIGIT)) != 0;
    return is_letter_wide(c) || uc_is_digit(c);
}

static inline int is_upper(uint32_t c)
{
    if (c < 0x80)
        return (ascii_class[c] & C_UPPER) != 0;
    return uc_is_upper(c) || uc_is_general_category(c, UC_CATEGORY_Lt);
}

static inline int is_lower(uint32_t c)
{
    if (c < 0x80)
        return (ascii_class[c] & C_LOWER) != 0;
    return uc_is_lower(c);
}

static inline int is_space(uint32_t c)
{
    if (c < 0x80)
        return (ascii_class[c] & C_SPACE) != 0;
    return c == 0xA0 || c == 0x2028 || c == 0x2029 || c == 0xFEFF || uc_is_space(c) ||
           (c >= 0x2000 && c <= 0x200B);
}

static int is_apostrophe(uint32_t c)
{
    return c == '\'' || c == 0x2019;
}

static int is_hyphen(uint32_t c)
{
    return c == '-' || c == 0x2010 || c == 0x2011;
}

static int is_terminal(uint32_t c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x2026;
}

static int is_closing(uint32_t c)
{
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == 0x201D || c == 0x2019 || c == 0xBB;
}

static int ascii_ieq(uint32_t c, char want)
{
    return c < 0x80 && (c | 0x20) == (uint32_t)want;
}

/* True when cp[a..b) spells word (ASCII, case-sensitive). */
static int span_is(const struct decoded *d, size_t a, size_t b, const char *word)
{
    size_t n;
    if (b > a && d->cp[a] != (unsigned char)word[0])
        return 0; /* most words of a list differ at once */
    n = strlen(word);
    if (b - a != n)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (d->cp[a + k] != (unsigned char)word[k])
            return 0;
    return 1;
}

static int span_in(const struct decoded *d, size_t a, size_t b, const char *const *list)
{
    for (size_t k = 0; list[k] != NULL; k++)
        if (span_is(d, a, b, list[k]))
            return 1;
    return 0;
}

/* What the words of a long list start with and how long they are, to turn most spans down
 * without going through the list. */
struct list_filter {
    const char *const *list;
    uint64_t first[2]; /* ASCII first letters */
    uint32_t lengths;  /* bit n: a word of n letters (all are shorter than 32) */
};

static struct list_filter filters[3];
static pthread_once_t filters_once = PTHREAD_ONCE_INIT;

static void filters_init(void)
{
    const char *const *lists[3] = {abbreviations, title_abbreviations, sentence_openers};
    for (int f = 0; f < 3; f++) {
        filters[f].list = lists[f];
        for (size_t k = 0; lists[f][k] != NULL; k++) {
            unsigned char c = (unsigned char)lists[f][k][0];
            filters[f].first[c >> 6 & 1] |= (uint64_t)1 << (c & 63);
            filters[f].lengths |= (uint32_t)1 << strlen(lists[f][k]);
        }
    }
}

/* span_in for list number f of filters_init. */
static int span_in_list(const struct decoded *d, size_t a, size_t b, int f)
{
    const struct list_filter *lf = &filters[f];
    uint32_t c = b > a ? d->cp[a] : 0;
    if (b - a >= 32 || !(lf->lengths >> (b - a) & 1) || c >= 0x80 ||
        !(lf->first[c >> 6] >> (c & 63) & 1))
        return 0;
    return span_in(d, a, b, lf->list);
}

/* Contraction endings split off after an apostrophe: 's 're 'll 've 'd 'm. */
static int is_clitic(const struct decoded *d, size_t a, size_t b)
{
    static const char *const clitics[] = {"s",  "S",  "re", "ll", "ve", "d", "m",
                                          "RE", "LL", "VE", "D",  "M",  NULL};
    return span_in(d, a, b, clitics);
}

/* End of the run of letters and digits from i. */
static size_t alnum_run(const struct decoded *d, size_t i)
{
    while (i < d->n && is_alnum(d->cp[i]))
        i++;
    return i;
}

/* Scans a word starting at i (an alphanumeric); returns its end. */
static size_t scan_word(const struct decoded *d, size_t i, int *abbrev)
{
    size_t j = i, seg_start = i;
    int inner_period = 0;

    *abbrev = 0;
    /* "n't" as a token of its own */
    if (i + 3 <= d->n && ascii_ieq(d->cp[i], 'n') && is_apostrophe(d->cp[i + 1]) &&
        ascii_ieq(d->cp[i + 2], 't') && (i + 3 == d->n || !is_alnum(d->cp[i + 3])))
        return i + 3;
    while (j < d->n) {
        /* most of a word: letters and digits */
        j = alnum_end(d, j);
        if (j == d->n)
            break;
        uint32_t c = d->cp[j];
        uint32_t next = j + 1 < d->n ? d->cp[j + 1] : 0;
        uint32_t prev = j > i ? d->cp[j - 1] : 0;

        if (is_alnum(c)) {
            j++;
            continue;
        }
        if (j == i)
            break;
        if (is_hyphen(c) && is_alnum(next) && is_alnum(prev)) {
            j++;
            seg_start = j;
            continue;
        }
        if (is_apostrophe(c) && is_letter(next)) {
            size_t e = alnum_run(d, j + 1);
            if (ascii_ieq(next, 't') && e == j + 2 && ascii_ieq(prev, 'n')) {
                if (j - 1 > i)
                    return j - 1; /* "does|n't" */
                break;
            }
            if (is_clitic(d, j + 1, e))
                break; /* "Russia|'s" */
            if (is_letter(prev)) {
                j++; /* O'Neill, d'Ivoire */
                continue;
            }
            break;
        }
        if (c == '.' && is_alnum(next) && is_alnum(prev)) {
            if (is_digit(prev) && is_digit(next)) {
                j++;
                continue;
            }
            if (is_letter(prev) && is_letter(next) && j - seg_start <= 3) {
                inner_period = 1;
                j++;
                seg_start = j;
                continue;
            }
            break;
        }
        if ((c == ',' || c == ':' || c == '/') && is_digit(prev) && is_digit(next)) {
            j++;
            continue;
        }
        if (c == '&' && is_upper(prev) && is_upper(next)) {
            j++;
            continue;
        }
        break;
    }
    /* a final period stays with abbreviations, initials and dotted acronyms */
    if (j < d->n && d->cp[j] == '.' && !(j + 1 < d->n && d->cp[j + 1] == '.')) {
        int keep = 0;
        if (inner_period && is_letter(d->cp[j - 1]))
            keep = 1;
        else if (j - i == 1 && is_upper(d->cp[i]))
            keep = 1;
        else if (span_in_list(d, i, j, 0))
            keep = 1;
        if (keep) {
            j++;
            *abbrev = 1;
        }
    }
    return j;
}

static int push(struct token_list *out, const struct token *t)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 256;
        struct token *p = realloc(out->tokens, cap * sizeof *p);
        if (p == NULL)
            return -1;
        out->tokens = p;
        out->cap = cap;
    }
    out->tokens[out->n++] = *t;
    return 0;
}

/* Sets the class bits of code point i (any code point: the slow path for non-ASCII). */
static void set_class(struct decoded *d, size_t i)
{
    uint32_t c = d->cp[i];
    uint64_t bit = (uint64_t)1 << (i & 63);
    size_t w = i >> 6;
    unsigned cl;
    if (c < 0x80) {
        cl = ascii_class[c];
    } else {
        cl = (is_letter_wide(c) ? C_LETTER : 0) | (is_digit(c) ? C_DIGIT : 0) |
             (is_upper(c) ? C_UPPER : 0) | (is_lower(c) ? C_LOWER : 0);
        d->bm[BM_WIDE][w] |= bit;
    }
    if (cl & (C_LETTER | C_DIGIT))
        d->bm[BM_ALNUM][w] |= bit;
    if (cl & C_DIGIT) {
        d->bm[BM_DIGIT][w] |= bit;
    } else if (cl & C_LETTER) {
        d->bm[BM_LETTER][w] |= bit;
        if (cl & C_UPPER)
            d->bm[BM_UPPER][w] |= bit;
        if (cl & C_LOWER)
            d->bm[BM_LOWER][w] |= bit;
    }
}

#if defined(TOKENIZE_SSE2)
/* 16 bytes of 1 where lo <= b <= hi (b ASCII; a byte >= 0x80 is negative and never is). */
static __m128i in_range(__m128i b, char lo, char hi)
{
    return _mm_and_si128(_mm_cmpgt_epi8(b, _mm_set1_epi8((char)(lo - 1))),
                         _mm_cmplt_epi8(b, _mm_set1_epi8((char)(hi + 1))));
}
#endif

/* The class bits of all code points: ASCII sixteen at a time, the rest one by one. */
static void set_classes(struct decoded *d)
{
    size_t i = 0;
#if defined(TOKENIZE_SSE2)
    for (; i + 16 <= d->n; i += 16) {
        const __m128i *v = (const __m128i *)(d->cp + i);
        __m128i b =
            _mm_packus_epi16(_mm_packs_epi32(_mm_loadu_si128(v), _mm_loadu_si128(v + 1)),
                             _mm_packs_epi32(_mm_loadu_si128(v + 2), _mm_loadu_si128(v + 3)));
        unsigned wide = (unsigned)_mm_movemask_epi8(b); /* code points >= 0x80 */
        unsigned up = (unsigned)_mm_movemask_epi8(in_range(b, 'A', 'Z'));
        unsigned lo = (unsigned)_mm_movemask_epi8(in_range(b, 'a', 'z'));
        unsigned dg = (unsigned)_mm_movemask_epi8(in_range(b, '0', '9'));
        size_t w = i >> 6, sh = i & 63;
        d->bm[BM_ALNUM][w] |= (uint64_t)(up | lo | dg) << sh;
        d->bm[BM_DIGIT][w] |= (uint64_t)dg << sh;
        d->bm[BM_LETTER][w] |= (uint64_t)(up | lo) << sh;
        d->bm[BM_UPPER][w] |= (uint64_t)up << sh;
        d->bm[BM_LOWER][w] |= (uint64_t)lo << sh;
        while (wide) {
            set_class(d, i + (size_t)__builtin_ctz(wide));
            wide &= wide - 1;
        }
    }
#endif
    for (; i < d->n; i++)
        set_class(d, i);
}

/* The scanner's working memory, kept by each thread from one text to the next: fresh memory
 * for every text costs page faults (large blocks are mapped and unmapped each time). Blocks
 * past SCRATCH_KEEP bytes are given back after use. Freed when the thread exits. */
#define SCRATCH_KEEP (4u << 20)

struct scratch {
    void *buf;
    size_t cap;
};

static _Thread_local struct scratch scratch_tls;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok;

static void scratch_free(void *p)
{
    struct scratch *s = p;
    free(s->buf);
    s->buf = NULL;
    s->cap = 0;
}

static void scratch_key_init(void)
{
    scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* The calling thread's scratch of at least n bytes, or NULL. */
static void *scratch_get(size_t n)
{
    struct scratch *s = &scratch_tls;
    if (s->cap < n) {
        void *p;
        pthread_once(&scratch_once, scratch_key_init);
        if (s->buf == NULL && (!scratch_key_ok || pthread_setspecific(scratch_key, s) != 0))
            return NULL;
        free(s->buf);
        s->buf = NULL;
        s->cap = 0;
        if ((p = malloc(n)) == NULL)
            return NULL;
        s->buf = p;
        s->cap = n;
    }
    return s->buf;
}

static void scratch_done(void)
{
    if (scratch_tls.cap > SCRATCH_KEEP)
        scratch_free(&scratch_tls);
}

/* Decodes text into d, its arrays in the thread's scratch (with room for len + 1 gaps in
 * *gap_nl). Returns 0, or -1 on allocation failure. */
static int decode(const char *text, size_t len, struct decoded *d, size_t **gap_nl)
{
    size_t pos = 0, words = (len + 64) / 64 + 1;
    size_t bm_bytes = BM_N * words * sizeof(uint64_t);
    size_t cp_bytes = ((len + 1) * sizeof *d->cp + 15) & ~(size_t)15;
    char *mem = scratch_get(bm_bytes + cp_bytes + 2 * (len + 1) * sizeof(size_t));
    d->n = 0;
    if (mem == NULL)
        return -1;
    d->bm[0] = (uint64_t *)mem;
    memset(d->bm[0], 0, bm_bytes);
    d->cp = (uint32_t *)(mem + bm_bytes);
    d->off = (size_t *)(mem + bm_bytes + cp_bytes);
    *gap_nl = d->off + len + 1;
    for (int k = 1; k < BM_N; k++)
        d->bm[k] = d->bm[0] + k * words;
    while (pos < len) {
        uint32_t c;
#if defined(TOKENIZE_SSE2)
        /* sixteen ASCII bytes: code points and offsets without a branch each */
        if (pos + 16 <= len) {
            __m128i b = _mm_loadu_si128((const __m128i *)(text + pos)), z = _mm_setzero_si128();
            if (_mm_movemask_epi8(b) == 0) {
                __m128i lo = _mm_unpacklo_epi8(b, z), hi = _mm_unpackhi_epi8(b, z);
                __m128i *out = (__m128i *)(d->cp + d->n);
                __m128i o = _mm_set_epi64x((long long)pos + 1, (long long)pos);
                _mm_storeu_si128(out, _mm_unpacklo_epi16(lo, z));
                _mm_storeu_si128(out + 1, _mm_unpackhi_epi16(lo, z));
                _mm_storeu_si128(out + 2, _mm_unpacklo_epi16(hi, z));
                _mm_storeu_si128(out + 3, _mm_unpackhi_epi16(hi, z));
#pragma GCC unroll 8
                for (int k = 0; k < 8; k++) {
                    _mm_storeu_si128((__m128i *)(d->off + d->n + 2 * k), o);
                    o = _mm_add_epi64(o, _mm_set1_epi64x(2));
                }
                d->n += 16;
                pos += 16;
                continue;
            }
        }
#endif
        d->off[d->n] = pos;
        if ((unsigned char)text[pos] < 0x80) {
            c = (unsigned char)text[pos++];
        } else if (utf8_next(text, len, &pos, &c) <= 0) {
            break;
        }
        d->cp[d->n++] = c;
    }
    d->off[d->n] = len;
    set_classes(d);
    return 0;
}

/* Letter-case flags of cp[a..b) (case_flags: the same, quicker for ASCII). */
static uint32_t case_flags_wide(const struct decoded *d, size_t a, size_t b)
{
    uint32_t f = 0;
    int first_letter = 1, lower = 0, letters = 0;
    for (size_t k = a; k < b; k++) {
        uint32_t c = d->cp[k];
        if (c >= 0x80)
            f |= TOKEN_NONASCII;
        if (is_digit(c)) {
            f |= TOKEN_DIGIT;
            continue;
        }
        if (!is_letter(c))
            continue;
        letters++;
        if (is_lower(c))
            lower = 1;
        if (first_letter) {
            first_letter = 0;
            if (is_upper(c))
                f |= TOKEN_CAP;
            else if (is_lower(c))
                f |= TOKEN_LOWER;
        }
    }
    if (letters > 0) {
        f |= TOKEN_ALPHA;
        if (!lower)
            f |= TOKEN_ALLCAPS;
    }
    return f;
}

static uint32_t case_flags(const struct decoded *d, size_t a, size_t b)
{
    if (b - a > 64)
        return case_flags_wide(d, a, b);
    uint64_t mask = b - a == 64 ? ~(uint64_t)0 : ((uint64_t)1 << (b - a)) - 1;
    uint64_t letters = bits_at(d->bm[BM_LETTER], a) & mask;
    uint32_t f = 0;
    if (bits_at(d->bm[BM_WIDE], a) & mask)
        f |= TOKEN_NONASCII;
    if (bits_at(d->bm[BM_DIGIT], a) & mask)
        f |= TOKEN_DIGIT;
    if (letters) {
        uint64_t first = letters & -letters;
        f |= TOKEN_ALPHA;
        if (!(bits_at(d->bm[BM_LOWER], a) & letters))
            f |= TOKEN_ALLCAPS;
        if (bits_at(d->bm[BM_UPPER], a) & first)
            f |= TOKEN_CAP;
        else if (bits_at(d->bm[BM_LOWER], a) & first)
            f |= TOKEN_LOWER;
    }
    return f;
}

/* Marks sentence starts (sentence-final punctuation, line structure) and headlines. */
static void mark_sentences(const struct decoded *d, struct token_list *out, const size_t *gap_nl)
{
    size_t line_first = 0, sent_first = 0;
    for (size_t k = 0; k < out->n; k++) {
        struct token *t = &out->tokens[k];
        int start = 0;
        if (k == 0) {
            t->flags |= TOKEN_PARA_START | TOKEN_LINE_START;
            start = 1;
        } else {
            struct token *p = &out->tokens[k - 1];
            uint32_t pc = d->cp[p->cp_end - 1];
            uint32_t first = d->cp[t->cp_start];
            int opener = is_upper(first) || is_digit(first) || !is_letter(first);
            int terminal = 0;

            if (p->cp_end - p->cp_start == 1 || (p->cp_end - p->cp_start <= 3 && pc == '.'))
                terminal = is_terminal(pc) && !(p->flags & TOKEN_ABBREV);
            if (!terminal && k >= 2 && is_closing(pc) && p->cp_end - p->cp_start == 1) {
                struct token *pp = &out->tokens[k - 2];
                terminal = pp->cp_end - pp->cp_start == 1 && is_terminal(d->cp[pp->cp_start]);
            }
            if (!terminal && (p->flags & TOKEN_ABBREV) &&
                !span_in_list(d, p->cp_start, p->cp_end - 1, 1) &&
                span_in_list(d, t->cp_start, t->cp_end, 2))
                terminal = 1;
            if (gap_nl[k] >= 2) {
                t->flags |= TOKEN_PARA_START | TOKEN_LINE_START;
                start = 1;
            } else if (gap_nl[k] == 1) {
                struct token *lf = &out->tokens[line_first];
                size_t line_len = p->cp_end - lf->cp_start;
                t->flags |= TOKEN_LINE_START;
                /* a short previous line (headline, byline, dateline, table row) ends */
                if (terminal || (opener && line_len < 50))
                    start = 1;
            } else if (terminal && opener) {
                start = 1;
            }
        }
        if (t->flags & TOKEN_LINE_START)
            line_first = k;
        if (start) {
            t->flags |= TOKEN_SENT_START;
            sent_first = k;
        }
        (void)sent_first;
    }
    /* headlines: sentences whose words are in capitals */
    for (size_t a = 0; a < out->n;) {
        size_t b = a + 1, upper = 0, lower = 0;
        while (b < out->n && !(out->tokens[b].flags & TOKEN_SENT_START))
            b++;
        for (size_t k = a; k < b; k++) {
            const struct token *t = &out->tokens[k];
            if (!(t->flags & TOKEN_ALPHA))
                continue;
            if (t->flags & TOKEN_ALLCAPS) {
                size_t letters = 0;
                for (size_t c = t->cp_start; c < t->cp_end; c++)
                    letters += is_letter(d->cp[c]) ? 1 : 0;
                if (letters >= 2)
                    upper++;
            } else {
                lower++;
            }
        }
        if (upper >= 1 && (lower == 0 || (upper >= 4 && lower * 5 < upper)))
            for (size_t k = a; k < b; k++)
                out->tokens[k].flags |= TOKEN_HEADLINE;
        a = b;
    }
}

int tokenize_text(const char *text, size_t len, struct token_list *out)
{
    struct decoded d = {0};
    size_t *gap_nl = NULL, nl = 0;
    int rc = -1;

    pthread_once(&filters_once, filters_init);
    out->n = 0;
    if (decode(text, len, &d, &gap_nl) != 0)
        goto out;
    /* room for the tokens of most texts at once (about one every five bytes) */
    if (out->cap < len / 4 + 64) {
        struct token *p = realloc(out->tokens, (len / 4 + 64) * sizeof *p);
        if (p == NULL)
            goto out;
        out->tokens = p;
        out->cap = len / 4 + 64;
    }
    for (size_t i = 0; i < d.n;) {
        uint32_t c = d.cp[i];
        struct token t = {0};
        size_t j;
        int abbrev = 0;

        if (is_space(c)) {
            if (c == '\n' || c == 0x2028 || c == 0x2029)
                nl += c == 0x2029 ? 2 : 1;
            i++;
            continue;
        }
        if (is_alnum(c)) {
            j = scan_word(&d, i, &abbrev);
        } else if (is_apostrophe(c) && i + 1 < d.n && is_letter(d.cp[i + 1]) &&
                   is_clitic(&d, i + 1, alnum_run(&d, i + 1))) {
            j = alnum_run(&d, i + 1);
        } else if (is_apostrophe(c) && i + 2 < d.n && ascii_ieq(d.cp[i + 1], 't') &&
                   !is_alnum(d.cp[i + 2])) {
            j = i + 2;
        } else {
            j = i + 1;
            while (
                j < d.n && d.cp[j] == c &&
                (c == '.' || c == '-' || c == '\'' || c == '`' || c == '=' || c == '*' || c == '_'))
                j++;
        }
        if (j <= i)
            j = i + 1;
        t.cp_start = i;
        t.cp_end = j;
        t.byte_start = d.off[i];
        t.byte_end = d.off[j];
        t.flags = case_flags(&d, i, j);
        if (is_alnum(c))
            t.flags |= TOKEN_WORD;
        if (abbrev)
            t.flags |= TOKEN_ABBREV;
        if (push(out, &t) != 0)
            goto out;
        gap_nl[out->n - 1] = nl; /* no more tokens than characters */
        nl = 0;
        i = j;
    }
    mark_sentences(&d, out, gap_nl);
    rc = 0;
out:
    scratch_done();
    return rc;
}

void tokenize_list_free(struct token_list *l)
{
    if (l == NULL)
        return;
    free(l->tokens);
    l->tokens = NULL;
    l->n = l->cap = 0;
}
