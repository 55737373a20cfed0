/* rfc4571: RTP, RTCP, STUN and DTLS over TCP for ICE-TCP (RFC 6544 §3): each packet behind a
 * 16-bit big-endian length (RFC 4571 §2). A pure reader that cuts a byte stream into frames. */
#ifndef ONAIR_PROTO_RFC4571_H
#define ONAIR_PROTO_RFC4571_H
#include <stddef.h>
#include <stdint.h>

/* The largest frame accepted: WebRTC's packets stay under the path MTU; a peer announcing more
 * is not speaking ICE-TCP, and its connection is closed. */
#define RFC4571_MAX_FRAME 4096

struct rfc4571_reader {
    uint8_t frame[RFC4571_MAX_FRAME];
    uint8_t header[2];
    size_t have_header; /* 0..2 bytes of the length read */
    size_t need;        /* the current frame's length, once the header is whole */
    size_t have;        /* bytes of the current frame read */
};

typedef void (*rfc4571_frame_cb)(void *opaque, const uint8_t *frame, size_t len);

void rfc4571_reader_init(struct rfc4571_reader *r);
/* Feeds P[0..LEN) of the stream: ON_FRAME is called for each whole frame, in order (zero-length
 * frames are skipped). Returns 0, or -1 with *WHY when a length is over RFC4571_MAX_FRAME: the
 * stream cannot be trusted after that. */
int rfc4571_feed(struct rfc4571_reader *r, const uint8_t *p, size_t len, rfc4571_frame_cb on_frame,
                 void *opaque, const char **why);
/* Writes the 2-byte length of a LEN-byte frame into OUT. Returns -1 when LEN is over 65535. */
int rfc4571_header(uint8_t out[2], size_t len);

#endif
