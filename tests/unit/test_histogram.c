/* test_histogram: values land in the first bucket whose bound holds them (Prometheus' "le"),
 * cumulative counts, sum and count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "base/histogram.h"

static void test_buckets(void **state)
{
    static const double bounds[] = {1, 10, 100};
    struct histogram h;
    histogram_init(&h, bounds, 3);
    const double values[] = {0.5, 1, 1.5, 10, 99, 100, 101, 1e9};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        histogram_add(&h, values[i]);
    assert_int_equal(histogram_cumulative(&h, 0), 2); /* 0.5 and 1: "le" includes the bound */
    assert_int_equal(histogram_cumulative(&h, 1), 4); /* + 1.5, 10 */
    assert_int_equal(histogram_cumulative(&h, 2), 6); /* + 99, 100 */
    assert_int_equal(histogram_cumulative(&h, 3), 8); /* +Inf: all */
    assert_int_equal(h.count, 8);
    assert_true(h.sum > 1e9 && h.sum < 1e9 + 500);
}

static void test_empty(void **state)
{
    static const double bounds[] = {5};
    struct histogram h;
    histogram_init(&h, bounds, 1);
    assert_int_equal(histogram_cumulative(&h, 1), 0);
    assert_int_equal(h.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
