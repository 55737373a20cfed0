/* onair bench: a load generator. N WHEP viewers in one process on one loop, each a real WebRTC
 * client (full ICE, DTLS, SRTP through the same engines as `onair record`), or the same viewers
 * of a Janus streaming mountpoint (Janus offers, they answer), counting what they receive:
 * packets, bytes, sequence gaps never filled, SRTP authentication failures, time to the first
 * keyframe; and the generator's own CPU, so that the reader knows it was not the bottleneck. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "app/janus_client.h"
#include "app/peer_client.h"
#include "app/viewer_answer.h"
#include "app/viewer_offer.h"
#include "app/whip_client.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "cli/cli_options.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "proto/codec.h"
#include "proto/rtp.h"
#include "proto/rtp_receipt.h"
#include "proto/sdp.h"

int bench_main(int argc, char **argv);

static const char bench_usage[] =
    "usage: onair bench URL [OPTIONS]\n"
    "\n"
    "Opens many WHEP viewers of URL (http://host:8080/whep/NAME) in this one process, each a\n"
    "full WebRTC client, and reports what they received: packets, loss (numbers never\n"
    "received: a retransmission fills its gap), packets late, SRTP authentication failures,\n"
    "time to the first keyframe, and this process's own CPU.\n"
    "\n"
    "options:\n"
    "  --janus-mountpoint ID\n"
    "                      URL is a Janus server's HTTP API (http://host:8088/janus) instead:\n"
    "                      each viewer watches streaming mountpoint ID (Janus offers, the\n"
    "                      viewer answers as the ICE-controlled agent and the DTLS client)\n"
    "  --viewers N         how many viewers (default 10)\n"
    "  --ramp PER_SECOND   how fast they join (default 20)\n"
    "  --seconds S         how long to measure once all have joined (default 10)\n"
    "  --verify-every N    check SRTP authentication on every Nth packet only, once a viewer\n"
    "                      has its first keyframe (default 1: every packet); the others are\n"
    "                      counted by their plaintext header. For loads where checking every\n"
    "                      packet would cost the generator more than the server it measures\n"
    "  --srtp PROFILE      offer only this SRTP profile: aes-cm (AES_CM_128_HMAC_SHA1_80, as\n"
    "                      aiortc and GStreamer use) or gcm; by default both, GCM first, as\n"
    "                      browsers offer\n"
    "  --gro               receive coalesced (UDP_GRO): a server's GSO message reaches a viewer\n"
    "                      whole instead of cut into datagrams on the way in. On loopback the\n"
    "                      sender's CPU pays for that cutting, which a network card with\n"
    "                      segmentation offload would do; this leaves it out of the server's\n"
    "                      figure (and the generator's). Linux 5.0 or later\n"
CLI_SERVER_USAGE
    "  --json              one JSON object instead of the table\n"
    "  --server-pid PID    also measure that process (the server, on this machine): its CPU\n"
    "                      over the same window, per packet delivered, and its memory\n"
    "  --log-level LEVEL   debug, info, warn or error (default warn)\n"
    "  -h, --help          this text\n";

enum { BENCH_AUDIO, BENCH_VIDEO, BENCH_KINDS };

struct bench_track {
    uint32_t ssrc;
    enum codec_id codec;
    struct rtp_receipt receipt; /* loss: numbers never received, retransmissions taken back */
    uint64_t packets, bytes;
};

struct bench_viewer {
    struct bench *bench;
    struct peer_client *pc;
    char location[1024];
    struct janus_client janus; /* with --janus-mountpoint */
    uint64_t created_us, connected_us, first_key_us;
    bool failed;
    struct bench_track tracks[BENCH_KINDS];
};

struct bench {
    uv_loop_t *loop;
    const char *url;
    struct whip_client_target server; /* the URL once parsed; --token, --cacert */
    long janus_mountpoint; /* 0: URL is a WHEP endpoint */
    size_t n_wanted, n_made;
    double ramp, seconds;
    unsigned verify_every; /* 1: every packet's SRTP is checked */
    bool gro;              /* --gro */
    int only_srtp_profile; /* --srtp: an enum srtp_profile, or 0 for both */
    bool json;
    struct bench_viewer *viewers;
    uv_timer_t ramp_timer, end_timer, keepalive_timer;
    uv_signal_t sigint;
    uint64_t started_us, measure_from_us, measure_to_us;
    uint64_t packets_at_start, bytes_at_start; /* all viewers' when measuring began */
    struct rusage usage_at_start;
    long server_pid;
    double server_cpu_at_start; /* seconds, from /proc/PID/stat */
    bool measuring, done;
};

/* All viewers' packets and (RTP) bytes so far. */
static void totals(const struct bench *b, uint64_t *packets, uint64_t *bytes)
{
    *packets = *bytes = 0;
    for (size_t i = 0; i < b->n_made; i++) {
        for (int k = 0; k < BENCH_KINDS; k++) {
            *packets += b->viewers[i].tracks[k].packets;
            *bytes += b->viewers[i].tracks[k].bytes;
        }
    }
}

/* Counts a packet of SSRC with sequence number SEQ and LEN bytes; returns its track, or NULL for
 * RTX or an SSRC the answer did not name. */
static struct bench_track *count_packet(struct bench_viewer *v, uint32_t ssrc, uint16_t seq,
                                        size_t len)
{
    struct bench_track *t = NULL;
    for (int k = 0; k < BENCH_KINDS && !t; k++)
        if (v->tracks[k].ssrc == ssrc)
            t = &v->tracks[k];
    if (!t)
        return NULL;
    /* A duplicate (a retransmission of what came) is not counted twice. */
    if (rtp_receipt_note(&t->receipt, seq) == RTP_RECEIPT_DUPLICATE)
        return t;
    t->packets++;
    t->bytes += len;
    return t;
}

static void bench_on_rtp(void *opaque, uint8_t *pkt, size_t len)
{
    struct bench_viewer *v = opaque;
    struct rtp_view view;
    const char *why;
    if (rtp_parse(&view, pkt, len, &why) < 0)
        return;
    struct bench_track *t = count_packet(v, view.ssrc, view.seq, len);
    if (t == &v->tracks[BENCH_VIDEO] && !v->first_key_us &&
        codec_is_keyframe_start(t->codec, view.payload, view.payload_len)) {
        v->first_key_us = clock_now_us();
        /* Its keyframe seen (which needs the payload), a viewer checks the stated sample. */
        if (v->bench->verify_every > 1)
            peer_client_verify_every(v->pc, v->bench->verify_every);
    }
}

/* An unchecked packet (--verify-every): the fixed RTP header is plaintext in SRTP (RFC 3711
 * §3.1), enough to count it. */
static void bench_on_rtp_sealed(void *opaque, const uint8_t *pkt, size_t rtp_len)
{
    count_packet(opaque, be32_read(pkt + 8), be16_read(pkt + 2), rtp_len);
}

static void bench_on_rtcp(void *opaque, uint8_t *pkt, size_t len)
{
}

static void bench_on_state(void *opaque, enum peer_client_state state, const char *reason)
{
    struct bench_viewer *v = opaque;
    if (state == PEER_CLIENT_CONNECTED)
        v->connected_us = clock_now_us();
    if (state == PEER_CLIENT_FAILED) {
        v->failed = true;
        log_warn("bench: a viewer failed: %s", reason);
    }
}

/* The SSRC and codec the server sends per kind, from its description (its answer to our
 * offer, or Janus's offer). */
static void take_senders(struct bench_viewer *v, const struct sdp_session *server)
{
    for (size_t i = 0; i < server->n_media; i++) {
        const struct sdp_media *m = &server->media[i];
        if (!sdp_media_active(m) || (m->kind != SDP_AUDIO && m->kind != SDP_VIDEO) ||
            !m->n_codecs)
            continue;
        struct bench_track *t = &v->tracks[m->kind == SDP_VIDEO ? BENCH_VIDEO : BENCH_AUDIO];
        t->ssrc = m->ssrc;
        t->codec = codec_from_name(m->codecs[0].name);
    }
}

/* WHEP: offer, POST, answer, ICE. Returns 0, or -1 with MESSAGE. */
static int join_whep(struct bench *b, struct bench_viewer *v, char *message, size_t cap)
{
    struct sdp_session *sdp = xmalloc(sizeof *sdp);
    viewer_offer_build(sdp);
    peer_client_describe(v->pc, sdp);
    int rc = peer_client_offer(v->pc, &b->server, sdp, v->location, message, cap);
    if (rc == 0)
        take_senders(v, sdp);
    free(sdp);
    return rc;
}

/* Janus: watch the mountpoint, take its offer, answer with "start". Returns 0, or -1 with
 * MESSAGE. */
static int join_janus(struct bench *b, struct bench_viewer *v, char *message, size_t cap)
{
    struct sdp_session *offer = xmalloc(sizeof *offer), *answer = xmalloc(sizeof *answer);
    char *offer_text = NULL, *answer_text = xmalloc(16384);
    const char *why;
    int rc = -1;
    peer_client_set_answerer(v->pc);
    if (janus_client_watch(&v->janus, b->url, b->janus_mountpoint, &offer_text, message, cap) < 0)
        goto out;
    /* The client's first checks wait for the loop, which runs only after Janus has the answer
     * below: none reaches Janus before it knows our credentials. */
    if (sdp_parse(offer, offer_text, strlen(offer_text), &why) < 0 ||
        peer_client_start(v->pc, offer, &why) < 0) {
        snprintf(message, cap, "Janus's offer does not work: %s", why);
        goto out;
    }
    viewer_answer_build(answer, offer);
    peer_client_describe(v->pc, answer);
    if (!sdp_write(answer, answer_text, 16384))
        abort(); /* two or three sections: a failure is a bug */
    rc = janus_client_start(&v->janus, answer_text, message, cap);
    if (rc == 0)
        take_senders(v, offer);
out:
    free(offer_text);
    free(answer_text);
    free(offer);
    free(answer);
    return rc;
}

/* One more viewer. Returns -1 (with a message) when it could not even start. */
static int add_viewer(struct bench *b)
{
    struct bench_viewer *v = &b->viewers[b->n_made];
    memset(v, 0, sizeof *v);
    v->bench = b;
    v->created_us = clock_now_us();
    static const struct peer_client_callbacks callbacks = {
        .on_rtp = bench_on_rtp,
        .on_rtp_sealed = bench_on_rtp_sealed,
        .on_rtcp = bench_on_rtcp,
        .on_state = bench_on_state};
    const char *why;
    v->pc = peer_client_new(b->loop, &callbacks, v, &why);
    if (!v->pc) {
        fprintf(stderr, "onair bench: %s\n", why);
        return -1;
    }
    if (b->only_srtp_profile)
        peer_client_only_srtp_profile(v->pc, (enum srtp_profile)b->only_srtp_profile);
    if (b->gro && peer_client_receive_coalesced(v->pc) < 0) {
        fprintf(stderr, "onair bench: --gro: this kernel cannot receive coalesced (UDP_GRO): %s\n",
                strerror(errno));
        peer_client_close(v->pc);
        return -1;
    }
    b->n_made++;
    char message[600];
    int rc = b->janus_mountpoint ? join_janus(b, v, message, sizeof message)
                                 : join_whep(b, v, message, sizeof message);
    if (rc < 0) {
        fprintf(stderr, "onair bench: %s\n", message);
        v->failed = true;
    }
    return rc;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Another process's CPU time (user + system) in seconds, from /proc/PID/stat; -1 when gone. */
static double process_cpu_seconds(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields 14 and 15 (utime, stime) follow the command name, which may hold spaces: count
     * from the last ')'. */
    const char *p = strrchr(buf, ')');
    unsigned long utime = 0, stime = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                     &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Another process's resident memory in KiB, from /proc/PID/status; 0 when unknown. */
static long process_rss_kib(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    long kib = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static double cpu_seconds(const struct rusage *u)
{
    return (double)u->ru_utime.tv_sec + (double)u->ru_utime.tv_usec / 1e6 +
           (double)u->ru_stime.tv_sec + (double)u->ru_stime.tv_usec / 1e6;
}

/* The figures, as a table or as JSON. Returns the exit code: 0 when every viewer connected
 * and received video. */
static int report(struct bench *b)
{
    struct rusage now;
    getrusage(RUSAGE_SELF, &now);
    double seconds = (double)(b->measure_to_us - b->measure_from_us) / 1e6;
    double cpu = cpu_seconds(&now) - cpu_seconds(&b->usage_at_start);
    uint64_t packets, window_bytes;
    totals(b, &packets, &window_bytes);
    packets -= b->packets_at_start;
    window_bytes -= b->bytes_at_start;
    size_t connected = 0, with_video = 0;
    uint64_t gaps = 0, late = 0, received = 0, bytes = 0, srtp_errors = 0, srtp_checked = 0,
             min_packets = UINT64_MAX, max_packets = 0, rx_datagrams = 0, rx_messages = 0;
    uint64_t *keys = xcalloc(b->n_made + 1, sizeof *keys);
    size_t n_keys = 0;
    for (size_t i = 0; i < b->n_made; i++) {
        struct bench_viewer *v = &b->viewers[i];
        connected += v->connected_us != 0 && !v->failed;
        uint64_t mine = 0;
        for (int k = 0; k < BENCH_KINDS; k++) {
            gaps += v->tracks[k].receipt.missing;
            late += v->tracks[k].receipt.late;
            mine += v->tracks[k].packets;
            bytes += v->tracks[k].bytes;
        }
        received += mine;
        min_packets = mine < min_packets ? mine : min_packets;
        max_packets = mine > max_packets ? mine : max_packets;
        with_video += v->tracks[BENCH_VIDEO].packets > 0;
        struct peer_client_stats st;
        peer_client_stats(v->pc, &st);
        srtp_errors += st.srtp_errors;
        srtp_checked += st.srtp_checked;
        rx_datagrams += st.rx_datagrams;
        rx_messages += st.rx_messages;
        if (v->first_key_us)
            keys[n_keys++] = (v->first_key_us - v->created_us) / 1000;
    }
    if (!b->n_made)
        min_packets = 0;
    qsort(keys, n_keys, sizeof *keys, compare_u64);
    size_t i95 = n_keys ? (n_keys * 95 + 99) / 100 - 1 : 0; /* nearest-rank percentile */
    uint64_t p50 = n_keys ? keys[(n_keys - 1) / 2] : 0, p95 = n_keys ? keys[i95] : 0,
             kmax = n_keys ? keys[n_keys - 1] : 0;
    double loss = received + gaps ? 100.0 * (double)gaps / (double)(received + gaps) : 0;
    double pps = seconds > 0 ? (double)packets / seconds : 0;
    /* Servers cut the same stream into packets of different sizes: the bit rate compares. */
    double mbps = seconds > 0 ? (double)window_bytes * 8 / seconds / 1e6 : 0;
    double us_per_packet = packets ? cpu * 1e6 / (double)packets : 0;
    double server_cpu = b->server_pid ? process_cpu_seconds(b->server_pid) - b->server_cpu_at_start : 0;
    double server_us = packets && b->server_pid ? server_cpu * 1e6 / (double)packets : 0;
    long server_rss = b->server_pid ? process_rss_kib(b->server_pid) : 0;
    if (b->json) {
        printf("{\"viewers\":%zu,\"connected\":%zu,\"with_video\":%zu,\"seconds\":%.2f,"
               "\"packets\":%" PRIu64 ",\"packets_per_second\":%.0f,\"mbit_per_second\":%.1f,"
               "\"bytes\":%" PRIu64 ","
               "\"min_packets_per_viewer\":%" PRIu64 ",\"max_packets_per_viewer\":%" PRIu64 ","
               "\"sequence_gaps\":%" PRIu64 ",\"late_packets\":%" PRIu64
               ",\"loss_percent\":%.4f,\"srtp_auth_failures\":%" PRIu64
               ",\"srtp_verify_every\":%u,\"srtp_checked_packets\":%" PRIu64
               ",\"gro\":%s,\"rx_datagrams\":%" PRIu64 ",\"rx_messages\":%" PRIu64
               ",\"first_keyframe_ms\":{\"received\":%zu,\"p50\":%" PRIu64 ",\"p95\":%" PRIu64
               ",\"max\":%" PRIu64 "},\"generator_cpu_seconds\":%.3f,"
               "\"generator_cpu_us_per_packet\":%.2f,\"server_cpu_seconds\":%.3f,"
               "\"server_cpu_us_per_packet\":%.2f,\"server_cpu_percent\":%.1f,"
               "\"server_rss_kib\":%ld}\n",
               b->n_made, connected, with_video, seconds, packets, pps, mbps, bytes, min_packets,
               max_packets, gaps, late, loss, srtp_errors, b->verify_every, srtp_checked,
               b->gro ? "true" : "false", rx_datagrams, rx_messages, n_keys, p50, p95, kmax, cpu,
               us_per_packet, server_cpu, server_us, seconds > 0 ? 100 * server_cpu / seconds : 0,
               server_rss);
    } else {
        printf("onair bench: %zu viewers of %s\n", b->n_made, b->url);
        printf("  connected            %zu (%zu received video)\n", connected, with_video);
        printf("  measured             %.1f s: %" PRIu64 " packets, %.0f packets/s, %.1f Mbit/s\n",
               seconds, packets, pps, mbps);
        printf("  per viewer           %" PRIu64 " to %" PRIu64 " packets in all\n", min_packets,
               max_packets);
        printf("  loss                 %" PRIu64 " sequence gaps never filled (%.3f%%), %" PRIu64
               " packets late (reordered or retransmitted)\n", gaps, loss, late);
        if (b->verify_every > 1)
            printf("  SRTP auth failures   %" PRIu64 " (1 packet in %u checked after the first "
                   "keyframe: %" PRIu64 " in all)\n", srtp_errors, b->verify_every, srtp_checked);
        else
            printf("  SRTP auth failures   %" PRIu64 " (every packet is checked: %" PRIu64 ")\n",
                   srtp_errors, srtp_checked);
        printf("  first keyframe       p50 %" PRIu64 " ms, p95 %" PRIu64 " ms, max %" PRIu64
               " ms (%zu viewers)\n", p50, p95, kmax, n_keys);
        printf("  generator CPU        %.2f s, %.2f us per packet received%s\n", cpu,
               us_per_packet, b->gro ? " (received coalesced, --gro)" : "");
        if (b->server_pid)
            printf("  server CPU           %.2f s (%.0f%% of a core), %.2f us per packet "
                   "delivered; %ld KiB resident\n",
                   server_cpu, seconds > 0 ? 100 * server_cpu / seconds : 0, server_us,
                   server_rss);
    }
    free(keys);
    return connected == b->n_wanted && with_video == b->n_wanted ? 0 : 1;
}

static void bench_finish(struct bench *b)
{
    if (b->done)
        return;
    b->done = true;
    b->measure_to_us = clock_now_us();
    uv_timer_stop(&b->ramp_timer);
    uv_timer_stop(&b->end_timer);
    uv_timer_stop(&b->keepalive_timer);
    uv_signal_stop(&b->sigint);
    uv_stop(b->loop);
}

/* Janus ends a session after 60 s without a request (its default session_timeout). */
static void on_keepalive(uv_timer_t *timer)
{
    struct bench *b = timer->data;
    for (size_t i = 0; i < b->n_made; i++)
        janus_client_keepalive(&b->viewers[i].janus);
}

static void on_end(uv_timer_t *timer)
{
    bench_finish(timer->data);
}

static void on_ramp(uv_timer_t *timer)
{
    struct bench *b = timer->data;
    if (b->n_made < b->n_wanted && add_viewer(b) < 0 && b->n_made == 0) {
        bench_finish(b);
        return;
    }
    if (b->n_made == b->n_wanted && !b->measuring) {
        /* Everyone has joined: measure from a second later, once the last handshakes end. */
        b->measuring = true;
        uv_timer_stop(&b->ramp_timer);
        uv_timer_start(&b->ramp_timer, on_ramp, 1000, 0);
        return;
    }
    if (b->measuring && !b->measure_from_us) {
        b->measure_from_us = clock_now_us();
        totals(b, &b->packets_at_start, &b->bytes_at_start);
        getrusage(RUSAGE_SELF, &b->usage_at_start);
        if (b->server_pid)
            b->server_cpu_at_start = process_cpu_seconds(b->server_pid);
        uv_timer_start(&b->end_timer, on_end, (uint64_t)(b->seconds * 1000), 0);
        /* For a watching script too: bench/run-onair reads the server's figures from here on. */
        fprintf(stderr, "onair bench: all %zu viewers joined; measuring for %.0f s\n", b->n_made,
                b->seconds);
    }
}

static void on_sigint(uv_signal_t *signal, int signum)
{
    struct bench *b = signal->data;
    if (!b->measure_from_us) {
        b->measure_from_us = clock_now_us();
        getrusage(RUSAGE_SELF, &b->usage_at_start);
    }
    bench_finish(b);
}

static int parse_args(struct bench *b, int argc, char **argv)
{
    enum {
        O_VIEWERS = 256,
        O_RAMP,
        O_SECONDS,
        O_JSON,
        O_LOG,
        O_PID,
        O_JANUS,
        O_VERIFY,
        O_GRO,
        O_SRTP
    };
    static const struct option options[] = {
        {"janus-mountpoint", required_argument, NULL, O_JANUS},
        {"viewers", required_argument, NULL, O_VIEWERS},
        {"ramp", required_argument, NULL, O_RAMP},
        {"seconds", required_argument, NULL, O_SECONDS},
        {"verify-every", required_argument, NULL, O_VERIFY},
        {"gro", no_argument, NULL, O_GRO},
        {"srtp", required_argument, NULL, O_SRTP},
        {"json", no_argument, NULL, O_JSON},
        CLI_SERVER_LONG_OPTIONS,
        {"server-pid", required_argument, NULL, O_PID},
        {"log-level", required_argument, NULL, O_LOG},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int opt;
    char *end;
    opterr = 0;
    cli_server_defaults(&b->server);
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case O_VIEWERS: {
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 100000) {
                fprintf(stderr, "onair bench: --viewers wants 1 to 100000, not '%s'\n", optarg);
                return 2;
            }
            b->n_wanted = (size_t)n;
            break;
        }
        case O_RAMP:
        case O_SECONDS: {
            double x = strtod(optarg, &end);
            if (*end || !(x > 0) || !isfinite(x)) {
                fprintf(stderr, "onair bench: %s wants a positive number, not '%s'\n",
                        opt == O_RAMP ? "--ramp" : "--seconds", optarg);
                return 2;
            }
            *(opt == O_RAMP ? &b->ramp : &b->seconds) = x;
            break;
        }
        case O_VERIFY: {
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 1000000) {
                fprintf(stderr, "onair bench: --verify-every wants 1 to 1000000, not '%s'\n",
                        optarg);
                return 2;
            }
            b->verify_every = (unsigned)n;
            break;
        }
        case O_GRO:
            b->gro = true;
            break;
        case CLI_O_TOKEN:
        case CLI_O_CACERT:
            cli_server_option(&b->server, opt, optarg);
            break;
        case O_SRTP:
            if (strcmp(optarg, "aes-cm") == 0) {
                b->only_srtp_profile = SRTP_PROFILE_AES128_CM_SHA1_80;
            } else if (strcmp(optarg, "gcm") == 0) {
                b->only_srtp_profile = SRTP_PROFILE_AEAD_AES_128_GCM;
            } else {
                fprintf(stderr, "onair bench: --srtp wants aes-cm or gcm, not '%s'\n", optarg);
                return 2;
            }
            break;
        case O_JSON:
            b->json = true;
            break;
        case O_JANUS:
            b->janus_mountpoint = strtol(optarg, &end, 10);
            if (*end || b->janus_mountpoint <= 0) {
                fprintf(stderr, "onair bench: --janus-mountpoint wants a positive id, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case O_PID:
            b->server_pid = strtol(optarg, &end, 10);
            if (*end || b->server_pid <= 0 || process_cpu_seconds(b->server_pid) < 0) {
                fprintf(stderr, "onair bench: --server-pid %s is not a running process\n", optarg);
                return 2;
            }
            break;
        case O_LOG:
            if (cli_log_level("bench", optarg))
                return 2;
            break;
        case 'h':
            fputs(bench_usage, stdout);
            return -1;
        default:
            fprintf(stderr, "onair bench: unknown option '%s'\n\n%s", argv[optind - 1],
                    bench_usage);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "onair bench: wants the WHEP (or Janus API) URL\n\n%s", bench_usage);
        return 2;
    }
    b->url = argv[optind];
    b->server.url = b->url;
    return 0;
}

int bench_main(int argc, char **argv)
{
    struct bench *b = xcalloc(1, sizeof *b);
    b->n_wanted = 10;
    b->ramp = 20;
    b->verify_every = 1;
    b->seconds = 10;
    log_set_level(LOG_WARN);
    int rc = parse_args(b, argc, argv);
    if (rc != 0) {
        free(b);
        return rc < 0 ? 0 : rc;
    }
    /* Each viewer has a socket; make room for many. */
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    b->viewers = xcalloc(b->n_wanted, sizeof *b->viewers);
    b->loop = uv_default_loop();
    b->started_us = clock_now_us();
    uv_timer_init(b->loop, &b->ramp_timer);
    uv_timer_init(b->loop, &b->end_timer);
    uv_timer_init(b->loop, &b->keepalive_timer);
    b->ramp_timer.data = b->end_timer.data = b->keepalive_timer.data = b;
    uv_signal_init(b->loop, &b->sigint);
    b->sigint.data = b;
    uv_signal_start(&b->sigint, on_sigint, SIGINT);
    uint64_t interval = (uint64_t)(1000.0 / b->ramp);
    uv_timer_start(&b->ramp_timer, on_ramp, 0, interval ? interval : 1);
    if (b->janus_mountpoint)
        uv_timer_start(&b->keepalive_timer, on_keepalive, 25000, 25000);
    uv_run(b->loop, UV_RUN_DEFAULT);
    rc = b->n_made ? report(b) : 1;
    for (size_t i = 0; i < b->n_made; i++) {
        peer_client_close(b->viewers[i].pc);
        if (b->viewers[i].location[0])
            whip_client_delete(&b->server, b->viewers[i].location);
        janus_client_destroy(&b->viewers[i].janus);
    }
    uv_close((uv_handle_t *)&b->ramp_timer, NULL);
    uv_close((uv_handle_t *)&b->end_timer, NULL);
    uv_close((uv_handle_t *)&b->keepalive_timer, NULL);
    uv_close((uv_handle_t *)&b->sigint, NULL);
    uv_run(b->loop, UV_RUN_DEFAULT);
    uv_loop_close(b->loop);
    free(b->viewers);
    free(b);
    return rc;
}
