/* pacer: spreads a source's video packets out in time, as a browser's pacer does (libwebrtc sends
 * at 2.5 times its target bitrate), instead of a whole frame at once. A file or a camera hands
 * over a frame's packets in one go; a keyframe is tens of packets, and every viewer's copies
 * then leave in one burst: the last viewer's wait grows with the burst, and bursts are what
 * fill router queues on the way. Pure: the caller says what time it is and sends what
 * pacer_pop hands back (app/paced_sender is the libuv side). */
#ifndef ONAIR_APP_PACER_H
#define ONAIR_APP_PACER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PACER_MAX_PACKET 1500
/* The pacing rate: this many times the bitrate measured over the last second ... */
#define PACER_FACTOR 2.5
/* ... and at least this, in bits per second (a stream's first second is not measured yet) ... */
#define PACER_MIN_BPS 2000000
/* ... and always fast enough that the oldest packet waits about this long at most (what waits
 * behind it goes at the same rate; the last millisecond is not cut finer): the pacer never holds
 * the stream back, whatever its bitrate does. */
#define PACER_MAX_HOLD_US 100000
/* Packets leave in rounds at most this often, each round at most this long's worth at the rate
 * (libwebrtc's pacer also sends in 5 ms rounds). One packet at a time would cost every viewer a
 * trip down the kernel's stack per packet, where a round to one viewer is one GSO message; and
 * a stream that paused saves up no more than one round. */
#define PACER_INTERVAL_US 5000

struct pacer_packet {
    size_t track;
    size_t len;
    uint64_t queued_us;
    uint8_t data[PACER_MAX_PACKET];
};

struct pacer {
    struct pacer_packet *ring;
    size_t head, count, cap;
    size_t queued_bytes;
    /* What may be sent now, in bytes, as of budget_us. */
    double budget;
    uint64_t budget_us;
    uint64_t popped_us; /* the last packet's leaving, or 0 */
    /* The bitrate measured over the last whole window, and the current window's bytes. */
    double measured_bps;
    uint64_t window_start_us;
    uint64_t window_bytes;
};

void pacer_init(struct pacer *p);
void pacer_free(struct pacer *p);

/* Queues a copy of the packet DATA[0..LEN) of TRACK at NOW_US. Returns false (nothing queued)
 * when LEN is 0 or over PACER_MAX_PACKET. */
bool pacer_push(struct pacer *p, uint64_t now_us, size_t track, const uint8_t *data, size_t len);
/* The oldest packet, if it may leave at NOW_US (it is then taken off the queue), else NULL. The
 * packet stays valid until the next pacer_push or pacer_pop. */
const struct pacer_packet *pacer_pop(struct pacer *p, uint64_t now_us);
/* When the oldest packet may leave (at most NOW_US when it may leave now), no sooner than a
 * round after the last one left; 0 when none waits. */
uint64_t pacer_next_us(const struct pacer *p, uint64_t now_us);
/* The pacing rate at NOW_US (which the oldest packet's wait enters), in bits per second. */
double pacer_rate_bps(const struct pacer *p, uint64_t now_us);

#endif
