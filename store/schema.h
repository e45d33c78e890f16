/* schema.h: the database schema as a list of versioned migrations. The database
 * remembers its version in PRAGMA user_version; opening it applies the missing
 * steps in order, each in its own transaction. */
#ifndef ARTICLED_SCHEMA_H
#define ARTICLED_SCHEMA_H

#include <sqlite3.h>

#include "analysis/error.h"

/* The newest version this build knows. */
int schema_latest(void);

/* Brings db up to version `target` (<= schema_latest()). Returns 0, or -1 with
 * err filled (a database newer than this build is refused, not touched). */
int schema_migrate(sqlite3 *db, int target, struct error *err);

/* Reads PRAGMA user_version; -1 on error. */
int schema_version(sqlite3 *db);

#endif
