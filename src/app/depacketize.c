/* depacketize: reorder window, gap tracking for NACK, and the frame assembly of each payload
 * format a WebRTC relay passes through. */
#include "app/depacketize.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/bytes.h"
#include "base/leb128.h"
#include "base/xmalloc.h"
#include "proto/rtp.h"

#define DEPACK_MAX_PACKET 1500

struct depack_slot {
    bool used;       /* holds the packet SEQ; else SEQ is a gap (when within the window) */
    uint16_t seq;
    uint16_t len;
    uint64_t gap_ms;  /* when the gap was seen */
    uint64_t nack_ms; /* when it was last NACKed; 0 = never */
    uint8_t data[DEPACK_MAX_PACKET];
};

struct depacketizer {
    enum depack_codec codec;
    bool started;
    uint16_t next_seq; /* the next number to hand to the assembler */
    uint16_t highest;  /* the newest number received */
    struct depack_slot *slots;
    /* The frame being assembled. */
    uint8_t *frame;
    size_t frame_len, frame_cap;
    bool in_frame, broken, key;
    uint32_t frame_ts;
    bool need_key, want_key;
    /* AV1: the OBU element being put together from fragments (Z and Y bits). */
    uint8_t *obu;
    size_t obu_len;
    bool obu_open;
    struct depack_stats stats;
};

static bool depack_is_video(const struct depacketizer *d) { return d->codec != DEPACK_OPUS; }

struct depacketizer *depack_new(enum depack_codec codec)
{
    struct depacketizer *d = xcalloc(1, sizeof *d);
    d->codec = codec;
    d->slots = xcalloc(DEPACK_WINDOW, sizeof *d->slots);
    d->need_key = depack_is_video(d);
    return d;
}

void depack_free(struct depacketizer *d)
{
    if (!d)
        return;
    free(d->slots);
    free(d->frame);
    free(d->obu);
    free(d);
}

int depack_codec_from_name(const char *name)
{
    static const struct {
        const char *name;
        enum depack_codec codec;
    } names[] = {{"opus", DEPACK_OPUS}, {"VP8", DEPACK_VP8}, {"VP9", DEPACK_VP9},
                 {"H264", DEPACK_H264}, {"AV1", DEPACK_AV1}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0)
            return (int)names[i].codec;
    return -1;
}

int depack_push(struct depacketizer *d, const uint8_t *rtp, size_t len, uint64_t now_ms)
{
    struct rtp_view v;
    const char *why;
    if (len > DEPACK_MAX_PACKET || rtp_parse(&v, rtp, len, &why) < 0)
        return -1;
    if (!d->started) {
        d->started = true;
        d->next_seq = d->highest = v.seq;
    }
    int diff = rtp_seq_diff(v.seq, d->next_seq);
    if (diff < 0) {
        d->stats.duplicates++; /* already handed on, or given up */
        return -1;
    }
    if (diff >= DEPACK_WINDOW - 1) {
        /* Far ahead: the sender restarted or a long outage. Start over from this packet. */
        for (size_t i = 0; i < DEPACK_WINDOW; i++)
            d->slots[i].used = false;
        d->stats.lost += (uint64_t)rtp_seq_diff(d->highest, d->next_seq) + 1;
        d->next_seq = d->highest = v.seq;
        d->broken = true;
    }
    struct depack_slot *slot = &d->slots[v.seq % DEPACK_WINDOW];
    if (slot->used && slot->seq == v.seq) {
        d->stats.duplicates++;
        return -1;
    }
    if (rtp_seq_newer(v.seq, d->highest)) {
        for (uint16_t s = (uint16_t)(d->highest + 1); s != v.seq; s++) {
            struct depack_slot *gap = &d->slots[s % DEPACK_WINDOW];
            gap->used = false;
            gap->seq = s;
            gap->gap_ms = now_ms;
            gap->nack_ms = 0;
        }
        d->highest = v.seq;
    }
    slot->used = true;
    slot->seq = v.seq;
    slot->len = (uint16_t)len;
    memcpy(slot->data, rtp, len);
    d->stats.packets++;
    return 0;
}

static void depack_append(struct depacketizer *d, const uint8_t *p, size_t len)
{
    if (d->frame_len + len > DEPACK_MAX_FRAME) {
        d->broken = true;
        return;
    }
    if (d->frame_len + len > d->frame_cap) {
        d->frame_cap = (d->frame_len + len) * 2;
        d->frame = xrealloc(d->frame, d->frame_cap);
    }
    memcpy(d->frame + d->frame_len, p, len);
    d->frame_len += len;
}

static void depack_append_nal(struct depacketizer *d, const uint8_t *nal, size_t len)
{
    static const uint8_t start_code[4] = {0, 0, 0, 1};
    if (len == 0)
        return;
    if ((nal[0] & 0x1f) == 5)
        d->key = true;
    depack_append(d, start_code, sizeof start_code);
    depack_append(d, nal, len);
}

/* RFC 6184 §5.6-5.8: single NAL unit packets (types 1-23), STAP-A (24) and FU-A (28); every NAL
 * unit comes out behind an Annex B start code. Returns -1 for what we cannot take (STAP-B,
 * MTAP, FU-B, a truncated aggregate). *START tells whether the packet can begin a frame. */
static int depack_h264(struct depacketizer *d, const uint8_t *p, size_t len, bool *start)
{
    if (len < 1)
        return -1;
    uint8_t type = p[0] & 0x1f;
    *start = true;
    if (type >= 1 && type <= 23) {
        depack_append_nal(d, p, len);
        return 0;
    }
    if (type == 24) {
        /* STAP-A: (16-bit size, NAL unit) repeated after the one-byte header. */
        size_t off = 1;
        while (off + 2 <= len) {
            size_t n = be16_read(p + off);
            off += 2;
            if (n == 0 || off + n > len)
                return -1;
            depack_append_nal(d, p + off, n);
            off += n;
        }
        return off == len ? 0 : -1;
    }
    if (type == 28) {
        /* FU-A: FU indicator (F, NRI, type 28), FU header (S, E, R, type), then a fragment. */
        if (len < 2)
            return -1;
        bool s = p[1] & 0x80;
        *start = s;
        if (s) {
            uint8_t header = (uint8_t)((p[0] & 0xe0) | (p[1] & 0x1f));
            static const uint8_t start_code[4] = {0, 0, 0, 1};
            if ((header & 0x1f) == 5)
                d->key = true;
            depack_append(d, start_code, sizeof start_code);
            depack_append(d, &header, 1);
        } else if (!d->in_frame || d->frame_len == 0) {
            return -1; /* a continuation whose start was lost */
        }
        depack_append(d, p + 2, len - 2);
        return 0;
    }
    return -1;
}

/* RFC 7741 §4.2: the VP8 payload descriptor.
 *    0 1 2 3 4 5 6 7
 *   |X|R|N|S|R| PID | (REQUIRED)
 *   |I|L|T|K| RSV   | (OPTIONAL, when X)
 *   |M| PictureID   | (OPTIONAL, when I; a second byte when M)
 *   |   TL0PICIDX   | (OPTIONAL, when L)
 *   |TID|Y| KEYIDX  | (OPTIONAL, when T or K)
 * The frame starts where S is set and PID is 0; its first payload byte's low bit is the
 * inverse key frame flag (RFC 6386 §9.1). */
static int depack_vp8(struct depacketizer *d, const uint8_t *p, size_t len, bool *start)
{
    size_t off = 1;
    if (len < 1)
        return -1;
    if (p[0] & 0x80) {
        if (len < 2)
            return -1;
        uint8_t x = p[1];
        off = 2;
        if (x & 0x80) {
            if (off >= len)
                return -1;
            off += (p[off] & 0x80) ? 2 : 1;
        }
        if (x & 0x40)
            off++;
        if (x & 0x30)
            off++;
    }
    if (off >= len)
        return -1;
    *start = (p[0] & 0x10) && (p[0] & 0x07) == 0;
    if (*start)
        d->key = (p[off] & 0x01) == 0;
    depack_append(d, p + off, len - off);
    return 0;
}

/* Whether a VP9 frame is a key frame, from its uncompressed header (VP9 bitstream spec §6.2):
 * frame_marker (2 bits, 0b10), profile_low_bit, profile_high_bit, a reserved zero in profile 3,
 * show_existing_frame, then frame_type (0 = KEY_FRAME). Some packetizers (FFmpeg's) never set
 * the descriptor's P bit, so the bitstream is asked as well. */
static bool depack_vp9_is_key(const uint8_t *p, size_t len)
{
    if (len < 1 || (p[0] >> 6) != 2)
        return false;
    int profile = ((p[0] >> 5) & 1) | (((p[0] >> 4) & 1) << 1);
    int show_existing_bit = profile == 3 ? 2 : 3; /* bit numbers counted from the LSB */
    if ((p[0] >> show_existing_bit) & 1)
        return false;
    return ((p[0] >> (show_existing_bit - 1)) & 1) == 0;
}

/* The VP9 payload descriptor (RFC 9628 §4.2):
 *   |I|P|L|F|B|E|V|Z|
 *   I: picture ID (7 or 15 bits, M bit first); L: layer indices (one byte, and TL0PICIDX unless
 *   F); F and P: up to three P_DIFF bytes, each with an N bit saying another follows; V: the
 *   scalability structure. B starts a frame; a frame without P (no inter-picture prediction)
 *   is a keyframe. */
static int depack_vp9(struct depacketizer *d, const uint8_t *p, size_t len, bool *start)
{
    if (len < 1)
        return -1;
    uint8_t b0 = p[0];
    size_t off = 1;
    if (b0 & 0x80) {
        if (off >= len)
            return -1;
        off += (p[off] & 0x80) ? 2 : 1;
    }
    if (b0 & 0x20)
        off += (b0 & 0x10) ? 1 : 2;
    if ((b0 & 0x10) && (b0 & 0x40)) {
        for (int i = 0; i < 3; i++) {
            if (off >= len)
                return -1;
            if (!(p[off++] & 0x01))
                break;
        }
    }
    if (b0 & 0x02) {
        if (off >= len)
            return -1;
        uint8_t ss = p[off++];
        size_t n_s = (size_t)(ss >> 5) + 1;
        if (ss & 0x10)
            off += 4 * n_s;
        if (ss & 0x08) {
            if (off >= len)
                return -1;
            size_t n_g = p[off++];
            for (size_t g = 0; g < n_g; g++) {
                if (off >= len)
                    return -1;
                off += 1 + ((p[off] >> 2) & 0x03);
            }
        }
    }
    if (off >= len)
        return -1;
    *start = b0 & 0x08;
    if (*start)
        d->key = !(b0 & 0x40) && depack_vp9_is_key(p + off, len - off);
    depack_append(d, p + off, len - off);
    return 0;
}

enum { AV1_OBU_SEQUENCE_HEADER = 1, AV1_OBU_TEMPORAL_DELIMITER = 2, AV1_OBU_TILE_LIST = 8,
       AV1_OBU_PADDING = 15 };

/* Writes one whole OBU into the frame with obu_has_size_field set, as containers want it; the
 * RTP format sends them without (AV1 RTP spec §4.3). Temporal delimiters, tile lists and
 * padding are left out (§5: the receiver does not need them; Matroska forbids delimiters). */
static int depack_av1_obu(struct depacketizer *d, const uint8_t *obu, size_t len)
{
    if (len < 1 || (obu[0] & 0x80))
        return -1; /* empty, or the forbidden bit set */
    uint8_t header = obu[0];
    int type = (header >> 3) & 0x0f;
    size_t header_len = (header & 0x04) ? 2 : 1;
    if (len < header_len)
        return -1;
    if (type == AV1_OBU_TEMPORAL_DELIMITER || type == AV1_OBU_TILE_LIST ||
        type == AV1_OBU_PADDING)
        return 0;
    if (type == AV1_OBU_SEQUENCE_HEADER)
        d->key = true;
    const uint8_t *payload = obu + header_len;
    size_t payload_len = len - header_len;
    if (header & 0x02) {
        /* The sender kept the size field: it must agree with the element's length. */
        size_t off = header_len;
        uint64_t size;
        if (leb128_read(obu, len, &off, &size) < 0 || size != len - off)
            return -1;
        depack_append(d, obu, len);
        return 0;
    }
    uint8_t head[2 + 8] = {(uint8_t)(header | 0x02), header_len == 2 ? obu[1] : 0};
    size_t n = header_len + leb128_write(head + header_len, payload_len);
    depack_append(d, head, n);
    depack_append(d, payload, payload_len);
    return 0;
}

static void depack_av1_stage(struct depacketizer *d, const uint8_t *p, size_t len)
{
    if (d->obu_len + len > DEPACK_MAX_FRAME) {
        d->broken = true;
        return;
    }
    if (!d->obu)
        d->obu = xmalloc(DEPACK_MAX_FRAME);
    memcpy(d->obu + d->obu_len, p, len);
    d->obu_len += len;
}

/* The AV1 aggregation header (AV1 RTP spec §4.4):
 *   |Z|Y| W |N|-|-|-|
 *   Z: the first OBU element continues one from the previous packet; Y: the last element goes
 *   on in the next packet; W: the number of elements (1-3, the last one without a length
 *   field) or 0 (each with a LEB128 length); N: the first packet of a coded video sequence.
 * Elements are OBUs or fragments of one; a whole OBU is written out with its size field. */
static int depack_av1(struct depacketizer *d, const uint8_t *p, size_t len, bool *start)
{
    if (len < 1)
        return -1;
    bool z = p[0] & 0x80, y = p[0] & 0x40, n = p[0] & 0x08;
    unsigned w = (p[0] >> 4) & 0x03;
    *start = !z;
    if (n)
        d->key = true;
    if (!z && d->obu_open) {
        d->obu_len = 0; /* the rest of an OBU never came */
        d->obu_open = false;
        return -1;
    }
    if (z && !d->obu_open)
        return -1; /* a continuation of what we do not have */
    size_t off = 1;
    for (unsigned i = 0; off < len; i++) {
        uint64_t size;
        bool last = (w && i + 1 == w);
        if (last) {
            size = len - off;
        } else if (leb128_read(p, len, &off, &size) < 0 || size > len - off) {
            return -1;
        }
        bool continues = y && off + size == len;
        depack_av1_stage(d, p + off, (size_t)size);
        off += (size_t)size;
        if (continues) {
            d->obu_open = true;
            break;
        }
        d->obu_open = false;
        int rc = depack_av1_obu(d, d->obu, d->obu_len);
        d->obu_len = 0;
        if (rc < 0)
            return -1;
        if (last)
            break;
    }
    return 0;
}

int depack_av1_sequence_header(const uint8_t *frame, size_t len, const uint8_t **obu,
                               size_t *obu_len)
{
    size_t off = 0;
    while (off < len) {
        size_t begin = off;
        uint8_t header = frame[off++];
        if (!(header & 0x02))
            return -1; /* not the form depack writes */
        if (header & 0x04)
            off++;
        uint64_t size;
        if (leb128_read(frame, len, &off, &size) < 0 || size > len - off)
            return -1;
        off += (size_t)size;
        if (((header >> 3) & 0x0f) == AV1_OBU_SEQUENCE_HEADER) {
            *obu = frame + begin;
            *obu_len = off - begin;
            return 0;
        }
    }
    return -1;
}

static void depack_drop_frame(struct depacketizer *d)
{
    if (d->in_frame) {
        d->stats.frames_dropped++;
        if (depack_is_video(d) && !d->need_key) {
            d->need_key = true;
            d->want_key = true;
        }
    }
    d->in_frame = false;
    d->frame_len = 0;
}

/* Adds one in-order packet to the frame; returns 1 when a frame is complete and good. */
static int depack_assemble(struct depacketizer *d, const uint8_t *pkt, size_t len,
                           struct depack_frame *out)
{
    struct rtp_view v;
    const char *why;
    if (rtp_parse(&v, pkt, len, &why) < 0 || v.payload_len == 0)
        return 0; /* padding-only packets (bandwidth probes) carry nothing */
    if (d->in_frame && v.timestamp != d->frame_ts)
        depack_drop_frame(d); /* its last packet (the marker) never came */
    bool fresh = !d->in_frame;
    if (fresh) {
        d->in_frame = true;
        d->frame_ts = v.timestamp;
        d->frame_len = 0;
        d->key = false;
        d->obu_len = 0;
        d->obu_open = false;
    }
    bool start = true;
    int rc;
    switch (d->codec) {
    case DEPACK_OPUS:
        depack_append(d, v.payload, v.payload_len);
        rc = 0;
        break;
    case DEPACK_VP8:
        rc = depack_vp8(d, v.payload, v.payload_len, &start);
        break;
    case DEPACK_VP9:
        rc = depack_vp9(d, v.payload, v.payload_len, &start);
        break;
    case DEPACK_AV1:
        rc = depack_av1(d, v.payload, v.payload_len, &start);
        break;
    default:
        rc = depack_h264(d, v.payload, v.payload_len, &start);
        break;
    }
    if (rc < 0 || (fresh && !start && d->codec != DEPACK_H264))
        d->broken = true;
    if (d->codec != DEPACK_OPUS && !v.marker)
        return 0;
    bool good = !d->broken && (!depack_is_video(d) || !d->need_key || d->key);
    d->broken = false;
    if (!good) {
        depack_drop_frame(d);
        if (depack_is_video(d)) {
            d->need_key = true;
            d->want_key = true;
        }
        return 0;
    }
    d->in_frame = false;
    if (d->key)
        d->need_key = false;
    out->data = d->frame;
    out->len = d->frame_len;
    out->timestamp = d->frame_ts;
    out->keyframe = d->key || !depack_is_video(d);
    d->stats.frames++;
    return 1;
}

int depack_pop(struct depacketizer *d, uint64_t now_ms, struct depack_frame *out)
{
    if (!d->started)
        return 0;
    while (d->next_seq != (uint16_t)(d->highest + 1)) {
        struct depack_slot *slot = &d->slots[d->next_seq % DEPACK_WINDOW];
        if (slot->used && slot->seq == d->next_seq) {
            slot->used = false;
            d->next_seq++;
            if (depack_assemble(d, slot->data, slot->len, out))
                return 1;
            continue;
        }
        /* A gap: wait for the retransmission unless it is too old or the window is full. */
        bool expired = slot->seq == d->next_seq && now_ms - slot->gap_ms >= DEPACK_WAIT_MS;
        bool full = rtp_seq_diff(d->highest, d->next_seq) >= DEPACK_WINDOW - 32;
        if (!expired && !full)
            return 0;
        d->stats.lost++;
        d->next_seq++;
        if (d->in_frame)
            d->broken = true;
    }
    return 0;
}

size_t depack_missing(struct depacketizer *d, uint64_t now_ms, uint16_t *lost, size_t max)
{
    size_t n = 0;
    if (!d->started)
        return 0;
    for (uint16_t s = d->next_seq; s != (uint16_t)(d->highest + 1) && n < max; s++) {
        struct depack_slot *slot = &d->slots[s % DEPACK_WINDOW];
        if (slot->used || slot->seq != s)
            continue;
        if (slot->nack_ms && now_ms - slot->nack_ms < DEPACK_NACK_RETRY_MS)
            continue;
        slot->nack_ms = now_ms;
        lost[n++] = s;
    }
    return n;
}

bool depack_want_keyframe(struct depacketizer *d)
{
    bool want = d->want_key;
    d->want_key = false;
    return want;
}

void depack_stats(const struct depacketizer *d, struct depack_stats *out) { *out = d->stats; }

int depack_vp8_size(const uint8_t *frame, size_t len, int *width, int *height)
{
    /* RFC 6386 §9.1: a 3-byte frame tag (bit 0 clear for key frames), the start code
     * 9d 01 2a, then 14-bit width and height, little-endian, each with 2 scaling bits. */
    if (len < 10 || (frame[0] & 0x01) || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a)
        return -1;
    *width = (frame[6] | frame[7] << 8) & 0x3fff;
    *height = (frame[8] | frame[9] << 8) & 0x3fff;
    return 0;
}
