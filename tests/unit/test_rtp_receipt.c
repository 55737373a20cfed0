/* test_rtp_receipt: loss as a receiver counts it, with reordering and retransmissions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/rtp_receipt.h"

static void test_in_order(void **state)
{
    (void)state;
    struct rtp_receipt r = {0};
    for (unsigned i = 0; i < 70000; i++) /* across the 16-bit wrap */
        assert_int_equal(rtp_receipt_note(&r, (uint16_t)(65000 + i)), RTP_RECEIPT_NEW);
    assert_int_equal(r.missing, 0);
    assert_int_equal(r.late + r.duplicates + r.stale, 0);
}

static void test_gap_filled_by_retransmission(void **state)
{
    (void)state;
    struct rtp_receipt r = {0};
    rtp_receipt_note(&r, 65534);
    rtp_receipt_note(&r, 2); /* 65535, 0 and 1 skipped */
    assert_int_equal(r.missing, 3);
    assert_int_equal(rtp_receipt_note(&r, 0), RTP_RECEIPT_LATE);
    assert_int_equal(rtp_receipt_note(&r, 65535), RTP_RECEIPT_LATE);
    assert_int_equal(r.missing, 1);
    /* The same repair twice (two NACKs answered) is a duplicate, not a second gap filled. */
    assert_int_equal(rtp_receipt_note(&r, 0), RTP_RECEIPT_DUPLICATE);
    assert_int_equal(rtp_receipt_note(&r, 2), RTP_RECEIPT_DUPLICATE);
    assert_int_equal(r.missing, 1);
    assert_int_equal(r.late, 2);
    assert_int_equal(r.duplicates, 2);
}

static void test_window(void **state)
{
    (void)state;
    struct rtp_receipt r = {0};
    rtp_receipt_note(&r, 100);
    rtp_receipt_note(&r, 102);
    for (uint16_t s = 103; s < 100 + RTP_RECEIPT_WINDOW; s++)
        rtp_receipt_note(&r, s);
    assert_int_equal(rtp_receipt_note(&r, 101), RTP_RECEIPT_LATE); /* the window's far end */
    assert_int_equal(r.missing, 0);
    /* A number the window moved past is stale: neither late nor duplicate. */
    rtp_receipt_note(&r, 100 + RTP_RECEIPT_WINDOW + 6); /* 6 skipped after 100 + WINDOW - 1 */
    assert_int_equal(r.missing, 6);
    assert_int_equal(rtp_receipt_note(&r, 105), RTP_RECEIPT_STALE);
    /* The window's bits were cleared for the numbers skipped, which it had held before. */
    assert_int_equal(rtp_receipt_note(&r, 101 + RTP_RECEIPT_WINDOW), RTP_RECEIPT_LATE);
    assert_int_equal(r.missing, 5);
}

static void test_jump_past_the_window(void **state)
{
    (void)state;
    struct rtp_receipt r = {0};
    rtp_receipt_note(&r, 10);
    rtp_receipt_note(&r, 11);
    rtp_receipt_note(&r, 5000);
    assert_int_equal(r.missing, 5000 - 12);
    assert_int_equal(rtp_receipt_note(&r, 4999), RTP_RECEIPT_LATE);
    assert_int_equal(rtp_receipt_note(&r, 5000 - RTP_RECEIPT_WINDOW + 1), RTP_RECEIPT_LATE);
    assert_int_equal(rtp_receipt_note(&r, 11), RTP_RECEIPT_STALE);
    assert_int_equal(r.missing, 5000 - 14);
}

static void test_before_the_first(void **state)
{
    (void)state;
    struct rtp_receipt r = {0};
    rtp_receipt_note(&r, 7);
    /* Sent before the packet this receiver started with: never counted missing, not taken back. */
    assert_int_equal(rtp_receipt_note(&r, 6), RTP_RECEIPT_STALE);
    assert_int_equal(r.missing, 0);
    rtp_receipt_note(&r, 9);
    assert_int_equal(rtp_receipt_note(&r, 8), RTP_RECEIPT_LATE);
    assert_int_equal(rtp_receipt_note(&r, 7), RTP_RECEIPT_DUPLICATE);
    assert_int_equal(r.missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_gap_filled_by_retransmission),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_jump_past_the_window),
        cmocka_unit_test(test_before_the_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
