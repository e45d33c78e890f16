/* near.h: a whole near-duplicate look-up and the near copies inside one
 * request, putting the store's data (store_near_postings, store_near_texts)
 * through the rules of analysis/dedupe. */
#ifndef ARTICLED_NEAR_H
#define ARTICLED_NEAR_H

#include "analysis/dedupe.h"
#include "analysis/error.h"
#include "store/store.h"

/* Stored articles whose containment with the text of whole set full and
 * index set index is at least min_containment, excluding exclude_id (may be
 * NULL), ranked (containment descending); those whose content hash equals
 * content_hash (may be NULL) are marked exact. Candidates come from the
 * store's postings of index (never a scan), are picked by their estimate
 * (dedupe_candidates_pick) and scored exactly on whole sets computed again
 * from their texts. Returns 0 with *out (the caller frees it with
 * dedupe_near_list_free), or -1 with err. */
int near_find(struct store *st, const struct fingerprint_set *full,
              const struct fingerprint_set *index, const char *exclude_id, const char *content_hash,
              double min_containment, struct dedupe_near_list *out, struct error *err);

/* Near copies inside one request (a _bulk batch): compares ops[idx] with the
 * ops before it that the store's look-up could not see, records the best
 * match as ops[idx].near_op (or near_grp, by dedupe_batch_join) and in its
 * near list, then indexes it. The ops below visible were committed (or
 * failed) before ops[idx]'s look-up began: the store found them, and they may
 * be trimmed (pipeline_op_trim). b from dedupe_batch_new (NULL: nothing). */
void near_batch_add(struct dedupe_batch *b, struct store_op *ops, size_t idx, size_t visible,
                    double min_containment);

#endif
