/* snippet.h: html_snippet(), an FTS5 auxiliary function returning a short excerpt of a
 * column as safe HTML: matched tokens in <mark>...</mark>, everything else escaped. */
#ifndef ARTICLED_SNIPPET_H
#define ARTICLED_SNIPPET_H

#include <sqlite3.h>

#define SNIPPET_MAX_TOKENS 256 /* largest max_tokens argument accepted */

/* Registers html_snippet() on db (each connection needs it). Returns SQLITE_OK or an SQLite
 * error code (SQLITE_ERROR when db has no FTS5).
 *
 * SQL: html_snippet(<fts table>, <column>, <max tokens>), e.g.
 *   SELECT html_snippet(articles_fts, 1, 24) FROM articles_fts WHERE articles_fts MATCH ?1
 * <column> is a column index, or -1 for the column with the most matches (the later column,
 * i.e. body, on ties, and with no match at all). <max tokens> is 1..SNIPPET_MAX_TOKENS.
 * Returns a new TEXT value: about <max tokens> tokens around the window of that many tokens
 * holding the most distinct matched phrases (then the most matches, then the earliest),
 * centred on its matches; with no match in the column, the first <max tokens> tokens.
 * Each matched token is wrapped in <mark></mark>; all other text is HTML-escaped (& < > " ')
 * with whitespace and control runs collapsed to one space and the ends trimmed; U+2026 "…"
 * marks each end where the text was cut; invalid UTF-8 in the column becomes U+FFFD.
 * A run of more than 64 characters between two tokens is cut with "…" too. A NULL column
 * gives "". Wrong arguments raise an SQL error. */
int snippet_register(sqlite3 *db);

/* snippet_register also registers html_highlight(<fts table>, <column>): the whole column
 * (meant for short ones: titles) as the same safe HTML, every matched token in
 * <mark></mark>, nothing cut. Marks fall on the tokenizer's token boundaries, so never inside
 * a UTF-8 sequence. A NULL column gives "". */

#endif
