/* entities.c: /v1/articles/{id}/entities and /v1/entities... The people,
 * organisations and places that articles mention, merged across articles by
 * their canonical key, with counts, article lists and co-occurring entities;
 * and their curation by editors (PUT, _merge, _block: pipeline jobs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/datetime.h"
#include "analysis/entity.h"
#include "analysis/textnorm.h"
#include "analysis/utf8.h"
#include "pipeline/article_json.h"
#include "handlers/cursor.h"
#include "handlers/handlers.h"
#include "server/reply.h"

static void entity_param_error(struct http_response *res, const char *field, const char *msg)
{
    json_t *errors = json_pack("[{s:s,s:s}]", "field", field, "message", msg);
    reply_fail_errors(res, ERR_INVALID, msg, errors);
}

/* {id, name, type, articles, mentions, aliases[]} of one row. */
static json_t *entity_row_json(const struct store_entity_row *row, int with_counts)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "id", row->id, "name", row->name, "type", row->type);
    if (o == NULL)
        return NULL;
    if (with_counts) {
        json_t *aliases = json_array();
        json_object_set_new(o, "articles", json_integer(row->articles));
        json_object_set_new(o, "mentions", json_integer(row->mentions));
        for (size_t i = 0; i < row->naliases; i++)
            json_array_append_new(aliases, json_string(row->aliases[i]));
        json_object_set_new(o, "aliases", aliases);
    }
    if (row->merged_into != NULL)
        json_object_set_new(o, "merged_into", json_string(row->merged_into));
    if (row->blocked)
        json_object_set_new(o, "blocked", json_true());
    return o;
}

/* The entity named by the path's {id}; 404 problem when there is none. */
static int entity_from_path(struct app *app, struct http_request *req, struct http_response *res,
                            struct store_entity_row *row)
{
    struct error err = {0};
    if (req->nparams < 1 || strlen(req->params[0]) > 1024 ||
        utf8_check(req->params[0], strlen(req->params[0]), NULL) != 0) {
        reply_fail(res, ERR_NOT_FOUND, "no entity with this id");
        return -1;
    }
    if (store_entity_get(app->store, req->params[0], row, &err) != 0) {
        reply_error(res, &err);
        return -1;
    }
    return 0;
}

int handle_article_entities(struct app *app, struct http_request *req, struct http_response *res)
{
    struct article a;
    struct store_entity_rows rows;
    struct store_article_mention *mentions = NULL;
    size_t nmentions = 0;
    struct error err = {0};
    json_t *list, *body;

    if (req->nparams < 1 || !article_id_valid(req->params[0])) {
        reply_fail(res, ERR_NOT_FOUND, "no article with this id");
        return HANDLER_DONE;
    }
    if (store_article_get(app->store, req->params[0], &a, &err) != 0) {
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    if (store_article_entities(app->store, a.seq, &rows, &mentions, &nmentions, &err) != 0) {
        article_clear(&a);
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    list = json_array();
    for (size_t i = 0; i < rows.n; i++) {
        json_t *e = entity_row_json(&rows.items[i], 0);
        json_t *ms = json_array();
        for (size_t m = 0; m < nmentions; m++) {
            const struct store_article_mention *mn = &mentions[m];
            if (mn->entity != i || mn->bstart < 0 || mn->bend > (int64_t)a.body_len ||
                mn->bstart >= mn->bend)
                continue;
            json_array_append_new(ms,
                                  json_pack("{s:I,s:I,s:s%}", "start", (json_int_t)mn->start, "end",
                                            (json_int_t)mn->end, "text", a.body + mn->bstart,
                                            (size_t)(mn->bend - mn->bstart)));
        }
        json_object_set_new(e, "mentions", ms);
        json_array_append_new(list, e);
    }
    body = json_pack("{s:s,s:o}", "id", a.id, "entities", list);
    reply_json(res, 200, body);
    store_entity_rows_free(&rows);
    free(mentions);
    article_clear(&a);
    return HANDLER_DONE;
}

/* Ids an exclude= may name at most (bounds the look-ups: one each). */
#define ENTITY_EXCLUDE_MAX STORE_ENT_EXCLUDE_MAX
/* Bytes of one exclude= value, at most (an id's bound, as the path's {id}). */
#define ENTITY_ID_MAX 1024

/* The exclude= parameters (repeatable, comma lists of entity ids) as eids
 * into eids[ENTITY_EXCLUDE_MAX] (*n of them), and their canonical text for
 * the cursor (eids in order, comma-terminated) into canon. An id nobody
 * mentions has nothing to leave out and is skipped. 0, or -1 with res set
 * (400: more than 100 ids or a value past 1,024 bytes; 422: not UTF-8; a
 * store failure). */
static int entity_exclude_parse(struct app *app, const struct http_request *req, int64_t *eids,
                                size_t *n, char *canon, size_t canon_size,
                                struct http_response *res)
{
    size_t named = 0, used = 0;
    char id[ENTITY_ID_MAX + 1];

    *n = 0;
    canon[0] = '\0';
    for (size_t i = 0; i < req->nargs; i++) {
        const char *v = req->args[i].value, *p;
        if (strcmp(req->args[i].key, "exclude") != 0 || v == NULL)
            continue;
        if (utf8_check(v, strlen(v), NULL) != 0) {
            params_fail(res, ERR_UNPROCESSABLE, "exclude", "'exclude' is not valid UTF-8");
            return -1;
        }
        if (strlen(v) > ENTITY_ID_MAX) {
            entity_param_error(res, "exclude",
                               "'exclude' is longer than 1024 bytes (repeat it for more ids)");
            return -1;
        }
        for (p = v; *p != '\0';) {
            size_t len = strcspn(p, ",");
            struct store_entity_row row;
            struct error err = {0};
            if (len > 0) {
                if (++named > ENTITY_EXCLUDE_MAX) {
                    entity_param_error(res, "exclude", "'exclude' names more than 100 entities");
                    return -1;
                }
                memcpy(id, p, len);
                id[len] = '\0';
                if (store_entity_get(app->store, id, &row, &err) == 0) {
                    int w = snprintf(canon + used, canon_size - used, "%lld,", (long long)row.eid);
                    eids[(*n)++] = row.eid;
                    if (w > 0 && (size_t)w < canon_size - used)
                        used += (size_t)w;
                    store_entity_row_clear(&row);
                } else if (err.code != ERR_NOT_FOUND) {
                    reply_error(res, &err);
                    return -1;
                }
            }
            p += len;
            if (*p == ',')
                p++;
        }
    }
    return 0;
}

int handle_entity_list(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_entity_query q = {0};
    struct store_entity_rows rows;
    struct error err = {0};
    const char *type = NULL, *prefix = NULL, *cursor_text = NULL, *parts[6];
    char *fold = NULL;
    json_t *list, *body;
    uint32_t qhash;
    int64_t exclude[ENTITY_EXCLUDE_MAX];
    char exclude_text[ENTITY_EXCLUDE_MAX * 22 + 1];

    if (params_string(req, "type", 32, &type, res) != 0 ||
        params_string(req, "q", 256, &prefix, res) != 0 ||
        params_time(req, "from", INT64_MIN, &q.from, res) != 0 ||
        params_time(req, "to", INT64_MAX, &q.to, res) != 0 ||
        params_limit(req, 20, 100, &q.limit, res) != 0 ||
        params_string(req, "cursor", CURSOR_MAX, &cursor_text, res) != 0 ||
        entity_exclude_parse(app, req, exclude, &q.nexclude, exclude_text, sizeof exclude_text,
                             res) != 0)
        return HANDLER_DONE;
    q.exclude = exclude;
    if (type != NULL) {
        enum entity_type t;
        if (entity_type_parse(type, &t) != 0) {
            entity_param_error(res, "type", "'type' must be person, organization or location");
            return HANDLER_DONE;
        }
        q.type = entity_type_name(t);
    }
    parts[0] = "entities";
    parts[1] = q.type;
    parts[2] = prefix;
    parts[3] = http_request_arg(req, "from", NULL);
    parts[4] = http_request_arg(req, "to", NULL);
    parts[5] = exclude_text;
    qhash = cursor_query_hash(parts, 6);
    if (cursor_text != NULL) {
        struct cursor c;
        if (cursor_decode(cursor_text, app->cursor_key, &c) != 0 || c.kind != 'l' || c.query != qhash) {
            entity_param_error(res, "cursor",
                               "'cursor' must be a next_cursor value from the same listing");
            return HANDLER_DONE;
        }
        q.offset = c.offset;
    }
    if (prefix != NULL) {
        /* names are compared folded (case, diacritics, punctuation) */
        fold = textnorm_string(prefix, strlen(prefix), NULL);
        if (fold == NULL) {
            reply_fail(res, ERR_INTERNAL, "out of memory");
            return HANDLER_DONE;
        }
        q.prefix = fold;
    }
    if (store_entity_list(app->store, &q, &rows, &err) != 0) {
        free(fold);
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    free(fold);
    list = json_array();
    for (size_t i = 0; i < rows.n; i++)
        json_array_append_new(list, entity_row_json(&rows.items[i], 1));
    body = json_pack("{s:o}", "entities", list);
    if (rows.more) {
        struct cursor c = {.kind = 'l', .offset = q.offset + (int64_t)rows.n, .query = qhash};
        char text[CURSOR_MAX];
        cursor_encode(&c, app->cursor_key, text);
        json_object_set_new(body, "next_cursor", json_string(text));
    } else {
        json_object_set_new(body, "next_cursor", json_null());
    }
    store_entity_rows_free(&rows);
    reply_json(res, 200, body);
    return HANDLER_DONE;
}

int handle_entity_get(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_entity_row row;

    reply_revalidate(res);
    if (entity_from_path(app, req, res, &row) != 0)
        return HANDLER_DONE;
    reply_json(res, 200, entity_row_json(&row, 1));
    store_entity_row_clear(&row);
    return HANDLER_DONE;
}

int handle_entity_articles(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_entity_row row;
    struct store_list_query q = {0};
    struct store_article_list list;
    struct error err = {0};
    const char *cursor_text = NULL, *parts[4];
    json_t *body;
    uint32_t qhash;

    if (params_time(req, "from", INT64_MIN, &q.from, res) != 0 ||
        params_time(req, "to", INT64_MAX, &q.to, res) != 0 ||
        params_limit(req, 20, 100, &q.limit, res) != 0 ||
        params_string(req, "cursor", CURSOR_MAX, &cursor_text, res) != 0)
        return HANDLER_DONE;
    if (entity_from_path(app, req, res, &row) != 0)
        return HANDLER_DONE;
    parts[0] = "entity-articles";
    parts[1] = row.id;
    parts[2] = http_request_arg(req, "from", NULL);
    parts[3] = http_request_arg(req, "to", NULL);
    qhash = cursor_query_hash(parts, 4);
    if (cursor_text != NULL) {
        struct cursor c;
        if (cursor_decode(cursor_text, app->cursor_key, &c) != 0 || c.kind != 'l' || c.query != qhash) {
            store_entity_row_clear(&row);
            entity_param_error(res, "cursor",
                               "'cursor' must be a next_cursor value from the same listing");
            return HANDLER_DONE;
        }
        q.has_after = 1;
        q.after_ts = c.ts;
        q.after_seq = c.seq;
    }
    if (store_entity_articles(app->store, row.eid, &q, &list, &err) != 0) {
        store_entity_row_clear(&row);
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    body = article_page_json(&list, qhash, app->cursor_key);
    json_object_set_new(body, "entity", entity_row_json(&row, 0));
    store_article_list_free(&list);
    store_entity_row_clear(&row);
    reply_json(res, 200, body);
    return HANDLER_DONE;
}

int handle_entity_related(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_entity_row row;
    struct store_entity_rows rows;
    struct error err = {0};
    unsigned limit;
    int64_t from, to;
    json_t *list;

    if (params_limit(req, 20, 100, &limit, res) != 0 ||
        params_time(req, "from", INT64_MIN, &from, res) != 0 ||
        params_time(req, "to", INT64_MAX, &to, res) != 0)
        return HANDLER_DONE;
    if (entity_from_path(app, req, res, &row) != 0)
        return HANDLER_DONE;
    if (store_entity_related(app->store, row.eid, from, to, limit, &rows, &err) != 0) {
        store_entity_row_clear(&row);
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    list = json_array();
    for (size_t i = 0; i < rows.n; i++) {
        json_t *o = entity_row_json(&rows.items[i], 0);
        json_object_set_new(o, "articles", json_integer(rows.items[i].articles));
        json_object_set_new(o, "together", json_integer(rows.items[i].together));
        json_object_set_new(o, "score", json_real(rows.items[i].score));
        json_array_append_new(list, o);
    }
    reply_json(res, 200,
               json_pack("{s:o,s:o}", "entity", entity_row_json(&row, 1), "related", list));
    store_entity_rows_free(&rows);
    store_entity_row_clear(&row);
    return HANDLER_DONE;
}

/* ---- curation ------------------------------------------------------------ */

/* Bounds of what an editor sends (bytes, items). */
#define CURATE_NAME_MAX    200
#define CURATE_ALIASES_MAX 50

/* A curation's answer once its job finished: the entity as GET shows it
 * (for a merge, the survivor). */
static int curate_finish(struct app *app, struct http_request *req, struct http_response *res)
{
    struct pipeline_job *job = req->state;
    struct store_entity_row row;
    struct error err = {0};

    if (job->err.code != ERR_NONE) {
        reply_error(res, &job->err);
        return HANDLER_DONE;
    }
    if (job->nops < 1) {
        reply_fail(res, ERR_INTERNAL, "the curation did not run");
        return HANDLER_DONE;
    }
    if (job->ops[0].failed) {
        reply_error(res, &job->ops[0].err);
        return HANDLER_DONE;
    }
    if (store_entity_get(app->store,
                         job->curate.kind == STORE_CURATE_MERGE ? job->curate.into : job->curate.id,
                         &row, &err) != 0) {
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    reply_json(res, 200, entity_row_json(&row, 1));
    store_entity_row_clear(&row);
    return HANDLER_DONE;
}

/* A text field of an editor's body: 0 with *out (a new copy), or -1 with
 * err. */
static int curate_text(json_t *v, const char *field, struct error *err, char **out)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    char *fold;

    if (s == NULL) {
        error_set_field(err, ERR_INVALID, field, "'%s' must be a string", field);
        return -1;
    }
    if (len == 0 || len > CURATE_NAME_MAX) {
        error_set_field(err, ERR_INVALID, field, "'%s' must hold 1 to %d bytes", field,
                        CURATE_NAME_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            error_set_field(err, ERR_UNPROCESSABLE, field,
                            "'%s' must not contain control characters", field);
            return -1;
        }
    /* a name is found by its folded form: it needs a letter or a digit */
    fold = textnorm_string(s, len, NULL);
    if (fold == NULL || fold[0] == '\0') {
        free(fold);
        error_set_field(err, ERR_UNPROCESSABLE, field, "'%s' needs a letter or a digit", field);
        return -1;
    }
    free(fold);
    if ((*out = strdup(s)) == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    return 0;
}

/* The body as a JSON object whose members are all among allowed. NULL
 * with err. */
static json_t *curate_body(struct http_request *req, const char *const *allowed, struct error *err)
{
    json_error_t jerr;
    const char *key;
    json_t *obj, *v;
    size_t bad;

    if (utf8_check(req->body ? req->body : "", req->body_len, &bad) != 0) {
        error_set(err, ERR_UNPROCESSABLE, "the body is not valid UTF-8 (byte %zu)", bad);
        return NULL;
    }
    obj = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (obj == NULL) {
        error_set(err, ERR_INVALID, "invalid JSON at line %d, column %d: %s", jerr.line,
                  jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(obj)) {
        json_decref(obj);
        error_set(err, ERR_INVALID, "the body must be a JSON object");
        return NULL;
    }
    json_object_foreach(obj, key, v)
    {
        int known = 0;
        for (size_t i = 0; allowed[i] != NULL && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known) {
            error_set_field(err, ERR_INVALID, strlen(key) < 60 ? key : "body",
                            "unknown field '%.60s'", key);
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

/* PUT's fields into c. 0 or -1 with err. */
static int curate_update_parse(json_t *obj, struct store_curate *c, struct error *err)
{
    json_t *name = json_object_get(obj, "name"), *type = json_object_get(obj, "type");
    json_t *aliases = json_object_get(obj, "aliases");

    if (name == NULL && type == NULL && aliases == NULL) {
        error_set(err, ERR_INVALID, "give at least one of 'name', 'type', 'aliases'");
        return -1;
    }
    if (name != NULL && curate_text(name, "name", err, &c->name) != 0)
        return -1;
    if (type != NULL) {
        enum entity_type t;
        if (!json_is_string(type)) {
            error_set_field(err, ERR_INVALID, "type", "'type' must be a string");
            return -1;
        }
        if (entity_type_parse(json_string_value(type), &t) != 0) {
            error_set_field(err, ERR_UNPROCESSABLE, "type",
                            "'type' must be person, organization or location");
            return -1;
        }
        c->type = entity_type_name(t);
    }
    if (aliases != NULL) {
        size_t i;
        json_t *a;
        if (!json_is_array(aliases) || json_array_size(aliases) > CURATE_ALIASES_MAX) {
            error_set_field(err, ERR_INVALID, "aliases",
                            "'aliases' must be an array of at most %d strings", CURATE_ALIASES_MAX);
            return -1;
        }
        c->set_aliases = 1;
        c->aliases = calloc(json_array_size(aliases) + 1, sizeof *c->aliases);
        if (c->aliases == NULL) {
            error_set(err, ERR_INTERNAL, "out of memory");
            return -1;
        }
        json_array_foreach(aliases, i, a)
        {
            char *text;
            int dup = 0;
            if (curate_text(a, "aliases", err, &text) != 0)
                return -1;
            for (size_t k = 0; k < c->naliases && !dup; k++)
                dup = strcmp(c->aliases[k], text) == 0;
            if (dup)
                free(text);
            else
                c->aliases[c->naliases++] = text;
        }
    }
    return 0;
}

/* Parses what kind needs from the body, then runs the job. */
static int curate_run(struct app *app, struct http_request *req, struct http_response *res,
                      enum store_curate_kind kind)
{
    static const char *const update_fields[] = {"name", "type", "aliases", NULL};
    static const char *const merge_fields[] = {"into", NULL};
    struct pipeline_job *job;
    struct error err = {0};
    json_t *obj = NULL;

    if (req->nparams < 1 || strlen(req->params[0]) > 1024 ||
        utf8_check(req->params[0], strlen(req->params[0]), NULL) != 0) {
        reply_fail(res, ERR_NOT_FOUND, "no entity with this id");
        return HANDLER_DONE;
    }
    if ((kind == STORE_CURATE_UPDATE || kind == STORE_CURATE_MERGE) &&
        params_content_type(req, "application/json", res) != 0)
        return HANDLER_DONE;
    job = pipeline_job_new(PIPELINE_CURATE);
    if (job == NULL) {
        reply_fail(res, ERR_INTERNAL, "out of memory");
        return HANDLER_DONE;
    }
    job->curate.kind = kind;
    if ((job->curate.id = strdup(req->params[0])) == NULL)
        error_set(&err, ERR_INTERNAL, "out of memory");
    else if (kind == STORE_CURATE_UPDATE || kind == STORE_CURATE_MERGE)
        obj = curate_body(req, kind == STORE_CURATE_UPDATE ? update_fields : merge_fields, &err);
    if (obj != NULL && kind == STORE_CURATE_UPDATE) {
        curate_update_parse(obj, &job->curate, &err);
    } else if (obj != NULL) {
        json_t *into = json_object_get(obj, "into");
        if (into == NULL)
            error_set_field(&err, ERR_INVALID, "into", "'into' is required");
        else if (!json_is_string(into) || json_string_length(into) == 0 ||
                 json_string_length(into) > 1024)
            error_set_field(&err, ERR_INVALID, "into", "'into' must be an entity id");
        else if ((job->curate.into = strdup(json_string_value(into))) == NULL)
            error_set(&err, ERR_INTERNAL, "out of memory");
    }
    json_decref(obj);
    if (err.code != ERR_NONE) {
        pipeline_job_release(job);
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    return handlers_job_run(app, req, job, curate_finish);
}

int handle_entity_put(struct app *app, struct http_request *req, struct http_response *res)
{
    return curate_run(app, req, res, STORE_CURATE_UPDATE);
}

int handle_entity_merge(struct app *app, struct http_request *req, struct http_response *res)
{
    return curate_run(app, req, res, STORE_CURATE_MERGE);
}

int handle_entity_block(struct app *app, struct http_request *req, struct http_response *res)
{
    return curate_run(app, req, res, STORE_CURATE_BLOCK);
}

int handle_entity_unblock(struct app *app, struct http_request *req, struct http_response *res)
{
    return curate_run(app, req, res, STORE_CURATE_UNBLOCK);
}

/* Buckets of an entity's timeline: at most this many (400 past it), 30 when
 * from or to is not given. Its cost: store_entity_timeline's article cap. */
#define ENTITY_TIMELINE_BUCKETS 366
#define ENTITY_TIMELINE_DEFAULT 30

/* The start of the bucket of width (from offset) holding ts. */
static int64_t timeline_bucket(int64_t ts, int64_t width, int64_t offset)
{
    int64_t d = ts - offset;
    return (d >= 0 ? d / width : -((-d + width - 1) / width)) * width + offset;
}

static json_t *timeline_time(int64_t ts)
{
    char buf[40];
    datetime_format(ts, buf, sizeof buf);
    return json_string(buf);
}

int handle_entity_timeline(struct app *app, struct http_request *req, struct http_response *res)
{
    const char *interval = http_request_arg(req, "interval", NULL);
    int has_from = http_request_arg(req, "from", NULL) != NULL;
    int has_to = http_request_arg(req, "to", NULL) != NULL;
    struct store_entity_row row;
    struct store_timeline t;
    struct error err = {0};
    int64_t width, offset = 0, from, to;
    json_t *buckets, *body;
    char msg[160];

    if (interval == NULL || strcmp(interval, "day") == 0) {
        width = 86400;
    } else if (strcmp(interval, "week") == 0) {
        width = 7 * 86400;
        offset = 4 * 86400; /* 1970-01-05, a Monday: ISO weeks */
    } else {
        entity_param_error(res, "interval", "'interval' must be day or week");
        return HANDLER_DONE;
    }
    if (params_time(req, "from", 0, &from, res) != 0 || params_time(req, "to", 0, &to, res) != 0)
        return HANDLER_DONE;
    /* whole buckets: from rounded down, to up; a default range is the
     * ENTITY_TIMELINE_DEFAULT buckets from `from`, or up to `to` (now) */
    if (has_from && has_to && to <= from) {
        entity_param_error(res, "to", "'to' must be after 'from'");
        return HANDLER_DONE;
    }
    if (has_from)
        from = timeline_bucket(from, width, offset);
    if (!has_to)
        to = has_from ? from + ENTITY_TIMELINE_DEFAULT * width : (int64_t)time(NULL);
    to = timeline_bucket(to - 1, width, offset) + width;
    if (!has_from)
        from = to - ENTITY_TIMELINE_DEFAULT * width;
    if ((to - from) / width > ENTITY_TIMELINE_BUCKETS) {
        snprintf(msg, sizeof msg, "'from' to 'to' spans more than %d buckets of a %s",
                 ENTITY_TIMELINE_BUCKETS, width == 86400 ? "day" : "week");
        entity_param_error(res, "to", msg);
        return HANDLER_DONE;
    }
    if (entity_from_path(app, req, res, &row) != 0)
        return HANDLER_DONE;
    if (store_entity_timeline(app->store, row.eid, row.articles, from, to, width, &t, &err) != 0) {
        store_entity_row_clear(&row);
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    buckets = json_array();
    for (size_t i = 0; i < t.n; i++)
        json_array_append_new(buckets, json_pack("{s:o,s:I,s:I}", "start",
                                                 timeline_time(t.items[i].start), "articles",
                                                 (json_int_t)t.items[i].articles, "stories",
                                                 (json_int_t)t.items[i].stories));
    body = json_pack("{s:o,s:s,s:o,s:o,s:o,s:b}", "entity", entity_row_json(&row, 0), "interval",
                     width == 86400 ? "day" : "week", "from", timeline_time(from), "to",
                     timeline_time(to), "buckets", buckets, "truncated", t.truncated);
    store_timeline_free(&t);
    store_entity_row_clear(&row);
    reply_json(res, 200, body);
    return HANDLER_DONE;
}
