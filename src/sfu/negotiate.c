/* negotiate: accepts what the relay can pass through untouched (Opus; VP8, VP9, H.264 in
 * packetization mode 1, AV1), requires BUNDLE and rtcp-mux, and answers as ICE-lite. */
#include "sfu/negotiate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool passthrough_codec(const struct sdp_codec *c, enum sdp_kind kind)
{
    if (kind == SDP_AUDIO)
        return strcasecmp(c->name, "opus") == 0 && c->clock_rate == 48000;
    if (c->clock_rate != 90000)
        return false;
    if (strcasecmp(c->name, "H264") == 0) {
        char mode[8];
        return sdp_fmtp_get(c->fmtp, "packetization-mode", mode, sizeof mode) &&
               strcmp(mode, "1") == 0;
    }
    return strcasecmp(c->name, "VP8") == 0 || strcasecmp(c->name, "VP9") == 0 ||
           strcasecmp(c->name, "AV1") == 0;
}

/* The offered codec copied into the answer with the feedback the relay uses: NACK, PLI, FIR,
 * REMB. Transport-wide congestion control is not negotiated (the relay answers with REMB). */
static struct sdp_codec answer_codec(const struct sdp_codec *offered, bool with_rtx)
{
    struct sdp_codec c = *offered;
    c.fb_transport_cc = false;
    if (!with_rtx)
        c.rtx_pt = 0;
    return c;
}

static bool offer_is_sending(const struct sdp_media *m)
{
    return m->direction == SDP_SENDONLY || m->direction == SDP_SENDRECV;
}

static bool offer_is_receiving(const struct sdp_media *m)
{
    return m->direction == SDP_RECVONLY || m->direction == SDP_SENDRECV;
}

bool negotiate_offer_sends_media(const struct sdp_session *offer)
{
    for (size_t i = 0; i < offer->n_media; i++) {
        const struct sdp_media *m = &offer->media[i];
        if ((m->kind == SDP_AUDIO || m->kind == SDP_VIDEO) && sdp_media_active(m) &&
            offer_is_sending(m))
            return true;
    }
    return false;
}

/* What every usable offer must have (RFC 8829 §5.2, RFC 8843): BUNDLE, rtcp-mux, and ICE and
 * DTLS credentials, since the server bundles everything on one transport. */
static int check_offer(const struct sdp_session *offer, const char **why)
{
    bool any = false;
    if (offer->ice_lite) {
        *why = "the offer is ICE-lite like the server: one side must be a full ICE agent";
        return NEGOTIATE_EBADSDP;
    }
    for (size_t i = 0; i < offer->n_media; i++) {
        const struct sdp_media *m = &offer->media[i];
        if (!sdp_media_active(m) || (m->kind != SDP_AUDIO && m->kind != SDP_VIDEO))
            continue;
        any = true;
        if (!m->mid[0] || !sdp_in_bundle(offer, m->mid)) {
            *why = "the offer must BUNDLE its media (a=group:BUNDLE with every a=mid)";
            return NEGOTIATE_EBADSDP;
        }
        if (!m->rtcp_mux) {
            *why = "the offer must use rtcp-mux (a=rtcp-mux)";
            return NEGOTIATE_EBADSDP;
        }
        if (!sdp_media_ice_ufrag(offer, m)[0] || !sdp_media_ice_pwd(offer, m)[0]) {
            *why = "the offer has no ICE credentials (a=ice-ufrag and a=ice-pwd)";
            return NEGOTIATE_EBADSDP;
        }
        if (!sdp_media_fingerprint(offer, m)[0]) {
            *why = "the offer has no DTLS fingerprint (a=fingerprint)";
            return NEGOTIATE_EBADSDP;
        }
        if (strstr(m->proto, "SAVPF") == NULL) {
            *why = "the offer's media must use UDP/TLS/RTP/SAVPF (DTLS-SRTP)";
            return NEGOTIATE_EBADSDP;
        }
    }
    if (!any) {
        *why = "the offer has no audio or video section";
        return NEGOTIATE_EBADSDP;
    }
    return 0;
}

static void answer_session(const struct sdp_session *offer, const struct negotiate_local *local,
                           struct sdp_session *answer)
{
    memset(answer, 0, sizeof *answer);
    answer->origin_id = local->origin_id;
    answer->origin_version = 2;
    answer->ice_lite = true;
    snprintf(answer->ice_ufrag, sizeof answer->ice_ufrag, "%s", local->ice_ufrag);
    snprintf(answer->ice_pwd, sizeof answer->ice_pwd, "%s", local->ice_pwd);
    snprintf(answer->fingerprint, sizeof answer->fingerprint, "%s", local->fingerprint);
    /* RFC 8842 §5.3: answer actpass (or active) with passive, so the peer connects and the
     * server is the DTLS server; passive with active. The sections are bundled: the first
     * audio or video one speaks for all. */
    enum sdp_setup theirs = SDP_SETUP_ACTPASS;
    for (size_t i = 0; i < offer->n_media; i++) {
        const struct sdp_media *m = &offer->media[i];
        if (sdp_media_active(m) && (m->kind == SDP_AUDIO || m->kind == SDP_VIDEO)) {
            theirs = sdp_media_setup(offer, m);
            break;
        }
    }
    answer->setup = theirs == SDP_SETUP_PASSIVE ? SDP_SETUP_ACTIVE : SDP_SETUP_PASSIVE;
}

/* Starts the answer's section for offered section M: same kind and mid, rejected until the
 * caller accepts it. */
static struct sdp_media *answer_media(struct sdp_session *answer, const struct sdp_media *m)
{
    struct sdp_media *a = &answer->media[answer->n_media++];
    memset(a, 0, sizeof *a);
    a->kind = m->kind;
    snprintf(a->proto, sizeof a->proto, "%s", m->proto);
    snprintf(a->mid, sizeof a->mid, "%s", m->mid);
    a->direction = SDP_INACTIVE;
    if (m->n_codecs) /* names the format of a rejected or inactive section */
        a->codecs[a->n_codecs++] = answer_codec(&m->codecs[0], false);
    return a;
}

/* Which offered sections the media negotiation takes part in: audio and video. Data channels
 * (m=application) are left rejected here and accepted afterwards by negotiate_data_channel. */
static bool accepts_section(const struct sdp_media *m)
{
    return sdp_media_active(m) && (m->kind == SDP_AUDIO || m->kind == SDP_VIDEO);
}

void negotiate_host_candidate(struct sdp_candidate *c, size_t index, const char *ip,
                              uint16_t port)
{
    memset(c, 0, sizeof *c);
    snprintf(c->foundation, sizeof c->foundation, "%zu", index + 1);
    c->component = 1;
    snprintf(c->transport, sizeof c->transport, "udp");
    /* RFC 8445 §5.1.2.1 host preference 126, local preference by order. */
    c->priority = (126u << 24) | ((65535u - (uint32_t)index) << 8) | 255u;
    snprintf(c->address, sizeof c->address, "%s", ip);
    c->port = port;
    snprintf(c->type, sizeof c->type, "host");
}

void negotiate_tcp_candidate(struct sdp_candidate *c, size_t index, const char *ip,
                             uint16_t port)
{
    negotiate_host_candidate(c, index, ip, port);
    snprintf(c->foundation, sizeof c->foundation, "%zu", 100 + index + 1);
    snprintf(c->transport, sizeof c->transport, "tcp");
    snprintf(c->tcptype, sizeof c->tcptype, "passive");
    /* RFC 6544 §4.2: local preference (2^13 * direction-pref + other-pref), passive
     * direction-pref 2; well under UDP's, so TCP is used only when UDP does not work. */
    c->priority = (126u << 24) | ((2u * 8192u - (uint32_t)index) << 8) | 255u;
}

static void accept_media(struct sdp_session *answer, struct sdp_media *a,
                         const struct sdp_media *offered, const struct negotiate_local *local)
{
    a->port = local->port ? local->port : 9;
    a->rtcp_mux = true;
    a->rtcp_rsize = offered->rtcp_rsize;
    snprintf(a->connection, sizeof a->connection, "%s",
             local->n_candidate_ips ? local->candidate_ips[0] : "0.0.0.0");
    for (size_t i = 0; i < local->n_candidate_ips && a->n_candidates < SDP_MAX_CANDIDATES; i++)
        negotiate_host_candidate(&a->candidates[a->n_candidates++], i, local->candidate_ips[i],
                                 local->port);
    for (size_t i = 0; local->tcp_port && i < local->n_candidate_ips &&
                       a->n_candidates < SDP_MAX_CANDIDATES;
         i++)
        negotiate_tcp_candidate(&a->candidates[a->n_candidates++], i, local->candidate_ips[i],
                                local->tcp_port);
    a->end_of_candidates = true;
    size_t n = strlen(answer->bundle);
    snprintf(answer->bundle + n, sizeof answer->bundle - n, "%s%s", n ? " " : "", a->mid);
}

/* The URI each one-byte extension id (1..14) is bound to so far in the bundle. RFC 8285 §6 keeps
 * an id to one URI across a BUNDLE group, but aiortc offers id 2 as abs-send-time for video and
 * as ssrc-audio-level for audio, and then parses every packet of the transport with one map:
 * an audio-level element read as a 3-byte abs-send-time ends its receive loop. */
struct ext_bindings {
    const char *uri[15];
};

/* Puts the offer's extmap E in answer section A, if it can be: ids above 14 need the two-byte
 * form, which the answer does not allow (it has no a=extmap-allow-mixed), and an id an earlier
 * section of the bundle already answered for another URI is taken. */
static bool bind_extmap(struct sdp_media *a, const struct sdp_extmap *e, struct ext_bindings *bound)
{
    if (e->id < 1 || e->id > 14 || a->n_extmaps == SDP_MAX_EXTMAPS ||
        (bound->uri[e->id] && strcmp(bound->uri[e->id], e->uri) != 0))
        return false;
    bound->uri[e->id] = e->uri;
    a->extmaps[a->n_extmaps++] = *e;
    return true;
}

/* The header extensions the relay carries (RFC 8285), under the offer's ids, each in the kind of
 * section it belongs to. */
static void answer_extmaps(struct sdp_media *a, const struct sdp_media *m,
                           uint8_t ext_ids[SFU_EXT_COUNT], struct ext_bindings *bound)
{
    memset(ext_ids, 0, SFU_EXT_COUNT);
    for (size_t i = 0; i < m->n_extmaps; i++) {
        const struct sdp_extmap *e = &m->extmaps[i];
        int ext = sfu_ext_from_uri(e->uri);
        if (ext < 0 || ext_ids[ext])
            continue;
        bool audio_only = ext == SFU_EXT_AUDIO_LEVEL;
        bool video_only = ext == SFU_EXT_VIDEO_ORIENTATION || ext == SFU_EXT_PLAYOUT_DELAY;
        if ((audio_only && m->kind != SDP_AUDIO) || (video_only && m->kind != SDP_VIDEO))
            continue;
        if (bind_extmap(a, e, bound))
            ext_ids[ext] = e->id;
    }
}

#define RTP_STREAM_ID_URI "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"

/* A publisher's simulcast (RFC 8853): every stream of the offer's send list that has its a=rid
 * is taken, as a=rid recv and a=simulcast:recv in answer section A, with the rtp-stream-id
 * extension when the offer has it and its id is free. Without this answer a browser sends only
 * its first encoding, which is often its smallest. Returns the number of layers, 0 for none (a
 * list of one is no simulcast). */
static uint8_t answer_simulcast(struct sdp_media *a, const struct sdp_media *m,
                                struct ext_bindings *bound)
{
    for (size_t i = 0; i < m->n_simulcast_send; i++) {
        const struct sdp_simulcast_stream *s = &m->simulcast_send[i];
        bool taken = false;
        for (size_t r = 0; r < a->n_rids; r++)
            taken |= strcmp(a->rids[r].id, s->rid) == 0;
        for (size_t r = 0; r < m->n_rids && !taken; r++) {
            if (!m->rids[r].send || strcmp(m->rids[r].id, s->rid) != 0)
                continue;
            struct sdp_rid *rid = &a->rids[a->n_rids++];
            snprintf(rid->id, sizeof rid->id, "%s", s->rid);
            a->simulcast_recv[a->n_simulcast_recv++] = *s;
            break;
        }
    }
    if (a->n_rids < 2) {
        a->n_rids = a->n_simulcast_recv = 0;
        return 0;
    }
    for (size_t i = 0; i < m->n_extmaps; i++)
        if (strcmp(m->extmaps[i].uri, RTP_STREAM_ID_URI) == 0 &&
            bind_extmap(a, &m->extmaps[i], bound))
            break;
    return (uint8_t)a->n_rids;
}

/* How much a publisher's H.264 entry is wanted: constrained baseline level 3.1 (42e01f) is what
 * every browser decodes, then constrained baseline at any level, then the rest. */
static int h264_rank(const struct sdp_codec *c)
{
    char plid[16];
    if (!sdp_fmtp_get(c->fmtp, "profile-level-id", plid, sizeof plid))
        return 0;
    if (strcasecmp(plid, "42e01f") == 0)
        return 2;
    return strncasecmp(plid, "42e0", 4) == 0;
}

/* A publisher's codec for section M: the first name in PREFS (comma-separated) that it offers,
 * and the first offered entry of that name, but for H.264 the best ranked. */
static const struct sdp_codec *pick_codec(const struct sdp_media *m, const char *prefs)
{
    char list[128];
    snprintf(list, sizeof list, "%s", prefs);
    for (char *save, *name = strtok_r(list, ", ", &save); name;
         name = strtok_r(NULL, ", ", &save)) {
        const struct sdp_codec *best = NULL;
        for (size_t i = 0; i < m->n_codecs; i++) {
            const struct sdp_codec *c = &m->codecs[i];
            if (strcasecmp(c->name, name) != 0 || !passthrough_codec(c, m->kind))
                continue;
            if (!best || h264_rank(c) > h264_rank(best))
                best = c;
        }
        if (best)
            return best;
    }
    return NULL;
}

int negotiate_publisher(const struct sdp_session *offer, const struct negotiate_prefs *prefs,
                        const struct negotiate_local *local, struct sdp_session *answer,
                        struct sfu_track_desc tracks[SFU_KINDS], size_t *n_tracks, const char **why)
{
    int rc = check_offer(offer, why);
    if (rc < 0)
        return rc;
    answer_session(offer, local, answer);
    *n_tracks = 0;
    bool have[SFU_KINDS] = {false, false}, receiving = false;
    struct ext_bindings bound = {0};
    for (size_t i = 0; i < offer->n_media; i++) {
        const struct sdp_media *m = &offer->media[i];
        struct sdp_media *a = answer_media(answer, m);
        if (!accepts_section(m))
            continue; /* rejected: port 0 */
        enum sfu_kind kind = m->kind == SDP_VIDEO ? SFU_VIDEO : SFU_AUDIO;
        accept_media(answer, a, m, local);
        receiving |= offer_is_receiving(m);
        if (!offer_is_sending(m) || have[kind])
            continue; /* answered inactive: nothing to receive, or a second track of a kind */
        const char *names = kind == SFU_VIDEO ? prefs->video_codecs : prefs->audio_codecs;
        if (!names)
            names = kind == SFU_VIDEO ? NEGOTIATE_VIDEO_CODECS : NEGOTIATE_AUDIO_CODECS;
        const struct sdp_codec *c = pick_codec(m, names);
        if (!c) {
            *why = kind == SFU_VIDEO ? "no video codec in common: the server relays VP8, H264 "
                                       "(packetization-mode=1), VP9 or AV1"
                                     : "no audio codec in common: the server relays Opus";
            return NEGOTIATE_ENOCODEC;
        }
        a->codecs[0] = answer_codec(c, false);
        a->n_codecs = 1;
        a->direction = SDP_RECVONLY;
        struct sfu_track_desc *t = &tracks[(*n_tracks)++];
        memset(t, 0, sizeof *t);
        t->kind = kind;
        snprintf(t->mid, sizeof t->mid, "%s", m->mid);
        t->codec = a->codecs[0];
        t->ssrc = m->ssrc;
        answer_extmaps(a, m, t->ext_ids, &bound);
        if (kind == SFU_VIDEO)
            t->layers = answer_simulcast(a, m, &bound);
        have[kind] = true;
    }
    if (!*n_tracks) { /* a viewer's offer sent to the publishers' URL: say so */
        *why = receiving ? "the offer sends no audio or video to publish: it only receives, as "
                           "a viewer's does (watch at /whep/NAME)"
                         : "the offer sends no audio or video to publish";
        return NEGOTIATE_EBADSDP;
    }
    return 0;
}

/* Fills viewer track T and answer section A with every codec of offered section M that the
 * relay passes through, each with its RTX partner; false if there is none. */
static bool viewer_codecs(struct sdp_media *a, const struct sdp_media *m,
                          struct sfu_viewer_track_desc *t)
{
    a->n_codecs = 0;
    for (size_t i = 0; i < m->n_codecs && t->n_codecs < SFU_VIEWER_CODECS; i++) {
        if (!passthrough_codec(&m->codecs[i], m->kind))
            continue;
        struct sdp_codec c = answer_codec(&m->codecs[i], true);
        a->codecs[a->n_codecs++] = c;
        t->codecs[t->n_codecs++] = c;
    }
    return t->n_codecs > 0;
}

/* Why a viewer cannot watch a live track, naming the track's codec. */
static const char *unplayable_reason(const struct sdp_codec *live)
{
    static const struct {
        const char *name, *why;
    } reasons[] = {
        {"VP8", "the stream's video is VP8 and this viewer did not offer VP8"},
        {"VP9", "the stream's video is VP9 and this viewer did not offer VP9 of its profile"},
        {"H264", "the stream's video is H264 and this viewer did not offer H264 of its profile "
                 "with packetization-mode=1"},
        {"AV1", "the stream's video is AV1 and this viewer did not offer AV1 of its profile"},
        {"opus", "the stream's audio is Opus and this viewer did not offer Opus"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (strcasecmp(live->name, reasons[i].name) == 0)
            return reasons[i].why;
    return "this viewer offered none of the codecs the stream is in (see /api/streams)";
}

int negotiate_match_codec(const struct sdp_codec *codecs, size_t n_codecs,
                          const struct sdp_codec *publisher_codec, uint8_t *rtx_pt)
{
    for (size_t i = 0; i < n_codecs; i++) {
        if (sdp_codec_compatible(publisher_codec, &codecs[i])) {
            if (rtx_pt)
                *rtx_pt = codecs[i].rtx_pt;
            return codecs[i].pt;
        }
    }
    return -1;
}

/* Announces the server's sending track in answer section A (RFC 5576 a=ssrc, RFC 8830 msid). */
static void announce_track(struct sdp_media *a, const struct sfu_viewer_track_desc *t,
                           const struct negotiate_local *local)
{
    a->direction = SDP_SENDONLY;
    a->ssrc = t->ssrc;
    a->rtx_ssrc = t->rtx_ssrc;
    snprintf(a->cname, sizeof a->cname, "%s", local->cname);
    snprintf(a->msid, sizeof a->msid, "%s %s-%s", local->stream_id, local->stream_id,
             t->kind == SFU_VIDEO ? "video" : "audio");
}

int negotiate_viewer(const struct sdp_session *offer, const struct negotiate_local *local,
                     const struct sfu_track_desc *const live[SFU_KINDS], struct sdp_session *answer,
                     struct sfu_viewer_track_desc tracks[SFU_KINDS], size_t *n_tracks,
                     const char **why)
{
    int rc = check_offer(offer, why);
    if (rc < 0)
        return rc;
    answer_session(offer, local, answer);
    *n_tracks = 0;
    bool have[SFU_KINDS] = {false, false}, unplayable = false, sending = false;
    struct ext_bindings bound = {0};
    for (size_t i = 0; i < offer->n_media; i++) {
        const struct sdp_media *m = &offer->media[i];
        struct sdp_media *a = answer_media(answer, m);
        if (!accepts_section(m))
            continue; /* rejected: port 0 */
        enum sfu_kind kind = m->kind == SDP_VIDEO ? SFU_VIDEO : SFU_AUDIO;
        accept_media(answer, a, m, local);
        sending |= offer_is_sending(m);
        if (!offer_is_receiving(m) || have[kind])
            continue; /* answered inactive */
        struct sfu_viewer_track_desc *t = &tracks[*n_tracks];
        memset(t, 0, sizeof *t);
        bool playable = viewer_codecs(a, m, t);
        if (live && live[kind] &&
            negotiate_match_codec(t->codecs, t->n_codecs, &live[kind]->codec, NULL) < 0) {
            *why = unplayable_reason(&live[kind]->codec);
            return NEGOTIATE_ENOCODEC;
        }
        if (!playable) {
            a->codecs[a->n_codecs++] = answer_codec(&m->codecs[0], false);
            unplayable = true;
            continue; /* answered inactive */
        }
        (*n_tracks)++;
        have[kind] = true;
        t->kind = kind;
        snprintf(t->mid, sizeof t->mid, "%s", m->mid);
        t->ssrc = local->ssrcs[kind];
        for (size_t c = 0; c < t->n_codecs; c++)
            if (t->codecs[c].rtx_pt)
                t->rtx_ssrc = local->rtx_ssrcs[kind];
        answer_extmaps(a, m, t->ext_ids, &bound);
        announce_track(a, t, local);
    }
    if (!*n_tracks) {
        *why = unplayable ? "the offer receives no codec the server relays (Opus; VP8, VP9, "
                            "H264 with packetization-mode=1, AV1)"
               : sending  ? "the offer receives no audio or video: it only sends, as a "
                            "publisher's does (publish at /whip/NAME)"
                          : "the offer receives no audio or video";
        return unplayable ? NEGOTIATE_ENOCODEC : NEGOTIATE_EBADSDP;
    }
    return 0;
}

bool negotiate_data_channel(const struct sdp_session *offer, const struct negotiate_local *local,
                            struct sdp_session *answer, struct negotiate_data *out)
{
    for (size_t i = 0; i < offer->n_media && i < answer->n_media; i++) {
        const struct sdp_media *m = &offer->media[i];
        if (m->kind != SDP_APPLICATION || !sdp_media_active(m) || !strstr(m->proto, "SCTP") ||
            !sdp_in_bundle(offer, m->mid))
            continue;
        struct sdp_media *a = &answer->media[i];
        accept_media(answer, a, m, local);
        a->n_codecs = 0;
        a->rtcp_mux = a->rtcp_rsize = false;
        a->sctp_port = NEGOTIATE_SCTP_PORT;
        a->max_message_size = NEGOTIATE_MAX_MESSAGE_SIZE;
        out->remote_sctp_port = m->sctp_port ? m->sctp_port : NEGOTIATE_SCTP_PORT;
        out->remote_max_message_size = m->max_message_size ? m->max_message_size : 65536;
        return true;
    }
    return false;
}
