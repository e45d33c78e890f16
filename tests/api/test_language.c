/* Black-box tests of an article's language: detected when absent (and said so with
 * language_detected), found by the language= filter of search, kept when given (in lower
 * case), refused with a 400 naming the field when it is not a two-letter ISO 639-1 code. */
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

TestSuite(language, .init = setup, .fini = teardown, .timeout = 120);

static const char de_body[] =
    "Nach tagelangen heftigen Regenfällen sind in Bayern mehrere Flüsse über die Ufer "
    "getreten. Einige Ortschaften waren am Sonntag nur noch mit Booten zu erreichen.";
static const char fr_body[] =
    "Le gouvernement a présenté mercredi son projet de réforme des retraites, qui prévoit "
    "un relèvement progressif de l'âge légal de départ.";

/* POSTs json and asserts status; returns the answer (caller frees). */
static void post(const char *json, long status, struct apitest_resp *r)
{
    cr_assert_eq(apitest_post_json(&srv, "/v1/articles", json, r), 0);
    cr_assert_eq(r->status, status, "%s -> %ld %s", json, r->status, r->body);
}

static void expect_language(const json_t *o, const char *lang, int detected)
{
    const json_t *l = json_object_get(o, "language");
    if (lang == NULL)
        cr_expect(json_is_null(l), "language: %s", json_string_value(l));
    else
        cr_expect_str_eq(json_string_value(l), lang);
    cr_expect(json_is_boolean(json_object_get(o, "language_detected")));
    cr_expect_eq(json_is_true(json_object_get(o, "language_detected")), detected);
}

Test(language, detected_when_absent_and_stored)
{
    struct apitest_resp r;
    char json[1024];

    snprintf(json, sizeof json,
             "{\"id\":\"de1\",\"title\":\"Hochwasser in Bayern\",\"body\":\"%s\"}", de_body);
    post(json, 201, &r);
    expect_language(r.json, "de", 1);
    apitest_resp_free(&r);
    /* stored: the article and the list say the same */
    cr_assert_eq(apitest_get(&srv, "/v1/articles/de1", &r), 0);
    cr_assert_eq(r.status, 200);
    expect_language(r.json, "de", 1);
    apitest_resp_free(&r);
    /* null and "" are absent too */
    snprintf(json, sizeof json,
             "{\"id\":\"fr1\",\"title\":\"Retraites\",\"language\":null,\"body\":\"%s\"}", fr_body);
    post(json, 201, &r);
    expect_language(r.json, "fr", 1);
    apitest_resp_free(&r);
    snprintf(json, sizeof json,
             "{\"id\":\"fr2\",\"title\":\"Retraites\",\"language\":\"\",\"body\":\"%s\"}", fr_body);
    post(json, 201, &r);
    expect_language(r.json, "fr", 1);
    apitest_resp_free(&r);
}

Test(language, too_short_to_tell_is_null)
{
    struct apitest_resp r;
    post("{\"id\":\"n1\",\"title\":\"Q3\",\"body\":\"2025: 4.1%, 3.9%\"}", 201, &r);
    expect_language(r.json, NULL, 0);
    apitest_resp_free(&r);
}

Test(language, search_filter_finds_detected)
{
    struct apitest_resp r;
    char json[1024];
    json_t *hits;

    snprintf(json, sizeof json,
             "{\"id\":\"de1\",\"title\":\"Hochwasser in Bayern\",\"body\":\"%s\"}", de_body);
    post(json, 201, &r);
    apitest_resp_free(&r);
    snprintf(json, sizeof json, "{\"id\":\"fr1\",\"title\":\"Retraites\",\"body\":\"%s\"}",
             fr_body);
    post(json, 201, &r);
    apitest_resp_free(&r);

    cr_assert_eq(apitest_get(&srv, "/v1/search?language=de", &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    hits = json_object_get(r.json, "hits");
    cr_assert_eq(json_array_size(hits), 1, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(hits, 0), "id")), "de1");
    apitest_resp_free(&r);
    cr_assert_eq(apitest_get(&srv, "/v1/search?q=Bayern&language=fr", &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_array_size(json_object_get(r.json, "hits")), 0, "%s", r.body);
    apitest_resp_free(&r);
    cr_assert_eq(apitest_get(&srv, "/v1/search?language=-de", &r), 0);
    hits = json_object_get(r.json, "hits");
    cr_assert_eq(json_array_size(hits), 1, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(hits, 0), "id")), "fr1");
    apitest_resp_free(&r);
}

Test(language, given_language_is_kept)
{
    struct apitest_resp r;
    char json[1024];

    /* a French text sent as "es": the client's word stands, in lower case */
    snprintf(json, sizeof json,
             "{\"id\":\"g1\",\"title\":\"Retraites\",\"language\":\"ES\",\"body\":\"%s\"}",
             fr_body);
    post(json, 201, &r);
    expect_language(r.json, "es", 0);
    apitest_resp_free(&r);
    cr_assert_eq(apitest_get(&srv, "/v1/articles/g1", &r), 0);
    expect_language(r.json, "es", 0);
    apitest_resp_free(&r);
    cr_assert_eq(apitest_get(&srv, "/v1/search?language=es", &r), 0);
    cr_expect_eq(json_array_size(json_object_get(r.json, "hits")), 1, "%s", r.body);
    apitest_resp_free(&r);
    /* a replacement without a language detects again */
    snprintf(json, sizeof json, "{\"title\":\"Retraites\",\"body\":\"%s\"}", fr_body);
    cr_assert_eq(
        apitest_request(&srv, "PUT", "/v1/articles/g1", "application/json", json, strlen(json), &r),
        0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    expect_language(r.json, "fr", 1);
    apitest_resp_free(&r);
}

Test(language, bad_language_is_a_400_naming_it)
{
    static const char *bad[] = {
        "\"english\"",  "\"en-\"",  "\"e\"",    "\"e1\"",  "\"en-toolongsubtag\"", "\"en GB\"",
        "\"\\u00e9s\"", "42",        "[\"en\"]", "\"abcdefghijabcdefghijabcdefghijabcdefghij\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct apitest_resp r;
        char json[512];
        const json_t *e;
        snprintf(json, sizeof json,
                 "{\"title\":\"Storm\",\"body\":\"A storm hit the coast.\",\"language\":%s}",
                 bad[i]);
        cr_assert_eq(apitest_post_json(&srv, "/v1/articles", json, &r), 0);
        cr_expect(apitest_is_problem(&r, 400), "%s: %ld %s", bad[i], r.status, r.body);
        e = json_array_get(json_object_get(r.json, "errors"), 0);
        cr_expect_str_eq(json_string_value(json_object_get(e, "field")), "language", "%s", r.body);
        apitest_resp_free(&r);
    }
}

/* Feeds write tags with a region or script: the language is kept, lower case. */
Test(language, a_tag_is_kept_as_its_language)
{
    static const struct {
        const char *given, *kept;
    } tags[] = {{"en-GB", "en"}, {"PT_br", "pt"}, {"zh-Hant-TW", "zh"}, {"DE", "de"}};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        struct apitest_resp r;
        char json[512];
        snprintf(json, sizeof json,
                 "{\"title\":\"Storm\",\"body\":\"A storm hit the coast.\",\"language\":\"%s\"}",
                 tags[i].given);
        cr_assert_eq(apitest_post_json(&srv, "/v1/articles", json, &r), 0);
        cr_expect_eq(r.status, 201, "%s: %s", tags[i].given, r.body);
        expect_language(r.json, tags[i].kept, 0);
        apitest_resp_free(&r);
    }
}

Test(language, bulk_lines_are_detected_too)
{
    struct apitest_resp r;
    char nd[1024];
    json_t *items;

    snprintf(nd, sizeof nd,
             "{\"id\":\"b1\",\"title\":\"Hochwasser\",\"body\":\"%s\"}\n"
             "{\"id\":\"b2\",\"title\":\"x\",\"body\":\"y\",\"language\":\"xyz\"}\n",
             de_body);
    cr_assert_eq(apitest_request(&srv, "POST", "/v1/articles/_bulk", "application/x-ndjson", nd,
                                 strlen(nd), &r),
                 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 2, "%s", r.body);
    expect_language(json_array_get(items, 0), "de", 1);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(items, 1), "status")), 400, "%s",
                 r.body);
    apitest_resp_free(&r);
}
