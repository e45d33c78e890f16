/* article_json.h: the article's JSON form: parsing with validation, and
 * rendering. Shared by the article, bulk and duplicate-check handlers. */
#ifndef ARTICLED_ARTICLE_JSON_H
#define ARTICLED_ARTICLE_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/error.h"
#include "store/article.h"

/* Field bounds (bytes). */
#define ARTICLE_ID_MAX       128
#define ARTICLE_TITLE_MAX    4096
#define ARTICLE_URL_MAX      4096
#define ARTICLE_SHORT_MAX    512 /* source, author */
#define ARTICLE_LANGUAGE_MAX 35
#define ARTICLE_TAGS_MAX     100
#define ARTICLE_TAG_MAX      256

/* 1 when id matches [A-Za-z0-9._:-]{1,128} and is not "." or "..". */
int article_id_valid(const char *id);

/* Parses text[0..len) (one JSON object) into *a. path_id, when not NULL, is
 * the id from the URL: the body's id must be absent or equal. An absent id is
 * generated. Returns 0, or -1 with err: ERR_INVALID for bad JSON, a missing or
 * mistyped field; ERR_UNPROCESSABLE for invalid UTF-8, NUL, a bad date. On -1,
 * a->id may still be set (for bulk item reports); the caller clears a. */
int article_json_parse(const char *text, size_t len, const char *path_id, struct article *a,
                       struct error *err);

struct store_article_list;

/* A page of articles without bodies, {articles: [...], next_cursor}, the
 * cursor bound to qhash (cursor_query_hash of the listing's parameters) and
 * signed with key (CURSOR_KEY_LEN bytes). New reference. */
json_t *article_page_json(const struct store_article_list *list, uint32_t qhash,
                          const uint8_t *key);

/* The article as a JSON object (new reference); the body only when with_body. */
json_t *article_json_render(const struct article *a, int with_body);

#endif
