/* libsrtp_ref.h: what the SRTP tests of both libgcrypt transforms share (included after cmocka's
 * headers): libsrtp2's own context for a profile, key and salt (the independent implementation
 * that rtc/srtp_gcm and rtc/srtp_cm are checked against), and the RTP packets they both seal. */
#ifndef ONAIR_TESTS_LIBSRTP_REF_H
#define ONAIR_TESTS_LIBSRTP_REF_H
#include <srtp2/srtp.h>
#include <stdbool.h>
#include <string.h>

#include "rtc/srtp.h"
#include "rtc/srtp_index.h"

/* libsrtp's context under PROFILE (AEAD_AES_128_GCM or AES128_CM_SHA1_80) for the master KEY and
 * SALT, as long as the profile has them, sealing (ssrc_any_outbound) or checking
 * (ssrc_any_inbound) with our 1024-packet window (libsrtp's 128 would refuse the late packets
 * the tests send); RTCP_SERVICES says whether it encrypts RTCP (sec_serv_conf_and_auth) or only
 * authenticates it (sec_serv_auth: the E flag clear). */
static inline srtp_t libsrtp_context(enum srtp_profile profile, const uint8_t *key,
                                     const uint8_t *salt, srtp_ssrc_type_t direction,
                                     srtp_sec_serv_t rtcp_services)
{
    bool gcm = profile == SRTP_PROFILE_AEAD_AES_128_GCM;
    assert_true(gcm || profile == SRTP_PROFILE_AES128_CM_SHA1_80);
    srtp_profile_t theirs = gcm ? srtp_profile_aead_aes_128_gcm : srtp_profile_aes128_cm_sha1_80;
    size_t salt_len = gcm ? SRTP_KEYS_SALT_LEN_GCM : SRTP_KEYS_SALT_LEN_CM;
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, theirs);
    srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, theirs);
    policy.rtcp.sec_serv = rtcp_services;
    /* libsrtp takes the key and salt as one string, of the length its profile says. */
    uint8_t master[SRTP_KEYS_KEY_LEN + SRTP_KEYS_SALT_MAX];
    memcpy(master, key, SRTP_KEYS_KEY_LEN);
    memcpy(master + SRTP_KEYS_KEY_LEN, salt, salt_len);
    policy.key = master;
    policy.ssrc.type = direction;
    policy.window_size = SRTP_REPLAY_WINDOW;
    /* A sealer is handed retransmissions (a NACK's answer) of packets it has sealed before. */
    policy.allow_repeat_tx = direction == ssrc_any_outbound;
    srtp_t ctx = NULL;
    assert_int_equal(srtp_create(&ctx, &policy), srtp_err_status_ok);
    return ctx;
}

/* The optional parts of an RTP header rtp_packet adds, each moving where the payload starts. */
enum {
    RTP_WITH_CSRCS = 1,     /* two CSRCs */
    RTP_WITH_EXTENSION = 2, /* a one-byte header extension */
    RTP_WITH_PADDING = 4,   /* three bytes of padding */
};

/* An RTP packet of SSRC and SEQ with PAYLOAD bytes, and what FLAGS (RTP_WITH_*) asks for, in
 * BUF; returns its length. */
static inline size_t rtp_packet(uint8_t *buf, uint32_t ssrc, uint16_t seq, size_t payload,
                                int flags)
{
    size_t n = 0;
    buf[n++] =
        (uint8_t)(0x80 | ((flags & RTP_WITH_PADDING) ? 0x20 : 0) |
                  ((flags & RTP_WITH_EXTENSION) ? 0x10 : 0) | ((flags & RTP_WITH_CSRCS) ? 2 : 0));
    buf[n++] = 96;
    buf[n++] = (uint8_t)(seq >> 8);
    buf[n++] = (uint8_t)seq;
    for (int i = 0; i < 4; i++)
        buf[n++] = (uint8_t)(0x11 * (i + 1)); /* timestamp */
    for (int i = 3; i >= 0; i--)
        buf[n++] = (uint8_t)(ssrc >> (8 * i));
    if (flags & RTP_WITH_CSRCS)
        for (int i = 0; i < 8; i++)
            buf[n++] = (uint8_t)(0xc0 + i);
    if (flags & RTP_WITH_EXTENSION) {
        static const uint8_t ext[] = {0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00};
        memcpy(buf + n, ext, sizeof ext);
        n += sizeof ext;
    }
    for (size_t i = 0; i < payload; i++)
        buf[n++] = (uint8_t)(i * 7 + seq);
    if (flags & RTP_WITH_PADDING) {
        buf[n++] = 0;
        buf[n++] = 0;
        buf[n++] = 3; /* the padding's length, itself included */
    }
    return n;
}

#endif
