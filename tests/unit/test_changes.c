/* Unit tests of the change feed (store/store_changes.c): commit order, one
 * entry per article at its last write, created vs updated relative to
 * since, deletes with their source, the type and source filters, paging by
 * next_since without gaps or repeats, the bound on numbers read per page,
 * and 410 once deletes after since were pruned or since is past head. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "unit_tmp.h"

static struct unit_tmp tmp;
static const char *path = tmp.path;

static void setup(void)
{
    unit_tmp_make(&tmp, "changes");
}

static void teardown(void)
{
    unit_tmp_remove(&tmp);
}

TestSuite(changes, .init = setup, .fini = teardown, .timeout = 60);

/* Writes one op (PUT with body, or DELETE with body NULL); its change number. */
static int64_t write_one(struct store *st, const char *id, const char *source, const char *body)
{
    struct store_op op = {0};
    struct store_batch b = {0};
    struct error err = {0};
    int64_t seq;

    op.kind = body ? STORE_OP_PUT : STORE_OP_DELETE;
    op.article.id = strdup(id);
    if (body != NULL) {
        op.article.title = strdup("title");
        op.article.body = strdup(body);
        op.article.body_len = strlen(body);
        op.article.source = source ? strdup(source) : NULL;
        snprintf(op.article.content_hash, sizeof op.article.content_hash, "h:%.60s", body);
    }
    b.ops = &op;
    b.nops = 1;
    cr_assert_eq(store_write(st, &b, &err), 0, "%s", err.msg);
    cr_assert(!op.failed, "%s: %s", id, op.err.msg);
    seq = op.change_seq;
    article_clear(&op.article);
    return seq;
}

/* The article change types (every write also takes a number for its story:
 * tests about articles read these alone). */
#define ARTICLES (STORE_CHANGE_CREATED | STORE_CHANGE_UPDATED | STORE_CHANGE_DELETED)
#define STORIES                                                                                    \
    (STORE_CHANGE_STORY_UPDATED | STORE_CHANGE_STORY_MERGED | STORE_CHANGE_STORY_DELETED)

static void changes(struct store *st, int64_t since, unsigned types, const char *source,
                    unsigned limit, struct store_changes *out)
{
    struct store_change_query q = {.since = since, .types = types, .source = source,
                                   .limit = limit};
    struct error err = {0};
    cr_assert_eq(store_changes(st, &q, out, &err), 0, "%s", err.msg);
}

Test(changes, commit_order_last_write_and_types)
{
    struct store *st = NULL;
    struct store_options o = {0};
    struct error err = {0};
    struct store_changes c;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    /* each commit: the article's number, then its story's */
    cr_expect_eq(write_one(st, "a", "AFP", "alpha one"), 1);
    cr_expect_eq(write_one(st, "b", "Reuters", "bravo one"), 3);
    cr_expect_eq(write_one(st, "c", "AFP", "charlie one"), 5);
    cr_expect_eq(write_one(st, "a", "AFP", "alpha two"), 7); /* replaced */
    cr_expect_eq(write_one(st, "b", NULL, NULL), 9);         /* deleted */

    changes(st, 0, ARTICLES, NULL, 0, &c);
    cr_assert_eq(c.n, 3);
    cr_expect_eq(c.head, 10);
    cr_expect_eq(c.next_since, 10);
    cr_expect_eq(c.items[0].seq, 5);
    cr_expect_str_eq(c.items[0].id, "c");
    cr_expect_eq(c.items[1].seq, 7);
    cr_expect_str_eq(c.items[1].id, "a");
    cr_expect_eq(c.items[1].type, STORE_CHANGE_CREATED, "created after since=0: created");
    cr_expect_eq(c.items[2].seq, 9);
    cr_expect_eq(c.items[2].type, STORE_CHANGE_DELETED);
    cr_expect_str_eq(c.items[2].source, "Reuters", "the tombstone keeps the source");
    cr_expect_not_null(c.items[2].at);
    store_changes_free(&c);

    /* since 5: "a" existed before, so its write is an update */
    changes(st, 5, ARTICLES, NULL, 0, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.items[0].type, STORE_CHANGE_UPDATED);
    store_changes_free(&c);

    changes(st, 0, STORE_CHANGE_DELETED, NULL, 0, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_str_eq(c.items[0].id, "b");
    store_changes_free(&c);

    /* b's story went with b, at the number after b's tombstone */
    changes(st, 0, STORE_CHANGE_STORY_DELETED, NULL, 0, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.items[0].seq, 10);
    cr_expect_str_eq(c.items[0].id, "2", "b's story: its seq");
    cr_expect_null(c.items[0].source);
    store_changes_free(&c);

    /* a source filter leaves story changes out */
    changes(st, 0, 0, "AFP", 0, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_str_eq(c.items[0].id, "c");
    cr_expect_str_eq(c.items[1].id, "a");
    store_changes_free(&c);
    store_close(st);
}

/* Pages of 7 over 50 writes (every fifth a replace of an earlier id) meet
 * every live article once and every number in order. */
Test(changes, paging_has_no_gaps_nor_repeats)
{
    struct store *st = NULL;
    struct store_options o = {0};
    struct error err = {0};
    struct store_changes c;
    char id[16], body[32];
    int seen[50] = {0}, pages = 0;
    int64_t since = 0, last = 0, last_head = 1;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "p%d", i % 5 == 4 ? i - 4 : i);
        snprintf(body, sizeof body, "paged body %d", i);
        write_one(st, id, "S", body);
    }
    do {
        changes(st, since, ARTICLES, NULL, 7, &c);
        for (size_t i = 0; i < c.n; i++) {
            int k = atoi(c.items[i].id + 1);
            cr_assert_gt(c.items[i].seq, last, "in commit order, never twice");
            last = c.items[i].seq;
            cr_assert(k >= 0 && k < 50);
            seen[k]++;
        }
        cr_assert_geq(c.next_since, since);
        since = c.next_since;
        last_head = c.head;
        pages++;
        store_changes_free(&c);
    } while (since < last_head && pages < 100);
    for (int k = 0; k < 50; k++)
        cr_expect_eq(seen[k], k % 5 == 4 ? 0 : 1, "article p%d", k);
    store_close(st);
}

/* A filter that lets little through still reads at most STORE_CHANGES_SCAN
 * numbers per page: the page ends early with next_since where it stopped. */
Test(changes, a_page_reads_a_bounded_range)
{
    struct store *st = NULL;
    struct store_options o = {0};
    struct error err = {0};
    struct store_changes c;
    sqlite3 *db;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    write_one(st, "x", "S", "the only stored text");
    store_close(st);
    /* pretend many changes came before: the article carries a high number */
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "UPDATE articles SET change_seq = 25000, created_change = 25000",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    changes(st, 0, ARTICLES, NULL, 0, &c);
    cr_expect_eq(c.n, 0);
    cr_expect_eq(c.next_since, STORE_CHANGES_SCAN);
    cr_expect_eq(c.head, 25000);
    store_changes_free(&c);
    changes(st, 2 * STORE_CHANGES_SCAN, ARTICLES, NULL, 0, &c);
    cr_expect_eq(c.n, 1);
    cr_expect_eq(c.next_since, 25000);
    store_changes_free(&c);
    store_close(st);
}

Test(changes, gone_after_pruned_deletes_or_past_head)
{
    struct store *st = NULL;
    struct store_options o = {.tombstone_days = 1};
    struct error err = {0};
    struct store_changes c;
    struct store_change_query q = {0};
    sqlite3 *db;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    write_one(st, "a", "S", "alpha text"); /* 1, its story 2 */
    write_one(st, "b", "S", "bravo text"); /* 3, its story 4 */
    write_one(st, "a", NULL, NULL);        /* 5: its tombstone; 6: its story deleted */
    store_close(st);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "UPDATE tombstones SET deleted_at = deleted_at - 2 * 86400;"
                              "UPDATE story_log SET at = at - 2 * 86400",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    /* 7, its story 8; its commit prunes the tombstone and the deleted story */
    write_one(st, "c", "S", "charlie text");

    q.since = 5;
    cr_expect_eq(store_changes(st, &q, &c, &err), -1);
    cr_expect_eq(err.code, ERR_GONE);
    cr_expect_eq(c.floor, 6, "resume from the highest pruned number (the deleted story)");
    cr_expect_eq(c.head, 8);
    q.since = 6;
    cr_assert_eq(store_changes(st, &q, &c, &err), 0, "%s", err.msg);
    cr_expect_eq(c.n, 2);
    store_changes_free(&c);
    q.since = 9;
    cr_expect_eq(store_changes(st, &q, &c, &err), -1, "past head: restored or replaced");
    cr_expect_eq(err.code, ERR_GONE);
    store_close(st);
}
