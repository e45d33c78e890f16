/* tool_util.c: see tool_util.h. */
#include "tools/tool_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/pipeline.h"

char *tool_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)n, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

size_t tool_lines_end(const char *text, size_t len, size_t lines)
{
    size_t e = 0;
    for (size_t n = 0; e < len && n < lines; n++) {
        while (e < len && text[e] != '\n')
            e++;
        if (e < len)
            e++;
    }
    return e;
}

struct tool_waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
};

static void tool_waiter_notify(struct pipeline_job *job, void *arg)
{
    struct tool_waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    if (atomic_load(&job->finished))
        w->done = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

struct pipeline_job *tool_bulk_run(struct pipeline *pl, const char *text, size_t len,
                                   const char *who)
{
    struct tool_waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    struct pipeline_job *job = pipeline_job_new(PIPELINE_BULK);

    if (job == NULL || (job->body = malloc(len + 1)) == NULL) {
        fprintf(stderr, "%s: out of memory\n", who);
        pipeline_job_release(job);
        return NULL;
    }
    memcpy(job->body, text, len);
    job->body[len] = '\0';
    job->body_len = len;
    job->min_containment = 0.5;
    job->notify = tool_waiter_notify;
    job->notify_arg = &w;
    if (pipeline_submit(pl, job) != 0) {
        fprintf(stderr, "%s: refused: %s\n", who, job->err.msg);
        pipeline_job_release(job);
        return NULL;
    }
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    pipeline_drain(pl); /* the pipeline lets go after its last notify */
    return job;
}
