/* store_snapshot.c: a consistent copy of the live database (see store.h).
 * VACUUM INTO runs on a read-only connection of its own: it reads one WAL
 * snapshot, so the writer and the readers go on while it copies. The copy is
 * made under a temporary name, synced, then renamed without replacing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <limits.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h"

/* SQLite's progress callback: non-zero interrupts the statement. */
static int snapshot_progress(void *arg)
{
    struct store_snapshot_info *info = arg;
    return info->cancelled(info->cancel_arg) != 0;
}

/* Maps a failed SQLite call to err. */
static void snapshot_sqlite_error(sqlite3 *db, int rc, const char *what, struct error *err)
{
    if ((rc & 0xff) == SQLITE_INTERRUPT)
        error_set(err, ERR_UNAVAILABLE, "the snapshot was cancelled: the service is shutting down");
    else if ((rc & 0xff) == SQLITE_FULL)
        error_set(err, ERR_FULL, "the disk is full: no snapshot was written");
    else
        error_set(err, ERR_INTERNAL, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* fsyncs the file or folder at path. Returns 0 or -1 (errno set). */
static int snapshot_sync(const char *path, int directory, long long *bytes)
{
    struct stat sb;
    int fd = open(path, (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    if (rc == 0 && bytes != NULL) {
        rc = fstat(fd, &sb);
        *bytes = (long long)sb.st_size;
    }
    close(fd);
    return rc;
}

/* Copies the database into tmp (an empty file) with VACUUM INTO. */
static int snapshot_copy(struct store *st, const char *tmp, struct store_snapshot_info *info,
                         struct error *err)
{
    sqlite3 *src = NULL;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_open_v2(st->path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);

    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(src, 1);
        rc = sqlite3_busy_timeout(src, 10000);
    }
    if (rc == SQLITE_OK && info->cancelled != NULL)
        sqlite3_progress_handler(src, 1000, snapshot_progress, info);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(src, "VACUUM INTO ?1", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(s, 1, tmp, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK)
        snapshot_sqlite_error(src, rc, "cannot copy the database", err);
    sqlite3_finalize(s);
    sqlite3_close_v2(src);
    return rc == SQLITE_OK ? 0 : -1;
}

/* Counts the articles in the copy at path. */
static int snapshot_count(const char *path, long long *articles, struct error *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM articles", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *articles = sqlite3_column_int64(s, 0);
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        snapshot_sqlite_error(db, rc, "cannot read the copy", err);
    sqlite3_finalize(s);
    sqlite3_close_v2(db);
    return rc == SQLITE_OK ? 0 : -1;
}

/* The prefix of a snapshot's temporary name in its folder (mkstemp adds
 * six characters; SQLite may add "-journal"). */
#define SNAPSHOT_TMP_PREFIX ".snapshot-"

/* Refuses (ERR_FULL) a copy of the database that would leave less than
 * min_free bytes free in dir. The copy is compacted, so the database file
 * and its WAL are an upper bound of its size. */
static int snapshot_space(struct store *st, const char *dir, unsigned long long min_free,
                          struct error *err)
{
    struct statvfs vfs;
    struct stat sb;
    unsigned long long need = 0, avail;
    char *wal = NULL;

    if (stat(st->path, &sb) == 0)
        need += (unsigned long long)sb.st_size;
    if (asprintf(&wal, "%s-wal", st->path) >= 0 && stat(wal, &sb) == 0)
        need += (unsigned long long)sb.st_size;
    free(wal);
    if (statvfs(dir, &vfs) != 0)
        return 0; /* nothing to go by: the copy's own errors still count */
    avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
    if (avail >= need && avail - need >= min_free)
        return 0;
    error_set(err, ERR_FULL,
              "not enough space for a snapshot: %llu MB free, a copy needs up to %llu MB and "
              "--snapshot-min-free keeps %llu MB for the database",
              avail >> 20, need >> 20, min_free >> 20);
    return -1;
}

/* Removes a temporary copy and the journal SQLite may have left beside it. */
static void snapshot_unlink_tmp(const char *tmp)
{
    char journal[PATH_MAX];
    unlink(tmp);
    if ((size_t)snprintf(journal, sizeof journal, "%s-journal", tmp) < sizeof journal)
        unlink(journal);
}

int store_snapshot_clean(const char *dir, char *names, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int removed = 0;
    size_t used = 0;

    if (size > 0)
        names[0] = '\0';
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        size_t n = strlen(e->d_name), plen = strlen(SNAPSHOT_TMP_PREFIX);
        /* exactly what store_snapshot makes: the prefix, six characters,
         * and nothing more but SQLite's "-journal" */
        if (strncmp(e->d_name, SNAPSHOT_TMP_PREFIX, plen) != 0 ||
            (n != plen + 6 &&
             !(n == plen + 6 + 8 && strcmp(e->d_name + plen + 6, "-journal") == 0)))
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path ||
            unlink(path) != 0)
            continue;
        removed++;
        if (used < size) {
            int w = snprintf(names + used, size - used, "%s%s", used ? ", " : "", e->d_name);
            used = w < 0 ? size : used + (size_t)w;
        }
    }
    closedir(d);
    return removed;
}

static int snapshot_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_snapshot_prune(const char *dir, const char *prefix, unsigned keep)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int removed = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || len < 3 ||
            strcmp(e->d_name + len - 3, ".db") != 0)
            continue;
        if (n == cap) {
            char **bigger = realloc(names, (cap ? cap * 2 : 16) * sizeof *names);
            if (bigger == NULL)
                break;
            names = bigger;
            cap = cap ? cap * 2 : 16;
        }
        if ((names[n] = strdup(e->d_name)) == NULL)
            break;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, snapshot_cmp_names);
    for (size_t i = 0; i + keep < n; i++) {
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) < sizeof path &&
            unlink(path) == 0)
            removed++;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return removed;
}

/* Gives tmp the name path unless path exists (atomically where the file
 * system can; else by a hard link, which cannot replace either). */
static int snapshot_name(const char *tmp, const char *path, struct error *err)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) {
        if (link(tmp, path) == 0) {
            unlink(tmp);
            return 0;
        }
    }
    if (errno == EEXIST)
        error_set(err, ERR_CONFLICT, "a file with this name exists");
    else if (errno == ENOSPC)
        error_set(err, ERR_FULL, "the disk is full: no snapshot was written");
    else
        error_set(err, ERR_INTERNAL, "cannot name the snapshot %s: %s", path, strerror(errno));
    return -1;
}

int store_snapshot(struct store *st, const char *path, struct store_snapshot_info *info,
                   struct error *err)
{
    const char *slash = strrchr(path, '/');
    char *tmp = malloc(strlen(path) + 32), *dir;
    struct timespec t0, t1;
    struct stat sb;
    int fd, tmp_made = 0, ret = -1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    info->bytes = info->articles = info->took_ms = 0;
    if (slash == NULL)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (tmp == NULL || dir == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (lstat(path, &sb) == 0) {
        error_set(err, ERR_CONFLICT, "a file with this name exists");
        goto out;
    }
    if (snapshot_space(st, dir, info->min_free, err) != 0)
        goto out;
    /* VACUUM INTO writes into an empty file; mkstemp makes one (mode 0600)
     * with a name nobody else uses, in the same folder for the rename */
    snprintf(tmp, strlen(path) + 32, "%s/" SNAPSHOT_TMP_PREFIX "XXXXXX", dir);
    fd = mkstemp(tmp);
    if (fd < 0) {
        if (errno == ENOSPC)
            error_set(err, ERR_FULL, "the disk is full: no snapshot was written");
        else
            error_set(err, ERR_INTERNAL, "cannot create a file in %s: %s", dir, strerror(errno));
        goto out;
    }
    close(fd);
    tmp_made = 1;
    if (snapshot_copy(st, tmp, info, err) != 0)
        goto out;
    if (snapshot_sync(tmp, 0, &info->bytes) != 0) {
        if (errno == ENOSPC)
            error_set(err, ERR_FULL, "the disk is full: no snapshot was written");
        else
            error_set(err, ERR_INTERNAL, "cannot sync the snapshot: %s", strerror(errno));
        goto out;
    }
    if (snapshot_count(tmp, &info->articles, err) != 0 || snapshot_name(tmp, path, err) != 0)
        goto out;
    tmp_made = 0;
    snapshot_sync(dir, 1, NULL); /* the new name is durable too; a failure loses only that */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    info->took_ms = (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ret = 0;
out:
    if (tmp_made)
        snapshot_unlink_tmp(tmp);
    free(tmp);
    free(dir);
    return ret;
}
