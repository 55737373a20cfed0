/* dcep: the WebRTC Data Channel Establishment Protocol messages (RFC 8832) and the payload
 * protocol identifiers of RFC 8831 §8. */
#ifndef ONAIR_PROTO_DCEP_H
#define ONAIR_PROTO_DCEP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* SCTP payload protocol identifiers (RFC 8831 §8, RFC 8832 §8.1). 52 and 54 are the deprecated
 * partial binary and string PPIDs; they are listed only so a decoder can recognise them. */
#define DCEP_PPID_CONTROL 50
#define DCEP_PPID_STRING 51
#define DCEP_PPID_BINARY_PARTIAL 52
#define DCEP_PPID_BINARY 53
#define DCEP_PPID_STRING_PARTIAL 54
#define DCEP_PPID_STRING_EMPTY 56
#define DCEP_PPID_BINARY_EMPTY 57

/* Message types (RFC 8832 §8.2.1). */
#define DCEP_MSG_ACK 0x02
#define DCEP_MSG_OPEN 0x03

/* Channel types (RFC 8832 §5.1): the high bit means unordered; the low bits say whether the
 * reliability parameter is unused, a number of retransmissions, or a lifetime in ms. */
enum dcep_channel_type {
    DCEP_CHANNEL_RELIABLE = 0x00,
    DCEP_CHANNEL_RELIABLE_UNORDERED = 0x80,
    DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT = 0x01,
    DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED = 0x81,
    DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED = 0x02,
    DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED_UNORDERED = 0x82,
};
#define DCEP_CHANNEL_UNORDERED_BIT 0x80

/* Suggested priorities (RFC 8832 §5.1, from RFC 8831 §6.4). */
#define DCEP_PRIORITY_BELOW_NORMAL 128
#define DCEP_PRIORITY_NORMAL 256
#define DCEP_PRIORITY_HIGH 512
#define DCEP_PRIORITY_EXTRA_HIGH 1024

/* The fixed part of DATA_CHANNEL_OPEN, before the label and protocol. */
#define DCEP_OPEN_HEADER_SIZE 12

/* A DATA_CHANNEL_OPEN message. From dcep_decode_open, label and protocol point into the decoded
 * buffer (not NUL-terminated, valid as long as it is); for dcep_encode_open the caller points
 * them at its own bytes. A NULL pointer with length 0 is an empty string. */
struct dcep_open {
    uint8_t channel_type; /* an enum dcep_channel_type value */
    uint16_t priority;
    uint32_t reliability; /* retransmissions or lifetime in ms; 0 for reliable channels */
    const char *label;
    size_t label_len;
    const char *protocol;
    size_t protocol_len;
};

/* The message type (first byte) of a DCEP message, or -1 when LEN is 0. */
int dcep_message_type(const uint8_t *p, size_t len);

/* True for the six channel types RFC 8832 defines. */
bool dcep_channel_type_valid(uint8_t channel_type);
/* True unless the unordered bit is set. */
bool dcep_channel_ordered(uint8_t channel_type);

/* Decodes a DATA_CHANNEL_OPEN message that must fill P[0..LEN) exactly: the type byte, a known
 * channel type, and a label and protocol whose lengths stay inside the message (RFC 8832 §5.1).
 * Returns the bytes consumed (LEN), or -1 with *WHY set to a short static reason. */
ssize_t dcep_decode_open(struct dcep_open *out, const uint8_t *p, size_t len, const char **why);
/* Checks a DATA_CHANNEL_ACK message (RFC 8832 §5.2): exactly the one type byte. Returns 1, or
 * -1 with *WHY set. */
ssize_t dcep_decode_ack(const uint8_t *p, size_t len, const char **why);

/* The size of OPEN encoded, or 0 when a length does not fit its 16-bit field. */
size_t dcep_open_size(const struct dcep_open *open);
/* Writes OPEN into BUF[0..CAP); returns the bytes written, or -1 when it does not fit or the
 * channel type or a length is invalid. */
ssize_t dcep_encode_open(uint8_t *buf, size_t cap, const struct dcep_open *open);
/* Writes a DATA_CHANNEL_ACK into BUF[0..CAP); returns 1, or -1 when CAP is 0. */
ssize_t dcep_encode_ack(uint8_t *buf, size_t cap);

#endif
