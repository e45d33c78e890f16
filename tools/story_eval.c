/* story_eval.c: how well story assignment groups labelled reports. Stores an
 * NDJSON file of labelled articles (a `story` label per line, as
 * ../shared/data/news/uci_stories_dev.ndjson has) through the service's own
 * write path (extractor, pipeline, store on a temporary file), in file
 * order, then reads back each article's story and scores the grouping
 * against the labels with B-cubed precision, recall and F1. A file without
 * story labels (BBC) is scored against the section in its ids: precision is
 * then the purity of the stories, and "largest" the biggest story.
 *
 *   story_eval [--threshold X] [--window SECONDS] [--headline-body]
 *              [--no-entities] [--no-duplicates] [--half 0|1] [--shuffle SEED]
 *              [--no-dates] [--dump FILE] [FILE]
 *
 * --dump FILE writes each article's id, label and story (TSV).
 * --half H keeps the lines whose label hashes (FNV-1a, low bit) to H: two
 * halves split by story, so a rule chosen on one is checked on the other.
 * --shuffle SEED stores the lines in a seeded random order instead of the
 * file's (UCI's file is in label order: every story arrives in one run).
 * --no-dates drops published_at (UCI's dates are the aggregator's batch
 * times, one minute per label: a rule could read the label from them).
 * --headline-body sends the title as the body (the file has headlines
 * only; it is the default when a line has no body). Prints one JSON object. */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis/entity.h"
#include "pipeline/pipeline.h"
#include "store/store.h"
#include "tools/tool_util.h"

#define CHUNK_LINES 500

struct item {
    char *id;
    char *label;
    int64_t story;
};

/* Stores the NDJSON text as _bulk jobs of CHUNK_LINES lines, one at a time.
 * 0, or -1 when a job failed or a line was refused. */
static int ingest(struct pipeline *pl, const char *text, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        size_t e = pos + tool_lines_end(text + pos, len - pos, CHUNK_LINES);
        struct pipeline_job *job = tool_bulk_run(pl, text + pos, e - pos, "story_eval");
        int failed;

        if (job == NULL)
            return -1;
        failed = job->err.code != ERR_NONE || job->nbad > 0;
        for (size_t i = 0; i < job->nops; i++)
            failed |= job->ops[i].failed;
        if (failed)
            fprintf(stderr, "story_eval: a line was refused: %s\n",
                    job->nbad ? job->bad[0].err.msg : job->err.msg);
        pipeline_job_release(job);
        if (failed)
            return -1;
        pos = e;
    }
    return 0;
}

/* How prepare selects and orders the lines. */
struct prep_opts {
    int headline_body; /* the title as the body */
    int half;          /* -1: all; 0 or 1: the labels of that hash parity */
    int no_dates;      /* drop published_at */
    unsigned long long shuffle; /* 0: file order; else the seed */
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* splitmix64: a seeded order that is the same on every machine */
static uint64_t mix_next(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The label of a line: its story, or without one the section in its id
 * ("bbc-sport-042": "bbc-sport"), for a purity check. New string or NULL. */
static char *label_of(json_t *o)
{
    const char *id = json_string_value(json_object_get(o, "id")), *dash;
    if (json_is_string(json_object_get(o, "story")))
        return strdup(json_string_value(json_object_get(o, "story")));
    if (id == NULL)
        return NULL;
    dash = strrchr(id, '-');
    return strndup(id, dash ? (size_t)(dash - id) : strlen(id));
}

/* The file as NDJSON for _bulk (title as body when asked or when there is
 * none; the label left out) and the labels, in the order stored. */
static char *prepare(const char *text, size_t len, const struct prep_opts *po,
                     struct item **items, size_t *n, size_t *outlen)
{
    size_t cap = 1024, pos = 0, nlines = 0, lcap = 0;
    char *out = NULL, *line = NULL;
    size_t olen = 0, ocap = 0;
    size_t *starts = NULL;
    uint64_t seed = po->shuffle;

    *items = calloc(cap, sizeof **items);
    *n = 0;
    if (*items == NULL)
        return NULL;
    /* the lines' starts, shuffled when asked (Fisher-Yates) */
    while (pos < len) {
        if (nlines == lcap) {
            size_t *bigger = realloc(starts, (lcap ? lcap * 2 : 1024) * sizeof *bigger);
            if (bigger == NULL)
                goto fail;
            starts = bigger;
            lcap = lcap ? lcap * 2 : 1024;
        }
        starts[nlines++] = pos;
        while (pos < len && text[pos] != '\n')
            pos++;
        pos++;
    }
    for (size_t i = nlines; po->shuffle && i > 1; i--) {
        size_t j = (size_t)(mix_next(&seed) % i), t = starts[i - 1];
        starts[i - 1] = starts[j];
        starts[j] = t;
    }
    for (size_t li = 0; li < nlines; li++) {
        size_t e = starts[li];
        char *label;
        json_t *o;
        char *s;
        pos = starts[li];
        while (e < len && text[e] != '\n')
            e++;
        o = json_loadb(text + pos, e - pos, 0, NULL);
        if (o == NULL)
            continue;
        label = label_of(o);
        if (label != NULL && po->half >= 0 && (int)(fnv1a(label) & 1) != po->half) {
            free(label);
            json_decref(o);
            continue;
        }
        if (*n == cap) {
            struct item *bigger = realloc(*items, cap * 2 * sizeof *bigger);
            if (bigger == NULL)
                goto fail;
            *items = bigger;
            cap *= 2;
        }
        (*items)[*n].id = strdup(json_string_value(json_object_get(o, "id")));
        (*items)[*n].label = label;
        if ((*items)[*n].id == NULL || (*items)[*n].label == NULL) {
            json_decref(o);
            goto fail;
        }
        (*items)[*n].story = 0;
        (*n)++;
        json_object_del(o, "story");
        json_object_del(o, "category");
        if (po->no_dates)
            json_object_del(o, "published_at");
        if (po->headline_body || json_object_get(o, "body") == NULL)
            json_object_set(o, "body", json_object_get(o, "title"));
        s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (s == NULL)
            goto fail;
        if (olen + strlen(s) + 2 > ocap) {
            size_t nc = (ocap + strlen(s) + 2) * 2;
            char *bigger = realloc(out, nc);
            if (bigger == NULL) {
                free(s);
                goto fail;
            }
            out = bigger;
            ocap = nc;
        }
        memcpy(out + olen, s, strlen(s));
        olen += strlen(s);
        out[olen++] = '\n';
        out[olen] = '\0';
        free(s);
    }
    *outlen = olen;
    free(line);
    free(starts);
    return out;
fail:
    free(starts);
    free(out);
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* B-cubed precision and recall: for each item, the share of its cluster
 * that has its label, and the share of its label that is in its cluster.
 * Quadratic in the items: fine for an evaluation set of thousands. */
static void bcubed(const struct item *it, size_t n, double *p, double *r, size_t *clusters,
                   size_t *labels, size_t *largest)
{
    double sp = 0, sr = 0;
    char **ls = malloc(n * sizeof *ls);
    int64_t *ss = malloc(n * sizeof *ss);
    for (size_t i = 0; i < n; i++) {
        size_t same_c = 0, same_l = 0, both = 0;
        for (size_t j = 0; j < n; j++) {
            int c = it[j].story == it[i].story, l = strcmp(it[j].label, it[i].label) == 0;
            same_c += (size_t)c;
            same_l += (size_t)l;
            both += (size_t)(c && l);
        }
        sp += (double)both / (double)same_c;
        sr += (double)both / (double)same_l;
    }
    *p = n ? sp / (double)n : 0;
    *r = n ? sr / (double)n : 0;
    *clusters = *labels = *largest = 0;
    for (size_t i = 0; i < n; i++) {
        size_t same = 0;
        for (size_t j = 0; j < n; j++)
            same += it[j].story == it[i].story;
        if (same > *largest)
            *largest = same;
    }
    if (ls != NULL && ss != NULL) {
        for (size_t i = 0; i < n; i++) {
            ls[i] = it[i].label;
            ss[i] = it[i].story;
        }
        qsort(ls, n, sizeof *ls, cmp_str);
        for (size_t i = 0; i < n; i++)
            *labels += i == 0 || strcmp(ls[i], ls[i - 1]) != 0;
        for (size_t i = 0; i < n; i++) {
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = ss[j] == ss[i];
            *clusters += !seen;
        }
    }
    free(ls);
    free(ss);
}

static void usage(void)
{
    fprintf(stderr, "usage: story_eval [--threshold X] [--window SECONDS] [--headline-body]"
                    " [--no-entities] [--no-duplicates] [--half 0|1] [--shuffle SEED]"
                    " [--no-dates] [--dump FILE] [FILE]\n");
}

int main(int argc, char **argv)
{
    const char *file = "../shared/data/news/uci_stories_dev.ndjson", *dump = NULL;
    char tmpdir[] = "/tmp/stories-eval-XXXXXX", dbpath[128];
    struct store_options so = {0};
    struct pipeline_config pc = {0};
    struct entity_extractor *ex = NULL;
    struct store *st = NULL;
    struct pipeline *pl = NULL;
    struct error err = {0};
    struct item *items = NULL;
    size_t n = 0, len = 0, blen = 0, clusters = 0, labels = 0, largest = 0;
    char *text = NULL, *bulk = NULL;
    atomic_int stopping = 0;
    struct prep_opts po = {0, -1, 0, 0};
    int rc = 2, made_dir = 0, entities = 1, duplicates = 1;
    double p = 0, r = 0, f = 0, secs;
    struct timespec t0, t1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threshold") == 0 && i + 1 < argc)
            so.story_threshold = atof(argv[++i]);
        else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc)
            so.story_window = atoll(argv[++i]);
        else if (strcmp(argv[i], "--headline-body") == 0)
            po.headline_body = 1;
        else if (strcmp(argv[i], "--half") == 0 && i + 1 < argc)
            po.half = atoi(argv[++i]) & 1;
        else if (strcmp(argv[i], "--shuffle") == 0 && i + 1 < argc)
            po.shuffle = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--no-dates") == 0)
            po.no_dates = 1;
        else if (strcmp(argv[i], "--no-entities") == 0)
            entities = 0;
        else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
            dump = argv[++i];
        else if (strcmp(argv[i], "--no-duplicates") == 0)
            duplicates = 0;
        else if (argv[i][0] == '-') {
            usage();
            return 2;
        } else
            file = argv[i];
    }
    text = tool_read_file(file, &len);
    if (text == NULL) {
        fprintf(stderr, "story_eval: %s: cannot read\n", file);
        return 2;
    }
    bulk = prepare(text, len, &po, &items, &n, &blen);
    if (bulk == NULL || n == 0) {
        fprintf(stderr, "story_eval: %s: no labelled lines\n", file);
        goto out;
    }
    if (mkdtemp(tmpdir) == NULL) {
        perror("story_eval: mkdtemp");
        goto out;
    }
    made_dir = 1;
    snprintf(dbpath, sizeof dbpath, "%s/eval.db", tmpdir);
    so.fingerprints = duplicates;
    if ((entities && entity_extractor_new(&ex, &err) != 0) ||
        store_open(dbpath, &so, &st, &err) != 0) {
        fprintf(stderr, "story_eval: %s\n", err.msg);
        goto out;
    }
    pc.store = st;
    pc.extractor = ex;
    pc.duplicates = duplicates;
    pc.max_line = 8u << 20;
    pc.threads = 2;
    pc.stopping = &stopping;
    pc.body_free = (void (*)(char *))free;
    if ((pl = pipeline_new(&pc, &err)) == NULL) {
        fprintf(stderr, "story_eval: %s\n", err.msg);
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ingest(pl, bulk, blen) != 0)
        goto out;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    for (size_t i = 0; i < n; i++) {
        struct article a;
        if (store_article_get(st, items[i].id, &a, &err) != 0) {
            fprintf(stderr, "story_eval: %s: %s\n", items[i].id, err.msg);
            goto out;
        }
        items[i].story = a.story;
        article_clear(&a);
    }
    if (dump != NULL) {
        FILE *df = fopen(dump, "w");
        for (size_t i = 0; df != NULL && i < n; i++)
            fprintf(df, "%s\t%s\t%lld\n", items[i].id, items[i].label, (long long)items[i].story);
        if (df == NULL || fclose(df) != 0)
            fprintf(stderr, "story_eval: %s: cannot write\n", dump);
    }
    bcubed(items, n, &p, &r, &clusters, &labels, &largest);
    f = p + r > 0 ? 2 * p * r / (p + r) : 0;
    printf("{\"file\": \"%s\", \"articles\": %zu, \"labels\": %zu, \"stories\": %zu,"
           " \"largest\": %zu, \"precision\": %.4f, \"recall\": %.4f, \"f1\": %.4f, \"threshold\": %.3f,"
           " \"window\": %lld, \"entities\": %d, \"duplicates\": %d, \"half\": %d,"
           " \"shuffle\": %llu, \"dates\": %d, \"ingest_s\": %.2f}\n",
           file, n, labels, clusters, largest, p, r, f,
           so.story_threshold > 0 ? so.story_threshold : STORY_DEFAULT_THRESHOLD,
           (long long)(so.story_window > 0 ? so.story_window : STORY_DEFAULT_WINDOW), entities,
           duplicates, po.half, po.shuffle, !po.no_dates, secs);
    rc = 0;
out:
    pipeline_free(pl);
    store_close(st);
    entity_extractor_free(ex);
    if (made_dir) {
        static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
            char path[160];
            snprintf(path, sizeof path, "%s%s", dbpath, sfx[i]);
            unlink(path);
        }
        rmdir(tmpdir);
    }
    for (size_t i = 0; i < n; i++) {
        free(items[i].id);
        free(items[i].label);
    }
    free(items);
    free(bulk);
    free(text);
    return rc;
}
