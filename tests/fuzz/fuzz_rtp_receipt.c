/* fuzz_rtp_receipt: any order of sequence numbers (the input, two bytes each, big-endian): every
 * number from the first to the highest is received or missing, never both and never neither, so
 * loss cannot wrap below zero or count a packet twice however packets repeat, jump and wrap. */
#include <stdint.h>
#include <stdlib.h>

#include "proto/rtp_receipt.h"

static void require(int condition)
{
    if (!condition)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rtp_receipt r = {0};
    uint64_t fresh = 0, late = 0, duplicates = 0, stale = 0;
    for (size_t i = 0; i + 1 < size; i += 2) {
        uint16_t seq = (uint16_t)(data[i] << 8 | data[i + 1]);
        switch (rtp_receipt_note(&r, seq)) {
        case RTP_RECEIPT_NEW:
            fresh++;
            require(r.highest == seq);
            break;
        case RTP_RECEIPT_LATE:
            late++;
            break;
        case RTP_RECEIPT_DUPLICATE:
            duplicates++;
            break;
        case RTP_RECEIPT_STALE:
            stale++;
            break;
        default:
            abort();
        }
        /* A stale packet counts for nothing: one that came is not counted again, one that was
         * missing when the window passed it stays missing. */
        require(r.missing + fresh + late == r.span);
        require(r.late == late && r.duplicates == duplicates && r.stale == stale);
    }
    return 0;
}
