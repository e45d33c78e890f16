/* stage_entities.c: the people, organisations and places an article is
 * about, as the store writes them (ids, merge keys, folded names and
 * aliases, mentions); see stages.h. */
#include <stdlib.h>
#include <string.h>

#include "analysis/entity.h"
#include "analysis/textnorm.h"
#include "analysis/utf8.h"
#include "pipeline/stages.h"

/* What stage_entities_extract allocates behind a store_entity_set. */
struct stage_entities_owner {
    struct entity_result res;
    char **strings; /* ids and folds, freed here */
    size_t nstrings;
    const char **alias_folds; /* one array, sliced per entity */
};

static void stage_entities_release(struct store_entity_set *set)
{
    struct stage_entities_owner *o = set->owner;
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
static char *stage_entity_id(const char *type, const char *fold)
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

static char *stage_keep(struct stage_entities_owner *o, char *s)
{
    if (s != NULL)
        o->strings[o->nstrings++] = s;
    return s;
}

int stage_entities_extract(const struct entity_extractor *ex, const char *body, size_t len,
                           struct store_entity_set *out)
{
    struct stage_entities_owner *o;
    size_t nalias = 0, used = 0;

    memset(out, 0, sizeof *out);
    if (ex == NULL)
        return 0;
    o = calloc(1, sizeof *o);
    if (o == NULL)
        return -1;
    out->owner = o;
    out->release = stage_entities_release;
    /* Extraction looks at the first PIPELINE_ENTITY_MAX_BYTES (cut on a code
     * point boundary): news articles fit, and a megabyte of capitalised
     * nonsense cannot tie up a worker (its cost grows faster than the text). */
    if (entity_extract(ex, body, utf8_floor(body, len, PIPELINE_ENTITY_MAX_BYTES), &o->res) != 0)
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
        se->name_fold = stage_keep(o, textnorm_string(e->name, strlen(e->name), NULL));
        se->id = se->name_fold ? stage_keep(o, stage_entity_id(se->type, se->name_fold)) : NULL;
        se->aliases = (const char *const *)e->aliases;
        se->naliases = e->naliases;
        se->alias_folds = o->alias_folds + used;
        for (size_t k = 0; k < e->naliases; k++) {
            o->alias_folds[used + k] =
                stage_keep(o, textnorm_string(e->aliases[k], strlen(e->aliases[k]), NULL));
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
    stage_entities_release(out);
    return -1;
}

int stage_entities(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err)
{
    if (ctx->extractor == NULL)
        return 0;
    if (stage_entities_extract(ctx->extractor, op->article.body, op->article.body_len,
                               &op->ents) != 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    return 0;
}

