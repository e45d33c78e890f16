/* dupe_eval.c: how well the service finds near-duplicate articles, against brute force.
 *
 * Run (from the repository root, after building; the one command for the service):
 *   build/tools/dupe_eval --bin build/articled          # the running service, all corpora
 *   build/tools/dupe_eval --offline                     # the same code in-process, no server
 * Options: --data DIR (default ../shared/data/news; absent corpora are skipped with a
 * message), --corpus bbc|reuters|synth|all, --seed N (42), --synth-n N (3000 articles),
 * --copy-rate R (0.3), --corpusgen PATH (build/bench/corpusgen), --batch N (_bulk lines per
 * request, 1000), --min-containment X (0.3), --quiet.
 *
 * Corpora: BBC (bbc.ndjson), Reuters-21578 (reuters21578.ndjson) and a synthetic set written
 * by the benchmark corpus generator (bench/corpusgen, run as a program: --seed, --n, and
 * --copy-rate republished copies of earlier articles with page chrome and honorifics, listed
 * by its --pairs file). It is skipped with a message when corpusgen is not built.
 *
 * Truth: for every pair of articles, the exact containment of their full sets of normalised
 * word k-gram shingles (every k-gram, not winnowed; same normalisation and the same 64-bit
 * k-gram hashes as the service): |A ∩ B| / min(|A|, |B|). All pairs sharing at least one
 * shingle are enumerated through an inverted index; nothing is pruned. Articles with no words
 * are left out, and so are those the service refused to ingest (reported as
 * refused_by_service). Identical normalised bodies have containment 1.
 *
 * Method: "service" mode starts the articled binary on port 0 with a temporary database,
 * ingests through POST /v1/articles/_bulk and asks GET /v1/articles/{id}/duplicates
 * ?min_containment=0.3 for every article; a pair in "exact" counts as reported with
 * containment 1, a pair in "near" with its reported containment. "offline" mode runs the
 * service's own code in-process (analysis/dedupe for the sets, the store on a temporary
 * database, near_find and store_exact_copies for the look-up), without HTTP.
 *
 * Measures, for t = 0.5 and 0.9 and a tolerance d = 0.1:
 *   recall_t    = true pairs (truth >= t) reported with estimate >= t - d / true pairs;
 *   precision_t = reported pairs with estimate >= t whose truth >= t - d / those reported;
 *   strict_* the same with d = 0; below_0.3 = reported pairs whose truth < 0.3.
 * The same figures restricted to pairs whose smaller article has 50+ words follow in
 * "pairs_of_50_words_or_more"; for the synthetic set, "designed" gives the generator's
 * copies' true containment with their original and the share found (estimate >= 0.4).
 * Undefined ratios (empty denominators) print as null. Targets: recall and precision at 0.9
 * >= 0.98, recall at 0.5 >= 0.95, below_0.3 == 0. Output: one JSON line per corpus and
 * mode, then one final line with every figure. */
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analysis/dedupe.h"
#include "analysis/fingerprint.h"
#include "analysis/textnorm.h"
#include "pipeline/near.h"
#include "store/store.h"

#define TOLERANCE      0.1
#define TRUTH_FLOOR    0.2 /* pairs below this are not stored; looked up exactly if reported */
#define MAX_BULK_LINES 10000

static int quiet;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;

    if (quiet)
        return;
    va_start(ap, fmt);
    fputs("dupe_eval: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL) {
        fprintf(stderr, "dupe_eval: out of memory\n");
        exit(2);
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "dupe_eval: out of memory\n");
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;

    return memcpy(xmalloc(n), s, n);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- growable byte buffer ---- */

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sbuf_str(struct sbuf *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

/* ---- pair map: (i < j) → value, open addressing ---- */

struct pair_map {
    uint64_t *keys; /* 0 = empty; i < j so a real key is never 0 */
    double *vals;
    size_t n, cap;
};

static uint64_t pair_key(uint32_t i, uint32_t j)
{
    return i < j ? ((uint64_t)i << 32) | j : ((uint64_t)j << 32) | i;
}

static size_t pair_slot(const struct pair_map *m, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (m->cap - 1);

    while (m->keys[i] != 0 && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void pair_put(struct pair_map *m, uint64_t key, double val);

static void pair_grow(struct pair_map *m)
{
    struct pair_map old = *m;

    m->cap = old.cap ? old.cap * 2 : 1024;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->vals = xmalloc(m->cap * sizeof *m->vals);
    if (m->keys == NULL)
        exit(2);
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i] != 0)
            pair_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
}

static void pair_put(struct pair_map *m, uint64_t key, double val)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap)
        pair_grow(m);
    i = pair_slot(m, key);
    if (m->keys[i] == 0) {
        m->keys[i] = key;
        m->n++;
    }
    m->vals[i] = val;
}

/* Returns 1 and *val when key is present. */
static int pair_get(const struct pair_map *m, uint64_t key, double *val)
{
    size_t i;

    if (m->cap == 0)
        return 0;
    i = pair_slot(m, key);
    if (m->keys[i] == 0)
        return 0;
    *val = m->vals[i];
    return 1;
}

static void pair_free(struct pair_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- string → index map ---- */

struct str_map {
    char **keys;
    uint32_t *vals;
    size_t n, cap;
};

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void str_put(struct str_map *m, const char *key, uint32_t val)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap) {
        struct str_map old = *m;

        m->cap = old.cap ? old.cap * 2 : 1024;
        m->keys = calloc(m->cap, sizeof *m->keys);
        m->vals = xmalloc(m->cap * sizeof *m->vals);
        if (m->keys == NULL)
            exit(2);
        m->n = 0;
        for (size_t k = 0; k < old.cap; k++) {
            if (old.keys[k] != NULL) {
                str_put(m, old.keys[k], old.vals[k]);
                free(old.keys[k]);
            }
        }
        free(old.keys);
        free(old.vals);
    }
    i = (size_t)str_hash(key) & (m->cap - 1);
    while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    if (m->keys[i] == NULL) {
        m->keys[i] = xstrdup(key);
        m->n++;
    }
    m->vals[i] = val;
}

static int str_get(const struct str_map *m, const char *key, uint32_t *val)
{
    size_t i;

    if (m->cap == 0)
        return 0;
    i = (size_t)str_hash(key) & (m->cap - 1);
    while (m->keys[i] != NULL) {
        if (strcmp(m->keys[i], key) == 0) {
            *val = m->vals[i];
            return 1;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return 0;
}

static void str_free(struct str_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- corpora ---- */

struct doc {
    json_t *obj; /* the article as ingested (owned) */
    const char *id, *body;
    size_t body_len;
    struct fingerprint_set shingles; /* every k-gram: the truth */
    char hash[65];
    char *svc_id; /* id the service gave it, NULL if not ingested */
    int refused;  /* the service refused it: left out of that run's measures */
};

struct designed {
    uint32_t base, copy;
};

struct corpus {
    char name[32];
    struct doc *docs;
    size_t n, cap;
    struct designed *pairs; /* synthetic set only: the generator's copy-of pairs */
    size_t npairs;
};

static void corpus_add(struct corpus *c, json_t *obj)
{
    struct doc *d;

    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->docs = xrealloc(c->docs, c->cap * sizeof *c->docs);
    }
    d = &c->docs[c->n++];
    memset(d, 0, sizeof *d);
    d->obj = obj;
    d->id = json_string_value(json_object_get(obj, "id"));
    d->body = json_string_value(json_object_get(obj, "body"));
    d->body_len = json_string_length(json_object_get(obj, "body"));
}

static void corpus_free(struct corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        json_decref(c->docs[i].obj);
        fingerprint_set_free(&c->docs[i].shingles);
        free(c->docs[i].svc_id);
    }
    free(c->docs);
    free(c->pairs);
    memset(c, 0, sizeof *c);
}

/* Loads an NDJSON file of articles; lines without a string id and body are skipped.
 * Returns -1 when the file cannot be opened. */
static int corpus_load(struct corpus *c, const char *name, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, bad = 0;
    ssize_t got;

    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    if (f == NULL)
        return -1;
    while ((got = getline(&line, &cap, f)) > 0) {
        json_t *obj = json_loadb(line, (size_t)got, 0, NULL);

        if (!json_is_string(json_object_get(obj, "id")) ||
            !json_is_string(json_object_get(obj, "body"))) {
            json_decref(obj);
            bad++;
            continue;
        }
        corpus_add(c, obj);
    }
    free(line);
    fclose(f);
    if (bad > 0)
        note("%s: %zu lines without id/body skipped", path, bad);
    return 0;
}

/* Shingles (every FINGERPRINT_K-gram) and content hash of every article. */
static void corpus_analyse(struct corpus *c)
{
    struct textnorm_words words = TEXTNORM_WORDS_INIT;

    for (size_t i = 0; i < c->n; i++) {
        struct doc *d = &c->docs[i];

        fingerprint_set_free(&d->shingles);
        if (textnorm_split(d->body, d->body_len, &words) < 0 ||
            fingerprint_from_words(&words, FINGERPRINT_K, 1, &d->shingles) < 0)
            exit(2);
        fingerprint_words_hash(&words, d->hash);
    }
    textnorm_words_free(&words);
}

/* ---- inverted index over the hash sets of a corpus ---- */

struct posting {
    int64_t h;
    uint32_t doc;
};

struct index {
    int64_t *keys; /* unique hashes, ascending */
    size_t *start; /* postings of keys[i]: docs[start[i] .. start[i+1]) */
    uint32_t *docs;
    size_t nkeys;
};

static int posting_cmp(const void *a, const void *b)
{
    const struct posting *x = a, *y = b;

    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return (x->doc > y->doc) - (x->doc < y->doc);
}

/* Builds the index of the shingle sets of c. */
static void index_build(struct index *ix, const struct corpus *c)
{
    size_t total = 0, p = 0;
    struct posting *all;

    for (size_t i = 0; i < c->n; i++)
        total += c->docs[i].shingles.n;
    all = xmalloc(total * sizeof *all);
    for (size_t i = 0; i < c->n; i++) {
        const struct fingerprint_set *s = &c->docs[i].shingles;

        for (size_t j = 0; j < s->n; j++) {
            all[p].h = s->hashes[j];
            all[p++].doc = (uint32_t)i;
        }
    }
    qsort(all, total, sizeof *all, posting_cmp);
    ix->keys = xmalloc(total * sizeof *ix->keys);
    ix->start = xmalloc((total + 1) * sizeof *ix->start);
    ix->docs = xmalloc(total * sizeof *ix->docs);
    ix->nkeys = 0;
    for (size_t i = 0; i < total; i++) {
        if (i == 0 || all[i].h != all[i - 1].h) {
            ix->keys[ix->nkeys] = all[i].h;
            ix->start[ix->nkeys++] = i;
        }
        ix->docs[i] = all[i].doc;
    }
    ix->start[ix->nkeys] = total;
    free(all);
}

static size_t index_find(const struct index *ix, int64_t h)
{
    size_t lo = 0, hi = ix->nkeys;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ix->keys[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo; /* present: every hash of the corpus is in its index */
}

static void index_free(struct index *ix)
{
    free(ix->keys);
    free(ix->start);
    free(ix->docs);
    memset(ix, 0, sizeof *ix);
}

/* ---- truth: exact shingle containment of all pairs ---- */

struct truth {
    struct pair_map pairs; /* containment >= TRUTH_FLOOR */
    size_t n05, n09;
    double seconds;
};

static void truth_compute(struct truth *t, const struct corpus *c)
{
    struct index ix;
    uint32_t *cnt = calloc(c->n, sizeof *cnt), *touched = xmalloc(c->n * sizeof *touched);
    double t0 = now_s();

    memset(t, 0, sizeof *t);
    if (cnt == NULL)
        exit(2);
    index_build(&ix, c);
    for (size_t i = 0; i < c->n; i++) {
        const struct fingerprint_set *s = &c->docs[i].shingles;
        size_t nt = 0;

        for (size_t j = 0; j < s->n; j++) {
            size_t k = index_find(&ix, s->hashes[j]);

            for (size_t p = ix.start[k]; p < ix.start[k + 1]; p++) {
                uint32_t d = ix.docs[p];

                if (d <= i)
                    continue;
                if (cnt[d]++ == 0)
                    touched[nt++] = d;
            }
        }
        for (size_t j = 0; j < nt; j++) {
            uint32_t d = touched[j];
            size_t lo = s->n < c->docs[d].shingles.n ? s->n : c->docs[d].shingles.n;
            double v = (double)cnt[d] / (double)lo;

            cnt[d] = 0;
            if (v >= TRUTH_FLOOR) {
                pair_put(&t->pairs, pair_key((uint32_t)i, d), v);
                t->n05 += v >= 0.5;
                t->n09 += v >= 0.9;
            }
        }
    }
    index_free(&ix);
    free(cnt);
    free(touched);
    t->seconds = now_s() - t0;
}

/* True containment of docs i and j (stored, or computed for pairs below the floor). */
static double truth_of(const struct truth *t, const struct corpus *c, uint32_t i, uint32_t j)
{
    double v;

    if (pair_get(&t->pairs, pair_key(i, j), &v))
        return v;
    return fingerprint_containment(&c->docs[i].shingles, &c->docs[j].shingles);
}

/* ---- reported pairs ---- */

struct reported {
    struct pair_map pairs; /* estimate per reported pair; exact pairs are 1 */
    struct pair_map exact; /* the pairs reported as exact copies */
    struct pair_map sides; /* per pair, who listed it: 1 the lower article, 2 the higher, 3 both */
    size_t check_differs;  /* offline: articles whose check with their body answers otherwise */
    double seconds, lookup_s;
    size_t lookups;
};

/* Records that article i listed j. */
static void reported_side(struct reported *r, uint32_t i, uint32_t j)
{
    double old = 0;
    uint64_t key = pair_key(i, j);
    int bits = i < j ? 1 : 2;

    if (pair_get(&r->sides, key, &old))
        bits |= (int)old;
    pair_put(&r->sides, key, bits);
}

/* Pairs listed from one side only. */
static size_t reported_one_sided(const struct reported *r)
{
    size_t n = 0;

    for (size_t s = 0; s < r->sides.cap; s++)
        n += r->sides.keys[s] != 0 && (int)r->sides.vals[s] != 3;
    return n;
}

/* Adds pair (i, j) with estimate v, keeping the larger estimate if already reported. */
static void reported_add(struct reported *r, uint32_t i, uint32_t j, double v)
{
    double old;
    uint64_t key = pair_key(i, j);

    reported_side(r, i, j);
    if (pair_get(&r->pairs, key, &old) && old >= v)
        return;
    pair_put(&r->pairs, key, v);
}

static void reported_free(struct reported *r)
{
    pair_free(&r->pairs);
    pair_free(&r->exact);
    pair_free(&r->sides);
}

static void reported_exact(struct reported *r, uint32_t i, uint32_t j)
{
    pair_put(&r->exact, pair_key(i, j), 1.0);
    reported_add(r, i, j, 1.0);
}

/* 1 when the look-up of a stored article (a, itself excluded) and a check with its body (b,
 * nothing excluded) list the same near copies at min_c, exact ones apart. */
static int near_lists_agree(const struct dedupe_near_list *a, const struct dedupe_near_list *b,
                            double min_c)
{
    size_t na = 0, nb = 0;

    for (size_t k = 0; k < a->n; k++)
        if (!a->items[k].exact && a->items[k].containment + 1e-9 >= min_c) {
            na++;
            if (!dedupe_near_has(b, a->items[k].id))
                return 0;
        }
    for (size_t k = 0; k < b->n; k++)
        nb += !b->items[k].exact && b->items[k].containment + 1e-9 >= min_c;
    return na == nb;
}

/* The method in-process: the service's own code on a temporary database. Every article is
 * written with its sets (dedupe_sets, as ingest does), in batches like _bulk, then each one is
 * looked up as GET /v1/articles/{id}/duplicates does: exact copies by content hash, near
 * copies by near_find. Returns 0, or -1 when the store failed. */
static int offline_run(struct reported *r, struct corpus *c, size_t batch, double min_c)
{
    char dir[] = "/tmp/dupe_eval-XXXXXX", db[64];
    struct store_options so = {.fingerprints = 1};
    struct store *st = NULL;
    struct error err = {0};
    struct str_map by_id = {0};
    double t0 = now_s(), t1, lookup_s = 0;
    int rc = -1;

    memset(r, 0, sizeof *r);
    if (mkdtemp(dir) == NULL) {
        perror("dupe_eval: mkdtemp");
        return -1;
    }
    snprintf(db, sizeof db, "%s/eval.db", dir);
    if (store_open(db, &so, &st, &err) != 0) {
        fprintf(stderr, "dupe_eval: %s\n", err.msg);
        goto out;
    }
    for (size_t i = 0; i < c->n; i++) {
        c->docs[i].refused = 0;
        str_put(&by_id, c->docs[i].id, (uint32_t)i);
    }
    for (size_t start = 0; start < c->n; start += batch) {
        size_t n = c->n - start < batch ? c->n - start : batch;
        struct store_op *ops = calloc(n, sizeof *ops);
        struct store_batch b = {.ops = ops, .nops = n};
        int ok;

        if (ops == NULL)
            exit(2);
        for (size_t k = 0; k < n; k++) {
            const struct doc *d = &c->docs[start + k];
            const char *title = json_string_value(json_object_get(d->obj, "title"));
            struct article *a = &ops[k].article;

            ops[k].kind = STORE_OP_PUT;
            a->id = xstrdup(d->id);
            a->title = xstrdup(title ? title : d->id);
            a->body = xstrdup(d->body);
            a->body_len = d->body_len;
            if (dedupe_sets(a->body, a->body_len, &ops[k].fps, &ops[k].index, a->content_hash) < 0)
                exit(2);
            ops[k].fingerprinted = 1;
        }
        ok = store_write(st, &b, &err) == 0;
        for (size_t k = 0; k < n; k++) {
            c->docs[start + k].refused = !ok || ops[k].failed;
            article_clear(&ops[k].article);
            fingerprint_set_free(&ops[k].fps);
            fingerprint_set_free(&ops[k].index);
        }
        free(ops);
        if (!ok) {
            fprintf(stderr, "dupe_eval: %s\n", err.msg);
            goto out;
        }
    }
    t1 = now_s();
    for (size_t i = 0; i < c->n; i++) {
        const struct doc *d = &c->docs[i];
        struct fingerprint_set full = {0}, index = {0};
        struct dedupe_near_list near = {0}, check = {0};
        char **ids = NULL;
        size_t nids = 0;
        uint32_t j;
        double l0;

        if (d->refused || d->shingles.n == 0)
            continue;
        if (dedupe_sets(d->body, d->body_len, &full, &index, NULL) < 0)
            exit(2);
        l0 = now_s();
        if (store_exact_copies(st, d->hash, d->id, &ids, &nids, &err) != 0 ||
            near_find(st, &full, &index, d->id, d->hash, min_c, &near, &err) != 0) {
            fprintf(stderr, "dupe_eval: %s\n", err.msg);
            goto out;
        }
        lookup_s += now_s() - l0;
        r->lookups++;
        /* as POST /v1/duplicates/_check with the body: nothing excluded */
        if (near_find(st, &full, &index, NULL, d->hash, min_c, &check, &err) != 0) {
            fprintf(stderr, "dupe_eval: %s\n", err.msg);
            goto out;
        }
        if (!near_lists_agree(&near, &check, min_c)) {
            if (r->check_differs++ < 5)
                note("%s: check with the body of %s differs from its duplicates", c->name, d->id);
        }
        dedupe_near_list_free(&check);
        for (size_t k = 0; k < nids; k++) {
            if (str_get(&by_id, ids[k], &j) && j != i)
                reported_exact(r, (uint32_t)i, j);
            free(ids[k]);
        }
        free(ids);
        /* as the answer: exact copies are reported as such */
        for (size_t k = 0; k < near.n; k++)
            if (!near.items[k].exact && near.items[k].containment + 1e-9 >= min_c &&
                str_get(&by_id, near.items[k].id, &j) && j != i)
                reported_add(r, (uint32_t)i, j, near.items[k].containment);
        dedupe_near_list_free(&near);
        fingerprint_set_free(&full);
        fingerprint_set_free(&index);
    }
    r->lookup_s = lookup_s;
    for (size_t s = 0, shown = 0; s < r->sides.cap && shown < 5; s++) {
        uint64_t key = r->sides.keys[s];
        int bits = (int)r->sides.vals[s];
        const struct doc *lo = &c->docs[key >> 32], *hi = &c->docs[key & 0xffffffff];

        if (key == 0 || bits == 3)
            continue;
        shown++;
        note("%s: one-sided: %s (%zu shingles) lists %s (%zu shingles), not back", c->name,
             bits == 1 ? lo->id : hi->id, bits == 1 ? lo->shingles.n : hi->shingles.n,
             bits == 1 ? hi->id : lo->id, bits == 1 ? hi->shingles.n : lo->shingles.n);
    }
    note("%s: %zu look-ups (and as many checks) in %.1f s", c->name, r->lookups, now_s() - t1);
    rc = 0;
out:
    store_close(st);
    {
        static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
        char f[96];
        for (size_t k = 0; k < sizeof suffix / sizeof suffix[0]; k++) {
            snprintf(f, sizeof f, "%s%s", db, suffix[k]);
            unlink(f);
        }
        rmdir(dir);
    }
    str_free(&by_id);
    r->seconds = now_s() - t0;
    return rc;
}

/* ---- measures ---- */

struct metrics {
    size_t evaluated, true05, true09, reported, exact, ignored;
    size_t found05, found09, sfound05, sfound09; /* recall numerators (tolerant, strict) */
    size_t pred05, pred09, tp05, tp09, stp05, stp09;
    size_t below03, below02, refused;
    double abs_err;
};

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : NAN;
}

static json_t *json_ratio(size_t a, size_t b)
{
    return b ? json_real(round((double)a / (double)b * 10000.0) / 10000.0) : json_null();
}

static size_t pair_words(const struct corpus *c, uint64_t key)
{
    size_t a = c->docs[key >> 32].shingles.nwords, b = c->docs[key & 0xffffffff].shingles.nwords;

    return a < b ? a : b;
}

static int pair_refused(const struct corpus *c, uint64_t key)
{
    return c->docs[key >> 32].refused || c->docs[key & 0xffffffff].refused;
}

/* Counts over the pairs whose smaller article has at least min_words normalised words. */
static void metrics_compute(struct metrics *m, const struct corpus *c, const struct truth *t,
                            const struct reported *r, size_t min_words)
{
    size_t shown_miss = 0, shown_fp = 0;

    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < c->n; i++) {
        m->evaluated += c->docs[i].shingles.n > 0 && !c->docs[i].refused;
        m->refused += c->docs[i].refused;
    }
    m->exact = r->exact.n;
    for (size_t s = 0; s < t->pairs.cap; s++) {
        uint64_t key = t->pairs.keys[s];
        double v = t->pairs.vals[s];
        double est = -1.0;

        if (key == 0 || v < 0.5 || pair_words(c, key) < min_words || pair_refused(c, key))
            continue;
        pair_get(&r->pairs, key, &est);
        m->true05++;
        m->true09 += v >= 0.9;
        m->found05 += est >= 0.5 - TOLERANCE;
        m->sfound05 += est >= 0.5;
        if (v >= 0.9) {
            m->found09 += est >= 0.9 - TOLERANCE;
            m->sfound09 += est >= 0.9;
        }
        if (est < 0.5 - TOLERANCE && min_words == 0 && shown_miss++ < 5)
            note("%s: missed %s ~ %s truth %.3f estimate %.3f", c->name, c->docs[key >> 32].id,
                 c->docs[key & 0xffffffff].id, v, est);
    }
    for (size_t s = 0; s < r->pairs.cap; s++) {
        uint64_t key = r->pairs.keys[s];
        uint32_t i = (uint32_t)(key >> 32), j = (uint32_t)key;
        double est = r->pairs.vals[s], v;

        if (key == 0)
            continue;
        if (c->docs[i].shingles.n == 0 || c->docs[j].shingles.n == 0) {
            m->ignored++;
            continue;
        }
        if (pair_words(c, key) < min_words || pair_refused(c, key))
            continue;
        v = truth_of(t, c, i, j);
        m->reported++;
        m->abs_err += fabs(est - v);
        m->below03 += v < 0.3;
        m->below02 += v < 0.2;
        if (est >= 0.5) {
            m->pred05++;
            m->tp05 += v >= 0.5 - TOLERANCE;
            m->stp05 += v >= 0.5;
        }
        if (est >= 0.9) {
            m->pred09++;
            m->tp09 += v >= 0.9 - TOLERANCE;
            m->stp09 += v >= 0.9;
        }
        if ((v < 0.3 || (est >= 0.5 && v < 0.5 - TOLERANCE)) && min_words == 0 && shown_fp++ < 5)
            note("%s: reported %s ~ %s estimate %.3f truth %.3f", c->name, c->docs[i].id,
                 c->docs[j].id, est, v);
    }
}

static json_t *metrics_brief(const struct metrics *m)
{
    json_t *o = json_object();

    json_object_set_new(o, "true_pairs_0.5", json_integer((json_int_t)m->true05));
    json_object_set_new(o, "true_pairs_0.9", json_integer((json_int_t)m->true09));
    json_object_set_new(o, "reported_pairs", json_integer((json_int_t)m->reported));
    json_object_set_new(o, "recall_0.5", json_ratio(m->found05, m->true05));
    json_object_set_new(o, "precision_0.5", json_ratio(m->tp05, m->pred05));
    json_object_set_new(o, "recall_0.9", json_ratio(m->found09, m->true09));
    json_object_set_new(o, "precision_0.9", json_ratio(m->tp09, m->pred09));
    json_object_set_new(o, "reported_below_0.3", json_integer((json_int_t)m->below03));
    return o;
}

static int metrics_meet_targets(const struct metrics *m)
{
    double r9 = ratio(m->found09, m->true09), p9 = ratio(m->tp09, m->pred09);
    double r5 = ratio(m->found05, m->true05);

    return (isnan(r9) || r9 >= 0.98) && (isnan(p9) || p9 >= 0.98) && (isnan(r5) || r5 >= 0.95) &&
           m->below03 == 0;
}

static json_t *metrics_json(const struct metrics *m, const struct corpus *c, const char *mode,
                            const struct truth *t, const struct reported *r)
{
    json_t *o = json_object();
    json_t *strict = json_object();

    json_object_set_new(o, "tool", json_string("dupe_eval"));
    json_object_set_new(o, "corpus", json_string(c->name));
    json_object_set_new(o, "mode", json_string(mode));
    json_object_set_new(o, "articles", json_integer((json_int_t)c->n));
    json_object_set_new(o, "evaluated", json_integer((json_int_t)m->evaluated));
    json_object_set_new(o, "refused_by_service", json_integer((json_int_t)m->refused));
    json_object_set_new(o, "true_pairs_0.5", json_integer((json_int_t)m->true05));
    json_object_set_new(o, "true_pairs_0.9", json_integer((json_int_t)m->true09));
    json_object_set_new(o, "reported_pairs", json_integer((json_int_t)m->reported));
    json_object_set_new(o, "reported_exact", json_integer((json_int_t)m->exact));
    json_object_set_new(o, "recall_0.5", json_ratio(m->found05, m->true05));
    json_object_set_new(o, "precision_0.5", json_ratio(m->tp05, m->pred05));
    json_object_set_new(o, "recall_0.9", json_ratio(m->found09, m->true09));
    json_object_set_new(o, "precision_0.9", json_ratio(m->tp09, m->pred09));
    json_object_set_new(o, "reported_below_0.3", json_integer((json_int_t)m->below03));
    json_object_set_new(o, "reported_below_0.2", json_integer((json_int_t)m->below02));
    json_object_set_new(o, "mean_abs_error",
                        m->reported ? json_real(round(m->abs_err / m->reported * 1e4) / 1e4)
                                    : json_null());
    json_object_set_new(strict, "recall_0.5", json_ratio(m->sfound05, m->true05));
    json_object_set_new(strict, "precision_0.5", json_ratio(m->stp05, m->pred05));
    json_object_set_new(strict, "recall_0.9", json_ratio(m->sfound09, m->true09));
    json_object_set_new(strict, "precision_0.9", json_ratio(m->stp09, m->pred09));
    json_object_set_new(o, "strict", strict);
    json_object_set_new(o, "tolerance", json_real(TOLERANCE));
    json_object_set_new(o, "targets_met", json_boolean(metrics_meet_targets(m)));
    json_object_set_new(o, "brute_force_s", json_real(round(t->seconds * 1000) / 1000));
    json_object_set_new(o, "method_s", json_real(round(r->seconds * 1000) / 1000));
    json_object_set_new(o, "one_sided_pairs", json_integer((json_int_t)reported_one_sided(r)));
    if (r->lookups) {
        json_object_set_new(o, "lookup_us", json_real(round(r->lookup_s / r->lookups * 1e7) / 10));
        json_object_set_new(o, "check_differs", json_integer((json_int_t)r->check_differs));
    }
    if (m->ignored)
        json_object_set_new(o, "ignored_empty_pairs", json_integer((json_int_t)m->ignored));
    return o;
}

/* The synthetic set's designed copies: how many, their mean and lowest true containment with
 * their original, and the share reported with an estimate >= 0.4 (found at t = 0.5 with the
 * tolerance). */
static json_t *designed_json(const struct corpus *c, const struct truth *t,
                             const struct reported *r)
{
    json_t *o = json_object();
    size_t n = 0, found = 0;
    double sum = 0, lo = 1;

    for (size_t p = 0; p < c->npairs; p++) {
        const struct designed *d = &c->pairs[p];
        double est = -1.0, v;

        if (c->docs[d->base].refused || c->docs[d->copy].refused)
            continue;
        v = truth_of(t, c, d->base, d->copy);
        pair_get(&r->pairs, pair_key(d->base, d->copy), &est);
        n++;
        sum += v;
        lo = v < lo ? v : lo;
        found += est >= 0.5 - TOLERANCE;
    }
    json_object_set_new(o, "copies", json_integer((json_int_t)n));
    json_object_set_new(o, "mean_truth", json_real(n ? round(sum / n * 1e4) / 1e4 : 0));
    json_object_set_new(o, "min_truth", json_real(round(lo * 1e4) / 1e4));
    json_object_set_new(o, "found", json_ratio(found, n));
    return o;
}

/* ---- the synthetic set: bench/corpusgen ---- */

/* Runs corpusgen (bin) for n articles from seed with copy_rate copies and loads its output
 * and its copy-of pairs into out. Returns 0, or -1 (with a note) when it cannot run. */
static int synth_load(struct corpus *out, const char *bin, const char *data, uint64_t seed,
                      size_t n, double copy_rate)
{
    char pairs_path[] = "/tmp/dupe_eval-pairs-XXXXXX", arg_n[32], arg_seed[32], arg_rate[32];
    struct str_map by_id = {0};
    char *line = NULL;
    size_t cap = 0, npairs_cap = 0;
    ssize_t got;
    int fds[2], status = 0, fd = mkstemp(pairs_path);
    pid_t pid;
    FILE *f;

    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "synthetic");
    if (fd < 0 || access(bin, X_OK) != 0 || pipe(fds) != 0) {
        note("%s is not an executable (--corpusgen PATH): skipping the synthetic set", bin);
        if (fd >= 0) {
            close(fd);
            unlink(pairs_path);
        }
        return -1;
    }
    close(fd);
    snprintf(arg_n, sizeof arg_n, "%zu", n);
    snprintf(arg_seed, sizeof arg_seed, "%llu", (unsigned long long)seed);
    snprintf(arg_rate, sizeof arg_rate, "%.6f", copy_rate);
    pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(bin, bin, "--data", data, "--n", arg_n, "--seed", arg_seed, "--copy-rate", arg_rate,
              "--pairs", pairs_path, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    f = fdopen(fds[0], "r");
    while (f != NULL && (got = getline(&line, &cap, f)) > 0) {
        json_t *obj = json_loadb(line, (size_t)got, 0, NULL);
        if (!json_is_string(json_object_get(obj, "id")) ||
            !json_is_string(json_object_get(obj, "body"))) {
            json_decref(obj);
            continue;
        }
        corpus_add(out, obj);
        str_put(&by_id, out->docs[out->n - 1].id, (uint32_t)(out->n - 1));
    }
    if (f != NULL)
        fclose(f);
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        note("%s failed (status %d): skipping the synthetic set", bin, status);
        corpus_free(out);
        goto out;
    }
    /* "copy-id<TAB>original-id" per line */
    f = fopen(pairs_path, "r");
    while (f != NULL && (got = getline(&line, &cap, f)) > 0) {
        char *tab = strchr(line, '\t'), *end = strchr(line, '\n');
        uint32_t copy, base;
        if (tab == NULL)
            continue;
        *tab = '\0';
        if (end != NULL)
            *end = '\0';
        if (!str_get(&by_id, line, &copy) || !str_get(&by_id, tab + 1, &base))
            continue;
        if (out->npairs == npairs_cap) {
            npairs_cap = npairs_cap ? npairs_cap * 2 : 256;
            out->pairs = xrealloc(out->pairs, npairs_cap * sizeof *out->pairs);
        }
        out->pairs[out->npairs++] = (struct designed){base, copy};
    }
    if (f != NULL)
        fclose(f);
out:
    unlink(pairs_path);
    free(line);
    str_free(&by_id);
    return out->n > 0 ? 0 : -1;
}

/* ---- the service ---- */

struct server {
    pid_t pid;
    int fd; /* the server's stdout */
    int port;
    FILE *log;
    pthread_t drain;
    int draining;
    char dir[64];
    char db[128];
    char logpath[128];
};

/* Copies the server's stdout to its log file until EOF (a full pipe would stall it). */
static void *server_drain(void *arg)
{
    struct server *s = arg;
    char buf[8192];
    ssize_t n;

    while ((n = read(s->fd, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, s->log);
    return NULL;
}

/* Port of a "listening" JSON log line, or 0. */
static int listening_port(const char *line, size_t len)
{
    json_t *o = json_loadb(line, len, 0, NULL);
    int port = 0;

    if (o != NULL && json_is_string(json_object_get(o, "msg")) &&
        strcmp(json_string_value(json_object_get(o, "msg")), "listening") == 0 &&
        json_is_integer(json_object_get(o, "port")))
        port = (int)json_integer_value(json_object_get(o, "port"));
    json_decref(o);
    return port;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void server_stop(struct server *s, int keep_files)
{
    if (s->pid > 0) {
        int status;
        double t0 = now_s();

        kill(s->pid, SIGTERM);
        while (waitpid(s->pid, &status, WNOHANG) == 0) {
            if (now_s() - t0 > 10) {
                kill(s->pid, SIGKILL);
                waitpid(s->pid, &status, 0);
                break;
            }
            usleep(20000);
        }
        s->pid = 0;
    }
    if (s->draining)
        pthread_join(s->drain, NULL);
    s->draining = 0;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (s->log != NULL)
        fclose(s->log);
    s->log = NULL;
    if (!keep_files && s->dir[0])
        remove_dir(s->dir);
}

/* Starts bin on port 0 with a fresh database in a temporary directory and waits (30 s at
 * most) for its "listening" log line. Returns 0, or -1 with the reason printed. */
static int server_start(struct server *s, const char *bin)
{
    int pipefd[2];
    char buf[65536];
    size_t have = 0;
    double t0 = now_s();

    memset(s, 0, sizeof *s);
    s->fd = -1;
    snprintf(s->dir, sizeof s->dir, "/tmp/dupe_eval.XXXXXX");
    if (mkdtemp(s->dir) == NULL || pipe(pipefd) < 0) {
        fprintf(stderr, "dupe_eval: temp dir / pipe: %s\n", strerror(errno));
        return -1;
    }
    snprintf(s->db, sizeof s->db, "%s/articled.db", s->dir);
    snprintf(s->logpath, sizeof s->logpath, "%s/server.log", s->dir);
    s->log = fopen(s->logpath, "w");
    if (s->log == NULL)
        return -1;
    fflush(NULL);
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        int err = open(s->logpath, O_WRONLY | O_APPEND);

        dup2(pipefd[1], 1);
        if (err >= 0)
            dup2(err, 2);
        close(pipefd[0]);
        close(pipefd[1]);
        execl(bin, bin, "--port", "0", "--db", s->db, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    s->fd = pipefd[0];
    while (s->port == 0) {
        struct pollfd p = {s->fd, POLLIN, 0};
        double left = 30 - (now_s() - t0);
        ssize_t n;
        char *nl;

        if (left <= 0 || poll(&p, 1, (int)(left * 1000)) <= 0)
            break;
        n = read(s->fd, buf + have, sizeof buf - 1 - have);
        if (n <= 0)
            break;
        fwrite(buf + have, 1, (size_t)n, s->log);
        have += (size_t)n;
        while ((nl = memchr(buf, '\n', have)) != NULL) {
            size_t len = (size_t)(nl - buf) + 1;

            if (s->port == 0)
                s->port = listening_port(buf, len - 1);
            memmove(buf, buf + len, have - len);
            have -= len;
        }
        if (have == sizeof buf - 1)
            have = 0; /* an absurdly long line: not ours */
    }
    fflush(s->log);
    if (s->port == 0) {
        fprintf(stderr,
                "dupe_eval: %s did not log {\"msg\":\"listening\",\"port\":N} within 30 s; "
                "its output is in %s\n",
                bin, s->logpath);
        server_stop(s, 1);
        return -1;
    }
    s->draining = pthread_create(&s->drain, NULL, server_drain, s) == 0;
    return 0;
}

static size_t curl_collect(char *p, size_t size, size_t n, void *arg)
{
    sbuf_add(arg, p, size * n);
    return size * n;
}

/* One request; the response body goes to resp. Returns the HTTP status, or -1. */
static long http_do(CURL *h, const char *url, const char *body, size_t len, struct sbuf *resp)
{
    struct curl_slist *hdr = NULL;
    long status = -1;

    resp->len = 0;
    sbuf_str(resp, "");
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 600L);
    if (body != NULL) {
        hdr = curl_slist_append(hdr, "Content-Type: application/x-ndjson");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    return status;
}

/* Ingests every article in batches through POST /v1/articles/_bulk and records the id the
 * service gave each one. Returns the number ingested, or -1 if the endpoint fails. */
static long service_ingest(CURL *h, int port, struct corpus *c, size_t batch,
                           struct str_map *by_svc, struct reported *r)
{
    struct sbuf body = {0}, resp = {0};
    char url[128];
    size_t ok = 0, failed = 0;

    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/articles/_bulk", port);
    for (size_t from = 0; from < c->n; from += batch) {
        size_t to = from + batch < c->n ? from + batch : c->n;
        json_t *res, *items;
        long status;

        body.len = 0;
        for (size_t i = from; i < to; i++) {
            char *line = json_dumps(c->docs[i].obj, JSON_COMPACT);

            sbuf_str(&body, line);
            sbuf_str(&body, "\n");
            free(line);
        }
        status = http_do(h, url, body.p, body.len, &resp);
        res = json_loadb(resp.p, resp.len, 0, NULL);
        items = json_object_get(res, "items");
        if (status < 200 || status >= 300 || !json_is_array(items)) {
            fprintf(stderr, "dupe_eval: POST _bulk answered %ld: %.300s\n", status, resp.p);
            json_decref(res);
            free(body.p);
            free(resp.p);
            return -1;
        }
        for (size_t k = 0; k < json_array_size(items); k++) {
            json_t *it = json_array_get(items, k);
            json_t *line = json_object_get(it, "line");
            long st = (long)json_integer_value(json_object_get(it, "status"));
            const char *sid = json_string_value(json_object_get(it, "id"));
            size_t i = from + k; /* items follow the lines... */
            uint32_t other;

            if (json_array_size(items) != to - from && json_is_integer(line))
                i = from + (size_t)json_integer_value(line) - 1; /* ...or say which (1-based) */
            if (i < from || i >= to)
                continue;
            if (st < 200 || st >= 300) {
                c->docs[i].refused = 1;
                if (failed++ < 3) {
                    char *why = json_dumps(it, JSON_COMPACT);

                    fprintf(stderr, "dupe_eval: %s not ingested: %s\n", c->docs[i].id, why);
                    free(why);
                }
                continue;
            }
            if (sid == NULL)
                sid = c->docs[i].id;
            /* a service that folds an exact copy into the existing article says so here */
            if (str_get(by_svc, sid, &other) && other != i) {
                reported_exact(r, (uint32_t)i, other);
            } else {
                str_put(by_svc, sid, (uint32_t)i);
            }
            free(c->docs[i].svc_id);
            c->docs[i].svc_id = xstrdup(sid);
            ok++;
        }
        json_decref(res);
    }
    if (failed)
        note("%s: %zu articles refused by the service", c->name, failed);
    free(body.p);
    free(resp.p);
    return (long)ok;
}

/* Asks GET /v1/articles/{id}/duplicates for every ingested article. Returns 0 or -1. */
static int service_query(CURL *h, int port, const struct corpus *c, double min_c,
                         const struct str_map *by_svc, struct reported *r)
{
    struct sbuf resp = {0};
    size_t unknown = 0, errors = 0;

    for (size_t i = 0; i < c->n; i++) {
        const struct doc *d = &c->docs[i];
        char url[1024];
        char *esc;
        json_t *res, *exact, *near;
        long status;
        uint32_t j;

        if (d->svc_id == NULL)
            continue;
        esc = curl_easy_escape(h, d->svc_id, 0);
        snprintf(url, sizeof url,
                 "http://127.0.0.1:%d/v1/articles/%s/duplicates?min_containment=%.2f", port, esc,
                 min_c);
        curl_free(esc);
        status = http_do(h, url, NULL, 0, &resp);
        if (status != 200) {
            if (errors++ < 3)
                fprintf(stderr, "dupe_eval: GET %s answered %ld: %.300s\n", url, status, resp.p);
            if (errors > 50) {
                fprintf(stderr, "dupe_eval: too many failures, giving up on %s\n", c->name);
                free(resp.p);
                return -1;
            }
            continue;
        }
        res = json_loadb(resp.p, resp.len, 0, NULL);
        exact = json_object_get(res, "exact");
        near = json_object_get(res, "near");
        for (size_t k = 0; k < json_array_size(exact); k++) {
            const char *sid = json_string_value(json_array_get(exact, k));

            if (sid == NULL || !str_get(by_svc, sid, &j)) {
                unknown++;
                continue;
            }
            if (j != i) {
                reported_exact(r, (uint32_t)i, j);
            }
        }
        for (size_t k = 0; k < json_array_size(near); k++) {
            json_t *e = json_array_get(near, k);
            const char *sid = json_string_value(json_object_get(e, "id"));

            if (sid == NULL || !str_get(by_svc, sid, &j)) {
                unknown++;
                continue;
            }
            if (j != i)
                reported_add(r, (uint32_t)i, j,
                             json_number_value(json_object_get(e, "containment")));
        }
        json_decref(res);
    }
    if (unknown)
        note("%s: %zu reported ids unknown to this run", c->name, unknown);
    free(resp.p);
    return 0;
}

/* The whole service run for one corpus. Returns 0, or -1 when the service could not be
 * started or failed. */
static int service_run(struct reported *r, struct corpus *c, const char *bin, size_t batch,
                       double min_c)
{
    struct server srv;
    struct str_map by_svc = {0};
    CURL *h = curl_easy_init();
    double t0 = now_s(), t1;
    long n;
    int rc = -1;

    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < c->n; i++)
        c->docs[i].refused = 0;
    if (h == NULL || server_start(&srv, bin) < 0)
        goto out_nosrv;
    note("%s: service on port %d, ingesting %zu articles", c->name, srv.port, c->n);
    n = service_ingest(h, srv.port, c, batch, &by_svc, r);
    if (n < 0)
        goto out;
    t1 = now_s();
    note("%s: %ld ingested in %.1f s (%.0f/s); querying duplicates", c->name, n, t1 - t0,
         n / (t1 - t0));
    if (service_query(h, srv.port, c, min_c, &by_svc, r) < 0)
        goto out;
    note("%s: %zu queries in %.1f s", c->name, (size_t)n, now_s() - t1);
    rc = 0;
out:
    server_stop(&srv, rc < 0);
    if (rc < 0)
        fprintf(stderr, "dupe_eval: server files kept in %s\n", srv.dir);
out_nosrv:
    str_free(&by_svc);
    if (h != NULL)
        curl_easy_cleanup(h);
    r->seconds = now_s() - t0;
    return rc;
}

/* ---- main ---- */

struct options {
    const char *data, *bin, *corpus, *corpusgen;
    int offline, both;
    uint64_t seed;
    size_t synth_n, batch;
    double min_c, copy_rate;
};

static void usage(void)
{
    fprintf(stderr, "usage: dupe_eval [--offline | --both] [--bin PATH] [--data DIR]\n"
                    "                 [--corpus bbc|reuters|synth|all] [--seed N] [--synth-n N]\n"
                    "                 [--copy-rate R] [--corpusgen PATH] [--batch N]\n"
                    "                 [--min-containment X] [--quiet]\n");
    exit(2);
}

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));

    printf("%s\n", s);
    fflush(stdout);
    free(s);
}

/* Evaluates one corpus in the chosen modes, appending result objects to results.
 * Returns 0, or -1 if the service run failed. */
static int evaluate(struct corpus *c, const struct options *o, json_t *results, int *all_met)
{
    struct truth t;
    int rc = 0;

    corpus_analyse(c);
    truth_compute(&t, c);
    note("%s: %zu articles, %zu true pairs >= 0.5, %zu >= 0.9 (brute force %.1f s)", c->name, c->n,
         t.n05, t.n09, t.seconds);
    for (int mode = 0; mode < 2; mode++) {
        struct reported r;
        struct metrics m, m50;
        json_t *j;

        if (mode == 0 && !(o->offline || o->both))
            continue;
        if (mode == 1 && o->offline)
            continue;
        if (mode == 0 ? offline_run(&r, c, o->batch, o->min_c) < 0
                      : service_run(&r, c, o->bin, o->batch, o->min_c) < 0) {
            reported_free(&r);
            rc = -1;
            continue;
        }
        metrics_compute(&m, c, &t, &r, 0);
        j = metrics_json(&m, c, mode == 0 ? "offline" : "service", &t, &r);
        json_object_set_new(j, "k", json_integer(FINGERPRINT_K));
        json_object_set_new(j, "index_w", json_integer(FINGERPRINT_INDEX_W));
        metrics_compute(&m50, c, &t, &r, 50);
        json_object_set_new(j, "pairs_of_50_words_or_more", metrics_brief(&m50));
        if (c->npairs > 0)
            json_object_set_new(j, "designed", designed_json(c, &t, &r));
        *all_met &= metrics_meet_targets(&m);
        print_json(j);
        json_array_append_new(results, j);
        reported_free(&r);
    }
    pair_free(&t.pairs);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o = {.data = "../shared/data/news",
                        .bin = "build/articled",
                        .corpus = "all",
                        .corpusgen = "build/bench/corpusgen",
                        .seed = 42,
                        .synth_n = 3000,
                        .copy_rate = 0.3,
                        .batch = 1000,
                        .min_c = 0.3};
    struct corpus bbc = {0}, reuters = {0}, synth = {0};
    size_t nsrc = 0;
    char path[1024];
    json_t *results = json_array(), *summary;
    int all_met = 1, failed = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--offline") == 0) {
            o.offline = 1;
        } else if (strcmp(a, "--both") == 0) {
            o.both = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (v == NULL) {
            usage();
        } else if (strcmp(a, "--data") == 0) {
            o.data = v, i++;
        } else if (strcmp(a, "--bin") == 0) {
            o.bin = v, i++;
        } else if (strcmp(a, "--corpus") == 0) {
            o.corpus = v, i++;
        } else if (strcmp(a, "--seed") == 0) {
            o.seed = strtoull(v, NULL, 10), i++;
        } else if (strcmp(a, "--synth-n") == 0) {
            o.synth_n = strtoul(v, NULL, 10), i++;
        } else if (strcmp(a, "--copy-rate") == 0) {
            o.copy_rate = strtod(v, NULL), i++;
        } else if (strcmp(a, "--corpusgen") == 0) {
            o.corpusgen = v, i++;
        } else if (strcmp(a, "--batch") == 0) {
            o.batch = strtoul(v, NULL, 10), i++;
        } else if (strcmp(a, "--min-containment") == 0) {
            o.min_c = strtod(v, NULL), i++;
        } else {
            usage();
        }
    }
    if (o.batch == 0 || o.batch > MAX_BULK_LINES)
        o.batch = MAX_BULK_LINES;
    if (!o.offline && access(o.bin, X_OK) != 0) {
        fprintf(stderr, "dupe_eval: %s is not an executable (--bin PATH, or --offline)\n", o.bin);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);

    snprintf(path, sizeof path, "%s/bbc.ndjson", o.data);
    if (corpus_load(&bbc, "bbc", path) < 0)
        note("%s not found, skipping BBC", path);
    else
        nsrc++;
    snprintf(path, sizeof path, "%s/reuters21578.ndjson", o.data);
    if (corpus_load(&reuters, "reuters", path) < 0)
        note("%s not found, skipping Reuters", path);
    else
        nsrc++;
    if (nsrc == 0) {
        fprintf(stderr, "dupe_eval: no corpus under %s (--data DIR); nothing to evaluate\n",
                o.data);
        json_decref(results);
        return 0;
    }
    if ((strcmp(o.corpus, "all") == 0 || strcmp(o.corpus, "synth") == 0) &&
        synth_load(&synth, o.corpusgen, o.data, o.seed, o.synth_n, o.copy_rate) == 0)
        note("synthetic: %zu articles from %s, %zu copy pairs (seed %llu)", synth.n, o.corpusgen,
             synth.npairs, (unsigned long long)o.seed);
    {
        struct corpus *order[3] = {&bbc, &reuters, &synth};

        for (int i = 0; i < 3; i++) {
            struct corpus *c = order[i];

            if (c->n == 0)
                continue;
            if (strcmp(o.corpus, "all") != 0 && strncmp(o.corpus, c->name, strlen(o.corpus)) != 0)
                continue;
            if (evaluate(c, &o, results, &all_met) < 0)
                failed = 1;
        }
    }
    {
        summary = json_object();
        json_object_set_new(summary, "tool", json_string("dupe_eval"));
        json_object_set_new(summary, "summary", json_true());
        json_object_set_new(summary, "k", json_integer(FINGERPRINT_K));
        json_object_set_new(summary, "index_w", json_integer(FINGERPRINT_INDEX_W));
        json_object_set_new(summary, "tolerance", json_real(TOLERANCE));
        json_object_set_new(summary, "seed", json_integer((json_int_t)o.seed));
        json_object_set_new(summary, "results", results);
        json_object_set_new(summary, "all_targets_met", json_boolean(all_met && !failed));
        print_json(summary);
        json_decref(summary);
    }
    corpus_free(&synth);
    corpus_free(&bbc);
    corpus_free(&reuters);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
