/* handlers.h: every route's handler (one file per resource) and the helpers
 * they share. Each handler fills res, or suspends the request for a write. */
#ifndef ARTICLED_HANDLERS_H
#define ARTICLED_HANDLERS_H

#include <stdint.h>

#include "pipeline/pipeline.h"
#include "server/app.h"
#include "server/http.h"

/* system.c */
int handle_healthz(struct app *app, struct http_request *req, struct http_response *res);
int handle_readyz(struct app *app, struct http_request *req, struct http_response *res);
int handle_metrics(struct app *app, struct http_request *req, struct http_response *res);
int handle_openapi(struct app *app, struct http_request *req, struct http_response *res);

/* articles.c */
int handle_article_create(struct app *app, struct http_request *req, struct http_response *res);
int handle_article_put(struct app *app, struct http_request *req, struct http_response *res);
int handle_article_get(struct app *app, struct http_request *req, struct http_response *res);
int handle_article_delete(struct app *app, struct http_request *req, struct http_response *res);
int handle_article_list(struct app *app, struct http_request *req, struct http_response *res);

/* bulk.c */
int handle_bulk(struct app *app, struct http_request *req, struct http_response *res);

/* duplicates.c */
int handle_article_duplicates(struct app *app, struct http_request *req, struct http_response *res);
int handle_duplicates_check(struct app *app, struct http_request *req, struct http_response *res);

/* entities.c */
int handle_article_entities(struct app *app, struct http_request *req, struct http_response *res);
int handle_entity_list(struct app *app, struct http_request *req, struct http_response *res);
int handle_entity_get(struct app *app, struct http_request *req, struct http_response *res);
int handle_entity_articles(struct app *app, struct http_request *req, struct http_response *res);
int handle_entity_related(struct app *app, struct http_request *req, struct http_response *res);
int handle_story_list(struct app *app, struct http_request *req, struct http_response *res);
int handle_story_get(struct app *app, struct http_request *req, struct http_response *res);
int handle_story_articles(struct app *app, struct http_request *req, struct http_response *res);
int handle_story_timeline(struct app *app, struct http_request *req, struct http_response *res);
int handle_entity_timeline(struct app *app, struct http_request *req, struct http_response *res);
/* Curation (write role): PUT name/type/aliases, _merge, _block and its DELETE. */
int handle_entity_put(struct app *app, struct http_request *req, struct http_response *res);
int handle_entity_merge(struct app *app, struct http_request *req, struct http_response *res);
int handle_entity_block(struct app *app, struct http_request *req, struct http_response *res);
int handle_entity_unblock(struct app *app, struct http_request *req, struct http_response *res);

/* search.c */
int handle_search(struct app *app, struct http_request *req, struct http_response *res);
int handle_search_multi(struct app *app, struct http_request *req, struct http_response *res);

/* changes.c */
int handle_changes(struct app *app, struct http_request *req, struct http_response *res);
int handle_events(struct app *app, struct http_request *req, struct http_response *res);

/* admin.c */
int handle_admin_snapshot(struct app *app, struct http_request *req, struct http_response *res);

/* job.c: a request answered by one pipeline job. handlers_job_new: a job of
 * kind that owns the request's body (taken from req), or NULL with res set.
 * handlers_job_run: suspends req, submits job (the request and the pipeline
 * each hold a reference) and, once the job has finished, renders the answer
 * with render (req->state is the job). Returns HANDLER_SUSPEND. */
struct pipeline_job *handlers_job_new(struct http_request *req, enum pipeline_kind kind,
                                      struct http_response *res);
int handlers_job_run(struct app *app, struct http_request *req, struct pipeline_job *job,
                     http_continue_fn render);

/* params.c: query parameters, shared checks. Each returns 0, or -1 with res
 * set to the problem answer. */
int params_content_type(const struct http_request *req, const char *want,
                        struct http_response *res);
/* Answers a problem about one parameter: code's status, msg as the detail and
 * as errors[0] naming field. */
void params_fail(struct http_response *res, enum error_code code, const char *field,
                 const char *msg);
int params_string(const struct http_request *req, const char *name, size_t max, const char **out,
                  struct http_response *res);
int params_limit(const struct http_request *req, unsigned dflt, unsigned max, unsigned *out,
                 struct http_response *res);
int params_time(const struct http_request *req, const char *name, int64_t dflt, int64_t *out,
                struct http_response *res);
int params_double(const struct http_request *req, const char *name, double min, double max,
                  double dflt, double *out, struct http_response *res);

#endif
