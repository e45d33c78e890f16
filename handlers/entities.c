/* entities.c: /v1/articles/{id}/entities and /v1/entities... The people,
 * organisations and places that articles mention, merged across articles by
 * their canonical key, with counts, article lists and co-occurring entities. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int handle_entity_list(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_entity_query q = {0};
    struct store_entity_rows rows;
    struct error err = {0};
    const char *type = NULL, *prefix = NULL, *cursor_text = NULL, *parts[5];
    char *fold = NULL;
    json_t *list, *body;
    uint32_t qhash;

    if (params_string(req, "type", 32, &type, res) != 0 ||
        params_string(req, "q", 256, &prefix, res) != 0 ||
        params_time(req, "from", INT64_MIN, &q.from, res) != 0 ||
        params_time(req, "to", INT64_MAX, &q.to, res) != 0 ||
        params_limit(req, 20, 100, &q.limit, res) != 0 ||
        params_string(req, "cursor", CURSOR_MAX, &cursor_text, res) != 0)
        return HANDLER_DONE;
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
    qhash = cursor_query_hash(parts, 5);
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
    json_t *list;

    if (params_limit(req, 20, 100, &limit, res) != 0)
        return HANDLER_DONE;
    if (entity_from_path(app, req, res, &row) != 0)
        return HANDLER_DONE;
    if (store_entity_related(app->store, row.eid, limit, &rows, &err) != 0) {
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
