/* main.c: articled's entry point: a command (cli.h), or the service: malloc
 * settings, the service (app.h), and a clean shutdown on SIGTERM/SIGINT (stop
 * accepting, let in-flight requests and queued writes finish, checkpoint,
 * exit 0). */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/app.h"
#include "server/cli.h"
#include "server/log.h"
#include "server/synset.h"

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

/* SIGHUP: the synonyms file read again; a refused file leaves the set in
 * force and is logged. */
static void main_reload(struct app *app)
{
    struct error err = {0};
    struct synset_view v;
    json_t *fields;

    if (synset_path(app->synonyms)[0] == '\0') {
        log_event(LOG_INFO, "SIGHUP: nothing to reload (no --synonyms)", NULL);
        return;
    }
    if (synset_reload(app->synonyms, &err) != 0) {
        fields = json_pack("{s:s}", "error", err.msg);
        log_event(LOG_ERROR, "SIGHUP: synonyms not reloaded, the old ones stay", fields);
        json_decref(fields);
        return;
    }
    synset_acquire(app->synonyms, &v);
    fields = json_pack("{s:s,s:I,s:i}", "file", synset_path(app->synonyms), "rules",
                       (json_int_t)synonyms_rules(v.syn), "generation", (int)v.generation);
    synset_release(&v);
    log_event(LOG_INFO, "synonyms reloaded", fields);
    json_decref(fields);
}

int main(int argc, char **argv)
{
    struct app app;
    struct error err = {0};
    sigset_t sigs;
    int sig = 0, port;
    json_t *fields;

    /* `articled import|export|check ...`: a command, not the service */
    int cmd = cli_main(argc, argv);
    if (cmd >= 0)
        return cmd;

    main_tune_malloc(); /* before any thread starts */

    /* Signals are taken by sigwait below; every thread app_open starts
     * inherits the mask. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    port = app_open(&app, argc, argv, &err);
    if (port <= 0) {
        if (port == APP_OPEN_DONE)
            return 0;
        fprintf(stderr, "articled: %s\n", err.msg);
        return port == APP_OPEN_REFUSED ? 2 : 1;
    }
    fields = json_pack("{s:i,s:s,s:s,s:i,s:i}", "port", port, "bind", app.cfg.bind, "db",
                       app.cfg.db, "threads", (int)app.cfg.threads, "schema_version",
                       store_schema_version(app.store));
    log_event(LOG_INFO, "listening", fields);
    json_decref(fields);

    for (;;) {
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            break;
        main_reload(&app);
    }
    fields = json_pack("{s:s}", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    log_event(LOG_INFO, "shutting down", fields);
    json_decref(fields);

    app_close(&app);
    log_event(LOG_INFO, "stopped", NULL);
    return 0;
}
