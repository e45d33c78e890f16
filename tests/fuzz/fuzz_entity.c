/* fuzz_entity.c: libFuzzer harness for the entity extractor (analysis/entity.h) on valid UTF-8,
 * with one extractor built once as the server does. Checks that every mention is a non-empty
 * span of the body on code point boundaries whose code point and byte offsets agree, that
 * mentions come in text order and name an entity of the result, and that every entity has a
 * UTF-8 name, a key of its type and UTF-8 aliases. */
#include <string.h>

#include "analysis/entity.h"
#include "analysis/utf8.h"
#include "fuzz.h"

static struct entity_extractor *ex;

static int is_boundary(const char *s, size_t len, size_t off)
{
    return off == len || ((unsigned char)s[off] & 0xC0) != 0x80;
}

static void check_utf8(const char *what, const char *s)
{
    FUZZ_CHECK(s != NULL && s[0] != '\0', "%s is missing or empty", what);
    FUZZ_CHECK(utf8_check(s, strlen(s), NULL) == 0, "%s is not valid UTF-8", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    struct entity_result res;
    size_t ncp;

    if (ex == NULL) {
        struct error err = {0};
        FUZZ_CHECK(entity_extractor_new(&ex, &err) == 0, "entity_extractor_new: %s", err.msg);
    }
    if (utf8_check(body, size, NULL) != 0)
        return 0; /* the extractor takes checked text only */
    ncp = utf8_count(body, size);
    FUZZ_CHECK(entity_extract(ex, body, size, &res) == 0, "entity_extract failed");

    for (size_t i = 0; i < res.nmentions; i++) {
        const struct entity_mention *m = &res.mentions[i];
        FUZZ_CHECK(m->byte_start < m->byte_end && m->byte_end <= size,
                   "mention %zu: bytes [%zu, %zu) outside [0, %zu)", i, m->byte_start, m->byte_end,
                   size);
        FUZZ_CHECK(m->start < m->end && m->end <= ncp,
                   "mention %zu: code points [%zu, %zu) outside [0, %zu)", i, m->start, m->end,
                   ncp);
        FUZZ_CHECK(is_boundary(body, size, m->byte_start) && is_boundary(body, size, m->byte_end),
                   "mention %zu: bytes [%zu, %zu) split a code point", i, m->byte_start,
                   m->byte_end);
        FUZZ_CHECK(utf8_count(body, m->byte_start) == m->start &&
                       utf8_count(body + m->byte_start, m->byte_end - m->byte_start) ==
                           m->end - m->start,
                   "mention %zu: code points [%zu, %zu) and bytes [%zu, %zu) disagree", i, m->start,
                   m->end, m->byte_start, m->byte_end);
        FUZZ_CHECK(m->entity < res.nentities, "mention %zu names entity %zu of %zu", i, m->entity,
                   res.nentities);
        if (i > 0)
            FUZZ_CHECK(res.mentions[i - 1].byte_start <= m->byte_start,
                       "mentions %zu and %zu out of text order", i - 1, i);
    }
    for (size_t i = 0; i < res.nentities; i++) {
        const struct entity *e = &res.entities[i];
        const char *type = entity_type_name(e->type);
        enum entity_type back;
        FUZZ_CHECK(entity_type_parse(type, &back) == 0 && back == e->type, "entity %zu has type %d",
                   i, (int)e->type);
        check_utf8("name", e->name);
        check_utf8("key", e->key);
        FUZZ_CHECK(strncmp(e->key, type, strlen(type)) == 0 && e->key[strlen(type)] == ':' &&
                       e->key[strlen(type) + 1] != '\0',
                   "entity %zu (%s): key '%s' is not '%s:...'", i, e->name, e->key, type);
        FUZZ_CHECK(e->naliases == 0 || e->aliases != NULL, "entity %zu: no alias array", i);
        for (size_t k = 0; k < e->naliases; k++)
            check_utf8("alias", e->aliases[k]);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(res.entities[j].key, e->key) != 0,
                       "entities %zu and %zu share the key %s", j, i, e->key);
    }
    entity_result_free(&res);
    FUZZ_CHECK(res.nentities == 0 && res.nmentions == 0 && res.entities == NULL, "not zeroed");
    return 0;
}
