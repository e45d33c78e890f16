/* metrics.c: counters and histograms (see metrics.h). Every cell is an atomic
 * counter, so observing a request takes no lock. */
#include "server/metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static const unsigned status_codes[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413,
                                        414, 415, 422, 429, 500, 501, 503, 507, 0};

static const char *const limit_names[METRICS_NLIMITS] = {"search-timeout", "search-queue",
                                                         "body-memory"};
#define NSTATUS (sizeof status_codes / sizeof status_codes[0]) /* last: other */

/* Latency buckets in seconds (upper bounds); the last is +Inf. */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define NBUCKETS (sizeof buckets / sizeof buckets[0] + 1)

struct metrics_route {
    atomic_ullong status[NSTATUS];
    atomic_ullong bucket[NBUCKETS];
    atomic_ullong micros_sum;
    atomic_ullong count;
};

struct metrics {
    size_t nroutes;
    atomic_ullong ingested, ingest_failed;
    atomic_ullong limits[METRICS_NLIMITS];
    struct metrics_route routes[]; /* nroutes + 1 */
};

struct metrics *metrics_new(size_t nroutes)
{
    struct metrics *m = calloc(1, sizeof *m + (nroutes + 1) * sizeof(struct metrics_route));
    if (m != NULL)
        m->nroutes = nroutes;
    return m;
}

void metrics_free(struct metrics *m)
{
    free(m);
}

void metrics_limit(struct metrics *m, enum metrics_limit which)
{
    if (m != NULL && which < METRICS_NLIMITS)
        atomic_fetch_add_explicit(&m->limits[which], 1, memory_order_relaxed);
}

void metrics_observe(struct metrics *m, size_t route, unsigned status, long long micros)
{
    struct metrics_route *r;
    size_t s = 0, b = 0;
    double secs = (double)micros / 1e6;

    if (m == NULL)
        return;
    r = &m->routes[route <= m->nroutes ? route : m->nroutes];
    while (status_codes[s] != 0 && status_codes[s] != status)
        s++;
    while (b < NBUCKETS - 1 && secs > buckets[b])
        b++;
    atomic_fetch_add_explicit(&r->status[s], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->micros_sum, (unsigned long long)(micros > 0 ? micros : 0),
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
}

void metrics_ingested(struct metrics *m, size_t created, size_t failed)
{
    if (m == NULL)
        return;
    atomic_fetch_add_explicit(&m->ingested, created, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->ingest_failed, failed, memory_order_relaxed);
}

struct buf {
    char *s;
    size_t len, cap;
    int failed;
};

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (b->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        char *bigger = realloc(b->s, b->cap * 2 + (size_t)n);
        if (bigger == NULL) {
            b->failed = 1;
            return;
        }
        b->s = bigger;
        b->cap = b->cap * 2 + (size_t)n;
    }
}

char *metrics_render(struct metrics *m, const char *const *route_names,
                     const struct store_stats *stats, const struct metrics_gauges *gauges,
                     const struct metrics_stage *stages, size_t nstages)
{
    struct buf b = {malloc(4096), 0, 4096, 0};

    if (b.s == NULL)
        return NULL;
    b.s[0] = '\0';
    buf_printf(&b, "# HELP articled_http_requests_total HTTP requests by route and status.\n"
                   "# TYPE articled_http_requests_total counter\n");
    for (size_t r = 0; r <= m->nroutes; r++) {
        const char *name = r < m->nroutes ? route_names[r] : "unmatched";
        for (size_t s = 0; s < NSTATUS; s++) {
            unsigned long long v = atomic_load(&m->routes[r].status[s]);
            if (v == 0)
                continue;
            if (status_codes[s] != 0)
                buf_printf(&b, "articled_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
                           name, status_codes[s], v);
            else
                buf_printf(&b, "articled_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                           name, v);
        }
    }
    buf_printf(&b, "# HELP articled_http_request_duration_seconds Request latency by route.\n"
                   "# TYPE articled_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= m->nroutes; r++) {
        const char *name = r < m->nroutes ? route_names[r] : "unmatched";
        unsigned long long cum = 0, count = atomic_load(&m->routes[r].count);
        if (count == 0)
            continue;
        for (size_t k = 0; k < NBUCKETS; k++) {
            cum += atomic_load(&m->routes[r].bucket[k]);
            if (k < NBUCKETS - 1)
                buf_printf(&b,
                           "articled_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"}"
                           " %llu\n",
                           name, buckets[k], cum);
            else
                buf_printf(&b,
                           "articled_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"}"
                           " %llu\n",
                           name, cum);
        }
        buf_printf(&b, "articled_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", name,
                   (double)atomic_load(&m->routes[r].micros_sum) / 1e6);
        buf_printf(&b, "articled_http_request_duration_seconds_count{route=\"%s\"} %llu\n", name,
                   count);
    }
    buf_printf(&b,
               "# HELP articled_articles Articles stored.\n# TYPE articled_articles gauge\n"
               "articled_articles %lld\n"
               "# HELP articled_db_bytes Database size on disk (main file and WAL).\n"
               "# TYPE articled_db_bytes gauge\narticled_db_bytes %lld\n"
               "# HELP articled_ingested_total Articles written (created or replaced).\n"
               "# TYPE articled_ingested_total counter\narticled_ingested_total %llu\n"
               "# HELP articled_ingest_failed_total Article writes refused or failed.\n"
               "# TYPE articled_ingest_failed_total counter\narticled_ingest_failed_total %llu\n",
               stats->articles, stats->db_bytes, atomic_load(&m->ingested),
               atomic_load(&m->ingest_failed));
    buf_printf(&b,
               "# HELP articled_wal_pages_total Pages written to the write-ahead log since start.\n"
               "# TYPE articled_wal_pages_total counter\narticled_wal_pages_total %lld\n"
               "# HELP articled_change_seq The last committed change number (every create,"
               " replace, delete, curation and story a commit changed takes the next).\n"
               "# TYPE articled_change_seq gauge\narticled_change_seq %lld\n"
               "# HELP articled_facet_table_bytes Memory of the facet table (every article's"
               " source, tags, entities... for facets).\n"
               "# TYPE articled_facet_table_bytes gauge\narticled_facet_table_bytes %lld\n",
               stats->wal_frames, stats->change_seq, stats->facet_bytes);
    buf_printf(&b, "# HELP articled_stage_seconds_total Time in each stage of the write path"
                   " since start, all threads (parse, the analysis stages, the writer's write"
                   " and commit).\n# TYPE articled_stage_seconds_total counter\n");
    for (size_t i = 0; i < nstages; i++)
        buf_printf(&b, "articled_stage_seconds_total{stage=\"%s\"} %.6f\n", stages[i].name,
                   stages[i].seconds);
    buf_printf(&b, "# HELP articled_stage_articles_total Articles each stage of the write path"
                   " ran on since start.\n# TYPE articled_stage_articles_total counter\n");
    for (size_t i = 0; i < nstages; i++)
        buf_printf(&b, "articled_stage_articles_total{stage=\"%s\"} %llu\n", stages[i].name,
                   stages[i].articles);
    buf_printf(&b, "# HELP articled_limited_total Requests refused or stopped by a limit "
                   "(--search-timeout, --search-queue, --max-body-memory).\n"
                   "# TYPE articled_limited_total counter\n");
    for (size_t i = 0; i < METRICS_NLIMITS; i++)
        buf_printf(&b, "articled_limited_total{limit=\"%s\"} %llu\n", limit_names[i],
                   atomic_load(&m->limits[i]));
    buf_printf(&b,
               "# HELP articled_body_memory_bytes Request bodies held in memory.\n"
               "# TYPE articled_body_memory_bytes gauge\narticled_body_memory_bytes %lld\n"
               "# HELP articled_event_streams Open event streams (GET /v1/events).\n"
               "# TYPE articled_event_streams gauge\narticled_event_streams %lld\n",
               gauges->body_bytes, gauges->event_streams);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
