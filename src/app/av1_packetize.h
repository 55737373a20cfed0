/* av1_packetize: one AV1 temporal unit, as containers hold it (OBUs with size fields), into the
 * payloads of the AV1 RTP payload format (aomedia.org AV1 RTP spec §4): an aggregation header,
 * then OBU elements each behind a LEB128 length (W=0), an OBU longer than a packet split across
 * packets (Y, then Z), size fields dropped, temporal delimiters, tile lists and padding left
 * out, N set on the first packet of a temporal unit that starts a coded video sequence. FFmpeg
 * before 7 has no AV1 RTP muxer, so onair publish packetizes AV1 itself. Pure. */
#ifndef ONAIR_APP_AV1_PACKETIZE_H
#define ONAIR_APP_AV1_PACKETIZE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AV1_PACKETIZE_MIN_PAYLOAD 8

/* Calls EMIT once per RTP payload (at most MAX_PAYLOAD bytes; LAST on the temporal unit's last
 * one, which gets the RTP marker). Returns the number of payloads, 0 when the unit holds no OBU
 * worth sending, or -1 when it is malformed (nothing is emitted then). */
int av1_packetize(const uint8_t *tu, size_t len, size_t max_payload,
                  void (*emit)(void *opaque, const uint8_t *payload, size_t len, bool last),
                  void *opaque);

#endif
