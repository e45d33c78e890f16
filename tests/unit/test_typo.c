/* Unit tests for analysis/typo (edit budgets, the bounded OSA distance) and query_words
 * (the bare words typo tolerance may correct). */
#include <criterion/criterion.h>
#include <string.h>

#include "analysis/query.h"
#include "analysis/typo.h"

static int dist(const char *a, const char *b, int max)
{
    uint32_t x[TYPO_WORD_MAX], y[TYPO_WORD_MAX];
    int nx = typo_decode(a, strlen(a), x, TYPO_WORD_MAX);
    int ny = typo_decode(b, strlen(b), y, TYPO_WORD_MAX);
    cr_assert(nx >= 0 && ny >= 0);
    return typo_distance(x, (size_t)nx, y, (size_t)ny, max);
}

Test(typo, distance)
{
    cr_expect_eq(dist("blair", "blair", 2), 0);
    cr_expect_eq(dist("blare", "blair", 2), 2);
    cr_expect_eq(dist("blare", "blair", 1), 2); /* max + 1: over the budget */
    cr_expect_eq(dist("iraa", "iraq", 1), 1);
    cr_expect_eq(dist("goverment", "government", 2), 1); /* insertion */
    cr_expect_eq(dist("recieve", "receive", 2), 1);      /* transposition counts one */
    cr_expect_eq(dist("economy", "ecnoomy", 2), 1);
    cr_expect_eq(dist("abc", "abcdef", 2), 3); /* lengths alone exceed */
    cr_expect_eq(dist("", "ab", 2), 2);
    /* code points, not bytes: one edit between é and e */
    cr_expect_eq(dist("caf\xc3\xa9", "cafe", 2), 1);
    cr_expect_eq(dist("\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
                      "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb5", 2),
                 1);
}

Test(typo, budgets)
{
    cr_expect_eq(typo_max_edits("ira", 3), 0);
    cr_expect_eq(typo_max_edits("iraq", 4), 1);
    cr_expect_eq(typo_max_edits("blare", 5), 2);
    cr_expect_eq(typo_max_edits("goverment", 9), 2);
    cr_expect_eq(typo_max_edits("blair2", 6), 0);      /* digits: never */
    cr_expect_eq(typo_max_edits("e-mail", 6), 0);      /* not only letters */
    cr_expect_eq(typo_max_edits("caf\xc3\xa9", 5), 1); /* 4 code points */
    cr_expect_eq(typo_max_edits("\xff\xfe\xfd\xfc", 4), 0);
    {
        char longw[TYPO_WORD_MAX + 2];
        memset(longw, 'a', sizeof longw - 1);
        longw[sizeof longw - 1] = '\0';
        cr_expect_eq(typo_max_edits(longw, strlen(longw)), 0);
    }
}

Test(typo, query_words)
{
    struct query_word w[8];
    const char *q = "Tony  \"new labour\" -iraq blair* brown OR black e-mail &&";
    int n = query_words(q, strlen(q), w, 8);
    const char *expect[] = {"Tony", "brown", "black", "e-mail"};
    cr_assert_eq(n, 4);
    for (int i = 0; i < n; i++)
        cr_expect(w[i].len == strlen(expect[i]) && memcmp(q + w[i].off, expect[i], w[i].len) == 0,
                  "%d", i);
    cr_expect_eq(query_words("\"open", 5, w, 8), -1);
    cr_expect_eq(query_words("a b c", 5, w, 2), 2);
}
