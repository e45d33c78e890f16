/* Black-box tests of the entity lists a dashboard reads (issue 20, item 9):
 * /v1/entities/{id}/related ranks with a score that means something on a few
 * articles (distinct, non-zero, co-occurrence and specificity in a sensible
 * order), from/to count the co-mentions in a window only; GET /v1/entities
 * leaves out what exclude= names (repeatable, comma lists, bounded). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apitest.h"

static struct apitest_server srv;

static void setup(void)
{
    cr_assert_eq(apitest_start(&srv, NULL, NULL), 0, "server did not start");
}

static void teardown(void)
{
    cr_expect_eq(apitest_stop(&srv), 0);
    apitest_cleanup(&srv);
}

TestSuite(entity_related, .init = setup, .fini = teardown, .timeout = 60);

static void put(const char *id, const char *published, const char *body)
{
    struct apitest_resp r;
    char path[128];
    json_t *o =
        json_pack("{s:s,s:s,s:s}", "title", "Talks", "body", body, "published_at", published);
    char *js = json_dumps(o, JSON_COMPACT);
    snprintf(path, sizeof path, "/v1/articles/%s", id);
    apitest_request(&srv, "PUT", path, "application/json", js, strlen(js), &r);
    cr_assert(r.status == 201 || r.status == 200, "%s: %ld %s", id, r.status, r.body);
    apitest_resp_free(&r);
    free(js);
    json_decref(o);
}

static json_t *get_json(const char *path, long expect)
{
    struct apitest_resp r;
    json_t *j;
    apitest_get(&srv, path, &r);
    cr_assert_eq(r.status, expect, "%s: %ld %s", path, r.status, r.body);
    j = json_incref(r.json);
    apitest_resp_free(&r);
    return j;
}

static json_t *find_by_id(json_t *arr, const char *id)
{
    json_t *e;
    size_t i;
    json_array_foreach(arr, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
            return e;
    }
    return NULL;
}

/* Five reports that all mention Rubio and Lavrov; Geneva in three, Wang Yi
 * in one; Tony Blair in one of them and in four articles without Rubio. */
static void seed(void)
{
    put("r1", "2025-07-01T09:00:00Z",
        "Marco Rubio met Sergei Lavrov in Geneva on Monday. Tony Blair was there too.");
    put("r2", "2025-07-02T09:00:00Z", "Marco Rubio and Sergei Lavrov spoke again in Geneva.");
    put("r3", "2025-07-03T09:00:00Z", "In Geneva, Marco Rubio said Sergei Lavrov was frank.");
    put("r4", "2025-07-04T09:00:00Z", "Marco Rubio called Sergei Lavrov on Friday.");
    put("r5", "2025-07-05T09:00:00Z",
        "Marco Rubio, Sergei Lavrov and Wang Yi issued a joint statement.");
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "b%d", i);
        put(id, "2025-06-20T09:00:00Z", "Tony Blair gave a speech about schools.");
    }
}

static double score_of(json_t *list, const char *id)
{
    json_t *e = find_by_id(list, id);
    cr_assert_not_null(e, "%s missing from %s", id, json_dumps(list, 0));
    return json_real_value(json_object_get(e, "score"));
}

Test(entity_related, scores_mean_something_on_a_few_articles)
{
    json_t *j, *list;
    seed();
    j = get_json("/v1/entities/person:marco-rubio/related", 200);
    list = json_object_get(j, "related");
    double lavrov = score_of(list, "person:sergei-lavrov");
    double geneva = score_of(list, "location:geneva");
    double wang = score_of(list, "person:wang-yi");
    double blair = score_of(list, "person:tony-blair");
    /* co-occurrence ranks on a few articles: 5 > 3 > 1 together */
    cr_expect_gt(lavrov, geneva, "%s", json_dumps(list, 0));
    cr_expect_gt(geneva, wang, "%s", json_dumps(list, 0));
    /* once together each, the partner seen nowhere else is the more
     * specific one */
    cr_expect_gt(wang, blair, "%s", json_dumps(list, 0));
    cr_expect_gt(blair, 0.0, "%s", json_dumps(list, 0));
    /* best first */
    for (size_t i = 1; i < json_array_size(list); i++)
        cr_expect_geq(json_real_value(json_object_get(json_array_get(list, i - 1), "score")),
                      json_real_value(json_object_get(json_array_get(list, i), "score")));
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "id")),
                     "person:sergei-lavrov");
    cr_expect_eq(
        json_integer_value(json_object_get(find_by_id(list, "person:sergei-lavrov"), "together")),
        5);
    json_decref(j);
}

Test(entity_related, from_to_count_only_the_window)
{
    json_t *j, *list;
    seed();
    /* r4 and r5 only: no Geneva, Blair or Lavrov's three earlier reports */
    j = get_json("/v1/entities/person:marco-rubio/related?from=2025-07-04&to=2025-07-06", 200);
    list = json_object_get(j, "related");
    cr_expect_null(find_by_id(list, "location:geneva"), "%s", json_dumps(list, 0));
    cr_expect_null(find_by_id(list, "person:tony-blair"));
    json_t *lav = find_by_id(list, "person:sergei-lavrov");
    cr_assert_not_null(lav, "%s", json_dumps(list, 0));
    cr_expect_eq(json_integer_value(json_object_get(lav, "together")), 2);
    cr_expect_eq(
        json_integer_value(json_object_get(find_by_id(list, "person:wang-yi"), "together")), 1);
    cr_expect_gt(json_real_value(json_object_get(lav, "score")), 0.0);
    json_decref(j);
    /* a window without the entity: nothing related */
    j = get_json("/v1/entities/person:marco-rubio/related?to=2025-06-30", 200);
    cr_expect_eq(json_array_size(json_object_get(j, "related")), 0, "%s", json_dumps(j, 0));
    json_decref(j);
    json_decref(get_json("/v1/entities/person:marco-rubio/related?from=yesterday", 400));
}

Test(entity_related, exclude_leaves_entities_out)
{
    json_t *j, *list;
    seed();
    j = get_json("/v1/entities?limit=100", 200);
    list = json_object_get(j, "entities");
    cr_assert_not_null(find_by_id(list, "person:marco-rubio"));
    cr_assert_not_null(find_by_id(list, "location:geneva"));
    size_t all = json_array_size(list);
    json_decref(j);

    j = get_json("/v1/entities?limit=100&exclude=person:marco-rubio,location:geneva"
                 "&exclude=person:nobody&exclude=person:sergei-lavrov",
                 200);
    list = json_object_get(j, "entities");
    cr_expect_null(find_by_id(list, "person:marco-rubio"));
    cr_expect_null(find_by_id(list, "location:geneva"));
    cr_expect_null(find_by_id(list, "person:sergei-lavrov"));
    cr_expect_not_null(find_by_id(list, "person:tony-blair"));
    cr_expect_eq(json_array_size(list), all - 3, "%s", json_dumps(list, 0));
    json_decref(j);

    /* with a window too, and paging keeps the exclusion */
    j = get_json("/v1/entities?from=2025-07-01&exclude=person:marco-rubio&limit=1", 200);
    list = json_object_get(j, "entities");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "id")),
                     "person:sergei-lavrov", "%s", json_dumps(j, 0));
    const char *cur = json_string_value(json_object_get(j, "next_cursor"));
    cr_assert_not_null(cur);
    char path[1024];
    snprintf(path, sizeof path,
             "/v1/entities?from=2025-07-01&exclude=person:marco-rubio&limit=1"
             "&cursor=%s",
             cur);
    json_t *next = get_json(path, 200);
    cr_expect_null(find_by_id(json_object_get(next, "entities"), "person:marco-rubio"));
    json_decref(next);
    /* the cursor belongs to its exclusion */
    snprintf(path, sizeof path, "/v1/entities?from=2025-07-01&limit=1&cursor=%s", cur);
    json_decref(get_json(path, 400));
    json_decref(j);

    /* at most 100 ids */
    char *big = malloc(101 * 12 + 64);
    size_t n = (size_t)sprintf(big, "/v1/entities?exclude=");
    for (int i = 0; i < 101; i++)
        n += (size_t)sprintf(big + n, "%sx:%d", i ? "," : "", i);
    struct apitest_resp r;
    apitest_get(&srv, big, &r);
    cr_expect(apitest_is_problem(&r, 400), "%ld %s", r.status, r.body);
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(r.json, "errors"), 0), "field")),
                     "exclude");
    apitest_resp_free(&r);
    free(big);
}
