/* routes.h: the service's route table: every method and path, its handler
 * and its policy (the key role it needs, its body cap, whether it runs on a
 * read thread and counts against the search limit). app_open hands it to the
 * server as app->routes. */
#ifndef ARTICLED_ROUTES_H
#define ARTICLED_ROUTES_H

#include <stddef.h>

#include "server/router.h"

/* The table (static, never freed) and its size in *n. */
const struct route *routes_table(size_t *n);

#endif
