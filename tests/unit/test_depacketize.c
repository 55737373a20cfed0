/* Unit tests for depacketize: reordering, NACK lists, loss handling and the payload formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/depacketize.h"
#include "app/whip_client.h"

/* An RTP packet: 12-byte header (V=2, PT 96, SSRC 0x11223344) then PAYLOAD. */
static size_t make_rtp(uint8_t *out, uint16_t seq, uint32_t ts, bool marker, const uint8_t *payload,
                       size_t len)
{
    uint8_t header[12] = {0x80, (uint8_t)(96 | (marker ? 0x80 : 0)), (uint8_t)(seq >> 8),
                          (uint8_t)seq, (uint8_t)(ts >> 24), (uint8_t)(ts >> 16),
                          (uint8_t)(ts >> 8), (uint8_t)ts, 0x11, 0x22, 0x33, 0x44};
    memcpy(out, header, 12);
    memcpy(out + 12, payload, len);
    return 12 + len;
}

static void push(struct depacketizer *d, uint16_t seq, uint32_t ts, bool marker,
                 const uint8_t *payload, size_t len, uint64_t now)
{
    uint8_t pkt[1500];
    assert_int_equal(depack_push(d, pkt, make_rtp(pkt, seq, ts, marker, payload, len), now), 0);
}

/* A VP8 keyframe in three packets whose middle one arrives last (after a NACK). */
static void test_vp8_reordered_keyframe(void **state)
{
    struct depacketizer *d = depack_new(DEPACK_VP8);
    /* Descriptor 0x10: S=1, PID 0. Payload: frame tag with the key bit clear (0x50), start code
     * 9d 01 2a, width 320 (0x0140), height 240 (0x00f0). */
    const uint8_t first[] = {0x10, 0x50, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    const uint8_t second[] = {0x00, 0xaa, 0xbb}; /* S=0: a continuation */
    struct depack_frame f;
    push(d, 1000, 9000, false, first, sizeof first, 0);
    push(d, 1002, 9000, true, second, sizeof second, 1);
    assert_int_equal(depack_pop(d, 1, &f), 0); /* 1001 missing: wait */
    uint16_t lost[8];
    assert_int_equal(depack_missing(d, 1, lost, 8), 1);
    assert_int_equal(lost[0], 1001);
    assert_int_equal(depack_missing(d, 2, lost, 8), 0); /* not again so soon */
    assert_int_equal(depack_missing(d, 2 + DEPACK_NACK_RETRY_MS, lost, 8), 1);
    const uint8_t middle[] = {0x00, 0x11};
    push(d, 1001, 9000, false, middle, sizeof middle, 5);
    assert_int_equal(depack_pop(d, 5, &f), 1);
    assert_true(f.keyframe);
    assert_int_equal(f.timestamp, 9000);
    const uint8_t expect[] = {0x50, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0x11, 0xaa, 0xbb};
    assert_int_equal(f.len, sizeof expect);
    assert_memory_equal(f.data, expect, sizeof expect);
    int w, h;
    assert_int_equal(depack_vp8_size(f.data, f.len, &w, &h), 0);
    assert_int_equal(w, 320);
    assert_int_equal(h, 240);
    depack_free(d);
}

/* A lost packet that is never repaired: the frame is dropped, later delta frames too, and a
 * keyframe is asked for; the next keyframe resumes output. */
static void test_vp8_loss_waits_for_keyframe(void **state)
{
    struct depacketizer *d = depack_new(DEPACK_VP8);
    const uint8_t key[] = {0x10, 0x50, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    const uint8_t delta_start[] = {0x10, 0x51, 0x00};
    const uint8_t cont[] = {0x00, 0x33};
    struct depack_frame f;
    push(d, 1, 0, true, key, sizeof key, 0);
    assert_int_equal(depack_pop(d, 0, &f), 1);
    assert_false(depack_want_keyframe(d));
    push(d, 2, 3000, false, delta_start, sizeof delta_start, 10);
    /* 3 is lost */
    push(d, 4, 3000, true, cont, sizeof cont, 10);
    push(d, 5, 6000, true, delta_start, sizeof delta_start, 20);
    assert_int_equal(depack_pop(d, 20, &f), 0);
    assert_int_equal(depack_pop(d, 10 + DEPACK_WAIT_MS, &f), 0); /* given up; delta dropped */
    assert_true(depack_want_keyframe(d));
    assert_false(depack_want_keyframe(d));
    push(d, 6, 9000, true, key, sizeof key, 400);
    assert_int_equal(depack_pop(d, 400, &f), 1);
    assert_int_equal(f.timestamp, 9000);
    struct depack_stats stats;
    depack_stats(d, &stats);
    assert_int_equal(stats.lost, 1);
    assert_int_equal(stats.frames, 2);
    depack_free(d);
}

/* RFC 6184: STAP-A with SPS and PPS, then an IDR in two FU-A fragments, to Annex B. */
static void test_h264_stap_a_and_fu_a(void **state)
{
    struct depacketizer *d = depack_new(DEPACK_H264);
    const uint8_t stap[] = {0x78,                         /* STAP-A, NRI 3 */
                            0x00, 0x03, 0x67, 0x42, 0x1f, /* SPS, 3 bytes */
                            0x00, 0x02, 0x68, 0xce};      /* PPS, 2 bytes */
    const uint8_t fu1[] = {0x7c, 0x85, 0xaa, 0xbb}; /* FU-A, S=1, type 5 */
    const uint8_t fu2[] = {0x7c, 0x45, 0xcc};       /* FU-A, E=1 */
    struct depack_frame f;
    push(d, 10, 1000, false, stap, sizeof stap, 0);
    push(d, 11, 1000, false, fu1, sizeof fu1, 0);
    push(d, 12, 1000, true, fu2, sizeof fu2, 0);
    assert_int_equal(depack_pop(d, 0, &f), 1);
    assert_true(f.keyframe);
    const uint8_t expect[] = {0, 0, 0, 1, 0x67, 0x42, 0x1f, 0, 0, 0, 1, 0x68, 0xce,
                              0, 0, 0, 1, 0x65, 0xaa, 0xbb, 0xcc};
    assert_int_equal(f.len, sizeof expect);
    assert_memory_equal(f.data, expect, sizeof expect);
    /* A delta frame whose FU-A start was lost is not output. */
    push(d, 14, 4000, true, fu2, sizeof fu2, 1);
    assert_int_equal(depack_pop(d, 1 + DEPACK_WAIT_MS, &f), 0);
    assert_true(depack_want_keyframe(d));
    depack_free(d);
}

/* Opus: one frame per packet; duplicates and old packets are refused. */
static void test_opus_and_duplicates(void **state)
{
    struct depacketizer *d = depack_new(DEPACK_OPUS);
    const uint8_t a[] = {0xfc, 0x01}, b[] = {0xfc, 0x02};
    uint8_t pkt[64];
    struct depack_frame f;
    push(d, 65535, 0, true, a, sizeof a, 0);
    push(d, 0, 960, true, b, sizeof b, 0); /* the sequence number wraps */
    assert_int_equal(depack_push(d, pkt, make_rtp(pkt, 0, 960, true, b, sizeof b), 0), -1);
    assert_int_equal(depack_pop(d, 0, &f), 1);
    assert_int_equal(f.timestamp, 0);
    assert_int_equal(depack_pop(d, 0, &f), 1);
    assert_int_equal(f.timestamp, 960);
    assert_memory_equal(f.data, b, sizeof b);
    assert_int_equal(depack_pop(d, 0, &f), 0);
    assert_int_equal(depack_push(d, pkt, make_rtp(pkt, 65535, 0, true, a, sizeof a), 0), -1);
    assert_int_equal(depack_push(d, pkt, 5, 0), -1); /* not RTP */
    depack_free(d);
}

/* VP9 (RFC 9628): I with a 15-bit picture id, B and E, no P: a one-packet keyframe. */
static void test_vp9_keyframe(void **state)
{
    struct depacketizer *d = depack_new(DEPACK_VP9);
    /* Descriptor I B E, picture id 0x0001; then the frame: 0x82 is frame_marker 2, profile 0,
     * show_existing_frame 0, frame_type 0 (KEY_FRAME). */
    const uint8_t p[] = {0x8c, 0x80, 0x01, 0x82, 0x49};
    /* The same with frame_type 1 (0x86): an inter frame even though P is clear. */
    const uint8_t inter[] = {0x8c, 0x80, 0x02, 0x86, 0x49};
    struct depack_frame f;
    push(d, 7, 0, true, p, sizeof p, 0);
    assert_int_equal(depack_pop(d, 0, &f), 1);
    assert_true(f.keyframe);
    assert_int_equal(f.len, 2);
    assert_int_equal(f.data[0], 0x82);
    push(d, 8, 3000, true, inter, sizeof inter, 0);
    assert_int_equal(depack_pop(d, 0, &f), 1);
    assert_false(f.keyframe);
    assert_int_equal(depack_codec_from_name("vp9"), DEPACK_VP9);
    assert_int_equal(depack_codec_from_name("G722"), -1);
    depack_free(d);
}

/* An AV1 keyframe in two packets: a temporal delimiter (left out), a sequence header (whole,
 * with a LEB128 length), and a frame OBU split across the packets (Y, then Z). Out come OBUs with
 * size fields, and the sequence header is found for the container. Then a delta frame whose
 * first packet is lost is not passed on half-made. */
static void test_av1_obus(void **state)
{
    (void)state;
    struct depacketizer *d = depack_new(DEPACK_AV1);
    /* Aggregation header 0x48: Y=1, W=0, N=1. Elements: [1] 0x10 (temporal delimiter), [3] 0x08
     * (sequence header) aa bb, [3] 0x30 (frame, type 6) 01 02 (to be continued). */
    const uint8_t first[] = {0x48, 0x01, 0x10, 0x03, 0x08, 0xaa, 0xbb, 0x03, 0x30, 0x01, 0x02};
    /* 0x90: Z=1, W=1: the rest of the frame OBU, no length field. */
    const uint8_t second[] = {0x90, 0x03, 0x04, 0x05};
    push(d, 10, 3000, false, first, sizeof first, 0);
    push(d, 11, 3000, true, second, sizeof second, 0);
    struct depack_frame f;
    assert_int_equal(depack_pop(d, 0, &f), 1);
    assert_true(f.keyframe);
    const uint8_t expect[] = {0x0a, 0x02, 0xaa, 0xbb, 0x32, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05};
    assert_int_equal(f.len, sizeof expect);
    assert_memory_equal(f.data, expect, sizeof expect);
    const uint8_t *seq;
    size_t seq_len;
    assert_int_equal(depack_av1_sequence_header(f.data, f.len, &seq, &seq_len), 0);
    assert_int_equal(seq_len, 4);
    assert_memory_equal(seq, expect, 4);

    /* Delta frame: its first packet (seq 12) is lost; the continuation alone is no frame. */
    const uint8_t tail[] = {0x90, 0x07};
    push(d, 13, 6000, true, tail, sizeof tail, 1);
    assert_int_equal(depack_pop(d, 1 + DEPACK_WAIT_MS + 1, &f), 0);
    assert_true(depack_want_keyframe(d));
    /* A truncated length is refused, not read past. */
    const uint8_t bad[] = {0x08, 0x7f, 0x08};
    push(d, 14, 9000, true, bad, sizeof bad, 2);
    assert_int_equal(depack_pop(d, 2 + DEPACK_WAIT_MS + 1, &f), 0);
    assert_int_equal(depack_codec_from_name("av1"), DEPACK_AV1);
    depack_free(d);
}

static void test_whip_resolve(void **state)
{
    char out[256];
    assert_int_equal(whip_client_resolve("http://127.0.0.1:8080/whip/cam", "/session/ab12", out,
                                         sizeof out),
                     0);
    assert_string_equal(out, "http://127.0.0.1:8080/session/ab12");
    assert_int_equal(whip_client_resolve("http://h:1/a/b", "http://other:2/x", out, sizeof out), 0);
    assert_string_equal(out, "http://other:2/x");
    assert_int_equal(whip_client_resolve("http://h:1/a/b", "/x", out, 8), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vp8_reordered_keyframe),
        cmocka_unit_test(test_vp8_loss_waits_for_keyframe),
        cmocka_unit_test(test_h264_stap_a_and_fu_a),
        cmocka_unit_test(test_opus_and_duplicates),
        cmocka_unit_test(test_vp9_keyframe),
        cmocka_unit_test(test_av1_obus),
        cmocka_unit_test(test_whip_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
