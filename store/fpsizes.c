/* fpsizes.c: the sizes table (see fpsizes.h). Pages of 65,536 entries are
 * allocated as seqs reach them and never move, so readers follow a page
 * pointer and read an entry with no lock. An entry is (n + 1) << 32 | nindex,
 * 0 meaning unknown. */
#include "store/fpsizes.h"

#include <stdatomic.h>
#include <stdlib.h>

#define PAGE_BITS 16
#define PAGE_SIZE ((size_t)1 << PAGE_BITS)
#define NPAGES    ((size_t)(FPSIZES_MAX_SEQ >> PAGE_BITS))

struct fpsizes {
    _Atomic(_Atomic uint64_t *) *pages; /* NPAGES pointers, NULL until used */
    _Atomic size_t npages_used;
};

struct fpsizes *fpsizes_new(void)
{
    struct fpsizes *z = calloc(1, sizeof *z);
    if (z == NULL)
        return NULL;
    z->pages = calloc(NPAGES, sizeof *z->pages);
    if (z->pages == NULL) {
        free(z);
        return NULL;
    }
    return z;
}

void fpsizes_free(struct fpsizes *z)
{
    if (z == NULL)
        return;
    for (size_t i = 0; i < NPAGES; i++)
        free((void *)atomic_load_explicit(&z->pages[i], memory_order_relaxed));
    free(z->pages);
    free(z);
}

int fpsizes_set(struct fpsizes *z, int64_t seq, size_t n, size_t nindex)
{
    _Atomic uint64_t *page;
    size_t p;

    if (seq < 0 || seq >= FPSIZES_MAX_SEQ || n >= UINT32_MAX || nindex > UINT32_MAX)
        return -1;
    p = (size_t)seq >> PAGE_BITS;
    page = atomic_load_explicit(&z->pages[p], memory_order_relaxed);
    if (page == NULL) {
        page = calloc(PAGE_SIZE, sizeof *page);
        if (page == NULL)
            return -1;
        /* release: a reader that sees the page sees it zeroed */
        atomic_store_explicit(&z->pages[p], page, memory_order_release);
        z->npages_used++;
    }
    atomic_store_explicit(&page[(size_t)seq & (PAGE_SIZE - 1)],
                          ((uint64_t)(n + 1) << 32) | (uint64_t)nindex, memory_order_relaxed);
    return 0;
}

void fpsizes_clear(struct fpsizes *z, int64_t seq)
{
    _Atomic uint64_t *page;

    if (seq < 0 || seq >= FPSIZES_MAX_SEQ)
        return;
    page = atomic_load_explicit(&z->pages[(size_t)seq >> PAGE_BITS], memory_order_relaxed);
    if (page != NULL)
        atomic_store_explicit(&page[(size_t)seq & (PAGE_SIZE - 1)], 0, memory_order_relaxed);
}

int fpsizes_get(const struct fpsizes *z, int64_t seq, size_t *n, size_t *nindex)
{
    _Atomic uint64_t *page;
    uint64_t v;

    if (seq < 0 || seq >= FPSIZES_MAX_SEQ)
        return 0;
    page = atomic_load_explicit(&z->pages[(size_t)seq >> PAGE_BITS], memory_order_acquire);
    if (page == NULL)
        return 0;
    v = atomic_load_explicit(&page[(size_t)seq & (PAGE_SIZE - 1)], memory_order_relaxed);
    if (v == 0)
        return 0;
    *n = (size_t)(v >> 32) - 1;
    *nindex = (size_t)(v & 0xffffffffu);
    return 1;
}

size_t fpsizes_bytes(const struct fpsizes *z)
{
    return NPAGES * sizeof *z->pages + z->npages_used * PAGE_SIZE * sizeof(uint64_t);
}
