/* Black-box tests of stories: one event reported by five outlets (a wire
 * report, an exact and a near copy of it, three rewrites in other words)
 * among unrelated reports becomes one story of five; the others stay apart;
 * the listing, one story, unknown ids, and a story going with its last
 * member. */
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

TestSuite(stories, .init = setup, .fini = teardown, .timeout = 60);

static const char *wire =
    "Foreign ministers Takeshi Iwaya of Japan and Mauro Vieira of Brazil met in Geneva on "
    "Tuesday and agreed to open talks on a trade agreement covering beef, ethanol and car parts. "
    "Iwaya said the two countries would set up a working group before the summer, and Vieira "
    "called the meeting a turning point for trade between Asia and South America. The talks "
    "would be the first between Tokyo and Brasilia on tariffs in more than a decade.";

static const char *chrome =
    " Subscribe to our newsletter. Share this article on social media. Advertisement.";

static const char *rewrite1 =
    "Japan's Takeshi Iwaya and his Brazilian counterpart Mauro Vieira agreed in Geneva to start "
    "negotiating a trade deal. The pact would cut tariffs on Brazilian beef and ethanol and on "
    "Japanese car parts, the ministers told reporters after their meeting on Tuesday.";

static const char *rewrite2 =
    "Brazil and Japan will begin trade negotiations, Mauro Vieira announced in Geneva after "
    "meeting Takeshi Iwaya. A working group on tariffs for ethanol, beef and auto parts will "
    "meet before summer, according to the Brazilian foreign ministry.";

static const char *rewrite3 =
    "Tokyo and Brasilia open trade talks: foreign ministers Iwaya and Vieira, meeting in Geneva, "
    "agreed on a working group for a tariff deal on beef, ethanol and car parts, the first such "
    "negotiations in over ten years.";

static const char *const distractors[] = {
    "Heavy rain flooded roads in northern Italy on Tuesday, and rescuers evacuated hundreds of "
    "residents from villages along the Po river as water levels kept rising overnight.",
    "The central bank of Sweden held its main interest rate at 2.25 percent, saying inflation "
    "had slowed but the krona remained weak against the euro and the dollar.",
    "A new species of frog was found in the cloud forests of Ecuador by biologists from the "
    "University of Quito, who described its bright orange skin and unusual call.",
    "Manchester United beat Aston Villa 3-1 at Old Trafford, with two goals from their young "
    "striker in the second half lifting the club to fifth place in the league.",
    "Japan's Nikkei share index rose 1.2 percent as exporters gained on a weaker yen, while "
    "investors waited for the central bank meeting later in the week.",
};

/* POSTs one article published at `at`; returns its ingest answer's story id
 * (new string) and whether it was new. */
static char *post_at(const char *id, const char *title, const char *body, const char *source,
                     const char *at, int *is_new)
{
    struct apitest_resp r;
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", id, "title", title, "body", body,
                          "source", source, "published_at", at);
    char *text = json_dumps(o, JSON_COMPACT), *story;
    json_t *s;

    char path[128];

    /* an id already stored is replaced (PUT) */
    snprintf(path, sizeof path, "/v1/articles/%s", id);
    cr_assert_eq(apitest_get(&srv, path, &r), 0);
    if (r.status == 200) {
        apitest_resp_free(&r);
        cr_assert_eq(apitest_request(&srv, "PUT", path, "application/json", text, strlen(text),
                                     &r),
                     0);
        cr_assert_eq(r.status, 200, "%s: %s", id, r.body);
    } else {
        apitest_resp_free(&r);
        cr_assert_eq(apitest_post_json(&srv, "/v1/articles", text, &r), 0);
        cr_assert_eq(r.status, 201, "%s: %s", id, r.body);
    }
    s = json_object_get(r.json, "story");
    cr_assert(json_is_object(s), "%s: %s", id, r.body);
    story = strdup(json_string_value(json_object_get(s, "id")));
    *is_new = json_is_true(json_object_get(s, "new"));
    apitest_resp_free(&r);
    free(text);
    json_decref(o);
    return story;
}

static char *post(const char *id, const char *title, const char *body, const char *source,
                  int *is_new)
{
    return post_at(id, title, body, source, "2025-03-04T10:00:00Z", is_new);
}

/* GETs path, expecting status; returns the answer (free it). */
static void get_expect(const char *path, long status, struct apitest_resp *r)
{
    cr_assert_eq(apitest_get(&srv, path, r), 0, "%s", path);
    if (status >= 400)
        cr_expect(apitest_is_problem(r, status), "%s: %ld %s", path, r->status, r->body);
    else
        cr_expect_eq(r->status, status, "%s: %ld %s", path, r->status, r->body);
}

Test(stories, five_outlets_one_story)
{
    char *ids[5], *dist[5], body[2048], path[128];
    int is_new[5], dnew;
    struct apitest_resp r;
    json_t *members;

    ids[0] = post("w-1", "Japan and Brazil to open trade talks", wire, "Wire", &is_new[0]);
    dist[0] = post("d-0", "Floods in Italy", distractors[0], "Rome Daily", &dnew);
    ids[1] = post("w-2", "Japan, Brazil agree on trade talks", wire, "Copy Times", &is_new[1]);
    snprintf(body, sizeof body, "%s%s", wire, chrome);
    ids[2] = post("w-3", "Japan and Brazil to open trade talks", body, "Portal", &is_new[2]);
    dist[1] = post("d-1", "Riksbank holds rate", distractors[1], "Nordic Post", &dnew);
    ids[3] = post("w-4", "Iwaya and Vieira agree to negotiate trade pact", rewrite1, "Asia Daily",
                  &is_new[3]);
    dist[2] = post("d-2", "New frog found in Ecuador", distractors[2], "Science Now", &dnew);
    ids[4] = post("w-5", "Brazil, Japan begin trade negotiations", rewrite2, "Brasil Hoje",
                  &is_new[4]);
    dist[3] = post("d-3", "United beat Villa", distractors[3], "Sport Daily", &dnew);
    dist[4] = post("d-4", "Nikkei rises on weak yen", distractors[4], "Market Wire", &dnew);
    {
        int n6;
        char *six = post("w-6", "Tokyo and Brasilia open trade talks", rewrite3, "Latam Review",
                         &n6);
        cr_expect_str_eq(six, ids[0], "the third rewrite joins too");
        cr_expect_eq(n6, 0);
        free(six);
    }

    cr_expect_eq(is_new[0], 1);
    for (int i = 1; i < 5; i++) {
        cr_expect_str_eq(ids[i], ids[0], "report %d is in the wire's story", i);
        cr_expect_eq(is_new[i], 0);
    }
    for (int i = 0; i < 5; i++)
        cr_expect_str_neq(dist[i], ids[0], "distractor %d stays out", i);
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            cr_expect_str_neq(dist[i], dist[j], "distractors %d and %d apart", i, j);

    /* the article carries its story */
    cr_assert_eq(apitest_get(&srv, "/v1/articles/w-4", &r), 0);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "story")), ids[0]);
    apitest_resp_free(&r);

    /* one story with its members, oldest first */
    snprintf(path, sizeof path, "/v1/stories/%s", ids[0]);
    cr_assert_eq(apitest_get(&srv, path, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "articles")), 6, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(r.json, "sources"), "count")),
                 6);
    members = json_object_get(r.json, "members");
    cr_assert_eq(json_array_size(members), 6);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(members, 0), "id")), "w-1");
    cr_expect_str_eq(
        json_string_value(json_object_get(json_array_get(members, 1), "duplicate_of")), "w-1");
    apitest_resp_free(&r);

    /* the listing: six stories, the event's with six articles */
    cr_assert_eq(apitest_get(&srv, "/v1/stories?min_articles=2", &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_eq(json_array_size(json_object_get(r.json, "stories")), 1, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(r.json, "stories"), 0), "id")),
                     ids[0]);
    apitest_resp_free(&r);
    cr_assert_eq(apitest_get(&srv, "/v1/stories?limit=4", &r), 0);
    cr_expect_eq(json_array_size(json_object_get(r.json, "stories")), 4);
    cr_expect(json_is_string(json_object_get(r.json, "next_cursor")));
    apitest_resp_free(&r);

    for (int i = 0; i < 5; i++) {
        free(ids[i]);
        free(dist[i]);
    }
}

Test(stories, unknown_ids_and_a_story_going_with_its_last_member)
{
    struct apitest_resp r;
    char path[128], *story;
    int is_new;
    static const char *const bad[] = {"/v1/stories/999999", "/v1/stories/abc",
                                      "/v1/stories/0", "/v1/stories/-1",
                                      "/v1/stories/1234567890123456789012"};

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(apitest_get(&srv, bad[i], &r), 0);
        cr_expect(apitest_is_problem(&r, 404), "%s: %ld %s", bad[i], r.status, r.body);
        apitest_resp_free(&r);
    }
    cr_assert_eq(apitest_get(&srv, "/v1/stories?min_articles=x", &r), 0);
    cr_expect(apitest_is_problem(&r, 400));
    apitest_resp_free(&r);

    story = post("solo", "Floods in Italy", distractors[0], "Rome Daily", &is_new);
    cr_expect_eq(is_new, 1);
    snprintf(path, sizeof path, "/v1/stories/%s", story);
    cr_assert_eq(apitest_get(&srv, path, &r), 0);
    cr_expect_eq(r.status, 200);
    apitest_resp_free(&r);
    cr_assert_eq(apitest_request(&srv, "DELETE", "/v1/articles/solo", NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 204, "%s", r.body);
    apitest_resp_free(&r);
    cr_assert_eq(apitest_get(&srv, path, &r), 0);
    cr_expect(apitest_is_problem(&r, 404), "the story went with its last member: %s", r.body);
    apitest_resp_free(&r);
    free(story);
}

Test(stories, timelines)
{
    char *story, *other, path[512], eid[200];
    int is_new;
    struct apitest_resp r;
    json_t *b, *ents;

    story = post_at("t-1", "Japan and Brazil to open trade talks", wire, "Wire",
                    "2025-03-04T10:05:00Z", &is_new);
    other = post_at("t-2", "Japan, Brazil agree on trade talks", wire, "Copy Times",
                    "2025-03-04T10:50:00Z", &is_new);
    cr_expect_str_eq(other, story);
    free(other);
    other = post_at("t-3", "Japan and Brazil to open trade talks", wire, "Portal",
                    "2025-03-05T08:30:00Z", &is_new);
    cr_expect_str_eq(other, story);
    free(other);

    /* members per hour: only the hours holding some, oldest first */
    snprintf(path, sizeof path, "/v1/stories/%s/timeline", story);
    get_expect(path, 200, &r);
    b = json_object_get(r.json, "buckets");
    cr_assert_eq(json_array_size(b), 2, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(b, 0), "start")),
                     "2025-03-04T10:00:00Z");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(b, 0), "articles")), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(b, 1), "start")),
                     "2025-03-05T08:00:00Z");
    cr_expect(json_is_false(json_object_get(r.json, "truncated")));
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/stories/%s/timeline?interval=day", story);
    get_expect(path, 200, &r);
    b = json_object_get(r.json, "buckets");
    cr_assert_eq(json_array_size(b), 2, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(b, 0), "start")),
                     "2025-03-04T00:00:00Z");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(b, 1), "articles")), 1);
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/stories/%s/timeline?interval=minute", story);
    get_expect(path, 400, &r);
    apitest_resp_free(&r);
    get_expect("/v1/stories/999999/timeline", 404, &r);
    apitest_resp_free(&r);
    get_expect("/v1/stories/abc/timeline?interval=day", 404, &r);
    apitest_resp_free(&r);

    /* an entity of the report: per day its articles and distinct stories
     * (three copies of one report: one story) */
    get_expect("/v1/articles/t-1/entities", 200, &r);
    ents = json_object_get(r.json, "entities");
    cr_assert_gt(json_array_size(ents), 0, "%s", r.body);
    snprintf(eid, sizeof eid, "%s",
             json_string_value(json_object_get(json_array_get(ents, 0), "id")));
    apitest_resp_free(&r);
    snprintf(path, sizeof path,
             "/v1/entities/%s/timeline?interval=day&from=2025-03-03&to=2025-03-06T12:00:00Z", eid);
    get_expect(path, 200, &r);
    b = json_object_get(r.json, "buckets");
    cr_assert_eq(json_array_size(b), 4, "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(b, 0), "articles")), 0);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(b, 1), "articles")), 2,
                 "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(b, 1), "stories")), 1);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(b, 2), "articles")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "to")), "2025-03-07T00:00:00Z");
    apitest_resp_free(&r);
    /* weeks start on Monday: 2025-03-03 */
    snprintf(path, sizeof path, "/v1/entities/%s/timeline?interval=week&from=2025-03-05", eid);
    get_expect(path, 200, &r);
    b = json_object_get(r.json, "buckets");
    cr_assert_eq(json_array_size(b), 30, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(b, 0), "start")),
                     "2025-03-03T00:00:00Z");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(b, 0), "articles")), 3);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(b, 0), "stories")), 1);
    apitest_resp_free(&r);
    {
        static const char *const bad[] = {
            "?interval=hour", "?from=2020-01-01&to=2025-01-01",
            "?interval=week&from=2000-01-01&to=2025-01-01", "?from=2025-03-05&to=2025-03-05",
            "?from=yesterday"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            snprintf(path, sizeof path, "/v1/entities/%s/timeline%s", eid, bad[i]);
            get_expect(path, 400, &r);
            apitest_resp_free(&r);
        }
    }
    snprintf(path, sizeof path, "/v1/entities/%s/timeline?interval=week&from=2020-01-01&to=2025-01-01", eid);
    get_expect(path, 200, &r);
    apitest_resp_free(&r);
    get_expect("/v1/entities/person:nobody-at-all/timeline", 404, &r);
    apitest_resp_free(&r);
    free(story);
}

/* The ids of a listing's stories, comma-joined into out. */
static void story_ids(const char *path, char *out, size_t size)
{
    struct apitest_resp r;
    json_t *list, *s;
    size_t i, n = 0;

    out[0] = '\0';
    get_expect(path, 200, &r);
    list = json_object_get(r.json, "stories");
    cr_assert(json_is_array(list), "%s: %s", path, r.body);
    json_array_foreach(list, i, s)
    {
        n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "," : "",
                              json_string_value(json_object_get(s, "id")));
        if (n >= size)
            break;
    }
    apitest_resp_free(&r);
}

Test(stories, member_pages_and_list_filters)
{
    char *wire_story, *frog, *other, path[1024], ids[256], cursor[256];
    int is_new;
    struct apitest_resp r;
    json_t *a;

    wire_story = post_at("p-1", "Japan and Brazil to open trade talks", wire, "Wire",
                         "2025-03-04T10:05:00Z", &is_new);
    frog = post_at("p-f", "New frog found in Ecuador", distractors[2], "Science Now",
                   "2025-03-04T11:00:00Z", &is_new);
    other = post_at("p-2", "Japan, Brazil agree on trade talks", wire, "Copy Times",
                    "2025-03-04T09:00:00Z", &is_new);
    free(other);
    other = post_at("p-3", "Japan and Brazil to open trade talks", wire, "Portal",
                    "2025-03-05T08:30:00Z", &is_new);
    free(other);

    /* every member, oldest first, two a page */
    snprintf(path, sizeof path, "/v1/stories/%s/articles?limit=2", wire_story);
    get_expect(path, 200, &r);
    a = json_object_get(r.json, "articles");
    cr_assert_eq(json_array_size(a), 2, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "id")), "p-2");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 1), "id")), "p-1");
    cr_expect_null(json_object_get(json_array_get(a, 0), "body"));
    cr_assert(json_is_string(json_object_get(r.json, "next_cursor")), "%s", r.body);
    snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(r.json, "next_cursor")));
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/stories/%s/articles?limit=2&cursor=%s", wire_story, cursor);
    get_expect(path, 200, &r);
    a = json_object_get(r.json, "articles");
    cr_assert_eq(json_array_size(a), 1, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "id")), "p-3");
    cr_expect(json_is_null(json_object_get(r.json, "next_cursor")));
    apitest_resp_free(&r);
    /* a cursor is bound to its story */
    snprintf(path, sizeof path, "/v1/stories/%s/articles?limit=2&cursor=%s", frog, cursor);
    get_expect(path, 400, &r);
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/stories?cursor=%s", cursor);
    get_expect(path, 400, &r);
    apitest_resp_free(&r);
    get_expect("/v1/stories/999999/articles", 404, &r);
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/stories/%s/articles?limit=0", wire_story);
    get_expect(path, 400, &r);
    apitest_resp_free(&r);

    /* the listing's member filters */
    story_ids("/v1/stories?q=Iwaya", ids, sizeof ids);
    cr_expect_str_eq(ids, wire_story);
    story_ids("/v1/stories?q=frog%20OR%20krona", ids, sizeof ids);
    cr_expect_str_eq(ids, frog);
    story_ids("/v1/stories?source=Portal", ids, sizeof ids);
    cr_expect_str_eq(ids, wire_story);
    story_ids("/v1/stories?source=Science%20Now&q=frog", ids, sizeof ids);
    cr_expect_str_eq(ids, frog);
    story_ids("/v1/stories?source=Portal&q=frog", ids, sizeof ids);
    cr_expect_str_eq(ids, "");
    story_ids("/v1/stories?entity=person:takeshi-iwaya", ids, sizeof ids);
    cr_expect_str_eq(ids, wire_story);
    story_ids("/v1/stories?entity=person:takeshi-iwaya&q=tariffs", ids, sizeof ids);
    cr_expect_str_eq(ids, wire_story);
    story_ids("/v1/stories?entity=person:takeshi-iwaya&q=frog", ids, sizeof ids);
    cr_expect_str_eq(ids, "");
    story_ids("/v1/stories?entity=person:nobody-at-all", ids, sizeof ids);
    cr_expect_str_eq(ids, "");
    story_ids("/v1/stories?q=trade&min_articles=3&from=2025-03-05", ids, sizeof ids);
    cr_expect_str_eq(ids, wire_story);
    story_ids("/v1/stories?q=trade&to=2025-03-04", ids, sizeof ids);
    cr_expect_str_eq(ids, "");
    /* a query the language refuses names q; a cursor of other filters is refused */
    get_expect("/v1/stories?q=OR", 400, &r);
    cr_expect(strstr(r.body, "\"field\":\"q\"") != NULL, "%s", r.body);
    apitest_resp_free(&r);
    get_expect("/v1/stories?limit=1", 200, &r);
    snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(r.json, "next_cursor")));
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/stories?limit=1&q=trade&cursor=%s", cursor);
    get_expect(path, 400, &r);
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/stories?limit=1&cursor=%s", cursor);
    get_expect(path, 200, &r);
    apitest_resp_free(&r);
    free(wire_story);
    free(frog);
}

/* A text of the synthetic words lo..hi-1 (lower-case nonsense, so no
 * entity and no stop word): full-length reports that share exactly the
 * words they are given. */
static void words(char *out, size_t size, int lo, int hi, int stride)
{
    size_t n = 0;
    out[0] = '\0';
    /* in an order of their own (stride prime to hi - lo): shared words,
     * not shared runs, so no article is a near copy of another */
    for (int k = 0; k < hi - lo && n < size; k++) {
        int i = lo + (k * stride) % (hi - lo);
        n += (size_t)snprintf(out + n, size - n, "%szq%cx%cv", n ? " " : "", 'a' + i % 26,
                              'a' + i / 26);
    }
}

static long story_articles(const char *id)
{
    struct apitest_resp r;
    char path[128];
    long n;
    snprintf(path, sizeof path, "/v1/stories/%s", id);
    get_expect(path, 200, &r);
    n = (long)json_integer_value(json_object_get(r.json, "articles"));
    apitest_resp_free(&r);
    return n;
}

Test(stories, a_bridge_merges_replace_reevaluates)
{
    char body[2048], title[64], *a, *b, *c, *x1, *x2, *x1b, path[256];
    int is_new;
    struct apitest_resp r;

    /* A and B share 28 of their 40 words but are almost three days apart:
     * apart; C, between them, shares most of each: it joins both, and A
     * (the older) absorbs B */
    words(body, sizeof body, 0, 40, 1);
    words(title, sizeof title, 0, 3, 1);
    a = post_at("m-a", title, body, "One", "2025-05-01T00:00:00Z", &is_new);
    words(body, sizeof body, 12, 52, 7);
    words(title, sizeof title, 40, 43, 1);
    b = post_at("m-b", title, body, "Two", "2025-05-03T22:00:00Z", &is_new);
    cr_assert_str_neq(a, b, "A and B start apart");
    cr_expect_eq(is_new, 1);
    words(body, sizeof body, 6, 46, 11);
    words(title, sizeof title, 20, 23, 1);
    c = post_at("m-c", title, body, "Three", "2025-05-02T11:00:00Z", &is_new);
    cr_expect_str_eq(c, a, "the bridge joins the older story");
    cr_expect_eq(story_articles(a), 3);
    get_expect("/v1/articles/m-b", 200, &r);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "story")), a);
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/stories/%s", b);
    get_expect(path, 200, &r);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "merged_into")), a, "%s", r.body);
    cr_expect_null(json_object_get(r.json, "members"));
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/stories/%s/timeline", b);
    get_expect(path, 404, &r);
    cr_expect(strstr(r.body, "merged into") != NULL, "%s", r.body);
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/stories/%s", a);
    get_expect(path, 200, &r);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(r.json, "sources"), "count")),
                 3, "%s", r.body);
    apitest_resp_free(&r);

    /* a replaced article is assigned again: the founder of a story leaves
     * it for a new one (not its old id), and the story keeps its copy */
    x1 = post_at("x-1", "Japan and Brazil to open trade talks", wire, "Wire",
                 "2025-03-04T10:05:00Z", &is_new);
    x2 = post_at("x-2", "Japan, Brazil agree on trade talks", wire, "Copy",
                 "2025-03-04T10:50:00Z", &is_new);
    cr_expect_str_eq(x2, x1);
    x1b = post_at("x-1", "New frog found in Ecuador", distractors[2], "Wire",
                  "2025-03-04T10:05:00Z", &is_new);
    cr_expect_str_neq(x1b, x1, "the replaced article left its story");
    cr_expect_eq(is_new, 1);
    cr_expect_eq(story_articles(x1), 1);
    cr_expect_eq(story_articles(x1b), 1);
    /* replaced back: it rejoins the story of its copy */
    free(x1b);
    x1b = post_at("x-1", "Japan and Brazil to open trade talks", wire, "Wire",
                  "2025-03-04T10:05:00Z", &is_new);
    cr_expect_str_eq(x1b, x1);
    cr_expect_eq(story_articles(x1), 2);
    free(a);
    free(b);
    free(c);
    free(x1);
    free(x2);
    free(x1b);
}
