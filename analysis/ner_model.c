/* ner_model.c: weights file parsing, Viterbi decoding and serialisation for the NER
 * model (see ner_model.h). Weights live in one array of stored integers, feature-major,
 * found through a bucketed table keyed by the low 32 bits of the feature hash. */
#include "analysis/ner_model.h"

#include <float.h>
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#define MAGIC      "ARTNER01"
#define MAGIC_NONE "ARTNER00"

/* The look-up table: buckets of one cache line, seven keys (the low 32 bits of a feature's
 * hash; 0: empty, key 0 is stored as 1) and their rows, filled in order; a key goes to the
 * first bucket from its home that has room. A look-up compares a whole bucket at once and
 * goes on to the next only when the bucket is full without the key (rare at half load), so
 * that hit or miss costs no unpredictable branch. row[7] is -1: the answer for a miss. */
#define BUCKET_KEYS 7

struct bucket {
    uint32_t key[BUCKET_KEYS + 1]; /* key[7] unused */
    int32_t row[BUCKET_KEYS + 1];
};

struct nermodel {
    size_t nfeat;
    struct bucket *table; /* mask + 1 buckets */
    size_t mask;
    int16_t *w; /* nfeat rows of NER_NTAGS weights / scale */
    float scale;
    float trans[(NER_NTAGS + 1) * NER_NTAGS]; /* -FLT_MAX where a tag may not follow */
    /* the same for the forward pass: rows padded to 12 lanes, -inf where a tag may not
     * follow (start: as trans) */
    float vtrans[NER_NTAGS][12], vstart[12];
    float vtrans_t[NER_NTAGS][12]; /* vtrans transposed: [t][p] */
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
            float tr = t < NER_NTAGS ? m->trans[p * NER_NTAGS + t] : -FLT_MAX;
            m->vtrans[p][t] = tr == -FLT_MAX ? -INFINITY : tr;
        }
        for (int p = 0; p < 12 && t < NER_NTAGS; p++)
            m->vtrans_t[t][p] = p < NER_NTAGS ? m->vtrans[p][t] : -INFINITY;
    }
    while (cap * BUCKET_KEYS < (size_t)nfeat * 2)
        cap *= 2;
    m->mask = cap - 1;
    m->table = aligned_alloc(sizeof *m->table, cap * sizeof *m->table);
    m->w = calloc((size_t)nfeat * NER_NTAGS + 1, sizeof *m->w);
    m->scale = scale;
    if (m->table == NULL || m->w == NULL)
        goto oom;
    memset(m->table, 0, cap * sizeof *m->table);
    for (size_t b = 0; b < cap; b++)
        m->table[b].row[BUCKET_KEYS] = -1;
    for (uint32_t f = 0; f < nfeat; f++) {
        uint32_t key;
        unsigned mask;
        size_t j;
        if (pos + 6 > len)
            goto truncated;
        key = slot_key(rd32(data + pos));
        mask = (unsigned)(uint16_t)rd16(data + pos + 4);
        pos += 6;
        /* the key's slot, or the first free one (a key given twice: the later row) */
        for (size_t b = key & m->mask;; b = (b + 1) & m->mask) {
            struct bucket *bk = &m->table[b];
            for (j = 0; j < BUCKET_KEYS && bk->key[j] != 0 && bk->key[j] != key; j++)
                ;
            if (j < BUCKET_KEYS) {
                bk->key[j] = key;
                bk->row[j] = (int32_t)f;
                break;
            }
        }
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
    if (m->table == NULL)
        return -1;
    for (size_t b = key & m->mask;; b = (b + 1) & m->mask) {
        const struct bucket *bk = &m->table[b];
        unsigned hit = 0, empty = 0;
#if defined(__SSE2__)
        __m128i k = _mm_set1_epi32((int)key), z = _mm_setzero_si128();
        __m128i k0 = _mm_load_si128((const __m128i *)bk->key);
        __m128i k1 = _mm_load_si128((const __m128i *)bk->key + 1);
        hit = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(k0, k))) |
              (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(k1, k))) << 4;
        empty = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(k0, z))) |
                (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(k1, z))) << 4;
#else
        for (int j = 0; j < BUCKET_KEYS + 1; j++) {
            hit |= (unsigned)(bk->key[j] == key) << j;
            empty |= (unsigned)(bk->key[j] == 0) << j;
        }
#endif
        hit &= (1u << BUCKET_KEYS) - 1;
        empty &= (1u << BUCKET_KEYS) - 1;
        if (hit | empty) /* keys fill a bucket in order: a key is before any empty slot */
            return bk->row[__builtin_ctz(hit | 1u << BUCKET_KEYS)];
    }
}

void nermodel_prefetch(const struct nermodel *m, uint64_t h)
{
    if (m->table != NULL)
        __builtin_prefetch(&m->table[slot_key((uint32_t)h) & m->mask]);
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

/* Viterbi over emission sums[n][NER_NTAGS] (stored integers). The decoder has always chosen
 * as the predecessor of tag t the lowest-numbered previous tag p with the highest score
 * prev[p] + trans[p][t], among those t may follow, that are reachable (not -FLT_MAX) and
 * score above -FLT_MAX (with none: -FLT_MAX, and tag 0), in a loop keeping strictly higher
 * scores. Here the forward pass keeps the best score alone, as "s > best ? s : best" over
 * the previous tags with -inf in place of the transitions that may not happen (an excluded
 * candidate is -inf or NaN and never wins: the same value); the backtrace then takes, for
 * the one path followed, the first previous tag whose score equals that best, which is the
 * same tag. Each token's row is 12 lanes: its scores, then the best before emission. */
#define ROW 24

static void forward(const struct nermodel *m, const int32_t *sums, size_t n, float *score)
{
#if defined(__SSE2__)
    const __m128 lowest = _mm_set1_ps(-FLT_MAX), scale = _mm_set1_ps(m->scale);
    for (size_t i = 0; i < n; i++) {
        const int32_t *sum = sums + i * NER_NTAGS;
        const float *prev = i > 0 ? score + (i - 1) * ROW : score;
        float *cur = score + i * ROW;
        __m128 emit[3], best[3];
        emit[0] = _mm_cvtepi32_ps(_mm_loadu_si128((const __m128i *)sum));
        emit[1] = _mm_cvtepi32_ps(_mm_loadu_si128((const __m128i *)(sum + 4)));
        emit[2] = _mm_cvtepi32_ps(_mm_setr_epi32(sum[8], 0, 0, 0));
        for (int c = 0; c < 3; c++) {
            emit[c] = _mm_mul_ps(emit[c], scale);
            best[c] = i == 0 ? _mm_loadu_ps(m->vstart + 4 * c) : lowest;
        }
        for (int p = 0; i > 0 && p < NER_NTAGS; p++) {
            if (prev[p] == -FLT_MAX)
                continue; /* unreachable */
            __m128 pv = _mm_set1_ps(prev[p]);
            for (int c = 0; c < 3; c++)
                best[c] = _mm_max_ps(_mm_add_ps(pv, _mm_loadu_ps(m->vtrans[p] + 4 * c)), best[c]);
        }
        for (int c = 0; c < 3; c++) {
            __m128 none = _mm_cmpeq_ps(best[c], lowest);
            __m128 v = _mm_or_ps(_mm_and_ps(none, best[c]),
                                 _mm_andnot_ps(none, _mm_add_ps(best[c], emit[c])));
            _mm_storeu_ps(cur + 4 * c, v);
            _mm_storeu_ps(cur + 12 + 4 * c, best[c]);
        }
    }
#else
    for (size_t i = 0; i < n; i++) {
        const int32_t *sum = sums + i * NER_NTAGS;
        const float *prev = i > 0 ? score + (i - 1) * ROW : score;
        float *cur = score + i * ROW;
        for (int t = 0; t < 12; t++) {
            float best = i == 0 ? m->vstart[t] : -FLT_MAX;
            for (int p = 0; i > 0 && p < NER_NTAGS; p++) {
                float s;
                if (prev[p] == -FLT_MAX)
                    continue;
                s = prev[p] + m->vtrans[p][t];
                best = s > best ? s : best;
            }
            cur[12 + t] = best;
            cur[t] = best == -FLT_MAX || t >= NER_NTAGS ? best : best + (float)sum[t] * m->scale;
        }
    }
#endif
}

/* The predecessor of tag t at a token, from the previous token's row and its own. */
static int back_of(const struct nermodel *m, const float *prev, const float *cur, int t)
{
    float best = cur[12 + t];
    if (best == -FLT_MAX)
        return 0;
#if defined(__SSE2__)
    __m128 b = _mm_set1_ps(best), lowest = _mm_set1_ps(-FLT_MAX);
    int mask = 0;
    for (int c = 0; c < 3; c++) {
        __m128 pv = _mm_loadu_ps(prev + 4 * c);
        __m128 s = _mm_add_ps(pv, _mm_loadu_ps(m->vtrans_t[t] + 4 * c));
        mask |= _mm_movemask_ps(_mm_and_ps(_mm_cmpeq_ps(s, b), _mm_cmpneq_ps(pv, lowest))) << 4 * c;
    }
    return __builtin_ctz((unsigned)mask); /* the best was reached, so some lane is set */
#else
    for (int p = 0;; p++)
        if (prev[p] != -FLT_MAX && prev[p] + m->vtrans_t[t][p] == best)
            return p;
#endif
}

int nermodel_decode_sums(const struct nermodel *m, const int32_t *sums, size_t n, uint8_t *tags)
{
    float stack[256 * ROW], *score = stack;
    int best = NER_O;

    if (n == 0)
        return 0;
    if (m->nfeat == 0) {
        memset(tags, NER_O, n);
        return 0;
    }
    if (n > sizeof stack / sizeof stack[0] / ROW &&
        (score = malloc(n * ROW * sizeof *score)) == NULL)
        return -1;
    forward(m, sums, n, score);
    {
        const float *last = score + (n - 1) * ROW;
        for (int t = 0; t < NER_NTAGS; t++)
            if (last[t] > last[best])
                best = t;
    }
    for (size_t i = n; i-- > 0;) {
        tags[i] = (uint8_t)best;
        if (i > 0)
            best = back_of(m, score + (i - 1) * ROW, score + i * ROW, best);
    }
    if (score != stack)
        free(score);
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
