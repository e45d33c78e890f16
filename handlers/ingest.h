/* ingest.h: the ingest answer: what the service found about an article it
 * wrote (its copies and entities), as JSON. The analysis itself is the
 * pipeline's (pipeline/pipeline.h). */
#ifndef ARTICLED_INGEST_H
#define ARTICLED_INGEST_H

#include <jansson.h>

#include "analysis/dedupe.h"
#include "server/http.h"
#include "store/store.h"

/* Reads ?min_containment= (0..1, default 0.5). Returns 0, or -1 with res set. */
int ingest_min_containment(const struct http_request *req, double *out, struct http_response *res);

/* near[] as JSON ({id, containment, resemblance}, containment >= min). */
json_t *ingest_near_json(const struct dedupe_near_list *near, double min_containment);

/* entities[] as JSON ({id, name, type}). New reference. */
json_t *ingest_entities_json(const struct store_entity_set *set);

/* The answer for a written op: the article (without its body) and what was
 * found: duplicates {exact_of, near[]} and entities[] {id, name, type}. New
 * reference. */
json_t *ingest_render(const struct store_op *op, double min_containment);

#endif
