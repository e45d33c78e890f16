/* Unit tests of search synonyms (analysis/synonyms.c) and their use by the
 * query parser (query_to_fts5_with): the file format and its bounds, errors
 * naming the line, terms compared in normal form, one-way rules, the union
 * of several rules, and the FTS5 expression a query becomes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/query.h"
#include "analysis/synonyms.h"

TestSuite(synonyms, .timeout = 30);

static struct synonyms *parse(const char *text)
{
    struct synonyms *syn = NULL;
    struct error err = {0};
    cr_assert_eq(synonyms_parse(text, strlen(text), &syn, &err), 0, "%s", err.msg);
    return syn;
}

static void expect_fail(const char *text, const char *says)
{
    struct synonyms *syn = NULL;
    struct error err = {0};
    cr_expect_eq(synonyms_parse(text, strlen(text), &syn, &err), -1, "accepted: %s", text);
    cr_expect_null(syn);
    cr_expect(strstr(err.msg, says) != NULL, "'%s' not in '%s'", says, err.msg);
}

/* The query as FTS5 with syn; the caller frees. */
static char *fts(const struct synonyms *syn, const char *q)
{
    char *out = NULL;
    struct error err = {0};
    cr_assert_eq(query_to_fts5_with(q, strlen(q), syn, &out, &err), 0, "%s: %s", q, err.msg);
    return out;
}

static void expect_fts(const struct synonyms *syn, const char *q, const char *want)
{
    char *got = fts(syn, q);
    cr_expect_str_eq(got, want, "query %s", q);
    free(got);
}

Test(synonyms, equivalences_one_way_rules_and_normal_forms)
{
    struct synonyms *syn = parse("# newsroom synonyms\n"
                                 "\n"
                                 "e-mail, email\n"
                                 "  UN, U.N. => United Nations  \n"
                                 "Kyiv, Kiev\r\n");
    size_t n;
    const char *const *s;

    cr_expect_eq(synonyms_rules(syn), 3);
    s = synonyms_of(syn, "EMAIL", 5, &n);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(s[0], "e-mail");
    /* "E Mail" and "e-mail" have one normal form: "e mail" */
    s = synonyms_of(syn, "E Mail", 6, &n);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(s[0], "email");
    s = synonyms_of(syn, "u.n.", 4, &n);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(s[0], "United Nations");
    /* one way: United Nations does not find UN */
    synonyms_of(syn, "united nations", 14, &n);
    cr_expect_eq(n, 0);
    synonyms_of(syn, "kyiv", 4, &n);
    cr_expect_eq(n, 1);
    synonyms_of(syn, "kiev's", 6, &n);
    cr_expect_eq(n, 0, "a different word");
    synonyms_free(syn);
}

Test(synonyms, several_rules_give_their_union_once_and_bounded)
{
    struct synonyms *syn = parse("car, automobile\n"
                                 "car, auto, Automobile\n"
                                 "car => vehicle, motor car, b1, b2, b3, b4, b5, b6, b7\n");
    size_t n;
    const char *const *s = synonyms_of(syn, "car", 3, &n);
    cr_expect_eq(n, SYNONYMS_MAX_EXPANSION, "capped");
    int autos = 0;
    for (size_t i = 0; i < n; i++) {
        autos += strcasecmp(s[i], "automobile") == 0;
        cr_expect_neq(strcmp(s[i], "car"), 0, "not itself");
    }
    cr_expect_eq(autos, 1, "automobile listed once");
    synonyms_free(syn);
}

Test(synonyms, refused_files_name_their_line)
{
    expect_fail("a, b\nlonely\n", "line 2: an equivalence needs two terms");
    expect_fail("a, , b\n", "line 1: an empty term");
    expect_fail("a => b => c\n", "line 1: more than one '=>'");
    expect_fail("# c\n\na =>\n", "line 3: an empty term");
    expect_fail("a, ---\n", "line 1: the term '---' has no letter or digit");
    expect_fail("a, b\xff\n", "not valid UTF-8");
    char big[SYNONYMS_MAX_TERM_BYTES + 16];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char line[sizeof big + 8];
    snprintf(line, sizeof line, "a, %s\n", big);
    expect_fail(line, "longer than");
    expect_fail("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\n", "more than 16 terms");
}

Test(synonyms, queries_expand_words_phrases_and_exclusions_not_prefixes)
{
    struct synonyms *syn = parse("e-mail, email\nUN => United Nations\nquote, say \"hi\"\n");

    expect_fts(NULL, "email scam", "\"email\" AND \"scam\"");
    expect_fts(syn, "email scam", "(\"email\" OR \"e-mail\") AND \"scam\"");
    expect_fts(syn, "\"E-Mail\" scam", "(\"E-Mail\" OR \"email\") AND \"scam\"");
    expect_fts(syn, "un OR nato", "((\"un\" OR \"United Nations\") OR \"nato\")");
    expect_fts(syn, "scam -email", "\"scam\" NOT (\"email\" OR \"e-mail\")");
    expect_fts(syn, "emai*", "\"emai\" *");
    expect_fts(syn, "email*", "\"email\" *");
    /* a quote inside a synonym is doubled, as in the query */
    expect_fts(syn, "quote", "(\"quote\" OR \"say \"\"hi\"\"\")");
    synonyms_free(syn);
}
