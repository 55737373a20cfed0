/* test_http_range: the byte ranges a recording's download honours, and those it answers with
 * the whole file or 416. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "app/http_range.h"

static void test_ranges(void **state)
{
    (void)state;
    static const struct {
        const char *header;
        uint64_t size;
        enum http_range_result result;
        uint64_t start, len;
    } cases[] = {
        {NULL, 1000, HTTP_RANGE_WHOLE, 0, 0},
        {"bytes=0-99", 1000, HTTP_RANGE_PARTIAL, 0, 100},
        {"bytes=500-", 1000, HTTP_RANGE_PARTIAL, 500, 500},
        {"BYTES=999-999", 1000, HTTP_RANGE_PARTIAL, 999, 1},
        {"bytes=900-5000", 1000, HTTP_RANGE_PARTIAL, 900, 100}, /* cut to the end */
        {"bytes=-100", 1000, HTTP_RANGE_PARTIAL, 900, 100},     /* the last 100 bytes */
        {"bytes=-5000", 1000, HTTP_RANGE_PARTIAL, 0, 1000},
        {"bytes=1000-", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0},  /* past the end */
        {"bytes=-0", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=0-", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0}, /* nothing to give */
        {"bytes=0-1,5-9", 1000, HTTP_RANGE_WHOLE, 0, 0}, /* several: the whole file */
        {"bytes=9-5", 1000, HTTP_RANGE_WHOLE, 0, 0},     /* invalid: ignored */
        {"bytes=-", 1000, HTTP_RANGE_WHOLE, 0, 0},
        {"bytes=a-b", 1000, HTTP_RANGE_WHOLE, 0, 0},
        {"items=0-9", 1000, HTTP_RANGE_WHOLE, 0, 0},
        {"bytes=99999999999999999999-", 1000, HTTP_RANGE_WHOLE, 0, 0}, /* no overflow */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t start = 0, len = 0;
        assert_int_equal(http_range_parse(cases[i].header, cases[i].size, &start, &len),
                         cases[i].result);
        if (cases[i].result == HTTP_RANGE_PARTIAL) {
            assert_int_equal(start, cases[i].start);
            assert_int_equal(len, cases[i].len);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
