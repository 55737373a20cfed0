/* test_rfc4571: frames cut from a byte stream however it is split, and the refusal of an
 * oversized length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/rfc4571.h"

struct seen {
    size_t n;
    size_t lens[8];
    uint8_t first[8];
};

static void on_frame(void *opaque, const uint8_t *frame, size_t len)
{
    struct seen *s = opaque;
    s->lens[s->n] = len;
    s->first[s->n] = frame[0];
    s->n++;
}

/* Three frames: a 20-byte STUN-like one (0x00...), a zero-length one (skipped), a 3-byte one. */
static const uint8_t stream[] = {
    0x00, 0x14, /* length 20 */
    0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    0x00, 0x00, /* length 0 */
    0x00, 0x03, /* length 3 */
    0x80, 0x60, 0x00,
};

static void test_whole_and_split(void **state)
{
    for (size_t step = 1; step <= sizeof stream; step++) {
        struct rfc4571_reader r;
        rfc4571_reader_init(&r);
        struct seen s = {0};
        const char *why = NULL;
        for (size_t at = 0; at < sizeof stream; at += step) {
            size_t n = sizeof stream - at < step ? sizeof stream - at : step;
            assert_int_equal(rfc4571_feed(&r, stream + at, n, on_frame, &s, &why), 0);
        }
        assert_int_equal(s.n, 2);
        assert_int_equal(s.lens[0], 20);
        assert_int_equal(s.first[0], 0x00);
        assert_int_equal(s.lens[1], 3);
        assert_int_equal(s.first[1], 0x80);
    }
}

static void test_oversized(void **state)
{
    struct rfc4571_reader r;
    rfc4571_reader_init(&r);
    struct seen s = {0};
    const char *why = NULL;
    const uint8_t big[] = {0x10, 0x01}; /* 4097 */
    assert_int_equal(rfc4571_feed(&r, big, 2, on_frame, &s, &why), -1);
    assert_string_equal(why, "a frame longer than 4096 bytes");
    assert_int_equal(s.n, 0);
    /* The largest allowed is fine. */
    rfc4571_reader_init(&r);
    static uint8_t max[2 + RFC4571_MAX_FRAME] = {0x10, 0x00, 0x55};
    assert_int_equal(rfc4571_feed(&r, max, sizeof max, on_frame, &s, &why), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.lens[0], RFC4571_MAX_FRAME);
}

static void test_header(void **state)
{
    uint8_t h[2];
    assert_int_equal(rfc4571_header(h, 1200), 0);
    assert_int_equal(h[0], 0x04);
    assert_int_equal(h[1], 0xb0);
    assert_int_equal(rfc4571_header(h, 65536), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_and_split),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
