/* bulk.c: POST /v1/articles/_bulk, NDJSON with one article a line. The
 * pipeline (pipeline.h) parses and analyses every line on its own and queues
 * the good ones in chunks (create-or-replace by id) while it analyses the
 * next; the bad ones are reported by line and never stop the others. The
 * answer is streamed (chunked) as chunks commit, in line order, every item
 * saying what happened to its own line; the totals come last. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/article_json.h"
#include "handlers/handlers.h"
#include "handlers/ingest.h"
#include "pipeline/ndjson.h"
#include "server/reply.h"

/* An answer buffer larger than this is given back once it has been sent. */
#define BULK_OUT_KEEP (1u << 20)

/* A growing output buffer; a failed append marks it broken. */
struct bulk_out {
    char *buf;
    size_t len, cap;
    int broken;
};

/* The answer's state: owned by the job (freed with it, job->state_free),
 * which the request and the pipeline both hold. */
struct bulk_state {
    struct pipeline_job *job;
    /* Under mu: the answer, written in line order as chunks commit (see
     * bulk_render) by the bulk thread while it analyses (the job's progress
     * callback), then by the stream; the stream sends out.buf[sent, len)
     * and parks when that is empty. */
    pthread_mutex_t mu;
    struct bulk_out out;
    size_t sent;
    int tail;       /* the totals are written: the answer ends at out.len */
    int parked;     /* the stream waits for http_request_resume */
    int gone;       /* the request has ended: req must not be touched */
    size_t ri, rj;  /* next op, next refused line to write */
    size_t rchunks; /* chunks written */
    size_t written, failed;
    struct http_request *req;
    struct app *app;
};

static void bulk_state_free(void *p)
{
    struct bulk_state *bs = p;
    free(bs->out.buf);
    pthread_mutex_destroy(&bs->mu);
    free(bs);
}

/* The request's side lets go (its end, http.c). */
static void bulk_request_gone(void *p)
{
    struct bulk_state *bs = p;
    struct pipeline_job *job = bs->job;
    pthread_mutex_lock(&bs->mu);
    bs->gone = 1;
    pthread_mutex_unlock(&bs->mu);
    pipeline_job_release(job); /* may free bs */
}

/* The next chunk whose items are to be written has committed. */
static int bulk_next_committed(const struct bulk_state *bs)
{
    const struct pipeline_job *job = bs->job;
    return bs->rchunks < job->nchunks && atomic_load(&job->committed[bs->rchunks]);
}

/* Under mu: wakes the parked stream when it has something to do. */
static void bulk_wake(struct bulk_state *bs)
{
    struct pipeline_job *job = bs->job;
    if (bs->parked && !bs->gone &&
        (bs->out.len > bs->sent || atomic_load(&job->finished) ||
         (atomic_load(&job->analysed) && bulk_next_committed(bs)))) {
        bs->parked = 0;
        http_request_resume(bs->req);
    }
}

/* The job's news (a chunk committed, the analysis or the job ended). */
static void bulk_notify(struct pipeline_job *job, void *arg)
{
    struct bulk_state *bs = arg;
    (void)job;
    pthread_mutex_lock(&bs->mu);
    bulk_wake(bs);
    pthread_mutex_unlock(&bs->mu);
}

static json_t *bulk_item_error(size_t line, const char *id, const struct error *err)
{
    json_t *item = json_pack("{s:I,s:o,s:i,s:s}", "line", (json_int_t)line, "id",
                             id ? json_string(id) : json_null(), "status",
                             (int)reply_status(err->code), "error", err->msg);
    if (item != NULL && err->field[0] != '\0')
        json_object_set_new(item, "field", json_string(err->field));
    return item;
}

static void bulk_put(struct bulk_out *o, const char *s, size_t n)
{
    if (o->broken)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 65536;
        char *bigger;
        while (cap < o->len + n + 1)
            cap *= 2;
        bigger = realloc(o->buf, cap);
        if (bigger == NULL) {
            o->broken = 1;
            return;
        }
        o->buf = bigger;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* Appends item (taken) to the answer's items as compact JSON. */
static void bulk_put_item(struct bulk_state *bs, json_t *item)
{
    char *s = item ? json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(item);
    if (s == NULL) {
        bs->out.broken = 1;
        return;
    }
    bulk_put(&bs->out, bs->ri + bs->rj == 0 ? "{\"items\":[" : ",", bs->ri + bs->rj == 0 ? 10 : 1);
    bulk_put(&bs->out, s, strlen(s));
    free(s);
}

/* Writes the items of ops [bs->ri, to) and of the refused lines before each,
 * in line order, and trims each op to what later lines may still need. */
static void bulk_render_ops(struct bulk_state *bs, size_t to)
{
    struct pipeline_job *job = bs->job;
    while (bs->ri < to) {
        struct store_op *op = &job->ops[bs->ri];
        json_t *item;
        if (bs->rj < job->nbad && job->bad[bs->rj].line < job->op_line[bs->ri]) {
            struct pipeline_bad *b = &job->bad[bs->rj];
            item = bulk_item_error(b->line, b->id, &b->err);
            bulk_put_item(bs, item);
            bs->rj++;
            continue;
        }
        if (op->failed) {
            item = bulk_item_error(job->op_line[bs->ri], op->article.id, &op->err);
            bs->failed++;
        } else {
            item = ingest_render(op, job->min_containment);
            if (item != NULL) {
                json_object_set_new(item, "line", json_integer((json_int_t)job->op_line[bs->ri]));
                json_object_set_new(item, "status", json_integer(op->created ? 201 : 200));
                json_object_set_new(item, "error", json_null());
            }
            bs->written++;
        }
        bulk_put_item(bs, item);
        pipeline_op_trim(op);
        bs->ri++;
        job->released = bs->ri; /* the analysis no longer reads it */
    }
}

/* Writes the items of every chunk whose transaction has ended, in order. A
 * large request thus holds its answer as text, not as ops and JSON trees
 * (those were most of the memory it took). */
static void bulk_render(struct bulk_state *bs)
{
    while (bulk_next_committed(bs)) {
        const struct store_batch *c = &bs->job->chunks[bs->rchunks];
        bulk_render_ops(bs, (size_t)(c->ops - bs->job->ops) + c->nops);
        bs->rchunks++;
    }
}

/* Under mu, once every chunk has ended: the items not written yet and the
 * totals. */
static void bulk_write_tail(struct bulk_state *bs)
{
    char tail[160];
    size_t failed;

    bulk_render(bs);
    bulk_render_ops(bs, bs->job->nops); /* ops of refused chunks are failed already */
    while (bs->rj < bs->job->nbad) {
        struct pipeline_bad *b = &bs->job->bad[bs->rj];
        bulk_put_item(bs, bulk_item_error(b->line, b->id, &b->err));
        bs->rj++;
    }
    if (bs->ri + bs->rj == 0)
        bulk_put(&bs->out, "{\"items\":[", 10);
    failed = bs->failed + bs->job->nbad;
    snprintf(tail, sizeof tail, "],\"errors\":%s,\"written\":%zu,\"failed\":%zu}",
             failed > 0 ? "true" : "false", bs->written, failed);
    bulk_put(&bs->out, tail, strlen(tail));
    metrics_ingested(bs->app->metrics, bs->written, failed);
    bs->tail = 1;
}

/* The answer's stream (http.h), on an HTTP thread: what is written so far,
 * then parked until more is. A client that reads slowly leaves the text in
 * out; one that keeps up holds it to a few blocks. */
static long bulk_stream(struct http_request *req, char *buf, size_t max)
{
    struct bulk_state *bs = req->state;
    long n;

    pthread_mutex_lock(&bs->mu);
    if (atomic_load(&bs->job->analysed) && !bs->tail)
        bulk_render(bs);
    if (atomic_load(&bs->job->finished) && !bs->tail)
        bulk_write_tail(bs);
    if (bs->out.broken) {
        n = HTTP_STREAM_ERROR; /* out of memory: the answer cannot be whole */
    } else if (bs->out.len > bs->sent) {
        size_t k = bs->out.len - bs->sent;
        if (k > max)
            k = max;
        memcpy(buf, bs->out.buf + bs->sent, k);
        bs->sent += k;
        if (bs->sent == bs->out.len) {
            bs->sent = bs->out.len = 0;
            if (bs->out.cap > BULK_OUT_KEEP) { /* a slow client's backlog */
                free(bs->out.buf);
                bs->out.buf = NULL;
                bs->out.cap = 0;
            }
        }
        n = (long)k;
    } else if (bs->tail) {
        n = HTTP_STREAM_END;
    } else {
        bs->parked = 1;
        http_stream_park(req);
        n = 0;
    }
    pthread_mutex_unlock(&bs->mu);
    return n;
}

/* On the bulk thread while it analyses: answers the chunks committed so far,
 * so a large request holds its answer as text, not as ops. */
static void bulk_progress(struct pipeline_job *job, void *arg)
{
    struct bulk_state *bs = arg;
    (void)job;
    pthread_mutex_lock(&bs->mu);
    bulk_render(bs);
    bulk_wake(bs);
    pthread_mutex_unlock(&bs->mu);
}

int handle_bulk(struct app *app, struct http_request *req, struct http_response *res)
{
    size_t nlines;
    struct bulk_state *bs;
    struct pipeline_job *job;
    double min_containment;

    if (params_content_type(req, "application/x-ndjson", res) != 0 ||
        ingest_min_containment(req, &min_containment, res) != 0)
        return HANDLER_DONE;
    /* Count the lines first, to refuse an oversized request whole. */
    nlines = ndjson_count(req->body, req->body_len);
    if (nlines > app->cfg.max_bulk_lines) {
        char detail[128];
        snprintf(detail, sizeof detail, "a _bulk request holds at most %u articles, this one %zu",
                 app->cfg.max_bulk_lines, nlines);
        reply_fail(res, ERR_TOO_LARGE, detail);
        return HANDLER_DONE;
    }
    if (nlines == 0) {
        reply_fail(res, ERR_INVALID,
                   "the request holds no articles (NDJSON: one JSON object a line)");
        return HANDLER_DONE;
    }
    bs = calloc(1, sizeof *bs);
    job = bs ? handlers_job_new(req, PIPELINE_BULK, res) : NULL;
    if (job == NULL) {
        free(bs);
        if (res->status == 0)
            reply_fail(res, ERR_INTERNAL, "out of memory");
        return HANDLER_DONE;
    }
    pthread_mutex_init(&bs->mu, NULL);
    bs->job = job;
    bs->req = req;
    bs->app = app;
    job->min_containment = min_containment;
    job->notify = bulk_notify;
    job->progress = bulk_progress;
    job->notify_arg = bs;
    job->state_free = bulk_state_free; /* bs lives as long as the job */
    if (pipeline_submit(app->pipeline, job) != 0) {
        reply_error(res, &job->err);
        pipeline_job_release(job);
        return HANDLER_DONE;
    }
    /* the request's reference to the job, let go when it ends */
    http_request_keep(req, bs, bulk_request_gone);
    res->status = 200;
    res->content_type = "application/json";
    res->stream = bulk_stream;
    return HANDLER_DONE;
}
