/* respcache.h: a small cache of rendered answers for read requests, keyed by
 * the request's parameters and the store's data version (store_version):
 * any commit makes every entry stale, so an answer is never older than the
 * data. A dashboard that repeats the same searches (a refresh, a second
 * user, a keystroke back) gets them without running the query again.
 * Direct-mapped: a new answer replaces whatever shared its slot. */
#ifndef ARTICLED_RESPCACHE_H
#define ARTICLED_RESPCACHE_H

#include <stddef.h>
#include <stdint.h>

struct respcache;

/* A cache of `entries` answers of at most max_body bytes each; NULL when
 * entries is 0 (no cache: the calls below accept NULL) or out of memory. */
struct respcache *respcache_new(unsigned entries, size_t max_body);
void respcache_free(struct respcache *c);

/* A new copy of the answer stored for key at version, in *body / *len:
 * 1, or 0 when there is none (or it is stale, or c is NULL). */
int respcache_get(struct respcache *c, const char *key, size_t keylen, uint64_t version,
                  char **body, size_t *len);

/* Stores a copy of body for key at version (bodies over max_body are not). */
void respcache_put(struct respcache *c, const char *key, size_t keylen, uint64_t version,
                   const char *body, size_t len);

#endif
