/* worker_pool: each worker has a ring of jobs (from the pool's thread) and a semaphore that says
 * a job is waiting; all share one semaphore back that says a share is done. A NULL job stops a
 * worker. Semaphores and the rings' release/acquire order make each job's inputs visible to the
 * worker and its results visible to the caller. */
#include "base/worker_pool.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/spsc_ring.h"
#include "base/xmalloc.h"

/* Jobs a worker's ring holds: one run at a time needs one slot. */
#define WORKER_RING_SLOTS 4

struct worker_job {
    worker_part_fn part;
    void *arg;
};

struct worker {
    struct worker_pool *pool;
    unsigned lane;
    pthread_t thread;
    bool started;
    struct spsc_ring jobs;
    sem_t wake;
    atomic_uint_fast64_t done_jobs;
};

struct worker_pool {
    unsigned lanes;
    pthread_t owner;
    uint64_t owner_jobs;
    sem_t done;
    struct worker workers[]; /* lanes - 1: workers[i] is lane i + 1 */
};

static void *worker_main(void *opaque)
{
    struct worker *w = opaque;
    char name[16];
    snprintf(name, sizeof name, "onair-lane%u", w->lane);
    pthread_setname_np(pthread_self(), name);
    for (;;) {
        while (sem_wait(&w->wake) != 0) {
        }
        void *item;
        if (!spsc_ring_pop(&w->jobs, &item))
            continue; /* cannot happen: every post follows a push */
        if (!item)
            return NULL;
        struct worker_job *job = item;
        job->part(job->arg, w->lane);
        atomic_fetch_add_explicit(&w->done_jobs, 1, memory_order_relaxed);
        sem_post(&w->pool->done);
    }
}

struct worker_pool *worker_pool_new(unsigned lanes, const char **why)
{
    if (lanes < 2 || lanes > WORKER_POOL_MAX_LANES) {
        *why = "the number of workers must be from 2 to 64";
        return NULL;
    }
    /* Line-aligned: each worker's ring keeps its two ends on cache lines of their own. */
    struct worker_pool *pool = xcalloc_lines(1, sizeof *pool + (lanes - 1) * sizeof(struct worker));
    pool->lanes = lanes;
    pool->owner = pthread_self();
    sem_init(&pool->done, 0, 0);
    for (unsigned i = 0; i + 1 < lanes; i++) {
        struct worker *w = &pool->workers[i];
        w->pool = pool;
        w->lane = i + 1;
        spsc_ring_init(&w->jobs, WORKER_RING_SLOTS);
        sem_init(&w->wake, 0, 0);
        atomic_init(&w->done_jobs, 0);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            *why = "cannot start a worker thread";
            worker_pool_free(pool);
            return NULL;
        }
        w->started = true;
    }
    return pool;
}

void worker_pool_free(struct worker_pool *pool)
{
    if (!pool)
        return;
    for (unsigned i = 0; i + 1 < pool->lanes; i++) {
        struct worker *w = &pool->workers[i];
        if (w->started) {
            spsc_ring_push(&w->jobs, NULL);
            sem_post(&w->wake);
            pthread_join(w->thread, NULL);
        }
        if (w->jobs.slots) {
            spsc_ring_free(&w->jobs);
            sem_destroy(&w->wake);
        }
    }
    sem_destroy(&pool->done);
    free(pool);
}

unsigned worker_pool_lanes(const struct worker_pool *pool) { return pool->lanes; }

void worker_pool_run(struct worker_pool *pool, worker_part_fn part, void *arg)
{
    struct worker_job job = {part, arg};
    for (unsigned i = 0; i + 1 < pool->lanes; i++) {
        struct worker *w = &pool->workers[i];
        spsc_ring_push(&w->jobs, &job); /* never full: each run takes its job before the next */
        sem_post(&w->wake);
    }
    part(arg, 0);
    pool->owner_jobs++;
    for (unsigned i = 0; i + 1 < pool->lanes; i++)
        while (sem_wait(&pool->done) != 0) {
        }
}

static double thread_cpu_seconds(pthread_t thread)
{
    clockid_t clock;
    struct timespec ts;
    if (pthread_getcpuclockid(thread, &clock) != 0 || clock_gettime(clock, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void worker_pool_stats(const struct worker_pool *pool, unsigned lane, struct worker_stats *out)
{
    if (lane == 0) {
        out->jobs = pool->owner_jobs;
        out->cpu_seconds = thread_cpu_seconds(pool->owner);
        out->queue_depth = 0;
        return;
    }
    const struct worker *w = &pool->workers[lane - 1];
    out->jobs = atomic_load_explicit(&w->done_jobs, memory_order_relaxed);
    out->cpu_seconds = thread_cpu_seconds(w->thread);
    out->queue_depth = spsc_ring_depth(&w->jobs);
}
