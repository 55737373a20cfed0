/* server: one onair process: the loop, the HTTP and media sockets, the certificate, the SFU,
 * and the sessions, found by id (HTTP), by ICE ufrag (STUN) and by remote address (media). */
#ifndef ONAIR_APP_SERVER_H
#define ONAIR_APP_SERVER_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "app/access.h"
#include "app/http.h"
#include "app/ice_servers.h"
#include "app/loop_load.h"
#include "app/recorder.h"
#include "base/addr_key.h"
#include "base/hmap.h"
#include "io/tcp_media.h"
#include "io/udp.h"

#define SERVER_MAX_ADDRS 16
#define SERVER_MAX_SOURCES 16

struct server_config {
    const char *listen;     /* HTTP ADDR:PORT */
    struct http_tls tls;    /* HTTPS when both files are given */
    const char *media_bind; /* address the media socket binds */
    uint16_t media_port;
    bool media_tcp;          /* ICE-TCP on media_tcp_port (0 picks one) */
    uint16_t media_tcp_port;
    const char *public_ips[SERVER_MAX_ADDRS]; /* written into candidates; none: interfaces */
    size_t n_public_ips;
    bool announce_private; /* the interfaces' addresses too, after the public ones */
    uint32_t max_bitrate;
    unsigned workers;         /* fan-out lanes (threads, this one included); 0: one per CPU */
    unsigned split_from;      /* packet copies a fan-out is split from; 0: the SFU's default */
    unsigned max_viewers;     /* viewer sessions taken at once; 0: no limit */
    unsigned max_load;        /* percent: no new viewer while the loop is busier; 0: no limit */
    const char *video_codecs; /* preference list, "VP8,H264,VP9,AV1" */
    const char *audio_codecs;
    char source_names[SERVER_MAX_SOURCES][64];
    const char *source_paths[SERVER_MAX_SOURCES];
    size_t n_sources;
    const char *rtsp_transport; /* the rtsp:// sources': "tcp" or "udp"; NULL: tcp */
    bool no_source_pacing;      /* sources' video a frame at a time, as read */
    struct ice_servers_config ice; /* STUN/TURN servers handed to clients */
    struct recorder_config record; /* --record-dir, --record */
    bool no_chat;                  /* chat off for every stream unless the API turns it on */
    uint64_t max_file_size;        /* bytes a file sent in a room may have; 0: the default */
    /* --publish-token, --watch-token, --token-secret, --token-public-key: its public keys are
     * the server's, freed by server_free or the reload that replaces them */
    struct access_rules access;
    const char *metrics_token;     /* --metrics-token: what /metrics needs; NULL: open */
    const char *webhook_url;       /* --webhook: where events are POSTed; NULL: nowhere */
    const char *webhook_secret;    /* --webhook-secret: signs them; NULL: unsigned */
    const char *jwks_url;          /* --token-jwks-url: a JWK Set to fetch; NULL: none */
    unsigned jwks_refresh_s;       /* --token-jwks-refresh: how often */
};

struct session;

struct server {
    uv_loop_t *loop;
    /* Memory was freed in bulk (released DTLS states): give it back to the system at the next
     * tick (glibc keeps freed heap pages otherwise, and RSS would not show the saving). */
    bool trim_pending;
    uint64_t trimmed_us;
    struct server_config config;
    struct http_server *http;
    struct udp *udp;
    uint16_t udp_port;
    struct tcp_media *tcp; /* ICE-TCP, or NULL */
    uint16_t tcp_port;     /* 0 without ICE-TCP */
    struct dtls_cert *cert;
    struct sfu *sfu;
    struct rooms *rooms;
    struct recorders *recorders;
    struct webhook *webhook; /* --webhook, or NULL */
    struct jwks_fetch *jwks; /* --token-jwks-url, or NULL */
    struct hmap by_id, by_ufrag, by_addr;
    struct session **sessions;
    /* When each session next needs session_tick: kept here, beside the list, because a
     * crowd's sessions are cold between their ticks and the loop would read each 50 times a
     * second for nothing (~1 % of the server at 400 viewers). */
    uint64_t *session_tick_us;
    size_t n_sessions, cap_sessions;
    char candidate_ips[SERVER_MAX_ADDRS][64];
    size_t n_candidate_ips;
    struct file_source *sources[SERVER_MAX_SOURCES];
    struct sfu_publisher *source_publishers[SERVER_MAX_SOURCES];
    struct source_ctx *source_ctxs[SERVER_MAX_SOURCES];
    uv_timer_t tick;
    /* Around each poll: waiting fan-out and the send batch go out (server.c, flush_turn). */
    uv_prepare_t before_poll;
    uv_check_t after_poll;
    uv_signal_t sigint, sigterm, sighup;
    /* Reads the settings again on SIGHUP (server_set_reload); NULL: nothing to read. */
    int (*reload)(void *opaque, struct server_config *out);
    void *reload_opaque;
    /* Fan-out lanes (server_lanes.c): lane 0 is this thread, the others the pool's workers, each
     * with a send queue on the media socket. NULL pool: one lane. */
    struct worker_pool *pool;
    struct server_lane *lanes;
    unsigned n_lanes;
    uint64_t started_us;
    uint64_t stun_plain, stun_bad, datagrams_unknown;
    /* Peers' RTCP packets taken as authentic, and their SRTP or SRTCP packets refused
     * (authentication, replay, malformed). */
    uint64_t rtcp_in, srtp_rejected;
    uint64_t viewers_refused;      /* offers refused for --max-viewers or --max-load */
    uint64_t viewers_refused_busy; /* of those, for --max-load */
    uint64_t unauthorized;         /* requests refused for a missing or wrong token */
    struct loop_load load;         /* the loop's busy share, sampled at each tick */
};

/* Starts everything; returns -1 with a message logged on failure. */
int server_start(struct server *srv, uv_loop_t *loop, const struct server_config *config);
/* Closes sessions and sockets; the loop then ends. */
void server_stop(struct server *srv);
/* Frees what is left once the loop has ended, after a start that failed too. */
void server_free(struct server *srv);
/* On SIGHUP (`systemctl reload onair`), RELOAD fills OUT with the settings as they are now (0),
 * or says what is wrong with them (-1); the server then takes those that can change while
 * streams run: the publish and watch tokens, the token secret and the metrics token (the log
 * level is set by the reading). Sessions that started keep going. */
void server_set_reload(struct server *srv, int (*reload)(void *opaque, struct server_config *out),
                       void *opaque);

/* Registry, used by sessions. */
void server_add_session(struct server *srv, struct session *s);
void server_remove_session(struct server *srv, struct session *s);
struct session *server_find_session(struct server *srv, const char *id);
/* The session's local ICE ufrag changed (an ICE restart): find it by the new one only. */
void server_session_ufrag_changed(struct server *srv, struct session *s, const char *old_ufrag);
/* The session's media and DTLS come from ADDR over TRANSPORT. */
void server_map_address(struct server *srv, const struct sockaddr *addr,
                        enum addr_transport transport, struct session *s);
void server_unmap_address(struct server *srv, const struct sockaddr *addr,
                          enum addr_transport transport);
/* Sends a datagram to the peer TO over TRANSPORT: over UDP from the media port (queued; flushed
 * at the end of the wake-up), from the local address FROM when known (see struct udp_local);
 * over TCP on TO's ICE-TCP connection, and nowhere when it has none. */
void server_send(struct server *srv, const uint8_t *data, size_t len, const struct sockaddr *to,
                 enum addr_transport transport, const struct udp_local *from);
/* Where server_send over TRANSPORT would queue the next datagram (*CAP bytes; see udp_slot), on
 * this thread's send queue: a datagram built there is sent without a copy. NULL over TCP. */
uint8_t *server_send_slot(struct server *srv, enum addr_transport transport, size_t *cap);

/* The key under which a peer is mapped: transport, family, port and address bytes. */
size_t server_address_key(const struct sockaddr *addr, enum addr_transport transport,
                          uint8_t key[ADDR_KEY_MAX]);

#endif
