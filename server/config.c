/* config.c: the settings table and its parser (see config.h). Each setting is
 * a row: flag, environment variable, kind, bounds, default, help text. */
#include "server/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum config_kind { KIND_UINT, KIND_SIZE, KIND_STRING, KIND_ENUM };

struct config_option {
    const char *flag;
    const char *env;
    enum config_kind kind;
    size_t offset;
    size_t size; /* string capacity */
    unsigned long long min, max;
    const char *dflt;    /* NULL: computed (threads) */
    const char *choices; /* KIND_ENUM: "a|b", index stored as int */
    const char *help;
};

#define OFF(f) offsetof(struct config, f)
#define SZ(f)  sizeof(((struct config *)0)->f)

static const struct config_option options[] = {
    {"port", "ARTICLED_PORT", KIND_UINT, OFF(port), 0, 0, 65535, "8080", NULL,
     "TCP port; 0 binds an ephemeral port and logs it"},
    {"bind", "ARTICLED_BIND", KIND_STRING, OFF(bind), SZ(bind), 0, 0, "127.0.0.1", NULL,
     "address to listen on (IPv4 or IPv6 literal); beyond loopback needs --api-key-file or "
     "--allow-open-api on"},
    {"allow-open-api", "ARTICLED_ALLOW_OPEN_API", KIND_ENUM, OFF(allow_open_api), 0, 0, 0, "off",
     "off|on",
     "on: listen beyond loopback without --api-key-file (anyone who reaches the port "
     "may read and write)"},
    {"db", "ARTICLED_DB", KIND_STRING, OFF(db), SZ(db), 0, 0, "./articled.db", NULL,
     "SQLite database file (created and migrated on start)"},
    {"threads", "ARTICLED_THREADS", KIND_UINT, OFF(threads), 0, 1, 256, NULL, NULL,
     "HTTP worker threads (default: number of cores)"},
    {"max-body", "ARTICLED_MAX_BODY", KIND_SIZE, OFF(max_body), 0, 1024, 1ULL << 30, "8M", NULL,
     "largest request body for one article (bytes; K/M suffixes)"},
    {"max-bulk", "ARTICLED_MAX_BULK", KIND_SIZE, OFF(max_bulk), 0, 1024, 4ULL << 30, "64M", NULL,
     "largest _bulk request body (bytes; K/M suffixes)"},
    {"max-bulk-lines", "ARTICLED_MAX_BULK_LINES", KIND_UINT, OFF(max_bulk_lines), 0, 1, 1000000,
     "10000", NULL, "most articles in one _bulk request"},
    {"api-key-file", "ARTICLED_API_KEY_FILE", KIND_STRING, OFF(api_key_file), SZ(api_key_file), 0,
     0, "", NULL, "file of API keys (none: the API is open)"},
    {"cors-origin", "ARTICLED_CORS_ORIGIN", KIND_STRING, OFF(cors_origin), SZ(cors_origin), 0, 0,
     "", NULL, "the one browser origin allowed by CORS (none: no CORS headers)"},
    {"durability", "ARTICLED_DURABILITY", KIND_ENUM, OFF(durability), 0, 0, 0, "normal",
     "normal|full", "normal: survives kill -9; full: also survives power loss"},
    {"access-log", "ARTICLED_ACCESS_LOG", KIND_ENUM, OFF(access_log), 0, 0, 0, "on", "off|on",
     "one log line per request"},
    {"log-format", "ARTICLED_LOG_FORMAT", KIND_ENUM, OFF(log_format), 0, 0, 0, "json", "json|text",
     "access and event log format on stdout"},
    {"timeout", "ARTICLED_TIMEOUT", KIND_UINT, OFF(timeout_s), 0, 1, 3600, "30", NULL,
     "seconds a connection may stay idle"},
    {"max-connections", "ARTICLED_MAX_CONNECTIONS", KIND_UINT, OFF(max_connections), 0, 8, 100000,
     "1024", NULL, "simultaneous connections at most"},
    {"max-connections-per-ip", "ARTICLED_MAX_CONNECTIONS_PER_IP", KIND_UINT, OFF(max_per_ip), 0, 0,
     100000, "0", NULL, "simultaneous connections from one IP address at most (0: no limit)"},
    {"group-commit-max", "ARTICLED_GROUP_COMMIT_MAX", KIND_UINT, OFF(group_commit_max), 0, 1,
     100000, "2000", NULL, "articles written in one transaction at most"},
    {"duplicates", "ARTICLED_DUPLICATES", KIND_ENUM, OFF(duplicates), 0, 0, 0, "on", "off|on",
     "near-duplicate detection at ingest (fingerprints)"},
    {"entities", "ARTICLED_ENTITIES", KIND_ENUM, OFF(entities), 0, 0, 0, "on", "off|on",
     "entity extraction at ingest"},
    {"public-read", "ARTICLED_PUBLIC_READ", KIND_ENUM, OFF(public_read), 0, 0, 0, "off", "off|on",
     "with API keys: on lets GET/HEAD through without a key"},
    {"search-rate", "ARTICLED_SEARCH_RATE", KIND_UINT, OFF(search_rate), 0, 0, 1000000, "0", NULL,
     "searches per second per client (key name, else IP address); 0: no limit (an opt-in for "
     "public deployments)"},
    {"search-burst", "ARTICLED_SEARCH_BURST", KIND_UINT, OFF(search_burst), 0, 1, 1000000, "100",
     NULL, "searches a client may send at once before --search-rate applies"},
    {"search-timeout", "ARTICLED_SEARCH_TIMEOUT", KIND_UINT, OFF(search_timeout_ms), 0, 10, 600000,
     "3000", NULL,
     "milliseconds a read request (search, lists, entities) may run before it is stopped (503)"},
    {"search-threads", "ARTICLED_SEARCH_THREADS", KIND_UINT, OFF(search_threads), 0, 0, 256, "0",
     NULL, "threads that run read requests, apart from the HTTP threads (0: number of cores)"},
    {"search-queue", "ARTICLED_SEARCH_QUEUE", KIND_UINT, OFF(search_queue), 0, 1, 100000, "64",
     NULL, "read requests that may wait for a read thread; more get 503"},
    {"max-body-memory", "ARTICLED_MAX_BODY_MEMORY", KIND_SIZE, OFF(max_body_memory), 0, 1 << 20,
     64ULL << 30, "256M", NULL,
     "request body bytes held in memory at once, over all requests (503 past it)"},
    {"search-cache", "ARTICLED_SEARCH_CACHE", KIND_UINT, OFF(search_cache), 0, 0, 1000000, "1024",
     NULL, "search answers kept until the next write (0: none)"},
    {"synonyms", "ARTICLED_SYNONYMS", KIND_STRING, OFF(synonyms), SZ(synonyms), 0, 0, "", NULL,
     "file of search synonyms (e-mail, email; UN => United Nations), read again on SIGHUP"},
    {"snapshot-dir", "ARTICLED_SNAPSHOT_DIR", KIND_STRING, OFF(snapshot_dir), SZ(snapshot_dir), 0,
     0, "", NULL, "folder for POST /v1/admin/snapshot (none: the database's folder)"},
    {"snapshot-min-free", "ARTICLED_SNAPSHOT_MIN_FREE", KIND_SIZE, OFF(snapshot_min_free), 0, 0,
     1ULL << 50, "256M", NULL,
     "free space a snapshot must leave on its filesystem (507 otherwise; bytes, K/M/G)"},
    {"tombstone-days", "ARTICLED_TOMBSTONE_DAYS", KIND_UINT, OFF(tombstone_days), 0, 1, 36500,
     "7", NULL,
     "days a deleted article's tombstone stays in the change sequence at least (feed clients "
     "away longer must start again)"},
    {"max-subscribers", "ARTICLED_MAX_SUBSCRIBERS", KIND_UINT, OFF(max_subscribers), 0, 0, 100000,
     "256", NULL, "live event streams (GET /v1/events) at once; more get 503"},
    {"events-heartbeat", "ARTICLED_EVENTS_HEARTBEAT", KIND_UINT, OFF(events_heartbeat_s), 0, 1,
     300, "15", NULL, "seconds between the comment lines that keep an idle event stream open"},
    {"story-window", "ARTICLED_STORY_WINDOW", KIND_UINT, OFF(story_window_h), 0, 1, 8760, "72",
     NULL, "hours either side of an article's time within which it may join a story"},
    {"ui", "ARTICLED_UI", KIND_ENUM, OFF(ui), 0, 0, 0, "on", "off|on",
     "the desk page at / (its assets under /desk/); off: / is a 404"},
    {"snapshot-keep", "ARTICLED_SNAPSHOT_KEEP", KIND_UINT, OFF(snapshot_keep), 0, 0, 100000, "0",
     NULL, "automatic snapshots (articled-*.db) kept; older ones are removed (0: keep all)"},
};

#define NOPTIONS (sizeof options / sizeof options[0])

static int parse_unsigned(const char *s, int allow_suffix, unsigned long long *out)
{
    char *end = NULL;
    unsigned long long v;

    if (*s == '\0' || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s)
        return -1;
    if (allow_suffix && *end != '\0') {
        unsigned long long mult = 0;
        if (strcmp(end, "K") == 0 || strcmp(end, "k") == 0 || strcmp(end, "KiB") == 0)
            mult = 1ULL << 10;
        else if (strcmp(end, "M") == 0 || strcmp(end, "MiB") == 0)
            mult = 1ULL << 20;
        else if (strcmp(end, "G") == 0 || strcmp(end, "GiB") == 0)
            mult = 1ULL << 30;
        if (mult == 0 || v > UINT64_MAX / mult)
            return -1;
        v *= mult;
        end += strlen(end);
    }
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int option_set(struct config *cfg, const struct config_option *o, const char *value,
                      const char *origin, struct error *err)
{
    char *base = (char *)cfg + o->offset;
    unsigned long long v;

    switch (o->kind) {
    case KIND_UINT:
    case KIND_SIZE:
        if (parse_unsigned(value, o->kind == KIND_SIZE, &v) != 0 || v < o->min || v > o->max) {
            error_set(err, ERR_INVALID,
                      "%s: --%s must be a whole number from %llu to %llu, not '%s'", origin,
                      o->flag, o->min, o->max, value);
            return -1;
        }
        if (o->kind == KIND_UINT)
            *(unsigned *)base = (unsigned)v;
        else
            *(size_t *)base = (size_t)v;
        return 0;
    case KIND_STRING:
        if (strlen(value) >= o->size) {
            error_set(err, ERR_INVALID, "%s: --%s is too long", origin, o->flag);
            return -1;
        }
        memcpy(base, value, strlen(value) + 1);
        return 0;
    case KIND_ENUM: {
        const char *c = o->choices;
        int idx = 0;
        size_t n = strlen(value);
        while (c != NULL && *c != '\0') {
            const char *bar = strchr(c, '|');
            size_t len = bar ? (size_t)(bar - c) : strlen(c);
            if (len == n && strncmp(c, value, n) == 0) {
                *(int *)base = idx;
                return 0;
            }
            idx++;
            c = bar ? bar + 1 : NULL;
        }
        error_set(err, ERR_INVALID, "%s: --%s must be one of %s, not '%s'", origin, o->flag,
                  o->choices, value);
        return -1;
    }
    }
    return -1;
}

int config_bind_is_loopback(const char *bind)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, bind, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, bind, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return 0;
}

void config_usage(const char *prog)
{
    printf("usage: %s [options]\n\narticled: ingest, search and de-duplicate news articles over "
           "HTTP.\n\n",
           prog);
    for (size_t i = 0; i < NOPTIONS; i++) {
        const struct config_option *o = &options[i];
        char flag[64];
        snprintf(flag, sizeof flag, "--%s %s", o->flag,
                 o->kind == KIND_ENUM ? o->choices : (o->kind == KIND_STRING ? "S" : "N"));
        printf("  %-30s %s\n  %-30s env %s, default %s\n", flag, o->help, "", o->env,
               o->dflt ? (*o->dflt ? o->dflt : "(none)") : "(number of cores)");
    }
    printf("  %-30s %s\n  %-30s %s\n", "--help", "print this help and exit", "--version",
           "print the version and exit");
}

int config_load(struct config *cfg, int argc, char **argv, struct error *err)
{
    struct option longopts[NOPTIONS + 3];
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int c;

    memset(cfg, 0, sizeof *cfg);
    cfg->threads = cores > 0 ? (unsigned)cores : 2;
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (options[i].dflt && option_set(cfg, &options[i], options[i].dflt, "default", err) != 0)
            return -1;
    }
    for (size_t i = 0; i < NOPTIONS; i++) {
        const char *v = getenv(options[i].env);
        if (v != NULL && option_set(cfg, &options[i], v, options[i].env, err) != 0)
            return -1;
    }
    for (size_t i = 0; i < NOPTIONS; i++)
        longopts[i] = (struct option){options[i].flag, required_argument, NULL, (int)i};
    longopts[NOPTIONS] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[NOPTIONS + 1] = (struct option){"version", no_argument, NULL, 'V'};
    longopts[NOPTIONS + 2] = (struct option){NULL, 0, NULL, 0};

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (c == 'h') {
            config_usage(argv[0]);
            return 1;
        }
        if (c == 'V') {
            printf("articled 0.1.0\n");
            return 1;
        }
        if (c == '?' || c == ':') {
            error_set(err, ERR_INVALID, "unknown option or missing value: %s (see --help)",
                      argv[optind - 1]);
            return -1;
        }
        if (c >= 0 && (size_t)c < NOPTIONS &&
            option_set(cfg, &options[c], optarg, "flag", err) != 0)
            return -1;
    }
    if (optind < argc) {
        error_set(err, ERR_INVALID, "unexpected argument '%s' (see --help)", argv[optind]);
        return -1;
    }
    return 0;
}
