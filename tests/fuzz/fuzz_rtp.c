/* fuzz_rtp: rtp_parse, the extension walk, rtp_rewrite and RTX into exactly sized buffers of
 * any capacity, the sequence tracker, and the codecs' keyframe checks.
 * Input: 2 bytes of output capacity, 1 byte of mid id and length, 1 byte seeding the extension
 * map, then the RTP packet. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "proto/codec.h"
#include "proto/rtp.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static const char mid_text[] = "0123456789abcdefghijklmnopqrstuv";

static void check_extensions(const struct rtp_view *v, const uint8_t *p, size_t len)
{
    struct rtp_ext_iter it;
    uint8_t id;
    const uint8_t *data;
    size_t n;
    int rc;
    rtp_ext_iter_init(&it, v);
    while ((rc = rtp_ext_next(&it, &id, &data, &n)) > 0) {
        CHECK(id != 0);
        CHECK(data >= v->ext && data + n <= v->ext + v->ext_len);
        CHECK(data + n <= p + len);
    }
    CHECK(rtp_ext_next(&it, &id, &data, &n) == 0);
}

/* What a rewrite wrote must parse, say what RW asked, and carry SRC's payload after PREFIX. */
static void check_output(const uint8_t *out, size_t n, const struct rtp_view *src,
                         const struct rtp_rewrite *rw, size_t prefix)
{
    struct rtp_view w;
    CHECK(rtp_parse(&w, out, n, NULL) == 0);
    CHECK(w.ssrc == rw->ssrc && w.seq == rw->seq && w.timestamp == rw->timestamp);
    CHECK(w.payload_type == (rw->payload_type & 0x7f) && w.marker == src->marker);
    CHECK(w.csrc_count == src->csrc_count && w.padding_len == rw->padding);
    CHECK(w.payload_len == src->payload_len + prefix);
    CHECK(memcmp(w.payload + prefix, src->payload, src->payload_len) == 0);
    if (w.has_ext) {
        CHECK(w.ext_profile == RTP_EXT_ONE_BYTE_PROFILE && w.ext_len > 0);
        struct rtp_ext_iter it;
        uint8_t id;
        const uint8_t *data;
        size_t len;
        int rc;
        rtp_ext_iter_init(&it, &w);
        while ((rc = rtp_ext_next(&it, &id, &data, &len)) > 0)
            CHECK(id >= 1 && id <= RTP_EXT_ONE_BYTE_MAX_ID);
        CHECK(rc == 0);
    }
}

static void fuzz_rewrite(const struct rtp_view *v, size_t cap, uint8_t mid_byte, uint8_t seed)
{
    struct rtp_rewrite rw;
    memset(&rw, 0, sizeof rw);
    rw.ssrc = v->ssrc ^ 0x5a5a5a5a;
    rw.payload_type = (uint8_t)(v->payload_type + seed);
    rw.seq = (uint16_t)(v->seq + seed * 257);
    rw.timestamp = v->timestamp + seed * 3000u;
    for (int i = 0; i < 256; i++)
        rw.ext_map[i] = (uint8_t)((i * (seed | 1) + seed) & 0x0f);
    rw.mid_id = mid_byte >> 4;
    rw.mid_len = mid_byte & 0x1f;
    rw.mid = mid_text;
    rw.padding = (uint8_t)(seed % 17); /* none, or up to the SFU's RUN_PADDING_MAX */

    /* An exactly sized block: ASan reports any write past CAP. */
    uint8_t *out = malloc(cap ? cap : 1);
    size_t n = rtp_rewrite(out, cap, v, &rw);
    CHECK(n <= cap);
    if (n)
        check_output(out, n, v, &rw, 0);
    size_t rtx_n = rtp_rtx_wrap(out, cap, v, &rw, (uint16_t)(v->seq ^ seed));
    CHECK(rtx_n <= cap);
    if (rtx_n) {
        check_output(out, rtx_n, v, &rw, 2);
        struct rtp_view r, original;
        CHECK(rtp_parse(&r, out, rtx_n, NULL) == 0);
        CHECK(rtp_rtx_unwrap(&original, &r, v->ssrc, v->payload_type, NULL) == 0);
        CHECK(original.seq == (uint16_t)(v->seq ^ seed));
        CHECK(original.payload_len == v->payload_len);
        CHECK(memcmp(original.payload, v->payload, v->payload_len) == 0);
    }
    free(out);
}

static void fuzz_keyframes(const uint8_t *p, size_t len)
{
    for (int c = CODEC_UNKNOWN; c <= CODEC_AV1; c++) {
        bool start = codec_is_keyframe_start((enum codec_id)c, p, len);
        bool keyframe = codec_is_keyframe((enum codec_id)c, p, len);
        /* A packet that starts a keyframe is part of it. */
        CHECK(!start || keyframe);
    }
}

static void fuzz_sequence(const uint8_t *p, size_t len)
{
    struct rtp_seq_tracker t;
    rtp_seq_init(&t);
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint16_t first, skipped;
        uint64_t before = t.received;
        enum rtp_seq_status s = rtp_seq_update(&t, be16_read(p + i), &first, &skipped);
        CHECK(s == RTP_SEQ_NEW || skipped == 0);
        CHECK(skipped < RTP_SEQ_MAX_DROPOUT);
        if (s == RTP_SEQ_NEW || s == RTP_SEQ_LATE)
            CHECK(t.received == before + 1);
        else if (s == RTP_SEQ_RESTART)
            CHECK(t.received == 1);
        else
            CHECK(t.received == before);
        CHECK(t.max_seq == (uint16_t)rtp_seq_extended_max(&t));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_keyframes(data, size);
    if (size < 4)
        return 0;
    size_t cap = be16_read(data) % 1600;
    uint8_t mid_byte = data[2], seed = data[3];
    const uint8_t *p = data + 4;
    size_t len = size - 4;

    (void)rtp_is_rtcp(p, len);
    (void)rtp_is_rtp_or_rtcp(p, len);
    fuzz_sequence(p, len);

    struct rtp_view v;
    const char *why = NULL;
    if (rtp_parse(&v, p, len, &why) < 0) {
        CHECK(why != NULL);
        return 0;
    }
    CHECK(v.header_len + v.payload_len + v.padding_len == len);
    CHECK(v.payload + v.payload_len <= p + len);
    check_extensions(&v, p, len);
    fuzz_rewrite(&v, cap, mid_byte, seed);
    fuzz_keyframes(v.payload, v.payload_len);
    return 0;
}
