/* typo.c: edit budgets and the bounded OSA distance (see typo.h). */
#include "analysis/typo.h"

#include <unictype.h>

#include "analysis/utf8.h"

int typo_decode(const char *s, size_t len, uint32_t *out, size_t cap)
{
    size_t pos = 0, n = 0;
    uint32_t cp;
    int rc;

    while ((rc = utf8_next(s, len, &pos, &cp)) > 0) {
        if (n == cap)
            return -1;
        out[n++] = cp;
    }
    return rc < 0 ? -1 : (int)n;
}

int typo_max_edits(const char *w, size_t len)
{
    uint32_t cps[TYPO_WORD_MAX];
    int n = typo_decode(w, len, cps, TYPO_WORD_MAX);

    if (n < 4)
        return 0;
    for (int i = 0; i < n; i++)
        if (!uc_is_general_category(cps[i], UC_CATEGORY_L))
            return 0;
    return n == 4 ? 1 : 2;
}

static int typo_min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

int typo_distance(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, int max)
{
    /* three rows of the dynamic programme: i-2, i-1, i */
    int rows[3][TYPO_WORD_MAX + 1];
    int *pp = rows[0], *p = rows[1], *c = rows[2];

    if (na > TYPO_WORD_MAX || nb > TYPO_WORD_MAX)
        return max + 1;
    if ((na > nb ? na - nb : nb - na) > (size_t)max)
        return max + 1;
    for (size_t j = 0; j <= nb; j++)
        p[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int row_min;
        c[0] = (int)i;
        row_min = c[0];
        for (size_t j = 1; j <= nb; j++) {
            int cost = a[i - 1] != b[j - 1];
            c[j] = typo_min3(p[j] + 1, c[j - 1] + 1, p[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < c[j])
                c[j] = pp[j - 2] + 1;
            if (c[j] < row_min)
                row_min = c[j];
        }
        if (row_min > max)
            return max + 1; /* every later row is at least this */
        int *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[nb] > max ? max + 1 : p[nb];
}
