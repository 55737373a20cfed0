/* tcp_media: ICE over TCP (RFC 6544), the server's passive side: a TCP port whose connections
 * carry STUN, DTLS, RTP and RTCP framed by RFC 4571, for clients whose UDP is blocked. A
 * connection is known by its peer's address, so sessions treat it like a UDP peer. */
#ifndef ONAIR_IO_TCP_MEDIA_H
#define ONAIR_IO_TCP_MEDIA_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

/* Writes queued on one connection beyond this are dropped: a viewer whose TCP path cannot keep
 * up loses packets rather than growing the server's memory or stalling the loop. */
#define TCP_MEDIA_MAX_QUEUE (512 * 1024)

/* A frame from the peer FROM; DATA is valid during the call. */
typedef void (*tcp_media_frame_cb)(void *opaque, const struct sockaddr *from, uint8_t *data,
                                   size_t len);

struct tcp_media;

/* Listens on BIND:PORT (0 picks one). Returns NULL with *WHY when it cannot. */
struct tcp_media *tcp_media_open(uv_loop_t *loop, const char *bind, uint16_t port,
                                 tcp_media_frame_cb on_frame, void *opaque, const char **why);
uint16_t tcp_media_port(const struct tcp_media *t);
/* When TO is the peer of one of the connections, sends DATA framed on it (or drops it, see
 * TCP_MEDIA_MAX_QUEUE) and returns 1; returns 0 when TO is no TCP peer. */
int tcp_media_send(struct tcp_media *t, const struct sockaddr *to, const uint8_t *data,
                   size_t len);

struct tcp_media_stats {
    uint64_t connections, frames_in, frames_out, dropped, refused;
};
const struct tcp_media_stats *tcp_media_stats(const struct tcp_media *t);

/* Closes the listener and every connection; the memory goes when the loop runs again. NULL is
 * a no-op. */
void tcp_media_close(struct tcp_media *t);

#endif
