/* ingest.c: the ingest answer (see ingest.h). */
#include "handlers/ingest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/article_json.h"
#include "handlers/handlers.h"
#include "analysis/dedupe.h"

int ingest_min_containment(const struct http_request *req, double *out, struct http_response *res)
{
    return params_double(req, "min_containment", 0.0, 1.0, DEDUPE_DEFAULT_MIN_CONTAINMENT, out,
                         res);
}

/* ---- answers -------------------------------------------------------------- */

static double round4(double x)
{
    return round(x * 10000.0) / 10000.0;
}

json_t *ingest_near_json(const struct dedupe_near_list *near, double min_containment)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < near->n; i++) {
        const struct dedupe_near *nr = &near->items[i];
        if (nr->exact || nr->containment + 1e-9 < min_containment)
            continue; /* exact copies are reported as such */
        json_array_append_new(arr, json_pack("{s:s,s:f,s:f}", "id", nr->id, "containment",
                                             round4(nr->containment), "resemblance",
                                             round4(nr->resemblance)));
    }
    return arr;
}

json_t *ingest_entities_json(const struct store_entity_set *set)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < set->n; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "id", set->entities[i].id, "name",
                                             set->entities[i].name, "type", set->entities[i].type));
    return arr;
}

json_t *ingest_render(const struct store_op *op, double min_containment)
{
    json_t *o = article_json_render(&op->article, 0);
    json_t *dups;
    if (o == NULL)
        return NULL;
    dups = json_pack("{s:o,s:o}", "exact_of",
                     op->article.duplicate_of ? json_string(op->article.duplicate_of) : json_null(),
                     "near", ingest_near_json(&op->near, min_containment));
    json_object_set_new(o, "duplicates", dups);
    json_object_set_new(o, "entities", ingest_entities_json(&op->ents));
    json_object_set_new(o, "story",
                        op->story > 0 ? json_pack("{s:o,s:b}", "id",
                                                  json_sprintf("%lld", (long long)op->story),
                                                  "new", op->story_new)
                                      : json_null());
    return o;
}
