/* entity_bench.c: cost of entity extraction on one core, as one JSON line: microseconds per
 * 4 KB of article text over the BBC corpus (title and body of every article, several rounds).
 *
 *   build-ner/tools/entity_bench [--data DIR] [--rounds N]
 *
 * DIR defaults to $ARTICLED_SHARED_DATA, else ../shared/data. Extractor set-up is timed
 * separately (build_ms). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/entity.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *dir = getenv("ARTICLED_SHARED_DATA");
    int rounds = 3;
    char path[1024];
    struct error err = {0};
    struct entity_extractor *ex;
    char **texts = NULL;
    size_t *lens = NULL, n = 0, bytes = 0, mentions = 0;

    if (dir == NULL)
        dir = "../shared/data";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: entity_bench [--data DIR] [--rounds N]\n");
            return 2;
        }
    }
    snprintf(path, sizeof path, "%s/news/bbc.ndjson", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot read (benchmark skipped)\n", path);
        return 0;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        json_t *j = json_loadb(line, (size_t)len, 0, NULL);
        const char *title = json_string_value(json_object_get(j, "title"));
        const char *body = json_string_value(json_object_get(j, "body"));
        if (body != NULL) {
            size_t tl = title ? strlen(title) : 0, bl = strlen(body);
            char **t2 = realloc(texts, (n + 1) * sizeof *t2);
            size_t *l2 = realloc(lens, (n + 1) * sizeof *l2);
            if (t2 == NULL || l2 == NULL)
                return 1;
            texts = t2;
            lens = l2;
            texts[n] = malloc(tl + bl + 3);
            if (texts[n] == NULL)
                return 1;
            memcpy(texts[n], title ? title : "", tl);
            memcpy(texts[n] + tl, "\n\n", 2);
            memcpy(texts[n] + tl + 2, body, bl + 1);
            lens[n] = tl + 2 + bl;
            bytes += lens[n];
            n++;
        }
        json_decref(j);
    }
    free(line);
    fclose(f);

    double t0 = now_s();
    if (entity_extractor_new(&ex, &err) != 0) {
        fprintf(stderr, "extractor: %s\n", err.msg);
        return 1;
    }
    double build = now_s() - t0;
    /* one warm-up pass, then the timed rounds */
    double best = 1e30, total = 0;
    for (int r = 0; r <= rounds; r++) {
        double s = now_s();
        mentions = 0;
        for (size_t i = 0; i < n; i++) {
            struct entity_result res;
            if (entity_extract(ex, texts[i], lens[i], &res) != 0)
                return 1;
            mentions += res.nmentions;
            entity_result_free(&res);
        }
        double e = now_s() - s;
        if (r > 0) {
            total += e;
            if (e < best)
                best = e;
        }
    }
    printf("{\"bench\": \"entity_extract\", \"corpus\": \"bbc.ndjson\", \"articles\": %zu, "
           "\"bytes\": %zu, \"rounds\": %d, \"us_per_4kb\": %.1f, \"us_per_4kb_best\": %.1f, "
           "\"us_per_article\": %.1f, \"mentions_per_article\": %.1f, \"build_ms\": %.1f}\n",
           n, bytes, rounds, total / rounds * 1e6 / (bytes / 4096.0), best * 1e6 / (bytes / 4096.0),
           total / rounds * 1e6 / (double)n, (double)mentions / (double)n, build * 1e3);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    entity_extractor_free(ex);
    return 0;
}
