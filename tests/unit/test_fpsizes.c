/* Unit tests for store/fpsizes: what is set reads back (page boundaries,
 * zero sizes, replace, clear), what is out of range is refused and reads as
 * unknown, and readers racing the writer never see a torn or wrong entry. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "store/fpsizes.h"

Test(fpsizes, set_get_clear_across_pages)
{
    struct fpsizes *z = fpsizes_new();
    static const int64_t seqs[] = {0, 1, 65535, 65536, 65537, 1000000, FPSIZES_MAX_SEQ - 1};
    size_t n = 99, ni = 99;

    cr_assert_not_null(z);
    cr_expect_eq(fpsizes_get(z, 5, &n, &ni), 0, "an empty table knows nothing");
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++)
        cr_assert_eq(fpsizes_set(z, seqs[i], 100 + i, 10 + i), 0);
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        cr_assert_eq(fpsizes_get(z, seqs[i], &n, &ni), 1, "seq %lld", (long long)seqs[i]);
        cr_expect_eq(n, 100 + i);
        cr_expect_eq(ni, 10 + i);
    }
    cr_expect_eq(fpsizes_get(z, 2, &n, &ni), 0, "a neighbour is not set");
    /* a text with no fingerprints is known, with zero sizes */
    cr_assert_eq(fpsizes_set(z, 7, 0, 0), 0);
    cr_assert_eq(fpsizes_get(z, 7, &n, &ni), 1);
    cr_expect_eq(n, 0);
    cr_expect_eq(ni, 0);
    /* replaced, then cleared */
    cr_assert_eq(fpsizes_set(z, 65536, 5, 2), 0);
    cr_assert_eq(fpsizes_get(z, 65536, &n, &ni), 1);
    cr_expect_eq(n, 5);
    cr_expect_eq(ni, 2);
    fpsizes_clear(z, 65536);
    cr_expect_eq(fpsizes_get(z, 65536, &n, &ni), 0);
    fpsizes_clear(z, 3 * 65536 + 4); /* a page never used: nothing to do */
    /* out of range */
    cr_expect_eq(fpsizes_set(z, -1, 1, 1), -1);
    cr_expect_eq(fpsizes_set(z, FPSIZES_MAX_SEQ, 1, 1), -1);
    cr_expect_eq(fpsizes_set(z, 9, (size_t)UINT32_MAX, 1), -1);
    cr_expect_eq(fpsizes_get(z, FPSIZES_MAX_SEQ, &n, &ni), 0);
    cr_expect_eq(fpsizes_get(z, -5, &n, &ni), 0);
    /* 4 pages of 512 KiB plus the page pointers */
    cr_expect_eq(fpsizes_bytes(z), (size_t)(FPSIZES_MAX_SEQ >> 16) * sizeof(void *) +
                                       4 * 65536 * sizeof(uint64_t));
    fpsizes_free(z);
    fpsizes_free(NULL);
}

struct race {
    struct fpsizes *z;
    atomic_long written; /* seqs [0, written) are set */
    atomic_int done;
    long bad;
};

/* An entry a reader sees is unknown or exactly what the writer set: seq s has
 * sizes (3s + 1, s % 1000). */
static void *race_reader(void *arg)
{
    struct race *r = arg;
    while (!atomic_load(&r->done)) {
        long w = atomic_load(&r->written);
        for (long s = w > 4096 ? w - 4096 : 0; s < w + 64; s++) {
            size_t n, ni;
            int known = fpsizes_get(r->z, s, &n, &ni);
            if ((known && (n != (size_t)(3 * s + 1) || ni != (size_t)(s % 1000))) ||
                (!known && s < w))
                r->bad++;
        }
    }
    return NULL;
}

Test(fpsizes, readers_racing_the_writer)
{
    struct race r = {.z = fpsizes_new()};
    pthread_t t[2];

    cr_assert_not_null(r.z);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, race_reader, &r), 0);
    for (long s = 0; s < 400000; s++) {
        cr_assert_eq(fpsizes_set(r.z, s, (size_t)(3 * s + 1), (size_t)(s % 1000)), 0);
        atomic_store(&r.written, s + 1);
    }
    atomic_store(&r.done, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    cr_expect_eq(r.bad, 0, "%ld wrong reads", r.bad);
    fpsizes_free(r.z);
}
