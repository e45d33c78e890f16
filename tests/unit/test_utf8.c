/* Unit tests for analysis/utf8: validation table and code point arithmetic. */
#include <criterion/criterion.h>
#include <string.h>

#include "analysis/utf8.h"

struct utf8_case {
    const char *bytes;
    size_t len;
    int valid;
    size_t bad; /* first bad offset when invalid */
};

static const struct utf8_case cases[] = {
    {"", 0, 1, 0},
    {"plain ascii", 11, 1, 0},
    {"caf\xc3\xa9", 5, 1, 0},
    {"\xe2\x82\xac 5", 5, 1, 0},
    {"\xf0\x9f\x98\x80", 4, 1, 0},
    {"a\0" "b", 3, 0, 1},                /* NUL is refused */
    {"ab\xc3", 3, 0, 2},                 /* truncated sequence */
    {"\xc0\xaf", 2, 0, 0},               /* overlong '/' */
    {"x\xed\xa0\x80", 4, 0, 1},          /* UTF-16 surrogate */
    {"\xf4\x90\x80\x80", 4, 0, 0},       /* past U+10FFFF */
    {"ok\xff", 3, 0, 2},                 /* never valid byte */
    {"\x80", 1, 0, 0},                   /* lone continuation */
};

Test(utf8, check_table)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bad = 999;
        int rc = utf8_check(cases[i].bytes, cases[i].len, &bad);
        cr_expect_eq(rc == 0, cases[i].valid, "case %zu validity", i);
        if (!cases[i].valid)
            cr_expect_eq(bad, cases[i].bad, "case %zu offset %zu", i, bad);
    }
}

Test(utf8, count_and_floor_never_split)
{
    const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* a é € 😀 */
    size_t len = strlen(s);
    cr_assert_eq(utf8_count(s, len), 4);
    cr_assert_eq(utf8_floor(s, len, 2), 1);
    cr_assert_eq(utf8_floor(s, len, 3), 3);
    cr_assert_eq(utf8_floor(s, len, 5), 3);
    cr_assert_eq(utf8_floor(s, len, 6), 6);
    cr_assert_eq(utf8_floor(s, len, 9), 6);
    cr_assert_eq(utf8_floor(s, len, 100), len);
}

Test(utf8, next_and_put_roundtrip)
{
    const char *s = "\xc3\xa9\xf0\x9f\x98\x80";
    size_t pos = 0;
    uint32_t cp;
    char buf[4];
    cr_assert_eq(utf8_next(s, 6, &pos, &cp), 2);
    cr_assert_eq(cp, 0xE9);
    cr_assert_eq(utf8_put(cp, buf), 2);
    cr_assert_eq(memcmp(buf, s, 2), 0);
    cr_assert_eq(utf8_next(s, 6, &pos, &cp), 4);
    cr_assert_eq(cp, 0x1F600);
    cr_assert_eq(utf8_next(s, 6, &pos, &cp), 0);
}
