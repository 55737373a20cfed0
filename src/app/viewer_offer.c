/* viewer_offer: a recvonly offer that accepts whatever the relay forwards. */
#include "app/viewer_offer.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

static void add_codec(struct sdp_media *m, uint8_t pt, const char *name, uint32_t rate,
                      uint8_t channels, const char *fmtp)
{
    struct sdp_codec *c = &m->codecs[m->n_codecs++];
    c->pt = pt;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->clock_rate = rate;
    c->channels = channels;
    snprintf(c->fmtp, sizeof c->fmtp, "%s", fmtp);
    c->fb_nack = true;
    c->fb_nack_pli = m->kind == SDP_VIDEO;
    c->fb_ccm_fir = m->kind == SDP_VIDEO;
}

void viewer_offer_build(struct sdp_session *offer)
{
    memset(offer, 0, sizeof *offer);
    RAND_bytes((uint8_t *)&offer->origin_id, sizeof offer->origin_id);
    offer->origin_id >>= 2; /* SDP's origin is a decimal of at most 63 bits */
    snprintf(offer->bundle, sizeof offer->bundle, "0 1");
    for (int k = 0; k < 2; k++) {
        struct sdp_media *m = &offer->media[offer->n_media++];
        m->kind = k == 0 ? SDP_AUDIO : SDP_VIDEO;
        m->port = 9;
        snprintf(m->mid, sizeof m->mid, "%d", k);
        m->direction = SDP_RECVONLY;
        m->rtcp_mux = m->rtcp_rsize = true;
        if (k == 0) {
            add_codec(m, 111, "opus", 48000, 2, "minptime=10;useinbandfec=1");
            continue;
        }
        add_codec(m, 96, "VP8", 90000, 0, "");
        add_codec(m, 102, "H264", 90000, 0,
                  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
        add_codec(m, 127, "H264", 90000, 0,
                  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
        add_codec(m, 108, "H264", 90000, 0,
                  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f");
        /* These clients decode nothing: High profile (x264's and most cameras' default) is
         * taken as it comes. */
        add_codec(m, 112, "H264", 90000, 0,
                  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f");
        add_codec(m, 98, "VP9", 90000, 0, "profile-id=0");
        add_codec(m, 45, "AV1", 90000, 0, "");
    }
}
