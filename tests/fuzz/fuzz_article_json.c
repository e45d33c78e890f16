/* fuzz_article_json.c: libFuzzer harness for the article JSON parser/validator
 * (pipeline/article_json.h). Whatever the input, parsing returns 0 or -1 with a client error;
 * an accepted article is well-formed, renders, and parses back to the same fields. */
#include <jansson.h>
#include <string.h>

#include "analysis/utf8.h"
#include "fuzz.h"
#include "pipeline/article_json.h"

static int same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* An optional field of an accepted article: absent, or valid UTF-8 without NUL. */
static void check_text(const char *name, const char *s, size_t max)
{
    if (s == NULL)
        return;
    FUZZ_CHECK(utf8_check(s, strlen(s), NULL) == 0, "field %s is not valid UTF-8", name);
    FUZZ_CHECK(strlen(s) <= max, "field %s is %zu bytes", name, strlen(s));
}

static void check_accepted(const struct article *a)
{
    FUZZ_CHECK(a->id != NULL && article_id_valid(a->id), "bad id");
    FUZZ_CHECK(a->title != NULL && a->body != NULL, "title or body missing");
    FUZZ_CHECK(strlen(a->body) == a->body_len, "body_len %zu, strlen %zu", a->body_len,
               strlen(a->body));
    FUZZ_CHECK(strspn(a->title, " \t\r\n") < strlen(a->title), "blank title accepted");
    FUZZ_CHECK(strspn(a->body, " \t\r\n") < a->body_len, "blank body accepted");
    check_text("title", a->title, ARTICLE_TITLE_MAX);
    check_text("body", a->body, SIZE_MAX);
    check_text("url", a->url, ARTICLE_URL_MAX);
    check_text("source", a->source, ARTICLE_SHORT_MAX);
    check_text("author", a->author, ARTICLE_SHORT_MAX);
    check_text("language", a->language, ARTICLE_LANGUAGE_MAX);
    check_text("published_at", a->published_at, 64);
    if (a->tags_json != NULL) {
        json_t *tags = json_loads(a->tags_json, 0, NULL);
        FUZZ_CHECK(json_is_array(tags), "tags_json is not an array: %s", a->tags_json);
        FUZZ_CHECK(json_array_size(tags) <= ARTICLE_TAGS_MAX, "too many tags");
        json_decref(tags);
    }
}

/* Renders a, parses the rendering back (with the id as the URL's id) and compares. */
static void check_round_trip(const struct article *a)
{
    struct article b;
    struct error err = {0};
    json_t *o = article_json_render(a, 1);
    json_t *short_form = article_json_render(a, 0);
    char *text;

    FUZZ_CHECK(o != NULL && short_form != NULL, "render failed");
    FUZZ_CHECK(json_object_get(short_form, "body") == NULL, "body rendered without with_body");
    json_decref(short_form);
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    FUZZ_CHECK(text != NULL, "json_dumps failed");
    int rc = article_json_parse(text, strlen(text), a->id, &b, &err);
    FUZZ_CHECK(rc == 0, "the rendering of an accepted article is refused: %s (%s)", err.msg, text);
    FUZZ_CHECK(same_str(a->id, b.id) && same_str(a->title, b.title) && same_str(a->body, b.body) &&
                   a->body_len == b.body_len && same_str(a->url, b.url) &&
                   same_str(a->source, b.source) && same_str(a->author, b.author) &&
                   same_str(a->language, b.language) && same_str(a->published_at, b.published_at) &&
                   (a->published_at == NULL || a->published_ts == b.published_ts),
               "round trip changed a field: %s", text);
    /* an absent tags field renders as [] */
    FUZZ_CHECK(same_str(a->tags_json ? a->tags_json : "[]", b.tags_json), "tags changed: %s / %s",
               a->tags_json ? a->tags_json : "(null)", b.tags_json ? b.tags_json : "(null)");
    article_clear(&b);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct article a;
    struct error err = {0};
    int rc = article_json_parse((const char *)data, size, NULL, &a, &err);

    if (rc == 0) {
        FUZZ_CHECK(err.code == ERR_NONE, "success with an error set: %s", err.msg);
        check_accepted(&a);
        check_round_trip(&a);
        /* a different URL id is refused when the body names one */
        struct article c;
        struct error err2 = {0};
        FUZZ_CHECK(article_json_parse((const char *)data, size, "fuzz-other-id", &c, &err2) == 0 ||
                       err2.code == ERR_INVALID,
                   "path id mismatch gives code %d", (int)err2.code);
        if (err2.code == ERR_NONE)
            FUZZ_CHECK(strcmp(c.id, "fuzz-other-id") == 0, "path id ignored: %s", c.id);
        article_clear(&c);
    } else {
        FUZZ_CHECK(rc == -1, "rc %d", rc);
        FUZZ_CHECK(err.code == ERR_INVALID || err.code == ERR_UNPROCESSABLE,
                   "refusal with code %d: %s", (int)err.code, err.msg);
        FUZZ_CHECK(err.msg[0] != '\0', "refusal without a message");
        FUZZ_CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL, "unterminated message");
        if (a.id != NULL)
            FUZZ_CHECK(article_id_valid(a.id), "refused article reports a bad id");
    }
    article_clear(&a);
    return 0;
}
