/* query.h: the search query language (`q`) parsed into a safe FTS5 MATCH expression.
 * No user text reaches FTS5 unquoted: every term is emitted as an FTS5 string with its
 * embedded quotes doubled. Pure function on text; SQLite is never called here. */
#ifndef ARTICLED_QUERY_H
#define ARTICLED_QUERY_H

#include <stddef.h>

#include "analysis/error.h"

#define QUERY_MAX_BYTES    1024 /* longest accepted query, in bytes */
#define QUERY_MAX_TERMS    32   /* most words + phrases (OR operators not counted) */
#define QUERY_MAX_PREFIXES 4    /* most terms ending in '*' */
#define QUERY_PREFIX_MIN   2    /* fewest letters or digits a prefix expands from */

/* Parses q[0..len) into a safe FTS5 MATCH expression. Returns 0 and a new string in *out
 * (caller frees with free()), or -1 with err->code = ERR_INVALID and err->msg saying what is
 * wrong and where ("at character N", counting code points from 1). q must be valid UTF-8
 * without NUL (the caller checked); if it is not, -1 with ERR_UNPROCESSABLE. Out of memory
 * gives -1 with ERR_INTERNAL. *out is NULL on every failure.
 *
 * Grammar (whitespace = ASCII controls, DEL and Unicode White_Space, NBSP included):
 *   query  := item { item }
 *   item   := "-" term            exclusion; must be glued to its term
 *           | term { "OR" term }  alternatives; OR binds tighter than the implicit AND
 *   term   := word [ "*" ] | '"' chars '"' [ "*" ]
 * A word is a run of non-whitespace characters not starting with '"'; quotes, '*', '-',
 * ':', '^', '(' ... inside a word are ordinary characters. A phrase ends at the next '"';
 * a closing quote also ends the term, so `"a"b` is the phrase a then the word b. A trailing
 * '*' makes the term a prefix. Only the bare uppercase word OR is the operator; lowercase
 * or, "OR", -OR and OR* are words. AND, NOT, NEAR are always words.
 *
 * Output: items joined with " AND ", OR groups in parentheses, exclusions applied to the
 * whole positive part: `"a" AND ("b" OR "c")`, `("a" AND "b") NOT "x"`,
 * `"a" NOT ("x" OR "y")`, a prefix as `"ab" *`.
 *
 * Errors (ERR_INVALID): empty or whitespace-only query; more than QUERY_MAX_BYTES bytes or
 * QUERY_MAX_TERMS terms; more than QUERY_MAX_PREFIXES prefix terms, or a prefix whose last run
 * of letters and digits (the token it expands) is shorter than QUERY_PREFIX_MIN; an unclosed quote
 * (names the character); OR at the start, at the end, doubled, or next to an exclusion; a lone '*'
 * or '-'; a query that only excludes; a query with no letter or digit to search for. Terms with no
 * letter or digit (Unicode L or N: `&&`, `"..."`, an emoji alone) are dropped (they cannot match
 * anything through the tokenizer); when that leaves nothing to match, the query is an error. */
int query_to_fts5(const char *q, size_t len, char **out, struct error *err);

struct synonyms;

/* query_to_fts5, with each word or phrase that has synonyms (synonyms.h; not a prefix)
 * searched as ("term" OR "synonym" ...), also inside OR groups and exclusions. syn may be
 * NULL (none). The synonyms come from the operator's file, and are quoted like the query. */
int query_to_fts5_with(const char *q, size_t len, const struct synonyms *syn, char **out,
                       struct error *err);

/* Relaxed matching (match=any|auto on search): the parameter's values. */
enum query_match { QUERY_MATCH_AUTO, QUERY_MATCH_ALL, QUERY_MATCH_ANY };

/* Most term occurrences in a relaxed expression: bounds its cost to about
 * QUERY_RELAX_LEAVES_MAX / n times the strict query's doclist reads. */
#define QUERY_RELAX_LEAVES_MAX 128

/* The relaxed form of q (same errors, same synonyms as query_to_fts5_with): an article must
 * match at least query_relax_min(n, any) of the n positive groups (a word, a "phrase", an OR
 * group), written as every choice of that many groups AND'd, the choices OR'd (each group
 * appears equally often, so bm25 still ranks articles with more and rarer words first).
 * Bare stop words (query_is_stop_word) do not count and are left out, unless the query has
 * nothing else. Exclusions stay exclusions: `(...) NOT "x"`. Several choices are
 * parenthesised; one (a single group left) is written as query_to_fts5_with writes it, so the
 * caller can compare the two to learn whether relaxing changes anything. */
int query_to_fts5_relaxed(const char *q, size_t len, const struct synonyms *syn, int any,
                          char **out, struct error *err);

/* How many of n groups a relaxed match needs: 1 with any or n <= 2, else half of them
 * rounded up, lowered until the choices hold at most QUERY_RELAX_LEAVES_MAX occurrences. */
int query_relax_min(int n, int any);

/* A bare word of a query: q[off..off+len). */
struct query_word {
    size_t off, len;
};

/* The bare words of q (not "quoted", not prefixes, not excluded, with a letter or digit),
 * in order, at most max of them into out. Returns their count, or -1 when q is not a valid
 * query (query_to_fts5's errors). */
int query_words(const char *q, size_t len, struct query_word *out, int max);

/* 1 when w[0..len) is an English function word ("the", "of", ...; ASCII, any case). */
int query_is_stop_word(const char *w, size_t len);

#endif
