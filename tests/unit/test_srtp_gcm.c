/* Tests for rtc/srtp_gcm against libsrtp2, an independent implementation of RFC 7714: the same
 * packets sealed by both must be the same bytes; each side must open what the other seals across
 * a sequence number wrap, a retransmission from before the wrap, and interleaved SSRCs, more
 * of them than a viewer usually gets; and the opener must refuse replays, packets older than its
 * window and tampering, without a forged packet moving its state. */
/* cmocka needs these headers first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "libsrtp_gcm.h"
#include "rtc/srtp.h"

/* libsrtp encrypting RTCP, as every WebRTC peer does; the RTP side is what matters here. */
static srtp_t libsrtp(srtp_ssrc_type_t direction)
{
    return libsrtp_gcm(direction, sec_serv_conf_and_auth);
}

static srtp_t libsrtp_outbound(void)
{
    return libsrtp(ssrc_any_outbound);
}

/* libsrtp opens BUF[0..*LEN) in place; its status. */
static srtp_err_status_t libsrtp_open(srtp_t ctx, uint8_t *buf, size_t *len)
{
    int n = (int)*len;
    srtp_err_status_t status = srtp_unprotect(ctx, buf, &n);
    *len = (size_t)n;
    return status;
}

/* Seals one packet with both sealers and requires the same bytes. */
static void expect_same_sealing(struct srtp_gcm *ours, srtp_t theirs, uint32_t ssrc, uint16_t seq,
                                size_t payload, int flags)
{
    uint8_t a[2048], b[2048];
    size_t len = rtp_packet(a, ssrc, seq, payload, flags);
    memcpy(b, a, len);
    size_t ours_len = len;
    int theirs_len = (int)len;
    assert_int_equal(srtp_gcm_seal_rtp(ours, a, &ours_len, sizeof a), 0);
    assert_int_equal(srtp_protect(theirs, b, &theirs_len), srtp_err_status_ok);
    assert_int_equal(ours_len, (size_t)theirs_len);
    assert_int_equal(ours_len, len + SRTP_GCM_TAG_LEN);
    assert_memory_equal(a, b, ours_len);
}

static void same_bytes_as_libsrtp(void **state)
{
    srtp_t theirs = libsrtp_outbound();
    struct srtp_gcm *ours = srtp_gcm_new(master_key, master_salt);
    assert_non_null(ours);
    struct {
        uint32_t ssrc;
        uint16_t seq;
        size_t payload;
        int flags; /* RTP_WITH_* */
    } cases[] = {
        /* In sending order, through the wrap; 65535 again after 1 is a retransmission. */
        {0x12345678, 65533, 100, 0}, {0x12345678, 65534, 1200, 1}, {0x9abcdef0, 500, 1, 2},
        {0x12345678, 65535, 0, 7},   {0x9abcdef0, 501, 333, 4},    {0x12345678, 0, 50, 0},
        {0x12345678, 1, 50, 2},      {0x12345678, 65535, 50, 0},   {0x12345678, 2, 50, 0},
        {0x9abcdef0, 502, 1100, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_same_sealing(ours, theirs, cases[i].ssrc, cases[i].seq, cases[i].payload,
                            cases[i].flags);
    srtp_gcm_free(ours);
    srtp_dealloc(theirs);
}

/* Sealed by us, checked and opened by libsrtp: across the wrap of the sequence number, with a
 * retransmission from before the wrap sealed after it, and with two SSRCs interleaved. */
static void libsrtp_opens_across_the_wrap(void **state)
{
    struct srtp_gcm *ours = srtp_gcm_new(master_key, master_salt);
    srtp_t check = libsrtp(ssrc_any_inbound);
    /* (ssrc, seq) in sending order; the 65535 of SSRC A comes late, as a NACK's answer. */
    struct {
        uint32_t ssrc;
        uint16_t seq;
    } order[] = {
        {0xaaaa0001, 65533}, {0xbbbb0002, 10}, {0xaaaa0001, 65534}, {0xaaaa0001, 0},
        {0xbbbb0002, 11},    {0xaaaa0001, 1},  {0xaaaa0001, 65535}, {0xaaaa0001, 2},
        {0xbbbb0002, 12},    {0xaaaa0001, 3},
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        uint8_t sealed[2048], plain[2048];
        size_t len = rtp_packet(plain, order[i].ssrc, order[i].seq, 200, (int)(i % 8));
        memcpy(sealed, plain, len);
        size_t n = len;
        assert_int_equal(srtp_gcm_seal_rtp(ours, sealed, &n, sizeof sealed), 0);
        assert_int_equal(libsrtp_open(check, sealed, &n), srtp_err_status_ok);
        assert_int_equal(n, len);
        assert_memory_equal(sealed, plain, len);
    }
    srtp_dealloc(check);
    srtp_gcm_free(ours);
}

/* What we seal with a tampered byte fails libsrtp's check. */
static void tampering_is_caught(void **state)
{
    struct srtp_gcm *ours = srtp_gcm_new(master_key, master_salt);
    srtp_t check = libsrtp(ssrc_any_inbound);
    uint8_t buf[2048];
    size_t n = rtp_packet(buf, 0x01020304, 7, 100, 0);
    assert_int_equal(srtp_gcm_seal_rtp(ours, buf, &n, sizeof buf), 0);
    buf[40] ^= 1;
    assert_int_equal(libsrtp_open(check, buf, &n), srtp_err_status_auth_fail);
    srtp_dealloc(check);
    srtp_gcm_free(ours);
}

static void bad_packets_and_short_room(void **state)
{
    struct srtp_gcm *ours = srtp_gcm_new(master_key, master_salt);
    uint8_t buf[2048];
    size_t n = rtp_packet(buf, 1, 1, 100, 0);
    size_t before = n;
    assert_int_equal(srtp_gcm_seal_rtp(ours, buf, &n, n + SRTP_GCM_TAG_LEN - 1), SRTPX_ERR_NO_ROOM);
    assert_int_equal(n, before);
    buf[0] = 0x40; /* version 1 */
    assert_int_equal(srtp_gcm_seal_rtp(ours, buf, &n, sizeof buf), SRTPX_ERR_MALFORMED);
    n = rtp_packet(buf, 1, 1, 0, RTP_WITH_EXTENSION);
    n = 14; /* the extension header cut off */
    assert_int_equal(srtp_gcm_seal_rtp(ours, buf, &n, sizeof buf), SRTPX_ERR_MALFORMED);
    n = rtp_packet(buf, 1, 1, 0, 0);
    buf[0] = 0x8f; /* 15 CSRCs that are not there */
    assert_int_equal(srtp_gcm_seal_rtp(ours, buf, &n, sizeof buf), SRTPX_ERR_MALFORMED);
    srtp_gcm_free(ours);
}

/* Twenty new SSRCs: each starts at rollover counter 0, as libsrtp's does. */
static void many_ssrcs(void **state)
{
    srtp_t theirs = libsrtp_outbound();
    struct srtp_gcm *ours = srtp_gcm_new(master_key, master_salt);
    for (uint32_t k = 0; k < 20; k++)
        expect_same_sealing(ours, theirs, 0x100 + k, (uint16_t)(k * 1000), 64, 0);
    srtp_gcm_free(ours);
    srtp_dealloc(theirs);
}

/* What a seal touches, for the fan-out to prefetch: the context, libgcrypt's handle, then one
 * span per SSRC sealed so far, each apart from the others; never more than asked for. */
static void spans_follow_the_ssrcs_sealed(void **state)
{
    struct srtp_gcm *g = srtp_gcm_new(master_key, master_salt);
    struct mem_span spans[8];
    assert_int_equal(srtp_gcm_spans(g, spans, 8), 2);
    assert_ptr_equal(spans[0].addr, g);
    assert_true(spans[0].len > 0 && spans[1].len > 0);
    assert_ptr_not_equal(spans[1].addr, g);
    uint8_t buf[256];
    for (uint32_t k = 0; k < 3; k++) {
        size_t len = rtp_packet(buf, 0x100 + k, 1, 64, 0);
        assert_int_equal(srtp_gcm_seal_rtp(g, buf, &len, sizeof buf), 0);
    }
    assert_int_equal(srtp_gcm_spans(g, spans, 8), 5);
    for (size_t i = 2; i < 5; i++) {
        assert_true(spans[i].len >= 8); /* at least the SSRC and its rollover counter */
        if (i > 2)
            assert_true((const uint8_t *)spans[i].addr >=
                        (const uint8_t *)spans[i - 1].addr + spans[i - 1].len);
    }
    assert_int_equal(srtp_gcm_spans(g, spans, 3), 3);
    assert_int_equal(srtp_gcm_spans(g, spans, 0), 0);
    srtp_gcm_free(g);
}

/* Sealed by libsrtp, opened by ours to the same bytes: the wrap, a retransmission from before it
 * arriving after it, two SSRCs, every header shape, and an empty payload. */
static void opens_what_libsrtp_seals(void **state)
{
    srtp_t theirs = libsrtp_outbound();
    struct srtp_gcm *ours = srtp_gcm_new_opener(master_key, master_salt);
    assert_non_null(ours);
    struct {
        uint32_t ssrc;
        uint16_t seq;
        size_t payload;
    } order[] = {
        {0xaaaa0001, 65533, 1100}, {0xbbbb0002, 10, 0},  {0xaaaa0001, 65534, 1}, {0xaaaa0001, 0, 0},
        {0xbbbb0002, 11, 500},     {0xaaaa0001, 1, 300}, {0xaaaa0001, 65535, 7}, {0xaaaa0001, 2, 9},
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        uint8_t sealed[2048], plain[2048];
        size_t len = rtp_packet(plain, order[i].ssrc, order[i].seq, order[i].payload, (int)(i % 8));
        memcpy(sealed, plain, len);
        int n = (int)len;
        assert_int_equal(srtp_protect(theirs, sealed, &n), srtp_err_status_ok);
        size_t opened = (size_t)n;
        assert_int_equal(srtp_gcm_open_rtp(ours, sealed, &opened), 0);
        assert_int_equal(opened, len);
        assert_memory_equal(sealed, plain, len);
    }
    srtp_gcm_free(ours);
    srtp_dealloc(theirs);
}

/* The opener refuses a packet opened before and one 1024 or more behind the newest, takes one
 * 1023 behind, and refuses tampering anywhere (header, payload, tag) without the forgery moving
 * its state: a forged packet far ahead does not push the window past the genuine ones. */
static void opener_refuses_replays_old_and_forged(void **state)
{
    srtp_t theirs = libsrtp_outbound();
    struct srtp_gcm *ours = srtp_gcm_new_opener(master_key, master_salt);
    enum { P3000, P3980, P4000, P4001, P4002, P7976, P7977, P9000, N };
    static const uint16_t seqs[N] = {3000, 3980, 4000, 4001, 4002, 7976, 7977, 9000};
    uint8_t pkts[N][2048];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) { /* libsrtp seals in sending order */
        int n = (int)rtp_packet(pkts[i], 0x5eed0001, seqs[i], 200, 0);
        assert_int_equal(srtp_protect(theirs, pkts[i], &n), srtp_err_status_ok);
        lens[i] = (size_t)n;
    }
    /* In this order: the packet, the byte flipped in its copy (-1: none, -2: its last byte, in the
     * tag), and what opening that copy gives. */
    static const struct {
        int pkt, flip_at, want;
    } steps[] = {
        {P4000, -1, 0},
        {P4000, -1, SRTPX_ERR_REPLAY},
        {P3980, -1, 0},
        {P3000, -1, 0},              /* 1000 behind */
        {P4001, 5, SRTPX_ERR_AUTH},  /* the timestamp */
        {P4001, 30, SRTPX_ERR_AUTH}, /* the payload */
        {P4001, -2, SRTPX_ERR_AUTH}, /* the tag's last byte */
        {P4001, -1, 0},
        {P9000, 40, SRTPX_ERR_AUTH},
        {P4002, -1, 0}, /* 4998 behind 9000, had the forgery counted */
        {P9000, -1, 0},
        {P7977, -1, 0},                /* 1023 behind */
        {P7976, -1, SRTPX_ERR_REPLAY}, /* 1024 behind */
        {P3980, -1, SRTPX_ERR_REPLAY},
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        int p = steps[i].pkt;
        int at = steps[i].flip_at == -2 ? (int)lens[p] - 1 : steps[i].flip_at;
        assert_int_equal(open_copy(srtp_gcm_open_rtp, ours, pkts[p], lens[p], at), steps[i].want);
    }
    size_t short_len = 12 + SRTP_GCM_TAG_LEN - 1; /* a header, and one byte short of a tag */
    assert_int_equal(srtp_gcm_open_rtp(ours, pkts[P3000], &short_len), SRTPX_ERR_MALFORMED);
    srtp_gcm_free(ours);
    srtp_dealloc(theirs);
}

/* Twenty SSRCs (a room's viewer gets three of each publisher) sent round by round through their
 * wrap: each side opens all of what the other seals, so no SSRC's rollover counter is forgotten
 * while it is in use. */
static void many_ssrcs_across_the_wrap(void **state)
{
    srtp_t their_sealer = libsrtp_outbound(), their_opener = libsrtp(ssrc_any_inbound);
    struct srtp_gcm *sealer = srtp_gcm_new(master_key, master_salt);
    struct srtp_gcm *opener = srtp_gcm_new_opener(master_key, master_salt);
    for (uint16_t round = 0; round < 12; round++) {
        for (uint32_t k = 0; k < 20; k++) {
            uint16_t seq = (uint16_t)(65530 + round);
            uint8_t plain[2048], a[2048], b[2048];
            size_t len = rtp_packet(plain, 0x7000 + k, seq, 64, 0);
            memcpy(a, plain, len);
            memcpy(b, plain, len);
            size_t n = len;
            assert_int_equal(srtp_gcm_seal_rtp(sealer, a, &n, sizeof a), 0);
            assert_int_equal(libsrtp_open(their_opener, a, &n), srtp_err_status_ok);
            assert_memory_equal(a, plain, len);
            int m = (int)len;
            assert_int_equal(srtp_protect(their_sealer, b, &m), srtp_err_status_ok);
            n = (size_t)m;
            assert_int_equal(srtp_gcm_open_rtp(opener, b, &n), 0);
            assert_memory_equal(b, plain, len);
        }
    }
    srtp_gcm_free(sealer);
    srtp_gcm_free(opener);
    srtp_dealloc(their_sealer);
    srtp_dealloc(their_opener);
}

int main(void)
{
    srtp_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_bytes_as_libsrtp),
        cmocka_unit_test(libsrtp_opens_across_the_wrap),
        cmocka_unit_test(tampering_is_caught),
        cmocka_unit_test(bad_packets_and_short_room),
        cmocka_unit_test(many_ssrcs),
        cmocka_unit_test(spans_follow_the_ssrcs_sealed),
        cmocka_unit_test(opens_what_libsrtp_seals),
        cmocka_unit_test(opener_refuses_replays_old_and_forged),
        cmocka_unit_test(many_ssrcs_across_the_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
