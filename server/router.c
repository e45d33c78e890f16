/* router.c: the routing table and path matching (see router.h). */
#include "server/router.h"

#include <stdio.h>
#include <string.h>

#include "handlers/handlers.h"

static const struct route routes[] = {
    {"GET", "/healthz", handle_healthz, ROUTE_BODY_NONE, ROUTE_OPEN},
    {"GET", "/readyz", handle_readyz, ROUTE_BODY_NONE, ROUTE_OPEN},
    {"GET", "/metrics", handle_metrics, ROUTE_BODY_NONE, 0},
    {"GET", "/openapi.yaml", handle_openapi, ROUTE_BODY_NONE, 0},
    {"POST", "/v1/articles/_bulk", handle_bulk, ROUTE_BODY_BULK, 0},
    {"POST", "/v1/articles", handle_article_create, ROUTE_BODY_ARTICLE, 0},
    {"GET", "/v1/articles", handle_article_list, ROUTE_BODY_NONE, ROUTE_READ_THREAD},
    {"GET", "/v1/articles/{id}", handle_article_get, ROUTE_BODY_NONE, ROUTE_READ_THREAD},
    {"PUT", "/v1/articles/{id}", handle_article_put, ROUTE_BODY_ARTICLE, 0},
    {"DELETE", "/v1/articles/{id}", handle_article_delete, ROUTE_BODY_NONE, 0},
    {"GET", "/v1/articles/{id}/duplicates", handle_article_duplicates, ROUTE_BODY_NONE,
     ROUTE_READ_THREAD},
    {"POST", "/v1/duplicates/_check", handle_duplicates_check, ROUTE_BODY_ARTICLE, 0},
    {"GET", "/v1/articles/{id}/entities", handle_article_entities, ROUTE_BODY_NONE,
     ROUTE_READ_THREAD},
    {"GET", "/v1/entities", handle_entity_list, ROUTE_BODY_NONE, ROUTE_READ_THREAD},
    {"GET", "/v1/entities/{id}", handle_entity_get, ROUTE_BODY_NONE, ROUTE_READ_THREAD},
    {"GET", "/v1/entities/{id}/articles", handle_entity_articles, ROUTE_BODY_NONE,
     ROUTE_READ_THREAD},
    {"GET", "/v1/entities/{id}/related", handle_entity_related, ROUTE_BODY_NONE, ROUTE_READ_THREAD},
    {"GET", "/v1/search", handle_search, ROUTE_BODY_NONE, ROUTE_READ_THREAD | ROUTE_RATE_LIMIT},
    {"POST", "/v1/admin/snapshot", handle_admin_snapshot, ROUTE_BODY_NONE, 0},
};

#define NROUTES (sizeof routes / sizeof routes[0])

const struct route *router_routes(size_t *n)
{
    *n = NROUTES;
    return routes;
}

/* Splits path (copied into scratch) into segments and matches them against
 * pattern's; fills params with the placeholder segments. */
static int router_path_matches(const char *pattern, const char *path, const char **params,
                               size_t *nparams, char *scratch)
{
    char *segs[16];
    size_t nsegs = 0, i = 0, n = 0;
    const char *p = pattern + 1;
    char *s;

    if (path[0] != '/')
        return 0;
    strcpy(scratch, path + 1);
    s = scratch;
    for (;;) {
        char *slash;
        if (nsegs == sizeof segs / sizeof segs[0])
            return 0;
        segs[nsegs++] = s;
        slash = strchr(s, '/');
        if (slash == NULL)
            break;
        *slash = '\0';
        s = slash + 1;
    }
    for (;;) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (i >= nsegs)
            return 0;
        if (p[0] == '{') {
            if (segs[i][0] == '\0' || n == HTTP_MAX_PARAMS)
                return 0;
            params[n++] = segs[i];
        } else if (strlen(segs[i]) != len || strncmp(segs[i], p, len) != 0) {
            return 0;
        }
        i++;
        if (end == NULL)
            break;
        p = end + 1;
    }
    if (i != nsegs)
        return 0;
    *nparams = n;
    return 1;
}

enum router_result router_match(const char *method, const char *path, const struct route **route,
                                size_t *index, const char **params, size_t *nparams, char *scratch,
                                char *allow, size_t allow_len)
{
    int path_known = 0;

    allow[0] = '\0';
    for (size_t i = 0; i < NROUTES; i++) {
        const char *m = routes[i].method;
        if (!router_path_matches(routes[i].pattern, path, params, nparams, scratch))
            continue;
        if (strcmp(m, method) == 0 || (strcmp(m, "GET") == 0 && strcmp(method, "HEAD") == 0)) {
            *route = &routes[i];
            *index = i;
            return ROUTER_FOUND;
        }
        if (!path_known || strstr(allow, m) == NULL) {
            size_t len = strlen(allow);
            snprintf(allow + len, allow_len - len, "%s%s%s", len ? ", " : "", m,
                     strcmp(m, "GET") == 0 ? ", HEAD" : "");
        }
        path_known = 1;
    }
    return path_known ? ROUTER_BAD_METHOD : ROUTER_NOT_FOUND;
}
