/* The attack suite: the black-box attacks of issue 16 ("hardening") turned
 * into regression tests, one Test per finding. Each starts the real binary on
 * loopback, attacks it the way the finding was found (raw sockets where an
 * HTTP client library would correct the request), and asserts the fixed
 * behaviour. Every loop is bounded in count and time; latency is asserted
 * only where the issue demands it, against a generous bound, with the
 * measured figure in the message. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "apitest.h"
#include "attack.h"
#include "fault.h"
#include "security.h"

#define JSON   "application/json"
#define NDJSON "application/x-ndjson"

/* ---- servers: every one started is tracked, so that the suite's fini kills
 * and removes what a failed assertion left running -------------------------- */

static struct apitest_server tracked[8];

/* Returns rc; when it is 0 (s started), s is tracked until stopped. */
static int track(const struct apitest_server *s, int rc)
{
    for (size_t i = 0; rc == 0 && i < sizeof tracked / sizeof tracked[0]; i++)
        if (tracked[i].pid <= 0) {
            tracked[i] = *s;
            break;
        }
    return rc;
}

static void untrack(const struct apitest_server *s)
{
    for (size_t i = 0; i < sizeof tracked / sizeof tracked[0]; i++)
        if (tracked[i].pid == s->pid)
            tracked[i].pid = 0;
}

static void attack_fini(void)
{
    for (size_t i = 0; i < sizeof tracked / sizeof tracked[0]; i++)
        if (tracked[i].pid > 0) {
            apitest_kill9(&tracked[i]);
            apitest_cleanup(&tracked[i]);
        }
}

TestSuite(attack, .fini = attack_fini, .timeout = 240);

/* ---- shared helpers ------------------------------------------------------ */

/* Starts a server with extra arguments; on failure the log's last lines go
 * into the test's output. Returns 0 or -1. */
static int start(struct apitest_server *s, const char *const *extra)
{
    if (track(s, apitest_start(s, NULL, extra)) == 0)
        return 0;
    {
        char *log = sec_read_log(s);
        size_t n = strlen(log);
        cr_log_error("the server did not start: %s", n > 600 ? log + n - 600 : log);
        free(log);
    }
    apitest_cleanup(s);
    return -1;
}

static void stop(struct apitest_server *s)
{
    untrack(s);
    cr_expect_eq(apitest_stop(s), 0,
                 "the server did not exit 0 on SIGTERM (or a sanitizer "
                 "report is in its log)");
    apitest_cleanup(s);
}

/* SIGTERM, exit 0 expected; the temp directory (log, database) stays. */
static void stop_keep_dir(struct apitest_server *s)
{
    untrack(s);
    cr_expect_eq(apitest_stop(s), 0,
                 "the server did not exit 0 on SIGTERM (or a sanitizer "
                 "report is in its log)");
}

/* A growing string. */
struct text {
    char *p;
    size_t len, cap;
};

static void text_add(struct text *t, const char *data, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        if (t->p == NULL)
            abort();
    }
    memcpy(t->p + t->len, data, n);
    t->len += n;
    t->p[t->len] = '\0';
}

#define text_lit(t, lit) text_add((t), (lit), sizeof(lit) - 1)

static void text_addf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_addf(struct text *t, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;
    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    text_add(t, s, (size_t)n);
    free(s);
}

/* POSTs an NDJSON _bulk body; every line must be written. */
static void bulk(const struct apitest_server *s, const char *key, const struct text *nd,
                 long long lines)
{
    struct apitest_resp r;
    char h[256];
    const char *hdrs[2] = {NULL, NULL};
    if (key != NULL) {
        snprintf(h, sizeof h, "Authorization: Bearer %s", key);
        hdrs[0] = h;
    }
    apitest_request_h(s, "POST", "/v1/articles/_bulk", hdrs, NDJSON, nd->p, nd->len, &r);
    cr_assert_eq(r.status, 200, "_bulk: %ld %.300s", r.status, r.body);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "written")), lines,
                 "_bulk wrote fewer lines: %.300s", r.body);
    apitest_resp_free(&r);
}

/* GET path; returns "total" of the answer (-1 when not 200). */
static long long total_of(const struct apitest_server *s, const char *path)
{
    struct apitest_resp r;
    long long t = -1;
    apitest_get(s, path, &r);
    if (r.status == 200)
        t = json_integer_value(json_object_get(r.json, "total"));
    else
        cr_log_error("GET %s: %ld %.200s", path, r.status, r.body);
    apitest_resp_free(&r);
    return t;
}

/* Files in dir whose names start with prefix. */
static size_t count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

/* A raw request: method, target and extra header lines ("Name: v\r\n"...),
 * then the body as it is. */
static void raw_request(struct text *t, const char *method, const char *target, const char *headers,
                        const char *body, size_t body_len)
{
    text_addf(t, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", method, target,
              headers ? headers : "");
    if (body != NULL)
        text_add(t, body, body_len);
}

/* 1 when the server answers GET /healthz 200 on a new connection. */
static int still_serves(const struct apitest_server *s)
{
    struct apitest_resp r;
    int ok = apitest_get(s, "/healthz", &r) == 0 && r.status == 200;
    apitest_resp_free(&r);
    return ok;
}

/* NDJSON of n articles, ids prefix-from.., each of `words` random lower-case
 * words (seeded): enough distinct words that a two-letter prefix matches
 * hundreds of them. */
static void random_articles(struct text *nd, const char *prefix, int from, int n, unsigned words,
                            uint64_t seed)
{
    size_t cap = (size_t)words * 11 + 16;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    for (int i = from; i < from + n; i++) {
        uint64_t st = seed ^ ((uint64_t)i * 0x9e3779b97f4a7c15ULL);
        buf[0] = '\0';
        fault_words(&st, words, buf, 0, cap);
        text_addf(nd,
                  "{\"id\":\"%s-%d\",\"title\":\"Article %d\",\"published_at\":"
                  "\"2026-%02d-%02dT10:00:00Z\",\"body\":\"%s\"}\n",
                  prefix, i, i, 1 + i % 12, 1 + i % 28, buf);
    }
    free(buf);
}

/* ========================================================================= */
/* F1. Unbounded search cost held the server: reads run off the HTTP threads  */
/* with a time budget, and hostile prefix queries are refused.               */
/* ========================================================================= */

#define F1_SEARCHES 6

/* Six searches held on two read threads (the test hook delays every read
 * 4 s): /healthz, /readyz and /metrics answer at once all the same. */
static void f1_health_while_reads_are_held(void)
{
    struct apitest_server s;
    const char *extra[] = {"--search-threads", "2", NULL};
    static const char *const probes[] = {"/healthz", "/readyz", "/metrics"};
    int fds[F1_SEARCHES], pending = 0, rc;
    long long worst = 0;
    const char *worst_path = "";

    setenv("ARTICLED_TEST_READ_DELAY_MS", "4000", 1);
    rc = start(&s, extra);
    unsetenv("ARTICLED_TEST_READ_DELAY_MS");
    cr_expect_eq(rc, 0, "no start with --search-threads 2 and ARTICLED_TEST_READ_DELAY_MS");
    if (rc != 0)
        return;
    for (int i = 0; i < F1_SEARCHES; i++) {
        char req[160];
        int n = snprintf(req, sizeof req,
                         "GET /v1/search?q=storm%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", i);
        fds[i] = sec_connect(s.port);
        cr_assert_geq(fds[i], 0);
        cr_assert_eq(send(fds[i], req, (size_t)n, MSG_NOSIGNAL), n);
    }
    sec_sleep_ms(300); /* the searches reach the read threads */
    for (int round = 0; round < 3; round++)
        for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
            struct apitest_resp r;
            long long t0 = sec_now_ms(), dt;
            apitest_get(&s, probes[p], &r);
            dt = sec_now_ms() - t0;
            cr_expect_eq(r.status, 200, "%s while every read thread is busy: %ld", probes[p],
                         r.status);
            if (dt > worst) {
                worst = dt;
                worst_path = probes[p];
            }
            apitest_resp_free(&r);
        }
    /* the reads were really held: some search has not answered yet */
    for (int i = 0; i < F1_SEARCHES; i++) {
        struct pollfd p = {fds[i], POLLIN, 0};
        pending += poll(&p, 1, 0) == 0;
    }
    cr_log_info("F1: /healthz, /readyz, /metrics x3 beside %d held searches: slowest %lld ms (%s)",
                F1_SEARCHES, worst, worst_path);
    cr_expect_lt(worst, 1000, "%s took %lld ms while the read threads were busy (bound 1,000 ms)",
                 worst_path, worst);
    cr_expect_geq(pending, 1, "every search had answered: the reads were not held");
    /* and the held searches are answered in the end */
    for (int i = 0; i < F1_SEARCHES; i++) {
        struct atk_resp r;
        atk_read_answer(fds[i], 60000, 0, &r);
        cr_expect_eq(r.status, 200, "held search %d: %d %.200s", i, r.status, r.body);
        atk_resp_free(&r);
        close(fds[i]);
    }
    stop(&s);
}

/* "a* OR b* OR ... 5*": 32 one-character prefixes. */
static void f1_hostile_query(char *out, size_t size)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyz012345";
    size_t n = 0;
    for (size_t i = 0; i < 32; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%c*", i ? "%20OR%20" : "", chars[i]);
}

/* The value of one sample of GET /metrics (name with its labels), or -1. */
static long long metric_value(const struct apitest_server *s, const char *sample)
{
    struct apitest_resp r;
    long long v = -1;
    size_t n = strlen(sample);
    if (apitest_get(s, "/metrics", &r) == 0 && r.status == 200 && r.body != NULL) {
        for (const char *p = r.body; p != NULL && *p != '\0';
             p = strchr(p, '\n'), p = p ? p + 1 : p)
            if (strncmp(p, sample, n) == 0 && p[n] == ' ') {
                v = atoll(p + n + 1);
                break;
            }
    }
    apitest_resp_free(&r);
    return v;
}

/* 1 when r is the search-timeout refusal: 503 problem, Retry-After 1 and
 * "limit": "search-timeout". */
static int is_search_timeout(const struct apitest_resp *r)
{
    return apitest_is_problem(r, 503) && strcmp(r->retry_after, "1") == 0 &&
           strcmp(json_string_value(json_object_get(r->json, "limit")) ?: "", "search-timeout") ==
               0;
}

static void f1_prefix_queries(void)
{
    struct apitest_server s;
    struct text nd = {0};
    struct apitest_resp r;
    char hostile[400], path[600];
    static const char *const refused[] = {"s*", "a*%20b*",
                                          "ab*%20OR%20cd*%20OR%20ef*%20OR%20gh*%20OR%20ij*",
                                          "x*%20OR%20storm", NULL};
    const char *tiny[] = {"--search-timeout", "10", NULL};
    int answered = 0, timed_out = 0;

    if (start(&s, NULL) != 0) {
        cr_expect_fail("no server");
        return;
    }
    for (int b = 0; b < 3; b++) {
        nd.len = 0;
        random_articles(&nd, "f1", b * 1000, 1000, 40, 0xf1);
        bulk(&s, NULL, &nd, 1000);
    }
    free(nd.p);

    f1_hostile_query(hostile, sizeof hostile);
    snprintf(path, sizeof path, "/v1/search?q=%s&sort=newest&limit=100", hostile);
    {
        long long t0 = sec_now_ms();
        apitest_get(&s, path, &r);
        cr_expect(apitest_is_problem(&r, 400), "32 one-letter prefixes: %ld after %lld ms",
                  r.status, sec_now_ms() - t0);
        cr_expect(atk_problem_names_field(r.json, "q"), "no errors[].field q: %.300s", r.body);
        apitest_resp_free(&r);
    }
    for (size_t i = 0; refused[i] != NULL; i++) {
        snprintf(path, sizeof path, "/v1/search?q=%s&sort=newest&limit=100", refused[i]);
        apitest_get(&s, path, &r);
        cr_expect(apitest_is_problem(&r, 400), "q=%s: %ld %.200s", refused[i], r.status, r.body);
        cr_expect(atk_problem_names_field(r.json, "q"), "q=%s: %.300s", refused[i], r.body);
        apitest_resp_free(&r);
    }
    /* two letters and at most four prefixes: a real answer */
    apitest_get(&s, "/v1/search?q=ab*&sort=newest&limit=100", &r);
    cr_expect(r.status == 200 || is_search_timeout(&r), "q=ab*: %ld %.300s", r.status, r.body);
    if (r.status == 200) {
        cr_expect_gt(json_integer_value(json_object_get(r.json, "total")), 0, "%.200s", r.body);
        cr_expect_leq(json_array_size(json_object_get(r.json, "hits")), 100);
    }
    apitest_resp_free(&r);
    apitest_get(&s, "/v1/search?q=ab*%20OR%20cd*%20OR%20ef*%20OR%20gh*&sort=newest&limit=100", &r);
    cr_expect(r.status == 200 || is_search_timeout(&r), "four prefixes: %ld %.300s", r.status,
              r.body);
    apitest_resp_free(&r);
    stop_keep_dir(&s);

    /* a tiny budget: each answer is a result or the search-timeout problem */
    if (track(&s, apitest_start(&s, s.db, tiny)) != 0) {
        cr_expect_fail("no start with --search-timeout 10");
        apitest_cleanup(&s);
        return;
    }
    for (int i = 0; i < 6; i++) {
        static const char *const qs[] = {"ab*%20OR%20cd*%20OR%20ef*%20OR%20gh*", "ab*",
                                         "ba*%20OR%20ca*"};
        snprintf(path, sizeof path, "/v1/search?q=%s&sort=%s&limit=100", qs[i % 3],
                 i < 3 ? "newest" : "relevance");
        apitest_get(&s, path, &r);
        if (r.status == 200) {
            answered++;
        } else {
            timed_out++;
            cr_expect(is_search_timeout(&r), "with --search-timeout 10: %ld %s %.300s", r.status,
                      r.retry_after, r.body);
        }
        apitest_resp_free(&r);
    }
    cr_log_info("F1: --search-timeout 10 over 3,000 articles: %d answered, %d search-timeout",
                answered, timed_out);
    /* the operator sees each stopped read in /metrics */
    cr_expect_eq(metric_value(&s, "articled_limited_total{limit=\"search-timeout\"}"), timed_out);
    stop(&s);
}

Test(attack, f01_search_cost_is_bounded_and_health_answers)
{
    f1_health_while_reads_are_held();
    f1_prefix_queries();
}

/* ========================================================================= */
/* F2. Unauthenticated memory exhaustion: bodies nobody takes are never read, */
/* and buffered bodies have a global cap.                                    */
/* ========================================================================= */

#define F2_CONNS     250
#define F2_PART      (256 * 1024) /* sent of the 8 MiB each announces */
#define F2_ANNOUNCED "8388608"

struct f2_conn {
    int fd;
    char head[256];
    size_t head_len, head_off;
    size_t sent; /* body bytes the kernel took */
    int want;    /* the status this route must answer */
    int stopped; /* sending failed: the server closed it */
};

static void f2_bodies_nobody_takes(void)
{
    static struct f2_conn c[F2_CONNS];
    static char junk[65536];
    static const struct {
        const char *method, *path;
        int want;
    } routes[] = {{"POST", "/nope", 404}, {"GET", "/healthz", 413}, {"PUT", "/v1/search", 405}};
    struct apitest_server s;
    long rss0, rss1;
    size_t sent = 0, answered = 0, right = 0, closed = 0, wrong = 0;
    long long deadline, t0;
    int open_left;

    memset(junk, 'x', sizeof junk);
    if (start(&s, NULL) != 0) {
        cr_expect_fail("no server");
        return;
    }
    cr_expect(still_serves(&s));
    rss0 = atk_vmrss_kib(s.pid);
    for (int i = 0; i < F2_CONNS; i++) {
        int k = i % 3;
        c[i] = (struct f2_conn){.fd = atk_connect_nb(s.port), .want = routes[k].want};
        c[i].head_len =
            (size_t)snprintf(c[i].head, sizeof c[i].head,
                             "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                             "application/json\r\nContent-Length: " F2_ANNOUNCED "\r\n\r\n",
                             routes[k].method, routes[k].path);
        cr_assert_geq(c[i].fd, 0, "connection %d", i);
    }
    /* send each head and 256 KiB of its body, then stall */
    t0 = sec_now_ms();
    deadline = t0 + 20000;
    do {
        struct pollfd p[F2_CONNS];
        int idx[F2_CONNS], n = 0;
        for (int i = 0; i < F2_CONNS; i++)
            if (!c[i].stopped && c[i].sent < F2_PART) {
                p[n] = (struct pollfd){c[i].fd, POLLOUT, 0};
                idx[n++] = i;
            }
        open_left = n;
        if (n == 0 || poll(p, (nfds_t)n, 200) < 0)
            break;
        for (int j = 0; j < n; j++) {
            struct f2_conn *x = &c[idx[j]];
            ssize_t k;
            if (p[j].revents & (POLLERR | POLLHUP)) {
                x->stopped = 1;
                continue;
            }
            if (!(p[j].revents & POLLOUT))
                continue;
            if (x->head_off < x->head_len) {
                k = send(x->fd, x->head + x->head_off, x->head_len - x->head_off, MSG_NOSIGNAL);
                if (k > 0)
                    x->head_off += (size_t)k;
            } else {
                size_t want = F2_PART - x->sent;
                k = send(x->fd, junk, want < sizeof junk ? want : sizeof junk, MSG_NOSIGNAL);
                if (k > 0)
                    x->sent += (size_t)k;
            }
            if (k < 0 && errno != EAGAIN && errno != EINTR)
                x->stopped = 1;
        }
    } while (sec_now_ms() < deadline);
    sec_sleep_ms(300);
    rss1 = atk_vmrss_kib(s.pid);
    for (int i = 0; i < F2_CONNS; i++)
        sent += c[i].sent;

    /* every connection has its answer, and is closed */
    deadline = sec_now_ms() + 10000;
    for (int i = 0; i < F2_CONNS; i++) {
        struct atk_resp r;
        long long left = deadline - sec_now_ms();
        atk_read_answer(c[i].fd, left > 0 ? (int)left : 0, left > 0 ? 1000 : 0, &r);
        answered += r.status != 0;
        right += r.status == c[i].want;
        closed += r.closed;
        if (r.status != c[i].want && wrong++ < 3)
            cr_log_error("connection %d: %d, wanted %d", i, r.status, c[i].want);
        atk_resp_free(&r);
        close(c[i].fd);
    }
    cr_log_info("F2: %d connections announcing " F2_ANNOUNCED " bytes, %zu KiB of bodies sent "
                "(%d still sending when it stopped): VmRSS %ld -> %ld KiB (+%ld KiB), %zu answered "
                "(%zu as wanted), %zu closed",
                F2_CONNS, sent / 1024, open_left, rss0, rss1, rss1 - rss0, answered, right, closed);
    cr_expect_eq(right, F2_CONNS,
                 "%zu of %d connections got their 404/413/405 before the body "
                 "(%zu answered at all)",
                 right, F2_CONNS, answered);
    cr_expect_eq(closed, F2_CONNS, "%zu of %d connections closed after the answer", closed,
                 F2_CONNS);
    /* a server under ThreadSanitizer (the suite's tsan stage) keeps shadow
     * memory for every byte it touches: its RSS says nothing about ours */
    if (getenv("ARTICLED_TEST_TSAN_SERVER") == NULL)
        cr_expect_lt((rss1 - rss0) * 4, (long)F2_CONNS * (F2_PART / 1024),
                     "VmRSS grew %ld KiB while %d clients sent %zu KiB (%ld KiB attempted): not "
                     "under a quarter",
                     rss1 - rss0, F2_CONNS, sent / 1024, (long)F2_CONNS * (F2_PART / 1024));
    cr_expect(still_serves(&s));
    stop(&s);
}

/* Expect: 100-continue without a key: the 401 comes, and no 100 before it. */
static void f2_expect_continue_checks_the_key_first(void)
{
    struct apitest_server s;
    struct text req = {0};
    struct atk_resp r;
    static const char body[] = "{\"id\":\"ex-1\",\"title\":\"t\",\"body\":\"b\"}";
    char hdrs[256];
    int fd;

    if (track(&s, sec_start_with_keys(&s, sec_keys_text, NULL)) != 0) {
        cr_expect_fail("no server with keys");
        apitest_cleanup(&s);
        return;
    }
    snprintf(hdrs, sizeof hdrs,
             "Content-Type: application/json\r\nContent-Length: %zu\r\nExpect: 100-continue\r\n",
             sizeof body - 1);
    raw_request(&req, "POST", "/v1/articles", hdrs, NULL, 0);
    atk_exchange(s.port, req.p, req.len, 3000, 0, &r);
    cr_expect_eq(r.status, 401, "Expect: 100-continue without a key: %d (interim 100: %d)",
                 r.status, r.saw_100);
    cr_expect(!r.saw_100, "100 Continue sent before the key check");
    atk_resp_free(&r);

    /* with the write key the upload goes on as usual */
    req.len = 0;
    snprintf(hdrs, sizeof hdrs,
             "Authorization: Bearer " SEC_WRITE_KEY "\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nExpect: 100-continue\r\n",
             sizeof body - 1);
    raw_request(&req, "POST", "/v1/articles", hdrs, NULL, 0);
    fd = sec_connect(s.port);
    cr_assert_geq(fd, 0);
    cr_assert_eq(send(fd, req.p, req.len, MSG_NOSIGNAL), (ssize_t)req.len);
    atk_read_answer(fd, 1000, 0, &r); /* a 100, or nothing until the body comes */
    cr_expect_eq(r.status, 0, "an answer before the body: %d", r.status);
    atk_resp_free(&r);
    cr_assert_eq(send(fd, body, sizeof body - 1, MSG_NOSIGNAL), (ssize_t)sizeof body - 1);
    atk_read_answer(fd, 10000, 0, &r);
    cr_expect_eq(r.status, 201, "with the write key: %d %.200s", r.status, r.body);
    atk_resp_free(&r);
    close(fd);
    free(req.p);
    stop(&s);
}

#define F2_CAP_CONNS 4
#define F2_CAP_BODY  (1024 * 1024)
#define F2_CAP_STEP  (32 * 1024)

/* Four 1 MiB bodies trickled at once against --max-body-memory 2M: at least
 * one is refused with 503 "limit": "body-memory". */
static void f2_global_body_cap(void)
{
    struct apitest_server s;
    const char *extra[] = {"--max-body-memory", "2M", NULL};
    struct text body[F2_CAP_CONNS] = {{0}};
    int fds[F2_CAP_CONNS], stopped[F2_CAP_CONNS] = {0};
    size_t off[F2_CAP_CONNS] = {0};
    int capped = 0, created = 0, other = 0;

    if (start(&s, extra) != 0) {
        cr_expect_fail("no start with --max-body-memory 2M");
        return;
    }
    for (int i = 0; i < F2_CAP_CONNS; i++) {
        struct text head = {0};
        uint64_t st = 0xb0d1 + (uint64_t)i;
        char *words = malloc(F2_CAP_BODY);
        size_t n;
        cr_assert_not_null(words);
        words[0] = '\0';
        n = fault_words(&st, 200000, words, 0, F2_CAP_BODY - 200);
        text_addf(&body[i], "{\"id\":\"cap-%d\",\"title\":\"Cap %d\",\"body\":\"%.*s", i, i, (int)n,
                  words);
        while (body[i].len < F2_CAP_BODY - 2)
            text_add(&body[i], " ", 1);
        text_add(&body[i], "\"}", 2);
        cr_assert_eq(body[i].len, F2_CAP_BODY);
        free(words);
        text_addf(&head,
                  "POST /v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                  "application/json\r\nContent-Length: %zu\r\n\r\n",
                  body[i].len);
        fds[i] = sec_connect(s.port);
        cr_assert_geq(fds[i], 0);
        cr_assert_eq(send(fds[i], head.p, head.len, MSG_NOSIGNAL), (ssize_t)head.len);
        free(head.p);
    }
    /* 32 KiB on each in turn every 10 ms, until each is sent or refused */
    for (int round = 0; round < 200; round++) {
        int busy = 0;
        for (int i = 0; i < F2_CAP_CONNS; i++) {
            struct pollfd p = {fds[i], POLLIN, 0};
            size_t n = body[i].len - off[i];
            ssize_t k;
            if (stopped[i] || n == 0)
                continue;
            if (poll(&p, 1, 0) > 0) { /* answered before its body came */
                stopped[i] = 1;
                continue;
            }
            k = send(fds[i], body[i].p + off[i], n < F2_CAP_STEP ? n : F2_CAP_STEP,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
            if (k > 0)
                off[i] += (size_t)k;
            else if (k < 0 && errno != EAGAIN)
                stopped[i] = 1;
            busy = 1;
        }
        if (!busy)
            break;
        sec_sleep_ms(10);
    }
    for (int i = 0; i < F2_CAP_CONNS; i++) {
        struct atk_resp r;
        char ra[32];
        atk_read_answer(fds[i], 30000, 0, &r);
        if (r.status == 503) {
            capped++;
            cr_expect(atk_is_problem(&r, 503), "%.300s", r.body);
            cr_expect_str_eq(json_string_value(json_object_get(r.json, "limit")) ?: "",
                             "body-memory", "%.300s", r.body);
            cr_expect(atk_header(&r, "Retry-After", ra, sizeof ra), "503 without Retry-After");
        } else if (r.status == 201) {
            created++;
        } else {
            other++;
            cr_log_error("body %d (%zu bytes sent): %d %.200s", i, off[i], r.status, r.body);
        }
        atk_resp_free(&r);
        close(fds[i]);
        free(body[i].p);
    }
    cr_log_info("F2: four 1 MiB bodies against --max-body-memory 2M: %d x 503 body-memory, "
                "%d x 201, %d other",
                capped, created, other);
    cr_expect_geq(capped, 1, "no 503 body-memory: %d created, %d other", created, other);
    cr_expect_eq(other, 0);
    cr_expect(still_serves(&s));
    cr_expect_eq(metric_value(&s, "articled_limited_total{limit=\"body-memory\"}"), capped);
    /* every body is given back when its request ends (the server may see the
     * closed connections a moment later: up to 10 s) */
    {
        long long held = -1;
        for (int i = 0; i < 100 && held != 0; i++) {
            held = metric_value(&s, "articled_body_memory_bytes");
            if (held != 0)
                sec_sleep_ms(100);
        }
        cr_expect_eq(held, 0, "body bytes still held after every request ended");
    }
    stop(&s);
}

Test(attack, f02_bodies_are_read_only_when_taken_and_capped)
{
    f2_bodies_nobody_takes();
    f2_expect_continue_checks_the_key_first();
    f2_global_body_cap();
}

/* ========================================================================= */
/* F3. Access log injection: text fields are escaped, JSON lines are always  */
/* valid UTF-8 JSON.                                                         */
/* ========================================================================= */

/* One field of a text-format line: key=value, the value bare or a quoted
 * JSON string. Parses from *p; returns 1 with key/value filled (value
 * unquoted, new string), 0 at the end of the line, -1 when malformed. */
static int text_field(const char **p, char *key, size_t ksize, char **value)
{
    const char *s = *p, *eq, *v;
    size_t klen;

    while (*s == ' ')
        s++;
    if (*s == '\0')
        return 0;
    eq = strchr(s, '=');
    if (eq == NULL || memchr(s, ' ', (size_t)(eq - s)) != NULL)
        return -1;
    klen = (size_t)(eq - s);
    if (klen == 0 || klen >= ksize)
        return -1;
    memcpy(key, s, klen);
    key[klen] = '\0';
    v = eq + 1;
    if (*v == '"') {
        const char *e = v + 1;
        json_t *j;
        while (*e != '\0' && *e != '"')
            e += *e == '\\' && e[1] != '\0' ? 2 : 1;
        if (*e != '"')
            return -1;
        j = json_loadb(v, (size_t)(e - v) + 1, JSON_DECODE_ANY, NULL);
        if (!json_is_string(j)) {
            json_decref(j);
            return -1;
        }
        *value = strdup(json_string_value(j));
        json_decref(j);
        s = e + 1;
    } else {
        const char *e = strchr(v, ' ');
        if (e == NULL)
            e = v + strlen(v);
        *value = strndup(v, (size_t)(e - v));
        s = e;
    }
    if (*s != '\0' && *s != ' ')
        return -1;
    *p = s;
    return 1;
}

static void f3_text_log(void)
{
    struct apitest_server s;
    const char *extra[] = {"--log-format", "text", NULL};
    static const struct {
        const char *target; /* as sent */
        const char *path;   /* as the log must say it */
    } reqs[] = {
        {"/v1/articles/forged%0a2026-12-07T00:00:00.000Z%20info%20access%20method=DELETE%20path=/"
         "v1/articles/x%20status=204%20bytes=0%20us=1",
         "/v1/articles/forged\n2026-12-07T00:00:00.000Z info access method=DELETE "
         "path=/v1/articles/x status=204 bytes=0 us=1"},
        {"/v1/articles/a%20key=writer", "/v1/articles/a key=writer"},
        {"/v1/articles/q%22uote%5Cback=eq%09tab%0d", "/v1/articles/q\"uote\\back=eq\ttab\r"},
        {"/v1/articles/plain", "/v1/articles/plain"},
        {"/healthz", "/healthz"},
    };
    const size_t n = sizeof reqs / sizeof reqs[0];
    size_t access = 0, seen[8] = {0};
    char *log, *line, *save = NULL;

    cr_assert_eq(sec_prepare(&s), 0);
    if (track(&s, apitest_start(&s, s.db, extra)) != 0) {
        char *log = sec_read_log(&s);
        cr_expect_fail("no server with --log-format text: %.300s", log);
        free(log);
        apitest_cleanup(&s);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct text req = {0};
        struct atk_resp r;
        raw_request(&req, "GET", reqs[i].target, NULL, NULL, 0);
        atk_exchange(s.port, req.p, req.len, 5000, 0, &r);
        cr_expect(r.status == 200 || r.status == 404, "%s: %d", reqs[i].target, r.status);
        atk_resp_free(&r);
        free(req.p);
    }
    stop_keep_dir(&s);
    log = sec_read_log(&s);
    for (line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char ts[64], level[16], msg[64], key[64], *value = NULL, *path = NULL;
        const char *p = line;
        int consumed = 0, rc;
        if (sscanf(line, "%63s %15s %63s%n", ts, level, msg, &consumed) != 3 ||
            strcmp(level, "info") != 0 || strcmp(msg, "access") != 0)
            continue;
        access++;
        p = line + consumed;
        while ((rc = text_field(&p, key, sizeof key, &value)) == 1) {
            cr_expect(strcmp(key, "key") != 0, "a forged key field: %s", line);
            if (strcmp(key, "path") == 0 && path == NULL)
                path = value;
            else
                free(value);
            value = NULL;
        }
        cr_expect_eq(rc, 0, "an access line that does not parse as key=value fields: %s", line);
        for (size_t i = 0; path != NULL && i < n; i++)
            if (strcmp(path, reqs[i].path) == 0)
                seen[i]++;
        free(path);
    }
    cr_expect_eq(access, n, "%zu requests made %zu access lines", n, access);
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(seen[i], 1, "request %zu (%s): %zu access lines with its path", i,
                     reqs[i].target, seen[i]);
    free(log);
    apitest_cleanup(&s);
}

static void f3_json_log(void)
{
    struct apitest_server s;
    static const char *const mb[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    struct text req = {0};
    size_t lines = 0, access = 0, sent = 0;
    char *log, *line, *save = NULL;

    if (start(&s, NULL) != 0) {
        cr_expect_fail("no server");
        return;
    }
    /* invalid UTF-8 in the path, raw and percent-encoded, and in the method */
    {
        static const char *const raws[] = {
            "GET /v1/articles/\xff\xfe\x80z HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /v1/articles/%ff%c3%28%ed%a0%80%f4%90%80%80 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /v1/articles/\xc3 HTTP/1.1\r\nHost: x\r\n\r\n",
            "G\xff\xfeT /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /v1/search?q=%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
        };
        for (size_t i = 0; i < sizeof raws / sizeof raws[0]; i++) {
            struct atk_resp r;
            atk_exchange(s.port, raws[i], strlen(raws[i]), 5000, 0, &r);
            cr_expect_neq(r.status, 0, "no answer to raw request %zu", i);
            sent++;
            atk_resp_free(&r);
        }
    }
    /* long paths of multi-byte characters at every alignment: wherever the
     * log cuts a path, it cuts between characters */
    for (size_t c = 0; c < 3; c++)
        for (size_t align = 0; align <= c + 1; align++) {
            struct atk_resp r;
            req.len = 0;
            text_lit(&req, "GET /v1/articles/");
            for (size_t k = 0; k < align; k++)
                text_lit(&req, "a");
            while (req.len < 7000)
                text_add(&req, mb[c], strlen(mb[c]));
            text_lit(&req, " HTTP/1.1\r\nHost: x\r\n\r\n");
            atk_exchange(s.port, req.p, req.len, 5000, 0, &r);
            cr_expect(r.status == 404 || r.status == 400 || r.status == 414,
                      "long path (%zu-byte characters, offset %zu): %d", c + 2, align, r.status);
            sent++;
            atk_resp_free(&r);
        }
    free(req.p);
    stop_keep_dir(&s);
    log = sec_read_log(&s);
    for (line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        json_t *o;
        size_t len = strlen(line);
        lines++;
        cr_expect(atk_utf8_valid(line, len), "log line %zu is not valid UTF-8: %.200s", lines,
                  line);
        o = json_loadb(line, len, 0, &jerr);
        cr_expect_not_null(o, "log line %zu is not JSON (%s): %.200s", lines, jerr.text, line);
        if (o != NULL && strcmp(json_string_value(json_object_get(o, "msg")) ?: "", "access") == 0)
            access++;
        json_decref(o);
    }
    cr_expect_geq(access, sent - 1, "%zu requests made %zu access lines", sent, access);
    cr_log_info("F3: %zu JSON log lines, %zu of them access lines, for %zu hostile requests", lines,
                access, sent);
    free(log);
    apitest_cleanup(&s);
}

Test(attack, f03_access_log_cannot_be_forged_and_stays_valid_json)
{
    f3_text_log();
    f3_json_log();
}

/* ========================================================================= */
/* F4. Search answer cache: \x1f in q or source made two searches share a key */
/* ========================================================================= */

#define F4_BOTH 7 /* articles with coffee and brazil */

Test(attack, f04_search_cache_keys_are_unambiguous)
{
    struct apitest_server s;
    struct text nd = {0};
    const char *nocache[] = {"--search-cache", "0", NULL};
    long long first, second, truth, again;

    cr_assert_eq(start(&s, NULL), 0);
    for (int i = 0; i < 12; i++)
        text_addf(&nd,
                  "{\"id\":\"c-%d\",\"title\":\"Harvest %d\",\"source\":\"farm\",\"body\":\"The "
                  "coffee harvest %s this year.\"}\n",
                  i, i, i < F4_BOTH ? "in brazil was large" : "was late");
    bulk(&s, NULL, &nd, 12);
    free(nd.p);
    /* the first search has no hits (no such source), the second has F4_BOTH */
    first = total_of(&s, "/v1/search?q=coffee&source=brazil%1F%1E");
    second = total_of(&s, "/v1/search?q=coffee%1Fbrazil");
    again = total_of(&s, "/v1/search?q=coffee&source=brazil%1F%1E");
    stop_keep_dir(&s);
    cr_assert_eq(track(&s, apitest_start(&s, s.db, nocache)), 0, "no start with --search-cache 0");
    truth = total_of(&s, "/v1/search?q=coffee%1Fbrazil");
    cr_expect_eq(total_of(&s, "/v1/search?q=coffee&source=brazil%1F%1E"), first);
    stop(&s);
    cr_log_info("F4: q=coffee&source=brazil%%1F%%1E: %lld, then q=coffee%%1Fbrazil: %lld "
                "(without the cache: %lld)",
                first, second, truth);
    cr_expect_eq(first, 0, "no article has the source brazil\\x1f\\x1e: %lld", first);
    cr_expect_eq(truth, F4_BOTH, "without the cache, q=coffee%%1Fbrazil finds %lld", truth);
    cr_expect_eq(second, truth,
                 "q=coffee%%1Fbrazil after q=coffee&source=brazil%%1F%%1E: %lld, the true "
                 "answer %lld (a shared cache key)",
                 second, truth);
    cr_expect_eq(again, first, "the first search asked again: %lld", again);
}

/* ========================================================================= */
/* F5. Snapshots: temporaries of an interrupted snapshot are removed, a       */
/* snapshot that would fill the disk is refused, old snapshots are pruned.   */
/* ========================================================================= */

static void f5_stale_temporaries_removed_at_start(void)
{
    struct apitest_server s;
    char p1[400], p2[400], *log;
    static const char junk[] = "SQLite format 3 -- the rest of an interrupted snapshot";

    cr_assert_eq(sec_prepare(&s), 0);
    cr_assert_eq(sec_write_file(&s, ".snapshot-abc123", junk, 0600, p1, sizeof p1), 0);
    cr_assert_eq(sec_write_file(&s, ".snapshot-abc123-journal", junk, 0600, p2, sizeof p2), 0);
    if (track(&s, apitest_start(&s, s.db, NULL)) != 0) {
        cr_expect_fail("no server");
        apitest_cleanup(&s);
        return;
    }
    cr_expect_eq(access(p1, F_OK), -1, "%s is still there after a start", p1);
    cr_expect_eq(access(p2, F_OK), -1, "%s is still there after a start", p2);
    log = sec_read_log(&s);
    cr_expect(strstr(log, ".snapshot-abc123") != NULL,
              "the log does not name the removed temporary: %.600s", log);
    free(log);
    stop(&s);
}

/* --snapshot-min-free larger than the folder's free space: 507, nothing left. */
static void f5_refused_for_space(void)
{
    struct apitest_server s;
    struct statvfs vfs;
    struct apitest_resp r;
    char minfree[64];
    const char *extra[] = {"--snapshot-min-free", minfree, NULL};

    cr_assert_eq(sec_prepare(&s), 0);
    cr_assert_eq(statvfs(s.dir, &vfs), 0);
    /* the free space now, plus 1 GiB, in MiB */
    snprintf(minfree, sizeof minfree, "%lluM",
             (unsigned long long)vfs.f_bavail * vfs.f_frsize / (1024 * 1024) + 1024);
    if (track(&s, apitest_start(&s, s.db, extra)) != 0) {
        char *log = sec_read_log(&s);
        cr_expect_fail("no start with --snapshot-min-free %s: %.300s", minfree, log);
        free(log);
        apitest_cleanup(&s);
        return;
    }
    apitest_post_json(&s, "/v1/articles", "{\"id\":\"s1\",\"title\":\"t\",\"body\":\"b\"}", &r);
    cr_expect_eq(r.status, 201);
    apitest_resp_free(&r);
    apitest_request(&s, "POST", "/v1/admin/snapshot?name=full.db", NULL, NULL, 0, &r);
    cr_expect(apitest_is_problem(&r, 507), "snapshot with --snapshot-min-free %s: %ld %.300s",
              minfree, r.status, r.body);
    apitest_resp_free(&r);
    cr_expect_eq(count_prefixed(s.dir, ".snapshot-"), 0, "a refused snapshot left a temporary");
    cr_expect_eq(count_prefixed(s.dir, "full.db"), 0, "a refused snapshot left its file");
    stop(&s);
}

/* --snapshot-keep 2: four automatic snapshots leave the newest two. */
static void f5_keep(void)
{
    struct apitest_server s;
    const char *extra[] = {"--snapshot-keep", "2", NULL};
    char names[4][128], path[800];

    if (start(&s, extra) != 0) {
        cr_expect_fail("no start with --snapshot-keep 2");
        return;
    }
    for (int i = 0; i < 4; i++) {
        struct apitest_resp r;
        char body[128];
        snprintf(body, sizeof body, "{\"id\":\"k%d\",\"title\":\"t\",\"body\":\"b\"}", i);
        apitest_post_json(&s, "/v1/articles", body, &r);
        apitest_resp_free(&r);
        apitest_request(&s, "POST", "/v1/admin/snapshot", NULL, NULL, 0, &r);
        cr_expect_eq(r.status, 201, "automatic snapshot %d: %ld %.200s", i, r.status, r.body);
        snprintf(names[i], sizeof names[i], "%s",
                 json_string_value(json_object_get(r.json, "name")) ?: "");
        apitest_resp_free(&r);
        sec_sleep_ms(20); /* names carry milliseconds */
    }
    cr_expect_eq(count_prefixed(s.dir, "articled-"), 2,
                 "%zu automatic snapshots kept with --snapshot-keep 2",
                 count_prefixed(s.dir, "articled-"));
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", s.dir, names[i]);
        cr_expect_eq(access(path, F_OK) == 0, i >= 2, "snapshot %d (%s): %s", i, names[i],
                     i >= 2 ? "the newest two are kept" : "the oldest are removed");
    }
    stop(&s);
}

Test(attack, f05_snapshot_temporaries_space_and_count_are_bounded)
{
    f5_stale_temporaries_removed_at_start();
    f5_refused_for_space();
    f5_keep();
}

/* ========================================================================= */
/* F6. Cursors: forged or modified cursors are refused (400, field cursor).   */
/* ========================================================================= */

/* GET path: the status, and on 400 whether the problem names field cursor. */
static long cursor_status(const struct apitest_server *s, const char *cursor, int *names_cursor,
                          long long *total)
{
    struct apitest_resp r;
    char path[1024];
    long st;
    snprintf(path, sizeof path, "/v1/search?q=storm&limit=5&cursor=%s", cursor);
    apitest_get(s, path, &r);
    st = r.status;
    *names_cursor = apitest_is_problem(&r, 400) && atk_problem_names_field(r.json, "cursor");
    if (total != NULL)
        *total = json_integer_value(json_object_get(r.json, "total"));
    apitest_resp_free(&r);
    return st;
}

/* The query hash the first cursor format bound a cursor to: FNV-1a over the
 * search's parameters (what an attacker reads in the source). */
static uint32_t v1_query_hash(const char *const *parts, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        for (const char *p = parts[i] ? parts[i] : ""; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        h = (h ^ 0xff) * 16777619u;
    }
    return h;
}

Test(attack, f06_cursors_are_authenticated_and_range_checked)
{
    struct apitest_server s;
    struct text nd = {0};
    struct apitest_resp r;
    char cursor[512], tampered[512];
    unsigned char plain[400];
    long n, accepted = 0, tried = 0;
    int named;
    long long total;
    const char *parts[] = {"search", "storm", NULL, NULL, NULL, "r", "", NULL};
    uint32_t qh = v1_query_hash(parts, 8);

    cr_assert_eq(start(&s, NULL), 0);
    for (int i = 0; i < 30; i++)
        text_addf(&nd,
                  "{\"id\":\"cur-%d\",\"title\":\"Storm %d\",\"body\":\"A storm, number %d.\"}\n",
                  i, i, i);
    bulk(&s, NULL, &nd, 30);
    free(nd.p);
    apitest_get(&s, "/v1/search?q=storm&limit=5", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "total")), 30);
    cr_assert(json_is_string(json_object_get(r.json, "next_cursor")), "%s", r.body);
    snprintf(cursor, sizeof cursor, "%s",
             json_string_value(json_object_get(r.json, "next_cursor")));
    apitest_resp_free(&r);

    /* the untouched cursor works */
    cr_expect_eq(cursor_status(&s, cursor, &named, &total), 200);
    cr_expect_eq(total, 30);

    /* every byte changed in turn: each is refused */
    n = atk_b64url_decode(cursor, plain, sizeof plain);
    cr_assert_gt(n, 0, "next_cursor is not base64url: %s", cursor);
    for (long i = 0; i < n; i++) {
        long st;
        plain[i] ^= 0x01;
        atk_b64url_encode(plain, (size_t)n, tampered);
        plain[i] ^= 0x01;
        st = cursor_status(&s, tampered, &named, NULL);
        tried++;
        if (st != 400 || !named) {
            if (accepted++ < 3)
                cr_log_error("cursor with byte %ld changed: %ld", i, st);
        }
    }
    cr_expect_eq(accepted, 0,
                 "%ld of %ld cursors with one byte changed were not refused "
                 "400 (field cursor)",
                 accepted, tried);

    /* forged from scratch in the first cursor format, with the right query
     * hash: max_seq=1 (changed total), offset 2^63-1 (overflow) */
    {
        static const char *const forms[] = {"1|r|0x0p+0|0|0|1|0|%08x",
                                            "1|r|0x0p+0|0|0|1000|9223372036854775807|%08x",
                                            "1|r|0x0p+0|0|0|-1|5|%08x"};
        for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
            char text[200];
            long st;
            int len = snprintf(text, sizeof text, forms[i], qh);
            atk_b64url_encode((const unsigned char *)text, (size_t)len, tampered);
            st = cursor_status(&s, tampered, &named, &total);
            cr_expect(st == 400 && named, "forged cursor %s: %ld (total %lld)", text, st,
                      st == 200 ? total : -1);
        }
    }
    /* the untouched cursor still works */
    cr_expect_eq(cursor_status(&s, cursor, &named, &total), 200);
    stop(&s);
}

/* ========================================================================= */
/* F7. Requests libmicrohttpd cannot hold get a prompt 4xx, not a timeout.    */
/* ========================================================================= */

Test(attack, f07_oversized_request_lines_are_answered_promptly)
{
    struct apitest_server s;
    struct text target = {0}, req = {0};
    struct atk_resp r;

    cr_assert_eq(start(&s, NULL), 0);
    /* 480 query parameters, about 3.3 KB */
    text_lit(&target, "/v1/search?q=storm");
    for (int i = 0; i < 480; i++)
        text_addf(&target, "&p%d=%d", i, i % 10);
    raw_request(&req, "GET", target.p, NULL, NULL, 0);
    atk_exchange(s.port, req.p, req.len, 5000, 0, &r);
    cr_log_info("F7: %zu-byte target with 480 parameters: %d after %lld ms", target.len, r.status,
                r.ms);
    cr_expect(r.status == 400 || r.status == 414 || r.status == 431,
              "480 query parameters (%zu bytes): %d within 5 s (0: no answer)", target.len,
              r.status);
    atk_resp_free(&r);
    /* a 16 KiB URI */
    target.len = 0;
    req.len = 0;
    text_lit(&target, "/v1/articles/");
    while (target.len < 16384)
        text_lit(&target, "a");
    raw_request(&req, "GET", target.p, NULL, NULL, 0);
    atk_exchange(s.port, req.p, req.len, 5000, 0, &r);
    cr_log_info("F7: 16 KiB URI: %d after %lld ms", r.status, r.ms);
    cr_expect(r.status == 400 || r.status == 414 || r.status == 431,
              "a 16 KiB URI: %d within 5 s (0: no answer)", r.status);
    atk_resp_free(&r);
    cr_expect(still_serves(&s));
    free(target.p);
    free(req.p);
    stop(&s);
}

/* ========================================================================= */
/* F8. Request smuggling shapes: 400 and the connection closed (RFC 9112).    */
/* ========================================================================= */

Test(attack, f08_ambiguous_framing_is_refused_and_closed)
{
    struct apitest_server s;
    static const char *const ids[] = {"smug-a", "smug-b", "smug-c", "smug-d", "smug-e"};
    const size_t n = sizeof ids / sizeof ids[0];

    cr_assert_eq(start(&s, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        struct text req = {0}, body = {0}, hdrs = {0};
        struct atk_resp r;
        struct apitest_resp g;
        char path[64];
        text_addf(&body, "{\"id\":\"%s\",\"title\":\"Smuggled\",\"body\":\"Smuggled body.\"}",
                  ids[i]);
        text_lit(&hdrs, "Content-Type: application/json\r\n");
        switch (i) {
        case 0: /* two different Content-Lengths */
            text_addf(&hdrs, "Content-Length: %zu\r\nContent-Length: 5\r\n", body.len);
            raw_request(&req, "POST", "/v1/articles", hdrs.p, body.p, body.len);
            break;
        case 1: /* Content-Length and chunked */
            text_lit(&hdrs, "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n");
            raw_request(&req, "POST", "/v1/articles", hdrs.p, NULL, 0);
            text_addf(&req, "%zx\r\n%s\r\n0\r\n\r\n", body.len, body.p);
            break;
        case 2: /* a coding before chunked */
            text_lit(&hdrs, "Transfer-Encoding: gzip, chunked\r\n");
            raw_request(&req, "POST", "/v1/articles", hdrs.p, NULL, 0);
            text_addf(&req, "%zx\r\n%s\r\n0\r\n\r\n", body.len, body.p);
            break;
        case 3: /* an unknown coding */
            text_lit(&hdrs, "Transfer-Encoding: foo\r\n");
            raw_request(&req, "POST", "/v1/articles", hdrs.p, body.p, body.len);
            break;
        default: /* Content-Length with a list of values */
            text_addf(&hdrs, "Content-Length: %zu, 5\r\n", body.len);
            raw_request(&req, "POST", "/v1/articles", hdrs.p, body.p, body.len);
            break;
        }
        atk_exchange(s.port, req.p, req.len, 5000, 3000, &r);
        /* a coding the server does not implement may be a 501 (RFC 9112 6.1) */
        cr_expect(r.status == 400 || (i == 2 && r.status == 501),
                  "%s: %d within 5 s (0: no answer)", ids[i], r.status);
        /* (the list form is refused by libmicrohttpd itself, in its own words) */
        cr_expect(r.status == 0 || i == 4 || atk_is_problem(&r, r.status),
                  "%s: not a problem: %.200s", ids[i], r.body);
        cr_expect(r.closed, "%s: the connection stayed open after the answer %d", ids[i], r.status);
        atk_resp_free(&r);
        /* nothing was stored, and a new connection is served */
        snprintf(path, sizeof path, "/v1/articles/%s", ids[i]);
        apitest_get(&s, path, &g);
        cr_expect_eq(g.status, 404, "%s was stored: %ld", ids[i], g.status);
        apitest_resp_free(&g);
        cr_expect(still_serves(&s), "after %s", ids[i]);
        free(req.p);
        free(body.p);
        free(hdrs.p);
    }
    stop(&s);
}

/* ========================================================================= */
/* F9. Ids "." and ".." are refused (400, field id).                          */
/* ========================================================================= */

Test(attack, f09_dot_ids_are_refused)
{
    struct apitest_server s;
    static const char *const put_targets[] = {"/v1/articles/.", "/v1/articles/..",
                                              "/v1/articles/%2e%2e", "/v1/articles/%2E",
                                              "/v1/articles/.%2e"};
    static const char body[] = "{\"title\":\"Dots\",\"body\":\"An article with a dotted id.\"}";
    struct apitest_resp r;

    cr_assert_eq(start(&s, NULL), 0);
    for (int dots = 1; dots <= 2; dots++) {
        char js[160];
        snprintf(js, sizeof js, "{\"id\":\"%s\",\"title\":\"Dots\",\"body\":\"Dotted.\"}",
                 dots == 1 ? "." : "..");
        apitest_post_json(&s, "/v1/articles", js, &r);
        cr_expect(apitest_is_problem(&r, 400), "POST id %.*s: %ld %.200s", dots, "..", r.status,
                  r.body);
        cr_expect(atk_problem_names_field(r.json, "id"), "POST id %.*s: %.300s", dots, "..",
                  r.body);
        apitest_resp_free(&r);
    }
    for (size_t i = 0; i < sizeof put_targets / sizeof put_targets[0]; i++) {
        struct text req = {0};
        struct atk_resp a;
        char hdrs[128];
        snprintf(hdrs, sizeof hdrs, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                 sizeof body - 1);
        raw_request(&req, "PUT", put_targets[i], hdrs, body, sizeof body - 1);
        atk_exchange(s.port, req.p, req.len, 5000, 0, &a);
        cr_expect(atk_is_problem(&a, 400), "PUT %s: %d %.200s", put_targets[i], a.status, a.body);
        cr_expect(atk_problem_names_field(a.json, "id"), "PUT %s: %.300s", put_targets[i], a.body);
        atk_resp_free(&a);
        free(req.p);
    }
    /* dots inside an id are fine */
    apitest_post_json(&s, "/v1/articles", "{\"id\":\"a..b\",\"title\":\"t\",\"body\":\"b\"}", &r);
    cr_expect_eq(r.status, 201, "id a..b: %ld %.200s", r.status, r.body);
    apitest_resp_free(&r);
    apitest_get(&s, "/v1/articles?limit=100", &r);
    cr_expect(strstr(r.body, "\"id\":\".\"") == NULL && strstr(r.body, "\"id\":\"..\"") == NULL,
              "a dot id was stored: %.300s", r.body);
    apitest_resp_free(&r);
    stop(&s);
}

/* ========================================================================= */
/* F10. Files are 0600; the snapshot answer names the file, not the path.     */
/* ========================================================================= */

Test(attack, f10_files_are_private_and_snapshot_answers_a_name)
{
    struct apitest_server s;
    struct apitest_resp r;
    const char *const suffix[] = {"", "-wal", "-shm"};
    mode_t old = umask(022); /* a usual umask: the server must tighten it itself */
    int rc = start(&s, NULL);

    umask(old);
    cr_assert_eq(rc, 0);
    for (int i = 0; i < 5; i++) {
        char js[128];
        snprintf(js, sizeof js, "{\"id\":\"f-%d\",\"title\":\"t\",\"body\":\"Body %d.\"}", i, i);
        apitest_post_json(&s, "/v1/articles", js, &r);
        cr_expect_eq(r.status, 201);
        apitest_resp_free(&r);
    }
    for (size_t i = 0; i < 3; i++) {
        char path[400];
        struct stat sb;
        snprintf(path, sizeof path, "%s%s", s.db, suffix[i]);
        cr_expect_eq(stat(path, &sb), 0, "%s: %s", path, strerror(errno));
        cr_expect_eq(sb.st_mode & 0777, 0600, "%s is mode %03o", path,
                     (unsigned)(sb.st_mode & 0777));
    }
    for (int named = 0; named < 2; named++) {
        const char *name;
        apitest_request(&s, "POST",
                        named ? "/v1/admin/snapshot?name=mine.db" : "/v1/admin/snapshot", NULL,
                        NULL, 0, &r);
        cr_expect_eq(r.status, 201, "%.300s", r.body);
        name = json_string_value(json_object_get(r.json, "name"));
        cr_expect(name != NULL && strchr(name, '/') == NULL, "no plain name: %.300s", r.body);
        if (named)
            cr_expect_str_eq(name ?: "", "mine.db");
        else
            cr_expect(name != NULL && strncmp(name, "articled-", 9) == 0, "%.300s", r.body);
        cr_expect_null(json_object_get(r.json, "path"), "the answer has a path: %.300s", r.body);
        cr_expect(strstr(r.body, s.dir) == NULL && strstr(r.body, "\"/") == NULL,
                  "an absolute path in the answer: %.300s", r.body);
        cr_expect(json_is_integer(json_object_get(r.json, "bytes")), "%.300s", r.body);
        cr_expect(json_is_integer(json_object_get(r.json, "articles")), "%.300s", r.body);
        cr_expect(json_is_integer(json_object_get(r.json, "took_ms")), "%.300s", r.body);
        apitest_resp_free(&r);
    }
    stop(&s);
}

/* ========================================================================= */
/* F11. The source token of the full-text index is not a searchable word.     */
/* ========================================================================= */

Test(attack, f11_internal_index_tokens_are_unreachable)
{
    struct apitest_server s;
    struct text nd = {0};
    /* "zzs" + hex of the source's bytes + "q" (store/schema.c, migration 10) */
    static const char *const probes[] = {
        "zzs424243q", "ZZS424243Q", "%22zzs424243q%22",  "zzs424243q%20OR%20nothinghere",
        "zzs42*",     "zzs*",       "zzs424243q%20storm"};

    cr_assert_eq(start(&s, NULL), 0);
    for (int i = 0; i < 8; i++)
        text_addf(&nd,
                  "{\"id\":\"src-%d\",\"title\":\"Storm %d\",\"source\":\"%s\",\"body\":\"A storm "
                  "reached the coast.\"}\n",
                  i, i, i < 5 ? "BBC" : "Reuters");
    bulk(&s, NULL, &nd, 8);
    free(nd.p);
    /* the source still filters, and the words are still found */
    cr_expect_eq(total_of(&s, "/v1/search?q=storm&source=BBC"), 5);
    cr_expect_eq(total_of(&s, "/v1/search?q=storm"), 8);
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        struct apitest_resp r;
        char path[256];
        /* match=all: relaxing "zzs... storm" would rightly find the storms */
        snprintf(path, sizeof path, "/v1/search?q=%s&match=all", probes[i]);
        apitest_get(&s, path, &r);
        cr_expect((r.status == 200 && json_integer_value(json_object_get(r.json, "total")) == 0) ||
                      apitest_is_problem(&r, 400),
                  "q=%s finds the source token: %ld %.300s", probes[i], r.status, r.body);
        apitest_resp_free(&r);
    }
    stop(&s);
}

/* ========================================================================= */
/* F12. A streamed _bulk answer cut off by a client that stops reading longer */
/* than --timeout lacks its totals, and every line is still stored (README:  */
/* documented, and logged).                                                  */
/* ========================================================================= */

#define F12_LINES 320 /* with 100 tags of 240 bytes: about 8 MB of answer */

Test(attack, f12_cut_off_bulk_answer_lacks_totals_yet_stores_every_line)
{
    struct apitest_server s;
    const char *extra[] = {"--timeout", "1", NULL};
    struct text tags = {0}, nd = {0}, head = {0}, got = {0};
    char buf[65536], *log = NULL;
    long long deadline, stored = -1;
    size_t off = 0;
    int fd, cut = 0;

    cr_assert_eq(start(&s, extra), 0);
    text_lit(&tags, "[");
    for (int k = 0; k < 100; k++) {
        text_addf(&tags, "%s\"tag%03d-", k ? "," : "", k);
        for (int j = 0; j < 230; j++)
            text_lit(&tags, "x");
        text_lit(&tags, "\"");
    }
    text_lit(&tags, "]");
    for (int i = 0; i < F12_LINES; i++)
        text_addf(&nd,
                  "{\"id\":\"cut-%d\",\"title\":\"Cut %d\",\"body\":\"A cut-off answer, line "
                  "%d.\",\"tags\":%s}\n",
                  i, i, i, tags.p);
    text_addf(&head,
              "POST /v1/articles/_bulk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
              "application/x-ndjson\r\nContent-Length: %zu\r\n\r\n",
              nd.len);
    fd = atk_connect_small_window(s.port, 4096);
    cr_assert_geq(fd, 0);
    cr_assert_eq(send(fd, head.p, head.len, MSG_NOSIGNAL), (ssize_t)head.len);
    while (off < nd.len) {
        ssize_t k = send(fd, nd.p + off, nd.len - off, MSG_NOSIGNAL);
        cr_assert_gt(k, 0, "the request body was refused after %zu of %zu bytes", off, nd.len);
        off += (size_t)k;
    }
    /* the answer's head, then the client stops reading */
    deadline = sec_now_ms() + 60000;
    while (got.p == NULL || strstr(got.p, "\r\n\r\n") == NULL) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t k;
        if (sec_now_ms() > deadline || poll(&p, 1, 1000) < 0)
            break;
        k = recv(fd, buf, 1, MSG_DONTWAIT); /* byte by byte: nothing past the head */
        if (k == 0)
            break;
        if (k > 0)
            text_add(&got, buf, 1);
    }
    cr_assert(got.p != NULL && strncmp(got.p, "HTTP/1.1 200", 12) == 0, "the answer: %.200s",
              got.p ? got.p : "(none)");
    /* the server gives up on the stalled client (--timeout 1) and says so */
    deadline = sec_now_ms() + 30000;
    while (!cut && sec_now_ms() < deadline) {
        sec_sleep_ms(200);
        free(log);
        log = sec_read_log(&s);
        cut = strstr(log, "streamed answer cut off") != NULL;
    }
    cr_expect(cut, "no 'streamed answer cut off' warning in the log");
    /* what was sent before the cut arrives; the totals do not */
    deadline = sec_now_ms() + 30000;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t k;
        if (sec_now_ms() > deadline || poll(&p, 1, 1000) <= 0)
            break;
        k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (k <= 0 && !(k < 0 && errno == EAGAIN))
            break;
        if (k > 0)
            text_add(&got, buf, (size_t)k);
    }
    close(fd);
    {
        const char *w = log != NULL ? strstr(log, "streamed answer cut off") : NULL;
        const char *e = w != NULL ? strchr(w, '\n') : NULL;
        cr_log_info("F12: a %zu-byte _bulk request of %d lines, the client stalled: %zu bytes of "
                    "answer arrived; the server: %.*s",
                    nd.len, F12_LINES, got.len, w ? (int)(e ? e - w : 200) : 6, w ? w : "(none)");
    }
    cr_expect(strstr(got.p, "\"written\":") == NULL,
              "the cut-off answer (%zu bytes) has its totals: not cut off", got.len);
    /* every line is written all the same */
    deadline = sec_now_ms() + 60000;
    while (stored != F12_LINES && sec_now_ms() < deadline) {
        struct apitest_resp r;
        apitest_get(&s, "/readyz", &r);
        stored = json_integer_value(json_object_get(r.json, "articles"));
        apitest_resp_free(&r);
        if (stored != F12_LINES)
            sec_sleep_ms(200);
    }
    cr_expect_eq(stored, F12_LINES, "articles stored after the cut-off answer: %lld", stored);
    {
        struct apitest_resp r;
        char path[64];
        snprintf(path, sizeof path, "/v1/articles/cut-%d", F12_LINES - 1);
        apitest_get(&s, path, &r);
        cr_expect_eq(r.status, 200, "the last line: %ld", r.status);
        apitest_resp_free(&r);
    }
    free(log);
    free(tags.p);
    free(nd.p);
    free(head.p);
    free(got.p);
    stop(&s);
}
