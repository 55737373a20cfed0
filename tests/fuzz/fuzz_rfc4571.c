/* fuzz_rfc4571: any byte stream, fed in pieces of every size the input's first byte picks: the
 * same frames come out as when it is fed whole, or the same refusal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/rfc4571.h"

static void require(int condition)
{
    if (!condition)
        abort();
}

struct tally {
    size_t frames, bytes;
    uint32_t hash;
};

static void on_frame(void *opaque, const uint8_t *frame, size_t len)
{
    struct tally *t = opaque;
    require(len > 0 && len <= RFC4571_MAX_FRAME);
    t->frames++;
    t->bytes += len;
    for (size_t i = 0; i < len; i++)
        t->hash = t->hash * 31 + frame[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = data[0] ? data[0] : 1;
    data++, size--;
    static struct rfc4571_reader whole, pieces;
    struct tally a = {0}, b = {0};
    const char *why_a = NULL, *why_b = NULL;
    rfc4571_reader_init(&whole);
    rfc4571_reader_init(&pieces);
    int ra = rfc4571_feed(&whole, data, size, on_frame, &a, &why_a);
    int rb = 0;
    for (size_t at = 0; at < size && rb == 0; at += step)
        rb = rfc4571_feed(&pieces, data + at, size - at < step ? size - at : step, on_frame, &b,
                          &why_b);
    require(ra == rb);
    require(a.frames == b.frames && a.bytes == b.bytes && a.hash == b.hash);
    require(ra == 0 || (why_a && why_b));
    return 0;
}
