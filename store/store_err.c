/* store_err.c: the one place SQLite result codes become the service's error
 * codes (analysis/error.h), for reads and for the writer. */
#include <string.h>

#include "store/store_int.h"

/* By primary result code; codes not listed are ERR_INTERNAL on both sides. */
static const struct {
    int rc;
    enum error_code read, write;
} store_err_map[] = {
    /* the progress handler stopped a read past its budget (store_read_budget) */
    {SQLITE_INTERRUPT, ERR_TIMEOUT, ERR_INTERNAL},
    /* a full disk or a write error is a storage failure (507), as at commit */
    {SQLITE_FULL, ERR_INTERNAL, ERR_FULL},
    {SQLITE_IOERR, ERR_INTERNAL, ERR_FULL},
    {SQLITE_CONSTRAINT, ERR_INTERNAL, ERR_CONFLICT},
};

enum error_code store_error_code(enum store_io io, int rc, const char *msg)
{
    int prim = rc & 0xff;

    /* FTS5 refusing a MATCH expression is the client's query at fault (the
     * store builds every other expression itself) */
    if (io == STORE_IO_READ && prim == SQLITE_ERROR && msg != NULL && strstr(msg, "fts5") != NULL)
        return ERR_INVALID;
    for (size_t i = 0; i < sizeof store_err_map / sizeof store_err_map[0]; i++)
        if (store_err_map[i].rc == prim)
            return io == STORE_IO_READ ? store_err_map[i].read : store_err_map[i].write;
    return ERR_INTERNAL;
}

void store_error_from_sqlite(struct error *err, enum store_io io, int rc, sqlite3 *db,
                             const char *what)
{
    const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    enum error_code code = store_error_code(io, rc, msg);

    /* a read stopped by its budget timed out, whatever code reached here */
    if (io == STORE_IO_READ && store_read_budget_exceeded())
        code = ERR_TIMEOUT;
    if (code == ERR_TIMEOUT)
        error_set(err, code, "%s: the read ran past its time budget", what);
    else if (code == ERR_INVALID)
        error_set(err, code, "the search query is not valid: %s", msg);
    else
        error_set(err, code, "%s: %s", what, msg);
}

void store_error_from_reader(struct error *err, struct store_reader *r, const char *what)
{
    store_error_from_sqlite(err, STORE_IO_READ, sqlite3_errcode(r->db), r->db, what);
}
