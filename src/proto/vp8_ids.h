/* vp8_ids: the picture ID and TL0PICIDX of a VP8 RTP payload descriptor (RFC 7741 §4.2), read
 * and rewritten in place.
 *
 * A receiver orders VP8 frames by picture ID, and temporal layers by TL0PICIDX: Chromium drops a
 * frame whose picture ID is older than the last one it decoded, so a viewer moved to another
 * simulcast layer (each numbered on its own) or to a reconnected publisher can stall on frames
 * it takes for old ones until it asks for a keyframe. An SFU renumbers them per viewer so that
 * they continue across such a move. */
#ifndef ONAIR_PROTO_VP8_IDS_H
#define ONAIR_PROTO_VP8_IDS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vp8_ids {
    bool has_picture_id;
    bool long_picture_id; /* 15 bits (M set); 7 otherwise */
    uint16_t picture_id;
    bool has_tl0;
    uint8_t tl0_pic_idx;
    size_t picture_id_at, tl0_at; /* their offsets in the payload */
};

/* Reads the descriptor at the start of a VP8 payload P[0..LEN). Returns 0, or -1 with *WHY set
 * when LEN ends inside it. A descriptor without the fields has them false. */
int vp8_ids_parse(struct vp8_ids *out, const uint8_t *p, size_t len, const char **why);
/* Writes IDS's picture ID (in the width it was read with: the value is masked) and TL0PICIDX
 * into the payload P they were read from. */
void vp8_ids_write(uint8_t *p, const struct vp8_ids *ids);
/* The largest picture ID of IDS's width, plus one: what picture IDs wrap at. */
static inline uint16_t vp8_picture_id_span(const struct vp8_ids *ids)
{
    return ids->long_picture_id ? 0x8000 : 0x80;
}
#endif
