/* fault.c: support for the fault tests (see fault.h). */
#include "fault.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long fault_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fault_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *fault_bin(void)
{
    const char *bin = getenv("ARTICLED_BIN");
    return bin ? bin : "build/articled";
}

/* 1 when the binary's --help lists flag (checked once per flag and process). */
static int fault_bin_has_flag(const char *flag)
{
    char cmd[1200], line[512];
    FILE *p;
    int found = 0;
    snprintf(cmd, sizeof cmd, "'%s' --help 2>/dev/null", fault_bin());
    p = popen(cmd, "r");
    if (p == NULL)
        return 0;
    while (fgets(line, sizeof line, p) != NULL)
        if (strstr(line, flag) != NULL)
            found = 1;
    pclose(p);
    return found;
}

/* Fills argv (room for 48) with the binary, the fixed test flags, --db and
 * extra. The fault tests send thousands of searches from one address: a
 * build with a search rate limit gets it switched off. */
static void fault_argv(const char **argv, const char *db, const char *const *extra)
{
    static int rate_flag = -1;
    size_t n = 0;
    if (rate_flag < 0)
        rate_flag = fault_bin_has_flag("--search-rate");
    argv[n++] = fault_bin();
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--bind";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--db";
    argv[n++] = db;
    argv[n++] = "--threads";
    argv[n++] = "2";
    if (rate_flag) {
        argv[n++] = "--search-rate";
        argv[n++] = "0";
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 46; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
}

/* In the forked child: applies opts, points stdout/stderr at the files and
 * execs. Never returns. */
static void fault_exec(const char **argv, const char *out, const char *err,
                       const struct fault_proc_opts *opts)
{
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        close(fd);
    }
    fd = err ? open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644) : dup(1);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
    if (opts != NULL && opts->fsize_limit > 0) {
        struct rlimit rl = {(rlim_t)opts->fsize_limit, (rlim_t)opts->fsize_limit};
        /* ignored dispositions survive exec: writes past the limit fail with
         * EFBIG instead of killing the server */
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(126);
    }
    if (opts != NULL && opts->drop_privs) {
        if (setgroups(0, NULL) != 0 || setgid(opts->gid) != 0 || setuid(opts->uid) != 0)
            _exit(126);
    }
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

int fault_user_can_exec(uid_t uid, gid_t gid, const char *path)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return 0;
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
            _exit(2);
        _exit(access(path, X_OK) == 0 ? 0 : 1);
    }
    if (waitpid(pid, &status, 0) != pid)
        return 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static unsigned fault_read_port(const char *log)
{
    FILE *f = fopen(log, "r");
    char line[4096];
    unsigned port = 0;
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        const char *p;
        if (strstr(line, "\"msg\":\"listening\"") == NULL)
            continue;
        p = strstr(line, "\"port\":");
        if (p != NULL)
            port = (unsigned)strtoul(p + 7, NULL, 10);
        break;
    }
    fclose(f);
    return port;
}

int fault_start(struct apitest_server *s, const char *db, const char *log, const char *const *extra,
                const struct fault_proc_opts *opts)
{
    const char *argv[48];
    FILE *f;

    memset(s, 0, sizeof *s);
    snprintf(s->db, sizeof s->db, "%s", db);
    snprintf(s->log, sizeof s->log, "%s", log);
    fault_argv(argv, s->db, extra);
    /* the log is appended to across restarts; the port is read from the
     * newest listening line, so start from an empty file each time */
    f = fopen(s->log, "w");
    if (f == NULL)
        return -1;
    fclose(f);
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0)
        fault_exec(argv, s->log, NULL, opts);
    for (int i = 0; i < 1000; i++) {
        int status;
        s->port = fault_read_port(s->log);
        if (s->port != 0)
            return 0;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        fault_sleep_ms(10);
    }
    apitest_kill9(s);
    return -1;
}

int fault_alive(const struct apitest_server *s)
{
    int status;
    if (s->pid <= 0)
        return 0;
    return waitpid(s->pid, &status, WNOHANG) == 0;
}

static void fault_slurp(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    out[0] = '\0';
    if (f == NULL)
        return;
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
}

int fault_run_once(const char *db, const char *const *extra, const struct fault_proc_opts *opts,
                   const char *scratch_dir, int timeout_ms, struct fault_run *r)
{
    const char *argv[48];
    char out[512], err[512];
    long long start = fault_now_ms();
    pid_t pid;
    int status = 0;

    memset(r, 0, sizeof *r);
    snprintf(out, sizeof out, "%s/run.out", scratch_dir);
    snprintf(err, sizeof err, "%s/run.err", scratch_dir);
    fault_argv(argv, db, extra);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        fault_exec(argv, out, err, opts);
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0)
            return -1;
        if (fault_now_ms() - start > timeout_ms) {
            r->timed_out = 1;
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        fault_sleep_ms(10);
    }
    r->ms = (long)(fault_now_ms() - start);
    if (!r->timed_out && WIFEXITED(status)) {
        r->exited = 1;
        r->code = WEXITSTATUS(status);
    } else if (!r->timed_out && WIFSIGNALED(status)) {
        r->signo = WTERMSIG(status);
    }
    fault_slurp(out, r->out, sizeof r->out);
    fault_slurp(err, r->err, sizeof r->err);
    return 0;
}

/* ---- the keep-alive client ------------------------------------------------ */

int fault_client_init(struct fault_client *fc, unsigned port)
{
    fc->port = port;
    fc->curl = curl_easy_init();
    return fc->curl ? 0 : -1;
}

void fault_client_free(struct fault_client *fc)
{
    if (fc->curl != NULL)
        curl_easy_cleanup(fc->curl);
    fc->curl = NULL;
}

int fault_request(struct fault_client *fc, const char *method, const char *path,
                  const char *content_type, const char *body, size_t len, struct apitest_resp *r)
{
    return apitest_perform(fc->curl, fc->port, method, path, NULL, content_type, body, len, r);
}

/* ---- raw sockets ---------------------------------------------------------- */

int fault_connect(unsigned port)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return -1;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int fault_send(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void fault_reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

/* ---- directories and mounts ----------------------------------------------- */

int fault_tmpdir(char *out, size_t size)
{
    char tmpl[] = "/tmp/articled-fault-XXXXXX";
    if (mkdtemp(tmpl) == NULL || chmod(tmpl, 0755) != 0)
        return -1;
    snprintf(out, size, "%s", tmpl);
    return 0;
}

static int fault_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    chmod(path, 0755); /* a read-only directory of a test */
    remove(path);
    return 0;
}

static int fault_chmod_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_D || flag == FTW_DNR || (sb != NULL && S_ISDIR(sb->st_mode)))
        chmod(path, 0755);
    return 0;
}

void fault_rmtree(const char *dir)
{
    if (dir == NULL || strncmp(dir, "/tmp/articled-fault-", 20) != 0)
        return;
    /* first make every directory writable, then remove depth first */
    nftw(dir, fault_chmod_one, 16, FTW_PHYS);
    nftw(dir, fault_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int fault_tmpfs_mount(const char *dir, unsigned mb)
{
    char opts[64];
    snprintf(opts, sizeof opts, "size=%um,mode=0755", mb);
    return mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts);
}

int fault_tmpfs_resize(const char *dir, unsigned mb)
{
    char opts[64];
    snprintf(opts, sizeof opts, "size=%um", mb);
    return mount("tmpfs", dir, "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV, opts);
}

int fault_tmpfs_readonly(const char *dir)
{
    return mount("tmpfs", dir, "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

void fault_tmpfs_umount(const char *dir)
{
    if (dir == NULL || dir[0] == '\0')
        return;
    if (umount2(dir, 0) != 0 && errno == EBUSY)
        umount2(dir, MNT_DETACH);
}

int fault_copy_file(const char *src, const char *dst)
{
    char buf[65536];
    int in = open(src, O_RDONLY), out;
    ssize_t n;
    if (in < 0)
        return -1;
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        close(in);
        return -1;
    }
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            n = -1;
            break;
        }
    close(in);
    if (close(out) != 0)
        n = -1;
    return n < 0 ? -1 : 0;
}

/* ---- database checks ------------------------------------------------------ */

static long long fault_db_count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

int fault_db_check(const char *path, struct fault_db_report *rep)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *msg = NULL;
    int rc, ret = -1;

    memset(rep, 0, sizeof *rep);
    snprintf(rep->integrity, sizeof rep->integrity, "(not run)");
    snprintf(rep->fts, sizeof rep->fts, "(not run)");
    snprintf(rep->fts_content, sizeof rep->fts_content, "(not run)");
    snprintf(rep->fp_index, sizeof rep->fp_index, "(not run)");
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK)
        goto out;
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        snprintf(rep->integrity, sizeof rep->integrity, "%s", sqlite3_errmsg(db));
        goto out;
    }
    rep->opened = 1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(rep->integrity, sizeof rep->integrity, "%s",
                 (const char *)sqlite3_column_text(st, 0));
    else
        snprintf(rep->integrity, sizeof rep->integrity, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    st = NULL;
    rc = sqlite3_exec(db, "INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')", NULL,
                      NULL, &msg);
    snprintf(rep->fts, sizeof rep->fts, "%s",
             rc == SQLITE_OK ? "ok" : (msg ? msg : sqlite3_errstr(rc)));
    sqlite3_free(msg);
    msg = NULL;
    /* the plain form only checks the index against itself; with rank 1 it
     * also compares it with the content table (SQLite 3.40 does both) */
    rc = sqlite3_exec(db,
                      "INSERT INTO articles_fts(articles_fts, rank) VALUES('integrity-check', 1)",
                      NULL, NULL, &msg);
    snprintf(rep->fts_content, sizeof rep->fts_content, "%s",
             rc == SQLITE_OK ? "ok" : (msg ? msg : sqlite3_errstr(rc)));
    sqlite3_free(msg);
    rep->articles = fault_db_count(db, "SELECT count(*) FROM articles");
    rep->fps = fault_db_count(db, "SELECT count(*) FROM article_fps");
    rep->fps_orphans = fault_db_count(
        db, "SELECT count(*) FROM article_fps WHERE seq NOT IN (SELECT seq FROM articles)");
    rc = sqlite3_exec(db, "INSERT INTO fp_index(fp_index) VALUES('integrity-check')", NULL, NULL,
                      &msg);
    snprintf(rep->fp_index, sizeof rep->fp_index, "%s",
             rc == SQLITE_OK ? "ok" : (msg ? msg : sqlite3_errstr(rc)));
    sqlite3_free(msg);
    msg = NULL;
    if (sqlite3_exec(db, "CREATE VIRTUAL TABLE temp.fp_vocab USING fts5vocab(main, fp_index, row)",
                     NULL, NULL, NULL) == SQLITE_OK) {
        long long postings = fault_db_count(db, "SELECT coalesce(sum(doc), 0) FROM fp_vocab");
        long long hashes =
            fault_db_count(db, "SELECT coalesce(sum(length(idx)), 0) / 8 FROM article_fps");
        rep->postings_extra = postings >= 0 && hashes >= 0 ? postings - hashes : -1;
    } else {
        rep->postings_extra = -1;
    }
    ret = rep->articles >= 0 && rep->fps >= 0 && rep->fps_orphans >= 0 && rep->postings_extra >= 0
              ? 0
              : -1;
out:
    sqlite3_finalize(st);
    sqlite3_close_v2(db);
    return ret;
}

int fault_db_has(void *dbp, const char *id, const char *token)
{
    sqlite3 *db = dbp;
    sqlite3_stmt *st = NULL;
    long long seq = -1;
    int found = 0;
    char match[128];

    if (sqlite3_prepare_v2(db, "SELECT seq FROM articles WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        seq = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (seq < 0)
        return 0;
    /* tokens are plain alphanumerics; quoting keeps MATCH from reading syntax */
    snprintf(match, sizeof match, "\"%s\"", token);
    if (sqlite3_prepare_v2(db, "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW)
        if (sqlite3_column_int64(st, 0) == seq)
            found = 1;
    sqlite3_finalize(st);
    return found;
}

int fault_file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    int found = 0;
    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* ---- text ----------------------------------------------------------------- */

uint64_t fault_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

size_t fault_words(uint64_t *state, unsigned n, char *buf, size_t len, size_t size)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t r = fault_rand(state);
        unsigned wl = 3 + (unsigned)(r % 7);
        if (len + wl + 2 >= size)
            break;
        if (len > 0)
            buf[len++] = ' ';
        for (unsigned k = 0; k < wl; k++) {
            r = r / 26 ? r / 26 : fault_rand(state);
            buf[len++] = (char)('a' + r % 26);
        }
    }
    buf[len < size ? len : size - 1] = '\0';
    return len;
}
