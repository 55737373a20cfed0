/* udp: the media socket. Receives in batches (recvmmsg) and queues sends into a batch that goes
 * out with one sendmmsg when full or when the owner flushes at the end of a wake-up. Consecutive
 * datagrams to the same peer from the same address leave as one UDP GSO message (UDP_SEGMENT:
 * the kernel cuts it into the datagrams), so a viewer's burst (one video frame's packets) costs
 * one trip down the network stack instead of one each. */
#ifndef ONAIR_IO_UDP_H
#define ONAIR_IO_UDP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#define UDP_MAX_DATAGRAM 1500
#define UDP_BATCH 64
/* Datagrams a send batch holds before it goes out on its own. */
#define UDP_SEND_BATCH 128
/* One GSO message: at most this many segments (the kernel's limit is 64 on older kernels) and
 * bytes (an IP packet's 64 KiB, less headers). */
#define UDP_GSO_MAX_SEGMENTS 64
#define UDP_GSO_MAX_BYTES 60000

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

/* Asks the kernel for a peer's consecutive datagrams joined into one message (UDP_GRO, Linux
 * 5.0): on loopback a GSO sender's message then arrives whole instead of cut into datagrams,
 * which the sender's CPU pays for, as a network card with segmentation offload would spare it.
 * on_recv still gets the datagrams one by one. For load generators (onair bench): costs 1 MiB
 * of address space for the larger receive slots. Returns -1 where the kernel lacks it. */
int udp_receive_coalesced(struct udp *u);

/* Copies one datagram into the send batch; sends the batch when it is full. FROM, when not
 * NULL and known, is the source address to send from. TO may be IPv4 on a dual-stack socket.
 * The datagram joins the previous one's GSO message when it goes to the same TO from the same
 * FROM and is no larger than that message's segments, all of which are full-sized: GSO cuts a
 * message into equal segments but the last. */
void udp_queue(struct udp *u, const uint8_t *data, size_t len, const struct sockaddr *to,
               const struct udp_local *from);
/* Where the next datagram queued will be kept (*CAP bytes), sending the batch first when it is
 * full: a caller may build the datagram there, and udp_queue given that address then copies
 * nothing. Only until the next queue or flush. */
uint8_t *udp_slot(struct udp *u, size_t *cap);
/* Sends whatever is queued. */
void udp_flush(struct udp *u);

/* Another send batch from U's port, for a thread other than U's loop: on a socket of its own
 * bound to the port (SO_REUSEPORT, everything received still going to U's), or, where that
 * cannot be, on U's socket (the kernel takes sendmmsg from several threads on one socket, each
 * batch's datagrams in their order). Only one thread uses a queue at a time. Free it before U
 * is closed. */
struct udp_sendq;
struct udp_sendq *udp_sendq_new(const struct udp *u);
/* Sends what is queued and frees Q; NULL is a no-op. */
void udp_sendq_free(struct udp_sendq *q);
/* Whether Q sends from a socket of its own. */
bool udp_sendq_own_socket(const struct udp_sendq *q);
/* udp_queue, udp_slot and udp_flush on a queue of one's own. */
void udp_sendq_queue(struct udp_sendq *q, const uint8_t *data, size_t len,
                     const struct sockaddr *to, const struct udp_local *from);
uint8_t *udp_sendq_slot(struct udp_sendq *q, size_t *cap);
void udp_sendq_flush(struct udp_sendq *q);

struct udp_stats {
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, tx_errors, tx_syscalls;
    uint64_t tx_messages; /* what the kernel was handed: a GSO message counts once */
    uint64_t rx_messages; /* what the kernel handed over: a GRO message counts once */
    uint64_t tx_oversize; /* not sent: over UDP_MAX_DATAGRAM bytes */
};
/* The socket's receive figures and its loop's send batch's; a udp_sendq counts its own sends. */
const struct udp_stats *udp_stats(const struct udp *u);
const struct udp_stats *udp_sendq_stats(const struct udp_sendq *q);
/* Whether sends are coalesced into GSO messages: on by default where the kernel has UDP_SEGMENT;
 * off after the kernel refused a GSO message (the datagrams then go out one by one). */
bool udp_gso(const struct udp *u);
void udp_set_gso(struct udp *u, bool on);

#endif
