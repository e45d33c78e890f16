/* entity.h: named entities (people, organisations, places) of an article: mentions with
 * exact spans, merged within the article by coreference, each entity with a canonical display
 * name and a merge key shared by its spelling variants across articles. Pure C over data
 * embedded in the binary (data/); no I/O at run time. */
#ifndef ARTICLED_ENTITY_H
#define ARTICLED_ENTITY_H

#include <stddef.h>

#include "analysis/error.h"

enum entity_type { ENTITY_PERSON, ENTITY_ORGANIZATION, ENTITY_LOCATION };

/* "person", "organization", "location" (a static string; "unknown" for a bad value). */
const char *entity_type_name(enum entity_type t);

/* Parses a type name as written by entity_type_name. Returns 0 and sets *out, or -1. */
int entity_type_parse(const char *s, enum entity_type *out);

struct entity { /* one entity of one article, mentions merged by coreference */
    char *name; /* canonical display name, e.g. "Marco Rubio", "United States" */
    char *key;  /* merge key across articles, e.g. "person:marco rubio", "location:united states" */
    enum entity_type type;
    char **aliases; /* other surface forms seen in this article ("Rubio", "US") */
    size_t naliases;
};

struct entity_mention {
    size_t start, end;           /* code point offsets into body, end exclusive */
    size_t byte_start, byte_end; /* the same span in bytes */
    size_t entity;               /* index into entity_result.entities */
};

struct entity_result {
    struct entity *entities;
    size_t nentities;
    struct entity_mention *mentions; /* in text order */
    size_t nmentions;
};

struct entity_extractor; /* immutable after creation; shared read-only by all threads */

/* Builds the extractor from the data embedded in the binary (gazetteers, cue words, model
 * weights). Returns 0, or -1 with err filled. Caller owns *out (entity_extractor_free). */
int entity_extractor_new(struct entity_extractor **out, struct error *err);

/* Frees the extractor (NULL-safe). The process-wide gazetteer it borrowed stays. */
void entity_extractor_free(struct entity_extractor *ex);

/* Extracts entities from body[0..len) (valid UTF-8, already checked). Thread-safe. Returns 0,
 * or -1 on allocation failure (out is then empty). Caller owns out (entity_result_free). */
int entity_extract(const struct entity_extractor *ex, const char *body, size_t len,
                   struct entity_result *out);

/* Frees everything out owns (NULL-safe) and zeroes it. */
void entity_result_free(struct entity_result *res);

/* Merge key for a user-supplied name and type (same normalisation as entity.key), for
 * look-ups like GET /v1/entities?q=. "U.S." -> "location:united states", ("person",
 * "Sergey Lavrov") -> "person:sergei lavrov". Returns a new string (caller frees) or NULL
 * (allocation failure, or a name with no letters or digits). */
char *entity_key_for(enum entity_type type, const char *name, size_t len);

#endif
