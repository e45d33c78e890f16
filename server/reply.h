/* reply.h: rendering answers: JSON bodies and RFC 9457 problem details. The
 * one place where an internal error code becomes an HTTP status
 * (reply_status): handlers answer a failure with reply_fail or reply_error,
 * never with a literal status. */
#ifndef ARTICLED_REPLY_H
#define ARTICLED_REPLY_H

#include <jansson.h>

#include "analysis/error.h"
#include "server/http.h"

/* Sets res to status with body serialised as JSON. Takes ownership of body. */
void reply_json(struct http_response *res, unsigned status, json_t *body);

/* Sets res to a problem+json answer with a literal status. errors (may be
 * NULL) is an array of {field, message} objects; this takes ownership of it.
 * For the HTTP layer's own refusals that no error code stands for (401, 403,
 * 405, 414, 429, 501); everything else goes through reply_fail. */
void reply_problem_errors(struct http_response *res, unsigned status, const char *title,
                          const char *detail, json_t *errors);

/* Marks res as an answer clients keep and revalidate: a 200 gets an ETag
 * (If-None-Match then answers 304 without the body) and Cache-Control:
 * no-cache. Call before filling it. */
void reply_revalidate(struct http_response *res);

/* The status phrase of an HTTP status ("Not Found"), for a problem's title. */
const char *reply_reason(unsigned status);

/* reply_problem_errors without errors[]. */
void reply_problem(struct http_response *res, unsigned status, const char *title,
                   const char *detail);

/* Sets res to the problem for code: its status is reply_status(code), with
 * Retry-After for 503 (1 s) and 507 (30 s); ERR_TIMEOUT is the
 * search-timeout limit answer (detail unused). errors (may be NULL) is an
 * array of {field, message} objects; this takes ownership of it. */
void reply_fail_errors(struct http_response *res, enum error_code code, const char *detail,
                       json_t *errors);

/* reply_fail_errors without errors[]. */
void reply_fail(struct http_response *res, enum error_code code, const char *detail);

/* Sets res to a problem+json answer for a limit of the service that the
 * request ran into (an extension member "limit" names it: search-timeout,
 * search-queue, body-memory), with Retry-After: 1. */
void reply_limit(struct http_response *res, unsigned status, const char *limit, const char *detail);

/* The HTTP status for an internal error code: the only such mapping. */
unsigned reply_status(enum error_code code);

/* Sets res to the problem that err describes (reply_fail_errors; its field,
 * if any, becomes the one entry of errors[]). */
void reply_error(struct http_response *res, const struct error *err);

/* Sets res to status with a text body copied from text[0..len). */
void reply_text(struct http_response *res, unsigned status, const char *content_type,
                const char *text, size_t len);

#endif
