/* server_lanes: the server's fan-out lanes. The SFU splits a big fan-out among them (struct
 * sfu_config's run_lanes); lane 0 is the loop's own thread, lanes 1.. are a worker pool's
 * threads. A lane's viewers are protected on its thread and their datagrams leave from its own
 * send queue on the media socket, flushed before the lane says it is done. Everything else
 * (sessions, ICE, DTLS, SCTP, signaling, recordings) stays on the loop's thread, which waits
 * while the lanes run: no state is shared with a running lane but the packets it reads.
 *
 * Why not a loop per core with its own sessions: the per-viewer cost is the send path (header
 * rewrite, SRTP seal, the kernel's send), about all of a relay's CPU. Splitting just that keeps
 * the one-threaded session code as it is and spreads one broadcast over every core. */
#ifndef ONAIR_APP_SERVER_LANES_H
#define ONAIR_APP_SERVER_LANES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/addr_key.h"
#include "io/udp.h"

struct server;

/* The lanes the server runs with: config->workers, or one per CPU for 0. */
unsigned server_lanes_wanted(unsigned workers);
/* Starts the worker threads and their send queues on srv->udp (which must be open) when
 * srv->n_lanes > 1. Returns -1 and sets *why when a thread cannot be made. */
int server_lanes_start(struct server *srv, const char **why);
/* Joins the workers and sends what their queues hold; before srv->udp is closed. */
void server_lanes_stop(struct server *srv);

/* struct sfu_config's run_lanes, with the server as OPAQUE. Without workers (not started yet,
 * or stopped) the lanes run one after the other on this thread. */
void server_run_lanes(void *opaque, void (*part)(void *arg, unsigned lane), void *arg);

/* When this thread is running a worker lane: queues the datagram on the lane's send queue (or,
 * over TCP, keeps it for the loop's thread to send after the run) and returns true. On the
 * loop's thread returns false: the caller sends as usual. */
bool server_lane_send(const uint8_t *data, size_t len, const struct sockaddr *to,
                      enum addr_transport transport, const struct udp_local *from);
/* When this thread is running a worker lane: sets *SLOT to where server_lane_send would keep
 * the next datagram over TRANSPORT (udp_sendq_slot; NULL over TCP) and returns true. */
bool server_lane_slot(enum addr_transport transport, uint8_t **slot, size_t *cap);

struct server_lane_stats {
    uint64_t jobs;        /* fan-out shares run */
    double cpu_seconds;   /* the lane's thread's CPU time */
    size_t queue_depth;   /* jobs handed over and not yet taken */
    const struct udp_stats *udp; /* the lane's send queue's (lane 0: the media socket's) */
};
/* LANE's figures (LANE < srv->n_lanes); false when the server has no workers. */
bool server_lane_stats(const struct server *srv, unsigned lane, struct server_lane_stats *out);

#endif
