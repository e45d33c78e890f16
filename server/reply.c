/* reply.c: JSON and problem+json answers (see reply.h). */
#include "server/reply.h"

#include <stdlib.h>
#include <string.h>

const char *reply_reason(unsigned status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 507:
        return "Insufficient Storage";
    default:
        return "Internal Server Error";
    }
}

void reply_json(struct http_response *res, unsigned status, json_t *body)
{
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    if (s == NULL) {
        res->status = 500;
        res->body = strdup("{\"type\":\"about:blank\",\"title\":\"Internal Server Error\","
                           "\"status\":500,\"detail\":\"cannot render the answer\"}");
        res->len = res->body ? strlen(res->body) : 0;
        res->content_type = "application/problem+json";
        return;
    }
    res->status = status;
    res->body = s;
    res->len = strlen(s);
    res->content_type = "application/json";
}

void reply_problem_errors(struct http_response *res, unsigned status, const char *title,
                          const char *detail, json_t *errors)
{
    json_t *p = json_object();
    (void)title; /* with type about:blank, the title is the status phrase (RFC 9457 4.2.1) */
    json_object_set_new(p, "type", json_string("about:blank"));
    json_object_set_new(p, "title", json_string(reply_reason(status)));
    json_object_set_new(p, "status", json_integer(status));
    if (detail != NULL) {
        json_t *d = json_string(detail);
        json_object_set_new(p, "detail", d ? d : json_string("(detail not valid UTF-8)"));
    }
    if (errors != NULL)
        json_object_set_new(p, "errors", errors);
    reply_json(res, status, p);
    res->content_type = "application/problem+json";
}

void reply_problem(struct http_response *res, unsigned status, const char *title,
                   const char *detail)
{
    reply_problem_errors(res, status, title, detail, NULL);
}

unsigned reply_status(enum error_code code)
{
    switch (code) {
    case ERR_NONE:
        return 200;
    case ERR_INVALID:
        return 400;
    case ERR_UNPROCESSABLE:
        return 422;
    case ERR_NOT_FOUND:
        return 404;
    case ERR_CONFLICT:
        return 409;
    case ERR_TOO_LARGE:
        return 413;
    case ERR_MEDIA_TYPE:
        return 415;
    case ERR_GONE:
        return 410;
    case ERR_FULL:
        return 507;
    case ERR_UNAVAILABLE:
    case ERR_TIMEOUT:
        return 503;
    case ERR_INTERNAL:
        return 500;
    }
    return 500;
}

void reply_limit(struct http_response *res, unsigned status, const char *limit, const char *detail)
{
    json_t *p =
        json_pack("{s:s,s:s,s:i,s:s,s:s}", "type", "about:blank", "title", reply_reason(status),
                  "status", (int)status, "detail", detail, "limit", limit);
    reply_json(res, status, p);
    res->content_type = "application/problem+json";
    res->retry_after = 1;
}

void reply_fail_errors(struct http_response *res, enum error_code code, const char *detail,
                       json_t *errors)
{
    unsigned status = reply_status(code);
    if (code == ERR_TIMEOUT) {
        json_decref(errors);
        reply_limit(res, 503, "search-timeout",
                    "the request ran past --search-timeout and was stopped: narrow it (fewer "
                    "prefixes or alternatives, a source, a from/to window)");
        return;
    }
    reply_problem_errors(res, status, NULL, detail, errors);
    if (status == 503 || status == 507)
        res->retry_after = status == 503 ? 1 : 30;
}

void reply_fail(struct http_response *res, enum error_code code, const char *detail)
{
    reply_fail_errors(res, code, detail, NULL);
}

void reply_error(struct http_response *res, const struct error *err)
{
    json_t *errors = NULL;
    if (err->field[0] != '\0' && err->code != ERR_TIMEOUT)
        errors = json_pack("[{s:s,s:s}]", "field", err->field, "message", err->msg);
    reply_fail_errors(res, err->code, err->msg, errors);
}

void reply_text(struct http_response *res, unsigned status, const char *content_type,
                const char *text, size_t len)
{
    res->body = malloc(len + 1);
    if (res->body == NULL) {
        reply_fail(res, ERR_INTERNAL, "out of memory");
        return;
    }
    memcpy(res->body, text, len);
    res->body[len] = '\0';
    res->len = len;
    res->status = status;
    res->content_type = content_type;
}

void reply_revalidate(struct http_response *res)
{
    res->etag = 1;
    res->cache_control = "no-cache";
}
