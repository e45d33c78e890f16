/* fpsizes.h: each stored article's fingerprint-set sizes (its whole set and
 * its index set) by seq, in memory. A near-duplicate look-up estimates every
 * candidate's containment from these two numbers before it reads the
 * candidate's text; at 1,000,000 articles a look-up meets about 33
 * candidates, and reading their sizes from article_fps was one random page
 * of a 400 MB table each. 8 bytes per seq: 8 MB per million articles. */
#ifndef ARTICLED_FPSIZES_H
#define ARTICLED_FPSIZES_H

#include <stddef.h>
#include <stdint.h>

struct fpsizes;

/* Seqs at or above this are not held (fpsizes_set refuses them, the caller
 * reads the table instead). */
#define FPSIZES_MAX_SEQ ((int64_t)1 << 32)

/* A new empty table (NULL when out of memory); free with fpsizes_free
 * (NULL-safe). */
struct fpsizes *fpsizes_new(void);
void fpsizes_free(struct fpsizes *z);

/* Records the sizes of seq's sets (n, its whole set; nindex, its index set).
 * One writing thread at a time; safe beside readers. 0, or -1 when seq is
 * out of range, a size does not fit or memory runs out (seq then reads as
 * unknown). */
int fpsizes_set(struct fpsizes *z, int64_t seq, size_t n, size_t nindex);

/* Forgets seq (it was deleted, or is being replaced). Writer only. */
void fpsizes_clear(struct fpsizes *z, int64_t seq);

/* 1 with seq's sizes, or 0 when unknown. Any thread. */
int fpsizes_get(const struct fpsizes *z, int64_t seq, size_t *n, size_t *nindex);

/* Bytes the table holds. */
size_t fpsizes_bytes(const struct fpsizes *z);

#endif
