/* cli.h: articled's commands beside the service, run as `articled COMMAND ...`:
 *   import FILE|-   streams NDJSON into a running service through _bulk, with
 *                   progress, a summary, and --resume (cli_import.c);
 *   export          every stored article as NDJSON, from a database file
 *                   (cli_db.c);
 *   check           the integrity of a stopped database (cli_db.c). */
#ifndef ARTICLED_CLI_H
#define ARTICLED_CLI_H

/* Exit statuses the commands share. */
enum {
    CLI_OK = 0,
    CLI_FAILED = 1,  /* import: more failed lines than --max-errors; check: a check failed */
    CLI_USAGE = 2,   /* bad arguments */
    CLI_TROUBLE = 3, /* the service, a file or the database could not be used */
};

/* Runs the command argv[1] names. Returns its exit status, or -1 when argv[1]
 * names no command (the caller starts the service). */
int cli_main(int argc, char **argv);

/* The commands (argv[0] is the command's name). Exit status. */
int cli_import(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_check(int argc, char **argv);

#endif
