/* yamljson.c: YAML to jansson through libyaml's event parser (see yamljson.h). */
#include "yamljson.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YJ_MAX_DEPTH 256

struct yj {
    yaml_parser_t parser;
    json_t *anchors; /* anchor name -> node (borrowed by aliases, which incref) */
    char *err;
    size_t errlen;
};

static void yj_fail(struct yj *y, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void yj_fail(struct yj *y, size_t line, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    if (y->err == NULL || y->errlen == 0 || y->err[0] != '\0')
        return; /* keep the first message */
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(y->err, y->errlen, "line %zu: %s", line, msg);
}

static int yj_next(struct yj *y, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&y->parser, ev)) {
        yj_fail(y, y->parser.problem_mark.line + 1, "%s%s%s",
                y->parser.problem ? y->parser.problem : "YAML syntax error",
                y->parser.context ? " " : "", y->parser.context ? y->parser.context : "");
        return -1;
    }
    return 0;
}

static int yj_is(const char *s, size_t n, const char *const *words)
{
    for (size_t i = 0; words[i] != NULL; i++)
        if (strlen(words[i]) == n && memcmp(s, words[i], n) == 0)
            return 1;
    return 0;
}

static size_t yj_digits(const char *s, size_t n, size_t i, const char *set)
{
    size_t start = i;
    while (i < n && strchr(set, s[i]) != NULL && s[i] != '\0')
        i++;
    return i - start;
}

/* Integer by the core schema: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+. Returns
 * 1 and *v, 0 when s is not one, -1 when it is but does not fit. */
static int yj_int(const char *s, size_t n, json_int_t *v)
{
    char buf[80];
    int base = 10;
    size_t i = 0;
    long long x;
    char *end;

    if (n == 0 || n >= sizeof buf)
        return 0;
    if (n > 2 && s[0] == '0' && s[1] == 'o' && yj_digits(s, n, 2, "01234567") == n - 2) {
        base = 8;
        i = 2;
    } else if (n > 2 && s[0] == '0' && s[1] == 'x' &&
               yj_digits(s, n, 2, "0123456789abcdefABCDEF") == n - 2) {
        base = 16;
        i = 2;
    } else {
        size_t j = (s[0] == '-' || s[0] == '+') ? 1 : 0;
        if (j == n || yj_digits(s, n, j, "0123456789") != n - j)
            return 0;
    }
    memcpy(buf, s + i, n - i);
    buf[n - i] = '\0';
    errno = 0;
    x = strtoll(buf, &end, base);
    if (errno != 0 || *end != '\0')
        return -1;
    *v = (json_int_t)x;
    return 1;
}

/* Float by the core schema. Returns 1 and *v, 0 when s is not one, -1 when
 * it is but JSON cannot hold it (.inf, .nan, overflow). */
static int yj_float(const char *s, size_t n, double *v)
{
    static const char *const special[] = {".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf",
                                          "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
                                          ".NaN",  ".NAN",  NULL};
    char buf[128];
    size_t i = 0, intd, fracd = 0;
    char *end;

    if (yj_is(s, n, special))
        return -1;
    if (n == 0 || n >= sizeof buf)
        return 0;
    if (s[i] == '-' || s[i] == '+')
        i++;
    intd = yj_digits(s, n, i, "0123456789");
    i += intd;
    if (i < n && s[i] == '.') {
        i++;
        fracd = yj_digits(s, n, i, "0123456789");
        i += fracd;
    } else if (intd == 0) {
        return 0;
    }
    if (intd == 0 && fracd == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t expd;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        expd = yj_digits(s, n, i, "0123456789");
        if (expd == 0)
            return 0;
        i += expd;
    }
    if (i != n)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    *v = strtod(buf, &end);
    if (errno != 0 || !isfinite(*v))
        return -1;
    return 1;
}

/* A plain scalar's value by the core schema (new reference), or NULL. */
static json_t *yj_resolve(struct yj *y, const char *s, size_t n, size_t line)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    json_int_t iv;
    double dv;
    int r;

    if (yj_is(s, n, nulls))
        return json_null();
    if (yj_is(s, n, trues))
        return json_true();
    if (yj_is(s, n, falses))
        return json_false();
    r = yj_int(s, n, &iv);
    if (r == 1)
        return json_integer(iv);
    if (r == 0)
        r = yj_float(s, n, &dv);
    if (r == 1)
        return json_real(dv);
    if (r < 0) {
        yj_fail(y, line, "the number '%.*s' cannot be represented in JSON", (int)(n > 60 ? 60 : n),
                s);
        return NULL;
    }
    return json_stringn(s, n);
}

static json_t *yj_scalar(struct yj *y, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    size_t line = ev->start_mark.line + 1;
    json_t *v;

    if (tag == NULL || strcmp(tag, "!") == 0) {
        if (tag == NULL && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            v = yj_resolve(y, s, n, line);
        else
            v = json_stringn(s, n);
    } else if (strcmp(tag, YAML_STR_TAG) == 0) {
        v = json_stringn(s, n);
    } else if (strcmp(tag, YAML_NULL_TAG) == 0 || strcmp(tag, YAML_BOOL_TAG) == 0 ||
               strcmp(tag, YAML_INT_TAG) == 0 || strcmp(tag, YAML_FLOAT_TAG) == 0) {
        v = yj_resolve(y, s, n, line);
        if (v != NULL && json_is_string(v)) {
            yj_fail(y, line, "'%.*s' is not a %s", (int)(n > 60 ? 60 : n), s, tag);
            json_decref(v);
            v = NULL;
        }
    } else {
        yj_fail(y, line, "unsupported tag %s", tag);
        v = NULL;
    }
    if (v == NULL)
        yj_fail(y, line, "the scalar is not valid UTF-8 or cannot be stored");
    return v;
}

static json_t *yj_node(struct yj *y, yaml_event_t *ev, int depth);

static json_t *yj_mapping(struct yj *y, int depth)
{
    json_t *obj = json_object();
    yaml_event_t ev;

    for (;;) {
        char *key;
        size_t keylen, line;
        json_t *v;

        if (yj_next(y, &ev) != 0)
            goto fail;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return obj;
        }
        line = ev.start_mark.line + 1;
        if (ev.type != YAML_SCALAR_EVENT) {
            yj_fail(y, line, "a mapping key must be a scalar");
            yaml_event_delete(&ev);
            goto fail;
        }
        keylen = ev.data.scalar.length;
        key = malloc(keylen + 1);
        if (key == NULL) {
            yaml_event_delete(&ev);
            goto fail;
        }
        memcpy(key, ev.data.scalar.value, keylen);
        key[keylen] = '\0';
        yaml_event_delete(&ev);
        if (strlen(key) != keylen || json_object_get(obj, key) != NULL) {
            yj_fail(y, line, "duplicate or invalid key '%s'", key);
            free(key);
            goto fail;
        }
        if (yj_next(y, &ev) != 0) {
            free(key);
            goto fail;
        }
        v = yj_node(y, &ev, depth + 1);
        if (v == NULL || json_object_set_new(obj, key, v) != 0) {
            yj_fail(y, line, "key '%s' cannot be stored", key);
            free(key);
            goto fail;
        }
        free(key);
    }
fail:
    json_decref(obj);
    return NULL;
}

static json_t *yj_sequence(struct yj *y, int depth)
{
    json_t *arr = json_array();
    yaml_event_t ev;

    for (;;) {
        json_t *v;
        if (yj_next(y, &ev) != 0)
            break;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return arr;
        }
        v = yj_node(y, &ev, depth + 1);
        if (v == NULL || json_array_append_new(arr, v) != 0)
            break;
    }
    json_decref(arr);
    return NULL;
}

/* Builds the node that starts with *ev (consumed) and remembers its anchor. */
static json_t *yj_node(struct yj *y, yaml_event_t *ev, int depth)
{
    size_t line = ev->start_mark.line + 1;
    char *anchor = NULL;
    json_t *v = NULL;

    if (depth > YJ_MAX_DEPTH) {
        yj_fail(y, line, "nested deeper than %d", YJ_MAX_DEPTH);
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor)
            anchor = strdup((const char *)ev->data.scalar.anchor);
        v = yj_scalar(y, ev);
        yaml_event_delete(ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        if (ev->data.sequence_start.anchor)
            anchor = strdup((const char *)ev->data.sequence_start.anchor);
        yaml_event_delete(ev);
        v = yj_sequence(y, depth);
        break;
    case YAML_MAPPING_START_EVENT:
        if (ev->data.mapping_start.anchor)
            anchor = strdup((const char *)ev->data.mapping_start.anchor);
        yaml_event_delete(ev);
        v = yj_mapping(y, depth);
        break;
    case YAML_ALIAS_EVENT:
        v = json_object_get(y->anchors, (const char *)ev->data.alias.anchor);
        if (v == NULL)
            yj_fail(y, line, "alias *%s names no complete node", ev->data.alias.anchor);
        json_incref(v);
        yaml_event_delete(ev);
        break;
    default:
        yj_fail(y, line, "unexpected YAML event %d", (int)ev->type);
        yaml_event_delete(ev);
        break;
    }
    if (v != NULL && anchor != NULL)
        json_object_set(y->anchors, anchor, v);
    free(anchor);
    return v;
}

json_t *yamljson_parse(const char *text, size_t len, char *errbuf, size_t errlen)
{
    struct yj y = {.err = errbuf, .errlen = errlen};
    yaml_event_t ev;
    json_t *root = NULL;
    int ok = 0;

    if (errbuf != NULL && errlen > 0)
        errbuf[0] = '\0';
    if (!yaml_parser_initialize(&y.parser)) {
        yj_fail(&y, 0, "cannot initialise libyaml");
        return NULL;
    }
    y.anchors = json_object();
    yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
    if (yj_next(&y, &ev) != 0)
        goto out;
    yaml_event_delete(&ev); /* stream start */
    if (yj_next(&y, &ev) != 0)
        goto out;
    if (ev.type != YAML_DOCUMENT_START_EVENT) {
        yj_fail(&y, ev.start_mark.line + 1, "the stream holds no document");
        yaml_event_delete(&ev);
        goto out;
    }
    yaml_event_delete(&ev);
    if (yj_next(&y, &ev) != 0)
        goto out;
    root = yj_node(&y, &ev, 0);
    if (root == NULL || yj_next(&y, &ev) != 0)
        goto out;
    yaml_event_delete(&ev); /* document end */
    if (yj_next(&y, &ev) != 0)
        goto out;
    if (ev.type != YAML_STREAM_END_EVENT)
        yj_fail(&y, ev.start_mark.line + 1, "more than one document");
    else
        ok = 1;
    yaml_event_delete(&ev);
out:
    if (!ok) {
        yj_fail(&y, y.parser.mark.line + 1, "not a YAML document");
        json_decref(root);
        root = NULL;
    }
    json_decref(y.anchors);
    yaml_parser_delete(&y.parser);
    return root;
}

char *yamljson_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    *len = 0;
    if (f == NULL)
        return NULL;
    for (;;) {
        size_t got;
        if (n + 4096 + 1 > cap) {
            char *bigger = realloc(buf, cap ? cap * 2 : 65536);
            if (bigger == NULL)
                goto fail;
            buf = bigger;
            cap = cap ? cap * 2 : 65536;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        goto fail;
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

json_t *yamljson_load_file(const char *path, char *errbuf, size_t errlen)
{
    size_t len;
    char *text = yamljson_read_file(path, &len);
    json_t *root;

    if (text == NULL) {
        snprintf(errbuf, errlen, "cannot read %s", path);
        return NULL;
    }
    root = yamljson_parse(text, len, errbuf, errlen);
    free(text);
    return root;
}
