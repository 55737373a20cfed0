/* ice: two ICE engines without sockets: the server's ICE-lite responder (RFC 8445 §2.5) with
 * consent freshness (RFC 7675), and a small full agent for onair's own clients. */
#ifndef ONAIR_RTC_ICE_H
#define ONAIR_RTC_ICE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/stun.h"

/* RFC 7675 §5.1: consent expires 30 s after the last authenticated check. */
#define ICE_CONSENT_TIMEOUT_MS 30000

/* ---- ICE-lite responder (server side) ---- */

struct ice_lite;

/* What ice_lite_handle_request did with a datagram. */
enum ice_lite_result {
    ICE_LITE_OK = 0,       /* a valid check: the success answer is in out */
    ICE_LITE_IGNORED = -1, /* not a binding request, or a bad FINGERPRINT: no answer */
    ICE_LITE_REFUSED = -2, /* refused with an error answer in out (400, 401, 420 or 487) */
};

/* Makes a responder for one peer. The strings are copied. REMOTE_UFRAG NULL accepts any
 * remote fragment in USERNAME (for a peer whose credentials are not known yet); REMOTE_PWD
 * is kept for symmetry but a lite agent never needs it. The engine is not handed a time here:
 * the first time any call gives it one counts as its creation (for consent expiry). */
struct ice_lite *ice_lite_new(const char *local_ufrag, const char *local_pwd,
                              const char *remote_ufrag, const char *remote_pwd);
/* Frees the responder; NULL is a no-op. */
void ice_lite_free(struct ice_lite *ice);

/* Handles a STUN message M decoded from P[0..LEN), received from FROM at NOW_MS. For a Binding
 * request whose USERNAME is "local_ufrag:remote_ufrag" and whose MESSAGE-INTEGRITY is keyed
 * with the local password, writes the success answer (XOR-MAPPED-ADDRESS = FROM,
 * MESSAGE-INTEGRITY, FINGERPRINT) into OUT[0..CAP), records FROM as described below and
 * refreshes consent. Refused requests get an error answer in OUT. *OUT_LEN is the answer's
 * size (0 when none, or when CAP is too small). Returns an enum ice_lite_result.
 * The first valid check's address becomes the selected one; a valid check carrying
 * USE-CANDIDATE makes its address the selected and nominated one, so a client that moves is
 * followed once it nominates its new path. */
int ice_lite_handle_request(struct ice_lite *ice, uint64_t now_ms, const struct sockaddr *from,
                            const uint8_t *p, size_t len, const struct stun_msg *m, uint8_t *out,
                            size_t cap, size_t *out_len);

/* The address media goes to: NULL until a valid check. Points into the engine; valid until
 * the next call that changes it. */
const struct sockaddr *ice_lite_selected(const struct ice_lite *ice);
/* True once a valid check with USE-CANDIDATE arrived (since creation or the last restart). */
bool ice_lite_nominated(const struct ice_lite *ice);
/* True when no valid check arrived for ICE_CONSENT_TIMEOUT_MS: since the last one, or since
 * creation if none ever came. */
bool ice_lite_consent_expired(const struct ice_lite *ice, uint64_t now_ms);
/* New remote credentials (an ICE restart offer, or credentials that came late). */
void ice_lite_set_remote_credentials(struct ice_lite *ice, const char *remote_ufrag,
                                     const char *remote_pwd);
/* ICE restart (RFC 8445 §9): new local credentials; checks with the old ones are refused.
 * Media keeps flowing to the selected address until the peer nominates again. */
void ice_lite_restart(struct ice_lite *ice, const char *new_local_ufrag, const char *new_local_pwd);

/* Copies the part of M's USERNAME before ':' (the answering side's ufrag, i.e. ours) into
 * DST[0..CAP) with a NUL. Returns its length, or -1 when there is no USERNAME, no ':', the part
 * is empty or holds a NUL byte, or it does not fit. Lets the server find the session by ufrag
 * before it has the ice_lite object. */
int ice_username_local_ufrag(const struct stun_msg *m, char *dst, size_t cap);

/* ---- Full ICE agent (client side; starts controlling unless it answers) ---- */

struct ice_agent;

enum ice_state { ICE_CHECKING, ICE_CONNECTED, ICE_FAILED };

/* How long checks may go on before the agent gives up. */
#define ICE_AGENT_FAIL_MS 10000
/* RFC 8445 §14.2: one new check or retransmission per Ta. */
#define ICE_AGENT_TA_MS 50
/* RFC 7675 §5.1: a consent check on the selected pair every 4 to 6 s; we use the middle. */
#define ICE_AGENT_CONSENT_INTERVAL_MS 5000
#define ICE_AGENT_MAX_CANDIDATES 16

/* Makes an agent that checks the remote candidates from one local socket (whatever the caller
 * bound; no gathering). It starts in the controlling role and nominates aggressively
 * (USE-CANDIDATE on every check), which ICE-lite and full peers both accept; a full peer
 * may win the role with a larger TIEBREAKER (RFC 8445 §7.3.1.1). Strings are copied. Like
 * ice_lite, its clock starts at the first call that hands it a time. */
struct ice_agent *ice_agent_new(const char *local_ufrag, const char *local_pwd,
                                const char *remote_ufrag, const char *remote_pwd,
                                uint64_t tiebreaker);
/* Frees the agent; NULL is a no-op. */
void ice_agent_free(struct ice_agent *agent);
/* Makes the agent start in the controlled role: an answerer facing a full-ICE offerer (RFC
 * 8445 §6.1.1: the offerer controls). Its checks then carry ICE-CONTROLLED and no
 * USE-CANDIDATE, and a pair is selected once the peer nominates it. Call before the first
 * poll_output. */
void ice_agent_start_controlled(struct ice_agent *agent);

/* Adds a remote host or server-reflexive candidate. Returns 0, or -1 when ADDR is neither IPv4
 * nor IPv6 or the agent already has ICE_AGENT_MAX_CANDIDATES. Adding a known address updates
 * its priority. */
int ice_agent_add_remote_candidate(struct ice_agent *agent, const struct sockaddr *addr,
                                   uint32_t priority);

/* Writes the next datagram to send into BUF[0..CAP), its size in *LEN and its destination in
 * *TO. Answers to the peer's checks go first; then, one per Ta, a retransmission or a new
 * check, and once connected a consent check every ICE_AGENT_CONSENT_INTERVAL_MS. Returns 1
 * when a datagram was written, 0 when nothing is due, -1 when CAP was too small (the datagram
 * is dropped). Call it until it returns 0, then again at ice_agent_next_timeout(). */
int ice_agent_poll_output(struct ice_agent *agent, uint64_t now_ms, uint8_t *buf, size_t cap,
                          size_t *len, struct sockaddr_storage *to);

/* Handles a datagram from FROM: responses to our checks (matched by transaction id,
 * MESSAGE-INTEGRITY keyed with the remote password) and a full peer's checks (answered
 * through poll_output). Returns 0 when the agent used it, -1 when it was refused. */
int ice_agent_feed(struct ice_agent *agent, uint64_t now_ms, const struct sockaddr *from,
                   const uint8_t *p, size_t len);

/* When ice_agent_poll_output next has work: 0 for "now", UINT64_MAX for never. */
uint64_t ice_agent_next_timeout(const struct ice_agent *agent);
/* An enum ice_state. FAILED after ICE_AGENT_FAIL_MS without a usable pair, or when consent
 * is lost: no answer on the selected pair for ICE_CONSENT_TIMEOUT_MS, or a 401 answer (the
 * peer no longer knows our username). */
int ice_agent_state(const struct ice_agent *agent);
/* The remote address of the selected pair while CONNECTED, else NULL. */
const struct sockaddr *ice_agent_selected(const struct ice_agent *agent);
/* The agent's current role (it may lose a role conflict to a full peer). */
bool ice_agent_controlling(const struct ice_agent *agent);

#endif
