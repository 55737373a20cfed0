/* test_loop_load: the media loop's busy share over about the last second, for --max-load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/loop_load.h"

#define MS 1000u  /* a millisecond in microseconds */
#define NS_MS 1e6 /* and in nanoseconds */

/* COUNT spans of LOOP_LOAD_SPAN_US from *AT_US, the loop idling IDLE_SHARE of each, sampled
 * at each span's end as well as at the server's 20 ms ticks in between. */
static void spans(struct loop_load *l, uint64_t *at_us, uint64_t *idle_ns, unsigned count,
                  double idle_share)
{
    for (unsigned i = 0; i < count; i++) {
        for (uint64_t t = 20 * MS; t <= LOOP_LOAD_SPAN_US; t += 20 * MS)
            loop_load_sample(l, *at_us + t, *idle_ns + (uint64_t)(1e3 * t * idle_share));
        *at_us += LOOP_LOAD_SPAN_US;
        *idle_ns += (uint64_t)(1e3 * LOOP_LOAD_SPAN_US * idle_share);
        loop_load_sample(l, *at_us, *idle_ns);
    }
}

static void test_nothing_known_before_a_span(void **state)
{
    (void)state;
    struct loop_load l;
    loop_load_init(&l);
    loop_load_sample(&l, 5000 * MS, 0); /* the first sample: nothing to compare yet */
    loop_load_sample(&l, 5100 * MS, 0); /* a busy 100 ms, under a span: not sampled */
    assert_true(l.busy == 0);
    loop_load_sample(&l, 5250 * MS, 0); /* a span, all of it busy */
    assert_true(l.busy == 1);
}

static void test_share_of_the_last_second(void **state)
{
    (void)state;
    struct loop_load l;
    loop_load_init(&l);
    uint64_t at_us = 0, idle_ns = 0;
    loop_load_sample(&l, at_us, idle_ns);
    spans(&l, &at_us, &idle_ns, 8, 0.9); /* 10 % busy */
    assert_float_equal(l.busy, 0.1, 0.001);
    /* Busy all the time: half a second of it weighs half, a second of it is all that counts. */
    spans(&l, &at_us, &idle_ns, 2, 0);
    assert_float_equal(l.busy, 0.55, 0.001);
    spans(&l, &at_us, &idle_ns, 2, 0);
    assert_float_equal(l.busy, 1, 0.001);
    /* And quiet again. */
    spans(&l, &at_us, &idle_ns, 4, 1);
    assert_float_equal(l.busy, 0, 0.001);
}

static void test_clamped_when_the_clocks_disagree(void **state)
{
    (void)state;
    struct loop_load l;
    loop_load_init(&l);
    /* libuv's idle time and our clock are read apart: idle a hair past the wall time. */
    loop_load_sample(&l, 0, 0);
    loop_load_sample(&l, 250 * MS, 251 * (uint64_t)NS_MS);
    assert_true(l.busy == 0);
}

static void test_late_ticks(void **state)
{
    (void)state;
    struct loop_load l;
    loop_load_init(&l);
    /* A loop too busy to tick on time samples late: the share is over the real span. */
    loop_load_sample(&l, 0, 0);
    loop_load_sample(&l, 900 * MS, 300 * (uint64_t)NS_MS);
    assert_float_equal(l.busy, 2.0 / 3, 0.001);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_known_before_a_span),
        cmocka_unit_test(test_share_of_the_last_second),
        cmocka_unit_test(test_clamped_when_the_clocks_disagree),
        cmocka_unit_test(test_late_ticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
