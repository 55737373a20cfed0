/* server: start-up, the media socket's demultiplexer, the session registry and the tick. */
#include "app/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "app/api.h"
#include "app/http.h"
#include "app/jwks_fetch.h"
#include "app/room.h"
#include "app/server_events.h"
#include "app/server_lanes.h"
#include "app/server_sources.h"
#include "app/session.h"
#include "base/addr_key.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "io/udp.h"
#include "proto/jwt_key.h"
#include "proto/stun.h"
#include "rtc/dtls.h"
#include "rtc/gcm_cipher.h"
#include "rtc/ice.h"
#include "rtc/srtp.h"
#include "sfu/sfu.h"

#define TICK_MS 20

size_t server_address_key(const struct sockaddr *addr, enum addr_transport transport,
                          uint8_t key[ADDR_KEY_MAX])
{
    return addr_key(addr, transport, key);
}

void server_add_session(struct server *srv, struct session *s)
{
    const char *id = session_id(s), *ufrag = session_local_ufrag(s);
    hmap_put(&srv->by_id, id, strlen(id), s);
    hmap_put(&srv->by_ufrag, ufrag, strlen(ufrag), s);
    if (srv->n_sessions == srv->cap_sessions) {
        srv->cap_sessions = srv->cap_sessions ? srv->cap_sessions * 2 : 16;
        srv->sessions = xrealloc(srv->sessions, srv->cap_sessions * sizeof *srv->sessions);
        srv->session_tick_us =
            xrealloc(srv->session_tick_us, srv->cap_sessions * sizeof *srv->session_tick_us);
    }
    srv->session_tick_us[srv->n_sessions] = 0;
    srv->sessions[srv->n_sessions++] = s;
}

void server_session_ufrag_changed(struct server *srv, struct session *s, const char *old_ufrag)
{
    hmap_del(&srv->by_ufrag, old_ufrag, strlen(old_ufrag));
    const char *ufrag = session_local_ufrag(s);
    hmap_put(&srv->by_ufrag, ufrag, strlen(ufrag), s);
}

void server_remove_session(struct server *srv, struct session *s)
{
    const char *id = session_id(s), *ufrag = session_local_ufrag(s);
    hmap_del(&srv->by_id, id, strlen(id));
    hmap_del(&srv->by_ufrag, ufrag, strlen(ufrag));
    for (size_t i = 0; i < srv->n_sessions; i++) {
        if (srv->sessions[i] == s) {
            srv->n_sessions--;
            srv->sessions[i] = srv->sessions[srv->n_sessions];
            srv->session_tick_us[i] = srv->session_tick_us[srv->n_sessions];
            break;
        }
    }
}

struct session *server_find_session(struct server *srv, const char *id)
{
    return hmap_get(&srv->by_id, id, strlen(id));
}

void server_map_address(struct server *srv, const struct sockaddr *addr,
                        enum addr_transport transport, struct session *s)
{
    uint8_t key[ADDR_KEY_MAX];
    hmap_put(&srv->by_addr, key, server_address_key(addr, transport, key), s);
}

void server_unmap_address(struct server *srv, const struct sockaddr *addr,
                          enum addr_transport transport)
{
    uint8_t key[ADDR_KEY_MAX];
    hmap_del(&srv->by_addr, key, server_address_key(addr, transport, key));
}

void server_send(struct server *srv, const uint8_t *data, size_t len, const struct sockaddr *to,
                 enum addr_transport transport, const struct udp_local *from)
{
    if (server_lane_send(data, len, to, transport, from))
        return; /* from a fan-out worker: its own queue */
    /* By the peer's transport, not by whether some connection has its address: a UDP peer
     * behind the NAT of a TCP one can have the same ip:port. */
    if (transport == ADDR_TCP) {
        if (srv->tcp)
            tcp_media_send(srv->tcp, to, data, len);
        return;
    }
    udp_queue(srv->udp, data, len, to, from);
}

uint8_t *server_send_slot(struct server *srv, enum addr_transport transport, size_t *cap)
{
    uint8_t *slot;
    if (server_lane_slot(transport, &slot, cap))
        return slot;
    return transport == ADDR_UDP ? udp_slot(srv->udp, cap) : NULL;
}

/* A STUN message on the media port: a binding request naming one of our sessions, or a plain
 * binding request (no USERNAME), which gets a plain answer so clients can use this port as
 * their STUN server. Anything else is dropped. */
static void on_stun(struct server *srv, uint64_t now_us, const struct sockaddr *from,
                    enum addr_transport transport, const struct udp_local *local,
                    const uint8_t *data, size_t len)
{
    struct stun_msg msg;
    const char *why;
    if (stun_decode(&msg, data, len, &why) < 0 || msg.type != STUN_BINDING_REQUEST) {
        srv->stun_bad++;
        return;
    }
    if (!msg.username) {
        uint8_t out[128];
        size_t n = stun_encode_binding_success(out, sizeof out, msg.txid, from, NULL, 0, true);
        if (n) {
            srv->stun_plain++;
            server_send(srv, out, n, from, transport, local);
        }
        return;
    }
    char ufrag[64];
    if (ice_username_local_ufrag(&msg, ufrag, sizeof ufrag) < 0) {
        srv->stun_bad++;
        return;
    }
    struct session *s = hmap_get(&srv->by_ufrag, ufrag, strlen(ufrag));
    if (!s) {
        /* A session this server does not know (ended, or held by the process before a
         * restart): 401 tells its client at the next consent check, not 30 s of silence later.
         * Unsigned, as the password is unknown; no larger than the request it answers. */
        uint8_t out[128];
        size_t n = stun_encode_binding_error(out, sizeof out, msg.txid, 401,
                                             "Unauthorized: no such session", NULL, 0);
        if (n && n <= len)
            server_send(srv, out, n, from, transport, local);
        srv->stun_bad++;
        return;
    }
    session_on_stun(s, now_us, from, transport, local, data, len, &msg);
}

/* A datagram or an ICE-TCP frame from FROM over TRANSPORT (LOCAL: where a datagram arrived,
 * NULL for TCP): STUN finds its session by ufrag, the rest by the peer's transport and address. */
static void demux(struct server *srv, const struct sockaddr *from, enum addr_transport transport,
                  const struct udp_local *local, uint8_t *data, size_t len)
{
    uint64_t now_us = clock_now_us();
    if (stun_is_stun(data, len)) {
        on_stun(srv, now_us, from, transport, local, data, len);
        return;
    }
    uint8_t key[ADDR_KEY_MAX];
    struct session *s = hmap_get(&srv->by_addr, key, server_address_key(from, transport, key));
    if (!s) {
        srv->datagrams_unknown++;
        return;
    }
    session_on_datagram(s, now_us, from, data, len);
}

/* After each receive batch: what publishers sent goes out to their viewers now, in one send
 * batch (udp sends it right after this). */
static void on_batch_done(void *opaque)
{
    struct server *srv = opaque;
    sfu_flush(srv->sfu);
}

/* Packets that did not come in a receive batch (file sources and cameras on timers, ICE-TCP
 * frames, DTLS and SCTP sends) go out before the loop blocks again: libuv runs prepare handles
 * after the timers and before it waits in poll, check handles right after poll's callbacks.
 * Flushing in only one of them would leave a timer's packets waiting through the next poll
 * (up to the next timer: tens of milliseconds). */
static void flush_turn(struct server *srv)
{
    if (!srv->udp)
        return;
    sfu_flush(srv->sfu);
    udp_flush(srv->udp);
}

static void on_before_poll(uv_prepare_t *prepare) { flush_turn(prepare->data); }

static void on_after_poll(uv_check_t *check) { flush_turn(check->data); }

static void on_datagram(void *opaque, const struct sockaddr *from, const struct udp_local *local,
                        uint8_t *data, size_t len)
{
    demux(opaque, from, ADDR_UDP, local, data, len);
}

/* An RFC 4571 frame from an ICE-TCP connection: the same demultiplexing as a datagram. */
static void on_tcp_frame(void *opaque, const struct sockaddr *from, uint8_t *data, size_t len)
{
    demux(opaque, from, ADDR_TCP, NULL, data, len);
}

static void on_tick(uv_timer_t *timer)
{
    struct server *srv = timer->data;
    uint64_t now_us = clock_now_us();
    loop_load_sample(&srv->load, now_us, uv_metrics_idle_time(srv->loop));
    rooms_tick(srv->rooms, now_us / 1000);
    recorders_tick(srv->recorders);
    /* Backwards: a session that ends itself swaps the last one into its place. */
    for (size_t i = srv->n_sessions; i-- > 0;) {
        uint64_t next_us;
        if (i < srv->n_sessions && now_us >= srv->session_tick_us[i] &&
            session_tick(srv->sessions[i], now_us, &next_us) == 0)
            srv->session_tick_us[i] = next_us;
    }
    sfu_tick(srv->sfu, now_us);
    udp_flush(srv->udp);
#ifdef __GLIBC__
    /* At most once a second: a crowd released in one second is one trim. */
    if (srv->trim_pending && now_us - srv->trimmed_us >= 1000000) {
        srv->trim_pending = false;
        srv->trimmed_us = now_us;
        malloc_trim(0);
    }
#endif
}

static void on_signal(uv_signal_t *handle, int signum)
{
    struct server *srv = handle->data;
    log_info("signal %d: shutting down", signum);
    server_stop(srv);
}

static void add_candidate_ip(struct server *srv, const char *ip)
{
    for (size_t i = 0; i < srv->n_candidate_ips; i++)
        if (strcmp(srv->candidate_ips[i], ip) == 0)
            return;
    if (srv->n_candidate_ips < SERVER_MAX_ADDRS)
        snprintf(srv->candidate_ips[srv->n_candidate_ips++], 64, "%s", ip);
}

/* Candidate addresses: the configured public ones, else the address the media port is bound to
 * (BIND), or, bound to all, every interface address that is up (loopback included, so a
 * browser on this machine can connect). */
static void gather_candidate_ips(struct server *srv, const char *bind)
{
    for (size_t i = 0; i < srv->config.n_public_ips && i < SERVER_MAX_ADDRS; i++)
        snprintf(srv->candidate_ips[srv->n_candidate_ips++], 64, "%s", srv->config.public_ips[i]);
    if (srv->n_candidate_ips && !srv->config.announce_private)
        return;
    bool ipv6 = strchr(bind, ':') != NULL;
    if (strcmp(bind, "::") != 0 && strcmp(bind, "0.0.0.0") != 0) {
        /* An address no socket listens on would only cost the peers a failed check. */
        add_candidate_ip(srv, bind);
        return;
    }
    struct ifaddrs *list, *ifa;
    if (getifaddrs(&list) < 0)
        return;
    for (ifa = list; ifa && srv->n_candidate_ips < SERVER_MAX_ADDRS; ifa = ifa->ifa_next) {
        if (!ifa->ifa_addr || !(ifa->ifa_flags & IFF_UP))
            continue;
        char text[64];
        if (ifa->ifa_addr->sa_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, text, sizeof text);
        } else if (ifa->ifa_addr->sa_family == AF_INET6 && ipv6) {
            struct in6_addr *a = &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
            if (IN6_IS_ADDR_LINKLOCAL(a))
                continue; /* needs a scope id that SDP cannot carry */
            inet_ntop(AF_INET6, a, text, sizeof text);
        } else {
            continue;
        }
        add_candidate_ip(srv, text);
    }
    freeifaddrs(list);
}

/* Says which streams --publish-token, --watch-token and --token-secret close, so that an operator
 * sees what they do (the tokens themselves stay out of the log). */
static void log_access(const struct server_config *config)
{
    const struct access_rules *rules = &config->access;
    static const char *const doing[ACCESS_ACTIONS] = {"publishing", "watching"};
    char streams[512];
    for (int a = 0; a < ACCESS_ACTIONS; a++)
        if (access_describe(rules, (enum access_action)a, streams, sizeof streams))
            log_info("%s needs a token: %s", doing[a], streams);
    if (rules->secret)
        log_info("tokens: JWTs signed with --token-secret (HS256)");
    for (size_t i = 0; i < rules->n_public_keys; i++)
        log_info("tokens: JWTs signed with the private half of --token-public-key %zu of %zu (%s)",
                 i + 1, rules->n_public_keys, jwt_key_alg(rules->public_keys[i]));
    if (config->jwks_url)
        log_info("tokens: JWTs signed with a key of the JWK Set at %s, fetched every %u s",
                 config->jwks_url, config->jwks_refresh_s);
}

/* A fetch of --token-jwks-url's set: its keys replace the last fetch's. */
static void on_jwks(void *opaque, struct jwt_key **keys, size_t n)
{
    struct server *srv = opaque;
    struct access_rules *rules = &srv->config.access;
    /* Changed: another number of keys, or a key the last set did not have (in any order: a
     * provider may list its keys in another order at each fetch). */
    bool changed = n != rules->n_fetched_keys;
    for (size_t i = 0; i < n && !changed; i++) {
        bool known = false;
        for (size_t j = 0; j < rules->n_fetched_keys && !known; j++)
            known = jwt_key_equal(keys[i], rules->fetched_keys[j]);
        changed = !known;
    }
    for (size_t i = 0; i < rules->n_fetched_keys; i++)
        jwt_key_free(rules->fetched_keys[i]);
    memcpy(rules->fetched_keys, keys, n * sizeof *keys);
    rules->n_fetched_keys = n;
    char algs[64] = "";
    for (size_t i = 0, at = 0; i < n && at < sizeof algs; i++)
        at += (size_t)snprintf(algs + at, sizeof algs - at, "%s%s", i ? " " : "",
                               jwt_key_alg(keys[i]));
    if (changed || log_enabled(LOG_DEBUG)) /* each refresh at debug level, a change at info */
        log_write(changed ? LOG_INFO : LOG_DEBUG, "tokens: JWTs signed with a key of %s (%zu: %s)",
                  srv->config.jwks_url, n, algs);
}

static void on_reload(uv_signal_t *handle, int signum)
{
    struct server *srv = handle->data;
    struct server_config fresh;
    if (!srv->reload) {
        log_warn("SIGHUP: there is no --config file to read again; nothing changes");
        return;
    }
    if (srv->reload(srv->reload_opaque, &fresh) < 0) {
        log_warn("SIGHUP: the settings are as they were: the config file is wrong (above)");
        return;
    }
    access_move_fetched_keys(&fresh.access, &srv->config.access);
    access_free_keys(&srv->config.access);
    srv->config.access = fresh.access;
    srv->config.metrics_token = fresh.metrics_token;
    log_info("SIGHUP: the tokens, --token-secret, --token-public-key and --metrics-token are "
             "the config file's now (other settings take a restart)");
    log_access(&srv->config);
}

void server_set_reload(struct server *srv, int (*reload)(void *opaque, struct server_config *out),
                       void *opaque)
{
    srv->reload = reload;
    srv->reload_opaque = opaque;
}

int server_start(struct server *srv, uv_loop_t *loop, const struct server_config *config)
{
    memset(srv, 0, sizeof *srv);
    srv->loop = loop;
    srv->config = *config;
    srv->started_us = clock_now_us();
    loop_load_init(&srv->load);
    /* The handles server_stop closes exist from the start, so a failed start stops cleanly. */
    uv_timer_init(loop, &srv->tick);
    srv->tick.data = srv;
    uv_prepare_init(loop, &srv->before_poll);
    srv->before_poll.data = srv;
    uv_check_init(loop, &srv->after_poll);
    srv->after_poll.data = srv;
    /* For onair_loop_idle_seconds_total; must precede uv_run. */
    uv_loop_configure(loop, UV_METRICS_IDLE_TIME);
    uv_signal_init(loop, &srv->sigint);
    uv_signal_init(loop, &srv->sigterm);
    uv_signal_init(loop, &srv->sighup);
    srv->sigint.data = srv->sigterm.data = srv->sighup.data = srv;
    srtp_global_init();
    hmap_init(&srv->by_id);
    hmap_init(&srv->by_ufrag);
    hmap_init(&srv->by_addr);
    srv->cert = dtls_cert_generate();
    srv->n_lanes = server_lanes_wanted(config->workers);
    struct sfu_config sfu_config = {.max_bitrate = config->max_bitrate,
                                    .lanes = srv->n_lanes,
                                    .run_lanes = server_run_lanes,
                                    .lanes_opaque = srv,
                                    .lane_min_sends = config->split_from};
    srv->sfu = sfu_new(&sfu_config);
    srv->rooms = rooms_new(srv, !config->no_chat);
    const char *events_why = NULL;
    if (server_events_start(srv, &events_why) < 0) {
        log_error("--webhook: %s", events_why);
        return -1;
    }
    if (config->jwks_url) {
        const char *jwks_why = NULL;
        srv->jwks = jwks_fetch_start(loop, config->jwks_url, config->jwks_refresh_s, on_jwks, srv,
                                     &jwks_why);
        if (!srv->jwks) {
            log_error("--token-jwks-url %s: %s", config->jwks_url, jwks_why);
            return -1;
        }
    }
    const char *record_why = NULL;
    srv->recorders = recorders_new(&srv->config.record, srv->sfu, &record_why);
    if (!srv->recorders) {
        log_error("%s: %s", config->record.dir, record_why);
        return -1;
    }

    const char *why;
    const char *bind = config->media_bind;
    srv->udp = udp_open(loop, bind, config->media_port, on_datagram, on_batch_done, srv, &why);
    if (!srv->udp && strcmp(bind, "::") == 0 &&
        (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
        bind = "0.0.0.0"; /* no IPv6 on this machine; a port in use is reported as it is */
        srv->udp = udp_open(loop, bind, config->media_port, on_datagram, on_batch_done, srv, &why);
    }
    if (!srv->udp) {
        bool v6 = strchr(bind, ':') != NULL;
        log_error("media port %s%s%s:%u: %s", v6 ? "[" : "", bind, v6 ? "]" : "",
                  config->media_port, why);
        return -1;
    }
    srv->udp_port = udp_local_port(srv->udp);
    if (server_lanes_start(srv, &why) < 0) {
        log_error("%u workers: %s", srv->n_lanes, why);
        return -1;
    }
    if (config->media_tcp) {
        srv->tcp = tcp_media_open(loop, bind, config->media_tcp_port, on_tcp_frame, srv, &why);
        if (!srv->tcp) {
            log_error("media TCP port %s:%u: %s", bind, config->media_tcp_port, why);
            return -1;
        }
        srv->tcp_port = tcp_media_port(srv->tcp);
        log_info("ICE-TCP on port %u", srv->tcp_port);
    }
    gather_candidate_ips(srv, bind);
    char http_why[300];
    bool https = config->tls.cert_file != NULL;
    srv->http = http_server_start(loop, config->listen, https ? &config->tls : NULL, api_handle,
                                  srv, http_why, sizeof http_why);
    if (!srv->http) {
        log_error("HTTP %s: %s", config->listen, http_why);
        return -1;
    }
    log_info("onair listening: %s %s, media UDP port %u, %u fan-out thread%s, candidates:",
             https ? "HTTPS" : "HTTP", config->listen, udp_local_port(srv->udp), srv->n_lanes,
             srv->n_lanes > 1 ? "s" : "");
    for (size_t i = 0; i < srv->n_candidate_ips; i++)
        log_info("  candidate %s:%u", srv->candidate_ips[i], udp_local_port(srv->udp));
    log_info("SRTP AES-GCM by %s", gcm_cipher_engine());
    log_access(config);
    if (server_sources_start(srv) < 0)
        return -1;

    uv_timer_start(&srv->tick, on_tick, TICK_MS, TICK_MS);
    uv_prepare_start(&srv->before_poll, on_before_poll);
    uv_check_start(&srv->after_poll, on_after_poll);
    uv_signal_start(&srv->sigint, on_signal, SIGINT);
    uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
    uv_signal_start(&srv->sighup, on_reload, SIGHUP);
    return 0;
}

void server_stop(struct server *srv)
{
    while (srv->n_sessions)
        session_close(srv->sessions[srv->n_sessions - 1], "server shutting down");
    server_sources_stop(srv);
    server_lanes_stop(srv);
    udp_close(srv->udp);
    srv->udp = NULL;
    tcp_media_close(srv->tcp);
    srv->tcp = NULL;
    http_server_stop(srv->http);
    srv->http = NULL;
    jwks_fetch_stop(srv->jwks);
    srv->jwks = NULL;
    uv_close((uv_handle_t *)&srv->tick, NULL);
    uv_close((uv_handle_t *)&srv->before_poll, NULL);
    uv_close((uv_handle_t *)&srv->after_poll, NULL);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    uv_close((uv_handle_t *)&srv->sighup, NULL);
}

void server_free(struct server *srv)
{
    recorders_free(srv->recorders);
    server_events_stop(srv); /* after the last recording's event */
    rooms_free(srv->rooms);
    sfu_free(srv->sfu);
    dtls_cert_free(srv->cert);
    hmap_free(&srv->by_id);
    hmap_free(&srv->by_ufrag);
    hmap_free(&srv->by_addr);
    free(srv->sessions);
    free(srv->session_tick_us);
    access_free_keys(&srv->config.access);
}
