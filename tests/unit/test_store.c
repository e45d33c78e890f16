/* Unit tests for store/: opening and migrating (including an old schema and
 * files that are not databases), group commit from many threads, per-op
 * isolation inside a batch, exact-copy groups under delete and replace. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/fingerprint.h"
#include "pipeline/near.h"
#include "pipeline/stages.h"
#include "store/schema.h"
#include "store/store.h"
#include "unit_tmp.h"

static struct unit_tmp tmp;
static const char *path = tmp.path;

static void setup(void)
{
    unit_tmp_make(&tmp, "store");
}

static void teardown(void)
{
    unit_tmp_remove(&tmp);
}

TestSuite(store, .init = setup, .fini = teardown, .timeout = 60);

static void fill(struct article *a, const char *id, const char *body)
{
    memset(a, 0, sizeof *a);
    a->id = strdup(id);
    a->title = strdup("title");
    a->body = strdup(body);
    a->body_len = strlen(body);
    /* the store takes the hash as given; tests use (the start of) the text */
    snprintf(a->content_hash, sizeof a->content_hash, "h:%.60s", body);
}

static int write_one(struct store *st, enum store_op_kind kind, const char *id, const char *body,
                     struct store_op *op)
{
    struct store_batch b = {0};
    struct error err = {0};
    memset(op, 0, sizeof *op);
    op->kind = kind;
    if (body != NULL)
        fill(&op->article, id, body);
    else
        op->article.id = strdup(id);
    b.ops = op;
    b.nops = 1;
    return store_write(st, &b, &err);
}

Test(store, open_creates_and_migrates)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    cr_expect_eq(store_schema_version(st), store_schema_latest());
    store_close(st);
}

Test(store, migrates_an_old_schema_keeping_data)
{
    sqlite3 *db;
    struct error err = {0};
    struct store *st = NULL;
    struct store_options o = {0};
    struct article a;

    /* A database made by the first release: schema version 1 with one row. */
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(schema_migrate(db, 1, &err), 0, "%s", err.msg);
    cr_assert_eq(schema_version(db), 1);
    cr_assert_eq(sqlite3_exec(db,
                              "INSERT INTO articles(id,title,body,ts,ingested_at,content_hash)"
                              " VALUES('old-1','Old title','old body about tulips',1,"
                              "'2020-01-01T00:00:00Z','h')",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    cr_expect_eq(store_schema_version(st), store_schema_latest());
    cr_assert_eq(store_article_get(st, "old-1", &a, &err), 0, "%s", err.msg);
    cr_expect_str_eq(a.body, "old body about tulips");
    article_clear(&a);

    struct store_search_query q = {
        .match = "\"tulips\"", .from = INT64_MIN, .to = INT64_MAX, .limit = 10, .want_total = 1};
    struct store_hits hits;
    cr_assert_eq(store_search(st, &q, &hits, &err), 0, "%s", err.msg);
    cr_expect_eq(hits.total, 1);
    store_hits_free(&hits);
    store_close(st);
}

Test(store, refuses_newer_and_foreign_files)
{
    sqlite3 *db;
    struct error err = {0};
    struct store *st = NULL;
    struct store_options o = {0};
    FILE *f;

    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA user_version=999", NULL, NULL, NULL);
    sqlite3_close(db);
    cr_expect_eq(store_open(path, &o, &st, &err), -1);
    cr_expect(strstr(err.msg, "newer") != NULL, "%s", err.msg);
    unlink(path);

    f = fopen(path, "w");
    fputs("this is not an SQLite database, just some text that is long enough to fool no one", f);
    fclose(f);
    cr_expect_eq(store_open(path, &o, &st, &err), -1);
    cr_expect_neq(err.msg[0], '\0');
    unlink(path);

    if (geteuid() != 0) { /* root can write a 0444 file anyway */
        cr_assert_eq(store_open(path, &o, &st, &err), 0);
        store_close(st);
        chmod(path, 0444);
        cr_expect_eq(store_open(path, &o, &st, &err), -1);
    }
}

Test(store, batch_ops_fail_alone)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    struct store_op ops[3];
    struct store_batch b = {0};
    struct article a;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    memset(ops, 0, sizeof ops);
    ops[0].kind = STORE_OP_CREATE;
    fill(&ops[0].article, "x", "one");
    ops[1].kind = STORE_OP_CREATE; /* same id: conflict, alone */
    fill(&ops[1].article, "x", "two");
    ops[2].kind = STORE_OP_CREATE;
    fill(&ops[2].article, "y", "three");
    b.ops = ops;
    b.nops = 3;
    cr_assert_eq(store_write(st, &b, &err), 0);
    cr_expect_eq(ops[0].failed, 0);
    cr_expect_eq(ops[1].failed, 1);
    cr_expect_eq(ops[1].err.code, ERR_CONFLICT);
    cr_expect_eq(ops[2].failed, 0);
    cr_assert_eq(store_article_get(st, "x", &a, &err), 0);
    cr_expect_str_eq(a.body, "one");
    article_clear(&a);
    cr_assert_eq(store_article_get(st, "y", &a, &err), 0);
    article_clear(&a);
    for (int i = 0; i < 3; i++)
        article_clear(&ops[i].article);
    store_close(st);
}

/* Hits of match, as "id,id,..." in rowid order (static buffer). */
/* FTS5's integrity-check with content (index against what the content view
 * reads) on the closed store file. */
static void expect_fulltext_consistent(void)
{
    sqlite3 *db;
    char *msg = NULL;

    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_expect_eq(sqlite3_exec(db,
                              "INSERT INTO articles_fts(articles_fts, rank)"
                              " VALUES('integrity-check', 1)",
                              NULL, NULL, &msg),
                 SQLITE_OK, "%s", msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(db);
}

static const char *hit_ids(struct store *st, const char *match)
{
    static char buf[256];
    struct store_search_query q = {.match = match,
                                   .from = INT64_MIN,
                                   .to = INT64_MAX,
                                   .sort = STORE_SORT_NEWEST,
                                   .limit = 20,
                                   .want_total = 1};
    struct store_hits hits;
    struct error err = {0};
    buf[0] = '\0';
    cr_assert_eq(store_search(st, &q, &hits, &err), 0, "%s", err.msg);
    for (size_t i = hits.n; i-- > 0;)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? "," : "",
                 hits.items[i].id);
    store_hits_free(&hits);
    return buf;
}

/* The writer applies full-text changes once per transaction; inside one
 * batch an article can be created, replaced and deleted, and an op can fail,
 * and the index must still match the table exactly. */
Test(store, fulltext_index_follows_every_op_of_one_transaction)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    struct store_op ops[7];
    struct store_batch b = {0};

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(write_one(st, STORE_OP_CREATE, "old", "walrus tusk", &ops[0]), 0);
    article_clear(&ops[0].article);
    memset(ops, 0, sizeof ops);
    ops[0].kind = STORE_OP_CREATE;
    fill(&ops[0].article, "a", "penguin colony");
    ops[1].kind = STORE_OP_PUT; /* replaces a, created just before */
    fill(&ops[1].article, "a", "albatross colony");
    ops[2].kind = STORE_OP_CREATE; /* conflict: rolled back alone */
    fill(&ops[2].article, "old", "penguin conflict");
    ops[3].kind = STORE_OP_PUT; /* replaces an article of an earlier transaction */
    fill(&ops[3].article, "old", "walrus colony");
    ops[4].kind = STORE_OP_CREATE;
    fill(&ops[4].article, "gone", "penguin gone");
    ops[5].kind = STORE_OP_DELETE;
    ops[5].article.id = strdup("gone");
    ops[6].kind = STORE_OP_DELETE; /* not found: fails alone */
    ops[6].article.id = strdup("never");
    b.ops = ops;
    b.nops = 7;
    cr_assert_eq(store_write(st, &b, &err), 0);
    cr_expect_eq(ops[2].err.code, ERR_CONFLICT);
    cr_expect_eq(ops[6].err.code, ERR_NOT_FOUND);
    for (int i = 0; i < 7; i++) {
        cr_expect_eq(ops[i].failed, i == 2 || i == 6, "op %d", i);
        article_clear(&ops[i].article);
    }
    cr_expect_str_eq(hit_ids(st, "\"penguin\""), "");
    cr_expect_str_eq(hit_ids(st, "\"tusk\""), "");
    cr_expect_str_eq(hit_ids(st, "\"albatross\""), "a");
    cr_expect_str_eq(hit_ids(st, "\"walrus\""), "old");
    /* both, in either order: each version's time is its own clock reading,
     * and the two may fall in one millisecond (then seq orders them) */
    {
        const char *both = hit_ids(st, "\"colony\"");
        cr_expect(strcmp(both, "old,a") == 0 || strcmp(both, "a,old") == 0, "%s", both);
    }
    store_close(st);

    /* FTS5's own check, content included, on the closed file */
    expect_fulltext_consistent();
}

Test(store, exact_copy_groups)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    struct store_op op;
    struct article a;

    cr_assert_eq(store_open(path, &o, &st, &err), 0);
    write_one(st, STORE_OP_CREATE, "a", "same text", &op);
    cr_expect_null(op.article.duplicate_of);
    article_clear(&op.article);
    write_one(st, STORE_OP_CREATE, "b", "same text", &op);
    cr_expect_str_eq(op.article.duplicate_of, "a");
    article_clear(&op.article);
    write_one(st, STORE_OP_CREATE, "c", "same text", &op);
    cr_expect_str_eq(op.article.duplicate_of, "a");
    article_clear(&op.article);

    /* delete the original: b becomes it, c points at b */
    write_one(st, STORE_OP_DELETE, "a", NULL, &op);
    cr_expect_eq(op.failed, 0);
    article_clear(&op.article);
    store_article_get(st, "b", &a, &err);
    cr_expect_null(a.duplicate_of);
    article_clear(&a);
    store_article_get(st, "c", &a, &err);
    cr_expect_str_eq(a.duplicate_of, "b");
    article_clear(&a);

    /* b's text changes: c is alone again */
    write_one(st, STORE_OP_PUT, "b", "other text", &op);
    cr_expect_eq(op.created, 0);
    article_clear(&op.article);
    store_article_get(st, "c", &a, &err);
    cr_expect_null(a.duplicate_of);
    article_clear(&a);

    write_one(st, STORE_OP_DELETE, "zzz", NULL, &op);
    cr_expect_eq(op.failed, 1);
    cr_expect_eq(op.err.code, ERR_NOT_FOUND);
    article_clear(&op.article);
    store_close(st);
}

struct writer_arg {
    struct store *st;
    int thread;
    int failures;
};

static void *writer_thread(void *p)
{
    struct writer_arg *w = p;
    for (int i = 0; i < 200; i++) {
        char id[32], body[64];
        struct store_op op;
        snprintf(id, sizeof id, "t%d-%d", w->thread, i);
        snprintf(body, sizeof body, "thread %d article %d", w->thread, i);
        if (write_one(w->st, STORE_OP_CREATE, id, body, &op) != 0 || op.failed)
            w->failures++;
        article_clear(&op.article);
    }
    return NULL;
}

Test(store, group_commit_from_many_threads)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    pthread_t t[8];
    struct writer_arg w[8];
    struct store_stats stats;

    cr_assert_eq(store_open(path, &o, &st, &err), 0);
    for (int i = 0; i < 8; i++) {
        w[i] = (struct writer_arg){st, i, 0};
        pthread_create(&t[i], NULL, writer_thread, &w[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        cr_expect_eq(w[i].failures, 0);
    }
    cr_assert_eq(store_stats(st, &stats, &err), 0);
    cr_expect_eq(stats.articles, 1600);
    store_close(st);

    /* everything acknowledged is there after reopening */
    cr_assert_eq(store_open(path, &o, &st, &err), 0);
    cr_assert_eq(store_stats(st, &stats, &err), 0);
    cr_expect_eq(stats.articles, 1600);
    store_close(st);
}

/* A search whose client asked for no snippet (fields= without it) gets the
 * same hits with no snippet computed; by default every hit has one. Both the
 * one-statement relevance search and the two-phase newest-first one. */
Test(store, snippet_computed_only_when_asked)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    struct store_op op;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "s%d", i);
        cr_assert_eq(write_one(st, STORE_OP_CREATE, id, "the heron stood in the reeds", &op), 0);
        article_clear(&op.article);
    }
    static const enum store_sort sorts[2] = {STORE_SORT_RELEVANCE, STORE_SORT_NEWEST};
    for (int k = 0; k < 2; k++)
        for (int no = 0; no < 2; no++) {
            struct store_search_query q = {.match = "\"heron\"",
                                           .from = INT64_MIN,
                                           .to = INT64_MAX,
                                           .sort = sorts[k],
                                           .limit = 20,
                                           .no_snippet = no};
            struct store_hits hits;
            cr_assert_eq(store_search(st, &q, &hits, &err), 0, "%s", err.msg);
            cr_expect_eq(hits.n, 3, "sort %d no_snippet %d", k, no);
            for (size_t i = 0; i < hits.n; i++) {
                if (no)
                    cr_expect_null(hits.items[i].snippet, "sort %d", k);
                else
                    cr_expect(hits.items[i].snippet &&
                                  strstr(hits.items[i].snippet, "<mark>heron</mark>"),
                              "sort %d: %s", k,
                              hits.items[i].snippet ? hits.items[i].snippet : "(null)");
            }
            store_hits_free(&hits);
        }
    store_close(st);
}

Test(store, newest_first_over_many_matches_pages_in_order)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    struct store_op *ops = calloc(2500, sizeof *ops);
    struct store_batch b = {0};
    int seen[2500] = {0};
    int64_t last_ts = INT64_MAX, last_seq = INT64_MAX;
    size_t total = 0;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    /* more matches than the threshold above which newest-first walks the
     * time index; times shuffled against insertion order */
    for (int i = 0; i < 2500; i++) {
        char id[16], body[64];
        snprintf(id, sizeof id, "n%04d", i);
        snprintf(body, sizeof body, "common word number %d", i);
        ops[i].kind = STORE_OP_CREATE;
        fill(&ops[i].article, id, body);
        ops[i].article.published_at = strdup("x");
        ops[i].article.published_ts = (int64_t)((i * 7919) % 2500) * 60;
    }
    b.ops = ops;
    b.nops = 2500;
    cr_assert_eq(store_write(st, &b, &err), 0);
    for (int i = 0; i < 2500; i++)
        cr_assert_eq(ops[i].failed, 0);

    struct store_search_query q = {.match = "\"common\"",
                                   .from = INT64_MIN,
                                   .to = INT64_MAX,
                                   .sort = STORE_SORT_NEWEST,
                                   .limit = 100,
                                   .want_total = 1};
    for (int page = 0; page < 30; page++) {
        struct store_hits hits;
        cr_assert_eq(store_search(st, &q, &hits, &err), 0, "%s", err.msg);
        cr_assert_eq(hits.total, 2500);
        for (size_t i = 0; i < hits.n; i++) {
            struct store_hit *h = &hits.items[i];
            cr_assert(h->ts < last_ts || (h->ts == last_ts && h->seq < last_seq),
                      "order broken at page %d", page);
            last_ts = h->ts;
            last_seq = h->seq;
            int n = atoi(h->id + 1);
            cr_assert_eq(seen[n], 0, "%s twice", h->id);
            seen[n] = 1;
            total++;
        }
        q.has_after = 1;
        q.after_ts = last_ts;
        q.after_seq = last_seq;
        q.max_seq = hits.max_seq;
        int more = hits.more;
        store_hits_free(&hits);
        if (!more)
            break;
    }
    cr_expect_eq(total, 2500);
    for (int i = 0; i < 2500; i++)
        article_clear(&ops[i].article);
    free(ops);
    store_close(st);
}

Test(store, relevance_ranks_only_the_newest_candidates_when_asked)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {.rank_candidates = 50};
    struct store_op ops[120];
    struct store_batch b = {0};

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    memset(ops, 0, sizeof ops);
    for (int i = 0; i < 120; i++) {
        char id[16], body[96];
        snprintf(id, sizeof id, "r%03d", i);
        /* the oldest articles are the most relevant (the word thrice) */
        snprintf(body, sizeof body, i < 10 ? "storm storm storm %d" : "storm and more words %d", i);
        ops[i].kind = STORE_OP_CREATE;
        fill(&ops[i].article, id, body);
        ops[i].article.source = strdup(i < 10 ? "AAA" : "BBB");
    }
    b.ops = ops;
    b.nops = 120;
    cr_assert_eq(store_write(st, &b, &err), 0);

    struct store_search_query q = {
        .match = "\"storm\"", .from = INT64_MIN, .to = INT64_MAX, .limit = 100, .want_total = 1};
    struct store_hits hits;
    cr_assert_eq(store_search(st, &q, &hits, &err), 0, "%s", err.msg);
    cr_expect_eq(hits.total, 120, "total still counts every match");
    cr_expect_eq(hits.ranked, 50);
    cr_expect_eq(hits.n, 50, "only the newest 50 were ranked");
    for (size_t i = 0; i < hits.n; i++)
        cr_expect_geq(atoi(hits.items[i].id + 1), 70, "%s is not among the newest 50",
                      hits.items[i].id);
    store_hits_free(&hits);

    /* with a filter (here a time window every article passes), an eighth as
     * many (6) are expected in the ranked window: the newest 7 matches */
    q.from = 0;
    cr_assert_eq(store_search(st, &q, &hits, &err), 0);
    cr_expect_eq(hits.total, 120);
    cr_expect_eq(hits.ranked, 6);
    cr_expect_eq(hits.n, 7);
    for (size_t i = 0; i < hits.n; i++)
        cr_expect_geq(atoi(hits.items[i].id + 1), 113, "%s is outside the window",
                      hits.items[i].id);
    store_hits_free(&hits);

    /* a filter that only the oldest pass: the window grows until it holds
     * them, and the most relevant come first */
    q.from = INT64_MIN;
    q.source = "AAA"; /* the ten oldest, the most relevant */
    cr_assert_eq(store_search(st, &q, &hits, &err), 0, "%s", err.msg);
    cr_expect_eq(hits.total, 10);
    cr_expect_geq(hits.n, 6);
    for (size_t i = 0; i < hits.n; i++)
        cr_expect_lt(atoi(hits.items[i].id + 1), 10, "%s has not the source", hits.items[i].id);
    store_hits_free(&hits);
    for (int i = 0; i < 120; i++)
        article_clear(&ops[i].article);
    store_close(st);
}

/* One entity ("person:ada") mentioned twice in the article. */
static void one_entity(struct store_op *op, int64_t start)
{
    static struct store_entity ada = {.id = "person:ada",
                                      .key = "p:ada",
                                      .name = "Ada",
                                      .name_fold = "ada",
                                      .type = "person",
                                      .mentions = 2};
    op->ents.entities = calloc(1, sizeof *op->ents.entities);
    op->ents.mentions = calloc(2, sizeof *op->ents.mentions);
    cr_assert(op->ents.entities && op->ents.mentions);
    op->ents.entities[0] = ada;
    op->ents.n = 1;
    op->ents.mentions[0] = (struct store_mention){start, start + 3, start, start + 3, 0};
    op->ents.mentions[1] =
        (struct store_mention){start + 10, start + 13, start + 10, start + 13, 0};
    op->ents.nmentions = 2;
    op->ents.owner = op; /* anything non-NULL: analysed */
}

static void free_entity(struct store_op *op)
{
    free(op->ents.entities);
    free(op->ents.mentions);
    memset(&op->ents, 0, sizeof op->ents);
}

/* An entity's articles come newest first (by published time, not by when
 * they were stored), for a rare entity (looked up and sorted) and a common
 * one (the time index walked), with exact counts after deletes. */
Test(store, entity_articles_newest_first_small_and_large)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    const int n = 2300; /* above the walk threshold */
    struct store_op *ops = calloc((size_t)n, sizeof *ops);
    struct store_batch b = {0};
    struct store_entity_row row;
    int64_t last_ts = INT64_MAX, last_seq = INT64_MAX;
    size_t seen = 0;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    for (int i = 0; i < n; i++) {
        char id[16], body[64];
        snprintf(id, sizeof id, "e%04d", i);
        snprintf(body, sizeof body, "Ada wrote note %d", i);
        ops[i].kind = STORE_OP_CREATE;
        fill(&ops[i].article, id, body);
        ops[i].article.published_at = strdup("x");
        ops[i].article.published_ts = (int64_t)((i * 7919) % n) * 60;
        one_entity(&ops[i], 0);
    }
    b.ops = ops;
    b.nops = (size_t)n;
    cr_assert_eq(store_write(st, &b, &err), 0);
    cr_assert_eq(store_entity_get(st, "person:ada", &row, &err), 0, "%s", err.msg);
    cr_expect_eq(row.articles, n);
    cr_expect_eq(row.mentions, 2 * n);
    for (int page = 0; page < 100; page++) {
        struct store_list_query q = {.from = INT64_MIN, .to = INT64_MAX, .limit = 100};
        struct store_article_list list;
        if (page > 0) {
            q.has_after = 1;
            q.after_ts = last_ts;
            q.after_seq = last_seq;
        }
        cr_assert_eq(store_entity_articles(st, row.eid, &q, &list, &err), 0, "%s", err.msg);
        for (size_t i = 0; i < list.n; i++) {
            cr_assert_lt(list.items[i].ts, last_ts, "not newest first");
            last_ts = list.items[i].ts;
            last_seq = list.items[i].seq;
            seen++;
        }
        int more = list.more;
        store_article_list_free(&list);
        if (!more)
            break;
    }
    cr_expect_eq(seen, (size_t)n);
    store_entity_row_clear(&row);

    /* delete all but three: the rare path, counts exact */
    for (int i = 0; i < n; i++) {
        free_entity(&ops[i]);
        article_clear(&ops[i].article);
    }
    memset(ops, 0, (size_t)n * sizeof *ops);
    for (int i = 3; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "e%04d", i);
        ops[i - 3].kind = STORE_OP_DELETE;
        ops[i - 3].article.id = strdup(id);
    }
    b.nops = (size_t)n - 3;
    cr_assert_eq(store_write(st, &b, &err), 0);
    cr_assert_eq(store_entity_get(st, "person:ada", &row, &err), 0, "%s", err.msg);
    cr_expect_eq(row.articles, 3);
    cr_expect_eq(row.mentions, 6);
    {
        struct store_list_query q = {.from = INT64_MIN, .to = INT64_MAX, .limit = 10};
        struct store_article_list list;
        cr_assert_eq(store_entity_articles(st, row.eid, &q, &list, &err), 0, "%s", err.msg);
        cr_expect_eq(list.n, 3);
        for (size_t i = 1; i < list.n; i++)
            cr_expect_lt(list.items[i].ts, list.items[i - 1].ts);
        store_article_list_free(&list);
    }
    store_entity_row_clear(&row);
    for (int i = 0; i < n; i++)
        article_clear(&ops[i].article);
    free(ops);
    store_close(st);
}

/* A database of schema 8 (links in article_entities) keeps its links when
 * migrated to the FTS5 link index. */
Test(store, migration_keeps_entity_links)
{
    sqlite3 *db;
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    struct store_entity_row row;
    struct store_entity_rows rows;
    struct store_article_mention *m = NULL;
    size_t nm = 0;
    struct store_list_query q = {.from = INT64_MIN, .to = INT64_MAX, .limit = 10};
    struct store_article_list list;

    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(schema_migrate(db, 8, &err), 0, "%s", err.msg);
    cr_assert_eq(
        sqlite3_exec(db,
                     "INSERT INTO articles(seq,id,title,body,ts,ingested_at,content_hash,"
                     "grp,entities_done,fp_done) VALUES"
                     " (1,'a1','t','Ada here',10,'2020-01-01T00:00:00Z','h1',1,1,1),"
                     " (2,'a2','t','Ada there',20,'2020-01-01T00:00:00Z','h2',2,1,1);"
                     "INSERT INTO entities(eid,id,key,name,name_fold,type,articles,mentions)"
                     " VALUES (7,'person:ada','p:ada','Ada','ada','person',2,3);"
                     "INSERT INTO article_entities(seq,eid,mentions,ts) VALUES"
                     " (1,7,1,10),(2,7,2,20);",
                     NULL, NULL, NULL),
        SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(store_entity_get(st, "person:ada", &row, &err), 0, "%s", err.msg);
    cr_assert_eq(store_entity_articles(st, row.eid, &q, &list, &err), 0, "%s", err.msg);
    cr_expect_eq(list.n, 2);
    if (list.n == 2) {
        cr_expect_str_eq(list.items[0].id, "a2");
        cr_expect_str_eq(list.items[1].id, "a1");
    }
    store_article_list_free(&list);
    cr_assert_eq(store_article_entities(st, 2, &rows, &m, &nm, &err), 0, "%s", err.msg);
    cr_expect_eq(rows.n, 1);
    store_entity_rows_free(&rows);
    free(m);
    store_entity_row_clear(&row);
    store_close(st);
}

/* Writes n articles "<prefix><i>" whose bodies are body_len - 1 letters with a
 * space every ninth byte, different for each i. */
static void write_generated(struct store *st, const char *prefix, int n, size_t body_len)
{
    struct store_op op;
    char id[32];
    char *body = malloc(body_len);

    cr_assert_not_null(body);
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "%s%d", prefix, i);
        for (size_t k = 0; k + 1 < body_len; k++)
            body[k] = (k % 9 == 8) ? ' ' : (char)('a' + (k * 13 + (size_t)i * 7) % 26);
        body[body_len - 1] = 0;
        cr_assert_eq(write_one(st, STORE_OP_CREATE, id, body, &op), 0);
        article_clear(&op.article);
    }
    free(body);
}

/* Hits of match with the given source (NULL: any), both orders; the two
 * totals must agree. Returns the relevance total. */
static long long source_hits(struct store *st, const char *match, const char *source)
{
    long long totals[2];
    for (int sort = 0; sort < 2; sort++) {
        struct store_search_query q = {.match = match,
                                       .source = source,
                                       .from = INT64_MIN,
                                       .to = INT64_MAX,
                                       .sort = sort ? STORE_SORT_NEWEST : STORE_SORT_RELEVANCE,
                                       .limit = 20,
                                       .want_total = 1};
        struct store_hits hits;
        struct error err = {0};
        cr_assert_eq(store_search(st, &q, &hits, &err), 0, "%s", err.msg);
        cr_expect_eq((long long)hits.n, hits.total, "%s / %s: %zu hits of %lld", match,
                     source ? source : "(any)", hits.n, hits.total);
        for (size_t i = 0; i < hits.n && source != NULL; i++)
            cr_expect_str_eq(hits.items[i].source, source);
        totals[sort] = hits.total;
        store_hits_free(&hits);
    }
    cr_expect_eq(totals[0], totals[1]);
    return totals[0];
}

/* A source filter is the article's source token in the full-text index
 * (migration 10): exact (case, a source that extends another, non-ASCII),
 * an empty source still filtered on the rows, kept in step by replace and
 * delete, and out of reach of the query's own words and prefixes. */
Test(store, search_by_source_is_exact_and_follows_writes)
{
    static const struct {
        const char *id, *source;
    } rows[] = {{"s1", "AFP"},
                {"s2", "afp"},
                {"s3", "BBC"},
                {"s4", "BBC News"},
                {"s5", "Le Monde \xc3\xa9"},
                {"s6", NULL},
                {"s7", ""},
                {"s8", "AFP"}};
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    struct store_batch b = {0};
    struct store_op op;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        memset(&op, 0, sizeof op);
        op.kind = STORE_OP_CREATE;
        fill(&op.article, rows[i].id, "storm over the harbour");
        op.article.source = rows[i].source ? strdup(rows[i].source) : NULL;
        b.ops = &op;
        b.nops = 1;
        cr_assert_eq(store_write(st, &b, &err), 0, "%s", err.msg);
        article_clear(&op.article);
    }
    cr_expect_eq(source_hits(st, "\"storm\"", NULL), 8);
    cr_expect_eq(source_hits(st, "\"storm\"", "AFP"), 2);
    cr_expect_eq(source_hits(st, "\"storm\"", "afp"), 1);
    cr_expect_eq(source_hits(st, "\"storm\"", "BBC"), 1);
    cr_expect_eq(source_hits(st, "\"storm\"", "BBC News"), 1);
    cr_expect_eq(source_hits(st, "\"storm\"", "Le Monde \xc3\xa9"), 1);
    cr_expect_eq(source_hits(st, "\"storm\"", ""), 1);
    cr_expect_eq(source_hits(st, "\"storm\"", "Nobody"), 0);
    cr_expect_eq(source_hits(st, "\"storm\" OR \"harbour\"", "AFP"), 2);
    cr_expect_eq(source_hits(st, "\"storm\" NOT \"harbour\"", "AFP"), 0);
    /* the tokens are "zzs<hex>q": neither a prefix nor the token itself
     * as a word finds an article */
    cr_expect_eq(source_hits(st, "\"z\" *", NULL), 0);
    cr_expect_eq(source_hits(st, "\"zzs\" *", "AFP"), 0);
    cr_expect_eq(source_hits(st, "\"st\" *", "AFP"), 2);

    /* s8 moves to BBC, s3 is deleted */
    memset(&op, 0, sizeof op);
    op.kind = STORE_OP_PUT;
    fill(&op.article, "s8", "storm over the harbour");
    op.article.source = strdup("BBC");
    b.ops = &op;
    cr_assert_eq(store_write(st, &b, &err), 0, "%s", err.msg);
    article_clear(&op.article);
    cr_assert_eq(write_one(st, STORE_OP_DELETE, "s3", NULL, &op), 0);
    article_clear(&op.article);
    cr_expect_eq(source_hits(st, "\"storm\"", "AFP"), 1);
    cr_expect_eq(source_hits(st, "\"storm\"", "BBC"), 1);
    store_close(st);

    /* FTS5's own check reads the tokens back through the content view */
    expect_fulltext_consistent();
}

/* A page of the articles table overwritten: refused at open, unless the file
 * is above the size the check reads (then opened, and said so). */
Test(store, integrity_check_at_open_and_its_size_bound)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    sqlite3 *db;
    sqlite3_stmt *s = NULL;
    long long page = -1;
    unsigned char junk[4096];
    FILE *f;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    cr_expect_eq(store_check_skipped(st), 0);
    write_generated(st, "a", 200, 600);
    store_close(st);
    st = NULL;

    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db,
                           "SELECT pageno FROM dbstat WHERE name = 'articles' AND pagetype = 'leaf'"
                           " ORDER BY pageno LIMIT 1 OFFSET 3",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        page = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close_v2(db);
    if (page < 0)
        cr_skip_test("this SQLite has no dbstat table to find a page of articles");
    memset(junk, 0x5a, sizeof junk);
    f = fopen(path, "r+b");
    cr_assert_not_null(f);
    cr_assert_eq(fseek(f, (long)((page - 1) * 4096), SEEK_SET), 0);
    cr_assert_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    fclose(f);

    cr_expect_neq(store_open(path, &o, &st, &err), 0, "a damaged articles page was accepted");
    cr_expect(strstr(err.msg, "corrupt") != NULL, "error: %s", err.msg);
    store_close(st);
    st = NULL;

    o.check_max_bytes = 4096;
    memset(&err, 0, sizeof err);
    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    cr_expect_eq(store_check_skipped(st), 1);
    store_close(st);
}

/* With a small threshold, commits past it are checkpointed by the thread (the
 * WAL is copied into the database while the writer goes on); a reader on its
 * own connection sees everything, and so does a reopened store. */
Test(store, wal_checkpointed_on_its_own_thread)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    struct store_stats stats;
    uint64_t background = 0, inline_ = 0;
    struct stat sb;

    o.wal_checkpoint_pages = 16;
    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    write_generated(st, "w", 300, 2048);
    for (int i = 0; i < 500 && background == 0; i++) {
        store_checkpoint_counts(st, &background, &inline_);
        if (background == 0)
            usleep(10000);
    }
    cr_expect_gt(background, 0, "no checkpoint on the thread (%llu in the writer)",
                 (unsigned long long)inline_);
    /* the database file itself holds pages now, not only the WAL */
    cr_assert_eq(stat(path, &sb), 0);
    cr_expect_gt(sb.st_size, 300 * 2048 / 2, "database file only %lld bytes",
                 (long long)sb.st_size);
    cr_assert_eq(store_stats(st, &stats, &err), 0, "%s", err.msg);
    cr_expect_eq(stats.articles, 300);
    store_close(st);

    st = NULL;
    o.wal_checkpoint_pages = 0;
    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(store_stats(st, &stats, &err), 0, "%s", err.msg);
    cr_expect_eq(stats.articles, 300);
    store_close(st);
}

/* n words of unrelated text, deterministic from seed. */
static char *words_text(unsigned seed, unsigned n, const char *tail)
{
    static const char *syll[] = {"ba", "de", "fi", "go", "ku", "la", "me", "no", "pi", "ru"};
    size_t cap = (size_t)n * 8 + strlen(tail) + 2, len = 0;
    char *s = malloc(cap);
    cr_assert_not_null(s);
    for (unsigned w = 0; w < n; w++) {
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            len += (size_t)snprintf(s + len, cap - len, "%s", syll[(seed >> 16) % 10]);
        }
        s[len++] = ' ';
    }
    snprintf(s + len, cap - len, "%s", tail);
    return s;
}

static void write_fp(struct store *st, const char *id, const char *body)
{
    struct store_op op = {0};
    struct store_batch b = {.ops = &op, .nops = 1};
    struct error err = {0};
    op.kind = STORE_OP_PUT;
    fill(&op.article, id, body);
    cr_assert_eq(dedupe_sets(body, strlen(body), &op.fps, &op.index, NULL), 0);
    op.fingerprinted = 1;
    cr_assert_eq(store_write(st, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(op.failed, 0, "%s", op.err.msg);
    article_clear(&op.article);
    fingerprint_set_free(&op.fps);
    fingerprint_set_free(&op.index);
}

/* The containment near_find reports for id, or -1. */
static double near_of(struct store *st, const char *body, const char *id)
{
    struct fingerprint_set full = {0}, index = {0};
    struct dedupe_near_list near = {0};
    struct error err = {0};
    double c = -1.0;
    cr_assert_eq(dedupe_sets(body, strlen(body), &full, &index, NULL), 0);
    cr_assert_eq(near_find(st, &full, &index, "probe", "h:probe", 0.5, &near, &err), 0, "%s",
                 err.msg);
    for (size_t i = 0; i < near.n; i++)
        if (strcmp(near.items[i].id, id) == 0)
            c = near.items[i].containment;
    dedupe_near_list_free(&near);
    fingerprint_set_free(&full);
    fingerprint_set_free(&index);
    return c;
}

/* The near-duplicate filter starts small here and is rebuilt larger many
 * times (the old one dropped first, look-ups going to the index meanwhile):
 * copies of articles stored before, between and after the rebuilds are all
 * found, unrelated text is not, and the same after a reopen. */
Test(store, near_copies_found_across_filter_rebuilds)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {.fingerprints = 1, .filter_headroom = 100};
    const unsigned n = 300; /* about 19,000 index tokens: the smallest filter holds 4,096 */

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    for (unsigned i = 0; i < n; i++) {
        char id[16], *body = words_text(i + 1, 400, "");
        snprintf(id, sizeof id, "a%u", i);
        write_fp(st, id, body);
        free(body);
    }
    cr_expect_geq(store_filter_rebuilds(st), 2, "the filter grew %llu times",
                  (unsigned long long)store_filter_rebuilds(st));
    for (int round = 0; round < 2; round++) {
        static const unsigned probe[] = {0, 1, 70, 200, 299};
        for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
            char id[16], *copy = words_text(probe[k] + 1, 400, " and a sentence glued on");
            snprintf(id, sizeof id, "a%u", probe[k]);
            cr_expect_geq(near_of(st, copy, id), 0.9, "round %d: copy of %s not found", round, id);
            free(copy);
        }
        char *other = words_text(9999, 400, "");
        struct fingerprint_set full = {0}, index = {0};
        struct dedupe_near_list near = {0};
        cr_assert_eq(dedupe_sets(other, strlen(other), &full, &index, NULL), 0);
        cr_assert_eq(near_find(st, &full, &index, "x", "h:x", 0.5, &near, &err), 0);
        cr_expect_eq(near.n, 0, "unrelated text matched %s", near.n ? near.items[0].id : "");
        dedupe_near_list_free(&near);
        fingerprint_set_free(&full);
        fingerprint_set_free(&index);
        free(other);
        /* reopened: the filter is built from the stored sets */
        store_close(st);
        st = NULL;
        cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    }
    store_close(st);
}

/* Holds the filter's builder after its snapshot until released. */
struct build_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int entered, open;
};

static void gate_hook(void *arg)
{
    struct build_gate *g = arg;
    pthread_mutex_lock(&g->mu);
    g->entered++;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

/* Articles written while a rebuild runs are not in its snapshot: found
 * meanwhile (no filter), and still found once the new filter is in place. */
Test(store, writes_during_a_filter_rebuild_are_found_after_it)
{
    struct store *st = NULL;
    struct error err = {0};
    struct build_gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    struct store_options o = {.fingerprints = 1,
                              .filter_headroom = 100,
                              .filter_build_hook = gate_hook,
                              .filter_build_arg = &g};
    unsigned i = 0;
    int entered = 0;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    /* until a rebuild starts (and waits at the gate) */
    while (!entered && i < 2000) {
        char id[16], *body = words_text(i + 1, 400, "");
        snprintf(id, sizeof id, "a%u", i++);
        write_fp(st, id, body);
        free(body);
        pthread_mutex_lock(&g.mu);
        entered = g.entered;
        pthread_mutex_unlock(&g.mu);
    }
    cr_assert(entered, "no rebuild started in %u articles", i);
    /* written after the snapshot */
    for (unsigned k = 0; k < 5; k++) {
        char id[16], *body = words_text(50000 + k, 400, "");
        snprintf(id, sizeof id, "late%u", k);
        write_fp(st, id, body);
        free(body);
    }
    for (int phase = 0; phase < 2; phase++) {
        if (phase == 1) {
            uint64_t before = store_filter_rebuilds(st);
            pthread_mutex_lock(&g.mu);
            g.open = 1;
            pthread_cond_broadcast(&g.cv);
            pthread_mutex_unlock(&g.mu);
            for (int w = 0; w < 500 && store_filter_rebuilds(st) == before; w++)
                usleep(10000);
            cr_assert_gt(store_filter_rebuilds(st), before, "the rebuild did not finish");
        }
        for (unsigned k = 0; k < 5; k++) {
            char id[16], *copy = words_text(50000 + k, 400, " with a tail");
            snprintf(id, sizeof id, "late%u", k);
            cr_expect_geq(near_of(st, copy, id), 0.9, "%s: copy not found %s", id,
                          phase ? "after the rebuild" : "during it");
            free(copy);
        }
        char *copy = words_text(1, 400, " with a tail");
        cr_expect_geq(near_of(st, copy, "a0"), 0.9, "a0 (in the snapshot), phase %d", phase);
        free(copy);
    }
    store_close(st);
}

/* Runs one relevance search and copies its ids (in order) and scores. */
static size_t rank_page(struct store *st, struct store_search_query *q, char ids[][16],
                        double *scores)
{
    struct store_hits hits;
    struct error err = {0};
    size_t n;
    cr_assert_eq(store_search(st, q, &hits, &err), 0, "%s", err.msg);
    for (n = 0; n < hits.n; n++) {
        snprintf(ids[n], 16, "%s", hits.items[n].id);
        scores[n] = hits.items[n].score;
    }
    store_hits_free(&hits);
    return n;
}

/* Relevance with a filter few of many matches pass ranks those rows one by
 * one (walking the matches) instead of having FTS5 rank every match: the
 * same hits, order and scores as FTS5's own sorter. */
Test(store, selective_filters_rank_the_passing_rows_like_fts5)
{
    struct store *st = NULL;
    struct error err = {0};
    /* 48: an eighth (6) holds every passing row, so the window spans all */
    struct store_options few = {.rank_candidates = 48}, many = {.rank_candidates = 100000};
    struct store_op ops[200];
    struct store_batch b = {0};
    char got[2][20][16];
    double score[2][20];
    size_t n[2];

    cr_assert_eq(store_open(path, &few, &st, &err), 0, "%s", err.msg);
    memset(ops, 0, sizeof ops);
    for (int i = 0; i < 200; i++) {
        char id[16], body[160];
        snprintf(id, sizeof id, "s%03d", i);
        /* one to five storms, and a length that varies: distinct scores */
        snprintf(body, sizeof body, "%.*s and %.*s %d", 6 * (i % 5 + 1),
                 "storm storm storm storm storm ", (i * 7) % 40,
                 "words of filler text to vary the length.....", i);
        ops[i].kind = STORE_OP_CREATE;
        fill(&ops[i].article, id, body);
        ops[i].article.published_at = strdup("2023-11-14T22:13:20Z");
        ops[i].article.published_ts = 1700000000 + (int64_t)i * 3600;
        ops[i].article.source = strdup(i % 37 == 3 ? "" : "X");
    }
    b.ops = ops;
    b.nops = 200;
    cr_assert_eq(store_write(st, &b, &err), 0);
    for (int i = 0; i < 200; i++)
        article_clear(&ops[i].article);

    /* a 6-hour window, then an empty source (not a token of the index):
     * each against FTS5's sorter on the same file */
    for (int c = 0; c < 2; c++) {
        struct store_search_query q = {.match = "\"storm\"",
                                       .from = c == 0 ? 1700000000 + 50 * 3600 : INT64_MIN,
                                       .to = c == 0 ? 1700000000 + 56 * 3600 : INT64_MAX,
                                       .source = c == 0 ? NULL : "",
                                       .limit = 20,
                                       .want_total = 1};
        for (int k = 0; k < 2; k++) {
            if (k == 1) {
                store_close(st);
                cr_assert_eq(store_open(path, &many, &st, &err), 0, "%s", err.msg);
            }
            n[k] = rank_page(st, &q, got[k], score[k]);
        }
        cr_expect_eq(n[0], 6, "case %d: %zu and %zu hits", c, n[0], n[1]);
        cr_assert_eq(n[0], n[1], "case %d", c);
        for (size_t i = 0; i < n[0]; i++) {
            cr_expect_str_eq(got[0][i], got[1][i], "case %d, hit %zu", c, i);
            cr_expect_float_eq(score[0][i], score[1][i], 1e-9, "case %d, hit %zu", c, i);
        }
        store_close(st);
        cr_assert_eq(store_open(path, &few, &st, &err), 0, "%s", err.msg);
    }
    store_close(st);
}

/* ---- the change sequence and entity count deltas (issue 17) ------------ */

struct seq_log {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t got[4096]; /* change numbers in the order the writer reported commits */
    size_t n;
};

struct seq_wait {
    struct seq_log *log;
    int done;
};

static void seq_done(struct store_batch *b, void *arg)
{
    struct seq_wait *w = arg;
    pthread_mutex_lock(&w->log->mu);
    for (size_t i = 0; i < b->nops; i++)
        if (!b->ops[i].failed && w->log->n < 4096)
            w->log->got[w->log->n++] = b->ops[i].change_seq;
    w->done = 1;
    pthread_cond_broadcast(&w->log->cv);
    pthread_mutex_unlock(&w->log->mu);
}

struct seq_writer {
    struct store *st;
    struct seq_log *log;
    int thread;
};

/* Creates, replaces and deletes (and one create that conflicts) from one
 * thread, each a batch of its own, waiting for each commit. */
static void *seq_writer_main(void *p)
{
    struct seq_writer *w = p;
    for (int i = 0; i < 60; i++) {
        char id[32], body[64];
        struct store_op op = {0};
        struct store_batch b = {0};
        struct seq_wait wait = {w->log, 0};
        struct error err = {0};
        snprintf(id, sizeof id, "s%d-%d", w->thread, i % 20);
        snprintf(body, sizeof body, "thread %d write %d", w->thread, i);
        /* 0-19 create, 20-39 replace, 40-59 delete, but 45 creates its id
         * again instead (it exists: refused, and the article stays) */
        op.kind = i < 20 || i == 45 ? STORE_OP_CREATE : i < 40 ? STORE_OP_PUT : STORE_OP_DELETE;
        if (op.kind == STORE_OP_DELETE)
            op.article.id = strdup(id);
        else
            fill(&op.article, id, body);
        b.ops = &op;
        b.nops = 1;
        b.done = seq_done;
        b.arg = &wait;
        cr_assert_eq(store_submit(w->st, &b, &err), 0);
        pthread_mutex_lock(&w->log->mu);
        while (!wait.done)
            pthread_cond_wait(&w->log->cv, &w->log->mu);
        pthread_mutex_unlock(&w->log->mu);
        if (i == 45)
            cr_expect(op.failed && op.change_seq == 0, "a refused op takes no number");
        else
            cr_expect(!op.failed, "op %d of thread %d failed: %s", i, w->thread, op.err.msg);
        article_clear(&op.article);
    }
    return NULL;
}

static int64_t sql_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int64_t v = -1;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void sql_exec(const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* Every committed write takes the next number in commit order, from many
 * threads at once; refused ops take none; deletes leave tombstones; the
 * sequence goes on after a restart. */
Test(store, change_sequence_follows_commit_order)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {0};
    struct seq_log log = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    struct seq_writer w[6];
    pthread_t t[6];
    struct store_op op;
    int64_t head;

    cr_assert_eq(store_open(path, &o, &st, &err), 0);
    for (int i = 0; i < 6; i++) {
        w[i] = (struct seq_writer){st, &log, i};
        pthread_create(&t[i], NULL, seq_writer_main, &w[i]);
    }
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    /* 59 committed writes per thread, numbered upwards in the order
     * commits were reported (each commit's stories take the numbers after
     * its ops': store_story_log_flush) */
    cr_assert_eq(log.n, 6 * 59);
    cr_assert_gt(log.got[0], 0);
    for (size_t i = 1; i < log.n; i++)
        cr_assert_gt(log.got[i], log.got[i - 1], "commit %zu got number %lld after %lld", i,
                     (long long)log.got[i], (long long)log.got[i - 1]);
    store_close(st);

    cr_expect_eq(sql_int("SELECT count(*) FROM tombstones"), 6 * 19);
    cr_expect_eq(sql_int("SELECT count(*) FROM articles"), 6);
    cr_expect_eq(sql_int("SELECT count(DISTINCT change_seq) FROM articles"), 6);
    cr_expect_eq(sql_int("SELECT max(change_seq) FROM tombstones"), log.got[log.n - 1],
                 "every thread's last write is a delete");
    head = sql_int("SELECT max((SELECT max(change_seq) FROM tombstones),"
                   " (SELECT max(change_seq) FROM story_log))");
    cr_expect_gt(head, log.got[log.n - 1], "the last delete's story came after it");

    /* after a restart the sequence goes on */
    cr_assert_eq(store_open(path, &o, &st, &err), 0);
    cr_assert_eq(write_one(st, STORE_OP_CREATE, "after", "after the restart", &op), 0);
    cr_expect(!op.failed);
    cr_expect_eq(op.change_seq, head + 1);
    article_clear(&op.article);
    store_close(st);
}

/* Tombstones older than the retention go; the highest pruned number is kept,
 * so numbers never go back even when nothing else remains. */
Test(store, tombstones_pruned_and_numbers_never_reused)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {.tombstone_days = 1};
    struct store_op op;

    cr_assert_eq(store_open(path, &o, &st, &err), 0);
    cr_assert_eq(write_one(st, STORE_OP_CREATE, "a", "alpha text", &op), 0);
    cr_expect_eq(op.change_seq, 1);
    article_clear(&op.article);
    /* 2 was its story's number, 4 the story's going */
    cr_assert_eq(write_one(st, STORE_OP_DELETE, "a", NULL, &op), 0);
    cr_expect_eq(op.change_seq, 3);
    article_clear(&op.article);
    store_close(st);
    cr_expect_eq(sql_int("SELECT count(*) FROM tombstones"), 1);
    cr_expect_eq(sql_int("SELECT change_seq FROM story_log WHERE kind = 512"), 4);

    /* two days later: the first commit after the start prunes it and the
     * deleted story, even a commit whose only op was refused */
    sql_exec("UPDATE tombstones SET deleted_at = deleted_at - 2 * 86400;"
             "UPDATE story_log SET at = at - 2 * 86400");
    cr_assert_eq(store_open(path, &o, &st, &err), 0);
    cr_assert_eq(write_one(st, STORE_OP_DELETE, "absent", NULL, &op), 0);
    cr_expect(op.failed && op.err.code == ERR_NOT_FOUND);
    article_clear(&op.article);
    store_close(st);
    cr_expect_eq(sql_int("SELECT count(*) FROM tombstones"), 0);
    cr_expect_eq(sql_int("SELECT count(*) FROM story_log"), 0);
    cr_expect_eq(sql_int("SELECT value FROM meta WHERE name = 'change_floor'"), 4);

    /* nothing stored, nothing tombstoned: the next number is still 5 */
    cr_assert_eq(store_open(path, &o, &st, &err), 0);
    cr_assert_eq(write_one(st, STORE_OP_CREATE, "b", "beta text", &op), 0);
    cr_expect_eq(op.change_seq, 5);
    article_clear(&op.article);
    store_close(st);
}

/* Two entities ("person:ada", "person:bob") with given mention counts. */
static void two_entities(struct store_op *op, int with_ada, int with_bob)
{
    static struct store_entity ada = {.id = "person:ada", .key = "p:ada", .name = "Ada",
                                      .name_fold = "ada", .type = "person", .mentions = 2};
    static struct store_entity bob = {.id = "person:bob", .key = "p:bob", .name = "Bob",
                                      .name_fold = "bob", .type = "person", .mentions = 1};
    op->ents.entities = calloc(2, sizeof *op->ents.entities);
    cr_assert_not_null(op->ents.entities);
    if (with_ada)
        op->ents.entities[op->ents.n++] = ada;
    if (with_bob)
        op->ents.entities[op->ents.n++] = bob;
    op->ents.owner = op;
}

static long long entity_articles(struct store *st, const char *id)
{
    struct store_entity_row row;
    struct error err = {0};
    long long n;
    if (store_entity_get(st, id, &row, &err) != 0)
        return err.code == ERR_NOT_FOUND ? 0 : -1;
    n = row.articles;
    store_entity_row_clear(&row);
    return n;
}

/* The first entity of the unwindowed list. */
static void entity_top(struct store *st, char *out, size_t size, long long *articles)
{
    struct store_entity_query q = {.from = INT64_MIN, .to = INT64_MAX, .limit = 1};
    struct store_entity_rows rows;
    struct error err = {0};
    cr_assert_eq(store_entity_list(st, &q, &rows, &err), 0, "%s", err.msg);
    cr_assert_geq(rows.n, 1);
    snprintf(out, size, "%s", rows.items[0].id);
    *articles = rows.items[0].articles;
    store_entity_rows_free(&rows);
}

/* Counts read exact whether their deltas are folded or not: before, across
 * and after folds, under replaces and deletes; the count-ordered list
 * follows counts that moved since the last fold. */
Test(store, entity_counts_exact_before_and_after_folds)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {.entity_fold_rows = 5};
    long long want_ada = 0, want_bob = 0, top_n;
    char top[64];

    cr_assert_eq(store_open(path, &o, &st, &err), 0);
    for (int i = 0; i < 40; i++) {
        struct store_op op = {0};
        struct store_batch b = {0};
        char id[16], body[64];
        /* ids 0..19 written, then 0..9 replaced (ada dropped from even
         * ones), then 10..19 deleted */
        snprintf(id, sizeof id, "e%d", i % 20);
        snprintf(body, sizeof body, "entity article %d", i);
        if (i < 30) {
            int ada = i < 20 ? 1 : (i % 2), bob = i < 20 ? i < 6 : 1;
            op.kind = STORE_OP_PUT;
            fill(&op.article, id, body);
            two_entities(&op, ada, bob);
            if (i >= 20) { /* replaced: the old links go */
                want_ada -= 1;
                want_bob -= (i % 20) < 6;
            }
            want_ada += ada;
            want_bob += bob;
        } else {
            op.kind = STORE_OP_DELETE;
            op.article.id = strdup(id);
            want_ada -= 1;
            want_bob -= 0; /* 10..19 had bob only if < 6: none */
        }
        b.ops = &op;
        b.nops = 1;
        cr_assert_eq(store_write(st, &b, &err), 0);
        cr_assert(!op.failed, "%s", op.err.msg);
        free(op.ents.entities);
        article_clear(&op.article);
        cr_assert_eq(entity_articles(st, "person:ada"), want_ada, "after write %d", i);
        cr_assert_eq(entity_articles(st, "person:bob"), want_bob, "after write %d", i);
        entity_top(st, top, sizeof top, &top_n);
        cr_assert_eq(top_n, want_ada > want_bob ? want_ada : want_bob, "after write %d", i);
        cr_assert_str_eq(top, want_ada >= want_bob ? "person:ada" : "person:bob",
                         "after write %d", i);
        if (i == 25) {
            store_close(st); /* the deltas survive a restart as they are */
            cr_assert_eq(store_open(path, &o, &st, &err), 0);
        }
    }
    store_close(st);
    /* folds happened: fewer rows left than were appended */
    cr_expect_lt(sql_int("SELECT count(*) FROM entity_deltas"), 5);
    cr_expect_eq(sql_int("SELECT articles + coalesce((SELECT sum(articles) FROM entity_deltas"
                         " d WHERE d.eid = e.eid), 0) FROM entities e WHERE id = 'person:ada'"),
                 want_ada);
}

/* A child process writes (creates, replaces, deletes, with entities; folds
 * every few commits) and reports each acknowledged write on a pipe; it is
 * killed with SIGKILL mid-stream. Whatever it acknowledged is there, with
 * its change number; numbers are distinct; entity counts (stored plus
 * unfolded deltas) equal the links actually stored. */
Test(store, change_numbers_and_entity_counts_survive_kill_9)
{
    int fd[2];
    pid_t pid;
    struct ack {
        int64_t change_seq;
        int kind, i;
    } acks[4000];
    size_t nacks = 0;

    cr_assert_eq(pipe(fd), 0);
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct store *st = NULL;
        struct error err = {0};
        struct store_options o = {.entity_fold_rows = 7};
        close(fd[0]);
        if (store_open(path, &o, &st, &err) != 0)
            _exit(2);
        for (int i = 0;; i++) {
            struct store_op op = {0};
            struct store_batch b = {0};
            struct ack a;
            char id[16], body[64];
            snprintf(id, sizeof id, "k%d", i % 50);
            snprintf(body, sizeof body, "kill test article %d", i);
            op.kind = i % 7 == 6 ? STORE_OP_DELETE : STORE_OP_PUT;
            if (op.kind == STORE_OP_DELETE) {
                op.article.id = strdup(id);
            } else {
                fill(&op.article, id, body);
                two_entities(&op, 1, i % 3 == 0);
            }
            b.ops = &op;
            b.nops = 1;
            if (store_write(st, &b, &err) != 0)
                _exit(3);
            a = (struct ack){op.failed ? 0 : op.change_seq, op.kind, i};
            free(op.ents.entities);
            article_clear(&op.article);
            if (write(fd[1], &a, sizeof a) != (ssize_t)sizeof a)
                _exit(4);
        }
    }
    close(fd[1]);
    while (nacks < 300) {
        ssize_t n = read(fd[0], &acks[nacks], sizeof acks[0]);
        cr_assert_eq(n, (ssize_t)sizeof acks[0]);
        nacks++;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fd[0]);

    /* every acknowledged write is there, or was overtaken by a later one */
    for (size_t i = 0; i < nacks; i++) {
        char sql[256];
        if (acks[i].change_seq == 0)
            continue; /* a delete of an id already deleted */
        snprintf(sql, sizeof sql,
                 "SELECT (SELECT count(*) FROM articles WHERE change_seq >= %lld AND id = 'k%d')"
                 " + (SELECT count(*) FROM tombstones WHERE change_seq >= %lld AND id = 'k%d')",
                 (long long)acks[i].change_seq, acks[i].i % 50, (long long)acks[i].change_seq,
                 acks[i].i % 50);
        cr_expect_geq(sql_int(sql), 1, "write %d (change %lld) lost", acks[i].i,
                      (long long)acks[i].change_seq);
    }
    cr_expect_eq(sql_int("SELECT count(*) - count(DISTINCT change_seq) FROM"
                         " (SELECT change_seq FROM articles UNION ALL"
                         "  SELECT change_seq FROM tombstones)"),
                 0);
    /* counts: stored + unfolded deltas = links */
    cr_expect_eq(sql_int("SELECT count(*) FROM entities e WHERE e.articles"
                         " + coalesce((SELECT sum(articles) FROM entity_deltas d"
                         "   WHERE d.eid = e.eid), 0) <> (SELECT count(*) FROM article_ents ae,"
                         "   json_each(ae.ents) j WHERE json_extract(j.value, '$[0]') = e.eid)"),
                 0);
    cr_expect_gt(sql_int("SELECT count(*) FROM article_ents"), 0);
}
