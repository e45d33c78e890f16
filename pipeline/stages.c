/* stages.c: the stage list (see stages.h). A new stage is a file of its own
 * and one line here. */
#include "pipeline/stages.h"

#include "analysis/dedupe.h"
#include "store/article.h"

const struct pipeline_stage pipeline_stages[] = {
    {"normalise", PIPELINE_ANALYSE, stage_normalise},
    {"entities", PIPELINE_ANALYSE, stage_entities},
    {"near copies", PIPELINE_RESOLVE, stage_near},
};

const size_t pipeline_nstages = sizeof pipeline_stages / sizeof pipeline_stages[0];

int pipeline_stages_run(const struct pipeline_ctx *ctx, enum pipeline_phase phase,
                        struct store_op *op, struct error *err)
{
    for (size_t i = 0; i < pipeline_nstages; i++)
        if (pipeline_stages[i].phase == phase && pipeline_stages[i].run(ctx, op, err) != 0)
            return -1;
    return 0;
}

void pipeline_op_clear(struct store_op *op)
{
    article_clear(&op->article);
    fingerprint_set_free(&op->fps);
    fingerprint_set_free(&op->index);
    dedupe_near_list_free(&op->near);
    if (op->ents.release != NULL)
        op->ents.release(&op->ents);
}
