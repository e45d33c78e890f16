/* Black-box tests of revalidation: the article, search, entity and story
 * answers carry an ETag and Cache-Control: no-cache; If-None-Match with the
 * tag (alone, in a list, weak, or *) is a 304 without a body; once the
 * answer changes, the old tag gets the whole new answer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apitest.h"

TestSuite(revalidate, .timeout = 60);

static long get_inm(struct apitest_server *s, const char *path, const char *inm, char *etag,
                    size_t size, size_t *len)
{
    struct apitest_resp r;
    char h[256];
    const char *hdrs[] = {h, NULL};
    long st;
    snprintf(h, sizeof h, "If-None-Match: %s", inm ? inm : "");
    apitest_request_h(s, "GET", path, inm ? hdrs : NULL, NULL, NULL, 0, &r);
    st = r.status;
    if (etag != NULL && apitest_header(&r, "ETag", etag, size) == 0)
        etag[0] = '\0';
    if (len != NULL)
        *len = r.len;
    if (st == 200) {
        char cc[64];
        cr_expect(apitest_header(&r, "Cache-Control", cc, sizeof cc) && strcmp(cc, "no-cache") == 0,
                  "%s: Cache-Control", path);
    }
    apitest_resp_free(&r);
    return st;
}

Test(revalidate, tags_and_304s)
{
    struct apitest_server s;
    struct apitest_resp r;
    char tag[64], tag2[64], list[200];
    size_t len;
    const char *paths[] = {"/v1/articles/a1", "/v1/search?q=talks", "/v1/entities/person:marco-rubio",
                           "/v1/stories/1", NULL};

    cr_assert_eq(apitest_start(&s, NULL, NULL), 0);
    apitest_request(&s, "PUT", "/v1/articles/a1", "application/json",
                    "{\"title\":\"Talks\",\"body\":\"Marco Rubio held talks in Kuala Lumpur.\"}",
                    66, &r);
    cr_assert_eq(r.status, 201, "%s", r.body);
    apitest_resp_free(&r);
    for (size_t k = 0; paths[k] != NULL; k++) {
        cr_assert_eq(get_inm(&s, paths[k], NULL, tag, sizeof tag, NULL), 200, "%s", paths[k]);
        cr_assert_neq(tag[0], '\0', "%s: no ETag", paths[k]);
        cr_expect_eq(get_inm(&s, paths[k], tag, NULL, 0, &len), 304, "%s", paths[k]);
        cr_expect_eq(len, 0, "%s: a 304 carries no body", paths[k]);
        snprintf(list, sizeof list, "\"0000000000000000\", W/%s", tag);
        cr_expect_eq(get_inm(&s, paths[k], list, NULL, 0, NULL), 304, "%s: a weak tag in a list",
                     paths[k]);
        cr_expect_eq(get_inm(&s, paths[k], "*", NULL, 0, NULL), 304, "%s: *", paths[k]);
        cr_expect_eq(get_inm(&s, paths[k], "\"0000000000000000\"", NULL, 0, NULL), 200, "%s",
                     paths[k]);
    }
    /* the article changes: its old tag gets the new answer and a new tag */
    cr_assert_eq(get_inm(&s, "/v1/articles/a1", NULL, tag, sizeof tag, NULL), 200);
    apitest_request(&s, "PUT", "/v1/articles/a1", "application/json",
                    "{\"title\":\"Talks\",\"body\":\"Marco Rubio held more talks.\"}", 55, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    apitest_resp_free(&r);
    cr_expect_eq(get_inm(&s, "/v1/articles/a1", tag, tag2, sizeof tag2, NULL), 200);
    cr_expect_str_neq(tag, tag2);
    apitest_stop(&s);
    apitest_cleanup(&s);
}
