/* av1_packetize: the sending side of the AV1 RTP format (the receiving side is in
 * depacketize.c). */
#include "app/av1_packetize.h"

#include <string.h>

#include "base/leb128.h"

enum { OBU_SEQUENCE_HEADER = 1, OBU_TEMPORAL_DELIMITER = 2, OBU_TILE_LIST = 8, OBU_PADDING = 15 };

struct obu {
    uint8_t header[2]; /* with obu_has_size_field cleared */
    size_t header_len;
    const uint8_t *payload;
    size_t payload_len;
};

/* The next OBU at *OFF; returns 1, 0 at the end, -1 when malformed. */
static int next_obu(const uint8_t *tu, size_t len, size_t *off, struct obu *o)
{
    if (*off >= len)
        return 0;
    uint8_t h = tu[(*off)++];
    if (h & 0x80)
        return -1; /* obu_forbidden_bit */
    o->header[0] = h & (uint8_t)~0x02;
    o->header_len = 1;
    if (h & 0x04) {
        if (*off >= len)
            return -1;
        o->header[1] = tu[(*off)++];
        o->header_len = 2;
    }
    uint64_t size = len - *off;
    if ((h & 0x02) && (leb128_read(tu, len, off, &size) < 0 || size > len - *off))
        return -1;
    o->payload = tu + *off;
    o->payload_len = (size_t)size;
    *off += (size_t)size;
    return 1;
}

struct packer {
    uint8_t buf[2048];
    size_t len, max;
    bool continues_first; /* Z: the first element continues the last packet's */
    bool sequence_start;  /* N, for the first packet only */
    int count;
    void (*emit)(void *, const uint8_t *, size_t, bool);
    void *opaque;
};

static void flush(struct packer *p, bool element_continues, bool last)
{
    p->buf[0] = (uint8_t)((p->continues_first ? 0x80 : 0) | (element_continues ? 0x40 : 0) |
                          (p->sequence_start && p->count == 0 ? 0x08 : 0));
    p->emit(p->opaque, p->buf, p->len, last);
    p->count++;
    p->len = 1;
    p->continues_first = element_continues;
}

/* Appends one OBU element (header and payload), splitting it over packets as room runs out. */
static void add_element(struct packer *p, const struct obu *o)
{
    size_t total = o->header_len + o->payload_len, done = 0;
    while (done < total) {
        size_t room = p->max - p->len;
        if (room < 2) {
            flush(p, false, false);
            continue;
        }
        size_t chunk = total - done;
        if (leb128_size(chunk) + chunk > room)
            chunk = room - leb128_size(room);
        if (chunk == 0) {
            flush(p, false, false);
            continue;
        }
        p->len += leb128_write(p->buf + p->len, chunk);
        for (size_t i = 0; i < chunk; i++) {
            size_t at = done + i;
            p->buf[p->len++] = at < o->header_len ? o->header[at] : o->payload[at - o->header_len];
        }
        done += chunk;
        if (done < total)
            flush(p, true, false);
    }
}

int av1_packetize(const uint8_t *tu, size_t len, size_t max_payload,
                  void (*emit)(void *opaque, const uint8_t *payload, size_t len, bool last),
                  void *opaque)
{
    if (max_payload < AV1_PACKETIZE_MIN_PAYLOAD)
        return -1;
    /* Check the whole unit first, so that a malformed one emits nothing. */
    struct obu o;
    size_t off = 0;
    int rc;
    bool any = false, sequence = false;
    while ((rc = next_obu(tu, len, &off, &o)) > 0) {
        int type = (o.header[0] >> 3) & 0x0f;
        if (type == OBU_TEMPORAL_DELIMITER || type == OBU_TILE_LIST || type == OBU_PADDING)
            continue;
        any = true;
        sequence = sequence || type == OBU_SEQUENCE_HEADER;
    }
    if (rc < 0)
        return -1;
    if (!any)
        return 0;
    struct packer p = {.len = 1, .max = max_payload < 2048 ? max_payload : 2048,
                       .sequence_start = sequence, .emit = emit, .opaque = opaque};
    off = 0;
    while (next_obu(tu, len, &off, &o) > 0) {
        int type = (o.header[0] >> 3) & 0x0f;
        if (type != OBU_TEMPORAL_DELIMITER && type != OBU_TILE_LIST && type != OBU_PADDING)
            add_element(&p, &o);
    }
    if (p.len > 1)
        flush(&p, false, true);
    return p.count;
}
