/* pipeline.c: jobs, their lanes, and the path of each kind (see pipeline.h).
 *
 * Every job ends the same way: `pending` counts what is still running for it
 * (1 for its analysis, 1 per chunk queued for the writer); whoever brings it
 * to zero marks the job finished, sends the last notify and lets go of the
 * pipeline's reference. */
#include "pipeline/pipeline.h"

#include <libgen.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dedupe.h"
#include "pipeline/article_json.h"
#include "pipeline/ndjson.h"
#include "pipeline/near.h"
#include "pipeline/stages.h"
#include "server/workpool.h"

/* _bulk lines analysed before their chunk goes to the writer. */
#define PIPELINE_CHUNK 200

/* A _bulk body's parsed part is given back in steps of this many bytes:
 * every line is copied into its op, and a 10,000-line body is about 13 MB. */
#define PIPELINE_BODY_RELEASE (1u << 20)

struct pipeline {
    struct pipeline_config cfg;
    struct workpool *analyse; /* single articles and checks */
    struct workpool *bulk;    /* _bulk requests, one at a time, in order */
    struct workpool *maint;   /* snapshots */
    pthread_mutex_t mu;       /* guards what follows */
    pthread_cond_t cv;
    unsigned jobs;        /* submitted whose last notify has not returned */
    int snapshot_running; /* one snapshot at a time */
    int closing;
};

struct pipeline *pipeline_new(const struct pipeline_config *cfg, struct error *err)
{
    struct pipeline *p = calloc(1, sizeof *p);

    if (p == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    p->cfg = *cfg;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->analyse = workpool_new(cfg->threads ? cfg->threads : 1, "articled-work");
    /* one _bulk at a time: the single writer cannot take more than one
     * thread's worth of analysis, and each request in analysis holds its
     * lines' analysis in memory (tens of MB for 10,000 lines) */
    p->bulk = workpool_new(1, "articled-bulk");
    p->maint = workpool_new(1, "articled-maint");
    if (p->analyse == NULL || p->bulk == NULL || p->maint == NULL) {
        error_set(err, ERR_INTERNAL, "cannot start the pipeline's threads");
        pipeline_free(p);
        return NULL;
    }
    return p;
}

void pipeline_drain(struct pipeline *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    while (p->jobs > 0)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void pipeline_free(struct pipeline *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->closing = 1;
    pthread_mutex_unlock(&p->mu);
    /* queued work runs (a stopping service refuses what it can), then the
     * threads stop */
    workpool_free(p->analyse);
    workpool_free(p->bulk);
    workpool_free(p->maint);
    pipeline_drain(p);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

/* ---- jobs ------------------------------------------------------------------ */

struct pipeline_job *pipeline_job_new(enum pipeline_kind kind)
{
    struct pipeline_job *job = calloc(1, sizeof *job);
    if (job == NULL)
        return NULL;
    job->kind = kind;
    atomic_store(&job->refs, 1);
    return job;
}

static void job_free(struct pipeline_job *job)
{
    int bulk = job->kind == PIPELINE_BULK;

    /* a refused single article or line may have left part of its op */
    for (size_t i = 0; job->ops != NULL && i < job->nalloc; i++)
        pipeline_op_clear(&job->ops[i]);
    for (size_t i = 0; i < job->nbad; i++)
        free(job->bad[i].id);
    for (size_t i = 0; i < job->nexact; i++)
        free(job->exact_ids[i]);
    /* not through job->p: the request's reference may outlive the pipeline */
    if (job->body != NULL && job->body_free != NULL)
        job->body_free(job->body);
    if (job->state_free != NULL)
        job->state_free(job->notify_arg);
    free(job->exact_ids);
    free(job->ops);
    free(job->op_line);
    free(job->bad);
    free(job->chunks);
    free(job->committed);
    free(job->id);
    free(job->snapshot_path);
    free(job->curate.id);
    free(job->curate.into);
    free(job->curate.name);
    for (size_t i = 0; i < job->curate.naliases; i++)
        free(job->curate.aliases[i]);
    free(job->curate.aliases);
    free(job);
    /* a large request's analysis is many small blocks: hand the freed pages
     * back to the system, or the process keeps its peak size for good */
    if (bulk)
        malloc_trim(0);
}

void pipeline_job_release(void *arg)
{
    struct pipeline_job *job = arg;
    if (job != NULL && atomic_fetch_sub(&job->refs, 1) == 1)
        job_free(job);
}

/* One thing running for the job ended; the last one finishes it. */
static void job_pending_done(struct pipeline_job *job)
{
    struct pipeline *p = job->p;

    if (atomic_fetch_sub(&job->pending, 1) != 1)
        return;
    atomic_store(&job->finished, 1);
    if (job->kind == PIPELINE_SNAPSHOT) {
        /* the next snapshot may start before this answer goes out: a client
         * that asks again at once must not get a 409 */
        pthread_mutex_lock(&p->mu);
        p->snapshot_running = 0;
        pthread_mutex_unlock(&p->mu);
    }
    if (job->notify != NULL)
        job->notify(job, job->notify_arg);
    pthread_mutex_lock(&p->mu);
    p->jobs--;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pipeline_job_release(job);
}

/* The writer's thread: a chunk's transaction ended. */
static void job_chunk_done(struct store_batch *batch, void *arg)
{
    struct pipeline_job *job = arg;

    atomic_store(&job->committed[batch - job->chunks], 1);
    if (job->kind == PIPELINE_BULK && job->notify != NULL && !atomic_load(&job->finished))
        job->notify(job, job->notify_arg);
    job_pending_done(job);
}

/* Queues ops[from, to) as the next chunk. A chunk the store refuses
 * (shutting down) fails its ops with the store's error: -1 with err set.
 * Once queued, the ops are the writer's until the chunk's done. */
static int job_submit_chunk(struct pipeline_job *job, size_t from, size_t to, struct error *err)
{
    struct store_batch *b;

    if (to == from)
        return 0;
    b = &job->chunks[job->nchunks++];
    b->ops = job->ops + from;
    b->nops = to - from;
    b->done = job_chunk_done;
    b->arg = job;
    atomic_fetch_add(&job->pending, 1);
    if (store_submit(job->p->cfg.store, b, err) != 0) {
        atomic_fetch_sub(&job->pending, 1);
        for (size_t i = from; i < to; i++) {
            job->ops[i].failed = 1;
            job->ops[i].err = *err;
        }
        atomic_store(&job->committed[b - job->chunks], 1); /* ended: nothing written */
        return -1;
    }
    return 0;
}

static void job_ctx(const struct pipeline_job *job, struct pipeline_ctx *ctx)
{
    ctx->store = job->p->cfg.store;
    ctx->extractor = job->p->cfg.extractor;
    ctx->duplicates = job->p->cfg.duplicates;
    ctx->min_containment = job->min_containment;
}

/* The body is copied into the op: give it back now. */
static void job_body_done(struct pipeline_job *job)
{
    if (job->body != NULL && job->body_free != NULL) {
        job->body_free(job->body);
        job->body = NULL;
    }
}

/* article_json_parse, timed as the "parse" stage. */
static int job_parse(const char *text, size_t len, const char *path_id, struct article *a,
                     struct error *err)
{
    unsigned long long t0 = pipeline_now_ns();
    int rc = article_json_parse(text, len, path_id, a, err);
    pipeline_stage_time_add(0, pipeline_now_ns() - t0);
    return rc;
}

/* ---- one article: POST, PUT -------------------------------------------- */

/* An analysis thread: parse, validate, analyse, resolve, then the writer. */
static void job_run_single(void *arg)
{
    struct pipeline_job *job = arg;
    struct store_op *op = &job->ops[0];
    struct pipeline_ctx ctx;

    job_ctx(job, &ctx);
    op->kind = job->kind == PIPELINE_CREATE ? STORE_OP_CREATE : STORE_OP_PUT;
    if (job_parse(job->body ? job->body : "", job->body_len,
                           job->kind == PIPELINE_PUT ? job->id : NULL, &op->article,
                           &job->err) != 0)
        goto out;
    job_body_done(job);
    if (pipeline_stages_run(&ctx, PIPELINE_ANALYSE, op, &job->err) != 0 ||
        pipeline_stages_run(&ctx, PIPELINE_RESOLVE, op, &job->err) != 0)
        goto out;
    job->nops = 1;
    job_submit_chunk(job, 0, 1, &job->err); /* refused (stopping): job->err says so */
out:
    atomic_store(&job->analysed, 1);
    job_pending_done(job);
}

/* ---- a duplicate check: POST /v1/duplicates/_check ---------------------- */

static void job_run_check(void *arg)
{
    struct pipeline_job *job = arg;
    struct store_op *op = &job->ops[0];
    struct pipeline_ctx ctx;
    struct article *a = &op->article;

    job_ctx(job, &ctx);
    ctx.duplicates = 1; /* a check is about copies, whatever ingest does */
    if (job_parse(job->body ? job->body : "", job->body_len, NULL, a, &job->err) != 0)
        goto out;
    job_body_done(job);
    /* a client's own id, if it sent one, is not its own duplicate */
    job->id_given = !a->id_generated;
    if (stage_normalise(&ctx, op, &job->err) != 0 ||
        store_exact_copies(ctx.store, a->content_hash, job->id_given ? a->id : NULL,
                           &job->exact_ids, &job->nexact, &job->err) != 0 ||
        near_find(ctx.store, &op->fps, &op->index, job->id_given ? a->id : NULL, a->content_hash,
                  job->min_containment, &op->near, &job->err) != 0)
        goto out;
    job->nops = 1;
out:
    atomic_store(&job->analysed, 1);
    job_pending_done(job);
}

/* ---- a snapshot -------------------------------------------------------- */

static int job_cancelled(void *arg)
{
    struct pipeline *p = arg;
    return atomic_load(p->cfg.stopping);
}

static void job_run_snapshot(void *arg)
{
    struct pipeline_job *job = arg;

    job->snapshot.cancelled = job_cancelled;
    job->snapshot.cancel_arg = job->p;
    job->snapshot.min_free = job->snapshot_min_free;
    if (store_snapshot(job->p->cfg.store, job->snapshot_path, &job->snapshot, &job->err) == 0 &&
        job->snapshot_keep > 0 && job->snapshot_prefix != NULL) {
        char *dir = strdup(job->snapshot_path);
        if (dir != NULL)
            store_snapshot_prune(dirname(dir), job->snapshot_prefix, job->snapshot_keep);
        free(dir);
    }
    atomic_store(&job->analysed, 1);
    job_pending_done(job);
}

/* ---- an entity curation ----------------------------------------------- */

/* The maintenance thread: the curation, then a merge's or a block's link
 * moves, one transaction per chunk (store_curate_run), before the answer. */
static void job_run_curate(void *arg)
{
    struct pipeline_job *job = arg;
    struct store_op *op = &job->ops[0];

    op->curate = job->curate;             /* borrowed: the job frees its strings */
    op->curate.cancelled = job_cancelled; /* a long merge does not hold up a stop */
    op->curate.cancel_arg = job->p;
    if (store_curate_run(job->p->cfg.store, op, &job->err) == 0 || op->failed)
        job->nops = 1;
    atomic_store(&job->analysed, 1);
    job_pending_done(job);
}

/* ---- _bulk ------------------------------------------------------------- */

/* The bulk thread: every line parsed and analysed in order, chunks queued
 * as they fill; the submitter answers committed chunks from `progress`
 * while this runs, then from its own thread. */
static void job_run_bulk(void *arg)
{
    struct pipeline_job *job = arg;
    struct pipeline *p = job->p;
    struct pipeline_ctx ctx;
    struct ndjson_iter it;
    struct dedupe_batch *batch = dedupe_batch_new();
    const char *line_text;
    size_t line, len, chunk_start = 0, released = 0, seen = 0;

    job_ctx(job, &ctx);
    ndjson_init(&it, job->body ? job->body : "", job->body_len);
    while (ndjson_next(&it, &line_text, &len, &line)) {
        struct store_op *op = &job->ops[job->nops];
        struct error err = {0};
        /* the ops answered so far committed before this line's look-up
         * begins: the store finds them, the request's own index the rest */
        size_t visible = job->released;

        if (atomic_load(p->cfg.stopping)) {
            /* shutting down: what is analysed is written, the rest is refused
             * (each line says so), so a large request cannot hold up the exit */
            error_set(&err, ERR_UNAVAILABLE, "the service is shutting down; send this line again");
        } else if (len > p->cfg.max_line) {
            error_set(&err, ERR_TOO_LARGE, "the line is larger than the limit of %zu bytes",
                      p->cfg.max_line);
        } else if (job_parse(line_text, len, NULL, &op->article, &err) == 0 &&
                   pipeline_stages_run(&ctx, PIPELINE_ANALYSE, op, &err) == 0 &&
                   pipeline_stages_run(&ctx, PIPELINE_RESOLVE, op, &err) == 0) {
            /* a client's id means create-or-replace, so re-sent feeds are idempotent */
            op->kind = STORE_OP_PUT;
            near_batch_add(batch, job->ops, job->nops, visible, job->min_containment);
            job->op_line[job->nops++] = line;
            if (job->nops - chunk_start == PIPELINE_CHUNK) {
                job_submit_chunk(job, chunk_start, job->nops, &err);
                error_clear(&err); /* the chunk's ops carry it */
                chunk_start = job->nops;
            }
        }
        if (err.code != ERR_NONE) {
            struct pipeline_bad *b = &job->bad[job->nbad++];
            b->line = line;
            b->id = op->article.id;
            op->article.id = NULL;
            b->err = err;
            pipeline_op_clear(op);
            memset(op, 0, sizeof *op);
        }
        if (p->cfg.body_consumed != NULL &&
            (size_t)(line_text + len - job->body) - released >= PIPELINE_BODY_RELEASE) {
            released = (size_t)(line_text + len - job->body);
            p->cfg.body_consumed(job->body, job->body_len, released);
        }
        /* chunks committed since the last look: the submitter answers them */
        if (job->progress != NULL && seen < job->nchunks && atomic_load(&job->committed[seen])) {
            while (seen < job->nchunks && atomic_load(&job->committed[seen]))
                seen++;
            job->progress(job, job->notify_arg);
        }
    }
    dedupe_batch_free(batch);
    {
        struct error err = {0};
        job_submit_chunk(job, chunk_start, job->nops, &err); /* the ops carry a refusal */
    }
    job_body_done(job);
    atomic_store(&job->analysed, 1);
    if (job->notify != NULL)
        job->notify(job, job->notify_arg);
    job_pending_done(job);
}

/* ---- submission ----------------------------------------------------------- */

/* Sizes the job's arrays for n ops and their chunks. 0 or -1. */
static int job_alloc(struct pipeline_job *job, size_t n)
{
    size_t nchunks = n / PIPELINE_CHUNK + 2;
    job->nalloc = n ? n : 1;
    job->ops = calloc(n ? n : 1, sizeof *job->ops);
    job->op_line = calloc(n ? n : 1, sizeof *job->op_line);
    job->bad = calloc(n ? n : 1, sizeof *job->bad);
    job->chunks = calloc(nchunks, sizeof *job->chunks);
    job->committed = calloc(nchunks, sizeof *job->committed);
    return job->ops && job->op_line && job->bad && job->chunks && job->committed ? 0 : -1;
}

int pipeline_submit(struct pipeline *p, struct pipeline_job *job)
{
    struct workpool *lane = p->analyse;
    void (*run)(void *) = job_run_single;
    int refused = 0;

    job->p = p;
    if (job->body_free == NULL)
        job->body_free = p->cfg.body_free;
    if (job_alloc(job, job->kind == PIPELINE_BULK && job->body != NULL
                           ? ndjson_count(job->body, job->body_len)
                           : 1) != 0) {
        error_set(&job->err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    switch (job->kind) {
    case PIPELINE_BULK:
        lane = p->bulk;
        run = job_run_bulk;
        break;
    case PIPELINE_CHECK:
        run = job_run_check;
        break;
    case PIPELINE_SNAPSHOT:
        lane = p->maint;
        run = job_run_snapshot;
        break;
    case PIPELINE_CURATE:
        /* serialised with snapshots, off the analysis threads: a merge may
         * take many transactions */
        lane = p->maint;
        run = job_run_curate;
        break;
    default:
        break;
    }
    pthread_mutex_lock(&p->mu);
    if (p->closing) {
        refused = ERR_UNAVAILABLE;
    } else if (job->kind == PIPELINE_SNAPSHOT && p->snapshot_running) {
        refused = ERR_CONFLICT;
    } else {
        p->jobs++;
        if (job->kind == PIPELINE_SNAPSHOT)
            p->snapshot_running = 1;
    }
    pthread_mutex_unlock(&p->mu);
    if (refused == ERR_CONFLICT) {
        error_set(&job->err, ERR_CONFLICT,
                  "another snapshot is being written; try again when it is done");
        return -1;
    }
    if (refused != 0) {
        error_set(&job->err, ERR_UNAVAILABLE, "the service is shutting down");
        return -1;
    }
    atomic_fetch_add(&job->refs, 1); /* the pipeline's */
    atomic_store(&job->pending, 1);  /* the analysis (or the delete's queueing) */
    if (job->kind == PIPELINE_DELETE) {
        /* nothing to analyse: straight to the writer */
        job->ops[0].kind = STORE_OP_DELETE;
        job->ops[0].article.id = job->id;
        job->id = NULL;
        job->nops = 1;
        job_submit_chunk(job, 0, 1, &job->err);
        atomic_store(&job->analysed, 1);
        job_pending_done(job);
        return 0;
    }
    if (workpool_submit(lane, run, job) != 0)
        run(job); /* no thread (stopping): here */
    return 0;
}

void pipeline_op_trim(struct store_op *op)
{
    struct article *a = &op->article;
    char *keep[] = {a->title,    a->body,         a->url,       a->source,      a->author,
                    a->language, a->published_at, a->tags_json, a->ingested_at, a->duplicate_of};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        free(keep[i]);
    a->title = a->body = a->url = a->source = a->author = a->language = a->published_at =
        a->tags_json = a->ingested_at = a->duplicate_of = NULL;
    a->body_len = 0;
    fingerprint_set_free(&op->fps);
    fingerprint_set_free(&op->index);
    dedupe_near_list_free(&op->near);
    story_vec_free(&op->story_sig);
    if (op->ents.release != NULL)
        op->ents.release(&op->ents);
}
