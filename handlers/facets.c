/* facets.c: the facets of GET /v1/search (the `facets` and `facet_size`
 * parameters and the answer's "facets" member), and GET /v1/sources and
 * GET /v1/tags, the same counts without a query (store_facets.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/datetime.h"
#include "handlers/handlers.h"
#include "server/reply.h"

int facets_params(const struct http_request *req, struct facets_request *fr,
                  struct http_response *res)
{
    const char *list = NULL, *v;
    unsigned size = FACETS_SIZE_DEFAULT;
    char msg[200];

    memset(fr, 0, sizeof *fr);
    if (params_string(req, "facets", FACETS_LIST_MAX, &list, res) != 0)
        return -1;
    v = http_request_arg(req, "facet_size", NULL);
    if (v != NULL) {
        char *end = NULL;
        long n = strtol(v, &end, 10);
        if (*v < '0' || *v > '9' || *end != '\0' || n < 1 || n > FACETS_SIZE_MAX) {
            snprintf(msg, sizeof msg, "'facet_size' must be a whole number from 1 to %d",
                     FACETS_SIZE_MAX);
            params_fail(res, ERR_INVALID, "facet_size", msg);
            return -1;
        }
        size = (unsigned)n;
    }
    fr->size = size;
    if (list == NULL)
        return 0;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        int k = store_facet_parse(p, len);
        if (k < 0) {
            snprintf(msg, sizeof msg,
                     "'facets' takes a comma list of source, tag, language, author, entity, "
                     "story, day, week, month; '%.*s' is none of them",
                     (int)(len < 40 ? len : 40), p);
            params_fail(res, ERR_INVALID, "facets", msg);
            return -1;
        }
        fr->mask |= 1u << k;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    /* the cache key: the set of facets (in a fixed order) and their size */
    snprintf(fr->key, sizeof fr->key, "%x/%u", fr->mask, fr->size);
    return 0;
}

static json_t *facets_time(int64_t ts)
{
    char buf[40];
    datetime_format(ts, buf, sizeof buf);
    return json_string(buf);
}

int facets_render(struct app *app, const struct store_search_query *q, int64_t max_seq,
                  const struct facets_request *fr, json_t *body, struct error *err)
{
    struct store_facets f;
    json_t *all;

    if (fr->mask == 0)
        return 0;
    if (store_facets(app->store, q, max_seq, fr->mask, fr->size, &f, err) != 0)
        return -1;
    all = json_object();
    for (int k = 0; k < STORE_FACET_KINDS_; k++) {
        json_t *values;
        if (!(fr->mask & (1u << k)))
            continue;
        values = json_array();
        for (size_t i = 0; i < f.n[k]; i++) {
            const struct store_facet_value *v = &f.items[k][i];
            json_t *o = json_pack("{s:s,s:I}", "value", v->value, "count", (json_int_t)v->count);
            if (k == STORE_FACET_ENTITY) {
                json_object_set_new(o, "name", json_string(v->name ? v->name : ""));
                json_object_set_new(o, "type", json_string(v->type ? v->type : ""));
            }
            json_array_append_new(values, o);
        }
        json_object_set_new(all, store_facet_name((enum store_facet_kind)k), values);
    }
    store_facets_free(&f);
    json_object_set_new(body, "facets", all);
    return 0;
}

/* GET /v1/sources and /v1/tags: kind's values with ts in [from, to), most
 * articles first (ties by value), at most `limit` (1..1000, default 100);
 * "more" says values were left out. Memory only: one pass over the facet
 * table, bounded by the store's articles. */
static int facets_list(struct app *app, struct http_request *req, struct http_response *res,
                       enum store_facet_kind kind, const char *member)
{
    struct store_facets f;
    struct error err = {0};
    int64_t from, to;
    unsigned limit;
    json_t *items, *body;
    size_t n;

    if (params_time(req, "from", INT64_MIN, &from, res) != 0 ||
        params_time(req, "to", INT64_MAX, &to, res) != 0 ||
        params_limit(req, 100, FACETS_LIST_LIMIT_MAX, &limit, res) != 0)
        return HANDLER_DONE;
    if (store_facets_all(app->store, kind, from, to, (size_t)limit + 1, &f, &err) != 0) {
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    items = json_array();
    n = f.n[kind] < limit ? f.n[kind] : limit;
    for (size_t i = 0; i < n; i++) {
        const struct store_facet_value *v = &f.items[kind][i];
        json_array_append_new(items, json_pack("{s:s,s:I,s:o}", "value", v->value, "articles",
                                               (json_int_t)v->count, "last_published_at",
                                               facets_time(v->last_ts)));
    }
    body = json_pack("{s:o,s:b}", member, items, "more", f.n[kind] > limit);
    store_facets_free(&f);
    reply_json(res, 200, body);
    return HANDLER_DONE;
}

int handle_source_list(struct app *app, struct http_request *req, struct http_response *res)
{
    return facets_list(app, req, res, STORE_FACET_SOURCE, "sources");
}

int handle_tag_list(struct app *app, struct http_request *req, struct http_response *res)
{
    return facets_list(app, req, res, STORE_FACET_TAG, "tags");
}
