/* ingest.h: the analysis every incoming article goes through before the store
 * writes it (content hash now; fingerprints and entities as they land), and
 * the ingest answer that tells the client what the service found. */
#ifndef ARTICLED_INGEST_H
#define ARTICLED_INGEST_H

#include <jansson.h>

#include "server/app.h"
#include "store/store.h"

/* Runs the analysis on op->article (valid, parsed). Returns 0 or -1 with err.
 * CPU work only: called on an HTTP thread, outside any lock. */
int ingest_prepare(struct app *app, struct store_op *op, struct error *err);

/* The answer for a written op: the article (without its body) and what was
 * found. New reference. */
json_t *ingest_render(const struct store_op *op);

#endif
