/* ner_eval.c: evaluates the entity extractor and prints JSON lines:
 *  - CoNLL++ dev: entity-level precision, recall and F1 (exact span and type; PER, ORG, LOC;
 *    MISC ignored), overall and per type. Each document's text is its tokens joined by single
 *    spaces and its sentences by newlines; mentions map back to CoNLL tokens by offsets.
 *  - Reuters-21578: document-level recall of the editors' place and person index terms.
 *
 *   build-ner/tools/ner_eval [--data DIR] [--conll FILE] [--skip-reuters] [--errors N]
 *
 * DIR defaults to $ARTICLED_SHARED_DATA, else ../shared/data. --errors N prints N wrong
 * CoNLL spans and N missed Reuters terms (for error analysis) on stderr. The Reuters terms
 * are document-level and often not written in the text ("usa" on most US company news), so
 * recall is also given over the terms whose words appear in the text (*_recall_named). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/entity.h"
#include "analysis/ner_conll.h"
#include "analysis/ner_model.h"
#include "tools/tool_util.h"

static void print_prf(const char *file, const char *type, long tp, long np, long ng)
{
    double p = np ? (double)tp / np : 0, r = ng ? (double)tp / ng : 0;
    double f = p + r > 0 ? 2 * p * r / (p + r) : 0;
    printf("{\"eval\": \"conll\", \"file\": \"%s\", \"type\": \"%s\", \"precision\": %.4f, "
           "\"recall\": %.4f, \"f1\": %.4f, \"gold\": %ld, \"predicted\": %ld, \"correct\": %ld}\n",
           file, type, p, r, f, ng, np, tp);
}

/* Gold and predicted spans of one document, as (start token, end token, type). */
struct span {
    size_t a, b;
    int type;
};

static int eval_conll(const struct entity_extractor *ex, const char *path, const char *label,
                      int show_errors)
{
    size_t len;
    char *buf = tool_read_file(path, &len);
    struct nerconll_corpus c;
    long tp[3] = {0}, np[3] = {0}, ng[3] = {0}, unaligned = 0;
    static const char *names[] = {"PER", "ORG", "LOC"};

    if (buf == NULL) {
        fprintf(stderr, "%s: cannot read (skipped)\n", path);
        return 0;
    }
    if (nerconll_parse(buf, len, &c) != 0)
        return -1;
    free(buf);
    for (size_t d = 0; d < c.ndocs; d++) {
        const struct nerconll_doc *doc = &c.docs[d];
        struct entity_result res;
        struct span *gold = malloc((doc->ntokens + 1) * sizeof *gold);
        struct span *pred = NULL;
        size_t ngold = 0, npred = 0;
        if (gold == NULL || entity_extract(ex, doc->text, doc->len, &res) != 0)
            return -1;
        pred = malloc((res.nmentions + 1) * sizeof *pred);
        if (pred == NULL)
            return -1;
        for (size_t i = 0; i < doc->ntokens; i++) {
            int t = nermodel_tag_type((enum ner_tag)doc->tags[i]);
            if (t < 0 || t > 2 || (doc->tags[i] - 1) % 2 != 0)
                continue;
            size_t e = i + 1;
            while (e < doc->ntokens && doc->tags[e] == doc->tags[i] + 1)
                e++;
            gold[ngold++] = (struct span){i, e, t};
            ng[t]++;
        }
        for (size_t m = 0; m < res.nmentions; m++) {
            const struct entity_mention *mm = &res.mentions[m];
            int t = (int)res.entities[mm->entity].type;
            size_t a = SIZE_MAX, b = SIZE_MAX;
            for (size_t i = 0; i < doc->ntokens; i++) {
                if (doc->byte_start[i] == mm->byte_start)
                    a = i;
                if (doc->byte_end[i] == mm->byte_end)
                    b = i + 1;
            }
            np[t]++;
            if (a == SIZE_MAX || b == SIZE_MAX) {
                unaligned++;
                continue;
            }
            pred[npred++] = (struct span){a, b, t};
        }
        for (size_t p = 0; p < npred; p++) {
            int ok = 0;
            for (size_t g = 0; g < ngold && !ok; g++)
                ok = gold[g].a == pred[p].a && gold[g].b == pred[p].b &&
                     gold[g].type == pred[p].type;
            if (ok)
                tp[pred[p].type]++;
            else if (show_errors > 0) {
                show_errors--;
                fprintf(stderr, "FP %s: %.*s | ...%.*s...\n", names[pred[p].type],
                        (int)(doc->byte_end[pred[p].b - 1] - doc->byte_start[pred[p].a]),
                        doc->text + doc->byte_start[pred[p].a],
                        (int)(doc->byte_end[pred[p].b - 1] - doc->byte_start[pred[p].a] + 60),
                        doc->text + (doc->byte_start[pred[p].a] > 30
                                         ? doc->byte_start[pred[p].a] - 30
                                         : 0));
            }
        }
        for (size_t g = 0; g < ngold && show_errors > 0; g++) {
            int ok = 0;
            for (size_t p = 0; p < npred && !ok; p++)
                ok = gold[g].a == pred[p].a && gold[g].b == pred[p].b &&
                     gold[g].type == pred[p].type;
            if (!ok) {
                show_errors--;
                fprintf(stderr, "FN %s: %.*s | ...%.*s...\n", names[gold[g].type],
                        (int)(doc->byte_end[gold[g].b - 1] - doc->byte_start[gold[g].a]),
                        doc->text + doc->byte_start[gold[g].a],
                        (int)(doc->byte_end[gold[g].b - 1] - doc->byte_start[gold[g].a] + 60),
                        doc->text + (doc->byte_start[gold[g].a] > 30
                                         ? doc->byte_start[gold[g].a] - 30
                                         : 0));
            }
        }
        free(gold);
        free(pred);
        entity_result_free(&res);
    }
    long TP = tp[0] + tp[1] + tp[2], NP = np[0] + np[1] + np[2], NG = ng[0] + ng[1] + ng[2];
    print_prf(label, "overall", TP, NP, NG);
    for (int t = 0; t < 3; t++)
        print_prf(label, names[t], tp[t], np[t], ng[t]);
    if (unaligned)
        fprintf(stderr, "%ld predicted spans did not align with CoNLL tokens\n", unaligned);
    nerconll_free(&c);
    return 0;
}

/* Whether key (e.g. "person:james baker") ends with body at a word boundary. */
static int key_suffix(const char *key, const char *body)
{
    size_t kl = strlen(key), bl = strlen(body);
    if (bl == 0 || bl > kl)
        return 0;
    if (strcmp(key + kl - bl, body) != 0)
        return 0;
    return kl == bl || key[kl - bl - 1] == ' ' || key[kl - bl - 1] == ':';
}

/* A Reuters index term ("west-germany") as a merge key of the given type. */
static char *term_key(enum entity_type t, const char *term)
{
    char buf[256];
    size_t n = 0;
    for (; term[n] && n + 1 < sizeof buf; n++)
        buf[n] = term[n] == '-' ? ' ' : term[n];
    buf[n] = '\0';
    return entity_key_for(t, buf, n);
}

/* Whether the term ("west-germany") is written in text as words ("West Germany"), ignoring
 * case: the terms an extractor can be expected to find from the text alone. */
static int term_named(const char *text, const char *term)
{
    size_t n = strlen(term);
    for (const char *p = text; *p; p++) {
        size_t k = 0;
        if (p > text && ((p[-1] | 32) >= 'a' && (p[-1] | 32) <= 'z'))
            continue;
        while (k < n && p[k] &&
               ((term[k] == '-' && (p[k] == ' ' || p[k] == '-')) || (term[k] | 32) == (p[k] | 32)))
            k++;
        if (k == n && !(((p[k] | 32) >= 'a' && (p[k] | 32) <= 'z')))
            return 1;
    }
    return 0;
}

static int eval_reuters(const struct entity_extractor *ex, const char *dir, int show_misses)
{
    char p1[1024], p2[1024];
    size_t l1, l2;
    snprintf(p1, sizeof p1, "%s/news/reuters21578.ndjson", dir);
    snprintf(p2, sizeof p2, "%s/news/reuters21578.labels.ndjson", dir);
    char *arts = tool_read_file(p1, &l1), *labs = tool_read_file(p2, &l2);
    long docs = 0, places = 0, places_found = 0, people = 0, people_found = 0;
    long named[2] = {0, 0}, named_found[2] = {0, 0};
    size_t s1 = 0, s2 = 0;

    if (arts == NULL || labs == NULL) {
        fprintf(stderr, "%s: cannot read (Reuters evaluation skipped)\n", p1);
        free(arts);
        free(labs);
        return 0;
    }
    while (s1 < l1 && s2 < l2) {
        size_t e1 = s1, e2 = s2;
        while (e1 < l1 && arts[e1] != '\n')
            e1++;
        while (e2 < l2 && labs[e2] != '\n')
            e2++;
        json_t *a = json_loadb(arts + s1, e1 - s1, 0, NULL);
        json_t *l = json_loadb(labs + s2, e2 - s2, 0, NULL);
        s1 = e1 + 1;
        s2 = e2 + 1;
        json_t *pl = l ? json_object_get(l, "places") : NULL;
        json_t *pe = l ? json_object_get(l, "people") : NULL;
        if (a == NULL || l == NULL || json_array_size(pl) + json_array_size(pe) == 0) {
            json_decref(a);
            json_decref(l);
            continue;
        }
        const char *title = json_string_value(json_object_get(a, "title"));
        const char *body = json_string_value(json_object_get(a, "body"));
        size_t tl = title ? strlen(title) : 0, bl = body ? strlen(body) : 0;
        char *text = malloc(tl + bl + 3);
        struct entity_result res;
        if (text == NULL)
            return -1;
        memcpy(text, title ? title : "", tl);
        memcpy(text + tl, "\n\n", 2);
        memcpy(text + tl + 2, body ? body : "", bl);
        text[tl + 2 + bl] = '\0';
        if (entity_extract(ex, text, tl + 2 + bl, &res) != 0)
            return -1;
        docs++;
        for (int kind = 0; kind < 2; kind++) {
            json_t *arr = kind == 0 ? pl : pe;
            enum entity_type t = kind == 0 ? ENTITY_LOCATION : ENTITY_PERSON;
            for (size_t i = 0; i < json_array_size(arr); i++) {
                const char *term = json_string_value(json_array_get(arr, i));
                char *k = term ? term_key(t, term) : NULL;
                int found = 0;
                if (k == NULL)
                    continue;
                for (size_t e = 0; e < res.nentities && !found; e++) {
                    if (res.entities[e].type != t)
                        continue;
                    if (t == ENTITY_LOCATION) {
                        found = strcmp(res.entities[e].key, k) == 0;
                        for (size_t al = 0; al < res.entities[e].naliases && !found; al++) {
                            const char *s = res.entities[e].aliases[al];
                            char *ak = entity_key_for(t, s, strlen(s));
                            found = ak && strcmp(ak, k) == 0;
                            free(ak);
                        }
                    } else {
                        found = key_suffix(res.entities[e].key, strchr(k, ':') + 1);
                    }
                }
                if (term_named(text, term)) {
                    named[kind]++;
                    named_found[kind] += found;
                }
                if (!found && show_misses > 0 && term_named(text, term)) {
                    show_misses--;
                    fprintf(stderr, "MISS %s (%s):", term, k);
                    for (size_t e = 0; e < res.nentities; e++)
                        if (res.entities[e].type == t)
                            fprintf(stderr, " [%s]", res.entities[e].key);
                    fprintf(stderr, " | %.80s\n", text);
                }
                if (kind == 0) {
                    places++;
                    places_found += found;
                } else {
                    people++;
                    people_found += found;
                }
                free(k);
            }
        }
        entity_result_free(&res);
        free(text);
        json_decref(a);
        json_decref(l);
    }
    printf("{\"eval\": \"reuters21578\", \"measure\": \"place_recall\", \"docs\": %ld, "
           "\"terms\": %ld, \"found\": %ld, \"recall\": %.4f}\n",
           docs, places, places_found, places ? (double)places_found / places : 0);
    printf("{\"eval\": \"reuters21578\", \"measure\": \"person_recall\", \"docs\": %ld, "
           "\"terms\": %ld, \"found\": %ld, \"recall\": %.4f}\n",
           docs, people, people_found, people ? (double)people_found / people : 0);
    for (int kind = 0; kind < 2; kind++)
        printf("{\"eval\": \"reuters21578\", \"measure\": \"%s_recall_named\", \"terms\": %ld, "
               "\"found\": %ld, \"recall\": %.4f}\n",
               kind == 0 ? "place" : "person", named[kind], named_found[kind],
               named[kind] ? (double)named_found[kind] / named[kind] : 0);
    free(arts);
    free(labs);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = getenv("ARTICLED_SHARED_DATA"), *conll = NULL;
    int skip_reuters = 0, errors = 0;
    struct entity_extractor *ex;
    struct error err = {0};
    char path[1024];

    if (dir == NULL)
        dir = "../shared/data";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--conll") == 0 && i + 1 < argc)
            conll = argv[++i];
        else if (strcmp(argv[i], "--skip-reuters") == 0)
            skip_reuters = 1;
        else if (strcmp(argv[i], "--errors") == 0 && i + 1 < argc)
            errors = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: ner_eval [--data DIR] [--conll FILE] [--skip-reuters] "
                            "[--errors N]\n");
            return 2;
        }
    }
    if (entity_extractor_new(&ex, &err) != 0) {
        fprintf(stderr, "extractor: %s\n", err.msg);
        return 1;
    }
    if (conll == NULL) {
        snprintf(path, sizeof path, "%s/ner/conllpp_dev.txt", dir);
        conll = path;
    }
    if (eval_conll(ex, conll, strrchr(conll, '/') ? strrchr(conll, '/') + 1 : conll, errors) != 0 ||
        (!skip_reuters && eval_reuters(ex, dir, errors) != 0)) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    entity_extractor_free(ex);
    return 0;
}
