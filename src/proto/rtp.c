/* rtp: RTP parsing (RFC 3550), header extensions (RFC 8285), the forwarding rewrite and RTX. */
#include "proto/rtp.h"

#include <string.h>

#include "base/bytes.h"

#define RTP_SEQ_MOD 65536u
#define RTP_SEQ_NO_BAD (RTP_SEQ_MOD + 1)

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return -1;
}

bool rtp_is_rtcp(const uint8_t *p, size_t len)
{
    if (len < 4 || p[0] >> 6 != 2)
        return false;
    uint8_t type = p[1] & 0x7f;
    return type >= 64 && type <= 95;
}

bool rtp_is_rtp_or_rtcp(const uint8_t *p, size_t len)
{
    return len >= 1 && p[0] >= 128 && p[0] <= 191;
}

/* RFC 3550 §5.1, the fixed header:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * §5.3.1, the header extension (when X is set), after the CSRCs:
 * |      defined by profile       |           length              |
 * |                        header extension                       |
 * The length counts 32-bit words after these four bytes. §5.1: with P set, the last byte of the
 * packet counts the padding bytes, itself included. */
int rtp_parse(struct rtp_view *out, const uint8_t *p, size_t len, const char **why)
{
    if (len < RTP_HEADER_SIZE)
        return fail(why, "RTP packet is shorter than its 12-byte header");
    if (p[0] >> 6 != 2)
        return fail(why, "RTP version is not 2");
    bool padding = p[0] & 0x20;
    out->has_ext = p[0] & 0x10;
    out->csrc_count = p[0] & 0x0f;
    out->marker = p[1] & 0x80;
    out->payload_type = p[1] & 0x7f;
    out->seq = be16_read(p + 2);
    out->timestamp = be32_read(p + 4);
    out->ssrc = be32_read(p + 8);
    out->csrc = p + RTP_HEADER_SIZE;
    size_t off = RTP_HEADER_SIZE + 4u * out->csrc_count;
    if (off > len)
        return fail(why, "RTP CSRC list runs past the packet");
    out->ext_profile = 0;
    out->ext = NULL;
    out->ext_len = 0;
    if (out->has_ext) {
        if (len - off < 4)
            return fail(why, "RTP header extension header runs past the packet");
        out->ext_profile = be16_read(p + off);
        out->ext_len = 4u * be16_read(p + off + 2);
        out->ext = p + off + 4;
        if (out->ext_len > len - off - 4)
            return fail(why, "RTP header extension runs past the packet");
        off += 4 + out->ext_len;
    }
    out->header_len = off;
    out->padding_len = 0;
    if (padding) {
        if (len == off)
            return fail(why, "RTP padding bit is set but the packet has no payload");
        out->padding_len = p[len - 1];
        if (out->padding_len == 0)
            return fail(why, "RTP padding count is zero");
        if (out->padding_len > len - off)
            return fail(why, "RTP padding is longer than the payload");
    }
    out->payload = p + off;
    out->payload_len = len - off - out->padding_len;
    return 0;
}

void rtp_ext_iter_init(struct rtp_ext_iter *it, const struct rtp_view *v)
{
    it->p = it->end = NULL;
    it->two_byte = false;
    if (!v->has_ext || !v->ext)
        return;
    if (v->ext_profile == RTP_EXT_ONE_BYTE_PROFILE) {
        it->two_byte = false;
    } else if ((v->ext_profile & RTP_EXT_TWO_BYTE_MASK) == RTP_EXT_TWO_BYTE_PROFILE) {
        it->two_byte = true;
    } else {
        return;
    }
    it->p = v->ext;
    it->end = v->ext + v->ext_len;
}

/* RFC 8285 §4.2, one-byte elements, and §4.3, two-byte elements:
 *  0 1 2 3 4 5 6 7        0                   1
 * +-+-+-+-+-+-+-+-+      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  ID   |  len  | data |       ID      |     length    | data
 * +-+-+-+-+-+-+-+-+      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * The one-byte len is the data size minus one; the two-byte length is the data size. A zero
 * byte between elements is padding in both forms (libwebrtc also skips a one-byte header with
 * ID 0 whatever its len, and so do we). */
int rtp_ext_next(struct rtp_ext_iter *it, uint8_t *id, const uint8_t **data, size_t *len)
{
    while (it->p && it->p < it->end) {
        size_t left = (size_t)(it->end - it->p);
        uint8_t first = it->p[0];
        size_t head, n;
        if (!it->two_byte) {
            if ((first >> 4) == 0) {
                it->p++;
                continue;
            }
            if ((first >> 4) == 15) {
                /* Reserved for a future extension: stop processing the block (§4.2). */
                it->p = it->end;
                return 0;
            }
            head = 1;
            n = (size_t)(first & 0x0f) + 1;
            *id = first >> 4;
        } else {
            if (first == 0) {
                it->p++;
                continue;
            }
            if (left < 2) {
                it->p = it->end;
                return -1;
            }
            head = 2;
            n = it->p[1];
            *id = first;
        }
        if (n > left - head) {
            it->p = it->end;
            return -1;
        }
        *data = it->p + head;
        *len = n;
        it->p += head + n;
        return 1;
    }
    return 0;
}

const uint8_t *rtp_ext_find(const struct rtp_view *v, uint8_t id, size_t *len)
{
    struct rtp_ext_iter it;
    uint8_t eid;
    const uint8_t *data;
    size_t n;
    rtp_ext_iter_init(&it, v);
    while (rtp_ext_next(&it, &eid, &data, &n) > 0) {
        if (eid == id) {
            *len = n;
            return data;
        }
    }
    return NULL;
}

/* Appends one one-byte element at BLOCK + *USED if it fits in ROOM bytes. */
static bool put_one_byte(uint8_t *block, size_t room, size_t *used, uint8_t id, const uint8_t *data,
                         size_t n)
{
    if (*used + 1 + n > room)
        return false;
    block[*used] = (uint8_t)(id << 4 | (n - 1));
    memcpy(block + *used + 1, data, n);
    *used += 1 + n;
    return true;
}

/* Writes SRC's extension elements, renumbered by RW, as a one-byte block (RFC 8285 §4.2) at
 * BLOCK within ROOM bytes: the 0xBEDE header, the elements, zero padding to a 32-bit boundary.
 * Returns the block's size, 0 when it would be empty, or SIZE_MAX when it does not fit. */
static size_t write_extensions(uint8_t *block, size_t room, const struct rtp_view *src,
                               const struct rtp_rewrite *rw)
{
    size_t used = 4; /* the block header, written last */
    bool fits = true;
    bool write_mid = rw->mid_id >= 1 && rw->mid_id <= RTP_EXT_ONE_BYTE_MAX_ID && rw->mid &&
                     rw->mid_len >= 1 && rw->mid_len <= RTP_EXT_ONE_BYTE_MAX_LEN;

    struct rtp_ext_iter it;
    uint8_t id;
    const uint8_t *data;
    size_t n;
    rtp_ext_iter_init(&it, src);
    while (fits && rtp_ext_next(&it, &id, &data, &n) > 0) {
        uint8_t to = rw->ext_map[id];
        if (to == 0 || to > RTP_EXT_ONE_BYTE_MAX_ID || n == 0 || n > RTP_EXT_ONE_BYTE_MAX_LEN)
            continue;
        if (write_mid && to == rw->mid_id)
            continue; /* the viewer's own mid replaces the publisher's */
        fits = put_one_byte(block, room, &used, to, data, n);
    }
    if (fits && write_mid)
        fits = put_one_byte(block, room, &used, rw->mid_id, (const uint8_t *)rw->mid, rw->mid_len);
    if (!fits)
        return SIZE_MAX;
    if (used == 4)
        return 0;
    size_t padded = (used + 3) & ~(size_t)3;
    if (padded > room)
        return SIZE_MAX;
    memset(block + used, 0, padded - used);
    be16_write(block, RTP_EXT_ONE_BYTE_PROFILE);
    be16_write(block + 2, (uint16_t)((padded - 4) / 4));
    return padded;
}

/* The rewrite itself: header from RW, CSRCs and marker from SRC, extensions renumbered, then
 * PREFIX (the RTX original sequence number, or nothing), the payload without SRC's padding, and
 * RW's padding. The fixed parts are checked against CAP first, so a packet that cannot fit
 * costs no copying. */
static size_t write_packet(uint8_t *dst, size_t cap, const struct rtp_view *src,
                           const struct rtp_rewrite *rw, const uint8_t *prefix, size_t prefix_len)
{
    size_t fixed = RTP_HEADER_SIZE + 4u * src->csrc_count;
    size_t tail = prefix_len + src->payload_len + rw->padding;
    if (cap < fixed || cap - fixed < tail)
        return 0;
    size_t ext = 0;
    if (src->has_ext || rw->mid_id) {
        ext = write_extensions(dst + fixed, cap - fixed - tail, src, rw);
        if (ext == SIZE_MAX)
            return 0;
    }
    dst[0] = (uint8_t)(0x80 | (rw->padding ? 0x20 : 0) | (ext ? 0x10 : 0) | src->csrc_count);
    dst[1] = (uint8_t)((src->marker ? 0x80 : 0) | (rw->payload_type & 0x7f));
    be16_write(dst + 2, rw->seq);
    be32_write(dst + 4, rw->timestamp);
    be32_write(dst + 8, rw->ssrc);
    if (src->csrc_count)
        memcpy(dst + RTP_HEADER_SIZE, src->csrc, 4u * src->csrc_count);
    uint8_t *p = dst + fixed + ext;
    if (prefix_len)
        memcpy(p, prefix, prefix_len);
    if (src->payload_len)
        memcpy(p + prefix_len, src->payload, src->payload_len);
    if (rw->padding) {
        uint8_t *pad = p + prefix_len + src->payload_len;
        memset(pad, 0, rw->padding - 1u);
        pad[rw->padding - 1] = rw->padding;
    }
    return fixed + ext + tail;
}

size_t rtp_rewrite(uint8_t *dst, size_t cap, const struct rtp_view *src,
                   const struct rtp_rewrite *rw)
{
    return write_packet(dst, cap, src, rw, NULL, 0);
}

/* RFC 4588 §4, the RTX payload:
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         RTP Header                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            OSN                |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
 * |                  Original RTP Packet Payload                  |
 * The timestamp is the original's; SSRC, payload type and sequence number the RTX stream's. */
size_t rtp_rtx_wrap(uint8_t *dst, size_t cap, const struct rtp_view *src,
                    const struct rtp_rewrite *rw, uint16_t original_seq)
{
    uint8_t osn[2];
    be16_write(osn, original_seq);
    return write_packet(dst, cap, src, rw, osn, sizeof osn);
}

int rtp_rtx_unwrap(struct rtp_view *out, const struct rtp_view *rtx, uint32_t media_ssrc,
                   uint8_t media_pt, const char **why)
{
    if (rtx->payload_len < 2)
        return fail(why, "RTX payload is too short for the original sequence number");
    uint16_t original_seq = be16_read(rtx->payload);
    *out = *rtx;
    out->seq = original_seq;
    out->ssrc = media_ssrc;
    out->payload_type = media_pt & 0x7f;
    out->payload += 2;
    out->payload_len -= 2;
    return 0;
}

static void seen_set(struct rtp_seq_tracker *t, uint16_t seq)
{
    t->seen[(seq >> 6) & 1] |= (uint64_t)1 << (seq & 63);
}

static void seen_clear(struct rtp_seq_tracker *t, uint16_t seq)
{
    t->seen[(seq >> 6) & 1] &= ~((uint64_t)1 << (seq & 63));
}

static bool seen_get(const struct rtp_seq_tracker *t, uint16_t seq)
{
    return t->seen[(seq >> 6) & 1] >> (seq & 63) & 1;
}

/* RFC 3550 §A.1 init_seq, counting SEQ as the first packet received. */
static void seq_start(struct rtp_seq_tracker *t, uint16_t seq)
{
    t->started = true;
    t->max_seq = seq;
    t->cycles = 0;
    t->base_seq = seq;
    t->bad_seq = RTP_SEQ_NO_BAD;
    t->received = 1;
    t->seen[0] = t->seen[1] = 0;
    seen_set(t, seq);
}

void rtp_seq_init(struct rtp_seq_tracker *t)
{
    memset(t, 0, sizeof *t);
    t->bad_seq = RTP_SEQ_NO_BAD;
}

/* RFC 3550 §A.1 update_seq, without the probation of new sources (the SFU knows its sources
 * from signaling), plus the 128-number record that tells a late packet from a duplicate. */
enum rtp_seq_status rtp_seq_update(struct rtp_seq_tracker *t, uint16_t seq, uint16_t *first_skipped,
                                   uint16_t *n_skipped)
{
    uint16_t skipped_from = 0, skipped = 0;
    enum rtp_seq_status status;
    uint16_t udelta = (uint16_t)(seq - t->max_seq);
    if (!t->started) {
        seq_start(t, seq);
        status = RTP_SEQ_NEW;
    } else if (udelta == 0) {
        status = RTP_SEQ_DUPLICATE;
    } else if (udelta < RTP_SEQ_MAX_DROPOUT) {
        /* In order, with a permissible gap. */
        if (seq < t->max_seq)
            t->cycles += RTP_SEQ_MOD;
        skipped_from = (uint16_t)(t->max_seq + 1);
        skipped = (uint16_t)(udelta - 1);
        if (skipped >= 128) {
            t->seen[0] = t->seen[1] = 0;
        } else {
            for (uint16_t i = 0; i < skipped; i++)
                seen_clear(t, (uint16_t)(skipped_from + i));
        }
        seen_set(t, seq);
        t->max_seq = seq;
        t->bad_seq = RTP_SEQ_NO_BAD;
        t->received++;
        status = RTP_SEQ_NEW;
    } else if (udelta <= RTP_SEQ_MOD - RTP_SEQ_MAX_MISORDER) {
        /* A very large jump: believe it only when the next packet follows it, as a source that
         * restarted would send. */
        if (seq == t->bad_seq) {
            seq_start(t, seq);
            status = RTP_SEQ_RESTART;
        } else {
            t->bad_seq = (uint16_t)(seq + 1);
            status = RTP_SEQ_JUMP;
        }
    } else if (seen_get(t, seq)) {
        status = RTP_SEQ_DUPLICATE;
    } else {
        seen_set(t, seq);
        t->received++;
        status = RTP_SEQ_LATE;
    }
    if (first_skipped)
        *first_skipped = skipped_from;
    if (n_skipped)
        *n_skipped = skipped;
    return status;
}

uint64_t rtp_seq_expected(const struct rtp_seq_tracker *t)
{
    if (!t->started)
        return 0;
    return (uint64_t)t->cycles + t->max_seq - t->base_seq + 1;
}

int64_t rtp_seq_lost(const struct rtp_seq_tracker *t)
{
    return (int64_t)rtp_seq_expected(t) - (int64_t)t->received;
}
