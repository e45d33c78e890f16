/* Black-box tests of stories in GET /v1/changes and GET /v1/events: a new
 * story and each later member give story.updated; a _bulk of 200 copies of
 * one report is one story change in its commit; a bridge that merges two
 * stories gives the survivor's story.updated and the absorbed id's
 * story.merged with `into`; a story whose last member leaves gives
 * story.deleted (and answers 404); a source filter leaves stories out; a
 * stream receives all of it as it commits. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apitest.h"

TestSuite(story_changes, .timeout = 120);

#define STORY_TYPES "types=story.updated,story.merged,story.deleted"

static const char *wire =
    "Foreign ministers Takeshi Iwaya of Japan and Mauro Vieira of Brazil met in Geneva on "
    "Tuesday and agreed to open talks on a trade agreement covering beef, ethanol and car parts. "
    "Iwaya said the two countries would set up a working group before the summer.";

static const char *solo_text =
    "A new species of frog was found in the cloud forests of Ecuador by biologists from the "
    "University of Quito, who described its bright orange skin and unusual call.";

/* Words lo..hi-1 of a made-up vocabulary in an order of their own (as in
 * test_stories.c: shared words, not shared runs, so no near copies). */
static void words(char *out, size_t size, int lo, int hi, int stride)
{
    size_t n = 0;
    out[0] = '\0';
    for (int k = 0; k < hi - lo && n < size; k++) {
        int i = lo + (k * stride) % (hi - lo);
        n += (size_t)snprintf(out + n, size - n, "%szq%cx%cv", n ? " " : "", 'a' + i % 26,
                              'a' + i / 26);
    }
}

/* POSTs one article; its story's id (a new string). */
static char *post(struct apitest_server *s, const char *id, const char *title, const char *body,
                  const char *source, const char *at)
{
    struct apitest_resp r;
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", id, "title", title, "body", body, "source",
                          source, "published_at", at);
    char *text = json_dumps(o, JSON_COMPACT), *story;

    apitest_post_json(s, "/v1/articles", text, &r);
    cr_assert_eq(r.status, 201, "%s: %ld %s", id, r.status, r.body);
    story = strdup(json_string_value(json_object_get(json_object_get(r.json, "story"), "id")));
    apitest_resp_free(&r);
    free(text);
    json_decref(o);
    return story;
}

static long long head_of(struct apitest_server *s)
{
    struct apitest_resp r;
    long long h;
    apitest_get(s, "/v1/changes?limit=1", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    h = json_integer_value(json_object_get(r.json, "head"));
    apitest_resp_free(&r);
    return h;
}

/* The story changes after since: *n of them, the answer in r (free it). */
static json_t *story_changes(struct apitest_server *s, long long since, struct apitest_resp *r)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/changes?since=%lld&" STORY_TYPES, since);
    apitest_get(s, path, r);
    cr_assert_eq(r->status, 200, "%s", r->body);
    return json_object_get(r->json, "changes");
}

static const char *str_at(json_t *list, size_t i, const char *field)
{
    return json_string_value(json_object_get(json_array_get(list, i), field));
}

/* ---- a stream reader: collects the text until it holds `want` events ---- */

struct sse {
    unsigned port;
    char path[200];
    int want;
    const char *until; /* or stop once the text holds this */
    char *text;
    size_t len;
    int n;
};

static size_t sse_write(char *data, size_t size, size_t nmemb, void *arg)
{
    struct sse *x = arg;
    size_t n = size * nmemb;
    char *bigger = realloc(x->text, x->len + n + 1);
    if (bigger == NULL)
        return 0;
    x->text = bigger;
    memcpy(x->text + x->len, data, n);
    x->text[x->len + n] = '\0';
    __atomic_store_n(&x->len, x->len + n, __ATOMIC_RELEASE);
    x->n = 0;
    for (const char *p = x->text; (p = strstr(p, "\nevent: ")) != NULL; p++)
        x->n++;
    if (x->until != NULL && strstr(x->text, x->until) != NULL)
        return 0;
    return x->n >= x->want ? 0 : n; /* enough: stop reading */
}

static void *sse_run(void *arg)
{
    struct sse *x = arg;
    CURL *c = curl_easy_init();
    char url[260];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", x->port, x->path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sse_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    return NULL;
}

/* The data of the stream's events, in order, as a JSON array (new). */
static json_t *sse_events(const struct sse *x)
{
    json_t *list = json_array();
    for (const char *p = x->text; p != NULL && (p = strstr(p, "\ndata: ")) != NULL;) {
        const char *nl = strchr(p + 7, '\n');
        json_t *o = nl ? json_loadb(p + 7, (size_t)(nl - p - 7), 0, NULL) : NULL;
        if (o != NULL)
            json_array_append_new(list, o);
        p = nl;
    }
    return list;
}

Test(story_changes, stories_in_the_feed_and_the_stream)
{
    struct apitest_server s;
    struct apitest_resp r;
    struct sse x = {.want = 9, .until = "event: story.deleted"};
    pthread_t t;
    json_t *list, *events;
    char *s1, *s1b, *a, *b, *c, *solo, path[128], body[2048], title[64];
    long long h0, h1;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    x.port = s.port;
    snprintf(x.path, sizeof x.path, "/v1/events?" STORY_TYPES);
    pthread_create(&t, NULL, sse_run, &x);
    for (int i = 0; i < 3000 && __atomic_load_n(&x.len, __ATOMIC_ACQUIRE) == 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_gt(__atomic_load_n(&x.len, __ATOMIC_ACQUIRE), 0, "the stream never opened");

    /* a new story: one change; a second member: one more, the story listed
     * once, at its last */
    s1 = post(&s, "w1", "Japan and Brazil to open trade talks", wire, "Wire",
              "2025-03-04T10:00:00Z");
    list = story_changes(&s, 0, &r);
    cr_assert_eq(json_array_size(list), 1, "%s", r.body);
    cr_expect_str_eq(str_at(list, 0, "type"), "story.updated");
    cr_expect_str_eq(str_at(list, 0, "id"), s1);
    cr_expect_null(json_object_get(json_array_get(list, 0), "source"));
    apitest_resp_free(&r);
    h0 = head_of(&s);
    cr_expect_eq(h0, 2, "the article's number, then its story's");
    s1b = post(&s, "w2", "Japan and Brazil to open trade talks", wire, "Copy",
               "2025-03-04T10:30:00Z");
    cr_expect_str_eq(s1b, s1, "an exact copy joins its original's story");
    list = story_changes(&s, h0, &r);
    cr_assert_eq(json_array_size(list), 1, "%s", r.body);
    cr_expect_str_eq(str_at(list, 0, "id"), s1);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(list, 0), "seq")), h0 + 2);
    apitest_resp_free(&r);

    /* 200 copies in one _bulk (one chunk, one commit): 200 article numbers
     * and one for the story */
    {
        size_t cap = 200 * 600, len = 0;
        char *nd = malloc(cap);
        cr_assert_not_null(nd);
        for (int i = 0; i < 200; i++) {
            json_t *o;
            snprintf(path, sizeof path, "bk-%d", i);
            o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", path, "title",
                          "Japan and Brazil to open trade talks", "body", wire, "source", "Bulk",
                          "published_at", "2025-03-04T11:00:00Z");
            char *line = json_dumps(o, JSON_COMPACT);
            len += (size_t)snprintf(nd + len, cap - len, "%s\n", line);
            free(line);
            json_decref(o);
        }
        h0 = head_of(&s);
        const char *hdrs[] = {NULL};
        apitest_request_h(&s, "POST", "/v1/articles/_bulk", hdrs, "application/x-ndjson", nd, len,
                          &r);
        cr_assert_eq(r.status, 200, "%ld %.300s", r.status, r.body);
        cr_assert_eq(json_integer_value(json_object_get(r.json, "written")), 200, "%.300s", r.body);
        apitest_resp_free(&r);
        free(nd);
        h1 = head_of(&s);
        cr_expect_eq(h1 - h0, 201, "one story change for 200 members in one commit");
        list = story_changes(&s, h0, &r);
        cr_assert_eq(json_array_size(list), 1, "%s", r.body);
        cr_expect_str_eq(str_at(list, 0, "id"), s1);
        cr_expect_eq(json_integer_value(json_object_get(json_array_get(list, 0), "seq")), h1);
        apitest_resp_free(&r);
    }

    /* A and B apart; C bridges them: A (the older) absorbs B. The feed:
     * A updated, B merged into A, in one commit */
    words(body, sizeof body, 0, 40, 1);
    words(title, sizeof title, 0, 3, 1);
    a = post(&s, "m-a", title, body, "One", "2025-05-01T00:00:00Z");
    words(body, sizeof body, 12, 52, 7);
    words(title, sizeof title, 40, 43, 1);
    b = post(&s, "m-b", title, body, "Two", "2025-05-03T22:00:00Z");
    cr_assert_str_neq(a, b);
    h0 = head_of(&s);
    words(body, sizeof body, 6, 46, 11);
    words(title, sizeof title, 20, 23, 1);
    c = post(&s, "m-c", title, body, "Three", "2025-05-02T11:00:00Z");
    cr_assert_str_eq(c, a, "the bridge joins the older story");
    list = story_changes(&s, h0, &r);
    cr_assert_eq(json_array_size(list), 2, "%s", r.body);
    cr_expect_str_eq(str_at(list, 0, "type"), "story.updated");
    cr_expect_str_eq(str_at(list, 0, "id"), a);
    cr_expect_str_eq(str_at(list, 1, "type"), "story.merged");
    cr_expect_str_eq(str_at(list, 1, "id"), b);
    cr_expect_str_eq(str_at(list, 1, "into"), a);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(list, 1), "seq")), head_of(&s));
    apitest_resp_free(&r);
    /* the filters: a source leaves stories out; types=story.merged alone */
    apitest_get(&s, "/v1/changes?source=Three", &r);
    list = json_object_get(r.json, "changes");
    cr_assert_eq(json_array_size(list), 1, "%s", r.body);
    cr_expect_str_eq(str_at(list, 0, "type"), "article.created");
    apitest_resp_free(&r);
    apitest_get(&s, "/v1/changes?types=story.merged", &r);
    list = json_object_get(r.json, "changes");
    cr_assert_eq(json_array_size(list), 1, "%s", r.body);
    cr_expect_str_eq(str_at(list, 0, "id"), b);
    apitest_resp_free(&r);

    /* the last member leaves: story.deleted, and the story is a 404 */
    solo =
        post(&s, "solo", "New frog found in Ecuador", solo_text, "Nature", "2025-06-01T00:00:00Z");
    h0 = head_of(&s);
    apitest_request(&s, "DELETE", "/v1/articles/solo", NULL, NULL, 0, &r);
    cr_assert_eq(r.status, 204, "%s", r.body);
    apitest_resp_free(&r);
    list = story_changes(&s, h0, &r);
    cr_assert_eq(json_array_size(list), 1, "%s", r.body);
    cr_expect_str_eq(str_at(list, 0, "type"), "story.deleted");
    cr_expect_str_eq(str_at(list, 0, "id"), solo);
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/stories/%s", solo);
    apitest_get(&s, path, &r);
    cr_expect(apitest_is_problem(&r, 404), "%ld %s", r.status, r.body);
    apitest_resp_free(&r);

    /* the stream, as the commits came: s1 three times (new, copy, bulk),
     * a, b, then a and b's merge, solo then its end. A story is listed at
     * its last change, so a stream that reads a little behind the commits
     * may find a story's earlier change replaced by its later one (b's
     * creation by its merge): what it gets is in this order, and holds
     * every story's last change. */
    pthread_join(t, NULL);
    events = sse_events(&x);
    cr_assert_leq(json_array_size(events), 9, "%s", x.text);
    const char *want[9][3] = {
        {"story.updated", s1, NULL}, {"story.updated", s1, NULL},   {"story.updated", s1, NULL},
        {"story.updated", a, NULL},  {"story.updated", b, NULL},    {"story.updated", a, NULL},
        {"story.merged", b, a},      {"story.updated", solo, NULL}, {"story.deleted", solo, NULL}};
    /* the last change of each story: s1's bulk, a's at the merge, b's merge, solo's end */
    const int last[] = {2, 5, 6, 8};
    int seen[9] = {0};
    size_t j = 0;
    for (size_t i = 0; i < json_array_size(events); i++, j++) {
        const char *into = str_at(events, i, "into");
        while (j < 9 && (strcmp(str_at(events, i, "type"), want[j][0]) != 0 ||
                         strcmp(str_at(events, i, "id"), want[j][1]) != 0 ||
                         (want[j][2] == NULL) != (into == NULL) ||
                         (into != NULL && strcmp(into, want[j][2]) != 0)))
            j++;
        cr_assert_lt(j, 9, "event %zu out of order or unexpected: %s", i, x.text);
        seen[j] = 1;
    }
    for (size_t k = 0; k < sizeof last / sizeof last[0]; k++)
        cr_expect(seen[last[k]], "the last change %d is missing: %s", last[k], x.text);
    json_decref(events);
    free(x.text);
    free(s1);
    free(s1b);
    free(a);
    free(b);
    free(c);
    free(solo);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

/* A replaced article that moves to another story changes both: the story
 * it left and the one it joined, each once, in the replace's commit. */
Test(story_changes, a_replace_that_moves_changes_both_stories)
{
    struct apitest_server s;
    struct apitest_resp r;
    json_t *list;
    char *s1, *s2, *moved;
    long long h0;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    s1 = post(&s, "x-1", "Japan and Brazil to open trade talks", wire, "Wire",
              "2025-03-04T10:05:00Z");
    s2 =
        post(&s, "x-2", "Japan, Brazil agree on trade talks", wire, "Copy", "2025-03-04T10:50:00Z");
    cr_assert_str_eq(s2, s1);
    h0 = head_of(&s);
    /* PUT: x-1 becomes a frog report, leaves the trade story, starts one */
    {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "title", "New frog found in Ecuador", "body",
                              solo_text, "source", "Wire", "published_at", "2025-03-04T10:05:00Z");
        char *text = json_dumps(o, JSON_COMPACT);
        apitest_request(&s, "PUT", "/v1/articles/x-1", "application/json", text, strlen(text), &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        moved = strdup(json_string_value(json_object_get(json_object_get(r.json, "story"), "id")));
        apitest_resp_free(&r);
        free(text);
        json_decref(o);
    }
    cr_assert_str_neq(moved, s1);
    list = story_changes(&s, h0, &r);
    cr_assert_eq(json_array_size(list), 2, "%s", r.body);
    /* ascending story ids: the old story's first */
    cr_expect_str_eq(str_at(list, 0, "id"), s1);
    cr_expect_str_eq(str_at(list, 0, "type"), "story.updated", "it keeps the copy");
    cr_expect_str_eq(str_at(list, 1, "id"), moved);
    cr_expect_str_eq(str_at(list, 1, "type"), "story.updated");
    apitest_resp_free(&r);
    free(s1);
    free(s2);
    free(moved);
    apitest_stop(&s);
    apitest_cleanup(&s);
}
