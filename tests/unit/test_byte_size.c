/* test_byte_size: the sizes --max-file-size takes, and the ones it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/byte_size.h"

static void test_accepted(void **state)
{
    (void)state;
    static const struct { const char *text; uint64_t bytes; } cases[] = {
        {"0", 0},
        {"104857600", 104857600},
        {"100M", 100ull << 20},
        {"100MiB", 100ull << 20},
        {"512k", 512ull << 10},
        {"2G", 2ull << 30},
        {"3gib", 3ull << 30},
        {"9223372036854775807", 9223372036854775807ull},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t bytes = 1;
        assert_int_equal(byte_size_parse(cases[i].text, &bytes), 0);
        assert_int_equal(bytes, cases[i].bytes);
    }
}

static void test_refused(void **state)
{
    (void)state;
    static const char *bad[] = {"", "M", "-1", "1.5M", "10 M", "10MB", "10T", "1Mi",
                                "99999999999999999999", "9000000000G",
                                /* 1.9e19 wraps a 64-bit product to a small number */
                                "19000000000000000000", "9223372036854775808"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t bytes = 7;
        assert_int_equal(byte_size_parse(bad[i], &bytes), -1);
        assert_int_equal(bytes, 7); /* untouched */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
