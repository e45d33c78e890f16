/* Unit tests for server/log's access line: any bytes from the client give one
 * line with its own fields, valid UTF-8 JSON in the JSON format. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "analysis/utf8.h"
#include "server/log.h"

#define TS "2026-12-07T10:00:00.000Z"

/* Parses a JSON access line and checks it is one valid UTF-8 object. */
static json_t *parse_line(const char *line, size_t n)
{
    json_error_t e;
    json_t *j;
    cr_assert_eq(strlen(line), n);
    cr_assert_null(memchr(line, '\n', n), "a newline inside the line");
    cr_assert_eq(utf8_check(line, n, NULL), 0, "not UTF-8: %s", line);
    j = json_loadb(line, n, 0, &e);
    cr_assert_not_null(j, "not JSON (%s): %s", e.text, line);
    return j;
}

Test(log, json_escapes_controls_and_invalid_bytes)
{
    char line[LOG_LINE_MAX + 1];
    size_t n = log_format_access(line, sizeof line, LOG_FORMAT_JSON, TS, "G\xffT",
                                 "/v1/a\n{\"x\":1}\x7f\xc3", 404, 12, 34, "dash");
    json_t *j = parse_line(line, n);
    cr_expect_str_eq(json_string_value(json_object_get(j, "method")), "G\xef\xbf\xbdT");
    cr_expect_str_eq(json_string_value(json_object_get(j, "path")),
                     "/v1/a\n{\"x\":1}\x7f\xef\xbf\xbd");
    cr_expect_eq(json_integer_value(json_object_get(j, "status")), 404);
    cr_expect_str_eq(json_string_value(json_object_get(j, "key")), "dash");
    json_decref(j);
}

Test(log, json_long_path_cut_between_characters)
{
    char path[9000], line[LOG_LINE_MAX + 1];
    size_t n, k = 0;
    path[k++] = '/';
    while (k + 2 < sizeof path) { /* "é" and "\"" alternating */
        memcpy(path + k, (k % 3) ? "\xc3\xa9" : "\"\x01", 2);
        k += 2;
    }
    path[k] = '\0';
    for (size_t size = LOG_LINE_MIN; size <= sizeof line; size += 37) {
        n = log_format_access(line, size, LOG_FORMAT_JSON, TS, "GET", path, 200, 1, 2, "wire");
        cr_assert_lt(n, size);
        json_t *j = parse_line(line, n);
        cr_expect_eq(json_integer_value(json_object_get(j, "us")), 2, "size %zu", size);
        cr_expect_str_eq(json_string_value(json_object_get(j, "key")), "wire");
        json_decref(j);
    }
}

Test(log, text_fields_cannot_be_forged)
{
    char line[LOG_LINE_MAX + 1];
    size_t n = log_format_access(line, sizeof line, LOG_FORMAT_TEXT, TS, "GET",
                                 "/x\n2026 info access key=writer status=200", 404, 0, 5, NULL);
    cr_expect_null(memchr(line, '\n', n));
    /* the path is one quoted value; the only key= is nowhere outside it */
    cr_expect_not_null(strstr(line, " path=\"/x\\n2026 info access key=writer status=200\""), "%s",
                       line);
    cr_expect_not_null(strstr(line, " status=404 "), "%s", line);
    cr_expect_null(strstr(line, "\" key="), "%s", line);
    n = log_format_access(line, sizeof line, LOG_FORMAT_TEXT, TS, "GET", "/v1/entities/caf\xc3\xa9",
                          200, 10, 5, "dash");
    cr_expect_str_eq(line, TS " info access method=GET path=/v1/entities/caf\xc3\xa9 status=200 "
                              "bytes=10 us=5 key=dash");
    n = log_format_access(line, sizeof line, LOG_FORMAT_TEXT, TS, "GET", "/a\xff\"b", 200, 1, 1,
                          NULL);
    cr_expect_not_null(strstr(line, " path=\"/a\\xff\\\"b\" "), "%s", line);
    (void)n;
}

Test(log, json_plain_line_shape)
{
    char line[LOG_LINE_MAX + 1];
    log_format_access(line, sizeof line, LOG_FORMAT_JSON, TS, "POST", "/v1/articles", 201, 99, 7,
                      NULL);
    cr_expect_str_eq(line, "{\"ts\":\"" TS "\",\"level\":\"info\",\"msg\":\"access\",\"method\":"
                           "\"POST\",\"path\":\"/v1/articles\",\"status\":201,\"bytes\":99,"
                           "\"us\":7}");
}
