/* facets.h: the in-memory column table facets count over: one fixed row per
 * article seq (its sort time and the ids of its source, author, language and
 * story) and two short lists (tag ids, entity ids) in a shared pool, with
 * the strings in dictionaries. Pure memory, no SQLite: store_facets.c loads
 * it and keeps it current; a count walks the match seqs it is given.
 *
 * One writer (facet_table_set / _kill) and any number of counters: the
 * table's rwlock (writers preferred) is held by the writer for one row and by
 * a counter for one chunk of seqs, never longer. */
#ifndef ARTICLED_FACETS_H
#define ARTICLED_FACETS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* At most this many tags and entities of one article are kept (the rest
 * are not counted). */
#define FACET_LIST_MAX 255

/* One article's values, borrowed for the call. NULL strings: absent. */
struct facet_article {
    int64_t ts; /* published_at, else ingested_at (unix seconds) */
    const char *source, *author, *language;
    const char *const *tags;
    size_t ntags;
    int64_t story;       /* 0: none */
    const int64_t *ents; /* entity eids */
    size_t nents;
};

struct facet_table;

/* A new empty table, or NULL out of memory. Free with facet_table_free. */
struct facet_table *facet_table_new(void);
void facet_table_free(struct facet_table *t);

/* Sets article seq's row (a new or a replaced article). 0, or -1 out of
 * memory (the row is then dead: not counted). */
int facet_table_set(struct facet_table *t, int64_t seq, const struct facet_article *a);

/* Marks seq dead (deleted): it is counted no more. */
void facet_table_kill(struct facet_table *t, int64_t seq);

/* Bytes the table holds (rows, pool, dictionaries), and its live rows. */
size_t facet_table_bytes(struct facet_table *t);
size_t facet_table_live(struct facet_table *t);

/* The first day (days since 1970-01-01) of the week (Monday) or the month
 * holding day. */
int64_t facet_week_start(int64_t day);
int64_t facet_month_start(int64_t day);

/* A count in progress over the rows of t; the kinds are a mask of
 * (1u << enum store_facet_kind). Rows outside the ts window [from, to) and,
 * when source is not NULL, rows of another source are skipped. */
struct facet_count;
struct facet_count *facet_count_new(struct facet_table *t, unsigned kinds, int64_t from, int64_t to,
                                    const char *source);
void facet_count_free(struct facet_count *c);

/* Counts the live rows among seqs[0, n) (unknown seqs are skipped). 0, or -1
 * out of memory. */
int facet_count_add(struct facet_count *c, const int64_t *seqs, size_t n);

/* Counts every live row (the lists of sources and tags: facets without a
 * query). 0, or -1 out of memory. */
int facet_count_all(struct facet_count *c);

/* Rows counted so far (those that passed the window and the source). */
long long facet_count_rows(const struct facet_count *c);

/* One value of a facet, as facet_count_top gives it. */
struct facet_value {
    char *value;     /* malloc'd: the string, the date (YYYY-MM-DD) or the story id */
    int64_t id;      /* entity: its eid (the caller looks up its public id); else 0 */
    long long count; /* rows counted with this value */
    int64_t last_ts; /* the newest ts among them */
};

/* The facet kind's values: the size with the highest counts (ties by value,
 * entities by eid), or for day, week and month the size newest buckets,
 * oldest first. *out is a new array of *n values (free with
 * facet_values_free). 0, or -1 out of memory. */
int facet_count_top(struct facet_count *c, enum store_facet_kind kind, size_t size,
                    struct facet_value **out, size_t *n);
void facet_values_free(struct facet_value *v, size_t n);

#endif
