/* story.c: story signatures, vectors, centroids and the join rule (see
 * story.h). Everything here is deterministic: ties are broken by position
 * or by hash, never by memory order. */
#include "analysis/story.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/textnorm.h"

/* Words that say nothing about which event a report is about (folded, as
 * textnorm gives them; sorted for bsearch). Rarity handles the rest. */
static const char *const stop_words[] = {
    "a",      "about",  "after",  "again", "against", "all",    "also",   "an",     "and",
    "any",    "are",    "as",     "at",    "be",      "been",   "before", "being",  "but",
    "by",     "can",    "could",  "did",   "do",      "does",   "for",    "from",   "had",
    "has",    "have",   "he",     "her",   "here",    "hers",   "him",    "his",    "how",
    "i",      "if",     "in",     "into",  "is",      "it",     "its",    "just",   "more",
    "most",   "new",    "no",     "not",   "now",     "of",     "off",    "on",     "one",
    "or",     "other",  "our",    "out",   "over",    "said",   "say",    "says",   "she",
    "so",     "some",   "than",   "that",  "the",     "their",  "them",   "then",   "there",
    "these",  "they",   "this",   "those", "to",      "too",    "under",  "up",     "us",
    "very",   "via",    "was",    "we",    "were",    "what",   "when",   "where",  "which",
    "while",  "who",    "whom",   "why",   "will",    "with",   "would",  "yet",    "you",
    "your",
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_stop(const char *w)
{
    return bsearch(&w, stop_words, sizeof stop_words / sizeof stop_words[0], sizeof stop_words[0],
                   cmp_str) != NULL;
}

/* FNV-1a over a kind byte and the text: words and entity keys never meet. */
static int64_t feat_hash(char kind, const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    h = (h ^ (unsigned char)kind) * 1099511628211ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (int64_t)h;
}

/* A signature being built: features with their first position. */
struct sig_acc {
    struct story_feat *f;
    size_t *first;
    size_t n, cap;
};

/* Adds w to feature h (first seen at pos). 0 or -1. */
static int acc_add(struct sig_acc *a, int64_t h, float w, size_t pos)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->f[i].h == h) {
            a->f[i].w += w;
            return 0;
        }
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct story_feat *f = realloc(a->f, cap * sizeof *f);
        size_t *first;
        if (f == NULL)
            return -1;
        a->f = f;
        first = realloc(a->first, cap * sizeof *first);
        if (first == NULL)
            return -1;
        a->first = first;
        a->cap = cap;
    }
    a->f[a->n].h = h;
    a->f[a->n].w = w;
    a->first[a->n] = pos;
    a->n++;
    return 0;
}

/* A number alone ("31", "1987"): the columns of results tables and dates
 * share them by chance; the event is in the words around them. */
static int all_digits(const char *w, size_t l)
{
    for (size_t i = 0; i < l; i++)
        if (w[i] < '0' || w[i] > '9')
            return 0;
    return 1;
}

/* The content words of text, each one counted (title: a fixed weight per
 * word, once). A linear look-up per word keeps this simple; the body is
 * bounded by STORY_BODY_WORDS and the distinct words by it too. */
static int add_words(struct sig_acc *a, struct textnorm_words *w, const char *text, size_t len,
                     int title, size_t *pos)
{
    size_t max = title ? 64 : STORY_BODY_WORDS;
    if (textnorm_split(text, len, w) != 0)
        return -1;
    for (size_t i = 0; i < w->n && i < max; i++, (*pos)++) {
        char buf[64];
        size_t l = w->len[i];
        int64_t h;
        if (l < 2 || l >= sizeof buf)
            continue;
        memcpy(buf, w->text + w->off[i], l);
        buf[l] = '\0';
        if (is_stop(buf) || all_digits(buf, l))
            continue;
        /* a light plural: "recalls" and "recall" are one word */
        if (l > 3 && buf[l - 1] == 's' && buf[l - 2] != 's' && buf[l - 2] != 'u' &&
            buf[l - 2] != 'i')
            buf[--l] = '\0';
        h = feat_hash('w', buf, l);
        if (title) {
            /* once per title, whatever its repetitions */
            int seen = 0;
            for (size_t j = 0; j < a->n; j++)
                if (a->f[j].h == h)
                    seen = 1;
            if (seen)
                continue;
            if (acc_add(a, h, STORY_TITLE_WEIGHT, *pos) != 0)
                return -1;
        } else if (acc_add(a, h, 1.0f, *pos) != 0) {
            return -1;
        }
    }
    return 0;
}

struct ranked {
    struct story_feat f;
    size_t key; /* position, or h order: the tie-break */
};

static int cmp_ranked(const void *x, const void *y)
{
    const struct ranked *a = x, *b = y;
    if (a->f.w != b->f.w)
        return a->f.w > b->f.w ? -1 : 1;
    return (a->key > b->key) - (a->key < b->key);
}

static int cmp_feat_h(const void *x, const void *y)
{
    const struct story_feat *a = x, *b = y;
    return (a->h > b->h) - (a->h < b->h);
}

int story_sig_compute(const char *title, const char *body, size_t body_len,
                      const struct story_entity_in *ents, size_t nents, struct story_vec *out)
{
    struct textnorm_words w = TEXTNORM_WORDS_INIT;
    struct sig_acc a = {0};
    struct ranked *r = NULL;
    size_t pos = 0, title_n;
    int ret = -1;

    memset(out, 0, sizeof *out);
    if (title != NULL && add_words(&a, &w, title, strlen(title), 1, &pos) != 0)
        goto out;
    title_n = a.n;
    if (body != NULL && add_words(&a, &w, body, body_len, 0, &pos) != 0)
        goto out;
    /* body counts grow as 1 + ln tf; title words keep their fixed share */
    for (size_t i = 0; i < a.n; i++) {
        float body_tf = i < title_n ? a.f[i].w - STORY_TITLE_WEIGHT : a.f[i].w;
        float base = i < title_n ? STORY_TITLE_WEIGHT : 0.0f;
        a.f[i].w = base + (body_tf > 0 ? 1.0f + logf(body_tf) : 0.0f);
    }
    for (size_t i = 0; i < nents; i++) {
        const char *type = ents[i].type ? ents[i].type : "";
        /* a person or an organisation names the event; a common place
         * (a country, a capital) is shared by many unrelated ones */
        float ew = strcmp(type, "location") == 0 ? 0.5f : 1.5f;
        if (ents[i].key == NULL)
            continue;
        if (ents[i].mentions > 1)
            ew *= 1.0f + logf((float)ents[i].mentions);
        if (acc_add(&a, feat_hash('e', ents[i].key, strlen(ents[i].key)), ew, pos++) != 0)
            goto out;
    }
    if (a.n == 0) {
        ret = 0;
        goto out;
    }
    r = malloc(a.n * sizeof *r);
    if (r == NULL)
        goto out;
    for (size_t i = 0; i < a.n; i++) {
        r[i].f = a.f[i];
        r[i].key = a.first[i];
    }
    qsort(r, a.n, sizeof *r, cmp_ranked);
    out->n = a.n < STORY_SIG_MAX ? a.n : STORY_SIG_MAX;
    out->f = malloc(out->n * sizeof *out->f);
    if (out->f == NULL) {
        out->n = 0;
        goto out;
    }
    for (size_t i = 0; i < out->n; i++)
        out->f[i] = r[i].f;
    ret = 0;
out:
    free(r);
    free(a.f);
    free(a.first);
    textnorm_words_free(&w);
    return ret;
}

void story_vec_free(struct story_vec *v)
{
    if (v == NULL)
        return;
    free(v->f);
    v->f = NULL;
    v->n = 0;
}

double story_idf(int64_t df, int64_t n)
{
    if (df < 0)
        df = 0;
    if (n < df)
        n = df;
    double v;
    /* smoothed so that an empty store weighs every feature alike; capped
     * because a story's own words become common as it grows (in a day of
     * headlines "bachelor" is in one in ten), and a word met once should
     * not outweigh them all */
    v = log((double)(n + 10) / (double)(df + 1));
    return v < STORY_IDF_CAP ? v : STORY_IDF_CAP;
}

/* Keeps v's max heaviest features (ties: lower h), sorted by h. 0 or -1. */
static int vec_top(struct story_vec *v, size_t max)
{
    struct ranked *r;
    if (v->n <= max) {
        qsort(v->f, v->n, sizeof *v->f, cmp_feat_h);
        return 0;
    }
    r = malloc(v->n * sizeof *r);
    if (r == NULL)
        return -1;
    qsort(v->f, v->n, sizeof *v->f, cmp_feat_h);
    for (size_t i = 0; i < v->n; i++) {
        r[i].f = v->f[i];
        r[i].key = i;
    }
    qsort(r, v->n, sizeof *r, cmp_ranked);
    for (size_t i = 0; i < max; i++)
        v->f[i] = r[i].f;
    v->n = max;
    free(r);
    qsort(v->f, v->n, sizeof *v->f, cmp_feat_h);
    return 0;
}

int story_vec_make(const struct story_vec *sig, const int64_t *df, int64_t n,
                   struct story_vec *out)
{
    double norm = 0;
    memset(out, 0, sizeof *out);
    if (sig->n == 0)
        return 0;
    out->f = malloc(sig->n * sizeof *out->f);
    if (out->f == NULL)
        return -1;
    for (size_t i = 0; i < sig->n; i++) {
        out->f[i].h = sig->f[i].h;
        out->f[i].w = (float)(sig->f[i].w * story_idf(df[i], n));
    }
    out->n = sig->n;
    if (vec_top(out, STORY_VEC_MAX) != 0) {
        story_vec_free(out);
        return -1;
    }
    for (size_t i = 0; i < out->n; i++)
        norm += (double)out->f[i].w * out->f[i].w;
    norm = sqrt(norm);
    for (size_t i = 0; i < out->n && norm > 0; i++)
        out->f[i].w = (float)(out->f[i].w / norm);
    return 0;
}

size_t story_probe_order(const struct story_vec *a, size_t *out, size_t max)
{
    /* a selection by repeated scans: max and n are small */
    size_t k = 0;
    while (k < max && k < a->n) {
        size_t best = a->n;
        for (size_t i = 0; i < a->n; i++) {
            int taken = 0;
            for (size_t j = 0; j < k; j++)
                taken |= out[j] == i;
            if (taken)
                continue;
            if (best == a->n || a->f[i].w > a->f[best].w ||
                (a->f[i].w == a->f[best].w && a->f[i].h < a->f[best].h))
                best = i;
        }
        out[k++] = best;
    }
    return k;
}

double story_similarity(const struct story_vec *a, const struct story_vec *c)
{
    double dot = 0, na = 0, nc = 0;
    size_t i = 0, j = 0;
    for (size_t k = 0; k < a->n; k++)
        na += (double)a->f[k].w * a->f[k].w;
    for (size_t k = 0; k < c->n; k++)
        nc += (double)c->f[k].w * c->f[k].w;
    if (na <= 0 || nc <= 0)
        return 0;
    while (i < a->n && j < c->n) {
        if (a->f[i].h == c->f[j].h)
            dot += (double)a->f[i++].w * c->f[j++].w;
        else if (a->f[i].h < c->f[j].h)
            i++;
        else
            j++;
    }
    dot /= sqrt(na) * sqrt(nc);
    return dot < 0 ? 0 : dot > 1 ? 1 : dot;
}

double story_threshold(size_t n, double full)
{
    double low = full * STORY_SHORT_SHARE;
    if (n <= STORY_SHORT_FEATURES)
        return low;
    if (n >= STORY_FULL_FEATURES)
        return full;
    return low + (full - low) * (double)(n - STORY_SHORT_FEATURES) /
                     (double)(STORY_FULL_FEATURES - STORY_SHORT_FEATURES);
}

double story_time_factor(int64_t t, int64_t first, int64_t last, int64_t window)
{
    int64_t d = t < first ? first - t : t > last ? t - last : 0;
    if (window <= 0)
        return d == 0 ? 1.0 : 0.0;
    if (d > window)
        return 0.0;
    return 1.0 - 0.25 * (double)d / (double)window;
}

long story_pick(const double *scores, const int64_t *ids, size_t n, double threshold)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        if (scores[i] < threshold)
            continue;
        if (best < 0 || scores[i] > scores[best] ||
            (scores[i] == scores[best] && ids[i] < ids[best]))
            best = (long)i;
    }
    return best;
}

int story_centroid_add(struct story_vec *c, const struct story_vec *a)
{
    struct story_feat *m = malloc((c->n + a->n + 1) * sizeof *m);
    size_t i = 0, j = 0, k = 0;
    struct story_vec merged;

    if (m == NULL)
        return -1;
    while (i < c->n || j < a->n) {
        if (j >= a->n || (i < c->n && c->f[i].h < a->f[j].h))
            m[k++] = c->f[i++];
        else if (i >= c->n || a->f[j].h < c->f[i].h)
            m[k++] = a->f[j++];
        else {
            m[k] = c->f[i++];
            m[k++].w += a->f[j++].w;
        }
    }
    merged.f = m;
    merged.n = k;
    if (vec_top(&merged, STORY_CENTROID_MAX) != 0) {
        free(m);
        return -1;
    }
    free(c->f);
    *c = merged;
    return 0;
}

size_t story_index_terms(const struct story_vec *c, int64_t *out)
{
    size_t idx[STORY_INDEX_TERMS];
    size_t n = story_probe_order(c, idx, STORY_INDEX_TERMS);
    for (size_t i = 0; i < n; i++)
        out[i] = c->f[idx[i]].h;
    /* insertion sort: n is small */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            int64_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

unsigned char *story_centroid_encode(const struct story_vec *c, size_t *len)
{
    unsigned char *b = malloc(c->n * 12 + 1);
    if (b == NULL)
        return NULL;
    for (size_t i = 0; i < c->n; i++) {
        uint64_t h = (uint64_t)c->f[i].h;
        uint32_t w;
        memcpy(&w, &c->f[i].w, 4);
        for (int k = 0; k < 8; k++)
            b[i * 12 + (size_t)k] = (unsigned char)(h >> (8 * k));
        for (int k = 0; k < 4; k++)
            b[i * 12 + 8 + (size_t)k] = (unsigned char)(w >> (8 * k));
    }
    *len = c->n * 12;
    return b;
}

int story_centroid_decode(const void *buf, size_t len, struct story_vec *out)
{
    const unsigned char *b = buf;
    memset(out, 0, sizeof *out);
    if (len % 12 != 0)
        return -1;
    out->n = len / 12;
    out->f = malloc(out->n * sizeof *out->f + 1);
    if (out->f == NULL) {
        out->n = 0;
        return -1;
    }
    for (size_t i = 0; i < out->n; i++) {
        uint64_t h = 0;
        uint32_t w = 0;
        for (int k = 0; k < 8; k++)
            h |= (uint64_t)b[i * 12 + (size_t)k] << (8 * k);
        for (int k = 0; k < 4; k++)
            w |= (uint32_t)b[i * 12 + 8 + (size_t)k] << (8 * k);
        out->f[i].h = (int64_t)h;
        memcpy(&out->f[i].w, &w, 4);
    }
    return 0;
}

size_t story_anchors(const struct story_vec *sig, const int64_t *df, int64_t n, int64_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < sig->n; i++)
        if (df[i] <= STORY_ANCHOR_DF || df[i] * STORY_ANCHOR_SHARE <= n)
            out[k++] = sig->f[i].h;
    /* insertion sort: at most STORY_SIG_MAX */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            int64_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return k;
}

size_t story_anchors_shared(const struct story_vec *c, const int64_t *anchors, size_t n)
{
    size_t i = 0, j = 0, shared = 0;
    while (i < c->n && j < n) {
        if (c->f[i].h == anchors[j]) {
            shared++;
            i++;
            j++;
        } else if (c->f[i].h < anchors[j])
            i++;
        else
            j++;
    }
    return shared;
}
