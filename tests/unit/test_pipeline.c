/* Unit tests for pipeline/: jobs of every kind driven against a real store
 * (no HTTP): one notify at the end, the ownership rule (either owner may let
 * go first; ASan sees a leak or a double free), _bulk chunks answered through
 * the progress callback in line order with refused lines reported by line,
 * duplicate checks that parse once and write nothing, one snapshot at a time,
 * and the stage list's timing. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/pipeline.h"
#include "pipeline/stages.h"
#include "store/store.h"

static char dir[64];
static char path[128];
static struct store *st;
static struct pipeline *pl;
static atomic_int stopping;

static void setup(void)
{
    struct error err = {0};
    struct store_options o = {.fingerprints = 1};
    struct pipeline_config cfg = {0};

    snprintf(dir, sizeof dir, "/tmp/articled-pipeline-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/p.db", dir);
    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    cfg.store = st;
    cfg.duplicates = 1;
    cfg.max_line = 1 << 20;
    cfg.threads = 2;
    cfg.stopping = &stopping;
    cfg.body_free = (void (*)(char *))free;
    pl = pipeline_new(&cfg, &err);
    cr_assert_not_null(pl, "%s", err.msg);
}

static void teardown(void)
{
    char cmd[128];
    pipeline_free(pl);
    store_close(st);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(pipeline, .init = setup, .fini = teardown, .timeout = 60);

/* Waits for a job's last notify. */
struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finals, news, progress;
};

static void waiter_notify(struct pipeline_job *job, void *arg)
{
    struct waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    if (atomic_load(&job->finished))
        w->finals++;
    else
        w->news++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void waiter_wait(struct waiter *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->finals == 0)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    /* the pipeline lets go after notify returns: drain before reading on */
    pipeline_drain(pl);
}

static struct pipeline_job *job_with_body(enum pipeline_kind kind, const char *text,
                                          struct waiter *w)
{
    struct pipeline_job *job = pipeline_job_new(kind);
    cr_assert_not_null(job);
    job->body = strdup(text);
    job->body_len = strlen(text);
    job->min_containment = 0.5;
    job->notify = waiter_notify;
    job->notify_arg = w;
    return job;
}

#define WAITER_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0}

Test(pipeline, single_create_answers_once_and_either_owner_may_go_first)
{
    struct waiter w = WAITER_INIT;
    struct pipeline_job *job = job_with_body(
        PIPELINE_CREATE, "{\"id\":\"a1\",\"title\":\"T\",\"body\":\"Alpha beta gamma delta.\"}",
        &w);

    cr_assert_eq(pipeline_submit(pl, job), 0);
    waiter_wait(&w);
    cr_expect_eq(w.finals, 1, "one last notify");
    cr_expect_eq(w.news, 0, "a single article has no news before its end");
    cr_expect_eq(job->err.code, ERR_NONE, "%s", job->err.msg);
    cr_assert_eq(job->nops, 1);
    cr_expect(!job->ops[0].failed && job->ops[0].created);
    cr_expect_gt(job->ops[0].change_seq, 0);
    cr_expect_null(job->body, "the body goes once it is parsed");
    pipeline_job_release(job); /* the last reference: frees it */

    /* the same id again: refused by the writer, and the submitter lets go
     * before the pipeline could (it drops its reference after notify) */
    w.finals = 0;
    job = job_with_body(PIPELINE_CREATE,
                        "{\"id\":\"a1\",\"title\":\"T\",\"body\":\"Alpha beta gamma delta.\"}", &w);
    cr_assert_eq(pipeline_submit(pl, job), 0);
    pthread_mutex_lock(&w.mu);
    while (w.finals == 0)
        pthread_cond_wait(&w.cv, &w.mu);
    cr_expect(job->ops[0].failed && job->ops[0].err.code == ERR_CONFLICT);
    pthread_mutex_unlock(&w.mu);
    pipeline_job_release(job);
    pipeline_drain(pl);
}

Test(pipeline, a_bad_article_fails_the_job_before_the_writer)
{
    struct waiter w = WAITER_INIT;
    struct pipeline_job *job = job_with_body(PIPELINE_CREATE, "{\"title\":\"no body\"}", &w);

    cr_assert_eq(pipeline_submit(pl, job), 0);
    waiter_wait(&w);
    cr_expect_eq(job->err.code, ERR_INVALID, "%s", job->err.msg);
    cr_expect_eq(job->nops, 0);
    cr_expect_eq(job->nchunks, 0, "nothing reached the writer");
    pipeline_job_release(job);
}

static void bulk_progress(struct pipeline_job *job, void *arg)
{
    struct waiter *w = arg;
    /* the submitter answers committed chunks here: trim and release them */
    size_t upto = 0;
    for (size_t c = 0; c < job->nchunks && atomic_load(&job->committed[c]); c++)
        upto = (size_t)(job->chunks[c].ops - job->ops) + job->chunks[c].nops;
    for (size_t i = job->released; i < upto; i++)
        pipeline_op_trim(&job->ops[i]);
    if (upto > job->released)
        job->released = upto;
    w->progress++;
}

Test(pipeline, bulk_in_chunks_lines_reported_in_order)
{
    struct waiter w = WAITER_INIT;
    size_t n = 450, cap = n * 160 + 64, len = 0;
    char *text = malloc(cap);
    struct pipeline_job *job;

    cr_assert_not_null(text);
    for (size_t i = 1; i <= n; i++) {
        if (i == 7) /* a refused line */
            len += (size_t)snprintf(text + len, cap - len, "{\"id\":\"b%zu\",\"title\":1}\n", i);
        else if (i == 8)
            len += (size_t)snprintf(text + len, cap - len, "\n"); /* blank: still counted */
        else
            len += (size_t)snprintf(text + len, cap - len,
                                    "{\"id\":\"b%zu\",\"title\":\"t\",\"body\":\"line %zu of the "
                                    "bulk with words %zu and %zu\"}\n",
                                    i, i, i * 7, i * 13);
    }
    job = pipeline_job_new(PIPELINE_BULK);
    job->body = text;
    job->body_len = len;
    job->min_containment = 0.5;
    job->notify = waiter_notify;
    job->progress = bulk_progress;
    job->notify_arg = &w;
    cr_assert_eq(pipeline_submit(pl, job), 0);
    waiter_wait(&w);
    cr_expect_eq(job->nops, n - 2);
    cr_expect_eq(job->nbad, 1);
    cr_expect_eq(job->bad[0].line, 7);
    cr_expect_str_eq(job->bad[0].id, "b7");
    cr_expect_eq(job->nchunks, 3, "200 + 200 + 48");
    for (size_t c = 0; c < job->nchunks; c++)
        cr_expect(atomic_load(&job->committed[c]));
    for (size_t i = 0; i < job->nops; i++) {
        cr_expect(!job->ops[i].failed, "op %zu: %s", i, job->ops[i].err.msg);
        if (i > 0)
            cr_expect_gt(job->op_line[i], job->op_line[i - 1]);
        if (i > 0 && !job->ops[i].failed && !job->ops[i - 1].failed)
            cr_expect_gt(job->ops[i].change_seq, job->ops[i - 1].change_seq,
                         "line order is commit order");
    }
    cr_expect_eq(job->op_line[7], 10, "after the refused and the blank line");
    cr_expect_geq(w.news, 1, "chunk commits are news");
    pipeline_job_release(job);
    cr_expect_eq(store_article_count(st), (int64_t)(n - 2));
}

Test(pipeline, check_finds_a_copy_and_writes_nothing)
{
    struct waiter w = WAITER_INIT;
    static const char body[] =
        "The harbour authority said on Monday that the container terminal would stay closed "
        "for a third day while engineers inspected the cranes damaged in the storm, and that "
        "ships waiting offshore would be sent to the northern quay once it reopened.";
    char text[1024];
    struct pipeline_job *job;

    snprintf(text, sizeof text, "{\"id\":\"orig\",\"title\":\"T\",\"body\":\"%s\"}", body);
    job = job_with_body(PIPELINE_CREATE, text, &w);
    cr_assert_eq(pipeline_submit(pl, job), 0);
    waiter_wait(&w);
    cr_assert(!job->ops[0].failed);
    pipeline_job_release(job);

    /* no id in the body: nothing is excluded, and the stored original is
     * an exact copy */
    w.finals = 0;
    snprintf(text, sizeof text, "{\"title\":\"Other\",\"body\":\"%s\"}", body);
    job = job_with_body(PIPELINE_CHECK, text, &w);
    cr_assert_eq(pipeline_submit(pl, job), 0);
    waiter_wait(&w);
    cr_expect_eq(job->err.code, ERR_NONE, "%s", job->err.msg);
    cr_expect(!job->id_given);
    cr_assert_eq(job->nexact, 1);
    cr_expect_str_eq(job->exact_ids[0], "orig");
    pipeline_job_release(job);

    /* its own id is not its own copy */
    w.finals = 0;
    snprintf(text, sizeof text, "{\"id\":\"orig\",\"title\":\"T\",\"body\":\"%s\"}", body);
    job = job_with_body(PIPELINE_CHECK, text, &w);
    cr_assert_eq(pipeline_submit(pl, job), 0);
    waiter_wait(&w);
    cr_expect(job->id_given);
    cr_expect_eq(job->nexact, 0);
    pipeline_job_release(job);
    cr_expect_eq(store_article_count(st), 1, "a check writes nothing");
}

/* A second snapshot submitted while one runs is refused (409); one that
 * comes after it has finished runs. */
Test(pipeline, one_snapshot_at_a_time)
{
    struct waiter w1 = WAITER_INIT, w2 = WAITER_INIT;
    struct pipeline_job *a = pipeline_job_new(PIPELINE_SNAPSHOT);
    struct pipeline_job *b = pipeline_job_new(PIPELINE_SNAPSHOT);
    struct stat sb;
    int ra, rb;

    cr_assert(a && b);
    cr_assert_geq(asprintf(&a->snapshot_path, "%s/snap-a.db", dir), 0);
    cr_assert_geq(asprintf(&b->snapshot_path, "%s/snap-b.db", dir), 0);
    a->notify = b->notify = waiter_notify;
    a->notify_arg = &w1;
    b->notify_arg = &w2;
    ra = pipeline_submit(pl, a);
    rb = pipeline_submit(pl, b);
    cr_assert_eq(ra, 0);
    if (rb != 0) { /* refused while a runs */
        cr_expect_eq(b->err.code, ERR_CONFLICT);
    } else { /* a had already finished: b ran after it */
        waiter_wait(&w2);
        cr_expect_eq(b->err.code, ERR_NONE, "%s", b->err.msg);
    }
    waiter_wait(&w1);
    cr_expect_eq(a->err.code, ERR_NONE, "%s", a->err.msg);
    cr_expect_eq(stat(a->snapshot_path, &sb), 0);
    pipeline_job_release(a);
    pipeline_job_release(b);
}

Test(pipeline, every_stage_is_timed)
{
    struct waiter w = WAITER_INIT;
    struct pipeline_stage_time before[PIPELINE_TIMED_MAX], after[PIPELINE_TIMED_MAX];
    size_t n = pipeline_stage_times(before, PIPELINE_TIMED_MAX);
    struct pipeline_job *job =
        job_with_body(PIPELINE_PUT, "{\"title\":\"T\",\"body\":\"Timed words here.\"}", &w);

    cr_assert_eq(n, pipeline_nstages + 1, "parse, then each stage");
    cr_expect_str_eq(before[0].name, "parse");
    job->id = strdup("timed");
    cr_assert_eq(pipeline_submit(pl, job), 0);
    waiter_wait(&w);
    cr_expect_eq(job->err.code, ERR_NONE, "%s", job->err.msg);
    pipeline_job_release(job);
    cr_assert_eq(pipeline_stage_times(after, PIPELINE_TIMED_MAX), n);
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(after[i].count, before[i].count + 1, "stage %s", after[i].name);
}
