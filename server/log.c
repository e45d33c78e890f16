/* log.c: event and access log lines (see log.h). */
#include "server/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <unistr.h>

static enum log_format log_fmt = LOG_FORMAT_JSON;
static enum log_level log_min = LOG_INFO;
static int log_access_on = 1;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(enum log_format format, enum log_level min_level, int access)
{
    log_fmt = format;
    log_min = min_level;
    log_access_on = access;
}

static void log_timestamp(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
}

/* A line being built in a fixed buffer. `end` is the last byte it may use
 * (one is kept for the NUL); a piece that does not fit whole is left out,
 * so a line is cut between characters and escapes, never inside one. */
struct log_line {
    char *buf;
    size_t len, end;
};

static int log_put(struct log_line *l, const char *s, size_t n)
{
    if (l->len + n > l->end)
        return -1;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    return 0;
}

static int log_puts(struct log_line *l, const char *s)
{
    return log_put(l, s, strlen(s));
}

/* A code point that must be escaped in a log line: C0 and C1 controls, DEL
 * and the Unicode line and paragraph separators (a line reader may split on
 * any of them). */
static int log_is_control(ucs4_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
}

/* Appends the characters [p, e) escaped: '"' and '\' with a backslash,
 * controls as \uXXXX, and bytes that are not UTF-8 as \ufffd (JSON) or \xHH
 * (text, which also writes \n, \r and \t short). Stops at the first piece
 * that does not fit. */
static void log_put_escaped(struct log_line *l, const uint8_t *p, const uint8_t *e, int text)
{
    static const char hex[] = "0123456789abcdef";

    while (p < e) {
        ucs4_t c;
        int n = u8_mbtoucr(&c, p, (size_t)(e - p));
        char esc[8];
        int rc;
        if (n < 0 && !text) {
            rc = log_puts(l, "\\ufffd");
            n = 1;
        } else if (n < 0) {
            esc[0] = '\\';
            esc[1] = 'x';
            esc[2] = hex[*p >> 4];
            esc[3] = hex[*p & 15];
            rc = log_put(l, esc, 4);
            n = 1;
        } else if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            rc = log_put(l, esc, 2);
        } else if (text && (c == '\n' || c == '\r' || c == '\t')) {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            rc = log_put(l, esc, 2);
        } else if (log_is_control(c)) {
            memcpy(esc, "\\u", 2);
            esc[2] = hex[(c >> 12) & 15];
            esc[3] = hex[(c >> 8) & 15];
            esc[4] = hex[(c >> 4) & 15];
            esc[5] = hex[c & 15];
            rc = log_put(l, esc, 6);
        } else {
            rc = log_put(l, (const char *)p, (size_t)n);
        }
        if (rc != 0)
            return;
        p += n;
    }
}

/* Appends s as the inside of a JSON string, always valid UTF-8 JSON. */
static void log_put_json(struct log_line *l, const char *s)
{
    log_put_escaped(l, (const uint8_t *)s, (const uint8_t *)s + strlen(s), 0);
}

/* Appends s as a text-format value: as it is when it is non-empty printable
 * UTF-8 without spaces, '=', '"' or '\'; otherwise in double quotes, escaped
 * (log_put_escaped), so a value can never end a line or start another
 * field. */
static void log_put_text(struct log_line *l, const char *s)
{
    const uint8_t *p = (const uint8_t *)s, *e = p + strlen(s);
    int plain = p < e;
    size_t closing;

    for (const uint8_t *q = p; plain && q < e;) {
        ucs4_t c;
        int n = u8_mbtoucr(&c, q, (size_t)(e - q));
        if (n < 0 || log_is_control(c) || c == ' ' || c == '=' || c == '"' || c == '\\' ||
            c == 0xa0 || c == 0xfeff)
            plain = 0;
        q += n < 0 ? 1 : n;
    }
    if (plain) {
        log_put_escaped(l, p, e, 1); /* nothing in it is escaped */
        return;
    }
    /* the closing quote is always written: reserve it */
    if (log_put(l, "\"", 1) != 0)
        return;
    closing = l->end;
    l->end--;
    log_put_escaped(l, p, e, 1);
    l->end = closing;
    log_put(l, "\"", 1);
}

/* Appends one field: JSON `,"key":"value"` or text ` key=value` (the first
 * three text fields, ts level msg, as bare values). The value may be cut to
 * fit; the field's frame (key, quotes) is written whole or not at all. */
static void log_put_field(struct log_line *l, enum log_format fmt, const char *key,
                          const char *value, int bare)
{
    size_t start = l->len;

    if (fmt == LOG_FORMAT_JSON) {
        if (log_puts(l, l->len > 1 ? ",\"" : "\"") != 0)
            return;
        log_put_json(l, key);
        if (log_puts(l, "\":\"") != 0 || l->len + 1 > l->end) {
            l->len = start;
            return;
        }
        l->end--; /* the closing quote */
        log_put_json(l, value);
        l->end++;
        log_puts(l, "\"");
        return;
    }
    if (l->len > 0 && log_puts(l, " ") != 0)
        return;
    if (!bare) {
        log_put_text(l, key);
        if (log_puts(l, "=") != 0) {
            l->len = start;
            return;
        }
    }
    log_put_text(l, value);
}

/* A field whose value is already JSON text (a number, true, null...),
 * written whole or not at all. */
static void log_put_raw(struct log_line *l, enum log_format fmt, const char *key, const char *value)
{
    size_t start = l->len;
    int rc;

    if (fmt == LOG_FORMAT_JSON) {
        rc = log_puts(l, ",\"");
        if (rc == 0)
            log_put_json(l, key);
        rc = rc == 0 ? log_puts(l, "\":") : rc;
        rc = rc == 0 ? log_puts(l, value) : rc;
    } else {
        rc = log_puts(l, " ");
        if (rc == 0)
            log_put_text(l, key);
        rc = rc == 0 ? log_puts(l, "=") : rc;
        if (rc == 0)
            log_put_text(l, value);
    }
    if (rc != 0)
        l->len = start;
}

static void log_put_number(struct log_line *l, enum log_format fmt, const char *key, long long v)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    log_put_raw(l, fmt, key, num);
}

/* Closes the line: the JSON object's brace (room for it was kept) and the
 * NUL. Returns the length. */
static size_t log_line_finish(struct log_line *l, enum log_format fmt)
{
    if (fmt == LOG_FORMAT_JSON) {
        l->end++;
        log_puts(l, "}");
    }
    l->buf[l->len] = '\0';
    return l->len;
}

static void log_line_start(struct log_line *l, char *buf, size_t size, enum log_format fmt)
{
    l->buf = buf;
    l->len = 0;
    l->end = size - 1; /* the NUL */
    if (fmt == LOG_FORMAT_JSON) {
        l->end--; /* the closing brace */
        log_puts(l, "{");
    }
}

size_t log_format_access(char *buf, size_t size, enum log_format fmt, const char *ts,
                         const char *method, const char *path, unsigned status, size_t bytes,
                         long long micros, const char *key_name)
{
    struct log_line l;
    size_t path_end;

    if (size < LOG_LINE_MIN) {
        if (size > 0)
            buf[0] = '\0';
        return 0;
    }
    log_line_start(&l, buf, size, fmt);
    log_put_field(&l, fmt, "ts", ts, 1);
    log_put_field(&l, fmt, "level", "info", 1);
    log_put_field(&l, fmt, "msg", "access", 1);
    /* method and path are the client's bytes: capped so the numbers and
     * the key's name always fit after them */
    path_end = l.end;
    l.end = l.len + 64 < path_end ? l.len + 64 : path_end;
    log_put_field(&l, fmt, "method", method, 0);
    l.end = path_end > 160 ? path_end - 160 : l.len;
    if (l.end < l.len)
        l.end = l.len;
    log_put_field(&l, fmt, "path", path, 0);
    l.end = path_end;
    log_put_number(&l, fmt, "status", status);
    log_put_number(&l, fmt, "bytes", (long long)bytes);
    log_put_number(&l, fmt, "us", micros);
    if (key_name != NULL)
        log_put_field(&l, fmt, "key", key_name, 0);
    return log_line_finish(&l, fmt);
}

static void log_write_line(char *line, size_t len)
{
    ssize_t n;
    line[len] = '\n';
    n = write(STDOUT_FILENO, line, len + 1);
    (void)n; /* a lost log line must not stop the service */
    line[len] = '\0';
}

/* Renders an event (ts, level, msg, then fields' members in order) and
 * writes it. Numbers, booleans and null are written as JSON values in both
 * formats; strings through the same escaping as access lines. */
static void log_emit(const char *ts, const char *level, const char *msg, const json_t *fields)
{
    char line[LOG_LINE_MAX + 1];
    struct log_line l;
    const char *key;
    json_t *value;

    log_line_start(&l, line, LOG_LINE_MAX, log_fmt);
    log_put_field(&l, log_fmt, "ts", ts, 1);
    log_put_field(&l, log_fmt, "level", level, 1);
    log_put_field(&l, log_fmt, "msg", msg, 1);
    if (fields != NULL) {
        json_object_foreach((json_t *)fields, key, value)
        {
            if (json_is_string(value)) {
                log_put_field(&l, log_fmt, key, json_string_value(value), 0);
            } else {
                char *v = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
                if (v != NULL)
                    log_put_raw(&l, log_fmt, key, v);
                free(v);
            }
        }
    }
    log_write_line(line, log_line_finish(&l, log_fmt));
}

void log_event(enum log_level level, const char *msg, const json_t *fields)
{
    char ts[80];

    if (level < log_min)
        return;
    log_timestamp(ts, sizeof ts);
    log_emit(ts, level_names[level], msg, fields);
}

void log_access(const char *method, const char *path, unsigned status, size_t bytes,
                long long micros, const char *key_name)
{
    char ts[80], line[LOG_LINE_MAX + 1];
    size_t n;

    if (LOG_INFO < log_min || !log_access_on)
        return;
    log_timestamp(ts, sizeof ts);
    n = log_format_access(line, LOG_LINE_MAX, log_fmt, ts, method, path, status, bytes, micros,
                          key_name);
    log_write_line(line, n);
}
