/* Unit tests for search_plan (store/search_plan.h): the strategy, window and
 * floor chosen for a query from the counts, driven without SQLite. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "store/search_plan.h"

#define RC 800 /* rank_candidates in these tests: an eighth is 100 */

static struct store_search_query query(enum store_sort sort)
{
    struct store_search_query q = {
        .match = "(\"storm\")", .from = INT64_MIN, .to = INT64_MAX, .sort = sort, .want_total = 1};
    return q;
}

static struct search_facts facts(long long total, int64_t articles)
{
    struct search_facts f;
    search_facts_init(&f, articles, RC);
    f.total = total;
    return f;
}

/* A snapshot of `all` matches with rowids 1..all, of which those with
 * rowid <= `passing_upto` pass the filters (the filters select old rows);
 * answers the planner's needs as store_search would, and counts them. */
struct model {
    long long all, passing_upto;
    int floors, passings, alls;
};

static void answer(struct model *m, enum search_need need, const struct search_plan *p,
                   struct search_facts *f)
{
    switch (need) {
    case SEARCH_NEED_ALL_MATCHES:
        f->all_matches = m->all;
        m->alls++;
        break;
    case SEARCH_NEED_FLOOR:
        /* the window-th newest rowid */
        f->window_tried = p->window;
        f->floor = p->window <= m->all ? m->all - p->window + 1 : 0;
        f->passing = -1;
        m->floors++;
        break;
    case SEARCH_NEED_PASSING: {
        long long lo = f->floor, hi = m->passing_upto;
        f->passing = hi >= lo ? hi - lo + 1 : 0;
        m->passings++;
        break;
    }
    case SEARCH_NEED_NONE:
        break;
    }
}

/* Plans q to the end against m (total: the passing matches). */
static struct search_plan drive(const struct store_search_query *q, struct model *m,
                                int64_t articles)
{
    struct search_facts f = facts(m->passing_upto < m->all ? m->passing_upto : m->all, articles);
    struct search_plan p;
    enum search_need need;
    int steps = 0;

    if (!q->want_total)
        f.total = -1;
    while ((need = search_plan(q, &f, &p)) != SEARCH_NEED_NONE) {
        cr_assert_lt(++steps, 50, "the plan does not settle");
        answer(m, need, &p, &f);
    }
    return p;
}

Test(search_plan, collapse_is_its_own_strategy_in_either_order)
{
    struct search_facts f = facts(1000000, 2000000);
    struct search_plan p;
    for (int sort = 0; sort < 2; sort++) {
        struct store_search_query q = query((enum store_sort)sort);
        q.collapse = 1;
        q.from = 0; /* filters ask for no count either */
        cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
        cr_expect_eq(p.strategy, SEARCH_COLLAPSE);
        cr_expect_eq(p.floor, 0);
        cr_expect_eq(p.ranked, 0);
    }
}

Test(search_plan, newest_first_by_how_many_match)
{
    struct store_search_query q = query(STORE_SORT_NEWEST);
    struct search_plan p;
    struct search_facts f;

    f = facts(SEARCH_PLAN_WALK_MIN_MATCHES, 1000000);
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_NEWEST, "few matches: look them up and sort");

    f = facts(-1, 1000000);
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_NEWEST, "no total asked for");

    /* many, but fewer than one in SEARCH_PLAN_PROBE_SHARE of the articles */
    f = facts(SEARCH_PLAN_WALK_MIN_MATCHES + 1, 1000000);
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_NEWEST_WALK);

    /* a good share of every article: probe as the walk goes */
    f = facts(1000000 / SEARCH_PLAN_PROBE_SHARE + 1, 1000000);
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_NEWEST_PROBE);

    /* ... unless a probe is dear: a prefix, or many terms */
    q.match = "(\"sto\" *)";
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_NEWEST_WALK);
    q.match = "(\"a\" OR \"b\" OR \"c\" OR \"d\" OR \"e\" OR \"f\" OR \"g\" OR \"h\" OR \"i\")";
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_NEWEST_WALK);
    cr_expect_eq(p.limit, 20, "the default page");
}

Test(search_plan, relevance_without_filters_few_matches_ranks_all)
{
    struct store_search_query q = query(STORE_SORT_RELEVANCE);
    struct search_facts f = facts(RC, 100000);
    struct search_plan p;

    q.source = "Reuters"; /* a token of the FTS5 expression, no filter */
    q.limit = 7;
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_RANK);
    cr_expect_not(p.filtered);
    cr_expect_eq(p.window, 0);
    cr_expect_eq(p.floor, 0);
    cr_expect_eq(p.ranked, 0);
    cr_expect_eq(p.bm25_docs, RC, "the total is the document count");
    cr_expect_eq(p.limit, 7);

    q.want_total = 0;
    f.total = -1;
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_RANK);
    cr_expect_eq(p.bm25_docs, -1);
}

Test(search_plan, relevance_without_filters_many_matches_ranks_the_newest_window)
{
    struct store_search_query q = query(STORE_SORT_RELEVANCE);
    struct search_facts f = facts(RC + 1, 100000);
    struct search_plan p;

    cr_assert_eq(search_plan(&q, &f, &p), SEARCH_NEED_FLOOR);
    cr_expect_eq(p.window, RC);
    f.window_tried = p.window;
    f.floor = 2;
    cr_assert_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE, "no filter: no passing count");
    cr_expect_eq(p.strategy, SEARCH_RANK);
    cr_expect_eq(p.window, RC);
    cr_expect_eq(p.floor, 2);
    cr_expect_eq(p.ranked, RC);
}

Test(search_plan, relevance_with_filters_few_passing_of_few_matches_ranks_all)
{
    struct store_search_query q = query(STORE_SORT_RELEVANCE);
    struct model m = {.all = RC, .passing_upto = 50};
    struct search_plan p;

    q.entity = 42;
    p = drive(&q, &m, 100000);
    cr_expect_eq(p.strategy, SEARCH_RANK);
    cr_expect(p.filtered);
    cr_expect_eq(p.floor, 0);
    cr_expect_eq(p.ranked, 0);
    cr_expect_eq(p.bm25_docs, -1, "filtered: the total is no document count");
    cr_expect_eq(m.alls, 1);
    cr_expect_eq(m.floors, 0);
}

Test(search_plan, relevance_with_filters_few_passing_of_many_matches_ranks_rows)
{
    struct store_search_query q = query(STORE_SORT_RELEVANCE);
    struct model m = {.all = 100000, .passing_upto = 50};
    struct search_plan p;

    q.source = ""; /* an empty source has no token: a filter on the rows */
    p = drive(&q, &m, 200000);
    cr_expect_eq(p.strategy, SEARCH_RANK_ROWS);
    cr_expect_eq(p.floor, 0);
    cr_expect_eq(m.floors, 0, "50 passing of 100,000: no window to look for");
}

Test(search_plan, relevance_with_filters_many_passing_ranks_a_window)
{
    struct store_search_query q = query(STORE_SORT_RELEVANCE);
    /* every match passes: the window expected to hold 100 passing is the
     * newest 101 matches, and it does */
    struct model m = {.all = 10000, .passing_upto = 10000};
    struct search_plan p;

    q.to = 1700000000;
    p = drive(&q, &m, 20000);
    cr_expect_eq(p.strategy, SEARCH_RANK);
    cr_expect_eq(p.window, 101);
    cr_expect_eq(p.floor, 10000 - 101 + 1);
    cr_expect_eq(p.ranked, RC / 8);
    cr_expect_eq(m.floors, 1);
    cr_expect_eq(m.passings, 1);
}

Test(search_plan, relevance_window_grows_fourfold_until_it_holds_its_share)
{
    struct store_search_query q = query(STORE_SORT_RELEVANCE);
    /* 2,000 of 10,000 pass, the oldest: the first window (501) holds none
     * of them, 2,004 none, 8,016 fewer than 100; 32,064 spans all */
    struct model m = {.all = 10000, .passing_upto = 2000};
    struct search_plan p;

    q.from = 5;
    p = drive(&q, &m, 20000);
    cr_expect_eq(m.floors, 3, "501, 2004, 8016");
    cr_expect_eq(m.passings, 3);
    cr_expect_eq(p.floor, 0, "the window spans everything");
    cr_expect_eq(p.ranked, 0);
    cr_expect_eq(p.strategy, SEARCH_RANK_ROWS, "10,000 matches are too many for FTS5's sorter");

    /* the passing rows a little older than the first window: one growth */
    m = (struct model){.all = 10000, .passing_upto = 9700};
    p = drive(&q, &m, 20000);
    /* 9,700 of 10,000: the window expected to hold 100 is 104 matches */
    cr_expect_eq(m.floors, 2, "104 holds none of them, 416 holds 116");
    cr_expect_eq(p.window, 416);
    cr_expect_eq(p.floor, 10000 - 416 + 1);
    cr_expect_eq(p.ranked, RC / 8);
    cr_expect_eq(p.strategy, SEARCH_RANK);
}

Test(search_plan, filters_and_sources)
{
    struct store_search_query q = query(STORE_SORT_RELEVANCE);
    cr_expect_not(search_plan_filtered(&q));
    q.source = "AP";
    cr_expect_not(search_plan_filtered(&q), "a source is a token of the expression");
    cr_expect(search_plan_source_in_fts(&q));
    q.source = "";
    cr_expect(search_plan_filtered(&q));
    cr_expect_not(search_plan_source_in_fts(&q));
    q.source = NULL;
    q.to = 0;
    cr_expect(search_plan_filtered(&q));
    q.to = INT64_MAX;
    q.entity = -1;
    cr_expect(search_plan_filtered(&q), "an entity nobody mentions still filters");
}

Test(search_plan, probe_cheap)
{
    cr_expect(search_plan_probe_cheap("(\"a\")"));
    cr_expect(search_plan_probe_cheap("(\"say \"\"hi\"\"\" \"b\")"), "doubled quotes are one term");
    cr_expect_not(search_plan_probe_cheap("(\"ab\" *)"));
    /* the source's token is a term too */
    cr_expect(search_plan_probe_cheap(
        "(\"a\" \"b\" \"c\" \"d\" \"e\" \"f\" \"g\") AND src : \"zzs41q\""));
    cr_expect_not(search_plan_probe_cheap(
        "(\"a\" \"b\" \"c\" \"d\" \"e\" \"f\" \"g\" \"h\") AND src : \"zzs41q\""));
    cr_expect_not(
        search_plan_probe_cheap("(\"a\" \"b\" \"c\" \"d\" \"e\" \"f\" \"g\" \"h\" \"i\")"));
}

Test(search_plan, browse_walks_the_order_or_sorts_few_rows)
{
    struct store_search_query q = query(STORE_SORT_NEWEST);
    struct search_facts f = facts(100000, 100000);
    struct search_plan p;

    q.match = NULL;
    cr_expect(search_plan_browse(&q));
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_BROWSE_WALK, "every article: walk the order's index");
    q.sort = STORE_SORT_OLDEST;
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_BROWSE_WALK);
    q.sort = STORE_SORT_INGESTED;
    q.from = 5;
    f.total = SEARCH_PLAN_WALK_MIN_MATCHES;
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_BROWSE_SORT, "a small window: its rows sorted");
    cr_expect(p.filtered);
    /* relevance without a match: nothing to rank, an ordered browse */
    q.sort = STORE_SORT_RELEVANCE;
    f.total = SEARCH_PLAN_WALK_MIN_MATCHES + 1;
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_BROWSE_WALK);
}

Test(search_plan, value_filters_or_collapse_are_no_browse)
{
    static const char *const afp[] = {"AFP"};
    struct store_search_query q = query(STORE_SORT_NEWEST);

    q.match = NULL;
    cr_expect_not(search_plan_has_values(&q));
    q.fields[STORE_FIELD_TAG].out = afp;
    q.fields[STORE_FIELD_TAG].nout = 1;
    cr_expect(search_plan_has_values(&q), "an exclusion is a token of the expression");
    cr_expect_not(search_plan_browse(&q));
    cr_expect_not(search_plan_filtered(&q), "and no filter on the rows");
    q.fields[STORE_FIELD_TAG].nout = 0;
    q.collapse = 1;
    cr_expect_not(search_plan_browse(&q), "collapse groups the rows of an expression");
    q.collapse = 0;
    q.source = "AFP";
    cr_expect_not(search_plan_browse(&q));
    q.source = NULL;
    q.nxentities = 1;
    cr_expect(search_plan_browse(&q), "entities are filters on the rows");
    cr_expect(search_plan_filtered(&q));
}

Test(search_plan, oldest_and_ingested_choose_as_newest_does)
{
    static const enum store_sort sorts[] = {STORE_SORT_OLDEST, STORE_SORT_INGESTED};
    for (size_t i = 0; i < 2; i++) {
        struct store_search_query q = query(sorts[i]);
        struct search_facts f = facts(50, 100000);
        struct search_plan p;
        cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
        cr_expect_eq(p.strategy, SEARCH_NEWEST, "few matches: sorted");
        f.total = 3000;
        cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
        cr_expect_eq(p.strategy, SEARCH_NEWEST_WALK);
        f.total = 50000;
        cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
        cr_expect_eq(p.strategy, SEARCH_NEWEST_PROBE);
        cr_expect_eq(p.window, 0, "no relevance window");
    }
}

/* collapse=story walks the time index only for a browse of everything
 * newest first; a query, any filter or another sort groups the matches */
Test(search_plan, story_walk_only_without_query_or_filters)
{
    struct search_facts f = facts(-1, 1000000);
    struct store_search_query q = query(STORE_SORT_NEWEST);
    const char *src[1] = {"AFP"};
    struct search_plan p;

    q.collapse = q.collapse_story = 1;
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_COLLAPSE, "a query groups its matches");
    q.match = NULL;
    cr_expect(search_plan_story_walk(&q));
    cr_expect_eq(search_plan(&q, &f, &p), SEARCH_NEED_NONE);
    cr_expect_eq(p.strategy, SEARCH_STORY_WALK);
    q.from = 0;
    cr_expect_not(search_plan_story_walk(&q), "a window is a filter");
    q.from = INT64_MIN;
    q.fields[STORE_FIELD_SOURCE].in = src;
    q.fields[STORE_FIELD_SOURCE].nin = 1;
    cr_expect_not(search_plan_story_walk(&q), "a value filter is an expression");
    q.fields[STORE_FIELD_SOURCE].nin = 0;
    q.entity = 7;
    cr_expect_not(search_plan_story_walk(&q), "an entity is a filter");
    q.entity = 0;
    q.sort = STORE_SORT_RELEVANCE;
    cr_expect_not(search_plan_story_walk(&q), "relevance without a query is the handler's newest");
    q.sort = STORE_SORT_NEWEST;
    q.collapse_story = 0;
    cr_expect_not(search_plan_story_walk(&q), "copies are grouped, not walked");
}
