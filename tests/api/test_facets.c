/* Black-box tests of facets on GET /v1/search (and in _multi) and of the
 * lists GET /v1/sources and GET /v1/tags: each count equals the total of the
 * same search filtered by its value (source, entity, a day window), the size
 * bound and the order, entity names and types, bad parameters, counts that
 * follow a replace and a delete, and the table loaded again at a restart. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apitest.h"

TestSuite(facets, .timeout = 120);

static void put(struct apitest_server *s, const char *id, const char *json)
{
    struct apitest_resp r;
    char path[96];
    snprintf(path, sizeof path, "/v1/articles/%s", id);
    apitest_request(s, "PUT", path, "application/json", json, strlen(json), &r);
    cr_assert(r.status == 201 || r.status == 200, "%s: %ld %s", id, r.status, r.body);
    apitest_resp_free(&r);
}

/* Articles with known sources, tags, days and places (the extractor finds
 * Rotterdam, Hamburg and Lyon). */
static void seed(struct apitest_server *s)
{
    static const char *const rows[][5] = {
        /* id, source, day, tags, place */
        {"a1", "AFP", "2025-03-03T10:00:00Z", "[\"port\",\"storm\"]", "Rotterdam"},
        {"a2", "AFP", "2025-03-03T23:59:59Z", "[\"port\"]", "Hamburg"},
        {"a3", "Reuters", "2025-03-04T00:00:00Z", "[\"storm\"]", "Rotterdam"},
        {"a4", "Reuters", "2025-03-09T12:00:00Z", "[]", "Lyon"},
        {"a5", "Harbour Courier", "2025-03-10T08:00:00Z", "[\"port\"]", "Rotterdam"},
        {"a6", "Harbour Courier", "2025-04-01T08:00:00Z", "[\"storm\",\"rail\"]", "Hamburg"},
        {"a7", "Continental Wire", "2025-04-02T08:00:00Z", "[\"rail\"]", "Rotterdam"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"title\":\"Harbour news from %s number %zu\",\"body\":\"The harbour of %s "
                 "saw ships arrive on the day. The mayor of %s spoke about the harbour and "
                 "the weather in %s.\",\"source\":\"%s\",\"published_at\":\"%s\",\"tags\":%s,"
                 "\"language\":\"%s\"}",
                 rows[i][4], i, rows[i][4], rows[i][4], rows[i][4], rows[i][1], rows[i][2],
                 rows[i][3], i % 2 ? "en" : "nl");
        put(s, rows[i][0], body);
    }
}

/* GET path and the answer's total. */
static long long total_of(struct apitest_server *s, const char *path)
{
    struct apitest_resp r;
    long long t;
    apitest_get(s, path, &r);
    cr_assert_eq(r.status, 200, "%s: %ld %s", path, r.status, r.body);
    t = json_integer_value(json_object_get(r.json, "total"));
    apitest_resp_free(&r);
    return t;
}

static char *esc(const char *v)
{
    static CURL *c;
    if (c == NULL)
        c = curl_easy_init();
    return curl_easy_escape(c, v, 0);
}

Test(facets, counts_equal_filtered_totals)
{
    struct apitest_server s;
    struct apitest_resp r;
    json_t *f, *v;
    size_t i;
    long long sum = 0;
    char path[512];

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    seed(&s);
    /* limit=1: the counts are over every match, not the page */
    apitest_get(&s,
                "/v1/search?q=harbour&limit=1&facets=source,entity,day,tag,language&facet_size=100",
                &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 7);
    f = json_object_get(r.json, "facets");
    cr_assert(json_is_object(f), "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(f, "source")), 4, "%s", r.body);
    json_array_foreach(json_object_get(f, "source"), i, v)
    {
        char *e = esc(json_string_value(json_object_get(v, "value")));
        snprintf(path, sizeof path, "/v1/search?q=harbour&limit=1&source=%s", e);
        curl_free(e);
        cr_expect_eq(total_of(&s, path), json_integer_value(json_object_get(v, "count")), "%s",
                     path);
        sum += json_integer_value(json_object_get(v, "count"));
    }
    cr_expect_eq(sum, 7);
    cr_assert_geq(json_array_size(json_object_get(f, "entity")), 3, "%s", r.body);
    json_array_foreach(json_object_get(f, "entity"), i, v)
    {
        char *e = esc(json_string_value(json_object_get(v, "value")));
        cr_expect(json_is_string(json_object_get(v, "name")), "%s", r.body);
        cr_expect(json_is_string(json_object_get(v, "type")), "%s", r.body);
        snprintf(path, sizeof path, "/v1/search?q=harbour&limit=1&entity=%s", e);
        curl_free(e);
        cr_expect_eq(total_of(&s, path), json_integer_value(json_object_get(v, "count")), "%s",
                     path);
    }
    /* Rotterdam is in four of them, as a location */
    v = json_array_get(json_object_get(f, "entity"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(v, "name")), "Rotterdam", "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(v, "type")), "location");
    cr_expect_eq(json_integer_value(json_object_get(v, "count")), 4);
    sum = 0;
    json_array_foreach(json_object_get(f, "day"), i, v)
    {
        const char *day = json_string_value(json_object_get(v, "value"));
        struct tm tm = {0};
        char next[16];
        time_t t;
        cr_assert_eq(strlen(day), 10, "%s", day);
        sscanf(day, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        t = timegm(&tm) + 86400;
        strftime(next, sizeof next, "%Y-%m-%d", gmtime(&t));
        snprintf(path, sizeof path, "/v1/search?q=harbour&limit=1&from=%s&to=%s", day, next);
        cr_expect_eq(total_of(&s, path), json_integer_value(json_object_get(v, "count")), "%s",
                     path);
        sum += json_integer_value(json_object_get(v, "count"));
    }
    cr_expect_eq(sum, 7);
    /* 2025-03-03 holds two (one at 23:59:59), 2025-03-04 one */
    v = json_array_get(json_object_get(f, "day"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "2025-03-03");
    cr_expect_eq(json_integer_value(json_object_get(v, "count")), 2);
    apitest_resp_free(&r);

    /* with a filter: the counts are over the filtered matches */
    apitest_get(&s, "/v1/search?q=harbour&source=AFP&facets=source,tag", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    f = json_object_get(r.json, "facets");
    cr_expect_eq(json_array_size(json_object_get(f, "source")), 1, "%s", r.body);
    v = json_array_get(json_object_get(f, "tag"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "port", "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(v, "count")), 2);
    apitest_resp_free(&r);
    apitest_get(&s, "/v1/search?q=harbour&from=2025-04-01&facets=source&entity=location:hamburg",
                &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    v = json_array_get(json_object_get(json_object_get(r.json, "facets"), "source"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "Harbour Courier", "%s",
                     r.body);
    cr_expect_eq(json_integer_value(json_object_get(v, "count")), 1);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 1);
    apitest_resp_free(&r);

    /* the same in a multi-search slot */
    apitest_post_json(&s, "/v1/search/_multi",
                      "{\"queries\":[{\"q\":\"harbour\",\"facets\":\"source\",\"facet_size\":1},"
                      "{\"q\":\"harbour\",\"facets\":\"nope\"}]}",
                      &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    v = json_array_get(json_object_get(r.json, "results"), 0);
    cr_expect_eq(json_array_size(json_object_get(json_object_get(v, "facets"), "source")), 1, "%s",
                 r.body);
    v = json_array_get(json_object_get(r.json, "results"), 1);
    cr_expect_eq(json_integer_value(json_object_get(v, "status")), 400, "%s", r.body);
    apitest_resp_free(&r);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

/* Facets follow every filter the search takes: OR-lists, exclusions, tags,
 * entity exclusions, and browsing without q. Each case's source counts must
 * add up to its total, and each source's count must be the total of the
 * case narrowed to that source. */
Test(facets, follow_or_lists_exclusions_and_browsing)
{
    static const char *const cases[] = {
        "q=harbour&source=AFP&source=Reuters",
        "q=harbour&source=-AFP",
        "q=harbour&tag=storm&tag=rail",
        "q=harbour&tag=-port",
        "q=harbour&entity=-location:rotterdam",
        "q=harbour&entity=location:hamburg&entity=location:lyon",
        "source=Harbour%20Courier&source=AFP",
        "tag=-storm",
        "entity=location:rotterdam",
        "language=en",
    };
    struct apitest_server s;
    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    seed(&s);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct apitest_resp r;
        char path[512];
        json_t *v;
        size_t i;
        long long sum = 0, total;
        snprintf(path, sizeof path, "/v1/search?%s&limit=1&facets=source&facet_size=100",
                 cases[c]);
        apitest_get(&s, path, &r);
        cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
        total = json_integer_value(json_object_get(r.json, "total"));
        cr_expect_gt(total, 0, "%s", path);
        json_array_foreach(json_object_get(json_object_get(r.json, "facets"), "source"), i, v)
        {
            const char *src = json_string_value(json_object_get(v, "value"));
            long long n = json_integer_value(json_object_get(v, "count"));
            char *e = esc(src), narrow[640];
            sum += n;
            /* narrowed by the one source (a source filter ANDs with the others
             * only when the case has none: else the value must be one of its) */
            if (strstr(cases[c], "source=") == NULL) {
                snprintf(narrow, sizeof narrow, "/v1/search?%s&limit=1&source=%s", cases[c], e);
                cr_expect_eq(total_of(&s, narrow), n, "%s", narrow);
            }
            curl_free(e);
        }
        cr_expect_eq(sum, total, "%s: %s", path, r.body);
        apitest_resp_free(&r);
    }
    apitest_stop(&s);
    apitest_cleanup(&s);
}

Test(facets, size_bound_order_and_buckets)
{
    struct apitest_server s;
    struct apitest_resp r;
    json_t *f, *v;
    size_t i;
    long long prev = -1;
    const char *prev_value = "";

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    seed(&s);
    apitest_get(&s, "/v1/search?q=harbour&facets=source,week,month,day&facet_size=2", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    f = json_object_get(r.json, "facets");
    cr_expect_eq(json_array_size(json_object_get(f, "source")), 2, "%s", r.body);
    /* AFP, Harbour Courier and Reuters hold 2 each: ties in value order */
    v = json_array_get(json_object_get(f, "source"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "AFP", "%s", r.body);
    v = json_array_get(json_object_get(f, "source"), 1);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "Harbour Courier", "%s",
                     r.body);
    /* histograms: the newest buckets, oldest first */
    cr_assert_eq(json_array_size(json_object_get(f, "day")), 2, "%s", r.body);
    v = json_array_get(json_object_get(f, "day"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "2025-04-01", "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(f, "month")), 2, "%s", r.body);
    v = json_array_get(json_object_get(f, "month"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "2025-03-01", "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(v, "count")), 5);
    v = json_array_get(json_object_get(f, "month"), 1);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "2025-04-01", "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(v, "count")), 2);
    apitest_resp_free(&r);

    /* weeks start on Monday: 03-03 (Mon) .. 03-09 (Sun) is one week */
    apitest_get(&s, "/v1/search?q=harbour&facets=week&facet_size=100", &r);
    f = json_object_get(r.json, "facets");
    cr_assert_eq(json_array_size(json_object_get(f, "week")), 3, "%s", r.body);
    v = json_array_get(json_object_get(f, "week"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "2025-03-03", "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(v, "count")), 4);
    v = json_array_get(json_object_get(f, "week"), 2);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "2025-03-31", "%s", r.body);
    apitest_resp_free(&r);

    /* highest first, ties by value */
    apitest_get(&s, "/v1/search?q=harbour&facets=tag&facet_size=100", &r);
    json_array_foreach(json_object_get(json_object_get(r.json, "facets"), "tag"), i, v)
    {
        long long c = json_integer_value(json_object_get(v, "count"));
        const char *val = json_string_value(json_object_get(v, "value"));
        cr_expect(prev < 0 || c < prev || (c == prev && strcmp(prev_value, val) < 0), "%s", r.body);
        prev = c;
        prev_value = val;
    }
    cr_expect_eq(json_array_size(json_object_get(json_object_get(r.json, "facets"), "tag")), 3);
    apitest_resp_free(&r);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

Test(facets, bad_parameters_are_400)
{
    static const char *const bad[] = {
        "/v1/search?q=harbour&facets=bogus",
        "/v1/search?q=harbour&facets=source,,day",
        "/v1/search?q=harbour&facets=source,",
        "/v1/search?q=harbour&facets=SOURCE",
        "/v1/search?q=harbour&facets=source&facet_size=0",
        "/v1/search?q=harbour&facets=source&facet_size=101",
        "/v1/search?q=harbour&facets=source&facet_size=abc",
        "/v1/search?q=harbour&facets=source&facet_size=-1",
        "/v1/sources?limit=0",
        "/v1/sources?limit=1001",
        "/v1/tags?from=yesterday",
    };
    struct apitest_server s;
    struct apitest_resp r;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        apitest_get(&s, bad[i], &r);
        cr_expect(apitest_is_problem(&r, 400), "%s: %ld %s", bad[i], r.status, r.body);
        apitest_resp_free(&r);
    }
    apitest_stop(&s);
    apitest_cleanup(&s);
}

/* source (AFP...) count in facet f of r, 0 when absent */
static long long count_of(const struct apitest_resp *r, const char *facet, const char *value)
{
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(r->json, "facets"), facet), i,
                       v) if (strcmp(json_string_value(json_object_get(v, "value")), value) ==
                              0) return json_integer_value(json_object_get(v, "count"));
    return 0;
}

Test(facets, counts_follow_replace_and_delete_and_restart)
{
    struct apitest_server s;
    struct apitest_resp r;
    char db[300];

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    put(&s, "x1",
        "{\"title\":\"ferry\",\"body\":\"ferry one\",\"source\":\"AFP\",\"tags\":[\"sea\"]}");
    put(&s, "x2",
        "{\"title\":\"ferry\",\"body\":\"ferry two\",\"source\":\"AFP\",\"tags\":[\"sea\"]}");
    put(&s, "x3", "{\"title\":\"ferry\",\"body\":\"ferry three\",\"source\":\"Reuters\"}");
    apitest_get(&s, "/v1/search?q=ferry&facets=source,tag", &r);
    cr_expect_eq(count_of(&r, "source", "AFP"), 2, "%s", r.body);
    cr_expect_eq(count_of(&r, "source", "Reuters"), 1, "%s", r.body);
    cr_expect_eq(count_of(&r, "tag", "sea"), 2, "%s", r.body);
    apitest_resp_free(&r);

    /* x2 moves to Reuters and loses its tag (more tags than before: x1) */
    put(&s, "x2", "{\"title\":\"ferry\",\"body\":\"ferry two\",\"source\":\"Reuters\"}");
    put(&s, "x1",
        "{\"title\":\"ferry\",\"body\":\"ferry one\",\"source\":\"AFP\",\"tags\":[\"sea\",\"port\","
        "\"wind\"]}");
    apitest_get(&s, "/v1/search?q=ferry&facets=source,tag", &r);
    cr_expect_eq(count_of(&r, "source", "AFP"), 1, "%s", r.body);
    cr_expect_eq(count_of(&r, "source", "Reuters"), 2, "%s", r.body);
    cr_expect_eq(count_of(&r, "tag", "sea"), 1, "%s", r.body);
    cr_expect_eq(count_of(&r, "tag", "wind"), 1, "%s", r.body);
    apitest_resp_free(&r);

    apitest_request(&s, "DELETE", "/v1/articles/x1", NULL, NULL, 0, &r);
    cr_assert_eq(r.status, 204);
    apitest_resp_free(&r);
    apitest_get(&s, "/v1/search?q=ferry&facets=source,tag", &r);
    cr_expect_eq(count_of(&r, "source", "AFP"), 0, "%s", r.body);
    cr_expect_eq(count_of(&r, "tag", "sea"), 0, "%s", r.body);
    cr_expect_eq(json_array_size(json_object_get(json_object_get(r.json, "facets"), "tag")), 0,
                 "%s", r.body);
    apitest_resp_free(&r);
    apitest_get(&s, "/v1/sources", &r);
    cr_expect_eq(json_array_size(json_object_get(r.json, "sources")), 1, "%s", r.body);
    apitest_resp_free(&r);

    /* the table is loaded again from the database */
    snprintf(db, sizeof db, "%s", s.db);
    apitest_kill9(&s);
    cr_assert_eq(apitest_start(&s, db, NULL), 0);
    apitest_get(&s, "/v1/search?q=ferry&facets=source,tag", &r);
    cr_expect_eq(count_of(&r, "source", "AFP"), 0, "%s", r.body);
    cr_expect_eq(count_of(&r, "source", "Reuters"), 2, "%s", r.body);
    apitest_resp_free(&r);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

Test(facets, source_and_tag_lists)
{
    struct apitest_server s;
    struct apitest_resp r;
    json_t *v;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    seed(&s);
    apitest_get(&s, "/v1/sources", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_array_size(json_object_get(r.json, "sources")), 4, "%s", r.body);
    cr_expect(json_is_false(json_object_get(r.json, "more")), "%s", r.body);
    v = json_array_get(json_object_get(r.json, "sources"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "AFP", "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(v, "articles")), 2);
    cr_expect_str_eq(json_string_value(json_object_get(v, "last_published_at")),
                     "2025-03-03T23:59:59Z", "%s", r.body);
    apitest_resp_free(&r);

    apitest_get(&s, "/v1/sources?from=2025-04-01&limit=1", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_array_size(json_object_get(r.json, "sources")), 1, "%s", r.body);
    cr_expect(json_is_true(json_object_get(r.json, "more")), "%s", r.body);
    v = json_array_get(json_object_get(r.json, "sources"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(v, "value")), "Continental Wire", "%s",
                     r.body);
    apitest_resp_free(&r);

    apitest_get(&s, "/v1/tags?to=2025-03-05", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    v = json_object_get(r.json, "tags");
    cr_expect_eq(json_array_size(v), 2, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "value")), "port");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(v, 0), "articles")), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(v, 1), "value")), "storm");
    apitest_resp_free(&r);
    apitest_stop(&s);
    apitest_cleanup(&s);
}
