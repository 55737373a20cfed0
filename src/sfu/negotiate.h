/* negotiate: the server's side of offer/answer. From a publisher's or viewer's offer it makes
 * the SDP answer and the SFU's description of the tracks. Policy only: no I/O.
 *
 * Every answer is ICE-lite, carries the server's credentials, fingerprint and host candidates in
 * each accepted section (all bundled on one transport), a=setup:passive to an actpass or active
 * offer and active to a passive one, and a BUNDLE group of the accepted mids. Offers without
 * BUNDLE, rtcp-mux, ICE credentials or a fingerprint are refused. Codecs pass through untouched:
 * Opus; VP8, VP9, H.264 in packetization-mode 1, AV1. Data channels are refused (port 0) for
 * now. The answer and the track descriptions are written into the caller's structs. */
#ifndef ONAIR_SFU_NEGOTIATE_H
#define ONAIR_SFU_NEGOTIATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/sdp.h"
#include "sfu/sfu.h"

enum {
    NEGOTIATE_EBADSDP = -1,  /* the offer cannot work with this server: HTTP 400 */
    NEGOTIATE_ENOCODEC = -2, /* nothing in common: HTTP 406 */
};

/* The codecs a publisher's tracks are received in, by preference, when the caller does not say. */
#define NEGOTIATE_VIDEO_CODECS "VP8,H264,VP9,AV1"
#define NEGOTIATE_AUDIO_CODECS "opus"

struct negotiate_prefs {
    const char *video_codecs; /* "VP8,H264,VP9,AV1": a publisher's codec is the first it offers */
    const char *audio_codecs; /* "opus"; NULL for either means the default above */
};

/* What the server puts in its answers. */
struct negotiate_local {
    uint64_t origin_id;
    const char *ice_ufrag, *ice_pwd;
    const char *fingerprint; /* "sha-256 AB:..." */
    const char (*candidate_ips)[64];
    size_t n_candidate_ips;
    uint16_t port;
    uint16_t tcp_port; /* ICE-TCP passive candidates on it too (RFC 6544); 0: none */
    const char *cname;
    const char *stream_id;                           /* msid stream id of what viewers get */
    uint32_t ssrcs[SFU_KINDS], rtx_ssrcs[SFU_KINDS]; /* what the server sends viewers under */
};

/* The server's INDEX-th host candidate, IP:PORT over UDP, as answers and PATCH answer
 * fragments announce it. */
void negotiate_host_candidate(struct sdp_candidate *c, size_t index, const char *ip,
                              uint16_t port);
/* The same address's passive ICE-TCP candidate (RFC 6544 §4.5), below every UDP one. */
void negotiate_tcp_candidate(struct sdp_candidate *c, size_t index, const char *ip,
                             uint16_t port);

/* Whether the offer sends audio or video (sendrecv or sendonly): the seed's /offer publishes
 * for such a peer and lets the others watch. */
bool negotiate_offer_sends_media(const struct sdp_session *offer);

/* A publisher's offer. Each sendonly or sendrecv audio or video section is answered recvonly
 * with one codec, the first of PREFS it offers (H.264 constrained baseline 42e01f first), keeping
 * NACK, PLI, FIR and REMB feedback but neither RTX nor transport-cc, and the offer's extension
 * ids for the URIs the SFU carries; recvonly and inactive sections, and a second track of a
 * kind, are answered inactive. TRACKS[0..*N_TRACKS) describe what will arrive. Returns 0, or a
 * NEGOTIATE_E* code with *why a static sentence. */
int negotiate_publisher(const struct sdp_session *offer, const struct negotiate_prefs *prefs,
                        const struct negotiate_local *local, struct sdp_session *answer,
                        struct sfu_track_desc tracks[SFU_KINDS], size_t *n_tracks,
                        const char **why);

/* A viewer's offer. Each recvonly or sendrecv audio or video section is answered sendonly with
 * every codec of it the server can pass through, with its RTX partner, under the viewer's
 * payload types, so whatever the publisher sends can be forwarded; the server's SSRCs
 * (local->ssrcs, and local->rtx_ssrcs when RTX is negotiated) are announced with cname and
 * msid. LIVE (may be NULL) holds the publisher's track of each kind when the stream is live:
 * a viewer that cannot play one is refused with NEGOTIATE_ENOCODEC and a reason naming the
 * codec; so is one that can play nothing the server relays. */
int negotiate_viewer(const struct sdp_session *offer, const struct negotiate_local *local,
                     const struct sfu_track_desc *const live[SFU_KINDS], struct sdp_session *answer,
                     struct sfu_viewer_track_desc tracks[SFU_KINDS], size_t *n_tracks,
                     const char **why);

/* The viewer's payload type for a publisher's codec (same name and clock rate; H.264 by
 * packetization-mode and the profile of profile-level-id, VP9 by profile-id: see
 * sdp_codec_compatible), with its RTX payload type in *RTX_PT (0 = none; RTX_PT may be NULL).
 * Returns -1 when the viewer cannot play the codec. */
int negotiate_match_codec(const struct sdp_codec *codecs, size_t n_codecs,
                          const struct sdp_codec *publisher_codec, uint8_t *rtx_pt);

/* A data channel section accepted by negotiate_data_channel. */
struct negotiate_data {
    uint16_t remote_sctp_port;         /* the peer's a=sctp-port (5000 when absent) */
    uint32_t remote_max_message_size;  /* the peer's a=max-message-size (65536 when absent) */
};

/* The largest message the server takes on a data channel (a=max-message-size). */
#define NEGOTIATE_MAX_MESSAGE_SIZE (256 * 1024)
#define NEGOTIATE_SCTP_PORT 5000

/* Accepts the offer's first data channel section (m=application UDP/DTLS/SCTP
 * webrtc-datachannel, RFC 8841) in an ANSWER made by negotiate_publisher or negotiate_viewer,
 * which left it rejected. Returns false (and changes nothing) when the offer has none that can
 * be bundled with the media. */
bool negotiate_data_channel(const struct sdp_session *offer, const struct negotiate_local *local,
                            struct sdp_session *answer, struct negotiate_data *out);

#endif
