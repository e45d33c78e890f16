/* Unit tests for store_search_match (store_search.c), the one builder of a
 * search's FTS5 expression with its value filters, and for the src tokens
 * the writer indexes (schema.h, SCHEMA_SRC_TOKENS): values with quotes,
 * spaces, non-ASCII bytes and a leading '-' are exact values, never FTS5
 * syntax; replaces and deletes keep the index equal to its content. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/article.h"
#include "store/store_int.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/articled-match-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.db", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(search_match, .init = setup, .fini = teardown, .timeout = 60);

static struct store_search_query query(const char *match)
{
    struct store_search_query q = {.match = match,
                                   .from = INT64_MIN,
                                   .to = INT64_MAX,
                                   .sort = STORE_SORT_NEWEST,
                                   .limit = 50,
                                   .want_total = 1};
    return q;
}

static void expect_match(const struct store_search_query *q, const char *want)
{
    char *m = store_search_match(q);
    cr_assert_not_null(m);
    cr_expect_str_eq(m, want);
    free(m);
}

Test(search_match, values_become_hex_tokens_or_within_and_across)
{
    static const char *const sources[] = {"AFP", "Reuters"};
    static const char *const tags[] = {"a \"b\"", "-x"};
    static const char *const xlang[] = {"fr"};
    static const char *const authors[] = {"Jörg"};
    struct store_search_query q = query("\"storm\"");

    expect_match(&q, "(\"storm\")");
    q.fields[STORE_FIELD_SOURCE].in = sources;
    q.fields[STORE_FIELD_SOURCE].nin = 2;
    expect_match(&q, "(\"storm\") AND src : (\"zzs414650q\" OR \"zzs52657574657273q\")");
    /* quotes, spaces and a leading '-' are bytes of the value */
    q.fields[STORE_FIELD_TAG].in = tags;
    q.fields[STORE_FIELD_TAG].nin = 2;
    q.fields[STORE_FIELD_LANGUAGE].out = xlang;
    q.fields[STORE_FIELD_LANGUAGE].nout = 1;
    q.fields[STORE_FIELD_AUTHOR].out = authors;
    q.fields[STORE_FIELD_AUTHOR].nout = 1;
    expect_match(&q, "(\"storm\") AND src : (\"zzs414650q\" OR \"zzs52657574657273q\")"
                     " AND src : (\"zzt6120226222q\" OR \"zzt2D78q\")"
                     " NOT (src : (\"zzl6672q\") OR src : (\"zza4AC3B67267q\"))");
    /* the legacy single source joins the source values */
    q.source = "dpa";
    q.fields[STORE_FIELD_TAG].nin = 0;
    q.fields[STORE_FIELD_LANGUAGE].nout = 0;
    q.fields[STORE_FIELD_AUTHOR].nout = 0;
    expect_match(&q, "(\"storm\") AND src : (\"zzs414650q\" OR \"zzs52657574657273q\" OR "
                     "\"zzs647061q\")");
}

Test(search_match, no_query_or_only_exclusions_use_the_every_article_token)
{
    static const char *const xs[] = {"AFP"};
    struct store_search_query q = query(NULL);

    expect_match(&q, "src : \"zzxq\"");
    q.fields[STORE_FIELD_SOURCE].out = xs;
    q.fields[STORE_FIELD_SOURCE].nout = 1;
    expect_match(&q, "src : \"zzxq\" NOT (src : (\"zzs414650q\"))");
    q.fields[STORE_FIELD_TAG].in = xs;
    q.fields[STORE_FIELD_TAG].nin = 1;
    expect_match(&q, "src : (\"zzt414650q\") NOT (src : (\"zzs414650q\"))");
}

Test(search_match, query_terms_that_could_reach_a_filter_token_stay_in_title_and_body)
{
    struct store_search_query q = query("\"zzt41q\"");
    expect_match(&q, "{title body} : (\"zzt41q\")");
    q.match = "\"ab\" *";
    expect_match(&q, "{title body} : (\"ab\" *)");
    q.match = "\"café\"";
    expect_match(&q, "{title body} : (\"café\")");
}

/* ---- against a store ---- */

static int put(struct store *st, const char *id, const char *source, const char *tags,
               const char *language, const char *author, int64_t ts)
{
    struct store_batch b = {0};
    struct store_op op;
    struct error err = {0};
    struct article *a = &op.article;
    int rc;

    memset(&op, 0, sizeof op);
    op.kind = STORE_OP_PUT;
    a->id = strdup(id);
    a->title = strdup("title");
    a->body = strdup("a storm body");
    a->body_len = strlen(a->body);
    a->source = source ? strdup(source) : NULL;
    a->tags_json = tags ? strdup(tags) : NULL;
    a->language = language ? strdup(language) : NULL;
    a->author = author ? strdup(author) : NULL;
    a->published_at = strdup("2025-01-01T00:00:00Z");
    a->published_ts = ts;
    snprintf(a->content_hash, sizeof a->content_hash, "h:%s", id);
    b.ops = &op;
    b.nops = 1;
    rc = store_write(st, &b, &err);
    if (rc == 0 && op.failed)
        rc = -1;
    article_clear(&op.article);
    error_clear(&op.err);
    return rc;
}

/* The ids q finds, newest first, comma-separated (static buffer). */
static const char *found(struct store *st, struct store_search_query *q)
{
    static char buf[256];
    struct store_hits hits;
    struct error err = {0};

    buf[0] = '\0';
    cr_assert_eq(store_search(st, q, &hits, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < hits.n; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? "," : "",
                 hits.items[i].id);
    cr_expect_eq(hits.total, (long long)hits.n, "total %lld, %zu hits", hits.total, hits.n);
    store_hits_free(&hits);
    return buf;
}

static void expect_fulltext_consistent(void)
{
    sqlite3 *db;
    char *msg = NULL;

    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_expect_eq(sqlite3_exec(db,
                              "INSERT INTO articles_fts(articles_fts, rank)"
                              " VALUES('integrity-check', 1)",
                              NULL, NULL, &msg),
                 SQLITE_OK, "%s", msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(db);
}

Test(search_match, odd_values_filter_exactly_and_the_index_follows_writes)
{
    static const char *const quoted[] = {"say \"hi\""}, *const dash[] = {"-minus"},
                             *const nonascii[] = {"Zürich"}, *const nonascii_fold[] = {"Zurich"},
                             *const en[] = {"en"}, *const star[] = {"x*"};
    struct store *st = NULL;
    struct store_options o = {0};
    struct error err = {0};
    struct store_search_query q;

    cr_assert_eq(store_open(path, &o, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(put(st, "a", "AFP", "[\"say \\\"hi\\\"\",\"-minus\"]", "en", "Zürich", 10), 0);
    cr_assert_eq(put(st, "b", "Zürich", "[\"x*\"]", "de", NULL, 20), 0);
    cr_assert_eq(put(st, "c", NULL, NULL, NULL, NULL, 30), 0);
    /* tags that are not JSON strings are no tokens */
    cr_assert_eq(put(st, "d", "", "[1, null, \"\"]", "", "", 40), 0);

    q = query(NULL);
    cr_expect_str_eq(found(st, &q), "d,c,b,a", "a browse");
    q.fields[STORE_FIELD_TAG].in = quoted;
    q.fields[STORE_FIELD_TAG].nin = 1;
    cr_expect_str_eq(found(st, &q), "a");
    q.fields[STORE_FIELD_TAG].in = dash;
    cr_expect_str_eq(found(st, &q), "a");
    q.fields[STORE_FIELD_TAG].in = star;
    cr_expect_str_eq(found(st, &q), "b", "a '*' is a byte, not a prefix");
    q.fields[STORE_FIELD_TAG].nin = 0;
    q.fields[STORE_FIELD_AUTHOR].in = nonascii;
    q.fields[STORE_FIELD_AUTHOR].nin = 1;
    cr_expect_str_eq(found(st, &q), "a", "an author, not the source of the same name");
    q.fields[STORE_FIELD_AUTHOR].in = nonascii_fold;
    cr_expect_str_eq(found(st, &q), "", "exact bytes: no folding");
    q.fields[STORE_FIELD_AUTHOR].nin = 0;
    q.fields[STORE_FIELD_SOURCE].out = nonascii;
    q.fields[STORE_FIELD_SOURCE].nout = 1;
    q.fields[STORE_FIELD_LANGUAGE].out = en;
    q.fields[STORE_FIELD_LANGUAGE].nout = 1;
    cr_expect_str_eq(found(st, &q), "d,c", "only exclusions");
    q.match = "\"storm\"";
    q.sort = STORE_SORT_OLDEST;
    cr_expect_str_eq(found(st, &q), "c,d", "with a query, oldest first");

    /* a replace and a delete move the tokens: the index stays its content's */
    cr_assert_eq(put(st, "a", "dpa", "[\"new\"]", "fr", NULL, 10), 0);
    cr_assert_eq(put(st, "b", "Zürich", NULL, "de", "Ann", 20), 0);
    q = query(NULL);
    q.fields[STORE_FIELD_TAG].in = quoted;
    q.fields[STORE_FIELD_TAG].nin = 1;
    cr_expect_str_eq(found(st, &q), "");
    q.fields[STORE_FIELD_TAG].in = star;
    cr_expect_str_eq(found(st, &q), "");
    q.fields[STORE_FIELD_TAG].nin = 0;
    q.sort = STORE_SORT_INGESTED;
    cr_expect_str_eq(found(st, &q), "b,a,d,c", "commit order");
    store_close(st);
    expect_fulltext_consistent();
}
