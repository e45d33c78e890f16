/* http.h: the HTTP layer between libmicrohttpd and the handlers. A handler sees
 * a parsed request (method, path parameters, query arguments, body) and fills a
 * response; it never touches libmicrohttpd itself. Writes that wait for the
 * group commit suspend the connection and finish on a continuation. */
#ifndef ARTICLED_HTTP_H
#define ARTICLED_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct MHD_Connection;

#define HTTP_MAX_ARGS   32
#define HTTP_MAX_PARAMS 4

struct http_arg {
    const char *key;
    const char *value; /* NULL for a key without '=' */
};

struct http_request;

/* A body written while it is sent, in chunked transfer coding: for an answer
 * that would otherwise be held whole until its end (a 10,000-line _bulk
 * answer is 13 MB). It copies up to max bytes into buf and returns how many;
 * or HTTP_STREAM_END after the last byte; or HTTP_STREAM_ERROR to cut the
 * connection (the client sees a chunked body without its end). When nothing
 * is ready it calls http_stream_park(req) and returns 0, and the producer
 * wakes it with http_request_resume. Runs on an HTTP thread. */
typedef long (*http_stream_fn)(struct http_request *req, char *buf, size_t max);
#define HTTP_STREAM_END   (-1L)
#define HTTP_STREAM_ERROR (-2L)

struct http_response {
    unsigned status;
    char *body; /* owned; NULL for no body */
    size_t len;
    http_stream_fn stream;    /* when set, the body comes from it (body, len unused) */
    int stream_endless;       /* the stream ends when its client leaves (no warning then) */
    const char *content_type; /* static string */
    char *location;           /* owned; adds a Location header */
    const char *allow;        /* static; adds Allow (405) */
    unsigned retry_after;     /* seconds; adds Retry-After when > 0 */
    const char *cache_control; /* static; adds Cache-Control when set */
    int etag;                  /* a 200's body gets an ETag; If-None-Match then answers 304 */
    const char *csp;           /* static; adds Content-Security-Policy (the desk page) */
};

typedef int (*http_continue_fn)(struct app *app, struct http_request *req,
                                struct http_response *res);

struct http_request {
    const char *method;
    const char *path;
    const char *params[HTTP_MAX_PARAMS]; /* {placeholders} of the route, in order */
    size_t nparams;
    const char *body; /* NUL-terminated; "" when none */
    size_t body_len;
    struct http_arg args[HTTP_MAX_ARGS];
    size_t nargs;
    int too_many_args;
    const char *route_name; /* pattern, for metrics */
    /* private to http.c */
    struct MHD_Connection *conn;
    http_continue_fn cont;
    void *state;
    void (*state_free)(void *state);
};

enum handler_result { HANDLER_DONE = 0, HANDLER_SUSPEND = 1 };

/* The handler signature: fill res and return HANDLER_DONE, or call
 * http_request_suspend and return HANDLER_SUSPEND. */
typedef int (*http_handler_fn)(struct app *app, struct http_request *req,
                               struct http_response *res);

/* First query argument named key, or NULL. "present" tells a bare key apart. */
const char *http_request_arg(const struct http_request *req, const char *key, int *present);

/* Every query argument named key, in order: up to max of their values (a
 * bare key's as NULL) in out, borrowed from req. Returns how many there are,
 * which may be more than max (the caller tells "too many" apart). */
size_t http_request_args(const struct http_request *req, const char *key, const char **out,
                         size_t max);

/* Request header value (case-insensitive name), or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);

/* Suspends req until http_request_resume; then cont(app, req, res) renders the
 * answer on an HTTP thread. state is owned by the request from now on and freed
 * with state_free (may be NULL) when the request ends. Call before handing work
 * to another thread, so that resume can never come before suspend. */
void http_request_suspend(struct http_request *req, http_continue_fn cont, void *state,
                          void (*state_free)(void *state));

/* Wakes a suspended request, or a parked stream; safe from any thread, but
 * only after the suspend (or park) it answers. */
void http_request_resume(struct http_request *req);

/* The socket of req's connection (owned by the server: only poll it, and only
 * while req is suspended or parked), or -1. */
int http_request_fd(const struct http_request *req);

/* Gives req state (owned by the request from now on, freed with state_free
 * when the request ends) without suspending it: for a streamed answer. */
void http_request_keep(struct http_request *req, void *state, void (*state_free)(void *state));

/* Takes the request's body buffer (NUL-terminated, req->body_len bytes): the
 * caller frees it with http_body_free, so it can outlive a request whose
 * client went away (it counts against --max-body-memory until then). */
char *http_request_take_body(struct http_request *req);

/* Frees a body taken with http_request_take_body. NULL-safe. */
void http_body_free(char *body);

/* Request body bytes held in memory now (against --max-body-memory). */
size_t http_body_memory(void);

/* Inside a stream function with nothing to send: sleeps until resumed. */
void http_stream_park(struct http_request *req);

/* body[0, upto) of a buffer of len bytes will not be read again: the whole
 * pages inside it go back to the system (they read as zeros from now on).
 * For a large body parsed front to back while it is processed (_bulk). */
void http_body_consumed(const char *body, size_t len, size_t upto);

struct http_server;

/* Starts listening as app->cfg says. Returns 0 and a new server, or -1 with a
 * message in errbuf. The chosen port is in *port. */
int http_server_start(struct app *app, struct http_server **out, unsigned *port, char *errbuf,
                      size_t errlen);

/* Stops serving new connections (each is closed as it comes; in-flight ones
 * go on). */
void http_server_quiesce(struct http_server *srv);

/* Connections open now. */
unsigned http_server_connections(struct http_server *srv);

/* Stops the daemon and frees srv. NULL-safe. */
void http_server_stop(struct http_server *srv);

#endif
