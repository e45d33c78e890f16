/* Unit tests for the relaxed form of a query (analysis/query: query_to_fts5_relaxed): the
 * expression for a table of queries, the "most words" threshold, stop words, and a real
 * FTS5 MATCH on an in-memory table (what it finds, exclusions kept, bounded size). */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/query.h"

struct relax_case {
    const char *q;
    int any;
    const char *expect;
};

static const struct relax_case cases[] = {
    /* two words: either one */
    {"Tony Blare", 0, "(\"Tony\" OR \"Blare\")"},
    /* one word: nothing to relax (the handler compares with the strict form) */
    {"tony", 0, "\"tony\""},
    {"tony -blair", 0, "\"tony\" NOT \"blair\""},
    {"tony the", 0, "\"tony\""},
    /* three words: at least two of them */
    {"junk food ads", 0,
     "((\"junk\" AND \"food\") OR (\"junk\" AND \"ads\") OR (\"food\" AND \"ads\"))"},
    /* any: at least one, whatever the count */
    {"junk food ads", 1, "(\"junk\" OR \"food\" OR \"ads\")"},
    /* stop words do not count and are left out */
    {"the junk of food", 0, "(\"junk\" OR \"food\")"},
    {"The Who", 0, "\"Who\""},            /* "who" is no stop word (WHO) */
    {"the of", 0, "(\"the\" OR \"of\")"}, /* nothing else: kept */
    /* a quoted stop word or a prefix is meant: it counts */
    {"\"the\" band", 0, "(\"the\" OR \"band\")"},
    /* phrases and OR groups are one group each */
    {"\"tony blair\" iraq war", 0,
     "((\"tony blair\" AND \"iraq\") OR (\"tony blair\" AND \"war\") OR (\"iraq\" AND "
     "\"war\"))"},
    {"blair OR brown election", 0, "((\"blair\" OR \"brown\") OR \"election\")"},
    /* exclusions stay exclusions */
    {"tony blare -iraq", 0, "(\"tony\" OR \"blare\") NOT \"iraq\""},
    {"tony blare -iraq -\"war crimes\"", 0,
     "(\"tony\" OR \"blare\") NOT (\"iraq\" OR \"war crimes\")"},
    /* quotes inside words stay doubled */
    {"a\"b c\"d", 0, "(\"a\"\"b\" OR \"c\"\"d\")"},
    {"run* fast", 0, "(\"run\" * OR \"fast\")"},
};

Test(query_relax, table)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct error err = {0};
        char *out = NULL;
        int rc =
            query_to_fts5_relaxed(cases[i].q, strlen(cases[i].q), NULL, cases[i].any, &out, &err);
        cr_assert_eq(rc, 0, "%s: %s", cases[i].q, err.msg);
        cr_expect_str_eq(out, cases[i].expect, "%s", cases[i].q);
        free(out);
    }
}

Test(query_relax, errors_are_the_strict_ones)
{
    const char *bad[] = {"", "   ", "-a", "OR a", "a OR", "\"open", "c*"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct error err = {0};
        char *out = (char *)"x";
        cr_expect_eq(query_to_fts5_relaxed(bad[i], strlen(bad[i]), NULL, 0, &out, &err), -1, "%s",
                     bad[i]);
        cr_expect_null(out);
        cr_expect_eq(err.code, ERR_INVALID, "%s", bad[i]);
    }
    {
        struct error err = {0};
        char *out = NULL;
        cr_expect_eq(query_to_fts5_relaxed("a\xff", 2, NULL, 0, &out, &err), -1);
        cr_expect_eq(err.code, ERR_UNPROCESSABLE);
    }
}

Test(query_relax, threshold)
{
    cr_expect_eq(query_relax_min(1, 0), 1);
    cr_expect_eq(query_relax_min(2, 0), 1);
    cr_expect_eq(query_relax_min(3, 0), 2);
    cr_expect_eq(query_relax_min(4, 0), 2);
    cr_expect_eq(query_relax_min(5, 0), 3);
    cr_expect_eq(query_relax_min(6, 0), 3); /* 20 choices of 3: 60 occurrences */
    cr_expect_eq(query_relax_min(6, 1), 1);
    for (int n = 1; n <= QUERY_MAX_TERMS; n++) {
        int k = query_relax_min(n, 0);
        long long c = 1;
        for (int i = 1; i <= k; i++)
            c = c * (n - k + i) / i;
        cr_expect(k >= 1 && k <= n, "n=%d k=%d", n, k);
        cr_expect(k == 1 || c * k <= QUERY_RELAX_LEAVES_MAX, "n=%d k=%d", n, k);
    }
}

Test(query_relax, stop_words)
{
    cr_expect(query_is_stop_word("the", 3));
    cr_expect(query_is_stop_word("THE", 3));
    cr_expect(query_is_stop_word("of", 2));
    cr_expect(!query_is_stop_word("us", 2)); /* US */
    cr_expect(!query_is_stop_word("blair", 5));
    cr_expect(!query_is_stop_word("th\xc3\xa9", 4));
    cr_expect(!query_is_stop_word("", 0));
}

/* ---- FTS5 ---- */

static sqlite3 *relax_db(void)
{
    static const char *rows[][2] = {
        {"Tony Blair visits Iraq", "The prime minister Tony Blair spoke."},
        {"Junk food adverts banned", "Ads for junk food will be banned before 9pm."},
        {"Food prices rise", "The cost of food rose again."},
        {"Tony Blair on the war", "Blair defended the war in Iraq."},
        {"Cricket news", "The the the of of of and and."},
    };
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='porter "
                              "unicode61 remove_diacritics 2')",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    cr_assert_eq(
        sqlite3_prepare_v2(db, "INSERT INTO t(rowid, title, body) VALUES(?,?,?)", -1, &st, NULL),
        SQLITE_OK);
    for (int i = 0; i < 5; i++) {
        sqlite3_bind_int(st, 1, i + 1);
        sqlite3_bind_text(st, 2, rows[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, rows[i][1], -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return db;
}

/* The rows (bitmask of rowids) the relaxed q matches, best rank first in *first. */
static unsigned relax_rows(sqlite3 *db, const char *q, int any, int *first)
{
    struct error err = {0};
    char *expr = NULL;
    sqlite3_stmt *st = NULL;
    unsigned rows = 0;
    int rc;

    cr_assert_eq(query_to_fts5_relaxed(q, strlen(q), NULL, any, &expr, &err), 0, "%s", q);
    cr_assert_eq(
        sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rank", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_TRANSIENT);
    *first = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rows == 0)
            *first = sqlite3_column_int(st, 0);
        rows |= 1u << sqlite3_column_int(st, 0);
    }
    cr_assert_eq(rc, SQLITE_DONE, "%s: %s", expr, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    free(expr);
    return rows;
}

Test(query_relax, fts5_matches)
{
    sqlite3 *db = relax_db();
    int first;

    /* the misspelt name finds Tony */
    cr_expect_eq(relax_rows(db, "Tony Blare", 0, &first), (1u << 1) | (1u << 4));
    /* two of three: the junk food ad article, not every food article */
    cr_expect_eq(relax_rows(db, "junk food ads", 0, &first), 1u << 2);
    cr_expect_eq(relax_rows(db, "junk food ads", 1, &first), (1u << 2) | (1u << 3));
    cr_expect_eq(first, 2, "the article with every word ranks first");
    /* stop words do not drag in the article that is only stop words */
    cr_expect_eq(relax_rows(db, "the war of the worlds", 0, &first), 1u << 4);
    /* an exclusion stays one */
    cr_expect_eq(relax_rows(db, "Tony Blare -Iraq", 0, &first), 0u);
    cr_expect_eq(relax_rows(db, "Tony Blare -visits", 0, &first), 1u << 4);
    sqlite3_close(db);
}

Test(query_relax, long_queries_stay_valid_and_bounded)
{
    sqlite3 *db = relax_db();
    char q[QUERY_MAX_BYTES];

    for (int n = 1; n <= QUERY_MAX_TERMS; n++) {
        struct error err = {0};
        char *expr = NULL;
        sqlite3_stmt *st = NULL;
        size_t len = 0;
        int leaves = 0, rc;
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(q + len, sizeof q - len, "%sw%d", i ? " " : "", i);
        cr_assert_eq(query_to_fts5_relaxed(q, len, NULL, 0, &expr, &err), 0, "%s", q);
        for (const char *p = expr; (p = strchr(p, '"')) != NULL; p += 1, leaves++)
            p = strchr(p + 1, '"');
        cr_expect(leaves <= QUERY_RELAX_LEAVES_MAX || query_relax_min(n, 0) == 1, "n=%d: %d", n,
                  leaves);
        cr_assert_eq(
            sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &st, NULL),
            SQLITE_OK);
        sqlite3_bind_text(st, 1, expr, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        cr_expect_eq(rc, SQLITE_ROW, "n=%d: %s", n, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        free(expr);
    }
    sqlite3_close(db);
}
