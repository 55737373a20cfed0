/* sfu: the registry of streams, joining and leaving, feedback from viewers, and the periodic
 * reports (receiver reports and REMB to publishers, sender reports to viewers). */
#include "sfu/sfu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "proto/rtcp.h"
#include "proto/rtp.h"
#include "sfu/sfu_internal.h"

#define REPORT_INTERVAL_US 1000000
#define RATE_INTERVAL_US 1000000

static const char *ext_uris[SFU_EXT_COUNT] = {
    [SFU_EXT_MID] = "urn:ietf:params:rtp-hdrext:sdes:mid",
    [SFU_EXT_AUDIO_LEVEL] = "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    [SFU_EXT_ABS_SEND_TIME] = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    [SFU_EXT_VIDEO_ORIENTATION] = "urn:3gpp:video-orientation",
    [SFU_EXT_PLAYOUT_DELAY] = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
};

const char *sfu_ext_uri(enum sfu_ext ext) { return ext_uris[ext]; }

int sfu_ext_from_uri(const char *uri)
{
    for (int e = 0; e < SFU_EXT_COUNT; e++)
        if (strcmp(uri, ext_uris[e]) == 0)
            return e;
    return -1;
}

struct sfu *sfu_new(const struct sfu_config *config)
{
    struct sfu *sfu = xcalloc(1, sizeof *sfu);
    sfu->config = *config;
    if (sfu->config.lanes < 1 || !sfu->config.run_lanes)
        sfu->config.lanes = 1;
    if (!sfu->config.lane_min_sends)
        sfu->config.lane_min_sends = SFU_LANE_MIN_SENDS;
    sfu->lane_results = xcalloc_lines(sfu->config.lanes, sizeof *sfu->lane_results);
    hmap_init(&sfu->by_name);
    sfu->next_gen = 1;
    static const double delay_us[] = {10,   25,   50,   100,  250,   500,   1000, 1500,
                                      2000, 3000, 5000, 7500, 10000, 20000, 50000};
    static const double join_ms[] = {50, 100, 250, 500, 1000, 2000, 5000, 10000};
    histogram_init(&sfu->forward_delay_us, delay_us, sizeof delay_us / sizeof delay_us[0]);
    histogram_init(&sfu->join_ms, join_ms, sizeof join_ms / sizeof join_ms[0]);
    return sfu;
}

void sfu_free(struct sfu *sfu)
{
    if (!sfu)
        return;
    /* Participants belong to their sessions, which are closed before the SFU; streams left
     * here have neither. */
    for (size_t i = 0; i < sfu->n_streams; i++) {
        free(sfu->streams[i]->viewers);
        free(sfu->streams[i]);
    }
    free(sfu->streams);
    free(sfu->dirty);
    for (unsigned i = 0; i < sfu->config.lanes; i++)
        free(sfu->lane_results[i].join_ms);
    free(sfu->lane_results);
    hmap_free(&sfu->by_name);
    free(sfu);
}

static struct sfu_stream *stream_find(const struct sfu *sfu, const char *name)
{
    return hmap_get(&sfu->by_name, name, strlen(name));
}

static struct sfu_stream *stream_get(struct sfu *sfu, const char *name)
{
    struct sfu_stream *stream = stream_find(sfu, name);
    if (stream)
        return stream;
    stream = xcalloc(1, sizeof *stream);
    snprintf(stream->name, sizeof stream->name, "%s", name);
    hmap_put(&sfu->by_name, stream->name, strlen(stream->name), stream);
    if (sfu->n_streams == sfu->cap_streams) {
        sfu->cap_streams = sfu->cap_streams ? sfu->cap_streams * 2 : 8;
        sfu->streams = xrealloc(sfu->streams, sfu->cap_streams * sizeof *sfu->streams);
    }
    stream->index = sfu->n_streams;
    sfu->streams[sfu->n_streams++] = stream;
    return stream;
}

/* A stream lives while it has a publisher or a viewer. */
static void stream_release(struct sfu *sfu, struct sfu_stream *stream)
{
    if (stream->publisher || stream->n_viewers)
        return;
    hmap_del(&sfu->by_name, stream->name, strlen(stream->name));
    sfu->streams[stream->index] = sfu->streams[--sfu->n_streams];
    sfu->streams[stream->index]->index = stream->index;
    free(stream->viewers);
    free(stream);
}

struct sfu_publisher *sfu_publisher_attach(struct sfu *sfu, const char *name,
                                           const struct sfu_track_desc *tracks, size_t n_tracks,
                                           const struct sfu_sink *sink, void *opaque,
                                           const char **why)
{
    struct sfu_stream *existing = stream_find(sfu, name);
    if (existing && existing->publisher) {
        *why = "the stream already has a publisher";
        return NULL;
    }
    struct sfu_stream *stream = stream_get(sfu, name);
    struct sfu_publisher *pub = xcalloc(1, sizeof *pub);
    pub->sfu = sfu;
    pub->stream = stream;
    pub->sink = *sink;
    pub->opaque = opaque;
    pub->rtcp_ssrc = 0x0a1e0000u | (sfu->next_gen & 0xffffu);
    for (size_t i = 0; i < n_tracks; i++) {
        enum sfu_kind kind = tracks[i].kind;
        if (pub->has[kind])
            continue; /* one audio and one video track per stream */
        struct sfu_track *t = &pub->tracks[kind];
        pub->has[kind] = true;
        t->desc = tracks[i];
        t->codec_id = codec_from_name(tracks[i].codec.name);
        t->gen = sfu->next_gen++;
        if (kind == SFU_VIDEO)
            t->history = history_new();
        t->pending = xmalloc(SFU_BURST * sizeof *t->pending);
        rtp_seq_init(&t->seq);
    }
    /* A simulcast video's tracks for lesser qualities: the same video, each with its numbering
     * and history apart (simulcast.c). */
    uint8_t layers = pub->has[SFU_VIDEO] ? pub->tracks[SFU_VIDEO].desc.layers : 0;
    for (int slot = SFU_SLOT_MEDIUM; slot < SFU_SLOTS && layers > 1; slot++) {
        if (slot == SFU_SLOT_MEDIUM && layers < 3)
            continue;
        struct sfu_track *t = &pub->tracks[slot];
        pub->has[slot] = true;
        t->desc = pub->tracks[SFU_VIDEO].desc;
        t->codec_id = pub->tracks[SFU_VIDEO].codec_id;
        t->gen = sfu->next_gen++;
        t->history = history_new();
        t->pending = xmalloc(SFU_BURST * sizeof *t->pending);
        rtp_seq_init(&t->seq);
    }
    stream->publisher = pub;
    if (sfu->tap.on_publisher)
        pub->tapped = sfu->tap.on_publisher(sfu->tap_opaque, name, tracks, n_tracks);
    log_info("stream %s: publisher on (%s%s%s)", name, pub->has[SFU_AUDIO] ? pub->tracks[SFU_AUDIO].desc.codec.name : "",
             pub->has[SFU_AUDIO] && pub->has[SFU_VIDEO] ? " + " : "",
             pub->has[SFU_VIDEO] ? pub->tracks[SFU_VIDEO].desc.codec.name : "");
    return pub;
}

static void set_quality_now(struct sfu_viewer *viewer, enum sfu_quality quality)
{
    viewer->stream->n_viewers_at[viewer->quality]--;
    viewer->stream->n_viewers_at[quality]++;
    viewer->quality = quality;
}

static void end_switch(struct sfu_viewer *viewer)
{
    if (viewer->switching) {
        viewer->switching = false;
        viewer->stream->n_switching--;
    }
}

void sfu_publisher_detach(struct sfu_publisher *pub)
{
    if (!pub)
        return;
    struct sfu_stream *stream = pub->stream;
    struct sfu *sfu = pub->sfu;
    if (pub->dirty) {
        /* Its last packets still reach the viewers. */
        sfu_fan_out(pub);
        for (size_t i = 0; i < sfu->n_dirty; i++)
            if (sfu->dirty[i] == pub)
                sfu->dirty[i] = sfu->dirty[--sfu->n_dirty];
    }
    for (int k = 0; k < SFU_SLOTS; k++) {
        history_free(pub->tracks[k].history);
        free(pub->tracks[k].pending);
    }
    /* Viewers waiting for a keyframe of it to change quality take the new one now: the next
     * publisher starts everyone afresh. */
    for (size_t i = 0; i < stream->n_viewers && stream->n_switching; i++) {
        struct sfu_viewer *viewer = stream->viewers[i];
        if (viewer->switching) {
            end_switch(viewer);
            set_quality_now(viewer, viewer->switch_to);
        }
    }
    stream->publisher = NULL;
    if (sfu->tap.on_publisher)
        sfu->tap.on_publisher(sfu->tap_opaque, stream->name, NULL, 0);
    if (pub->announced && sfu->on_live)
        sfu->on_live(sfu->on_live_opaque, stream->name, NULL, 0);
    log_info("stream %s: publisher off", stream->name);
    free(pub);
    stream_release(sfu, stream);
}

/* Finds the track a packet belongs to: by SSRC, or, for a track whose SSRC the offer did not
 * announce, by payload type on its first packet (then the SSRC is learnt). */
static struct sfu_track *track_for(struct sfu_publisher *pub, uint32_t ssrc, uint8_t pt)
{
    for (int k = 0; k < SFU_KINDS; k++)
        if (pub->has[k] && pub->tracks[k].desc.ssrc == ssrc)
            return &pub->tracks[k];
    for (int k = 0; k < SFU_KINDS; k++) {
        struct sfu_track *t = &pub->tracks[k];
        if (pub->has[k] && t->desc.codec.pt == pt && (t->desc.ssrc == 0 || t->packets == 0)) {
            t->desc.ssrc = ssrc;
            return t;
        }
    }
    return NULL;
}

/* Tells on_live that PUB's stream is live: on its first packet, not when its offer is
 * answered, so that a publisher whose media never comes through (ICE failing behind a NAT, a
 * client that gave up) is no stream going live and ending. */
static void announce(struct sfu_publisher *pub)
{
    pub->announced = true;
    struct sfu_track_desc tracks[SFU_KINDS];
    size_t n = 0;
    for (int k = 0; k < SFU_KINDS; k++)
        if (pub->has[k])
            tracks[n++] = pub->tracks[k].desc;
    if (pub->sfu->on_live)
        pub->sfu->on_live(pub->sfu->on_live_opaque, pub->stream->name, tracks, n);
}

void sfu_publisher_rtp(struct sfu_publisher *pub, uint64_t now_us, const uint8_t *pkt, size_t len)
{
    /* Parsed once here; the view goes on to the simulcast layer choice and the forwarder. */
    struct rtp_view v;
    const char *why;
    if (len > HISTORY_PACKET_MAX || rtp_parse(&v, pkt, len, &why) < 0) {
        pub->sfu->counters.rtp_bad++;
        return;
    }
    struct sfu_track *video = &pub->tracks[SFU_VIDEO];
    struct sfu_track *track;
    if (pub->has[SFU_SLOT_LOW] && v.payload_type == video->desc.codec.pt) {
        const struct sfu_layer *layer = sfu_simulcast_note(pub, &v, now_us);
        if (!layer) {
            pub->sfu->counters.rtp_bad++;
            return;
        }
        bool high = sfu_simulcast_take(pub, video, layer, &v);
        for (int slot = SFU_SLOT_MEDIUM; slot < SFU_SLOTS; slot++) {
            struct sfu_track *lesser = &pub->tracks[slot];
            if (!pub->has[slot] || !sfu_simulcast_take(pub, lesser, layer, &v))
                continue;
            if (!pub->announced)
                announce(pub);
            sfu_forward_track_packet(pub, lesser, now_us, pkt, len, &v);
        }
        if (!high)
            return; /* a layer the video track does not forward now */
        track = video;
    } else {
        track = track_for(pub, v.ssrc, v.payload_type);
    }
    if (!track) {
        pub->sfu->counters.rtp_bad++;
        return;
    }
    if (!pub->announced)
        announce(pub);
    if (pub->tapped && track == video && pub->has[SFU_SLOT_LOW])
        sfu_simulcast_tap(pub, pkt, len, now_us);
    else if (pub->tapped)
        pub->sfu->tap.on_rtp(pub->sfu->tap_opaque, pub->stream->name, track->desc.kind, pkt, len,
                             now_us);
    sfu_forward_track_packet(pub, track, now_us, pkt, len, &v);
}

void sfu_set_tap(struct sfu *sfu, const struct sfu_tap *tap, void *opaque)
{
    sfu->tap = *tap;
    sfu->tap_opaque = opaque;
}

void sfu_set_on_live(struct sfu *sfu, sfu_on_live_fn *on_live, void *opaque)
{
    sfu->on_live = on_live;
    sfu->on_live_opaque = opaque;
}

int sfu_tap_stream(struct sfu *sfu, const char *name, bool on, uint64_t now_us)
{
    struct sfu_stream *stream = hmap_get(&sfu->by_name, name, strlen(name));
    if (!stream || !stream->publisher || !sfu->tap.on_rtp)
        return -1;
    struct sfu_publisher *pub = stream->publisher;
    pub->tapped = on;
    if (on && pub->has[SFU_VIDEO])
        sfu_request_keyframe(pub, &pub->tracks[SFU_VIDEO], now_us);
    return 0;
}

void sfu_publisher_rtcp(struct sfu_publisher *pub, uint64_t now_us, const uint8_t *pkt, size_t len)
{
    struct rtcp_iter it;
    struct rtcp_view view;
    const char *why;
    rtcp_iter_init(&it, pkt, len);
    while (rtcp_next(&it, &view, &why) > 0) {
        if (view.type != RTCP_SR)
            continue;
        struct rtcp_sr sr;
        if (rtcp_sr_decode(&sr, &view, &why) < 0)
            continue;
        for (int k = 0; k < SFU_SLOTS; k++) {
            struct sfu_track *t = &pub->tracks[k];
            if (pub->has[k] && t->desc.ssrc == sr.ssrc) {
                t->have_sr = true;
                t->sr_ntp = sr.ntp;
                t->sr_rtp = sr.rtp_ts;
                t->sr_received_us = now_us;
            }
        }
    }
}

struct sfu_viewer *sfu_viewer_attach(struct sfu *sfu, const char *name,
                                     const struct sfu_viewer_track_desc *tracks, size_t n_tracks,
                                     const struct sfu_sink *sink, void *opaque)
{
    struct sfu_stream *stream = stream_get(sfu, name);
    struct sfu_viewer *viewer = xcalloc(1, sizeof *viewer);
    viewer->sfu = sfu;
    viewer->stream = stream;
    viewer->sink = *sink;
    viewer->opaque = opaque;
    for (size_t i = 0; i < n_tracks; i++) {
        struct sfu_viewer_track *vt = &viewer->tracks[tracks[i].kind];
        if (vt->active)
            continue;
        vt->active = true;
        const struct sfu_viewer_track_desc *d = &tracks[i];
        vt->desc.kind = d->kind;
        memcpy(vt->desc.mid, d->mid, sizeof vt->desc.mid);
        vt->desc.n_codecs = d->n_codecs < SFU_VIEWER_CODECS ? d->n_codecs : SFU_VIEWER_CODECS;
        vt->desc.codecs = xmalloc((vt->desc.n_codecs ? vt->desc.n_codecs : 1) *
                                  sizeof *vt->desc.codecs);
        for (size_t c = 0; c < vt->desc.n_codecs; c++)
            vt->desc.codecs[c] = (struct sfu_viewer_codec){sdp_codec_id(&d->codecs[c]),
                                                           d->codecs[c].pt, d->codecs[c].rtx_pt};
        vt->desc.ssrc = d->ssrc;
        vt->desc.rtx_ssrc = d->rtx_ssrc;
        memcpy(vt->desc.ext_ids, d->ext_ids, sizeof vt->desc.ext_ids);
        vt->pt = vt->rtx_pt = -1;
        vt->resends = token_bucket_full(SFU_RESEND_BURST, 0);
        /* Start the viewer's numbering at random places, as a fresh sender would. */
        vt->rtx_seq = (uint16_t)(tracks[i].ssrc >> 3);
    }
    if (stream->n_viewers == stream->cap_viewers) {
        stream->cap_viewers = stream->cap_viewers ? stream->cap_viewers * 2 : 8;
        stream->viewers = xrealloc(stream->viewers, stream->cap_viewers * sizeof *stream->viewers);
    }
    stream->n_viewers_at[SFU_QUALITY_HIGH]++; /* viewer->quality, until it chooses */
    viewer->index = stream->n_viewers;
    stream->viewers[stream->n_viewers++] = viewer;
    return viewer;
}

void sfu_viewer_start(struct sfu_viewer *viewer, uint64_t now_us)
{
    viewer->started = true;
    viewer->started_us = now_us;
    if (sfu_viewer_replay_now(viewer, now_us))
        return;
    struct sfu_track *video = sfu_viewer_source(viewer, SFU_VIDEO);
    if (video && viewer->tracks[SFU_VIDEO].active)
        sfu_request_keyframe(viewer->stream->publisher, video, now_us);
}

void sfu_viewer_set_warm(struct sfu_viewer *viewer, const struct mem_span *spans, size_t n)
{
    viewer->n_warm = n < SFU_WARM_SPANS ? n : SFU_WARM_SPANS;
    memcpy(viewer->warm, spans, viewer->n_warm * sizeof *spans);
}

void sfu_viewer_detach(struct sfu_viewer *viewer)
{
    if (!viewer)
        return;
    struct sfu_stream *stream = viewer->stream;
    stream->n_viewers_at[viewer->quality]--;
    stream->n_viewers_auto -= viewer->auto_quality;
    stream->n_switching -= viewer->switching;
    stream->viewers[viewer->index] = stream->viewers[--stream->n_viewers];
    stream->viewers[viewer->index]->index = viewer->index;
    struct sfu *sfu = viewer->sfu;
    for (int k = 0; k < SFU_KINDS; k++)
        free(viewer->tracks[k].desc.codecs);
    free(viewer);
    stream_release(sfu, stream);
}

const char *const sfu_quality_names[SFU_QUALITIES] = {
    [SFU_QUALITY_HIGH] = "high", [SFU_QUALITY_MEDIUM] = "medium", [SFU_QUALITY_LOW] = "low"};

static bool has_pending(const struct sfu_publisher *pub)
{
    for (int k = 0; k < SFU_SLOTS; k++)
        if (pub->tracks[k].n_pending)
            return true;
    return false;
}

/* A viewer watching video keeps its track until the new one's keyframe, asked for now, and
 * moves there with it (sfu_switch_at_keyframe): its picture goes on meanwhile instead of
 * freezing for the keyframe's round trip. It rebinds then (another generation), its numbering
 * continuing. One not watching yet moves at once. */
static void move_quality(struct sfu_viewer *viewer, enum sfu_quality quality, uint64_t now_us)
{
    struct sfu_publisher *pub = viewer->stream->publisher;
    struct sfu_track *before = sfu_viewer_source(viewer, SFU_VIDEO);
    struct sfu_track *after = sfu_quality_source(pub, SFU_VIDEO, quality);
    const struct sfu_viewer_track *video = &viewer->tracks[SFU_VIDEO];
    end_switch(viewer);
    if (viewer->started && before && after && after != before && video->active) {
        sfu_request_keyframe(pub, after, now_us);
        if (!video->waiting_keyframe) {
            viewer->switching = true;
            viewer->switch_to = quality;
            viewer->stream->n_switching++;
            return;
        }
    }
    set_quality_now(viewer, quality);
}

void sfu_switch_at_keyframe(struct sfu_publisher *pub, const struct sfu_track *track)
{
    struct sfu_stream *stream = pub->stream;
    for (size_t i = 0; i < stream->n_viewers && stream->n_switching; i++) {
        struct sfu_viewer *viewer = stream->viewers[i];
        if (!viewer->switching || sfu_quality_source(pub, SFU_VIDEO, viewer->switch_to) != track)
            continue;
        /* What the old track holds goes out first, under the old binding. */
        if (has_pending(pub))
            sfu_fan_out(pub);
        end_switch(viewer);
        set_quality_now(viewer, viewer->switch_to);
    }
}

void sfu_viewer_set_quality(struct sfu_viewer *viewer, enum sfu_quality quality, uint64_t now_us)
{
    if (viewer->auto_quality) {
        viewer->auto_quality = false;
        viewer->stream->n_viewers_auto--;
    }
    move_quality(viewer, quality, now_us);
}

void sfu_viewer_set_auto_quality(struct sfu_viewer *viewer, uint64_t now_us)
{
    if (viewer->auto_quality)
        return;
    viewer->auto_quality = true;
    viewer->stream->n_viewers_auto++;
    quality_auto_init(&viewer->automatic, now_us);
}

bool sfu_viewer_auto_quality(const struct sfu_viewer *viewer)
{
    return viewer->auto_quality;
}

/* The layer a viewer of QUALITY gets now (0: none), to tell qualities that differ from those
 * that only name the same layer (medium is the best while fewer than three layers flow). */
static uint32_t layer_at(struct sfu_viewer *viewer, int quality)
{
    const struct sfu_track *track =
        sfu_quality_source(viewer->stream->publisher, SFU_VIDEO, (enum sfu_quality)quality);
    return track ? track->desc.ssrc : 0;
}

/* The quality one layer smaller (STEP 1) or larger (STEP -1) than the viewer's (the one it
 * waits to move to, if any), or -1 when no quality that way gives another layer. A step up
 * takes the best name of the layer it finds. */
static int quality_beside(struct sfu_viewer *viewer, int step)
{
    int from = (int)(viewer->switching ? viewer->switch_to : viewer->quality);
    uint32_t now = layer_at(viewer, from);
    for (int q = from + step; q >= 0 && q < SFU_QUALITIES; q += step) {
        uint32_t layer = layer_at(viewer, q);
        if (!layer || layer == now)
            continue;
        while (step < 0 && q > 0 && layer_at(viewer, q - 1) == layer)
            q--;
        return q;
    }
    return -1;
}

/* A report block of the viewer's video, for automatic quality. */
static void auto_quality_report(struct sfu_viewer *viewer, const struct rtcp_report_block *b,
                                uint64_t now_us)
{
    int down = quality_beside(viewer, 1), up = quality_beside(viewer, -1);
    enum quality_step step = quality_auto_report(&viewer->automatic, b->highest_seq,
                                                 b->cumulative_lost, now_us, down >= 0, up >= 0);
    if (step == QUALITY_STAY)
        return;
    int to = step == QUALITY_DOWN ? down : up;
    log_info("stream %s: a viewer of automatic quality moves %s to %s", viewer->stream->name,
             step == QUALITY_DOWN ? "down" : "up", sfu_quality_names[to]);
    if (step == QUALITY_DOWN)
        viewer->sfu->counters.quality_steps_down++;
    else
        viewer->sfu->counters.quality_steps_up++;
    move_quality(viewer, (enum sfu_quality)to, now_us);
}

/* The report blocks of an SR or RR from a viewer: the one of its video feeds automatic quality. */
static void viewer_reports(struct sfu_viewer *viewer, const struct rtcp_view *view, uint64_t now_us)
{
    const struct sfu_viewer_track *video = &viewer->tracks[SFU_VIDEO];
    if (!viewer->auto_quality || !video->active)
        return;
    const char *why;
    const struct rtcp_report_block *blocks;
    size_t n_blocks;
    struct rtcp_rr rr;
    struct rtcp_sr sr;
    if (view->type == RTCP_RR) {
        if (rtcp_rr_decode(&rr, view, &why) < 0)
            return;
        blocks = rr.blocks;
        n_blocks = rr.n_blocks;
    } else {
        if (rtcp_sr_decode(&sr, view, &why) < 0)
            return;
        blocks = sr.blocks;
        n_blocks = sr.n_blocks;
    }
    for (size_t i = 0; i < n_blocks; i++)
        if (blocks[i].ssrc == video->desc.ssrc)
            auto_quality_report(viewer, &blocks[i], now_us);
}

static struct sfu_viewer_track *viewer_track_by_ssrc(struct sfu_viewer *viewer, uint32_t ssrc)
{
    for (int k = 0; k < SFU_KINDS; k++)
        if (viewer->tracks[k].active && viewer->tracks[k].desc.ssrc == ssrc)
            return &viewer->tracks[k];
    return NULL;
}

void sfu_viewer_rtcp(struct sfu_viewer *viewer, uint64_t now_us, const uint8_t *pkt, size_t len)
{
    struct rtcp_iter it;
    struct rtcp_view view;
    const char *why;
    rtcp_iter_init(&it, pkt, len);
    while (rtcp_next(&it, &view, &why) > 0) {
        if (view.type == RTCP_RTPFB && view.fmt == RTCP_FMT_NACK) {
            struct rtcp_nack nack;
            if (rtcp_nack_decode(&nack, &view, &why) < 0)
                continue;
            struct sfu_viewer_track *vt = viewer_track_by_ssrc(viewer, nack.media_ssrc);
            if (!vt)
                continue;
            uint16_t lost[RTCP_NACK_MAX_LOST];
            size_t n = rtcp_nack_lost(&nack, lost, RTCP_NACK_MAX_LOST);
            viewer->sfu->counters.nacks_in += n;
            for (size_t i = 0; i < n; i++)
                sfu_viewer_answer_nack(viewer, vt, lost[i], now_us);
        } else if (view.type == RTCP_PSFB &&
                   (view.fmt == RTCP_FMT_PLI || view.fmt == RTCP_FMT_FIR)) {
            struct sfu_track *video = sfu_viewer_source(viewer, SFU_VIDEO);
            if (video)
                sfu_request_keyframe(viewer->stream->publisher, video, now_us);
        } else if (view.type == RTCP_RR || view.type == RTCP_SR) {
            viewer_reports(viewer, &view, now_us);
        }
    }
}

/* Receiver report blocks (RFC 3550 §6.4.1 and §A.3) and REMB with the configured bitrate: the
 * publisher's congestion control climbs to what REMB allows while the reports show no loss. */
static void report_to_publisher(struct sfu_publisher *pub, uint64_t now_us)
{
    struct rtcp_report_block blocks[SFU_SLOTS];
    uint32_t ssrcs[SFU_SLOTS];
    size_t n_blocks = 0, n_ssrcs = 0;
    for (int k = 0; k < SFU_SLOTS; k++) {
        struct sfu_track *t = &pub->tracks[k];
        if (!pub->has[k] || !t->seq.started)
            continue;
        bool reported = false; /* by a track before it, forwarding the same layer */
        for (int j = SFU_VIDEO; j < k; j++)
            reported |= pub->has[j] && pub->tracks[j].desc.ssrc == t->desc.ssrc;
        if (reported)
            continue;
        uint64_t expected = rtp_seq_expected(&t->seq);
        uint64_t expected_interval = expected - t->expected_prior;
        uint64_t received_interval = t->seq.received - t->received_prior;
        t->expected_prior = expected;
        t->received_prior = t->seq.received;
        int64_t lost_interval = (int64_t)expected_interval - (int64_t)received_interval;
        int64_t lost_total = rtp_seq_lost(&t->seq);
        t->lost = lost_total > 0 ? (uint64_t)lost_total : 0;
        struct rtcp_report_block *b = &blocks[n_blocks++];
        memset(b, 0, sizeof *b);
        b->ssrc = t->desc.ssrc;
        b->fraction_lost = expected_interval && lost_interval > 0
                               ? (uint8_t)((lost_interval << 8) / (int64_t)expected_interval)
                               : 0;
        b->cumulative_lost = lost_total > 0 ? (int32_t)lost_total : 0;
        b->highest_seq = rtp_seq_extended_max(&t->seq);
        if (t->have_sr) {
            b->lsr = (uint32_t)(t->sr_ntp >> 16);
            b->dlsr = (uint32_t)((now_us - t->sr_received_us) * 65536 / 1000000);
        }
        if (k != SFU_AUDIO)
            ssrcs[n_ssrcs++] = t->desc.ssrc;
    }
    if (!n_blocks)
        return;
    uint8_t buf[SFU_SEND_CAP];
    size_t n = rtcp_rr_encode(buf, sizeof buf - SFU_SRTP_ROOM, pub->rtcp_ssrc, blocks, n_blocks);
    if (n && n_ssrcs && pub->tracks[SFU_VIDEO].desc.codec.fb_goog_remb)
        n += rtcp_remb_encode(buf + n, sizeof buf - SFU_SRTP_ROOM - n, pub->rtcp_ssrc,
                              pub->sfu->config.max_bitrate, ssrcs, n_ssrcs);
    if (n)
        pub->sink.send_rtcp(pub->opaque, buf, n, sizeof buf);
}

/* The RTP time of the track at NTP time `ntp`, from the best mapping the SFU has. */
static bool track_rtp_at(const struct sfu_track *t, uint64_t now_us, uint64_t ntp_now,
                         uint32_t *rtp)
{
    uint32_t rate = t->desc.codec.clock_rate;
    if (t->have_sr) {
        /* NTP difference in 1/65536 s units keeps the arithmetic in 64 bits. */
        int64_t diff = (int64_t)((ntp_now >> 16) - (t->sr_ntp >> 16));
        *rtp = t->sr_rtp + (uint32_t)(diff * (int64_t)rate / 65536);
        return true;
    }
    if (t->have_arrival) {
        *rtp = t->arrival_rtp + (uint32_t)((now_us - t->arrival_us) * rate / 1000000u);
        return true;
    }
    return false;
}

/* Sender reports (RFC 3550 §6.4.1) map each viewer track's RTP time to the publisher's NTP
 * time, through the same offset as its packets, so players keep audio and video in sync. */
static void report_to_viewer(struct sfu_viewer *viewer, uint64_t now_us, uint64_t ntp_now)
{
    uint8_t buf[SFU_SEND_CAP];
    size_t n = 0;
    for (int k = 0; k < SFU_KINDS; k++) {
        struct sfu_viewer_track *vt = &viewer->tracks[k];
        struct sfu_track *t = sfu_viewer_source(viewer, (enum sfu_kind)k);
        uint32_t rtp;
        if (!vt->active || !vt->sent_any || !t || vt->bound_gen != t->gen ||
            !track_rtp_at(t, now_us, ntp_now, &rtp))
            continue;
        struct rtcp_sr sr = {
            .ssrc = vt->desc.ssrc,
            .ntp = ntp_now,
            .rtp_ts = rtp + vt->ts_offset,
            .packet_count = (uint32_t)vt->packets,
            .octet_count = (uint32_t)vt->octets,
        };
        n += rtcp_sr_encode(buf + n, sizeof buf - SFU_SRTP_ROOM - n, &sr);
    }
    if (n)
        viewer->sink.send_rtcp(viewer->opaque, buf, n, sizeof buf);
}

static void update_rates(struct sfu *sfu, uint64_t now_us)
{
    uint64_t elapsed = now_us - sfu->rated_us;
    if (elapsed < RATE_INTERVAL_US)
        return;
    sfu->rated_us = now_us;
    for (size_t i = 0; i < sfu->n_streams; i++) {
        struct sfu_stream *stream = sfu->streams[i];
        stream->bitrate_out =
            (stream->bytes_out - stream->bytes_out_at_rate) * 8 * 1000000u / elapsed;
        stream->bytes_out_at_rate = stream->bytes_out;
        struct sfu_publisher *pub = stream->publisher;
        for (int k = 0; pub && k < SFU_KINDS; k++) { /* the lesser tracks' rates are not shown */
            struct sfu_track *t = &pub->tracks[k];
            t->bitrate = (uint32_t)((t->bytes - t->bytes_at_rate) * 8 * 1000000u / elapsed);
            t->bytes_at_rate = t->bytes;
        }
        if (pub && pub->n_layers)
            sfu_simulcast_rate(pub, elapsed, now_us);
    }
}

void sfu_tick(struct sfu *sfu, uint64_t now_us)
{
    sfu_flush(sfu); /* reports describe what was sent */
    uint64_t ntp_now = clock_ntp_now();
    for (size_t i = 0; i < sfu->n_streams; i++) {
        struct sfu_stream *stream = sfu->streams[i];
        struct sfu_publisher *pub = stream->publisher;
        if (pub && !pub->sink.request_keyframe && now_us - pub->reported_us >= REPORT_INTERVAL_US) {
            pub->reported_us = now_us;
            report_to_publisher(pub, now_us);
        }
        for (size_t v = 0; v < stream->n_viewers; v++) {
            struct sfu_viewer *viewer = stream->viewers[v];
            /* A keyframe a viewer waits for to change quality is asked again (PLIs get lost). */
            struct sfu_track *awaited =
                viewer->switching ? sfu_quality_source(pub, SFU_VIDEO, viewer->switch_to) : NULL;
            if (awaited)
                sfu_request_keyframe(pub, awaited, now_us);
            struct sfu_viewer_track *first = &viewer->tracks[0];
            if (!viewer->started || now_us - first->reported_us < REPORT_INTERVAL_US)
                continue;
            first->reported_us = now_us;
            report_to_viewer(viewer, now_us, ntp_now);
        }
    }
    update_rates(sfu, now_us);
}

static void fill_info(const struct sfu_stream *stream, struct sfu_stream_info *info)
{
    memset(info, 0, sizeof *info);
    info->name = stream->name;
    info->live = stream->publisher != NULL;
    info->viewers = stream->n_viewers;
    memcpy(info->viewers_at, stream->n_viewers_at, sizeof info->viewers_at);
    info->viewers_auto = stream->n_viewers_auto;
    info->bitrate_out = stream->bitrate_out;
    const struct sfu_publisher *pub = stream->publisher;
    for (int k = 0; pub && k < SFU_KINDS; k++) {
        const struct sfu_track *t = &pub->tracks[k];
        if (!pub->has[k])
            continue;
        struct sfu_track_info *ti = &info->tracks[info->n_tracks++];
        ti->kind = (enum sfu_kind)k;
        ti->codec = t->desc.codec.name;
        ti->clock_rate = t->desc.codec.clock_rate;
        ti->ssrc = t->desc.ssrc;
        ti->packets = t->packets;
        ti->bytes = t->bytes;
        ti->lost = t->lost;
        ti->bitrate = t->bitrate;
        if (k == SFU_VIDEO && pub->n_layers) {
            ti->n_layers = pub->n_layers;
            for (size_t i = 0; i < pub->n_layers; i++) {
                ti->layers[i].ssrc = pub->layers[i].ssrc;
                ti->layers[i].bitrate = pub->layers[i].bitrate;
                ti->layers[i].forwarded = pub->layers[i].ssrc == t->desc.ssrc;
                int medium = pub->has[SFU_SLOT_MEDIUM] ? SFU_SLOT_MEDIUM : SFU_VIDEO;
                ti->layers[i].forwarded_medium =
                    pub->layers[i].ssrc == pub->tracks[medium].desc.ssrc;
                ti->layers[i].forwarded_low =
                    pub->layers[i].ssrc == pub->tracks[SFU_SLOT_LOW].desc.ssrc;
                info->bitrate_in += pub->layers[i].bitrate; /* every layer comes in */
            }
        } else {
            info->bitrate_in += t->bitrate;
        }
    }
}

size_t sfu_stream_count(const struct sfu *sfu) { return sfu->n_streams; }

int sfu_stream_info_at(const struct sfu *sfu, size_t i, struct sfu_stream_info *info)
{
    if (i >= sfu->n_streams)
        return -1;
    fill_info(sfu->streams[i], info);
    return 0;
}

int sfu_stream_info(const struct sfu *sfu, const char *name, struct sfu_stream_info *info)
{
    const struct sfu_stream *stream = stream_find(sfu, name);
    if (!stream)
        return -1;
    fill_info(stream, info);
    return 0;
}

const struct sfu_track_desc *sfu_stream_track(const struct sfu *sfu, const char *name,
                                              enum sfu_kind kind)
{
    const struct sfu_stream *stream = stream_find(sfu, name);
    if (!stream || !stream->publisher || !stream->publisher->has[kind])
        return NULL;
    return &stream->publisher->tracks[kind].desc;
}

const struct sfu_counters *sfu_counters(const struct sfu *sfu) { return &sfu->counters; }
const struct histogram *sfu_forward_delay_us(const struct sfu *sfu) { return &sfu->forward_delay_us; }
const struct histogram *sfu_join_ms(const struct sfu *sfu) { return &sfu->join_ms; }
