/* attack.h: raw-socket support for the attack suite (tests/api/test_attack.c):
 * requests written byte for byte (framing the HTTP client library would
 * correct), answers read with a deadline and a note of whether the server
 * closed the connection, many connections driven at once through poll, and
 * the server's resident memory. */
#ifndef ARTICLED_TEST_ATTACK_H
#define ARTICLED_TEST_ATTACK_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "apitest.h"

/* One answer read from a raw connection. */
struct atk_resp {
    int status;   /* the final answer's status, 0 when none came */
    int saw_100;  /* an interim "100 Continue" came first */
    int complete; /* the whole body came (Content-Length, chunked, or close) */
    int closed;   /* the server closed the connection after the answer */
    char *head;   /* status line and headers of the final answer (new string) */
    char *body;   /* body, NUL-terminated, de-chunked (new string) */
    size_t body_len;
    json_t *json;   /* body parsed as JSON, or NULL */
    long long ms;   /* from the request sent to the answer's head read */
    size_t raw_len; /* bytes read from the connection in all */
};

/* Connects to 127.0.0.1:port, writes req (len bytes), and reads one answer
 * for at most timeout_ms; then waits up to close_ms for the server to close
 * the connection (0: does not wait). Returns 0 when an answer's head came,
 * -1 otherwise (r is filled either way; free it with atk_resp_free). */
int atk_exchange(unsigned port, const void *req, size_t len, int timeout_ms, int close_ms,
                 struct atk_resp *r);

/* Reads one answer from fd as atk_exchange does (interim 1xx answers noted
 * and skipped). Returns 0 when a final answer's head came, else -1. */
int atk_read_answer(int fd, int timeout_ms, int close_ms, struct atk_resp *r);

void atk_resp_free(struct atk_resp *r);

/* Copies the value of header name (any case) of r into out; 1 when present. */
int atk_header(const struct atk_resp *r, const char *name, char *out, size_t size);

/* 1 when r is an RFC 9457 problem with this status (content type, "status",
 * "title" and "type" members). */
int atk_is_problem(const struct atk_resp *r, long status);

/* 1 when the JSON problem p has an errors[] entry whose "field" is field. */
int atk_problem_names_field(const json_t *p, const char *field);

/* A blocking TCP connection to 127.0.0.1:port whose receive buffer is set to
 * rcvbuf bytes before it connects (a small window: the server's writes stall
 * as soon as the client stops reading), or -1. */
int atk_connect_small_window(unsigned port, int rcvbuf);

/* A non-blocking TCP connection to 127.0.0.1:port (connect may still be in
 * progress), or -1. */
int atk_connect_nb(unsigned port);

/* The resident set (VmRSS) of process pid in KiB, or -1. */
long atk_vmrss_kib(pid_t pid);

/* Writes the 6-bit base64url alphabet encoding of in (no padding) into out
 * (at least 4 * n / 3 + 4 bytes); returns its length. */
size_t atk_b64url_encode(const unsigned char *in, size_t n, char *out);

/* Decodes base64url (no padding) s into out (cap bytes); returns the length,
 * or -1 when s is not base64url or too long. */
long atk_b64url_decode(const char *s, unsigned char *out, size_t cap);

/* 1 when s[0..n) is valid UTF-8 (no overlong forms, no surrogates, at most
 * U+10FFFF). */
int atk_utf8_valid(const char *s, size_t n);

#endif
