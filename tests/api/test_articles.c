/* Black-box tests of /v1/articles: create, replace, get, delete, list with
 * filters and cursors, and every error status the resource can answer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "apitest.h"

static struct apitest_server srv;

static void setup(void)
{
    cr_assert_eq(apitest_start(&srv, NULL, NULL), 0, "server did not start");
}

static void teardown(void)
{
    cr_expect_eq(apitest_stop(&srv), 0, "server did not exit 0 on SIGTERM");
    apitest_cleanup(&srv);
}

TestSuite(articles, .init = setup, .fini = teardown, .timeout = 60);

static const char *json_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

Test(articles, create_get_replace_delete)
{
    struct apitest_resp r;
    const char *a1 =
        "{\"id\":\"wire:1\",\"title\":\"Caf\\u00e9 opens\",\"body\":\"A new caf\\u00e9 "
        "opened in Paris.\",\"source\":\"AFP\",\"published_at\":\"2025-03-01T12:00:00+01:00\","
        "\"tags\":[\"food\"],\"unknown_field\":42}";

    cr_assert_eq(apitest_post_json(&srv, "/v1/articles", a1, &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(r.location, "/v1/articles/wire:1");
    cr_assert_str_eq(json_str(r.json, "id"), "wire:1");
    cr_assert_not_null(json_str(r.json, "ingested_at"));
    cr_assert_eq(strlen(json_str(r.json, "content_hash")), 64);
    cr_assert(json_is_null(json_object_get(r.json, "duplicate_of")));
    apitest_resp_free(&r);

    /* the same id again is a conflict */
    apitest_post_json(&srv, "/v1/articles", a1, &r);
    cr_assert(apitest_is_problem(&r, 409), "%ld %s", r.status, r.body);
    apitest_resp_free(&r);

    apitest_get(&srv, "/v1/articles/wire:1", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(json_str(r.json, "body"), "A new caf\xc3\xa9 opened in Paris.");
    cr_assert_str_eq(json_str(r.json, "title"), "Caf\xc3\xa9 opens");
    cr_assert_str_eq(json_str(r.json, "published_at"), "2025-03-01T12:00:00+01:00");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r.json, "tags"), 0)), "food");
    cr_assert_null(json_object_get(r.json, "unknown_field"));
    apitest_resp_free(&r);

    /* PUT replaces (200), PUT of a new id creates (201) */
    const char *a1b = "{\"title\":\"Cafe closes\",\"body\":\"The cafe closed.\"}";
    apitest_request(&srv, "PUT", "/v1/articles/wire:1", "application/json", a1b, strlen(a1b), &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/articles/wire:1", &r);
    cr_assert_str_eq(json_str(r.json, "title"), "Cafe closes");
    cr_assert(json_is_null(json_object_get(r.json, "source")));
    apitest_resp_free(&r);
    apitest_request(&srv, "PUT", "/v1/articles/wire:2", "application/json", a1b, strlen(a1b), &r);
    cr_assert_eq(r.status, 201);
    /* same text as wire:1: an exact copy */
    cr_assert_str_eq(json_str(r.json, "duplicate_of"), "wire:1");
    apitest_resp_free(&r);

    /* search no longer finds the replaced text, finds the new one */
    apitest_get(&srv, "/v1/search?q=paris", &r);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "total")), 0, "%s", r.body);
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/search?q=closed", &r);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "total")), 2, "%s", r.body);
    apitest_resp_free(&r);

    apitest_request(&srv, "DELETE", "/v1/articles/wire:1", NULL, NULL, 0, &r);
    cr_assert_eq(r.status, 204);
    apitest_resp_free(&r);
    apitest_request(&srv, "DELETE", "/v1/articles/wire:1", NULL, NULL, 0, &r);
    cr_assert(apitest_is_problem(&r, 404));
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/articles/wire:1", &r);
    cr_assert(apitest_is_problem(&r, 404));
    apitest_resp_free(&r);
    /* the surviving copy is now the original */
    apitest_get(&srv, "/v1/articles/wire:2", &r);
    cr_assert(json_is_null(json_object_get(r.json, "duplicate_of")), "%s", r.body);
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/search?q=closed", &r);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "total")), 1);
    apitest_resp_free(&r);
}

Test(articles, generated_id)
{
    struct apitest_resp r, g;
    char path[300];
    apitest_post_json(&srv, "/v1/articles", "{\"title\":\"t\",\"body\":\"b\"}", &r);
    cr_assert_eq(r.status, 201);
    cr_assert_not_null(json_str(r.json, "id"));
    snprintf(path, sizeof path, "/v1/articles/%s", json_str(r.json, "id"));
    cr_assert_str_eq(r.location, path);
    apitest_get(&srv, path, &g);
    cr_assert_eq(g.status, 200);
    apitest_resp_free(&g);
    apitest_resp_free(&r);
}

struct bad_case {
    const char *body;
    long status;
    const char *field; /* expected errors[0].field, or NULL */
};

Test(articles, validation_errors)
{
    static const struct bad_case cases[] = {
        {"{\"title\":\"t\"", 400, NULL},                     /* truncated JSON */
        {"[1,2]", 400, NULL},                                /* not an object */
        {"{\"body\":\"b\"}", 400, "title"},                  /* missing title */
        {"{\"title\":\"t\"}", 400, "body"},                  /* missing body */
        {"{\"title\":\"  \",\"body\":\"b\"}", 400, "title"}, /* blank title */
        {"{\"title\":5,\"body\":\"b\"}", 400, "title"},      /* wrong type */
        {"{\"title\":\"t\",\"body\":\"b\",\"id\":\"a b\"}", 400, "id"},
        {"{\"title\":\"t\",\"body\":\"b\",\"tags\":\"x\"}", 400, "tags"},
        {"{\"title\":\"t\",\"body\":\"b\",\"tags\":[1]}", 400, "tags"},
        {"{\"title\":\"t\",\"body\":\"b\",\"published_at\":\"yesterday\"}", 422, "published_at"},
        {"{\"title\":\"t\",\"body\":\"b\",\"published_at\":\"2025-02-30T00:00:00Z\"}", 422,
         "published_at"},
        {"{\"title\":\"t\",\"body\":\"a\\u0000b\"}", 422, "body"},       /* NUL */
        {"{\"title\":\"t\xff\",\"body\":\"b\"}", 422, NULL},             /* invalid UTF-8 */
        {"{\"title\":\"t\",\"body\":\"\xed\xa0\x80\"}", 422, NULL},      /* surrogate */
        {"{\"title\":\"t\",\"title\":\"u\",\"body\":\"b\"}", 400, NULL}, /* duplicate key */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct apitest_resp r;
        apitest_post_json(&srv, "/v1/articles", cases[i].body, &r);
        cr_expect(apitest_is_problem(&r, cases[i].status), "case %zu: %ld %s", i, r.status, r.body);
        if (cases[i].field != NULL) {
            json_t *e = json_array_get(json_object_get(r.json, "errors"), 0);
            cr_expect_str_eq(json_str(e, "field"), cases[i].field, "case %zu: %s", i, r.body);
        }
        apitest_resp_free(&r);
    }
}

Test(articles, protocol_errors)
{
    struct apitest_resp r;
    const char *ok = "{\"title\":\"t\",\"body\":\"b\"}";

    apitest_request(&srv, "POST", "/v1/articles", "text/plain", ok, strlen(ok), &r);
    cr_expect(apitest_is_problem(&r, 415), "%ld", r.status);
    apitest_resp_free(&r);
    apitest_request(&srv, "POST", "/v1/articles", "application/json; charset=utf-8", ok, strlen(ok),
                    &r);
    cr_expect_eq(r.status, 201, "charset parameter accepted");
    apitest_resp_free(&r);
    apitest_request(&srv, "PATCH", "/v1/articles/x", "application/json", ok, strlen(ok), &r);
    cr_expect(apitest_is_problem(&r, 405));
    cr_expect_str_eq(r.allow, "GET, HEAD, PUT, DELETE");
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/nothing-here", &r);
    cr_expect(apitest_is_problem(&r, 404));
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/articles/bad%20id", &r);
    cr_expect(apitest_is_problem(&r, 404));
    apitest_resp_free(&r);
    const char *mismatch = "{\"id\":\"other\",\"title\":\"t\",\"body\":\"b\"}";
    apitest_request(&srv, "PUT", "/v1/articles/wire:9", "application/json", mismatch,
                    strlen(mismatch), &r);
    cr_expect(apitest_is_problem(&r, 400), "%ld %s", r.status, r.body);
    apitest_resp_free(&r);
}

Test(articles, body_too_large)
{
    struct apitest_server big;
    const char *extra[] = {"--max-body", "2048", NULL};
    struct apitest_resp r;
    char body[8192];
    int n;

    apitest_stop(&srv); /* this test runs its own server with a small cap */
    cr_assert_eq(apitest_start(&big, NULL, extra), 0);
    memset(body, 'x', sizeof body);
    n = snprintf(body, sizeof body, "{\"title\":\"t\",\"body\":\"");
    body[n] = 'x';
    memcpy(body + sizeof body - 3, "\"}", 3);
    apitest_post_json(&big, "/v1/articles", body, &r);
    cr_expect(apitest_is_problem(&r, 413), "%ld %s", r.status, r.body);
    apitest_resp_free(&r);
    /* the same body chunked (no Content-Length): refused once it grows past the cap */
    {
        const char *chunked[] = {"Transfer-Encoding: chunked", NULL};
        apitest_request_h(&big, "POST", "/v1/articles", chunked, "application/json", body,
                          strlen(body), &r);
        cr_expect(apitest_is_problem(&r, 413), "chunked: %ld %s", r.status, r.body);
        apitest_resp_free(&r);
    }
    /* the connection and the server still work */
    apitest_post_json(&big, "/v1/articles", "{\"title\":\"t\",\"body\":\"b\"}", &r);
    cr_expect_eq(r.status, 201);
    apitest_resp_free(&r);
    apitest_stop(&big);
    apitest_cleanup(&big);
    cr_assert_eq(apitest_start(&srv, NULL, NULL), 0);
}

Test(articles, list_filters_and_cursor)
{
    struct apitest_resp r;
    char body[512], path[512];
    size_t seen = 0;
    const char *cursor = NULL;
    char *cursor_copy = NULL;

    for (int i = 0; i < 25; i++) {
        snprintf(body, sizeof body,
                 "{\"id\":\"l%02d\",\"title\":\"t%d\",\"body\":\"body %d\",\"source\":\"%s\","
                 "\"published_at\":\"2025-01-%02dT00:00:00Z\"}",
                 i, i, i, i % 2 ? "odd" : "even", i + 1);
        apitest_post_json(&srv, "/v1/articles", body, &r);
        cr_assert_eq(r.status, 201);
        apitest_resp_free(&r);
    }
    /* newest first, paged by 10: 25 distinct ids in order */
    int last_day = 99;
    do {
        if (cursor_copy)
            snprintf(path, sizeof path, "/v1/articles?limit=10&cursor=%s", cursor_copy);
        else
            snprintf(path, sizeof path, "/v1/articles?limit=10");
        apitest_get(&srv, path, &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        json_t *items = json_object_get(r.json, "articles");
        for (size_t i = 0; i < json_array_size(items); i++) {
            const char *id = json_str(json_array_get(items, i), "id");
            int day = atoi(id + 1);
            cr_assert_lt(day, last_day, "newest first");
            last_day = day;
            cr_assert_null(json_object_get(json_array_get(items, i), "body"));
            seen++;
        }
        cursor = json_str(r.json, "next_cursor");
        free(cursor_copy);
        cursor_copy = cursor ? strdup(cursor) : NULL;
        apitest_resp_free(&r);
    } while (cursor_copy != NULL);
    cr_assert_eq(seen, 25);

    apitest_get(&srv, "/v1/articles?source=odd&from=2025-01-05&to=2025-01-11", &r);
    /* odd ids i=5,7,9 are days 6,8,10 */
    cr_assert_eq(json_array_size(json_object_get(r.json, "articles")), 3, "%s", r.body);
    apitest_resp_free(&r);

    apitest_get(&srv, "/v1/articles?limit=0", &r);
    cr_expect(apitest_is_problem(&r, 400));
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/articles?limit=101", &r);
    cr_expect(apitest_is_problem(&r, 400));
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/articles?from=notadate", &r);
    cr_expect(apitest_is_problem(&r, 400));
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/articles?cursor=garbage", &r);
    cr_expect(apitest_is_problem(&r, 400));
    apitest_resp_free(&r);
}
