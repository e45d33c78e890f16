/* stages.h: the per-article stages of the pipeline, in the order they run
 * (stages.c holds the list). An ANALYSE stage reads the article's text
 * alone (pure: any thread, no lock); a RESOLVE stage may read the store
 * (what is already there: near copies). Each fills its part of the op; the
 * op's owner frees it all with pipeline_op_clear. */
#ifndef ARTICLED_PIPELINE_STAGES_H
#define ARTICLED_PIPELINE_STAGES_H

#include <stddef.h>

#include "analysis/error.h"
#include "store/store.h"

struct entity_extractor;

/* What a stage may read. */
struct pipeline_ctx {
    struct store *store;
    const struct entity_extractor *extractor; /* NULL: entities are off */
    int duplicates;                           /* 1: fingerprints and near copies */
    double min_containment;                   /* near copies reported from here */
};

enum pipeline_phase { PIPELINE_ANALYSE, PIPELINE_RESOLVE };

struct pipeline_stage {
    const char *name;
    enum pipeline_phase phase;
    /* 0 or -1 with err (the article is refused with it) */
    int (*run)(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err);
};

extern const struct pipeline_stage pipeline_stages[];
extern const size_t pipeline_nstages;

/* Time spent in each stage since start, over all threads, and the articles
 * it ran on: index 0 is parsing and validation ("parse"), then the stages
 * in list order. pipeline_stage_time_add counts one run of index i. */
#define PIPELINE_TIMED_MAX 16
struct pipeline_stage_time {
    const char *name;
    unsigned long long ns, count;
};
size_t pipeline_stage_times(struct pipeline_stage_time *out, size_t max);
void pipeline_stage_time_add(size_t i, unsigned long long ns);
unsigned long long pipeline_now_ns(void);

/* Runs every stage of phase on op (valid, parsed article), in order.
 * Returns 0 or -1 with err. */
int pipeline_stages_run(const struct pipeline_ctx *ctx, enum pipeline_phase phase,
                        struct store_op *op, struct error *err);

/* Frees everything op owns (article, fingerprints, near list, entities). */
void pipeline_op_clear(struct store_op *op);

/* ---- the stages (one file each) ---------------------------------------- */

/* stage_language.c: when the article has no language, the one its title
 * and body are written in (analysis/langid.h), marked as detected; none
 * when the text is too short or its language unclear. */
int stage_language(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err);

/* The least confidence (langid_result) a detected language is stored at. */
#define PIPELINE_LANGUAGE_MIN_CONFIDENCE 0.2

/* stage_normalise.c: the exact-copy hash (always) and, with duplicates on,
 * both fingerprint sets, from one normalisation of the body (dedupe_sets). */
int stage_normalise(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err);

/* stage_entities.c: the people, organisations and places of the body. */
int stage_entities(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err);

/* stage_near.c: near copies already stored, and the copy group to join. */
int stage_near(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err);

/* stage_story.c: the story signature (title, body, entities) the writer
 * compares with the stories in the article's time window. */
int stage_story(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err);

/* Entities are extracted from the first 64 KiB of a body. */
#define PIPELINE_ENTITY_MAX_BYTES 65536

/* body's entities as the store writes them (a store_entity_set whose
 * release frees it); ex may be NULL (none). 0 or -1. Also what the backfill
 * (backfill.c) writes for articles stored before entities existed. */
int stage_entities_extract(const struct entity_extractor *ex, const char *body, size_t len,
                           struct store_entity_set *out);

#endif
