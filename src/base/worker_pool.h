/* worker_pool: fork-join over threads. A pool of N lanes is the calling thread (lane 0) and N - 1
 * worker threads; worker_pool_run wakes every worker (a semaphore each), runs lane 0's
 * share itself, and returns once every worker that joined the run is done. A worker joins only
 * while the caller is still at its own share: one that wakes later sits the run out, so a part
 * must take its work from what is left (as sfu/forward.c takes viewers in chunks), not count on
 * each lane running. Between runs the workers sleep on a semaphore, so everything a part reads
 * is the caller's, unchanged while the run lasts, and everything the caller reads after the run
 * is each lane's result: no lock is needed on either side. */
#ifndef ONAIR_BASE_WORKER_POOL_H
#define ONAIR_BASE_WORKER_POOL_H
#include <stddef.h>
#include <stdint.h>

#define WORKER_POOL_MAX_LANES 64

struct worker_pool;

/* One lane's share of a job: PART(ARG, LANE) with LANE in 0 .. lanes - 1. */
typedef void (*worker_part_fn)(void *arg, unsigned lane);

/* Starts LANES - 1 worker threads (LANES from 2 to WORKER_POOL_MAX_LANES). Returns NULL and sets
 * *WHY when a thread cannot be made. */
struct worker_pool *worker_pool_new(unsigned lanes, const char **why);
/* Stops and joins the workers; NULL is a no-op. Not during a run. */
void worker_pool_free(struct worker_pool *pool);
unsigned worker_pool_lanes(const struct worker_pool *pool);

/* Runs PART(ARG, 0) on this thread and PART(ARG, LANE) on each worker that wakes before that
 * returns (a worker may, rarely, run it twice), and returns when all of them have returned.
 * Called from one thread only: the one that made the pool. */
void worker_pool_run(struct worker_pool *pool, worker_part_fn part, void *arg);

struct worker_stats {
    uint64_t jobs;       /* shares of runs this lane has finished (a worker: the runs it joined) */
    double cpu_seconds;  /* the lane's thread's CPU time (lane 0: the caller's thread) */
    size_t queue_depth;  /* wake-ups handed to the lane and not yet taken */
};
/* LANE's figures; readable from the pool's thread at any time. */
void worker_pool_stats(const struct worker_pool *pool, unsigned lane, struct worker_stats *out);

#endif
