/* Tests for rtc/srtp_gcm's RTCP side (RFC 7714 §9) against libsrtp2: the same compound packet
 * sealed by both is the same bytes; libsrtp opens what we seal from several SSRCs sharing one
 * index counter; we open what libsrtp seals, encrypted or only authenticated (E flag clear);
 * and the opener refuses replays, packets older than its window, and tampering anywhere, the
 * index included, without a forged packet moving its state. */
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

enum { RTCP_LEN = 48, SEALED_LEN = RTCP_LEN + SRTP_GCM_RTCP_TRAILER_LEN };

/* A compound RTCP packet from SSRC, as a receiver sends it: a receiver report with one block
 * (its figures from FILL), then an SDES CNAME. */
static size_t rtcp_packet(uint8_t *buf, uint32_t ssrc, uint8_t fill)
{
    static const uint8_t rr_head[4] = {0x81, 201, 0x00, 0x07};   /* RR, one block, 32 bytes */
    static const uint8_t sdes_head[4] = {0x81, 202, 0x00, 0x03}; /* SDES, one chunk, 16 bytes */
    static const uint8_t cname[8] = {1, 5, 'o', 'n', 'a', 'i', 'r', 0};
    size_t n = 0;
    memcpy(buf + n, rr_head, 4);
    n += 4;
    for (int i = 3; i >= 0; i--)
        buf[n++] = (uint8_t)(ssrc >> (8 * i));
    for (int i = 0; i < 24; i++)
        buf[n++] = (uint8_t)(fill + 13 * i); /* the report block */
    memcpy(buf + n, sdes_head, 4);
    n += 4;
    for (int i = 3; i >= 0; i--)
        buf[n++] = (uint8_t)(ssrc >> (8 * i));
    memcpy(buf + n, cname, sizeof cname);
    n += sizeof cname;
    return n;
}

static uint32_t trailer_word(const uint8_t *sealed, size_t len)
{
    const uint8_t *p = sealed + len - 4;
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Five packets of one SSRC: libsrtp numbers them 1 to 5 as we do, so the bytes are the same. */
static void same_bytes_as_libsrtp(void **state)
{
    struct srtp_gcm *ours = srtp_gcm_new_rtcp(master_key, master_salt);
    srtp_t theirs = libsrtp_gcm(ssrc_any_outbound, sec_serv_conf_and_auth);
    for (uint8_t i = 1; i <= 5; i++) {
        uint8_t a[128], b[128];
        size_t len = rtcp_packet(a, 0x5eed0001, i);
        memcpy(b, a, len);
        int theirs_len = (int)len;
        assert_int_equal(srtp_gcm_seal_rtcp(ours, a, &len, sizeof a), 0);
        assert_int_equal(srtp_protect_rtcp(theirs, b, &theirs_len), srtp_err_status_ok);
        assert_int_equal(len, SEALED_LEN);
        assert_int_equal(theirs_len, SEALED_LEN);
        assert_int_equal(trailer_word(a, len), 0x80000000u | i);
        assert_memory_equal(a, b, len);
    }
    srtp_dealloc(theirs);
    srtp_gcm_free(ours);
}

/* Three SSRCs interleaved on one sealer: each sees gaps in its indices, which libsrtp takes. */
static void libsrtp_opens_ours(void **state)
{
    struct srtp_gcm *ours = srtp_gcm_new_rtcp(master_key, master_salt);
    srtp_t check = libsrtp_gcm(ssrc_any_inbound, sec_serv_conf_and_auth);
    for (int i = 0; i < 30; i++) {
        uint8_t plain[128], buf[128];
        size_t len = rtcp_packet(plain, 0x1000u + (uint32_t)(i % 3), (uint8_t)i);
        memcpy(buf, plain, len);
        assert_int_equal(srtp_gcm_seal_rtcp(ours, buf, &len, sizeof buf), 0);
        assert_memory_equal(buf, plain, 8);                        /* header and SSRC in clear */
        assert_memory_not_equal(buf + 8, plain + 8, RTCP_LEN - 8); /* the rest encrypted */
        int n = (int)len;
        assert_int_equal(srtp_unprotect_rtcp(check, buf, &n), srtp_err_status_ok);
        assert_int_equal(n, RTCP_LEN);
        assert_memory_equal(buf, plain, RTCP_LEN);
    }
    srtp_dealloc(check);
    srtp_gcm_free(ours);
}

/* libsrtp seals encrypted and, in a second session, authenticated only (the E flag clear, the
 * whole packet authenticated data); the opener opens both to the plain packet. */
static void opens_libsrtp_encrypted_or_not(void **state)
{
    static const srtp_sec_serv_t services[2] = {sec_serv_conf_and_auth, sec_serv_auth};
    for (int k = 0; k < 2; k++) {
        srtp_t theirs = libsrtp_gcm(ssrc_any_outbound, services[k]);
        struct srtp_gcm *ours = srtp_gcm_new_rtcp_opener(master_key, master_salt);
        for (uint8_t i = 0; i < 4; i++) {
            uint8_t plain[128], buf[128];
            size_t len = rtcp_packet(plain, 0xabcdef00u + i % 2, i);
            memcpy(buf, plain, len);
            int n = (int)len;
            assert_int_equal(srtp_protect_rtcp(theirs, buf, &n), srtp_err_status_ok);
            assert_int_equal(trailer_word(buf, (size_t)n) >> 31, k == 0 ? 1 : 0);
            len = (size_t)n;
            assert_int_equal(srtp_gcm_open_rtcp(ours, buf, &len), 0);
            assert_int_equal(len, RTCP_LEN);
            assert_memory_equal(buf, plain, RTCP_LEN);
        }
        srtp_gcm_free(ours);
        srtp_dealloc(theirs);
    }
}

/* The window is the RTP one (1024 indices), keyed by the sender SSRC; the index is
 * authenticated, so a packet given another index is a forgery, and one far ahead does not push
 * the window past the genuine packets. */
static void refuses_replays_old_and_forged(void **state)
{
    enum { N = 1100 };
    struct srtp_gcm *sealer = srtp_gcm_new_rtcp(master_key, master_salt);
    struct srtp_gcm *ours = srtp_gcm_new_rtcp_opener(master_key, master_salt);
    static uint8_t pkts[N + 1][SEALED_LEN]; /* index i at pkts[i]; 0 unused */
    for (int i = 1; i <= N; i++) {
        size_t len = rtcp_packet(pkts[i], 0x77, (uint8_t)i);
        assert_int_equal(srtp_gcm_seal_rtcp(sealer, pkts[i], &len, SEALED_LEN), 0);
    }
    assert_int_equal(open_copy(srtp_gcm_open_rtcp, ours, pkts[N - 200], SEALED_LEN, -1), 0);
    uint8_t forged[SEALED_LEN];
    memcpy(forged, pkts[N - 200], SEALED_LEN);
    forged[SEALED_LEN - 2] ^= 0x40; /* index + 16384: far ahead, if it were believed */
    assert_int_equal(open_copy(srtp_gcm_open_rtcp, ours, forged, SEALED_LEN, -1), SRTPX_ERR_AUTH);
    static const struct {
        int index, flip_at, want;
    } steps[] = {
        {N - 200, -1, SRTPX_ERR_REPLAY},
        {N - 199, 1, SRTPX_ERR_AUTH},              /* the packet type, in the clear header */
        {N - 199, 20, SRTPX_ERR_AUTH},             /* the encrypted report */
        {N - 199, RTCP_LEN + 3, SRTPX_ERR_AUTH},   /* the tag */
        {N - 199, SEALED_LEN - 4, SRTPX_ERR_AUTH}, /* the E flag */
        {N - 199, -1, 0},
        {N, -1, 0},
        {N - 1023, -1, 0},                /* 1023 behind the newest */
        {N - 1024, -1, SRTPX_ERR_REPLAY}, /* 1024 behind */
        {N - 1023, -1, SRTPX_ERR_REPLAY},
        {N - 500, -1, 0},
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        assert_int_equal(
            open_copy(srtp_gcm_open_rtcp, ours, pkts[steps[i].index], SEALED_LEN, steps[i].flip_at),
            steps[i].want);
    srtp_gcm_free(ours);
    srtp_gcm_free(sealer);
}

/* Packets too short for the clear header (or, opening, for the trailer), a wrong version, too
 * little room, and an RTP context asked for RTCP (or the other way round) are refused. */
static void bad_packets_and_wrong_context(void **state)
{
    struct srtp_gcm *sealer = srtp_gcm_new_rtcp(master_key, master_salt);
    struct srtp_gcm *opener = srtp_gcm_new_rtcp_opener(master_key, master_salt);
    struct srtp_gcm *rtp = srtp_gcm_new(master_key, master_salt);
    uint8_t buf[128];
    size_t len = 7;
    rtcp_packet(buf, 1, 1);
    assert_int_equal(srtp_gcm_seal_rtcp(sealer, buf, &len, sizeof buf), SRTPX_ERR_MALFORMED);
    len = RTCP_LEN;
    assert_int_equal(srtp_gcm_seal_rtcp(sealer, buf, &len, SEALED_LEN - 1), SRTPX_ERR_NO_ROOM);
    assert_int_equal(len, RTCP_LEN);
    assert_int_equal(srtp_gcm_seal_rtcp(rtp, buf, &len, sizeof buf), SRTPX_ERR_FAILED);
    assert_int_equal(srtp_gcm_seal_rtcp(opener, buf, &len, sizeof buf), SRTPX_ERR_FAILED);
    assert_int_equal(srtp_gcm_seal_rtcp(sealer, buf, &len, sizeof buf), 0);
    assert_int_equal(srtp_gcm_open_rtp(opener, buf, &len), SRTPX_ERR_FAILED);
    size_t short_len = 8 + SRTP_GCM_RTCP_TRAILER_LEN - 1;
    assert_int_equal(srtp_gcm_open_rtcp(opener, buf, &short_len), SRTPX_ERR_MALFORMED);
    buf[0] = 0x41; /* version 1 */
    assert_int_equal(srtp_gcm_open_rtcp(opener, buf, &len), SRTPX_ERR_MALFORMED);
    srtp_gcm_free(rtp);
    srtp_gcm_free(opener);
    srtp_gcm_free(sealer);
}

int main(void)
{
    srtp_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_bytes_as_libsrtp),
        cmocka_unit_test(libsrtp_opens_ours),
        cmocka_unit_test(opens_libsrtp_encrypted_or_not),
        cmocka_unit_test(refuses_replays_old_and_forged),
        cmocka_unit_test(bad_packets_and_wrong_context),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    srtp_shutdown();
    return failed;
}
