/* fuzz_depacketize: any sequence of RTP packets, for every payload format: frames come out
 * within the size limit, sequence header lookups stay inside the frame, and nothing is read or
 * written out of bounds. Input: one byte picking the codec, then packets as a 2-byte length and
 * that many bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "app/depacketize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct depacketizer *d = depack_new((enum depack_codec)(data[0] % 5));
    size_t off = 1;
    uint64_t now = 0;
    while (off + 2 <= size) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (len > size - off)
            len = size - off;
        depack_push(d, data + off, len, now);
        off += len;
        now += 40;
        struct depack_frame f;
        while (depack_pop(d, now, &f) == 1) {
            if (f.len > DEPACK_MAX_FRAME)
                abort();
            const uint8_t *seq;
            size_t seq_len;
            if (depack_av1_sequence_header(f.data, f.len, &seq, &seq_len) == 0 &&
                (seq < f.data || seq + seq_len > f.data + f.len))
                abort();
        }
        uint16_t lost[64];
        depack_missing(d, now, lost, 64);
        depack_want_keyframe(d);
    }
    depack_free(d);
    return 0;
}
