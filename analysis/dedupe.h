/* dedupe.h: the near-duplicate rules as pure functions over fingerprint sets
 * and postings: one normalisation gives the content hash and both sets, index
 * postings give candidates and an estimate, whole sets give exact scores, and
 * a group rule decides which copy group a new article joins. No I/O: the
 * store hands over postings and texts, near_find (handlers/near.c) runs a
 * whole look-up, and tools/dupe_eval measures these same functions. */
#ifndef ARTICLED_DEDUPE_H
#define ARTICLED_DEDUPE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/fingerprint.h"

/* Near copies at or above this containment are one story: they share a copy
 * group, which `duplicates=collapse` search folds into one hit. */
#define DEDUPE_GROUP_MIN_CONTAINMENT 0.7
/* min_containment when a request names none. */
#define DEDUPE_DEFAULT_MIN_CONTAINMENT 0.5
/* At most this many candidates (those sharing the most index tokens) are
 * scored exactly for one look-up. */
#define DEDUPE_CANDIDATES 200
/* A candidate whose containment, estimated from the index sets alone, is
 * below this share of the threshold is not scored (its text is not read): a
 * true copy shares a run of index tokens, an unrelated article that shares a
 * phrase or two shares one or two. */
#define DEDUPE_ESTIMATE_SLACK 0.5

/* The whole set (every k-gram) and the index set of body, from one
 * normalisation; content_hash (may be NULL) gets the exact-copy hash (65
 * bytes). full NULL: the hash alone. Returns 0 or -1 (out of memory); the
 * caller frees both sets, also after -1. */
int dedupe_sets(const char *body, size_t len, struct fingerprint_set *full,
                struct fingerprint_set *index, char *content_hash);

/* A stored article sharing index tokens with a query: how many of the
 * tokens looked up it carries, and its stored set sizes when known. */
struct dedupe_candidate {
    int64_t seq;
    size_t hits;
    int sized;             /* n_all and n_index are known */
    size_t n_all, n_index; /* sizes of its whole set and its index set */
};

/* The containment of a sized candidate estimated from the index sets alone:
 * each side's index keeps a share d of its k-grams (1 for a short text), so
 * the hits, scaled up by scale for the tokens not looked up, stand for about
 * hits / min(d) shared k-grams, over the smaller whole set. */
double dedupe_estimate(const struct dedupe_candidate *c, double scale,
                       const struct fingerprint_set *full, const struct fingerprint_set *index);

/* Orders cands by hits (most first, then seq), keeps the first
 * DEDUPE_CANDIDATES and of those the ones worth scoring (unsized, or
 * estimated, from an upper bound of their hits, at least
 * DEDUPE_ESTIMATE_SLACK * min_containment), in place.
 * Returns how many are kept. */
size_t dedupe_candidates_pick(struct dedupe_candidate *cands, size_t n, double scale,
                              const struct fingerprint_set *full,
                              const struct fingerprint_set *index, double min_containment);

/* Exact scores of two whole sets: containment = shared / the smaller set
 * (0 when either is empty; symmetric), resemblance = Jaccard. */
void dedupe_score(const struct fingerprint_set *a, const struct fingerprint_set *b,
                  double *containment, double *resemblance);

/* A near copy found for a text. */
struct dedupe_near {
    char *id;         /* owned by the list */
    int64_t seq, grp; /* 0 for a copy inside the same request */
    int exact;        /* same normalised text (content hash) as the query */
    double containment;
    double resemblance;
};

struct dedupe_near_list {
    struct dedupe_near *items; /* containment descending once ranked */
    size_t n;
};

/* Appends a copy of id with these scores. Returns 0 or -1 (out of memory). */
int dedupe_near_add(struct dedupe_near_list *list, const char *id, int64_t seq, int64_t grp,
                    int exact, double containment, double resemblance);

/* Ranks list: containment descending, then seq ascending. */
void dedupe_rank(struct dedupe_near_list *list);

/* Frees the ids and items (NULL-safe) and empties the list. */
void dedupe_near_list_free(struct dedupe_near_list *list);

/* The containment list gives the article seq, or -1 when it is not there. */
double dedupe_containment_of(const struct dedupe_near_list *list, int64_t seq);

/* 1 if list names id. */
int dedupe_near_has(const struct dedupe_near_list *list, const char *id);

/* The group rule for stored copies: an article joins the copy group of a
 * close near copy (containment >= DEDUPE_GROUP_MIN_CONTAINMENT) only when it
 * is also a close copy of the group's founder (the group is named by its
 * founder's seq): a text glued under another story must not pull that
 * story's group into its own. near must be ranked. Returns the group or 0. */
int64_t dedupe_group(const struct dedupe_near_list *near);

/* Near copies inside one request: a map from index token to the first entry
 * (a position in the caller's array of a request's texts) not yet visible to
 * the store that carries it, the same tokens as the store's index, so the
 * same guarantee. Entries below `visible` are committed: the store's look-up
 * finds them, a later entry takes their slots, and they are dropped when the
 * map fills, so it holds the entries in flight, not the whole request. */
struct dedupe_batch;

/* A new empty map (NULL when out of memory); dedupe_batch_free frees it. */
struct dedupe_batch *dedupe_batch_new(void);
void dedupe_batch_free(struct dedupe_batch *b);

/* The entry (at least visible) that shares the most of index's tokens, ties
 * to the lower entry, or SIZE_MAX when none does (or out of memory). */
size_t dedupe_batch_best(struct dedupe_batch *b, const struct fingerprint_set *index,
                         size_t visible);

/* Indexes entry idx under index's tokens (a slot stays with its earlier
 * entry while that one is in flight). Returns 0 or -1 (out of memory). */
int dedupe_batch_put(struct dedupe_batch *b, size_t idx, const struct fingerprint_set *index,
                     size_t visible);

/* The group rule inside one request, for an entry close to its best earlier
 * entry `peer` (containment >= DEDUPE_GROUP_MIN_CONTAINMENT) that found no
 * stored group: what it joins. */
enum dedupe_join {
    DEDUPE_JOIN_NONE,
    DEDUPE_JOIN_PEER,    /* the peer founds a group: join it */
    DEDUPE_JOIN_FOUNDER, /* the peer joined an earlier entry in flight, close to this one too */
    DEDUPE_JOIN_GROUP    /* a stored group (*grp) whose founder this one is close to */
};

/* What the rule needs to know about the peer. */
struct dedupe_peer {
    int has_founder;            /* the peer joined an earlier entry of the request */
    int founder_committed;      /* that entry is below visible (its sets may be gone) */
    int64_t founder_grp;        /* its group, once committed */
    double founder_containment; /* this entry's containment with it, when in flight */
    int64_t near_grp;           /* the stored group the peer joined, or 0 */
};

/* Applies the rule: near is this entry's stored look-up (ranked), which gave
 * the containment of every committed founder it is close to. *grp gets the
 * stored group for DEDUPE_JOIN_GROUP. */
enum dedupe_join dedupe_batch_join(const struct dedupe_peer *peer,
                                   const struct dedupe_near_list *near, int64_t *grp);

#endif
