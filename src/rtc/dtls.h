/* dtls: a DTLS 1.2 endpoint for DTLS-SRTP (RFC 5763, RFC 5764) over OpenSSL with no sockets:
 * datagrams in with dtls_feed, datagrams out with dtls_poll_output, timers by the caller. */
#ifndef ONAIR_RTC_DTLS_H
#define ONAIR_RTC_DTLS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rtc/srtp.h"

/* Largest datagram the engine writes (handshake flights are fragmented to fit): small enough
 * for any path WebRTC runs on, with room for IP, UDP and TURN headers. */
#define DTLS_MTU 1200
/* Largest application message dtls_write takes and dtls_read gives (a TLS record's plaintext). */
#define DTLS_MAX_MESSAGE 16384

/* ---- Certificate ---- */

struct dtls_cert;

/* Makes a self-signed certificate for the server: an ECDSA P-256 key, CN "onair", a random
 * serial, valid from a day ago for 30 days. Returns NULL only if OpenSSL fails. Free with
 * dtls_cert_free, after every dtls made with it. Safe to share between threads. */
struct dtls_cert *dtls_cert_generate(void);
/* Frees the certificate; NULL is a no-op. */
void dtls_cert_free(struct dtls_cert *cert);
/* The SDP a=fingerprint value (RFC 8122 §5): "sha-256 " and the SHA-256 of the DER certificate
 * as uppercase hex pairs joined by ':'. Points into CERT. */
const char *dtls_cert_fingerprint(const struct dtls_cert *cert);

/* ---- Endpoint ---- */

struct dtls;

/* RFC 5763 §5: the a=setup:active side is the DTLS client, the passive side the server. */
enum dtls_role { DTLS_ROLE_SERVER, DTLS_ROLE_CLIENT };

enum dtls_state {
    DTLS_STATE_NEW,         /* nothing sent or received yet */
    DTLS_STATE_HANDSHAKING, /* a handshake is under way */
    DTLS_STATE_CONNECTED,   /* handshake done and the peer's certificate matched */
    DTLS_STATE_FAILED,      /* fatal alert, handshake failure or mismatch; see dtls_error */
    DTLS_STATE_CLOSED,      /* a close_notify was received or sent */
};

/* Makes an endpoint that authenticates with CERT (borrowed: it must outlive the endpoint) and
 * accepts only a peer whose certificate matches REMOTE_FINGERPRINT, an SDP a=fingerprint value
 * such as "sha-256 AB:CD:..." (sha-1, sha-224, sha-256, sha-384 and sha-512 are accepted, hex
 * in either case). The string is not kept. A missing or malformed fingerprint gives an
 * endpoint already FAILED, so the caller's usual failure path handles it. Free with dtls_free. */
struct dtls *dtls_new(struct dtls_cert *cert, enum dtls_role role, const char *remote_fingerprint);
/* Frees the endpoint without sending anything; NULL is a no-op. */
void dtls_free(struct dtls *d);
/* Offers (as the client) or accepts (as the server) PROFILE alone in use_srtp instead of both,
 * GCM first: for a load generator standing in for peers without GCM. Before the handshake.
 * Returns 0, or -1 when the endpoint has failed or OpenSSL refuses. */
int dtls_only_srtp_profile(struct dtls *d, enum srtp_profile profile);

/* Client role: sends the ClientHello (see dtls_poll_output). Does nothing in the server role or
 * once started. Returns 0, or -1 when the endpoint has failed. */
int dtls_start(struct dtls *d, uint64_t now_ms);

/* Handles one datagram from the peer (first byte 20..63, RFC 7983 §7) received at NOW_MS: it
 * drives the handshake, and once connected its application data is queued for dtls_read.
 * Records that do not authenticate or parse are dropped silently, as DTLS does (RFC 6347
 * §4.1.2.7). A client that was not started is started first. Returns 0, or -1 when the endpoint
 * is FAILED or CLOSED (after this datagram or before). */
int dtls_feed(struct dtls *d, uint64_t now_ms, const uint8_t *p, size_t len);

/* Copies the next datagram to send into BUF[0..CAP) and returns its size; 0 when there is none.
 * Each datagram is at most DTLS_MTU bytes for the handshake; a buffer of DTLS_MAX_MESSAGE + 64
 * holds any. Returns -1, dropping the datagram, when CAP is too small for it. */
ssize_t dtls_poll_output(struct dtls *d, uint8_t *buf, size_t cap);

/* When dtls_handle_timeout is next due, as an absolute time on the caller's clock in ms, or
 * UINT64_MAX for never. OpenSSL 3.0 runs its retransmission timer (1 s, doubling up to 60 s,
 * RFC 6347 §4.2.4.1) on the wall clock; the engine maps it onto the caller's clock each call. */
uint64_t dtls_next_timeout(const struct dtls *d);
/* Retransmits the last flight if its timer has expired (the datagrams appear in
 * dtls_poll_output); fails the endpoint when the peer stays silent through all retries.
 * Harmless to call early or when no timer runs. */
void dtls_handle_timeout(struct dtls *d, uint64_t now_ms);

/* Sends P[0..LEN) as one application-data record (an SCTP packet). Returns 0, or -1 when not
 * connected or LEN is 0 or above DTLS_MAX_MESSAGE. */
int dtls_write(struct dtls *d, const uint8_t *p, size_t len);
/* Takes the next received application message into BUF[0..CAP) and returns its size; 0 when none
 * is queued. A message larger than CAP is dropped and -1 returned. */
ssize_t dtls_read(struct dtls *d, uint8_t *buf, size_t cap);

/* Sends a close_notify alert (if connected) and moves to CLOSED. */
void dtls_close(struct dtls *d);

enum dtls_state dtls_state(const struct dtls *d);
/* The reason for FAILED or CLOSED, a short English sentence; "" before anything went wrong.
 * Points into D. */
const char *dtls_error(const struct dtls *d);

/* Once CONNECTED: the negotiated SRTP profile and the keys exported by RFC 5764 §4.2, local being
 * our write direction. Returns 0, or -1 when not connected or the peer negotiated no SRTP
 * profile (use_srtp missing: a data-channel-only peer). */
int dtls_srtp_keys(const struct dtls *d, struct srtp_keys *out);

#endif
