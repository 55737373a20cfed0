/* simulcast: a publisher that sends its video in layers (RFC 8853: an SSRC each, all of one
 * payload type), forwarded one layer at a time.
 *
 * Viewers get the layer with the highest bitrate that is flowing. A browser starts its small
 * layers first, adds the large ones as its bandwidth estimate grows and stops them when it
 * shrinks; the rids do not say which layer is large (the page's scaleResolutionDownBy does,
 * and it is not in the SDP), the bitrates do. The video track moves to another layer at that
 * layer's keyframe, asked for with a PLI; to viewers that is the publisher starting a new
 * stream (a new generation), which they follow with continuous sequence numbers and timestamps
 * (forward.c, bind_viewer_track and set_offsets). */
#include <string.h>

#include "base/bytes.h"
#include "base/log.h"
#include "proto/rtcp.h"
#include "proto/sdp.h"
#include "sfu/sfu_internal.h"

/* A layer with no packet for this long has stopped. */
#define LAYER_STALE_US 1000000
/* While the current layer flows, another replaces it only with this much more bitrate (in
 * percent): layers near each other's rate would otherwise swap at every fluctuation. */
#define SWITCH_MARGIN_PERCENT 150

static struct sfu_layer *layer_by_ssrc(struct sfu_publisher *pub, uint32_t ssrc)
{
    for (size_t i = 0; i < pub->n_layers; i++)
        if (pub->layers[i].ssrc == ssrc)
            return &pub->layers[i];
    return NULL;
}

/* The layer of SSRC, made on its first packet. */
static struct sfu_layer *layer_of(struct sfu_publisher *pub, uint32_t ssrc)
{
    struct sfu_layer *known = layer_by_ssrc(pub, ssrc);
    if (known)
        return known;
    /* Only as many layers as the answer took: any other SSRC is none of them. The answer takes
     * at most SDP_MAX_RIDS, which pub->layers holds. */
    _Static_assert(SDP_MAX_RIDS <= SFU_MAX_LAYERS, "a publisher holds every layer answered");
    if (pub->n_layers >= pub->tracks[SFU_VIDEO].desc.layers)
        return NULL;
    struct sfu_layer *layer = &pub->layers[pub->n_layers++];
    memset(layer, 0, sizeof *layer);
    layer->ssrc = ssrc;
    return layer;
}

/* The video track starts forwarding LAYER, whose keyframe this is: what it knew of the old
 * layer's numbering (receive statistics, NACKs, history, the newest keyframe) goes. */
static void move_to(struct sfu_publisher *pub, struct sfu_track *video,
                    const struct sfu_layer *layer)
{
    if (video->n_pending)
        sfu_fan_out(pub); /* the old layer's last packets go out under its generation */
    const struct sfu_layer *old = layer_by_ssrc(pub, video->desc.ssrc);
    log_info("stream %s: simulcast layer %08x (%u kbit/s) -> %08x (%u kbit/s)", pub->stream->name,
             video->desc.ssrc, old ? old->bitrate / 1000 : 0, layer->ssrc, layer->bitrate / 1000);
    video->desc.ssrc = layer->ssrc;
    video->gen = pub->sfu->next_gen++;
    rtp_seq_init(&video->seq);
    video->expected_prior = video->received_prior = 0;
    video->have_sr = video->have_arrival = false;
    memset(video->asked, 0, sizeof video->asked);
    video->awaiting_repairs = false;
    video->have_keyframe = false;
    video->keyframe_requested_us = 0;
    if (video->history)
        history_clear(video->history);
    pub->switch_ssrc = 0;
    pub->tap_rebase = true;
    pub->sfu->counters.layer_switches++;
}

bool sfu_simulcast_take(struct sfu_publisher *pub, const struct rtp_view *v, uint64_t now_us)
{
    uint32_t ssrc = v->ssrc;
    struct sfu_layer *layer = layer_of(pub, ssrc);
    if (!layer) {
        pub->sfu->counters.rtp_bad++;
        return false;
    }
    if (!v->payload_len)
        return ssrc == pub->tracks[SFU_VIDEO].desc.ssrc; /* padding: a bandwidth probe */
    /* Media bytes only: a browser probes its bandwidth with padding on one layer or another. */
    layer->bytes += v->payload_len;
    layer->last_us = now_us;
    struct sfu_track *video = &pub->tracks[SFU_VIDEO];
    if (!video->desc.ssrc)
        video->desc.ssrc = ssrc; /* the first layer heard is forwarded until a better one flows */
    if (ssrc == video->desc.ssrc)
        return true;
    if (ssrc != pub->switch_ssrc ||
        !codec_is_keyframe_start(video->codec_id, v->payload, v->payload_len))
        return false;
    move_to(pub, video, layer);
    return true;
}

/* Asks for a keyframe of the layer SSRC, which the switch to it waits for; again at every rate
 * update (each second) until it comes. */
static void ask_keyframe(struct sfu_publisher *pub, uint32_t ssrc)
{
    pub->switch_ssrc = ssrc;
    uint8_t buf[SFU_SEND_CAP];
    size_t n = rtcp_pli_encode(buf, sizeof buf - SFU_SRTP_ROOM, pub->rtcp_ssrc, ssrc);
    if (n) {
        pub->sfu->counters.keyframe_requests++;
        pub->sink.send_rtcp(pub->opaque, buf, n, sizeof buf);
    }
}

void sfu_simulcast_rate(struct sfu_publisher *pub, uint64_t elapsed_us, uint64_t now_us)
{
    const struct sfu_layer *current = NULL, *best = NULL;
    for (size_t i = 0; i < pub->n_layers; i++) {
        struct sfu_layer *layer = &pub->layers[i];
        layer->bitrate =
            (uint32_t)((layer->bytes - layer->bytes_at_rate) * 8 * 1000000u / elapsed_us);
        layer->bytes_at_rate = layer->bytes;
        if (layer->ssrc == pub->tracks[SFU_VIDEO].desc.ssrc)
            current = layer;
        if (now_us - layer->last_us < LAYER_STALE_US && (!best || layer->bitrate > best->bitrate))
            best = layer;
    }
    bool current_flows = current && now_us - current->last_us < LAYER_STALE_US;
    if (!best || best == current ||
        (current_flows &&
         (uint64_t)best->bitrate * 100 < (uint64_t)current->bitrate * SWITCH_MARGIN_PERCENT)) {
        pub->switch_ssrc = 0; /* staying */
        return;
    }
    ask_keyframe(pub, best->ssrc);
}

/* A recording cannot follow a stream whose numbering jumps (its depacketizer would take the new
 * layer's packets for old ones), so the tap gets the forwarded video renumbered, as a viewer
 * does (forward.c set_offsets): a copy with the SSRC of the first layer and sequence numbers and
 * timestamps that go on from the last packet tapped. */
void sfu_simulcast_tap(struct sfu_publisher *pub, const uint8_t *pkt, size_t len, uint64_t now_us)
{
    uint8_t copy[HISTORY_PACKET_MAX];
    if (len < 12 || len > sizeof copy)
        return;
    uint16_t seq = be16_read(pkt + 2);
    uint32_t ts = be32_read(pkt + 4);
    if (!pub->tap_started) {
        pub->tap_started = true;
        pub->tap_ssrc = be32_read(pkt + 8);
        pub->tap_last_seq = (uint16_t)(seq - 1);
        pub->tap_last_ts = ts;
    } else if (pub->tap_rebase) {
        uint64_t gap_us = now_us > pub->tap_last_us ? now_us - pub->tap_last_us : 0;
        uint32_t clock_rate = pub->tracks[SFU_VIDEO].desc.codec.clock_rate;
        uint32_t gap_ticks = (uint32_t)(gap_us * clock_rate / 1000000u);
        pub->tap_seq_offset = (uint16_t)(pub->tap_last_seq + 1 - seq);
        pub->tap_ts_offset = pub->tap_last_ts + (gap_ticks ? gap_ticks : 1) - ts;
    }
    pub->tap_rebase = false;
    memcpy(copy, pkt, len);
    uint16_t out_seq = (uint16_t)(seq + pub->tap_seq_offset);
    uint32_t out_ts = ts + pub->tap_ts_offset;
    be16_write(copy + 2, out_seq);
    be32_write(copy + 4, out_ts);
    be32_write(copy + 8, pub->tap_ssrc);
    if (rtp_seq_diff(out_seq, pub->tap_last_seq) > 0) {
        pub->tap_last_seq = out_seq;
        pub->tap_last_ts = out_ts;
        pub->tap_last_us = now_us;
    }
    pub->sfu->tap.on_rtp(pub->sfu->tap_opaque, pub->stream->name, SFU_VIDEO, copy, len, now_us);
}
