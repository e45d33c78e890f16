/* ner_model.c: weights file parsing, Viterbi decoding and serialisation for the NER
 * model (see ner_model.h). Weights live in one float array, feature-major, found through an
 * open-addressing table keyed by the low 32 bits of the feature hash. */
#include "analysis/ner_model.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC      "ARTNER01"
#define MAGIC_NONE "ARTNER00"

/* Look-up slot: the low 32 bits of a feature's hash and its row of weights. The slots are
 * small so that the table (probed for every feature, known or not) stays in cache. */
struct slot {
    uint32_t key; /* 0: empty (key 0 is stored as 1) */
    uint32_t row;
};

struct nermodel {
    size_t nfeat;
    struct slot *table; /* mask + 1 slots, open addressing */
    size_t mask;
    int16_t *w; /* nfeat rows of NER_NTAGS weights / scale */
    float scale;
    float trans[(NER_NTAGS + 1) * NER_NTAGS]; /* -FLT_MAX where a tag may not follow */
    /* the same for the vector Viterbi: rows padded to 12 lanes, and -1 where allowed */
    float vtrans[NER_NTAGS][12], vstart[12];
    int32_t vallowed[NER_NTAGS][12];
};

int nermodel_tag_type(enum ner_tag t)
{
    return t == NER_O || t >= NER_NTAGS ? -1 : ((int)t - 1) / 2;
}

int nermodel_tag_allowed(int prev, int t)
{
    if (t == NER_O || (t - 1) % 2 == 0)
        return 1;
    return prev != NER_NTAGS && prev != NER_O &&
           nermodel_tag_type((enum ner_tag)prev) == nermodel_tag_type((enum ner_tag)t);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int16_t rd16(const unsigned char *p)
{
    return (int16_t)(uint16_t)((unsigned)p[0] | (unsigned)p[1] << 8);
}

static void wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void wr16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static uint32_t slot_key(uint32_t k)
{
    return k ? k : 1;
}

void nermodel_free(struct nermodel *m)
{
    if (m == NULL)
        return;
    free(m->table);
    free(m->w);
    free(m);
}

size_t nermodel_size(const struct nermodel *m)
{
    return m->nfeat;
}

int nermodel_load(const unsigned char *data, size_t len, struct nermodel **out, struct error *err)
{
    struct nermodel *m = calloc(1, sizeof *m);
    size_t pos, cap = 16;
    float scale;
    uint32_t ntags, nfeat, sbits;

    *out = NULL;
    if (m == NULL)
        goto oom;
    if (len >= 8 && memcmp(data, MAGIC_NONE, 8) == 0) {
        *out = m;
        return 0;
    }
    if (len < 20 || memcmp(data, MAGIC, 8) != 0) {
        error_set(err, ERR_INTERNAL, "ner model: bad magic");
        goto fail;
    }
    ntags = rd32(data + 8);
    nfeat = rd32(data + 12);
    sbits = rd32(data + 16);
    memcpy(&scale, &sbits, sizeof scale);
    pos = 20;
    if (ntags != NER_NTAGS || len < pos + sizeof m->trans / sizeof m->trans[0] * 2) {
        error_set(err, ERR_INTERNAL, "ner model: bad header");
        goto fail;
    }
    for (size_t i = 0; i < (NER_NTAGS + 1) * NER_NTAGS; i++, pos += 2)
        m->trans[i] = rd16(data + pos) * scale;
    for (int p = 0; p <= NER_NTAGS; p++)
        for (int t = 0; t < NER_NTAGS; t++)
            if (!nermodel_tag_allowed(p, t))
                m->trans[p * NER_NTAGS + t] = -FLT_MAX;
    for (int t = 0; t < 12; t++) {
        m->vstart[t] = t < NER_NTAGS ? m->trans[NER_NTAGS * NER_NTAGS + t] : -FLT_MAX;
        for (int p = 0; p < NER_NTAGS; p++) {
            m->vtrans[p][t] = t < NER_NTAGS ? m->trans[p * NER_NTAGS + t] : -FLT_MAX;
            m->vallowed[p][t] = m->vtrans[p][t] != -FLT_MAX ? -1 : 0;
        }
    }
    while (cap < (size_t)nfeat * 2)
        cap *= 2;
    m->mask = cap - 1;
    m->table = calloc(cap, sizeof *m->table);
    m->w = calloc((size_t)nfeat * NER_NTAGS + 1, sizeof *m->w);
    m->scale = scale;
    if (m->table == NULL || m->w == NULL)
        goto oom;
    for (uint32_t f = 0; f < nfeat; f++) {
        uint32_t key;
        unsigned mask;
        size_t j;
        if (pos + 6 > len)
            goto truncated;
        key = slot_key(rd32(data + pos));
        mask = (unsigned)(uint16_t)rd16(data + pos + 4);
        pos += 6;
        j = key & m->mask;
        while (m->table[j].key != 0 && m->table[j].key != key)
            j = (j + 1) & m->mask;
        m->table[j].key = key;
        m->table[j].row = f;
        for (int t = 0; t < NER_NTAGS; t++) {
            if (!(mask & (1u << t)))
                continue;
            if (pos + 2 > len)
                goto truncated;
            m->w[(size_t)f * NER_NTAGS + t] = rd16(data + pos);
            pos += 2;
        }
    }
    m->nfeat = nfeat;
    *out = m;
    return 0;
truncated:
    error_set(err, ERR_INTERNAL, "ner model: truncated");
    goto fail;
oom:
    error_set(err, ERR_INTERNAL, "ner model: out of memory");
fail:
    nermodel_free(m);
    return -1;
}

int32_t nermodel_find(const struct nermodel *m, uint64_t h)
{
    uint32_t key = slot_key((uint32_t)h);
    size_t j = key & m->mask;
    if (m->table == NULL)
        return -1;
    while (m->table[j].key != 0) {
        if (m->table[j].key == key)
            return (int32_t)m->table[j].row;
        j = (j + 1) & m->mask;
    }
    return -1;
}

void nermodel_find_many(const struct nermodel *m, const uint64_t *h, size_t n, int32_t *rows)
{
    /* the table is larger than the caches: ask for the slots of a batch ahead of probing
     * them, so that the misses overlap instead of following one another */
    enum { BATCH = 16 };
    if (m->table == NULL) {
        for (size_t i = 0; i < n; i++)
            rows[i] = -1;
        return;
    }
    for (size_t i = 0; i < n && i < BATCH; i++)
        __builtin_prefetch(&m->table[slot_key((uint32_t)h[i]) & m->mask]);
    for (size_t i = 0; i < n; i++) {
        if (i + BATCH < n)
            __builtin_prefetch(&m->table[slot_key((uint32_t)h[i + BATCH]) & m->mask]);
        rows[i] = nermodel_find(m, h[i]);
    }
}

const int16_t *nermodel_row(const struct nermodel *m, int32_t row)
{
    return m->w + (size_t)row * NER_NTAGS;
}

/* Four lanes of tags: the nine tags take three vectors (lanes 9..11 unused). GCC and clang
 * vector extensions, plain SSE2 on x86-64; lane by lane the same float operations in the
 * same order as one tag at a time. */
typedef float v4sf __attribute__((vector_size(16)));
typedef int32_t v4si __attribute__((vector_size(16)));
#define NVEC 3

static v4si select4(v4si m, v4si a, v4si b)
{
    return (a & m) | (b & ~m);
}

/* One step of the search for tag lanes c: previous tag p as a candidate. */
static inline __attribute__((always_inline)) void
viterbi_step(const struct nermodel *m, const float *prev, int p, v4sf *best, v4si *arg)
{
    const v4sf pv = {prev[p], prev[p], prev[p], prev[p]};
    const v4si pi = {p, p, p, p};
    if (prev[p] == -FLT_MAX)
        return; /* unreachable */
#pragma GCC unroll 4
    for (int c = 0; c < NVEC; c++) {
        v4sf tr, sc;
        v4si ok;
        memcpy(&tr, m->vtrans[p] + 4 * c, sizeof tr);
        memcpy(&ok, m->vallowed[p] + 4 * c, sizeof ok);
        sc = pv + tr;
        ok &= sc > best[c];
        best[c] = (v4sf)select4(ok, (v4si)sc, (v4si)best[c]);
        arg[c] = select4(ok, pi, arg[c]);
    }
}

/* Viterbi over emission sums[n][NER_NTAGS] (stored integers), back[n][NER_NTAGS] as scratch.
 * A tag's best predecessor is the lowest-numbered previous tag with the highest score among
 * those it may follow (trans not -FLT_MAX), that are reachable (not -FLT_MAX) and that score
 * above -FLT_MAX; with none, -FLT_MAX and tag 0: what one loop over the previous tags in
 * order, keeping strictly higher scores, finds. Two such loops run side by side over tags
 * 0..4 and 5..8, and the second's choice wins only when strictly higher, which is the same
 * and halves the chain of operations each token waits for. */
static void viterbi(const struct nermodel *m, const int32_t *sums, size_t n, uint8_t *back,
                    uint8_t *tags)
{
    float prev[NVEC * 4];
    const v4sf lowest = {-FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX};
    const v4sf scale = {m->scale, m->scale, m->scale, m->scale};

    for (size_t i = 0; i < n; i++) {
        const int32_t *sum = sums + i * NER_NTAGS;
        v4sf best[NVEC], best2[NVEC], emit[NVEC];
        v4si arg[NVEC], arg2[NVEC];
#pragma GCC unroll 4
        for (int c = 0; c < NVEC; c++) {
            v4si v = {sum[8], 0, 0, 0}; /* lane 8 is the last tag */
            if (c < 2)
                memcpy(&v, sum + 4 * c, sizeof v);
            emit[c] = __builtin_convertvector(v, v4sf) * scale;
            arg[c] = arg2[c] = (v4si){0, 0, 0, 0};
            best[c] = best2[c] = lowest;
            if (i == 0)
                memcpy(&best[c], m->vstart + 4 * c, sizeof best[c]);
        }
        if (i > 0) {
            for (int p = 0; p < 4; p++) {
                viterbi_step(m, prev, p, best, arg);
                viterbi_step(m, prev, p + 4, best2, arg2);
            }
            viterbi_step(m, prev, 8, best2, arg2);
#pragma GCC unroll 4
            for (int c = 0; c < NVEC; c++) {
                v4si later = best2[c] > best[c];
                best[c] = (v4sf)select4(later, (v4si)best2[c], (v4si)best[c]);
                arg[c] = select4(later, arg2[c], arg[c]);
            }
        }
#pragma GCC unroll 4
        for (int c = 0; c < NVEC; c++) {
            v4sf cur = (v4sf)select4(best[c] == lowest, (v4si)best[c], (v4si)(best[c] + emit[c]));
            int32_t a32[4];
            memcpy(prev + 4 * c, &cur, sizeof cur);
            memcpy(a32, &arg[c], sizeof a32);
            for (int l = 0; l < 4 && 4 * c + l < NER_NTAGS; l++)
                back[i * NER_NTAGS + 4 * c + l] = (uint8_t)a32[l];
        }
    }
    int best = NER_O;
    for (int t = 0; t < NER_NTAGS; t++)
        if (prev[t] > prev[best])
            best = t;
    for (size_t i = n; i-- > 0;) {
        tags[i] = (uint8_t)best;
        best = back[i * NER_NTAGS + best];
    }
}

int nermodel_decode_sums(const struct nermodel *m, const int32_t *sums, size_t n, uint8_t *tags)
{
    uint8_t stack[256 * NER_NTAGS], *back = stack;

    if (n == 0)
        return 0;
    if (m->nfeat == 0) {
        memset(tags, NER_O, n);
        return 0;
    }
    if (n > sizeof stack / NER_NTAGS && (back = malloc(n * NER_NTAGS)) == NULL)
        return -1;
    viterbi(m, sums, n, back, tags);
    if (back != stack)
        free(back);
    return 0;
}

int nermodel_decode(const struct nermodel *m, const uint64_t *feats, const size_t *off, size_t n,
                    uint8_t *tags)
{
    int32_t *sums;
    int rc;

    if (n == 0)
        return 0;
    if (m->nfeat == 0) {
        memset(tags, NER_O, n);
        return 0;
    }
    sums = calloc(n, NER_NTAGS * sizeof *sums);
    if (sums == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = off[i]; k < off[i + 1]; k++) {
            int32_t r = nermodel_find(m, feats[k]);
            if (r < 0)
                continue;
            const int16_t *w = nermodel_row(m, r);
            for (int t = 0; t < NER_NTAGS; t++)
                sums[i * NER_NTAGS + t] += w[t];
        }
    }
    rc = nermodel_decode_sums(m, sums, n, tags);
    free(sums);
    return rc;
}

int nermodel_serialize(const uint32_t *keys, const float *w, size_t nfeat, const float *trans,
                       unsigned char **buf, size_t *len)
{
    float maxabs = 0, scale;
    size_t cap = 20 + (NER_NTAGS + 1) * NER_NTAGS * 2 + nfeat * (6 + 2 * NER_NTAGS), pos = 20;
    size_t kept = 0;
    uint32_t sbits;
    unsigned char *b;

    for (size_t i = 0; i < nfeat * NER_NTAGS; i++)
        maxabs = fmaxf(maxabs, fabsf(w[i]));
    for (size_t i = 0; i < (NER_NTAGS + 1) * NER_NTAGS; i++)
        maxabs = fmaxf(maxabs, fabsf(trans[i]));
    scale = maxabs > 0 ? maxabs / 32000.0f : 1.0f;
    b = malloc(cap);
    if (b == NULL)
        return -1;
    memcpy(b, MAGIC, 8);
    wr32(b + 8, NER_NTAGS);
    memcpy(&sbits, &scale, sizeof sbits);
    wr32(b + 16, sbits);
    for (size_t i = 0; i < (NER_NTAGS + 1) * NER_NTAGS; i++, pos += 2)
        wr16(b + pos, (uint16_t)(int16_t)lrintf(trans[i] / scale));
    for (size_t f = 0; f < nfeat; f++) {
        unsigned mask = 0;
        size_t at = pos;
        pos += 6;
        for (int t = 0; t < NER_NTAGS; t++) {
            long q = lrintf(w[f * NER_NTAGS + t] / scale);
            if (q == 0)
                continue;
            mask |= 1u << t;
            wr16(b + pos, (uint16_t)(int16_t)q);
            pos += 2;
        }
        if (mask == 0) {
            pos = at;
            continue;
        }
        wr32(b + at, keys[f]);
        wr16(b + at + 4, (uint16_t)mask);
        kept++;
    }
    wr32(b + 12, (uint32_t)kept);
    *buf = b;
    *len = pos;
    return 0;
}
