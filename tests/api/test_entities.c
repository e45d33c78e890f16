/* Black-box tests of the entity endpoints: extraction at ingest, mentions with
 * code point offsets, merging across articles, counts under replace and
 * delete, listing with type/prefix/window filters, articles of an entity,
 * related entities, and the entity= search filter; curation by editors
 * (PUT, _merge, _block and its DELETE: statuses, merged_into, what new
 * articles do, the write key). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apitest.h"
#include "security.h"

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

    json_decref(get_json("/v1/articles/nope/entities", 404));
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

/* ---- curation --------------------------------------------------------------- */

/* A request with a JSON body (or none); the answer's status, *out its JSON
 * (new reference) when out is not NULL. */
static long curate_req(const char *method, const char *path, const char *json, json_t **out)
{
    struct apitest_resp r;
    long status;
    apitest_request(&srv, method, path, json ? "application/json" : NULL, json,
                    json ? strlen(json) : 0, &r);
    status = r.status;
    if (status >= 400)
        cr_expect(apitest_is_problem(&r, status), "%s %s: %ld is no problem: %s", method, path,
                  status, r.body);
    if (out != NULL)
        *out = json_incref(r.json);
    apitest_resp_free(&r);
    return status;
}

static json_int_t int_of(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* The ids of an article's stored entities, as one string "id,id,". */
static void article_entity_ids(const char *id, char *out, size_t size)
{
    char path[128];
    json_t *j, *e;
    size_t i, n = 0;
    snprintf(path, sizeof path, "/v1/articles/%s/entities", id);
    j = get_json(path, 200);
    out[0] = '\0';
    json_array_foreach(json_object_get(j, "entities"), i, e)
    {
        const char *eid = json_string_value(json_object_get(e, "id"));
        n += (size_t)snprintf(out + n, size - n, "%s,", eid);
    }
    json_decref(j);
}

Test(entities, curation_merge_block_rename_over_http)
{
    json_t *j;
    char ids[1024];

    put("c1", "2025-03-01T10:00:00Z", doc3);
    put("c2", "2025-03-02T10:00:00Z", "Gordon Brown spoke in London on Monday.");
    put("c3", "2025-03-03T10:00:00Z", "Tony Blair flew to Paris.");

    /* merge: both sides' articles, c1 counted once; the merged one points
     * at the survivor and leaves the list */
    cr_assert_eq(curate_req("POST", "/v1/entities/person:gordon-brown/_merge",
                            "{\"into\":\"person:tony-blair\"}", &j),
                 200);
    cr_expect_str_eq(json_string_value(json_object_get(j, "id")), "person:tony-blair");
    cr_expect_eq(int_of(j, "articles"), 3, "%s", json_dumps(j, 0));
    json_decref(j);
    j = get_json("/v1/entities/person:gordon-brown", 200);
    cr_expect_str_eq(json_string_value(json_object_get(j, "merged_into")), "person:tony-blair");
    cr_expect_eq(int_of(j, "articles"), 0);
    json_decref(j);
    j = get_json("/v1/entities?type=person&limit=100", 200);
    cr_expect_null(find_by_id(json_object_get(j, "entities"), "person:gordon-brown"));
    json_decref(j);
    j = get_json("/v1/entities/person:tony-blair/articles", 200);
    cr_expect_eq(json_array_size(json_object_get(j, "articles")), 3);
    json_decref(j);
    /* idempotent; conflicts; unknown ids */
    cr_expect_eq(curate_req("POST", "/v1/entities/person:gordon-brown/_merge",
                            "{\"into\":\"person:tony-blair\"}", NULL),
                 200);
    cr_expect_eq(curate_req("POST", "/v1/entities/person:tony-blair/_merge",
                            "{\"into\":\"person:tony-blair\"}", NULL),
                 409);
    cr_expect_eq(curate_req("POST", "/v1/entities/location:london/_merge",
                            "{\"into\":\"person:gordon-brown\"}", NULL),
                 409);
    cr_expect_eq(curate_req("POST", "/v1/entities/location:london/_merge",
                            "{\"into\":\"person:nobody\"}", NULL),
                 422);
    cr_expect_eq(curate_req("POST", "/v1/entities/person:nobody/_merge",
                            "{\"into\":\"person:tony-blair\"}", NULL),
                 404);
    cr_expect_eq(curate_req("POST", "/v1/entities/location:london/_merge", "{\"to\":\"x\"}", NULL),
                 400);
    /* a new article naming the merged one lands on the survivor */
    put("c4", "2025-03-04T10:00:00Z", "Gordon Brown visited Paris.");
    article_entity_ids("c4", ids, sizeof ids);
    cr_expect(strstr(ids, "person:tony-blair,") != NULL, "c4's entities: %s", ids);
    cr_expect(strstr(ids, "person:gordon-brown,") == NULL, "c4's entities: %s", ids);

    /* block: links dropped, gone from lists and filters, new articles skip it */
    cr_assert_eq(curate_req("POST", "/v1/entities/location:london/_block", NULL, &j), 200);
    cr_expect(json_is_true(json_object_get(j, "blocked")));
    cr_expect_eq(int_of(j, "articles"), 0);
    json_decref(j);
    cr_expect_eq(curate_req("POST", "/v1/entities/location:london/_block", NULL, NULL), 200);
    cr_expect_eq(curate_req("POST", "/v1/entities/person:gordon-brown/_block", NULL, NULL), 409);
    cr_expect_eq(curate_req("POST", "/v1/entities/location:nowhere/_block", NULL, NULL), 404);
    j = get_json("/v1/entities?type=location&limit=100", 200);
    cr_expect_null(find_by_id(json_object_get(j, "entities"), "location:london"));
    json_decref(j);
    j = get_json("/v1/search?q=london&entity=location:london", 200);
    cr_expect_eq(json_array_size(json_object_get(j, "hits")), 0);
    json_decref(j);
    article_entity_ids("c2", ids, sizeof ids);
    cr_expect(strstr(ids, "location:london,") == NULL, "c2's entities: %s", ids);
    put("c5", "2025-03-05T10:00:00Z", "Tony Blair returned to London.");
    article_entity_ids("c5", ids, sizeof ids);
    cr_expect(strstr(ids, "location:london,") == NULL, "c5's entities: %s", ids);
    /* lifted: new articles mention it again */
    cr_assert_eq(curate_req("DELETE", "/v1/entities/location:london/_block", NULL, &j), 200);
    cr_expect_null(json_object_get(j, "blocked"));
    json_decref(j);
    put("c6", "2025-03-06T10:00:00Z", "Tony Blair left London.");
    j = get_json("/v1/entities/location:london", 200);
    cr_expect_eq(int_of(j, "articles"), 1);
    json_decref(j);

    /* rename and aliases; a re-ingest keeps the curated name */
    cr_assert_eq(curate_req("PUT", "/v1/entities/person:tony-blair",
                            "{\"name\":\"Anthony Blair\",\"aliases\":[\"Tony B\"]}", &j),
                 200);
    cr_expect_str_eq(json_string_value(json_object_get(j, "name")), "Anthony Blair");
    json_decref(j);
    put("c3", "2025-03-03T10:00:00Z", "Tony Blair flew to Paris again.");
    j = get_json("/v1/entities/person:tony-blair", 200);
    cr_expect_str_eq(json_string_value(json_object_get(j, "name")), "Anthony Blair");
    cr_expect_eq(json_array_size(json_object_get(j, "aliases")) >= 1, 1);
    json_decref(j);
    cr_expect_eq(curate_req("PUT", "/v1/entities/person:tony-blair", "{\"type\":\"pet\"}", NULL),
                 422);
    cr_expect_eq(curate_req("PUT", "/v1/entities/person:tony-blair", "{\"nick\":\"x\"}", NULL),
                 400);
    cr_expect_eq(curate_req("PUT", "/v1/entities/person:tony-blair", "[1]", NULL), 400);
    cr_expect_eq(curate_req("PUT", "/v1/entities/person:gordon-brown", "{\"name\":\"G\"}", NULL),
                 409);
    cr_expect_eq(curate_req("PUT", "/v1/entities/person:nobody", "{\"name\":\"N\"}", NULL), 404);
}

/* Curation changes data: it needs a write key when keys are configured. */
Test(curation_keys, curation_needs_a_write_key)
{
    struct apitest_server ks;
    struct apitest_resp r;
    static const struct {
        const char *method, *path, *body;
    } ops[] = {
        {"PUT", "/v1/entities/person:tony-blair", "{\"name\":\"Anthony Blair\"}"},
        {"POST", "/v1/entities/person:gordon-brown/_merge", "{\"into\":\"person:tony-blair\"}"},
        {"POST", "/v1/entities/location:london/_block", NULL},
        {"DELETE", "/v1/entities/location:london/_block", NULL},
    };

    cr_assert_eq(sec_start_with_keys(&ks, sec_keys_text, NULL), 0, "server did not start");
    sec_request(&ks, "PUT", "/v1/articles/k1", SEC_WRITE_KEY, NULL, "application/json",
                "{\"title\":\"t\",\"body\":\"Tony Blair met Gordon Brown in London.\"}", &r);
    cr_assert_eq(r.status, 201, "%s", r.body);
    apitest_resp_free(&r);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        const char *ct = ops[i].body ? "application/json" : NULL;
        sec_request(&ks, ops[i].method, ops[i].path, NULL, NULL, ct, ops[i].body, &r);
        cr_expect_eq(r.status, 401, "%s %s without a key: %ld", ops[i].method, ops[i].path,
                     r.status);
        apitest_resp_free(&r);
        sec_request(&ks, ops[i].method, ops[i].path, SEC_READ_KEY, NULL, ct, ops[i].body, &r);
        cr_expect_eq(r.status, 403, "%s %s with a read key: %ld", ops[i].method, ops[i].path,
                     r.status);
        apitest_resp_free(&r);
        sec_request(&ks, ops[i].method, ops[i].path, SEC_WRITE_KEY, NULL, ct, ops[i].body, &r);
        cr_expect_eq(r.status, 200, "%s %s with a write key: %ld %s", ops[i].method, ops[i].path,
                     r.status, r.body);
        apitest_resp_free(&r);
    }
    sec_request(&ks, "GET", "/v1/entities/person:gordon-brown", SEC_READ_KEY, NULL, NULL, NULL, &r);
    cr_expect(r.json && json_is_string(json_object_get(r.json, "merged_into")), "%s", r.body);
    apitest_resp_free(&r);
    cr_expect_eq(apitest_stop(&ks), 0);
    apitest_cleanup(&ks);
}
