/* security.h: test support for the access-control, CORS, limits and snapshot
 * tests: servers started with a key file, requests with a key, the server's
 * log, raw sockets for slow clients, and a look inside SQLite files. */
#ifndef ARTICLED_TEST_SECURITY_H
#define ARTICLED_TEST_SECURITY_H

#include <stddef.h>
#include <sys/types.h>

#include "apitest.h"

/* The keys of sec_keys_text: a read key named "dash", a write key "feeder". */
#define SEC_READ_KEY  "rk-0123456789abcdef-read"
#define SEC_WRITE_KEY "wk-fedcba9876543210-write"
extern const char sec_keys_text[];

/* Makes s's temp directory and database path without starting anything, so
 * that files (a key file) can be put there first. Returns 0 or -1. */
int sec_prepare(struct apitest_server *s);

/* Writes text to s->dir/name with mode; *path (may be NULL) gets the path.
 * Returns 0 or -1. */
int sec_write_file(const struct apitest_server *s, const char *name, const char *text, mode_t mode,
                   char *path, size_t size);

/* sec_prepare, a key file holding keys (mode 0600) and apitest_start with
 * --api-key-file and extra (NULL-terminated, may be NULL). Returns 0 or -1. */
int sec_start_with_keys(struct apitest_server *s, const char *keys, const char *const *extra);

/* One request; key (may be NULL) goes in Authorization: Bearer, origin (may
 * be NULL) in Origin. Returns 0 or -1 on a transport error. */
int sec_request(const struct apitest_server *s, const char *method, const char *path,
                const char *key, const char *origin, const char *content_type, const char *body,
                struct apitest_resp *r);

/* The server's log so far (new string, "" when unreadable). */
char *sec_read_log(const struct apitest_server *s);

/* A TCP connection to 127.0.0.1:port, or -1. */
int sec_connect(unsigned port);

/* 1 when the peer has closed fd (reads EOF or a reset within wait_ms). */
int sec_closed_by_peer(int fd, int wait_ms);

/* Milliseconds on a monotonic clock. */
long long sec_now_ms(void);

void sec_sleep_ms(long ms);

/* Runs one SQL statement on the SQLite file at path (read-only) and copies
 * the first column of its first row, as text, into out. Returns 0 or -1. */
int sec_sqlite_scalar(const char *path, const char *sql, char *out, size_t size);

#endif
