/* Unit tests for analysis/fingerprint: hand-made article pairs with known containment, the
 * winnowing guarantee, short texts, set operations and the content hash. Fixtures are
 * embedded (made up for these tests), so nothing outside the repository is needed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/fingerprint.h"

/* Two invented wire stories, paragraphs separated by blank lines. */
static const char *const story_a[] = {
    "The city council of Northbridge voted on Tuesday to close the old harbour bridge to "
    "heavy traffic from next spring, after engineers found that corrosion in its steel "
    "supports had spread faster than expected during the wet winter.",
    "Council leader Anna Whitfield said the decision was painful but unavoidable. \"We cannot "
    "ask lorry drivers to cross a structure that our own inspectors describe as fragile,\" she "
    "told reporters outside the town hall. Repairs are expected to cost about 14 per cent more "
    "than the figure agreed in the 2021 budget.",
    "Local businesses reacted with alarm. The chamber of commerce estimated that the detour "
    "through the industrial estate would add twenty minutes to every delivery, and warned that "
    "smaller shops on the eastern bank could lose a quarter of their trade before the summer.",
    "Engineers from the regional transport agency will begin a detailed survey next month. "
    "Their report, due in September, will decide whether the bridge can be strengthened or "
    "must be replaced entirely, a project that would take at least four years to complete.",
    "Dr. Samuel Okafor, who led the first inspection, said the corrosion had been made worse "
    "by road salt spread during three unusually cold winters. He added that similar bridges "
    "built in the same decade should be checked as a matter of urgency.",
    "Residents will be able to comment on the plans at a public meeting in the library on the "
    "first Thursday of next month, and the council has promised to publish every inspection "
    "report on its website before any final decision is taken.",
};

static const char *const story_b[] = {
    "Shares in Meridian Foods fell sharply in early trading after the company cut its profit "
    "forecast for the year, blaming rising packaging costs and a wet summer that kept "
    "shoppers away from its ice cream and salad ranges.",
    "The group now expects operating profit of between 210 and 230 million, down from earlier "
    "guidance of 260 million. Chief executive Mark Delaney said the company would close two "
    "distribution centres and review its marketing budget.",
    "Analysts were divided on the outlook. Some argued that the weather effect would reverse "
    "next year, while others pointed to a longer decline in the sales of chilled desserts as "
    "families switched to cheaper supermarket brands.",
    "Meridian employs about nine thousand people across its factories and warehouses. Unions "
    "said they had not been consulted about the closures and would seek urgent talks with "
    "management later this week.",
};

/* Joins paragraphs (in the given order) with blank lines into a new string. */
static char *join(const char *const *paras, const size_t *order, size_t n)
{
    size_t len = 1;
    char *out;

    for (size_t i = 0; i < n; i++)
        len += strlen(paras[order ? order[i] : i]) + 2;
    out = calloc(1, len);
    cr_assert_not_null(out);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strcat(out, "\n\n");
        strcat(out, paras[order ? order[i] : i]);
    }
    return out;
}

/* Deterministic pseudo-random word salad of at least nbytes, from a seed. */
static char *salad(unsigned seed, size_t nbytes)
{
    static const char *const vocab[] = {
        "market",  "river",   "policy",  "season",  "player", "energy", "museum", "vote",
        "orbit",   "harvest", "theatre", "budget",  "signal", "forest", "league", "tariff",
        "glacier", "opera",   "vaccine", "airline", "cable",  "mining", "poet",   "satellite",
        "the",     "of",      "and",     "in",      "to",     "a",      "was",    "said",
    };
    size_t nv = sizeof vocab / sizeof vocab[0];
    char *out = calloc(1, nbytes + 32);
    size_t len = 0;
    unsigned x = seed * 2654435761u + 12345u;

    cr_assert_not_null(out);
    while (len < nbytes) {
        const char *wd;

        x = x * 1103515245u + 12345u;
        wd = vocab[(x >> 16) % nv];
        len += (size_t)sprintf(out + len, "%s ", wd);
    }
    return out;
}

static void fp(const char *text, struct fingerprint_set *set)
{
    cr_assert_eq(fingerprint_compute(text, strlen(text), set), 0);
}

static void check_sorted_unique(const struct fingerprint_set *set)
{
    for (size_t i = 1; i < set->n; i++)
        cr_assert(set->hashes[i - 1] < set->hashes[i], "hash %zu out of order", i);
}

Test(fingerprint, identical_texts)
{
    char *a = join(story_a, NULL, 6);
    struct fingerprint_set x, y;

    fp(a, &x);
    fp(a, &y);
    cr_expect_gt(x.n, 20);
    check_sorted_unique(&x);
    cr_expect_eq(fingerprint_shared(&x, &y), x.n);
    cr_expect_float_eq(fingerprint_containment(&x, &y), 1.0, 1e-12);
    cr_expect_float_eq(fingerprint_resemblance(&x, &y), 1.0, 1e-12);
    fingerprint_set_free(&x);
    fingerprint_set_free(&y);
    free(a);
}

Test(fingerprint, honorific_and_percent_edits)
{
    char *a = join(story_a, NULL, 6);
    const char *edited_b =
        "Council leader Mrs. Anna Whitfield said the decision was painful but unavoidable. "
        "\xe2\x80\x9cWe cannot ask lorry drivers to cross a structure that our own inspectors "
        "describe as fragile,\xe2\x80\x9d she told reporters outside the town hall. Repairs are "
        "expected to cost about 14% more than the figure agreed in the 2021 budget.";
    const char *edited_e =
        "Dr Samuel Okafor, who led the first inspection, said the corrosion had been made worse "
        "by road salt spread during three unusually cold winters. He added that similar "
        "bridges built in the same decade should be checked as a matter of urgency.";
    const char *paras[6];
    char *b;
    struct fingerprint_set x, y;

    memcpy(paras, story_a, sizeof paras);
    paras[1] = edited_b;
    paras[4] = edited_e;
    b = join(paras, NULL, 6);
    fp(a, &x);
    fp(b, &y);
    /* every edit is undone by normalisation */
    cr_expect_float_eq(fingerprint_containment(&x, &y), 1.0, 1e-12);
    cr_expect_float_eq(fingerprint_resemblance(&x, &y), 1.0, 1e-12);
    fingerprint_set_free(&x);
    fingerprint_set_free(&y);
    free(a);
    free(b);
}

Test(fingerprint, related_articles_glued_on)
{
    char *a = join(story_a, NULL, 6);
    char *junk = salad(7, 8192);
    char *b = malloc(strlen(a) + strlen(junk) + 64);
    struct fingerprint_set x, y;
    double c, r;

    cr_assert_not_null(b);
    sprintf(b, "%s\n\nRelated articles\n\n%s", a, junk);
    fp(a, &x);
    fp(b, &y);
    c = fingerprint_containment(&x, &y);
    r = fingerprint_resemblance(&x, &y);
    cr_expect_geq(c, 0.9, "containment %f", c);
    cr_expect_leq(r, 0.3, "resemblance %f", r);
    fingerprint_set_free(&x);
    fingerprint_set_free(&y);
    free(a);
    free(b);
    free(junk);
}

Test(fingerprint, unrelated_articles)
{
    char *a = join(story_a, NULL, 6);
    char *b = join(story_b, NULL, 4);
    struct fingerprint_set x, y;

    fp(a, &x);
    fp(b, &y);
    cr_expect_leq(fingerprint_containment(&x, &y), 0.02);
    cr_expect_leq(fingerprint_resemblance(&x, &y), 0.02);
    fingerprint_set_free(&x);
    fingerprint_set_free(&y);
    free(a);
    free(b);
}

Test(fingerprint, truncation)
{
    char *a = join(story_a, NULL, 6);
    char *half = join(story_a, NULL, 3);
    struct fingerprint_set x, y;
    double c;

    fp(a, &x);
    fp(half, &y);
    c = fingerprint_containment(&x, &y);
    cr_expect_geq(c, 0.9, "containment %f", c);
    cr_expect_lt(fingerprint_resemblance(&x, &y), 0.7);
    fingerprint_set_free(&x);
    fingerprint_set_free(&y);
    free(a);
    free(half);
}

Test(fingerprint, paragraph_reordering)
{
    static const size_t order[] = {3, 0, 5, 1, 4, 2};
    char *a = join(story_a, NULL, 6);
    char *b = join(story_a, order, 6);
    struct fingerprint_set x, y;
    double c;

    fp(a, &x);
    fp(b, &y);
    c = fingerprint_containment(&x, &y);
    /* only the k-grams that straddle a paragraph boundary change */
    cr_expect_geq(c, 0.85, "containment %f", c);
    fingerprint_set_free(&x);
    fingerprint_set_free(&y);
    free(a);
    free(b);
}

/* Writes n distinct made-up words "w<tag><i>" separated by spaces. */
static void distinct_words(char *out, const char *tag, unsigned seed, size_t n)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        sprintf(out + strlen(out), "w%s%u ", tag, seed * 1000u + (unsigned)i);
}

/* The index subset of text, as the service computes it (from the whole set). */
static void idx(const char *text, struct fingerprint_set *set)
{
    struct textnorm_words w = TEXTNORM_WORDS_INIT;
    struct fingerprint_set full;

    cr_assert_eq(textnorm_split(text, strlen(text), &w), 0);
    cr_assert_eq(fingerprint_from_words(&w, FINGERPRINT_K, FINGERPRINT_W, &full), 0);
    cr_assert_eq(fingerprint_index_from_words(&w, &full, set), 0);
    fingerprint_set_free(&full);
    textnorm_words_free(&w);
}

Test(fingerprint, index_guarantee)
{
    const size_t run = FINGERPRINT_K + 2 * FINGERPRINT_INDEX_W - 1;
    char *a = malloc(64 * 1024), *b = malloc(64 * 1024);
    char shared[4096], pa[16384], sa[16384], pb[16384], sb[16384];
    size_t missed_shorter = 0;

    cr_assert_not_null(a);
    cr_assert_not_null(b);
    for (unsigned t = 0; t < 300; t++) {
        struct fingerprint_set x, y;

        /* two long texts (winnowed, not indexed whole) share exactly one run
         * of `run` words, at varying positions */
        distinct_words(pa, "a", t, FINGERPRINT_INDEX_ALL_BELOW + t % 37);
        distinct_words(sa, "c", t, 5 + t % 23);
        distinct_words(pb, "b", t, FINGERPRINT_INDEX_ALL_BELOW + t % 41);
        distinct_words(sb, "d", t, 7 + t % 19);
        distinct_words(shared, "s", t, run);
        sprintf(a, "%s%s%s", pa, shared, sa);
        sprintf(b, "%s%s%s", pb, shared, sb);
        idx(a, &x);
        idx(b, &y);
        cr_assert_gt(x.n, 0);
        cr_expect_lt(x.n, x.nwords / 2, "trial %u: a long text is winnowed", t);
        cr_expect_geq(fingerprint_shared(&x, &y), 1, "trial %u: shared run not detected", t);
        fingerprint_set_free(&x);
        fingerprint_set_free(&y);

        /* one word fewer is not guaranteed (and often missed): the bound is tight */
        distinct_words(shared, "s", t, run - 1);
        sprintf(a, "%s%s%s", pa, shared, sa);
        sprintf(b, "%s%s%s", pb, shared, sb);
        idx(a, &x);
        idx(b, &y);
        missed_shorter += fingerprint_shared(&x, &y) == 0;
        fingerprint_set_free(&x);
        fingerprint_set_free(&y);
    }
    cr_expect_gt(missed_shorter, 0);
    free(a);
    free(b);
}

Test(fingerprint, short_texts_pair_every_kgram)
{
    char text[12288], copy[20480];
    struct fingerprint_set full, index;

    /* at the limit: every k-gram with the next, and the winnowed pairs */
    distinct_words(text, "q", 1, FINGERPRINT_INDEX_ALL_BELOW + FINGERPRINT_K - 1);
    fp(text, &full);
    idx(text, &index);
    cr_expect_eq(full.n, FINGERPRINT_INDEX_ALL_BELOW);
    cr_expect_geq(index.n, full.n - 1);
    cr_expect_lt(index.n, full.n * 1.5);
    fingerprint_set_free(&full);
    fingerprint_set_free(&index);

    /* one k-gram more: the winnowed pairs only */
    distinct_words(text, "q", 1, FINGERPRINT_INDEX_ALL_BELOW + FINGERPRINT_K);
    idx(text, &index);
    cr_expect_lt(index.n, FINGERPRINT_INDEX_ALL_BELOW / 2);
    fingerprint_set_free(&index);

    for (unsigned t = 0; t < 50; t++) {
        char head[8192], run[1024], tail[8192], other[1024];
        struct fingerprint_set a, b;

        /* a short text and a long one sharing a run of K + 2 W - 1 words */
        distinct_words(head, "h", t, 200 + t);
        distinct_words(run, "r", t, FINGERPRINT_K + 2 * FINGERPRINT_INDEX_W - 1);
        distinct_words(tail, "t", t, 150);
        snprintf(copy, sizeof copy, "%s%s%s", head, run, tail);
        snprintf(text, sizeof text, "breaking %s", run);
        idx(text, &a);
        idx(copy, &b);
        cr_expect_geq(fingerprint_shared(&a, &b), 1, "trial %u: short in long", t);
        fingerprint_set_free(&a);
        fingerprint_set_free(&b);

        /* two short texts sharing K + 1 words */
        distinct_words(run, "s", t, FINGERPRINT_K + 1);
        distinct_words(head, "x", t, 3 + t % 20);
        distinct_words(other, "y", t, 5 + t % 30);
        snprintf(text, sizeof text, "%s%s", head, run);
        snprintf(copy, sizeof copy, "%s%s", run, other);
        idx(text, &a);
        idx(copy, &b);
        cr_expect_geq(fingerprint_shared(&a, &b), 1, "trial %u: short and short", t);
        fingerprint_set_free(&a);
        fingerprint_set_free(&b);
    }
}

Test(fingerprint, short_texts)
{
    struct fingerprint_set s;
    char six[256];

    fp("", &s);
    cr_expect_eq(s.n, 0);
    cr_expect_eq(s.nwords, 0);
    cr_expect_null(s.hashes);
    fingerprint_set_free(&s);

    fp(" -- !! ", &s);
    cr_expect_eq(s.n, 0);
    fingerprint_set_free(&s);

    fp("Breaking news", &s); /* fewer than k words: one hash of the whole */
    cr_expect_eq(s.nwords, 2);
    cr_expect_eq(s.n, 1);
    fingerprint_set_free(&s);

    /* k + 1 words: two k-grams, both kept */
    distinct_words(six, "x", 1, FINGERPRINT_K + 1);
    fp(six, &s);
    cr_expect_eq(s.n, 2);
    fingerprint_set_free(&s);

    /* fewer k-grams than one winnowing window: all of them */
    distinct_words(six, "x", 1, FINGERPRINT_K + 2);
    cr_assert_eq(fingerprint_compute_kw(six, strlen(six), FINGERPRINT_K, 4, &s), 0);
    cr_expect_eq(s.n, 3);
    fingerprint_set_free(&s);
}

Test(fingerprint, short_text_matches_its_copy)
{
    struct fingerprint_set x, y;

    fp("Storm closes schools", &x);
    fp("STORM closes schools!", &y);
    cr_expect_float_eq(fingerprint_containment(&x, &y), 1.0, 1e-12);
    fingerprint_set_free(&x);
    fingerprint_set_free(&y);
}

Test(fingerprint, whole_set_is_every_kgram_and_index_a_winnowed_subset)
{
    char *a = join(story_a, NULL, 6);
    struct fingerprint_set all, win;

    cr_assert_eq(fingerprint_compute_kw(a, strlen(a), FINGERPRINT_K, 1, &all), 0);
    fp(a, &win);
    check_sorted_unique(&all);
    cr_expect_eq(all.n, win.n);                          /* the whole set is every k-gram */
    cr_expect_eq(all.n, all.nwords - FINGERPRINT_K + 1); /* all distinct in this text */
    fingerprint_set_free(&win);
    /* winnowing keeps a subset, about 2 / (w + 1) of the k-grams */
    cr_assert_eq(fingerprint_compute_kw(a, strlen(a), FINGERPRINT_K, FINGERPRINT_INDEX_W, &win), 0);
    cr_expect_eq(fingerprint_shared(&all, &win), win.n);
    cr_expect_lt(win.n, all.n * (2.0 / (FINGERPRINT_INDEX_W + 1) + 0.15));
    cr_expect_gt(win.n, all.n * (2.0 / (FINGERPRINT_INDEX_W + 1) - 0.15));
    /* a wider window keeps a subset of a narrower one's picks (window minima nest) */
    {
        struct fingerprint_set wide;

        cr_assert_eq(
            fingerprint_compute_kw(a, strlen(a), FINGERPRINT_K, 2 * FINGERPRINT_INDEX_W, &wide), 0);
        cr_expect_lt(wide.n, win.n);
        cr_expect_geq(fingerprint_shared(&wide, &win), wide.n * 0.95);
        fingerprint_set_free(&wide);
    }
    fingerprint_set_free(&all);
    fingerprint_set_free(&win);
    free(a);
}

Test(fingerprint, from_words_matches_compute)
{
    char *a = join(story_b, NULL, 4);
    struct textnorm_words w = TEXTNORM_WORDS_INIT;
    struct fingerprint_set x, y;
    char h1[65], h2[65];

    cr_assert_eq(textnorm_split(a, strlen(a), &w), 0);
    cr_assert_eq(fingerprint_from_words(&w, FINGERPRINT_K, FINGERPRINT_W, &x), 0);
    fp(a, &y);
    cr_expect_eq(x.n, y.n);
    cr_expect_eq(fingerprint_shared(&x, &y), y.n);
    fingerprint_words_hash(&w, h1);
    cr_assert_eq(fingerprint_content_hash(a, strlen(a), h2), 0);
    cr_expect_str_eq(h1, h2);
    fingerprint_set_free(&x);
    fingerprint_set_free(&y);
    textnorm_words_free(&w);
    free(a);
}

Test(fingerprint, set_arithmetic)
{
    int64_t ha[] = {-9, -3, 0, 4, 8, 15};
    int64_t hb[] = {-3, 4, 15, 16};
    struct fingerprint_set a = {ha, 6, 0}, b = {hb, 4, 0}, e = {NULL, 0, 0};

    cr_expect_eq(fingerprint_shared(&a, &b), 3);
    cr_expect_float_eq(fingerprint_containment(&a, &b), 3.0 / 4.0, 1e-12);
    cr_expect_float_eq(fingerprint_containment(&b, &a), 3.0 / 4.0, 1e-12);
    cr_expect_float_eq(fingerprint_resemblance(&a, &b), 3.0 / 7.0, 1e-12);
    cr_expect_float_eq(fingerprint_containment(&a, &e), 0.0, 1e-12);
    cr_expect_float_eq(fingerprint_resemblance(&e, &e), 0.0, 1e-12);
    fingerprint_set_free(NULL);
}

Test(fingerprint, content_hash)
{
    const char *base =
        "The council voted to close the bridge, Mr. Smith said; costs rose 5 per cent.";
    const char *variants[] = {
        "the council voted to close the bridge mr smith said costs rose 5 percent",
        "  THE   COUNCIL voted\nto close\tthe bridge \xe2\x80\x94 Smith said: costs rose 5%!  ",
        "The council voted to close the bridge, Smith said; costs rose 5 pct.",
    };
    const char *different[] = {
        "The council voted to close the bridge, Smith said; costs rose 6 per cent.",
        "The council voted to open the bridge, Smith said; costs rose 5 per cent.",
        "council voted to close the bridge, Smith said; costs rose 5 per cent.",
    };
    char h0[65], h[65];

    cr_assert_eq(fingerprint_content_hash(base, strlen(base), h0), 0);
    cr_expect_eq(strlen(h0), 64);
    cr_expect_eq(strspn(h0, "0123456789abcdef"), 64);
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        cr_assert_eq(fingerprint_content_hash(variants[i], strlen(variants[i]), h), 0);
        cr_expect_str_eq(h, h0, "variant %zu", i);
    }
    for (size_t i = 0; i < sizeof different / sizeof different[0]; i++) {
        cr_assert_eq(fingerprint_content_hash(different[i], strlen(different[i]), h), 0);
        cr_expect_str_neq(h, h0, "different %zu", i);
    }
    /* the hash is SHA-256 of the normalised words joined by single spaces */
    cr_assert_eq(fingerprint_content_hash("  Abc!  ", 8, h), 0);
    cr_expect_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_eq(fingerprint_content_hash("", 0, h), 0);
    cr_expect_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(fingerprint, both_sets_at_once_equal_each_alone)
{
    const char *texts[] = {"", "Breaking news", "one two three four five six", NULL, NULL};
    char *long_text = join(story_a, NULL, 6), *mid = join(story_b, NULL, 1);
    texts[3] = long_text;
    texts[4] = mid;
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        struct textnorm_words w = TEXTNORM_WORDS_INIT;
        struct fingerprint_set full, index, full2, index2;
        cr_assert_eq(textnorm_split(texts[t], strlen(texts[t]), &w), 0);
        cr_assert_eq(fingerprint_sets_from_words(&w, &full, &index), 0);
        cr_assert_eq(fingerprint_from_words(&w, FINGERPRINT_K, FINGERPRINT_W, &full2), 0);
        cr_assert_eq(fingerprint_index_from_words(&w, &full2, &index2), 0);
        cr_expect_eq(full.n, full2.n, "text %zu", t);
        cr_expect_eq(index.n, index2.n, "text %zu", t);
        cr_expect_eq(fingerprint_shared(&full, &full2), full2.n, "text %zu", t);
        cr_expect_eq(fingerprint_shared(&index, &index2), index2.n, "text %zu", t);
        check_sorted_unique(&full);
        check_sorted_unique(&index);
        fingerprint_set_free(&full);
        fingerprint_set_free(&index);
        fingerprint_set_free(&full2);
        fingerprint_set_free(&index2);
        textnorm_words_free(&w);
    }
    free(long_text);
    free(mid);
}
