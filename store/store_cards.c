/* store_cards.c: a search page's result cards: the fields a dashboard shows
 * beside each hit (url, author, language, tags, duplicate_of, story) and the
 * article's most mentioned entities, read for the page's rows only, in the
 * search's own read transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

void store_hit_card_clear(struct store_hit *h)
{
    free(h->url);
    free(h->author);
    free(h->language);
    free(h->duplicate_of);
    free(h->tags_json);
    for (size_t i = 0; i < h->nents; i++) {
        free(h->ents[i].id);
        free(h->ents[i].name);
        free(h->ents[i].type);
    }
    h->url = h->author = h->language = h->duplicate_of = h->tags_json = NULL;
    h->story = 0;
    h->nents = 0;
}

/* The hit of hits with this seq, or NULL (a page holds at most 100: a scan
 * costs less than an index). */
static struct store_hit *cards_hit(struct store_hits *hits, int64_t seq)
{
    for (size_t i = 0; i < hits->n; i++)
        if (hits->items[i].seq == seq)
            return &hits->items[i];
    return NULL;
}

/* Runs s (bound) and hands each row to fill. SQLite rc. */
static int cards_run(sqlite3_stmt *s, struct store_hits *hits,
                     int (*fill)(sqlite3_stmt *s, struct store_hit *h))
{
    int rc;

    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_hit *h = cards_hit(hits, sqlite3_column_int64(s, 0));
        if (h != NULL && (rc = fill(s, h)) != SQLITE_OK)
            break;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A row of RSTMT_CARD_ARTICLES into h. SQLite rc. */
static int cards_article(sqlite3_stmt *s, struct store_hit *h)
{
    store_hit_card_clear(h); /* a seq is one row; stay leak-free anyway */
    h->url = store_column_dup(s, 1);
    h->author = store_column_dup(s, 2);
    h->language = store_column_dup(s, 3);
    h->tags_json = store_column_dup(s, 4);
    h->duplicate_of = store_column_dup(s, 5);
    h->story = sqlite3_column_int64(s, 6);
    if ((h->url == NULL && sqlite3_column_type(s, 1) != SQLITE_NULL) ||
        (h->author == NULL && sqlite3_column_type(s, 2) != SQLITE_NULL) ||
        (h->language == NULL && sqlite3_column_type(s, 3) != SQLITE_NULL) ||
        (h->tags_json == NULL && sqlite3_column_type(s, 4) != SQLITE_NULL) ||
        (h->duplicate_of == NULL && sqlite3_column_type(s, 5) != SQLITE_NULL))
        return SQLITE_NOMEM;
    return SQLITE_OK;
}

/* A row of RSTMT_CARD_ENTITIES into h (rows come most mentioned first). */
static int cards_entity(sqlite3_stmt *s, struct store_hit *h)
{
    struct store_hit_entity *e;

    if (h->nents == STORE_CARD_ENTITIES_MAX)
        return SQLITE_OK;
    e = &h->ents[h->nents];
    e->id = store_column_dup(s, 1);
    e->name = store_column_dup(s, 2);
    e->type = store_column_dup(s, 3);
    if (e->id == NULL || e->name == NULL || e->type == NULL) {
        free(e->id);
        free(e->name);
        free(e->type);
        memset(e, 0, sizeof *e);
        return SQLITE_NOMEM;
    }
    h->nents++;
    return SQLITE_OK;
}

int store_cards_fill(struct store_reader *r, unsigned cards, struct store_hits *hits)
{
    sqlite3_stmt *s;
    char *seqs, *p;
    int rc = SQLITE_OK;

    if (hits->n == 0 || (cards & (STORE_CARD_ARTICLE | STORE_CARD_ENTITIES)) == 0)
        return SQLITE_OK;
    /* the page's seqs as a JSON array: 20 digits and a comma each */
    seqs = malloc(hits->n * 22 + 3);
    if (seqs == NULL)
        return SQLITE_NOMEM;
    p = seqs;
    *p++ = '[';
    for (size_t i = 0; i < hits->n; i++)
        p += sprintf(p, "%s%lld", i ? "," : "", (long long)hits->items[i].seq);
    *p++ = ']';
    *p = '\0';
    if (cards & STORE_CARD_ARTICLE) {
        s = store_reader_stmt(r, RSTMT_CARD_ARTICLES);
        if (s == NULL) {
            rc = sqlite3_errcode(r->db);
            goto out;
        }
        sqlite3_bind_text(s, 1, seqs, -1, SQLITE_STATIC);
        if ((rc = cards_run(s, hits, cards_article)) != SQLITE_OK)
            goto out;
    }
    if (cards & STORE_CARD_ENTITIES) {
        s = store_reader_stmt(r, RSTMT_CARD_ENTITIES);
        if (s == NULL) {
            rc = sqlite3_errcode(r->db);
            goto out;
        }
        sqlite3_bind_text(s, 1, seqs, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, STORE_CARD_ENTITIES_MAX);
        rc = cards_run(s, hits, cards_entity);
    }
out:
    free(seqs);
    return rc;
}
