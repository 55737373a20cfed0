/* forward: the hot path. A publisher's plaintext packet is parsed once, stored for NACKs, and
 * held until the owner's sfu_flush (the end of a receive batch or of the loop's turn); then the
 * packets that arrived meanwhile are rewritten for each viewer in turn into that viewer's SSRC,
 * payload type, extension ids, sequence number and timestamp. One viewer's packets are handed
 * to its sink one after the other, so they leave together (one GSO message), the shorter ones
 * padded up to the longer where a few bytes keep a run in one message (plan_padding). No
 * allocation here: each viewer's copy is made on the stack and handed to its sink, which
 * protects and queues it. A large fan-out is split among the configured lanes (threads), which
 * take its viewers a chunk at a time; a lane writes only its viewers and its struct
 * sfu_lane_result, added up after (and reads the tracks' history, which nothing writes during
 * a fan-out). A viewer joining a source that cannot make a keyframe is first replayed the
 * frames since its last one. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "proto/rtcp.h"
#include "proto/rtp.h"
#include "proto/vp8_ids.h"
#include "sfu/run_padding.h"
#include "sfu/sfu_internal.h"

/* A keyframe request is repeated at most this often while viewers still wait for one. */
#define KEYFRAME_INTERVAL_US 500000
/* A joiner of a source that cannot make a keyframe gets the frames since its last one at once
 * (replay_since_keyframe), if they are at most this many packets: ~600 KB, a 2 s GOP at 2.5
 * Mbit/s. A longer run waits for the next keyframe, as before. */
#define REPLAY_MAX_PACKETS 512
/* ... with the time between each replayed frame and the current one divided by this: a 1 s GOP
 * replays as 33 ms of the viewer's timeline, and frames stay at least a millisecond apart. */
#define REPLAY_SQUEEZE 30

struct sfu_track *sfu_quality_source(struct sfu_publisher *pub, enum sfu_kind kind,
                                     enum sfu_quality quality)
{
    if (!pub || !pub->has[kind])
        return NULL;
    int slot = kind == SFU_VIDEO ? sfu_quality_slot(quality) : (int)kind;
    return &pub->tracks[pub->has[slot] ? slot : (int)kind];
}

struct sfu_track *sfu_viewer_source(struct sfu_viewer *viewer, enum sfu_kind kind)
{
    return sfu_quality_source(viewer->stream->publisher, kind, viewer->quality);
}

/* Binds a viewer track to the publisher track now feeding it: payload types and extension ids
 * are worked out once here, not per packet. */
static void bind_viewer_track(struct sfu_viewer_track *vt, const struct sfu_track *track)
{
    vt->bound_gen = track->gen;
    vt->pt = vt->rtx_pt = -1;
    struct sdp_codec_id source = sdp_codec_id(&track->desc.codec);
    for (size_t c = 0; c < vt->desc.n_codecs; c++) {
        const struct sfu_viewer_codec *offered = &vt->desc.codecs[c];
        if (sdp_codec_id_equal(&source, &offered->id)) {
            vt->pt = offered->pt;
            vt->rtx_pt = offered->rtx_pt ? offered->rtx_pt : -1;
            break;
        }
    }
    struct rtp_rewrite *rw = &vt->rewrite;
    memset(rw, 0, sizeof *rw);
    for (int e = 0; e < SFU_EXT_COUNT; e++)
        if (e != SFU_EXT_MID && track->desc.ext_ids[e] && vt->desc.ext_ids[e])
            rw->ext_map[track->desc.ext_ids[e]] = vt->desc.ext_ids[e];
    rw->mid_id = vt->desc.ext_ids[SFU_EXT_MID];
    rw->mid = vt->desc.mid;
    rw->mid_len = (uint8_t)strlen(vt->desc.mid);
    vt->waiting_keyframe = vt->desc.kind == SFU_VIDEO;
    vt->need_offsets = true;
    vt->replay_count = 0;
    if (vt->pt < 0)
        log_warn("viewer cannot play %s on its %s track: it gets no %s", track->desc.codec.name,
                 vt->desc.mid, vt->desc.kind == SFU_VIDEO ? "video" : "audio");
}

/* Picks offsets so the viewer's sequence numbers and timestamps continue where its last packet
 * left them, whatever the new source's own numbering: a publisher that reconnects (new SSRC,
 * new random sequence and timestamp) plays on in the viewer's player. */
static void set_offsets(struct sfu_viewer_track *vt, const struct rtp_view *v,
                        uint32_t clock_rate, uint64_t now_us)
{
    if (!vt->sent_any) {
        vt->seq_offset = 0;
        vt->ts_offset = 0;
    } else {
        uint64_t gap_us = now_us > vt->last_sent_us ? now_us - vt->last_sent_us : 0;
        uint32_t gap_ticks = (uint32_t)(gap_us * clock_rate / 1000000u);
        if (gap_ticks == 0)
            gap_ticks = 1;
        vt->seq_offset = (uint16_t)(vt->last_seq_out + 1 - v->seq);
        vt->ts_offset = vt->last_ts_out + gap_ticks - v->timestamp;
    }
    vt->first_seq_in = v->seq;
    vt->need_offsets = false;
}

/* The same for a VP8 source's picture IDs and TL0PICIDX, from IDS (those of the first packet of
 * the new source, which is a keyframe's; NULL when it has none, or is not VP8: nothing to
 * renumber). */
static void set_vp8_offsets(struct sfu_viewer_track *vt, const struct vp8_ids *ids)
{
    vt->pid_offset = 0;
    vt->tl0_offset = 0;
    if (!vt->vp8_sent_any || !ids)
        return;
    if (ids->has_picture_id)
        vt->pid_offset =
            (uint16_t)((vt->last_pid_out + 1u - ids->picture_id) & (vp8_picture_id_span(ids) - 1u));
    if (ids->has_tl0)
        vt->tl0_offset = (uint8_t)(vt->last_tl0_out + 1u - ids->tl0_pic_idx);
}

/* The VP8 ids of TRACK's packet V, read into *OUT; NULL when it is not VP8 or its descriptor is
 * cut short. Read once per packet: every viewer's copy has them at the same place. */
static const struct vp8_ids *vp8_ids_of(const struct sfu_track *track, const struct rtp_view *v,
                                        struct vp8_ids *out)
{
    const char *why;
    if (track->codec_id != CODEC_VP8 || vp8_ids_parse(out, v->payload, v->payload_len, &why) < 0)
        return NULL;
    return out;
}

/* Writes the source's VP8 ids SRC, moved by the viewer's offsets, into PAYLOAD (the viewer's
 * copy of the packet they were read from), and into *MOVED. */
static void renumber_vp8(const struct sfu_viewer_track *vt, uint8_t *payload,
                         const struct vp8_ids *src, struct vp8_ids *moved)
{
    *moved = *src;
    if (moved->has_picture_id)
        moved->picture_id =
            (uint16_t)((moved->picture_id + vt->pid_offset) & (vp8_picture_id_span(moved) - 1u));
    if (moved->has_tl0)
        moved->tl0_pic_idx = (uint8_t)(moved->tl0_pic_idx + vt->tl0_offset);
    vp8_ids_write(payload, moved);
}

static void note_join(struct sfu_lane_result *r, double ms)
{
    if (r->n_joins == r->cap_joins) {
        r->cap_joins = r->cap_joins ? r->cap_joins * 2 : 16;
        r->join_ms = xrealloc(r->join_ms, r->cap_joins * sizeof *r->join_ms);
    }
    r->join_ms[r->n_joins++] = ms;
}

/* Adds what R sent (a lane's part of a fan-out, or a replay at a join) to the SFU's and the
 * STREAM's figures, and its joins to the histogram. */
static void add_result(struct sfu *sfu, struct sfu_stream *stream, const struct sfu_lane_result *r)
{
    sfu->counters.rtp_out += r->rtp_out;
    sfu->counters.bytes_out += r->bytes_out;
    stream->bytes_out += r->bytes_out;
    for (size_t j = 0; j < r->n_joins; j++)
        histogram_add(&sfu->join_ms, r->join_ms[j]);
}

/* The timestamp the viewer gets for the source's packet SEQ stamped TIMESTAMP: shifted by the
 * viewer's offset, and squeezed if it was replayed at the join. */
static uint32_t viewer_timestamp(const struct sfu_viewer_track *vt, uint16_t seq, uint32_t timestamp)
{
    if (vt->replay_count && (uint16_t)(seq - vt->replay_first) < vt->replay_count) {
        /* Only what lies before the anchor: a timestamp after it (a source whose timestamps
         * went back) stays as it is rather than wrapping around. */
        int32_t age = (int32_t)(vt->replay_anchor - timestamp);
        if (age > 0)
            timestamp = vt->replay_anchor - (uint32_t)age / REPLAY_SQUEEZE;
    }
    return timestamp + vt->ts_offset;
}

/* Rewrites V (whose VP8 ids are VP8, NULL for none) for the viewer, with PADDING bytes of RTP
 * padding, and hands it to its sink. */
static void send_rewritten(struct sfu_viewer *viewer, struct sfu_viewer_track *vt,
                           const struct sfu_track *track, const struct rtp_view *v,
                           const struct vp8_ids *vp8, uint8_t padding, uint64_t now_us,
                           struct sfu_lane_result *r)
{
    if (vt->need_offsets) {
        set_offsets(vt, v, track->desc.codec.clock_rate, now_us);
        set_vp8_offsets(vt, vp8);
    }

    /* A replay's packets are out of history (so no repair of one is sent) long before the
     * source is 2^14 past the first: its window closes there, before sequence numbers wrap
     * around into it and squeeze a packet hours younger (the sign of its age flips at 2^31
     * ticks, 6.6 h at 90 kHz). */
    if (vt->replay_count && (uint16_t)(v->seq - vt->replay_first) - 0x4000u < 0x4000u)
        vt->replay_count = 0;
    struct rtp_rewrite *rw = &vt->rewrite;
    rw->ssrc = vt->desc.ssrc;
    rw->payload_type = (uint8_t)vt->pt;
    rw->seq = (uint16_t)(v->seq + vt->seq_offset);
    rw->timestamp = viewer_timestamp(vt, v->seq, v->timestamp);
    rw->padding = padding;
    /* Built where the sink sends from when it says (no copy of the packet after sealing it),
     * else here; with the SRTP trailer's room left either way. */
    uint8_t own[SFU_SEND_CAP], *buf = NULL;
    size_t cap = 0, n = 0;
    if (viewer->sink.rtp_slot)
        buf = viewer->sink.rtp_slot(viewer->opaque, &cap);
    if (buf && cap > SFU_SRTP_ROOM)
        n = rtp_rewrite(buf, cap - SFU_SRTP_ROOM, v, rw);
    if (!n) {
        buf = own;
        cap = sizeof own;
        n = rtp_rewrite(buf, cap - SFU_SRTP_ROOM, v, rw);
    }
    if (!n)
        return;
    /* A viewer whose source never changed has offsets of 0: its copy holds the source's ids
     * as they are (bench/RESULTS.md, session 30: what renumbering costs per packet). */
    struct vp8_ids moved;
    if (vp8 && (vt->pid_offset || vt->tl0_offset)) {
        renumber_vp8(vt, buf + n - padding - v->payload_len, vp8, &moved);
        vp8 = &moved;
    }
    /* Track the newest packet sent, not the last: a late retransmission must not pull the
     * continuation point backwards. */
    if (!vt->sent_any || rtp_seq_newer(rw->seq, vt->last_seq_out)) {
        vt->last_seq_out = rw->seq;
        vt->last_ts_out = rw->timestamp;
        vt->last_sent_us = now_us;
        if (vp8 && vp8->has_picture_id) {
            vt->vp8_sent_any = true;
            vt->last_pid_out = vp8->picture_id;
            vt->last_tl0_out = vp8->tl0_pic_idx;
        }
    }
    vt->sent_any = true;
    vt->packets++;
    vt->octets += v->payload_len;
    r->rtp_out++;
    r->bytes_out += n;
    viewer->sink.send_rtp(viewer->opaque, buf, n, cap);
}

/* A viewer that waits for a keyframe from a source that cannot make one on request (a file, a
 * camera: its sink has request_keyframe) would wait up to a GOP. Instead it gets the packets from
 * the newest keyframe to the newest packet kept, from history, now, if they are all there and
 * not too many. Up to the newest, whatever packet brought the chance: the one that completes
 * the GOP may be a late repair, with the packets after it kept and never sent to this viewer
 * (an edge's viewer, joining while a loss on the way in was being repaired, got them only by
 * NACKing them, ~140 ms late). Their timestamps are squeezed towards the newest's
 * (viewer_timestamp), so that they are a quick catch-up on any player: one that schedules frames
 * by their timestamps would otherwise show the current frame a GOP late, and stay that far behind
 * live. (Chromium catches up either way: tests/e2e/test_join_replay measured the same live delay
 * with and without the squeeze.) They go out in the viewer's batch, not paced: a replay paced at
 * 4 and at 16 packets for each of the source's made Chromium freeze for ~200 ms after its first
 * frame (2 runs of 2, and 1 of 6: the squeezed frames arrived late), all at once in none of 9.
 * Returns whether they went: then the viewer has every packet of its source's so far. */
static bool replay_gop(struct sfu_viewer *viewer, struct sfu_viewer_track *vt,
                       const struct sfu_track *track, uint64_t now_us, struct sfu_lane_result *r)
{
    struct sfu_publisher *pub = viewer->stream->publisher;
    if (!pub->sink.request_keyframe || !track->history || !track->have_keyframe ||
        !track->seq.started)
        return false;
    size_t len;
    const uint8_t *pkt = history_get(track->history, track->seq.max_seq, &len);
    struct rtp_view newest;
    const char *why;
    if (!pkt || rtp_parse(&newest, pkt, len, &why) < 0)
        return false;
    uint16_t count = (uint16_t)(newest.seq - track->keyframe_seq);
    if (count > REPLAY_MAX_PACKETS)
        return false;
    for (uint16_t i = 0; i < count; i++)
        if (!history_get(track->history, (uint16_t)(track->keyframe_seq + i), &len))
            return false; /* lost on the way in: wait for its repair or the next keyframe */
    vt->replay_first = track->keyframe_seq;
    vt->replay_count = count;
    vt->replay_anchor = newest.timestamp;
    for (uint16_t i = 0; i < count; i++) {
        pkt = history_get(track->history, (uint16_t)(track->keyframe_seq + i), &len);
        struct rtp_view old;
        struct vp8_ids ids;
        if (rtp_parse(&old, pkt, len, &why) == 0) /* stored only once parsed: cannot fail */
            send_rewritten(viewer, vt, track, &old, vp8_ids_of(track, &old, &ids), 0, now_us, r);
    }
    struct vp8_ids ids;
    send_rewritten(viewer, vt, track, &newest, vp8_ids_of(track, &newest, &ids), 0, now_us, r);
    vt->waiting_keyframe = false;
    return true;
}

/* A viewer whose keys just became ready, of a source that cannot make a keyframe: the GOP so far
 * goes out now, up to the newest packet kept, not at the source's next packet (up to a frame
 * interval later: 11 ms at the p50 of the join histogram with a 30 fps source). Not while the
 * source has packets pending: the flush that sends them, this turn of the loop, replays. Returns
 * whether the viewer got its keyframe. */
bool sfu_viewer_replay_now(struct sfu_viewer *viewer, uint64_t now_us)
{
    struct sfu_viewer_track *vt = &viewer->tracks[SFU_VIDEO];
    struct sfu_track *track = sfu_viewer_source(viewer, SFU_VIDEO);
    if (!track || !vt->active || track->n_pending)
        return false;
    if (vt->bound_gen != track->gen)
        bind_viewer_track(vt, track);
    struct sfu_lane_result r = {0};
    if (vt->pt < 0 || !vt->waiting_keyframe || !replay_gop(viewer, vt, track, now_us, &r))
        return false;
    add_result(viewer->sfu, viewer->stream, &r);
    /* One join, outside any lane: straight into the histogram. */
    histogram_add(&viewer->sfu->join_ms, (double)(now_us - viewer->started_us) / 1000);
    return true;
}

/* Whether the source's packet SEQ came before the first one VT got (a repair of a loss from
 * before the viewer's join, arriving late). It is not sent: the viewer's numbering starts at that
 * first packet, and a receiver handed one older (libwebrtc) moves its start back and counts every
 * number in between as lost for good. Only while the viewer is young (its newest under 2^14
 * packets past its first): after that a late packet cannot be older than the first, and
 * sequence numbers that wrapped around must not look like it. */
static bool before_viewer_start(const struct sfu_viewer_track *vt, uint16_t seq)
{
    uint16_t newest_in = (uint16_t)(vt->last_seq_out - vt->seq_offset);
    return vt->sent_any && !vt->need_offsets && (uint16_t)(newest_in - vt->first_seq_in) < 0x4000 &&
           rtp_seq_newer(vt->first_seq_in, seq);
}

/* Sends the pending packet PP to the viewer. Returns whether the viewer got the rest of the
 * batch with it (the GOP replayed up to the newest): the caller sends it none of them again. */
static bool send_to_viewer(struct sfu_viewer *viewer, struct sfu_viewer_track *vt,
                           const struct sfu_track *track, const struct sfu_pending *pp,
                           struct sfu_lane_result *r)
{
    const struct rtp_view *v = &pp->v;
    uint64_t now_us = pp->arrival_us;
    if (vt->bound_gen != track->gen)
        bind_viewer_track(vt, track);
    if (vt->pt < 0)
        return false;
    if (vt->waiting_keyframe) {
        if (!pp->keyframe) {
            if (!replay_gop(viewer, vt, track, now_us, r))
                return false;
            note_join(r, (double)(now_us - viewer->started_us) / 1000);
            return true;
        }
        vt->waiting_keyframe = false;
        note_join(r, (double)(now_us - viewer->started_us) / 1000);
    } else if (before_viewer_start(vt, v->seq)) {
        return false;
    }
    send_rewritten(viewer, vt, track, v, pp->has_vp8 ? &pp->vp8 : NULL, pp->padding, now_us, r);
    return false;
}

void sfu_request_keyframe(struct sfu_publisher *pub, struct sfu_track *track, uint64_t now_us)
{
    if (track->keyframe_requested_us && now_us - track->keyframe_requested_us < KEYFRAME_INTERVAL_US)
        return;
    track->keyframe_requested_us = now_us;
    pub->sfu->counters.keyframe_requests++;
    if (pub->sink.request_keyframe) {
        pub->sink.request_keyframe(pub->opaque);
        return;
    }
    uint8_t buf[SFU_SEND_CAP];
    size_t n;
    if (track->desc.codec.fb_nack_pli || !track->desc.codec.fb_ccm_fir)
        n = rtcp_pli_encode(buf, sizeof buf - SFU_SRTP_ROOM, pub->rtcp_ssrc, track->desc.ssrc);
    else
        n = rtcp_fir_encode(buf, sizeof buf - SFU_SRTP_ROOM, pub->rtcp_ssrc, track->desc.ssrc,
                            track->fir_seq++);
    if (n)
        pub->sink.send_rtcp(pub->opaque, buf, n, sizeof buf);
}

/* Asks the publisher for LOST[0..N) (a NACK) and notes when and how often, for ask_again and
 * ask_again_unrepaired. */
static void ask_publisher(struct sfu_publisher *pub, struct sfu_track *track,
                          const uint16_t *lost, uint16_t n_lost, uint64_t now_us)
{
    /* A track forwarding the layer of one before it leaves the asking to that: one NACK for a
     * loss, one repair, which every track of that layer takes. */
    for (const struct sfu_track *before = pub->tracks; before < track; before++)
        if (pub->has[before - pub->tracks] && before->desc.ssrc == track->desc.ssrc)
            return;
    uint8_t buf[SFU_SEND_CAP];
    size_t n = rtcp_nack_encode(buf, sizeof buf - SFU_SRTP_ROOM, pub->rtcp_ssrc, track->desc.ssrc,
                                lost, n_lost);
    if (!n)
        return;
    for (uint16_t i = 0; i < n_lost; i++) {
        struct sfu_asked *asked = &track->asked[lost[i] % SFU_ASKED_SLOTS];
        if (asked->tries && asked->seq == lost[i]) {
            if (asked->tries < UINT8_MAX)
                asked->tries++;
        } else {
            asked->seq = lost[i];
            asked->tries = 1;
        }
        asked->at_us = now_us;
    }
    track->awaiting_repairs = true;
    pub->sfu->counters.nacks_out += n_lost;
    pub->sink.send_rtcp(pub->opaque, buf, n, sizeof buf);
}

/* Whether SEQ is too far behind the track's newest to be worth asking for: its repair would
 * not fit the history with the newest. */
static bool too_old_to_ask(const struct sfu_track *track, uint16_t seq)
{
    return (uint16_t)(track->seq.max_seq - seq) >= HISTORY_SLOTS;
}

/* Whether ASKED was asked of the publisher within SFU_REASK_US: its repair may be on its way. */
static bool asked_lately(const struct sfu_asked *asked, uint64_t now_us)
{
    return now_us - asked->at_us < SFU_REASK_US;
}

/* Asks again, at most every SFU_REASK_US and SFU_ASK_TRIES times in all, for what was asked of
 * the publisher and has not come: a repair is lost as easily as the packet. Viewers' NACKs
 * (ask_again) would ask too, but not in time: a viewer gives up on a packet once the next
 * keyframe plays, and counts it lost for good unless it arrives after all; and a viewer that
 * does not NACK, or a recording, would never get it. Checked at each packet of the track, so
 * only while it flows; one NACK for all that is due. */
static void ask_again_unrepaired(struct sfu_publisher *pub, struct sfu_track *track,
                                 uint64_t now_us)
{
    uint16_t due[SFU_ASKED_SLOTS];
    uint16_t n_due = 0;
    bool awaiting = false;
    for (size_t i = 0; i < SFU_ASKED_SLOTS; i++) {
        struct sfu_asked *asked = &track->asked[i];
        if (!asked->tries || asked->tries >= SFU_ASK_TRIES)
            continue;
        size_t len;
        if (too_old_to_ask(track, asked->seq) || history_get(track->history, asked->seq, &len)) {
            asked->tries = 0; /* too old to be worth it, or here */
            continue;
        }
        awaiting = true;
        if (!asked_lately(asked, now_us))
            due[n_due++] = asked->seq;
    }
    track->awaiting_repairs = awaiting;
    if (n_due)
        ask_publisher(pub, track, due, n_due, now_us);
}

/* A viewer asks for SEQ, which never came from the publisher: the first request, or its
 * repair, was lost too. Asks the publisher again, unless it was asked within SFU_REASK_US (the
 * repair may be on its way, and every viewer asks for the same packet). */
static void ask_again(struct sfu_publisher *pub, struct sfu_track *track, uint16_t seq,
                      uint64_t now_us)
{
    if (!track->desc.codec.fb_nack || !track->seq.started || too_old_to_ask(track, seq))
        return; /* not one the publisher resends, or too old to be worth it */
    const struct sfu_asked *asked = &track->asked[seq % SFU_ASKED_SLOTS];
    if (asked->tries && asked->seq == seq && asked_lately(asked, now_us))
        return;
    ask_publisher(pub, track, &seq, 1, now_us);
}

/* Whether a viewer gets TRACK: any viewer, for audio and the video track (which viewers of a
 * lesser quality get too when the publisher has no track for it); for a lesser quality's track,
 * a viewer asking for that quality. */
static bool someone_gets(const struct sfu_publisher *pub, const struct sfu_track *track)
{
    const struct sfu_stream *stream = pub->stream;
    if (track == &pub->tracks[SFU_SLOT_MEDIUM])
        return stream->n_viewers_at[SFU_QUALITY_MEDIUM] > 0;
    if (track == &pub->tracks[SFU_SLOT_LOW])
        return stream->n_viewers_at[SFU_QUALITY_LOW] > 0;
    return stream->n_viewers > 0;
}

/* Counts the packet (RFC 3550 §A.1) and, when it shows a gap, asks the publisher at once for
 * what was lost; viewers' own NACKs are then answered from history when the repair arrives,
 * or ask the publisher again when it does not. */
static void note_sequence(struct sfu_publisher *pub, struct sfu_track *track, uint16_t seq,
                          uint64_t now_us)
{
    uint16_t first_skipped, n_skipped;
    enum rtp_seq_status status = rtp_seq_update(&track->seq, seq, &first_skipped, &n_skipped);
    if (status != RTP_SEQ_NEW || n_skipped == 0 || n_skipped > 64 || !track->history ||
        !track->desc.codec.fb_nack)
        return;
    /* A lesser quality's track with nobody at that quality needs no repair (one who moves there
     * starts at a keyframe); the others are repaired anyway, for a recording too. */
    if (track - pub->tracks >= SFU_KINDS && !someone_gets(pub, track))
        return;
    uint16_t lost[64];
    for (uint16_t i = 0; i < n_skipped; i++)
        lost[i] = (uint16_t)(first_skipped + i);
    ask_publisher(pub, track, lost, n_skipped, now_us);
}

void sfu_forward_track_packet(struct sfu_publisher *pub, struct sfu_track *track, uint64_t now_us,
                              const uint8_t *pkt, size_t len, const struct rtp_view *v)
{
    struct sfu *sfu = pub->sfu;
    if (track->history && history_put(track->history, v->seq, pkt, len))
        return; /* a duplicate: viewers have it already */
    note_sequence(pub, track, v->seq, now_us);
    if (track->awaiting_repairs)
        ask_again_unrepaired(pub, track, now_us);
    track->packets++;
    track->bytes += len;
    track->have_arrival = true;
    track->arrival_us = now_us;
    track->arrival_rtp = v->timestamp;
    sfu->counters.rtp_in++;
    sfu->counters.bytes_in += len;

    bool keyframe = track->desc.kind == SFU_VIDEO &&
                    codec_is_keyframe_start(track->codec_id, v->payload, v->payload_len);
    /* An H.264 keyframe starts twice (its SPS, then its IDR slice: codec_is_keyframe_start),
     * with one timestamp: the frame starts at the first. */
    if (keyframe && (!track->have_keyframe || v->timestamp != track->keyframe_ts)) {
        sfu->counters.keyframes++;
        track->have_keyframe = true;
        track->keyframe_seq = v->seq;
        track->keyframe_ts = v->timestamp;
    }
    if (keyframe && pub->stream->n_switching)
        sfu_switch_at_keyframe(pub, track);
    /* Kept in history either way (a viewer that joins or changes quality may ask for it), but
     * held for a fan-out only when some viewer gets this track. */
    if (!someone_gets(pub, track))
        return;
    if (track->n_pending == SFU_BURST)
        sfu_fan_out(pub);
    struct sfu_pending *p = &track->pending[track->n_pending++];
    memcpy(p->data, pkt, len);
    const char *why;
    rtp_parse(&p->v, p->data, len, &why); /* the copy's view points into the copy */
    p->has_vp8 = vp8_ids_of(track, &p->v, &p->vp8) != NULL;
    p->keyframe = keyframe;
    p->arrival_us = now_us;
    if (!pub->dirty) {
        pub->dirty = true;
        if (sfu->n_dirty == sfu->cap_dirty) {
            sfu->cap_dirty = sfu->cap_dirty ? sfu->cap_dirty * 2 : 8;
            sfu->dirty = xrealloc(sfu->dirty, sfu->cap_dirty * sizeof *sfu->dirty);
        }
        sfu->dirty[sfu->n_dirty++] = pub;
    }
}

/* Viewers a lane takes at a time: about 50 us of sends at a frame's three packets each, so that
 * lanes end within that of each other, yet few enough takings to cost nothing. */
#define FAN_OUT_CHUNK 16

/* A fan-out under way: whose packets, how many lanes share its viewers, and the first viewer no
 * lane has taken yet. The lanes take the viewers in chunks as they come, rather than a fixed
 * share each: a worker's thread can start late (a third of a millisecond to wake on this VM, or
 * run on the loop's own CPU once the loop is done with its part: bench/RESULTS.md, session 32),
 * and with a fixed share the loop would wait for it idle, the fan-out then longer than on one
 * lane. Taken as they come, it is never longer than one lane doing it all and a chunk more. A
 * chunk's viewers get all their copies from the one lane, in order. */
struct fan_out_run {
    struct sfu_publisher *pub;
    unsigned lanes;
    atomic_size_t next;
};

/* VIEWERS[I] (of N) gets the pending packets of what it watches from PUB; what it takes goes
 * into R. */
static void fan_out_to_viewer(struct sfu_publisher *pub, struct sfu_viewer *const *viewers,
                              size_t i, size_t n, struct sfu_lane_result *r)
{
    struct sfu_viewer *viewer = viewers[i];
    /* Each viewer's state is apart from the last one's, and its sink's (session, SRTP context,
     * libgcrypt's handle) apart again: fetch the viewer two ahead, and what the next one's sink
     * will touch through the viewer fetched one round ago. Only reads: a viewer ahead may be
     * another lane's, which writes none of what is fetched. */
    if (i + 2 < n) {
        const struct sfu_viewer *ahead = viewers[i + 2];
        mem_span_prefetch(&(struct mem_span){ahead, sizeof *ahead}, 1);
    }
    if (i + 1 < n) {
        const struct sfu_viewer *next = viewers[i + 1];
        mem_span_prefetch(next->warm, next->n_warm);
    }
    if (!viewer->started)
        return;
    for (int k = SFU_KINDS; k-- > 0;) {
        struct sfu_track *track = sfu_viewer_source(viewer, (enum sfu_kind)k);
        struct sfu_viewer_track *vt = &viewer->tracks[k];
        if (!track || !track->n_pending || !vt->active)
            continue;
        for (size_t p = 0; p < track->n_pending; p++)
            if (send_to_viewer(viewer, vt, track, &track->pending[p], r))
                break;
        r->someone_waits[track - pub->tracks] |= vt->waiting_keyframe && vt->pt >= 0;
    }
}

/* One lane's share of a fan-out: chunks of viewers, taken until none is left. */
static void fan_out_part(void *arg, unsigned lane)
{
    struct fan_out_run *run = arg;
    struct sfu_publisher *pub = run->pub;
    struct sfu_stream *stream = pub->stream;
    struct sfu_lane_result *r = &pub->sfu->lane_results[lane];
    const size_t n = stream->n_viewers;
    for (;;) {
        size_t first = atomic_fetch_add_explicit(&run->next, FAN_OUT_CHUNK, memory_order_relaxed);
        if (first >= n)
            return;
        size_t end = n - first > FAN_OUT_CHUNK ? first + FAN_OUT_CHUNK : n;
        for (size_t i = first; i < end; i++)
            fan_out_to_viewer(pub, stream->viewers, i, n, r);
    }
}

/* Pads TRACK's pending packets so each viewer's run of them leaves in as few GSO messages as
 * it can (sfu/run_padding.h). Planned once for every viewer, on the packets as they came less
 * their padding: a viewer's rewrite changes every packet's header by as much when the packets
 * carry the same extension elements, as a frame's do; when they do not, the plan merely saves
 * less. No packet is padded past the longest of its run, so padding makes none too long. */
static void plan_padding(struct sfu_track *track)
{
    size_t sizes[SFU_BURST];
    uint8_t pads[SFU_BURST];
    for (size_t p = 0; p < track->n_pending; p++) {
        const struct sfu_pending *pp = &track->pending[p];
        sizes[p] = (size_t)(pp->v.payload - pp->data) + pp->v.payload_len;
    }
    run_padding_plan(sizes, track->n_pending, pads);
    for (size_t p = 0; p < track->n_pending; p++)
        track->pending[p].padding = pads[p];
}

/* Hands PUB's pending packets to its viewers, split among the fan-out lanes when there are
 * viewers to share and enough sends to be worth it; then adds up what the lanes did, and asks
 * for a keyframe if a viewer still waits for one. */
void sfu_fan_out(struct sfu_publisher *pub)
{
    struct sfu *sfu = pub->sfu;
    struct sfu_stream *stream = pub->stream;
    size_t pending = 0;
    struct fan_out_run run = {pub, 1, 0};
    for (int k = 0; k < SFU_SLOTS; k++) {
        pending += pub->tracks[k].n_pending;
        plan_padding(&pub->tracks[k]);
    }
    if (sfu->config.lanes > 1 && stream->n_viewers > 1 &&
        stream->n_viewers * pending >= sfu->config.lane_min_sends)
        run.lanes = sfu->config.lanes;
    for (unsigned lane = 0; lane < run.lanes; lane++) {
        struct sfu_lane_result *r = &sfu->lane_results[lane];
        r->rtp_out = r->bytes_out = 0;
        memset(r->someone_waits, 0, sizeof r->someone_waits);
        r->n_joins = 0;
    }
    if (run.lanes > 1)
        sfu->config.run_lanes(sfu->config.lanes_opaque, fan_out_part, &run);
    else
        fan_out_part(&run, 0);

    bool someone_waits[SFU_SLOTS] = {false};
    for (unsigned lane = 0; lane < run.lanes; lane++) {
        const struct sfu_lane_result *r = &sfu->lane_results[lane];
        add_result(sfu, stream, r);
        for (int k = 0; k < SFU_SLOTS; k++)
            someone_waits[k] |= r->someone_waits[k];
    }
    sfu->counters.fan_outs++;
    if (run.lanes > 1)
        sfu->counters.fan_outs_split++;
    uint64_t now_us = clock_now_us();
    for (int k = 0; k < SFU_SLOTS; k++) {
        struct sfu_track *track = &pub->tracks[k];
        if (!track->n_pending)
            continue;
        if (someone_waits[k])
            sfu_request_keyframe(pub, track, track->pending[track->n_pending - 1].arrival_us);
        for (size_t p = 0; p < track->n_pending; p++)
            histogram_add(&sfu->forward_delay_us,
                          (double)(now_us - track->pending[p].arrival_us));
        track->n_pending = 0;
    }
}

void sfu_flush(struct sfu *sfu)
{
    for (size_t i = 0; i < sfu->n_dirty; i++) {
        sfu->dirty[i]->dirty = false;
        sfu_fan_out(sfu->dirty[i]);
    }
    sfu->n_dirty = 0;
}

/* Resends one packet a viewer reported lost, from the track's history: as RTX (RFC 4588) when
 * the viewer negotiated it, else as the original packet again. One the SFU never received is
 * asked of the publisher again: its repair then goes to every viewer, as late packets do. */
void sfu_viewer_answer_nack(struct sfu_viewer *viewer, struct sfu_viewer_track *vt, uint16_t seq,
                            uint64_t now_us)
{
    struct sfu_track *track = sfu_viewer_source(viewer, vt->desc.kind);
    if (!track || !track->history || vt->bound_gen != track->gen || vt->pt < 0 || !vt->sent_any)
        return;
    uint16_t source_seq = (uint16_t)(seq - vt->seq_offset);
    /* A number from before the first packet of this binding was another source's (the layer or
     * publisher the viewer had before it moved): this track's packet under it is another
     * picture's, and the publisher has no such packet to send. Left unrepaired: the viewer
     * moved at a keyframe, which its decoder starts from. */
    if (before_viewer_start(vt, source_seq))
        return;
    size_t len;
    const uint8_t *pkt = history_get(track->history, source_seq, &len);
    struct rtp_view v;
    const char *why;
    if (rtp_seq_newer(seq, vt->last_seq_out))
        return; /* never sent to this viewer (it joined after): nothing to repair */
    if (!pkt) {
        ask_again(viewer->stream->publisher, track, source_seq, now_us);
        return;
    }
    if (!token_bucket_take(&vt->resends, SFU_RESEND_PER_SECOND, SFU_RESEND_BURST, now_us)) {
        viewer->sfu->counters.retransmits_refused++;
        return;
    }
    if (rtp_parse(&v, pkt, len, &why) < 0)
        return;
    struct rtp_rewrite *rw = &vt->rewrite;
    rw->timestamp = viewer_timestamp(vt, source_seq, v.timestamp);
    rw->padding = 0; /* a repair is sent alone: no run to keep together */
    uint8_t buf[SFU_SEND_CAP];
    size_t n;
    if (vt->rtx_pt >= 0 && vt->desc.rtx_ssrc) {
        rw->ssrc = vt->desc.rtx_ssrc;
        rw->payload_type = (uint8_t)vt->rtx_pt;
        rw->seq = vt->rtx_seq++;
        n = rtp_rtx_wrap(buf, sizeof buf - SFU_SRTP_ROOM, &v, rw, seq);
    } else {
        rw->ssrc = vt->desc.ssrc;
        rw->payload_type = (uint8_t)vt->pt;
        rw->seq = seq;
        n = rtp_rewrite(buf, sizeof buf - SFU_SRTP_ROOM, &v, rw);
    }
    if (!n)
        return;
    struct vp8_ids ids, moved;
    if (vp8_ids_of(track, &v, &ids)) /* the payload ends the packet: no padding */
        renumber_vp8(vt, buf + n - v.payload_len, &ids, &moved);
    viewer->sfu->counters.retransmits++;
    viewer->sink.send_rtp(viewer->opaque, buf, n, sizeof buf);
}
