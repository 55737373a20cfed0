/* depacketize: RTP packets of one track back into whole frames (the receiving side of RFC 7587
 * Opus, RFC 7741 VP8, the VP9 payload format, RFC 6184 H.264, which comes out as Annex B, and
 * the AV1 RTP payload format, which comes out as OBUs with size fields, one temporal unit a
 * frame, as Matroska and MP4 carry them),
 * behind a small reorder window that names the gaps to NACK. No I/O: the caller hands in
 * packets and the time, and pulls frames and NACK lists. */
#ifndef ONAIR_APP_DEPACKETIZE_H
#define ONAIR_APP_DEPACKETIZE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum depack_codec { DEPACK_OPUS, DEPACK_VP8, DEPACK_VP9, DEPACK_H264, DEPACK_AV1 };

/* Packets held in the reorder window, and how long a gap is waited for before it is given up. */
#define DEPACK_WINDOW 512
#define DEPACK_WAIT_MS 300
/* A gap is NACKed once when seen and again after this long if still missing. */
#define DEPACK_NACK_RETRY_MS 100
/* The largest frame assembled (a 4K keyframe); larger ones are dropped. */
#define DEPACK_MAX_FRAME (4 * 1024 * 1024)

struct depack_frame {
    const uint8_t *data; /* valid until the next depack_ call */
    size_t len;
    uint32_t timestamp; /* RTP timestamp */
    bool keyframe;      /* always true for audio */
};

struct depack_stats {
    uint64_t packets, duplicates, lost, frames, frames_dropped;
};

struct depacketizer;

/* Makes a depacketizer for CODEC. Free with depack_free. */
struct depacketizer *depack_new(enum depack_codec codec);
/* Frees it; NULL is a no-op. */
void depack_free(struct depacketizer *d);

/* The codec for an SDP encoding name ("opus", "VP8", "VP9", "H264", "AV1", any case); -1 if
 * none. */
int depack_codec_from_name(const char *name);

/* Hands in one plaintext RTP packet (copied) received at NOW_MS. Returns 0, or -1 when it does
 * not parse or is a duplicate or too old. */
int depack_push(struct depacketizer *d, const uint8_t *rtp, size_t len, uint64_t now_ms);

/* Takes the next complete frame in order into *OUT: returns 1, or 0 when none is ready. Gaps
 * older than DEPACK_WAIT_MS are given up here: the frames they touch are dropped, and for
 * video everything up to the next keyframe (see depack_want_keyframe). */
int depack_pop(struct depacketizer *d, uint64_t now_ms, struct depack_frame *out);

/* Writes into LOST[0..MAX) the missing sequence numbers due for a NACK at NOW_MS (new gaps,
 * and gaps NACKed more than DEPACK_NACK_RETRY_MS ago), and returns how many. */
size_t depack_missing(struct depacketizer *d, uint64_t now_ms, uint16_t *lost, size_t max);

/* True once after the decoder lost its reference (a gap was given up, or the first frame was
 * not a keyframe): the caller sends a PLI. Video only. */
bool depack_want_keyframe(struct depacketizer *d);

void depack_stats(const struct depacketizer *d, struct depack_stats *out);

/* VP8 keyframe dimensions from the start of a frame (RFC 6386 §9.1). Returns 0, or -1 when FRAME
 * is not a keyframe. */
int depack_vp8_size(const uint8_t *frame, size_t len, int *width, int *height);

/* The AV1 sequence header OBU in a depacketized AV1 frame (OBUs with size fields), for a
 * container's codec private data: sets *OBU and *LEN and returns 0, or -1 when there is none. */
int depack_av1_sequence_header(const uint8_t *frame, size_t len, const uint8_t **obu,
                               size_t *obu_len);

#endif
