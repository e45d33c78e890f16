/* multisearch.c: POST /v1/search/_multi, several searches in one request (a
 * dashboard's sidebar and result list at once). Each query is an object of
 * the same parameters as GET /v1/search (an array for a repeated one); it
 * runs through handle_search as if it had come alone, and its answer (or
 * its problem) takes its place in the results, so one bad query never fails
 * the others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/handlers.h"
#include "server/reply.h"

/* At most this many queries in one request. */
#define MULTI_MAX_QUERIES 20

/* A problem object for one slot (not an answer of its own). */
static json_t *multi_problem(unsigned status, const char *field, const char *detail)
{
    json_t *p = json_pack("{s:s,s:s,s:i,s:s}", "type", "about:blank", "title",
                          reply_reason(status), "status", (int)status, "detail", detail);
    if (p != NULL && field != NULL)
        json_object_set_new(p, "errors",
                            json_pack("[{s:s,s:s}]", "field", field, "message", detail));
    return p;
}

/* Runs one query object as GET /v1/search; its answer or problem. The
 * values' text lives in vals (MULTI_VALUE bytes each). */
#define MULTI_VALUE 64
static json_t *multi_one(struct app *app, json_t *query, char vals[][MULTI_VALUE])
{
    struct http_request sub;
    struct http_response sr;
    const char *key;
    json_t *value, *out;
    char msg[160];

    if (!json_is_object(query))
        return multi_problem(400, "queries", "each query is an object of search parameters");
    memset(&sub, 0, sizeof sub);
    sub.method = "GET";
    sub.path = "/v1/search";
    sub.body = "";
    sub.route_name = "/v1/search";
    json_object_foreach(query, key, value)
    {
        /* an array is the parameter repeated (source=AFP&source=Reuters) */
        size_t n = json_is_array(value) ? json_array_size(value) : 1;
        for (size_t k = 0; k < n; k++) {
            json_t *v = json_is_array(value) ? json_array_get(value, k) : value;
            struct http_arg *a;
            if (sub.nargs == HTTP_MAX_ARGS)
                return multi_problem(400, NULL, "a query has more than 32 parameters");
            a = &sub.args[sub.nargs];
            a->key = key;
            if (json_is_string(v)) {
                if (strlen(json_string_value(v)) != json_string_length(v)) {
                    snprintf(msg, sizeof msg, "'%s' holds a NUL character", key);
                    return multi_problem(400, key, msg);
                }
                a->value = json_string_value(v);
            } else if (json_is_integer(v) || json_is_real(v)) {
                if (json_is_integer(v))
                    snprintf(vals[sub.nargs], MULTI_VALUE, "%lld",
                             (long long)json_integer_value(v));
                else
                    snprintf(vals[sub.nargs], MULTI_VALUE, "%.17g", json_real_value(v));
                a->value = vals[sub.nargs];
            } else {
                snprintf(msg, sizeof msg, "'%s' must be a string, a number or an array of them",
                         key);
                return multi_problem(400, key, msg);
            }
            sub.nargs++;
        }
    }
    memset(&sr, 0, sizeof sr);
    handle_search(app, &sub, &sr);
    out = sr.body != NULL ? json_loadb(sr.body, sr.len, 0, NULL) : NULL;
    free(sr.body);
    free(sr.location);
    if (out == NULL)
        out = multi_problem(500, NULL, "the search's answer could not be read");
    return out;
}

int handle_search_multi(struct app *app, struct http_request *req, struct http_response *res)
{
    json_error_t jerr;
    json_t *root, *queries, *results = NULL, *q;
    char(*vals)[MULTI_VALUE] = NULL;
    size_t i;

    if (params_content_type(req, "application/json", res) != 0)
        return HANDLER_DONE;
    root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    queries = json_object_get(root, "queries");
    if (!json_is_object(root) || !json_is_array(queries) || json_array_size(queries) == 0 ||
        json_array_size(queries) > MULTI_MAX_QUERIES) {
        json_t *errors = json_pack("[{s:s,s:s}]", "field", "queries", "message",
                                   "an array of 1 to 20 query objects");
        reply_fail_errors(res, ERR_INVALID,
                          root == NULL ? "the body is not JSON"
                                       : "the body must be {\"queries\": [...]} with 1 to 20 "
                                         "query objects",
                          errors);
        goto done;
    }
    results = json_array();
    vals = calloc(HTTP_MAX_ARGS, sizeof *vals);
    if (results == NULL || vals == NULL) {
        reply_fail(res, ERR_INTERNAL, "out of memory");
        goto done;
    }
    json_array_foreach(queries, i, q)
    {
        json_t *one = multi_one(app, q, vals);
        if (one == NULL || json_array_append_new(results, one) != 0) {
            reply_fail(res, ERR_INTERNAL, "out of memory");
            goto done;
        }
    }
    reply_json(res, 200, json_pack("{s:O}", "results", results));
done:
    free(vals);
    json_decref(results);
    json_decref(root);
    return HANDLER_DONE;
}
