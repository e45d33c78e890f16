/* Unit tests for server/reply: the one map from error codes to HTTP
 * statuses, and the problem answers built on it. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/reply.h"

Test(reply, status_of_every_code)
{
    static const struct {
        enum error_code code;
        unsigned status;
    } map[] = {
        {ERR_NONE, 200},       {ERR_INVALID, 400},  {ERR_UNPROCESSABLE, 422},
        {ERR_NOT_FOUND, 404},  {ERR_CONFLICT, 409}, {ERR_TOO_LARGE, 413},
        {ERR_MEDIA_TYPE, 415}, {ERR_FULL, 507},     {ERR_UNAVAILABLE, 503},
        {ERR_TIMEOUT, 503},    {ERR_INTERNAL, 500},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        cr_expect_eq(reply_status(map[i].code), map[i].status, "code %d", (int)map[i].code);
}

/* Parses res's problem body; checks its type, status and title. */
static json_t *problem_of(const struct http_response *res, unsigned status, const char *title)
{
    json_t *p = json_loadb(res->body, res->len, 0, NULL);
    cr_assert_not_null(p, "not JSON: %s", res->body);
    cr_expect_eq(res->status, status);
    cr_expect_str_eq(res->content_type, "application/problem+json");
    cr_expect_eq(json_integer_value(json_object_get(p, "status")), (json_int_t)status);
    cr_expect_str_eq(json_string_value(json_object_get(p, "title")), title);
    return p;
}

Test(reply, fail_takes_its_status_from_the_code)
{
    struct http_response res = {0};
    json_t *p;

    reply_fail(&res, ERR_MEDIA_TYPE, "send JSON");
    p = problem_of(&res, 415, "Unsupported Media Type");
    cr_expect_str_eq(json_string_value(json_object_get(p, "detail")), "send JSON");
    cr_expect_eq(res.retry_after, 0);
    json_decref(p);
    free(res.body);

    memset(&res, 0, sizeof res);
    reply_fail(&res, ERR_CONFLICT, "busy");
    json_decref(problem_of(&res, 409, "Conflict"));
    free(res.body);

    memset(&res, 0, sizeof res);
    reply_fail(&res, ERR_UNAVAILABLE, "stopping");
    json_decref(problem_of(&res, 503, "Service Unavailable"));
    cr_expect_eq(res.retry_after, 1);
    free(res.body);

    memset(&res, 0, sizeof res);
    reply_fail(&res, ERR_FULL, "disk full");
    json_decref(problem_of(&res, 507, "Insufficient Storage"));
    cr_expect_eq(res.retry_after, 30);
    free(res.body);

    memset(&res, 0, sizeof res);
    reply_fail(&res, ERR_TIMEOUT, "ignored");
    p = problem_of(&res, 503, "Service Unavailable");
    cr_expect_str_eq(json_string_value(json_object_get(p, "limit")), "search-timeout");
    cr_expect_eq(res.retry_after, 1);
    json_decref(p);
    free(res.body);
}

Test(reply, errors_name_the_field)
{
    struct http_response res = {0};
    struct error err = {0};
    json_t *p, *e;

    error_set_field(&err, ERR_INVALID, "limit", "'limit' must be 1 to 100");
    reply_error(&res, &err);
    p = problem_of(&res, 400, "Bad Request");
    e = json_array_get(json_object_get(p, "errors"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(e, "field")), "limit");
    cr_expect_str_eq(json_string_value(json_object_get(e, "message")), "'limit' must be 1 to 100");
    json_decref(p);
    free(res.body);

    memset(&res, 0, sizeof res);
    reply_fail_errors(&res, ERR_NOT_FOUND, "no article",
                      json_pack("[{s:s,s:s}]", "field", "id", "message", "bad id"));
    p = problem_of(&res, 404, "Not Found");
    cr_expect_str_eq(json_string_value(json_object_get(p, "detail")), "no article");
    cr_expect_eq(json_array_size(json_object_get(p, "errors")), 1);
    json_decref(p);
    free(res.body);
}
