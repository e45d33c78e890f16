/* Unit tests for server/config: defaults, environment, flags, bounds. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "server/config.h"

Test(config, defaults)
{
    struct config c;
    struct error e = {0};
    char *argv[] = {"articled", NULL};
    unsetenv("ARTICLED_PORT");
    cr_assert_eq(config_load(&c, 1, argv, &e), 0, "%s", e.msg);
    cr_expect_eq(c.port, 8080);
    cr_expect_str_eq(c.bind, "127.0.0.1", "a first start listens on loopback only");
    cr_expect_eq(c.allow_open_api, 0);
    cr_expect_eq(c.search_timeout_ms, 3000);
    cr_expect_eq(c.search_queue, 64);
    cr_expect_eq(c.max_body_memory, 256u << 20);
    cr_expect_eq(c.snapshot_min_free, 256u << 20);
    cr_expect_eq(c.snapshot_keep, 0);
    cr_expect_str_eq(c.db, "./articled.db");
    cr_expect_eq(c.max_body, 8u << 20);
    cr_expect_eq(c.max_bulk, 64u << 20);
    cr_expect_eq(c.max_bulk_lines, 10000);
    cr_expect_eq(c.durability, DURABILITY_NORMAL);
    cr_expect_eq(c.log_format, LOG_FORMAT_JSON);
    cr_expect_geq(c.threads, 1);
}

Test(config, env_then_flags)
{
    struct config c;
    struct error e = {0};
    char *argv[] = {"articled", "--port", "0", "--durability", "full", "--max-body", "64K", NULL};
    setenv("ARTICLED_PORT", "9000", 1);
    setenv("ARTICLED_DB", "/tmp/x.db", 1);
    cr_assert_eq(config_load(&c, 7, argv, &e), 0, "%s", e.msg);
    cr_expect_eq(c.port, 0, "flag beats environment");
    cr_expect_str_eq(c.db, "/tmp/x.db");
    cr_expect_eq(c.durability, DURABILITY_FULL);
    cr_expect_eq(c.max_body, 65536);
    unsetenv("ARTICLED_PORT");
    unsetenv("ARTICLED_DB");
}

Test(config, rejects_bad_values)
{
    static char *bad[][3] = {
        {"articled", "--port", "70000"}, {"articled", "--port", "-1"},
        {"articled", "--port", "80x"},   {"articled", "--durability", "maybe"},
        {"articled", "--threads", "0"},  {"articled", "--max-body", "12Q"},
        {"articled", "--nope", "1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct config c;
        struct error e = {0};
        char *argv[] = {bad[i][0], bad[i][1], bad[i][2], NULL};
        cr_expect_eq(config_load(&c, 3, argv, &e), -1, "%s %s", bad[i][1], bad[i][2]);
        cr_expect_neq(e.msg[0], '\0');
    }
    setenv("ARTICLED_PORT", "abc", 1);
    struct config c;
    struct error e = {0};
    char *argv[] = {"articled", NULL};
    cr_expect_eq(config_load(&c, 1, argv, &e), -1, "bad environment value refused");
    unsetenv("ARTICLED_PORT");
}

Test(config, loopback_addresses)
{
    static const char *loop[] = {"127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"};
    static const char *open_[] = {"0.0.0.0",         "::",      "10.0.0.1",  "192.168.1.1",
                                  "::ffff:10.0.0.1", "fe80::1", "128.0.0.1", "not-an-address"};
    for (size_t i = 0; i < sizeof loop / sizeof loop[0]; i++)
        cr_expect(config_bind_is_loopback(loop[i]), "%s", loop[i]);
    for (size_t i = 0; i < sizeof open_ / sizeof open_[0]; i++)
        cr_expect(!config_bind_is_loopback(open_[i]), "%s", open_[i]);
}
