/* Fault test of stories: writers create, merge (an article bridging two
 * stories), replace and delete concurrently, the server is killed -9 in the
 * middle, and after a restart every story's member count, outlet counts and
 * merge records must equal a recount of the articles. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apitest.h"

TestSuite(story_faults, .timeout = 180);

#define WRITERS 4
#define GROUPS  60 /* per writer, four writes each: bounded whatever the timing */
static int acked_total;

struct writer {
    struct apitest_server *s;
    int thread;
};

/* 40 synthetic words of group (t, g), lo..lo+39 of its own vocabulary, in
 * an order of their own (stride prime to 40: shared words, no shared runs,
 * so no article is a near copy of another; see test_stories.c). */
static void group_words(char *out, size_t size, int t, int g, int lo, int stride)
{
    size_t n = 0;
    out[0] = '\0';
    for (int k = 0; k < 40 && n < size; k++) {
        int i = lo + (k * stride) % 40;
        n += (size_t)snprintf(out + n, size - n, "%szq%c%c%c%c%cv", n ? " " : "", 'a' + t,
                              'a' + g % 26, 'a' + g / 26, 'a' + i % 26, 'a' + i / 26);
    }
}

/* Writes one article (PUT: create or replace); 0 once the server is gone. */
static int put(struct writer *w, const char *id, const char *body, const char *at)
{
    char path[96], *text;
    struct apitest_resp r;
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "title", "report", "body", body, "source",
                          id + strlen(id) - 1, "published_at", at);
    int sent;

    text = json_dumps(o, JSON_COMPACT);
    snprintf(path, sizeof path, "/v1/articles/%s", id);
    sent = apitest_request(w->s, "PUT", path, "application/json", text, strlen(text), &r) == 0;
    if (sent && (r.status == 200 || r.status == 201))
        __atomic_add_fetch(&acked_total, 1, __ATOMIC_SEQ_CST);
    sent = sent && r.status != 0;
    apitest_resp_free(&r);
    free(text);
    json_decref(o);
    return sent;
}

static void *write_groups(void *p)
{
    struct writer *w = p;
    char body[2048], id[48];
    struct apitest_resp r;

    for (int g = 0; g < GROUPS; g++) {
        /* A and B share 16 of 40 words, three days apart: apart; C, between
         * them, shares 28 with each: it bridges them, a merge */
        group_words(body, sizeof body, w->thread, g, 0, 1);
        snprintf(id, sizeof id, "f%d-%d-a", w->thread, g);
        if (!put(w, id, body, "2025-05-01T00:00:00Z"))
            break;
        group_words(body, sizeof body, w->thread, g, 24, 7);
        snprintf(id, sizeof id, "f%d-%d-b", w->thread, g);
        if (!put(w, id, body, "2025-05-03T22:00:00Z"))
            break;
        group_words(body, sizeof body, w->thread, g, 12, 11);
        snprintf(id, sizeof id, "f%d-%d-c", w->thread, g);
        if (!put(w, id, body, "2025-05-02T11:00:00Z"))
            break;
        /* then the founder is replaced by another group's text, or deleted */
        snprintf(id, sizeof id, "f%d-%d-a", w->thread, g);
        if (g % 2 == 0) {
            group_words(body, sizeof body, w->thread, g + 100, 0, 1);
            if (!put(w, id, body, "2025-05-01T00:00:00Z"))
                break;
        } else {
            char path[96];
            snprintf(path, sizeof path, "/v1/articles/%s", id);
            if (apitest_request(w->s, "DELETE", path, NULL, NULL, 0, &r) != 0 || r.status == 0) {
                apitest_resp_free(&r);
                break;
            }
            apitest_resp_free(&r);
        }
    }
    return NULL;
}

static void *killer(void *p)
{
    struct apitest_server *s = p;
    for (int waited = 0; waited < 60000 && __atomic_load_n(&acked_total, __ATOMIC_SEQ_CST) < 200;
         waited++)
        usleep(1000);
    apitest_kill9(s);
    return NULL;
}

/* One integer from sql on db. */
static long long one(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

Test(story_faults, kill9_during_merges_keeps_membership_exact)
{
    struct apitest_server s;
    struct writer w[WRITERS];
    pthread_t t[WRITERS], k;
    sqlite3 *db = NULL;

    signal(SIGPIPE, SIG_IGN); /* writes to a killed server fail, they do not kill the test */
    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    for (int i = 0; i < WRITERS; i++) {
        w[i].s = &s;
        w[i].thread = i;
        pthread_create(&t[i], NULL, write_groups, &w[i]);
    }
    pthread_create(&k, NULL, killer, &s);
    pthread_join(k, NULL);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);
    cr_expect_lt(acked_total, WRITERS * GROUPS * 4, "the kill came after every write");

    /* restart (recovery), stop cleanly, recount from the file */
    cr_assert_eq(apitest_start(&s, s.db, NULL), 0);
    cr_assert_eq(apitest_stop(&s), 0);
    cr_assert_eq(sqlite3_open_v2(s.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_expect_eq(one(db, "SELECT count(*) FROM stories s WHERE s.articles <>"
                         " (SELECT count(*) FROM articles a WHERE a.story = s.id)"),
                 0, "a story's member count differs from its members");
    cr_expect_eq(one(db, "SELECT count(*) FROM articles"
                         " WHERE story IS NULL OR story NOT IN (SELECT id FROM stories)"),
                 0, "an article outside every live story");
    cr_expect_eq(one(db, "SELECT count(*) FROM stories s WHERE s.articles <>"
                         " (SELECT coalesce(sum(articles), 0) FROM story_sources WHERE story = s.id)"),
                 0, "outlet counts differ from the members");
    cr_expect_eq(one(db, "SELECT count(*) FROM story_sources WHERE articles <= 0"), 0);
    cr_expect_eq(one(db, "SELECT count(*) FROM story_merges"
                         " WHERE into_id NOT IN (SELECT id FROM stories)"),
                 0, "a merge record pointing at no live story");
    cr_expect_eq(one(db, "SELECT count(*) FROM story_merges WHERE id IN (SELECT id FROM stories)"),
                 0, "a merged id that is live again");
    cr_expect_gt(one(db, "SELECT count(*) FROM story_merges"), 0, "no merge happened");
    cr_log_info("%d writes acknowledged before kill -9; %lld stories, %lld merged away",
                acked_total, one(db, "SELECT count(*) FROM stories"),
                one(db, "SELECT count(*) FROM story_merges"));
    sqlite3_close(db);
    apitest_cleanup(&s);
}

/* Runs sql (no rows) on the database file at path. */
static void exec_on(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s", msg ? msg : "");
    sqlite3_close(db);
}

static const char *story_of(struct apitest_server *s, const char *id)
{
    static char out[4][32];
    static int k;
    struct apitest_resp r;
    char path[64];
    snprintf(path, sizeof path, "/v1/articles/%s", id);
    cr_assert_eq(apitest_get(s, path, &r), 0);
    k = (k + 1) % 4;
    snprintf(out[k], sizeof out[k], "%s",
             json_is_string(json_object_get(r.json, "story"))
                 ? json_string_value(json_object_get(r.json, "story"))
                 : "null");
    apitest_resp_free(&r);
    return out[k];
}

/* A database whose articles were stored before stories existed (their
 * story columns and tables emptied, as migration 14 leaves them) gets its
 * stories at the next start, before it serves: copies with their original,
 * the rest as at ingest, counts exact, progress in the log. */
Test(story_faults, backfill_of_articles_stored_before_stories)
{
    struct apitest_server s;
    char body[2048], id[48], before[3][32];
    struct writer w = {.s = &s, .thread = 0};
    sqlite3 *db = NULL;
    FILE *log;
    char line[2048];
    int progress = 0;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    for (int g = 0; g < 3; g++) {
        group_words(body, sizeof body, 0, g, 0, 1);
        snprintf(id, sizeof id, "o%d-a", g);
        cr_assert(put(&w, id, body, "2025-05-01T00:00:00Z"));
        snprintf(id, sizeof id, "o%d-b", g);
        cr_assert(put(&w, id, body, "2025-05-01T05:00:00Z")); /* an exact copy */
        snprintf(before[g], sizeof before[g], "%s", story_of(&s, id));
    }
    cr_assert_eq(apitest_stop(&s), 0);
    exec_on(s.db, "UPDATE articles SET story = NULL; DELETE FROM stories;"
                  " DELETE FROM story_sources; DELETE FROM story_terms; DELETE FROM story_df;"
                  " DELETE FROM story_merges;");
    cr_assert_eq(apitest_start(&s, s.db, NULL), 0);
    for (int g = 0; g < 3; g++) {
        char a[32];
        snprintf(id, sizeof id, "o%d-a", g);
        snprintf(a, sizeof a, "%s", story_of(&s, id));
        cr_expect_str_eq(a, before[g], "group %d: the same story as at ingest", g);
        snprintf(id, sizeof id, "o%d-b", g);
        cr_expect_str_eq(story_of(&s, id), a, "the copy joins its original");
    }
    cr_assert_eq(apitest_stop(&s), 0);
    log = fopen(s.log, "r");
    cr_assert_not_null(log);
    while (fgets(line, sizeof line, log) != NULL)
        progress |= strstr(line, "stories backfill") != NULL && strstr(line, "\"articles\":6") != NULL;
    fclose(log);
    cr_expect(progress, "no progress line in the log");
    cr_assert_eq(sqlite3_open_v2(s.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_expect_eq(one(db, "SELECT count(*) FROM articles WHERE story IS NULL"), 0);
    cr_expect_eq(one(db, "SELECT count(*) FROM stories s WHERE s.articles <>"
                         " (SELECT count(*) FROM articles a WHERE a.story = s.id)"),
                 0);
    sqlite3_close(db);
    apitest_cleanup(&s);
}
