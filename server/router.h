/* router.h: what a route is (method, path pattern, handler and its policy)
 * and path matching against a table of them. The table itself lives with the
 * handlers (handlers/routes.c) and reaches the server as app->routes: the
 * server decides keys, body caps, read threads and rate limits from a row's
 * fields, never from its pattern. Patterns are literal segments and
 * {placeholders}, each matching one non-empty segment. */
#ifndef ARTICLED_ROUTER_H
#define ARTICLED_ROUTER_H

#include <stddef.h>

#include "server/auth.h"
#include "server/http.h"

/* Which size cap applies to a route's request body. */
enum route_body {
    ROUTE_BODY_NONE,    /* takes no body: one is refused (413) before it is read */
    ROUTE_BODY_ARTICLE, /* one JSON article, up to --max-body */
    ROUTE_BODY_BULK,    /* NDJSON lines, up to --max-bulk */
};

/* A route's other policy (struct route.flags). */
#define ROUTE_READ_THREAD 1u /* runs on a read thread under --search-timeout, not an HTTP thread */
#define ROUTE_RATE_LIMIT  2u /* counted by the per-client --search-rate limit */

struct route {
    const char *method;
    const char *pattern;
    http_handler_fn handler;
    enum auth_role role;  /* the key it needs with --api-key-file (AUTH_ROLE_NONE: never asks) */
    enum route_body body; /* which size cap applies to the request body */
    unsigned flags;       /* ROUTE_* */
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD };

/* Matches method and path against routes[0, n) (HEAD matches a GET route).
 * On ROUTER_FOUND, *route is the entry and params (capacity HTTP_MAX_PARAMS,
 * pointing into scratch, which must hold strlen(path)+1 bytes) the
 * placeholders. On ROUTER_BAD_METHOD, allow (capacity allow_len) lists the
 * methods the path accepts. *index is the route's position, for metrics. */
enum router_result router_match(const struct route *routes, size_t n, const char *method,
                                const char *path, const struct route **route, size_t *index,
                                const char **params, size_t *nparams, char *scratch, char *allow,
                                size_t allow_len);

#endif
