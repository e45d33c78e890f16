/* Unit tests for store/fpfilter: no false "no" ever, false "maybe"s within
 * the documented rate at the rated load, counts, and adds racing tests. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>

#include "store/fpfilter.h"

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

Test(fpfilter, never_says_no_to_what_it_holds)
{
    struct fpfilter *f = fpfilter_new(100000);
    cr_assert_not_null(f);
    cr_expect_geq(fpfilter_capacity(f), 100000);
    for (uint64_t i = 0; i < 100000; i++)
        fpfilter_add(f, (int64_t)mix(i));
    cr_expect_eq(fpfilter_count(f), 100000);
    for (uint64_t i = 0; i < 100000; i++)
        cr_assert(fpfilter_maybe(f, (int64_t)mix(i)), "lost key %llu", (unsigned long long)i);
    fpfilter_free(f);
}

Test(fpfilter, false_maybes_at_rated_load)
{
    struct fpfilter *f = fpfilter_new(200000);
    size_t n = fpfilter_capacity(f), wrong = 0, probes = 1000000;
    for (uint64_t i = 0; i < n; i++)
        fpfilter_add(f, (int64_t)mix(i));
    for (uint64_t i = 0; i < probes; i++)
        wrong += (size_t)fpfilter_maybe(f, (int64_t)mix(i + (1ULL << 40)));
    /* documented: about 1.5% at the rated load */
    cr_expect_lt((double)wrong / (double)probes, 0.025, "false maybe rate %f",
                 (double)wrong / (double)probes);
    cr_expect_gt(wrong, 0); /* a Bloom filter that never errs is not one */
    /* an empty filter says no */
    fpfilter_free(f);
    f = fpfilter_new(10);
    cr_expect_eq(fpfilter_maybe(f, 12345), 0);
    fpfilter_free(f);
}

struct racer {
    struct fpfilter *f;
    uint64_t from, n;
    size_t misses;
};

static void *adder(void *p)
{
    struct racer *r = p;
    for (uint64_t i = 0; i < r->n; i++)
        fpfilter_add(r->f, (int64_t)mix(r->from + i));
    return NULL;
}

static void *tester(void *p)
{
    struct racer *r = p;
    /* keys added before the threads started are always seen */
    for (int round = 0; round < 20; round++)
        for (uint64_t i = 0; i < r->n; i++)
            r->misses += !fpfilter_maybe(r->f, (int64_t)mix(r->from + i));
    return NULL;
}

Test(fpfilter, tests_while_another_thread_adds)
{
    struct fpfilter *f = fpfilter_new(400000);
    struct racer add = {f, 1000000, 300000, 0}, test = {f, 0, 50000, 0};
    pthread_t a, t;
    for (uint64_t i = 0; i < 50000; i++)
        fpfilter_add(f, (int64_t)mix(i));
    pthread_create(&a, NULL, adder, &add);
    pthread_create(&t, NULL, tester, &test);
    pthread_join(a, NULL);
    pthread_join(t, NULL);
    cr_expect_eq(test.misses, 0);
    cr_expect_eq(fpfilter_count(f), 350000);
    for (uint64_t i = 0; i < add.n; i++)
        cr_assert(fpfilter_maybe(f, (int64_t)mix(add.from + i)));
    fpfilter_free(f);
}
