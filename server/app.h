/* app.h: what every handler can reach: configuration, the store, the shared
 * analysis state and the metrics. Built once in main and shared read-only,
 * apart from the atomic flags. */
#ifndef ARTICLED_APP_H
#define ARTICLED_APP_H

#include <stdatomic.h>

#include "analysis/entity.h"
#include "server/config.h"
#include "server/metrics.h"
#include "store/store.h"

struct auth;
struct ratelimit;
struct workpool;
struct respcache;

struct app {
    struct config cfg;
    struct store *store;
    struct metrics *metrics;
    struct entity_extractor *extractor; /* shared read-only by all threads */
    atomic_int stopping;                /* 1 after SIGTERM/SIGINT: new requests get 503 */
    struct auth *auth;                  /* API keys, or NULL: the API is open */
    struct ratelimit *search_limit;     /* per-client search limit, or NULL: none */
    struct workpool *pool;              /* threads that analyse writes (workpool.h) */
    struct workpool *bulk_pool;         /* the one thread that analyses _bulk requests */
    struct respcache *search_cache;     /* rendered search answers, or NULL (respcache.h) */
};

#endif
