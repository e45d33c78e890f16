/* stage_near.c: the near copies of an article already stored (near.h: the
 * store's fingerprint postings, then exact containment) and the copy group
 * it joins (dedupe_group); see stages.h. */
#include "analysis/dedupe.h"
#include "pipeline/near.h"
#include "pipeline/stages.h"

int stage_near(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err)
{
    struct article *a = &op->article;
    /* the group rule needs the close copies even when fewer are reported */
    double lookup = ctx->min_containment < DEDUPE_GROUP_MIN_CONTAINMENT
                        ? ctx->min_containment
                        : DEDUPE_GROUP_MIN_CONTAINMENT;

    if (!ctx->duplicates)
        return 0;
    if (near_find(ctx->store, &op->fps, &op->index, a->id, a->content_hash, lookup, &op->near,
                  err) != 0)
        return -1;
    op->near_grp = dedupe_group(&op->near);
    return 0;
}
