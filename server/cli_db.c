/* cli_db.c: the commands that read a database file directly, without the
 * service: `articled export` (every article as NDJSON, the input `articled
 * import` and _bulk take: for backups and moves between versions) and
 * `articled check` (the integrity of a stopped database). Neither migrates:
 * export reads the articles table, whose columns every schema version has. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/cli.h"
#include "store/schema.h"

/* The arguments of export and check: --db FILE (or FILE alone) and, when
 * out is not NULL, --out FILE. 0, or -1 on anything else. */
static int cli_db_args(int argc, char **argv, const char **db, const char **out)
{
    *db = NULL;
    if (out != NULL)
        *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--db") == 0 && i + 1 < argc && *db == NULL)
            *db = argv[++i];
        else if (out != NULL && strcmp(a, "--out") == 0 && i + 1 < argc && *out == NULL)
            *out = argv[++i];
        else if (a[0] != '-' && *db == NULL)
            *db = a;
        else
            return -1;
    }
    return *db == NULL ? -1 : 0;
}

/* Opens path without creating it; read-only unless rw. NULL (said) on failure. */
static sqlite3 *cli_db_open(const char *cmd, const char *path, int rw)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, rw ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "articled %s: cannot open %s: %s\n", cmd, path,
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    return db;
}

static void cli_db_set_text(json_t *o, const char *key, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    json_object_set_new(o, key, t ? json_stringn((const char *)t, (size_t)sqlite3_column_bytes(s, col))
                                  : json_null());
}

int cli_export(int argc, char **argv)
{
    int rc = CLI_TROUBLE;
    const char *path, *out;
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    FILE *f = stdout;
    long n = 0;

    if (cli_db_args(argc, argv, &path, &out) != 0) {
        int help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        fputs("usage: articled export --db FILE [--out FILE]\n"
              "  Every stored article as NDJSON (oldest ingested first) on standard output or\n"
              "  --out: the input of `articled import`. Safe on a running service's database\n"
              "  (one read transaction: a consistent copy).\n",
              help ? stdout : stderr);
        return help ? CLI_OK : CLI_USAGE;
    }
    if ((db = cli_db_open("export", path, 0)) == NULL)
        return CLI_TROUBLE;
    if (out != NULL && (f = fopen(out, "w")) == NULL) {
        fprintf(stderr, "articled export: cannot write %s\n", out);
        goto done;
    }
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT id, title, body, url, source, author, language, published_at,"
                           " tags FROM articles ORDER BY seq",
                           -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "articled export: %s is not an articled database: %s\n", path,
                sqlite3_errmsg(db));
        goto done;
    }
    for (;;) {
        int step = sqlite3_step(s);
        json_t *a, *tags;
        const char *tj;
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            fprintf(stderr, "articled export: reading failed: %s\n", sqlite3_errmsg(db));
            goto done;
        }
        a = json_object();
        cli_db_set_text(a, "id", s, 0);
        cli_db_set_text(a, "title", s, 1);
        cli_db_set_text(a, "body", s, 2);
        cli_db_set_text(a, "url", s, 3);
        cli_db_set_text(a, "source", s, 4);
        cli_db_set_text(a, "author", s, 5);
        cli_db_set_text(a, "language", s, 6);
        cli_db_set_text(a, "published_at", s, 7);
        tj = (const char *)sqlite3_column_text(s, 8);
        tags = tj ? json_loads(tj, 0, NULL) : NULL;
        json_object_set_new(a, "tags", json_is_array(tags) ? tags : json_array());
        if (!json_is_array(tags))
            json_decref(tags);
        /* absent rather than null: the article as it was sent */
        const char *opt[] = {"url", "source", "author", "language", "published_at"};
        for (size_t i = 0; i < sizeof opt / sizeof *opt; i++)
            if (json_is_null(json_object_get(a, opt[i])))
                json_object_del(a, opt[i]);
        if (json_dumpf(a, f, JSON_COMPACT) != 0 || fputc('\n', f) == EOF) {
            json_decref(a);
            fputs("articled export: cannot write the output\n", stderr);
            goto done;
        }
        json_decref(a);
        n++;
    }
    if (fflush(f) != 0) {
        fputs("articled export: cannot write the output\n", stderr);
        goto done;
    }
    fprintf(stderr, "articled export: %ld articles\n", n);
    rc = CLI_OK;
done:
    sqlite3_finalize(s);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    if (f != stdout && f != NULL && fclose(f) != 0 && rc == CLI_OK) {
        fputs("articled export: cannot write the output\n", stderr);
        rc = CLI_TROUBLE;
    }
    return rc;
}

/* Runs one check: sql's rows are its findings ("ok" alone is none). Adds
 * {"name", "ok", "findings"} to checks. Returns whether it passed. */
static int cli_check_one(sqlite3 *db, json_t *checks, const char *name, const char *sql)
{
    sqlite3_stmt *s = NULL;
    json_t *findings = json_array();
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL), ok;

    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        rc = SQLITE_OK;
        if (t != NULL && strcmp(t, "ok") != 0 && json_array_size(findings) < 100)
            json_array_append_new(findings, json_string(t));
    }
    if (rc != SQLITE_DONE && rc != SQLITE_OK)
        json_array_append_new(findings, json_string(sqlite3_errmsg(db)));
    sqlite3_finalize(s);
    ok = json_array_size(findings) == 0;
    json_array_append_new(checks, json_pack("{s:s,s:b,s:o}", "name", name, "ok", ok, "findings",
                                            findings));
    return ok;
}

int cli_check(int argc, char **argv)
{
    int ok = 1, version;
    const char *path;
    sqlite3 *db;
    json_t *checks, *report;
    char *text;

    if (cli_db_args(argc, argv, &path, NULL) != 0) {
        int help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        fputs("usage: articled check --db FILE\n"
              "  Checks a stopped database: SQLite's integrity check, the full-text, entity and\n"
              "  fingerprint indexes against their tables, and the schema version. Prints a JSON\n"
              "  report; exit status 0 when every check passed, 1 when one failed.\n",
              help ? stdout : stderr);
        return help ? CLI_OK : CLI_USAGE;
    }
    /* read-write: FTS5's integrity-check is an INSERT (it writes nothing) */
    if ((db = cli_db_open("check", path, 1)) == NULL)
        return CLI_TROUBLE;
    checks = json_array();
    version = schema_version(db);
    if (version <= 0) {
        fprintf(stderr, "articled check: %s is not an articled database\n", path);
        sqlite3_close(db);
        json_decref(checks);
        return CLI_TROUBLE;
    }
    json_t *vf = json_array();
    if (version > schema_latest())
        json_array_append_new(vf, json_string("written by a newer articled: use that one"));
    json_array_append_new(checks, json_pack("{s:s,s:b,s:o}", "name", "schema version", "ok",
                                            version <= schema_latest(), "findings", vf));
    ok &= version <= schema_latest();
    ok &= cli_check_one(db, checks, "sqlite integrity", "PRAGMA integrity_check(100)");
    ok &= cli_check_one(db, checks, "full-text index",
                        "INSERT INTO articles_fts(articles_fts, rank) VALUES('integrity-check', 1)");
    if (version >= 9)
        ok &= cli_check_one(db, checks, "entity index",
                            "INSERT INTO ent_index(ent_index) VALUES('integrity-check')");
    ok &= cli_check_one(db, checks, "fingerprint index",
                        "INSERT INTO fp_index(fp_index) VALUES('integrity-check')");
    report = json_pack("{s:s,s:i,s:i,s:b,s:o}", "db", path, "schema_version", version,
                       "schema_latest", schema_latest(), "ok", ok, "checks", checks);
    text = json_dumps(report, JSON_INDENT(2));
    if (text != NULL)
        puts(text);
    free(text);
    json_decref(report);
    sqlite3_close(db);
    return ok ? CLI_OK : CLI_FAILED;
}
