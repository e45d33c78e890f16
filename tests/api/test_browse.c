/* Black-box tests of browsing and filtering GET /v1/search: q optional, the
 * filters source, tag, language, author and entity (repeated: OR; "-":
 * exclude; "\-": a value starting with '-'), sort=newest|oldest|ingested,
 * cursors under every sort and filter set, and their bad input. */
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
    cr_expect_eq(apitest_stop(&srv), 0, "server did not exit 0 on SIGTERM");
    apitest_cleanup(&srv);
}

TestSuite(browse, .init = setup, .fini = teardown, .timeout = 120);

/* Nine articles, the last one stored backdated (the oldest published), so
 * commit order and time order differ. */
static void seed(void)
{
    static const char nd[] =
        "{\"id\":\"a1\",\"title\":\"Storm hits coast\",\"body\":\"A storm hit the northern "
        "coast.\",\"source\":\"AFP\",\"tags\":[\"weather\",\"europe\"],\"language\":\"en\","
        "\"author\":\"Ana Lopez\",\"published_at\":\"2025-03-01T10:00:00Z\"}\n"
        "{\"id\":\"a2\",\"title\":\"Rates steady\",\"body\":\"The bank kept rates steady.\","
        "\"source\":\"Reuters\",\"tags\":[\"economy\"],\"language\":\"en\",\"author\":\"Bo "
        "Chen\",\"published_at\":\"2025-03-02T10:00:00Z\"}\n"
        "{\"id\":\"a3\",\"title\":\"Sturm an der K\\u00fcste\",\"body\":\"Ein Sturm traf die "
        "K\\u00fcste.\",\"source\":\"dpa\",\"tags\":[\"weather\",\"Deutschland \\\"Nord\\\"\"],"
        "\"language\":\"de\",\"author\":\"Jan M\\u00fcller\",\"published_at\":"
        "\"2025-03-03T10:00:00Z\"}\n"
        "{\"id\":\"a4\",\"title\":\"Storm cleanup begins\",\"body\":\"Crews clear the storm "
        "damage.\",\"source\":\"PR Newswire\",\"tags\":[\"weather\"],\"language\":\"en\","
        "\"published_at\":\"2025-03-04T10:00:00Z\"}\n"
        "{\"id\":\"a5\",\"title\":\"Markets rally\",\"body\":\"Stocks rose on the storm "
        "relief.\",\"source\":\"AFP\",\"tags\":[\"economy\",\"-minus\"],\"language\":\"en\","
        "\"author\":\"Ana Lopez\",\"published_at\":\"2025-03-05T10:00:00Z\"}\n"
        "{\"id\":\"a6\",\"title\":\"Election results\",\"body\":\"The vote was counted.\","
        "\"source\":\"-Dash Wire\",\"tags\":[\"politics\"],\"language\":\"fr\","
        "\"published_at\":\"2025-03-06T10:00:00Z\"}\n"
        /* a7 and a8: too short for a language to be detected (they have none) */
        "{\"id\":\"a7\",\"title\":\"Tie one\",\"body\":\"Tie.\",\"source\":"
        "\"Reuters\",\"published_at\":\"2025-03-07T10:00:00Z\"}\n"
        "{\"id\":\"a8\",\"title\":\"Tie two\",\"body\":\"Tie 2.\",\"source\":"
        "\"Reuters\",\"published_at\":\"2025-03-07T10:00:00Z\"}\n"
        "{\"id\":\"a9\",\"title\":\"Archive storm\",\"body\":\"An old storm report filed "
        "late.\",\"source\":\"AFP\",\"tags\":[\"weather\"],\"language\":\"en\","
        "\"published_at\":\"2020-01-01T00:00:00Z\"}\n";
    struct apitest_resp r;
    cr_assert_eq(apitest_request(&srv, "POST", "/v1/articles/_bulk", "application/x-ndjson", nd,
                                 strlen(nd), &r),
                 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(json_is_false(json_object_get(r.json, "errors")), "%s", r.body);
    apitest_resp_free(&r);
}

/* The ids of GET path's hits, comma-separated, into out; its total in
 * *total (when not NULL). Asserts a 200. */
static void ids(const char *path, char *out, size_t size, long long *total)
{
    struct apitest_resp r;
    json_t *hits, *h;
    size_t i, n = 0;

    cr_assert_eq(apitest_get(&srv, path, &r), 0);
    cr_assert_eq(r.status, 200, "%s: %ld %s", path, r.status, r.body);
    out[0] = '\0';
    hits = json_object_get(r.json, "hits");
    json_array_foreach(hits, i, h)
    {
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "",
                              json_string_value(json_object_get(h, "id")));
    }
    if (total != NULL)
        *total = json_integer_value(json_object_get(r.json, "total"));
    apitest_resp_free(&r);
}

static void expect_ids(const char *path, const char *want)
{
    char got[512];
    long long total;
    int commas = 0;

    ids(path, got, sizeof got, &total);
    cr_expect_str_eq(got, want, "%s", path);
    for (const char *p = want; *p; p++)
        commas += *p == ',';
    cr_expect_eq(total, *want ? commas + 1 : 0, "%s: total", path);
}

static void expect_problem(const char *path, long status, const char *field)
{
    struct apitest_resp r;
    cr_assert_eq(apitest_get(&srv, path, &r), 0);
    cr_expect(apitest_is_problem(&r, status), "%s: %ld %s", path, r.status, r.body);
    if (field != NULL && r.json != NULL) {
        json_t *e = json_array_get(json_object_get(r.json, "errors"), 0);
        const char *f = json_string_value(json_object_get(e, "field"));
        cr_expect(f != NULL && strcmp(f, field) == 0, "%s: field %s", path, f ? f : "(none)");
    }
    apitest_resp_free(&r);
}

Test(browse, without_q_every_article_newest_first)
{
    seed();
    expect_ids("/v1/search", "a8,a7,a6,a5,a4,a3,a2,a1,a9");
    expect_ids("/v1/search?sort=newest", "a8,a7,a6,a5,a4,a3,a2,a1,a9");
    expect_ids("/v1/search?sort=oldest", "a9,a1,a2,a3,a4,a5,a6,a7,a8");
    /* commit order: the backdated a9, stored last, comes first */
    expect_ids("/v1/search?sort=ingested", "a9,a8,a7,a6,a5,a4,a3,a2,a1");
    expect_ids("/v1/search?from=2025-03-02&to=2025-03-05", "a4,a3,a2");
    expect_ids("/v1/search?sort=ingested&from=2025-03-02&to=2025-03-05", "a4,a3,a2");
    expect_ids("/v1/search?sort=oldest&from=2025-03-06", "a6,a7,a8");
}

Test(browse, each_filter_or_within_and_across)
{
    seed();
    expect_ids("/v1/search?source=AFP", "a5,a1,a9");
    expect_ids("/v1/search?source=AFP&source=Reuters", "a8,a7,a5,a2,a1,a9");
    expect_ids("/v1/search?source=Reuters&source=AFP&sort=oldest", "a9,a1,a2,a5,a7,a8");
    expect_ids("/v1/search?tag=weather", "a4,a3,a1,a9");
    expect_ids("/v1/search?tag=economy&tag=politics", "a6,a5,a2");
    expect_ids("/v1/search?language=de", "a3");
    expect_ids("/v1/search?language=en&language=fr&sort=oldest", "a9,a1,a2,a4,a5,a6");
    expect_ids("/v1/search?author=Ana%20Lopez", "a5,a1");
    expect_ids("/v1/search?author=Jan%20M%C3%BCller", "a3");
    /* fields AND */
    expect_ids("/v1/search?tag=weather&source=AFP", "a1,a9");
    expect_ids("/v1/search?tag=weather&source=AFP&language=en&author=Ana%20Lopez", "a1");
    expect_ids("/v1/search?tag=weather&language=fr", "");
    /* a value with quotes and spaces is one exact value */
    expect_ids("/v1/search?tag=Deutschland%20%22Nord%22", "a3");
    expect_ids("/v1/search?tag=Deutschland", "");
    /* exact: case kept */
    expect_ids("/v1/search?source=afp", "");
    /* with q: the query and the filters */
    expect_ids("/v1/search?q=storm&source=AFP&sort=newest", "a5,a1,a9");
    expect_ids("/v1/search?q=storm&tag=weather&source=AFP&source=PR%20Newswire&sort=oldest",
               "a9,a1,a4");
}

Test(browse, exclusions_and_escapes)
{
    seed();
    expect_ids("/v1/search?source=-PR%20Newswire&tag=weather", "a3,a1,a9");
    /* only exclusions */
    expect_ids("/v1/search?source=-AFP&source=-Reuters", "a6,a4,a3");
    expect_ids("/v1/search?tag=-weather&language=-fr", "a8,a7,a5,a2");
    expect_ids("/v1/search?q=storm&source=-AFP&sort=newest", "a4");
    /* a value that starts with '-': written "\-" */
    expect_ids("/v1/search?source=%5C-Dash%20Wire", "a6");
    expect_ids("/v1/search?source=-%5C-Dash%20Wire", "a8,a7,a5,a4,a3,a2,a1,a9");
    expect_ids("/v1/search?source=--Dash%20Wire&source=-Reuters&source=-AFP", "a4,a3");
    expect_ids("/v1/search?tag=%5C-minus", "a5");
    expect_ids("/v1/search?tag=--minus&source=AFP", "a1,a9");
    /* an entity nobody mentions: kept, nothing; excluded, no filter */
    expect_ids("/v1/search?entity=person:nobody-at-all", "");
    expect_ids("/v1/search?entity=-person:nobody-at-all&source=dpa", "a3");
}

/* Every page of path (limit 2 added), following next_cursor: the ids in
 * order into out, each once. */
static void pages(const char *path, char *out, size_t size)
{
    char url[1024], cursor[512] = "";
    size_t n = 0;
    int guard = 0;

    out[0] = '\0';
    for (;;) {
        struct apitest_resp r;
        json_t *hits, *h, *next;
        size_t i;
        snprintf(url, sizeof url, "%s%climit=2%s%s", path, strchr(path, '?') ? '&' : '?',
                 cursor[0] ? "&cursor=" : "", cursor);
        cr_assert_eq(apitest_get(&srv, url, &r), 0);
        cr_assert_eq(r.status, 200, "%s: %ld %s", url, r.status, r.body);
        hits = json_object_get(r.json, "hits");
        json_array_foreach(hits, i, h)
        {
            n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "," : "",
                                  json_string_value(json_object_get(h, "id")));
        }
        next = json_object_get(r.json, "next_cursor");
        if (!json_is_string(next)) {
            apitest_resp_free(&r);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        apitest_resp_free(&r);
        cr_assert_lt(++guard, 20, "%s: too many pages", path);
    }
}

Test(browse, cursors_page_through_everything_once_under_every_sort)
{
    static const char *paths[] = {
        "/v1/search",
        "/v1/search?sort=oldest",
        "/v1/search?sort=ingested",
        "/v1/search?source=AFP&source=Reuters",
        "/v1/search?source=-AFP&sort=oldest",
        "/v1/search?tag=weather&sort=ingested",
        "/v1/search?q=storm",
        "/v1/search?q=storm&sort=newest",
        "/v1/search?q=storm&sort=oldest",
        "/v1/search?q=storm&sort=ingested&tag=-economy",
        "/v1/search?from=2025-03-01&sort=ingested",
    };
    seed();
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char all[512], paged[512];
        char url[256];
        snprintf(url, sizeof url, "%s%climit=100", paths[i], strchr(paths[i], '?') ? '&' : '?');
        ids(url, all, sizeof all, NULL);
        pages(paths[i], paged, sizeof paged);
        cr_expect_str_eq(paged, all, "%s: pages vs one page", paths[i]);
    }
}

Test(browse, cursor_binds_the_filter_set_in_any_order)
{
    struct apitest_resp r;
    char cur[512], url[1024], got[128];

    seed();
    /* relevance without q is newest: one search, one cursor */
    cr_assert_eq(apitest_get(&srv, "/v1/search?limit=2", &r), 0);
    snprintf(cur, sizeof cur, "%s", json_string_value(json_object_get(r.json, "next_cursor")));
    apitest_resp_free(&r);
    snprintf(url, sizeof url, "/v1/search?sort=relevance&limit=2&cursor=%s", cur);
    ids(url, got, sizeof got, NULL);
    cr_expect_str_eq(got, "a6,a5");
    cr_assert_eq(apitest_get(&srv, "/v1/search?source=AFP&source=Reuters&limit=2", &r), 0);
    cr_assert(json_is_string(json_object_get(r.json, "next_cursor")), "%s", r.body);
    snprintf(cur, sizeof cur, "%s", json_string_value(json_object_get(r.json, "next_cursor")));
    apitest_resp_free(&r);
    /* the same set in another order: the same search */
    snprintf(url, sizeof url, "/v1/search?source=Reuters&source=AFP&limit=2&cursor=%s", cur);
    cr_assert_eq(apitest_get(&srv, url, &r), 0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    apitest_resp_free(&r);
    /* another value, a value moved to exclusion, another sort, one more field */
    snprintf(url, sizeof url, "/v1/search?source=AFP&source=dpa&limit=2&cursor=%s", cur);
    expect_problem(url, 400, "cursor");
    snprintf(url, sizeof url, "/v1/search?source=AFP&source=-Reuters&limit=2&cursor=%s", cur);
    expect_problem(url, 400, "cursor");
    snprintf(url, sizeof url, "/v1/search?source=AFP&source=Reuters&sort=oldest&cursor=%s", cur);
    expect_problem(url, 400, "cursor");
    snprintf(url, sizeof url, "/v1/search?source=AFP&source=Reuters&tag=x&limit=2&cursor=%s", cur);
    expect_problem(url, 400, "cursor");
    /* a value moved to another field */
    snprintf(url, sizeof url, "/v1/search?source=AFP&author=Reuters&limit=2&cursor=%s", cur);
    expect_problem(url, 400, "cursor");
}

Test(browse, bad_input_is_a_400)
{
    char url[2048];
    size_t n;

    seed();
    /* relevance without q: newest first, the same search */
    expect_ids("/v1/search?sort=relevance&source=dpa", "a3");
    expect_problem("/v1/search?sort=random", 400, "sort");
    expect_problem("/v1/search?source=-", 400, "source");
    expect_problem("/v1/search?sort=oldest&duplicates=collapse", 400, "duplicates");
    expect_problem("/v1/search?tag=%FF", 422, "tag");
    n = (size_t)snprintf(url, sizeof url, "/v1/search?q=storm");
    for (int i = 0; i < 21; i++)
        n += (size_t)snprintf(url + n, sizeof url - n, "&tag=t%d", i);
    expect_problem(url, 400, "tag");
    /* 20 is fine */
    n = (size_t)snprintf(url, sizeof url, "/v1/search?");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(url + n, sizeof url - n, "%ssource=-s%d", i ? "&" : "", i);
    expect_ids(url, "a8,a7,a6,a5,a4,a3,a2,a1,a9");
    /* a value past its field's bound (language: 35 bytes) */
    expect_problem("/v1/search?language=abcdefghijabcdefghijabcdefghijabcdefghij", 400, "language");
}

Test(browse, replaces_and_deletes_move_the_filter_tokens)
{
    struct apitest_resp r;
    static const char v2[] = "{\"title\":\"Storm hits coast\",\"body\":\"A storm hit the "
                             "coast.\",\"source\":\"Reuters\",\"tags\":[\"climate\"],"
                             "\"language\":\"es\",\"published_at\":\"2025-03-01T10:00:00Z\"}";
    seed();
    cr_assert_eq(
        apitest_request(&srv, "PUT", "/v1/articles/a1", "application/json", v2, strlen(v2), &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    apitest_resp_free(&r);
    expect_ids("/v1/search?source=AFP", "a5,a9");
    expect_ids("/v1/search?tag=climate&source=Reuters&language=es", "a1");
    expect_ids("/v1/search?author=Ana%20Lopez", "a5");
    /* the replace is the newest change */
    {
        char got[128];
        ids("/v1/search?sort=ingested&limit=2", got, sizeof got, NULL);
        cr_expect_str_eq(got, "a1,a9");
    }
    cr_assert_eq(apitest_request(&srv, "DELETE", "/v1/articles/a5", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 204);
    apitest_resp_free(&r);
    expect_ids("/v1/search?author=Ana%20Lopez", "");
    expect_ids("/v1/search?tag=economy", "a2");
}

Test(browse, multisearch_takes_arrays_for_repeated_filters)
{
    struct apitest_resp r;
    json_t *res;
    seed();
    cr_assert_eq(apitest_post_json(&srv, "/v1/search/_multi",
                                   "{\"queries\":[{\"source\":[\"AFP\",\"Reuters\"],"
                                   "\"sort\":\"oldest\",\"limit\":2},{\"tag\":[\"-weather\"],"
                                   "\"q\":\"storm\"},{\"sort\":\"random\"},"
                                   "{\"source\":[{\"x\":1}]}]}",
                                   &r),
                 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    res = json_object_get(r.json, "results");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(res, 0), "total")), 6);
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(json_array_get(res, 0), "hits"), 0), "id")),
                     "a9");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(res, 1), "total")), 1,
                 "storm without the weather tag: a5");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(res, 2), "status")), 400);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(res, 3), "status")), 400);
    apitest_resp_free(&r);
}
