/* fuzz_textnorm.c: libFuzzer harness for text normalisation and fingerprints
 * (analysis/textnorm.h, analysis/fingerprint.h) on valid UTF-8. Checks the word layout, that a
 * reused value gives the same words as a fresh one, that fingerprint sets are sorted and unique
 * and that the shortcuts (textnorm_string, fingerprint_from_words, fingerprint_words_hash) agree
 * with the one-call functions. */
#include <string.h>

#include "analysis/fingerprint.h"
#include "analysis/textnorm.h"
#include "analysis/utf8.h"
#include "fuzz.h"

/* Reused across inputs, as the store reuses one value for many articles. */
static struct textnorm_words reused = TEXTNORM_WORDS_INIT;

static void check_words(const struct textnorm_words *w)
{
    size_t expect_off = 0;

    FUZZ_CHECK(w->text != NULL, "no text buffer");
    FUZZ_CHECK(w->text[w->text_len] == '\0' && strlen(w->text) == w->text_len,
               "text not NUL-terminated at text_len %zu", w->text_len);
    FUZZ_CHECK(utf8_check(w->text, w->text_len, NULL) == 0, "normalised text is not UTF-8");
    for (size_t i = 0; i < w->n; i++) {
        FUZZ_CHECK(w->off[i] == expect_off, "word %zu at %u, expected %zu", i, w->off[i],
                   expect_off);
        FUZZ_CHECK(w->len[i] > 0, "word %zu is empty", i);
        FUZZ_CHECK(memchr(w->text + w->off[i], ' ', w->len[i]) == NULL, "word %zu has a space", i);
        expect_off = w->off[i] + w->len[i];
        if (i + 1 < w->n) {
            FUZZ_CHECK(w->text[expect_off] == ' ', "words %zu and %zu not one space apart", i,
                       i + 1);
            expect_off++;
        }
    }
    FUZZ_CHECK(expect_off == w->text_len, "words end at %zu, text at %zu", expect_off, w->text_len);
}

static void check_set(const struct fingerprint_set *s, const char *what)
{
    for (size_t i = 1; i < s->n; i++)
        FUZZ_CHECK(s->hashes[i - 1] < s->hashes[i], "%s: hashes %zu and %zu not ascending", what,
                   i - 1, i);
    FUZZ_CHECK((s->n > 0) == (s->nwords > 0), "%s: %zu hashes for %zu words", what, s->n,
               s->nwords);
    if (s->n > 0) {
        FUZZ_CHECK(fingerprint_shared(s, s) == s->n, "%s: shares %zu of %zu with itself", what,
                   fingerprint_shared(s, s), s->n);
        FUZZ_CHECK(fingerprint_containment(s, s) == 1.0, "%s: containment with itself %g", what,
                   fingerprint_containment(s, s));
        FUZZ_CHECK(fingerprint_resemblance(s, s) == 1.0, "%s: resemblance with itself %g", what,
                   fingerprint_resemblance(s, s));
    }
}

static int same_set(const struct fingerprint_set *a, const struct fingerprint_set *b)
{
    return a->n == b->n && a->nwords == b->nwords &&
           (a->n == 0 || memcmp(a->hashes, b->hashes, a->n * sizeof *a->hashes) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct textnorm_words fresh = TEXTNORM_WORDS_INIT;
    struct fingerprint_set fp, fp2, fpkw;
    char hash[65], hash2[65], *str;
    size_t str_len;
    unsigned k, w;

    if (utf8_check(s, size, NULL) != 0)
        return 0; /* the APIs take checked text only */

    FUZZ_CHECK(textnorm_split(s, size, &fresh) == 0, "textnorm_split failed");
    check_words(&fresh);
    FUZZ_CHECK(textnorm_split(s, size, &reused) == 0, "textnorm_split (reused) failed");
    FUZZ_CHECK(reused.n == fresh.n && reused.text_len == fresh.text_len &&
                   memcmp(reused.text, fresh.text, fresh.text_len) == 0 &&
                   (fresh.n == 0 || (memcmp(reused.off, fresh.off, fresh.n * 4) == 0 &&
                                     memcmp(reused.len, fresh.len, fresh.n * 4) == 0)),
               "a reused value gives other words than a fresh one");

    str = textnorm_string(s, size, &str_len);
    FUZZ_CHECK(str != NULL && str_len == fresh.text_len && strcmp(str, fresh.text) == 0,
               "textnorm_string differs from textnorm_split");
    free(str);
    /* normalised text is its own normal form, so it has the same content hash as the text */
    str = textnorm_string(fresh.text, fresh.text_len, &str_len);
    FUZZ_CHECK(str != NULL && str_len == fresh.text_len && strcmp(str, fresh.text) == 0,
               "normalising twice changes the text: '%s' -> '%s'", fresh.text, str ? str : "");
    free(str);

    FUZZ_CHECK(fingerprint_compute(s, size, &fp) == 0, "fingerprint_compute failed");
    FUZZ_CHECK(fp.nwords == fresh.n, "nwords %zu, words %zu", fp.nwords, fresh.n);
    check_set(&fp, "compute");
    FUZZ_CHECK(fingerprint_from_words(&fresh, FINGERPRINT_K, FINGERPRINT_W, &fp2) == 0,
               "fingerprint_from_words failed");
    FUZZ_CHECK(same_set(&fp, &fp2), "fingerprint_from_words differs from fingerprint_compute");
    fingerprint_set_free(&fp2);

    /* other k and w, chosen by the input's first byte */
    k = size > 0 ? 1u + (data[0] & 7u) : 1u;
    w = size > 0 ? 1u + ((data[0] >> 3) & 7u) : 1u;
    FUZZ_CHECK(fingerprint_compute_kw(s, size, k, w, &fpkw) == 0, "fingerprint_compute_kw failed");
    check_set(&fpkw, "compute_kw");
    if (w == 1 && fp.n > 0 && k == FINGERPRINT_K)
        FUZZ_CHECK(fingerprint_containment(&fp, &fpkw) == 1.0,
                   "winnowed set not contained in the full shingle set");
    fingerprint_set_free(&fpkw);
    fingerprint_set_free(&fp);

    FUZZ_CHECK(fingerprint_content_hash(s, size, hash) == 0, "fingerprint_content_hash failed");
    fingerprint_words_hash(&fresh, hash2);
    FUZZ_CHECK(strlen(hash) == 64 && strspn(hash, "0123456789abcdef") == 64, "bad hash %s", hash);
    FUZZ_CHECK(strcmp(hash, hash2) == 0, "content hash %s, words hash %s", hash, hash2);

    textnorm_words_free(&fresh);
    return 0;
}
