/* Black-box tests of the service's defences: API keys and roles (401/403, the
 * key's name in the access log and never the key), key files the server must
 * refuse, CORS for the one configured origin and its preflights, the search
 * rate limit (429 + Retry-After, recovery, per-key buckets), slow clients, the
 * JSON nesting cap, and POST /v1/admin/snapshot (a consistent copy that opens
 * with SQLite, no overwrite, no path tricks, write key only). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apitest.h"
#include "security.h"

#define ORIGIN "https://newsroom.example"
#define JSON   "application/json"
#define NDJSON "application/x-ndjson"

static struct apitest_server srv;

static void stop_clean(struct apitest_server *s)
{
    cr_expect_eq(apitest_stop(s), 0, "server did not exit 0 on SIGTERM");
    apitest_cleanup(s);
}

static void start_with_keys(void)
{
    cr_assert_eq(sec_start_with_keys(&srv, sec_keys_text, NULL), 0, "server did not start");
}

static void teardown(void)
{
    stop_clean(&srv);
}

static const char *header(const struct apitest_resp *r, const char *name)
{
    static char buf[8][512];
    static int next;
    char *out = buf[next++ % 8];
    return apitest_header(r, name, out, 512) ? out : NULL;
}

/* Sends and returns the status (0 on a transport error); r is freed. */
static long status_of(const struct apitest_server *s, const char *method, const char *path,
                      const char *key, const char *ctype, const char *body)
{
    struct apitest_resp r;
    long st;
    sec_request(s, method, path, key, NULL, ctype, body, &r);
    st = r.status;
    apitest_resp_free(&r);
    return st;
}

/* ------------------------------------------------------------------------ */
/* API keys and roles                                                        */

TestSuite(auth, .init = start_with_keys, .fini = teardown, .timeout = 60);

struct route_case {
    const char *method, *path, *ctype, *body;
    int write;
};

static const struct route_case route_cases[] = {
    {"GET", "/v1/articles", NULL, NULL, 0},
    {"GET", "/v1/articles/s-1", NULL, NULL, 0},
    {"HEAD", "/v1/articles/s-1", NULL, NULL, 0},
    {"GET", "/v1/search?q=storm", NULL, NULL, 0},
    {"GET", "/v1/articles/s-1/duplicates", NULL, NULL, 0},
    {"GET", "/v1/entities", NULL, NULL, 0},
    {"GET", "/metrics", NULL, NULL, 0},
    {"GET", "/openapi.yaml", NULL, NULL, 0},
    {"PUT", "/v1/articles/w-1", JSON, "{\"title\":\"Put\",\"body\":\"Put body.\"}", 1},
    {"POST", "/v1/articles", JSON, "{\"title\":\"New\",\"body\":\"A new body.\"}", 1},
    {"POST", "/v1/articles/_bulk", NDJSON, "{\"id\":\"b-1\",\"title\":\"B\",\"body\":\"Bulk.\"}\n",
     1},
    {"POST", "/v1/duplicates/_check", JSON, "{\"title\":\"t\",\"body\":\"A storm.\"}", 1},
    {"DELETE", "/v1/articles/nothing-here", NULL, NULL, 1},
};

Test(auth, every_key_against_read_and_write_routes)
{
    struct apitest_resp r;

    sec_request(&srv, "POST", "/v1/articles", SEC_WRITE_KEY, NULL, JSON,
                "{\"id\":\"s-1\",\"title\":\"Storm\",\"body\":\"A storm hit the coast.\"}", &r);
    cr_assert_eq(r.status, 201, "%s", r.body);
    apitest_resp_free(&r);

    for (size_t i = 0; i < sizeof route_cases / sizeof route_cases[0]; i++) {
        const struct route_case *c = &route_cases[i];
        int head = strcmp(c->method, "HEAD") == 0;
        const char *www;

        /* no key: 401 with a Bearer challenge */
        sec_request(&srv, c->method, c->path, NULL, NULL, c->ctype, c->body, &r);
        cr_expect_eq(r.status, 401, "%s %s without a key: %ld", c->method, c->path, r.status);
        cr_expect(head || apitest_is_problem(&r, 401), "%s %s: %s", c->method, c->path, r.body);
        www = header(&r, "WWW-Authenticate");
        cr_expect(www != NULL && strncmp(www, "Bearer", 6) == 0, "%s %s: WWW-Authenticate %s",
                  c->method, c->path, www ? www : "(none)");
        apitest_resp_free(&r);

        /* a key nobody configured: 401, invalid_token */
        sec_request(&srv, c->method, c->path, "not-a-configured-key-0000", NULL, c->ctype, c->body,
                    &r);
        cr_expect_eq(r.status, 401, "%s %s with a wrong key: %ld", c->method, c->path, r.status);
        www = header(&r, "WWW-Authenticate");
        cr_expect(www != NULL && strstr(www, "invalid_token") != NULL, "%s", www ? www : "(none)");
        apitest_resp_free(&r);

        /* the read key: reads yes, writes 403 */
        sec_request(&srv, c->method, c->path, SEC_READ_KEY, NULL, c->ctype, c->body, &r);
        if (c->write) {
            cr_expect(apitest_is_problem(&r, 403), "%s %s with the read key: %ld %s", c->method,
                      c->path, r.status, r.body);
        } else {
            cr_expect_eq(r.status, 200, "%s %s with the read key: %ld %s", c->method, c->path,
                         r.status, r.body);
        }
        apitest_resp_free(&r);

        /* the write key: everything (a 404 is the route's own answer) */
        sec_request(&srv, c->method, c->path, SEC_WRITE_KEY, NULL, c->ctype, c->body, &r);
        cr_expect((r.status >= 200 && r.status < 300) ||
                      (r.status == 404 && strcmp(c->method, "DELETE") == 0),
                  "%s %s with the write key: %ld %s", c->method, c->path, r.status, r.body);
        apitest_resp_free(&r);
    }
}

Test(auth, health_checks_stay_open)
{
    cr_expect_eq(status_of(&srv, "GET", "/healthz", NULL, NULL, NULL), 200);
    cr_expect_eq(status_of(&srv, "GET", "/readyz", NULL, NULL, NULL), 200);
    cr_expect_eq(status_of(&srv, "HEAD", "/healthz", NULL, NULL, NULL), 200);
    cr_expect_eq(status_of(&srv, "GET", "/healthz", "wrong-key-but-long-enough", NULL, NULL), 200);
    /* routing answers come before the key check */
    cr_expect_eq(status_of(&srv, "GET", "/v1/nothing", NULL, NULL, NULL), 404);
    cr_expect_eq(status_of(&srv, "PATCH", "/v1/articles", NULL, NULL, NULL), 405);
}

Test(auth, authorization_header_forms)
{
    static const struct {
        const char *header;
        long want;
    } cases[] = {
        {"Authorization: Bearer " SEC_READ_KEY, 200},
        {"Authorization: bearer " SEC_READ_KEY, 200},
        {"Authorization: BEARER   " SEC_READ_KEY "  ", 200},
        {"Authorization: Basic " SEC_READ_KEY, 401},
        {"Authorization: " SEC_READ_KEY, 401},
        {"Authorization: Bearer", 401},
        {"Authorization: Bearer ", 401},
        {"Authorization: Bearer " SEC_READ_KEY " extra", 401},
        {"Authorization: Bearer " SEC_READ_KEY "x", 401},
        {"Authorization: Bearer rk-0123456789abcdef-rea", 401}, /* a prefix */
        {"Authorization: Bearer " SEC_WRITE_KEY, 200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *h[] = {cases[i].header, NULL};
        struct apitest_resp r;
        apitest_request_h(&srv, "GET", "/v1/articles", h, NULL, NULL, 0, &r);
        cr_expect_eq(r.status, cases[i].want, "'%s': %ld", cases[i].header, r.status);
        apitest_resp_free(&r);
    }
}

Test(auth, access_log_names_the_key_never_the_key_itself)
{
    char *log, *line;
    int saw_401 = 0;

    cr_expect_eq(status_of(&srv, "GET", "/v1/articles?mark=read", SEC_READ_KEY, NULL, NULL), 200);
    cr_expect_eq(status_of(&srv, "PUT", "/v1/articles/logged", SEC_WRITE_KEY, JSON,
                           "{\"title\":\"t\",\"body\":\"b\"}"),
                 201);
    cr_expect_eq(status_of(&srv, "DELETE", "/v1/articles/logged", SEC_READ_KEY, NULL, NULL), 403);
    cr_expect_eq(status_of(&srv, "GET", "/v1/articles?mark=bad", "bad-key-that-must-not-be-logged",
                           NULL, NULL),
                 401);

    log = sec_read_log(&srv);
    cr_expect(strstr(log, SEC_READ_KEY) == NULL, "the read key is in the log");
    cr_expect(strstr(log, SEC_WRITE_KEY) == NULL, "the write key is in the log");
    cr_expect(strstr(log, "bad-key-that-must-not-be-logged") == NULL, "a wrong key is logged");
    for (line = strtok(log, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strstr(line, "\"msg\":\"access\"") == NULL)
            continue;
        if (strstr(line, "\"method\":\"PUT\"") != NULL)
            cr_expect(strstr(line, "\"key\":\"feeder\"") != NULL, "%s", line);
        if (strstr(line, "\"method\":\"DELETE\"") != NULL)
            cr_expect(strstr(line, "\"status\":403") != NULL &&
                          strstr(line, "\"key\":\"dash\"") != NULL,
                      "%s", line);
        if (strstr(line, "\"status\":401") != NULL) {
            saw_401 = 1;
            cr_expect(strstr(line, "\"key\"") == NULL, "a refused key is named: %s", line);
        }
        if (strstr(line, "\"method\":\"GET\"") != NULL && strstr(line, "\"status\":200") != NULL)
            cr_expect(strstr(line, "\"key\":\"dash\"") != NULL, "%s", line);
    }
    cr_expect(saw_401, "no 401 in the access log");
    free(log);
}

TestSuite(access, .timeout = 60);

Test(access, public_read_opens_reads_only)
{
    struct apitest_server s;
    const char *extra[] = {"--public-read", "on", NULL};

    cr_assert_eq(sec_start_with_keys(&s, sec_keys_text, extra), 0);
    cr_expect_eq(status_of(&s, "GET", "/v1/articles", NULL, NULL, NULL), 200);
    cr_expect_eq(status_of(&s, "GET", "/v1/search?q=storm", NULL, NULL, NULL), 200);
    cr_expect_eq(status_of(&s, "GET", "/metrics", NULL, NULL, NULL), 200);
    cr_expect_eq(status_of(&s, "GET", "/openapi.yaml", NULL, NULL, NULL), 200);
    cr_expect_eq(status_of(&s, "GET", "/v1/articles", SEC_READ_KEY, NULL, NULL), 200);
    /* a key that is presented is still checked */
    cr_expect_eq(status_of(&s, "GET", "/v1/articles", "wrong-key-but-long-enough", NULL, NULL),
                 401);
    cr_expect_eq(
        status_of(&s, "POST", "/v1/articles", NULL, JSON, "{\"title\":\"t\",\"body\":\"b\"}"), 401);
    cr_expect_eq(status_of(&s, "POST", "/v1/articles", SEC_READ_KEY, JSON,
                           "{\"title\":\"t\",\"body\":\"b\"}"),
                 403);
    cr_expect_eq(status_of(&s, "POST", "/v1/articles", SEC_WRITE_KEY, JSON,
                           "{\"title\":\"t\",\"body\":\"b\"}"),
                 201);
    stop_clean(&s);
}

Test(access, without_a_key_file_the_api_stays_open)
{
    struct apitest_server s;
    struct apitest_resp r;
    char *log;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    sec_request(&s, "POST", "/v1/articles", NULL, NULL, JSON, "{\"title\":\"t\",\"body\":\"b\"}",
                &r);
    cr_expect_eq(r.status, 201, "%s", r.body);
    cr_expect_null(header(&r, "WWW-Authenticate"));
    apitest_resp_free(&r);
    /* a key is ignored when none are configured */
    cr_expect_eq(status_of(&s, "GET", "/v1/articles", "anything-at-all-here", NULL, NULL), 200);
    log = sec_read_log(&s);
    cr_expect(strstr(log, "the API is open") != NULL, "no warning that the API is open");
    free(log);
    stop_clean(&s);
}

/* Every access line is one JSON object, the path escaped as JSON needs. */
Test(access, log_lines_are_json_with_escaped_paths)
{
    struct apitest_server s;
    char *log, *line;
    int saw_odd = 0, saw_health = 0;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    cr_expect_eq(status_of(&s, "GET", "/healthz", NULL, NULL, NULL), 200);
    /* a quote, a backslash and a tab in the path, percent-encoded */
    cr_expect_eq(status_of(&s, "GET", "/v1/articles/a%22b%5Cc%09d", NULL, NULL, NULL), 404);
    log = sec_read_log(&s);
    for (line = strtok(log, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_error_t jerr;
        json_t *o;
        const char *path;
        if (strstr(line, "\"msg\":\"access\"") == NULL)
            continue;
        o = json_loads(line, 0, &jerr);
        cr_assert_not_null(o, "not JSON (%s): %s", jerr.text, line);
        path = json_string_value(json_object_get(o, "path"));
        cr_assert_not_null(path, "%s", line);
        cr_expect(json_is_integer(json_object_get(o, "status")), "%s", line);
        cr_expect(json_is_integer(json_object_get(o, "us")), "%s", line);
        if (strcmp(path, "/healthz") == 0)
            saw_health = 1;
        if (strstr(path, "a\"b\\c") != NULL)
            saw_odd = 1;
        json_decref(o);
    }
    cr_expect(saw_health, "no access line for /healthz");
    cr_expect(saw_odd, "no access line with the quoted path");
    free(log);
    stop_clean(&s);
}

/* ------------------------------------------------------------------------ */
/* Key files the server refuses                                              */

TestSuite(keyfile, .timeout = 60);

Test(keyfile, refuses_to_start_on_a_bad_file)
{
    static const struct {
        const char *text;
        mode_t mode;
        const char *says;
    } cases[] = {
        {"short-key-15byt read a\n", 0600, "keys must have 16"},
        {SEC_READ_KEY " admin a\n", 0600, "role must be 'read' or 'write'"},
        {SEC_READ_KEY " read\n", 0600, "expected '<key> <role> <name>'"},
        {SEC_READ_KEY " read a b\n", 0600, "more than 3"},
        {"# ok\n" SEC_READ_KEY " read a\n" SEC_READ_KEY " write b\n", 0600,
         "keys:3: this key is also on an earlier line"},
        {SEC_READ_KEY " read a\n" SEC_WRITE_KEY " write a\n", 0600, "the name 'a' is also"},
        {SEC_READ_KEY " read a/b\n", 0600, "the name must match"},
        {"rk-\xc3\xa9\xc3\xa9\xc3\xa9-0123456789 read a\n", 0600, "visible ASCII"},
        {"# only comments\n\n   \n", 0600, "holds no keys"},
        {"", 0600, "holds no keys"},
        {SEC_READ_KEY " read a\n", 0644, "group or others"},
        {SEC_READ_KEY " read a\n", 0640, "group or others"},
        {SEC_READ_KEY " read a\n", 0604, "group or others"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct apitest_server s;
        char path[512], *log;
        const char *extra[] = {"--api-key-file", path, NULL};

        cr_assert_eq(sec_prepare(&s), 0);
        cr_assert_eq(sec_write_file(&s, "keys", cases[i].text, cases[i].mode, path, sizeof path),
                     0);
        cr_expect_eq(apitest_start(&s, s.db, extra), -1, "case %zu started", i);
        log = sec_read_log(&s);
        cr_expect(strstr(log, cases[i].says) != NULL, "case %zu: want '%s' in: %s", i,
                  cases[i].says, log);
        cr_expect(strstr(log, SEC_READ_KEY) == NULL && strstr(log, SEC_WRITE_KEY) == NULL,
                  "case %zu: the error shows a key: %s", i, log);
        free(log);
        apitest_cleanup(&s);
    }
}

Test(keyfile, refuses_a_missing_file_and_a_folder)
{
    const char *paths[] = {"/nonexistent/articled-keys", "/tmp"};
    for (size_t i = 0; i < 2; i++) {
        struct apitest_server s;
        const char *extra[] = {"--api-key-file", paths[i], NULL};
        char *log;
        cr_assert_eq(sec_prepare(&s), 0);
        cr_expect_eq(apitest_start(&s, s.db, extra), -1);
        log = sec_read_log(&s);
        cr_expect(strstr(log, paths[i]) != NULL, "%s", log);
        free(log);
        apitest_cleanup(&s);
    }
}

/* ------------------------------------------------------------------------ */
/* CORS                                                                      */

static void start_with_cors(void)
{
    const char *extra[] = {"--cors-origin", ORIGIN, NULL};
    cr_assert_eq(sec_start_with_keys(&srv, sec_keys_text, extra), 0, "server did not start");
}

TestSuite(cors, .init = start_with_cors, .fini = teardown, .timeout = 60);

static int has_cors_headers(const struct apitest_resp *r)
{
    return r->headers != NULL && strcasestr(r->headers, "Access-Control-") != NULL;
}

Test(cors, the_configured_origin_gets_headers_others_none)
{
    struct apitest_resp r;
    static const char *const others[] = {"https://evil.example", ORIGIN ".evil.example",
                                         "HTTPS://NEWSROOM.EXAMPLE", "null", ORIGIN "/"};

    sec_request(&srv, "GET", "/v1/articles", SEC_READ_KEY, ORIGIN, NULL, NULL, &r);
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(header(&r, "Access-Control-Allow-Origin") ?: "", ORIGIN);
    cr_expect(strstr(header(&r, "Vary") ?: "", "Origin") != NULL);
    cr_expect(strstr(header(&r, "Access-Control-Expose-Headers") ?: "", "Location") != NULL);
    apitest_resp_free(&r);

    /* errors carry the headers too, so the page can read them */
    sec_request(&srv, "GET", "/v1/articles", NULL, ORIGIN, NULL, NULL, &r);
    cr_expect_eq(r.status, 401);
    cr_expect_str_eq(header(&r, "Access-Control-Allow-Origin") ?: "", ORIGIN);
    apitest_resp_free(&r);

    /* a write from the page: 201 with Location exposed */
    sec_request(&srv, "POST", "/v1/articles", SEC_WRITE_KEY, ORIGIN, JSON,
                "{\"id\":\"cors-1\",\"title\":\"t\",\"body\":\"b\"}", &r);
    cr_expect_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(header(&r, "Access-Control-Allow-Origin") ?: "", ORIGIN);
    cr_expect_str_eq(r.location, "/v1/articles/cors-1");
    apitest_resp_free(&r);

    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        sec_request(&srv, "GET", "/v1/articles", SEC_READ_KEY, others[i], NULL, NULL, &r);
        cr_expect_eq(r.status, 200);
        cr_expect(!has_cors_headers(&r), "Origin %s got CORS headers: %s", others[i], r.headers);
        cr_expect(strstr(header(&r, "Vary") ?: "", "Origin") != NULL, "caches must key on Origin");
        apitest_resp_free(&r);
    }
    sec_request(&srv, "GET", "/v1/articles", SEC_READ_KEY, NULL, NULL, NULL, &r);
    cr_expect(!has_cors_headers(&r), "%s", r.headers);
    apitest_resp_free(&r);
}

static void preflight(const char *path, const char *origin, const char *method,
                      struct apitest_resp *r)
{
    char o[256], m[256];
    const char *h[4];
    size_t n = 0;
    if (origin != NULL) {
        snprintf(o, sizeof o, "Origin: %s", origin);
        h[n++] = o;
    }
    if (method != NULL) {
        snprintf(m, sizeof m, "Access-Control-Request-Method: %s", method);
        h[n++] = m;
        h[n++] = "Access-Control-Request-Headers: authorization, content-type";
    }
    h[n] = NULL;
    apitest_request_h(&srv, "OPTIONS", path, h, NULL, NULL, 0, r);
}

Test(cors, preflight_answers_204_without_a_key)
{
    static const struct {
        const char *path, *methods;
    } cases[] = {
        {"/v1/articles", "POST, GET, HEAD"}, {"/v1/articles/a-1", "GET, HEAD, PUT, DELETE"},
        {"/v1/search", "GET, HEAD"},         {"/v1/admin/snapshot", "POST"},
        {"/healthz", "GET, HEAD"},
    };
    struct apitest_resp r;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        preflight(cases[i].path, ORIGIN, "POST", &r);
        cr_expect_eq(r.status, 204, "%s: %ld %s", cases[i].path, r.status, r.body);
        cr_expect_eq(r.len, 0);
        cr_expect_str_eq(header(&r, "Access-Control-Allow-Origin") ?: "", ORIGIN);
        cr_expect_str_eq(header(&r, "Access-Control-Allow-Methods") ?: "", cases[i].methods);
        cr_expect_str_eq(header(&r, "Access-Control-Allow-Headers") ?: "",
                         "Authorization, Content-Type");
        cr_expect_str_eq(header(&r, "Access-Control-Max-Age") ?: "", "600");
        apitest_resp_free(&r);
    }
    /* an unknown path is still a 404 */
    preflight("/v1/nothing", ORIGIN, "GET", &r);
    cr_expect_eq(r.status, 404);
    apitest_resp_free(&r);
    /* another origin, or OPTIONS that is not a preflight: the usual 405 */
    preflight("/v1/articles", "https://evil.example", "POST", &r);
    cr_expect(apitest_is_problem(&r, 405), "%ld", r.status);
    cr_expect_str_eq(r.allow, "POST, GET, HEAD");
    cr_expect(!has_cors_headers(&r), "%s", r.headers);
    apitest_resp_free(&r);
    preflight("/v1/articles", ORIGIN, NULL, &r);
    cr_expect(apitest_is_problem(&r, 405), "%ld", r.status);
    apitest_resp_free(&r);
}

Test(cors, nothing_without_cors_origin)
{
    struct apitest_server s;
    struct apitest_resp r;
    const char *h[] = {"Origin: " ORIGIN, "Access-Control-Request-Method: GET", NULL};

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    apitest_request_h(&s, "OPTIONS", "/v1/articles", h, NULL, NULL, 0, &r);
    cr_expect(apitest_is_problem(&r, 405), "%ld", r.status);
    cr_expect(!has_cors_headers(&r), "%s", r.headers);
    cr_expect_null(header(&r, "Vary"));
    apitest_resp_free(&r);
    apitest_request_h(&s, "GET", "/v1/articles", h, NULL, NULL, 0, &r);
    cr_expect_eq(r.status, 200);
    cr_expect(!has_cors_headers(&r), "%s", r.headers);
    apitest_resp_free(&r);
    stop_clean(&s);
}

/* ------------------------------------------------------------------------ */
/* Limits                                                                    */

TestSuite(limits, .timeout = 90);

Test(limits, search_rate_answers_429_with_retry_after_then_recovers)
{
    struct apitest_server s;
    struct apitest_resp r;
    const char *extra[] = {"--search-rate", "1", "--search-burst", "3", NULL};
    int limited = -1;

    cr_assert_eq(apitest_start(&s, NULL, extra), 0);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(status_of(&s, "GET", "/v1/search?q=storm", NULL, NULL, NULL), 200, "burst %d",
                     i);
    /* at one token a second, a few more requests in a row must hit the limit */
    for (int i = 0; i < 8 && limited < 0; i++) {
        apitest_get(&s, "/v1/search?q=storm", &r);
        if (r.status == 429) {
            limited = i;
            cr_expect(apitest_is_problem(&r, 429), "%s", r.body);
            cr_expect_str_eq(r.retry_after, "1");
        } else {
            cr_expect_eq(r.status, 200);
        }
        apitest_resp_free(&r);
    }
    cr_assert_geq(limited, 0, "no 429 after the burst");
    /* only search is limited */
    cr_expect_eq(status_of(&s, "GET", "/v1/articles", NULL, NULL, NULL), 200);
    cr_expect_eq(status_of(&s, "GET", "/healthz", NULL, NULL, NULL), 200);
    /* after Retry-After the client may search again */
    sec_sleep_ms(1100);
    cr_expect_eq(status_of(&s, "GET", "/v1/search?q=storm", NULL, NULL, NULL), 200);
    stop_clean(&s);
}

Test(limits, each_key_has_its_own_bucket)
{
    struct apitest_server s;
    const char *extra[] = {"--search-rate", "1", "--search-burst", "2", NULL};
    int limited = 0;
    char *log;

    cr_assert_eq(sec_start_with_keys(&s, sec_keys_text, extra), 0);
    for (int i = 0; i < 8 && !limited; i++)
        limited = status_of(&s, "GET", "/v1/search?q=a", SEC_READ_KEY, NULL, NULL) == 429;
    cr_assert(limited, "the read key was never limited");
    /* same address, another key: a full bucket */
    cr_expect_eq(status_of(&s, "GET", "/v1/search?q=a", SEC_WRITE_KEY, NULL, NULL), 200);
    log = sec_read_log(&s);
    cr_expect(strstr(log, "\"status\":429,") != NULL && strstr(log, "\"key\":\"dash\"") != NULL,
              "%s", log);
    free(log);
    stop_clean(&s);
}

Test(limits, defaults_are_generous_and_zero_disables)
{
    struct apitest_server s;
    const char *off[] = {"--search-rate", "0", NULL};
    FILE *p;
    char line[512], cmd[1024];
    int rate_ok = 0, burst_ok = 0;
    const char *bin = getenv("ARTICLED_BIN");

    /* the built-in defaults, as --help states them */
    snprintf(cmd, sizeof cmd, "'%s' --help", bin ? bin : "build/articled");
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    while (fgets(line, sizeof line, p) != NULL) {
        if (strstr(line, "--search-rate N") != NULL && fgets(line, sizeof line, p) != NULL)
            rate_ok = strstr(line, "default 0") != NULL;
        if (strstr(line, "--search-burst N") != NULL && fgets(line, sizeof line, p) != NULL)
            burst_ok = strstr(line, "default 100") != NULL;
    }
    pclose(p);
    cr_expect(rate_ok && burst_ok, "--search-rate 0 (off) and --search-burst 100 by default");

    /* with the defaults, a busy backend's 300 back-to-back searches pass: one
     * client speaks for many editors (the limit is an opt-in) */
    unsetenv("ARTICLED_SEARCH_RATE");
    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    for (int i = 0; i < 300; i++) {
        long st = status_of(&s, "GET", "/v1/search?q=storm", NULL, NULL, NULL);
        cr_expect_eq(st, 200, "%d", i);
        if (st != 200)
            break;
    }
    stop_clean(&s);

    cr_assert_eq(apitest_start(&s, NULL, off), 0);
    for (int i = 0; i < 300; i++) {
        long st = status_of(&s, "GET", "/v1/search?q=storm", NULL, NULL, NULL);
        cr_expect_eq(st, 200, "%d", i);
        if (st != 200)
            break;
    }
    stop_clean(&s);
}

Test(limits, slow_clients_do_not_hold_up_others)
{
    struct apitest_server s;
    const char *extra[] = {"--timeout", "3", NULL};
    int fds[16];
    const size_t n = sizeof fds / sizeof fds[0];

    cr_assert_eq(apitest_start(&s, NULL, extra), 0);
    for (size_t i = 0; i < n; i++) {
        static const char start[] = "GET /v1/articles HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        fds[i] = sec_connect(s.port);
        cr_assert_geq(fds[i], 0);
        cr_assert_eq(send(fds[i], start, sizeof start - 1, MSG_NOSIGNAL),
                     (ssize_t)sizeof start - 1);
    }
    /* a byte a second from each slow client; normal clients are served at once */
    for (int round = 0; round < 5; round++) {
        long long t0;
        for (size_t i = 0; i < n; i++)
            send(fds[i], "a", 1, MSG_NOSIGNAL);
        t0 = sec_now_ms();
        cr_expect_eq(status_of(&s, "GET", "/healthz", NULL, NULL, NULL), 200);
        cr_expect_eq(status_of(&s, "GET", "/v1/search?q=slow", NULL, NULL, NULL), 200);
        cr_expect_eq(status_of(&s, "PUT", "/v1/articles/fast", NULL, JSON,
                               "{\"title\":\"t\",\"body\":\"b\"}"),
                     round == 0 ? 201 : 200);
        cr_expect_lt(sec_now_ms() - t0, 1000, "round %d: normal requests took %lld ms", round,
                     sec_now_ms() - t0);
        sec_sleep_ms(1000);
    }
    /* once they stop sending, --timeout closes them */
    for (size_t i = 0; i < n; i++) {
        cr_expect(sec_closed_by_peer(fds[i], 8000), "slow connection %zu still open", i);
        close(fds[i]);
    }
    stop_clean(&s);
}

Test(limits, connections_per_address)
{
    struct apitest_server s;
    const char *extra[] = {"--max-connections-per-ip", "3", NULL};
    struct apitest_resp r;
    int fds[3];

    cr_assert_eq(apitest_start(&s, NULL, extra), 0);
    for (size_t i = 0; i < 3; i++)
        cr_assert_geq(fds[i] = sec_connect(s.port), 0);
    sec_sleep_ms(200);
    cr_expect_neq(apitest_get(&s, "/healthz", &r), 0, "a fourth connection was served: %ld",
                  r.status);
    apitest_resp_free(&r);
    close(fds[0]);
    sec_sleep_ms(300);
    cr_expect_eq(status_of(&s, "GET", "/healthz", NULL, NULL, NULL), 200);
    close(fds[1]);
    close(fds[2]);
    stop_clean(&s);
}

/* {"title":"t","body":"b","x":[[...]]} nested depth levels deep in all. */
static char *nested(int depth)
{
    size_t cap = (size_t)depth * 2 + 64, n;
    char *s = malloc(cap);
    n = (size_t)snprintf(s, cap, "{\"title\":\"t\",\"body\":\"deep\",\"x\":");
    for (int i = 1; i < depth; i++)
        s[n++] = '[';
    for (int i = 1; i < depth; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

Test(limits, json_nesting_is_capped)
{
    struct apitest_server s;
    struct apitest_resp r;
    char *ok = nested(64), *deep = nested(65), *huge = nested(200000), *bulk;
    const char *strings = "{\"title\":\"[[[[\",\"body\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                          "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[\"}";

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    apitest_post_json(&s, "/v1/articles", ok, &r);
    cr_expect_eq(r.status, 201, "64 levels: %s", r.body);
    apitest_resp_free(&r);
    apitest_post_json(&s, "/v1/articles", deep, &r);
    cr_expect(apitest_is_problem(&r, 400), "65 levels: %ld %s", r.status, r.body);
    cr_expect(strstr(r.body, "nested too deeply") != NULL, "%s", r.body);
    apitest_resp_free(&r);
    apitest_post_json(&s, "/v1/articles", huge, &r);
    cr_expect(apitest_is_problem(&r, 400), "200,000 levels: %ld", r.status);
    apitest_resp_free(&r);
    apitest_post_json(&s, "/v1/duplicates/_check", deep, &r);
    cr_expect(apitest_is_problem(&r, 400), "_check: %ld", r.status);
    apitest_resp_free(&r);
    /* brackets inside strings do not count */
    apitest_post_json(&s, "/v1/articles", strings, &r);
    cr_expect_eq(r.status, 201, "%s", r.body);
    apitest_resp_free(&r);
    /* in _bulk the deep line fails alone */
    cr_assert(asprintf(&bulk, "{\"title\":\"a\",\"body\":\"b\"}\n%s\n", deep) > 0);
    apitest_request(&s, "POST", "/v1/articles/_bulk", NDJSON, bulk, strlen(bulk), &r);
    cr_expect_eq(r.status, 200);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "written")), 1, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(
                     json_array_get(json_object_get(r.json, "items"), 1), "status")),
                 400, "%s", r.body);
    apitest_resp_free(&r);
    free(bulk);
    free(ok);
    free(deep);
    free(huge);
    stop_clean(&s);
}

/* ------------------------------------------------------------------------ */
/* Snapshots                                                                 */

TestSuite(snapshot, .timeout = 120);

static size_t dir_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

static void ingest_storms(const struct apitest_server *s, const char *key, int from, int n)
{
    struct apitest_resp r;
    size_t cap = (size_t)n * 160 + 1, len = 0;
    char *nd = malloc(cap);
    for (int i = from; i < from + n; i++)
        len += (size_t)snprintf(nd + len, cap - len,
                                "{\"id\":\"a-%d\",\"title\":\"Storm %d\",\"body\":\"Storm number "
                                "%d reached the coast.\"}\n",
                                i, i, i);
    sec_request(s, "POST", "/v1/articles/_bulk", key, NULL, NDJSON, nd, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "written")), n, "%s", r.body);
    apitest_resp_free(&r);
    free(nd);
}

/* Checks the snapshot file: it opens, passes integrity_check, holds articles
 * rows and finds them with FTS5. */
static void expect_good_snapshot(const char *path, long long articles)
{
    char v[256];
    struct stat sb;
    cr_expect_eq(sec_sqlite_scalar(path, "PRAGMA integrity_check", v, sizeof v), 0, "%s", path);
    cr_expect_str_eq(v, "ok");
    sec_sqlite_scalar(path, "SELECT count(*) FROM articles", v, sizeof v);
    cr_expect_eq(atoll(v), articles, "%s: %s articles", path, v);
    sec_sqlite_scalar(path, "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'storm'", v,
                      sizeof v);
    cr_expect_eq(atoll(v), articles, "%s: FTS finds %s", path, v);
    sec_sqlite_scalar(path, "PRAGMA user_version", v, sizeof v);
    cr_expect_gt(atoi(v), 0);
    cr_expect_eq(stat(path, &sb), 0);
    cr_expect_eq(sb.st_mode & 077, 0, "%s: mode %o", path, (unsigned)sb.st_mode);
}

Test(snapshot, writes_a_copy_that_opens_refuses_overwrite_and_bad_names)
{
    struct apitest_server s, back;
    struct apitest_resp r;
    char want[600], long_name[80];
    struct stat sb;
    regex_t re;
    size_t before;
    const char *const bad[] = {"..",     ".",     ".hidden", "a%2Fb", "..%2F..%2Ftmp%2Fx",
                               "%2Ftmp", "a%20b", "%FF",     "snap*", "a\\b",
                               long_name};

    memset(long_name, 'a', 65); /* one byte too long */
    long_name[65] = '\0';

    cr_assert_eq(sec_start_with_keys(&s, sec_keys_text, NULL), 0);
    ingest_storms(&s, SEC_WRITE_KEY, 0, 50);

    sec_request(&s, "POST", "/v1/admin/snapshot?name=snap-1.db", SEC_WRITE_KEY, NULL, NULL, NULL,
                &r);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(want, sizeof want, "%s/snap-1.db", s.dir);
    /* the answer names the file, never the server's folders */
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "name")), "snap-1.db");
    cr_expect_null(json_object_get(r.json, "path"));
    cr_expect_null(strstr(r.body, s.dir), "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "articles")), 50);
    cr_expect(json_integer_value(json_object_get(r.json, "took_ms")) >= 0);
    cr_assert_eq(stat(want, &sb), 0);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "bytes")), (json_int_t)sb.st_size);
    apitest_resp_free(&r);
    expect_good_snapshot(want, 50);

    /* never overwritten */
    ingest_storms(&s, SEC_WRITE_KEY, 50, 5);
    sec_request(&s, "POST", "/v1/admin/snapshot?name=snap-1.db", SEC_WRITE_KEY, NULL, NULL, NULL,
                &r);
    cr_expect(apitest_is_problem(&r, 409), "%ld %s", r.status, r.body);
    cr_expect(strstr(r.body, "\"field\":\"name\"") != NULL, "%s", r.body);
    apitest_resp_free(&r);
    expect_good_snapshot(want, 50);

    /* names that are not plain file names */
    before = dir_entries(s.dir, "");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "/v1/admin/snapshot?name=%s", bad[i]);
        sec_request(&s, "POST", path, SEC_WRITE_KEY, NULL, NULL, NULL, &r);
        cr_expect(apitest_is_problem(&r, 400), "name=%s: %ld %s", bad[i], r.status, r.body);
        cr_expect(strstr(r.body, "\"field\":\"name\"") != NULL, "%s", r.body);
        apitest_resp_free(&r);
    }
    cr_expect_eq(dir_entries(s.dir, ""), before, "a refused name left a file");

    /* the write key only */
    cr_expect_eq(status_of(&s, "POST", "/v1/admin/snapshot?name=k.db", NULL, NULL, NULL), 401);
    cr_expect_eq(status_of(&s, "POST", "/v1/admin/snapshot?name=k.db", SEC_READ_KEY, NULL, NULL),
                 403);
    cr_expect_eq(dir_entries(s.dir, "k.db"), 0);

    /* the default name: articled-<UTC time>.db */
    sec_request(&s, "POST", "/v1/admin/snapshot", SEC_WRITE_KEY, NULL, NULL, NULL, &r);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_eq(regcomp(&re, "^articled-[0-9]{8}T[0-9]{6}\\.[0-9]{3}Z\\.db$", REG_EXTENDED), 0);
    cr_expect_eq(regexec(&re, json_string_value(json_object_get(r.json, "name")) ?: "", 0, NULL, 0),
                 0, "%s", r.body);
    regfree(&re);
    {
        char file[600];
        snprintf(file, sizeof file, "%s/%s", s.dir,
                 json_string_value(json_object_get(r.json, "name")) ?: "");
        expect_good_snapshot(file, 55);
    }
    apitest_resp_free(&r);
    cr_expect_eq(dir_entries(s.dir, ".snapshot-"), 0, "a temporary file was left");
    cr_expect_eq(apitest_stop(&s), 0);

    /* restore: a new instance on a copy of the snapshot has every article */
    cr_assert_eq(sec_prepare(&back), 0);
    {
        char cmd[1400];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", want, back.db);
        cr_assert_eq(system(cmd), 0);
    }
    cr_assert_eq(apitest_start(&back, back.db, NULL), 0);
    apitest_get(&back, "/v1/articles/a-42", &r);
    cr_expect_eq(r.status, 200);
    apitest_resp_free(&r);
    apitest_get(&back, "/v1/search?q=storm", &r);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 50, "%s", r.body);
    apitest_resp_free(&r);
    stop_clean(&back);
    apitest_cleanup(&s);
}

struct writer {
    const struct apitest_server *s;
    int batches;
    int failed; /* batches not written whole (no assertions off the test's thread) */
};

static void *write_batches(void *arg)
{
    struct writer *w = arg;
    for (int b = 0; b < w->batches; b++) {
        struct apitest_resp r;
        char nd[20 * 160];
        size_t len = 0;
        for (int i = 0; i < 20; i++)
            len += (size_t)snprintf(nd + len, sizeof nd - len,
                                    "{\"id\":\"w-%d-%d\",\"title\":\"Storm\",\"body\":\"Storm "
                                    "batch %d item %d.\"}\n",
                                    b, i, b, i);
        apitest_request(w->s, "POST", "/v1/articles/_bulk", NDJSON, nd, len, &r);
        if (r.status != 200 || json_integer_value(json_object_get(r.json, "written")) != 20)
            w->failed++;
        apitest_resp_free(&r);
    }
    return NULL;
}

Test(snapshot, consistent_while_writes_go_on)
{
    struct apitest_server s;
    struct writer w = {&s, 25, 0};
    pthread_t t;
    long long last = 0;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    ingest_storms(&s, NULL, 0, 100);
    pthread_create(&t, NULL, write_batches, &w);
    for (int i = 0; i < 4; i++) {
        struct apitest_resp r;
        char path[64];
        long long n;
        snprintf(path, sizeof path, "/v1/admin/snapshot?name=busy-%d.db", i);
        apitest_request(&s, "POST", path, NULL, NULL, 0, &r);
        cr_expect_eq(r.status, 201, "%s", r.body);
        n = json_integer_value(json_object_get(r.json, "articles"));
        cr_expect(n >= 100 && n <= 600 && n % 20 == 0 && n >= last,
                  "snapshot %d holds %lld articles: not whole batches", i, n);
        last = n;
        if (r.status == 201) {
            char file[600];
            snprintf(file, sizeof file, "%s/%s", s.dir,
                     json_string_value(json_object_get(r.json, "name")) ?: "");
            expect_good_snapshot(file, n);
        }
        apitest_resp_free(&r);
    }
    pthread_join(t, NULL);
    cr_expect_eq(w.failed, 0, "%d batches were not written", w.failed);
    cr_expect_eq(dir_entries(s.dir, ".snapshot-"), 0);
    stop_clean(&s);
}

Test(snapshot, into_snapshot_dir)
{
    struct apitest_server s;
    struct apitest_resp r;
    char dir[400], want[500], *log;
    const char *extra[] = {"--snapshot-dir", dir, NULL};

    cr_assert_eq(sec_prepare(&s), 0);
    snprintf(dir, sizeof dir, "%s/snaps", s.dir);
    /* a folder that does not exist: refused at start */
    cr_expect_eq(apitest_start(&s, s.db, extra), -1);
    log = sec_read_log(&s);
    cr_expect(strstr(log, "is not a folder") != NULL, "%s", log);
    free(log);
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(apitest_start(&s, s.db, extra), 0);
    ingest_storms(&s, NULL, 0, 3);
    apitest_request(&s, "POST", "/v1/admin/snapshot?name=here.db", NULL, NULL, 0, &r);
    cr_expect_eq(r.status, 201, "%s", r.body);
    snprintf(want, sizeof want, "%s/here.db", dir);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "name")) ?: "", "here.db");
    apitest_resp_free(&r);
    expect_good_snapshot(want, 3);
    stop_clean(&s);
}

static void *post_snapshot(void *arg)
{
    const struct apitest_server *s = arg;
    struct apitest_resp *r = malloc(sizeof *r);
    apitest_request(s, "POST", "/v1/admin/snapshot?name=at-stop.db", NULL, NULL, 0, r);
    return r;
}

Test(snapshot, shutdown_during_a_snapshot_is_clean)
{
    struct apitest_server s;
    struct apitest_resp *r;
    pthread_t t;
    char path[400];
    long st;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    for (int b = 0; b < 10; b++)
        ingest_storms(&s, NULL, b * 200, 200);
    pthread_create(&t, NULL, post_snapshot, &s);
    sec_sleep_ms(5);
    cr_expect_eq(apitest_stop(&s), 0, "server did not exit 0");
    pthread_join(t, (void **)&r);
    st = r->status;
    /* done before the signal, stopped by it, or never accepted */
    cr_expect(st == 201 || st == 503 || st == 0, "%ld %s", st, r->body);
    snprintf(path, sizeof path, "%s/at-stop.db", s.dir);
    if (st == 201)
        expect_good_snapshot(path, 2000);
    else
        cr_expect_eq(access(path, F_OK), -1, "a snapshot was answered %ld but written", st);
    cr_expect_eq(dir_entries(s.dir, ".snapshot-"), 0, "a temporary file was left");
    apitest_resp_free(r);
    free(r);
    apitest_cleanup(&s);
}
