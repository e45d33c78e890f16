/* textnorm.c: normalised comparison words (see textnorm.h). ASCII takes a table-free fast
 * path; every other code point goes through libunistring's case folding with NFKD. */
#include "analysis/textnorm.h"

#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "analysis/utf8.h"

/* ASCII bytes that continue a word: 1 apostrophe (skipped), 2 upper case, 3 kept as is. */
static const unsigned char ascii_word[256] = {
    ['\''] = 1, ['`'] = 1, ['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3, ['4'] = 3, ['5'] = 3,
    ['6'] = 3,  ['7'] = 3, ['8'] = 3, ['9'] = 3, ['A'] = 2, ['B'] = 2, ['C'] = 2, ['D'] = 2,
    ['E'] = 2,  ['F'] = 2, ['G'] = 2, ['H'] = 2, ['I'] = 2, ['J'] = 2, ['K'] = 2, ['L'] = 2,
    ['M'] = 2,  ['N'] = 2, ['O'] = 2, ['P'] = 2, ['Q'] = 2, ['R'] = 2, ['S'] = 2, ['T'] = 2,
    ['U'] = 2,  ['V'] = 2, ['W'] = 2, ['X'] = 2, ['Y'] = 2, ['Z'] = 2, ['a'] = 3, ['b'] = 3,
    ['c'] = 3,  ['d'] = 3, ['e'] = 3, ['f'] = 3, ['g'] = 3, ['h'] = 3, ['i'] = 3, ['j'] = 3,
    ['k'] = 3,  ['l'] = 3, ['m'] = 3, ['n'] = 3, ['o'] = 3, ['p'] = 3, ['q'] = 3, ['r'] = 3,
    ['s'] = 3,  ['t'] = 3, ['u'] = 3, ['v'] = 3, ['w'] = 3, ['x'] = 3, ['y'] = 3, ['z'] = 3,
};

struct split {
    struct textnorm_words *w;
    int in_word;
    size_t start; /* offset in w->text of the word being built */
};

static const char *const honorifics[] = {"mr", "mrs", "ms", "dr", "prof", "sir"};

/* Makes room for extra more bytes of text plus the terminating NUL. */
static int text_reserve(struct textnorm_words *w, size_t extra)
{
    size_t need = w->text_len + extra + 1;
    size_t cap = w->text_cap ? w->text_cap : 256;
    char *p;

    if (need <= w->text_cap)
        return 0;
    while (cap < need)
        cap *= 2;
    if (cap > UINT32_MAX)
        return -1;
    p = realloc(w->text, cap);
    if (p == NULL)
        return -1;
    w->text = p;
    w->text_cap = cap;
    return 0;
}

/* Makes room for at least need words in off/len. */
static int word_reserve(struct textnorm_words *w, size_t need)
{
    size_t cap = w->word_cap ? w->word_cap : 64;
    uint32_t *o, *l;

    if (need <= w->word_cap)
        return 0;
    while (cap < need)
        cap *= 2;
    o = realloc(w->off, cap * sizeof *o);
    if (o == NULL)
        return -1;
    w->off = o;
    l = realloc(w->len, cap * sizeof *l);
    if (l == NULL)
        return -1;
    w->len = l;
    w->word_cap = cap;
    return 0;
}

static int word_push(struct textnorm_words *w, size_t off, size_t len)
{
    if (w->n == w->word_cap && word_reserve(w, w->n + 1) < 0)
        return -1;
    w->off[w->n] = (uint32_t)off;
    w->len[w->n] = (uint32_t)len;
    w->n++;
    return 0;
}

/* Appends the bytes of one word character, opening a word when none is open. */
static int put_bytes(struct split *st, const char *b, size_t n)
{
    struct textnorm_words *w = st->w;

    if (text_reserve(w, n + 1) < 0)
        return -1;
    if (!st->in_word) {
        if (w->text_len > 0)
            w->text[w->text_len++] = ' ';
        st->start = w->text_len;
        st->in_word = 1;
    }
    memcpy(w->text + w->text_len, b, n);
    w->text_len += n;
    return 0;
}

static int word_is(const char *word, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(word, lit, len) == 0;
}

/* Drops text from offset start on, with the space before it. */
static void text_cut(struct textnorm_words *w, size_t start)
{
    w->text_len = start > 0 ? start - 1 : 0;
}

/* Closes the open word (if any) and applies the per-word rules. */
static int word_end(struct split *st)
{
    struct textnorm_words *w = st->w;
    const char *word;
    size_t len;

    if (!st->in_word)
        return 0;
    st->in_word = 0;
    word = w->text + st->start;
    len = w->text_len - st->start;
    if (len > 4) /* every rule below is about words of at most four letters */
        return word_push(w, st->start, len);
    for (size_t i = 0; i < sizeof honorifics / sizeof honorifics[0]; i++) {
        if (word_is(word, len, honorifics[i])) {
            text_cut(w, st->start);
            return 0;
        }
    }
    if (word_is(word, len, "cent") && w->n > 0 && w->len[w->n - 1] == 3 &&
        memcmp(w->text + w->off[w->n - 1], "per", 3) == 0) {
        /* "per cent": rewrite the previous word, which ends right before this one */
        w->text_len = w->off[w->n - 1];
        w->n--;
        st->start = w->text_len;
        goto percent;
    }
    if (word_is(word, len, "pct")) {
        w->text_len = st->start;
        goto percent;
    }
    return word_push(w, st->start, len);

percent:
    if (text_reserve(w, 7) < 0)
        return -1;
    memcpy(w->text + w->text_len, "percent", 7);
    w->text_len += 7;
    return word_push(w, st->start, 7);
}

/* Emits a whole word of its own ("%" → "percent", one ideograph). */
static int put_word(struct split *st, const char *b, size_t n)
{
    if (word_end(st) < 0 || put_bytes(st, b, n) < 0)
        return -1;
    return word_end(st);
}

static int is_apostrophe(uint32_t cp)
{
    switch (cp) {
    case 0x0027: /* ' */
    case 0x0060: /* ` */
    case 0x00B4: /* acute accent used as apostrophe */
    case 0x02B9: /* modifier prime */
    case 0x02BB: /* modifier turned comma */
    case 0x02BC: /* modifier apostrophe */
    case 0x2018: /* left single quotation mark */
    case 0x2019: /* right single quotation mark */
    case 0x201A: /* single low-9 quotation mark */
    case 0x201B: /* single high-reversed-9 quotation mark */
    case 0x2032: /* prime */
    case 0xFF07: /* fullwidth apostrophe */
        return 1;
    default:
        return 0;
    }
}

static int is_percent(uint32_t cp)
{
    return cp == 0x25 || cp == 0x066A || cp == 0xFE6A || cp == 0xFF05;
}

/* Characters written without spaces between words: each is a word. */
static int is_own_word(uint32_t cp)
{
    return (cp >= 0x3040 && cp <= 0x30FF) || uc_is_property_ideographic(cp);
}

static int put_ascii(struct split *st, uint32_t c)
{
    char b;

    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        b = (char)c;
        return put_bytes(st, &b, 1);
    }
    if (c >= 'A' && c <= 'Z') {
        b = (char)(c + ('a' - 'A'));
        return put_bytes(st, &b, 1);
    }
    if (c == '\'' || c == '`')
        return 0;
    if (c == '%')
        return put_word(st, "percent", 7);
    return word_end(st);
}

/* Latin letters whose diacritic is part of the letter (no decomposition), after folding. */
static const char *latin_base(uint32_t cp)
{
    switch (cp) {
    case 0x00E6: /* æ */
        return "ae";
    case 0x00F0: /* ð */
    case 0x0111: /* đ */
        return "d";
    case 0x00F8: /* ø */
        return "o";
    case 0x00FE: /* þ */
        return "th";
    case 0x0127: /* ħ */
        return "h";
    case 0x0131: /* dotless i */
        return "i";
    case 0x0142: /* ł */
        return "l";
    case 0x0153: /* œ */
        return "oe";
    case 0x0167: /* ŧ */
        return "t";
    case 0x0180: /* ƀ */
        return "b";
    default:
        return NULL;
    }
}

/* One code point of the folded, decomposed text. */
static int put_folded(struct split *st, uint32_t cp)
{
    char b[4];
    const char *base;
    uint32_t mask;

    if (cp < 0x80)
        return put_ascii(st, cp);
    base = latin_base(cp);
    if (base != NULL)
        return put_bytes(st, base, strlen(base));
    if (is_apostrophe(cp))
        return 0;
    if (is_percent(cp))
        return put_word(st, "percent", 7);
    if (is_own_word(cp))
        return put_word(st, b, utf8_put(cp, b));
    mask = UC_CATEGORY_MASK_L | UC_CATEGORY_MASK_N | UC_CATEGORY_MASK_Mc;
    if (uc_is_general_category_withtable(cp, mask))
        return put_bytes(st, b, utf8_put(cp, b));
    /* diacritics, soft hyphens and joiners vanish inside a word; a zero-width space splits */
    mask = UC_CATEGORY_MASK_Mn | UC_CATEGORY_MASK_Me | UC_CATEGORY_MASK_Cf;
    if (cp != 0x200B && uc_is_general_category_withtable(cp, mask))
        return 0;
    return word_end(st);
}

static int put_codepoint(struct split *st, uint32_t cp)
{
    uint32_t buf[32];
    size_t n = sizeof buf / sizeof buf[0];
    uint32_t *folded;
    int rc = 0;

    /* checked before folding: NFKD turns the acute accent into space + combining mark */
    if (is_apostrophe(cp))
        return 0;
    folded = u32_casefold(&cp, 1, NULL, UNINORM_NFKD, buf, &n);
    if (folded == NULL)
        return -1;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = put_folded(st, folded[i]);
    if (folded != buf)
        free(folded);
    return rc;
}

int textnorm_split(const char *s, size_t len, struct textnorm_words *w)
{
    struct split st = {w, 0, 0};
    size_t i = 0;

    w->text_len = 0;
    w->n = 0;
    /* sized up front from the input: most texts then need no reallocation */
    if (text_reserve(w, len) < 0 || word_reserve(w, len / 5 + 16) < 0)
        return -1;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;

        if (ascii_word[c]) {
            /* fast path: a run of ASCII letters, digits and apostrophes, copied lower-cased */
            size_t j = i;
            char *dst;

            while (j < len && ascii_word[(unsigned char)s[j]])
                j++;
            while (i < j && ascii_word[(unsigned char)s[i]] == 1)
                i++; /* apostrophes alone open no word */
            if (i == j)
                continue;
            /* put_bytes of nothing opens the word (and its separating space) */
            if (put_bytes(&st, "", 0) < 0 || text_reserve(w, j - i) < 0)
                return -1;
            dst = w->text + w->text_len;
            for (; i < j; i++) {
                c = (unsigned char)s[i];
                if (ascii_word[c] != 1)
                    *dst++ = (char)(ascii_word[c] == 2 ? c + ('a' - 'A') : c);
            }
            w->text_len = (size_t)(dst - w->text);
            continue;
        }
        if (c < 0x80) {
            i++;
            if (put_ascii(&st, c) < 0)
                return -1;
            continue;
        }
        if (utf8_next(s, len, &i, &cp) == 0)
            break;
        if (put_codepoint(&st, cp) < 0)
            return -1;
    }
    if (word_end(&st) < 0)
        return -1;
    w->text[w->text_len] = '\0';
    return 0;
}

void textnorm_words_free(struct textnorm_words *w)
{
    if (w == NULL)
        return;
    free(w->text);
    free(w->off);
    free(w->len);
    *w = (struct textnorm_words)TEXTNORM_WORDS_INIT;
}

char *textnorm_string(const char *s, size_t len, size_t *outlen)
{
    struct textnorm_words w = TEXTNORM_WORDS_INIT;
    char *out = NULL;

    if (textnorm_split(s, len, &w) < 0)
        goto out;
    out = w.text; /* taken over from w, cut to size: names are short, the buffer is not */
    w.text = NULL;
    {
        char *fit = realloc(out, w.text_len + 1);
        if (fit != NULL)
            out = fit;
    }
    if (outlen != NULL)
        *outlen = w.text_len;
out:
    textnorm_words_free(&w);
    return out;
}
