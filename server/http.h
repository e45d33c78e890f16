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

struct http_response {
    unsigned status;
    char *body; /* owned; NULL for no body */
    size_t len;
    const char *content_type; /* static string */
    char *location;           /* owned; adds a Location header */
    const char *allow;        /* static; adds Allow (405) */
    unsigned retry_after;     /* seconds; adds Retry-After when > 0 */
};

struct http_request;
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

/* Request header value (case-insensitive name), or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);

/* Suspends req until http_request_resume; then cont(app, req, res) renders the
 * answer on an HTTP thread. state is owned by the request from now on and freed
 * with state_free (may be NULL) when the request ends. Call before handing work
 * to another thread, so that resume can never come before suspend. */
void http_request_suspend(struct http_request *req, http_continue_fn cont, void *state,
                          void (*state_free)(void *state));

/* Wakes a suspended request; safe from any thread. */
void http_request_resume(struct http_request *req);

/* The handler will not read body[0, upto) again: the whole pages inside it go
 * back to the system (they read as zeros from now on). For a large body that
 * is parsed front to back while it is processed (_bulk). Any thread. */
void http_request_body_consumed(struct http_request *req, size_t upto);

struct http_server;

/* Starts listening as app->cfg says. Returns 0 and a new server, or -1 with a
 * message in errbuf. The chosen port is in *port. */
int http_server_start(struct app *app, struct http_server **out, unsigned *port, char *errbuf,
                      size_t errlen);

/* Stops accepting new connections (in-flight ones go on). */
void http_server_quiesce(struct http_server *srv);

/* Connections open now. */
unsigned http_server_connections(struct http_server *srv);

/* Stops the daemon and frees srv. NULL-safe. */
void http_server_stop(struct http_server *srv);

#endif
