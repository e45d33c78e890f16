/* nameform.c: folding, key forms and the personal-name skeleton (see nameform.h).
 * ASCII takes a fast path; other letters are decomposed with libunistring and lose
 * their combining marks. */
#include "analysis/nameform.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>

#include "analysis/utf8.h"

/* Letters without a decomposition that still have a plain Latin spelling. */
static const char *special_fold(uint32_t c)
{
    switch (c) {
    case 0xDF:
        return "ss";
    case 0xC6:
    case 0xE6:
        return "ae";
    case 0xD8:
    case 0xF8:
        return "o";
    case 0x141:
    case 0x142:
        return "l";
    case 0x110:
    case 0x111:
        return "d";
    case 0x152:
    case 0x153:
        return "oe";
    case 0x131:
        return "i";
    case 0xDE:
    case 0xFE:
        return "th";
    case 0x2018:
    case 0x2019:
    case 0x201B:
    case 0x2032:
    case 0x60:
    case 0xB4:
    case 0x2BC:
        return "'";
    case 0x2010:
    case 0x2011:
    case 0x2012:
        return "-";
    default:
        return NULL;
    }
}

/* Base letter of c without marks, lower case. */
static uint32_t base_lower(uint32_t c)
{
    ucs4_t dec[UC_DECOMPOSITION_MAX_LENGTH];
    for (int depth = 0; depth < 4; depth++) {
        int n = uc_canonical_decomposition(c, dec);
        if (n <= 0)
            break;
        c = dec[0];
    }
    return uc_tolower(c);
}

static size_t put_bytes(char *out, size_t cap, size_t w, const char *b, size_t n)
{
    if (w + n + 1 > cap)
        return w;
    memcpy(out + w, b, n);
    return w + n;
}

size_t nameform_fold(const char *s, size_t n, char *out, size_t cap)
{
    size_t w = 0, pos = 0;

    if (cap == 0)
        return 0;
    while (pos < n) {
        unsigned char b = (unsigned char)s[pos];
        uint32_t c;
        const char *sp;
        char buf[4];

        if (b < 0x80) {
            if (w + 2 > cap)
                break;
            out[w++] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
            pos++;
            continue;
        }
        if (utf8_next(s, n, &pos, &c) <= 0)
            break;
        sp = special_fold(c);
        if (sp == NULL) {
            if (uc_is_general_category(c, UC_CATEGORY_M))
                continue;
            c = base_lower(c);
            if (uc_is_general_category(c, UC_CATEGORY_M))
                continue;
            size_t k = utf8_put(c, buf);
            size_t nw = put_bytes(out, cap, w, buf, k);
            if (nw == w)
                break;
            w = nw;
        } else {
            size_t nw = put_bytes(out, cap, w, sp, strlen(sp));
            if (nw == w)
                break;
            w = nw;
        }
    }
    out[w] = '\0';
    return w;
}

static int is_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

size_t nameform_key_buf(const char *s, size_t n, char *key, size_t cap)
{
    size_t need = n * 3 + 8, w = 0, fl;
    char stack[512]; /* the folded form of a name fits, nearly always */
    char *fold;
    int space = 1;

    if (cap < need || (fold = need <= sizeof stack ? stack : malloc(need)) == NULL)
        return (size_t)-1;
    fl = nameform_fold(s, n, fold, need);
    /* a final possessive goes */
    if (fl >= 2 && fold[fl - 2] == '\'' && fold[fl - 1] == 's')
        fl -= 2;
    else if (fl >= 1 && fold[fl - 1] == '\'')
        fl -= 1;
    for (size_t i = 0; i < fl; i++) {
        unsigned char c = (unsigned char)fold[i];
        if (c == '.' || c == '\'')
            continue;
        if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '&') {
            key[w++] = (char)c;
            space = 0;
        } else if (!space) {
            key[w++] = ' ';
            space = 1;
        }
    }
    while (w > 0 && key[w - 1] == ' ')
        w--;
    key[w] = '\0';
    if (w > 4 && strncmp(key, "the ", 4) == 0) {
        memmove(key, key + 4, w - 3);
        w -= 4;
    }
    if (fold != stack)
        free(fold);
    return w;
}

char *nameform_key(const char *s, size_t n)
{
    size_t cap = n * 3 + 8;
    char *key = malloc(cap);
    if (key != NULL && nameform_key_buf(s, n, key, cap) == (size_t)-1) {
        free(key);
        key = NULL;
    }
    return key;
}

/* Skeleton of one word w[0..n) written back in place; returns the new length. */
static size_t skeleton_word(char *w, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        if (c == 'k' && i + 1 < n && w[i + 1] == 's') {
            c = 'x';
            i++;
        }
        w[o++] = c;
    }
    if (o >= 3 && w[o - 1] == 'y') {
        char p = w[o - 2];
        if (p == 'i')
            o--; /* -iy -> -i */
        else if (p == 'e' || p == 'a')
            w[o - 1] = 'i'; /* -ey -> -ei, -ay -> -ai */
        else if (!is_vowel(p) && p >= 'a' && p <= 'z')
            w[o - 1] = 'i'; /* Dmitry -> dmitri */
    }
    if (o >= 4 && w[o - 2] == 'd' && w[o - 1] == 'r' && !is_vowel(w[o - 3])) {
        w[o - 1] = 'e';
        w[o++] = 'r'; /* Aleksandr -> alexander (the caller leaves room) */
    }
    return o;
}

char *nameform_person_skeleton(const char *key)
{
    size_t r = 0, w = 0, len = strlen(key);
    /* each word grows by at most one byte ("dr" -> "der") */
    char *out = malloc(2 * len + 2);
    if (out == NULL)
        return NULL;
    while (r < len) {
        size_t e = r;
        while (e < len && key[e] != ' ')
            e++;
        memcpy(out + w, key + r, e - r);
        w += skeleton_word(out + w, e - r);
        if (e < len)
            out[w++] = ' ';
        r = e + 1;
    }
    out[w] = '\0';
    return out;
}
