/* Unit tests for analysis/query: a table of queries and their FTS5 expression or error, then
 * every table input plus fuzzed strings run through a real FTS5 MATCH on a temp-file
 * database: whatever the parser accepts, SQLite must accept too. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/query.h"
#include "analysis/utf8.h"

struct query_case {
    const char *q;
    size_t len;         /* 0: strlen(q) */
    const char *expect; /* FTS5 expression, or NULL when an error is expected */
    enum error_code code;
    const char *msg; /* substring of the error message */
};

/* clang-format off */
#define OK(q, e)         {q, 0, e, ERR_NONE, NULL}
#define BAD(q, m)        {q, 0, NULL, ERR_INVALID, m}
#define BADN(q, n, c, m) {q, n, NULL, c, m}
/* clang-format on */

static const struct query_case cases[] = {
    /* the language */
    OK("hello", "\"hello\""),
    OK("hello world", "\"hello\" AND \"world\""),
    OK("  hello   world  ", "\"hello\" AND \"world\""),
    OK("\"exact phrase\"", "\"exact phrase\""),
    OK("run*", "\"run\" *"),
    OK("\"new yor\"*", "\"new yor\" *"),
    OK("climate -politics", "\"climate\" NOT \"politics\""),
    OK("-politics climate", "\"climate\" NOT \"politics\""),
    OK("climate -\"carbon tax\"", "\"climate\" NOT \"carbon tax\""),
    OK("a b -x -y", "(\"a\" AND \"b\") NOT (\"x\" OR \"y\")"),
    OK("a OR b", "(\"a\" OR \"b\")"),
    OK("a b OR c", "\"a\" AND (\"b\" OR \"c\")"),
    OK("a OR b c", "(\"a\" OR \"b\") AND \"c\""),
    OK("a OR b OR c -d", "(\"a\" OR \"b\" OR \"c\") NOT \"d\""),
    OK("\"a b\" OR cd*", "(\"a b\" OR \"cd\" *)"),
    OK("cats or dogs", "\"cats\" AND \"or\" AND \"dogs\""),
    OK("or", "\"or\""),
    OK("\"OR\"", "\"OR\""),
    OK("a \"OR\" b", "\"a\" AND \"OR\" AND \"b\""),
    OK("OR*", "\"OR\" *"),
    OK("-OR a", "\"a\" NOT \"OR\""),
    OK("1984", "\"1984\""),
    OK("ab**", "\"ab*\" *"),
    OK("--a b", "\"b\" NOT \"-a\""),
    OK("a-", "\"a-\""),
    OK("\"a\"b", "\"a\" AND \"b\""),
    OK("\"ab\"*c", "\"ab\" * AND \"c\""),
    /* FTS5 syntax in user text stays inside strings */
    OK("multi-agent", "\"multi-agent\""),
    OK("C++", "\"C++\""),
    OK("NEAR(", "\"NEAR(\""),
    OK("NEAR(a b)", "\"NEAR(a\" AND \"b)\""),
    OK("NEAR(a b, 2)", "\"NEAR(a\" AND \"b,\" AND \"2)\""),
    OK("a AND b", "\"a\" AND \"AND\" AND \"b\""),
    OK("a NOT b", "\"a\" AND \"NOT\" AND \"b\""),
    OK("title:x", "\"title:x\""),
    OK("body: x", "\"body:\" AND \"x\""),
    OK("{title} x", "\"{title}\" AND \"x\""),
    OK("{title body}:x", "\"{title\" AND \"body}:x\""),
    OK("^x", "\"^x\""),
    OK("a + b", "\"a\" AND \"b\""),
    OK("+a", "\"+a\""),
    OK("(a OR b)", "(\"(a\" OR \"b)\")"),
    OK("(a", "\"(a\""),
    OK("don\"t", "\"don\"\"t\""),
    OK("a\"", "\"a\"\"\""),
    OK("\"say \"\"hi\"\"\"", "\"say \" AND \"hi\""),
    OK("back\\slash", "\"back\\slash\""),
    OK("\\\"a", "\"\\\"\"a\""),
    OK("'; DROP TABLE articles; --", "\"DROP\" AND \"TABLE\" AND \"articles;\""),
    OK("1' OR '1'='1", "(\"1'\" OR \"'1'='1\")"),
    OK("x:y:z", "\"x:y:z\""),
    /* separators: controls, NBSP, ideographic space */
    OK("a\tb\nc\rd", "\"a\" AND \"b\" AND \"c\" AND \"d\""),
    OK("a\x01"
       "b\x7f"
       "c",
       "\"a\" AND \"b\" AND \"c\""),
    OK("\"a\tb\"", "\"a b\""),
    OK("a\xc2\xa0"
       "b",
       "\"a\" AND \"b\""),
    OK("a\xe3\x80\x80"
       "b",
       "\"a\" AND \"b\""),
    /* unicode */
    OK("caf\xc3\xa9 cr\xc3\xa8me", "\"caf\xc3\xa9\" AND \"cr\xc3\xa8me\""),
    OK("\xc3\xa9t\xc3\xa9*", "\"\xc3\xa9t\xc3\xa9\" *"),
    OK("\xf0\x9f\x98\x80 cat", "\"cat\""),
    OK("cat\xf0\x9f\x98\x80", "\"cat\xf0\x9f\x98\x80\""),
    OK("\xe6\x9d\xb1\xe4\xba\xac \xe3\x82\xbf\xe3\x83\xaf\xe3\x83\xbc",
       "\"\xe6\x9d\xb1\xe4\xba\xac\" AND \"\xe3\x82\xbf\xe3\x83\xaf\xe3\x83\xbc\""),
    OK("-\xe6\x9d\xb1 \xe4\xba\xac", "\"\xe4\xba\xac\" NOT \"\xe6\x9d\xb1\""),
    /* U+19B0 is a letter to libunistring but not a token character to SQLite 3.40's
     * unicode61: the term is kept and FTS5 sees an empty phrase, which must stay valid */
    OK("\xe1\xa6\xb0", "\"\xe1\xa6\xb0\""),
    OK("a -\xe1\xa6\xb0\xe1\xa6\xb0*", "\"a\" NOT \"\xe1\xa6\xb0\xe1\xa6\xb0\" *"),
    OK("\xe1\xa6\xb0\xe1\xa6\xb0* OR a b", "(\"\xe1\xa6\xb0\xe1\xa6\xb0\" * OR \"a\") AND \"b\""),
    /* terms without a letter or digit are dropped */
    OK("a \"...\" b", "\"a\" AND \"b\""),
    OK("rock && roll", "\"rock\" AND \"roll\""),
    OK("a -&&", "\"a\""),
    OK("&& OR a", "\"a\""),
    OK("a \"\" b", "\"a\" AND \"b\""),
    OK("a \"\"* b", "\"a\" AND \"b\""),
    OK("a -\"\"", "\"a\""),
    BAD("&&", "no letter or digit"),
    BAD("\"...\"", "no letter or digit"),
    BAD("\"\"", "no letter or digit"),
    BAD("+", "no letter or digit"),
    BAD("\xf0\x9f\x98\x80", "no letter or digit"),
    BAD("&& OR ||", "no letter or digit"),
    /* errors */
    BAD("", "empty"),
    BAD("   \t\n ", "empty"),
    BAD("\"unclosed", "character 1"),
    BAD("ab \"cd", "character 4"),
    BAD("\xc3\xa9 \"x", "character 3"),
    BAD("\"", "never closed"),
    BAD("-\"x", "character 2"),
    BAD("\" OR 1=1 --", "unbalanced quote"),
    BAD("OR a", "cannot start with OR"),
    BAD("OR", "cannot start with OR"),
    BAD("a OR", "cannot end with OR"),
    BAD("a OR OR b", "character 6 follows another OR"),
    BAD("a OR -b", "cannot join an excluded"),
    BAD("-a OR b", "cannot join an excluded"),
    BAD("*", "'*' at character 1"),
    BAD("s*", "prefix at character 1 is too short"),
    BAD("u.s*", "prefix at character 1 is too short"),
    BAD("news -x*", "prefix at character 6 is too short"),
    BAD("ab* OR cd* OR ef* OR gh* OR ij*",
        "too many prefixes: at most 4 terms ending in '*' (character 29"),
    BAD("a* OR b* OR c* OR d* OR e* OR f* OR g* OR h* OR i* OR j* OR k* OR l* OR m* OR n*",
        "prefix at character 1 is too short"),
    BAD("a *", "'*' at character 3"),
    BAD("\"a b\" *", "'*' at character 7"),
    BAD("-*", "'*' at character 2"),
    BAD("-", "'-' at character 1"),
    BAD("a - b", "'-' at character 3"),
    BAD("a -", "'-' at character 3"),
    BAD("-a", "only excludes"),
    BAD("-a -\"b c\"", "only excludes"),
    BAD("&& -a", "only excludes"),
    BADN("ab\xc3", 3, ERR_UNPROCESSABLE, "UTF-8"),
    BADN("a\0b", 3, ERR_UNPROCESSABLE, "UTF-8"),
};

/* Long inputs and term counts are built at run time. */
static char *repeat(const char *unit, int n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * (size_t)n + 1);
    cr_assert_not_null(s);
    for (int i = 0; i < n; i++)
        memcpy(s + u * (size_t)i, unit, u);
    s[u * (size_t)n] = '\0';
    return s;
}

static void check_case(const char *q, size_t len, const char *expect, enum error_code code,
                       const char *msg, const char *label)
{
    struct error err = {0};
    char *out = (char *)"sentinel";
    int rc = query_to_fts5(q, len, &out, &err);
    if (expect != NULL) {
        cr_expect_eq(rc, 0, "%s: [%s] rejected: %s", label, q, err.msg);
        if (rc == 0) {
            cr_expect_str_eq(out, expect, "%s: [%s]", label, q);
            free(out);
        }
    } else {
        cr_expect_eq(rc, -1, "%s: [%s] accepted as [%s]", label, q, rc == 0 ? out : "");
        if (rc == 0) {
            free(out);
            return;
        }
        cr_expect_null(out, "%s: *out must be NULL on error", label);
        cr_expect_eq(err.code, code, "%s: [%s] code %d", label, q, err.code);
        cr_expect(strstr(err.msg, msg) != NULL, "%s: [%s] message [%s] lacks [%s]", label, q,
                  err.msg, msg);
    }
}

Test(query, table)
{
    char label[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct query_case *c = &cases[i];
        snprintf(label, sizeof label, "case %zu", i);
        check_case(c->q, c->len ? c->len : strlen(c->q), c->expect, c->code, c->msg, label);
    }
}

Test(query, length_cap)
{
    char *s = repeat("a", QUERY_MAX_BYTES);
    char *expect = malloc(QUERY_MAX_BYTES + 3);
    snprintf(expect, QUERY_MAX_BYTES + 3, "\"%s\"", s);
    check_case(s, strlen(s), expect, ERR_NONE, NULL, "1024 bytes");
    free(s);
    free(expect);

    s = repeat("a", QUERY_MAX_BYTES + 1);
    check_case(s, strlen(s), NULL, ERR_INVALID, "too long: 1025 bytes", "1025 bytes");
    free(s);

    /* 64 quotes are 32 empty phrases, all dropped; 1,024 are too many terms */
    s = repeat("\"", 64);
    check_case(s, strlen(s), NULL, ERR_INVALID, "no letter or digit", "64 quotes");
    free(s);
    s = repeat("\"", QUERY_MAX_BYTES);
    check_case(s, strlen(s), NULL, ERR_INVALID, "too many terms", "1024 quotes");
    free(s);

    s = repeat("\xf0\x9f\x98\x80", 300); /* 1,200 bytes of emoji */
    check_case(s, strlen(s), NULL, ERR_INVALID, "too long", "emoji flood");
    free(s);
}

Test(query, term_cap)
{
    char *s = repeat("w ", QUERY_MAX_TERMS);
    struct error err = {0};
    char *out = NULL;
    cr_assert_eq(query_to_fts5(s, strlen(s), &out, &err), 0, "%s", err.msg);
    free(out);
    free(s);

    s = repeat("w ", QUERY_MAX_TERMS + 1);
    check_case(s, strlen(s), NULL, ERR_INVALID, "too many terms: at most 32", "33 terms");
    free(s);

    /* OR operators are not terms; excluded and dropped terms are */
    s = repeat("w OR ", QUERY_MAX_TERMS - 1);
    char *t = malloc(strlen(s) + 2);
    sprintf(t, "%sw", s);
    cr_assert_eq(query_to_fts5(t, strlen(t), &out, &err), 0, "%s", err.msg);
    free(out);
    free(t);
    free(s);

    s = repeat("-w && ", 17);
    check_case(s, strlen(s), NULL, ERR_INVALID, "too many terms", "34 mixed terms");
    free(s);
}

Test(query, null_out_on_error_and_null_err)
{
    char *out = (char *)"x";
    cr_assert_eq(query_to_fts5("-a", 2, &out, NULL), -1);
    cr_assert_null(out);
    cr_assert_eq(query_to_fts5(NULL, 0, &out, NULL), -1);
}

/* ---- the FTS5 round trip ---- */

struct fts_db {
    sqlite3 *db;
    char path[64];
};

static void fts_open(struct fts_db *f)
{
    static const char *rows[][2] = {
        {"Running shoes review", "The quick brown fox jumps over the lazy dog."},
        {"Multi-agent systems", "Agents cooperate in multi agent settings. Caf\xc3\xa9 culture."},
        {"Brown bread", "A recipe with quick yeast and brown flour."},
        {"C++ templates", "Generic programming in C++ and Rust."},
        {"\xe6\x9d\xb1\xe4\xba\xac tower",
         "A visit to \xe6\x9d\xb1\xe4\xba\xac with \xf0\x9f\x98\x80."},
    };
    sqlite3_stmt *st = NULL;
    snprintf(f->path, sizeof f->path, "/tmp/articled-query-XXXXXX");
    int fd = mkstemp(f->path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(sqlite3_open(f->path, &f->db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(f->db,
                              "CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='porter "
                              "unicode61 remove_diacritics 2')",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(f->db));
    cr_assert_eq(
        sqlite3_prepare_v2(f->db, "INSERT INTO t(rowid, title, body) VALUES(?,?,?)", -1, &st, NULL),
        SQLITE_OK);
    for (int i = 0; i < 5; i++) {
        sqlite3_bind_int(st, 1, i + 1);
        sqlite3_bind_text(st, 2, rows[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, rows[i][1], -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
}

static void fts_close(struct fts_db *f)
{
    sqlite3_close(f->db);
    unlink(f->path);
}

/* Runs expr through MATCH; returns the SQLite rc of the last step and a bitmask of rowids. */
static int fts_match(struct fts_db *f, const char *expr, unsigned *rows)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(f->db, "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid", -1,
                                &st, NULL);
    cr_assert_eq(rc, SQLITE_OK);
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_TRANSIENT);
    *rows = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *rows |= 1u << sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc;
}

/* Outside its strings, the expression holds only our operators: no user text escaped. */
static int only_our_syntax(const char *e)
{
    while (*e) {
        if (*e == '"') {
            for (e++;; e++) {
                if (*e == '\0')
                    return 0;
                if (e[0] == '"' && e[1] == '"')
                    e++;
                else if (*e == '"')
                    break;
            }
            e++;
        } else if (*e == '(' || *e == ')' || *e == ' ' || *e == '*') {
            e++;
        } else if (strncmp(e, "AND ", 4) == 0 || strncmp(e, "NOT ", 4) == 0) {
            e += 4;
        } else if (strncmp(e, "OR ", 3) == 0) {
            e += 3;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Parses q and, when accepted, checks SQLite accepts the expression. Returns 1 if accepted. */
static int roundtrip(struct fts_db *f, const char *q, size_t len, const char *label)
{
    struct error err = {0};
    char *out = NULL;
    unsigned rows;
    if (query_to_fts5(q, len, &out, &err) != 0) {
        cr_expect(err.code == ERR_INVALID || err.code == ERR_UNPROCESSABLE, "%s: code %d", label,
                  err.code);
        cr_expect(err.msg[0] != '\0', "%s: empty message", label);
        cr_expect_null(out);
        return 0;
    }
    cr_expect(only_our_syntax(out), "%s: [%s] leaks syntax", label, out);
    int rc = fts_match(f, out, &rows);
    cr_expect_eq(rc, SQLITE_DONE, "%s: [%.*s] -> [%s]: %s", label, (int)len, q, out,
                 sqlite3_errmsg(f->db));
    free(out);
    return 1;
}

Test(query, every_table_input_is_valid_fts5)
{
    struct fts_db f;
    char label[32];
    int accepted = 0;
    fts_open(&f);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(label, sizeof label, "case %zu", i);
        accepted +=
            roundtrip(&f, cases[i].q, cases[i].len ? cases[i].len : strlen(cases[i].q), label);
    }
    cr_expect_gt(accepted, 50);
    fts_close(&f);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* Appends one random piece biased towards what the parser and FTS5 find interesting. */
static size_t fuzz_piece(char *p)
{
    /* clang-format off */
    static const char *palette[] = {
        "\"", "\"", "*", "-", " ", " ", " ", "OR", "OR", "or", "AND", "NOT", "NEAR", "(", ")",
        ":", "^", "+", "{", "}", "\\", "'", ",", ".", "a", "b", "run", "quick", "brown",
        "title:", "body", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xe6\x9d\xb1", "\t", "\n", "\x01",
        "\xc2\xa0", "\xcc\x81", "\"\"", "-\"", "\"*", " OR ", " -", " \"", "\" ",
        "\xe1\xa6\xb0",
    };
    /* clang-format on */
    uint32_t r = rng() % 10;
    if (r < 7) {
        const char *s = palette[rng() % (sizeof palette / sizeof palette[0])];
        size_t n = strlen(s);
        memcpy(p, s, n);
        return n;
    }
    if (r < 9) {
        p[0] = (char)(1 + rng() % 0x7F);
        return 1;
    }
    uint32_t cp;
    do {
        cp = 1 + rng() % 0x10FFFF;
    } while (cp >= 0xD800 && cp <= 0xDFFF);
    return utf8_put(cp, p);
}

Test(query, fuzzed_inputs_are_valid_fts5_or_rejected)
{
    struct fts_db f;
    char buf[1400];
    char label[32];
    int accepted = 0, rejected = 0;
    fts_open(&f);
    for (int i = 0; i < 4000; i++) {
        size_t n = 0;
        size_t pieces = (i % 100 == 0) ? 400 : rng() % 24;
        for (size_t k = 0; k < pieces && n + 8 < sizeof buf; k++)
            n += fuzz_piece(buf + n);
        buf[n] = '\0';
        cr_assert_eq(utf8_check(buf, n, NULL), 0, "fuzz generator made bad UTF-8");
        snprintf(label, sizeof label, "fuzz %d", i);
        if (roundtrip(&f, buf, n, label))
            accepted++;
        else
            rejected++;
    }
    cr_expect_gt(accepted, 1000);
    cr_expect_gt(rejected, 100);
    fts_close(&f);
}

struct known {
    const char *q;
    unsigned rows; /* bit n set: rowid n expected */
};

#define R(n) (1u << (n))

Test(query, known_queries_return_expected_rows)
{
    static const struct known known[] = {
        {"\"quick brown\"", R(1)},          /* phrase */
        {"quick brown", R(1) | R(3)},       /* words, any order */
        {"\"brown quick\"", 0},             /* phrase order matters */
        {"run", R(1)},                      /* stemming: Running */
        {"RUNNING", R(1)},                  /* case */
        {"agen*", R(2)},                    /* prefix */
        {"\"multi ag\"*", R(2)},            /* phrase prefix */
        {"brown -bread", R(1)},             /* exclusion */
        {"brown -\"brown bread\"", R(1)},   /* phrase exclusion */
        {"quick -fox -yeast", 0},           /* several exclusions */
        {"cafe", R(2)},                     /* diacritics folded */
        {"CAF\xc3\x89", R(2)},              /* ... and case */
        {"fox OR yeast", R(1) | R(3)},      /* OR */
        {"programming OR fox quick", R(1)}, /* OR binds tighter than AND */
        {"quick fox OR rust", R(1)},        /* quick AND (fox OR rust) */
        {"multi-agent", R(2)},              /* hyphen: a phrase, not a column filter */
        {"C++", R(4)},                      /* punctuation inside a string */
        {"title:brown", 0},                 /* no column filter: phrase "title brown" */
        {"\xe6\x9d\xb1\xe4\xba\xac", R(5)}, /* CJK */
        {"tower \xf0\x9f\x98\x80", R(5)},   /* emoji dropped */
        {"NOT fox", 0},                     /* NOT is a word: "not" AND fox -> none */
        {"or", 0},                          /* lowercase or is a word */
        {"lazy OR brown -fox", R(3)},
        {"brown -\xe1\xa6\xb0", R(1) | R(3)}, /* empty phrase excluded: nothing removed */
        {"\xe1\xa6\xb0", 0},                  /* empty phrase: matches nothing */
    };
    struct fts_db f;
    fts_open(&f);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        struct error err = {0};
        char *out = NULL;
        unsigned rows = 0;
        int rc = query_to_fts5(known[i].q, strlen(known[i].q), &out, &err);
        cr_expect_eq(rc, 0, "[%s]: %s", known[i].q, err.msg);
        if (rc != 0)
            continue;
        cr_expect_eq(fts_match(&f, out, &rows), SQLITE_DONE, "[%s] -> [%s]: %s", known[i].q, out,
                     sqlite3_errmsg(f.db));
        cr_expect_eq(rows, known[i].rows, "[%s] -> [%s]: rows 0x%x, expected 0x%x", known[i].q, out,
                     rows, known[i].rows);
        free(out);
    }
    fts_close(&f);
}
