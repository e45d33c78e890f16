/* fingerprint.c: winnowed word k-gram fingerprints and content hashes (see fingerprint.h).
 * One allocation per set: word hashes become k-gram hashes in place, winnowing compacts them
 * in place, and the result is sorted and deduplicated in place. */
#include "analysis/fingerprint.h"

#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static void sort_i64_insertion(int64_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        int64_t v = a[i];
        size_t j = i;

        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

/* Quicksort (median of three, insertion sort for small ranges, recursion on the smaller
 * side only): qsort's comparator calls cost more than the hashing itself. */
static void sort_i64(int64_t *a, size_t n)
{
    while (n > 16) {
        int64_t x = a[0], y = a[n / 2], z = a[n - 1], pivot, t;
        size_t i = 0, j = n - 1;

        pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        /* [0, j] <= pivot <= [j + 1, n) */
        if (j + 1 < n - j - 1) {
            sort_i64(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            sort_i64(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    sort_i64_insertion(a, n);
}

/* Keeps the minimum of every window of w hashes in h[0..m) (robust winnowing: on ties keep
 * the previous choice, else the rightmost minimum), compacted into h[0..). Returns the count.
 * Writing in place is safe: the c-th output is written after window c - 1 was read and
 * c <= the first index any later window reads. */
static size_t winnow(uint64_t *h, size_t m, size_t w)
{
    size_t sel = 0, have = 0, c = 0;

    for (size_t i = 0; i + w <= m; i++) {
        size_t last = i + w - 1;

        if (!have || sel < i) {
            sel = i;
            for (size_t j = i + 1; j <= last; j++)
                if (h[j] <= h[sel])
                    sel = j;
            have = 1;
        } else if (h[last] < h[sel]) {
            sel = last;
        } else {
            continue;
        }
        h[c++] = h[sel];
    }
    return c;
}

/* The k-gram hashes of words in text order, into a new array *out of *n
 * (NULL when there are no words; a text of fewer than k words has one hash,
 * of its whole word sequence). Returns 0, or -1 on allocation failure. */
static int kgram_hashes(const struct textnorm_words *words, unsigned k, uint64_t **out, size_t *n)
{
    size_t nw = words->n;
    uint64_t *h;

    *out = NULL;
    *n = 0;
    if (nw == 0)
        return 0;
    if (k == 0)
        k = 1;
    h = malloc(nw * sizeof *h);
    if (h == NULL)
        return -1;
    for (size_t i = 0; i < nw; i++)
        h[i] = XXH3_64bits(words->text + words->off[i], words->len[i]);
    if (nw < k) {
        h[0] = XXH3_64bits(h, nw * sizeof *h);
        *n = 1;
    } else {
        *n = nw - k + 1;
        for (size_t i = 0; i < *n; i++)
            h[i] = XXH3_64bits(h + i, k * sizeof *h); /* reads h[i..i+k) before writing h[i] */
    }
    *out = h;
    return 0;
}

/* The k-grams kept by winnowing h[0..m) with window w, in text order, in
 * place; returns their count. Fewer k-grams than one window: all of them. */
static size_t kgram_winnow(uint64_t *h, size_t m, unsigned w)
{
    if (w <= 1 || m < w)
        return m;
    return winnow(h, m, w);
}

/* The k-gram hashes of words kept by winnowing with window w, in text order
 * (repeats kept), into a new array *out of *n (NULL when there are no words).
 * Returns 0, or -1 on allocation failure. */
static int kgram_select(const struct textnorm_words *words, unsigned k, unsigned w, uint64_t **out,
                        size_t *n)
{
    if (kgram_hashes(words, k, out, n) != 0)
        return -1;
    if (*out != NULL && words->n >= (k ? k : 1))
        *n = kgram_winnow(*out, *n, w);
    return 0;
}

/* Sorts and dedupes h[0..n) (as signed: SQLite INTEGER order) into a set
 * that takes over h. */
static void set_take(int64_t *h, size_t n, size_t nwords, struct fingerprint_set *out)
{
    size_t u = 0;
    int64_t *fit;

    sort_i64(h, n);
    for (size_t i = 0; i < n; i++)
        if (u == 0 || h[i] != h[u - 1])
            h[u++] = h[i];
    /* shrink to fit; keeping the larger block is fine if realloc declines */
    fit = u > 0 ? realloc(h, u * sizeof *h) : NULL;
    out->hashes = fit ? fit : h;
    out->n = u;
    out->nwords = nwords;
}

/* The token of k-gram b following k-gram a: the index is made of such pairs. */
static uint64_t pair_token(uint64_t a, uint64_t b)
{
    uint64_t ab[2] = {a, b};
    return XXH3_64bits(ab, sizeof ab);
}

/* The index tokens of a text from its k-grams kg[0..m) in text order (kept
 * as they are) and its whole set's size: see fingerprint.h. */
static int index_from_kgrams(const uint64_t *kg, size_t m, size_t full_n, size_t nwords,
                             struct fingerprint_set *out)
{
    uint64_t *sel = malloc((m + 1) * sizeof *sel);
    int64_t *s = malloc((2 * m + 1) * sizeof *s);
    size_t nsel, n = 0;

    out->hashes = NULL;
    out->n = 0;
    out->nwords = nwords;
    if (sel == NULL || s == NULL) {
        free(sel);
        free(s);
        return -1;
    }
    for (size_t i = 0; i < m; i++)
        sel[i] = kg[i];
    nsel = kgram_winnow(sel, m, FINGERPRINT_INDEX_W);
    for (size_t i = 0; i + 1 < nsel; i++)
        s[n++] = (int64_t)pair_token(sel[i], sel[i + 1]);
    /* a short text also pairs every k-gram with the next one */
    if (full_n <= FINGERPRINT_INDEX_ALL_BELOW)
        for (size_t i = 0; i + 1 < m; i++)
            s[n++] = (int64_t)pair_token(kg[i], kg[i + 1]);
    if (n == 0 && nsel == 1)
        s[n++] = (int64_t)sel[0]; /* a single k-gram: itself */
    free(sel);
    set_take(s, n, nwords, out);
    return 0;
}

int fingerprint_from_words(const struct textnorm_words *words, unsigned k, unsigned w,
                           struct fingerprint_set *out)
{
    uint64_t *h;
    size_t c;

    out->hashes = NULL;
    out->n = 0;
    out->nwords = words->n;
    if (kgram_select(words, k, w, &h, &c) != 0)
        return -1;
    if (h != NULL)
        set_take((int64_t *)h, c, words->n, out);
    return 0;
}

int fingerprint_index_from_words(const struct textnorm_words *words,
                                 const struct fingerprint_set *full, struct fingerprint_set *out)
{
    uint64_t *kg;
    size_t m;
    int ret;

    out->hashes = NULL;
    out->n = 0;
    out->nwords = words->n;
    if (kgram_hashes(words, FINGERPRINT_K, &kg, &m) != 0)
        return -1;
    ret = kg ? index_from_kgrams(kg, m, full->n, words->n, out) : 0;
    free(kg);
    return ret;
}

int fingerprint_sets_from_words(const struct textnorm_words *words, struct fingerprint_set *full,
                                struct fingerprint_set *index)
{
    uint64_t *kg, *copy;
    size_t m;

    memset(full, 0, sizeof *full);
    memset(index, 0, sizeof *index);
    full->nwords = index->nwords = words->n;
    if (kgram_hashes(words, FINGERPRINT_K, &kg, &m) != 0)
        return -1;
    if (kg == NULL)
        return 0;
    copy = malloc(m * sizeof *copy);
    if (copy == NULL) {
        free(kg);
        return -1;
    }
    memcpy(copy, kg, m * sizeof *copy);
    set_take((int64_t *)copy, m, words->n, full); /* FINGERPRINT_W is 1: every k-gram */
    if (index_from_kgrams(kg, m, full->n, words->n, index) != 0) {
        free(kg);
        return -1;
    }
    free(kg);
    return 0;
}

int fingerprint_compute_kw(const char *body, size_t len, unsigned k, unsigned w,
                           struct fingerprint_set *out)
{
    struct textnorm_words words = TEXTNORM_WORDS_INIT;
    int rc = -1;

    out->hashes = NULL;
    out->n = 0;
    out->nwords = 0;
    if (textnorm_split(body, len, &words) < 0)
        goto out;
    rc = fingerprint_from_words(&words, k, w, out);
out:
    textnorm_words_free(&words);
    return rc;
}

int fingerprint_compute(const char *body, size_t len, struct fingerprint_set *out)
{
    return fingerprint_compute_kw(body, len, FINGERPRINT_K, FINGERPRINT_W, out);
}

void fingerprint_set_free(struct fingerprint_set *set)
{
    if (set == NULL)
        return;
    free(set->hashes);
    set->hashes = NULL;
    set->n = 0;
    set->nwords = 0;
}

void fingerprint_words_hash(const struct textnorm_words *words, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];

    sha256_init(&ctx);
    if (words->text_len > 0)
        sha256_update(&ctx, words->text_len, (const uint8_t *)words->text);
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[64] = '\0';
}

int fingerprint_content_hash(const char *body, size_t len, char out[65])
{
    struct textnorm_words words = TEXTNORM_WORDS_INIT;
    int rc = -1;

    if (textnorm_split(body, len, &words) < 0)
        goto out;
    fingerprint_words_hash(&words, out);
    rc = 0;
out:
    textnorm_words_free(&words);
    return rc;
}

size_t fingerprint_shared(const struct fingerprint_set *a, const struct fingerprint_set *b)
{
    size_t i = 0, j = 0, shared = 0;

    while (i < a->n && j < b->n) {
        if (a->hashes[i] < b->hashes[j]) {
            i++;
        } else if (a->hashes[i] > b->hashes[j]) {
            j++;
        } else {
            shared++;
            i++;
            j++;
        }
    }
    return shared;
}

double fingerprint_containment(const struct fingerprint_set *a, const struct fingerprint_set *b)
{
    size_t lo = a->n < b->n ? a->n : b->n;

    if (lo == 0)
        return 0.0;
    return (double)fingerprint_shared(a, b) / (double)lo;
}

double fingerprint_resemblance(const struct fingerprint_set *a, const struct fingerprint_set *b)
{
    size_t shared, uni;

    if (a->n == 0 && b->n == 0)
        return 0.0;
    shared = fingerprint_shared(a, b);
    uni = a->n + b->n - shared;
    return (double)shared / (double)uni;
}
