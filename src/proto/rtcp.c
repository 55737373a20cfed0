/* rtcp: compound RTCP (RFC 3550 §6), feedback (RFC 4585, RFC 5104), REMB, TWCC recognition. */
#include "proto/rtcp.h"

#include <string.h>

#include "base/bytes.h"

#define REPORT_BLOCK_SIZE 24
#define SR_SENDER_INFO_SIZE 24 /* SSRC, NTP, RTP timestamp, packet and octet counts */
#define FEEDBACK_HEADER_SIZE 8 /* sender SSRC, media source SSRC (RFC 4585 §6.1) */
#define REMB_MANTISSA_MAX 0x3FFFFu
/* The largest packet a 16-bit length field (words minus one) can describe. */
#define RTCP_MAX_PACKET (4u * 65536u)

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return -1;
}

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *p, size_t len)
{
    it->p = p;
    it->len = p ? len : 0;
    it->off = 0;
    it->error = NULL;
}

static int iter_stop(struct rtcp_iter *it, const char **why, const char *reason)
{
    it->error = reason;
    return fail(why, reason);
}

/* RFC 3550 §6.4.1, the common header:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P| RC/FMT  |      PT       |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * The length is the packet's size in 32-bit words minus one. §6.4.1: only the last packet of a
 * compound may be padded, and its last byte counts the padding, itself included. */
int rtcp_next(struct rtcp_iter *it, struct rtcp_view *out, const char **why)
{
    if (it->error)
        return fail(why, it->error);
    if (it->off >= it->len)
        return 0;
    const uint8_t *p = it->p + it->off;
    size_t left = it->len - it->off;
    if (left < 4)
        return iter_stop(it, why, "RTCP packet is shorter than its 4-byte header");
    if (p[0] >> 6 != 2)
        return iter_stop(it, why, "RTCP version is not 2");
    size_t packet_len = 4u * ((size_t)be16_read(p + 2) + 1);
    if (packet_len > left)
        return iter_stop(it, why, "RTCP length runs past the end of the compound packet");
    size_t body_len = packet_len - 4;
    if (p[0] & 0x20) {
        if (packet_len != left)
            return iter_stop(it, why, "RTCP padding on a packet that is not the last one");
        uint8_t pad = p[packet_len - 1];
        if (pad == 0 || pad > body_len)
            return iter_stop(it, why, "RTCP padding count is zero or longer than the packet");
        body_len -= pad;
    }
    out->type = p[1];
    out->fmt = out->count = p[0] & 0x1f;
    out->packet = p;
    out->packet_len = packet_len;
    out->body = p + 4;
    out->body_len = body_len;
    it->off += packet_len;
    return 1;
}

/* RFC 3550 §6.4.1, a report block:
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                 SSRC_1 (SSRC of first source)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | fraction lost |       cumulative number of packets lost       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           extended highest sequence number received           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      interarrival jitter                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         last SR (LSR)                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   delay since last SR (DLSR)                  |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * The cumulative loss is a signed 24-bit number (duplicates can make it negative). */
static void read_block(struct rtcp_report_block *b, const uint8_t *p)
{
    b->ssrc = be32_read(p);
    b->fraction_lost = p[4];
    uint32_t lost = be24_read(p + 5);
    b->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
    b->highest_seq = be32_read(p + 8);
    b->jitter = be32_read(p + 12);
    b->lsr = be32_read(p + 16);
    b->dlsr = be32_read(p + 20);
}

static uint8_t *write_block(uint8_t *p, const struct rtcp_report_block *b)
{
    int32_t lost = b->cumulative_lost;
    if (lost > 0x7FFFFF)
        lost = 0x7FFFFF;
    if (lost < -0x800000)
        lost = -0x800000;
    p = be32_write(p, b->ssrc);
    *p++ = b->fraction_lost;
    p = be24_write(p, (uint32_t)lost & 0xFFFFFF);
    p = be32_write(p, b->highest_seq);
    p = be32_write(p, b->jitter);
    p = be32_write(p, b->lsr);
    return be32_write(p, b->dlsr);
}

/* RFC 3550 §6.4.1, SR: the header (RC = report blocks), then
 * |                         SSRC of sender                        |
 * |              NTP timestamp, most significant word             |
 * |             NTP timestamp, least significant word             |
 * |                         RTP timestamp                         |
 * |                     sender's packet count                     |
 * |                      sender's octet count                     |
 * then RC report blocks and possibly profile-specific extensions, which are ignored. */
int rtcp_sr_decode(struct rtcp_sr *out, const struct rtcp_view *v, const char **why)
{
    if (v->type != RTCP_SR)
        return fail(why, "RTCP packet is not a sender report");
    if (v->body_len < SR_SENDER_INFO_SIZE + (size_t)v->count * REPORT_BLOCK_SIZE)
        return fail(why, "RTCP sender report is shorter than its report count says");
    const uint8_t *p = v->body;
    out->ssrc = be32_read(p);
    out->ntp = be64_read(p + 4);
    out->rtp_ts = be32_read(p + 12);
    out->packet_count = be32_read(p + 16);
    out->octet_count = be32_read(p + 20);
    out->n_blocks = v->count;
    for (size_t i = 0; i < out->n_blocks; i++)
        read_block(&out->blocks[i], p + SR_SENDER_INFO_SIZE + i * REPORT_BLOCK_SIZE);
    return 0;
}

/* RFC 3550 §6.4.2, RR: the header, the reporter's SSRC, then RC report blocks. */
int rtcp_rr_decode(struct rtcp_rr *out, const struct rtcp_view *v, const char **why)
{
    if (v->type != RTCP_RR)
        return fail(why, "RTCP packet is not a receiver report");
    if (v->body_len < 4 + (size_t)v->count * REPORT_BLOCK_SIZE)
        return fail(why, "RTCP receiver report is shorter than its report count says");
    out->ssrc = be32_read(v->body);
    out->n_blocks = v->count;
    for (size_t i = 0; i < out->n_blocks; i++)
        read_block(&out->blocks[i], v->body + 4 + i * REPORT_BLOCK_SIZE);
    return 0;
}

/* RFC 3550 §6.6, BYE: the header (SC = sources), SC SSRCs, then optionally a length byte and
 * that many bytes of reason, padded with zeros to a 32-bit boundary. */
int rtcp_bye_decode(struct rtcp_bye *out, const struct rtcp_view *v, const char **why)
{
    if (v->type != RTCP_BYE)
        return fail(why, "RTCP packet is not a BYE");
    size_t ssrcs_len = 4u * v->count;
    if (v->body_len < ssrcs_len)
        return fail(why, "RTCP BYE is shorter than its source count says");
    out->n_ssrcs = v->count;
    for (size_t i = 0; i < out->n_ssrcs; i++)
        out->ssrcs[i] = be32_read(v->body + 4 * i);
    out->reason = NULL;
    out->reason_len = 0;
    if (v->body_len > ssrcs_len) {
        const uint8_t *r = v->body + ssrcs_len;
        size_t room = v->body_len - ssrcs_len - 1;
        if (r[0] > room)
            return fail(why, "RTCP BYE reason runs past the packet");
        out->reason = (const char *)r + 1;
        out->reason_len = r[0];
    }
    return 0;
}

/* RFC 3550 §6.5, SDES: SC chunks, each an SSRC then items
 * |    CNAME=1    |     length    | user and domain name        ...
 * ended by a zero byte and padded with zeros to a 32-bit boundary. Only the first chunk is
 * read here: it is the sender's own. */
int rtcp_sdes_cname_decode(uint32_t *ssrc, const char **cname, size_t *cname_len,
                           const struct rtcp_view *v, const char **why)
{
    if (v->type != RTCP_SDES)
        return fail(why, "RTCP packet is not an SDES");
    if (v->count == 0 || v->body_len < 4)
        return fail(why, "RTCP SDES has no chunk");
    *ssrc = be32_read(v->body);
    size_t off = 4;
    while (off < v->body_len && v->body[off] != RTCP_SDES_END) {
        if (v->body_len - off < 2)
            return fail(why, "RTCP SDES item header runs past the packet");
        uint8_t type = v->body[off], len = v->body[off + 1];
        if (len > v->body_len - off - 2)
            return fail(why, "RTCP SDES item runs past the packet");
        if (type == RTCP_SDES_CNAME) {
            *cname = (const char *)v->body + off + 2;
            *cname_len = len;
            return 0;
        }
        off += 2 + (size_t)len;
    }
    return fail(why, "RTCP SDES first chunk has no CNAME");
}

/* RFC 4585 §6.1, the feedback header after the common one:
 * |                  SSRC of packet sender                        |
 * |                  SSRC of media source                         |
 * :            Feedback Control Information (FCI)                 :
 */
static int feedback_check(const struct rtcp_view *v, uint8_t type, uint8_t fmt, const char *not_it,
                          const char **why)
{
    if (v->type != type || v->fmt != fmt)
        return fail(why, not_it);
    if (v->body_len < FEEDBACK_HEADER_SIZE)
        return fail(why, "RTCP feedback is shorter than its two SSRCs");
    return 0;
}

/* RFC 4585 §6.2.1, generic NACK FCI entries:
 * |            PID                |             BLP               |
 * PID is a lost packet; bit i of BLP (least significant first) reports PID + i + 1 lost. */
int rtcp_nack_decode(struct rtcp_nack *out, const struct rtcp_view *v, const char **why)
{
    if (feedback_check(v, RTCP_RTPFB, RTCP_FMT_NACK, "RTCP packet is not a generic NACK", why) < 0)
        return -1;
    size_t fci_len = v->body_len - FEEDBACK_HEADER_SIZE;
    if (fci_len == 0 || fci_len % 4)
        return fail(why, "RTCP NACK entries are not a positive multiple of 4 bytes");
    out->sender_ssrc = be32_read(v->body);
    out->media_ssrc = be32_read(v->body + 4);
    out->fci = v->body + FEEDBACK_HEADER_SIZE;
    out->n_items = fci_len / 4;
    return 0;
}

void rtcp_nack_item(const struct rtcp_nack *nack, size_t i, uint16_t *pid, uint16_t *blp)
{
    *pid = be16_read(nack->fci + 4 * i);
    *blp = be16_read(nack->fci + 4 * i + 2);
}

/* Adds SEQ to LOST unless SEEN (a bit per sequence number) has it already. */
static void add_lost(uint16_t seq, uint8_t *seen, uint16_t *lost, size_t *n)
{
    if (seen[seq >> 3] & 1u << (seq & 7))
        return;
    seen[seq >> 3] |= (uint8_t)(1u << (seq & 7));
    lost[(*n)++] = seq;
}

size_t rtcp_nack_lost(const struct rtcp_nack *nack, uint16_t *lost, size_t max)
{
    uint8_t seen[65536 / 8] = {0};
    size_t n = 0;
    for (size_t i = 0; i < nack->n_items && n < max; i++) {
        uint16_t pid, blp;
        rtcp_nack_item(nack, i, &pid, &blp);
        add_lost(pid, seen, lost, &n);
        for (int bit = 0; bit < 16 && n < max; bit++)
            if (blp >> bit & 1)
                add_lost((uint16_t)(pid + bit + 1), seen, lost, &n);
    }
    return n;
}

/* RFC 4585 §6.3.1: PLI has no FCI. */
int rtcp_pli_decode(struct rtcp_pli *out, const struct rtcp_view *v, const char **why)
{
    if (feedback_check(v, RTCP_PSFB, RTCP_FMT_PLI, "RTCP packet is not a PLI", why) < 0)
        return -1;
    out->sender_ssrc = be32_read(v->body);
    out->media_ssrc = be32_read(v->body + 4);
    return 0;
}

/* RFC 5104 §4.3.1.1, FIR FCI entries (the media source field of the header is unused, 0):
 * |                              SSRC                             |
 * | Seq nr.       |    Reserved                                   |
 */
int rtcp_fir_decode(struct rtcp_fir *out, const struct rtcp_view *v, const char **why)
{
    if (feedback_check(v, RTCP_PSFB, RTCP_FMT_FIR, "RTCP packet is not a FIR", why) < 0)
        return -1;
    size_t fci_len = v->body_len - FEEDBACK_HEADER_SIZE;
    if (fci_len == 0 || fci_len % 8)
        return fail(why, "RTCP FIR entries are not a positive multiple of 8 bytes");
    out->sender_ssrc = be32_read(v->body);
    out->fci = v->body + FEEDBACK_HEADER_SIZE;
    out->n_entries = fci_len / 8;
    return 0;
}

void rtcp_fir_entry(const struct rtcp_fir *fir, size_t i, uint32_t *ssrc, uint8_t *seq_nr)
{
    *ssrc = be32_read(fir->fci + 8 * i);
    *seq_nr = fir->fci[8 * i + 4];
}

bool rtcp_is_remb(const struct rtcp_view *v)
{
    return v->type == RTCP_PSFB && v->fmt == RTCP_FMT_AFB &&
           v->body_len >= FEEDBACK_HEADER_SIZE + 4 &&
           memcmp(v->body + FEEDBACK_HEADER_SIZE, "REMB", 4) == 0;
}

/* draft-alvestrand-rmcat-remb §2.2, the application feedback FCI:
 * |  Unique identifier 'R' 'E' 'M' 'B'                            |
 * |  Num SSRC     | BR Exp    |  BR Mantissa                      |
 * |   SSRC feedback                                               |
 * The bitrate is mantissa * 2^exp bits per second. */
int rtcp_remb_decode(struct rtcp_remb *out, const struct rtcp_view *v, const char **why)
{
    if (!rtcp_is_remb(v))
        return fail(why, "RTCP packet is not a REMB");
    const uint8_t *fci = v->body + FEEDBACK_HEADER_SIZE;
    size_t fci_len = v->body_len - FEEDBACK_HEADER_SIZE;
    if (fci_len < 8)
        return fail(why, "RTCP REMB is shorter than its bitrate field");
    size_t n = fci[4];
    if (fci_len - 8 < 4 * n)
        return fail(why, "RTCP REMB is shorter than its SSRC count says");
    unsigned exp = fci[5] >> 2;
    uint64_t mantissa = be24_read(fci + 5) & REMB_MANTISSA_MAX;
    out->sender_ssrc = be32_read(v->body);
    out->bitrate = mantissa > (UINT64_MAX >> exp) ? UINT64_MAX : mantissa << exp;
    out->n_ssrcs = n;
    for (size_t i = 0; i < n; i++)
        out->ssrcs[i] = be32_read(fci + 8 + 4 * i);
    return 0;
}

bool rtcp_is_twcc(const struct rtcp_view *v)
{
    return v->type == RTCP_RTPFB && v->fmt == RTCP_FMT_TWCC && v->body_len >= FEEDBACK_HEADER_SIZE;
}

/* Writes the common header for a packet of TOTAL bytes (a multiple of 4, checked to fit). */
static uint8_t *write_header(uint8_t *p, uint8_t count, uint8_t type, size_t total)
{
    p[0] = (uint8_t)(0x80 | (count & 0x1f));
    p[1] = type;
    return be16_write(p + 2, (uint16_t)(total / 4 - 1));
}

static bool fits(size_t total, size_t cap)
{
    return total <= cap && total <= RTCP_MAX_PACKET;
}

size_t rtcp_sr_encode(uint8_t *dst, size_t cap, const struct rtcp_sr *sr)
{
    if (sr->n_blocks > RTCP_MAX_COUNT)
        return 0;
    size_t total = 4 + SR_SENDER_INFO_SIZE + sr->n_blocks * REPORT_BLOCK_SIZE;
    if (!fits(total, cap))
        return 0;
    uint8_t *p = write_header(dst, (uint8_t)sr->n_blocks, RTCP_SR, total);
    p = be32_write(p, sr->ssrc);
    p = be64_write(p, sr->ntp);
    p = be32_write(p, sr->rtp_ts);
    p = be32_write(p, sr->packet_count);
    p = be32_write(p, sr->octet_count);
    for (size_t i = 0; i < sr->n_blocks; i++)
        p = write_block(p, &sr->blocks[i]);
    return total;
}

size_t rtcp_rr_encode(uint8_t *dst, size_t cap, uint32_t sender_ssrc,
                      const struct rtcp_report_block *blocks, size_t n_blocks)
{
    if (n_blocks > RTCP_MAX_COUNT)
        return 0;
    size_t total = 8 + n_blocks * REPORT_BLOCK_SIZE;
    if (!fits(total, cap))
        return 0;
    uint8_t *p = write_header(dst, (uint8_t)n_blocks, RTCP_RR, total);
    p = be32_write(p, sender_ssrc);
    for (size_t i = 0; i < n_blocks; i++)
        p = write_block(p, &blocks[i]);
    return total;
}

size_t rtcp_sdes_cname_encode(uint8_t *dst, size_t cap, uint32_t ssrc, const char *cname,
                              size_t cname_len)
{
    if (cname_len == 0 || cname_len > 255)
        return 0;
    /* Chunk: SSRC, CNAME item, at least one zero byte ending the item list, then zeros to a
     * 32-bit boundary (RFC 3550 §6.5). */
    size_t items = 2 + cname_len + 1;
    size_t total = 8 + ((items + 3) & ~(size_t)3);
    if (!fits(total, cap))
        return 0;
    uint8_t *p = write_header(dst, 1, RTCP_SDES, total);
    p = be32_write(p, ssrc);
    *p++ = RTCP_SDES_CNAME;
    *p++ = (uint8_t)cname_len;
    memcpy(p, cname, cname_len);
    p += cname_len;
    memset(p, 0, (size_t)(dst + total - p));
    return total;
}

/* Packs LOST into NACK entries (RFC 4585 §6.2.1) and returns how many; writes them at FCI
 * unless it is NULL. A number within 1..16 after the open entry's PID sets its bit; the PID
 * itself again is a repeat; anything else (a gap over 16, or going backwards) opens a new entry. */
static size_t nack_pack(const uint16_t *lost, size_t n_lost, uint8_t *fci)
{
    size_t items = 0;
    uint16_t pid = 0, blp = 0;
    for (size_t i = 0; i < n_lost; i++) {
        if (items) {
            uint16_t ahead = (uint16_t)(lost[i] - pid);
            if (ahead == 0)
                continue;
            if (ahead <= 16) {
                blp |= (uint16_t)(1u << (ahead - 1));
                continue;
            }
            if (fci) {
                be16_write(fci + 4 * (items - 1), pid);
                be16_write(fci + 4 * (items - 1) + 2, blp);
            }
        }
        items++;
        pid = lost[i];
        blp = 0;
    }
    if (items && fci) {
        be16_write(fci + 4 * (items - 1), pid);
        be16_write(fci + 4 * (items - 1) + 2, blp);
    }
    return items;
}

size_t rtcp_nack_encode(uint8_t *dst, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        const uint16_t *lost, size_t n_lost)
{
    size_t items = nack_pack(lost, n_lost, NULL);
    if (items == 0 || items > RTCP_MAX_PACKET / 4)
        return 0;
    size_t total = 12 + 4 * items;
    if (!fits(total, cap))
        return 0;
    uint8_t *p = write_header(dst, RTCP_FMT_NACK, RTCP_RTPFB, total);
    p = be32_write(p, sender_ssrc);
    p = be32_write(p, media_ssrc);
    nack_pack(lost, n_lost, p);
    return total;
}

size_t rtcp_pli_encode(uint8_t *dst, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (!fits(12, cap))
        return 0;
    uint8_t *p = write_header(dst, RTCP_FMT_PLI, RTCP_PSFB, 12);
    p = be32_write(p, sender_ssrc);
    be32_write(p, media_ssrc);
    return 12;
}

size_t rtcp_fir_encode(uint8_t *dst, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       uint8_t seq_nr)
{
    if (!fits(20, cap))
        return 0;
    uint8_t *p = write_header(dst, RTCP_FMT_FIR, RTCP_PSFB, 20);
    p = be32_write(p, sender_ssrc);
    p = be32_write(p, 0); /* §4.3.1.2: the media source SSRC is not used and set to 0 */
    p = be32_write(p, media_ssrc);
    *p++ = seq_nr;
    be24_write(p, 0);
    return 20;
}

size_t rtcp_remb_encode(uint8_t *dst, size_t cap, uint32_t sender_ssrc, uint64_t bitrate,
                        const uint32_t *ssrcs, size_t n_ssrcs)
{
    if (n_ssrcs == 0 || n_ssrcs > RTCP_REMB_MAX_SSRCS)
        return 0;
    size_t total = 20 + 4 * n_ssrcs;
    if (!fits(total, cap))
        return 0;
    /* The smallest exponent whose mantissa fits 18 bits; shifting drops the low bits, so the
     * announced rate is at most 2^exp - 1 below BITRATE and never above it. */
    unsigned exp = 0;
    while ((bitrate >> exp) > REMB_MANTISSA_MAX)
        exp++;
    uint32_t mantissa = (uint32_t)(bitrate >> exp);
    uint8_t *p = write_header(dst, RTCP_FMT_AFB, RTCP_PSFB, total);
    p = be32_write(p, sender_ssrc);
    p = be32_write(p, 0); /* the media source is unused; the SSRCs below say whom it is for */
    memcpy(p, "REMB", 4);
    p += 4;
    *p++ = (uint8_t)n_ssrcs;
    p = be24_write(p, (uint32_t)exp << 18 | mantissa);
    for (size_t i = 0; i < n_ssrcs; i++)
        p = be32_write(p, ssrcs[i]);
    return total;
}

size_t rtcp_bye_encode(uint8_t *dst, size_t cap, const uint32_t *ssrcs, size_t n_ssrcs,
                       const char *reason)
{
    if (n_ssrcs == 0 || n_ssrcs > RTCP_MAX_COUNT)
        return 0;
    size_t reason_len = reason ? strlen(reason) : 0;
    if (reason_len > 255)
        return 0;
    size_t reason_room = reason ? (1 + reason_len + 3) & ~(size_t)3 : 0;
    size_t total = 4 + 4 * n_ssrcs + reason_room;
    if (!fits(total, cap))
        return 0;
    uint8_t *p = write_header(dst, (uint8_t)n_ssrcs, RTCP_BYE, total);
    for (size_t i = 0; i < n_ssrcs; i++)
        p = be32_write(p, ssrcs[i]);
    if (reason) {
        *p++ = (uint8_t)reason_len;
        memcpy(p, reason, reason_len);
        p += reason_len;
        memset(p, 0, (size_t)(dst + total - p));
    }
    return total;
}
