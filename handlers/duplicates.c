/* duplicates.c: GET /v1/articles/{id}/duplicates and POST /v1/duplicates/_check.
 * exact[]: other articles with the same normalised text; near[]: articles
 * whose fingerprint containment reaches min_containment, found through the
 * inverted fingerprint index (never a scan), highest containment first.
 * Containment is symmetric (shared / the smaller set), so if A lists B, B
 * lists A. */
#include <stdlib.h>
#include <string.h>

#include "analysis/dedupe.h"
#include "analysis/fingerprint.h"
#include "pipeline/stages.h"
#include "pipeline/article_json.h"
#include "handlers/handlers.h"
#include "handlers/ingest.h"
#include "pipeline/near.h"
#include "server/reply.h"

/* Renders {exact: [...], near: [...]} for a text with this hash and set. */
static int duplicates_answer(struct app *app, const char *exclude_id, const char *content_hash,
                             const struct fingerprint_set *fps, const struct fingerprint_set *index,
                             double min_containment, json_t **out, struct error *err)
{
    char **ids = NULL;
    size_t nids = 0;
    struct dedupe_near_list near = {0};
    json_t *exact;

    if (store_exact_copies(app->store, content_hash, exclude_id, &ids, &nids, err) != 0)
        return -1;
    if (near_find(app->store, fps, index, exclude_id, content_hash, min_containment, &near, err) !=
        0) {
        for (size_t i = 0; i < nids; i++)
            free(ids[i]);
        free(ids);
        return -1;
    }
    exact = json_array();
    for (size_t i = 0; i < nids; i++) {
        json_array_append_new(exact, json_string(ids[i]));
        free(ids[i]);
    }
    free(ids);
    *out = json_pack("{s:o,s:o}", "exact", exact, "near", ingest_near_json(&near, min_containment));
    dedupe_near_list_free(&near);
    return 0;
}

int handle_article_duplicates(struct app *app, struct http_request *req, struct http_response *res)
{
    struct article a;
    struct fingerprint_set fps = {0}, index = {0};
    struct error err = {0};
    double min_containment;
    json_t *body = NULL;

    if (ingest_min_containment(req, &min_containment, res) != 0)
        return HANDLER_DONE;
    if (req->nparams < 1 || !article_id_valid(req->params[0])) {
        reply_fail(res, ERR_NOT_FOUND, "no article with this id");
        return HANDLER_DONE;
    }
    if (store_article_get(app->store, req->params[0], &a, &err) != 0) {
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    /* the sets are a pure function of the body: recomputing (tens of
     * microseconds) costs less than reading them back */
    if (dedupe_sets(a.body, a.body_len, &fps, &index, NULL) != 0)
        error_set(&err, ERR_INTERNAL, "out of memory");
    else if (duplicates_answer(app, a.id, a.content_hash, &fps, &index, min_containment, &body,
                               &err) == 0) {
        json_object_set_new(body, "id", json_string(a.id));
        reply_json(res, 200, body);
    }
    if (body == NULL)
        reply_error(res, &err);
    fingerprint_set_free(&fps);
    fingerprint_set_free(&index);
    article_clear(&a);
    return HANDLER_DONE;
}

/* The check's answer, once its job has finished. */
static int check_finish(struct app *app, struct http_request *req, struct http_response *res)
{
    struct pipeline_job *job = req->state;
    json_t *exact;
    (void)app;

    if (job->err.code != ERR_NONE) {
        reply_error(res, &job->err);
        return HANDLER_DONE;
    }
    exact = json_array();
    for (size_t i = 0; i < job->nexact; i++)
        json_array_append_new(exact, json_string(job->exact_ids[i]));
    reply_json(res, 200,
               json_pack("{s:o,s:o,s:s}", "exact", exact, "near",
                         ingest_near_json(&job->ops[0].near, job->min_containment),
                         "content_hash", job->ops[0].article.content_hash));
    return HANDLER_DONE;
}

/* The text is analysed on the pipeline's threads, like an article written. */
int handle_duplicates_check(struct app *app, struct http_request *req, struct http_response *res)
{
    struct pipeline_job *job;
    double min_containment;

    if (params_content_type(req, "application/json", res) != 0 ||
        ingest_min_containment(req, &min_containment, res) != 0)
        return HANDLER_DONE;
    job = handlers_job_new(req, PIPELINE_CHECK, res);
    if (job == NULL)
        return HANDLER_DONE;
    job->min_containment = min_containment;
    return handlers_job_run(app, req, job, check_finish);
}
