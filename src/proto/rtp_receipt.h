/* rtp_receipt: what a receiver of one RTP stream got, by sequence number: packets missing (a
 * gap not filled since), late (filling a gap: reordered, or a retransmission answering a NACK)
 * and duplicates, over a window of the last RTP_RECEIPT_WINDOW numbers. A late packet takes its
 * gap back, so the loss counted is what never came, as RFC 3550's cumulative loss (§6.4.1).
 * Pure. */
#ifndef ONAIR_PROTO_RTP_RECEIPT_H
#define ONAIR_PROTO_RTP_RECEIPT_H
#include <stdint.h>

/* How far back a packet can come and still be told late from duplicate: a second of 1,000
 * packets, longer than any retransmission is worth. */
#define RTP_RECEIPT_WINDOW 1024

enum rtp_receipt_kind {
    RTP_RECEIPT_NEW,       /* ahead of every number so far (the first, too) */
    RTP_RECEIPT_LATE,      /* behind, filling a gap */
    RTP_RECEIPT_DUPLICATE, /* behind, a number already received */
    RTP_RECEIPT_STALE,     /* behind by more than the window, or before the first packet */
};

struct rtp_receipt {
    uint16_t highest;
    uint64_t span; /* the numbers from the first to the highest, both counted; 0: none yet */
    uint64_t missing, late, duplicates, stale;
    uint64_t received[RTP_RECEIPT_WINDOW / 64]; /* bit seq % WINDOW: that number came */
};

/* Notes a packet numbered SEQ in R (zeroed before the first). */
enum rtp_receipt_kind rtp_receipt_note(struct rtp_receipt *r, uint16_t seq);

#endif
