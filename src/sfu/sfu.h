/* sfu: streams, their publisher's tracks and their viewers, and the decisions of forwarding:
 * which packet goes to whom under which SSRC, sequence number and timestamp, when to ask for a
 * keyframe, and how to answer loss. It moves no bytes itself: each participant has a sink. */
#ifndef ONAIR_SFU_SFU_H
#define ONAIR_SFU_SFU_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/histogram.h"
#include "base/mem_span.h"
#include "proto/sdp.h"

enum sfu_kind { SFU_AUDIO = 0, SFU_VIDEO = 1, SFU_KINDS = 2 };

/* The RTP header extensions the SFU carries from publishers to viewers (RFC 8285); each side
 * names them by its own ids. */
enum sfu_ext {
    SFU_EXT_MID,
    SFU_EXT_AUDIO_LEVEL,
    SFU_EXT_ABS_SEND_TIME,
    SFU_EXT_VIDEO_ORIENTATION,
    SFU_EXT_PLAYOUT_DELAY,
    SFU_EXT_COUNT
};
/* The URI of each, for SDP, and the reverse; -1 for URIs the SFU does not carry. */
const char *sfu_ext_uri(enum sfu_ext ext);
int sfu_ext_from_uri(const char *uri);

/* How the SFU hands packets to a participant. Buffers are plaintext and have `cap` bytes of
 * room, so the owner can SRTP-protect in place. The SFU never re-enters itself from a sink. */
struct sfu_sink {
    void (*send_rtp)(void *opaque, uint8_t *pkt, size_t len, size_t cap);
    void (*send_rtcp)(void *opaque, uint8_t *pkt, size_t len, size_t cap);
    /* For publishers that are not WebRTC peers (a file): NULL means "send a PLI or FIR". */
    void (*request_keyframe)(void *opaque);
    /* For viewers, optional: where the sink would like the next RTP packet built (*CAP bytes),
     * say its send queue's slot, or NULL for anywhere. The SFU then builds it there and calls
     * send_rtp with that address at once; with a packet too big for it, it builds elsewhere. */
    uint8_t *(*rtp_slot)(void *opaque, size_t *cap);
};

/* One track a publisher sends. */
struct sfu_track_desc {
    enum sfu_kind kind;
    char mid[32];
    struct sdp_codec codec; /* the one negotiated codec: name, pt, clock rate, fmtp, feedback */
    uint32_t ssrc;          /* 0 when the offer did not say: learnt from the first packet */
    uint8_t ext_ids[SFU_EXT_COUNT];
    /* Simulcast (video): how many layers the answer took, each its own SSRC of the codec's
     * payload type; one is forwarded at a time (simulcast.c). 0: a single stream. */
    uint8_t layers;
};

/* One track a viewer receives: every codec it accepted, so the publisher's can be sent. */
#define SFU_VIEWER_CODECS 16
struct sfu_viewer_track_desc {
    enum sfu_kind kind;
    char mid[32];
    struct sdp_codec codecs[SFU_VIEWER_CODECS];
    size_t n_codecs;
    uint32_t ssrc, rtx_ssrc;
    uint8_t ext_ids[SFU_EXT_COUNT];
};

/* Runs PART(ARG, LANE) for every LANE from 0 to the configured number of lanes, at once, and
 * returns when all have returned. */
typedef void (*sfu_run_lanes_fn)(void *opaque, void (*part)(void *arg, unsigned lane), void *arg);

struct sfu_config {
    uint32_t max_bitrate; /* bits per second, announced to publishers in REMB */
    /* Fan-out lanes: with LANES > 1 and RUN_LANES, a publisher's fan-out to many viewers is split
     * among the lanes, each viewer to one lane. A viewer's send_rtp may then run on any lane's
     * thread, never on two at once, while the SFU's owner waits in sfu_flush. */
    unsigned lanes;
    sfu_run_lanes_fn run_lanes;
    void *lanes_opaque;
    /* A fan-out is split from this many packet copies up (viewers x packets); 0 means
     * SFU_LANE_MIN_SENDS. */
    unsigned lane_min_sends;
};

/* The default of lane_min_sends. Below it a split costs more than it saves: bench/lane-cost
 * measured 10-15 µs of CPU for a split run (waking a lane's thread and waiting for it), and no
 * time saved for a run of 0.4 ms or less a lane on this 2-vCPU machine, where the woken thread
 * waits on the waker's CPU or a sleeping vCPU's wake-up (~0.1 ms). 256 copies (~1 ms of sealing
 * and sending) keep that under 2 % of the fan-out, and split what takes long enough to gain. */
#define SFU_LANE_MIN_SENDS 256

struct sfu;
struct sfu_stream;
struct sfu_publisher;
struct sfu_viewer;

struct sfu *sfu_new(const struct sfu_config *config);
void sfu_free(struct sfu *sfu);

/* Makes NAME's publisher. Returns NULL with *why when the stream already has one (409). */
struct sfu_publisher *sfu_publisher_attach(struct sfu *sfu, const char *name,
                                           const struct sfu_track_desc *tracks, size_t n_tracks,
                                           const struct sfu_sink *sink, void *opaque,
                                           const char **why);
void sfu_publisher_detach(struct sfu_publisher *pub);
/* A plaintext RTP or RTCP packet from the publisher. RTP is counted, stored and tapped at once
 * but reaches viewers at the next sfu_flush (or when SFU_BURST packets wait). */
void sfu_publisher_rtp(struct sfu_publisher *pub, uint64_t now_us, const uint8_t *pkt, size_t len);
/* Sends every publisher's waiting packets to its viewers. Call at the end of each receive batch
 * and of each turn of the loop, before the send batch goes out. */
void sfu_flush(struct sfu *sfu);
void sfu_publisher_rtcp(struct sfu_publisher *pub, uint64_t now_us, const uint8_t *pkt,
                        size_t len);

/* Adds a viewer to NAME (made if it does not exist: a viewer may come before its publisher). */
struct sfu_viewer *sfu_viewer_attach(struct sfu *sfu, const char *name,
                                     const struct sfu_viewer_track_desc *tracks, size_t n_tracks,
                                     const struct sfu_sink *sink, void *opaque);
void sfu_viewer_detach(struct sfu_viewer *viewer);
/* Which layer of a simulcast publisher's video the viewer gets: the best that flows (high, the
 * default), the second best when three or more flow (medium; the best otherwise), or the
 * smallest (low), for a viewer on a poor link or a small screen. A single stream is the same at
 * each. Changed while watching, the viewer keeps its layer until the new one's next keyframe,
 * which is asked for, and moves there with it. */
enum sfu_quality { SFU_QUALITY_HIGH, SFU_QUALITY_MEDIUM, SFU_QUALITY_LOW, SFU_QUALITIES };
extern const char *const sfu_quality_names[SFU_QUALITIES]; /* "high", "medium", "low" */
void sfu_viewer_set_quality(struct sfu_viewer *viewer, enum sfu_quality quality, uint64_t now_us);
/* Automatic quality: the SFU moves the viewer down a layer when its receiver reports show the
 * link losing what the layer sends, and tries a larger one after a while without loss
 * (quality_auto.h); it starts from the quality the viewer has. sfu_viewer_set_quality ends it. */
void sfu_viewer_set_auto_quality(struct sfu_viewer *viewer, uint64_t now_us);
bool sfu_viewer_auto_quality(const struct sfu_viewer *viewer);
/* The viewer's sink is ready (its keys exist): from now on it gets packets. */
void sfu_viewer_start(struct sfu_viewer *viewer, uint64_t now_us);
/* What the viewer's sink touches to send a packet (its session, its SRTP context): a fan-out
 * prefetches it while it sends to the viewer before this one, so that those cache misses
 * overlap work. At most SFU_WARM_SPANS are kept; the sink renews them when they move. */
#define SFU_WARM_SPANS 12
void sfu_viewer_set_warm(struct sfu_viewer *viewer, const struct mem_span *spans, size_t n);
void sfu_viewer_rtcp(struct sfu_viewer *viewer, uint64_t now_us, const uint8_t *pkt, size_t len);

/* A tap sees what publishers send, for the server's recorder. on_publisher hears a publisher
 * arrive on stream NAME (its N_TRACKS tracks) and answers whether its packets should reach
 * on_rtp; it hears the publisher leave with N_TRACKS 0. on_rtp gets each plaintext RTP packet
 * of a tapped publisher with its track's kind, before forwarding. One tap per SFU. */
struct sfu_tap {
    bool (*on_publisher)(void *opaque, const char *name, const struct sfu_track_desc *tracks,
                         size_t n_tracks);
    void (*on_rtp)(void *opaque, const char *name, enum sfu_kind kind, const uint8_t *pkt,
                   size_t len, uint64_t now_us);
};
void sfu_set_tap(struct sfu *sfu, const struct sfu_tap *tap, void *opaque);
/* Hears stream NAME's publisher's first packet (its N_TRACKS tracks) and, after that, the
 * publisher leaving (N_TRACKS 0), for the server's webhooks. */
typedef void sfu_on_live_fn(void *opaque, const char *name, const struct sfu_track_desc *tracks,
                            size_t n_tracks);
void sfu_set_on_live(struct sfu *sfu, sfu_on_live_fn *on_live, void *opaque);
/* Starts (ON) or stops tapping NAME's publisher; starting asks it for a keyframe, so what is
 * tapped begins with one. Returns -1 when NAME has no publisher. */
int sfu_tap_stream(struct sfu *sfu, const char *name, bool on, uint64_t now_us);

/* Periodic work: reports and REMB to publishers, SRs to viewers, bitrates. Call every ~50 ms. */
void sfu_tick(struct sfu *sfu, uint64_t now_us);

/* Introspection for the API. */
#define SFU_MAX_LAYERS 4 /* simulcast layers of a publisher's video */
struct sfu_track_info {
    enum sfu_kind kind;
    const char *codec;
    uint32_t clock_rate;
    uint32_t ssrc;
    uint64_t packets, bytes, lost; /* of what was forwarded */
    uint32_t bitrate;
    /* Simulcast: each layer heard, in the order first heard; 0 for a single stream. */
    size_t n_layers;
    struct {
        uint32_t ssrc, bitrate;
        bool forwarded;        /* to viewers of high quality */
        bool forwarded_medium; /* to viewers of medium quality */
        bool forwarded_low;    /* to viewers of low quality */
    } layers[SFU_MAX_LAYERS];
};
struct sfu_stream_info {
    const char *name;
    bool live;
    size_t viewers;
    size_t viewers_at[SFU_QUALITIES]; /* of them, those at each quality */
    size_t viewers_auto;              /* of them, those whose quality the server chooses */
    uint32_t bitrate_in;
    uint64_t bitrate_out; /* a crowd's: 3,000 viewers of 1.5 Mbit/s pass 2^32 */
    size_t n_tracks;
    struct sfu_track_info tracks[SFU_KINDS];
};
size_t sfu_stream_count(const struct sfu *sfu);
/* Fills info for the i-th stream (any order) or the named one; returns -1 when none. */
int sfu_stream_info_at(const struct sfu *sfu, size_t i, struct sfu_stream_info *info);
int sfu_stream_info(const struct sfu *sfu, const char *name, struct sfu_stream_info *info);
/* Whether NAME has a publisher now, and its track descriptions (NULL when not live). */
const struct sfu_track_desc *sfu_stream_track(const struct sfu *sfu, const char *name,
                                              enum sfu_kind kind);

struct sfu_counters {
    uint64_t rtp_in, rtp_out, bytes_in, bytes_out, rtp_bad, nacks_in, retransmits,
        keyframe_requests, keyframes;
    uint64_t nacks_out;      /* packets asked of publishers: lost on the way in, or repairs */
    uint64_t retransmits_refused; /* repairs past a viewer's budget (forward.c): not sent */
    uint64_t fan_outs;       /* runs of a publisher's packets handed to its viewers */
    uint64_t fan_outs_split; /* of those, the ones split among the fan-out lanes */
    uint64_t layer_switches; /* simulcast: times a video track moved to another layer */
    /* Automatic quality: viewers moved to a smaller layer for loss, and to a larger one. */
    uint64_t quality_steps_down, quality_steps_up;
};
const struct sfu_counters *sfu_counters(const struct sfu *sfu);

/* Forwarding delay: from a publisher packet's arrival (before SRTP) to its copy for the last
 * viewer being queued, in microseconds (the batch is sent right after sfu_flush).
 * Join: from a viewer's keys being ready (DTLS done) to its first keyframe, in milliseconds. */
const struct histogram *sfu_forward_delay_us(const struct sfu *sfu);
const struct histogram *sfu_join_ms(const struct sfu *sfu);

#endif
