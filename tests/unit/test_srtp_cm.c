/* Tests for rtc/srtp_cm against RFC 3711's key derivation vectors and libsrtp2, an independent
 * implementation of AES_CM_128_HMAC_SHA1_80: packets sealed by both must be the same bytes, RTP
 * across a sequence number wrap and RTCP; each side must open what the other seals; and the
 * opener must refuse replays and tampering, leaving a forged packet as it came and its state
 * unmoved. */
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

#include "libsrtp_ref.h"
#include "rtc/srtp.h"
#include "rtc/srtp_base.h"
#include "rtc/srtp_cm.h"

static const uint8_t master_key[SRTP_CM_KEY_LEN] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
                                                    0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f};
static const uint8_t master_salt[SRTP_CM_SALT_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
                                                      0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad};

/* libsrtp's AES_CM_128_HMAC_SHA1_80 context for the master key and salt, either way (see
 * libsrtp_context). */
static srtp_t libsrtp_cm(srtp_ssrc_type_t direction, srtp_sec_serv_t rtcp_services)
{
    return libsrtp_context(SRTP_PROFILE_AES128_CM_SHA1_80, master_key, master_salt, direction,
                           rtcp_services);
}

/* A sender report of SSRC followed by a receiver report block's worth of bytes. */
static size_t rtcp_packet(uint8_t *buf, uint32_t ssrc, uint8_t fill)
{
    static const uint8_t header[] = {0x80, 200, 0x00, 0x0c};
    memcpy(buf, header, sizeof header);
    for (int i = 3; i >= 0; i--)
        buf[4 + 3 - i] = (uint8_t)(ssrc >> (8 * i));
    for (size_t i = 8; i < 52; i++)
        buf[i] = (uint8_t)(fill + i);
    return 52;
}

static void from_hex(const char *hex, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++)
        assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
}

/* RFC 3711 Appendix B.3: the session encryption key, salt and authentication key derived from
 * its master key and salt. */
static void key_derivation_vectors(void **state)
{
    (void)state;
    uint8_t key[16], salt[14], want[20], got[20];
    from_hex("E1F97A0D3E018BE0D64FA32C06DE4139", key, sizeof key);
    from_hex("0EC675AD498AFEEBB6960B3AABE6", salt, sizeof salt);
    assert_int_equal(srtp_kdf(key, salt, sizeof salt, 0x00, got, 16), 0);
    from_hex("C61E7A93744F39EE10734AFE3FF7A087", want, 16);
    assert_memory_equal(got, want, 16);
    assert_int_equal(srtp_kdf(key, salt, sizeof salt, 0x02, got, 14), 0);
    from_hex("30CBBC08863D8C85D49DB34A9AE1", want, 14);
    assert_memory_equal(got, want, 14);
    assert_int_equal(srtp_kdf(key, salt, sizeof salt, 0x01, got, 20), 0);
    from_hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want, 20);
    assert_memory_equal(got, want, 20);
}

/* The same RTP packets (two SSRCs, one with a header extension, across SEQ 65535 → 0) sealed by
 * both are the same bytes, and libsrtp opens ours to the packet we sealed. */
static void same_rtp_bytes_as_libsrtp(void **state)
{
    (void)state;
    struct srtp_cm *ours = srtp_cm_new(master_key, master_salt, false, false);
    assert_non_null(ours);
    srtp_t theirs = libsrtp_cm(ssrc_any_outbound, sec_serv_conf_and_auth);
    srtp_t their_opener = libsrtp_cm(ssrc_any_inbound, sec_serv_conf_and_auth);
    for (uint32_t i = 0; i < 40; i++) {
        uint32_t ssrc = i % 2 ? 0x11223344 : 0xcafef00d;
        uint16_t seq = (uint16_t)(65520 + i / 2);
        uint8_t plain[1500], a[1500], b[1500];
        size_t n = rtp_packet(plain, ssrc, seq, 100 + 29 * i, i % 4 == 1 ? RTP_WITH_EXTENSION : 0);
        memcpy(a, plain, n);
        memcpy(b, plain, n);
        size_t a_len = n;
        assert_int_equal(srtp_cm_seal_rtp(ours, a, &a_len, sizeof a), 0);
        assert_int_equal(a_len, n + SRTP_CM_TAG_LEN);
        int b_len = (int)n;
        assert_int_equal(srtp_protect(theirs, b, &b_len), srtp_err_status_ok);
        assert_int_equal((size_t)b_len, a_len);
        assert_memory_equal(a, b, a_len);
        int open_len = (int)a_len;
        assert_int_equal(srtp_unprotect(their_opener, a, &open_len), srtp_err_status_ok);
        assert_int_equal((size_t)open_len, n);
        assert_memory_equal(a, plain, n);
    }
    srtp_dealloc(theirs);
    srtp_dealloc(their_opener);
    srtp_cm_free(ours);
}

/* Our opener opens what libsrtp seals, across the wrap and with a retransmission from before
 * it arriving after; refuses the same packet twice; and a packet with one bit flipped fails
 * its check, is left as it came, and does not stop the genuine one after it. */
static void opens_what_libsrtp_seals(void **state)
{
    (void)state;
    struct srtp_cm *ours = srtp_cm_new(master_key, master_salt, false, true);
    assert_non_null(ours);
    srtp_t theirs = libsrtp_cm(ssrc_any_outbound, sec_serv_conf_and_auth);
    uint8_t sealed[64][1500], plain[64][1500];
    size_t sealed_len[64], plain_len[64];
    for (int i = 0; i < 64; i++) {
        plain_len[i] = rtp_packet(plain[i], 0x5eed, (uint16_t)(65500 + i), 200 + i,
                                  i % 3 == 0 ? RTP_WITH_EXTENSION : 0);
        memcpy(sealed[i], plain[i], plain_len[i]);
        int n = (int)plain_len[i];
        assert_int_equal(srtp_protect(theirs, sealed[i], &n), srtp_err_status_ok);
        sealed_len[i] = (size_t)n;
    }
    uint8_t buf[1500];
    for (int i = 0; i < 64; i++) {
        if (i == 40) {
            /* Packet 30 (from before the wrap at 36) again, as a NACK's answer: refused, since
             * it was opened; then packet 39 tampered with. */
            memcpy(buf, sealed[30], sealed_len[30]);
            size_t len = sealed_len[30];
            assert_int_equal(srtp_cm_open_rtp(ours, buf, &len), SRTPX_ERR_REPLAY);
        }
        memcpy(buf, sealed[i], sealed_len[i]);
        size_t len = sealed_len[i];
        if (i == 50) {
            buf[20] ^= 0x04;
            assert_int_equal(srtp_cm_open_rtp(ours, buf, &len), SRTPX_ERR_AUTH);
            assert_int_equal(len, sealed_len[i]);
            buf[20] ^= 0x04;
            assert_memory_equal(buf, sealed[i], sealed_len[i]);
        }
        if (i == 20)
            continue; /* lost, for now */
        assert_int_equal(srtp_cm_open_rtp(ours, buf, &len), 0);
        assert_int_equal(len, plain_len[i]);
        assert_memory_equal(buf, plain[i], len);
    }
    /* Packet 20, from before the wrap, arrives last: still opened, under the old counter. */
    memcpy(buf, sealed[20], sealed_len[20]);
    size_t len = sealed_len[20];
    assert_int_equal(srtp_cm_open_rtp(ours, buf, &len), 0);
    assert_memory_equal(buf, plain[20], plain_len[20]);
    srtp_dealloc(theirs);
    srtp_cm_free(ours);
}

/* SRTCP: ours and libsrtp's seal the same bytes, each opens the other's, our opener opens an
 * authenticated-only packet (E flag clear), and refuses a replay and a forged index. */
static void rtcp_against_libsrtp(void **state)
{
    (void)state;
    struct srtp_cm *sealer = srtp_cm_new(master_key, master_salt, true, false);
    struct srtp_cm *opener = srtp_cm_new(master_key, master_salt, true, true);
    assert_non_null(sealer);
    assert_non_null(opener);
    srtp_t their_sealer = libsrtp_cm(ssrc_any_outbound, sec_serv_conf_and_auth);
    srtp_t their_opener = libsrtp_cm(ssrc_any_inbound, sec_serv_conf_and_auth);
    srtp_t auth_only = libsrtp_cm(ssrc_any_outbound, sec_serv_auth);
    for (int i = 0; i < 5; i++) {
        uint8_t plain[128], a[128], b[128];
        size_t n = rtcp_packet(plain, 0xabcdef01, (uint8_t)i);
        memcpy(a, plain, n);
        memcpy(b, plain, n);
        size_t a_len = n;
        assert_int_equal(srtp_cm_seal_rtcp(sealer, a, &a_len, sizeof a), 0);
        assert_int_equal(a_len, n + SRTP_CM_RTCP_TRAILER_LEN);
        int b_len = (int)n;
        assert_int_equal(srtp_protect_rtcp(their_sealer, b, &b_len), srtp_err_status_ok);
        assert_int_equal((size_t)b_len, a_len);
        assert_memory_equal(a, b, a_len);
        /* Each opens the other's. */
        int open_len = (int)a_len;
        assert_int_equal(srtp_unprotect_rtcp(their_opener, a, &open_len), srtp_err_status_ok);
        assert_memory_equal(a, plain, n);
        size_t len = a_len;
        assert_int_equal(srtp_cm_open_rtcp(opener, b, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(b, plain, n);
    }
    uint8_t plain[128], c[128];
    size_t n = rtcp_packet(plain, 0x0badcafe, 9);
    memcpy(c, plain, n);
    int c_len = (int)n;
    assert_int_equal(srtp_protect_rtcp(auth_only, c, &c_len), srtp_err_status_ok);
    uint8_t again[128];
    memcpy(again, c, (size_t)c_len);
    uint8_t forged[128];
    memcpy(forged, c, (size_t)c_len);
    forged[c_len - SRTP_CM_TAG_LEN - 1] ^= 0x02; /* another index under the same tag */
    size_t len = (size_t)c_len;
    assert_int_equal(srtp_cm_open_rtcp(opener, forged, &len), SRTPX_ERR_AUTH);
    len = (size_t)c_len;
    assert_int_equal(srtp_cm_open_rtcp(opener, c, &len), 0);
    assert_int_equal(len, n);
    assert_memory_equal(c, plain, n);
    len = (size_t)c_len;
    assert_int_equal(srtp_cm_open_rtcp(opener, again, &len), SRTPX_ERR_REPLAY);
    srtp_dealloc(their_sealer);
    srtp_dealloc(their_opener);
    srtp_dealloc(auth_only);
    srtp_cm_free(sealer);
    srtp_cm_free(opener);
}

/* Bad input costs nothing: too short, not version 2, no room for the tag, the wrong role. */
static void bad_packets_and_short_room(void **state)
{
    (void)state;
    struct srtp_cm *sealer = srtp_cm_new(master_key, master_salt, false, false);
    struct srtp_cm *opener = srtp_cm_new(master_key, master_salt, false, true);
    uint8_t buf[256];
    size_t n = rtp_packet(buf, 1, 1, 20, 0);
    size_t len = 11;
    assert_int_equal(srtp_cm_seal_rtp(sealer, buf, &len, sizeof buf), SRTPX_ERR_MALFORMED);
    len = n;
    assert_int_equal(srtp_cm_seal_rtp(sealer, buf, &len, n + SRTP_CM_TAG_LEN - 1),
                     SRTPX_ERR_NO_ROOM);
    assert_int_equal(len, n);
    assert_int_equal(srtp_cm_seal_rtp(opener, buf, &len, sizeof buf), SRTPX_ERR_FAILED);
    len = 12 + SRTP_CM_TAG_LEN - 1;
    assert_int_equal(srtp_cm_open_rtp(opener, buf, &len), SRTPX_ERR_MALFORMED);
    buf[0] = 0x40; /* version 1 */
    len = n;
    assert_int_equal(srtp_cm_open_rtp(opener, buf, &len), SRTPX_ERR_MALFORMED);
    assert_int_equal(srtp_cm_seal_rtcp(sealer, buf, &len, sizeof buf), SRTPX_ERR_MALFORMED);
    srtp_cm_free(sealer);
    srtp_cm_free(opener);
}

int main(void)
{
    srtp_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_derivation_vectors),     cmocka_unit_test(same_rtp_bytes_as_libsrtp),
        cmocka_unit_test(opens_what_libsrtp_seals),   cmocka_unit_test(rtcp_against_libsrtp),
        cmocka_unit_test(bad_packets_and_short_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
