/* stage_near.c: the near copies of an article already stored (the store's
 * fingerprint index, then exact containment) and the copy group it joins
 * (see stages.h). */
#include "pipeline/pipeline_int.h"
#include "pipeline/stages.h"

/* The stored containment of the article with seq, from near, or -1. */
double stage_near_containment_of(const struct store_near_list *near, int64_t seq)
{
    for (size_t i = 0; i < near->n; i++)
        if (near->items[i].seq == seq)
            return near->items[i].containment;
    return -1.0;
}

/* An article joins the copy group of a close near copy only when it is also a
 * close copy of the group's earliest article: a text glued under another story
 * must not pull that story's group into its own. Returns the group or 0. */
static int64_t stage_near_group(const struct store_near_list *near)
{
    for (size_t i = 0; i < near->n; i++) {
        const struct store_near *nr = &near->items[i];
        if (nr->containment < PIPELINE_GROUP_MIN_CONTAINMENT)
            break; /* sorted by containment */
        if (nr->grp == nr->seq ||
            stage_near_containment_of(near, nr->grp) >= PIPELINE_GROUP_MIN_CONTAINMENT)
            return nr->grp;
    }
    return 0;
}

int stage_near(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err)
{
    struct article *a = &op->article;
    double lookup = ctx->min_containment < PIPELINE_GROUP_MIN_CONTAINMENT
                        ? ctx->min_containment
                        : PIPELINE_GROUP_MIN_CONTAINMENT;

    if (!ctx->duplicates)
        return 0;
    if (store_near_find(ctx->store, &op->fps, &op->index, a->id, a->content_hash, lookup,
                        &op->near, err) != 0)
        return -1;
    op->near_grp = stage_near_group(&op->near);
    return 0;
}
