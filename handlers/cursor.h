/* cursor.h: opaque page cursors. A cursor carries the keyset position of the
 * last row served, the snapshot bound of a search, and a hash of the query it
 * belongs to, as base64url text; a cursor from another query is refused. */
#ifndef ARTICLED_CURSOR_H
#define ARTICLED_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct cursor {
    char kind;       /* 'l' list, 'r' relevance, 'n' newest */
    double score;    /* reserved (0) */
    int64_t offset;  /* relevance: hits already served in this snapshot */
    int64_t ts;      /* list/newest: sort key of the last row */
    int64_t seq;     /* tie-breaker: row number of the last row */
    int64_t max_seq; /* snapshot bound (search) */
    uint32_t query;  /* cursor_query_hash of the query's parameters */
};

/* Encodes c into out (at least CURSOR_MAX bytes, NUL-terminated). */
#define CURSOR_PLAIN_MAX 176
#define CURSOR_MAX       240 /* base64 of CURSOR_PLAIN_MAX bytes, and its NUL */
void cursor_encode(const struct cursor *c, char *out);

/* Decodes s. Returns 0, or -1 when s is not a cursor of this service. */
int cursor_decode(const char *s, struct cursor *out);

/* FNV-1a over the NUL-separated strings (NULLs count as empty), to bind a
 * cursor to the query that made it. */
uint32_t cursor_query_hash(const char *const *parts, size_t n);

#endif
