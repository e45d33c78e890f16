/* metrics.h: request counters by route and status and a latency histogram per
 * route, updated lock-free from every HTTP thread, rendered as Prometheus text. */
#ifndef ARTICLED_METRICS_H
#define ARTICLED_METRICS_H

#include <stddef.h>

struct metrics;

/* A new metrics set for nroutes routes (index nroutes counts unmatched
 * requests). NULL on allocation failure. */
struct metrics *metrics_new(size_t nroutes);
void metrics_free(struct metrics *m);

/* Records one request. route is an index from the router, or nroutes. */
void metrics_observe(struct metrics *m, size_t route, unsigned status, long long micros);

/* The limits a request can run into (counted by metrics_limit). */
enum metrics_limit {
    METRICS_LIMIT_SEARCH_TIMEOUT, /* a read stopped by --search-timeout */
    METRICS_LIMIT_SEARCH_QUEUE,   /* a read refused: --search-queue full */
    METRICS_LIMIT_BODY_MEMORY,    /* a body refused: --max-body-memory */
    METRICS_NLIMITS
};

/* Counts one request refused or stopped by a limit. */
void metrics_limit(struct metrics *m, enum metrics_limit which);

/* Records the outcome of one article write (ingest counters). */
void metrics_ingested(struct metrics *m, size_t created, size_t failed);

/* Appends the Prometheus text exposition to a new string (caller frees);
 * route_names[i] names route i. stats (the store's) and body_bytes (request
 * bodies held in memory) are read by the caller. NULL on allocation
 * failure. */
struct store_stats;

/* One stage of the write path: its time since start (all threads) and the
 * articles it ran on. */
struct metrics_stage {
    const char *name; /* static */
    double seconds;
    unsigned long long articles;
};

/* What the server holds now, beside the counters. */
struct metrics_gauges {
    long long body_bytes;    /* request bodies in memory */
    long long event_streams; /* open GET /v1/events streams */
};

char *metrics_render(struct metrics *m, const char *const *route_names,
                     const struct store_stats *stats, const struct metrics_gauges *gauges,
                     const struct metrics_stage *stages, size_t nstages);

#endif
