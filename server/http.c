/* http.c: libmicrohttpd glue (see http.h). The daemon runs its own epoll
 * thread pool; each request gets a context that routes it, accumulates its body
 * under a cap, dispatches to a handler on the final call and, for writes,
 * suspends the connection until the group commit resumes it. */
#include "server/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "analysis/utf8.h"
#include "handlers/reply.h"
#include "server/app.h"
#include "server/auth.h"
#include "server/log.h"
#include "server/ratelimit.h"
#include "server/router.h"

/* Seconds a browser may cache a CORS preflight answer. */
#define HTTP_CORS_MAX_AGE "600"

struct http_server {
    struct MHD_Daemon *daemon;
    struct app *app;
};

struct http_ctx {
    struct http_request req;
    struct app *app;
    const struct route *route;
    size_t route_index; /* == number of routes when unmatched */
    enum router_result routed;
    char allow[64];
    char *scratch; /* path segments for params */
    char *body;
    size_t len, cap, limit;
    size_t declared; /* Content-Length, when given and within the limit; else 0 */
    int too_big;
    int suspended;
    int replied;
    http_stream_fn stream; /* a streamed answer: logged when it ends */
    unsigned stream_status;
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

void http_stream_park(struct http_request *req)
{
    /* microhttpd's way for a content reader with nothing to give: suspend,
     * return 0, and be called again once resumed */
    MHD_suspend_connection(req->conn);
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

static enum MHD_Result http_collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    struct http_request *req = cls;
    (void)kind;
    if (req->nargs == HTTP_MAX_ARGS) {
        req->too_many_args = 1;
        return MHD_NO;
    }
    req->args[req->nargs++] = (struct http_arg){key, value};
    return MHD_YES;
}

/* The access log line and the route's metrics, once the answer is out. */
static void http_log(struct http_ctx *ctx, unsigned status, size_t len)
{
    long long us = http_elapsed_us(&ctx->start);
    const char *path = ctx->req.path;
    metrics_observe(ctx->app->metrics, ctx->route_index, status, us);
    if (utf8_check(path, strlen(path), NULL) != 0)
        path = "(invalid UTF-8)";
    log_access(ctx->req.method, path, status, len, us, ctx->key_name);
}

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

/* Turns res into an MHD response, queues it and writes the access log line. */
static enum MHD_Result http_queue(struct http_ctx *ctx, struct http_response *res)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    size_t len = res->len;
    char ra[24];

    if (res->status == 0)
        reply_problem(res, 500, "Internal Server Error", "the handler produced no answer");
    if (res->stream != NULL) {
        ctx->stream = res->stream;
        ctx->stream_status = res->status;
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
    if (res->retry_after > 0) {
        snprintf(ra, sizeof ra, "%u", res->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (atomic_load(&ctx->app->stopping))
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
    free(ctx->scratch);
    free(ctx->body);
    free(ctx);
}

static void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct http_ctx *ctx = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    /* a streamed answer is logged when it ends, with the bytes it sent */
    if (ctx != NULL && ctx->stream != NULL)
        http_log(ctx, ctx->stream_status, ctx->stream_sent);
    http_ctx_free(ctx);
    *con_cls = NULL;
}

/* Decides CORS and access from the headers: whether the Origin is the
 * configured one, whether this is a preflight (which needs no key), and what
 * the key allows. /healthz and /readyz are always open. */
static void http_ctx_access(struct http_ctx *ctx)
{
    struct app *app = ctx->app;
    const char *origin = MHD_lookup_connection_value(ctx->req.conn, MHD_HEADER_KIND, "Origin");
    const char *m = ctx->req.method;
    int write = strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;

    ctx->auth = AUTH_OK;
    ctx->cors = app->cfg.cors_origin[0] != '\0' && origin != NULL &&
                strcmp(origin, app->cfg.cors_origin) == 0;
    ctx->preflight = ctx->cors && ctx->routed == ROUTER_BAD_METHOD && strcmp(m, "OPTIONS") == 0 &&
                     MHD_lookup_connection_value(ctx->req.conn, MHD_HEADER_KIND,
                                                 "Access-Control-Request-Method") != NULL;
    if (ctx->routed != ROUTER_FOUND || strcmp(ctx->route->pattern, "/healthz") == 0 ||
        strcmp(ctx->route->pattern, "/readyz") == 0)
        return;
    ctx->auth = auth_check(
        app->auth,
        MHD_lookup_connection_value(ctx->req.conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        write, app->cfg.public_read, &ctx->key_name);
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

/* Creates the context on the first call: route, size cap, early 413. */
static struct http_ctx *http_ctx_new(struct app *app, struct MHD_Connection *conn, const char *url,
                                     const char *method)
{
    struct http_ctx *ctx = calloc(1, sizeof *ctx);
    size_t nroutes;
    const char *cl;

    if (ctx == NULL)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &ctx->start);
    ctx->app = app;
    ctx->req.conn = conn;
    ctx->req.method = method;
    ctx->req.path = url;
    ctx->req.body = "";
    ctx->scratch = malloc(strlen(url) + 1);
    if (ctx->scratch == NULL) {
        free(ctx);
        return NULL;
    }
    router_routes(&nroutes);
    ctx->route_index = nroutes;
    ctx->routed = router_match(method, url, &ctx->route, &ctx->route_index, ctx->req.params,
                               &ctx->req.nparams, ctx->scratch, ctx->allow, sizeof ctx->allow);
    if (ctx->routed == ROUTER_FOUND)
        ctx->req.route_name = ctx->route->pattern;
    else
        ctx->route_index = nroutes;
    ctx->limit = ctx->routed == ROUTER_FOUND && ctx->route->body == ROUTE_BODY_BULK
                     ? app->cfg.max_bulk
                     : app->cfg.max_body;
    cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        unsigned long long declared = strtoull(cl, NULL, 10);
        if (declared > ctx->limit)
            ctx->too_big = 1;
        else
            ctx->declared = (size_t)declared;
    }
    http_ctx_access(ctx);
    return ctx;
}

/* Appends upload data, or remembers that the body grew past the cap. */
static void http_ctx_append(struct http_ctx *ctx, const char *data, size_t n)
{
    if (ctx->too_big || ctx->auth != AUTH_OK || ctx->preflight)
        return; /* a request refused for its key or a preflight keeps no body */
    if (ctx->len + n > ctx->limit) {
        ctx->too_big = 1;
        free(ctx->body);
        ctx->body = NULL;
        ctx->len = ctx->cap = 0;
        return;
    }
    if (ctx->len + n + 1 > ctx->cap) {
        size_t cap = ctx->cap ? ctx->cap : 16384;
        char *bigger;
        while (cap < ctx->len + n + 1)
            cap *= 2;
        if (cap > ctx->limit + 1)
            cap = ctx->limit + 1;
        /* no more than the declared length: doubling past it held a 13 MB
         * _bulk body in a 16 MB buffer (and it never reserves more than
         * twice what has come, however large the declared length) */
        if (ctx->declared >= ctx->len + n && cap > ctx->declared + 1)
            cap = ctx->declared + 1;
        bigger = realloc(ctx->body, cap);
        if (bigger == NULL) {
            ctx->too_big = 1; /* treated as too large for this server */
            free(ctx->body);
            ctx->body = NULL;
            ctx->len = ctx->cap = 0;
            return;
        }
        ctx->body = bigger;
        ctx->cap = cap;
    }
    memcpy(ctx->body + ctx->len, data, n);
    ctx->len += n;
    ctx->body[ctx->len] = '\0';
}

static enum MHD_Result http_dispatch(struct http_ctx *ctx)
{
    struct http_response res = {0};
    struct app *app = ctx->app;
    int rc;

    if (atomic_load(&app->stopping)) {
        reply_problem(&res, 503, "Service Unavailable", "the service is shutting down");
        res.retry_after = 1;
        return http_queue(ctx, &res);
    }
    if (ctx->routed == ROUTER_NOT_FOUND) {
        reply_problem(&res, 404, "Not Found", "no resource at this path");
        return http_queue(ctx, &res);
    }
    if (ctx->preflight) {
        res.status = 204;
        return http_queue(ctx, &res);
    }
    if (ctx->routed == ROUTER_BAD_METHOD) {
        char detail[128];
        snprintf(detail, sizeof detail, "this path accepts %s", ctx->allow);
        reply_problem(&res, 405, "Method Not Allowed", detail);
        res.allow = ctx->allow;
        return http_queue(ctx, &res);
    }
    if (ctx->auth == AUTH_MISSING || ctx->auth == AUTH_INVALID) {
        reply_problem(&res, 401, "Unauthorized",
                      ctx->auth == AUTH_MISSING
                          ? "this request needs an API key: Authorization: Bearer <key>"
                          : "the API key is not valid");
        return http_queue(ctx, &res);
    }
    if (ctx->auth == AUTH_FORBIDDEN) {
        reply_problem(&res, 403, "Forbidden", "this API key may only read");
        return http_queue(ctx, &res);
    }
    if (app->search_limit != NULL && strcmp(ctx->route->pattern, "/v1/search") == 0) {
        char key[AUTH_NAME_MAX + 2];
        unsigned wait =
            ratelimit_take(app->search_limit, key, http_client_key(ctx, key, sizeof key));
        if (wait > 0) {
            reply_problem(&res, 429, "Too Many Requests",
                          "too many searches from this client; try again after Retry-After "
                          "seconds");
            res.retry_after = wait;
            return http_queue(ctx, &res);
        }
    }
    if (ctx->too_big) {
        char detail[128];
        snprintf(detail, sizeof detail, "the request body is larger than the limit of %zu bytes",
                 ctx->limit);
        reply_problem(&res, 413, "Content Too Large", detail);
        return http_queue(ctx, &res);
    }
    if (ctx->body != NULL) {
        ctx->req.body = ctx->body;
        ctx->req.body_len = ctx->len;
    }
    MHD_get_connection_values(ctx->req.conn, MHD_GET_ARGUMENT_KIND, http_collect_arg, &ctx->req);
    if (ctx->req.too_many_args) {
        reply_problem(&res, 400, "Bad Request", "too many query parameters");
        return http_queue(ctx, &res);
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

    if (ctx == NULL) {
        /* First call: headers only. Answer on a later call (see STYLE.md). */
        ctx = http_ctx_new(cls, conn, url, method);
        if (ctx == NULL)
            return MHD_NO;
        *con_cls = ctx;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        http_ctx_append(ctx, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (ctx->replied)
        return MHD_YES;
    if (ctx->suspended) {
        /* Resumed after the group commit: render the outcome. */
        struct http_response res = {0};
        ctx->suspended = 0;
        ctx->req.cont(ctx->app, &ctx->req, &res);
        return http_queue(ctx, &res);
    }
    return http_dispatch(ctx);
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
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, http_on_request, app, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)app->cfg.threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)app->cfg.timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)app->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)app->cfg.max_per_ip, MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, app,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        snprintf(errbuf, errlen, "cannot listen on %s port %u (in use, or not permitted)",
                 app->cfg.bind, app->cfg.port);
        free(srv);
        return -1;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : app->cfg.port;
    *out = srv;
    return 0;
}

void http_server_quiesce(struct http_server *srv)
{
    MHD_socket s = MHD_quiesce_daemon(srv->daemon);
    if (s != MHD_INVALID_SOCKET)
        close(s);
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
