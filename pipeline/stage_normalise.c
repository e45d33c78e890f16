/* stage_normalise.c: one normalisation of the body serves the exact-copy
 * hash and both fingerprint sets (see stages.h). */
#include "analysis/dedupe.h"
#include "pipeline/stages.h"

int stage_normalise(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err)
{
    struct article *a = &op->article;

    if (dedupe_sets(a->body, a->body_len, ctx->duplicates ? &op->fps : NULL, &op->index,
                    a->content_hash) != 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    op->fingerprinted = ctx->duplicates;
    return 0;
}

