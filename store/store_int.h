/* store_int.h: the store's private parts shared by its own files (store.c,
 * store_articles.c, store_search.c, store_write.c...). Not for use outside
 * store/ (tests aside). */
#ifndef ARTICLED_STORE_INT_H
#define ARTICLED_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "store/fpfilter.h"
#include "store/fpsizes.h"
#include "store/rank.h"
#include "store/snippet.h"
#include "store/store.h"

/* Cached statements of a read connection; their SQL is store_rstmts[id]
 * (store_stmts.c), in this order. */
enum store_rstmt {
    RSTMT_GET,
    RSTMT_LIST,
    RSTMT_LIST_SOURCE,
    RSTMT_SEARCH_RANK,
    RSTMT_SEARCH_NEWEST,
    RSTMT_SEARCH_TOTAL,
    RSTMT_MAX_SEQ,
    RSTMT_POSTINGS,
    RSTMT_FPSET,
    RSTMT_SEQ_ID,
    RSTMT_EXACT,
    RSTMT_SEARCH_COLLAPSE,
    RSTMT_SEARCH_COLLAPSE_TOTAL,
    RSTMT_SEARCH_ONE,
    RSTMT_SEARCH_NEWEST_WALK,
    RSTMT_SEARCH_NEWEST_PROBE,
    RSTMT_SEARCH_FLOOR,
    RSTMT_SEARCH_TOTAL_FTS,
    RSTMT_ENT_ALIASES,
    RSTMT_ENT_GET,
    RSTMT_ENT_LIST,
    RSTMT_ENT_LIST_WINDOW,
    RSTMT_ENT_SELF,
    RSTMT_ENT_RELATED,
    RSTMT_ENT_ARTICLES,
    RSTMT_ENT_ARTICLES_WALK,
    RSTMT_ENT_OF_ARTICLE,
    RSTMT_ENT_MENTIONS,
    RSTMT_BEGIN,
    RSTMT_COMMIT,
    RSTMT_SEARCH_RANK_ROWS,
    RSTMT_CHANGES,
    RSTMT_CHANGES_BOUNDS,
    RSTMT_STORY_LIST,
    RSTMT_STORY_GET,
    RSTMT_STORY_SOURCES,
    RSTMT_STORY_NSOURCES,
    RSTMT_STORY_MEMBERS,
    RSTMT_STORY_TIMELINE,
    RSTMT_ENT_TIMELINE,
    RSTMT_STORY_ARTICLES,
    RSTMT_STORY_LIST_FTS,
    RSTMT_STORY_LIST_ENT,
    RSTMT_STORY_MERGED,
    RSTMT_ENT_CURATION,
    RSTMT_CARD_ARTICLES,
    RSTMT_CARD_ENTITIES,
    RSTMT_FACET_MATCHES,
    RSTMT_FACET_ENTITY_ROWS,
    RSTMT_FACET_ENTITY,
    /* oldest first and commit order (ingested): as RSTMT_SEARCH_NEWEST,
     * _WALK and _PROBE */
    RSTMT_SEARCH_OLDEST,
    RSTMT_SEARCH_OLDEST_WALK,
    RSTMT_SEARCH_OLDEST_PROBE,
    RSTMT_SEARCH_INGESTED,
    RSTMT_SEARCH_INGESTED_WALK,
    RSTMT_SEARCH_INGESTED_PROBE,
    /* browsing without a full-text expression, by sort: the order's index
     * walked, or the rows of the window or entity sorted; the count */
    RSTMT_BROWSE_NEWEST,
    RSTMT_BROWSE_OLDEST,
    RSTMT_BROWSE_INGESTED,
    RSTMT_BROWSE_NEWEST_SORT,
    RSTMT_BROWSE_OLDEST_SORT,
    RSTMT_BROWSE_INGESTED_SORT,
    RSTMT_SEARCH_ONE_UNRANKED,
    RSTMT_BROWSE_TOTAL,
    RSTMT_SEARCH_STORY,
    RSTMT_SEARCH_STORY_NEWEST,
    RSTMT_SEARCH_STORY_TOTAL,
    RSTMT_SEARCH_STORY_INFO,
    RSTMT_BROWSE_STORY,
    RSTMT_BROWSE_STORY_TOTAL,
    RSTMT_COUNT_,        /* the number of read statements: keep it last */
    STORE_MAX_STMTS = 72 /* the writer's statement cache (struct store.wstmts) */
};

/* The column weights of the table's own rank (schema.c, migration 10), for
 * articled_bm25 (rank.h), which ranks as bm25 does and reads fewer pages. */
#define STORE_RANK_WEIGHTS "4.0, 1.0, 0.0"

/* The full-text expression of q (analysis/query.h's match, if any, with
 * q's value filters as src tokens: SCHEMA_SRC_TOKENS), a new string, or NULL
 * out of memory. Without a match or a value filter, the expression of every
 * article. What store_search runs, for any reader of "the matches of this
 * search" (the filters on the rows, from/to and entities, aside). */
char *store_search_match(const struct store_search_query *q);
/* The ent_index expression of the entities one of which a row must mention
 * (include: q's entity and entities) or none of which (its exclusions), as
 * tokens OR'd into buf (size: (STORE_FILTER_VALUES_MAX + 2) *
 * (STORE_ENTITY_TOKEN_MAX + 4)). buf, or NULL when there are none. */
const char *store_search_entities(const struct store_search_query *q, int include, char buf[],
                                  size_t size);

/* A read statement's SQL, by id. */
struct store_stmt_sql {
    enum store_rstmt id;
    const char *sql;
};
extern const struct store_stmt_sql store_rstmts[]; /* RSTMT_COUNT_ entries */

/* Cached statements of the write connection. */
enum store_wstmt {
    WSTMT_FIND_ID,
    WSTMT_FIND_HASH,
    WSTMT_INSERT,
    WSTMT_UPDATE,
    WSTMT_DELETE,
    WSTMT_REGROUP,
    WSTMT_FPSET_INSERT,
    WSTMT_FPSET_GET,
    WSTMT_FPSET_DELETE,
    WSTMT_ENT_OLD,
    WSTMT_ENT_DELTA,
    WSTMT_ENT_DELTA_ROWS,
    WSTMT_ENT_FOLD,
    WSTMT_ENT_FOLD_CLEAR,
    WSTMT_ENT_UNLINK,
    WSTMT_ENT_UNMENTION,
    WSTMT_ENT_UPSERT,
    WSTMT_ENT_FIND,
    WSTMT_ENT_ALIAS,
    WSTMT_ENT_LINK,
    WSTMT_ENT_MENTION,
    WSTMT_ENT_DONE,
    WSTMT_ENT_JOIN_CAND,
    WSTMT_ENT_JOIN_SPAN,
    WSTMT_FTS_INSERT,
    WSTMT_FTS_DELETE,
    WSTMT_FPX_INSERT,
    WSTMT_FPX_DELETE,
    WSTMT_ENX_INSERT,
    WSTMT_ENX_DELETE,
    WSTMT_SAVEPOINT,
    WSTMT_RELEASE,
    WSTMT_ROLLBACK_TO,
    WSTMT_MAX_SEQ,
    WSTMT_LAST_CHANGE,
    WSTMT_TOMBSTONE,
    WSTMT_TOMB_PRUNE_MAX,
    WSTMT_TOMB_PRUNE,
    WSTMT_CHANGE_FLOOR,
    WSTMT_ENT_KEYMAP,
    WSTMT_ENT_CURATED,
    WSTMT_STORY_FIRST_, /* store_story.c's statements: its own enum from here (keep it last) */
};

struct store_reader {
    uint64_t generation; /* the store this connection belongs to */
    sqlite3 *db;
    sqlite3_stmt *stmts[RSTMT_COUNT_];
    struct store_reader *next;
};

/* The write connection (wdb) and its statements belong to the writer thread
 * (and to store_open before it starts, store_close after it stops): it is
 * opened without SQLite's mutex, so no other thread may touch it. */
struct store {
    char *path;
    uint64_t generation;
    struct store_options opts;
    sqlite3 *wdb;
    sqlite3_stmt *wstmts[STORE_MAX_STMTS];
    pthread_t writer;
    int writer_started;
    pthread_mutex_t mu; /* guards the queue and stopping */
    pthread_cond_t cv;
    struct store_batch *head, *tail;
    int stopping;
    pthread_mutex_t readers_mu;
    struct store_reader *readers;
    /* Full-text index changes of the open write transaction, applied just
     * before it commits (store_fts_flush). SQLite 3.40's FTS5 flushes its
     * pending terms into a new segment at every savepoint, and every op runs
     * in one: written as each op ran, every article became a segment of its
     * own and the writer spent most of its time merging them. Writer only. */
    struct store_fts_change *fts;
    size_t nfts, fts_cap;
    int64_t next_seq;                     /* the seq the next new article gets (writer only) */
    int64_t last_change;                  /* the last change number given (writer only) */
    /* The stories the open write transaction touched, in the order touched,
     * repeats kept (deduplicated once, at its end: store_story_log_flush).
     * Owned by the store; writer only. */
    int64_t *story_touched;
    size_t nstory_touched, story_touched_cap;
    int64_t tombs_pruned_at;              /* when tombstones were last pruned (writer only) */
    _Atomic uint64_t version;             /* committed write transactions (store_version) */
    _Atomic int64_t narticles;            /* articles stored: counted at open, kept by the writer */
    int schema_version;                   /* PRAGMA user_version after the migrations at open */
    int check_skipped;                    /* the file was too large for the check at open */
    uint8_t cursor_key[STORE_SECRET_LEN]; /* meta.cursor_key, read at open */
    /* Bloom filter over the fingerprints of fp_index (see fpfilter.h and
     * store_filter.c): the writer adds to it under filter_mu; a builder
     * thread replaces it with a larger one when it fills up (pointer changes
     * under the write lock); near-duplicate look-ups test it under the read
     * lock, and go without it (NULL) while it is rebuilt. */
    pthread_rwlock_t filter_lock;
    struct fpfilter *filter;
    size_t filter_keys; /* what the filter is (to be) rated for; 0: no filter */
    pthread_mutex_t filter_mu;
    int filter_mu_ready;
    int filter_grow;     /* full: rebuild after the commit (writer) */
    int filter_building; /* a builder runs; adds go to pending (filter_mu) */
    int64_t *pending;
    size_t npending, pending_cap;
    pthread_t builder;
    int builder_started; /* joined by the writer or at close */
    atomic_int filter_stop;
    _Atomic uint64_t filter_rebuilds;
    /* every stored article's set sizes (fpsizes.h): the writer sets them
     * before the commit, look-ups read them with no lock */
    struct fpsizes *sizes;
    /* The writer's entity cache and this transaction's count deltas
     * (store_entity_write.c). Writer only. */
    struct store_ent_cache *ent_cache;
    struct store_ent_join *ent_join; /* lone-name decisions (store_entity_join.c) */
    /* Whether editors curated any entity (entity_keys or entity_curation
     * hold rows): key resolution skips their look-ups until one does.
     * Writer only; curated_known 0 until first read. */
    int curated, curated_known;
    /* WAL checkpoints on their own thread and connection
     * (store_checkpoint.c); the flag and the cv under ckpt_mu. */
    sqlite3 *cdb;
    pthread_t ckpt_thread;
    int ckpt_started;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    int ckpt_wanted, ckpt_stopping;
    _Atomic uint64_t ckpt_background, ckpt_inline; /* checkpoints done, for tests */
    /* WAL pages written since open (the WAL hook's growth, counted across
     * restarts of the log), and the last change committed: for /metrics */
    _Atomic uint64_t wal_frames;
    /* the writer's time applying ops and committing (flushes, COMMIT), the
     * ops and transactions: for /metrics */
    _Atomic uint64_t writer_apply_ns, writer_commit_ns, writer_ops, writer_commits;
    _Atomic uint64_t writer_fts_ns[3]; /* by enum store_fts_table, within commit_ns */
    int wal_last_pages; /* writer only */
    _Atomic int64_t committed_change;
    void (*on_commit)(void *arg); /* store_on_commit; set before the first write */
    void *on_commit_arg;
    /* The facet table (facets.h, store_facets.c), read by any thread under
     * its own lock; the seqs the open transaction changed (fdirty), the
     * writer's statements that read rows back. Writer only, but the table. */
    struct facet_table *facets;
    int64_t *fdirty;
    size_t nfdirty, fdirty_cap;
    int fdirty_lost; /* a mark did not fit (out of memory): reload all */
    sqlite3_stmt *fstmts[3];
    char facets_broken[256]; /* why facets is NULL after open */
};

/* Databases larger than this are not checked at open: quick_check reads
 * every page of the articles table, and with it a 4 GB file of a million
 * articles took 20-31 s to start. */
#define STORE_CHECK_MAX_BYTES (1024LL * 1024 * 1024)

/* The WAL size, in pages, at which the checkpoint thread is woken (32 MiB
 * of 4 KiB pages), and the multiple of it at which the writer checkpoints
 * in its own commit (store_checkpoint.c). */
#define STORE_WAL_CHECKPOINT_PAGES 8192u
#define STORE_WAL_INLINE_FACTOR    8u

/* The writer's page cache (64 MiB measured no faster at 40,000 articles). */
#define STORE_WRITER_CACHE_KB 32768

enum store_fts_table { STORE_FTS_ARTICLES, STORE_FTS_FINGERPRINTS, STORE_FTS_ENTITIES };

/* One change to a full-text table. articles_fts: an insert of the article's
 * text (title and body borrowed from its op, alive until the batch's done
 * callback) or a delete of the old text (copied into `owned`). fp_index: the
 * article's fingerprint tokens as one text in `owned` (title unused);
 * ent_index the same with its entities' tokens. */
struct store_fts_change {
    enum store_fts_table table;
    int64_t seq;
    size_t order; /* position in the transaction, to keep one row's changes in order */
    int del;
    const char *title, *body;
    int title_len, body_len;
    /* articles_fts: the article's source, tags (JSON), language and author,
     * each NULL when absent (their tokens: schema.h, SCHEMA_SRC_TOKENS) */
    const char *source, *tags, *language, *author;
    char *owned;
};

/* A fingerprint as an fp_index token: its low 40 bits in 8 base-32 digits
 * ([0-9a-v], which the ascii tokenizer keeps whole), NUL-terminated. With
 * tens of millions of tokens stored, a probe meets a stranger's token about
 * once in 10,000 look-ups, and every candidate is verified anyway. */
#define STORE_FP_TOKEN_LEN 8
void store_fp_token(int64_t hash, char out[STORE_FP_TOKEN_LEN + 1]);

/* Applies the pending full-text changes (by seq, each row's in order) and
 * empties the list; store_fts_drop(st, n) forgets those after the first n
 * (an op rolled back). SQLite rc. */
int store_fts_flush(struct store *st);
void store_fts_drop(struct store *st, size_t keep);

/* This thread's read connection for st, opened on first use. NULL with err. */
struct store_reader *store_reader_get(struct store *st, struct error *err);

/* Opens / ends a read transaction on r with cached statements (sqlite3_exec
 * would parse the text each time). SQLite rc. */
int store_read_begin(struct store_reader *r);
void store_read_end(struct store_reader *r);

/* A cached statement of r (its SQL from store_rstmts) or of the writer,
 * prepared on first use; NULL on a prepare error (see sqlite3_errcode and
 * sqlite3_errmsg). Callers reset it after use. */
sqlite3_stmt *store_reader_stmt(struct store_reader *r, enum store_rstmt which);
sqlite3_stmt *store_writer_stmt(struct store *st, int which, const char *sql);

/* Whether an SQLite call failed on a read connection or on the writer's. */
enum store_io { STORE_IO_READ, STORE_IO_WRITE };

/* The service's error code for SQLite result rc (primary or extended) with
 * message msg (may be NULL) on an io connection: the one mapping from SQLite
 * to error.h (store_err.c). On reads: an interrupt is the time budget
 * (ERR_TIMEOUT), an FTS5 complaint is a bad query (ERR_INVALID); on the
 * writer: a full disk or an I/O error is ERR_FULL, a constraint
 * ERR_CONFLICT; anything else ERR_INTERNAL. */
enum error_code store_error_code(enum store_io io, int rc, const char *msg);

/* Fills err with store_error_code's code and "what: <reason>", the reason
 * db's message (or rc's when db is NULL). A read that hit its time budget
 * (store_read_budget_exceeded) is ERR_TIMEOUT whatever rc says. */
void store_error_from_sqlite(struct error *err, enum store_io io, int rc, sqlite3 *db,
                             const char *what);

/* store_error_from_sqlite for the last failed call on read connection r
 * (a statement that would not prepare, say). */
void store_error_from_reader(struct error *err, struct store_reader *r, const char *what);

/* Prepares what the writer needs. Returns 0 or -1 with err. */
int store_writer_init(struct store *st, struct error *err);

/* Opens a connection to path with the pragmas every connection needs (the
 * writer's when writer is nonzero). 0, or -1 with err set. */
int store_conn_open(const char *path, int writer, const struct store_options *opts, sqlite3 **out,
                    struct error *err);

/* Starts the checkpoint thread and hooks the writer's commits to it (after
 * the writer connection is open, before its thread starts). 0 or -1. */
int store_checkpointer_start(struct store *st, struct error *err);

/* Unhooks and stops the checkpoint thread; safe when it never started. */
void store_checkpointer_stop(struct store *st);

/* Applies one op inside the open write transaction, in a savepoint of its own;
 * fills the op's outcome. Runs on the writer thread only. */
void store_op_apply(struct store *st, struct store_op *op);

/* CLOCK_MONOTONIC in nanoseconds (read budgets, the writer's stage times). */
int64_t store_now_ns(void);

/* Removes the tombstones older than the retention (store_options
 * .tombstone_days) when the last pruning is an hour old or more, raising
 * meta.change_floor to the highest number removed. Inside the write
 * transaction; SQLite rc. */
int store_tombstones_prune(struct store *st, int64_t now);
/* Writes a STORE_OP_ANALYSE op (store.c) inside store_op_apply's savepoint;
 * fills the op's outcome on failure. SQLite rc. */
int store_op_analyse(struct store *st, struct store_op *op);

/* An article's index fingerprints are stored (article_fps.idx) as a blob of
 * little-endian int64s. encode returns a new buffer of n*8 bytes (NULL on
 * failure); decode fills out from a blob (0, or -1 on a malformed blob or
 * allocation failure). */
unsigned char *store_fps_encode(const struct fingerprint_set *fps);
int store_fps_decode(const void *blob, int bytes, struct fingerprint_set *out);

/* Writes index as article seq's fingerprints (fp_index, article_fps and the
 * filter), with full_n the size of its whole set, inside the write
 * transaction. Returns an SQLite rc. */
int store_fps_write(struct store *st, int64_t seq, size_t full_n,
                    const struct fingerprint_set *index);

/* The ent_index MATCH expression of entity eid ("\"e<eid>\""). */
#define STORE_ENTITY_TOKEN_MAX 32
void store_entity_token(int64_t eid, char out[STORE_ENTITY_TOKEN_MAX]);

/* Queues text (tokens separated by spaces; copied) as an insert into, or a
 * delete from, table (STORE_FTS_FINGERPRINTS or STORE_FTS_ENTITIES) for
 * article seq, applied by store_fts_flush. SQLite rc. */
int store_fts_queue_tokens(struct store *st, enum store_fts_table table, int64_t seq, int del,
                           const char *text, size_t len);

/* The filter (store_filter.c). open: builds it from article_fps (and fills
 * st->sizes) when fingerprints are on; 0 or -1 with err. add: adds hashes
 * (writer, inside its transaction); SQLite rc. after_commit: starts the
 * rebuild of a filter that filled up (writer, between transactions). close:
 * stops a rebuild and frees the filter. */
int store_filter_open(struct store *st, struct error *err);

/* The facet table (store_facets.c). open: loads it (before the writer
 * starts); 0 or -1 with err. touch: notes that the open transaction changed
 * seq (writer). committed: after a commit (ok) sets the noted rows again
 * from the database, before the version moves; after a roll-back (!ok)
 * forgets them. close: frees it. */
int store_facets_open(struct store *st, struct error *err);
void store_facets_touch(struct store *st, int64_t seq);
void store_facets_committed(struct store *st, int ok);
void store_facets_close(struct store *st);

/* The FTS5 expression store_search runs for q: q->match with q's filters
 * that live in the full-text index (malloc'd; NULL out of memory). */
char *store_search_match(const struct store_search_query *q);
int store_filter_add(struct store *st, const struct fingerprint_set *hashes);
void store_filter_after_commit(struct store *st);
void store_filter_close(struct store *st);

/* Removes article seq's entity links and mentions, uncounting them; writes
 * set for it. Inside the write transaction; SQLite rc. */
int store_entities_remove(struct store *st, int64_t seq);
int store_entities_write(struct store *st, int64_t seq, int64_t ts,
                         const struct store_entity_set *set);
/* Marks article seq as analysed for entities (the backfill; ingest sets the
 * flag in the article's row itself). */
int store_entities_done(struct store *st, int64_t seq);

/* Entity counts change by deltas applied once per entity when the
 * transaction ends: store_entities_flush applies them (before the commit;
 * SQLite rc). An op that rolls back gives its deltas back with
 * store_entities_rollback(st, store_entities_mark(st) taken before it);
 * store_entities_reset drops everything after a failed transaction;
 * store_entities_close frees the writer's entity cache. */
int store_entities_flush(struct store *st);
/* The transaction that flushed committed: its entity_deltas row count
 * becomes the known one (flush folds the rows into entities past
 * fold_rows). */
void store_entities_committed(struct store *st);
size_t store_entities_mark(struct store *st);
void store_entities_rollback(struct store *st, size_t mark);
void store_entities_reset(struct store *st);
void store_entities_close(struct store *st);

/* The full entity that e, a lone name ("Reagan"), stands for at time ts
 * across articles, in *eid, or 0 when it stands alone or is ambiguous
 * (store_entity_join.c). Writer only. SQLite rc. _forget drops the
 * remembered decisions (after a roll-back), _close frees them. */
int store_entity_join(struct store *st, const struct store_entity *e, int64_t ts, int64_t *eid);
void store_entity_join_forget(struct store *st);
void store_entity_join_close(struct store *st);
/* ---- entity curation (store_entity_curate.c) ---- */

/* What key resolves to by curation, for the writer's key resolution
 * (store_entity_write.c): 1 with *eid when a redirect (entity_keys) names
 * it, 0 when none does. SQLite rc in *rc. */
int store_curate_key(struct store *st, const char *key, int64_t *eid, int *rc);
/* What entity eid stands for now: itself, the entity it was merged into, or
 * STORE_ENT_BLOCKED. SQLite rc. */
#define STORE_ENT_BLOCKED ((int64_t)-1)
int store_curate_eid(struct store *st, int64_t *eid);
/* Writes a STORE_OP_CURATE op inside store_op_apply's savepoint; fills the
 * op's outcome on failure. SQLite rc. */
int store_op_curate(struct store *st, struct store_op *op);
/* Logs a count change of entity eid in this transaction (the deltas
 * store_entities_flush writes). SQLite rc. */
int store_entities_delta(struct store *st, int64_t eid, int64_t articles, int64_t mentions);
/* Forgets the writer's remembered key -> entity map (a curation changed
 * what keys resolve to). */
void store_entities_forget(struct store *st);

/* Runs a newest-first listing statement (s, with ?6 already bound by the
 * caller): binds the window and keyset ?1..?5 from q and collects a page into
 * out. Returns 0 or -1 with err; s is reset. */
int store_list_collect(struct store_reader *r, sqlite3_stmt *s, const struct store_list_query *q,
                       struct store_article_list *out, struct error *err);

/* Fills a from the 14 article columns of s (store_articles.c). 0 or -1. */
int store_row_article(sqlite3_stmt *s, struct article *a);

/* Stories (store_story.c), inside the op's savepoint. assign: puts the
 * article just written (op->article.seq, ts, source, duplicate_of) in a
 * story, merging two it bridges, filling op->story and op->story_new;
 * exists: it was a replace (removed from its story first, so assigned
 * afresh). remove: takes article seq out of its story before its row is
 * deleted or replaced (the
 * story goes with its last member). SQLite rc. */
int store_story_assign(struct store *st, struct store_op *op, int exists);
int store_story_remove(struct store *st, int64_t seq);

/* Stories in the change feed (store_story.c). touch: story id changed in
 * this transaction (a member joined or left, it absorbed or was merged
 * into another): remembered in st->story_touched, undone by cutting the
 * list back to a length taken before the op (store_op_apply). flush: just
 * before the commit, gives each distinct story touched one change number
 * (ascending ids) and its story_log row its final state, then forgets the
 * list: one upsert per story per commit, however many members moved.
 * prune: forgets deleted stories' rows stamped before cutoff, *floor the
 * highest number forgotten (0: none). SQLite rc. */
int store_story_touch(struct store *st, int64_t id);
int store_story_log_flush(struct store *st);
int store_story_log_prune(struct store *st, int64_t cutoff, int64_t *floor);
/* Sorts ids[0..n) and drops repeats in place; the number left. Pure. */
size_t store_story_ids_unique(int64_t *ids, size_t n);

/* Copies column i of s as a new string, or NULL when the column is NULL. */
char *store_column_dup(sqlite3_stmt *s, int i);

/* Fills the cards (store_search_query.cards bits) of hits->items on read
 * connection r, inside the search's read transaction: one statement for
 * the page's article fields, one for its entities with their names
 * (store_cards.c). A hit whose row is gone keeps an empty card. SQLite rc. */
int store_cards_fill(struct store_reader *r, unsigned cards, struct store_hits *hits);

/* Frees what store_cards_fill put in h. */
void store_hit_card_clear(struct store_hit *h);

#endif
