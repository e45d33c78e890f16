/* fpfilter.h: an in-memory Bloom filter over the fingerprints in the store's
 * inverted index, so that a near-duplicate look-up asks the index only for
 * fingerprints some stored article may carry: most articles copy nothing,
 * and an index probe costs tens of microseconds where the filter costs tens
 * of nanoseconds. A "no" is certain; a "maybe" is wrong for about 1.5% of
 * absent fingerprints at the filter's rated load. Deletes are not removed
 * (they only cost a probe); the store rebuilds the filter at start and when
 * it outgrows its size. */
#ifndef ARTICLED_FPFILTER_H
#define ARTICLED_FPFILTER_H

#include <stddef.h>
#include <stdint.h>

struct fpfilter;

/* Bits per fingerprint at the rated load: past it the store grows the filter.
 * 10 bits and 5 probes in 512-bit blocks: about 1.5% false "maybe"s at the
 * rated load, 54 MB for a million articles' 43 million tokens. */
#define FPFILTER_BITS_PER_KEY 10

/* A new empty filter rated for at least `keys` fingerprints (NULL when out of
 * memory). Free with fpfilter_free (NULL-safe). */
struct fpfilter *fpfilter_new(size_t keys);
void fpfilter_free(struct fpfilter *f);

/* Adds a fingerprint (a 64-bit hash, uniform in its bits). Safe to call while
 * other threads run fpfilter_maybe; one adding thread at a time. */
void fpfilter_add(struct fpfilter *f, int64_t hash);

/* 0: no stored article carries hash; 1: one may. Any thread. */
int fpfilter_maybe(const struct fpfilter *f, int64_t hash);

/* Fingerprints added so far, and how many the filter is rated for. */
size_t fpfilter_count(const struct fpfilter *f);
size_t fpfilter_capacity(const struct fpfilter *f);

/* Bytes the filter holds. */
size_t fpfilter_bytes(const struct fpfilter *f);

#endif
