/* router.h: the routing table, method + path pattern -> handler. Patterns are
 * literal segments and {placeholders}, each matching one non-empty segment. */
#ifndef ARTICLED_ROUTER_H
#define ARTICLED_ROUTER_H

#include <stddef.h>

#include "server/http.h"

enum route_body { ROUTE_BODY_NONE, ROUTE_BODY_ARTICLE, ROUTE_BODY_BULK };

/* A route's policy (struct route.flags). */
#define ROUTE_OPEN        1u /* no key needed, even with --api-key-file (health checks) */
#define ROUTE_READ_THREAD 2u /* runs on a read thread under --search-timeout, not an HTTP thread   \
                              */
#define ROUTE_RATE_LIMIT 4u  /* counted by the per-client --search-rate limit */

struct route {
    const char *method;
    const char *pattern;
    http_handler_fn handler;
    enum route_body body; /* which size cap applies to the request body (NONE: no body) */
    unsigned flags;       /* ROUTE_* */
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD };

/* Matches method and path against the table. On ROUTER_FOUND, *route is the
 * entry and params (capacity HTTP_MAX_PARAMS, pointing into scratch, which must
 * hold strlen(path)+1 bytes) the placeholders. On ROUTER_BAD_METHOD, allow
 * (capacity allow_len) lists the methods the path accepts. *index is the
 * route's position, for metrics. */
enum router_result router_match(const char *method, const char *path, const struct route **route,
                                size_t *index, const char **params, size_t *nparams, char *scratch,
                                char *allow, size_t allow_len);

/* The table and its size. */
const struct route *router_routes(size_t *n);

#endif
