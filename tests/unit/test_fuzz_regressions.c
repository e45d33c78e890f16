/* Regression tests for what the libFuzzer harnesses (tests/fuzz/) found: every input file in
 * tests/fuzz/regressions/<harness>/ must now show the behaviour the harness checks. Inputs of
 * findings not fixed yet live in regressions/<harness>/open/; their tests are disabled until
 * the fix lands (then move the file up one level and the test below covers it). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/datetime.h"
#include "analysis/entity.h"
#include "analysis/fingerprint.h"
#include "analysis/query.h"
#include "analysis/textnorm.h"
#include "analysis/utf8.h"
#include "pipeline/article_json.h"
#include "handlers/cursor.h"
#include "pipeline/ndjson.h"

/* One input: its path (for messages) and bytes, NUL-terminated for convenience. */
struct input {
    char path[1024];
    char *data;
    size_t len;
};

/* Calls check on every regular file of tests/fuzz/regressions/<sub> (a missing folder has no
 * inputs); returns how many it checked. */
static size_t each_input(const char *sub, void (*check)(const struct input *))
{
    const char *root = getenv("ARTICLED_SOURCE_DIR");
    char dir[512];
    DIR *d;
    struct dirent *e;
    size_t n = 0;

    cr_assert(root != NULL, "ARTICLED_SOURCE_DIR is not set (CTest sets it)");
    snprintf(dir, sizeof dir, "%s/tests/fuzz/regressions/%s", root, sub);
    d = opendir(dir);
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        struct input in;
        struct stat sb;
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(in.path, sizeof in.path, "%s/%s", dir, e->d_name);
        if (stat(in.path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue; /* open/ and anything else but inputs */
        f = fopen(in.path, "rb");
        cr_assert_not_null(f, "%s: cannot open", in.path);
        in.len = (size_t)sb.st_size;
        in.data = malloc(in.len + 1);
        cr_assert_not_null(in.data);
        cr_assert_eq(fread(in.data, 1, in.len, f), in.len, "%s: short read", in.path);
        in.data[in.len] = '\0';
        fclose(f);
        check(&in);
        free(in.data);
        n++;
    }
    closedir(d);
    return n;
}

/* ---- article_json: accepted articles render and parse back; refusals are client errors */

static void check_article(const struct input *in)
{
    struct article a, b;
    struct error err = {0};
    int rc = article_json_parse(in->data, in->len, NULL, &a, &err);

    if (rc == 0) {
        json_t *o = article_json_render(&a, 1);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        cr_assert_not_null(text, "%s: render failed", in->path);
        cr_assert_eq(article_json_parse(text, strlen(text), a.id, &b, &err), 0,
                     "%s: rendering refused: %s", in->path, err.msg);
        cr_assert_str_eq(a.title, b.title, "%s", in->path);
        cr_assert_eq(a.body_len, b.body_len, "%s", in->path);
        cr_assert_str_eq(a.body, b.body, "%s", in->path);
        article_clear(&b);
        free(text);
        json_decref(o);
    } else {
        cr_assert(err.code == ERR_INVALID || err.code == ERR_UNPROCESSABLE,
                  "%s: refused with code %d: %s", in->path, (int)err.code, err.msg);
    }
    article_clear(&a);
}

Test(fuzz_regressions, article_json)
{
    each_input("article_json", check_article);
}

/* ---- query: accepted expressions are valid FTS5 MATCH expressions */

static void check_query(const struct input *in)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    struct error err = {0};
    char *out = NULL;
    int rc;

    if (query_to_fts5(in->data, in->len, &out, &err) != 0) {
        cr_assert_null(out, "%s", in->path);
        cr_assert(err.code == ERR_INVALID || err.code == ERR_UNPROCESSABLE,
                  "%s: refused with code %d: %s", in->path, (int)err.code, err.msg);
        return;
    }
    cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "CREATE VIRTUAL TABLE f USING fts5(title, body,"
                              " tokenize='porter unicode61 remove_diacritics 2');"
                              "INSERT INTO f VALUES ('Central bank', 'raised rates');",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT rowid FROM f WHERE f MATCH ?1", -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_text(st, 1, out, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    cr_assert_eq(rc, SQLITE_DONE, "%s: FTS5 refuses '%s': %s", in->path, out, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(out);
}

Test(fuzz_regressions, query)
{
    each_input("query", check_query);
}

/* ---- ndjson: lines are the non-blank lines, numbered from 1 */

static void check_ndjson(const struct input *in)
{
    struct ndjson_iter it;
    const char *line;
    size_t len, lineno, last = 0, n = 0;

    ndjson_init(&it, in->data, in->len);
    while (ndjson_next(&it, &line, &len, &lineno)) {
        cr_assert(len > 0 && memchr(line, '\n', len) == NULL, "%s: line %zu", in->path, lineno);
        cr_assert_gt(lineno, last, "%s", in->path);
        last = lineno;
        n++;
    }
    cr_assert_eq(ndjson_count(in->data, in->len), n, "%s", in->path);
}

Test(fuzz_regressions, ndjson)
{
    each_input("ndjson", check_ndjson);
}

/* ---- textnorm / fingerprints: sorted unique sets, stable normal form */

static void check_textnorm(const struct input *in)
{
    struct fingerprint_set fp;
    char *norm, *again;
    size_t n1, n2;

    if (utf8_check(in->data, in->len, NULL) != 0)
        return;
    norm = textnorm_string(in->data, in->len, &n1);
    cr_assert_not_null(norm);
    again = textnorm_string(norm, n1, &n2);
    cr_assert_not_null(again);
    cr_assert_str_eq(norm, again, "%s: normalising twice changes the text", in->path);
    cr_assert_eq(fingerprint_compute(in->data, in->len, &fp), 0, "%s", in->path);
    for (size_t i = 1; i < fp.n; i++)
        cr_assert_lt(fp.hashes[i - 1], fp.hashes[i], "%s: set not sorted unique", in->path);
    if (fp.n > 0)
        cr_assert_eq(fingerprint_containment(&fp, &fp), 1.0, "%s", in->path);
    fingerprint_set_free(&fp);
    free(norm);
    free(again);
}

Test(fuzz_regressions, textnorm)
{
    each_input("textnorm", check_textnorm);
}

/* ---- entity: extraction succeeds; mentions are spans of the body on code point boundaries */

static struct entity_extractor *ex;

static void check_entity(const struct input *in)
{
    struct entity_result res;

    if (utf8_check(in->data, in->len, NULL) != 0)
        return;
    if (ex == NULL) {
        struct error err = {0};
        cr_assert_eq(entity_extractor_new(&ex, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(entity_extract(ex, in->data, in->len, &res), 0, "%s: extraction failed", in->path);
    for (size_t i = 0; i < res.nmentions; i++) {
        const struct entity_mention *m = &res.mentions[i];
        cr_assert(m->byte_start < m->byte_end && m->byte_end <= in->len, "%s: mention %zu",
                  in->path, i);
        cr_assert_eq(utf8_count(in->data, m->byte_start), m->start, "%s: mention %zu", in->path, i);
        cr_assert_lt(m->entity, res.nentities, "%s: mention %zu", in->path, i);
    }
    for (size_t i = 0; i < res.nentities; i++)
        cr_assert(res.entities[i].name != NULL && res.entities[i].key != NULL, "%s", in->path);
    entity_result_free(&res);
}

Test(fuzz_regressions, entity)
{
    each_input("entity", check_entity);
    entity_extractor_free(ex);
    ex = NULL;
}

/* ---- cursor: a cursor that decodes encodes within CURSOR_MAX and decodes back the same */

static void check_cursor(const struct input *in)
{
    static const uint8_t key[CURSOR_KEY_LEN] = "fuzz-regressions-cursor-key-0123";
    struct cursor c, back;
    char text[CURSOR_MAX];

    if (memchr(in->data, '\0', in->len) != NULL || cursor_decode(in->data, key, &c) != 0)
        return;
    cursor_encode(&c, key, text);
    cr_assert_lt(strlen(text), CURSOR_MAX, "%s", in->path);
    cr_assert_eq(cursor_decode(text, key, &back), 0, "%s: re-encoded cursor refused", in->path);
    cr_assert(back.kind == c.kind && back.ts == c.ts && back.seq == c.seq &&
                  back.max_seq == c.max_seq && back.offset == c.offset && back.query == c.query,
              "%s: round trip changed the cursor", in->path);
}

Test(fuzz_regressions, cursor)
{
    each_input("cursor", check_cursor);
}

/* ---- datetime: a date-time that parses formats and parses back to the same instant */

static void check_datetime(const struct input *in)
{
    int64_t secs, back;
    char out[64];

    if (datetime_parse(in->data, in->len, 0, &secs) != 0)
        return;
    datetime_format(secs, out, sizeof out);
    if (strlen(out) == 20 && out[0] != '-' && strncmp(out, "0000", 4) != 0) {
        cr_assert_eq(datetime_parse(out, strlen(out), 0, &back), 0, "%s: '%s'", in->path, out);
        cr_assert_eq(back, secs, "%s: '%s'", in->path, out);
    }
}

Test(fuzz_regressions, datetime)
{
    each_input("datetime", check_datetime);
}

/* ---- open findings: none (entity-empty-key and cursor-encode-long are fixed; their inputs
 * moved up into regressions/entity/ and regressions/cursor/, read by the tests above) */
