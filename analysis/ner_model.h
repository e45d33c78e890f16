/* ner_model.h: the statistical part of the entity extractor: a first-order linear model
 * (structured averaged perceptron, trained by tools/ner_train.c) over hashed token features
 * (ner_features.h), decoded with Viterbi over BIO tags. Weights ship in data/ner_model.bin. */
#ifndef ARTICLED_NER_MODEL_H
#define ARTICLED_NER_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/error.h"

/* BIO tags over the four CoNLL types (MISC is learnt so that it is not confused with the
 * others, and dropped by the extractor). */
enum ner_tag {
    NER_O = 0,
    NER_B_PER,
    NER_I_PER,
    NER_B_ORG,
    NER_I_ORG,
    NER_B_LOC,
    NER_I_LOC,
    NER_B_MISC,
    NER_I_MISC,
    NER_NTAGS
};

/* Type index of a tag: 0 PER, 1 ORG, 2 LOC, 3 MISC, -1 for O. */
int nermodel_tag_type(enum ner_tag t);

/* True when tag t may follow tag prev (prev == NER_NTAGS: first token): I-X only after B-X
 * or I-X. */
int nermodel_tag_allowed(int prev, int t);

struct nermodel;

/* Parses a weights file (format below) from data[0..len). Returns 0 and a new model in *out
 * (caller frees with nermodel_free), or -1 with err filled. A file with no features (the
 * 8-byte placeholder "ARTNER00") gives an empty model that tags everything O.
 *
 * Format, little-endian: "ARTNER01"; u32 ntags (9); u32 nfeatures; f32 scale; then
 * (ntags + 1) * ntags i16 transition weights (row ntags: start of text); then per feature:
 * u32 key (low 32 bits of its hash), u16 mask of tags with a weight, one i16 per set bit.
 * A weight is the stored integer times scale. */
int nermodel_load(const unsigned char *data, size_t len, struct nermodel **out, struct error *err);

void nermodel_free(struct nermodel *m);

/* Number of features with weights (0 for the placeholder). */
size_t nermodel_size(const struct nermodel *m);

/* Best tag sequence for n tokens: token i has the hashed features feats[off[i]..off[i+1]).
 * Writes tags[0..n). Returns 0, or -1 on allocation failure. Thread-safe. */
int nermodel_decode(const struct nermodel *m, const uint64_t *feats, const size_t *off, size_t n,
                    uint8_t *tags);

/* Row of the weights of hashed feature h (for nermodel_row), or -1 when h has none. */
int32_t nermodel_find(const struct nermodel *m, uint64_t h);

/* Starts bringing the table bucket of h into the cache, for a nermodel_find to come. */
void nermodel_prefetch(const struct nermodel *m, uint64_t h);

/* nermodel_find of h[0..n) into rows[0..n), faster than one at a time. */
void nermodel_find_many(const struct nermodel *m, const uint64_t *h, size_t n, int32_t *rows);

/* The NER_NTAGS stored weights of a row found by nermodel_find (borrowed; times the scale
 * they are the weights). Rows are consecutive: row r is nermodel_row(m, 0) + r * NER_NTAGS
 * (for a model with features). */
const int16_t *nermodel_row(const struct nermodel *m, int32_t row);

/* The same decoding as nermodel_decode from each token's sums of stored weights, already
 * added up: sums[i * NER_NTAGS + t] for token i and tag t. Same result as nermodel_decode
 * with the features whose rows were summed. Returns 0, or -1 on allocation failure. */
int nermodel_decode_sums(const struct nermodel *m, const int32_t *sums, size_t n, uint8_t *tags);

/* Serialises weights: keys[nfeat] (distinct), w[nfeat * NER_NTAGS] (feature-major),
 * trans[(NER_NTAGS + 1) * NER_NTAGS]. Weights whose magnitude rounds to zero are dropped and
 * so are features left with none. Returns 0 and a new buffer in *buf (caller frees), or -1. */
int nermodel_serialize(const uint32_t *keys, const float *w, size_t nfeat, const float *trans,
                       unsigned char **buf, size_t *len);

#endif
