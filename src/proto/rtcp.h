/* rtcp: compound RTCP iteration, decoders and encoders for the reports and feedback an SFU uses. */
#ifndef ONAIR_PROTO_RTCP_H
#define ONAIR_PROTO_RTCP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Packet types (RFC 3550 §12.1, RFC 4585 §6.1). */
#define RTCP_SR 200
#define RTCP_RR 201
#define RTCP_SDES 202
#define RTCP_BYE 203
#define RTCP_APP 204
#define RTCP_RTPFB 205
#define RTCP_PSFB 206

/* Feedback message types, the FMT field (RFC 4585 §6.2, §6.3; RFC 5104 §4.3.1;
 * draft-holmer-rmcat-transport-wide-cc-extensions §3.1; draft-alvestrand-rmcat-remb §2). */
#define RTCP_FMT_NACK 1  /* RTPFB: generic NACK */
#define RTCP_FMT_TWCC 15 /* RTPFB: transport-wide congestion control feedback */
#define RTCP_FMT_PLI 1   /* PSFB: picture loss indication */
#define RTCP_FMT_FIR 4   /* PSFB: full intra request */
#define RTCP_FMT_AFB 15  /* PSFB: application layer feedback, which REMB is */

/* RFC 3550 §6.6: SDES item types. */
#define RTCP_SDES_END 0
#define RTCP_SDES_CNAME 1

/* A 5-bit count: the most report blocks or BYE sources one packet holds. */
#define RTCP_MAX_COUNT 31
/* The most media sources a REMB lists (an 8-bit count). */
#define RTCP_REMB_MAX_SSRCS 255
/* What rtcp_nack_lost expands at most for the SFU's stack buffers (a full 1,500-byte NACK
 * could name about 6,000 numbers; no real receiver sends a tenth of that). */
#define RTCP_NACK_MAX_LOST 1024

/* One packet of a compound RTCP packet. Pointers point into the iterated buffer. */
struct rtcp_view {
    uint8_t type;          /* RTCP_SR .. RTCP_PSFB, or any other value seen */
    uint8_t fmt;           /* the 5-bit field after P: FMT for feedback, RC/SC for the others */
    uint8_t count;         /* the same field, by its name in SR, RR, SDES and BYE */
    const uint8_t *packet; /* from the first header byte */
    size_t packet_len;     /* header and body, padding included */
    const uint8_t *body;   /* after the 4-byte header */
    size_t body_len;       /* padding excluded */
};

struct rtcp_iter {
    const uint8_t *p;
    size_t len, off;
    const char *error; /* set once the walk met a malformed packet */
};

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *p, size_t len);
/* The next packet of the compound: returns 1 and fills *OUT; 0 at the end; -1 with *why set
 * when the rest is malformed (version, a length past the end, padding anywhere but the last
 * packet); every later call returns -1 again. Never reads outside P[0..LEN). An empty
 * compound yields 0 at once, as RFC 5506 allows any packet type first, none is required. */
int rtcp_next(struct rtcp_iter *it, struct rtcp_view *out, const char **why);

/* RFC 3550 §6.4.1: one reception report block. */
struct rtcp_report_block {
    uint32_t ssrc;
    uint8_t fraction_lost;   /* fixed point, /256 */
    int32_t cumulative_lost; /* 24-bit signed on the wire; encoders clamp */
    uint32_t highest_seq;    /* extended highest sequence number received */
    uint32_t jitter;
    uint32_t lsr;  /* middle 32 bits of the last SR's NTP time */
    uint32_t dlsr; /* delay since that SR, 1/65536 s */
};

struct rtcp_sr {
    uint32_t ssrc;
    uint64_t ntp; /* 32.32 fixed point seconds since 1900 */
    uint32_t rtp_ts;
    uint32_t packet_count, octet_count;
    size_t n_blocks;
    struct rtcp_report_block blocks[RTCP_MAX_COUNT];
};

struct rtcp_rr {
    uint32_t ssrc;
    size_t n_blocks;
    struct rtcp_report_block blocks[RTCP_MAX_COUNT];
};

struct rtcp_bye {
    size_t n_ssrcs;
    uint32_t ssrcs[RTCP_MAX_COUNT];
    const char *reason; /* NULL when absent; not NUL-terminated */
    size_t reason_len;
};

/* Generic NACK (RFC 4585 §6.2.1). Entries stay in the packet: read them with rtcp_nack_item
 * or expand them with rtcp_nack_lost. */
struct rtcp_nack {
    uint32_t sender_ssrc, media_ssrc;
    const uint8_t *fci;
    size_t n_items;
};

/* PLI (RFC 4585 §6.3.1) has only the two SSRCs. */
struct rtcp_pli {
    uint32_t sender_ssrc, media_ssrc;
};

/* FIR (RFC 5104 §4.3.1): entries read with rtcp_fir_entry. */
struct rtcp_fir {
    uint32_t sender_ssrc;
    const uint8_t *fci;
    size_t n_entries;
};

/* REMB (draft-alvestrand-rmcat-remb §2.2). */
struct rtcp_remb {
    uint32_t sender_ssrc;
    uint64_t bitrate; /* bits per second; saturates at UINT64_MAX */
    size_t n_ssrcs;
    uint32_t ssrcs[RTCP_REMB_MAX_SSRCS];
};

/* Decoders take a view from rtcp_next of the matching type (and FMT) and return 0, or -1 with
 * *why set. Pointers they set point into the view's buffer. */
int rtcp_sr_decode(struct rtcp_sr *out, const struct rtcp_view *v, const char **why);
int rtcp_rr_decode(struct rtcp_rr *out, const struct rtcp_view *v, const char **why);
int rtcp_bye_decode(struct rtcp_bye *out, const struct rtcp_view *v, const char **why);
/* The CNAME of the first SDES chunk, with that chunk's SSRC (RFC 3550 §6.5). */
int rtcp_sdes_cname_decode(uint32_t *ssrc, const char **cname, size_t *cname_len,
                           const struct rtcp_view *v, const char **why);
int rtcp_nack_decode(struct rtcp_nack *out, const struct rtcp_view *v, const char **why);
/* Entry I (< n_items) of a NACK: the packet id and the bitmask of the 16 that follow it. */
void rtcp_nack_item(const struct rtcp_nack *nack, size_t i, uint16_t *pid, uint16_t *blp);
/* Writes the lost sequence numbers a NACK names into LOST[0..MAX), in packet order, each once
 * (a packet may name one number in many entries: each answer costs a resend), and returns how
 * many were written (numbers past MAX are left out). */
size_t rtcp_nack_lost(const struct rtcp_nack *nack, uint16_t *lost, size_t max);
int rtcp_pli_decode(struct rtcp_pli *out, const struct rtcp_view *v, const char **why);
int rtcp_fir_decode(struct rtcp_fir *out, const struct rtcp_view *v, const char **why);
/* Entry I (< n_entries) of a FIR: the SSRC asked for a keyframe and the command's number. */
void rtcp_fir_entry(const struct rtcp_fir *fir, size_t i, uint32_t *ssrc, uint8_t *seq_nr);
/* A PSFB with FMT 15 is a REMB when its FCI starts with "REMB". */
bool rtcp_is_remb(const struct rtcp_view *v);
int rtcp_remb_decode(struct rtcp_remb *out, const struct rtcp_view *v, const char **why);
/* Transport-wide congestion control feedback is recognised, not decoded. */
bool rtcp_is_twcc(const struct rtcp_view *v);

/* Encoders write one packet into DST[0..CAP) and return its size (a multiple of 4), or 0 when
 * it does not fit or the arguments cannot be encoded. Concatenate their output to make a
 * compound packet. */

/* SR with SR->n_blocks (0..31) report blocks (RFC 3550 §6.4.1). */
size_t rtcp_sr_encode(uint8_t *dst, size_t cap, const struct rtcp_sr *sr);
/* RR with N_BLOCKS (0..31) blocks; with none, the empty RR a receive-only endpoint sends. */
size_t rtcp_rr_encode(uint8_t *dst, size_t cap, uint32_t sender_ssrc,
                      const struct rtcp_report_block *blocks, size_t n_blocks);
/* SDES with one chunk holding CNAME (1..255 bytes; RFC 3550 §6.5.1). */
size_t rtcp_sdes_cname_encode(uint8_t *dst, size_t cap, uint32_t ssrc, const char *cname,
                              size_t cname_len);
/* Generic NACK naming the N_LOST sequence numbers in LOST: consecutive numbers within 16 of
 * an entry's id share its bitmask; any other starts a new entry. Sorted input (with
 * wrap-around) gives the fewest entries. 0 also when N_LOST is 0. */
size_t rtcp_nack_encode(uint8_t *dst, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        const uint16_t *lost, size_t n_lost);
size_t rtcp_pli_encode(uint8_t *dst, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
/* FIR asking MEDIA_SSRC for a keyframe; SEQ_NR goes up by one per new request (§4.3.1.2). */
size_t rtcp_fir_encode(uint8_t *dst, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       uint8_t seq_nr);
/* REMB announcing BITRATE (bits per second) for the N_SSRCS (1..255) media sources. The
 * mantissa keeps 18 bits: the value is rounded down, never announcing more than asked. */
size_t rtcp_remb_encode(uint8_t *dst, size_t cap, uint32_t sender_ssrc, uint64_t bitrate,
                        const uint32_t *ssrcs, size_t n_ssrcs);
/* BYE for N_SSRCS (1..31) sources, with REASON (NULL for none; at most 255 bytes). */
size_t rtcp_bye_encode(uint8_t *dst, size_t cap, const uint32_t *ssrcs, size_t n_ssrcs,
                       const char *reason);

#endif
