/* Black-box tests of the commands beside the service: `articled import`
 * (batches, failed lines with their line numbers, --max-errors, the state
 * file and --resume, keys, an unreachable service, bad arguments),
 * `articled export` (a round trip through import into another service) and
 * `articled check` (a sound database passes, a damaged one fails). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apitest.h"

#define CLI_WRITE_KEY "wk-0123456789abcdef-import"

TestSuite(cli, .timeout = 300);

/* Runs `$ARTICLED_BIN args` through the shell (args are the test's own
 * temp paths and flags); its standard output into out (malloc'd). Exit
 * status. */
static int cli_run(const char *args, char **out)
{
    char cmd[2048];
    size_t len = 0, cap = 4096;
    FILE *p;
    int st;

    snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", getenv("ARTICLED_BIN"), args);
    *out = malloc(cap);
    cr_assert_not_null(p = popen(cmd, "r"));
    for (;;) {
        if (len + 1024 > cap)
            cr_assert_not_null(*out = realloc(*out, cap *= 2));
        size_t n = fread(*out + len, 1, cap - len - 1, p);
        if (n == 0)
            break;
        len += n;
    }
    (*out)[len] = '\0';
    st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The summary import prints last (standard output not a terminal: JSON). */
static json_t *cli_summary(const char *out)
{
    const char *last = strrchr(out, '{');
    while (last != NULL && last > out && last[-1] != '\n')
        last = memrchr(out, '{', (size_t)(last - out));
    json_t *j = last ? json_loads(last, 0, NULL) : NULL;
    cr_assert_not_null(j, "no summary in: %s", out);
    return j;
}

static long cli_num(json_t *j, const char *key)
{
    return (long)json_integer_value(json_object_get(j, key));
}

/* Writes n articles (ids imp-1..imp-n) to path; the lines listed in bad (0
 * ends the list) are broken instead, and line blank is empty. */
static void cli_write_feed(const char *path, int n, const int *bad, int blank)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 1; i <= n; i++) {
        int broken = 0;
        for (const int *b = bad; b && *b; b++)
            broken |= *b == i;
        if (i == blank)
            fputs("\n", f);
        else if (broken)
            fprintf(f, "{\"id\":\"imp-%d\",\"title\":\"no body\"}\n", i);
        else
            fprintf(f,
                    "{\"id\":\"imp-%d\",\"title\":\"Report %d\",\"body\":\"Harbour workers in "
                    "Port %d voted on Tuesday to end a strike over pay.\",\"source\":\"AFP\","
                    "\"tags\":[\"labour\",\"t%d\"]}\n",
                    i, i, i, i);
    }
    fclose(f);
}

static long cli_status(struct apitest_server *s, const char *id)
{
    char path[128];
    struct apitest_resp r;
    long st;
    snprintf(path, sizeof path, "/v1/articles/%s", id);
    cr_assert_eq(apitest_get(s, path, &r), 0);
    st = r.status;
    apitest_resp_free(&r);
    return st;
}

Test(cli, import_reports_failed_lines_stops_and_resumes)
{
    struct apitest_server s;
    char feed[400], state[420], args[1200], *out;
    const int bad[] = {3, 0};
    json_t *sum, *e;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    snprintf(feed, sizeof feed, "%s/feed.ndjson", s.dir);
    snprintf(state, sizeof state, "%s.import-state", feed);
    cli_write_feed(feed, 9, bad, 6);

    /* batches of 2: the bad line 3 stops it after the batch holding it */
    snprintf(args, sizeof args, "import --url http://127.0.0.1:%u --batch 2 --progress off %s",
             s.port, feed);
    cr_expect_eq(cli_run(args, &out), 1, "%s", out);
    sum = cli_summary(out);
    cr_expect_eq(json_is_false(json_object_get(sum, "complete")), 1, "%s", out);
    cr_expect_eq(cli_num(sum, "written"), 3, "%s", out);
    cr_expect_eq(cli_num(sum, "failed"), 1, "%s", out);
    cr_expect_eq(cli_num(sum, "lines"), 4, "%s", out);
    e = json_array_get(json_object_get(sum, "first_errors"), 0);
    cr_expect_eq(cli_num(e, "line"), 3);
    cr_expect_eq(cli_num(e, "status"), 400);
    cr_expect_str_eq(json_string_value(json_object_get(e, "field")), "body");
    json_decref(sum);
    free(out);
    cr_expect_eq(access(state, F_OK), 0, "the position is kept");
    cr_expect_eq(cli_status(&s, "imp-4"), 200);
    cr_expect_eq(cli_status(&s, "imp-5"), 404, "not sent yet");

    /* --resume goes on after line 4 (the blank line 6 is skipped) */
    snprintf(args, sizeof args,
             "import --url http://127.0.0.1:%u --batch 2 --progress json --resume "
             "--max-errors 1 %s",
             s.port, feed);
    cr_expect_eq(cli_run(args, &out), 0, "%s", out);
    sum = cli_summary(out);
    cr_expect_eq(json_is_true(json_object_get(sum, "complete")), 1, "%s", out);
    cr_expect_eq(cli_num(sum, "resumed_from"), 4);
    cr_expect_eq(cli_num(sum, "lines"), 9);
    cr_expect_eq(cli_num(sum, "written"), 7, "3 before, 4 now: %s", out);
    cr_expect_eq(cli_num(sum, "failed"), 1);
    json_decref(sum);
    free(out);
    cr_expect_neq(access(state, F_OK), 0, "the state file goes once complete");
    for (int i = 1; i <= 9; i++) {
        char id[16];
        snprintf(id, sizeof id, "imp-%d", i);
        cr_expect_eq(cli_status(&s, id), i == 3 || i == 6 ? 404 : 200, "%s", id);
    }
    apitest_stop(&s);
    apitest_cleanup(&s);
}

Test(cli, import_with_a_key_unreachable_and_bad_arguments)
{
    struct apitest_server s;
    char keys[400], feed[400], args[1200], *out;
    const char *extra[] = {"--api-key-file", keys, NULL};
    FILE *f;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    apitest_stop(&s); /* the folder, for the key file */
    snprintf(keys, sizeof keys, "%s/keys", s.dir);
    cr_assert_not_null(f = fopen(keys, "w"));
    fputs(CLI_WRITE_KEY " write importer\n", f);
    fclose(f);
    chmod(keys, 0600);
    cr_assert_eq(apitest_start(&s, s.db, extra), 0);
    snprintf(feed, sizeof feed, "%s/feed.ndjson", s.dir);
    cli_write_feed(feed, 3, NULL, 0);

    /* no key: the service's 401 ends it (status 3), nothing written */
    snprintf(args, sizeof args, "import --url http://127.0.0.1:%u --progress off %s", s.port,
             feed);
    cr_expect_eq(cli_run(args, &out), 3, "%s", out);
    free(out);
    /* the key from the environment */
    snprintf(args, sizeof args,
             "import --url http://127.0.0.1:%u --progress off %s </dev/null", s.port, feed);
    setenv("ARTICLED_API_KEY", CLI_WRITE_KEY, 1);
    cr_expect_eq(cli_run(args, &out), 0, "%s", out);
    unsetenv("ARTICLED_API_KEY");
    free(out);
    apitest_stop(&s);

    /* nobody listens: gives up after --retries, status 3, position kept */
    snprintf(args, sizeof args,
             "import --url http://127.0.0.1:%u --retries 0 --progress off %s", s.port, feed);
    cr_expect_eq(cli_run(args, &out), 3, "%s", out);
    free(out);

    /* bad arguments: status 2 */
    const char *bad[] = {"import", "import --batch 0 x", "import --batch 10001 x",
                         "import --max-errors -1 x", "import --progress loud x",
                         "import --resume -", "import a b", "export", "check --db"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_expect_eq(cli_run(bad[i], &out), 2, "%s", bad[i]);
        free(out);
    }
    apitest_cleanup(&s);
}

Test(cli, export_round_trip_and_check)
{
    struct apitest_server a, b;
    char feed[400], dump[400], args[1200], copy[420], *out;
    struct apitest_resp r1, r2;
    FILE *f;

    cr_assert_eq(apitest_start(&a, NULL, NULL), 0);
    snprintf(feed, sizeof feed, "%s/feed.ndjson", a.dir);
    cli_write_feed(feed, 25, NULL, 0);
    snprintf(args, sizeof args, "import --url http://127.0.0.1:%u --progress off %s", a.port,
             feed);
    cr_assert_eq(cli_run(args, &out), 0, "%s", out);
    free(out);

    /* export from the running service's database: every article, a line each */
    snprintf(dump, sizeof dump, "%s/dump.ndjson", a.dir);
    snprintf(args, sizeof args, "export --db %s --out %s", a.db, dump);
    cr_expect_eq(cli_run(args, &out), 0);
    free(out);
    snprintf(args, sizeof args, "export %s", a.db);
    cr_expect_eq(cli_run(args, &out), 0);
    int lines = 0;
    for (char *p = out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    cr_expect_eq(lines, 25, "%s", out);
    free(out);

    /* into another service: the same articles */
    cr_assert_eq(apitest_start(&b, NULL, NULL), 0);
    snprintf(args, sizeof args, "import --url http://127.0.0.1:%u --progress off %s", b.port,
             dump);
    cr_expect_eq(cli_run(args, &out), 0, "%s", out);
    free(out);
    apitest_get(&a, "/v1/articles/imp-17", &r1);
    apitest_get(&b, "/v1/articles/imp-17", &r2);
    cr_assert_eq(r2.status, 200);
    const char *same[] = {"title", "body", "source"};
    for (size_t i = 0; i < 3; i++)
        cr_expect_str_eq(json_string_value(json_object_get(r2.json, same[i])),
                         json_string_value(json_object_get(r1.json, same[i])), "%s", same[i]);
    cr_expect(json_equal(json_object_get(r2.json, "tags"), json_object_get(r1.json, "tags")));
    apitest_resp_free(&r1);
    apitest_resp_free(&r2);
    apitest_stop(&b);
    apitest_cleanup(&b);

    /* check: the stopped database passes */
    apitest_stop(&a);
    snprintf(args, sizeof args, "check --db %s", a.db);
    cr_expect_eq(cli_run(args, &out), 0, "%s", out);
    json_t *rep = json_loads(out, 0, NULL);
    cr_expect(json_is_true(json_object_get(rep, "ok")), "%s", out);
    json_decref(rep);
    free(out);

    /* a copy with pages overwritten fails (1) or cannot be read (3), never 0 */
    snprintf(copy, sizeof copy, "%s/damaged.db", a.dir);
    snprintf(args, sizeof args, "cp %s %s", a.db, copy);
    cr_assert_eq(system(args), 0);
    cr_assert_not_null(f = fopen(copy, "r+b"));
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    cr_assert_gt(size, 16384);
    /* every page past the first: with one in four, a new table (story_log)
     * moved the pages so that every one hit kept its cells intact */
    for (long off = 4096; off + 4096 < size; off += 4096) {
        char junk[512];
        memset(junk, 0x5a, sizeof junk);
        fseek(f, off + 100, SEEK_SET);
        fwrite(junk, 1, sizeof junk, f);
    }
    fclose(f);
    snprintf(args, sizeof args, "check %s", copy);
    int st = cli_run(args, &out);
    cr_expect(st == 1 || st == 3, "status %d: %s", st, out);
    free(out);
    apitest_cleanup(&a);
}
