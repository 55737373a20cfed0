/* Tests for base/hmap: put, get, replace, delete, growth past many entries and tombstone reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "base/hmap.h"

static void put_get_replace_delete(void **state)
{
    struct hmap m;
    hmap_init(&m);
    int a = 1, b = 2;
    assert_int_equal(hmap_put(&m, "alpha", 5, &a), 0);
    assert_ptr_equal(hmap_get(&m, "alpha", 5), &a);
    assert_null(hmap_get(&m, "alph", 4));
    assert_int_equal(hmap_put(&m, "alpha", 5, &b), 0);
    assert_ptr_equal(hmap_get(&m, "alpha", 5), &b);
    assert_int_equal(hmap_count(&m), 1);
    assert_ptr_equal(hmap_del(&m, "alpha", 5), &b);
    assert_null(hmap_get(&m, "alpha", 5));
    assert_null(hmap_del(&m, "alpha", 5));
    assert_int_equal(hmap_count(&m), 0);
    hmap_free(&m);
}

static void many_keys_survive_growth_and_churn(void **state)
{
    struct hmap m;
    hmap_init(&m);
    static int values[5000];
    char key[32];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5000; i++) {
            int n = snprintf(key, sizeof key, "k%d", i);
            assert_int_equal(hmap_put(&m, key, (size_t)n, &values[i]), 0);
        }
        for (int i = 0; i < 5000; i++) {
            int n = snprintf(key, sizeof key, "k%d", i);
            assert_ptr_equal(hmap_get(&m, key, (size_t)n), &values[i]);
        }
        for (int i = 0; i < 5000; i += 2) {
            int n = snprintf(key, sizeof key, "k%d", i);
            assert_ptr_equal(hmap_del(&m, key, (size_t)n), &values[i]);
        }
        assert_int_equal(hmap_count(&m), 2500);
        for (int i = 1; i < 5000; i += 2) {
            int n = snprintf(key, sizeof key, "k%d", i);
            assert_ptr_equal(hmap_del(&m, key, (size_t)n), &values[i]);
        }
        assert_int_equal(hmap_count(&m), 0);
    }
    hmap_free(&m);
}

static void oversized_key_refused(void **state)
{
    struct hmap m;
    hmap_init(&m);
    char key[HMAP_KEY_MAX + 1] = {0};
    assert_int_equal(hmap_put(&m, key, sizeof key, key), -1);
    assert_null(hmap_get(&m, key, sizeof key));
    hmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_get_replace_delete),
        cmocka_unit_test(many_keys_survive_growth_and_churn),
        cmocka_unit_test(oversized_key_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
