/* rank.h: articled_bm25(), an FTS5 auxiliary function that ranks exactly as
 * FTS5's bm25() but computes less: bm25() counts, before its first row, the
 * rows matching every phrase of the query (a pass over each phrase's whole
 * doclist, and for a quoted phrase a check of the positions of every row that
 * holds all its words), even for phrases whose weighted frequency is zero in
 * every row (the source token). articled_bm25() counts a phrase only when a
 * row first needs it, and takes the count of a one-phrase query from the
 * caller, who has just counted the query's matches for `total`. */
#ifndef ARTICLED_RANK_H
#define ARTICLED_RANK_H

#include <sqlite3.h>

/* Registers articled_bm25() on db (each connection needs it). SQLITE_OK or
 * an SQLite error code (SQLITE_ERROR when db has no FTS5).
 *
 * SQL: articled_bm25(<fts table>, <matches>, <weight of column 0>, ...) as
 * a rank function: `... WHERE t MATCH ?1 AND t.rank MATCH
 * 'articled_bm25(2065, 4.0, 1.0, 0.0)' ORDER BY t.rank`. <matches> is the
 * number of rows the whole query matches, used as the phrase's document
 * count when the query has one phrase, or -1 (always counted). Missing
 * weights are 1.0, as for bm25(). The value is bm25()'s: lower is better. */
int rank_register(sqlite3 *db);

/* The FTS5 API of db, or NULL (no FTS5). */
fts5_api *rank_fts5_api(sqlite3 *db);

#endif
