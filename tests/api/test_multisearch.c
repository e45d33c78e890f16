/* Black-box tests of POST /v1/search/_multi: answers in order, each the
 * same as the single search's; a bad query gets its own problem in its slot;
 * a bad request as a whole is one 400; read keys suffice. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apitest.h"

TestSuite(multisearch, .timeout = 60);

static void seed(struct apitest_server *s)
{
    for (int i = 0; i < 6; i++) {
        struct apitest_resp r;
        char body[256];
        snprintf(body, sizeof body,
                 "{\"id\":\"m%d\",\"title\":\"Storm %d\",\"body\":\"A storm hit the coast, "
                 "report %d.\",\"source\":\"%s\"}",
                 i, i, i, i % 2 ? "AFP" : "Reuters");
        apitest_post_json(s, "/v1/articles", body, &r);
        cr_assert_eq(r.status, 201, "%s", r.body);
        apitest_resp_free(&r);
    }
}

Test(multisearch, answers_in_order_like_single_searches)
{
    struct apitest_server s;
    struct apitest_resp r, one;
    json_t *results;
    const char *body = "{\"queries\":[{\"q\":\"storm\",\"source\":\"AFP\",\"limit\":2},"
                       "{\"q\":\"\\\"unclosed\"},{\"q\":\"coast\",\"sort\":\"newest\"},7,"
                       "{\"q\":true},{\"q\":\"storm\",\"limit\":\"x\"}]}";

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    seed(&s);
    apitest_post_json(&s, "/v1/search/_multi", body, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    results = json_object_get(r.json, "results");
    cr_assert_eq(json_array_size(results), 6, "%s", r.body);

    /* slot 0 is what the single search answers */
    apitest_get(&s, "/v1/search?q=storm&source=AFP&limit=2", &one);
    cr_assert_eq(one.status, 200);
    cr_expect(json_equal(json_object_get(json_array_get(results, 0), "hits"),
                         json_object_get(one.json, "hits")),
              "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(results, 0), "total")), 3);
    apitest_resp_free(&one);
    /* a bad query is a problem in its slot, the others still answer */
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(results, 1), "status")), 400);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(results, 2), "total")), 6);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(results, 3), "status")), 400);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(results, 4), "status")), 400);
    cr_expect_str_eq(
        json_string_value(json_object_get(
            json_array_get(json_object_get(json_array_get(results, 5), "errors"), 0), "field")),
        "limit");
    apitest_resp_free(&r);

    /* the request as a whole */
    const char *bad[] = {"{\"queries\":[]}", "{\"queries\":{}}", "[1]", "{\"queries\":[1]",
                         "{\"queries\":[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},"
                         "{},{},{}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        apitest_post_json(&s, "/v1/search/_multi", bad[i], &r);
        cr_expect(apitest_is_problem(&r, 400), "%s: %ld %s", bad[i], r.status, r.body);
        apitest_resp_free(&r);
    }
    apitest_request(&s, "POST", "/v1/search/_multi", "text/plain", "{}", 2, &r);
    cr_expect(apitest_is_problem(&r, 415), "%ld", r.status);
    apitest_resp_free(&r);
    apitest_stop(&s);
    apitest_cleanup(&s);
}
