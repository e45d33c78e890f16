/* synonyms.h: search synonyms, from a file of rules, applied to queries
 * (query.h): a term that names a rule is searched as itself OR its synonyms.
 *
 * File: one rule a line; '#' starts a comment line; blank lines skipped.
 *   e-mail, email, e mail          equivalent: each finds every other
 *   UN, U.N. => United Nations     one-way: UN and U.N. also find "United Nations"
 * A term is a word or several (searched as a phrase). Terms are compared in
 * their normalised form (textnorm.h: case, diacritics and punctuation aside:
 * "E-Mail" names the same rule as "e mail"). Bounded: SYNONYMS_MAX_BYTES of
 * file, SYNONYMS_MAX_RULES rules, SYNONYMS_MAX_TERMS terms a rule of at most
 * SYNONYMS_MAX_TERM_BYTES bytes each; a term in several rules finds the union,
 * up to SYNONYMS_MAX_EXPANSION synonyms. Pure: no I/O but the file's reading. */
#ifndef ARTICLED_SYNONYMS_H
#define ARTICLED_SYNONYMS_H

#include <stddef.h>

#include "analysis/error.h"

#define SYNONYMS_MAX_BYTES      (1 << 20)
#define SYNONYMS_MAX_RULES      10000
#define SYNONYMS_MAX_TERMS      16
#define SYNONYMS_MAX_TERM_BYTES 128
#define SYNONYMS_MAX_EXPANSION  8

struct synonyms;

/* Parses text[0..len) (the file's contents) into *out (new; free with
 * synonyms_free). 0, or -1 with err: ERR_INVALID naming the line for a rule
 * that breaks the format or a bound, ERR_UNPROCESSABLE for invalid UTF-8,
 * ERR_INTERNAL out of memory. */
int synonyms_parse(const char *text, size_t len, struct synonyms **out, struct error *err);

/* Reads and parses the file at path (its message names the path). */
int synonyms_load(const char *path, struct synonyms **out, struct error *err);

void synonyms_free(struct synonyms *syn);

/* The synonyms of term[0..len) (as typed), their number into *n: pointers
 * into syn (valid while syn is), each as written in the file. NULL and *n = 0
 * when it has none (or syn is NULL). */
const char *const *synonyms_of(const struct synonyms *syn, const char *term, size_t len,
                               size_t *n);

/* The rules as read, for GET /v1/synonyms. */
size_t synonyms_rules(const struct synonyms *syn);
/* Rule i: its terms (from[0..nfrom)) and, for a one-way rule, what they
 * also find (to[0..nto)); nto is 0 for an equivalence. */
void synonyms_rule(const struct synonyms *syn, size_t i, const char *const **from, size_t *nfrom,
                   const char *const **to, size_t *nto);

#endif
