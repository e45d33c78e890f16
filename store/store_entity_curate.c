/* store_entity_curate.c: what editors decide about entities (store.h,
 * struct store_curate), written by the writer like any other op.
 *
 * One mechanism serves renames, aliases, merges and blocks: entity_keys
 * maps a merge key to the entity it now resolves to, entity_curation holds
 * each curated entity's state (schema.c, 13), and the writer's key
 * resolution (store_entity_write.c, ent_resolve_key) consults both before
 * it finds or makes an entity, so new and re-ingested articles follow the
 * editors. A merge or a block is persisted first (its state, its
 * redirects, moving = 1), then its links are rewritten chunk by chunk, one
 * transaction each (STORE_CURATE_MOVE: article_ents, ent_index documents,
 * article_mentions, and the count deltas of entity_deltas); a crash
 * between chunks leaves moving = 1 and store_curate_resume finishes the
 * work, so counts end exact. Each curation takes a number of the change
 * sequence and a row of curation_log. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/entity.h"
#include "analysis/textnorm.h"
#include "store/store_int.h"

/* Aliases of an entity whose keys a merge or a block redirects, at most. */
#define CUR_ALIAS_KEYS 1000

static const char SQL_KEYMAP[] = "SELECT eid FROM entity_keys WHERE key = ?1";
static const char SQL_CURATED[] = "SELECT merged_into, blocked FROM entity_curation WHERE eid = ?1";

/* Whether any curation is stored (read once, then kept by store_op_curate):
 * without one, resolving a key costs no look-up of its own. */
static int cur_any(struct store *st)
{
    sqlite3_stmt *s = NULL;

    if (st->curated_known)
        return st->curated;
    if (sqlite3_prepare_v2(st->wdb,
                           "SELECT EXISTS (SELECT 1 FROM entity_keys)"
                           " OR EXISTS (SELECT 1 FROM entity_curation)",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        st->curated = sqlite3_column_int(s, 0);
        st->curated_known = 1;
    } else {
        st->curated = 1; /* unknown: look up every time */
    }
    sqlite3_finalize(s);
    return st->curated;
}

int store_curate_key(struct store *st, const char *key, int64_t *eid, int *rc)
{
    sqlite3_stmt *s;
    int found = 0;

    *rc = SQLITE_OK;
    if (!cur_any(st))
        return 0;
    s = store_writer_stmt(st, WSTMT_ENT_KEYMAP, SQL_KEYMAP);
    if (s == NULL) {
        *rc = sqlite3_errcode(st->wdb);
        return 0;
    }
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    *rc = sqlite3_step(s);
    if (*rc == SQLITE_ROW) {
        *eid = sqlite3_column_int64(s, 0);
        found = 1;
    }
    *rc = *rc == SQLITE_ROW || *rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
    sqlite3_reset(s);
    return *rc == SQLITE_OK ? found : 0;
}

int store_curate_eid(struct store *st, int64_t *eid)
{
    sqlite3_stmt *s;

    if (!cur_any(st))
        return SQLITE_OK;
    s = store_writer_stmt(st, WSTMT_ENT_CURATED, SQL_CURATED);
    if (s == NULL)
        return sqlite3_errcode(st->wdb);
    /* merges point at the survivor directly (chains are flattened); the
     * bound only guards against a damaged table */
    for (int hop = 0; hop < 4; hop++) {
        int rc, next = 0;
        sqlite3_bind_int64(s, 1, *eid);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            if (sqlite3_column_int(s, 1)) {
                *eid = STORE_ENT_BLOCKED;
            } else if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
                *eid = sqlite3_column_int64(s, 0);
                next = 1;
            }
        }
        sqlite3_reset(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return sqlite3_errcode(st->wdb);
        if (!next)
            return SQLITE_OK;
    }
    return SQLITE_OK;
}

/* Runs sql once with parameters from fmt ('i' int64, 't' text or NULL),
 * rows ignored. SQLite rc. Curations are rare: not cached. */
static int cur_exec(struct store *st, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *s = NULL;
    va_list ap;
    int rc = sqlite3_prepare_v2(st->wdb, sql, -1, &s, NULL);

    va_start(ap, fmt);
    for (int i = 0; rc == SQLITE_OK && fmt[i]; i++) {
        if (fmt[i] == 'i') {
            sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
        } else {
            const char *t = va_arg(ap, const char *);
            if (t != NULL)
                sqlite3_bind_text(s, i + 1, t, -1, SQLITE_TRANSIENT);
        }
    }
    va_end(ap);
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            ;
        rc = rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
    }
    sqlite3_finalize(s);
    return rc;
}

/* The int64 in the first column of sql's first row (bound to one int64 or
 * text per fmt): 1 with *out, 0 when no row or NULL. -1 with *rc. */
static int cur_int(struct store *st, int64_t *out, int *rc, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *s = NULL;
    va_list ap;
    int found = 0;

    *rc = sqlite3_prepare_v2(st->wdb, sql, -1, &s, NULL);
    va_start(ap, fmt);
    for (int i = 0; *rc == SQLITE_OK && fmt[i]; i++) {
        if (fmt[i] == 'i')
            sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
        else
            sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
    }
    va_end(ap);
    if (*rc == SQLITE_OK) {
        *rc = sqlite3_step(s);
        if (*rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
            *out = sqlite3_column_int64(s, 0);
            found = 1;
        }
        *rc = *rc == SQLITE_ROW || *rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
    }
    sqlite3_finalize(s);
    return *rc == SQLITE_OK ? found : -1;
}

/* One entity as curation sees it. */
struct cur_entity {
    int64_t eid, merged_into; /* 0: not merged */
    char *id, *key, *name, *name_fold, *type;
    int blocked, moving;
};

static void cur_entity_clear(struct cur_entity *e)
{
    free(e->id);
    free(e->key);
    free(e->name);
    free(e->name_fold);
    free(e->type);
    memset(e, 0, sizeof *e);
}

/* The entity with public id `id` (or, when id is NULL, with eid), as GET
 * shows it: one that some article mentions, or that an editor touched. 1
 * found, 0 not, -1 with *rc. */
static int cur_entity_get(struct store *st, const char *id, int64_t eid, struct cur_entity *out,
                          int *rc)
{
    static const char sql[] =
        "SELECT e.eid, e.id, e.key, e.name, e.name_fold, e.type, c.merged_into,"
        " coalesce(c.blocked, 0), coalesce(c.moving, 0), c.eid IS NOT NULL,"
        " e.articles + coalesce((SELECT sum(articles) FROM entity_deltas d WHERE d.eid = e.eid), 0)"
        " FROM entities e LEFT JOIN entity_curation c ON c.eid = e.eid"
        " WHERE (?1 IS NOT NULL AND e.id = ?1) OR (?1 IS NULL AND e.eid = ?2)";
    sqlite3_stmt *s = NULL;
    int found = 0;

    memset(out, 0, sizeof *out);
    *rc = sqlite3_prepare_v2(st->wdb, sql, -1, &s, NULL);
    if (*rc != SQLITE_OK)
        return -1;
    if (id != NULL)
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, eid);
    *rc = sqlite3_step(s);
    if (*rc == SQLITE_ROW && (sqlite3_column_int(s, 9) || sqlite3_column_int64(s, 10) > 0)) {
        out->eid = sqlite3_column_int64(s, 0);
        out->id = store_column_dup(s, 1);
        out->key = store_column_dup(s, 2);
        out->name = store_column_dup(s, 3);
        out->name_fold = store_column_dup(s, 4);
        out->type = store_column_dup(s, 5);
        out->merged_into = sqlite3_column_int64(s, 6);
        out->blocked = sqlite3_column_int(s, 7);
        out->moving = sqlite3_column_int(s, 8);
        found = 1;
        if (!out->id || !out->key || !out->name || !out->name_fold || !out->type) {
            *rc = SQLITE_NOMEM;
            found = -1;
        }
    }
    if (found >= 0)
        *rc = *rc == SQLITE_ROW || *rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
    if (*rc != SQLITE_OK)
        found = -1;
    sqlite3_finalize(s);
    if (found != 1)
        cur_entity_clear(out);
    return found;
}

/* Fails op with code on field (may be NULL); returns the rc that rolls it back. */
static int cur_refuse(struct store_op *op, enum error_code code, const char *field, const char *msg)
{
    op->failed = 1;
    if (field != NULL)
        error_set_field(&op->err, code, field, "%s", msg);
    else
        error_set(&op->err, code, "%s", msg);
    return SQLITE_CONSTRAINT;
}

/* Takes the next change number and records the curation. SQLite rc. */
static int cur_log(struct store *st, struct store_op *op, const char *what, int64_t eid,
                   int64_t target)
{
    int64_t n = st->last_change + 1;
    int rc = cur_exec(st,
                      "INSERT INTO curation_log (change_seq, op, eid, target, at)"
                      " VALUES (?1, ?2, ?3, nullif(?4, 0), ?5)",
                      "itiii", n, what, eid, target, (int64_t)time(NULL));
    if (rc == SQLITE_OK) {
        st->last_change = n; /* given back if the op rolls back (store_op_apply) */
        op->change_seq = n;
    }
    return rc;
}

/* Whether key may redirect to entity eid: 1 yes (no entity or redirect has
 * it, or it is already eid's), 0 it belongs to another entity, -1 on a
 * failure (*rc). *redirect: a row is needed (the key is not eid's yet). */
static int cur_key_free(struct store *st, const char *key, int64_t eid, int *redirect, int *rc)
{
    int64_t other = 0;
    int found = cur_int(st, &other, rc, "SELECT eid FROM entity_keys WHERE key = ?1", "t", key);

    *redirect = 0;
    if (found != 0)
        return found < 0 ? -1 : other == eid;
    found = cur_int(st, &other, rc, "SELECT eid FROM entities WHERE key = ?1", "t", key);
    if (found < 0)
        return -1;
    if (found == 0) {
        *redirect = 1;
        return 1;
    }
    return other == eid;
}

/* Adds a redirect of every alias key of entity e (its type's keys) to
 * `to`, with origin e and reason why, where the key is nobody else's.
 * SQLite rc. */
static int cur_alias_keys(struct store *st, const struct cur_entity *e, int64_t to, const char *why)
{
    sqlite3_stmt *s = NULL;
    enum entity_type type;
    int rc = sqlite3_prepare_v2(st->wdb, "SELECT alias FROM entity_aliases WHERE eid = ?1 LIMIT ?2",
                                -1, &s, NULL);
    char **keys = NULL;
    size_t n = 0;

    if (rc != SQLITE_OK)
        return rc;
    if (entity_type_parse(e->type, &type) != 0) {
        sqlite3_finalize(s);
        return SQLITE_OK; /* a type this build does not know has no keys */
    }
    keys = calloc(CUR_ALIAS_KEYS, sizeof *keys);
    if (keys == NULL) {
        sqlite3_finalize(s);
        return SQLITE_NOMEM;
    }
    /* read first, then write: the statement reads a table the writes touch */
    sqlite3_bind_int64(s, 1, e->eid);
    sqlite3_bind_int(s, 2, CUR_ALIAS_KEYS);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(s, 0);
        char *k = a ? entity_key_for(type, a, strlen(a)) : NULL;
        if (k != NULL)
            keys[n++] = k;
    }
    rc = rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
    sqlite3_finalize(s);
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        int redirect, ok;
        if (strcmp(keys[i], e->key) == 0)
            continue;
        ok = cur_key_free(st, keys[i], e->eid, &redirect, &rc);
        if (ok == 1 && redirect)
            rc = cur_exec(st,
                          "INSERT OR IGNORE INTO entity_keys (key, eid, origin, why)"
                          " VALUES (?1, ?2, ?3, ?4)",
                          "tiit", keys[i], to, e->eid, why);
    }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return rc;
}

static int cur_update(struct store *st, struct store_op *op, struct cur_entity *x)
{
    struct store_curate *c = &op->curate;
    const char *type = c->type ? c->type : x->type;
    char **old = NULL, **want;
    size_t nold = 0, nwant;
    enum entity_type t;
    sqlite3_stmt *s = NULL;
    int rc = SQLITE_OK;

    if (x->merged_into)
        return cur_refuse(op, ERR_CONFLICT, NULL,
                          "this entity was merged into another: edit that one (merged_into)");
    if (entity_type_parse(type, &t) != 0)
        return cur_refuse(op, ERR_UNPROCESSABLE, "type",
                          "'type' must be person, organization or location");
    if (c->name != NULL) {
        char *fold = textnorm_string(c->name, strlen(c->name), NULL);
        if (fold == NULL)
            return SQLITE_NOMEM;
        rc = cur_exec(st, "UPDATE entities SET name = ?2, name_fold = ?3 WHERE eid = ?1", "itt",
                      x->eid, c->name, fold);
        free(fold);
    }
    if (rc == SQLITE_OK && c->type != NULL)
        rc = cur_exec(st, "UPDATE entities SET type = ?2 WHERE eid = ?1", "it", x->eid, c->type);
    if (rc == SQLITE_OK)
        rc = cur_exec(st,
                      "INSERT INTO entity_curation (eid, named) VALUES (?1, 1)"
                      " ON CONFLICT (eid) DO UPDATE SET named = 1",
                      "i", x->eid);
    if (rc != SQLITE_OK || (!c->set_aliases && c->type == NULL))
        return rc;

    /* the curated aliases, made again from the wanted list (their keys
     * depend on the type) */
    rc = sqlite3_prepare_v2(st->wdb,
                            "SELECT j.value FROM entity_curation c, json_each(c.aliases) j"
                            " WHERE c.eid = ?1",
                            -1, &s, NULL);
    if (rc == SQLITE_OK) {
        size_t cap = 0;
        sqlite3_bind_int64(s, 1, x->eid);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            if (nold == cap) {
                char **bigger = realloc(old, (cap = cap ? cap * 2 : 8) * sizeof *old);
                if (bigger == NULL) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                old = bigger;
            }
            if ((old[nold] = store_column_dup(s, 0)) != NULL)
                nold++;
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc == SQLITE_NOMEM ? rc : sqlite3_errcode(st->wdb);
    }
    sqlite3_finalize(s);
    want = c->set_aliases ? c->aliases : old;
    nwant = c->set_aliases ? c->naliases : nold;
    if (rc == SQLITE_OK)
        rc = cur_exec(st, "DELETE FROM entity_keys WHERE origin = ?1 AND why = 'alias'", "i",
                      x->eid);
    if (rc == SQLITE_OK)
        rc = cur_exec(st, "UPDATE entity_curation SET aliases = '[]' WHERE eid = ?1", "i", x->eid);
    for (size_t i = 0; i < nold && rc == SQLITE_OK; i++) {
        int kept = 0;
        for (size_t j = 0; j < nwant && !kept; j++)
            kept = strcmp(old[i], want[j]) == 0;
        if (!kept)
            rc = cur_exec(st, "DELETE FROM entity_aliases WHERE eid = ?1 AND alias = ?2", "it",
                          x->eid, old[i]);
    }
    for (size_t i = 0; i < nwant && rc == SQLITE_OK; i++) {
        char *key = entity_key_for(t, want[i], strlen(want[i]));
        char *fold = textnorm_string(want[i], strlen(want[i]), NULL);
        int redirect = 0, ok;
        if (key == NULL || fold == NULL) {
            free(key);
            free(fold);
            rc = cur_refuse(op, ERR_UNPROCESSABLE, "aliases",
                            "every alias needs a letter or a digit");
            break;
        }
        ok = strcmp(key, x->key) == 0 ? 1 : cur_key_free(st, key, x->eid, &redirect, &rc);
        if (ok == 0) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "the alias '%.80s' is another entity's name: merge that entity instead",
                     want[i]);
            rc = cur_refuse(op, ERR_CONFLICT, "aliases", msg);
        }
        if (ok == 1 && redirect)
            rc = cur_exec(st,
                          "INSERT INTO entity_keys (key, eid, origin, why)"
                          " VALUES (?1, ?2, ?2, 'alias')",
                          "ti", key, x->eid);
        if (rc == SQLITE_OK)
            rc = cur_exec(st,
                          "UPDATE entity_curation SET aliases = json_insert(aliases, '$[#]', ?2)"
                          " WHERE eid = ?1",
                          "it", x->eid, want[i]);
        if (rc == SQLITE_OK)
            rc = cur_exec(st,
                          "INSERT OR IGNORE INTO entity_aliases (eid, alias, alias_fold)"
                          " VALUES (?1, ?2, ?3)",
                          "itt", x->eid, want[i], fold);
        free(key);
        free(fold);
    }
    for (size_t i = 0; i < nold; i++)
        free(old[i]);
    free(old);
    return rc;
}

static int cur_merge(struct store *st, struct store_op *op, struct cur_entity *x)
{
    struct cur_entity t;
    int rc, found;

    found = cur_entity_get(st, op->curate.into ? op->curate.into : "", 0, &t, &rc);
    if (found < 0)
        return rc;
    if (found == 0)
        return cur_refuse(op, ERR_UNPROCESSABLE, "into", "'into' names no entity");
    if (t.eid == x->eid)
        rc = cur_refuse(op, ERR_CONFLICT, "into", "an entity cannot be merged into itself");
    else if (x->merged_into == t.eid)
        op->curate.noop = 1; /* done already (its links may still be moving) */
    else if (x->merged_into)
        rc = cur_refuse(op, ERR_CONFLICT, NULL,
                        "this entity was merged into another entity already");
    else if (t.merged_into)
        rc = cur_refuse(op, ERR_CONFLICT, "into",
                        "'into' was merged into another entity: merge into that one");
    else if (t.blocked || x->blocked)
        rc = cur_refuse(op, ERR_CONFLICT, t.blocked ? "into" : NULL,
                        "a blocked entity cannot take part in a merge: unblock it first");
    if (rc != SQLITE_OK || op->curate.noop) {
        cur_entity_clear(&t);
        return rc;
    }
    rc = cur_exec(st,
                  "INSERT INTO entity_curation (eid, merged_into, moving) VALUES (?1, ?2, 1)"
                  " ON CONFLICT (eid) DO UPDATE SET merged_into = ?2, moving = 1",
                  "ii", x->eid, t.eid);
    /* what was merged into x, and every redirect to x, now leads to t */
    if (rc == SQLITE_OK)
        rc = cur_exec(st, "UPDATE entity_curation SET merged_into = ?2 WHERE merged_into = ?1",
                      "ii", x->eid, t.eid);
    if (rc == SQLITE_OK)
        rc = cur_exec(st, "UPDATE entity_keys SET eid = ?2 WHERE eid = ?1", "ii", x->eid, t.eid);
    if (rc == SQLITE_OK)
        rc = cur_exec(st,
                      "INSERT OR REPLACE INTO entity_keys (key, eid, origin, why)"
                      " VALUES (?1, ?2, ?3, 'merge')",
                      "tii", x->key, t.eid, x->eid);
    if (rc == SQLITE_OK)
        rc = cur_alias_keys(st, x, t.eid, "merge");
    /* the survivor answers to the merged entity's names too */
    if (rc == SQLITE_OK)
        rc = cur_exec(st,
                      "INSERT OR IGNORE INTO entity_aliases (eid, alias, alias_fold)"
                      " SELECT ?2, alias, alias_fold FROM entity_aliases WHERE eid = ?1"
                      " UNION ALL SELECT ?2, ?3, ?4",
                      "iitt", x->eid, t.eid, x->name, x->name_fold);
    if (rc == SQLITE_OK)
        rc = cur_log(st, op, "merge", x->eid, t.eid);
    cur_entity_clear(&t);
    return rc;
}

static int cur_block(struct store *st, struct store_op *op, struct cur_entity *x, int block)
{
    int rc;

    if (block && x->merged_into)
        return cur_refuse(op, ERR_CONFLICT, NULL,
                          "this entity was merged into another: block that one");
    if (x->blocked == block) {
        op->curate.noop = 1;
        return SQLITE_OK;
    }
    if (block) {
        rc = cur_exec(st,
                      "INSERT INTO entity_curation (eid, blocked, moving) VALUES (?1, 1, 1)"
                      " ON CONFLICT (eid) DO UPDATE SET blocked = 1, moving = 1",
                      "i", x->eid);
        if (rc == SQLITE_OK)
            rc = cur_alias_keys(st, x, x->eid, "block");
    } else {
        /* links dropped so far stay dropped: old articles are not analysed
         * again */
        rc = cur_exec(st, "UPDATE entity_curation SET blocked = 0, moving = 0 WHERE eid = ?1", "i",
                      x->eid);
        if (rc == SQLITE_OK)
            rc = cur_exec(st, "DELETE FROM entity_keys WHERE origin = ?1 AND why = 'block'", "i",
                          x->eid);
    }
    if (rc == SQLITE_OK)
        rc = cur_log(st, op, block ? "block" : "unblock", x->eid, 0);
    return rc;
}

/* ---- moving an entity's links ----------------------------------------- */

struct cur_link {
    int64_t eid, mentions;
};

/* A growing text. */
struct cur_text {
    char *buf;
    size_t len, cap;
};

static int cur_append(struct cur_text *t, const char *piece)
{
    size_t n = strlen(piece);
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        char *bigger;
        while (cap < t->len + n + 1)
            cap *= 2;
        if ((bigger = realloc(t->buf, cap)) == NULL)
            return SQLITE_NOMEM;
        t->buf = bigger;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, piece, n + 1);
    t->len += n;
    return SQLITE_OK;
}

/* ent_index tokens of links[0, n), in order (as the writer made them). */
static int cur_tokens(struct cur_text *t, const struct cur_link *links, size_t n)
{
    int rc = SQLITE_OK;
    t->len = 0;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        char piece[32];
        snprintf(piece, sizeof piece, i ? " e%lld" : "e%lld", (long long)links[i].eid);
        rc = cur_append(t, piece);
    }
    return rc;
}

/* The statements of one chunk. */
enum { MV_LINKS, MV_LINK_PUT, MV_LINK_DEL, MV_MENTIONS, MV_MENTIONS_PUT, MV_MENTIONS_DEL, MV_N };

static int get_put_le64(unsigned char *p, int64_t v, int put)
{
    uint64_t u = 0;
    if (put) {
        for (int b = 0; b < 8; b++)
            p[b] = (unsigned char)((uint64_t)v >> (8 * b));
        return 0;
    }
    for (int b = 0; b < 8; b++)
        u |= (uint64_t)p[b] << (8 * b);
    return (int)(u == (uint64_t)v);
}

/* Rewrites article seq's links, tokens and mentions of entity x: to entity
 * to, or away (to == STORE_ENT_BLOCKED); counts by deltas. SQLite rc. */
static int cur_move_article(struct store *st, sqlite3_stmt **q, int64_t seq, int64_t x, int64_t to)
{
    struct cur_link *links = NULL, *now = NULL;
    struct cur_text text = {0};
    size_t n = 0, cap = 0, nnow = 0, ix = (size_t)-1, it = (size_t)-1;
    unsigned char *blob = NULL;
    int rc;

    sqlite3_bind_int64(q[MV_LINKS], 1, seq);
    while ((rc = sqlite3_step(q[MV_LINKS])) == SQLITE_ROW) {
        if (n == cap) {
            struct cur_link *bigger = realloc(links, (cap = cap ? cap * 2 : 32) * sizeof *links);
            if (bigger == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            links = bigger;
        }
        links[n].eid = sqlite3_column_int64(q[MV_LINKS], 0);
        links[n].mentions = sqlite3_column_int64(q[MV_LINKS], 1);
        if (links[n].eid == x)
            ix = n;
        if (links[n].eid == to)
            it = n;
        n++;
    }
    sqlite3_reset(q[MV_LINKS]);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc == SQLITE_NOMEM ? rc : sqlite3_errcode(st->wdb);
    if (rc != SQLITE_OK || ix == (size_t)-1)
        goto out; /* x is not among its links: nothing of x to move */
    now = malloc(n * sizeof *now);
    if (now == NULL) {
        rc = SQLITE_NOMEM;
        goto out;
    }
    /* the new links: x becomes `to` (once, mentions summed) or goes */
    for (size_t i = 0; i < n; i++) {
        struct cur_link l = links[i];
        if (i == ix) {
            if (to == STORE_ENT_BLOCKED || it != (size_t)-1)
                continue;
            l.eid = to;
        } else if (i == it) {
            l.mentions += links[ix].mentions;
        }
        now[nnow++] = l;
    }
    rc = store_entities_delta(st, x, -1, -links[ix].mentions);
    if (rc == SQLITE_OK && to != STORE_ENT_BLOCKED)
        rc = store_entities_delta(st, to, it == (size_t)-1 ? 1 : 0, links[ix].mentions);
    /* ent_index: the old document out, the new one in (applied in order at
     * the end of the transaction) */
    if (rc == SQLITE_OK)
        rc = cur_tokens(&text, links, n);
    if (rc == SQLITE_OK)
        rc = store_fts_queue_tokens(st, STORE_FTS_ENTITIES, seq, 1, text.buf, text.len);
    if (rc == SQLITE_OK && nnow > 0)
        rc = cur_tokens(&text, now, nnow);
    if (rc == SQLITE_OK && nnow > 0)
        rc = store_fts_queue_tokens(st, STORE_FTS_ENTITIES, seq, 0, text.buf, text.len);
    /* article_ents */
    if (rc == SQLITE_OK) {
        text.len = 0;
        for (size_t i = 0; i < nnow && rc == SQLITE_OK; i++) {
            char piece[64];
            snprintf(piece, sizeof piece, "%s[%lld,%lld]", i ? "," : "[", (long long)now[i].eid,
                     (long long)now[i].mentions);
            rc = cur_append(&text, piece);
        }
        if (rc == SQLITE_OK && nnow > 0)
            rc = cur_append(&text, "]");
    }
    if (rc == SQLITE_OK) {
        sqlite3_stmt *s = q[nnow > 0 ? MV_LINK_PUT : MV_LINK_DEL];
        sqlite3_bind_int64(s, 1, seq);
        if (nnow > 0)
            sqlite3_bind_text(s, 2, text.buf, (int)text.len, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    /* article_mentions: each 40-byte record ends with its eid */
    if (rc == SQLITE_OK) {
        size_t bytes = 0, kept = 0;
        sqlite3_bind_int64(q[MV_MENTIONS], 1, seq);
        rc = sqlite3_step(q[MV_MENTIONS]);
        if (rc == SQLITE_ROW) {
            const unsigned char *data = sqlite3_column_blob(q[MV_MENTIONS], 0);
            bytes = (size_t)sqlite3_column_bytes(q[MV_MENTIONS], 0) / 40 * 40;
            blob = malloc(bytes + 1);
            if (blob == NULL)
                rc = SQLITE_NOMEM;
            else if (bytes > 0)
                memcpy(blob, data, bytes);
        }
        sqlite3_reset(q[MV_MENTIONS]);
        if (rc == SQLITE_ROW) {
            for (size_t off = 0; off < bytes; off += 40) {
                unsigned char *r = blob + off;
                if (get_put_le64(r + 32, x, 0)) {
                    if (to == STORE_ENT_BLOCKED)
                        continue;
                    get_put_le64(r + 32, to, 1);
                }
                memmove(blob + kept, r, 40);
                kept += 40;
            }
            sqlite3_stmt *s = q[kept > 0 ? MV_MENTIONS_PUT : MV_MENTIONS_DEL];
            sqlite3_bind_int64(s, 1, seq);
            if (kept > 0)
                sqlite3_bind_blob(s, 2, blob, (int)kept, SQLITE_STATIC);
            rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        } else if (rc != SQLITE_NOMEM) {
            rc = sqlite3_errcode(st->wdb);
        }
    }
out:
    free(blob);
    free(text.buf);
    free(now);
    free(links);
    return rc;
}

/* The next chunk of x's links (articles after op->curate.after). */
static int cur_move(struct store *st, struct store_op *op, struct cur_entity *x)
{
    static const char *const sql[MV_N] = {
        ("SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]')"
         " FROM article_ents ae, json_each(ae.ents) j WHERE ae.seq = ?1 ORDER BY j.key"),
        "INSERT OR REPLACE INTO article_ents (seq, ents) VALUES (?1, ?2)",
        "DELETE FROM article_ents WHERE seq = ?1",
        "SELECT data FROM article_mentions WHERE seq = ?1",
        "INSERT OR REPLACE INTO article_mentions (seq, data) VALUES (?1, ?2)",
        "DELETE FROM article_mentions WHERE seq = ?1",
    };
    unsigned chunk = st->opts.curate_chunk ? st->opts.curate_chunk : STORE_CURATE_CHUNK;
    sqlite3_stmt *q[MV_N] = {0}, *seqs = NULL;
    int64_t to = x->blocked ? STORE_ENT_BLOCKED : x->merged_into, *list = NULL;
    char token[STORE_ENTITY_TOKEN_MAX];
    size_t n = 0;
    int rc = SQLITE_OK;

    op->curate.more = 0;
    op->curate.last = op->curate.after;
    if (!x->moving)
        return SQLITE_OK;
    if (to > 0)
        rc = store_curate_eid(st, &to); /* a survivor blocked since: the links go */
    if (rc == SQLITE_OK && to == 0) /* neither merged nor blocked (unblocked): nothing to move */
        return cur_exec(st, "UPDATE entity_curation SET moving = 0 WHERE eid = ?1", "i", x->eid);
    list = rc == SQLITE_OK ? malloc(chunk * sizeof *list) : NULL;
    if (rc == SQLITE_OK && list == NULL)
        rc = SQLITE_NOMEM;
    for (int i = 0; i < MV_N && rc == SQLITE_OK; i++)
        rc = sqlite3_prepare_v2(st->wdb, sql[i], -1, &q[i], NULL);
    /* the articles first, then their rows: the look-up reads ent_index,
     * which the rewrites queue changes to */
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(st->wdb,
                                "SELECT rowid FROM ent_index WHERE ent_index MATCH ?1"
                                " AND rowid > ?2 ORDER BY rowid LIMIT ?3",
                                -1, &seqs, NULL);
    if (rc == SQLITE_OK) {
        store_entity_token(x->eid, token);
        sqlite3_bind_text(seqs, 1, token, -1, SQLITE_STATIC);
        sqlite3_bind_int64(seqs, 2, op->curate.after);
        sqlite3_bind_int(seqs, 3, (int)chunk);
        while ((rc = sqlite3_step(seqs)) == SQLITE_ROW)
            list[n++] = sqlite3_column_int64(seqs, 0);
        rc = rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(st->wdb);
    }
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        rc = cur_move_article(st, q, list[i], x->eid, to);
        op->curate.last = list[i];
    }
    if (rc == SQLITE_OK && n < chunk)
        rc = cur_exec(st, "UPDATE entity_curation SET moving = 0 WHERE eid = ?1", "i", x->eid);
    else if (rc == SQLITE_OK)
        op->curate.more = 1;
    sqlite3_finalize(seqs);
    for (int i = 0; i < MV_N; i++)
        sqlite3_finalize(q[i]);
    free(list);
    return rc;
}

int store_op_curate(struct store *st, struct store_op *op)
{
    struct cur_entity x;
    int rc = SQLITE_OK, found;

    op->curate.noop = 0;
    /* from now on keys are looked up (a roll-back leaves it so: harmless) */
    st->curated = 1;
    st->curated_known = 1;
    found = cur_entity_get(st, op->curate.id ? op->curate.id : "", 0, &x, &rc);
    if (found == 0)
        rc = cur_refuse(op, ERR_NOT_FOUND, NULL, "no entity with this id");
    if (found != 1)
        goto out;
    switch (op->curate.kind) {
    case STORE_CURATE_UPDATE:
        rc = cur_update(st, op, &x);
        if (rc == SQLITE_OK)
            rc = cur_log(st, op, "update", x.eid, 0);
        break;
    case STORE_CURATE_MERGE:
        rc = cur_merge(st, op, &x);
        break;
    case STORE_CURATE_BLOCK:
    case STORE_CURATE_UNBLOCK:
        rc = cur_block(st, op, &x, op->curate.kind == STORE_CURATE_BLOCK);
        break;
    case STORE_CURATE_MOVE:
        rc = cur_move(st, op, &x);
        break;
    }
    cur_entity_clear(&x);
    /* keys may resolve differently now (a roll-back forgets them too) */
    if (rc == SQLITE_OK && op->curate.kind != STORE_CURATE_MOVE)
        store_entities_forget(st);
out:
    if (rc != SQLITE_OK && !op->failed) {
        op->failed = 1;
        op->rc = rc;
        store_error_from_sqlite(&op->err, STORE_IO_WRITE, rc, st->wdb, "curation failed");
    }
    return rc;
}

/* ---- driving a curation ------------------------------------------------- */

/* One op through the writer, waited for. 0, or -1 with err (refused, or
 * the op failed). */
static int cur_write(struct store *st, struct store_op *op, struct error *err)
{
    struct store_batch b = {.ops = op, .nops = 1};
    op->kind = STORE_OP_CURATE;
    if (store_write(st, &b, err) != 0)
        return -1;
    return 0;
}

/* Moves entity id's links chunk by chunk until none is left or cancelled
 * (may be NULL) says stop. 0 or -1. */
static int cur_drive(struct store *st, char *id, int (*cancelled)(void *), void *arg,
                     struct error *err)
{
    struct store_op mv;
    int64_t after = 0;

    for (;;) {
        memset(&mv, 0, sizeof mv);
        mv.curate.kind = STORE_CURATE_MOVE;
        mv.curate.id = id;
        mv.curate.after = after;
        if (cur_write(st, &mv, err) != 0)
            return -1;
        if (mv.failed) {
            *err = mv.err;
            return -1;
        }
        if (st->opts.curate_chunk_hook != NULL)
            st->opts.curate_chunk_hook(st->opts.curate_chunk_arg);
        if (!mv.curate.more)
            return 0;
        if (cancelled != NULL && cancelled(arg)) {
            error_set(err, ERR_UNAVAILABLE,
                      "the service is shutting down; the rest of the curation is done at the next"
                      " start");
            return -1;
        }
        after = mv.curate.last;
    }
}

int store_curate_run(struct store *st, struct store_op *op, struct error *err)
{
    if (cur_write(st, op, err) != 0)
        return -1;
    if (op->failed ||
        (op->curate.kind != STORE_CURATE_MERGE && op->curate.kind != STORE_CURATE_BLOCK))
        return 0;
    return cur_drive(st, op->curate.id, op->curate.cancelled, op->curate.cancel_arg, err);
}

int store_curate_resume(struct store *st, struct error *err)
{
    struct store_reader *r = store_reader_get(st, err);
    sqlite3_stmt *s = NULL;
    char **ids = NULL;
    size_t n = 0, cap = 0;
    int rc, ret = 0;

    if (r == NULL)
        return -1;
    rc = sqlite3_prepare_v2(r->db,
                            "SELECT e.id FROM entity_curation c JOIN entities e ON e.eid = c.eid"
                            " WHERE c.moving = 1",
                            -1, &s, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            char **bigger = realloc(ids, (cap = cap ? cap * 2 : 8) * sizeof *ids);
            if (bigger == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            ids = bigger;
        }
        if ((ids[n] = store_column_dup(s, 0)) != NULL)
            n++;
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE) {
        store_error_from_sqlite(err, STORE_IO_READ, rc, r->db,
                                "reading unfinished curations failed");
        ret = -1;
    }
    sqlite3_finalize(s);
    for (size_t i = 0; i < n && ret == 0; i++)
        ret = cur_drive(st, ids[i], NULL, NULL, err);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return ret;
}
