/* Black-box tests of GET /v1/search?collapse=story: one event reported by
 * five outlets (a wire report, an exact and a near copy of it, two rewrites)
 * among unrelated reports is one hit carrying the story's members and
 * outlets; paging walks every story once; duplicates=collapse, filters and
 * facets combine with it; bad values are 400s naming the parameter. */
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

TestSuite(collapse, .init = setup, .fini = teardown, .timeout = 120);

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

/* POSTs one article; returns its ingest answer's story id (a new string). */
static char *post(const char *id, const char *title, const char *body, const char *source,
                  const char *at)
{
    struct apitest_resp r;
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", id, "title", title, "body", body, "source",
                          source, "published_at", at);
    char *text = json_dumps(o, JSON_COMPACT), *story;
    json_t *s;

    cr_assert_eq(apitest_post_json(&srv, "/v1/articles", text, &r), 0);
    cr_assert_eq(r.status, 201, "%s: %s", id, r.body);
    s = json_object_get(r.json, "story");
    cr_assert(json_is_object(s), "%s: %s", id, r.body);
    story = strdup(json_string_value(json_object_get(s, "id")));
    apitest_resp_free(&r);
    free(text);
    json_decref(o);
    return story;
}

/* The event (five outlets, one story) and the five distractors; the
 * event's story id into story (checked to be one story). */
static void seed_event(char story[64])
{
    char *ids[5], body[2048];

    ids[0] =
        post("w-1", "Japan and Brazil to open trade talks", wire, "Wire", "2025-03-04T09:00:00Z");
    free(post("d-0", "Floods in Italy", distractors[0], "Rome Daily", "2025-03-04T09:30:00Z"));
    ids[1] = post("w-2", "Japan, Brazil agree on trade talks", wire, "Copy Times",
                  "2025-03-04T10:00:00Z");
    snprintf(body, sizeof body, "%s%s", wire, chrome);
    ids[2] =
        post("w-3", "Japan and Brazil to open trade talks", body, "Portal", "2025-03-04T11:00:00Z");
    free(post("d-1", "Riksbank holds rate", distractors[1], "Nordic Post", "2025-03-04T11:30:00Z"));
    ids[3] = post("w-4", "Iwaya and Vieira agree to negotiate trade pact", rewrite1, "Asia Daily",
                  "2025-03-04T12:00:00Z");
    free(post("d-2", "New frog found in Ecuador", distractors[2], "Science Now",
              "2025-03-04T12:30:00Z"));
    ids[4] = post("w-5", "Brazil, Japan begin trade negotiations", rewrite2, "Brasil Hoje",
                  "2025-03-04T13:00:00Z");
    free(post("d-3", "United beat Villa", distractors[3], "Sport Daily", "2025-03-04T13:30:00Z"));
    free(post("d-4", "Nikkei rises on weak yen", distractors[4], "Market Wire",
              "2025-03-04T14:00:00Z"));
    for (int i = 1; i < 5; i++)
        cr_assert_str_eq(ids[i], ids[0], "w-%d is in another story", i + 1);
    snprintf(story, 64, "%s", ids[0]);
    for (int i = 0; i < 5; i++)
        free(ids[i]);
}

/* GETs path expecting 200; the answer in r (free it). */
static void get_ok(const char *path, struct apitest_resp *r)
{
    cr_assert_eq(apitest_get(&srv, path, r), 0, "%s", path);
    cr_assert_eq(r->status, 200, "%s: %ld %s", path, r->status, r->body);
}

static long long int_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_integer(v), "no integer '%s'", key);
    return json_integer_value(v);
}

static void expect_problem(const char *path, long status, const char *field)
{
    struct apitest_resp r;
    cr_assert_eq(apitest_get(&srv, path, &r), 0);
    cr_expect(apitest_is_problem(&r, status), "%s: %ld %s", path, r.status, r.body);
    if (r.json != NULL) {
        json_t *e = json_array_get(json_object_get(r.json, "errors"), 0);
        const char *f = json_string_value(json_object_get(e, "field"));
        cr_expect(f != NULL && strcmp(f, field) == 0, "%s: field %s", path, f ? f : "(none)");
    }
    apitest_resp_free(&r);
}

Test(collapse, five_outlets_one_hit)
{
    char story[64];
    struct apitest_resp r;
    json_t *h;

    seed_event(story);

    /* without collapsing: five reports; copies folded: three hits */
    get_ok("/v1/search?q=trade+Geneva", &r);
    cr_expect_eq(int_of(r.json, "total"), 5, "%s", r.body);
    apitest_resp_free(&r);
    get_ok("/v1/search?q=trade+Geneva&duplicates=collapse", &r);
    cr_expect_eq(int_of(r.json, "total"), 3, "%s", r.body);
    apitest_resp_free(&r);

    /* one hit for the story, by relevance and by newest */
    for (int k = 0; k < 4; k++) {
        static const char *const paths[] = {
            "/v1/search?q=trade+Geneva&collapse=story",
            "/v1/search?q=trade+Geneva&collapse=story&sort=newest",
            "/v1/search?q=trade+Geneva&collapse=story&duplicates=collapse",
            "/v1/search?q=trade+Geneva&collapse=story&fields=title",
        };
        get_ok(paths[k], &r);
        cr_expect_eq(int_of(r.json, "total"), 1, "%s: %s", paths[k], r.body);
        cr_assert_eq(json_array_size(json_object_get(r.json, "hits")), 1, "%s: %s", paths[k],
                     r.body);
        h = json_array_get(json_object_get(r.json, "hits"), 0);
        cr_expect_str_eq(json_string_value(json_object_get(h, "story")), story, "%s", paths[k]);
        cr_expect_eq(int_of(h, "story_articles"), 5, "%s: %s", paths[k], r.body);
        cr_expect_eq(int_of(h, "story_sources"), 5, "%s: %s", paths[k], r.body);
        cr_expect_eq(int_of(h, "story_matches"), 5, "%s: %s", paths[k], r.body);
        cr_expect_null(json_object_get(h, "copies"), "%s: copies on a story hit", paths[k]);
        /* newest: the story's newest matching member */
        if (k == 1)
            cr_expect_str_eq(json_string_value(json_object_get(h, "id")), "w-5", "%s", r.body);
        apitest_resp_free(&r);
    }

    /* a word one rewrite has: the story's members and outlets, one match */
    get_ok("/v1/search?q=pact&collapse=story", &r);
    cr_assert_eq(int_of(r.json, "total"), 1, "%s", r.body);
    h = json_array_get(json_object_get(r.json, "hits"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(h, "id")), "w-4");
    cr_expect_eq(int_of(h, "story_articles"), 5, "%s", r.body);
    cr_expect_eq(int_of(h, "story_matches"), 1, "%s", r.body);
    apitest_resp_free(&r);

    /* a query the event and a distractor share: two stories */
    get_ok("/v1/search?q=Japan&collapse=story", &r);
    cr_expect_eq(int_of(r.json, "total"), 2, "%s", r.body);
    cr_expect_eq(json_array_size(json_object_get(r.json, "hits")), 2, "%s", r.body);
    apitest_resp_free(&r);

    /* browse: every story once, by its newest member (the event by w-5 at
     * 13:00, between d-3 at 13:30 and d-2 at 12:30) */
    for (int k = 0; k < 2; k++) {
        /* the walk of every story, and (a window) the grouping of its rows */
        const char *path =
            k ? "/v1/search?collapse=story&from=2025-03-01" : "/v1/search?collapse=story";
        json_t *hits;
        static const char *const want[] = {"d-4", "d-3", "w-5", "d-2", "d-1", "d-0"};
        get_ok(path, &r);
        cr_expect_eq(int_of(r.json, "total"), 6, "%s: %s", path, r.body);
        hits = json_object_get(r.json, "hits");
        cr_assert_eq(json_array_size(hits), 6, "%s: %s", path, r.body);
        for (size_t i = 0; i < 6; i++)
            cr_expect_str_eq(json_string_value(json_object_get(json_array_get(hits, i), "id")),
                             want[i], "%s: hit %zu", path, i);
        cr_expect_eq(int_of(json_array_get(hits, 2), "story_articles"), 5, "%s", path);
        cr_expect_eq(int_of(json_array_get(hits, 2), "story_matches"), 5, "%s", path);
        apitest_resp_free(&r);
    }
}

/* collapse travels through multi-search like any parameter, its problem in
 * its own slot */
Test(collapse, multi_search)
{
    char story[64];
    struct apitest_resp r;
    json_t *res, *h;

    seed_event(story);
    cr_assert_eq(apitest_post_json(&srv, "/v1/search/_multi",
                                   "{\"queries\":[{\"q\":\"trade Geneva\",\"collapse\":\"story\"},"
                                   "{\"q\":\"trade\",\"collapse\":\"threads\"}]}",
                                   &r),
                 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    res = json_object_get(r.json, "results");
    cr_assert_eq(json_array_size(res), 2, "%s", r.body);
    cr_expect_eq(int_of(json_array_get(res, 0), "total"), 1, "%s", r.body);
    h = json_array_get(json_object_get(json_array_get(res, 0), "hits"), 0);
    cr_expect_eq(int_of(h, "story_articles"), 5, "%s", r.body);
    cr_expect_eq(int_of(json_array_get(res, 1), "status"), 400, "%s", r.body);
    apitest_resp_free(&r);
}

Test(collapse, filters_and_facets)
{
    char story[64];
    struct apitest_resp r;
    json_t *h, *f, *v;
    size_t i;
    long long sum = 0;

    seed_event(story);

    /* a source filter: the story through its one report from that outlet,
     * still counting every member and outlet */
    get_ok("/v1/search?q=trade&collapse=story&source=Asia%20Daily", &r);
    cr_assert_eq(int_of(r.json, "total"), 1, "%s", r.body);
    h = json_array_get(json_object_get(r.json, "hits"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(h, "id")), "w-4");
    cr_expect_eq(int_of(h, "story_articles"), 5, "%s", r.body);
    cr_expect_eq(int_of(h, "story_sources"), 5, "%s", r.body);
    cr_expect_eq(int_of(h, "story_matches"), 1, "%s", r.body);
    apitest_resp_free(&r);

    /* an exclusion: the story without the wire's three copies */
    get_ok("/v1/search?q=trade&collapse=story&source=-Wire&source=-Copy%20Times&source=-Portal",
           &r);
    cr_assert_eq(int_of(r.json, "total"), 1, "%s", r.body);
    h = json_array_get(json_object_get(r.json, "hits"), 0);
    cr_expect_eq(int_of(h, "story_matches"), 2, "%s", r.body);
    apitest_resp_free(&r);

    /* a window that holds no member: nothing */
    get_ok("/v1/search?q=trade&collapse=story&from=2025-03-05", &r);
    cr_expect_eq(int_of(r.json, "total"), 0, "%s", r.body);
    apitest_resp_free(&r);

    /* facets count articles, not stories */
    get_ok("/v1/search?q=trade+Geneva&collapse=story&facets=source,story", &r);
    cr_expect_eq(int_of(r.json, "total"), 1, "%s", r.body);
    f = json_object_get(json_object_get(r.json, "facets"), "source");
    cr_assert(json_is_array(f), "%s", r.body);
    cr_expect_eq(json_array_size(f), 5, "%s", r.body);
    json_array_foreach(f, i, v) sum += int_of(v, "count");
    cr_expect_eq(sum, 5, "%s", r.body);
    f = json_object_get(json_object_get(r.json, "facets"), "story");
    cr_assert_eq(json_array_size(f), 1, "%s", r.body);
    cr_expect_eq(int_of(json_array_get(f, 0), "count"), 5, "%s", r.body);
    apitest_resp_free(&r);
}

Test(collapse, bad_values_are_400s)
{
    char story[64], path[2048];
    struct apitest_resp r;
    const char *cursor;

    seed_event(story);
    expect_problem("/v1/search?q=trade&collapse=foo", 400, "collapse");
    expect_problem("/v1/search?q=trade&collapse=story&sort=oldest", 400, "collapse");
    expect_problem("/v1/search?collapse=story&sort=ingested", 400, "collapse");
    /* none is the default, said out loud */
    get_ok("/v1/search?q=trade+Geneva&collapse=none", &r);
    cr_expect_eq(int_of(r.json, "total"), 5, "%s", r.body);
    apitest_resp_free(&r);

    /* a collapsed page's cursor belongs to the collapsed search */
    get_ok("/v1/search?q=Japan&collapse=story&limit=1", &r);
    cursor = json_string_value(json_object_get(r.json, "next_cursor"));
    cr_assert_not_null(cursor, "%s", r.body);
    snprintf(path, sizeof path, "/v1/search?q=Japan&limit=1&cursor=%s", cursor);
    expect_problem(path, 400, "cursor");
    snprintf(path, sizeof path, "/v1/search?q=Japan&duplicates=collapse&limit=1&cursor=%s", cursor);
    expect_problem(path, 400, "cursor");
    apitest_resp_free(&r);
}

/* Story k's made-up word j: unique to the story (no two stories share a
 * content word but "harbour"). */
static void word(char *out, int k, int j)
{
    sprintf(out, "q%c%cz%c%cm", 'a' + k % 26, 'a' + k / 26 % 26, 'a' + j % 26, 'a' + j / 26 % 26);
}

#define NSTORIES 23

/* NSTORIES stories of one or two members (every third an exact copy from
 * a second outlet); their ids into stories[]. */
static void seed_many(char stories[NSTORIES][64])
{
    for (int k = 0; k < NSTORIES; k++) {
        char title[128], body[1024], w[16], id[32], at[32], *s;
        size_t n = 0;
        word(w, k, 0);
        snprintf(title, sizeof title, "Harbour %s", w);
        for (int j = 0; j < 24; j++) {
            word(w, k, j);
            n += (size_t)snprintf(body + n, sizeof body - n, "%s%s", j ? " " : "", w);
        }
        snprintf(body + n, sizeof body - n, " harbour.");
        snprintf(id, sizeof id, "s%d", k);
        snprintf(at, sizeof at, "2025-03-%02dT%02d:00:00Z", 1 + k / 24, k % 24);
        s = post(id, title, body, "First Outlet", at);
        snprintf(stories[k], 64, "%s", s);
        free(s);
        if (k % 3 == 0) {
            snprintf(id, sizeof id, "s%d-copy", k);
            s = post(id, title, body, "Second Outlet", at);
            cr_assert_str_eq(s, stories[k], "the copy of s%d is in another story", k);
            free(s);
        }
    }
    for (int a = 0; a < NSTORIES; a++)
        for (int b = a + 1; b < NSTORIES; b++)
            cr_assert_str_neq(stories[a], stories[b], "s%d and s%d share a story", a, b);
}

/* Walks base's pages (limit 4) to the end; asserts every story of
 * stories[] comes exactly once, and `total` says how many. */
static void walk(const char *base, char stories[NSTORIES][64])
{
    int seen[NSTORIES] = {0}, pages = 0, hits = 0, more;
    char path[2048], cursor[1024] = "";

    for (;;) {
        struct apitest_resp r;
        json_t *h, *next;
        size_t i;
        snprintf(path, sizeof path, "%s&limit=4%s%s", base, cursor[0] ? "&cursor=" : "", cursor);
        get_ok(path, &r);
        cr_expect_eq(int_of(r.json, "total"), NSTORIES, "%s: total", path);
        json_array_foreach(json_object_get(r.json, "hits"), i, h)
        {
            const char *s = json_string_value(json_object_get(h, "story"));
            int k;
            for (k = 0; k < NSTORIES; k++)
                if (s != NULL && strcmp(s, stories[k]) == 0)
                    break;
            cr_assert(k < NSTORIES, "%s: an unknown story %s", path, s ? s : "(null)");
            cr_expect_eq(seen[k], 0, "%s: story of s%d a second time", path, k);
            cr_expect_eq(int_of(h, "story_articles"), k % 3 == 0 ? 2 : 1, "s%d", k);
            cr_expect_eq(int_of(h, "story_sources"), k % 3 == 0 ? 2 : 1, "s%d", k);
            seen[k]++;
            hits++;
        }
        next = json_object_get(r.json, "next_cursor");
        more = json_is_string(next);
        if (more)
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        apitest_resp_free(&r);
        pages++;
        cr_assert(pages <= NSTORIES, "%s: the pages do not end", base);
        if (!more)
            break;
    }
    cr_expect_eq(hits, NSTORIES, "%s: %d hits", base, hits);
    cr_expect_eq(pages, (NSTORIES + 3) / 4, "%s: %d pages", base, pages);
    for (int k = 0; k < NSTORIES; k++)
        cr_expect_eq(seen[k], 1, "%s: story of s%d seen %d times", base, k, seen[k]);
}

Test(collapse, paging_walks_every_story_once)
{
    char stories[NSTORIES][64];

    seed_many(stories);
    walk("/v1/search?q=harbour&collapse=story", stories);
    walk("/v1/search?q=harbour&collapse=story&sort=newest", stories);
    walk("/v1/search?collapse=story", stories);
    /* a window makes the browse group its rows instead of walking */
    walk("/v1/search?collapse=story&from=2025-01-01", stories);
    walk("/v1/search?q=harbour&collapse=story&duplicates=collapse", stories);

    /* a write between pages changes nothing in the walk: the first page
     * fixed the snapshot */
    {
        struct apitest_resp r;
        char path[2048];
        long long total;
        int hits = 0;
        get_ok("/v1/search?q=harbour&collapse=story&limit=20", &r);
        total = int_of(r.json, "total");
        hits += (int)json_array_size(json_object_get(r.json, "hits"));
        snprintf(path, sizeof path, "/v1/search?q=harbour&collapse=story&limit=20&cursor=%s",
                 json_string_value(json_object_get(r.json, "next_cursor")));
        apitest_resp_free(&r);
        free(post("late", "Harbour latecomer", "An unrelated harbour report arrives late.",
                  "Late Outlet", "2025-03-05T00:00:00Z"));
        get_ok(path, &r);
        cr_expect_eq(int_of(r.json, "total"), total, "%s", r.body);
        hits += (int)json_array_size(json_object_get(r.json, "hits"));
        cr_expect(json_is_null(json_object_get(r.json, "next_cursor")), "%s", r.body);
        apitest_resp_free(&r);
        cr_expect_eq(hits, NSTORIES, "%d hits over two pages", hits);
    }
}
