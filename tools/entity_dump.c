/* entity_dump.c: prints every entity and mention that entity_extract finds, one text after
 * another, so that two builds of the extractor can be compared with cmp (a speed-up must not
 * change a single result).
 *
 *   build-ner/tools/entity_dump [--data DIR] [--features | --check-scores] [FILE ...]
 *
 * --features prints instead, for each text, a digest of the hashed features of every token
 * (nerfeat_extract, what the trainer sees) and of the token analysis the rules read.
 * --check-scores checks, for each text, that the emission sums of nerfeat_doc_scores equal the
 * sums of the model's rows of the features nerfeat_extract gives (prints the texts that
 * differ, exits 1 if any).
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
#include "analysis/gazetteer.h"
#include "analysis/ner_conll.h"
#include "analysis/ner_features.h"
#include "analysis/tokenize.h"
#include "analysis/utf8.h"

static int features_mode;

/* BEGIN check-scores (not in builds before nerfeat_doc_scores) */
#include "analysis/ner_model.h"
#include "tools/tool_util.h"

extern const unsigned char articled_data_ner_model[];
extern const size_t articled_data_ner_model_len;

static int scores_mode;
static long scores_bad;

/* Compares nerfeat_doc_scores with the rows of nerfeat_extract's features, sentence by
 * sentence as the extractor decodes. Returns 0, or -1 on failure. */
static int check_scores(const char *label, const char *text, size_t len)
{
    static struct nermodel *m;
    static struct nerfeat_scorer *sc;
    const struct gazetteer *g = gazetteer_shared(NULL);
    struct token_list toks = {0};
    struct nerfeat_doc fd;
    struct error err = {0};
    int32_t sums[256 * NER_NTAGS];
    uint64_t fv[NERFEAT_MAX];
    long bad = 0;

    if (m == NULL &&
        (nermodel_load(articled_data_ner_model, articled_data_ner_model_len, &m, &err) != 0 ||
         nerfeat_scorer_new(m, &sc) != 0)) {
        fprintf(stderr, "model: %s\n", err.msg);
        return -1;
    }
    if (g == NULL || tokenize_text(text, len, &toks) != 0 ||
        nerfeat_doc_build(&fd, g, text, toks.tokens, toks.n) != 0)
        return -1;
    for (size_t a = 0; a < toks.n;) {
        size_t b = a + 1;
        while (b < toks.n && b - a < 256 && !(toks.tokens[b].flags & TOKEN_SENT_START))
            b++;
        if (nerfeat_doc_scores(&fd, sc, a, b, sums) != 0)
            return -1;
        for (size_t i = a; i < b; i++) {
            int32_t ref[NER_NTAGS] = {0};
            size_t n = nerfeat_extract(&fd, i, fv);
            for (size_t k = 0; k < n; k++) {
                int32_t r = nermodel_find(m, fv[k]);
                if (r < 0)
                    continue;
                const int16_t *w = nermodel_row(m, r);
                for (int t = 0; t < NER_NTAGS; t++)
                    ref[t] += w[t];
            }
            bad += memcmp(ref, sums + (i - a) * NER_NTAGS, sizeof ref) != 0;
        }
        a = b;
    }
    if (bad)
        printf("scores differ: %s (%ld tokens)\n", label, bad);
    scores_bad += bad;
    nerfeat_doc_free(&fd);
    tokenize_list_free(&toks);
    return 0;
}
/* END check-scores */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v;
    h *= 0x100000001B3ull;
    return h ^ h >> 31;
}

/* Prints one text's feature digests under a label. Returns 0, or -1 on failure. */
static int dump_features(const char *label, const char *text, size_t len)
{
    const struct gazetteer *g = gazetteer_shared(NULL);
    struct token_list toks = {0};
    struct nerfeat_doc fd;
    uint64_t fv[NERFEAT_MAX], hf = 0xcbf29ce484222325ull, ht = hf;
    size_t nfeat = 0;
    if (g == NULL || tokenize_text(text, len, &toks) != 0 ||
        nerfeat_doc_build(&fd, g, text, toks.tokens, toks.n) != 0) {
        fprintf(stderr, "%s: feature analysis failed\n", label);
        return -1;
    }
    for (size_t i = 0; i < toks.n; i++) {
        const struct nerfeat_token *t = &fd.t[i];
        size_t fl, n = nerfeat_extract(&fd, i, fv);
        const char *f = nerfeat_fold(&fd, i, &fl);
        nfeat += n;
        hf = mix(hf, n);
        for (size_t k = 0; k < n; k++)
            hf = mix(hf, fv[k]);
        for (size_t k = 0; k < fl; k++)
            ht = mix(ht, (unsigned char)f[k]);
        ht = mix(ht, fl);
        ht = mix(ht, (uint64_t)t->tcase | (uint64_t)t->wcase << 8 | (uint64_t)t->freq << 16 |
                         (uint64_t)t->run_pos << 24 | (uint64_t)t->run_len << 32);
        ht = mix(ht, (uint64_t)t->gaz | (uint64_t)t->place << 32);
        ht = mix(ht, (uint64_t)t->flags | (uint64_t)t->run << 32);
        ht = mix(ht, t->doc);
        ht = mix(ht, toks.tokens[i].flags);
    }
    printf("f %s %zu %zu %016llx %016llx\n", label, toks.n, nfeat, (unsigned long long)hf,
           (unsigned long long)ht);
    nerfeat_doc_free(&fd);
    tokenize_list_free(&toks);
    return 0;
}

/* Prints one text's result under a label. Returns 0, or -1 when extraction fails. */
static int dump(const struct entity_extractor *ex, const char *label, const char *text, size_t len)
{
    struct entity_result r;
    if (utf8_check(text, len, NULL) != 0)
        return 0;
    if (features_mode)
        return dump_features(label, text, len);
    /* BEGIN check-scores */
    if (scores_mode)
        return check_scores(label, text, len);
    /* END check-scores */
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
    char *buf = tool_read_file(path, &len);
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
    char *buf = tool_read_file(path, &len);
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
        } else if (strcmp(argv[i], "--features") == 0) {
            features_mode = 1;
            /* BEGIN check-scores */
        } else if (strcmp(argv[i], "--check-scores") == 0) {
            scores_mode = 1;
            /* END check-scores */
        } else if (argv[i][0] == '-') {
            fprintf(stderr,
                    "usage: entity_dump [--data DIR] [--features | --check-scores] [FILE ...]\n");
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
        char *buf = tool_read_file(argv[i], &len);
        if (buf == NULL) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            rc = 1;
            break;
        }
        rc = dump(ex, argv[i], buf, len) != 0;
        free(buf);
    }
    entity_extractor_free(ex);
    /* BEGIN check-scores */
    if (scores_mode)
        printf("check-scores: %ld tokens differ\n", scores_bad);
    if (scores_bad)
        rc = 1;
    /* END check-scores */
    return rc;
}
