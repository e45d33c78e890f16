/* ndjson.c: NDJSON line splitting (see ndjson.h). */
#include "pipeline/ndjson.h"

#include <string.h>

void ndjson_init(struct ndjson_iter *it, const char *buf, size_t len)
{
    it->p = buf;
    it->end = buf + len;
    it->lineno = 0;
}

static int ndjson_blank(const char *s, const char *e)
{
    for (; s < e; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r')
            return 0;
    return 1;
}

int ndjson_next(struct ndjson_iter *it, const char **line, size_t *len, size_t *lineno)
{
    while (it->p < it->end) {
        const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
        const char *s = it->p, *e = nl ? nl : it->end;
        it->p = nl ? nl + 1 : it->end;
        it->lineno++;
        if (ndjson_blank(s, e))
            continue;
        if (e > s && e[-1] == '\r')
            e--;
        *line = s;
        *len = (size_t)(e - s);
        *lineno = it->lineno;
        return 1;
    }
    return 0;
}

size_t ndjson_count(const char *buf, size_t len)
{
    struct ndjson_iter it;
    const char *line;
    size_t n = 0, l, no;
    ndjson_init(&it, buf, len);
    while (ndjson_next(&it, &line, &l, &no))
        n++;
    return n;
}
