/* schema.h: the database schema as a list of versioned migrations. The database
 * remembers its version in PRAGMA user_version; opening it applies the missing
 * steps in order, each in its own transaction. */
#ifndef ARTICLED_SCHEMA_H
#define ARTICLED_SCHEMA_H

#include <sqlite3.h>

#include "analysis/error.h"

/* The src column of the full-text index (migration 17), as SQL over an
 * article's source, tags (a JSON array), language and author (each an SQL
 * expression: columns in the content view, parameters in the writer's
 * statements, store_write.c): "zzxq" (every article carries it), then one
 * token per non-empty value, "zz" + s/t/l/a + its bytes in upper-case hex +
 * "q". One macro for both, so what the writer indexes and deletes is what
 * the view gives FTS5 (a difference would corrupt the index). Search builds
 * the same tokens (store_search_match). */
#define SCHEMA_SRC_TOKEN(prefix, v)                                                                \
    "CASE WHEN " v " IS NULL OR " v " = '' THEN '' ELSE ' " prefix "' || hex(" v ") || 'q' END"
/* tags' JSON, or '[]' when it is none (json_each would be simpler, but FTS5
 * reads its content view with no virtual table allowed) */
#define SCHEMA_SRC_TAGS(t) "(CASE WHEN json_valid(" t ") THEN " t " ELSE '[]' END)"
#define SCHEMA_SRC_TAG_N(t) "json_extract(" SCHEMA_SRC_TAGS(t) ", '$[' || n || ']')"
#define SCHEMA_SRC_TOKENS(source, tags, language, author)                                          \
    "('zzxq' || " SCHEMA_SRC_TOKEN("zzs", source) " || " SCHEMA_SRC_TOKEN(                        \
        "zzl", language) " || " SCHEMA_SRC_TOKEN("zza", author) " || coalesce((WITH RECURSIVE"     \
    " i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n + 1 < json_array_length("           \
    SCHEMA_SRC_TAGS(tags) ")) SELECT ' ' || group_concat('zzt' || hex(" SCHEMA_SRC_TAG_N(tags)    \
    ") || 'q', ' ') FROM i WHERE json_type(" SCHEMA_SRC_TAGS(tags) ", '$[' || n || ']') = 'text'"  \
    " AND " SCHEMA_SRC_TAG_N(tags) " <> ''), ''))"

/* The newest version this build knows. */
int schema_latest(void);

/* Brings db up to version `target` (<= schema_latest()). Returns 0, or -1 with
 * err filled (a database newer than this build is refused, not touched). */
int schema_migrate(sqlite3 *db, int target, struct error *err);

/* Reads PRAGMA user_version; -1 on error. */
int schema_version(sqlite3 *db);

#endif
