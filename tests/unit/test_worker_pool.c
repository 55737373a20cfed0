/* Tests for base/worker_pool: the caller's lane runs every run, workers join the runs they wake
 * in time for, on threads of their own, and the caller waits for every worker that joined; work
 * taken from what is left is done once whoever takes it; a bad size is refused; the figures
 * count. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "base/worker_pool.h"

#define LANES 4
#define ITEMS 10000
#define CHUNK 16

/* A run's work, taken a chunk at a time by whichever lanes are in the run (as sfu/forward.c
 * takes viewers). */
struct job {
    atomic_size_t next;
    unsigned runs[LANES];
    pthread_t threads[LANES];
    unsigned values[ITEMS];
};

static void take_chunks(void *arg, unsigned lane)
{
    struct job *job = arg;
    job->runs[lane]++;
    job->threads[lane] = pthread_self();
    for (;;) {
        size_t first = atomic_fetch_add(&job->next, CHUNK);
        if (first >= ITEMS)
            return;
        for (size_t i = first; i < first + CHUNK && i < ITEMS; i++)
            job->values[i]++;
    }
}

static void work_left_is_done_once_whoever_takes_it(void **state)
{
    const char *why = NULL;
    struct worker_pool *pool = worker_pool_new(LANES, &why);
    assert_non_null(pool);
    assert_int_equal(worker_pool_lanes(pool), LANES);
    static struct job job;
    memset(&job, 0, sizeof job);
    for (int run = 0; run < 500; run++) {
        atomic_store(&job.next, 0);
        worker_pool_run(pool, take_chunks, &job);
    }
    size_t wrong = 0;
    for (size_t i = 0; i < ITEMS; i++)
        wrong += job.values[i] != 500;
    assert_int_equal(wrong, 0);
    /* The caller's lane runs every run, on the caller's thread; a worker, the runs it joined,
     * each on its own thread. */
    assert_int_equal(job.runs[0], 500);
    assert_true(pthread_equal(job.threads[0], pthread_self()));
    for (unsigned a = 1; a < LANES; a++) {
        if (!job.runs[a])
            continue;
        assert_false(pthread_equal(job.threads[a], pthread_self()));
        for (unsigned b = a + 1; b < LANES; b++)
            assert_false(job.runs[b] && pthread_equal(job.threads[a], job.threads[b]));
    }
    for (unsigned lane = 0; lane < LANES; lane++) {
        struct worker_stats st;
        worker_pool_stats(pool, lane, &st);
        assert_int_equal(st.jobs, job.runs[lane]);
        assert_true(st.cpu_seconds >= 0);
    }
    worker_pool_free(pool);
}

/* The caller's share holds the run open until every worker is in it; each worker's share takes
 * a millisecond and then marks itself done. When the run returns, every worker's mark is there:
 * the caller waited for the workers that joined. */
struct slow_workers {
    atomic_uint joined;
    atomic_uint finished[LANES];
    unsigned runs;
};

static void slow_worker_share(void *arg, unsigned lane)
{
    struct slow_workers *sw = arg;
    if (lane == 0) {
        for (int k = 0; k < 20000 && atomic_load(&sw->joined) < LANES - 1; k++) {
            struct timespec pause = {0, 100000};
            nanosleep(&pause, NULL);
        }
        return;
    }
    atomic_fetch_add(&sw->joined, 1);
    struct timespec work = {0, 1000000};
    nanosleep(&work, NULL);
    atomic_store(&sw->finished[lane], sw->runs);
}

static void the_caller_waits_for_every_worker_that_joined(void **state)
{
    const char *why = NULL;
    struct worker_pool *pool = worker_pool_new(LANES, &why);
    assert_non_null(pool);
    static struct slow_workers sw;
    memset(&sw, 0, sizeof sw);
    for (unsigned run = 1; run <= 20; run++) {
        sw.runs = run;
        atomic_store(&sw.joined, 0);
        worker_pool_run(pool, slow_worker_share, &sw);
        assert_int_equal(atomic_load(&sw.joined), LANES - 1);
        for (unsigned lane = 1; lane < LANES; lane++)
            assert_int_equal(atomic_load(&sw.finished[lane]), run);
    }
    for (unsigned lane = 1; lane < LANES; lane++) {
        struct worker_stats st;
        worker_pool_stats(pool, lane, &st);
        assert_int_equal(st.jobs, 20);
        assert_int_equal(st.queue_depth, 0);
    }
    worker_pool_free(pool);
}

static void sizes_outside_two_to_sixty_four_are_refused(void **state)
{
    const char *why = NULL;
    assert_null(worker_pool_new(1, &why));
    assert_non_null(why);
    why = NULL;
    assert_null(worker_pool_new(WORKER_POOL_MAX_LANES + 1, &why));
    assert_non_null(why);
    worker_pool_free(NULL);
}

static void a_pool_never_run_stops_cleanly(void **state)
{
    const char *why = NULL;
    struct worker_pool *pool = worker_pool_new(2, &why);
    assert_non_null(pool);
    worker_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(work_left_is_done_once_whoever_takes_it),
        cmocka_unit_test(the_caller_waits_for_every_worker_that_joined),
        cmocka_unit_test(sizes_outside_two_to_sixty_four_are_refused),
        cmocka_unit_test(a_pool_never_run_stops_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
