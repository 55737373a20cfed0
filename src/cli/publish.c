/* publish: `onair publish FILE URL`, the seed's MediaPlayer client in C: plays a media file, or
 * an IP camera's rtsp:// stream, into a WHIP endpoint (or the seed's /offer) as a real WebRTC
 * peer, without re-encoding the video. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "app/file_source.h"
#include "app/paced_sender.h"
#include "app/media_url.h"
#include "app/peer_client.h"
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

/* Packets kept per track to answer NACKs: about a second of 2.5 Mbit/s video. */
#define PUBLISH_HISTORY 512
#define PUBLISH_MAX_RTP 1200
#define PUBLISH_BUF (PUBLISH_MAX_RTP + SRTPX_MAX_TRAILER + 144)
#define PUBLISH_TICK_MS 500
#define PUBLISH_SR_INTERVAL_US 1000000

int publish_main(int argc, char **argv);

static const char publish_usage[] =
    "usage: onair publish FILE URL [OPTIONS]\n"
    "\n"
    "Plays FILE (mp4, mkv, webm, ...: VP8, VP9, H.264 or AV1 video, sent untouched; Opus audio\n"
    "as it is, other audio such as AAC or MP3 transcoded to Opus) in real time into URL, a\n"
    "WHIP endpoint such as http://host:8080/whip/NAME. FILE - reads a live MPEG-TS (or any\n"
    "format FFmpeg detects) from standard input: ffmpeg ... -f mpegts - | onair publish - URL\n"
    "FILE may also be an IP camera, rtsp://[USER:PASS@]HOST[:PORT]/PATH: its H.264 is sent as\n"
    "it arrives, untouched, and its AAC audio as Opus.\n"
    "Ctrl-C ends the session.\n"
    "\n"
    "options:\n"
    "  --loop              start again at the end of the file\n"
    "  --reconnect         when the server cannot be reached or the connection is lost, or\n"
    "                      the camera drops, try again after 1, 2, 4 ... up to 30 s instead\n"
    "                      of exiting\n"
    "  --no-pacing         send video a frame at a time, as the file or camera hands it, not\n"
    "                      paced as browsers send (to feed a server the way ffmpeg's RTP\n"
    "                      output does, for benchmarks)\n"
    "  --rtsp-transport T  how the camera sends media: tcp (default) or udp\n"
    "  --seed-offer        URL is the seed's /offer (JSON) instead of a WHIP endpoint\n"
CLI_ICE_USAGE
CLI_SERVER_USAGE
    "  --log-level LEVEL   debug, info, warn or error (default warn)\n"
    "  -h, --help          this text\n";

struct publish_slot {
    uint16_t seq;
    uint16_t len; /* 0: empty */
    uint8_t data[PUBLISH_MAX_RTP];
};

struct publish_track {
    struct file_source_track desc; /* as offered */
    struct publish_slot *history;  /* PUBLISH_HISTORY slots */
    bool sent_any;
    uint32_t first_ts, last_ts;
    uint64_t last_send_us;
    uint32_t packets, octets;
};

struct publish {
    uv_loop_t *loop;
    struct paced_sender *video;
    const char *path, *url;
    struct whip_client_target server; /* URL and --seed-offer, once parsed; --token, --cacert */
    char shown[512];            /* path, with a camera URL's password hidden */
    bool live;                  /* path is a camera (rtsp://): read as it arrives */
    const char *rtsp_transport; /* the camera's, or NULL */
    bool loop_forever, seed_offer, tty, reconnect, no_pacing;
    struct peer_client_ice ice;
    unsigned attempts;      /* reconnections tried since the last success */
    uint64_t retry_at_us;   /* when to try again; 0 while connected or connecting */
    struct file_source *source;
    struct publish_track tracks[2];
    size_t n_tracks;
    struct peer_client *pc;
    char location[1024];
    uv_signal_t sigint, sigterm;
    uv_timer_t tick;
    bool stopped;
    int exit_code;
    bool remb_logged;
    uint64_t last_sr_us;
    uint64_t tick_bytes, tick_us;
    uint32_t bitrate;
    uint64_t resent;
};

static void publish_stop(struct publish *p, int exit_code, const char *message);
static int publish_connect(struct publish *p);

/* The longest wait between reconnection attempts. */
#define PUBLISH_RETRY_MAX_S 30

/* With --reconnect: drops the connection (and the file, which starts again with the next one,
 * so its viewers get a keyframe) and schedules the next attempt, 1, 2, 4 ... 30 s away. */
static void publish_lost(struct publish *p, const char *reason)
{
    unsigned wait_s = p->attempts < 5 ? 1u << p->attempts : PUBLISH_RETRY_MAX_S;
    if (wait_s > PUBLISH_RETRY_MAX_S)
        wait_s = PUBLISH_RETRY_MAX_S;
    p->attempts++;
    if (p->tty)
        fputc('\n', stderr);
    fprintf(stderr, "onair publish: %s; trying again in %u s\n", reason, wait_s);
    /* A camera, like standard input, stays connected meanwhile: its next keyframe serves. */
    if (strcmp(p->path, "-") != 0 && !p->live) {
        file_source_close(p->source);
        p->source = NULL;
    }
    peer_client_close(p->pc);
    p->pc = NULL;
    if (p->location[0])
        whip_client_delete(&p->server, p->location); /* the server may be gone: best effort */
    p->location[0] = '\0';
    for (size_t i = 0; i < p->n_tracks; i++)
        p->tracks[i].sent_any = false;
    p->retry_at_us = clock_now_us() + (uint64_t)wait_s * 1000000u;
}

static void publish_record(struct publish_track *t, const uint8_t *pkt, size_t len)
{
    uint16_t seq = be16_read(pkt + 2);
    struct publish_slot *slot = &t->history[seq % PUBLISH_HISTORY];
    slot->seq = seq;
    slot->len = (uint16_t)len;
    memcpy(slot->data, pkt, len);
}

/* A packet from the file: take the offered SSRC (the source was opened again after the offer
 * and chose new ones), keep it for NACKs, protect and send. */
static void publish_send(void *opaque, size_t track_index, const uint8_t *rtp, size_t len)
{
    struct publish *p = opaque;
    /* Standard input flows from the start: what comes before the connection is live media
     * nobody can receive yet. */
    if (!p->pc || peer_client_state(p->pc) != PEER_CLIENT_CONNECTED)
        return;
    struct publish_track *t = &p->tracks[track_index];
    uint8_t buf[PUBLISH_BUF];
    memcpy(buf, rtp, len);
    be32_write(buf + 8, t->desc.ssrc);
    publish_record(t, buf, len);
    uint32_t ts = be32_read(buf + 4);
    if (!t->sent_any)
        t->first_ts = ts;
    t->sent_any = true;
    t->last_ts = ts;
    t->last_send_us = clock_now_us();
    t->packets++;
    t->octets += (uint32_t)(len - RTP_HEADER_SIZE);
    p->tick_bytes += len;
    peer_client_send_rtp(p->pc, buf, len, sizeof buf);
}

/* Video leaves paced, as a browser sends it (app/pacer): a frame's packets spread out rather
 * than in one burst, which the network on the way may not take (with --no-pacing: in one
 * burst, as ffmpeg's RTP output sends). Audio goes at once. */
static void publish_on_packet(void *opaque, size_t track_index, const uint8_t *rtp, size_t len)
{
    struct publish *p = opaque;
    if (track_index >= p->n_tracks || len > PUBLISH_MAX_RTP || len < RTP_HEADER_SIZE)
        return;
    if (p->tracks[track_index].desc.kind == FILE_SOURCE_VIDEO && p->video)
        paced_sender_push(p->video, track_index, rtp, len);
    else
        publish_send(p, track_index, rtp, len);
}

static void publish_resend(struct publish *p, const struct rtcp_view *view)
{
    struct rtcp_nack nack;
    const char *why;
    if (rtcp_nack_decode(&nack, view, &why) < 0)
        return;
    for (size_t i = 0; i < p->n_tracks; i++) {
        struct publish_track *t = &p->tracks[i];
        if (t->desc.ssrc != nack.media_ssrc)
            continue;
        uint16_t lost[RTCP_NACK_MAX_LOST];
        size_t n = rtcp_nack_lost(&nack, lost, RTCP_NACK_MAX_LOST);
        for (size_t k = 0; k < n; k++) {
            struct publish_slot *slot = &t->history[lost[k] % PUBLISH_HISTORY];
            if (!slot->len || slot->seq != lost[k])
                continue; /* too old: the receiver will ask for a keyframe */
            uint8_t buf[PUBLISH_BUF];
            memcpy(buf, slot->data, slot->len);
            if (peer_client_send_rtp(p->pc, buf, slot->len, sizeof buf) == 0)
                p->resent++;
        }
    }
}

static void publish_on_rtcp(void *opaque, uint8_t *pkt, size_t len)
{
    struct publish *p = opaque;
    struct rtcp_iter it;
    struct rtcp_view view;
    const char *why;
    rtcp_iter_init(&it, pkt, len);
    while (rtcp_next(&it, &view, &why) > 0) {
        if (view.type == RTCP_PSFB && (view.fmt == RTCP_FMT_PLI || view.fmt == RTCP_FMT_FIR)) {
            if (p->source)
                file_source_request_keyframe(p->source);
        } else if (view.type == RTCP_RTPFB && view.fmt == RTCP_FMT_NACK) {
            publish_resend(p, &view);
        } else if (rtcp_is_remb(&view) && !p->remb_logged) {
            struct rtcp_remb remb;
            if (rtcp_remb_decode(&remb, &view, &why) < 0)
                continue;
            if (p->bitrate && remb.bitrate < p->bitrate) {
                log_warn("the receiver asks for at most %" PRIu64 " kbit/s and the file runs at "
                         "about %u kbit/s; a file is sent as it is (no re-encoding)",
                         remb.bitrate / 1000, p->bitrate / 1000);
                p->remb_logged = true;
            }
        }
    }
}

/* RFC 3550 §6.4.1: a Sender Report per track maps its RTP clock to wall-clock time, so the
 * server and its viewers keep audio and video in sync. */
static void publish_send_reports(struct publish *p, uint64_t now_us)
{
    uint8_t buf[512];
    size_t n = 0;
    uint64_t ntp = clock_ntp_now();
    for (size_t i = 0; i < p->n_tracks; i++) {
        struct publish_track *t = &p->tracks[i];
        if (!t->sent_any)
            continue;
        struct rtcp_sr sr = {
            .ssrc = t->desc.ssrc,
            .ntp = ntp,
            .rtp_ts = t->last_ts +
                      (uint32_t)((now_us - t->last_send_us) * t->desc.clock_rate / 1000000u),
            .packet_count = t->packets,
            .octet_count = t->octets,
        };
        n += rtcp_sr_encode(buf + n, sizeof buf - 64 - n, &sr);
        n += rtcp_sdes_cname_encode(buf + n, sizeof buf - 64 - n, t->desc.ssrc, "onair-publish",
                                    strlen("onair-publish"));
    }
    if (n)
        peer_client_send_rtcp(p->pc, buf, n, sizeof buf);
}

static void publish_progress(struct publish *p, const char *state)
{
    if (!p->tty)
        return;
    double position = 0;
    if (p->n_tracks && p->tracks[0].sent_any)
        position = (double)(uint32_t)(p->tracks[0].last_ts - p->tracks[0].first_ts) /
                   p->tracks[0].desc.clock_rate;
    /* Position in the file (it starts again with --loop) over its duration, when it has one. */
    char where[48];
    int minutes = (int)(position / 60);
    int64_t duration_us = p->source ? file_source_duration_us(p->source) : -1;
    if (duration_us > 0) {
        double total = duration_us / 1e6;
        double in_file = p->loop_forever ? fmod(position, total) : position;
        int total_minutes = (int)(total / 60), in_minutes = (int)(in_file / 60);
        snprintf(where, sizeof where, "%02d:%04.1f / %02d:%04.1f", in_minutes,
                 in_file - in_minutes * 60, total_minutes, total - total_minutes * 60);
    } else {
        snprintf(where, sizeof where, "%02d:%04.1f", minutes, position - minutes * 60);
    }
    fprintf(stderr, "\r%-10s %s  %6.0f kbit/s  %" PRIu64 " resent   ", state, where,
            p->bitrate / 1000.0, p->resent);
    fflush(stderr);
}

static void publish_on_tick(uv_timer_t *timer)
{
    struct publish *p = timer->data;
    uint64_t now = clock_now_us();
    if (p->tick_us && now > p->tick_us)
        p->bitrate = (uint32_t)(p->tick_bytes * 8 * 1000000u / (now - p->tick_us));
    p->tick_bytes = 0;
    p->tick_us = now;
    if (!p->pc && p->reconnect && now >= p->retry_at_us) {
        char reason[600];
        if (publish_connect(p) == 0) {
            log_info("reconnected to %s", p->url);
        } else {
            snprintf(reason, sizeof reason, "cannot publish to %s", p->url);
            publish_lost(p, reason);
        }
    }
    if (p->pc && p->source && now - p->last_sr_us >= PUBLISH_SR_INTERVAL_US) {
        p->last_sr_us = now;
        publish_send_reports(p, now);
    }
    if (p->source && !file_source_running(p->source)) {
        const char *reason = file_source_stop_reason(p->source);
        char message[800];
        if (reason)
            snprintf(message, sizeof message, "%s: the camera stopped: %s%s", p->shown, reason,
                     p->reconnect ? "" : " (--reconnect keeps trying)");
        publish_stop(p, reason ? 1 : 0, reason ? message : NULL);
        return;
    }
    publish_progress(p, !p->pc ? "waiting to reconnect" : p->source ? "live" : "connecting");
}

static void publish_on_state(void *opaque, enum peer_client_state state, const char *reason)
{
    struct publish *p = opaque;
    if (state == PEER_CLIENT_FAILED) {
        char message[300];
        snprintf(message, sizeof message, "connection failed: %s", reason);
        if (p->reconnect)
            publish_lost(p, message);
        else
            publish_stop(p, 1, message);
        return;
    }
    if (state == PEER_CLIENT_CONNECTED)
        p->attempts = 0;
    if (state != PEER_CLIENT_CONNECTED || p->source)
        return;
    /* The file starts now, so the receiver gets its first keyframe. */
    const char *why;
    struct file_source_options options = {.loop_forever = p->loop_forever};
    p->source = file_source_open(p->loop, p->path, &options, publish_on_packet, p, &why);
    if (!p->source) {
        char message[800];
        snprintf(message, sizeof message, "%s: %s", p->shown, why);
        publish_stop(p, 1, message);
        return;
    }
    if (!p->tty)
        log_info("publishing %s to %s", p->shown, p->url);
}

static void publish_on_signal(uv_signal_t *signal, int signum)
{
    publish_stop(signal->data, 0, NULL);
}

static void publish_stop(struct publish *p, int exit_code, const char *message)
{
    if (p->stopped)
        return;
    p->stopped = true;
    p->exit_code = exit_code;
    if (p->tty)
        fputc('\n', stderr);
    if (message)
        fprintf(stderr, "onair publish: %s\n", message);
    file_source_close(p->source);
    p->source = NULL;
    paced_sender_close(p->video);
    p->video = NULL;
    /* DELETE before the DTLS close, so that the server ends the session for it (after the
     * close alert it would be gone, and the DELETE a 404). */
    if (p->location[0] && whip_client_delete(&p->server, p->location) < 0)
        log_debug("DELETE %s failed", p->location);
    peer_client_close(p->pc);
    p->pc = NULL;
    uv_close((uv_handle_t *)&p->sigint, NULL);
    uv_close((uv_handle_t *)&p->sigterm, NULL);
    uv_close((uv_handle_t *)&p->tick, NULL);
}

/* One sendonly m-section per track, bundled, with the file's codec, PT and SSRC. */
static void publish_build_offer(struct publish *p, struct sdp_session *offer)
{
    memset(offer, 0, sizeof *offer);
    RAND_bytes((uint8_t *)&offer->origin_id, sizeof offer->origin_id);
    offer->origin_id >>= 2;
    peer_client_describe(p->pc, offer);
    for (size_t i = 0; i < p->n_tracks; i++) {
        const struct file_source_track *t = &p->tracks[i].desc;
        struct sdp_media *m = &offer->media[offer->n_media++];
        m->kind = t->kind == FILE_SOURCE_VIDEO ? SDP_VIDEO : SDP_AUDIO;
        m->port = 9;
        snprintf(m->mid, sizeof m->mid, "%zu", i);
        m->direction = SDP_SENDONLY;
        m->rtcp_mux = true;
        m->rtcp_rsize = true;
        struct sdp_codec *c = &m->codecs[m->n_codecs++];
        c->pt = t->pt;
        snprintf(c->name, sizeof c->name, "%s", t->codec);
        c->clock_rate = t->clock_rate;
        c->channels = t->channels;
        snprintf(c->fmtp, sizeof c->fmtp, "%s", t->fmtp);
        c->fb_nack = true;
        c->fb_nack_pli = m->kind == SDP_VIDEO;
        c->fb_ccm_fir = m->kind == SDP_VIDEO;
        c->fb_goog_remb = m->kind == SDP_VIDEO;
        m->ssrc = t->ssrc;
        snprintf(m->cname, sizeof m->cname, "onair-publish");
        snprintf(m->msid, sizeof m->msid, "onair-publish %s", m->kind == SDP_VIDEO ? "video" : "audio");
        size_t used = strlen(offer->bundle);
        snprintf(offer->bundle + used, sizeof offer->bundle - used, "%s%s", used ? " " : "", m->mid);
    }
}

/* Opens the file once to learn its tracks (what the offer describes), then closes it: it is
 * opened again once the connection is up, so the first keyframe is not lost to the handshake.
 * Standard input cannot be read twice: that source is kept, and plays from now on. So is a
 * camera: it is live anyway (what comes before the connection is dropped), and connecting to it
 * twice would only cost time; with --reconnect it is connected again when it drops. */
static int publish_probe(struct publish *p)
{
    const char *why;
    bool keep = strcmp(p->path, "-") == 0 || p->live;
    struct file_source_options options = {.loop_forever = p->live && p->reconnect,
                                          .rtsp_transport = p->rtsp_transport};
    struct file_source *probe = file_source_open(p->loop, p->path, &options,
                                                 keep ? publish_on_packet : NULL,
                                                 keep ? p : NULL, &why);
    if (!probe) {
        /* A camera's reason names its URL already. */
        if (p->live)
            fprintf(stderr, "onair publish: %s\n", why);
        else
            fprintf(stderr, "onair publish: %s: %s\n", p->shown, why);
        return -1;
    }
    p->n_tracks = file_source_track_count(probe);
    for (size_t i = 0; i < p->n_tracks && i < 2; i++) {
        p->tracks[i].desc = *file_source_track(probe, i);
        p->tracks[i].history = xcalloc(PUBLISH_HISTORY, sizeof(struct publish_slot));
    }
    if (keep)
        p->source = probe;
    else
        file_source_close(probe);
    return 0;
}

/* Offer, answer, and the start of ICE. Returns 0 or an exit code. */
static int publish_connect(struct publish *p)
{
    const char *why;
    static const struct peer_client_callbacks callbacks = {.on_rtcp = publish_on_rtcp,
                                                           .on_state = publish_on_state};
    p->pc = peer_client_new(p->loop, &callbacks, p, &why);
    if (!p->pc) {
        fprintf(stderr, "onair publish: %s\n", why);
        return 1;
    }
    struct sdp_session *sdp = xmalloc(sizeof *sdp);
    publish_build_offer(p, sdp);
    peer_client_set_ice(p->pc, &p->ice);
    char message[600];
    int rc = 0;
    if (peer_client_offer(p->pc, &p->server, sdp, p->location, message, sizeof message) < 0) {
        fprintf(stderr, "onair publish: %s\n", message);
        rc = 1;
    }
    free(sdp);
    return rc;
}

static int publish_parse_args(struct publish *p, int argc, char **argv)
{
    enum { O_LOOP = 256, O_SEED, O_LOG, O_RECONNECT, O_RTSP_TRANSPORT, O_NO_PACING };
    static const struct option options[] = {
        {"loop", no_argument, NULL, O_LOOP},
        {"reconnect", no_argument, NULL, O_RECONNECT},
        {"no-pacing", no_argument, NULL, O_NO_PACING},
        {"rtsp-transport", required_argument, NULL, O_RTSP_TRANSPORT},
        {"seed-offer", no_argument, NULL, O_SEED},
        CLI_ICE_LONG_OPTIONS,
        CLI_SERVER_LONG_OPTIONS,
        {"log-level", required_argument, NULL, O_LOG},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int opt;
    opterr = 0;
    cli_server_defaults(&p->server);
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case O_RECONNECT:
            p->reconnect = true;
            break;
        case O_LOOP:
            p->loop_forever = true;
            break;
        case O_NO_PACING:
            p->no_pacing = true;
            break;
        case O_RTSP_TRANSPORT:
            p->rtsp_transport = media_url_transport(optarg);
            if (!p->rtsp_transport) {
                fprintf(stderr, "onair publish: --rtsp-transport wants udp or tcp, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case O_SEED:
            p->seed_offer = true;
            break;
        case CLI_O_TOKEN:
        case CLI_O_CACERT:
            cli_server_option(&p->server, opt, optarg);
            break;
        case CLI_O_ICE_SERVER:
        case CLI_O_ICE_USERNAME:
        case CLI_O_ICE_CREDENTIAL:
        case CLI_O_RELAY:
            if (cli_ice_option("publish", &p->ice, opt, optarg) == 2)
                return 2;
            break;
        case O_LOG:
            if (cli_log_level("publish", optarg))
                return 2;
            break;
        case 'h':
            fputs(publish_usage, stdout);
            return -1;
        default:
            fprintf(stderr, "onair publish: unknown option '%s'\n\n%s", argv[optind - 1],
                    publish_usage);
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "onair publish: wants FILE and URL\n\n%s", publish_usage);
        return 2;
    }
    p->path = argv[optind];
    p->url = argv[optind + 1];
    p->server.url = p->url;
    p->server.seed_offer = p->seed_offer;
    media_url_redact(p->shown, sizeof p->shown, p->path);
    struct media_url input;
    const char *why;
    if (media_url_parse(&input, p->path, &why) < 0) {
        fprintf(stderr, "onair publish: %s: %s\n", p->shown, why);
        return 2;
    }
    if (input.kind == MEDIA_URL_WHEP) {
        fprintf(stderr,
                "onair publish: %s: a whep:// URL is a stream to watch: give it to onair serve "
                "--source NAME=URL to relay it (onair record takes its http:// endpoint)\n",
                p->shown);
        return 2;
    }
    p->live = input.kind == MEDIA_URL_RTSP;
    if (p->loop_forever && strcmp(p->path, "-") == 0) {
        fprintf(stderr, "onair publish: --loop cannot replay standard input\n");
        return 2;
    }
    if (p->loop_forever && p->live) {
        fprintf(stderr, "onair publish: --loop is for files; a camera is live (--reconnect "
                        "connects to it again when it drops)\n");
        return 2;
    }
    if (p->rtsp_transport && !p->live) {
        fprintf(stderr, "onair publish: --rtsp-transport is for rtsp:// cameras, and %s is not "
                        "one\n",
                p->shown);
        return 2;
    }
    return 0;
}

int publish_main(int argc, char **argv)
{
    struct publish *p = xcalloc(1, sizeof *p);
    log_set_level(LOG_WARN);
    int rc = publish_parse_args(p, argc, argv);
    if (rc != 0) {
        free(p);
        return rc < 0 ? 0 : rc;
    }
    p->loop = uv_default_loop();
    if (!p->no_pacing)
        p->video = paced_sender_new(p->loop, publish_send, p);
    p->tty = isatty(STDERR_FILENO);
    rc = publish_probe(p) < 0 ? 1 : publish_connect(p);
    if (rc != 0 && p->n_tracks && p->reconnect) {
        /* A service may start before its server: keep trying. */
        publish_lost(p, "the server cannot be reached");
        rc = 0;
    }
    if (rc == 0) {
        uv_signal_init(p->loop, &p->sigint);
        uv_signal_init(p->loop, &p->sigterm);
        p->sigint.data = p->sigterm.data = p;
        uv_signal_start(&p->sigint, publish_on_signal, SIGINT);
        uv_signal_start(&p->sigterm, publish_on_signal, SIGTERM);
        uv_timer_init(p->loop, &p->tick);
        p->tick.data = p;
        uv_timer_start(&p->tick, publish_on_tick, PUBLISH_TICK_MS, PUBLISH_TICK_MS);
        uv_run(p->loop, UV_RUN_DEFAULT);
        rc = p->exit_code;
    } else {
        /* A kept source (standard input, a camera) would keep the loop running: it goes too. */
        file_source_close(p->source);
        p->source = NULL;
        paced_sender_close(p->video);
        p->video = NULL;
        peer_client_close(p->pc);
        if (p->location[0])
            whip_client_delete(&p->server, p->location);
    }
    uv_run(p->loop, UV_RUN_DEFAULT); /* lets closed handles finish */
    uv_loop_close(p->loop);
    for (size_t i = 0; i < 2; i++)
        free(p->tracks[i].history);
    free(p);
    return rc;
}
