/* pg_peer.c: the peer that articled is measured against. Loads the benchmark articles into a
 * PostgreSQL table with a tsvector column and a GIN index (English configuration) with COPY,
 * 1,000 rows per COPY, and runs the benchmark queries (websearch_to_tsquery, ts_rank order,
 * ts_headline snippets), timing each on the client as fts5_limit and loadgen do. Prints
 * JSON lines. */

#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "benchutil.h"

static int run_sql(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "pg_peer: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

static PGconn *connect_db(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pg_peer: connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Appends s to the COPY text-format row in *b as one field (NULL as \N). */
static void copy_field(char **b, size_t *len, size_t *cap, const char *s, int last)
{
    size_t need = (s ? strlen(s) * 2 : 2) + 2;
    if (*len + need >= *cap) {
        while (*len + need >= *cap)
            *cap = *cap ? *cap * 2 : 1 << 16;
        *b = realloc(*b, *cap);
        if (!*b) {
            fprintf(stderr, "pg_peer: out of memory\n");
            exit(1);
        }
    }
    char *o = *b + *len;
    if (!s) {
        *o++ = '\\';
        *o++ = 'N';
    } else {
        for (; *s; s++) {
            switch (*s) {
            case '\\':
                *o++ = '\\';
                *o++ = '\\';
                break;
            case '\n':
                *o++ = '\\';
                *o++ = 'n';
                break;
            case '\r':
                *o++ = '\\';
                *o++ = 'r';
                break;
            case '\t':
                *o++ = '\\';
                *o++ = 't';
                break;
            default:
                *o++ = *s;
            }
        }
    }
    *o++ = last ? '\n' : '\t';
    *len = (size_t)(o - *b);
}

/* Creates the table and loads the articles, batch rows per COPY (one transaction each).
 * Prints the "ingest" line. Returns 0 or -1. */
static int ingest(const char *conninfo, const char *articles, int batch)
{
    FILE *f = fopen(articles, "r");
    if (!f) {
        perror(articles);
        return -1;
    }
    PGconn *c = connect_db(conninfo);
    if (!c) {
        fclose(f);
        return -1;
    }
    int rc = run_sql(c, "DROP TABLE IF EXISTS articles");
    if (rc == 0)
        rc = run_sql(c, "CREATE TABLE articles (id text PRIMARY KEY, title text NOT NULL, "
                        "body text NOT NULL, source text, published_at timestamptz, "
                        "tsv tsvector GENERATED ALWAYS AS ("
                        "setweight(to_tsvector('english', title), 'A') || "
                        "setweight(to_tsvector('english', body), 'B')) STORED)");
    if (rc == 0)
        rc = run_sql(c, "CREATE INDEX articles_tsv ON articles USING gin (tsv)");

    char *rows = NULL, *line = NULL;
    size_t len = 0, cap = 0, lcap = 0;
    long total = 0, bad = 0;
    double in_db = 0, t_start = bench_now();
    ssize_t ll;
    int eof = 0;
    while (rc == 0 && !eof) {
        /* Build the batch's COPY data first: only the database work is timed. */
        int n = 0;
        len = 0;
        while (n < batch) {
            ll = getline(&line, &lcap, f);
            if (ll <= 0) {
                eof = 1;
                break;
            }
            json_error_t err;
            json_t *o = json_loadb(line, (size_t)ll, 0, &err);
            const char *title = json_string_value(json_object_get(o, "title"));
            const char *body = json_string_value(json_object_get(o, "body"));
            if (!title || !body) {
                bad++;
                json_decref(o);
                continue;
            }
            copy_field(&rows, &len, &cap, json_string_value(json_object_get(o, "id")), 0);
            copy_field(&rows, &len, &cap, title, 0);
            copy_field(&rows, &len, &cap, body, 0);
            copy_field(&rows, &len, &cap, json_string_value(json_object_get(o, "source")), 0);
            copy_field(&rows, &len, &cap, json_string_value(json_object_get(o, "published_at")), 1);
            json_decref(o);
            n++;
        }
        if (n == 0)
            break;
        double t0 = bench_now();
        PGresult *r = PQexec(c, "COPY articles (id, title, body, source, published_at) "
                                "FROM STDIN");
        if (PQresultStatus(r) != PGRES_COPY_IN) {
            fprintf(stderr, "pg_peer: COPY: %s", PQerrorMessage(c));
            rc = -1;
        }
        PQclear(r);
        if (rc == 0 && (PQputCopyData(c, rows, (int)len) != 1 || PQputCopyEnd(c, NULL) != 1)) {
            fprintf(stderr, "pg_peer: COPY data: %s", PQerrorMessage(c));
            rc = -1;
        }
        while (rc == 0 && (r = PQgetResult(c))) {
            if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                fprintf(stderr, "pg_peer: COPY end: %s", PQerrorMessage(c));
                rc = -1;
            }
            PQclear(r);
        }
        in_db += bench_now() - t0;
        total += n;
    }
    double wall = bench_now() - t_start;
    free(rows);
    free(line);
    fclose(f);

    /* Flush the GIN pending list and gather statistics, as autovacuum would: untimed in the
     * ingest rate, reported on its own. */
    double t_vac = bench_now();
    if (rc == 0)
        rc = run_sql(c, "VACUUM ANALYZE articles");
    t_vac = bench_now() - t_vac;
    long long bytes = 0;
    if (rc == 0) {
        PGresult *r = PQexec(c, "SELECT pg_total_relation_size('articles')");
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            bytes = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    PQfinish(c);
    if (rc != 0)
        return -1;
    json_t *o = json_object();
    json_object_set_new(o, "system", json_string("postgres"));
    json_object_set_new(o, "op", json_string("ingest"));
    json_object_set_new(o, "articles", json_integer(total));
    json_object_set_new(o, "bad_lines", json_integer(bad));
    json_object_set_new(o, "batch", json_integer(batch));
    json_object_set_new(o, "seconds", json_real(in_db));
    json_object_set_new(o, "wall_seconds", json_real(wall));
    json_object_set_new(o, "articles_per_s", json_real(in_db > 0 ? (double)total / in_db : 0));
    json_object_set_new(o, "vacuum_analyze_seconds", json_real(t_vac));
    json_object_set_new(o, "db_bytes", json_integer(bytes));
    json_object_set_new(o, "bytes_per_article",
                        json_real(total ? (double)bytes / (double)total : 0));
    bench_emit(o);
    return 0;
}

/* ---- search ---- */

#define HEADLINE                                                                                   \
    "ts_headline('english', body, q, 'StartSel=<mark>, StopSel=</mark>, MaxWords=35, "             \
    "MinWords=15, MaxFragments=1')"
#define SELECT_OUTER "SELECT id, title, source, published_at, score, " HEADLINE " FROM ("
#define SELECT_INNER                                                                               \
    "SELECT a.id, a.title, a.source, a.published_at, a.body, ts_rank(a.tsv, q) AS score, q "       \
    "FROM articles a, websearch_to_tsquery('english', $1) q WHERE a.tsv @@ q "

/* Ranking and limiting happen before ts_headline, so only the 20 hits are highlighted. */
static const char *const SEARCH_SQL[4] = {
    SELECT_OUTER SELECT_INNER "ORDER BY score DESC LIMIT 20) s ORDER BY score DESC",
    SELECT_OUTER SELECT_INNER "AND a.source = $2 ORDER BY score DESC LIMIT 20) s "
                              "ORDER BY score DESC",
    SELECT_OUTER SELECT_INNER "ORDER BY a.published_at DESC LIMIT 20) s "
                              "ORDER BY published_at DESC",
    SELECT_OUTER SELECT_INNER "AND a.source = $2 ORDER BY a.published_at DESC LIMIT 20) s "
                              "ORDER BY published_at DESC",
};

struct search_run {
    const char *conninfo;
    const struct bench_query *qs;
    long nq;
    long requests;
    double deadline;
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
    PGconn *c = connect_db(run->conninfo);
    if (!c) {
        w->errors++;
        return NULL;
    }
    for (int i = 0; i < 4; i++) {
        char name[8];
        snprintf(name, sizeof name, "s%d", i);
        PGresult *r = PQprepare(c, name, SEARCH_SQL[i], i % 2 ? 2 : 1, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "pg_peer: prepare: %s", PQerrorMessage(c));
            w->errors++;
            PQclear(r);
            PQfinish(c);
            return NULL;
        }
        PQclear(r);
    }
    for (;;) {
        long i = atomic_fetch_add(&run->next, 1);
        if (i >= run->requests || bench_now() > run->deadline)
            break;
        const struct bench_query *q = &run->qs[i % run->nq];
        int variant = (q->newest ? 2 : 0) + (q->source ? 1 : 0);
        char name[8];
        snprintf(name, sizeof name, "s%d", variant);
        const char *params[2] = {q->q, q->source};
        double t0 = bench_now();
        PGresult *r = PQexecPrepared(c, name, q->source ? 2 : 1, params, NULL, NULL, 0);
        double ms = (bench_now() - t0) * 1000.0;
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            if (w->errors++ < 3)
                fprintf(stderr, "pg_peer: search %s: %s", q->q, PQerrorMessage(c));
            PQclear(r);
            continue;
        }
        int rows = PQntuples(r);
        PQclear(r);
        lat_add(&w->lat, ms);
        w->done++;
        w->hits += rows;
        w->zero_hits += rows == 0;
        if (run->dump)
            fprintf(run->dump, "%ld\t%.3f\t%d\n", i % run->nq, ms, rows);
    }
    PQfinish(c);
    return NULL;
}

static int search(const char *conninfo, const struct bench_query *qs, long nq, int concurrency,
                  long requests, double duration, int quiet, FILE *dump)
{
    struct search_run run = {.conninfo = conninfo,
                             .qs = qs,
                             .nq = nq,
                             .requests = requests,
                             .deadline = bench_now() + duration,
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
        json_object_set_new(o, "system", json_string("postgres"));
        json_object_set_new(o, "op", json_string("search"));
        json_object_set_new(o, "concurrency", json_integer(concurrency));
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
    fprintf(f, "usage: pg_peer --conninfo STR [--articles FILE] [--queries FILE] [--batch 1000]\n"
               "               [--concurrency 1,16] [--requests N] [--duration S] [--no-warmup]\n"
               "               [--dump FILE]\n"
               "Loads FILE's articles into table 'articles' (dropped first) with COPY, then runs\n"
               "the queries at each concurrency (one connection per client): one untimed pass\n"
               "to warm the cache, then N queries (default: the file's count) or S seconds.\n"
               "--dump writes one line per timed query at concurrency 1: index, ms, hits.\n");
}

int main(int argc, char **argv)
{
    const char *conninfo = NULL, *articles = NULL, *queries = NULL, *conc = "1,16";
    int batch = 1000, warmup = 1;
    long requests = 0;
    double duration = 60;
    FILE *dump = NULL;
    static const struct option opts[] = {{"conninfo", required_argument, 0, 'C'},
                                         {"articles", required_argument, 0, 'a'},
                                         {"queries", required_argument, 0, 'q'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"concurrency", required_argument, 0, 'c'},
                                         {"requests", required_argument, 0, 'r'},
                                         {"duration", required_argument, 0, 't'},
                                         {"no-warmup", no_argument, 0, 'W'},
                                         {"dump", required_argument, 0, 'D'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "C:a:q:b:c:r:t:WD:h", opts, NULL)) != -1) {
        switch (c) {
        case 'C':
            conninfo = optarg;
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
    if (!conninfo || batch < 1 || nlevels < 1 || duration <= 0) {
        usage(stderr);
        return 2;
    }
    if (articles && ingest(conninfo, articles, batch) != 0)
        return 1;
    if (!queries)
        return 0;
    struct bench_query *qs;
    long nq = bench_queries_load(queries, &qs);
    if (nq <= 0) {
        fprintf(stderr, "pg_peer: no queries in %s\n", queries);
        return 1;
    }
    if (requests <= 0)
        requests = nq;
    int rc = 0;
    if (warmup)
        search(conninfo, qs, nq, 1, nq, duration, 1, NULL);
    for (int i = 0; i < nlevels; i++)
        rc |= search(conninfo, qs, nq, levels[i], requests, duration, 0, dump);
    bench_queries_free(qs, nq);
    if (dump)
        fclose(dump);
    return rc ? 1 : 0;
}
