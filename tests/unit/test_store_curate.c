/* Unit tests for entity curation (store/store_entity_curate.c): merges with
 * exact counts where both sides share articles, blocks that drop links and
 * keep new articles off the entity, unblocking, curated aliases that catch
 * new articles (and stop when removed), renames that later ingests keep,
 * and a merge killed with SIGKILL mid-way that finishes at the next start
 * with the counts of a recount. After each step, every count, ent_index
 * document and mention record is checked against article_ents. */
#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/entity.h"
#include "store/store.h"
#include "unit_tmp.h"

static struct unit_tmp tmp;
static const char *path = tmp.path;

static void setup(void)
{
    unit_tmp_make(&tmp, "curate");
}

static void teardown(void)
{
    unit_tmp_remove(&tmp);
}

TestSuite(curate, .init = setup, .fini = teardown, .timeout = 120);

/* An entity of a test article: "person:<name>" with that key. */
struct ent {
    const char *name;
    unsigned mentions;
};

/* Keys and ids live as long as the test: one per name. */
static char *intern(const char *fmt, const char *name)
{
    static char *kept[64];
    static size_t n;
    char buf[128];
    snprintf(buf, sizeof buf, fmt, name);
    for (size_t i = 0; i < n; i++)
        if (strcmp(kept[i], buf) == 0)
            return kept[i];
    cr_assert_lt(n, 64);
    return kept[n++] = strdup(buf);
}

/* Writes article id (create or replace) with entities es[0, n): each
 * mention a record of its own, so mention blobs can be counted. */
static void put(struct store *st, const char *id, const struct ent *es, size_t n)
{
    struct store_op op = {0};
    struct store_batch b = {.ops = &op, .nops = 1};
    struct error err = {0};
    size_t nm = 0, m = 0;
    char body[64];

    op.kind = STORE_OP_PUT;
    snprintf(body, sizeof body, "curation test article %s", id);
    op.article.id = strdup(id);
    op.article.title = strdup("t");
    op.article.body = strdup(body);
    op.article.body_len = strlen(body);
    snprintf(op.article.content_hash, sizeof op.article.content_hash, "h:%.60s", body);
    for (size_t i = 0; i < n; i++)
        nm += es[i].mentions;
    op.ents.entities = calloc(n + 1, sizeof *op.ents.entities);
    op.ents.mentions = calloc(nm + 1, sizeof *op.ents.mentions);
    cr_assert(op.ents.entities && op.ents.mentions);
    for (size_t i = 0; i < n; i++) {
        struct store_entity *e = &op.ents.entities[i];
        e->id = intern("person:%s", es[i].name);
        e->key = intern("person:%s", es[i].name);
        e->name = intern("%s", es[i].name);
        e->name_fold = intern("%s", es[i].name);
        e->type = "person";
        e->mentions = es[i].mentions;
        for (unsigned k = 0; k < es[i].mentions; k++, m++)
            op.ents.mentions[m] =
                (struct store_mention){(int64_t)m, (int64_t)m + 1, (int64_t)m, (int64_t)m + 1, i};
    }
    op.ents.n = n;
    op.ents.nmentions = nm;
    op.ents.owner = &op;
    cr_assert_eq(store_write(st, &b, &err), 0, "%s", err.msg);
    cr_assert(!op.failed, "%s", op.err.msg);
    free(op.ents.entities);
    free(op.ents.mentions);
    article_clear(&op.article);
}

/* Runs a curation; returns the op's error code (ERR_NONE on success) and
 * its change number in *change (may be NULL). */
static enum error_code curate(struct store *st, enum store_curate_kind kind, const char *id,
                              const char *into, int *noop)
{
    struct store_op op = {0};
    struct error err = {0};
    op.curate.kind = kind;
    op.curate.id = (char *)id;
    op.curate.into = (char *)into;
    cr_assert_eq(store_curate_run(st, &op, &err), 0, "%s", err.msg);
    if (noop != NULL)
        *noop = op.curate.noop;
    if (!op.failed)
        cr_expect(op.curate.noop || op.change_seq > 0, "a curation without a change number");
    return op.failed ? op.err.code : ERR_NONE;
}

/* PUT /v1/entities/{id} as the store sees it. */
static enum error_code update(struct store *st, const char *id, const char *name,
                              const char *const *aliases, size_t naliases, int set_aliases)
{
    struct store_op op = {0};
    struct error err = {0};
    op.curate.kind = STORE_CURATE_UPDATE;
    op.curate.id = (char *)id;
    op.curate.name = (char *)name;
    op.curate.aliases = (char **)aliases;
    op.curate.naliases = naliases;
    op.curate.set_aliases = set_aliases;
    cr_assert_eq(store_curate_run(st, &op, &err), 0, "%s", err.msg);
    return op.failed ? op.err.code : ERR_NONE;
}

/* GET /v1/entities/{id}: 1 with the row, 0 when not found. */
static int get(struct store *st, const char *id, struct store_entity_row *row)
{
    struct error err = {0};
    if (store_entity_get(st, id, row, &err) == 0)
        return 1;
    cr_assert_eq(err.code, ERR_NOT_FOUND, "%s", err.msg);
    return 0;
}

static long long articles_of(struct store *st, const char *id, long long *mentions)
{
    struct store_entity_row row;
    long long n = 0;
    if (mentions != NULL)
        *mentions = 0;
    if (get(st, id, &row)) {
        n = row.articles;
        if (mentions != NULL)
            *mentions = row.mentions;
        store_entity_row_clear(&row);
    }
    return n;
}

static sqlite3 *db_open(void)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static int64_t db_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(db));
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Every entity's count (stored plus unfolded deltas) equals a recount of
 * article_ents, its ent_index documents equal its linked articles, and the
 * mention records naming it equal its mention count. */
static void expect_exact(const char *when)
{
    sqlite3 *db = db_open();
    sqlite3_stmt *s = NULL;

    cr_expect_eq(db_int(db, "SELECT count(*) FROM entities e WHERE e.articles"
                            " + coalesce((SELECT sum(articles) FROM entity_deltas d"
                            "   WHERE d.eid = e.eid), 0) <> (SELECT count(*) FROM article_ents ae,"
                            "   json_each(ae.ents) j WHERE json_extract(j.value, '$[0]') = e.eid)"),
                 0, "%s: article counts differ from a recount", when);
    cr_expect_eq(db_int(db, "SELECT count(*) FROM entities e WHERE e.mentions"
                            " + coalesce((SELECT sum(mentions) FROM entity_deltas d"
                            "   WHERE d.eid = e.eid), 0) <> (SELECT coalesce(sum(json_extract("
                            "   j.value, '$[1]')), 0) FROM article_ents ae, json_each(ae.ents) j"
                            "   WHERE json_extract(j.value, '$[0]') = e.eid)"),
                 0, "%s: mention counts differ from a recount", when);
    /* an article lists an entity once */
    cr_expect_eq(db_int(db, "SELECT count(*) FROM (SELECT ae.seq, json_extract(j.value, '$[0]')"
                            " FROM article_ents ae, json_each(ae.ents) j GROUP BY 1, 2"
                            " HAVING count(*) > 1)"),
                 0, "%s: an entity listed twice by one article", when);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT eid FROM entities", -1, &s, NULL), SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        int64_t eid = sqlite3_column_int64(s, 0), links, docs, mentions, records = 0;
        char sql[512];
        sqlite3_stmt *b = NULL;
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM article_ents ae, json_each(ae.ents) j"
                 " WHERE json_extract(j.value, '$[0]') = %lld",
                 (long long)eid);
        links = db_int(db, sql);
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM ent_index WHERE ent_index MATCH '\"e%lld\"'",
                 (long long)eid);
        docs = db_int(db, sql);
        cr_expect_eq(docs, links, "%s: entity %lld has %lld index documents for %lld links", when,
                     (long long)eid, (long long)docs, (long long)links);
        snprintf(sql, sizeof sql,
                 "SELECT coalesce(sum(json_extract(j.value, '$[1]')), 0) FROM article_ents ae,"
                 " json_each(ae.ents) j WHERE json_extract(j.value, '$[0]') = %lld",
                 (long long)eid);
        mentions = db_int(db, sql);
        cr_assert_eq(sqlite3_prepare_v2(db, "SELECT data FROM article_mentions", -1, &b, NULL),
                     SQLITE_OK);
        while (sqlite3_step(b) == SQLITE_ROW) {
            const unsigned char *p = sqlite3_column_blob(b, 0);
            int bytes = sqlite3_column_bytes(b, 0);
            for (int off = 0; off + 40 <= bytes; off += 40) {
                uint64_t v = 0;
                for (int k = 0; k < 8; k++)
                    v |= (uint64_t)p[off + 32 + k] << (8 * k);
                records += (int64_t)v == eid;
            }
        }
        sqlite3_finalize(b);
        cr_expect_eq(records, mentions, "%s: entity %lld has %lld mention records for %lld", when,
                     (long long)eid, (long long)records, (long long)mentions);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static struct store *open_store(unsigned chunk)
{
    struct store *st = NULL;
    struct error err = {0};
    struct store_options o = {.entity_fold_rows = 3, .curate_chunk = chunk};
    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    return st;
}

Test(curate, merge_counts_exact_with_overlap_and_new_articles_follow)
{
    struct store *st = open_store(2); /* several chunks */
    struct store_entity_row row;
    long long m;
    int noop = 0;

    put(st, "a1", (struct ent[]){{"ada", 2}, {"bob", 1}}, 2);
    put(st, "a2", (struct ent[]){{"ada", 1}}, 1);
    put(st, "a3", (struct ent[]){{"bob", 3}}, 1);
    put(st, "a4", (struct ent[]){{"carl", 1}, {"bob", 1}}, 2);
    put(st, "a5", (struct ent[]){{"bob", 1}}, 1);

    cr_assert_eq(curate(st, STORE_CURATE_MERGE, "person:bob", "person:ada", &noop), ERR_NONE);
    cr_expect(!noop);
    /* a1 mentions both: counted once; its mentions add up */
    cr_expect_eq(articles_of(st, "person:ada", &m), 5);
    cr_expect_eq(m, 2 + 1 + 1 + 3 + 1 + 1);
    cr_assert(get(st, "person:bob", &row), "a merged entity answers with merged_into");
    cr_expect_str_eq(row.merged_into ? row.merged_into : "", "person:ada");
    cr_expect_eq(row.articles, 0);
    store_entity_row_clear(&row);
    expect_exact("after the merge");

    /* repeated: done already; into itself, or into the merged one: conflicts */
    cr_expect_eq(curate(st, STORE_CURATE_MERGE, "person:bob", "person:ada", &noop), ERR_NONE);
    cr_expect(noop);
    cr_expect_eq(curate(st, STORE_CURATE_MERGE, "person:ada", "person:ada", NULL), ERR_CONFLICT);
    cr_expect_eq(curate(st, STORE_CURATE_MERGE, "person:carl", "person:bob", NULL), ERR_CONFLICT);
    cr_expect_eq(curate(st, STORE_CURATE_MERGE, "person:bob", "person:carl", NULL), ERR_CONFLICT);
    cr_expect_eq(curate(st, STORE_CURATE_MERGE, "person:nobody", "person:ada", NULL),
                 ERR_NOT_FOUND);
    cr_expect_eq(curate(st, STORE_CURATE_MERGE, "person:carl", "person:nobody", NULL),
                 ERR_UNPROCESSABLE);

    /* new and re-ingested articles land on the survivor, once per article */
    put(st, "a6", (struct ent[]){{"bob", 2}, {"ada", 1}}, 2);
    put(st, "a3", (struct ent[]){{"bob", 1}}, 1);
    cr_expect_eq(articles_of(st, "person:ada", &m), 6);
    cr_expect_eq(m, 2 + 1 + 1 + 1 + 1 + 1 + 3);
    cr_expect_eq(articles_of(st, "person:bob", NULL), 0);
    expect_exact("after new articles");

    /* a chain: what was merged into ada follows ada */
    cr_assert_eq(curate(st, STORE_CURATE_MERGE, "person:ada", "person:carl", NULL), ERR_NONE);
    cr_assert(get(st, "person:bob", &row));
    cr_expect_str_eq(row.merged_into ? row.merged_into : "", "person:carl");
    store_entity_row_clear(&row);
    put(st, "a7", (struct ent[]){{"bob", 1}}, 1);
    cr_expect_eq(articles_of(st, "person:carl", NULL), 7);
    cr_expect_eq(articles_of(st, "person:ada", NULL), 0);
    expect_exact("after a chained merge");
    store_close(st);
}

Test(curate, block_drops_links_new_articles_skip_it_and_unblock_lifts_it)
{
    struct store *st = open_store(0);
    struct store_entity_row row;
    struct store_entity_query q = {.from = INT64_MIN, .to = INT64_MAX, .limit = 50};
    struct store_entity_rows rows;
    struct error err = {0};
    int noop = 0;

    put(st, "a1", (struct ent[]){{"ada", 1}, {"reuter", 2}}, 2);
    put(st, "a2", (struct ent[]){{"reuter", 1}}, 1);
    put(st, "a3", (struct ent[]){{"reuter", 1}, {"bob", 1}}, 2);
    cr_assert_eq(curate(st, STORE_CURATE_MERGE, "person:bob", "person:ada", NULL), ERR_NONE);

    cr_assert_eq(curate(st, STORE_CURATE_BLOCK, "person:reuter", NULL, &noop), ERR_NONE);
    cr_expect(!noop);
    cr_assert(get(st, "person:reuter", &row));
    cr_expect(row.blocked);
    cr_expect_eq(row.articles, 0);
    cr_expect_eq(row.mentions, 0);
    store_entity_row_clear(&row);
    cr_expect_eq(articles_of(st, "person:ada", NULL), 2);
    expect_exact("after the block");
    /* gone from the list */
    cr_assert_eq(store_entity_list(st, &q, &rows, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < rows.n; i++)
        cr_expect_str_neq(rows.items[i].id, "person:reuter");
    store_entity_rows_free(&rows);

    /* new and re-ingested articles leave it out; a merged entity cannot be
     * blocked, nor a blocked one merged */
    put(st, "a4", (struct ent[]){{"reuter", 3}, {"ada", 1}}, 2);
    put(st, "a2", (struct ent[]){{"reuter", 1}}, 1);
    cr_expect_eq(articles_of(st, "person:reuter", NULL), 0);
    cr_expect_eq(articles_of(st, "person:ada", NULL), 3);
    cr_expect_eq(curate(st, STORE_CURATE_BLOCK, "person:reuter", NULL, &noop), ERR_NONE);
    cr_expect(noop);
    cr_expect_eq(curate(st, STORE_CURATE_BLOCK, "person:bob", NULL, NULL), ERR_CONFLICT);
    cr_expect_eq(curate(st, STORE_CURATE_MERGE, "person:ada", "person:reuter", NULL), ERR_CONFLICT);
    expect_exact("after new articles");

    /* lifted: new articles mention it again, old ones are not analysed again */
    cr_assert_eq(curate(st, STORE_CURATE_UNBLOCK, "person:reuter", NULL, &noop), ERR_NONE);
    cr_expect(!noop);
    put(st, "a5", (struct ent[]){{"reuter", 1}}, 1);
    cr_expect_eq(articles_of(st, "person:reuter", NULL), 1);
    cr_assert(get(st, "person:reuter", &row));
    cr_expect(!row.blocked);
    store_entity_row_clear(&row);
    cr_expect_eq(curate(st, STORE_CURATE_UNBLOCK, "person:reuter", NULL, &noop), ERR_NONE);
    cr_expect(noop);
    expect_exact("after the unblock");
    store_close(st);
}

Test(curate, alias_redirects_and_renames_stick)
{
    struct store *st = open_store(0);
    struct store_entity_row row;
    const char *const aliases[] = {"Augusta", "A. Lovelace"};
    char *augusta = entity_key_for(ENTITY_PERSON, "Augusta", 7);

    cr_assert_not_null(augusta);
    put(st, "a1", (struct ent[]){{"ada", 1}}, 1);
    put(st, "a2", (struct ent[]){{"bob", 1}}, 1);
    cr_assert_eq(update(st, "person:ada", "Ada Lovelace", aliases, 2, 1), ERR_NONE);
    cr_assert(get(st, "person:ada", &row));
    cr_expect_str_eq(row.name, "Ada Lovelace");
    cr_expect_eq(row.naliases, 2);
    store_entity_row_clear(&row);

    /* an article whose extracted entity has the alias's key joins ada; a
     * re-ingest of ada's own article keeps the curated name */
    cr_assert_str_eq(augusta, "person:augusta", "the test's names are their keys");
    put(st, "a3", (struct ent[]){{"augusta", 2}}, 1);
    put(st, "a1", (struct ent[]){{"ada", 1}}, 1);
    cr_expect_eq(articles_of(st, "person:ada", NULL), 2);
    cr_expect(!get(st, "person:augusta", &row), "the alias made an entity of its own");
    cr_assert(get(st, "person:ada", &row));
    cr_expect_str_eq(row.name, "Ada Lovelace");
    store_entity_row_clear(&row);
    expect_exact("after the alias");

    /* another entity's name is no alias: merge it instead */
    cr_expect_eq(update(st, "person:ada", NULL, (const char *const[]){"Bob"}, 1, 1), ERR_CONFLICT);
    cr_expect_eq(update(st, "person:nobody", "X", NULL, 0, 0), ERR_NOT_FOUND);

    /* a redirect leads to a blocked entity: the article leaves it out */
    cr_assert_eq(curate(st, STORE_CURATE_BLOCK, "person:ada", NULL, NULL), ERR_NONE);
    put(st, "a5", (struct ent[]){{"augusta", 1}, {"bob", 1}}, 2);
    cr_expect(!get(st, "person:augusta", &row), "a blocked entity's alias made an entity");
    cr_expect_eq(articles_of(st, "person:ada", NULL), 0);
    cr_expect_eq(articles_of(st, "person:bob", NULL), 2);
    expect_exact("after blocking the alias's entity");
    cr_assert_eq(curate(st, STORE_CURATE_UNBLOCK, "person:ada", NULL, NULL), ERR_NONE);
    put(st, "a1", (struct ent[]){{"ada", 1}}, 1);
    put(st, "a3", (struct ent[]){{"augusta", 2}}, 1);
    cr_expect_eq(articles_of(st, "person:ada", NULL), 2);

    /* removed: its redirect goes, new articles make their own entity */
    cr_assert_eq(update(st, "person:ada", NULL, NULL, 0, 1), ERR_NONE);
    cr_assert(get(st, "person:ada", &row));
    cr_expect_eq(row.naliases, 0);
    store_entity_row_clear(&row);
    put(st, "a4", (struct ent[]){{"augusta", 1}}, 1);
    cr_expect_eq(articles_of(st, "person:augusta", NULL), 1);
    cr_expect_eq(articles_of(st, "person:ada", NULL), 2);
    expect_exact("after removing the alias");
    free(augusta);
    store_close(st);
}

/* The child's chunk hook: killed after its third committed chunk. */
static int chunks_done;
static void kill_after_three(void *arg)
{
    (void)arg;
    if (++chunks_done == 3)
        kill(getpid(), SIGKILL);
}

Test(curate, merge_killed_mid_way_finishes_at_the_next_start)
{
    struct store *st = open_store(0);
    int status = 0;
    pid_t pid;
    sqlite3 *db;
    int64_t merge_change, moving;

    for (int i = 0; i < 60; i++) {
        char id[16];
        snprintf(id, sizeof id, "k%d", i);
        if (i % 2)
            put(st, id, (struct ent[]){{"big", 2}}, 1);
        else
            put(st, id, (struct ent[]){{"ada", 1}, {"big", 1}}, 2);
    }
    store_close(st);

    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct store *cst = NULL;
        struct error err = {0};
        struct store_options o = {
            .entity_fold_rows = 3, .curate_chunk = 7, .curate_chunk_hook = kill_after_three};
        struct store_op op = {0};
        if (store_open(path, &o, &cst, &err) != 0)
            _exit(2);
        op.curate.kind = STORE_CURATE_MERGE;
        op.curate.id = "person:big";
        op.curate.into = "person:ada";
        store_curate_run(cst, &op, &err);
        _exit(3); /* not reached: killed after the third chunk */
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the child was not killed");

    /* mid-way: the merge is persisted, some links moved, counts exact */
    db = db_open();
    moving = db_int(db, "SELECT moving FROM entity_curation c JOIN entities e ON e.eid = c.eid"
                        " WHERE e.id = 'person:big'");
    cr_expect_eq(moving, 1);
    cr_expect_gt(db_int(db, "SELECT count(*) FROM ent_index WHERE ent_index MATCH"
                            " (SELECT '\"e' || eid || '\"' FROM entities WHERE id = 'person:big')"),
                 0, "the child moved everything before it was killed");
    merge_change = db_int(db, "SELECT change_seq FROM curation_log WHERE op = 'merge'");
    sqlite3_close(db);
    expect_exact("killed mid-merge");

    /* the next start finishes it */
    st = open_store(7);
    {
        struct error err = {0};
        long long m;
        struct store_op op = {0};
        struct store_batch b = {.ops = &op, .nops = 1};
        cr_assert_eq(store_curate_resume(st, &err), 0, "%s", err.msg);
        cr_expect_eq(articles_of(st, "person:ada", &m), 60);
        cr_expect_eq(m, 30 * 2 + 30 * 2);
        cr_expect_eq(articles_of(st, "person:big", NULL), 0);
        /* change numbers go on after the curation's */
        op.kind = STORE_OP_DELETE;
        op.article.id = strdup("k0");
        cr_assert_eq(store_write(st, &b, &err), 0);
        cr_expect_gt(op.change_seq, merge_change);
        free(op.article.id);
    }
    store_close(st);
    db = db_open();
    cr_expect_eq(db_int(db, "SELECT count(*) FROM entity_curation WHERE moving = 1"), 0);
    sqlite3_close(db);
    expect_exact("after the resumed merge");
}
