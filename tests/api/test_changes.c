/* Black-box tests of GET /v1/changes: the feed of creates, replaces and
 * deletes in commit order, paged by next_since; its filters and bad input;
 * and a poller that resumes after kill -9 and restart with neither a gap nor
 * a repeat. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apitest.h"

TestSuite(changes, .timeout = 120);

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

    apitest_get(&s, "/v1/changes", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(r.json, "changes")), 3, "%s", r.body);
    cr_expect_str_eq(change_at(&r, 0, buf, sizeof buf), "article.created c");
    cr_expect_str_eq(change_at(&r, 1, buf, sizeof buf), "article.created a");
    cr_expect_str_eq(change_at(&r, 2, buf, sizeof buf), "article.deleted b");
    cr_expect_eq(json_integer_value(json_object_get(r.json, "next_since")), 5);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "head")), 5);
    apitest_resp_free(&r);

    /* after the first three writes, a's write is an update */
    apitest_get(&s, "/v1/changes?since=3&types=article.updated,article.deleted", &r);
    cr_assert_eq(json_array_size(json_object_get(r.json, "changes")), 2, "%s", r.body);
    cr_expect_str_eq(change_at(&r, 0, buf, sizeof buf), "article.updated a");
    apitest_resp_free(&r);

    apitest_get(&s, "/v1/changes?source=Reuters", &r);
    cr_assert_eq(json_array_size(json_object_get(r.json, "changes")), 1, "%s", r.body);
    cr_expect_str_eq(change_at(&r, 0, buf, sizeof buf), "article.deleted b");
    apitest_resp_free(&r);

    /* a page of one resumes after its last change */
    apitest_get(&s, "/v1/changes?limit=1", &r);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "next_since")), 3);
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
    cr_expect_eq(json_integer_value(json_object_get(r.json, "head")), 5);
    cr_expect_not_null(json_object_get(r.json, "oldest_since"));
    apitest_resp_free(&r);
    apitest_stop(&s);
    apitest_cleanup(&s);
}

/* A poller reads the feed in pages of 3 while writes go on; the server is
 * killed with -9 and restarted twice; the poller resumes from its last
 * next_since. Every acknowledged article shows up exactly once (its last
 * write), none out of order. */
Test(changes, poller_resumes_after_kill9_without_gap_or_repeat)
{
    struct apitest_server s;
    struct apitest_resp r;
    int seen[60] = {0};
    long long since = 0, last = 0;

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
                int k = atoi(json_string_value(json_object_get(c, "id")) + 1);
                cr_assert_gt(seq, last, "in order, never twice");
                last = seq;
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
    for (int k = 0; k < 60; k++)
        cr_expect_eq(seen[k], 1, "k%d seen %d times", k, seen[k]);
    apitest_stop(&s);
    apitest_cleanup(&s);
}
