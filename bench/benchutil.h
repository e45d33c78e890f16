/* benchutil.h: what the benchmark programs share, so that every system is measured the same
 * way: a monotonic clock, latency samples and their percentiles, the query file, the
 * translation of a query to an FTS5 expression, and JSON-line output. */
#ifndef BENCH_BENCHUTIL_H
#define BENCH_BENCHUTIL_H

#include <stddef.h>

#include <jansson.h>

/* Seconds on the monotonic clock. */
double bench_now(void);

/* Latency samples in milliseconds. Zero-initialise; lat_free releases. */
struct lat {
    double *ms;
    size_t n, cap;
};

void lat_add(struct lat *l, double ms);
/* Appends all of src's samples to dst. */
void lat_merge(struct lat *dst, const struct lat *src);
/* Sorts the samples and returns the p-th percentile (0 <= p <= 100), nearest rank; 0 when
 * empty. */
double lat_percentile(struct lat *l, double p);
/* Adds p50_ms, p90_ms, p99_ms, max_ms and mean_ms to obj (borrowed). */
void lat_to_json(struct lat *l, json_t *obj);
void lat_free(struct lat *l);

/* One search of the query file (bench/corpusgen --queries): q in the service's query
 * language, an optional source filter, newest-first or relevance sort. */
struct bench_query {
    char *q;
    char *source; /* NULL: no filter */
    int newest;
    char *kind;
};

/* Reads a query file. Returns the number of queries (>= 0) into *out (a new array owned by
 * the caller, release with bench_queries_free), or -1 with a message on stderr. */
long bench_queries_load(const char *path, struct bench_query **out);
void bench_queries_free(struct bench_query *q, long n);

/* Writes the FTS5 MATCH expression for q into out (size n): every bare word and every
 * "quoted phrase" becomes an FTS5 string, embedded quotes doubled, all of them ANDed.
 * Returns 0, or -1 when it does not fit or q has no terms. */
int bench_fts5_match(const char *q, char *out, size_t n);

/* Prints obj as one compact JSON line on stdout, flushes, and releases obj (steals). */
void bench_emit(json_t *obj);

/* Parses "1,16" into up to max integers. Returns how many, or -1. */
int bench_parse_list(const char *s, int *out, int max);

/* Size in bytes of path plus its -wal file, or 0. */
long long bench_file_size(const char *path);

#endif
