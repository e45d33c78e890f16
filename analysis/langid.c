/* langid.c: language detection by character n-grams (see langid.h). */
#include "analysis/langid.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>

#include "analysis/utf8.h"

#define LANGID_MAGIC     "ARTLID01"
#define LANGID_ENT_BYTES 6
#define LANGID_LANG_MAX  255

struct langid_slot {
    uint32_t key, row; /* the n-gram's hash, 1 + its row (0: empty) */
};

struct langid_model {
    size_t nlang;
    char codes[LANGID_LANG_MAX][3];
    uint8_t unseen[LANGID_LANG_MAX];
    /* the entries laid out for scoring: one row of nlang costs per distinct
     * n-gram (unseen where a language does not list it), found by an open
     * addressing table (slot: 1 + row, 0 empty): a feature costs one probe
     * and nlang byte additions on one cache line or two */
    size_t nrow, mask;
    uint8_t *rows;            /* nrow x nlang costs */
    struct langid_slot *slot; /* mask + 1 */
};

static uint32_t langid_rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int langid_model_load(const unsigned char *data, size_t len, struct langid_model **out,
                      struct error *err)
{
    struct langid_model *m = NULL;
    const unsigned char *ent;
    size_t off = 16, nent;

    *out = NULL;
    if (len < 16 || memcmp(data, LANGID_MAGIC, 8) != 0) {
        error_set(err, ERR_INTERNAL, "language model: not an ARTLID01 file");
        return -1;
    }
    if ((m = calloc(1, sizeof *m)) == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    m->nlang = langid_rd32(data + 8);
    nent = langid_rd32(data + 12);
    if (m->nlang == 0 || m->nlang > LANGID_LANG_MAX || len < off + m->nlang * 3 ||
        (len - off - m->nlang * 3) / LANGID_ENT_BYTES < nent) {
        error_set(err, ERR_INTERNAL, "language model: truncated or too many languages");
        free(m);
        return -1;
    }
    for (size_t i = 0; i < m->nlang; i++, off += 3) {
        m->codes[i][0] = (char)data[off];
        m->codes[i][1] = (char)data[off + 1];
        m->codes[i][2] = '\0';
        m->unseen[i] = data[off + 2];
    }
    ent = data + off;
    for (size_t i = 0; i < nent; i++) {
        const unsigned char *e = ent + i * LANGID_ENT_BYTES;
        if (e[4] >= m->nlang || (i > 0 && langid_rd32(e) < langid_rd32(e - LANGID_ENT_BYTES))) {
            error_set(err, ERR_INTERNAL,
                      "language model: entry %zu is out of order or names no language", i);
            goto fail;
        }
        m->nrow += i == 0 || langid_rd32(e) != langid_rd32(e - LANGID_ENT_BYTES);
    }
    for (m->mask = 1; m->mask < 2 * m->nrow; m->mask <<= 1)
        ;
    m->rows = malloc((m->nrow ? m->nrow : 1) * m->nlang);
    m->slot = calloc(m->mask, sizeof *m->slot);
    if (m->rows == NULL || m->slot == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    m->mask--;
    for (size_t i = 0, r = 0; i < nent; i++) {
        const unsigned char *e = ent + i * LANGID_ENT_BYTES;
        uint32_t h = langid_rd32(e);
        if (i == 0 || h != langid_rd32(e - LANGID_ENT_BYTES)) {
            size_t j = h & m->mask;
            r++;
            memcpy(m->rows + (r - 1) * m->nlang, m->unseen, m->nlang);
            while (m->slot[j].row != 0)
                j = (j + 1) & m->mask;
            m->slot[j].key = h;
            m->slot[j].row = (uint32_t)r;
        }
        m->rows[(r - 1) * m->nlang + e[4]] = e[5];
    }
    *out = m;
    return 0;
fail:
    langid_model_free(m);
    return -1;
}

void langid_model_free(struct langid_model *m)
{
    if (m != NULL) {
        free(m->rows);
        free(m->slot);
    }
    free(m);
}

extern const unsigned char articled_data_langid_model[];
extern const size_t articled_data_langid_model_len;

static struct langid_model *langid_shipped;
static pthread_once_t langid_once = PTHREAD_ONCE_INIT;

static void langid_load_shipped(void)
{
    struct error err = {0};
    if (langid_model_load(articled_data_langid_model, articled_data_langid_model_len,
                          &langid_shipped, &err) != 0)
        langid_shipped = NULL;
}

const struct langid_model *langid_default(void)
{
    pthread_once(&langid_once, langid_load_shipped);
    return langid_shipped;
}

size_t langid_model_nlang(const struct langid_model *m)
{
    return m->nlang;
}

const char *langid_model_code(const struct langid_model *m, size_t i)
{
    return i < m->nlang ? m->codes[i] : "";
}

/* ---- features ------------------------------------------------------------ */

static uint32_t langid_hash(const uint32_t *cp, size_t n)
{
    uint32_t h = 2166136261u ^ (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        h ^= cp[i];
        h *= 16777619u;
    }
    /* murmur3's finaliser: the low bits of FNV alone are poorly mixed */
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* Letters (and the marks that belong to them: Devanagari vowel signs, Arabic
 * harakat) make words; everything else (digits, punctuation, spaces) ends one. */
static int langid_is_letter(uint32_t cp)
{
    return uc_is_alpha(cp) || uc_is_general_category(cp, UC_CATEGORY_M);
}

size_t langid_features(const char *text, size_t len, size_t max, langid_feature_fn fn, void *arg)
{
    uint32_t win[LANGID_MAX_N];
    size_t have = 0, letters = 0, pos = 0;
    uint32_t cp;

    if (max > 0 && len > max)
        len = utf8_floor(text, len, max);
    /* win holds the word's last code points, a leading space for its start;
     * each position emits the n-grams that end there (n = 1 on letters only) */
    for (;;) {
        int more = utf8_next(text, len, &pos, &cp) > 0;
        int letter = more && langid_is_letter(cp);
        if (letter) {
            if (have == 0) {
                win[0] = ' ';
                have = 1;
            }
            cp = uc_tolower(cp);
            letters++;
        } else if (have == 0) {
            if (!more)
                break;
            continue;
        } else {
            cp = ' ';
        }
        if (have == LANGID_MAX_N) {
            memmove(win, win + 1, (LANGID_MAX_N - 1) * sizeof win[0]);
            have--;
        }
        win[have++] = cp;
        for (size_t n = letter ? 1 : 2; n <= have; n++)
            fn(langid_hash(win + have - n, n), arg);
        if (!letter)
            have = 0;
        if (!more)
            break;
    }
    return letters;
}

/* ---- detection ----------------------------------------------------------- */

struct langid_score {
    const struct langid_model *m;
    uint32_t cost[LANGID_LANG_MAX]; /* 1/16 nats: at most 5 features a byte x 255 */
    size_t nfeat, unseen;           /* features, those no language lists */
};

static void langid_score_feature(uint32_t h, void *arg)
{
    struct langid_score *sc = arg;
    const struct langid_model *m = sc->m;
    size_t j = h & m->mask;

    sc->nfeat++;
    for (; m->slot[j].row != 0; j = (j + 1) & m->mask)
        if (m->slot[j].key == h) {
            const uint8_t *row = m->rows + (size_t)(m->slot[j].row - 1) * m->nlang;
            uint32_t *cost = sc->cost;
            for (size_t l = 0; l < m->nlang; l++)
                cost[l] += row[l];
            return;
        }
    sc->unseen++;
}

int langid_detect(const struct langid_model *m, const char *text, size_t len, double min_confidence,
                  struct langid_result *out)
{
    struct langid_score *sc;
    size_t best = 0, second = 0;

    memset(out, 0, sizeof *out);
    if (m == NULL)
        m = langid_default();
    if (m == NULL || text == NULL)
        return 1;
    if ((sc = calloc(1, sizeof *sc)) == NULL)
        return 1;
    sc->m = m;
    out->letters = langid_features(text, len, LANGID_MAX_BYTES, langid_score_feature, sc);
    if (out->letters < LANGID_MIN_LETTERS || sc->nfeat == 0) {
        free(sc);
        return 1;
    }
    for (size_t l = 0; l < m->nlang; l++)
        sc->cost[l] += m->unseen[l] * (uint32_t)sc->unseen;
    for (size_t l = 1; l < m->nlang; l++)
        if (sc->cost[l] < sc->cost[best])
            best = l;
    second = best == 0 ? 1 : 0;
    for (size_t l = 0; l < m->nlang; l++)
        if (l != best && sc->cost[l] < sc->cost[second])
            second = l;
    /* costs are in 1/16 nats; the naive Bayes posterior is overconfident (the
     * n-grams of a word are not independent), so the gap is tempered: a
     * 4-nat lead over the runner-up is a confidence of about 0.46 */
    out->confidence =
        m->nlang < 2 ? 1.0 : tanh((double)(sc->cost[second] - sc->cost[best]) / 16.0 / 8.0);
    free(sc);
    if (out->confidence < min_confidence)
        return 1;
    memcpy(out->code, m->codes[best], 3);
    return 0;
}

int langid_code_valid(const char *s)
{
    return s != NULL && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) &&
           ((s[1] >= 'a' && s[1] <= 'z') || (s[1] >= 'A' && s[1] <= 'Z')) && s[2] == '\0';
}
