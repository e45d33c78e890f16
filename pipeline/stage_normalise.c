/* stage_normalise.c: one normalisation of the body serves the exact-copy
 * hash and both fingerprint sets (see stages.h). */
#include "analysis/fingerprint.h"
#include "analysis/textnorm.h"
#include "pipeline/stages.h"

int stage_fingerprints(const char *body, size_t len, struct fingerprint_set *full,
                       struct fingerprint_set *index, char *content_hash)
{
    struct textnorm_words words = TEXTNORM_WORDS_INIT;
    int ret = -1;

    if (textnorm_split(body, len, &words) != 0)
        goto out;
    if (content_hash != NULL)
        fingerprint_words_hash(&words, content_hash);
    if (full != NULL && fingerprint_sets_from_words(&words, full, index) != 0)
        goto out;
    ret = 0;
out:
    textnorm_words_free(&words);
    return ret;
}

int stage_normalise(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err)
{
    struct article *a = &op->article;

    if (stage_fingerprints(a->body, a->body_len, ctx->duplicates ? &op->fps : NULL, &op->index,
                           a->content_hash) != 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    op->fingerprinted = ctx->duplicates;
    return 0;
}

int stage_fingerprints_cb(const char *body, size_t len, struct fingerprint_set *full,
                          struct fingerprint_set *index)
{
    return stage_fingerprints(body, len, full, index, NULL);
}
