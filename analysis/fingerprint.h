/* fingerprint.h: near-duplicate fingerprints of article bodies and exact-copy content hashes.
 * Winnowed word k-gram hashes (Schleimer, Wilkerson, Aiken, SIGMOD 2003) over the words of
 * textnorm_split, compared by containment (share of the smaller set found in the other) and
 * resemblance (Jaccard). Pure computation, no I/O; thread-safe. */
#ifndef ARTICLED_FINGERPRINT_H
#define ARTICLED_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/textnorm.h"

/* The whole set of a text is every word k-gram (K = 5 normalised words, W = 1: no winnowing):
 * containment and resemblance are then exact on shingle sets (up to 64-bit hash collisions),
 * the measure the evaluation's truth uses. K = 5 keeps stock phrases ("said in a statement")
 * from linking unrelated articles. With W = 2 (the first design) the set was a 2/3 sample,
 * which cannot estimate the containment of a 20-word Reuters item within 0.1. */
#define FINGERPRINT_K 5
#define FINGERPRINT_W 1

/* The index set is what goes into the store's inverted index; candidates are found by looking
 * up one text's index set among the others' (a symmetric relation: if A finds B, B finds A),
 * then scored exactly on the whole sets. Its tokens are ordered pairs of k-grams: winnowing
 * with a window of FINGERPRINT_INDEX_W k-grams keeps the minimum of every window (about
 * 2 / (W + 1) of them, chosen by the window's own words only), and each kept k-gram is paired
 * with the next one kept. A pair needs two texts to share the stretch between the two picks,
 * where a single k-gram is shared by any two articles that use the same stock phrase: on the
 * synthetic benchmark corpus (Markov text from real articles) a third of single winnowed
 * k-grams were in some other article's index at 40,000 articles, and each of them cost an
 * index probe. A text with at most FINGERPRINT_INDEX_ALL_BELOW k-grams (a wire brief) also
 * pairs every k-gram with the next. Guarantee: two texts that share a run of at least
 * K + 2 * FINGERPRINT_INDEX_W - 1 normalised words (two whole windows, so two picks in a row
 * inside the run, the same in both) share an index token; K + 1 words when both are short.
 * Measured with tools/dupe_eval against brute force: see README ("Near-duplicates"). */
#ifndef FINGERPRINT_INDEX_W
#define FINGERPRINT_INDEX_W 8
#endif
#ifndef FINGERPRINT_INDEX_ALL_BELOW
#define FINGERPRINT_INDEX_ALL_BELOW 50
#endif

/* A fingerprint set: hashes sorted ascending (as signed 64-bit, SQLite INTEGER order) and
 * unique. nwords counts the normalised words the text had. */
struct fingerprint_set {
    int64_t *hashes;
    size_t n;
    size_t nwords;
};

/* Computes the fingerprints (FINGERPRINT_K, FINGERPRINT_W: every k-gram) of body[0..len), valid
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

/* The index set of a text whose words (borrowed) gave the whole set full (borrowed): the pair
 * tokens described above, sorted and unique (not a subset of full). Returns 0, or -1 on
 * allocation failure; the caller frees out, also after -1. */
int fingerprint_index_from_words(const struct textnorm_words *words,
                                 const struct fingerprint_set *full, struct fingerprint_set *out);

/* Both sets at once (the whole set, every k-gram, and the index set), hashing each k-gram
 * once: what fingerprint_from_words(K, W) and fingerprint_index_from_words give. Returns 0, or
 * -1 on allocation failure; the caller frees both, also after -1. */
int fingerprint_sets_from_words(const struct textnorm_words *words, struct fingerprint_set *full,
                                struct fingerprint_set *index);

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
