/* Black-box tests of the forgiving search box: match=all|any|auto (relaxed matching when
 * every word finds nothing, "relaxed" in the answer, exclusions and filters kept, cursors,
 * cache and multi-search), typo=auto|suggest|off (corrected, did_you_mean) and each hit's
 * title_html (marks, escaping, UTF-8, fields=, browse). Hand-written BBC-like fixtures;
 * the relaxed-matching tests turn typo correction off, which would fix "Blare" first. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/utf8.h"
#include "apitest.h"

TestSuite(forgiving, .timeout = 120);

static const char *const fixtures[][4] = {
    /* id, title, body, source */
    {"tb1", "Blair hails Labour victory",
     "Prime Minister Tony Blair said the result was a vote for change.", "BBC"},
    {"tb2", "Tony Blair faces questions over Iraq",
     "Questions about the war continued in parliament.", "BBC"},
    {"tb3", "Tony Hawk skates again", "The skater Tony Hawk returned.", "Reuters"},
    {"jf1", "Ban on junk food adverts",
     "Ministers plan to ban junk food adverts on children's television.", "BBC"},
    {"fp1", "Food prices rise", "The cost of food rose again this year.", "BBC"},
    {"jm1", "Junk mail complaints rise", "Households receive more junk mail than ever.", "BBC"},
    {"h1", "<script>alert(\"x\")</script> & 'quotes' storm",
     "A storm warning was issued for the coast.", "BBC"},
    {"u1", "\xc3\x89lection \xc3\xa0 Z\xc3\xbcrich: caf\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac storm",
     "Z\xc3\xbcrich votes while a storm passes.", "BBC"},
};
#define NFIX (sizeof fixtures / sizeof fixtures[0])

static void seed(struct apitest_server *s)
{
    for (size_t i = 0; i < NFIX; i++) {
        struct apitest_resp r;
        json_t *a = json_pack("{s:s,s:s,s:s,s:s}", "id", fixtures[i][0], "title", fixtures[i][1],
                              "body", fixtures[i][2], "source", fixtures[i][3]);
        char *body = json_dumps(a, 0);
        apitest_post_json(s, "/v1/articles", body, &r);
        cr_assert_eq(r.status, 201, "%s", r.body);
        apitest_resp_free(&r);
        free(body);
        json_decref(a);
    }
}

static void start(struct apitest_server *s)
{
    cr_assert_eq(apitest_start(s, NULL, NULL), 0);
    seed(s);
}

static void stop(struct apitest_server *s)
{
    apitest_stop(s);
    apitest_cleanup(s);
}

/* 1 when the answer's hits hold id. */
static int has_hit(json_t *answer, const char *id)
{
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(answer, "hits"), i, h)
    {
        if (strcmp(json_string_value(json_object_get(h, "id")), id) == 0)
            return 1;
    }
    return 0;
}

static json_t *hit_of(json_t *answer, const char *id)
{
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(answer, "hits"), i, h)
    {
        if (strcmp(json_string_value(json_object_get(h, "id")), id) == 0)
            return h;
    }
    return NULL;
}

static long long total_of(json_t *a)
{
    return json_integer_value(json_object_get(a, "total"));
}

static int relaxed_of(json_t *a)
{
    json_t *v = json_object_get(a, "relaxed");
    cr_assert(json_is_boolean(v), "no relaxed in the answer");
    return json_is_true(v);
}

Test(forgiving, all_words_found_is_not_relaxed)
{
    struct apitest_server s;
    struct apitest_resp r;
    start(&s);
    apitest_get(&s, "/v1/search?q=Tony+Blair", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(total_of(r.json), 2, "%s", r.body);
    cr_expect(!relaxed_of(r.json));
    cr_expect(has_hit(r.json, "tb1") && has_hit(r.json, "tb2"));
    apitest_resp_free(&r);
    /* a browse has nothing to relax */
    apitest_get(&s, "/v1/search", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(!relaxed_of(r.json));
    apitest_resp_free(&r);
    stop(&s);
}

Test(forgiving, nothing_with_every_word_relaxes)
{
    struct apitest_server s;
    struct apitest_resp r;
    start(&s);

    /* two words: either; Tony Blair ranks above Tony Hawk? both only "tony": all three */
    apitest_get(&s, "/v1/search?q=Tony+Blare&typo=off", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(relaxed_of(r.json), "%s", r.body);
    cr_expect_eq(total_of(r.json), 3, "%s", r.body);
    cr_expect(has_hit(r.json, "tb1") && has_hit(r.json, "tb2") && has_hit(r.json, "tb3"));
    apitest_resp_free(&r);

    /* three words: at least two, so not every article about food or junk mail */
    apitest_get(&s, "/v1/search?q=junk+food+ads", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(relaxed_of(r.json));
    cr_expect_eq(total_of(r.json), 1, "%s", r.body);
    cr_expect(has_hit(r.json, "jf1"), "%s", r.body);
    apitest_resp_free(&r);

    /* match=any: any word, the article with most of them first */
    apitest_get(&s, "/v1/search?q=junk+food+ads&match=any", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(relaxed_of(r.json));
    cr_expect_eq(total_of(r.json), 3, "%s", r.body);
    cr_expect_str_eq(json_string_value(
                         json_object_get(json_array_get(json_object_get(r.json, "hits"), 0), "id")),
                     "jf1", "%s", r.body);
    apitest_resp_free(&r);

    /* match=all: strict, even after the same query relaxed (the cache key has match) */
    apitest_get(&s, "/v1/search?q=Tony+Blare&typo=off&match=all", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(!relaxed_of(r.json));
    cr_expect_eq(total_of(r.json), 0, "%s", r.body);
    apitest_resp_free(&r);

    /* stop words do not let everything in */
    apitest_get(&s, "/v1/search?q=the+junk+of+the+year+zzzqx", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(relaxed_of(r.json));
    cr_expect(!has_hit(r.json, "tb2"), "%s", r.body);
    apitest_resp_free(&r);

    /* a single word has nothing to relax */
    apitest_get(&s, "/v1/search?q=zzzqx", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(!relaxed_of(r.json));
    cr_expect_eq(total_of(r.json), 0);
    apitest_resp_free(&r);

    apitest_get(&s, "/v1/search?q=Tony&match=most", &r);
    cr_expect(apitest_is_problem(&r, 400), "%ld %s", r.status, r.body);
    cr_expect(strstr(r.body, "\"match\"") != NULL, "%s", r.body);
    apitest_resp_free(&r);
    stop(&s);
}

Test(forgiving, exclusions_and_filters_are_kept)
{
    struct apitest_server s;
    struct apitest_resp r;
    start(&s);
    apitest_get(&s, "/v1/search?q=Tony+Blare+-Iraq&typo=off", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(relaxed_of(r.json));
    cr_expect(!has_hit(r.json, "tb2"), "%s", r.body);
    cr_expect(has_hit(r.json, "tb1") && has_hit(r.json, "tb3"), "%s", r.body);
    apitest_resp_free(&r);

    apitest_get(&s, "/v1/search?q=Tony+Blare&typo=off&source=Reuters&facets=source", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(relaxed_of(r.json));
    cr_expect_eq(total_of(r.json), 1, "%s", r.body);
    cr_expect(has_hit(r.json, "tb3"));
    /* facets count the query that ran */
    cr_expect_eq(
        json_integer_value(json_object_get(
            json_array_get(json_object_get(json_object_get(r.json, "facets"), "source"), 0),
            "count")),
        1, "%s", r.body);
    apitest_resp_free(&r);

    apitest_get(&s, "/v1/search?q=Tony+Blare&typo=off&facets=source", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    {
        json_t *src = json_object_get(json_object_get(r.json, "facets"), "source");
        long long sum = 0;
        for (size_t i = 0; i < json_array_size(src); i++)
            sum += json_integer_value(json_object_get(json_array_get(src, i), "count"));
        cr_expect_eq(sum, total_of(r.json), "%s", r.body);
    }
    apitest_resp_free(&r);
    stop(&s);
}

Test(forgiving, relaxed_pages_follow_their_cursor)
{
    struct apitest_server s;
    struct apitest_resp r;
    char path[512];
    int seen = 0;
    start(&s);
    snprintf(path, sizeof path, "/v1/search?q=Tony+Blare&typo=off&limit=1");
    for (int page = 0; page < 5; page++) {
        const char *next;
        apitest_get(&s, path, &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        cr_expect(relaxed_of(r.json));
        seen += (int)json_array_size(json_object_get(r.json, "hits"));
        next = json_string_value(json_object_get(r.json, "next_cursor"));
        if (next == NULL) {
            apitest_resp_free(&r);
            break;
        }
        snprintf(path, sizeof path, "/v1/search?q=Tony+Blare&typo=off&limit=1&cursor=%s", next);
        apitest_resp_free(&r);
    }
    cr_expect_eq(seen, 3);
    /* a cursor is bound to its match= */
    apitest_get(&s, "/v1/search?q=Tony+Blare&typo=off&limit=1", &r);
    snprintf(path, sizeof path, "/v1/search?q=Tony+Blare&typo=off&limit=1&match=any&cursor=%s",
             json_string_value(json_object_get(r.json, "next_cursor")));
    apitest_resp_free(&r);
    apitest_get(&s, path, &r);
    cr_expect(apitest_is_problem(&r, 400), "%ld %s", r.status, r.body);
    apitest_resp_free(&r);
    stop(&s);
}

Test(forgiving, title_html_marks_and_escapes)
{
    struct apitest_server s;
    struct apitest_resp r;
    json_t *h;
    start(&s);

    apitest_get(&s, "/v1/search?q=storm", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    h = hit_of(r.json, "h1");
    cr_assert_not_null(h, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(h, "title_html")),
                     "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; "
                     "<mark>storm</mark>");
    /* the raw title is unchanged */
    cr_expect_str_eq(json_string_value(json_object_get(h, "title")), fixtures[6][1]);
    apitest_resp_free(&r);

    /* folded matches mark the whole multi-byte word */
    apitest_get(&s, "/v1/search?q=zurich+cafe", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    h = hit_of(r.json, "u1");
    cr_assert_not_null(h, "%s", r.body);
    {
        const char *t = json_string_value(json_object_get(h, "title_html"));
        cr_assert_not_null(t);
        cr_expect_eq(utf8_check(t, strlen(t), NULL), 0);
        cr_expect_str_eq(t, "\xc3\x89lection \xc3\xa0 <mark>Z\xc3\xbcrich</mark>: "
                            "<mark>caf\xc3\xa9</mark> \xe6\x9d\xb1\xe4\xba\xac storm");
    }
    apitest_resp_free(&r);

    /* a phrase marks each of its words; words only in the body mark nothing */
    apitest_get(&s, "/v1/search?q=%22tony+blair%22+parliament&fields=title_html", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    h = hit_of(r.json, "tb2");
    cr_assert_not_null(h, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(h, "title_html")),
                     "<mark>Tony</mark> <mark>Blair</mark> faces questions over Iraq");
    /* fields=title_html: the id and it */
    cr_expect_eq(json_object_size(h), 2, "%s", r.body);
    apitest_resp_free(&r);

    /* a relaxed search marks the words that matched */
    apitest_get(&s, "/v1/search?q=Tony+Blare&typo=off&fields=title_html", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    h = hit_of(r.json, "tb3");
    cr_assert_not_null(h, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(h, "title_html")),
                     "<mark>Tony</mark> Hawk skates again");
    apitest_resp_free(&r);

    /* a browse: escaped, no marks; source filter tokens are never marked */
    apitest_get(&s, "/v1/search?source=BBC&limit=100", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    h = hit_of(r.json, "h1");
    cr_assert_not_null(h, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(h, "title_html")),
                     "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; "
                     "storm");
    cr_expect(strstr(r.body, "<mark>") == NULL, "%s", r.body);
    apitest_resp_free(&r);

    apitest_get(&s, "/v1/search?q=storm&sort=newest&fields=title_html", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(hit_of(r.json, "u1"), "title_html")),
                     "\xc3\x89lection \xc3\xa0 Z\xc3\xbcrich: caf\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac "
                     "<mark>storm</mark>");
    apitest_resp_free(&r);
    stop(&s);
}

Test(forgiving, multi_search_takes_match)
{
    struct apitest_server s;
    struct apitest_resp r;
    json_t *res;
    start(&s);
    apitest_post_json(
        &s, "/v1/search/_multi",
        "{\"queries\":[{\"q\":\"Tony Blare\",\"match\":\"all\",\"typo\":\"off\"},"
        "{\"q\":\"Tony Blare\",\"typo\":\"off\"},{\"q\":\"junk food ads\",\"match\":\"any\"},"
        "{\"q\":\"Tony\",\"match\":\"some\"}]}",
        &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    res = json_object_get(r.json, "results");
    cr_expect_eq(total_of(json_array_get(res, 0)), 0, "%s", r.body);
    cr_expect(!relaxed_of(json_array_get(res, 0)));
    cr_expect_eq(total_of(json_array_get(res, 1)), 3, "%s", r.body);
    cr_expect(relaxed_of(json_array_get(res, 1)));
    cr_expect_eq(total_of(json_array_get(res, 2)), 3, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(res, 3), "status")), 400);
    apitest_resp_free(&r);
    stop(&s);
}

Test(forgiving, typos_are_corrected_when_nothing_is_found)
{
    struct apitest_server s;
    struct apitest_resp r;
    start(&s);

    /* auto: the corrected query runs and the answer says so */
    apitest_get(&s, "/v1/search?q=Tony+Blare", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "corrected")), "Tony blair", "%s",
                     r.body);
    cr_expect(!relaxed_of(r.json));
    cr_expect_eq(total_of(r.json), 2, "%s", r.body);
    cr_expect(has_hit(r.json, "tb1") && has_hit(r.json, "tb2"));
    cr_expect_null(json_object_get(r.json, "did_you_mean"));
    apitest_resp_free(&r);

    /* suggest: the query as written (here relaxed), and the suggestion */
    apitest_get(&s, "/v1/search?q=Tony+Blare&typo=suggest", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "did_you_mean")), "Tony blair", "%s",
                     r.body);
    cr_expect_null(json_object_get(r.json, "corrected"));
    cr_expect(relaxed_of(r.json));
    cr_expect_eq(total_of(r.json), 3, "%s", r.body);
    apitest_resp_free(&r);

    /* off: nothing corrected or suggested */
    apitest_get(&s, "/v1/search?q=Tony+Blare&typo=off&match=all", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(total_of(r.json), 0);
    cr_expect_null(json_object_get(r.json, "corrected"));
    cr_expect_null(json_object_get(r.json, "did_you_mean"));
    apitest_resp_free(&r);

    /* a known word, a short word, a word with a digit, a phrase: left alone */
    const char *alone[] = {
        "/v1/search?q=Tony+Blair&typo=suggest", "/v1/search?q=Iraa+war&typo=suggest&match=all",
        "/v1/search?q=Ira&typo=suggest&match=all", "/v1/search?q=Blare2&typo=suggest&match=all",
        "/v1/search?q=%22Tony+Blare%22&typo=suggest&match=all"};
    for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++) {
        apitest_get(&s, alone[i], &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        if (i == 1)
            /* 4 letters: one edit */
            cr_expect_str_eq(json_string_value(json_object_get(r.json, "did_you_mean")), "iraq war",
                             "%s", r.body);
        else
            cr_expect_null(json_object_get(r.json, "did_you_mean"), "%s: %s", alone[i], r.body);
        apitest_resp_free(&r);
    }
    /* an exclusion is never corrected, and stays one */
    apitest_get(&s, "/v1/search?q=Tony+Blare+-Iraq", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "corrected")), "Tony blair -Iraq",
                     "%s", r.body);
    cr_expect(!has_hit(r.json, "tb2"), "%s", r.body);
    apitest_resp_free(&r);

    apitest_get(&s, "/v1/search?q=Tony&typo=maybe", &r);
    cr_expect(apitest_is_problem(&r, 400), "%ld %s", r.status, r.body);
    cr_expect(strstr(r.body, "\"typo\"") != NULL, "%s", r.body);
    apitest_resp_free(&r);
    stop(&s);
}
