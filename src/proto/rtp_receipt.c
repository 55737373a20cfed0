/* rtp_receipt: sequence accounting of one RTP stream's receiver. */
#include "proto/rtp_receipt.h"

#include <stdbool.h>
#include <string.h>

static bool has(const struct rtp_receipt *r, uint16_t seq)
{
    unsigned bit = seq % RTP_RECEIPT_WINDOW;
    return r->received[bit / 64] >> (bit % 64) & 1;
}

static void set(struct rtp_receipt *r, uint16_t seq, bool on)
{
    unsigned bit = seq % RTP_RECEIPT_WINDOW;
    uint64_t mask = (uint64_t)1 << (bit % 64);
    r->received[bit / 64] = on ? r->received[bit / 64] | mask : r->received[bit / 64] & ~mask;
}

enum rtp_receipt_kind rtp_receipt_note(struct rtp_receipt *r, uint16_t seq)
{
    if (!r->span) {
        r->highest = seq;
        r->span = 1;
        set(r, seq, true);
        return RTP_RECEIPT_NEW;
    }
    uint16_t ahead = (uint16_t)(seq - r->highest);
    if (ahead > 0 && ahead < 0x8000) {
        r->missing += ahead - 1u;
        /* The numbers skipped, and those the window's wrap brings back, are not received. */
        if (ahead >= RTP_RECEIPT_WINDOW)
            memset(r->received, 0, sizeof r->received);
        else
            for (uint16_t s = (uint16_t)(r->highest + 1); s != seq; s++)
                set(r, s, false);
        set(r, seq, true);
        r->highest = seq;
        r->span += ahead;
        return RTP_RECEIPT_NEW;
    }
    uint16_t behind = (uint16_t)(r->highest - seq);
    if (ahead == 0 || (behind < RTP_RECEIPT_WINDOW && has(r, seq))) {
        r->duplicates++;
        return RTP_RECEIPT_DUPLICATE;
    }
    if (behind >= RTP_RECEIPT_WINDOW || behind >= r->span) {
        r->stale++;
        return RTP_RECEIPT_STALE;
    }
    set(r, seq, true);
    r->late++;
    r->missing--; /* behind and not received: it was counted missing when it was skipped */
    return RTP_RECEIPT_LATE;
}
