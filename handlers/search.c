/* search.c: GET /v1/search. The user's query is parsed by analysis/query into a
 * safe FTS5 expression (no user text reaches MATCH unquoted); filters (each
 * repeatable: OR within a field, "-" excludes), sort and keyset cursors map
 * onto store_search. Without q it browses. */
#include <stdlib.h>
#include <string.h>

#include "analysis/query.h"
#include "analysis/utf8.h"
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

/* The value filters (enum store_field order, then entity): the parameter
 * and the bytes a value may hold (the article field's own bound; a value
 * past it matches nothing, but its cost stays bounded). */
#define SEARCH_FILTER_FIELDS (STORE_FIELDS_ + 1)
static const struct {
    const char *name;
    size_t max;
} search_filter_params[SEARCH_FILTER_FIELDS] = {
    {"source", ARTICLE_SHORT_MAX}, {"tag", ARTICLE_TAG_MAX}, {"language", ARTICLE_LANGUAGE_MAX},
    {"author", ARTICLE_SHORT_MAX}, {"entity", 1024},
};

/* A search's filter values, borrowed from the request. */
struct search_filters {
    const char *in[SEARCH_FILTER_FIELDS][STORE_FILTER_VALUES_MAX];
    const char *out[SEARCH_FILTER_FIELDS][STORE_FILTER_VALUES_MAX];
    size_t nin[SEARCH_FILTER_FIELDS], nout[SEARCH_FILTER_FIELDS];
    int64_t ents[STORE_FILTER_VALUES_MAX], xents[STORE_FILTER_VALUES_MAX];
};

/* Reads every value of filter field f: "v" keeps v, "-v" excludes v, and a
 * backslash at the start of v is dropped ("\-v" keeps "-v"; "-\-v" and
 * "--v" exclude "-v"; "\\v" keeps "\v"); an empty value is no filter. At
 * most STORE_FILTER_VALUES_MAX values, each at most the field's bytes and
 * two more for "-\\" (so a search's cost is bounded by its count of FTS5
 * tokens and their length). 0, or -1 with the
 * problem in res. */
static int search_filter_values(const struct http_request *req, int f, struct search_filters *sf,
                                struct http_response *res)
{
    const char *name = search_filter_params[f].name, *all[STORE_FILTER_VALUES_MAX];
    size_t n = http_request_args(req, name, all, STORE_FILTER_VALUES_MAX);
    char msg[160];

    if (n > STORE_FILTER_VALUES_MAX) {
        snprintf(msg, sizeof msg, "at most %d '%s' values", STORE_FILTER_VALUES_MAX, name);
        params_fail(res, ERR_INVALID, name, msg);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = all[i];
        int exclude = 0;
        if (v == NULL || *v == '\0')
            continue;
        if (utf8_check(v, strlen(v), NULL) != 0) {
            snprintf(msg, sizeof msg, "'%s' is not valid UTF-8", name);
            params_fail(res, ERR_UNPROCESSABLE, name, msg);
            return -1;
        }
        if (*v == '-') {
            exclude = 1;
            v++;
        }
        if (*v == '\\')
            v++;
        if (*v == '\0' && exclude) {
            snprintf(msg, sizeof msg, "'%s=-' names no value to exclude", name);
            params_fail(res, ERR_INVALID, name, msg);
            return -1;
        }
        if (*v == '\0')
            continue;
        if (strlen(all[i]) > search_filter_params[f].max + 2) {
            snprintf(msg, sizeof msg, "a '%s' value is longer than %zu bytes", name,
                     search_filter_params[f].max + 2);
            params_fail(res, ERR_INVALID, name, msg);
            return -1;
        }
        if (exclude)
            sf->out[f][sf->nout[f]++] = v;
        else
            sf->in[f][sf->nin[f]++] = v;
    }
    return 0;
}

/* Entity ids to eids: an entity nobody mentions matches nothing (-1) when
 * kept and is no filter when excluded. 0, or -1 with the problem in res. */
static int search_filter_entities(struct app *app, struct search_filters *sf,
                                  struct store_search_query *q, struct http_response *res)
{
    size_t nx = 0;
    int f = STORE_FIELDS_;

    for (size_t i = 0; i < sf->nin[f] + sf->nout[f]; i++) {
        int in = i < sf->nin[f];
        struct store_entity_row row;
        struct error err = {0};
        int64_t eid = -1;
        if (store_entity_get(app->store, in ? sf->in[f][i] : sf->out[f][i - sf->nin[f]], &row,
                             &err) == 0) {
            eid = row.eid;
            store_entity_row_clear(&row);
        } else if (err.code == ERR_NOT_FOUND) {
            error_clear(&err);
        } else {
            reply_error(res, &err);
            return -1;
        }
        if (in)
            sf->ents[i] = eid;
        else if (eid != -1)
            sf->xents[nx++] = eid;
    }
    q->entities = sf->ents;
    q->nentities = sf->nin[f];
    q->xentities = sf->xents;
    q->nxentities = nx;
    return 0;
}

static int search_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The filters as one canonical text (a new string, NULL out of memory):
 * each field's kept and excluded values sorted and length-prefixed, so the
 * same filters in any order give the same text and no two different ones
 * do (the cursor's query hash and the answer cache's key cover it). Sorts
 * sf's lists in place. */
static char *search_filters_key(struct search_filters *sf)
{
    size_t size = 16, n = 0;
    char *key;

    for (int f = 0; f < SEARCH_FILTER_FIELDS; f++) {
        size += 16;
        for (size_t i = 0; i < sf->nin[f]; i++)
            size += strlen(sf->in[f][i]) + 24;
        for (size_t i = 0; i < sf->nout[f]; i++)
            size += strlen(sf->out[f][i]) + 24;
    }
    key = malloc(size);
    if (key == NULL)
        return NULL;
    for (int f = 0; f < SEARCH_FILTER_FIELDS; f++) {
        qsort(sf->in[f], sf->nin[f], sizeof sf->in[f][0], search_strcmp);
        qsort(sf->out[f], sf->nout[f], sizeof sf->out[f][0], search_strcmp);
        n += (size_t)sprintf(key + n, "|%zu+%zu-", sf->nin[f], sf->nout[f]);
        for (size_t i = 0; i < sf->nin[f]; i++)
            n = search_key_field(key, size, n, sf->in[f][i]);
        for (size_t i = 0; i < sf->nout[f]; i++)
            n = search_key_field(key, size, n, sf->out[f][i]);
    }
    key[n] = '\0';
    return key;
}

/* The answer cache's key for a search: every parameter that shapes the
 * answer, each length-prefixed, in a new string of *len bytes (NULL out of
 * memory): the hit fields, the synonyms' generation (a reload changes the
 * answers), the facets asked for, match= and typo= too. */
static char *search_cache_key(const struct store_search_query *q, char sort, const char *text,
                              const char *filters, const char *from, const char *to,
                              const char *cursor, unsigned fields, unsigned synonyms,
                              const char *facets, const char *modes, size_t *len)
{
    char fixed[64];
    size_t size = 64 + strlen(filters) + (text ? strlen(text) : 0) + (from ? strlen(from) : 0) +
                  (to ? strlen(to) : 0) + (cursor ? strlen(cursor) : 0) + strlen(facets) +
                  7 * 24,
           n = 0;
    char *key = malloc(size);

    if (key == NULL)
        return NULL;
    snprintf(fixed, sizeof fixed, "%u%c%c%s%x.%u", q->limit, sort,
             q->collapse_story ? 's'
             : q->collapse     ? 'c'
                               : '-',
             modes,
             fields, synonyms);
    n = search_key_field(key, size, n, fixed);
    n = search_key_field(key, size, n, text);
    n = search_key_field(key, size, n, filters);
    n = search_key_field(key, size, n, from);
    n = search_key_field(key, size, n, to);
    n = search_key_field(key, size, n, cursor);
    n = search_key_field(key, size, n, facets);
    *len = n;
    return key;
}

/* match=: auto (every word, else most of them), all, any; typo=: auto (correct when
 * nothing is found), suggest (say did_you_mean), off. Each value's letter goes in
 * cursors and cache keys. */
static const char *const search_match_names[] = {"auto", "all", "any", NULL};
enum search_typo { SEARCH_TYPO_AUTO, SEARCH_TYPO_SUGGEST, SEARCH_TYPO_OFF };
static const char *const search_typo_names[] = {"auto", "suggest", "off", NULL};

/* The sorts by name, with their cursor kinds. */
static const struct {
    const char *name;
    enum store_sort sort;
    char kind;
} search_sorts[] = {
    {"relevance", STORE_SORT_RELEVANCE, 'r'},
    {"newest", STORE_SORT_NEWEST, 'n'},
    {"oldest", STORE_SORT_OLDEST, 'o'},
    {"ingested", STORE_SORT_INGESTED, 'i'},
};

int handle_search(struct app *app, struct http_request *req, struct http_response *res)
{
    struct store_search_query q = {0};
    struct store_hits hits = {0};
    struct search_filters *sf = NULL;
    struct facets_request fr;
    struct synset_view syn = {0};
    struct error err = {0};
    const char *text = NULL, *sort = NULL, *cursor_text = NULL, *dups = NULL, *coll = NULL,
               *parts[9];
    char *match = NULL, *filters = NULL, *key = NULL, kind = 0, fields_hex[16];
    char *relaxed_match = NULL, modes[3] = "ua";
    char *corrected = NULL, *corrected_match = NULL;
    enum query_match mode = QUERY_MATCH_AUTO;
    enum search_typo typo = SEARCH_TYPO_AUTO;
    int relaxed = 0, corrected_used = 0, match_i = 0, typo_i = 0;
    json_t *items, *body;
    uint32_t qhash;
    uint64_t version;
    size_t keylen = 0;
    unsigned fields;

    reply_revalidate(res);

    if (params_string(req, "q", QUERY_MAX_BYTES, &text, res) != 0 ||
        params_time(req, "from", INT64_MIN, &q.from, res) != 0 ||
        params_time(req, "to", INT64_MAX, &q.to, res) != 0 ||
        params_limit(req, 20, 100, &q.limit, res) != 0 ||
        params_string(req, "sort", 16, &sort, res) != 0 ||
        params_string(req, "cursor", CURSOR_MAX, &cursor_text, res) != 0 ||
        params_string(req, "duplicates", 16, &dups, res) != 0 ||
        params_string(req, "collapse", 16, &coll, res) != 0 ||
        search_fields_parse(req, &fields, res) != 0 || facets_params(req, &fr, res) != 0 ||
        params_choice(req, "match", search_match_names, &match_i, res) != 0 ||
        params_choice(req, "typo", search_typo_names, &typo_i, res) != 0)
        return HANDLER_DONE;
    mode = (enum query_match)match_i;
    typo = (enum search_typo)typo_i;
    modes[0] = "ula"[match_i];
    modes[1] = "aso"[typo_i];
    q.cards = search_fields_cards(fields);
    q.no_snippet = !(fields & SEARCH_FIELD_SNIPPET);
    sf = calloc(1, sizeof *sf);
    if (sf == NULL) {
        reply_fail(res, ERR_INTERNAL, "out of memory");
        return HANDLER_DONE;
    }
    for (int f = 0; f < SEARCH_FILTER_FIELDS; f++)
        if (search_filter_values(req, f, sf, res) != 0)
            goto done;
    for (int f = 0; f < STORE_FIELDS_; f++) {
        q.fields[f].in = sf->in[f];
        q.fields[f].nin = sf->nin[f];
        q.fields[f].out = sf->out[f];
        q.fields[f].nout = sf->nout[f];
    }
    if (search_filter_entities(app, sf, &q, res) != 0)
        goto done;
    if (dups != NULL && strcmp(dups, "collapse") != 0 && strcmp(dups, "show") != 0) {
        params_fail(res, ERR_INVALID, "duplicates", "'duplicates' must be collapse or show");
        goto done;
    }
    q.collapse = dups != NULL && strcmp(dups, "collapse") == 0;
    if (coll != NULL && strcmp(coll, "story") != 0 && strcmp(coll, "none") != 0) {
        params_fail(res, ERR_INVALID, "collapse", "'collapse' must be story or none");
        goto done;
    }
    /* one hit per story folds copies too: a copy is always in its
     * original's story, so duplicates= changes nothing then */
    q.collapse_story = coll != NULL && strcmp(coll, "story") == 0;
    q.collapse |= q.collapse_story;
    /* no q: a browse, newest first unless told */
    if (sort == NULL)
        sort = text != NULL ? "relevance" : "newest";
    for (size_t i = 0; i < sizeof search_sorts / sizeof search_sorts[0]; i++)
        if (strcmp(sort, search_sorts[i].name) == 0) {
            q.sort = search_sorts[i].sort;
            kind = search_sorts[i].kind;
        }
    if (kind == 0) {
        params_fail(res, ERR_INVALID, "sort",
                    "'sort' must be relevance, newest, oldest or ingested");
        goto done;
    }
    /* nothing to rank without q: relevance is newest first (documented) */
    if (text == NULL && q.sort == STORE_SORT_RELEVANCE) {
        q.sort = STORE_SORT_NEWEST;
        kind = 'n';
    }
    if (q.collapse_story && q.sort != STORE_SORT_RELEVANCE && q.sort != STORE_SORT_NEWEST) {
        params_fail(res, ERR_INVALID, "collapse",
                    "'collapse=story' sorts by relevance or newest only");
        goto done;
    }
    if (q.collapse && q.sort != STORE_SORT_RELEVANCE && q.sort != STORE_SORT_NEWEST) {
        params_fail(res, ERR_INVALID, "duplicates",
                    "'duplicates=collapse' sorts by relevance or newest only");
        goto done;
    }
    synset_acquire(app->synonyms, &syn);
    if (text != NULL &&
        query_to_fts5_with(text, strlen(text), syn.syn, &match, &err) != 0) {
        synset_release(&syn);
        if (err.field[0] == '\0')
            snprintf(err.field, sizeof err.field, "q");
        reply_error(res, &err);
        goto done;
    }
    /* the relaxed form, when it differs: run instead (any) or after a strict
     * search that found nothing (auto) */
    if (text != NULL && mode != QUERY_MATCH_ALL &&
        query_to_fts5_relaxed(text, strlen(text), syn.syn, mode == QUERY_MATCH_ANY, &relaxed_match,
                              &err) != 0) {
        synset_release(&syn);
        reply_error(res, &err);
        goto done;
    }
    synset_release(&syn);
    if (relaxed_match != NULL && strcmp(relaxed_match, match) == 0) {
        free(relaxed_match);
        relaxed_match = NULL;
    }
    relaxed = mode == QUERY_MATCH_ANY && relaxed_match != NULL;
    q.match = relaxed ? relaxed_match : match;
    filters = search_filters_key(sf);
    if (filters == NULL) {
        reply_fail(res, ERR_INTERNAL, "out of memory");
        goto done;
    }
    parts[0] = "search";
    parts[1] = text;
    parts[2] = filters;
    parts[3] = http_request_arg(req, "from", NULL);
    parts[4] = http_request_arg(req, "to", NULL);
    parts[5] = (char[]){kind, '\0'};
    parts[6] = q.collapse_story ? "s" : q.collapse ? "c" : "";
    snprintf(fields_hex, sizeof fields_hex, "%x", fields);
    parts[7] = fields_hex;
    /* match= and typo= are bound to the cursor; the defaults add nothing, so
     * cursors from before they existed stay valid */
    parts[8] = modes;
    qhash = cursor_query_hash(parts, strcmp(modes, "ua") == 0 ? 8 : 9);
    if (cursor_text != NULL) {
        struct cursor c;
        if (cursor_decode(cursor_text, app->cursor_key, &c) != 0 || c.query != qhash ||
            c.kind != kind) {
            params_fail(res, ERR_INVALID, "cursor",
                        "'cursor' must be a next_cursor value from the same search");
            goto done;
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
    key = search_cache_key(&q, kind, text, filters, parts[3], parts[4], cursor_text, fields,
                           syn.generation, fr.key, modes, &keylen);
    if (key != NULL &&
        respcache_get(app->search_cache, key, keylen, version, &res->body, &res->len)) {
        res->status = 200;
        res->content_type = "application/json";
        goto done;
    }
    if (store_search(app->store, &q, &hits, &err) != 0) {
        reply_error(res, &err);
        goto done;
    }
    /* Nothing found: the query with its unknown words corrected (typo=auto),
     * in the same snapshot; kept when it finds something. The look-ups are
     * bounded (search_typo.c), the search is one more under the same read
     * budget. */
    if (text != NULL && typo != SEARCH_TYPO_OFF && hits.total == 0 &&
        !store_read_budget_exceeded()) {
        if (search_typo_correct(app, text, &q, &corrected, &err) != 0) {
            reply_error(res, &err);
            goto done;
        }
        if (corrected != NULL && typo == SEARCH_TYPO_AUTO) {
            int rc;
            synset_acquire(app->synonyms, &syn);
            rc = query_to_fts5_with(corrected, strlen(corrected), syn.syn, &corrected_match, &err);
            synset_release(&syn);
            error_clear(&err);
            if (rc == 0) {
                const char *tried = q.match;
                if (q.max_seq <= 0)
                    q.max_seq = hits.max_seq;
                store_hits_free(&hits);
                q.match = corrected_match;
                if (store_search(app->store, &q, &hits, &err) != 0) {
                    reply_error(res, &err);
                    goto done;
                }
                corrected_used = hits.total > 0;
                if (!corrected_used)
                    q.match = tried;
            }
        }
    }
    /* Nothing has every word: most of them, in the same snapshot. One more
     * search under the same read budget and ranking window, so the request's
     * cost stays bounded (a count cut short by the budget is not "nothing"). */
    if (mode == QUERY_MATCH_AUTO && relaxed_match != NULL && hits.total == 0 &&
        !store_read_budget_exceeded()) {
        if (q.max_seq <= 0)
            q.max_seq = hits.max_seq;
        store_hits_free(&hits);
        q.match = relaxed_match;
        relaxed = 1;
        if (store_search(app->store, &q, &hits, &err) != 0) {
            reply_error(res, &err);
            goto done;
        }
    }
    items = json_array();
    for (size_t i = 0; i < hits.n; i++)
        json_array_append_new(
            items, search_hit_json(&hits.items[i], fields, q.collapse_story ? 2 : q.collapse));
    body = json_pack("{s:I,s:o,s:b}", "total", (json_int_t)hits.total, "hits", items, "relaxed",
                     relaxed);
    if (corrected_used)
        json_object_set_new(body, "corrected", json_string(corrected));
    else if (corrected != NULL && typo == SEARCH_TYPO_SUGGEST)
        json_object_set_new(body, "did_you_mean", json_string(corrected));
    /* The cursor carries both positions: relevance and collapsed pages walk
     * the snapshot by offset, the other orders by keyset (commit order by
     * the change number alone). */
    if (hits.more && hits.n > 0) {
        struct store_hit *last = &hits.items[hits.n - 1];
        struct cursor c = {.kind = kind,
                           .offset = q.offset + (int64_t)hits.n,
                           .ts = q.sort == STORE_SORT_INGESTED ? last->change : last->ts,
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
        json_decref(body);
        reply_error(res, &err);
        goto done;
    }
    reply_json(res, 200, body);
    /* an answer cut short by the time budget is never kept */
    if (res->status == 200 && key != NULL && !store_read_budget_exceeded())
        respcache_put(app->search_cache, key, keylen, version, res->body, res->len);
done:
    store_hits_free(&hits);
    free(key);
    free(filters);
    free(match);
    free(relaxed_match);
    free(corrected);
    free(corrected_match);
    free(sf);
    return HANDLER_DONE;
}
