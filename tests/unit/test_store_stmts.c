/* Unit tests for the store's read-statement table (store_stmts.c) and its
 * one SQLite -> error code mapping (store_err.c). */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "unit_tmp.h"

static struct unit_tmp tmp;
static const char *path = tmp.path;

static void setup(void)
{
    unit_tmp_make(&tmp, "stmts");
}

static void teardown(void)
{
    unit_tmp_remove(&tmp);
}

TestSuite(store_stmts, .init = setup, .fini = teardown, .timeout = 60);

Test(store_stmts, the_table_is_in_enum_order)
{
    for (int i = 0; i < RSTMT_COUNT_; i++) {
        cr_expect_eq((int)store_rstmts[i].id, i, "entry %d holds statement %d", i,
                     (int)store_rstmts[i].id);
        cr_expect_not_null(store_rstmts[i].sql, "statement %d has no SQL", i);
    }
}

/* Every read statement prepares against the schema of a new store (a typo
 * or a renamed column would otherwise show only on the path that runs it). */
Test(store_stmts, every_read_statement_prepares)
{
    struct store *st = NULL;
    struct store_options o = {0};
    struct error err = {0};
    struct store_reader *r;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    r = store_reader_get(st, &err);
    cr_assert_not_null(r, "%s", err.msg);
    for (int i = 0; i < RSTMT_COUNT_; i++) {
        sqlite3_stmt *s = store_reader_stmt(r, (enum store_rstmt)i);
        cr_expect_not_null(s, "statement %d: %s", i, sqlite3_errmsg(r->db));
        cr_expect_eq(store_reader_stmt(r, (enum store_rstmt)i), s, "statement %d is cached", i);
    }
    store_close(st);
}

Test(store_stmts, sqlite_codes_map_to_error_codes)
{
    static const struct {
        enum store_io io;
        int rc;
        const char *msg;
        enum error_code want;
    } cases[] = {
        {STORE_IO_READ, SQLITE_INTERRUPT, "interrupted", ERR_TIMEOUT},
        {STORE_IO_READ, SQLITE_ERROR, "fts5: syntax error near \"\"", ERR_INVALID},
        {STORE_IO_READ, SQLITE_ERROR, "no such table: x", ERR_INTERNAL},
        {STORE_IO_READ, SQLITE_ERROR, NULL, ERR_INTERNAL},
        {STORE_IO_READ, SQLITE_IOERR_READ, "disk I/O error", ERR_INTERNAL},
        {STORE_IO_READ, SQLITE_FULL, "database or disk is full", ERR_INTERNAL},
        {STORE_IO_READ, SQLITE_NOMEM, "out of memory", ERR_INTERNAL},
        {STORE_IO_READ, SQLITE_CORRUPT_VTAB, "database disk image is malformed", ERR_INTERNAL},
        {STORE_IO_WRITE, SQLITE_FULL, "database or disk is full", ERR_FULL},
        {STORE_IO_WRITE, SQLITE_IOERR_WRITE, "disk I/O error", ERR_FULL},
        {STORE_IO_WRITE, SQLITE_IOERR_FSYNC, "disk I/O error", ERR_FULL},
        {STORE_IO_WRITE, SQLITE_CONSTRAINT_UNIQUE, "UNIQUE constraint failed", ERR_CONFLICT},
        {STORE_IO_WRITE, SQLITE_ERROR, "fts5: something", ERR_INTERNAL},
        {STORE_IO_WRITE, SQLITE_INTERRUPT, "interrupted", ERR_INTERNAL},
        {STORE_IO_WRITE, SQLITE_BUSY, "database is locked", ERR_INTERNAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(store_error_code(cases[i].io, cases[i].rc, cases[i].msg), cases[i].want,
                     "case %zu (rc %d, %s)", i, cases[i].rc, cases[i].msg ? cases[i].msg : "-");
}

Test(store_stmts, the_error_says_what_failed_and_why)
{
    struct error err = {0};

    store_read_budget(0);
    store_error_from_sqlite(&err, STORE_IO_WRITE, SQLITE_FULL, NULL, "insert failed");
    cr_expect_eq(err.code, ERR_FULL);
    cr_expect_str_eq(err.msg, "insert failed: database or disk is full");

    store_error_from_sqlite(&err, STORE_IO_READ, SQLITE_INTERRUPT, NULL, "search failed");
    cr_expect_eq(err.code, ERR_TIMEOUT);
    cr_expect(strstr(err.msg, "time budget") != NULL, "%s", err.msg);

    store_error_from_sqlite(&err, STORE_IO_READ, SQLITE_NOMEM, NULL, "read failed");
    cr_expect_eq(err.code, ERR_INTERNAL);
    cr_expect_str_eq(err.msg, "read failed: out of memory");
}
