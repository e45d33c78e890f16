/* batch.c: near copies inside one _bulk request (see pipeline_int.h). */
#include <stdlib.h>
#include <string.h>

#include "analysis/fingerprint.h"
#include "pipeline/pipeline_int.h"

/* Open-addressing map: index token -> the first op of the request not yet
 * committed that has it (the same tokens as the store's index, so the same
 * guarantee). An entry naming a committed op is stale: the store's look-up
 * finds that op, a later op with the token takes the slot over, and stale
 * entries are dropped when the map fills, so it holds the ops in flight, not
 * the whole request. */
struct batch_entry {
    uint64_t token; /* 0: empty slot (a token of 0 is stored as 1) */
    uint32_t op;
};

struct pipeline_batch {
    struct batch_entry *slots;
    size_t cap, n;
    uint32_t *found; /* scratch: the ops one look-up hit, one per shared token */
    size_t found_cap;
};

struct pipeline_batch *pipeline_batch_new(void)
{
    return calloc(1, sizeof(struct pipeline_batch));
}

void pipeline_batch_free(struct pipeline_batch *b)
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

static size_t batch_slot(const struct pipeline_batch *b, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (b->cap - 1);
    while (b->slots[i].token != 0 && b->slots[i].token != key)
        i = (i + 1) & (b->cap - 1);
    return i;
}

/* Makes room for need more entries: drops the stale ones (ops below
 * visible), then doubles the map while it would be more than half full. */
static int batch_grow(struct pipeline_batch *b, size_t need, size_t visible)
{
    struct batch_entry *old = b->slots;
    size_t old_cap = b->cap, cap = b->cap ? b->cap : 4096, live = 0;
    if ((b->n + need) * 2 <= b->cap)
        return 0;
    for (size_t i = 0; i < old_cap; i++)
        live += old[i].token != 0 && old[i].op >= visible;
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
        if (old[i].token != 0 && old[i].op >= visible)
            b->slots[batch_slot(b, old[i].token)] = old[i];
    free(old);
    return 0;
}

/* 1 if near already names id (the store's look-up found it). */
static int near_has(const struct store_near_list *near, const char *id)
{
    for (size_t i = 0; i < near->n; i++)
        if (strcmp(near->items[i].id, id) == 0)
            return 1;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void pipeline_batch_add(struct pipeline_batch *b, struct store_op *ops, size_t idx, size_t visible,
                      double min_containment)
{
    struct store_op *op = &ops[idx];
    size_t best = SIZE_MAX, best_hits = 0, nfound = 0;
    double best_c = 0.0;

    if (b == NULL || op->fps.n == 0 || idx > UINT32_MAX)
        return;
    if (b->found_cap < op->index.n) {
        uint32_t *bigger = realloc(b->found, op->index.n * sizeof *bigger);
        if (bigger == NULL)
            return;
        b->found = bigger;
        b->found_cap = op->index.n;
    }
    if (b->cap > 0)
        for (size_t i = 0; i < op->index.n; i++) {
            size_t s = batch_slot(b, batch_key(op->index.hashes[i]));
            if (b->slots[s].token != 0 && b->slots[s].op >= visible)
                b->found[nfound++] = b->slots[s].op;
        }
    /* The candidate that shares the most tokens, scored exactly. */
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
    if (best != SIZE_MAX) {
        size_t shared = fingerprint_shared(&op->fps, &ops[best].fps);
        size_t smaller = op->fps.n < ops[best].fps.n ? op->fps.n : ops[best].fps.n;
        best_c = smaller ? (double)shared / (double)smaller : 0.0;
        if (best_c >= PIPELINE_GROUP_MIN_CONTAINMENT && op->near_grp == 0) {
            /* join best's group only if this is also close to the group's
             * founder; a committed founder (its sets freed) was seen by the
             * store's look-up, which gave its containment */
            const struct store_op *b = &ops[best];
            size_t founder = b->near_op != NULL ? (size_t)(b->near_op - ops) : SIZE_MAX;
            if (b->near_op == NULL && b->near_grp == 0)
                op->near_op = &ops[best];
            else if (founder < visible)
                op->near_grp = stage_near_containment_of(&op->near, b->near_op->article.grp) >=
                                       PIPELINE_GROUP_MIN_CONTAINMENT
                                   ? b->near_op->article.grp
                                   : 0;
            else if (b->near_op != NULL && fingerprint_containment(&op->fps, &b->near_op->fps) >=
                                               PIPELINE_GROUP_MIN_CONTAINMENT)
                op->near_op = b->near_op;
            else if (b->near_grp != 0 &&
                     stage_near_containment_of(&op->near, b->near_grp) >= PIPELINE_GROUP_MIN_CONTAINMENT)
                op->near_grp = b->near_grp;
        }
        /* a chunk that committed after the look-up began may be in both */
        if (best_c >= min_containment && !near_has(&op->near, ops[best].article.id)) {
            struct store_near *items =
                realloc(op->near.items, (op->near.n + 1) * sizeof *op->near.items);
            if (items != NULL) {
                struct store_near *nr = &items[op->near.n];
                op->near.items = items;
                memset(nr, 0, sizeof *nr);
                nr->id = strdup(ops[best].article.id);
                nr->exact = strcmp(op->article.content_hash, ops[best].article.content_hash) == 0;
                nr->containment = best_c;
                nr->resemblance = (double)shared / (double)(op->fps.n + ops[best].fps.n - shared);
                if (nr->id != NULL)
                    op->near.n++;
            }
        }
    }
    if (batch_grow(b, op->index.n, visible) != 0)
        return;
    for (size_t i = 0; i < op->index.n; i++) {
        uint64_t key = batch_key(op->index.hashes[i]);
        size_t s = batch_slot(b, key);
        if (b->slots[s].token == 0)
            b->n++;
        if (b->slots[s].token == 0 || b->slots[s].op < visible)
            b->slots[s] = (struct batch_entry){key, (uint32_t)idx};
    }
}

