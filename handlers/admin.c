/* admin.c: POST /v1/admin/snapshot: a consistent copy of the database into
 * --snapshot-dir (default: the database's folder). The copy runs on a thread
 * of its own while the connection waits suspended, so no HTTP thread is held
 * up; one snapshot runs at a time. */
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers/handlers.h"
#include "server/log.h"
#include "server/reply.h"

#define ADMIN_NAME_MAX 64

static pthread_mutex_t admin_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t admin_cv = PTHREAD_COND_INITIALIZER;
static int admin_running; /* a snapshot is being written (guarded by admin_mu) */
static int admin_pending; /* jobs whose request is not resumed yet (guarded by admin_mu) */

struct admin_job {
    struct app *app;
    struct http_request *req;
    char *path;
    int automatic; /* the default name (--snapshot-keep counts it) */
    struct store_snapshot_info info;
    struct error err;
    int rc;
};

static void admin_job_free(void *state)
{
    struct admin_job *job = state;
    if (job == NULL)
        return;
    free(job->path);
    free(job);
}

static int admin_cancelled(void *arg)
{
    struct app *app = arg;
    return atomic_load(&app->stopping);
}

/* 1 when name is [A-Za-z0-9._-]{1,64} and does not start with a dot (no
 * hidden files, no "." or ".."): a plain file name, never a path. */
static int admin_name_valid(const char *name)
{
    size_t n = 0;
    if (name[0] == '.')
        return 0;
    for (const char *p = name; *p != '\0'; p++, n++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return n >= 1 && n <= ADMIN_NAME_MAX;
}

/* Automatic snapshots' names start so (--snapshot-keep prunes them). */
#define ADMIN_AUTO_PREFIX "articled-"

/* articled-<UTC time to the millisecond>.db: names sort by age */
static void admin_default_name(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, size, ADMIN_AUTO_PREFIX "%04d%02d%02dT%02d%02d%02d.%03dZ.db", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ts.tv_nsec / 1000000));
}

/* The continuation, on an HTTP thread once the copy is done. */
static int admin_snapshot_done(struct app *app, struct http_request *req, struct http_response *res)
{
    struct admin_job *job = req->state;
    json_t *f;
    (void)app;

    if (job->rc != 0) {
        if (job->err.code == ERR_CONFLICT)
            error_set_field(&job->err, ERR_CONFLICT, "name",
                            "'%s' exists in the snapshot folder; snapshots are never overwritten",
                            strrchr(job->path, '/') + 1);
        reply_error(res, &job->err);
        return HANDLER_DONE;
    }
    /* the file's name only: the server's folders are no client's business */
    f = json_pack("{s:s,s:I,s:I,s:I}", "name", strrchr(job->path, '/') + 1, "bytes",
                  (json_int_t)job->info.bytes, "articles", (json_int_t)job->info.articles,
                  "took_ms", (json_int_t)job->info.took_ms);
    log_event(LOG_INFO, "snapshot written", f);
    reply_json(res, 201, f);
    return HANDLER_DONE;
}

/* Writes the snapshot and wakes the request. The next snapshot may start
 * before the answer goes out (a client that asks again at once must not get
 * a 409); the drain waits for the resume. After the resume the request may end
 * and free job at any time, so job is not touched again. */
static void admin_job_run(struct admin_job *job)
{
    job->rc = store_snapshot(job->app->store, job->path, &job->info, &job->err);
    if (job->rc == 0 && job->automatic && job->app->cfg.snapshot_keep > 0) {
        char *dir = strdup(job->path);
        if (dir != NULL)
            store_snapshot_prune(dirname(dir), ADMIN_AUTO_PREFIX, job->app->cfg.snapshot_keep);
        free(dir);
    }
    pthread_mutex_lock(&admin_mu);
    admin_running = 0;
    pthread_mutex_unlock(&admin_mu);
    http_request_resume(job->req);
    pthread_mutex_lock(&admin_mu);
    admin_pending--;
    pthread_cond_broadcast(&admin_cv);
    pthread_mutex_unlock(&admin_mu);
}

static void *admin_thread(void *arg)
{
    admin_job_run(arg);
    return NULL;
}

int handle_admin_snapshot(struct app *app, struct http_request *req, struct http_response *res)
{
    const char *name = http_request_arg(req, "name", NULL);
    char defname[64], *dbcopy = NULL;
    const char *dir = app->cfg.snapshot_dir;
    struct admin_job *job;
    pthread_attr_t attr;
    pthread_t t;
    int started;

    if (name == NULL || *name == '\0') {
        admin_default_name(defname, sizeof defname);
        name = defname;
    } else if (!admin_name_valid(name)) {
        json_t *errors = json_pack("[{s:s,s:s}]", "field", "name", "message",
                                   "'name' must match [A-Za-z0-9._-]{1,64} and not start with '.'");
        reply_fail_errors(res, ERR_INVALID,
                          "'name' must match [A-Za-z0-9._-]{1,64} and not start with '.'", errors);
        return HANDLER_DONE;
    }
    if (dir[0] == '\0') {
        dbcopy = strdup(app->cfg.db);
        dir = dbcopy ? dirname(dbcopy) : NULL;
    }
    job = calloc(1, sizeof *job);
    if (job == NULL || dir == NULL || asprintf(&job->path, "%s/%s", dir, name) < 0) {
        if (job != NULL)
            job->path = NULL;
        admin_job_free(job);
        free(dbcopy);
        reply_fail(res, ERR_INTERNAL, "out of memory");
        return HANDLER_DONE;
    }
    free(dbcopy);
    job->app = app;
    job->req = req;
    job->info.cancelled = admin_cancelled;
    job->info.cancel_arg = app;
    job->info.min_free = app->cfg.snapshot_min_free;
    job->automatic = name == defname;

    pthread_mutex_lock(&admin_mu);
    started = admin_running;
    if (!started) {
        admin_running = 1;
        admin_pending++;
    }
    pthread_mutex_unlock(&admin_mu);
    if (started) {
        admin_job_free(job);
        reply_fail(res, ERR_CONFLICT,
                   "another snapshot is being written; try again when it is done");
        return HANDLER_DONE;
    }

    /* suspend before the thread can resume */
    http_request_suspend(req, admin_snapshot_done, job, admin_job_free);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, admin_thread, job) != 0)
        admin_job_run(job); /* no thread to spare: copy on this one */
    pthread_attr_destroy(&attr);
    return HANDLER_SUSPEND;
}

void admin_snapshot_drain(void)
{
    pthread_mutex_lock(&admin_mu);
    while (admin_pending > 0)
        pthread_cond_wait(&admin_cv, &admin_mu);
    pthread_mutex_unlock(&admin_mu);
}
