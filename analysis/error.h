/* error.h: the error record every layer fills for its caller.
 * Functions return 0 / -1 and write why into a caller's struct error; only the
 * HTTP layer turns an error code into an HTTP status (reply_status in
 * server/reply.c). */
#ifndef ARTICLED_ERROR_H
#define ARTICLED_ERROR_H

#include <stdarg.h>

enum error_code {
    ERR_NONE = 0,
    ERR_INVALID,       /* malformed input: bad JSON, bad field, bad query (400) */
    ERR_UNPROCESSABLE, /* well-formed but semantically wrong: bad UTF-8, bad date (422) */
    ERR_NOT_FOUND,     /* 404 */
    ERR_CONFLICT,      /* 409 */
    ERR_TOO_LARGE,     /* 413 */
    ERR_MEDIA_TYPE,    /* the body's Content-Type is not the one the route takes (415) */
    ERR_GONE,          /* what was asked for is no longer kept (410) */
    ERR_FULL,          /* storage full (507) */
    ERR_UNAVAILABLE,   /* shutting down or not ready (503) */
    ERR_TIMEOUT,       /* a read ran past its time budget (503, --search-timeout) */
    ERR_INTERNAL       /* a bug or an I/O failure (500) */
};

struct error {
    enum error_code code;
    char field[64]; /* the offending field for validation errors, or "" */
    char msg[256];
};

/* Fills e (if not NULL) with code, no field and a printf-style message. */
void error_set(struct error *e, enum error_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like error_set, naming the offending field. */
void error_set_field(struct error *e, enum error_code code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Resets e to ERR_NONE. */
void error_clear(struct error *e);

#endif
