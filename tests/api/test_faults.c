/* Black-box fault tests: kill -9 in the middle of sustained _bulk ingest, a
 * full disk (a small tmpfs, and RLIMIT_FSIZE), unusable database files at
 * start, and clients that break off their uploads. Each test starts the real
 * binary (apitest.h, fault.h) and checks what a client or an operator sees,
 * then the database file itself with SQLite. ARTICLED_FAULT_SEED picks the
 * kill moments and the text (default: fixed, logged). */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apitest.h"
#include "fault.h"

TestSuite(faults, .timeout = 180);

/* ---- what every test shares, cleaned up in fini even after a failure ---- */

static struct {
    struct apitest_server srv; /* the running server, if any */
    char dir[256];             /* this test's temp directory */
    char mnt[320];             /* a tmpfs mounted by the test, if any */
} fx;

static void fx_init(void)
{
    memset(&fx, 0, sizeof fx);
    curl_global_init(CURL_GLOBAL_ALL);
    cr_assert_eq(fault_tmpdir(fx.dir, sizeof fx.dir), 0, "cannot make a temp directory");
}

static void fx_fini(void)
{
    if (fx.srv.pid > 0)
        apitest_kill9(&fx.srv);
    fault_tmpfs_umount(fx.mnt);
    fault_rmtree(fx.dir);
}

static uint64_t fault_seed(void)
{
    const char *s = getenv("ARTICLED_FAULT_SEED");
    return s ? strtoull(s, NULL, 0) : 0x5eed2024ULL;
}

/* Sanitizer reports (ASan build) in a server log are failures. */
static void expect_log_clean(const char *log)
{
    static const char *const bad[] = {"AddressSanitizer", "LeakSanitizer",
                                      "runtime error:", "UndefinedBehaviorSanitizer", NULL};
    for (size_t i = 0; bad[i] != NULL; i++)
        cr_expect(!fault_file_contains(log, bad[i]), "%s in the server log %s", bad[i], log);
}

/* ---- growing strings and lists ------------------------------------------- */
/* (also used by writer threads, where a Criterion assertion must not jump:
 * running out of memory aborts) */

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_addf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            abort();
        if (b->p != NULL && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
            abort();
    }
}

static void sb_reset(struct sbuf *b)
{
    b->len = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

static void sb_free(struct sbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* An acknowledged article: its id and a word only its body has. */
struct acked {
    char id[48];
    char token[32];
    int deleted;
};

struct acklist {
    struct acked *v;
    size_t n, cap;
};

static void ack_add(struct acklist *l, const char *id, const char *token)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (l->v == NULL)
            abort();
    }
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    snprintf(l->v[l->n].id, sizeof l->v[l->n].id, "%s", id);
    snprintf(l->v[l->n].token, sizeof l->v[l->n].token, "%s", token);
    l->n++;
}

static void ack_append(struct acklist *to, const struct acklist *from)
{
    for (size_t i = 0; i < from->n; i++)
        ack_add(to, from->v[i].id, from->v[i].token);
}

static size_t ack_live(const struct acklist *l)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += !l->v[i].deleted;
    return n;
}

/* Article text: random words around the token, and a shared sign-off. The
 * same (seed, id) always gives the same body, so a re-send is identical. */
static void article_body(uint64_t seed, const char *id, const char *token, unsigned words,
                         struct sbuf *out)
{
    uint64_t st = seed;
    size_t size = (size_t)words * 11 + 16; /* words of at most 9 letters, a space */
    char *buf = malloc(size);
    if (buf == NULL)
        abort();
    for (const char *p = id; *p; p++)
        st = st * 131 + (unsigned char)*p;
    sb_reset(out);
    fault_words(&st, words / 2, buf, 0, size);
    sb_addf(out, "%s %s ", buf, token);
    fault_words(&st, words - words / 2, buf, 0, size);
    sb_addf(out, "%s. Reporting by the fault desk; editing by the test suite.", buf);
    free(buf);
}

/* {"id":..,"title":..,"body":..} for an article; words of lower-case letters
 * need no JSON escaping. */
static void article_json(struct sbuf *out, uint64_t seed, const char *id, const char *token,
                         unsigned words)
{
    struct sbuf body = {0};
    article_body(seed, id, token, words, &body);
    sb_addf(out, "{\"id\":\"%s\",\"title\":\"Fault test %s\",\"body\":\"%s\"}", id, id, body.p);
    sb_free(&body);
}

/* Checks over HTTP that every live article of l is stored (GET) and found by
 * its token (search, exactly that one hit). Returns how many are not. */
static size_t verify_http(struct fault_client *c, const struct acklist *l, const char *what)
{
    size_t bad = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct acked *a = &l->v[i];
        struct apitest_resp g, s;
        char path[256];
        long long total = -1;
        const char *hit = NULL;
        int ok;
        if (a->deleted)
            continue;
        snprintf(path, sizeof path, "/v1/articles/%s", a->id);
        fault_request(c, "GET", path, NULL, NULL, 0, &g);
        snprintf(path, sizeof path, "/v1/search?q=%s", a->token);
        fault_request(c, "GET", path, NULL, NULL, 0, &s);
        if (s.json != NULL) {
            json_t *hits = json_object_get(s.json, "hits");
            total = json_integer_value(json_object_get(s.json, "total"));
            hit = json_string_value(json_object_get(json_array_get(hits, 0), "id"));
        }
        ok = g.status == 200 && strstr(g.body, a->token) != NULL && s.status == 200 && total == 1 &&
             hit != NULL && strcmp(hit, a->id) == 0;
        if (!ok && ++bad <= 5)
            cr_log_error("%s: acknowledged %s (token %s): GET %ld, search %ld total %lld hit %s",
                         what, a->id, a->token, g.status, s.status, total, hit ? hit : "-");
        apitest_resp_free(&g);
        apitest_resp_free(&s);
    }
    return bad;
}

/* Checks with SQLite that every live article of l is in the file at path and
 * that the FTS5 index finds it by its token. Returns how many are not. */
static size_t verify_sql(const char *path, const struct acklist *l)
{
    sqlite3 *db = NULL;
    size_t bad = 0;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (size_t i = 0; i < l->n; i++) {
        int has;
        if (l->v[i].deleted)
            continue;
        has = fault_db_has(db, l->v[i].id, l->v[i].token);
        if (has != 1 && ++bad <= 5)
            cr_log_error("%s: acknowledged %s (token %s) %s", path, l->v[i].id, l->v[i].token,
                         has < 0 ? "could not be looked up" : "is missing or not indexed");
    }
    sqlite3_close_v2(db);
    return bad;
}

/* The whole-file checks: SQLite's and FTS5's integrity checks, and one
 * fingerprint set per article with no leftovers of gone articles, in
 * article_fps or in fp_index. */
static void expect_db_sound(const char *path, const char *when)
{
    struct fault_db_report rep;
    cr_expect_eq(fault_db_check(path, &rep), 0, "%s: the checks did not run on %s (%s)", when, path,
                 rep.integrity);
    cr_expect_str_eq(rep.integrity, "ok", "%s: PRAGMA integrity_check: %s", when, rep.integrity);
    cr_expect_str_eq(rep.fts, "ok", "%s: FTS5 integrity-check: %s", when, rep.fts);
    cr_expect_str_eq(rep.fts_content, "ok", "%s: FTS5 integrity-check against articles: %s", when,
                     rep.fts_content);
    cr_expect_eq(rep.fps, rep.articles, "%s: %lld fingerprint sets for %lld articles", when,
                 rep.fps, rep.articles);
    cr_expect_eq(rep.fps_orphans, 0, "%s: %lld fingerprint sets of gone articles", when,
                 rep.fps_orphans);
    cr_expect_str_eq(rep.fp_index, "ok", "%s: fp_index integrity-check: %s", when, rep.fp_index);
    cr_expect_eq(rep.postings_extra, 0, "%s: fp_index holds %lld postings beyond the index sets",
                 when, rep.postings_extra);
}

static long long readyz_articles(struct fault_client *c)
{
    struct apitest_resp r;
    long long n = -1;
    if (fault_request(c, "GET", "/readyz", NULL, NULL, 0, &r) == 0 && r.status == 200)
        n = json_integer_value(json_object_get(r.json, "articles"));
    apitest_resp_free(&r);
    return n;
}

/* ========================================================================= */
/* 1. kill -9 during sustained _bulk ingest                                  */
/* ========================================================================= */

#define K9_ROUNDS       5
#define K9_THREADS      3 /* two post _bulk batches, one single articles */
#define K9_BATCH        40
#define K9_RESEND       4 /* earlier acknowledged lines re-sent in each batch (200) */
#define K9_MAX_REQUESTS 5000
#define K9_WORDS        60

struct k9_writer {
    unsigned port;
    int round, thread, bulk;
    uint64_t seed, rng;
    atomic_int *stop;
    atomic_int *acks;
    struct acklist acked; /* acknowledged in this round */
    size_t requests, next;
    int unexpected;
    char first_unexpected[512];
    int hit_bound;                   /* stopped for its request bound, not for the kill */
    size_t inflight;                 /* new lines of the _bulk cut off by the kill */
    char inflight_ids[K9_BATCH][48]; /* their ids: all stored, or none */
};

static void k9_unexpected(struct k9_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void k9_unexpected(struct k9_writer *w, const char *fmt, ...)
{
    va_list ap;
    if (w->unexpected++ > 0)
        return;
    va_start(ap, fmt);
    vsnprintf(w->first_unexpected, sizeof w->first_unexpected, fmt, ap);
    va_end(ap);
}

static void k9_names(const struct k9_writer *w, size_t n, char *id, size_t idsz, char *token,
                     size_t toksz)
{
    snprintf(id, idsz, "k9r%dt%dn%zu", w->round, w->thread, n);
    snprintf(token, toksz, "fxr%dt%dn%zu", w->round, w->thread, n);
}

/* One _bulk request: K9_BATCH new articles and a few re-sent acknowledged
 * ones. Returns -1 when the server is gone. */
static int k9_bulk_once(struct k9_writer *w, struct fault_client *c, struct sbuf *nd)
{
    char ids[K9_BATCH + K9_RESEND][48], toks[K9_BATCH + K9_RESEND][32];
    int expect[K9_BATCH + K9_RESEND];
    size_t nlines = 0;
    struct apitest_resp r;
    json_t *items;

    sb_reset(nd);
    for (size_t i = 0; i < K9_BATCH; i++, nlines++) {
        k9_names(w, w->next++, ids[nlines], sizeof ids[0], toks[nlines], sizeof toks[0]);
        expect[nlines] = 201;
    }
    for (size_t i = 0; i < K9_RESEND && w->acked.n > 0; i++, nlines++) {
        const struct acked *a = &w->acked.v[fault_rand(&w->rng) % w->acked.n];
        snprintf(ids[nlines], sizeof ids[0], "%s", a->id);
        snprintf(toks[nlines], sizeof toks[0], "%s", a->token);
        expect[nlines] = 200; /* already stored: a replace with the same text */
    }
    for (size_t i = 0; i < nlines; i++) {
        article_json(nd, w->seed, ids[i], toks[i], K9_WORDS);
        sb_addf(nd, "\n");
    }
    if (fault_request(c, "POST", "/v1/articles/_bulk", "application/x-ndjson", nd->p, nd->len,
                      &r) != 0) {
        for (size_t i = 0; i < K9_BATCH; i++)
            snprintf(w->inflight_ids[i], sizeof w->inflight_ids[i], "%.47s", ids[i]);
        w->inflight = K9_BATCH;
        apitest_resp_free(&r);
        return -1;
    }
    items = json_object_get(r.json, "items");
    if (r.status != 200 || json_array_size(items) != nlines) {
        k9_unexpected(w, "_bulk answered %ld with %zu items for %zu lines: %.200s", r.status,
                      json_array_size(items), nlines, r.body);
    } else {
        for (size_t i = 0; i < nlines; i++) {
            json_t *it = json_array_get(items, i);
            long st = (long)json_integer_value(json_object_get(it, "status"));
            long line = (long)json_integer_value(json_object_get(it, "line"));
            if (line != (long)i + 1 || st != expect[i]) {
                k9_unexpected(w, "_bulk line %zu (%s): status %ld (expected %d), line %ld", i + 1,
                              ids[i], st, expect[i], line);
                continue;
            }
            if (expect[i] == 201) {
                ack_add(&w->acked, ids[i], toks[i]);
                atomic_fetch_add(w->acks, 1);
            }
        }
    }
    apitest_resp_free(&r);
    return 0;
}

/* One single write: POST a new article, or PUT one (new, or an acknowledged
 * one again). Returns -1 when the server is gone. */
static int k9_single_once(struct k9_writer *w, struct fault_client *c, struct sbuf *js)
{
    char id[48], token[32], path[128];
    const char *method = "POST";
    int expect = 201;
    struct apitest_resp r;
    uint64_t pick = fault_rand(&w->rng) % 10;

    snprintf(path, sizeof path, "/v1/articles");
    if (pick == 0 && w->acked.n > 0) {
        const struct acked *a = &w->acked.v[fault_rand(&w->rng) % w->acked.n];
        snprintf(id, sizeof id, "%s", a->id);
        snprintf(token, sizeof token, "%s", a->token);
        method = "PUT";
        expect = 200;
    } else {
        k9_names(w, w->next++, id, sizeof id, token, sizeof token);
        if (pick == 1)
            method = "PUT";
    }
    if (strcmp(method, "PUT") == 0)
        snprintf(path, sizeof path, "/v1/articles/%s", id);
    sb_reset(js);
    article_json(js, w->seed, id, token, K9_WORDS);
    if (fault_request(c, method, path, "application/json", js->p, js->len, &r) != 0) {
        apitest_resp_free(&r);
        return -1;
    }
    if (r.status != expect)
        k9_unexpected(w, "%s %s answered %ld (expected %d): %.200s", method, path, r.status, expect,
                      r.body);
    else if (expect == 201) {
        ack_add(&w->acked, id, token);
        atomic_fetch_add(w->acks, 1);
    }
    apitest_resp_free(&r);
    return 0;
}

static void *k9_write(void *p)
{
    struct k9_writer *w = p;
    struct fault_client c;
    struct sbuf buf = {0};
    long long deadline = fault_now_ms() + 30000;

    if (fault_client_init(&c, w->port) != 0)
        return NULL;
    while (!atomic_load(w->stop)) {
        if (w->requests >= K9_MAX_REQUESTS || fault_now_ms() > deadline) {
            w->hit_bound = 1;
            break;
        }
        w->requests++;
        if ((w->bulk ? k9_bulk_once(w, &c, &buf) : k9_single_once(w, &c, &buf)) != 0)
            break; /* the server is gone */
    }
    sb_free(&buf);
    fault_client_free(&c);
    return NULL;
}

Test(faults, kill9_during_sustained_bulk_loses_no_ack, .init = fx_init, .fini = fx_fini)
{
    uint64_t seed = fault_seed(), rng = seed ^ 0x9e9e;
    struct acklist all = {0};
    char db[320], log[320], copy[340], copywal[360], wal[340];
    struct fault_client c;
    size_t total_requests = 0, inflight_bulks = 0, inflight_stored = 0;

    snprintf(db, sizeof db, "%s/k9.db", fx.dir);
    snprintf(log, sizeof log, "%s/server.log", fx.dir);
    snprintf(wal, sizeof wal, "%s-wal", db);
    snprintf(copy, sizeof copy, "%s/crash-copy.db", fx.dir);
    snprintf(copywal, sizeof copywal, "%s-wal", copy);
    cr_log_info("kill -9 rounds: seed %#llx (ARTICLED_FAULT_SEED)", (unsigned long long)seed);
    cr_assert_eq(fault_start(&fx.srv, db, log, NULL, NULL), 0, "the server did not start");

    for (int round = 0; round < K9_ROUNDS; round++) {
        struct k9_writer w[K9_THREADS];
        pthread_t t[K9_THREADS];
        atomic_int stop = 0, acks = 0;
        long delay = 150 + (long)(fault_rand(&rng) % 1850);
        int running = 0, unexpected = 0;
        size_t round_acked = 0, bad;
        long long waited;

        for (int i = 0; i < K9_THREADS; i++) {
            memset(&w[i], 0, sizeof w[i]);
            w[i].port = fx.srv.port;
            w[i].round = round;
            w[i].thread = i;
            w[i].bulk = i < K9_THREADS - 1;
            w[i].seed = seed;
            w[i].rng = seed + (uint64_t)(round * 16 + i);
            w[i].stop = &stop;
            w[i].acks = &acks;
            cr_assert_eq(pthread_create(&t[i], NULL, k9_write, &w[i]), 0);
        }
        /* kill at a random moment once acknowledgements are flowing */
        for (waited = 0; waited < 20000 && atomic_load(&acks) == 0; waited += 5)
            usleep(5000);
        usleep((useconds_t)delay * 1000);
        for (int i = 0; i < K9_THREADS; i++)
            running += !w[i].hit_bound;
        apitest_kill9(&fx.srv);
        atomic_store(&stop, 1);
        for (int i = 0; i < K9_THREADS; i++)
            pthread_join(t[i], NULL);
        for (int i = 0; i < K9_THREADS; i++) {
            total_requests += w[i].requests;
            round_acked += w[i].acked.n;
            unexpected += w[i].unexpected;
            cr_expect_eq(w[i].unexpected, 0, "round %d writer %d: %d unexpected answers, first: %s",
                         round, i, w[i].unexpected, w[i].first_unexpected);
        }
        cr_expect_eq(running, K9_THREADS, "round %d: writers had stopped before the kill", round);
        cr_assert_gt(round_acked, 0, "round %d: nothing acknowledged before the kill", round);
        expect_log_clean(log);

        /* The files as the crash left them (copied: the server's own recovery
         * comes next) must pass every check once SQLite replays the WAL. */
        cr_assert_eq(fault_copy_file(db, copy), 0);
        unlink(copywal);
        if (fault_copy_file(wal, copywal) != 0)
            cr_log_info("round %d: no WAL file at the kill", round);
        {
            char when[64];
            snprintf(when, sizeof when, "round %d, crash copy", round);
            expect_db_sound(copy, when);
        }
        unlink(copy);
        unlink(copywal);

        cr_assert_eq(fault_start(&fx.srv, db, log, NULL, NULL), 0,
                     "round %d: the server did not restart after kill -9", round);
        cr_assert_eq(fault_client_init(&c, fx.srv.port), 0);
        {
            struct acklist round_list = {0};
            for (int i = 0; i < K9_THREADS; i++)
                ack_append(&round_list, &w[i].acked);
            bad = verify_http(&c, &round_list, "after kill -9");
            cr_expect_eq(bad, 0, "round %d: %zu of %zu acknowledged articles lost or unsearchable",
                         round, bad, round_list.n);
            ack_append(&all, &round_list);
            free(round_list.v);
        }
        cr_expect_geq(readyz_articles(&c), (long long)all.n,
                      "round %d: fewer articles than acknowledged", round);
        /* a _bulk is one batch: the one the kill cut off is all there or not at all */
        for (int i = 0; i < K9_THREADS; i++) {
            size_t present = 0;
            for (size_t k = 0; k < w[i].inflight; k++) {
                struct apitest_resp g;
                char path[96];
                snprintf(path, sizeof path, "/v1/articles/%s", w[i].inflight_ids[k]);
                fault_request(&c, "GET", path, NULL, NULL, 0, &g);
                present += g.status == 200;
                apitest_resp_free(&g);
            }
            cr_expect(present == 0 || present == w[i].inflight,
                      "round %d: %zu of the %zu lines of a cut-off _bulk were stored", round,
                      present, w[i].inflight);
            if (w[i].inflight > 0)
                inflight_bulks++, inflight_stored += present == w[i].inflight;
        }
        fault_client_free(&c);
        cr_log_info("round %d: killed %ld ms after the first ack, %zu acknowledged (%d unexpected)",
                    round, delay, round_acked, unexpected);
        for (int i = 0; i < K9_THREADS; i++)
            free(w[i].acked.v);
    }

    cr_expect_eq(apitest_stop(&fx.srv), 0, "exit status after SIGTERM");
    expect_log_clean(log);
    expect_db_sound(db, "after the last round");
    {
        size_t bad = verify_sql(db, &all);
        cr_expect_eq(bad, 0, "%zu of %zu acknowledged articles missing from the file", bad, all.n);
    }
    cr_log_info("kill -9: %d rounds, %zu requests, %zu acknowledged articles verified; "
                "%zu _bulk requests cut off by the kill, %zu of them stored whole, none in part",
                K9_ROUNDS, total_requests, all.n, inflight_bulks, inflight_stored);
    free(all.v);
}

/* ========================================================================= */
/* 2. a full disk                                                            */
/* ========================================================================= */

/* What the writes of a disk-full test saw. */
struct full_tally {
    size_t written;         /* articles acknowledged */
    size_t refused;         /* writes refused with 507 or 503 (bulk: items) */
    size_t refused_507;     /* of those, 507 */
    size_t refused_503;     /* of those, 503 */
    size_t single_refusals; /* single POST/PUT/DELETE refused with a proper problem */
    size_t other;           /* anything else: a failure of the test */
    char first_other[512];
    size_t n; /* next article number */
};

static void tally_other(struct full_tally *t, const char *what, const struct apitest_resp *r)
{
    if (t->other++ == 0)
        snprintf(t->first_other, sizeof t->first_other, "%s answered %ld: %.300s", what, r->status,
                 r->body ? r->body : "(no answer)");
}

/* A refused write must be a 507 (or 503) problem with Retry-After. */
static int tally_refusal(struct full_tally *t, const char *what, const struct apitest_resp *r)
{
    if ((apitest_is_problem(r, 507) || apitest_is_problem(r, 503)) && r->retry_after[0] != '\0') {
        t->refused++;
        t->single_refusals++;
        if (r->status == 507)
            t->refused_507++;
        else
            t->refused_503++;
        return 1;
    }
    tally_other(t, what, r);
    return 0;
}

/* Posts one _bulk of n new articles (words each). Acknowledged ones go to
 * acked; returns how many items were refused for space (507/503). */
static size_t full_bulk(struct fault_client *c, struct full_tally *t, struct acklist *acked,
                        const char *prefix, size_t n, unsigned words, uint64_t seed)
{
    struct sbuf nd = {0};
    char ids[64][48], toks[64][32];
    struct apitest_resp r;
    json_t *items;
    size_t refused = 0;

    cr_assert_leq(n, 64);
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "%s%zu", prefix, t->n);
        snprintf(toks[i], sizeof toks[i], "fx%sn%zu", prefix, t->n++);
        article_json(&nd, seed, ids[i], toks[i], words);
        sb_addf(&nd, "\n");
    }
    if (fault_request(c, "POST", "/v1/articles/_bulk", "application/x-ndjson", nd.p, nd.len, &r) !=
        0) {
        tally_other(t, "_bulk (transport error)", &r);
    } else if (r.status == 507 || r.status == 503) {
        if (tally_refusal(t, "_bulk", &r))
            refused = n;
    } else if (r.status != 200 || json_array_size(items = json_object_get(r.json, "items")) != n) {
        tally_other(t, "_bulk", &r);
    } else {
        for (size_t i = 0; i < n; i++) {
            json_t *it = json_array_get(items, i);
            long st = (long)json_integer_value(json_object_get(it, "status"));
            if (st == 201) {
                ack_add(acked, ids[i], toks[i]);
                t->written++;
            } else if (st == 507 || st == 503) {
                refused++;
                t->refused++;
                if (st == 507)
                    t->refused_507++;
                else
                    t->refused_503++;
            } else {
                char what[96];
                snprintf(what, sizeof what, "_bulk item %zu (status %ld)", i + 1, st);
                tally_other(t, what, &r);
            }
        }
    }
    apitest_resp_free(&r);
    sb_free(&nd);
    return refused;
}

/* Posts one new article; 1 when acknowledged, 0 when refused for space. */
static int full_single(struct fault_client *c, struct full_tally *t, struct acklist *acked,
                       const char *prefix, unsigned words, uint64_t seed)
{
    struct sbuf js = {0};
    char id[48], tok[32];
    struct apitest_resp r;
    int ok = 0;

    snprintf(id, sizeof id, "%s%zu", prefix, t->n);
    snprintf(tok, sizeof tok, "fx%sn%zu", prefix, t->n++);
    article_json(&js, seed, id, tok, words);
    fault_request(c, "POST", "/v1/articles", "application/json", js.p, js.len, &r);
    if (r.status == 201) {
        ack_add(acked, id, tok);
        t->written++;
        ok = 1;
    } else {
        tally_refusal(t, "POST /v1/articles", &r);
    }
    apitest_resp_free(&r);
    sb_free(&js);
    return ok;
}

/* Reads that must keep working whatever the disk says: health, readiness, an
 * acknowledged article, a search for it, a list. Returns failures. */
static int full_reads(struct fault_client *c, const struct acklist *acked, uint64_t *rng)
{
    static const char *const paths[] = {"/healthz", "/readyz", "/v1/articles?limit=5", "/metrics",
                                        NULL};
    int bad = 0;
    struct apitest_resp r;
    for (size_t i = 0; paths[i] != NULL; i++) {
        fault_request(c, "GET", paths[i], NULL, NULL, 0, &r);
        if (r.status != 200 && ++bad <= 3)
            cr_log_error("with the disk full, GET %s answered %ld: %.200s", paths[i], r.status,
                         r.body);
        apitest_resp_free(&r);
    }
    if (acked->n > 0) {
        struct acklist one = {0};
        const struct acked *a;
        do
            a = &acked->v[fault_rand(rng) % acked->n];
        while (a->deleted);
        ack_add(&one, a->id, a->token);
        bad += (int)verify_http(c, &one, "a read with the disk full");
        free(one.v);
    }
    return bad;
}

/* Fills the disk, then checks refusals, reads and every acknowledged article
 * while it stays full. Returns with the disk full. */
static void full_fill_and_check(struct fault_client *c, struct full_tally *t, struct acklist *acked,
                                uint64_t seed, int with_put_delete)
{
    uint64_t rng = seed;
    size_t batches = 0, singles = 0;
    int full = 0, read_failures = 0;

    /* bulk batches of ~3 KB articles until one is refused */
    for (; batches < 400 && !full && t->other == 0; batches++)
        full = full_bulk(c, t, acked, "fill", 25, 400, seed) > 0;
    cr_assert_eq(t->other, 0, "while filling: %s", t->first_other);
    cr_assert(full, "the disk never filled up (%zu batches, %zu articles)", batches, t->written);
    /* small single articles may still fit for a while: post until refused */
    while (singles < 300 && full_single(c, t, acked, "single", 1500, seed))
        singles++;
    cr_assert_eq(t->other, 0, "single writes on a full disk: %s", t->first_other);
    cr_assert_gt(t->single_refusals, 0, "300 single articles fit after the disk was full");
    cr_log_info("disk full after %zu batches and %zu singles: %zu articles acknowledged", batches,
                singles, t->written);

    /* while full: more writes are refused properly, reads keep working */
    for (int i = 0; i < 6; i++) {
        struct apitest_resp r;
        full_bulk(c, t, acked, "more", 10, 400, seed);
        full_single(c, t, acked, "single", 1500, seed);
        if (with_put_delete && acked->n > 2) {
            struct sbuf js = {0};
            struct acked *a = &acked->v[fault_rand(&rng) % acked->n];
            char path[128];
            if (!a->deleted) {
                snprintf(path, sizeof path, "/v1/articles/%s", a->id);
                /* a replace with a bigger text */
                article_json(&js, seed + 7, a->id, a->token, 1500);
                fault_request(c, "PUT", path, "application/json", js.p, js.len, &r);
                if (r.status != 200)
                    tally_refusal(t, "PUT (replace)", &r);
                apitest_resp_free(&r);
                sb_free(&js);
                fault_request(c, "DELETE", path, NULL, NULL, 0, &r);
                if (r.status == 204)
                    a->deleted = 1;
                else
                    tally_refusal(t, "DELETE", &r);
                apitest_resp_free(&r);
            }
        }
        read_failures += full_reads(c, acked, &rng);
    }
    cr_expect_eq(t->other, 0,
                 "writes on a full disk: %zu answers neither 2xx nor 507/503 (first: %s)", t->other,
                 t->first_other);
    cr_expect_eq(read_failures, 0, "%d reads failed with the disk full", read_failures);
    {
        size_t bad = verify_http(c, acked, "disk full");
        cr_expect_eq(bad, 0, "disk full: %zu of %zu acknowledged articles unreadable", bad,
                     ack_live(acked));
    }
}

Test(faults, disk_full_tmpfs_refuses_writes_keeps_reads_recovers, .init = fx_init, .fini = fx_fini)
{
    uint64_t seed = fault_seed() ^ 0xd15c;
    struct full_tally t = {0};
    struct acklist acked = {0};
    struct fault_client c;
    char db[360], log[320];
    pid_t pid;

    snprintf(fx.mnt, sizeof fx.mnt, "%s/mnt", fx.dir);
    cr_assert_eq(mkdir(fx.mnt, 0755), 0);
    if (fault_tmpfs_mount(fx.mnt, 6) != 0) {
        int e = errno;
        fx.mnt[0] = '\0';
        cr_skip_test("cannot mount a 6 MiB tmpfs (%s): the full-disk test needs root "
                     "(CAP_SYS_ADMIN)",
                     strerror(e));
    }
    snprintf(db, sizeof db, "%s/full.db", fx.mnt);
    snprintf(log, sizeof log, "%s/server.log", fx.dir);
    cr_assert_eq(fault_start(&fx.srv, db, log, NULL, NULL), 0, "the server did not start");
    pid = fx.srv.pid;
    cr_assert_eq(fault_client_init(&c, fx.srv.port), 0);

    full_fill_and_check(&c, &t, &acked, seed, 1);
    cr_log_info("tmpfs full: %zu writes refused (%zu with 507, %zu with 503), %zu single-request "
                "refusals, %zu acknowledged",
                t.refused, t.refused_507, t.refused_503, t.single_refusals, t.written);

    /* space comes back: writes succeed again, without a restart */
    cr_assert_eq(fault_tmpfs_resize(fx.mnt, 64), 0, "remount size=64m: %s", strerror(errno));
    {
        struct full_tally after = {.n = t.n + 1000};
        struct acklist fresh = {0};
        cr_expect(full_single(&c, &after, &fresh, "back", 200, seed),
                  "a single write after space came back: %s", after.first_other);
        cr_expect_eq(full_bulk(&c, &after, &fresh, "backbulk", 25, 200, seed), 0,
                     "a _bulk after space came back was refused");
        cr_expect_eq(after.other, 0, "after space came back: %s", after.first_other);
        cr_expect_eq(verify_http(&c, &fresh, "after space came back"), 0);
        cr_expect_eq(fresh.n, 26, "%zu of 26 articles written after space came back", fresh.n);
        ack_append(&acked, &fresh);
        free(fresh.v);
    }
    cr_expect(fault_alive(&fx.srv) && fx.srv.pid == pid, "the server restarted or died");
    cr_expect_eq(readyz_articles(&c), (long long)ack_live(&acked),
                 "the store holds other articles than the acknowledged ones (a refused write "
                 "left something behind, or an acknowledged one is gone)");
    fault_client_free(&c);
    cr_expect_eq(apitest_stop(&fx.srv), 0, "exit status after SIGTERM");
    expect_log_clean(log);
    expect_db_sound(db, "after the disk-full test");
    cr_expect_eq(verify_sql(db, &acked), 0);
    free(acked.v);
}

Test(faults, disk_full_rlimit_fsize_refuses_writes_keeps_reads, .init = fx_init, .fini = fx_fini)
{
    uint64_t seed = fault_seed() ^ 0xf5123;
    struct fault_proc_opts lim = {.fsize_limit = 3 << 20};
    struct full_tally t = {0};
    struct acklist acked = {0};
    struct fault_client c;
    char db[320], log[320];
    int code;

    snprintf(db, sizeof db, "%s/fsize.db", fx.dir);
    snprintf(log, sizeof log, "%s/server.log", fx.dir);
    cr_assert_eq(fault_start(&fx.srv, db, log, NULL, &lim), 0, "the server did not start");
    cr_assert_eq(fault_client_init(&c, fx.srv.port), 0);
    full_fill_and_check(&c, &t, &acked, seed, 0);
    fault_client_free(&c);
    cr_log_info("RLIMIT_FSIZE 3 MiB: %zu writes refused (%zu with 507, %zu with 503), "
                "%zu acknowledged",
                t.refused, t.refused_507, t.refused_503, t.written);
    code = apitest_stop(&fx.srv);
    cr_expect_eq(code, 0, "exit status after SIGTERM with the file-size limit reached: %d", code);
    expect_log_clean(log);

    /* without the limit: everything acknowledged is there, writes work */
    cr_assert_eq(fault_start(&fx.srv, db, log, NULL, NULL), 0, "no restart without the limit");
    cr_assert_eq(fault_client_init(&c, fx.srv.port), 0);
    cr_expect_eq(verify_http(&c, &acked, "restart after RLIMIT_FSIZE"), 0);
    {
        struct full_tally after = {.n = t.n + 1000};
        cr_expect(full_single(&c, &after, &acked, "back", 200, seed),
                  "a write after the restart: %s", after.first_other);
    }
    cr_expect_eq(readyz_articles(&c), (long long)ack_live(&acked),
                 "the store holds other articles than the acknowledged ones");
    fault_client_free(&c);
    cr_expect_eq(apitest_stop(&fx.srv), 0);
    expect_log_clean(log);
    expect_db_sound(db, "after the RLIMIT_FSIZE test");
    free(acked.v);
}

/* ---- the disk fills in the middle of a big transaction ------------------- */

#define BIG_LINES 40 /* of 1 MB: more than the writer's 32 MB page cache */

/* One _bulk whose transaction is bigger than the writer's page cache, so
 * SQLite spills pages to the WAL before COMMIT, and the spill hits the full
 * disk (or the file-size limit) in the middle of an op. Every line must be
 * answered truthfully: 2xx and stored, or 507/503 and not stored. */
static void big_txn_on_full_disk(const char *db, const struct fault_proc_opts *opts)
{
    struct sbuf nd = {0}, filler = {0};
    struct apitest_resp r, g;
    struct fault_client c;
    json_t *items;
    char log[320];
    size_t acked = 0, refused = 0, lies = 0, other = 0;

    snprintf(log, sizeof log, "%s/server.log", fx.dir);
    cr_assert_eq(fault_start(&fx.srv, db, log, NULL, opts), 0, "the server did not start");
    cr_assert_eq(fault_client_init(&c, fx.srv.port), 0);
    /* white space: a megabyte to store, next to nothing to analyse */
    filler.p = malloc(1024 * 1024 + 1);
    cr_assert_not_null(filler.p);
    memset(filler.p, ' ', 1024 * 1024);
    filler.p[1024 * 1024] = '\0';
    filler.len = filler.cap = 1024 * 1024;
    for (int i = 0; i < BIG_LINES; i++)
        sb_addf(&nd, "{\"id\":\"big%d\",\"title\":\"Big %d\",\"body\":\"fxbign%d %s\"}\n", i, i, i,
                filler.p);
    cr_assert_eq(
        fault_request(&c, "POST", "/v1/articles/_bulk", "application/x-ndjson", nd.p, nd.len, &r),
        0, "no answer to a %zu-byte _bulk", nd.len);
    items = json_object_get(r.json, "items");
    cr_assert(r.status == 200 || apitest_is_problem(&r, 507) || apitest_is_problem(&r, 503),
              "_bulk answered %ld: %.300s", r.status, r.body);
    for (int i = 0; r.status == 200 && i < BIG_LINES; i++) {
        json_t *it = json_array_get(items, (size_t)i);
        long st = (long)json_integer_value(json_object_get(it, "status"));
        char path[64];
        snprintf(path, sizeof path, "/v1/articles/big%d", i);
        fault_request(&c, "GET", path, NULL, NULL, 0, &g);
        if (st == 201 || st == 200) {
            acked++;
            if (g.status != 200 && ++lies <= 5)
                cr_log_error("big%d answered %ld but is not stored (GET %ld)", i, st, g.status);
        } else if (st == 507 || st == 503) {
            refused++;
            if (g.status != 404 && ++lies <= 5)
                cr_log_error("big%d answered %ld (%s) but is stored (GET %ld)", i, st,
                             json_string_value(json_object_get(it, "error")), g.status);
        } else if (++other <= 5) {
            cr_log_error("big%d answered %ld: %s", i, st,
                         json_string_value(json_object_get(it, "error")));
        }
        apitest_resp_free(&g);
    }
    cr_log_info("a %zu-byte _bulk on a full disk: %zu written, %zu refused, %zu other", nd.len,
                acked, refused, other);
    cr_expect_gt(refused, 0, "the disk never filled up");
    cr_expect_eq(other, 0, "%zu lines answered neither 2xx nor 507/503", other);
    cr_expect_eq(lies, 0, "%zu lines answered wrongly: refused but stored, or the reverse", lies);
    cr_expect_eq(readyz_articles(&c), (long long)acked, "stored articles != acknowledged ones");
    apitest_resp_free(&r);
    fault_client_free(&c);
    cr_expect_eq(apitest_stop(&fx.srv), 0);
    expect_log_clean(log);
    expect_db_sound(db, "after a big transaction on a full disk");
    sb_free(&nd);
    sb_free(&filler);
}

/* Regression: when the page-cache spill fails in the middle of an op
 * (SQLITE_FULL), SQLite rolls back the whole group transaction; the writer
 * used to go on applying the remaining ops in autocommit mode, so one was
 * committed yet answered 507. */
Test(faults, disk_full_mid_transaction_answers_truthfully, .init = fx_init, .fini = fx_fini)
{
    char db[360];
    snprintf(fx.mnt, sizeof fx.mnt, "%s/m", fx.dir);
    cr_assert_eq(mkdir(fx.mnt, 0755), 0);
    if (fault_tmpfs_mount(fx.mnt, 3) != 0) {
        int e = errno;
        fx.mnt[0] = '\0';
        cr_skip_test("cannot mount a tmpfs (%s): this test needs root (CAP_SYS_ADMIN)",
                     strerror(e));
    }
    snprintf(db, sizeof db, "%s/big.db", fx.mnt);
    big_txn_on_full_disk(db, NULL);
}

/* Regression: the same under RLIMIT_FSIZE, where the failed spill is
 * SQLITE_IOERR_WRITE (EFBIG): the op that hit it was answered 500. */
Test(faults, file_size_limit_mid_transaction_answers_truthfully, .init = fx_init, .fini = fx_fini)
{
    struct fault_proc_opts lim = {.fsize_limit = 3 << 20};
    char db[320];
    snprintf(db, sizeof db, "%s/big.db", fx.dir);
    big_txn_on_full_disk(db, &lim);
}

/* ========================================================================= */
/* 3. unusable database files at start                                       */
/* ========================================================================= */

/* A real database with articles (the server's own), checkpointed. */
static void make_template(const char *db, uint64_t seed)
{
    struct fault_client c;
    struct full_tally t = {0};
    struct acklist acked = {0};
    char log[320];

    snprintf(log, sizeof log, "%s/template.log", fx.dir);
    cr_assert_eq(fault_start(&fx.srv, db, log, NULL, NULL), 0, "the template server did not start");
    cr_assert_eq(fault_client_init(&c, fx.srv.port), 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(full_bulk(&c, &t, &acked, "tpl", 30, 200, seed), 0);
    cr_assert_eq(t.other, 0, "%s", t.first_other);
    fault_client_free(&c);
    cr_assert_eq(apitest_stop(&fx.srv), 0);
    free(acked.v);
}

/* A checksum of a file's bytes (FNV-1a), to see that a refused file was left
 * alone; 0 when unreadable. */
static uint64_t file_sum(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint64_t h = 1469598103934665603ULL;
    int ch;
    if (f == NULL)
        return 0;
    while ((ch = getc(f)) != EOF)
        h = (h ^ (uint64_t)ch) * 1099511628211ULL;
    fclose(f);
    return h;
}

/* The server must refuse to start on db: a non-zero exit (no signal, no hang)
 * within 5 s, one line on stderr naming the problem (one of words), an error
 * event on stdout, no listening line, no sanitizer report. */
static void expect_refusal(const char *what, const char *db, const struct fault_proc_opts *opts,
                           const char *const *words)
{
    struct fault_run r;
    const char *nl;
    int named = 0;

    cr_assert_eq(fault_run_once(db, NULL, opts, fx.dir, 15000, &r), 0, "%s: cannot run", what);
    cr_log_info("%s: exit %d after %ld ms: %s", what, r.code, r.ms, r.err);
    cr_expect(!r.timed_out, "%s: the server hung (still running after 15 s): %s", what, r.out);
    cr_expect_eq(r.signo, 0, "%s: the server died of signal %d: %s", what, r.signo, r.err);
    cr_expect(r.exited && r.code != 0, "%s: exit status %d, expected non-zero", what, r.code);
    cr_expect_lt(r.ms, 5000, "%s: took %ld ms to give up", what, r.ms);
    cr_expect(strstr(r.out, "\"msg\":\"listening\"") == NULL, "%s: the server started: %s", what,
              r.out);
    cr_expect(strstr(r.out, "\"level\":\"error\"") != NULL, "%s: no error event on stdout: %s",
              what, r.out);
    cr_expect(strncmp(r.err, "articled: ", 10) == 0,
              "%s: stderr does not start with 'articled: ': %s", what, r.err);
    nl = strchr(r.err, '\n');
    cr_expect(nl != NULL && nl[1] == '\0', "%s: stderr is not exactly one line: %s", what, r.err);
    /* the words must be in the message, not in the path it quotes */
    {
        char msg[sizeof r.err];
        const char *at = strstr(r.err, db);
        if (at != NULL)
            snprintf(msg, sizeof msg, "%.*s<db>%s", (int)(at - r.err), r.err, at + strlen(db));
        else
            snprintf(msg, sizeof msg, "%s", r.err);
        for (size_t i = 0; words[i] != NULL; i++)
            named |= strstr(msg, words[i]) != NULL;
    }
    cr_expect(named, "%s: the error does not name the problem (%s...): %s", what, words[0], r.err);
    cr_expect(strstr(r.err, "Sanitizer") == NULL && strstr(r.out, "Sanitizer") == NULL &&
                  strstr(r.err, "runtime error:") == NULL,
              "%s: sanitizer report: %s", what, r.err);
}

Test(faults, start_refuses_readonly_file_as_unprivileged_user, .init = fx_init, .fini = fx_fini)
{
    static const char *const words[] = {"read-only", "readonly", NULL};
    struct fault_proc_opts nobody = {.drop_privs = 1, .uid = 65534, .gid = 65534};
    char dir[320], db[340];
    uint64_t before;

    if (geteuid() != 0)
        cr_skip_test("running the server as another user needs root");
    if (!fault_user_can_exec(nobody.uid, nobody.gid, getenv("ARTICLED_BIN")) ||
        !fault_user_can_exec(nobody.uid, nobody.gid, fx.dir))
        cr_skip_test("user nobody cannot reach the binary or %s (a clone in a private folder)",
                     fx.dir);
    snprintf(dir, sizeof dir, "%s/ro", fx.dir);
    snprintf(db, sizeof db, "%s/ro.db", dir);
    cr_assert_eq(mkdir(dir, 0755), 0);
    make_template(db, fault_seed());
    before = file_sum(db);
    cr_assert_eq(chmod(db, 0444), 0);
    cr_assert_eq(chmod(dir, 0555), 0);
    expect_refusal("read-only file in a read-only directory, as nobody", db, &nobody, words);
    cr_expect_eq(file_sum(db), before, "the refused file was changed");
    chmod(dir, 0755);
}

Test(faults, start_refuses_readonly_mount, .init = fx_init, .fini = fx_fini)
{
    static const char *const words[] = {"read-only", "readonly", NULL};
    static const char *const fresh_words[] = {"unable to open", "read-only", "readonly", NULL};
    char db[360], fresh[360];
    uint64_t before;

    snprintf(fx.mnt, sizeof fx.mnt, "%s/romnt", fx.dir);
    cr_assert_eq(mkdir(fx.mnt, 0755), 0);
    if (fault_tmpfs_mount(fx.mnt, 4) != 0) {
        int e = errno;
        fx.mnt[0] = '\0';
        cr_skip_test("cannot mount a tmpfs (%s): this test needs root (CAP_SYS_ADMIN)",
                     strerror(e));
    }
    snprintf(db, sizeof db, "%s/ro.db", fx.mnt);
    snprintf(fresh, sizeof fresh, "%s/fresh.db", fx.mnt);
    make_template(db, fault_seed());
    before = file_sum(db);
    cr_assert_eq(fault_tmpfs_readonly(fx.mnt), 0, "remount ro: %s", strerror(errno));
    expect_refusal("database on a read-only mount (as root)", db, NULL, words);
    expect_refusal("new database on a read-only mount", fresh, NULL, fresh_words);
    cr_expect_eq(file_sum(db), before, "the refused file was changed");
}

Test(faults, start_refuses_random_bytes, .init = fx_init, .fini = fx_fini)
{
    static const char *const words[] = {"not a database", NULL};
    uint64_t st = fault_seed(), before;
    char db[320];
    FILE *f;

    snprintf(db, sizeof db, "%s/random.db", fx.dir);
    f = fopen(db, "wb");
    cr_assert_not_null(f);
    for (int i = 0; i < 65536 / 8; i++) {
        uint64_t v = fault_rand(&st);
        fwrite(&v, sizeof v, 1, f);
    }
    fclose(f);
    before = file_sum(db);
    expect_refusal("64 KiB of random bytes", db, NULL, words);
    cr_expect_eq(file_sum(db), before, "the refused file was changed");
}

Test(faults, start_refuses_truncated_database, .init = fx_init, .fini = fx_fini)
{
    static const char *const words[] = {"malformed", "corrupt", "not a database", NULL};
    struct stat sb;
    char db[320];
    uint64_t before;

    snprintf(db, sizeof db, "%s/trunc.db", fx.dir);
    make_template(db, fault_seed());
    cr_assert_eq(stat(db, &sb), 0);
    cr_assert_gt(sb.st_size, 64 * 1024, "the template is too small (%lld bytes)",
                 (long long)sb.st_size);
    cr_assert_eq(truncate(db, sb.st_size / 2), 0);
    before = file_sum(db);
    expect_refusal("the first half of a database", db, NULL, words);
    cr_expect_eq(file_sum(db), before, "the refused file was changed");
}

Test(faults, start_refuses_corrupt_articles_page, .init = fx_init, .fini = fx_fini)
{
    static const char *const words[] = {"malformed", "corrupt", NULL};
    uint64_t st = fault_seed() ^ 0xc0, before;
    sqlite3 *db3 = NULL;
    sqlite3_stmt *s = NULL;
    long long page = -1;
    char db[320];
    unsigned char junk[4096];
    FILE *f;

    snprintf(db, sizeof db, "%s/corrupt.db", fx.dir);
    make_template(db, fault_seed());
    /* a leaf page of the articles table, from SQLite's own page map */
    cr_assert_eq(sqlite3_open_v2(db, &db3, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db3,
                           "SELECT pageno FROM dbstat WHERE name = 'articles' AND pagetype = 'leaf'"
                           " ORDER BY pageno LIMIT 1 OFFSET 5",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        page = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close_v2(db3);
    if (page < 0)
        cr_skip_test("this SQLite has no dbstat table to find a page of articles");
    for (size_t i = 0; i < sizeof junk; i += 8) {
        uint64_t v = fault_rand(&st);
        memcpy(junk + i, &v, 8);
    }
    f = fopen(db, "r+b");
    cr_assert_not_null(f);
    cr_assert_eq(fseek(f, (long)((page - 1) * 4096), SEEK_SET), 0);
    cr_assert_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    fclose(f);
    before = file_sum(db);
    expect_refusal("a page of the articles table overwritten", db, NULL, words);
    cr_expect_eq(file_sum(db), before, "the refused file was changed");
}

Test(faults, start_refuses_newer_schema, .init = fx_init, .fini = fx_fini)
{
    static const char *const words[] = {"newer", NULL};
    sqlite3 *db3 = NULL;
    struct fault_db_report rep;
    char db[320];
    long long articles;

    snprintf(db, sizeof db, "%s/future.db", fx.dir);
    make_template(db, fault_seed());
    cr_assert_eq(sqlite3_open_v2(db, &db3, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db3, "PRAGMA user_version=999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close_v2(db3);
    cr_assert_eq(fault_db_check(db, &rep), 0);
    articles = rep.articles;
    expect_refusal("schema version 999", db, NULL, words);
    /* left as it was: same version, same articles */
    cr_assert_eq(sqlite3_open_v2(db, &db3, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    {
        sqlite3_stmt *s = NULL;
        int v = -1;
        if (sqlite3_prepare_v2(db3, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
        cr_expect_eq(v, 999, "the refused database's user_version became %d", v);
    }
    sqlite3_close_v2(db3);
    cr_assert_eq(fault_db_check(db, &rep), 0);
    cr_expect_eq(rep.articles, articles);
}

Test(faults, start_refuses_unopenable_paths, .init = fx_init, .fini = fx_fini)
{
    static const char *const words[] = {"unable to open", "cannot open", NULL};
    char db[320];

    snprintf(db, sizeof db, "%s/no/such/dir/a.db", fx.dir);
    expect_refusal("a database in a missing directory", db, NULL, words);
    snprintf(db, sizeof db, "%s/isadir", fx.dir);
    cr_assert_eq(mkdir(db, 0755), 0);
    expect_refusal("a directory as the database", db, NULL, words);
}

/* ---- a full disk at start ------------------------------------------------- */

/* Fills the file system holding dir with a file dir/filler; 0 or -1. */
static int fill_disk(const char *dir)
{
    static char chunk[65536];
    char path[400];
    FILE *f;
    size_t step = sizeof chunk;

    snprintf(path, sizeof path, "%s/filler", dir);
    f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    setvbuf(f, NULL, _IONBF, 0);
    for (int i = 0; i < 100000 && step > 0; i++)
        if (fwrite(chunk, 1, step, f) != step) {
            clearerr(f);
            step /= 2; /* down to the last free byte */
        }
    fclose(f);
    return 0;
}

/* The database's file system is full when the server starts: it must refuse
 * with an error naming one of words, then start once there is space again,
 * with every article. */
static void start_on_full_disk(const char *const *words)
{
    char db[360], filler[360];
    struct fault_db_report rep;
    struct fault_client c;
    char log[320];

    snprintf(fx.mnt, sizeof fx.mnt, "%s/m", fx.dir);
    cr_assert_eq(mkdir(fx.mnt, 0755), 0);
    if (fault_tmpfs_mount(fx.mnt, 8) != 0) {
        int e = errno;
        fx.mnt[0] = '\0';
        cr_skip_test("cannot mount a tmpfs (%s): this test needs root (CAP_SYS_ADMIN)",
                     strerror(e));
    }
    snprintf(db, sizeof db, "%s/a.db", fx.mnt);
    snprintf(filler, sizeof filler, "%s/filler", fx.mnt);
    snprintf(log, sizeof log, "%s/server.log", fx.dir);
    make_template(db, fault_seed());
    cr_assert_eq(fault_db_check(db, &rep), 0);
    cr_assert_eq(fill_disk(fx.mnt), 0);
    expect_refusal("a database on a full disk", db, NULL, words);

    unlink(filler);
    cr_assert_eq(fault_start(&fx.srv, db, log, NULL, NULL), 0,
                 "no start once there was space again: %s", db);
    cr_assert_eq(fault_client_init(&c, fx.srv.port), 0);
    cr_expect_eq(readyz_articles(&c), rep.articles, "articles lost after a refused start");
    fault_client_free(&c);
    cr_expect_eq(apitest_stop(&fx.srv), 0);
    expect_log_clean(log);
    expect_db_sound(db, "after a start on a full disk");
}

Test(faults, start_refuses_full_disk, .init = fx_init, .fini = fx_fini)
{
    static const char *const words[] = {"disk", "full", "space", NULL};
    start_on_full_disk(words);
}

/* Regression: on a full disk the start-up error names the cause (errno from
 * sqlite3_system_errno: "No space left on device"). */
Test(faults, start_on_full_disk_names_the_full_disk, .init = fx_init, .fini = fx_fini)
{
    static const char *const words[] = {"full", "space", NULL};
    start_on_full_disk(words);
}

/* ========================================================================= */
/* 4. clients that break off their uploads                                   */
/* ========================================================================= */

#define DC_HALF    60 /* Content-Length, half the body, then gone */
#define DC_CHUNKED 30 /* chunked _bulk, gone mid-chunk after complete lines */
#define DC_CUT     30 /* _bulk with Content-Length, all but the last bytes */
#define DC_HEADERS 20 /* gone in the middle of the headers */
#define DC_BIG     6  /* _bulk announcing 60 MB, gone after 256 KB */
#define DC_GONE    20 /* complete writes, gone before the answer */
#define DC_LORIS   4  /* a byte every 100 ms */

/* Request head for a body of len bytes (len 0: chunked). */
static void dc_head(struct sbuf *b, const char *path, const char *ctype, size_t len)
{
    sb_addf(b, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n", path, ctype);
    if (len > 0)
        sb_addf(b, "Content-Length: %zu\r\n\r\n", len);
    else
        sb_addf(b, "Transfer-Encoding: chunked\r\n\r\n");
}

/* NDJSON lines prefix-i-0 .. prefix-i-(n-1), all with the word token. */
static void dc_lines(struct sbuf *b, const char *prefix, int i, int n, const char *token,
                     unsigned words, uint64_t seed)
{
    for (int k = 0; k < n; k++) {
        char id[64];
        snprintf(id, sizeof id, "%s-%d-%d", prefix, i, k);
        article_json(b, seed, id, token, words);
        sb_addf(b, "\n");
    }
}

struct loris {
    unsigned port;
    int body; /* 0: trickle the headers, 1: the headers at once, trickle the body */
    int index;
    uint64_t seed;
    atomic_int *running;
    int sent;
    int send_failed;
};

static void *loris_run(void *p)
{
    struct loris *l = p;
    struct sbuf head = {0}, body = {0};
    const char *trickle;
    int fd = fault_connect(l->port);
    char id[32];

    snprintf(id, sizeof id, "slow-%d", l->index);
    article_json(&body, l->seed, id, "fxslowbody", 50);
    dc_head(&head, "/v1/articles", "application/json", body.len);
    trickle = l->body ? body.p : head.p;
    if (fd < 0 || (l->body && fault_send(fd, head.p, head.len) != 0))
        l->send_failed = 1;
    for (int i = 0; fd >= 0 && !l->send_failed && i < 30; i++) {
        if (fault_send(fd, trickle + i, 1) != 0)
            l->send_failed = 1;
        else
            l->sent++;
        usleep(100 * 1000);
    }
    if (fd >= 0)
        close(fd); /* never complete */
    sb_free(&head);
    sb_free(&body);
    atomic_fetch_sub(l->running, 1);
    return NULL;
}

/* One normal write and two reads; returns the slowest request's ms, or -1 on
 * a failure (logged). */
static long dc_normal(struct fault_client *c, struct acklist *ok, int n, uint64_t seed)
{
    struct sbuf js = {0};
    struct apitest_resp r;
    char id[32], tok[32], path[96];
    long long t0, slowest = 0, dt;
    int good = 1;

    snprintf(id, sizeof id, "ok-%d", n);
    snprintf(tok, sizeof tok, "fxokn%d", n);
    article_json(&js, seed, id, tok, 80);
    t0 = fault_now_ms();
    fault_request(c, "POST", "/v1/articles", "application/json", js.p, js.len, &r);
    dt = fault_now_ms() - t0;
    slowest = dt > slowest ? dt : slowest;
    if (r.status == 201)
        ack_add(ok, id, tok);
    else
        good = 0, cr_log_error("normal POST %s answered %ld: %.200s", id, r.status, r.body);
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/articles/%s", id);
    t0 = fault_now_ms();
    fault_request(c, "GET", path, NULL, NULL, 0, &r);
    dt = fault_now_ms() - t0;
    slowest = dt > slowest ? dt : slowest;
    if (r.status != 200)
        good = 0, cr_log_error("normal GET %s answered %ld", path, r.status);
    apitest_resp_free(&r);
    snprintf(path, sizeof path, "/v1/search?q=%s", tok);
    t0 = fault_now_ms();
    fault_request(c, "GET", path, NULL, NULL, 0, &r);
    dt = fault_now_ms() - t0;
    slowest = dt > slowest ? dt : slowest;
    if (r.status != 200 || json_integer_value(json_object_get(r.json, "total")) != 1)
        good = 0, cr_log_error("normal search %s answered %ld: %.200s", tok, r.status, r.body);
    apitest_resp_free(&r);
    sb_free(&js);
    return good ? (long)slowest : -1;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

Test(faults, disconnects_mid_upload_write_nothing_and_harm_no_one, .init = fx_init, .fini = fx_fini)
{
    static const char *const tokens[] = {"fxhalfbody", "fxchunkbody", "fxcutbody",
                                         "fxbigbody",  "fxslowbody",  NULL};
    uint64_t seed = fault_seed() ^ 0xdc;
    int fds[DC_HALF + DC_CHUNKED + DC_CUT + DC_HEADERS + DC_BIG];
    size_t nfds = 0, gone_stored = 0;
    struct acklist ok = {0};
    struct fault_client c;
    struct sbuf head = {0}, body = {0};
    struct apitest_resp r;
    char db[320], log[320];
    long lat[400];
    size_t nlat = 0;
    int n = 0, failures = 0;

    snprintf(db, sizeof db, "%s/dc.db", fx.dir);
    snprintf(log, sizeof log, "%s/server.log", fx.dir);
    cr_assert_eq(fault_start(&fx.srv, db, log, NULL, NULL), 0, "the server did not start");
    cr_assert_eq(fault_client_init(&c, fx.srv.port), 0);

    /* Many broken uploads, all open at once. */
    for (int i = 0; i < DC_HALF; i++) {
        char id[32];
        snprintf(id, sizeof id, "half-%d", i);
        sb_reset(&head);
        sb_reset(&body);
        article_json(&body, seed, id, "fxhalfbody", 3000);
        dc_head(&head, "/v1/articles", "application/json", body.len);
        fds[nfds] = fault_connect(fx.srv.port);
        cr_assert_geq(fds[nfds], 0, "connection %zu refused", nfds);
        cr_assert_eq(fault_send(fds[nfds], head.p, head.len), 0);
        cr_assert_eq(fault_send(fds[nfds], body.p, body.len / 2), 0);
        nfds++;
    }
    for (int i = 0; i < DC_CHUNKED; i++) {
        sb_reset(&head);
        sb_reset(&body);
        dc_lines(&body, "chunk", i, 3, "fxchunkbody", 60, seed);
        dc_head(&head, "/v1/articles/_bulk", "application/x-ndjson", 0);
        /* one complete chunk of whole lines, then a chunk that never ends */
        sb_addf(&head, "%zx\r\n%s\r\n800\r\n%.100s", body.len, body.p, body.p);
        fds[nfds] = fault_connect(fx.srv.port);
        cr_assert_geq(fds[nfds], 0);
        cr_assert_eq(fault_send(fds[nfds], head.p, head.len), 0);
        nfds++;
    }
    for (int i = 0; i < DC_CUT; i++) {
        sb_reset(&head);
        sb_reset(&body);
        dc_lines(&body, "cut", i, 5, "fxcutbody", 60, seed);
        dc_head(&head, "/v1/articles/_bulk", "application/x-ndjson", body.len);
        fds[nfds] = fault_connect(fx.srv.port);
        cr_assert_geq(fds[nfds], 0);
        cr_assert_eq(fault_send(fds[nfds], head.p, head.len), 0);
        cr_assert_eq(fault_send(fds[nfds], body.p, body.len - 5), 0);
        nfds++;
    }
    for (int i = 0; i < DC_HEADERS; i++) {
        static const char partial[] = "POST /v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty";
        fds[nfds] = fault_connect(fx.srv.port);
        cr_assert_geq(fds[nfds], 0);
        cr_assert_eq(fault_send(fds[nfds], partial, sizeof partial - 1), 0);
        nfds++;
    }
    for (int i = 0; i < DC_BIG; i++) {
        sb_reset(&head);
        sb_reset(&body);
        dc_lines(&body, "big", i, 200, "fxbigbody", 180, seed);
        dc_head(&head, "/v1/articles/_bulk", "application/x-ndjson", 60u * 1000 * 1000);
        fds[nfds] = fault_connect(fx.srv.port);
        cr_assert_geq(fds[nfds], 0);
        cr_assert_eq(fault_send(fds[nfds], head.p, head.len), 0);
        cr_assert_eq(fault_send(fds[nfds], body.p, body.len), 0);
        nfds++;
    }
    /* the server answers others while all of those hang open */
    for (int i = 0; i < 20; i++) {
        long ms = dc_normal(&c, &ok, n++, seed);
        failures += ms < 0;
        if (ms >= 0 && nlat < 400)
            lat[nlat++] = ms;
    }
    for (size_t i = 0; i < nfds; i++) {
        if (i % 2)
            fault_reset(fds[i]);
        else
            close(fds[i]);
    }

    /* Complete writes whose clients vanish before the answer: stored or not,
     * but whole, and no harm to the server. */
    for (int i = 0; i < DC_GONE; i++) {
        char id[32], tok[32];
        int fd;
        snprintf(id, sizeof id, "gone-%d", i);
        snprintf(tok, sizeof tok, "fxgonen%d", i);
        sb_reset(&head);
        sb_reset(&body);
        if (i % 2) {
            article_json(&body, seed, id, tok, 200);
            dc_head(&head, "/v1/articles", "application/json", body.len);
        } else {
            article_json(&body, seed, id, tok, 200);
            sb_addf(&body, "\n");
            dc_head(&head, "/v1/articles/_bulk", "application/x-ndjson", body.len);
        }
        fd = fault_connect(fx.srv.port);
        cr_assert_geq(fd, 0);
        cr_assert_eq(fault_send(fd, head.p, head.len), 0);
        cr_assert_eq(fault_send(fd, body.p, body.len), 0);
        if (i % 4 < 2)
            fault_reset(fd);
        else
            close(fd);
    }

    /* Slow clients (a byte every 100 ms) while normal requests go on. */
    {
        struct loris l[DC_LORIS];
        pthread_t t[DC_LORIS];
        atomic_int running = DC_LORIS;
        long long deadline;
        for (int i = 0; i < DC_LORIS; i++) {
            l[i] = (struct loris){
                .port = fx.srv.port, .body = i % 2, .index = i, .seed = seed, .running = &running};
            cr_assert_eq(pthread_create(&t[i], NULL, loris_run, &l[i]), 0);
        }
        usleep(200 * 1000);
        deadline = fault_now_ms() + 10000;
        while (atomic_load(&running) > 0 && fault_now_ms() < deadline) {
            long ms = dc_normal(&c, &ok, n++, seed);
            failures += ms < 0;
            if (ms >= 0 && nlat < 400)
                lat[nlat++] = ms;
            usleep(20 * 1000);
        }
        for (int i = 0; i < DC_LORIS; i++) {
            pthread_join(t[i], NULL);
            cr_expect(!l[i].send_failed, "slow client %d was cut off after %d bytes", i, l[i].sent);
        }
    }
    cr_expect_eq(failures, 0, "%d normal request rounds failed beside broken clients", failures);
    cr_assert_gt(nlat, 20);
    qsort(lat, nlat, sizeof lat[0], cmp_long);
    cr_log_info("normal requests beside %zu broken uploads and %d slow clients: %zu rounds, "
                "median %ld ms, max %ld ms",
                nfds, DC_LORIS, nlat, lat[nlat / 2], lat[nlat - 1]);
    cr_expect_lt(lat[nlat / 2], 100, "median latency %ld ms beside broken clients", lat[nlat / 2]);
    cr_expect_lt(lat[nlat - 1], 2000, "slowest request %ld ms beside broken clients",
                 lat[nlat - 1]);

    /* nothing of an incomplete body was stored */
    /* let the vanished clients' writes finish: the count holds still */
    for (int i = 0; i < 25; i++) {
        long long before = readyz_articles(&c);
        usleep(200 * 1000);
        if (readyz_articles(&c) == before)
            break;
    }
    cr_expect(fault_alive(&fx.srv), "the server died");
    for (size_t i = 0; tokens[i] != NULL; i++) {
        char path[96];
        snprintf(path, sizeof path, "/v1/search?q=%s", tokens[i]);
        fault_request(&c, "GET", path, NULL, NULL, 0, &r);
        cr_expect_eq(r.status, 200);
        cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), 0,
                     "an incomplete upload was stored (search %s): %.300s", tokens[i], r.body);
        apitest_resp_free(&r);
    }
    {
        static const char *const ids[] = {"half-0",     "half-59", "chunk-0-0",
                                          "chunk-29-2", "cut-0-0", "cut-29-3",
                                          "big-0-0",    "slow-1",  NULL};
        for (size_t i = 0; ids[i] != NULL; i++) {
            char path[96];
            snprintf(path, sizeof path, "/v1/articles/%s", ids[i]);
            fault_request(&c, "GET", path, NULL, NULL, 0, &r);
            cr_expect_eq(r.status, 404, "%s from an incomplete upload: %ld", ids[i], r.status);
            apitest_resp_free(&r);
        }
    }
    for (int i = 0; i < DC_GONE; i++) {
        char path[96], tok[32];
        snprintf(path, sizeof path, "/v1/articles/gone-%d", i);
        snprintf(tok, sizeof tok, "fxgonen%d", i);
        fault_request(&c, "GET", path, NULL, NULL, 0, &r);
        cr_expect(r.status == 404 || (r.status == 200 && strstr(r.body, tok) != NULL),
                  "gone-%d: %ld %.200s", i, r.status, r.body);
        gone_stored += r.status == 200;
        apitest_resp_free(&r);
    }
    cr_expect_eq(readyz_articles(&c), (long long)(ok.n + gone_stored),
                 "articles other than the %zu complete writes and %zu vanished ones", ok.n,
                 gone_stored);
    cr_expect_eq(verify_http(&c, &ok, "beside broken clients"), 0);
    fault_request(&c, "GET", "/metrics", NULL, NULL, 0, &r);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.body, "status=\"500\"") == NULL, "500s in /metrics:\n%s", r.body);
    apitest_resp_free(&r);
    fault_client_free(&c);
    cr_log_info("vanished complete writes: %zu of %d stored", gone_stored, DC_GONE);
    {
        long long t0 = fault_now_ms();
        cr_expect_eq(apitest_stop(&fx.srv), 0, "exit status after SIGTERM");
        cr_expect_lt(fault_now_ms() - t0, 5000, "shutdown took %lld ms", fault_now_ms() - t0);
    }
    cr_expect(!fault_file_contains(log, "\"status\":500"), "a 500 in the access log %s", log);
    expect_log_clean(log);
    expect_db_sound(db, "after broken uploads");
    sb_free(&head);
    sb_free(&body);
    free(ok.v);
}

/* ========================================================================= */
/* 6. a streamed _bulk answer whose client stops reading or goes away        */
/* ========================================================================= */

#define SA_LINES 1200 /* six chunks of 200: the answer is written as they commit */

/* Reads from fd until n bytes came or it closed; returns what came. */
static size_t sa_read(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

Test(faults, bulk_answer_cut_off_by_its_client_writes_every_line, .init = fx_init, .fini = fx_fini)
{
    uint64_t seed = fault_seed() ^ 0x5a;
    struct sbuf head = {0}, body = {0};
    struct fault_client c;
    struct apitest_resp r;
    char db[320], log[320], buf[4096];
    int fds[3];
    long long stored = -1;

    snprintf(db, sizeof db, "%s/sa.db", fx.dir);
    snprintf(log, sizeof log, "%s/server.log", fx.dir);
    cr_assert_eq(fault_start(&fx.srv, db, log, NULL, NULL), 0, "the server did not start");
    cr_assert_eq(fault_client_init(&c, fx.srv.port), 0);

    /* 0: reads the head and the first items, then resets the connection;
     * 1: reads the head, then closes; 2: never reads a byte, then closes */
    for (int i = 0; i < 3; i++) {
        size_t got;
        sb_reset(&head);
        sb_reset(&body);
        dc_lines(&body, "sa", i, SA_LINES, i == 2 ? "fxsaunread" : "fxsacut", 40, seed);
        dc_head(&head, "/v1/articles/_bulk", "application/x-ndjson", body.len);
        fds[i] = fault_connect(fx.srv.port);
        cr_assert_geq(fds[i], 0);
        cr_assert_eq(fault_send(fds[i], head.p, head.len), 0);
        cr_assert_eq(fault_send(fds[i], body.p, body.len), 0);
        if (i == 2)
            continue;
        got = sa_read(fds[i], buf, i == 0 ? sizeof buf - 1 : 200);
        buf[got] = '\0';
        cr_expect(strncmp(buf, "HTTP/1.1 200", 12) == 0, "answer %d begins: %.100s", i, buf);
        cr_expect(strstr(buf, "Transfer-Encoding: chunked") != NULL || i == 1,
                  "the answer is not streamed: %.300s", buf);
        if (i == 0) {
            cr_expect(strstr(buf, "{\"items\":[{") != NULL, "no first item in %.600s", buf);
            fault_reset(fds[i]);
        } else {
            close(fds[i]);
        }
    }
    usleep(300 * 1000);
    close(fds[2]);

    /* every line is written all the same (the pipeline does not depend on
     * the client), and the server goes on answering */
    /* waits while the count grows (a sanitizer build on a busy machine stores a few
     * hundred lines a second or less), and gives up after 15 s without progress */
    for (int idle = 0; idle < 150 && stored != 3 * SA_LINES; idle++) {
        long long before = stored;
        usleep(100 * 1000);
        stored = readyz_articles(&c);
        if (stored > before)
            idle = 0;
    }
    cr_expect_eq(stored, 3 * SA_LINES, "articles stored after three cut-off answers");
    fault_request(&c, "GET", "/v1/search?q=fxsaunread&limit=1", NULL, NULL, 0, &r);
    cr_expect_eq(r.status, 200);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "total")), SA_LINES, "%.300s", r.body);
    apitest_resp_free(&r);
    fault_request(&c, "GET", "/v1/articles/sa-1-1199", NULL, NULL, 0, &r);
    cr_expect_eq(r.status, 200, "the last line of a closed answer: %ld", r.status);
    apitest_resp_free(&r);

    /* a client that reads the whole answer still gets it whole */
    sb_reset(&body);
    dc_lines(&body, "sb", 0, 450, "fxsawhole", 30, seed);
    cr_assert_eq(fault_request(&c, "POST", "/v1/articles/_bulk", "application/x-ndjson", body.p,
                               body.len, &r),
                 0);
    cr_expect_eq(r.status, 200);
    cr_expect_eq(json_array_size(json_object_get(r.json, "items")), 450, "%.200s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(r.json, "written")), 450);
    cr_expect(json_is_false(json_object_get(r.json, "errors")));
    apitest_resp_free(&r);
    fault_client_free(&c);

    cr_expect_eq(apitest_stop(&fx.srv), 0, "exit status after SIGTERM");
    expect_log_clean(log);
    expect_db_sound(db, "after cut-off answers");
    sb_free(&head);
    sb_free(&body);
}
