/* fuzz_ndjson.c: libFuzzer harness for NDJSON line splitting (pipeline/ndjson.h). Checks that
 * the lines are exactly the non-blank lines of the input, numbered as the client sent them. */
#include <string.h>

#include "fuzz.h"
#include "pipeline/ndjson.h"

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data, *end = buf + size, *line;
    struct ndjson_iter it;
    size_t len, lineno, n = 0, last = 0, seen_nl = 0, expect = 0;
    const char *scan = buf; /* input consumed up to here */

    /* the expected count: non-blank '\n'-separated pieces */
    for (const char *p = buf; p <= end;) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        const char *e = nl ? nl : end;
        if (!blank(p, (size_t)(e - p)))
            expect++;
        if (nl == NULL)
            break;
        p = nl + 1;
    }

    ndjson_init(&it, buf, size);
    while (ndjson_next(&it, &line, &len, &lineno)) {
        n++;
        FUZZ_CHECK(line >= scan && line + len <= end, "line outside the unread input");
        FUZZ_CHECK(len > 0 && !blank(line, len), "blank line returned (line %zu)", lineno);
        FUZZ_CHECK(memchr(line, '\n', len) == NULL, "line %zu contains a newline", lineno);
        FUZZ_CHECK(line == buf || line[-1] == '\n', "line %zu does not start a line", lineno);
        FUZZ_CHECK(line + len == end || line[len] == '\n' ||
                       (line[len] == '\r' && (line + len + 1 == end || line[len + 1] == '\n')),
                   "line %zu does not end at a newline, a final CR or the end", lineno);
        FUZZ_CHECK(lineno > last, "line numbers do not increase: %zu after %zu", lineno, last);
        /* lineno is one more than the newlines before the line */
        for (const char *p = scan; p < line; p++)
            seen_nl += *p == '\n';
        FUZZ_CHECK(lineno == seen_nl + 1, "line number %zu, %zu newlines before it", lineno,
                   seen_nl);
        scan = line + len;
        last = lineno;
    }
    FUZZ_CHECK(ndjson_next(&it, &line, &len, &lineno) == 0, "iterator restarted after its end");
    FUZZ_CHECK(n == expect, "%zu lines, expected %zu", n, expect);
    FUZZ_CHECK(ndjson_count(buf, size) == n, "ndjson_count %zu, iterations %zu",
               ndjson_count(buf, size), n);
    return 0;
}
