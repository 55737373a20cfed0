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

/* Pops everything from START_US on, as paced_sender does: wakes at pacer_next_us and takes what
 * may leave. Records each packet's leaving time in LEFT_US (by its first byte, the packet's
 * number) and checks the order. Returns when the queue is empty. */
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
        do {
            assert_int_equal(pkt->data[0], (uint8_t)expected);
            left_us[expected++] = now;
        } while (expected < n && (pkt = pacer_pop(p, now)));
    }
    assert_int_equal(pacer_next_us(p, now), 0);
    assert_null(pacer_pop(p, now));
}

/* No round carries more than PACER_INTERVAL_US at RATE_BPS (or one packet) of LEN-byte packets,
 * and rounds are at least PACER_INTERVAL_US apart. */
static void expect_rounds(const uint64_t *left_us, size_t n, double rate_bps, size_t len)
{
    size_t most = (size_t)(rate_bps / 8 / 1e6 * PACER_INTERVAL_US / (double)len) + 1;
    size_t in_round = 1;
    for (size_t i = 1; i < n; i++) {
        if (left_us[i] == left_us[i - 1]) {
            in_round++;
            assert_true(in_round <= most);
        } else {
            assert_true(left_us[i] - left_us[i - 1] >= PACER_INTERVAL_US);
            in_round = 1;
        }
    }
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
    assert_true(span >= 85000 && span <= PACER_MAX_HOLD_US + 2000);
    /* In rounds of a few packets: the drain rate is highest at the end (the last millisecond). */
    expect_rounds(left, 50, 50 * 1200 * 8 * 1e6 / 1000, 1200);
    size_t first_round = 1;
    while (left[first_round] == left[0])
        first_round++;
    assert_true(first_round <= 6); /* 5 ms at 4.8 Mbit/s is 2.5 packets, plus the one */
    pacer_free(&p);
}

/* A steady stream: N packets of LEN bytes, one every EVERY_US from NOW_US, taken whenever the
 * pacer lets them go, on one timeline. Returns the time the last one left. */
static uint64_t play_steady(struct pacer *p, uint64_t now, size_t len, uint64_t every_us, int n)
{
    uint64_t next_push = now;
    uint8_t buf[PACER_MAX_PACKET] = {0};
    for (int pushed = 0; pushed < n || pacer_next_us(p, now);) {
        uint64_t next_pop = pacer_next_us(p, now);
        if (pushed < n && (!next_pop || next_push <= next_pop)) {
            now = next_push > now ? next_push : now;
            assert_true(pacer_push(p, now, 0, buf, len));
            next_push += every_us;
            pushed++;
        } else {
            now = next_pop > now ? next_pop : now;
            while (pacer_pop(p, now)) {
            }
        }
    }
    return now;
}

static void the_rate_follows_the_measured_bitrate(void **state)
{
    struct pacer p;
    pacer_init(&p);
    uint64_t left[30];
    /* Two seconds of 2.4 Mbit/s: a 1200-byte packet every 4 ms. */
    uint64_t now = play_steady(&p, 1000000, 1200, 4000, 500) + 10000;
    double rate = pacer_rate_bps(&p, now);
    assert_true(rate > 2.5 * 2.3e6 && rate < 2.5 * 2.5e6);
    /* A 30-packet keyframe (288 kbit) now leaves at that rate: about 48 ms, under the hold. */
    push_burst(&p, now, 30, 1200);
    drain(&p, now, left, 30);
    uint64_t span = left[29] - left[0];
    uint64_t want = (uint64_t)(29 * 1200 * 8 * 1e6 / rate);
    assert_true(span + PACER_INTERVAL_US + 1000 >= want && span <= want + PACER_INTERVAL_US);
    expect_rounds(left, 30, rate, 1200);
    pacer_free(&p);
}

/* At 1.5 Mbit/s of 1,208-byte packets the rate is 3.75 Mbit/s, and a round's worth (2,344 bytes)
 * holds one packet and most of another: what a round leaves over must count towards the next,
 * or only one packet leaves every round, half the rate. */
static void the_rate_holds_when_a_round_is_under_two_packets(void **state)
{
    struct pacer p;
    pacer_init(&p);
    uint64_t now = play_steady(&p, 1000000, 1208, 6443, 320) + 10000;
    double rate = pacer_rate_bps(&p, now);
    assert_true(rate > 2.5 * 1.4e6 && rate < 2.5 * 1.6e6);
    /* A 23-packet keyframe: 59 ms at that rate, under the hold (which would speed it up). */
    uint64_t left[23];
    push_burst(&p, now, 23, 1208);
    drain(&p, now, left, 23);
    uint64_t span = left[22] - left[0];
    uint64_t want = (uint64_t)(22 * 1208 * 8 * 1e6 / rate);
    assert_true(span + PACER_INTERVAL_US + 1000 >= want && span <= want + PACER_INTERVAL_US);
    expect_rounds(left, 23, rate, 1208);
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
    /* Ten seconds of silence, then 20 packets: only what PACER_INTERVAL_US at the rate (or
     * one packet) covers leaves at once. */
    uint64_t now = 11000000;
    push_burst(&p, now, 20, 1200);
    size_t at_once = 0;
    while (pacer_pop(&p, now))
        at_once++;
    double credit = pacer_rate_bps(&p, now) / 8 / 1e6 * PACER_INTERVAL_US;
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
        cmocka_unit_test(the_rate_holds_when_a_round_is_under_two_packets),
        cmocka_unit_test(a_huge_burst_still_leaves_within_the_hold_time),
        cmocka_unit_test(a_pause_earns_no_burst),
        cmocka_unit_test(packets_queued_one_by_one_are_paced_too),
        cmocka_unit_test(bad_lengths_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
