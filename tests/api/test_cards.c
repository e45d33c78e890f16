/* Black-box tests of search result cards (issue 20, item 3): hits carry url,
 * tags, language, author, story, duplicate_of and the article's top 5
 * entities by mentions; fields= narrows a hit (id always; an unknown name is
 * a 400); the answer cache and the cursor tell field sets apart; the same
 * through POST /v1/search/_multi. */
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

TestSuite(cards, .init = setup, .fini = teardown, .timeout = 60);

/* Eight people and places, Blair named most, Brown next. */
static const char *many =
    "Tony Blair met Gordon Brown in London on Monday. Blair said the talks went well and "
    "Mr. Blair thanked Brown. Angela Merkel flew in from Berlin, Jacques Chirac came from Paris "
    "and Silvio Berlusconi from Rome.";

static void put(const char *id, const char *json)
{
    struct apitest_resp r;
    char path[128];
    snprintf(path, sizeof path, "/v1/articles/%s", id);
    apitest_request(&srv, "PUT", path, "application/json", json, strlen(json), &r);
    cr_assert(r.status == 201 || r.status == 200, "%s: %ld %s", id, r.status, r.body);
    apitest_resp_free(&r);
}

static void seed(void)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[ss]}", "title", "Summit in London",
                          "body", many, "url", "https://example.com/summit", "source", "AFP",
                          "author", "Jane Roe", "language", "en", "published_at",
                          "2025-07-10T09:00:00Z", "tags", "politics", "europe");
    char *js = json_dumps(o, JSON_COMPACT);
    put("c1", js);
    /* the same body again: an exact copy of c1 */
    json_object_set_new(o, "published_at", json_string("2025-07-11T09:00:00Z"));
    json_object_del(o, "url");
    json_object_del(o, "tags");
    free(js);
    js = json_dumps(o, JSON_COMPACT);
    put("c2", js);
    free(js);
    json_decref(o);
    put("c3", "{\"title\":\"Summit notes\",\"body\":\"A quiet summit day in Brussels.\"}");
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

static json_t *hit_by_id(json_t *answer, const char *id)
{
    json_t *h;
    size_t i;
    json_array_foreach(json_object_get(answer, "hits"), i, h)
    {
        if (strcmp(json_string_value(json_object_get(h, "id")), id) == 0)
            return h;
    }
    return NULL;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

Test(cards, hits_carry_the_card)
{
    json_t *j, *h, *c2, *ents, *art;
    seed();
    j = get_json("/v1/search?q=summit", 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "total")), 3, "%s", json_dumps(j, 0));
    h = hit_by_id(j, "c1");
    cr_assert_not_null(h);
    cr_expect_str_eq(str(h, "url"), "https://example.com/summit");
    cr_expect_str_eq(str(h, "author"), "Jane Roe");
    cr_expect_str_eq(str(h, "language"), "en");
    cr_expect_str_eq(str(h, "source"), "AFP");
    cr_expect_eq(json_array_size(json_object_get(h, "tags")), 2);
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(h, "tags"), 0)), "politics");
    cr_expect(json_is_null(json_object_get(h, "duplicate_of")));
    cr_expect(json_is_string(json_object_get(h, "story")), "%s", json_dumps(h, 0));
    cr_expect(json_is_real(json_object_get(h, "score")));
    cr_expect(json_is_string(json_object_get(h, "snippet")));
    /* the copy names its original, has no url and an empty tag list */
    c2 = hit_by_id(j, "c2");
    cr_assert_not_null(c2);
    cr_expect_str_eq(str(c2, "duplicate_of"), "c1");
    cr_expect(json_is_null(json_object_get(c2, "url")));
    cr_expect_eq(json_array_size(json_object_get(c2, "tags")), 0);
    /* the same story as the article itself says */
    art = get_json("/v1/articles/c1", 200);
    cr_expect(json_equal(json_object_get(art, "story"), json_object_get(h, "story")));
    json_decref(art);

    /* entities: at most 5, most mentioned first, the same as the article's
     * own entities list says */
    ents = json_object_get(h, "entities");
    cr_assert_eq(json_array_size(ents), 5, "%s", json_dumps(ents, 0));
    art = get_json("/v1/articles/c1/entities", 200);
    json_t *all = json_object_get(art, "entities");
    cr_assert_gt(json_array_size(all), 5, "%s", json_dumps(art, 0));
    size_t prev = (size_t)-1, least = (size_t)-1;
    for (size_t i = 0; i < json_array_size(ents); i++) {
        json_t *e = json_array_get(ents, i), *full = NULL, *x;
        size_t k;
        cr_expect(json_is_string(json_object_get(e, "name")));
        cr_expect(json_is_string(json_object_get(e, "type")));
        json_array_foreach(all, k, x)
        {
            if (strcmp(str(x, "id"), str(e, "id")) == 0)
                full = x;
        }
        cr_assert_not_null(full, "%s", str(e, "id"));
        cr_expect_str_eq(str(full, "name"), str(e, "name"));
        size_t m = json_array_size(json_object_get(full, "mentions"));
        cr_expect_leq(m, prev, "most mentioned first: %s", json_dumps(ents, 0));
        prev = m;
        least = m;
    }
    cr_expect_str_eq(str(json_array_get(ents, 0), "id"), "person:tony-blair", "%s",
                     json_dumps(ents, 0));
    /* no entity left off has more mentions than one shown */
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *x = json_array_get(all, i), *e;
        size_t k;
        int shown = 0;
        json_array_foreach(ents, k, e) shown |= strcmp(str(x, "id"), str(e, "id")) == 0;
        if (!shown)
            cr_expect_leq(json_array_size(json_object_get(x, "mentions")), least);
    }
    json_decref(art);
    /* an article without entities or fields */
    h = hit_by_id(j, "c3");
    cr_assert_not_null(h);
    cr_expect(json_is_null(json_object_get(h, "author")));
    /* sent without a language: the detected one */
    cr_expect_str_eq(str(h, "language"), "en");
    json_decref(j);

    /* newest first and collapsed carry the same cards */
    j = get_json("/v1/search?q=summit&sort=newest&source=AFP", 200);
    h = hit_by_id(j, "c1");
    cr_assert_not_null(h);
    cr_expect_str_eq(str(h, "url"), "https://example.com/summit");
    cr_expect_eq(json_array_size(json_object_get(h, "entities")), 5);
    json_decref(j);
    j = get_json("/v1/search?q=summit&duplicates=collapse", 200);
    h = hit_by_id(j, "c1");
    cr_assert_not_null(h, "%s", json_dumps(j, 0));
    cr_expect_eq(json_integer_value(json_object_get(h, "copies")), 2);
    cr_expect_str_eq(str(h, "author"), "Jane Roe");
    json_decref(j);
}

Test(cards, fields_narrow_the_hit)
{
    json_t *j, *h;
    seed();
    j = get_json("/v1/search?q=summit&fields=url,tags", 200);
    h = hit_by_id(j, "c1");
    cr_assert_not_null(h);
    cr_expect_eq(json_object_size(h), 3, "id always, then url and tags: %s", json_dumps(h, 0));
    cr_expect_str_eq(str(h, "url"), "https://example.com/summit");
    cr_expect_eq(json_array_size(json_object_get(h, "tags")), 2);
    cr_expect_eq(json_integer_value(json_object_get(j, "total")), 3);
    json_decref(j);

    /* repeated and with empty items; the same question twice (the answer
     * cache) keeps its shape, and a different field set is not served
     * from the other's cache entry */
    for (int round = 0; round < 2; round++) {
        j = get_json("/v1/search?q=summit&fields=entities,&fields=,score", 200);
        h = hit_by_id(j, "c1");
        cr_assert_not_null(h);
        cr_expect_eq(json_object_size(h), 3, "%s", json_dumps(h, 0));
        cr_expect_eq(json_array_size(json_object_get(h, "entities")), 5);
        cr_expect(json_is_real(json_object_get(h, "score")));
        json_decref(j);
        j = get_json("/v1/search?q=summit&fields=id", 200);
        h = hit_by_id(j, "c1");
        cr_assert_not_null(h);
        cr_expect_eq(json_object_size(h), 1, "%s", json_dumps(h, 0));
        json_decref(j);
        j = get_json("/v1/search?q=summit", 200);
        cr_expect_eq(json_object_size(hit_by_id(j, "c1")), 14, "%s", json_dumps(j, 0));
        json_decref(j);
    }

    /* an unknown field is a 400 naming fields */
    const char *bad[] = {
        "/v1/search?q=summit&fields=id,body", "/v1/search?q=summit&fields=URL",
        "/v1/search?q=summit&fields=title&fields=nope",
        /* a long name of two-byte characters: the problem cuts it between
         * characters (a cut inside one would not be JSON) */
        "/v1/search?q=summit&fields="
        "x%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
        "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
        "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct apitest_resp r;
        apitest_get(&srv, bad[i], &r);
        cr_expect(apitest_is_problem(&r, 400), "%s: %ld %s", bad[i], r.status, r.body);
        cr_expect_str_eq(json_string_value(json_object_get(
                             json_array_get(json_object_get(r.json, "errors"), 0), "field")),
                         "fields", "%s", r.body);
        apitest_resp_free(&r);
    }

    /* the cursor belongs to its field set */
    j = get_json("/v1/search?q=summit&limit=1&fields=title", 200);
    const char *cur = str(j, "next_cursor");
    cr_assert_not_null(cur);
    char path[1024];
    snprintf(path, sizeof path, "/v1/search?q=summit&limit=1&fields=title&cursor=%s", cur);
    json_t *next = get_json(path, 200);
    cr_expect_eq(json_object_size(json_array_get(json_object_get(next, "hits"), 0)), 2);
    json_decref(next);
    snprintf(path, sizeof path, "/v1/search?q=summit&limit=1&fields=url&cursor=%s", cur);
    json_decref(get_json(path, 400));
    json_decref(j);
}

Test(cards, multi_search_takes_fields)
{
    struct apitest_resp r;
    json_t *results, *h;
    seed();
    apitest_post_json(&srv, "/v1/search/_multi",
                      "{\"queries\":[{\"q\":\"summit\",\"fields\":\"author,story\"},"
                      "{\"q\":\"summit\",\"fields\":\"colour\"},{\"q\":\"brussels\"}]}",
                      &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    results = json_object_get(r.json, "results");
    h = hit_by_id(json_array_get(results, 0), "c1");
    cr_assert_not_null(h, "%s", r.body);
    cr_expect_eq(json_object_size(h), 3, "%s", json_dumps(h, 0));
    cr_expect_str_eq(str(h, "author"), "Jane Roe");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(results, 1), "status")), 400);
    h = hit_by_id(json_array_get(results, 2), "c3");
    cr_assert_not_null(h, "%s", r.body);
    cr_expect(json_is_array(json_object_get(h, "entities")));
    cr_expect(json_is_array(json_object_get(h, "tags")));
    apitest_resp_free(&r);
}
