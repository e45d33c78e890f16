/* events.c: the live stream's hub (see events.h). One mutex guards the
 * ring, the subscriber list and every subscriber's state; the hub's thread
 * and the store reads of subscribers behind the ring run without it. */
#include "server/events.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/http.h"
#include "store/store.h"

#define EVENTS_RING    4096u       /* recent events kept in memory */
#define EVENTS_READ    1000u       /* changes the hub reads at once */
#define EVENTS_PAGE    200u        /* changes a subscriber behind the ring reads at once */
#define EVENTS_OUT_MAX (64 * 1024) /* a subscriber's text gathered before it is sent */
#define EVENTS_PROBE_S 1           /* seconds between two looks at the parked streams' sockets */

/* One event of the ring: its number, type and source (for the filters) and
 * its text as sent. */
struct ev_entry {
    int64_t seq;
    unsigned type;
    char *source;
    char *text;
    size_t len;
};

struct events {
    struct store *st;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int started;
    unsigned heartbeat_s;
    size_t max_subs;
    /* under mu */
    int stopping, dirty;
    struct ev_entry ring[EVENTS_RING];
    size_t ring_first, ring_n; /* circular */
    int64_t oldest, head;      /* the ring holds every change in (oldest, head] */
    struct events_sub *subs;
    size_t nsubs;
    time_t probed; /* when a refused subscriber last had the streams probed */
};

struct events_sub {
    struct events *ev;
    struct http_request *req;
    struct events_sub *prev, *next;
    int fd; /* the connection's socket, polled while parked */
    /* under ev->mu */
    int64_t since; /* the last change considered */
    unsigned types;
    char *source;
    char *out; /* text to send: out[sent, len) */
    size_t len, sent, cap;
    int parked, beat, ended;
};

/* Appends n bytes to sub's text. 0 or -1. */
static int sub_put(struct events_sub *sub, const char *s, size_t n)
{
    if (sub->len + n > sub->cap) {
        size_t cap = sub->cap ? sub->cap : 4096;
        while (cap < sub->len + n)
            cap *= 2;
        char *bigger = realloc(sub->out, cap);
        if (bigger == NULL)
            return -1;
        sub->out = bigger;
        sub->cap = cap;
    }
    memcpy(sub->out + sub->len, s, n);
    sub->len += n;
    return 0;
}

/* Whether a change passes sub's filters. */
static int sub_wants(const struct events_sub *sub, unsigned type, const char *source)
{
    if (sub->types != 0 && !(sub->types & type))
        return 0;
    return sub->source == NULL || (source != NULL && strcmp(sub->source, source) == 0);
}

/* The SSE text of one change: a new string (*len its length), or NULL. */
static char *events_format(const struct store_change *c, size_t *len)
{
    json_t *o = json_pack("{s:I,s:s,s:s,s:s}", "seq", (json_int_t)c->seq, "type",
                          store_change_type_name(c->type), "id", c->id, "at", c->at);
    char *data, *text = NULL;
    if (o != NULL && c->source != NULL)
        json_object_set_new(o, "source", json_string(c->source));
    if (o != NULL && c->into != NULL)
        json_object_set_new(o, "into", json_string(c->into));
    data = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (data != NULL) {
        int n = asprintf(&text, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)c->seq,
                         store_change_type_name(c->type), data);
        *len = n > 0 ? (size_t)n : 0;
        if (n < 0)
            text = NULL;
    }
    free(data);
    return text;
}

/* Under mu: wakes sub's stream if it waits. */
static void sub_wake(struct events_sub *sub)
{
    if (sub->parked) {
        sub->parked = 0;
        http_request_resume(sub->req);
    }
}

/* One change as a ring entry (text and source new). 0, or -1 out of memory. */
static int entry_make(const struct store_change *c, struct ev_entry *e)
{
    memset(e, 0, sizeof *e);
    e->seq = c->seq;
    e->type = c->type;
    e->text = events_format(c, &e->len);
    e->source = c->source ? strdup(c->source) : NULL;
    if (e->text == NULL || (c->source != NULL && e->source == NULL)) {
        free(e->text);
        free(e->source);
        return -1;
    }
    return 0;
}

/* Under mu: empties the ring; it starts again after change seq (whoever is
 * behind that reads the store). */
static void ring_restart(struct events *ev, int64_t seq)
{
    for (size_t i = 0; i < ev->ring_n; i++) {
        struct ev_entry *x = &ev->ring[(ev->ring_first + i) % EVENTS_RING];
        free(x->text);
        free(x->source);
    }
    ev->ring_n = 0;
    ev->oldest = ev->head = seq;
}

/* Under mu: adds one entry to the ring (the oldest falls out when full). */
static void ring_push(struct events *ev, struct ev_entry e)
{
    if (ev->ring_n == EVENTS_RING) {
        struct ev_entry *x = &ev->ring[ev->ring_first];
        ev->oldest = x->seq;
        free(x->text);
        free(x->source);
        ev->ring_first = (ev->ring_first + 1) % EVENTS_RING;
        ev->ring_n--;
    }
    ev->ring[(ev->ring_first + ev->ring_n) % EVENTS_RING] = e;
    ev->ring_n++;
    ev->head = e.seq;
}

/* Under mu: ends the parked streams whose client has gone (closed or shut its
 * side: a stream has nothing more to read from it). A parked stream does not
 * read its socket, so without this look its place and connection would be
 * held until the next heartbeat's write failed. A parked stream's connection
 * is suspended, so its socket stays open while mu is held. */
static void events_probe(struct events *ev)
{
    struct pollfd fds[64];
    struct events_sub *batch[64];
    struct events_sub *s = ev->subs;

    while (s != NULL) {
        nfds_t n = 0;
        for (; s != NULL && n < 64; s = s->next) {
            if (!s->parked || s->fd < 0)
                continue;
            fds[n] = (struct pollfd){.fd = s->fd, .events = POLLRDHUP};
            batch[n++] = s;
        }
        if (n == 0 || poll(fds, n, 0) <= 0)
            continue;
        for (nfds_t i = 0; i < n; i++) {
            if (fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) {
                batch[i]->ended = 1;
                sub_wake(batch[i]);
            }
        }
    }
}

/* Whether time a is at or past time b. */
static int ts_reached(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/* The hub's thread: reads what each commit added, wakes the subscribers;
 * every heartbeat_s, has each subscriber send a comment line; every
 * EVENTS_PROBE_S, ends the streams whose client has gone. */
static void *events_main(void *arg)
{
    struct events *ev = arg;
    struct timespec beat, probe, now;

    clock_gettime(CLOCK_REALTIME, &now);
    beat = probe = now;
    beat.tv_sec += ev->heartbeat_s;
    probe.tv_sec += EVENTS_PROBE_S;
    pthread_mutex_lock(&ev->mu);
    while (!ev->stopping) {
        const struct timespec *until = ts_reached(&probe, &beat) ? &beat : &probe;
        int rc = 0;
        while (!ev->dirty && !ev->stopping && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&ev->cv, &ev->mu, until);
        if (ev->stopping)
            break;
        clock_gettime(CLOCK_REALTIME, &now);
        if (ts_reached(&now, &beat)) {
            for (struct events_sub *s = ev->subs; s != NULL; s = s->next) {
                s->beat = 1;
                sub_wake(s);
            }
            beat = now;
            beat.tv_sec += ev->heartbeat_s;
        }
        if (ts_reached(&now, &probe)) {
            events_probe(ev);
            probe = now;
            probe.tv_sec += EVENTS_PROBE_S;
        }
        if (!ev->dirty)
            continue;
        ev->dirty = 0;
        for (;;) { /* read up to the store's head, a page at a time */
            struct store_change_query q = {.since = ev->head, .limit = EVENTS_READ};
            struct store_changes page;
            struct error err = {0};
            struct ev_entry *made;
            size_t nmade = 0;
            int more, broken = 0;
            /* the reading and the formatting without the lock: the writer's
             * commit signal takes it */
            pthread_mutex_unlock(&ev->mu);
            if (store_changes(ev->st, &q, &page, &err) != 0) {
                pthread_mutex_lock(&ev->mu);
                /* pruned or restored under us: start the ring again at the head */
                ring_restart(ev, page.head);
                break;
            }
            made = calloc(page.n + 1, sizeof *made);
            for (size_t i = 0; made != NULL && i < page.n; i++) {
                if (entry_make(&page.items[i], &made[nmade]) != 0) {
                    broken = 1;
                    break;
                }
                nmade++;
            }
            pthread_mutex_lock(&ev->mu);
            if (made == NULL || broken) {
                /* out of memory: the ring restarts after this page, and whoever
                 * is behind it reads the store */
                for (size_t i = 0; i < nmade; i++) {
                    free(made[i].text);
                    free(made[i].source);
                }
                nmade = 0;
                ring_restart(ev, page.n ? page.items[page.n - 1].seq : ev->head);
            }
            for (size_t i = 0; i < nmade; i++)
                ring_push(ev, made[i]);
            free(made);
            if (page.next_since > ev->head) {
                /* numbers that carried no change left (replaced since): none lost */
                ev->head = page.next_since;
            }
            more = page.next_since < page.head;
            store_changes_free(&page);
            if (!more || ev->stopping)
                break;
        }
        for (struct events_sub *s = ev->subs; s != NULL; s = s->next)
            sub_wake(s);
    }
    pthread_mutex_unlock(&ev->mu);
    return NULL;
}

struct events *events_new(struct store *st, unsigned heartbeat_s, unsigned max_subs)
{
    struct events *ev = calloc(1, sizeof *ev);
    struct store_stats stats;
    struct error err = {0};

    if (ev == NULL)
        return NULL;
    ev->st = st;
    ev->heartbeat_s = heartbeat_s ? heartbeat_s : 15;
    ev->max_subs = max_subs;
    if (store_stats(st, &stats, &err) != 0) {
        free(ev);
        return NULL;
    }
    ev->oldest = ev->head = stats.change_seq;
    pthread_mutex_init(&ev->mu, NULL);
    pthread_cond_init(&ev->cv, NULL);
    if (pthread_create(&ev->thread, NULL, events_main, ev) != 0) {
        events_free(ev);
        return NULL;
    }
    ev->started = 1;
    return ev;
}

void events_committed(void *arg)
{
    struct events *ev = arg;
    pthread_mutex_lock(&ev->mu);
    ev->dirty = 1;
    pthread_cond_signal(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
}

void events_stop(struct events *ev)
{
    if (ev == NULL)
        return;
    pthread_mutex_lock(&ev->mu);
    ev->stopping = 1;
    pthread_cond_signal(&ev->cv);
    for (struct events_sub *s = ev->subs; s != NULL; s = s->next)
        sub_wake(s);
    pthread_mutex_unlock(&ev->mu);
}

void events_free(struct events *ev)
{
    if (ev == NULL)
        return;
    events_stop(ev);
    if (ev->started)
        pthread_join(ev->thread, NULL);
    for (size_t i = 0; i < ev->ring_n; i++) {
        struct ev_entry *x = &ev->ring[(ev->ring_first + i) % EVENTS_RING];
        free(x->text);
        free(x->source);
    }
    pthread_cond_destroy(&ev->cv);
    pthread_mutex_destroy(&ev->mu);
    free(ev);
}

size_t events_subscribers(struct events *ev)
{
    size_t n;
    pthread_mutex_lock(&ev->mu);
    n = ev->nsubs;
    pthread_mutex_unlock(&ev->mu);
    return n;
}

struct events_sub *events_subscribe(struct events *ev, struct http_request *req, int64_t since,
                                    unsigned types, const char *source, int *full)
{
    struct events_sub *sub = calloc(1, sizeof *sub);

    *full = 0;
    if (sub == NULL || (source != NULL && (sub->source = strdup(source)) == NULL)) {
        if (sub != NULL)
            free(sub);
        return NULL;
    }
    sub->ev = ev;
    sub->req = req;
    sub->fd = http_request_fd(req);
    sub->since = since;
    sub->types = types;
    pthread_mutex_lock(&ev->mu);
    if (ev->stopping || ev->nsubs >= ev->max_subs) {
        /* A parked stream does not read its socket, so a client that left
         * holds its place until a write fails. Full: every stream sends a
         * heartbeat now (at most once a second), and the places of those
         * that left come free for the retry Retry-After asks for. */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!ev->stopping && now.tv_sec != ev->probed) {
            ev->probed = now.tv_sec;
            for (struct events_sub *s = ev->subs; s != NULL; s = s->next) {
                s->beat = 1;
                sub_wake(s);
            }
        }
        pthread_mutex_unlock(&ev->mu);
        *full = 1;
        free(sub->source);
        free(sub);
        return NULL;
    }
    sub->next = ev->subs;
    if (ev->subs != NULL)
        ev->subs->prev = sub;
    ev->subs = sub;
    ev->nsubs++;
    pthread_mutex_unlock(&ev->mu);
    /* the comment line lets proxies and clients see the stream has begun */
    sub_put(sub, ": articled events\n\n", 19);
    return sub;
}

void events_sub_free(void *p)
{
    struct events_sub *sub = p;
    struct events *ev;
    if (sub == NULL)
        return;
    ev = sub->ev;
    pthread_mutex_lock(&ev->mu);
    if (sub->prev != NULL)
        sub->prev->next = sub->next;
    else
        ev->subs = sub->next;
    if (sub->next != NULL)
        sub->next->prev = sub->prev;
    ev->nsubs--;
    pthread_mutex_unlock(&ev->mu);
    free(sub->out);
    free(sub->source);
    free(sub);
}

/* Under mu: copies the ring's events after sub->since that pass its
 * filters into its text, up to EVENTS_OUT_MAX. */
static void sub_from_ring(struct events *ev, struct events_sub *sub)
{
    size_t i = 0;
    /* the first entry past since (entries are in order) */
    size_t lo = 0, hi = ev->ring_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ev->ring[(ev->ring_first + mid) % EVENTS_RING].seq <= sub->since)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (i = lo; i < ev->ring_n && sub->len < EVENTS_OUT_MAX; i++) {
        struct ev_entry *e = &ev->ring[(ev->ring_first + i) % EVENTS_RING];
        if (sub_wants(sub, e->type, e->source) && sub_put(sub, e->text, e->len) != 0)
            break;
        sub->since = e->seq;
    }
    if (i == ev->ring_n && sub->since < ev->head)
        sub->since = ev->head;
}

/* Outside mu: one page of the store's changes after since (a subscriber
 * behind the ring). Returns the text (or NULL) and the next since; a since
 * that is no longer kept ends the stream with a "gone" event. */
static char *sub_from_store(struct events *ev, const struct events_sub *sub, size_t *len,
                            int64_t *since, int *ended)
{
    struct store_change_query q = {.since = *since, .limit = EVENTS_PAGE, .types = sub->types,
                                   .source = sub->source};
    struct store_changes page;
    struct error err = {0};
    char *text = NULL;
    size_t n = 0;

    *len = 0;
    if (store_changes(ev->st, &q, &page, &err) != 0) {
        json_t *o = json_pack("{s:s,s:I,s:I}", "detail", err.msg, "oldest_since",
                              (json_int_t)page.floor, "head", (json_int_t)page.head);
        char *data = o ? json_dumps(o, JSON_COMPACT) : NULL;
        int k = data ? asprintf(&text, "event: gone\ndata: %s\n\n", data) : -1;
        json_decref(o);
        free(data);
        *len = k > 0 ? (size_t)k : 0;
        *ended = 1;
        return k > 0 ? text : NULL;
    }
    for (size_t i = 0; i < page.n; i++) {
        size_t l;
        char *t = events_format(&page.items[i], &l), *bigger;
        if (t == NULL)
            break;
        bigger = realloc(text, n + l + 1);
        if (bigger == NULL) {
            free(t);
            break;
        }
        text = bigger;
        memcpy(text + n, t, l);
        n += l;
        free(t);
        *since = page.items[i].seq;
    }
    if (page.n > 0 && n == 0)
        *ended = 1; /* out of memory: end rather than spin */
    else if (page.n == 0 || *since == page.items[page.n - 1].seq)
        *since = page.next_since > *since ? page.next_since : *since;
    *len = n;
    store_changes_free(&page);
    return text;
}

long events_stream(struct http_request *req, char *buf, size_t max)
{
    struct events_sub *sub = req->state;
    struct events *ev = sub->ev;
    long n = 0;

    pthread_mutex_lock(&ev->mu);
    for (;;) {
        if (sub->sent < sub->len) {
            size_t k = sub->len - sub->sent;
            if (k > max)
                k = max;
            memcpy(buf, sub->out + sub->sent, k);
            sub->sent += k;
            if (sub->sent == sub->len)
                sub->sent = sub->len = 0;
            n = (long)k;
            break;
        }
        if (sub->ended || ev->stopping) {
            n = HTTP_STREAM_END;
            break;
        }
        if (sub->since >= ev->oldest) {
            sub_from_ring(ev, sub);
            if (sub->len > 0)
                continue;
            if (sub->beat) {
                sub->beat = 0;
                sub_put(sub, ":\n\n", 3);
                continue;
            }
            sub->parked = 1;
            http_stream_park(req);
            n = 0;
            break;
        }
        /* behind the ring: a page from the store, without the lock */
        int64_t since = sub->since;
        int ended = 0;
        size_t len;
        pthread_mutex_unlock(&ev->mu);
        char *text = sub_from_store(ev, sub, &len, &since, &ended);
        pthread_mutex_lock(&ev->mu);
        if (text != NULL)
            sub_put(sub, text, len);
        free(text);
        sub->since = since;
        sub->ended |= ended;
    }
    pthread_mutex_unlock(&ev->mu);
    return n;
}
