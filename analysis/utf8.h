/* utf8.h: UTF-8 checks and code point arithmetic on user text.
 * Validation delegates to libunistring (u8_check): overlongs, surrogates and
 * code points past U+10FFFF are rejected. Nothing here allocates. */
#ifndef ARTICLED_UTF8_H
#define ARTICLED_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0 when s[0..len) is valid UTF-8 with no NUL byte, -1 otherwise; on -1
 * *bad (if not NULL) is the byte offset of the first offending byte. */
int utf8_check(const char *s, size_t len, size_t *bad);

/* Decodes the code point at s[*pos] (s valid UTF-8), stores it in *cp and
 * advances *pos. Returns the number of bytes consumed (1..4), 0 at the end. */
int utf8_next(const char *s, size_t len, size_t *pos, uint32_t *cp);

/* Writes cp as UTF-8 into out (room for 4 bytes); returns the bytes written. */
size_t utf8_put(uint32_t cp, char *out);

/* Number of code points in the valid UTF-8 string s[0..len). */
size_t utf8_count(const char *s, size_t len);

/* Largest n <= max such that s[0..n) ends on a code point boundary (s valid). */
size_t utf8_floor(const char *s, size_t len, size_t max);

#endif
