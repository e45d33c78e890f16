/* admin.c: POST /v1/admin/snapshot: a consistent copy of the database into
 * --snapshot-dir (default: the database's folder), written by a pipeline job
 * on the maintenance thread while the connection waits suspended; one
 * snapshot runs at a time (409 otherwise). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers/handlers.h"
#include "server/log.h"
#include "server/reply.h"

#define ADMIN_NAME_MAX 64

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
    struct pipeline_job *job = req->state;
    const char *name = strrchr(job->snapshot_path, '/') + 1;
    json_t *f;
    (void)app;

    if (job->err.code != ERR_NONE) {
        if (job->err.code == ERR_CONFLICT && atomic_load(&job->finished))
            error_set_field(&job->err, ERR_CONFLICT, "name",
                            "'%s' exists in the snapshot folder; snapshots are never overwritten",
                            name);
        reply_error(res, &job->err);
        return HANDLER_DONE;
    }
    /* the file's name only: the server's folders are no client's business */
    f = json_pack("{s:s,s:I,s:I,s:I}", "name", name, "bytes", (json_int_t)job->snapshot.bytes,
                  "articles", (json_int_t)job->snapshot.articles, "took_ms",
                  (json_int_t)job->snapshot.took_ms);
    log_event(LOG_INFO, "snapshot written", f);
    reply_json(res, 201, f);
    return HANDLER_DONE;
}

int handle_admin_snapshot(struct app *app, struct http_request *req, struct http_response *res)
{
    const char *name = http_request_arg(req, "name", NULL);
    char defname[64], *dbcopy = NULL;
    const char *dir = app->cfg.snapshot_dir;
    struct pipeline_job *job;

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
    job = pipeline_job_new(PIPELINE_SNAPSHOT);
    if (job == NULL || dir == NULL || asprintf(&job->snapshot_path, "%s/%s", dir, name) < 0) {
        if (job != NULL)
            job->snapshot_path = NULL;
        pipeline_job_release(job);
        free(dbcopy);
        reply_fail(res, ERR_INTERNAL, "out of memory");
        return HANDLER_DONE;
    }
    free(dbcopy);
    job->snapshot_min_free = app->cfg.snapshot_min_free;
    if (name == defname) { /* --snapshot-keep counts the automatic ones */
        job->snapshot_keep = app->cfg.snapshot_keep;
        job->snapshot_prefix = ADMIN_AUTO_PREFIX;
    }
    return handlers_job_run(app, req, job, admin_snapshot_done);
}
