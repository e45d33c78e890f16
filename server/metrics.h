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

/* Records the outcome of one article write (ingest counters). */
void metrics_ingested(struct metrics *m, size_t created, size_t failed);

/* Appends the Prometheus text exposition to a new string (caller frees);
 * route_names[i] names route i. articles and db_bytes are gauges read by the
 * caller. NULL on allocation failure. */
char *metrics_render(struct metrics *m, const char *const *route_names, long long articles,
                     long long db_bytes);

#endif
