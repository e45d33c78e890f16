/* Unit tests for store/rank: articled_bm25() gives bm25()'s values for every
 * kind of query (one word, a phrase, AND, OR, NOT, a prefix, a zero-weight
 * column), with the match count given or counted, and the count it is given
 * is what it uses. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>

#include "store/rank.h"

static sqlite3 *db;

static void setup(void)
{
    static const char *words[] = {"alpha", "beta", "gamma", "delta", "alps", "epsilon"};
    sqlite3_stmt *ins = NULL;

    cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    cr_assert_eq(rank_register(db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "CREATE VIRTUAL TABLE t USING fts5(title, body, src,"
                              " tokenize='porter unicode61 remove_diacritics 2')",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "INSERT INTO t(title, body, src) VALUES (?1, ?2, ?3)", -1,
                                    &ins, NULL),
                 SQLITE_OK);
    /* 400 rows of different lengths and word mixes, two sources */
    for (unsigned i = 0; i < 400; i++) {
        char title[64], body[1024];
        size_t n = 0;
        snprintf(title, sizeof title, "%s %s", words[i % 6], words[(i / 6) % 6]);
        for (unsigned k = 0; k < 5 + (i * 7) % 60 && n + 16 < sizeof body; k++)
            n += (size_t)snprintf(body + n, sizeof body - n, "%s ",
                                  words[(i * 31 + k * k * 17 + k) % 6]);
        sqlite3_bind_text(ins, 1, title, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, body, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, i % 3 ? "zzsaq" : "zzsbq", -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
}

static void teardown(void)
{
    sqlite3_close(db);
}

TestSuite(rank, .init = setup, .fini = teardown);

static long long count_of(const char *match)
{
    sqlite3_stmt *s = NULL;
    long long n = -1;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &s, NULL),
                 SQLITE_OK);
    sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* Every row of match: bm25() against articled_bm25(matches); returns the
 * largest difference, and the rows compared in *rows. */
static double max_diff(const char *match, long long matches, int *rows)
{
    sqlite3_stmt *s = NULL;
    double worst = 0.0;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT bm25(t, 4.0, 1.0, 0.0),"
                                    " articled_bm25(t, ?2, 4.0, 1.0, 0.0)"
                                    " FROM t WHERE t MATCH ?1",
                                    -1, &s, NULL),
                 SQLITE_OK);
    sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, matches);
    *rows = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        double d = fabs(sqlite3_column_double(s, 0) - sqlite3_column_double(s, 1));
        if (d > worst)
            worst = d;
        (*rows)++;
    }
    cr_expect_eq(sqlite3_errcode(db), SQLITE_DONE, "%s: %s", match, sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return worst;
}

Test(rank, same_values_as_bm25)
{
    static const char *queries[] = {"\"alpha\"",
                                    "\"alpha beta\"",
                                    "\"alpha\" AND \"gamma\"",
                                    "\"alpha\" OR \"delta\"",
                                    "\"alpha\" NOT \"beta\"",
                                    "{title body} : (\"al\" *)",
                                    "(\"gamma\") AND src : \"zzsaq\"",
                                    "(\"beta gamma\" OR \"epsilon\") AND src : \"zzsbq\""};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        int rows = 0;
        long long n = count_of(queries[i]);
        cr_assert_gt(n, 0, "%s matches nothing", queries[i]);
        cr_expect_lt(max_diff(queries[i], -1, &rows), 1e-9, "%s, counted", queries[i]);
        cr_expect_eq(rows, n);
        /* the count given (used only when the query is one phrase) */
        cr_expect_lt(max_diff(queries[i], n, &rows), 1e-9, "%s, given %lld", queries[i], n);
    }
}

/* The count given is the one used: a wrong one changes every score of a
 * one-phrase query, and nothing of a two-phrase one. */
Test(rank, uses_the_count_it_is_given)
{
    int rows = 0;
    cr_expect_gt(max_diff("\"alpha beta\"", 1, &rows), 1e-3);
    cr_expect_gt(rows, 0);
    cr_expect_lt(max_diff("\"alpha\" AND \"gamma\"", 1, &rows), 1e-9);
}

/* As the table's rank for one query: the order is bm25()'s. */
Test(rank, as_the_rank_of_a_query)
{
    sqlite3_stmt *a = NULL, *b = NULL;
    int rows = 0;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT rowid FROM t WHERE t MATCH '\"alpha\" OR \"beta\"'"
                                    " ORDER BY bm25(t, 4.0, 1.0, 0.0), rowid",
                                    -1, &a, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT rowid FROM t WHERE t MATCH '\"alpha\" OR \"beta\"'"
                                    " AND rank MATCH 'articled_bm25(-1, 4.0, 1.0, 0.0)'"
                                    " ORDER BY rank, rowid",
                                    -1, &b, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    while (sqlite3_step(a) == SQLITE_ROW) {
        cr_assert_eq(sqlite3_step(b), SQLITE_ROW);
        cr_expect_eq(sqlite3_column_int64(a, 0), sqlite3_column_int64(b, 0), "row %d", rows);
        rows++;
    }
    cr_expect_eq(sqlite3_step(b), SQLITE_DONE);
    cr_expect_gt(rows, 100);
    sqlite3_finalize(a);
    sqlite3_finalize(b);
}
