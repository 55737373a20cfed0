/* fuzz_srtp_gcm: any bytes as an outgoing RTP packet. The sealer takes it or calls it malformed;
 * what it seals, libsrtp2 (an independent RFC 7714 implementation) opens to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/srtp.h"
#include "rtc/srtp_gcm.h"

static void require(int condition)
{
    if (!condition)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1500)
        return 0;
    static struct srtp_keys keys = {.profile = SRTP_PROFILE_AEAD_AES_128_GCM,
                                    .key_len = SRTP_KEYS_KEY_LEN,
                                    .salt_len = SRTP_KEYS_SALT_LEN_GCM,
                                    .remote_key = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13},
                                    .remote_salt = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2}};
    srtp_global_init();
    struct srtp_gcm *sealer = srtp_gcm_new(keys.remote_key, keys.remote_salt);
    struct srtpx *opener = srtpx_new(&keys, false);
    require(sealer && opener);
    uint8_t buf[1500 + SRTP_GCM_TAG_LEN];
    memcpy(buf, data, size);
    size_t len = size;
    int rc = srtp_gcm_seal_rtp(sealer, buf, &len, sizeof buf);
    require(rc == 0 || rc == SRTPX_ERR_MALFORMED);
    if (rc == 0) {
        require(len == size + SRTP_GCM_TAG_LEN);
        require(srtpx_unprotect_rtp(opener, buf, &len) == 0);
        require(len == size && memcmp(buf, data, size) == 0);
    }
    srtp_gcm_free(sealer);
    srtpx_free(opener);
    return 0;
}
