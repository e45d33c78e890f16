/* ner_lexicon.c: counts how words are written in running news text (lower case, capitalised,
 * in capitals; first words of sentences and headlines left out) and writes data/word_case.tsv,
 * which the extractor uses to restore the case of headlines and as a model feature.
 *
 *   build-ner/tools/ner_lexicon data/word_case.tsv FILE...
 *
 * FILE is CoNLL-2003 text (*.txt, tokens rebuilt into sentences) or NDJSON articles with a
 * "body" field. Unsupervised: no labels are read. Output is sorted and deterministic. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/gazetteer.h"
#include "analysis/nameform.h"
#include "analysis/ner_conll.h"
#include "analysis/tokenize.h"

struct entry {
    char *word;
    uint32_t lower, cap, upper;
};

static struct entry *table;
static size_t mask, used;

static struct entry *lookup(const char *w, size_t n)
{
    if ((used + 1) * 2 > mask + 1) {
        size_t cap = mask ? (mask + 1) * 2 : 1u << 16;
        struct entry *t = calloc(cap, sizeof *t);
        if (t == NULL)
            exit(1);
        for (size_t i = 0; mask && i <= mask; i++) {
            if (!table[i].word)
                continue;
            size_t j = gazetteer_hash(table[i].word, strlen(table[i].word)) & (cap - 1);
            while (t[j].word)
                j = (j + 1) & (cap - 1);
            t[j] = table[i];
        }
        free(table);
        table = t;
        mask = cap - 1;
    }
    size_t j = gazetteer_hash(w, n) & mask;
    while (table[j].word && !(strlen(table[j].word) == n && memcmp(table[j].word, w, n) == 0))
        j = (j + 1) & mask;
    if (!table[j].word) {
        table[j].word = strndup(w, n);
        if (table[j].word == NULL)
            exit(1);
        used++;
    }
    return &table[j];
}

static void count_text(const char *text, size_t len, struct token_list *toks)
{
    char buf[128];
    int want_first = 1;
    if (tokenize_text(text, len, toks) != 0)
        exit(1);
    for (size_t i = 0; i < toks->n; i++) {
        const struct token *t = &toks->tokens[i];
        int first = 0;
        if (t->flags & TOKEN_SENT_START)
            want_first = 1;
        if (want_first && (t->flags & TOKEN_WORD)) {
            first = 1;
            want_first = 0;
        }
        if (first || !(t->flags & TOKEN_ALPHA) || (t->flags & TOKEN_HEADLINE))
            continue;
        size_t n =
            nameform_fold(text + t->byte_start, t->byte_end - t->byte_start, buf, sizeof buf);
        if (n == 0 || n >= sizeof buf - 1 || memchr(buf, '\t', n))
            continue;
        struct entry *e = lookup(buf, n);
        if (t->flags & TOKEN_LOWER)
            e->lower++;
        else if ((t->flags & TOKEN_ALLCAPS) && t->cp_end - t->cp_start >= 2)
            e->upper++;
        else
            e->cap++;
    }
}

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

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->word, ((const struct entry *)b)->word);
}

int main(int argc, char **argv)
{
    struct token_list toks = {0};
    FILE *out;
    size_t kept = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: ner_lexicon OUT.tsv FILE...\n");
        return 2;
    }
    for (int a = 2; a < argc; a++) {
        size_t len, n = strlen(argv[a]);
        char *buf = read_file(argv[a], &len);
        if (buf == NULL) {
            fprintf(stderr, "%s: cannot read\n", argv[a]);
            return 1;
        }
        if (n > 4 && strcmp(argv[a] + n - 4, ".txt") == 0) {
            struct nerconll_corpus c;
            if (nerconll_parse(buf, len, &c) != 0)
                return 1;
            for (size_t d = 0; d < c.ndocs; d++)
                count_text(c.docs[d].text, c.docs[d].len, &toks);
            nerconll_free(&c);
        } else {
            for (size_t s = 0; s < len;) {
                size_t e = s;
                while (e < len && buf[e] != '\n')
                    e++;
                json_t *j = json_loadb(buf + s, e - s, 0, NULL);
                const char *body = j ? json_string_value(json_object_get(j, "body")) : NULL;
                if (body)
                    count_text(body, strlen(body), &toks);
                json_decref(j);
                s = e + 1;
            }
        }
        free(buf);
    }
    tokenize_list_free(&toks);

    struct entry *all = malloc((used + 1) * sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i <= mask; i++)
        if (table[i].word)
            all[n++] = table[i];
    qsort(all, n, sizeof *all, cmp_entry);
    out = fopen(argv[1], "w");
    if (out == NULL) {
        fprintf(stderr, "%s: cannot write\n", argv[1]);
        return 1;
    }
    fprintf(out, "# generated by tools/ner_lexicon: folded word<TAB>case class (l lower, m mostly "
                 "lower, c mostly capitalised, C capitalised, u capitals)<TAB>frequency class\n");
    for (size_t i = 0; i < n; i++) {
        uint32_t total = all[i].lower + all[i].cap + all[i].upper;
        double capfrac;
        char cls;
        int fb;
        if (total >= 3) {
            capfrac = (all[i].cap + all[i].upper) / (double)total;
            if (all[i].upper * 2 >= total && strlen(all[i].word) >= 2)
                cls = 'u';
            else if (capfrac < 0.05)
                cls = 'l';
            else if (capfrac < 0.5)
                cls = 'm';
            else if (capfrac < 0.95)
                cls = 'c';
            else
                cls = 'C';
            fb = (int)floor(log2((double)total)) / 2 + 1;
            if (fb > 7)
                fb = 7;
            fprintf(out, "%s\t%c\t%d\n", all[i].word, cls, fb);
            kept++;
        }
        free(all[i].word);
    }
    fclose(out);
    free(all);
    free(table);
    fprintf(stderr, "%zu words counted, %zu written\n", n, kept);
    return 0;
}
