/* schema_check.h: a small JSON Schema (2020-12 subset, as OpenAPI 3.1 uses it)
 * validator for the contract test. Keywords: $ref (local, "#/..."), type
 * (a name or an array of names, "null" included), enum, const, properties,
 * required, additionalProperties (false or a schema), items, minItems,
 * maxItems, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength,
 * maxLength (code points), pattern (POSIX extended regex), oneOf, anyOf,
 * allOf, not. Annotations (description, format, example, default...) are
 * skipped; any other keyword is reported as an error, so a schema can never
 * rely on something this validator silently ignores. */
#ifndef ARTICLED_SCHEMA_CHECK_H
#define ARTICLED_SCHEMA_CHECK_H

#include <jansson.h>

/* The node at a local reference such as "#/components/schemas/Problem"
 * (JSON pointer, ~0 and ~1 unescaped) in root, borrowed, or NULL. */
json_t *schema_resolve(const json_t *root, const char *ref);

/* node, or what its "$ref" (followed repeatedly) points at, borrowed; NULL
 * when a reference does not resolve or loops. */
json_t *schema_deref(const json_t *root, const json_t *node);

/* Validates instance against schema, resolving $ref in root. Appends one
 * string per violation ("$.items[2].id: ...") to errors (an array, may be
 * NULL). Returns the number of violations, 0 when instance is valid. */
int schema_check(const json_t *root, const json_t *schema, const json_t *instance, json_t *errors);

/* Walks schema and every schema below it (properties, items, combinators,
 * additionalProperties, $ref targets once each) and appends a message to
 * errors for each keyword this validator does not support and each $ref that
 * does not resolve. Returns the number of such findings. */
int schema_lint(const json_t *root, const json_t *schema, json_t *errors);

#endif
