/* search_typo.c: typo tolerance for GET /v1/search (typo=auto|suggest|off): the query
 * with each unknown bare word replaced by a close index term (store_typo_candidates), for
 * a search that found nothing. When a word has several candidates, the corrected query
 * that finds the most articles with the search's own filters wins (the first candidates,
 * or one word's alternative): "Blare" beside "Tony" is "blair", not the closer "blame". */
#include <stdlib.h>
#include <string.h>

#include "analysis/query.h"
#include "handlers/handlers.h"
#include "server/synset.h"

/* Words looked up at most in one query, candidates kept for each, and candidate queries
 * tried at most: the cost of a correction is SEARCH_TYPO_WORDS_MAX vocabulary look-ups (each
 * bounded, store.h) and 1 + SEARCH_TYPO_TRIES_MAX counts of a corrected query's matches,
 * all under the request's read budget. */
#define SEARCH_TYPO_WORDS_MAX 8
#define SEARCH_TYPO_ALTS      3
#define SEARCH_TYPO_TRIES_MAX 6

struct search_typo {
    const char *text;
    size_t len;
    struct query_word words[SEARCH_TYPO_WORDS_MAX];
    char *cands[SEARCH_TYPO_WORDS_MAX][SEARCH_TYPO_ALTS];
    size_t ncands[SEARCH_TYPO_WORDS_MAX];
    size_t choice[SEARCH_TYPO_WORDS_MAX];
    int nwords;
};

/* The query with each word's chosen candidate in place of it: a new string, or NULL. */
static char *search_typo_text(const struct search_typo *t)
{
    size_t size = t->len + 1, n = 0, from = 0;
    char *fixed;

    for (int i = 0; i < t->nwords; i++)
        if (t->ncands[i] > 0)
            size += strlen(t->cands[i][t->choice[i]]);
    fixed = malloc(size);
    if (fixed == NULL)
        return NULL;
    for (int i = 0; i < t->nwords; i++) {
        const char *c;
        if (t->ncands[i] == 0)
            continue;
        c = t->cands[i][t->choice[i]];
        memcpy(fixed + n, t->text + from, t->words[i].off - from);
        n += t->words[i].off - from;
        memcpy(fixed + n, c, strlen(c));
        n += strlen(c);
        from = t->words[i].off + t->words[i].len;
    }
    memcpy(fixed + n, t->text + from, t->len - from);
    n += t->len - from;
    fixed[n] = '\0';
    return fixed;
}

/* The articles text (a query) finds with base's filters; 0 when none or when it cannot
 * tell (a refused query, the budget). */
static long long search_typo_count(struct app *app, const struct store_search_query *base,
                                   const char *text)
{
    struct store_search_query q = *base;
    struct store_hits hits = {0};
    struct synset_view syn = {0};
    struct error err = {0};
    char *match = NULL;
    long long found = 0;

    synset_acquire(app->synonyms, &syn);
    if (query_to_fts5_with(text, strlen(text), syn.syn, &match, &err) == 0) {
        q.match = match;
        q.limit = 1;
        q.want_total = 1;
        q.has_after = 0;
        q.offset = 0;
        q.cards = 0;
        q.collapse = 0;
        q.sort = STORE_SORT_NEWEST;
        if (store_search(app->store, &q, &hits, &err) == 0)
            found = hits.total > 0 ? hits.total : 0;
        store_hits_free(&hits);
    }
    synset_release(&syn);
    error_clear(&err);
    free(match);
    return found;
}

int search_typo_correct(struct app *app, const char *text, const struct store_search_query *base,
                        char **out, struct error *err)
{
    struct search_typo *t = calloc(1, sizeof *t);
    int any = 0, multi = 0, tries = 0, ret = -1;

    *out = NULL;
    if (t == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    t->text = text;
    t->len = strlen(text);
    t->nwords = query_words(text, t->len, t->words, SEARCH_TYPO_WORDS_MAX);
    for (int i = 0; i < t->nwords; i++) {
        if (store_typo_candidates(app->store, text + t->words[i].off, t->words[i].len, t->cands[i],
                                  SEARCH_TYPO_ALTS, &t->ncands[i], err) != 0)
            goto out;
        any |= t->ncands[i] > 0;
        multi |= t->ncands[i] > 1;
    }
    ret = 0;
    if (!any)
        goto out;
    /* the first candidates, or the one alternative that finds more */
    if (multi) {
        long long best;
        *out = search_typo_text(t);
        best = *out != NULL ? search_typo_count(app, base, *out) : 0;
        for (int i = 0; i < t->nwords && tries < SEARCH_TYPO_TRIES_MAX; i++) {
            for (size_t k = 1; k < t->ncands[i] && tries < SEARCH_TYPO_TRIES_MAX; k++) {
                char *alt;
                long long c;
                t->choice[i] = k;
                alt = search_typo_text(t);
                tries++;
                c = alt != NULL ? search_typo_count(app, base, alt) : 0;
                if (c > best) {
                    free(*out);
                    *out = alt;
                    best = c;
                } else {
                    free(alt);
                }
            }
            t->choice[i] = 0;
        }
    }
    if (*out == NULL)
        *out = search_typo_text(t);
    if (*out == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        ret = -1;
    }
out:
    for (int i = 0; i < SEARCH_TYPO_WORDS_MAX; i++)
        for (size_t k = 0; k < t->ncands[i]; k++)
            free(t->cands[i][k]);
    free(t);
    return ret;
}
