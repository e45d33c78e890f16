/* fingerprint.h: near-duplicate fingerprints of article bodies and exact-copy content hashes.
 * Winnowed word k-gram hashes (Schleimer, Wilkerson, Aiken, SIGMOD 2003) over the words of
 * textnorm_split, compared by containment (share of the smaller set found in the other) and
 * resemblance (Jaccard). Pure computation, no I/O; thread-safe. */
#ifndef ARTICLED_FINGERPRINT_H
#define ARTICLED_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/textnorm.h"

/* Default k-gram length in words and winnowing window in k-grams. Guarantee: two texts that
 * share a run of at least FINGERPRINT_K + FINGERPRINT_W - 1 = 6 normalised words share at least
 * one fingerprint (every window of W consecutive k-grams inside the run is the same in both,
 * and each text keeps the minimum of every window). Runs shorter than K words are never seen.
 * About 2 / (W + 1) = 2/3 of the k-grams are kept.
 * Measured with tools/dupe_eval --offline (and --sweep) against exact shingle containment:
 * k=5 is the length the evaluation uses and keeps stock phrases ("said in a statement") from
 * linking unrelated articles. On articles of 50+ words w=2, 3 and 4 all reach recall and
 * precision >= 0.98; on Reuters-21578, whose many 10-40 word items give a few fingerprints
 * each, recall at containment >= 0.5 is 0.99 with w=2, 0.96 with w=3, 0.90 with w=4 (precision
 * 0.99 / 0.87 / 0.76): a sample of three fingerprints cannot estimate containment within 0.1.
 * w=2 costs 90 fingerprints per Reuters article and ~250 per BBC article (w=4: 54 / 150). */
#define FINGERPRINT_K 5
#define FINGERPRINT_W 2

/* The sparser set that goes into the store's inverted index (candidates are
 * found through it; containment is then computed exactly on the W sets).
 * Winnowing with a window of 6 keeps about 2/7 of the k-grams and is a subset
 * of the W=2 set; guarantee: two texts sharing a run of at least K + 6 - 1 = 10
 * normalised words share an index fingerprint, whatever else either contains
 * (selection depends only on the run's own words). */
#define FINGERPRINT_INDEX_W 6

/* A fingerprint set: hashes sorted ascending (as signed 64-bit, SQLite INTEGER order) and
 * unique. nwords counts the normalised words the text had. */
struct fingerprint_set {
    int64_t *hashes;
    size_t n;
    size_t nwords;
};

/* Computes the winnowed fingerprints (FINGERPRINT_K, FINGERPRINT_W) of body[0..len), valid
 * UTF-8. A text too short for one window keeps all its k-grams; a text of fewer than K words
 * gets one hash of its whole word sequence; an empty one gets none. Returns 0, or -1 on
 * allocation failure. Caller owns out (fingerprint_set_free), also after -1. */
int fingerprint_compute(const char *body, size_t len, struct fingerprint_set *out);

/* Like fingerprint_compute with k-gram length k >= 1 and window w >= 1; w = 1 keeps every
 * k-gram (the full shingle set). For evaluation and tuning. */
int fingerprint_compute_kw(const char *body, size_t len, unsigned k, unsigned w,
                           struct fingerprint_set *out);

/* Like fingerprint_compute_kw on words already split by textnorm_split (borrowed), so one
 * normalisation can serve both the fingerprints and the content hash. */
int fingerprint_from_words(const struct textnorm_words *words, unsigned k, unsigned w,
                           struct fingerprint_set *out);

/* Frees set->hashes (NULL-safe) and empties the set. */
void fingerprint_set_free(struct fingerprint_set *set);

/* Writes the SHA-256 of the normalised body (its words joined by single spaces) as 64
 * lowercase hex digits plus NUL into out: bodies that differ only in case, spacing,
 * punctuation, quotes, diacritics, honorifics or "per cent" get the same hash.
 * Returns 0, or -1 on allocation failure. */
int fingerprint_content_hash(const char *body, size_t len, char out[65]);

/* Like fingerprint_content_hash on words already split by textnorm_split (borrowed). */
void fingerprint_words_hash(const struct textnorm_words *words, char out[65]);

/* Number of hashes two sets share (both sorted and unique, as produced here). */
size_t fingerprint_shared(const struct fingerprint_set *a, const struct fingerprint_set *b);

/* containment = shared / min(a->n, b->n); 0 when either set is empty. */
double fingerprint_containment(const struct fingerprint_set *a, const struct fingerprint_set *b);

/* resemblance = shared / (a->n + b->n - shared) (Jaccard); 0 when both are empty. */
double fingerprint_resemblance(const struct fingerprint_set *a, const struct fingerprint_set *b);

#endif
