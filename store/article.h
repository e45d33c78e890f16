/* article.h: the article record shared by the handlers and the store.
 * Strings are NUL-terminated UTF-8, owned by the record (article_free). */
#ifndef ARTICLED_ARTICLE_H
#define ARTICLED_ARTICLE_H

#include <stddef.h>
#include <stdint.h>

struct article {
    char *id;
    char *title;
    char *body;
    size_t body_len;
    char *url;
    char *source;
    char *author;
    char *language;       /* ISO 639-1, lower case, or NULL */
    int language_detected; /* language came from stage_language, not the client */
    char *published_at;   /* as the client wrote it (RFC 3339), or NULL */
    int64_t published_ts; /* unix seconds, valid when published_at != NULL */
    char *tags_json;      /* JSON array text, or NULL */
    char *ingested_at;    /* set by the store */
    int64_t ts;           /* sort key: published_ts, else ingestion time */
    char content_hash[65];
    char *duplicate_of; /* set by the store: id of an earlier exact copy, or NULL */
    int64_t seq;        /* the store's row number */
    int64_t grp;        /* copy group: seq of the group's earliest member */
    int64_t story;      /* set by the store: the article's story, 0: none */
    int id_generated;   /* the parser made the id up (the client sent none) */
};

/* Frees every string the record owns and zeroes it. NULL-safe. */
void article_clear(struct article *a);

#endif
