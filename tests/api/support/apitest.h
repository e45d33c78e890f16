/* apitest.h: black-box test support: start the real articled binary on port 0
 * with a temp-file database, read the chosen port from its log, and talk HTTP
 * to it through libcurl. Used by every tests/api/test_*.c. */
#ifndef ARTICLED_APITEST_H
#define ARTICLED_APITEST_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

struct apitest_server {
    pid_t pid;
    unsigned port;
    char dir[256]; /* temp directory holding the database and the log */
    char db[300];
    char log[300];
};

/* Starts the binary named by $ARTICLED_BIN. db: an existing path to reuse
 * (restart tests), or NULL for a fresh one in a new temp dir. extra: more
 * arguments, NULL-terminated, or NULL (--log-format text works: the port is
 * read from the "listening" line in either format). Returns 0, or -1 when it
 * did not come up within 10 s. Linking this harness sets ARTICLED_SEARCH_RATE=0 in the
 * test's environment (unless set): servers have no search rate limit unless a
 * test passes --search-rate. */
int apitest_start(struct apitest_server *s, const char *db, const char *const *extra);

/* SIGTERM and wait; returns the exit status (or -1 if killed by a signal). */
int apitest_stop(struct apitest_server *s);

/* SIGKILL and reap, as a crash would. */
void apitest_kill9(struct apitest_server *s);

/* Removes the temp directory. */
void apitest_cleanup(struct apitest_server *s);

struct apitest_resp {
    long status;
    char *body;
    size_t len;
    char content_type[128];
    char location[256];
    char allow[128];
    char retry_after[32];
    json_t *json;  /* parsed body when it is JSON, else NULL */
    char *headers; /* every response header line as received, or NULL */
};

/* Sends one request. content_type/body may be NULL. Returns 0, or -1 on a
 * transport error. */
int apitest_request(const struct apitest_server *s, const char *method, const char *path,
                    const char *content_type, const char *body, size_t len, struct apitest_resp *r);

/* apitest_request with extra request headers: "Name: value" strings,
 * NULL-terminated (headers may be NULL). */
int apitest_request_h(const struct apitest_server *s, const char *method, const char *path,
                      const char *const *headers, const char *content_type, const char *body,
                      size_t len, struct apitest_resp *r);

/* apitest_request_h on a libcurl handle of the caller's (a CURL *, its options set
 * afresh; a reused handle keeps its live connection) to the server on port. */
int apitest_perform(void *curl, unsigned port, const char *method, const char *path,
                    const char *const *headers, const char *content_type, const char *body,
                    size_t len, struct apitest_resp *r);

/* Copies the value of response header name (any case) into out. Returns 1
 * when r has it, else 0 (out is then ""). */
int apitest_header(const struct apitest_resp *r, const char *name, char *out, size_t size);

/* Shorthands. */
int apitest_get(const struct apitest_server *s, const char *path, struct apitest_resp *r);
int apitest_post_json(const struct apitest_server *s, const char *path, const char *json,
                      struct apitest_resp *r);

void apitest_resp_free(struct apitest_resp *r);

/* Writes a fixture file's path under tests/ into out. */
void apitest_fixture(const char *rel, char *out, size_t size);

/* 1 when r is an RFC 9457 problem with this status. */
int apitest_is_problem(const struct apitest_resp *r, long status);

#endif
