/* near.c: near-duplicate look-ups over the store's data (see near.h). */
#include "pipeline/near.h"

#include <stdlib.h>
#include <string.h>

int near_find(struct store *st, const struct fingerprint_set *full,
              const struct fingerprint_set *index, const char *exclude_id, const char *content_hash,
              double min_containment, struct dedupe_near_list *out, struct error *err)
{
    struct store_near_postings post = {0};
    struct store_near_text *texts = NULL;
    size_t ntexts = 0, ncand;
    int64_t *seqs = NULL;
    int ret = -1;

    memset(out, 0, sizeof *out);
    if (full->n == 0 || index->n == 0)
        return 0;
    if (store_near_postings(st, index, &post, err) != 0)
        return -1;
    ncand = dedupe_candidates_pick(post.items, post.n, post.scale, full, index, min_containment);
    if (ncand == 0) {
        ret = 0;
        goto out;
    }
    seqs = malloc(ncand * sizeof *seqs);
    if (seqs == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ncand; i++)
        seqs[i] = post.items[i].seq;
    if (store_near_texts(st, seqs, ncand, &texts, &ntexts, err) != 0)
        goto out;
    /* a candidate's whole set is a pure function of its text: computed
     * again costs less than storing every k-gram */
    for (size_t i = 0; i < ntexts; i++) {
        const struct store_near_text *t = &texts[i];
        struct fingerprint_set other = {0}, other_index = {0};
        double containment, resemblance;
        int fail = 0;

        if (exclude_id != NULL && strcmp(t->id, exclude_id) == 0)
            continue;
        if (dedupe_sets(t->body, t->body_len, &other, &other_index, NULL) != 0)
            fail = 1;
        else {
            dedupe_score(full, &other, &containment, &resemblance);
            if (containment + 1e-9 >= min_containment && other.n > 0 &&
                dedupe_near_add(out, t->id, t->seq, t->grp,
                                content_hash != NULL && strcmp(t->content_hash, content_hash) == 0,
                                containment, resemblance) != 0)
                fail = 1;
        }
        fingerprint_set_free(&other);
        fingerprint_set_free(&other_index);
        if (fail) {
            error_set(err, ERR_INTERNAL, "out of memory");
            goto out;
        }
    }
    dedupe_rank(out);
    ret = 0;
out:
    if (ret != 0)
        dedupe_near_list_free(out);
    store_near_texts_free(texts, ntexts);
    store_near_postings_free(&post);
    free(seqs);
    return ret;
}

void near_batch_add(struct dedupe_batch *b, struct store_op *ops, size_t idx, size_t visible,
                    double min_containment)
{
    struct store_op *op = &ops[idx];
    size_t best;

    if (b == NULL || op->fps.n == 0)
        return;
    best = dedupe_batch_best(b, &op->index, visible);
    if (best != SIZE_MAX) {
        const struct store_op *peer = &ops[best];
        double c, r;
        dedupe_score(&op->fps, &peer->fps, &c, &r);
        if (c >= DEDUPE_GROUP_MIN_CONTAINMENT && op->near_grp == 0) {
            const struct store_op *founder = peer->near_op;
            struct dedupe_peer p = {.has_founder = founder != NULL, .near_grp = peer->near_grp};
            int64_t grp;
            if (founder != NULL) {
                p.founder_committed = (size_t)(founder - ops) < visible;
                if (p.founder_committed)
                    p.founder_grp = founder->article.grp;
                else
                    p.founder_containment = fingerprint_containment(&op->fps, &founder->fps);
            }
            switch (dedupe_batch_join(&p, &op->near, &grp)) {
            case DEDUPE_JOIN_PEER:
                op->near_op = &ops[best];
                break;
            case DEDUPE_JOIN_FOUNDER:
                op->near_op = peer->near_op;
                break;
            case DEDUPE_JOIN_GROUP:
                op->near_grp = grp;
                break;
            case DEDUPE_JOIN_NONE:
                break;
            }
        }
        /* a chunk that committed after the look-up began may be in both */
        if (c >= min_containment && !dedupe_near_has(&op->near, peer->article.id))
            (void)dedupe_near_add(&op->near, peer->article.id, 0, 0,
                                  strcmp(op->article.content_hash, peer->article.content_hash) == 0,
                                  c, r);
    }
    (void)dedupe_batch_put(b, idx, &op->index, visible);
}
