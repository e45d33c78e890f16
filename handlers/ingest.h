/* ingest.h: the analysis every incoming article goes through before the store
 * writes it (normalised content hash, fingerprints, near copies already
 * stored or earlier in the same request), and the ingest answer that tells
 * the client what the service found. */
#ifndef ARTICLED_INGEST_H
#define ARTICLED_INGEST_H

#include <jansson.h>

#include "server/app.h"
#include "server/http.h"
#include "store/store.h"

/* Entities are extracted from the first 64 KiB of a body. */
#define INGEST_ENTITY_MAX_BYTES 65536

/* Reads ?min_containment= (0..1, default 0.5). Returns 0, or -1 with res set. */
int ingest_min_containment(const struct http_request *req, double *out, struct http_response *res);

/* Runs the analysis on op->article (valid, parsed): content hash,
 * fingerprints, and the stored near copies with containment >= min (or the
 * group threshold, if lower). Returns 0 or -1 with err. Called on an HTTP
 * thread, outside any lock. */
int ingest_prepare(struct app *app, struct store_op *op, double min_containment, struct error *err);

/* Extracts body's entities into out (a store_entity_set whose release frees
 * it); ctx is the entity_extractor. Returns 0 or -1. Also what the backfill
 * (handlers/backfill.c) writes for articles stored before entities existed. */
int ingest_entities(void *ctx, const char *body, size_t len, struct store_entity_set *out);

/* Frees everything op owns (article, fingerprints, near list, entities). */
void ingest_op_clear(struct store_op *op);

/* Frees what a written and answered op no longer needs, keeping what later
 * ops of the same request read (id, content hash, seq, group, outcome).
 * ingest_op_clear still frees the rest. */
void ingest_op_trim(struct store_op *op);

/* near[] as JSON ({id, containment, resemblance}, containment >= min). */
json_t *ingest_near_json(const struct dedupe_near_list *near, double min_containment);

/* entities[] as JSON ({id, name, type}). New reference. */
json_t *ingest_entities_json(const struct store_entity_set *set);

/* The answer for a written op: the article (without its body) and what was
 * found: duplicates {exact_of, near[]} and entities[] {id, name, type}. New
 * reference. */
json_t *ingest_render(const struct store_op *op, double min_containment);

#endif
