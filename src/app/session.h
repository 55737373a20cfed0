/* session: one WebRTC peer of the server (a publisher or a viewer): its ICE-lite agent, DTLS
 * endpoint and SRTP contexts, and its place in the SFU. Made by a WHIP/WHEP/offer request. */
#ifndef ONAIR_APP_SESSION_H
#define ONAIR_APP_SESSION_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/addr_key.h"
#include "io/udp.h"
#include "proto/stun.h"
#include "sfu/sfu.h"

struct server;
struct session;

enum session_role { SESSION_PUBLISHER, SESSION_VIEWER };

/* Why a session could not be made, as the HTTP status and a sentence for the body. */
struct session_error {
    int status;
    char reason[256];
};

/* Negotiates OFFER for NAME and, on success, returns the session with its SDP answer in
 * *answer (owned by the caller: free it). On failure returns NULL and fills *err. */
struct session *session_create(struct server *srv, enum session_role role, const char *name,
                               const char *offer, size_t offer_len, char **answer,
                               struct session_error *err);
/* Ends the session: leaves the SFU, sends a DTLS close_notify, frees it. */
void session_close(struct session *s, const char *reason);

const char *session_id(const struct session *s);
const char *session_etag(const struct session *s);
const char *session_local_ufrag(const struct session *s);
const char *session_stream(const struct session *s);
enum session_role session_role(const struct session *s);
/* The client's current ICE ufrag (a trickle PATCH must name it). */
const char *session_remote_ufrag(const struct session *s);
/* Which layer of a simulcast video a viewer's session gets (sfu_viewer_set_quality), or with
 * AUTOMATIC the server's choice by the viewer's loss (sfu_viewer_set_auto_quality; QUALITY is
 * not read). Returns -1 for a publisher's session. */
int session_set_quality(struct session *s, enum sfu_quality quality, bool automatic);

/* ICE restart (RFC 8445 §9, RFC 9725 §4.3.2) with the client's new credentials: new local
 * credentials and ETag, same DTLS, SRTP and place in the SFU. Writes the answer fragment
 * (application/trickle-ice-sdpfrag: ice-lite, ufrag, pwd, the first section's mid and the
 * server's candidates) into FRAG[0..CAP) and returns its length, 0 when CAP is too small. */
size_t session_restart_ice(struct session *s, const char *remote_ufrag, const char *remote_pwd,
                           char *frag, size_t cap);

/* A STUN binding request whose USERNAME names this session, from FROM over TRANSPORT (LOCAL:
 * where a datagram arrived; NULL over TCP). */
void session_on_stun(struct session *s, uint64_t now_us, const struct sockaddr *from,
                     enum addr_transport transport, const struct udp_local *local,
                     const uint8_t *data, size_t len, const struct stun_msg *msg);
/* A DTLS, RTP or RTCP datagram from one of the session's validated addresses. */
void session_on_datagram(struct session *s, uint64_t now_us, const struct sockaddr *from,
                         uint8_t *data, size_t len);
/* Sends a text message on the session's "chat" data channel; -1 when it has none open. */
int session_send_chat(struct session *s, const char *text, size_t len);
/* The "file" data channel: whether one is open, a text (control) or binary (chunk) message on
 * it (-1 when there is none), and the bytes queued on it for the peer (the backpressure). */
bool session_has_file_channel(const struct session *s);
int session_send_file_text(struct session *s, const char *text, size_t len);
int session_send_file(struct session *s, const uint8_t *data, size_t len);
size_t session_file_buffered(const struct session *s);
/* Stops or resumes taking data channel messages from the peer (sctp_pause_receive). */
void session_pause_receive(struct session *s, bool paused);
/* Timers: DTLS retransmissions, SCTP's, consent freshness, the handshake deadline, the DTLS
 * release. Returns -1 when the session has ended itself (it is freed then); else 0 and in
 * NEXT_US when it next needs a call: 0 (at every server tick) while DTLS or SCTP runs, else
 * within a second. A session gains neither after its start. */
int session_tick(struct session *s, uint64_t now_us, uint64_t *next_us);

#endif
