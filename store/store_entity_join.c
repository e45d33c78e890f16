/* store_entity_join.c: a lone name joins the full entity it stands for
 * across articles ("Reagan" -> "Ronald Reagan", "Yeutter" -> "Clayton
 * Yeutter"), decided by the writer as it resolves an article's entities.
 *
 * The evidence is what articles already said: an article that names
 * "Ronald Reagan" and then "Reagan" stored "Reagan" as an alias of Ronald
 * Reagan. A later article that says only "Reagan" has a one-word entity of
 * the same type; its candidates are the entities of that type with a
 * multi-word key that carry the lone name as an alias. Only candidates
 * active in the same period count (their first and last article, widened
 * by STORE_ENT_JOIN_WINDOW_S, around the article's time). One candidate:
 * the lone name joins it. Several: the one with the most articles joins
 * when it has at least STORE_ENT_JOIN_DOMINANCE times the next one's
 * ("Trump": Donald over Lara); otherwise nothing joins and the lone name
 * stays its own entity, as it would be without this rule.
 *
 * An editor's redirect of the lone name (a curated alias, a merge) wins
 * over this rule, and a joined entity that editors merged away or blocked
 * stands for its survivor, or is blocked. Decisions are remembered per key
 * (bounded) for the period they were made in, re-made every
 * STORE_ENT_JOIN_REUSE uses so that a full name that appears later is
 * found, and forgotten at every curation. Writer only. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "store/store_int.h"

#define JOIN_SLOTS                (1u << 14)
#define STORE_ENT_JOIN_WINDOW_S   (60LL * 86400)
#define STORE_ENT_JOIN_DOMINANCE  3
#define STORE_ENT_JOIN_REUSE      256u
#define STORE_ENT_JOIN_REUSE_NONE 16u
#define STORE_ENT_JOIN_CANDIDATES 8

struct join_slot {
    uint64_t h; /* 0: empty */
    char *key;
    int64_t eid;    /* the full entity, or 0: no join */
    int64_t lo, hi; /* the period the decision holds for */
    unsigned uses;
};

struct store_ent_join {
    struct join_slot *slots;
    size_t n;
};

/* entities of a type, with a key of several words, that carry an alias
 * (a person's only as the last word of the name: "Paul" stays apart from
 * Paul Volcker); their articles counted exactly (folded and unfolded
 * deltas) */
static const char SQL_JOIN_CAND[] =
    "SELECT e.eid, e.articles + coalesce((SELECT sum(d.articles) FROM entity_deltas d"
    "   WHERE d.eid = e.eid), 0)"
    " FROM entity_aliases a JOIN entities e ON e.eid = a.eid"
    " WHERE a.alias_fold = ?1 AND e.type = ?2 AND e.key <> ?3"
    "   AND instr(substr(e.key, instr(e.key, ':') + 1), ' ') > 0"
    "   AND (e.type <> 'person' OR substr(e.name_fold, -length(?1) - 1) = ' ' || ?1)"
    " ORDER BY e.eid LIMIT ?4";
/* the times of an entity's first and last stored article */
static const char SQL_JOIN_SPAN[] =
    "SELECT min(ts), max(ts) FROM articles WHERE seq IN ("
    " (SELECT rowid FROM ent_index WHERE ent_index MATCH ?1 ORDER BY rowid ASC LIMIT 1),"
    " (SELECT rowid FROM ent_index WHERE ent_index MATCH ?1 ORDER BY rowid DESC LIMIT 1))";

static uint64_t join_hash(const char *s)
{
    uint64_t h = XXH3_64bits(s, strlen(s));
    return h ? h : 1; /* 0 marks an empty slot */
}

static struct store_ent_join *join_state(struct store *st)
{
    struct store_ent_join *j = st->ent_join;
    if (j != NULL)
        return j;
    j = calloc(1, sizeof *j);
    if (j == NULL)
        return NULL;
    j->slots = calloc(JOIN_SLOTS, sizeof *j->slots);
    if (j->slots == NULL) {
        free(j);
        return NULL;
    }
    st->ent_join = j;
    return j;
}

void store_entity_join_forget(struct store *st)
{
    struct store_ent_join *j = st->ent_join;
    if (j == NULL)
        return;
    for (size_t i = 0; i < JOIN_SLOTS; i++)
        free(j->slots[i].key);
    memset(j->slots, 0, JOIN_SLOTS * sizeof *j->slots);
    j->n = 0;
}

void store_entity_join_close(struct store *st)
{
    struct store_ent_join *j = st->ent_join;
    if (j == NULL)
        return;
    store_entity_join_forget(st);
    free(j->slots);
    free(j);
    st->ent_join = NULL;
}

/* Whether e is a lone name that may stand for a fuller one: a person or an
 * organisation whose key is one word. */
static int join_eligible(const struct store_entity *e)
{
    const char *body = strchr(e->key, ':');
    if (body == NULL || strchr(body + 1, ' ') != NULL || strlen(body + 1) < 2)
        return 0;
    return strcmp(e->type, "person") == 0 || strcmp(e->type, "organization") == 0;
}

/* The first and last article times of eid, or 0 when none is indexed yet
 * (its articles are still in this transaction: active now). SQLite rc. */
static int join_span(struct store *st, int64_t eid, int64_t *lo, int64_t *hi, int *known)
{
    sqlite3_stmt *s = store_writer_stmt(st, WSTMT_ENT_JOIN_SPAN, SQL_JOIN_SPAN);
    char tok[STORE_ENTITY_TOKEN_MAX];
    int rc;

    if (s == NULL)
        return sqlite3_errcode(st->wdb);
    store_entity_token(eid, tok);
    sqlite3_bind_text(s, 1, tok, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(s);
    *known = 0;
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        *lo = sqlite3_column_int64(s, 0);
        *hi = sqlite3_column_int64(s, 1);
        *known = 1;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
}

/* Decides which full entity e's lone name joins at time ts (0: none), and
 * the period [lo, hi] the decision holds for. SQLite rc. */
static int join_decide(struct store *st, const struct store_entity *e, int64_t ts, int64_t *eid,
                       int64_t *lo, int64_t *hi)
{
    sqlite3_stmt *s = store_writer_stmt(st, WSTMT_ENT_JOIN_CAND, SQL_JOIN_CAND);
    int64_t cand[STORE_ENT_JOIN_CANDIDATES], count[STORE_ENT_JOIN_CANDIDATES];
    size_t n = 0, best = SIZE_MAX, second = SIZE_MAX;
    int rc;

    *eid = 0;
    *lo = ts - STORE_ENT_JOIN_WINDOW_S;
    *hi = ts + STORE_ENT_JOIN_WINDOW_S;
    if (s == NULL)
        return sqlite3_errcode(st->wdb);
    /* an editor's redirect of the lone name wins (the key resolution follows it) */
    if (store_curate_key(st, e->key, &cand[0], &rc) == 1 || rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(s, 1, e->name_fold, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, e->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, e->key, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, STORE_ENT_JOIN_CANDIDATES);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < STORE_ENT_JOIN_CANDIDATES) {
        cand[n] = sqlite3_column_int64(s, 0);
        count[n] = sqlite3_column_int64(s, 1);
        n++;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlite3_errcode(st->wdb);
    for (size_t i = 0; i < n; i++) {
        int64_t first = ts, last = ts;
        int known;
        rc = join_span(st, cand[i], &first, &last, &known);
        if (rc != SQLITE_OK)
            return rc;
        if (known && (ts < first - STORE_ENT_JOIN_WINDOW_S || ts > last + STORE_ENT_JOIN_WINDOW_S))
            continue; /* another period's namesake */
        if (best == SIZE_MAX || count[i] > count[best]) {
            second = best;
            best = i;
        } else if (second == SIZE_MAX || count[i] > count[second]) {
            second = i;
        }
        if (known) { /* the decision holds while ts stays in the candidate's period */
            if (first - STORE_ENT_JOIN_WINDOW_S > *lo)
                *lo = first - STORE_ENT_JOIN_WINDOW_S;
            if (last + STORE_ENT_JOIN_WINDOW_S < *hi)
                *hi = last + STORE_ENT_JOIN_WINDOW_S;
        }
    }
    if (best != SIZE_MAX &&
        (second == SIZE_MAX || count[best] >= STORE_ENT_JOIN_DOMINANCE * count[second])) {
        /* what editors made of it: merged away, the survivor; blocked, blocked */
        *eid = cand[best];
        rc = store_curate_eid(st, eid);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (*lo > ts)
        *lo = ts;
    if (*hi < ts)
        *hi = ts;
    return SQLITE_OK;
}

int store_entity_join(struct store *st, const struct store_entity *e, int64_t ts, int64_t *eid)
{
    struct store_ent_join *j;
    struct join_slot *slot;
    uint64_t h;
    size_t i;
    int rc;

    *eid = 0;
    if (!join_eligible(e))
        return SQLITE_OK;
    j = join_state(st);
    if (j == NULL)
        return SQLITE_NOMEM;
    h = join_hash(e->key);
    i = (size_t)h & (JOIN_SLOTS - 1);
    while (j->slots[i].h != 0 && (j->slots[i].h != h || strcmp(j->slots[i].key, e->key) != 0))
        i = (i + 1) & (JOIN_SLOTS - 1);
    slot = &j->slots[i];
    if (slot->h != 0 && ts >= slot->lo && ts <= slot->hi &&
        slot->uses < (slot->eid ? STORE_ENT_JOIN_REUSE : STORE_ENT_JOIN_REUSE_NONE)) {
        slot->uses++;
        *eid = slot->eid;
        return SQLITE_OK;
    }
    int64_t found, lo, hi;
    rc = join_decide(st, e, ts, &found, &lo, &hi);
    if (rc != SQLITE_OK)
        return rc;
    *eid = found;
    if (slot->h == 0) {
        if (j->n * 10 >= JOIN_SLOTS * 7) {
            store_entity_join_forget(st); /* full: start again */
            i = (size_t)h & (JOIN_SLOTS - 1);
            slot = &j->slots[i];
        }
        slot->key = strdup(e->key);
        if (slot->key == NULL)
            return SQLITE_OK; /* not remembered: decided again next time */
        slot->h = h;
        j->n++;
    }
    slot->eid = found;
    slot->lo = lo;
    slot->hi = hi;
    slot->uses = 0;
    return SQLITE_OK;
}
