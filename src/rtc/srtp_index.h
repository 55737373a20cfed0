/* srtp_index: what an SRTP context keeps for each SSRC (RFC 3711 §3.3.1): the newest packet
 * index with its rollover counter, and for an opener the replay window (§3.3.2). Shared by the
 * transforms that run on libgcrypt (rtc/srtp_gcm, rtc/srtp_cm). For RTP the index is ROC *
 * 65536 + SEQ; for RTCP it is the 31-bit SRTCP index, kept the same way (its top 15 bits as the
 * ROC) so that one window serves both. Pure: no I/O, no clock. */
#ifndef ONAIR_RTC_SRTP_INDEX_H
#define ONAIR_RTC_SRTP_INDEX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mem_span.h"

/* An opener accepts a packet up to this many behind the newest of its SSRC, once: a NACK
 * answered from history arrives well behind newer packets (RFC 3711 §3.3.2 allows any size;
 * libsrtp's default of 128 would refuse it). */
#define SRTP_REPLAY_WINDOW 1024
/* SSRCs a table keeps. A viewer is sent video, its RTX and audio of each publisher it watches
 * (a room's viewer, several publishers); a publisher sends as many, more with simulcast. The
 * table grows to this; past it the least recently used SSRC is forgotten and starts over at
 * counter 0, which its receiver gets wrong once it has wrapped. */
#define SRTP_INDEX_MAX_STREAMS 64

struct srtp_index_stream {
    uint32_t ssrc;
    uint32_t roc;
    uint16_t highest; /* the newest index's low 16 bits: sealed, or opened and authentic */
    uint64_t last_use;
    /* Bit i set: the packet i behind the newest was opened (bit 0: the newest itself). */
    uint64_t seen[SRTP_REPLAY_WINDOW / 64];
};

/* Zeroed is empty. */
struct srtp_index_table {
    struct srtp_index_stream *streams;
    size_t n_streams, cap_streams;
    uint64_t uses;
};

void srtp_index_free(struct srtp_index_table *t);

/* A sealer's: the 48-bit index to seal RTP packet SEQ of SSRC under. Each SSRC's rollover
 * counter follows its sequence numbers from 0; an older number (a retransmission) gets the
 * counter it was sent with. */
uint64_t srtp_index_to_seal(struct srtp_index_table *t, uint32_t ssrc, uint16_t seq);

/* What an opener judged of one packet: its SSRC's entry (NULL for an SSRC not seen yet) and the
 * packet's index, which srtp_index_opened records once the packet proves authentic. Valid until
 * the table is next changed. */
struct srtp_index_pending {
    struct srtp_index_stream *stream;
    uint32_t ssrc;
    uint64_t index;
};

/* An opener's: into *P the index the sender most likely gave RTP packet SEQ of SSRC (judged
 * from the SSRC's newest authentic packet); false when that index was opened already, is older
 * than the window, or comes from before the stream's first packet. */
bool srtp_index_rtp_to_open(struct srtp_index_table *t, uint32_t ssrc, uint16_t seq,
                            struct srtp_index_pending *p);
/* The same for SRTCP INDEX, which the packet carries: false when it was opened already or is
 * older than the window. */
bool srtp_index_rtcp_to_open(struct srtp_index_table *t, uint32_t ssrc, uint32_t index,
                             struct srtp_index_pending *p);
/* Records that the packet P judged was authentic: only now does a packet move the state. */
void srtp_index_opened(struct srtp_index_table *t, const struct srtp_index_pending *p);

/* What srtp_index_to_seal reads and writes, as at most MAX spans into OUT (the counters, not
 * the window, which a sealer never uses). Returns how many. */
size_t srtp_index_spans(const struct srtp_index_table *t, struct mem_span *out, size_t max);

#endif
