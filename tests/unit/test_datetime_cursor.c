/* Unit tests for analysis/datetime (RFC 3339 table) and handlers/cursor
 * (round trips, tampering, binding to the query). */
#include <criterion/criterion.h>
#include <nettle/hmac.h>
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

static const uint8_t key[CURSOR_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const uint8_t other_key[CURSOR_KEY_LEN] = "0123456789abcdef0123456789abcdX";

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
    cursor_encode(&in, key, text);
    cr_assert_eq(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                 strlen(text), "URL-safe");
    cr_assert_eq(cursor_decode(text, key, &out), 0);
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
        cr_expect_eq(cursor_decode(bad[i], key, &out), -1, "%s", bad[i]);
    /* every character of a valid cursor changed: refused (a change in the
     * unused low bits of the last character decodes to the same bytes) */
    struct cursor in = {.kind = 'l', .ts = 5, .seq = 6, .query = 7};
    char text[CURSOR_MAX];
    cursor_encode(&in, key, text);
    for (size_t i = 0; text[i] != '\0'; i++) {
        char was = text[i];
        text[i] = was == 'A' ? 'B' : 'A';
        if (cursor_decode(text, key, &out) == 0)
            cr_expect(out.ts == 5 && out.seq == 6 && out.query == 7 && out.kind == 'l' &&
                          text[i + 1] == '\0',
                      "changed at %zu, accepted", i);
        text[i] = was;
    }
    cr_expect_eq(cursor_decode(text, other_key, &out), -1, "another database's key");
    cr_expect_eq(cursor_decode(text, key, &out), 0);
}

/* The plain fields of a cursor, signed as cursor.c signs them, in base64url:
 * what a client holding the key could make. */
static void forge(const char *plain, char *out)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char buf[256];
    size_t n = strlen(plain), o = 0;
    struct hmac_sha256_ctx ctx;
    memcpy(buf, plain, n);
    hmac_sha256_set_key(&ctx, CURSOR_KEY_LEN, key);
    hmac_sha256_update(&ctx, n, buf);
    hmac_sha256_digest(&ctx, CURSOR_MAC_LEN, buf + n);
    n += CURSOR_MAC_LEN;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)buf[i] << 16 | (i + 1 < n ? (uint32_t)buf[i + 1] << 8 : 0) |
                     (i + 2 < n ? buf[i + 2] : 0);
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = b64[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
}

Test(cursor, fields_out_of_range_refused_even_when_signed)
{
    struct cursor out;
    char text[CURSOR_MAX + 64];
    forge("1|r|0x0p+0|0|0|10|9223372036854775807|00000001", text);
    cr_expect_eq(cursor_decode(text, key, &out), -1, "offset 2^63-1");
    forge("1|r|0x0p+0|0|0|10|1000000001|00000001", text);
    cr_expect_eq(cursor_decode(text, key, &out), -1, "offset past CURSOR_OFFSET_MAX");
    forge("1|n|0x0p+0|0|-1|10|0|00000001", text);
    cr_expect_eq(cursor_decode(text, key, &out), -1, "negative seq");
    forge("1|n|0x0p+0|0|1|-10|0|00000001", text);
    cr_expect_eq(cursor_decode(text, key, &out), -1, "negative max_seq");
    forge("1|x|0x0p+0|0|1|10|0|00000001", text);
    cr_expect_eq(cursor_decode(text, key, &out), -1, "unknown kind");
    forge("1|r|0x0p+0|0|1|10|1000000000|00000001", text);
    cr_expect_eq(cursor_decode(text, key, &out), 0, "the largest offset");
    cr_expect_eq(out.offset, CURSOR_OFFSET_MAX);
}

Test(cursor, query_hash_binds)
{
    const char *a[] = {"search", "brexit", NULL};
    const char *b[] = {"search", "brexit", ""};
    const char *c[] = {"search", "brexi", "t"};
    cr_expect_eq(cursor_query_hash(a, 3), cursor_query_hash(b, 3), "NULL counts as empty");
    cr_expect_neq(cursor_query_hash(a, 3), cursor_query_hash(c, 3), "separators matter");
}
