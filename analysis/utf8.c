/* utf8.c: UTF-8 checks and code point arithmetic (see utf8.h). */
#include "analysis/utf8.h"

#include <string.h>
#include <unistr.h>

int utf8_check(const char *s, size_t len, size_t *bad)
{
    const uint8_t *p = (const uint8_t *)s;
    const uint8_t *first_bad = u8_check(p, len);
    const char *nul = memchr(s, '\0', len);
    size_t off = len;

    if (first_bad != NULL)
        off = (size_t)(first_bad - p);
    if (nul != NULL && (size_t)(nul - s) < off)
        off = (size_t)(nul - s);
    if (off == len)
        return 0;
    if (bad != NULL)
        *bad = off;
    return -1;
}

int utf8_next(const char *s, size_t len, size_t *pos, uint32_t *cp)
{
    ucs4_t uc;
    int n;

    if (*pos >= len)
        return 0;
    n = u8_mbtouc(&uc, (const uint8_t *)s + *pos, len - *pos);
    *cp = uc;
    *pos += (size_t)n;
    return n;
}

size_t utf8_put(uint32_t cp, char *out)
{
    int n = u8_uctomb((uint8_t *)out, cp, 4);
    return n > 0 ? (size_t)n : 0;
}

size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

size_t utf8_floor(const char *s, size_t len, size_t max)
{
    size_t n = max < len ? max : len;
    if (n == len)
        return n;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}
