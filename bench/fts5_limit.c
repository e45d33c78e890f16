/* fts5_limit.c: the physical limit that articled is measured against. Inserts the benchmark
 * articles into a bare SQLite FTS5 table (title + body indexed, WAL, 1,000 per commit) and
 * runs the benchmark queries straight against it (MATCH, bm25 order, snippet), timing each
 * the way the HTTP load generator and the PostgreSQL peer do. Prints JSON lines. */

#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "benchutil.h"

struct article {
    char *id, *title, *body, *source, *published_at;
};

static char *dup_field(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? strdup(s) : NULL;
}

/* Reads up to max articles from f into a[]. Returns how many (0 at the end). Lines that
 * are not articles are skipped and counted in *bad. */
static int read_batch(FILE *f, struct article *a, int max, long *bad)
{
    static char *line;
    static size_t cap;
    int n = 0;
    ssize_t len;
    while (n < max && (len = getline(&line, &cap, f)) > 0) {
        json_error_t err;
        json_t *o = json_loadb(line, (size_t)len, 0, &err);
        if (!json_is_string(json_object_get(o, "title")) ||
            !json_is_string(json_object_get(o, "body"))) {
            (*bad)++;
            json_decref(o);
            continue;
        }
        a[n].id = dup_field(o, "id");
        a[n].title = dup_field(o, "title");
        a[n].body = dup_field(o, "body");
        a[n].source = dup_field(o, "source");
        a[n].published_at = dup_field(o, "published_at");
        json_decref(o);
        n++;
    }
    return n;
}

static void free_batch(struct article *a, int n)
{
    for (int i = 0; i < n; i++) {
        free(a[i].id);
        free(a[i].title);
        free(a[i].body);
        free(a[i].source);
        free(a[i].published_at);
    }
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "fts5_limit: %s: %s\n", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
    }
    return rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Loads the articles file into a new FTS5 table, batch articles per transaction. Prints the
 * "ingest" line. Returns 0 or -1. */
static int ingest(const char *dbpath, const char *articles, int batch, int cache_mb)
{
    FILE *f = fopen(articles, "r");
    if (!f) {
        perror(articles);
        return -1;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    struct article *a = calloc((size_t)batch, sizeof *a);
    int rc = sqlite3_open(dbpath, &db);
    char pragma[128];
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", cache_mb * 1024);
    if (rc == SQLITE_OK)
        rc = exec(db, "PRAGMA journal_mode=WAL");
    if (rc == SQLITE_OK)
        rc = exec(db, "PRAGMA synchronous=NORMAL");
    if (rc == SQLITE_OK)
        rc = exec(db, pragma);
    if (rc == SQLITE_OK)
        rc = exec(db, "CREATE VIRTUAL TABLE fts USING fts5(title, body, id UNINDEXED, "
                      "source UNINDEXED, published_at UNINDEXED, "
                      "tokenize='porter unicode61 remove_diacritics 2')");
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db,
                                "INSERT INTO fts(title, body, id, source, published_at) "
                                "VALUES (?1, ?2, ?3, ?4, ?5)",
                                -1, &ins, NULL);
    long total = 0, bad = 0;
    double in_db = 0, t_start = bench_now();
    while (rc == SQLITE_OK) {
        int n = read_batch(f, a, batch, &bad);
        if (n == 0)
            break;
        /* Only the SQLite work is timed: parsing the NDJSON is the client's job. */
        double t0 = bench_now();
        rc = exec(db, "BEGIN IMMEDIATE");
        for (int i = 0; i < n && rc == SQLITE_OK; i++) {
            bind_text(ins, 1, a[i].title);
            bind_text(ins, 2, a[i].body);
            bind_text(ins, 3, a[i].id);
            bind_text(ins, 4, a[i].source);
            bind_text(ins, 5, a[i].published_at);
            rc = sqlite3_step(ins);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
            sqlite3_reset(ins);
        }
        if (rc == SQLITE_OK)
            rc = exec(db, "COMMIT");
        in_db += bench_now() - t0;
        total += n;
        free_batch(a, n);
    }
    double wall = bench_now() - t_start;
    if (rc != SQLITE_OK)
        fprintf(stderr, "fts5_limit: ingest: %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(ins);
    if (rc == SQLITE_OK)
        rc = exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db);
    fclose(f);
    free(a);
    if (rc != SQLITE_OK)
        return -1;

    long long bytes = bench_file_size(dbpath);
    json_t *o = json_object();
    json_object_set_new(o, "system", json_string("fts5"));
    json_object_set_new(o, "op", json_string("ingest"));
    json_object_set_new(o, "articles", json_integer(total));
    json_object_set_new(o, "bad_lines", json_integer(bad));
    json_object_set_new(o, "batch", json_integer(batch));
    json_object_set_new(o, "seconds", json_real(in_db));
    json_object_set_new(o, "wall_seconds", json_real(wall));
    json_object_set_new(o, "articles_per_s", json_real(in_db > 0 ? (double)total / in_db : 0));
    json_object_set_new(o, "db_bytes", json_integer(bytes));
    json_object_set_new(o, "bytes_per_article",
                        json_real(total ? (double)bytes / (double)total : 0));
    bench_emit(o);
    return 0;
}

/* ---- search ---- */

/* [snippets][order and filter]: without snippets, the same rows and columns with NULL in the
 * snippet's place (what a client that does not want them would ask). */
#define SEARCH_COLS(snip) "SELECT id, title, source, published_at, bm25(fts), " snip " FROM fts "
#define SNIP              "snippet(fts, 1, '<mark>', '</mark>', '…', 20)"
#define SEARCH_SQLS(snip)                                                                          \
    { /* relevance */                                                                              \
        SEARCH_COLS(snip)                                                                          \
        "WHERE fts MATCH ?1 ORDER BY bm25(fts) LIMIT 20", /* relevance, one source */              \
            SEARCH_COLS(                                                                           \
                snip) "WHERE fts MATCH ?1 AND source = ?2 ORDER BY bm25(fts) LIMIT 20", /* newest  \
                                                                                           first   \
                                                                                         */        \
            SEARCH_COLS(                                                                           \
                snip) "WHERE fts MATCH ?1 ORDER BY published_at DESC LIMIT 20", /* newest first,   \
                                                                                   one source */   \
            SEARCH_COLS(                                                                           \
                snip) "WHERE fts MATCH ?1 AND source = ?2 ORDER BY published_at DESC LIMIT 20"     \
    }
static const char *const SEARCH_SQL[2][4] = {SEARCH_SQLS("NULL"), SEARCH_SQLS(SNIP)};

struct search_run {
    const char *dbpath;
    const struct bench_query *qs;
    long nq;
    long requests; /* queries to run in all */
    double deadline;
    int cache_mb;
    int snippets;
    FILE *dump; /* "query<TAB>ms<TAB>hits" per timed query, single-threaded runs only */
    atomic_long next;
};

struct worker {
    struct search_run *run;
    pthread_t thread;
    struct lat lat;
    long done, errors, zero_hits, hits;
};

static void *search_worker(void *arg)
{
    struct worker *w = arg;
    struct search_run *run = w->run;
    sqlite3 *db = NULL;
    sqlite3_stmt *st[4] = {0};
    char pragma[128];
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", run->cache_mb * 1024);
    if (sqlite3_open_v2(run->dbpath, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "fts5_limit: %s: %s\n", run->dbpath, sqlite3_errmsg(db));
        w->errors++;
        goto out;
    }
    /* the first reader after the last one closed rebuilds the WAL index under a lock: the
     * others starting beside it wait for it instead of failing with "database is locked" */
    sqlite3_busy_timeout(db, 10000);
    exec(db, pragma);
    for (int i = 0; i < 4; i++) {
        if (sqlite3_prepare_v3(db, SEARCH_SQL[run->snippets][i], -1, SQLITE_PREPARE_PERSISTENT,
                               &st[i], NULL) != SQLITE_OK) {
            fprintf(stderr, "fts5_limit: prepare: %s\n", sqlite3_errmsg(db));
            w->errors++;
            goto out;
        }
    }
    for (;;) {
        long i = atomic_fetch_add(&run->next, 1);
        if (i >= run->requests || bench_now() > run->deadline)
            break;
        const struct bench_query *q = &run->qs[i % run->nq];
        char match[2048];
        if (bench_fts5_match(q->q, match, sizeof match) != 0) {
            w->errors++;
            continue;
        }
        sqlite3_stmt *s = st[(q->newest ? 2 : 0) + (q->source ? 1 : 0)];
        double t0 = bench_now();
        sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
        if (q->source)
            sqlite3_bind_text(s, 2, q->source, -1, SQLITE_STATIC);
        int rc, rows = 0;
        size_t bytes = 0;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            for (int c = 0; c < 6; c++) {
                const unsigned char *t = sqlite3_column_text(s, c);
                bytes += t ? (size_t)sqlite3_column_bytes(s, c) : 0;
            }
            rows++;
        }
        sqlite3_reset(s);
        double ms = (bench_now() - t0) * 1000.0;
        if (rc != SQLITE_DONE) {
            w->errors++;
            continue;
        }
        (void)bytes;
        lat_add(&w->lat, ms);
        w->done++;
        w->hits += rows;
        w->zero_hits += rows == 0;
        if (run->dump)
            fprintf(run->dump, "%ld\t%.3f\t%d\n", i % run->nq, ms, rows);
    }
out:
    for (int i = 0; i < 4; i++)
        sqlite3_finalize(st[i]);
    sqlite3_close(db);
    return NULL;
}

/* Runs requests queries (cycling through the file) on concurrency threads, each with its own
 * connection, for at most duration seconds. Prints a "search" line unless quiet. */
static int search(const char *dbpath, const struct bench_query *qs, long nq, int concurrency,
                  long requests, double duration, int cache_mb, int snippets, int quiet, FILE *dump)
{
    struct search_run run = {.dbpath = dbpath,
                             .qs = qs,
                             .nq = nq,
                             .requests = requests,
                             .deadline = bench_now() + duration,
                             .cache_mb = cache_mb,
                             .snippets = snippets,
                             .dump = concurrency == 1 && !quiet ? dump : NULL};
    atomic_init(&run.next, 0);
    struct worker *w = calloc((size_t)concurrency, sizeof *w);
    double t0 = bench_now();
    for (int i = 0; i < concurrency; i++) {
        w[i].run = &run;
        pthread_create(&w[i].thread, NULL, search_worker, &w[i]);
    }
    struct lat all = {0};
    long done = 0, errors = 0, zero = 0, hits = 0;
    for (int i = 0; i < concurrency; i++) {
        pthread_join(w[i].thread, NULL);
        lat_merge(&all, &w[i].lat);
        done += w[i].done;
        errors += w[i].errors;
        zero += w[i].zero_hits;
        hits += w[i].hits;
        lat_free(&w[i].lat);
    }
    double secs = bench_now() - t0;
    free(w);
    if (!quiet) {
        json_t *o = json_object();
        json_object_set_new(o, "system", json_string("fts5"));
        json_object_set_new(o, "op", json_string(snippets ? "search" : "search_nosnip"));
        json_object_set_new(o, "concurrency", json_integer(concurrency));
        json_object_set_new(o, "snippets", json_boolean(snippets));
        json_object_set_new(o, "requests", json_integer(done));
        json_object_set_new(o, "errors", json_integer(errors));
        json_object_set_new(o, "seconds", json_real(secs));
        json_object_set_new(o, "qps", json_real(secs > 0 ? (double)done / secs : 0));
        lat_to_json(&all, o);
        json_object_set_new(o, "zero_hits", json_integer(zero));
        json_object_set_new(o, "hits_mean", json_real(done ? (double)hits / (double)done : 0));
        bench_emit(o);
    }
    lat_free(&all);
    return errors ? -1 : 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: fts5_limit --db PATH [--articles FILE] [--queries FILE] [--batch 1000]\n"
               "                  [--concurrency 1,16] [--requests N] [--duration S]\n"
               "                  [--cache-mb 64] [--snippets on|off|both] [--no-warmup]\n"
               "                  [--dump FILE]\n"
               "Inserts FILE's articles into a new FTS5 table in PATH (which must not hold one),\n"
               "then runs the queries at each concurrency: one untimed pass to warm the cache,\n"
               "then N queries (default: the file's count) or S seconds, whichever ends first.\n"
               "--snippets both: each level with snippets (op search), then without (op\n"
               "search_nosnip). --dump: one line per timed query at concurrency 1 (with\n"
               "snippets when both): index, ms, hits.\n");
}

int main(int argc, char **argv)
{
    const char *dbpath = NULL, *articles = NULL, *queries = NULL, *conc = "1,16", *snip = "on";
    int batch = 1000, cache_mb = 64, warmup = 1;
    long requests = 0;
    double duration = 60;
    FILE *dump = NULL;
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"articles", required_argument, 0, 'a'},
                                         {"queries", required_argument, 0, 'q'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"concurrency", required_argument, 0, 'c'},
                                         {"requests", required_argument, 0, 'r'},
                                         {"duration", required_argument, 0, 't'},
                                         {"cache-mb", required_argument, 0, 'm'},
                                         {"snippets", required_argument, 0, 's'},
                                         {"no-warmup", no_argument, 0, 'W'},
                                         {"dump", required_argument, 0, 'D'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:a:q:b:c:r:t:m:s:WD:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dbpath = optarg;
            break;
        case 'a':
            articles = optarg;
            break;
        case 'q':
            queries = optarg;
            break;
        case 'b':
            batch = atoi(optarg);
            break;
        case 'c':
            conc = optarg;
            break;
        case 'r':
            requests = atol(optarg);
            break;
        case 't':
            duration = atof(optarg);
            break;
        case 'm':
            cache_mb = atoi(optarg);
            break;
        case 's':
            snip = optarg;
            break;
        case 'W':
            warmup = 0;
            break;
        case 'D':
            dump = fopen(optarg, "w");
            if (!dump) {
                perror(optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    int levels[16];
    int nlevels = bench_parse_list(conc, levels, 16);
    int with = strcmp(snip, "on") == 0 || strcmp(snip, "both") == 0;
    int without = strcmp(snip, "off") == 0 || strcmp(snip, "both") == 0;
    if (!dbpath || batch < 1 || cache_mb < 1 || nlevels < 1 || duration <= 0 ||
        (!with && !without)) {
        usage(stderr);
        return 2;
    }
    /* No global allocation statistics: their mutex is shared by every connection. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (articles && ingest(dbpath, articles, batch, cache_mb) != 0)
        return 1;
    if (!queries)
        return 0;
    struct bench_query *qs;
    long nq = bench_queries_load(queries, &qs);
    if (nq <= 0) {
        fprintf(stderr, "fts5_limit: no queries in %s\n", queries);
        return 1;
    }
    if (requests <= 0)
        requests = nq;
    int rc = 0;
    if (warmup)
        search(dbpath, qs, nq, 1, nq, duration, cache_mb, with, 1, NULL);
    for (int i = 0; i < nlevels; i++) {
        if (with)
            rc |= search(dbpath, qs, nq, levels[i], requests, duration, cache_mb, 1, 0, dump);
        if (without)
            rc |= search(dbpath, qs, nq, levels[i], requests, duration, cache_mb, 0, 0,
                         with ? NULL : dump);
    }
    bench_queries_free(qs, nq);
    if (dump)
        fclose(dump);
    return rc ? 1 : 0;
}
