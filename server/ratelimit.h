/* ratelimit.h: per-client token buckets in a fixed amount of memory. Each
 * client (any byte string: an address, a key name) has a bucket of `burst`
 * tokens that refills at `rate` tokens a second; a request takes one. The
 * buckets live in a fixed table (RATELIMIT_SLOTS entries, about 24 bytes
 * each): a client seen for the first time takes a free entry, else one whose
 * bucket has refilled (forgetting it changes nothing), else the least recently
 * used one of its probe window (that client then starts afresh). */
#ifndef ARTICLED_RATELIMIT_H
#define ARTICLED_RATELIMIT_H

#include <stddef.h>

#define RATELIMIT_SLOTS 8192

struct ratelimit;

/* A new limiter (rate >= 1 tokens a second, burst >= 1), or NULL when out of
 * memory. Safe to use from any number of threads. */
struct ratelimit *ratelimit_new(unsigned rate, unsigned burst);

/* Frees rl. NULL-safe. */
void ratelimit_free(struct ratelimit *rl);

/* Takes a token from the bucket of client key[0..len). Returns 0 when the
 * request may go on, else the whole seconds (at least 1, rounded up) until the
 * bucket holds a token again. */
unsigned ratelimit_take(struct ratelimit *rl, const void *key, size_t len);

#endif
