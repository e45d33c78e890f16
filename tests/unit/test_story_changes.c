/* Unit tests of stories in the change feed (store_story.c's story_log):
 * the pure dedupe of the stories a transaction touched, one change per
 * story per commit however many members moved, a story's final state at
 * the end of its commit, and the source filter leaving stories out. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"
#include "unit_tmp.h"

static struct unit_tmp tmp;

static void setup(void)
{
    unit_tmp_make(&tmp, "storychanges");
}

static void teardown(void)
{
    unit_tmp_remove(&tmp);
}

TestSuite(story_changes, .init = setup, .fini = teardown, .timeout = 60);

#define STORIES                                                                                    \
    (STORE_CHANGE_STORY_UPDATED | STORE_CHANGE_STORY_MERGED | STORE_CHANGE_STORY_DELETED)

Test(story_changes, touched_ids_sorted_once_each)
{
    int64_t ids[] = {5, 3, 5, 1, 3, 3, 900000000000000001LL, 1};
    int64_t same[] = {7, 7, 7};
    size_t n = store_story_ids_unique(ids, sizeof ids / sizeof ids[0]);

    cr_assert_eq(n, 4);
    cr_expect_eq(ids[0], 1);
    cr_expect_eq(ids[1], 3);
    cr_expect_eq(ids[2], 5);
    cr_expect_eq(ids[3], 900000000000000001LL);
    cr_expect_eq(store_story_ids_unique(same, 3), 1);
    cr_expect_eq(same[0], 7);
    cr_expect_eq(store_story_ids_unique(NULL, 0), 0);
}

/* One op: PUT id with body, or DELETE id (body NULL). */
static void op_fill(struct store_op *op, const char *id, const char *body, const char *source)
{
    memset(op, 0, sizeof *op);
    op->kind = body ? STORE_OP_PUT : STORE_OP_DELETE;
    op->article.id = strdup(id);
    if (body == NULL)
        return;
    op->article.title = strdup("title");
    op->article.body = strdup(body);
    op->article.body_len = strlen(body);
    op->article.source = source ? strdup(source) : NULL;
    /* the store takes the hash as given: the same text, exact copies */
    snprintf(op->article.content_hash, sizeof op->article.content_hash, "h:%.60s", body);
}

/* Writes ops[0..n) as one batch (one commit); every op must succeed. */
static void write_batch(struct store *st, struct store_op *ops, size_t n)
{
    struct store_batch b = {0};
    struct error err = {0};
    b.ops = ops;
    b.nops = n;
    cr_assert_eq(store_write(st, &b, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        cr_assert(!ops[i].failed, "op %zu: %s", i, ops[i].err.msg);
        article_clear(&ops[i].article);
    }
}

static void story_feed(struct store *st, int64_t since, const char *source,
                       struct store_changes *out)
{
    struct store_change_query q = {
        .since = since, .types = STORIES, .source = source, .limit = 100};
    struct error err = {0};
    cr_assert_eq(store_changes(st, &q, out, &err), 0, "%s", err.msg);
}

/* 60 copies of one text in one commit: one story, one change, numbered
 * after the 60 articles'; the next commit adds one more. */
Test(story_changes, a_bulk_of_one_story_is_one_change_per_commit)
{
    struct store *st = NULL;
    struct store_options o = {0};
    struct error err = {0};
    struct store_changes c;
    struct store_op ops[60], one;
    char id[16];

    cr_assert_eq(store_open(tmp.path, &o, &st, &err), 0, "%s", err.msg);
    for (int i = 0; i < 60; i++) {
        snprintf(id, sizeof id, "copy-%d", i);
        op_fill(&ops[i], id, "the same wire text about a harbour fire", "Wire");
    }
    write_batch(st, ops, 60);
    cr_expect_eq(ops[59].change_seq, 60);
    cr_expect_eq(ops[59].story, ops[0].story, "copies share their original's story");

    story_feed(st, 0, NULL, &c);
    cr_assert_eq(c.n, 1, "one change for 60 members");
    cr_expect_eq(c.items[0].seq, 61);
    cr_expect_eq(c.items[0].type, STORE_CHANGE_STORY_UPDATED);
    cr_expect_eq(strtoll(c.items[0].id, NULL, 10), ops[0].story);
    cr_expect_null(c.items[0].source);
    cr_expect_null(c.items[0].into);
    cr_expect_eq(c.head, 61);
    store_changes_free(&c);

    /* a later member: the story again, at its new number (listed once) */
    op_fill(&one, "copy-60", "the same wire text about a harbour fire", "Other");
    write_batch(st, &one, 1);
    story_feed(st, 0, NULL, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.items[0].seq, 63);
    store_changes_free(&c);
    story_feed(st, 61, NULL, &c);
    cr_expect_eq(c.n, 1);
    store_changes_free(&c);

    /* a source filter is about articles: stories are left out */
    story_feed(st, 0, "Wire", &c);
    cr_expect_eq(c.n, 0);
    store_changes_free(&c);
    store_close(st);
}

/* What a story became by the end of its commit is what the feed says: a
 * story started and emptied in one commit is deleted; one that lost its
 * founder but kept a copy is updated. */
Test(story_changes, the_final_state_of_the_commit)
{
    struct store *st = NULL;
    struct store_options o = {0};
    struct error err = {0};
    struct store_changes c;
    struct store_op ops[3];

    cr_assert_eq(store_open(tmp.path, &o, &st, &err), 0, "%s", err.msg);
    op_fill(&ops[0], "a", "a text that comes and goes", "S");
    op_fill(&ops[1], "a", NULL, NULL);
    write_batch(st, ops, 2);
    story_feed(st, 0, NULL, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.items[0].type, STORE_CHANGE_STORY_DELETED);
    cr_expect_eq(c.items[0].seq, 3);
    store_changes_free(&c);

    op_fill(&ops[0], "b", "a text with a copy", "S");
    op_fill(&ops[1], "b-copy", "a text with a copy", "T");
    op_fill(&ops[2], "b", NULL, NULL);
    write_batch(st, ops, 3);
    story_feed(st, 3, NULL, &c);
    cr_assert_eq(c.n, 1, "one change for the commit's one story");
    cr_expect_eq(c.items[0].type, STORE_CHANGE_STORY_UPDATED);
    cr_expect_eq(c.items[0].seq, 7);
    store_changes_free(&c);
    store_close(st);
}
