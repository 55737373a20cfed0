/* test_vp8_ids: a VP8 payload descriptor's picture ID and TL0PICIDX, read and rewritten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h> /* after the headers above, which it needs */

#include "proto/vp8_ids.h"

static void test_long_picture_id_and_tl0(void **state)
{
    (void)state;
    /* X, S; I L T; M + 0x1234; TL0PICIDX 7; TID/Y/KEYIDX; then the payload header. */
    uint8_t p[] = {0x90, 0xe0, 0x80 | 0x12, 0x34, 0x07, 0x40, 0x50, 0xaa};
    struct vp8_ids ids;
    const char *why;
    assert_int_equal(vp8_ids_parse(&ids, p, sizeof p, &why), 0);
    assert_true(ids.has_picture_id && ids.long_picture_id && ids.has_tl0);
    assert_int_equal(ids.picture_id, 0x1234);
    assert_int_equal(ids.tl0_pic_idx, 7);
    assert_int_equal(vp8_picture_id_span(&ids), 0x8000);
    ids.picture_id = 0x7fff;
    ids.tl0_pic_idx = 255;
    vp8_ids_write(p, &ids);
    const uint8_t want[] = {0x90, 0xe0, 0xff, 0xff, 0xff, 0x40, 0x50, 0xaa};
    assert_memory_equal(p, want, sizeof want);
    /* A value past the width is masked: the M bit and what follows stay. */
    ids.picture_id = 0x8001;
    vp8_ids_write(p, &ids);
    assert_int_equal(p[2], 0x80);
    assert_int_equal(p[3], 0x01);
    assert_int_equal(p[5], 0x40);
}

static void test_short_picture_id(void **state)
{
    (void)state;
    uint8_t p[] = {0x90, 0x80, 0x05, 0x10, 0x50};
    struct vp8_ids ids;
    const char *why;
    assert_int_equal(vp8_ids_parse(&ids, p, sizeof p, &why), 0);
    assert_true(ids.has_picture_id && !ids.long_picture_id && !ids.has_tl0);
    assert_int_equal(ids.picture_id, 5);
    assert_int_equal(vp8_picture_id_span(&ids), 0x80);
    ids.picture_id = 0x80 + 3; /* wraps at 128 */
    vp8_ids_write(p, &ids);
    const uint8_t want[] = {0x90, 0x80, 0x03, 0x10, 0x50};
    assert_memory_equal(p, want, sizeof want);
}

static void test_without_the_fields(void **state)
{
    (void)state;
    const uint8_t no_x[] = {0x10, 0x50, 0x00};
    const uint8_t x_without[] = {0x90, 0x10, 0x50}; /* X set, only K */
    struct vp8_ids ids;
    const char *why;
    assert_int_equal(vp8_ids_parse(&ids, no_x, sizeof no_x, &why), 0);
    assert_false(ids.has_picture_id || ids.has_tl0);
    assert_int_equal(vp8_ids_parse(&ids, x_without, sizeof x_without, &why), 0);
    assert_false(ids.has_picture_id || ids.has_tl0);
    uint8_t copy[sizeof no_x];
    memcpy(copy, no_x, sizeof copy);
    vp8_ids_write(copy, &ids);
    assert_memory_equal(copy, no_x, sizeof copy);
}

static void test_cut_short(void **state)
{
    (void)state;
    const uint8_t full[] = {0x90, 0xc0, 0x80 | 0x12, 0x34, 0x07};
    struct vp8_ids ids;
    for (size_t len = 0; len < sizeof full; len++) {
        const char *why = NULL;
        assert_int_equal(vp8_ids_parse(&ids, full, len, &why), -1);
        assert_non_null(why);
    }
    const char *why;
    assert_int_equal(vp8_ids_parse(&ids, full, sizeof full, &why), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_picture_id_and_tl0),
        cmocka_unit_test(test_short_picture_id),
        cmocka_unit_test(test_without_the_fields),
        cmocka_unit_test(test_cut_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
