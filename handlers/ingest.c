/* ingest.c: analysis before a write and the ingest answer (see ingest.h). */
#include "handlers/ingest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dedupe.h"
#include "analysis/entity.h"
#include "analysis/textnorm.h"
#include "analysis/utf8.h"
#include "handlers/article_json.h"
#include "handlers/handlers.h"
#include "handlers/near.h"

int ingest_min_containment(const struct http_request *req, double *out, struct http_response *res)
{
    return params_double(req, "min_containment", 0.0, 1.0, DEDUPE_DEFAULT_MIN_CONTAINMENT, out,
                         res);
}

/* ---- entities ---------------------------------------------------------------- */

/* What ingest_entities allocates behind a store_entity_set. */
struct ingest_entities_owner {
    struct entity_result res;
    char **strings; /* ids and folds, freed here */
    size_t nstrings;
    const char **alias_folds; /* one array, sliced per entity */
};

static void ingest_entities_release(struct store_entity_set *set)
{
    struct ingest_entities_owner *o = set->owner;
    if (o != NULL) {
        entity_result_free(&o->res);
        for (size_t i = 0; i < o->nstrings; i++)
            free(o->strings[i]);
        free(o->strings);
        free(o->alias_folds);
        free(o);
    }
    free(set->entities);
    free(set->mentions);
    memset(set, 0, sizeof *set);
}

/* The public id of an entity: its type and folded display name (lower case,
 * no diacritics or punctuation) with spaces as '-' and any byte outside
 * [a-z0-9.] as "_xx" (hex): readable and URL-safe, "person:marco-rubio". The
 * store keeps the id an entity got when it was first seen, so ids are stable
 * while variants ("Sergey Lavrov") still merge by key. New string. */
static char *ingest_entity_id(const char *type, const char *fold)
{
    static const char hex[] = "0123456789abcdef";
    size_t tl = strlen(type);
    char *id = malloc(tl + 1 + strlen(fold) * 3 + 1), *p;
    if (id == NULL)
        return NULL;
    memcpy(id, type, tl);
    p = id + tl;
    *p++ = ':';
    for (const unsigned char *k = (const unsigned char *)fold; *k; k++) {
        if ((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '.') {
            *p++ = (char)*k;
        } else if (*k == ' ') {
            *p++ = '-';
        } else {
            *p++ = '_';
            *p++ = hex[*k >> 4];
            *p++ = hex[*k & 15];
        }
    }
    *p = '\0';
    return id;
}

static char *ingest_keep(struct ingest_entities_owner *o, char *s)
{
    if (s != NULL)
        o->strings[o->nstrings++] = s;
    return s;
}

int ingest_entities(void *ctx, const char *body, size_t len, struct store_entity_set *out)
{
    const struct entity_extractor *ex = ctx;
    struct ingest_entities_owner *o;
    size_t nalias = 0, used = 0;

    memset(out, 0, sizeof *out);
    if (ex == NULL)
        return 0;
    o = calloc(1, sizeof *o);
    if (o == NULL)
        return -1;
    out->owner = o;
    out->release = ingest_entities_release;
    /* Extraction looks at the first INGEST_ENTITY_MAX_BYTES (cut on a code
     * point boundary): news articles fit, and a megabyte of capitalised
     * nonsense cannot tie up a worker (its cost grows faster than the text). */
    if (entity_extract(ex, body, utf8_floor(body, len, INGEST_ENTITY_MAX_BYTES), &o->res) != 0)
        goto fail;
    for (size_t i = 0; i < o->res.nentities; i++)
        nalias += o->res.entities[i].naliases;
    o->strings = calloc(2 * o->res.nentities + nalias + 1, sizeof *o->strings);
    o->alias_folds = calloc(nalias + 1, sizeof *o->alias_folds);
    out->entities = calloc(o->res.nentities + 1, sizeof *out->entities);
    out->mentions = calloc(o->res.nmentions + 1, sizeof *out->mentions);
    if (o->strings == NULL || o->alias_folds == NULL || out->entities == NULL ||
        out->mentions == NULL)
        goto fail;
    for (size_t i = 0; i < o->res.nentities; i++) {
        const struct entity *e = &o->res.entities[i];
        struct store_entity *se = &out->entities[i];
        se->key = e->key;
        se->name = e->name;
        se->type = entity_type_name(e->type);
        se->name_fold = ingest_keep(o, textnorm_string(e->name, strlen(e->name), NULL));
        se->id = se->name_fold ? ingest_keep(o, ingest_entity_id(se->type, se->name_fold)) : NULL;
        se->aliases = (const char *const *)e->aliases;
        se->naliases = e->naliases;
        se->alias_folds = o->alias_folds + used;
        for (size_t k = 0; k < e->naliases; k++) {
            o->alias_folds[used + k] =
                ingest_keep(o, textnorm_string(e->aliases[k], strlen(e->aliases[k]), NULL));
            if (o->alias_folds[used + k] == NULL)
                goto fail;
        }
        used += e->naliases;
        if (se->id == NULL || se->name_fold == NULL)
            goto fail;
    }
    for (size_t m = 0; m < o->res.nmentions; m++) {
        const struct entity_mention *em = &o->res.mentions[m];
        out->mentions[m] =
            (struct store_mention){(int64_t)em->start, (int64_t)em->end, (int64_t)em->byte_start,
                                   (int64_t)em->byte_end, em->entity};
        if (em->entity < o->res.nentities)
            out->entities[em->entity].mentions++;
    }
    out->n = o->res.nentities;
    out->nmentions = o->res.nmentions;
    return 0;
fail:
    ingest_entities_release(out);
    return -1;
}

int ingest_prepare(struct app *app, struct store_op *op, double min_containment, struct error *err)
{
    struct article *a = &op->article;
    double lookup = min_containment < DEDUPE_GROUP_MIN_CONTAINMENT ? min_containment
                                                                   : DEDUPE_GROUP_MIN_CONTAINMENT;

    /* One normalisation serves the exact hash and both fingerprint sets. */
    if (dedupe_sets(a->body, a->body_len, app->cfg.duplicates ? &op->fps : NULL, &op->index,
                    a->content_hash) != 0 ||
        (app->cfg.entities &&
         ingest_entities(app->extractor, a->body, a->body_len, &op->ents) != 0)) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    op->fingerprinted = app->cfg.duplicates;
    if (app->cfg.duplicates) {
        if (near_find(app->store, &op->fps, &op->index, a->id, a->content_hash, lookup, &op->near,
                      err) != 0)
            return -1;
        op->near_grp = dedupe_group(&op->near);
    }
    return 0;
}

void ingest_op_clear(struct store_op *op)
{
    article_clear(&op->article);
    fingerprint_set_free(&op->fps);
    fingerprint_set_free(&op->index);
    dedupe_near_list_free(&op->near);
    if (op->ents.release != NULL)
        op->ents.release(&op->ents);
}

void ingest_op_trim(struct store_op *op)
{
    struct article *a = &op->article;
    char *keep[] = {a->title,    a->body,         a->url,       a->source,      a->author,
                    a->language, a->published_at, a->tags_json, a->ingested_at, a->duplicate_of};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        free(keep[i]);
    a->title = a->body = a->url = a->source = a->author = a->language = a->published_at =
        a->tags_json = a->ingested_at = a->duplicate_of = NULL;
    a->body_len = 0;
    fingerprint_set_free(&op->fps);
    fingerprint_set_free(&op->index);
    dedupe_near_list_free(&op->near);
    if (op->ents.release != NULL)
        op->ents.release(&op->ents);
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
    return o;
}
