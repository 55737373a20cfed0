/* simulcast: a publisher that sends its video in layers (RFC 8853: an SSRC each, all of one
 * payload type), forwarded one layer at a time.
 *
 * Viewers get the layer with the highest bitrate that is flowing (the publisher's video track),
 * or, those that asked for a lesser quality, the second best (its medium track) or the smallest
 * (its low track). A browser
 * starts its small layers first, adds the large ones as its bandwidth estimate grows and stops
 * them when it shrinks; the rids do not say which layer is large (the page's
 * scaleResolutionDownBy does, and it is not in the SDP), the bitrates do. A track moves to
 * another layer at that layer's keyframe, asked for with a PLI; to its viewers that is the
 * publisher starting a new stream (a new generation), which they follow with continuous
 * sequence numbers and timestamps (forward.c, bind_viewer_track and set_offsets). */
#include <string.h>

#include "base/bytes.h"
#include "base/log.h"
#include "proto/rtcp.h"
#include "proto/sdp.h"
#include "sfu/sfu_internal.h"

/* A layer with no packet for this long has stopped. */
#define LAYER_STALE_US 1000000
/* While the current layer flows, another replaces it only if one has this much more bitrate
 * than the other (in percent): choose_layer. */
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

/* TRACK (the video track or the low one) starts forwarding LAYER, whose keyframe this is: what
 * it knew of the old layer's numbering (receive statistics, NACKs, history, the newest
 * keyframe) goes. */
static void move_to(struct sfu_publisher *pub, struct sfu_track *track,
                    const struct sfu_layer *layer)
{
    if (track->n_pending)
        sfu_fan_out(pub); /* the old layer's last packets go out under its generation */
    const struct sfu_layer *old = layer_by_ssrc(pub, track->desc.ssrc);
    static const char *const label[SFU_SLOTS] = {[SFU_VIDEO] = "",
                                                 [SFU_SLOT_MEDIUM] = " for medium quality",
                                                 [SFU_SLOT_LOW] = " for low quality"};
    log_info("stream %s: simulcast layer %08x (%u kbit/s) -> %08x (%u kbit/s)%s", pub->stream->name,
             track->desc.ssrc, old ? old->bitrate / 1000 : 0, layer->ssrc, layer->bitrate / 1000,
             label[track - pub->tracks]);
    track->desc.ssrc = layer->ssrc;
    track->gen = pub->sfu->next_gen++;
    rtp_seq_init(&track->seq);
    track->expected_prior = track->received_prior = 0;
    track->have_sr = track->have_arrival = false;
    memset(track->asked, 0, sizeof track->asked);
    track->awaiting_repairs = false;
    track->have_keyframe = false;
    track->keyframe_requested_us = 0;
    if (track->history)
        history_clear(track->history);
    track->switch_ssrc = 0;
    if (track == &pub->tracks[SFU_VIDEO])
        pub->tap_rebase = true; /* the recording follows the video track */
    pub->sfu->counters.layer_switches++;
}

struct sfu_layer *sfu_simulcast_note(struct sfu_publisher *pub, const struct rtp_view *v,
                                     uint64_t now_us)
{
    struct sfu_layer *layer = layer_of(pub, v->ssrc);
    /* Media bytes only: a browser probes its bandwidth with padding on one layer or another. */
    if (layer && v->payload_len) {
        layer->bytes += v->payload_len;
        layer->last_us = now_us;
    }
    return layer;
}

bool sfu_simulcast_take(struct sfu_publisher *pub, struct sfu_track *track,
                        const struct sfu_layer *layer, const struct rtp_view *v)
{
    if (!v->payload_len)
        return layer->ssrc == track->desc.ssrc; /* padding: a bandwidth probe */
    if (!track->desc.ssrc)
        track->desc.ssrc = layer->ssrc; /* the first layer heard, until a better one flows */
    if (layer->ssrc == track->desc.ssrc)
        return true;
    if (layer->ssrc != track->switch_ssrc ||
        !codec_is_keyframe_start(track->codec_id, v->payload, v->payload_len))
        return false;
    move_to(pub, track, layer);
    return true;
}

/* Asks for a keyframe of the layer SSRC, which TRACK's switch to it waits for; again at every
 * rate update (each second) until it comes. */
static void ask_keyframe(struct sfu_publisher *pub, struct sfu_track *track, uint32_t ssrc)
{
    track->switch_ssrc = ssrc;
    uint8_t buf[SFU_SEND_CAP];
    size_t n = rtcp_pli_encode(buf, sizeof buf - SFU_SRTP_ROOM, pub->rtcp_ssrc, ssrc);
    if (n) {
        pub->sfu->counters.keyframe_requests++;
        pub->sink.send_rtcp(pub->opaque, buf, n, sizeof buf);
    }
}

/* The layer TRACK should forward of those flowing: the best (by bitrate) for the video track,
 * the smallest for the low one, and for the medium one the second best when three or more flow
 * (the best otherwise: a browser that has dropped its largest layer sends its medium one as its
 * best). */
static const struct sfu_layer *wanted_layer(const struct sfu_publisher *pub,
                                            const struct sfu_track *track, uint64_t now_us)
{
    const struct sfu_layer *flowing[SFU_MAX_LAYERS]; /* best first */
    size_t n = 0;
    for (size_t i = 0; i < pub->n_layers; i++) {
        const struct sfu_layer *layer = &pub->layers[i];
        if (now_us - layer->last_us >= LAYER_STALE_US)
            continue;
        size_t at = n++;
        for (; at > 0 && flowing[at - 1]->bitrate < layer->bitrate; at--)
            flowing[at] = flowing[at - 1];
        flowing[at] = layer;
    }
    if (!n)
        return NULL;
    if (track == &pub->tracks[SFU_SLOT_LOW])
        return flowing[n - 1];
    if (track == &pub->tracks[SFU_SLOT_MEDIUM] && n >= 3)
        return flowing[1];
    return flowing[0];
}

/* Picks the layer TRACK should forward, and asks for its keyframe if that is not the one it
 * forwards now. While the current one flows, a move needs SWITCH_MARGIN_PERCENT between their
 * bitrates: layers near each other's rate would otherwise trade places at every fluctuation. */
static void choose_layer(struct sfu_publisher *pub, struct sfu_track *track, uint64_t now_us)
{
    const struct sfu_layer *current = NULL, *wanted = wanted_layer(pub, track, now_us);
    for (size_t i = 0; i < pub->n_layers; i++)
        if (pub->layers[i].ssrc == track->desc.ssrc)
            current = &pub->layers[i];
    bool current_flows = current && now_us - current->last_us < LAYER_STALE_US;
    uint64_t more = 0, less = 0;
    if (wanted && current) {
        more = wanted->bitrate > current->bitrate ? wanted->bitrate : current->bitrate;
        less = wanted->bitrate > current->bitrate ? current->bitrate : wanted->bitrate;
    }
    if (!wanted || wanted == current ||
        (current_flows && more * 100 < less * SWITCH_MARGIN_PERCENT)) {
        track->switch_ssrc = 0; /* staying */
        return;
    }
    ask_keyframe(pub, track, wanted->ssrc);
}

void sfu_simulcast_rate(struct sfu_publisher *pub, uint64_t elapsed_us, uint64_t now_us)
{
    for (size_t i = 0; i < pub->n_layers; i++) {
        struct sfu_layer *layer = &pub->layers[i];
        layer->bitrate =
            (uint32_t)((layer->bytes - layer->bytes_at_rate) * 8 * 1000000u / elapsed_us);
        layer->bytes_at_rate = layer->bytes;
    }
    for (int slot = SFU_VIDEO; slot < SFU_SLOTS; slot++)
        if (pub->has[slot])
            choose_layer(pub, &pub->tracks[slot], now_us);
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
