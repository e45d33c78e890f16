/* backfill.h: analysis missing from stored articles (stored while a feature
 * was off, or before its stored form changed) computed at start, outside the
 * store: it reads the rows to do (store_backfill_next) and writes the results
 * through the writer (STORE_OP_ANALYSE ops). */
#ifndef ARTICLED_BACKFILL_H
#define ARTICLED_BACKFILL_H

#include "analysis/entity.h"
#include "analysis/error.h"
#include "store/store.h"

/* Articles analysed per read and per write. */
#define BACKFILL_CHUNK_FINGERPRINTS 500
#define BACKFILL_CHUNK_ENTITIES     200
#define BACKFILL_CHUNK_STORIES      200

/* Told after each chunk of the stories' backfill: the articles given a
 * story so far (for a progress line in the log). */
typedef void (*backfill_progress_fn)(long long done);

/* Finishes the entity curations a crash interrupted, fingerprints the
 * stored articles without fingerprints (when fingerprints is nonzero), then
 * extracts the entities of those without entities (when ex, borrowed, is not
 * NULL), then puts the articles stored before stories in stories, in seq
 * order (as they were ingested; progress told to progress, may be NULL).
 * Returns 0, or -1 with err when a read, an analysis or a write fails: what
 * was written stays, the rest is picked up at the next start. */
int backfill_run(struct store *st, int fingerprints, struct entity_extractor *ex,
                 backfill_progress_fn progress, struct error *err);

#endif
