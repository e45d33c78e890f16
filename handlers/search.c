/* search.c: GET /v1/search. The user's query is parsed by analysis/query into a
 * safe FTS5 expression (no user text reaches MATCH unquoted); filters, sort and
 * keyset cursors map onto store_search. */
#include <stdlib.h>
#include <string.h>

#include "analysis/query.h"
#include "pipeline/article_json.h"
#include "handlers/cursor.h"
#include "handlers/handlers.h"
#include "server/reply.h"
#include "server/respcache.h"
#include "server/synset.h"

/* Appends one field to a cache key as its length, ':' and its bytes (a NULL
 * field as '-'), so no two different searches share a key whatever bytes
 * their values hold. Returns the new length, or size when it did not fit. */
static size_t search_key_field(char *key, size_t size, size_t n, const char *field)
{
    int w;
    if (n >= size)
        return size;
    if (field == NULL) {
        key[n] = '-';
        return n + 1;
    }
    w = snprintf(key + n, size - n, "%zu:", strlen(field));
    if (w < 0 || (size_t)w + strlen(field) >= size - n)
        return size;
    memcpy(key + n + (size_t)w, field, strlen(field));
    return n + (size_t)w + strlen(field);
}

/* The answer cache's key for a search: every parameter that shapes the
 * answer, each length-prefixed. Returns its length (>= size: no key). */
static size_t search_cache_key(char *key, size_t size, const struct store_search_query *q,
                               const char *text, const char *from, const char *to,
                               const char *cursor, const char *entity, unsigned fields,
                               unsigned synonyms)
{
    char fixed[64];
    size_t n = 0;
    /* the synonyms' generation too: a reload changes the answers */
    snprintf(fixed, sizeof fixed, "%u%c%c%x.%u", q->limit, q->sort == STORE_SORT_NEWEST ? 'n' : 'r',
             q->collapse ? 'c' : '-', fields, synonyms);
    n = search_key_field(key, size, n, fixed);
    n = search_key_field(key, size, n, text);
    n = search_key_field(key, size, n, q->source);
    n = search_key_field(key, size, n, from);
    n = search_key_field(key, size, n, to);
    n = search_key_field(key, size, n, cursor);
    return search_key_field(key, size, n, entity);
}

int handle_search(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_search_query q = {0};
    struct facets_request fr;
    struct store_hits hits;
    struct error err = {0};
    const char *text = NULL, *sort = NULL, *cursor_text = NULL, *dups = NULL, *entity = NULL,
               *parts[9];
    char *match = NULL;
    json_t *items, *body;
    uint32_t qhash;
    uint64_t version;
    unsigned fields;
    char fields_hex[16];
    char key[QUERY_MAX_BYTES + 2 * ARTICLE_SHORT_MAX + CURSOR_MAX + 1200];
    size_t keylen;
    struct synset_view syn;
    int rc;

    reply_revalidate(res);

    if (params_string(req, "q", QUERY_MAX_BYTES, &text, res) != 0 ||
        params_string(req, "source", ARTICLE_SHORT_MAX, &q.source, res) != 0 ||
        params_time(req, "from", INT64_MIN, &q.from, res) != 0 ||
        params_time(req, "to", INT64_MAX, &q.to, res) != 0 ||
        params_limit(req, 20, 100, &q.limit, res) != 0 ||
        params_string(req, "sort", 16, &sort, res) != 0 ||
        params_string(req, "cursor", CURSOR_MAX, &cursor_text, res) != 0 ||
        params_string(req, "duplicates", 16, &dups, res) != 0 ||
        params_string(req, "entity", 1024, &entity, res) != 0 ||
        search_fields_parse(req, &fields, res) != 0 || facets_params(req, &fr, res) != 0)
        return HANDLER_DONE;
    q.cards = search_fields_cards(fields);
    if (entity != NULL) {
        /* an entity nobody mentions matches no article */
        struct store_entity_row row;
        if (store_entity_get(app->store, entity, &row, &err) == 0) {
            q.entity = row.eid;
            store_entity_row_clear(&row);
        } else if (err.code == ERR_NOT_FOUND) {
            q.entity = -1;
            error_clear(&err);
        } else {
            reply_error(res, &err);
            return HANDLER_DONE;
        }
    }
    if (dups != NULL && strcmp(dups, "collapse") != 0 && strcmp(dups, "show") != 0) {
        params_fail(res, ERR_INVALID, "duplicates", "'duplicates' must be collapse or show");
        return HANDLER_DONE;
    }
    q.collapse = dups != NULL && strcmp(dups, "collapse") == 0;
    if (text == NULL) {
        params_fail(res, ERR_INVALID, "q", "'q' is required: the words to search for");
        return HANDLER_DONE;
    }
    if (sort == NULL || strcmp(sort, "relevance") == 0) {
        q.sort = STORE_SORT_RELEVANCE;
    } else if (strcmp(sort, "newest") == 0) {
        q.sort = STORE_SORT_NEWEST;
    } else {
        params_fail(res, ERR_INVALID, "sort", "'sort' must be relevance or newest");
        return HANDLER_DONE;
    }
    synset_acquire(app->synonyms, &syn);
    rc = query_to_fts5_with(text, strlen(text), syn.syn, &match, &err);
    synset_release(&syn);
    if (rc != 0) {
        if (err.field[0] == '\0')
            snprintf(err.field, sizeof err.field, "q");
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    q.match = match;
    parts[0] = "search";
    parts[1] = text;
    parts[2] = q.source;
    parts[3] = http_request_arg(req, "from", NULL);
    parts[4] = http_request_arg(req, "to", NULL);
    parts[5] = q.sort == STORE_SORT_NEWEST ? "n" : "r";
    parts[6] = q.collapse ? "c" : "";
    parts[7] = entity;
    snprintf(fields_hex, sizeof fields_hex, "%x", fields);
    parts[8] = fields_hex;
    qhash = cursor_query_hash(parts, 9);
    if (cursor_text != NULL) {
        struct cursor c;
        if (cursor_decode(cursor_text, app->cursor_key, &c) != 0 || c.query != qhash ||
            c.kind != (q.sort == STORE_SORT_NEWEST ? 'n' : 'r')) {
            params_fail(res, ERR_INVALID, "cursor",
                               "'cursor' must be a next_cursor value from the same search");
            free(match);
            return HANDLER_DONE;
        }
        q.has_after = 1;
        q.offset = c.offset;
        q.after_ts = c.ts;
        q.after_seq = c.seq;
        q.max_seq = c.max_seq;
    }
    q.want_total = 1;
    /* the same question since the last write: the same answer */
    version = store_version(app->store);
    keylen = search_cache_key(key, sizeof key, &q, text, parts[3], parts[4], cursor_text, entity,
                              fields, syn.generation);
    keylen = search_key_field(key, sizeof key, keylen, fr.key);
    if (keylen < sizeof key &&
        respcache_get(app->search_cache, key, keylen, version, &res->body, &res->len)) {
        free(match);
        res->status = 200;
        res->content_type = "application/json";
        return HANDLER_DONE;
    }
    if (store_search(app->store, &q, &hits, &err) != 0) {
        free(match);
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    items = json_array();
    for (size_t i = 0; i < hits.n; i++)
        json_array_append_new(items, search_hit_json(&hits.items[i], fields, q.collapse));
    body = json_pack("{s:I,s:o}", "total", (json_int_t)hits.total, "hits", items);
    /* The cursor carries both positions: relevance and collapsed pages walk
     * the snapshot by offset, newest pages by keyset. */
    if (hits.more && hits.n > 0) {
        struct store_hit *last = &hits.items[hits.n - 1];
        struct cursor c = {.kind = q.sort == STORE_SORT_NEWEST ? 'n' : 'r',
                           .offset = q.offset + (int64_t)hits.n,
                           .ts = last->ts,
                           .seq = last->seq,
                           .max_seq = hits.max_seq,
                           .query = qhash};
        char ctext[CURSOR_MAX];
        cursor_encode(&c, app->cursor_key, ctext);
        json_object_set_new(body, "next_cursor", json_string(ctext));
    } else {
        json_object_set_new(body, "next_cursor", json_null());
    }
    /* counts over every match of the same snapshot, not the page */
    if (facets_render(app, &q, hits.max_seq, &fr, body, &err) != 0) {
        free(match);
        store_hits_free(&hits);
        json_decref(body);
        reply_error(res, &err);
        return HANDLER_DONE;
    }
    free(match);
    store_hits_free(&hits);
    reply_json(res, 200, body);
    /* an answer cut short by the time budget is never kept */
    if (res->status == 200 && keylen < sizeof key && !store_read_budget_exceeded())
        respcache_put(app->search_cache, key, keylen, version, res->body, res->len);
    return HANDLER_DONE;
}
