/* Unit tests for store/snippet: html_snippet() on a temp-file database, through an
 * external-content FTS5 table (as the service uses it) and a plain one. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/snippet.h"

#define FTS_TOKENIZE "tokenize='porter unicode61 remove_diacritics 2'"
#define ELL          "\xe2\x80\xa6"

static sqlite3 *db;
static char db_path[64];

static void setup(void)
{
    snprintf(db_path, sizeof db_path, "/tmp/articled-snippet-XXXXXX");
    int fd = mkstemp(db_path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    cr_assert_eq(snippet_register(db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "CREATE TABLE articles(rowid INTEGER PRIMARY KEY, title TEXT, body "
                              "TEXT);"
                              "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, "
                              "content='articles', content_rowid='rowid', " FTS_TOKENIZE ");"
                              "CREATE VIRTUAL TABLE plain USING fts5(title, body, " FTS_TOKENIZE
                              ");",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
}

static void teardown(void)
{
    sqlite3_close(db);
    unlink(db_path);
}

TestSuite(snippet, .init = setup, .fini = teardown);

/* Stores one article in the content table, its index, and the plain table. */
static void add(int rowid, const char *title, const char *body)
{
    static const char *sql[] = {
        "INSERT INTO articles(rowid, title, body) VALUES(?1, ?2, ?3)",
        "INSERT INTO articles_fts(rowid, title, body) VALUES(?1, ?2, ?3)",
        "INSERT INTO plain(rowid, title, body) VALUES(?1, ?2, ?3)",
    };
    for (int i = 0; i < 3; i++) {
        sqlite3_stmt *st = NULL;
        cr_assert_eq(sqlite3_prepare_v2(db, sql[i], -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_int(st, 1, rowid);
        sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
}

/* Returns html_snippet(table, col, ntok) for rowid under MATCH q (a new string; NULL when the
 * row does not match); *rc gets the final step's code when rc is not NULL. */
static char *snip_rc(const char *table, const char *q, int rowid, int col, int ntok, int *rc)
{
    char sql[256];
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    snprintf(sql, sizeof sql,
             "SELECT html_snippet(%s, ?2, ?3) FROM %s WHERE %s MATCH ?1 AND rowid = ?4", table,
             table, table);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, col);
    sqlite3_bind_int(st, 3, ntok);
    sqlite3_bind_int(st, 4, rowid);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        cr_assert_not_null(t);
        out = strdup(t);
        r = sqlite3_step(st);
    }
    if (rc != NULL)
        *rc = r;
    else
        cr_assert_eq(r, SQLITE_DONE, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return out;
}

/* Checks the snippet on both tables against expect. */
static void expect_snip(const char *q, int rowid, int col, int ntok, const char *expect)
{
    static const char *tables[] = {"articles_fts", "plain"};
    for (int i = 0; i < 2; i++) {
        char *got = snip_rc(tables[i], q, rowid, col, ntok, NULL);
        cr_assert_not_null(got, "%s: [%s] row %d did not match", tables[i], q, rowid);
        cr_expect_str_eq(got, expect, "%s: [%s] col %d ntok %d", tables[i], q, col, ntok);
        free(got);
    }
}

/* "w0 w1 ... w<n-1>" with the words listed in at[] replaced by with[]. */
static char *words(int n, const int *at, const char *const *with, int nat)
{
    size_t cap = (size_t)n * 16 + 1, len = 0;
    char *s = malloc(cap);
    cr_assert_not_null(s);
    for (int i = 0; i < n; i++) {
        const char *w = NULL;
        char buf[16];
        for (int k = 0; k < nat; k++)
            if (at[k] == i)
                w = with[k];
        if (w == NULL) {
            snprintf(buf, sizeof buf, "w%d", i);
            w = buf;
        }
        len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? " " : "", w);
    }
    return s;
}

Test(snippet, stemmed_match_is_marked)
{
    add(1, "Late again", "She was running late.");
    expect_snip("run", 1, 1, 10, "She was <mark>running</mark> late.");
    expect_snip("\"run\"", 1, 1, 10, "She was <mark>running</mark> late.");
}

Test(snippet, phrase_and_words)
{
    add(1, "Foxes", "The quick brown fox jumps.");
    expect_snip("\"quick brown\"", 1, 1, 10,
                "The <mark>quick</mark> <mark>brown</mark> fox jumps.");
    expect_snip("quick fox", 1, 1, 10, "The <mark>quick</mark> brown <mark>fox</mark> jumps.");
    expect_snip("fox OR zebra", 1, 1, 10, "The quick brown <mark>fox</mark> jumps.");
    expect_snip("fox NOT zebra", 1, 1, 10, "The quick brown <mark>fox</mark> jumps.");
}

Test(snippet, prefix_match)
{
    add(1, "Agents", "Agents cooperate; an agency agrees.");
    expect_snip("\"agen\" *", 1, 1, 10,
                "<mark>Agents</mark> cooperate; an <mark>agency</mark> agrees.");
}

Test(snippet, html_is_escaped)
{
    add(1, "x", "<script>alert(\"x\")</script> & 'run' tom & jerry");
    expect_snip("alert", 1, 1, 20,
                "&lt;script&gt;<mark>alert</mark>(&quot;x&quot;)&lt;/script&gt; &amp; "
                "&#39;run&#39; tom &amp; jerry");
    add(2, "x", "a <b onclick=\"run()\">bold</b> move");
    expect_snip("run", 2, 1, 20,
                "a &lt;b onclick=&quot;<mark>run</mark>()&quot;&gt;bold&lt;/b&gt; move");
}

Test(snippet, multibyte_text_intact)
{
    add(1, "x", "Caf\xc3\xa9 au lait \xf0\x9f\x98\x80 in \xe6\x9d\xb1\xe4\xba\xac today");
    expect_snip("cafe", 1, 1, 10,
                "<mark>Caf\xc3\xa9</mark> au lait \xf0\x9f\x98\x80 in \xe6\x9d\xb1\xe4\xba\xac "
                "today");
    expect_snip("\xe6\x9d\xb1\xe4\xba\xac", 1, 1, 10,
                "Caf\xc3\xa9 au lait \xf0\x9f\x98\x80 in <mark>\xe6\x9d\xb1\xe4\xba\xac</mark> "
                "today");
    /* cut between multi-byte tokens: whole code points on both sides of the ellipsis */
    add(2, "x",
        "\xc3\xa9t\xc3\xa9 \xe5\xa4\xa7\xe9\x98\xaa \xf0\x9f\x98\x80 \xe6\x9d\xb1\xe4\xba\xac "
        "\xe5\x90\x8d\xe5\x8f\xa4\xe5\xb1\x8b \xc3\xa0 \xc5\x93uvre");
    expect_snip("\xe6\x9d\xb1\xe4\xba\xac", 2, 1, 3,
                ELL
                "\xe5\xa4\xa7\xe9\x98\xaa \xf0\x9f\x98\x80 <mark>\xe6\x9d\xb1\xe4\xba\xac</mark> "
                "\xe5\x90\x8d\xe5\x8f\xa4\xe5\xb1\x8b" ELL);
}

Test(snippet, whitespace_collapsed_and_trimmed)
{
    add(1, "x", "  \n Line one.\n\n   Line\ttwo\r\n ");
    expect_snip("two", 1, 1, 10, "Line one. Line <mark>two</mark>");
}

Test(snippet, window_centred_with_ellipses)
{
    int at[] = {20};
    const char *with[] = {"target"};
    char *body = words(40, at, with, 1);
    add(1, "x", body);
    expect_snip("target", 1, 1, 5, ELL "w18 w19 <mark>target</mark> w21 w22" ELL);
    expect_snip("target", 1, 1, 4, ELL "w19 <mark>target</mark> w21 w22" ELL);
    expect_snip("target", 1, 1, 1, ELL "<mark>target</mark>" ELL);
    free(body);
}

Test(snippet, window_at_the_edges)
{
    int at[] = {1, 39};
    const char *with[] = {"first", "last."};
    char *body = words(40, at, with, 2);
    add(1, "x", body);
    expect_snip("first", 1, 1, 5, "w0 <mark>first</mark> w2 w3 w4" ELL);
    expect_snip("last", 1, 1, 5, ELL "w35 w36 w37 w38 <mark>last</mark>.");
    free(body);
}

Test(snippet, best_window_has_most_distinct_phrases)
{
    int at[] = {0, 30, 31, 32, 60, 70};
    const char *with[] = {"apple", "apple", "banana", "cherry", "banana", "cherry"};
    char *body = words(80, at, with, 6);
    add(1, "x", body);
    expect_snip("apple banana cherry", 1, 1, 6,
                ELL "w29 <mark>apple</mark> <mark>banana</mark> <mark>cherry</mark> w33 w34" ELL);
    /* OR: the window holding both phrases wins over those holding one */
    expect_snip("apple OR banana", 1, 1, 5,
                ELL "w29 <mark>apple</mark> <mark>banana</mark> cherry w33" ELL);
    /* equal windows: the earliest */
    expect_snip("cherry", 1, 1, 3, ELL "banana <mark>cherry</mark> w33" ELL);
    free(body);
}

Test(snippet, more_hits_break_ties_then_earliest)
{
    int at[] = {5, 40, 42, 60, 62};
    const char *with[] = {"apple", "apple", "apple", "apple", "apple"};
    char *body = words(80, at, with, 5);
    add(1, "x", body);
    expect_snip("apple", 1, 1, 5, ELL "w39 <mark>apple</mark> w41 <mark>apple</mark> w43" ELL);
    free(body);
}

Test(snippet, no_match_in_column_gives_the_start)
{
    int at[] = {0};
    const char *with[] = {"Opening"};
    char *body = words(30, at, with, 1);
    add(1, "Budget talks", body);
    expect_snip("budget", 1, 1, 5, "Opening w1 w2 w3 w4" ELL);
    expect_snip("budget", 1, 0, 5, "<mark>Budget</mark> talks");
    free(body);
}

Test(snippet, best_column_prefers_body_on_ties)
{
    add(1, "Running shoes", "The runner kept running.");
    expect_snip("run", 1, -1, 10, "The runner kept <mark>running</mark>.");
    expect_snip("shoes", 1, -1, 10, "Running <mark>shoes</mark>");
    expect_snip("run OR shoe", 1, -1, 10, "<mark>Running</mark> <mark>shoes</mark>");
}

Test(snippet, long_document)
{
    int at[] = {19990};
    const char *with[] = {"needle"};
    char *body = words(20000, at, with, 1);
    add(1, "x", body);
    expect_snip("needle", 1, 1, 7,
                ELL "w19987 w19988 w19989 <mark>needle</mark> w19991 w19992 w19993" ELL);
    expect_snip("w5", 1, 1, 3, ELL "w4 <mark>w5</mark> w6" ELL);
    free(body);
}

Test(snippet, long_runs_between_tokens_are_cut)
{
    char body[256];
    memset(body, '!', sizeof body);
    memcpy(body, "alpha", 5);
    memcpy(body + 105, "beta", 5); /* 100 '!' between, NUL included */
    add(1, "x", body);
    char expect[128] = "alpha";
    memset(expect + 5, '!', 64);
    strcpy(expect + 69, ELL "<mark>beta</mark>");
    expect_snip("beta", 1, 1, 10, expect);
}

Test(snippet, invalid_utf8_becomes_replacement)
{
    add(1, "x", "ok \xff run");
    expect_snip("run", 1, 1, 10, "ok \xef\xbf\xbd <mark>run</mark>");
}

Test(snippet, null_column_and_no_token_text)
{
    add(1, "Budget", NULL);
    expect_snip("budget", 1, 1, 10, "");
    add(2, "Budget", "--- *** ---");
    expect_snip("budget", 2, 1, 10, "--- *** ---");
}

Test(snippet, bad_arguments_are_sql_errors)
{
    int rc;
    add(1, "a", "b");
    char *s = snip_rc("articles_fts", "b", 1, 2, 10, &rc);
    cr_expect_eq(rc, SQLITE_ERROR);
    free(s);
    cr_expect(strstr(sqlite3_errmsg(db), "column") != NULL, "%s", sqlite3_errmsg(db));
    s = snip_rc("articles_fts", "b", 1, 1, 0, &rc);
    cr_expect_eq(rc, SQLITE_ERROR);
    free(s);
    s = snip_rc("articles_fts", "b", 1, 1, SNIPPET_MAX_TOKENS + 1, &rc);
    cr_expect_eq(rc, SQLITE_ERROR);
    free(s);
    s = snip_rc("articles_fts", "b", 1, 1, SNIPPET_MAX_TOKENS, &rc);
    cr_expect_eq(rc, SQLITE_DONE);
    cr_expect_str_eq(s, "<mark>b</mark>");
    free(s);
}

Test(snippet, several_rows_in_one_query)
{
    sqlite3_stmt *st = NULL;
    int n = 0;
    add(1, "Fox one", "A fox & a hound.");
    add(2, "Fox two", "No match here.");
    add(3, "Other", "Fox <again>.");
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT rowid, html_snippet(articles_fts, 1, 8) FROM "
                                    "articles_fts WHERE articles_fts MATCH 'fox' ORDER BY rowid",
                                    -1, &st, NULL),
                 SQLITE_OK);
    static const char *expect[] = {"A <mark>fox</mark> &amp; a hound.", "No match here.",
                                   "<mark>Fox</mark> &lt;again&gt;."};
    while (sqlite3_step(st) == SQLITE_ROW) {
        cr_assert_lt(n, 3);
        cr_expect_str_eq((const char *)sqlite3_column_text(st, 1), expect[n]);
        n++;
    }
    cr_expect_eq(n, 3);
    sqlite3_finalize(st);
}

Test(snippet, content_table_drift_is_tolerated)
{
    int at[] = {35};
    const char *with[] = {"target"};
    char *body = words(40, at, with, 1);
    add(1, "x", body);
    free(body);
    /* the content changes behind the index's back: offsets now point past the text */
    cr_assert_eq(sqlite3_exec(db, "UPDATE articles SET body = 'short target text' WHERE rowid = 1",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    char *s = snip_rc("articles_fts", "target", 1, 1, 5, NULL);
    cr_assert_not_null(s);
    cr_expect_str_eq(s, "short target text");
    free(s);
    cr_assert_eq(sqlite3_exec(db,
                              "UPDATE articles SET body = 'a b c d e f g h i j k l m n o p q r s t "
                              "u v w x y z a b c d e f g h i target k l m n o p q r s t u v' "
                              "WHERE rowid = 1",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    s = snip_rc("articles_fts", "target", 1, 1, 5, NULL);
    cr_assert_not_null(s);
    cr_expect_str_eq(s, ELL "h i <mark>target</mark> k l" ELL);
    free(s);
}
