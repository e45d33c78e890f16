/* events.h: the live stream's hub (GET /v1/events). The writer tells the hub
 * that a transaction committed (events_committed, cheap: a signal); the
 * hub's thread reads the new changes from the store once (store_changes) into
 * a ring of recent events, already written as Server-Sent Events, and wakes
 * the subscribers; each subscriber copies what passes its filters from the
 * ring. A subscriber that fell behind the ring reads the store itself, a
 * page at a time, so no subscriber holds more than one page however slowly
 * it reads, and the store is read once per commit however many listen. */
#ifndef ARTICLED_EVENTS_H
#define ARTICLED_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct http_request;
struct events;
struct events_sub;

/* Starts the hub and its thread. heartbeat_s: seconds between heartbeats;
 * max_subs: subscribers at most. NULL on failure. */
struct events *events_new(struct store *st, unsigned heartbeat_s, unsigned max_subs);

/* A commit happened (the store's commit hook; any thread, never blocks for
 * long). arg is the hub. */
void events_committed(void *arg);

/* Ends every stream (each sends what it has, then ends) and refuses new
 * subscribers: the first step of the shutdown. */
void events_stop(struct events *ev);

/* Stops the thread and frees the hub; every subscriber must be gone. */
void events_free(struct events *ev);

/* Subscribers now. */
size_t events_subscribers(struct events *ev);

/* A new subscriber for req, which gets events after change number since
 * (types: STORE_CHANGE_* bits, 0 all; source: NULL or one source, copied).
 * NULL when the hub is full or stopping (*full says which) or out of memory.
 * Owned by the request: pass events_sub_free as its state_free. */
struct events_sub *events_subscribe(struct events *ev, struct http_request *req, int64_t since,
                                    unsigned types, const char *source, int *full);
void events_sub_free(void *sub);

/* The stream function of a subscriber's answer (http.h's http_stream_fn). */
long events_stream(struct http_request *req, char *buf, size_t max);

#endif
