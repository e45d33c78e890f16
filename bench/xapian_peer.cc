/* xapian_peer.cc: the embedded peer. Indexes the benchmark articles in a Xapian database
 * (in-process, BM25, English stemmer with STEM_SOME, the title's words with wdf_inc 4 so a
 * title match weighs four body matches, no prefix) and runs the benchmark queries against it
 * (top 20, optionally a source filter or newest first, MSet::snippet on the body of each
 * returned hit), timing each the way fts5_limit and pg_peer do. Prints the same JSON lines
 * with "system":"xapian". Built only when pkg-config finds xapian-core. */

#include <getopt.h>
#include <pthread.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <jansson.h>
#include <xapian.h>

extern "C" {
#include "benchutil.h"
}

namespace
{

const Xapian::valueno SLOT_PUBLISHED = 0; /* published_at, ISO text: sorts as time */
const char SOURCE_PREFIX[] = "XS";        /* boolean term of the source filter */
const char SEP = '\x1f';                  /* separates the stored fields in the doc data */
const int TITLE_WDF = 4;                  /* the title weight */
const size_t SNIPPET_BYTES = 160;         /* about the 20-24 tokens of FTS5's and articled's */

std::string field(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Loads the articles file into a new database at dbpath, batch per commit. Prints the
 * "ingest" line. Returns 0 or -1. */
int ingest(const char *dbpath, const char *articles, int batch)
{
    FILE *f = fopen(articles, "r");
    if (!f) {
        perror(articles);
        return -1;
    }
    long total = 0, bad = 0;
    double in_db = 0, t_start = bench_now();
    char *line = nullptr;
    size_t cap = 0;
    int rc = 0;
    try {
        Xapian::WritableDatabase db(dbpath, Xapian::DB_CREATE_OR_OVERWRITE);
        Xapian::TermGenerator tg;
        tg.set_stemmer(Xapian::Stem("en"));
        tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
        ssize_t len;
        int in_batch = 0;
        while ((len = getline(&line, &cap, f)) > 0) {
            json_error_t err;
            json_t *o = json_loadb(line, (size_t)len, 0, &err);
            if (!json_is_string(json_object_get(o, "title")) ||
                !json_is_string(json_object_get(o, "body"))) {
                bad++;
                json_decref(o);
                continue;
            }
            std::string id = field(o, "id"), title = field(o, "title"), body = field(o, "body"),
                        source = field(o, "source"), published = field(o, "published_at");
            json_decref(o);
            /* Only the Xapian calls are timed: parsing the NDJSON is the client's job. */
            double t0 = bench_now();
            Xapian::Document doc;
            tg.set_document(doc);
            tg.index_text(title, TITLE_WDF);
            tg.increase_termpos(); /* no phrase across the title's end */
            tg.index_text(body);
            if (!source.empty())
                doc.add_boolean_term(SOURCE_PREFIX + source);
            doc.add_value(SLOT_PUBLISHED, published);
            /* what a hit returns, as the other systems read it from their rows */
            doc.set_data(id + SEP + title + SEP + source + SEP + published + SEP + body);
            db.add_document(doc);
            if (++in_batch == batch) {
                db.commit();
                in_batch = 0;
            }
            in_db += bench_now() - t0;
            total++;
        }
        double t0 = bench_now();
        db.commit();
        in_db += bench_now() - t0;
        db.close();
    } catch (const Xapian::Error &e) {
        fprintf(stderr, "xapian_peer: ingest: %s\n", e.get_description().c_str());
        rc = -1;
    }
    free(line);
    fclose(f);
    if (rc)
        return rc;
    double wall = bench_now() - t_start;
    /* the database is a directory: the sum of its files */
    long long bytes = 0;
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator(dbpath, ec))
        if (e.is_regular_file(ec))
            bytes += (long long)e.file_size(ec);
    json_t *o = json_object();
    json_object_set_new(o, "system", json_string("xapian"));
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
    json_object_set_new(o, "version", json_string(Xapian::version_string()));
    bench_emit(o);
    return 0;
}

/* ---- search ---- */

struct search_run {
    const char *dbpath;
    const struct bench_query *qs;
    long nq;
    long requests; /* queries to run in all */
    double deadline;
    bool snippets;
    unsigned snippet_flags;
    FILE *dump; /* "query<TAB>ms<TAB>hits" per timed query, single-threaded runs only */
    std::atomic<long> next{0};
};

struct worker {
    search_run *run = nullptr;
    pthread_t thread{};
    struct lat lat = {};
    long done = 0, errors = 0, zero_hits = 0, hits = 0;
};

/* The query in Xapian's terms, as bench_fts5_match gives it to FTS5: every bare word and
 * every "quoted phrase" ANDed. The query parser splits and stems them as the term generator
 * did at indexing (STEM_SOME: a capitalised word is not stemmed); FLAG_PHRASE alone, so
 * words such as AND or NOT are terms, as they are for FTS5 once quoted. */
Xapian::Query translate(Xapian::QueryParser &qp, const struct bench_query *q)
{
    Xapian::Query query = qp.parse_query(q->q, Xapian::QueryParser::FLAG_PHRASE);
    if (q->source)
        query = Xapian::Query(Xapian::Query::OP_FILTER, query,
                              Xapian::Query(std::string(SOURCE_PREFIX) + q->source));
    return query;
}

void *search_worker(void *arg)
{
    worker *w = static_cast<worker *>(arg);
    search_run *run = w->run;
    try {
        /* Database objects are not shared between threads: one each. */
        Xapian::Database db(run->dbpath);
        Xapian::Stem stem("en");
        Xapian::QueryParser qp;
        qp.set_database(db);
        qp.set_stemmer(stem);
        qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        qp.set_default_op(Xapian::Query::OP_AND);
        Xapian::Enquire rel(db), newest(db);
        rel.set_weighting_scheme(Xapian::BM25Weight());
        newest.set_weighting_scheme(Xapian::BM25Weight());
        newest.set_sort_by_value(SLOT_PUBLISHED, true);
        for (;;) {
            long i = run->next.fetch_add(1);
            if (i >= run->requests || bench_now() > run->deadline)
                break;
            const struct bench_query *q = &run->qs[i % run->nq];
            double t0 = bench_now();
            Xapian::Enquire &enq = q->newest ? newest : rel;
            enq.set_query(translate(qp, q));
            Xapian::MSet mset = enq.get_mset(0, 20);
            size_t bytes = 0;
            int rows = 0;
            for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
                std::string data = it.get_document().get_data();
                bytes += data.size();
                if (run->snippets) {
                    /* the body is the data's last field */
                    size_t at = data.rfind(SEP);
                    std::string body = at == std::string::npos ? data : data.substr(at + 1);
                    bytes += mset.snippet(body, SNIPPET_BYTES, stem, run->snippet_flags, "<mark>",
                                          "</mark>", "…")
                                 .size();
                }
                (void)it.get_weight();
                rows++;
            }
            double ms = (bench_now() - t0) * 1000.0;
            (void)bytes;
            lat_add(&w->lat, ms);
            w->done++;
            w->hits += rows;
            w->zero_hits += rows == 0;
            if (run->dump)
                fprintf(run->dump, "%ld\t%.3f\t%d\n", i % run->nq, ms, rows);
        }
    } catch (const Xapian::Error &e) {
        fprintf(stderr, "xapian_peer: search: %s\n", e.get_description().c_str());
        w->errors++;
    }
    return nullptr;
}

/* Runs requests queries (cycling through the file) on concurrency threads, each with its own
 * database handle, for at most duration seconds. Prints a "search" line (with snippets) or a
 * "search_nosnip" line (without) unless quiet. */
int search(const char *dbpath, const struct bench_query *qs, long nq, int concurrency,
           long requests, double duration, bool snippets, unsigned snippet_flags, bool quiet,
           FILE *dump)
{
    search_run run;
    run.dbpath = dbpath;
    run.qs = qs;
    run.nq = nq;
    run.requests = requests;
    run.deadline = bench_now() + duration;
    run.snippets = snippets;
    run.snippet_flags = snippet_flags;
    run.dump = concurrency == 1 && !quiet ? dump : nullptr;
    worker *w = new worker[concurrency];
    double t0 = bench_now();
    for (int i = 0; i < concurrency; i++) {
        w[i].run = &run;
        pthread_create(&w[i].thread, nullptr, search_worker, &w[i]);
    }
    struct lat all = {};
    long done = 0, errors = 0, zero = 0, hits = 0;
    for (int i = 0; i < concurrency; i++) {
        pthread_join(w[i].thread, nullptr);
        lat_merge(&all, &w[i].lat);
        done += w[i].done;
        errors += w[i].errors;
        zero += w[i].zero_hits;
        hits += w[i].hits;
        lat_free(&w[i].lat);
    }
    double secs = bench_now() - t0;
    delete[] w;
    if (!quiet) {
        json_t *o = json_object();
        json_object_set_new(o, "system", json_string("xapian"));
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

void usage(FILE *f)
{
    fprintf(f, "usage: xapian_peer --db DIR [--articles FILE] [--queries FILE] [--batch 1000]\n"
               "                   [--concurrency 1,16] [--requests N] [--duration S]\n"
               "                   [--snippets on|off|both] [--no-warmup] [--dump FILE]\n"
               "Indexes FILE's articles into a new Xapian database DIR (overwritten), then runs\n"
               "the queries at each concurrency: one untimed pass to warm the cache, then N\n"
               "queries (default: the file's count) or S seconds, whichever ends first; with\n"
               "--snippets both, each level with snippets (op search), then without\n"
               "(op search_nosnip). --dump: one line per timed query with snippets at c=1.\n");
}

} // namespace

int main(int argc, char **argv)
{
    const char *dbpath = nullptr, *articles = nullptr, *queries = nullptr, *conc = "1,16";
    const char *snip = "on";
    unsigned sflags = Xapian::MSet::SNIPPET_EXHAUSTIVE;
    int batch = 1000, warmup = 1;
    long requests = 0;
    double duration = 60;
    FILE *dump = nullptr;
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"articles", required_argument, 0, 'a'},
                                         {"queries", required_argument, 0, 'q'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"concurrency", required_argument, 0, 'c'},
                                         {"requests", required_argument, 0, 'r'},
                                         {"duration", required_argument, 0, 't'},
                                         {"snippets", required_argument, 0, 's'},
                                         {"snippet-flags", required_argument, 0, 'F'},
                                         {"no-warmup", no_argument, 0, 'W'},
                                         {"dump", required_argument, 0, 'D'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:a:q:b:c:r:t:s:F:WD:h", opts, nullptr)) != -1) {
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
        case 's':
            snip = optarg;
            break;
        case 'F':
            sflags = (unsigned)strtoul(optarg, nullptr, 0);
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
    bool with = strcmp(snip, "on") == 0 || strcmp(snip, "both") == 0;
    bool without = strcmp(snip, "off") == 0 || strcmp(snip, "both") == 0;
    if (!dbpath || batch < 1 || nlevels < 1 || duration <= 0 || (!with && !without)) {
        usage(stderr);
        return 2;
    }
    if (articles && ingest(dbpath, articles, batch) != 0)
        return 1;
    if (!queries)
        return 0;
    struct bench_query *qs;
    long nq = bench_queries_load(queries, &qs);
    if (nq <= 0) {
        fprintf(stderr, "xapian_peer: no queries in %s\n", queries);
        return 1;
    }
    if (requests <= 0)
        requests = nq;
    int rc = 0;
    if (warmup)
        search(dbpath, qs, nq, 1, nq, duration, with, sflags, true, nullptr);
    for (int i = 0; i < nlevels; i++) {
        if (with)
            rc |= search(dbpath, qs, nq, levels[i], requests, duration, true, sflags, false, dump);
        if (without)
            rc |= search(dbpath, qs, nq, levels[i], requests, duration, false, sflags, false,
                         with ? nullptr : dump);
    }
    bench_queries_free(qs, nq);
    if (dump)
        fclose(dump);
    return rc ? 1 : 0;
}
