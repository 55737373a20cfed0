/* libsrtp_gcm.h: what the srtp_gcm tests share (included after cmocka's headers): one master
 * key and salt, libsrtp2's own AEAD_AES_128_GCM context for them (the independent
 * implementation of RFC 7714 that ours is checked against), and opening a tampered copy. */
#ifndef ONAIR_TESTS_LIBSRTP_GCM_H
#define ONAIR_TESTS_LIBSRTP_GCM_H
#include <srtp2/srtp.h>
#include <string.h>

#include "rtc/srtp_gcm.h"
#include "rtc/srtp_index.h"

static const uint8_t master_key[SRTP_GCM_KEY_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
static const uint8_t master_salt[SRTP_GCM_SALT_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                                       0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};

/* libsrtp's context for the master key and salt, sealing (ssrc_any_outbound) or checking
 * (ssrc_any_inbound) with a 1024-packet window; RTCP_SERVICES says whether it encrypts RTCP
 * (sec_serv_conf_and_auth) or only authenticates it (sec_serv_auth: the E flag clear). */
static inline srtp_t libsrtp_gcm(srtp_ssrc_type_t direction, srtp_sec_serv_t rtcp_services)
{
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, srtp_profile_aead_aes_128_gcm);
    srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, srtp_profile_aead_aes_128_gcm);
    policy.rtcp.sec_serv = rtcp_services;
    uint8_t master[SRTP_GCM_KEY_LEN + SRTP_GCM_SALT_LEN];
    memcpy(master, master_key, sizeof master_key);
    memcpy(master + SRTP_GCM_KEY_LEN, master_salt, sizeof master_salt);
    policy.key = master;
    policy.ssrc.type = direction;
    policy.window_size = SRTP_REPLAY_WINDOW;
    policy.allow_repeat_tx = direction == ssrc_any_outbound;
    srtp_t ctx = NULL;
    assert_int_equal(srtp_create(&ctx, &policy), srtp_err_status_ok);
    return ctx;
}

/* Opens a copy of PKT (LEN bytes, at most 2048) with OPEN on OURS, byte FLIP_AT flipped when it
 * is >= 0: the result. */
static inline int open_copy(int (*open)(struct srtp_gcm *, uint8_t *, size_t *),
                            struct srtp_gcm *ours, const uint8_t *pkt, size_t len, int flip_at)
{
    uint8_t buf[2048];
    assert_true(len <= sizeof buf);
    memcpy(buf, pkt, len);
    if (flip_at >= 0)
        buf[flip_at] ^= 1;
    return open(ours, buf, &len);
}

#endif
