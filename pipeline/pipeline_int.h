/* pipeline_int.h: what the pipeline's files share and nobody else needs. */
#ifndef ARTICLED_PIPELINE_INT_H
#define ARTICLED_PIPELINE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Near copies at or above this containment are one story: they share a copy
 * group, which `duplicates=collapse` search folds into one hit. */
#define PIPELINE_GROUP_MIN_CONTAINMENT 0.7

/* The containment near gives the stored article with seq, or -1. */
double stage_near_containment_of(const struct store_near_list *near, int64_t seq);

/* Near copies inside one _bulk request (batch.c): compares ops[idx] with the
 * ops before it that the store's look-up could not see, records the best
 * match as ops[idx].near_op and in its near list, then indexes it. The ops
 * below visible were committed (or failed) before ops[idx]'s look-up began:
 * the store found them, and they may be trimmed (pipeline_op_trim). */
struct pipeline_batch;
struct pipeline_batch *pipeline_batch_new(void);
void pipeline_batch_add(struct pipeline_batch *b, struct store_op *ops, size_t idx, size_t visible,
                        double min_containment);
void pipeline_batch_free(struct pipeline_batch *b);

#endif
