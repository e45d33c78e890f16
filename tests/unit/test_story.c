/* Unit tests for analysis/story (signatures, vectors, similarity, centroids,
 * the join rule) and for assignment in the store: the same articles in the
 * same order give the same stories however the writer groups its commits. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dedupe.h"
#include "analysis/story.h"
#include "store/store.h"

#include <sqlite3.h>

/* The unit vector of a text as an empty store would weigh it. */
static struct story_vec vec_of(const char *title, const char *body)
{
    struct story_vec sig, v;
    int64_t *df;
    cr_assert_eq(story_sig_compute(title, body, body ? strlen(body) : 0, NULL, 0, &sig), 0);
    df = calloc(sig.n + 1, sizeof *df);
    cr_assert_eq(story_vec_make(&sig, df, 0, &v), 0);
    free(df);
    story_vec_free(&sig);
    return v;
}

static int has_feature(const struct story_vec *v, const struct story_vec *other)
{
    for (size_t i = 0; i < v->n; i++)
        for (size_t j = 0; j < other->n; j++)
            if (v->f[i].h == other->f[j].h)
                return 1;
    return 0;
}

Test(story, stop_words_and_plurals)
{
    struct story_vec a = vec_of("The recalls of the cars", NULL);
    struct story_vec b = vec_of("Recall car", NULL);
    struct story_vec c = vec_of("the of and to", NULL);
    cr_expect_eq(a.n, 2, "recall, car: %zu", a.n);
    cr_expect_gt(story_similarity(&a, &b), 0.99);
    cr_expect_eq(c.n, 0, "only stop words: no features");
    story_vec_free(&a);
    story_vec_free(&b);
    story_vec_free(&c);
}

Test(story, title_weighs_above_body)
{
    struct story_vec sig;
    cr_assert_eq(story_sig_compute("Volcano", "glacier melts near the volcano glacier", 38, NULL, 0,
                                   &sig),
                 0);
    /* heaviest first: volcano (title 2 + body 1) above glacier (1 + ln 2) */
    cr_assert_geq(sig.n, 3);
    cr_expect_gt(sig.f[0].w, sig.f[1].w);
    cr_expect_float_eq(sig.f[0].w, STORY_TITLE_WEIGHT + 1.0f, 1e-5);
    cr_expect_float_eq(sig.f[1].w, 1.0f + logf(2.0f), 1e-5);
    story_vec_free(&sig);
}

Test(story, people_weigh_above_places)
{
    struct story_entity_in ents[] = {{"rubio marco", "person", 1}, {"france", "location", 1}};
    struct story_vec sig;
    cr_assert_eq(story_sig_compute(NULL, NULL, 0, ents, 2, &sig), 0);
    cr_assert_eq(sig.n, 2);
    cr_expect_gt(sig.f[0].w, 2 * sig.f[1].w, "person first, and well above the place");
    story_vec_free(&sig);
}

Test(story, similarity_orders_related_above_unrelated)
{
    struct story_vec a = vec_of("Chiquita to acquire Fyffes, creating biggest banana supplier",
                                NULL);
    struct story_vec b = vec_of("Chiquita and Fyffes merge to form top banana company", NULL);
    struct story_vec c = vec_of("Apple releases iOS 7.1 update with CarPlay", NULL);
    double ab = story_similarity(&a, &b), ac = story_similarity(&a, &c);
    cr_expect_gt(ab, 0.3, "%f", ab);
    cr_expect_eq(ac, 0.0, "%f", ac);
    cr_expect_float_eq(story_similarity(&a, &a), 1.0, 1e-6);
    cr_expect_float_eq(ab, story_similarity(&b, &a), 1e-9, "cosine is symmetric");
    story_vec_free(&a);
    story_vec_free(&b);
    story_vec_free(&c);
}

Test(story, rarity_lowers_common_words)
{
    struct story_vec sig, v;
    int64_t df[8] = {0};
    cr_assert_eq(story_sig_compute("banana merger", NULL, 0, NULL, 0, &sig), 0);
    cr_assert_eq(sig.n, 2);
    df[0] = 500; /* the first feature is in half the store */
    cr_assert_eq(story_vec_make(&sig, df, 1000, &v), 0);
    cr_assert_eq(v.n, 2);
    for (size_t i = 0; i < v.n; i++)
        if (v.f[i].h == sig.f[0].h)
            cr_expect_lt(v.f[i].w, 0.5, "the common word weighs less than the rare one");
    cr_expect_leq(story_idf(0, 1000000), STORY_IDF_CAP);
    cr_expect_gt(story_idf(10, 1000), story_idf(500, 1000));
    story_vec_free(&sig);
    story_vec_free(&v);
}

Test(story, centroid_update_is_bounded_and_sorted)
{
    struct story_vec c = {0};
    char title[64];
    for (int i = 0; i < 40; i++) {
        struct story_vec a;
        snprintf(title, sizeof title, "banana w%da w%db w%dc", i, i, i);
        a = vec_of(title, NULL);
        cr_assert_eq(story_centroid_add(&c, &a), 0);
        story_vec_free(&a);
        cr_assert_leq(c.n, STORY_CENTROID_MAX);
        for (size_t k = 1; k < c.n; k++)
            cr_assert_lt(c.f[k - 1].h, c.f[k].h, "sorted by hash, no repeats");
    }
    /* the word every member shares is the centroid's heaviest */
    {
        struct story_vec banana = vec_of("banana", NULL);
        size_t top;
        float max = 0;
        cr_assert(has_feature(&c, &banana));
        cr_assert_eq(story_probe_order(&c, &top, 1), 1);
        for (size_t k = 0; k < c.n; k++)
            max = c.f[k].w > max ? c.f[k].w : max;
        cr_expect_eq(c.f[top].h, banana.f[0].h);
        cr_expect_float_eq(c.f[top].w, max, 1e-6);
        story_vec_free(&banana);
    }
    /* bytes and back */
    {
        size_t len;
        unsigned char *b = story_centroid_encode(&c, &len);
        struct story_vec d;
        cr_assert_not_null(b);
        cr_assert_eq(story_centroid_decode(b, len, &d), 0);
        cr_assert_eq(d.n, c.n);
        cr_expect_eq(memcmp(d.f, c.f, c.n * sizeof *c.f), 0);
        story_vec_free(&d);
        cr_expect_eq(story_centroid_decode(b, len - 1, &d), -1);
        cr_expect_null(d.f, "a refused decode holds nothing");
        free(b);
    }
    story_vec_free(&c);
}

Test(story, join_rule_and_time)
{
    double scores[] = {0.2, 0.5, 0.5, 0.9};
    int64_t ids[] = {1, 9, 4, 7};
    cr_expect_eq(story_pick(scores, ids, 4, 0.3), 3);
    cr_expect_eq(story_pick(scores, ids, 3, 0.3), 2, "a tie goes to the lower id");
    cr_expect_eq(story_pick(scores, ids, 4, 0.95), -1);
    cr_expect_eq(story_time_factor(100, 50, 150, 1000), 1.0);
    cr_expect_float_eq(story_time_factor(1150, 50, 150, 1000), 0.75, 1e-9);
    cr_expect_eq(story_time_factor(1151, 50, 150, 1000), 0.0);
    cr_expect_eq(story_time_factor(-951, 50, 150, 1000), 0.0);
    cr_expect_float_eq(story_threshold(3, 0.4), 0.4 * STORY_SHORT_SHARE, 1e-9);
    cr_expect_float_eq(story_threshold(100, 0.4), 0.4, 1e-9);
    cr_expect_lt(story_threshold(20, 0.4), 0.4);
    cr_expect_gt(story_threshold(20, 0.4), 0.4 * STORY_SHORT_SHARE);
}

Test(story, bare_numbers_are_not_features)
{
    struct story_vec a, b;
    const char *t1 = "Shr 77 cts vs 84 cts Net 17 mln vs 19 mln 1987";
    const char *t2 = "Shr cts vs cts Net mln vs mln";
    cr_assert_eq(story_sig_compute(NULL, t1, strlen(t1), NULL, 0, &a), 0);
    cr_assert_eq(story_sig_compute(NULL, t2, strlen(t2), NULL, 0, &b), 0);
    cr_assert_eq(a.n, b.n, "numbers dropped: %zu vs %zu features", a.n, b.n);
    cr_expect_eq(memcmp(a.f, b.f, a.n * sizeof *a.f), 0);
    story_vec_free(&a);
    story_vec_free(&b);
    /* a word with digits in it stays ("1st", "g7", "737-200" in pieces) */
    cr_assert_eq(story_sig_compute("G7 meets", NULL, 0, NULL, 0, &a), 0);
    cr_expect_eq(a.n, 2);
    story_vec_free(&a);
}

Test(story, anchors_are_the_rare_features)
{
    struct story_vec sig, c = {0};
    int64_t df[4], out[4];
    size_t n;
    cr_assert_eq(story_sig_compute("alpha beta gamma delta", NULL, 0, NULL, 0, &sig), 0);
    cr_assert_eq(sig.n, 4);
    /* a young store: up to STORY_ANCHOR_DF stories is rare */
    for (size_t i = 0; i < 4; i++)
        df[i] = (int64_t)i + 1;
    n = story_anchors(&sig, df, 5, out);
    cr_expect_eq(n, STORY_ANCHOR_DF, "df 1 and 2 of 5 stories: %zu anchors", n);
    for (size_t i = 1; i < n; i++)
        cr_expect_lt(out[i - 1], out[i], "sorted");
    /* a grown store: one story in STORY_ANCHOR_SHARE or fewer */
    df[0] = 100;
    df[1] = 101;
    df[2] = 3;
    df[3] = 1000;
    n = story_anchors(&sig, df, 700, out);
    cr_expect_eq(n, 2, "100 and 3 of 700 are rare, 101 and 1000 are not: %zu", n);
    /* shared with a centroid */
    c.f = calloc(2, sizeof *c.f);
    c.n = 2;
    c.f[0].h = out[0];     /* an anchor */
    c.f[1].h = out[1] + 1; /* not one (out holds two, sorted) */
    cr_expect_eq(story_anchors_shared(&c, out, n), 1);
    cr_expect_eq(story_anchors_shared(&c, out, 0), 0);
    story_vec_free(&c);
    story_vec_free(&sig);
}

Test(story, signature_is_deterministic)
{
    const char *body = "Chiquita Brands agreed to buy Irish fruit company Fyffes in a deal that "
                       "creates the largest banana supplier in the world, the companies said.";
    for (int i = 0; i < 3; i++) {
        struct story_vec a, b;
        cr_assert_eq(story_sig_compute("Chiquita buys Fyffes", body, strlen(body), NULL, 0, &a), 0);
        cr_assert_eq(story_sig_compute("Chiquita buys Fyffes", body, strlen(body), NULL, 0, &b), 0);
        cr_assert_eq(a.n, b.n);
        cr_expect_eq(memcmp(a.f, b.f, a.n * sizeof *a.f), 0);
        story_vec_free(&a);
        story_vec_free(&b);
    }
}

/* ---- in the store: the same order gives the same stories ----------------- */

static const char *const headlines[] = {
    "Chiquita to acquire Fyffes, creating biggest banana supplier",
    "Apple releases iOS 7.1 with CarPlay and Siri fixes",
    "Chiquita and Fyffes merge to form top banana company",
    "Mt. Gox files for US bankruptcy protection",
    "iOS 7.1 update: Apple fixes Siri, adds CarPlay",
    "Bitcoin exchange Mt. Gox seeks bankruptcy relief in US",
    "Fyffes shareholders back Chiquita banana deal",
    "Apple iOS 7.1 arrives with CarPlay",
};
#define NHEAD (sizeof headlines / sizeof headlines[0])

/* Stores the headlines in batches of `per` ops; fills stories[i]. */
static void store_all(const char *path, size_t per, int64_t *stories)
{
    struct store_options so = {0};
    struct store *st = NULL;
    struct error err = {0};
    struct store_op ops[NHEAD];

    cr_assert_eq(store_open(path, &so, &st, &err), 0, "%s", err.msg);
    memset(ops, 0, sizeof ops);
    for (size_t i = 0; i < NHEAD; i++) {
        struct article *a = &ops[i].article;
        char id[16];
        snprintf(id, sizeof id, "h-%zu", i);
        ops[i].kind = STORE_OP_CREATE;
        a->id = strdup(id);
        a->title = strdup(headlines[i]);
        a->body = strdup(headlines[i]);
        a->body_len = strlen(a->body);
        a->published_at = strdup("2014-03-10T12:00:00Z");
        a->published_ts = 1394452800 + (int64_t)i * 60;
        cr_assert_eq(dedupe_sets(a->body, a->body_len, NULL, NULL, a->content_hash), 0);
        cr_assert_eq(story_sig_compute(a->title, a->body, a->body_len, NULL, 0,
                                       &ops[i].story_sig),
                     0);
    }
    for (size_t i = 0; i < NHEAD; i += per) {
        struct store_batch b = {0};
        b.ops = &ops[i];
        b.nops = i + per <= NHEAD ? per : NHEAD - i;
        cr_assert_eq(store_write(st, &b, &err), 0, "%s", err.msg);
    }
    for (size_t i = 0; i < NHEAD; i++) {
        cr_assert_eq(ops[i].failed, 0, "%s", ops[i].err.msg);
        stories[i] = ops[i].story;
        {
            struct article got;
            cr_assert_eq(store_article_get(st, ops[i].article.id, &got, &err), 0);
            cr_expect_eq(got.story, ops[i].story, "the article carries its story");
            article_clear(&got);
        }
        article_clear(&ops[i].article);
        story_vec_free(&ops[i].story_sig);
    }
    store_close(st);
}

Test(story, same_order_same_stories_whatever_the_commits)
{
    char dir[] = "/tmp/stories-unit-XXXXXX", p1[96], p2[96], cmd[128];
    int64_t one[NHEAD], all[NHEAD];

    cr_assert_not_null(mkdtemp(dir));
    snprintf(p1, sizeof p1, "%s/a.db", dir);
    snprintf(p2, sizeof p2, "%s/b.db", dir);
    store_all(p1, 1, one);
    store_all(p2, NHEAD, all);
    for (size_t i = 0; i < NHEAD; i++)
        cr_expect_eq(one[i], all[i], "article %zu: story %lld vs %lld", i, (long long)one[i],
                     (long long)all[i]);
    /* and the grouping is the event's */
    cr_expect_eq(one[0], one[2]);
    cr_expect_eq(one[0], one[6]);
    cr_expect_eq(one[1], one[4]);
    cr_expect_eq(one[1], one[7]);
    cr_expect_eq(one[3], one[5]);
    cr_expect_neq(one[0], one[1]);
    cr_expect_neq(one[0], one[3]);
    cr_expect_neq(one[1], one[3]);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

/* story_df's count for the one feature of a one-word title (0: the total). */
static int64_t df_of(sqlite3 *db, const char *word)
{
    struct story_vec sig = {0};
    sqlite3_stmt *s;
    int64_t n = -1, h = 0;
    if (word != NULL) {
        cr_assert_eq(story_sig_compute(word, NULL, 0, NULL, 0, &sig), 0);
        cr_assert_eq(sig.n, 1);
        h = sig.f[0].h;
        story_vec_free(&sig);
    }
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT n FROM story_df WHERE h = ?1", -1, &s, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(s, 1, h);
    n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    return n;
}

Test(story, rarity_is_counted_by_story)
{
    char dir[] = "/tmp/stories-unit-XXXXXX", p1[96], cmd[128];
    int64_t st[NHEAD];
    sqlite3 *db;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(p1, sizeof p1, "%s/a.db", dir);
    store_all(p1, 1, st);
    cr_assert_eq(st[0], st[6], "the banana story has three reports");
    cr_assert_eq(sqlite3_open_v2(p1, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    /* three stories (banana, iOS, Mt. Gox) from eight articles */
    cr_expect_eq(df_of(db, NULL), 3);
    /* "chiquita" is in three articles of one story: counted once */
    cr_expect_eq(df_of(db, "chiquita"), 1);
    cr_expect_eq(df_of(db, "carplay"), 1);
    sqlite3_close(db);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}
