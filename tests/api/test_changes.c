/* Black-box tests of GET /v1/changes: the feed of creates, replaces and
 * deletes in commit order, paged by next_since; its filters and bad input;
 * a poller that resumes after kill -9 and restart with neither a gap nor a
 * repeat. And of GET /v1/events, the same as Server-Sent Events: read while
 * another thread writes, resumed with Last-Event-ID across kill -9, its
 * heartbeat, filters and the subscriber limit. Every write also gives its
 * story a change (tests/api/test_story_changes.c): tests about articles
 * ask for the article types. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apitest.h"

TestSuite(changes, .timeout = 120);

#define ARTICLE_TYPES "types=article.created,article.updated,article.deleted"

static void put(struct apitest_server *s, const char *id, const char *source, const char *text)
{
    struct apitest_resp r;
    char path[96], body[256];
    snprintf(path, sizeof path, "/v1/articles/%s", id);
    snprintf(body, sizeof body, "{\"title\":\"%s\",\"body\":\"%s\",\"source\":\"%s\"}", text, text,
             source);
    apitest_request(s, "PUT", path, "application/json", body, strlen(body), &r);
    cr_assert(r.status == 201 || r.status == 200, "%s: %ld %s", id, r.status, r.body);
    apitest_resp_free(&r);
}

static void del(struct apitest_server *s, const char *id)
{
    struct apitest_resp r;
    char path[96];
    snprintf(path, sizeof path, "/v1/articles/%s", id);
    apitest_request(s, "DELETE", path, NULL, NULL, 0, &r);
    cr_assert_eq(r.status, 204, "%s: %ld", id, r.status);
    apitest_resp_free(&r);
}

/* The type and id of change i of answer r, as "type id". */
static const char *change_at(const struct apitest_resp *r, size_t i, char *buf, size_t size)
{
    json_t *c = json_array_get(json_object_get(r->json, "changes"), i);
    snprintf(buf, size, "%s %s", json_string_value(json_object_get(c, "type")),
             json_string_value(json_object_get(c, "id")));
    return buf;
}

Test(changes, feed_in_commit_order_with_filters)
{
    struct apitest_server s;
    struct apitest_resp r;
    char buf[128];

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    put(&s, "a", "AFP", "alpha");
    put(&s, "b", "Reuters", "bravo");
    put(&s, "c", "AFP", "charlie");
    put(&s, "a", "AFP", "alpha again");
    del(&s, "b");

    /* each write is a commit: the article's number, then its story's */
    apitest_get(&s, "/v1/changes?" ARTICLE_TYPES, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(r.json, "changes")), 3, "%s", r.body);
    cr_expect_str_eq(change_at(&r, 0, buf, sizeof buf), "article.created c");
    cr_expect_str_eq(change_at(&r, 1, buf, sizeof buf), "article.created a");
    cr_expect_str_eq(change_at(&r, 2, buf, sizeof buf), "article.deleted b");
    cr_expect_eq(json_integer_value(json_object_get(r.json, "next_since")), 10);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "head")), 10);
    apitest_resp_free(&r);

    /* after the first three writes, a's write is an update */
    apitest_get(&s, "/v1/changes?since=6&types=article.updated,article.deleted", &r);
    cr_assert_eq(json_array_size(json_object_get(r.json, "changes")), 2, "%s", r.body);
    cr_expect_str_eq(change_at(&r, 0, buf, sizeof buf), "article.updated a");
    apitest_resp_free(&r);

    apitest_get(&s, "/v1/changes?source=Reuters", &r);
    cr_assert_eq(json_array_size(json_object_get(r.json, "changes")), 1, "%s", r.body);
    cr_expect_str_eq(change_at(&r, 0, buf, sizeof buf), "article.deleted b");
    apitest_resp_free(&r);

    /* a page of one resumes after its last change */
    apitest_get(&s, "/v1/changes?limit=1&" ARTICLE_TYPES, &r);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "next_since")), 5);
    apitest_resp_free(&r);

    const char *bad[] = {"/v1/changes?since=-1", "/v1/changes?since=x", "/v1/changes?limit=0",
                         "/v1/changes?limit=1001", "/v1/changes?types=article.moved",
                         "/v1/changes?types=article.created,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        apitest_get(&s, bad[i], &r);
        cr_expect(apitest_is_problem(&r, 400), "%s: %ld %s", bad[i], r.status, r.body);
        apitest_resp_free(&r);
    }
    /* a number past the last change: the store was restored or replaced */
    apitest_get(&s, "/v1/changes?since=99", &r);
    cr_expect(apitest_is_problem(&r, 410), "%ld %s", r.status, r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "head")), 10);
    cr_expect_not_null(json_object_get(r.json, "oldest_since"));
    apitest_resp_free(&r);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

/* A poller reads the feed in pages of 3 while writes go on; the server is
 * killed with -9 and restarted twice; the poller resumes from its last
 * next_since. Every acknowledged article shows up exactly once (its last
 * write), none out of order, and every article's story was announced. */
Test(changes, poller_resumes_after_kill9_without_gap_or_repeat)
{
    struct apitest_server s;
    struct apitest_resp r;
    int seen[60] = {0};
    long long since = 0, last = 0;
    json_t *stories = json_object(); /* the story ids the feed listed */

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    for (int round = 0; round < 3; round++) {
        for (int i = round * 20; i < round * 20 + 20; i++) {
            char id[16], text[32];
            snprintf(id, sizeof id, "k%d", i);
            snprintf(text, sizeof text, "round %d item %d", round, i);
            put(&s, id, "S", text);
        }
        for (int pages = 0; pages < 50; pages++) {
            char path[96];
            json_t *list;
            snprintf(path, sizeof path, "/v1/changes?since=%lld&limit=3", since);
            apitest_get(&s, path, &r);
            cr_assert_eq(r.status, 200, "%s", r.body);
            list = json_object_get(r.json, "changes");
            for (size_t i = 0; i < json_array_size(list); i++) {
                json_t *c = json_array_get(list, i);
                long long seq = json_integer_value(json_object_get(c, "seq"));
                const char *id = json_string_value(json_object_get(c, "id"));
                const char *type = json_string_value(json_object_get(c, "type"));
                int k = atoi(id + 1);
                cr_assert_gt(seq, last, "in order, never twice");
                last = seq;
                if (strncmp(type, "story.", 6) == 0) {
                    json_object_set_new(stories, id, json_true());
                    continue;
                }
                cr_assert(k >= 0 && k < 60);
                seen[k]++;
            }
            since = json_integer_value(json_object_get(r.json, "next_since"));
            int done = json_array_size(list) == 0;
            apitest_resp_free(&r);
            if (done)
                break;
        }
        apitest_kill9(&s);
        cr_assert_eq(apitest_start(&s, s.db, NULL), 0);
    }
    for (int k = 0; k < 60; k++) {
        char path[48];
        cr_expect_eq(seen[k], 1, "k%d seen %d times", k, seen[k]);
        snprintf(path, sizeof path, "/v1/articles/k%d", k);
        apitest_get(&s, path, &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
        cr_expect_not_null(
            json_object_get(stories, json_string_value(json_object_get(r.json, "story"))),
            "k%d's story was never announced", k);
        apitest_resp_free(&r);
    }
    json_decref(stories);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

/* An editor's curations are changes too: in the feed, in order, with the
 * merge's survivor; an article filter (source) leaves them out. */
Test(changes, curations_in_the_feed)
{
    struct apitest_server s;
    struct apitest_resp r;
    char buf[128];
    json_t *list;
    const char *merge = "{\"into\":\"person:marco-rubio\"}";

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    put(&s, "e1", "AFP", "Secretary of State Marco Rubio met Sergei Lavrov in Kuala Lumpur");
    const char *rename = "{\"name\":\"Marco Antonio Rubio\"}";
    apitest_request(&s, "PUT", "/v1/entities/person:marco-rubio", "application/json", rename,
                    strlen(rename), &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    apitest_resp_free(&r);
    apitest_request(&s, "POST", "/v1/entities/person:sergei-lavrov/_merge", "application/json",
                    merge, strlen(merge), &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    apitest_resp_free(&r);
    apitest_request(&s, "POST", "/v1/entities/person:marco-rubio/_block", NULL, NULL, 0, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    apitest_resp_free(&r);

    apitest_get(&s, "/v1/changes?since=1&types=entity.updated,entity.merged,entity.blocked", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    list = json_object_get(r.json, "changes");
    cr_assert_eq(json_array_size(list), 3, "%s", r.body);
    cr_expect_str_eq(change_at(&r, 0, buf, sizeof buf), "entity.updated person:marco-rubio");
    cr_expect_str_eq(change_at(&r, 1, buf, sizeof buf), "entity.merged person:sergei-lavrov");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "into")),
                     "person:marco-rubio");
    cr_expect_str_eq(change_at(&r, 2, buf, sizeof buf), "entity.blocked person:marco-rubio");
    apitest_resp_free(&r);
    apitest_get(&s, "/v1/changes?source=AFP", &r);
    cr_expect_eq(json_array_size(json_object_get(r.json, "changes")), 1, "%s", r.body);
    apitest_resp_free(&r);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

/* ---- GET /v1/events ---- */

/* A stream read until it has `want` events (or a heartbeat, when want is 0),
 * at most `seconds`: the ids and types of its events in order. */
struct sse {
    unsigned port;
    char path[256];
    char last_id[32]; /* sent as Last-Event-ID when not empty */
    int want;
    long seconds;
    /* out */
    char *text;
    size_t len;
    long long ids[256];
    char types[256][24];
    int n, heartbeats;
    long status;
};

/* Parses the complete events in text (blocks ending with a blank line). */
static void sse_parse(struct sse *x)
{
    const char *p = x->text, *end = x->text + x->len;
    x->n = 0;
    x->heartbeats = 0;
    while (p < end) {
        const char *blk = strstr(p, "\n\n");
        long long id = -1;
        char type[24] = "";
        if (blk == NULL)
            break;
        for (const char *l = p; l < blk;) {
            const char *nl = memchr(l, '\n', (size_t)(blk - l));
            size_t ll = nl ? (size_t)(nl - l) : (size_t)(blk - l);
            if (ll >= 4 && strncmp(l, "id: ", 4) == 0)
                id = atoll(l + 4);
            else if (ll >= 7 && strncmp(l, "event: ", 7) == 0 && ll - 7 < sizeof type)
                snprintf(type, sizeof type, "%.*s", (int)(ll - 7), l + 7);
            else if (ll == 1 && l[0] == ':')
                x->heartbeats++;
            l = nl ? nl + 1 : blk;
        }
        if (id >= 0 && x->n < 256) {
            x->ids[x->n] = id;
            snprintf(x->types[x->n], sizeof x->types[x->n], "%s", type);
            x->n++;
        }
        p = blk + 2;
    }
}

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
    sse_parse(x);
    if ((x->want > 0 && x->n >= x->want) || (x->want == 0 && x->heartbeats > 0))
        return 0; /* enough: stop reading */
    return n;
}

static void *sse_run(void *arg)
{
    struct sse *x = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[300], hdr[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", x->port, x->path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sse_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, x->seconds);
    if (x->last_id[0]) {
        snprintf(hdr, sizeof hdr, "Last-Event-ID: %s", x->last_id);
        h = curl_slist_append(h, hdr);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static void sse_free(struct sse *x)
{
    free(x->text);
    x->text = NULL;
    x->len = 0;
}

/* Waits (at most 30 s) until stream x has received its first bytes: the
 * comment line a stream opens with, sent once it is subscribed. */
static void wait_open(struct sse *x)
{
    for (int i = 0; i < 3000 && __atomic_load_n(&x->len, __ATOMIC_ACQUIRE) == 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_gt(__atomic_load_n(&x->len, __ATOMIC_ACQUIRE), 0, "the stream never opened");
}

Test(changes, events_stream_while_another_thread_writes)
{
    struct apitest_server s;
    struct sse x = {.want = 30, .seconds = 60};
    pthread_t t;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    put(&s, "before", "S", "written before the stream opened");
    x.port = s.port;
    snprintf(x.path, sizeof x.path, "/v1/events?since=0&" ARTICLE_TYPES);
    pthread_create(&t, NULL, sse_run, &x);
    wait_open(&x);
    for (int i = 0; i < 29; i++) {
        char id[16], text[32];
        snprintf(id, sizeof id, "w%d", i);
        snprintf(text, sizeof text, "written live %d", i);
        put(&s, id, i % 2 ? "AFP" : "S", text);
    }
    pthread_join(t, NULL);
    cr_expect_eq(x.status, 200);
    cr_assert_eq(x.n, 30, "%d events: %s", x.n, x.text);
    for (int i = 0; i < 30; i++) {
        cr_expect(i == 0 || x.ids[i] > x.ids[i - 1], "event %d has id %lld", i, x.ids[i]);
        cr_expect_str_eq(x.types[i], "article.created");
    }
    sse_free(&x);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

Test(changes, events_resume_with_last_event_id_across_kill9)
{
    struct apitest_server s;
    struct sse x = {.want = 20, .seconds = 60};
    char last[32];

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    for (int i = 0; i < 10; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%d", i);
        put(&s, id, "S", id);
    }
    x.port = s.port;
    snprintf(x.path, sizeof x.path, "/v1/events?since=0");
    /* unfiltered: each article's change, then its story's */
    sse_run(&x);
    cr_assert_eq(x.n, 20, "%s", x.text);
    cr_expect_str_eq(x.types[1], "story.updated");
    snprintf(last, sizeof last, "%lld", x.ids[x.n - 1]);
    sse_free(&x);

    apitest_kill9(&s);
    cr_assert_eq(apitest_start(&s, s.db, NULL), 0);
    for (int i = 10; i < 15; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%d", i);
        put(&s, id, "S", id);
    }
    del(&s, "r3");
    struct sse y = {.want = 12, .seconds = 60, .port = s.port};
    snprintf(y.path, sizeof y.path, "/v1/events");
    snprintf(y.last_id, sizeof y.last_id, "%s", last);
    sse_run(&y);
    cr_assert_eq(y.n, 12, "%s", y.text);
    for (int i = 0; i < 12; i++)
        cr_expect_eq(y.ids[i], 21 + i, "no gap, no repeat: %lld", y.ids[i]);
    cr_expect_str_eq(y.types[9], "story.updated");
    cr_expect_str_eq(y.types[10], "article.deleted");
    cr_expect_str_eq(y.types[11], "story.deleted", "r3's story went with it");
    sse_free(&y);

    /* a Last-Event-ID past the last change (a restored store) is a 410 */
    struct apitest_resp r;
    const char *h[] = {"Last-Event-ID: 9999", NULL};
    apitest_request_h(&s, "GET", "/v1/events", h, NULL, NULL, 0, &r);
    cr_expect(apitest_is_problem(&r, 410), "%ld %s", r.status, r.body);
    apitest_resp_free(&r);
    const char *bad[] = {"Last-Event-ID: x", NULL};
    apitest_request_h(&s, "GET", "/v1/events", bad, NULL, NULL, 0, &r);
    cr_expect(apitest_is_problem(&r, 400), "%ld %s", r.status, r.body);
    apitest_resp_free(&r);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

Test(changes, events_filters_heartbeat_and_subscriber_limit)
{
    struct apitest_server s;
    const char *args[] = {"--events-heartbeat", "1", "--max-subscribers", "1", NULL};
    struct sse hb = {.want = 0, .seconds = 30};
    struct sse x = {.want = 2, .seconds = 60};
    struct apitest_resp r;
    pthread_t t;

    cr_assert_eq(apitest_start(&s, NULL, args), 0);
    /* an idle stream gets heartbeat comments */
    hb.port = s.port;
    snprintf(hb.path, sizeof hb.path, "/v1/events");
    sse_run(&hb);
    cr_expect_geq(hb.heartbeats, 1, "%s", hb.text);
    cr_expect_eq(hb.n, 0);
    sse_free(&hb);

    /* one subscriber (filtered), then the next is refused */
    x.port = s.port;
    snprintf(x.path, sizeof x.path, "/v1/events?types=article.deleted&source=AFP");
    /* the heartbeat stream's end is noticed at its next heartbeat at the
     * latest (a parked stream does not read its socket): until then the
     * one place is taken */
    for (int tries = 0;; tries++) {
        pthread_create(&t, NULL, sse_run, &x);
        wait_open(&x);
        if (strncmp(x.text, ": articled events", 17) == 0)
            break;
        pthread_join(t, NULL);
        sse_free(&x);
        cr_assert_lt(tries, 50, "the first stream's place never came free");
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    apitest_get(&s, "/v1/events", &r);
    cr_expect(apitest_is_problem(&r, 503), "%ld %s %s", r.status, r.content_type, r.body);
    cr_expect_str_eq(json_string_value(json_object_get(r.json, "limit")), "subscribers");
    apitest_resp_free(&r);
    put(&s, "f1", "AFP", "kept then deleted");
    put(&s, "f2", "Reuters", "another source");
    del(&s, "f2");
    del(&s, "f1");
    put(&s, "f3", "AFP", "created after");
    put(&s, "f4", "AFP", "deleted too");
    del(&s, "f4");
    pthread_join(t, NULL);
    cr_assert_eq(x.n, 2, "%s", x.text);
    cr_expect_str_eq(x.types[0], "article.deleted");
    cr_expect_eq(x.ids[0], 7, "f1's delete (each write: its number and its story's)");
    cr_expect_eq(x.ids[1], 13, "f4's delete");
    sse_free(&x);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

/* A client that left frees its place when the next one is refused, not at
 * the next heartbeat: the refusal has every stream probed (heartbeats are
 * five minutes apart here, far beyond the retries). */
Test(changes, events_place_of_a_client_that_left_comes_free_on_refusal)
{
    struct apitest_server s;
    const char *args[] = {"--events-heartbeat", "300", "--max-subscribers", "1", NULL};
    struct sse gone = {.want = 1, .seconds = 2};
    struct sse x = {.want = 1, .seconds = 60};
    pthread_t t;
    int refused = 0;

    cr_assert_eq(apitest_start(&s, NULL, args), 0);
    gone.port = x.port = s.port;
    snprintf(gone.path, sizeof gone.path, "/v1/events");
    sse_run(&gone); /* no event: curl gives up after 2 s and closes */
    cr_expect_eq(gone.n, 0);
    cr_expect_str_eq(gone.text, ": articled events\n\n");
    sse_free(&gone);
    snprintf(x.path, sizeof x.path, "/v1/events?types=article.deleted");
    for (int tries = 0;; tries++) {
        pthread_create(&t, NULL, sse_run, &x);
        wait_open(&x);
        if (strncmp(x.text, ": articled events", 17) == 0)
            break; /* the place is free: the stream gets what follows */
        pthread_join(t, NULL);
        cr_expect_eq(x.status, 503, "%s", x.text);
        refused++;
        sse_free(&x);
        cr_assert_lt(tries, 150, "the place of the client that left never came free");
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    put(&s, "p1", "AFP", "made");
    del(&s, "p1");
    pthread_join(t, NULL);
    cr_expect_eq(x.n, 1, "%s", x.text);
    cr_expect_str_eq(x.types[0], "article.deleted");
    cr_log_info("refused %d time(s) before the place came free", refused);
    sse_free(&x);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

/* The articled_event_streams gauge of GET /metrics, or -1. */
static long event_streams(const struct apitest_server *s)
{
    struct apitest_resp r;
    long v = -1;
    if (apitest_get(s, "/metrics", &r) == 0 && r.status == 200 && r.body != NULL) {
        const char *p = strstr(r.body, "\narticled_event_streams ");
        if (p != NULL)
            v = atol(p + strlen("\narticled_event_streams "));
    }
    apitest_resp_free(&r);
    return v;
}

/* A client that closes its stream frees its place and connection without waiting for a
 * heartbeat (five minutes apart here) or for another client to be refused: the hub looks
 * at the parked streams' sockets. The wait allowed is far above the second it takes. */
Test(changes, events_stream_of_a_client_that_left_ends_before_the_heartbeat)
{
    struct apitest_server s;
    const char *args[] = {"--events-heartbeat", "300", NULL};
    struct sse gone[3];
    long open = -1;

    cr_assert_eq(apitest_start(&s, NULL, args), 0);
    cr_assert_eq(event_streams(&s), 0);
    for (int i = 0; i < 3; i++) {
        gone[i] = (struct sse){.port = s.port, .want = 1, .seconds = 1};
        snprintf(gone[i].path, sizeof gone[i].path, "/v1/events");
        sse_run(&gone[i]); /* no event: curl gives up after 1 s and closes */
        cr_expect_str_eq(gone[i].text, ": articled events\n\n");
        sse_free(&gone[i]);
    }
    for (int tries = 0; tries < 300 && (open = event_streams(&s)) != 0; tries++) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_expect_eq(open, 0, "streams whose clients left are still open after 30 s");
    apitest_stop(&s);
    apitest_cleanup(&s);
}
