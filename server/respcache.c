/* respcache.c: see respcache.h. One mutex: a look-up is a hash, a compare
 * and a copy of a few kilobytes, far below the cost of the query it saves. */
#include "server/respcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct respcache_slot {
    char *key;
    size_t keylen;
    uint64_t version;
    char *body;
    size_t len;
};

struct respcache {
    pthread_mutex_t mu;
    struct respcache_slot *slots;
    unsigned nslots;
    size_t max_body;
};

static uint64_t respcache_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

struct respcache *respcache_new(unsigned entries, size_t max_body)
{
    struct respcache *c;

    if (entries == 0 || (c = calloc(1, sizeof *c)) == NULL)
        return NULL;
    c->slots = calloc(entries, sizeof *c->slots);
    if (c->slots == NULL) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->nslots = entries;
    c->max_body = max_body;
    return c;
}

void respcache_free(struct respcache *c)
{
    if (c == NULL)
        return;
    for (unsigned i = 0; i < c->nslots; i++) {
        free(c->slots[i].key);
        free(c->slots[i].body);
    }
    free(c->slots);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int respcache_get(struct respcache *c, const char *key, size_t keylen, uint64_t version,
                  char **body, size_t *len)
{
    struct respcache_slot *s;
    int found = 0;

    *body = NULL;
    *len = 0;
    if (c == NULL)
        return 0;
    s = &c->slots[respcache_hash(key, keylen) % c->nslots];
    pthread_mutex_lock(&c->mu);
    if (s->key != NULL && s->version == version && s->keylen == keylen &&
        memcmp(s->key, key, keylen) == 0 && (*body = malloc(s->len + 1)) != NULL) {
        memcpy(*body, s->body, s->len + 1);
        *len = s->len;
        found = 1;
    }
    pthread_mutex_unlock(&c->mu);
    return found;
}

void respcache_put(struct respcache *c, const char *key, size_t keylen, uint64_t version,
                   const char *body, size_t len)
{
    struct respcache_slot *s;
    char *k, *b;

    if (c == NULL || len > c->max_body)
        return;
    k = malloc(keylen + 1);
    b = malloc(len + 1);
    if (k == NULL || b == NULL) {
        free(k);
        free(b);
        return;
    }
    memcpy(k, key, keylen);
    k[keylen] = '\0';
    memcpy(b, body, len);
    b[len] = '\0';
    s = &c->slots[respcache_hash(key, keylen) % c->nslots];
    pthread_mutex_lock(&c->mu);
    free(s->key);
    free(s->body);
    *s = (struct respcache_slot){k, keylen, version, b, len};
    pthread_mutex_unlock(&c->mu);
}
