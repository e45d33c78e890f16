/* cursor.c: page cursors as base64url text (see cursor.h). */
#include "handlers/cursor.h"

#include <inttypes.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

static int b64_decode(const char *in, unsigned char *out, size_t cap, size_t *outlen)
{
    size_t n = strlen(in), o = 0;
    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        size_t chunk = n - i < 4 ? n - i : 4;
        for (size_t k = 0; k < 4; k++) {
            int d = k < chunk ? b64_value(in[i + k]) : 0;
            if (d < 0)
                return -1;
            v = v << 6 | (uint32_t)d;
        }
        for (size_t k = 0; k + 1 < chunk; k++) {
            if (o == cap)
                return -1;
            out[o++] = (unsigned char)(v >> (16 - 8 * k));
        }
    }
    *outlen = o;
    return 0;
}

static void cursor_mac(const uint8_t *key, const unsigned char *plain, size_t n,
                       uint8_t mac[CURSOR_MAC_LEN])
{
    struct hmac_sha256_ctx ctx;
    hmac_sha256_set_key(&ctx, CURSOR_KEY_LEN, key);
    hmac_sha256_update(&ctx, n, plain);
    hmac_sha256_digest(&ctx, CURSOR_MAC_LEN, mac);
}

void cursor_encode(const struct cursor *c, const uint8_t *key, char *out)
{
    /* the longest plain form: 5 fields of 20 digits, a %a double (~24),
     * separators: under 160 bytes; with the signature its base64 fits
     * CURSOR_MAX */
    unsigned char buf[CURSOR_PLAIN_MAX + CURSOR_MAC_LEN];
    int n = snprintf((char *)buf, CURSOR_PLAIN_MAX,
                     "1|%c|%a|%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%08" PRIx32, c->kind,
                     c->score, c->ts, c->seq, c->max_seq, c->offset, c->query);
    if (n < 0)
        n = 0;
    if (n >= CURSOR_PLAIN_MAX)
        n = CURSOR_PLAIN_MAX - 1; /* cannot happen with the bound above */
    cursor_mac(key, buf, (size_t)n, buf + n);
    b64_encode(buf, (size_t)n + CURSOR_MAC_LEN, out);
}

int cursor_decode(const char *s, const uint8_t *key, struct cursor *out)
{
    unsigned char buf[CURSOR_PLAIN_MAX + CURSOR_MAC_LEN];
    uint8_t mac[CURSOR_MAC_LEN];
    size_t n;
    char kind, tail;
    long long ts, seq, max_seq, offset;
    unsigned query;
    double score;

    if (strlen(s) >= CURSOR_MAX || b64_decode(s, buf, sizeof buf - 1, &n) != 0 ||
        n <= CURSOR_MAC_LEN)
        return -1;
    n -= CURSOR_MAC_LEN;
    cursor_mac(key, buf, n, mac);
    if (!memeql_sec(mac, buf + n, CURSOR_MAC_LEN))
        return -1;
    buf[n] = '\0';
    if (memchr(buf, '\0', n) != NULL)
        return -1;
    if (sscanf((const char *)buf, "1|%c|%la|%lld|%lld|%lld|%lld|%8x%c", &kind, &score, &ts, &seq,
               &max_seq, &offset, &query, &tail) != 7)
        return -1;
    if ((kind != 'l' && kind != 'r' && kind != 'n' && kind != 'o' && kind != 'i') || offset < 0 ||
        offset > CURSOR_OFFSET_MAX || seq < 0 || max_seq < 0)
        return -1;
    out->kind = kind;
    out->score = score;
    out->ts = ts;
    out->seq = seq;
    out->max_seq = max_seq;
    out->offset = offset;
    out->query = query;
    return 0;
}

uint32_t cursor_query_hash(const char *const *parts, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        const char *p = parts[i] ? parts[i] : "";
        for (; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        h = (h ^ 0xff) * 16777619u;
    }
    return h;
}
