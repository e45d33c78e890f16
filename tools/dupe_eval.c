/* dupe_eval.c: how well the service finds near-duplicate articles, against brute force.
 *
 * Run (from the repository root, after building; the one command for the service):
 *   build/tools/dupe_eval --bin build/articled          # the running service, all corpora
 *   build/tools/dupe_eval --offline                     # the method in-process, no server
 *   build/tools/dupe_eval --offline --sweep             # k / w / boilerplate trade-offs
 * Options: --data DIR (default ../shared/data/news; absent corpora are skipped with a
 * message), --corpus bbc|reuters|synth|all, --seed N (42), --synth-bases N (300), --batch N
 * (_bulk lines per request, 1000), --min-containment X (0.3), --quiet; offline only:
 * --k N, --w N, --boilerplate-df N (50), --boilerplate recount|ignore, --min-shared N (1).
 *
 * Corpora: BBC (bbc.ndjson), Reuters-21578 (reuters21578.ndjson) and a synthetic set made
 * from both, deterministic from --seed: base articles, copies of them carrying the
 * newsroom transformations (page chrome with duplicated captions, bylines, "Share this
 * article", newsletter prompts; honorifics added; per cent / percent / % swaps; curly quotes
 * and dashes; several KB of other articles glued on as "related articles"; paragraph
 * reordering; truncation; small word edits), and unrelated distractor articles.
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
 * containment 1, a pair in "near" with its reported containment. "offline" mode computes the
 * same thing in-process the way the store does: winnowed fingerprints in an inverted index;
 * hashes carried by more than --boilerplate-df articles find no candidates; a candidate's
 * estimate counts every hash it shares, shared / min(n_a, n_b); exact = equal content hash.
 * (--boilerplate ignore: boilerplate hashes are not counted as shared either.)
 *
 * Measures, for t = 0.5 and 0.9 and a tolerance d = 0.1 (the estimate is a sample of the
 * k-grams, so it scatters around the truth):
 *   recall_t    = true pairs (truth >= t) reported with estimate >= t - d / true pairs;
 *   precision_t = reported pairs with estimate >= t whose truth >= t - d / those reported;
 *   strict_* the same with d = 0; below_0.3 = reported pairs whose truth < 0.3.
 * The same figures restricted to pairs whose smaller article has 50+ words follow in
 * "pairs_of_50_words_or_more"; for the synthetic set, "designed" gives per transformation
 * the copies' true containment with their base and the share found (estimate >= 0.4).
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

#include "analysis/fingerprint.h"
#include "analysis/textnorm.h"

#define TOLERANCE      0.1
#define TRUTH_FLOOR    0.2 /* pairs below this are not stored; looked up exactly if reported */
#define MAX_BULK_LINES 10000

static int quiet;
static size_t min_shared = 1; /* --min-shared: fingerprints a near pair must share */

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

/* ---- deterministic PRNG (splitmix64) ---- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *s, size_t n)
{
    return n ? (size_t)(rng_next(s) % n) : 0;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
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

enum transform {
    TR_CHROME = 1 << 0,
    TR_HONORIFIC = 1 << 1,
    TR_PERCENT = 1 << 2,
    TR_QUOTES = 1 << 3,
    TR_GLUE = 1 << 4,
    TR_REORDER = 1 << 5,
    TR_TRUNCATE = 1 << 6,
    TR_EDIT = 1 << 7,
    TR_COUNT = 8
};

static const char *const transform_names[TR_COUNT] = {
    "chrome", "honorifics", "percent", "quotes", "glue", "reorder", "truncate", "edit",
};

struct doc {
    json_t *obj; /* the article as ingested (owned) */
    const char *id, *body;
    size_t body_len;
    struct fingerprint_set shingles; /* every k-gram: the truth */
    struct fingerprint_set fp;       /* winnowed: the method */
    char hash[65];
    char *svc_id; /* id the service gave it, NULL if not ingested */
    int refused;  /* the service refused it: left out of that run's measures */
};

struct designed {
    uint32_t base, copy;
    unsigned mask;
};

struct corpus {
    char name[32];
    struct doc *docs;
    size_t n, cap;
    struct designed *pairs; /* synthetic set only: copy-of pairs and their transforms */
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
        fingerprint_set_free(&c->docs[i].fp);
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

/* Shingles (k, w=1), fingerprints (k, w) and content hash of every article. */
static void corpus_analyse(struct corpus *c, unsigned k, unsigned w)
{
    struct textnorm_words words = TEXTNORM_WORDS_INIT;

    for (size_t i = 0; i < c->n; i++) {
        struct doc *d = &c->docs[i];

        fingerprint_set_free(&d->shingles);
        fingerprint_set_free(&d->fp);
        if (textnorm_split(d->body, d->body_len, &words) < 0 ||
            fingerprint_from_words(&words, k, 1, &d->shingles) < 0 ||
            fingerprint_from_words(&words, k, w, &d->fp) < 0)
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

/* Builds the index of the shingle sets (full = 1) or fingerprint sets of c. */
static void index_build(struct index *ix, const struct corpus *c, int full)
{
    size_t total = 0, p = 0;
    struct posting *all;

    for (size_t i = 0; i < c->n; i++)
        total += full ? c->docs[i].shingles.n : c->docs[i].fp.n;
    all = xmalloc(total * sizeof *all);
    for (size_t i = 0; i < c->n; i++) {
        const struct fingerprint_set *s = full ? &c->docs[i].shingles : &c->docs[i].fp;

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
    index_build(&ix, c, 1);
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

/* ---- the method, in-process ---- */

struct reported {
    struct pair_map pairs; /* estimate per reported pair; exact pairs are 1 */
    struct pair_map exact; /* the pairs reported as exact copies */
    double seconds;
};

/* Adds pair (i, j) with estimate v, keeping the larger estimate if already reported. */
static void reported_add(struct reported *r, uint32_t i, uint32_t j, double v)
{
    double old;
    uint64_t key = pair_key(i, j);

    if (pair_get(&r->pairs, key, &old) && old >= v)
        return;
    pair_put(&r->pairs, key, v);
}

static void reported_free(struct reported *r)
{
    pair_free(&r->pairs);
    pair_free(&r->exact);
}

static void reported_exact(struct reported *r, uint32_t i, uint32_t j)
{
    pair_put(&r->exact, pair_key(i, j), 1.0);
    reported_add(r, i, j, 1.0);
}

struct hash_ref {
    const char *hash;
    uint32_t doc;
};

static int hash_ref_cmp(const void *a, const void *b)
{
    const struct hash_ref *x = a, *y = b;
    int d = strcmp(x->hash, y->hash);

    return d ? d : (x->doc > y->doc) - (x->doc < y->doc);
}

/* Reports every pair of articles with the same content hash as exact (estimate 1). */
static void exact_pairs(struct reported *r, const struct corpus *c)
{
    struct hash_ref *refs = xmalloc(c->n * sizeof *refs);
    size_t n = 0;

    for (size_t i = 0; i < c->n; i++) {
        if (c->docs[i].fp.nwords > 0) {
            refs[n].hash = c->docs[i].hash;
            refs[n++].doc = (uint32_t)i;
        }
    }
    qsort(refs, n, sizeof *refs, hash_ref_cmp);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;

        while (b < n && strcmp(refs[a].hash, refs[b].hash) == 0)
            b++;
        for (size_t x = a; x < b; x++) {
            for (size_t y = x + 1; y < b; y++) {
                reported_exact(r, refs[x].doc, refs[y].doc);
            }
        }
        a = b;
    }
    free(refs);
}

/* The method in-process. Hashes carried by more than boiler_df articles are boilerplate:
 * with recount = 0 they are ignored (estimate = shared rare hashes / min(n_a, n_b)); with
 * recount = 1 they only find no candidates, and a candidate's estimate counts every shared
 * hash. */
static void offline_run(struct reported *r, const struct corpus *c, size_t boiler_df, int recount,
                        double min_c)
{
    struct index ix;
    uint32_t *cnt = calloc(c->n, sizeof *cnt), *touched = xmalloc(c->n * sizeof *touched);
    double t0 = now_s();

    memset(r, 0, sizeof *r);
    if (cnt == NULL)
        exit(2);
    index_build(&ix, c, 0);
    exact_pairs(r, c);
    for (size_t i = 0; i < c->n; i++) {
        const struct fingerprint_set *s = &c->docs[i].fp;
        size_t nt = 0;

        for (size_t j = 0; j < s->n; j++) {
            size_t k = index_find(&ix, s->hashes[j]);

            if (ix.start[k + 1] - ix.start[k] > boiler_df)
                continue;
            for (size_t p = ix.start[k]; p < ix.start[k + 1]; p++) {
                uint32_t o = ix.docs[p];

                if (o != i && cnt[o]++ == 0)
                    touched[nt++] = o;
            }
        }
        for (size_t j = 0; j < nt; j++) {
            uint32_t o = touched[j];
            size_t lo = s->n < c->docs[o].fp.n ? s->n : c->docs[o].fp.n;
            double v = (double)cnt[o] / (double)lo;

            cnt[o] = 0;
            if (recount)
                v = fingerprint_containment(s, &c->docs[o].fp);
            if (v >= min_c && fingerprint_shared(s, &c->docs[o].fp) >= min_shared)
                reported_add(r, (uint32_t)i, o, v);
        }
    }
    index_free(&ix);
    free(cnt);
    free(touched);
    r->seconds = now_s() - t0;
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
    if (m->ignored)
        json_object_set_new(o, "ignored_empty_pairs", json_integer((json_int_t)m->ignored));
    return o;
}

/* Per transformation of the synthetic set: copies, mean true containment with their base,
 * and the share reported with an estimate >= 0.4 (found at t = 0.5 with the tolerance). */
static json_t *designed_json(const struct corpus *c, const struct truth *t,
                             const struct reported *r)
{
    json_t *o = json_object();

    for (int k = 0; k < TR_COUNT; k++) {
        size_t n = 0, found = 0;
        double sum = 0, lo = 1;
        json_t *e;

        for (size_t p = 0; p < c->npairs; p++) {
            const struct designed *d = &c->pairs[p];
            double est = -1.0;
            double v;

            if (!(d->mask & (1u << k)))
                continue;
            v = truth_of(t, c, d->base, d->copy);
            pair_get(&r->pairs, pair_key(d->base, d->copy), &est);
            n++;
            sum += v;
            lo = v < lo ? v : lo;
            found += est >= 0.5 - TOLERANCE;
        }
        e = json_object();
        json_object_set_new(e, "copies", json_integer((json_int_t)n));
        json_object_set_new(e, "mean_truth", json_real(n ? round(sum / n * 1e4) / 1e4 : 0));
        json_object_set_new(e, "min_truth", json_real(round(lo * 1e4) / 1e4));
        json_object_set_new(e, "found", json_ratio(found, n));
        json_object_set_new(o, transform_names[k], e);
    }
    return o;
}

/* ---- the synthetic set ---- */

struct strv {
    char **v;
    size_t n, cap;
};

static void strv_push(struct strv *s, char *owned)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = owned;
}

static void strv_pushn(struct strv *s, const char *p, size_t n)
{
    char *x = xmalloc(n + 1);

    memcpy(x, p, n);
    x[n] = '\0';
    strv_push(s, x);
}

static void strv_insert(struct strv *s, size_t at, char *owned)
{
    strv_push(s, owned);
    memmove(s->v + at + 1, s->v + at, (s->n - 1 - at) * sizeof *s->v);
    s->v[at] = owned;
}

static void strv_free(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static char *strv_join(const struct strv *s, const char *sep)
{
    struct sbuf b = {0};

    sbuf_str(&b, "");
    for (size_t i = 0; i < s->n; i++) {
        if (i > 0)
            sbuf_str(&b, sep);
        sbuf_str(&b, s->v[i]);
    }
    return b.p;
}

static void split_words(struct strv *out, const char *s)
{
    while (*s) {
        size_t n;

        s += strspn(s, " \t\r\n");
        n = strcspn(s, " \t\r\n");
        if (n > 0)
            strv_pushn(out, s, n);
        s += n;
    }
}

static size_t count_words(const char *s)
{
    struct strv w = {0};
    size_t n;

    split_words(&w, s);
    n = w.n;
    strv_free(&w);
    return n;
}

/* Paragraphs of a body, lines reflowed: a blank or indented line starts a paragraph (BBC
 * uses blank lines, Reuters indents). Texts of fewer than three paragraphs are cut into
 * chunks of whole sentences of at least 25 words, so that reordering has something to move. */
static void split_paragraphs(struct strv *out, const char *body)
{
    struct sbuf cur = {0};
    const char *p = body;

    while (*p) {
        size_t n = strcspn(p, "\n");
        int blank = strspn(p, " \t\r") >= n;
        int indented = n > 0 && (p[0] == ' ' || p[0] == '\t');

        if ((blank || indented) && cur.len > 0) {
            strv_push(out, cur.p);
            memset(&cur, 0, sizeof cur);
        }
        if (!blank) {
            const char *q = p + strspn(p, " \t");

            if (cur.len > 0)
                sbuf_str(&cur, " ");
            sbuf_add(&cur, q, (size_t)(p + n - q));
        }
        p += n + (p[n] == '\n');
    }
    if (cur.len > 0)
        strv_push(out, cur.p);
    if (out->n < 3) {
        char *all = strv_join(out, " ");
        struct strv words = {0};
        struct sbuf chunk = {0};
        size_t inchunk = 0;

        strv_free(out);
        split_words(&words, all);
        for (size_t i = 0; i < words.n; i++) {
            size_t len = strlen(words.v[i]);

            if (chunk.len > 0)
                sbuf_str(&chunk, " ");
            sbuf_str(&chunk, words.v[i]);
            inchunk++;
            if (inchunk >= 25 && len > 0 && words.v[i][len - 1] == '.') {
                strv_push(out, chunk.p);
                memset(&chunk, 0, sizeof chunk);
                inchunk = 0;
            }
        }
        if (chunk.len > 0)
            strv_push(out, chunk.p);
        strv_free(&words);
        free(all);
    }
}

static const char *const filler_words[] = {
    "however", "also",  "reportedly", "officials", "later", "again",
    "new",     "local", "major",      "early",     "still", "recently",
};

static const char *const honorific_forms[] = {"Mr.", "Mrs.", "Ms", "Dr.", "Prof.", "Sir", "Mr"};

/* Applies the word-level transformations to one paragraph; returns a new string. */
static char *transform_words(const char *para, unsigned mask, uint64_t *rng)
{
    struct strv in = {0}, out = {0};
    char *res;

    split_words(&in, para);
    for (size_t i = 0; i < in.n; i++) {
        char *t = in.v[i];
        size_t len = strlen(t);
        char *pct;

        if ((mask & TR_EDIT) && rng_unit(rng) < 0.03) {
            double r = rng_unit(rng);

            if (r < 0.4)
                continue;
            if (r < 0.8) {
                strv_push(&out, xstrdup(filler_words[rng_below(rng, 12)]));
                continue;
            }
            strv_push(&out, xstrdup(t)); /* doubled word */
        }
        if ((mask & TR_HONORIFIC) && i > 0 && t[0] >= 'A' && t[0] <= 'Z') {
            const char *prev = in.v[i - 1];
            char last = prev[strlen(prev) - 1];

            if (((last >= 'a' && last <= 'z') || last == ',') && rng_unit(rng) < 0.5)
                strv_push(&out, xstrdup(honorific_forms[rng_below(rng, 7)]));
        }
        if (mask & TR_PERCENT) {
            if (strcasecmp(t, "percent") == 0 || strncasecmp(t, "percent", 7) == 0) {
                struct sbuf b = {0};

                strv_push(&out, xstrdup("per"));
                sbuf_str(&b, "cent");
                sbuf_str(&b, t + 7);
                strv_push(&out, b.p);
                continue;
            }
            if (strncasecmp(t, "pct", 3) == 0 && (len == 3 || !isalpha((unsigned char)t[3]))) {
                struct sbuf b = {0};

                sbuf_str(&b, "percent");
                sbuf_str(&b, t + 3);
                strv_push(&out, b.p);
                continue;
            }
            if (strcasecmp(t, "per") == 0 && i + 1 < in.n &&
                strncasecmp(in.v[i + 1], "cent", 4) == 0) {
                struct sbuf b = {0};

                sbuf_str(&b, "%");
                sbuf_str(&b, in.v[i + 1] + 4);
                if (out.n > 0) { /* "5 per cent" -> "5%" */
                    struct sbuf j = {0};

                    sbuf_str(&j, out.v[out.n - 1]);
                    sbuf_str(&j, b.p);
                    free(out.v[out.n - 1]);
                    free(b.p);
                    out.v[out.n - 1] = j.p;
                } else {
                    strv_push(&out, b.p);
                }
                i++;
                continue;
            }
            pct = strchr(t, '%');
            if (pct != NULL && pct > t) {
                struct sbuf b = {0};

                strv_pushn(&out, t, (size_t)(pct - t));
                strv_push(&out, xstrdup("per"));
                sbuf_str(&b, "cent");
                sbuf_str(&b, pct + 1);
                strv_push(&out, b.p);
                continue;
            }
        }
        strv_push(&out, xstrdup(t));
    }
    res = strv_join(&out, " ");
    strv_free(&in);
    strv_free(&out);
    return res;
}

/* Curly quotes, typographic dashes and apostrophes; returns a new string. */
static char *transform_quotes(const char *s)
{
    struct sbuf b = {0};
    int open = 1;

    sbuf_str(&b, "");
    for (; *s; s++) {
        if (*s == '"') {
            sbuf_str(&b, open ? "\xe2\x80\x9c" : "\xe2\x80\x9d");
            open = !open;
        } else if (*s == '\'') {
            sbuf_str(&b, "\xe2\x80\x99");
        } else if (s[0] == ' ' && s[1] == '-' && s[2] == ' ') {
            sbuf_str(&b, " \xe2\x80\x93 ");
            s += 2;
        } else if (s[0] == '-' && s[1] == '-') {
            sbuf_str(&b, "\xe2\x80\x94");
            s++;
        } else {
            sbuf_add(&b, s, 1);
        }
    }
    return b.p;
}

static const char *const first_names[] = {"Jane",   "Tom",   "Priya", "Oliver", "Mei",
                                          "Carlos", "Amara", "Lukas", "Sofia",  "Daniel"};
static const char *const last_names[] = {"Hartley", "Okoro",   "Lindqvist", "Moreau",   "Tanaka",
                                         "Fischer", "Alvarez", "Reid",      "Kowalski", "Byrne"};
static const char *const roles[] = {"Business Reporter", "Political Correspondent", "Staff Writer",
                                    "Economics Editor", "Reuters"};
static const char *const agencies[] = {"Getty Images", "Reuters", "AFP", "PA Media", "EPA"};

/* Page chrome around the paragraphs: byline, date line, "Share this article", an image
 * caption printed twice, an advertisement marker and a newsletter prompt. */
static void add_chrome(struct strv *paras, uint64_t *rng)
{
    struct sbuf byline = {0}, caption = {0};
    struct strv words = {0};
    char date[64];
    size_t from = rng_below(rng, paras->n), ncap = 6 + rng_below(rng, 7);

    sbuf_str(&byline, "By ");
    sbuf_str(&byline, first_names[rng_below(rng, 10)]);
    sbuf_str(&byline, " ");
    sbuf_str(&byline, last_names[rng_below(rng, 10)]);
    sbuf_str(&byline, ", ");
    sbuf_str(&byline, roles[rng_below(rng, 5)]);
    split_words(&words, paras->v[from]);
    sbuf_str(&caption, "Image caption: ");
    for (size_t i = 0; i < words.n && i < ncap; i++) {
        sbuf_str(&caption, i ? " " : "");
        sbuf_str(&caption, words.v[i]);
    }
    sbuf_str(&caption, " (Photo: ");
    sbuf_str(&caption, agencies[rng_below(rng, 5)]);
    sbuf_str(&caption, ")");
    snprintf(date, sizeof date, "Published %zu hours ago", 1 + rng_below(rng, 23));

    strv_insert(paras, paras->n > 2 ? 2 : paras->n, xstrdup(caption.p));
    if (paras->n > 4)
        strv_insert(paras, paras->n / 2 + 1, xstrdup("Advertisement"));
    strv_insert(paras, 0, caption.p);
    strv_insert(paras, 0, xstrdup("Share this article"));
    strv_insert(paras, 0, xstrdup(date));
    strv_insert(paras, 0, byline.p);
    strv_push(paras, xstrdup("Sign up for our newsletter to get the morning briefing in your "
                             "inbox every day."));
    strv_push(paras, xstrdup("Share this article"));
    strv_push(paras, xstrdup("Copyright 2025 The Daily Planet. All rights reserved."));
    strv_free(&words);
}

struct pool {
    const struct doc **docs;
    size_t n, next;
};

/* Appends "Related articles" and 2-8 KB of other articles (each used once). */
static void add_glue(struct strv *paras, struct pool *pool, uint64_t *rng)
{
    size_t target = 2048 + rng_below(rng, 6145), have = 0;

    strv_push(paras, xstrdup("Related articles"));
    while (have < target && pool->next < pool->n) {
        const struct doc *d = pool->docs[pool->next++];
        const char *title = json_string_value(json_object_get(d->obj, "title"));
        struct strv ps = {0};

        if (title != NULL) {
            strv_push(paras, xstrdup(title));
            have += strlen(title);
        }
        split_paragraphs(&ps, d->body);
        for (size_t i = 0; i < ps.n && have < target; i++) {
            size_t len = strlen(ps.v[i]);

            if (have + len > target) { /* cut the last one at a word boundary */
                size_t cut = target - have;

                while (cut > 0 && ps.v[i][cut] != ' ')
                    cut--;
                if (cut == 0)
                    break;
                ps.v[i][cut] = '\0';
                len = cut;
            }
            strv_push(paras, ps.v[i]);
            ps.v[i] = NULL;
            have += len;
        }
        for (size_t i = 0; i < ps.n; i++)
            free(ps.v[i]);
        free(ps.v);
    }
}

/* Keeps the first 40-85% of the words, whole paragraphs then part of one. */
static void truncate_paras(struct strv *paras, uint64_t *rng)
{
    size_t total = 0, keep, seen = 0, i;

    for (i = 0; i < paras->n; i++)
        total += count_words(paras->v[i]);
    keep = (size_t)(total * (0.4 + 0.45 * rng_unit(rng)));
    if (keep == 0)
        keep = 1;
    for (i = 0; i < paras->n && seen < keep; i++) {
        size_t nw = count_words(paras->v[i]);

        if (seen + nw > keep) {
            struct strv w = {0};

            split_words(&w, paras->v[i]);
            for (size_t k = keep - seen; k < w.n; k++) {
                free(w.v[k]);
                w.v[k] = NULL;
            }
            w.n = keep - seen;
            free(paras->v[i]);
            paras->v[i] = strv_join(&w, " ");
            strv_free(&w);
            nw = keep - seen;
        }
        seen += nw;
    }
    for (size_t k = i; k < paras->n; k++)
        free(paras->v[k]);
    paras->n = i;
}

static void shuffle_paras(struct strv *paras, uint64_t *rng)
{
    for (size_t i = paras->n; i > 1; i--) {
        size_t j = rng_below(rng, i);
        char *t = paras->v[i - 1];

        paras->v[i - 1] = paras->v[j];
        paras->v[j] = t;
    }
}

/* Recipes of the copies, cycled over the bases: the newsroom's cases alone and combined. */
static const unsigned recipes[] = {
    TR_QUOTES | TR_PERCENT | TR_HONORIFIC, /* an exact copy once normalised */
    TR_CHROME | TR_HONORIFIC | TR_PERCENT | TR_QUOTES,
    TR_CHROME | TR_GLUE,
    TR_GLUE,
    TR_REORDER,
    TR_TRUNCATE,
    TR_EDIT,
    TR_CHROME | TR_GLUE | TR_REORDER | TR_EDIT | TR_QUOTES,
    TR_TRUNCATE | TR_GLUE | TR_CHROME,
    TR_REORDER | TR_TRUNCATE | TR_PERCENT | TR_HONORIFIC,
};

static char *make_copy(const struct doc *base, unsigned mask, struct pool *pool, uint64_t *rng)
{
    struct strv paras = {0};
    char *body;

    split_paragraphs(&paras, base->body);
    if ((mask & TR_TRUNCATE) && paras.n > 0)
        truncate_paras(&paras, rng);
    if (mask & TR_REORDER)
        shuffle_paras(&paras, rng);
    for (size_t i = 0; i < paras.n; i++) {
        char *t = transform_words(paras.v[i], mask, rng);

        free(paras.v[i]);
        paras.v[i] = t;
        if (mask & TR_QUOTES) {
            t = transform_quotes(paras.v[i]);
            free(paras.v[i]);
            paras.v[i] = t;
        }
    }
    if ((mask & TR_CHROME) && paras.n > 0)
        add_chrome(&paras, rng);
    if (mask & TR_GLUE)
        add_glue(&paras, pool, rng);
    body = strv_join(&paras, "\n\n");
    strv_free(&paras);
    return body;
}

static json_t *synth_article(const struct doc *d, const char *id, const char *body)
{
    json_t *o = json_deep_copy(d->obj);

    json_object_set_new(o, "id", json_string(id));
    if (body != NULL)
        json_object_set_new(o, "body", json_string(body));
    return o;
}

/* Builds the synthetic set from the source corpora: nbases base articles (>= 120 words),
 * two copies of each with the recipes above, 4 * nbases distractors; the glue comes from
 * articles not in the set, each used once. Deterministic from seed. */
static void synth_build(struct corpus *out, struct corpus *const *src, size_t nsrc, uint64_t seed,
                        size_t nbases)
{
    struct pool pool = {0};
    size_t total = 0, nb = 0, nd = 0;
    const struct doc **bases;
    uint64_t rng = seed;
    char id[512];

    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "synthetic");
    for (size_t s = 0; s < nsrc; s++)
        total += src[s]->n;
    pool.docs = xmalloc(total * sizeof *pool.docs);
    for (size_t s = 0; s < nsrc; s++)
        for (size_t i = 0; i < src[s]->n; i++)
            pool.docs[pool.n++] = &src[s]->docs[i];
    for (size_t i = pool.n; i > 1; i--) {
        size_t j = rng_below(&rng, i);
        const struct doc *t = pool.docs[i - 1];

        pool.docs[i - 1] = pool.docs[j];
        pool.docs[j] = t;
    }
    bases = xmalloc(nbases * sizeof *bases);
    /* bases and distractors from the front of the shuffled pool, glue from the rest */
    for (size_t i = 0; i < pool.n && (nb < nbases || nd < 4 * nbases); i++) {
        const struct doc *d = pool.docs[i];

        if (nb < nbases && count_words(d->body) >= 120) {
            bases[nb++] = d;
        } else if (nd < 4 * nbases) {
            snprintf(id, sizeof id, "syn-%s", d->id);
            corpus_add(out, synth_article(d, id, NULL));
            nd++;
        } else {
            continue;
        }
        pool.next = i + 1;
    }
    out->pairs = xmalloc(2 * nb * sizeof *out->pairs);
    for (size_t b = 0; b < nb; b++) {
        uint32_t base_ix = (uint32_t)out->n;

        snprintf(id, sizeof id, "syn-%s", bases[b]->id);
        corpus_add(out, synth_article(bases[b], id, NULL));
        for (int c = 0; c < 2; c++) {
            unsigned mask = recipes[(2 * b + (size_t)c) % (sizeof recipes / sizeof recipes[0])];
            char *body = make_copy(bases[b], mask, &pool, &rng);
            struct designed *d = &out->pairs[out->npairs++];

            snprintf(id, sizeof id, "syn-%s-copy%d", bases[b]->id, c + 1);
            corpus_add(out, synth_article(bases[b], id, body));
            free(body);
            d->base = base_ix;
            d->copy = (uint32_t)out->n - 1;
            d->mask = mask;
        }
    }
    if (nb < nbases)
        note("synthetic: only %zu bases of >= 120 words", nb);
    free(bases);
    free(pool.docs);
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
    const char *data, *bin, *corpus;
    int offline, both, sweep, recount;
    unsigned k, w;
    uint64_t seed;
    size_t synth_bases, boiler_df, batch;
    double min_c;
};

static void usage(void)
{
    fprintf(stderr,
            "usage: dupe_eval [--offline | --both] [--sweep] [--bin PATH] [--data DIR]\n"
            "                 [--corpus bbc|reuters|synth|all] [--seed N] [--synth-bases N]\n"
            "                 [--boilerplate-df N] [--batch N] [--min-containment X] [--quiet]\n");
    exit(2);
}

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));

    printf("%s\n", s);
    fflush(stdout);
    free(s);
}

/* Offline figures for a grid of k, w and boilerplate cut-offs (one JSON line each). */
static void sweep(struct corpus *c, const struct options *o)
{
    static const unsigned ks[] = {3, 4, 5, 6, 8};
    static const unsigned ws[] = {1, 2, 3, 4, 6, 8};
    static const size_t dfs[] = {10, 20, 50, 100, 1000000};

    for (size_t a = 0; a < sizeof ks / sizeof ks[0]; a++) {
        struct truth t;

        corpus_analyse(c, ks[a], FINGERPRINT_W);
        truth_compute(&t, c);
        for (size_t b = 0; b < sizeof ws / sizeof ws[0]; b++) {
            for (size_t d = 0; d < sizeof dfs / sizeof dfs[0]; d++) {
                struct reported r;
                struct metrics m;
                json_t *j;
                size_t fps = 0;

                /* the boilerplate cut-off is only swept at the default k and w */
                if (dfs[d] != o->boiler_df && (ks[a] != FINGERPRINT_K || ws[b] != FINGERPRINT_W))
                    continue;
                for (size_t i = 0; i < c->n; i++) {
                    struct textnorm_words words = TEXTNORM_WORDS_INIT;

                    fingerprint_set_free(&c->docs[i].fp);
                    if (textnorm_split(c->docs[i].body, c->docs[i].body_len, &words) < 0 ||
                        fingerprint_from_words(&words, ks[a], ws[b], &c->docs[i].fp) < 0)
                        exit(2);
                    textnorm_words_free(&words);
                    fps += c->docs[i].fp.n;
                }
                offline_run(&r, c, dfs[d], o->recount, o->min_c);
                metrics_compute(&m, c, &t, &r, 0);
                j = metrics_json(&m, c, "offline-sweep", &t, &r);
                json_object_set_new(j, "k", json_integer(ks[a]));
                json_object_set_new(j, "w", json_integer(ws[b]));
                json_object_set_new(j, "boilerplate_df", json_integer((json_int_t)dfs[d]));
                json_object_set_new(j, "fingerprints_per_article",
                                    json_real(round((double)fps / c->n * 10) / 10));
                print_json(j);
                json_decref(j);
                reported_free(&r);
            }
        }
        pair_free(&t.pairs);
    }
    corpus_analyse(c, FINGERPRINT_K, FINGERPRINT_W);
}

/* Evaluates one corpus in the chosen modes, appending result objects to results.
 * Returns 0, or -1 if the service run failed. */
static int evaluate(struct corpus *c, const struct options *o, json_t *results, int *all_met)
{
    struct truth t;
    int rc = 0;

    corpus_analyse(c, o->k, o->w);
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
        if (mode == 0) {
            offline_run(&r, c, o->boiler_df, o->recount, o->min_c);
        } else if (service_run(&r, c, o->bin, o->batch, o->min_c) < 0) {
            reported_free(&r);
            rc = -1;
            continue;
        }
        metrics_compute(&m, c, &t, &r, 0);
        j = metrics_json(&m, c, mode == 0 ? "offline" : "service", &t, &r);
        json_object_set_new(j, "k", json_integer(o->k));
        json_object_set_new(j, "w", json_integer(o->w));
        if (mode == 0) {
            json_object_set_new(j, "boilerplate_df", json_integer((json_int_t)o->boiler_df));
            json_object_set_new(j, "boilerplate",
                                json_string(o->recount ? "no-candidates" : "ignored"));
        }
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
                        .recount = 1,
                        .k = FINGERPRINT_K,
                        .w = FINGERPRINT_W,
                        .seed = 42,
                        .synth_bases = 300,
                        .boiler_df = 50,
                        .batch = 1000,
                        .min_c = 0.3};
    struct corpus bbc = {0}, reuters = {0}, synth = {0};
    struct corpus *src[2];
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
        } else if (strcmp(a, "--sweep") == 0) {
            o.sweep = 1;
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
        } else if (strcmp(a, "--synth-bases") == 0) {
            o.synth_bases = strtoul(v, NULL, 10), i++;
        } else if (strcmp(a, "--boilerplate-df") == 0) {
            o.boiler_df = strtoul(v, NULL, 10), i++;
        } else if (strcmp(a, "--boilerplate") == 0) {
            o.recount = strcmp(v, "ignore") != 0, i++;
        } else if (strcmp(a, "--min-shared") == 0) {
            min_shared = strtoul(v, NULL, 10), i++;
        } else if (strcmp(a, "--k") == 0) {
            o.k = (unsigned)strtoul(v, NULL, 10), i++;
        } else if (strcmp(a, "--w") == 0) {
            o.w = (unsigned)strtoul(v, NULL, 10), i++;
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
        src[nsrc++] = &bbc;
    snprintf(path, sizeof path, "%s/reuters21578.ndjson", o.data);
    if (corpus_load(&reuters, "reuters", path) < 0)
        note("%s not found, skipping Reuters", path);
    else
        src[nsrc++] = &reuters;
    if (nsrc == 0) {
        fprintf(stderr, "dupe_eval: no corpus under %s (--data DIR); nothing to evaluate\n",
                o.data);
        json_decref(results);
        return 0;
    }
    if (strcmp(o.corpus, "all") == 0 || strcmp(o.corpus, "synth") == 0) {
        synth_build(&synth, src, nsrc, o.seed, o.synth_bases);
        note("synthetic: %zu articles, %zu designed copy pairs (seed %llu)", synth.n, synth.npairs,
             (unsigned long long)o.seed);
    }
    {
        struct corpus *order[3] = {&bbc, &reuters, &synth};

        for (int i = 0; i < 3; i++) {
            struct corpus *c = order[i];

            if (c->n == 0)
                continue;
            if (strcmp(o.corpus, "all") != 0 && strncmp(o.corpus, c->name, strlen(o.corpus)) != 0)
                continue;
            if (o.sweep)
                sweep(c, &o);
            else if (evaluate(c, &o, results, &all_met) < 0)
                failed = 1;
        }
    }
    if (!o.sweep) {
        summary = json_object();
        json_object_set_new(summary, "tool", json_string("dupe_eval"));
        json_object_set_new(summary, "summary", json_true());
        json_object_set_new(summary, "k", json_integer(FINGERPRINT_K));
        json_object_set_new(summary, "w", json_integer(FINGERPRINT_W));
        json_object_set_new(summary, "tolerance", json_real(TOLERANCE));
        json_object_set_new(summary, "seed", json_integer((json_int_t)o.seed));
        json_object_set_new(summary, "results", results);
        json_object_set_new(summary, "all_targets_met", json_boolean(all_met && !failed));
        print_json(summary);
        json_decref(summary);
    } else {
        json_decref(results);
    }
    corpus_free(&synth);
    corpus_free(&bbc);
    corpus_free(&reuters);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
