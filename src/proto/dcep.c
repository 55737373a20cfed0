/* dcep: decoding and encoding of DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK (RFC 8832 §5). */
#include "proto/dcep.h"

#include <string.h>

#include "base/bytes.h"

int dcep_message_type(const uint8_t *p, size_t len)
{
    return len ? p[0] : -1;
}

bool dcep_channel_type_valid(uint8_t channel_type)
{
    switch (channel_type) {
    case DCEP_CHANNEL_RELIABLE:
    case DCEP_CHANNEL_RELIABLE_UNORDERED:
    case DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT:
    case DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED:
    case DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED:
    case DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED_UNORDERED:
        return true;
    default:
        return false;
    }
}

bool dcep_channel_ordered(uint8_t channel_type)
{
    return !(channel_type & DCEP_CHANNEL_UNORDERED_BIT);
}

/* RFC 8832 §5.1, DATA_CHANNEL_OPEN:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Message Type |  Channel Type |            Priority           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Reliability Parameter                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Label Length          |       Protocol Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * \                                                               /
 * |                             Label                             |
 * /                                                               \
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * \                                                               /
 * |                            Protocol                           |
 * /                                                               \
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The label and protocol are not padded; SCTP delimits the message, so anything after the
 * protocol is an error rather than something to skip. */
ssize_t dcep_decode_open(struct dcep_open *out, const uint8_t *p, size_t len, const char **why)
{
    if (len < DCEP_OPEN_HEADER_SIZE) {
        *why = "DATA_CHANNEL_OPEN shorter than its 12-byte header";
        return -1;
    }
    if (p[0] != DCEP_MSG_OPEN) {
        *why = "not a DATA_CHANNEL_OPEN message";
        return -1;
    }
    if (!dcep_channel_type_valid(p[1])) {
        *why = "unknown data channel type";
        return -1;
    }
    size_t label_len = be16_read(p + 8), protocol_len = be16_read(p + 10);
    size_t body = len - DCEP_OPEN_HEADER_SIZE;
    if (label_len > body || protocol_len > body - label_len) {
        *why = "label or protocol length runs past the message";
        return -1;
    }
    if (label_len + protocol_len != body) {
        *why = "bytes after the protocol";
        return -1;
    }
    out->channel_type = p[1];
    out->priority = be16_read(p + 2);
    out->reliability = be32_read(p + 4);
    out->label = (const char *)p + DCEP_OPEN_HEADER_SIZE;
    out->label_len = label_len;
    out->protocol = out->label + label_len;
    out->protocol_len = protocol_len;
    return (ssize_t)len;
}

/* RFC 8832 §5.2: DATA_CHANNEL_ACK is the message type byte alone. */
ssize_t dcep_decode_ack(const uint8_t *p, size_t len, const char **why)
{
    if (len == 0 || p[0] != DCEP_MSG_ACK) {
        *why = "not a DATA_CHANNEL_ACK message";
        return -1;
    }
    if (len != 1) {
        *why = "DATA_CHANNEL_ACK longer than one byte";
        return -1;
    }
    return 1;
}

size_t dcep_open_size(const struct dcep_open *open)
{
    if (open->label_len > UINT16_MAX || open->protocol_len > UINT16_MAX)
        return 0;
    return DCEP_OPEN_HEADER_SIZE + open->label_len + open->protocol_len;
}

ssize_t dcep_encode_open(uint8_t *buf, size_t cap, const struct dcep_open *open)
{
    size_t size = dcep_open_size(open);
    if (size == 0 || size > cap || !dcep_channel_type_valid(open->channel_type))
        return -1;
    uint8_t *w = buf;
    *w++ = DCEP_MSG_OPEN;
    *w++ = open->channel_type;
    w = be16_write(w, open->priority);
    w = be32_write(w, open->reliability);
    w = be16_write(w, (uint16_t)open->label_len);
    w = be16_write(w, (uint16_t)open->protocol_len);
    if (open->label_len)
        memcpy(w, open->label, open->label_len);
    w += open->label_len;
    if (open->protocol_len)
        memcpy(w, open->protocol, open->protocol_len);
    w += open->protocol_len;
    return w - buf;
}

ssize_t dcep_encode_ack(uint8_t *buf, size_t cap)
{
    if (cap < 1)
        return -1;
    buf[0] = DCEP_MSG_ACK;
    return 1;
}
