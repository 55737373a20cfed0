/* sfu_internal: the SFU's state, shared by its files (sfu.c: registry and reports; forward.c:
 * the packet path). Nothing outside sfu/ includes this. */
#ifndef ONAIR_SFU_SFU_INTERNAL_H
#define ONAIR_SFU_SFU_INTERNAL_H
#include "base/hmap.h"
#include "base/token_bucket.h"
#include "base/xmalloc.h"
#include "proto/codec.h"
#include "proto/rtp.h"
#include "proto/vp8_ids.h"
#include "sfu/history.h"
#include "sfu/quality_auto.h"
#include "sfu/sfu.h"

/* A packet of a publisher's track waiting for the next fan-out (sfu_flush). Packets are handed
 * to each viewer as a run, so that viewer's datagrams sit together in the send batch and leave as
 * one GSO message. */
#define SFU_BURST 32
/* Lost packets asked of a publisher are remembered in this many slots (by sequence number), so
 * that a crowd of viewers NACKing the same loss asks for it once per SFU_REASK_US, and a repair
 * that does not come is asked again, SFU_ASK_TRIES times in all (forward.c ask_again_unrepaired),
 * whether or not a viewer NACKs it. */
#define SFU_ASKED_SLOTS 64
#define SFU_REASK_US 50000
#define SFU_ASK_TRIES 5
/* A viewer's repairs (its NACKs answered from history) go at most SFU_RESEND_BURST at once and
 * SFU_RESEND_PER_SECOND after: far above what a real loss asks for (a 2.5 Mbit/s stream is ~250
 * packets a second; a second's outage is repaired at once), and a viewer that NACKs the packets
 * it has over and over costs no more than another stream's worth of sealing and sending, not a
 * resend per number it lists. */
#define SFU_RESEND_BURST 512
#define SFU_RESEND_PER_SECOND 512

struct sfu_asked {
    uint16_t seq;
    uint8_t tries; /* 0: a free slot (nothing asked, or its repair came) */
    uint64_t at_us;
};
struct sfu_pending {
    struct rtp_view v; /* parsed from data */
    bool keyframe;
    bool has_vp8; /* VP8 with a descriptor whole: its ids in VP8, renumbered per viewer */
    struct vp8_ids vp8;
    uint8_t padding; /* RTP padding each viewer's copy gets (run_padding_plan) */
    uint64_t arrival_us;
    uint8_t data[HISTORY_PACKET_MAX];
};

/* Where a publisher's tracks sit in pub->tracks: one per kind (SFU_AUDIO, SFU_VIDEO), and for
 * a simulcast video more video tracks, each forwarding the layer that viewers of a lesser
 * quality get (the video track forwards the best one: simulcast.c). The medium track exists only
 * for three layers or more: with two, medium is high. A track forwarding the same layer as one
 * before it leaves the NACKs and reports to that one. */
enum { SFU_SLOT_MEDIUM = SFU_KINDS, SFU_SLOT_LOW, SFU_SLOTS };

/* The slot of the track viewers of QUALITY get, when the publisher has it. */
static inline int sfu_quality_slot(enum sfu_quality quality)
{
    return quality == SFU_QUALITY_LOW      ? SFU_SLOT_LOW
           : quality == SFU_QUALITY_MEDIUM ? SFU_SLOT_MEDIUM
                                           : SFU_VIDEO;
}

/* A publisher's track as the SFU receives it. */
struct sfu_track {
    struct sfu_track_desc desc;
    enum codec_id codec_id;
    uint32_t gen; /* unique per publisher track: viewers rebind when it changes */
    struct history *history;
    struct sfu_pending *pending; /* SFU_BURST slots */
    size_t n_pending;
    /* Receive statistics (RFC 3550 §A.3) for receiver reports and loss figures. */
    struct rtp_seq_tracker seq;
    uint64_t expected_prior, received_prior;
    uint64_t packets, bytes, bytes_at_rate, lost;
    uint32_t bitrate;
    /* NTP <-> RTP mapping: from the publisher's SR when it sends them, else from arrivals. */
    bool have_sr;
    uint64_t sr_ntp;
    uint32_t sr_rtp;
    uint64_t sr_received_us;
    bool have_arrival;
    uint64_t arrival_us;
    uint32_t arrival_rtp;
    /* The lost packets last asked of the publisher (NACK), and when; whether some may still
     * wait for their repair. */
    struct sfu_asked asked[SFU_ASKED_SLOTS];
    bool awaiting_repairs;
    /* Keyframe requests, throttled so a crowd of joiners costs one keyframe at a time. */
    uint64_t keyframe_requested_us;
    uint8_t fir_seq;
    /* Where the newest keyframe starts, for joiners of a source that cannot make one. */
    bool have_keyframe;
    uint16_t keyframe_seq;
    uint32_t keyframe_ts;
    /* Simulcast: the layer this track moves to at its next keyframe (0: none). */
    uint32_t switch_ssrc;
};

/* A simulcast layer of a publisher's video: one SSRC of its payload type (simulcast.c). */
struct sfu_layer {
    uint32_t ssrc;
    uint64_t bytes, bytes_at_rate;
    uint32_t bitrate;
    uint64_t last_us; /* its newest packet */
};

struct sfu_publisher {
    struct sfu *sfu;
    struct sfu_stream *stream;
    struct sfu_track tracks[SFU_SLOTS];
    bool has[SFU_SLOTS];
    struct sfu_sink sink;
    void *opaque;
    uint32_t rtcp_ssrc; /* sender SSRC of the SFU's own feedback to this publisher */
    bool tapped;        /* its packets go to the SFU's tap (a recording) */
    bool dirty;         /* has pending packets, and is on sfu->dirty */
    bool announced;     /* on_live heard of it: its first packet came */
    uint64_t reported_us;
    /* Simulcast: the layers heard so far; the video track, and the low one, forward the one
     * whose SSRC they have. */
    struct sfu_layer layers[SFU_MAX_LAYERS];
    size_t n_layers;
    /* The tap (a recording) gets the forwarded layers as one stream: the first one's SSRC, its
     * numbers continued across switches by these offsets, made anew at the first packet after
     * a switch (tap_rebase) from the newest packet tapped (tap_last_*). */
    bool tap_started, tap_rebase;
    uint32_t tap_ssrc, tap_ts_offset, tap_last_ts;
    uint16_t tap_seq_offset, tap_last_seq;
    uint64_t tap_last_us;
};

/* One codec a viewer offered, as much of it as matching a publisher's codec needs. */
struct sfu_viewer_codec {
    struct sdp_codec_id id;
    uint8_t pt, rtx_pt; /* rtx_pt 0: none */
};

/* A viewer track's description as the SFU keeps it: the codec table at its true length and only
 * what matching needs, not the SFU_VIEWER_CODECS sdp_codec slots of the public struct (16 of
 * those are ~4.7 KiB a track, once the largest part of a viewer's state; 48 bytes a codec
 * here). */
struct sfu_viewer_track_kept {
    enum sfu_kind kind;
    char mid[32];
    struct sfu_viewer_codec *codecs;
    size_t n_codecs;
    uint32_t ssrc, rtx_ssrc;
    uint8_t ext_ids[SFU_EXT_COUNT];
};

struct sfu_viewer_track {
    struct sfu_viewer_track_kept desc;
    bool active;
    uint32_t bound_gen; /* the publisher track this mapping was made for */
    int pt, rtx_pt;     /* viewer's payload types for the publisher's codec; -1 none */
    /* Extension ids and mid, made at bind time; per packet only SSRC, payload type, sequence
     * number and timestamp change. */
    struct rtp_rewrite rewrite;
    bool waiting_keyframe;
    bool need_offsets;
    bool sent_any;
    uint16_t seq_offset;
    uint32_t ts_offset;
    uint16_t last_seq_out;
    uint32_t last_ts_out;
    /* VP8: picture IDs and TL0PICIDX renumbered to continue across a change of source, as the
     * sequence numbers are (vp8_ids.h); the newest sent, once VP8_SENT_ANY. */
    bool vp8_sent_any;
    uint16_t pid_offset, last_pid_out;
    uint8_t tl0_offset, last_tl0_out;
    /* The source's first packet this viewer got since it was bound: older ones are
     * not sent (before_viewer_start, forward.c). */
    uint16_t first_seq_in;
    uint64_t last_sent_us;
    uint16_t rtx_seq;
    uint64_t packets, octets;
    uint64_t reported_us;
    /* The source's packets from replay_first on (replay_count of them) were replayed from
     * history at the join, timestamps squeezed towards replay_anchor (forward.c). */
    uint16_t replay_first, replay_count;
    uint32_t replay_anchor;
    struct token_bucket resends; /* SFU_RESEND_BURST at once, SFU_RESEND_PER_SECOND after */
};

struct sfu_viewer {
    struct sfu *sfu;
    struct sfu_stream *stream;
    size_t index; /* in stream->viewers */
    struct sfu_viewer_track tracks[SFU_KINDS];
    enum sfu_quality quality; /* of a simulcast video: which of its tracks the viewer gets */
    /* A change of quality waits for the new track's keyframe (sfu_switch_at_keyframe), the old
     * one going on meanwhile: SWITCHING, to SWITCH_TO. */
    bool switching;
    enum sfu_quality switch_to;
    bool auto_quality; /* the server moves QUALITY by the viewer's loss (quality_auto.h) */
    struct quality_auto automatic;
    struct sfu_sink sink;
    void *opaque;
    bool started;
    uint64_t started_us; /* when its keys were ready, for the join time */
    /* What its sink touches per packet, prefetched by the fan-out (sfu_viewer_set_warm). */
    struct mem_span warm[SFU_WARM_SPANS];
    size_t n_warm;
};

struct sfu_stream {
    char name[64];
    size_t index; /* in sfu->streams */
    struct sfu_publisher *publisher;
    struct sfu_viewer **viewers;
    size_t n_viewers, cap_viewers;
    size_t n_viewers_at[SFU_QUALITIES]; /* of them, those at each quality */
    size_t n_viewers_auto;              /* of them, those whose quality the server chooses */
    size_t n_switching;                 /* of them, those waiting to change quality */
    uint64_t bytes_out, bytes_out_at_rate;
    uint64_t bitrate_out;
};

/* What one lane of a fan-out did, added to the SFU's figures once every lane is done: lanes
 * write only here and to their own viewers. A lane writes its own at every copy it sends, so
 * each is on cache lines of its own (lane_results is allocated line-aligned): sharing one, the
 * lanes would take the line from each other at every copy. */
struct sfu_lane_result {
    _Alignas(CACHE_LINE) uint64_t rtp_out, bytes_out;
    bool someone_waits[SFU_SLOTS]; /* a viewer of that track still waits for a keyframe */
    double *join_ms; /* join times of viewers whose first keyframe went out */
    size_t n_joins, cap_joins;
};

struct sfu {
    struct sfu_config config;
    struct sfu_lane_result *lane_results; /* config.lanes of them (at least one) */
    struct hmap by_name;
    struct sfu_stream **streams;
    size_t n_streams, cap_streams;
    uint32_t next_gen;
    uint64_t rated_us;
    struct sfu_counters counters;
    struct sfu_tap tap;
    struct histogram forward_delay_us, join_ms;
    void *tap_opaque;
    sfu_on_live_fn *on_live;
    void *on_live_opaque;
    /* Publishers with packets waiting for sfu_flush. */
    struct sfu_publisher **dirty;
    size_t n_dirty, cap_dirty;
};

/* forward.c */
/* PKT (at most HISTORY_PACKET_MAX bytes) parsed as V. */
void sfu_forward_track_packet(struct sfu_publisher *pub, struct sfu_track *track, uint64_t now_us,
                              const uint8_t *pkt, size_t len, const struct rtp_view *v);
void sfu_fan_out(struct sfu_publisher *pub);
void sfu_request_keyframe(struct sfu_publisher *pub, struct sfu_track *track, uint64_t now_us);
/* The publisher's track a viewer of QUALITY gets for KIND (NULL: none), and the viewer's. */
struct sfu_track *sfu_quality_source(struct sfu_publisher *pub, enum sfu_kind kind,
                                     enum sfu_quality quality);
struct sfu_track *sfu_viewer_source(struct sfu_viewer *viewer, enum sfu_kind kind);
void sfu_viewer_answer_nack(struct sfu_viewer *viewer, struct sfu_viewer_track *vt,
                            uint16_t seq, uint64_t now_us);
bool sfu_viewer_replay_now(struct sfu_viewer *viewer, uint64_t now_us);

/* sfu.c: viewers waiting to change quality to TRACK's move there: its keyframe is arriving. */
void sfu_switch_at_keyframe(struct sfu_publisher *pub, const struct sfu_track *track);

/* simulcast.c */
struct sfu_layer *sfu_simulcast_note(struct sfu_publisher *pub, const struct rtp_view *v,
                                     uint64_t now_us);
bool sfu_simulcast_take(struct sfu_publisher *pub, struct sfu_track *track,
                        const struct sfu_layer *layer, const struct rtp_view *v);
void sfu_simulcast_rate(struct sfu_publisher *pub, uint64_t elapsed_us, uint64_t now_us);
void sfu_simulcast_tap(struct sfu_publisher *pub, const uint8_t *pkt, size_t len, uint64_t now_us);

/* Room for SRTP's tag (and an MKI) after a packet the SFU hands to a sink, and a buffer for a
 * packet of up to 1,500 bytes with that room. */
#define SFU_SRTP_ROOM 64
#define SFU_SEND_CAP (1500 + SFU_SRTP_ROOM)

#endif
