/* worker_pool: each worker sleeps on a semaphore whose count is its wake-up notes (from the
 * pool's thread); a note asks the worker to join the pool's current run. A run is
 * open from its start until the caller is done with its own share: a worker joins it only while
 * it is open, and the caller, once done, closes it and waits only for the workers that joined.
 * A worker that wakes after that (a third of a millisecond on this VM: bench/RESULTS.md,
 * sessions 32 and 35) finds the run closed and goes back to sleep, instead of the caller waiting
 * idle for it to wake to find nothing left to do. The run's state word's release/acquire order
 * makes the run's inputs visible to a worker that joins, and the semaphore back (or the state
 * word, when nobody joined) makes the workers' results visible to the caller. */
#include "base/worker_pool.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/xmalloc.h"

/* Notes a worker holds at most. A worker with notes left is awake or about to be, and takes
 * them one by one, each time checking the run then open: a note not given past these is not
 * missed. (Unbounded, a worker kept from running would wake to a note for each run it missed.) */
#define WORKER_MAX_NOTES 4

/* The run's state word: the workers in it (bits 0-7) and whether it is closed. */
#define RUN_LANES_MASK 0xffu
#define RUN_CLOSED 0x100u

/* Rounds the caller spins, once its share is done, for the workers still in the run (a chunk of
 * work, tens of microseconds) before it sleeps: a wake-up costs more than that here. */
#define DONE_SPINS 4096

struct worker {
    struct worker_pool *pool;
    unsigned lane;
    pthread_t thread;
    bool started, has_wake;
    sem_t wake; /* its count: the notes not yet taken */
    atomic_uint_fast64_t done_jobs;
};

struct worker_pool {
    unsigned lanes;
    pthread_t owner;
    uint64_t owner_jobs;
    /* The current run: written by the caller while the run is closed and no worker is in it. */
    worker_part_fn part;
    void *arg;
    atomic_uint run_state;
    atomic_bool stopping;
    sem_t done;              /* posted by the last worker to leave a closed run */
    struct worker workers[]; /* lanes - 1: workers[i] is lane i + 1 */
};

/* Enters the run if it is still open; then its part and arg may be read. */
static bool join_run(struct worker_pool *pool)
{
    unsigned s = atomic_load_explicit(&pool->run_state, memory_order_acquire);
    while (!(s & RUN_CLOSED))
        if (atomic_compare_exchange_weak_explicit(&pool->run_state, &s, s + 1, memory_order_acquire,
                                                  memory_order_acquire))
            return true;
    return false;
}

static void leave_run(struct worker_pool *pool)
{
    unsigned s = atomic_fetch_sub_explicit(&pool->run_state, 1, memory_order_acq_rel);
    if ((s & RUN_CLOSED) && (s & RUN_LANES_MASK) == 1)
        sem_post(&pool->done);
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void *worker_main(void *opaque)
{
    struct worker *w = opaque;
    struct worker_pool *pool = w->pool;
    char name[16];
    snprintf(name, sizeof name, "onair-lane%u", w->lane);
    pthread_setname_np(pthread_self(), name);
    for (;;) {
        while (sem_wait(&w->wake) != 0) {
        }
        if (atomic_load_explicit(&pool->stopping, memory_order_acquire))
            return NULL;
        if (!join_run(pool)) /* a note says only "join the run if it is open" */
            continue;
        pool->part(pool->arg, w->lane);
        atomic_fetch_add_explicit(&w->done_jobs, 1, memory_order_relaxed);
        leave_run(pool);
    }
}

struct worker_pool *worker_pool_new(unsigned lanes, const char **why)
{
    if (lanes < 2 || lanes > WORKER_POOL_MAX_LANES) {
        *why = "the number of workers must be from 2 to 64";
        return NULL;
    }
    struct worker_pool *pool = xcalloc_lines(1, sizeof *pool + (lanes - 1) * sizeof(struct worker));
    pool->lanes = lanes;
    pool->owner = pthread_self();
    atomic_init(&pool->run_state, RUN_CLOSED);
    atomic_init(&pool->stopping, false);
    sem_init(&pool->done, 0, 0);
    for (unsigned i = 0; i + 1 < lanes; i++) {
        struct worker *w = &pool->workers[i];
        w->pool = pool;
        w->lane = i + 1;
        sem_init(&w->wake, 0, 0);
        w->has_wake = true;
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
    atomic_store_explicit(&pool->stopping, true, memory_order_release);
    for (unsigned i = 0; i + 1 < pool->lanes; i++) {
        struct worker *w = &pool->workers[i];
        if (w->started) {
            sem_post(&w->wake);
            pthread_join(w->thread, NULL);
        }
        if (w->has_wake)
            sem_destroy(&w->wake);
    }
    sem_destroy(&pool->done);
    free(pool);
}

unsigned worker_pool_lanes(const struct worker_pool *pool) { return pool->lanes; }

void worker_pool_run(struct worker_pool *pool, worker_part_fn part, void *arg)
{
    pool->part = part;
    pool->arg = arg;
    atomic_store_explicit(&pool->run_state, 0, memory_order_release); /* open, nobody in it */
    for (unsigned i = 0; i + 1 < pool->lanes; i++) {
        struct worker *w = &pool->workers[i];
        int notes;
        if (sem_getvalue(&w->wake, &notes) != 0 || notes < WORKER_MAX_NOTES)
            sem_post(&w->wake);
    }
    part(arg, 0);
    pool->owner_jobs++;
    unsigned s = atomic_fetch_or_explicit(&pool->run_state, RUN_CLOSED, memory_order_acq_rel);
    if (!(s & RUN_LANES_MASK))
        return;
    for (int spin = 0; spin < DONE_SPINS; spin++) {
        if (sem_trywait(&pool->done) == 0)
            return;
        cpu_relax();
    }
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
    int notes = 0;
    sem_getvalue((sem_t *)&w->wake, &notes);
    out->queue_depth = notes > 0 ? (size_t)notes : 0;
}
