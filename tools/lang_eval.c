/* lang_eval.c: the language detector's accuracy on an evaluation set, per language and
 * overall, for short texts (headlines) and long ones (paragraphs).
 *
 *   build/tools/lang_eval [--model FILE] [--min-confidence X] data/eval/languages
 *   build/tools/lang_eval --textcat /usr/share/libexttextcat/fpdb.conf data/eval/languages
 *
 * The set is one file a language, CODE.tsv, each line "short" or "long", a tab, the text.
 * Without --textcat it measures analysis/langid (the shipped model, or FILE); with it,
 * Debian's libexttextcat with that fingerprint list (when the tool was built against it).
 * An "unknown" answer counts as wrong. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/langid.h"
#include "tools/tool_util.h"

#ifdef ARTICLED_HAVE_EXTTEXTCAT
#include <libexttextcat/textcat.h>
#endif

struct tally {
    char code[16];
    unsigned ok[2], n[2], unknown[2];
};

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The answer for text into code[3] ("" unknown). */
static void classify(const struct langid_model *m, void *tc, double minc, const char *text,
                     char code[16])
{
    code[0] = '\0';
    if (tc == NULL) {
        struct langid_result r;
        if (langid_detect(m, text, strlen(text), minc, &r) == 0)
            snprintf(code, 16, "%s", r.code);
        return;
    }
#ifdef ARTICLED_HAVE_EXTTEXTCAT
    {
        /* "[de--utf8][nl--utf8]", "SHORT" or "UNKNOWN": the first guess's language */
        const char *out = textcat_Classify(tc, text, strlen(text));
        size_t k = 0;
        if (out == NULL || out[0] != '[')
            return;
        for (out++; k < 15 && *out && *out != '-' && *out != ']'; out++)
            code[k++] = *out;
        code[k] = '\0';
    }
#endif
}

int main(int argc, char **argv)
{
    const char *model_path = NULL, *textcat = NULL, *dir;
    double minc = 0.0, t0, secs;
    unsigned char *model_data = NULL;
    struct langid_model *model = NULL;
    const struct langid_model *m;
    void *tc = NULL;
    struct tally tl[256];
    size_t ntl = 0, texts = 0;
    char *names[256];
    size_t nn = 0;
    unsigned tot_ok[2] = {0}, tot_n[2] = {0}, tot_unk[2] = {0};
    DIR *dh;
    struct dirent *e;
    int i = 1;

    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "--model") == 0)
            model_path = argv[i + 1];
        else if (strcmp(argv[i], "--textcat") == 0)
            textcat = argv[i + 1];
        else if (strcmp(argv[i], "--min-confidence") == 0)
            minc = strtod(argv[i + 1], NULL);
        else
            break;
    }
    if (argc - i != 1) {
        fprintf(stderr, "usage: %s [--model FILE | --textcat FPDB.conf] [--min-confidence X] DIR\n",
                argv[0]);
        return 2;
    }
    dir = argv[i];
    m = langid_default();
    if (model_path != NULL) {
        size_t len = 0;
        struct error err = {0};
        model_data = (unsigned char *)tool_read_file(model_path, &len);
        if (model_data == NULL || langid_model_load(model_data, len, &model, &err) != 0) {
            fprintf(stderr, "%s: %s\n", model_path, model_data ? err.msg : "cannot read");
            return 1;
        }
        m = model;
    }
    if (textcat != NULL) {
#ifdef ARTICLED_HAVE_EXTTEXTCAT
        char prefix[4096];
        const char *slash = strrchr(textcat, '/');
        snprintf(prefix, sizeof prefix, "%.*s/", slash ? (int)(slash - textcat) : 1,
                 slash ? textcat : ".");
        if ((tc = special_textcat_Init(textcat, prefix)) == NULL) {
            fprintf(stderr, "%s: libexttextcat cannot load it\n", textcat);
            return 1;
        }
#else
        fprintf(stderr, "built without libexttextcat (libexttextcat-dev)\n");
        return 1;
#endif
    }
    if ((dh = opendir(dir)) == NULL) {
        perror(dir);
        return 1;
    }
    while ((e = readdir(dh)) != NULL && nn < 256) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".tsv") == 0)
            names[nn++] = strdup(e->d_name);
    }
    closedir(dh);
    qsort(names, nn, sizeof names[0], cmp_name);
    t0 = now_s();
    for (size_t f = 0; f < nn; f++) {
        char path[4096], *data, *line, *save = NULL;
        struct tally *t = &tl[ntl++];
        memset(t, 0, sizeof *t);
        snprintf(t->code, sizeof t->code, "%.*s", (int)(strlen(names[f]) - 4), names[f]);
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        size_t dlen = 0;
        if ((data = tool_read_file(path, &dlen)) == NULL) {
            perror(path);
            return 1;
        }
        for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *tab = strchr(line, '\t'), got[16];
            int k;
            if (tab == NULL || line[0] == '#')
                continue;
            *tab = '\0';
            k = strcmp(line, "long") == 0;
            classify(m, tc, minc, tab + 1, got);
            t->n[k]++;
            t->ok[k] += strcmp(got, t->code) == 0;
            t->unknown[k] += got[0] == '\0';
            texts++;
            if (strcmp(got, t->code) != 0 && getenv("LANG_EVAL_VERBOSE"))
                fprintf(stderr, "%s %s -> %s: %s\n", t->code, k ? "long" : "short",
                        got[0] ? got : "unknown", tab + 1);
        }
        free(data);
        free(names[f]);
        for (int k = 0; k < 2; k++) {
            tot_ok[k] += t->ok[k];
            tot_n[k] += t->n[k];
            tot_unk[k] += t->unknown[k];
        }
    }
    secs = now_s() - t0;
    printf("%-8s %14s %14s\n", "language", "short", "long");
    for (size_t j = 0; j < ntl; j++)
        printf("%-8s %7u/%-3u%3.0f%% %7u/%-3u%3.0f%%\n", tl[j].code, tl[j].ok[0], tl[j].n[0],
               tl[j].n[0] ? 100.0 * tl[j].ok[0] / tl[j].n[0] : 0.0, tl[j].ok[1], tl[j].n[1],
               tl[j].n[1] ? 100.0 * tl[j].ok[1] / tl[j].n[1] : 0.0);
    printf("%-8s %7u/%-3u%5.1f%% %5u/%-3u%5.1f%%\n", "overall", tot_ok[0], tot_n[0],
           tot_n[0] ? 100.0 * tot_ok[0] / tot_n[0] : 0.0, tot_ok[1], tot_n[1],
           tot_n[1] ? 100.0 * tot_ok[1] / tot_n[1] : 0.0);
    printf("unknown: %u short, %u long; %zu texts in %.1f ms (%.1f us a text) with %s\n",
           tot_unk[0], tot_unk[1], texts, secs * 1e3, texts ? secs * 1e6 / (double)texts : 0.0,
           textcat      ? "libexttextcat"
           : model_path ? model_path
                        : "the shipped model");
#ifdef ARTICLED_HAVE_EXTTEXTCAT
    if (tc != NULL)
        textcat_Done(tc);
#endif
    langid_model_free(model);
    free(model_data);
    return 0;
}
