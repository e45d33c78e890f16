/* http.c: libmicrohttpd glue (see http.h). The daemon runs its own epoll
 * thread pool; each request gets a context that routes it, checks its framing
 * and key, refuses a body nobody will read before reading it, accumulates an
 * accepted body under its route's cap and a global one, dispatches to a
 * handler on the final call (reads on a read thread, under a time budget)
 * and, for writes, suspends the connection until the group commit resumes
 * it. */
#include "server/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <xxhash.h>
#include <netinet/in.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "analysis/utf8.h"
#include "server/app.h"
#include "server/auth.h"
#include "server/log.h"
#include "server/ratelimit.h"
#include "server/reply.h"
#include "server/router.h"
#include "server/workpool.h"
#include "store/store.h"

/* Seconds a browser may cache a CORS preflight answer. */
#define HTTP_CORS_MAX_AGE "600"

/* The longest request target (path and query) answered; longer is a 414.
 * As long as nginx's default header buffer. */
#define HTTP_MAX_URI 8192

struct http_server {
    struct MHD_Daemon *daemon;
    struct app *app;
    unsigned read_delay_ms; /* test builds: ARTICLED_TEST_READ_DELAY_MS */
    atomic_int refusing;    /* shutting down: new connections are closed at once */
};

/* Request body bytes held by every request and by the pipelines that took
 * bodies over (http_request_take_body), against --max-body-memory. */
static _Atomic size_t http_body_bytes;

/* A body buffer starts with this header (its capacity, for the count above). */
struct http_body_hdr {
    alignas(max_align_t) size_t cap;
};

struct http_ctx {
    struct http_request req;
    struct app *app;
    const struct route *route;
    size_t route_index; /* == number of routes when unmatched */
    enum router_result routed;
    char allow[64];
    char *scratch; /* path segments for params */
    char *query;   /* the query string, copied when the request line came; parsed in place */
    char *body;    /* after a struct http_body_hdr; counted in http_body_bytes */
    size_t len, cap, limit;
    size_t declared; /* Content-Length, when given and within the limit; else 0 */
    int begun;       /* the first call (headers) was made */
    int too_big;
    int unwanted_body; /* a body on a route that takes none */
    int over_memory;   /* the body would pass --max-body-memory */
    int uri_too_long;
    int close; /* answer with Connection: close */
    int suspended;
    int replied;
    struct http_response read_res; /* a read's answer, made on a read thread */
    http_stream_fn stream;         /* a streamed answer: logged when it ends */
    unsigned stream_status;
    int stream_endless; /* an event stream: its client ends it, nothing is cut off */
    size_t stream_sent;
    struct timespec start;
    enum auth_result auth; /* decided on the first call, from the headers */
    const char *key_name;  /* the request's key's name (borrowed from app->auth), or NULL */
    int cors;              /* the Origin is --cors-origin: answer with CORS headers */
    int preflight;         /* a CORS preflight (OPTIONS) on a known path */
};

static long long http_elapsed_us(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)(now.tv_sec - start->tv_sec) * 1000000LL +
           (now.tv_nsec - start->tv_nsec) / 1000;
}

const char *http_request_arg(const struct http_request *req, const char *key, int *present)
{
    for (size_t i = 0; i < req->nargs; i++) {
        if (strcmp(req->args[i].key, key) == 0) {
            if (present)
                *present = 1;
            return req->args[i].value;
        }
    }
    if (present)
        *present = 0;
    return NULL;
}

size_t http_request_args(const struct http_request *req, const char *key, const char **out,
                         size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < req->nargs; i++)
        if (strcmp(req->args[i].key, key) == 0) {
            if (n < max)
                out[n] = req->args[i].value;
            n++;
        }
    return n;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void http_request_keep(struct http_request *req, void *state, void (*state_free)(void *state))
{
    req->state = state;
    req->state_free = state_free;
}

void http_request_suspend(struct http_request *req, http_continue_fn cont, void *state,
                          void (*state_free)(void *state))
{
    struct http_ctx *ctx = (struct http_ctx *)req; /* req is the first member */
    req->cont = cont;
    http_request_keep(req, state, state_free);
    ctx->suspended = 1;
    MHD_suspend_connection(req->conn);
}

void http_request_resume(struct http_request *req)
{
    MHD_resume_connection(req->conn);
}

int http_request_fd(const struct http_request *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci != NULL ? (int)ci->connect_fd : -1;
}

void http_stream_park(struct http_request *req)
{
    /* microhttpd's way for a content reader with nothing to give: suspend,
     * return 0, and be called again once resumed */
    MHD_suspend_connection(req->conn);
}

size_t http_body_memory(void)
{
    return atomic_load(&http_body_bytes);
}

void http_body_free(char *body)
{
    struct http_body_hdr *h;
    if (body == NULL)
        return;
    h = (struct http_body_hdr *)(void *)(body - sizeof *h);
    atomic_fetch_sub(&http_body_bytes, h->cap);
    free(h);
}

/* Grows ctx's body buffer to hold at least need bytes, counting the growth
 * against --max-body-memory. Returns 0, or -1 (over the cap, or out of
 * memory: the buffer is freed and ctx flagged). */
static int http_body_grow(struct http_ctx *ctx, size_t need)
{
    size_t cap = ctx->cap ? ctx->cap : 16384, delta;
    struct http_body_hdr *h = ctx->body ? (struct http_body_hdr *)(void *)(ctx->body - sizeof *h)
                                        : NULL,
                         *bigger;
    while (cap < need)
        cap *= 2;
    if (cap > ctx->limit + 1)
        cap = ctx->limit + 1;
    /* no more than the declared length: doubling past it held a 13 MB
     * _bulk body in a 16 MB buffer (and it never reserves more than twice
     * what has come, however large the declared length) */
    if (ctx->declared + 1 >= need && cap > ctx->declared + 1)
        cap = ctx->declared + 1;
    delta = cap - ctx->cap;
    if (atomic_fetch_add(&http_body_bytes, delta) + delta > ctx->app->cfg.max_body_memory) {
        atomic_fetch_sub(&http_body_bytes, delta);
        ctx->over_memory = 1;
        goto fail;
    }
    bigger = realloc(h, sizeof *h + cap);
    if (bigger == NULL) {
        atomic_fetch_sub(&http_body_bytes, delta);
        ctx->too_big = 1; /* treated as too large for this server */
        goto fail;
    }
    bigger->cap = cap;
    ctx->body = (char *)(bigger + 1);
    ctx->cap = cap;
    return 0;
fail:
    http_body_free(ctx->body);
    ctx->body = NULL;
    ctx->len = ctx->cap = 0;
    return -1;
}

char *http_request_take_body(struct http_request *req)
{
    struct http_ctx *ctx = (struct http_ctx *)req;
    char *body = ctx->body;
    ctx->body = NULL;
    ctx->len = ctx->cap = 0;
    req->body = "";
    req->body_len = 0;
    return body;
}

void http_body_consumed(const char *body, size_t len, size_t upto)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = ((uintptr_t)body + page - 1) & ~(page - 1);
    uintptr_t to = ((uintptr_t)body + (upto < len ? upto : len)) & ~(page - 1);
    /* the buffer is malloc'ed and its owner's alone; MADV_DONTNEED keeps it
     * mapped, so freeing it later is unchanged */
    if (len > 0 && to > from)
        madvise((void *)from, to - from, MADV_DONTNEED);
}

static int http_hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes one query component in place ('+' is a space, %XX a byte; a '%'
 * not followed by two hex digits stays as it is). Returns -1 when it
 * decodes to a NUL byte, which no parameter may hold. */
static int http_unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%' && http_hex(p[1]) >= 0 && http_hex(p[2]) >= 0) {
            char c = (char)(http_hex(p[1]) << 4 | http_hex(p[2]));
            if (c == '\0')
                return -1;
            *o++ = c;
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return 0;
}

/* Splits ctx->query into req.args (at most HTTP_MAX_ARGS; past that
 * too_many_args is set). Returns 0, or -1 for a NUL byte in a parameter. */
static int http_parse_query(struct http_ctx *ctx)
{
    struct http_request *req = &ctx->req;
    char *p = ctx->query;

    while (p != NULL && *p != '\0') {
        char *amp = strchr(p, '&'), *eq;
        if (amp != NULL)
            *amp = '\0';
        if (*p != '\0') {
            eq = strchr(p, '=');
            if (eq != NULL)
                *eq = '\0';
            if (http_unescape(p) != 0 || (eq != NULL && http_unescape(eq + 1) != 0))
                return -1;
            if (req->nargs == HTTP_MAX_ARGS) {
                req->too_many_args = 1;
                return 0;
            }
            req->args[req->nargs++] = (struct http_arg){p, eq ? eq + 1 : NULL};
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

/* The access log line and the route's metrics, once the answer is out. */
static void http_log(struct http_ctx *ctx, unsigned status, size_t len)
{
    long long us = http_elapsed_us(&ctx->start);
    metrics_observe(ctx->app->metrics, ctx->route_index, status, us);
    log_access(ctx->req.method, ctx->req.path, status, len, us, ctx->key_name);
}

/* An ETag's bytes with its quotes and NUL. */
#define HTTP_ETAG_LEN 20

/* Most bytes a stream function is asked for at once. */
#define HTTP_STREAM_BLOCK (64u * 1024u)

static ssize_t http_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_ctx *ctx = cls;
    long n = ctx->stream(&ctx->req, buf, max);
    (void)pos;
    if (n == HTTP_STREAM_END)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    ctx->stream_sent += (size_t)n;
    return (ssize_t)n;
}

/* The entity tag of a body: its 64-bit XXH3 hash, quoted (a strong tag:
 * the same bytes, the same tag). */
static void http_etag(const char *body, size_t len, char out[HTTP_ETAG_LEN])
{
    snprintf(out, HTTP_ETAG_LEN, "\"%016llx\"", (unsigned long long)XXH3_64bits(body, len));
}

/* Whether an If-None-Match value names tag (a list of tags, weak or not, or *). */
static int http_etag_matches(const char *inm, const char *tag)
{
    size_t tl = strlen(tag);
    while (inm != NULL && *inm != '\0') {
        while (*inm == ' ' || *inm == '\t' || *inm == ',')
            inm++;
        if (*inm == '*')
            return 1;
        if (strncmp(inm, "W/", 2) == 0)
            inm += 2;
        if (strncmp(inm, tag, tl) == 0 && (inm[tl] == '\0' || inm[tl] == ',' || inm[tl] == ' ' ||
                                           inm[tl] == '\t'))
            return 1;
        inm = strchr(inm, ',');
    }
    return 0;
}

/* Turns res into an MHD response, queues it and writes the access log line. */
static enum MHD_Result http_queue(struct http_ctx *ctx, struct http_response *res)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    size_t len = res->len;
    char ra[24], etag[HTTP_ETAG_LEN] = "";

    if (res->status == 0)
        reply_fail(res, ERR_INTERNAL, "the handler produced no answer");
    if (res->etag && res->status == 200 && res->stream == NULL && res->body != NULL) {
        http_etag(res->body, res->len, etag);
        if (http_etag_matches(MHD_lookup_connection_value(ctx->req.conn, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_IF_NONE_MATCH),
                              etag)) {
            /* the client holds this answer: say so without the body */
            free(res->body);
            res->body = NULL;
            res->len = len = 0;
            res->status = 304;
            res->content_type = NULL;
        }
    }
    if (res->stream != NULL) {
        ctx->stream = res->stream;
        ctx->stream_status = res->status;
        ctx->stream_endless = res->stream_endless;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK, http_stream_read,
                                              ctx, NULL);
    } else {
        r = MHD_create_response_from_buffer(res->len, res->body ? res->body : (void *)"",
                                            res->body ? MHD_RESPMEM_MUST_FREE
                                                      : MHD_RESPMEM_PERSISTENT);
    }
    if (r == NULL) {
        free(res->body);
        free(res->location);
        return MHD_NO;
    }
    res->body = NULL; /* now the response's */
    if (res->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    if (res->location)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, res->location);
    if (res->allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, res->allow);
    if (res->cache_control != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, res->cache_control);
    if (etag[0] != '\0')
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    if (res->csp != NULL)
        MHD_add_response_header(r, "Content-Security-Policy", res->csp);
    /* no answer is ever to be read as another type than it says (a JSON body as HTML) */
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (res->retry_after > 0) {
        snprintf(ra, sizeof ra, "%u", res->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (atomic_load(&ctx->app->stopping) || ctx->close)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    if (ctx->auth != AUTH_OK && (res->status == 401 || res->status == 403))
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                ctx->auth == AUTH_MISSING ? "Bearer realm=\"articled\""
                                : ctx->auth == AUTH_INVALID
                                    ? "Bearer realm=\"articled\", error=\"invalid_token\""
                                    : "Bearer realm=\"articled\", error=\"insufficient_scope\"");
    if (ctx->app->cfg.cors_origin[0] != '\0')
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin");
    if (ctx->cors) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
                                ctx->app->cfg.cors_origin);
        if (ctx->preflight) {
            MHD_add_response_header(r, "Access-Control-Allow-Methods", ctx->allow);
            MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                    "Authorization, Content-Type");
            MHD_add_response_header(r, "Access-Control-Max-Age", HTTP_CORS_MAX_AGE);
        } else {
            MHD_add_response_header(r, "Access-Control-Expose-Headers",
                                    "Location, Retry-After, WWW-Authenticate");
        }
    }
    ret = MHD_queue_response(ctx->req.conn, res->status, r);
    MHD_destroy_response(r);
    free(res->location);
    res->location = NULL;
    ctx->replied = 1;
    if (ctx->stream == NULL)
        http_log(ctx, res->status, len);
    return ret;
}

static void http_ctx_free(struct http_ctx *ctx)
{
    if (ctx == NULL)
        return;
    if (ctx->req.state_free)
        ctx->req.state_free(ctx->req.state);
    free(ctx->read_res.body);
    free(ctx->read_res.location);
    free(ctx->scratch);
    free(ctx->query);
    http_body_free(ctx->body);
    free(ctx);
}

static void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct http_ctx *ctx = *con_cls;
    (void)cls;
    (void)conn;
    /* a streamed answer is logged when it ends, with the bytes it sent; one
     * its client did not read to the end is cut off without its last part
     * (a _bulk answer's totals), which the log says */
    if (ctx != NULL && ctx->stream != NULL) {
        http_log(ctx, ctx->stream_status, ctx->stream_sent);
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !ctx->stream_endless) {
            json_t *f =
                json_pack("{s:s,s:s,s:I}", "path", ctx->req.path ? ctx->req.path : "", "reason",
                          toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED
                              ? "the client read nothing for --timeout"
                              : "the connection ended first",
                          "bytes", (json_int_t)ctx->stream_sent);
            log_event(LOG_WARN, "streamed answer cut off", f);
            json_decref(f);
        }
    }
    http_ctx_free(ctx);
    *con_cls = NULL;
}

/* Decides CORS and access from the headers: whether the Origin is the
 * configured one, whether this is a preflight (which needs no key), and
 * whether the key has the role the route needs. */
static void http_ctx_access(struct http_ctx *ctx)
{
    struct app *app = ctx->app;
    const char *origin = MHD_lookup_connection_value(ctx->req.conn, MHD_HEADER_KIND, "Origin");
    const char *m = ctx->req.method;

    ctx->auth = AUTH_OK;
    ctx->cors = app->cfg.cors_origin[0] != '\0' && origin != NULL &&
                strcmp(origin, app->cfg.cors_origin) == 0;
    ctx->preflight = ctx->cors && ctx->routed == ROUTER_BAD_METHOD && strcmp(m, "OPTIONS") == 0 &&
                     MHD_lookup_connection_value(ctx->req.conn, MHD_HEADER_KIND,
                                                 "Access-Control-Request-Method") != NULL;
    if (ctx->routed != ROUTER_FOUND)
        return;
    ctx->auth = auth_check(
        app->auth,
        MHD_lookup_connection_value(ctx->req.conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        ctx->route->role, app->cfg.public_read, &ctx->key_name);
}

/* The rate limiter's name for the client: the key's name when it presented
 * one, else its address (IPv6: the /64 prefix, which one host can fill). */
static size_t http_client_key(const struct http_ctx *ctx, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *ci;
    const struct sockaddr *sa;
    size_t n;

    if (ctx->key_name != NULL) {
        n = strlen(ctx->key_name);
        buf[0] = 'k';
        memcpy(buf + 1, ctx->key_name, n < size - 1 ? n : size - 1);
        return 1 + (n < size - 1 ? n : size - 1);
    }
    ci = MHD_get_connection_info(ctx->req.conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    sa = ci ? ci->client_addr : NULL;
    if (sa != NULL && sa->sa_family == AF_INET) {
        buf[0] = '4';
        memcpy(buf + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 5;
    }
    if (sa != NULL && sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            buf[0] = '4';
            memcpy(buf + 1, a->s6_addr + 12, 4);
            return 5;
        }
        buf[0] = '6';
        memcpy(buf + 1, a->s6_addr, 8);
        return 9;
    }
    buf[0] = '?';
    return 1;
}

/* The request target has arrived (before its headers): the context starts
 * here, with the query string copied aside. libmicrohttpd would parse the
 * arguments itself, into the connection's memory pool, and 0.9.75 leaves a
 * connection whose arguments fill that pool without any answer until its
 * timeout (about 480 parameters); the query is cut from its copy of the
 * target so that it parses none, and http_parse_query parses ours. */
static void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_ctx *ctx = calloc(1, sizeof *ctx);
    char *q = strchr(uri, '?');

    if (ctx == NULL)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &ctx->start);
    ctx->app = cls;
    ctx->req.conn = conn;
    if (strlen(uri) > HTTP_MAX_URI)
        ctx->uri_too_long = 1;
    else if (q != NULL && (ctx->query = strdup(q + 1)) == NULL)
        ctx->too_big = 1; /* out of memory: refused as too large for this server */
    if (q != NULL)
        q[1] = '\0'; /* the buffer is the connection's, and read by no one else yet */
    return ctx;
}

/* What the headers say about the body's framing (RFC 9112 section 6). */
struct http_framing {
    int content_lengths; /* Content-Length fields */
    int length_conflict; /* two of them differ, or one is not a number */
    unsigned long long length;
    int transfer_encodings;
    int chunked_last; /* the last coding of the last Transfer-Encoding is chunked */
    int other_coding; /* a coding other than chunked */
};

static enum MHD_Result http_scan_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
    struct http_framing *f = cls;
    (void)kind;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        char *end = NULL;
        unsigned long long v = value[0] >= '0' && value[0] <= '9' ? strtoull(value, &end, 10) : 0;
        if (end == NULL || *end != '\0' || (f->content_lengths > 0 && v != f->length))
            f->length_conflict = 1;
        f->length = v;
        f->content_lengths++;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        const char *p = value;
        f->transfer_encodings++;
        f->chunked_last = 0;
        while (*p != '\0') {
            size_t n;
            while (*p == ' ' || *p == '\t' || *p == ',')
                p++;
            n = strcspn(p, ",");
            while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                n--;
            if (n == 0)
                break;
            f->chunked_last = n == 7 && strncasecmp(p, "chunked", 7) == 0;
            if (!f->chunked_last)
                f->other_coding = 1;
            p += n;
            while (*p != '\0' && *p != ',')
                p++;
        }
    }
    return MHD_YES;
}

/* Sets res to the answer for a request whose body cannot be framed safely,
 * and returns 1; else 0. Two different lengths, a length with a transfer
 * coding, or codings that do not end in chunked leave the body's end in
 * doubt (a proxy in front may read it otherwise: request smuggling): 400;
 * a coding this server does not know before the final chunked: 501. */
static int http_framing_problem(struct http_ctx *ctx, struct http_response *res, int *has_body)
{
    struct http_framing f = {0};

    MHD_get_connection_values(ctx->req.conn, MHD_HEADER_KIND, http_scan_framing, &f);
    *has_body = (f.content_lengths > 0 && f.length > 0) || f.transfer_encodings > 0;
    if (f.length_conflict) {
        reply_fail(res, ERR_INVALID,
                   "Content-Length is not one number (two different values, or not a number)");
        return 1;
    }
    if (f.transfer_encodings > 0 && f.content_lengths > 0) {
        reply_fail(res, ERR_INVALID,
                   "a request may have Content-Length or Transfer-Encoding, "
                   "not both");
        return 1;
    }
    if (f.transfer_encodings > 0 && !f.chunked_last) {
        reply_fail(res, ERR_INVALID, "Transfer-Encoding must end with chunked");
        return 1;
    }
    if (f.other_coding) {
        reply_problem(res, 501, NULL, "the only transfer coding accepted is chunked");
        return 1;
    }
    return 0;
}

/* The headers have come (libmicrohttpd's first call): route, key, caps. */
static int http_ctx_begin(struct http_ctx *ctx, const char *url, const char *method)
{
    struct app *app = ctx->app;
    const char *cl;

    ctx->begun = 1;
    ctx->req.method = method;
    ctx->req.path = url;
    ctx->req.body = "";
    ctx->scratch = malloc(strlen(url) + 1);
    if (ctx->scratch == NULL)
        return -1;
    ctx->routed = router_match(app->routes, app->nroutes, method, url, &ctx->route,
                               &ctx->route_index, ctx->req.params, &ctx->req.nparams, ctx->scratch,
                               ctx->allow, sizeof ctx->allow);
    if (ctx->routed == ROUTER_FOUND)
        ctx->req.route_name = ctx->route->pattern;
    else
        ctx->route_index = app->nroutes;
    ctx->limit = ctx->routed == ROUTER_FOUND && ctx->route->body == ROUTE_BODY_BULK
                     ? app->cfg.max_bulk
                     : app->cfg.max_body;
    cl =
        MHD_lookup_connection_value(ctx->req.conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        unsigned long long declared = strtoull(cl, NULL, 10);
        if (declared > ctx->limit)
            ctx->too_big = 1;
        else
            ctx->declared = (size_t)declared;
    }
    http_ctx_access(ctx);
    return 0;
}

/* Appends upload data, or remembers that the body grew past a cap. */
static void http_ctx_append(struct http_ctx *ctx, const char *data, size_t n)
{
    if (ctx->too_big || ctx->over_memory || ctx->unwanted_body || ctx->auth != AUTH_OK ||
        ctx->preflight || ctx->routed != ROUTER_FOUND)
        return; /* a refused request keeps no body */
    if (ctx->len + n > ctx->limit) {
        ctx->too_big = 1;
        http_body_free(ctx->body);
        ctx->body = NULL;
        ctx->len = ctx->cap = 0;
        return;
    }
    if (ctx->len + n + 1 > ctx->cap && http_body_grow(ctx, ctx->len + n + 1) != 0)
        return;
    memcpy(ctx->body + ctx->len, data, n);
    ctx->len += n;
    ctx->body[ctx->len] = '\0';
}

/* Sets res to the answer for a request that goes no further than the HTTP
 * layer (shutting down, no such path or method, a preflight, the key, the
 * search limit, the body's size) and returns 1; or returns 0. */
static int http_refusal(struct http_ctx *ctx, struct http_response *res)
{
    struct app *app = ctx->app;

    if (atomic_load(&app->stopping)) {
        reply_fail(res, ERR_UNAVAILABLE, "the service is shutting down");
        return 1;
    }
    if (ctx->routed == ROUTER_NOT_FOUND) {
        reply_fail(res, ERR_NOT_FOUND, "no resource at this path");
        return 1;
    }
    if (ctx->preflight) {
        res->status = 204;
        return 1;
    }
    if (ctx->routed == ROUTER_BAD_METHOD) {
        char detail[128];
        snprintf(detail, sizeof detail, "this path accepts %s", ctx->allow);
        reply_problem(res, 405, "Method Not Allowed", detail);
        res->allow = ctx->allow;
        return 1;
    }
    if (ctx->auth == AUTH_MISSING || ctx->auth == AUTH_INVALID) {
        reply_problem(res, 401, "Unauthorized",
                      ctx->auth == AUTH_MISSING
                          ? "this request needs an API key: Authorization: Bearer <key>"
                          : "the API key is not valid");
        return 1;
    }
    if (ctx->auth == AUTH_FORBIDDEN) {
        reply_problem(res, 403, "Forbidden", "this API key may only read");
        return 1;
    }
    if (ctx->unwanted_body) {
        reply_fail(res, ERR_TOO_LARGE, "this request takes no body");
        return 1;
    }
    if (ctx->too_big) {
        char detail[128];
        snprintf(detail, sizeof detail, "the request body is larger than the limit of %zu bytes",
                 ctx->limit);
        reply_fail(res, ERR_TOO_LARGE, detail);
        return 1;
    }
    if (ctx->over_memory) {
        metrics_limit(app->metrics, METRICS_LIMIT_BODY_MEMORY);
        reply_limit(res, 503, "body-memory",
                    "the request bodies held in memory have reached --max-body-memory; retry");
        return 1;
    }
    if (app->search_limit != NULL && (ctx->route->flags & ROUTE_RATE_LIMIT)) {
        char key[AUTH_NAME_MAX + 2];
        unsigned wait =
            ratelimit_take(app->search_limit, key, http_client_key(ctx, key, sizeof key));
        if (wait > 0) {
            reply_problem(res, 429, "Too Many Requests",
                          "too many searches from this client; try again after Retry-After "
                          "seconds");
            res->retry_after = wait;
            return 1;
        }
    }
    return 0;
}

/* The headers' call: a request that cannot be read safely, or whose body
 * would be refused anyway, is answered now, before its body is read (and
 * before a 100 Continue goes out): the connection then closes, so a refused
 * body is never read, let alone kept. Others go on to their body. */
static enum MHD_Result http_on_headers(struct http_ctx *ctx)
{
    struct http_response res = {0};
    int has_body = 0;

    if (ctx->uri_too_long) {
        char detail[96];
        snprintf(detail, sizeof detail, "the request target is longer than %d bytes", HTTP_MAX_URI);
        reply_problem(&res, 414, NULL, detail);
    } else if (!http_framing_problem(ctx, &res, &has_body)) {
        if (!has_body)
            return MHD_YES; /* answered on a later call: keep-alive stays */
        if (ctx->routed == ROUTER_FOUND && ctx->route->body == ROUTE_BODY_NONE)
            ctx->unwanted_body = 1;
        else if (ctx->declared > 0 &&
                 atomic_load(&http_body_bytes) + ctx->declared > ctx->app->cfg.max_body_memory)
            ctx->over_memory = 1;
        if (!http_refusal(ctx, &res))
            return MHD_YES;
    }
    ctx->close = 1;
    return http_queue(ctx, &res);
}

/* A read's answer, made on a read thread (http_read_job), goes out. */
static int http_read_done(struct app *app, struct http_request *req, struct http_response *res)
{
    struct http_ctx *ctx = (struct http_ctx *)req;
    (void)app;
    *res = ctx->read_res;
    memset(&ctx->read_res, 0, sizeof ctx->read_res);
    return HANDLER_DONE;
}

/* Runs a read request's handler on a read thread, under --search-timeout:
 * past it SQLite stops the statement, and whatever the handler made of that
 * is replaced by the 503 that names the limit. */
static void http_read_job(void *arg)
{
    struct http_ctx *ctx = arg;
    struct app *app = ctx->app;
    struct http_response *res = &ctx->read_res;
    int rc;

#ifdef ARTICLED_TEST_HOOKS
    if (app->http != NULL && app->http->read_delay_ms > 0) {
        struct timespec ts = {app->http->read_delay_ms / 1000,
                              (long)(app->http->read_delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
#endif
    store_read_budget(app->cfg.search_timeout_ms);
    rc = ctx->route->handler(app, &ctx->req, res);
    if (rc == HANDLER_SUSPEND) { /* a read route never suspends */
        memset(res, 0, sizeof *res);
        reply_fail(res, ERR_INTERNAL, "a read handler suspended its request");
    }
    if (store_read_budget_exceeded()) {
        struct error err = {.code = ERR_TIMEOUT};
        metrics_limit(app->metrics, METRICS_LIMIT_SEARCH_TIMEOUT);
        free(res->body);
        free(res->location);
        memset(res, 0, sizeof *res);
        reply_error(res, &err);
    }
    store_read_budget(0);
    http_request_resume(&ctx->req);
}

static enum MHD_Result http_dispatch(struct http_ctx *ctx)
{
    struct http_response res = {0};
    struct app *app = ctx->app;
    int rc;

    if (http_refusal(ctx, &res))
        return http_queue(ctx, &res);
    if (ctx->body != NULL) {
        ctx->req.body = ctx->body;
        ctx->req.body_len = ctx->len;
    }
    if (http_parse_query(ctx) != 0) {
        reply_fail(&res, ERR_INVALID, "a query parameter holds a NUL byte (%00)");
        return http_queue(ctx, &res);
    }
    if (ctx->req.too_many_args) {
        reply_fail(&res, ERR_INVALID, "too many query parameters");
        return http_queue(ctx, &res);
    }
    if ((ctx->route->flags & ROUTE_READ_THREAD) && app->read_pool != NULL) {
        if (workpool_reserve(app->read_pool, app->cfg.search_queue) != 0) {
            metrics_limit(app->metrics, METRICS_LIMIT_SEARCH_QUEUE);
            reply_limit(&res, 503, "search-queue",
                        "every read thread is busy and --search-queue reads wait already; retry");
            return http_queue(ctx, &res);
        }
        http_request_suspend(&ctx->req, http_read_done, NULL, NULL);
        if (workpool_submit_reserved(app->read_pool, http_read_job, ctx) != 0) {
            reply_fail(&ctx->read_res, ERR_UNAVAILABLE, "the service is shutting down");
            http_request_resume(&ctx->req);
        }
        return MHD_YES;
    }
    rc = ctx->route->handler(app, &ctx->req, &res);
    if (rc == HANDLER_SUSPEND)
        return MHD_YES;
    return http_queue(ctx, &res);
}

static enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_data_size,
                                       void **con_cls)
{
    struct http_ctx *ctx = *con_cls;
    (void)version;

    if (ctx == NULL) { /* http_on_uri ran out of memory */
        *upload_data_size = 0;
        return MHD_NO;
    }
    (void)cls;
    (void)conn; /* the context has it (http_on_uri) */
    if (!ctx->begun) {
        if (http_ctx_begin(ctx, url, method) != 0)
            return MHD_NO;
        return http_on_headers(ctx);
    }
    if (*upload_data_size > 0) {
        http_ctx_append(ctx, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (ctx->replied)
        return MHD_YES;
    if (ctx->suspended) {
        /* Resumed after the group commit or a read thread: render the outcome. */
        struct http_response res = {0};
        ctx->suspended = 0;
        ctx->req.cont(ctx->app, &ctx->req, &res);
        return http_queue(ctx, &res);
    }
    return http_dispatch(ctx);
}

/* Whether a new connection is served: not once the shutdown has begun. This
 * and not MHD_quiesce_daemon, which races the epoll worker threads over the
 * listening socket (both remove it from the epoll set, and the loser of the
 * race aborts the process: an open libmicrohttpd defect, seen here as a
 * SIGABRT on SIGTERM, "Failed to remove listen FD from epoll set"). The
 * listening socket stays open until MHD_stop_daemon; a client that connects
 * meanwhile is closed at once. */
static enum MHD_Result http_accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
    struct http_server *srv = cls;

    (void)addr;
    (void)len;
    return atomic_load(&srv->refusing) ? MHD_NO : MHD_YES;
}

int http_server_start(struct app *app, struct http_server **out, unsigned *port, char *errbuf,
                      size_t errlen)
{
    struct http_server *srv = calloc(1, sizeof *srv);
    struct sockaddr_in sin4;
    struct sockaddr_in6 sin6;
    struct sockaddr *sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ITC | MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;

    *out = NULL;
    if (srv == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    srv->app = app;
#ifdef ARTICLED_TEST_HOOKS
    {
        const char *d = getenv("ARTICLED_TEST_READ_DELAY_MS");
        srv->read_delay_ms = d ? (unsigned)strtoul(d, NULL, 10) : 0;
    }
#endif
    memset(&sin4, 0, sizeof sin4);
    memset(&sin6, 0, sizeof sin6);
    if (inet_pton(AF_INET, app->cfg.bind, &sin4.sin_addr) == 1) {
        sin4.sin_family = AF_INET;
        sin4.sin_port = htons((uint16_t)app->cfg.port);
        sa = (struct sockaddr *)&sin4;
    } else if (inet_pton(AF_INET6, app->cfg.bind, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons((uint16_t)app->cfg.port);
        sa = (struct sockaddr *)&sin6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(errbuf, errlen, "--bind '%s' is not an IPv4 or IPv6 address", app->cfg.bind);
        free(srv);
        return -1;
    }
    /* published before the daemon's threads start (they read app->http) */
    *out = srv;
    srv->daemon = MHD_start_daemon(
        flags, 0, http_accept_policy, srv, http_on_request, app, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)app->cfg.threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)app->cfg.timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)app->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)app->cfg.max_per_ip, MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, app,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_URI_LOG_CALLBACK, http_on_uri,
        app, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        snprintf(errbuf, errlen, "cannot listen on %s port %u (in use, or not permitted)",
                 app->cfg.bind, app->cfg.port);
        *out = NULL;
        free(srv);
        return -1;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : app->cfg.port;
    return 0;
}

void http_server_quiesce(struct http_server *srv)
{
    atomic_store(&srv->refusing, 1);
}

unsigned http_server_connections(struct http_server *srv)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

void http_server_stop(struct http_server *srv)
{
    if (srv == NULL)
        return;
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
