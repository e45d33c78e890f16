/* loadgen.c: HTTP load generator for articled (libcurl multi interface, one thread, C
 * requests in flight on keep-alive connections). Modes: single-article POSTs, _bulk NDJSON
 * batches, search mixes from a query file, plain GETs. Reports throughput, latency
 * percentiles and every non-2xx status as one JSON line. Loopback targets only. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "benchutil.h"

enum mode { MODE_GET, MODE_POST, MODE_BULK, MODE_SEARCH };

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "loadgen: out of memory\n");
            exit(1);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

struct slot {
    CURL *easy;
    int busy;
    struct buf body; /* request body (POST modes) */
    struct buf resp;
    const char *url;
    long items; /* articles carried by this request */
    long index; /* search: which query of the file */
    long hits;
    double t0;
};

struct config {
    enum mode mode;
    const char *base;
    const char *path;
    const char *file;
    const char *label;
    const char *params; /* search: appended to every URL ("&fields=..."), or NULL */
    int concurrency;
    long requests;
    double duration;
    int batch;
    int warmup;
    double timeout;
    FILE *dump; /* search: "query<TAB>ms<TAB>hits" per request, or NULL */
};

struct source {
    const struct config *cfg;
    FILE *f; /* POST and bulk: the NDJSON articles */
    char *line;
    size_t lcap;
    char **urls; /* search: one prebuilt URL per query; get: one URL */
    long nurls;
    long issued;
    int eof;
    char post_url[512];
};

struct stats {
    struct lat lat;
    long done, ok, non2xx, transport, items_ok, item_errors, zero_hits, hits, bad_shape;
    long status[600];
    int printed_errors;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    buf_add(b, p, size * n);
    return size * n;
}

/* Fills the slot with the next request. Returns 1, or 0 when there is none left. */
static int next_request(struct source *src, struct slot *s, long limit)
{
    const struct config *cfg = src->cfg;
    if (src->eof || src->issued >= limit)
        return 0;
    s->body.len = 0;
    s->items = 0;
    switch (cfg->mode) {
    case MODE_GET:
    case MODE_SEARCH:
        s->index = src->issued % src->nurls;
        s->url = src->urls[s->index];
        break;
    case MODE_POST:
    case MODE_BULK: {
        int want = cfg->mode == MODE_POST ? 1 : cfg->batch;
        ssize_t len;
        while (s->items < want && (len = getline(&src->line, &src->lcap, src->f)) > 0) {
            if (len <= 1)
                continue;
            buf_add(&s->body, src->line, (size_t)len);
            s->items++;
        }
        if (s->items == 0) {
            src->eof = 1;
            return 0;
        }
        s->url = src->post_url;
        break;
    }
    }
    src->issued++;
    return 1;
}

static struct curl_slist *headers_for(enum mode mode)
{
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    if (mode == MODE_POST)
        h = curl_slist_append(h, "Content-Type: application/json");
    else if (mode == MODE_BULK)
        h = curl_slist_append(h, "Content-Type: application/x-ndjson");
    h = curl_slist_append(h, "Accept: application/json");
    return h;
}

static void start(CURLM *multi, struct slot *s, const struct config *cfg, struct curl_slist *h)
{
    CURL *e = s->easy;
    curl_easy_reset(e);
    s->resp.len = 0;
    curl_easy_setopt(e, CURLOPT_URL, s->url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &s->resp);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout * 1000));
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
    if (cfg->mode == MODE_POST || cfg->mode == MODE_BULK) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body.p);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body.len);
    }
    s->busy = 1;
    s->t0 = bench_now();
    curl_multi_add_handle(multi, e);
}

/* Reads what the service said: bulk item statuses, search hit counts. */
static void inspect(const struct config *cfg, struct slot *s, long code, struct stats *st)
{
    if (cfg->mode == MODE_POST) {
        if (code >= 200 && code < 300)
            st->items_ok += s->items;
        return;
    }
    if (cfg->mode != MODE_BULK && cfg->mode != MODE_SEARCH)
        return;
    if (code < 200 || code >= 300)
        return;
    json_error_t err;
    json_t *o = json_loadb(s->resp.p ? s->resp.p : "", s->resp.len, 0, &err);
    if (cfg->mode == MODE_BULK) {
        json_t *items = json_object_get(o, "items");
        if (!json_is_array(items)) {
            st->bad_shape++;
        } else {
            size_t i;
            json_t *it;
            json_array_foreach(items, i, it)
            {
                json_int_t status = json_integer_value(json_object_get(it, "status"));
                if (status >= 200 && status < 300) {
                    st->items_ok++;
                } else {
                    st->item_errors++;
                    if (st->printed_errors++ < 5) {
                        char *d = json_dumps(it, JSON_COMPACT);
                        fprintf(stderr, "loadgen: bulk item: %s\n", d ? d : "?");
                        free(d);
                    }
                }
            }
        }
    } else {
        json_t *hits = json_object_get(o, "hits");
        s->hits = json_is_array(hits) ? (long)json_array_size(hits) : -1;
        if (!json_is_array(hits)) {
            st->bad_shape++;
        } else {
            st->hits += (long)json_array_size(hits);
            st->zero_hits += json_array_size(hits) == 0;
        }
    }
    json_decref(o);
}

/* Runs requests through the multi handle until limit requests, the end of the input or the
 * deadline, with cfg->concurrency in flight. Records into st when it is not NULL. */
static void run(const struct config *cfg, struct source *src, long limit, double duration,
                struct stats *st)
{
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->concurrency);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)cfg->concurrency);
    struct curl_slist *h = headers_for(cfg->mode);
    struct slot *slots = calloc((size_t)cfg->concurrency, sizeof *slots);
    for (int i = 0; i < cfg->concurrency; i++)
        slots[i].easy = curl_easy_init();
    double deadline = bench_now() + duration;
    int active = 0, more = 1;
    for (;;) {
        for (int i = 0; more && i < cfg->concurrency; i++) {
            if (slots[i].busy)
                continue;
            if (bench_now() > deadline || !next_request(src, &slots[i], limit)) {
                more = 0;
                break;
            }
            start(multi, &slots[i], cfg, h);
            active++;
        }
        if (active == 0)
            break;
        int running;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int queued, freed = 0;
        while ((msg = curl_multi_info_read(multi, &queued))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct slot *s = NULL;
            for (int i = 0; i < cfg->concurrency; i++)
                if (slots[i].easy == msg->easy_handle)
                    s = &slots[i];
            double ms = (bench_now() - s->t0) * 1000.0;
            CURLcode rc = msg->data.result;
            curl_multi_remove_handle(multi, s->easy);
            s->busy = 0;
            active--;
            freed++;
            if (!st)
                continue;
            st->done++;
            if (rc != CURLE_OK) {
                st->transport++;
                if (st->printed_errors++ < 5)
                    fprintf(stderr, "loadgen: %s: %s\n", s->url, curl_easy_strerror(rc));
                continue;
            }
            long code = 0;
            curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
            if (code >= 0 && code < 600)
                st->status[code]++;
            if (code >= 200 && code < 300) {
                st->ok++;
            } else {
                st->non2xx++;
                if (st->printed_errors++ < 5)
                    fprintf(stderr, "loadgen: %s: HTTP %ld: %.300s\n", s->url, code,
                            s->resp.p ? s->resp.p : "");
            }
            lat_add(&st->lat, ms);
            s->hits = -1;
            inspect(cfg, s, code, st);
            if (cfg->dump && cfg->mode == MODE_SEARCH)
                fprintf(cfg->dump, "%ld\t%.3f\t%ld\n", s->index, ms, s->hits);
        }
        /* A finished request is replaced at once; otherwise wait for the sockets. */
        if (!(freed && more))
            curl_multi_poll(multi, NULL, 0, 50, NULL);
    }
    for (int i = 0; i < cfg->concurrency; i++) {
        curl_easy_cleanup(slots[i].easy);
        free(slots[i].body.p);
        free(slots[i].resp.p);
    }
    free(slots);
    curl_slist_free_all(h);
    curl_multi_cleanup(multi);
}

static char *search_url(CURL *e, const char *base, const struct bench_query *q, const char *params)
{
    struct buf b = {0};
    char *qe = curl_easy_escape(e, q->q, 0);
    buf_add(&b, base, strlen(base));
    buf_add(&b, "/v1/search?q=", 13);
    buf_add(&b, qe, strlen(qe));
    buf_add(&b, "&limit=20", 9);
    curl_free(qe);
    if (q->source) {
        char *se = curl_easy_escape(e, q->source, 0);
        buf_add(&b, "&source=", 8);
        buf_add(&b, se, strlen(se));
        curl_free(se);
    }
    if (q->newest)
        buf_add(&b, "&sort=newest", 12);
    if (params)
        buf_add(&b, params, strlen(params));
    return b.p;
}

static const char *mode_name(enum mode m)
{
    return m == MODE_GET ? "get" : m == MODE_POST ? "post" : m == MODE_BULK ? "bulk" : "search";
}

static void usage(FILE *f)
{
    fprintf(f, "usage: loadgen --url http://127.0.0.1:PORT --mode get|post|bulk|search\n"
               "               [--file FILE] [--path /healthz] [--concurrency C] [--requests N]\n"
               "               [--duration S] [--batch 10000] [--warmup] [--label NAME]\n"
               "               [--timeout S] [--dump FILE] [--params '&fields=...']\n"
               "post: one POST /v1/articles per line of FILE; bulk: POST /v1/articles/_bulk with\n"
               "BATCH lines each; search: GET /v1/search for each query of FILE (cycling), after\n"
               "one untimed pass with --warmup; get: GET PATH. Stops after N requests, at the end\n"
               "of FILE or after S seconds, whichever comes first. Prints one JSON line.\n"
               "--dump writes one line per timed search: query index, ms, hits. --params is\n"
               "appended as given (already escaped) to every search URL.\n");
}

int main(int argc, char **argv)
{
    struct config cfg = {.mode = MODE_GET,
                         .path = "/healthz",
                         .label = "articled",
                         .concurrency = 1,
                         .requests = 0,
                         .duration = 30,
                         .batch = 10000,
                         .timeout = 120};
    static const struct option opts[] = {{"url", required_argument, 0, 'u'},
                                         {"mode", required_argument, 0, 'm'},
                                         {"file", required_argument, 0, 'f'},
                                         {"path", required_argument, 0, 'p'},
                                         {"concurrency", required_argument, 0, 'c'},
                                         {"requests", required_argument, 0, 'n'},
                                         {"duration", required_argument, 0, 'd'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"warmup", no_argument, 0, 'w'},
                                         {"label", required_argument, 0, 'l'},
                                         {"timeout", required_argument, 0, 'T'},
                                         {"dump", required_argument, 0, 'D'},
                                         {"params", required_argument, 0, 'P'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    const char *mode = "get";
    while ((c = getopt_long(argc, argv, "u:m:f:p:c:n:d:b:wl:T:D:P:h", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            cfg.base = optarg;
            break;
        case 'm':
            mode = optarg;
            break;
        case 'f':
            cfg.file = optarg;
            break;
        case 'p':
            cfg.path = optarg;
            break;
        case 'c':
            cfg.concurrency = atoi(optarg);
            break;
        case 'n':
            cfg.requests = atol(optarg);
            break;
        case 'd':
            cfg.duration = atof(optarg);
            break;
        case 'b':
            cfg.batch = atoi(optarg);
            break;
        case 'w':
            cfg.warmup = 1;
            break;
        case 'l':
            cfg.label = optarg;
            break;
        case 'T':
            cfg.timeout = atof(optarg);
            break;
        case 'P':
            cfg.params = optarg;
            break;
        case 'D':
            cfg.dump = fopen(optarg, "w");
            if (!cfg.dump) {
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
    if (strcmp(mode, "get") == 0)
        cfg.mode = MODE_GET;
    else if (strcmp(mode, "post") == 0)
        cfg.mode = MODE_POST;
    else if (strcmp(mode, "bulk") == 0)
        cfg.mode = MODE_BULK;
    else if (strcmp(mode, "search") == 0)
        cfg.mode = MODE_SEARCH;
    else
        cfg.base = NULL;
    if (!cfg.base || cfg.concurrency < 1 || cfg.concurrency > 1024 || cfg.batch < 1 ||
        cfg.batch > 10000 || cfg.duration <= 0 || (cfg.mode != MODE_GET && !cfg.file)) {
        usage(stderr);
        return 2;
    }
    /* Load goes to this machine only. */
    if (strncmp(cfg.base, "http://127.", 11) != 0 && strncmp(cfg.base, "http://[::1]", 12) != 0 &&
        strncmp(cfg.base, "http://localhost", 16) != 0) {
        fprintf(stderr, "loadgen: %s is not a loopback address\n", cfg.base);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *helper = curl_easy_init();

    struct source src = {.cfg = &cfg};
    struct bench_query *qs = NULL;
    long nq = 0;
    if (cfg.mode == MODE_SEARCH) {
        nq = bench_queries_load(cfg.file, &qs);
        if (nq <= 0) {
            fprintf(stderr, "loadgen: no queries in %s\n", cfg.file);
            return 1;
        }
        src.urls = calloc((size_t)nq, sizeof *src.urls);
        for (long i = 0; i < nq; i++)
            src.urls[i] = search_url(helper, cfg.base, &qs[i], cfg.params);
        src.nurls = nq;
    } else if (cfg.mode == MODE_GET) {
        src.urls = calloc(1, sizeof *src.urls);
        struct buf b = {0};
        buf_add(&b, cfg.base, strlen(cfg.base));
        buf_add(&b, cfg.path, strlen(cfg.path));
        src.urls[0] = b.p;
        src.nurls = 1;
    } else {
        src.f = fopen(cfg.file, "r");
        if (!src.f) {
            perror(cfg.file);
            return 1;
        }
        snprintf(src.post_url, sizeof src.post_url, "%s%s", cfg.base,
                 cfg.mode == MODE_POST ? "/v1/articles" : "/v1/articles/_bulk");
    }
    long limit = cfg.requests > 0 ? cfg.requests : cfg.mode == MODE_SEARCH ? nq : 1L << 40;
    if (cfg.mode == MODE_SEARCH && cfg.warmup) {
        run(&cfg, &src, nq, cfg.duration, NULL);
        src.issued = 0;
    }

    static struct stats st;
    double t0 = bench_now();
    run(&cfg, &src, limit, cfg.duration, &st);
    double secs = bench_now() - t0;

    json_t *o = json_object();
    json_object_set_new(o, "system", json_string(cfg.label));
    json_object_set_new(o, "op", json_string(mode_name(cfg.mode)));
    json_object_set_new(o, "concurrency", json_integer(cfg.concurrency));
    if (cfg.mode == MODE_BULK)
        json_object_set_new(o, "batch", json_integer(cfg.batch));
    json_object_set_new(o, "requests", json_integer(st.done));
    json_object_set_new(o, "ok", json_integer(st.ok));
    json_object_set_new(o, "non2xx", json_integer(st.non2xx));
    json_object_set_new(o, "transport_errors", json_integer(st.transport));
    json_t *codes = json_object();
    for (int i = 0; i < 600; i++) {
        if (st.status[i]) {
            char k[8];
            snprintf(k, sizeof k, "%d", i);
            json_object_set_new(codes, k, json_integer(st.status[i]));
        }
    }
    json_object_set_new(o, "status", codes);
    json_object_set_new(o, "seconds", json_real(secs));
    json_object_set_new(o, "rps", json_real(secs > 0 ? (double)st.done / secs : 0));
    if (cfg.mode == MODE_SEARCH)
        json_object_set_new(o, "qps", json_real(secs > 0 ? (double)st.ok / secs : 0));
    if (cfg.mode == MODE_POST || cfg.mode == MODE_BULK) {
        json_object_set_new(o, "articles", json_integer(st.items_ok));
        json_object_set_new(o, "articles_per_s",
                            json_real(secs > 0 ? (double)st.items_ok / secs : 0));
        if (cfg.mode == MODE_BULK)
            json_object_set_new(o, "item_errors", json_integer(st.item_errors));
    }
    lat_to_json(&st.lat, o);
    if (cfg.mode == MODE_SEARCH) {
        json_object_set_new(o, "zero_hits", json_integer(st.zero_hits));
        json_object_set_new(o, "hits_mean", json_real(st.ok ? (double)st.hits / (double)st.ok : 0));
    }
    if (st.bad_shape)
        json_object_set_new(o, "bad_responses", json_integer(st.bad_shape));
    bench_emit(o);

    lat_free(&st.lat);
    for (long i = 0; i < src.nurls; i++)
        free(src.urls[i]);
    free(src.urls);
    free(src.line);
    if (src.f)
        fclose(src.f);
    if (cfg.dump)
        fclose(cfg.dump);
    bench_queries_free(qs, nq);
    curl_easy_cleanup(helper);
    curl_global_cleanup();
    return st.done > 0 && st.transport == 0 ? 0 : 1;
}
