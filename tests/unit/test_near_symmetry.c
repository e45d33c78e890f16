/* The duplicate relation is symmetric on real news: every article of BBC (and
 * the first 3,000 of Reuters-21578, and a slice of it that holds a brief and
 * the digest that contains it) is stored, each is looked up as
 * GET /v1/articles/{id}/duplicates does (near_find, itself excluded) and as
 * POST /v1/duplicates/_check with its body does (nothing excluded); every
 * pair one side lists, the other lists too, and the check lists what the
 * duplicates list shows plus the article itself as exact. The corpora come
 * from ARTICLED_SHARED_DATA (../shared/data); absent, the tests skip. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/dedupe.h"
#include "pipeline/near.h"
#include "store/store.h"

#define MIN_CONTAINMENT DEDUPE_DEFAULT_MIN_CONTAINMENT

struct doc {
    char *id, *title, *body;
    size_t body_len;
    char hash[65];
};

struct corpus {
    struct doc *docs;
    size_t n;
};

/* Reads up to limit articles of news/<name> after its first skip lines; 0
 * when the file is absent. */
static int corpus_load(const char *name, size_t skip, size_t limit, struct corpus *c)
{
    const char *root = getenv("ARTICLED_SHARED_DATA");
    char path[512], *line = NULL;
    size_t cap = 0, dcap = 0;
    ssize_t len;
    FILE *f;

    memset(c, 0, sizeof *c);
    snprintf(path, sizeof path, "%s/news/%s", root ? root : "../shared/data", name);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (c->n < limit && (len = getline(&line, &cap, f)) > 0) {
        if (skip > 0) {
            skip--;
            continue;
        }
        json_t *o = json_loadb(line, (size_t)len, 0, NULL);
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *title = json_string_value(json_object_get(o, "title"));
        const char *body = json_string_value(json_object_get(o, "body"));
        struct doc *d;

        if (id == NULL || body == NULL) {
            json_decref(o);
            continue;
        }
        if (c->n == dcap) {
            dcap = dcap ? dcap * 2 : 1024;
            c->docs = realloc(c->docs, dcap * sizeof *c->docs);
            cr_assert_not_null(c->docs);
        }
        d = &c->docs[c->n++];
        d->id = strdup(id);
        d->title = strdup(title && *title ? title : id);
        d->body = strdup(body);
        d->body_len = strlen(body);
        cr_assert_eq(dedupe_sets(d->body, d->body_len, NULL, NULL, d->hash), 0);
        json_decref(o);
    }
    free(line);
    fclose(f);
    return 1;
}

static void corpus_free(struct corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->docs[i].id);
        free(c->docs[i].title);
        free(c->docs[i].body);
    }
    free(c->docs);
}

/* The near copies (at MIN_CONTAINMENT) list names. */
static size_t listed(const struct dedupe_near_list *l)
{
    size_t n = 0;
    for (size_t k = 0; k < l->n; k++)
        n += l->items[k].containment + 1e-9 >= MIN_CONTAINMENT;
    return n;
}

static int cmp_doc_id(const void *a, const void *b)
{
    return strcmp(((const struct doc *)a)->id, ((const struct doc *)b)->id);
}

/* The list of the article with this id (c sorted by id), or NULL. */
static const struct dedupe_near_list *list_of(const struct corpus *c,
                                              const struct dedupe_near_list *dups, const char *id)
{
    struct doc key = {.id = (char *)id};
    const struct doc *d = bsearch(&key, c->docs, c->n, sizeof *c->docs, cmp_doc_id);
    return d != NULL ? &dups[d - c->docs] : NULL;
}

/* max_one_sided: pairs allowed to be listed from one side only (a long text
 * samples its tokens, and may miss a much shorter copy: see README). pair:
 * two ids (or NULL) that must list each other. */
static void symmetric_over(const char *name, size_t skip, size_t limit, size_t max_one_sided,
                           const char *const pair[2])
{
    char dir[] = "/tmp/articled-nearsym-XXXXXX", db[96], cmd[128];
    struct store_options so = {.fingerprints = 1};
    struct store *st = NULL;
    struct error err = {0};
    struct corpus c;
    struct dedupe_near_list *dups;
    size_t pairs = 0, one_sided = 0, check_differs = 0;

    if (!corpus_load(name, skip, limit, &c))
        cr_skip_test("no %s under ARTICLED_SHARED_DATA (../shared/data/news)", name);
    /* ids are unique in these corpora: sorted, a list entry finds its article */
    qsort(c.docs, c.n, sizeof *c.docs, cmp_doc_id);
    cr_assert_not_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/s.db", dir);
    cr_assert_eq(store_open(db, &so, &st, &err), 0, "%s", err.msg);
    for (size_t start = 0; start < c.n; start += 1000) {
        size_t n = c.n - start < 1000 ? c.n - start : 1000;
        struct store_op *ops = calloc(n, sizeof *ops);
        struct store_batch b = {.ops = ops, .nops = n};

        cr_assert_not_null(ops);
        for (size_t k = 0; k < n; k++) {
            const struct doc *d = &c.docs[start + k];
            struct article *a = &ops[k].article;
            ops[k].kind = STORE_OP_PUT;
            a->id = strdup(d->id);
            a->title = strdup(d->title);
            a->body = strdup(d->body);
            a->body_len = d->body_len;
            cr_assert_eq(
                dedupe_sets(a->body, a->body_len, &ops[k].fps, &ops[k].index, a->content_hash), 0);
            ops[k].fingerprinted = 1;
        }
        cr_assert_eq(store_write(st, &b, &err), 0, "%s", err.msg);
        for (size_t k = 0; k < n; k++) {
            cr_assert_eq(ops[k].failed, 0, "%s: %s", ops[k].article.id, ops[k].err.msg);
            article_clear(&ops[k].article);
            fingerprint_set_free(&ops[k].fps);
            fingerprint_set_free(&ops[k].index);
        }
        free(ops);
    }

    dups = calloc(c.n, sizeof *dups);
    cr_assert_not_null(dups);
    for (size_t i = 0; i < c.n; i++) {
        const struct doc *d = &c.docs[i];
        struct fingerprint_set full = {0}, index = {0};
        struct dedupe_near_list check = {0};
        int self = 0;

        cr_assert_eq(dedupe_sets(d->body, d->body_len, &full, &index, NULL), 0);
        cr_assert_eq(near_find(st, &full, &index, d->id, d->hash, MIN_CONTAINMENT, &dups[i], &err),
                     0, "%s", err.msg);
        cr_assert_eq(near_find(st, &full, &index, NULL, d->hash, MIN_CONTAINMENT, &check, &err), 0,
                     "%s", err.msg);
        for (size_t k = 0; k < check.n; k++)
            if (strcmp(check.items[k].id, d->id) == 0)
                self = check.items[k].exact;
        /* an article with no words has no sets and finds nothing */
        if (full.n > 0)
            cr_expect(self, "%s: a check with its body does not find it as exact", d->id);
        if (listed(&check) != listed(&dups[i]) + (full.n > 0)) {
            check_differs++;
            cr_expect_fail("%s: check with its body lists %zu, its duplicates %zu (+ itself)",
                           d->id, listed(&check), listed(&dups[i]));
        }
        for (size_t k = 0; k < dups[i].n; k++)
            if (!dedupe_near_has(&check, dups[i].items[k].id)) {
                check_differs++;
                cr_expect_fail("%s: check with its body misses %s", d->id, dups[i].items[k].id);
            }
        dedupe_near_list_free(&check);
        fingerprint_set_free(&full);
        fingerprint_set_free(&index);
    }

    for (size_t i = 0; i < c.n; i++)
        for (size_t k = 0; k < dups[i].n; k++) {
            struct doc key = {.id = dups[i].items[k].id};
            const struct doc *other = bsearch(&key, c.docs, c.n, sizeof *c.docs, cmp_doc_id);
            size_t j;

            cr_assert_not_null(other, "%s lists an unknown %s", c.docs[i].id, key.id);
            j = (size_t)(other - c.docs);
            pairs++;
            if (!dedupe_near_has(&dups[j], c.docs[i].id)) {
                one_sided++;
                cr_log_info("%s lists %s (containment %.3f), not back", c.docs[i].id, other->id,
                            dups[i].items[k].containment);
            }
        }
    cr_log_info("%s: %zu articles, %zu listed (directed) pairs, %zu one-sided, %zu checks differ",
                name, c.n, pairs, one_sided, check_differs);
    cr_expect_gt(pairs, 0, "%s has near copies: the test tests something", name);
    cr_expect_leq(one_sided, max_one_sided, "%s: %zu pairs listed from one side only", name,
                  one_sided);
    if (pair != NULL) {
        const struct dedupe_near_list *a = list_of(&c, dups, pair[0]), *b = list_of(&c, dups, pair[1]);
        cr_assert(a != NULL && b != NULL, "%s, %s: not in the slice", pair[0], pair[1]);
        cr_expect(dedupe_near_has(a, pair[1]), "%s does not list %s", pair[0], pair[1]);
        cr_expect(dedupe_near_has(b, pair[0]), "%s does not list %s", pair[1], pair[0]);
    }

    for (size_t i = 0; i < c.n; i++)
        dedupe_near_list_free(&dups[i]);
    free(dups);
    store_close(st);
    corpus_free(&c);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(near_symmetry, .timeout = 280);

Test(near_symmetry, every_bbc_pair_listed_from_both_sides)
{
    symmetric_over("bbc.ndjson", 0, SIZE_MAX, 0, NULL);
}

Test(near_symmetry, reuters_sample_listed_from_both_sides)
{
    symmetric_over("reuters21578.ndjson", 0, 3000, 0, NULL);
}

/* The pair of issue 18 that was listed from the short side only: an 18-shingle
 * brief (reuters-13512) inside a digest of nine stories (reuters-13577, 74
 * index tokens: a stored text of more than 64 probed only 32 of them then);
 * lines 12,001 to 13,000 of the file hold both. */
Test(near_symmetry, reuters_brief_inside_a_digest_listed_from_both_sides)
{
    static const char *const pair[2] = {"reuters-13512", "reuters-13577"};
    symmetric_over("reuters21578.ndjson", 12000, 1000, 0, pair);
}
