/* apitest.c: the black-box test harness (see apitest.h). */
#include "apitest.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Tests search far faster than any client should, so every server a test
 * starts (through apitest_start or a fork/exec of its own) runs without the
 * search rate limit, unless the test's environment sets ARTICLED_SEARCH_RATE
 * or the server is given --search-rate (flags beat the environment). */
__attribute__((constructor)) static void apitest_environment(void)
{
    setenv("ARTICLED_SEARCH_RATE", "0", 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static unsigned apitest_read_port(const char *log)
{
    FILE *f = fopen(log, "r");
    char line[4096];
    unsigned port = 0;
    if (f == NULL)
        return 0;
    /* the "listening" line, JSON ("port":N) or --log-format text (port=N) */
    while (fgets(line, sizeof line, f) != NULL) {
        const char *p;
        if (strstr(line, "\"msg\":\"listening\"") != NULL) {
            p = strstr(line, "\"port\":");
            if (p != NULL)
                port = (unsigned)strtoul(p + 7, NULL, 10);
            break;
        }
        if (strstr(line, " listening ") != NULL) {
            p = strstr(line, " port=");
            if (p != NULL)
                port = (unsigned)strtoul(p + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return port;
}

int apitest_start(struct apitest_server *s, const char *db, const char *const *extra)
{
    const char *bin = getenv("ARTICLED_BIN");
    const char *argv[40];
    size_t n = 0;
    char tmpl[] = "/tmp/articled-test-XXXXXX";

    if (bin == NULL)
        bin = "build/articled";
    if (db == NULL) {
        memset(s, 0, sizeof *s);
        if (mkdtemp(tmpl) == NULL)
            return -1;
        snprintf(s->dir, sizeof s->dir, "%s", tmpl);
        snprintf(s->db, sizeof s->db, "%s/test.db", s->dir);
    } else if (db != s->db) {
        snprintf(s->db, sizeof s->db, "%s", db);
    }
    snprintf(s->log, sizeof s->log, "%s/server.log", s->dir[0] ? s->dir : "/tmp");
    argv[n++] = bin;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--bind";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--db";
    argv[n++] = s->db;
    argv[n++] = "--threads";
    argv[n++] = "2";
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 38; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;

    s->port = 0;
    /* empty the log first, so an earlier run's port is never read back */
    fclose(fopen(s->log, "w"));
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 1000; i++) {
        int status;
        s->port = apitest_read_port(s->log);
        if (s->port != 0)
            return 0;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        sleep_ms(10);
    }
    apitest_kill9(s);
    return -1;
}

/* 1 when the server's log holds a sanitizer report (printed to stderr). */
static int apitest_log_has_sanitizer_report(const char *log)
{
    FILE *f = fopen(log, "r");
    char line[4096];
    int found = 0;
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strstr(line, "runtime error:") != NULL || strstr(line, "AddressSanitizer") != NULL ||
            strstr(line, "LeakSanitizer") != NULL) {
            fprintf(stderr, "server sanitizer report: %s", line);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

/* Prints the last lines of the server's log (at most 2 KB) to stderr: why a stop failed. */
static void apitest_log_tail(const char *log, const char *why)
{
    FILE *f = fopen(log, "r");
    char buf[2049];
    long size;
    size_t n = 0;

    if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0) {
        fseek(f, size > 2048 ? size - 2048 : 0, SEEK_SET);
        n = fread(buf, 1, sizeof buf - 1, f);
    }
    buf[n] = '\0';
    fprintf(stderr, "server stop: %s; the log ends:\n%s\n", why, buf);
    if (f != NULL)
        fclose(f);
}

int apitest_stop(struct apitest_server *s)
{
    char why[96];
    int status = 0;
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 3000; i++) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            /* a sanitizer finding fails the test even if the exit was clean */
            if (apitest_log_has_sanitizer_report(s->log))
                return -2;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
            if (WIFEXITED(status))
                snprintf(why, sizeof why, "exit status %d after SIGTERM", WEXITSTATUS(status));
            else
                snprintf(why, sizeof why, "killed by signal %d after SIGTERM",
                         WIFSIGNALED(status) ? WTERMSIG(status) : -1);
            apitest_log_tail(s->log, why);
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        sleep_ms(10);
    }
    apitest_kill9(s);
    apitest_log_tail(s->log, "still running 30 s after SIGTERM (killed)");
    return -1;
}

void apitest_kill9(struct apitest_server *s)
{
    int status;
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
}

void apitest_cleanup(struct apitest_server *s)
{
    char cmd[400];
    if (s->pid > 0)
        apitest_kill9(s);
    if (s->dir[0] != '\0' && strncmp(s->dir, "/tmp/articled-test-", 19) == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", s->dir);
    }
}

struct body_buf {
    char *p;
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct body_buf *b = arg;
    size_t n = size * nmemb;
    char *bigger = realloc(b->p, b->len + n + 1);
    if (bigger == NULL)
        return 0;
    b->p = bigger;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t size)
{
    size_t k = strlen(name);
    if (n > k + 1 && strncasecmp(line, name, k) == 0 && line[k] == ':') {
        const char *v = line + k + 1;
        size_t len = n - k - 1;
        while (len > 0 && (*v == ' ' || *v == '\t'))
            v++, len--;
        while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n'))
            len--;
        if (len >= size)
            len = size - 1;
        memcpy(out, v, len);
        out[len] = '\0';
    }
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *arg)
{
    struct apitest_resp *r = arg;
    size_t n = size * nmemb, have = r->headers ? strlen(r->headers) : 0;
    char *all = realloc(r->headers, have + n + 1);
    if (all != NULL) {
        memcpy(all + have, line, n);
        all[have + n] = '\0';
        r->headers = all;
    }
    header_value(line, n, "Content-Type", r->content_type, sizeof r->content_type);
    header_value(line, n, "Location", r->location, sizeof r->location);
    header_value(line, n, "Allow", r->allow, sizeof r->allow);
    header_value(line, n, "Retry-After", r->retry_after, sizeof r->retry_after);
    return n;
}

int apitest_request(const struct apitest_server *s, const char *method, const char *path,
                    const char *content_type, const char *body, size_t len, struct apitest_resp *r)
{
    return apitest_request_h(s, method, path, NULL, content_type, body, len, r);
}

int apitest_request_h(const struct apitest_server *s, const char *method, const char *path,
                      const char *const *headers, const char *content_type, const char *body,
                      size_t len, struct apitest_resp *r)
{
    CURL *c = curl_easy_init();
    int rc;

    if (c == NULL) {
        memset(r, 0, sizeof *r);
        return -1;
    }
    rc = apitest_perform(c, s->port, method, path, headers, content_type, body, len, r);
    curl_easy_cleanup(c);
    return rc;
}

int apitest_perform(void *curl, unsigned port, const char *method, const char *path,
                    const char *const *headers, const char *content_type, const char *body,
                    size_t len, struct apitest_resp *r)
{
    CURL *c = curl;
    struct curl_slist *hdrs = NULL;
    struct body_buf b = {NULL, 0};
    char url[4096], ct[256];
    CURLcode rc;

    memset(r, 0, sizeof *r);
    /* reset keeps a reused handle's live connection: the next request reuses it */
    curl_easy_reset(c);
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (content_type != NULL) {
        snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, ct);
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        hdrs = curl_slist_append(hdrs, headers[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    /* a hang guard only: the suites' own time limits (60-180 s) come first; a sanitizer
     * build on a busy machine took over 60 s for a 40 MB _bulk */
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 170L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdrs);
    r->body = b.p ? b.p : strdup("");
    r->len = b.len;
    if (strstr(r->content_type, "json") != NULL)
        r->json = json_loadb(r->body, r->len, 0, NULL);
    return rc == CURLE_OK ? 0 : -1;
}

int apitest_get(const struct apitest_server *s, const char *path, struct apitest_resp *r)
{
    return apitest_request(s, "GET", path, NULL, NULL, 0, r);
}

int apitest_post_json(const struct apitest_server *s, const char *path, const char *json,
                      struct apitest_resp *r)
{
    return apitest_request(s, "POST", path, "application/json", json, strlen(json), r);
}

int apitest_header(const struct apitest_resp *r, const char *name, char *out, size_t size)
{
    const char *line = r->headers;
    out[0] = '\0';
    while (line != NULL && *line != '\0') {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) + 1 : strlen(line);
        size_t k = strlen(name);
        if (n > k && strncasecmp(line, name, k) == 0 && line[k] == ':') {
            header_value(line, n, name, out, size);
            return 1;
        }
        line += n;
    }
    return 0;
}

void apitest_resp_free(struct apitest_resp *r)
{
    free(r->headers);
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

void apitest_fixture(const char *rel, char *out, size_t size)
{
    const char *src = getenv("ARTICLED_SOURCE_DIR");
    snprintf(out, size, "%s/tests/%s", src ? src : ".", rel);
}

int apitest_is_problem(const struct apitest_resp *r, long status)
{
    json_t *st;
    if (r->status != status || strncmp(r->content_type, "application/problem+json", 24) != 0 ||
        r->json == NULL)
        return 0;
    st = json_object_get(r->json, "status");
    return json_is_integer(st) && json_integer_value(st) == status &&
           json_is_string(json_object_get(r->json, "title")) &&
           json_is_string(json_object_get(r->json, "type"));
}
