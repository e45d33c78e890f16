/* synonyms.c: see synonyms.h. The rules are kept as read; a sorted table
 * maps each term's normalised form to what it also finds, so a query term is
 * one normalisation and one binary search. */
#include "analysis/synonyms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/textnorm.h"
#include "analysis/utf8.h"

struct syn_rule {
    char **from, **to; /* to is NULL for an equivalence */
    size_t nfrom, nto;
};

/* One term's synonyms: pointers into the rules' strings. */
struct syn_entry {
    char *key;
    const char *syns[SYNONYMS_MAX_EXPANSION];
    size_t n;
};

struct synonyms {
    struct syn_rule *rules;
    size_t nrules;
    struct syn_entry *entries; /* sorted by key, keys distinct */
    size_t nentries;
};

/* While the table is built: term `syn` (normalised `syn_key`) is found by `key`. */
struct syn_pair {
    char *key, *syn_key;
    const char *syn;
};

static void syn_rule_clear(struct syn_rule *r)
{
    for (size_t i = 0; i < r->nfrom; i++)
        free(r->from[i]);
    for (size_t i = 0; i < r->nto; i++)
        free(r->to[i]);
    free(r->from);
    free(r->to);
}

void synonyms_free(struct synonyms *syn)
{
    if (syn == NULL)
        return;
    for (size_t i = 0; i < syn->nrules; i++)
        syn_rule_clear(&syn->rules[i]);
    for (size_t i = 0; i < syn->nentries; i++)
        free(syn->entries[i].key);
    free(syn->rules);
    free(syn->entries);
    free(syn);
}

static int syn_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Splits s[0..len) at commas into terms (trimmed, new strings) appended to
 * *terms. 0, or -1 with err (line names the line). */
static int syn_terms(const char *s, size_t len, size_t line, char ***terms, size_t *n,
                     struct error *err)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ',')
            continue;
        size_t a = start, b = i;
        char *key;
        size_t klen = 0;
        while (a < b && syn_is_space(s[a]))
            a++;
        while (b > a && syn_is_space(s[b - 1]))
            b--;
        start = i + 1;
        if (a == b) {
            error_set(err, ERR_INVALID, "synonyms line %zu: an empty term (two commas, or a comma "
                                        "at an end)", line);
            return -1;
        }
        if (b - a > SYNONYMS_MAX_TERM_BYTES) {
            error_set(err, ERR_INVALID, "synonyms line %zu: a term longer than %d bytes", line,
                      SYNONYMS_MAX_TERM_BYTES);
            return -1;
        }
        if (*n >= SYNONYMS_MAX_TERMS) {
            error_set(err, ERR_INVALID, "synonyms line %zu: more than %d terms", line,
                      SYNONYMS_MAX_TERMS);
            return -1;
        }
        if ((key = textnorm_string(s + a, b - a, &klen)) == NULL)
            goto oom;
        free(key);
        if (klen == 0) {
            error_set(err, ERR_INVALID, "synonyms line %zu: the term '%.*s' has no letter or digit",
                      line, (int)(b - a), s + a);
            return -1;
        }
        char **bigger = realloc(*terms, (*n + 1) * sizeof **terms);
        if (bigger == NULL)
            goto oom;
        *terms = bigger;
        if (((*terms)[*n] = strndup(s + a, b - a)) == NULL)
            goto oom;
        (*n)++;
    }
    return 0;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
    return -1;
}

/* Parses one non-blank, non-comment line into r. 0 or -1 with err. */
static int syn_rule_parse(const char *s, size_t len, size_t line, struct syn_rule *r,
                          struct error *err)
{
    const char *arrow = memmem(s, len, "=>", 2);
    memset(r, 0, sizeof *r);
    if (arrow == NULL) {
        if (syn_terms(s, len, line, &r->from, &r->nfrom, err) != 0)
            return -1;
        if (r->nfrom < 2) {
            error_set(err, ERR_INVALID, "synonyms line %zu: an equivalence needs two terms or "
                                        "more, separated by commas", line);
            return -1;
        }
        return 0;
    }
    size_t left = (size_t)(arrow - s);
    if (memmem(arrow + 2, len - left - 2, "=>", 2) != NULL) {
        error_set(err, ERR_INVALID, "synonyms line %zu: more than one '=>'", line);
        return -1;
    }
    if (syn_terms(s, left, line, &r->from, &r->nfrom, err) != 0 ||
        syn_terms(arrow + 2, len - left - 2, line, &r->to, &r->nto, err) != 0)
        return -1;
    return 0;
}

static int syn_pair_cmp(const void *a, const void *b)
{
    const struct syn_pair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : strcmp(x->syn_key, y->syn_key);
}

/* Appends (key of t, s) to the pairs. 0 or -1 out of memory. */
static int syn_pair_add(struct syn_pair **pairs, size_t *n, size_t *cap, const char *t,
                        const char *s)
{
    struct syn_pair p = {0};
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        struct syn_pair *bigger = realloc(*pairs, c * sizeof *bigger);
        if (bigger == NULL)
            return -1;
        *pairs = bigger;
        *cap = c;
    }
    p.key = textnorm_string(t, strlen(t), NULL);
    p.syn_key = textnorm_string(s, strlen(s), NULL);
    p.syn = s;
    if (p.key == NULL || p.syn_key == NULL) {
        free(p.key);
        free(p.syn_key);
        return -1;
    }
    (*pairs)[(*n)++] = p;
    return 0;
}

/* Builds syn->entries from syn->rules. 0 or -1 out of memory. */
static int syn_index(struct synonyms *syn)
{
    struct syn_pair *pairs = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;

    for (size_t r = 0; r < syn->nrules; r++) {
        const struct syn_rule *ru = &syn->rules[r];
        for (size_t i = 0; i < ru->nfrom; i++) {
            if (ru->to == NULL) {
                for (size_t j = 0; j < ru->nfrom; j++)
                    if (j != i && syn_pair_add(&pairs, &n, &cap, ru->from[i], ru->from[j]) != 0)
                        goto out;
            } else {
                for (size_t j = 0; j < ru->nto; j++)
                    if (syn_pair_add(&pairs, &n, &cap, ru->from[i], ru->to[j]) != 0)
                        goto out;
            }
        }
    }
    if (n > 0)
        qsort(pairs, n, sizeof *pairs, syn_pair_cmp);
    syn->entries = calloc(n ? n : 1, sizeof *syn->entries);
    if (syn->entries == NULL)
        goto out;
    for (size_t i = 0, group = 0; i < n; i++) {
        struct syn_entry *e = syn->nentries ? &syn->entries[syn->nentries - 1] : NULL;
        if (e == NULL || strcmp(e->key, pairs[i].key) != 0) {
            e = &syn->entries[syn->nentries++];
            e->key = strdup(pairs[i].key);
            if (e->key == NULL)
                goto out;
            group = i;
        }
        /* the term itself, and a form already listed, add nothing */
        if (strcmp(pairs[i].syn_key, e->key) == 0 ||
            (i > group && strcmp(pairs[i - 1].syn_key, pairs[i].syn_key) == 0))
            continue;
        if (e->n < SYNONYMS_MAX_EXPANSION)
            e->syns[e->n++] = pairs[i].syn;
    }
    rc = 0;
out:
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].key);
        free(pairs[i].syn_key);
    }
    free(pairs);
    return rc;
}

int synonyms_parse(const char *text, size_t len, struct synonyms **out, struct error *err)
{
    struct synonyms *syn;
    size_t line = 0, pos = 0, bad;

    *out = NULL;
    if (len > SYNONYMS_MAX_BYTES) {
        error_set(err, ERR_INVALID, "synonyms: more than %d bytes", SYNONYMS_MAX_BYTES);
        return -1;
    }
    if (utf8_check(text, len, &bad) != 0 || memchr(text, '\0', len) != NULL) {
        error_set(err, ERR_UNPROCESSABLE, "synonyms: not valid UTF-8 text (byte %zu)", bad);
        return -1;
    }
    if ((syn = calloc(1, sizeof *syn)) == NULL)
        goto oom;
    while (pos < len) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - s) : len - pos, a = 0;
        pos += l + (nl != NULL);
        line++;
        while (a < l && syn_is_space(s[a]))
            a++;
        if (a == l || s[a] == '#')
            continue;
        if (syn->nrules >= SYNONYMS_MAX_RULES) {
            error_set(err, ERR_INVALID, "synonyms line %zu: more than %d rules", line,
                      SYNONYMS_MAX_RULES);
            goto fail;
        }
        struct syn_rule *bigger = realloc(syn->rules, (syn->nrules + 1) * sizeof *bigger);
        if (bigger == NULL)
            goto oom;
        syn->rules = bigger;
        if (syn_rule_parse(s + a, l - a, line, &syn->rules[syn->nrules], err) != 0) {
            syn_rule_clear(&syn->rules[syn->nrules]);
            goto fail;
        }
        syn->nrules++;
    }
    if (syn_index(syn) != 0)
        goto oom;
    *out = syn;
    return 0;
oom:
    error_set(err, ERR_INTERNAL, "out of memory");
fail:
    synonyms_free(syn);
    return -1;
}

int synonyms_load(const char *path, struct synonyms **out, struct error *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0;
    int rc = -1;

    *out = NULL;
    if (f == NULL) {
        error_set(err, ERR_INVALID, "cannot read the synonyms file %s: %s", path, strerror(errno));
        return -1;
    }
    if ((text = malloc(SYNONYMS_MAX_BYTES + 1)) == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    len = fread(text, 1, SYNONYMS_MAX_BYTES + 1, f);
    if (ferror(f)) {
        error_set(err, ERR_INVALID, "cannot read the synonyms file %s", path);
        goto out;
    }
    if (synonyms_parse(text, len, out, err) != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        error_set(err, err->code, "%s: %s", path, msg);
        goto out;
    }
    rc = 0;
out:
    free(text);
    fclose(f);
    return rc;
}

static int syn_entry_cmp(const void *key, const void *e)
{
    return strcmp(key, ((const struct syn_entry *)e)->key);
}

const char *const *synonyms_of(const struct synonyms *syn, const char *term, size_t len, size_t *n)
{
    const struct syn_entry *e = NULL;
    char *key;

    *n = 0;
    if (syn == NULL || syn->nentries == 0 || len > 4 * SYNONYMS_MAX_TERM_BYTES)
        return NULL;
    if ((key = textnorm_string(term, len, NULL)) == NULL)
        return NULL;
    e = bsearch(key, syn->entries, syn->nentries, sizeof *syn->entries, syn_entry_cmp);
    free(key);
    if (e == NULL || e->n == 0)
        return NULL;
    *n = e->n;
    return e->syns;
}

size_t synonyms_rules(const struct synonyms *syn)
{
    return syn ? syn->nrules : 0;
}

void synonyms_rule(const struct synonyms *syn, size_t i, const char *const **from, size_t *nfrom,
                   const char *const **to, size_t *nto)
{
    const struct syn_rule *r = &syn->rules[i];
    *from = (const char *const *)r->from;
    *nfrom = r->nfrom;
    *to = (const char *const *)r->to;
    *nto = r->nto;
}
