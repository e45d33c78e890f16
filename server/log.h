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

/* Writes one access line. key_name may be NULL. */
void log_access(const char *method, const char *path, unsigned status, size_t bytes,
                long long micros, const char *key_name);

#endif
