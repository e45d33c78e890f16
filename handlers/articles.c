/* articles.c: /v1/articles and /v1/articles/{id}. A write is a pipeline job
 * (pipeline.h), answered once it committed; reads go to the store. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/article_json.h"
#include "handlers/cursor.h"
#include "handlers/handlers.h"
#include "handlers/ingest.h"
#include "server/reply.h"

/* The answer of a finished write job, on an HTTP thread. */
static int write_finish(struct app *app, struct http_request *req, struct http_response *res)
{
    struct pipeline_job *job = req->state;
    struct store_op *op = &job->ops[0];
    char *location;

    if (job->err.code != ERR_NONE) { /* refused before the writer */
        reply_error(res, &job->err);
        return HANDLER_DONE;
    }
    metrics_ingested(app->metrics, op->failed ? 0 : 1, op->failed ? 1 : 0);
    if (op->failed) {
        reply_error(res, &op->err);
        return HANDLER_DONE;
    }
    if (op->kind == STORE_OP_DELETE) {
        res->status = 204;
        return HANDLER_DONE;
    }
    reply_json(res, op->created ? 201 : 200, ingest_render(op, job->min_containment));
    if (op->created && asprintf(&location, "/v1/articles/%s", op->article.id) >= 0)
        res->location = location;
    return HANDLER_DONE;
}

static int article_write(struct app *app, struct http_request *req, struct http_response *res,
                         enum pipeline_kind kind, const char *path_id)
{
    struct pipeline_job *job;
    double min_containment;

    if (params_content_type(req, "application/json", res) != 0 ||
        ingest_min_containment(req, &min_containment, res) != 0)
        return HANDLER_DONE;
    job = handlers_job_new(req, kind, res);
    if (job == NULL)
        return HANDLER_DONE;
    job->min_containment = min_containment;
    if (path_id != NULL && (job->id = strdup(path_id)) == NULL) {
        pipeline_job_release(job);
        reply_fail(res, ERR_INTERNAL, "out of memory");
        return HANDLER_DONE;
    }
    return handlers_job_run(app, req, job, write_finish);
}

/* Checks the {id} path parameter; 404 for ids that cannot exist. */
static int article_path_id(struct http_request *req, struct http_response *res)
{
    if (req->nparams < 1 || !article_id_valid(req->params[0])) {
        reply_fail(res, ERR_NOT_FOUND,
                   "no article with this id (ids match [A-Za-z0-9._:-]{1,128})");
        return -1;
    }
    return 0;
}

int handle_article_create(struct app *app, struct http_request *req, struct http_response *res)
{
    return article_write(app, req, res, PIPELINE_CREATE, NULL);
}

int handle_article_put(struct app *app, struct http_request *req, struct http_response *res)
{
    if (req->nparams < 1 || !article_id_valid(req->params[0])) {
        json_t *errors = json_pack("[{s:s,s:s}]", "field", "id", "message",
                                   "ids match [A-Za-z0-9._:-]{1,128}, not . or ..");
        reply_fail_errors(res, ERR_INVALID, "the id in the URL is not valid", errors);
        return HANDLER_DONE;
    }
    return article_write(app, req, res, PIPELINE_PUT, req->params[0]);
}

int handle_article_delete(struct app *app, struct http_request *req, struct http_response *res)
{
    struct pipeline_job *job;

    if (article_path_id(req, res) != 0)
        return HANDLER_DONE;
    job = handlers_job_new(req, PIPELINE_DELETE, res);
    if (job == NULL)
        return HANDLER_DONE;
    if ((job->id = strdup(req->params[0])) == NULL) {
        pipeline_job_release(job);
        reply_fail(res, ERR_INTERNAL, "out of memory");
        return HANDLER_DONE;
    }
    return handlers_job_run(app, req, job, write_finish);
}

int handle_article_get(struct app *app, struct http_request *req, struct http_response *res)
{
    struct article a;
    struct error err = {0};

    reply_revalidate(res);

    if (article_path_id(req, res) != 0)
        return HANDLER_DONE;
    if (store_article_get(app->store, req->params[0], &a, &err) != 0) {
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    reply_json(res, 200, article_json_render(&a, 1));
    article_clear(&a);
    return HANDLER_DONE;
}

int handle_article_list(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_list_query q = {0};
    struct store_article_list list;
    struct error err = {0};
    const char *cursor_text = NULL, *parts[4];
    json_t *body;
    uint32_t qhash;

    if (params_string(req, "source", ARTICLE_SHORT_MAX, &q.source, res) != 0 ||
        params_time(req, "from", INT64_MIN, &q.from, res) != 0 ||
        params_time(req, "to", INT64_MAX, &q.to, res) != 0 ||
        params_limit(req, 20, 100, &q.limit, res) != 0 ||
        params_string(req, "cursor", CURSOR_MAX, &cursor_text, res) != 0)
        return HANDLER_DONE;
    parts[0] = "list";
    parts[1] = q.source;
    parts[2] = http_request_arg(req, "from", NULL);
    parts[3] = http_request_arg(req, "to", NULL);
    qhash = cursor_query_hash(parts, 4);
    if (cursor_text != NULL) {
        struct cursor c;
        if (cursor_decode(cursor_text, app->cursor_key, &c) != 0 || c.kind != 'l' ||
            c.query != qhash) {
            json_t *errors = json_pack("[{s:s,s:s}]", "field", "cursor", "message",
                                       "not a cursor of this listing");
            reply_fail_errors(res, ERR_INVALID,
                              "'cursor' must be a next_cursor value from the same listing", errors);
            return HANDLER_DONE;
        }
        q.has_after = 1;
        q.after_ts = c.ts;
        q.after_seq = c.seq;
    }
    if (store_article_list(app->store, &q, &list, &err) != 0) {
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    body = article_page_json(&list, qhash, app->cursor_key);
    store_article_list_free(&list);
    reply_json(res, 200, body);
    return HANDLER_DONE;
}
