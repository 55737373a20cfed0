/* turn_client: the client side of a TURN allocation. Requests are retransmitted over UDP
 * (RFC 8489 §6.2.1: 500 ms doubling, 7 tries) and wait 10 s over TCP; the allocation is
 * refreshed at half its lifetime and permissions every 4 minutes (they last 5). No channels:
 * Send and Data indications cost 36 bytes a packet, which a fallback path can afford. */
#include "app/turn_client.h"

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr_key.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "proto/stun.h"

#define TURN_TICK_MS 100
#define TURN_MAX_PEERS 8
#define TURN_MAX_PENDING (2 + TURN_MAX_PEERS)
#define TURN_RTO_MS 500
#define TURN_UDP_TRIES 7
#define TURN_TCP_TIMEOUT_MS 10000
#define TURN_LIFETIME_S 600
#define TURN_PERMISSION_REFRESH_MS (240 * 1000)
#define TURN_TCP_WRITE_CAP (1024 * 1024)
#define TURN_MAX_MESSAGE 2048

enum turn_kind { TURN_ALLOCATE, TURN_REFRESH, TURN_PERMISSION };

struct turn_pending {
    bool active;
    enum turn_kind kind;
    size_t peer; /* for TURN_PERMISSION */
    uint8_t txid[STUN_TXID_SIZE];
    uint8_t msg[TURN_MAX_MESSAGE];
    size_t len;
    uint64_t next_ms;
    unsigned rto_ms, tries;
};

struct turn_peer {
    struct sockaddr_storage addr;
    bool granted;
    uint64_t refresh_ms;
};

struct turn_client {
    uv_loop_t *loop;
    struct sockaddr_storage server;
    bool tcp;
    char username[256], password[256];
    char realm[256], nonce[256];
    uint8_t key[16];
    bool have_key;
    struct turn_client_callbacks cb;
    void *opaque;
    bool ready, failed, closing;
    struct sockaddr_storage relayed;
    uint64_t refresh_ms;
    struct turn_peer peers[TURN_MAX_PEERS];
    size_t n_peers;
    struct turn_pending pending[TURN_MAX_PENDING];
    uv_timer_t timer;
    uv_tcp_t stream;
    uv_connect_t connect;
    bool connected;
    uint8_t *rx;
    size_t rx_len;
    int open_handles;
};

static socklen_t addr_size(const struct sockaddr *a)
{
    return a->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void fail_for_good(struct turn_client *tc, const char *reason)
{
    if (tc->failed)
        return;
    tc->failed = true;
    tc->ready = false;
    char server[48];
    log_warn("TURN %s: %s", addr_text((struct sockaddr *)&tc->server, server, sizeof server),
             reason);
    if (tc->cb.on_state)
        tc->cb.on_state(tc->opaque, false, reason);
}

static void on_written(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static void transmit(struct turn_client *tc, const uint8_t *p, size_t len)
{
    if (!tc->tcp) {
        tc->cb.send_udp(tc->opaque, p, len, (struct sockaddr *)&tc->server);
        return;
    }
    if (!tc->connected || tc->closing)
        return;
    /* A path that cannot keep up loses packets, as UDP would, rather than queueing without end. */
    if (uv_stream_get_write_queue_size((uv_stream_t *)&tc->stream) > TURN_TCP_WRITE_CAP)
        return;
    uv_write_t *req = xmalloc(sizeof *req + len);
    uint8_t *copy = (uint8_t *)(req + 1);
    memcpy(copy, p, len);
    uv_buf_t buf = uv_buf_init((char *)copy, (unsigned)len);
    if (uv_write(req, (uv_stream_t *)&tc->stream, &buf, 1, on_written) < 0)
        free(req);
}

static struct turn_pending *pending_slot(struct turn_client *tc, enum turn_kind kind, size_t peer)
{
    struct turn_pending *free_slot = NULL;
    for (size_t i = 0; i < TURN_MAX_PENDING; i++) {
        struct turn_pending *p = &tc->pending[i];
        if (p->active && p->kind == kind && (kind != TURN_PERMISSION || p->peer == peer))
            return p; /* replaced: a new nonce, or a newer refresh */
        if (!p->active && !free_slot)
            free_slot = p;
    }
    return free_slot;
}

/* Sends a request of KIND (for PEER's permission), authenticated once the server has said its
 * realm and nonce. LIFETIME is for refreshes. */
static void request(struct turn_client *tc, enum turn_kind kind, size_t peer, uint32_t lifetime)
{
    struct turn_pending *p = pending_slot(tc, kind, peer);
    if (!p)
        return;
    struct stun_turn_attrs a = {0};
    uint16_t type = STUN_ALLOCATE_REQUEST;
    if (kind == TURN_ALLOCATE) {
        a.requested_udp = true;
        a.has_lifetime = true;
        a.lifetime = TURN_LIFETIME_S;
    } else if (kind == TURN_REFRESH) {
        type = STUN_REFRESH_REQUEST;
        a.has_lifetime = true;
        a.lifetime = lifetime;
    } else {
        type = STUN_CREATE_PERMISSION_REQUEST;
        a.peer = (struct sockaddr *)&tc->peers[peer].addr;
    }
    if (tc->have_key) {
        a.username = tc->username;
        a.realm = tc->realm;
        a.nonce = tc->nonce;
    }
    RAND_bytes(p->txid, sizeof p->txid);
    p->len = stun_encode_turn(p->msg, sizeof p->msg, type, p->txid, &a, tc->key,
                              tc->have_key ? sizeof tc->key : 0);
    if (!p->len)
        return;
    p->active = true;
    p->kind = kind;
    p->peer = peer;
    p->tries = 1;
    p->rto_ms = TURN_RTO_MS;
    p->next_ms = clock_now_ms() + (tc->tcp ? TURN_TCP_TIMEOUT_MS : TURN_RTO_MS);
    transmit(tc, p->msg, p->len);
}

static void grant_all(struct turn_client *tc)
{
    for (size_t i = 0; i < tc->n_peers; i++)
        request(tc, TURN_PERMISSION, i, 0);
}

static void on_response(struct turn_client *tc, struct turn_pending *p, const struct stun_msg *m,
                        const uint8_t *raw, size_t len)
{
    p->active = false;
    if (m->has_integrity && tc->have_key &&
        !stun_check_integrity(raw, len, m, tc->key, sizeof tc->key))
        return; /* not from the server we share the key with */
    uint64_t now = clock_now_ms();
    if (stun_class(m->type) == STUN_CLASS_ERROR) {
        bool stale = m->error_code == 438;
        if ((m->error_code == 401 && !tc->have_key) || stale) {
            if (!m->realm || !m->nonce || m->realm_len >= sizeof tc->realm ||
                m->nonce_len >= sizeof tc->nonce) {
                fail_for_good(tc, "the TURN server asked for credentials without a realm and nonce");
                return;
            }
            snprintf(tc->realm, sizeof tc->realm, "%.*s", (int)m->realm_len, m->realm);
            snprintf(tc->nonce, sizeof tc->nonce, "%.*s", (int)m->nonce_len, m->nonce);
            stun_long_term_key(tc->username, tc->realm, strlen(tc->realm), tc->password, tc->key);
            tc->have_key = true;
            request(tc, p->kind, p->peer, TURN_LIFETIME_S);
            return;
        }
        char reason[200];
        snprintf(reason, sizeof reason, "%s refused: %d %.*s",
                 p->kind == TURN_ALLOCATE ? "the allocation was"
                 : p->kind == TURN_REFRESH ? "the refresh was" : "a permission was",
                 m->error_code, (int)m->error_reason_len, m->error_reason ? m->error_reason : "");
        if (p->kind == TURN_ALLOCATE)
            fail_for_good(tc, reason);
        else
            log_warn("TURN: %s", reason);
        return;
    }
    if (p->kind == TURN_ALLOCATE) {
        if (!m->has_xor_relayed) {
            fail_for_good(tc, "the TURN server gave no relayed address");
            return;
        }
        tc->relayed = m->xor_relayed;
        uint32_t lifetime = m->has_lifetime && m->lifetime ? m->lifetime : TURN_LIFETIME_S;
        tc->refresh_ms = now + lifetime * 1000ull / 2;
        tc->ready = true;
        char server[48], relayed[48];
        log_info("TURN %s over %s: relayed address %s",
                 addr_text((struct sockaddr *)&tc->server, server, sizeof server),
                 tc->tcp ? "TCP" : "UDP",
                 addr_text((struct sockaddr *)&tc->relayed, relayed, sizeof relayed));
        grant_all(tc);
        if (tc->cb.on_state)
            tc->cb.on_state(tc->opaque, true, NULL);
    } else if (p->kind == TURN_REFRESH) {
        uint32_t lifetime = m->has_lifetime && m->lifetime ? m->lifetime : TURN_LIFETIME_S;
        tc->refresh_ms = now + lifetime * 1000ull / 2;
    } else if (p->peer < tc->n_peers) {
        tc->peers[p->peer].granted = true;
        tc->peers[p->peer].refresh_ms = now + TURN_PERMISSION_REFRESH_MS;
    }
}

/* One whole STUN message from the server. */
static void handle(struct turn_client *tc, const uint8_t *raw, size_t len)
{
    struct stun_msg m;
    const char *why;
    if (stun_decode(&m, raw, len, &why) < 0)
        return;
    if (m.type == STUN_DATA_INDICATION) {
        if (!m.has_xor_peer || !m.has_data || m.data_len > TURN_MAX_MESSAGE || !tc->cb.on_data)
            return;
        uint8_t data[TURN_MAX_MESSAGE]; /* the receiver decrypts in place */
        memcpy(data, m.data, m.data_len);
        tc->cb.on_data(tc->opaque, (struct sockaddr *)&m.xor_peer, data, m.data_len);
        return;
    }
    int cls = stun_class(m.type);
    if (cls != STUN_CLASS_SUCCESS && cls != STUN_CLASS_ERROR)
        return;
    for (size_t i = 0; i < TURN_MAX_PENDING; i++) {
        struct turn_pending *p = &tc->pending[i];
        if (p->active && memcmp(p->txid, m.txid, STUN_TXID_SIZE) == 0) {
            on_response(tc, p, &m, raw, len);
            return;
        }
    }
}

bool turn_client_is_server(const struct turn_client *tc, const struct sockaddr *from)
{
    if (!tc || tc->tcp)
        return false;
    uint8_t a[ADDR_KEY_MAX], b[ADDR_KEY_MAX];
    size_t na = addr_key(from, ADDR_UDP, a);
    size_t nb = addr_key((const struct sockaddr *)&tc->server, ADDR_UDP, b);
    return na && na == nb && memcmp(a, b, na) == 0;
}

void turn_client_feed(struct turn_client *tc, const uint8_t *p, size_t len)
{
    if (!tc->closing)
        handle(tc, p, len);
}

/* ---- TCP: RFC 8656 §2.1 framing, STUN messages back to back (and ChannelData, unused) ---- */

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)handle;
    (void)suggested;
    static char scratch[65536];
    *buf = uv_buf_init(scratch, sizeof scratch);
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    struct turn_client *tc = stream->data;
    if (n < 0) {
        if (!tc->closing)
            fail_for_good(tc, "the TURN server closed the TCP connection");
        uv_read_stop(stream);
        return;
    }
    tc->rx = xrealloc(tc->rx, tc->rx_len + (size_t)n);
    memcpy(tc->rx + tc->rx_len, buf->base, (size_t)n);
    tc->rx_len += (size_t)n;
    size_t off = 0;
    while (tc->rx_len - off >= 4) {
        const uint8_t *p = tc->rx + off;
        size_t total;
        if ((p[0] & 0xC0) == 0)
            total = STUN_HEADER_SIZE + be16_read(p + 2);
        else if ((p[0] & 0xC0) == 0x40)
            total = 4 + ((be16_read(p + 2) + 3u) & ~3u); /* ChannelData, padded over TCP */
        else {
            fail_for_good(tc, "the TURN server sent something that is neither STUN nor ChannelData");
            uv_read_stop(stream);
            tc->rx_len = 0;
            return;
        }
        if (tc->rx_len - off < total)
            break;
        if ((p[0] & 0xC0) == 0 && total >= STUN_HEADER_SIZE)
            handle(tc, p, total);
        off += total;
        if (tc->closing)
            return;
    }
    memmove(tc->rx, tc->rx + off, tc->rx_len - off);
    tc->rx_len -= off;
}

static void on_connect(uv_connect_t *req, int status)
{
    struct turn_client *tc = req->data;
    if (tc->closing)
        return;
    if (status < 0) {
        char reason[160];
        snprintf(reason, sizeof reason, "cannot connect over TCP: %s", uv_strerror(status));
        fail_for_good(tc, reason);
        return;
    }
    tc->connected = true;
    uv_read_start((uv_stream_t *)&tc->stream, on_alloc, on_read);
    request(tc, TURN_ALLOCATE, 0, 0);
}

/* ---- timers ---- */

static void on_tick(uv_timer_t *timer)
{
    struct turn_client *tc = timer->data;
    if (tc->failed || tc->closing)
        return;
    uint64_t now = clock_now_ms();
    for (size_t i = 0; i < TURN_MAX_PENDING; i++) {
        struct turn_pending *p = &tc->pending[i];
        if (!p->active || now < p->next_ms)
            continue;
        if (tc->tcp || p->tries >= TURN_UDP_TRIES) {
            p->active = false;
            if (p->kind == TURN_ALLOCATE)
                fail_for_good(tc, "the TURN server did not answer");
            continue;
        }
        p->tries++;
        p->rto_ms *= 2;
        p->next_ms = now + p->rto_ms;
        transmit(tc, p->msg, p->len);
    }
    if (!tc->ready)
        return;
    if (now >= tc->refresh_ms) {
        tc->refresh_ms = now + TURN_RTO_MS * 20; /* until the answer sets the next one */
        request(tc, TURN_REFRESH, 0, TURN_LIFETIME_S);
    }
    for (size_t i = 0; i < tc->n_peers; i++) {
        if (tc->peers[i].granted && now >= tc->peers[i].refresh_ms) {
            tc->peers[i].refresh_ms = now + TURN_PERMISSION_REFRESH_MS;
            request(tc, TURN_PERMISSION, i, 0);
        }
    }
}

struct turn_client *turn_client_new(uv_loop_t *loop, const struct sockaddr *server, bool tcp,
                                    const char *username, const char *password,
                                    const struct turn_client_callbacks *callbacks, void *opaque)
{
    struct turn_client *tc = xcalloc(1, sizeof *tc);
    tc->loop = loop;
    memcpy(&tc->server, server, addr_size(server));
    tc->tcp = tcp;
    snprintf(tc->username, sizeof tc->username, "%s", username ? username : "");
    snprintf(tc->password, sizeof tc->password, "%s", password ? password : "");
    tc->cb = *callbacks;
    tc->opaque = opaque;
    uv_timer_init(loop, &tc->timer);
    tc->timer.data = tc;
    tc->open_handles = 1;
    uv_timer_start(&tc->timer, on_tick, TURN_TICK_MS, TURN_TICK_MS);
    if (tcp) {
        uv_tcp_init(loop, &tc->stream);
        tc->stream.data = tc;
        tc->open_handles++;
        tc->connect.data = tc;
        int rc = uv_tcp_connect(&tc->connect, &tc->stream, server, on_connect);
        if (rc < 0) {
            char reason[160];
            snprintf(reason, sizeof reason, "cannot connect over TCP: %s", uv_strerror(rc));
            fail_for_good(tc, reason);
        }
    } else {
        request(tc, TURN_ALLOCATE, 0, 0);
    }
    return tc;
}

static void on_closed(uv_handle_t *handle)
{
    struct turn_client *tc = handle->data;
    if (--tc->open_handles == 0) {
        free(tc->rx);
        free(tc);
    }
}

void turn_client_free(struct turn_client *tc)
{
    if (!tc)
        return;
    if (tc->ready) {
        /* RFC 8656 §7: a Refresh with lifetime 0 deletes the allocation now, not in 10 minutes. */
        request(tc, TURN_REFRESH, 0, 0);
    }
    tc->closing = true;
    uv_close((uv_handle_t *)&tc->timer, on_closed);
    if (tc->tcp)
        uv_close((uv_handle_t *)&tc->stream, on_closed);
}

void turn_client_permit(struct turn_client *tc, const struct sockaddr *peer)
{
    /* One permission per IP address (RFC 8656 §9), whatever the port. */
    for (size_t i = 0; i < tc->n_peers; i++)
        if (addr_same_ip((struct sockaddr *)&tc->peers[i].addr, peer))
            return;
    if (tc->n_peers == TURN_MAX_PEERS)
        return;
    size_t i = tc->n_peers++;
    memset(&tc->peers[i], 0, sizeof tc->peers[i]);
    memcpy(&tc->peers[i].addr, peer, addr_size(peer));
    if (tc->ready)
        request(tc, TURN_PERMISSION, i, 0);
}

int turn_client_send(struct turn_client *tc, const struct sockaddr *peer, const uint8_t *p,
                     size_t len)
{
    if (!tc->ready || tc->closing)
        return -1;
    uint8_t msg[TURN_MAX_MESSAGE];
    uint8_t txid[STUN_TXID_SIZE];
    RAND_bytes(txid, sizeof txid);
    struct stun_turn_attrs a = {.peer = peer, .data = p, .data_len = len};
    size_t n = stun_encode_turn(msg, sizeof msg, STUN_SEND_INDICATION, txid, &a, NULL, 0);
    if (!n)
        return -1;
    transmit(tc, msg, n);
    return 0;
}

bool turn_client_ready(const struct turn_client *tc) { return tc && tc->ready; }

bool turn_client_failed(const struct turn_client *tc) { return !tc || tc->failed; }

const struct sockaddr *turn_client_relayed(const struct turn_client *tc)
{
    return tc->ready ? (const struct sockaddr *)&tc->relayed : NULL;
}
