/* corpusgen.c: synthetic but realistic news articles for the benchmark suite, streamed to
 * stdout as NDJSON in the API's article shape. An order-2 word Markov model trained on the
 * real corpora writes the sentences (names keep their capitals); lengths and tags are drawn
 * from the real articles; ~5% of the output are republished copies of earlier articles with
 * page chrome. Article i depends only on (seed, i), so any slice can be regenerated alone.
 * The same model also writes search queries (--queries) from the corpus vocabulary. */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* ---- deterministic random numbers (xoshiro256**, seeded through splitmix64) ---- */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed, uint64_t item, uint64_t stream)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL ^ item * 0xd1342543de82ef95ULL ^ stream << 56;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Returns a uniform integer in [0, n); n > 0. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- growable byte buffer ---- */

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "corpusgen: out of memory\n");
        exit(1);
    }
    b->p = p;
    b->cap = cap;
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = 0;
}

static void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "corpusgen: out of memory\n");
        exit(1);
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "corpusgen: out of memory\n");
        exit(1);
    }
    return p;
}

/* ---- vocabulary: word <-> id ---- */

enum { TOK_BOS = 0, TOK_EOS = 1 };

struct vocab {
    char **word;
    uint32_t n, cap;
    uint32_t *slot; /* open addressing, id + 1, 0 = empty */
    uint32_t mask;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void vocab_rehash(struct vocab *v, uint32_t size)
{
    free(v->slot);
    v->slot = calloc(size, sizeof *v->slot);
    if (!v->slot) {
        fprintf(stderr, "corpusgen: out of memory\n");
        exit(1);
    }
    v->mask = size - 1;
    for (uint32_t id = 0; id < v->n; id++) {
        uint64_t h = hash_bytes(v->word[id], strlen(v->word[id]));
        uint32_t i = (uint32_t)h & v->mask;
        while (v->slot[i])
            i = (i + 1) & v->mask;
        v->slot[i] = id + 1;
    }
}

/* Returns the id of the word s[0..n), adding it when new. */
static uint32_t vocab_intern(struct vocab *v, const char *s, size_t n)
{
    if (!v->slot || (v->n + 1) * 2 > v->mask + 1)
        vocab_rehash(v, v->slot ? (v->mask + 1) * 2 : 1u << 16);
    uint32_t i = (uint32_t)hash_bytes(s, n) & v->mask;
    while (v->slot[i]) {
        const char *w = v->word[v->slot[i] - 1];
        if (strncmp(w, s, n) == 0 && w[n] == 0)
            return v->slot[i] - 1;
        i = (i + 1) & v->mask;
    }
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4096;
        v->word = xrealloc(v->word, v->cap * sizeof *v->word);
    }
    char *w = xmalloc(n + 1);
    memcpy(w, s, n);
    w[n] = 0;
    v->word[v->n] = w;
    v->slot[i] = v->n + 1;
    return v->n++;
}

/* Returns the id of the word s[0..n), or UINT32_MAX when it is not in the vocabulary. */
static uint32_t vocab_find(const struct vocab *v, const char *s, size_t n)
{
    if (!v->slot)
        return UINT32_MAX;
    uint32_t i = (uint32_t)hash_bytes(s, n) & v->mask;
    while (v->slot[i]) {
        const char *w = v->word[v->slot[i] - 1];
        if (strncmp(w, s, n) == 0 && w[n] == 0)
            return v->slot[i] - 1;
        i = (i + 1) & v->mask;
    }
    return UINT32_MAX;
}

/* ---- the model ---- */

struct pair_slot {
    uint64_t key; /* (a << 32 | b) + 1, 0 = empty */
    uint32_t start, count;
};

struct model {
    struct vocab v;
    uint32_t *tok; /* BOS BOS w1 .. wn EOS, sentence after sentence */
    size_t ntok, captok;
    uint32_t *pos; /* positions p, sorted by the state (tok[p], tok[p+1]) */
    size_t npos;
    struct pair_slot *tab;
    uint64_t tabmask;
    uint32_t *lengths; /* body word counts of the real articles */
    size_t nlengths, caplengths;
    char **tags; /* tags of the real articles, each a compact JSON array */
    size_t ntags, captags;
    uint8_t *qclass;  /* per word id: 0 unusable in a query, 1 stop word, 2 query word */
    uint8_t *surname; /* per word id: seen after "Mr", "Mrs", "Ms" or "Dr" in the real text */
    uint32_t nsurname;
};

/* Remembers that the word w[0..n) (edge punctuation and "'s" stripped) names a person. */
static void model_mark_surname(struct model *m, const char *w, size_t n)
{
    if (n >= 2 && w[n - 2] == '\'' && w[n - 1] == 's')
        n -= 2;
    while (n && !isalpha((unsigned char)w[n - 1]))
        n--;
    if (n < 2 || !isupper((unsigned char)w[0]))
        return;
    uint32_t id = vocab_intern(&m->v, w, n);
    if (id >= m->nsurname) {
        uint32_t cap = m->nsurname ? m->nsurname : 4096;
        while (cap <= id)
            cap *= 2;
        m->surname = xrealloc(m->surname, cap);
        memset(m->surname + m->nsurname, 0, cap - m->nsurname);
        m->nsurname = cap;
    }
    m->surname[id] = 1;
}

static int model_is_surname(const struct model *m, const char *w, size_t n)
{
    uint32_t id = vocab_find(&m->v, w, n);
    return id < m->nsurname && m->surname[id];
}

static void model_push(struct model *m, uint32_t t)
{
    if (m->ntok == m->captok) {
        m->captok = m->captok ? m->captok * 2 : 1 << 20;
        m->tok = xrealloc(m->tok, m->captok * sizeof *m->tok);
    }
    m->tok[m->ntok++] = t;
}

static const char *const ABBREVIATIONS[] = {
    "Mr.",  "Mrs.",  "Ms.",  "Dr.",   "Prof.",   "St.",  "Mt.",     "Jr.",   "Sr.",  "Inc.",
    "Co.",  "Corp.", "Ltd.", "Bros",  "No.",     "vs.",  "Jan.",    "Feb.",  "Mar.", "Apr.",
    "Aug.", "Sept.", "Sep.", "Oct.",  "Nov.",    "Dec.", "Gen.",    "Gov.",  "Sen.", "Rep.",
    "Rev.", "Lt.",   "Col.", "Capt.", "Sgt.",    "a.m.", "p.m.",    "Dlrs.", "Cts.", "Fed.",
    "Pty.", "Plc.",  "Bhd.", "Ave.",  "approx.", "Nos.", "Messrs.", "Mln.",  NULL};

static int is_abbreviation(const char *w, size_t n)
{
    for (int i = 0; ABBREVIATIONS[i]; i++)
        if (strlen(ABBREVIATIONS[i]) == n && memcmp(ABBREVIATIONS[i], w, n) == 0)
            return 1;
    /* Initials and dotted acronyms: "J.", "U.S.", "U.K." */
    if (n >= 2 && isupper((unsigned char)w[0]) && w[1] == '.') {
        size_t i = 0;
        while (i + 1 < n && isupper((unsigned char)w[i]) && w[i + 1] == '.')
            i += 2;
        if (i == n)
            return 1;
    }
    return 0;
}

/* Does the token end a sentence (terminal punctuation, possibly inside closing quotes)? */
static int ends_sentence(const char *w, size_t n)
{
    while (n > 0 && (w[n - 1] == '"' || w[n - 1] == '\'' || w[n - 1] == ')'))
        n--;
    if (n >= 3 && (unsigned char)w[n - 1] == 0x9d && (unsigned char)w[n - 2] == 0x80 &&
        (unsigned char)w[n - 3] == 0xe2)
        n -= 3; /* closing curly quote */
    if (n < 2)
        return 0;
    char c = w[n - 1];
    if (c != '.' && c != '?' && c != '!')
        return 0;
    return c != '.' || !is_abbreviation(w, n);
}

static int starts_sentence(const char *w)
{
    unsigned char c = (unsigned char)w[0];
    return isupper(c) || isdigit(c) || c == '"' || c == '\'' || c >= 0x80;
}

/* Keeps a sentence of the real text when it looks like prose (not a table row, not all caps). */
static int sentence_ok(struct model *m, const uint32_t *w, size_t n)
{
    if (n < 4 || n > 70)
        return 0;
    size_t alpha = 0, caps = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = m->v.word[w[i]];
        int letters = 0, upper = 0;
        for (const char *c = s; *c; c++) {
            if (isalpha((unsigned char)*c)) {
                letters++;
                upper += isupper((unsigned char)*c) != 0;
            }
        }
        alpha += letters > 0;
        caps += letters >= 2 && upper == letters;
    }
    if (alpha * 10 < n * 7 || caps * 10 > n * 4)
        return 0;
    return starts_sentence(m->v.word[w[0]]) && isupper((unsigned char)m->v.word[w[0]][0]);
}

/* Splits one body into sentences and appends those that pass sentence_ok() to the model. */
static void model_add_body(struct model *m, const char *body)
{
    static uint32_t *sent;
    static size_t capsent;
    size_t nsent = 0;
    const char *p = body;
    int line_start = 1;

    for (;;) {
        /* At the start of a line: a blank or indented line starts a paragraph; a table row
         * (runs of spaces inside the line) is skipped whole. */
        if (line_start) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            const char *q = p;
            while (q < p + len && (*q == ' ' || *q == '\t'))
                q++;
            int para = q > p || q == p + len;
            int table = 0;
            for (const char *c = q; c + 2 < p + len; c++)
                if (c[0] == ' ' && c[1] == ' ' && c[2] == ' ')
                    table = 1;
            if (para || table)
                nsent = 0; /* an unterminated sentence is dropped */
            if (table) {
                if (!e)
                    break;
                p = e + 1;
                continue;
            }
            line_start = 0;
        }
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (*p == '\n') {
            p++;
            line_start = 1;
            continue;
        }
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        /* Token s[0..p): drop markup brackets (Reuters' <Company> tags). */
        char word[256];
        size_t n = 0;
        for (const char *c = s; c < p && n < sizeof word - 1; c++)
            if (*c != '<' && *c != '>')
                word[n++] = *c;
        if (n == 0 || n == sizeof word - 1)
            continue;
        word[n] = 0;
        if (nsent + 1 >= capsent) {
            capsent = capsent ? capsent * 2 : 256;
            sent = xrealloc(sent, capsent * sizeof *sent);
        }
        sent[nsent++] = vocab_intern(&m->v, word, n);
        if (nsent >= 2) {
            const char *h = m->v.word[sent[nsent - 2]];
            if (!strcmp(h, "Mr") || !strcmp(h, "Mr.") || !strcmp(h, "Mrs") || !strcmp(h, "Mrs.") ||
                !strcmp(h, "Ms") || !strcmp(h, "Ms.") || !strcmp(h, "Dr") || !strcmp(h, "Dr."))
                model_mark_surname(m, word, n);
        }

        /* Sentence end: terminal token followed by a capital, a paragraph or the end. */
        if (ends_sentence(word, n)) {
            const char *q = p;
            while (*q == ' ' || *q == '\t' || *q == '\r')
                q++;
            int boundary = !*q || *q == '\n' || starts_sentence(q);
            if (boundary) {
                if (sentence_ok(m, sent, nsent)) {
                    model_push(m, TOK_BOS);
                    model_push(m, TOK_BOS);
                    for (size_t i = 0; i < nsent; i++)
                        model_push(m, sent[i]);
                    model_push(m, TOK_EOS);
                }
                nsent = 0;
            }
        }
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every *.ndjson file of dir (sorted by name, so the model is deterministic).
 * Returns the number of articles read, or -1. */
static long model_load(struct model *m, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "corpusgen: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t nnames = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 7 && strcmp(e->d_name + len - 7, ".ndjson") == 0) {
            names = xrealloc(names, (nnames + 1) * sizeof *names);
            names[nnames++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, nnames, sizeof *names, cmp_str);

    vocab_intern(&m->v, "<s>", 3);
    vocab_intern(&m->v, "</s>", 4);
    long articles = 0;
    char *line = NULL;
    size_t cap = 0;
    for (size_t f = 0; f < nnames; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        FILE *in = fopen(path, "r");
        if (!in) {
            fprintf(stderr, "corpusgen: %s: %s\n", path, strerror(errno));
            continue;
        }
        ssize_t len;
        while ((len = getline(&line, &cap, in)) > 0) {
            json_error_t err;
            json_t *a = json_loadb(line, (size_t)len, 0, &err);
            const char *body = json_string_value(json_object_get(a, "body"));
            if (body) {
                model_add_body(m, body);
                size_t words = 0;
                for (const char *c = body; *c;) {
                    while (*c && isspace((unsigned char)*c))
                        c++;
                    if (*c)
                        words++;
                    while (*c && !isspace((unsigned char)*c))
                        c++;
                }
                if (words >= 20) {
                    if (m->nlengths == m->caplengths) {
                        m->caplengths = m->caplengths ? m->caplengths * 2 : 1024;
                        m->lengths = xrealloc(m->lengths, m->caplengths * sizeof *m->lengths);
                    }
                    m->lengths[m->nlengths++] = (uint32_t)words;
                }
                json_t *tags = json_object_get(a, "tags");
                if (json_is_array(tags)) {
                    if (m->ntags == m->captags) {
                        m->captags = m->captags ? m->captags * 2 : 1024;
                        m->tags = xrealloc(m->tags, m->captags * sizeof *m->tags);
                    }
                    m->tags[m->ntags++] = json_dumps(tags, JSON_COMPACT | JSON_ENSURE_ASCII);
                }
                articles++;
            }
            json_decref(a);
        }
        fclose(in);
    }
    free(line);
    for (size_t f = 0; f < nnames; f++)
        free(names[f]);
    free(names);
    return articles;
}

struct keypos {
    uint64_t key;
    uint32_t pos;
};

static int cmp_keypos(const void *a, const void *b)
{
    const struct keypos *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Builds the state index: for every state (a, b) the positions where it occurs, so that
 * sampling a uniform position gives the next word with its corpus frequency. */
static void model_index(struct model *m)
{
    struct keypos *kp = xmalloc(m->ntok * sizeof *kp);
    size_t n = 0;
    for (size_t p = 0; p + 2 < m->ntok; p++) {
        if (m->tok[p] == TOK_EOS || m->tok[p + 1] == TOK_EOS)
            continue;
        kp[n].key = (uint64_t)m->tok[p] << 32 | m->tok[p + 1];
        kp[n].pos = (uint32_t)p;
        n++;
    }
    qsort(kp, n, sizeof *kp, cmp_keypos);
    m->pos = xmalloc(n * sizeof *m->pos);
    m->npos = n;
    uint64_t size = 1;
    while (size < n)
        size <<= 1;
    m->tab = calloc(size, sizeof *m->tab);
    if (!m->tab) {
        fprintf(stderr, "corpusgen: out of memory\n");
        exit(1);
    }
    m->tabmask = size - 1;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && kp[j].key == kp[i].key) {
            m->pos[j] = kp[j].pos;
            j++;
        }
        uint64_t h = kp[i].key * 0x9e3779b97f4a7c15ULL;
        uint64_t s = (h >> 20) & m->tabmask;
        while (m->tab[s].key)
            s = (s + 1) & m->tabmask;
        m->tab[s].key = kp[i].key + 1;
        m->tab[s].start = (uint32_t)i;
        m->tab[s].count = (uint32_t)(j - i);
        i = j;
    }
    free(kp);
}

static const struct pair_slot *model_state(const struct model *m, uint32_t a, uint32_t b)
{
    uint64_t key = (uint64_t)a << 32 | b;
    uint64_t s = ((key * 0x9e3779b97f4a7c15ULL) >> 20) & m->tabmask;
    while (m->tab[s].key) {
        if (m->tab[s].key == key + 1)
            return &m->tab[s];
        s = (s + 1) & m->tabmask;
    }
    return NULL;
}

/* Writes one sentence of word ids into out[0..max). Returns its length, or 0. */
static size_t gen_sentence(const struct model *m, struct rng *r, uint32_t *out, size_t max)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        uint32_t a = TOK_BOS, b = TOK_BOS;
        size_t n = 0;
        for (;;) {
            const struct pair_slot *st = model_state(m, a, b);
            if (!st)
                break;
            uint32_t w = m->tok[m->pos[st->start + rng_below(r, st->count)] + 2];
            if (w == TOK_EOS) {
                if (n >= 4)
                    return n;
                break;
            }
            if (n == max)
                break;
            out[n++] = w;
            a = b;
            b = w;
        }
    }
    return 0;
}

/* ---- articles ---- */

struct outlet {
    const char *name;
    int weight;
};

static const struct outlet OUTLETS[] = {
    {"Reuters", 25},
    {"Associated Press", 15},
    {"BBC News", 12},
    {"Agence France-Presse", 10},
    {"Bloomberg", 8},
    {"The Guardian", 8},
    {"Deutsche Welle", 5},
    {"Al Jazeera", 5},
    {"NPR", 4},
    {"The Straits Times", 3},
    {"The Irish Times", 3},
    {"ABC News Australia", 2},
};
enum { NOUTLETS = sizeof OUTLETS / sizeof OUTLETS[0] };

static int pick_outlet(struct rng *r)
{
    int total = 0;
    for (int i = 0; i < NOUTLETS; i++)
        total += OUTLETS[i].weight;
    int x = (int)rng_below(r, (uint32_t)total);
    for (int i = 0; i < NOUTLETS; i++) {
        if (x < OUTLETS[i].weight)
            return i;
        x -= OUTLETS[i].weight;
    }
    return 0;
}

/* 2025-01-01T00:00:00Z; dates spread over the following 365 days. */
static const int64_t EPOCH_2025 = 1735689600;

struct doc {
    struct buf title, body;
    int outlet;
    int64_t published;
    const char *tags;
};

struct gen {
    const struct model *m;
    uint64_t seed;
    double copy_rate;
};

static void doc_free(struct doc *d)
{
    buf_free(&d->title);
    buf_free(&d->body);
}

/* Headline from a sentence: up to the first clause break, 4 to 11 words, no final stop. */
static void make_title(const struct model *m, const uint32_t *w, size_t n, struct buf *out)
{
    size_t take = n < 11 ? n : 11;
    for (size_t i = 3; i < take; i++) {
        const char *s = m->v.word[w[i]];
        char last = s[strlen(s) - 1];
        if (last == ',' || last == ';' || last == ':') {
            take = i + 1;
            break;
        }
    }
    if (take > 4 && strcmp(m->v.word[w[take - 1]], "said") == 0)
        take--;
    buf_reset(out);
    for (size_t i = 0; i < take; i++) {
        const char *s = m->v.word[w[i]];
        size_t len = strlen(s);
        if (i == 0)
            while (len > 1 && (*s == '"' || *s == '\'')) {
                s++;
                len--;
            }
        if (i + 1 == take)
            while (len > 1 && strchr(".,;:\"'!?", s[len - 1]))
                len--;
        if (i)
            buf_add(out, " ", 1);
        buf_add(out, s, len);
    }
}

static void gen_doc(const struct gen *g, uint64_t i, int depth, size_t max_words, struct doc *d);

/* An original article: sentences grouped in paragraphs up to a real article's length. */
static void gen_original(const struct gen *g, uint64_t i, size_t max_words, struct doc *d)
{
    const struct model *m = g->m;
    struct rng r;
    rng_seed(&r, g->seed, i, 1);
    size_t target = m->lengths[rng_below(&r, (uint32_t)m->nlengths)];
    if (target < 25)
        target = 25;
    if (target > 2000)
        target = 2000;
    if (target > max_words)
        target = max_words;
    d->outlet = pick_outlet(&r);
    d->published = EPOCH_2025 + rng_below(&r, 365u * 86400u);
    d->tags = m->tags[rng_below(&r, (uint32_t)m->ntags)];

    uint32_t sent[80];
    size_t words = 0, in_para = 0, para_len = 1;
    buf_reset(&d->title);
    buf_reset(&d->body);
    while (words < target) {
        size_t n = gen_sentence(m, &r, sent, 80);
        if (n == 0)
            break;
        if (d->title.len == 0)
            make_title(m, sent, n, &d->title);
        if (in_para == para_len) {
            buf_add(&d->body, "\n\n", 2);
            in_para = 0;
        } else if (d->body.len) {
            buf_add(&d->body, " ", 1);
        }
        if (in_para == 0) {
            uint32_t x = rng_below(&r, 10);
            para_len = x < 3 ? 1 : x < 7 ? 2 : x < 9 ? 3 : 4;
        }
        for (size_t k = 0; k < n; k++) {
            if (k)
                buf_add(&d->body, " ", 1);
            buf_adds(&d->body, m->v.word[sent[k]]);
        }
        in_para++;
        words += n;
    }
    if (d->title.len == 0)
        buf_adds(&d->title, "News in brief");
}

/* Copies s to out with every occurrence of from replaced by to. */
static void replace_all(const char *s, const char *from, const char *to, struct buf *out)
{
    size_t fl = strlen(from);
    buf_reset(out);
    for (const char *p; (p = strstr(s, from)); s = p + fl) {
        buf_add(out, s, (size_t)(p - s));
        buf_adds(out, to);
    }
    buf_adds(out, s);
}

/* Swaps a and b's contents. */
static void buf_swap(struct buf *a, struct buf *b)
{
    struct buf t = *a;
    *a = *b;
    *b = t;
}

static int is_cap_word(const char *s, size_t n)
{
    if (n < 2 || !isupper((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!isalpha((unsigned char)s[i]) && s[i] != '-' && s[i] != '\'')
            return 0;
    return islower((unsigned char)s[1]);
}

static int word_is(const char *w, size_t n, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strlen(list[i]) == n && memcmp(list[i], w, n) == 0)
            return 1;
    return 0;
}

static const char *const SPEECH_VERBS[] = {"said",   "says",  "told",    "added", "warned",
                                           "argued", "noted", "replied", NULL};
/* Puts "Mr." before some surnames (words the real text puts after "Mr" or "Mrs") that stand
 * alone before a speech verb ("Baker said" → "Mr. Baker said"), as newspapers that use
 * honorifics print wire copy. */
static void add_honorifics(const struct model *m, struct rng *r, const char *s, struct buf *out)
{
    buf_reset(out);
    int added = 0;
    const char *prev = NULL;
    size_t prevn = 0;
    const char *p = s;
    while (*p) {
        const char *w = p;
        while (*p && *p != ' ' && *p != '\n')
            p++;
        size_t n = (size_t)(p - w);
        const char *nx = p;
        while (*nx == ' ')
            nx++;
        size_t nn = 0;
        while (nx[nn] && nx[nn] != ' ' && nx[nn] != '\n')
            nn++;
        int lone = !prev || ends_sentence(prev, prevn) || !isupper((unsigned char)prev[0]);
        if (added < 6 && lone && is_cap_word(w, n) && word_is(nx, nn, SPEECH_VERBS) &&
            model_is_surname(m, w, n) && rng_below(r, 4) != 0) {
            buf_adds(out, "Mr. ");
            added++;
        }
        buf_add(out, w, n);
        prev = w;
        prevn = n;
        const char *ws = p;
        while (*p == ' ' || *p == '\n')
            p++;
        if (memchr(ws, '\n', (size_t)(p - ws)))
            prev = NULL;
        buf_add(out, ws, (size_t)(p - ws));
    }
}

/* First sentence-ish of a body (up to 14 words), for a photo caption. */
static void caption_from(struct rng *r, const char *body, struct buf *out)
{
    size_t len = strlen(body);
    const char *start = body;
    if (len > 200) {
        start = body + rng_below(r, (uint32_t)(len - 100));
        const char *dot = strstr(start, ". ");
        start = dot ? dot + 2 : body;
    }
    buf_adds(out, "Image caption ");
    int words = 0;
    const char *p = start;
    while (*p && *p != '\n' && words < 14) {
        const char *w = p;
        while (*p && *p != ' ' && *p != '\n')
            p++;
        buf_add(out, w, (size_t)(p - w));
        words++;
        if (p[-1] == '.')
            break;
        if (*p == ' ') {
            buf_add(out, " ", 1);
            p++;
        }
    }
}

/* A republished copy of the earlier article j with page chrome, as wire copy reappears. */
static void gen_copy(const struct gen *g, struct rng *r, uint64_t i, uint64_t j, int depth,
                     struct doc *d)
{
    gen_doc(g, j, depth + 1, SIZE_MAX, d);
    int orig_outlet = d->outlet;
    while (d->outlet == orig_outlet)
        d->outlet = pick_outlet(r);
    d->published += 300 + rng_below(r, 36u * 3600u);

    struct buf t = {0}, body = {0};
    uint32_t x = rng_below(r, 20);
    if (x < 3) {
        buf_adds(&t, "UPDATE 1-");
        buf_adds(&t, d->title.p);
        buf_swap(&t, &d->title);
    } else if (x < 7) {
        buf_adds(&t, d->title.p);
        buf_adds(&t, " | ");
        buf_adds(&t, OUTLETS[d->outlet].name);
        buf_swap(&t, &d->title);
    }

    /* Spelling and honorifics: the normaliser in front of the fingerprints undoes these. */
    if (rng_below(r, 2)) {
        replace_all(d->body.p, " pct", " percent", &t);
        replace_all(t.p, "per cent", "percent", &d->body);
        replace_all(d->body.p, "%", " percent", &t);
        buf_swap(&t, &d->body);
    } else {
        replace_all(d->body.p, " pct", " per cent", &t);
        buf_swap(&t, &d->body);
    }
    if (rng_below(r, 2)) {
        add_honorifics(g->m, r, d->body.p, &t);
        buf_swap(&t, &d->body);
    }
    if (rng_below(r, 3) == 0) {
        replace_all(d->body.p, " \"", " \xe2\x80\x9c", &t);
        replace_all(t.p, "\" ", "\xe2\x80\x9d ", &d->body);
    }

    /* Page chrome around the story. */
    const char *src = d->body.p;
    const char *para_end = strstr(src, "\n\n");
    if (rng_below(r, 10) < 6)
        buf_adds(&body, "Share this article\n\n");
    if (para_end && rng_below(r, 2)) {
        buf_add(&body, src, (size_t)(para_end - src));
        buf_adds(&body, "\n\n");
        caption_from(r, src, &body);
        buf_adds(&body, "\n\n");
        src = para_end + 2;
    }
    const char *last = NULL;
    for (const char *p = src; (p = strstr(p, "\n\n")); p += 2)
        last = p;
    if (last && rng_below(r, 10) < 3)
        buf_add(&body, src, (size_t)(last - src)); /* the last paragraph cut */
    else
        buf_adds(&body, src);
    if (rng_below(r, 10) < 7) {
        buf_adds(&body, rng_below(r, 2) ? "\n\nRelated articles" : "\n\nMore on this story");
        uint32_t k = 2 + rng_below(r, 2);
        for (uint32_t q = 0; q < k; q++) {
            struct doc other = {0};
            uint64_t o = 1 + rng_below(r, (uint32_t)(i - 1 > 1000000 ? 1000000 : i - 1));
            gen_doc(g, o, depth + 1, 60, &other);
            buf_adds(&body, q ? "\n" : "\n\n");
            buf_adds(&body, other.title.p);
            if (rng_below(r, 3) != 0) {
                const char *e = strstr(other.body.p, "\n\n");
                buf_adds(&body, "\n\n");
                buf_add(&body, other.body.p, e ? (size_t)(e - other.body.p) : other.body.len);
                buf_adds(&body, "\n");
            }
            doc_free(&other);
        }
    }
    if (rng_below(r, 10) < 4) {
        buf_adds(&body, "\n\nShare this article\n\nCopyright 2025 ");
        buf_adds(&body, OUTLETS[d->outlet].name);
        buf_adds(&body, ". All rights reserved.");
    }
    buf_swap(&body, &d->body);
    buf_free(&body);
    buf_free(&t);
}

/* Article i: a copy of an earlier one with probability copy_rate, else an original.
 * max_words bounds an original's length (related-article teasers need only a paragraph). */
/* Returns the article that article i republishes (one of the 20,000 before it), or 0 when i
 * is an original; r is left ready for the copy's own choices. */
static uint64_t copy_source(const struct gen *g, uint64_t i, struct rng *r)
{
    rng_seed(r, g->seed, i, 0);
    if (i > 1 && rng_unit(r) < g->copy_rate) {
        uint64_t window = i - 1 < 20000 ? i - 1 : 20000;
        return i - 1 - rng_below(r, (uint32_t)window);
    }
    return 0;
}

static void gen_doc(const struct gen *g, uint64_t i, int depth, size_t max_words, struct doc *d)
{
    struct rng r;
    uint64_t j = copy_source(g, i, &r);
    if (j && depth < 3)
        gen_copy(g, &r, i, j, depth, d);
    else
        gen_original(g, i, max_words, d);
}

/* ---- output ---- */

static void json_escape(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    buf_add(out, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_add(out, run, (size_t)(s - run));
        run = s + 1;
        switch (c) {
        case '"':
            buf_add(out, "\\\"", 2);
            break;
        case '\\':
            buf_add(out, "\\\\", 2);
            break;
        case '\n':
            buf_add(out, "\\n", 2);
            break;
        case '\t':
            buf_add(out, "\\t", 2);
            break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_add(out, e, 6);
        }
        }
    }
    buf_add(out, run, (size_t)(s - run));
    buf_add(out, "\"", 1);
}

static void format_time(int64_t t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void write_doc(struct buf *out, uint64_t i, const struct doc *d)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "{\"id\":\"gen-%06" PRIu64 "\",\"title\":", i);
    buf_adds(out, tmp);
    json_escape(out, d->title.p);
    buf_adds(out, ",\"body\":");
    json_escape(out, d->body.p);
    buf_adds(out, ",\"source\":");
    json_escape(out, OUTLETS[d->outlet].name);
    format_time(d->published, tmp, sizeof tmp);
    buf_adds(out, ",\"published_at\":\"");
    buf_adds(out, tmp);
    buf_adds(out, "\",\"tags\":");
    buf_adds(out, d->tags);
    buf_adds(out, "}\n");
}

/* ---- queries ---- */

static const char *const STOPWORDS[] = {
    "a",       "about",  "after",   "again", "against", "all",    "also",    "am",     "an",
    "and",     "any",    "are",     "as",    "at",      "be",     "because", "been",   "before",
    "being",   "below",  "between", "both",  "but",     "by",     "can",     "could",  "did",
    "do",      "does",   "doing",   "down",  "during",  "each",   "few",     "for",    "from",
    "further", "had",    "has",     "have",  "having",  "he",     "her",     "here",   "hers",
    "him",     "his",    "how",     "i",     "if",      "in",     "into",    "is",     "it",
    "its",     "itself", "just",    "last",  "me",      "more",   "most",    "mr",     "mrs",
    "my",      "near",   "new",     "no",    "nor",     "not",    "now",     "of",     "off",
    "on",      "once",   "one",     "only",  "or",      "other",  "our",     "out",    "over",
    "own",     "said",   "same",    "says",  "she",     "should", "so",      "some",   "such",
    "than",    "that",   "the",     "their", "them",    "then",   "there",   "these",  "they",
    "this",    "those",  "through", "to",    "too",     "two",    "under",   "until",  "up",
    "very",    "was",    "we",      "were",  "what",    "when",   "where",   "which",  "while",
    "who",     "whom",   "why",     "will",  "with",    "would",  "year",    "you",    "your",
    "told",    "per",    "pct",     "mln",   "dlrs",    "cts",    "vs",      "reuter", "billion",
    "million", "three",  "four",    "five",  NULL};

/* Query form of a word: letters only, lower-cased, stripped of edge punctuation. Returns 1 and
 * fills out (size >= 64) when the word can be used in a query. */
static int query_form(const char *w, char *out)
{
    size_t n = strlen(w);
    while (n && !isalpha((unsigned char)w[n - 1]))
        n--;
    while (n && !isalpha((unsigned char)*w)) {
        w++;
        n--;
    }
    if (n < 2 || n > 30)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isalpha((unsigned char)w[i]))
            return 0;
        out[i] = (char)tolower((unsigned char)w[i]);
    }
    out[n] = 0;
    return 1;
}

static void model_classify(struct model *m)
{
    m->qclass = xmalloc(m->v.n);
    for (uint32_t id = 0; id < m->v.n; id++) {
        char q[64];
        m->qclass[id] = 0;
        if (id < 2 || !query_form(m->v.word[id], q))
            continue;
        m->qclass[id] = 2;
        for (int s = 0; STOPWORDS[s]; s++)
            if (strcmp(STOPWORDS[s], q) == 0)
                m->qclass[id] = 1;
        if (m->qclass[id] == 2 && strlen(q) < 3)
            m->qclass[id] = 1;
    }
}

/* A position in the corpus, drawn with word frequency, that holds a query word. */
static size_t pick_query_pos(const struct model *m, struct rng *r)
{
    for (;;) {
        size_t p = (size_t)(rng_next(r) % m->ntok);
        if (m->qclass[m->tok[p]] == 2)
            return p;
    }
}

/* Writes query q as a JSON line: 1-3 co-occurring words, a quoted phrase, a source filter
 * or newest-first sorting, in proportions 50/20/15/15. */
static void write_query(const struct model *m, uint64_t seed, uint64_t qi, struct buf *out)
{
    struct rng r;
    rng_seed(&r, seed, qi, 7);
    uint32_t kind = rng_below(&r, 100);
    struct buf q = {0};
    char form[64];
    const char *kname = kind < 50   ? "words"
                        : kind < 70 ? "phrase"
                        : kind < 85 ? "source"
                                    : "newest";
    if (kind >= 50 && kind < 70) {
        /* A phrase: 2-3 consecutive words of a real sentence, query words at both ends. */
        for (int attempt = 0; attempt < 1000 && q.len == 0; attempt++) {
            size_t p = pick_query_pos(m, &r);
            size_t len = 2 + rng_below(&r, 2);
            if (p + len >= m->ntok || m->qclass[m->tok[p + len - 1]] != 2)
                continue;
            int ok = 1;
            for (size_t k = 1; k + 1 < len; k++)
                ok &= m->qclass[m->tok[p + k]] != 0;
            if (!ok)
                continue;
            buf_adds(&q, "\"");
            for (size_t k = 0; k < len; k++) {
                query_form(m->v.word[m->tok[p + k]], form);
                if (k)
                    buf_adds(&q, " ");
                buf_adds(&q, form);
            }
            buf_adds(&q, "\"");
        }
    }
    if (q.len == 0) {
        /* Words that occur together: the others come from the same sentence. */
        size_t p = pick_query_pos(m, &r);
        uint32_t want = kind < 50 ? 1 + rng_below(&r, 3) : 1 + rng_below(&r, 2);
        size_t lo = p, hi = p;
        while (lo > 0 && m->tok[lo - 1] != TOK_BOS)
            lo--;
        while (hi + 1 < m->ntok && m->tok[hi + 1] != TOK_EOS)
            hi++;
        uint32_t have[3] = {m->tok[p]};
        uint32_t nhave = 1;
        for (int attempt = 0; attempt < 40 && nhave < want; attempt++) {
            size_t o = lo + rng_below(&r, (uint32_t)(hi - lo + 1));
            uint32_t w = m->tok[o];
            if (m->qclass[w] != 2)
                continue;
            char a[64], b[64];
            query_form(m->v.word[w], a);
            int dup = 0;
            for (uint32_t k = 0; k < nhave; k++) {
                query_form(m->v.word[have[k]], b);
                dup |= strcmp(a, b) == 0;
            }
            if (!dup)
                have[nhave++] = w;
        }
        for (uint32_t k = 0; k < nhave; k++) {
            query_form(m->v.word[have[k]], form);
            if (k)
                buf_adds(&q, " ");
            buf_adds(&q, form);
        }
    }
    buf_adds(out, "{\"q\":");
    json_escape(out, q.p);
    if (kind >= 70 && kind < 85) {
        buf_adds(out, ",\"source\":");
        json_escape(out, OUTLETS[pick_outlet(&r)].name);
    }
    buf_adds(out, ",\"sort\":\"");
    buf_adds(out, kind >= 85 ? "newest" : "relevance");
    buf_adds(out, "\",\"kind\":\"");
    buf_adds(out, kname);
    buf_adds(out, "\"}\n");
    buf_free(&q);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: corpusgen [--data DIR] [--n N] [--first K] [--seed S] [--copy-rate R]\n"
               "                 [--pairs FILE]\n"
               "       corpusgen [--data DIR] --queries Q [--seed S]\n"
               "Writes articles gen-K .. gen-(K+N-1) (or Q search queries) as NDJSON to stdout.\n"
               "DIR holds the real *.ndjson corpora (default ../shared/data/news).\n"
               "--pairs writes \"copy-id<TAB>original-id\" for every republished copy.\n");
}

int main(int argc, char **argv)
{
    const char *dir = "../shared/data/news";
    uint64_t n = 1000, first = 1, seed = 42, queries = 0;
    double copy_rate = 0.05;
    const char *pairs_path = NULL;
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"n", required_argument, 0, 'n'},
                                         {"first", required_argument, 0, 'f'},
                                         {"seed", required_argument, 0, 's'},
                                         {"copy-rate", required_argument, 0, 'c'},
                                         {"queries", required_argument, 0, 'q'},
                                         {"pairs", required_argument, 0, 'p'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:n:f:s:c:q:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 'n':
            n = strtoull(optarg, NULL, 10);
            break;
        case 'f':
            first = strtoull(optarg, NULL, 10);
            break;
        case 's':
            seed = strtoull(optarg, NULL, 10);
            break;
        case 'c':
            copy_rate = strtod(optarg, NULL);
            break;
        case 'q':
            queries = strtoull(optarg, NULL, 10);
            break;
        case 'p':
            pairs_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (first < 1 || copy_rate < 0 || copy_rate > 1) {
        usage(stderr);
        return 2;
    }

    static struct model m;
    long articles = model_load(&m, dir);
    if (articles <= 0 || m.nlengths == 0 || m.ntags == 0) {
        fprintf(stderr, "corpusgen: no articles found in %s\n", dir);
        return 1;
    }
    model_index(&m);
    fprintf(stderr, "corpusgen: model from %ld articles: %zu tokens, %u words, %zu states\n",
            articles, m.ntok, m.v.n, m.npos);

    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    struct buf out = {0};
    if (queries) {
        model_classify(&m);
        for (uint64_t q = 1; q <= queries; q++) {
            buf_reset(&out);
            write_query(&m, seed, q, &out);
            fwrite(out.p, 1, out.len, stdout);
        }
    } else {
        struct gen g = {&m, seed, copy_rate};
        FILE *pairs = NULL;
        if (pairs_path && !(pairs = fopen(pairs_path, "w"))) {
            perror(pairs_path);
            return 1;
        }
        for (uint64_t i = first; i < first + n; i++) {
            struct rng r;
            uint64_t j = pairs ? copy_source(&g, i, &r) : 0;
            if (j)
                fprintf(pairs, "gen-%06" PRIu64 "\tgen-%06" PRIu64 "\n", i, j);
            struct doc d = {0};
            gen_doc(&g, i, 0, SIZE_MAX, &d);
            buf_reset(&out);
            write_doc(&out, i, &d);
            doc_free(&d);
            if (fwrite(out.p, 1, out.len, stdout) != out.len)
                return 1; /* a closed pipe (head -n) is fine */
        }
        if (pairs)
            fclose(pairs);
    }
    buf_free(&out);
    return fflush(stdout) == 0 ? 0 : 1;
}
