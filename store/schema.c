/* schema.c: articled's migrations (see schema.h). Append new steps at the end;
 * never edit a released one. */
#include "store/schema.h"

#include <stdio.h>

static const char *const migrations[] = {
    /* 1: articles, their full-text index kept in step by triggers. `ts` is the
     * sort key (published time, else ingestion time), unix seconds. */
    "CREATE TABLE articles ("
    "  seq INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  title TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  url TEXT, source TEXT, author TEXT, language TEXT,"
    "  published_at TEXT, tags TEXT,"
    "  ts INTEGER NOT NULL,"
    "  ingested_at TEXT NOT NULL,"
    "  content_hash TEXT NOT NULL,"
    "  duplicate_of TEXT"
    ");"
    "CREATE INDEX articles_ts ON articles(ts, seq);"
    "CREATE INDEX articles_source_ts ON articles(source, ts, seq);"
    "CREATE INDEX articles_hash ON articles(content_hash, seq);"
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content='articles',"
    "  content_rowid='seq', tokenize='porter unicode61 remove_diacritics 2');"
    "INSERT INTO articles_fts(articles_fts, rank) VALUES('rank', 'bm25(4.0, 1.0)');"
    "CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN"
    "  INSERT INTO articles_fts(rowid, title, body) VALUES (new.seq, new.title, new.body);"
    "END;"
    "CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN"
    "  INSERT INTO articles_fts(articles_fts, rowid, title, body)"
    "    VALUES ('delete', old.seq, old.title, old.body);"
    "END;"
    "CREATE TRIGGER articles_au AFTER UPDATE OF title, body ON articles BEGIN"
    "  INSERT INTO articles_fts(articles_fts, rowid, title, body)"
    "    VALUES ('delete', old.seq, old.title, old.body);"
    "  INSERT INTO articles_fts(rowid, title, body) VALUES (new.seq, new.title, new.body);"
    "END;",

    /* 2: near-duplicate fingerprints. `fingerprints` is the inverted index
     * (hash -> article) used to find candidates by look-up; `article_fps` keeps
     * each article's whole set (sorted int64 blob) for exact containment and
     * for removing its postings. `grp` labels a group of copies by the seq of
     * its earliest member, for collapsed search. */
    "CREATE TABLE fingerprints ("
    "  hash INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (hash, seq)"
    ") WITHOUT ROWID;"
    "CREATE TABLE article_fps ("
    "  seq INTEGER PRIMARY KEY,"
    "  n INTEGER NOT NULL,"
    "  hashes BLOB NOT NULL"
    ");"
    "ALTER TABLE articles ADD COLUMN grp INTEGER;"
    "UPDATE articles SET grp = coalesce((SELECT min(b.seq) FROM articles b"
    "  WHERE b.content_hash = articles.content_hash), seq);"
    "CREATE INDEX articles_grp ON articles(grp);",

    /* 3: entities. One row per canonical entity (merge key), its aliases, the
     * articles that mention it (with the article's sort time, for windows and
     * newest-first lists) and every mention's span. The type filter of the
     * entity list walks entities_rank: types are few, so no index of its own. Counts on `entities`
     * are kept exact by the writer under insert, replace and delete. */
    "CREATE TABLE entities ("
    "  eid INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  key TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  name_fold TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  articles INTEGER NOT NULL DEFAULT 0,"
    "  mentions INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX entities_rank ON entities(articles, eid);"
    "CREATE INDEX entities_fold ON entities(name_fold);"
    "CREATE TABLE entity_aliases ("
    "  eid INTEGER NOT NULL,"
    "  alias TEXT NOT NULL,"
    "  alias_fold TEXT NOT NULL,"
    "  PRIMARY KEY (eid, alias)"
    ") WITHOUT ROWID;"
    "CREATE INDEX entity_aliases_fold ON entity_aliases(alias_fold);"
    "CREATE TABLE article_entities ("
    "  seq INTEGER NOT NULL,"
    "  eid INTEGER NOT NULL,"
    "  mentions INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  PRIMARY KEY (seq, eid)"
    ") WITHOUT ROWID;"
    "CREATE INDEX article_entities_eid ON article_entities(eid, ts, seq);"
    "CREATE INDEX article_entities_ts ON article_entities(ts);"
    /* an article's mentions in one row: (start, end, bstart, bend, eid) as
     * little-endian int64s, in text order */
    "CREATE TABLE article_mentions ("
    "  seq INTEGER PRIMARY KEY,"
    "  data BLOB NOT NULL"
    ");"
    /* 0: stored before entities existed; filled in at the next start */
    "ALTER TABLE articles ADD COLUMN entities_done INTEGER NOT NULL DEFAULT 0;",

    /* 4: the writer keeps articles_fts in step itself, once per transaction
     * in rowid order (store_fts_flush): the triggers wrote it inside each
     * op's savepoint, and SQLite 3.40's FTS5 turns every savepoint into a
     * segment of its own. */
    "DROP TRIGGER articles_ai;"
    "DROP TRIGGER articles_ad;"
    "DROP TRIGGER articles_au;",

    /* 5: the inverted fingerprint index becomes an FTS5 table (one token per
     * index fingerprint, document = article seq): FTS5 merges its segments
     * in the background of commits, where a B-tree keyed by a random hash
     * took a random page write per fingerprint once it outgrew the cache.
     * article_fps keeps each article's index set (to delete its tokens) and
     * the size of its whole set (to estimate a candidate's containment
     * before computing it); whole sets are computed again from the body. Every
     * article is fingerprinted again at the next start (fp_done = 0), as the
     * sets changed form. The two partial indexes list the backfills' work. */
    "DROP TABLE fingerprints;"
    "DROP TABLE article_fps;"
    "CREATE TABLE article_fps ("
    "  seq INTEGER PRIMARY KEY,"
    "  n INTEGER NOT NULL,"
    "  idx BLOB NOT NULL"
    ");"
    "CREATE VIRTUAL TABLE fp_index USING fts5(fp, content='', detail=none, columnsize=0,"
    "  tokenize='ascii');"
    "ALTER TABLE articles ADD COLUMN fp_done INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX articles_fp_todo ON articles(seq) WHERE fp_done = 0;"
    "CREATE INDEX articles_entities_todo ON articles(seq) WHERE entities_done = 0;",

    /* 6: entity counts in a time window go through the articles' own time
     * index; this one cost a random insert per link at ingest. */
    "DROP INDEX article_entities_ts;",

    /* 7: fp_index tokens shortened to 8 characters: the index is rebuilt by
     * the backfill at the next start. */
    "INSERT INTO fp_index(fp_index) VALUES('delete-all');"
    "DELETE FROM article_fps;"
    "UPDATE articles SET fp_done = 0;",

    /* 8: what search filters and sorts on, per seq: a search joins its
     * matches with this (INDEXED BY) instead of reading each match's whole
     * row, body and all. Appended in seq order, so cheap to keep. */
    "CREATE INDEX articles_meta ON articles(seq, ts, source, grp);",

    /* 9: which articles mention an entity is an FTS5 index (token "e<eid>",
     * document = article seq), written once per transaction and merged in
     * the background like the full-text index, where the (eid, ts, seq)
     * B-tree took a random page write per link. Each article's entities
     * and their mention counts are one JSON row ([[eid, mentions], ...]). */
    "CREATE VIRTUAL TABLE ent_index USING fts5(e, content='', detail=none, columnsize=0,"
    "  tokenize='ascii');"
    "CREATE TABLE article_ents ("
    "  seq INTEGER PRIMARY KEY,"
    "  ents TEXT NOT NULL"
    ");"
    "INSERT INTO article_ents (seq, ents)"
    "  SELECT seq, json_group_array(json_array(eid, mentions)) FROM"
    "  (SELECT seq, eid, mentions FROM article_entities ORDER BY seq, eid) GROUP BY seq;"
    "INSERT INTO ent_index (rowid, e)"
    "  SELECT seq, group_concat('e' || eid, ' ') FROM"
    "  (SELECT seq, eid FROM article_entities ORDER BY seq, eid) GROUP BY seq;"
    "DROP TABLE article_entities;",

    /* 10: an article's source is a token of the full-text index (a third
     * column, src, weight 0), so a search by source is one FTS5 query:
     * FTS5 intersects the doclists, where checking every match's row cost
     * a look-up per match (a common word at 1,000,000 articles: hundreds of
     * thousands). The token is "zzs" + the source's bytes in hex + "q": one
     * token per exact source (case kept), which no stemming rule changes;
     * no token for a missing or empty source. The content is a view, so
     * FTS5 reads the token as it reads title and body; the writer indexes
     * the same expression (store_write.c, SQL_FTS_INSERT). The index is
     * built again from the articles (4.4 s at 50,000 articles, measured). */
    "DROP TABLE articles_fts;"
    "CREATE VIEW articles_fts_content AS SELECT seq, title, body,"
    "  CASE WHEN source IS NULL OR source = '' THEN NULL ELSE 'zzs' || hex(source) || 'q' END"
    "  AS src FROM articles;"
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, src,"
    "  content='articles_fts_content', content_rowid='seq',"
    "  tokenize='porter unicode61 remove_diacritics 2');"
    "INSERT INTO articles_fts(articles_fts, rank) VALUES('rank', 'bm25(4.0, 1.0, 0.0)');"
    "INSERT INTO articles_fts(articles_fts) VALUES('rebuild');",

    /* 11: the database's own secrets, made once when it is created or
     * migrated: the key that signs page cursors (a cursor from one database
     * means nothing to another, and a client cannot forge one). */
    ("CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;"
     "INSERT INTO meta (name, value) VALUES ('cursor_key', randomblob(32));"),

    /* 12: the change sequence, the spine of the change feed and of
     * replication: every committed create, replace and delete takes the next
     * number, in commit order (store_write.c). An article carries the number
     * of its last write; a delete leaves a tombstone with its own, kept at
     * least --tombstone-days; meta.change_floor remembers the highest number
     * pruned, so numbers never go back. Rows stored before this carry NULL
     * and count as their seq (all below any new number): the expression
     * index reads them without rewriting every row. Entity counts change by
     * rows appended to entity_deltas, folded into entities in bulk
     * (store_entity_write.c): updated in place at every commit they were half
     * of the writer's WAL pages. */
    "ALTER TABLE articles ADD COLUMN change_seq INTEGER;"
    "CREATE INDEX articles_change ON articles(coalesce(change_seq, seq));"
    "CREATE TABLE tombstones ("
    "  change_seq INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL,"
    "  deleted_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE entity_deltas ("
    "  eid INTEGER NOT NULL,"
    "  articles INTEGER NOT NULL,"
    "  mentions INTEGER NOT NULL"
    ");",
    /* 13: the change feed (store_changes.c) tells a created article from an
     * updated one by the change number of its creation, and keeps a deleted
     * article's source on its tombstone (for its source filter). Rows from
     * before count as created and as deleted from no source. */
    "ALTER TABLE articles ADD COLUMN created_change INTEGER;"
    "ALTER TABLE tombstones ADD COLUMN source TEXT;",
    /* 14: stories (store_story.c, analysis/story.h). A story's centroid is
     * its bounded feature vector; story_terms indexes its heaviest features
     * by the day of its last report, so candidates come from a range look-up
     * per feature (a B-tree, not FTS5: it is read back by the writer inside
     * the transaction that changed it, which FTS5's pending terms would not
     * give in the same order under every grouping of commits). story_df
     * counts the articles that carry each feature (its rarity). Articles
     * stored before this migration have no story (NULL). */
    "ALTER TABLE articles ADD COLUMN story INTEGER;"
    "CREATE INDEX articles_story ON articles(story, ts, seq) WHERE story IS NOT NULL;"
    "CREATE TABLE stories ("
    "  id INTEGER PRIMARY KEY,"
    "  title TEXT NOT NULL,"
    "  title_score REAL NOT NULL,"
    "  articles INTEGER NOT NULL,"
    "  first_ts INTEGER NOT NULL,"
    "  last_ts INTEGER NOT NULL,"
    "  centroid BLOB NOT NULL"
    ");"
    "CREATE INDEX stories_last ON stories(last_ts, id);"
    "CREATE TABLE story_sources ("
    "  story INTEGER NOT NULL,"
    "  source TEXT NOT NULL,"
    "  articles INTEGER NOT NULL,"
    "  PRIMARY KEY (story, source)"
    ") WITHOUT ROWID;"
    "CREATE TABLE story_terms ("
    "  h INTEGER NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  story INTEGER NOT NULL,"
    "  PRIMARY KEY (h, day, story)"
    ") WITHOUT ROWID;"
    "CREATE TABLE story_df ("
    "  h INTEGER PRIMARY KEY,"
    "  n INTEGER NOT NULL"
    ");",
    /* 15: entity curation (store_entity_curate.c). entity_keys maps a
     * merge key to the entity it now resolves to, whatever entity the key
     * names: a curated alias (why 'alias'),
     * a merged entity's own and alias keys (why 'merge'), a blocked
     * entity's alias keys (why 'block'); origin is the entity whose
     * curation made the row. entity_curation holds what an editor decided
     * about an entity: its name and type set by hand (named), its curated
     * aliases (a JSON array, to list and remove them), merged into
     * another (merged_into: always the surviving entity, chains are
     * flattened), blocked, and whether its links still have to move
     * (moving: a merge or block rewrites its articles in chunks, resumed
     * after a crash). curation_log records each curation with its number
     * in the change sequence, for the change feed. */
    "CREATE TABLE entity_keys ("
    "  key TEXT PRIMARY KEY,"
    "  eid INTEGER NOT NULL,"
    "  origin INTEGER NOT NULL,"
    "  why TEXT NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX entity_keys_eid ON entity_keys(eid);"
    "CREATE INDEX entity_keys_origin ON entity_keys(origin, why);"
    "CREATE TABLE entity_curation ("
    "  eid INTEGER PRIMARY KEY,"
    "  named INTEGER NOT NULL DEFAULT 0,"
    "  aliases TEXT,"
    "  merged_into INTEGER,"
    "  blocked INTEGER NOT NULL DEFAULT 0,"
    "  moving INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX entity_curation_into ON entity_curation(merged_into)"
    "  WHERE merged_into IS NOT NULL;"
    "CREATE INDEX entity_curation_moving ON entity_curation(eid) WHERE moving = 1;"
    "CREATE TABLE curation_log ("
    "  change_seq INTEGER PRIMARY KEY,"
    "  op TEXT NOT NULL,"
    "  eid INTEGER NOT NULL,"
    "  target INTEGER,"
    "  at INTEGER NOT NULL"
    ");",
    /* 16: stories merged away (store_story.c): a story an article bridged
     * with an older one answers with the survivor (into_id, always a live
     * story: chains are flattened); its id is never given again. */
    "CREATE TABLE story_merges ("
    "  id INTEGER PRIMARY KEY,"
    "  into_id INTEGER NOT NULL"
    ");"
    "CREATE INDEX story_merges_into ON story_merges(into_id);"
    /* articles stored before stories (migration 14) wait for the backfill
     * (pipeline/backfill.c): its list of work */
    "CREATE INDEX articles_story_todo ON articles(seq) WHERE story IS NULL;",
    /* 17: search filters by tag, language and author, OR-lists and
     * exclusions, as tokens of the src column beside the source's (see
     * SCHEMA_SRC_TOKENS, schema.h): FTS5 intersects them with the query,
     * and a browse by filters alone is an FTS5 query of filter tokens
     * (zzxq, which every article carries, stands for "every article" before
     * a NOT). The view is redefined and the index built again from the
     * articles. (SCHEMA_SRC_TOKENS is this step's text: change it only with
     * a new step that rebuilds the index.) */
    "DROP TABLE articles_fts;"
    "DROP VIEW articles_fts_content;"
    "CREATE VIEW articles_fts_content AS SELECT seq, title, body, " SCHEMA_SRC_TOKENS(
        "source", "tags", "language", "author") " AS src FROM articles;"
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, src,"
    "  content='articles_fts_content', content_rowid='seq',"
    "  tokenize='porter unicode61 remove_diacritics 2');"
    "INSERT INTO articles_fts(articles_fts, rank) VALUES('rank', 'bm25(4.0, 1.0, 0.0)');"
    "INSERT INTO articles_fts(articles_fts) VALUES('rebuild');",
    /* 18: stories in the change feed (store_story.c, store_changes.c): one
     * row per story ever announced, at its last change number (a story
     * touched in a commit takes one number in it, whatever its members
     * did), kind its STORE_CHANGE_STORY_* bit (128 updated, 256 merged,
     * 512 deleted), at the commit's Unix time. Deleted stories' rows are
     * pruned with the tombstones (change_floor); the others stay, one per
     * story. Stories from before are announced at their next change. */
    "CREATE TABLE story_log ("
    "  id INTEGER PRIMARY KEY,"
    "  change_seq INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  at INTEGER NOT NULL"
    ");"
    "CREATE UNIQUE INDEX story_log_change ON story_log(change_seq);"
    "CREATE INDEX story_log_gone ON story_log(at) WHERE kind = 512;",
    /* 19: whether an article's language was detected (pipeline/
     * stage_language.c) rather than given; articles stored before keep
     * theirs as they are (README "Languages") */
    "ALTER TABLE articles ADD COLUMN language_detected INTEGER NOT NULL DEFAULT 0;",
    /* 20: collapse=story (store_search.c) groups the matches by story on
     * the index the search filters read, without reading each row (its
     * story column sits after the body): articles_meta gains the story. */
    "DROP INDEX articles_meta;"
    "CREATE INDEX articles_meta ON articles(seq, ts, source, grp, story);",
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int schema_latest(void)
{
    return NMIGRATIONS;
}

int schema_version(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

int schema_migrate(sqlite3 *db, int target, struct error *err)
{
    int v = schema_version(db);

    if (v < 0) {
        error_set(err, ERR_INTERNAL, "cannot read schema version: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (v > NMIGRATIONS) {
        error_set(err, ERR_INTERNAL,
                  "database schema version %d is newer than this build knows (%d)", v, NMIGRATIONS);
        return -1;
    }
    if (target > NMIGRATIONS)
        target = NMIGRATIONS;
    for (; v < target; v++) {
        char *msg = NULL;
        char pragma[64];
        int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, migrations[v], NULL, NULL, &msg);
        snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v + 1);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, pragma, NULL, NULL, &msg);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            error_set(err, ERR_INTERNAL, "migration to version %d failed: %s", v + 1,
                      msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return 0;
}
