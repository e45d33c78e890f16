/* textnorm.h: text normalisation for comparing articles (near-duplicates, content hash).
 * Turns UTF-8 text into a sequence of comparison words: compatibility-decomposed, case-folded,
 * diacritics stripped, punctuation dropped, honorifics dropped, "per cent" spelled "percent". */
#ifndef ARTICLED_TEXTNORM_H
#define ARTICLED_TEXTNORM_H

#include <stddef.h>
#include <stdint.h>

/* A normalised word sequence. text holds the words joined by single spaces (no leading or
 * trailing space, NUL-terminated), word i is text[off[i] .. off[i] + len[i]). The buffers are
 * reused by the next textnorm_split on the same value, so one value can serve many texts. */
struct textnorm_words {
    char *text;
    size_t text_len;
    uint32_t *off;
    uint32_t *len;
    size_t n;
    size_t text_cap; /* bookkeeping: allocated bytes of text, slots of off/len */
    size_t word_cap;
};

/* Initial value of a struct textnorm_words: no buffers yet. */
#define TEXTNORM_WORDS_INIT                                                                        \
    {                                                                                              \
        NULL, 0, NULL, NULL, 0, 0, 0                                                               \
    }

/* Splits the valid UTF-8 text s[0..len) into normalised words, replacing what w held. Rules,
 * applied per code point then per word:
 *  - NFKD (compatibility decomposition) and full case folding; nonspacing marks (Mn) are
 *    dropped, so "Café", "CAFE" and "café" (precomposed or not) all give "cafe";
 *  - letters, digits and spacing marks make words; apostrophes of every kind (' ’ ‘ ʼ ` ´ ...)
 *    are removed without splitting ("AOL’s" → "aols"); every other character (spaces,
 *    punctuation, quotes, dashes, symbols) separates words;
 *  - "%" is the word "percent"; the words "per cent" and "pct" become "percent";
 *  - the honorifics mr, mrs, ms, dr, prof and sir are dropped (the dot already is);
 *  - each ideograph, hiragana or katakana character is a word of its own (no spaces in
 *    Chinese or Japanese text).
 * Returns 0, or -1 on allocation failure (w keeps valid buffers and may be freed). */
int textnorm_split(const char *s, size_t len, struct textnorm_words *w);

/* Frees the buffers of w (NULL-safe) and resets it to TEXTNORM_WORDS_INIT. */
void textnorm_words_free(struct textnorm_words *w);

/* Returns the normalised form of s[0..len) as a new NUL-terminated string (words joined by one
 * space; caller frees), storing its length in *outlen when not NULL. NULL on allocation
 * failure. */
char *textnorm_string(const char *s, size_t len, size_t *outlen);

#endif
