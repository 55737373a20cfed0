/* vp8_ids: reading and rewriting a VP8 payload descriptor's picture ID and TL0PICIDX. */
#include "proto/vp8_ids.h"

/*       0 1 2 3 4 5 6 7
 *      +-+-+-+-+-+-+-+-+
 *      |X|R|N|S|R| PID | (REQUIRED)
 *      +-+-+-+-+-+-+-+-+
 * X:   |I|L|T|K| RSV   | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+
 * I:   |M| PictureID   | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+
 * M:   |   PictureID   | (the low 8 bits of a 15-bit picture ID)
 *      +-+-+-+-+-+-+-+-+
 * L:   |   TL0PICIDX   | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+ */
int vp8_ids_parse(struct vp8_ids *out, const uint8_t *p, size_t len, const char **why)
{
    *out = (struct vp8_ids){0};
    if (len < 1) {
        *why = "a VP8 payload needs its descriptor";
        return -1;
    }
    if (!(p[0] & 0x80))
        return 0;
    if (len < 2) {
        *why = "the VP8 descriptor ends before its X byte";
        return -1;
    }
    uint8_t x = p[1];
    size_t off = 2;
    if (x & 0x80) {
        if (off >= len) {
            *why = "the VP8 descriptor ends before its picture ID";
            return -1;
        }
        out->has_picture_id = true;
        out->picture_id_at = off;
        out->long_picture_id = p[off] & 0x80;
        if (out->long_picture_id) {
            if (off + 1 >= len) {
                *why = "the VP8 descriptor ends inside its picture ID";
                return -1;
            }
            out->picture_id = (uint16_t)((p[off] & 0x7f) << 8 | p[off + 1]);
            off += 2;
        } else {
            out->picture_id = p[off] & 0x7f;
            off += 1;
        }
    }
    if (x & 0x40) {
        if (off >= len) {
            *why = "the VP8 descriptor ends before its TL0PICIDX";
            return -1;
        }
        out->has_tl0 = true;
        out->tl0_at = off;
        out->tl0_pic_idx = p[off];
    }
    return 0;
}

void vp8_ids_write(uint8_t *p, const struct vp8_ids *ids)
{
    if (ids->has_picture_id) {
        uint8_t *at = p + ids->picture_id_at;
        if (ids->long_picture_id) {
            at[0] = (uint8_t)(0x80 | (ids->picture_id >> 8 & 0x7f));
            at[1] = (uint8_t)ids->picture_id;
        } else {
            at[0] = (uint8_t)(ids->picture_id & 0x7f);
        }
    }
    if (ids->has_tl0)
        p[ids->tl0_at] = ids->tl0_pic_idx;
}
