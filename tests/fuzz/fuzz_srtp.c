/* fuzz_srtp: any bytes as an RTP packet to seal and as an SRTP packet to open, and the same as
 * RTCP and SRTCP, under both profiles that run on libgcrypt: AEAD_AES_128_GCM (rtc/srtp_gcm)
 * and AES_CM_128_HMAC_SHA1_80 (rtc/srtp_cm). The sealer takes the packet or calls it
 * malformed; what it seals, libsrtp2 (an independent implementation) and our opener both open
 * to the same bytes, and what libsrtp seals our opener opens too. The bytes themselves, as an
 * SRTP or SRTCP packet, never pass the opener's check: nobody without the key makes an
 * authentic packet. */
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/srtp.h"
#include "rtc/srtp_cm.h"
#include "rtc/srtp_gcm.h"
#include "rtc/srtp_index.h"

/* 16 bytes of key, then up to 14 of salt (GCM takes the first 12). */
static const uint8_t master[30] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0,
                                   0, 9, 8, 7, 6, 5, 4, 3, 2, 1,  0,  1,  2,  3, 4};

static void require(int condition)
{
    if (!condition)
        abort();
}

/* libsrtp's own context for PROFILE and the master key, either way. */
static srtp_t libsrtp(srtp_profile_t profile, srtp_ssrc_type_t direction)
{
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, profile);
    srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, profile);
    uint8_t key[30];
    size_t salt_len =
        profile == srtp_profile_aead_aes_128_gcm ? SRTP_GCM_SALT_LEN : SRTP_CM_SALT_LEN;
    memcpy(key, master, 16 + salt_len);
    policy.key = key;
    policy.ssrc.type = direction;
    policy.window_size = SRTP_REPLAY_WINDOW;
    srtp_t ctx = NULL;
    require(srtp_create(&ctx, &policy) == srtp_err_status_ok);
    return ctx;
}

/* Our two transforms behind one face: a context is a srtp_gcm or a srtp_cm. */
static void *new_context(bool gcm, bool rtcp, bool opener)
{
    const uint8_t *salt = master + 16;
    if (!gcm)
        return srtp_cm_new(master, salt, rtcp, opener);
    if (rtcp)
        return opener ? srtp_gcm_new_rtcp_opener(master, salt) : srtp_gcm_new_rtcp(master, salt);
    return opener ? srtp_gcm_new_opener(master, salt) : srtp_gcm_new(master, salt);
}

static void free_context(bool gcm, void *c)
{
    if (gcm)
        srtp_gcm_free(c);
    else
        srtp_cm_free(c);
}

static int seal(bool gcm, bool rtcp, void *c, uint8_t *buf, size_t *len, size_t cap)
{
    if (gcm)
        return rtcp ? srtp_gcm_seal_rtcp(c, buf, len, cap) : srtp_gcm_seal_rtp(c, buf, len, cap);
    return rtcp ? srtp_cm_seal_rtcp(c, buf, len, cap) : srtp_cm_seal_rtp(c, buf, len, cap);
}

static int open_sealed(bool gcm, bool rtcp, void *c, uint8_t *buf, size_t *len)
{
    if (gcm)
        return rtcp ? srtp_gcm_open_rtcp(c, buf, len) : srtp_gcm_open_rtp(c, buf, len);
    return rtcp ? srtp_cm_open_rtcp(c, buf, len) : srtp_cm_open_rtp(c, buf, len);
}

static size_t trailer(bool gcm, bool rtcp)
{
    if (gcm)
        return rtcp ? SRTP_GCM_RTCP_TRAILER_LEN : SRTP_GCM_TAG_LEN;
    return rtcp ? SRTP_CM_RTCP_TRAILER_LEN : SRTP_CM_TAG_LEN;
}

/* DATA as a sealed packet (never authentic), then as a plain one sealed by each side and
 * opened by the other. */
static void both_ways(bool gcm, bool rtcp, const uint8_t *data, size_t size)
{
    srtp_profile_t profile = gcm ? srtp_profile_aead_aes_128_gcm : srtp_profile_aes128_cm_sha1_80;
    srtp_t their_opener = libsrtp(profile, ssrc_any_inbound);
    srtp_t their_sealer = libsrtp(profile, ssrc_any_outbound);
    void *sealer = new_context(gcm, rtcp, false), *opener = new_context(gcm, rtcp, true);
    void *forged = new_context(gcm, rtcp, true), *fresh = new_context(gcm, rtcp, true);
    require(sealer && opener && forged && fresh);
    uint8_t buf[1500 + SRTP_MAX_TRAILER_LEN];
    memcpy(buf, data, size);
    size_t len = size;
    require(open_sealed(gcm, rtcp, forged, buf, &len) != 0);

    memcpy(buf, data, size);
    len = size;
    int rc = seal(gcm, rtcp, sealer, buf, &len, sizeof buf);
    require(rc == 0 || rc == SRTPX_ERR_MALFORMED);
    if (rc == 0) {
        require(len == size + trailer(gcm, rtcp));
        uint8_t copy[sizeof buf];
        memcpy(copy, buf, len);
        size_t ours_len = len;
        require(open_sealed(gcm, rtcp, opener, copy, &ours_len) == 0);
        require(ours_len == size && memcmp(copy, data, size) == 0);
        int theirs_len = (int)len;
        srtp_err_status_t status = rtcp ? srtp_unprotect_rtcp(their_opener, buf, &theirs_len)
                                        : srtp_unprotect(their_opener, buf, &theirs_len);
        require(status == srtp_err_status_ok);
        require((size_t)theirs_len == size && memcmp(buf, data, size) == 0);

        /* The other way: libsrtp seals, our opener (a fresh SSRC state) opens. */
        memcpy(buf, data, size);
        theirs_len = (int)size;
        status = rtcp ? srtp_protect_rtcp(their_sealer, buf, &theirs_len)
                      : srtp_protect(their_sealer, buf, &theirs_len);
        require(status == srtp_err_status_ok);
        len = (size_t)theirs_len;
        require(open_sealed(gcm, rtcp, fresh, buf, &len) == 0);
        require(len == size && memcmp(buf, data, size) == 0);
    }
    free_context(gcm, sealer);
    free_context(gcm, opener);
    free_context(gcm, forged);
    free_context(gcm, fresh);
    srtp_dealloc(their_opener);
    srtp_dealloc(their_sealer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1500)
        return 0;
    srtp_global_init();
    for (int gcm = 0; gcm < 2; gcm++)
        for (int rtcp = 0; rtcp < 2; rtcp++)
            both_ways(gcm, rtcp, data, size);
    return 0;
}
