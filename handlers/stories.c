/* stories.c: /v1/stories and /v1/stories/{id}. A story is every outlet's
 * report of one event, grouped at ingest (store/store_story.c); these read
 * them: most recently active first, and one with its members. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/datetime.h"
#include "analysis/query.h"
#include "handlers/cursor.h"
#include "handlers/handlers.h"
#include "pipeline/article_json.h"
#include "server/reply.h"

/* Members listed by GET /v1/stories/{id}, oldest first. */
#define STORIES_MEMBERS_MAX 100
/* Buckets of a story's timeline, at most (only those holding members are
 * listed; its cost: store_story_timeline's member cap). */
#define STORIES_TIMELINE_BUCKETS 1000

static void story_param_error(struct http_response *res, const char *field, const char *msg)
{
    json_t *errors = json_pack("[{s:s,s:s}]", "field", field, "message", msg);
    reply_fail_errors(res, ERR_INVALID, msg, errors);
}

static json_t *opt_string(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *time_json(int64_t ts)
{
    char buf[40];
    datetime_format(ts, buf, sizeof buf);
    return json_string(buf);
}

/* {id, title, articles, sources: {count, names}, first/last_published_at}. */
static json_t *story_json(const struct store_story *s)
{
    json_t *names = json_array(), *o;
    for (size_t i = 0; i < s->nsource_names; i++)
        json_array_append_new(names, json_string(s->sources[i]));
    o = json_pack("{s:o,s:s,s:I,s:{s:I,s:o},s:o,s:o}", "id",
                  json_sprintf("%lld", (long long)s->id), "title", s->title, "articles",
                  (json_int_t)s->articles, "sources", "count", (json_int_t)s->nsources, "names",
                  names, "first_published_at", time_json(s->first_ts), "last_published_at",
                  time_json(s->last_ts));
    return o;
}

/* A story id as the API writes it (decimal digits, no sign, no leading
 * zero): 0 and the id, or -1. */
static int story_id_parse(const char *text, int64_t *id)
{
    size_t n = strlen(text);
    long long v = 0;
    if (n == 0 || n > 18 || text[0] == '0')
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    *id = v;
    return 0;
}

int handle_story_list(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_story_query q = {0};
    struct store_stories list;
    struct error err = {0};
    const char *cursor_text = NULL, *min_text = NULL, *text = NULL, *entity = NULL, *parts[7];
    char *match = NULL;
    json_t *items, *body;
    uint32_t qhash;

    if (params_time(req, "from", INT64_MIN, &q.from, res) != 0 ||
        params_time(req, "to", INT64_MAX, &q.to, res) != 0 ||
        params_limit(req, 20, 100, &q.limit, res) != 0 ||
        params_string(req, "min_articles", 12, &min_text, res) != 0 ||
        params_string(req, "cursor", CURSOR_MAX, &cursor_text, res) != 0 ||
        params_string(req, "q", QUERY_MAX_BYTES, &text, res) != 0 ||
        params_string(req, "source", ARTICLE_SHORT_MAX, &q.source, res) != 0 ||
        params_string(req, "entity", 1024, &entity, res) != 0)
        return HANDLER_DONE;
    if (min_text == NULL && http_request_arg(req, "min_articles", NULL) != NULL)
        min_text = ""; /* given empty: refused like any other non-number */
    if (min_text != NULL) {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(min_text, &end, 10);
        if (min_text[0] < '0' || min_text[0] > '9' || *end != '\0' || errno != 0 || v < 1 ||
            v > 1000000000) {
            story_param_error(res, "min_articles",
                              "'min_articles' must be an integer from 1 to 1000000000");
            return HANDLER_DONE;
        }
        q.min_articles = v;
    }
    parts[0] = "stories";
    parts[1] = http_request_arg(req, "from", NULL);
    parts[2] = http_request_arg(req, "to", NULL);
    parts[3] = min_text;
    parts[4] = text;
    parts[5] = q.source;
    parts[6] = entity;
    qhash = cursor_query_hash(parts, 7);
    if (cursor_text != NULL) {
        struct cursor c;
        if (cursor_decode(cursor_text, app->cursor_key, &c) != 0 || c.kind != 'l' ||
            c.query != qhash) {
            story_param_error(res, "cursor",
                              "'cursor' must be a next_cursor value from the same listing");
            return HANDLER_DONE;
        }
        q.has_after = 1;
        q.after_ts = c.ts;
        q.after_id = c.seq;
    }
    if (text != NULL && query_to_fts5(text, strlen(text), &match, &err) != 0) {
        if (err.field[0] == '\0')
            snprintf(err.field, sizeof err.field, "q");
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    q.match = match;
    if (entity != NULL) {
        /* an entity nobody mentions: no story */
        struct store_entity_row row;
        if (store_entity_get(app->store, entity, &row, &err) == 0) {
            q.entity = row.eid;
            store_entity_row_clear(&row);
        } else if (err.code == ERR_NOT_FOUND) {
            q.entity = -1;
            error_clear(&err);
        } else {
            free(match);
            reply_error(res, &err);
            return HANDLER_DONE;
        }
    }
    if (store_story_list(app->store, &q, &list, &err) != 0) {
        free(match);
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    free(match);
    items = json_array();
    for (size_t i = 0; i < list.n; i++)
        json_array_append_new(items, story_json(&list.items[i]));
    body = json_pack("{s:o}", "stories", items);
    if (list.more && list.n > 0) {
        struct cursor c = {.kind = 'l',
                           .ts = list.items[list.n - 1].last_ts,
                           .seq = list.items[list.n - 1].id,
                           .query = qhash};
        char text[CURSOR_MAX];
        cursor_encode(&c, app->cursor_key, text);
        json_object_set_new(body, "next_cursor", json_string(text));
    } else {
        json_object_set_new(body, "next_cursor", json_null());
    }
    store_stories_free(&list);
    reply_json(res, 200, body);
    return HANDLER_DONE;
}

int handle_story_get(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_story s;
    struct error err = {0};
    int64_t id;
    json_t *o, *members;

    reply_revalidate(res);

    if (req->nparams < 1 || story_id_parse(req->params[0], &id) != 0) {
        reply_fail(res, ERR_NOT_FOUND, "no story with this id");
        return HANDLER_DONE;
    }
    if (store_story_get(app->store, id, STORIES_MEMBERS_MAX, &s, &err) != 0) {
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    if (s.merged_into != 0) {
        /* merged away: where its members went */
        o = json_pack("{s:o,s:o}", "id", json_sprintf("%lld", (long long)id), "merged_into",
                      json_sprintf("%lld", (long long)s.merged_into));
        store_story_clear(&s);
        reply_json(res, 200, o);
        return HANDLER_DONE;
    }
    o = story_json(&s);
    members = json_array();
    for (size_t i = 0; i < s.nmembers; i++) {
        const struct store_story_member *m = &s.members[i];
        json_array_append_new(members,
                              json_pack("{s:s,s:s,s:o,s:o,s:o}", "id", m->id, "title", m->title,
                                        "source", opt_string(m->source), "published_at",
                                        opt_string(m->published_at), "duplicate_of",
                                        opt_string(m->duplicate_of)));
    }
    json_object_set_new(o, "members", members);
    store_story_clear(&s);
    reply_json(res, 200, o);
    return HANDLER_DONE;
}

int handle_story_timeline(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_timeline t;
    struct error err = {0};
    const char *interval = http_request_arg(req, "interval", NULL);
    int64_t id, width;
    json_t *buckets, *o;

    if (interval == NULL || strcmp(interval, "hour") == 0)
        width = 3600;
    else if (strcmp(interval, "day") == 0)
        width = 86400;
    else {
        story_param_error(res, "interval", "'interval' must be hour or day");
        return HANDLER_DONE;
    }
    if (req->nparams < 1 || story_id_parse(req->params[0], &id) != 0) {
        reply_fail(res, ERR_NOT_FOUND, "no story with this id");
        return HANDLER_DONE;
    }
    if (store_story_timeline(app->store, id, width, 0, STORIES_TIMELINE_BUCKETS, &t, &err) != 0) {
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    buckets = json_array();
    for (size_t i = 0; i < t.n; i++)
        json_array_append_new(buckets, json_pack("{s:o,s:I}", "start", time_json(t.items[i].start),
                                                 "articles", (json_int_t)t.items[i].articles));
    o = json_pack("{s:o,s:s,s:o,s:b}", "story", json_sprintf("%lld", (long long)id), "interval",
                  width == 3600 ? "hour" : "day", "buckets", buckets, "truncated", t.truncated);
    store_timeline_free(&t);
    reply_json(res, 200, o);
    return HANDLER_DONE;
}

/* A story's members a page at a time, oldest first (as its members are
 * listed): the cost of a page is its limit. */
int handle_story_articles(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_list_query q = {0};
    struct store_article_list list;
    struct error err = {0};
    const char *cursor_text = NULL, *parts[2];
    int64_t id;
    json_t *body;
    uint32_t qhash;

    if (params_limit(req, 20, 100, &q.limit, res) != 0 ||
        params_string(req, "cursor", CURSOR_MAX, &cursor_text, res) != 0)
        return HANDLER_DONE;
    if (req->nparams < 1 || story_id_parse(req->params[0], &id) != 0) {
        reply_fail(res, ERR_NOT_FOUND, "no story with this id");
        return HANDLER_DONE;
    }
    parts[0] = "story-articles";
    parts[1] = req->params[0];
    qhash = cursor_query_hash(parts, 2);
    if (cursor_text != NULL) {
        struct cursor c;
        if (cursor_decode(cursor_text, app->cursor_key, &c) != 0 || c.kind != 'l' ||
            c.query != qhash) {
            story_param_error(res, "cursor",
                              "'cursor' must be a next_cursor value from the same listing");
            return HANDLER_DONE;
        }
        q.has_after = 1;
        q.after_ts = c.ts;
        q.after_seq = c.seq;
    }
    if (store_story_articles(app->store, id, &q, &list, &err) != 0) {
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    body = article_page_json(&list, qhash, app->cursor_key);
    json_object_set_new(body, "story", json_sprintf("%lld", (long long)id));
    store_article_list_free(&list);
    reply_json(res, 200, body);
    return HANDLER_DONE;
}
