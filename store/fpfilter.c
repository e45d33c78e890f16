/* fpfilter.c: a blocked Bloom filter (see fpfilter.h). Each fingerprint sets
 * FPFILTER_PROBES bits inside one 64-byte block, so a test reads one cache
 * line. Fingerprints are already uniform 64-bit hashes: a remix of their bits
 * picks the block and the bits. Bits are only ever set, with relaxed atomic
 * ORs, so readers need no lock. */
#include "store/fpfilter.h"

#include <stdatomic.h>
#include <stdlib.h>

#define FPFILTER_PROBES 5
#define WORDS_PER_BLOCK 8 /* 8 x 64 bits = one cache line */

struct fpfilter {
    _Atomic uint64_t *words;
    size_t nblocks;
    size_t capacity;
    _Atomic size_t count;
};

static uint64_t fpfilter_mix(uint64_t x)
{
    /* splitmix64's finaliser: callers' hashes may share low bits (the index
     * tokens keep 50 of them), the filter wants every bit independent */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

struct fpfilter *fpfilter_new(size_t keys)
{
    struct fpfilter *f = calloc(1, sizeof *f);
    size_t bits, nblocks;

    if (f == NULL)
        return NULL;
    if (keys < 4096)
        keys = 4096;
    bits = keys * FPFILTER_BITS_PER_KEY;
    nblocks = (bits + WORDS_PER_BLOCK * 64 - 1) / (WORDS_PER_BLOCK * 64);
    f->words = calloc(nblocks * WORDS_PER_BLOCK, sizeof *f->words);
    if (f->words == NULL) {
        free(f);
        return NULL;
    }
    f->nblocks = nblocks;
    f->capacity = nblocks * WORDS_PER_BLOCK * 64 / FPFILTER_BITS_PER_KEY;
    return f;
}

void fpfilter_free(struct fpfilter *f)
{
    if (f == NULL)
        return;
    free((void *)f->words);
    free(f);
}

/* The block's first word (from the remix's high half) and the probe bits
 * (9 bits each from a second remix). */
static _Atomic uint64_t *fpfilter_block(const struct fpfilter *f, int64_t hash, uint64_t *bits)
{
    uint64_t x = fpfilter_mix((uint64_t)hash);
    /* any number of blocks: the high half scaled into [0, nblocks) */
    size_t block = (size_t)(((x >> 32) * (uint64_t)f->nblocks) >> 32);

    x = fpfilter_mix(x ^ 0x9e3779b97f4a7c15ULL);
    for (int p = 0; p < FPFILTER_PROBES; p++) {
        bits[p] = x & 511; /* bit within the 512-bit block */
        x >>= 9;
    }
    return f->words + block * WORDS_PER_BLOCK;
}

void fpfilter_add(struct fpfilter *f, int64_t hash)
{
    uint64_t bits[FPFILTER_PROBES];
    _Atomic uint64_t *w = fpfilter_block(f, hash, bits);

    for (int p = 0; p < FPFILTER_PROBES; p++)
        atomic_fetch_or_explicit(&w[bits[p] >> 6], 1ULL << (bits[p] & 63), memory_order_relaxed);
    atomic_fetch_add_explicit(&f->count, 1, memory_order_relaxed);
}

int fpfilter_maybe(const struct fpfilter *f, int64_t hash)
{
    uint64_t bits[FPFILTER_PROBES];
    _Atomic uint64_t *w = fpfilter_block(f, hash, bits);

    for (int p = 0; p < FPFILTER_PROBES; p++)
        if (!(atomic_load_explicit(&w[bits[p] >> 6], memory_order_relaxed) &
              (1ULL << (bits[p] & 63))))
            return 0;
    return 1;
}

size_t fpfilter_count(const struct fpfilter *f)
{
    return atomic_load_explicit(&f->count, memory_order_relaxed);
}

size_t fpfilter_capacity(const struct fpfilter *f)
{
    return f->capacity;
}

size_t fpfilter_bytes(const struct fpfilter *f)
{
    return f->nblocks * WORDS_PER_BLOCK * sizeof(uint64_t);
}
