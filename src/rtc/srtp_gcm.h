/* srtp_gcm: AEAD_AES_128_GCM (RFC 7714) for RTP or RTCP on one AES-GCM cipher made when the
 * keys are: sealing what we send (the fan-out's hot path) and opening what a peer sends (every
 * publisher's packet, and every packet `onair bench` checks). libsrtp2 as Debian builds it goes
 * through NSS's PKCS#11 layer, which sets up a context, takes locks and allocates for every
 * packet: perf put NSS at ~38% of the server's CPU at 200 viewers when it sealed, and at ~5% at 25
 * viewers when it still opened the publisher's packets. OpenSSL 3.0's EVP interface, used here
 * before, spends ~0.4 µs of a 1,200-byte packet's 1.0 µs looking up parameters by name (the IV
 * length, the tag) around the same AES-NI code. This file holds only the SRTP framing (IV, what
 * is authenticated; the key derivation is rtc/srtp_base's, the rollover counters, SRTCP indices
 * and replay windows rtc/srtp_index's); rtc/gcm_cipher does the cryptography (libipsec-mb, or
 * libgcrypt). The AES-CM profile is rtc/srtp_cm's. */
#ifndef ONAIR_RTC_SRTP_GCM_H
#define ONAIR_RTC_SRTP_GCM_H
#include <stddef.h>
#include <stdint.h>

#include "base/mem_span.h"

#define SRTP_GCM_KEY_LEN 16
#define SRTP_GCM_SALT_LEN 12
#define SRTP_GCM_TAG_LEN 16
/* What sealing adds to an RTCP packet: the tag, then the E flag and 31-bit SRTCP index. */
#define SRTP_GCM_RTCP_TRAILER_LEN (SRTP_GCM_TAG_LEN + 4)

struct srtp_gcm;

/* Derives the RTP session key and salt from the master ones (RFC 3711 §4.3.1 with RFC 7714
 * §11's 96-bit salt) and makes the cipher context: srtp_gcm_new's seals, srtp_gcm_new_opener's
 * opens. NULL if the cipher cannot be made, or in FIPS mode (libsrtp's work then). */
struct srtp_gcm *srtp_gcm_new(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                              const uint8_t master_salt[SRTP_GCM_SALT_LEN]);
struct srtp_gcm *srtp_gcm_new_opener(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                                     const uint8_t master_salt[SRTP_GCM_SALT_LEN]);
/* The same for RTCP, from the SRTCP key and salt (labels 0x03 and 0x05). */
struct srtp_gcm *srtp_gcm_new_rtcp(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                                   const uint8_t master_salt[SRTP_GCM_SALT_LEN]);
struct srtp_gcm *srtp_gcm_new_rtcp_opener(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                                          const uint8_t master_salt[SRTP_GCM_SALT_LEN]);
void srtp_gcm_free(struct srtp_gcm *g);

/* Seals the RTP packet BUF[0..*LEN) in place: the payload encrypted, the header authenticated,
 * the tag appended (*LEN grows by SRTP_GCM_TAG_LEN). Each SSRC's rollover counter follows its
 * sequence numbers; an older number (a retransmission) is sealed under the counter it was sent
 * with. Returns 0 or an enum srtpx_error (malformed, no room, failed). */
int srtp_gcm_seal_rtp(struct srtp_gcm *g, uint8_t *buf, size_t *len, size_t cap);

/* Checks and decrypts the SRTP packet BUF[0..*LEN) in place (an opener's); *LEN shrinks by the
 * tag. The rollover counter is estimated from the SSRC's newest authenticated packet (RFC 3711
 * §3.3.1); a packet already opened, or older than the window, is refused before decryption.
 * Only an authentic packet changes the state. Returns 0 or an enum srtpx_error (malformed,
 * replay, auth, failed); the packet is then to be dropped, its bytes unspecified. */
int srtp_gcm_open_rtp(struct srtp_gcm *g, uint8_t *buf, size_t *len);

/* Seals the compound RTCP packet BUF[0..*LEN) in place (RFC 7714 §9): its first 8 bytes (header
 * and sender SSRC) authenticated, the rest encrypted, the tag and E || SRTCP index appended
 * (*LEN grows by SRTP_GCM_RTCP_TRAILER_LEN). Each packet takes the next index of this sealer,
 * whatever its SSRC: the IV holds the SSRC too, so no IV repeats. Returns 0 or an enum
 * srtpx_error (malformed, no room, failed: also once 2^31 packets were sealed). */
int srtp_gcm_seal_rtcp(struct srtp_gcm *g, uint8_t *buf, size_t *len, size_t cap);

/* Checks and opens the SRTCP packet BUF[0..*LEN) in place, encrypted or not (its E flag);
 * *LEN shrinks by the trailer. An index already opened for the SSRC, or older than the window,
 * is refused before decryption; only an authentic packet changes the state. Returns as
 * srtp_gcm_open_rtp. */
int srtp_gcm_open_rtcp(struct srtp_gcm *g, uint8_t *buf, size_t *len);

/* What sealing one RTP packet reads and writes of G (the context, the cipher's keys and the
 * SSRCs' counters), as at most MAX spans into OUT, for a caller that prefetches them ahead of
 * the seal. Returns how many. The SSRC table moves as it grows: take the spans again then. */
size_t srtp_gcm_spans(const struct srtp_gcm *g, struct mem_span *out, size_t max);

#endif
