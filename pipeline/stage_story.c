/* stage_story.c: the article's story signature (analysis/story.h) from its
 * title, body and the entities the entity stage found; pure, so it runs on
 * the analysis threads. Which story it joins depends on the articles before
 * it and is decided by the writer (store/store_story.c); see stages.h. */
#include <stdlib.h>

#include "analysis/story.h"
#include "pipeline/stages.h"

int stage_story(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err)
{
    const struct article *a = &op->article;
    struct story_entity_in *ents = NULL;
    size_t n = op->ents.n;
    int rc;

    (void)ctx;
    story_vec_free(&op->story_sig);
    if (n > 0) {
        ents = malloc(n * sizeof *ents);
        if (ents == NULL)
            goto oom;
        for (size_t i = 0; i < n; i++) {
            ents[i].key = op->ents.entities[i].key;
            ents[i].type = op->ents.entities[i].type;
            ents[i].mentions = op->ents.entities[i].mentions;
        }
    }
    rc = story_sig_compute(a->title, a->body, a->body_len, ents, n, &op->story_sig);
    free(ents);
    if (rc == 0)
        return 0;
    story_vec_free(&op->story_sig);
oom:
    error_set(err, ERR_INTERNAL, "out of memory computing the story signature");
    return -1;
}
