/* rfc4571: length-prefixed framing (RFC 4571 §2):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   ---------------------------------------------------------------
 *   |             LENGTH            |  RTP or RTCP packet ...       |
 *   ---------------------------------------------------------------
 */
#include "proto/rfc4571.h"

#include <string.h>

#include "base/bytes.h"

void rfc4571_reader_init(struct rfc4571_reader *r)
{
    r->have_header = r->need = r->have = 0;
}

int rfc4571_feed(struct rfc4571_reader *r, const uint8_t *p, size_t len, rfc4571_frame_cb on_frame,
                 void *opaque, const char **why)
{
    while (len) {
        if (r->have_header < 2) {
            r->header[r->have_header++] = *p++;
            len--;
            if (r->have_header < 2)
                continue;
            r->need = be16_read(r->header);
            r->have = 0;
            if (r->need > RFC4571_MAX_FRAME) {
                *why = "a frame longer than 4096 bytes";
                return -1;
            }
            if (r->need == 0)
                r->have_header = 0;
            continue;
        }
        size_t take = r->need - r->have;
        if (take > len)
            take = len;
        memcpy(r->frame + r->have, p, take);
        r->have += take;
        p += take;
        len -= take;
        if (r->have == r->need) {
            r->have_header = 0;
            on_frame(opaque, r->frame, r->need);
        }
    }
    return 0;
}

int rfc4571_header(uint8_t out[2], size_t len)
{
    if (len > 0xffff)
        return -1;
    be16_write(out, (uint16_t)len);
    return 0;
}
