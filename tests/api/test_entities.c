/* Black-box tests of the entity endpoints: extraction at ingest, mentions with
 * code point offsets, merging across articles, counts under replace and
 * delete, listing with type/prefix/window filters, articles of an entity,
 * related entities, and the entity= search filter. */
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

TestSuite(entities, .init = setup, .fini = teardown, .timeout = 60);

static void put(const char *id, const char *published, const char *body)
{
    struct apitest_resp r;
    char path[128];
    json_t *o =
        json_pack("{s:s,s:s,s:s}", "title", "News", "body", body, "published_at", published);
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
    cr_assert_eq(r.status, expect, "%s: %s", path, r.body);
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

static const char *doc1 =
    "Secretary of State Marco Rubio met Russian Foreign Minister Sergei Lavrov in Kuala "
    "Lumpur on Thursday. Mr. Rubio said the talks with Lavrov were frank. The Association of "
    "Southeast Asian Nations (ASEAN) hosted the meeting.";
/* non-ASCII text before the first mention, and a transliteration variant */
static const char *doc2 = "Été chaud à Genève: Sergey Lavrov and Marco Rubio spoke again in "
                          "Geneva on Friday, and Rubio later flew to Washington.";
static const char *doc3 = "Tony Blair met Gordon Brown in London. Blair praised Brown.";

Test(entities, ingest_answer_and_mentions_with_code_point_offsets)
{
    struct apitest_resp r;
    json_t *o = json_pack("{s:s,s:s,s:s}", "id", "d1", "title", "Talks", "body", doc1);
    char *js = json_dumps(o, JSON_COMPACT);
    apitest_post_json(&srv, "/v1/articles", js, &r);
    free(js);
    json_decref(o);
    cr_assert_eq(r.status, 201, "%s", r.body);
    json_t *ents = json_object_get(r.json, "entities");
    json_t *rubio = find_by_id(ents, "person:marco-rubio");
    cr_assert_not_null(rubio, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(rubio, "type")), "person");
    cr_expect_not_null(find_by_id(ents, "location:kuala-lumpur"), "%s", r.body);
    apitest_resp_free(&r);

    put("d2", "2025-07-11T09:00:00Z", doc2);
    json_t *j = get_json("/v1/articles/d2/entities", 200);
    json_t *lavrov = find_by_id(json_object_get(j, "entities"), "person:sergei-lavrov");
    cr_assert_not_null(lavrov, "Sergey merges with Sergei: %s", json_dumps(j, 0));
    json_t *m = json_array_get(json_object_get(lavrov, "mentions"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(m, "text")), "Sergey Lavrov");
    /* "Été chaud à Genève: " is 20 code points (24 bytes) */
    cr_expect_eq(json_integer_value(json_object_get(m, "start")), 20);
    cr_expect_eq(json_integer_value(json_object_get(m, "end")), 33);
    /* the lone "Rubio" joins Marco Rubio */
    json_t *rub = find_by_id(json_object_get(j, "entities"), "person:marco-rubio");
    cr_assert_not_null(rub);
    cr_expect_eq(json_array_size(json_object_get(rub, "mentions")), 2, "%s", json_dumps(rub, 0));
    json_decref(j);

    get_json("/v1/articles/nope/entities", 404);
}

Test(entities, counts_merge_and_stay_exact)
{
    json_t *j;
    put("d1", "2025-07-10T09:00:00Z", doc1);
    put("d2", "2025-07-11T09:00:00Z", doc2);
    put("d3", "2025-07-12T09:00:00Z", doc3);

    j = get_json("/v1/entities/person:marco-rubio", 200);
    cr_expect_eq(json_integer_value(json_object_get(j, "articles")), 2);
    cr_expect_eq(json_integer_value(json_object_get(j, "mentions")), 4, "%s", json_dumps(j, 0));
    cr_expect(json_is_array(json_object_get(j, "aliases")));
    json_decref(j);

    /* replace d2 with a text without Rubio: counts follow */
    put("d2", "2025-07-11T09:00:00Z", "Sergei Lavrov visited Geneva.");
    j = get_json("/v1/entities/person:marco-rubio", 200);
    cr_expect_eq(json_integer_value(json_object_get(j, "articles")), 1);
    cr_expect_eq(json_integer_value(json_object_get(j, "mentions")), 2);
    json_decref(j);
    j = get_json("/v1/entities/person:sergei-lavrov", 200);
    cr_expect_eq(json_integer_value(json_object_get(j, "articles")), 2);
    json_decref(j);

    /* delete d1: Rubio is mentioned nowhere and disappears */
    struct apitest_resp r;
    apitest_request(&srv, "DELETE", "/v1/articles/d1", NULL, NULL, 0, &r);
    cr_expect_eq(r.status, 204);
    apitest_resp_free(&r);
    json_decref(get_json("/v1/entities/person:marco-rubio", 404));
    j = get_json("/v1/entities/person:sergei-lavrov", 200);
    cr_expect_eq(json_integer_value(json_object_get(j, "articles")), 1);
    json_decref(j);
}

Test(entities, list_filters_articles_related_and_search)
{
    json_t *j, *list;
    put("d1", "2025-07-10T09:00:00Z", doc1);
    put("d2", "2025-07-11T09:00:00Z", doc2);
    put("d3", "2025-07-12T09:00:00Z", doc3);
    put("d4", "2025-07-13T09:00:00Z", "Gordon Brown spoke in London about the budget.");

    /* most articles first */
    j = get_json("/v1/entities", 200);
    list = json_object_get(j, "entities");
    cr_assert_gt(json_array_size(list), 3);
    for (size_t i = 1; i < json_array_size(list); i++)
        cr_expect_geq(json_integer_value(json_object_get(json_array_get(list, i - 1), "articles")),
                      json_integer_value(json_object_get(json_array_get(list, i), "articles")));
    json_decref(j);

    j = get_json("/v1/entities?type=location", 200);
    list = json_object_get(j, "entities");
    for (size_t i = 0; i < json_array_size(list); i++)
        cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, i), "type")),
                         "location");
    json_decref(j);

    /* name prefix, folded */
    j = get_json("/v1/entities?q=RUB", 200);
    cr_expect_not_null(find_by_id(json_object_get(j, "entities"), "person:marco-rubio"));
    json_decref(j);

    /* window: only d3 and d4 (12th and 13th) */
    j = get_json("/v1/entities?from=2025-07-12&to=2025-07-14", 200);
    list = json_object_get(j, "entities");
    cr_expect_null(find_by_id(list, "person:marco-rubio"));
    json_t *brown = find_by_id(list, "person:gordon-brown");
    cr_assert_not_null(brown, "%s", json_dumps(j, 0));
    cr_expect_eq(json_integer_value(json_object_get(brown, "articles")), 2);
    json_decref(j);

    /* articles of an entity, newest first */
    j = get_json("/v1/entities/person:marco-rubio/articles", 200);
    list = json_object_get(j, "articles");
    cr_assert_eq(json_array_size(list), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "id")), "d2");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "id")), "d1");
    json_decref(j);

    /* related: Lavrov with Rubio (together in 2 articles); Brown not */
    j = get_json("/v1/entities/person:marco-rubio/related", 200);
    list = json_object_get(j, "related");
    json_t *lav = find_by_id(list, "person:sergei-lavrov");
    cr_assert_not_null(lav, "%s", json_dumps(j, 0));
    cr_expect_eq(json_integer_value(json_object_get(lav, "together")), 2);
    cr_expect_null(find_by_id(list, "person:gordon-brown"));
    json_decref(j);

    /* search filtered by entity */
    j = get_json("/v1/search?q=london&entity=person:tony-blair", 200);
    cr_expect_eq(json_integer_value(json_object_get(j, "total")), 1, "%s", json_dumps(j, 0));
    json_decref(j);
    j = get_json("/v1/search?q=london", 200);
    cr_expect_eq(json_integer_value(json_object_get(j, "total")), 2);
    json_decref(j);
    j = get_json("/v1/search?q=london&entity=person:nobody", 200);
    cr_expect_eq(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);

    json_decref(get_json("/v1/entities?type=planet", 400));
    json_decref(get_json("/v1/entities/person:nobody/related", 404));
}

Test(entities, chrome_is_not_an_entity)
{
    json_t *j;
    put("c1", "2025-07-10T09:00:00Z",
        "Share This Article\nPhoto Credit: Reuters\nSign up now for our newsletter\n"
        "The mayor of Paris opened a new bridge on Monday, officials said.\nShare This Article");
    j = get_json("/v1/articles/c1/entities", 200);
    json_t *list = json_object_get(j, "entities"), *e;
    size_t i;
    json_array_foreach(list, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        cr_expect(strstr(name, "Share") == NULL && strstr(name, "Photo") == NULL &&
                      strstr(name, "Sign") == NULL && strcmp(name, "Monday") != 0,
                  "chrome became an entity: %s", name);
    }
    cr_expect_not_null(find_by_id(list, "location:paris"), "%s", json_dumps(j, 0));
    json_decref(j);
}
