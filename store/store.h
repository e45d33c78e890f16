/* store.h: articled's persistence: SQLite with WAL, versioned migrations, one
 * writer thread that group-commits many writes into one transaction, and one
 * read connection per calling thread with cached prepared statements.
 * The store speaks SQL only: no JSON, no HTTP. */
#ifndef ARTICLED_STORE_H
#define ARTICLED_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/dedupe.h"
#include "analysis/error.h"
#include "analysis/fingerprint.h"
#include "analysis/story.h"
#include "store/article.h"

struct store;
struct store_entity_set;

struct store_options {
    int durability_full;       /* synchronous=FULL instead of NORMAL */
    unsigned group_commit_max; /* operations per transaction at most */
    /* Relevance search scores at most this many matches: when a query without
     * filters matches more, only the newest this-many (by ingestion) are
     * ranked, so a common word costs the same at a million articles as at a
     * hundred thousand; with filters, a window expected to hold an eighth as
     * many that pass them (store_search). Older matches stay reachable with
     * sort=newest or a time window. 0: the default, 20,000. */
    unsigned rank_candidates;
    /* Files larger than this many bytes skip the integrity check at open
     * (store_check_skipped). 0: the default, 1 GiB. */
    long long check_max_bytes;
    /* WAL size in pages that wakes the checkpoint thread; the writer
     * checkpoints in its own commit at 8 times as many. 0: 8,192 (32 MiB). */
    unsigned wal_checkpoint_pages;
    /* The near-duplicate filter's headroom at open, in fingerprints, beyond a
     * quarter more than are stored (it grows by half when full). 0: the
     * default, 1,000,000; tests set it small to make it grow. */
    size_t filter_headroom;
    /* Called on the filter's builder thread once its snapshot is taken, before
     * it reads (tests hold a rebuild there). NULL: none. */
    /* A delete's tombstone (its place in the change sequence) is kept at
     * least this many days. 0: the default, 7. */
    unsigned tombstone_days;
    /* Entity count deltas (rows of entity_deltas) that trigger a fold into
     * entities at the end of a transaction. 0: the default,
     * STORE_ENT_FOLD_ROWS; tests set it small. */
    unsigned entity_fold_rows;
    /* Stories (store_story.c): an article joins a story whose span is
     * within this many seconds of its time (0: STORY_DEFAULT_WINDOW), from
     * this similarity (0: STORY_DEFAULT_THRESHOLD). */
    int64_t story_window;
    double story_threshold;
    /* Articles whose links an entity merge or block rewrites per
     * transaction. 0: the default, STORE_CURATE_CHUNK; tests set it small.
     * curate_chunk_hook (may be NULL) is called with curate_chunk_arg after
     * each chunk committed (tests stop the process there). */
    unsigned curate_chunk;
    void (*curate_chunk_hook)(void *arg);
    void *curate_chunk_arg;
    void (*filter_build_hook)(void *arg);
    void *filter_build_arg;
    /* Nonzero when near-duplicate look-ups are on: the store keeps its
     * fingerprint filter and set sizes in memory and answers
     * store_near_postings (which finds nothing when this is 0). */
    int fingerprints;
};

/* A fingerprint carried by more than this many stored articles is boilerplate
 * (page chrome, agency sign-offs): it is not used to find candidates. */
#define STORE_BOILERPLATE_ARTICLES 200

/* entity_deltas rows that make a transaction fold them into entities
 * (store_options.entity_fold_rows). Readers sum the unfolded rows on every
 * count they read, so this bounds their cost too. */
#define STORE_ENT_FOLD_ROWS 8192

/* Articles an entity merge or block rewrites per transaction
 * (store_options.curate_chunk). */
#define STORE_CURATE_CHUNK 1000

/* At most this many of a look-up's index tokens (those the filter lets
 * through, smallest first: a uniform sample) are looked up in fp_index: a
 * copy shares most of its tokens with its original, and a sample finds it,
 * also from the longer side of a pair whose shorter side shares a fifth of
 * the longer's tokens (each probe costs ~30 us at 40,000 articles). As many
 * as STORE_NEAR_PROBES_ALL, the cost a text just under it already has: with
 * 32, a stored text of 65 to 128 tokens (its own tokens all pass the filter)
 * probed fewer than one of 64 tokens does, and missed a brief it contains
 * that finds it (issue 18: reuters-13512 in reuters-13577, 74 tokens). */
#define STORE_NEAR_PROBES 64
/* A text with at most this many tokens through the filter has them all
 * looked up: a short text (a brief: up to ~60 tokens, most of them pairs of
 * consecutive 5-grams a longer text does not carry) shares few of them with
 * its copy, and a sample of 16 would miss them where the copy, probing its
 * own tokens, finds the brief (the relation would not be symmetric). */
#define STORE_NEAR_PROBES_ALL 64

/* Opens (creating and migrating as needed) the database at path and starts the
 * writer thread. Returns 0 and a new store in *out, or -1 with err filled
 * (unreadable, read-only, corrupt or newer-than-known database). */
int store_open(const char *path, const struct store_options *opts, struct store **out,
               struct error *err);

/* Stops the writer after the queued work, closes every connection and
 * checkpoints the WAL. NULL-safe. */
void store_close(struct store *st);

/* The data version: a counter that every committed write transaction
 * increments (before its writers are told). Read it before a query: an
 * answer computed after reading v reflects at least the data of v, so an
 * answer cached under v may be served as long as the version is still v. */
uint64_t store_version(struct store *st);

/* Sets the time budget of the reads the calling thread makes from now on: a
 * statement still running ms milliseconds from now is stopped inside SQLite
 * (its progress handler), and the read fails (ERR_TIMEOUT where the store
 * can tell; store_read_budget_exceeded in any case). 0: no budget, the
 * default on every thread. Writes are never stopped. */
void store_read_budget(unsigned ms);

/* Nonzero when a read on the calling thread was stopped by its budget since
 * the last store_read_budget. */
int store_read_budget_exceeded(void);

/* Nonzero when the file was larger than the integrity check at open reads
 * (check_max_bytes): a damaged page then shows as errors on the requests that read it. */
int store_check_skipped(struct store *st);

/* Checkpoints completed so far by the checkpoint thread and by the writer in
 * its commit (when the WAL outgrew the thread). */
void store_checkpoint_counts(struct store *st, uint64_t *background, uint64_t *inline_);

/* Times the near-duplicate filter was rebuilt larger since open (for tests). */
uint64_t store_filter_rebuilds(struct store *st);

/* Bytes of a database secret (store_cursor_key). */
#define STORE_SECRET_LEN 32

/* The database's own key for signing page cursors (random, made when the
 * schema was created; snapshots carry it). Copies STORE_SECRET_LEN bytes. */
void store_cursor_key(struct store *st, uint8_t out[STORE_SECRET_LEN]);

/* Current schema version (PRAGMA user_version) of an open store. */
int store_schema_version(struct store *st);

/* The newest schema version this build knows. */
int store_schema_latest(void);

/* ---- writes ------------------------------------------------------------ */

enum store_op_kind {
    STORE_OP_CREATE, /* insert; ERR_CONFLICT when the id exists */
    STORE_OP_PUT,    /* insert or replace */
    STORE_OP_DELETE, /* remove by id; ERR_NOT_FOUND when absent */
    /* fills in the analysis of the stored article article.seq (article.ts its
     * stored ts): its fingerprints when fingerprinted, its entities when
     * ents.owner is set, each only if still missing (store_backfill_next);
     * with story_backfill, its story (story_sig, article.title/source/
     * duplicate_of, near_grp) if it still has none */
    STORE_OP_ANALYSE,
    STORE_OP_CURATE /* an editor's change to an entity (op.curate) */
};

/* An entity curation (store_entity_curate.c). The writer resolves an
 * extracted entity's merge key through what editors decided: a curated
 * alias's key leads to its entity, a merged entity's keys to the survivor,
 * a blocked entity's keys to nothing (the entity and its mentions are
 * dropped from the article). */
enum store_curate_kind {
    STORE_CURATE_UPDATE,  /* name, type, curated aliases */
    STORE_CURATE_MERGE,   /* into another entity; links move in chunks */
    STORE_CURATE_BLOCK,   /* never extracted again; links dropped in chunks */
    STORE_CURATE_UNBLOCK, /* extracted again from new and re-ingested articles */
    STORE_CURATE_MOVE     /* the next chunk of a merge's or block's links */
};

/* Strings belong to the op's owner. */
struct store_curate {
    enum store_curate_kind kind;
    char *id;         /* the entity's public id */
    char *into;       /* MERGE: the surviving entity's public id */
    char *name;       /* UPDATE: new display name, or NULL to keep it */
    const char *type; /* UPDATE: "person"..., static, or NULL to keep it */
    char **aliases;   /* UPDATE: the curated aliases (replacing them all) */
    size_t naliases;
    int set_aliases; /* UPDATE: aliases given (an empty list removes them) */
    int64_t after;   /* MOVE: articles with seq > after (in) */
    /* store_curate_run: polled between chunks; nonzero stops the moves
     * (they finish at the next start). May be NULL. */
    int (*cancelled)(void *arg);
    void *cancel_arg;
    /* out */
    int64_t last; /* MOVE: the last article seq rewritten */
    int more;     /* MOVE: links may remain after this chunk */
    int noop;     /* MERGE, BLOCK, UNBLOCK: it was already so */
};

/* One entity of one article, as the store writes it (strings borrowed from
 * the op's owner). */
struct store_entity {
    const char *id;        /* public, stable id (from the key) */
    const char *key;       /* merge key across articles */
    const char *name;      /* display name */
    const char *name_fold; /* folded name, for prefix look-ups */
    const char *type;      /* "person", "organization", "location" */
    const char *const *aliases;
    const char *const *alias_folds;
    size_t naliases;
    unsigned mentions;
};

struct store_mention {
    int64_t start, end;   /* code points into the body */
    int64_t bstart, bend; /* bytes into the body */
    size_t entity;        /* index into the set's entities */
};

/* An article's entities and mentions; `release` frees what the producer
 * allocated (may be NULL). */
struct store_entity_set {
    struct store_entity *entities;
    size_t n;
    struct store_mention *mentions;
    size_t nmentions;
    void *owner;
    void (*release)(struct store_entity_set *set);
};

/* One write. The caller fills kind and article (for DELETE only article.id),
 * and for CREATE/PUT the fingerprints and the copy group found beforehand;
 * the writer fills the outcome fields before the batch's done callback. */
struct store_op {
    enum store_op_kind kind;
    struct article article;       /* owned by the op's owner */
    int fingerprinted;            /* fps and index are computed (the feature is on) */
    struct fingerprint_set fps;   /* whole set, for containment (owned by the op's owner) */
    struct fingerprint_set index; /* sparser subset for the inverted index (owned too) */
    /* What the caller found before the write (owned by the op's owner): near
     * copies already stored, and an earlier op of the same batch that this
     * article copies. The writer puts the article in the group of the first of
     * these, or of its exact original. */
    struct dedupe_near_list near;
    int64_t near_grp;             /* group of a stored near copy, or 0 */
    struct store_op *near_op;     /* an earlier op of the same batch, or NULL */
    struct store_entity_set ents; /* the article's entities (owned by the op's owner) */
    /* the article's story signature (story_sig_compute; owned by the op's
     * owner); n == 0: nothing to compare, the article still gets a story */
    struct story_vec story_sig;
    int story_backfill;           /* STORE_OP_ANALYSE: assign the article a story */
    struct store_curate curate;   /* STORE_OP_CURATE */
    /* outcome */
    int failed; /* 1: err says why and nothing was written */
    struct error err;
    int created; /* 1: new article, 0: replaced (PUT) */
    /* the write's number in the change sequence: every committed create,
     * replace and delete gets the next one, in commit order; a rolled-back
     * op's number is given again */
    int64_t change_seq;
    int64_t story;  /* the story the article belongs to (0: none) */
    int story_new;  /* 1: the article started it */
    int rc;      /* the SQLite code of a failure (store-internal) */
};

struct store_batch {
    struct store_op *ops;
    size_t nops;
    /* Called on the writer thread once the batch's transaction committed (or
     * failed): must not block; typically signals or resumes a connection. */
    void (*done)(struct store_batch *batch, void *arg);
    void *arg;
    struct store_batch *next; /* private to the store */
};

/* Queues batch for the writer. Returns 0, or -1 (err: ERR_UNAVAILABLE) when the
 * store is shutting down; then done is never called. The batch must stay alive
 * until done is called. */
int store_submit(struct store *st, struct store_batch *batch, struct error *err);

/* Queues batch and waits for its commit. Returns 0, or -1 when it could not be
 * queued (err filled); per-op outcomes are in the ops. */
int store_write(struct store *st, struct store_batch *batch, struct error *err);

/* ---- reads (any thread; each thread gets its own connection) ---------- */

/* Loads the article with this id into *out (caller clears it). Returns 0, or -1
 * with ERR_NOT_FOUND / ERR_INTERNAL. */
int store_article_get(struct store *st, const char *id, struct article *out, struct error *err);

struct store_list_query {
    const char *source; /* or NULL */
    int64_t from, to;   /* ts window [from, to); INT64_MIN / INT64_MAX when open */
    unsigned limit;
    int has_after; /* keyset: rows strictly after (after_ts, after_seq) */
    int64_t after_ts, after_seq;
};

struct store_article_list {
    struct article *items;
    size_t n;
    int more; /* another page exists */
};

/* Articles newest first (ts desc, seq desc). Returns 0 or -1 (err filled).
 * Caller frees with store_article_list_free. */
int store_article_list(struct store *st, const struct store_list_query *q,
                       struct store_article_list *out, struct error *err);
void store_article_list_free(struct store_article_list *list);

/* Search orders. NEWEST and OLDEST go by sort time (published_at, else the
 * time the version was stored) and seq; INGESTED by change number, most
 * recent first (commit order: a backdated article still comes first). */
enum store_sort { STORE_SORT_RELEVANCE, STORE_SORT_NEWEST, STORE_SORT_OLDEST, STORE_SORT_INGESTED };

/* The value filters of a search, each a token of the full-text index's src
 * column (schema.c, migration 17): an article passes a field when it carries
 * one of its `in` values (none: any) and none of its `out` values; fields
 * AND. Values are exact (bytes, case kept). */
enum store_field {
    STORE_FIELD_SOURCE,
    STORE_FIELD_TAG,
    STORE_FIELD_LANGUAGE,
    STORE_FIELD_AUTHOR,
    STORE_FIELDS_
};
#define STORE_FILTER_VALUES_MAX 20 /* values of one field (in and out), at most */

struct store_values {
    const char *const *in; /* borrowed; non-empty strings */
    size_t nin;
    const char *const *out;
    size_t nout;
};

struct store_search_query {
    const char *match;  /* a safe FTS5 expression (analysis/query.h), or NULL: browse */
    const char *source; /* one more source `in` value, or NULL ("" filters the rows) */
    struct store_values fields[STORE_FIELDS_];
    int64_t from, to; /* ts window [from, to) */
    enum store_sort sort;
    unsigned limit;
    int64_t offset; /* relevance: hits to skip (pages of one snapshot) */
    int has_after;  /* newest, oldest, ingested: keyset cursor after (after_ts, after_seq) */
    int64_t after_ts; /* ingested: the change number */
    int64_t after_seq;
    int64_t max_seq; /* only rows with seq <= max_seq (0: no bound) */
    int want_total;
    int collapse;   /* one hit per copy group (its earliest matching member) */
    /* one hit per story (its best-ranked member, or its newest under
     * STORE_SORT_NEWEST): relevance and newest only; the caller sets
     * collapse too (copies share their original's story) */
    int collapse_story;
    int64_t entity; /* only articles mentioning this entity (eid), or 0 */
    /* more entities: an article passes when it mentions one of entities
     * (with entity), and none of xentities; an eid of -1 matches nothing */
    const int64_t *entities, *xentities; /* borrowed */
    size_t nentities, nxentities;
    unsigned cards; /* STORE_CARD_* bits: what each hit carries beside the basics */
    int no_snippet; /* 1: the hits' snippet is not computed (NULL): fields= without it */
};

/* What a hit's card holds beside id, title, source, published_at, score and
 * snippet (store_cards.c): read for the page only, in the search's read
 * transaction, one statement per kind for the whole page. */
#define STORE_CARD_ARTICLE  1u /* url, author, language, tags, duplicate_of, story */
#define STORE_CARD_ENTITIES 2u /* the article's most mentioned entities */
/* Entities on a card at most (most mentions first, then eid). */
#define STORE_CARD_ENTITIES_MAX 5

struct store_hit_entity {
    char *id, *name, *type;
};

struct store_hit {
    char *id, *title, *source, *published_at, *snippet;
    char *title_html; /* the title as safe HTML, matched terms marked */
    double score;     /* higher is better */
    double rank;  /* FTS5 rank (lower is better), for cursors */
    int64_t ts, seq;
    int64_t change;   /* STORE_SORT_INGESTED: the hit's change number (its sort key) */
    long long copies; /* collapse: matching members of the hit's group */
    /* collapse_story: the story's members and distinct outlets (all of
     * them, not only the matching ones: copies counts those); story is set */
    long long story_articles, story_sources;
    /* the card (store_search_query.cards); NULL / 0 when not asked or absent */
    char *url, *author, *language, *duplicate_of;
    char *tags_json; /* JSON array text */
    int64_t story;   /* 0: none */
    struct store_hit_entity ents[STORE_CARD_ENTITIES_MAX];
    size_t nents;
};

struct store_hits {
    struct store_hit *items;
    size_t n;
    int more;
    long long total;  /* -1 when not asked */
    int64_t max_seq;  /* the snapshot bound used */
    long long ranked; /* relevance scored only the newest this many matches, or 0 */
};

/* ---- stories (store_story.c) -------------------------------------------- */

/* Outlets named per story, at most. */
#define STORE_STORY_SOURCES 20

struct store_story_member {
    char *id, *title, *source, *published_at, *duplicate_of; /* NULL when absent */
};

struct store_story {
    int64_t id;
    char *title;
    long long articles, nsources; /* nsources: distinct outlets */
    int64_t first_ts, last_ts;
    char **sources; /* the outlets with most members first, at most STORE_STORY_SOURCES */
    size_t nsource_names;
    struct store_story_member *members; /* store_story_get: oldest first */
    size_t nmembers;
    int64_t merged_into; /* store_story_get: id was merged into this story (the rest empty) */
};

/* Matching articles the member filters of store_story_list look at, the
 * most recently stored first (its cost: this many look-ups by seq). */
#define STORE_STORY_FILTER_ARTICLES 10000

struct store_story_query {
    int64_t from, to;       /* active in [from, to): INT64_MIN / INT64_MAX when open */
    long long min_articles; /* 0: any */
    /* Only stories with a member matching all of these (NULL / 0: no
     * filter): match, a safe FTS5 expression (analysis/query.h) of words in
     * its title or body; source, its outlet exactly; entity, an entity it
     * mentions (-1: one nobody mentions, so no story). */
    const char *match, *source;
    int64_t entity;
    unsigned limit;
    int has_after; /* keyset: stories strictly after (after_ts, after_id) */
    int64_t after_ts, after_id;
};

struct store_stories {
    struct store_story *items;
    size_t n;
    int more;
};

/* Stories most recently active first (last_ts desc, id desc), with their
 * outlets. Returns 0 or -1 (err filled); free with store_stories_free. */
int store_story_list(struct store *st, const struct store_story_query *q,
                     struct store_stories *out, struct error *err);
void store_stories_free(struct store_stories *list);

/* Story id with its outlets and its first max_members members (oldest
 * first), or only merged_into when id was merged away. Returns 0, or -1
 * with ERR_NOT_FOUND / ERR_INTERNAL; the caller clears out with
 * store_story_clear. The other reads of one story answer ERR_NOT_FOUND for
 * a merged id, naming the survivor. */
int store_story_get(struct store *st, int64_t id, unsigned max_members, struct store_story *out,
                    struct error *err);
void store_story_clear(struct store_story *s);

/* Story id's members oldest first, keyset paged ((ts, seq) after q's
 * after_ts/after_seq when has_after; q->from/to/source unused). 0, or -1
 * with ERR_NOT_FOUND when there is no such story. */
int store_story_articles(struct store *st, int64_t id, const struct store_list_query *q,
                         struct store_article_list *out, struct error *err);

/* Timelines: counts per bucket of a fixed width, a bucket starting where
 * (start - offset) is a multiple of the width (UTC hours and days: offset 0;
 * weeks from Monday: 4 days). */
struct store_bucket {
    int64_t start;
    long long articles, stories; /* stories: distinct (entity timelines) */
};

struct store_timeline {
    struct store_bucket *items;
    size_t n;
    int truncated; /* a cap below cut it short */
};

void store_timeline_free(struct store_timeline *t);

/* Members read by store_story_timeline, at most (its cost: one covering
 * index range of this many rows). */
#define STORE_STORY_TIMELINE_MEMBERS 100000
/* Articles of an entity read by store_entity_timeline, at most, its most
 * recently stored (its cost: this many look-ups by seq). */
#define STORE_ENTITY_TIMELINE_ARTICLES 200000

/* Story id's members per bucket, oldest first, only the buckets holding
 * some, at most max_buckets of them. Returns 0, or -1 with ERR_NOT_FOUND /
 * ERR_INTERNAL; free out with store_timeline_free. */
int store_story_timeline(struct store *st, int64_t id, int64_t width, int64_t offset,
                         size_t max_buckets, struct store_timeline *out, struct error *err);

/* Entity eid's articles and the distinct stories among them per bucket of
 * [from, to) (from and to aligned on buckets, at most a few hundred of
 * them), every bucket listed, oldest first; truncated when the entity has
 * more than STORE_ENTITY_TIMELINE_ARTICLES articles (articles: the entity's
 * exact count). Returns 0 or -1; free out with store_timeline_free. */
int store_entity_timeline(struct store *st, int64_t eid, long long articles, int64_t from,
                          int64_t to, int64_t width, struct store_timeline *out,
                          struct error *err);

/* ---- near duplicates (store_near.c): data for near_find ---------------- */

/* The stored articles carrying index tokens of a text (index: its index
 * set, fingerprint_index_from_words): tokens go through the in-memory filter
 * first, all of those it lets through (when at most STORE_NEAR_PROBES_ALL)
 * or STORE_NEAR_PROBES of them are looked up in fp_index, and a token
 * carried by more than STORE_BOILERPLATE_ARTICLES articles adds none.
 * items: one per article (any order) with the tokens it shares and its
 * stored set sizes when known; scale: tokens passed per token looked up, to
 * scale hits back up. Empty when opts.fingerprints is 0.
 * Returns 0 or -1 with err; free with store_near_postings_free. */
struct store_near_postings {
    struct dedupe_candidate *items;
    size_t n;
    double scale;
};
int store_near_postings(struct store *st, const struct fingerprint_set *index,
                        struct store_near_postings *out, struct error *err);
void store_near_postings_free(struct store_near_postings *p);

/* A stored article's text for scoring a candidate. */
struct store_near_text {
    int64_t seq, grp;
    char *id, *body; /* owned by the array */
    size_t body_len;
    char content_hash[65];
};

/* The texts of the articles seqs[0..n) that still exist, in that order, read
 * in one snapshot. Returns 0 with *out (free with store_near_texts_free) and
 * *nout, or -1 with err. */
int store_near_texts(struct store *st, const int64_t *seqs, size_t n, struct store_near_text **out,
                     size_t *nout, struct error *err);
void store_near_texts_free(struct store_near_text *texts, size_t n);

/* Ids of the other stored articles with this content hash, oldest first.
 * Returns 0 or -1; caller frees each id and the array. */
int store_exact_copies(struct store *st, const char *content_hash, const char *exclude_id,
                       char ***ids, size_t *n, struct error *err);

/* ---- backfill: analysis missing from stored articles --------------------- */

enum store_backfill_kind {
    STORE_BACKFILL_FINGERPRINTS, /* stored while fingerprints were off or changed form */
    STORE_BACKFILL_ENTITIES,     /* stored while entities were off */
    STORE_BACKFILL_STORIES       /* stored before stories existed (story NULL) */
};

struct store_backfill_row {
    int64_t seq, ts;
    char *body; /* owned by the array */
    size_t body_len;
    /* STORE_BACKFILL_STORIES only (owned by the array, NULL when absent):
     * what the story assignment reads of the stored article */
    char *title, *source, *duplicate_of;
    int64_t grp;
};

/* Up to limit articles, seq > after ascending, that miss the analysis of
 * kind. The caller computes it and writes it back with STORE_OP_ANALYSE ops,
 * then asks again after the last seq. Returns 0 with *rows (free with
 * store_backfill_rows_free) and *n (0: none left), or -1 with err when the
 * read fails. */
int store_backfill_next(struct store *st, enum store_backfill_kind kind, int64_t after,
                        unsigned limit, struct store_backfill_row **rows, size_t *n,
                        struct error *err);
void store_backfill_rows_free(struct store_backfill_row *rows, size_t n);

/* Typo tolerance (store_vocab.c): when the word w[0..len) (typo_max_edits > 0), as the
 * index tokenizes it, is in fewer than 50 articles, the index terms within its edits
 * (typo.h) that share its first two characters and are in at least 20 times as many
 * articles (any, when the word is in none), the most articles first with each edit fewer
 * weighing 4 times as many, among at most 4,000 terms of the vocabulary. 0 with *n (at most max, at most
 * STORE_TYPO_CANDIDATES_MAX) new strings in out (free() each), or -1 with err (*n 0). The
 * terms are the index's form (stems: "govern"). */
#define STORE_TYPO_CANDIDATES_MAX 8
int store_typo_candidates(struct store *st, const char *w, size_t len, char **out, size_t max,
                          size_t *n, struct error *err);

/* Full-text search. Returns 0, or -1 (ERR_INVALID when FTS5 rejects the
 * expression, else ERR_INTERNAL). Caller frees with store_hits_free. */
int store_search(struct store *st, const struct store_search_query *q, struct store_hits *out,
                 struct error *err);
void store_hits_free(struct store_hits *hits);

/* ---- facets (store_facets.c, facets.h) ------------------------------------ */

/* What a facet counts by; day, week (starting Monday) and month are
 * histograms over ts, in UTC. */
enum store_facet_kind {
    STORE_FACET_SOURCE,
    STORE_FACET_TAG,
    STORE_FACET_LANGUAGE,
    STORE_FACET_AUTHOR,
    STORE_FACET_ENTITY,
    STORE_FACET_STORY,
    STORE_FACET_DAY,
    STORE_FACET_WEEK,
    STORE_FACET_MONTH,
    STORE_FACET_KINDS_ /* keep it last */
};

/* The facet's name as in `facets=` ("source"...), and back (-1: unknown). */
const char *store_facet_name(enum store_facet_kind kind);
int store_facet_parse(const char *name, size_t len);

/* One value of a facet. Strings are malloc'd, owned by the store_facets. */
struct store_facet_value {
    char *value; /* the source, tag..., entity id, story id or bucket date */
    long long count;
    char *name, *type; /* entity only (else NULL) */
    int64_t last_ts;   /* the newest ts among the counted articles */
};

struct store_facets {
    struct store_facet_value *items[STORE_FACET_KINDS_];
    size_t n[STORE_FACET_KINDS_];
    long long rows; /* articles counted */
};

/* Counts the facets of mask (1u << kind) over every match of q (its
 * expression, source, window and entity, as store_search takes them; q's
 * paging is ignored) with seq <= max_seq: size values each (see
 * facet_count_top for the order). The matches are read once, from the
 * full-text index, and counted in memory: the cost is bounded by the
 * matches, at most the store's articles. 0, or -1 with err (ERR_TIMEOUT
 * past the read budget). Free with store_facets_free. */
int store_facets(struct store *st, const struct store_search_query *q, int64_t max_seq,
                 unsigned mask, size_t size, struct store_facets *out, struct error *err);

/* The same without a query: every article with ts in [from, to), for the
 * source or tag lists. Memory only. 0, or -1 with err. */
int store_facets_all(struct store *st, enum store_facet_kind kind, int64_t from, int64_t to,
                     size_t size, struct store_facets *out, struct error *err);
void store_facets_free(struct store_facets *f);

/* Bytes the facet table holds (for /metrics and the bench). */
size_t store_facets_bytes(struct store *st);

/* ---- the change feed ------------------------------------------------------- */

/* What happened at one change number: to an article, to an entity by an
 * editor's curation, or to a story (its members or summary changed in a
 * commit, it was merged into another, or its last member left). */
enum store_change_type {
    STORE_CHANGE_CREATED = 1,
    STORE_CHANGE_UPDATED = 2,
    STORE_CHANGE_DELETED = 4,
    STORE_CHANGE_ENTITY_UPDATED = 8,
    STORE_CHANGE_ENTITY_MERGED = 16,
    STORE_CHANGE_ENTITY_BLOCKED = 32,
    STORE_CHANGE_ENTITY_UNBLOCKED = 64,
    STORE_CHANGE_STORY_UPDATED = 128,
    STORE_CHANGE_STORY_MERGED = 256,
    STORE_CHANGE_STORY_DELETED = 512
};
#define STORE_CHANGE_ALL 1023u

/* The change type's public name ("article.created", "entity.merged"...). */
const char *store_change_type_name(enum store_change_type t);

struct store_change {
    int64_t seq; /* its change number */
    enum store_change_type type;
    char *id;     /* the article's id, the entity's, or the story's */
    char *source; /* or NULL (always for entity and story changes) */
    char *at;     /* RFC 3339 time of the write, delete, curation or commit */
    char *into;   /* a merge's surviving entity or story, or NULL */
};

struct store_change_query {
    int64_t since;      /* changes numbered above this */
    unsigned limit;     /* at most this many (1..STORE_CHANGES_MAX; 0: 20) */
    unsigned types;     /* STORE_CHANGE_* bits; 0: all */
    const char *source; /* only this source's articles, or NULL */
};

/* A page of changes. next_since: the number to ask from next (the last
 * change listed, or as far as this page looked: never past head); head: the
 * last change committed; floor: the highest number whose delete may have
 * been forgotten (pruned tombstones). */
struct store_changes {
    struct store_change *items;
    size_t n;
    int64_t next_since, head, floor;
};

/* The most changes one page lists, and the most change numbers one page
 * reads past since, whatever its filters let through (its cost bound). */
#define STORE_CHANGES_MAX  1000u
#define STORE_CHANGES_SCAN 10000

/* Changes after q->since in commit order: every create, replace, delete and
 * curation is one change number; an article listed once, at its last write
 * (created if it was created after since, else updated), a delete through
 * its tombstone, a curation through its log row. A story whose members
 * changed in a commit takes one number in that commit (after its ops') and
 * is listed once, at its last: updated, merged (into the survivor, read
 * when listed) or deleted; story and entity changes have no source, so a
 * source filter leaves them out. Fails with ERR_GONE when since < floor (deletes after since
 * were forgotten) or since > head (the store was restored), with out's head
 * and floor set (where to resume). 0 or -1; the caller frees out with
 * store_changes_free (nothing to free after a failure). */
int store_changes(struct store *st, const struct store_change_query *q, struct store_changes *out,
                  struct error *err);
void store_changes_free(struct store_changes *c);

/* ---- entities ------------------------------------------------------------ */

struct store_entity_row {
    int64_t eid;
    char *id, *name, *type;
    long long articles, mentions;
    char **aliases;
    size_t naliases;
    char *merged_into;  /* get: the surviving entity's id when merged away, or NULL */
    int blocked;        /* get: blocked by an editor */
    double score;       /* related: association score */
    long long together; /* related: articles mentioning both */
};

struct store_entity_rows {
    struct store_entity_row *items;
    size_t n;
    int more;
};

void store_entity_rows_free(struct store_entity_rows *rows);
void store_entity_row_clear(struct store_entity_row *row);

/* One entity by public id, with its aliases. 0, or -1 (ERR_NOT_FOUND...). */
int store_entity_get(struct store *st, const char *id, struct store_entity_row *out,
                     struct error *err);

struct store_entity_query {
    const char *type;   /* or NULL */
    const char *prefix; /* folded name prefix (name or alias), or NULL */
    int64_t from, to;   /* mention window [from, to); open: INT64_MIN / INT64_MAX */
    unsigned limit;
    int64_t offset;
    const int64_t *exclude; /* eids left out (borrowed), at most STORE_ENT_EXCLUDE_MAX */
    size_t nexclude;
};

/* Entities one list may leave out, at most. */
#define STORE_ENT_EXCLUDE_MAX 100

/* Runs a curation (UPDATE, MERGE, BLOCK, UNBLOCK) through the writer,
 * then, for a merge or a block, moves the entity's links chunk by chunk
 * (one transaction each) until none is left. op is filled as a STORE_OP_CURATE
 * op and holds the outcome: op->failed with op->err (ERR_NOT_FOUND,
 * ERR_CONFLICT, ERR_UNPROCESSABLE...), op->change_seq its number in the change
 * sequence (0 when nothing changed). Returns 0, or -1 with err when the
 * writer refused the work or op->curate.cancelled said stop (ERR_UNAVAILABLE:
 * what is recorded stays, the moves finish at the next start). Blocks: not
 * on an HTTP thread. */
int store_curate_run(struct store *st, struct store_op *op, struct error *err);

/* Finishes the link moves that a crash or a stop interrupted (entities with
 * a merge or block still moving). Returns 0 or -1 with err. */
int store_curate_resume(struct store *st, struct error *err);

/* Entities by number of articles (within the window when one is given),
 * most first. Returns 0 or -1. */
int store_entity_list(struct store *st, const struct store_entity_query *q,
                      struct store_entity_rows *out, struct error *err);

/* Entities mentioned in the same articles as eid among its articles of the
 * window [from, to) (INT64_MIN / INT64_MAX: open), ranked by an association
 * score that favours specific partners over merely frequent ones and stays
 * meaningful on a few articles (store_entity_read.c). Returns 0 or -1. */
int store_entity_related(struct store *st, int64_t eid, int64_t from, int64_t to, unsigned limit,
                         struct store_entity_rows *out, struct error *err);

/* Articles mentioning eid, newest first, keyset paged like store_article_list. */
int store_entity_articles(struct store *st, int64_t eid, const struct store_list_query *q,
                          struct store_article_list *out, struct error *err);

struct store_article_mention {
    int64_t start, end, bstart, bend;
    size_t entity; /* index into rows */
};

/* The entities of article seq (rows) and its mentions in text order. */
int store_article_entities(struct store *st, int64_t seq, struct store_entity_rows *rows,
                           struct store_article_mention **mentions, size_t *nmentions,
                           struct error *err);

struct store_stats {
    long long articles;
    long long db_bytes;
    long long wal_frames; /* pages written to the WAL since open (all commits) */
    long long change_seq; /* the last committed change number */
    /* the writer since open: time applying ops, time committing (index
     * flushes and COMMIT), ops applied, transactions */
    long long writer_apply_ns, writer_commit_ns, writer_ops, writer_commits;
    /* of writer_commit_ns: feeding the full-text index, the fingerprint
     * index and the entity index (FTS5 writes their segments at COMMIT) */
    long long writer_index_ns[3];
    long long facet_bytes; /* the facet table (store_facets_bytes) */
};

/* Articles stored (after the last commit), without a query. */
int64_t store_article_count(struct store *st);

/* Counts for /metrics and /readyz. Returns 0 or -1. */
int store_stats(struct store *st, struct store_stats *out, struct error *err);

/* Has fn(arg) called on the writer thread after every commit (to wake the
 * live stream; it must not block). Set before the first write; NULL: none. */
void store_on_commit(struct store *st, void (*fn)(void *arg), void *arg);

struct store_snapshot_info {
    /* in: polled while copying; when it returns non-zero the copy stops
     * (ERR_UNAVAILABLE). May be NULL. */
    int (*cancelled)(void *arg);
    void *cancel_arg;
    /* in: bytes that must stay free on the folder's filesystem once the
     * copy is written (it is estimated as the database's size): a snapshot
     * that would leave less is refused (ERR_FULL) before it starts, so that
     * snapshots never take the space the writes need */
    unsigned long long min_free;
    /* out */
    long long bytes, articles, took_ms;
};

/* Writes a consistent copy of the database (one read snapshot, VACUUM INTO on
 * a connection of its own, so writes go on meanwhile) to path, which must not
 * exist: the copy is written under a temporary name in path's folder, synced,
 * and only then given its name without replacing anything. Returns 0 with info
 * filled, or -1 with err: ERR_CONFLICT when path exists, ERR_FULL when the disk
 * is full or would keep less than info->min_free, ERR_UNAVAILABLE when
 * cancelled, else ERR_INTERNAL. No partial file is left behind (the
 * temporary and its journal are removed; a process killed mid-copy leaves
 * them to store_snapshot_clean). */
int store_snapshot(struct store *st, const char *path, struct store_snapshot_info *info,
                   struct error *err);

/* Removes the temporaries of snapshots interrupted by a crash or kill -9
 * (".snapshot-XXXXXX" and its "-journal") from folder dir: call at start,
 * before any snapshot runs. Returns how many files were removed, or -1 when
 * dir cannot be read; names (size bytes, may be 0) gets their names, ", "
 * between them, cut to fit. */
int store_snapshot_clean(const char *dir, char *names, size_t size);

/* Removes the oldest files of dir whose names start with prefix and end with
 * ".db" (automatic snapshots, named by time so that names sort by age) until
 * keep are left. Returns how many were removed, or -1 when dir cannot be
 * read. */
int store_snapshot_prune(const char *dir, const char *prefix, unsigned keep);

#endif
