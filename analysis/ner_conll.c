/* ner_conll.c: CoNLL-2003 reader for the NER tools (see ner_conll.h). */
#include "analysis/ner_conll.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/ner_model.h"
#include "analysis/utf8.h"

struct builder {
    char *text;
    size_t len, cap;
    size_t n, tcap;
    size_t *bs, *be, *cs, *ce;
    uint8_t *tags;
    size_t cps;
};

static int text_put(struct builder *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->text, cap);
        if (p == NULL)
            return -1;
        b->text = p;
        b->cap = cap;
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = '\0';
    b->cps += utf8_count(s, n);
    return 0;
}

static int tok_put(struct builder *b, const char *s, size_t n, int tag)
{
    if (b->n == b->tcap) {
        size_t cap = b->tcap ? b->tcap * 2 : 256;
        size_t *bs = realloc(b->bs, cap * sizeof *bs);
        if (bs != NULL)
            b->bs = bs;
        size_t *be = realloc(b->be, cap * sizeof *be);
        if (be != NULL)
            b->be = be;
        size_t *cs = realloc(b->cs, cap * sizeof *cs);
        if (cs != NULL)
            b->cs = cs;
        size_t *ce = realloc(b->ce, cap * sizeof *ce);
        if (ce != NULL)
            b->ce = ce;
        uint8_t *tg = realloc(b->tags, cap);
        if (tg != NULL)
            b->tags = tg;
        if (bs == NULL || be == NULL || cs == NULL || ce == NULL || tg == NULL)
            return -1;
        b->tcap = cap;
    }
    b->bs[b->n] = b->len;
    b->cs[b->n] = b->cps;
    if (text_put(b, s, n) != 0)
        return -1;
    b->be[b->n] = b->len;
    b->ce[b->n] = b->cps;
    b->tags[b->n] = (uint8_t)tag;
    b->n++;
    return 0;
}

static int parse_tag(const char *s, size_t n, int prev)
{
    static const char *const types[] = {"PER", "ORG", "LOC", "MISC"};
    int type = -1, inside;
    if (n < 3 || (s[0] != 'B' && s[0] != 'I') || s[1] != '-')
        return NER_O;
    for (int k = 0; k < 4; k++)
        if (strlen(types[k]) == n - 2 && memcmp(types[k], s + 2, n - 2) == 0)
            type = k;
    if (type < 0)
        return NER_O;
    inside = s[0] == 'I' && nermodel_tag_type((enum ner_tag)prev) == type;
    return 1 + 2 * type + (inside ? 1 : 0);
}

static int finish_doc(struct builder *b, struct nerconll_corpus *out)
{
    struct nerconll_doc *d;
    if (b->n == 0)
        return 0;
    d = realloc(out->docs, (out->ndocs + 1) * sizeof *d);
    if (d == NULL)
        return -1;
    out->docs = d;
    d = &out->docs[out->ndocs++];
    d->text = b->text;
    d->len = b->len;
    d->ntokens = b->n;
    d->byte_start = b->bs;
    d->byte_end = b->be;
    d->cp_start = b->cs;
    d->cp_end = b->ce;
    d->tags = b->tags;
    memset(b, 0, sizeof *b);
    return 0;
}

static void builder_free(struct builder *b)
{
    free(b->text);
    free(b->bs);
    free(b->be);
    free(b->cs);
    free(b->ce);
    free(b->tags);
    memset(b, 0, sizeof *b);
}

int nerconll_parse(const char *buf, size_t len, struct nerconll_corpus *out)
{
    struct builder b = {0};
    size_t pos = 0;
    int prev = NER_O, sentence_open = 0;

    memset(out, 0, sizeof *out);
    while (pos < len) {
        size_t s = pos, e = pos, f_end[4], nf = 0, k;
        const char *f[4];
        while (e < len && buf[e] != '\n')
            e++;
        pos = e + 1;
        while (e > s && (buf[e - 1] == '\r' || buf[e - 1] == ' '))
            e--;
        if (e == s) {
            if (sentence_open) {
                if (text_put(&b, "\n", 1) != 0)
                    goto fail;
                sentence_open = 0;
            }
            prev = NER_O;
            continue;
        }
        for (k = s; k <= e && nf < 4; k++) {
            if (k == s || buf[k - 1] == ' ')
                f[nf] = buf + k;
            if (k == e || buf[k] == ' ')
                f_end[nf++] = k;
        }
        if (f_end[0] - s == 10 && memcmp(buf + s, "-DOCSTART-", 10) == 0) {
            if (finish_doc(&b, out) != 0)
                goto fail;
            sentence_open = 0;
            prev = NER_O;
            continue;
        }
        if (sentence_open && text_put(&b, " ", 1) != 0)
            goto fail;
        int tag = parse_tag(f[nf - 1], (size_t)(buf + f_end[nf - 1] - f[nf - 1]), prev);
        if (tok_put(&b, buf + s, f_end[0] - s, tag) != 0)
            goto fail;
        prev = tag;
        sentence_open = 1;
    }
    if (finish_doc(&b, out) != 0)
        goto fail;
    return 0;
fail:
    builder_free(&b);
    nerconll_free(out);
    return -1;
}

void nerconll_free(struct nerconll_corpus *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->ndocs; i++) {
        struct nerconll_doc *d = &c->docs[i];
        free(d->text);
        free(d->byte_start);
        free(d->byte_end);
        free(d->cp_start);
        free(d->cp_end);
        free(d->tags);
    }
    free(c->docs);
    c->docs = NULL;
    c->ndocs = 0;
}
