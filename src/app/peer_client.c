/* peer_client: a client's WebRTC transport. The server's session.c wires the same engines in
 * the other role; here ICE is a full agent (controlling, unless we answer a full agent's
 * offer) and DTLS usually the client. Datagrams are told apart by their first byte (RFC 7983
 * §7): STUN 0..3, DTLS 20..63, RTP/RTCP 128..191. */
#include "app/peer_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/turn_client.h"
#include "app/whip_client.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "io/udp.h"
#include "proto/ice_server_url.h"
#include "proto/rtp.h"
#include "rtc/dtls.h"
#include "rtc/ice.h"
#include "rtc/srtp.h"

/* The engines' timers have 50 ms and coarser grain; a 10 ms tick serves them all. */
#define PEER_CLIENT_TICK_MS 10
/* Once connected, consent checks (500 ms and longer) and TURN refreshes are left: a coarser
 * tick, so that a process with thousands of peers (onair bench) does not spend most of a core
 * waking each 100 times a second (6,400-9,600 viewers: 58-64 % of a core, 19-32 % after). */
#define PEER_CLIENT_CONNECTED_TICK_MS 100
/* DTLS must finish this long after ICE connected, or the peer is given up. */
#define PEER_CLIENT_DTLS_DEADLINE_MS 10000
/* Without a direct path after this long, checks (and then everything) go through TURN. The
 * agent gives up at ICE_AGENT_FAIL_MS, which leaves the relay 7 s. */
#define PEER_CLIENT_RELAY_AFTER_MS 3000
/* TURN servers tried at once (the answer may list one per transport; a firewall may pass only
 * one of them): the first in the list that allocates is used. */
#define PEER_CLIENT_MAX_TURN 4

struct peer_client {
    uv_loop_t *loop;
    uv_timer_t timer;
    struct udp *udp;
    struct peer_client_callbacks cb;
    void *opaque;
    char ufrag[17], pwd[33];
    struct dtls_cert *cert;
    struct ice_agent *ice;
    struct dtls *dtls;
    enum dtls_role dtls_role;
    struct srtpx *srtp_in, *srtp_out;
    enum peer_client_state state;
    uint64_t ice_connected_ms;
    bool closed;
    bool answerer; /* the peer offered: we are ICE-controlled and the DTLS client */
    struct peer_client_stats stats;
    unsigned verify_every, until_verify; /* peer_client_verify_every */
    int only_srtp_profile;               /* an enum srtp_profile, or 0 for both */
    /* TURN: what was configured (its strings owned here); then one allocation per server, and
     * RELAY, the one traffic goes through once VIA_RELAY. */
    struct peer_client_ice ice_config;
    bool via_relay;
    struct peer_client_turn {
        char url[512];
        struct turn_client *client;
        bool failed;
    } turns[PEER_CLIENT_MAX_TURN];
    size_t n_turns;
    struct peer_client_turn *relay;
    uint64_t start_ms;
};

static void peer_client_random_token(char *out, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t bytes[64];
    RAND_bytes(bytes, (int)len);
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[bytes[i] % 64];
    out[len] = 0;
}

static void peer_client_set_state(struct peer_client *pc, enum peer_client_state state,
                                  const char *reason)
{
    if (pc->state == state || pc->closed)
        return;
    pc->state = state;
    if (state == PEER_CLIENT_CONNECTED)
        uv_timer_set_repeat(&pc->timer, PEER_CLIENT_CONNECTED_TICK_MS);
    if (pc->cb.on_state)
        pc->cb.on_state(pc->opaque, state, reason);
}

/* The first TURN server in the list with an allocation, for good once chosen. */
static void peer_client_pick_relay(struct peer_client *pc)
{
    for (size_t i = 0; i < pc->n_turns && !pc->relay; i++) {
        if (turn_client_ready(pc->turns[i].client)) {
            pc->relay = &pc->turns[i];
            log_info("relaying through TURN %s", pc->relay->url);
        }
    }
}

static void peer_client_send_raw(struct peer_client *pc, const uint8_t *p, size_t len,
                                 const struct sockaddr *to)
{
    pc->stats.tx_bytes += len;
    if (pc->via_relay) {
        peer_client_pick_relay(pc);
        if (pc->relay)
            turn_client_send(pc->relay->client, to, p, len);
        return; /* no allocation yet: lost, as a datagram can be; ICE retransmits */
    }
    udp_queue(pc->udp, p, len, to, NULL); /* one local address: the kernel picks it */
    udp_flush(pc->udp);
}

static void peer_client_flush_dtls(struct peer_client *pc)
{
    const struct sockaddr *to = pc->ice ? ice_agent_selected(pc->ice) : NULL;
    uint8_t buf[DTLS_MAX_MESSAGE + 64];
    ssize_t n;
    while (pc->dtls && (n = dtls_poll_output(pc->dtls, buf, sizeof buf)) > 0)
        if (to)
            peer_client_send_raw(pc, buf, (size_t)n, to);
}

static void peer_client_flush_ice(struct peer_client *pc, uint64_t now_ms)
{
    uint8_t buf[1500];
    size_t len;
    struct sockaddr_storage to;
    int rc;
    while (pc->ice && (rc = ice_agent_poll_output(pc->ice, now_ms, buf, sizeof buf, &len, &to)) != 0)
        if (rc > 0)
            peer_client_send_raw(pc, buf, len, (struct sockaddr *)&to);
}

static void peer_client_on_dtls_connected(struct peer_client *pc)
{
    struct srtp_keys keys;
    if (dtls_srtp_keys(pc->dtls, &keys) < 0) {
        peer_client_set_state(pc, PEER_CLIENT_FAILED, "DTLS completed without SRTP keys");
        return;
    }
    pc->srtp_in = srtpx_new(&keys, false);
    pc->srtp_out = srtpx_new(&keys, true);
    if (!pc->srtp_in || !pc->srtp_out) {
        peer_client_set_state(pc, PEER_CLIENT_FAILED, "cannot make SRTP contexts");
        return;
    }
    log_debug("peer: connected (%s)", keys.profile == SRTP_PROFILE_AEAD_AES_128_GCM
                                          ? "AEAD_AES_128_GCM"
                                          : "AES_CM_128_HMAC_SHA1_80");
    peer_client_set_state(pc, PEER_CLIENT_CONNECTED, NULL);
}

/* Moves the engines on: ICE output, DTLS start once ICE has a pair, timeouts and failures. */
static void peer_client_drive(struct peer_client *pc, uint64_t now_ms)
{
    if (!pc->ice || pc->closed)
        return;
    if (!pc->via_relay && pc->n_turns && ice_agent_state(pc->ice) == ICE_CHECKING &&
        now_ms - pc->start_ms >= PEER_CLIENT_RELAY_AFTER_MS) {
        peer_client_pick_relay(pc);
        if (pc->relay) {
            pc->via_relay = true;
            log_info("no direct path after %d s: going through TURN %s",
                     PEER_CLIENT_RELAY_AFTER_MS / 1000, pc->relay->url);
        }
    }
    peer_client_flush_ice(pc, now_ms);
    int ice_state = ice_agent_state(pc->ice);
    if (ice_state == ICE_FAILED) {
        peer_client_set_state(pc, PEER_CLIENT_FAILED,
                              pc->state == PEER_CLIENT_CONNECTED
                                  ? "ICE consent lost: the server stopped answering, or "
                                    "no longer knows the session"
                                  : "ICE failed: no candidate of the answer answered our checks");
        return;
    }
    if (ice_state != ICE_CONNECTED)
        return;
    if (!pc->ice_connected_ms) {
        pc->ice_connected_ms = now_ms;
        if (pc->dtls_role == DTLS_ROLE_CLIENT)
            dtls_start(pc->dtls, now_ms);
    }
    if (dtls_next_timeout(pc->dtls) <= now_ms)
        dtls_handle_timeout(pc->dtls, now_ms);
    peer_client_flush_dtls(pc);
    enum dtls_state ds = dtls_state(pc->dtls);
    if (ds == DTLS_STATE_FAILED)
        peer_client_set_state(pc, PEER_CLIENT_FAILED, dtls_error(pc->dtls));
    else if (ds == DTLS_STATE_CLOSED)
        peer_client_set_state(pc, PEER_CLIENT_FAILED, "the server closed the connection");
    else if (ds != DTLS_STATE_CONNECTED &&
             now_ms - pc->ice_connected_ms > PEER_CLIENT_DTLS_DEADLINE_MS)
        peer_client_set_state(pc, PEER_CLIENT_FAILED, "the DTLS handshake did not complete");
}

static void peer_client_on_timer(uv_timer_t *timer)
{
    struct peer_client *pc = timer->data;
    peer_client_drive(pc, clock_now_ms());
}

void peer_client_verify_every(struct peer_client *pc, unsigned n)
{
    pc->verify_every = n;
    pc->until_verify = n;
}

void peer_client_only_srtp_profile(struct peer_client *pc, enum srtp_profile profile)
{
    pc->only_srtp_profile = (int)profile;
}

int peer_client_receive_coalesced(struct peer_client *pc)
{
    return udp_receive_coalesced(pc->udp);
}

static void peer_client_on_media(struct peer_client *pc, uint8_t *data, size_t len)
{
    if (!pc->srtp_in)
        return;
    size_t n = len;
    if (rtp_is_rtcp(data, len)) {
        if (srtpx_unprotect_rtcp(pc->srtp_in, data, &n) < 0) {
            pc->stats.srtp_errors++;
            return;
        }
        if (pc->cb.on_rtcp)
            pc->cb.on_rtcp(pc->opaque, data, n);
        return;
    }
    if (pc->verify_every > 1 && pc->until_verify-- > 1) {
        size_t tag = srtpx_rtp_trailer(pc->srtp_in);
        if (pc->cb.on_rtp_sealed && len >= 12 + tag)
            pc->cb.on_rtp_sealed(pc->opaque, data, len - tag);
        return;
    }
    pc->until_verify = pc->verify_every;
    if (srtpx_unprotect_rtp(pc->srtp_in, data, &n) < 0) {
        pc->stats.srtp_errors++;
        return;
    }
    pc->stats.srtp_checked++;
    if (pc->cb.on_rtp)
        pc->cb.on_rtp(pc->opaque, data, n);
}

/* A datagram from the server, directly or relayed: RFC 7983 demultiplexing. */
static void peer_client_on_packet(struct peer_client *pc, const struct sockaddr *from,
                                  uint8_t *data, size_t len)
{
    if (pc->closed || !pc->ice || len == 0)
        return;
    /* On the dual-stack socket IPv4 peers arrive v4-mapped; the agent knows them as IPv4, from
     * the answer's candidates. */
    struct sockaddr_in v4;
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)from;
    if (from->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
        memset(&v4, 0, sizeof v4);
        v4.sin_family = AF_INET;
        v4.sin_port = v6->sin6_port;
        memcpy(&v4.sin_addr, &v6->sin6_addr.s6_addr[12], 4);
        from = (const struct sockaddr *)&v4;
    }
    pc->stats.rx_bytes += len;
    uint64_t now_ms = clock_now_ms();
    uint8_t first = data[0];
    if (first <= 3) {
        ice_agent_feed(pc->ice, now_ms, from, data, len);
        peer_client_drive(pc, now_ms);
    } else if (first >= 20 && first <= 63) {
        if (ice_agent_state(pc->ice) != ICE_CONNECTED)
            return;
        bool was_connected = dtls_state(pc->dtls) == DTLS_STATE_CONNECTED;
        dtls_feed(pc->dtls, now_ms, data, len);
        peer_client_flush_dtls(pc);
        if (!was_connected && dtls_state(pc->dtls) == DTLS_STATE_CONNECTED)
            peer_client_on_dtls_connected(pc);
        else
            peer_client_drive(pc, now_ms);
    } else if (first >= 128 && first <= 191) {
        peer_client_on_media(pc, data, len);
    }
}

static void peer_client_on_recv(void *opaque, const struct sockaddr *from,
                                const struct udp_local *local, uint8_t *data, size_t len)
{
    struct peer_client *pc = opaque;
    (void)local;
    for (size_t i = 0; i < pc->n_turns; i++) {
        if (turn_client_is_server(pc->turns[i].client, from)) {
            turn_client_feed(pc->turns[i].client, data, len);
            return;
        }
    }
    peer_client_on_packet(pc, from, data, len);
}

static void peer_client_turn_send_udp(void *opaque, const uint8_t *p, size_t len,
                                      const struct sockaddr *to)
{
    struct peer_client *pc = opaque;
    udp_queue(pc->udp, p, len, to, NULL);
    udp_flush(pc->udp);
}

static void peer_client_turn_data(void *opaque, const struct sockaddr *peer, uint8_t *data,
                                  size_t len)
{
    peer_client_on_packet(opaque, peer, data, len);
}

/* With --relay, the client fails when every TURN server has refused or gone unanswered. */
static void peer_client_turn_state(void *opaque, bool ready, const char *reason)
{
    struct peer_client *pc = opaque;
    if (ready || !pc->ice_config.relay_only)
        return;
    for (size_t i = 0; i < pc->n_turns; i++)
        if (!turn_client_failed(pc->turns[i].client))
            return;
    char why[1024];
    snprintf(why, sizeof why, "TURN%s: %s", pc->n_turns > 1 ? " (every server)" : "", reason);
    peer_client_set_state(pc, PEER_CLIENT_FAILED, why);
}

/* A copy of S that the client owns, or NULL for NULL (a setting not given). */
static const char *peer_client_copy(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Frees the strings of the client's copy of its ICE settings. */
static void peer_client_free_ice(struct peer_client_ice *ice)
{
    free((char *)ice->turn_url);
    free((char *)ice->username);
    free((char *)ice->credential);
}

void peer_client_set_ice(struct peer_client *pc, const struct peer_client_ice *ice)
{
    peer_client_free_ice(&pc->ice_config);
    pc->ice_config = *ice;
    pc->ice_config.turn_url = peer_client_copy(ice->turn_url);
    pc->ice_config.username = peer_client_copy(ice->username);
    pc->ice_config.credential = peer_client_copy(ice->credential);
}

/* Starts an allocation on TURN server URL with these credentials. Returns 0, or -1 with *WHY. */
static int peer_client_add_turn(struct peer_client *pc, const char *url, const char *username,
                                const char *credential, const char **why)
{
    struct ice_server_url u;
    if (ice_server_url_parse(url, &u, why) < 0)
        return -1;
    if (!u.turn || u.secure) {
        *why = "the ICE server must be a turn: URL (turns:, TURN over TLS, is not supported)";
        return -1;
    }
    if (pc->n_turns == PEER_CLIENT_MAX_TURN)
        return 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = u.tcp ? SOCK_STREAM : SOCK_DGRAM};
    struct addrinfo *res = NULL;
    char port[8];
    snprintf(port, sizeof port, "%u", u.port);
    if (getaddrinfo(u.host, port, &hints, &res) != 0 || !res) {
        *why = "cannot resolve the TURN server's host name";
        return -1;
    }
    struct turn_client_callbacks cb = {peer_client_turn_send_udp, peer_client_turn_data,
                                       peer_client_turn_state};
    struct peer_client_turn *turn = &pc->turns[pc->n_turns++];
    snprintf(turn->url, sizeof turn->url, "%s", url);
    turn->client = turn_client_new(pc->loop, res->ai_addr, u.tcp, username, credential, &cb, pc);
    freeaddrinfo(res);
    return 0;
}

/* Starts the TURN allocations: the configured server, else every plain turn: server of the
 * answer's Link headers. Returns 0 (also when there is none and none is needed), or -1 with
 * *WHY. */
static int peer_client_start_turn(struct peer_client *pc, const char *links, const char **why)
{
    const struct peer_client_ice *ice = &pc->ice_config;
    if (ice->turn_url) {
        if (peer_client_add_turn(pc, ice->turn_url, ice->username, ice->credential, why) < 0)
            return -1;
    } else {
        struct ice_server_link found[8];
        size_t n = ice_server_link_parse(links, strlen(links), found, 8);
        for (size_t i = 0; i < n; i++) {
            struct ice_server_url u;
            const char *bad;
            if (ice_server_url_parse(found[i].url, &u, &bad) == 0 && u.turn && !u.secure &&
                peer_client_add_turn(pc, found[i].url, found[i].username, found[i].credential,
                                     &bad) < 0)
                log_warn("TURN server %s from the answer: %s", found[i].url, bad);
        }
    }
    if (pc->n_turns == 0 && ice->relay_only) {
        *why = "--relay needs a TURN server: --ice-server turn:..., or a server that sends one in "
               "its Link headers";
        return -1;
    }
    pc->via_relay = ice->relay_only;
    return 0;
}

struct peer_client *peer_client_new(uv_loop_t *loop, const struct peer_client_callbacks *callbacks,
                                    void *opaque, const char **why)
{
    srtp_global_init();
    struct peer_client *pc = xcalloc(1, sizeof *pc);
    pc->loop = loop;
    pc->cb = *callbacks;
    pc->opaque = opaque;
    peer_client_random_token(pc->ufrag, 8);
    peer_client_random_token(pc->pwd, 24);
    pc->cert = dtls_cert_generate();
    if (!pc->cert) {
        *why = "cannot make a DTLS certificate";
        free(pc);
        return NULL;
    }
    /* Dual-stack, so IPv6 candidates can be reached too; IPv4 alone where IPv6 is off. */
    pc->udp = udp_open(loop, "::", 0, peer_client_on_recv, NULL, pc, why);
    if (!pc->udp)
        pc->udp = udp_open(loop, "0.0.0.0", 0, peer_client_on_recv, NULL, pc, why);
    if (!pc->udp) {
        dtls_cert_free(pc->cert);
        free(pc);
        return NULL;
    }
    uv_timer_init(loop, &pc->timer);
    pc->timer.data = pc;
    return pc;
}

void peer_client_set_answerer(struct peer_client *pc)
{
    pc->answerer = true;
}

void peer_client_describe(const struct peer_client *pc, struct sdp_session *sdp)
{
    snprintf(sdp->ice_ufrag, sizeof sdp->ice_ufrag, "%s", pc->ufrag);
    snprintf(sdp->ice_pwd, sizeof sdp->ice_pwd, "%s", pc->pwd);
    snprintf(sdp->fingerprint, sizeof sdp->fingerprint, "%s", dtls_cert_fingerprint(pc->cert));
    sdp->setup = pc->answerer ? SDP_SETUP_ACTIVE : SDP_SETUP_ACTPASS;
}

/* Adds the answer's UDP candidates the socket can reach (IPv6 ones only on a dual-stack socket)
 * to the agent; returns how many. */
static size_t peer_client_add_candidates(struct peer_client *pc, const struct sdp_session *answer)
{
    size_t added = 0;
    bool ipv6 = udp_family(pc->udp) == AF_INET6;
    for (size_t i = 0; i < answer->n_media; i++) {
        const struct sdp_media *m = &answer->media[i];
        for (size_t c = 0; c < m->n_candidates; c++) {
            const struct sdp_candidate *cand = &m->candidates[c];
            if (strcasecmp(cand->transport, "udp") != 0 || cand->component != 1)
                continue;
            struct sockaddr_storage ss;
            memset(&ss, 0, sizeof ss);
            struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
            if (inet_pton(AF_INET, cand->address, &sin->sin_addr) == 1) {
                sin->sin_family = AF_INET;
                sin->sin_port = htons(cand->port);
            } else if (ipv6 && inet_pton(AF_INET6, cand->address, &sin6->sin6_addr) == 1) {
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons(cand->port);
            } else {
                continue;
            }
            if (ice_agent_add_remote_candidate(pc->ice, (struct sockaddr *)&ss,
                                               cand->priority) == 0) {
                added++;
                for (size_t t = 0; t < pc->n_turns; t++)
                    turn_client_permit(pc->turns[t].client, (struct sockaddr *)&ss);
            }
        }
    }
    return added;
}

int peer_client_start(struct peer_client *pc, const struct sdp_session *remote, const char **why)
{
    const struct sdp_media *first = NULL;
    for (size_t i = 0; i < remote->n_media && !first; i++)
        if (sdp_media_active(&remote->media[i]))
            first = &remote->media[i];
    if (!first) {
        *why = "the answer accepted no media section";
        return -1;
    }
    const char *ufrag = sdp_media_ice_ufrag(remote, first), *pwd = sdp_media_ice_pwd(remote, first);
    const char *fingerprint = sdp_media_fingerprint(remote, first);
    if (!ufrag[0] || !pwd[0] || !fingerprint[0]) {
        *why = "the answer lacks ICE credentials or a DTLS fingerprint";
        return -1;
    }
    uint64_t tiebreaker;
    RAND_bytes((uint8_t *)&tiebreaker, sizeof tiebreaker);
    pc->ice = ice_agent_new(pc->ufrag, pc->pwd, ufrag, pwd, tiebreaker);
    if (pc->answerer)
        ice_agent_start_controlled(pc->ice);
    if (peer_client_add_candidates(pc, remote) == 0) {
        *why = pc->answerer ? "the offer has no UDP candidate this machine can reach"
                           : "the answer has no UDP candidate this machine can reach";
        return -1;
    }
    /* RFC 5763 §5: we offered actpass, and a passive answer makes us the DTLS client; answering
     * an actpass (or passive) offer, we said active and are the client too. */
    pc->dtls_role = sdp_media_setup(remote, first) == SDP_SETUP_ACTIVE ? DTLS_ROLE_SERVER
                                                                       : DTLS_ROLE_CLIENT;
    pc->dtls = dtls_new(pc->cert, pc->dtls_role, fingerprint);
    if (pc->only_srtp_profile &&
        dtls_only_srtp_profile(pc->dtls, (enum srtp_profile)pc->only_srtp_profile) < 0) {
        *why = "OpenSSL would not offer that SRTP profile alone";
        return -1;
    }
    pc->state = PEER_CLIENT_CHECKING;
    pc->start_ms = clock_now_ms();
    uv_timer_start(&pc->timer, peer_client_on_timer, 0, PEER_CLIENT_TICK_MS);
    return 0;
}

enum peer_client_state peer_client_state(const struct peer_client *pc) { return pc->state; }

static int peer_client_send_media(struct peer_client *pc, uint8_t *buf, size_t len, size_t cap,
                                  bool rtcp)
{
    if (pc->closed || pc->state != PEER_CLIENT_CONNECTED)
        return -1;
    const struct sockaddr *to = ice_agent_selected(pc->ice);
    if (!to)
        return -1;
    int rc = rtcp ? srtpx_protect_rtcp(pc->srtp_out, buf, &len, cap)
                  : srtpx_protect_rtp(pc->srtp_out, buf, &len, cap);
    if (rc < 0) {
        pc->stats.srtp_errors++;
        return -1;
    }
    peer_client_send_raw(pc, buf, len, to);
    return 0;
}

int peer_client_send_rtp(struct peer_client *pc, uint8_t *buf, size_t len, size_t cap)
{
    return peer_client_send_media(pc, buf, len, cap, false);
}

int peer_client_send_rtcp(struct peer_client *pc, uint8_t *buf, size_t len, size_t cap)
{
    return peer_client_send_media(pc, buf, len, cap, true);
}

void peer_client_stats(const struct peer_client *pc, struct peer_client_stats *out)
{
    *out = pc->stats;
    const struct udp_stats *udp = udp_stats(pc->udp);
    out->rx_datagrams = udp->rx_packets;
    out->rx_messages = udp->rx_messages;
}

static void peer_client_on_timer_closed(uv_handle_t *handle)
{
    struct peer_client *pc = handle->data;
    peer_client_free_ice(&pc->ice_config);
    free(pc);
}

int peer_client_answered(struct peer_client *pc, const struct whip_client_result *res,
                         struct sdp_session *sdp, char *message, size_t cap)
{
    const char *why = NULL;
    if (peer_client_start_turn(pc, res->links, &why) < 0) {
        snprintf(message, cap, "%s", why);
        return -1;
    }
    if (sdp_parse(sdp, res->answer, strlen(res->answer), &why) < 0 ||
        peer_client_start(pc, sdp, &why) < 0) {
        snprintf(message, cap, "the server's answer does not work: %s", why);
        return -1;
    }
    return 0;
}

int peer_client_offer(struct peer_client *pc, const struct whip_client_target *target,
                      struct sdp_session *sdp, char *location, char *message, size_t cap)
{
    char *text = xmalloc(16384);
    if (!sdp_write(sdp, text, 16384))
        abort(); /* a client's offer has two or three sections: a failure is a bug */
    struct whip_client_result res = {0};
    int rc = -1;
    if (whip_client_offer(target, text, &res) < 0) {
        snprintf(message, cap, "%s", res.message);
    } else {
        snprintf(location, 1024, "%s", res.location);
        rc = peer_client_answered(pc, &res, sdp, message, cap);
    }
    free(res.answer);
    free(text);
    return rc;
}

void peer_client_close(struct peer_client *pc)
{
    if (!pc || pc->closed)
        return;
    if (pc->dtls && dtls_state(pc->dtls) == DTLS_STATE_CONNECTED) {
        dtls_close(pc->dtls);
        peer_client_flush_dtls(pc);
    }
    pc->closed = true;
    for (size_t i = 0; i < pc->n_turns; i++)
        turn_client_free(pc->turns[i].client);
    pc->n_turns = 0;
    pc->relay = NULL;
    udp_close(pc->udp);
    srtpx_free(pc->srtp_in);
    srtpx_free(pc->srtp_out);
    dtls_free(pc->dtls);
    ice_agent_free(pc->ice);
    dtls_cert_free(pc->cert);
    pc->srtp_in = pc->srtp_out = NULL;
    pc->dtls = NULL;
    pc->ice = NULL;
    pc->cert = NULL;
    uv_timer_stop(&pc->timer);
    uv_close((uv_handle_t *)&pc->timer, peer_client_on_timer_closed);
}
