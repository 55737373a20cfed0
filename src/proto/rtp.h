/* rtp: RTP packet view, header extensions, the per-viewer rewrite, RTX and sequence numbers. */
#ifndef ONAIR_PROTO_RTP_H
#define ONAIR_PROTO_RTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_SIZE 12
/* RFC 8285 §4.2: the one-byte form carries ids 1..14 and 1..16 data bytes per element. */
#define RTP_EXT_ONE_BYTE_PROFILE 0xBEDE
#define RTP_EXT_ONE_BYTE_MAX_ID 14
#define RTP_EXT_ONE_BYTE_MAX_LEN 16
/* RFC 8285 §4.3: the two-byte form's profile is 0x100 followed by 4 application bits. */
#define RTP_EXT_TWO_BYTE_PROFILE 0x1000
#define RTP_EXT_TWO_BYTE_MASK 0xFFF0

/* RFC 5761 §4: RTCP when the second byte, marker bit masked off, is 64..95 (RTCP packet types
 * 192..223), with version 2 and at least an RTCP header. */
bool rtp_is_rtcp(const uint8_t *p, size_t len);
/* RFC 7983 §7: the first byte of RTP and RTCP is 128..191. */
bool rtp_is_rtp_or_rtcp(const uint8_t *p, size_t len);

/* A parsed RTP packet. Pointers point into the parsed buffer and are valid as long as it is. */
struct rtp_view {
    uint8_t payload_type;
    bool marker;
    uint16_t seq;
    uint32_t timestamp, ssrc;
    uint8_t csrc_count;
    const uint8_t *csrc; /* csrc_count big-endian 32-bit CSRCs */
    bool has_ext;        /* the X bit: ext_profile and ext are meaningful */
    uint16_t ext_profile;
    const uint8_t *ext; /* the extension's data after its 4-byte header */
    size_t ext_len;     /* a multiple of 4 */
    const uint8_t *payload;
    size_t payload_len; /* without padding */
    uint8_t padding_len;
    size_t header_len; /* fixed header, CSRCs and extension block */
};

/* Parses one RTP packet P[0..LEN) (RFC 3550 §5.1, RFC 8285 §4.1). Returns 0, or -1 with *why
 * set to a static sentence. The extension's elements are not checked here; rtp_ext_next does
 * that as it walks them. */
int rtp_parse(struct rtp_view *out, const uint8_t *p, size_t len, const char **why);

/* Walks the elements of a one-byte (0xBEDE) or two-byte (0x100X) header extension. */
struct rtp_ext_iter {
    const uint8_t *p, *end;
    bool two_byte;
};

/* Starts a walk over V's header extension; an absent extension or one in another profile
 * yields no element. */
void rtp_ext_iter_init(struct rtp_ext_iter *it, const struct rtp_view *v);
/* The next element: returns 1 and sets *id (1..14 or 1..255), *data and *len (pointing into
 * the packet); 0 at the end; -1 when an element runs past the block (the walk then ends).
 * Padding bytes are skipped, and an id of 15 in the one-byte form ends the walk (RFC 8285
 * §4.2). A two-byte element may have no data. */
int rtp_ext_next(struct rtp_ext_iter *it, uint8_t *id, const uint8_t **data, size_t *len);
/* The data of the first element with id ID, or NULL. */
const uint8_t *rtp_ext_find(const struct rtp_view *v, uint8_t id, size_t *len);

/* How rtp_rewrite turns a publisher's packet into a viewer's. */
struct rtp_rewrite {
    uint32_t ssrc;
    uint8_t payload_type;
    uint16_t seq;
    uint32_t timestamp;
    /* Source extension id -> the viewer's id (1..14), 0 to drop the element. */
    uint8_t ext_map[256];
    /* When mid_id is 1..14 and mid_len 1..16, MID (not NUL-terminated) is written as that
     * extension, and any element the map sends to mid_id is dropped. */
    uint8_t mid_id;
    const char *mid;
    uint8_t mid_len;
    /* RTP padding bytes to append (RFC 3550 §5.1: the last holds their count), 0 for none. */
    uint8_t padding;
};

/* Writes SRC rewritten by RW into DST[0..CAP) and returns its size, or 0 when CAP is too
 * small. The marker, CSRCs and payload are kept; SRC's padding is dropped and RW's added;
 * extension elements are renumbered through the map and always written in the one-byte form,
 * leaving out those that do not fit it (empty or longer than 16 bytes); the block is left out
 * when nothing is in it. DST must not overlap the source packet. */
size_t rtp_rewrite(uint8_t *dst, size_t cap, const struct rtp_view *src,
                   const struct rtp_rewrite *rw);

/* The retransmission of SRC as RFC 4588 §4 packs it: like rtp_rewrite with RW holding the RTX
 * stream's SSRC, payload type and sequence number, and the payload preceded by the original
 * sequence number ORIGINAL_SEQ (as the viewer knew the packet). Returns its size or 0. */
size_t rtp_rtx_wrap(uint8_t *dst, size_t cap, const struct rtp_view *src,
                    const struct rtp_rewrite *rw, uint16_t original_seq);

/* The reverse, without copying: makes *OUT a view of the original packet inside the RTX packet
 * RTX, with the original sequence number from its payload and the SSRC and payload type of the
 * stream it repairs (MEDIA_SSRC, MEDIA_PT, known from the SDP's ssrc-group and apt). Returns 0,
 * or -1 with *why set when the payload is too short to hold the original sequence number.
 * rtp_rewrite makes bytes of *OUT. */
int rtp_rtx_unwrap(struct rtp_view *out, const struct rtp_view *rtx, uint32_t media_ssrc,
                   uint8_t media_pt, const char **why);

/* A - B in sequence number space: positive when A is newer than B (RFC 3550 §A.1). */
static inline int16_t rtp_seq_diff(uint16_t a, uint16_t b)
{
    return (int16_t)(uint16_t)(a - b);
}
/* True when A comes after B, within half the sequence space. */
static inline bool rtp_seq_newer(uint16_t a, uint16_t b)
{
    return rtp_seq_diff(a, b) > 0;
}

/* RFC 3550 §A.1: a source further ahead than this is presumed to have restarted, and a packet
 * further behind than RTP_SEQ_MAX_MISORDER is not a late one of the current run. */
#define RTP_SEQ_MAX_DROPOUT 3000
#define RTP_SEQ_MAX_MISORDER 100

enum rtp_seq_status {
    RTP_SEQ_NEW,       /* newer than all before it (or the first); others may be skipped */
    RTP_SEQ_LATE,      /* older than the newest and not seen before: reordered or repaired */
    RTP_SEQ_DUPLICATE, /* seen already */
    RTP_SEQ_JUMP,      /* far from the run: ignored, unless the next packet follows it */
    RTP_SEQ_RESTART,   /* followed a jump: the tracker started over from it */
};

/* Extended sequence numbers and receive counts of one source (RFC 3550 §A.1, §A.3), with a
 * record of the last 128 sequence numbers to tell late packets from duplicates. Zero it (or
 * call rtp_seq_init) before the first packet. */
struct rtp_seq_tracker {
    bool started;
    uint16_t max_seq;  /* highest sequence number seen */
    uint32_t cycles;   /* wraps of the sequence number, times 65536 */
    uint32_t base_seq; /* the first sequence number */
    uint32_t bad_seq;  /* after a jump: the number that would confirm it; 65536+ = none */
    uint64_t received; /* packets counted (new, late and the restart's first) */
    uint64_t seen[2];  /* bit (seq & 127): received, for the 128 numbers up to max_seq */
};

void rtp_seq_init(struct rtp_seq_tracker *t);
/* Feeds one packet's sequence number. For RTP_SEQ_NEW, *FIRST_SKIPPED and *N_SKIPPED (either
 * may be NULL) tell the run of numbers jumped over (the ones to NACK); otherwise *N_SKIPPED is
 * 0. Only RTP_SEQ_NEW, RTP_SEQ_LATE and RTP_SEQ_RESTART count as received. */
enum rtp_seq_status rtp_seq_update(struct rtp_seq_tracker *t, uint16_t seq, uint16_t *first_skipped,
                                   uint16_t *n_skipped);
/* The highest extended sequence number (cycles + max_seq). */
static inline uint32_t rtp_seq_extended_max(const struct rtp_seq_tracker *t)
{
    return t->cycles + t->max_seq;
}
/* Packets expected so far (RFC 3550 §A.3), and how many of them were lost (negative when
 * duplicates were counted, which this tracker does not do, or after a restart). */
uint64_t rtp_seq_expected(const struct rtp_seq_tracker *t);
int64_t rtp_seq_lost(const struct rtp_seq_tracker *t);

#endif
