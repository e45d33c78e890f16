/* story.h: what makes two reports one story, as pure functions. An article's
 * signature (its content words and entities, weighted by where they appear),
 * its vector (the signature weighted by rarity: IDF from counts the store
 * keeps), a story's centroid (bounded: its STORY_CENTROID_MAX heaviest
 * features), the similarity of an article to a story and the join rule.
 * No I/O: the store reads counts and centroids and writes them back
 * (store/store_story.c); tools/story_eval measures these same functions. */
#ifndef ARTICLED_STORY_H
#define ARTICLED_STORY_H

#include <stddef.h>
#include <stdint.h>

/* Features an article's signature keeps (title words first, then the body's
 * by frequency and position), and its vector keeps after rarity. */
#define STORY_SIG_MAX 96
#define STORY_VEC_MAX 48
/* Features a story's centroid keeps, and of those the heaviest that go into
 * the candidate index (story_terms). */
#define STORY_CENTROID_MAX 64
#define STORY_INDEX_TERMS 24
/* The article's rarest features looked up in the index, stories read per
 * look-up, and candidates scored in full. */
#define STORY_PROBES 8
#define STORY_PROBE_LIMIT 16
#define STORY_CANDIDATES 24
/* Body words read (the lead carries the event). */
#define STORY_BODY_WORDS 1500
/* Default join window: +-3 days around the article's time. */
#define STORY_DEFAULT_WINDOW (3 * 86400)
/* Default similarity from which an article of STORY_FULL_FEATURES
 * features or more joins a story (--story-threshold); an article of at most
 * STORY_SHORT_FEATURES (a headline, a brief) joins from STORY_SHORT_SHARE of
 * it, and the threshold goes linearly between the two: a short text shares
 * fewer words with its story than a full report does, and its cosine with
 * the story's centroid is lower for the same evidence. */
#define STORY_DEFAULT_THRESHOLD 0.40
#define STORY_SHORT_SHARE 0.25
#define STORY_SHORT_FEATURES 8
#define STORY_FULL_FEATURES 32
/* The rarity weight (story_idf) is capped at this. */
#define STORY_IDF_CAP 2.5
/* An article joins only a story that shares one of its anchors: a feature
 * counted in at most STORY_ANCHOR_DF stories, or in at most one story in
 * STORY_ANCHOR_SHARE (df and n count stories, see store/store_story.c).
 * Two results tables, two market reports share many words and no name:
 * their cosine can pass the threshold; once those words are in more than
 * one story in seven, the anchor rule keeps them apart. The floor keeps a
 * young store (a few stories) from having no anchors at all. */
#define STORY_ANCHOR_DF 2
#define STORY_ANCHOR_SHARE 7

/* One feature: a 64-bit hash of a word or an entity key, and a weight. */
struct story_feat {
    int64_t h;
    float w;
};

/* A signature (weights before rarity) or a vector / centroid (after). A
 * vector and a centroid are sorted by h. Owns f. */
struct story_vec {
    struct story_feat *f;
    size_t n;
};

/* An entity of the article, as the entity stage found it (borrowed). */
struct story_entity_in {
    const char *key;
    const char *type;  /* "person", "organization", "location", or other */
    unsigned mentions; /* in the article (0 counts as 1) */
};

/* The signature of an article: its content words (stop words and bare
 * numbers dropped, a plural s stripped) from title (weight STORY_TITLE_WEIGHT) and the first
 * STORY_BODY_WORDS words of body (1 + ln tf), and its entities (people and
 * organisations above places, each 1 + ln mentions times its type's). Keeps at most STORY_SIG_MAX, heaviest
 * first (ties: first seen). Returns 0 or -1 (out of memory); free with
 * story_vec_free, also after -1. */
int story_sig_compute(const char *title, const char *body, size_t body_len,
                      const struct story_entity_in *ents, size_t nents, struct story_vec *out);

/* Frees what v holds and zeroes it. NULL-safe. */
void story_vec_free(struct story_vec *v);

/* The rarity weight of a feature carried by df of n articles. */
double story_idf(int64_t df, int64_t n);

/* The article's vector: sig's weights times story_idf(df[i], n), its
 * STORY_VEC_MAX heaviest, unit length, sorted by h. 0 or -1. */
int story_vec_make(const struct story_vec *sig, const int64_t *df, int64_t n,
                   struct story_vec *out);

/* Indexes (into a, a vector) of its up to max heaviest features, heaviest
 * first (ties: lower h): the rarest, which the index is probed with.
 * Returns how many. */
size_t story_probe_order(const struct story_vec *a, size_t *out, size_t max);

/* Cosine of article vector a and centroid c (both sorted by h), in [0, 1]. */
double story_similarity(const struct story_vec *a, const struct story_vec *c);

/* The similarity from which an article whose vector has n features joins
 * a story, for a threshold of full (see STORY_DEFAULT_THRESHOLD). */
double story_threshold(size_t n, double full);

/* How much the time distance lowers a similarity: 1 inside the story's span
 * [first, last], falling linearly to 0.75 at window seconds from it, 0
 * beyond (the article is not compared). */
double story_time_factor(int64_t t, int64_t first, int64_t last, int64_t window);

/* The join rule: the candidate (scores[i], ids[i]) an article joins, the
 * highest score at or above threshold, ties to the lower id; -1: none, the
 * article starts a story. */
long story_pick(const double *scores, const int64_t *ids, size_t n, double threshold);

/* c += a (a unit vector), then c keeps its STORY_CENTROID_MAX heaviest
 * features (ties: lower h), sorted by h. 0 or -1 (c unchanged). */
int story_centroid_add(struct story_vec *c, const struct story_vec *a);

/* The hashes of c's up to STORY_INDEX_TERMS heaviest features (ties: lower
 * h), sorted ascending, into out. Returns how many. */
size_t story_index_terms(const struct story_vec *c, int64_t *out);

/* A centroid as bytes (12 a feature, little-endian) and back. encode:
 * a new buffer of *len bytes (NULL on failure). decode: 0 or -1. */
unsigned char *story_centroid_encode(const struct story_vec *c, size_t *len);
int story_centroid_decode(const void *buf, size_t len, struct story_vec *out);

/* The anchors of an article: the hashes of its signature's features that
 * df[i] of n count as rare (see STORY_ANCHOR_DF), sorted, into out (room
 * for sig->n). Returns how many. */
size_t story_anchors(const struct story_vec *sig, const int64_t *df, int64_t n, int64_t *out);

/* How many of anchors[0..n) (sorted) are features of c (sorted by h). */
size_t story_anchors_shared(const struct story_vec *c, const int64_t *anchors, size_t n);

/* Title words count this much against one body occurrence. */
#define STORY_TITLE_WEIGHT 2.0f

#endif
