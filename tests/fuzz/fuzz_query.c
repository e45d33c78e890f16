/* fuzz_query.c: libFuzzer harness for the search query parser (analysis/query.h). Every input
 * is either refused with a client error that points inside the query, or becomes an expression
 * that a real FTS5 table (the store's tokenizer) accepts: no user input may reach FTS5 as a
 * syntax error. */
#include <sqlite3.h>
#include <string.h>

#include "analysis/query.h"
#include "analysis/utf8.h"
#include "fuzz.h"

static sqlite3 *db;
static sqlite3_stmt *match;

/* The store's index (store/schema.c), without the external content, with a few rows so that
 * expressions are evaluated rather than only parsed. */
static void fts_open(void)
{
    static const char *const sql =
        "CREATE VIRTUAL TABLE f USING fts5(title, body,"
        "  tokenize='porter unicode61 remove_diacritics 2');"
        "INSERT INTO f(title, body) VALUES"
        " ('Central bank raises rates', 'The central bank raised interest rates on Tuesday.'),"
        " ('Café crème', 'Ünïcödé text with diacritics, 東京 and Ελληνικά, 50% or 50 per cent.'),"
        " ('OR AND NOT NEAR', 'title:x NEAR(a b) \"quoted\" -minus * ^caret col:on');";
    FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "sqlite3_open");
    FUZZ_CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
    FUZZ_CHECK(sqlite3_prepare_v2(db,
                                  "SELECT rowid, bm25(f, 4.0, 1.0), snippet(f, 1, '<', '>', '', 8)"
                                  " FROM f WHERE f MATCH ?1 ORDER BY rank",
                                  -1, &match, NULL) == SQLITE_OK,
               "%s", sqlite3_errmsg(db));
}

/* Runs expr through MATCH; any SQLite error is a failure of query_to_fts5's promise. */
static void fts_check(const char *expr, const char *q, size_t len)
{
    int rc;

    if (db == NULL)
        fts_open();
    sqlite3_bind_text(match, 1, expr, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(match)) == SQLITE_ROW)
        ;
    FUZZ_CHECK(rc == SQLITE_DONE, "FTS5 refuses the expression: %s\n  query: %.*s\n  expr: %s",
               sqlite3_errmsg(db), (int)len, q, expr);
    sqlite3_reset(match);
    sqlite3_clear_bindings(match);
}

/* Outside its quoted strings the expression holds only the operators query_to_fts5 writes
 * (AND, OR, NOT, parentheses, the prefix star) and single spaces: no user text is unquoted. */
static void check_quoting(const char *expr)
{
    const char *p = expr;
    int depth = 0;

    while (*p != '\0') {
        if (*p == '"') {
            for (p++;; p++) {
                FUZZ_CHECK(*p != '\0', "unterminated string in %s", expr);
                if (*p == '"' && p[1] == '"')
                    p++;
                else if (*p == '"')
                    break;
            }
            p++;
        } else if (*p == '(' || *p == ')') {
            depth += *p == '(' ? 1 : -1;
            FUZZ_CHECK(depth >= 0, "unbalanced parentheses in %s", expr);
            p++;
        } else if (*p == ' ' || *p == '*') {
            p++;
        } else if (strncmp(p, "AND ", 4) == 0 || strncmp(p, "NOT ", 4) == 0) {
            p += 4;
        } else if (strncmp(p, "OR ", 3) == 0) {
            p += 3;
        } else {
            FUZZ_CHECK(0, "unquoted text at offset %zu of %s", (size_t)(p - expr), expr);
        }
    }
    FUZZ_CHECK(depth == 0, "unbalanced parentheses in %s", expr);
}

/* An error message that names a position ("character N") points at most one past the end. */
static void check_position(const struct error *err, const char *q, size_t len)
{
    const char *p = err->msg;
    size_t nchars = utf8_check(q, len, NULL) == 0 ? utf8_count(q, len) : len;

    while ((p = strstr(p, "character ")) != NULL) {
        unsigned long n = strtoul(p + 10, NULL, 10);
        FUZZ_CHECK(n >= 1 && n <= nchars + 1, "position %lu outside 1..%zu: %s", n, nchars + 1,
                   err->msg);
        p += 10;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *q = (const char *)data;
    struct error err = {0};
    char *out = (char *)1;
    int rc = query_to_fts5(q, size, &out, &err);
    int valid = utf8_check(q, size, NULL) == 0;

    if (rc != 0) {
        FUZZ_CHECK(rc == -1, "rc %d", rc);
        FUZZ_CHECK(out == NULL, "*out set on failure");
        FUZZ_CHECK(err.msg[0] != '\0', "refusal without a message");
        if (size > QUERY_MAX_BYTES)
            FUZZ_CHECK(err.code == ERR_INVALID, "too long but code %d", (int)err.code);
        else if (!valid)
            FUZZ_CHECK(err.code == ERR_UNPROCESSABLE, "bad UTF-8 but code %d: %s", (int)err.code,
                       err.msg);
        else
            FUZZ_CHECK(err.code == ERR_INVALID, "code %d: %s", (int)err.code, err.msg);
        check_position(&err, q, size);
        return 0;
    }
    FUZZ_CHECK(valid && size <= QUERY_MAX_BYTES && size > 0, "accepted a query it must refuse");
    FUZZ_CHECK(out != NULL && out[0] != '\0', "empty expression");
    FUZZ_CHECK(utf8_check(out, strlen(out), NULL) == 0, "expression is not valid UTF-8: %s", out);
    check_quoting(out);
    fts_check(out, q, size);
    free(out);
    return 0;
}
