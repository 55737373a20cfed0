/* test_quality_auto: when a viewer on automatic quality steps down to a smaller simulcast layer
 * or tries a larger one, from the loss its receiver reports show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers above, which it needs */

#include "sfu/quality_auto.h"

#define S 1000000ull
#define START (100 * S)

/* What a viewer's reports say: packets expected so far (its extended highest sequence number)
 * and lost so far. */
struct receiver {
    struct quality_auto q;
    uint32_t seq;
    int32_t lost;
};

static void start(struct receiver *r)
{
    quality_auto_init(&r->q, START);
    r->seq = 0xfff0; /* past a wrap of the 16-bit numbers soon */
    r->lost = 0;
    /* The first report only marks where the first window starts. */
    assert_int_equal(quality_auto_report(&r->q, r->seq, r->lost, START, true, true), QUALITY_STAY);
}

/* A second of 100 packets, PERCENT of them lost, reported at its end (second T after START). */
static enum quality_step second(struct receiver *r, unsigned t, unsigned percent)
{
    r->seq += 100;
    r->lost += (int32_t)percent;
    return quality_auto_report(&r->q, r->seq, r->lost, START + t * S, true, true);
}

/* Seconds FROM to TO (excluded) with PERCENT lost; returns the first step other than
 * QUALITY_STAY and its second (*AT), or QUALITY_STAY. */
static enum quality_step seconds(struct receiver *r, unsigned from, unsigned to, unsigned percent,
                                 unsigned *at)
{
    for (unsigned t = from; t < to; t++) {
        enum quality_step step = second(r, t, percent);
        if (step != QUALITY_STAY) {
            *at = t;
            return step;
        }
    }
    return QUALITY_STAY;
}

static void test_loss_of_a_count(void **state)
{
    (void)state;
    assert_int_equal(quality_auto_loss(0, 5), 0);
    assert_int_equal(quality_auto_loss(100, 0), 0);
    assert_int_equal(quality_auto_loss(100, -3), 0); /* duplicates */
    assert_int_equal(quality_auto_loss(100, 10), 25);
    assert_int_equal(quality_auto_loss(100, 100), 255);
    assert_int_equal(quality_auto_loss(100, 400), 255);
    assert_int_equal(quality_auto_loss(UINT32_MAX, INT32_MAX), 127);
}

static void test_two_bad_seconds_step_down(void **state)
{
    (void)state;
    struct receiver r;
    start(&r);
    assert_int_equal(second(&r, 1, 15), QUALITY_STAY);
    assert_int_equal(second(&r, 2, 15), QUALITY_DOWN);
    /* The next window starts at the next report: the second after the step is not judged. */
    assert_int_equal(second(&r, 3, 90), QUALITY_STAY);
    /* A clean second between two bad ones starts the count again. */
    assert_int_equal(second(&r, 4, 15), QUALITY_STAY);
    assert_int_equal(second(&r, 5, 0), QUALITY_STAY);
    assert_int_equal(second(&r, 6, 15), QUALITY_STAY);
    assert_int_equal(second(&r, 7, 15), QUALITY_DOWN);
}

static void test_heavy_loss_steps_down_at_once(void **state)
{
    (void)state;
    struct receiver r;
    start(&r);
    assert_int_equal(second(&r, 1, 40), QUALITY_DOWN);
    /* Loss under the bad limit never steps down, however long it lasts. */
    unsigned at = 0;
    assert_int_equal(seconds(&r, 2, 60, 8, &at), QUALITY_STAY);
}

/* Reports a few packets apart (Chromium sends one with each NACK) make one window of a second,
 * judged at its end. */
static void test_windows_of_a_second(void **state)
{
    (void)state;
    struct receiver r;
    start(&r);
    for (unsigned i = 1; i <= 30; i++) {
        r.seq += 2;
        r.lost += 1; /* half of each: 50 % of the window */
        enum quality_step step =
            quality_auto_report(&r.q, r.seq, r.lost, START + i * 50000, true, true);
        assert_int_equal(step, i * 50000 >= QUALITY_AUTO_WINDOW_US ? QUALITY_DOWN : QUALITY_STAY);
        if (step == QUALITY_DOWN)
            break;
    }
    /* Too few packets to tell: a window of 5 with 4 lost is not bad. */
    start(&r);
    r.seq += 5;
    r.lost += 4;
    assert_int_equal(quality_auto_report(&r.q, r.seq, r.lost, START + S, true, true), QUALITY_STAY);
    assert_int_equal(second(&r, 2, 15), QUALITY_STAY);
    /* A report older than the last (reordered on the way) is no window. */
    assert_int_equal(quality_auto_report(&r.q, r.seq - 50, r.lost + 40, START + 4 * S, true, true),
                     QUALITY_STAY);
    assert_int_equal(second(&r, 5, 15), QUALITY_DOWN);
}

static void test_nothing_smaller_nothing_larger(void **state)
{
    (void)state;
    struct receiver r;
    start(&r);
    for (unsigned t = 1; t < 60; t++) {
        r.seq += 100;
        r.lost += 50;
        assert_int_equal(quality_auto_report(&r.q, r.seq, r.lost, START + t * S, false, true),
                         QUALITY_STAY);
    }
    for (unsigned t = 60; t < 120; t++) {
        r.seq += 100;
        assert_int_equal(quality_auto_report(&r.q, r.seq, r.lost, START + t * S, true, false),
                         QUALITY_STAY);
    }
}

static void test_clean_seconds_try_a_larger_layer(void **state)
{
    (void)state;
    struct receiver r;
    start(&r);
    unsigned at = 0;
    assert_int_equal(seconds(&r, 1, 30, 0, &at), QUALITY_UP);
    assert_int_equal(at, QUALITY_AUTO_WAIT_UP_US / S);
    /* 1 % lost is still clean (the next window starts one report after the step); 5 % is not,
     * and puts the next try off. */
    unsigned up = 0;
    assert_int_equal(seconds(&r, at + 1, at + 30, 1, &up), QUALITY_UP);
    assert_int_equal(up, at + QUALITY_AUTO_WAIT_UP_US / S);
    assert_int_equal(seconds(&r, up + 1, up + 6, 0, &at), QUALITY_STAY);
    assert_int_equal(second(&r, up + 6, 5), QUALITY_STAY);
    assert_int_equal(seconds(&r, up + 7, up + 40, 0, &at), QUALITY_UP);
    assert_int_equal(at, up + 6 + QUALITY_AUTO_WAIT_UP_US / S);
}

static void test_failed_tries_wait_longer(void **state)
{
    (void)state;
    struct receiver r;
    start(&r);
    unsigned at = 0, t = 1;
    uint64_t wait_s = QUALITY_AUTO_WAIT_UP_US / S;
    uint64_t since = 0; /* the clean time counts from the step down (second 0 at first) */
    for (int round = 0; round < 8; round++) {
        assert_int_equal(seconds(&r, t, t + 1000, 0, &at), QUALITY_UP);
        assert_int_equal(at - since, wait_s);
        /* The larger layer loses at once: back down (its first second only marks the window),
         * and the next try waits twice as long. */
        assert_int_equal(second(&r, at + 1, 0), QUALITY_STAY);
        assert_int_equal(second(&r, at + 2, 30), QUALITY_DOWN);
        since = at + 2;
        t = at + 3;
        wait_s = wait_s * 2 > QUALITY_AUTO_WAIT_UP_MAX_US / S ? QUALITY_AUTO_WAIT_UP_MAX_US / S
                                                              : wait_s * 2;
    }
    assert_int_equal(wait_s, QUALITY_AUTO_WAIT_UP_MAX_US / S);
    /* A try that held past the trial time ends the doubling: loss later is the link changing. */
    assert_int_equal(seconds(&r, t, t + 1000, 0, &at), QUALITY_UP);
    t = at + QUALITY_AUTO_TRY_US / S + 5;
    assert_int_equal(seconds(&r, at + 1, t, 0, &at), QUALITY_STAY);
    assert_int_equal(second(&r, t, 30), QUALITY_DOWN);
    assert_int_equal(seconds(&r, t + 1, t + 1000, 0, &at), QUALITY_UP);
    assert_int_equal(at - t, QUALITY_AUTO_WAIT_UP_US / S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_of_a_count),
        cmocka_unit_test(test_two_bad_seconds_step_down),
        cmocka_unit_test(test_heavy_loss_steps_down_at_once),
        cmocka_unit_test(test_windows_of_a_second),
        cmocka_unit_test(test_nothing_smaller_nothing_larger),
        cmocka_unit_test(test_clean_seconds_try_a_larger_layer),
        cmocka_unit_test(test_failed_tries_wait_longer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
