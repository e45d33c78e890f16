/* article.c: the article record (see article.h). */
#include "store/article.h"

#include <stdlib.h>
#include <string.h>

void article_clear(struct article *a)
{
    if (a == NULL)
        return;
    free(a->id);
    free(a->title);
    free(a->body);
    free(a->url);
    free(a->source);
    free(a->author);
    free(a->language);
    free(a->published_at);
    free(a->tags_json);
    free(a->ingested_at);
    free(a->duplicate_of);
    memset(a, 0, sizeof *a);
}
