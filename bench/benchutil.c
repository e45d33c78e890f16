/* benchutil.c: clock, latency percentiles, query files and JSON lines shared by the
 * benchmark programs (see benchutil.h). */

#include "benchutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void lat_add(struct lat *l, double ms)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        double *p = realloc(l->ms, cap * sizeof *p);
        if (!p) {
            fprintf(stderr, "bench: out of memory\n");
            exit(1);
        }
        l->ms = p;
        l->cap = cap;
    }
    l->ms[l->n++] = ms;
}

void lat_merge(struct lat *dst, const struct lat *src)
{
    for (size_t i = 0; i < src->n; i++)
        lat_add(dst, src->ms[i]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double lat_percentile(struct lat *l, double p)
{
    if (l->n == 0)
        return 0;
    qsort(l->ms, l->n, sizeof *l->ms, cmp_double);
    size_t rank = (size_t)ceil(p / 100.0 * (double)l->n);
    if (rank < 1)
        rank = 1;
    if (rank > l->n)
        rank = l->n;
    return l->ms[rank - 1];
}

static double round3(double x)
{
    return round(x * 1000.0) / 1000.0;
}

void lat_to_json(struct lat *l, json_t *obj)
{
    double sum = 0;
    for (size_t i = 0; i < l->n; i++)
        sum += l->ms[i];
    json_object_set_new(obj, "p50_ms", json_real(round3(lat_percentile(l, 50))));
    json_object_set_new(obj, "p90_ms", json_real(round3(lat_percentile(l, 90))));
    json_object_set_new(obj, "p99_ms", json_real(round3(lat_percentile(l, 99))));
    json_object_set_new(obj, "max_ms", json_real(round3(lat_percentile(l, 100))));
    json_object_set_new(obj, "mean_ms", json_real(round3(l->n ? sum / (double)l->n : 0)));
}

void lat_free(struct lat *l)
{
    free(l->ms);
    l->ms = NULL;
    l->n = l->cap = 0;
}

long bench_queries_load(const char *path, struct bench_query **out)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct bench_query *qs = NULL;
    long n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    long lineno = 0;
    while ((len = getline(&line, &lcap, f)) > 0) {
        lineno++;
        json_error_t err;
        json_t *o = json_loadb(line, (size_t)len, 0, &err);
        const char *q = json_string_value(json_object_get(o, "q"));
        if (!q) {
            fprintf(stderr, "bench: %s:%ld: not a query line\n", path, lineno);
            json_decref(o);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            struct bench_query *p = realloc(qs, (size_t)cap * sizeof *p);
            if (!p) {
                fprintf(stderr, "bench: out of memory\n");
                exit(1);
            }
            qs = p;
        }
        const char *source = json_string_value(json_object_get(o, "source"));
        const char *sort = json_string_value(json_object_get(o, "sort"));
        const char *kind = json_string_value(json_object_get(o, "kind"));
        qs[n].q = strdup(q);
        qs[n].source = source ? strdup(source) : NULL;
        qs[n].newest = sort && strcmp(sort, "newest") == 0;
        qs[n].kind = strdup(kind ? kind : "words");
        n++;
        json_decref(o);
    }
    free(line);
    fclose(f);
    *out = qs;
    return n;
}

void bench_queries_free(struct bench_query *q, long n)
{
    for (long i = 0; i < n; i++) {
        free(q[i].q);
        free(q[i].source);
        free(q[i].kind);
    }
    free(q);
}

int bench_fts5_match(const char *q, char *out, size_t n)
{
    size_t o = 0;
    int terms = 0;
    const char *p = q;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *s, *e;
        if (*p == '"') {
            s = ++p;
            while (*p && *p != '"')
                p++;
            e = p;
            if (*p)
                p++;
        } else {
            s = p;
            while (*p && *p != ' ' && *p != '\t')
                p++;
            e = p;
        }
        if (e == s)
            continue;
        if (o + 4 >= n)
            return -1;
        if (terms++)
            out[o++] = ' ';
        out[o++] = '"';
        for (const char *c = s; c < e; c++) {
            if (o + 3 >= n)
                return -1;
            if (*c == '"')
                out[o++] = '"';
            out[o++] = *c;
        }
        out[o++] = '"';
    }
    if (!terms)
        return -1;
    out[o] = 0;
    return 0;
}

void bench_emit(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (s) {
        printf("%s\n", s);
        fflush(stdout);
        free(s);
    }
    json_decref(obj);
}

int bench_parse_list(const char *s, int *out, int max)
{
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v <= 0 || v > 4096 || n == max)
            return -1;
        out[n++] = (int)v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return n;
}

long long bench_file_size(const char *path)
{
    struct stat st;
    long long total = 0;
    if (stat(path, &st) == 0)
        total += st.st_size;
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &st) == 0)
        total += st.st_size;
    return total;
}
