/* ratelimit.c: token buckets in a fixed table (see ratelimit.h). The table is
 * split into shards, each with its own lock; a client's 64-bit hash (seeded
 * at random, so clients cannot aim at one another's entries) picks a shard and
 * a short probe window inside it. */
#include "server/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <xxhash.h>

#define RATELIMIT_SHARDS      16
#define RATELIMIT_SHARD_SLOTS (RATELIMIT_SLOTS / RATELIMIT_SHARDS)
#define RATELIMIT_PROBES      8

struct ratelimit_entry {
    uint64_t hash; /* 0: free */
    double tokens;
    int64_t last_ns; /* when tokens was computed */
};

struct ratelimit_shard {
    pthread_mutex_t mu;
    struct ratelimit_entry e[RATELIMIT_SHARD_SLOTS];
};

struct ratelimit {
    double rate;  /* tokens per nanosecond */
    double per_s; /* tokens per second */
    double burst;
    uint64_t seed;
    struct ratelimit_shard shards[RATELIMIT_SHARDS];
};

static int64_t ratelimit_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct ratelimit *ratelimit_new(unsigned rate, unsigned burst)
{
    struct ratelimit *rl;

    if (rate == 0 || burst == 0)
        return NULL;
    rl = calloc(1, sizeof *rl);
    if (rl == NULL)
        return NULL;
    rl->per_s = rate;
    rl->rate = rate / 1e9;
    rl->burst = burst;
    if (getrandom(&rl->seed, sizeof rl->seed, 0) != (ssize_t)sizeof rl->seed)
        rl->seed = (uint64_t)ratelimit_now_ns();
    for (size_t i = 0; i < RATELIMIT_SHARDS; i++)
        pthread_mutex_init(&rl->shards[i].mu, NULL);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (rl == NULL)
        return;
    for (size_t i = 0; i < RATELIMIT_SHARDS; i++)
        pthread_mutex_destroy(&rl->shards[i].mu);
    free(rl);
}

/* Tokens in e's bucket at now. */
static double ratelimit_level(const struct ratelimit *rl, const struct ratelimit_entry *e,
                              int64_t now)
{
    double t = e->tokens + (double)(now - e->last_ns) * rl->rate;
    return t < rl->burst ? t : rl->burst;
}

unsigned ratelimit_take(struct ratelimit *rl, const void *key, size_t len)
{
    uint64_t h = XXH3_64bits_withSeed(key, len, rl->seed);
    struct ratelimit_shard *sh;
    struct ratelimit_entry *e = NULL, *victim = NULL;
    size_t start;
    int64_t now = ratelimit_now_ns();
    unsigned wait = 0;
    int victim_rank = 3;

    if (h == 0)
        h = 1;
    sh = &rl->shards[h % RATELIMIT_SHARDS];
    start = (size_t)(h / RATELIMIT_SHARDS) % RATELIMIT_SHARD_SLOTS;
    pthread_mutex_lock(&sh->mu);
    for (size_t i = 0; i < RATELIMIT_PROBES; i++) {
        struct ratelimit_entry *c = &sh->e[(start + i) % RATELIMIT_SHARD_SLOTS];
        int rank;
        if (c->hash == h) {
            e = c;
            break;
        }
        /* the entry to reuse: a free one, else a full (idle) bucket, else the
         * least recently used */
        rank = c->hash == 0 ? 0 : (ratelimit_level(rl, c, now) >= rl->burst ? 1 : 2);
        if (victim == NULL || rank < victim_rank ||
            (rank == victim_rank && c->last_ns < victim->last_ns)) {
            victim = c;
            victim_rank = rank;
        }
    }
    if (e == NULL) {
        e = victim;
        e->hash = h;
        e->tokens = rl->burst;
        e->last_ns = now;
    }
    e->tokens = ratelimit_level(rl, e, now);
    e->last_ns = now;
    if (e->tokens >= 1.0) {
        e->tokens -= 1.0;
    } else {
        double s = ceil((1.0 - e->tokens) / rl->per_s);
        wait = s < 1.0 ? 1u : (s > 86400.0 ? 86400u : (unsigned)s);
    }
    pthread_mutex_unlock(&sh->mu);
    return wait;
}
