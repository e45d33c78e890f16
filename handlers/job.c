/* job.c: a request answered by a pipeline job (see handlers.h). */
#include "handlers/handlers.h"
#include "server/reply.h"

/* The job's news, on a pipeline or writer thread: only its end wakes the
 * request (single answers). */
static void job_resume(struct pipeline_job *job, void *arg)
{
    if (atomic_load(&job->finished))
        http_request_resume(arg);
}

int handlers_job_run(struct app *app, struct http_request *req, struct pipeline_job *job,
                     http_continue_fn render)
{
    job->notify = job_resume;
    job->notify_arg = req;
    /* suspended before the pipeline can resume it; the request holds a
     * reference to the job until it ends */
    http_request_suspend(req, render, job, pipeline_job_release);
    if (pipeline_submit(app->pipeline, job) != 0)
        http_request_resume(req); /* refused at once: render reports job->err */
    return HANDLER_SUSPEND;
}

struct pipeline_job *handlers_job_new(struct http_request *req, enum pipeline_kind kind,
                                      struct http_response *res)
{
    struct pipeline_job *job = pipeline_job_new(kind);

    if (job == NULL) {
        reply_fail(res, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    job->body_len = req->body_len;
    job->body = http_request_take_body(req);
    job->body_free = http_body_free;
    return job;
}
