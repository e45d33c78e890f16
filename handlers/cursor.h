/* cursor.h: opaque page cursors. A cursor carries the keyset position of the
 * last row served, the snapshot bound of a search, and a hash of the query it
 * belongs to, signed with the database's key (HMAC-SHA256, cut to 128 bits),
 * as base64url text: a cursor from another query or database, or one a
 * client changed or made up, is refused. */
#ifndef ARTICLED_CURSOR_H
#define ARTICLED_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct cursor {
    char kind;       /* 'l' list, 'r' relevance, 'n' newest, 'o' oldest, 'i' ingested */
    double score;    /* reserved (0) */
    int64_t offset;  /* relevance: hits already served in this snapshot */
    int64_t ts;      /* list/newest: sort key of the last row */
    int64_t seq;     /* tie-breaker: row number of the last row */
    int64_t max_seq; /* snapshot bound (search) */
    uint32_t query;  /* cursor_query_hash of the query's parameters */
};

#define CURSOR_KEY_LEN   32  /* bytes of the signing key */
#define CURSOR_MAC_LEN   16  /* bytes of the signature kept */
#define CURSOR_PLAIN_MAX 176 /* the fields as text, at most */
#define CURSOR_MAX       260 /* base64 of the fields and signature, and its NUL */

/* The largest offset a cursor may carry: far past any real paging (pages
 * are at most 100 hits), and small enough that adding a page never
 * overflows. */
#define CURSOR_OFFSET_MAX 1000000000LL

/* Encodes c, signed with key (CURSOR_KEY_LEN bytes), into out (at least
 * CURSOR_MAX bytes, NUL-terminated). */
void cursor_encode(const struct cursor *c, const uint8_t *key, char *out);

/* Decodes s and checks its signature with key. Returns 0, or -1 when s is
 * not a cursor this key signed, or a field is out of its range (kind one of
 * l, r, n, o, i; offset 0..CURSOR_OFFSET_MAX; seq and max_seq not negative). */
int cursor_decode(const char *s, const uint8_t *key, struct cursor *out);

/* FNV-1a over the NUL-separated strings (NULLs count as empty), to bind a
 * cursor to the query that made it. */
uint32_t cursor_query_hash(const char *const *parts, size_t n);

#endif
