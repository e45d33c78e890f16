/* log.c: event and access log lines (see log.h). */
#include "server/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static void log_write_line(char *line)
{
    size_t len = strlen(line);
    ssize_t n;
    line[len] = '\n';
    n = write(STDOUT_FILENO, line, len + 1);
    (void)n; /* a lost log line must not stop the service */
    line[len] = '\0';
}

/* Renders obj (owned by the caller) as one line, JSON or key=value text. */
static void log_emit(json_t *obj)
{
    char *line = NULL;

    if (log_fmt == LOG_FORMAT_JSON) {
        char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s != NULL) {
            line = realloc(s, strlen(s) + 2);
            if (line == NULL)
                free(s);
        }
    } else {
        size_t cap = 256, len = 0;
        const char *key;
        json_t *value;
        line = malloc(cap);
        if (line == NULL)
            return;
        line[0] = '\0';
        json_object_foreach(obj, key, value)
        {
            char *v = json_is_string(value) ? strdup(json_string_value(value))
                                            : json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
            size_t need = strlen(key) + (v ? strlen(v) : 0) + 4;
            if (len + need + 2 > cap) {
                char *bigger;
                while (len + need + 2 > cap)
                    cap *= 2;
                bigger = realloc(line, cap);
                if (bigger == NULL) {
                    free(v);
                    break;
                }
                line = bigger;
            }
            if (strcmp(key, "ts") == 0 || strcmp(key, "level") == 0 || strcmp(key, "msg") == 0)
                len += (size_t)sprintf(line + len, "%s%s", len ? " " : "", v ? v : "");
            else
                len += (size_t)sprintf(line + len, " %s=%s", key, v ? v : "");
            free(v);
        }
    }
    if (line != NULL)
        log_write_line(line);
    free(line);
}

void log_event(enum log_level level, const char *msg, const json_t *fields)
{
    char ts[80];
    json_t *obj;

    if (level < log_min)
        return;
    log_timestamp(ts, sizeof ts);
    obj = json_object();
    if (obj == NULL)
        return;
    json_object_set_new(obj, "ts", json_string(ts));
    json_object_set_new(obj, "level", json_string(level_names[level]));
    json_object_set_new(obj, "msg", json_string(msg));
    if (fields != NULL)
        json_object_update(obj, (json_t *)fields);
    log_emit(obj);
    json_decref(obj);
}

/* Appends s as a JSON string body (no quotes) to buf[*len..size), escaping
 * what JSON requires; stops short rather than overflow (the caller leaves
 * room). */
static void log_json_escape(char *buf, size_t *len, size_t size, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = *len;
    for (; *s && n + 7 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else if (c < 0x20) {
            buf[n++] = '\\';
            buf[n++] = 'u';
            buf[n++] = '0';
            buf[n++] = '0';
            buf[n++] = hex[c >> 4];
            buf[n++] = hex[c & 15];
        } else {
            buf[n++] = (char)c;
        }
    }
    *len = n;
}

void log_access(const char *method, const char *path, unsigned status, size_t bytes,
                long long micros, const char *key_name)
{
    char ts[80], line[4200];
    size_t n;
    json_t *obj;

    if (LOG_INFO < log_min || !log_access_on)
        return;
    log_timestamp(ts, sizeof ts);
    if (log_fmt == LOG_FORMAT_JSON) {
        /* written by hand: one line a request, and jansson's objects and
         * allocations cost more than the request itself on /healthz */
        n = (size_t)snprintf(line, sizeof line,
                             "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"access\",\"method\":\"",
                             ts);
        log_json_escape(line, &n, 64 + n, method);
        n += (size_t)snprintf(line + n, sizeof line - n, "\",\"path\":\"");
        log_json_escape(line, &n, sizeof line - 300, path);
        n += (size_t)snprintf(line + n, sizeof line - n,
                              "\",\"status\":%u,\"bytes\":%zu,\"us\":%lld", status, bytes, micros);
        if (key_name != NULL) {
            n += (size_t)snprintf(line + n, sizeof line - n, ",\"key\":\"");
            log_json_escape(line, &n, sizeof line - 8, key_name);
            line[n++] = '"';
        }
        line[n++] = '}';
        line[n] = '\0';
        log_write_line(line);
        return;
    }
    obj = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "ts", ts, "level", "info", "msg", "access",
                    "method", method, "path", path, "status", (json_int_t)status, "bytes",
                    (json_int_t)bytes, "us", (json_int_t)micros);
    if (obj == NULL)
        return;
    if (key_name != NULL)
        json_object_set_new(obj, "key", json_string(key_name));
    log_emit(obj);
    json_decref(obj);
}
