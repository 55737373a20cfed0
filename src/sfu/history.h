/* history: the last packets of a publisher's track, kept by sequence number so viewers' NACKs
 * can be answered without asking the publisher again. */
#ifndef ONAIR_SFU_HISTORY_H
#define ONAIR_SFU_HISTORY_H
#include <stddef.h>
#include <stdint.h>

/* 1024 slots hold over a second of video up to about 10 Mb/s of 1,200-byte packets. */
#define HISTORY_SLOTS 1024
#define HISTORY_PACKET_MAX 1500

struct history;

struct history *history_new(void);
void history_free(struct history *h);
/* Forgets every packet: the track's numbering starts anew (a simulcast layer switch). */
void history_clear(struct history *h);
/* Stores a plaintext RTP packet under its sequence number, replacing whatever the slot held.
 * Returns 1 if the packet was already stored (a duplicate), 0 otherwise. */
int history_put(struct history *h, uint16_t seq, const uint8_t *pkt, size_t len);
/* The stored packet with this sequence number, or NULL (never stored, or overwritten). The
 * pointer is valid until the next history_put. */
const uint8_t *history_get(const struct history *h, uint16_t seq, size_t *len);

#endif
