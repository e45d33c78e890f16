/* backfill.c: the start-up analysis of stored articles (see backfill.h). */
#include "pipeline/backfill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dedupe.h"
#include "pipeline/stages.h"

/* Analyses rows into ops (calloc'd by the caller) for kind. 0, or -1 with err. */
static int backfill_analyse(enum store_backfill_kind kind, struct entity_extractor *ex,
                            const struct store_backfill_row *rows, size_t n, struct store_op *ops,
                            struct error *err)
{
    for (size_t i = 0; i < n; i++) {
        struct store_op *op = &ops[i];
        int rc;
        op->kind = STORE_OP_ANALYSE;
        op->article.seq = rows[i].seq;
        op->article.ts = rows[i].ts;
        if (kind == STORE_BACKFILL_STORIES) {
            /* the signature as at ingest (its entities found again, then
             * let go: they are stored already), the copy links as stored;
             * the article's text is borrowed from the row */
            op->article.title = rows[i].title;
            op->article.body = rows[i].body;
            op->article.body_len = rows[i].body_len;
            op->article.source = rows[i].source;
            op->article.duplicate_of = rows[i].duplicate_of;
            op->near_grp = rows[i].grp != rows[i].seq ? rows[i].grp : 0;
            op->story_backfill = 1;
            rc = ex != NULL ? stage_entities_extract(ex, rows[i].body, rows[i].body_len, &op->ents)
                            : 0;
            if (rc == 0 && stage_story(NULL, op, err) != 0)
                return -1;
            if (op->ents.release != NULL)
                op->ents.release(&op->ents);
            memset(&op->ents, 0, sizeof op->ents);
        } else if (kind == STORE_BACKFILL_FINGERPRINTS) {
            rc = dedupe_sets(rows[i].body, rows[i].body_len, &op->fps, &op->index, NULL);
            op->fingerprinted = rc == 0;
        } else {
            rc = stage_entities_extract(ex, rows[i].body, rows[i].body_len, &op->ents);
        }
        if (rc != 0) {
            error_set(err, ERR_INTERNAL, "analysing article %lld: out of memory",
                      (long long)rows[i].seq);
            return -1;
        }
    }
    return 0;
}

static void backfill_ops_free(struct store_op *ops, size_t n)
{
    for (size_t i = 0; ops != NULL && i < n; i++) {
        fingerprint_set_free(&ops[i].fps);
        fingerprint_set_free(&ops[i].index);
        if (ops[i].ents.release != NULL)
            ops[i].ents.release(&ops[i].ents);
        story_vec_free(&ops[i].story_sig);
        /* the article's text was the row's: not the op's to free */
        memset(&ops[i].article, 0, sizeof ops[i].article);
    }
    free(ops);
}

/* Runs the backfill of one kind to the end. 0, or -1 with err. */
static int backfill_kind(struct store *st, enum store_backfill_kind kind,
                         struct entity_extractor *ex, unsigned chunk,
                         backfill_progress_fn progress, struct error *err)
{
    int64_t after = 0;
    long long done = 0;

    for (;;) {
        struct store_backfill_row *rows = NULL;
        struct store_op *ops = NULL;
        struct store_batch batch = {0};
        size_t n = 0;
        int ret = -1;

        if (store_backfill_next(st, kind, after, chunk, &rows, &n, err) != 0)
            return -1;
        if (n == 0) {
            store_backfill_rows_free(rows, n);
            return 0;
        }
        ops = calloc(n, sizeof *ops);
        if (ops == NULL)
            error_set(err, ERR_INTERNAL, "out of memory");
        else if (backfill_analyse(kind, ex, rows, n, ops, err) == 0) {
            batch.ops = ops;
            batch.nops = n;
            if (store_write(st, &batch, err) == 0) {
                ret = 0;
                for (size_t i = 0; i < n && ret == 0; i++)
                    if (ops[i].failed) {
                        *err = ops[i].err;
                        ret = -1;
                    }
            }
        }
        after = rows[n - 1].seq;
        store_backfill_rows_free(rows, n);
        backfill_ops_free(ops, n);
        if (ret != 0) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            error_set(err, err->code == ERR_NONE ? ERR_INTERNAL : err->code,
                      "%s stored articles failed after %lld: %s",
                      kind == STORE_BACKFILL_FINGERPRINTS ? "fingerprinting"
                      : kind == STORE_BACKFILL_ENTITIES   ? "extracting the entities of"
                                                          : "assigning stories to",
                      done, why);
            return -1;
        }
        done += (long long)n;
        if (progress != NULL)
            progress(done);
    }
}

int backfill_run(struct store *st, int fingerprints, struct entity_extractor *ex,
                 backfill_progress_fn progress, struct error *err)
{
    /* an entity merge or block that a crash interrupted moves the rest of
     * its links (store_entity_curate.c) */
    if (store_curate_resume(st, err) != 0)
        return -1;
    if (fingerprints && backfill_kind(st, STORE_BACKFILL_FINGERPRINTS, NULL,
                                      BACKFILL_CHUNK_FINGERPRINTS, NULL, err) != 0)
        return -1;
    if (ex != NULL &&
        backfill_kind(st, STORE_BACKFILL_ENTITIES, ex, BACKFILL_CHUNK_ENTITIES, NULL, err) != 0)
        return -1;
    /* last: a story's signature reads the entities */
    return backfill_kind(st, STORE_BACKFILL_STORIES, ex, BACKFILL_CHUNK_STORIES, progress, err);
}
