/* Unit tests for store/facets: rows set, replaced (in place and moved) and
 * killed count as they should; the window and source checks; ties and the
 * size bound; day, week and month buckets across month and year ends and
 * before 1970; unknown seqs; and counters racing the writer see whole rows. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "store/facets.h"

#define DAY 86400

static void set(struct facet_table *t, int64_t seq, int64_t ts, const char *source,
                const char *const *tags, size_t ntags, const int64_t *ents, size_t nents)
{
    struct facet_article a = {.ts = ts,
                              .source = source,
                              .language = "en",
                              .tags = tags,
                              .ntags = ntags,
                              .ents = ents,
                              .nents = nents,
                              .story = seq};
    cr_assert_eq(facet_table_set(t, seq, &a), 0);
}

/* kind's values over every live row, as "value=count value=count" */
static void top(struct facet_table *t, enum store_facet_kind kind, size_t size, int64_t from,
                int64_t to, char *out, size_t outsize)
{
    struct facet_count *c = facet_count_new(t, 1u << kind, from, to, NULL);
    struct facet_value *v;
    size_t n, len = 0;
    cr_assert_not_null(c);
    cr_assert_eq(facet_count_all(c), 0);
    cr_assert_eq(facet_count_top(c, kind, size, &v, &n), 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, outsize - len, "%s%s=%lld", i ? " " : "", v[i].value,
                                v[i].count);
    facet_values_free(v, n);
    facet_count_free(c);
}

Test(facets, set_replace_kill)
{
    struct facet_table *t = facet_table_new();
    const char *tags1[] = {"b", "a"}, *tags2[] = {"a", "c", "d"};
    const int64_t ents1[] = {7, 3}, ents2[] = {3};
    char buf[256];

    cr_assert_not_null(t);
    set(t, 1, 0, "AFP", tags1, 2, ents1, 2);
    set(t, 2, DAY, "AFP", tags2, 3, ents2, 1);
    set(t, 5, 2 * DAY, "Reuters", NULL, 0, NULL, 0);
    cr_expect_eq(facet_table_live(t), 3);
    top(t, STORE_FACET_SOURCE, 10, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "AFP=2 Reuters=1");
    top(t, STORE_FACET_TAG, 10, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "a=2 b=1 c=1 d=1");
    top(t, STORE_FACET_ENTITY, 10, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "3=2 7=1");
    top(t, STORE_FACET_LANGUAGE, 10, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "en=3");

    /* a replace with lists that fit stays in place, a longer one moves */
    set(t, 1, 0, "Reuters", tags1, 1, NULL, 0);
    set(t, 2, DAY, "AFP", tags2, 3, ents1, 2);
    top(t, STORE_FACET_TAG, 10, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "a=1 b=1 c=1 d=1");
    top(t, STORE_FACET_ENTITY, 10, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "3=1 7=1");
    top(t, STORE_FACET_SOURCE, 10, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "Reuters=2 AFP=1");

    facet_table_kill(t, 5);
    facet_table_kill(t, 5);
    facet_table_kill(t, 99); /* never set: nothing */
    cr_expect_eq(facet_table_live(t), 2);
    top(t, STORE_FACET_SOURCE, 10, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "AFP=1 Reuters=1");
    /* set again after a kill: alive */
    set(t, 5, 2 * DAY, "Reuters", NULL, 0, NULL, 0);
    cr_expect_eq(facet_table_live(t), 3);
    /* the window [DAY, 2 DAY) and the size bound */
    top(t, STORE_FACET_SOURCE, 10, DAY, 2 * DAY, buf, sizeof buf);
    cr_expect_str_eq(buf, "AFP=1");
    top(t, STORE_FACET_SOURCE, 1, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "Reuters=2");
    cr_expect_gt(facet_table_bytes(t), 0);
    cr_expect_eq(facet_table_set(t, 0, &(struct facet_article){0}), -1, "seq 0 is refused");
    facet_table_free(t);
}

Test(facets, counts_given_seqs_with_source)
{
    struct facet_table *t = facet_table_new();
    const int64_t seqs[] = {1, 2, 3, 4, -5, 0, 1000000, 3};
    struct facet_count *c;
    struct facet_value *v;
    size_t n;

    set(t, 1, 10, "AFP", NULL, 0, NULL, 0);
    set(t, 2, 20, "Reuters", NULL, 0, NULL, 0);
    set(t, 3, 30, "AFP", NULL, 0, NULL, 0);
    set(t, 4, 40, "", NULL, 0, NULL, 0);
    c = facet_count_new(t, 1u << STORE_FACET_SOURCE, INT64_MIN, INT64_MAX, "AFP");
    /* unknown, negative and repeated seqs: the repeat counts twice, the
     * others not at all (the caller gives each match once) */
    cr_assert_eq(facet_count_add(c, seqs, sizeof seqs / sizeof seqs[0]), 0);
    cr_expect_eq(facet_count_rows(c), 3);
    facet_count_free(c);
    /* an empty source is a value of its own; an unknown one matches nothing */
    c = facet_count_new(t, 1u << STORE_FACET_SOURCE, INT64_MIN, INT64_MAX, "");
    cr_assert_eq(facet_count_add(c, seqs, 4), 0);
    cr_expect_eq(facet_count_rows(c), 1);
    cr_assert_eq(facet_count_top(c, STORE_FACET_SOURCE, 10, &v, &n), 0);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(v[0].value, "");
    cr_expect_eq(v[0].last_ts, 40);
    facet_values_free(v, n);
    facet_count_free(c);
    c = facet_count_new(t, 1u << STORE_FACET_SOURCE, INT64_MIN, INT64_MAX, "DPA");
    cr_assert_eq(facet_count_add(c, seqs, 4), 0);
    cr_expect_eq(facet_count_rows(c), 0);
    facet_count_free(c);
    facet_table_free(t);
}

Test(facets, date_buckets)
{
    struct facet_table *t = facet_table_new();
    char buf[512];
    /* 2024-12-30 (Mon) 00:00, 2025-01-05 (Sun) 23:59:59, 2025-01-06 (Mon),
     * 2025-02-28, 2025-03-01, 1969-12-31 23:00 (Wed) */
    static const int64_t ts[] = {1735516800, 1736121599, 1736121600, 1740700800, 1740787200, -3600};

    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        set(t, (int64_t)i + 1, ts[i], "s", NULL, 0, NULL, 0);
    top(t, STORE_FACET_DAY, 100, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "1969-12-31=1 2024-12-30=1 2025-01-05=1 2025-01-06=1 2025-02-28=1 "
                          "2025-03-01=1");
    top(t, STORE_FACET_WEEK, 100, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "1969-12-29=1 2024-12-30=2 2025-01-06=1 2025-02-24=2");
    top(t, STORE_FACET_MONTH, 100, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "1969-12-01=1 2024-12-01=1 2025-01-01=2 2025-02-01=1 2025-03-01=1");
    /* the newest two, oldest first */
    top(t, STORE_FACET_MONTH, 2, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "2025-02-01=1 2025-03-01=1");
    cr_expect_eq(facet_week_start(0), -3);
    cr_expect_eq(facet_week_start(4), 4);
    cr_expect_eq(facet_week_start(-4), -10);
    cr_expect_eq(facet_month_start(59), 59); /* 1970-03-01 */
    cr_expect_eq(facet_month_start(58), 31); /* 1970-02-28 */
    facet_table_free(t);
}

Test(facets, many_days_grow_the_map)
{
    struct facet_table *t = facet_table_new();
    struct facet_count *c;
    struct facet_value *v;
    size_t n;

    for (int64_t i = 1; i <= 5000; i++)
        set(t, i, i * DAY, "s", NULL, 0, NULL, 0);
    c = facet_count_new(t, 1u << STORE_FACET_DAY, INT64_MIN, INT64_MAX, NULL);
    cr_assert_eq(facet_count_all(c), 0);
    cr_assert_eq(facet_count_top(c, STORE_FACET_DAY, 100, &v, &n), 0);
    cr_expect_eq(n, 100);
    cr_expect_str_eq(v[99].value, "1983-09-10"); /* day 5000 */
    cr_expect_eq(v[99].last_ts, 5000 * DAY);
    facet_values_free(v, n);
    facet_count_free(c);
    facet_table_free(t);
}

/* The writer flips seqs between two sources while counters count them all:
 * every count sees each row whole (one source or the other). */
static struct facet_table *race_t;
static atomic_int race_stop;

static void *race_writer(void *arg)
{
    (void)arg;
    for (int round = 0; round < 200 && !atomic_load(&race_stop); round++)
        for (int64_t seq = 1; seq <= 1000; seq++) {
            const char *tags[] = {"x", "y"};
            struct facet_article a = {.ts = seq,
                                      .source = round % 2 ? "A" : "B",
                                      .tags = tags,
                                      .ntags = (size_t)(round % 3)};
            facet_table_set(race_t, seq, &a);
        }
    return NULL;
}

Test(facets, counters_racing_the_writer)
{
    pthread_t w;
    int64_t seqs[1000];

    race_t = facet_table_new();
    for (int64_t i = 0; i < 1000; i++) {
        struct facet_article a = {.ts = i + 1, .source = "A"};
        seqs[i] = i + 1;
        facet_table_set(race_t, i + 1, &a);
    }
    cr_assert_eq(pthread_create(&w, NULL, race_writer, NULL), 0);
    for (int i = 0; i < 200; i++) {
        struct facet_count *c =
            facet_count_new(race_t, (1u << STORE_FACET_SOURCE) | (1u << STORE_FACET_TAG), INT64_MIN,
                            INT64_MAX, NULL);
        struct facet_value *v;
        size_t n;
        long long sum = 0;
        cr_assert_eq(facet_count_add(c, seqs, 1000), 0);
        cr_assert_eq(facet_count_top(c, STORE_FACET_SOURCE, 10, &v, &n), 0);
        for (size_t k = 0; k < n; k++)
            sum += v[k].count;
        cr_expect_eq(sum, 1000);
        facet_values_free(v, n);
        facet_count_free(c);
    }
    atomic_store(&race_stop, 1);
    pthread_join(w, NULL);
    facet_table_free(race_t);
}

/* Many distinct values, a short answer: the best few, as a full sort would
 * order them (counts first, then the value, or the eid). */
Test(facets, top_of_many_values)
{
    struct facet_table *t = facet_table_new();
    char buf[512], name[16];

    for (int64_t i = 1; i <= 700; i++) {
        /* sources s0..s99, 7 articles each but s42 (one more, below);
         * entity e has e articles for e <= 30 (seq by seq) */
        int64_t ents[1] = {1 + (i - 1) % 37};
        snprintf(name, sizeof name, "s%d", (int)(i % 100));
        set(t, i, i, name, NULL, 0, ents, i <= 37 * 18 ? 1 : 0);
    }
    set(t, 701, 701, "s42", NULL, 0, NULL, 0);
    top(t, STORE_FACET_SOURCE, 5, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "s42=8 s0=7 s1=7 s10=7 s11=7");
    top(t, STORE_FACET_SOURCE, 1, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "s42=8");
    /* every eid 1..37 has 18 articles: ties by eid */
    top(t, STORE_FACET_ENTITY, 3, INT64_MIN, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "1=18 2=18 3=18");
    top(t, STORE_FACET_SOURCE, 100, 695, INT64_MAX, buf, sizeof buf);
    cr_expect_str_eq(buf, "s0=1 s42=1 s95=1 s96=1 s97=1 s98=1 s99=1");
    facet_table_free(t);
}
