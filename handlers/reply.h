/* reply.h: rendering answers: JSON bodies and RFC 9457 problem details. The
 * one place where an internal error code becomes an HTTP status. */
#ifndef ARTICLED_REPLY_H
#define ARTICLED_REPLY_H

#include <jansson.h>

#include "analysis/error.h"
#include "server/http.h"

/* Sets res to status with body serialised as JSON. Takes ownership of body. */
void reply_json(struct http_response *res, unsigned status, json_t *body);

/* Sets res to a problem+json answer. errors (may be NULL) is an array of
 * {field, message} objects; this takes ownership of it. */
void reply_problem_errors(struct http_response *res, unsigned status, const char *title,
                          const char *detail, json_t *errors);

/* reply_problem_errors without errors[]. */
void reply_problem(struct http_response *res, unsigned status, const char *title,
                   const char *detail);

/* Sets res to a problem+json answer for a limit of the service that the
 * request ran into (an extension member "limit" names it: search-timeout,
 * search-queue, body-memory), with Retry-After: 1. */
void reply_limit(struct http_response *res, unsigned status, const char *limit, const char *detail);

/* The HTTP status for an internal error code. */
unsigned reply_status(enum error_code code);

/* Sets res to the problem that err describes (its field, if any, becomes the
 * one entry of errors[]). */
void reply_error(struct http_response *res, const struct error *err);

/* Sets res to status with a text body copied from text[0..len). */
void reply_text(struct http_response *res, unsigned status, const char *content_type,
                const char *text, size_t len);

#endif
