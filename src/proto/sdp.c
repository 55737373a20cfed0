/* sdp: a line-at-a-time parser into fixed-size structs, and a writer that prints them back. */
#include "proto/sdp.h"
#include "proto/sdp_simulcast.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copies at most CAP-1 bytes of [p, p+n) and terminates; false when it did not fit. */
static bool copy_field(char *dst, size_t cap, const char *p, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, p, n);
    dst[n] = 0;
    return true;
}

/* Parses a decimal number of at most MAX from the start of *P, advancing it. */
static bool read_uint(const char **p, const char *end, uint64_t max, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s >= end || !isdigit((unsigned char)*s))
        return false;
    while (s < end && isdigit((unsigned char)*s)) {
        uint64_t digit = (uint64_t)(*s - '0');
        if (digit > max || v > (max - digit) / 10)
            return false; /* v * 10 + digit would exceed MAX (and never wraps) */
        v = v * 10 + digit;
        s++;
    }
    *p = s;
    *out = v;
    return true;
}

/* The next space-separated token of [*p, end), advancing *p past it. */
static bool next_token(const char **p, const char *end, const char **tok, size_t *tok_len)
{
    const char *s = *p;
    while (s < end && *s == ' ')
        s++;
    if (s == end)
        return false;
    const char *t = s;
    while (s < end && *s != ' ')
        s++;
    *tok = t;
    *tok_len = (size_t)(s - t);
    *p = s;
    return true;
}

static bool token_uint(const char *tok, size_t n, uint64_t max, uint64_t *out)
{
    const char *p = tok;
    return read_uint(&p, tok + n, max, out) && p == tok + n;
}

static bool has_prefix(const char *p, const char *end, const char *prefix)
{
    size_t n = strlen(prefix);
    return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* The index of payload type PT among M's codecs, or n_codecs when it has none. */
static size_t codec_index(const struct sdp_media *m, uint64_t pt)
{
    size_t i = 0;
    while (i < m->n_codecs && m->codecs[i].pt != pt)
        i++;
    return i;
}

static struct sdp_codec *codec_by_pt(struct sdp_media *m, uint64_t pt)
{
    size_t i = codec_index(m, pt);
    return i < m->n_codecs ? &m->codecs[i] : NULL;
}

/* Whether M is a data channel section in the form before RFC 8841 (draft-ietf-mmusic-sctp-sdp-05,
 * still what aiortc offers): "m=application 9 DTLS/SCTP 5000" names the SCTP port as its format,
 * with "a=sctpmap:5000 webrtc-datachannel 1024" instead of a=sctp-port. */
static bool sctp_legacy(const struct sdp_media *m)
{
    return m->kind == SDP_APPLICATION && strcmp(m->proto, "DTLS/SCTP") == 0;
}

/* m=<media> <port> <proto> <fmt> ... (RFC 8866 §5.14) */
static int parse_m_line(struct sdp_media *m, const char *p, const char *end, const char **why)
{
    const char *tok;
    size_t n;
    uint64_t v;
    if (!next_token(&p, end, &tok, &n)) {
        *why = "m= line has no media type";
        return -1;
    }
    if (n == 5 && memcmp(tok, "audio", 5) == 0)
        m->kind = SDP_AUDIO;
    else if (n == 5 && memcmp(tok, "video", 5) == 0)
        m->kind = SDP_VIDEO;
    else if (n == 11 && memcmp(tok, "application", 11) == 0)
        m->kind = SDP_APPLICATION;
    else
        m->kind = SDP_OTHER;
    if (!next_token(&p, end, &tok, &n) || !token_uint(tok, n, 65535, &v)) {
        *why = "m= line has no valid port";
        return -1;
    }
    m->port = (uint16_t)v;
    if (!next_token(&p, end, &tok, &n) || !copy_field(m->proto, sizeof m->proto, tok, n)) {
        *why = "m= line has no valid protocol";
        return -1;
    }
    bool rtp = strstr(m->proto, "RTP") != NULL, any = false;
    while (next_token(&p, end, &tok, &n)) {
        any = true;
        if (!rtp) {
            /* "webrtc-datachannel" and the like, or the SCTP port of the older form. */
            if (sctp_legacy(m) && !m->sctp_port && token_uint(tok, n, 65535, &v))
                m->sctp_port = (uint16_t)v;
            continue;
        }
        if (!token_uint(tok, n, 127, &v)) {
            *why = "m= line has a payload type that is not 0..127";
            return -1;
        }
        if (codec_by_pt(m, v))
            continue;
        if (m->n_codecs == SDP_MAX_CODECS) {
            /* More than any browser offers: keep the first ones, which it prefers. */
            m->unkept[v / 64] |= 1ull << (v % 64);
            continue;
        }
        struct sdp_codec *c = &m->codecs[m->n_codecs++];
        memset(c, 0, sizeof *c);
        c->pt = (uint8_t)v;
    }
    if (!any) {
        *why = "m= line lists no formats";
        return -1;
    }
    return 0;
}

static bool is_unkept(const struct sdp_media *m, uint64_t pt)
{
    return m->unkept[pt / 64] >> (pt % 64) & 1;
}

/* a=rtpmap:<pt> <name>/<rate>[/<channels>] (RFC 8866 §6.6) */
static int parse_rtpmap(struct sdp_media *m, const char *p, const char *end, const char **why)
{
    uint64_t pt, rate, channels = 0;
    if (!read_uint(&p, end, 127, &pt) || p == end || *p != ' ') {
        *why = "a=rtpmap has no valid payload type";
        return -1;
    }
    struct sdp_codec *c = codec_by_pt(m, pt);
    if (!c && is_unkept(m, pt))
        return 0;
    if (!c) {
        *why = "a=rtpmap names a payload type that is not in its m= line";
        return -1;
    }
    p++;
    const char *slash = memchr(p, '/', (size_t)(end - p));
    if (!slash || !copy_field(c->name, sizeof c->name, p, (size_t)(slash - p)) || !c->name[0]) {
        *why = "a=rtpmap has no valid encoding name";
        return -1;
    }
    p = slash + 1;
    if (!read_uint(&p, end, 1000000, &rate)) {
        *why = "a=rtpmap has no valid clock rate";
        return -1;
    }
    if (p < end && *p == '/') {
        p++;
        if (!read_uint(&p, end, 255, &channels)) {
            *why = "a=rtpmap has an invalid channel count";
            return -1;
        }
    }
    c->clock_rate = (uint32_t)rate;
    c->channels = (uint8_t)channels;
    return 0;
}

static int parse_fmtp(struct sdp_media *m, const char *p, const char *end, const char **why)
{
    uint64_t pt;
    if (!read_uint(&p, end, 127, &pt) || p == end || *p != ' ') {
        *why = "a=fmtp has no valid payload type";
        return -1;
    }
    struct sdp_codec *c = codec_by_pt(m, pt);
    if (!c)
        return 0; /* parameters for a format we were not offered: harmless, ignore */
    p++;
    if (!copy_field(c->fmtp, sizeof c->fmtp, p, (size_t)(end - p))) {
        *why = "a=fmtp parameters are too long";
        return -1;
    }
    return 0;
}

static void set_feedback(struct sdp_codec *c, const char *p, const char *end)
{
    size_t n = (size_t)(end - p);
    if (n == 4 && memcmp(p, "nack", 4) == 0)
        c->fb_nack = true;
    else if (n == 8 && memcmp(p, "nack pli", 8) == 0)
        c->fb_nack_pli = true;
    else if (n == 7 && memcmp(p, "ccm fir", 7) == 0)
        c->fb_ccm_fir = true;
    else if (n == 9 && memcmp(p, "goog-remb", 9) == 0)
        c->fb_goog_remb = true;
    else if (n == 12 && memcmp(p, "transport-cc", 12) == 0)
        c->fb_transport_cc = true;
}

/* a=rtcp-fb:<pt or *> <type> [<subtype>] (RFC 4585 §4.2) */
static int parse_rtcp_fb(struct sdp_media *m, const char *p, const char *end, const char **why)
{
    uint64_t pt;
    bool all = p < end && *p == '*';
    if (all) {
        p++;
    } else if (!read_uint(&p, end, 127, &pt)) {
        *why = "a=rtcp-fb has no valid payload type";
        return -1;
    }
    if (p == end || *p != ' ')
        return 0;
    p++;
    while (end > p && end[-1] == ' ')
        end--;
    for (size_t i = 0; i < m->n_codecs; i++)
        if (all || m->codecs[i].pt == pt)
            set_feedback(&m->codecs[i], p, end);
    return 0;
}

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285 §8) */
static int parse_extmap(struct sdp_media *m, const char *p, const char *end, const char **why)
{
    uint64_t id;
    if (!read_uint(&p, end, 255, &id) || id == 0) {
        *why = "a=extmap has no valid id";
        return -1;
    }
    while (p < end && *p != ' ')
        p++; /* skip "/direction" */
    const char *tok;
    size_t n;
    if (!next_token(&p, end, &tok, &n)) {
        *why = "a=extmap has no URI";
        return -1;
    }
    if (m->n_extmaps == SDP_MAX_EXTMAPS)
        return 0; /* more than anyone sends: keep the first ones */
    struct sdp_extmap *e = &m->extmaps[m->n_extmaps];
    if (!copy_field(e->uri, sizeof e->uri, tok, n))
        return 0; /* a URI this long is none we use */
    e->id = (uint8_t)id;
    m->n_extmaps++;
    return 0;
}

/* a=ssrc:<ssrc> <attribute>:<value> (RFC 5576 §4.1) */
static int parse_ssrc(struct sdp_media *m, const char *p, const char *end, const char **why)
{
    uint64_t ssrc;
    if (!read_uint(&p, end, UINT32_MAX, &ssrc) || p == end || *p != ' ') {
        *why = "a=ssrc has no valid SSRC";
        return -1;
    }
    p++;
    /* The track's SSRC is the first one described by cname or msid; other attributes (label,
     * mslabel) and other SSRCs (RTX, simulcast layers) add nothing the relay uses. */
    bool cname = has_prefix(p, end, "cname:"), msid = has_prefix(p, end, "msid:");
    if (!cname && !msid)
        return 0;
    if (!m->ssrc)
        m->ssrc = (uint32_t)ssrc;
    if (ssrc != m->ssrc)
        return 0;
    if (cname)
        copy_field(m->cname, sizeof m->cname, p + 6, (size_t)(end - p - 6));
    else if (!m->msid[0])
        copy_field(m->msid, sizeof m->msid, p + 5, (size_t)(end - p - 5));
    return 0;
}

/* a=ssrc-group:FID <primary> <retransmission> (RFC 5576 §4.2, RFC 4588 §8) */
static int parse_ssrc_group(struct sdp_media *m, const char *p, const char *end, const char **why)
{
    if (!has_prefix(p, end, "FID "))
        return 0;
    p += 4;
    uint64_t primary, rtx;
    if (!read_uint(&p, end, UINT32_MAX, &primary) || p == end || *p != ' ' ||
        (p++, !read_uint(&p, end, UINT32_MAX, &rtx))) {
        *why = "a=ssrc-group:FID needs two SSRCs";
        return -1;
    }
    if (m->rtx_ssrc)
        return 0; /* simulcast has one FID group per layer: the first is the track's */
    m->ssrc = (uint32_t)primary;
    m->rtx_ssrc = (uint32_t)rtx;
    return 0;
}

/* a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
 * (RFC 8839 §5.1). Candidates beyond what fits are ignored: the server is ICE-lite. */
static int parse_candidate(struct sdp_media *m, const char *p, const char *end, const char **why)
{
    struct sdp_candidate c;
    memset(&c, 0, sizeof c);
    const char *tok;
    size_t n;
    uint64_t v;
    if (!next_token(&p, end, &tok, &n) || !copy_field(c.foundation, sizeof c.foundation, tok, n) ||
        !next_token(&p, end, &tok, &n) || !token_uint(tok, n, 255, &v) ||
        (c.component = (uint8_t)v, !next_token(&p, end, &tok, &n)) ||
        !copy_field(c.transport, sizeof c.transport, tok, n) || !next_token(&p, end, &tok, &n) ||
        !token_uint(tok, n, UINT32_MAX, &v) ||
        (c.priority = (uint32_t)v, !next_token(&p, end, &tok, &n)) ||
        !copy_field(c.address, sizeof c.address, tok, n) || !next_token(&p, end, &tok, &n) ||
        !token_uint(tok, n, 65535, &v) || (c.port = (uint16_t)v, !next_token(&p, end, &tok, &n)) ||
        n != 3 || memcmp(tok, "typ", 3) != 0 || !next_token(&p, end, &tok, &n) ||
        !copy_field(c.type, sizeof c.type, tok, n)) {
        *why = "a=candidate is malformed";
        return -1;
    }
    for (size_t i = 0; c.transport[i]; i++)
        c.transport[i] = (char)tolower((unsigned char)c.transport[i]);
    while (next_token(&p, end, &tok, &n))
        if (n == 7 && memcmp(tok, "tcptype", 7) == 0 && next_token(&p, end, &tok, &n))
            copy_field(c.tcptype, sizeof c.tcptype, tok, n);
    if (m->n_candidates < SDP_MAX_CANDIDATES)
        m->candidates[m->n_candidates++] = c;
    return 0;
}

static enum sdp_setup parse_setup(const char *p, const char *end)
{
    size_t n = (size_t)(end - p);
    if (n == 7 && memcmp(p, "actpass", 7) == 0)
        return SDP_SETUP_ACTPASS;
    if (n == 6 && memcmp(p, "active", 6) == 0)
        return SDP_SETUP_ACTIVE;
    if (n == 7 && memcmp(p, "passive", 7) == 0)
        return SDP_SETUP_PASSIVE;
    return SDP_SETUP_NONE;
}

/* Attributes valid at both levels. */
static int parse_transport_attr(char *ufrag, char *pwd, char *fingerprint, enum sdp_setup *setup,
                                const char *p, const char *end, const char **why)
{
    size_t n = (size_t)(end - p);
    if (has_prefix(p, end, "ice-ufrag:")) {
        if (!copy_field(ufrag, 64, p + 10, n - 10)) {
            *why = "a=ice-ufrag is too long";
            return -1;
        }
    } else if (has_prefix(p, end, "ice-pwd:")) {
        if (!copy_field(pwd, 128, p + 8, n - 8)) {
            *why = "a=ice-pwd is too long";
            return -1;
        }
    } else if (has_prefix(p, end, "fingerprint:")) {
        /* RFC 8122 §5 allows several (some stacks list sha-256, sha-384, sha-512): one that
         * the certificate matches is enough, and the first is as good as any. */
        if (fingerprint[0])
            return 0;
        if (!copy_field(fingerprint, SDP_FINGERPRINT_MAX, p + 12, n - 12)) {
            *why = "a=fingerprint is too long";
            return -1;
        }
    } else if (has_prefix(p, end, "setup:")) {
        *setup = parse_setup(p + 6, end);
    }
    return 0;
}

static int parse_media_attr(struct sdp_media *m, const char *p, const char *end, const char **why)
{
    size_t n = (size_t)(end - p);
    if (has_prefix(p, end, "rtpmap:"))
        return parse_rtpmap(m, p + 7, end, why);
    if (has_prefix(p, end, "fmtp:"))
        return parse_fmtp(m, p + 5, end, why);
    if (has_prefix(p, end, "rtcp-fb:"))
        return parse_rtcp_fb(m, p + 8, end, why);
    if (has_prefix(p, end, "extmap:"))
        return parse_extmap(m, p + 7, end, why);
    if (has_prefix(p, end, "ssrc:"))
        return parse_ssrc(m, p + 5, end, why);
    if (has_prefix(p, end, "ssrc-group:"))
        return parse_ssrc_group(m, p + 11, end, why);
    if (has_prefix(p, end, "candidate:"))
        return parse_candidate(m, p + 10, end, why);
    if (has_prefix(p, end, "rid:"))
        return sdp_parse_rid(m, p + 4, end, why);
    if (has_prefix(p, end, "simulcast:"))
        return sdp_parse_simulcast(m, p + 10, end, why);
    if (has_prefix(p, end, "mid:")) {
        if (!copy_field(m->mid, sizeof m->mid, p + 4, n - 4)) {
            *why = "a=mid is too long";
            return -1;
        }
        return 0;
    }
    if (has_prefix(p, end, "msid:")) {
        copy_field(m->msid, sizeof m->msid, p + 5, n - 5);
        return 0;
    }
    if (has_prefix(p, end, "sctp-port:")) {
        uint64_t v;
        const char *q = p + 10;
        if (read_uint(&q, end, 65535, &v))
            m->sctp_port = (uint16_t)v;
        return 0;
    }
    if (has_prefix(p, end, "sctpmap:")) {
        /* a=sctpmap:<sctp port> webrtc-datachannel <streams>: the older form's a=sctp-port. */
        uint64_t v;
        const char *q = p + 8;
        if (!m->sctp_port && read_uint(&q, end, 65535, &v))
            m->sctp_port = (uint16_t)v;
        return 0;
    }
    if (has_prefix(p, end, "max-message-size:")) {
        uint64_t v;
        const char *q = p + 17;
        if (read_uint(&q, end, UINT32_MAX, &v))
            m->max_message_size = (uint32_t)v;
        return 0;
    }
    if (n == 8 && memcmp(p, "sendrecv", 8) == 0)
        m->direction = SDP_SENDRECV;
    else if (n == 8 && memcmp(p, "sendonly", 8) == 0)
        m->direction = SDP_SENDONLY;
    else if (n == 8 && memcmp(p, "recvonly", 8) == 0)
        m->direction = SDP_RECVONLY;
    else if (n == 8 && memcmp(p, "inactive", 8) == 0)
        m->direction = SDP_INACTIVE;
    else if (n == 8 && memcmp(p, "rtcp-mux", 8) == 0)
        m->rtcp_mux = true;
    else if (n == 10 && memcmp(p, "rtcp-rsize", 10) == 0)
        m->rtcp_rsize = true;
    else if (n == 17 && memcmp(p, "end-of-candidates", 17) == 0)
        m->end_of_candidates = true;
    else if (n == 11 && memcmp(p, "bundle-only", 11) == 0)
        m->bundle_only = true;
    else
        return parse_transport_attr(m->ice_ufrag, m->ice_pwd, m->fingerprint, &m->setup, p, end,
                                    why);
    return 0;
}

static int parse_session_attr(struct sdp_session *s, const char *p, const char *end,
                              const char **why)
{
    size_t n = (size_t)(end - p);
    if (has_prefix(p, end, "group:BUNDLE")) {
        const char *mids = p + 12;
        while (mids < end && *mids == ' ')
            mids++;
        if (!copy_field(s->bundle, sizeof s->bundle, mids, (size_t)(end - mids))) {
            *why = "a=group:BUNDLE is too long";
            return -1;
        }
    } else if (n == 8 && memcmp(p, "ice-lite", 8) == 0) {
        s->ice_lite = true;
    } else if (n == 18 && memcmp(p, "extmap-allow-mixed", 18) == 0) {
        s->extmap_allow_mixed = true;
    } else {
        return parse_transport_attr(s->ice_ufrag, s->ice_pwd, s->fingerprint, &s->setup, p, end,
                                    why);
    }
    return 0;
}

/* After all lines: each rtx codec points its apt= codec at itself (RFC 4588 §8.6). */
static void link_rtx(struct sdp_media *m)
{
    for (size_t i = 0; i < m->n_codecs; i++) {
        char apt[8];
        if (strcasecmp(m->codecs[i].name, "rtx") != 0 ||
            !sdp_fmtp_get(m->codecs[i].fmtp, "apt", apt, sizeof apt))
            continue;
        struct sdp_codec *primary = codec_by_pt(m, strtoul(apt, NULL, 10));
        if (primary && primary != &m->codecs[i])
            primary->rtx_pt = m->codecs[i].pt;
    }
}

static int parse_line(struct sdp_session *out, struct sdp_media **media, const char *p,
                      const char *end, const char **why)
{
    char type = p[0];
    const char *value = p + 2;
    if (type == 'm') {
        if (out->n_media == SDP_MAX_MEDIA) {
            *why = "too many m= sections";
            return -1;
        }
        *media = &out->media[out->n_media++];
        memset(*media, 0, sizeof **media);
        (*media)->direction = SDP_SENDRECV;
        return parse_m_line(*media, value, end, why);
    }
    const char *tok;
    size_t n;
    if (type == 'o' && !*media) {
        /* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> (§5.2) */
        uint64_t v;
        if (next_token(&value, end, &tok, &n) && next_token(&value, end, &tok, &n) &&
            token_uint(tok, n, UINT64_MAX, &v)) {
            out->origin_id = v;
            if (next_token(&value, end, &tok, &n) && token_uint(tok, n, UINT64_MAX, &v))
                out->origin_version = v;
        }
        return 0;
    }
    if (type == 'c' && *media) {
        /* c=IN IP4 <address> (§5.7): kept so that writing the section says the same. */
        if (next_token(&value, end, &tok, &n) && next_token(&value, end, &tok, &n) &&
            next_token(&value, end, &tok, &n))
            copy_field((*media)->connection, sizeof(*media)->connection, tok, n);
        return 0;
    }
    if (type != 'a')
        return 0; /* s=, t=, b= and the rest carry nothing the relay uses */
    return *media ? parse_media_attr(*media, value, end, why)
                  : parse_session_attr(out, value, end, why);
}

/* Both forms share the line grammar; a full description must open with v=0 (RFC 8866 §5), a
 * fragment has no session lines (RFC 8840 §9). */
static int parse_text(struct sdp_session *out, const char *text, size_t len, bool fragment,
                      const char **why)
{
    memset(out, 0, sizeof *out);
    struct sdp_media *media = NULL;
    const char *p = text, *end = text + len;
    bool first = true;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        const char *line_end = eol ? eol : end;
        if (line_end > p && line_end[-1] == '\r')
            line_end--;
        if (line_end - p > SDP_MAX_LINE) {
            *why = "a line is longer than 2048 characters";
            return -1;
        }
        if (line_end == p) { /* blank lines (a trailing one, typically) */
            p = next;
            continue;
        }
        if (line_end - p < 2 || p[1] != '=' || !islower((unsigned char)p[0])) {
            *why = "a line is not of the form x=value";
            return -1;
        }
        if (first && !fragment && (line_end - p != 3 || memcmp(p, "v=0", 3) != 0)) {
            *why = "SDP must start with v=0";
            return -1;
        }
        first = false;
        if (memchr(p, 0, (size_t)(line_end - p))) {
            *why = "SDP contains a NUL byte";
            return -1;
        }
        if (parse_line(out, &media, p, line_end, why) < 0)
            return -1;
        p = next;
    }
    if (first) {
        *why = fragment ? "the SDP fragment is empty" : "SDP is empty";
        return -1;
    }
    for (size_t i = 0; i < out->n_media; i++)
        link_rtx(&out->media[i]);
    return 0;
}

int sdp_parse(struct sdp_session *out, const char *text, size_t len, const char **why)
{
    return parse_text(out, text, len, false, why);
}

int sdp_parse_fragment(struct sdp_session *out, const char *text, size_t len, const char **why)
{
    return parse_text(out, text, len, true, why);
}

const char *sdp_media_ice_ufrag(const struct sdp_session *s, const struct sdp_media *m)
{
    return m->ice_ufrag[0] ? m->ice_ufrag : s->ice_ufrag;
}

const char *sdp_media_ice_pwd(const struct sdp_session *s, const struct sdp_media *m)
{
    return m->ice_pwd[0] ? m->ice_pwd : s->ice_pwd;
}

const char *sdp_media_fingerprint(const struct sdp_session *s, const struct sdp_media *m)
{
    return m->fingerprint[0] ? m->fingerprint : s->fingerprint;
}

enum sdp_setup sdp_media_setup(const struct sdp_session *s, const struct sdp_media *m)
{
    return m->setup != SDP_SETUP_NONE ? m->setup : s->setup;
}

bool sdp_media_active(const struct sdp_media *m)
{
    return m->port != 0 || m->bundle_only;
}

bool sdp_in_bundle(const struct sdp_session *s, const char *mid)
{
    size_t n = strlen(mid);
    for (const char *p = s->bundle; *p;) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - start) == n && n && memcmp(start, mid, n) == 0)
            return true;
    }
    return false;
}

bool sdp_fmtp_get(const char *fmtp, const char *key, char *dst, size_t cap)
{
    size_t key_len = strlen(key);
    for (const char *p = fmtp; *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *item = p;
        while (*p && *p != ';')
            p++;
        const char *eq = memchr(item, '=', (size_t)(p - item));
        if (eq && (size_t)(eq - item) == key_len && strncasecmp(item, key, key_len) == 0)
            return copy_field(dst, cap, eq + 1, (size_t)(p - eq - 1));
    }
    return false;
}

/* H.264 profiles from profile-level-id (RFC 6184 §8.1): profile_idc, then the profile-iop byte
 * of constraint flags. The table is libwebrtc's (h264_profile_level_id.cc): a decoder cares
 * about the profile, not the level, which a receiver may exceed. MASK selects the iop bits that
 * matter, VALUE is what they must be.
 *
 *    0                   1                   2
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  profile_idc  |0|1|2|3|4|5|r|r|   level_idc   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                    constraint_set flags
 */
enum h264_profile {
    H264_CONSTRAINED_BASELINE = 1,
    H264_BASELINE,
    H264_MAIN,
    H264_HIGH,
    H264_CONSTRAINED_HIGH,
    H264_PREDICTIVE_HIGH_444,
};

static const struct {
    uint8_t profile_idc, mask, value;
    enum h264_profile profile;
} h264_profiles[] = {
    {0x42, 0x4f, 0x40, H264_CONSTRAINED_BASELINE}, /* x1xx0000 */
    {0x4d, 0x8f, 0x80, H264_CONSTRAINED_BASELINE}, /* 1xxx0000 */
    {0x58, 0xcf, 0xc0, H264_CONSTRAINED_BASELINE}, /* 11xx0000 */
    {0x42, 0x4f, 0x00, H264_BASELINE},             /* x0xx0000 */
    {0x58, 0xcf, 0x80, H264_BASELINE},             /* 10xx0000 */
    {0x4d, 0xaf, 0x00, H264_MAIN},                 /* 0x0x0000 */
    {0x64, 0xff, 0x00, H264_HIGH},                 /* 00000000 */
    {0x64, 0xff, 0x0c, H264_CONSTRAINED_HIGH},     /* 00001100 */
    {0xf4, 0xff, 0x00, H264_PREDICTIVE_HIGH_444},  /* 00000000 */
};

/* A profile from the table, or for what it does not know, profile_idc and iop as they are
 * (above 0xffff, so they equal only themselves). Absent or malformed means constrained
 * baseline, as libwebrtc takes it. */
static long h264_profile(const struct sdp_codec *c)
{
    char plid[16];
    if (!sdp_fmtp_get(c->fmtp, "profile-level-id", plid, sizeof plid) || strlen(plid) != 6 ||
        strspn(plid, "0123456789abcdefABCDEF") != 6)
        return H264_CONSTRAINED_BASELINE;
    unsigned long v = strtoul(plid, NULL, 16);
    uint8_t idc = (uint8_t)(v >> 16), iop = (uint8_t)(v >> 8);
    for (size_t i = 0; i < sizeof h264_profiles / sizeof h264_profiles[0]; i++)
        if (h264_profiles[i].profile_idc == idc &&
            (iop & h264_profiles[i].mask) == h264_profiles[i].value)
            return h264_profiles[i].profile;
    return 0x10000L | (long)idc << 8 | iop;
}

static long fmtp_number(const struct sdp_codec *c, const char *key, long absent)
{
    char v[16];
    return sdp_fmtp_get(c->fmtp, key, v, sizeof v) ? strtol(v, NULL, 10) : absent;
}

struct sdp_codec_id sdp_codec_id(const struct sdp_codec *c)
{
    struct sdp_codec_id id;
    memset(&id, 0, sizeof id);
    memcpy(id.name, c->name, sizeof id.name);
    id.name[sizeof id.name - 1] = 0;
    id.clock_rate = c->clock_rate;
    if (strcasecmp(c->name, "H264") == 0) {
        id.profile = h264_profile(c);
        id.packetization_mode = fmtp_number(c, "packetization-mode", 0);
    } else if (strcasecmp(c->name, "VP9") == 0) {
        id.profile = fmtp_number(c, "profile-id", 0);
    } else if (strcasecmp(c->name, "AV1") == 0) {
        id.profile = fmtp_number(c, "profile", 0);
    }
    return id;
}

bool sdp_codec_id_equal(const struct sdp_codec_id *a, const struct sdp_codec_id *b)
{
    return strcasecmp(a->name, b->name) == 0 && a->clock_rate == b->clock_rate &&
           a->profile == b->profile && a->packetization_mode == b->packetization_mode;
}

bool sdp_codec_compatible(const struct sdp_codec *a, const struct sdp_codec *b)
{
    struct sdp_codec_id ia = sdp_codec_id(a), ib = sdp_codec_id(b);
    return sdp_codec_id_equal(&ia, &ib);
}

/* The writer appends into a bounded buffer and remembers if anything did not fit. */
struct writer {
    char *buf;
    size_t cap, len;
    bool overflow;
};

static void put(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct writer *w, const char *fmt, ...)
{
    if (w->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->cap - w->len) {
        w->overflow = true;
        return;
    }
    w->len += (size_t)n;
}

static const char *kind_name(enum sdp_kind k)
{
    static const char *names[] = {"audio", "video", "application", "unknown"};
    return names[k];
}

static const char *direction_name(enum sdp_direction d)
{
    static const char *names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
    return names[d];
}

static const char *setup_name(enum sdp_setup s)
{
    static const char *names[] = {"", "actpass", "active", "passive"};
    return names[s];
}

/* The RTX partner that C's own lines announce (RFC 4588 §8.6): one set by the caller, not a
 * codec of the section in its own right (as a parsed rtx entry is). */
static bool writes_rtx(const struct sdp_media *m, const struct sdp_codec *c)
{
    return c->rtx_pt && codec_index(m, c->rtx_pt) == m->n_codecs;
}

/* a=rtpmap, a=rtcp-fb and a=fmtp of one codec, and of its RTX partner. */
static void write_codec(struct writer *w, const struct sdp_media *m, const struct sdp_codec *c)
{
    if (c->name[0] && c->channels)
        put(w, "a=rtpmap:%u %s/%u/%u\r\n", c->pt, c->name, c->clock_rate, c->channels);
    else if (c->name[0])
        put(w, "a=rtpmap:%u %s/%u\r\n", c->pt, c->name, c->clock_rate);
    if (c->fb_goog_remb)
        put(w, "a=rtcp-fb:%u goog-remb\r\n", c->pt);
    if (c->fb_transport_cc)
        put(w, "a=rtcp-fb:%u transport-cc\r\n", c->pt);
    if (c->fb_ccm_fir)
        put(w, "a=rtcp-fb:%u ccm fir\r\n", c->pt);
    if (c->fb_nack)
        put(w, "a=rtcp-fb:%u nack\r\n", c->pt);
    if (c->fb_nack_pli)
        put(w, "a=rtcp-fb:%u nack pli\r\n", c->pt);
    if (c->fmtp[0])
        put(w, "a=fmtp:%u %s\r\n", c->pt, c->fmtp);
    if (writes_rtx(m, c)) {
        put(w, "a=rtpmap:%u rtx/%u\r\n", c->rtx_pt, c->clock_rate);
        put(w, "a=fmtp:%u apt=%u\r\n", c->rtx_pt, c->pt);
    }
}

/* a=rid and a=simulcast lines, as sdp_simulcast.c parses them. */
static void write_simulcast_list(struct writer *w, const char *direction,
                                 const struct sdp_simulcast_stream *list, size_t n)
{
    put(w, "%s", direction);
    for (size_t i = 0; i < n; i++)
        put(w, "%c%s%s", i ? ';' : ' ', list[i].paused ? "~" : "", list[i].rid);
}

static void write_simulcast(struct writer *w, const struct sdp_media *m)
{
    for (size_t i = 0; i < m->n_rids; i++) {
        const struct sdp_rid *r = &m->rids[i];
        put(w, "a=rid:%s %s", r->id, r->send ? "send" : "recv");
        char sep = ' ';
        if (r->max_width) {
            put(w, "%cmax-width=%" PRIu32, sep, r->max_width);
            sep = ';';
        }
        if (r->max_height)
            put(w, "%cmax-height=%" PRIu32, sep, r->max_height);
        put(w, "\r\n");
    }
    if (!m->n_simulcast_send && !m->n_simulcast_recv)
        return;
    put(w, "a=simulcast:");
    if (m->n_simulcast_send)
        write_simulcast_list(w, "send", m->simulcast_send, m->n_simulcast_send);
    if (m->n_simulcast_recv)
        write_simulcast_list(w, m->n_simulcast_send ? " recv" : "recv", m->simulcast_recv,
                             m->n_simulcast_recv);
    put(w, "\r\n");
}

static void write_media(struct writer *w, const struct sdp_session *s, const struct sdp_media *m)
{
    const char *proto = m->proto[0] ? m->proto : "UDP/TLS/RTP/SAVPF";
    put(w, "m=%s %u %s", kind_name(m->kind), m->port, proto);
    /* The older data channel form names its SCTP port twice, 5000 when it was never said. */
    unsigned legacy_port = m->sctp_port ? m->sctp_port : 5000;
    if (sctp_legacy(m)) {
        put(w, " %u", legacy_port);
    } else if (!strstr(proto, "RTP")) {
        /* Formats that are not payload types: the parser keeps none of them. */
        put(w, " %s", m->kind == SDP_APPLICATION ? "webrtc-datachannel" : "*");
    } else {
        for (size_t i = 0; i < m->n_codecs; i++) {
            put(w, " %u", m->codecs[i].pt);
            if (writes_rtx(m, &m->codecs[i]))
                put(w, " %u", m->codecs[i].rtx_pt);
        }
        if (!m->n_codecs)
            put(w, " 0"); /* RFC 8866 §5.14: at least one format, even in a rejected section */
    }
    put(w, "\r\nc=IN %s %s\r\n", strchr(m->connection, ':') ? "IP6" : "IP4",
        m->connection[0] ? m->connection : "0.0.0.0");
    if (m->mid[0])
        put(w, "a=mid:%s\r\n", m->mid);
    if (!sdp_media_active(m))
        return;
    if (m->port == 0)
        put(w, "a=bundle-only\r\n");
    const char *ufrag = sdp_media_ice_ufrag(s, m), *pwd = sdp_media_ice_pwd(s, m);
    const char *fingerprint = sdp_media_fingerprint(s, m);
    enum sdp_setup setup = sdp_media_setup(s, m);
    if (ufrag[0])
        put(w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", ufrag, pwd);
    if (fingerprint[0])
        put(w, "a=fingerprint:%s\r\n", fingerprint);
    if (setup != SDP_SETUP_NONE)
        put(w, "a=setup:%s\r\n", setup_name(setup));
    if (m->kind == SDP_APPLICATION) {
        /* A peer that offered the older form reads the port only from there (aiortc takes
         * the m= line's format for a number when the protocol is DTLS/SCTP). The stream count
         * is what Chromium wrote in that form. */
        if (sctp_legacy(m))
            put(w, "a=sctpmap:%u webrtc-datachannel 1024\r\n", legacy_port);
        else if (m->sctp_port)
            put(w, "a=sctp-port:%u\r\n", m->sctp_port);
        if (m->max_message_size)
            put(w, "a=max-message-size:%" PRIu32 "\r\n", m->max_message_size);
    } else {
        put(w, "a=%s\r\n", direction_name(m->direction));
        if (m->rtcp_mux)
            put(w, "a=rtcp-mux\r\n");
        if (m->rtcp_rsize)
            put(w, "a=rtcp-rsize\r\n");
        for (size_t i = 0; i < m->n_extmaps; i++)
            put(w, "a=extmap:%u %s\r\n", m->extmaps[i].id, m->extmaps[i].uri);
        for (size_t i = 0; i < m->n_codecs; i++)
            write_codec(w, m, &m->codecs[i]);
        if (m->msid[0])
            put(w, "a=msid:%s\r\n", m->msid);
        if (m->ssrc && m->rtx_ssrc)
            put(w, "a=ssrc-group:FID %" PRIu32 " %" PRIu32 "\r\n", m->ssrc, m->rtx_ssrc);
        write_simulcast(w, m);
        uint32_t ssrcs[2] = {m->ssrc, m->rtx_ssrc};
        for (int i = 0; i < 2; i++) {
            if (!ssrcs[i])
                continue;
            if (m->cname[0])
                put(w, "a=ssrc:%" PRIu32 " cname:%s\r\n", ssrcs[i], m->cname);
            if (m->msid[0])
                put(w, "a=ssrc:%" PRIu32 " msid:%s\r\n", ssrcs[i], m->msid);
        }
    }
    for (size_t i = 0; i < m->n_candidates; i++) {
        const struct sdp_candidate *c = &m->candidates[i];
        put(w, "a=candidate:%s %u %s %" PRIu32 " %s %u typ %s", c->foundation, c->component,
            c->transport, c->priority, c->address, c->port, c->type);
        if (c->tcptype[0])
            put(w, " tcptype %s", c->tcptype);
        put(w, "\r\n");
    }
    if (m->end_of_candidates)
        put(w, "a=end-of-candidates\r\n");
}

size_t sdp_write(const struct sdp_session *s, char *buf, size_t cap)
{
    struct writer w = {buf, cap, 0, cap == 0};
    put(&w, "v=0\r\no=- %" PRIu64 " %" PRIu64 " IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", s->origin_id,
        s->origin_version);
    if (s->ice_lite)
        put(&w, "a=ice-lite\r\n");
    if (s->bundle[0])
        put(&w, "a=group:BUNDLE %s\r\n", s->bundle);
    if (s->extmap_allow_mixed)
        put(&w, "a=extmap-allow-mixed\r\n");
    put(&w, "a=msid-semantic: WMS *\r\n");
    for (size_t i = 0; i < s->n_media; i++)
        write_media(&w, s, &s->media[i]);
    return w.overflow ? 0 : w.len;
}
