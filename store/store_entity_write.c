/* store_entity_write.c: entities written by the writer, inside its group
 * transaction: links, mentions, aliases, and counts kept exact under insert,
 * replace and delete (as deltas, folded in bulk). Reads are in
 * store_entity_read.c. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

/* Per-entity counts change by deltas logged as ops run, summed per entity at
 * the end of the transaction and appended to entity_deltas
 * (store_entities_flush): one row per entity and transaction, on the
 * table's last page, where updating entities in place rewrote a page of
 * entities and two of entities_rank per entity and commit. Once
 * entity_deltas holds fold_rows rows, a transaction folds them into
 * entities (each entity updated once for thousands of articles) and
 * empties it. Readers add the unfolded rows (ENT_DELTAS below), so counts
 * are exact at every commit, and after kill -9: the rows commit with the
 * articles that made them. A rolled-back op takes its deltas with it. Which
 * keys have which eid, and which aliases are already stored, is remembered
 * across transactions (bounded; cleared when full or after a roll-back, so
 * it never names a row that a roll-back removed). */

#define ENT_CACHE_SLOTS  (1u << 16) /* keys remembered at most (times 0.7) */
#define ALIAS_SEEN_SLOTS (1u << 17)

struct ent_delta {
    int64_t eid, articles, mentions;
};

struct store_ent_cache {
    /* key -> eid, open addressing */
    uint64_t *key_hash;
    int64_t *key_eid;
    char **key;
    size_t nkeys;
    /* (eid, alias) pairs known stored, as hashes */
    uint64_t *alias_seen;
    size_t naliases;
    /* this transaction's count deltas */
    struct ent_delta *deltas;
    size_t ndeltas, deltas_cap;
    /* rows in entity_deltas as of the last commit, and as of this
     * transaction's flush (made current by store_entities_committed) */
    int64_t delta_rows, delta_rows_after;
    int delta_rows_known;
};

static const char SQL_ENT_OLD[] =
    "SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]')"
    " FROM article_ents ae, json_each(ae.ents) j WHERE ae.seq = ?1";
static const char SQL_ENT_DELTA[] =
    "INSERT INTO entity_deltas (eid, articles, mentions) VALUES (?1, ?2, ?3)";
static const char SQL_ENT_DELTA_ROWS[] = "SELECT count(*) FROM entity_deltas";
/* the deltas summed per entity, in eid order, then forgotten */
static const char SQL_ENT_FOLD[] =
    "UPDATE entities SET articles = entities.articles + d.a, mentions = entities.mentions + d.m"
    " FROM (SELECT eid, sum(articles) AS a, sum(mentions) AS m FROM entity_deltas GROUP BY eid)"
    " AS d WHERE entities.eid = d.eid";
static const char SQL_ENT_FOLD_CLEAR[] = "DELETE FROM entity_deltas";
static const char SQL_ENT_UNLINK[] = "DELETE FROM article_ents WHERE seq = ?1";
static const char SQL_ENT_UNMENTION[] = "DELETE FROM article_mentions WHERE seq = ?1";
static const char SQL_ENT_FIND[] = "SELECT eid FROM entities WHERE key = ?1";
static const char SQL_ENT_INSERT[] =
    "INSERT INTO entities (id, key, name, name_fold, type, articles, mentions)"
    " VALUES (?1, ?2, ?3, ?4, ?5, 0, 0) RETURNING eid";
static const char SQL_ENT_ALIAS[] =
    "INSERT OR IGNORE INTO entity_aliases (eid, alias, alias_fold) VALUES (?1, ?2, ?3)";
static const char SQL_ENT_LINK[] =
    "INSERT OR REPLACE INTO article_ents (seq, ents) VALUES (?1, ?2)";
static const char SQL_ENT_MENTION[] =
    "INSERT OR REPLACE INTO article_mentions (seq, data) VALUES (?1, ?2)";
static const char SQL_ENT_DONE[] = "UPDATE articles SET entities_done = 1 WHERE seq = ?1";

static void put_le64(unsigned char *p, int64_t v)
{
    for (int b = 0; b < 8; b++)
        p[b] = (unsigned char)((uint64_t)v >> (8 * b));
}

static int step_done(struct store *st, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(st->wdb);
}

static uint64_t ent_hash(const char *s, int64_t salt)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)salt;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    h ^= h >> 29;
    return h ? h : 1; /* 0 marks an empty slot */
}

static struct store_ent_cache *ent_cache(struct store *st)
{
    struct store_ent_cache *c = st->ent_cache;
    if (c != NULL)
        return c;
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->key_hash = calloc(ENT_CACHE_SLOTS, sizeof *c->key_hash);
    c->key_eid = calloc(ENT_CACHE_SLOTS, sizeof *c->key_eid);
    c->key = calloc(ENT_CACHE_SLOTS, sizeof *c->key);
    c->alias_seen = calloc(ALIAS_SEEN_SLOTS, sizeof *c->alias_seen);
    if (c->key_hash == NULL || c->key_eid == NULL || c->key == NULL || c->alias_seen == NULL) {
        st->ent_cache = c;
        store_entities_close(st);
        return NULL;
    }
    st->ent_cache = c;
    return c;
}

/* Forgets every remembered key and alias (after a roll-back, or when full). */
static void ent_cache_forget(struct store_ent_cache *c)
{
    for (size_t i = 0; i < ENT_CACHE_SLOTS; i++)
        free(c->key[i]);
    memset(c->key_hash, 0, ENT_CACHE_SLOTS * sizeof *c->key_hash);
    memset(c->key, 0, ENT_CACHE_SLOTS * sizeof *c->key);
    memset(c->alias_seen, 0, ALIAS_SEEN_SLOTS * sizeof *c->alias_seen);
    c->nkeys = 0;
    c->naliases = 0;
}

void store_entities_close(struct store *st)
{
    struct store_ent_cache *c = st->ent_cache;
    store_entity_join_close(st);
    if (c == NULL)
        return;
    if (c->key != NULL)
        for (size_t i = 0; i < ENT_CACHE_SLOTS; i++)
            free(c->key[i]);
    free(c->key_hash);
    free(c->key_eid);
    free(c->key);
    free(c->alias_seen);
    free(c->deltas);
    free(c);
    st->ent_cache = NULL;
}

size_t store_entities_mark(struct store *st)
{
    return st->ent_cache ? st->ent_cache->ndeltas : 0;
}

void store_entities_rollback(struct store *st, size_t mark)
{
    struct store_ent_cache *c = st->ent_cache;
    if (c == NULL)
        return;
    if (mark < c->ndeltas)
        c->ndeltas = mark;
    /* the op may have inserted entities or aliases that are gone again */
    ent_cache_forget(c);
    store_entity_join_forget(st);
}

/* The slot of key in the cache: where it is, or the empty one to put it in. */
static size_t ent_slot(const struct store_ent_cache *c, const char *key, uint64_t h)
{
    size_t i = (size_t)h & (ENT_CACHE_SLOTS - 1);
    while (c->key_hash[i] != 0 && (c->key_hash[i] != h || strcmp(c->key[i], key) != 0))
        i = (i + 1) & (ENT_CACHE_SLOTS - 1);
    return i;
}

static int ent_delta(struct store_ent_cache *c, int64_t eid, int64_t articles, int64_t mentions)
{
    if (c->ndeltas == c->deltas_cap) {
        size_t cap = c->deltas_cap ? c->deltas_cap * 2 : 4096;
        struct ent_delta *bigger = realloc(c->deltas, cap * sizeof *bigger);
        if (bigger == NULL)
            return SQLITE_NOMEM;
        c->deltas = bigger;
        c->deltas_cap = cap;
    }
    c->deltas[c->ndeltas++] = (struct ent_delta){eid, articles, mentions};
    return SQLITE_OK;
}

static int cmp_delta(const void *a, const void *b)
{
    const struct ent_delta *x = a, *y = b;
    return (x->eid > y->eid) - (x->eid < y->eid);
}

/* Rows in entity_deltas now (read once, then counted). SQLite rc. */
static int ent_delta_rows(struct store *st, struct store_ent_cache *c)
{
    sqlite3_stmt *s;
    int rc;

    if (c->delta_rows_known)
        return SQLITE_OK;
    s = store_writer_stmt(st, WSTMT_ENT_DELTA_ROWS, SQL_ENT_DELTA_ROWS);
    if (s == NULL)
        return sqlite3_errcode(st->wdb);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        c->delta_rows = sqlite3_column_int64(s, 0);
        c->delta_rows_known = 1;
        rc = SQLITE_OK;
    } else {
        rc = sqlite3_errcode(st->wdb);
    }
    sqlite3_reset(s);
    return rc;
}

/* Folds every row of entity_deltas into entities and empties it, inside the
 * write transaction. SQLite rc. */
static int store_entities_fold(struct store *st)
{
    struct store_ent_cache *c = ent_cache(st);
    sqlite3_stmt *fold = store_writer_stmt(st, WSTMT_ENT_FOLD, SQL_ENT_FOLD);
    sqlite3_stmt *clear = store_writer_stmt(st, WSTMT_ENT_FOLD_CLEAR, SQL_ENT_FOLD_CLEAR);
    int rc;

    if (c == NULL)
        return SQLITE_NOMEM;
    if (fold == NULL || clear == NULL)
        return sqlite3_errcode(st->wdb);
    rc = step_done(st, fold);
    if (rc == SQLITE_OK)
        rc = step_done(st, clear);
    if (rc == SQLITE_OK)
        c->delta_rows_after = 0;
    return rc;
}

void store_entities_committed(struct store *st)
{
    struct store_ent_cache *c = st->ent_cache;
    if (c != NULL && c->delta_rows_known)
        c->delta_rows = c->delta_rows_after;
}

int store_entities_flush(struct store *st)
{
    struct store_ent_cache *c = st->ent_cache;
    unsigned fold_rows = st->opts.entity_fold_rows ? st->opts.entity_fold_rows : STORE_ENT_FOLD_ROWS;
    sqlite3_stmt *s;
    int rc = SQLITE_OK;

    if (c == NULL || c->ndeltas == 0)
        return SQLITE_OK;
    s = store_writer_stmt(st, WSTMT_ENT_DELTA, SQL_ENT_DELTA);
    if (s == NULL)
        return sqlite3_errcode(st->wdb);
    rc = ent_delta_rows(st, c);
    if (rc != SQLITE_OK)
        return rc;
    c->delta_rows_after = c->delta_rows;
    qsort(c->deltas, c->ndeltas, sizeof *c->deltas, cmp_delta);
    for (size_t i = 0; i < c->ndeltas && rc == SQLITE_OK;) {
        int64_t eid = c->deltas[i].eid, da = 0, dm = 0;
        for (; i < c->ndeltas && c->deltas[i].eid == eid; i++) {
            da += c->deltas[i].articles;
            dm += c->deltas[i].mentions;
        }
        if (da == 0 && dm == 0)
            continue;
        sqlite3_bind_int64(s, 1, eid);
        sqlite3_bind_int64(s, 2, da);
        sqlite3_bind_int64(s, 3, dm);
        rc = step_done(st, s);
        c->delta_rows_after++;
    }
    c->ndeltas = 0;
    if (rc == SQLITE_OK && c->delta_rows_after >= (int64_t)fold_rows)
        rc = store_entities_fold(st);
    return rc;
}

void store_entities_reset(struct store *st)
{
    if (st->ent_cache != NULL) {
        st->ent_cache->ndeltas = 0;
        ent_cache_forget(st->ent_cache);
    }
    store_entity_join_forget(st);
}

/* A growing text (ent_index tokens, the JSON of article_ents). */
struct ent_text {
    char *buf;
    size_t len, cap;
};

static int ent_printf(struct ent_text *t, const char *fmt, int64_t a, int64_t b)
{
    char piece[64];
    int n = snprintf(piece, sizeof piece, fmt, (long long)a, (long long)b);
    if (n < 0)
        return SQLITE_NOMEM;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        char *bigger;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        bigger = realloc(t->buf, cap);
        if (bigger == NULL)
            return SQLITE_NOMEM;
        t->buf = bigger;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, piece, (size_t)n + 1);
    t->len += (size_t)n;
    return SQLITE_OK;
}

/* Appends eid's ent_index token ("e<eid>", space-separated). */
static int ent_token(struct ent_text *t, int64_t eid)
{
    return ent_printf(t, t->len ? " e%lld" : "e%lld", eid, 0);
}

int store_entities_remove(struct store *st, int64_t seq)
{
    sqlite3_stmt *old = store_writer_stmt(st, WSTMT_ENT_OLD, SQL_ENT_OLD);
    sqlite3_stmt *unl = store_writer_stmt(st, WSTMT_ENT_UNLINK, SQL_ENT_UNLINK);
    sqlite3_stmt *unm = store_writer_stmt(st, WSTMT_ENT_UNMENTION, SQL_ENT_UNMENTION);
    struct store_ent_cache *c = ent_cache(st);
    struct ent_text tokens = {0};
    int rc = SQLITE_OK;

    if (c == NULL)
        return SQLITE_NOMEM;
    if (old == NULL || unl == NULL || unm == NULL)
        return sqlite3_errcode(st->wdb);
    sqlite3_bind_int64(old, 1, seq);
    while (rc == SQLITE_OK && (rc = sqlite3_step(old)) == SQLITE_ROW) {
        int64_t eid = sqlite3_column_int64(old, 0);
        rc = ent_delta(c, eid, -1, -sqlite3_column_int64(old, 1));
        if (rc == SQLITE_OK)
            rc = ent_token(&tokens, eid);
    }
    sqlite3_reset(old);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    if (rc == SQLITE_OK && tokens.len > 0)
        rc = store_fts_queue_tokens(st, STORE_FTS_ENTITIES, seq, 1, tokens.buf, tokens.len);
    free(tokens.buf);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(unl, 1, seq);
        rc = step_done(st, unl);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(unm, 1, seq);
        rc = step_done(st, unm);
    }
    return rc;
}

int store_entities_delta(struct store *st, int64_t eid, int64_t articles, int64_t mentions)
{
    struct store_ent_cache *c = ent_cache(st);
    return c == NULL ? SQLITE_NOMEM : ent_delta(c, eid, articles, mentions);
}

void store_entities_forget(struct store *st)
{
    if (st->ent_cache != NULL)
        ent_cache_forget(st->ent_cache);
    store_entity_join_forget(st);
}

/* The entity key e->key resolves to, not remembered yet: the one an
 * editor's redirect names (a curated alias, a merge), else the one stored
 * with that key, else a new one (with zero counts; the deltas count it);
 * then what editors made of it (merged away: the survivor; blocked:
 * STORE_ENT_BLOCKED). The one place a key becomes an entity. SQLite rc. */
static int ent_resolve_key(struct store *st, const struct store_entity *e, int64_t *eid)
{
    sqlite3_stmt *find = store_writer_stmt(st, WSTMT_ENT_FIND, SQL_ENT_FIND);
    sqlite3_stmt *ins = store_writer_stmt(st, WSTMT_ENT_UPSERT, SQL_ENT_INSERT);
    int rc;

    if (store_curate_key(st, e->key, eid, &rc) == 1)
        return store_curate_eid(st, eid);
    if (rc != SQLITE_OK)
        return rc;
    if (find == NULL || ins == NULL)
        return sqlite3_errcode(st->wdb);
    sqlite3_bind_text(find, 1, e->key, -1, SQLITE_STATIC);
    rc = sqlite3_step(find);
    if (rc == SQLITE_ROW)
        *eid = sqlite3_column_int64(find, 0);
    sqlite3_reset(find);
    if (rc == SQLITE_DONE) {
        sqlite3_bind_text(ins, 1, e->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, e->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, e->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, e->name_fold, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, e->type, -1, SQLITE_STATIC);
        rc = sqlite3_step(ins);
        if ((rc & 0xff) == SQLITE_CONSTRAINT) {
            /* another key already has this readable id: disambiguate with a
             * hash of the key, which stays the same for this key forever */
            char alt[1200];
            uint32_t k = 2166136261u;
            for (const char *p = e->key; *p; p++)
                k = (k ^ (unsigned char)*p) * 16777619u;
            sqlite3_reset(ins);
            snprintf(alt, sizeof alt, "%.1100s-%08x", e->id, k);
            sqlite3_bind_text(ins, 1, alt, -1, SQLITE_TRANSIENT);
            rc = sqlite3_step(ins);
        }
        if (rc == SQLITE_ROW)
            *eid = sqlite3_column_int64(ins, 0);
        sqlite3_reset(ins);
    }
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? SQLITE_CORRUPT : sqlite3_errcode(st->wdb);
    return store_curate_eid(st, eid);
}

/* The eid of entity e (STORE_ENT_BLOCKED: blocked by an editor):
 * remembered, or resolved now and remembered. SQLite rc. */
static int ent_resolve(struct store *st, struct store_ent_cache *c, const struct store_entity *e,
                       int64_t *eid)
{
    uint64_t h = ent_hash(e->key, 0);
    size_t slot = ent_slot(c, e->key, h);
    int rc;

    if (c->key_hash[slot] != 0) {
        *eid = c->key_eid[slot];
        return SQLITE_OK;
    }
    rc = ent_resolve_key(st, e, eid);
    if (rc != SQLITE_OK)
        return rc;
    if (c->nkeys * 10 >= ENT_CACHE_SLOTS * 7) {
        ent_cache_forget(c); /* full: start again with what comes next */
        slot = ent_slot(c, e->key, h);
    }
    c->key[slot] = strdup(e->key);
    if (c->key[slot] != NULL) {
        c->key_hash[slot] = h;
        c->key_eid[slot] = *eid;
        c->nkeys++;
    }
    return SQLITE_OK;
}

/* Stores alias of eid unless it is known to be stored. SQLite rc. */
static int ent_alias(struct store *st, struct store_ent_cache *c, int64_t eid, const char *alias,
                     const char *fold)
{
    sqlite3_stmt *ali = store_writer_stmt(st, WSTMT_ENT_ALIAS, SQL_ENT_ALIAS);
    uint64_t h = ent_hash(alias, eid);
    size_t i = (size_t)h & (ALIAS_SEEN_SLOTS - 1);
    int rc;

    while (c->alias_seen[i] != 0 && c->alias_seen[i] != h)
        i = (i + 1) & (ALIAS_SEEN_SLOTS - 1);
    if (c->alias_seen[i] == h)
        return SQLITE_OK; /* (a 64-bit hash collision would skip an alias: harmless) */
    if (ali == NULL)
        return sqlite3_errcode(st->wdb);
    sqlite3_bind_int64(ali, 1, eid);
    sqlite3_bind_text(ali, 2, alias, -1, SQLITE_STATIC);
    sqlite3_bind_text(ali, 3, fold, -1, SQLITE_STATIC);
    rc = step_done(st, ali);
    if (rc != SQLITE_OK)
        return rc;
    if (c->naliases * 10 >= ALIAS_SEEN_SLOTS * 7) {
        memset(c->alias_seen, 0, ALIAS_SEEN_SLOTS * sizeof *c->alias_seen);
        c->naliases = 0;
        i = (size_t)h & (ALIAS_SEEN_SLOTS - 1);
    }
    c->alias_seen[i] = h;
    c->naliases++;
    return SQLITE_OK;
}

int store_entities_write(struct store *st, int64_t seq, int64_t ts,
                         const struct store_entity_set *set)
{
    sqlite3_stmt *lnk = store_writer_stmt(st, WSTMT_ENT_LINK, SQL_ENT_LINK);
    sqlite3_stmt *men = store_writer_stmt(st, WSTMT_ENT_MENTION, SQL_ENT_MENTION);
    struct store_ent_cache *c = ent_cache(st);
    struct ent_text json = {0}, tokens = {0};
    int64_t *eids = NULL;
    int rc = SQLITE_OK;

    if (c == NULL)
        return SQLITE_NOMEM;
    if (lnk == NULL || men == NULL)
        return sqlite3_errcode(st->wdb);
    if (set->n > 0 && (eids = calloc(set->n, sizeof *eids)) == NULL)
        return SQLITE_NOMEM;
    for (size_t i = 0; i < set->n && rc == SQLITE_OK; i++) {
        const struct store_entity *e = &set->entities[i];
        rc = store_entity_join(st, e, ts, &eids[i]);
        if (rc == SQLITE_OK && eids[i] == 0)
            rc = ent_resolve(st, c, e, &eids[i]);
        for (size_t k = 0; eids[i] != STORE_ENT_BLOCKED && k < e->naliases && rc == SQLITE_OK; k++)
            rc = ent_alias(st, c, eids[i], e->aliases[k], e->alias_folds[k]);
    }
    /* A lone name that joined a full one, or editors' redirects, can lead
     * two of the article's entities to one: it is linked (and counted) once,
     * with their mentions summed; a blocked one is left out. */
    for (size_t i = 0; i < set->n && rc == SQLITE_OK; i++) {
        int64_t mentions = 0;
        int seen = eids[i] == STORE_ENT_BLOCKED;
        for (size_t j = 0; j < i && !seen; j++)
            seen = eids[j] == eids[i];
        if (seen)
            continue;
        for (size_t j = i; j < set->n; j++)
            if (eids[j] == eids[i])
                mentions += set->entities[j].mentions;
        rc = ent_delta(c, eids[i], 1, mentions);
        if (rc == SQLITE_OK)
            rc = ent_printf(&json, json.len ? ",[%lld,%lld]" : "[[%lld,%lld]", eids[i], mentions);
        if (rc == SQLITE_OK)
            rc = ent_token(&tokens, eids[i]);
    }
    /* the article's entities in one row, and its tokens for ent_index */
    if (rc == SQLITE_OK && json.len > 0)
        rc = ent_printf(&json, "]", 0, 0);
    if (rc == SQLITE_OK && json.len > 0) {
        sqlite3_bind_int64(lnk, 1, seq);
        sqlite3_bind_text(lnk, 2, json.buf, (int)json.len, SQLITE_STATIC);
        rc = step_done(st, lnk);
        sqlite3_clear_bindings(lnk);
    }
    if (rc == SQLITE_OK && tokens.len > 0)
        rc = store_fts_queue_tokens(st, STORE_FTS_ENTITIES, seq, 0, tokens.buf, tokens.len);
    free(json.buf);
    free(tokens.buf);
    if (rc == SQLITE_OK && set->nmentions > 0) {
        /* all mentions in one row: one insert instead of one per mention */
        unsigned char *blob = malloc(set->nmentions * 40), *p = blob;
        if (blob == NULL) {
            rc = SQLITE_NOMEM;
        } else {
            for (size_t m = 0; m < set->nmentions; m++) {
                const struct store_mention *mn = &set->mentions[m];
                if (mn->entity >= set->n || eids[mn->entity] == STORE_ENT_BLOCKED)
                    continue;
                put_le64(p, mn->start);
                put_le64(p + 8, mn->end);
                put_le64(p + 16, mn->bstart);
                put_le64(p + 24, mn->bend);
                put_le64(p + 32, eids[mn->entity]);
                p += 40;
            }
            if (p > blob) { /* none when every mention was of a blocked entity */
                sqlite3_bind_int64(men, 1, seq);
                sqlite3_bind_blob(men, 2, blob, (int)(p - blob), SQLITE_STATIC);
                rc = step_done(st, men);
                sqlite3_clear_bindings(men);
            }
            free(blob);
        }
    }
    free(eids);
    return rc;
}

int store_entities_done(struct store *st, int64_t seq)
{
    sqlite3_stmt *s = store_writer_stmt(st, WSTMT_ENT_DONE, SQL_ENT_DONE);
    if (s == NULL)
        return sqlite3_errcode(st->wdb);
    sqlite3_bind_int64(s, 1, seq);
    return step_done(st, s);
}

void store_entity_token(int64_t eid, char out[STORE_ENTITY_TOKEN_MAX])
{
    /* quoted: a MATCH expression of one bareword-safe token */
    if (eid < 0)
        snprintf(out, STORE_ENTITY_TOKEN_MAX, "\"enone\""); /* a token no article has */
    else
        snprintf(out, STORE_ENTITY_TOKEN_MAX, "\"e%lld\"", (long long)eid);
}
