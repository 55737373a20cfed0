/* Tests for rtc/srtp_gcm against libsrtp2, an independent implementation of RFC 7714: the same
 * packets sealed by both must be the same bytes, and libsrtp must accept ours across a sequence
 * number wrap, a retransmission from before the wrap, and interleaved SSRCs. */
/* cmocka needs these headers first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
/* clang-format on */

#include <srtp2/srtp.h>
#include <string.h>

#include "rtc/srtp.h"
#include "rtc/srtp_gcm.h"

static const uint8_t master_key[SRTP_GCM_KEY_LEN] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
                                                     0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
                                                     0x0c, 0x0d, 0x0e, 0x0f};
static const uint8_t master_salt[SRTP_GCM_SALT_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                                       0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};

/* libsrtp's own sealer for the same master key and salt. */
static srtp_t libsrtp_outbound(void)
{
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, srtp_profile_aead_aes_128_gcm);
    srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, srtp_profile_aead_aes_128_gcm);
    uint8_t master[SRTP_GCM_KEY_LEN + SRTP_GCM_SALT_LEN];
    memcpy(master, master_key, sizeof master_key);
    memcpy(master + SRTP_GCM_KEY_LEN, master_salt, sizeof master_salt);
    policy.key = master;
    policy.ssrc.type = ssrc_any_outbound;
    policy.window_size = 1024;
    policy.allow_repeat_tx = 1;
    srtp_t ctx = NULL;
    assert_int_equal(srtp_create(&ctx, &policy), srtp_err_status_ok);
    return ctx;
}

/* onair's checker of what a peer sends (libsrtp underneath) for the same keys. */
static struct srtpx *inbound(void)
{
    struct srtp_keys keys = {.profile = SRTP_PROFILE_AEAD_AES_128_GCM,
                             .key_len = SRTP_KEYS_KEY_LEN,
                             .salt_len = SRTP_KEYS_SALT_LEN_GCM};
    memcpy(keys.remote_key, master_key, sizeof master_key);
    memcpy(keys.remote_salt, master_salt, sizeof master_salt);
    struct srtpx *s = srtpx_new(&keys, false);
    assert_non_null(s);
    return s;
}

/* An RTP packet of SSRC and SEQ with PAYLOAD bytes; FLAGS picks CSRCs (1), a header extension
 * (2) and padding (4). Returns its length. */
static size_t packet(uint8_t *buf, uint32_t ssrc, uint16_t seq, size_t payload, int flags)
{
    size_t n = 0;
    buf[n++] = (uint8_t)(0x80 | ((flags & 4) ? 0x20 : 0) | ((flags & 2) ? 0x10 : 0) |
                         ((flags & 1) ? 2 : 0));
    buf[n++] = 96;
    buf[n++] = (uint8_t)(seq >> 8);
    buf[n++] = (uint8_t)seq;
    for (int i = 0; i < 4; i++)
        buf[n++] = (uint8_t)(0x11 * (i + 1)); /* timestamp */
    for (int i = 3; i >= 0; i--)
        buf[n++] = (uint8_t)(ssrc >> (8 * i));
    if (flags & 1)
        for (int i = 0; i < 8; i++)
            buf[n++] = (uint8_t)(0xc0 + i); /* two CSRCs */
    if (flags & 2) {
        static const uint8_t ext[] = {0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00};
        memcpy(buf + n, ext, sizeof ext);
        n += sizeof ext;
    }
    for (size_t i = 0; i < payload; i++)
        buf[n++] = (uint8_t)(i * 7 + seq);
    if (flags & 4) {
        buf[n++] = 0;
        buf[n++] = 0;
        buf[n++] = 3; /* three bytes of padding */
    }
    return n;
}

/* Seals one packet with both sealers and requires the same bytes. */
static void expect_same_sealing(struct srtp_gcm *ours, srtp_t theirs, uint32_t ssrc, uint16_t seq,
                                size_t payload, int flags)
{
    uint8_t a[2048], b[2048];
    size_t len = packet(a, ssrc, seq, payload, flags);
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
        int flags;
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
    struct srtpx *check = inbound();
    /* (ssrc, seq) in sending order; the 65535 of SSRC A comes late, as a NACK's answer. */
    struct {
        uint32_t ssrc;
        uint16_t seq;
    } order[] = {
        {0xaaaa0001, 65533}, {0xbbbb0002, 10},    {0xaaaa0001, 65534}, {0xaaaa0001, 0},
        {0xbbbb0002, 11},    {0xaaaa0001, 1},     {0xaaaa0001, 65535}, {0xaaaa0001, 2},
        {0xbbbb0002, 12},    {0xaaaa0001, 3},
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        uint8_t sealed[2048], plain[2048];
        size_t len = packet(plain, order[i].ssrc, order[i].seq, 200, (int)(i % 8));
        memcpy(sealed, plain, len);
        size_t n = len;
        assert_int_equal(srtp_gcm_seal_rtp(ours, sealed, &n, sizeof sealed), 0);
        assert_int_equal(srtpx_unprotect_rtp(check, sealed, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(sealed, plain, len);
    }
    srtpx_free(check);
    srtp_gcm_free(ours);
}

/* srtpx with the GCM profile seals RTP here: a tampered byte fails libsrtp's check. */
static void tampering_is_caught(void **state)
{
    struct srtp_gcm *ours = srtp_gcm_new(master_key, master_salt);
    struct srtpx *check = inbound();
    uint8_t buf[2048];
    size_t n = packet(buf, 0x01020304, 7, 100, 0);
    assert_int_equal(srtp_gcm_seal_rtp(ours, buf, &n, sizeof buf), 0);
    buf[40] ^= 1;
    assert_int_equal(srtpx_unprotect_rtp(check, buf, &n), SRTPX_ERR_AUTH);
    srtpx_free(check);
    srtp_gcm_free(ours);
}

static void bad_packets_and_short_room(void **state)
{
    struct srtp_gcm *ours = srtp_gcm_new(master_key, master_salt);
    uint8_t buf[2048];
    size_t n = packet(buf, 1, 1, 100, 0);
    size_t before = n;
    assert_int_equal(srtp_gcm_seal_rtp(ours, buf, &n, n + SRTP_GCM_TAG_LEN - 1),
                     SRTPX_ERR_NO_ROOM);
    assert_int_equal(n, before);
    buf[0] = 0x40; /* version 1 */
    assert_int_equal(srtp_gcm_seal_rtp(ours, buf, &n, sizeof buf), SRTPX_ERR_MALFORMED);
    n = packet(buf, 1, 1, 0, 2);
    n = 14; /* the extension header cut off */
    assert_int_equal(srtp_gcm_seal_rtp(ours, buf, &n, sizeof buf), SRTPX_ERR_MALFORMED);
    n = packet(buf, 1, 1, 0, 0);
    buf[0] = 0x8f; /* 15 CSRCs that are not there */
    assert_int_equal(srtp_gcm_seal_rtp(ours, buf, &n, sizeof buf), SRTPX_ERR_MALFORMED);
    srtp_gcm_free(ours);
}

/* More SSRCs than streams kept: each new one starts at rollover counter 0, as libsrtp's does. */
static void many_ssrcs(void **state)
{
    srtp_t theirs = libsrtp_outbound();
    struct srtp_gcm *ours = srtp_gcm_new(master_key, master_salt);
    for (uint32_t k = 0; k < 20; k++)
        expect_same_sealing(ours, theirs, 0x100 + k, (uint16_t)(k * 1000), 64, 0);
    srtp_gcm_free(ours);
    srtp_dealloc(theirs);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
