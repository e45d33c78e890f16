/* Unit tests for analysis/dedupe: scores and their symmetry, the candidate pick, ranking, the
 * group rules (stored and inside one request), the in-request batch map, and the start-up
 * backfill (handlers/backfill.c) filling in fingerprints of articles stored without them.
 * Texts are made up here from a fixed syllable list. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/dedupe.h"
#include "pipeline/backfill.h"
#include "pipeline/near.h"
#include "store/store.h"

/* n made-up words from seed, then tail: different seeds share no 5-word run. */
static char *words(unsigned seed, unsigned n, const char *tail)
{
    static const char *const syll[] = {"ka", "lo", "mi", "ne", "pu", "ra", "si", "to", "vu", "ze"};
    size_t cap = (size_t)n * 8 + strlen(tail) + 1, len = 0;
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

struct text {
    struct fingerprint_set full, index;
    char hash[65];
};

static void text_of(const char *body, struct text *t)
{
    memset(t, 0, sizeof *t);
    cr_assert_eq(dedupe_sets(body, strlen(body), &t->full, &t->index, t->hash), 0);
}

static void text_free(struct text *t)
{
    fingerprint_set_free(&t->full);
    fingerprint_set_free(&t->index);
}

Test(dedupe, one_normalisation_gives_hash_and_both_sets)
{
    struct text a, b;
    char hash_only[65];
    text_of("The Minister said: \"It is 5 per cent.\"", &a);
    text_of("the minister said it is 5 percent", &b);
    cr_expect_str_eq(a.hash, b.hash, "case, quotes and 'per cent' do not change the hash");
    cr_expect_gt(a.full.n, 0);
    cr_expect_gt(a.index.n, 0);
    cr_assert_eq(dedupe_sets("the minister said it is 5 percent", 33, NULL, NULL, hash_only), 0);
    cr_expect_str_eq(hash_only, b.hash, "the hash alone is the same hash");
    text_free(&a);
    text_free(&b);
}

Test(dedupe, containment_is_symmetric_and_resemblance_is_jaccard)
{
    char *base = words(1, 300, ""), *glued = words(1, 300, " "), *other = words(2, 300, "");
    char *longer;
    struct text a, b, c;
    double c_ab, r_ab, c_ba, r_ba, c_ac, r_ac;

    longer = malloc(strlen(glued) + strlen(other) + 1);
    cr_assert_not_null(longer);
    strcpy(longer, glued);
    strcat(longer, other); /* the base with another story glued under it */
    text_of(base, &a);
    text_of(longer, &b);
    text_of(other, &c);
    dedupe_score(&a.full, &b.full, &c_ab, &r_ab);
    dedupe_score(&b.full, &a.full, &c_ba, &r_ba);
    cr_expect_float_eq(c_ab, c_ba, 1e-12);
    cr_expect_float_eq(r_ab, r_ba, 1e-12);
    cr_expect_geq(c_ab, 0.99, "the base is contained in the glued text: %f", c_ab);
    cr_expect_lt(r_ab, 0.6, "but resembles it only by half: %f", r_ab);
    dedupe_score(&a.full, &c.full, &c_ac, &r_ac);
    cr_expect_lt(c_ac, 0.05, "unrelated texts: %f", c_ac);
    struct fingerprint_set empty = {0};
    dedupe_score(&a.full, &empty, &c_ac, &r_ac);
    cr_expect_eq(c_ac, 0.0);
    cr_expect_eq(r_ac, 0.0);
    text_free(&a);
    text_free(&b);
    text_free(&c);
    free(base);
    free(glued);
    free(other);
    free(longer);
}

Test(dedupe, candidates_ranked_by_hits_capped_and_filtered_by_estimate)
{
    struct text q;
    char *body = words(3, 400, "");
    size_t n = DEDUPE_CANDIDATES + 50, kept;
    struct dedupe_candidate *c = calloc(n, sizeof *c);

    cr_assert_not_null(c);
    text_of(body, &q);
    for (size_t i = 0; i < n; i++)
        c[i] = (struct dedupe_candidate){.seq = (int64_t)(i + 1), .hits = i % 7 + 1};
    /* a sized candidate sharing one token of a long text is not worth reading */
    c[0] = (struct dedupe_candidate){
        .seq = 9000, .hits = 80, .sized = 1, .n_all = 400, .n_index = q.index.n};
    c[1] = (struct dedupe_candidate){
        .seq = 9001, .hits = 1, .sized = 1, .n_all = 400, .n_index = q.index.n};
    cr_expect_gt(dedupe_estimate(&c[0], 1.0, &q.full, &q.index),
                 dedupe_estimate(&c[1], 1.0, &q.full, &q.index));
    kept = dedupe_candidates_pick(c, n, 1.0, &q.full, &q.index, 0.5);
    cr_expect_leq(kept, DEDUPE_CANDIDATES);
    cr_expect_eq(c[0].seq, 9000, "most hits first");
    for (size_t i = 1; i < kept; i++) {
        cr_expect_neq(c[i].seq, 9001, "the one-token candidate was dropped");
        cr_expect(c[i - 1].hits > c[i].hits ||
                      (c[i - 1].hits == c[i].hits && c[i - 1].seq < c[i].seq),
                  "order at %zu", i);
    }
    text_free(&q);
    free(body);
    free(c);
}

static void add(struct dedupe_near_list *l, const char *id, int64_t seq, int64_t grp, double c)
{
    cr_assert_eq(dedupe_near_add(l, id, seq, grp, 0, c, c), 0);
}

Test(dedupe, rank_and_stored_group_rule)
{
    struct dedupe_near_list l = {0};

    add(&l, "b", 7, 3, 0.75);
    add(&l, "c", 2, 2, 0.5);
    add(&l, "a", 5, 5, 0.9);
    add(&l, "d", 4, 4, 0.9);
    dedupe_rank(&l);
    cr_expect_str_eq(l.items[0].id, "d", "ties by seq");
    cr_expect_str_eq(l.items[1].id, "a");
    cr_expect_str_eq(l.items[2].id, "b");
    cr_expect_str_eq(l.items[3].id, "c");
    cr_expect_eq(dedupe_group(&l), 4, "the closest founder's group");
    cr_expect_float_eq(dedupe_containment_of(&l, 7), 0.75, 1e-12);
    cr_expect_eq(dedupe_containment_of(&l, 99), -1.0);
    cr_expect(dedupe_near_has(&l, "c"));
    cr_expect_not(dedupe_near_has(&l, "z"));
    dedupe_near_list_free(&l);

    /* close to a member (seq 7) of group 3 but not to its founder: no group */
    add(&l, "member", 7, 3, 0.95);
    add(&l, "founder", 3, 3, 0.4);
    dedupe_rank(&l);
    cr_expect_eq(dedupe_group(&l), 0);
    dedupe_near_list_free(&l);
    /* close to both: the group */
    add(&l, "member", 7, 3, 0.95);
    add(&l, "founder", 3, 3, 0.8);
    dedupe_rank(&l);
    cr_expect_eq(dedupe_group(&l), 3);
    dedupe_near_list_free(&l);
    /* a founder below the group threshold is only a near copy */
    add(&l, "founder", 3, 3, DEDUPE_GROUP_MIN_CONTAINMENT - 0.01);
    cr_expect_eq(dedupe_group(&l), 0);
    dedupe_near_list_free(&l);
    dedupe_near_list_free(&l); /* twice: emptied */
}

Test(dedupe, batch_join_rule)
{
    struct dedupe_near_list near = {0};
    int64_t grp = -1;
    struct dedupe_peer founder = {0};
    struct dedupe_peer committed = {.has_founder = 1, .founder_committed = 1, .founder_grp = 10};
    struct dedupe_peer in_flight = {.has_founder = 1, .founder_containment = 0.8};
    struct dedupe_peer far_flight = {.has_founder = 1, .founder_containment = 0.3};
    struct dedupe_peer stored = {.near_grp = 20};

    cr_expect_eq(dedupe_batch_join(&founder, &near, &grp), DEDUPE_JOIN_PEER);
    cr_expect_eq(dedupe_batch_join(&committed, &near, &grp), DEDUPE_JOIN_NONE,
                 "the store did not find the committed founder close");
    cr_expect_eq(dedupe_batch_join(&in_flight, &near, &grp), DEDUPE_JOIN_FOUNDER);
    cr_expect_eq(dedupe_batch_join(&far_flight, &near, &grp), DEDUPE_JOIN_NONE);
    cr_expect_eq(dedupe_batch_join(&stored, &near, &grp), DEDUPE_JOIN_NONE);
    add(&near, "f10", 10, 10, 0.9);
    add(&near, "f20", 20, 20, 0.75);
    cr_expect_eq(dedupe_batch_join(&committed, &near, &grp), DEDUPE_JOIN_GROUP);
    cr_expect_eq(grp, 10);
    cr_expect_eq(dedupe_batch_join(&stored, &near, &grp), DEDUPE_JOIN_GROUP);
    cr_expect_eq(grp, 20);
    dedupe_near_list_free(&near);
}

Test(dedupe, batch_map_finds_an_earlier_entry_in_flight)
{
    struct dedupe_batch *b = dedupe_batch_new();
    char *t0 = words(10, 200, ""), *t1 = words(11, 200, ""), *t2 = words(10, 200, " and more");
    struct text x0, x1, x2;

    cr_assert_not_null(b);
    text_of(t0, &x0);
    text_of(t1, &x1);
    text_of(t2, &x2);
    cr_expect_eq(dedupe_batch_best(b, &x2.index, 0), SIZE_MAX, "an empty map finds nothing");
    cr_assert_eq(dedupe_batch_put(b, 0, &x0.index, 0), 0);
    cr_assert_eq(dedupe_batch_put(b, 1, &x1.index, 0), 0);
    cr_expect_eq(dedupe_batch_best(b, &x2.index, 0), 0, "the copy finds its original");
    cr_expect_eq(dedupe_batch_best(b, &x1.index, 0), 1);
    cr_expect_eq(dedupe_batch_best(b, &x2.index, 1), SIZE_MAX,
                 "a committed entry is the store's to find");
    /* a later copy takes over the committed original's slots */
    cr_assert_eq(dedupe_batch_put(b, 2, &x2.index, 1), 0);
    cr_expect_eq(dedupe_batch_best(b, &x0.index, 1), 2);
    text_free(&x0);
    text_free(&x1);
    text_free(&x2);
    free(t0);
    free(t1);
    free(t2);
    dedupe_batch_free(b);
    dedupe_batch_free(NULL);
}

/* Articles stored without fingerprints (the feature off) get them from the
 * backfill: afterwards their copies are found, and nothing is left to do. */
Test(dedupe, backfill_fills_articles_stored_without_fingerprints)
{
    char path[] = "/tmp/dedupe-test-XXXXXX", db[64];
    struct store_options o = {.fingerprints = 1};
    struct store *st = NULL;
    struct error err = {0};
    struct store_op ops[3] = {{0}};
    struct store_batch batch = {.ops = ops, .nops = 3};
    struct store_backfill_row *rows = NULL;
    struct dedupe_near_list near = {0};
    struct text probe;
    char *bodies[3], *copy = words(21, 300, " glued on the end");
    size_t n = 0;

    cr_assert_not_null(mkdtemp(path));
    snprintf(db, sizeof db, "%s/a.db", path);
    cr_assert_eq(store_open(db, &o, &st, &err), 0, "%s", err.msg);
    for (int i = 0; i < 3; i++) {
        char id[8];
        bodies[i] = words(20 + (unsigned)i, 300, "");
        snprintf(id, sizeof id, "a%d", i);
        ops[i].kind = STORE_OP_PUT;
        ops[i].article.id = strdup(id);
        ops[i].article.title = strdup(id);
        ops[i].article.body = bodies[i];
        ops[i].article.body_len = strlen(bodies[i]);
        cr_assert_eq(
            dedupe_sets(bodies[i], strlen(bodies[i]), NULL, NULL, ops[i].article.content_hash), 0);
    }
    cr_assert_eq(store_write(st, &batch, &err), 0, "%s", err.msg);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(ops[i].failed, 0, "%s", ops[i].err.msg);

    text_of(copy, &probe);
    cr_assert_eq(near_find(st, &probe.full, &probe.index, NULL, NULL, 0.5, &near, &err), 0);
    cr_expect_eq(near.n, 0, "not fingerprinted yet");
    dedupe_near_list_free(&near);
    cr_assert_eq(store_backfill_next(st, STORE_BACKFILL_FINGERPRINTS, 0, 2, &rows, &n, &err), 0);
    cr_expect_eq(n, 2, "limit");
    store_backfill_rows_free(rows, n);
    cr_assert_eq(store_backfill_next(st, STORE_BACKFILL_FINGERPRINTS, 2, 10, &rows, &n, &err), 0);
    cr_expect_eq(n, 1, "after seq 2");
    cr_expect_eq(rows[0].seq, 3);
    cr_expect_str_eq(rows[0].body, bodies[2]);
    store_backfill_rows_free(rows, n);

    cr_assert_eq(backfill_run(st, 1, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(store_backfill_next(st, STORE_BACKFILL_FINGERPRINTS, 0, 10, &rows, &n, &err), 0);
    cr_expect_eq(n, 0, "nothing left to fingerprint");
    store_backfill_rows_free(rows, n);
    cr_assert_eq(near_find(st, &probe.full, &probe.index, NULL, NULL, 0.5, &near, &err), 0);
    cr_assert_eq(near.n, 1, "the backfilled original is found");
    cr_expect_str_eq(near.items[0].id, "a1");
    cr_expect_geq(near.items[0].containment, 0.99);
    dedupe_near_list_free(&near);
    cr_assert_eq(backfill_run(st, 1, NULL, NULL, &err), 0, "a second run has nothing to do");

    store_close(st);
    for (int i = 0; i < 3; i++)
        article_clear(&ops[i].article);
    text_free(&probe);
    free(copy);
    {
        char f[96];
        static const char *const suffix[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(f, sizeof f, "%s%s", db, suffix[i]);
            unlink(f);
        }
        rmdir(path);
    }
}

/* A read that fails half-way (here stopped by an expired read budget, as an
 * I/O error would stop it) is a failure of the backfill, not its end. */
Test(dedupe, backfill_reports_a_failed_read)
{
    char path[] = "/tmp/dedupe-test-XXXXXX", db[64];
    struct store_options o = {.fingerprints = 1};
    struct store *st = NULL;
    struct error err = {0};
    const size_t n = 400;
    struct store_op *ops = calloc(n, sizeof *ops);
    struct store_batch batch = {.ops = ops, .nops = n};
    struct store_backfill_row *rows = NULL;
    size_t got = 99;

    cr_assert_not_null(ops);
    cr_assert_not_null(mkdtemp(path));
    snprintf(db, sizeof db, "%s/a.db", path);
    cr_assert_eq(store_open(db, &o, &st, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "b%zu", i);
        ops[i].kind = STORE_OP_PUT;
        ops[i].article.id = strdup(id);
        ops[i].article.title = strdup(id);
        ops[i].article.body = words((unsigned)i + 100, 40, "");
        ops[i].article.body_len = strlen(ops[i].article.body);
        snprintf(ops[i].article.content_hash, sizeof ops[i].article.content_hash, "h%zu", i);
    }
    cr_assert_eq(store_write(st, &batch, &err), 0, "%s", err.msg);

    /* the deadline has passed: the statement stops at its first look at the clock */
    store_read_budget(1);
    usleep(20000);
    cr_expect_eq(
        store_backfill_next(st, STORE_BACKFILL_FINGERPRINTS, 0, (unsigned)n, &rows, &got, &err), -1,
        "a stopped read must not look like the end of the work");
    cr_expect_eq(got, 0);
    cr_expect_null(rows);
    cr_expect_neq(err.msg[0], '\0');
    error_clear(&err);
    cr_expect_eq(backfill_run(st, 1, NULL, NULL, &err), -1);
    cr_expect(strstr(err.msg, "reading the articles") != NULL, "%s", err.msg);
    store_read_budget(0);
    cr_assert_eq(backfill_run(st, 1, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(store_backfill_next(st, STORE_BACKFILL_FINGERPRINTS, 0, 10, &rows, &got, &err), 0);
    cr_expect_eq(got, 0, "done once the reads succeed");
    store_backfill_rows_free(rows, got);

    store_close(st);
    for (size_t i = 0; i < n; i++)
        article_clear(&ops[i].article);
    free(ops);
    {
        char f[96];
        static const char *const suffix[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(f, sizeof f, "%s%s", db, suffix[i]);
            unlink(f);
        }
        rmdir(path);
    }
}
