/* fuzz_cursor.c: libFuzzer harness for page cursors (handlers/cursor.h). Any text either is
 * refused or decodes to a cursor that encodes into CURSOR_MAX bytes and decodes back the same.
 * The input is tried as cursor text and, so that mutations reach the fields behind the base64,
 * as the plain form ("1|r|0x0p+0|...") encoded here. */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "handlers/cursor.h"

static int same_cursor(const struct cursor *a, const struct cursor *b)
{
    return a->kind == b->kind && (a->score == b->score || (isnan(a->score) && isnan(b->score))) &&
           a->offset == b->offset && a->ts == b->ts && a->seq == b->seq &&
           a->max_seq == b->max_seq && a->query == b->query;
}

static void check_text(const char *s)
{
    char text[CURSOR_MAX];
    struct cursor c, back;

    if (cursor_decode(s, &c) != 0)
        return;
    FUZZ_CHECK(c.kind == 'l' || c.kind == 'r' || c.kind == 'n', "kind %d", c.kind);
    FUZZ_CHECK(c.offset >= 0, "offset %lld", (long long)c.offset);
    cursor_encode(&c, text);
    FUZZ_CHECK(strlen(text) < CURSOR_MAX, "encoding is %zu bytes", strlen(text));
    FUZZ_CHECK(cursor_decode(text, &back) == 0, "re-encoded cursor refused: %s", text);
    FUZZ_CHECK(same_cursor(&c, &back), "round trip changed the cursor: %s -> %s", s, text);
}

/* base64url without padding, as cursor.c writes it; out has room for 4 * ceil(n / 3) + 1. */
static void b64url(const uint8_t *in, size_t n, char *out)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = b64[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);

    check_text(s);
    if (size <= 3 * CURSOR_MAX / 4) {
        char enc[CURSOR_MAX + 4];
        b64url(data, size, enc);
        check_text(enc);
    }
    free(s);
    return 0;
}
