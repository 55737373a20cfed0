/* negotiate: the server's side of offer/answer. From a publisher's or viewer's offer it makes
 * the SDP answer and the SFU's description of the tracks. Policy only: no I/O. */
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

struct negotiate_prefs {
    const char *video_codecs; /* "VP8,H264,VP9,AV1": a publisher's codec is the first it offers */
    const char *audio_codecs; /* "opus" */
};

/* What the server puts in its answers. */
struct negotiate_local {
    uint64_t origin_id;
    const char *ice_ufrag, *ice_pwd;
    const char *fingerprint; /* "sha-256 AB:..." */
    const char (*candidate_ips)[64];
    size_t n_candidate_ips;
    uint16_t port;
    const char *cname;
    const char *stream_id;                              /* msid stream id of what viewers get */
    uint32_t ssrcs[SFU_KINDS], rtx_ssrcs[SFU_KINDS];    /* what the server sends viewers under */
};

/* Whether the offer sends audio or video (sendrecv or sendonly): the seed's /offer publishes
 * for such a peer and watches for the others. */
bool negotiate_offer_sends_media(const struct sdp_session *offer);

/* A publisher's offer: one codec per track by preference; the answer receives only. Returns 0,
 * or a NEGOTIATE_E* code with *why. */
int negotiate_publisher(const struct sdp_session *offer, const struct negotiate_prefs *prefs,
                        const struct negotiate_local *local, struct sdp_session *answer,
                        struct sfu_track_desc tracks[SFU_KINDS], size_t *n_tracks,
                        const char **why);

/* A viewer's offer: every codec the server can pass through, so whatever the publisher sends
 * can be forwarded. LIVE[kind] is the publisher's track when the stream is live (else NULL):
 * a viewer that cannot play it is refused with NEGOTIATE_ENOCODEC. */
int negotiate_viewer(const struct sdp_session *offer, const struct negotiate_local *local,
                     const struct sfu_track_desc *const live[SFU_KINDS], struct sdp_session *answer,
                     struct sfu_viewer_track_desc tracks[SFU_KINDS], size_t *n_tracks,
                     const char **why);

#endif
