/* udp: the media socket. Receives in batches (recvmmsg) and queues sends into a batch that goes
 * out with one sendmmsg when full or when the owner flushes at the end of a wake-up. */
#ifndef ONAIR_IO_UDP_H
#define ONAIR_IO_UDP_H
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#define UDP_MAX_DATAGRAM 1500
#define UDP_BATCH 64

struct udp;

/* The local address a datagram arrived on. Answers must leave from it: ICE agents (aiortc,
 * libnice) drop a response whose source is not the address their check went to, and a socket
 * bound to the wildcard lets the kernel pick another one on multi-homed hosts. */
struct udp_local {
    int family; /* AF_INET, AF_INET6, or 0 when unknown */
    int ifindex;
    struct in6_addr addr6; /* IPv6, or IPv4-mapped on a dual-stack socket */
    struct in_addr addr4;
};

/* Called for each received datagram; data is valid only during the call. */
typedef void (*udp_recv_cb)(void *opaque, const struct sockaddr *from,
                            const struct udp_local *local, uint8_t *data, size_t len);
/* Called once after each receive batch, so the owner can flush what it queued. */
typedef void (*udp_batch_done_cb)(void *opaque);

/* Binds ADDR:PORT (port 0 picks one). Returns NULL and sets *why on failure, with errno left
 * as the failing call set it (EAFNOSUPPORT: no such address family here). */
struct udp *udp_open(uv_loop_t *loop, const char *addr, uint16_t port, udp_recv_cb on_recv,
                     udp_batch_done_cb on_batch_done, void *opaque, const char **why);
/* Stops receiving and frees the socket once libuv lets go of it. NULL is a no-op. */
void udp_close(struct udp *u);
uint16_t udp_local_port(const struct udp *u);
/* AF_INET6 for a dual-stack socket (which also sends to IPv4 addresses, v4-mapped), else AF_INET. */
int udp_family(const struct udp *u);

/* Copies one datagram into the send batch; sends the batch when it is full. FROM, when not
 * NULL and known, is the source address to send from. TO may be IPv4 on a dual-stack socket. */
void udp_queue(struct udp *u, const uint8_t *data, size_t len, const struct sockaddr *to,
               const struct udp_local *from);
/* Sends whatever is queued. */
void udp_flush(struct udp *u);

struct udp_stats {
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, tx_errors, tx_syscalls;
};
const struct udp_stats *udp_stats(const struct udp *u);

#endif
