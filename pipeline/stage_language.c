/* stage_language.c: the language of an article sent without one (see
 * stages.h), detected from its title and the start of its body. */
#include <stdlib.h>
#include <string.h>

#include "analysis/langid.h"
#include "analysis/utf8.h"
#include "pipeline/stages.h"

int stage_language(const struct pipeline_ctx *ctx, struct store_op *op, struct error *err)
{
    struct article *a = &op->article;
    char buf[LANGID_MAX_BYTES];
    struct langid_result r;
    size_t tl, bl;

    (void)ctx;
    if (a->language != NULL)
        return 0; /* given (and validated by the parser): kept as it is */
    /* the title, a line break, then as much of the body as the detector
     * reads: its cost is bounded by LANGID_MAX_BYTES whatever the article */
    tl = utf8_floor(a->title, strlen(a->title), sizeof buf - 1);
    memcpy(buf, a->title, tl);
    buf[tl] = '\n';
    bl = a->body != NULL ? utf8_floor(a->body, a->body_len, sizeof buf - tl - 1) : 0;
    memcpy(buf + tl + 1, a->body, bl);
    if (langid_detect(NULL, buf, tl + 1 + bl, PIPELINE_LANGUAGE_MIN_CONFIDENCE, &r) != 0)
        return 0; /* too short or ambiguous: no language rather than a guess */
    if ((a->language = strdup(r.code)) == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    a->language_detected = 1;
    return 0;
}
