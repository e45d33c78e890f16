/* The contract test: openapi.yaml against the running server. It reads the
 * document (libyaml -> jansson, support/yamljson.c), checks it is well formed,
 * that its paths and methods are exactly the routing table's, that the binary
 * serves it byte for byte, and then drives real servers with a table of good
 * and bad requests plus requests derived from the document (parameter bounds,
 * enums, required parameters, 413s, 400 for too many parameters, 414 for a
 * long request target, 503 while shutting down). Every answer's status must
 * be documented for its operation, its body must validate against the
 * documented schema (support/schema_check.c) and its headers must be the
 * documented ones; in the end every documented status but 500 and 507 must
 * have been seen. The converter, the validator and the checks themselves are
 * tested to fail on wrong input. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "apitest.h"
#include "schema_check.h"
#include "security.h"
#include "handlers/routes.h"
#include "yamljson.h"

/* ------------------------------------------------------------------------ */
/* The document                                                             */

static json_t *doc;
static char *doc_text;
static size_t doc_len;

static void doc_load(void)
{
    const char *src = getenv("ARTICLED_SOURCE_DIR");
    char path[1024], err[512];

    snprintf(path, sizeof path, "%s/openapi.yaml", src ? src : ".");
    doc_text = yamljson_read_file(path, &doc_len);
    cr_assert_not_null(doc_text, "cannot read %s (set ARTICLED_SOURCE_DIR)", path);
    doc = yamljson_parse(doc_text, doc_len, err, sizeof err);
    cr_assert_not_null(doc, "%s: %s", path, err);
}

static void doc_free(void)
{
    json_decref(doc);
    free(doc_text);
    doc = NULL;
    doc_text = NULL;
}

static const char *const doc_methods[] = {"get",   "put",   "post",    "delete", "head",
                                          "patch", "trace", "options", NULL};

static int str_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void lower(char *out, size_t size, const char *in, size_t n)
{
    size_t i;
    for (i = 0; i < n && i + 1 < size; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

static void upper(char *out, size_t size, const char *in)
{
    size_t i;
    for (i = 0; in[i] != '\0' && i + 1 < size; i++)
        out[i] = (char)toupper((unsigned char)in[i]);
    out[i] = '\0';
}

static void problem(json_t *problems, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(json_t *problems, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(problems, json_string(msg));
}

/* All problems as one printable string (caller frees). */
static char *problems_text(const json_t *problems)
{
    char *s = json_dumps(problems, JSON_INDENT(1));
    return s ? s : strdup("?");
}

#define expect_no_problems(p)                                                                      \
    do {                                                                                           \
        char *text_ = problems_text(p);                                                            \
        cr_expect_eq(json_array_size(p), 0, "%zu problems: %s", json_array_size(p), text_);        \
        free(text_);                                                                               \
    } while (0)

/* 1 when path (no query) matches the template: same number of segments,
 * literal ones equal, {placeholders} non-empty. */
static int tmpl_match(const char *tmpl, const char *path)
{
    const char *t = tmpl, *p = path;
    if (*t != '/' || *p != '/')
        return 0;
    while (*t == '/' && *p == '/') {
        size_t tl, pl;
        t++;
        p++;
        tl = strcspn(t, "/");
        pl = strcspn(p, "/");
        if (tl > 1 && t[0] == '{' && t[tl - 1] == '}') {
            if (pl == 0)
                return 0;
        } else if (tl != pl || strncmp(t, p, tl) != 0) {
            return 0;
        }
        t += tl;
        p += pl;
    }
    return *t == '\0' && *p == '\0';
}

static int tmpl_literals(const char *tmpl)
{
    int n = 0;
    for (const char *s = tmpl; (s = strchr(s, '/')) != NULL; s++)
        if (s[1] != '{')
            n++;
    return n;
}

/* The operation serving method (upper case, HEAD falls back to GET) on path,
 * borrowed, or NULL; the most literal matching template wins, as in
 * OpenAPI. *tmpl gets its template; *matched says whether any path matched. */
static json_t *doc_operation(const json_t *d, const char *method, const char *path,
                             const char **tmpl, int *matched)
{
    json_t *paths = json_object_get(d, "paths"), *item, *best = NULL;
    const char *key;
    char m[16];
    int best_lit = -1;

    lower(m, sizeof m, method, strlen(method));
    *matched = 0;
    if (tmpl)
        *tmpl = NULL;
    json_object_foreach(paths, key, item)
    {
        json_t *op;
        if (!tmpl_match(key, path))
            continue;
        *matched = 1;
        item = schema_deref(d, item);
        op = json_object_get(item, m);
        if (op == NULL && strcmp(m, "head") == 0)
            op = json_object_get(item, "get");
        if (op != NULL && tmpl_literals(key) > best_lit) {
            best = op;
            best_lit = tmpl_literals(key);
            if (tmpl)
                *tmpl = key;
        }
    }
    return best;
}

/* The methods the document gives the paths matching path, as a set (object). */
static json_t *doc_allowed(const json_t *d, const char *path)
{
    json_t *paths = json_object_get(d, "paths"), *item, *set = json_object();
    const char *key;

    json_object_foreach(paths, key, item)
    {
        if (!tmpl_match(key, path))
            continue;
        item = schema_deref(d, item);
        for (size_t i = 0; doc_methods[i] != NULL; i++) {
            char m[16];
            if (json_object_get(item, doc_methods[i]) == NULL)
                continue;
            upper(m, sizeof m, doc_methods[i]);
            json_object_set_new(set, m, json_true());
            if (strcmp(m, "GET") == 0)
                json_object_set_new(set, "HEAD", json_true());
        }
    }
    return set;
}

static json_t *header_set(const char *allow)
{
    json_t *set = json_object();
    const char *p = allow;
    while (p != NULL && *p != '\0') {
        size_t n;
        char m[32];
        while (*p == ' ' || *p == ',')
            p++;
        n = strcspn(p, ", ");
        if (n == 0)
            break;
        snprintf(m, sizeof m, "%.*s", (int)n, p);
        json_object_set_new(set, m, json_true());
        p += n;
    }
    return set;
}

/* ------------------------------------------------------------------------ */
/* HTTP exchanges                                                            */

struct exchange {
    long status;
    char *body;
    size_t len;
    json_t *headers; /* lower-case name -> value */
};

static void exchange_init(struct exchange *x)
{
    memset(x, 0, sizeof *x);
    x->headers = json_object();
}

static void exchange_free(struct exchange *x)
{
    free(x->body);
    json_decref(x->headers);
    memset(x, 0, sizeof *x);
}

/* A made-up answer for testing the checks without a server. */
static void exchange_fake(struct exchange *x, long status, const char *ctype, const char *body,
                          const char *hname, const char *hvalue)
{
    exchange_init(x);
    x->status = status;
    x->body = strdup(body ? body : "");
    x->len = strlen(x->body);
    if (ctype)
        json_object_set_new(x->headers, "content-type", json_string(ctype));
    if (hname)
        json_object_set_new(x->headers, hname, json_string(hvalue));
}

static const char *exchange_header(const struct exchange *x, const char *lname)
{
    return json_string_value(json_object_get(x->headers, lname));
}

/* Whether the answer is a live stream (text/event-stream). */
static int exchange_is_stream(const struct exchange *x)
{
    const char *ct = json_string_value(json_object_get(x->headers, "content-type"));
    return ct != NULL && strncmp(ct, "text/event-stream", 17) == 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct exchange *x = arg;
    size_t n = size * nmemb;
    char *bigger = realloc(x->body, x->len + n + 1);
    if (bigger == NULL)
        return 0;
    x->body = bigger;
    memcpy(x->body + x->len, data, n);
    x->len += n;
    x->body[x->len] = '\0';
    /* an event stream never ends by itself: its first bytes are enough */
    if (exchange_is_stream(x))
        return 0;
    return n;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *arg)
{
    struct exchange *x = arg;
    size_t n = size * nmemb, klen, vlen;
    const char *colon = memchr(line, ':', n), *v;
    char name[128];

    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        json_object_clear(x->headers); /* a new status line: forget interim answers */
        return n;
    }
    if (colon == NULL)
        return n;
    klen = (size_t)(colon - line);
    lower(name, sizeof name, line, klen);
    v = colon + 1;
    vlen = n - klen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
        vlen--;
    json_object_set_new(x->headers, name, json_stringn(v, vlen));
    return n;
}

/* The API key http_send presents (Authorization: Bearer), or NULL. */
static const char *send_key;

/* The If-None-Match http_send sends, or NULL. */
static const char *send_inm;

/* Sends one request; handle may be NULL (a new one) or reused (keep-alive).
 * ctype NULL sends no Content-Type at all. Returns 0 or -1 on transport
 * failure. */
static int http_send(CURL *handle, unsigned port, const char *method, const char *path,
                     const char *ctype, const char *body, size_t len, struct exchange *x)
{
    CURL *c = handle ? handle : curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char url[16384], ct[256], auth[512];
    CURLcode rc;

    exchange_init(x);
    if (c == NULL)
        return -1;
    curl_easy_reset(c); /* keeps the connection */
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    snprintf(ct, sizeof ct, "Content-Type:%s%s", ctype ? " " : "", ctype ? ctype : "");
    hdrs = curl_slist_append(hdrs, ct);
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (send_key != NULL) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", send_key);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (send_inm != NULL) {
        char inm[160];
        snprintf(inm, sizeof inm, "If-None-Match: %s", send_inm);
        hdrs = curl_slist_append(hdrs, inm);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    rc = curl_easy_perform(c);
    if (rc == CURLE_WRITE_ERROR && exchange_is_stream(x))
        rc = CURLE_OK; /* on_body stopped the stream */
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
    curl_slist_free_all(hdrs);
    if (handle == NULL)
        curl_easy_cleanup(c);
    if (x->body == NULL)
        x->body = strdup("");
    return rc == CURLE_OK ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/* Checking one exchange against the document                                */

static void media_type(const char *ct, char *out, size_t size)
{
    size_t n = ct ? strcspn(ct, ";") : 0;
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    lower(out, size, ct ? ct : "", n);
}

static char *join_errors(const json_t *errors)
{
    char *s = json_dumps(errors, JSON_COMPACT);
    return s ? s : strdup("?");
}

static void check_json_body(const json_t *d, const json_t *schema, const struct exchange *x,
                            const char *what, json_t *problems)
{
    json_error_t jerr;
    json_t *body = json_loadb(x->body, x->len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *errors = json_array();

    if (body == NULL) {
        problem(problems, "%s: the body is not JSON (%s): %.200s", what, jerr.text, x->body);
    } else if (schema == NULL) {
        problem(problems, "%s: the document gives no schema for this body", what);
    } else if (schema_check(d, schema, body, errors) != 0) {
        char *e = join_errors(errors);
        problem(problems, "%s: the body does not match its schema: %s; body: %.300s", what, e,
                x->body);
        free(e);
    }
    json_decref(errors);
    json_decref(body);
}

/* Every error answer: application/problem+json, a Problem, status echoed. */
static void check_problem(const json_t *d, const struct exchange *x, const char *what,
                          json_t *problems)
{
    char mt[128];
    json_t *body;

    media_type(exchange_header(x, "content-type"), mt, sizeof mt);
    if (strcmp(mt, "application/problem+json") != 0) {
        problem(problems, "%s: an error answer must be application/problem+json, not '%s'", what,
                mt);
        return;
    }
    check_json_body(d, schema_resolve(d, "#/components/schemas/Problem"), x, what, problems);
    body = json_loadb(x->body, x->len, 0, NULL);
    if (body != NULL && json_integer_value(json_object_get(body, "status")) != x->status)
        problem(problems, "%s: the problem's status is not the HTTP status", what);
    json_decref(body);
}

static const char *const visible_headers[] = {"location", "allow", "retry-after", NULL};

/* Checks content type, body and headers of x against the response object. */
static void check_response(const json_t *d, const json_t *resp, const struct exchange *x, int head,
                           const char *what, json_t *problems)
{
    const char *ct = exchange_header(x, "content-type");
    json_t *content = json_object_get(resp, "content");
    json_t *hdrs = json_object_get(resp, "headers"), *h;
    const char *name;
    char mt[128];

    if (resp == NULL) {
        problem(problems, "%s: the response object does not resolve", what);
        return;
    }
    media_type(ct, mt, sizeof mt);
    if (json_object_size(content) == 0) {
        if (x->len != 0 || ct != NULL)
            problem(problems, "%s: documented without a body, but has %zu bytes of '%s'", what,
                    x->len, ct ? ct : "");
    } else {
        json_t *media = json_object_get(content, mt);
        if (ct == NULL || media == NULL) {
            problem(problems, "%s: Content-Type '%s' is not documented for this response", what,
                    ct ? ct : "(none)");
        } else if (!head) {
            size_t n = strlen(mt);
            if (n >= 4 && strcmp(mt + n - 4, "json") == 0)
                check_json_body(d, json_object_get(media, "schema"), x, what, problems);
            else if (x->len == 0)
                problem(problems, "%s: the %s body is empty", what, mt);
        }
    }
    json_object_foreach(hdrs, name, h)
    {
        char lname[128];
        const char *v;
        lower(lname, sizeof lname, name, strlen(name));
        v = exchange_header(x, lname);
        h = schema_deref(d, h);
        if (h == NULL) {
            problem(problems, "%s: header %s's $ref does not resolve", what, name);
            continue;
        }
        if (json_is_true(json_object_get(h, "required")) && v == NULL)
            problem(problems, "%s: the required header %s is missing", what, name);
        if (v != NULL) {
            json_t *schema = json_object_get(h, "schema"), *inst, *errors = json_array();
            const char *type = json_string_value(json_object_get(schema_deref(d, schema), "type"));
            char *end = NULL;
            long long iv = strtoll(v, &end, 10);
            if (type != NULL && strcmp(type, "integer") == 0 && *v != '\0' && *end == '\0')
                inst = json_integer(iv);
            else
                inst = json_string(v);
            if (schema_check(d, schema, inst, errors) != 0) {
                char *e = join_errors(errors);
                problem(problems, "%s: header %s: '%s' does not match its schema: %s", what, name,
                        v, e);
                free(e);
            }
            json_decref(inst);
            json_decref(errors);
        }
    }
    for (size_t i = 0; visible_headers[i] != NULL; i++) {
        int documented = 0;
        json_object_foreach(hdrs, name, h)
        {
            if (strcasecmp(name, visible_headers[i]) == 0)
                documented = 1;
        }
        if (!documented && exchange_header(x, visible_headers[i]) != NULL)
            problem(problems, "%s: header %s is sent but not documented for this response", what,
                    visible_headers[i]);
    }
}

static void seen_add(json_t *seen, const char *method, const char *tmpl, long status)
{
    char key[512], st[16];
    json_t *op;
    if (seen == NULL)
        return;
    snprintf(key, sizeof key, "%s %s", method, tmpl);
    snprintf(st, sizeof st, "%ld", status);
    op = json_object_get(seen, key);
    if (op == NULL) {
        op = json_object();
        json_object_set_new(seen, key, op);
    }
    json_object_set_new(op, st, json_integer(json_integer_value(json_object_get(op, st)) + 1));
}

/* Checks one exchange against document d: the status is documented for the
 * operation that serves method + path (or 404 for no path, 405 with the
 * right Allow for no such method), and the answer is as documented. Appends
 * each finding to problems; records the status in seen (may be NULL). */
static void check_exchange(const json_t *d, const char *method, const char *path_q,
                           const struct exchange *x, json_t *problems, json_t *seen)
{
    char path[4096], what[4400], st[16];
    const char *tmpl;
    int matched, head = strcmp(method, "HEAD") == 0;
    json_t *op, *resp = NULL;

    snprintf(path, sizeof path, "%.*s", (int)strcspn(path_q, "?"), path_q);
    snprintf(what, sizeof what, "%s %.300s -> %ld", method, path_q, x->status);
    snprintf(st, sizeof st, "%ld", x->status);
    op = doc_operation(d, method, path, &tmpl, &matched);

    if (!matched) {
        if (x->status != 404)
            problem(problems, "%s: no documented path matches, so it must be a 404", what);
    } else if (op == NULL) {
        json_t *want = doc_allowed(d, path), *got = header_set(exchange_header(x, "allow"));
        json_t *paths = json_object_get(d, "paths"), *item;
        const char *key;

        if (x->status != 405)
            problem(problems, "%s: the document has no %s here, so it must be a 405", what, method);
        if (!json_equal(want, got)) {
            char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
            problem(problems, "%s: Allow '%s' is not the documented methods %s", what,
                    exchange_header(x, "allow") ? exchange_header(x, "allow") : "(none)", w);
            free(w);
        }
        json_decref(want);
        json_decref(got);
        /* every operation on these paths documents the 405 */
        json_object_foreach(paths, key, item)
        {
            if (!tmpl_match(key, path))
                continue;
            item = schema_deref(d, item);
            for (size_t i = 0; doc_methods[i] != NULL; i++) {
                json_t *o = json_object_get(item, doc_methods[i]), *r;
                char m[16];
                if (o == NULL)
                    continue;
                r = json_object_get(json_object_get(o, "responses"), st);
                upper(m, sizeof m, doc_methods[i]);
                if (r == NULL)
                    problem(problems, "%s: %s %s does not document %s", what, m, key, st);
                else
                    resp = r;
                seen_add(seen, m, key, x->status);
            }
        }
    } else {
        char m[16];
        upper(m, sizeof m, head ? "get" : method);
        if (head &&
            json_object_get(schema_deref(d, json_object_get(json_object_get(d, "paths"), tmpl)),
                            "head") != NULL)
            upper(m, sizeof m, "head");
        resp = json_object_get(json_object_get(op, "responses"), st);
        if (resp == NULL)
            problem(problems, "%s: status %s is not documented for %s %s", what, st, m, tmpl);
        seen_add(seen, m, tmpl, x->status);
    }
    if (resp != NULL)
        check_response(d, schema_deref(d, resp), x, head, what, problems);
    if (x->status >= 400 && !head)
        check_problem(d, x, what, problems);
}

/* ------------------------------------------------------------------------ */
/* Checks on the document alone                                              */

/* The routing table and the document's paths + methods must be the same set. */
/* The document's operation m of path item it asks for the key that route's
 * role needs: security [] exactly when it needs none, 401 listed when it
 * needs one, 403 when it needs a write key. */
static void check_route_keys(const json_t *it, const char *m, const struct route *route,
                             json_t *problems)
{
    json_t *op = json_object_get(it, m), *sec = json_object_get(op, "security");
    json_t *responses = json_object_get(op, "responses");
    int open = json_is_array(sec) && json_array_size(sec) == 0;

    if (open != (route->role == AUTH_ROLE_NONE))
        problem(problems, "%s %s: security [] in the document %s the route's key role", m,
                route->pattern, open ? "but not" : "and not");
    if (route->role != AUTH_ROLE_NONE && json_object_get(responses, "401") == NULL)
        problem(problems, "%s %s: needs a key, so it must list 401", m, route->pattern);
    if (route->role == AUTH_ROLE_WRITE && json_object_get(responses, "403") == NULL)
        problem(problems, "%s %s: needs a write key, so it must list 403", m, route->pattern);
}

static void check_routes(const json_t *d, const struct route *routes, size_t n, json_t *problems)
{
    json_t *paths = json_object_get(d, "paths"), *item;
    const char *key;

    for (size_t i = 0; i < n; i++) {
        char m[16];
        json_t *it = schema_deref(d, json_object_get(paths, routes[i].pattern));
        lower(m, sizeof m, routes[i].method, strlen(routes[i].method));
        if (it == NULL || json_object_get(it, m) == NULL)
            problem(problems, "route %s %s (handlers/routes.c) is not in the document",
                    routes[i].method, routes[i].pattern);
        else
            check_route_keys(it, m, &routes[i], problems);
        if (it != NULL && strcmp(m, "get") == 0 && json_object_get(it, "head") != NULL)
            check_route_keys(it, "head", &routes[i], problems);
    }
    json_object_foreach(paths, key, item)
    {
        item = schema_deref(d, item);
        for (size_t j = 0; doc_methods[j] != NULL; j++) {
            char m[16];
            int found = 0;
            if (json_object_get(item, doc_methods[j]) == NULL)
                continue;
            upper(m, sizeof m, strcmp(doc_methods[j], "head") == 0 ? "get" : doc_methods[j]);
            for (size_t i = 0; i < n; i++)
                if (strcmp(routes[i].method, m) == 0 && strcmp(routes[i].pattern, key) == 0)
                    found = 1;
            if (!found)
                problem(problems, "the document's %s %s has no route in handlers/routes.c", m, key);
        }
    }
}

static void walk_refs(const json_t *d, const json_t *node, const char *where, json_t *problems)
{
    const char *key;
    json_t *v;
    size_t i;

    if (json_is_object(node)) {
        json_object_foreach((json_t *)node, key, v)
        {
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", where, key);
            if (strcmp(key, "$ref") == 0 && schema_resolve(d, json_string_value(v)) == NULL)
                problem(problems, "%s: '%s' does not resolve", where,
                        json_string_value(v) ? json_string_value(v) : "(not a string)");
            walk_refs(d, v, sub, problems);
        }
    } else if (json_is_array(node)) {
        json_array_foreach(node, i, v)
        {
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%zu", where, i);
            walk_refs(d, v, sub, problems);
        }
    }
}

/* The parameters of an operation: the path item's, then the operation's. */
static json_t *op_parameters(const json_t *d, const json_t *item, const json_t *op)
{
    json_t *all = json_array(), *p;
    size_t i;
    json_array_foreach(json_object_get(item, "parameters"), i, p)
        json_array_append(all, schema_deref(d, p));
    json_array_foreach(json_object_get(op, "parameters"), i, p)
        json_array_append(all, schema_deref(d, p));
    return all;
}

/* Structural rules the server's behaviour implies for every operation. */
static void check_document(const json_t *d, json_t *problems)
{
    json_t *paths = json_object_get(d, "paths"), *item, *schemas, *s, *ids = json_object();
    const char *version = json_string_value(json_object_get(d, "openapi"));
    const json_t *problem_schema = schema_resolve(d, "#/components/schemas/Problem");
    const char *key;

    if (version == NULL || strncmp(version, "3.1.", 4) != 0)
        problem(problems, "openapi is '%s', want 3.1.x", version ? version : "(missing)");
    if (problem_schema == NULL)
        problem(problems, "no #/components/schemas/Problem");
    walk_refs(d, d, "#", problems);
    schemas = json_object_get(json_object_get(d, "components"), "schemas");
    json_object_foreach(schemas, key, s)
    {
        json_t *errors = json_array();
        if (schema_lint(d, s, errors) != 0) {
            char *e = join_errors(errors);
            problem(problems, "schema %s: %s", key, e);
            free(e);
        }
        json_decref(errors);
    }
    json_object_foreach(paths, key, item)
    {
        item = schema_deref(d, item);
        for (size_t m = 0; doc_methods[m] != NULL; m++) {
            json_t *op = json_object_get(item, doc_methods[m]), *responses, *r, *params, *p;
            const char *code, *opid;
            char where[512];
            size_t i;

            if (op == NULL)
                continue;
            snprintf(where, sizeof where, "%s %s", doc_methods[m], key);
            opid = json_string_value(json_object_get(op, "operationId"));
            if (opid == NULL || json_object_get(ids, opid) != NULL)
                problem(problems, "%s: operationId missing or not unique", where);
            else
                json_object_set_new(ids, opid, json_true());
            responses = json_object_get(op, "responses");
            if (json_object_size(responses) == 0)
                problem(problems, "%s: no responses", where);
            json_object_foreach(responses, code, r)
            {
                long status = strtol(code, NULL, 10);
                json_t *content;
                r = schema_deref(d, r);
                if (strlen(code) != 3 || status < 100 || status > 599 || r == NULL) {
                    problem(problems, "%s: response '%s' is not a status with a response", where,
                            code);
                    continue;
                }
                if (!json_is_string(json_object_get(r, "description")))
                    problem(problems, "%s %s: no description", where, code);
                content = json_object_get(r, "content");
                if (status >= 400 &&
                    (json_object_size(content) != 1 ||
                     schema_deref(
                         d, json_object_get(json_object_get(content, "application/problem+json"),
                                            "schema")) != problem_schema))
                    problem(problems, "%s %s: must be application/problem+json with Problem", where,
                            code);
                /* created articles have a URL (a snapshot is a file, not a resource) */
                if (status == 201 && strncmp(key, "/v1/articles", 12) == 0 &&
                    !json_is_true(json_object_get(
                        schema_deref(d, json_object_get(json_object_get(r, "headers"), "Location")),
                        "required")))
                    problem(problems, "%s 201: must document a required Location header", where);
                if (status == 405 &&
                    !json_is_true(json_object_get(
                        schema_deref(d, json_object_get(json_object_get(r, "headers"), "Allow")),
                        "required")))
                    problem(problems, "%s 405: must document a required Allow header", where);
            }
            if (json_object_get(responses, "405") == NULL)
                problem(problems, "%s: must list 405 (other methods on its path)", where);
            if (json_object_get(op, "requestBody") != NULL &&
                json_object_get(responses, "415") == NULL)
                problem(problems, "%s: takes a body, so it must list 415", where);
            /* every {placeholder} is a required path parameter, and back */
            params = op_parameters(d, item, op);
            for (const char *t = strchr(key, '{'); t != NULL; t = strchr(t + 1, '{')) {
                size_t n = strcspn(t + 1, "}");
                int found = 0;
                json_array_foreach(params, i, p)
                {
                    const char *name = json_string_value(json_object_get(p, "name"));
                    if (name && strlen(name) == n && strncmp(name, t + 1, n) == 0 &&
                        json_is_true(json_object_get(p, "required")) &&
                        str_eq(json_string_value(json_object_get(p, "in")), "path"))
                        found = 1;
                }
                if (!found)
                    problem(problems, "%s: {%.*s} is not a required path parameter", where, (int)n,
                            t + 1);
            }
            json_array_foreach(params, i, p)
            {
                const char *in = json_string_value(json_object_get(p, "in"));
                const char *name = json_string_value(json_object_get(p, "name"));
                char ph[160];
                if (p == NULL || in == NULL || name == NULL) {
                    problem(problems, "%s: parameter %zu lacks in/name (or its $ref)", where, i);
                    continue;
                }
                snprintf(ph, sizeof ph, "{%s}", name);
                if (strcmp(in, "path") == 0 && strstr(key, ph) == NULL)
                    problem(problems, "%s: path parameter %s is not in the path", where, name);
                if (json_object_get(p, "schema") == NULL)
                    problem(problems, "%s: parameter %s has no schema", where, name);
            }
            json_decref(params);
        }
    }
    json_decref(ids);
}

/* ------------------------------------------------------------------------ */
/* Unit tests of the converter                                               */

TestSuite(yamljson, .timeout = 30);

static void expect_yaml(const char *yaml, const char *json)
{
    char err[256];
    json_t *got = yamljson_parse(yaml, strlen(yaml), err, sizeof err);
    json_t *want = json_loads(json, JSON_DECODE_ANY, NULL);
    char *g;

    cr_assert_not_null(want, "bad expected JSON %s", json);
    cr_assert_not_null(got, "%s: %s", yaml, err);
    g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    cr_expect(json_equal(got, want), "YAML:\n%s\ngave %s, want %s", yaml, g, json);
    free(g);
    json_decref(got);
    json_decref(want);
}

Test(yamljson, core_schema_scalars)
{
    expect_yaml("a: 1\nb: 1.5\nc: true\nd: ~\ne: null\nf: ''\ng: \"1\"\nh: 0x1F\ni: 0o17\n"
                "j: yes\nk: 3.1.0\nl: -7\nm: 1e3\nn:\no: False\np: .5\nq: 'null'\nr: +12\n"
                "s: 1.\nt: NULL\nu: about:blank\n",
                "{\"a\":1,\"b\":1.5,\"c\":true,\"d\":null,\"e\":null,\"f\":\"\",\"g\":\"1\","
                "\"h\":31,\"i\":15,\"j\":\"yes\",\"k\":\"3.1.0\",\"l\":-7,\"m\":1000.0,"
                "\"n\":null,\"o\":false,\"p\":0.5,\"q\":\"null\",\"r\":12,\"s\":1.0,\"t\":null,"
                "\"u\":\"about:blank\"}");
    expect_yaml("200: x\n'201': y\ntrue: z\n", "{\"200\":\"x\",\"201\":\"y\",\"true\":\"z\"}");
    expect_yaml("a: !!str 12\nb: !!int '7'\nc: ! 12\n", "{\"a\":\"12\",\"b\":7,\"c\":\"12\"}");
    expect_yaml("caf\xc3\xa9: \"\\u00e9\\t\"\n", "{\"caf\\u00e9\":\"\\u00e9\\t\"}");
}

Test(yamljson, collections_blocks_anchors)
{
    expect_yaml("- [a, b]\n- {x: 1, y: [2]}\n- |\n  text\n  more\n- >\n  folded\n  line\n",
                "[[\"a\",\"b\"],{\"x\":1,\"y\":[2]},\"text\\nmore\\n\",\"folded line\\n\"]");
    expect_yaml("base: &b {t: 1}\nuse: *b\nlist: &l [1]\nagain: *l\n",
                "{\"base\":{\"t\":1},\"use\":{\"t\":1},\"list\":[1],\"again\":[1]}");
    expect_yaml("---\nplain\n...\n", "\"plain\"");
    expect_yaml("required: [a, b,\n  c]\nmulti: one\n  two\n",
                "{\"required\":[\"a\",\"b\",\"c\"],\"multi\":\"one two\"}");
}

Test(yamljson, refuses_what_json_cannot_hold)
{
    static const char *const bad[] = {
        "a: 1\na: 2\n",              /* duplicate key */
        "a: [1, 2\n",                /* unclosed flow sequence */
        "x: *nope\n",                /* alias without anchor */
        "? [a]\n: 1\n",              /* non-scalar key */
        "a: .inf\n",                 /* not a JSON number */
        "a: .nan\n",                 /* not a JSON number */
        "--- 1\n--- 2\n",            /* two documents */
        "",                          /* no document */
        "a: !!int abc\n",            /* tag that does not fit */
        "a: !custom x\n",            /* unknown tag */
        "a: 99999999999999999999\n", /* integer overflow */
        "a:\tb: c\n  - x\n",         /* syntax */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        json_t *j = yamljson_parse(bad[i], strlen(bad[i]), err, sizeof err);
        cr_expect_null(j, "case %zu accepted: %s", i, bad[i]);
        cr_expect_neq(err[0], '\0', "case %zu: no message", i);
        json_decref(j);
    }
}

/* ------------------------------------------------------------------------ */
/* Unit tests of the validator                                               */

TestSuite(schema, .timeout = 30);

struct schema_case {
    const char *schema;
    const char *instance;
    int valid;
};

Test(schema, keywords)
{
    static const struct schema_case cases[] = {
        {"{\"type\":\"string\"}", "\"x\"", 1},
        {"{\"type\":\"string\"}", "1", 0},
        {"{\"type\":[\"string\",\"null\"]}", "null", 1},
        {"{\"type\":[\"string\",\"null\"]}", "true", 0},
        {"{\"type\":\"null\"}", "\"\"", 0},
        {"{\"type\":\"integer\"}", "1.0", 1},
        {"{\"type\":\"integer\"}", "1.5", 0},
        {"{\"type\":\"number\"}", "1", 1},
        {"{\"type\":\"boolean\"}", "0", 0},
        {"{\"type\":\"object\",\"required\":[\"a\"],\"properties\":{\"a\":{\"type\":\"string\"}}}",
         "{}", 0},
        {"{\"type\":\"object\",\"required\":[\"a\"],\"properties\":{\"a\":{\"type\":\"string\"}}}",
         "{\"a\":\"x\"}", 1},
        {"{\"type\":\"object\",\"required\":[\"a\"],\"properties\":{\"a\":{\"type\":\"string\"}}}",
         "{\"a\":1}", 0},
        {"{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"b\":1}", 0},
        {"{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1}", 1},
        {"{\"additionalProperties\":{\"type\":\"integer\"}}", "{\"b\":\"x\"}", 0},
        {"{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":3}}",
         "[1,2,3]", 1},
        {"{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":3}}", "[0]",
         0},
        {"{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":3}}", "[4]",
         0},
        {"{\"maxItems\":1}", "[1,2]", 0},
        {"{\"minItems\":1}", "[]", 0},
        {"{\"enum\":[\"a\",\"b\"]}", "\"c\"", 0},
        {"{\"enum\":[200,201]}", "201", 1},
        {"{\"const\":5}", "6", 0},
        {"{\"exclusiveMinimum\":0}", "0", 0},
        {"{\"$ref\":\"#/components/schemas/S\"}", "{}", 0},
        {"{\"$ref\":\"#/components/schemas/S\"}", "{\"id\":\"x\"}", 1},
        {"{\"$ref\":\"#/components/schemas/Nope\"}", "{}", 0},
        {"{\"type\":\"string\",\"pattern\":\"^[0-9a-f]{4}$\"}", "\"abcd\"", 1},
        {"{\"type\":\"string\",\"pattern\":\"^[0-9a-f]{4}$\"}", "\"abcg\"", 0},
        {"{\"maxLength\":2}", "\"\\u00e9\\u00e9\"", 1},
        {"{\"maxLength\":2}", "\"abc\"", 0},
        {"{\"minLength\":1}", "\"\"", 0},
        {"{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}", "1", 0},
        {"{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}", "1", 1},
        {"{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}", "null", 0},
        {"{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":5}]}", "4", 0},
        {"{\"not\":{\"type\":\"null\"}}", "null", 0},
        {"{\"requried\":[\"a\"]}", "{}", 0},  /* a typo is never ignored */
        {"{\"uniqueItems\":true}", "[1]", 0}, /* nor an unsupported keyword */
        {"{\"type\":\"string\",\"format\":\"date-time\",\"description\":\"d\"}", "\"x\"", 1},
        {"{\"type\":\"strin\"}", "\"x\"", 0},
    };
    json_t *root = json_loads("{\"components\":{\"schemas\":{\"S\":{\"type\":\"object\","
                              "\"required\":[\"id\"]}}}}",
                              0, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *s = json_loads(cases[i].schema, 0, NULL);
        json_t *v = json_loads(cases[i].instance, JSON_DECODE_ANY, NULL);
        json_t *errors = json_array();
        int n;
        cr_assert(s && v, "case %zu does not parse", i);
        n = schema_check(root, s, v, errors);
        cr_expect_eq(n == 0, cases[i].valid, "case %zu: %s against %s: %d errors %s", i,
                     cases[i].instance, cases[i].schema, n,
                     json_string_value(json_array_get(errors, 0)));
        cr_expect_eq((size_t)n, json_array_size(errors), "case %zu: count", i);
        json_decref(errors);
        json_decref(s);
        json_decref(v);
    }
    json_decref(root);
}

Test(schema, reports_where)
{
    json_t *s = json_loads("{\"properties\":{\"a\":{\"type\":\"array\",\"items\":{\"properties\":"
                           "{\"b\":{\"type\":\"string\"}}}}}}",
                           0, NULL);
    json_t *v = json_loads("{\"a\":[{\"b\":\"x\"},{\"b\":2}]}", 0, NULL);
    json_t *errors = json_array();
    cr_assert_eq(schema_check(s, s, v, errors), 1);
    cr_expect(strstr(json_string_value(json_array_get(errors, 0)), "$.a[1].b") != NULL, "%s",
              json_string_value(json_array_get(errors, 0)));
    json_decref(errors);
    json_decref(s);
    json_decref(v);
    cr_expect_eq(schema_resolve(NULL, "#/x"), NULL);
}

/* ------------------------------------------------------------------------ */
/* The document's own schemas refuse wrong samples                           */

TestSuite(document, .init = doc_load, .fini = doc_free, .timeout = 30);

static const char ingest_sample[] =
    "{\"id\":\"wire:1\",\"title\":\"T\",\"url\":null,\"source\":\"AFP\",\"author\":null,"
    "\"language\":null,\"language_detected\":false,\"published_at\":\"2025-03-01T12:00:00Z\","
    "\"tags\":[\"x\"],"
    "\"ingested_at\":\"2025-03-01T12:00:00.250Z\",\"content_hash\":"
    "\"8ef42751e88f9040d24bbb1beb89cfdcb24932b6ad5ec9b3986af260b7c6c25a\",\"duplicate_of\":null,"
    "\"duplicates\":{\"exact_of\":null,\"near\":[{\"id\":\"w\",\"containment\":0.9,"
    "\"resemblance\":0.4}]},\"entities\":[{\"id\":\"person:a-b\",\"name\":\"A B\","
    "\"type\":\"person\"}],\"story\":{\"id\":\"7\",\"new\":true}}";

static const char problem_sample[] = "{\"type\":\"about:blank\",\"title\":\"Bad Request\","
                                     "\"status\":400,\"detail\":\"d\",\"errors\":[{\"field\":"
                                     "\"title\",\"message\":\"m\"}]}";

static const char bulk_sample[] =
    "{\"errors\":true,\"written\":1,\"failed\":1,\"items\":[{\"line\":2,\"id\":null,"
    "\"status\":400,\"error\":\"bad\",\"field\":\"title\"}]}";

static int doc_validates(const char *schema_ref, const json_t *v)
{
    return schema_check(doc, schema_resolve(doc, schema_ref), v, NULL);
}

/* The sample validates; without any one of its required properties, with a
 * property of the wrong type, or with an unknown property it does not. */
static void expect_strict(const char *schema_ref, const char *sample)
{
    json_t *v = json_loads(sample, 0, NULL), *schema = schema_resolve(doc, schema_ref), *name;
    json_t *errors = json_array();
    size_t i;

    cr_assert_not_null(v);
    cr_assert_not_null(schema, "%s", schema_ref);
    cr_expect_eq(schema_check(doc, schema, v, errors), 0, "%s: %s", schema_ref,
                 json_string_value(json_array_get(errors, 0)));
    cr_assert_gt(json_array_size(json_object_get(schema, "required")), 0);
    json_array_foreach(json_object_get(schema, "required"), i, name)
    {
        json_t *copy = json_deep_copy(v);
        json_object_del(copy, json_string_value(name));
        cr_expect_gt(doc_validates(schema_ref, copy), 0, "%s accepted without %s", schema_ref,
                     json_string_value(name));
        json_object_set_new(copy, json_string_value(name), json_object());
        cr_expect_gt(doc_validates(schema_ref, copy), 0, "%s accepted %s as an object", schema_ref,
                     json_string_value(name));
        json_decref(copy);
    }
    json_object_set_new(v, "surprise", json_true());
    cr_expect_gt(doc_validates(schema_ref, v), 0, "%s accepted an unknown property", schema_ref);
    json_decref(v);
    json_decref(errors);
}

Test(document, schemas_refuse_wrong_samples)
{
    json_t *v;

    expect_strict("#/components/schemas/IngestResult", ingest_sample);
    expect_strict("#/components/schemas/Problem", problem_sample);
    expect_strict("#/components/schemas/BulkResult", bulk_sample);

    /* field-level rules */
    v = json_loads(ingest_sample, 0, NULL);
    json_object_set_new(v, "content_hash", json_string("ABC"));
    cr_expect_gt(doc_validates("#/components/schemas/IngestResult", v), 0, "bad hash accepted");
    json_object_set_new(v, "content_hash",
                        json_string("8ef42751e88f9040d24bbb1beb89cfdcb24932b6"
                                    "ad5ec9b3986af260b7c6c25a"));
    json_object_set_new(
        json_object_get(v, "duplicates"), "near",
        json_pack("[{s:s,s:f,s:f}]", "id", "w", "containment", 1.5, "resemblance", 0.1));
    cr_expect_gt(doc_validates("#/components/schemas/IngestResult", v), 0,
                 "containment 1.5 accepted");
    json_decref(v);
    v = json_loads("{\"line\":1,\"id\":\"x\",\"status\":201,\"error\":\"written?\"}", 0, NULL);
    cr_expect_gt(doc_validates("#/components/schemas/BulkItemFailed", v), 0,
                 "a failed item with status 201");
    json_decref(v);
    v = json_loads("{\"id\":\"x\",\"title\":\"t\"}", 0, NULL);
    cr_expect_gt(doc_validates("#/components/schemas/ArticleSummary", v), 0,
                 "a summary without its null fields");
    json_decref(v);
    v = json_loads("{\"title\":\"t\",\"body\":\"b\",\"extra\":1,\"source\":null}", 0, NULL);
    cr_expect_eq(doc_validates("#/components/schemas/Article", v), 0,
                 "Article input allows unknown fields and nulls");
    json_object_del(v, "body");
    cr_expect_gt(doc_validates("#/components/schemas/Article", v), 0, "an Article without body");
    json_decref(v);
}

Test(document, well_formed)
{
    json_t *problems = json_array();
    check_document(doc, problems);
    expect_no_problems(problems);
    json_decref(problems);
}

Test(document, same_routes_as_the_router)
{
    size_t n;
    const struct route *routes = routes_table(&n);
    json_t *problems = json_array();
    cr_assert_gt(n, 0);
    check_routes(doc, routes, n, problems);
    expect_no_problems(problems);
    json_decref(problems);
}

/* The checks above, and check_exchange, catch a wrong document or answer. */
Test(document, checks_catch_wrong_documents)
{
    size_t n;
    const struct route *routes = routes_table(&n);
    json_t *problems = json_array(), *bad;
    struct exchange x;
    const char *stored =
        "{\"id\":\"a\",\"title\":\"t\",\"body\":\"b\",\"url\":null,\"source\":null,"
        "\"author\":null,\"language\":null,\"language_detected\":false,\"published_at\":null,"
        "\"tags\":[],"
        "\"ingested_at\":\"2025-03-01T12:00:00.250Z\",\"content_hash\":"
        "\"8ef42751e88f9040d24bbb1beb89cfdcb24932b6ad5ec9b3986af260b7c6c25a\","
        "\"duplicate_of\":null,\"story\":\"1\"}";

#define EXPECT_CAUGHT(what)                                                                        \
    do {                                                                                           \
        cr_expect_gt(json_array_size(problems), 0, "not caught: %s", what);                        \
        json_array_clear(problems);                                                                \
    } while (0)
#define EXPECT_CLEAN(what)                                                                         \
    do {                                                                                           \
        char *t_ = problems_text(problems);                                                        \
        cr_expect_eq(json_array_size(problems), 0, "%s: %s", what, t_);                            \
        free(t_);                                                                                  \
        json_array_clear(problems);                                                                \
    } while (0)

    /* routes: a path missing, a path too many */
    bad = json_deep_copy(doc);
    json_object_del(json_object_get(bad, "paths"), "/v1/search");
    check_routes(bad, routes, n, problems);
    EXPECT_CAUGHT("a route missing from the document");
    json_object_set_new(
        json_object_get(bad, "paths"), "/v1/extra",
        json_pack("{s:{s:{s:{s:s}}}}", "get", "responses", "200", "description", "x"));
    check_routes(bad, routes, n, problems);
    EXPECT_CAUGHT("a path the router does not have");
    json_decref(bad);

    /* routes: keys the document does not ask for as the table does */
    bad = json_deep_copy(doc);
    json_object_del(
        json_object_get(json_object_get(json_object_get(bad, "paths"), "/healthz"), "get"),
        "security");
    check_routes(bad, routes, n, problems);
    EXPECT_CAUGHT("an open route that the document says needs a key");
    json_decref(bad);
    bad = json_deep_copy(doc);
    json_object_del(json_object_get(json_object_get(json_object_get(json_object_get(bad, "paths"),
                                                                    "/v1/admin/snapshot"),
                                                    "post"),
                                    "responses"),
                    "403");
    check_routes(bad, routes, n, problems);
    EXPECT_CAUGHT("a write route without 403");
    json_decref(bad);

    /* document rules */
    bad = json_deep_copy(doc);
    json_object_del(
        json_object_get(
            json_object_get(json_object_get(json_object_get(bad, "paths"), "/v1/articles"), "post"),
            "responses"),
        "415");
    json_object_set_new(json_object_get(json_object_get(bad, "components"), "schemas"), "Broken",
                        json_pack("{s:s}", "$ref", "#/components/schemas/Nothing"));
    check_document(bad, problems);
    cr_expect_geq(json_array_size(problems), 2, "415 and a dangling $ref");
    json_array_clear(problems);
    json_decref(bad);

    /* a good answer is clean */
    exchange_fake(&x, 200, "application/json", stored, "etag", "\"0123456789abcdef\"");
    json_object_set_new(x.headers, "cache-control", json_string("no-cache"));
    check_exchange(doc, "GET", "/v1/articles/a", &x, problems, NULL);
    EXPECT_CLEAN("a good GET");
    /* ... and the same answer against a document that says tags is a string is not */
    bad = json_deep_copy(doc);
    json_object_set_new(schema_resolve(bad, "#/components/schemas/StoredArticle/properties/tags"),
                        "type", json_string("string"));
    check_exchange(bad, "GET", "/v1/articles/a", &x, problems, NULL);
    EXPECT_CAUGHT("tags typed wrongly");
    json_decref(bad);
    exchange_free(&x);

    /* a body without a field the server always renders */
    exchange_fake(&x, 200, "application/json", "{\"id\":\"a\",\"title\":\"t\",\"body\":\"b\"}",
                  NULL, NULL);
    check_exchange(doc, "GET", "/v1/articles/a", &x, problems, NULL);
    EXPECT_CAUGHT("required fields missing");
    exchange_free(&x);

    /* an undocumented status */
    exchange_fake(&x, 418, "application/problem+json",
                  "{\"type\":\"about:blank\",\"title\":\"x\",\"status\":418,\"detail\":\"d\"}",
                  NULL, NULL);
    check_exchange(doc, "GET", "/healthz", &x, problems, NULL);
    EXPECT_CAUGHT("418 on /healthz");
    exchange_free(&x);

    /* a 409 once the document drops it */
    exchange_fake(&x, 409, "application/problem+json",
                  "{\"type\":\"about:blank\",\"title\":\"Conflict\",\"status\":409,"
                  "\"detail\":\"d\",\"errors\":[{\"field\":\"id\",\"message\":\"m\"}]}",
                  NULL, NULL);
    check_exchange(doc, "POST", "/v1/articles", &x, problems, NULL);
    EXPECT_CLEAN("a 409 on POST");
    bad = json_deep_copy(doc);
    json_object_del(
        json_object_get(
            json_object_get(json_object_get(json_object_get(bad, "paths"), "/v1/articles"), "post"),
            "responses"),
        "409");
    check_exchange(bad, "POST", "/v1/articles", &x, problems, NULL);
    EXPECT_CAUGHT("409 not documented");
    json_decref(bad);
    exchange_free(&x);

    /* an error as plain JSON, a problem with the wrong status */
    exchange_fake(&x, 404, "application/json",
                  "{\"type\":\"about:blank\",\"title\":\"t\",\"status\":404,\"detail\":\"d\"}",
                  NULL, NULL);
    check_exchange(doc, "GET", "/v1/articles/a", &x, problems, NULL);
    EXPECT_CAUGHT("an error that is not problem+json");
    exchange_free(&x);
    exchange_fake(&x, 404, "application/problem+json", problem_sample, NULL, NULL);
    check_exchange(doc, "GET", "/v1/articles/a", &x, problems, NULL);
    EXPECT_CAUGHT("a problem whose status is not the answer's");
    exchange_free(&x);

    /* Location: required on 201, and only where documented */
    exchange_fake(&x, 201, "application/json", ingest_sample, NULL, NULL);
    check_exchange(doc, "POST", "/v1/articles", &x, problems, NULL);
    EXPECT_CAUGHT("201 without Location");
    exchange_free(&x);
    exchange_fake(&x, 200, "application/json", ingest_sample, "location", "/v1/articles/wire:1");
    check_exchange(doc, "PUT", "/v1/articles/wire:1", &x, problems, NULL);
    EXPECT_CAUGHT("an undocumented Location on 200");
    exchange_free(&x);

    /* 405: the Allow header must list the documented methods */
    exchange_fake(&x, 405, "application/problem+json",
                  "{\"type\":\"about:blank\",\"title\":\"t\",\"status\":405,\"detail\":\"d\"}",
                  "allow", "GET, HEAD, PUT, DELETE");
    check_exchange(doc, "PATCH", "/v1/articles/a", &x, problems, NULL);
    EXPECT_CLEAN("a right 405");
    json_object_set_new(x.headers, "allow", json_string("GET, PUT"));
    check_exchange(doc, "PATCH", "/v1/articles/a", &x, problems, NULL);
    EXPECT_CAUGHT("a wrong Allow");
    exchange_free(&x);

    /* a path the document does not have must be a 404 */
    exchange_fake(&x, 200, "application/json", "{}", NULL, NULL);
    check_exchange(doc, "GET", "/v2/whatever", &x, problems, NULL);
    EXPECT_CAUGHT("an answer on an undocumented path");
    exchange_free(&x);

    /* a media type the response does not list */
    exchange_fake(&x, 200, "text/html", "<p>", NULL, NULL);
    check_exchange(doc, "GET", "/healthz", &x, problems, NULL);
    EXPECT_CAUGHT("text/html from /healthz");
    exchange_free(&x);

    /* a body where the document says there is none */
    exchange_fake(&x, 204, "application/json", "{}", NULL, NULL);
    check_exchange(doc, "DELETE", "/v1/articles/a", &x, problems, NULL);
    EXPECT_CAUGHT("a 204 with a body");
    exchange_free(&x);

    json_decref(problems);
#undef EXPECT_CAUGHT
#undef EXPECT_CLEAN
}

/* ------------------------------------------------------------------------ */
/* Against the running server                                                */

TestSuite(contract, .init = doc_load, .fini = doc_free, .timeout = 240);

Test(contract, serves_this_document_byte_for_byte)
{
    struct apitest_server srv;
    struct exchange x;

    cr_assert_eq(apitest_start(&srv, NULL, NULL), 0, "server did not start");
    cr_assert_eq(http_send(NULL, srv.port, "GET", "/openapi.yaml", NULL, NULL, 0, &x), 0);
    cr_expect_eq(x.status, 200);
    cr_expect_str_eq(exchange_header(&x, "content-type"), "application/yaml");
    cr_expect_eq(x.len, doc_len, "served %zu bytes, the file has %zu (rebuild after editing)",
                 x.len, doc_len);
    cr_expect(x.len == doc_len && memcmp(x.body, doc_text, doc_len) == 0,
              "the served document differs from openapi.yaml (rebuild after editing)");
    exchange_free(&x);
    cr_expect_eq(apitest_stop(&srv), 0);
    apitest_cleanup(&srv);
}

struct run {
    const struct apitest_server *srv;
    json_t *problems;
    json_t *seen;
    size_t exchanges; /* checked so far */
};

/* Sends, checks the status is the one this server gives today, and checks
 * the exchange against the document. x is left for the caller (free it). */
static void run_one(struct run *r, CURL *handle, const char *method, const char *path,
                    const char *ctype, const char *body, size_t len, long expect,
                    struct exchange *x)
{
    if (http_send(handle, r->srv->port, method, path, ctype, body, len, x) != 0) {
        problem(r->problems, "%s %.200s: transport error", method, path);
        return;
    }
    r->exchanges++;
    if (expect != 0 && x->status != expect)
        problem(r->problems, "%s %.200s: status %ld, want %ld: %.300s", method, path, x->status,
                expect, x->body);
    check_exchange(doc, method, path, x, r->problems, r->seen);
}

/* The problem's errors[0].field, or "". */
static const char *problem_field(const struct exchange *x, json_t **holder)
{
    const char *f;
    *holder = json_loadb(x->body, x->len, 0, NULL);
    f = json_string_value(
        json_object_get(json_array_get(json_object_get(*holder, "errors"), 0), "field"));
    return f ? f : "";
}

struct call {
    const char *method;
    const char *path;
    const char *ctype;
    const char *body; /* NULL: none */
    long expect;
    const char *field; /* expected errors[0].field, or NULL */
};

#define JSON_CT   "application/json"
#define NDJSON_CT "application/x-ndjson"

static const char a1[] =
    "{\"id\":\"c-1\",\"title\":\"Storm hits the coast\",\"body\":\"A storm hit the northern coast "
    "on Monday, flooding roads & <b>ports</b>.\",\"source\":\"AFP\",\"published_at\":"
    "\"2025-03-01T12:00:00Z\",\"tags\":[\"weather\"],\"url\":\"https://example.com/1\","
    "\"author\":\"A. Writer\",\"language\":\"en\",\"unknown\":{\"x\":1}}";

/* The table of real requests, in order, with the status the server gives
 * today; every one must also be documented. */
static const struct call calls[] = {
    {"GET", "/healthz", NULL, NULL, 200, NULL},
    {"GET", "/readyz", NULL, NULL, 200, NULL},
    {"GET", "/metrics", NULL, NULL, 200, NULL},
    {"GET", "/openapi.yaml", NULL, NULL, 200, NULL},
    {"GET", "/", NULL, NULL, 200, NULL},
    {"GET", "/desk/app.js", NULL, NULL, 200, NULL},
    {"GET", "/desk/desk.css", NULL, NULL, 200, NULL},
    {"GET", "/desk/nothing.js", NULL, NULL, 404, NULL},
    /* POST /v1/articles */
    {"POST", "/v1/articles", JSON_CT, a1, 201, NULL},
    /* more than a default page (20) of entities, for the entity list's default limit */
    {"POST", "/v1/articles", JSON_CT,
     "{\"id\":\"e-cities\",\"title\":\"Capitals\",\"body\":\"The delegation visited Paris, "
     "London, Berlin, Madrid, Rome, Vienna, Warsaw, Prague, Budapest, Lisbon, Dublin, Oslo, "
     "Stockholm, Helsinki, Copenhagen, Athens, Brussels, Amsterdam, Sofia, Bucharest, Zagreb, "
     "Riga, Vilnius, Tallinn, Ankara and Kyiv before flying home.\"}",
     201, NULL},
    {"POST", "/v1/articles", JSON_CT, a1, 409, "id"},
    {"POST", "/v1/articles", JSON_CT, "{\"title\":\"Generated\",\"body\":\"No id given.\"}", 201,
     NULL},
    {"POST", "/v1/articles", JSON_CT,
     "{\"id\":\"c-2\",\"title\":\"Copy\",\"body\":\"A STORM hit the northern coast on Monday, "
     "flooding roads & <b>ports</b>!\"}",
     201, NULL},
    {"POST", "/v1/articles", "application/json; charset=utf-8",
     "{\"id\":\"c-3\",\"title\":\"Third\",\"body\":\"Third body.\",\"tags\":null,\"url\":null}",
     201, NULL},
    {"POST", "/v1/articles", "text/plain", "{\"title\":\"t\",\"body\":\"b\"}", 415, NULL},
    {"POST", "/v1/articles", NULL, "{\"title\":\"t\",\"body\":\"b\"}", 415, NULL},
    {"POST", "/v1/articles", NDJSON_CT, "{\"title\":\"t\",\"body\":\"b\"}", 415, NULL},
    {"POST", "/v1/articles", JSON_CT, "{\"title\":", 400, NULL},
    {"POST", "/v1/articles", JSON_CT, "", 400, NULL},
    {"POST", "/v1/articles", JSON_CT, "[1]", 400, NULL},
    {"POST", "/v1/articles", JSON_CT, "{\"body\":\"b\"}", 400, "title"},
    {"POST", "/v1/articles", JSON_CT, "{\"title\":\"t\"}", 400, "body"},
    {"POST", "/v1/articles", JSON_CT, "{\"title\":null,\"body\":\"b\"}", 400, "title"},
    {"POST", "/v1/articles", JSON_CT, "{\"title\":\" \",\"body\":\"b\"}", 400, "title"},
    {"POST", "/v1/articles", JSON_CT, "{\"title\":5,\"body\":\"b\"}", 400, "title"},
    {"POST", "/v1/articles", JSON_CT, "{\"id\":\"a b\",\"title\":\"t\",\"body\":\"b\"}", 400, "id"},
    {"POST", "/v1/articles", JSON_CT, "{\"title\":\"t\",\"body\":\"b\",\"tags\":\"x\"}", 400,
     "tags"},
    {"POST", "/v1/articles", JSON_CT, "{\"title\":\"t\",\"body\":\"b\",\"url\":7}", 400, "url"},
    {"POST", "/v1/articles", JSON_CT, "{\"title\":\"t\",\"title\":\"u\",\"body\":\"b\"}", 400,
     NULL},
    {"POST", "/v1/articles", JSON_CT,
     "{\"title\":\"t\",\"body\":\"b\",\"published_at\":\"yesterday\"}", 422, "published_at"},
    {"POST", "/v1/articles", JSON_CT,
     "{\"title\":\"t\",\"body\":\"b\",\"published_at\":"
     "\"2025-03-01\"}",
     422, "published_at"},
    {"POST", "/v1/articles", JSON_CT, "{\"title\":\"t\xff\",\"body\":\"b\"}", 422, NULL},
    {"POST", "/v1/articles", JSON_CT, "{\"title\":\"t\",\"body\":\"a\\u0000b\"}", 422, "body"},
    /* PUT /v1/articles/{id} */
    {"PUT", "/v1/articles/p-1", JSON_CT, "{\"title\":\"Put\",\"body\":\"Put first.\"}", 201, NULL},
    {"PUT", "/v1/articles/p-1", JSON_CT,
     "{\"id\":\"p-1\",\"title\":\"Put\",\"body\":\"Put again.\",\"source\":\"Reuters\"}", 200,
     NULL},
    {"PUT", "/v1/articles/p-1", JSON_CT, "{\"id\":\"p-2\",\"title\":\"t\",\"body\":\"b\"}", 400,
     "id"},
    {"PUT", "/v1/articles/bad%20id", JSON_CT, "{\"title\":\"t\",\"body\":\"b\"}", 400, "id"},
    {"PUT", "/v1/articles/p-1", "text/plain", "{\"title\":\"t\",\"body\":\"b\"}", 415, NULL},
    {"PUT", "/v1/articles/p-1", JSON_CT, "{\"title\":\"t\",\"body\":\"b\",\"published_at\":\"x\"}",
     422, "published_at"},
    {"PUT", "/v1/articles/p-1", JSON_CT, "nope", 400, NULL},
    /* GET, DELETE /v1/articles/{id} */
    {"GET", "/v1/articles/c-1", NULL, NULL, 200, NULL},
    {"GET", "/v1/articles/c-2", NULL, NULL, 200, NULL},
    {"GET", "/v1/articles/p-1", NULL, NULL, 200, NULL},
    {"GET", "/v1/articles/nope", NULL, NULL, 404, NULL},
    {"GET", "/v1/articles/bad%20id", NULL, NULL, 404, NULL},
    {"GET", "/v1/articles/_bulk", NULL, NULL, 404, NULL}, /* the {id} route: no such article */
    {"DELETE", "/v1/articles/c-3", NULL, NULL, 204, NULL},
    {"DELETE", "/v1/articles/c-3", NULL, NULL, 404, NULL},
    {"DELETE", "/v1/articles/bad%20id", NULL, NULL, 404, NULL},
    /* POST /v1/articles/_bulk */
    {"POST", "/v1/articles/_bulk", NDJSON_CT,
     "{\"id\":\"b-1\",\"title\":\"Bulk one\",\"body\":\"Flood warning for the river.\"}\n"
     "\n"
     "{\"id\":\"b-2\",\"title\":\"Bulk two\",\"body\":\"Flood waters recede.\"}\r\n"
     "{\"title\":\"no body\"}\n"
     "not json\n"
     "{\"id\":\"b-1\",\"title\":\"Bulk one again\",\"body\":\"Flood warning lifted.\"}\n"
     "{\"id\":\"c-1\",\"title\":\"t\",\"body\":\"b\",\"published_at\":\"soon\"}",
     200, NULL},
    {"POST", "/v1/articles/_bulk", NDJSON_CT, "[]\n{}\n", 200, NULL},
    {"POST", "/v1/articles/_bulk", NDJSON_CT, "", 400, NULL},
    {"POST", "/v1/articles/_bulk", NDJSON_CT, "\n \n\t\n", 400, NULL},
    {"POST", "/v1/articles/_bulk", JSON_CT, "{\"title\":\"t\",\"body\":\"b\"}", 415, NULL},
    {"POST", "/v1/articles/_bulk", "application/x-ndjson; charset=utf-8",
     "{\"id\":\"b-3\",\"title\":\"Bulk three\",\"body\":\"Third bulk body.\"}", 200, NULL},
    /* GET /v1/articles */
    {"GET", "/v1/articles", NULL, NULL, 200, NULL},
    {"GET", "/v1/articles?source=AFP&from=2025-01-01&to=2025-12-31T00:00:00Z&limit=5", NULL, NULL,
     200, NULL},
    {"GET", "/v1/articles?source=nobody", NULL, NULL, 200, NULL},
    {"GET", "/v1/articles?limit=0", NULL, NULL, 400, "limit"},
    {"GET", "/v1/articles?limit=ten", NULL, NULL, 400, "limit"},
    {"GET", "/v1/articles?from=notadate", NULL, NULL, 400, "from"},
    {"GET", "/v1/articles?to=2025-02-30", NULL, NULL, 400, "to"},
    {"GET", "/v1/articles?cursor=garbage", NULL, NULL, 400, "cursor"},
    {"GET", "/v1/articles?source=%FF", NULL, NULL, 422, "source"},
    {"GET", "/v1/articles?unknown=1", NULL, NULL, 200, NULL},
    /* GET /v1/search */
    {"GET", "/v1/search?q=storm", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=%22northern%20coast%22&sort=newest", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=stor*%20-flood", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm%20OR%20flood&source=AFP&from=2025-01-01&to=2026-01-01", NULL, NULL,
     200, NULL},
    {"GET", "/v1/search?q=nothingmatchesthis", NULL, NULL, 200, NULL},
    {"GET", "/v1/search", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?sort=oldest&source=AFP&source=-Reuters&tag=x&language=en&author=A", NULL,
     NULL, 200, NULL},
    {"GET", "/v1/search?q=storm&sort=ingested&tag=-x", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?sort=relevance", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?source=-", NULL, NULL, 400, "source"},
    {"GET",
     "/v1/search?tag=1&tag=2&tag=3&tag=4&tag=5&tag=6&tag=7&tag=8&tag=9&tag=10&tag=11&tag=12&tag="
     "13&tag=14&tag=15&tag=16&tag=17&tag=18&tag=19&tag=20&tag=21",
     NULL, NULL, 400, "tag"},
    {"GET", "/v1/search?q=%22unclosed", NULL, NULL, 400, "q"},
    {"GET", "/v1/search?q=-storm", NULL, NULL, 400, "q"},
    {"GET", "/v1/search?q=OR%20storm", NULL, NULL, 400, "q"},
    {"GET", "/v1/search?q=%26%26", NULL, NULL, 400, "q"},
    {"GET", "/v1/search?q=storm&sort=top", NULL, NULL, 400, "sort"},
    {"GET", "/v1/search?q=storm&limit=101", NULL, NULL, 400, "limit"},
    {"GET", "/v1/search?q=storm&cursor=abc", NULL, NULL, 400, "cursor"},
    {"GET", "/v1/search?q=%FF", NULL, NULL, 422, "q"},
    {"GET", "/v1/search?q=storm&duplicates=collapse", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm&duplicates=collapse&sort=newest", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm&duplicates=fold", NULL, NULL, 400, "duplicates"},
    {"GET", "/v1/search?q=storm&collapse=story", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?collapse=story&sort=newest&duplicates=collapse", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm&collapse=story&fields=title", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm&collapse=none", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm&collapse=copies", NULL, NULL, 400, "collapse"},
    {"GET", "/v1/search?q=storm&collapse=story&sort=oldest", NULL, NULL, 400, "collapse"},
    {"GET", "/v1/search?q=storm%20zzunknown&match=auto", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm%20coast&match=any", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm&match=all&fields=id,title_html", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm&match=most", NULL, NULL, 400, "match"},
    {"GET", "/v1/search?q=storn&typo=suggest&match=all", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storn&typo=off", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm&typo=maybe", NULL, NULL, 400, "typo"},
    {"GET", "/v1/search?q=storm&fields=id,url,tags,entities&fields=story", NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm&fields=body", NULL, NULL, 400, "fields"},
    /* duplicates */
    {"GET", "/v1/articles/c-1/duplicates", NULL, NULL, 200, NULL},
    {"GET", "/v1/articles/c-1/duplicates?min_containment=0.9", NULL, NULL, 200, NULL},
    {"GET", "/v1/articles/c-1/duplicates?min_containment=2", NULL, NULL, 400, "min_containment"},
    {"GET", "/v1/articles/nope/duplicates", NULL, NULL, 404, NULL},
    {"POST", "/v1/articles/c-1/duplicates", JSON_CT, "{}", 405, NULL},
    {"POST", "/v1/duplicates/_check", JSON_CT,
     "{\"title\":\"t\",\"body\":\"A storm hit the northern coast on Monday, flooding roads "
     "and ports.\"}",
     200, NULL},
    {"POST", "/v1/duplicates/_check", JSON_CT, "{\"title\":\"t\"}", 400, "body"},
    {"POST", "/v1/duplicates/_check", "text/plain", "{}", 415, NULL},
    {"POST", "/v1/duplicates/_check", JSON_CT, "{\"title\":\"t\",\"body\":\"\\u0000\"}", 422,
     "body"},
    {"POST", "/v1/duplicates/_check?min_containment=x", JSON_CT, "{}", 400, "min_containment"},
    {"GET", "/v1/duplicates/_check", NULL, NULL, 405, NULL},
    {"POST", "/v1/articles?min_containment=-1", JSON_CT, "{}", 400, "min_containment"},
    /* entities */
    {"POST", "/v1/articles", JSON_CT,
     "{\"id\":\"e-1\",\"title\":\"Talks\",\"body\":\"Secretary of State Marco Rubio met "
     "Sergei Lavrov in Kuala Lumpur. Mr. Rubio said the talks were frank.\"}",
     201, NULL},
    {"GET", "/v1/articles/e-1/entities", NULL, NULL, 200, NULL},
    {"GET", "/v1/articles/nope/entities", NULL, NULL, 404, NULL},
    {"GET", "/v1/entities", NULL, NULL, 200, NULL},
    {"GET", "/v1/entities?type=person&q=rub&from=2000-01-01&limit=5", NULL, NULL, 200, NULL},
    {"GET", "/v1/entities?type=animal", NULL, NULL, 400, "type"},
    {"GET", "/v1/entities?exclude=person:marco-rubio,location:nowhere&exclude=x", NULL, NULL, 200,
     NULL},
    {"GET", "/v1/entities?q=%FF", NULL, NULL, 422, "q"},
    {"GET", "/v1/entities/person:marco-rubio", NULL, NULL, 200, NULL},
    {"GET", "/v1/entities/person:nobody-at-all", NULL, NULL, 404, NULL},
    {"GET", "/v1/entities/person:marco-rubio/articles", NULL, NULL, 200, NULL},
    {"GET", "/v1/entities/person:marco-rubio/articles?limit=0", NULL, NULL, 400, "limit"},
    {"GET", "/v1/entities/person:marco-rubio/articles?cursor=%FF", NULL, NULL, 422, "cursor"},
    {"POST", "/v1/articles/e-1/entities", JSON_CT, "{}", 405, NULL},
    {"POST", "/v1/entities", JSON_CT, "{}", 405, NULL},
    {"POST", "/v1/entities/person:marco-rubio/articles", JSON_CT, "{}", 405, NULL},
    {"POST", "/v1/entities/person:marco-rubio/related", JSON_CT, "{}", 405, NULL},
    {"GET", "/v1/entities/person:nobody-at-all/articles", NULL, NULL, 404, NULL},
    {"GET", "/v1/entities/person:marco-rubio/related", NULL, NULL, 200, NULL},
    {"GET", "/v1/entities/person:marco-rubio/related?limit=1000", NULL, NULL, 400, "limit"},
    {"GET", "/v1/entities/person:marco-rubio/related?from=2000-01-01&to=2100-01-01", NULL, NULL,
     200, NULL},
    {"GET", "/v1/entities/person:marco-rubio/related?from=soon", NULL, NULL, 400, "from"},
    {"GET", "/v1/entities/person:nobody-at-all/related", NULL, NULL, 404, NULL},
    {"DELETE", "/v1/entities/person:marco-rubio", NULL, NULL, 405, NULL},
    /* curation, on entities of an article of its own */
    {"POST", "/v1/articles", JSON_CT,
     "{\"id\":\"e-9\",\"title\":\"Summit\",\"body\":\"Chancellor Angela Merkel met "
     "President Emmanuel Macron in Berlin on Friday. Merkel said the summit went well.\"}",
     201, NULL},
    {"PUT", "/v1/entities/person:angela-merkel", JSON_CT,
     "{\"name\":\"Angela Dorothea Merkel\",\"type\":\"person\",\"aliases\":[\"Mutti\"]}", 200,
     NULL},
    {"PUT", "/v1/entities/person:angela-merkel", JSON_CT, "{\"aliases\":[\"Emmanuel Macron\"]}",
     409, "aliases"},
    {"PUT", "/v1/entities/person:angela-merkel", JSON_CT, "{\"type\":\"animal\"}", 422, "type"},
    {"PUT", "/v1/entities/person:angela-merkel", JSON_CT, "{\"name\":\"...\"}", 422, "name"},
    {"PUT", "/v1/entities/person:angela-merkel", JSON_CT, "{\"nick\":\"x\"}", 400, "nick"},
    {"PUT", "/v1/entities/person:angela-merkel", JSON_CT, "{}", 400, NULL},
    {"PUT", "/v1/entities/person:angela-merkel", JSON_CT, "nope", 400, NULL},
    {"PUT", "/v1/entities/person:angela-merkel", "text/plain", "{\"name\":\"A\"}", 415, NULL},
    {"PUT", "/v1/entities/person:nobody-at-all", JSON_CT, "{\"name\":\"A\"}", 404, NULL},
    {"POST", "/v1/entities/location:berlin/_merge", JSON_CT,
     "{\"into\":\"person:emmanuel-macron\"}", 200, NULL},
    {"POST", "/v1/entities/location:berlin/_merge", JSON_CT,
     "{\"into\":\"person:emmanuel-macron\"}", 200, NULL},
    {"GET", "/v1/entities/location:berlin", NULL, NULL, 200, NULL},
    {"POST", "/v1/entities/person:angela-merkel/_merge", JSON_CT,
     "{\"into\":\"person:angela-merkel\"}", 409, "into"},
    {"POST", "/v1/entities/person:angela-merkel/_merge", JSON_CT,
     "{\"into\":\"person:nobody-at-all\"}", 422, "into"},
    {"POST", "/v1/entities/person:angela-merkel/_merge", JSON_CT, "{}", 400, "into"},
    {"POST", "/v1/entities/person:angela-merkel/_merge", JSON_CT, "nope", 400, NULL},
    {"POST", "/v1/entities/person:angela-merkel/_merge", "text/plain", "{}", 415, NULL},
    {"POST", "/v1/entities/person:nobody-at-all/_merge", JSON_CT,
     "{\"into\":\"person:angela-merkel\"}", 404, NULL},
    {"GET", "/v1/entities/person:angela-merkel/_merge", NULL, NULL, 405, NULL},
    {"POST", "/v1/entities/location:berlin/_block", NULL, NULL, 409, NULL},
    {"POST", "/v1/entities/person:angela-merkel/_block", NULL, NULL, 200, NULL},
    {"POST", "/v1/entities/person:nobody-at-all/_block", NULL, NULL, 404, NULL},
    {"DELETE", "/v1/entities/person:angela-merkel/_block", NULL, NULL, 200, NULL},
    {"DELETE", "/v1/entities/person:nobody-at-all/_block", NULL, NULL, 404, NULL},
    {"PUT", "/v1/entities/person:angela-merkel/_block", NULL, NULL, 405, NULL},
    {"GET", "/v1/search?q=talks&entity=person:marco-rubio", NULL, NULL, 200, NULL},
    /* multi-search */
    {"POST", "/v1/search/_multi", JSON_CT,
     "{\"queries\":[{\"q\":\"storm\",\"limit\":2},{\"q\":\"\\\"unclosed\"}]}", 200, NULL},
    {"POST", "/v1/search/_multi", JSON_CT, "{\"queries\":[]}", 400, "queries"},
    {"POST", "/v1/search/_multi", JSON_CT, "{\"queries\":", 400, "queries"},
    {"POST", "/v1/search/_multi", "text/plain", "{}", 415, NULL},
    {"GET", "/v1/search/_multi", NULL, NULL, 405, NULL},
    /* the change feed */
    {"GET", "/v1/changes", NULL, NULL, 200, NULL},
    {"GET", "/v1/changes?since=2&types=article.created,article.deleted&source=AFP&limit=5", NULL,
     NULL, 200, NULL},
    {"GET", "/v1/changes?since=900000000", NULL, NULL, 410, NULL},
    {"GET", "/v1/changes?types=story.updated,story.merged,story.deleted", NULL, NULL, 200, NULL},
    {"GET", "/v1/changes?types=article.moved", NULL, NULL, 400, "types"},
    {"GET", "/v1/changes?source=%FF", NULL, NULL, 422, "source"},
    {"POST", "/v1/changes", JSON_CT, "{}", 405, NULL},
    {"GET", "/v1/synonyms", NULL, NULL, 200, NULL},
    {"DELETE", "/v1/synonyms", NULL, NULL, 405, NULL},
    {"GET", "/v1/events", NULL, NULL, 200, NULL},
    {"GET", "/v1/events?since=0&types=article.created&source=AFP", NULL, NULL, 200, NULL},
    {"GET", "/v1/events?since=0&types=story.updated", NULL, NULL, 200, NULL},
    {"GET", "/v1/events?since=900000000", NULL, NULL, 410, NULL},
    {"GET", "/v1/events?types=article.moved", NULL, NULL, 400, "types"},
    {"GET", "/v1/events?source=%FF", NULL, NULL, 422, "source"},
    {"DELETE", "/v1/events", NULL, NULL, 405, NULL},
    /* facets, and the lists of sources and tags */
    {"GET",
     "/v1/search?q=storm&facets=source,tag,language,author,entity,story,day,week,month&facet_size=5",
     NULL, NULL, 200, NULL},
    {"GET", "/v1/search?q=storm&facets=colour", NULL, NULL, 400, "facets"},
    {"GET", "/v1/search?q=storm&facets=source&facet_size=0", NULL, NULL, 400, "facet_size"},
    {"GET", "/v1/sources", NULL, NULL, 200, NULL},
    {"GET", "/v1/sources?from=2025-01-01&to=2026-01-01&limit=2", NULL, NULL, 200, NULL},
    {"GET", "/v1/sources?limit=0", NULL, NULL, 400, "limit"},
    {"POST", "/v1/sources", JSON_CT, "{}", 405, NULL},
    {"GET", "/v1/tags", NULL, NULL, 200, NULL},
    {"GET", "/v1/tags?from=2025-01-01&limit=1000", NULL, NULL, 200, NULL},
    {"GET", "/v1/tags?to=soon", NULL, NULL, 400, "to"},
    {"DELETE", "/v1/tags", NULL, NULL, 405, NULL},
    /* stories: more than a page of unrelated ones, then the listing */
    {"POST", "/v1/articles/_bulk", NDJSON_CT,
     "{\"id\":\"st-0\",\"title\":\"amber0\",\"body\":\"amberx0 ambery0\"}\n"
     "{\"id\":\"st-1\",\"title\":\"basalt1\",\"body\":\"basaltx1 basalty1\"}\n"
     "{\"id\":\"st-2\",\"title\":\"cobalt2\",\"body\":\"cobaltx2 cobalty2\"}\n"
     "{\"id\":\"st-3\",\"title\":\"dune3\",\"body\":\"dunex3 duney3\"}\n"
     "{\"id\":\"st-4\",\"title\":\"ember4\",\"body\":\"emberx4 embery4\"}\n"
     "{\"id\":\"st-5\",\"title\":\"fjord5\",\"body\":\"fjordx5 fjordy5\"}\n"
     "{\"id\":\"st-6\",\"title\":\"garnet6\",\"body\":\"garnetx6 garnety6\"}\n"
     "{\"id\":\"st-7\",\"title\":\"harbor7\",\"body\":\"harborx7 harbory7\"}\n"
     "{\"id\":\"st-8\",\"title\":\"indigo8\",\"body\":\"indigox8 indigoy8\"}\n"
     "{\"id\":\"st-9\",\"title\":\"jasper9\",\"body\":\"jasperx9 jaspery9\"}\n"
     "{\"id\":\"st-10\",\"title\":\"kelp10\",\"body\":\"kelpx10 kelpy10\"}\n"
     "{\"id\":\"st-11\",\"title\":\"lagoon11\",\"body\":\"lagoonx11 lagoony11\"}\n"
     "{\"id\":\"st-12\",\"title\":\"marble12\",\"body\":\"marblex12 marbley12\"}\n"
     "{\"id\":\"st-13\",\"title\":\"nectar13\",\"body\":\"nectarx13 nectary13\"}\n"
     "{\"id\":\"st-14\",\"title\":\"onyx14\",\"body\":\"onyxx14 onyxy14\"}\n"
     "{\"id\":\"st-15\",\"title\":\"pumice15\",\"body\":\"pumicex15 pumicey15\"}\n"
     "{\"id\":\"st-16\",\"title\":\"quartz16\",\"body\":\"quartzx16 quartzy16\"}\n"
     "{\"id\":\"st-17\",\"title\":\"raven17\",\"body\":\"ravenx17 raveny17\"}\n"
     "{\"id\":\"st-18\",\"title\":\"saffron18\",\"body\":\"saffronx18 saffrony18\"}\n"
     "{\"id\":\"st-19\",\"title\":\"tundra19\",\"body\":\"tundrax19 tundray19\"}\n"
     "{\"id\":\"st-20\",\"title\":\"umber20\",\"body\":\"umberx20 umbery20\"}\n"
     "{\"id\":\"st-21\",\"title\":\"violet21\",\"body\":\"violetx21 violety21\"}\n",
     200, NULL},
    {"GET", "/v1/stories", NULL, NULL, 200, NULL},
    {"GET", "/v1/stories?from=2000-01-01&to=2100-01-01&min_articles=1&limit=5", NULL, NULL, 200,
     NULL},
    {"GET", "/v1/stories?min_articles=0", NULL, NULL, 400, "min_articles"},
    {"GET", "/v1/stories?cursor=abc", NULL, NULL, 400, "cursor"},
    {"GET", "/v1/stories?cursor=%FF", NULL, NULL, 422, "cursor"},
    {"GET", "/v1/stories/1", NULL, NULL, 200, NULL},
    {"GET", "/v1/stories/999999999", NULL, NULL, 404, NULL},
    {"GET", "/v1/stories/abc", NULL, NULL, 404, NULL},
    {"POST", "/v1/stories", JSON_CT, "{}", 405, NULL},
    {"DELETE", "/v1/stories/1", NULL, NULL, 405, NULL},
    {"GET", "/v1/stories?q=amber0&source=AFP&entity=person:marco-rubio&limit=5", NULL, NULL, 200,
     NULL},
    {"GET", "/v1/stories?entity=person:marco-rubio", NULL, NULL, 200, NULL},
    {"GET", "/v1/stories?q=OR", NULL, NULL, 400, "q"},
    {"GET", "/v1/stories?q=%FF", NULL, NULL, 422, "q"},
    {"GET", "/v1/stories/1/articles", NULL, NULL, 200, NULL},
    {"GET", "/v1/stories/1/articles?limit=1&cursor=abc", NULL, NULL, 400, "cursor"},
    {"GET", "/v1/stories/1/articles?cursor=%FF", NULL, NULL, 422, "cursor"},
    {"GET", "/v1/stories/999999999/articles", NULL, NULL, 404, NULL},
    {"PUT", "/v1/stories/1/articles", JSON_CT, "{}", 405, NULL},
    {"GET", "/v1/stories/1/timeline", NULL, NULL, 200, NULL},
    {"GET", "/v1/stories/1/timeline?interval=day", NULL, NULL, 200, NULL},
    {"GET", "/v1/stories/1/timeline?interval=week", NULL, NULL, 400, "interval"},
    {"GET", "/v1/stories/999999999/timeline", NULL, NULL, 404, NULL},
    {"POST", "/v1/stories/1/timeline", JSON_CT, "{}", 405, NULL},
    {"GET", "/v1/entities/person:marco-rubio/timeline?from=2025-01-01&to=2025-12-01", NULL, NULL,
     200, NULL},
    {"GET", "/v1/entities/person:marco-rubio/timeline?interval=week", NULL, NULL, 200, NULL},
    {"GET", "/v1/entities/person:marco-rubio/timeline?interval=hour", NULL, NULL, 400, "interval"},
    {"GET", "/v1/entities/person:marco-rubio/timeline?from=2000-01-01&to=2025-01-01", NULL, NULL,
     400, "to"},
    {"GET", "/v1/entities/person:nobody-at-all/timeline", NULL, NULL, 404, NULL},
    {"DELETE", "/v1/entities/person:marco-rubio/timeline", NULL, NULL, 405, NULL},
    /* snapshots (into the test's temp folder) */
    {"POST", "/v1/admin/snapshot?name=contract.db", NULL, NULL, 201, NULL},
    {"POST", "/v1/admin/snapshot?name=contract.db", NULL, NULL, 409, "name"},
    {"POST", "/v1/admin/snapshot", NULL, NULL, 201, NULL},
    {"POST", "/v1/admin/snapshot?name=..", NULL, NULL, 400, "name"},
    {"POST", "/v1/admin/snapshot?name=a%2Fb", NULL, NULL, 400, "name"},
    {"GET", "/v1/admin/snapshot", NULL, NULL, 405, NULL},
    /* other methods */
    {"PATCH", "/v1/articles/c-1", JSON_CT, "{}", 405, NULL},
    {"POST", "/v1/articles/c-1", JSON_CT, "{\"title\":\"t\",\"body\":\"b\"}", 405, NULL},
    {"DELETE", "/v1/articles", NULL, NULL, 405, NULL},
    {"PUT", "/v1/articles", JSON_CT, "{}", 405, NULL},
    {"OPTIONS", "/v1/articles", NULL, NULL, 405, NULL},
    {"PATCH", "/v1/articles/_bulk", NULL, NULL, 405, NULL},
    {"PUT", "/v1/search", NULL, NULL, 405, NULL},
    {"POST", "/healthz", NULL, NULL, 405, NULL},
    {"DELETE", "/readyz", NULL, NULL, 405, NULL},
    {"POST", "/metrics", NULL, NULL, 405, NULL},
    {"PUT", "/openapi.yaml", NULL, NULL, 405, NULL},
    {"POST", "/", NULL, NULL, 405, NULL},
    {"DELETE", "/desk/app.js", NULL, NULL, 405, NULL},
    /* no such path */
    {"GET", "/desk", NULL, NULL, 404, NULL},
    {"GET", "/v1/nothing", NULL, NULL, 404, NULL},
    {"GET", "/v1/articles/", NULL, NULL, 404, NULL},
    {"GET", "/v1/articles/a/b", NULL, NULL, 404, NULL},
    {"POST", "/v1/duplicates/_nothing", JSON_CT, "{}", 404, NULL},
};

/* Query parameters a table request uses that the operation does not list. */
static void check_params_documented(const char *method, const char *path_q, json_t *problems)
{
    const char *q = strchr(path_q, '?'), *tmpl;
    char path[2048];
    int matched;
    json_t *op, *item, *params;

    snprintf(path, sizeof path, "%.*s", (int)strcspn(path_q, "?"), path_q);
    op = doc_operation(doc, method, path, &tmpl, &matched);
    if (q == NULL || op == NULL)
        return;
    item = schema_deref(doc, json_object_get(json_object_get(doc, "paths"), tmpl));
    params = op_parameters(doc, item, op);
    for (q++; *q != '\0';) {
        size_t n = strcspn(q, "=&");
        int found = 0;
        size_t i;
        json_t *p;
        json_array_foreach(params, i, p)
        {
            const char *name = json_string_value(json_object_get(p, "name"));
            if (name && strlen(name) == n && strncmp(name, q, n) == 0)
                found = 1;
        }
        if (!found && !(n == 7 && strncmp(q, "unknown", 7) == 0))
            problem(problems, "%s %s: query parameter '%.*s' is not documented", method, path_q,
                    (int)n, q);
        q += strcspn(q, "&");
        if (*q == '&')
            q++;
    }
    json_decref(params);
}

/* Follows next_cursor through every page; checks each page and returns the
 * number of items seen. */
static size_t run_pages(struct run *r, const char *first, const char *array)
{
    char path[1024];
    char *cursor = NULL;
    size_t items = 0;
    int pages = 0;

    snprintf(path, sizeof path, "%s", first);
    for (;;) {
        struct exchange x;
        json_t *body;
        const char *next;
        run_one(r, NULL, "GET", path, NULL, NULL, 0, 200, &x);
        body = json_loadb(x.body, x.len, 0, NULL);
        items += json_array_size(json_object_get(body, array));
        next = json_string_value(json_object_get(body, "next_cursor"));
        free(cursor);
        cursor = next ? strdup(next) : NULL;
        json_decref(body);
        exchange_free(&x);
        if (cursor == NULL || ++pages > 100)
            break;
        snprintf(path, sizeof path, "%s&cursor=%s", first, cursor);
    }
    free(cursor);
    return items;
}

/* The query string with one parameter set (value NULL: left out). */
static void query_with(char *out, size_t size, const char *tmpl, json_t *params, const char *name,
                       const char *value)
{
    size_t i;
    json_t *p;
    int n = snprintf(out, size, "%s", tmpl);
    char sep = '?';

    json_array_foreach(params, i, p)
    {
        const char *pn = json_string_value(json_object_get(p, "name"));
        const char *ex = json_string_value(json_object_get(p, "example"));
        if (!str_eq(json_string_value(json_object_get(p, "in")), "query") || str_eq(pn, name) ||
            !json_is_true(json_object_get(p, "required")))
            continue;
        n += snprintf(out + n, size - (size_t)n, "%c%s=%s", sep, pn, ex ? ex : "");
        sep = '&';
    }
    if (value != NULL)
        snprintf(out + n, size - (size_t)n, "%c%s=%s", sep, name, value);
}

/* Sends one derived request and checks status and errors[0].field. */
static void run_param(struct run *r, const char *path, long expect, const char *field,
                      json_t **last_body)
{
    struct exchange x;
    json_t *holder = NULL;

    run_one(r, NULL, "GET", path, NULL, NULL, 0, expect, &x);
    if (field != NULL && x.status >= 400 && strcmp(problem_field(&x, &holder), field) != 0)
        problem(r->problems, "GET %.200s: errors[0].field is '%s', want '%s'", path,
                problem_field(&x, &holder), field);
    json_decref(holder);
    if (last_body != NULL)
        *last_body = json_loadb(x.body, x.len, 0, NULL);
    exchange_free(&x);
}

/* The first array member of a JSON object (the page's items). */
static json_t *page_items(json_t *body)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        if (json_is_array(v))
            return v;
    }
    return NULL;
}

/* Requests derived from the document's query parameters: required ones left
 * out, integer bounds and defaults, enum values, string lengths, non-UTF-8
 * values, date formats. */
static void run_parameter_checks(struct run *r)
{
    json_t *paths = json_object_get(doc, "paths"), *item;
    const char *tmpl;
    char *big = malloc(4096);

    json_object_foreach(paths, tmpl, item)
    {
        json_t *op, *params, *p;
        size_t i;
        char path[8192];

        item = schema_deref(doc, item);
        op = json_object_get(item, "get");
        if (op == NULL || strchr(tmpl, '{') != NULL)
            continue;
        params = op_parameters(doc, item, op);
        query_with(path, sizeof path, tmpl, params, "", NULL);
        run_param(r, path, 200, NULL, NULL);
        json_array_foreach(params, i, p)
        {
            const char *name = json_string_value(json_object_get(p, "name"));
            json_t *s = schema_deref(doc, json_object_get(p, "schema"));
            const char *type = json_string_value(json_object_get(s, "type"));
            json_t *min = json_object_get(s, "minimum"), *max = json_object_get(s, "maximum");
            json_t *dflt = json_object_get(s, "default"), *e;
            char v[64];
            size_t k;

            if (!str_eq(json_string_value(json_object_get(p, "in")), "query") || name == NULL)
                continue;
            if (json_is_true(json_object_get(p, "required"))) {
                cr_expect_not_null(json_object_get(p, "example"), "%s %s: no example", tmpl, name);
                query_with(path, sizeof path, tmpl, params, name, NULL);
                run_param(r, path, 400, name, NULL);
            }
            if (type != NULL && strcmp(type, "integer") == 0) {
                cr_expect(min && max, "%s %s: integer without bounds", tmpl, name);
                if (min) {
                    snprintf(v, sizeof v, "%lld", (long long)json_integer_value(min) - 1);
                    query_with(path, sizeof path, tmpl, params, name, v);
                    run_param(r, path, 400, name, NULL);
                    snprintf(v, sizeof v, "%lld", (long long)json_integer_value(min));
                    query_with(path, sizeof path, tmpl, params, name, v);
                    run_param(r, path, 200, NULL, NULL);
                }
                if (max) {
                    /* a change number past the store's last one is a 410 (the
                     * store was restored or replaced), not data */
                    int past_head = strcmp(name, "since") == 0;
                    snprintf(v, sizeof v, "%lld", (long long)json_integer_value(max));
                    query_with(path, sizeof path, tmpl, params, name, v);
                    run_param(r, path, past_head ? 410 : 200, NULL, NULL);
                    snprintf(v, sizeof v, "%lld", (long long)json_integer_value(max) + 1);
                    query_with(path, sizeof path, tmpl, params, name, v);
                    run_param(r, path, 400, name, NULL);
                }
                query_with(path, sizeof path, tmpl, params, name, "x");
                run_param(r, path, 400, name, NULL);
                query_with(path, sizeof path, tmpl, params, name, "");
                run_param(r, path, 400, name, NULL);
                if (dflt != NULL && strcmp(name, "limit") == 0) {
                    /* the store holds more than the default, so a page is full */
                    json_t *body = NULL;
                    query_with(path, sizeof path, tmpl, params, name, NULL);
                    run_param(r, path, 200, NULL, &body);
                    cr_expect_eq(json_array_size(page_items(body)),
                                 (size_t)json_integer_value(dflt), "%s: default %s is not %lld",
                                 tmpl, name, (long long)json_integer_value(dflt));
                    json_decref(body);
                }
            } else if (json_is_array(json_object_get(s, "enum"))) {
                json_array_foreach(json_object_get(s, "enum"), k, e)
                {
                    query_with(path, sizeof path, tmpl, params, name, json_string_value(e));
                    run_param(r, path, 200, NULL, NULL);
                }
                query_with(path, sizeof path, tmpl, params, name, "no-such-value");
                run_param(r, path, 400, name, NULL);
                query_with(path, sizeof path, tmpl, params, name, "%FF");
                run_param(r, path, 422, name, NULL);
                query_with(path, sizeof path, tmpl, params, name, "");
                run_param(r, path, 200, NULL, NULL);
            } else if (type != NULL && strcmp(type, "string") == 0) {
                json_t *maxl = json_object_get(s, "maxLength");
                /* any non-cursor is a 400, and so is a facet list of made-up names */
                int opaque = strcmp(name, "cursor") == 0 || strcmp(name, "facets") == 0;
                if (maxl != NULL) {
                    size_t n = (size_t)json_integer_value(maxl);
                    cr_assert_lt(n + 1, 4096);
                    memset(big, 'a', n + 1);
                    big[n + 1] = '\0';
                    query_with(path, sizeof path, tmpl, params, name, big);
                    run_param(r, path, 400, name, NULL);
                    big[n] = '\0';
                    query_with(path, sizeof path, tmpl, params, name, big);
                    run_param(r, path, opaque ? 400 : 200, opaque ? name : NULL, NULL);
                }
                query_with(path, sizeof path, tmpl, params, name, "%FF");
                run_param(r, path, 422, name, NULL);
                query_with(path, sizeof path, tmpl, params, name, "");
                run_param(
                    r, path, json_integer_value(json_object_get(s, "minLength")) > 0 ? 400 : 200,
                    json_integer_value(json_object_get(s, "minLength")) > 0 ? name : NULL, NULL);
            } else if (type != NULL && strcmp(type, "array") == 0) {
                /* a repeated parameter (explode): its count and each value's bytes */
                json_t *items = schema_deref(doc, json_object_get(s, "items"));
                json_t *maxi = json_object_get(s, "maxItems");
                json_t *maxl = json_object_get(items, "maxLength");
                cr_expect(maxi && maxl, "%s %s: array without maxItems or maxLength", tmpl, name);
                if (maxi != NULL && maxl != NULL) {
                    size_t n = (size_t)json_integer_value(maxi);
                    cr_assert_lt(json_integer_value(maxl) + 1, 4096);
                    /* n values answer, n + 1 are a 400 */
                    for (size_t c = n; c <= n + 1; c++) {
                        size_t len;
                        query_with(path, sizeof path, tmpl, params, name, "v0");
                        len = strlen(path);
                        for (size_t m = 1; m < c; m++)
                            len += (size_t)snprintf(path + len, sizeof path - len, "&%s=v%zu", name,
                                                    m);
                        run_param(r, path, c > n ? 400 : 200, c > n ? name : NULL, NULL);
                    }
                    memset(big, 'a', (size_t)json_integer_value(maxl) + 1);
                    big[json_integer_value(maxl) + 1] = '\0';
                    query_with(path, sizeof path, tmpl, params, name, big);
                    run_param(r, path, 400, name, NULL);
                    big[json_integer_value(maxl)] = '\0';
                    query_with(path, sizeof path, tmpl, params, name, big);
                    run_param(r, path, 200, NULL, NULL);
                }
                query_with(path, sizeof path, tmpl, params, name, "%FF");
                run_param(r, path, 422, name, NULL);
                query_with(path, sizeof path, tmpl, params, name, "");
                run_param(r, path, 200, NULL, NULL);
            } else if (json_is_array(json_object_get(s, "anyOf"))) {
                /* dates: date-time or full-date */
                static const char *const good[] = {"2025-03-01", "2025-03-01T12:00:00Z",
                                                   "2025-03-01T12:00:00.5%2B01:00", NULL};
                static const char *const bad[] = {"notadate", "2025-13-01", "%FF", "", NULL};
                for (k = 0; good[k] != NULL; k++) {
                    query_with(path, sizeof path, tmpl, params, name, good[k]);
                    run_param(r, path, 200, NULL, NULL);
                }
                for (k = 0; bad[k] != NULL; k++) {
                    query_with(path, sizeof path, tmpl, params, name, bad[k]);
                    run_param(r, path, 400, name, NULL);
                }
            } else {
                problem(r->problems, "%s %s: no derived checks for this parameter's schema", tmpl,
                        name);
            }
        }
        json_decref(params);
    }
    free(big);
}

/* A path and body for an operation, from the document (path parameters take
 * their example; bodies are a minimal article). */
static void op_request(const char *tmpl, const json_t *op, char *path, size_t size,
                       const char **ctype, const char **body)
{
    const char *open = strchr(tmpl, '{');
    json_t *content = json_object_get(json_object_get(op, "requestBody"), "content");
    const char *key;
    json_t *v;

    if (open != NULL)
        snprintf(path, size, "%.*s%s%s", (int)(open - tmpl), tmpl, "p-1", strchr(open, '}') + 1);
    else
        snprintf(path, size, "%s", tmpl);
    *ctype = NULL;
    *body = NULL;
    json_object_foreach(content, key, v)
    {
        *ctype = key;
        *body = "{\"title\":\"Minimal\",\"body\":\"Minimal body.\"}\n";
        break;
    }
}

/* Every operation, with its method (upper case) and template. */
struct op_iter {
    const char *tmpl;
    char method[16];
    json_t *op;
};

static size_t doc_operations(struct op_iter *out, size_t cap)
{
    json_t *paths = json_object_get(doc, "paths"), *item;
    const char *tmpl;
    size_t n = 0;

    json_object_foreach(paths, tmpl, item)
    {
        item = schema_deref(doc, item);
        for (size_t m = 0; doc_methods[m] != NULL; m++) {
            json_t *op = json_object_get(item, doc_methods[m]);
            if (op == NULL || n == cap)
                continue;
            out[n].tmpl = tmpl;
            upper(out[n].method, sizeof out[n].method, doc_methods[m]);
            out[n].op = op;
            n++;
        }
    }
    return n;
}

static void wait_for_log(const char *log, const char *what)
{
    for (int i = 0; i < 500; i++) {
        size_t len;
        char *text = yamljson_read_file(log, &len);
        int found = text != NULL && strstr(text, what) != NULL;
        free(text);
        if (found)
            return;
        usleep(10000);
    }
    cr_expect_fail("the log never said %s", what);
}

Test(contract, every_operation_and_status)
{
    struct apitest_server srv;
    struct run r = {&srv, json_array(), json_object(), 0};
    struct op_iter ops[64];
    size_t nops = doc_operations(ops, 64);
    char bulk[8192], path[16384];
    size_t n = 0, listed, searched;
    struct exchange x;
    json_t *body;

    cr_assert_gt(nops, 0);
    cr_assert_eq(apitest_start(&srv, NULL, NULL), 0, "server did not start");

    /* 1. the table */
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        const struct call *c = &calls[i];
        json_t *holder = NULL;
        run_one(&r, NULL, c->method, c->path, c->ctype, c->body, c->body ? strlen(c->body) : 0,
                c->expect, &x);
        check_params_documented(c->method, c->path, r.problems);
        if (c->field != NULL && strcmp(problem_field(&x, &holder), c->field) != 0)
            problem(r.problems, "%s %s: errors[0].field is '%s', want '%s'", c->method, c->path,
                    problem_field(&x, &holder), c->field);
        json_decref(holder);
        if (x.status == 201 && strncmp(c->path, "/v1/articles", 12) == 0) {
            json_t *b = json_loadb(x.body, x.len, 0, NULL);
            char want[512];
            snprintf(want, sizeof want, "/v1/articles/%s",
                     json_string_value(json_object_get(b, "id")));
            if (exchange_header(&x, "location") == NULL ||
                strcmp(exchange_header(&x, "location"), want) != 0)
                problem(r.problems, "%s %s: Location is not %s", c->method, c->path, want);
            json_decref(b);
        }
        exchange_free(&x);
        /* HEAD answers as GET does, without a body */
        if (strcmp(c->method, "GET") == 0) {
            run_one(&r, NULL, "HEAD", c->path, NULL, NULL, 0, c->expect, &x);
            if (x.len != 0)
                problem(r.problems, "HEAD %s: has a body", c->path);
            exchange_free(&x);
        }
    }

    /* a few facts the schemas cannot say */
    http_send(NULL, srv.port, "GET", "/v1/articles/c-2", NULL, NULL, 0, &x);
    body = json_loadb(x.body, x.len, 0, NULL);
    cr_expect_str_eq(json_string_value(json_object_get(body, "duplicate_of")), "c-1", "%s", x.body);
    json_decref(body);
    exchange_free(&x);
    http_send(NULL, srv.port, "GET", "/v1/search?q=storm", NULL, NULL, 0, &x);
    cr_expect(strstr(x.body, "<mark>") != NULL && strstr(x.body, "&lt;b&gt;") != NULL,
              "snippets mark matches and escape HTML: %s", x.body);
    exchange_free(&x);

    /* bulk items: one per non-blank line, in order, lines counted with blank ones */
    {
        static const char lines[] = "{\"id\":\"k-1\",\"title\":\"K\",\"body\":\"Kay one.\"}\n"
                                    "\n"
                                    "{\"title\":\"no body\"}\n"
                                    "not json\n"
                                    "{\"id\":\"k-1\",\"title\":\"K\",\"body\":\"Kay two.\"}\n";
        static const long want_line[] = {1, 3, 4, 5}, want_status[] = {201, 400, 400, 200};
        json_t *items;
        run_one(&r, NULL, "POST", "/v1/articles/_bulk", NDJSON_CT, lines, strlen(lines), 200, &x);
        body = json_loadb(x.body, x.len, 0, NULL);
        items = json_object_get(body, "items");
        cr_expect_eq(json_array_size(items), 4, "%s", x.body);
        for (size_t i = 0; i < 4 && i < json_array_size(items); i++) {
            json_t *it = json_array_get(items, i);
            cr_expect_eq(json_integer_value(json_object_get(it, "line")), want_line[i], "%s",
                         x.body);
            cr_expect_eq(json_integer_value(json_object_get(it, "status")), want_status[i], "%s",
                         x.body);
        }
        cr_expect(json_is_true(json_object_get(body, "errors")));
        cr_expect_eq(json_integer_value(json_object_get(body, "written")), 2);
        cr_expect_eq(json_integer_value(json_object_get(body, "failed")), 2);
        /* a refused line without an id reports none (no generated id), bad JSON neither */
        cr_expect(json_is_null(json_object_get(json_array_get(items, 1), "id")), "%s", x.body);
        cr_expect(json_is_null(json_object_get(json_array_get(items, 2), "id")), "%s", x.body);
        json_decref(body);
        exchange_free(&x);
    }

    /* 2. enough articles to fill pages, then every page of a listing and a search */
    for (int i = 0; i < 30; i++)
        n += (size_t)snprintf(bulk + n, sizeof bulk - n,
                              "{\"id\":\"s-%02d\",\"title\":\"Storm report %d\",\"body\":\"Storm "
                              "number %d reached the coast.\",\"source\":\"%s\",\"published_at\":"
                              "\"2025-02-%02dT08:00:00Z\"}\n",
                              i, i, i, i % 2 ? "AFP" : "AP", i % 28 + 1);
    run_one(&r, NULL, "POST", "/v1/articles/_bulk", NDJSON_CT, bulk, n, 200, &x);
    body = json_loadb(x.body, x.len, 0, NULL);
    cr_expect_eq(json_integer_value(json_object_get(body, "written")), 30, "%s", x.body);
    json_decref(body);
    exchange_free(&x);
    http_send(NULL, srv.port, "GET", "/readyz", NULL, NULL, 0, &x);
    body = json_loadb(x.body, x.len, 0, NULL);
    listed = run_pages(&r, "/v1/articles?limit=7", "articles");
    cr_expect_eq((json_int_t)listed, json_integer_value(json_object_get(body, "articles")),
                 "the pages of the listing hold every article once");
    json_decref(body);
    exchange_free(&x);
    searched = run_pages(&r, "/v1/search?q=storm&limit=7", "hits");
    cr_expect_geq(searched, 31);
    cr_expect_geq(run_pages(&r, "/v1/search?q=storm&limit=4&sort=newest", "hits"), 31);

    /* 2b. revalidation: an answer's ETag sent back is a 304 without a body
     * (GET and HEAD), another tag is the whole answer again */
    {
        static const char *const tagged[] = {"/v1/articles/c-1",
                                             "/v1/entities/person:marco-rubio",
                                             "/v1/stories/1",
                                             "/v1/search?q=storm",
                                             "/",
                                             "/desk/app.js",
                                             NULL};
        for (size_t k = 0; tagged[k] != NULL; k++) {
            char tag[64];
            run_one(&r, NULL, "GET", tagged[k], NULL, NULL, 0, 200, &x);
            snprintf(tag, sizeof tag, "%s",
                     exchange_header(&x, "etag") ? exchange_header(&x, "etag") : "");
            exchange_free(&x);
            cr_expect_neq(tag[0], '\0', "%s: no ETag", tagged[k]);
            send_inm = tag;
            run_one(&r, NULL, "GET", tagged[k], NULL, NULL, 0, 304, &x);
            cr_expect_eq(x.len, 0, "%s: a 304 with a body", tagged[k]);
            exchange_free(&x);
            run_one(&r, NULL, "HEAD", tagged[k], NULL, NULL, 0, 304, &x);
            exchange_free(&x);
            send_inm = "\"0000000000000000\", W/\"1111111111111111\"";
            run_one(&r, NULL, "GET", tagged[k], NULL, NULL, 0, 200, &x);
            exchange_free(&x);
            send_inm = NULL;
        }
    }

    /* 3. requests derived from the document's parameters */
    run_parameter_checks(&r);

    /* 4. more than 32 query parameters: a 400 everywhere */
    for (size_t i = 0; i < nops; i++) {
        const char *ctype, *b;
        size_t len;
        op_request(ops[i].tmpl, ops[i].op, path, sizeof path, &ctype, &b);
        len = strlen(path);
        for (int k = 0; k < 33; k++)
            len += (size_t)snprintf(path + len, sizeof path - len, "%cp%d=1", k ? '&' : '?', k);
        run_one(&r, NULL, ops[i].method, path, ctype, b, b ? strlen(b) : 0, 400, &x);
        exchange_free(&x);
        /* a request target over 8 KiB: a 414 everywhere */
        op_request(ops[i].tmpl, ops[i].op, path, sizeof path, &ctype, &b);
        len = strlen(path);
        len += (size_t)snprintf(path + len, sizeof path - len,
                                "%cpad=", strchr(path, '?') ? '&' : '?');
        memset(path + len, 'a', 8200);
        path[len + 8200] = '\0';
        run_one(&r, NULL, ops[i].method, path, ctype, b, b ? strlen(b) : 0, 414, &x);
        exchange_free(&x);
    }
    cr_expect_eq(apitest_stop(&srv), 0, "server did not exit 0");
    apitest_cleanup(&srv);

    /* 5. small size caps: 413 for every operation, whole bulk requests and
     * lines; and the desk off (--ui off): its page and files are 404s */
    {
        const char *extra[] = {"--max-body", "2048", "--max-bulk", "4096", "--max-bulk-lines",
                               "3",          "--ui", "off",        NULL};
        char *huge = malloc(6000), *line = malloc(4096);
        cr_assert_eq(apitest_start(&srv, NULL, extra), 0);
        memset(huge, 'x', 5999);
        huge[5999] = '\0';
        for (size_t i = 0; i < nops; i++) {
            const char *ctype, *b;
            if (strcmp(ops[i].method, "HEAD") == 0)
                continue; /* libcurl sends no body with HEAD: see step 8 */
            op_request(ops[i].tmpl, ops[i].op, path, sizeof path, &ctype, &b);
            run_one(&r, NULL, ops[i].method, path, ctype ? ctype : "text/plain", huge, strlen(huge),
                    413, &x);
            exchange_free(&x);
        }
        /* a body of 3000 bytes: too big for one article, fine for _bulk */
        n = (size_t)snprintf(bulk, sizeof bulk, "{\"title\":\"t\",\"body\":\"%.2970s\"}", huge);
        run_one(&r, NULL, "POST", "/v1/articles", JSON_CT, bulk, n, 413, &x);
        exchange_free(&x);
        run_one(&r, NULL, "PUT", "/v1/articles/big", JSON_CT, bulk, n, 413, &x);
        exchange_free(&x);
        /* one line over --max-body fails alone */
        memcpy(line, bulk, n + 1);
        n = (size_t)snprintf(bulk, sizeof bulk,
                             "{\"id\":\"ok-1\",\"title\":\"t\",\"body\":\"b\"}\n%s\n", line);
        run_one(&r, NULL, "POST", "/v1/articles/_bulk", NDJSON_CT, bulk, n, 200, &x);
        body = json_loadb(x.body, x.len, 0, NULL);
        cr_expect_eq(json_integer_value(json_object_get(
                         json_array_get(json_object_get(body, "items"), 1), "status")),
                     413, "%s", x.body);
        json_decref(body);
        exchange_free(&x);
        /* four articles where three are allowed */
        n = 0;
        for (int i = 0; i < 4; i++)
            n += (size_t)snprintf(bulk + n, sizeof bulk - n,
                                  "{\"title\":\"t%d\",\"body\":\"b%d\"}\n", i, i);
        run_one(&r, NULL, "POST", "/v1/articles/_bulk", NDJSON_CT, bulk, n, 413, &x);
        exchange_free(&x);
        run_one(&r, NULL, "GET", "/", NULL, NULL, 0, 404, &x);
        exchange_free(&x);
        run_one(&r, NULL, "HEAD", "/", NULL, NULL, 0, 404, &x);
        exchange_free(&x);
        run_one(&r, NULL, "HEAD", "/desk/app.js", NULL, NULL, 0, 404, &x);
        exchange_free(&x);
        cr_expect_eq(apitest_stop(&srv), 0);
        apitest_cleanup(&srv);
        free(huge);
        free(line);
    }

    /* 6. shutting down: requests on connections kept alive get a 503 */
    {
        CURL *handles[64];
        cr_assert_eq(apitest_start(&srv, NULL, NULL), 0);
        for (size_t i = 0; i < nops; i++) {
            handles[i] = curl_easy_init();
            http_send(handles[i], srv.port, "GET", "/healthz", NULL, NULL, 0, &x);
            cr_expect_eq(x.status, 200);
            exchange_free(&x);
        }
        kill(srv.pid, SIGTERM);
        wait_for_log(srv.log, "shutting down");
        for (size_t i = 0; i < nops; i++) {
            const char *ctype, *b;
            op_request(ops[i].tmpl, ops[i].op, path, sizeof path, &ctype, &b);
            run_one(&r, handles[i], ops[i].method, path, ctype, b, b ? strlen(b) : 0, 503, &x);
            exchange_free(&x);
            curl_easy_cleanup(handles[i]);
        }
        cr_expect_eq(apitest_stop(&srv), 0);
        apitest_cleanup(&srv);
    }

    /* 7. API keys (401, 403) and the search limit (429), on a server with a key file */
    {
        const char *extra[] = {"--search-rate", "1", "--search-burst", "1", NULL};
        int limited = 0;
        cr_assert_eq(sec_start_with_keys(&srv, sec_keys_text, extra), 0);
        for (size_t i = 0; i < nops; i++) {
            const char *ctype, *b;
            int open = strcmp(ops[i].tmpl, "/healthz") == 0 || strcmp(ops[i].tmpl, "/readyz") == 0 ||
                       strcmp(ops[i].tmpl, "/") == 0 || strcmp(ops[i].tmpl, "/desk/{file}") == 0;
            int write = strcmp(ops[i].method, "GET") != 0 && strcmp(ops[i].method, "HEAD") != 0 &&
                        strcmp(ops[i].tmpl, "/v1/search/_multi") != 0; /* a read as a POST */
            op_request(ops[i].tmpl, ops[i].op, path, sizeof path, &ctype, &b);
            if (strcmp(ops[i].tmpl, "/v1/search") == 0)
                snprintf(path, sizeof path, "/v1/search?q=storm");
            if (strcmp(ops[i].tmpl, "/desk/{file}") == 0)
                snprintf(path, sizeof path, "/desk/app.js"); /* p-1 is no file: a 404 */
            send_key = NULL;
            run_one(&r, NULL, ops[i].method, path, ctype, b, b ? strlen(b) : 0, open ? 200 : 401,
                    &x);
            exchange_free(&x);
            send_key = "not-a-configured-key";
            run_one(&r, NULL, ops[i].method, path, ctype, b, b ? strlen(b) : 0, open ? 200 : 401,
                    &x);
            exchange_free(&x);
            send_key = SEC_READ_KEY;
            if (write) {
                run_one(&r, NULL, ops[i].method, path, ctype, b, b ? strlen(b) : 0, 403, &x);
                exchange_free(&x);
            }
        }
        /* a burst of one search a second: the second or a later one is a 429 */
        for (int k = 0; k < 6 && !limited; k++) {
            run_one(&r, NULL, "GET", "/v1/search?q=storm", NULL, NULL, 0, 0, &x);
            limited = x.status == 429;
            exchange_free(&x);
        }
        cr_expect(limited, "no 429 from a search rate of 1/s");
        /* ... and so is a HEAD search right after it, and a multi-search */
        run_one(&r, NULL, "HEAD", "/v1/search?q=storm", NULL, NULL, 0, 429, &x);
        exchange_free(&x);
        run_one(&r, NULL, "POST", "/v1/search/_multi", JSON_CT, "{\"queries\":[{\"q\":\"storm\"}]}",
                27, 429, &x);
        exchange_free(&x);
        send_key = NULL;
        cr_expect_eq(apitest_stop(&srv), 0);
        apitest_cleanup(&srv);
    }

    expect_no_problems(r.problems);
    cr_log_info("%zu exchanges checked against the document", r.exchanges);
    cr_expect_gt(r.exchanges, 200, "the test ran too few requests");

    /* 8. every operation was reached, and every status it documents was seen
     * (but 500 and 507, which need a broken disk, and a HEAD's 413, as libcurl
     * sends no body with HEAD: tests/contract/run.sh sends one) */
    for (size_t i = 0; i < nops; i++) {
        char key[512];
        const char *code;
        json_t *resp, *seen;
        snprintf(key, sizeof key, "%s %s", ops[i].method, ops[i].tmpl);
        seen = json_object_get(r.seen, key);
        json_object_foreach(json_object_get(ops[i].op, "responses"), code, resp)
        {
            if (strcmp(code, "500") == 0 || strcmp(code, "507") == 0 ||
                (strcmp(ops[i].method, "HEAD") == 0 && strcmp(code, "413") == 0))
                continue;
            cr_expect_not_null(json_object_get(seen, code),
                               "%s: documents %s, but no request produced it", key, code);
        }
    }
    json_decref(r.problems);
    json_decref(r.seen);
}
