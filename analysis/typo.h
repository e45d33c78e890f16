/* typo.h: typo tolerance's pure parts: how many edits a word may take, and the
 * Damerau-Levenshtein (optimal string alignment) distance between two words, on code
 * points. The vocabulary look-up is store/store_vocab.c. */
#ifndef ARTICLED_TYPO_H
#define ARTICLED_TYPO_H

#include <stddef.h>
#include <stdint.h>

#define TYPO_WORD_MAX  48 /* longest word, in code points, that typo tolerance looks at */
#define TYPO_EDITS_MAX 2  /* the most edits typo_max_edits gives */

/* The edits a word of w[0..len) (UTF-8) may take: 0 for fewer than 4 code points, for more
 * than TYPO_WORD_MAX, or when it holds a digit or anything but a letter; 1 for 4; 2 for 5
 * and more. */
int typo_max_edits(const char *w, size_t len);

/* The OSA distance between a[0..na) and b[0..nb) (code points; each at most TYPO_WORD_MAX),
 * or max + 1 as soon as it is known to exceed max. */
int typo_distance(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, int max);

/* Decodes UTF-8 s[0..len) into at most cap code points; returns the count, or -1 when s is
 * not valid UTF-8 or has more than cap. */
int typo_decode(const char *s, size_t len, uint32_t *out, size_t cap);

#endif
