/* Tests for proto/rtp: parsing, extension walks, the per-viewer rewrite, RTX, sequence numbers. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "proto/rtp.h"

/* A publisher's VP8 packet as Chromium sends it, with every optional header part. */
static const uint8_t vp8_packet[] = {
    0xb1, 0xe0, 0x12, 0x34, /* V=2 P=1 X=1 CC=1, M=1 PT=96, sequence number 0x1234 */
    0xde, 0xad, 0xbe, 0xef, /* timestamp */
    0x11, 0x22, 0x33, 0x44, /* SSRC */
    0xca, 0xfe, 0xba, 0xbe, /* CSRC */
    0xbe, 0xde, 0x00, 0x03, /* one-byte header extension, 3 words */
    0x40, 0x30,             /* id 4 (mid) L=0: "0" */
    0x22, 0x12, 0x34, 0x56, /* id 2 (abs-send-time) L=2: 3 bytes */
    0x31, 0x00, 0x01,       /* id 3 (transport-wide cc) L=1: 2 bytes */
    0x00, 0x00, 0x00,       /* padding to a 32-bit boundary */
    0x10, 0x00, 0x9d, 0x01, /* payload: VP8 descriptor S=1, start of a key frame */
    0x00, 0x00, 0x03,       /* RTP padding: 3 bytes, counting the last */
};

/* vp8_packet rewritten for a viewer: SSRC 0x55667788, PT 100, seq 1, timestamp 16,
 * abs-send-time 2 -> 5, transport-cc 3 -> 7, the publisher's mid dropped, mid "video" as 9. */
static const uint8_t vp8_rewritten[] = {
    0x91, 0xe4, 0x00, 0x01,           /* V=2 X=1 CC=1 (no padding), M=1 PT=100, seq 1 */
    0x00, 0x00, 0x00, 0x10,           /* timestamp */
    0x55, 0x66, 0x77, 0x88,           /* SSRC */
    0xca, 0xfe, 0xba, 0xbe,           /* CSRC kept */
    0xbe, 0xde, 0x00, 0x04,           /* one-byte header extension, 4 words */
    0x52, 0x12, 0x34, 0x56,           /* id 5 (abs-send-time) */
    0x71, 0x00, 0x01,                 /* id 7 (transport-wide cc) */
    0x94, 'v',  'i',  'd',  'e', 'o', /* id 9 (mid) L=4: "video" */
    0x00, 0x00, 0x00,                 /* padding */
    0x10, 0x00, 0x9d, 0x01,           /* payload, RTP padding dropped */
};

/* An Opus packet with a two-byte header extension (RFC 8285 §4.3). */
static const uint8_t two_byte_packet[] = {
    0x90, 0x6f, 0xff, 0xff, /* V=2 X=1, PT=111, seq 65535 */
    0x00, 0x00, 0x03, 0xc0, /* timestamp 960 */
    0x01, 0x02, 0x03, 0x04, /* SSRC */
    0x10, 0x00, 0x00, 0x07, /* two-byte header extension, 7 words */
    0x01, 0x00,             /* id 1, no data */
    0x02, 0x11,             /* id 2, 17 bytes */
    0x00, 0x01, 0x02, 0x03, /* } */
    0x04, 0x05, 0x06, 0x07, /* } */
    0x08, 0x09, 0x0a, 0x0b, /* }  its 17 bytes */
    0x0c, 0x0d, 0x0e, 0x0f, /* } */
    0x10,                   /* } */
    0x14, 0x02, 0xaa, 0xbb, /* id 20, 2 bytes */
    0x00, 0x00, 0x00,       /* padding */
    0xfc, 0xff, 0xfe,       /* Opus payload */
};

static void test_demux(void **state)
{
    (void)state;
    static const uint8_t sr[] = {0x80, 0xc8, 0x00, 0x06};
    static const uint8_t pli[] = {0x81, 0xce, 0x00, 0x02};
    static const uint8_t opus_marker[] = {0x80, 0xef, 0x00, 0x01}; /* PT 111 with marker */
    static const uint8_t dtls[] = {0x16, 0xfe, 0xfd, 0x00};
    static const uint8_t stun[] = {0x00, 0x01, 0x00, 0x00};
    assert_true(rtp_is_rtcp(sr, sizeof sr));
    assert_true(rtp_is_rtcp(pli, sizeof pli));
    assert_false(rtp_is_rtcp(vp8_packet, sizeof vp8_packet));
    assert_false(rtp_is_rtcp(opus_marker, sizeof opus_marker));
    assert_false(rtp_is_rtcp(sr, 3));
    assert_true(rtp_is_rtp_or_rtcp(sr, sizeof sr));
    assert_true(rtp_is_rtp_or_rtcp(vp8_packet, sizeof vp8_packet));
    assert_false(rtp_is_rtp_or_rtcp(dtls, sizeof dtls));
    assert_false(rtp_is_rtp_or_rtcp(stun, sizeof stun));
    assert_false(rtp_is_rtp_or_rtcp(sr, 0));
}

static void test_parse_fields(void **state)
{
    (void)state;
    struct rtp_view v;
    const char *why = NULL;
    assert_int_equal(rtp_parse(&v, vp8_packet, sizeof vp8_packet, &why), 0);
    assert_int_equal(v.payload_type, 96);
    assert_true(v.marker);
    assert_int_equal(v.seq, 0x1234);
    assert_int_equal(v.timestamp, 0xdeadbeef);
    assert_int_equal(v.ssrc, 0x11223344);
    assert_int_equal(v.csrc_count, 1);
    assert_ptr_equal(v.csrc, vp8_packet + 12);
    assert_true(v.has_ext);
    assert_int_equal(v.ext_profile, 0xbede);
    assert_ptr_equal(v.ext, vp8_packet + 20);
    assert_int_equal(v.ext_len, 12);
    assert_int_equal(v.header_len, 32);
    assert_ptr_equal(v.payload, vp8_packet + 32);
    assert_int_equal(v.payload_len, 4);
    assert_int_equal(v.padding_len, 3);

    /* The smallest packet: a bare header with an empty payload. */
    assert_int_equal(rtp_parse(&v, vp8_packet, 12, &why), -1); /* X and P point past it */
    static const uint8_t bare[] = {0x80, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3};
    assert_int_equal(rtp_parse(&v, bare, sizeof bare, &why), 0);
    assert_false(v.has_ext);
    assert_int_equal(v.payload_len, 0);
    assert_int_equal(v.header_len, 12);
}

static void expect_parse_error(const uint8_t *p, size_t len, const char *reason_part)
{
    struct rtp_view v;
    const char *why = NULL;
    assert_int_equal(rtp_parse(&v, p, len, &why), -1);
    assert_non_null(why);
    if (!strstr(why, reason_part))
        fail_msg("reason \"%s\" does not mention \"%s\"", why, reason_part);
}

static void test_parse_errors(void **state)
{
    (void)state;
    uint8_t p[64];
    memcpy(p, vp8_packet, sizeof vp8_packet);
    expect_parse_error(p, 11, "12-byte");
    p[0] = 0x40; /* version 1 */
    expect_parse_error(p, sizeof vp8_packet, "version");
    p[0] = 0x8f; /* 15 CSRCs: 72 bytes */
    expect_parse_error(p, sizeof vp8_packet, "CSRC");
    p[0] = 0x91;
    expect_parse_error(p, 18, "extension header");
    expect_parse_error(p, 31, "extension runs past");
    p[0] = 0xb1;
    expect_parse_error(p, 32, "no payload"); /* P set, nothing after the header */
    p[sizeof vp8_packet - 1] = 0;
    expect_parse_error(p, sizeof vp8_packet, "zero");
    p[sizeof vp8_packet - 1] = 8; /* more than the 7 bytes after the header */
    expect_parse_error(p, sizeof vp8_packet, "padding is longer");
    p[sizeof vp8_packet - 1] = 7; /* all of it padding: allowed, empty payload */
    struct rtp_view v;
    assert_int_equal(rtp_parse(&v, p, sizeof vp8_packet, NULL), 0);
    assert_int_equal(v.payload_len, 0);
}

static void test_ext_one_byte(void **state)
{
    (void)state;
    struct rtp_view v;
    assert_int_equal(rtp_parse(&v, vp8_packet, sizeof vp8_packet, NULL), 0);
    struct rtp_ext_iter it;
    uint8_t id;
    const uint8_t *data;
    size_t len;
    rtp_ext_iter_init(&it, &v);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 1);
    assert_int_equal(id, 4);
    assert_int_equal(len, 1);
    assert_int_equal(data[0], '0');
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 1);
    assert_int_equal(id, 2);
    assert_int_equal(len, 3);
    assert_memory_equal(data, "\x12\x34\x56", 3);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 1);
    assert_int_equal(id, 3);
    assert_int_equal(len, 2);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 0);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 0);

    assert_non_null(rtp_ext_find(&v, 3, &len));
    assert_int_equal(len, 2);
    assert_null(rtp_ext_find(&v, 5, &len));
}

static void test_ext_stop_and_truncation(void **state)
{
    (void)state;
    /* Padding first, an element, id 15 (stop: what follows is not read), then junk. */
    uint8_t stop[] = {0x00, 0x10, 0xaa, 0xf3, 0x20, 0x01, 0x02, 0x03};
    struct rtp_view v = {.has_ext = true, .ext_profile = 0xbede, .ext = stop, .ext_len = 8};
    struct rtp_ext_iter it;
    uint8_t id;
    const uint8_t *data;
    size_t len;
    rtp_ext_iter_init(&it, &v);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 1);
    assert_int_equal(id, 1);
    assert_int_equal(len, 1);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 0);

    /* An element claiming 16 bytes in a 4-byte block. */
    uint8_t cut[] = {0x1f, 0x00, 0x00, 0x00};
    v.ext = cut;
    v.ext_len = 4;
    rtp_ext_iter_init(&it, &v);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), -1);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 0);

    /* Two-byte form: a header cut after the id byte. */
    uint8_t cut2[] = {0x00, 0x00, 0x00, 0x05};
    v.ext_profile = 0x1003; /* app bits are allowed */
    v.ext = cut2;
    rtp_ext_iter_init(&it, &v);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), -1);

    /* Another profile: no elements. */
    v.ext_profile = 0xabac;
    v.ext = stop;
    rtp_ext_iter_init(&it, &v);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 0);
}

static void test_ext_two_byte(void **state)
{
    (void)state;
    struct rtp_view v;
    assert_int_equal(rtp_parse(&v, two_byte_packet, sizeof two_byte_packet, NULL), 0);
    assert_int_equal(v.payload_len, 3);
    struct rtp_ext_iter it;
    uint8_t id;
    const uint8_t *data;
    size_t len;
    rtp_ext_iter_init(&it, &v);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 1);
    assert_int_equal(id, 1);
    assert_int_equal(len, 0);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 1);
    assert_int_equal(id, 2);
    assert_int_equal(len, 17);
    assert_int_equal(data[16], 0x10);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 1);
    assert_int_equal(id, 20);
    assert_int_equal(len, 2);
    assert_int_equal(rtp_ext_next(&it, &id, &data, &len), 0);
}

static void viewer_rewrite(struct rtp_rewrite *rw)
{
    memset(rw, 0, sizeof *rw);
    rw->ssrc = 0x55667788;
    rw->payload_type = 100;
    rw->seq = 1;
    rw->timestamp = 16;
    rw->ext_map[2] = 5;
    rw->ext_map[3] = 7;
    rw->mid_id = 9;
    rw->mid = "video";
    rw->mid_len = 5;
}

static void test_rewrite(void **state)
{
    (void)state;
    struct rtp_view v;
    assert_int_equal(rtp_parse(&v, vp8_packet, sizeof vp8_packet, NULL), 0);
    struct rtp_rewrite rw;
    viewer_rewrite(&rw);
    uint8_t out[128];
    size_t n = rtp_rewrite(out, sizeof out, &v, &rw);
    assert_int_equal(n, sizeof vp8_rewritten);
    assert_memory_equal(out, vp8_rewritten, n);

    /* A source element the map sends to the mid's id gives way to the viewer's mid. */
    rw.ext_map[4] = 9;
    n = rtp_rewrite(out, sizeof out, &v, &rw);
    assert_int_equal(n, sizeof vp8_rewritten);
    assert_memory_equal(out, vp8_rewritten, n);

    /* Without a mid, the publisher's is renumbered like any element. */
    rw.mid_id = 0;
    n = rtp_rewrite(out, sizeof out, &v, &rw);
    struct rtp_view w;
    assert_int_equal(rtp_parse(&w, out, n, NULL), 0);
    size_t len;
    const uint8_t *mid = rtp_ext_find(&w, 9, &len);
    assert_non_null(mid);
    assert_int_equal(len, 1);
    assert_int_equal(mid[0], '0');
}

static void test_rewrite_without_extensions(void **state)
{
    (void)state;
    struct rtp_view v;
    assert_int_equal(rtp_parse(&v, vp8_packet, sizeof vp8_packet, NULL), 0);
    struct rtp_rewrite rw;
    memset(&rw, 0, sizeof rw); /* every element dropped, no mid */
    rw.ssrc = 7;
    rw.payload_type = 96;
    rw.seq = 0xffff;
    rw.timestamp = 0xffffffff;
    uint8_t out[64];
    size_t n = rtp_rewrite(out, sizeof out, &v, &rw);
    static const uint8_t expected[] = {
        0x81, 0xe0, 0xff, 0xff, /* X=0 CC=1, M=1 PT=96, seq 65535 */
        0xff, 0xff, 0xff, 0xff, /* timestamp */
        0x00, 0x00, 0x00, 0x07, /* SSRC */
        0xca, 0xfe, 0xba, 0xbe, /* CSRC */
        0x10, 0x00, 0x9d, 0x01, /* payload */
    };
    assert_int_equal(n, sizeof expected);
    assert_memory_equal(out, expected, n);
}

static void test_rewrite_two_byte_to_one_byte(void **state)
{
    (void)state;
    struct rtp_view v;
    assert_int_equal(rtp_parse(&v, two_byte_packet, sizeof two_byte_packet, NULL), 0);
    struct rtp_rewrite rw;
    memset(&rw, 0, sizeof rw);
    rw.ssrc = 0x01020304;
    rw.payload_type = 111;
    rw.seq = 0xffff;
    rw.timestamp = 960;
    rw.ext_map[1] = 1;  /* empty: cannot be said in the one-byte form */
    rw.ext_map[2] = 2;  /* 17 bytes: neither */
    rw.ext_map[20] = 3; /* fits */
    uint8_t out[64];
    size_t n = rtp_rewrite(out, sizeof out, &v, &rw);
    static const uint8_t expected[] = {
        0x90, 0x6f, 0xff, 0xff, /* V=2 X=1, PT=111, seq 65535 */
        0x00, 0x00, 0x03, 0xc0, /* timestamp */
        0x01, 0x02, 0x03, 0x04, /* SSRC */
        0xbe, 0xde, 0x00, 0x01, /* one-byte form, 1 word */
        0x31, 0xaa, 0xbb, 0x00, /* id 3, 2 bytes; padding */
        0xfc, 0xff, 0xfe,       /* payload */
    };
    assert_int_equal(n, sizeof expected);
    assert_memory_equal(out, expected, n);

    /* Ids above 14 cannot be written in the one-byte form: dropped. */
    rw.ext_map[20] = 15;
    n = rtp_rewrite(out, sizeof out, &v, &rw);
    assert_int_equal(n, 12 + 3);
    assert_int_equal(out[0], 0x80);
}

/* Every capacity short of the packet gives 0 and writes nothing past the capacity. */
static void test_rewrite_capacity(void **state)
{
    (void)state;
    struct rtp_view v;
    assert_int_equal(rtp_parse(&v, vp8_packet, sizeof vp8_packet, NULL), 0);
    struct rtp_rewrite rw;
    viewer_rewrite(&rw);
    uint8_t out[sizeof vp8_rewritten + 16];
    for (size_t cap = 0; cap <= sizeof vp8_rewritten; cap++) {
        memset(out, 0xa5, sizeof out);
        size_t n = rtp_rewrite(out, cap, &v, &rw);
        assert_int_equal(n, cap == sizeof vp8_rewritten ? cap : 0);
        for (size_t i = cap; i < sizeof out; i++)
            assert_int_equal(out[i], 0xa5);
        n = rtp_rtx_wrap(out, cap, &v, &rw, 5);
        assert_int_equal(n, 0); /* RTX is 2 bytes longer */
    }
}

/* Padding asked of a rewrite (the SFU pads a frame's shorter packets for one GSO message) goes
 * after the payload with the P bit set and its count last (RFC 3550 §5.1), and counts against
 * the capacity like the rest. */
static void test_rewrite_padding(void **state)
{
    (void)state;
    struct rtp_view v;
    assert_int_equal(rtp_parse(&v, vp8_packet, sizeof vp8_packet, NULL), 0);
    struct rtp_rewrite rw;
    viewer_rewrite(&rw);
    for (uint8_t padding = 1; padding <= 16; padding += 15) {
        rw.padding = padding;
        uint8_t out[sizeof vp8_rewritten + 16 + 1];
        memset(out, 0xa5, sizeof out);
        size_t want = sizeof vp8_rewritten + padding;
        assert_int_equal(rtp_rewrite(out, want - 1, &v, &rw), 0);
        assert_int_equal(rtp_rewrite(out, sizeof out, &v, &rw), want);
        assert_int_equal(out[0], vp8_rewritten[0] | 0x20);
        assert_memory_equal(out + 1, vp8_rewritten + 1, sizeof vp8_rewritten - 1);
        for (size_t i = sizeof vp8_rewritten; i < want - 1; i++)
            assert_int_equal(out[i], 0);
        assert_int_equal(out[want - 1], padding);
        assert_int_equal(out[want], 0xa5);
        struct rtp_view w;
        assert_int_equal(rtp_parse(&w, out, want, NULL), 0);
        assert_int_equal(w.padding_len, padding);
        assert_int_equal(w.payload_len, v.payload_len);
        assert_memory_equal(w.payload, v.payload, v.payload_len);
    }
}

static void test_rtx_round_trip(void **state)
{
    (void)state;
    struct rtp_view v;
    assert_int_equal(rtp_parse(&v, vp8_packet, sizeof vp8_packet, NULL), 0);
    struct rtp_rewrite rw;
    viewer_rewrite(&rw);
    uint8_t viewer_packet[128];
    size_t n = rtp_rewrite(viewer_packet, sizeof viewer_packet, &v, &rw);
    assert_int_equal(n, sizeof vp8_rewritten);

    /* The RTX stream: its own SSRC, payload type and sequence, the original's timestamp. */
    rw.ssrc = 0x99999999;
    rw.payload_type = 101;
    rw.seq = 7;
    uint8_t rtx[128];
    size_t rtx_len = rtp_rtx_wrap(rtx, sizeof rtx, &v, &rw, 1);
    assert_int_equal(rtx_len, sizeof vp8_rewritten + 2);
    static const uint8_t rtx_header[] = {0x91, 0xe5, 0x00, 0x07, 0x00, 0x00,
                                         0x00, 0x10, 0x99, 0x99, 0x99, 0x99};
    assert_memory_equal(rtx, rtx_header, sizeof rtx_header);
    assert_memory_equal(rtx + 12, vp8_rewritten + 12, 4 + 20); /* CSRC and extensions */
    static const uint8_t rtx_payload[] = {0x00, 0x01, 0x10, 0x00, 0x9d, 0x01};
    assert_memory_equal(rtx + 36, rtx_payload, sizeof rtx_payload);

    /* Unwrapped and written again with the ids as they are, it is the viewer's packet. */
    struct rtp_view r, original;
    const char *why = NULL;
    assert_int_equal(rtp_parse(&r, rtx, rtx_len, &why), 0);
    assert_int_equal(rtp_rtx_unwrap(&original, &r, 0x55667788, 100, &why), 0);
    assert_int_equal(original.seq, 1);
    assert_int_equal(original.payload_len, 4);
    struct rtp_rewrite same;
    memset(&same, 0, sizeof same);
    for (int i = 1; i < 15; i++)
        same.ext_map[i] = (uint8_t)i;
    same.ssrc = original.ssrc;
    same.payload_type = original.payload_type;
    same.seq = original.seq;
    same.timestamp = original.timestamp;
    uint8_t again[128];
    n = rtp_rewrite(again, sizeof again, &original, &same);
    assert_int_equal(n, sizeof vp8_rewritten);
    assert_memory_equal(again, vp8_rewritten, n);

    /* An RTX payload too short for the original sequence number. */
    r.payload_len = 1;
    assert_int_equal(rtp_rtx_unwrap(&original, &r, 1, 2, &why), -1);
    assert_non_null(why);
}

static void test_seq_diff(void **state)
{
    (void)state;
    assert_int_equal(rtp_seq_diff(5, 3), 2);
    assert_int_equal(rtp_seq_diff(3, 5), -2);
    assert_int_equal(rtp_seq_diff(0, 65535), 1);
    assert_int_equal(rtp_seq_diff(65535, 0), -1);
    assert_int_equal(rtp_seq_diff(32767, 0), 32767);
    assert_int_equal(rtp_seq_diff(32768, 0), -32768);
    assert_true(rtp_seq_newer(2, 65530));
    assert_false(rtp_seq_newer(65530, 2));
    assert_false(rtp_seq_newer(9, 9));
}

static enum rtp_seq_status feed(struct rtp_seq_tracker *t, uint16_t seq, uint16_t want_first,
                                uint16_t want_skipped)
{
    uint16_t first = 0xdead, skipped = 0xdead;
    enum rtp_seq_status s = rtp_seq_update(t, seq, &first, &skipped);
    assert_int_equal(skipped, want_skipped);
    if (want_skipped)
        assert_int_equal(first, want_first);
    return s;
}

static void test_seq_tracker_wrap(void **state)
{
    (void)state;
    struct rtp_seq_tracker t;
    rtp_seq_init(&t);
    assert_int_equal(rtp_seq_expected(&t), 0);
    assert_int_equal(feed(&t, 65533, 0, 0), RTP_SEQ_NEW);
    assert_int_equal(feed(&t, 65534, 0, 0), RTP_SEQ_NEW);
    assert_int_equal(feed(&t, 0, 65535, 1), RTP_SEQ_NEW); /* 65535 skipped across the wrap */
    assert_int_equal(t.cycles, 65536);
    assert_int_equal(rtp_seq_extended_max(&t), 65536);
    assert_int_equal(feed(&t, 2, 1, 1), RTP_SEQ_NEW);
    assert_int_equal(rtp_seq_lost(&t), 2);
    assert_int_equal(feed(&t, 65535, 0, 0), RTP_SEQ_LATE); /* the retransmission */
    assert_int_equal(feed(&t, 65535, 0, 0), RTP_SEQ_DUPLICATE);
    assert_int_equal(feed(&t, 2, 0, 0), RTP_SEQ_DUPLICATE);
    assert_int_equal(feed(&t, 1, 0, 0), RTP_SEQ_LATE);
    assert_int_equal(t.cycles, 65536); /* late packets before the wrap do not wrap again */
    assert_int_equal(rtp_seq_expected(&t), 6);
    assert_int_equal(t.received, 6);
    assert_int_equal(rtp_seq_lost(&t), 0);
}

static void test_seq_tracker_record(void **state)
{
    (void)state;
    struct rtp_seq_tracker t;
    memset(&t, 0, sizeof t); /* a zeroed tracker works as well as an initialised one */
    for (uint16_t s = 0; s <= 5; s++)
        assert_int_equal(feed(&t, s, 0, 0), RTP_SEQ_NEW);
    assert_int_equal(feed(&t, 100, 6, 94), RTP_SEQ_NEW);
    assert_int_equal(feed(&t, 50, 0, 0), RTP_SEQ_LATE);
    assert_int_equal(feed(&t, 50, 0, 0), RTP_SEQ_DUPLICATE);
    assert_int_equal(feed(&t, 5, 0, 0), RTP_SEQ_DUPLICATE);
    /* 133 shares 5's slot in the record; skipping it must clear the slot. */
    assert_int_equal(feed(&t, 200, 101, 99), RTP_SEQ_NEW);
    assert_int_equal(feed(&t, 133, 0, 0), RTP_SEQ_LATE);
    /* A gap of 128 or more clears the whole record. */
    assert_int_equal(feed(&t, 600, 201, 399), RTP_SEQ_NEW);
    assert_int_equal(feed(&t, 520, 0, 0), RTP_SEQ_LATE);
    assert_int_equal(feed(&t, 600 - 128, 0, 0), RTP_SEQ_JUMP); /* beyond the misorder window */
}

static void test_seq_tracker_jump(void **state)
{
    (void)state;
    struct rtp_seq_tracker t;
    rtp_seq_init(&t);
    assert_int_equal(feed(&t, 1000, 0, 0), RTP_SEQ_NEW);
    assert_int_equal(feed(&t, 1001, 0, 0), RTP_SEQ_NEW);
    /* A jump not followed up is ignored; the run goes on. */
    assert_int_equal(feed(&t, 9000, 0, 0), RTP_SEQ_JUMP);
    assert_int_equal(feed(&t, 1002, 0, 0), RTP_SEQ_NEW);
    assert_int_equal(feed(&t, 9001, 0, 0), RTP_SEQ_JUMP); /* 9000 + 1, but 1002 came between */
    assert_int_equal(t.max_seq, 1002);
    /* A jump followed by its successor is a restarted source. */
    assert_int_equal(feed(&t, 40000, 0, 0), RTP_SEQ_JUMP);
    assert_int_equal(feed(&t, 40001, 0, 0), RTP_SEQ_RESTART);
    assert_int_equal(t.base_seq, 40001);
    assert_int_equal(t.received, 1);
    assert_int_equal(feed(&t, 40003, 40002, 1), RTP_SEQ_NEW);
    assert_int_equal(rtp_seq_lost(&t), 1);
    /* Just under the dropout limit is still in order. */
    assert_int_equal(
        feed(&t, (uint16_t)(40003 + RTP_SEQ_MAX_DROPOUT - 1), 40004, RTP_SEQ_MAX_DROPOUT - 2),
        RTP_SEQ_NEW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demux),
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_ext_one_byte),
        cmocka_unit_test(test_ext_stop_and_truncation),
        cmocka_unit_test(test_ext_two_byte),
        cmocka_unit_test(test_rewrite),
        cmocka_unit_test(test_rewrite_without_extensions),
        cmocka_unit_test(test_rewrite_two_byte_to_one_byte),
        cmocka_unit_test(test_rewrite_capacity),
        cmocka_unit_test(test_rewrite_padding),
        cmocka_unit_test(test_rtx_round_trip),
        cmocka_unit_test(test_seq_diff),
        cmocka_unit_test(test_seq_tracker_wrap),
        cmocka_unit_test(test_seq_tracker_record),
        cmocka_unit_test(test_seq_tracker_jump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
