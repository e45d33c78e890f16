/* fingerprint_bench.c: speed of the near-duplicate analysis on real articles.
 * Run: build-fp/tools/fingerprint_bench [../shared/data/news/bbc.ndjson] [passes]
 * Prints one JSON line: articles/s and µs per article for fingerprint_compute alone and for
 * the ingest path (one textnorm_split feeding fingerprints and the content hash). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/fingerprint.h"
#include "analysis/textnorm.h"

struct body {
    char *text;
    size_t len;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Loads the "body" of every line of path into a new array (caller frees). -1 if unreadable. */
static int bench_load(const char *path, struct body **out, size_t *n)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, cnt = 0, room = 0;
    ssize_t got;
    struct body *b = NULL;

    *out = NULL;
    *n = 0;
    if (f == NULL)
        return -1;
    while ((got = getline(&line, &cap, f)) > 0) {
        json_t *doc = json_loadb(line, (size_t)got, 0, NULL);
        const char *text = json_string_value(json_object_get(doc, "body"));

        if (text != NULL) {
            if (cnt == room) {
                room = room ? room * 2 : 1024;
                b = realloc(b, room * sizeof *b);
                if (b == NULL)
                    abort();
            }
            b[cnt].len = json_string_length(json_object_get(doc, "body"));
            b[cnt].text = malloc(b[cnt].len + 1);
            if (b[cnt].text == NULL)
                abort();
            memcpy(b[cnt].text, text, b[cnt].len + 1);
            cnt++;
        }
        json_decref(doc);
    }
    free(line);
    fclose(f);
    *out = b;
    *n = cnt;
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "../shared/data/news/bbc.ndjson";
    int passes = argc > 2 ? atoi(argv[2]) : 5;
    struct body *bodies;
    struct textnorm_words words = TEXTNORM_WORDS_INIT;
    size_t n, bytes = 0, fps = 0, nwords = 0;
    double t0, t_fp, t_ingest;
    char hash[65];

    if (bench_load(path, &bodies, &n) < 0) {
        fprintf(stderr, "fingerprint_bench: %s not found, skipping (pass the NDJSON path)\n", path);
        return 0;
    }
    if (n == 0 || passes < 1) {
        fprintf(stderr, "fingerprint_bench: no articles in %s\n", path);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        bytes += bodies[i].len;

    t0 = now_s();
    for (int p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i++) {
            struct fingerprint_set set;

            if (fingerprint_compute(bodies[i].text, bodies[i].len, &set) < 0)
                abort();
            if (p == 0) {
                fps += set.n;
                nwords += set.nwords;
            }
            fingerprint_set_free(&set);
        }
    }
    t_fp = (now_s() - t0) / ((double)n * passes);

    t0 = now_s();
    for (int p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i++) {
            struct fingerprint_set set;

            if (textnorm_split(bodies[i].text, bodies[i].len, &words) < 0 ||
                fingerprint_from_words(&words, FINGERPRINT_K, FINGERPRINT_W, &set) < 0)
                abort();
            fingerprint_words_hash(&words, hash);
            fingerprint_set_free(&set);
        }
    }
    t_ingest = (now_s() - t0) / ((double)n * passes);

    printf("{\"tool\":\"fingerprint_bench\",\"corpus\":\"%s\",\"articles\":%zu,\"passes\":%d,"
           "\"k\":%d,\"w\":%d,\"bytes_mean\":%.0f,\"words_mean\":%.1f,\"fingerprints_mean\":%.1f,"
           "\"fingerprint_us_per_article\":%.2f,\"fingerprint_articles_per_s\":%.0f,"
           "\"fingerprint_us_per_4kb\":%.2f,\"ingest_us_per_article\":%.2f,"
           "\"ingest_articles_per_s\":%.0f}\n",
           path, n, passes, FINGERPRINT_K, FINGERPRINT_W, (double)bytes / n, (double)nwords / n,
           (double)fps / n, t_fp * 1e6, 1.0 / t_fp, t_fp * 1e6 * 4096.0 / ((double)bytes / n),
           t_ingest * 1e6, 1.0 / t_ingest);

    textnorm_words_free(&words);
    for (size_t i = 0; i < n; i++)
        free(bodies[i].text);
    free(bodies);
    return 0;
}
