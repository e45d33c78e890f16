/* fuzz_log.c: libFuzzer harness for the access log line (server/log.h). Whatever bytes a client
 * puts in the method, path or key name, and whatever the buffer's size, a JSON line is one line
 * of valid UTF-8 that parses as one JSON object holding the request's numbers, and a text line is
 * one line of printable UTF-8 whose fields after the path are the line's own.
 * The input is split at the first two 0xff 0x00 pairs into method, path and key name; its first
 * byte also picks the buffer size. */
#include <jansson.h>
#include <string.h>

#include "analysis/utf8.h"
#include "fuzz.h"
#include "server/log.h"

#define TS "2026-12-07T10:00:00.000Z"

/* The next part of data up to a 0xff 0x00 pair (a new string), advancing *pos. */
static char *next_part(const uint8_t *data, size_t size, size_t *pos)
{
    size_t start = *pos, end = start;
    while (end + 1 < size && !(data[end] == 0xff && data[end + 1] == 0x00))
        end++;
    if (end + 1 >= size)
        end = size;
    *pos = end < size ? end + 2 : size;
    /* C strings: the service never sees a NUL inside one */
    char *s = fuzz_strndup(data + start, end - start);
    for (size_t i = 0; i < end - start; i++)
        if (s[i] == '\0')
            s[i] = ' ';
    return s;
}

static void check_line(const char *line, size_t n, size_t size, enum log_format fmt)
{
    FUZZ_CHECK(n < size, "%zu bytes in a buffer of %zu", n, size);
    FUZZ_CHECK(strlen(line) == n, "length %zu, strlen %zu", n, strlen(line));
    FUZZ_CHECK(memchr(line, '\n', n) == NULL && memchr(line, '\r', n) == NULL, "a line break: %s",
               line);
    FUZZ_CHECK(utf8_check(line, n, NULL) == 0, "not UTF-8: %s", line);
    if (fmt == LOG_FORMAT_JSON) {
        json_error_t e;
        json_t *j = json_loadb(line, n, 0, &e);
        FUZZ_CHECK(j != NULL && json_is_object(j), "not a JSON object (%s): %s", e.text, line);
        FUZZ_CHECK(json_integer_value(json_object_get(j, "status")) == 404, "status: %s", line);
        FUZZ_CHECK(json_integer_value(json_object_get(j, "us")) == 77, "us: %s", line);
        json_decref(j);
    } else {
        /* the numbers after the path are whole fields of their own */
        FUZZ_CHECK(strstr(line, " status=404 bytes=12345 us=77") != NULL, "fields: %s", line);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK((unsigned char)line[i] >= 0x20 && line[i] != 0x7f, "control at %zu: %s", i,
                       line);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char line[LOG_LINE_MAX + 1];
    size_t pos = size > 0 ? 1 : 0;
    size_t bufsize = LOG_LINE_MIN + (size > 0 ? data[0] * 15u : 0u);
    char *method = next_part(data, size, &pos), *path = next_part(data, size, &pos),
         *key = next_part(data, size, &pos);

    if (bufsize > sizeof line)
        bufsize = sizeof line;
    for (int f = 0; f < 2; f++) {
        enum log_format fmt = f ? LOG_FORMAT_TEXT : LOG_FORMAT_JSON;
        size_t sizes[2] = {bufsize, sizeof line};
        for (int k = 0; k < 2; k++) {
            size_t n = log_format_access(line, sizes[k], fmt, TS, method, path, 404, 12345, 77,
                                         key[0] ? key : NULL);
            check_line(line, n, sizes[k], fmt);
        }
    }
    free(method);
    free(path);
    free(key);
    return 0;
}
