/* store_stmts.c: the SQL of every cached statement of a read connection, one
 * entry per enum store_rstmt (store_int.h), in the enum's order;
 * store_reader_stmt prepares them from here. */
#include "store/store_int.h"

#define ARTICLE_COLS                                                                               \
    "seq, id, title, body, url, source, author, language, published_at, tags, ts,"                 \
    " ingested_at, content_hash, duplicate_of, story, language_detected"

/* Same columns with the body left out, for listings. */
#define ARTICLE_COLS_NOBODY                                                                        \
    "seq, id, title, NULL, url, source, author, language, published_at, tags, ts,"                 \
    " ingested_at, content_hash, duplicate_of, story, language_detected"

/* Exact entity counts: the stored ones plus the deltas not folded yet (at
 * most STORE_ENT_FOLD_ROWS rows, summed once per statement;
 * store_entity_write.c). A statement using ENT_COLS starts with ENT_DELTAS and
 * joins d. */
#define ENT_DELTAS                                                                                 \
    "WITH d(eid, a, m) AS MATERIALIZED (SELECT eid, sum(articles), sum(mentions)"                  \
    " FROM entity_deltas GROUP BY eid) "
#define ENT_ARTICLES "(e.articles + coalesce(d.a, 0))"
#define ENT_COLS     "e.eid, e.id, e.name, e.type, " ENT_ARTICLES ", e.mentions + coalesce(d.m, 0)"
#define ENT_JOIN_D   " LEFT JOIN d ON d.eid = e.eid"

/* The entities a list leaves out (?8: a JSON array of eids, or NULL). */
#define ENT_EXCLUDE " AND (?8 IS NULL OR e.eid NOT IN (SELECT value FROM json_each(?8)))"

/* The type and name-prefix filters of the entity list (?1..?5), and ?8. */
#define ENT_FILTER                                                                                 \
    "?1 <= ?2 AND (?3 IS NULL OR e.type = ?3)"                                                     \
    " AND (?4 IS NULL OR (e.name_fold >= ?4 AND e.name_fold < ?5) OR e.eid IN"                    \
    "  (SELECT eid FROM entity_aliases WHERE alias_fold >= ?4 AND alias_fold < ?5))" ENT_EXCLUDE

/* The search filters every search statement checks on the rows (?3 source,
 * ?4/?5 the ts window, ?10 the ent_index expression of the entities one of
 * which the article mentions, ?13 of those it mentions none of), on the
 * rows aliased a. */
#define SEARCH_ENT_FILTERS(a)                                                                      \
    " AND (?10 IS NULL OR " a ".seq IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?10))"   \
    " AND (?13 IS NULL OR " a ".seq NOT IN (SELECT rowid FROM ent_index WHERE ent_index MATCH"     \
    " ?13))"
#define SEARCH_FILTERS(a)                                                                          \
    " AND (?3 IS NULL OR " a ".source = ?3) AND " a ".ts >= ?4 AND " a                             \
    ".ts < ?5" SEARCH_ENT_FILTERS(a)

/* The group of an article under collapse=story: its story, or (no story
 * yet) itself, as a negative number no story id takes. */
#define STORE_STORY_KEY(a) "coalesce(" a ".story, -" a ".seq)"

/* The ordered searches (newest, oldest, ingested): phase 1 gives (seq, the
 * change number under ingested, 1); ?6/?7 the keyset cursor (ingested: ?6
 * the change number alone, unique); the ORDER BY; the index it walks. */
#define KEY_CHANGE     "coalesce(a.change_seq, a.seq)"
#define AFTER_NEWEST   " AND (?6 IS NULL OR a.ts < ?6 OR (a.ts = ?6 AND a.seq < ?7))"
#define AFTER_OLDEST   " AND (?6 IS NULL OR a.ts > ?6 OR (a.ts = ?6 AND a.seq > ?7))"
#define AFTER_INGESTED " AND (?6 IS NULL OR " KEY_CHANGE " < ?6)"
#define ORDER_NEWEST   " ORDER BY a.ts DESC, a.seq DESC LIMIT ?8"
#define ORDER_OLDEST   " ORDER BY a.ts, a.seq LIMIT ?8"
#define ORDER_INGESTED " ORDER BY " KEY_CHANGE " DESC LIMIT ?8"
/* the same orders with the index kept out of the ORDER BY: the rows come
 * from the WHERE (a window, an entity) and are sorted */
#define SORTED_NEWEST   " ORDER BY +a.ts DESC, +a.seq DESC LIMIT ?8"
#define SORTED_OLDEST   " ORDER BY +a.ts, +a.seq LIMIT ?8"
#define SORTED_INGESTED " ORDER BY +" KEY_CHANGE " DESC LIMIT ?8"

/* Every match looked up and sorted (few matches). */
#define SEARCH_ORDERED(key, join, after, order)                                                    \
    "SELECT a.seq, " key ", 1 FROM articles_fts f JOIN articles a " join " ON a.seq = f.rowid"     \
    " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2" SEARCH_FILTERS("a") after order
/* The order's index walked against the list of matching rowids. */
#define SEARCH_ORDERED_WALK(key, index, after, order)                                              \
    "SELECT a.seq, " key ", 1 FROM articles a " index                                              \
    " WHERE +a.seq IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1)"                \
    " AND a.seq <= ?2" SEARCH_FILTERS("a") after order
/* The order's index walked, FTS5 asked about each article. */
#define SEARCH_ORDERED_PROBE(key, index, after, order)                                             \
    "SELECT a.seq, " key ", 1 FROM articles a " index " WHERE a.ts >= ?4 AND a.ts < ?5" after      \
    " AND a.seq <= ?2"                                                                             \
    " AND EXISTS (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid = a.seq)"       \
    " AND (?3 IS NULL OR a.source = ?3)" SEARCH_ENT_FILTERS("a") order
/* Browsing, no full-text expression: the order's index walked, the filters
 * checked on each row it meets (stops at the page). */
#define BROWSE_WALK(key, index, after, order)                                                      \
    "SELECT a.seq, " key ", 1 FROM articles a " index " WHERE a.seq <= ?2" SEARCH_FILTERS("a")     \
        after order
/* Browsing few rows: those of the entities' (?10) or, without one, of the
 * window (the time index), looked up and sorted. A driver whose constant
 * condition is false is never opened. */
#define BROWSE_DRIVER_FROM(index)                                                                  \
    " FROM (SELECT rowid AS seq FROM ent_index WHERE ?10 IS NOT NULL AND ent_index MATCH ?10"      \
    " UNION ALL SELECT seq FROM articles INDEXED BY articles_ts"                                   \
    " WHERE ?10 IS NULL AND ts >= ?4 AND ts < ?5) m CROSS JOIN articles a " index                  \
    " ON a.seq = m.seq"
#define BROWSE_DRIVER BROWSE_DRIVER_FROM("")
#define BROWSE_SORT(key, after, order)                                                             \
    "SELECT a.seq, " key ", 1" BROWSE_DRIVER " WHERE a.seq <= ?2" SEARCH_FILTERS("a") after order

/* The hit's snippet, unless ?20 is bound (not NULL): a client whose fields=
 * lacks it does not pay for it (CASE evaluates only the branch taken). */
#define SEARCH_SNIPPET " CASE WHEN ?20 IS NULL THEN html_snippet(articles_fts, 1, 24) END"
/* Phase 2 of the two-phase searches (RSTMT_SEARCH_ONE and _UNRANKED): the
 * page's rows (?4, a JSON array of seqs between ?2 and ?3) with their rank
 * and html_snippet (and the title's html_highlight), in one pass over the
 * matches between the page's smallest and largest seq, so the snippet is
 * computed for the page only. */
#define SEARCH_ONE(rank)                                                                           \
    "SELECT a.id, a.title, a.source, a.published_at, " rank ", a.ts, a.seq," SEARCH_SNIPPET        \
    ", html_highlight(articles_fts, 0)"                                                            \
    " FROM articles_fts f JOIN articles a ON a.seq = f.rowid"                                      \
    " WHERE articles_fts MATCH ?1 AND f.rowid >= ?2 AND f.rowid <= ?3"                             \
    " AND +f.rowid IN (SELECT value FROM json_each(?4))"

const struct store_stmt_sql store_rstmts[] = {
    {RSTMT_GET, "SELECT " ARTICLE_COLS " FROM articles WHERE id = ?1"},
    {RSTMT_LIST, "SELECT " ARTICLE_COLS_NOBODY " FROM articles"
                 " WHERE ts >= ?1 AND ts < ?2"
                 " AND (ts < ?3 OR (ts = ?3 AND seq < ?4))"
                 " ORDER BY ts DESC, seq DESC LIMIT ?5"},
    {RSTMT_LIST_SOURCE, "SELECT " ARTICLE_COLS_NOBODY " FROM articles"
                        " WHERE source = ?6 AND ts >= ?1 AND ts < ?2"
                        " AND (ts < ?3 OR (ts = ?3 AND seq < ?4))"
                        " ORDER BY ts DESC, seq DESC LIMIT ?5"},
    /* Relevance search is one statement: FTS5 ranks every match in its own
     * sorter (ORDER BY rank alone is what it consumes), the rows then come
     * out best first, the filters are checked on articles_meta (a small
     * index, not the rows), and only the rows of the page are read and get a
     * snippet. Ties keep the sorter's order, the same for every page of one
     * snapshot. ?11: the window's floor; ?12: the rank function. */
    {RSTMT_SEARCH_RANK,
     "SELECT a.id, a.title, a.source, a.published_at, f.rank, a.ts, a.seq," SEARCH_SNIPPET
     ", html_highlight(articles_fts, 0)"
     " FROM articles_fts f CROSS JOIN articles m INDEXED BY articles_meta ON m.seq = f.rowid"
     " CROSS JOIN articles a ON a.seq = f.rowid"
     " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2 AND f.rowid >= ?11" SEARCH_FILTERS(
         "m") " AND f.rank MATCH ?12"
              " ORDER BY f.rank LIMIT ?8 OFFSET ?9"},
    /* Newest-first and collapsed search run in two phases: phase 1 picks the
     * page's rows (seq, rank, copies) without snippets; phase 2
     * (RSTMT_SEARCH_ONE) renders them. ?6/?7: the keyset cursor. */
    {RSTMT_SEARCH_NEWEST,
     "SELECT a.seq, 0, 1 FROM articles_fts f JOIN articles a INDEXED BY articles_meta ON a.seq = "
     "f.rowid"
     " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2" SEARCH_FILTERS(
         "a") " AND (?6 IS NULL OR a.ts < ?6 OR (a.ts = ?6 AND a.seq < ?7))"
              " ORDER BY a.ts DESC, a.seq DESC LIMIT ?8"},
    /* The matches passing the filters at or above rowid ?11. */
    {RSTMT_SEARCH_TOTAL,
     "SELECT count(*) FROM articles_fts f JOIN articles a INDEXED BY articles_meta ON a.seq = "
     "f.rowid"
     " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2" SEARCH_FILTERS("a") " AND f.rowid >= ?11"},
    {RSTMT_MAX_SEQ, "SELECT coalesce(max(seq), 0) FROM articles"},
    {RSTMT_POSTINGS, "SELECT rowid FROM fp_index WHERE fp_index MATCH ?1 LIMIT ?2"},
    {RSTMT_FPSET, "SELECT id, grp, content_hash, body FROM articles WHERE seq = ?1"},
    {RSTMT_SEQ_ID, "SELECT n, length(idx) / 8 FROM article_fps WHERE seq = ?1"},
    {RSTMT_EXACT, "SELECT id FROM articles WHERE content_hash = ?1 ORDER BY seq LIMIT 1000"},
    /* Collapsed search, phase 1: one row per copy group (grp), its best
     * rank, earliest matching member and matching copies; phase 2 renders
     * that member. ?6: newest first. */
    {RSTMT_SEARCH_COLLAPSE,
     "SELECT min(a.seq), min(f.rank), count(*)"
     " FROM articles_fts f JOIN articles a INDEXED BY articles_meta ON a.seq = f.rowid"
     " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2" SEARCH_FILTERS(
         "a") " GROUP BY a.grp"
              " ORDER BY CASE WHEN ?6 THEN -max(a.ts) ELSE min(f.rank) END, min(a.seq)"
              " LIMIT ?8 OFFSET ?9"},
    {RSTMT_SEARCH_COLLAPSE_TOTAL,
     "SELECT count(DISTINCT a.grp) FROM articles_fts f JOIN articles a INDEXED BY articles_meta ON "
     "a.seq = f.rowid"
     " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2" SEARCH_FILTERS("a")},
    /* phase 2 (SEARCH_ONE) with the query's score */
    {RSTMT_SEARCH_ONE, SEARCH_ONE("f.rank")},
    /* Newest first for a query with many matches: walk the sort-time index
     * from the newest end and stop at the page's last row, probing a list of
     * the matching rowids (FTS5 builds it from its doclists, without
     * ranking), instead of looking up and sorting every match. */
    {RSTMT_SEARCH_NEWEST_WALK,
     "SELECT a.seq, 0, 1 FROM articles a"
     " WHERE +a.seq IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1)"
     " AND a.seq <= ?2" SEARCH_FILTERS(
         "a") " AND (?6 IS NULL OR a.ts < ?6 OR (a.ts = ?6 AND a.seq < ?7))"
              " ORDER BY a.ts DESC, a.seq DESC LIMIT ?8"},
    /* When a good share of all articles match (a common word), building the
     * list of matching rowids costs more than the page: walk the time index
     * and ask FTS5 about each article in turn (a rowid look-up), stopping at
     * the page; a few dozen articles are enough. */
    {RSTMT_SEARCH_NEWEST_PROBE,
     "SELECT a.seq, 0, 1 FROM articles a INDEXED BY articles_ts"
     " WHERE a.ts >= ?4 AND a.ts < ?5 AND (?6 IS NULL OR a.ts < ?6 OR (a.ts = ?6 AND a.seq < ?7))"
     " AND a.seq <= ?2"
     " AND EXISTS (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid = a.seq)"
     " AND (?3 IS NULL OR a.source = ?3)" SEARCH_ENT_FILTERS(
         "a") " ORDER BY a.ts DESC, a.seq DESC LIMIT ?8"},
    /* The rowid of the ?3+1-th newest match, the floor of a relevance
     * window: FTS5 walks its doclists backwards by rowid without scoring
     * anything. */
    {RSTMT_SEARCH_FLOOR,
     "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid <= ?2"
     " ORDER BY rowid DESC LIMIT 1 OFFSET ?3"},
    /* The count without filters needs no look-up of the articles. */
    {RSTMT_SEARCH_TOTAL_FTS,
     "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid <= ?2"},
    {RSTMT_ENT_ALIASES, "SELECT alias FROM entity_aliases WHERE eid = ?1 LIMIT 50"},
    /* an entity no article mentions is shown when an editor touched it
     * (merged away, blocked, renamed) */
    {RSTMT_ENT_GET, ENT_DELTAS "SELECT " ENT_COLS " FROM entities e" ENT_JOIN_D
                               " WHERE e.id = ?1 AND (" ENT_ARTICLES " > 0"
                               " OR e.eid IN (SELECT eid FROM entity_curation))"},
    /* The entities without unfolded deltas come in stored order
     * (entities_rank), so the page is among their first offset+limit and
     * the ones with deltas. */
    {RSTMT_ENT_LIST, ENT_DELTAS
     ", top(eid) AS (SELECT e.eid FROM entities e"
     " WHERE e.articles > 0 AND e.eid NOT IN (SELECT eid FROM d) AND " ENT_FILTER
     " ORDER BY e.articles DESC, e.eid LIMIT ?6 + ?7),"
     " c(eid) AS (SELECT eid FROM top UNION SELECT eid FROM d)"
     " SELECT " ENT_COLS " FROM c CROSS JOIN entities e ON e.eid = c.eid" ENT_JOIN_D
     " WHERE " ENT_ARTICLES " > 0 AND " ENT_FILTER " ORDER BY 5 DESC, e.eid LIMIT ?6 OFFSET ?7"},
    /* Counts within a window: the window's articles (by time), then their
     * links. */
    {RSTMT_ENT_LIST_WINDOW,
     "SELECT e.eid, e.id, e.name, e.type, count(*) AS n,"
     " sum(json_extract(j.value, '$[1]'))"
     " FROM articles a INDEXED BY articles_ts CROSS JOIN article_ents ae ON ae.seq = a.seq"
     " CROSS JOIN json_each(ae.ents) j JOIN entities e ON e.eid = json_extract(j.value, "
     "'$[0]')"
     " WHERE a.ts >= ?1 AND a.ts < ?2 AND (?3 IS NULL OR e.type = ?3)"
     " AND (?4 IS NULL OR (e.name_fold >= ?4 AND e.name_fold < ?5) OR e.eid IN"
     "  (SELECT eid FROM entity_aliases WHERE alias_fold >= ?4 AND alias_fold < ?5))" ENT_EXCLUDE
     " GROUP BY e.eid ORDER BY n DESC, e.eid LIMIT ?6 OFFSET ?7"},
    /* one entity's exact article count */
    {RSTMT_ENT_SELF,
     "SELECT e.articles + coalesce((SELECT sum(articles) FROM entity_deltas WHERE eid = ?1), 0)"
     " FROM entities e WHERE e.eid = ?1"},
    /* Co-occurrence over the entity's 5,000 most recently stored articles
     * in the window [?3, ?4) (its ent_index doclist walked newest first,
     * each article's time read from articles_meta, stopping at 5,000), so
     * a very common entity costs a bounded amount; the last column is how
     * many of its articles were read (the sample the counts come from). */
    {RSTMT_ENT_RELATED,
     ENT_DELTAS ", mine(seq) AS MATERIALIZED (SELECT f.rowid FROM ent_index f"
     "  CROSS JOIN articles a INDEXED BY articles_meta ON a.seq = f.rowid"
     "  WHERE ent_index MATCH ?2 AND a.ts >= ?3 AND a.ts < ?4 ORDER BY f.rowid DESC LIMIT 5000)"
     " SELECT e.eid, e.id, e.name, e.type, " ENT_ARTICLES ", count(*) AS together,"
     " (SELECT count(*) FROM mine)"
     " FROM mine CROSS JOIN article_ents o ON o.seq = mine.seq CROSS JOIN json_each(o.ents) j"
     " JOIN entities e ON e.eid = json_extract(j.value, '$[0]')" ENT_JOIN_D
     " WHERE e.eid <> ?1 GROUP BY e.eid"},
    {RSTMT_ENT_ARTICLES,
     "SELECT a.seq, a.id, a.title, NULL, a.url, a.source, a.author, a.language,"
     " a.published_at, a.tags, a.ts, a.ingested_at, a.content_hash, a.duplicate_of, a.story,"
     " a.language_detected"
     " FROM (SELECT rowid AS seq FROM ent_index WHERE ent_index MATCH ?6) m"
     " CROSS JOIN articles a ON a.seq = m.seq"
     " WHERE a.ts >= ?1 AND a.ts < ?2 AND (a.ts < ?3 OR (a.ts = ?3 AND a.seq < ?4))"
     " ORDER BY a.ts DESC, a.seq DESC LIMIT ?5"},
    {RSTMT_ENT_ARTICLES_WALK,
     "SELECT a.seq, a.id, a.title, NULL, a.url, a.source, a.author, a.language,"
     " a.published_at, a.tags, a.ts, a.ingested_at, a.content_hash, a.duplicate_of, a.story,"
     " a.language_detected"
     " FROM articles a INDEXED BY articles_ts"
     " WHERE +a.seq IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?6)"
     " AND a.ts >= ?1 AND a.ts < ?2 AND (a.ts < ?3 OR (a.ts = ?3 AND a.seq < ?4))"
     " ORDER BY a.ts DESC, a.seq DESC LIMIT ?5"},
    {RSTMT_ENT_OF_ARTICLE,
     ENT_DELTAS "SELECT " ENT_COLS " FROM article_ents ae CROSS JOIN json_each(ae.ents) j"
                " JOIN entities e ON e.eid = json_extract(j.value, '$[0]')" ENT_JOIN_D
                " WHERE ae.seq = ?1 ORDER BY e.eid LIMIT ?2"},
    {RSTMT_ENT_MENTIONS, "SELECT data FROM article_mentions WHERE seq = ?1"},
    {RSTMT_BEGIN, "BEGIN"},
    {RSTMT_COMMIT, "COMMIT"},
    /* Relevance with filters that few matches pass, of a query with many
     * matches: RSTMT_SEARCH_RANK would have FTS5 rank every match in its own
     * sorter, one call that SQLite's progress handler cannot interrupt (a
     * common word in a 6-hour window at 1,000,000 articles: seconds past the
     * budget). Instead the passing rows are ranked one by one, each a step
     * the budget can stop, found by walking the matches and checking the
     * filters; bm25 is computed for the passing rows only. (Driving from the
     * time index instead asks FTS5 about one article at a time, and each
     * probe of a common word read its whole doclist.) Ties go by seq. Phase
     * 1 (the page's rows; phase 2 renders them, with snippets for the page
     * only). */
    {RSTMT_SEARCH_RANK_ROWS,
     "SELECT a.seq, articled_bm25(articles_fts, -1, " STORE_RANK_WEIGHTS ") AS r, 1"
     " FROM articles_fts f CROSS JOIN articles m INDEXED BY articles_meta ON m.seq = f.rowid"
     " CROSS JOIN articles a ON a.seq = f.rowid"
     " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2" SEARCH_FILTERS(
         "m") " ORDER BY r, a.seq LIMIT ?8 OFFSET ?9"},
    /* The change feed (store_changes.c): the articles, tombstones and
     * entity curations whose change number is in (?1, ?2], in commit order,
     * filtered by source (?3; curations have none) and by type (?4: the
     * enum store_change_type bits); ?2 bounds the rows read whatever the
     * filters let through. */
    {RSTMT_CHANGES,
     "SELECT cs, kind, id, at, ts, source, target FROM ("
     " SELECT coalesce(change_seq, seq) AS cs,"
     "  CASE WHEN coalesce(created_change, coalesce(change_seq, seq)) > ?1 THEN 1 ELSE 2 END"
     "  AS kind, id, ingested_at AS at, NULL AS ts, source, NULL AS target FROM articles"
     "  WHERE coalesce(change_seq, seq) > ?1 AND coalesce(change_seq, seq) <= ?2"
     "  AND (?3 IS NULL OR source = ?3)"
     " UNION ALL"
     " SELECT change_seq, 4, id, NULL, deleted_at, source, NULL FROM tombstones"
     "  WHERE change_seq > ?1 AND change_seq <= ?2 AND (?3 IS NULL OR source = ?3)"
     " UNION ALL"
     " SELECT l.change_seq, CASE l.op WHEN 'update' THEN 8 WHEN 'merge' THEN 16"
     "  WHEN 'block' THEN 32 ELSE 64 END, e.id, NULL, l.at, NULL, t.id"
     "  FROM curation_log l JOIN entities e ON e.eid = l.eid"
     "  LEFT JOIN entities t ON t.eid = l.target"
     "  WHERE l.change_seq > ?1 AND l.change_seq <= ?2 AND ?3 IS NULL"
     /* stories by their log (store_story.c): a merged one names its
      * survivor as it stands now (merges are flattened) */
     " UNION ALL"
     " SELECT g.change_seq, g.kind, CAST(g.id AS TEXT), NULL, g.at, NULL,"
     "  CAST(m.into_id AS TEXT) FROM story_log g LEFT JOIN story_merges m"
     "  ON g.kind = 256 AND m.id = g.id"
     "  WHERE g.change_seq > ?1 AND g.change_seq <= ?2 AND ?3 IS NULL)"
     " WHERE kind & ?4 ORDER BY cs LIMIT ?5"},
    /* the last change committed and the highest number pruned */
    {RSTMT_CHANGES_BOUNDS,
     "SELECT max(coalesce((SELECT max(coalesce(change_seq, seq)) FROM articles), 0),"
     " coalesce((SELECT max(change_seq) FROM tombstones), 0),"
     " coalesce((SELECT max(change_seq) FROM curation_log), 0),"
     " coalesce((SELECT max(change_seq) FROM story_log), 0), f.v), f.v"
     " FROM (SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta"
     "  WHERE name = 'change_floor'), 0) AS v) f"},
    /* stories (store_story.c): most recently active first, keyset paged on
     * (last_ts, id); active in [?1, ?2) means its span meets the window */
    {RSTMT_STORY_LIST, "SELECT id, title, articles, first_ts, last_ts FROM stories"
                       " WHERE last_ts >= ?1 AND first_ts < ?2 AND articles >= ?3"
                       " AND (last_ts < ?4 OR (last_ts = ?4 AND id < ?5))"
                       " ORDER BY last_ts DESC, id DESC LIMIT ?6"},
    {RSTMT_STORY_GET, "SELECT id, title, articles, first_ts, last_ts FROM stories WHERE id = ?1"},
    {RSTMT_STORY_SOURCES, "SELECT source, articles FROM story_sources WHERE story = ?1"
                          " ORDER BY articles DESC, source LIMIT ?2"},
    {RSTMT_STORY_NSOURCES, "SELECT count(*) FROM story_sources WHERE story = ?1"},
    {RSTMT_STORY_MEMBERS, "SELECT id, title, source, published_at, duplicate_of FROM articles"
                          " WHERE story = ?1 ORDER BY ts, seq LIMIT ?2"},
    /* a story's member times, oldest first (the covering articles_story) */
    {RSTMT_STORY_TIMELINE, "SELECT ts FROM articles WHERE story = ?1 ORDER BY ts, seq LIMIT ?2"},
    /* an entity's articles and distinct stories per bucket of ?5 seconds
     * from ?2 (aligned), over its ?4 most recently stored articles */
    {RSTMT_ENT_TIMELINE,
     "SELECT (a.ts - ?2) / ?5, count(*), count(DISTINCT a.story)"
     " FROM (SELECT rowid AS seq FROM ent_index WHERE ent_index MATCH ?1"
     "       ORDER BY rowid DESC LIMIT ?4) m"
     " CROSS JOIN articles a ON a.seq = m.seq"
     " WHERE a.ts >= ?2 AND a.ts < ?3 GROUP BY 1"},
    /* a story's members oldest first, keyset paged on (ts, seq) after
     * (?3, ?4) (store_list_collect's bindings, ?6 the story) */
    {RSTMT_STORY_ARTICLES, "SELECT " ARTICLE_COLS_NOBODY " FROM articles"
                           " WHERE story = ?6 AND ts >= ?1 AND ts < ?2"
                           " AND (ts > ?3 OR (ts = ?3 AND seq > ?4)) ORDER BY ts, seq LIMIT ?5"},
    /* the listing of the stories with a member among the ?9 most recently
     * stored articles matching ?7 (FTS5: words and source token), and
     * mentioning entity token ?8 when not NULL; then only ?8 */
    {RSTMT_STORY_LIST_FTS,
     "SELECT id, title, articles, first_ts, last_ts FROM stories WHERE id IN"
     " (SELECT a.story FROM (SELECT rowid AS seq FROM articles_fts WHERE articles_fts MATCH ?7"
     "   AND (?8 IS NULL OR rowid IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?8))"
     "   ORDER BY rowid DESC LIMIT ?9) m CROSS JOIN articles a ON a.seq = m.seq)"
     " AND last_ts >= ?1 AND first_ts < ?2 AND articles >= ?3"
     " AND (last_ts < ?4 OR (last_ts = ?4 AND id < ?5))"
     " ORDER BY last_ts DESC, id DESC LIMIT ?6"},
    {RSTMT_STORY_LIST_ENT,
     "SELECT id, title, articles, first_ts, last_ts FROM stories WHERE id IN"
     " (SELECT a.story FROM (SELECT rowid AS seq FROM ent_index WHERE ent_index MATCH ?8"
     "   ORDER BY rowid DESC LIMIT ?9) m CROSS JOIN articles a ON a.seq = m.seq)"
     " AND last_ts >= ?1 AND first_ts < ?2 AND articles >= ?3"
     " AND (last_ts < ?4 OR (last_ts = ?4 AND id < ?5))"
     " ORDER BY last_ts DESC, id DESC LIMIT ?6"},
    {RSTMT_STORY_MERGED, "SELECT into_id FROM story_merges WHERE id = ?1"},
    /* what editors made of an entity: the survivor's id when merged away */
    {RSTMT_ENT_CURATION, "SELECT t.id, c.blocked FROM entity_curation c"
                         " LEFT JOIN entities t ON t.eid = c.merged_into WHERE c.eid = ?1"},
    /* Search cards (store_cards.c): the page's rows (?1, a JSON array of at
     * most 100 seqs) by primary key; then their entities, the
     * STORE_CARD_ENTITIES_MAX (?2) most mentioned of each with their names,
     * in one statement: a page reads its articles' links once and looks up
     * at most 5 names a hit. */
    {RSTMT_CARD_ARTICLES, "SELECT a.seq, a.url, a.author, a.language, a.tags, a.duplicate_of,"
                          " a.story FROM json_each(?1) p CROSS JOIN articles a ON a.seq = p.value"},
    {RSTMT_CARD_ENTITIES,
     "SELECT l.seq, e.id, e.name, e.type FROM"
     " (SELECT ae.seq AS seq, json_extract(j.value, '$[0]') AS eid,"
     "  row_number() OVER (PARTITION BY ae.seq ORDER BY json_extract(j.value, '$[1]') DESC,"
     "  json_extract(j.value, '$[0]')) AS rk"
     "  FROM json_each(?1) p CROSS JOIN article_ents ae ON ae.seq = p.value"
     "  CROSS JOIN json_each(ae.ents) j) l"
     " CROSS JOIN entities e ON e.eid = l.eid WHERE l.rk <= ?2 ORDER BY l.seq, l.rk"},
    /* Facets (store_facets.c): every match's rowid, from the full-text
     * index alone (FTS5 walks its doclists; no row is read); ?3 an entity's
     * ent_index token, or NULL. */
    {RSTMT_FACET_MATCHES,
     "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid <= ?2"
     " AND (?3 IS NULL OR rowid IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?3))"
     " AND (?4 IS NULL OR rowid NOT IN (SELECT rowid FROM ent_index WHERE ent_index MATCH ?4))"},
    {RSTMT_FACET_ENTITY_ROWS,
     "SELECT rowid FROM ent_index WHERE ent_index MATCH ?1 AND rowid <= ?2"},
    {RSTMT_FACET_ENTITY, "SELECT id, name, type FROM entities WHERE eid = ?1"},
    {RSTMT_SEARCH_OLDEST,
     SEARCH_ORDERED("0", "INDEXED BY articles_meta", AFTER_OLDEST, ORDER_OLDEST)},
    {RSTMT_SEARCH_OLDEST_WALK,
     SEARCH_ORDERED_WALK("0", "INDEXED BY articles_ts", AFTER_OLDEST, ORDER_OLDEST)},
    {RSTMT_SEARCH_OLDEST_PROBE,
     SEARCH_ORDERED_PROBE("0", "INDEXED BY articles_ts", AFTER_OLDEST, ORDER_OLDEST)},
    {RSTMT_SEARCH_INGESTED, SEARCH_ORDERED(KEY_CHANGE, "", AFTER_INGESTED, ORDER_INGESTED)},
    {RSTMT_SEARCH_INGESTED_WALK,
     SEARCH_ORDERED_WALK(KEY_CHANGE, "INDEXED BY articles_change", AFTER_INGESTED, ORDER_INGESTED)},
    {RSTMT_SEARCH_INGESTED_PROBE, SEARCH_ORDERED_PROBE(KEY_CHANGE, "INDEXED BY articles_change",
                                                       AFTER_INGESTED, ORDER_INGESTED)},
    {RSTMT_BROWSE_NEWEST, BROWSE_WALK("0", "INDEXED BY articles_ts", AFTER_NEWEST, ORDER_NEWEST)},
    {RSTMT_BROWSE_OLDEST, BROWSE_WALK("0", "INDEXED BY articles_ts", AFTER_OLDEST, ORDER_OLDEST)},
    {RSTMT_BROWSE_INGESTED,
     BROWSE_WALK(KEY_CHANGE, "INDEXED BY articles_change", AFTER_INGESTED, ORDER_INGESTED)},
    {RSTMT_BROWSE_NEWEST_SORT, BROWSE_SORT("0", AFTER_NEWEST, SORTED_NEWEST)},
    {RSTMT_BROWSE_OLDEST_SORT, BROWSE_SORT("0", AFTER_OLDEST, SORTED_OLDEST)},
    {RSTMT_BROWSE_INGESTED_SORT, BROWSE_SORT(KEY_CHANGE, AFTER_INGESTED, SORTED_INGESTED)},
    /* phase 2 without a query: no score (bm25 would first count every
     * article carrying each filter token, for each row rendered alone) */
    {RSTMT_SEARCH_ONE_UNRANKED, SEARCH_ONE("0")},
    /* the rows a browse lets through (on articles_meta: no row read) */
    {RSTMT_BROWSE_TOTAL, "SELECT count(*)" BROWSE_DRIVER_FROM(
                             "INDEXED BY articles_meta") " WHERE a.seq <= ?2" SEARCH_FILTERS("a")},
    /* collapse=story, phase 1: one row per story (an article without one,
     * before the backfill, is its own), read from articles_meta (which
     * holds the story): the seq of its best-ranked matching member (SQLite
     * takes a bare column from the row of the one min()), that rank, its
     * matching members; best story first. Phase 2 (RSTMT_SEARCH_ONE) renders
     * the members. */
    {RSTMT_SEARCH_STORY,
     "SELECT a.seq, min(f.rank), count(*)"
     " FROM articles_fts f JOIN articles a INDEXED BY articles_meta ON a.seq = f.rowid"
     " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2" SEARCH_FILTERS(
         "a") " GROUP BY " STORE_STORY_KEY("a") " ORDER BY 2, 1 LIMIT ?8 OFFSET ?9"},
    /* the same by newest: each story's newest matching member (the bare
     * columns of the one max()), stories by that member's time */
    {RSTMT_SEARCH_STORY_NEWEST,
     "SELECT a.seq, f.rank, count(*), max(a.ts)"
     " FROM articles_fts f JOIN articles a INDEXED BY articles_meta ON a.seq = f.rowid"
     " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2" SEARCH_FILTERS(
         "a") " GROUP BY " STORE_STORY_KEY("a") " ORDER BY 4 DESC, 1 DESC LIMIT ?8 OFFSET ?9"},
    {RSTMT_SEARCH_STORY_TOTAL,
     "SELECT count(DISTINCT " STORE_STORY_KEY("a") ")"
     " FROM articles_fts f JOIN articles a INDEXED BY articles_meta ON a.seq = f.rowid"
     " WHERE articles_fts MATCH ?1 AND f.rowid <= ?2" SEARCH_FILTERS("a")},
    /* the page's stories (?1: a JSON array of the hits' seqs): id, members,
     * distinct outlets (a range of story_sources' key per hit); an article
     * without a story counts as one member from its one outlet */
    {RSTMT_SEARCH_STORY_INFO,
     "SELECT a.seq, coalesce(a.story, 0), coalesce(s.articles, 1),"
     " CASE WHEN s.id IS NULL THEN 1"
     " ELSE (SELECT count(*) FROM story_sources ss WHERE ss.story = s.id) END"
     " FROM articles a INDEXED BY articles_meta LEFT JOIN stories s ON s.id = a.story"
     " WHERE a.seq IN (SELECT value FROM json_each(?1))"},
    /* collapse=story without a query or filter: the time index walked newest
     * first from the keyset cursor (a range on ts: the walk starts at the
     * cursor instead of skipping to it), keeping an article when no member of its
     * story in the snapshot is newer (one seek in articles_story), so a page
     * reads the articles of its own time span, not the store; the third
     * column: the story's members in the snapshot (a range of
     * articles_story per hit). */
    {RSTMT_BROWSE_STORY,
     "SELECT a.seq, 0, CASE WHEN a.story IS NULL THEN 1 ELSE"
     " (SELECT count(*) FROM articles c INDEXED BY articles_story"
     "  WHERE c.story = a.story AND c.seq <= ?2) END"
     " FROM articles a INDEXED BY articles_ts"
     " WHERE a.ts <= coalesce(?6, 9223372036854775807) AND a.seq <= ?2" AFTER_NEWEST
     " AND (a.story IS NULL OR NOT EXISTS (SELECT 1 FROM articles b INDEXED BY articles_story"
     "  WHERE b.story = a.story AND b.ts >= a.ts AND (b.ts > a.ts OR b.seq > a.seq)"
     "  AND b.seq <= ?2))" ORDER_NEWEST},
    /* its total: the stories kept by the writer and the articles still
     * without one (the backfill's partial index), as of now like the count
     * of every article an unfiltered browse gives */
    {RSTMT_BROWSE_STORY_TOTAL,
     "SELECT (SELECT count(*) FROM stories)"
     " + (SELECT count(*) FROM articles INDEXED BY articles_story_todo WHERE story IS NULL)"},
};

_Static_assert(sizeof store_rstmts / sizeof store_rstmts[0] == RSTMT_COUNT_,
               "store_rstmts needs one entry per enum store_rstmt");
