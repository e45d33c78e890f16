/* Unit tests for analysis/datetime (RFC 3339 table) and handlers/cursor
 * (round trips, tampering, binding to the query). */
#include <criterion/criterion.h>
#include <string.h>

#include "analysis/datetime.h"
#include "handlers/cursor.h"

struct dt_case {
    const char *text;
    int allow_date;
    int ok;
    int64_t secs;
};

static const struct dt_case dt_cases[] = {
    {"1970-01-01T00:00:00Z", 0, 1, 0},
    {"2025-03-01T12:00:00Z", 0, 1, 1740830400},
    {"2025-03-01t12:00:00z", 0, 1, 1740830400},
    {"2025-03-01T13:00:00+01:00", 0, 1, 1740830400},
    {"2025-03-01T07:30:00-04:30", 0, 1, 1740830400},
    {"2025-03-01T12:00:00.123456Z", 0, 1, 1740830400},
    {"2024-02-29T00:00:00Z", 0, 1, 1709164800},
    {"2016-12-31T23:59:60Z", 0, 1, 1483228799}, /* leap second */
    {"2025-03-01", 1, 1, 1740787200},
    {"2025-03-01", 0, 0, 0},
    {"2023-02-29T00:00:00Z", 0, 0, 0},
    {"2025-13-01T00:00:00Z", 0, 0, 0},
    {"2025-03-01T24:00:00Z", 0, 0, 0},
    {"2025-03-01T12:00:00", 0, 0, 0},  /* no offset */
    {"2025-03-01 12:00:00Z", 0, 0, 0}, /* space */
    {"2025-03-01T12:00:00.Z", 0, 0, 0},
    {"2025-03-01T12:00:00+0100", 0, 0, 0},
    {"2025-3-1T12:00:00Z", 0, 0, 0},
    {"yesterday", 1, 0, 0},
    {"", 1, 0, 0},
};

Test(datetime, parse_table)
{
    for (size_t i = 0; i < sizeof dt_cases / sizeof dt_cases[0]; i++) {
        int64_t secs = -1;
        int rc = datetime_parse(dt_cases[i].text, strlen(dt_cases[i].text), dt_cases[i].allow_date,
                                &secs);
        cr_expect_eq(rc == 0, dt_cases[i].ok, "%s", dt_cases[i].text);
        if (dt_cases[i].ok)
            cr_expect_eq(secs, dt_cases[i].secs, "%s: %lld", dt_cases[i].text, (long long)secs);
    }
}

Test(datetime, format_roundtrip)
{
    static const int64_t samples[] = {0, 1740830400, 951782400, -86400, 4102444799};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char buf[32];
        int64_t back;
        datetime_format(samples[i], buf, sizeof buf);
        cr_assert_eq(datetime_parse(buf, strlen(buf), 0, &back), 0, "%s", buf);
        cr_expect_eq(back, samples[i], "%s", buf);
    }
    char buf[32];
    datetime_format(1740830400, buf, sizeof buf);
    cr_expect_str_eq(buf, "2025-03-01T12:00:00Z");
}

Test(cursor, roundtrip)
{
    struct cursor in = {.kind = 'r',
                        .score = -12.345678901234,
                        .ts = 1740830400,
                        .seq = 42,
                        .max_seq = 99999,
                        .offset = 140,
                        .query = 0xdeadbeef};
    struct cursor out;
    char text[CURSOR_MAX];
    cursor_encode(&in, text);
    cr_assert_eq(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                 strlen(text), "URL-safe");
    cr_assert_eq(cursor_decode(text, &out), 0);
    cr_expect_eq(out.kind, 'r');
    cr_expect(out.score == in.score, "score bit-exact");
    cr_expect_eq(out.ts, in.ts);
    cr_expect_eq(out.seq, in.seq);
    cr_expect_eq(out.max_seq, in.max_seq);
    cr_expect_eq(out.offset, 140);
    cr_expect_eq(out.query, in.query);
}

Test(cursor, rejects_garbage)
{
    static const char *bad[] = {
        "", "x", "garbage!", "MXxxfDB4MHAr", "////", "AAAA", "MXx6fDB4MHArMHwxfDJ8M3wwMDAwMDAwMA"};
    struct cursor out;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(cursor_decode(bad[i], &out), -1, "%s", bad[i]);
    /* a valid cursor with a byte flipped fails or decodes to other values */
    struct cursor in = {.kind = 'l', .ts = 5, .seq = 6, .query = 7};
    char text[CURSOR_MAX];
    cursor_encode(&in, text);
    text[3] = text[3] == 'A' ? 'B' : 'A';
    if (cursor_decode(text, &out) == 0)
        cr_expect(out.ts != 5 || out.seq != 6 || out.query != 7 || out.kind != 'l');
}

Test(cursor, query_hash_binds)
{
    const char *a[] = {"search", "brexit", NULL};
    const char *b[] = {"search", "brexit", ""};
    const char *c[] = {"search", "brexi", "t"};
    cr_expect_eq(cursor_query_hash(a, 3), cursor_query_hash(b, 3), "NULL counts as empty");
    cr_expect_neq(cursor_query_hash(a, 3), cursor_query_hash(c, 3), "separators matter");
}
