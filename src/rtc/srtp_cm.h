/* srtp_cm: AES_CM_128_HMAC_SHA1_80 (RFC 3711 §4.1.1, §4.2.1, RFC 5764's SRTP_AES128_CM_SHA1_80)
 * for RTP or RTCP on libgcrypt's AES-128-CTR and HMAC-SHA1, the profile of peers that do not
 * offer GCM (aiortc, GStreamer, older stacks). As for GCM (rtc/srtp_gcm), libsrtp2 as Debian
 * builds it keeps each session's keys in NSS contexts and goes through NSS's PKCS#11 layer for
 * every packet: build/srtp-cost measured 30.9 KB a direction and 4.3 µs to seal a 1,200-byte
 * packet there, 8.4 KB and 0.9 µs here. This file holds the SRTP framing (IV, what is
 * authenticated; the key derivation is rtc/srtp_base's, the SSRCs' counters and replay windows
 * rtc/srtp_index's); libgcrypt does the cryptography. */
#ifndef ONAIR_RTC_SRTP_CM_H
#define ONAIR_RTC_SRTP_CM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mem_span.h"

#define SRTP_CM_KEY_LEN 16
#define SRTP_CM_SALT_LEN 14
/* HMAC-SHA1 truncated to 80 bits. */
#define SRTP_CM_TAG_LEN 10
/* What sealing adds to an RTCP packet: the E flag and 31-bit SRTCP index, then the tag. */
#define SRTP_CM_RTCP_TRAILER_LEN (4 + SRTP_CM_TAG_LEN)

struct srtp_cm;

/* Derives the session keys from the master ones (RTP's, labels 0x00-0x02, or with RTCP the
 * SRTCP ones, 0x03-0x05) and makes the context: a sealer, or with OPENER an opener. NULL if
 * libgcrypt cannot. */
struct srtp_cm *srtp_cm_new(const uint8_t master_key[SRTP_CM_KEY_LEN],
                            const uint8_t master_salt[SRTP_CM_SALT_LEN], bool rtcp, bool opener);
void srtp_cm_free(struct srtp_cm *c);

/* Seals the RTP packet BUF[0..*LEN) in place: the payload encrypted, then the header and
 * payload with the rollover counter authenticated and the tag appended (*LEN grows by
 * SRTP_CM_TAG_LEN). Rollover counters as rtc/srtp_index says. Returns 0 or an enum srtpx_error
 * (malformed, no room, failed). */
int srtp_cm_seal_rtp(struct srtp_cm *c, uint8_t *buf, size_t *len, size_t cap);
/* Checks the SRTP packet BUF[0..*LEN) and decrypts it in place; *LEN shrinks by the tag. A
 * packet already opened or older than the window is refused before its tag is checked; one
 * whose tag is wrong is left as it came. Only an authentic packet changes the state. Returns
 * 0 or an enum srtpx_error (malformed, replay, auth, failed). */
int srtp_cm_open_rtp(struct srtp_cm *c, uint8_t *buf, size_t *len);

/* Seals the compound RTCP packet BUF[0..*LEN) in place (RFC 3711 §3.4): all but its first 8
 * bytes (header and sender SSRC) encrypted, E || SRTCP index appended, all of it authenticated
 * and the tag appended (*LEN grows by SRTP_CM_RTCP_TRAILER_LEN). Each packet takes the next
 * index of this sealer. Returns as srtp_cm_seal_rtp (failed also once 2^31 were sealed). */
int srtp_cm_seal_rtcp(struct srtp_cm *c, uint8_t *buf, size_t *len, size_t cap);
/* Checks and opens the SRTCP packet BUF[0..*LEN) in place, encrypted or not (its E flag);
 * *LEN shrinks by the trailer. Returns as srtp_cm_open_rtp. */
int srtp_cm_open_rtcp(struct srtp_cm *c, uint8_t *buf, size_t *len);

/* What sealing one RTP packet reads and writes of C, as at most MAX spans into OUT, for a
 * caller that prefetches them. Returns how many. */
size_t srtp_cm_spans(const struct srtp_cm *c, struct mem_span *out, size_t max);

#endif
