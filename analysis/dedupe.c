/* dedupe.c: the near-duplicate rules (see dedupe.h). */
#include "analysis/dedupe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/textnorm.h"

int dedupe_sets(const char *body, size_t len, struct fingerprint_set *full,
                struct fingerprint_set *index, char *content_hash)
{
    struct textnorm_words words = TEXTNORM_WORDS_INIT;
    int ret = -1;

    if (textnorm_split(body, len, &words) != 0)
        goto out;
    if (content_hash != NULL)
        fingerprint_words_hash(&words, content_hash);
    if (full != NULL && fingerprint_sets_from_words(&words, full, index) != 0)
        goto out;
    ret = 0;
out:
    textnorm_words_free(&words);
    return ret;
}

/* ---- candidates ------------------------------------------------------------ */

double dedupe_estimate(const struct dedupe_candidate *c, double scale,
                       const struct fingerprint_set *full, const struct fingerprint_set *index)
{
    double n_c = (double)c->n_all;
    double d_c = n_c > 0 ? (double)c->n_index / n_c : 1.0;
    double d_q = full->n > 0 ? (double)index->n / (double)full->n : 1.0;
    double d = d_c < d_q ? d_c : d_q, n = n_c < (double)full->n ? n_c : (double)full->n;
    return d > 0 && n > 0 ? (double)c->hits * scale / d / n : 0.0;
}

static int cmp_candidate(const void *a, const void *b)
{
    const struct dedupe_candidate *x = a, *y = b;
    if (x->hits != y->hits)
        return x->hits < y->hits ? 1 : -1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

size_t dedupe_candidates_pick(struct dedupe_candidate *cands, size_t n, double scale,
                              const struct fingerprint_set *full,
                              const struct fingerprint_set *index, double min_containment)
{
    size_t kept = 0;

    if (n > 1)
        qsort(cands, n, sizeof *cands, cmp_candidate);
    if (n > DEDUPE_CANDIDATES)
        n = DEDUPE_CANDIDATES;
    for (size_t i = 0; i < n; i++) {
        struct dedupe_candidate c = cands[i];
        /* the hits are a draw (from a sample of the tokens, and of where
         * winnowing cut the shared runs): judged at their upper bound, or
         * one side of a pair drops the other that the other side finds */
        c.hits = (size_t)ceil((double)c.hits + 2.0 * sqrt((double)c.hits) + 1.0);
        if (c.sized &&
            dedupe_estimate(&c, scale, full, index) < DEDUPE_ESTIMATE_SLACK * min_containment)
            continue;
        cands[kept++] = cands[i];
    }
    return kept;
}

void dedupe_score(const struct fingerprint_set *a, const struct fingerprint_set *b,
                  double *containment, double *resemblance)
{
    size_t shared = fingerprint_shared(a, b);
    size_t smaller = a->n < b->n ? a->n : b->n;
    size_t either = a->n + b->n - shared;
    *containment = smaller ? (double)shared / (double)smaller : 0.0;
    *resemblance = either ? (double)shared / (double)either : 0.0;
}

/* ---- near lists ------------------------------------------------------------- */

int dedupe_near_add(struct dedupe_near_list *list, const char *id, int64_t seq, int64_t grp,
                    int exact, double containment, double resemblance)
{
    struct dedupe_near *items = realloc(list->items, (list->n + 1) * sizeof *items);
    char *copy;

    if (items == NULL)
        return -1;
    list->items = items;
    copy = strdup(id);
    if (copy == NULL)
        return -1;
    items[list->n++] = (struct dedupe_near){copy, seq, grp, exact, containment, resemblance};
    return 0;
}

static int cmp_near(const void *a, const void *b)
{
    const struct dedupe_near *x = a, *y = b;
    if (x->containment != y->containment)
        return x->containment < y->containment ? 1 : -1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

void dedupe_rank(struct dedupe_near_list *list)
{
    if (list->n > 1)
        qsort(list->items, list->n, sizeof *list->items, cmp_near);
}

void dedupe_near_list_free(struct dedupe_near_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->n; i++)
        free(list->items[i].id);
    free(list->items);
    memset(list, 0, sizeof *list);
}

double dedupe_containment_of(const struct dedupe_near_list *list, int64_t seq)
{
    for (size_t i = 0; i < list->n; i++)
        if (list->items[i].seq == seq)
            return list->items[i].containment;
    return -1.0;
}

int dedupe_near_has(const struct dedupe_near_list *list, const char *id)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->items[i].id, id) == 0)
            return 1;
    return 0;
}

int64_t dedupe_group(const struct dedupe_near_list *near)
{
    for (size_t i = 0; i < near->n; i++) {
        const struct dedupe_near *nr = &near->items[i];
        if (nr->containment < DEDUPE_GROUP_MIN_CONTAINMENT)
            break; /* ranked by containment */
        if (nr->grp == nr->seq ||
            dedupe_containment_of(near, nr->grp) >= DEDUPE_GROUP_MIN_CONTAINMENT)
            return nr->grp;
    }
    return 0;
}

/* ---- copies inside one request ---------------------------------------------- */

struct batch_entry {
    uint64_t token; /* 0: empty slot (a token of 0 is stored as 1) */
    uint32_t idx;
};

struct dedupe_batch {
    struct batch_entry *slots;
    size_t cap, n;
    uint32_t *found; /* scratch: the entries one look-up hit, one per shared token */
    size_t found_cap;
};

struct dedupe_batch *dedupe_batch_new(void)
{
    return calloc(1, sizeof(struct dedupe_batch));
}

void dedupe_batch_free(struct dedupe_batch *b)
{
    if (b == NULL)
        return;
    free(b->slots);
    free(b->found);
    free(b);
}

static uint64_t batch_key(int64_t token)
{
    return token == 0 ? 1 : (uint64_t)token;
}

static size_t batch_slot(const struct dedupe_batch *b, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (b->cap - 1);
    while (b->slots[i].token != 0 && b->slots[i].token != key)
        i = (i + 1) & (b->cap - 1);
    return i;
}

/* Makes room for need more entries: drops the stale ones (below visible),
 * then doubles the map while it would be more than half full. */
static int batch_grow(struct dedupe_batch *b, size_t need, size_t visible)
{
    struct batch_entry *old = b->slots;
    size_t old_cap = b->cap, cap = b->cap ? b->cap : 4096, live = 0;
    if ((b->n + need) * 2 <= b->cap)
        return 0;
    for (size_t i = 0; i < old_cap; i++)
        live += old[i].token != 0 && old[i].idx >= visible;
    /* rebuilt at the same size if that leaves it at most a quarter full */
    while ((live + need) * 4 > cap)
        cap *= 2;
    b->slots = calloc(cap, sizeof *b->slots);
    if (b->slots == NULL) {
        b->slots = old;
        return -1;
    }
    b->cap = cap;
    b->n = live;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].token != 0 && old[i].idx >= visible)
            b->slots[batch_slot(b, old[i].token)] = old[i];
    free(old);
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

size_t dedupe_batch_best(struct dedupe_batch *b, const struct fingerprint_set *index,
                         size_t visible)
{
    size_t best = SIZE_MAX, best_hits = 0, nfound = 0;

    if (b == NULL || b->cap == 0 || index->n == 0)
        return SIZE_MAX;
    if (b->found_cap < index->n) {
        uint32_t *bigger = realloc(b->found, index->n * sizeof *bigger);
        if (bigger == NULL)
            return SIZE_MAX;
        b->found = bigger;
        b->found_cap = index->n;
    }
    for (size_t i = 0; i < index->n; i++) {
        size_t s = batch_slot(b, batch_key(index->hashes[i]));
        if (b->slots[s].token != 0 && b->slots[s].idx >= visible)
            b->found[nfound++] = b->slots[s].idx;
    }
    if (nfound > 1)
        qsort(b->found, nfound, sizeof *b->found, cmp_u32);
    for (size_t i = 0; i < nfound;) {
        size_t j = i;
        while (j < nfound && b->found[j] == b->found[i])
            j++;
        if (j - i > best_hits) {
            best_hits = j - i;
            best = b->found[i];
        }
        i = j;
    }
    return best;
}

int dedupe_batch_put(struct dedupe_batch *b, size_t idx, const struct fingerprint_set *index,
                     size_t visible)
{
    if (b == NULL || idx > UINT32_MAX || batch_grow(b, index->n, visible) != 0)
        return -1;
    for (size_t i = 0; i < index->n; i++) {
        uint64_t key = batch_key(index->hashes[i]);
        size_t s = batch_slot(b, key);
        if (b->slots[s].token == 0)
            b->n++;
        if (b->slots[s].token == 0 || b->slots[s].idx < visible)
            b->slots[s] = (struct batch_entry){key, (uint32_t)idx};
    }
    return 0;
}

enum dedupe_join dedupe_batch_join(const struct dedupe_peer *peer,
                                   const struct dedupe_near_list *near, int64_t *grp)
{
    *grp = 0;
    if (!peer->has_founder && peer->near_grp == 0)
        return DEDUPE_JOIN_PEER;
    /* a committed founder's sets are gone, but the store's look-up saw it
     * and gave this entry's containment with it */
    if (peer->has_founder && peer->founder_committed) {
        if (dedupe_containment_of(near, peer->founder_grp) < DEDUPE_GROUP_MIN_CONTAINMENT)
            return DEDUPE_JOIN_NONE;
        *grp = peer->founder_grp;
        return DEDUPE_JOIN_GROUP;
    }
    if (peer->has_founder && peer->founder_containment >= DEDUPE_GROUP_MIN_CONTAINMENT)
        return DEDUPE_JOIN_FOUNDER;
    if (peer->near_grp != 0 &&
        dedupe_containment_of(near, peer->near_grp) >= DEDUPE_GROUP_MIN_CONTAINMENT) {
        *grp = peer->near_grp;
        return DEDUPE_JOIN_GROUP;
    }
    return DEDUPE_JOIN_NONE;
}
