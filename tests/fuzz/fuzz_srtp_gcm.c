/* fuzz_srtp_gcm: any bytes as an RTP packet to seal and as an SRTP packet to open, and the same
 * as RTCP and SRTCP. The sealer takes the packet or calls it malformed; what it seals, libsrtp2
 * (an independent RFC 7714 implementation) and our opener both open to the same bytes, and what
 * libsrtp seals our opener opens too. The bytes themselves, as an SRTP or SRTCP packet, never
 * pass the opener's check: nobody without the key makes an authentic packet. */
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/srtp.h"
#include "rtc/srtp_gcm.h"

static const uint8_t key[SRTP_GCM_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
static const uint8_t salt[SRTP_GCM_SALT_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};

static void require(int condition)
{
    if (!condition)
        abort();
}

/* libsrtp's own context for KEY and SALT, either way. */
static srtp_t libsrtp(srtp_ssrc_type_t direction)
{
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, srtp_profile_aead_aes_128_gcm);
    srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, srtp_profile_aead_aes_128_gcm);
    uint8_t master[SRTP_GCM_KEY_LEN + SRTP_GCM_SALT_LEN];
    memcpy(master, key, sizeof key);
    memcpy(master + SRTP_GCM_KEY_LEN, salt, sizeof salt);
    policy.key = master;
    policy.ssrc.type = direction;
    policy.window_size = SRTP_GCM_REPLAY_WINDOW;
    srtp_t ctx = NULL;
    require(srtp_create(&ctx, &policy) == srtp_err_status_ok);
    return ctx;
}

/* One kind of packet: how each side seals and opens it, and what sealing adds. */
struct kind {
    struct srtp_gcm *(*new_sealer)(const uint8_t *, const uint8_t *);
    struct srtp_gcm *(*new_opener)(const uint8_t *, const uint8_t *);
    int (*seal)(struct srtp_gcm *, uint8_t *, size_t *, size_t);
    int (*open)(struct srtp_gcm *, uint8_t *, size_t *);
    srtp_err_status_t (*their_seal)(srtp_t, void *, int *);
    srtp_err_status_t (*their_open)(srtp_t, void *, int *);
    size_t trailer;
};

static const struct kind rtp = {
    .new_sealer = srtp_gcm_new,
    .new_opener = srtp_gcm_new_opener,
    .seal = srtp_gcm_seal_rtp,
    .open = srtp_gcm_open_rtp,
    .their_seal = srtp_protect,
    .their_open = srtp_unprotect,
    .trailer = SRTP_GCM_TAG_LEN,
};
static const struct kind rtcp = {
    .new_sealer = srtp_gcm_new_rtcp,
    .new_opener = srtp_gcm_new_rtcp_opener,
    .seal = srtp_gcm_seal_rtcp,
    .open = srtp_gcm_open_rtcp,
    .their_seal = srtp_protect_rtcp,
    .their_open = srtp_unprotect_rtcp,
    .trailer = SRTP_GCM_RTCP_TRAILER_LEN,
};

/* DATA as a sealed packet of kind K (never authentic), then as a plain one sealed by each side
 * and opened by the other. */
static void both_ways(const struct kind *k, const uint8_t *data, size_t size, srtp_t their_opener,
                      srtp_t their_sealer)
{
    struct srtp_gcm *sealer = k->new_sealer(key, salt);
    struct srtp_gcm *opener = k->new_opener(key, salt);
    struct srtp_gcm *forged = k->new_opener(key, salt);
    require(sealer && opener && forged);
    uint8_t buf[1500 + SRTP_MAX_TRAILER_LEN];
    memcpy(buf, data, size);
    size_t len = size;
    require(k->open(forged, buf, &len) != 0);

    memcpy(buf, data, size);
    len = size;
    int rc = k->seal(sealer, buf, &len, sizeof buf);
    require(rc == 0 || rc == SRTPX_ERR_MALFORMED);
    if (rc == 0) {
        require(len == size + k->trailer);
        uint8_t copy[sizeof buf];
        memcpy(copy, buf, len);
        size_t ours_len = len;
        require(k->open(opener, copy, &ours_len) == 0);
        require(ours_len == size && memcmp(copy, data, size) == 0);
        int theirs_len = (int)len;
        require(k->their_open(their_opener, buf, &theirs_len) == srtp_err_status_ok);
        require((size_t)theirs_len == size && memcmp(buf, data, size) == 0);

        /* The other way: libsrtp seals, our opener (a fresh SSRC state) opens. */
        struct srtp_gcm *fresh = k->new_opener(key, salt);
        require(fresh != NULL);
        memcpy(buf, data, size);
        theirs_len = (int)size;
        require(k->their_seal(their_sealer, buf, &theirs_len) == srtp_err_status_ok);
        len = (size_t)theirs_len;
        require(k->open(fresh, buf, &len) == 0);
        require(len == size && memcmp(buf, data, size) == 0);
        srtp_gcm_free(fresh);
    }
    srtp_gcm_free(sealer);
    srtp_gcm_free(opener);
    srtp_gcm_free(forged);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1500)
        return 0;
    srtp_global_init();
    srtp_t their_opener = libsrtp(ssrc_any_inbound), their_sealer = libsrtp(ssrc_any_outbound);
    both_ways(&rtp, data, size, their_opener, their_sealer);
    both_ways(&rtcp, data, size, their_opener, their_sealer);
    srtp_dealloc(their_opener);
    srtp_dealloc(their_sealer);
    return 0;
}
