/* main.c: articled's entry point: configuration, the store, the HTTP daemon,
 * and a clean shutdown on SIGTERM/SIGINT (stop accepting, let in-flight
 * requests and queued writes finish, checkpoint, exit 0). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/fingerprint.h"
#include "handlers/ingest.h"
#include "server/app.h"
#include "server/http.h"
#include "server/log.h"
#include "server/router.h"

/* How long a shutdown waits for in-flight requests. */
#define SHUTDOWN_GRACE_MS 10000

static void main_log_error(const char *msg, const char *detail)
{
    json_t *f = json_pack("{s:s}", "error", detail);
    log_event(LOG_ERROR, msg, f);
    json_decref(f);
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

    memset(&app, 0, sizeof app);
    rc = config_load(&app.cfg, argc, argv, &err);
    if (rc != 0) {
        if (rc > 0)
            return 0;
        fprintf(stderr, "articled: %s\n", err.msg);
        return 2;
    }
    log_setup(app.cfg.log_format, LOG_INFO);

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
            return 1;
        }
        sopts.entities = ingest_entities;
        sopts.entities_ctx = app.extractor;
    }
    if (store_open(app.cfg.db, &sopts, &app.store, &err) != 0) {
        main_log_error("cannot open the database", err.msg);
        fprintf(stderr, "articled: %s\n", err.msg);
        entity_extractor_free(app.extractor);
        return 1;
    }
    router_routes(&nroutes);
    app.metrics = metrics_new(nroutes);
    if (app.metrics == NULL || http_server_start(&app, &srv, &port, errbuf, sizeof errbuf) != 0) {
        main_log_error("cannot start the HTTP server", app.metrics ? errbuf : "out of memory");
        fprintf(stderr, "articled: %s\n", app.metrics ? errbuf : "out of memory");
        store_close(app.store);
        metrics_free(app.metrics);
        entity_extractor_free(app.extractor);
        return 1;
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
    http_server_stop(srv);
    store_close(app.store);
    metrics_free(app.metrics);
    entity_extractor_free(app.extractor);
    log_event(LOG_INFO, "stopped", NULL);
    return 0;
}
