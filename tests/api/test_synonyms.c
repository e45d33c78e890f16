/* Black-box tests of --synonyms: searches find what a rule says, GET
 * /v1/synonyms shows the rules, SIGHUP reads the file again (a refused file
 * leaves the old rules), and a refused file stops the start. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apitest.h"

TestSuite(synonyms, .timeout = 120);

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void put(struct apitest_server *s, const char *id, const char *body)
{
    char path[64], json[512];
    struct apitest_resp r;
    snprintf(path, sizeof path, "/v1/articles/%s", id);
    snprintf(json, sizeof json, "{\"title\":\"Notice %s\",\"body\":\"%s\"}", id, body);
    cr_assert_eq(apitest_request(s, "PUT", path, "application/json", json, strlen(json), &r), 0);
    cr_assert(r.status == 201 || r.status == 200, "%ld %s", r.status, r.body);
    apitest_resp_free(&r);
}

static long total(struct apitest_server *s, const char *q)
{
    char path[256];
    struct apitest_resp r;
    long t;
    snprintf(path, sizeof path, "/v1/search?q=%s", q);
    cr_assert_eq(apitest_get(s, path, &r), 0);
    cr_assert_eq(r.status, 200, "%s: %s", q, r.body);
    t = (long)json_integer_value(json_object_get(r.json, "total"));
    apitest_resp_free(&r);
    return t;
}

static long generation(struct apitest_server *s)
{
    struct apitest_resp r;
    long g;
    cr_assert_eq(apitest_get(s, "/v1/synonyms", &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    g = (long)json_integer_value(json_object_get(r.json, "generation"));
    apitest_resp_free(&r);
    return g;
}

/* Sends SIGHUP and waits (bounded) until the log says how it went. */
static void hup_and_wait(struct apitest_server *s, const char *says)
{
    kill(s->pid, SIGHUP);
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(s->log, "r");
        char line[4096];
        int found = 0;
        while (f != NULL && fgets(line, sizeof line, f) != NULL)
            found |= strstr(line, says) != NULL;
        if (f != NULL)
            fclose(f);
        if (found)
            return;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_fail("the log never said '%s'", says);
}

Test(synonyms, rules_apply_show_and_reload_on_sighup)
{
    struct apitest_server s;
    char file[400];
    const char *extra[] = {"--synonyms", file, NULL};
    struct apitest_resp r;

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    apitest_stop(&s);
    snprintf(file, sizeof file, "%s/synonyms.txt", s.dir);
    write_file(file, "# test\ne-mail, email\nUN => United Nations\n");
    cr_assert_eq(apitest_start(&s, s.db, extra), 0);
    put(&s, "a", "Send your questions by e-mail to the desk.");
    put(&s, "b", "The United Nations met in Geneva on Monday.");
    put(&s, "c", "The un-named official declined to comment.");

    cr_expect_eq(total(&s, "email"), 1, "email finds e-mail");
    cr_expect_eq(total(&s, "e-mail"), 1);
    cr_expect_eq(total(&s, "UN"), 2, "UN finds United Nations (and 'un-named')");
    cr_expect_eq(total(&s, "%22united+nations%22"), 1, "one way: not UN");
    cr_expect_eq(total(&s, "desk+-email"), 0, "an exclusion excludes the synonyms too");

    cr_assert_eq(apitest_get(&s, "/v1/synonyms", &r), 0);
    cr_expect_eq(r.status, 200);
    cr_expect_eq(json_array_size(json_object_get(r.json, "rules")), 2, "%s", r.body);
    json_t *one = json_array_get(json_object_get(r.json, "rules"), 1);
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(one, "also_finds"), 0)),
                     "United Nations");
    cr_expect_eq(json_integer_value(json_object_get(r.json, "generation")), 1);
    apitest_resp_free(&r);

    /* a new file on SIGHUP: the new rules, at once (no cached answer) */
    write_file(file, "geneva, genf\n");
    hup_and_wait(&s, "synonyms reloaded");
    cr_expect_eq(generation(&s), 2);
    cr_expect_eq(total(&s, "email"), 0, "the old rule is gone");
    cr_expect_eq(total(&s, "genf"), 1);

    /* a refused file on SIGHUP: the rules in force stay */
    write_file(file, "lonely\n");
    hup_and_wait(&s, "synonyms not reloaded");
    cr_expect_eq(generation(&s), 2);
    cr_expect_eq(total(&s, "genf"), 1);
    apitest_stop(&s);

    /* a refused file at start: no start */
    cr_expect_eq(apitest_start(&s, s.db, extra), -1);
    apitest_cleanup(&s);
}

Test(synonyms, without_a_file_the_list_is_empty)
{
    struct apitest_server s;
    struct apitest_resp r;
    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    cr_assert_eq(apitest_get(&s, "/v1/synonyms", &r), 0);
    cr_expect_eq(r.status, 200);
    cr_expect(json_is_null(json_object_get(r.json, "file")));
    cr_expect_eq(json_array_size(json_object_get(r.json, "rules")), 0);
    apitest_resp_free(&r);
    apitest_stop(&s);
    apitest_cleanup(&s);
}
