/* test_av1_packetize: temporal units through the packetizer and back through onair's own
 * depacketizer come out as they went in (less what the RTP format leaves out), in payloads
 * within the size asked for, with N, Z and Y where the format puts them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "app/av1_packetize.h"
#include "app/depacketize.h"

struct sink {
    struct depacketizer *d;
    uint16_t seq;
    uint32_t ts;
    size_t max, count, lasts;
    uint8_t first_header[16];
};

static void emit(void *opaque, const uint8_t *payload, size_t len, bool last)
{
    struct sink *s = opaque;
    assert_true(len <= s->max);
    if (s->count < 16)
        s->first_header[s->count] = payload[0];
    s->count++;
    s->lasts += last;
    uint8_t pkt[2100] = {0x80, (uint8_t)(45 | (last ? 0x80 : 0)), (uint8_t)(s->seq >> 8),
                         (uint8_t)s->seq, (uint8_t)(s->ts >> 24), (uint8_t)(s->ts >> 16),
                         (uint8_t)(s->ts >> 8), (uint8_t)s->ts, 1, 2, 3, 4};
    s->seq++;
    memcpy(pkt + 12, payload, len);
    assert_int_equal(depack_push(s->d, pkt, 12 + len, 0), 0);
}

/* OBU with a size field: header TYPE, SIZE payload bytes of a pattern. */
static size_t obu(uint8_t *out, int type, size_t size, uint8_t seed)
{
    size_t n = 0;
    out[n++] = (uint8_t)(type << 3 | 0x02);
    size_t v = size;
    do {
        out[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            out[n] |= 0x80;
        n++;
    } while (v);
    for (size_t i = 0; i < size; i++)
        out[n++] = (uint8_t)(seed + i * 7);
    return n;
}

static void test_round_trip(void **state)
{
    (void)state;
    static uint8_t tu[20000], expect[20000];
    size_t n = 0, e = 0;
    n += obu(tu + n, 2, 0, 0);                 /* temporal delimiter: left out */
    size_t seq = obu(tu + n, 1, 12, 0x10);     /* sequence header */
    memcpy(expect + e, tu + n, seq);
    n += seq, e += seq;
    size_t frame = obu(tu + n, 6, 5000, 0x33); /* a frame OBU over four packets */
    memcpy(expect + e, tu + n, frame);
    n += frame, e += frame;
    n += obu(tu + n, 15, 3, 0);                /* padding: left out */
    size_t small = obu(tu + n, 6, 30, 0x77);
    memcpy(expect + e, tu + n, small);
    n += small, e += small;

    struct sink s = {.d = depack_new(DEPACK_AV1), .seq = 100, .ts = 9000, .max = 1200};
    int count = av1_packetize(tu, n, s.max, emit, &s);
    assert_true(count >= 5);
    assert_int_equal((size_t)count, s.count);
    assert_int_equal(s.lasts, 1);
    assert_true(s.first_header[0] & 0x08);     /* N: a coded video sequence starts */
    assert_false(s.first_header[0] & 0x80);    /* Z: nothing continues into the first */
    assert_true(s.first_header[0] & 0x40);     /* Y: the frame OBU goes on */
    assert_true(s.first_header[1] & 0x80);     /* Z on the next */
    struct depack_frame f;
    assert_int_equal(depack_pop(s.d, 0, &f), 1);
    assert_true(f.keyframe);
    assert_int_equal(f.len, e);
    assert_memory_equal(f.data, expect, e);

    /* A delta unit without size fields on its last OBU (as some files store it) and small
     * payloads: still whole on the other side. */
    uint8_t delta[400];
    size_t d = obu(delta, 6, 300, 0x55);
    uint8_t bare[400];
    bare[0] = 6 << 3; /* no size field: the OBU runs to the end */
    memcpy(bare + 1, delta + 3, 300);
    s.ts += 3000;
    s.max = 64;
    s.count = s.lasts = 0;
    count = av1_packetize(bare, 301, s.max, emit, &s);
    assert_true(count >= 5);
    assert_false(s.first_header[0] & 0x08);
    assert_int_equal(depack_pop(s.d, 0, &f), 1);
    assert_int_equal(f.len, d);
    assert_memory_equal(f.data, delta, d);
    depack_free(s.d);
}

static void test_refusals(void **state)
{
    (void)state;
    struct sink s = {.d = depack_new(DEPACK_AV1), .max = 1200};
    static const uint8_t forbidden[] = {0x80 | (6 << 3), 0x00};
    static const uint8_t truncated[] = {(6 << 3) | 0x02, 0x10, 0x01};
    static const uint8_t only_delimiter[] = {(2 << 3) | 0x02, 0x00};
    assert_int_equal(av1_packetize(forbidden, sizeof forbidden, 1200, emit, &s), -1);
    assert_int_equal(av1_packetize(truncated, sizeof truncated, 1200, emit, &s), -1);
    assert_int_equal(av1_packetize(only_delimiter, sizeof only_delimiter, 1200, emit, &s), 0);
    assert_int_equal(av1_packetize(only_delimiter, sizeof only_delimiter, 4, emit, &s), -1);
    assert_int_equal(s.count, 0);
    depack_free(s.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
