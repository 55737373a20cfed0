/* bench/lane-cost: what splitting a fan-out between two lanes costs (base/worker_pool, as
 * server_lanes uses it). Runs a part of W microseconds of work on each of two lanes, with a
 * sleep between runs as the server's loop sleeps between fan-outs, and the same work on one
 * thread; prints the CPU and the wall time per run of both. The split's CPU over the one
 * thread's is what a split fan-out pays for the other core: sfu_internal.h's
 * SFU_LANE_MIN_SENDS is set from it. Usage: build/lane-cost [RUNS] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "base/worker_pool.h"

static double now(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Busy work for ARG microseconds of this thread's CPU. */
static void part(void *arg, unsigned lane)
{
    (void)lane;
    double until = now(CLOCK_THREAD_CPUTIME_ID) + *(const double *)arg / 1e6;
    while (now(CLOCK_THREAD_CPUTIME_ID) < until) {
    }
}

static void pause_between_runs(void)
{
    struct timespec gap = {0, 500000};
    nanosleep(&gap, NULL);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5000;
    const char *why;
    struct worker_pool *pool = worker_pool_new(2, &why);
    if (!pool || runs < 1) {
        fprintf(stderr, "lane-cost: %s\n", pool ? "RUNS must be positive" : why);
        return 1;
    }
    printf("%10s %16s %16s %14s %16s %16s\n", "part us", "split cpu us", "alone cpu us",
           "split extra us", "split wall us", "alone wall us");
    static const double work_us[] = {0, 20, 100, 400};
    for (size_t w = 0; w < sizeof work_us / sizeof work_us[0]; w++) {
        double split_cpu = 0, alone_cpu = 0, split_wall = 0, alone_wall = 0;
        for (int i = 0; i < runs; i++) {
            double c = now(CLOCK_PROCESS_CPUTIME_ID), t = now(CLOCK_MONOTONIC);
            worker_pool_run(pool, part, (void *)&work_us[w]);
            split_cpu += now(CLOCK_PROCESS_CPUTIME_ID) - c;
            split_wall += now(CLOCK_MONOTONIC) - t;
            pause_between_runs();
            c = now(CLOCK_PROCESS_CPUTIME_ID), t = now(CLOCK_MONOTONIC);
            part((void *)&work_us[w], 0);
            part((void *)&work_us[w], 0);
            alone_cpu += now(CLOCK_PROCESS_CPUTIME_ID) - c;
            alone_wall += now(CLOCK_MONOTONIC) - t;
            pause_between_runs();
        }
        printf("%10.0f %16.2f %16.2f %14.2f %16.2f %16.2f\n", work_us[w], split_cpu / runs * 1e6,
               alone_cpu / runs * 1e6, (split_cpu - alone_cpu) / runs * 1e6,
               split_wall / runs * 1e6, alone_wall / runs * 1e6);
    }
    worker_pool_free(pool);
    return 0;
}
