/* srtp_base: what the SRTP transforms on libgcrypt (rtc/srtp_gcm, rtc/srtp_cm) share: libgcrypt
 * made ready once a process, RFC 3711 §4.3's key derivation, and the RTP header's length. */
#ifndef ONAIR_RTC_SRTP_BASE_H
#define ONAIR_RTC_SRTP_BASE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SRTP_KDF_KEY_LEN 16
#define SRTP_KDF_SALT_MAX 14

/* Initialises libgcrypt the first time, from any thread; whether it can be used. */
bool srtp_gcrypt_ready(void);

/* RFC 3711 §4.3.1's key derivation with the AES-CM PRF (key derivation rate 0): OUT_LEN (at
 * most 64) bytes for LABEL (0x00 the SRTP encryption key, 0x01 its authentication key, 0x02
 * its salt; 0x03-0x05 the same for SRTCP) from the 16-byte master key and a master salt of
 * SALT_LEN bytes: 14 for AES-CM, 12 for AEAD_AES_128_GCM (RFC 7714 §11 pads it with zeros).
 * Returns 0, or -1 if libgcrypt fails. */
int srtp_kdf(const uint8_t master_key[SRTP_KDF_KEY_LEN], const uint8_t *master_salt,
             size_t salt_len, uint8_t label, uint8_t *out, size_t out_len);

/* The RTP header's length in BUF[0..LEN): fixed part, CSRCs, header extension (RFC 3550
 * §5.3.1); 0 if LEN cannot hold it or the version is not 2. */
size_t srtp_rtp_header_length(const uint8_t *buf, size_t len);

/* The big-endian 32-bit number at P. */
static inline uint32_t srtp_read_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#endif
