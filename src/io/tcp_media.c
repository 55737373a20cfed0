/* tcp_media: a libuv TCP listener whose connections are cut into RFC 4571 frames on the way in
 * and framed on the way out, found by their peer's address. */
#include "io/tcp_media.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr_key.h"
#include "base/hmap.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "proto/rfc4571.h"

struct tcp_conn {
    uv_tcp_t handle; /* first: the handle's address is the connection's */
    struct tcp_media *owner;
    struct sockaddr_storage peer;
    uint8_t key[ADDR_KEY_MAX];
    size_t key_len;
    bool mapped;
    struct rfc4571_reader reader;
};

struct tcp_media {
    uv_tcp_t listener;
    tcp_media_frame_cb on_frame;
    void *opaque;
    struct hmap by_peer;
    uint8_t read_buf[65536];
    struct tcp_media_stats stats;
    bool closing;
    size_t open_conns; /* the struct is freed when the listener and every connection closed */
};

struct tcp_write {
    uv_write_t req;
    size_t len;
    uint8_t data[];
};

static void maybe_free(struct tcp_media *t)
{
    if (t->closing && t->open_conns == 0) {
        hmap_free(&t->by_peer);
        free(t);
    }
}

static void on_conn_closed(uv_handle_t *handle)
{
    struct tcp_conn *c = (struct tcp_conn *)handle;
    struct tcp_media *t = c->owner;
    free(c);
    t->open_conns--;
    maybe_free(t);
}

static void conn_close(struct tcp_conn *c)
{
    if (uv_is_closing((uv_handle_t *)&c->handle))
        return;
    if (c->mapped && hmap_get(&c->owner->by_peer, c->key, c->key_len) == c)
        hmap_del(&c->owner->by_peer, c->key, c->key_len);
    c->mapped = false;
    uv_close((uv_handle_t *)&c->handle, on_conn_closed);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct tcp_conn *c = (struct tcp_conn *)handle;
    buf->base = (char *)c->owner->read_buf;
    buf->len = sizeof c->owner->read_buf;
}

static void on_conn_frame(void *opaque, const uint8_t *frame, size_t len)
{
    struct tcp_conn *c = opaque;
    c->owner->stats.frames_in++;
    c->owner->on_frame(c->owner->opaque, (const struct sockaddr *)&c->peer, (uint8_t *)frame, len);
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    struct tcp_conn *c = (struct tcp_conn *)stream;
    if (n < 0) {
        conn_close(c);
        return;
    }
    const char *why = NULL;
    if (n > 0 && rfc4571_feed(&c->reader, (const uint8_t *)buf->base, (size_t)n, on_conn_frame, c,
                              &why) < 0) {
        c->owner->stats.refused++;
        log_info("ICE-TCP: closing a connection that sent %s", why);
        conn_close(c);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    struct tcp_media *t = (struct tcp_media *)server;
    if (status < 0)
        return;
    struct tcp_conn *c = xcalloc(1, sizeof *c);
    c->owner = t;
    rfc4571_reader_init(&c->reader);
    uv_tcp_init(server->loop, &c->handle);
    t->open_conns++;
    int len = sizeof c->peer;
    if (uv_accept(server, (uv_stream_t *)&c->handle) < 0 ||
        uv_tcp_getpeername(&c->handle, (struct sockaddr *)&c->peer, &len) < 0) {
        uv_close((uv_handle_t *)&c->handle, on_conn_closed);
        return;
    }
    uv_tcp_nodelay(&c->handle, 1); /* media: each frame now, not after the next one */
    c->key_len = addr_key((const struct sockaddr *)&c->peer, ADDR_TCP, c->key);
    struct tcp_conn *old = hmap_get(&t->by_peer, c->key, c->key_len);
    if (old)
        conn_close(old);
    hmap_put(&t->by_peer, c->key, c->key_len, c);
    c->mapped = true;
    t->stats.connections++;
    uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read);
}

struct tcp_media *tcp_media_open(uv_loop_t *loop, const char *bind, uint16_t port,
                                 tcp_media_frame_cb on_frame, void *opaque, const char **why)
{
    struct sockaddr_storage addr;
    if (uv_ip6_addr(bind, port, (struct sockaddr_in6 *)&addr) != 0 &&
        uv_ip4_addr(bind, port, (struct sockaddr_in *)&addr) != 0) {
        *why = "not an IP address";
        return NULL;
    }
    struct tcp_media *t = xcalloc(1, sizeof *t);
    t->on_frame = on_frame;
    t->opaque = opaque;
    hmap_init(&t->by_peer);
    uv_tcp_init(loop, &t->listener);
    t->open_conns = 1; /* the listener */
    int rc = uv_tcp_bind(&t->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&t->listener, 128, on_connection);
    if (rc != 0) {
        *why = uv_strerror(rc);
        tcp_media_close(t);
        return NULL;
    }
    return t;
}

uint16_t tcp_media_port(const struct tcp_media *t)
{
    struct sockaddr_storage addr;
    int len = sizeof addr;
    if (uv_tcp_getsockname(&t->listener, (struct sockaddr *)&addr, &len) != 0)
        return 0;
    return ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                            : ((struct sockaddr_in *)&addr)->sin_port);
}

static void on_written(uv_write_t *req, int status)
{
    free(req);
}

int tcp_media_send(struct tcp_media *t, const struct sockaddr *to, const uint8_t *data,
                   size_t len)
{
    if (!hmap_count(&t->by_peer))
        return 0;
    uint8_t key[ADDR_KEY_MAX];
    struct tcp_conn *c = hmap_get(&t->by_peer, key, addr_key(to, ADDR_TCP, key));
    if (!c)
        return 0;
    uint8_t header[2];
    if (rfc4571_header(header, len) < 0 ||
        uv_stream_get_write_queue_size((uv_stream_t *)&c->handle) > TCP_MEDIA_MAX_QUEUE) {
        t->stats.dropped++;
        return 1;
    }
    t->stats.frames_out++;
    /* Most sends fit the socket buffer at once; only what does not is copied and queued. */
    size_t sent = 0;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->handle) == 0) {
        uv_buf_t bufs[2] = {uv_buf_init((char *)header, 2), uv_buf_init((char *)data, (unsigned)len)};
        int n = uv_try_write((uv_stream_t *)&c->handle, bufs, 2);
        sent = n > 0 ? (size_t)n : 0;
    }
    if (sent == len + 2)
        return 1;
    size_t rest = len + 2 - sent;
    struct tcp_write *w = xmalloc(sizeof *w + rest);
    w->len = rest;
    for (size_t i = 0; i < rest; i++) {
        size_t at = sent + i;
        w->data[i] = at < 2 ? header[at] : data[at - 2];
    }
    uv_buf_t buf = uv_buf_init((char *)w->data, (unsigned)rest);
    if (uv_write(&w->req, (uv_stream_t *)&c->handle, &buf, 1, on_written) != 0) {
        free(w);
        conn_close(c);
    }
    return 1;
}

const struct tcp_media_stats *tcp_media_stats(const struct tcp_media *t)
{
    return &t->stats;
}

static void on_listener_closed(uv_handle_t *handle)
{
    struct tcp_media *t = (struct tcp_media *)handle;
    t->open_conns--;
    maybe_free(t);
}

void tcp_media_close(struct tcp_media *t)
{
    if (!t)
        return;
    t->closing = true;
    /* conn_close only marks slots deleted, so walking the slots while closing is safe. */
    for (size_t i = 0; i < t->by_peer.cap; i++)
        if (t->by_peer.slots[i].state == 1)
            conn_close(t->by_peer.slots[i].value);
    uv_close((uv_handle_t *)&t->listener, on_listener_closed);
}
