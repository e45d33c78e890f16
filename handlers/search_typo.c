/* search_typo.c: typo tolerance for GET /v1/search (typo=auto|suggest|off): the query
 * with each unknown bare word replaced by the closest frequent index term
 * (store_typo_suggest), for a search that found nothing. */
#include <stdlib.h>
#include <string.h>

#include "analysis/query.h"
#include "handlers/handlers.h"

/* Words looked up at most in one query: the cost of a correction is this many vocabulary
 * look-ups, each bounded (store.h). */
#define SEARCH_TYPO_WORDS_MAX 8

int search_typo_correct(struct app *app, const char *text, char **out, struct error *err)
{
    struct query_word words[SEARCH_TYPO_WORDS_MAX];
    char *sugg[SEARCH_TYPO_WORDS_MAX] = {0}, *fixed = NULL;
    size_t len = strlen(text), size = len + 1, n = 0, from = 0;
    int nw = query_words(text, len, words, SEARCH_TYPO_WORDS_MAX), any = 0, ret = -1;

    *out = NULL;
    if (nw <= 0)
        return 0;
    for (int i = 0; i < nw; i++) {
        if (store_typo_suggest(app->store, text + words[i].off, words[i].len, &sugg[i], err) != 0)
            goto out;
        if (sugg[i] != NULL) {
            size += strlen(sugg[i]);
            any = 1;
        }
    }
    ret = 0;
    if (!any)
        goto out;
    fixed = malloc(size);
    if (fixed == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        ret = -1;
        goto out;
    }
    /* the query as written, each corrected word replaced in place */
    for (int i = 0; i < nw; i++) {
        if (sugg[i] == NULL)
            continue;
        memcpy(fixed + n, text + from, words[i].off - from);
        n += words[i].off - from;
        memcpy(fixed + n, sugg[i], strlen(sugg[i]));
        n += strlen(sugg[i]);
        from = words[i].off + words[i].len;
    }
    memcpy(fixed + n, text + from, len - from);
    n += len - from;
    fixed[n] = '\0';
    *out = fixed;
out:
    for (int i = 0; i < nw; i++)
        free(sugg[i]);
    return ret;
}
