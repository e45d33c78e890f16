/* config.h: the service's settings, from flags, environment and defaults.
 * One declarative table (config.c) names every setting once: flag, variable,
 * default, bounds; `articled --help` is printed from it. */
#ifndef ARTICLED_CONFIG_H
#define ARTICLED_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/error.h"

enum log_format { LOG_FORMAT_JSON, LOG_FORMAT_TEXT };
enum durability { DURABILITY_NORMAL, DURABILITY_FULL };

struct config {
    unsigned port;
    char bind[64];
    char db[1024];
    unsigned threads;
    size_t max_body;
    size_t max_bulk;
    unsigned max_bulk_lines;
    char api_key_file[1024];
    char cors_origin[256];
    enum durability durability;
    enum log_format log_format;
    int access_log;             /* 1: an access line per request */
    unsigned timeout_s;         /* per-connection idle timeout */
    unsigned max_connections;   /* simultaneous connections */
    unsigned max_per_ip;        /* simultaneous connections from one address (0: no limit) */
    unsigned group_commit_max;  /* articles per write transaction at most */
    int duplicates;             /* 1: find near copies at ingest (fingerprints) */
    int entities;               /* 1: extract entities at ingest */
    int public_read;            /* 1: reads need no key even when keys are configured */
    unsigned search_rate;       /* search requests per second per client (0: no limit) */
    unsigned search_burst;      /* search requests a client may send at once */
    unsigned search_cache;      /* search answers cached (0: none) */
    char synonyms[1024];        /* --synonyms file ("": none) */
    char snapshot_dir[1024];    /* where POST /v1/admin/snapshot writes ("": the db's folder) */
    size_t snapshot_min_free;   /* bytes a snapshot must leave free on its filesystem */
    unsigned snapshot_keep;     /* automatic snapshots kept (0: all) */
    int allow_open_api;         /* 1: may listen beyond loopback without API keys */
    unsigned search_timeout_ms; /* a read request's time budget inside SQLite */
    unsigned search_threads;    /* threads that run read requests (0: cores) */
    unsigned search_queue;      /* read requests that may wait for a thread */
    size_t max_body_memory;     /* request body bytes buffered at once, all requests */
    unsigned tombstone_days;    /* deletes stay in the change sequence this long at least */
    unsigned max_subscribers;   /* live event streams at once */
    unsigned events_heartbeat_s; /* seconds between an event stream's heartbeats */
    unsigned story_window_h;    /* an article joins stories within this many hours of it */
    int ui;                     /* 1: the desk page at / and its assets under /desk/ */
};

/* Fills cfg from defaults, then the environment, then argv (later wins).
 * Returns 0, 1 when --help or --version was printed (exit 0), or -1 with err
 * filled on a bad flag or value. */
int config_load(struct config *cfg, int argc, char **argv, struct error *err);

/* 1 when bind is an IPv4 address in 127.0.0.0/8, ::1 or an IPv4-mapped
 * 127.x address: reachable from this machine only. */
int config_bind_is_loopback(const char *bind);

/* Prints the flag table to stdout. */
void config_usage(const char *prog);

#endif
