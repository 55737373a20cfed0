/* fuzz_av1_packetize: any bytes as an AV1 temporal unit, packetized at a size the first byte
 * picks: every payload within it, exactly one marked last, and the depacketizer takes them all. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/av1_packetize.h"
#include "app/depacketize.h"

struct sink {
    struct depacketizer *d;
    size_t max, lasts;
    uint16_t seq;
};

static void emit(void *opaque, const uint8_t *payload, size_t len, bool last)
{
    struct sink *s = opaque;
    if (len > s->max || len < 2)
        abort();
    s->lasts += last;
    uint8_t pkt[2100] = {0x80, (uint8_t)(45 | (last ? 0x80 : 0)), (uint8_t)(s->seq >> 8),
                         (uint8_t)s->seq, 0, 0, 0x10, 0, 1, 2, 3, 4};
    s->seq++;
    memcpy(pkt + 12, payload, len);
    depack_push(s->d, pkt, 12 + len, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct sink s = {.d = depack_new(DEPACK_AV1), .max = AV1_PACKETIZE_MIN_PAYLOAD + data[0] * 8};
    int n = av1_packetize(data + 1, size - 1, s.max, emit, &s);
    if ((n > 0 && s.lasts != 1) || (n <= 0 && s.lasts != 0))
        abort();
    struct depack_frame f;
    while (depack_pop(s.d, 1000, &f) == 1)
        if (f.len > DEPACK_MAX_FRAME)
            abort();
    depack_free(s.d);
    return 0;
}
