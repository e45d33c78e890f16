/* cli.c: which command `articled COMMAND ...` names (see cli.h). */
#include <string.h>

#include "server/cli.h"

int cli_main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } commands[] = {{"import", cli_import}, {"export", cli_export}, {"check", cli_check}};

    if (argc < 2)
        return -1;
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    return -1;
}
