/* schema_check.c: the JSON Schema subset validator (see schema_check.h). */
#include "schema_check.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SC_MAX_DEPTH 64

struct sc {
    const json_t *root;
    json_t *errors;
    int count;
};

static void sc_report(struct sc *c, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void sc_report(struct sc *c, const char *where, const char *fmt, ...)
{
    char msg[512];
    int n;
    va_list ap;

    c->count++;
    if (c->errors == NULL)
        return;
    n = snprintf(msg, sizeof msg, "%s: ", where);
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    json_array_append_new(c->errors, json_string(msg));
}

json_t *schema_resolve(const json_t *root, const char *ref)
{
    const json_t *node = root;
    const char *p;

    if (ref == NULL || ref[0] != '#')
        return NULL;
    p = ref + 1;
    while (*p == '/') {
        char tok[256];
        size_t n = 0;
        p++;
        while (*p != '\0' && *p != '/') {
            char ch = *p++;
            if (ch == '~' && *p == '0')
                ch = '~', p++;
            else if (ch == '~' && *p == '1')
                ch = '/', p++;
            if (n + 1 >= sizeof tok)
                return NULL;
            tok[n++] = ch;
        }
        tok[n] = '\0';
        if (json_is_object(node)) {
            node = json_object_get(node, tok);
        } else if (json_is_array(node)) {
            char *end;
            unsigned long i = strtoul(tok, &end, 10);
            node = (*tok != '\0' && *end == '\0') ? json_array_get(node, i) : NULL;
        } else {
            node = NULL;
        }
        if (node == NULL)
            return NULL;
    }
    return *p == '\0' ? (json_t *)node : NULL;
}

json_t *schema_deref(const json_t *root, const json_t *node)
{
    for (int hops = 0; node != NULL && hops < 32; hops++) {
        json_t *ref = json_is_object(node) ? json_object_get(node, "$ref") : NULL;
        if (ref == NULL)
            return (json_t *)node;
        node = schema_resolve(root, json_string_value(ref));
    }
    return NULL;
}

static const char *sc_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

static int sc_type_is(const json_t *v, const char *type)
{
    if (strcmp(type, "object") == 0)
        return json_is_object(v);
    if (strcmp(type, "array") == 0)
        return json_is_array(v);
    if (strcmp(type, "string") == 0)
        return json_is_string(v);
    if (strcmp(type, "number") == 0)
        return json_is_number(v);
    if (strcmp(type, "integer") == 0)
        return json_is_integer(v) ||
               (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v));
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(type, "null") == 0)
        return json_is_null(v);
    return -1;
}

static size_t sc_codepoints(const char *s, size_t n)
{
    size_t cps = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            cps++;
    return cps;
}

/* jansson's equality, except that 1 and 1.0 are equal (as in JSON Schema). */
static int sc_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal(a, b);
}

static void sc_check(struct sc *c, const json_t *schema, const json_t *v, const char *where,
                     int depth);

static void sc_check_type(struct sc *c, const json_t *t, const json_t *v, const char *where)
{
    size_t i;
    json_t *one;
    char names[128] = "";

    if (json_is_string(t)) {
        int r = sc_type_is(v, json_string_value(t));
        if (r < 0)
            sc_report(c, where, "schema names an unknown type '%s'", json_string_value(t));
        else if (!r)
            sc_report(c, where, "is %s, want %s", sc_type_name(v), json_string_value(t));
        return;
    }
    if (!json_is_array(t) || json_array_size(t) == 0) {
        sc_report(c, where, "schema 'type' is neither a name nor a list of names");
        return;
    }
    json_array_foreach(t, i, one)
    {
        int r = json_is_string(one) ? sc_type_is(v, json_string_value(one)) : -1;
        if (r < 0) {
            sc_report(c, where, "schema 'type' holds an unknown type");
            return;
        }
        if (r)
            return;
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? " or " : "",
                 json_string_value(one));
    }
    sc_report(c, where, "is %s, want %s", sc_type_name(v), names);
}

static void sc_check_number(struct sc *c, const json_t *schema, const json_t *v, const char *where)
{
    const json_t *k;
    double x;

    if (!json_is_number(v))
        return;
    x = json_number_value(v);
    if ((k = json_object_get(schema, "minimum")) != NULL && x < json_number_value(k))
        sc_report(c, where, "%g is below the minimum %g", x, json_number_value(k));
    if ((k = json_object_get(schema, "maximum")) != NULL && x > json_number_value(k))
        sc_report(c, where, "%g is above the maximum %g", x, json_number_value(k));
    if ((k = json_object_get(schema, "exclusiveMinimum")) != NULL && x <= json_number_value(k))
        sc_report(c, where, "%g is not above %g", x, json_number_value(k));
    if ((k = json_object_get(schema, "exclusiveMaximum")) != NULL && x >= json_number_value(k))
        sc_report(c, where, "%g is not below %g", x, json_number_value(k));
}

static void sc_check_string(struct sc *c, const json_t *schema, const json_t *v, const char *where)
{
    const json_t *k;
    size_t cps;

    if (!json_is_string(v))
        return;
    cps = sc_codepoints(json_string_value(v), json_string_length(v));
    if ((k = json_object_get(schema, "minLength")) != NULL && cps < (size_t)json_integer_value(k))
        sc_report(c, where, "is shorter than %lld characters", (long long)json_integer_value(k));
    if ((k = json_object_get(schema, "maxLength")) != NULL && cps > (size_t)json_integer_value(k))
        sc_report(c, where, "is longer than %lld characters", (long long)json_integer_value(k));
    if ((k = json_object_get(schema, "pattern")) != NULL) {
        regex_t re;
        if (!json_is_string(k) || regcomp(&re, json_string_value(k), REG_EXTENDED | REG_NOSUB)) {
            sc_report(c, where, "schema pattern does not compile");
            return;
        }
        if (regexec(&re, json_string_value(v), 0, NULL, 0) != 0)
            sc_report(c, where, "'%.80s' does not match %s", json_string_value(v),
                      json_string_value(k));
        regfree(&re);
    }
}

static void sc_check_array(struct sc *c, const json_t *schema, const json_t *v, const char *where,
                           int depth)
{
    const json_t *k;
    size_t i;
    json_t *item;

    if (!json_is_array(v))
        return;
    if ((k = json_object_get(schema, "minItems")) != NULL &&
        json_array_size(v) < (size_t)json_integer_value(k))
        sc_report(c, where, "has fewer than %lld items", (long long)json_integer_value(k));
    if ((k = json_object_get(schema, "maxItems")) != NULL &&
        json_array_size(v) > (size_t)json_integer_value(k))
        sc_report(c, where, "has more than %lld items", (long long)json_integer_value(k));
    if ((k = json_object_get(schema, "items")) == NULL)
        return;
    json_array_foreach(v, i, item)
    {
        char sub[512];
        snprintf(sub, sizeof sub, "%s[%zu]", where, i);
        sc_check(c, k, item, sub, depth + 1);
    }
}

static void sc_check_object(struct sc *c, const json_t *schema, const json_t *v, const char *where,
                            int depth)
{
    const json_t *props = json_object_get(schema, "properties");
    const json_t *req = json_object_get(schema, "required");
    const json_t *addl = json_object_get(schema, "additionalProperties");
    const char *key;
    json_t *val;
    size_t i;

    if (!json_is_object(v))
        return;
    json_array_foreach(req, i, val)
    {
        if (json_object_get(v, json_string_value(val)) == NULL)
            sc_report(c, where, "lacks the required property '%s'", json_string_value(val));
    }
    json_object_foreach((json_t *)v, key, val)
    {
        const json_t *ps = props ? json_object_get(props, key) : NULL;
        char sub[512];
        snprintf(sub, sizeof sub, "%s.%s", where, key);
        if (ps != NULL)
            sc_check(c, ps, val, sub, depth + 1);
        else if (json_is_false(addl))
            sc_report(c, where, "has the property '%s' that the schema does not allow", key);
        else if (json_is_object(addl))
            sc_check(c, addl, val, sub, depth + 1);
    }
}

/* Counts the violations of v against sub without reporting them. */
static int sc_quiet(struct sc *c, const json_t *sub, const json_t *v, const char *where, int depth)
{
    struct sc q = {c->root, NULL, 0};
    sc_check(&q, sub, v, where, depth + 1);
    return q.count;
}

static void sc_check_combinators(struct sc *c, const json_t *schema, const json_t *v,
                                 const char *where, int depth)
{
    const json_t *k;
    json_t *sub;
    size_t i;

    if ((k = json_object_get(schema, "allOf")) != NULL)
        json_array_foreach(k, i, sub) sc_check(c, sub, v, where, depth + 1);
    if ((k = json_object_get(schema, "anyOf")) != NULL) {
        int ok = 0;
        json_array_foreach(k, i, sub) ok |= sc_quiet(c, sub, v, where, depth) == 0;
        if (!ok)
            sc_report(c, where, "matches none of anyOf's %zu schemas", json_array_size(k));
    }
    if ((k = json_object_get(schema, "oneOf")) != NULL) {
        int matches = 0;
        json_array_foreach(k, i, sub) matches += sc_quiet(c, sub, v, where, depth) == 0;
        if (matches != 1)
            sc_report(c, where, "matches %d of oneOf's %zu schemas, want exactly 1", matches,
                      json_array_size(k));
    }
    if ((k = json_object_get(schema, "not")) != NULL && sc_quiet(c, k, v, where, depth) == 0)
        sc_report(c, where, "matches the schema under 'not'");
}

static int sc_keyword_known(const char *key)
{
    static const char *const known[] = {
        "$ref", "type", "enum", "const", "properties", "required", "additionalProperties", "items",
        "minItems", "maxItems", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "minLength", "maxLength", "pattern", "oneOf", "anyOf", "allOf", "not",
        /* annotations */
        "description", "title", "format", "example", "examples", "default", "deprecated",
        "readOnly", "writeOnly", "$comment", "externalDocs", NULL};
    for (size_t i = 0; known[i] != NULL; i++)
        if (strcmp(key, known[i]) == 0)
            return 1;
    return 0;
}

static void sc_check(struct sc *c, const json_t *schema, const json_t *v, const char *where,
                     int depth)
{
    const json_t *k;
    const char *key;
    json_t *val;

    if (depth > SC_MAX_DEPTH) {
        sc_report(c, where, "schema nests deeper than %d (a $ref loop?)", SC_MAX_DEPTH);
        return;
    }
    if (json_is_true(schema))
        return;
    if (json_is_false(schema)) {
        sc_report(c, where, "no value is allowed here");
        return;
    }
    if (!json_is_object(schema)) {
        sc_report(c, where, "the schema is not an object");
        return;
    }
    json_object_foreach((json_t *)schema, key, val)
    {
        if (!sc_keyword_known(key))
            sc_report(c, where, "schema keyword '%s' is not supported by this validator", key);
    }
    if ((k = json_object_get(schema, "$ref")) != NULL) {
        const json_t *target = schema_resolve(c->root, json_string_value(k));
        if (target == NULL)
            sc_report(c, where, "schema $ref '%s' does not resolve", json_string_value(k));
        else
            sc_check(c, target, v, where, depth + 1);
    }
    if ((k = json_object_get(schema, "type")) != NULL)
        sc_check_type(c, k, v, where);
    if ((k = json_object_get(schema, "enum")) != NULL) {
        int found = 0;
        size_t i;
        json_t *e;
        json_array_foreach(k, i, e) found |= sc_equal(e, v);
        if (!found) {
            char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            sc_report(c, where, "%.80s is not one of the enum's values", text ? text : "?");
            free(text);
        }
    }
    if ((k = json_object_get(schema, "const")) != NULL && !sc_equal(k, v))
        sc_report(c, where, "is not the schema's const value");
    sc_check_number(c, schema, v, where);
    sc_check_string(c, schema, v, where);
    sc_check_array(c, schema, v, where, depth);
    sc_check_object(c, schema, v, where, depth);
    sc_check_combinators(c, schema, v, where, depth);
}

int schema_check(const json_t *root, const json_t *schema, const json_t *instance, json_t *errors)
{
    struct sc c = {root, errors, 0};
    if (schema == NULL || instance == NULL) {
        sc_report(&c, "$", "no schema or no instance");
        return c.count;
    }
    sc_check(&c, schema, instance, "$", 0);
    return c.count;
}

static void sc_lint(struct sc *c, const json_t *schema, const char *where, json_t *visited,
                    int depth)
{
    static const char *const lists[] = {"allOf", "anyOf", "oneOf", NULL};
    const char *key;
    json_t *val;

    if (json_is_boolean(schema))
        return;
    if (!json_is_object(schema)) {
        sc_report(c, where, "the schema is not an object");
        return;
    }
    if (depth > SC_MAX_DEPTH) {
        sc_report(c, where, "schema nests deeper than %d", SC_MAX_DEPTH);
        return;
    }
    json_object_foreach((json_t *)schema, key, val)
    {
        char sub[512];
        snprintf(sub, sizeof sub, "%s/%s", where, key);
        if (!sc_keyword_known(key))
            sc_report(c, where, "schema keyword '%s' is not supported by this validator", key);
        else if (strcmp(key, "$ref") == 0) {
            const char *ref = json_string_value(val);
            const json_t *target = schema_resolve(c->root, ref);
            if (target == NULL)
                sc_report(c, where, "$ref '%s' does not resolve", ref ? ref : "(not a string)");
            else if (json_object_get(visited, ref) == NULL) {
                json_object_set_new(visited, ref, json_true());
                sc_lint(c, target, ref, visited, depth + 1);
            }
        } else if (strcmp(key, "properties") == 0) {
            const char *pk;
            json_t *pv;
            json_object_foreach(val, pk, pv)
            {
                char psub[600];
                snprintf(psub, sizeof psub, "%s/%s", sub, pk);
                sc_lint(c, pv, psub, visited, depth + 1);
            }
        } else if (strcmp(key, "items") == 0 || strcmp(key, "not") == 0 ||
                   strcmp(key, "additionalProperties") == 0) {
            sc_lint(c, val, sub, visited, depth + 1);
        } else {
            for (size_t l = 0; lists[l] != NULL; l++) {
                size_t i;
                json_t *one;
                if (strcmp(key, lists[l]) != 0)
                    continue;
                json_array_foreach(val, i, one) sc_lint(c, one, sub, visited, depth + 1);
            }
        }
    }
}

int schema_lint(const json_t *root, const json_t *schema, json_t *errors)
{
    struct sc c = {root, errors, 0};
    json_t *visited = json_object();
    sc_lint(&c, schema, "#", visited, 0);
    json_decref(visited);
    return c.count;
}
