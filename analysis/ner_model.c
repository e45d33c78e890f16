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

static const int16_t *weights_of(const struct nermodel *m, uint64_t h)
{
    uint32_t key = slot_key((uint32_t)h);
    size_t j = key & m->mask;
    while (m->table[j].key != 0) {
        if (m->table[j].key == key)
            return m->w + (size_t)m->table[j].row * NER_NTAGS;
        j = (j + 1) & m->mask;
    }
    return NULL;
}

int nermodel_decode(const struct nermodel *m, const uint64_t *feats, const size_t *off, size_t n,
                    uint8_t *tags)
{
    float *score, *prev, *cur;
    uint8_t *back;
    int rc = -1;

    if (n == 0)
        return 0;
    if (m->nfeat == 0) {
        memset(tags, NER_O, n);
        return 0;
    }
    score = malloc(2 * NER_NTAGS * sizeof *score);
    back = malloc(n * NER_NTAGS);
    if (score == NULL || back == NULL)
        goto out;
    prev = score;
    cur = score + NER_NTAGS;
    for (size_t i = 0; i < n; i++) {
        int32_t sum[NER_NTAGS] = {0};
        float emit[NER_NTAGS];
        for (size_t k = off[i]; k < off[i + 1]; k++) {
            const int16_t *w = weights_of(m, feats[k]);
            if (w == NULL)
                continue;
            for (int t = 0; t < NER_NTAGS; t++)
                sum[t] += w[t];
        }
        for (int t = 0; t < NER_NTAGS; t++)
            emit[t] = (float)sum[t] * m->scale;
        for (int t = 0; t < NER_NTAGS; t++) {
            float best = -FLT_MAX;
            int arg = 0;
            if (i == 0) {
                best = m->trans[NER_NTAGS * NER_NTAGS + t];
            } else {
                for (int p = 0; p < NER_NTAGS; p++) {
                    float tr = m->trans[p * NER_NTAGS + t], s;
                    if (tr == -FLT_MAX || prev[p] == -FLT_MAX)
                        continue;
                    s = prev[p] + tr;
                    if (s > best) {
                        best = s;
                        arg = p;
                    }
                }
            }
            cur[t] = best == -FLT_MAX ? best : best + emit[t];
            back[i * NER_NTAGS + t] = (uint8_t)arg;
        }
        float *tmp = prev;
        prev = cur;
        cur = tmp;
    }
    {
        int best = NER_O;
        for (int t = 0; t < NER_NTAGS; t++)
            if (prev[t] > prev[best])
                best = t;
        for (size_t i = n; i-- > 0;) {
            tags[i] = (uint8_t)best;
            best = back[i * NER_NTAGS + best];
        }
    }
    rc = 0;
out:
    free(score);
    free(back);
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
