/* sse_clients.c: N live-stream subscribers in one thread (plain sockets and epoll). Each
 * opens GET /v1/events?since=S, decodes the chunked body, parses the Server-Sent Events
 * (id:, event:, data:) and checks that ids only go up (a repeat or an id that went back is
 * counted; so is a gap, an id more than one past the previous, which a fresh database fed
 * only creates never has). The latency of an event is the wall clock at its receipt minus
 * the "at" of its data (the RFC 3339 ms time the write was made, before its commit): an
 * upper bound of commit-to-send. Stops when every stream has seen --events events, after
 * --duration seconds, on SIGINT/SIGTERM, or when every stream has closed, and prints one
 * JSON line. A group transaction's events all carry an "at" taken before its commit, the
 * first ones up to the group's length before; so besides every event's latency (p50_ms...)
 * the line has fresh_*: per read, the latency of the newest event it completed, the closest
 * this client gets to commit-to-receipt. Loopback targets only. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "benchutil.h"

#define LINE_MAX_LEN (64 * 1024) /* an SSE line longer than this is an error */

enum conn_state { ST_CONNECTING, ST_HEADERS, ST_BODY, ST_CLOSED };
/* chunked decoding: the size line, the data, the CRLF after it */
enum chunk_state { CH_SIZE, CH_DATA, CH_CRLF };

struct conn {
    int fd;
    enum conn_state st;
    int chunked, failed, status;
    enum chunk_state ch;
    unsigned long long chunk_left;
    char hdr[4096];
    size_t hlen;
    char line[LINE_MAX_LEN];
    size_t llen;
    int64_t id, last_id; /* the current event's id; the last event's (-1: none yet) */
    int has_data, at_ok;
    double at_ms;
    double read_max_at; /* the newest "at" of the events completed by one read, or 0 */
    long events, gaps, repeats;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* "YYYY-MM-DDTHH:MM:SS[.mmm]Z" to milliseconds since the epoch; -1 when malformed. */
static double parse_at(const char *s, size_t n)
{
    struct tm tm = {0};
    int ms = 0;
    if (n < 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                         &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    if (s[19] == '.') {
        size_t i = 20, digits = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
            if (digits < 3)
                ms = ms * 10 + (s[i] - '0');
        for (; digits < 3; digits++)
            ms *= 10;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) * 1e3 + ms;
}

/* The end of one event (an empty line): counts it and checks its id. */
static void event_done(struct conn *c, struct lat *lat, double now)
{
    if (c->id >= 0) {
        if (c->last_id >= 0 && c->id <= c->last_id)
            c->repeats++;
        else if (c->last_id >= 0 && c->id > c->last_id + 1)
            c->gaps++;
        if (c->id > c->last_id)
            c->last_id = c->id;
    }
    if (c->has_data) {
        c->events++;
        if (c->at_ok) {
            lat_add(lat, now - c->at_ms);
            if (c->at_ms > c->read_max_at)
                c->read_max_at = c->at_ms;
        }
    }
    c->id = -1;
    c->has_data = c->at_ok = 0;
}

/* One SSE line (without its end). Only "at" is read from data, without a JSON parser, so
 * that the clients take as little of the server's CPU as they can. */
static void sse_line(struct conn *c, const char *l, size_t n, struct lat *lat, double now)
{
    if (n == 0) {
        event_done(c, lat, now);
    } else if (l[0] == ':') {
        /* a comment: the greeting or a heartbeat */
    } else if (n > 4 && memcmp(l, "id: ", 4) == 0) {
        c->id = strtoll(l + 4, NULL, 10);
    } else if (n > 6 && memcmp(l, "data: ", 6) == 0) {
        const char *at = memmem(l, n, "\"at\":\"", 6);
        c->has_data = 1;
        if (at != NULL) {
            at += 6;
            const char *q = memchr(at, '"', n - (size_t)(at - l));
            if (q != NULL) {
                c->at_ms = parse_at(at, (size_t)(q - at));
                c->at_ok = c->at_ms > 0;
            }
        }
    }
}

/* Body bytes after the chunked decoding: split into lines. 0, or -1 on a line too long. */
static int sse_feed(struct conn *c, const char *p, size_t n, struct lat *lat, double now)
{
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\n') {
            size_t len = c->llen;
            if (len > 0 && c->line[len - 1] == '\r')
                len--;
            sse_line(c, c->line, len, lat, now);
            c->llen = 0;
        } else if (c->llen == sizeof c->line) {
            return -1;
        } else {
            c->line[c->llen++] = ch;
        }
    }
    return 0;
}

/* Raw bytes of the body: undoes the chunked coding if there is one. 0, 1 at the last chunk,
 * -1 on an error. */
static int body_feed(struct conn *c, const char *p, size_t n, struct lat *lat, double now)
{
    if (!c->chunked)
        return sse_feed(c, p, n, lat, now);
    size_t i = 0;
    while (i < n) {
        if (c->ch == CH_SIZE) {
            /* the size line is gathered in hdr (no longer needed after the headers) */
            char ch = p[i++];
            if (ch != '\n') {
                if (c->hlen + 1 >= sizeof c->hdr)
                    return -1;
                c->hdr[c->hlen++] = ch;
                continue;
            }
            c->hdr[c->hlen] = 0;
            c->chunk_left = strtoull(c->hdr, NULL, 16);
            c->hlen = 0;
            if (c->chunk_left == 0)
                return 1;
            c->ch = CH_DATA;
        } else if (c->ch == CH_DATA) {
            size_t k = n - i < c->chunk_left ? n - i : (size_t)c->chunk_left;
            if (sse_feed(c, p + i, k, lat, now) != 0)
                return -1;
            i += k;
            c->chunk_left -= k;
            if (c->chunk_left == 0)
                c->ch = CH_CRLF;
        } else if (p[i++] == '\n') {
            c->ch = CH_SIZE;
        }
    }
    return 0;
}

/* Bytes before the end of the headers: the status and the coding. Returns how many of p
 * were headers (the rest is body), or -1. */
static long headers_feed(struct conn *c, const char *p, size_t n)
{
    size_t k = n;
    if (k > sizeof c->hdr - 1 - c->hlen)
        k = sizeof c->hdr - 1 - c->hlen;
    memcpy(c->hdr + c->hlen, p, k);
    size_t before = c->hlen;
    c->hlen += k;
    c->hdr[c->hlen] = 0;
    char *end = strstr(c->hdr, "\r\n\r\n");
    if (end == NULL)
        return c->hlen == sizeof c->hdr - 1 ? -1 : (long)n;
    size_t used = (size_t)(end + 4 - c->hdr) - before;
    *end = 0;
    if (sscanf(c->hdr, "HTTP/1.%*d %d", &c->status) != 1)
        return -1;
    for (char *s = c->hdr; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
    c->chunked = strstr(c->hdr, "transfer-encoding: chunked") != NULL;
    c->hlen = 0;
    c->st = ST_BODY;
    return (long)used;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: sse_clients --url http://127.0.0.1:PORT [--streams 256] [--since S]\n"
            "                   [--events K] [--duration 60] [--ready-file PATH] [--label L]\n"
            "  --since S       ask for the changes after S (default: from the last committed)\n"
            "  --events K      stop when every stream has seen K events (0: only --duration)\n"
            "  --duration S    stop after S seconds at most (default 60)\n"
            "  --ready-file P  created once every stream has its 200 headers\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"url", required_argument, 0, 'u'},
                                         {"streams", required_argument, 0, 'n'},
                                         {"since", required_argument, 0, 's'},
                                         {"events", required_argument, 0, 'k'},
                                         {"duration", required_argument, 0, 'd'},
                                         {"ready-file", required_argument, 0, 'r'},
                                         {"label", required_argument, 0, 'l'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *url = NULL, *ready = NULL, *label = "sse";
    long nstreams = 256, want = 0;
    long long since = -1;
    double duration = 60;
    int opt;
    while ((opt = getopt_long(argc, argv, "u:n:s:k:d:r:l:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'u': url = optarg; break;
        case 'n': nstreams = atol(optarg); break;
        case 's': since = atoll(optarg); break;
        case 'k': want = atol(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'r': ready = optarg; break;
        case 'l': label = optarg; break;
        default: usage(); return opt == 'h' ? 0 : 2;
        }
    }
    unsigned port = 0;
    if (url == NULL || sscanf(url, "http://127.0.0.1:%u", &port) != 1 || port == 0 ||
        port > 65535 || nstreams < 1 || nstreams > 100000 || duration <= 0) {
        usage();
        return 2;
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char req[256];
    char q[48] = "";
    if (since >= 0)
        snprintf(q, sizeof q, "?since=%lld", since);
    int reqlen = snprintf(req, sizeof req,
                          "GET /v1/events%s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                          "Accept: text/event-stream\r\n\r\n",
                          q, port);

    struct conn *conns = calloc((size_t)nstreams, sizeof *conns);
    int ep = epoll_create1(0);
    if (conns == NULL || ep < 0) {
        perror("sse_clients");
        return 1;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    long open_n = 0;
    for (long i = 0; i < nstreams; i++) {
        struct conn *c = &conns[i];
        c->id = c->last_id = -1;
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0 || (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0 &&
                          errno != EINPROGRESS)) {
            c->failed = 1;
            c->st = ST_CLOSED;
            if (c->fd >= 0)
                close(c->fd);
            c->fd = -1;
            continue;
        }
        struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
        open_n++;
    }

    struct lat lat = {0}, fresh = {0};
    long long bytes = 0;
    long headed = 0, done = 0;
    int ready_made = 0;
    static char buf[256 * 1024];
    double t0 = bench_now();
    while (!stop_flag && open_n > 0 && bench_now() - t0 < duration) {
        struct epoll_event evs[64];
        int ms = (int)((duration - (bench_now() - t0)) * 1e3) + 1;
        int n = epoll_wait(ep, evs, 64, ms < 200 ? ms : 200);
        if (n < 0 && errno != EINTR)
            break;
        for (int j = 0; j < n; j++) {
            struct conn *c = evs[j].data.ptr;
            int bad = 0, end = 0;
            if (c->st == ST_CONNECTING) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err != 0 || write(c->fd, req, (size_t)reqlen) != reqlen) {
                    bad = 1;
                } else {
                    struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
                    c->st = ST_HEADERS;
                }
            } else {
                ssize_t r = read(c->fd, buf, sizeof buf);
                double now = wall_ms();
                if (r == 0) {
                    end = 1;
                } else if (r < 0) {
                    bad = errno != EAGAIN && errno != EINTR;
                } else {
                    size_t off = 0;
                    bytes += r;
                    if (c->st == ST_HEADERS) {
                        long h = headers_feed(c, buf, (size_t)r);
                        if (h < 0 || (c->st == ST_BODY && c->status != 200)) {
                            bad = 1;
                        } else {
                            off = (size_t)h;
                            if (c->st == ST_BODY)
                                headed++;
                        }
                    }
                    if (!bad && c->st == ST_BODY && off < (size_t)r) {
                        long before = c->events;
                        c->read_max_at = 0;
                        int rc = body_feed(c, buf + off, (size_t)r - off, &lat, now);
                        bad = rc < 0;
                        end = rc == 1;
                        if (c->read_max_at > 0)
                            lat_add(&fresh, now - c->read_max_at);
                        if (want > 0 && before < want && c->events >= want)
                            done++;
                    }
                }
            }
            if (bad || end) {
                c->failed |= bad;
                c->st = ST_CLOSED;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = -1;
                open_n--;
            }
        }
        if (!ready_made && ready != NULL && headed == nstreams) {
            FILE *f = fopen(ready, "w");
            if (f != NULL)
                fclose(f);
            ready_made = 1;
        }
        if (want > 0 && done == nstreams)
            break;
    }
    double secs = bench_now() - t0;

    long emin = -1, emax = 0, gaps = 0, repeats = 0, failed = 0, connected = 0;
    long long total = 0;
    for (long i = 0; i < nstreams; i++) {
        struct conn *c = &conns[i];
        if (c->fd >= 0)
            close(c->fd);
        failed += c->failed;
        connected += c->status == 200;
        gaps += c->gaps;
        repeats += c->repeats;
        total += c->events;
        if (emin < 0 || c->events < emin)
            emin = c->events;
        if (c->events > emax)
            emax = c->events;
    }
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:f}", "system",
                          "articled", "op", "sse", "label", label, "streams",
                          (json_int_t)nstreams, "connected", (json_int_t)connected, "failed",
                          (json_int_t)failed, "events_min", (json_int_t)emin, "events_max",
                          (json_int_t)emax, "events_total", (json_int_t)total, "gaps",
                          (json_int_t)gaps, "repeats", (json_int_t)repeats, "bytes",
                          (json_int_t)bytes, "complete", want > 0 && done == nstreams,
                          "seconds", secs);
    if (o == NULL)
        return 1;
    json_object_set_new(o, "samples", json_integer((json_int_t)lat.n));
    lat_to_json(&lat, o);
    json_t *f = json_object();
    if (f != NULL) {
        lat_to_json(&fresh, f);
        const char *k;
        json_t *v;
        json_object_foreach(f, k, v)
        {
            char name[32];
            snprintf(name, sizeof name, "fresh_%s", k);
            json_object_set(o, name, v);
        }
        json_decref(f);
    }
    bench_emit(o);
    lat_free(&lat);
    lat_free(&fresh);
    free(conns);
    close(ep);
    return failed > 0 || gaps > 0 || repeats > 0;
}
