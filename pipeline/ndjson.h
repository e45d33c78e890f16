/* ndjson.h: splitting an NDJSON body into its lines. Blank lines (spaces,
 * tabs, CR only) are skipped but still counted, so line numbers match what
 * the client sent; a trailing CR is not part of a line. */
#ifndef ARTICLED_NDJSON_H
#define ARTICLED_NDJSON_H

#include <stddef.h>

struct ndjson_iter {
    const char *p, *end;
    size_t lineno;
};

/* Starts iterating buf[0..len) (borrowed; must outlive the iterator). */
void ndjson_init(struct ndjson_iter *it, const char *buf, size_t len);

/* Returns 1 with the next non-blank line in *line and *len and its 1-based number
 * in *lineno, or 0 at the end. */
int ndjson_next(struct ndjson_iter *it, const char **line, size_t *len, size_t *lineno);

/* Number of non-blank lines in buf[0..len). */
size_t ndjson_count(const char *buf, size_t len);

#endif
