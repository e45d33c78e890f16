/* workpool.c: see workpool.h. One mutex and condition variable guard a FIFO
 * of jobs; jobs are few and long (an article's analysis at least), so one
 * queue costs nothing measurable. */
#include "server/workpool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct workpool_job {
    void (*fn)(void *arg);
    void *arg;
    struct workpool_job *next;
};

struct workpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct workpool_job *head, *tail;
    int stopping;
    unsigned nthreads;
    unsigned waiting; /* jobs queued and places reserved, not yet running */
    pthread_t *threads;
    char name[16];
};

static void *workpool_main(void *arg)
{
    struct workpool *p = arg;

    pthread_setname_np(pthread_self(), p->name); /* for top -H, perf */
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct workpool_job *j;
        while (p->head == NULL && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->head == NULL)
            break; /* stopping, and nothing left to run */
        j = p->head;
        p->waiting--;
        p->head = j->next;
        if (p->head == NULL)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct workpool *workpool_new(unsigned nthreads, const char *name)
{
    struct workpool *p = calloc(1, sizeof *p);

    if (p == NULL)
        return NULL;
    snprintf(p->name, sizeof p->name, "%s", name);
    if (nthreads == 0)
        nthreads = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->threads = calloc(nthreads, sizeof *p->threads);
    if (p->threads == NULL) {
        workpool_free(p);
        return NULL;
    }
    for (unsigned i = 0; i < nthreads; i++) {
        if (pthread_create(&p->threads[i], NULL, workpool_main, p) != 0)
            break;
        p->nthreads++;
    }
    if (p->nthreads == 0) {
        workpool_free(p);
        return NULL;
    }
    return p;
}

/* Queues a job; reserved: a place was taken by workpool_reserve. */
static int workpool_push(struct workpool *p, void (*fn)(void *arg), void *arg, int reserved)
{
    struct workpool_job *j;

    if (p == NULL)
        return -1;
    if ((j = malloc(sizeof *j)) == NULL) {
        if (reserved) {
            pthread_mutex_lock(&p->mu);
            p->waiting--;
            pthread_mutex_unlock(&p->mu);
        }
        return -1;
    }
    j->fn = fn;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        if (reserved)
            p->waiting--;
        pthread_mutex_unlock(&p->mu);
        free(j);
        return -1;
    }
    if (!reserved)
        p->waiting++;
    if (p->tail != NULL)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

int workpool_submit(struct workpool *p, void (*fn)(void *arg), void *arg)
{
    return workpool_push(p, fn, arg, 0);
}

int workpool_reserve(struct workpool *p, unsigned max_waiting)
{
    int rc = -1;
    if (p == NULL)
        return -1;
    pthread_mutex_lock(&p->mu);
    if (!p->stopping && p->waiting < max_waiting) {
        p->waiting++;
        rc = 0;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int workpool_submit_reserved(struct workpool *p, void (*fn)(void *arg), void *arg)
{
    return workpool_push(p, fn, arg, 1);
}

void workpool_free(struct workpool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}
