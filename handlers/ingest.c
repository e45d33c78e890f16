/* ingest.c: analysis before a write and the ingest answer (see ingest.h). */
#include "handlers/ingest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/entity.h"
#include "analysis/fingerprint.h"
#include "analysis/textnorm.h"
#include "analysis/utf8.h"
#include "handlers/article_json.h"
#include "handlers/handlers.h"

int ingest_min_containment(const struct http_request *req, double *out, struct http_response *res)
{
    return params_double(req, "min_containment", 0.0, 1.0, INGEST_DEFAULT_MIN_CONTAINMENT, out,
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

/* The stored containment of the article with seq, from near, or -1. */
static double near_containment_of(const struct store_near_list *near, int64_t seq)
{
    for (size_t i = 0; i < near->n; i++)
        if (near->items[i].seq == seq)
            return near->items[i].containment;
    return -1.0;
}

/* An article joins the copy group of a close near copy only when it is also a
 * close copy of the group's earliest article: a text glued under another story
 * must not pull that story's group into its own. Returns the group or 0. */
static int64_t ingest_stored_group(const struct store_near_list *near)
{
    for (size_t i = 0; i < near->n; i++) {
        const struct store_near *nr = &near->items[i];
        if (nr->containment < INGEST_GROUP_MIN_CONTAINMENT)
            break; /* sorted by containment */
        if (nr->grp == nr->seq ||
            near_containment_of(near, nr->grp) >= INGEST_GROUP_MIN_CONTAINMENT)
            return nr->grp;
    }
    return 0;
}

int ingest_fingerprints(const char *body, size_t len, struct fingerprint_set *full,
                        struct fingerprint_set *index, char *content_hash)
{
    struct textnorm_words words = TEXTNORM_WORDS_INIT;
    int ret = -1;

    if (textnorm_split(body, len, &words) != 0)
        goto out;
    if (content_hash != NULL)
        fingerprint_words_hash(&words, content_hash);
    if (full != NULL && fingerprint_sets_from_words(&words, full, index) != 0)
        goto out;
    ret = 0;
out:
    textnorm_words_free(&words);
    return ret;
}

int ingest_fingerprints_cb(const char *body, size_t len, struct fingerprint_set *full,
                           struct fingerprint_set *index)
{
    return ingest_fingerprints(body, len, full, index, NULL);
}

int ingest_prepare(struct app *app, struct store_op *op, double min_containment, struct error *err)
{
    struct article *a = &op->article;
    double lookup = min_containment < INGEST_GROUP_MIN_CONTAINMENT ? min_containment
                                                                   : INGEST_GROUP_MIN_CONTAINMENT;

    /* One normalisation serves the exact hash and both fingerprint sets. */
    if (ingest_fingerprints(a->body, a->body_len, app->cfg.duplicates ? &op->fps : NULL, &op->index,
                            a->content_hash) != 0 ||
        (app->cfg.entities &&
         ingest_entities(app->extractor, a->body, a->body_len, &op->ents) != 0)) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    op->fingerprinted = app->cfg.duplicates;
    if (app->cfg.duplicates) {
        if (store_near_find(app->store, &op->fps, &op->index, a->id, a->content_hash, lookup,
                            &op->near, err) != 0)
            return -1;
        op->near_grp = ingest_stored_group(&op->near);
    }
    return 0;
}

void ingest_op_clear(struct store_op *op)
{
    article_clear(&op->article);
    fingerprint_set_free(&op->fps);
    fingerprint_set_free(&op->index);
    store_near_list_free(&op->near);
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
    store_near_list_free(&op->near);
    if (op->ents.release != NULL)
        op->ents.release(&op->ents);
}

/* ---- near copies inside one request -------------------------------------- */

/* Open-addressing map: index token -> the first op of the request not yet
 * committed that has it (the same tokens as the store's index, so the same
 * guarantee). An entry naming a committed op is stale: the store's look-up
 * finds that op, a later op with the token takes the slot over, and stale
 * entries are dropped when the map fills, so it holds the ops in flight, not
 * the whole request. */
struct batch_entry {
    uint64_t token; /* 0: empty slot (a token of 0 is stored as 1) */
    uint32_t op;
};

struct ingest_batch {
    struct batch_entry *slots;
    size_t cap, n;
    uint32_t *found; /* scratch: the ops one look-up hit, one per shared token */
    size_t found_cap;
};

struct ingest_batch *ingest_batch_new(void)
{
    return calloc(1, sizeof(struct ingest_batch));
}

void ingest_batch_free(struct ingest_batch *b)
{
    if (b == NULL)
        return;
    free(b->slots);
    free(b->found);
    free(b);
}

static uint64_t batch_key(int64_t token)
{
    return token == 0 ? 1 : (uint64_t)token;
}

static size_t batch_slot(const struct ingest_batch *b, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (b->cap - 1);
    while (b->slots[i].token != 0 && b->slots[i].token != key)
        i = (i + 1) & (b->cap - 1);
    return i;
}

/* Makes room for need more entries: drops the stale ones (ops below
 * visible), then doubles the map while it would be more than half full. */
static int batch_grow(struct ingest_batch *b, size_t need, size_t visible)
{
    struct batch_entry *old = b->slots;
    size_t old_cap = b->cap, cap = b->cap ? b->cap : 4096, live = 0;
    if ((b->n + need) * 2 <= b->cap)
        return 0;
    for (size_t i = 0; i < old_cap; i++)
        live += old[i].token != 0 && old[i].op >= visible;
    /* rebuilt at the same size if that leaves it at most a quarter full */
    while ((live + need) * 4 > cap)
        cap *= 2;
    b->slots = calloc(cap, sizeof *b->slots);
    if (b->slots == NULL) {
        b->slots = old;
        return -1;
    }
    b->cap = cap;
    b->n = live;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].token != 0 && old[i].op >= visible)
            b->slots[batch_slot(b, old[i].token)] = old[i];
    free(old);
    return 0;
}

/* 1 if near already names id (the store's look-up found it). */
static int near_has(const struct store_near_list *near, const char *id)
{
    for (size_t i = 0; i < near->n; i++)
        if (strcmp(near->items[i].id, id) == 0)
            return 1;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void ingest_batch_add(struct ingest_batch *b, struct store_op *ops, size_t idx, size_t visible,
                      double min_containment)
{
    struct store_op *op = &ops[idx];
    size_t best = SIZE_MAX, best_hits = 0, nfound = 0;
    double best_c = 0.0;

    if (b == NULL || op->fps.n == 0 || idx > UINT32_MAX)
        return;
    if (b->found_cap < op->index.n) {
        uint32_t *bigger = realloc(b->found, op->index.n * sizeof *bigger);
        if (bigger == NULL)
            return;
        b->found = bigger;
        b->found_cap = op->index.n;
    }
    if (b->cap > 0)
        for (size_t i = 0; i < op->index.n; i++) {
            size_t s = batch_slot(b, batch_key(op->index.hashes[i]));
            if (b->slots[s].token != 0 && b->slots[s].op >= visible)
                b->found[nfound++] = b->slots[s].op;
        }
    /* The candidate that shares the most tokens, scored exactly. */
    if (nfound > 1)
        qsort(b->found, nfound, sizeof *b->found, cmp_u32);
    for (size_t i = 0; i < nfound;) {
        size_t j = i;
        while (j < nfound && b->found[j] == b->found[i])
            j++;
        if (j - i > best_hits) {
            best_hits = j - i;
            best = b->found[i];
        }
        i = j;
    }
    if (best != SIZE_MAX) {
        size_t shared = fingerprint_shared(&op->fps, &ops[best].fps);
        size_t smaller = op->fps.n < ops[best].fps.n ? op->fps.n : ops[best].fps.n;
        best_c = smaller ? (double)shared / (double)smaller : 0.0;
        if (best_c >= INGEST_GROUP_MIN_CONTAINMENT && op->near_grp == 0) {
            /* join best's group only if this is also close to the group's
             * founder; a committed founder (its sets freed) was seen by the
             * store's look-up, which gave its containment */
            const struct store_op *b = &ops[best];
            size_t founder = b->near_op != NULL ? (size_t)(b->near_op - ops) : SIZE_MAX;
            if (b->near_op == NULL && b->near_grp == 0)
                op->near_op = &ops[best];
            else if (founder < visible)
                op->near_grp = near_containment_of(&op->near, b->near_op->article.grp) >=
                                       INGEST_GROUP_MIN_CONTAINMENT
                                   ? b->near_op->article.grp
                                   : 0;
            else if (b->near_op != NULL && fingerprint_containment(&op->fps, &b->near_op->fps) >=
                                               INGEST_GROUP_MIN_CONTAINMENT)
                op->near_op = b->near_op;
            else if (b->near_grp != 0 &&
                     near_containment_of(&op->near, b->near_grp) >= INGEST_GROUP_MIN_CONTAINMENT)
                op->near_grp = b->near_grp;
        }
        /* a chunk that committed after the look-up began may be in both */
        if (best_c >= min_containment && !near_has(&op->near, ops[best].article.id)) {
            struct store_near *items =
                realloc(op->near.items, (op->near.n + 1) * sizeof *op->near.items);
            if (items != NULL) {
                struct store_near *nr = &items[op->near.n];
                op->near.items = items;
                memset(nr, 0, sizeof *nr);
                nr->id = strdup(ops[best].article.id);
                nr->exact = strcmp(op->article.content_hash, ops[best].article.content_hash) == 0;
                nr->containment = best_c;
                nr->resemblance = (double)shared / (double)(op->fps.n + ops[best].fps.n - shared);
                if (nr->id != NULL)
                    op->near.n++;
            }
        }
    }
    if (batch_grow(b, op->index.n, visible) != 0)
        return;
    for (size_t i = 0; i < op->index.n; i++) {
        uint64_t key = batch_key(op->index.hashes[i]);
        size_t s = batch_slot(b, key);
        if (b->slots[s].token == 0)
            b->n++;
        if (b->slots[s].token == 0 || b->slots[s].op < visible)
            b->slots[s] = (struct batch_entry){key, (uint32_t)idx};
    }
}

/* ---- answers -------------------------------------------------------------- */

static double round4(double x)
{
    return round(x * 10000.0) / 10000.0;
}

json_t *ingest_near_json(const struct store_near_list *near, double min_containment)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < near->n; i++) {
        const struct store_near *nr = &near->items[i];
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
