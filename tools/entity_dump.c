/* entity_dump.c: prints every entity and mention that entity_extract finds, one text after
 * another, so that two builds of the extractor can be compared with cmp (a speed-up must not
 * change a single result).
 *
 *   build-ner/tools/entity_dump [--data DIR] [FILE ...]
 *
 * Texts: every article of DIR/news/bbc.ndjson and reuters21578.ndjson as its body alone (what
 * ingest passes), as title + blank line + body (what entity_bench and ner_eval pass) and the
 * latter in ASCII capitals (headline truecasing everywhere); every document of the CoNLL++
 * files in DIR/ner; then each FILE as one text (e.g. the fuzz seeds). Texts that are not valid
 * UTF-8 are skipped. DIR defaults to $ARTICLED_SHARED_DATA, else ../shared/data. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/entity.h"
#include "analysis/ner_conll.h"
#include "analysis/utf8.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)n, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

/* Prints one text's result under a label. Returns 0, or -1 when extraction fails. */
static int dump(const struct entity_extractor *ex, const char *label, const char *text, size_t len)
{
    struct entity_result r;
    if (utf8_check(text, len, NULL) != 0)
        return 0;
    if (entity_extract(ex, text, len, &r) != 0) {
        fprintf(stderr, "%s: extraction failed\n", label);
        return -1;
    }
    printf("= %s %zu %zu\n", label, r.nentities, r.nmentions);
    for (size_t i = 0; i < r.nentities; i++) {
        const struct entity *e = &r.entities[i];
        printf("e %zu %s\t%s\t%s", i, entity_type_name(e->type), e->key, e->name);
        for (size_t k = 0; k < e->naliases; k++)
            printf("\t%s", e->aliases[k]);
        printf("\n");
    }
    for (size_t i = 0; i < r.nmentions; i++) {
        const struct entity_mention *m = &r.mentions[i];
        printf("m %zu %zu %zu %zu %zu\n", m->start, m->end, m->byte_start, m->byte_end, m->entity);
    }
    entity_result_free(&r);
    return 0;
}

static int dump_news(const struct entity_extractor *ex, const char *dir, const char *file)
{
    char path[1024], label[256];
    size_t len, pos = 0, line_no = 0;
    int rc = 0;
    snprintf(path, sizeof path, "%s/news/%s", dir, file);
    char *buf = read_file(path, &len);
    if (buf == NULL) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    while (pos < len && rc == 0) {
        size_t e = pos;
        while (e < len && buf[e] != '\n')
            e++;
        json_t *j = json_loadb(buf + pos, e - pos, 0, NULL);
        pos = e + 1;
        line_no++;
        const char *title = json_string_value(json_object_get(j, "title"));
        const char *body = json_string_value(json_object_get(j, "body"));
        if (body == NULL) {
            json_decref(j);
            continue;
        }
        size_t tl = title ? strlen(title) : 0, bl = strlen(body);
        char *text = malloc(tl + bl + 3);
        if (text == NULL) {
            json_decref(j);
            return -1;
        }
        memcpy(text, title ? title : "", tl);
        memcpy(text + tl, "\n\n", 2);
        memcpy(text + tl + 2, body, bl + 1);
        snprintf(label, sizeof label, "%s:%zu:body", file, line_no);
        rc = dump(ex, label, body, bl);
        snprintf(label, sizeof label, "%s:%zu:title+body", file, line_no);
        if (rc == 0)
            rc = dump(ex, label, text, tl + 2 + bl);
        for (size_t k = 0; k < tl + 2 + bl; k++)
            if (text[k] >= 'a' && text[k] <= 'z')
                text[k] = (char)(text[k] - 32);
        snprintf(label, sizeof label, "%s:%zu:upper", file, line_no);
        if (rc == 0)
            rc = dump(ex, label, text, tl + 2 + bl);
        free(text);
        json_decref(j);
    }
    free(buf);
    return rc;
}

static int dump_conll(const struct entity_extractor *ex, const char *dir, const char *file)
{
    char path[1024], label[256];
    size_t len;
    struct nerconll_corpus c;
    int rc = 0;
    snprintf(path, sizeof path, "%s/ner/%s", dir, file);
    char *buf = read_file(path, &len);
    if (buf == NULL) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    if (nerconll_parse(buf, len, &c) != 0) {
        free(buf);
        return -1;
    }
    free(buf);
    for (size_t d = 0; d < c.ndocs && rc == 0; d++) {
        snprintf(label, sizeof label, "%s:%zu", file, d);
        rc = dump(ex, label, c.docs[d].text, c.docs[d].len);
    }
    nerconll_free(&c);
    return rc;
}

int main(int argc, char **argv)
{
    const char *dir = getenv("ARTICLED_SHARED_DATA");
    struct error err = {0};
    struct entity_extractor *ex;
    int rc = 0, first_file = argc;

    if (dir == NULL)
        dir = "../shared/data";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: entity_dump [--data DIR] [FILE ...]\n");
            return 2;
        } else {
            first_file = i;
            break;
        }
    }
    if (entity_extractor_new(&ex, &err) != 0) {
        fprintf(stderr, "extractor: %s\n", err.msg);
        return 1;
    }
    if (dump_news(ex, dir, "bbc.ndjson") != 0 || dump_news(ex, dir, "reuters21578.ndjson") != 0 ||
        dump_conll(ex, dir, "conllpp_train.txt") != 0 ||
        dump_conll(ex, dir, "conllpp_dev.txt") != 0)
        rc = 1;
    for (int i = first_file; i < argc && rc == 0; i++) {
        size_t len;
        char *buf = read_file(argv[i], &len);
        if (buf == NULL) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            rc = 1;
            break;
        }
        rc = dump(ex, argv[i], buf, len) != 0;
        free(buf);
    }
    entity_extractor_free(ex);
    return rc;
}
