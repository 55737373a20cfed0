/* Tests for proto/codec: names, and keyframe detection on real-looking payloads of each codec. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"

struct sample {
    const char *what;
    enum codec_id codec;
    const uint8_t *p;
    size_t len;
    bool start;    /* codec_is_keyframe_start */
    bool keyframe; /* codec_is_keyframe */
};

/* clang-format off */
#define SAMPLE(codec, bytes, start, keyframe)                                                      \
    {#bytes, codec, bytes, sizeof bytes, start, keyframe}
/* clang-format on */

/* VP8 (RFC 7741). The key frame's payload header: frame tag 0x50 (P=0: key frame, show
 * frame, size0 = 2), start code 9d 01 2a, 640x480. */
static const uint8_t vp8_key_m[] = {
    0x90,             /* X=1 S=1 PID=0 */
    0x80,             /* I */
    0x81, 0x23,       /* M=1, picture id 0x123 */
    0x50, 0x42, 0x00, /* frame tag: key frame */
    0x9d, 0x01, 0x2a, /* start code */
    0x80, 0x02, 0xe0, 0x01,
};
static const uint8_t vp8_delta_m[] = {
    0x90, 0x80, 0x81, 0x22, /* as above; a wrong reading of M would see 0x22 as the tag */
    0x51, 0x0d, 0x00,       /* frame tag: P=1, an inter frame */
};
static const uint8_t vp8_key_7bit[] = {0x90, 0x80, 0x23, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a};
static const uint8_t vp8_key_ltk[] = {
    0x90, 0xf0, /* X S; I L T K */
    0x81, 0x23, /* picture id */
    0x05,       /* TL0PICIDX */
    0x20,       /* TID 0, Y=1, KEYIDX 0 */
    0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a,
};
static const uint8_t vp8_delta_lt[] = {
    0x90, 0x60, /* X S; L T */
    0x04,       /* TL0PICIDX */
    0x40,       /* TID 1: an even byte, as if a key frame tag */
    0x51, 0x0d, 0x00,
};
static const uint8_t vp8_delta_k[] = {
    0x90, 0x10, /* X S; K only */
    0x40,       /* TID/Y/KEYIDX: an even byte, as if a key frame tag */
    0x51, 0x0d, 0x00,
};
static const uint8_t vp8_key_plain[] = {0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a};
static const uint8_t vp8_key_continuation[] = {0x80, 0x80, 0x81, 0x23, 0x12, 0x34, 0x56};
static const uint8_t vp8_partition_1[] = {0x11, 0x50, 0x42, 0x00};
static const uint8_t vp8_descriptor_only[] = {0x90, 0x80, 0x81, 0x23};

/* VP9 (RFC 9628). The frame data starts with a key frame's uncompressed header (frame
 * marker and profile 0x82, sync code 49 83 42). */
static const uint8_t vp9_key_ss[] = {
    0xaa,                   /* I=1 P=0 L=1 F=0 B=1 E=0 V=1 */
    0x80, 0x01,             /* M=1, picture id 1 */
    0x00,                   /* TID 0 U 0 SID 0 D 0 */
    0x00,                   /* TL0PICIDX */
    0x18,                   /* SS: N_S=0 (1 layer), Y=1, G=1 */
    0x02, 0x80, 0x01, 0x68, /* 640x360 */
    0x01,                   /* N_G = 1 */
    0x04, 0x01,             /* TID 0 U 0 R=1, P_DIFF 1 */
    0x82, 0x49, 0x83, 0x42, 0x00,
};
static const uint8_t vp9_delta[] = {
    0xe8,       /* I P L B */
    0x80, 0x02, /* picture id 2 */
    0x00, 0x00, /* layer 0, TL0PICIDX */
    0x86, 0x00, 0x40,
};
static const uint8_t vp9_key_middle[] = {
    0xa0, /* I L, neither B nor P: inside a key frame */
    0x80, 0x01, 0x00, 0x00, 0x11, 0x22, 0x33,
};
static const uint8_t vp9_key_m[] = {
    0xa8,       /* I L B, non-flexible */
    0x81, 0x02, /* M=1: a wrong reading would take 0x02 (SID 1) as the layer byte */
    0x00,       /* SID 0 */
    0x07,       /* TL0PICIDX */
    0x82, 0x49, 0x83, 0x42,
};
static const uint8_t vp9_key_no_l[] = {0x88, 0x01, 0x82, 0x49, 0x83, 0x42};
static const uint8_t vp9_svc_key_l0[] = {
    0xba,                   /* I L F B V: flexible mode */
    0x80, 0x05,             /* picture id 5 */
    0x00,                   /* SID 0 (no TL0PICIDX in flexible mode) */
    0x50,                   /* SS: N_S=2 (3 layers), Y=1, G=0 */
    0x01, 0x40, 0x00, 0xb4, /* 320x180 */
    0x02, 0x80, 0x01, 0x68, /* 640x360 */
    0x05, 0x00, 0x02, 0xd0, /* 1280x720 */
    0x82, 0x49, 0x83, 0x42, 0x00,
};
static const uint8_t vp9_svc_key_l1[] = {
    0xb8,       /* I L F B */
    0x80, 0x05, /* same picture */
    0x03,       /* SID 1, D=1: predicted from layer 0 only */
    0x92, 0x00, 0x11,
};
static const uint8_t vp9_flexible_delta[] = {
    0xf8,       /* I P L F B */
    0x80, 0x06, /* picture id 6 */
    0x00,       /* SID 0 */
    0x03, 0x04, /* P_DIFF 1 (N=1), P_DIFF 2 (N=0) */
    0x86, 0x00,
};
static const uint8_t vp9_pdiff_cut[] = {0xf8, 0x80, 0x06, 0x00, 0x03};
static const uint8_t vp9_ss_cut[] = {0xaa, 0x80, 0x01, 0x00, 0x00, 0x18, 0x02, 0x80};
static const uint8_t vp9_no_frame_data[] = {0x88, 0x01};

/* H.264 (RFC 6184). NAL headers: 0x67 SPS, 0x68 PPS, 0x65 IDR slice, 0x41 non-IDR slice,
 * 0x06 SEI; 0x78 STAP-A, 0x79 STAP-B, 0x7c FU-A, 0x7d FU-B, 0x7a MTAP16. */
static const uint8_t h264_stap_sps_pps[] = {
    0x78,                                                       /* STAP-A */
    0x00, 0x0a,                                                 /* size 10 */
    0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8, 0x06, /* SPS */
    0x00, 0x04,                                                 /* size 4 */
    0x68, 0xce, 0x3c, 0x80,                                     /* PPS */
};
static const uint8_t h264_stap_sei_slice[] = {
    0x78, 0x00, 0x03, 0x06, 0x05, 0x01, /* SEI */
    0x00, 0x03, 0x41, 0x9a, 0x02,       /* non-IDR slice */
};
static const uint8_t h264_stap_then_idr[] = {
    0x78, 0x00, 0x03, 0x06, 0x05, 0x01, /* SEI */
    0x00, 0x04, 0x65, 0x88, 0x84, 0x00, /* IDR slice */
};
static const uint8_t h264_stap_bad_size[] = {
    0x78, 0x00, 0x30, 0x67, 0x42, 0xc0, 0x1f, /* size 48 runs past the packet */
};
static const uint8_t h264_stap_zero_size[] = {0x78, 0x00, 0x00, 0x00, 0x02, 0x67, 0x42};
static const uint8_t h264_idr[] = {0x65, 0x88, 0x84, 0x00, 0x33, 0xff};
static const uint8_t h264_sps[] = {0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01};
static const uint8_t h264_pps[] = {0x68, 0xce, 0x3c, 0x80};
static const uint8_t h264_slice[] = {0x41, 0x9a, 0x02, 0x03};
static const uint8_t h264_fua_idr_start[] = {0x7c, 0x85, 0x88, 0x84, 0x00};
static const uint8_t h264_fua_idr_middle[] = {0x7c, 0x05, 0x12, 0x34};
static const uint8_t h264_fua_idr_end[] = {0x7c, 0x45, 0x56, 0x78};
static const uint8_t h264_fua_slice_start[] = {0x5c, 0x81, 0x9a, 0x02};
static const uint8_t h264_fua_header_only[] = {0x7c, 0x85};
static const uint8_t h264_stapb_sps[] = {0x79, 0x00, 0x01, 0x00, 0x02, 0x67, 0x42};
static const uint8_t h264_fub_idr_start[] = {0x7d, 0x85, 0x00, 0x01, 0x88};
static const uint8_t h264_mtap[] = {0x7a, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x67};

/* AV1 (AV1 RTP spec §4.4). Aggregation header |Z|Y|W|N|; OBU headers 0x0a sequence header
 * with size, 0x32 frame with size. */
static const uint8_t av1_key_start[] = {
    0x28,                   /* Z=0 Y=0 W=2 N=1 */
    0x0b,                   /* first element's length */
    0x08, 0x00, 0x00, 0x00, /* sequence header OBU (11 bytes) */
    0x24, 0xcf, 0x7f, 0x0d, /* */
    0xbf, 0xff, 0x30,       /* */
    0x32, 0x10, 0x10,       /* frame OBU (the last element takes the rest) */
};
static const uint8_t av1_key_next[] = {0x90, 0x12, 0x34, 0x56}; /* Z=1 W=1 */
static const uint8_t av1_delta[] = {0x10, 0x32, 0x05, 0x10};    /* W=1, N=0 */
static const uint8_t av1_n_with_z[] = {0x88, 0x32, 0x05};       /* N with Z: contradictory */
static const uint8_t av1_header_only[] = {0x28};

static const uint8_t opus_frame[] = {0xfc, 0xff, 0xfe, 0x00};

static const struct sample samples[] = {
    SAMPLE(CODEC_VP8, vp8_key_m, true, true),
    SAMPLE(CODEC_VP8, vp8_delta_m, false, false),
    SAMPLE(CODEC_VP8, vp8_key_7bit, true, true),
    SAMPLE(CODEC_VP8, vp8_key_ltk, true, true),
    SAMPLE(CODEC_VP8, vp8_delta_lt, false, false),
    SAMPLE(CODEC_VP8, vp8_delta_k, false, false),
    SAMPLE(CODEC_VP8, vp8_key_plain, true, true),
    SAMPLE(CODEC_VP8, vp8_key_continuation, false, false),
    SAMPLE(CODEC_VP8, vp8_partition_1, false, false),
    SAMPLE(CODEC_VP8, vp8_descriptor_only, false, false),
    SAMPLE(CODEC_VP9, vp9_key_ss, true, true),
    SAMPLE(CODEC_VP9, vp9_delta, false, false),
    SAMPLE(CODEC_VP9, vp9_key_middle, false, true),
    SAMPLE(CODEC_VP9, vp9_key_m, true, true),
    SAMPLE(CODEC_VP9, vp9_key_no_l, true, true),
    SAMPLE(CODEC_VP9, vp9_svc_key_l0, true, true),
    SAMPLE(CODEC_VP9, vp9_svc_key_l1, false, false),
    SAMPLE(CODEC_VP9, vp9_flexible_delta, false, false),
    SAMPLE(CODEC_VP9, vp9_pdiff_cut, false, false),
    SAMPLE(CODEC_VP9, vp9_ss_cut, false, false),
    SAMPLE(CODEC_VP9, vp9_no_frame_data, false, false),
    SAMPLE(CODEC_H264, h264_stap_sps_pps, true, true),
    SAMPLE(CODEC_H264, h264_stap_sei_slice, false, false),
    SAMPLE(CODEC_H264, h264_stap_then_idr, true, true),
    SAMPLE(CODEC_H264, h264_stap_bad_size, false, false),
    SAMPLE(CODEC_H264, h264_stap_zero_size, false, false),
    SAMPLE(CODEC_H264, h264_idr, true, true),
    SAMPLE(CODEC_H264, h264_sps, true, true),
    SAMPLE(CODEC_H264, h264_pps, false, false),
    SAMPLE(CODEC_H264, h264_slice, false, false),
    SAMPLE(CODEC_H264, h264_fua_idr_start, true, true),
    SAMPLE(CODEC_H264, h264_fua_idr_middle, false, true),
    SAMPLE(CODEC_H264, h264_fua_idr_end, false, true),
    SAMPLE(CODEC_H264, h264_fua_slice_start, false, false),
    SAMPLE(CODEC_H264, h264_fua_header_only, false, false),
    SAMPLE(CODEC_H264, h264_stapb_sps, true, true),
    SAMPLE(CODEC_H264, h264_fub_idr_start, true, true),
    SAMPLE(CODEC_H264, h264_mtap, false, false),
    SAMPLE(CODEC_AV1, av1_key_start, true, true),
    SAMPLE(CODEC_AV1, av1_key_next, false, false),
    SAMPLE(CODEC_AV1, av1_delta, false, false),
    SAMPLE(CODEC_AV1, av1_n_with_z, false, false),
    SAMPLE(CODEC_AV1, av1_header_only, false, false),
    SAMPLE(CODEC_OPUS, opus_frame, false, false),
    SAMPLE(CODEC_UNKNOWN, vp8_key_m, false, false),
};

static void check_codec(enum codec_id codec)
{
    size_t checked = 0;
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        const struct sample *s = &samples[i];
        if (s->codec != codec)
            continue;
        checked++;
        bool start = codec_is_keyframe_start(s->codec, s->p, s->len);
        bool keyframe = codec_is_keyframe(s->codec, s->p, s->len);
        if (start != s->start || keyframe != s->keyframe)
            fail_msg("%s: start %d keyframe %d, expected %d %d", s->what, start, keyframe, s->start,
                     s->keyframe);
    }
    assert_true(checked > 0);
}

static void test_vp8(void **state)
{
    (void)state;
    check_codec(CODEC_VP8);
}

static void test_vp9(void **state)
{
    (void)state;
    check_codec(CODEC_VP9);
}

static void test_h264(void **state)
{
    (void)state;
    check_codec(CODEC_H264);
}

static void test_av1(void **state)
{
    (void)state;
    check_codec(CODEC_AV1);
}

static void test_audio_and_unknown(void **state)
{
    (void)state;
    check_codec(CODEC_OPUS);
    check_codec(CODEC_UNKNOWN);
    assert_false(codec_is_keyframe_start(CODEC_VP8, NULL, 0));
    assert_false(codec_is_keyframe(CODEC_H264, NULL, 5));
}

/* Every prefix of every sample, in an exactly sized heap copy: ASan sees any overread. And a
 * packet cut short never gains a keyframe that the whole one does not have. */
static void test_prefixes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        const struct sample *s = &samples[i];
        for (size_t len = 0; len <= s->len; len++) {
            uint8_t *copy = malloc(len ? len : 1);
            assert_non_null(copy);
            memcpy(copy, s->p, len);
            for (int c = CODEC_UNKNOWN; c <= CODEC_AV1; c++) {
                bool start = codec_is_keyframe_start((enum codec_id)c, copy, len);
                bool keyframe = codec_is_keyframe((enum codec_id)c, copy, len);
                if (c == (int)s->codec && ((start && !s->start) || (keyframe && !s->keyframe)))
                    fail_msg("%s cut to %zu bytes became a keyframe", s->what, len);
            }
            free(copy);
        }
    }
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(codec_from_name("opus"), CODEC_OPUS);
    assert_int_equal(codec_from_name("OPUS"), CODEC_OPUS);
    assert_int_equal(codec_from_name("vp8"), CODEC_VP8);
    assert_int_equal(codec_from_name("Vp9"), CODEC_VP9);
    assert_int_equal(codec_from_name("h264"), CODEC_H264);
    assert_int_equal(codec_from_name("AV1"), CODEC_AV1);
    assert_int_equal(codec_from_name("AV1X"), CODEC_AV1);
    assert_int_equal(codec_from_name("H265"), CODEC_UNKNOWN);
    assert_int_equal(codec_from_name("rtx"), CODEC_UNKNOWN);
    assert_int_equal(codec_from_name(""), CODEC_UNKNOWN);
    assert_int_equal(codec_from_name(NULL), CODEC_UNKNOWN);
    for (int c = CODEC_OPUS; c <= CODEC_AV1; c++)
        assert_int_equal(codec_from_name(codec_name((enum codec_id)c)), c);
    assert_string_equal(codec_name(CODEC_H264), "H264");
    assert_string_equal(codec_name(CODEC_OPUS), "opus");
    assert_string_equal(codec_name(CODEC_UNKNOWN), "unknown");
    assert_string_equal(codec_name((enum codec_id)42), "unknown");

    assert_false(codec_is_video(CODEC_OPUS));
    assert_true(codec_is_video(CODEC_VP9));
    assert_false(codec_is_video(CODEC_UNKNOWN));
    assert_int_equal(codec_clock_rate(CODEC_OPUS), 48000);
    assert_int_equal(codec_clock_rate(CODEC_AV1), 90000);
    assert_int_equal(codec_clock_rate(CODEC_UNKNOWN), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vp8),
        cmocka_unit_test(test_vp9),
        cmocka_unit_test(test_h264),
        cmocka_unit_test(test_av1),
        cmocka_unit_test(test_audio_and_unknown),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
