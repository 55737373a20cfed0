/* codec: what the SFU must know about each codec's RTP payloads (keyframes), without decoding. */
#ifndef ONAIR_PROTO_CODEC_H
#define ONAIR_PROTO_CODEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum codec_id {
    CODEC_UNKNOWN = 0,
    CODEC_OPUS,
    CODEC_VP8,
    CODEC_VP9,
    CODEC_H264,
    CODEC_AV1,
};

/* The codec an SDP rtpmap encoding name denotes ("opus", "VP8", "VP9", "H264", "AV1", in any
 * case; "AV1X", the name Chromium used before the RTP spec was final, is AV1 too), or
 * CODEC_UNKNOWN (NULL included). */
enum codec_id codec_from_name(const char *name);
/* The encoding name as SDP spells it ("opus", "VP8", ...); "unknown" for CODEC_UNKNOWN. */
const char *codec_name(enum codec_id c);
bool codec_is_video(enum codec_id c);
/* The RTP clock rate: 48000 for Opus (RFC 7587 §4.1), 90000 for video; 0 when unknown. */
uint32_t codec_clock_rate(enum codec_id c);

/* True when an RTP packet with this PAYLOAD begins a keyframe, where a viewer can start
 * decoding: VP8 (RFC 7741 §4.2, §4.3): start of partition 0 of a key frame; VP9 (RFC 9628
 * §4.2): start of a frame in spatial layer 0 not predicted from an earlier picture; H.264
 * (RFC 6184): an SPS or IDR slice at the start (single NAL unit, aggregated in a STAP, or the
 * first fragment of an FU); AV1 (AV1 RTP spec §4.4): the N bit, first packet of a coded video
 * sequence. Opus and unknown codecs: never (audio needs no keyframe). Any bytes are safe. */
bool codec_is_keyframe_start(enum codec_id c, const uint8_t *payload, size_t len);

/* True when the packet belongs to a keyframe, where the format says so on every packet: VP9
 * (P=0 in layer 0) and H.264 (also FU fragments after the first of an IDR). For VP8 and AV1,
 * whose later packets do not tell, the same as codec_is_keyframe_start. */
bool codec_is_keyframe(enum codec_id c, const uint8_t *payload, size_t len);

#endif
