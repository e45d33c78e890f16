/* log.h: event and access log lines on stdout, JSON (one object a line) or text.
 * Each line goes out in one write(2), so lines from threads never interleave. */
#ifndef ARTICLED_LOG_H
#define ARTICLED_LOG_H

#include <jansson.h>

#include "server/config.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the format, the lowest level written and whether access lines are
 * written (default: JSON, info, yes). */
void log_setup(enum log_format format, enum log_level min_level, int access);

/* Writes one event line: level, msg and the members of fields (borrowed, may be
 * NULL). Skips all work when level is below the configured minimum. */
void log_event(enum log_level level, const char *msg, const json_t *fields);

/* Longest line written (bytes, without the newline); fields are cut to fit,
 * between characters. */
#define LOG_LINE_MAX 4096
#define LOG_LINE_MIN 256 /* the smallest buffer log_format_access fills */

/* Formats one access line into buf[0, size) (no newline), NUL-terminated, and
 * returns its length; 0 when size < LOG_LINE_MIN. method, path and key_name
 * (may be NULL) are any bytes from the client: JSON lines are always valid
 * UTF-8 JSON (bytes that are not UTF-8 become U+FFFD, controls are escaped);
 * text lines quote and escape any value with spaces, '=', quotes, controls
 * or bytes that are not UTF-8, so one request is always one line with its
 * own fields. Pure: for tests and the fuzzer. */
size_t log_format_access(char *buf, size_t size, enum log_format fmt, const char *ts,
                         const char *method, const char *path, unsigned status, size_t bytes,
                         long long micros, const char *key_name);

/* Writes one access line. key_name may be NULL. */
void log_access(const char *method, const char *path, unsigned status, size_t bytes,
                long long micros, const char *key_name);

#endif
