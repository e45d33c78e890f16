/* search_plan.h: how store_search answers a query, decided without SQLite.
 * search_plan() picks the strategy, the page size and, for relevance over
 * many matches, the window of newest matches to rank and its floor; it asks
 * for the counts it needs one at a time (store_search.c runs them). */
#ifndef ARTICLED_SEARCH_PLAN_H
#define ARTICLED_SEARCH_PLAN_H

#include <stdint.h>

#include "store/store.h"

/* Newest first: above this many matches the time index is walked; above one
 * in SEARCH_PLAN_PROBE_SHARE of all articles (and a cheap probe), FTS5 is
 * asked about each article the walk meets. A probe is cheap for at most
 * SEARCH_PLAN_PROBE_MAX_TERMS terms and no prefix. */
#define SEARCH_PLAN_WALK_MIN_MATCHES 2000
#define SEARCH_PLAN_PROBE_SHARE      20
#define SEARCH_PLAN_PROBE_MAX_TERMS  8

enum search_strategy {
    /* relevance in one statement: FTS5 ranks the matches (all of them, or
     * those at or above the floor) and the page is rendered as it comes */
    SEARCH_RANK,
    /* relevance with filters few matches pass, among many matches: the
     * passing rows are ranked one by one (no window) */
    SEARCH_RANK_ROWS,
    /* one hit per copy group (or story), by relevance or newest: every
     * match grouped */
    SEARCH_COLLAPSE,
    /* one hit per story without a query or filters: the time index walked
     * newest first, keeping each story's newest member (search_plan_story_walk) */
    SEARCH_STORY_WALK,
    /* newest first (and oldest first, and commit order: q->sort picks the
     * order and its index): every match looked up and sorted */
    SEARCH_NEWEST,
    /* the same: the order's index walked against a list of the matches */
    SEARCH_NEWEST_WALK,
    /* the same: the order's index walked, FTS5 asked about each article */
    SEARCH_NEWEST_PROBE,
    /* no full-text expression (no q, no value filter): the order's index
     * walked, the filters on the rows checked as it goes */
    SEARCH_BROWSE_WALK,
    /* the same with few rows passing: the rows of the window (or of the
     * entities) looked up and sorted */
    SEARCH_BROWSE_SORT,
};

/* What the plan needs counted before it can go on. */
enum search_need {
    SEARCH_NEED_NONE,        /* the plan is complete */
    SEARCH_NEED_ALL_MATCHES, /* facts.all_matches */
    SEARCH_NEED_FLOOR,       /* facts.floor of plan.window (facts.window_tried) */
    SEARCH_NEED_PASSING,     /* facts.passing above facts.floor */
};

/* What is known about the query in its snapshot. Counts are -1 until known;
 * the executor fills what search_plan asks for and calls it again. */
struct search_facts {
    long long total;       /* matches passing the filters (-1: not asked for) */
    long long all_matches; /* matches, filters aside */
    int64_t articles;      /* stored articles */
    unsigned rank_candidates;
    long long window_tried; /* the window whose floor was looked up (0: none) */
    int64_t floor;          /* its oldest match's rowid (0: fewer matches) */
    long long passing;      /* matches passing the filters at or above floor */
};

struct search_plan {
    enum search_strategy strategy;
    unsigned limit;      /* the page's size (one more row is read to tell `more`) */
    int filtered;        /* filters checked on the rows (not inside FTS5) */
    long long window;    /* relevance ranks only the newest this many matches (0: all) */
    int64_t floor;       /* the window's oldest rowid, or 0 */
    long long ranked;    /* store_hits.ranked */
    long long bm25_docs; /* the document count articled_bm25 may assume, or -1 */
};

/* A facts record with nothing known yet. */
void search_facts_init(struct search_facts *f, int64_t articles, unsigned rank_candidates);

/* Plans q (its match the whole FTS5 expression store_search runs) from f.
 * Returns SEARCH_NEED_NONE with *p complete, or the count it needs first
 * (p->window names the window for SEARCH_NEED_FLOOR). Pure. */
enum search_need search_plan(const struct store_search_query *q, const struct search_facts *f,
                             struct search_plan *p);

/* Whether q has filters checked on the rows rather than inside FTS5 (a
 * time window, entities, an empty source). */
int search_plan_filtered(const struct store_search_query *q);

/* Whether q has a value filter (a source, tag, language or author to keep
 * or to exclude): one that is part of the FTS5 expression. */
int search_plan_has_values(const struct store_search_query *q);

/* Whether q is a browse: no match, no value filter, no collapse (which
 * groups the rows of an expression); it runs without FTS5. */
int search_plan_browse(const struct store_search_query *q);

/* Whether q is a browse of every article by story, newest first (no match,
 * no filter of any kind): walked rather than grouped, stopping at the page. */
int search_plan_story_walk(const struct store_search_query *q);

/* Whether q's source is a token of the FTS5 expression (a non-empty source)
 * rather than a filter on the rows. */
int search_plan_source_in_fts(const struct store_search_query *q);

/* Whether asking FTS5 about one article at a time is cheap for match: no
 * prefix term, at most SEARCH_PLAN_PROBE_MAX_TERMS quoted terms. */
int search_plan_probe_cheap(const char *match);

#endif
