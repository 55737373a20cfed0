/* viewer_answer: a recvonly answer that takes what the offerer sends. */
#include "app/viewer_answer.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The first codec that carries media: not a retransmission or FEC format (RFC 4588, 2198,
 * 5109), which only accompany it. Returns an index into M->codecs, or -1. */
static int first_media_codec(const struct sdp_media *m)
{
    static const char *const helpers[] = {"rtx", "red", "ulpfec", "flexfec-03"};
    for (size_t i = 0; i < m->n_codecs; i++) {
        bool helper = false;
        for (size_t h = 0; h < sizeof helpers / sizeof *helpers; h++)
            helper |= strcasecmp(m->codecs[i].name, helpers[h]) == 0;
        if (!helper)
            return (int)i;
    }
    return -1;
}

/* Answers one offered section into A (which holds the offer's copy): received with its first
 * media codec, or rejected (port 0, RFC 8829 §5.3.1) when it is not audio or video we can
 * take. Returns whether it was accepted. */
static bool answer_media(struct sdp_media *a)
{
    const struct sdp_media offered = *a;
    int codec = first_media_codec(&offered);
    memset(a, 0, sizeof *a);
    a->kind = offered.kind;
    snprintf(a->proto, sizeof a->proto, "%s", offered.proto);
    snprintf(a->mid, sizeof a->mid, "%s", offered.mid);
    bool sends = offered.direction == SDP_SENDONLY || offered.direction == SDP_SENDRECV;
    if ((offered.kind != SDP_AUDIO && offered.kind != SDP_VIDEO) || codec < 0 ||
        !sdp_media_active(&offered) || !sends)
        return false;
    a->port = 9;
    a->direction = SDP_RECVONLY;
    a->rtcp_mux = true;
    a->rtcp_rsize = offered.rtcp_rsize;
    a->codecs[0] = offered.codecs[codec];
    a->codecs[0].rtx_pt = 0;
    a->n_codecs = 1;
    return true;
}

void viewer_answer_build(struct sdp_session *answer, const struct sdp_session *offer)
{
    memset(answer, 0, sizeof *answer);
    RAND_bytes((uint8_t *)&answer->origin_id, sizeof answer->origin_id);
    answer->origin_id >>= 2; /* SDP's origin is a decimal of at most 63 bits */
    answer->n_media = offer->n_media;
    for (size_t i = 0; i < offer->n_media; i++) {
        answer->media[i] = offer->media[i];
        if (!answer_media(&answer->media[i]))
            continue;
        /* RFC 8843 §7.3: the answer's BUNDLE group holds the accepted sections. */
        size_t used = strlen(answer->bundle);
        snprintf(answer->bundle + used, sizeof answer->bundle - used, "%s%s", used ? " " : "",
                 answer->media[i].mid);
    }
}
