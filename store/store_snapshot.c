/* store_snapshot.c: a consistent copy of the live database (see store.h).
 * VACUUM INTO runs on a read-only connection of its own: it reads one WAL
 * snapshot, so the writer and the readers go on while it copies. The copy is
 * made under a temporary name, synced, then renamed without replacing. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
    /* VACUUM INTO writes into an empty file; mkstemp makes one (mode 0600)
     * with a name nobody else uses, in the same folder for the rename */
    snprintf(tmp, strlen(path) + 32, "%s/.snapshot-XXXXXX", dir);
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
        unlink(tmp);
    free(tmp);
    free(dir);
    return ret;
}
