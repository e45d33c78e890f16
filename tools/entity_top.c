/* entity_top.c: what an editor sees in the entity lists: the top people, organisations and
 * places over a corpus by number of articles, and, against judged lists, their precision.
 *
 *   build/tools/entity_top [--data DIR] [--top N] [--judged DIR] [--tsv FILE] [--quiet]
 *                          [FILE.ndjson ...]
 *   build/tools/entity_top --self-test
 *
 * The articles (default DIR/news/bbc.ndjson and DIR/news/reuters21578.ndjson; DIR defaults to
 * $ARTICLED_SHARED_DATA, else ../shared/data) are stored through the service's own write path
 * in-process: the pipeline's _bulk jobs (parse, validate, entity stage, writer) into a store
 * on a temporary file, then the list GET /v1/entities?type=T answers (store_entity_list).
 * Near-copy detection is off (it does not change entities); exact copies are stored as the
 * service stores them.
 *
 * Output (stdout): one JSON line per listed entity (type, rank, id, name, articles, mentions,
 * aliases; with --judged also verdict and reason), then with --judged one line per type:
 * ok, wrong, unjudged, precision = ok / (ok + wrong) over the judged entries, precision_floor
 * = ok / listed (unjudged counted as wrong), the wrong ones by the rule their reason names
 * ("[type] ..." counts under "type") and the unjudged names. --tsv FILE also writes
 * the lists as TSV (type, rank, name, articles, mentions, aliases joined by " | ").
 *
 * Judged lists: DIR/person.tsv, DIR/organization.tsv, DIR/location.tsv, one line each:
 * name<TAB>ok|wrong[<TAB>reason]; '#' lines and blank lines are skipped. A listed entity is
 * matched by its display name, case and diacritics folded (textnorm). A "wrong" whose reason
 * starts with "[merge]" quotes the aliases that are other entities; when none of them is
 * among the entity's aliases any more, the verdict is stale: the entry counts as unjudged
 * (and as "stale") until judged again. A name judged twice with different verdicts, or a
 * verdict other than ok/wrong, is an error (exit 2).
 *
 * Exit: 0, 1 (--self-test failed), 2 (bad input or failure). */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis/entity.h"
#include "analysis/textnorm.h"
#include "pipeline/pipeline.h"
#include "store/store.h"
#include "tools/tool_util.h"

#define CHUNK_LINES 5000 /* _bulk lines per job (the service takes 10,000 a request) */
#define NTYPES      3

static const char *const type_names[NTYPES] = {"person", "organization", "location"};
static int quiet;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;
    if (quiet)
        return;
    va_start(ap, fmt);
    fputs("entity_top: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- judged lists and precision (pure: driven by --self-test) ------------ */

struct judgement {
    char *fold; /* folded name */
    char *name; /* as written */
    int ok;     /* 1 ok, 0 wrong */
    char *reason;
};

struct judged {
    struct judgement *items;
    size_t n, cap;
};

static void judged_free(struct judged *j)
{
    for (size_t i = 0; i < j->n; i++) {
        free(j->items[i].fold);
        free(j->items[i].name);
        free(j->items[i].reason);
    }
    free(j->items);
    memset(j, 0, sizeof *j);
}

static char *fold_name(const char *s)
{
    return textnorm_string(s, strlen(s), NULL);
}

static const struct judgement *judged_find(const struct judged *j, const char *name)
{
    char *f = fold_name(name);
    const struct judgement *hit = NULL;
    for (size_t i = 0; f != NULL && i < j->n && hit == NULL; i++)
        if (strcmp(j->items[i].fold, f) == 0)
            hit = &j->items[i];
    free(f);
    return hit;
}

/* Parses one judged list (text[0, len), NUL-terminated) into j. Returns 0, or -1 with a
 * message in msg naming the line. A missing reason is allowed (RULES.md asks for one on
 * every "wrong"; the checker is the reviewer). */
static int judged_parse(const char *text, size_t len, const char *label, struct judged *j,
                        char *msg, size_t msglen)
{
    size_t pos = 0, line = 0;
    while (pos < len) {
        size_t e = pos;
        while (e < len && text[e] != '\n')
            e++;
        line++;
        size_t n = e - pos;
        if (n > 0 && text[pos + n - 1] == '\r')
            n--;
        char *l = strndup(text + pos, n);
        pos = e + 1;
        if (l == NULL) {
            snprintf(msg, msglen, "out of memory");
            return -1;
        }
        if (l[0] == '\0' || l[0] == '#') {
            free(l);
            continue;
        }
        char *t1 = strchr(l, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (t1 == NULL || t1 == l) {
            snprintf(msg, msglen, "%s:%zu: expected name<TAB>verdict", label, line);
            free(l);
            return -1;
        }
        *t1 = '\0';
        if (t2 != NULL)
            *t2 = '\0';
        int ok = strcmp(t1 + 1, "ok") == 0 ? 1 : strcmp(t1 + 1, "wrong") == 0 ? 0 : -1;
        if (ok < 0) {
            snprintf(msg, msglen, "%s:%zu: verdict '%s' is neither ok nor wrong", label, line,
                     t1 + 1);
            free(l);
            return -1;
        }
        const struct judgement *prev = judged_find(j, l);
        if (prev != NULL) {
            int same = prev->ok == ok;
            if (!same)
                snprintf(msg, msglen, "%s:%zu: '%s' judged both ok and wrong", label, line, l);
            free(l);
            if (!same)
                return -1;
            continue;
        }
        if (j->n == j->cap) {
            size_t cap = j->cap ? 2 * j->cap : 128;
            struct judgement *p = realloc(j->items, cap * sizeof *p);
            if (p == NULL) {
                free(l);
                snprintf(msg, msglen, "out of memory");
                return -1;
            }
            j->items = p;
            j->cap = cap;
        }
        struct judgement *it = &j->items[j->n];
        it->fold = fold_name(l);
        it->name = strdup(l);
        it->reason = t2 != NULL && t2[1] != '\0' ? strdup(t2 + 1) : NULL;
        it->ok = ok;
        free(l);
        if (it->fold == NULL || it->name == NULL) {
            free(it->fold);
            free(it->name);
            free(it->reason);
            snprintf(msg, msglen, "out of memory");
            return -1;
        }
        j->n++;
    }
    return 0;
}

/* Reads DIR/<type>.tsv into j; an absent file is an empty list (every name unjudged). */
static int judged_load(const char *dir, const char *type, struct judged *j, char *msg,
                       size_t msglen)
{
    char path[4096];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s.tsv", dir, type);
    char *text = tool_read_file(path, &len);
    if (text == NULL) {
        if (errno == ENOENT) {
            note("%s: absent, every %s is unjudged", path, type);
            return 0;
        }
        snprintf(msg, msglen, "%.300s: %s", path, strerror(errno));
        return -1;
    }
    int rc = judged_parse(text, len, path, j, msg, msglen);
    free(text);
    return rc;
}

/* One listed entity as judging sees it (strings borrowed). */
struct listed {
    const char *name;
    const char *const *aliases;
    size_t naliases;
};

/* 1 when the quoted name q[0, n) is one of e's aliases (folded). */
static int alias_present(const struct listed *e, const char *q, size_t n)
{
    char *fq = textnorm_string(q, n, NULL);
    int hit = 0;
    for (size_t k = 0; fq != NULL && k < e->naliases && !hit; k++) {
        char *fa = fold_name(e->aliases[k]);
        hit = fa != NULL && strcmp(fa, fq) == 0;
        free(fa);
    }
    free(fq);
    return hit;
}

/* A "[merge]" verdict names the wrong aliases in double quotes. It is stale when none of
 * them is among e's aliases any more (the extractor stopped merging them): the entry must be
 * judged again. Returns 1 when stale. */
static int merge_stale(const struct judgement *v, const struct listed *e)
{
    const char *q, *r = v->reason;
    int quoted = 0;
    if (v->ok || r == NULL || strncmp(r, "[merge]", 7) != 0)
        return 0;
    while ((q = strchr(r, '"')) != NULL) {
        const char *end = strchr(q + 1, '"');
        if (end == NULL)
            break;
        quoted = 1;
        if (alias_present(e, q + 1, (size_t)(end - q - 1)))
            return 0;
        r = end + 1;
    }
    return quoted;
}

/* e's verdict, or NULL when it is not judged or its verdict is stale (*stale set). */
static const struct judgement *verdict_of(const struct judged *j, const struct listed *e,
                                          int *stale)
{
    const struct judgement *v = judged_find(j, e->name);
    *stale = v != NULL && merge_stale(v, e);
    return *stale ? NULL : v;
}

struct precision {
    size_t listed, ok, wrong, unjudged, stale;
};

/* Counts the verdicts of the listed entries e[0, n) against j. */
static struct precision precision_of(const struct judged *j, const struct listed *e, size_t n)
{
    struct precision p = {.listed = n};
    for (size_t i = 0; i < n; i++) {
        int stale;
        const struct judgement *v = verdict_of(j, &e[i], &stale);
        p.stale += (size_t)stale;
        if (v == NULL)
            p.unjudged++;
        else if (v->ok)
            p.ok++;
        else
            p.wrong++;
    }
    return p;
}

/* ok / (ok + wrong), or -1 when nothing listed was judged. */
static double precision_judged(struct precision p)
{
    return p.ok + p.wrong ? (double)p.ok / (double)(p.ok + p.wrong) : -1;
}

/* ok / listed: unjudged names count against, never for. -1 when nothing is listed. */
static double precision_floor(struct precision p)
{
    return p.listed ? (double)p.ok / (double)p.listed : -1;
}

static json_t *ratio_json(double x)
{
    return x < 0 ? json_null() : json_real(x);
}

/* ---- storing through the pipeline ---------------------------------------- */

/* Stores text[0, len) (NDJSON) as _bulk jobs of CHUNK_LINES lines. Adds to *stored and
 * *refused. Returns 0, or -1 when a job as a whole failed. */
static int ingest(struct pipeline *pl, const char *text, size_t len, long *stored, long *refused)
{
    size_t pos = 0;
    while (pos < len) {
        size_t e = pos + tool_lines_end(text + pos, len - pos, CHUNK_LINES);
        struct pipeline_job *job = tool_bulk_run(pl, text + pos, e - pos, "entity_top");
        if (job == NULL)
            return -1;
        int failed = job->err.code != ERR_NONE;
        if (failed)
            fprintf(stderr, "entity_top: _bulk failed: %s\n", job->err.msg);
        for (size_t i = 0; i < job->nops; i++) {
            if (job->ops[i].failed) {
                ++*refused;
                note("refused by the writer: %s", job->ops[i].err.msg);
            } else
                ++*stored;
        }
        *refused += (long)job->nbad;
        for (size_t i = 0; i < job->nbad; i++)
            note("refused: %s (%s)", job->bad[i].id ? job->bad[i].id : "no id",
                 job->bad[i].err.msg);
        pipeline_job_release(job);
        if (failed)
            return -1;
        pos = e;
    }
    return 0;
}

/* ---- the lists ------------------------------------------------------------- */

static void write_tsv(FILE *f, const char *type, const struct store_entity_rows *rows)
{
    for (size_t i = 0; i < rows->n; i++) {
        const struct store_entity_row *r = &rows->items[i];
        fprintf(f, "%s\t%zu\t%s\t%lld\t%lld\t", type, i + 1, r->name, r->articles, r->mentions);
        for (size_t k = 0; k < r->naliases; k++)
            fprintf(f, "%s%s", k ? " | " : "", r->aliases[k]);
        fputc('\n', f);
    }
}

/* Counts a "wrong" under the rule its reason starts with ("[type] ..." -> "type"; RULES.md),
 * or under "other". */
static void tally_reason(json_t *why, const char *reason)
{
    char tag[32] = "other";
    const char *end = reason != NULL && reason[0] == '[' ? strchr(reason, ']') : NULL;
    if (end != NULL && (size_t)(end - reason - 1) < sizeof tag && end > reason + 1)
        snprintf(tag, sizeof tag, "%.*s", (int)(end - reason - 1), reason + 1);
    json_t *n = json_object_get(why, tag);
    json_object_set_new(why, tag, json_integer(n ? json_integer_value(n) + 1 : 1));
}

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
    if (s != NULL)
        puts(s);
    free(s);
    json_decref(o);
}

/* Prints one type's list (and its precision against j when j is not NULL). */
static int report_type(struct store *st, const char *type, unsigned top, const struct judged *j,
                       FILE *tsv)
{
    struct store_entity_query q = {
        .type = type, .from = INT64_MIN, .to = INT64_MAX, .limit = top, .offset = 0};
    struct store_entity_rows rows = {0};
    struct error err = {0};
    if (store_entity_list(st, &q, &rows, &err) != 0) {
        fprintf(stderr, "entity_top: list %s: %s\n", type, err.msg);
        return -1;
    }
    struct listed *names = calloc(rows.n + 1, sizeof *names);
    if (names == NULL) {
        store_entity_rows_free(&rows);
        return -1;
    }
    json_t *unjudged = json_array(), *why = json_object();
    for (size_t i = 0; i < rows.n; i++) {
        const struct store_entity_row *r = &rows.items[i];
        json_t *o = json_object(), *al = json_array();
        names[i] = (struct listed){r->name, (const char *const *)r->aliases, r->naliases};
        for (size_t k = 0; k < r->naliases; k++)
            json_array_append_new(al, json_string(r->aliases[k]));
        json_object_set_new(o, "type", json_string(type));
        json_object_set_new(o, "rank", json_integer((json_int_t)i + 1));
        json_object_set_new(o, "id", json_string(r->id));
        json_object_set_new(o, "name", json_string(r->name));
        json_object_set_new(o, "articles", json_integer(r->articles));
        json_object_set_new(o, "mentions", json_integer(r->mentions));
        json_object_set_new(o, "aliases", al);
        if (j != NULL) {
            int stale;
            const struct judgement *v = verdict_of(j, &names[i], &stale);
            json_object_set_new(o, "verdict",
                                json_string(stale       ? "stale"
                                            : v == NULL ? "unjudged"
                                            : v->ok     ? "ok"
                                                        : "wrong"));
            if (v != NULL && v->reason != NULL)
                json_object_set_new(o, "reason", json_string(v->reason));
            if (v == NULL)
                json_array_append_new(unjudged, json_string(r->name));
            if (v != NULL && !v->ok)
                tally_reason(why, v->reason);
        }
        print_json(o);
    }
    if (tsv != NULL)
        write_tsv(tsv, type, &rows);
    if (j != NULL) {
        struct precision p = precision_of(j, names, rows.n);
        json_t *o = json_object();
        json_object_set_new(o, "precision_of", json_string(type));
        json_object_set_new(o, "listed", json_integer((json_int_t)p.listed));
        json_object_set_new(o, "ok", json_integer((json_int_t)p.ok));
        json_object_set_new(o, "wrong", json_integer((json_int_t)p.wrong));
        json_object_set_new(o, "unjudged", json_integer((json_int_t)p.unjudged));
        json_object_set_new(o, "stale", json_integer((json_int_t)p.stale));
        json_object_set_new(o, "precision", ratio_json(precision_judged(p)));
        json_object_set_new(o, "precision_floor", ratio_json(precision_floor(p)));
        json_object_set_new(o, "wrong_by_rule", json_incref(why));
        json_object_set_new(o, "unjudged_names", json_incref(unjudged));
        print_json(o);
    }
    json_decref(unjudged);
    json_decref(why);
    free(names);
    store_entity_rows_free(&rows);
    return 0;
}

/* ---- self-test: the precision computation on made-up lists --------------- */

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "entity_top self-test: %s:%d: %s\n", __FILE__, __LINE__, #cond);       \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static int self_test(void)
{
    char msg[256] = "";
    struct judged j = {0};
    /* comments, a blank line, CRLF, a reason, a repeated name with the same verdict, case and
     * diacritics that fold together */
    const char *list = "# person\n"
                       "\n"
                       "Angela Merkel\tok\n"
                       "Jos\xc3\xa9 Sarney\tok\r\n"
                       "Reuters\twrong\torganisation, not a person\n"
                       "angela merkel\tok\n"
                       "Said\twrong\ta verb\n";
    CHECK(judged_parse(list, strlen(list), "list", &j, msg, sizeof msg) == 0);
    CHECK(j.n == 4);
    const struct judgement *v = judged_find(&j, "Reuters");
    CHECK(v != NULL && v->ok == 0 && v->reason != NULL &&
          strcmp(v->reason, "organisation, not a person") == 0);
    v = judged_find(&j, "JOSE SARNEY");
    CHECK(v != NULL && v->ok == 1 && v->reason == NULL);

    /* listed: 2 ok (one by folding), 1 wrong, 2 unjudged */
    const struct listed top[] = {{"Angela Merkel", NULL, 0},
                                 {"Jose Sarney", NULL, 0},
                                 {"Reuters", NULL, 0},
                                 {"Ronald Reagan", NULL, 0},
                                 {"Said X", NULL, 0}};
    struct precision p = precision_of(&j, top, 5);
    CHECK(p.listed == 5 && p.ok == 2 && p.wrong == 1 && p.unjudged == 2);
    CHECK(precision_judged(p) > 0.6666 && precision_judged(p) < 0.6667);
    CHECK(precision_floor(p) == 0.4);
    /* nothing judged: undefined, not 1 */
    const struct listed none[] = {{"Nobody Known", NULL, 0}};
    p = precision_of(&j, none, 1);
    CHECK(p.unjudged == 1 && precision_judged(p) < 0 && precision_floor(p) == 0);
    p = precision_of(&j, none, 0);
    CHECK(precision_judged(p) < 0 && precision_floor(p) < 0);
    judged_free(&j);

    /* refusals: a verdict that is neither ok nor wrong, a line without a tab, two verdicts */
    const char *bad[] = {"Angela Merkel\tyes\n", "Angela Merkel ok\n",
                         "Angela Merkel\tok\nANGELA MERKEL\twrong\tdup\n", "\tok\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        msg[0] = '\0';
        CHECK(judged_parse(bad[i], strlen(bad[i]), "bad", &j, msg, sizeof msg) == -1);
        CHECK(strncmp(msg, "bad:", 4) == 0);
        judged_free(&j);
    }

    /* an absent file is an empty list; a present one is read from the folder */
    char dir[] = "/tmp/entity_top-selftest-XXXXXX", path[128];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/location.tsv", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f != NULL) {
        fputs("Paris\tok\nMonday\twrong\ta day\n", f);
        fclose(f);
    }
    int saved = quiet;
    quiet = 1;
    CHECK(judged_load(dir, "person", &j, msg, sizeof msg) == 0 && j.n == 0);
    judged_free(&j);
    quiet = saved;
    CHECK(judged_load(dir, "location", &j, msg, sizeof msg) == 0 && j.n == 2);
    const struct listed places[] = {{"Paris", NULL, 0}, {"Monday", NULL, 0}, {"London", NULL, 0}};
    p = precision_of(&j, places, 3);
    CHECK(p.ok == 1 && p.wrong == 1 && p.unjudged == 1 && precision_judged(p) == 0.5);
    judged_free(&j);
    unlink(path);
    rmdir(dir);

    /* a [merge] verdict holds while one of the aliases it quotes is still merged; once none
     * is (the extractor improved), the entry is stale: counted as unjudged, never as wrong */
    const char *merges = "Michael Howard\twrong\t[merge] aliases \"John Howard\" and \"Howard "
                         "Flight\" are other people\n"
                         "Newcastle\twrong\t[merge] with \"S&N\"\n"
                         "Paul\twrong\t[merge] no alias quoted\n";
    CHECK(judged_parse(merges, strlen(merges), "merges", &j, msg, sizeof msg) == 0);
    const char *still[] = {"Howard", "john howard"}, *fixed[] = {"Howard", "Michael"};
    const struct listed ents[] = {
        {"Michael Howard", still, 2}, {"Newcastle", fixed, 2}, {"Paul", NULL, 0}};
    int stale = -1;
    CHECK(verdict_of(&j, &ents[0], &stale) != NULL && stale == 0);
    CHECK(verdict_of(&j, &ents[1], &stale) == NULL && stale == 1);
    CHECK(verdict_of(&j, &ents[2], &stale) != NULL && stale == 0);
    p = precision_of(&j, ents, 3);
    CHECK(p.wrong == 2 && p.unjudged == 1 && p.stale == 1 && p.ok == 0);
    judged_free(&j);

    /* wrong verdicts tallied by the rule their reason names */
    json_t *why = json_object();
    tally_reason(why, "[type] a company");
    tally_reason(why, "[type] a club");
    tally_reason(why, "no tag");
    tally_reason(why, NULL);
    tally_reason(why, "[] empty");
    CHECK(json_integer_value(json_object_get(why, "type")) == 2);
    CHECK(json_integer_value(json_object_get(why, "other")) == 3);
    CHECK(json_object_size(why) == 2);
    json_decref(why);

    if (failures == 0)
        printf("entity_top self-test: ok\n");
    return failures ? 1 : 0;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: entity_top [--data DIR] [--top N] [--judged DIR] [--tsv FILE] "
                    "[--quiet] [FILE.ndjson ...]\n       entity_top --self-test\n");
}

int main(int argc, char **argv)
{
    const char *data = getenv("ARTICLED_SHARED_DATA"), *judged_dir = NULL, *tsv_path = NULL;
    const char **files = calloc((size_t)argc + 2, sizeof *files);
    size_t nfiles = 0;
    unsigned top = 100;
    char def[2][4096], tmpdir[] = "/tmp/entity_top-XXXXXX", dbpath[128];
    struct judged judged[NTYPES] = {{0}};
    struct entity_extractor *ex = NULL;
    struct store *st = NULL;
    struct pipeline *pl = NULL;
    struct error err = {0};
    FILE *tsv = NULL;
    atomic_int stopping = 0;
    long stored = 0, refused = 0;
    int rc = 2, made_dir = 0;

    if (files == NULL)
        return 2;
    if (data == NULL || data[0] == '\0')
        data = "../shared/data";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--self-test") == 0) {
            free(files);
            return self_test();
        } else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            data = argv[++i];
        } else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) {
            char *end;
            unsigned long n = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || n == 0 || n > 100000) {
                usage();
                goto out;
            }
            top = (unsigned)n;
        } else if (strcmp(argv[i], "--judged") == 0 && i + 1 < argc) {
            judged_dir = argv[++i];
        } else if (strcmp(argv[i], "--tsv") == 0 && i + 1 < argc) {
            tsv_path = argv[++i];
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-') {
            usage();
            goto out;
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (nfiles == 0) {
        snprintf(def[0], sizeof def[0], "%s/news/bbc.ndjson", data);
        snprintf(def[1], sizeof def[1], "%s/news/reuters21578.ndjson", data);
        files[nfiles++] = def[0];
        files[nfiles++] = def[1];
    }
    if (judged_dir != NULL) {
        char msg[512] = "";
        for (int t = 0; t < NTYPES; t++)
            if (judged_load(judged_dir, type_names[t], &judged[t], msg, sizeof msg) != 0) {
                fprintf(stderr, "entity_top: %s\n", msg);
                goto out;
            }
    }
    if (tsv_path != NULL && (tsv = fopen(tsv_path, "w")) == NULL) {
        fprintf(stderr, "entity_top: %s: %s\n", tsv_path, strerror(errno));
        goto out;
    }

    /* the service's write path: the extractor, a store on a temporary file, the pipeline */
    if (mkdtemp(tmpdir) == NULL) {
        perror("entity_top: mkdtemp");
        goto out;
    }
    made_dir = 1;
    snprintf(dbpath, sizeof dbpath, "%s/top.db", tmpdir);
    struct store_options so = {0};
    struct pipeline_config pc = {0};
    if (entity_extractor_new(&ex, &err) != 0 || store_open(dbpath, &so, &st, &err) != 0) {
        fprintf(stderr, "entity_top: %s\n", err.msg);
        goto out;
    }
    pc.store = st;
    pc.extractor = ex;
    pc.duplicates = 0;
    pc.max_line = 8u << 20; /* the service's --max-body default */
    pc.threads = 2;
    pc.stopping = &stopping;
    pc.body_free = (void (*)(char *))free;
    if ((pl = pipeline_new(&pc, &err)) == NULL) {
        fprintf(stderr, "entity_top: %s\n", err.msg);
        goto out;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < nfiles; i++) {
        size_t len = 0;
        char *text = tool_read_file(files[i], &len);
        if (text == NULL) {
            fprintf(stderr, "entity_top: %s: cannot read\n", files[i]);
            goto out;
        }
        long before = stored;
        int r = ingest(pl, text, len, &stored, &refused);
        free(text);
        if (r != 0)
            goto out;
        note("%s: %ld articles stored", files[i], stored - before);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    note("%ld stored, %ld refused, %.1f s", stored, refused,
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);

    for (int t = 0; t < NTYPES; t++)
        if (report_type(st, type_names[t], top, judged_dir ? &judged[t] : NULL, tsv) != 0)
            goto out;
    rc = 0;
out:
    pipeline_free(pl);
    store_close(st);
    entity_extractor_free(ex);
    if (tsv != NULL && fclose(tsv) != 0 && rc == 0) {
        fprintf(stderr, "entity_top: %s: write failed\n", tsv_path);
        rc = 2;
    }
    if (made_dir) {
        /* the store's files: the database, its WAL and shared memory */
        static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
            char p[160];
            snprintf(p, sizeof p, "%s%s", dbpath, sfx[i]);
            unlink(p);
        }
        if (rmdir(tmpdir) != 0)
            note("%s: left behind (%s)", tmpdir, strerror(errno));
    }
    for (int t = 0; t < NTYPES; t++)
        judged_free(&judged[t]);
    free(files);
    return rc;
}
