/* search_hit.c: a search hit as its card: what a result list shows without
 * another request (url, tags, language, author, story, duplicate_of and the
 * article's most mentioned entities beside id, title, title_html, source,
 * time, score and snippet), narrowed by fields=. */
#include <stdio.h>
#include <string.h>

#include "analysis/utf8.h"
#include "handlers/handlers.h"
#include "server/reply.h"

/* Bytes of all fields= values together at most (every name once: 147). */
#define SEARCH_FIELDS_MAX 256

static const struct {
    const char *name;
    unsigned bit;
} search_fields[] = {
    {"id", SEARCH_FIELD_ID},
    {"title", SEARCH_FIELD_TITLE},
    {"source", SEARCH_FIELD_SOURCE},
    {"published_at", SEARCH_FIELD_PUBLISHED_AT},
    {"score", SEARCH_FIELD_SCORE},
    {"snippet", SEARCH_FIELD_SNIPPET},
    {"copies", SEARCH_FIELD_COPIES},
    {"url", SEARCH_FIELD_URL},
    {"tags", SEARCH_FIELD_TAGS},
    {"language", SEARCH_FIELD_LANGUAGE},
    {"author", SEARCH_FIELD_AUTHOR},
    {"story", SEARCH_FIELD_STORY},
    {"duplicate_of", SEARCH_FIELD_DUPLICATE_OF},
    {"entities", SEARCH_FIELD_ENTITIES},
    {"title_html", SEARCH_FIELD_TITLE_HTML},
};

/* The bit of the name [p, p+n), or 0 when unknown. */
static unsigned search_field_bit(const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof search_fields / sizeof search_fields[0]; i++)
        if (strlen(search_fields[i].name) == n && memcmp(search_fields[i].name, p, n) == 0)
            return search_fields[i].bit;
    return 0;
}

int search_fields_parse(const struct http_request *req, unsigned *mask, struct http_response *res)
{
    size_t total = 0;
    int given = 0;
    char msg[256];

    *mask = SEARCH_FIELD_ID;
    for (size_t i = 0; i < req->nargs; i++) {
        const char *v = req->args[i].value, *p;
        if (strcmp(req->args[i].key, "fields") != 0 || v == NULL)
            continue;
        total += strlen(v);
        if (utf8_check(v, strlen(v), NULL) != 0) {
            params_fail(res, ERR_UNPROCESSABLE, "fields", "'fields' is not valid UTF-8");
            return -1;
        }
        if (total > SEARCH_FIELDS_MAX) {
            params_fail(res, ERR_INVALID, "fields", "'fields' is longer than 256 bytes");
            return -1;
        }
        for (p = v; *p != '\0';) {
            size_t n = strcspn(p, ",");
            unsigned bit = search_field_bit(p, n);
            if (n > 0 && bit == 0) {
                /* the name is shown quoted, cut at 60 bytes between characters */
                size_t shown = n > 60 ? 60 : n;
                while (shown < n && shown > 0 && ((unsigned char)p[shown] & 0xc0) == 0x80)
                    shown--;
                snprintf(msg, sizeof msg,
                         "'fields' names an unknown field '%.*s': id, title, source, "
                         "published_at, score, snippet, copies, url, tags, language, author, "
                         "story, duplicate_of, entities, title_html",
                         (int)shown, p);
                params_fail(res, ERR_INVALID, "fields", msg);
                return -1;
            }
            *mask |= bit;
            given |= n > 0;
            p += n;
            if (*p == ',')
                p++;
        }
    }
    if (!given)
        *mask = SEARCH_FIELD_ALL;
    return 0;
}

unsigned search_fields_cards(unsigned mask)
{
    unsigned cards = 0;
    if (mask & (SEARCH_FIELD_URL | SEARCH_FIELD_TAGS | SEARCH_FIELD_LANGUAGE | SEARCH_FIELD_AUTHOR |
                SEARCH_FIELD_STORY | SEARCH_FIELD_DUPLICATE_OF))
        cards |= STORE_CARD_ARTICLE;
    if (mask & SEARCH_FIELD_ENTITIES)
        cards |= STORE_CARD_ENTITIES;
    return cards;
}

/* Sets key to the string v, or null. */
static void search_hit_opt(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, v != NULL ? json_string(v) : json_null());
}

json_t *search_hit_json(const struct store_hit *h, unsigned mask, int collapse)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    json_object_set_new(o, "id", json_string(h->id));
    if (mask & SEARCH_FIELD_TITLE)
        search_hit_opt(o, "title", h->title);
    if (mask & SEARCH_FIELD_SOURCE)
        search_hit_opt(o, "source", h->source);
    if (mask & SEARCH_FIELD_PUBLISHED_AT)
        search_hit_opt(o, "published_at", h->published_at);
    if (mask & SEARCH_FIELD_SCORE)
        /* a browse ranks nothing: 0, never -0.0 */
        json_object_set_new(o, "score", json_real(h->score == 0 ? 0.0 : h->score));
    if (mask & SEARCH_FIELD_SNIPPET)
        json_object_set_new(o, "snippet", json_string(h->snippet ? h->snippet : ""));
    if (mask & SEARCH_FIELD_TITLE_HTML)
        json_object_set_new(o, "title_html", json_string(h->title_html ? h->title_html : ""));
    if (collapse == 1 && (mask & SEARCH_FIELD_COPIES))
        json_object_set_new(o, "copies", json_integer(h->copies));
    /* what collapse=story is asked for: on every hit, whatever fields= says */
    if (collapse == 2) {
        json_object_set_new(o, "story_articles", json_integer(h->story_articles));
        json_object_set_new(o, "story_sources", json_integer(h->story_sources));
        json_object_set_new(o, "story_matches", json_integer(h->copies));
        if (!(mask & SEARCH_FIELD_STORY))
            json_object_set_new(
                o, "story", h->story > 0 ? json_sprintf("%lld", (long long)h->story) : json_null());
    }
    if (mask & SEARCH_FIELD_URL)
        search_hit_opt(o, "url", h->url);
    if (mask & SEARCH_FIELD_TAGS) {
        json_t *tags = h->tags_json != NULL ? json_loads(h->tags_json, 0, NULL) : NULL;
        if (!json_is_array(tags)) {
            json_decref(tags);
            tags = json_array();
        }
        json_object_set_new(o, "tags", tags);
    }
    if (mask & SEARCH_FIELD_LANGUAGE)
        search_hit_opt(o, "language", h->language);
    if (mask & SEARCH_FIELD_AUTHOR)
        search_hit_opt(o, "author", h->author);
    if (mask & SEARCH_FIELD_STORY)
        json_object_set_new(o, "story",
                            h->story > 0 ? json_sprintf("%lld", (long long)h->story) : json_null());
    if (mask & SEARCH_FIELD_DUPLICATE_OF)
        search_hit_opt(o, "duplicate_of", h->duplicate_of);
    if (mask & SEARCH_FIELD_ENTITIES) {
        json_t *ents = json_array();
        for (size_t i = 0; i < h->nents; i++)
            json_array_append_new(ents, json_pack("{s:s,s:s,s:s}", "id", h->ents[i].id, "name",
                                                  h->ents[i].name, "type", h->ents[i].type));
        json_object_set_new(o, "entities", ents);
    }
    return o;
}
