/* article_json.c: article parsing, validation and rendering (see
 * article_json.h). Unknown fields are ignored; known ones are strict. */
#include "pipeline/article_json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "analysis/datetime.h"
#include "analysis/langid.h"
#include "analysis/utf8.h"
#include "handlers/cursor.h"
#include "store/store.h"

int article_id_valid(const char *id)
{
    size_t n = 0;
    for (const char *p = id; *p; p++, n++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return 0;
    }
    /* "." and ".." are path segments to every URL library: such an
     * article could be stored but never reached through its URL */
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return 0;
    return n >= 1 && n <= ARTICLE_ID_MAX;
}

static char *article_new_id(void)
{
    unsigned char r[12];
    char *id = malloc(2 + sizeof r * 2 + 1);
    if (id == NULL)
        return NULL;
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)rand();
    }
    strcpy(id, "a-");
    for (size_t i = 0; i < sizeof r; i++)
        sprintf(id + 2 + 2 * i, "%02x", r[i]);
    return id;
}

/* Whether s is a language tag whose language is a two-letter code: "en",
 * "EN", or BCP 47 with subtags ("en-GB", "pt_BR", "zh-Hant-TW"), as feeds
 * write them. */
static int article_language_tag(const char *s)
{
    if (!isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1]))
        return 0;
    for (s += 2; *s != '\0';) {
        size_t n = 0;
        if (*s != '-' && *s != '_')
            return 0;
        for (s++; isalnum((unsigned char)*s) && n <= 8; s++)
            n++;
        if (n == 0 || n > 8)
            return 0;
    }
    return 1;
}

/* A given language is kept as its ISO 639-1 code, in lower case (filters and
 * facets compare it exactly: "en-GB" is "en"); "" is no language (detected,
 * stage_language). */
static int article_language(struct article *a, struct error *err)
{
    if (a->language == NULL)
        return 0;
    if (a->language[0] == '\0') {
        free(a->language);
        a->language = NULL;
        return 0;
    }
    if (!article_language_tag(a->language)) {
        error_set_field(err, ERR_INVALID, "language",
                        "'language' must be an ISO 639-1 code of two letters, such as en or de "
                        "(or a tag that starts with one, such as en-GB)");
        return -1;
    }
    a->language[0] = (char)tolower((unsigned char)a->language[0]);
    a->language[1] = (char)tolower((unsigned char)a->language[1]);
    a->language[2] = '\0';
    return 0;
}

/* Reads an optional string field. Returns 0 (with *out a copy or NULL), or -1
 * with err filled. required: absent or null is an error. */
static int article_string_field(json_t *obj, const char *name, int required, size_t max,
                                int allow_empty, char **out, size_t *outlen, struct error *err)
{
    json_t *v = json_object_get(obj, name);
    const char *s;
    size_t len;

    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required) {
            error_set_field(err, ERR_INVALID, name, "'%s' is required", name);
            return -1;
        }
        return 0;
    }
    if (!json_is_string(v)) {
        error_set_field(err, ERR_INVALID, name, "'%s' must be a string", name);
        return -1;
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (memchr(s, '\0', len) != NULL) {
        error_set_field(err, ERR_UNPROCESSABLE, name, "'%s' contains a NUL character", name);
        return -1;
    }
    if (len > max) {
        error_set_field(err, ERR_INVALID, name, "'%s' is longer than %zu bytes", name, max);
        return -1;
    }
    if (!allow_empty && strspn(s, " \t\r\n") == len) {
        error_set_field(err, ERR_INVALID, name, "'%s' must not be empty", name);
        return -1;
    }
    *out = strdup(s);
    if (*out == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    if (outlen)
        *outlen = len;
    return 0;
}

static int article_tags(json_t *obj, struct article *a, struct error *err)
{
    json_t *v = json_object_get(obj, "tags"), *t;
    size_t i;

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v)) {
        error_set_field(err, ERR_INVALID, "tags", "'tags' must be an array of strings");
        return -1;
    }
    if (json_array_size(v) > ARTICLE_TAGS_MAX) {
        error_set_field(err, ERR_INVALID, "tags", "at most %d tags", ARTICLE_TAGS_MAX);
        return -1;
    }
    json_array_foreach(v, i, t)
    {
        if (!json_is_string(t) || json_string_length(t) > ARTICLE_TAG_MAX) {
            error_set_field(err, ERR_INVALID, "tags", "'tags' must be strings of at most %d bytes",
                            ARTICLE_TAG_MAX);
            return -1;
        }
        if (memchr(json_string_value(t), '\0', json_string_length(t)) != NULL) {
            error_set_field(err, ERR_UNPROCESSABLE, "tags", "a tag contains a NUL character");
            return -1;
        }
    }
    a->tags_json = json_dumps(v, JSON_COMPACT);
    if (a->tags_json == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    return 0;
}

/* Deepest nesting of arrays and objects a body may have. jansson recurses
 * once a level and has no option for this, so the text is scanned first. */
#define ARTICLE_JSON_MAX_DEPTH 64

/* 1 when text[0..len) nests arrays and objects at most max deep (brackets
 * inside strings do not count; malformed JSON is left to the parser). */
static int article_json_depth_ok(const char *text, size_t len, unsigned max)
{
    unsigned depth = 0;
    int in_string = 0;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                return 0;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return 1;
}

int article_json_parse(const char *text, size_t len, const char *path_id, struct article *a,
                       struct error *err)
{
    json_error_t jerr;
    json_t *obj = NULL, *idv;
    size_t bad;
    int ret = -1;

    memset(a, 0, sizeof *a);
    if (utf8_check(text, len, &bad) != 0) {
        error_set(err, ERR_UNPROCESSABLE, "the body is not valid UTF-8 (byte %zu)", bad);
        goto out;
    }
    if (!article_json_depth_ok(text, len, ARTICLE_JSON_MAX_DEPTH)) {
        error_set(err, ERR_INVALID, "the JSON is nested too deeply (more than %d levels)",
                  ARTICLE_JSON_MAX_DEPTH);
        goto out;
    }
    obj = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (obj == NULL) {
        error_set(err, ERR_INVALID, "invalid JSON at line %d, column %d: %s", jerr.line,
                  jerr.column, jerr.text);
        goto out;
    }
    if (!json_is_object(obj)) {
        error_set(err, ERR_INVALID, "an article must be a JSON object");
        goto out;
    }

    idv = json_object_get(obj, "id");
    if (idv != NULL && !json_is_null(idv)) {
        if (!json_is_string(idv) || !article_id_valid(json_string_value(idv)) ||
            strlen(json_string_value(idv)) != json_string_length(idv)) {
            error_set_field(err, ERR_INVALID, "id",
                            "'id' must match [A-Za-z0-9._:-]{1,128} and not be . or ..");
            goto out;
        }
        if (path_id != NULL && strcmp(path_id, json_string_value(idv)) != 0) {
            error_set_field(err, ERR_INVALID, "id", "'id' in the body differs from the URL's");
            goto out;
        }
        a->id = strdup(json_string_value(idv));
    } else if (path_id != NULL) {
        a->id = strdup(path_id);
    }
    if (a->id == NULL && (idv == NULL || json_is_null(idv)) && path_id != NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (article_string_field(obj, "title", 1, ARTICLE_TITLE_MAX, 0, &a->title, NULL, err) ||
        article_string_field(obj, "body", 1, SIZE_MAX, 0, &a->body, &a->body_len, err) ||
        article_string_field(obj, "url", 0, ARTICLE_URL_MAX, 1, &a->url, NULL, err) ||
        article_string_field(obj, "source", 0, ARTICLE_SHORT_MAX, 1, &a->source, NULL, err) ||
        article_string_field(obj, "author", 0, ARTICLE_SHORT_MAX, 1, &a->author, NULL, err) ||
        article_string_field(obj, "language", 0, ARTICLE_LANGUAGE_MAX, 1, &a->language, NULL,
                             err) ||
        article_string_field(obj, "published_at", 0, 64, 1, &a->published_at, NULL, err) ||
        article_tags(obj, a, err))
        goto out;
    if (article_language(a, err) != 0)
        goto out;
    if (a->published_at != NULL &&
        datetime_parse(a->published_at, strlen(a->published_at), 0, &a->published_ts) != 0) {
        error_set_field(err, ERR_UNPROCESSABLE, "published_at",
                        "'published_at' must be an RFC 3339 date-time such as "
                        "2025-03-01T12:00:00Z");
        goto out;
    }
    /* Only a valid article gets a generated id, so a refused bulk line never
     * reports an id that was not stored. */
    if (a->id == NULL) {
        if ((a->id = article_new_id()) == NULL) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
        a->id_generated = 1;
    }
    ret = 0;
out:
    json_decref(obj);
    return ret;
}

static void set_opt(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, v ? json_string(v) : json_null());
}

json_t *article_json_render(const struct article *a, int with_body)
{
    json_t *o = json_object();
    json_t *tags = NULL;

    if (o == NULL)
        return NULL;
    json_object_set_new(o, "id", json_string(a->id));
    json_object_set_new(o, "title", json_string(a->title));
    if (with_body)
        json_object_set_new(o, "body", json_stringn(a->body ? a->body : "", a->body_len));
    set_opt(o, "url", a->url);
    set_opt(o, "source", a->source);
    set_opt(o, "author", a->author);
    set_opt(o, "language", a->language);
    json_object_set_new(o, "language_detected", json_boolean(a->language_detected));
    set_opt(o, "published_at", a->published_at);
    if (a->tags_json != NULL)
        tags = json_loads(a->tags_json, 0, NULL);
    json_object_set_new(o, "tags", tags ? tags : json_array());
    set_opt(o, "ingested_at", a->ingested_at);
    json_object_set_new(o, "content_hash", json_string(a->content_hash));
    set_opt(o, "duplicate_of", a->duplicate_of);
    json_object_set_new(o, "story", a->story > 0 ? json_sprintf("%lld", (long long)a->story)
                                                 : json_null());
    return o;
}

json_t *article_page_json(const struct store_article_list *list, uint32_t qhash, const uint8_t *key)
{
    json_t *items = json_array(), *body;
    for (size_t i = 0; i < list->n; i++)
        json_array_append_new(items, article_json_render(&list->items[i], 0));
    body = json_pack("{s:o}", "articles", items);
    if (body == NULL)
        return NULL;
    if (list->more && list->n > 0) {
        struct cursor c = {.kind = 'l',
                           .ts = list->items[list->n - 1].ts,
                           .seq = list->items[list->n - 1].seq,
                           .query = qhash};
        char text[CURSOR_MAX];
        cursor_encode(&c, key, text);
        json_object_set_new(body, "next_cursor", json_string(text));
    } else {
        json_object_set_new(body, "next_cursor", json_null());
    }
    return body;
}
