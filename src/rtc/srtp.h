/* srtp: SRTP/SRTCP protection for one direction of a peer. RTP and RTCP go through our own
 * framing on a crypto library both ways, rtc/srtp_gcm under AEAD_AES_128_GCM (libipsec-mb or
 * libgcrypt) and rtc/srtp_cm under AES128_CM_SHA1_80 (libgcrypt), for speed and memory: see
 * there; libsrtp2 does it only in FIPS mode, where libgcrypt refuses. No hand-written
 * cryptography either way. The prefix is srtpx_ because libsrtp2 owns srtp_*. */
#ifndef ONAIR_RTC_SRTP_H
#define ONAIR_RTC_SRTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mem_span.h"

/* The SRTP protection profiles onair negotiates in DTLS use_srtp, with their IANA numbers
 * (RFC 5764 §4.1.2, RFC 7714 §14.2). */
enum srtp_profile {
    SRTP_PROFILE_AES128_CM_SHA1_80 = 0x0001,
    SRTP_PROFILE_AEAD_AES_128_GCM = 0x0007,
};

/* Master key and salt sizes of those profiles (RFC 5764 §4.1.2, RFC 7714 §12). */
#define SRTP_KEYS_KEY_LEN 16
#define SRTP_KEYS_SALT_LEN_CM 14
#define SRTP_KEYS_SALT_LEN_GCM 12
#define SRTP_KEYS_SALT_MAX 14

/* Bytes protect adds at most with these profiles: the 16-byte GCM tag, plus the 4-byte
 * E flag and SRTCP index for RTCP (RFC 3711 §3.4, RFC 7714 §9.1). */
#define SRTPX_MAX_TRAILER 20

/* Keys for both directions of one peer, as DTLS-SRTP derives them. "local" protects what we
 * send, "remote" checks what the peer sends. */
struct srtp_keys {
    enum srtp_profile profile;
    size_t key_len;  /* SRTP_KEYS_KEY_LEN */
    size_t salt_len; /* SRTP_KEYS_SALT_LEN_CM or SRTP_KEYS_SALT_LEN_GCM */
    uint8_t local_key[SRTP_KEYS_KEY_LEN];
    uint8_t local_salt[SRTP_KEYS_SALT_MAX];
    uint8_t remote_key[SRTP_KEYS_KEY_LEN];
    uint8_t remote_salt[SRTP_KEYS_SALT_MAX];
};

/* What the srtpx_ calls return besides 0. */
enum srtpx_error {
    SRTPX_ERR_AUTH = -1,      /* authentication failed: tampered, or the wrong key */
    SRTPX_ERR_REPLAY = -2,    /* a packet index seen before, or older than the window */
    SRTPX_ERR_NO_ROOM = -3,   /* cap leaves no room for the trailer; the packet is untouched */
    SRTPX_ERR_MALFORMED = -4, /* shorter than its header, or not a version-2 packet */
    SRTPX_ERR_FAILED = -5,    /* any other libsrtp failure */
};

/* Initialises libsrtp2. Call once before any srtpx_new; calling again does nothing, from any
 * thread. */
void srtp_global_init(void);

struct srtpx;

/* Makes the context for one direction. OUTBOUND protects with the local key and salt for any
 * SSRC we send; otherwise it unprotects with the remote ones for any SSRC the peer sends. The
 * replay window holds 1024 packets so late NACK-answered retransmissions are accepted, and
 * outbound allows the same index to be protected again because we resend from history.
 * Returns NULL when the keys do not fit the profile. The keys are copied; free with
 * srtpx_free. */
struct srtpx *srtpx_new(const struct srtp_keys *keys, bool outbound);
/* Frees the context; NULL is a no-op. */
void srtpx_free(struct srtpx *s);

/* Protects the RTP packet BUF[0..*LEN) in place; BUF holds CAP bytes, and nothing is written at
 * or past BUF + CAP. On success *LEN grows by the trailer (at most SRTPX_MAX_TRAILER). Returns 0
 * or an enum srtpx_error; SRTPX_ERR_NO_ROOM when CAP lacks room for the trailer, or for a
 * packet over 2048 bytes when CAP lacks the 144 bytes libsrtp's contract asks. */
int srtpx_protect_rtp(struct srtpx *s, uint8_t *buf, size_t *len, size_t cap);
/* Checks and decrypts the SRTP packet BUF[0..*LEN) in place; *LEN shrinks to the RTP packet.
 * Returns 0 or an enum srtpx_error; the packet is then to be dropped, its bytes unspecified
 * (GCM decrypts in place before the tag check fails). */
int srtpx_unprotect_rtp(struct srtpx *s, uint8_t *buf, size_t *len);
/* The same for (compound) RTCP packets. */
int srtpx_protect_rtcp(struct srtpx *s, uint8_t *buf, size_t *len, size_t cap);
int srtpx_unprotect_rtcp(struct srtpx *s, uint8_t *buf, size_t *len);

/* What protecting an RTP packet reads and writes of S, as at most MAX spans into OUT
 * (srtp_gcm_spans or srtp_cm_spans; only the context itself under libsrtp, whose state is its
 * own). Returns how many. */
size_t srtpx_spans(const struct srtpx *s, struct mem_span *out, size_t max);

/* Bytes an SRTP packet of S carries after the RTP packet it seals (the authentication tag). */
size_t srtpx_rtp_trailer(const struct srtpx *s);

/* A short static English description of an srtpx_ return code. */
const char *srtpx_strerror(int code);

#endif
