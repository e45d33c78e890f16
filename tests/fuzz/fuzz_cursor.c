/* fuzz_cursor.c: libFuzzer harness for page cursors (handlers/cursor.h). Any text either is
 * refused or decodes to a cursor within its ranges that encodes into CURSOR_MAX bytes and decodes
 * back the same; a decoded cursor with any character changed is refused (or, for the unused low
 * bits of the last character, decodes the same). The input is tried as cursor text and, so that
 * mutations reach the fields behind the signature, as the plain form ("1|r|0x0p+0|...") signed
 * here with the harness's key, as a client holding the key could. */
#include <math.h>
#include <nettle/hmac.h>
#include <string.h>

#include "fuzz.h"
#include "handlers/cursor.h"

static int same_cursor(const struct cursor *a, const struct cursor *b)
{
    return a->kind == b->kind && (a->score == b->score || (isnan(a->score) && isnan(b->score))) &&
           a->offset == b->offset && a->ts == b->ts && a->seq == b->seq &&
           a->max_seq == b->max_seq && a->query == b->query;
}

static const uint8_t key[CURSOR_KEY_LEN] = "fuzz-cursor-key-0123456789abcdef";

static void check_text(const char *s)
{
    char text[CURSOR_MAX];
    struct cursor c, back;

    if (cursor_decode(s, key, &c) != 0)
        return;
    FUZZ_CHECK(c.kind == 'l' || c.kind == 'r' || c.kind == 'n', "kind %d", c.kind);
    FUZZ_CHECK(c.offset >= 0 && c.offset <= CURSOR_OFFSET_MAX, "offset %lld", (long long)c.offset);
    FUZZ_CHECK(c.seq >= 0 && c.max_seq >= 0, "seq %lld max_seq %lld", (long long)c.seq,
               (long long)c.max_seq);
    cursor_encode(&c, key, text);
    FUZZ_CHECK(strlen(text) < CURSOR_MAX, "encoding is %zu bytes", strlen(text));
    FUZZ_CHECK(cursor_decode(text, key, &back) == 0, "re-encoded cursor refused: %s", text);
    FUZZ_CHECK(same_cursor(&c, &back), "round trip changed the cursor: %s -> %s", s, text);
    for (size_t i = 0; text[i] != '\0'; i++) {
        char was = text[i];
        text[i] = was == 'A' ? 'B' : 'A';
        if (cursor_decode(text, key, &back) == 0)
            FUZZ_CHECK(text[i + 1] == '\0' && same_cursor(&c, &back),
                       "changed at %zu and accepted: %s", i, text);
        text[i] = was;
    }
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
    if (size <= CURSOR_PLAIN_MAX) {
        uint8_t signed_[CURSOR_PLAIN_MAX + CURSOR_MAC_LEN];
        char enc[2 * CURSOR_MAX];
        struct hmac_sha256_ctx ctx;
        memcpy(signed_, data, size);
        hmac_sha256_set_key(&ctx, CURSOR_KEY_LEN, key);
        hmac_sha256_update(&ctx, size, data);
        hmac_sha256_digest(&ctx, CURSOR_MAC_LEN, signed_ + size);
        b64url(signed_, size + CURSOR_MAC_LEN, enc);
        check_text(enc);
    }
    free(s);
    return 0;
}
