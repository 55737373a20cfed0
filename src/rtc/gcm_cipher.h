/* gcm_cipher: AES-128-GCM under one key, the cryptography under rtc/srtp_gcm's SRTP framing.
 * Two builds of it, one linked (the Makefile's IPSEC_MB): Intel's multi-buffer crypto library
 * (libipsec-mb, x86-64), whose VAES/AVX-512 code seals a 1,200-byte packet in 0.09 µs on this
 * machine against libgcrypt 1.10's 0.34 µs (AES-NI, one block at a time), and libgcrypt where
 * that library is not installed. Both take the IV and the tag directly; neither allocates per
 * packet. */
#ifndef ONAIR_RTC_GCM_CIPHER_H
#define ONAIR_RTC_GCM_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mem_span.h"

#define GCM_CIPHER_KEY_LEN 16
#define GCM_CIPHER_IV_LEN 12
#define GCM_CIPHER_TAG_LEN 16

struct gcm_cipher;

enum gcm_open_result {
    GCM_OPENED = 0,  /* authentic: the data is decrypted */
    GCM_FORGED = -1, /* the tag does not match: tampered, or another key */
    GCM_FAILED = -2, /* the library failed */
};

/* The cipher for KEY, its key schedule and GHASH key computed once; NULL if the library cannot
 * be used. */
struct gcm_cipher *gcm_cipher_new(const uint8_t key[GCM_CIPHER_KEY_LEN]);
void gcm_cipher_free(struct gcm_cipher *c);

/* One GCM message under IV: AAD then AAD2 (AAD2_LEN may be 0) authenticated as one additional
 * data, DATA[0..LEN) encrypted in place, the tag written to TAG. False if the library failed. */
bool gcm_cipher_seal(struct gcm_cipher *c, const uint8_t iv[GCM_CIPHER_IV_LEN], const uint8_t *aad,
                     size_t aad_len, const uint8_t *aad2, size_t aad2_len, uint8_t *data,
                     size_t len, uint8_t tag[GCM_CIPHER_TAG_LEN]);

/* The reverse: DATA decrypted in place, then TAG compared in constant time. On GCM_FORGED the
 * data's bytes are unspecified (to be dropped). */
enum gcm_open_result gcm_cipher_open(struct gcm_cipher *c, const uint8_t iv[GCM_CIPHER_IV_LEN],
                                     const uint8_t *aad, size_t aad_len, const uint8_t *aad2,
                                     size_t aad2_len, uint8_t *data, size_t len,
                                     const uint8_t tag[GCM_CIPHER_TAG_LEN]);

/* The memory sealing reads of C, for a caller that prefetches it. */
struct mem_span gcm_cipher_span(const struct gcm_cipher *c);

/* Which library does the work, its version and code path, for the server's start-up log and
 * the benchmark's record: "libipsec-mb 1.3.0 (AVX-512)", "libgcrypt 1.10.1". */
const char *gcm_cipher_engine(void);

#endif
