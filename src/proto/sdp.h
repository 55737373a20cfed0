/* sdp: session descriptions (RFC 8866) as plain structs, with what WebRTC offer/answer needs
 * (RFC 8829 JSEP, RFC 8843 BUNDLE, RFC 8839 ICE attributes, RFC 8122 fingerprints). Pure: the
 * parser and the writer touch nothing but their arguments. */
#ifndef ONAIR_PROTO_SDP_H
#define ONAIR_PROTO_SDP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_MEDIA 8
#define SDP_MAX_CODECS 64 /* Chromium 156 offers 34 video payload types to receive */
#define SDP_MAX_EXTMAPS 16
#define SDP_MAX_CANDIDATES 8
#define SDP_MAX_LINE 2048
#define SDP_FINGERPRINT_MAX 200 /* "sha-512 " and 64 hex pairs with colons */

enum sdp_kind { SDP_AUDIO, SDP_VIDEO, SDP_APPLICATION, SDP_OTHER };
enum sdp_direction { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };
enum sdp_setup { SDP_SETUP_NONE, SDP_SETUP_ACTPASS, SDP_SETUP_ACTIVE, SDP_SETUP_PASSIVE };

struct sdp_codec {
    uint8_t pt;
    char name[16]; /* as in a=rtpmap: "opus", "VP8", "H264", "rtx"; empty without rtpmap */
    uint32_t clock_rate;
    uint8_t channels;
    char fmtp[256];
    uint8_t rtx_pt; /* the rtx payload type whose apt= names this codec; 0 = none */
    bool fb_nack, fb_nack_pli, fb_ccm_fir, fb_goog_remb, fb_transport_cc;
};

struct sdp_extmap {
    uint8_t id;
    char uri[128];
};

/* RFC 8851 restriction identifiers: letters, digits, '-' and '_'. RFC 8852 allows longer ones
 * on the wire; browsers use one or two characters, and 16 keeps the section small. */
#define SDP_RID_MAX 16
#define SDP_MAX_RIDS 4 /* simulcast streams kept per section: Chromium sends at most 4 */

/* a=rid:<id> send|recv [restrictions] (RFC 8851 §10): one RTP stream of a simulcast section.
 * Of the restrictions only the size is kept; 0 = not restricted. */
struct sdp_rid {
    char id[SDP_RID_MAX + 1];
    bool send; /* "send": the offerer sends this stream; "recv": it receives it */
    uint32_t max_width, max_height;
};

/* One stream of an a=simulcast list (RFC 8853 §5.1): the first of its alternatives. */
struct sdp_simulcast_stream {
    char rid[SDP_RID_MAX + 1];
    bool paused; /* written "~rid": offered, not sent for now */
};

struct sdp_candidate {
    char foundation[33];
    uint8_t component;
    char transport[8]; /* "udp", "tcp" */
    uint32_t priority;
    char address[64];
    uint16_t port;
    char type[8];    /* "host", "srflx", "prflx", "relay" */
    char tcptype[8]; /* "passive", "active", "so" or empty */
};

struct sdp_media {
    enum sdp_kind kind;
    uint16_t port; /* 0: rejected, unless bundle_only */
    char proto[40];
    char mid[32];
    bool bundle_only; /* a=bundle-only (RFC 8843 §6): port 0, yet in use on the bundle */
    enum sdp_direction direction;
    struct sdp_codec codecs[SDP_MAX_CODECS]; /* in m= line order; the rest are not kept */
    size_t n_codecs;
    uint64_t unkept[2]; /* bit PT set: listed in the m= line but beyond SDP_MAX_CODECS */
    struct sdp_extmap extmaps[SDP_MAX_EXTMAPS];
    size_t n_extmaps;
    uint32_t ssrc, rtx_ssrc; /* the first SSRC and its FID partner; 0 = none */
    char cname[64];
    char msid[128];
    struct sdp_rid rids[SDP_MAX_RIDS]; /* the first ones, in order */
    size_t n_rids;
    /* a=simulcast's send and recv lists, in order (RFC 8853); beyond SDP_MAX_RIDS not kept. */
    struct sdp_simulcast_stream simulcast_send[SDP_MAX_RIDS], simulcast_recv[SDP_MAX_RIDS];
    size_t n_simulcast_send, n_simulcast_recv;
    bool rtcp_mux, rtcp_rsize;
    /* Media-level ICE and DTLS attributes; empty means "as at session level". */
    char ice_ufrag[64], ice_pwd[128];
    char fingerprint[SDP_FINGERPRINT_MAX]; /* "sha-256 AB:CD:...": the first one offered */
    enum sdp_setup setup;
    uint16_t sctp_port;
    uint32_t max_message_size;
    struct sdp_candidate candidates[SDP_MAX_CANDIDATES];
    size_t n_candidates;
    bool end_of_candidates;
    char connection[64]; /* the c= address, for writing; "0.0.0.0" when empty */
};

struct sdp_session {
    uint64_t origin_id, origin_version;
    char ice_ufrag[64], ice_pwd[128];
    char fingerprint[SDP_FINGERPRINT_MAX];
    enum sdp_setup setup;
    bool ice_lite;
    char bundle[256]; /* the mids of a=group:BUNDLE, space separated */
    bool extmap_allow_mixed;
    struct sdp_media media[SDP_MAX_MEDIA];
    size_t n_media;
};

/* Parses TEXT[0..LEN) (CRLF or LF lines). Returns 0, or -1 with *why a static sentence. Unknown
 * attributes are skipped; what is malformed is refused. */
int sdp_parse(struct sdp_session *out, const char *text, size_t len, const char **why);
/* Parses an SDP fragment (RFC 8840 §9, media type application/trickle-ice-sdpfrag, the body of
 * a WHIP/WHEP PATCH): session-level a= lines such as ice-ufrag, ice-pwd and ice-options, then
 * m= sections with a=mid, a=candidate and a=end-of-candidates; no v=, o=, s= or t= lines are
 * needed. Same result and errors as sdp_parse. */
int sdp_parse_fragment(struct sdp_session *out, const char *text, size_t len, const char **why);

/* Writes S as SDP with CRLF line ends, NUL-terminated. Returns the length, or 0 when CAP is too
 * small. ICE, DTLS and setup attributes are written in every m-section, from the media's own
 * values or else the session's. A rejected section (port 0, not bundle-only) is written as its
 * m=, c= and a=mid lines only. Writing what sdp_parse made and parsing it again gives the same
 * effective values, and writing that once more gives the same text. */
size_t sdp_write(const struct sdp_session *s, char *buf, size_t cap);

/* The effective value of a media section's attribute: its own, else the session's. */
const char *sdp_media_ice_ufrag(const struct sdp_session *s, const struct sdp_media *m);
const char *sdp_media_ice_pwd(const struct sdp_session *s, const struct sdp_media *m);
const char *sdp_media_fingerprint(const struct sdp_session *s, const struct sdp_media *m);
enum sdp_setup sdp_media_setup(const struct sdp_session *s, const struct sdp_media *m);
/* Whether section M is in use: a non-zero port, or port 0 with a=bundle-only. */
bool sdp_media_active(const struct sdp_media *m);
/* Whether MID is in the BUNDLE group. */
bool sdp_in_bundle(const struct sdp_session *s, const char *mid);

/* The value of KEY in an fmtp string ("a=1;b=2"), copied into DST; false when absent. */
bool sdp_fmtp_get(const char *fmtp, const char *key, char *dst, size_t cap);
/* Whether a receiver of B can decode what A describes: same name and clock rate, and for
 * H.264 the same packetization mode and profile (from profile_idc and the constraint flags of
 * profile-level-id, RFC 6184 §8.1, as libwebrtc classifies them; the level does not matter),
 * for VP9 the same profile-id, for AV1 the same profile. */
bool sdp_codec_compatible(const struct sdp_codec *a, const struct sdp_codec *b);

/* What sdp_codec_compatible compares, without the rest of an sdp_codec (its fmtp line is most
 * of its ~290 bytes): for keeping many offered codecs to match against later. */
struct sdp_codec_id {
    char name[16];
    uint32_t clock_rate;
    long profile;            /* H.264's as classified above, VP9's profile-id, AV1's profile; 0 */
    long packetization_mode; /* H.264's; 0 for the others */
};
struct sdp_codec_id sdp_codec_id(const struct sdp_codec *c);
/* sdp_codec_compatible for the codecs A and B were made from. */
bool sdp_codec_id_equal(const struct sdp_codec_id *a, const struct sdp_codec_id *b);

#endif
