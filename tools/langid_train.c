/* langid_train.c: trains the language detector's model (analysis/langid.h) on the
 * translated messages of the gettext catalogues installed on a Debian system (the .mo
 * files under /usr/share/locale: free software translations, GPL/LGPL and alike), and
 * writes data/langid_model.bin.
 *
 *   build/tools/langid_train [--top K] [--max-bytes N] /usr/share/locale data/langid_model.bin
 *
 * English is the catalogues' msgids. Each message is cleaned (format directives, markup,
 * options, URLs and the words it shares with its English original dropped), deduplicated,
 * and counted as langid_features sees it, up to N bytes of text a language; the K most
 * frequent n-grams of each language are kept with their cost -log(count/total). The
 * evaluation set (data/eval/languages/) is never read here. Deterministic. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/langid.h"
#include "analysis/utf8.h"
#include "tools/tool_util.h"

/* The languages and their catalogue directories (variants pooled). */
static const struct {
    const char *code, *dirs[3];
} langs[] = {
    {"en", {"de", "fr", "es"}},
    {"de", {"de"}},
    {"fr", {"fr"}},
    {"es", {"es"}},
    {"it", {"it"}},
    {"pt", {"pt", "pt_BR"}},
    {"nl", {"nl"}},
    {"sv", {"sv"}},
    {"da", {"da"}},
    {"nb", {"nb", "no"}},
    {"fi", {"fi"}},
    {"pl", {"pl"}},
    {"cs", {"cs"}},
    {"sk", {"sk"}},
    {"ro", {"ro"}},
    {"hu", {"hu"}},
    {"tr", {"tr"}},
    {"ru", {"ru"}},
    {"uk", {"uk"}},
    {"bg", {"bg"}},
    {"el", {"el"}},
    {"ar", {"ar"}},
    {"he", {"he"}},
    {"fa", {"fa"}},
    {"zh", {"zh_CN", "zh_TW"}},
    {"ja", {"ja"}},
    {"ko", {"ko"}},
    {"hr", {"hr"}},
    {"sr", {"sr"}},
    {"sl", {"sl"}},
    {"et", {"et"}},
    {"lt", {"lt"}},
    {"lv", {"lv"}},
    {"ca", {"ca"}},
    {"gl", {"gl"}},
    {"eu", {"eu"}},
    {"id", {"id"}},
    {"vi", {"vi"}},
    {"hi", {"hi"}},
    {"th", {"th"}},
};
#define NLANG (sizeof langs / sizeof langs[0])

/* feature hash -> count, open addressing */
struct counts {
    uint32_t *key;
    uint64_t *n;
    size_t mask, used;
    uint64_t total;
};

static int counts_grow(struct counts *c)
{
    size_t cap = c->mask ? (c->mask + 1) * 2 : 1u << 16;
    struct counts g = {calloc(cap, sizeof *g.key), calloc(cap, sizeof *g.n), cap - 1, 0, c->total};
    if (g.key == NULL || g.n == NULL)
        return -1;
    for (size_t i = 0; c->mask && i <= c->mask; i++) {
        if (c->n[i] == 0)
            continue;
        size_t j = c->key[i] & g.mask;
        while (g.n[j] != 0)
            j = (j + 1) & g.mask;
        g.key[j] = c->key[i];
        g.n[j] = c->n[i];
        g.used++;
    }
    free(c->key);
    free(c->n);
    *c = g;
    return 0;
}

static void counts_add(uint32_t h, void *arg)
{
    struct counts *c = arg;
    size_t j;
    if ((c->used + 1) * 2 > c->mask + 1 && counts_grow(c) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    j = h & c->mask;
    while (c->n[j] != 0 && c->key[j] != h)
        j = (j + 1) & c->mask;
    if (c->n[j] == 0) {
        c->key[j] = h;
        c->used++;
    }
    c->n[j]++;
    c->total++;
}

/* messages already seen (a 64-bit hash each) */
struct seen {
    uint64_t *h;
    size_t mask, used;
};

static uint64_t hash64(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h | 1;
}

/* 1 when h was new (and is now remembered) */
static int seen_add(struct seen *s, uint64_t h)
{
    size_t j;
    if ((s->used + 1) * 2 > s->mask + 1) {
        size_t cap = s->mask ? (s->mask + 1) * 2 : 1u << 16;
        uint64_t *g = calloc(cap, sizeof *g);
        if (g == NULL)
            exit(1);
        for (size_t i = 0; s->mask && i <= s->mask; i++)
            if (s->h[i]) {
                j = s->h[i] & (cap - 1);
                while (g[j])
                    j = (j + 1) & (cap - 1);
                g[j] = s->h[i];
            }
        free(s->h);
        s->h = g;
        s->mask = cap - 1;
    }
    j = h & s->mask;
    while (s->h[j] && s->h[j] != h)
        j = (j + 1) & s->mask;
    if (s->h[j])
        return 0;
    s->h[j] = h;
    s->used++;
    return 1;
}

/* Is the word w (n bytes) in the English original (as a whole word)? */
static int in_original(const char *orig, const char *w, size_t n)
{
    for (const char *p = orig; (p = strstr(p, w)) != NULL; p++)
        if ((p == orig || p[-1] == ' ') && (p[n] == '\0' || strchr(" .,:;!?)'\"", p[n])))
            return 1;
    return 0;
}

/* Cleans msg into out (room for strlen(msg) + 1): drops format directives,
 * markup, accelerators, and the words that are options, paths, URLs or
 * variables, or (orig not NULL) that the English original has too. */
static void clean(const char *msg, const char *orig, char *out)
{
    char *tmp = malloc(strlen(msg) + 1), *w;
    size_t k = 0, o = 0;
    if (tmp == NULL)
        exit(1);
    for (const char *p = msg; *p;) {
        if (*p == '%' && p[1]) {
            p++;
            while (*p && strchr("0123456789$#+-. *lhqjzt'I", *p))
                p++;
            if (*p)
                p++;
            tmp[k++] = ' ';
        } else if (*p == '<' && (p[1] == '/' || (p[1] >= 'a' && p[1] <= 'z'))) {
            while (*p && *p != '>')
                p++;
            if (*p)
                p++;
            tmp[k++] = ' ';
        } else if (*p == '_' || *p == '&') {
            p++;
        } else if (*p == '\n' || *p == '\t' || *p == '\r') {
            tmp[k++] = ' ';
            p++;
        } else {
            tmp[k++] = *p++;
        }
    }
    tmp[k] = '\0';
    for (w = strtok(tmp, " "); w != NULL; w = strtok(NULL, " ")) {
        size_t n = strlen(w);
        if (strstr(w, "://") || strstr(w, "--") || strpbrk(w, "@$\\/={}[]|") ||
            (w[0] == '-' && n > 1) || (orig != NULL && in_original(orig, w, n)))
            continue;
        if (o > 0)
            out[o++] = ' ';
        memcpy(out + o, w, n);
        o += n;
    }
    out[o] = '\0';
    free(tmp);
}

/* One message (its plural forms are NUL-separated) of language l. */
static void take(struct counts *c, struct seen *s, const char *msg, size_t len, const char *orig,
                 size_t *bytes)
{
    for (size_t off = 0; off < len;) {
        const char *m = msg + off;
        size_t n = strnlen(m, len - off);
        char *buf;
        off += n + 1;
        if (n < 2 || utf8_check(m, n, NULL) != 0 || (orig != NULL && strcmp(m, orig) == 0) ||
            !seen_add(s, hash64(m, n)))
            continue;
        if ((buf = malloc(n + 1)) == NULL)
            exit(1);
        clean(m, orig, buf);
        *bytes += strlen(buf) + 1;
        langid_features(buf, strlen(buf), 0, counts_add, c);
        free(buf);
    }
}

static uint32_t rd32(const unsigned char *p, int swap)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

/* Counts the messages of the .mo file at path (msgids when english). */
static void read_mo(const char *path, int english, struct counts *c, struct seen *s,
                    size_t max_bytes, size_t *bytes)
{
    size_t len = 0;
    unsigned char *d = (unsigned char *)tool_read_file(path, &len);
    uint32_t n, oo, to;
    int swap;
    if (d == NULL || len < 28)
        goto out;
    if (rd32(d, 0) == 0x950412de)
        swap = 0;
    else if (rd32(d, 1) == 0x950412de)
        swap = 1;
    else
        goto out;
    n = rd32(d + 8, swap);
    oo = rd32(d + 12, swap);
    to = rd32(d + 16, swap);
    if (oo > len || to > len || (len - oo) / 8 < n || (len - to) / 8 < n)
        goto out;
    for (uint32_t i = 0; i < n && *bytes < max_bytes; i++) {
        uint32_t ol = rd32(d + oo + 8 * i, swap), op = rd32(d + oo + 8 * i + 4, swap);
        uint32_t tl = rd32(d + to + 8 * i, swap), tp = rd32(d + to + 8 * i + 4, swap);
        if (op > len || ol > len - op || tp > len || tl > len - tp || ol == 0)
            continue; /* the header entry has an empty msgid */
        if (english)
            take(c, s, (const char *)d + op, ol, NULL, bytes);
        else
            take(c, s, (const char *)d + tp, tl, (const char *)d + op, bytes);
    }
out:
    free(d);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_dir(const char *root, const char *dir, int english, struct counts *c,
                     struct seen *s, size_t max_bytes, size_t *bytes)
{
    char path[4096];
    char *names[4096];
    size_t nn = 0;
    DIR *dh;
    struct dirent *e;
    snprintf(path, sizeof path, "%s/%s/LC_MESSAGES", root, dir);
    if ((dh = opendir(path)) == NULL)
        return;
    while ((e = readdir(dh)) != NULL && nn < 4096)
        if (strstr(e->d_name, ".mo") != NULL)
            names[nn++] = strdup(e->d_name);
    closedir(dh);
    qsort(names, nn, sizeof names[0], cmp_name);
    for (size_t i = 0; i < nn; i++) {
        snprintf(path, sizeof path, "%s/%s/LC_MESSAGES/%s", root, dir, names[i]);
        if (*bytes < max_bytes)
            read_mo(path, english, c, s, max_bytes, bytes);
        free(names[i]);
    }
}

struct kept {
    uint32_t hash;
    uint8_t lang, cost;
};

static int cmp_count_desc(const void *a, const void *b, void *arg)
{
    const struct counts *c = arg;
    uint64_t x = c->n[*(const size_t *)a], y = c->n[*(const size_t *)b];
    if (x != y)
        return x < y ? 1 : -1;
    return c->key[*(const size_t *)a] < c->key[*(const size_t *)b] ? -1 : 1;
}

static int cmp_kept(const void *a, const void *b)
{
    const struct kept *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (int)x->lang - (int)y->lang;
}

static uint8_t cost16(double nats)
{
    double v = nats * 16.0 + 0.5;
    return v > 255.0 ? 255 : (uint8_t)v;
}

static void put32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {v & 255, (v >> 8) & 255, (v >> 16) & 255, v >> 24};
    fwrite(b, 1, 4, f);
}

int main(int argc, char **argv)
{
    size_t top = 2000, max_bytes = 3u << 20, nk = 0;
    struct kept *kept;
    uint8_t unseen[NLANG];
    int i = 1;
    FILE *f;

    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "--top") == 0)
            top = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--max-bytes") == 0)
            max_bytes = strtoul(argv[i + 1], NULL, 10);
        else
            break;
    }
    if (argc - i != 2 || top == 0) {
        fprintf(stderr, "usage: %s [--top K] [--max-bytes N] LOCALE_DIR OUT.bin\n", argv[0]);
        return 2;
    }
    if ((kept = calloc(NLANG * top, sizeof *kept)) == NULL)
        return 1;
    for (size_t l = 0; l < NLANG; l++) {
        struct counts c = {0};
        struct seen s = {0};
        size_t bytes = 0, nidx = 0, *idx;
        for (size_t d = 0; d < 3 && langs[l].dirs[d] != NULL; d++)
            read_dir(argv[i], langs[l].dirs[d], strcmp(langs[l].code, "en") == 0, &c, &s, max_bytes,
                     &bytes);
        if (c.total == 0) {
            fprintf(stderr, "%s: no text found\n", langs[l].code);
            return 1;
        }
        if ((idx = malloc(c.used * sizeof *idx)) == NULL)
            return 1;
        for (size_t j = 0; j <= c.mask; j++)
            if (c.n[j] != 0)
                idx[nidx++] = j;
        qsort_r(idx, nidx, sizeof *idx, cmp_count_desc, &c);
        if (nidx > top)
            nidx = top;
        for (size_t j = 0; j < nidx; j++) {
            kept[nk].hash = c.key[idx[j]];
            kept[nk].lang = (uint8_t)l;
            kept[nk].cost = cost16(-log((double)c.n[idx[j]] / (double)c.total));
            nk++;
        }
        /* an n-gram the language does not list costs a little more than its
         * rarest listed one */
        unseen[l] = cost16(-log((double)c.n[idx[nidx - 1]] / (double)c.total) + 1.0);
        fprintf(stderr, "%s: %zu bytes, %llu n-grams (%zu distinct), kept %zu, unseen %u\n",
                langs[l].code, bytes, (unsigned long long)c.total, c.used, nidx, unseen[l]);
        free(idx);
        free(c.key);
        free(c.n);
        free(s.h);
    }
    qsort(kept, nk, sizeof *kept, cmp_kept);
    if ((f = fopen(argv[i + 1], "wb")) == NULL) {
        perror(argv[i + 1]);
        return 1;
    }
    fwrite("ARTLID01", 1, 8, f);
    put32(f, NLANG);
    put32(f, (uint32_t)nk);
    for (size_t l = 0; l < NLANG; l++) {
        fwrite(langs[l].code, 1, 2, f);
        fputc(unseen[l], f);
    }
    for (size_t k = 0; k < nk; k++) {
        put32(f, kept[k].hash);
        fputc(kept[k].lang, f);
        fputc(kept[k].cost, f);
    }
    if (fclose(f) != 0) {
        perror(argv[i + 1]);
        return 1;
    }
    fprintf(stderr, "wrote %s: %zu languages, %zu n-grams\n", argv[i + 1], NLANG, nk);
    free(kept);
    return 0;
}
