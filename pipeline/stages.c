/* stages.c: the stage list (see stages.h). A new stage is a file of its own
 * and one line here. */
#include "pipeline/stages.h"

#include <stdatomic.h>
#include <time.h>

#include "analysis/dedupe.h"
#include "store/article.h"

const struct pipeline_stage pipeline_stages[] = {
    {"language", PIPELINE_ANALYSE, stage_language},
    {"normalise", PIPELINE_ANALYSE, stage_normalise},
    {"entities", PIPELINE_ANALYSE, stage_entities},
    {"near-copies", PIPELINE_RESOLVE, stage_near},
    {"story", PIPELINE_ANALYSE, stage_story},
};

const size_t pipeline_nstages = sizeof pipeline_stages / sizeof pipeline_stages[0];

_Static_assert(sizeof pipeline_stages / sizeof pipeline_stages[0] < PIPELINE_TIMED_MAX,
               "stage times: one slot for parsing, one per stage");

static _Atomic unsigned long long stage_ns[PIPELINE_TIMED_MAX], stage_count[PIPELINE_TIMED_MAX];

unsigned long long pipeline_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

void pipeline_stage_time_add(size_t i, unsigned long long ns)
{
    if (i < PIPELINE_TIMED_MAX) {
        atomic_fetch_add(&stage_ns[i], ns);
        atomic_fetch_add(&stage_count[i], 1);
    }
}

size_t pipeline_stage_times(struct pipeline_stage_time *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i <= pipeline_nstages && n < max; i++, n++) {
        out[n].name = i == 0 ? "parse" : pipeline_stages[i - 1].name;
        out[n].ns = atomic_load(&stage_ns[i]);
        out[n].count = atomic_load(&stage_count[i]);
    }
    return n;
}

int pipeline_stages_run(const struct pipeline_ctx *ctx, enum pipeline_phase phase,
                        struct store_op *op, struct error *err)
{
    for (size_t i = 0; i < pipeline_nstages; i++) {
        unsigned long long t0;
        int rc;
        if (pipeline_stages[i].phase != phase)
            continue;
        t0 = pipeline_now_ns();
        rc = pipeline_stages[i].run(ctx, op, err);
        pipeline_stage_time_add(i + 1, pipeline_now_ns() - t0);
        if (rc != 0)
            return -1;
    }
    return 0;
}

void pipeline_op_clear(struct store_op *op)
{
    article_clear(&op->article);
    fingerprint_set_free(&op->fps);
    fingerprint_set_free(&op->index);
    dedupe_near_list_free(&op->near);
    story_vec_free(&op->story_sig);
    if (op->ents.release != NULL)
        op->ents.release(&op->ents);
}
