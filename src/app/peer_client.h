/* peer_client: the transport of onair's own WebRTC clients (publish, record, bench): one UDP
 * socket on a libuv loop, a full ICE agent (controlling when we offer, controlled when we
 * answer), DTLS in the role the negotiation leaves us, and SRTP. */
#ifndef ONAIR_APP_PEER_CLIENT_H
#define ONAIR_APP_PEER_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "app/whip_client.h"
#include "proto/sdp.h"
#include "rtc/srtp.h"

enum peer_client_state {
    PEER_CLIENT_NEW,        /* no answer yet */
    PEER_CLIENT_CHECKING,   /* ICE checks and then the DTLS handshake under way */
    PEER_CLIENT_CONNECTED,  /* SRTP keys in place: media flows */
    PEER_CLIENT_FAILED,     /* ICE, DTLS or SRTP failed, or the peer closed: see the reason */
};

/* Calls from the loop. Packets are plaintext after SRTP, in a buffer valid only during the
 * call. on_state is called on every change; the client may be closed from inside it. */
struct peer_client_callbacks {
    void (*on_rtp)(void *opaque, uint8_t *pkt, size_t len);
    /* After peer_client_verify_every(pc, N > 1), the RTP packets left unchecked: the SRTP
     * packet as it came, its header readable, its payload sealed; RTP_LEN is its length less
     * the tag. NULL: they are dropped. */
    void (*on_rtp_sealed)(void *opaque, const uint8_t *pkt, size_t rtp_len);
    void (*on_rtcp)(void *opaque, uint8_t *pkt, size_t len);
    void (*on_state)(void *opaque, enum peer_client_state state, const char *reason);
};

struct peer_client;

/* Binds a UDP socket on 0.0.0.0 (any port), makes ICE credentials and a DTLS certificate.
 * CALLBACKS is copied. Returns NULL with *why set when the socket or certificate fails. */
struct peer_client *peer_client_new(uv_loop_t *loop, const struct peer_client_callbacks *callbacks,
                                    void *opaque, const char **why);

/* The peer offers and we answer (Janus's streaming plugin): ICE starts in the controlled role
 * (RFC 8445 §6.1.1: the offerer controls) and peer_client_describe writes setup:active (RFC
 * 5763 §5: we pick the DTLS client's role). Call before peer_client_describe. */
void peer_client_set_answerer(struct peer_client *pc);

/* Writes our session-level transport attributes into SDP (our offer, or our answer after
 * peer_client_set_answerer): ICE ufrag and pwd, the DTLS fingerprint, setup:actpass (or
 * setup:active when answering). */
void peer_client_describe(const struct peer_client *pc, struct sdp_session *sdp);

/* Takes the peer's description (its answer, or its offer after peer_client_set_answerer):
 * remote credentials and fingerprint of the first active section, every UDP candidate of it,
 * and the DTLS role (client unless the peer says active). Starts the checks. Returns 0, or -1
 * with *why when the description lacks what ICE or DTLS needs. */
int peer_client_start(struct peer_client *pc, const struct sdp_session *remote, const char **why);

enum peer_client_state peer_client_state(const struct peer_client *pc);

/* How the client reaches a server it cannot reach directly (behind NAT or a firewall). */
struct peer_client_ice {
    const char *turn_url;   /* turn:HOST[:PORT][?transport=udp|tcp]; NULL: the first TURN server
                             * of the answer's Link headers (RFC 9725 §4.6), if any */
    const char *username;   /* for TURN_URL (the Link headers carry their own) */
    const char *credential;
    bool relay_only;        /* everything through TURN at once; else TURN only after 3 s
                             * without a direct path */
};
/* Sets ICE (strings copied) before peer_client_offer. */
void peer_client_set_ice(struct peer_client *pc, const struct peer_client_ice *ice);

/* The signaling of onair's clients: writes *SDP (the offer, transport attributes included) and
 * posts it to TARGET (WHIP/WHEP, or the seed's /offer), parses the answer into *SDP
 * and starts PC with it. Returns 0, or -1 with a sentence for the user in MESSAGE. LOCATION
 * (1024 bytes) gets the session's URL as soon as the server gives one, so that a caller can
 * DELETE it even after a later failure. */
int peer_client_offer(struct peer_client *pc, const struct whip_client_target *target,
                      struct sdp_session *sdp, char *location, char *message, size_t cap);

/* peer_client_offer's second half, for a caller that posted the offer itself (off the loop:
 * whip_client_offer blocks): takes the TURN servers of RES's Link headers and its answer (into
 * *SDP) and starts PC. Returns 0, or -1 with a sentence in MESSAGE. */
int peer_client_answered(struct peer_client *pc, const struct whip_client_result *res,
                         struct sdp_session *sdp, char *message, size_t cap);

/* Protects the RTP packet BUF[0..LEN) (BUF holds CAP bytes; SRTPX_MAX_TRAILER more than LEN
 * are needed) and sends it. Returns 0, or -1 when not connected or protection failed. */
int peer_client_send_rtp(struct peer_client *pc, uint8_t *buf, size_t len, size_t cap);
/* The same for a (compound) RTCP packet. */
int peer_client_send_rtcp(struct peer_client *pc, uint8_t *buf, size_t len, size_t cap);

/* Checks (authenticates and decrypts) only every Nth RTP packet from now on, handing the others
 * to on_rtp_sealed: a load generator's stated sample, when checking every packet would cost
 * more than the server it measures. 1 (the default) checks every packet. */
void peer_client_verify_every(struct peer_client *pc, unsigned n);
/* Receives the server's GSO messages whole (io/udp's udp_receive_coalesced): a load generator's
 * way to leave their cutting out of the server's CPU on loopback. -1: the kernel lacks it. */
int peer_client_receive_coalesced(struct peer_client *pc);
/* Offers PROFILE alone for SRTP in the DTLS handshake, not both profiles (GCM first). Before
 * the offer is made or taken. */
void peer_client_only_srtp_profile(struct peer_client *pc, enum srtp_profile profile);

/* Counts for a progress line. */
struct peer_client_stats {
    uint64_t tx_bytes, rx_bytes, srtp_errors;
    uint64_t srtp_checked; /* RTP packets authenticated and decrypted */
    /* From its socket: datagrams received, and in how many messages (fewer when the kernel
     * coalesced them: peer_client_receive_coalesced). */
    uint64_t rx_datagrams, rx_messages;
};
void peer_client_stats(const struct peer_client *pc, struct peer_client_stats *out);

/* Sends a DTLS close_notify if connected, then frees everything; the socket and timer are
 * released when the loop next runs. NULL is a no-op. No callback follows. */
void peer_client_close(struct peer_client *pc);

#endif
