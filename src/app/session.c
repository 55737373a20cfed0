/* session: wires one peer's engines together. Datagrams come in demultiplexed by the server
 * (RFC 7983: STUN, DTLS, SRTP/SRTCP); the session drives ICE-lite and DTLS, derives SRTP keys
 * when DTLS completes, and moves media between SRTP and the SFU. */
#include "app/session.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/room.h"
#include "app/room_files.h"
#include "app/server.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "proto/rtp.h"
#include "proto/sdp.h"
#include "rtc/dtls.h"
#include "rtc/ice.h"
#include "rtc/sctp.h"
#include "rtc/srtp.h"
#include "sfu/negotiate.h"
#include "sfu/sfu.h"

/* A peer that has not finished ICE and DTLS by then is given up. */
#define HANDSHAKE_DEADLINE_US (30 * 1000000ull)
/* A session without data channels needs DTLS only for its handshake (SRTP keys come out of it)
 * and, for a while after, to answer the peer's last flight again if our answer to it was lost.
 * Then the DTLS state, OpenSSL's SSL object and its buffers, some 75 KiB, two thirds of what a
 * viewer costs, is freed. What still arrives as DTLS is looked at only for an alert, which a
 * peer sends when it closes (its content type is in the clear in DTLS 1.2's record header). */
#define DTLS_RELEASE_AFTER_US (10 * 1000000ull)
#define DTLS_CONTENT_ALERT 21
#define SESSION_MAX_ADDRS 8

/* A peer's address, IPv4 or IPv6: 28 bytes where a sockaddr_storage takes 128, and every
 * viewer of a crowd keeps SESSION_MAX_ADDRS of them. */
union peer_addr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/* How often a session without DTLS or SCTP state needs session_tick: what is left to it,
 * consent freshness (30 s) and the prefetch spans (1 s), keeps to within a second. */
#define SLOW_TICK_US 1000000ull

struct session {
    struct server *srv;
    enum session_role role;
    char id[33];
    char etag[48];
    char stream[64];
    char local_ufrag[17], local_pwd[33];
    char remote_ufrag[64]; /* the client's, for PATCH: trickles must name it */
    char first_mid[32];    /* the bundle's first section, named by PATCH answer fragments */
    enum sdp_kind first_kind;
    unsigned ice_generation; /* ICE restarts so far */
    struct ice_lite *ice;
    struct dtls *dtls;
    struct srtpx *srtp_in, *srtp_out;
    struct sfu_publisher *publisher;
    struct sfu_viewer *viewer;
    /* The peer's validated paths: address, transport, and for UDP where its checks arrived. */
    union peer_addr addrs[SESSION_MAX_ADDRS];
    enum addr_transport transports[SESSION_MAX_ADDRS];
    struct udp_local locals[SESSION_MAX_ADDRS];
    size_t n_addrs;
    int selected; /* the path media goes to (index into addrs), -1 before a valid check */
    uint64_t created_us;
    bool connected;
    bool dtls_client; /* the offer said setup:passive, so the server connects */
    uint64_t dtls_release_us; /* when the DTLS state may go (no data channels), or 0 */
    /* Data channels (RFC 8831): SCTP inside DTLS, when the offer had an m=application section. */
    bool has_data;
    struct negotiate_data data;
    struct sctp *sctp;
    int chat_channel; /* the stream id of the channel labelled "chat", or -1 */
    int file_channel; /* the stream id of the channel labelled "file", or -1 */
    bool resume_pending; /* receiving was resumed: read what waited at the next tick */
    struct room_member *member;
    uint64_t srtp_errors;
    uint64_t warmed_us; /* when warm_viewer last told the SFU */
};

const char *session_id(const struct session *s) { return s->id; }
const char *session_etag(const struct session *s) { return s->etag; }
const char *session_local_ufrag(const struct session *s) { return s->local_ufrag; }
const char *session_remote_ufrag(const struct session *s) { return s->remote_ufrag; }
const char *session_stream(const struct session *s) { return s->stream; }
enum session_role session_role(const struct session *s) { return s->role; }

int session_set_quality(struct session *s, enum sfu_quality quality, bool automatic)
{
    if (!s->viewer)
        return -1;
    if (automatic) {
        sfu_viewer_set_auto_quality(s->viewer, clock_now_us());
        log_info("session %s: automatic quality", s->id);
        return 0;
    }
    sfu_viewer_set_quality(s->viewer, quality, clock_now_us());
    log_info("session %s: %s quality", s->id, sfu_quality_names[quality]);
    return 0;
}

/* Random text from the ICE character set (RFC 8839 §5.4: ALPHA / DIGIT / "+" / "/"). */
static void random_token(char *out, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t bytes[64];
    RAND_bytes(bytes, (int)len);
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[bytes[i] % 64];
    out[len] = 0;
}

static void random_hex(char *out, size_t bytes_len)
{
    uint8_t bytes[32];
    RAND_bytes(bytes, (int)bytes_len);
    for (size_t i = 0; i < bytes_len; i++)
        sprintf(out + 2 * i, "%02x", bytes[i]);
}

static uint32_t random_ssrc(void)
{
    uint32_t v = 0;
    while (v == 0)
        RAND_bytes((uint8_t *)&v, sizeof v);
    return v;
}

/* Sends to the peer on its selected path; nothing before a valid check. */
static void send_to_peer(struct session *s, const uint8_t *data, size_t len)
{
    if (s->selected < 0)
        return;
    size_t i = (size_t)s->selected;
    server_send(s->srv, data, len, &s->addrs[i].sa, s->transports[i],
                &s->locals[i]);
}

/* Sinks: the SFU hands plaintext; protect in place and queue. */
static void send_protected(struct session *s, uint8_t *pkt, size_t len, size_t cap, bool rtcp)
{
    if (!s->srtp_out || s->selected < 0)
        return;
    int rc = rtcp ? srtpx_protect_rtcp(s->srtp_out, pkt, &len, cap)
                  : srtpx_protect_rtp(s->srtp_out, pkt, &len, cap);
    if (rc < 0) {
        s->srtp_errors++;
        return;
    }
    send_to_peer(s, pkt, len);
}

static void sink_rtp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    send_protected(opaque, pkt, len, cap, false);
}

static void sink_rtcp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    send_protected(opaque, pkt, len, cap, true);
}

/* The send queue's next slot on the selected path: the SFU builds the packet there, and it is
 * sealed in place and queued without a copy. */
static uint8_t *sink_rtp_slot(void *opaque, size_t *cap)
{
    struct session *s = opaque;
    if (!s->srtp_out || s->selected < 0)
        return NULL;
    return server_send_slot(s->srv, s->transports[s->selected], cap);
}

static const struct sfu_sink session_sink = {sink_rtp, sink_rtcp, NULL, sink_rtp_slot};

/* Tells the SFU what sending this viewer a packet touches (sfu_viewer_set_warm), for the
 * fan-out to prefetch: at the start, then once a second, as the path may change and the SRTP
 * context's SSRC table grows with the first packets (at every tick it cost ~1 % of the server:
 * the SRTP context is cold then). */
static void warm_viewer(struct session *s, uint64_t now_us)
{
    if (!s->viewer || !s->srtp_out || s->selected < 0 ||
        (s->warmed_us && now_us - s->warmed_us < 1000000))
        return;
    s->warmed_us = now_us;
    size_t i = (size_t)s->selected;
    struct mem_span spans[SFU_WARM_SPANS] = {
        {&s->srv, sizeof s->srv},
        {&s->srtp_out, sizeof s->srtp_out},
        {&s->selected, sizeof s->selected},
        {&s->addrs[i], sizeof s->addrs[i]},
        {&s->transports[i], sizeof s->transports[i]},
        {&s->locals[i], sizeof s->locals[i]},
    };
    size_t n = 6 + srtpx_spans(s->srtp_out, spans + 6, SFU_WARM_SPANS - 6);
    sfu_viewer_set_warm(s->viewer, spans, n);
}

static void flush_dtls(struct session *s)
{
    uint8_t buf[1500];
    ssize_t n;
    while (s->dtls && (n = dtls_poll_output(s->dtls, buf, sizeof buf)) > 0)
        send_to_peer(s, buf, (size_t)n);
}

/* Moves what SCTP wants to send into DTLS records and out to the peer. */
static void flush_sctp(struct session *s)
{
    uint8_t buf[2048];
    ssize_t n;
    while ((n = sctp_poll_output(s->sctp, buf, sizeof buf)) > 0)
        dtls_write(s->dtls, buf, (size_t)n);
    flush_dtls(s);
}

int session_send_chat(struct session *s, const char *text, size_t len)
{
    if (!s->sctp || s->chat_channel < 0)
        return -1;
    int rc = sctp_send(s->sctp, (uint16_t)s->chat_channel, false, (const uint8_t *)text, len);
    flush_sctp(s);
    return rc;
}

bool session_has_file_channel(const struct session *s)
{
    return s->sctp && s->file_channel >= 0;
}

static int send_file_message(struct session *s, bool binary, const uint8_t *data, size_t len)
{
    if (!session_has_file_channel(s))
        return -1;
    int rc = sctp_send(s->sctp, (uint16_t)s->file_channel, binary, data, len);
    flush_sctp(s);
    return rc;
}

int session_send_file_text(struct session *s, const char *text, size_t len)
{
    return send_file_message(s, false, (const uint8_t *)text, len);
}

int session_send_file(struct session *s, const uint8_t *data, size_t len)
{
    return send_file_message(s, true, data, len);
}

size_t session_file_buffered(const struct session *s)
{
    return session_has_file_channel(s) ? sctp_buffered(s->sctp, (uint16_t)s->file_channel) : 0;
}

void session_pause_receive(struct session *s, bool paused)
{
    if (!s->sctp)
        return;
    sctp_pause_receive(s->sctp, paused);
    /* Resuming reads what waited, and the window update must go out. */
    if (!paused)
        s->resume_pending = true;
}

/* Channels other than "chat" and "file" are accepted (DCEP needs an ACK) and their messages
 * ignored: refusing would close them, and a page may open channels for its own use. Either of
 * the two joins the stream's room. */
static void on_sctp_event(struct session *s, const struct sctp_dc_event *ev, uint64_t now_ms)
{
    if (ev->type == SCTP_DC_CHANNEL_OPEN && ev->remote) {
        if (strcmp(ev->label, "chat") == 0 && s->chat_channel < 0)
            s->chat_channel = ev->id;
        else if (strcmp(ev->label, "file") == 0 && s->file_channel < 0)
            s->file_channel = ev->id;
        else
            return;
        if (!s->member)
            s->member = room_join(s->srv->rooms, s->stream, s, s->role == SESSION_PUBLISHER);
    } else if (ev->type == SCTP_DC_MESSAGE && s->member &&
               ((int)ev->id == s->chat_channel || (int)ev->id == s->file_channel)) {
        /* Copied: answering may send on this engine, which ends the event's lifetime. */
        uint8_t *copy = xmalloc(ev->len + 1);
        memcpy(copy, ev->data, ev->len);
        if ((int)ev->id == s->file_channel)
            room_file_message(s->member, now_ms, ev->binary, copy, ev->len);
        else if (!ev->binary)
            room_message(s->member, now_ms, copy, ev->len);
        free(copy);
    } else if (ev->type == SCTP_DC_CHANNEL_CLOSED && (int)ev->id == s->chat_channel) {
        /* Nothing more is sent to it; the leave is announced when the session ends, after it
         * has left the SFU, so the count in the event is right whichever close comes first. */
        s->chat_channel = -1;
    } else if (ev->type == SCTP_DC_CHANNEL_CLOSED && (int)ev->id == s->file_channel) {
        s->file_channel = -1;
    } else if (ev->type == SCTP_DC_CLOSED) {
        s->chat_channel = s->file_channel = -1;
    }
}

static void pump_sctp(struct session *s, uint64_t now_ms)
{
    struct sctp_dc_event ev;
    while (s->sctp && sctp_poll_event(s->sctp, &ev) > 0)
        on_sctp_event(s, &ev, now_ms);
    if (s->sctp)
        flush_sctp(s);
}

static void on_dtls_connected(struct session *s, uint64_t now_us)
{
    struct srtp_keys keys;
    if (dtls_srtp_keys(s->dtls, &keys) < 0) {
        session_close(s, "DTLS completed without SRTP keys");
        return;
    }
    s->srtp_in = srtpx_new(&keys, false);
    s->srtp_out = srtpx_new(&keys, true);
    if (!s->srtp_in || !s->srtp_out) {
        session_close(s, "cannot make SRTP contexts");
        return;
    }
    s->connected = true;
    log_info("session %s: %s of %s connected (%s)", s->id,
             s->role == SESSION_PUBLISHER ? "publisher" : "viewer", s->stream,
             keys.profile == SRTP_PROFILE_AEAD_AES_128_GCM ? "AEAD_AES_128_GCM"
                                                          : "AES_CM_128_HMAC_SHA1_80");
    if (s->viewer) {
        warm_viewer(s, now_us);
        sfu_viewer_start(s->viewer, now_us);
    }
    if (!s->has_data)
        s->dtls_release_us = now_us + DTLS_RELEASE_AFTER_US;
    if (s->has_data) {
        s->sctp = sctp_new(NEGOTIATE_SCTP_PORT, s->data.remote_sctp_port, s->dtls_client,
                           NEGOTIATE_MAX_MESSAGE_SIZE);
        pump_sctp(s, now_us / 1000);
    }
}

static bool same_path(const struct sockaddr *a, enum addr_transport a_transport,
                      const struct sockaddr *b, enum addr_transport b_transport)
{
    uint8_t ka[ADDR_KEY_MAX], kb[ADDR_KEY_MAX];
    size_t na = server_address_key(a, a_transport, ka);
    size_t nb = server_address_key(b, b_transport, kb);
    return na == nb && memcmp(ka, kb, na) == 0;
}

void session_on_stun(struct session *s, uint64_t now_us, const struct sockaddr *from,
                     enum addr_transport transport, const struct udp_local *local,
                     const uint8_t *data, size_t len, const struct stun_msg *msg)
{
    uint8_t out[512];
    size_t out_len = 0;
    bool had_selected = ice_lite_selected(s->ice) != NULL;
    int rc = ice_lite_handle_request(s->ice, now_us / 1000, from, data, len, msg, out, sizeof out,
                                     &out_len);
    if (out_len)
        server_send(s->srv, out, out_len, from, transport, local);
    if (rc < 0)
        return;
    /* Every path that passed a check may carry this session's DTLS and media; each UDP one is
     * answered from the local address its checks arrived on. */
    size_t i = 0;
    while (i < s->n_addrs && !same_path(from, transport, &s->addrs[i].sa, s->transports[i]))
        i++;
    if (i == s->n_addrs && s->n_addrs < SESSION_MAX_ADDRS) {
        memcpy(&s->addrs[i], from,
               from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                           : sizeof(struct sockaddr_in));
        s->transports[i] = transport;
        s->n_addrs++;
        server_map_address(s->srv, from, transport, s);
        char text[64];
        log_info("session %s: checks from %s over %s", s->id, addr_text(from, text, sizeof text),
                 transport == ADDR_TCP ? "TCP" : "UDP");
    }
    if (i < s->n_addrs) {
        /* No local address (family 0) for an ICE-TCP peer: its connection is the path. */
        static const struct udp_local unknown;
        s->locals[i] = local ? *local : unknown;
        /* The ICE-lite engine's rule (ice_lite_handle_request), kept here with the transport,
         * which the engine does not know: the first valid check's path, then the nominated
         * one. */
        if (!had_selected || msg->use_candidate)
            s->selected = (int)i;
    }
    if (s->dtls && dtls_state(s->dtls) == DTLS_STATE_NEW && s->dtls_client)
        dtls_start(s->dtls, now_us / 1000);
    flush_dtls(s);
}

void session_on_datagram(struct session *s, uint64_t now_us, const struct sockaddr *from,
                         uint8_t *data, size_t len)
{
    uint8_t first = data[0];
    if (first >= 20 && first <= 63) {
        if (!s->dtls) {
            if (first == DTLS_CONTENT_ALERT)
                session_close(s, "peer closed DTLS (an alert after the handshake)");
            return;
        }
        bool was_connected = dtls_state(s->dtls) == DTLS_STATE_CONNECTED;
        dtls_feed(s->dtls, now_us / 1000, data, len);
        flush_dtls(s);
        if (!was_connected && dtls_state(s->dtls) == DTLS_STATE_CONNECTED)
            on_dtls_connected(s, now_us);
        if (s->sctp) {
            uint8_t record[DTLS_MAX_MESSAGE];
            ssize_t n;
            while ((n = dtls_read(s->dtls, record, sizeof record)) > 0)
                sctp_feed(s->sctp, now_us / 1000, record, (size_t)n);
            pump_sctp(s, now_us / 1000);
        }
        return;
    }
    if (first < 128 || first > 191 || !s->srtp_in)
        return;
    size_t n = len;
    if (rtp_is_rtcp(data, len)) {
        if (srtpx_unprotect_rtcp(s->srtp_in, data, &n) < 0) {
            s->srtp_errors++;
            s->srv->srtp_rejected++;
            return;
        }
        s->srv->rtcp_in++;
        if (s->publisher)
            sfu_publisher_rtcp(s->publisher, now_us, data, n);
        else if (s->viewer)
            sfu_viewer_rtcp(s->viewer, now_us, data, n);
        return;
    }
    if (!s->publisher)
        return; /* viewers send no media */
    if (srtpx_unprotect_rtp(s->srtp_in, data, &n) < 0) {
        s->srtp_errors++;
        s->srv->srtp_rejected++;
        return;
    }
    sfu_publisher_rtp(s->publisher, now_us, data, n);
}

int session_tick(struct session *s, uint64_t now_us, uint64_t *next_us)
{
    uint64_t now_ms = now_us / 1000;
    warm_viewer(s, now_us);
    if (s->dtls && s->dtls_release_us && now_us >= s->dtls_release_us &&
        dtls_state(s->dtls) == DTLS_STATE_CONNECTED) {
        dtls_free(s->dtls);
        s->dtls = NULL;
        s->srv->trim_pending = true;
        log_debug("session %s: handshake done, DTLS state released", s->id);
    }
    if (s->dtls && dtls_next_timeout(s->dtls) <= now_ms) {
        dtls_handle_timeout(s->dtls, now_ms);
        flush_dtls(s);
    }
    if (s->sctp && (s->resume_pending || sctp_next_timeout(s->sctp) <= now_ms)) {
        /* Not pumped when resumed: that happens inside the room's loops, which the messages
         * read now would change under them. */
        s->resume_pending = false;
        sctp_handle_timeout(s->sctp, now_ms);
        pump_sctp(s, now_ms);
    }
    const char *reason = NULL;
    enum dtls_state state = s->dtls ? dtls_state(s->dtls) : DTLS_STATE_CONNECTED;
    if (ice_lite_consent_expired(s->ice, now_ms))
        reason = "consent expired (no STUN check for 30 s)";
    else if (state == DTLS_STATE_FAILED)
        reason = dtls_error(s->dtls);
    else if (state == DTLS_STATE_CLOSED)
        reason = "peer closed DTLS";
    else if (!s->connected && now_us - s->created_us > HANDSHAKE_DEADLINE_US)
        reason = "ICE and DTLS did not complete within 30 s";
    if (!reason) {
        *next_us = s->dtls || s->sctp ? 0 : now_us + SLOW_TICK_US;
        return 0;
    }
    session_close(s, reason);
    return -1;
}

void session_close(struct session *s, const char *reason)
{
    if (!s)
        return;
    log_info("session %s: %s of %s closed: %s", s->id,
             s->role == SESSION_PUBLISHER ? "publisher" : "viewer", s->stream, reason);
    if (s->sctp) {
        sctp_stop(s->sctp);
        flush_sctp(s);
        sctp_free(s->sctp);
    }
    if (s->dtls && dtls_state(s->dtls) == DTLS_STATE_CONNECTED) {
        dtls_close(s->dtls);
        flush_dtls(s);
    }
    sfu_publisher_detach(s->publisher);
    sfu_viewer_detach(s->viewer);
    /* After leaving the SFU, so the leave event counts the viewers that remain. */
    room_leave(s->member);
    for (size_t i = 0; i < s->n_addrs; i++)
        server_unmap_address(s->srv, &s->addrs[i].sa, s->transports[i]);
    server_remove_session(s->srv, s);
    srtpx_free(s->srtp_in);
    srtpx_free(s->srtp_out);
    dtls_free(s->dtls);
    ice_lite_free(s->ice);
    free(s);
}

static void fail(struct session_error *err, int status, const char *reason)
{
    err->status = status;
    snprintf(err->reason, sizeof err->reason, "%s", reason);
}

/* Whether the server takes no new viewer now: it has --max-viewers of them, or its media loop
 * was busier than --max-load over about the last second. If so, counts the refusal and fails
 * ERR with 503 and the reason (api.c adds Retry-After). Publishers are not refused: their
 * viewers wait for them. The sessions are counted at each offer: a few thousand take
 * microseconds, and nothing else needs the count kept. */
static bool refuses_viewer(struct server *srv, struct session_error *err)
{
    const struct server_config *config = &srv->config;
    size_t viewers = 0;
    for (size_t i = 0; config->max_viewers && i < srv->n_sessions; i++)
        viewers += srv->sessions[i]->role == SESSION_VIEWER;
    if (config->max_viewers && viewers >= config->max_viewers) {
        snprintf(err->reason, sizeof err->reason,
                 "the server is at its limit of %u viewers (--max-viewers): try again later",
                 config->max_viewers);
    } else if (config->max_load && srv->load.busy * 100 >= config->max_load) {
        snprintf(err->reason, sizeof err->reason,
                 "the server is busy: its media loop was %.0f %% busy over the last second "
                 "(--max-load %u): try again later",
                 100 * srv->load.busy, config->max_load);
        srv->viewers_refused_busy++;
    } else {
        return false;
    }
    err->status = 503;
    srv->viewers_refused++;
    return true;
}

/* Runs the negotiation for the role; on success the session is in the SFU. */
static int negotiate(struct session *s, const struct sdp_session *offer,
                     struct sdp_session *answer, struct session_error *err)
{
    struct server *srv = s->srv;
    const struct server_config *config = &srv->config;
    struct negotiate_local local = {
        .ice_ufrag = s->local_ufrag,
        .ice_pwd = s->local_pwd,
        .fingerprint = dtls_cert_fingerprint(srv->cert),
        .candidate_ips = (const char(*)[64])srv->candidate_ips,
        .n_candidate_ips = srv->n_candidate_ips,
        .port = srv->udp_port,
        .tcp_port = srv->tcp_port,
        .cname = "onair",
        .stream_id = s->stream,
    };
    RAND_bytes((uint8_t *)&local.origin_id, sizeof local.origin_id);
    local.origin_id >>= 2; /* keep it within SDP's decimal 63 bits */
    for (int k = 0; k < SFU_KINDS; k++) {
        local.ssrcs[k] = random_ssrc();
        local.rtx_ssrcs[k] = random_ssrc();
    }
    const char *why = "";
    int rc;
    if (s->role == SESSION_PUBLISHER) {
        struct negotiate_prefs prefs = {config->video_codecs, config->audio_codecs};
        struct sfu_track_desc tracks[SFU_KINDS];
        size_t n = 0;
        rc = negotiate_publisher(offer, &prefs, &local, answer, tracks, &n, &why);
        if (rc == 0) {
            s->publisher = sfu_publisher_attach(srv->sfu, s->stream, tracks, n, &session_sink, s,
                                                &why);
            if (!s->publisher) {
                fail(err, 409, why);
                return -1;
            }
        }
    } else {
        const struct sfu_track_desc *live[SFU_KINDS] = {
            sfu_stream_track(srv->sfu, s->stream, SFU_AUDIO),
            sfu_stream_track(srv->sfu, s->stream, SFU_VIDEO),
        };
        struct sfu_viewer_track_desc tracks[SFU_KINDS];
        size_t n = 0;
        rc = negotiate_viewer(offer, &local, live, answer, tracks, &n, &why);
        if (rc == 0)
            s->viewer = sfu_viewer_attach(srv->sfu, s->stream, tracks, n, &session_sink, s);
    }
    if (rc == 0)
        s->has_data = negotiate_data_channel(offer, &local, answer, &s->data);
    if (rc == NEGOTIATE_ENOCODEC) {
        fail(err, 406, why);
        return -1;
    }
    if (rc < 0) {
        fail(err, 400, why);
        return -1;
    }
    return 0;
}

struct session *session_create(struct server *srv, enum session_role role, const char *name,
                               const char *offer_text, size_t offer_len, char **answer_text,
                               struct session_error *err)
{
    /* Offer and answer are large structs: keep them off the stack. */
    struct sdp_session *offer = xmalloc(sizeof *offer), *answer = xmalloc(sizeof *answer);
    struct session *s = NULL;
    const char *why;
    if (role == SESSION_VIEWER && refuses_viewer(srv, err))
        goto out;
    if (sdp_parse(offer, offer_text, offer_len, &why) < 0) {
        char reason[200];
        snprintf(reason, sizeof reason, "malformed SDP offer: %s", why);
        fail(err, 400, reason);
        goto out;
    }
    s = xcalloc(1, sizeof *s);
    s->srv = srv;
    s->role = role;
    s->created_us = clock_now_us();
    s->chat_channel = s->file_channel = -1;
    s->selected = -1;
    snprintf(s->stream, sizeof s->stream, "%s", name);
    random_hex(s->id, 16);
    random_token(s->local_ufrag, 8);
    random_token(s->local_pwd, 24);
    snprintf(s->etag, sizeof s->etag, "%s", s->local_ufrag);
    if (negotiate(s, offer, answer, err) < 0) {
        free(s);
        s = NULL;
        goto out;
    }
    /* The remote credentials and fingerprint of the first accepted section: all are bundled. */
    const struct sdp_media *first = NULL;
    for (size_t i = 0; i < offer->n_media && !first; i++)
        if (answer->media[i].port)
            first = &offer->media[i];
    s->ice = ice_lite_new(s->local_ufrag, s->local_pwd, sdp_media_ice_ufrag(offer, first),
                          sdp_media_ice_pwd(offer, first));
    snprintf(s->remote_ufrag, sizeof s->remote_ufrag, "%s", sdp_media_ice_ufrag(offer, first));
    snprintf(s->first_mid, sizeof s->first_mid, "%s", first->mid);
    s->first_kind = first->kind;
    s->dtls_client = answer->setup == SDP_SETUP_ACTIVE;
    s->dtls = dtls_new(srv->cert, s->dtls_client ? DTLS_ROLE_CLIENT : DTLS_ROLE_SERVER,
                       sdp_media_fingerprint(offer, first));
    size_t cap = 16384;
    *answer_text = xmalloc(cap);
    if (!sdp_write(answer, *answer_text, cap))
        abort(); /* the answer has bounded size: a failure here is a bug */
    server_add_session(srv, s);
    log_info("session %s: %s of %s from %zu-byte offer", s->id,
             role == SESSION_PUBLISHER ? "publisher" : "viewer", name, offer_len);
out:
    free(offer);
    free(answer);
    return s;
}

/* RFC 8840 §9: the answer fragment names a section by mid; an m= line opens it. */
static const char *first_section_line(const struct session *s)
{
    if (s->first_kind == SDP_APPLICATION)
        return "m=application 9 UDP/DTLS/SCTP webrtc-datachannel";
    return s->first_kind == SDP_VIDEO ? "m=video 9 UDP/TLS/RTP/SAVPF 0"
                                      : "m=audio 9 UDP/TLS/RTP/SAVPF 0";
}

size_t session_restart_ice(struct session *s, const char *remote_ufrag, const char *remote_pwd,
                           char *frag, size_t cap)
{
    char old_ufrag[sizeof s->local_ufrag];
    snprintf(old_ufrag, sizeof old_ufrag, "%s", s->local_ufrag);
    random_token(s->local_ufrag, 8);
    random_token(s->local_pwd, 24);
    snprintf(s->etag, sizeof s->etag, "%s", s->local_ufrag);
    snprintf(s->remote_ufrag, sizeof s->remote_ufrag, "%s", remote_ufrag);
    /* RFC 8445 §9: both sides' credentials change; DTLS, SRTP and the SFU place stay, and media
     * keeps going to the current path until the client nominates one with the new ones. */
    ice_lite_set_remote_credentials(s->ice, remote_ufrag, remote_pwd);
    ice_lite_restart(s->ice, s->local_ufrag, s->local_pwd);
    server_session_ufrag_changed(s->srv, s, old_ufrag);
    s->ice_generation++;
    log_info("session %s: ICE restart %u", s->id, s->ice_generation);

    const struct server *srv = s->srv;
    int n = snprintf(frag, cap, "a=ice-lite\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n%s\r\na=mid:%s\r\n",
                     s->local_ufrag, s->local_pwd, first_section_line(s), s->first_mid);
    size_t len = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < 2 * srv->n_candidate_ips && len < cap; i++) {
        struct sdp_candidate c;
        size_t k = i % srv->n_candidate_ips;
        if (i < srv->n_candidate_ips)
            negotiate_host_candidate(&c, k, srv->candidate_ips[k], srv->udp_port);
        else if (srv->tcp_port)
            negotiate_tcp_candidate(&c, k, srv->candidate_ips[k], srv->tcp_port);
        else
            break;
        n = snprintf(frag + len, cap - len, "a=candidate:%s %u %s %u %s %u typ %s%s%s\r\n",
                     c.foundation, c.component, c.transport, c.priority, c.address, c.port,
                     c.type, c.tcptype[0] ? " tcptype " : "", c.tcptype);
        len += n > 0 ? (size_t)n : 0;
    }
    if (len < cap) {
        n = snprintf(frag + len, cap - len, "a=end-of-candidates\r\n");
        len += n > 0 ? (size_t)n : 0;
    }
    return len < cap ? len : 0;
}
