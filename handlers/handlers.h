/* handlers.h: every route's handler (one file per resource) and the helpers
 * they share. Each handler fills res, or suspends the request for a write. */
#ifndef ARTICLED_HANDLERS_H
#define ARTICLED_HANDLERS_H

#include <jansson.h>
#include <stdint.h>

#include "pipeline/pipeline.h"
#include "server/app.h"
#include "server/http.h"

/* system.c */
int handle_healthz(struct app *app, struct http_request *req, struct http_response *res);
int handle_readyz(struct app *app, struct http_request *req, struct http_response *res);
int handle_metrics(struct app *app, struct http_request *req, struct http_response *res);
int handle_openapi(struct app *app, struct http_request *req, struct http_response *res);
/* handlers/desk.c: the desk page (GET /) and its assets (GET /desk/{file}). */
int handle_desk_page(struct app *app, struct http_request *req, struct http_response *res);
int handle_desk_asset(struct app *app, struct http_request *req, struct http_response *res);

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

/* search_hit.c: a search hit's card and the fields= that narrows it. */
enum search_field {
    SEARCH_FIELD_ID = 1u << 0, /* always returned */
    SEARCH_FIELD_TITLE = 1u << 1,
    SEARCH_FIELD_SOURCE = 1u << 2,
    SEARCH_FIELD_PUBLISHED_AT = 1u << 3,
    SEARCH_FIELD_SCORE = 1u << 4,
    SEARCH_FIELD_SNIPPET = 1u << 5,
    SEARCH_FIELD_COPIES = 1u << 6, /* only with duplicates=collapse */
    SEARCH_FIELD_URL = 1u << 7,
    SEARCH_FIELD_TAGS = 1u << 8,
    SEARCH_FIELD_LANGUAGE = 1u << 9,
    SEARCH_FIELD_AUTHOR = 1u << 10,
    SEARCH_FIELD_STORY = 1u << 11,
    SEARCH_FIELD_DUPLICATE_OF = 1u << 12,
    SEARCH_FIELD_ENTITIES = 1u << 13,
    SEARCH_FIELD_TITLE_HTML = 1u << 14,
    SEARCH_FIELD_ALL = (1u << 15) - 1
};
/* The fields= parameters (repeatable, comma lists) as a mask with id set;
 * none given: SEARCH_FIELD_ALL. 0, or -1 with res a 400 naming "fields"
 * (an unknown name, more than 256 bytes) or a 422 (not UTF-8). */
int search_fields_parse(const struct http_request *req, unsigned *mask, struct http_response *res);
/* The store_search_query.cards bits a mask needs. */
unsigned search_fields_cards(unsigned mask);
/* One hit as JSON with the fields of mask; collapse 1 (duplicates=collapse)
 * adds copies, 2 (collapse=story) story_articles, story_sources and
 * story_matches. A new reference, or NULL when out of memory. */
json_t *search_hit_json(const struct store_hit *h, unsigned mask, int collapse);

/* search_typo.c: the query text with its unknown bare words corrected
 * (store_typo_candidates), tried with base's filters: 0 with a new string in *out (free())
 * or NULL when nothing was corrected; -1 with err. */
int search_typo_correct(struct app *app, const char *text, const struct store_search_query *base,
                        char **out, struct error *err);
/* facets.c: the facets of a search (GET /v1/search's `facets`,
 * `facet_size`) and the lists of sources and tags. */
#define FACETS_SIZE_DEFAULT   10
#define FACETS_SIZE_MAX       100
#define FACETS_LIST_MAX       128  /* bytes of the `facets` list */
#define FACETS_LIST_LIMIT_MAX 1000 /* values of /v1/sources, /v1/tags */
struct facets_request {
    unsigned mask; /* 1u << enum store_facet_kind; 0: no facets */
    unsigned size;
    char key[32]; /* for the answer cache's key ("" with no facets) */
};
/* Reads `facets` and `facet_size`: 0, or -1 with res set to a 400. */
int facets_params(const struct http_request *req, struct facets_request *fr,
                  struct http_response *res);
/* Adds "facets" to body for the matches of q up to max_seq (none when
 * fr->mask is 0). 0, or -1 with err. */
int facets_render(struct app *app, const struct store_search_query *q, int64_t max_seq,
                  const struct facets_request *fr, json_t *body, struct error *err);
int handle_source_list(struct app *app, struct http_request *req, struct http_response *res);
int handle_tag_list(struct app *app, struct http_request *req, struct http_response *res);

/* changes.c */
int handle_changes(struct app *app, struct http_request *req, struct http_response *res);
int handle_events(struct app *app, struct http_request *req, struct http_response *res);
int handle_synonyms(struct app *app, struct http_request *req, struct http_response *res);

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
/* One of names (NULL-terminated; absent: the first): its index in *out. */
int params_choice(const struct http_request *req, const char *name, const char *const *names,
                  int *out, struct http_response *res);
int params_limit(const struct http_request *req, unsigned dflt, unsigned max, unsigned *out,
                 struct http_response *res);
int params_time(const struct http_request *req, const char *name, int64_t dflt, int64_t *out,
                struct http_response *res);
int params_double(const struct http_request *req, const char *name, double min, double max,
                  double dflt, double *out, struct http_response *res);

#endif
