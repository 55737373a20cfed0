/* Tests for app/pacer: a burst is spread at the pacing rate, in order; the rate follows the
 * measured bitrate; no packet waits past PACER_MAX_HOLD_US; pacer_next_us says when pacer_pop
 * will give; a pause earns no burst; bad lengths are refused. Time is the test's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "app/pacer.h"

/* Pops everything from START_US on, following pacer_next_us; records each packet's leaving
 * time in LEFT_US (by its first byte, the packet's number) and checks the order. Returns when
 * the queue is empty. */
static void drain(struct pacer *p, uint64_t start_us, uint64_t *left_us, size_t n)
{
    uint64_t now = start_us;
    size_t expected = 0;
    while (expected < n) {
        uint64_t next = pacer_next_us(p, now);
        assert_true(next != 0);
        if (next > now)
            now = next;
        const struct pacer_packet *pkt = pacer_pop(p, now);
        assert_non_null(pkt); /* next_us told the truth */
        assert_int_equal(pkt->data[0], (uint8_t)expected);
        left_us[expected++] = now;
    }
    assert_int_equal(pacer_next_us(p, now), 0);
    assert_null(pacer_pop(p, now));
}

static void push_burst(struct pacer *p, uint64_t now_us, size_t n, size_t len)
{
    uint8_t buf[PACER_MAX_PACKET];
    for (size_t i = 0; i < n; i++) {
        memset(buf, (int)i, len);
        assert_true(pacer_push(p, now_us, 1, buf, len));
    }
}

static void a_first_burst_is_spread_over_the_hold_time(void **state)
{
    struct pacer p;
    pacer_init(&p);
    /* 50 x 1200 bytes, nothing measured yet: 480 kbit, at least 2 Mbit/s, and all of it within
     * 100 ms: the drain rate (4.8 Mbit/s) paces it. */
    push_burst(&p, 1000000, 50, 1200);
    uint64_t left[50];
    drain(&p, 1000000, left, 50);
    uint64_t span = left[49] - left[0];
    assert_true(span >= 90000 && span <= PACER_MAX_HOLD_US);
    /* Evenly: no two packets leave closer than half the mean gap. */
    for (size_t i = 1; i < 50; i++)
        assert_true(left[i] - left[i - 1] >= span / 49 / 2);
    pacer_free(&p);
}

static void the_rate_follows_the_measured_bitrate(void **state)
{
    struct pacer p;
    pacer_init(&p);
    uint64_t left[30];
    /* Two seconds of 2.4 Mbit/s: 250 packets of 1200 bytes a second, each popped at once. */
    uint64_t now = 1000000;
    for (int i = 0; i < 500; i++, now += 4000) {
        push_burst(&p, now, 1, 1200);
        drain(&p, now, left, 1);
    }
    double rate = pacer_rate_bps(&p, now);
    assert_true(rate > 2.5 * 2.3e6 && rate < 2.5 * 2.5e6);
    /* A 30-packet keyframe (288 kbit) now leaves at that rate: about 48 ms, under the hold. */
    push_burst(&p, now, 30, 1200);
    drain(&p, now, left, 30);
    uint64_t span = left[29] - left[0];
    uint64_t want = (uint64_t)(29 * 1200 * 8 * 1e6 / rate);
    assert_true(span + 3000 >= want && span <= want + 3000);
    pacer_free(&p);
}

static void a_huge_burst_still_leaves_within_the_hold_time(void **state)
{
    struct pacer p;
    pacer_init(&p);
    push_burst(&p, 5000000, 600, 1400); /* 6.7 Mbit at once */
    uint64_t left[600];
    drain(&p, 5000000, left, 600);
    /* The drain rate is worked out for at least 1 ms ahead: the last one may be that late. */
    assert_true(left[599] - 5000000 <= PACER_MAX_HOLD_US + 2000);
    assert_true(left[599] - 5000000 >= PACER_MAX_HOLD_US / 2); /* spread, not dumped */
    pacer_free(&p);
}

static void a_pause_earns_no_burst(void **state)
{
    struct pacer p;
    pacer_init(&p);
    push_burst(&p, 1000000, 1, 1200);
    uint64_t left[20];
    drain(&p, 1000000, left, 1);
    /* Ten seconds of silence, then 20 packets: only what PACER_MAX_CREDIT_US at the rate (or
     * one packet) covers leaves at once. */
    uint64_t now = 11000000;
    push_burst(&p, now, 20, 1200);
    size_t at_once = 0;
    while (pacer_pop(&p, now))
        at_once++;
    double credit = pacer_rate_bps(&p, now) / 8 / 1e6 * PACER_MAX_CREDIT_US;
    assert_true(at_once >= 1 && at_once <= (size_t)(credit / 1200) + 1);
    pacer_free(&p);
}

/* As a file source hands them: each packet of a frame queued and asked for at once, before the
 * next is queued. Only the first leaves then; the frame still goes at the rate. */
static void packets_queued_one_by_one_are_paced_too(void **state)
{
    struct pacer p;
    pacer_init(&p);
    uint8_t buf[1200];
    size_t at_once = 0;
    for (size_t i = 0; i < 20; i++) {
        memset(buf, (int)i, sizeof buf);
        assert_true(pacer_push(&p, 2000000, 0, buf, sizeof buf));
        if (pacer_pop(&p, 2000000))
            at_once++;
    }
    assert_int_equal(at_once, 1);
    uint64_t left[19];
    uint64_t now = 2000000;
    for (size_t i = 0; i < 19; i++) {
        now = pacer_next_us(&p, now) > now ? pacer_next_us(&p, now) : now;
        assert_non_null(pacer_pop(&p, now));
        left[i] = now;
    }
    /* 19 x 9600 bits at no less than 2 Mbit/s, no more than the drain rate of 100 ms. */
    assert_true(left[18] - 2000000 >= 19 * 9600 * 1000000ull / 4000000);
    assert_true(left[18] - 2000000 <= PACER_MAX_HOLD_US + 2000);
    pacer_free(&p);
}

static void bad_lengths_are_refused(void **state)
{
    struct pacer p;
    pacer_init(&p);
    uint8_t big[PACER_MAX_PACKET + 1] = {0};
    assert_false(pacer_push(&p, 1, 0, big, 0));
    assert_false(pacer_push(&p, 1, 0, big, sizeof big));
    assert_int_equal(pacer_next_us(&p, 1), 0);
    assert_null(pacer_pop(&p, 1));
    pacer_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_first_burst_is_spread_over_the_hold_time),
        cmocka_unit_test(the_rate_follows_the_measured_bitrate),
        cmocka_unit_test(a_huge_burst_still_leaves_within_the_hold_time),
        cmocka_unit_test(a_pause_earns_no_burst),
        cmocka_unit_test(packets_queued_one_by_one_are_paced_too),
        cmocka_unit_test(bad_lengths_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
