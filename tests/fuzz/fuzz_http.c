/* fuzz_http.c: libFuzzer harness for the HTTP layer itself. The whole service runs in-process
 * (app_open, once, on a temporary database, with API keys), and every input is written as raw
 * request bytes to a new loopback connection. Whatever comes back must start with an HTTP/1.1
 * status line with a status in 100..599 and never 500 (interim 1xx answers and the final one),
 * and GET /healthz must answer 200 every FH_HEALTH_EVERY inputs. The first byte picks the
 * credentials: 0x00 sends the rest as it is (no key: the 401 paths), 0x01 the rest with a read
 * key added after the request line, anything else the whole input with a write key. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "server/app.h"
#include "server/http.h"

#define FH_WRITE_KEY "fuzz-http-write-key-0123456789ab"
#define FH_READ_KEY  "fuzz-http-read-key-0123456789abc"

#define FH_DEADLINE_MS  1000  /* one exchange at most */
#define FH_FIRST_MS     50    /* a complete request's answer starts within this */
#define FH_QUIET_MS     100   /* after the half-close, an answer starts within this or never */
#define FH_KEEP         65536 /* answer bytes kept for the checks (headers come first) */
#define FH_HEALTH_EVERY 256   /* inputs between two health checks */
#define FH_HEALTH_MS    3000  /* a /healthz round trip at most */
#define FH_DRAIN_MS     3000  /* idle connections (--timeout 2) and left streams end within this */

static struct app fh_app;
static int fh_port;
static char fh_dir[256];
static unsigned long fh_inputs;
static int fh_trace; /* FUZZ_HTTP_TRACE set: each answer's status line and time on stderr */

/* What came back on one connection. */
struct fh_reply {
    char buf[FH_KEEP]; /* the first bytes of the answer */
    size_t len;        /* bytes in buf */
    size_t total;      /* bytes received */
    char tail[8];      /* the last bytes received, oldest first */
};

static long long fh_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fh_append(struct fh_reply *r, const char *b, size_t n)
{
    size_t keep = n < FH_KEEP - r->len ? n : FH_KEEP - r->len;
    size_t t = n < sizeof r->tail ? n : sizeof r->tail;

    memcpy(r->buf + r->len, b, keep);
    r->len += keep;
    r->total += n;
    memmove(r->tail, r->tail + t, sizeof r->tail - t);
    memcpy(r->tail + sizeof r->tail - t, b + n - t, t);
}

/* Offset just past the blank line that ends the header block starting at p, or 0. */
static size_t fh_header_end(const struct fh_reply *r, size_t p)
{
    const char *e = memmem(r->buf + p, r->len - p, "\r\n\r\n", 4);
    return e == NULL ? 0 : (size_t)(e - r->buf) + 4;
}

/* Status of the status line at p (0 when it is not "HTTP/1.1 ddd"). */
static unsigned fh_status(const struct fh_reply *r, size_t p)
{
    const char *s = r->buf + p;
    if (r->len - p < 12 || memcmp(s, "HTTP/1.1 ", 9) != 0)
        return 0;
    for (int i = 9; i < 12; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return (unsigned)((s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0'));
}

/* The value of header name (with ": ") in the block [p, end), or NULL. */
static const char *fh_header(const struct fh_reply *r, size_t p, size_t end, const char *name)
{
    size_t n = strlen(name);
    for (const char *l = r->buf + p; l < r->buf + end;) {
        const char *nl = memchr(l, '\n', (size_t)(r->buf + end - l));
        if (nl == NULL)
            break;
        if ((size_t)(nl - l) > n && strncasecmp(l, name, n) == 0)
            return l + n;
        l = nl + 1;
    }
    return NULL;
}

/* 1 when the final answer is complete: by its Content-Length, the last chunk of a chunked
 * body, or no body (HEAD, 204, 304). 0 when more may come (or only the close tells). */
static int fh_reply_done(const struct fh_reply *r, int head)
{
    size_t p = 0, end;
    unsigned status;
    const char *v;

    for (;;) {
        end = fh_header_end(r, p);
        status = fh_status(r, p);
        if (end == 0 || status == 0)
            return status == 0 && r->len - p >= 12; /* a bad status line: nothing to wait for */
        if (status >= 200)
            break;
        p = end; /* 100 Continue: the final answer follows */
    }
    if (head || status == 204 || status == 304)
        return 1;
    v = fh_header(r, p, end, "Content-Length: ");
    if (v != NULL)
        return r->total - end >= strtoull(v, NULL, 10);
    v = fh_header(r, p, end, "Transfer-Encoding: ");
    if (v != NULL && strncasecmp(v, "chunked", 7) == 0)
        return r->total - end >= 5 && memcmp(r->tail + 3, "0\r\n\r\n", 5) == 0 &&
               (r->total - end == 5 || r->tail[2] == '\n');
    return 0;
}

/* Length of the answer's first line. */
static int fh_first_line(const struct fh_reply *r)
{
    const char *e = memchr(r->buf, '\r', r->len);
    return e == NULL ? (int)r->len : (int)(e - r->buf);
}

/* Bytes of the interim (1xx) answers at the start of r: a final answer begins after them. */
static size_t fh_interim_len(const struct fh_reply *r)
{
    size_t p = 0, end;
    unsigned status;

    while ((status = fh_status(r, p)) >= 100 && status < 200 && (end = fh_header_end(r, p)) != 0)
        p = end;
    return p;
}

/* The invariants on an answer: HTTP/1.1 status lines, 100..599, no 500. */
static void fh_check(const struct fh_reply *r, const char *what)
{
    size_t p = 0, end;
    unsigned status;
    int shown = r->len < 300 ? (int)r->len : 300;

    while (p < r->len) {
        size_t have = r->len - p < 9 ? r->len - p : 9;
        FUZZ_CHECK(memcmp(r->buf + p, "HTTP/1.1 ", have) == 0, "%s: answer %.*s", what, shown,
                   r->buf);
        if (r->len - p < 12)
            return; /* cut off by the deadline or the close */
        status = fh_status(r, p);
        FUZZ_CHECK(status >= 100 && status <= 599, "%s: status line %.*s", what, shown, r->buf);
        FUZZ_CHECK(status != 500, "%s: 500 answer %.*s", what, shown, r->buf);
        end = fh_header_end(r, p);
        if (status >= 200 || end == 0)
            return;
        p = end;
    }
}

/* 1 when the input holds a blank line: without one the server waits for more header lines
 * and only the end of the input (the half-close) ends the request. */
static int fh_has_blank_line(const char *s, size_t n)
{
    return memmem(s, n, "\n\n", 2) != NULL || memmem(s, n, "\n\r\n", 3) != NULL ||
           memmem(s, n, "\r\r", 2) != NULL;
}

/* connect() that goes on when a signal interrupts it (libFuzzer's timer runs on SIGALRM,
 * without SA_RESTART): the connection is then made in the background. 0 or -1 (errno). */
static int fh_connect(int fd, const struct sockaddr_in *sin)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    socklen_t len = sizeof(int);
    int e = 0;

    if (connect(fd, (const struct sockaddr *)sin, sizeof *sin) == 0)
        return 0;
    if (errno != EINTR)
        return -1;
    while (poll(&p, 1, 1000) < 0 && errno == EINTR)
        ;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        return -1;
    errno = e;
    return e == 0 ? 0 : -1;
}

/* Sends req on a new connection and reads the answer into r within deadline_ms. The write
 * side is shut when the server cannot answer without it (no answer begun after FH_FIRST_MS,
 * or no blank line): libmicrohttpd drops a request whose client half-closed before the
 * answer, so a complete request is left open until its answer has come. After the
 * half-close an answer has FH_QUIET_MS to begin: libmicrohttpd does not always see the end
 * of a request that waits for its body, and keeps it until --timeout. */
static void fh_exchange(const char *req, size_t n, struct fh_reply *r, long long deadline_ms)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fh_port)};
    struct timeval tv = {.tv_sec = 1};
    long long start = fh_now_ms(), deadline = start + deadline_ms, now;
    int head = n >= 5 && memcmp(req, "HEAD ", 5) == 0;
    long long shut_at = 0;
    int fd, begun;
    char b[16384];
    ssize_t got;

    memset(r, 0, sizeof *r);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(fd >= 0, "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    FUZZ_CHECK(fh_connect(fd, &sin) == 0, "connect to the service on port %d: %s", fh_port,
               strerror(errno));
    /* a server that refused early (413, 400) may stop reading: its answer is still checked */
    for (size_t off = 0; off < n; off += (size_t)got) {
        got = send(fd, req + off, n - off, MSG_NOSIGNAL);
        if (got < 0 && errno == EINTR)
            got = 0;
        else if (got <= 0)
            break;
    }
    if (!fh_has_blank_line(req, n)) {
        shutdown(fd, SHUT_WR);
        shut_at = start;
    }
    while (!fh_reply_done(r, head) && (now = fh_now_ms()) < deadline) {
        long long until = deadline;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};

        begun = r->total > fh_interim_len(r); /* 100 Continue is no answer yet */
        if (!begun && shut_at == 0) {
            if (now >= start + FH_FIRST_MS) {
                shutdown(fd, SHUT_WR);
                shut_at = now;
            } else {
                until = start + FH_FIRST_MS;
            }
        }
        if (!begun && shut_at != 0) {
            if (now >= shut_at + FH_QUIET_MS)
                break;
            until = shut_at + FH_QUIET_MS;
        }
        if (poll(&pfd, 1, (int)(until - now)) <= 0)
            continue;
        got = recv(fd, b, sizeof b, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* closed (or reset after a refusal) */
        fh_append(r, b, (size_t)got);
    }
    close(fd);
}

/* The service survived the inputs so far: every connection ends (none is left suspended, a
 * request that never gets its answer), and GET /healthz answers 200. */
static void fh_health(void)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n";
    static struct fh_reply r;
    long long start = fh_now_ms();
    unsigned open;

    while ((open = http_server_connections(fh_app.http)) > 0 && fh_now_ms() < start + FH_DRAIN_MS) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    FUZZ_CHECK(open == 0, "after %lu inputs, %u connections still open %d ms after the last",
               fh_inputs, open, FH_DRAIN_MS);
    fh_exchange(req, sizeof req - 1, &r, FH_HEALTH_MS);
    FUZZ_CHECK(fh_status(&r, 0) == 200, "after %lu inputs, /healthz answered %.*s", fh_inputs,
               (int)(r.len < 200 ? r.len : 200), r.buf);
}

/* Removes the snapshots the inputs asked for (they are never overwritten, so they pile up). */
static void fh_purge_dir(const char *dir)
{
    char path[512];
    struct dirent *e;
    DIR *d = opendir(dir);

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static void fh_stop(void)
{
    char path[512];

    app_close(&fh_app);
    snprintf(path, sizeof path, "%s/snap", fh_dir);
    fh_purge_dir(path);
    rmdir(path);
    fh_purge_dir(fh_dir);
    rmdir(fh_dir);
}

/* Stores a few articles, so that reads of ids a1..a3 find something. */
static void fh_seed(void)
{
    static struct fh_reply r;
    char req[1024], body[512];

    for (int i = 1; i <= 3; i++) {
        int blen = snprintf(body, sizeof body,
                            "{\"title\":\"Article %d\",\"body\":\"Angela Merkel met Emmanuel "
                            "Macron in Berlin on Monday, article %d.\",\"source\":\"fuzz\","
                            "\"published_at\":\"2024-01-0%dT10:00:00Z\",\"lang\":\"en\"}",
                            i, i, i);
        int n = snprintf(
            req, sizeof req,
            "PUT /v1/articles/a%d HTTP/1.1\r\nHost: fuzz\r\nAuthorization: Bearer " FH_WRITE_KEY
            "\r\nContent-Type: application/json\r\nContent-Length: "
            "%d\r\n\r\n%s",
            i, blen, body);
        fh_exchange(req, (size_t)n, &r, FH_HEALTH_MS);
        FUZZ_CHECK(fh_status(&r, 0) / 100 == 2, "seeding article a%d: %.*s", i,
                   (int)(r.len < 300 ? r.len : 300), r.buf);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char db[300], keys[300], snap[300];
    struct error err = {0};
    FILE *f;
    int fd;
    (void)argc;
    (void)argv;

    /* the service's log goes to /dev/null unless FUZZ_HTTP_LOG is set (to see why a 500) */
    if (getenv("FUZZ_HTTP_LOG") == NULL && (fd = open("/dev/null", O_WRONLY)) >= 0) {
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
    signal(SIGPIPE, SIG_IGN);
    fh_trace = getenv("FUZZ_HTTP_TRACE") != NULL;
    snprintf(fh_dir, sizeof fh_dir, "%s/articled-fuzz-http.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    FUZZ_CHECK(mkdtemp(fh_dir) != NULL, "mkdtemp %s: %s", fh_dir, strerror(errno));
    snprintf(db, sizeof db, "%s/f.db", fh_dir);
    snprintf(keys, sizeof keys, "%s/keys", fh_dir);
    snprintf(snap, sizeof snap, "%s/snap", fh_dir);
    FUZZ_CHECK(mkdir(snap, 0700) == 0, "mkdir %s: %s", snap, strerror(errno));
    fd = open(keys, O_WRONLY | O_CREAT | O_EXCL, 0600);
    FUZZ_CHECK(fd >= 0 && (f = fdopen(fd, "w")) != NULL, "%s: %s", keys, strerror(errno));
    fprintf(f, FH_WRITE_KEY " write fuzz-writer\n" FH_READ_KEY " read fuzz-reader\n");
    fclose(f);

    {
        /* one HTTP thread, so that inputs meet each other's leftovers; no limits that
         * loopback connections from one address would hit */
        char *args[] = {"articled",  "--port",
                        "0",         "--bind",
                        "127.0.0.1", "--db",
                        db,          "--threads",
                        "1",         "--access-log",
                        "off",       "--api-key-file",
                        keys,        "--snapshot-dir",
                        snap,        "--timeout",
                        "2",         "--max-connections",
                        "512",       "--max-connections-per-ip",
                        "0",         "--search-rate",
                        "1000",      "--search-burst",
                        "1000",      NULL};
        fh_port = app_open(&fh_app, (int)(sizeof args / sizeof args[0]) - 1, args, &err);
    }
    FUZZ_CHECK(fh_port > 0, "app_open: %s", err.msg);
    atexit(fh_stop);
    fh_seed();
    fh_health();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fh_reply r;
    static const char write_auth[] = "Authorization: Bearer " FH_WRITE_KEY "\r\n";
    static const char read_auth[] = "Authorization: Bearer " FH_READ_KEY "\r\n";
    const char *in = (const char *)data, *auth = write_auth, *nl;
    char *req;
    size_t n = size, alen, at;
    long long start;

    if (size > 0 && data[0] <= 1) {
        auth = data[0] == 0 ? NULL : read_auth;
        in++;
        n--;
    }
    /* the key goes right after the request line (none without one) */
    nl = memchr(in, '\n', n);
    alen = auth != NULL && nl != NULL ? strlen(auth) : 0;
    at = nl != NULL ? (size_t)(nl - in) + 1 : n;
    req = malloc(n + alen + 1);
    FUZZ_CHECK(req != NULL, "out of memory");
    memcpy(req, in, at);
    memcpy(req + at, auth != NULL ? auth : "", alen);
    memcpy(req + at + alen, in + at, n - at);

    start = fh_now_ms();
    fh_exchange(req, n + alen, &r, FH_DEADLINE_MS);
    if (fh_trace)
        fprintf(stderr, "fuzz_http: %lld ms, %zu bytes: %.*s\n", fh_now_ms() - start, r.total,
                fh_first_line(&r), r.buf);
    fh_check(&r, "input");
    free(req);

    if (++fh_inputs % FH_HEALTH_EVERY == 0) {
        char snap[300];
        fh_health();
        snprintf(snap, sizeof snap, "%s/snap", fh_dir);
        fh_purge_dir(snap);
    }
    return 0;
}
