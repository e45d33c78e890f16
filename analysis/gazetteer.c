/* gazetteer.c: builds the phrase and canonical-name tables from the embedded data files
 * (see gazetteer.h and data/README.md). Tables are open-addressing maps keyed by a 64-bit
 * hash of the key text; with tens of thousands of keys a false match is vanishingly rare. */
#include "analysis/gazetteer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "analysis/nameform.h"
#include "analysis/tokenize.h"

extern const unsigned char articled_data_places[];
extern const size_t articled_data_places_len;
extern const unsigned char articled_data_first_names[];
extern const size_t articled_data_first_names_len;
extern const unsigned char articled_data_aliases[];
extern const size_t articled_data_aliases_len;
extern const unsigned char articled_data_cues[];
extern const size_t articled_data_cues_len;
extern const unsigned char articled_data_word_case[];
extern const size_t articled_data_word_case_len;

struct phrase {
    uint64_t hash; /* 0: empty slot */
    uint32_t bits;
    uint8_t wcase, freq;
};

struct canon {
    uint64_t hash; /* of kind byte + key form; 0: empty slot */
    uint32_t name; /* offset into pool */
};

/* A filter over the phrase table's hashes (2^PHRASE_FILTER_BITS bits, one per hash): a key
 * whose bit is clear is not in the table, known without touching the table, which is far
 * larger than the caches (most look-ups of two-word keys are for keys that are not there). */
#define PHRASE_FILTER_BITS 20
#define CANON_FILTER_BITS  18 /* the same for the canonical names */

struct gazetteer {
    struct phrase *phrases;
    size_t nphrases, phrase_mask;
    uint64_t *phrase_filter; /* NULL while the tables are built */
    uint64_t *canon_filter;
    struct canon *canons;
    size_t ncanons, canon_mask;
    char *pool;
    size_t pool_len, pool_cap;
};

uint64_t gazetteer_hash(const char *s, size_t n)
{
    uint64_t h = XXH3_64bits(s, n);
    return h ? h : 1;
}

static int grow_phrases(struct gazetteer *g)
{
    size_t cap = g->phrase_mask ? (g->phrase_mask + 1) * 2 : 1u << 16;
    struct phrase *t = calloc(cap, sizeof *t);
    if (t == NULL)
        return -1;
    for (size_t i = 0; g->phrase_mask && i <= g->phrase_mask; i++) {
        if (g->phrases[i].hash == 0)
            continue;
        size_t j = g->phrases[i].hash & (cap - 1);
        while (t[j].hash != 0)
            j = (j + 1) & (cap - 1);
        t[j] = g->phrases[i];
    }
    free(g->phrases);
    g->phrases = t;
    g->phrase_mask = cap - 1;
    return 0;
}

/* The slot for hash h, added when missing; NULL on allocation failure. */
static struct phrase *phrase_slot(struct gazetteer *g, uint64_t h)
{
    size_t j;
    if ((g->nphrases + 1) * 2 > g->phrase_mask + 1 && grow_phrases(g) != 0)
        return NULL;
    j = h & g->phrase_mask;
    while (g->phrases[j].hash != 0 && g->phrases[j].hash != h)
        j = (j + 1) & g->phrase_mask;
    if (g->phrases[j].hash == 0) {
        g->phrases[j].hash = h;
        g->nphrases++;
    }
    return &g->phrases[j];
}

static const struct phrase *phrase_find_hashed(const struct gazetteer *g, uint64_t h)
{
    size_t j = h & g->phrase_mask;
    if (g->phrase_filter != NULL) {
        uint64_t k = h >> (64 - PHRASE_FILTER_BITS); /* the table indexes by the low bits */
        if (!(g->phrase_filter[k >> 6] >> (k & 63) & 1))
            return NULL;
    }
    while (g->phrases[j].hash != 0) {
        if (g->phrases[j].hash == h)
            return &g->phrases[j];
        j = (j + 1) & g->phrase_mask;
    }
    return NULL;
}

static const struct phrase *phrase_find(const struct gazetteer *g, const char *key, size_t n)
{
    return phrase_find_hashed(g, gazetteer_hash(key, n));
}

/* Folds and tokenizes text[0..n) into buf as tokens joined by spaces; returns the length,
 * or (size_t)-1 on allocation failure. */
static size_t phrase_key(const char *text, size_t n, char *buf, size_t cap, struct token_list *toks)
{
    size_t w = 0;
    if (tokenize_text(text, n, toks) != 0)
        return (size_t)-1;
    for (size_t i = 0; i < toks->n && w + 2 < cap; i++) {
        const struct token *t = &toks->tokens[i];
        if (i > 0)
            buf[w++] = ' ';
        w += nameform_fold(text + t->byte_start, t->byte_end - t->byte_start, buf + w, cap - w);
    }
    buf[w] = '\0';
    return w;
}

/* Adds bits to the phrase and marks every shorter token prefix of it. */
static int add_phrase(struct gazetteer *g, const char *key, size_t n, uint32_t bits)
{
    struct phrase *p = phrase_slot(g, gazetteer_hash(key, n));
    if (p == NULL)
        return -1;
    p->bits |= bits;
    for (size_t i = 0; i < n; i++) {
        if (key[i] != ' ')
            continue;
        p = phrase_slot(g, gazetteer_hash(key, i));
        if (p == NULL)
            return -1;
        p->bits |= GAZ_PREFIX;
    }
    return 0;
}

static int add_text_phrase(struct gazetteer *g, const char *text, size_t n, uint32_t bits,
                           struct token_list *toks)
{
    char buf[512];
    size_t k;
    if (n == 0 || n > 200)
        return 0;
    k = phrase_key(text, n, buf, sizeof buf, toks);
    if (k == (size_t)-1)
        return -1;
    return k ? add_phrase(g, buf, k, bits) : 0;
}

static uint32_t pool_add(struct gazetteer *g, const char *s, size_t n)
{
    if (g->pool_len + n + 1 > g->pool_cap) {
        size_t cap = g->pool_cap ? g->pool_cap * 2 : 1u << 16;
        while (cap < g->pool_len + n + 1)
            cap *= 2;
        char *p = realloc(g->pool, cap);
        if (p == NULL)
            return UINT32_MAX;
        g->pool = p;
        g->pool_cap = cap;
    }
    memcpy(g->pool + g->pool_len, s, n);
    g->pool[g->pool_len + n] = '\0';
    g->pool_len += n + 1;
    return (uint32_t)(g->pool_len - n - 1);
}

static uint64_t canon_hash(enum gazetteer_kind kind, const char *keyform)
{
    char buf[512];
    size_t n = strlen(keyform);
    if (n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[0] = (char)('0' + kind);
    memcpy(buf + 1, keyform, n);
    return gazetteer_hash(buf, n + 1);
}

/* Maps the key form of variant[0..n) to canonical (already in the pool at off); an earlier
 * mapping wins. */
static int add_canon(struct gazetteer *g, enum gazetteer_kind kind, const char *variant, size_t n,
                     uint32_t off)
{
    char *key = nameform_key(variant, n);
    uint64_t h;
    size_t j;
    if (key == NULL)
        return -1;
    if (key[0] == '\0') {
        free(key);
        return 0;
    }
    h = canon_hash(kind, key);
    free(key);
    if ((g->ncanons + 1) * 2 > g->canon_mask + 1) {
        size_t cap = g->canon_mask ? (g->canon_mask + 1) * 2 : 1024;
        struct canon *t = calloc(cap, sizeof *t);
        if (t == NULL)
            return -1;
        for (size_t i = 0; g->canon_mask && i <= g->canon_mask; i++) {
            if (g->canons[i].hash == 0)
                continue;
            size_t k = g->canons[i].hash & (cap - 1);
            while (t[k].hash != 0)
                k = (k + 1) & (cap - 1);
            t[k] = g->canons[i];
        }
        free(g->canons);
        g->canons = t;
        g->canon_mask = cap - 1;
    }
    j = h & g->canon_mask;
    while (g->canons[j].hash != 0 && g->canons[j].hash != h)
        j = (j + 1) & g->canon_mask;
    if (g->canons[j].hash == 0) {
        g->canons[j].hash = h;
        g->canons[j].name = off;
        g->ncanons++;
    }
    return 0;
}

/* Iterates the lines of an embedded file, skipping blank lines and '#' comments: fields
 * split on tabs into f[] (at most nf), lengths in fl[]. Returns the field count, 0 at end. */
static size_t next_line(const char *data, size_t len, size_t *pos, const char **f, size_t *fl,
                        size_t nf)
{
    while (*pos < len) {
        size_t s = *pos, e = s, k = 0;
        while (e < len && data[e] != '\n')
            e++;
        *pos = e + 1;
        if (e > s && data[e - 1] == '\r')
            e--;
        if (e == s || data[s] == '#')
            continue;
        f[0] = data + s;
        for (size_t i = s; i <= e && k < nf; i++) {
            if (i == e || data[i] == '\t') {
                fl[k] = (size_t)(data + i - f[k]);
                k++;
                if (i < e && k < nf)
                    f[k] = data + i + 1;
            }
        }
        return k;
    }
    return 0;
}

static uint32_t place_bits(const char *kind, size_t n)
{
    static const struct {
        const char *name;
        uint32_t bits;
    } kinds[] = {{"country", GAZ_COUNTRY},
                 {"region", GAZ_REGION},
                 {"city1", GAZ_CITY1},
                 {"city2", GAZ_CITY2},
                 {"city3", GAZ_CITY3}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strlen(kinds[i].name) == n && memcmp(kinds[i].name, kind, n) == 0)
            return kinds[i].bits;
    return 0;
}

static uint32_t cue_bits(const char *cls, size_t n)
{
    static const struct {
        const char *name;
        uint32_t bits;
    } classes[] = {{"title", GAZ_TITLE},       {"orgcue", GAZ_ORGCUE}, {"loccue", GAZ_LOCCUE},
                   {"particle", GAZ_PARTICLE}, {"chrome", GAZ_CHROME}, {"time", GAZ_TIME},
                   {"stop", GAZ_STOP}};
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (strlen(classes[i].name) == n && memcmp(classes[i].name, cls, n) == 0)
            return classes[i].bits;
    return 0;
}

static int load_aliases(struct gazetteer *g, struct token_list *toks, struct error *err)
{
    const char *data = (const char *)articled_data_aliases, *f[3];
    size_t pos = 0, fl[3], nf;
    while ((nf = next_line(data, articled_data_aliases_len, &pos, f, fl, 3)) > 0) {
        enum gazetteer_kind kind;
        uint32_t off, bits;
        if (nf < 2) {
            error_set(err, ERR_INTERNAL, "aliases.tsv: bad line");
            return -1;
        }
        if (fl[0] == 8 && memcmp(f[0], "location", 8) == 0) {
            kind = GAZ_KIND_LOCATION;
            bits = GAZ_REGION;
        } else if (fl[0] == 12 && memcmp(f[0], "organization", 12) == 0) {
            kind = GAZ_KIND_ORGANIZATION;
            bits = GAZ_ORG;
        } else if (fl[0] == 6 && memcmp(f[0], "person", 6) == 0) {
            kind = GAZ_KIND_PERSON;
            bits = 0;
        } else {
            error_set(err, ERR_INTERNAL, "aliases.tsv: bad type");
            return -1;
        }
        off = pool_add(g, f[1], fl[1]);
        if (off == UINT32_MAX || add_canon(g, kind, f[1], fl[1], off) != 0)
            goto oom;
        /* a variant of a country is a country */
        if (kind == GAZ_KIND_LOCATION) {
            char buf[256];
            size_t k = phrase_key(f[1], fl[1], buf, sizeof buf, toks);
            const struct phrase *p = k != (size_t)-1 ? phrase_find(g, buf, k) : NULL;
            if (p != NULL && (p->bits & GAZ_PLACE_MASK))
                bits = p->bits & GAZ_PLACE_MASK;
        }
        if (bits && add_text_phrase(g, f[1], fl[1], bits, toks) != 0)
            goto oom;
        for (size_t s = 0; nf >= 3 && s < fl[2];) {
            size_t e = s;
            while (e < fl[2] && f[2][e] != '|')
                e++;
            if (e > s && (add_canon(g, kind, f[2] + s, e - s, off) != 0 ||
                          (bits && add_text_phrase(g, f[2] + s, e - s, bits, toks) != 0)))
                goto oom;
            s = e + 1;
        }
    }
    return 0;
oom:
    error_set(err, ERR_INTERNAL, "out of memory loading aliases");
    return -1;
}

static int load_places(struct gazetteer *g, struct token_list *toks, struct error *err)
{
    const char *data = (const char *)articled_data_places, *f[3];
    size_t pos = 0, fl[3], nf;
    while ((nf = next_line(data, articled_data_places_len, &pos, f, fl, 3)) > 0) {
        uint32_t bits = nf >= 2 ? place_bits(f[1], fl[1]) : 0;
        if (bits == 0) {
            error_set(err, ERR_INTERNAL, "places.tsv: bad line");
            return -1;
        }
        if (add_text_phrase(g, f[0], fl[0], bits, toks) != 0)
            goto oom;
        if (nf >= 3 && fl[2] > 0) {
            uint32_t off = pool_add(g, f[2], fl[2]);
            if (off == UINT32_MAX || add_canon(g, GAZ_KIND_LOCATION, f[0], fl[0], off) != 0)
                goto oom;
        }
    }
    return 0;
oom:
    error_set(err, ERR_INTERNAL, "out of memory loading places");
    return -1;
}

static int load_words(struct gazetteer *g, struct token_list *toks, struct error *err)
{
    const char *data, *f[3];
    size_t pos = 0, fl[3], nf;

    data = (const char *)articled_data_first_names;
    while ((nf = next_line(data, articled_data_first_names_len, &pos, f, fl, 1)) > 0)
        if (add_text_phrase(g, f[0], fl[0], GAZ_FIRSTNAME, toks) != 0)
            goto oom;
    data = (const char *)articled_data_cues;
    pos = 0;
    while ((nf = next_line(data, articled_data_cues_len, &pos, f, fl, 2)) > 0) {
        uint32_t bits = nf == 2 ? cue_bits(f[1], fl[1]) : 0;
        if (bits == 0) {
            error_set(err, ERR_INTERNAL, "cues.tsv: bad line");
            return -1;
        }
        if (add_text_phrase(g, f[0], fl[0], bits, toks) != 0)
            goto oom;
    }
    /* word_case.tsv: folded word, case class letter, frequency class digit */
    data = (const char *)articled_data_word_case;
    pos = 0;
    while ((nf = next_line(data, articled_data_word_case_len, &pos, f, fl, 3)) > 0) {
        struct phrase *p;
        static const char classes[] = "?lmcCu";
        const char *c;
        if (nf < 3 || fl[1] != 1 || (c = strchr(classes, f[1][0])) == NULL || fl[2] != 1)
            continue;
        p = phrase_slot(g, gazetteer_hash(f[0], fl[0]));
        if (p == NULL)
            goto oom;
        p->wcase = (uint8_t)(c - classes);
        p->freq = (uint8_t)(f[2][0] - '0');
    }
    return 0;
oom:
    error_set(err, ERR_INTERNAL, "out of memory loading word lists");
    return -1;
}

static void gazetteer_free(struct gazetteer *g)
{
    if (g == NULL)
        return;
    free(g->phrases);
    free(g->canons);
    free(g->pool);
    free(g->phrase_filter);
    free(g->canon_filter);
    free(g);
}

static struct gazetteer *shared;
static struct error shared_err;
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

static void shared_build(void)
{
    struct gazetteer *g = calloc(1, sizeof *g);
    struct token_list toks = {0};

    if (g == NULL || grow_phrases(g) != 0) {
        error_set(&shared_err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    /* places before aliases, so that variants of countries inherit their kind */
    if (load_places(g, &toks, &shared_err) != 0 || load_aliases(g, &toks, &shared_err) != 0 ||
        load_words(g, &toks, &shared_err) != 0)
        goto fail;
    /* the filter, once the table is complete */
    g->phrase_filter = calloc((size_t)1 << (PHRASE_FILTER_BITS - 6), sizeof(uint64_t));
    g->canon_filter = calloc((size_t)1 << (CANON_FILTER_BITS - 6), sizeof(uint64_t));
    if (g->phrase_filter == NULL || g->canon_filter == NULL) {
        error_set(&shared_err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i <= g->phrase_mask; i++) {
        uint64_t k = g->phrases[i].hash >> (64 - PHRASE_FILTER_BITS);
        if (g->phrases[i].hash != 0)
            g->phrase_filter[k >> 6] |= (uint64_t)1 << (k & 63);
    }
    for (size_t i = 0; g->canon_mask && i <= g->canon_mask; i++) {
        uint64_t k = g->canons[i].hash >> (64 - CANON_FILTER_BITS);
        if (g->canons[i].hash != 0)
            g->canon_filter[k >> 6] |= (uint64_t)1 << (k & 63);
    }
    tokenize_list_free(&toks);
    shared = g;
    return;
fail:
    tokenize_list_free(&toks);
    gazetteer_free(g);
}

const struct gazetteer *gazetteer_shared(struct error *err)
{
    pthread_once(&shared_once, shared_build);
    if (shared == NULL && err != NULL)
        *err = shared_err;
    return shared;
}

uint32_t gazetteer_phrase(const struct gazetteer *g, const char *key, size_t n)
{
    const struct phrase *p = phrase_find(g, key, n);
    return p ? p->bits : 0;
}

uint32_t gazetteer_word(const struct gazetteer *g, const char *key, size_t n, int *wcase, int *freq)
{
    const struct phrase *p = phrase_find(g, key, n);
    *wcase = p ? p->wcase : GAZ_CASE_UNKNOWN;
    *freq = p ? p->freq : 0;
    return p ? p->bits : 0;
}

void gazetteer_words_hashed(const struct gazetteer *g, const uint64_t *hash, size_t n,
                            uint32_t *bits, uint8_t *wcase, uint8_t *freq)
{
    /* the table is larger than the caches: ask for the slots of a batch ahead of probing
     * them, so that the misses overlap instead of following one another */
    enum { BATCH = 16 };
    for (size_t i = 0; i < n && i < BATCH; i++)
        __builtin_prefetch(&g->phrases[hash[i] & g->phrase_mask]);
    for (size_t i = 0; i < n; i++) {
        if (i + BATCH < n)
            __builtin_prefetch(&g->phrases[hash[i + BATCH] & g->phrase_mask]);
        const struct phrase *p = phrase_find_hashed(g, hash[i]);
        bits[i] = p ? p->bits : 0;
        wcase[i] = p ? p->wcase : GAZ_CASE_UNKNOWN;
        freq[i] = p ? p->freq : 0;
    }
}

enum gazetteer_case gazetteer_word_case(const struct gazetteer *g, const char *key, size_t n)
{
    const struct phrase *p = phrase_find(g, key, n);
    return p ? (enum gazetteer_case)p->wcase : GAZ_CASE_UNKNOWN;
}

int gazetteer_word_freq(const struct gazetteer *g, const char *key, size_t n)
{
    const struct phrase *p = phrase_find(g, key, n);
    return p ? p->freq : 0;
}

const char *gazetteer_canonical(const struct gazetteer *g, enum gazetteer_kind kind,
                                const char *keyform)
{
    uint64_t h;
    size_t j;
    if (g->canon_mask == 0)
        return NULL;
    h = canon_hash(kind, keyform);
    if (g->canon_filter != NULL) {
        uint64_t k = h >> (64 - CANON_FILTER_BITS);
        if (!(g->canon_filter[k >> 6] >> (k & 63) & 1))
            return NULL;
    }
    j = h & g->canon_mask;
    while (g->canons[j].hash != 0) {
        if (g->canons[j].hash == h)
            return g->pool + g->canons[j].name;
        j = (j + 1) & g->canon_mask;
    }
    return NULL;
}
