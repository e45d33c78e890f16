/* ingest.c: analysis before a write and the ingest answer (see ingest.h). */
#include "handlers/ingest.h"

#include "analysis/fingerprint.h"
#include "handlers/article_json.h"

int ingest_prepare(struct app *app, struct store_op *op, struct error *err)
{
    struct article *a = &op->article;
    (void)app;
    if (fingerprint_content_hash(a->body, a->body_len, a->content_hash) != 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    return 0;
}

json_t *ingest_render(const struct store_op *op)
{
    json_t *o = article_json_render(&op->article, 0);
    json_t *dups;
    if (o == NULL)
        return NULL;
    dups = json_pack("{s:o,s:[]}", "exact_of",
                     op->article.duplicate_of ? json_string(op->article.duplicate_of) : json_null(),
                     "near");
    json_object_set_new(o, "duplicates", dups);
    return o;
}
