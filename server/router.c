/* router.c: path matching against a route table (see router.h). */
#include "server/router.h"

#include <stdio.h>
#include <string.h>

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

enum router_result router_match(const struct route *routes, size_t n, const char *method,
                                const char *path, const struct route **route, size_t *index,
                                const char **params, size_t *nparams, char *scratch, char *allow,
                                size_t allow_len)
{
    int path_known = 0;

    allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
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
