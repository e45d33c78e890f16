/* Unit tests for the route table (handlers/routes.c), path matching
 * (server/router.c) and the key decision by route role (server/auth.c). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers/routes.h"
#include "server/auth.h"
#include "server/router.h"

static int is_get(const struct route *r)
{
    return strcmp(r->method, "GET") == 0;
}

/* A read: a GET, or the one read sent as a POST (a multi-search's queries
 * are its body). */
static int is_read(const struct route *r)
{
    return is_get(r) ||
           (strcmp(r->method, "POST") == 0 && strcmp(r->pattern, "/v1/search/_multi") == 0);
}

/* pattern with every {placeholder} replaced by "p<n>", in out. */
static void concrete_path(const char *pattern, char *out, size_t size)
{
    size_t o = 0;
    int n = 0;
    for (const char *p = pattern; *p != '\0' && o + 4 < size; p++) {
        if (*p == '{') {
            o += (size_t)snprintf(out + o, size - o, "p%d", n++);
            p = strchr(p, '}');
            cr_assert_not_null(p, "unclosed placeholder in %s", pattern);
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

Test(routes, every_row_is_complete)
{
    size_t n;
    const struct route *t = routes_table(&n);
    const char *methods[] = {"GET", "POST", "PUT", "DELETE"};

    cr_assert_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        int known = 0;
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
            known |= strcmp(t[i].method, methods[m]) == 0;
        cr_expect(known, "%s %s: method", t[i].method, t[i].pattern);
        cr_expect_eq(t[i].pattern[0], '/', "%s: pattern", t[i].pattern);
        cr_expect_not_null(t[i].handler, "%s %s: handler", t[i].method, t[i].pattern);
        cr_expect(t[i].role <= AUTH_ROLE_WRITE, "%s %s: role", t[i].method, t[i].pattern);
        cr_expect(t[i].body <= ROUTE_BODY_BULK, "%s %s: body", t[i].method, t[i].pattern);
        cr_expect_eq(t[i].flags & ~(ROUTE_READ_THREAD | ROUTE_RATE_LIMIT), 0u,
                     "%s %s: unknown flags", t[i].method, t[i].pattern);
        for (size_t j = 0; j < i; j++)
            cr_expect(strcmp(t[i].method, t[j].method) != 0 ||
                          strcmp(t[i].pattern, t[j].pattern) != 0,
                      "%s %s twice", t[i].method, t[i].pattern);
    }
}

/* GET and HEAD read (any key, or none with --public-read), and so does a
 * multi-search; every other method needs a write key; only the health
 * checks need none. */
Test(routes, key_roles_follow_the_method)
{
    size_t n, open = 0;
    const struct route *t = routes_table(&n);

    for (size_t i = 0; i < n; i++) {
        if (!is_read(&t[i]))
            cr_expect_eq(t[i].role, AUTH_ROLE_WRITE, "%s %s must need a write key", t[i].method,
                         t[i].pattern);
        else
            cr_expect_neq(t[i].role, AUTH_ROLE_WRITE, "GET %s", t[i].pattern);
        if (t[i].role == AUTH_ROLE_NONE) {
            open++;
            cr_expect(strcmp(t[i].pattern, "/healthz") == 0 ||
                          strcmp(t[i].pattern, "/readyz") == 0 || strcmp(t[i].pattern, "/") == 0 ||
                          strcmp(t[i].pattern, "/desk/{file}") == 0,
                      "%s %s needs no key", t[i].method, t[i].pattern);
        }
    }
    /* the desk page and its static assets hold no data: the page asks for the key */
    cr_expect_eq(open, 4, "/healthz, /readyz and the desk page, nothing else, need no key");
}

Test(routes, bodies_only_where_taken)
{
    size_t n, bulk = 0;
    const struct route *t = routes_table(&n);

    for (size_t i = 0; i < n; i++) {
        if (is_get(&t[i]) || strcmp(t[i].method, "DELETE") == 0)
            cr_expect_eq(t[i].body, ROUTE_BODY_NONE, "%s %s takes no body", t[i].method,
                         t[i].pattern);
        if (strcmp(t[i].method, "PUT") == 0)
            cr_expect_eq(t[i].body, ROUTE_BODY_ARTICLE, "PUT %s", t[i].pattern);
        if (t[i].body == ROUTE_BODY_BULK) {
            bulk++;
            cr_expect_str_eq(t[i].pattern, "/v1/articles/_bulk");
        }
    }
    cr_expect_eq(bulk, 1, "only _bulk takes --max-bulk");
}

/* Writes suspend on the group commit, which a read thread must not do; the
 * health checks and metrics answer on the HTTP threads, however busy the
 * read threads are; the search limit counts reads that run there. */
Test(routes, read_threads_and_rate_limit)
{
    size_t n, limited = 0;
    const struct route *t = routes_table(&n);

    for (size_t i = 0; i < n; i++) {
        int rt = (t[i].flags & ROUTE_READ_THREAD) != 0;
        /* everything but a read is a pipeline job, which runs on the
         * pipeline's threads */
        if (!is_read(&t[i]))
            cr_expect(!rt, "%s %s is a pipeline job: not on a read thread", t[i].method,
                      t[i].pattern);
        if (t[i].role == AUTH_ROLE_NONE || strcmp(t[i].pattern, "/metrics") == 0)
            cr_expect(!rt, "%s stays on the HTTP threads", t[i].pattern);
        if (t[i].flags & ROUTE_RATE_LIMIT) {
            limited++;
            cr_expect(rt, "%s %s: rate-limited reads run on a read thread", t[i].method,
                      t[i].pattern);
        }
    }
    cr_expect_eq(limited, 2, "only searches are rate-limited (single and multi)");
}

/* Each row's own path finds that row (no earlier row shadows it), HEAD
 * included for GET rows. */
Test(router, each_row_is_matched_by_its_own_path)
{
    size_t n;
    const struct route *t = routes_table(&n);

    for (size_t i = 0; i < n; i++) {
        char path[256], scratch[256], allow[64];
        const char *params[HTTP_MAX_PARAMS];
        const struct route *r = NULL;
        size_t index = n, nparams = 0;
        enum router_result rr;

        concrete_path(t[i].pattern, path, sizeof path);
        rr = router_match(t, n, t[i].method, path, &r, &index, params, &nparams, scratch, allow,
                          sizeof allow);
        cr_expect_eq(rr, ROUTER_FOUND, "%s %s", t[i].method, path);
        cr_expect_eq(index, i, "%s %s found row %zu", t[i].method, path, index);
        cr_expect_eq(r, &t[i]);
        if (strchr(t[i].pattern, '{') != NULL) {
            cr_expect_geq(nparams, 1);
            cr_expect_str_eq(params[0], "p0");
        }
        if (is_get(&t[i])) {
            rr = router_match(t, n, "HEAD", path, &r, &index, params, &nparams, scratch, allow,
                              sizeof allow);
            cr_expect_eq(rr, ROUTER_FOUND, "HEAD %s", path);
            cr_expect_eq(index, i);
        }
    }
}

Test(router, unknown_paths_and_methods)
{
    size_t n, index = 0, nparams = 0;
    const struct route *t = routes_table(&n), *r = NULL;
    char scratch[256], allow[64];
    const char *params[HTTP_MAX_PARAMS];

    cr_expect_eq(router_match(t, n, "GET", "/nope", &r, &index, params, &nparams, scratch, allow,
                              sizeof allow),
                 ROUTER_NOT_FOUND);
    cr_expect_eq(router_match(t, n, "GET", "/v1/articles/", &r, &index, params, &nparams, scratch,
                              allow, sizeof allow),
                 ROUTER_NOT_FOUND, "a placeholder matches no empty segment");
    cr_expect_eq(router_match(t, n, "PATCH", "/v1/articles/a", &r, &index, params, &nparams,
                              scratch, allow, sizeof allow),
                 ROUTER_BAD_METHOD);
    cr_expect_str_eq(allow, "GET, HEAD, PUT, DELETE");
    cr_expect_eq(router_match(t, n, "GET", "/v1/search", &r, &index, params, &nparams, scratch,
                              allow, sizeof allow),
                 ROUTER_FOUND);
    cr_expect(r->flags & ROUTE_RATE_LIMIT);
}

#define READ_KEY  "read-key-0123456789abcdef"
#define WRITE_KEY "write-key-0123456789abcdef"

static struct auth *auth_fixture(void)
{
    char dir[] = "/tmp/routes-auth-XXXXXX", path[64];
    const char text[] = READ_KEY " read reader\n" WRITE_KEY " write writer\n";
    struct error err = {0};
    struct auth *a = NULL;
    int fd;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/keys", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    cr_assert_eq(auth_load(path, &a, &err), 0, "%s", err.msg);
    unlink(path);
    rmdir(dir);
    return a;
}

Test(auth, the_route_role_decides)
{
    struct auth *a = auth_fixture();
    const char *name = "x";

    /* no key needed: nothing is looked at, not even a wrong key */
    cr_expect_eq(auth_check(a, NULL, AUTH_ROLE_NONE, 0, &name), AUTH_OK);
    cr_expect_null(name);
    cr_expect_eq(auth_check(a, "Bearer wrong-key-0123456789", AUTH_ROLE_NONE, 0, &name), AUTH_OK);
    cr_expect_null(name);

    /* reads */
    cr_expect_eq(auth_check(a, NULL, AUTH_ROLE_READ, 0, &name), AUTH_MISSING);
    cr_expect_eq(auth_check(a, NULL, AUTH_ROLE_READ, 1, &name), AUTH_OK, "--public-read");
    cr_expect_eq(auth_check(a, "Bearer " READ_KEY, AUTH_ROLE_READ, 0, &name), AUTH_OK);
    cr_expect_str_eq(name, "reader");
    cr_expect_eq(auth_check(a, "Bearer " WRITE_KEY, AUTH_ROLE_READ, 0, &name), AUTH_OK);
    cr_expect_str_eq(name, "writer");
    cr_expect_eq(auth_check(a, "Bearer wrong-key-0123456789", AUTH_ROLE_READ, 1, &name),
                 AUTH_INVALID, "a key that is sent is checked, also with --public-read");

    /* writes */
    cr_expect_eq(auth_check(a, NULL, AUTH_ROLE_WRITE, 1, &name), AUTH_MISSING,
                 "--public-read opens reads only");
    cr_expect_eq(auth_check(a, "Bearer " READ_KEY, AUTH_ROLE_WRITE, 1, &name), AUTH_FORBIDDEN);
    cr_expect_str_eq(name, "reader");
    cr_expect_eq(auth_check(a, "Bearer " WRITE_KEY, AUTH_ROLE_WRITE, 0, &name), AUTH_OK);
    cr_expect_str_eq(name, "writer");

    /* no key file: open */
    cr_expect_eq(auth_check(NULL, NULL, AUTH_ROLE_WRITE, 0, &name), AUTH_OK);
    auth_free(a);
}
