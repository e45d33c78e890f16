/* workpool.h: a fixed pool of named threads running queued functions in
 * order: the pipeline's lanes (analysis, _bulk, snapshots) and the read
 * threads. libmicrohttpd gives each connection to one of its threads for
 * good, and work done inside the callback holds that thread and every other
 * connection on it; a request is suspended, its work runs here, and the work
 * resumes the request when it is done. */
#ifndef ARTICLED_WORKPOOL_H
#define ARTICLED_WORKPOOL_H

#include <stddef.h>

struct workpool;

/* A new pool of nthreads (at least 1) threads named name (at most 15
 * bytes, for top -H and perf), or NULL. */
struct workpool *workpool_new(unsigned nthreads, const char *name);

/* Queues fn(arg) to run on a pool thread, in order of submission. Returns 0,
 * or -1 when the pool is stopping or NULL (then the caller runs fn itself). */
int workpool_submit(struct workpool *p, void (*fn)(void *arg), void *arg);

/* Takes a place in the queue for a later workpool_submit_reserved, unless
 * max_waiting jobs already wait for a thread. Returns 0, or -1 (full,
 * stopping or NULL). */
int workpool_reserve(struct workpool *p, unsigned max_waiting);

/* workpool_submit into a place taken by workpool_reserve (given back on
 * failure). Returns 0, or -1 when the pool is stopping or out of memory. */
int workpool_submit_reserved(struct workpool *p, void (*fn)(void *arg), void *arg);

/* Runs what is queued, stops the threads and frees the pool. NULL-safe. */
void workpool_free(struct workpool *p);

#endif
