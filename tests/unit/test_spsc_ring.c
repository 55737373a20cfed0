/* Tests for base/spsc_ring: order, full and empty, wrap-around, and a producer and a consumer
 * thread passing a million items with nothing lost, repeated or reordered. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "base/spsc_ring.h"

static void capacity_rounds_up_to_a_power_of_two(void **state)
{
    struct spsc_ring r;
    spsc_ring_init(&r, 5);
    assert_int_equal(spsc_ring_capacity(&r), 8);
    spsc_ring_free(&r);
    spsc_ring_init(&r, 0);
    assert_int_equal(spsc_ring_capacity(&r), 2);
    spsc_ring_free(&r);
}

static void fifo_order_full_and_empty_across_wraps(void **state)
{
    struct spsc_ring r;
    spsc_ring_init(&r, 4);
    void *item;
    assert_false(spsc_ring_pop(&r, &item));
    uintptr_t next_in = 1, next_out = 1;
    for (int round = 0; round < 10; round++) {
        /* Fill to the brim: the fifth push is refused and changes nothing. */
        for (int i = 0; i < 4; i++)
            assert_true(spsc_ring_push(&r, (void *)next_in++));
        assert_int_equal(spsc_ring_depth(&r), 4);
        assert_false(spsc_ring_push(&r, (void *)999));
        /* Take three, so the next round's slots straddle the end of the array. */
        for (int i = 0; i < 3; i++) {
            assert_true(spsc_ring_pop(&r, &item));
            assert_int_equal((uintptr_t)item, next_out++);
        }
        assert_int_equal(spsc_ring_depth(&r), 1);
        assert_true(spsc_ring_pop(&r, &item));
        assert_int_equal((uintptr_t)item, next_out++);
        assert_false(spsc_ring_pop(&r, &item));
    }
    spsc_ring_free(&r);
}

#define STRESS_ITEMS 1000000u

static void *produce(void *opaque)
{
    struct spsc_ring *r = opaque;
    for (uintptr_t i = 1; i <= STRESS_ITEMS; i++)
        while (!spsc_ring_push(r, (void *)i)) {
        }
    return NULL;
}

static void two_threads_pass_every_item_once_in_order(void **state)
{
    struct spsc_ring r;
    spsc_ring_init(&r, 64);
    pthread_t producer;
    assert_int_equal(pthread_create(&producer, NULL, produce, &r), 0);
    uintptr_t expected = 1, out_of_order = 0;
    while (expected <= STRESS_ITEMS) {
        void *item;
        if (!spsc_ring_pop(&r, &item))
            continue;
        if ((uintptr_t)item != expected)
            out_of_order++;
        expected++;
    }
    pthread_join(producer, NULL);
    void *item;
    assert_false(spsc_ring_pop(&r, &item));
    assert_int_equal(out_of_order, 0);
    spsc_ring_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(capacity_rounds_up_to_a_power_of_two),
        cmocka_unit_test(fifo_order_full_and_empty_across_wraps),
        cmocka_unit_test(two_threads_pass_every_item_once_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
