/* codec: codec names and keyframe detection in VP8, VP9, H.264 and AV1 RTP payloads. */
#include "proto/codec.h"

#include <strings.h>

#include "base/bytes.h"

static const char *const codec_names[] = {
    [CODEC_UNKNOWN] = "unknown", [CODEC_OPUS] = "opus", [CODEC_VP8] = "VP8",
    [CODEC_VP9] = "VP9",         [CODEC_H264] = "H264", [CODEC_AV1] = "AV1",
};

enum codec_id codec_from_name(const char *name)
{
    if (!name)
        return CODEC_UNKNOWN;
    for (int c = CODEC_OPUS; c <= CODEC_AV1; c++)
        if (strcasecmp(name, codec_names[c]) == 0)
            return (enum codec_id)c;
    if (strcasecmp(name, "AV1X") == 0)
        return CODEC_AV1;
    return CODEC_UNKNOWN;
}

const char *codec_name(enum codec_id c)
{
    return c >= CODEC_OPUS && c <= CODEC_AV1 ? codec_names[c] : codec_names[CODEC_UNKNOWN];
}

bool codec_is_video(enum codec_id c)
{
    return c == CODEC_VP8 || c == CODEC_VP9 || c == CODEC_H264 || c == CODEC_AV1;
}

uint32_t codec_clock_rate(enum codec_id c)
{
    if (c == CODEC_OPUS)
        return 48000;
    return codec_is_video(c) ? 90000 : 0;
}

/* RFC 7741 §4.2, the VP8 payload descriptor:
 *       0 1 2 3 4 5 6 7
 *      +-+-+-+-+-+-+-+-+
 *      |X|R|N|S|R| PID | (REQUIRED)
 *      +-+-+-+-+-+-+-+-+
 * X:   |I|L|T|K| RSV   | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+
 * I:   |M| PictureID   | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+
 * M:   |   PictureID   | (the low 8 bits of a 15-bit picture id)
 *      +-+-+-+-+-+-+-+-+
 * L:   |   TL0PICIDX   | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+
 * T/K: |TID|Y| KEYIDX  | (OPTIONAL, present when T or K is set)
 *      +-+-+-+-+-+-+-+-+
 * §4.3, the payload header, present at the start of partition 0 (S=1, PID=0):
 *      |Size0|H| VER |P|
 * P is the inverse key frame flag: 0 for a key frame. */
static bool vp8_keyframe_start(const uint8_t *p, size_t len)
{
    if (len < 1)
        return false;
    bool start = p[0] & 0x10;
    uint8_t partition = p[0] & 0x07;
    size_t off = 1;
    if (p[0] & 0x80) {
        if (len < 2)
            return false;
        uint8_t x = p[1];
        off = 2;
        if (x & 0x80) { /* I: picture id, 7 or 15 bits */
            if (off >= len)
                return false;
            off += (p[off] & 0x80) ? 2 : 1;
        }
        if (x & 0x40) /* L: TL0PICIDX */
            off++;
        if (x & 0x30) /* T or K: TID/Y/KEYIDX */
            off++;
    }
    if (!start || partition != 0 || off >= len)
        return false;
    return (p[off] & 0x01) == 0;
}

/* RFC 9628 §4.2, the VP9 payload descriptor (flexible mode when F=1):
 *       0 1 2 3 4 5 6 7
 *      +-+-+-+-+-+-+-+-+
 *      |I|P|L|F|B|E|V|Z| (REQUIRED)
 *      +-+-+-+-+-+-+-+-+
 * I:   |M| PICTURE ID  | (RECOMMENDED)
 *      +-+-+-+-+-+-+-+-+
 * M:   | EXTENDED PID  | (RECOMMENDED)
 *      +-+-+-+-+-+-+-+-+
 * L:   | TID |U| SID |D| (Conditionally RECOMMENDED)
 *      +-+-+-+-+-+-+-+-+
 *      |   TL0PICIDX   | (Conditionally REQUIRED: non-flexible mode only)
 *      +-+-+-+-+-+-+-+-+
 * P,F: | P_DIFF      |N| (Conditionally REQUIRED: flexible mode with P; N says another follows,
 *      +-+-+-+-+-+-+-+-+  up to 3)
 * V:   | SS            | (the scalability structure, read by vp9_skip_ss)
 * B starts a frame; P says the frame is predicted from an earlier picture; SID is the spatial
 * layer (0 when L is absent). */
struct vp9_descriptor {
    bool predicted, begins_frame;
    uint8_t spatial_id;
};

/* §4.2.1, the scalability structure:
 *      | N_S |Y|G|-|-|-|
 * Y:   WIDTH (16 bits), HEIGHT (16 bits), N_S + 1 times
 * G:   | N_G |, then N_G times | TID |U| R |-|-| and R P_DIFF bytes.
 * Returns the offset after it, or 0 when it runs past LEN. */
static size_t vp9_skip_ss(const uint8_t *p, size_t len, size_t off)
{
    if (off >= len)
        return 0;
    uint8_t head = p[off++];
    size_t layers = (size_t)(head >> 5) + 1;
    if (head & 0x10)
        off += 4 * layers;
    if (head & 0x08) {
        if (off >= len)
            return 0;
        size_t pictures = p[off++];
        for (size_t i = 0; i < pictures; i++) {
            if (off >= len)
                return 0;
            off += 1 + ((p[off] >> 2) & 0x03);
        }
    }
    return off <= len ? off : 0;
}

/* Reads a VP9 descriptor; false when it is cut short or leaves no payload. */
static bool vp9_parse(struct vp9_descriptor *d, const uint8_t *p, size_t len)
{
    if (len < 1)
        return false;
    uint8_t head = p[0];
    size_t off = 1;
    d->predicted = head & 0x40;
    d->begins_frame = head & 0x08;
    d->spatial_id = 0;
    if (head & 0x80) { /* I */
        if (off >= len)
            return false;
        off += (p[off] & 0x80) ? 2 : 1;
    }
    if (head & 0x20) { /* L */
        if (off >= len)
            return false;
        d->spatial_id = (p[off] >> 1) & 0x07;
        off += (head & 0x10) ? 1 : 2; /* TL0PICIDX in non-flexible mode */
    }
    if ((head & 0x10) && (head & 0x40)) { /* F and P: up to 3 P_DIFFs */
        for (int i = 0; i < 3; i++) {
            if (off >= len)
                return false;
            if (!(p[off++] & 0x01))
                break;
        }
    }
    if (head & 0x02) { /* V */
        off = vp9_skip_ss(p, len, off);
        if (!off)
            return false;
    }
    return off < len;
}

/* RFC 6184 §5.3, the NAL unit header |F|NRI| Type |, and the types that matter here. */
#define H264_NAL_IDR 5
#define H264_NAL_SPS 7
#define H264_STAP_A 24
#define H264_STAP_B 25
#define H264_FU_A 28
#define H264_FU_B 29

static bool h264_starts_keyframe(uint8_t nal_type)
{
    return nal_type == H264_NAL_IDR || nal_type == H264_NAL_SPS;
}

/* RFC 6184 §5.7.1, a STAP's aggregation units from OFF on:
 * | NALU size (16 bits) | NAL unit (that many bytes) | ...
 * True when a whole unit inside LEN is an SPS or IDR slice. */
static bool h264_stap_has_keyframe(const uint8_t *p, size_t len, size_t off)
{
    while (len - off >= 2) {
        size_t size = be16_read(p + off);
        off += 2;
        if (size == 0 || size > len - off)
            return false;
        if (h264_starts_keyframe(p[off] & 0x1f))
            return true;
        off += size;
    }
    return false;
}

/* RFC 6184 §5.8, fragmentation units: the FU indicator (a NAL header of type 28 or 29), then
 * the FU header |S|E|R| Type | (Type being the fragmented unit's), then for FU-B a 16-bit
 * decoding order number. FIRST_ONLY asks for the fragment with S=1. */
static bool h264_keyframe(const uint8_t *p, size_t len, bool first_only)
{
    if (len < 1)
        return false;
    uint8_t type = p[0] & 0x1f;
    if (type >= 1 && type <= 23)
        return h264_starts_keyframe(type);
    switch (type) {
    case H264_STAP_A:
        return h264_stap_has_keyframe(p, len, 1);
    case H264_STAP_B: /* a 16-bit decoding order number precedes the units */
        return len >= 3 && h264_stap_has_keyframe(p, len, 3);
    case H264_FU_A:
    case H264_FU_B:
        if (len < (type == H264_FU_B ? 5u : 3u))
            return false; /* the headers and at least one byte of the unit */
        if (first_only && !(p[1] & 0x80))
            return false;
        return h264_starts_keyframe(p[1] & 0x1f);
    default:
        return false; /* MTAPs (interleaved mode only) and reserved types */
    }
}

/* AV1 RTP specification §4.4, the aggregation header:
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+
 * |Z|Y| W |N|-|-|-|
 * +-+-+-+-+-+-+-+-+
 * N is set on the first packet of a coded video sequence (a keyframe with its sequence
 * header); Z says the first OBU element continues one from the previous packet, which the first
 * packet of a sequence cannot do. */
static bool av1_keyframe_start(const uint8_t *p, size_t len)
{
    return len >= 2 && (p[0] & 0x08) && !(p[0] & 0x80);
}

bool codec_is_keyframe_start(enum codec_id c, const uint8_t *payload, size_t len)
{
    if (!payload)
        return false;
    struct vp9_descriptor d;
    switch (c) {
    case CODEC_VP8:
        return vp8_keyframe_start(payload, len);
    case CODEC_VP9:
        return vp9_parse(&d, payload, len) && d.begins_frame && !d.predicted && d.spatial_id == 0;
    case CODEC_H264:
        return h264_keyframe(payload, len, true);
    case CODEC_AV1:
        return av1_keyframe_start(payload, len);
    default:
        return false;
    }
}

bool codec_is_keyframe(enum codec_id c, const uint8_t *payload, size_t len)
{
    if (!payload)
        return false;
    struct vp9_descriptor d;
    switch (c) {
    case CODEC_VP9:
        return vp9_parse(&d, payload, len) && !d.predicted && d.spatial_id == 0;
    case CODEC_H264:
        return h264_keyframe(payload, len, false);
    default:
        return codec_is_keyframe_start(c, payload, len);
    }
}
