/* system.c: liveness, readiness, metrics and the contract. */
#include <stdlib.h>
#include <string.h>

#include "handlers/handlers.h"
#include "pipeline/stages.h"
#include "server/events.h"
#include "server/reply.h"
#include "server/router.h"

extern const unsigned char articled_openapi_yaml[];
extern const size_t articled_openapi_yaml_len;

int handle_healthz(struct app *app, struct http_request *req, struct http_response *res)
{
    (void)app;
    (void)req;
    /* the load balancer's question, asked often: no JSON library call */
    res->status = 200;
    res->body = strdup("{\"status\":\"ok\"}");
    res->len = res->body ? strlen(res->body) : 0;
    res->content_type = "application/json";
    if (res->body == NULL)
        reply_fail(res, ERR_INTERNAL, "out of memory");
    return HANDLER_DONE;
}

int handle_readyz(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_stats stats;
    struct error err = {0};
    int version = store_schema_version(app->store);
    (void)req;

    if (store_stats(app->store, &stats, &err) != 0) {
        reply_fail(res, ERR_UNAVAILABLE, err.msg);
        res->retry_after = 0; /* not ready is no retry hint: the contract says so */
        return HANDLER_DONE;
    }
    if (version != store_schema_latest()) {
        reply_fail(res, ERR_UNAVAILABLE, "the database is not migrated");
        res->retry_after = 0;
        return HANDLER_DONE;
    }
    reply_json(res, 200,
               json_pack("{s:s,s:i,s:I}", "status", "ready", "schema_version", version, "articles",
                         (json_int_t)stats.articles));
    return HANDLER_DONE;
}

int handle_metrics(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_stats stats = {0};
    struct error err = {0};
    const struct route *routes = app->routes;
    size_t n = app->nroutes;
    const char **names = calloc(n, sizeof *names);
    char *text;
    (void)req;

    if (names == NULL) {
        reply_fail(res, ERR_INTERNAL, "out of memory");
        return HANDLER_DONE;
    }
    for (size_t i = 0; i < n; i++)
        names[i] = routes[i].pattern;
    struct pipeline_stage_time times[PIPELINE_TIMED_MAX];
    struct metrics_stage stages[PIPELINE_TIMED_MAX + 5];
    struct metrics_gauges gauges;
    size_t nst = pipeline_stage_times(times, PIPELINE_TIMED_MAX), k = 0;

    store_stats(app->store, &stats, &err);
    for (; k < nst; k++)
        stages[k] = (struct metrics_stage){times[k].name, (double)times[k].ns / 1e9, times[k].count};
    /* the writer: applying ops, then committing them (flushes, COMMIT) */
    stages[k++] = (struct metrics_stage){"write", (double)stats.writer_apply_ns / 1e9,
                                         (unsigned long long)stats.writer_ops};
    {
        static const char *const index_names[3] = {"index-text", "index-fingerprints",
                                                   "index-entities"};
        long long rest = stats.writer_commit_ns;
        for (int i = 0; i < 3; i++) {
            stages[k++] = (struct metrics_stage){index_names[i],
                                                 (double)stats.writer_index_ns[i] / 1e9,
                                                 (unsigned long long)stats.writer_ops};
            rest -= stats.writer_index_ns[i];
        }
        /* the rest: count deltas, then COMMIT (FTS5 segments, WAL) */
        stages[k++] = (struct metrics_stage){"commit", (double)(rest > 0 ? rest : 0) / 1e9,
                                             (unsigned long long)stats.writer_ops};
    }
    gauges.body_bytes = (long long)http_body_memory();
    gauges.event_streams = app->events ? (long long)events_subscribers(app->events) : 0;
    text = metrics_render(app->metrics, names, &stats, &gauges, stages, k);
    free(names);
    if (text == NULL) {
        reply_fail(res, ERR_INTERNAL, "out of memory");
        return HANDLER_DONE;
    }
    res->status = 200;
    res->body = text;
    res->len = strlen(text);
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return HANDLER_DONE;
}

int handle_openapi(struct app *app, struct http_request *req, struct http_response *res)
{
    (void)app;
    (void)req;
    reply_text(res, 200, "application/yaml", (const char *)articled_openapi_yaml,
               articled_openapi_yaml_len);
    return HANDLER_DONE;
}
