/* yamljson.h: YAML (one document) read with libyaml into a jansson tree, so
 * tests can walk openapi.yaml as JSON. Mappings become objects, sequences
 * arrays; plain scalars resolve by the YAML 1.2 core schema (null, bool, int,
 * float, else string), quoted scalars are strings. Anchors and aliases work;
 * duplicate keys, non-scalar keys and values JSON cannot hold are errors. */
#ifndef ARTICLED_YAMLJSON_H
#define ARTICLED_YAMLJSON_H

#include <jansson.h>
#include <stddef.h>

/* Parses text[0..len). Returns a new reference, or NULL with a message
 * (naming the line) in errbuf (capacity errlen). */
json_t *yamljson_parse(const char *text, size_t len, char *errbuf, size_t errlen);

/* Reads the file at path into a new buffer (NUL-terminated, caller frees)
 * and its length into *len. Returns NULL when it cannot be read. */
char *yamljson_read_file(const char *path, size_t *len);

/* yamljson_parse on the contents of the file at path. */
json_t *yamljson_load_file(const char *path, char *errbuf, size_t errlen);

#endif
