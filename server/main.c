/* main.c: articled's entry point: configuration, the store, the HTTP daemon,
 * and a clean shutdown on SIGTERM/SIGINT (stop accepting, let in-flight
 * requests and queued writes finish, checkpoint, exit 0). */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "analysis/fingerprint.h"
#include "handlers/handlers.h"
#include "handlers/ingest.h"
#include "server/app.h"
#include "server/auth.h"
#include "server/http.h"
#include "server/log.h"
#include "server/ratelimit.h"
#include "server/respcache.h"
#include "server/router.h"
#include "server/workpool.h"

/* How long a shutdown waits for in-flight requests. */
#define SHUTDOWN_GRACE_MS 10000

/* malloc settings (main_tune_malloc). */
#define MAIN_MMAP_THRESHOLD (1 << 20)
#define MAIN_ARENA_MAX      2

/* glibc's allocator, set for a long-running server on few cores (unless the
 * operator set it: GLIBC_TUNABLES). Blocks of 1 MiB or more (a _bulk body, a
 * request's op array, answer buffers, the duplicate filter) are mapped on
 * their own and given back when freed: glibc otherwise raises that threshold
 * each time such a block is freed, later ones land in the heap, and the holes
 * they leave stay resident. And two arenas, not eight per core: idle arenas'
 * free memory was most of the difference between what was in use and what
 * was resident. A 1,000,000-article ingest: peak RSS 243 -> 190 MB. */
static void main_tune_malloc(void)
{
    const char *t = getenv("GLIBC_TUNABLES");
    if (t != NULL && strstr(t, "glibc.malloc.") != NULL)
        return;
    mallopt(M_MMAP_THRESHOLD, MAIN_MMAP_THRESHOLD);
    mallopt(M_ARENA_MAX, MAIN_ARENA_MAX);
}

static void main_log_error(const char *msg, const char *detail)
{
    json_t *f = json_pack("{s:s}", "error", detail);
    log_event(LOG_ERROR, msg, f);
    json_decref(f);
}

/* API keys, the search limit and the snapshot folder, from app->cfg.
 * Returns 0, or -1 with err (a bad key file refuses to start). */
static int main_security_setup(struct app *app, struct error *err)
{
    struct stat sb;
    json_t *f;

    if (app->cfg.api_key_file[0] != '\0' && auth_load(app->cfg.api_key_file, &app->auth, err) != 0)
        return -1;
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

static void main_security_free(struct app *app)
{
    auth_free(app->auth);
    ratelimit_free(app->search_limit);
}

int main(int argc, char **argv)
{
    struct app app;
    struct error err = {0};
    struct http_server *srv = NULL;
    struct store_options sopts = {0};
    sigset_t sigs;
    unsigned port = 0;
    char errbuf[256];
    size_t nroutes;
    int sig = 0, rc;
    json_t *fields;

    main_tune_malloc(); /* before any thread starts */
    memset(&app, 0, sizeof app);
    rc = config_load(&app.cfg, argc, argv, &err);
    if (rc != 0) {
        if (rc > 0)
            return 0;
        fprintf(stderr, "articled: %s\n", err.msg);
        return 2;
    }
    log_setup(app.cfg.log_format, LOG_INFO, app.cfg.access_log);
    if (main_security_setup(&app, &err) != 0) {
        main_log_error("cannot start", err.msg);
        fprintf(stderr, "articled: %s\n", err.msg);
        main_security_free(&app);
        return 2;
    }

    /* Signals are taken by sigwait below; every thread inherits the mask. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    sopts.durability_full = app.cfg.durability == DURABILITY_FULL;
    sopts.group_commit_max = app.cfg.group_commit_max;
    /* Articles stored while a feature was off are analysed when it is on. */
    if (app.cfg.duplicates)
        sopts.fingerprint = ingest_fingerprints_cb;
    if (app.cfg.entities) {
        if (entity_extractor_new(&app.extractor, &err) != 0) {
            main_log_error("cannot build the entity extractor", err.msg);
            fprintf(stderr, "articled: %s\n", err.msg);
            main_security_free(&app);
            return 1;
        }
        sopts.entities = ingest_entities;
        sopts.entities_ctx = app.extractor;
    }
    if (store_open(app.cfg.db, &sopts, &app.store, &err) != 0) {
        main_log_error("cannot open the database", err.msg);
        fprintf(stderr, "articled: %s\n", err.msg);
        entity_extractor_free(app.extractor);
        main_security_free(&app);
        return 1;
    }
    router_routes(&nroutes);
    app.metrics = metrics_new(nroutes);
    app.pool = workpool_new(app.cfg.threads);
    /* _bulk requests are analysed one at a time, in order: the single writer
     * cannot take more than one thread's worth of analysis, and each request
     * in analysis holds its lines' analysis in memory (tens of MB for
     * 10,000 lines) */
    app.bulk_pool = workpool_new(1);
    /* answers up to 256 KiB: 100 hits of long titles and snippets fit */
    app.search_cache = respcache_new(app.cfg.search_cache, 256 * 1024);
    if (app.pool == NULL)
        log_event(LOG_WARN, "no analysis threads: writes are analysed on the HTTP threads", NULL);
    if (app.metrics == NULL || http_server_start(&app, &srv, &port, errbuf, sizeof errbuf) != 0) {
        main_log_error("cannot start the HTTP server", app.metrics ? errbuf : "out of memory");
        fprintf(stderr, "articled: %s\n", app.metrics ? errbuf : "out of memory");
        workpool_free(app.pool);
        workpool_free(app.bulk_pool);
        respcache_free(app.search_cache);
        store_close(app.store);
        metrics_free(app.metrics);
        entity_extractor_free(app.extractor);
        main_security_free(&app);
        return 1;
    }
    if (store_check_skipped(app.store)) {
        fields = json_pack("{s:s}", "db", app.cfg.db);
        log_event(LOG_WARN, "database over 1 GiB: integrity check at open skipped", fields);
        json_decref(fields);
    }
    fields = json_pack("{s:i,s:s,s:s,s:i,s:i}", "port", (int)port, "bind", app.cfg.bind, "db",
                       app.cfg.db, "threads", (int)app.cfg.threads, "schema_version",
                       store_schema_version(app.store));
    log_event(LOG_INFO, "listening", fields);
    json_decref(fields);

    while (sigwait(&sigs, &sig) != 0)
        ;
    fields = json_pack("{s:s}", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    log_event(LOG_INFO, "shutting down", fields);
    json_decref(fields);

    atomic_store(&app.stopping, 1);
    http_server_quiesce(srv);
    for (int waited = 0; waited < SHUTDOWN_GRACE_MS && http_server_connections(srv) > 0;
         waited += 20) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    admin_snapshot_drain();  /* a running snapshot stops early and resumes its request */
    workpool_free(app.pool); /* queued analyses run (and resume their requests) first */
    workpool_free(app.bulk_pool);
    app.pool = app.bulk_pool = NULL;
    http_server_stop(srv);
    respcache_free(app.search_cache);
    store_close(app.store);
    metrics_free(app.metrics);
    entity_extractor_free(app.extractor);
    main_security_free(&app);
    log_event(LOG_INFO, "stopped", NULL);
    return 0;
}
