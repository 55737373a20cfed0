/* test_backoff: the waits between attempts to reach a lost source or origin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/backoff.h"

static void test_doubles_to_the_ceiling(void **state)
{
    (void)state;
    static const unsigned expected[] = {1, 1, 2, 4, 8, 16, 30, 30, 30};
    for (unsigned failures = 0; failures < sizeof expected / sizeof expected[0]; failures++)
        assert_int_equal(backoff_s(failures, 30), expected[failures]);
}

static void test_never_past_the_ceiling(void **state)
{
    (void)state;
    /* Long outages count thousands of failures: no overflowing shift, no wait of 0. */
    for (unsigned failures = 0; failures < 5000; failures++) {
        unsigned wait_s = backoff_s(failures, 30);
        assert_true(wait_s >= 1 && wait_s <= 30);
    }
    assert_int_equal(backoff_s(4000000000u, 30), 30);
    assert_int_equal(backoff_s(3, 3), 3);
    assert_int_equal(backoff_s(9, 3), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubles_to_the_ceiling),
        cmocka_unit_test(test_never_past_the_ceiling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
