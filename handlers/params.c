/* params.c: query-parameter parsing shared by the handlers (see handlers.h).
 * Every failure is a 400 (or 415/422) problem naming the parameter. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/datetime.h"
#include "analysis/utf8.h"
#include "handlers/handlers.h"
#include "server/reply.h"

void params_fail(struct http_response *res, enum error_code code, const char *field,
                 const char *msg)
{
    json_t *errors = json_pack("[{s:s,s:s}]", "field", field, "message", msg);
    reply_fail_errors(res, code, msg, errors);
}

int params_content_type(const struct http_request *req, const char *want, struct http_response *res)
{
    const char *ct = http_request_header(req, "Content-Type");
    size_t n = strlen(want);
    char msg[160];

    if (ct != NULL) {
        while (*ct == ' ')
            ct++;
        if (strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
            return 0;
    }
    snprintf(msg, sizeof msg, "the request body must be sent as Content-Type: %s", want);
    reply_fail(res, ERR_MEDIA_TYPE, msg);
    return -1;
}

int params_string(const struct http_request *req, const char *name, size_t max, const char **out,
                  struct http_response *res)
{
    const char *v = http_request_arg(req, name, NULL);
    char msg[160];

    *out = NULL;
    if (v == NULL || *v == '\0')
        return 0;
    if (utf8_check(v, strlen(v), NULL) != 0) {
        snprintf(msg, sizeof msg, "'%s' is not valid UTF-8", name);
        params_fail(res, ERR_UNPROCESSABLE, name, msg);
        return -1;
    }
    if (strlen(v) > max) {
        snprintf(msg, sizeof msg, "'%s' is longer than %zu bytes", name, max);
        params_fail(res, ERR_INVALID, name, msg);
        return -1;
    }
    *out = v;
    return 0;
}

int params_choice(const struct http_request *req, const char *name, const char *const *names,
                  int *out, struct http_response *res)
{
    const char *v = NULL;
    char msg[160];
    size_t n = 0;

    *out = 0;
    if (params_string(req, name, 32, &v, res) != 0)
        return -1;
    if (v == NULL)
        return 0;
    for (int i = 0; names[i] != NULL; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    n = (size_t)snprintf(msg, sizeof msg, "'%s' must be", name);
    for (int i = 0; names[i] != NULL && n < sizeof msg; i++) {
        const char *sep = i == 0 ? "" : names[i + 1] != NULL ? "," : " or";
        n += (size_t)snprintf(msg + n, sizeof msg - n, "%s %s", sep, names[i]);
    }
    params_fail(res, ERR_INVALID, name, msg);
    return -1;
}

int params_limit(const struct http_request *req, unsigned dflt, unsigned max, unsigned *out,
                 struct http_response *res)
{
    const char *v = http_request_arg(req, "limit", NULL);
    char *end = NULL;
    long n;
    char msg[96];

    *out = dflt;
    if (v == NULL)
        return 0;
    errno = 0;
    n = strtol(v, &end, 10);
    if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n < 1 || n > (long)max) {
        snprintf(msg, sizeof msg, "'limit' must be a whole number from 1 to %u", max);
        params_fail(res, ERR_INVALID, "limit", msg);
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

int params_time(const struct http_request *req, const char *name, int64_t dflt, int64_t *out,
                struct http_response *res)
{
    const char *v = http_request_arg(req, name, NULL);
    char msg[160];

    *out = dflt;
    if (v == NULL)
        return 0;
    if (datetime_parse(v, strlen(v), 1, out) != 0) {
        snprintf(msg, sizeof msg,
                 "'%s' must be an RFC 3339 date-time (2025-03-01T12:00:00Z) or a date "
                 "(2025-03-01)",
                 name);
        params_fail(res, ERR_INVALID, name, msg);
        return -1;
    }
    return 0;
}

int params_double(const struct http_request *req, const char *name, double min, double max,
                  double dflt, double *out, struct http_response *res)
{
    const char *v = http_request_arg(req, name, NULL);
    char *end = NULL;
    double d;
    char msg[128];

    *out = dflt;
    if (v == NULL)
        return 0;
    errno = 0;
    d = strtod(v, &end);
    if (*v == '\0' || *end != '\0' || errno != 0 || !(d >= min && d <= max)) {
        snprintf(msg, sizeof msg, "'%s' must be a number from %g to %g", name, min, max);
        params_fail(res, ERR_INVALID, name, msg);
        return -1;
    }
    *out = d;
    return 0;
}
