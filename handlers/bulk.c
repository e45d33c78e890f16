/* bulk.c: POST /v1/articles/_bulk, NDJSON with one article a line. Every line
 * is parsed and analysed on its own; the good ones go to the store in chunks
 * (create-or-replace by id), each chunk queued as soon as it is analysed so the
 * writer commits one while the next is analysed; the bad ones are reported by
 * line and never stop the others. The answer is streamed (chunked) as chunks
 * commit, in line order, every item saying what happened to its own line; the
 * totals come last. */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/article_json.h"
#include "handlers/handlers.h"
#include "handlers/ingest.h"
#include "handlers/ndjson.h"
#include "handlers/near.h"
#include "handlers/reply.h"
#include "server/workpool.h"

struct bulk_bad {
    size_t line;
    char *id;
    struct error err;
};

/* Lines analysed before a chunk goes to the writer. */
#define BULK_CHUNK 200

/* Parsed body given back to the system in steps of this many bytes: every
 * line is copied into its op, and a 10,000-line body is about 13 MB. */
#define BULK_BODY_RELEASE (1u << 20)

/* An answer buffer larger than this is given back once it has been sent. */
#define BULK_OUT_KEEP (1u << 20)

/* A growing output buffer; a failed append marks it broken. */
struct bulk_out {
    char *buf;
    size_t len, cap;
    int broken;
};

/* A request's state has two owners, the HTTP request (its client may go
 * away mid-answer) and the pipeline (analysis and chunks still to commit);
 * the last one to let go frees it. */
struct bulk_state {
    struct store_batch *chunks;
    atomic_int *committed; /* per chunk: 1 once its transaction ended */
    size_t nchunks;
    atomic_int pending; /* chunks queued and not committed, +1 while submitting */
    atomic_int refs;
    char *body; /* the request's body, ours (http_request_take_body) */
    size_t body_len;
    /* Under mu: the answer, written in line order as chunks commit (see
     * bulk_render) by the analysis thread while it runs, then by the stream;
     * the stream sends out.buf[sent, len) and parks when that is empty. */
    pthread_mutex_t mu;
    struct bulk_out out;
    size_t sent;
    int analysed;   /* the analysis thread is done with ops */
    int finished;   /* every chunk committed (or was refused) */
    int tail;       /* the totals are written: the answer ends at out.len */
    int parked;     /* the stream waits for http_request_resume */
    int gone;       /* the request has ended: req must not be touched */
    size_t ri, rj;  /* next op, next refused line to write */
    size_t rchunks; /* chunks written */
    size_t written, failed;
    struct store_op *ops;
    size_t *op_line;
    size_t nops;
    struct bulk_bad *bad;
    size_t nbad;
    struct http_request *req;
    struct app *app;
    double min_containment;
};

static void bulk_state_unref(struct bulk_state *bs)
{
    if (bs == NULL || atomic_fetch_sub(&bs->refs, 1) != 1)
        return;
    for (size_t i = 0; i < bs->nops; i++)
        ingest_op_clear(&bs->ops[i]);
    for (size_t i = 0; i < bs->nbad; i++)
        free(bs->bad[i].id);
    free(bs->ops);
    free(bs->op_line);
    free(bs->bad);
    free(bs->chunks);
    free(bs->committed);
    free(bs->out.buf);
    http_body_free(bs->body);
    pthread_mutex_destroy(&bs->mu);
    free(bs);
    /* a large request's analysis is many small blocks: hand the freed pages
     * back to the system, or the process keeps its peak size for good */
    malloc_trim(0);
}

/* The request's side lets go (its end, http.c). */
static void bulk_request_gone(void *p)
{
    struct bulk_state *bs = p;
    pthread_mutex_lock(&bs->mu);
    bs->gone = 1;
    pthread_mutex_unlock(&bs->mu);
    bulk_state_unref(bs);
}

/* The next chunk whose items are to be written has committed. */
static int bulk_next_committed(const struct bulk_state *bs)
{
    return bs->rchunks < bs->nchunks && atomic_load(&bs->committed[bs->rchunks]);
}

/* Under mu: wakes the parked stream when it has something to do. */
static void bulk_wake(struct bulk_state *bs)
{
    if (bs->parked && !bs->gone &&
        (bs->out.len > bs->sent || bs->finished || (bs->analysed && bulk_next_committed(bs)))) {
        bs->parked = 0;
        http_request_resume(bs->req);
    }
}

/* The last of the chunks (or the submitter, if it finishes last) ends the
 * pipeline: the stream may write the totals. */
static void bulk_release(struct bulk_state *bs)
{
    if (atomic_fetch_sub(&bs->pending, 1) != 1)
        return;
    pthread_mutex_lock(&bs->mu);
    bs->finished = 1;
    bulk_wake(bs);
    pthread_mutex_unlock(&bs->mu);
    bulk_state_unref(bs);
}

/* On the writer's thread: the chunk's items may be written. Once the
 * analysis is over, the stream writes them (woken here). */
static void bulk_done(struct store_batch *batch, void *arg)
{
    struct bulk_state *bs = arg;
    atomic_store(&bs->committed[batch - bs->chunks], 1);
    pthread_mutex_lock(&bs->mu);
    bulk_wake(bs);
    pthread_mutex_unlock(&bs->mu);
    bulk_release(bs);
}

/* Queues ops[from, to) as one chunk; a chunk the store refuses (shutting
 * down) fails its ops with the store's error. */
static void bulk_submit(struct app *app, struct bulk_state *bs, size_t from, size_t to)
{
    struct store_batch *b;
    struct error err = {0};

    if (to == from)
        return;
    b = &bs->chunks[bs->nchunks++];
    b->ops = bs->ops + from;
    b->nops = to - from;
    b->done = bulk_done;
    b->arg = bs;
    atomic_fetch_add(&bs->pending, 1);
    if (store_submit(app->store, b, &err) != 0) {
        atomic_fetch_sub(&bs->pending, 1);
        for (size_t i = from; i < to; i++) {
            bs->ops[i].failed = 1;
            bs->ops[i].err = err;
        }
        atomic_store(&bs->committed[b - bs->chunks], 1); /* ended: nothing written */
    }
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
    while (bs->ri < to) {
        struct store_op *op = &bs->ops[bs->ri];
        json_t *item;
        if (bs->rj < bs->nbad && bs->bad[bs->rj].line < bs->op_line[bs->ri]) {
            struct bulk_bad *b = &bs->bad[bs->rj];
            item = bulk_item_error(b->line, b->id, &b->err);
            bulk_put_item(bs, item);
            bs->rj++;
            continue;
        }
        if (op->failed) {
            item = bulk_item_error(bs->op_line[bs->ri], op->article.id, &op->err);
            bs->failed++;
        } else {
            item = ingest_render(op, bs->min_containment);
            if (item != NULL) {
                json_object_set_new(item, "line", json_integer((json_int_t)bs->op_line[bs->ri]));
                json_object_set_new(item, "status", json_integer(op->created ? 201 : 200));
                json_object_set_new(item, "error", json_null());
            }
            bs->written++;
        }
        bulk_put_item(bs, item);
        ingest_op_trim(op);
        bs->ri++;
    }
}

/* Writes the items of every chunk whose transaction has ended, in order. A
 * large request thus holds its answer as text, not as ops and JSON trees
 * (those were most of the memory it took). */
static void bulk_render(struct bulk_state *bs)
{
    while (bulk_next_committed(bs)) {
        const struct store_batch *c = &bs->chunks[bs->rchunks];
        bulk_render_ops(bs, (size_t)(c->ops - bs->ops) + c->nops);
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
    bulk_render_ops(bs, bs->nops); /* ops of refused chunks are failed already */
    while (bs->rj < bs->nbad) {
        struct bulk_bad *b = &bs->bad[bs->rj];
        bulk_put_item(bs, bulk_item_error(b->line, b->id, &b->err));
        bs->rj++;
    }
    if (bs->ri + bs->rj == 0)
        bulk_put(&bs->out, "{\"items\":[", 10);
    failed = bs->failed + bs->nbad;
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
    if (bs->analysed && !bs->tail)
        bulk_render(bs);
    if (bs->finished && !bs->tail)
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

/* On a pool thread: every line parsed and analysed in order, chunks queued
 * as they fill, committed chunks written out as it goes; the last chunk to
 * commit (or this, if later) resumes the request. */
static void bulk_analyse(void *arg)
{
    struct bulk_state *bs = arg;
    struct app *app = bs->app;
    struct ndjson_iter it;
    struct dedupe_batch *batch;
    const char *p;
    size_t line, len, chunk_start = 0, released = 0;

    batch = dedupe_batch_new();
    ndjson_init(&it, bs->body, bs->body_len);
    while (ndjson_next(&it, &p, &len, &line)) {
        struct store_op *op = &bs->ops[bs->nops];
        struct error err = {0};
        /* the ops answered so far committed before this line's look-up
         * begins: the store finds them, the request's own index the rest */
        size_t visible = bs->ri;
        if (atomic_load(&app->stopping)) {
            /* shutting down: what is analysed is written, the rest is refused
             * (each line says so), so a large request cannot hold up the exit */
            error_set(&err, ERR_UNAVAILABLE, "the service is shutting down; send this line again");
        } else if (len > app->cfg.max_body) {
            error_set(&err, ERR_TOO_LARGE, "the line is larger than the limit of %zu bytes",
                      app->cfg.max_body);
        } else if (article_json_parse(p, len, NULL, &op->article, &err) == 0 &&
                   ingest_prepare(app, op, bs->min_containment, &err) == 0) {
            /* A client's id means create-or-replace, so re-sent feeds are idempotent. */
            op->kind = STORE_OP_PUT;
            near_batch_add(batch, bs->ops, bs->nops, visible, bs->min_containment);
            bs->op_line[bs->nops++] = line;
            if (bs->nops - chunk_start == BULK_CHUNK) {
                bulk_submit(app, bs, chunk_start, bs->nops);
                chunk_start = bs->nops;
            }
            if (bulk_next_committed(bs)) {
                pthread_mutex_lock(&bs->mu);
                bulk_render(bs);
                bulk_wake(bs);
                pthread_mutex_unlock(&bs->mu);
            }
        }
        if ((size_t)(p + len - bs->body) - released >= BULK_BODY_RELEASE) {
            released = (size_t)(p + len - bs->body);
            http_body_consumed(bs->body, bs->body_len, released);
        }
        if (err.code != ERR_NONE) {
            struct bulk_bad *b = &bs->bad[bs->nbad++];
            b->line = line;
            b->id = op->article.id;
            op->article.id = NULL;
            b->err = err;
            ingest_op_clear(op);
            memset(op, 0, sizeof *op);
        }
    }
    dedupe_batch_free(batch);
    bulk_submit(app, bs, chunk_start, bs->nops);
    /* from now on the stream writes the items as their chunks commit */
    pthread_mutex_lock(&bs->mu);
    bs->analysed = 1;
    bulk_wake(bs);
    pthread_mutex_unlock(&bs->mu);
    bulk_release(bs);
}

int handle_bulk(struct app *app, struct http_request *req, struct http_response *res)
{
    size_t nlines;
    struct bulk_state *bs;
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
        reply_problem(res, 413, NULL, detail);
        return HANDLER_DONE;
    }
    if (nlines == 0) {
        reply_problem(res, 400, NULL,
                      "the request holds no articles (NDJSON: one JSON object a line)");
        return HANDLER_DONE;
    }
    bs = calloc(1, sizeof *bs);
    if (bs == NULL)
        goto oom;
    atomic_store(&bs->refs, 1); /* the request's, until the pipeline starts */
    pthread_mutex_init(&bs->mu, NULL);
    if ((bs->ops = calloc(nlines, sizeof *bs->ops)) == NULL ||
        (bs->op_line = calloc(nlines, sizeof *bs->op_line)) == NULL ||
        (bs->bad = calloc(nlines, sizeof *bs->bad)) == NULL ||
        (bs->chunks = calloc(nlines / BULK_CHUNK + 2, sizeof *bs->chunks)) == NULL ||
        (bs->committed = calloc(nlines / BULK_CHUNK + 2, sizeof *bs->committed)) == NULL)
        goto oom;
    bs->min_containment = min_containment;
    bs->req = req;
    bs->app = app;
    bs->body_len = req->body_len;
    bs->body = http_request_take_body(req);
    http_request_keep(req, bs, bulk_request_gone);
    /* the pipeline's reference, and +1 in pending until every chunk is
     * queued: chunks may commit while later lines are still being analysed */
    atomic_store(&bs->refs, 2);
    atomic_store(&bs->pending, 1);
    if (workpool_submit(app->bulk_pool, bulk_analyse, bs) != 0)
        bulk_analyse(bs); /* no pool (stopping): here */
    res->status = 200;
    res->content_type = "application/json";
    res->stream = bulk_stream;
    return HANDLER_DONE;
oom:
    bulk_state_unref(bs);
    reply_problem(res, 500, NULL, "out of memory");
    return HANDLER_DONE;
}
