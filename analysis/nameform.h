/* nameform.h: normal forms of names for look-ups and merge keys: case folding without
 * diacritics ("Zoë" -> "zoe"), punctuation-free key forms ("U.S." -> "us") and a spelling
 * skeleton for transliterated personal names ("Sergey" and "Sergei" -> "sergei"). No I/O. */
#ifndef ARTICLED_NAMEFORM_H
#define ARTICLED_NAMEFORM_H

#include <stddef.h>

/* Writes the lower-case, diacritic-free form of s[0..n) (valid UTF-8) into out (cap bytes,
 * always NUL-terminated when cap > 0; a form that does not fit is cut on a code point
 * boundary). Typographic apostrophes become "'", Unicode hyphens "-". Returns the bytes
 * written, without the NUL. Nothing allocates. */
size_t nameform_fold(const char *s, size_t n, char *out, size_t cap);

/* The key form of a name: folded, periods and apostrophes dropped, other punctuation and
 * hyphens turned into single spaces, a leading "the " and a final possessive removed.
 * "The U.S.'s" -> "us", "Al-Qaeda" -> "al qaeda". Returns a new string (caller frees) or
 * NULL on allocation failure. */
char *nameform_key(const char *s, size_t n);

/* nameform_key into key[0..cap), which needs n * 3 + 8 bytes (the most a key form takes):
 * returns the key form's length, or (size_t)-1 when cap is smaller (or, for a name of more
 * than 168 bytes, on allocation failure). */
size_t nameform_key_buf(const char *s, size_t n, char *key, size_t cap);

/* The skeleton used for personal names, from a key form, word by word: final "ey"/"ay"/
 * "iy"/consonant+"y" -> "ei"/"ai"/"i"/"i", "ks" -> "x", final consonant+"dr"
 * -> "der". "sergey lavrov" -> "sergei lavrov", "dmitry" -> "dmitri". Returns a new
 * string (caller frees) or NULL on allocation failure. */
char *nameform_person_skeleton(const char *key);

#endif
