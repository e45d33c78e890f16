/* attack.c: raw-socket support for the attack suite (see attack.h). */
#include "attack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long atk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int atk_connect(unsigned port, int nonblock)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

    if (fd < 0)
        return -1;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

int atk_connect_small_window(unsigned port, int rcvbuf)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0 ||
        connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int atk_connect_nb(unsigned port)
{
    return atk_connect(port, 1);
}

/* A growing byte buffer, always NUL-terminated. */
struct atk_buf {
    char *p;
    size_t len, cap;
};

static int atk_buf_add(struct atk_buf *b, const char *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *bigger;
        while (b->len + n + 1 > cap)
            cap *= 2;
        bigger = realloc(b->p, cap);
        if (bigger == NULL)
            return -1;
        b->p = bigger;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/* Value of header name in the head text (lines after the status line). */
static int head_value(const char *head, const char *name, char *out, size_t size)
{
    const char *line = strstr(head, "\r\n");
    size_t k = strlen(name);

    out[0] = '\0';
    while (line != NULL && line[2] != '\0') {
        const char *end, *v;
        line += 2;
        end = strstr(line, "\r\n");
        if (end == NULL)
            end = line + strlen(line);
        if ((size_t)(end - line) > k && strncasecmp(line, name, k) == 0 && line[k] == ':') {
            size_t n;
            v = line + k + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            n = (size_t)(end - v);
            while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            if (n >= size)
                n = size - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 1;
        }
        line = *end ? end : NULL;
    }
    return 0;
}

/* Decodes a chunked body from in[0..n). Returns 1 when the last chunk and
 * the trailers came (out holds the body), 0 when more bytes are needed, -1
 * when it is not chunked framing. */
static int dechunk(const char *in, size_t n, struct atk_buf *out)
{
    size_t pos = 0;

    out->len = 0;
    for (;;) {
        const char *eol = memmem(in + pos, n - pos, "\r\n", 2);
        char *end;
        unsigned long size;
        if (eol == NULL)
            return 0;
        size = strtoul(in + pos, &end, 16);
        if (end == in + pos)
            return -1;
        pos = (size_t)(eol - in) + 2;
        if (size == 0) {
            /* trailers, then an empty line */
            for (;;) {
                const char *e = memmem(in + pos, n - pos, "\r\n", 2);
                if (e == NULL)
                    return 0;
                if (e == in + pos)
                    return 1;
                pos = (size_t)(e - in) + 2;
            }
        }
        if (n - pos < size + 2)
            return 0;
        if (atk_buf_add(out, in + pos, size) != 0)
            return -1;
        pos += size + 2;
    }
}

/* Waits up to wait_ms for fd to be closed by the peer, reading (and
 * counting) anything that still comes. Returns 1 when closed. */
static int wait_closed(int fd, int wait_ms, size_t *raw)
{
    long long end = atk_now_ms() + wait_ms;
    char buf[16384];

    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        long long left = end - atk_now_ms();
        ssize_t k;
        if (left < 0 || poll(&p, 1, (int)left) <= 0)
            return 0;
        k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
            return 1;
        if (k > 0)
            *raw += (size_t)k;
    }
}

int atk_read_answer(int fd, int timeout_ms, int close_ms, struct atk_resp *r)
{
    struct atk_buf in = {0}, body = {0};
    long long t0 = atk_now_ms(), end = t0 + timeout_ms;
    size_t start = 0, head_end = 0;
    long long clen = -1;
    int chunked = 0, peer_closed = 0;

    memset(r, 0, sizeof *r);
    for (;;) {
        char buf[16384];
        struct pollfd p = {fd, POLLIN, 0};
        long long left;
        ssize_t k;

        /* is there a whole answer in what came? */
        while (r->status == 0) {
            const char *he = in.p ? strstr(in.p + start, "\r\n\r\n") : NULL;
            int st = 0;
            if (he == NULL)
                break;
            if (sscanf(in.p + start, "HTTP/1.%*d %d", &st) != 1)
                st = -1; /* not HTTP: recorded as an odd answer */
            if (st >= 100 && st < 200) {
                r->saw_100 |= st == 100;
                start = (size_t)(he - in.p) + 4;
                continue;
            }
            r->status = st;
            r->ms = atk_now_ms() - t0;
            head_end = (size_t)(he - in.p) + 4;
            r->head = strndup(in.p + start, head_end - start);
            {
                char v[128];
                if (head_value(r->head, "Transfer-Encoding", v, sizeof v) &&
                    strcasestr(v, "chunked") != NULL)
                    chunked = 1;
                else if (head_value(r->head, "Content-Length", v, sizeof v))
                    clen = strtoll(v, NULL, 10);
                else if (st == 204 || st == 304)
                    clen = 0;
            }
        }
        if (r->status != 0) {
            size_t have = in.len - head_end;
            if (chunked) {
                int d = dechunk(in.p + head_end, have, &body);
                if (d != 0) {
                    r->complete = d == 1;
                    break;
                }
            } else if (clen >= 0 && have >= (size_t)clen) {
                atk_buf_add(&body, in.p + head_end, (size_t)clen);
                r->complete = 1;
                break;
            }
            if (peer_closed) {
                if (!chunked && clen < 0) {
                    atk_buf_add(&body, in.p + head_end, have);
                    r->complete = 1;
                }
                break;
            }
        }
        if (peer_closed)
            break;
        left = end - atk_now_ms();
        if (left < 0 || poll(&p, 1, (int)left) <= 0)
            break;
        k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (k > 0) {
            r->raw_len += (size_t)k;
            if (atk_buf_add(&in, buf, (size_t)k) != 0)
                break;
        } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
            peer_closed = 1;
        }
    }
    r->closed = peer_closed;
    if (!peer_closed && close_ms > 0 && r->status != 0)
        r->closed = wait_closed(fd, close_ms, &r->raw_len);
    if (body.p == NULL)
        atk_buf_add(&body, "", 0);
    r->body = body.p;
    r->body_len = body.len;
    if (r->head == NULL)
        r->head = strdup("");
    if (r->body_len > 0)
        r->json = json_loadb(r->body, r->body_len, 0, NULL);
    free(in.p);
    return r->status != 0 ? 0 : -1;
}

int atk_exchange(unsigned port, const void *req, size_t len, int timeout_ms, int close_ms,
                 struct atk_resp *r)
{
    int fd = atk_connect(port, 0), ret = -1;
    const char *p = req;
    size_t off = 0;

    memset(r, 0, sizeof *r);
    if (fd < 0) {
        r->head = strdup("");
        r->body = strdup("");
        return -1;
    }
    while (off < len) {
        ssize_t k = send(fd, p + off, len - off, MSG_NOSIGNAL);
        if (k <= 0)
            break; /* the server may answer and close before it all went */
        off += (size_t)k;
    }
    ret = atk_read_answer(fd, timeout_ms, close_ms, r);
    close(fd);
    return ret;
}

void atk_resp_free(struct atk_resp *r)
{
    free(r->head);
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

int atk_header(const struct atk_resp *r, const char *name, char *out, size_t size)
{
    if (r->head == NULL) {
        out[0] = '\0';
        return 0;
    }
    return head_value(r->head, name, out, size);
}

int atk_is_problem(const struct atk_resp *r, long status)
{
    char ct[128];
    json_t *st;

    if (r->status != status || r->json == NULL || !atk_header(r, "Content-Type", ct, sizeof ct) ||
        strncmp(ct, "application/problem+json", 24) != 0)
        return 0;
    st = json_object_get(r->json, "status");
    return json_is_integer(st) && json_integer_value(st) == status &&
           json_is_string(json_object_get(r->json, "title")) &&
           json_is_string(json_object_get(r->json, "type"));
}

int atk_problem_names_field(const json_t *p, const char *field)
{
    json_t *errors = json_object_get(p, "errors"), *e;
    size_t i;

    json_array_foreach(errors, i, e)
    {
        const char *f = json_string_value(json_object_get(e, "field"));
        if (f != NULL && strcmp(f, field) == 0)
            return 1;
    }
    return 0;
}

long atk_vmrss_kib(pid_t pid)
{
    char path[64], line[256];
    FILE *f;
    long kib = -1;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t atk_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned long)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64url[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64url[v & 63];
    }
    out[o] = '\0';
    return o;
}

long atk_b64url_decode(const char *s, unsigned char *out, size_t cap)
{
    size_t n = strlen(s), o = 0;

    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        unsigned long v = 0;
        size_t chunk = n - i < 4 ? n - i : 4;
        for (size_t k = 0; k < 4; k++) {
            const char *d = k < chunk ? strchr(b64url, s[i + k]) : b64url;
            if (d == NULL || *d == '\0')
                return -1;
            v = v << 6 | (unsigned long)(d - b64url);
        }
        for (size_t k = 0; k + 1 < chunk; k++) {
            if (o == cap)
                return -1;
            out[o++] = (unsigned char)(v >> (16 - 8 * k));
        }
    }
    return (long)o;
}

int atk_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i], need, cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            need = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3, cp = c & 0x07;
        else
            return 0;
        for (unsigned k = 1; k <= need; k++) {
            if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += need + 1;
    }
    return 1;
}
