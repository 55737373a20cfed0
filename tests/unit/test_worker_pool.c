/* Tests for base/worker_pool: every lane runs its share of every run exactly once, on a thread of
 * its own, results are visible after the run, a bad size is refused, and the figures count. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/worker_pool.h"

#define LANES 4
#define ITEMS 10000

struct job {
    unsigned lanes;
    unsigned runs[LANES];
    pthread_t threads[LANES];
    unsigned values[ITEMS]; /* each lane adds 1 to its stride of the items */
};

static void add_my_stride(void *arg, unsigned lane)
{
    struct job *job = arg;
    job->runs[lane]++;
    job->threads[lane] = pthread_self();
    for (size_t i = lane; i < ITEMS; i += job->lanes)
        job->values[i]++;
}

static void every_lane_runs_once_per_run_on_its_own_thread(void **state)
{
    const char *why = NULL;
    struct worker_pool *pool = worker_pool_new(LANES, &why);
    assert_non_null(pool);
    assert_int_equal(worker_pool_lanes(pool), LANES);
    static struct job job;
    memset(&job, 0, sizeof job);
    job.lanes = LANES;
    for (int run = 0; run < 500; run++)
        worker_pool_run(pool, add_my_stride, &job);
    for (unsigned lane = 0; lane < LANES; lane++)
        assert_int_equal(job.runs[lane], 500);
    /* Lane 0 is the caller; the others are distinct threads. */
    assert_true(pthread_equal(job.threads[0], pthread_self()));
    for (unsigned a = 1; a < LANES; a++) {
        assert_false(pthread_equal(job.threads[a], pthread_self()));
        for (unsigned b = a + 1; b < LANES; b++)
            assert_false(pthread_equal(job.threads[a], job.threads[b]));
    }
    size_t wrong = 0;
    for (size_t i = 0; i < ITEMS; i++)
        wrong += job.values[i] != 500;
    assert_int_equal(wrong, 0);
    for (unsigned lane = 0; lane < LANES; lane++) {
        struct worker_stats st;
        worker_pool_stats(pool, lane, &st);
        assert_int_equal(st.jobs, 500);
        assert_int_equal(st.queue_depth, 0);
        assert_true(st.cpu_seconds >= 0);
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
        cmocka_unit_test(every_lane_runs_once_per_run_on_its_own_thread),
        cmocka_unit_test(sizes_outside_two_to_sixty_four_are_refused),
        cmocka_unit_test(a_pool_never_run_stops_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
