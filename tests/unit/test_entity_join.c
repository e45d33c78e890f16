/* Unit tests of the writer's cross-article join of lone names
 * (store/store_entity_join.c): "Reagan" alone joins Ronald Reagan when an
 * earlier article tied the two, not when two full names share the surname
 * evenly, not across periods, not by a first name; an article naming both
 * counts once; counts stay exact under delete. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "unit_tmp.h"

static struct unit_tmp tmp;
static const char *path = tmp.path;
static const struct store_options opts = {0};

static void setup(void)
{
    unit_tmp_make(&tmp, "join");
}

static void teardown(void)
{
    unit_tmp_remove(&tmp);
}

TestSuite(entity_join, .init = setup, .fini = teardown, .timeout = 60);

/* A person as the extractor hands it over: "Ronald Reagan" with its
 * aliases, or a lone "Reagan" (no space in the key). */
struct person {
    const char *id, *key, *name, *fold;
    const char *aliases[2], *alias_folds[2];
    size_t naliases;
};

static const struct person RONALD = {"person:ronald-reagan", "person:ronald reagan",
                                     "Ronald Reagan", "ronald reagan",
                                     {"Ronald Reagan", "Reagan"}, {"ronald reagan", "reagan"}, 2};
static const struct person REAGAN = {"person:reagan", "person:reagan", "Reagan", "reagan",
                                     {"Reagan"}, {"reagan"}, 1};
static const struct person DONALD = {"person:donald-trump", "person:donald trump", "Donald Trump",
                                     "donald trump", {"Donald Trump", "Trump"},
                                     {"donald trump", "trump"}, 2};
static const struct person LARA = {"person:lara-trump", "person:lara trump", "Lara Trump",
                                   "lara trump", {"Lara Trump", "Trump"},
                                   {"lara trump", "trump"}, 2};
static const struct person TRUMP = {"person:trump", "person:trump", "Trump", "trump",
                                    {"Trump"}, {"trump"}, 1};
static const struct person VOLCKER = {"person:paul-volcker", "person:paul volcker",
                                      "Paul Volcker", "paul volcker", {"Paul Volcker", "Paul"},
                                      {"paul volcker", "paul"}, 2};
static const struct person PAUL = {"person:paul", "person:paul", "Paul", "paul", {"Paul"},
                                   {"paul"}, 1};

/* Stores article id at time ts (seconds) naming the given people (one
 * mention each). */
static void store_people(struct store *st, const char *id, int64_t ts,
                         const struct person *const *people, size_t n)
{
    struct store_entity ents[4];
    struct store_op op = {0};
    struct store_batch b = {0};
    struct error err = {0};
    char date[32], body[96];
    time_t t = (time_t)ts;
    struct tm tm;

    cr_assert_leq(n, 4);
    memset(ents, 0, sizeof ents);
    for (size_t i = 0; i < n; i++)
        ents[i] = (struct store_entity){.id = people[i]->id,
                                        .key = people[i]->key,
                                        .name = people[i]->name,
                                        .name_fold = people[i]->fold,
                                        .type = "person",
                                        .aliases = people[i]->aliases,
                                        .alias_folds = people[i]->alias_folds,
                                        .naliases = people[i]->naliases,
                                        .mentions = 1};
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(body, sizeof body, "article %s", id);
    op.kind = STORE_OP_PUT;
    op.article.id = strdup(id);
    op.article.title = strdup("title");
    op.article.body = strdup(body);
    op.article.body_len = strlen(body);
    op.article.published_at = strdup(date);
    op.article.published_ts = ts;
    snprintf(op.article.content_hash, sizeof op.article.content_hash, "h:%.60s", id);
    op.ents.entities = ents;
    op.ents.n = n;
    op.ents.owner = &op; /* marks the article as analysed for entities */
    b.ops = &op;
    b.nops = 1;
    cr_assert_eq(store_write(st, &b, &err), 0, "%s", err.msg);
    cr_assert(!op.failed, "%s", op.err.msg);
    op.ents.entities = NULL;
    article_clear(&op.article);
}

static void delete_article(struct store *st, const char *id)
{
    struct store_op op = {0};
    struct store_batch b = {0};
    struct error err = {0};
    op.kind = STORE_OP_DELETE;
    op.article.id = strdup(id);
    b.ops = &op;
    b.nops = 1;
    cr_assert_eq(store_write(st, &b, &err), 0, "%s", err.msg);
    cr_assert(!op.failed, "%s", op.err.msg);
    article_clear(&op.article);
}

/* articles and mentions of entity id (0, 0 when it does not exist) */
static void counts(struct store *st, const char *id, long long *articles, long long *mentions)
{
    struct store_entity_row row;
    struct error err = {0};
    *articles = *mentions = 0;
    if (store_entity_get(st, id, &row, &err) != 0) {
        cr_assert_eq(err.code, ERR_NOT_FOUND, "%s", err.msg);
        return;
    }
    *articles = row.articles;
    *mentions = row.mentions;
    store_entity_row_clear(&row);
}

static long long articles_of(struct store *st, const char *id)
{
    long long a, m;
    counts(st, id, &a, &m);
    return a;
}

#define DAY   86400LL
#define T1987 541382400LL /* 1987-02-27 */

Test(entity_join, lone_surname_joins_the_full_name_named_before)
{
    struct store *st = NULL;
    struct error err = {0};
    const struct person *full[] = {&RONALD}, *lone[] = {&REAGAN}, *both[] = {&RONALD, &REAGAN};
    long long a, m;

    cr_assert_eq(store_open(path, &opts, &st, &err), 0, "%s", err.msg);
    store_people(st, "a1", T1987, full, 1);
    store_people(st, "a2", T1987 + DAY, lone, 1);
    store_people(st, "a3", T1987 + 2 * DAY, lone, 1);
    cr_expect_eq(articles_of(st, "person:ronald-reagan"), 3);
    cr_expect_eq(articles_of(st, "person:reagan"), 0, "the lone name made no entity of its own");
    /* an article whose two entities became one counts once, mentions summed */
    store_people(st, "a4", T1987 + 3 * DAY, both, 2);
    counts(st, "person:ronald-reagan", &a, &m);
    cr_expect_eq(a, 4);
    cr_expect_eq(m, 5);
    delete_article(st, "a4");
    delete_article(st, "a2");
    counts(st, "person:ronald-reagan", &a, &m);
    cr_expect_eq(a, 2, "counts exact after deletes");
    cr_expect_eq(m, 2);
    store_close(st);
}

Test(entity_join, not_before_the_full_name_nor_in_another_period)
{
    struct store *st = NULL;
    struct error err = {0};
    const struct person *full[] = {&RONALD}, *lone[] = {&REAGAN};

    cr_assert_eq(store_open(path, &opts, &st, &err), 0, "%s", err.msg);
    store_people(st, "b1", T1987, lone, 1); /* nothing to join yet */
    cr_expect_eq(articles_of(st, "person:reagan"), 1);
    store_people(st, "b2", T1987 + DAY, full, 1);
    /* a year later, with no article of Ronald Reagan in between: apart */
    store_people(st, "b3", T1987 + 400 * DAY, lone, 1);
    cr_expect_eq(articles_of(st, "person:reagan"), 2);
    cr_expect_eq(articles_of(st, "person:ronald-reagan"), 1);
    store_close(st);
}

Test(entity_join, shared_surname_joins_only_a_dominant_full_name)
{
    struct store *st = NULL;
    struct error err = {0};
    const struct person *donald[] = {&DONALD}, *lara[] = {&LARA}, *lone[] = {&TRUMP};
    char id[16];

    cr_assert_eq(store_open(path, &opts, &st, &err), 0, "%s", err.msg);
    for (int i = 0; i < 2; i++) {
        snprintf(id, sizeof id, "d%d", i);
        store_people(st, id, T1987 + i, donald, 1);
        snprintf(id, sizeof id, "l%d", i);
        store_people(st, id, T1987 + i, lara, 1);
    }
    store_people(st, "t1", T1987 + DAY, lone, 1); /* 2 against 2: ambiguous */
    cr_expect_eq(articles_of(st, "person:trump"), 1);
    cr_expect_eq(articles_of(st, "person:donald-trump"), 2);
    cr_expect_eq(articles_of(st, "person:lara-trump"), 2);
    store_close(st);

    /* reopened (nothing remembered): Donald now has 8 articles to Lara's 2 */
    cr_assert_eq(store_open(path, &opts, &st, &err), 0, "%s", err.msg);
    for (int i = 2; i < 8; i++) {
        snprintf(id, sizeof id, "d%d", i);
        store_people(st, id, T1987 + i, donald, 1);
    }
    store_people(st, "t2", T1987 + DAY, lone, 1);
    cr_expect_eq(articles_of(st, "person:donald-trump"), 9);
    cr_expect_eq(articles_of(st, "person:lara-trump"), 2);
    cr_expect_eq(articles_of(st, "person:trump"), 1);
    store_close(st);
}

Test(entity_join, a_first_name_alone_never_joins)
{
    struct store *st = NULL;
    struct error err = {0};
    const struct person *full[] = {&VOLCKER}, *lone[] = {&PAUL};

    cr_assert_eq(store_open(path, &opts, &st, &err), 0, "%s", err.msg);
    store_people(st, "p1", T1987, full, 1);
    store_people(st, "p2", T1987 + DAY, lone, 1);
    cr_expect_eq(articles_of(st, "person:paul-volcker"), 1);
    cr_expect_eq(articles_of(st, "person:paul"), 1);
    store_close(st);
}
