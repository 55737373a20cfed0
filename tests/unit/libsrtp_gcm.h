/* libsrtp_gcm.h: what the srtp_gcm tests share (included after cmocka's headers): one master
 * key and salt, libsrtp2's own AEAD_AES_128_GCM context for them (the independent
 * implementation of RFC 7714 that ours is checked against, from libsrtp_ref.h), and opening a
 * tampered copy. */
#ifndef ONAIR_TESTS_LIBSRTP_GCM_H
#define ONAIR_TESTS_LIBSRTP_GCM_H
#include <string.h>

#include "libsrtp_ref.h"
#include "rtc/srtp_gcm.h"

static const uint8_t master_key[SRTP_GCM_KEY_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
static const uint8_t master_salt[SRTP_GCM_SALT_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                                       0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};

/* libsrtp's context for the master key and salt, either way (see libsrtp_context). */
static inline srtp_t libsrtp_gcm(srtp_ssrc_type_t direction, srtp_sec_serv_t rtcp_services)
{
    return libsrtp_context(SRTP_PROFILE_AEAD_AES_128_GCM, master_key, master_salt, direction,
                           rtcp_services);
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
