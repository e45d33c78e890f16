/* fault.h: support for the fault tests (tests/api/test_faults.c): starting the
 * server under a file-size limit or as another user, running it to its exit,
 * a keep-alive HTTP client for many requests, raw sockets for broken uploads,
 * small tmpfs mounts, and integrity checks of a database file. */
#ifndef ARTICLED_FAULT_H
#define ARTICLED_FAULT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "apitest.h"

/* How the server process is started. Zero means "as the test runs". */
struct fault_proc_opts {
    int drop_privs;        /* run as uid/gid below (the test must be root) */
    uid_t uid;             /* e.g. 65534, nobody */
    gid_t gid;             /* e.g. 65534, nogroup */
    long long fsize_limit; /* > 0: RLIMIT_FSIZE in bytes, with SIGXFSZ ignored */
};

/* Starts $ARTICLED_BIN on port 0 with --db db, its stdout and stderr to log,
 * extra arguments (NULL-terminated, or NULL) and opts (NULL: none). s->dir is
 * left empty, so apitest_cleanup never removes anything of the caller's.
 * Returns 0 once the server logs its port, or -1 (it exited, or 10 s passed). */
int fault_start(struct apitest_server *s, const char *db, const char *log, const char *const *extra,
                const struct fault_proc_opts *opts);

/* 1 when user uid/gid may search and execute path (the test must be root): a
 * server started as that user from a clone in a private folder cannot even
 * exec the binary. */
int fault_user_can_exec(uid_t uid, gid_t gid, const char *path);

/* 1 while the server process is alive (not exited, not reaped). */
int fault_alive(const struct apitest_server *s);

/* How one run of the binary ended. */
struct fault_run {
    int exited;     /* 1: exited normally, code holds the status */
    int code;       /* exit status */
    int signo;      /* the signal that ended it, or 0 */
    int timed_out;  /* 1: still running after the time limit (then killed) */
    long ms;        /* how long it ran */
    char out[4096]; /* stdout, truncated */
    char err[4096]; /* stderr, truncated */
};

/* Runs $ARTICLED_BIN --port 0 --bind 127.0.0.1 --db db [extra] to its exit, at
 * most timeout_ms (then SIGKILL). Output goes through files in scratch_dir.
 * Returns 0 with r filled, or -1 when it could not be started at all. */
int fault_run_once(const char *db, const char *const *extra, const struct fault_proc_opts *opts,
                   const char *scratch_dir, int timeout_ms, struct fault_run *r);

/* A keep-alive HTTP client: one libcurl handle reused for many requests, so
 * that thousands of requests do not use up ephemeral ports. One per thread. */
struct fault_client {
    void *curl; /* CURL * */
    unsigned port;
};

int fault_client_init(struct fault_client *fc, unsigned port);
void fault_client_free(struct fault_client *fc);

/* As apitest_request (same answer struct, free with apitest_resp_free). */
int fault_request(struct fault_client *fc, const char *method, const char *path,
                  const char *content_type, const char *body, size_t len, struct apitest_resp *r);

/* Raw sockets on 127.0.0.1. fault_connect returns a connected fd or -1;
 * fault_send writes everything (0) or fails (-1); fault_reset closes with an
 * RST (SO_LINGER 0) instead of a FIN. */
int fault_connect(unsigned port);
int fault_send(int fd, const void *data, size_t len);
void fault_reset(int fd);

/* A new directory /tmp/articled-fault-XXXXXX (mode 0755) in out; 0 or -1. */
int fault_tmpdir(char *out, size_t size);

/* Removes a directory made by fault_tmpdir, with everything in it. */
void fault_rmtree(const char *dir);

/* tmpfs of mb MiB on dir (which must exist). Returns 0, or -1 with errno
 * (EPERM when the test is not allowed to mount). */
int fault_tmpfs_mount(const char *dir, unsigned mb);

/* Remounts the tmpfs on dir with a new size, or read-only; 0 or -1. */
int fault_tmpfs_resize(const char *dir, unsigned mb);
int fault_tmpfs_readonly(const char *dir);

/* Unmounts dir (lazily if it is busy); NULL-safe, quiet when not mounted. */
void fault_tmpfs_umount(const char *dir);

/* Copies file src to dst; 0 or -1. A missing src is -1 with errno ENOENT. */
int fault_copy_file(const char *src, const char *dst);

/* What fault_db_check found in a database file. */
struct fault_db_report {
    int opened;               /* 1 when the file opened as a database */
    char integrity[256];      /* PRAGMA integrity_check's first row ("ok") */
    char fts[256];            /* "ok", or the FTS5 integrity-check error */
    char fts_content[256];    /* the same with rank 1: the index against articles */
    long long articles;       /* rows in articles */
    long long fps;            /* rows in article_fps */
    long long fps_orphans;    /* article_fps rows without their article */
    char fp_index[256];       /* "ok", or fp_index's FTS5 integrity-check error */
    long long postings_extra; /* fp_index postings minus the stored index sets' sizes */
};

/* Opens path with SQLite (read-write: the FTS5 check is an INSERT command)
 * and runs PRAGMA integrity_check, the articles_fts 'integrity-check' (plain,
 * and with rank 1, which also compares the index with the articles table: the
 * plain form does not for an external-content table), fp_index's check and
 * the fingerprint counts (fp_index must hold exactly the stored index sets:
 * every posting through fts5vocab against article_fps). Returns 0 when every check could run, else
 * -1. */
int fault_db_check(const char *path, struct fault_db_report *rep);

/* 1 when the article with id is in the database at path and the FTS5 index
 * finds it by token (a word of its body); 0 when not; -1 on an error. The
 * caller opens db with sqlite3_open_v2 and passes the sqlite3 *. */
int fault_db_has(void *db, const char *id, const char *token);

/* 1 when the file at path contains needle (sanitizer reports in a log). */
int fault_file_contains(const char *path, const char *needle);

/* A small deterministic random generator (splitmix64). */
uint64_t fault_rand(uint64_t *state);

/* Appends n pseudo-random lower-case words to buf (at most size bytes in all,
 * NUL-terminated), separated by spaces. Returns the new length. */
size_t fault_words(uint64_t *state, unsigned n, char *buf, size_t len, size_t size);

/* Milliseconds on the monotonic clock. */
long long fault_now_ms(void);

#endif
