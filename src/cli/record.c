/* record: `onair record URL OUT`, the seed's MediaRecorder in C: watches a stream over WHEP
 * and writes what arrives to .mkv, .webm or .mp4 with libavformat, without re-encoding. */
#include <getopt.h>
#include <inttypes.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/pixfmt.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "app/depacketize.h"
#include "app/mux_params.h"
#include "app/peer_client.h"
#include "app/viewer_offer.h"
#include "app/whip_client.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "cli/cli_options.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "proto/rtcp.h"
#include "proto/rtp.h"
#include "proto/sdp.h"
#include "rtc/srtp.h"

#define RECORD_TICK_MS 20
/* Keyframe requests are repeated this often while the recorder waits for one. */
#define RECORD_PLI_INTERVAL_MS 1000
/* After the first keyframe, audio that has not shown up by then is not waited for. */
#define RECORD_AUDIO_WAIT_MS 1500
/* A cluster (and a flush to disk) at least this often, so a killed recording plays. */
#define RECORD_CLUSTER_MS "1000"
/* A stream that sends nothing for this long has ended (its publisher left): stop. */
#define RECORD_IDLE_MS 5000
/* Without any keyframe after this long there is nothing to record: give up. */
#define RECORD_NO_KEYFRAME_MS 20000

int record_main(int argc, char **argv);

static const char record_usage[] =
    "usage: onair record URL OUT [OPTIONS]\n"
    "\n"
    "Watches URL, a WHEP endpoint such as http://host:8080/whep/NAME, and writes the stream\n"
    "to OUT as it arrives, without re-encoding: .mkv or .webm (playable even if the recorder\n"
    "is killed), or .mp4 (finalized when recording stops). Ctrl-C stops cleanly.\n"
    "\n"
    "options:\n"
    "  --duration SECONDS  stop after this long (counted from the first keyframe)\n"
    "  --seed-offer        URL is the seed's /offer (JSON) instead of a WHEP endpoint\n"
CLI_ICE_USAGE
CLI_SERVER_USAGE
    "  --log-level LEVEL   debug, info, warn or error (default warn)\n"
    "  -h, --help          this text\n";

enum { RECORD_AUDIO, RECORD_VIDEO, RECORD_KINDS };

struct record_track {
    bool offered_back;       /* the answer has an active section of this kind */
    uint32_t ssrc;           /* from the answer; 0 = learn from the first packet */
    struct sdp_codec codecs[SDP_MAX_CODECS];
    size_t n_codecs;
    int codec;               /* enum depack_codec once the first packet tells; -1 before */
    uint32_t clock_rate;
    struct depacketizer *depack;
    /* Time mapping: anchor_us is the time of RTP timestamp anchor_ts (arrival, or the SR). */
    bool anchored, have_sr;
    int64_t anchor_us;
    uint32_t anchor_ts;
    uint64_t sr_ntp_us;
    uint32_t sr_rtp;
    AVStream *stream;        /* once the muxer is open */
    uint64_t frames, bytes;
    int64_t first_pts_us, last_pts_us;
};

struct record {
    uv_loop_t *loop;
    const char *url, *out_path;
    struct whip_client_target server; /* URL and --seed-offer, once parsed; --token, --cacert */
    bool seed_offer;
    struct peer_client_ice ice;
    double duration_s;
    uint32_t local_ssrc;
    struct peer_client *pc;
    char location[1024];
    struct record_track tracks[RECORD_KINDS];
    uv_signal_t sigint, sigterm;
    uv_timer_t tick;
    bool connected, stopped;
    int exit_code;
    uint64_t last_pli_ms, first_key_ms;
    uint64_t connected_ms, last_rx_ms;
    /* The muxer, opened at the first video keyframe (or first audio, without video). */
    AVFormatContext *mux;
    bool mux_failed;
    int64_t start_us; /* media time that becomes 0 in the file */
    /* Frames that arrived before the muxer opened: the first keyframe and audio after it. */
    struct record_pending {
        int kind;
        int64_t pts_us;
        bool key;
        uint8_t *data;
        size_t len;
    } pending[256];
    size_t n_pending;
};

static void record_stop(struct record *r, int exit_code, const char *message);

static int64_t record_ntp_to_us(uint64_t ntp)
{
    return (int64_t)((ntp >> 32) * 1000000u + (((ntp & 0xffffffffu) * 1000000u) >> 32));
}

/* Media time of an RTP timestamp on track T, in microseconds on the mapping's clock. */
static int64_t record_time_us(const struct record_track *t, uint32_t ts)
{
    int32_t delta = (int32_t)(ts - t->anchor_ts);
    return t->anchor_us + (int64_t)delta * 1000000 / (int64_t)t->clock_rate;
}

static void record_send_pli(struct record *r)
{
    struct record_track *video = &r->tracks[RECORD_VIDEO];
    if (!r->connected || !video->offered_back || !video->ssrc)
        return;
    uint8_t buf[64 + SRTPX_MAX_TRAILER];
    size_t n = rtcp_pli_encode(buf, 64, r->local_ssrc, video->ssrc);
    peer_client_send_rtcp(r->pc, buf, n, sizeof buf);
    r->last_pli_ms = clock_now_ms();
}

static const char *record_codec_label(int codec)
{
    static const char *labels[] = {"opus", "VP8", "VP9", "H264", "AV1"};
    return codec >= 0 ? labels[codec] : "none";
}

static int record_add_stream(struct record *r, int kind, const struct record_pending *key)
{
    struct record_track *t = &r->tracks[kind];
    AVStream *st = avformat_new_stream(r->mux, NULL);
    AVCodecParameters *par = st->codecpar;
    mux_params_track(par, t->codec, key ? key->data : NULL, key ? key->len : 0);
    st->time_base = (AVRational){1, 1000000};
    if (avformat_query_codec(r->mux->oformat, par->codec_id, FF_COMPLIANCE_NORMAL) != 1) {
        fprintf(stderr, "onair record: %s cannot hold %s; record to .mkv instead\n",
                r->out_path, record_codec_label(t->codec));
        return -1;
    }
    t->stream = st;
    return 0;
}

static void record_write(struct record *r, int kind, int64_t pts_us, bool key, const uint8_t *data,
                         size_t len)
{
    struct record_track *t = &r->tracks[kind];
    if (!t->stream || pts_us < r->start_us)
        return;
    int64_t rel = pts_us - r->start_us;
    if (t->frames && rel <= t->last_pts_us)
        rel = t->last_pts_us + 1; /* keep timestamps strictly increasing per stream */
    AVPacket *pkt = av_packet_alloc();
    av_new_packet(pkt, (int)len);
    memcpy(pkt->data, data, len);
    pkt->stream_index = t->stream->index;
    pkt->pts = pkt->dts = av_rescale_q(rel, (AVRational){1, 1000000}, t->stream->time_base);
    if (key)
        pkt->flags |= AV_PKT_FLAG_KEY;
    if (!t->frames)
        t->first_pts_us = rel;
    t->last_pts_us = rel;
    t->frames++;
    t->bytes += len;
    int rc = av_interleaved_write_frame(r->mux, pkt);
    av_packet_free(&pkt);
    if (rc < 0 && !r->mux_failed) {
        r->mux_failed = true;
        char message[300];
        snprintf(message, sizeof message, "cannot write %s: %s", r->out_path, av_err2str(rc));
        record_stop(r, 1, message);
    }
}

/* When every track has a Sender Report, media times come from the sender's NTP clock so audio
 * and video line up as they were captured; otherwise from arrival. */
static void record_choose_clock(struct record *r)
{
    bool all_sr = true;
    for (int k = 0; k < RECORD_KINDS; k++)
        if (r->tracks[k].codec >= 0 && !r->tracks[k].have_sr)
            all_sr = false;
    if (!all_sr)
        return;
    for (int k = 0; k < RECORD_KINDS; k++) {
        struct record_track *t = &r->tracks[k];
        if (t->codec < 0)
            continue;
        /* The pending frames were timed on the old mapping: move them with it. */
        int64_t old = record_time_us(t, t->sr_rtp);
        t->anchor_us = (int64_t)t->sr_ntp_us;
        t->anchor_ts = t->sr_rtp;
        for (size_t i = 0; i < r->n_pending; i++)
            if (r->pending[i].kind == k)
                r->pending[i].pts_us += t->anchor_us - old;
    }
    log_debug("record: audio and video aligned by the sender reports");
}

/* Frees a muxer whose header was never written: it has no trailer to write. */
static void record_drop_mux(struct record *r)
{
    if (r->mux->pb)
        avio_closep(&r->mux->pb);
    avformat_free_context(r->mux);
    r->mux = NULL;
    for (int k = 0; k < RECORD_KINDS; k++)
        r->tracks[k].stream = NULL; /* they were the muxer's */
}

static int record_open_mux(struct record *r)
{
    int rc = avformat_alloc_output_context2(&r->mux, NULL, NULL, r->out_path);
    if (rc < 0 || !r->mux) {
        fprintf(stderr, "onair record: %s: cannot tell the format from the name (use .mkv, "
                        ".webm or .mp4)\n", r->out_path);
        return -1;
    }
    record_choose_clock(r);
    const struct record_pending *key = NULL;
    for (size_t i = 0; i < r->n_pending && !key; i++)
        if (r->pending[i].kind == RECORD_VIDEO)
            key = &r->pending[i];
    r->start_us = key ? key->pts_us : r->pending[0].pts_us;
    for (int k = RECORD_KINDS - 1; k >= 0; k--)
        if (r->tracks[k].codec >= 0 && record_add_stream(r, k, k == RECORD_VIDEO ? key : NULL) < 0) {
            record_drop_mux(r);
            return -1;
        }
    AVDictionary *options = NULL;
    const char *name = r->mux->oformat->name;
    if (strstr(name, "matroska") || strstr(name, "webm")) {
        /* Live-safe: a cluster at least every second, written out at once. */
        av_dict_set(&options, "cluster_time_limit", RECORD_CLUSTER_MS, 0);
        r->mux->flags |= AVFMT_FLAG_FLUSH_PACKETS;
    }
    rc = avio_open(&r->mux->pb, r->out_path, AVIO_FLAG_WRITE);
    if (rc >= 0)
        rc = avformat_write_header(r->mux, &options);
    av_dict_free(&options);
    if (rc < 0) {
        fprintf(stderr, "onair record: cannot write %s: %s\n", r->out_path, av_err2str(rc));
        record_drop_mux(r);
        return -1;
    }
    return 0;
}

static void record_free_pending(struct record *r)
{
    for (size_t i = 0; i < r->n_pending; i++)
        free(r->pending[i].data);
    r->n_pending = 0;
}

/* Opens the muxer and writes what was held, once every track the answer announced has shown
 * up (audio is waited for only briefly) and, if any has a Sender Report, all have. */
static void record_try_open(struct record *r)
{
    if (r->mux || r->stopped || r->n_pending == 0)
        return;
    const struct record_track *a = &r->tracks[RECORD_AUDIO], *v = &r->tracks[RECORD_VIDEO];
    bool ready = (!a->offered_back || a->codec >= 0) && (!v->offered_back || v->codec >= 0) &&
                 (a->codec < 0 || v->codec < 0 || a->have_sr == v->have_sr);
    bool waited = clock_now_ms() - r->first_key_ms >= RECORD_AUDIO_WAIT_MS;
    bool full = r->n_pending == sizeof r->pending / sizeof r->pending[0];
    if (!ready && !waited && !full)
        return;
    if (record_open_mux(r) < 0) {
        record_free_pending(r);
        record_stop(r, 1, NULL);
        return;
    }
    for (size_t i = 0; i < r->n_pending && !r->stopped; i++)
        record_write(r, r->pending[i].kind, r->pending[i].pts_us, r->pending[i].key,
                     r->pending[i].data, r->pending[i].len);
    record_free_pending(r);
    if (!r->stopped)
        log_info("recording to %s", r->out_path);
}

/* Before the muxer opens: holds the first keyframe and what follows it. */
static void record_hold(struct record *r, int kind, int64_t pts_us, bool key, const uint8_t *data,
                        size_t len)
{
    bool has_video = r->tracks[RECORD_VIDEO].offered_back;
    if (r->n_pending == 0 && has_video && !(kind == RECORD_VIDEO && key))
        return; /* nothing before the first keyframe */
    if (r->n_pending == 0)
        r->first_key_ms = clock_now_ms();
    if (r->n_pending < sizeof r->pending / sizeof r->pending[0]) {
        struct record_pending *p = &r->pending[r->n_pending++];
        p->kind = kind;
        p->pts_us = pts_us;
        p->key = key;
        p->data = xmalloc(len ? len : 1);
        memcpy(p->data, data, len);
        p->len = len;
    }
    record_try_open(r);
}

static void record_drain(struct record *r, int kind, uint64_t now_ms)
{
    struct record_track *t = &r->tracks[kind];
    struct depack_frame frame;
    while (t->depack && !r->stopped && depack_pop(t->depack, now_ms, &frame) > 0) {
        int64_t pts_us = record_time_us(t, frame.timestamp);
        if (r->mux)
            record_write(r, kind, pts_us, frame.keyframe, frame.data, frame.len);
        else
            record_hold(r, kind, pts_us, frame.keyframe, frame.data, frame.len);
    }
}

/* The track a packet belongs to: by the answer's SSRC, else by payload type. */
static struct record_track *record_track_for(struct record *r, const struct rtp_view *v,
                                             int *kind)
{
    for (int k = 0; k < RECORD_KINDS; k++)
        if (r->tracks[k].ssrc && r->tracks[k].ssrc == v->ssrc) {
            *kind = k;
            return &r->tracks[k];
        }
    for (int k = 0; k < RECORD_KINDS; k++) {
        struct record_track *t = &r->tracks[k];
        for (size_t c = 0; !t->ssrc && c < t->n_codecs; c++)
            if (t->codecs[c].pt == v->payload_type) {
                t->ssrc = v->ssrc;
                *kind = k;
                return t;
            }
    }
    return NULL;
}

static void record_on_rtp(void *opaque, uint8_t *pkt, size_t len)
{
    struct record *r = opaque;
    struct rtp_view v;
    const char *why;
    int kind;
    if (r->stopped || rtp_parse(&v, pkt, len, &why) < 0)
        return;
    struct record_track *t = record_track_for(r, &v, &kind);
    if (!t)
        return;
    if (t->codec < 0) {
        for (size_t c = 0; c < t->n_codecs && t->codec < 0; c++) {
            if (t->codecs[c].pt != v.payload_type)
                continue;
            t->codec = depack_codec_from_name(t->codecs[c].name);
            t->clock_rate = t->codecs[c].clock_rate;
        }
        if (t->codec < 0 || !t->clock_rate)
            return; /* RTX or a codec we do not record */
        t->depack = depack_new((enum depack_codec)t->codec);
        log_info("record: %s track is %s", kind == RECORD_VIDEO ? "video" : "audio",
                 record_codec_label(t->codec));
    }
    uint64_t now_ms = clock_now_ms();
    r->last_rx_ms = now_ms;
    if (!t->anchored) {
        t->anchored = true;
        t->anchor_us = (int64_t)clock_now_us();
        t->anchor_ts = v.timestamp;
    }
    depack_push(t->depack, pkt, len, now_ms);
    record_drain(r, kind, now_ms);
}

static void record_on_rtcp(void *opaque, uint8_t *pkt, size_t len)
{
    struct record *r = opaque;
    struct rtcp_iter it;
    struct rtcp_view view;
    const char *why;
    rtcp_iter_init(&it, pkt, len);
    while (rtcp_next(&it, &view, &why) > 0) {
        struct rtcp_sr sr;
        if (view.type != RTCP_SR || rtcp_sr_decode(&sr, &view, &why) < 0)
            continue;
        for (int k = 0; k < RECORD_KINDS; k++) {
            struct record_track *t = &r->tracks[k];
            if (t->ssrc == sr.ssrc && !t->have_sr) {
                t->have_sr = true;
                t->sr_ntp_us = (uint64_t)record_ntp_to_us(sr.ntp);
                t->sr_rtp = sr.rtp_ts;
            }
        }
    }
}

static void record_send_nacks(struct record *r, uint64_t now_ms)
{
    for (int k = 0; k < RECORD_KINDS; k++) {
        struct record_track *t = &r->tracks[k];
        uint16_t lost[64];
        size_t n = t->depack ? depack_missing(t->depack, now_ms, lost, 64) : 0;
        if (n) {
            uint8_t buf[512];
            size_t len = rtcp_nack_encode(buf, sizeof buf - 64, r->local_ssrc, t->ssrc, lost, n);
            if (len)
                peer_client_send_rtcp(r->pc, buf, len, sizeof buf);
        }
        if (t->depack && depack_want_keyframe(t->depack) &&
            now_ms - r->last_pli_ms >= RECORD_PLI_INTERVAL_MS / 4)
            record_send_pli(r);
    }
}

static void record_on_tick(uv_timer_t *timer)
{
    struct record *r = timer->data;
    uint64_t now_ms = clock_now_ms();
    if (!r->connected)
        return;
    record_send_nacks(r, now_ms);
    for (int k = 0; k < RECORD_KINDS && !r->stopped; k++)
        record_drain(r, k, now_ms);
    if (r->stopped)
        return;
    if (!r->mux && r->n_pending == 0 && now_ms - r->last_pli_ms >= RECORD_PLI_INTERVAL_MS)
        record_send_pli(r); /* still waiting for a keyframe */
    record_try_open(r); /* on time even when audio never comes */
    if (r->stopped)
        return;
    if (now_ms - r->last_rx_ms >= RECORD_IDLE_MS) {
        record_stop(r, r->mux ? 0 : 1, "the stream sent nothing for 5 s (its publisher left?)");
        return;
    }
    if (!r->mux && now_ms - r->connected_ms >= RECORD_NO_KEYFRAME_MS) {
        record_stop(r, 1, "no keyframe arrived within 20 s");
        return;
    }
    if (r->duration_s > 0 && r->mux && !r->stopped) {
        struct record_track *v = &r->tracks[RECORD_VIDEO], *a = &r->tracks[RECORD_AUDIO];
        int64_t written = v->frames ? v->last_pts_us : a->last_pts_us;
        if (written >= (int64_t)(r->duration_s * 1e6))
            record_stop(r, 0, NULL);
    }
}

static void record_on_state(void *opaque, enum peer_client_state state, const char *reason)
{
    struct record *r = opaque;
    if (state == PEER_CLIENT_FAILED) {
        char message[300];
        snprintf(message, sizeof message, "connection failed: %s", reason);
        record_stop(r, r->mux ? 0 : 1, message);
        return;
    }
    if (state == PEER_CLIENT_CONNECTED) {
        r->connected = true;
        r->connected_ms = r->last_rx_ms = clock_now_ms();
        record_send_pli(r);
    }
}

static void record_on_signal(uv_signal_t *signal, int signum)
{
    record_stop(signal->data, 0, NULL);
}

static void record_summary(struct record *r)
{
    struct record_track *v = &r->tracks[RECORD_VIDEO], *a = &r->tracks[RECORD_AUDIO];
    int64_t end = v->last_pts_us > a->last_pts_us ? v->last_pts_us : a->last_pts_us;
    double seconds = end / 1e6;
    printf("wrote %s: %.1f s", r->out_path, seconds);
    for (int k = RECORD_KINDS - 1; k >= 0; k--) {
        struct record_track *t = &r->tracks[k];
        if (!t->stream)
            continue;
        double span = (t->last_pts_us - t->first_pts_us) / 1e6;
        printf(", %" PRIu64 " %s frames (%s, %.0f kbit/s)", t->frames,
               k == RECORD_VIDEO ? "video" : "audio", record_codec_label(t->codec),
               span > 0 ? t->bytes * 8 / span / 1000 : 0.0);
    }
    printf("\n");
}

static void record_stop(struct record *r, int exit_code, const char *message)
{
    if (r->stopped)
        return;
    r->stopped = true;
    r->exit_code = exit_code;
    if (message)
        fprintf(stderr, "onair record: %s\n", message);
    if (r->mux) {
        av_write_trailer(r->mux);
        avio_closep(&r->mux->pb);
        if (!r->mux_failed)
            record_summary(r);
        avformat_free_context(r->mux);
        r->mux = NULL;
    } else if (exit_code == 0) {
        fprintf(stderr, "onair record: nothing recorded (no keyframe arrived)\n");
        r->exit_code = 1;
    }
    record_free_pending(r);
    /* DELETE before the DTLS close, so that the server ends the session for it (after the
     * close alert it would be gone, and the DELETE a 404). */
    if (r->location[0])
        whip_client_delete(&r->server, r->location);
    peer_client_close(r->pc);
    r->pc = NULL;
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
    uv_close((uv_handle_t *)&r->tick, NULL);
}

static void record_build_offer(struct record *r, struct sdp_session *offer)
{
    viewer_offer_build(offer);
    peer_client_describe(r->pc, offer);
}

/* What the answer sends: per kind, its SSRC and payload types. */
static void record_take_answer(struct record *r, const struct sdp_session *answer)
{
    for (size_t i = 0; i < answer->n_media; i++) {
        const struct sdp_media *m = &answer->media[i];
        if (!sdp_media_active(m) || (m->kind != SDP_AUDIO && m->kind != SDP_VIDEO) ||
            m->direction == SDP_INACTIVE || m->direction == SDP_RECVONLY)
            continue;
        struct record_track *t = &r->tracks[m->kind == SDP_VIDEO ? RECORD_VIDEO : RECORD_AUDIO];
        t->offered_back = true;
        t->ssrc = m->ssrc;
        t->n_codecs = m->n_codecs;
        memcpy(t->codecs, m->codecs, m->n_codecs * sizeof m->codecs[0]);
    }
}

static int record_connect(struct record *r)
{
    const char *why;
    static const struct peer_client_callbacks callbacks = {
        .on_rtp = record_on_rtp, .on_rtcp = record_on_rtcp, .on_state = record_on_state};
    r->pc = peer_client_new(r->loop, &callbacks, r, &why);
    if (!r->pc) {
        fprintf(stderr, "onair record: %s\n", why);
        return 1;
    }
    struct sdp_session *sdp = xmalloc(sizeof *sdp);
    record_build_offer(r, sdp);
    peer_client_set_ice(r->pc, &r->ice);
    int rc = 1;
    char message[600];
    if (peer_client_offer(r->pc, &r->server, sdp, r->location, message, sizeof message) < 0) {
        fprintf(stderr, "onair record: %s\n", message);
        goto out;
    }
    record_take_answer(r, sdp);
    if (!r->tracks[RECORD_AUDIO].offered_back && !r->tracks[RECORD_VIDEO].offered_back) {
        fprintf(stderr, "onair record: the server sends neither audio nor video\n");
        goto out;
    }
    rc = 0;
out:
    free(sdp);
    return rc;
}

static int record_parse_args(struct record *r, int argc, char **argv)
{
    enum { O_DURATION = 256, O_SEED, O_LOG };
    static const struct option options[] = {
        {"duration", required_argument, NULL, O_DURATION},
        {"seed-offer", no_argument, NULL, O_SEED},
        CLI_ICE_LONG_OPTIONS,
        CLI_SERVER_LONG_OPTIONS,
        {"log-level", required_argument, NULL, O_LOG},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int opt;
    char *end;
    opterr = 0;
    cli_server_defaults(&r->server);
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case O_DURATION:
            r->duration_s = strtod(optarg, &end);
            if (*end || r->duration_s <= 0) {
                fprintf(stderr, "onair record: --duration wants seconds, not '%s'\n", optarg);
                return 2;
            }
            break;
        case O_SEED:
            r->seed_offer = true;
            break;
        case CLI_O_TOKEN:
        case CLI_O_CACERT:
            cli_server_option(&r->server, opt, optarg);
            break;
        case CLI_O_ICE_SERVER:
        case CLI_O_ICE_USERNAME:
        case CLI_O_ICE_CREDENTIAL:
        case CLI_O_RELAY:
            if (cli_ice_option("record", &r->ice, opt, optarg) == 2)
                return 2;
            break;
        case O_LOG:
            if (cli_log_level("record", optarg))
                return 2;
            break;
        case 'h':
            fputs(record_usage, stdout);
            return -1;
        default:
            fprintf(stderr, "onair record: unknown option '%s'\n\n%s", argv[optind - 1],
                    record_usage);
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "onair record: wants URL and OUT\n\n%s", record_usage);
        return 2;
    }
    r->url = argv[optind];
    r->server.url = r->url;
    r->server.seed_offer = r->seed_offer;
    r->out_path = argv[optind + 1];
    const AVOutputFormat *format = av_guess_format(NULL, r->out_path, NULL);
    if (!format || (!strstr(format->name, "matroska") && !strstr(format->name, "webm") &&
                    !strstr(format->name, "mp4"))) {
        fprintf(stderr, "onair record: %s: record to a .mkv, .webm or .mp4 file\n", r->out_path);
        return 2;
    }
    return 0;
}

int record_main(int argc, char **argv)
{
    struct record *r = xcalloc(1, sizeof *r);
    log_set_level(LOG_WARN);
    int rc = record_parse_args(r, argc, argv);
    if (rc != 0) {
        free(r);
        return rc < 0 ? 0 : rc;
    }
    for (int k = 0; k < RECORD_KINDS; k++)
        r->tracks[k].codec = -1;
    RAND_bytes((uint8_t *)&r->local_ssrc, sizeof r->local_ssrc);
    r->loop = uv_default_loop();
    rc = record_connect(r);
    if (rc == 0) {
        uv_signal_init(r->loop, &r->sigint);
        uv_signal_init(r->loop, &r->sigterm);
        r->sigint.data = r->sigterm.data = r;
        uv_signal_start(&r->sigint, record_on_signal, SIGINT);
        uv_signal_start(&r->sigterm, record_on_signal, SIGTERM);
        uv_timer_init(r->loop, &r->tick);
        r->tick.data = r;
        uv_timer_start(&r->tick, record_on_tick, RECORD_TICK_MS, RECORD_TICK_MS);
        uv_run(r->loop, UV_RUN_DEFAULT);
        rc = r->exit_code;
    } else {
        peer_client_close(r->pc);
        if (r->location[0])
            whip_client_delete(&r->server, r->location);
    }
    uv_run(r->loop, UV_RUN_DEFAULT);
    uv_loop_close(r->loop);
    for (int k = 0; k < RECORD_KINDS; k++)
        depack_free(r->tracks[k].depack);
    free(r);
    return rc;
}
