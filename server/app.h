/* app.h: what every handler can reach: configuration, the store, the shared
 * analysis state and the metrics. Built once by app_open and shared read-only,
 * apart from the atomic flags; app_close takes it down. */
#ifndef ARTICLED_APP_H
#define ARTICLED_APP_H

#include <stdatomic.h>

#include "analysis/entity.h"
#include "server/config.h"
#include "server/metrics.h"
#include "store/store.h"

struct auth;
struct http_server;
struct pipeline;
struct route;
struct ratelimit;
struct workpool;
struct respcache;
struct synset;

struct app {
    struct config cfg;
    struct store *store;
    struct metrics *metrics;
    struct entity_extractor *extractor;   /* shared read-only by all threads */
    atomic_int stopping;                  /* 1 after SIGTERM/SIGINT: new requests get 503 */
    struct auth *auth;                    /* API keys, or NULL: the API is open */
    struct ratelimit *search_limit;       /* per-client search limit, or NULL: none */
    struct pipeline *pipeline;            /* every write's path (pipeline/pipeline.h) */
    struct workpool *read_pool;           /* threads that run read requests (ROUTE_READ_THREAD) */
    struct respcache *search_cache;       /* rendered search answers, or NULL (respcache.h) */
    uint8_t cursor_key[STORE_SECRET_LEN]; /* signs page cursors (store_cursor_key) */
    struct http_server *http;             /* the listening daemon (http.h) */
    struct events *events;                /* the live stream's hub (events.h) */
    struct synset *synonyms;              /* search synonyms in force (synset.h) */
    const struct route *routes;           /* the route table (handlers/routes.c), static */
    size_t nroutes;
};

/* What app_open returns when it does not return a port. */
#define APP_OPEN_DONE    0  /* --help or --version was printed: exit 0 */
#define APP_OPEN_FAILED  -1 /* the store, a pool or the daemon could not start: exit 1 */
#define APP_OPEN_REFUSED -2 /* the configuration was refused: exit 2 */

/* Starts the service in *app (zeroed here first) from argv, the environment
 * and defaults: configuration, log, access control, store, pools, metrics,
 * search cache, entity extractor, then the HTTP daemon. Returns the port it
 * listens on (> 0); or APP_OPEN_DONE; or APP_OPEN_FAILED / APP_OPEN_REFUSED
 * with err filled (the failure is logged, and everything started is taken
 * down again). The caller blocks the signals it waits for before calling:
 * the threads started here inherit the mask. */
int app_open(struct app *app, int argc, char **argv, struct error *err);

/* The shutdown: new requests get 503, the daemon stops accepting, in-flight
 * requests get a grace period, running snapshots and queued analyses finish,
 * then the daemon, the store (checkpointed) and the rest are freed. Only after
 * app_open returned a port. */
void app_close(struct app *app);

#endif
