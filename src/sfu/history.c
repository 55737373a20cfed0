/* history: a ring indexed by the low bits of the sequence number; each slot remembers the full
 * sequence number so a lookup never returns a packet from an older lap of the ring. */
#include "sfu/history.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

struct history_slot {
    uint16_t seq;
    uint16_t len; /* 0: empty */
    uint8_t data[HISTORY_PACKET_MAX];
};

struct history {
    struct history_slot slots[HISTORY_SLOTS];
};

void history_clear(struct history *h)
{
    for (size_t i = 0; i < HISTORY_SLOTS; i++)
        h->slots[i].len = 0;
}

struct history *history_new(void)
{
    struct history *h = xmalloc(sizeof *h);
    history_clear(h);
    return h;
}

void history_free(struct history *h) { free(h); }

int history_put(struct history *h, uint16_t seq, const uint8_t *pkt, size_t len)
{
    if (len == 0 || len > HISTORY_PACKET_MAX)
        return 0;
    struct history_slot *s = &h->slots[seq % HISTORY_SLOTS];
    if (s->len && s->seq == seq)
        return 1;
    s->seq = seq;
    s->len = (uint16_t)len;
    memcpy(s->data, pkt, len);
    return 0;
}

const uint8_t *history_get(const struct history *h, uint16_t seq, size_t *len)
{
    const struct history_slot *s = &h->slots[seq % HISTORY_SLOTS];
    if (!s->len || s->seq != seq)
        return NULL;
    *len = s->len;
    return s->data;
}
