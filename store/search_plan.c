/* search_plan.c: store_search's choice of strategy, window and floor, as a
 * pure function of the query and the counts store_search has made. */
#include <string.h>

#include "store/search_plan.h"

void search_facts_init(struct search_facts *f, int64_t articles, unsigned rank_candidates)
{
    memset(f, 0, sizeof *f);
    f->total = -1;
    f->all_matches = -1;
    f->passing = -1;
    f->articles = articles;
    f->rank_candidates = rank_candidates;
}

int search_plan_source_in_fts(const struct store_search_query *q)
{
    return q->source != NULL && q->source[0] != '\0';
}

int search_plan_filtered(const struct store_search_query *q)
{
    /* a source in the FTS5 expression is no filter on the rows */
    return !((q->source == NULL || search_plan_source_in_fts(q)) && q->from == INT64_MIN &&
             q->to == INT64_MAX && q->entity == 0 && q->nentities == 0 && q->nxentities == 0);
}

int search_plan_has_values(const struct store_search_query *q)
{
    if (search_plan_source_in_fts(q))
        return 1;
    for (int i = 0; i < STORE_FIELDS_; i++)
        if (q->fields[i].nin > 0 || q->fields[i].nout > 0)
            return 1;
    return 0;
}

int search_plan_browse(const struct store_search_query *q)
{
    return q->match == NULL && !q->collapse && !search_plan_has_values(q);
}

int search_plan_story_walk(const struct store_search_query *q)
{
    return q->collapse_story && q->sort == STORE_SORT_NEWEST && q->match == NULL &&
           q->source == NULL && !search_plan_has_values(q) && !search_plan_filtered(q);
}

/* Each probe evaluates the whole expression again, and a prefix term merges
 * the lists of every word it starts at every evaluation; so do many terms,
 * less so. Such queries build their list of matches once instead
 * (SEARCH_NEWEST_WALK). */
int search_plan_probe_cheap(const char *match)
{
    int quotes = 0;
    if (strstr(match, "\" *") != NULL)
        return 0;
    /* every term is one quoted FTS5 string: two quotes, "" inside one */
    for (const char *p = match; *p; p++)
        if (*p == '"' && p[1] != '"')
            quotes++;
        else if (*p == '"')
            p++;
    return quotes / 2 <= SEARCH_PLAN_PROBE_MAX_TERMS;
}

/* Newest first: the cheapest way to the page's rows for this many matches. */
static enum search_strategy search_plan_newest(const struct store_search_query *q,
                                               const struct search_facts *f)
{
    if (f->total > SEARCH_PLAN_WALK_MIN_MATCHES &&
        f->total > f->articles / SEARCH_PLAN_PROBE_SHARE && search_plan_probe_cheap(q->match))
        return SEARCH_NEWEST_PROBE;
    if (f->total > SEARCH_PLAN_WALK_MIN_MATCHES)
        return SEARCH_NEWEST_WALK;
    return SEARCH_NEWEST;
}

enum search_need search_plan(const struct store_search_query *q, const struct search_facts *f,
                             struct search_plan *p)
{
    long long share = f->rank_candidates / 8, window = 0;

    memset(p, 0, sizeof *p);
    p->limit = q->limit ? q->limit : 20;
    p->bm25_docs = -1;
    p->filtered = search_plan_filtered(q);
    if (search_plan_story_walk(q)) {
        p->strategy = SEARCH_STORY_WALK;
        return SEARCH_NEED_NONE;
    }
    if (q->collapse) {
        p->strategy = SEARCH_COLLAPSE;
        return SEARCH_NEED_NONE;
    }
    if (search_plan_browse(q)) {
        /* a page of a walk passes about articles / total rows per hit: few
         * when many pass; when few pass, the rows are read from where they
         * are (the window, the entities) instead. Relevance without a
         * match has nothing to rank: it is newest first. */
        p->strategy = f->total >= 0 && f->total <= SEARCH_PLAN_WALK_MIN_MATCHES
                          ? SEARCH_BROWSE_SORT
                          : SEARCH_BROWSE_WALK;
        return SEARCH_NEED_NONE;
    }
    if (q->sort != STORE_SORT_RELEVANCE) {
        p->strategy = search_plan_newest(q, f);
        return SEARCH_NEED_NONE;
    }

    /* Relevance over many matches ranks only the newest candidates. Without
     * filters, the newest rank_candidates matches. With filters (checked
     * after FTS5 has ranked a window, so the window is what costs), the
     * newest window of matches expected to hold an eighth as many that pass
     * them, from the filters' share of all matches: deterministic for the
     * snapshot, so every page ranks the same window. */
    p->strategy = SEARCH_RANK;
    if (p->filtered && f->total > share) {
        if (f->all_matches < 0)
            return SEARCH_NEED_ALL_MATCHES;
        window = (long long)((double)share * (double)f->all_matches /
                             (double)(f->total > 0 ? f->total : 1)) +
                 1;
        if (window < f->all_matches)
            p->ranked = share;
        else
            window = 0;
    } else if (!p->filtered && f->total > (long long)f->rank_candidates) {
        window = f->rank_candidates;
        p->ranked = f->rank_candidates;
    }

    /* The window's floor is the rowid of its oldest match. With filters, a
     * window that turns out to hold fewer than its share of passing matches
     * (they are older than most) grows fourfold until it does, or spans
     * everything. f records the last window looked up (always this one or
     * one grown from it). */
    if (window > 0) {
        if (f->window_tried >= window)
            window = f->window_tried;
        for (;;) {
            if (f->window_tried != window) {
                p->window = window;
                return SEARCH_NEED_FLOOR;
            }
            if (!p->filtered || f->floor == 0)
                break;
            if (f->passing < 0)
                return SEARCH_NEED_PASSING;
            if (f->passing >= p->ranked)
                break;
            window *= 4;
            if (window >= f->all_matches) {
                window = 0;
                p->ranked = 0;
                break;
            }
        }
        if (window > 0 && f->floor != 0) {
            p->window = window;
            p->floor = f->floor;
        }
    }

    if (p->filtered && p->floor == 0) {
        /* every match would be ranked: too many for FTS5's sorter, the
         * passing rows are ranked one by one */
        if (f->all_matches < 0)
            return SEARCH_NEED_ALL_MATCHES;
        if (f->all_matches > (long long)f->rank_candidates)
            p->strategy = SEARCH_RANK_ROWS;
    }
    /* the matches counted for `total` (the whole index as of this snapshot)
     * are a one-phrase query's document count */
    if (!p->filtered)
        p->bm25_docs = f->total;
    return SEARCH_NEED_NONE;
}
