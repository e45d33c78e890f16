/* security.c: test support for tests/api/test_security.c (see security.h). */
#include "security.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char sec_keys_text[] = "# articled API keys: <key> <role> <name>\n"
                             "\n" SEC_READ_KEY " read dash\n"
                             "   " SEC_WRITE_KEY "\twrite   feeder\r\n"
                             "# the end\n";

int sec_prepare(struct apitest_server *s)
{
    char tmpl[] = "/tmp/articled-test-XXXXXX";
    memset(s, 0, sizeof *s);
    if (mkdtemp(tmpl) == NULL)
        return -1;
    snprintf(s->dir, sizeof s->dir, "%s", tmpl);
    snprintf(s->db, sizeof s->db, "%s/test.db", s->dir);
    return 0;
}

int sec_write_file(const struct apitest_server *s, const char *name, const char *text, mode_t mode,
                   char *path, size_t size)
{
    char p[512];
    size_t len = strlen(text);
    int fd, ok;

    snprintf(p, sizeof p, "%s/%s", s->dir, name);
    unlink(p);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    ok = write(fd, text, len) == (ssize_t)len && fchmod(fd, mode) == 0;
    close(fd);
    if (path != NULL)
        snprintf(path, size, "%s", p);
    return ok ? 0 : -1;
}

int sec_start_with_keys(struct apitest_server *s, const char *keys, const char *const *extra)
{
    const char *argv[32];
    char path[512];
    size_t n = 0;

    if (sec_prepare(s) != 0 || sec_write_file(s, "keys", keys, 0600, path, sizeof path) != 0)
        return -1;
    argv[n++] = "--api-key-file";
    argv[n++] = path;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    return apitest_start(s, s->db, argv);
}

int sec_request(const struct apitest_server *s, const char *method, const char *path,
                const char *key, const char *origin, const char *content_type, const char *body,
                struct apitest_resp *r)
{
    char auth[512], orig[512];
    const char *hdrs[3];
    size_t n = 0;

    if (key != NULL) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        hdrs[n++] = auth;
    }
    if (origin != NULL) {
        snprintf(orig, sizeof orig, "Origin: %s", origin);
        hdrs[n++] = orig;
    }
    hdrs[n] = NULL;
    return apitest_request_h(s, method, path, hdrs, content_type, body, body ? strlen(body) : 0, r);
}

char *sec_read_log(const struct apitest_server *s)
{
    FILE *f = fopen(s->log, "r");
    char *text = NULL;
    size_t len = 0, cap = 0;

    if (f != NULL) {
        for (;;) {
            size_t got;
            if (len + 4096 + 1 > cap) {
                char *bigger = realloc(text, cap = cap ? cap * 2 : 65536);
                if (bigger == NULL)
                    break;
                text = bigger;
            }
            got = fread(text + len, 1, 4096, f);
            len += got;
            if (got == 0)
                break;
        }
        fclose(f);
    }
    if (text == NULL)
        return strdup("");
    text[len] = '\0';
    return text;
}

int sec_connect(unsigned port)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int sec_closed_by_peer(int fd, int wait_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    char buf[4096];
    long long end = sec_now_ms() + wait_ms;

    for (;;) {
        long long left = end - sec_now_ms();
        ssize_t n;
        if (left < 0)
            return 0;
        if (poll(&p, 1, (int)left) <= 0)
            return 0;
        n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return 1;
        /* an answer (a 408, say) may come first: read on to the close */
    }
}

long long sec_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sec_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int sec_sqlite_scalar(const char *path, const char *sql, char *out, size_t size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), ret = -1;

    out[0] = '\0';
    if (rc == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, size, "%s", t ? (const char *)t : "");
        ret = 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ret;
}
