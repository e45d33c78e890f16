/* changes.c: GET /v1/changes, the change feed: what was created, replaced
 * and deleted after a change number, in commit order (store_changes); and
 * GET /v1/events, the same as a live stream of Server-Sent Events
 * (server/events.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/handlers.h"
#include "pipeline/article_json.h"
#include "server/app.h"
#include "server/events.h"
#include "server/reply.h"

static const enum store_change_type change_types[] = {
    STORE_CHANGE_CREATED,          STORE_CHANGE_UPDATED,       STORE_CHANGE_DELETED,
    STORE_CHANGE_ENTITY_UPDATED,   STORE_CHANGE_ENTITY_MERGED, STORE_CHANGE_ENTITY_BLOCKED,
    STORE_CHANGE_ENTITY_UNBLOCKED, STORE_CHANGE_STORY_UPDATED, STORE_CHANGE_STORY_MERGED,
    STORE_CHANGE_STORY_DELETED};

#define NCHANGE_TYPES (sizeof change_types / sizeof change_types[0])

/* The largest since: the largest integer every JSON client reads exactly. */
#define CHANGES_SINCE_MAX 9007199254740991LL

/* since (or the value of another parameter or header named by what): a
 * whole number from 0 to CHANGES_SINCE_MAX, or v absent (*out unchanged).
 * 0 or -1 (answered). */
static int changes_number(const char *v, const char *what, int64_t *out,
                          struct http_response *res)
{
    char *end = NULL;
    long long n;

    if (v == NULL)
        return 0;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n > CHANGES_SINCE_MAX) {
        char msg[128];
        snprintf(msg, sizeof msg, "'%s' must be a change number (a whole number from 0 to 2^53-1)",
                 what);
        params_fail(res, ERR_INVALID, what, msg);
        return -1;
    }
    *out = (int64_t)n;
    return 0;
}

/* types: a comma-separated list of change types (default all). */
static int changes_types(struct http_request *req, unsigned *out, struct http_response *res)
{
    const char *v, *p;

    *out = 0;
    if (params_string(req, "types", 256, &v, res) != 0)
        return -1;
    if (v == NULL)
        return 0;
    for (p = v;;) {
        size_t n = strcspn(p, ","), i;
        for (i = 0; i < NCHANGE_TYPES; i++) {
            const char *name = store_change_type_name(change_types[i]);
            if (strlen(name) == n && strncmp(p, name, n) == 0)
                break;
        }
        if (i == NCHANGE_TYPES) { /* an unknown or empty name */
            params_fail(res, ERR_INVALID, "types",
                        "'types' lists change types separated by commas: article.created, "
                        "article.updated, article.deleted, entity.updated, entity.merged, "
                        "entity.blocked, entity.unblocked, story.updated, story.merged, "
                        "story.deleted");
            return -1;
        }
        *out |= (unsigned)change_types[i];
        if (p[n] != ',')
            return 0;
        p += n + 1;
    }
}

/* A failed store_changes: a 410 says where to resume, as members of the
 * problem (RFC 9457 extensions). */
static void changes_fail(struct http_response *res, const struct error *err,
                         const struct store_changes *page)
{
    json_t *p;
    if (err->code != ERR_GONE) {
        reply_error(res, err);
        return;
    }
    p = json_pack("{s:s,s:s,s:i,s:s,s:I,s:I}", "type", "about:blank", "title", "Gone", "status",
                  410, "detail", err->msg, "oldest_since", (json_int_t)page->floor, "head",
                  (json_int_t)page->head);
    reply_json(res, 410, p);
    res->content_type = "application/problem+json";
}

int handle_changes(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_change_query q = {0};
    struct store_changes page;
    struct error err = {0};
    json_t *body, *list;

    if (changes_number(http_request_arg(req, "since", NULL), "since", &q.since, res) != 0 ||
        changes_types(req, &q.types, res) != 0 ||
        params_limit(req, 20, STORE_CHANGES_MAX, &q.limit, res) != 0 ||
        params_string(req, "source", ARTICLE_SHORT_MAX, &q.source, res) != 0)
        return HANDLER_DONE;
    if (store_changes(app->store, &q, &page, &err) != 0) {
        changes_fail(res, &err, &page);
        return HANDLER_DONE;
    }
    list = json_array();
    for (size_t i = 0; i < page.n && list != NULL; i++) {
        const struct store_change *c = &page.items[i];
        json_t *o = json_pack("{s:I,s:s,s:s,s:s}", "seq", (json_int_t)c->seq, "type",
                              store_change_type_name(c->type), "id", c->id, "at", c->at);
        if (o != NULL && c->source != NULL)
            json_object_set_new(o, "source", json_string(c->source));
        if (o != NULL && c->into != NULL)
            json_object_set_new(o, "into", json_string(c->into));
        if (o == NULL || json_array_append_new(list, o) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    body = list ? json_pack("{s:o,s:I,s:I}", "changes", list, "next_since",
                            (json_int_t)page.next_since, "head", (json_int_t)page.head)
                : NULL;
    store_changes_free(&page);
    if (body == NULL) {
        reply_fail(res, ERR_INTERNAL, "out of memory");
        return HANDLER_DONE;
    }
    reply_json(res, 200, body);
    return HANDLER_DONE;
}

int handle_events(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_change_query q = {.limit = 1};
    struct store_changes page;
    struct error err = {0};
    const char *last = http_request_header(req, "Last-Event-ID");
    struct events_sub *sub;
    int64_t since = -1;
    int full;

    if (changes_number(http_request_arg(req, "since", NULL), "since", &since, res) != 0 ||
        changes_number(last, "Last-Event-ID", &since, res) != 0 ||
        changes_types(req, &q.types, res) != 0 ||
        params_string(req, "source", ARTICLE_SHORT_MAX, &q.source, res) != 0)
        return HANDLER_DONE;
    /* a resumed stream must be able to go on where it stopped; a new one
     * starts at the last change committed */
    q.since = since >= 0 ? since : INT64_MAX;
    if (store_changes(app->store, &q, &page, &err) != 0 && (since >= 0 || err.code != ERR_GONE)) {
        changes_fail(res, &err, &page);
        return HANDLER_DONE;
    }
    if (since < 0)
        since = page.head;
    store_changes_free(&page);
    res->status = 200;
    res->content_type = "text/event-stream";
    res->cache_control = "no-store";
    if (strcmp(req->method, "HEAD") == 0)
        return HANDLER_DONE;
    sub = events_subscribe(app->events, req, since, q.types, q.source, &full);
    if (sub == NULL) {
        res->content_type = NULL;
        res->cache_control = NULL;
        if (full)
            reply_limit(res, 503, "subscribers",
                        "--max-subscribers event streams are open (or the service is stopping)");
        else
            reply_fail(res, ERR_INTERNAL, "out of memory");
        return HANDLER_DONE;
    }
    http_request_keep(req, sub, events_sub_free);
    res->stream = events_stream;
    res->stream_endless = 1;
    return HANDLER_DONE;
}
