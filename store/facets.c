/* facets.c: the facet column table (facets.h): rows by seq, a pool of tag
 * and entity lists, string dictionaries, and the counts over them. */
#include "store/facets.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The dictionaries: one per string-valued kind, in enum order. */
#define FACET_DICTS 4 /* SOURCE, TAG, LANGUAGE, AUTHOR */

/* Strings by id (1..n; 0 is "absent"), found by an open-addressing hash. */
struct facet_dict {
    char **strs; /* strs[id - 1] */
    size_t n, cap;
    uint32_t *slots; /* ids, 0: empty */
    size_t nslots;   /* a power of two, at least twice n */
};

/* 32 bytes an article. lists: the offset in the pool of its ntags tag ids
 * then its nents eids; cap: the room there (reused by a replace that fits). */
struct facet_row {
    int64_t ts;
    uint32_t source, author, language, story, lists;
    uint8_t ntags, nents, cap, live;
};

struct facet_table {
    pthread_rwlock_t lock;
    struct facet_row *rows; /* by seq */
    size_t nrows, rows_cap;
    uint32_t *pool;
    size_t npool, pool_cap;
    struct facet_dict dicts[FACET_DICTS];
    uint32_t max_ent, max_story;
    size_t live;
};

/* ---- dictionaries ---------------------------------------------------------- */

static uint64_t facet_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void facet_dict_clear(struct facet_dict *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->strs[i]);
    free(d->strs);
    free(d->slots);
    memset(d, 0, sizeof *d);
}

/* Rebuilds the slots at nslots. 0 or -1. */
static int facet_dict_rehash(struct facet_dict *d, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t id = 1; id <= d->n; id++) {
        size_t i = facet_hash(d->strs[id - 1]) & (nslots - 1);
        while (slots[i] != 0)
            i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)id;
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = nslots;
    return 0;
}

/* s's id, 0 when absent. */
static uint32_t facet_dict_find(const struct facet_dict *d, const char *s)
{
    if (d->nslots == 0)
        return 0;
    for (size_t i = facet_hash(s) & (d->nslots - 1); d->slots[i] != 0;
         i = (i + 1) & (d->nslots - 1))
        if (strcmp(d->strs[d->slots[i] - 1], s) == 0)
            return d->slots[i];
    return 0;
}

/* s's id, added when new (0 for NULL, or out of memory). */
static uint32_t facet_dict_intern(struct facet_dict *d, const char *s)
{
    uint32_t id;
    char *copy;

    if (s == NULL)
        return 0;
    if ((id = facet_dict_find(d, s)) != 0)
        return id;
    if (d->n == UINT32_MAX - 1)
        return 0;
    if ((d->n + 1) * 2 > d->nslots && facet_dict_rehash(d, d->nslots ? d->nslots * 2 : 64) != 0)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        char **bigger = realloc(d->strs, cap * sizeof *bigger);
        if (bigger == NULL)
            return 0;
        d->strs = bigger;
        d->cap = cap;
    }
    if ((copy = strdup(s)) == NULL)
        return 0;
    d->strs[d->n++] = copy;
    id = (uint32_t)d->n;
    {
        size_t i = facet_hash(s) & (d->nslots - 1);
        while (d->slots[i] != 0)
            i = (i + 1) & (d->nslots - 1);
        d->slots[i] = id;
    }
    return id;
}

/* ---- the table --------------------------------------------------------------- */

struct facet_table *facet_table_new(void)
{
    struct facet_table *t = calloc(1, sizeof *t);
    pthread_rwlockattr_t attr;

    if (t == NULL)
        return NULL;
    /* the writer waits for at most one chunk of each counter, and is not
     * starved by a stream of them */
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&t->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    return t;
}

void facet_table_free(struct facet_table *t)
{
    if (t == NULL)
        return;
    for (int i = 0; i < FACET_DICTS; i++)
        facet_dict_clear(&t->dicts[i]);
    free(t->rows);
    free(t->pool);
    pthread_rwlock_destroy(&t->lock);
    free(t);
}

/* Room for row seq (lock held). 0 or -1. */
static int facet_table_reserve(struct facet_table *t, size_t seq)
{
    if (seq < t->nrows)
        return 0;
    if (seq >= t->rows_cap) {
        size_t cap = t->rows_cap ? t->rows_cap : 1024;
        struct facet_row *bigger;
        while (cap <= seq)
            cap += cap / 2;
        bigger = realloc(t->rows, cap * sizeof *bigger);
        if (bigger == NULL)
            return -1;
        t->rows = bigger;
        t->rows_cap = cap;
    }
    memset(t->rows + t->nrows, 0, (seq + 1 - t->nrows) * sizeof *t->rows);
    t->nrows = seq + 1;
    return 0;
}

/* Offset of n free pool entries at the end (lock held), or -1. */
static long long facet_pool_take(struct facet_table *t, size_t n)
{
    size_t at = t->npool;
    if (t->npool + n > UINT32_MAX)
        return -1;
    if (t->npool + n > t->pool_cap) {
        size_t cap = t->pool_cap ? t->pool_cap : 4096;
        uint32_t *bigger;
        while (cap < t->npool + n)
            cap += cap / 2;
        bigger = realloc(t->pool, cap * sizeof *bigger);
        if (bigger == NULL)
            return -1;
        t->pool = bigger;
        t->pool_cap = cap;
    }
    t->npool += n;
    return (long long)at;
}

int facet_table_set(struct facet_table *t, int64_t seq, const struct facet_article *a)
{
    size_t ntags = a->ntags < FACET_LIST_MAX ? a->ntags : FACET_LIST_MAX;
    size_t nents = a->nents < FACET_LIST_MAX ? a->nents : FACET_LIST_MAX;
    struct facet_row *r, nr = {0};
    int ret = -1;

    if (seq <= 0 || (uint64_t)seq >= UINT32_MAX)
        return -1;
    pthread_rwlock_wrlock(&t->lock);
    if (facet_table_reserve(t, (size_t)seq) != 0)
        goto out;
    r = &t->rows[seq];
    nr.ts = a->ts;
    nr.source = facet_dict_intern(&t->dicts[STORE_FACET_SOURCE], a->source);
    nr.author = facet_dict_intern(&t->dicts[STORE_FACET_AUTHOR], a->author);
    nr.language = facet_dict_intern(&t->dicts[STORE_FACET_LANGUAGE], a->language);
    nr.story = a->story > 0 && a->story < UINT32_MAX ? (uint32_t)a->story : 0;
    nr.ntags = (uint8_t)ntags;
    nr.nents = (uint8_t)nents;
    /* a replace whose lists fit keeps its place in the pool */
    if (r->cap >= ntags + nents) {
        nr.lists = r->lists;
        nr.cap = r->cap;
    } else {
        long long at = facet_pool_take(t, ntags + nents);
        if (at < 0) {
            if (r->live)
                t->live--;
            r->live = 0;
            goto out;
        }
        nr.lists = (uint32_t)at;
        nr.cap = (uint8_t)(ntags + nents < 255 ? ntags + nents : 255);
    }
    for (size_t i = 0; i < ntags; i++)
        t->pool[nr.lists + i] = facet_dict_intern(&t->dicts[STORE_FACET_TAG], a->tags[i]);
    for (size_t i = 0; i < nents; i++) {
        uint32_t eid = a->ents[i] > 0 && a->ents[i] < UINT32_MAX ? (uint32_t)a->ents[i] : 0;
        t->pool[nr.lists + ntags + i] = eid;
        if (eid > t->max_ent)
            t->max_ent = eid;
    }
    if (nr.story > t->max_story)
        t->max_story = nr.story;
    nr.live = 1;
    if (!r->live)
        t->live++;
    *r = nr;
    ret = 0;
out:
    pthread_rwlock_unlock(&t->lock);
    return ret;
}

void facet_table_kill(struct facet_table *t, int64_t seq)
{
    pthread_rwlock_wrlock(&t->lock);
    if (seq > 0 && (uint64_t)seq < t->nrows && t->rows[seq].live) {
        t->rows[seq].live = 0;
        t->live--;
    }
    pthread_rwlock_unlock(&t->lock);
}

size_t facet_table_bytes(struct facet_table *t)
{
    size_t b;
    pthread_rwlock_rdlock(&t->lock);
    b = sizeof *t + t->rows_cap * sizeof *t->rows + t->pool_cap * sizeof *t->pool;
    for (int i = 0; i < FACET_DICTS; i++) {
        b += t->dicts[i].cap * sizeof(char *) + t->dicts[i].nslots * sizeof(uint32_t);
        for (size_t k = 0; k < t->dicts[i].n; k++)
            b += strlen(t->dicts[i].strs[k]) + 1;
    }
    pthread_rwlock_unlock(&t->lock);
    return b;
}

size_t facet_table_live(struct facet_table *t)
{
    size_t n;
    pthread_rwlock_rdlock(&t->lock);
    n = t->live;
    pthread_rwlock_unlock(&t->lock);
    return n;
}

/* ---- dates --------------------------------------------------------------------- */

/* Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms). */
static int64_t facet_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void facet_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t facet_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t facet_week_start(int64_t day)
{
    /* day 0, 1970-01-01, was a Thursday: Monday is 3 days before */
    return day - (day + 3 - facet_floor_div(day + 3, 7) * 7);
}

int64_t facet_month_start(int64_t day)
{
    int64_t y;
    unsigned m, d;
    facet_civil_from_days(day, &y, &m, &d);
    return facet_days_from_civil(y, m, 1);
}

/* ---- counting ------------------------------------------------------------------ */

/* Day buckets: an open-addressing map from day to count and newest ts. */
struct facet_day {
    int64_t day;
    long long count;
    int64_t last;
};

struct facet_count {
    struct facet_table *t;
    unsigned kinds;
    int64_t from, to;
    int by_source;
    uint32_t source_id; /* with by_source; 0: no such source, nothing passes */
    /* by id, for SOURCE..STORY; last: the newest ts, for the dictionaries */
    uint32_t *counts[STORE_FACET_KINDS_];
    int64_t *last[STORE_FACET_KINDS_];
    size_t size[STORE_FACET_KINDS_];
    struct facet_day *days;
    size_t ndays, days_cap; /* days_cap: a power of two */
    long long rows;
};

#define FACET_HISTOGRAMS                                                                           \
    ((1u << STORE_FACET_DAY) | (1u << STORE_FACET_WEEK) | (1u << STORE_FACET_MONTH))

struct facet_count *facet_count_new(struct facet_table *t, unsigned kinds, int64_t from, int64_t to,
                                    const char *source)
{
    struct facet_count *c = calloc(1, sizeof *c);
    int ok = c != NULL;

    if (!ok)
        return NULL;
    c->t = t;
    c->kinds = kinds;
    c->from = from;
    c->to = to;
    pthread_rwlock_rdlock(&t->lock);
    if (source != NULL) {
        c->by_source = 1;
        c->source_id = facet_dict_find(&t->dicts[STORE_FACET_SOURCE], source);
    }
    /* sized for the ids known now; a row holding a later one grows them */
    for (int k = 0; k <= STORE_FACET_STORY && ok; k++) {
        if (!(kinds & (1u << k)))
            continue;
        c->size[k] = (k < FACET_DICTS           ? t->dicts[k].n
                      : k == STORE_FACET_ENTITY ? t->max_ent
                                                : t->max_story) +
                     1;
        c->counts[k] = calloc(c->size[k], sizeof *c->counts[k]);
        if (k < FACET_DICTS)
            c->last[k] = calloc(c->size[k], sizeof *c->last[k]);
        ok = c->counts[k] != NULL && (k >= FACET_DICTS || c->last[k] != NULL);
    }
    pthread_rwlock_unlock(&t->lock);
    if (ok && (kinds & FACET_HISTOGRAMS)) {
        c->days_cap = 1024;
        c->days = malloc(c->days_cap * sizeof *c->days);
        ok = c->days != NULL;
        for (size_t i = 0; ok && i < c->days_cap; i++)
            c->days[i].day = INT64_MIN;
    }
    if (!ok) {
        facet_count_free(c);
        return NULL;
    }
    return c;
}

void facet_count_free(struct facet_count *c)
{
    if (c == NULL)
        return;
    for (int k = 0; k < STORE_FACET_KINDS_; k++) {
        free(c->counts[k]);
        free(c->last[k]);
    }
    free(c->days);
    free(c);
}

/* The map's entry for day, added when new. NULL out of memory. */
static struct facet_day *facet_day_slot(struct facet_count *c, int64_t day)
{
    size_t i;
    if ((c->ndays + 1) * 2 > c->days_cap) {
        size_t cap = c->days_cap * 2;
        struct facet_day *bigger = malloc(cap * sizeof *bigger);
        if (bigger == NULL)
            return NULL;
        for (size_t k = 0; k < cap; k++)
            bigger[k].day = INT64_MIN;
        for (size_t k = 0; k < c->days_cap; k++) {
            if (c->days[k].day == INT64_MIN)
                continue;
            i = (size_t)((uint64_t)c->days[k].day * 0x9E3779B97F4A7C15ULL >> 20) & (cap - 1);
            while (bigger[i].day != INT64_MIN)
                i = (i + 1) & (cap - 1);
            bigger[i] = c->days[k];
        }
        free(c->days);
        c->days = bigger;
        c->days_cap = cap;
    }
    i = (size_t)((uint64_t)day * 0x9E3779B97F4A7C15ULL >> 20) & (c->days_cap - 1);
    while (c->days[i].day != INT64_MIN && c->days[i].day != day)
        i = (i + 1) & (c->days_cap - 1);
    if (c->days[i].day == INT64_MIN) {
        c->days[i].day = day;
        c->days[i].count = 0;
        c->days[i].last = INT64_MIN;
        c->ndays++;
    }
    return &c->days[i];
}

/* Makes c's arrays of kind k hold id: a value interned after the count
 * began (a replace gave a counted article a new source or tag). 0, or -1 out
 * of memory. Bounded by the table's dictionaries. */
static int facet_count_grow(struct facet_count *c, int k, uint32_t id)
{
    size_t old = c->size[k], size = old * 2 > (size_t)id + 1 ? old * 2 : (size_t)id + 1;
    uint32_t *counts = realloc(c->counts[k], size * sizeof *counts);

    if (counts == NULL)
        return -1;
    memset(counts + old, 0, (size - old) * sizeof *counts);
    c->counts[k] = counts;
    if (c->last[k] != NULL) {
        int64_t *last = realloc(c->last[k], size * sizeof *last);
        if (last == NULL)
            return -1; /* counts is larger than size says: harmless */
        memset(last + old, 0, (size - old) * sizeof *last);
        c->last[k] = last;
    }
    c->size[k] = size;
    return 0;
}

/* Counts row r (lock held). 0, or -1 out of memory. */
static int facet_count_row(struct facet_count *c, const struct facet_row *r)
{
    const struct facet_table *t = c->t;
    uint32_t one[STORE_FACET_KINDS_];

    if (!r->live || r->ts < c->from || r->ts >= c->to ||
        (c->by_source && r->source != c->source_id))
        return 0;
    c->rows++;
    one[STORE_FACET_SOURCE] = r->source;
    one[STORE_FACET_LANGUAGE] = r->language;
    one[STORE_FACET_AUTHOR] = r->author;
    one[STORE_FACET_STORY] = r->story;
    for (int k = STORE_FACET_SOURCE; k <= STORE_FACET_STORY; k++) {
        if (c->counts[k] == NULL || k == STORE_FACET_TAG || k == STORE_FACET_ENTITY)
            continue;
        if (one[k] != 0) {
            if (one[k] >= c->size[k] && facet_count_grow(c, k, one[k]) != 0)
                return -1;
            c->counts[k][one[k]]++;
            if (c->last[k] != NULL && (c->counts[k][one[k]] == 1 || r->ts > c->last[k][one[k]]))
                c->last[k][one[k]] = r->ts;
        }
    }
    if (c->counts[STORE_FACET_TAG] != NULL)
        for (unsigned i = 0; i < r->ntags; i++) {
            uint32_t id = t->pool[r->lists + i];
            if (id != 0) {
                if (id >= c->size[STORE_FACET_TAG] && facet_count_grow(c, STORE_FACET_TAG, id) != 0)
                    return -1;
                uint32_t n = ++c->counts[STORE_FACET_TAG][id];
                if (n == 1 || r->ts > c->last[STORE_FACET_TAG][id])
                    c->last[STORE_FACET_TAG][id] = r->ts;
            }
        }
    if (c->counts[STORE_FACET_ENTITY] != NULL)
        for (unsigned i = 0; i < r->nents; i++) {
            uint32_t id = t->pool[r->lists + r->ntags + i];
            if (id == 0)
                continue;
            if (id >= c->size[STORE_FACET_ENTITY] &&
                facet_count_grow(c, STORE_FACET_ENTITY, id) != 0)
                return -1;
            c->counts[STORE_FACET_ENTITY][id]++;
        }
    if (c->days != NULL) {
        struct facet_day *d = facet_day_slot(c, facet_floor_div(r->ts, 86400));
        if (d == NULL)
            return -1;
        d->count++;
        if (r->ts > d->last)
            d->last = r->ts;
    }
    return 0;
}

int facet_count_add(struct facet_count *c, const int64_t *seqs, size_t n)
{
    int rc = 0;
    pthread_rwlock_rdlock(&c->t->lock);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (seqs[i] > 0 && (uint64_t)seqs[i] < c->t->nrows)
            rc = facet_count_row(c, &c->t->rows[seqs[i]]);
    pthread_rwlock_unlock(&c->t->lock);
    return rc;
}

int facet_count_all(struct facet_count *c)
{
    size_t seq = 1;
    int rc = 0;
    /* a chunk at a time, so the writer waits for one chunk at most */
    for (;;) {
        size_t end;
        pthread_rwlock_rdlock(&c->t->lock);
        end = seq + 65536 < c->t->nrows ? seq + 65536 : c->t->nrows;
        for (; seq < end && rc == 0; seq++)
            rc = facet_count_row(c, &c->t->rows[seq]);
        end = c->t->nrows;
        pthread_rwlock_unlock(&c->t->lock);
        if (rc != 0 || seq >= end)
            return rc;
    }
}

long long facet_count_rows(const struct facet_count *c)
{
    return c->rows;
}

/* A value picked for the answer: its id (or bucket day), count, newest ts
 * and, for the dictionaries, its string (stable while the table lives). */
struct facet_pick {
    int64_t id;
    long long count;
    int64_t last;
    const char *s;
};

static int facet_pick_cmp(const void *a, const void *b)
{
    const struct facet_pick *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->s != NULL && y->s != NULL)
        return strcmp(x->s, y->s);
    return x->id < y->id ? -1 : x->id > y->id;
}

/* A heap of picks whose top is the worst by facet_pick_cmp. */
static void facet_heap_up(struct facet_pick *h, size_t i)
{
    while (i > 0 && facet_pick_cmp(&h[(i - 1) / 2], &h[i]) < 0) {
        struct facet_pick t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static void facet_heap_down(struct facet_pick *h, size_t n, size_t i)
{
    for (;;) {
        size_t w = i, l = 2 * i + 1, r = 2 * i + 2;
        struct facet_pick t;
        if (l < n && facet_pick_cmp(&h[l], &h[w]) > 0)
            w = l;
        if (r < n && facet_pick_cmp(&h[r], &h[w]) > 0)
            w = r;
        if (w == i)
            return;
        t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static int facet_pick_by_day(const void *a, const void *b)
{
    const struct facet_pick *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The day buckets merged into the kind's buckets, oldest first: *out a new
 * array of *n. 0 or -1. */
static int facet_count_buckets(struct facet_count *c, enum store_facet_kind kind,
                               struct facet_pick **out, size_t *n)
{
    struct facet_pick *p = malloc((c->ndays + 1) * sizeof *p);
    size_t k = 0, m = 0;

    if (p == NULL)
        return -1;
    for (size_t i = 0; i < c->days_cap; i++)
        if (c->days[i].day != INT64_MIN)
            p[k++] = (struct facet_pick){c->days[i].day, c->days[i].count, c->days[i].last, NULL};
    qsort(p, k, sizeof *p, facet_pick_by_day);
    for (size_t i = 0; i < k; i++) {
        int64_t b = kind == STORE_FACET_WEEK    ? facet_week_start(p[i].id)
                    : kind == STORE_FACET_MONTH ? facet_month_start(p[i].id)
                                                : p[i].id;
        if (m > 0 && p[m - 1].id == b) {
            p[m - 1].count += p[i].count;
            if (p[i].last > p[m - 1].last)
                p[m - 1].last = p[i].last;
        } else {
            p[m] = p[i];
            p[m++].id = b;
        }
    }
    *out = p;
    *n = m;
    return 0;
}

int facet_count_top(struct facet_count *c, enum store_facet_kind kind, size_t size,
                    struct facet_value **out, size_t *n)
{
    struct facet_pick *p = NULL;
    struct facet_value *v = NULL;
    size_t k = 0, first = 0, take;
    int ret = -1;

    *out = NULL;
    *n = 0;
    if (kind >= STORE_FACET_DAY) {
        if (c->days == NULL)
            return 0;
        if (facet_count_buckets(c, kind, &p, &k) != 0)
            return -1;
        first = k > size ? k - size : 0; /* the newest size buckets */
    } else {
        if (c->counts[kind] == NULL)
            return 0;
        /* the best size values in a heap (the worst of them on top): the
         * distinct values can be many (entities), the answer is short */
        if (size == 0)
            return 0;
        p = malloc((size + 1) * sizeof *p);
        if (p == NULL)
            return -1;
        pthread_rwlock_rdlock(&c->t->lock); /* strs may move */
        for (size_t id = 1; id < c->size[kind]; id++)
            if (c->counts[kind][id] > 0) {
                struct facet_pick x = {(int64_t)id, c->counts[kind][id],
                                       c->last[kind] ? c->last[kind][id] : 0,
                                       kind < FACET_DICTS ? c->t->dicts[kind].strs[id - 1] : NULL};
                if (k < size) {
                    p[k++] = x;
                    facet_heap_up(p, k - 1);
                } else if (facet_pick_cmp(&x, &p[0]) < 0) {
                    p[0] = x;
                    facet_heap_down(p, k, 0);
                }
            }
        pthread_rwlock_unlock(&c->t->lock);
        qsort(p, k, sizeof *p, facet_pick_cmp);
    }
    take = k - first < size ? k - first : size;
    if (take > 0 && (v = calloc(take, sizeof *v)) == NULL)
        goto out;
    for (size_t i = 0; i < take; i++) {
        const struct facet_pick *q = &p[first + i];
        char buf[32];
        v[i].count = q->count;
        v[i].last_ts = q->last;
        if (kind >= STORE_FACET_DAY) {
            int64_t y;
            unsigned mo, d;
            facet_civil_from_days(q->id, &y, &mo, &d);
            snprintf(buf, sizeof buf, "%04lld-%02u-%02u", (long long)y, mo, d);
            v[i].value = strdup(buf);
        } else if (q->s != NULL) {
            v[i].value = strdup(q->s);
        } else {
            snprintf(buf, sizeof buf, "%lld", (long long)q->id);
            v[i].value = strdup(buf);
            v[i].id = kind == STORE_FACET_ENTITY ? q->id : 0;
        }
        if (v[i].value == NULL) {
            facet_values_free(v, take);
            v = NULL;
            goto out;
        }
    }
    *out = v;
    *n = take;
    ret = 0;
out:
    free(p);
    return ret;
}

void facet_values_free(struct facet_value *v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i].value);
    free(v);
}
