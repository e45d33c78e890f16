/* Black-box tests of duplicate detection: exact copies, republished wire copy
 * with page chrome, edits and glued-on unrelated text, symmetry, deletes,
 * _check, and collapsed search. */
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

TestSuite(duplicates, .init = setup, .fini = teardown, .timeout = 60);

/* A wire story of about 180 words. */
static const char *story =
    "The finance ministry said on Tuesday that inflation fell to 2.1 per cent in October, the "
    "lowest rate in three years, as energy prices eased and food costs stabilised. Minister "
    "Anna Kowalski told reporters in Warsaw that the government would keep its spending plans "
    "unchanged despite pressure from opposition parties to cut fuel taxes before the winter. "
    "Economists had expected a reading of 2.4 per cent. The central bank, which meets next week, "
    "is now widely expected to hold its main interest rate at 5.75 per cent, analysts said. "
    "Retail sales rose 1.3 per cent from a year earlier, while industrial output slipped for a "
    "second month, weighed down by weaker demand from Germany, the country's largest trading "
    "partner. Kowalski said the slowdown in prices gave households breathing room but warned "
    "that wage growth remained strong. The opposition leader, Piotr Nowak, said the figures "
    "masked rising rents in the big cities and called for a housing package. Bond yields fell "
    "after the data, and the zloty firmed against the euro in morning trading on Tuesday.";

/* Unrelated text of about 400 words, to glue under a copy. */
static const char *related =
    "Related articles. Football: the national team drew with Portugal in a friendly match played "
    "in front of a sold-out crowd, with the coach praising young defenders who kept a clean "
    "sheet for most of the game before conceding late. Weather: heavy snow is forecast for the "
    "mountains this weekend, and drivers are advised to fit winter tyres and carry chains on "
    "the southern passes where avalanches closed roads last year. Culture: a new exhibition of "
    "medieval manuscripts opens at the national museum, showing illuminated books borrowed from "
    "monasteries across Europe, some displayed for the first time in four centuries. Science: "
    "researchers at the technical university unveiled a battery prototype that charges in ten "
    "minutes and keeps most of its capacity after thousands of cycles, a result they hope will "
    "interest carmakers. Travel: airlines added winter routes to the Canary Islands and Egypt "
    "as demand for sunshine holidays hit a record, while rail operators promised faster links "
    "between the capital and the coast by next summer. Health: hospitals reported fewer flu "
    "cases than last season, although doctors urged older people to get vaccinated before "
    "Christmas gatherings. Technology: a local start-up raised fresh funding to expand its "
    "delivery robots to three more cities, saying the machines had completed a million trips "
    "without a serious accident. Business: the largest supermarket chain said it would open "
    "twenty new stores, creating hundreds of jobs in smaller towns. Sport: the cycling "
    "federation announced the route of next year's national tour, which will finish with a "
    "time trial through the old town of Krakow on a Sunday afternoon in July.";

static char *json_article(const char *id, const char *title, const char *body)
{
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:s}", "id", id, "title", title, "body", body, "source", "test");
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static json_t *post(const char *id, const char *body, long expect)
{
    struct apitest_resp r;
    char *js = json_article(id, "Inflation falls", body);
    json_t *dups;
    apitest_post_json(&srv, "/v1/articles?min_containment=0.3", js, &r);
    free(js);
    cr_assert_eq(r.status, expect, "%s: %s", id, r.body);
    dups = json_incref(json_object_get(r.json, "duplicates"));
    apitest_resp_free(&r);
    return dups;
}

static double near_containment(json_t *near, const char *id, double *resemblance)
{
    json_t *n;
    size_t i;
    json_array_foreach(near, i, n)
    {
        if (strcmp(json_string_value(json_object_get(n, "id")), id) == 0) {
            if (resemblance)
                *resemblance = json_real_value(json_object_get(n, "resemblance"));
            return json_number_value(json_object_get(n, "containment"));
        }
    }
    return -1.0;
}

static char *replace_all(const char *s, const char *from, const char *to)
{
    size_t n = 0, fl = strlen(from), tl = strlen(to);
    for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
        n++;
    char *out = malloc(strlen(s) + n * (tl + 1) + 1), *o = out;
    for (const char *p = s;;) {
        const char *q = strstr(p, from);
        if (q == NULL) {
            strcpy(o, p);
            break;
        }
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, to, tl);
        o += tl;
        p = q + fl;
    }
    return out;
}

Test(duplicates, wire_copies_found_at_ingest_and_both_ways)
{
    json_t *d;
    double res = 0, c;
    char *edited, *edited2, *chrome, *glued, *tmp;
    struct apitest_resp r;

    d = post("orig", story, 201);
    cr_expect_eq(json_array_size(json_object_get(d, "near")), 0);
    json_decref(d);

    /* exact copy with different case and spacing */
    tmp = replace_all(story, "The finance", "THE   finance");
    d = post("exact", tmp, 201);
    free(tmp);
    cr_expect_str_eq(json_string_value(json_object_get(d, "exact_of")), "orig");
    cr_expect_lt(near_containment(json_object_get(d, "near"), "orig", NULL), 0.0,
                 "exact copies are not repeated in near[]");
    json_decref(d);

    /* honorifics added, "per cent" spelled "percent", curly quotes, page chrome */
    tmp = replace_all(story, "per cent", "percent");
    edited = replace_all(tmp, "Minister Anna", "Minister Mrs. Anna");
    free(tmp);
    if (asprintf(&chrome,
                 "Share this article\nPhoto: Reuters / caption: Warsaw skyline\n%s\nSign up for "
                 "our newsletter\nCopyright 2025",
                 edited) < 0)
        cr_assert_fail("asprintf");
    d = post("chrome", chrome, 201);
    cr_expect_null(json_string_value(json_object_get(d, "exact_of")));
    cr_expect_geq(near_containment(json_object_get(d, "near"), "orig", NULL), 0.85, "%s",
                  json_dumps(d, 0));
    json_decref(d);

    /* 2x unrelated text glued under it: containment high, resemblance low */
    if (asprintf(&glued, "%s\n\n%s\n%s", story, related, related) < 0)
        cr_assert_fail("asprintf");
    d = post("glued", glued, 201);
    cr_expect_geq(near_containment(json_object_get(d, "near"), "orig", &res), 0.9);
    cr_expect_lt(res, 0.5, "resemblance %f", res);
    json_decref(d);

    /* the unrelated text alone: not a copy of the story, but wholly inside
     * the glued article (containment is about the shorter text) */
    d = post("other", related, 201);
    cr_expect_lt(near_containment(json_object_get(d, "near"), "orig", NULL), 0.0);
    cr_expect_lt(near_containment(json_object_get(d, "near"), "chrome", NULL), 0.0);
    cr_expect_geq(near_containment(json_object_get(d, "near"), "glued", NULL), 0.9);
    json_decref(d);

    /* a rewritten copy: a third of its sentences changed */
    tmp = replace_all(story, "Economists had expected a reading of 2.4 per cent.",
                      "A Reuters poll of twenty economists had pointed to a far higher reading "
                      "for the month.");
    edited2 = replace_all(tmp, "Retail sales rose 1.3 per cent from a year earlier, while",
                          "Shop sales were up year on year and");
    free(tmp);
    tmp = replace_all(edited2, "The opposition leader, Piotr Nowak, said the figures masked",
                      "Piotr Nowak, who leads the opposition, argued the numbers hid");
    free(edited2);
    edited2 = tmp;
    d = post("rewritten", edited2, 201);
    c = near_containment(json_object_get(d, "near"), "orig", NULL);
    cr_expect(c >= 0.5 && c < 0.95, "rewritten containment %f", c);
    json_decref(d);

    /* both directions through GET .../duplicates */
    apitest_get(&srv, "/v1/articles/orig/duplicates", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(r.json, "exact"), 0)),
                     "exact");
    cr_expect_geq(near_containment(json_object_get(r.json, "near"), "chrome", NULL), 0.85);
    cr_expect_geq(near_containment(json_object_get(r.json, "near"), "glued", NULL), 0.9);
    cr_expect_lt(near_containment(json_object_get(r.json, "near"), "other", NULL), 0.0);
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/articles/chrome/duplicates", &r);
    cr_expect_geq(near_containment(json_object_get(r.json, "near"), "orig", NULL), 0.85);
    cr_expect_geq(near_containment(json_object_get(r.json, "near"), "exact", NULL), 0.85);
    apitest_resp_free(&r);

    /* a high threshold drops the weaker copies */
    apitest_get(&srv, "/v1/articles/orig/duplicates?min_containment=0.95", &r);
    cr_expect_lt(near_containment(json_object_get(r.json, "near"), "rewritten", NULL), 0.0);
    cr_expect_geq(near_containment(json_object_get(r.json, "near"), "chrome", NULL), 0.95);
    apitest_resp_free(&r);

    /* delete: the copy disappears from the other side, and so do its fingerprints */
    apitest_request(&srv, "DELETE", "/v1/articles/chrome", NULL, NULL, 0, &r);
    cr_expect_eq(r.status, 204);
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/articles/orig/duplicates", &r);
    cr_expect_lt(near_containment(json_object_get(r.json, "near"), "chrome", NULL), 0.0);
    apitest_resp_free(&r);

    /* replace: new text, old links gone */
    tmp = json_article("glued", "Now unrelated", related);
    apitest_request(&srv, "PUT", "/v1/articles/glued", "application/json", tmp, strlen(tmp), &r);
    free(tmp);
    cr_expect_eq(r.status, 200);
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/articles/orig/duplicates", &r);
    cr_expect_lt(near_containment(json_object_get(r.json, "near"), "glued", NULL), 0.0);
    apitest_resp_free(&r);

    free(edited);
    free(edited2);
    free(chrome);
    free(glued);
}

Test(duplicates, check_without_storing)
{
    struct apitest_resp r;
    char *js, *trunc;
    json_decref(post("orig", story, 201));

    /* the first half of the story, as a truncated republication */
    trunc = strndup(story, strlen(story) / 2);
    js = json_article("x", "t", trunc);
    /* an id in the body is left out of the answer, so drop it: check as a new text */
    json_t *o = json_loads(js, 0, NULL);
    json_object_del(o, "id");
    free(js);
    js = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    apitest_post_json(&srv, "/v1/duplicates/_check", js, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_geq(near_containment(json_object_get(r.json, "near"), "orig", NULL), 0.9);
    cr_expect_eq(strlen(json_string_value(json_object_get(r.json, "content_hash"))), 64);
    apitest_resp_free(&r);
    free(js);
    free(trunc);

    /* nothing was stored */
    apitest_get(&srv, "/v1/articles?limit=100", &r);
    cr_expect_eq(json_array_size(json_object_get(r.json, "articles")), 1);
    apitest_resp_free(&r);

    /* the exact text: exact[] */
    js = json_article("y", "t", story);
    o = json_loads(js, 0, NULL);
    json_object_del(o, "id");
    free(js);
    js = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    apitest_post_json(&srv, "/v1/duplicates/_check", js, &r);
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(r.json, "exact"), 0)),
                     "orig");
    apitest_resp_free(&r);
    free(js);
}

Test(duplicates, bulk_finds_copies_inside_one_request_and_collapse_folds_them)
{
    struct apitest_resp r;
    char *a = json_article("w1", "Inflation falls", story);
    char *tmp = replace_all(story, "per cent", "percent");
    char *b = json_article("w2", "Inflation eases", tmp);
    char *glued_body, *c, *d, *nd;
    if (asprintf(&glued_body, "%s %s", story, related) < 0)
        cr_assert_fail();
    c = json_article("w3", "Prices", glued_body);
    d = json_article("w4", "Snow and football", related);
    if (asprintf(&nd, "%s\n%s\n%s\n%s\n", a, b, c, d) < 0)
        cr_assert_fail();
    apitest_request(&srv, "POST", "/v1/articles/_bulk", "application/x-ndjson", nd, strlen(nd), &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *items = json_object_get(r.json, "items");
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(items, 1), "duplicates"), "exact_of")),
                     "w1", "same normalised text inside one request");
    cr_expect_geq(
        near_containment(
            json_object_get(json_object_get(json_array_get(items, 2), "duplicates"), "near"), "w1",
            NULL),
        0.9, "%s", r.body);
    apitest_resp_free(&r);

    /* "inflation" matches w1..w3 (one story) but not w4 */
    apitest_get(&srv, "/v1/search?q=inflation&duplicates=collapse", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 1, "%s", r.body);
    json_t *hit = json_array_get(json_object_get(r.json, "hits"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(hit, "id")), "w1", "the earliest");
    cr_expect_eq(json_integer_value(json_object_get(hit, "copies")), 3);
    apitest_resp_free(&r);
    apitest_get(&srv, "/v1/search?q=inflation", &r);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 3);
    cr_expect_null(json_object_get(json_array_get(json_object_get(r.json, "hits"), 0), "copies"));
    apitest_resp_free(&r);
    /* "snow" matches w3 (glued text) and w4: two groups */
    apitest_get(&srv, "/v1/search?q=snow&duplicates=collapse", &r);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 2, "%s", r.body);
    apitest_resp_free(&r);
    free(a);
    free(b);
    free(c);
    free(d);
    free(nd);
    free(tmp);
    free(glued_body);
}

/* Unrelated filler of n words, deterministic from *state. */
static void filler(unsigned *state, char *buf, size_t size, unsigned n)
{
    static const char *syll[] = {"ka", "lo", "mi", "nu", "pe", "ro", "sa", "ti", "vo", "ze"};
    size_t len = 0;
    for (unsigned w = 0; w < n && len + 16 < size; w++) {
        for (int s = 0; s < 3; s++) {
            *state = *state * 1103515245u + 12345u;
            len += (size_t)snprintf(buf + len, size - len, "%s", syll[(*state >> 16) % 10]);
        }
        buf[len++] = ' ';
    }
    buf[len ? len - 1 : 0] = '\0';
}

/* Copies far apart in one request: the earlier chunks commit while later
 * lines are analysed, so a copy is found by the store's look-up, not the
 * request's own index; it must be named once and join the same group. */
Test(duplicates, bulk_copies_across_committed_chunks_named_once_one_group)
{
    struct apitest_resp r;
    char *tmp = replace_all(story, "Economists had expected", "Analysts had forecast");
    char *glued_body, *nd;
    size_t len = 0, cap = 1 << 20;
    unsigned state = 7;
    char words[2048];
    const unsigned lines = 1500;

    if (asprintf(&glued_body, "%s %s", story, related) < 0)
        cr_assert_fail();
    nd = malloc(cap);
    cr_assert_not_null(nd);
    for (unsigned i = 0; i < lines; i++) {
        char id[32], *js;
        snprintf(id, sizeof id, "f%u", i);
        if (i == 0)
            js = json_article("w1", "Inflation falls", story);
        else if (i == 700)
            js = json_article("w2", "Inflation eases", tmp);
        else if (i == lines - 1)
            js = json_article("w3", "Prices", glued_body);
        else {
            filler(&state, words, sizeof words, 60);
            js = json_article(id, "Filler", words);
        }
        size_t n = strlen(js);
        if (len + n + 2 > cap) {
            cap *= 2;
            nd = realloc(nd, cap);
            cr_assert_not_null(nd);
        }
        memcpy(nd + len, js, n);
        len += n;
        nd[len++] = '\n';
        free(js);
    }
    apitest_request(&srv, "POST", "/v1/articles/_bulk", "application/x-ndjson", nd, len, &r);
    cr_assert_eq(r.status, 200, "%.500s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "written")), lines);
    json_t *items = json_object_get(r.json, "items");
    size_t copies[] = {700, lines - 1};
    for (size_t c = 0; c < 2; c++) {
        json_t *near = json_object_get(
            json_object_get(json_array_get(items, copies[c]), "duplicates"), "near");
        size_t i, named = 0;
        json_t *n;
        json_array_foreach(near, i, n)
        {
            named += strcmp(json_string_value(json_object_get(n, "id")), "w1") == 0;
        }
        cr_expect_eq(named, 1, "line %zu names w1 %zu times: %s", copies[c] + 1, named,
                     json_dumps(near, JSON_COMPACT));
    }
    apitest_resp_free(&r);

    /* one story: the two copies are in w1's group */
    apitest_get(&srv, "/v1/search?q=inflation&duplicates=collapse", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 1, "%s", r.body);
    json_t *hit = json_array_get(json_object_get(r.json, "hits"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(hit, "id")), "w1");
    cr_expect_eq(json_integer_value(json_object_get(hit, "copies")), 3, "%s", r.body);
    apitest_resp_free(&r);
    free(tmp);
    free(glued_body);
    free(nd);
}
