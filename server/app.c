/* app.c: the service's lifetime apart from the process around it: app_open
 * builds everything a request can reach and starts the HTTP daemon,
 * app_close lets in-flight work finish and takes it all down. main.c owns
 * the signals; a fuzzer or a test can run the service in-process. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "handlers/handlers.h"
#include "handlers/routes.h"
#include "pipeline/backfill.h"
#include "pipeline/pipeline.h"
#include "pipeline/stages.h"
#include "server/app.h"
#include "server/auth.h"
#include "server/events.h"
#include "server/http.h"
#include "server/log.h"
#include "server/ratelimit.h"
#include "server/respcache.h"
#include "server/synset.h"
#include "server/workpool.h"

/* How long a shutdown waits for in-flight requests. */
#define APP_SHUTDOWN_GRACE_MS 10000

/* answers up to 256 KiB: 100 hits of long titles and snippets fit */
#define APP_SEARCH_CACHE_MAX (256 * 1024)

/* A progress line of the stories' backfill (pipeline/backfill.c). */
static void app_backfill_progress(long long done)
{
    json_t *f = json_pack("{s:I}", "articles", (json_int_t)done);
    log_event(LOG_INFO, "stories backfill: articles given a story", f);
    json_decref(f);
}

static void app_log_error(const char *msg, const char *detail)
{
    json_t *f = json_pack("{s:s}", "error", detail);
    log_event(LOG_ERROR, msg, f);
    json_decref(f);
}

/* API keys, the search limit and the snapshot folder, from app->cfg.
 * Returns 0, or -1 with err (a bad key file refuses to start). */
static int app_security_setup(struct app *app, struct error *err)
{
    struct stat sb;
    json_t *f;

    if (app->cfg.api_key_file[0] != '\0' && auth_load(app->cfg.api_key_file, &app->auth, err) != 0)
        return -1;
    /* an open, writable API reachable from other machines is a choice the
     * operator makes in so many words, never a default */
    if (app->auth == NULL && !app->cfg.allow_open_api && !config_bind_is_loopback(app->cfg.bind)) {
        error_set(err, ERR_INVALID,
                  "--bind %s reaches other machines and there is no --api-key-file (anyone "
                  "could read and write): give --api-key-file, bind 127.0.0.1, or say "
                  "--allow-open-api on",
                  app->cfg.bind);
        return -1;
    }
    if (app->cfg.snapshot_dir[0] != '\0' &&
        (stat(app->cfg.snapshot_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
        error_set(err, ERR_INVALID, "--snapshot-dir %s is not a folder", app->cfg.snapshot_dir);
        return -1;
    }
    if (app->cfg.search_rate > 0) {
        app->search_limit = ratelimit_new(app->cfg.search_rate, app->cfg.search_burst);
        if (app->search_limit == NULL) {
            error_set(err, ERR_INTERNAL, "out of memory");
            return -1;
        }
    }
    f = json_pack("{s:i,s:b,s:s,s:i,s:i}", "api_keys", (int)auth_count(app->auth), "public_read",
                  app->auth == NULL || app->cfg.public_read, "cors_origin", app->cfg.cors_origin,
                  "search_rate", (int)app->cfg.search_rate, "search_burst",
                  (int)app->cfg.search_burst);
    log_event(app->auth ? LOG_INFO : LOG_WARN,
              app->auth ? "access control" : "access control: no --api-key-file, the API is open",
              f);
    json_decref(f);
    return 0;
}

/* Removes what snapshots interrupted by a crash left in the snapshot folder
 * (a copy can be as large as the database), and says so. */
static void app_snapshot_clean(struct app *app)
{
    char *dbcopy = strdup(app->cfg.db);
    const char *dir = app->cfg.snapshot_dir[0] ? app->cfg.snapshot_dir
                      : dbcopy                 ? dirname(dbcopy)
                                               : NULL;
    char names[512];
    int removed = dir ? store_snapshot_clean(dir, names, sizeof names) : -1;
    if (removed > 0) {
        json_t *f = json_pack("{s:s,s:i,s:s}", "folder", dir, "count", removed, "files", names);
        log_event(LOG_WARN, "removed the temporaries of interrupted snapshots", f);
        json_decref(f);
    }
    free(dbcopy);
}

/* Frees what app_open built, in the reverse order of its use: the threads
 * first (queued analyses run and resume their requests), then the daemon,
 * then what requests read. Every member may be NULL. */
static void app_free(struct app *app)
{
    workpool_free(app->read_pool);
    pipeline_free(app->pipeline);
    app->pipeline = NULL;
    app->read_pool = NULL;
    http_server_stop(app->http);
    app->http = NULL;
    if (app->store != NULL)
        store_on_commit(app->store, NULL, NULL);
    events_free(app->events);
    app->events = NULL;
    synset_free(app->synonyms);
    app->synonyms = NULL;
    respcache_free(app->search_cache);
    store_close(app->store);
    metrics_free(app->metrics);
    entity_extractor_free(app->extractor);
    auth_free(app->auth);
    ratelimit_free(app->search_limit);
    app->search_cache = NULL;
    app->store = NULL;
    app->metrics = NULL;
    app->extractor = NULL;
    app->auth = NULL;
    app->search_limit = NULL;
}

int app_open(struct app *app, int argc, char **argv, struct error *err)
{
    struct store_options sopts = {0};
    struct pipeline_config pcfg = {0};
    unsigned port = 0;
    char errbuf[256];
    json_t *fields;
    int rc;

    memset(app, 0, sizeof *app);

    /* Configuration and log: a refusal here is the operator's to fix (exit 2). */
    rc = config_load(&app->cfg, argc, argv, err);
    if (rc != 0)
        return rc > 0 ? APP_OPEN_DONE : APP_OPEN_REFUSED;
    log_setup(app->cfg.log_format, LOG_INFO, app->cfg.access_log);
    /* the database, its WAL and snapshots hold every article: private to
     * the service's user, whatever umask it was started with */
    umask(umask(077) | 077);

    /* Access control: keys, search limit, snapshot folder. */
    if (app_security_setup(app, err) != 0) {
        app_log_error("cannot start", err->msg);
        app_free(app);
        return APP_OPEN_REFUSED;
    }

    /* Search synonyms: a file that is refused stops the start (exit 2). */
    if ((app->synonyms = synset_new(app->cfg.synonyms, err)) == NULL) {
        app_log_error("cannot start", err->msg);
        app_free(app);
        return APP_OPEN_REFUSED;
    }

    /* The entity extractor and the store. Articles stored while a feature
     * was off are analysed when it is on. */
    sopts.durability_full = app->cfg.durability == DURABILITY_FULL;
    sopts.group_commit_max = app->cfg.group_commit_max;
    sopts.tombstone_days = app->cfg.tombstone_days;
    sopts.story_window = (int64_t)app->cfg.story_window_h * 3600;
    sopts.fingerprints = app->cfg.duplicates;
    if (app->cfg.entities) {
        if (entity_extractor_new(&app->extractor, err) != 0) {
            app_log_error("cannot build the entity extractor", err->msg);
            app_free(app);
            return APP_OPEN_FAILED;
        }
    }
    if (store_open(app->cfg.db, &sopts, &app->store, err) != 0) {
        app_log_error("cannot open the database", err->msg);
        app_free(app);
        return APP_OPEN_FAILED;
    }
    /* before the HTTP daemon starts: the analysis is complete once requests arrive */
    if (backfill_run(app->store, app->cfg.duplicates, app->extractor, app_backfill_progress,
                     err) != 0) {
        app_log_error("cannot analyse the stored articles", err->msg);
        app_free(app);
        return APP_OPEN_FAILED;
    }
    store_cursor_key(app->store, app->cursor_key);
    app_snapshot_clean(app);
    app->events = events_new(app->store, app->cfg.events_heartbeat_s, app->cfg.max_subscribers);
    if (app->events == NULL) {
        error_set(err, ERR_INTERNAL, "cannot start the event stream's thread");
        app_log_error("cannot start", err->msg);
        app_free(app);
        return APP_OPEN_FAILED;
    }
    store_on_commit(app->store, events_committed, app->events);

    /* Metrics, the write pipeline, the read threads and the search answer cache. */
    app->routes = routes_table(&app->nroutes);
    app->metrics = metrics_new(app->nroutes);
    pcfg.store = app->store;
    pcfg.extractor = app->cfg.entities ? app->extractor : NULL;
    pcfg.duplicates = app->cfg.duplicates;
    pcfg.max_line = app->cfg.max_body;
    pcfg.threads = app->cfg.threads;
    pcfg.stopping = &app->stopping;
    pcfg.body_free = http_body_free;
    pcfg.body_consumed = http_body_consumed;
    app->pipeline = pipeline_new(&pcfg, err);
    if (app->pipeline == NULL) {
        app_log_error("cannot start the write pipeline", err->msg);
        app_free(app);
        return APP_OPEN_FAILED;
    }
    /* reads run apart from the HTTP threads, which then always answer
     * /healthz, /readyz and /metrics at once, however slow a search is */
    app->read_pool = workpool_new(
        app->cfg.search_threads ? app->cfg.search_threads : app->cfg.threads, "articled-read");
    app->search_cache = respcache_new(app->cfg.search_cache, APP_SEARCH_CACHE_MAX);
    if (app->read_pool == NULL)
        log_event(LOG_WARN, "no read threads: reads run on the HTTP threads", NULL);

    /* The HTTP daemon: requests arrive from here on. */
    if (app->metrics == NULL) {
        snprintf(errbuf, sizeof errbuf, "out of memory");
        rc = -1;
    } else {
        rc = http_server_start(app, &app->http, &port, errbuf, sizeof errbuf);
    }
    if (rc != 0) {
        error_set(err, ERR_INTERNAL, "%s", errbuf);
        app_log_error("cannot start the HTTP server", err->msg);
        app_free(app);
        return APP_OPEN_FAILED;
    }
    if (store_check_skipped(app->store)) {
        fields = json_pack("{s:s}", "db", app->cfg.db);
        log_event(LOG_WARN, "database over 1 GiB: integrity check at open skipped", fields);
        json_decref(fields);
    }
    return (int)port;
}

void app_close(struct app *app)
{
    atomic_store(&app->stopping, 1);
    http_server_quiesce(app->http);
    events_stop(app->events); /* event streams end now, not at the grace period's end */
    for (int waited = 0; waited < APP_SHUTDOWN_GRACE_MS && http_server_connections(app->http) > 0;
         waited += 20) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    /* every job ends and answers its request (a running snapshot stops
     * early, the rest of a _bulk is refused line by line) */
    pipeline_drain(app->pipeline);
    app_free(app);
}
