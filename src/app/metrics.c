/* metrics: Prometheus text exposition (version 0.0.4): one HELP and TYPE line per family. */
#include "app/metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app/recorder.h"
#include "app/room.h"
#include "app/server.h"
#include "app/server_lanes.h"
#include "app/session.h"
#include "app/webhook.h"
#include "base/clock.h"
#include "io/udp.h"
#include "rtc/gcm_cipher.h"
#include "sfu/sfu.h"

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(FILE *f, const char *name, const char *help, uint64_t value)
{
    family(f, name, "counter", help);
    fprintf(f, "%s %" PRIu64 "\n", name, value);
}

static void gauge(FILE *f, const char *name, const char *help, double value)
{
    family(f, name, "gauge", help);
    fprintf(f, "%s %g\n", name, value);
}

/* The process's CPU and memory, under the names Prometheus's own clients use, and how long the
 * loop waited for work: 1 - rate(idle) is its busy share, the figure to watch before it
 * saturates (a single loop carries every session). */
static void process_families(FILE *f, const struct server *srv)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    family(f, "process_cpu_seconds_total", "counter", "User and system CPU time spent.");
    fprintf(f, "process_cpu_seconds_total %.3f\n", cpu);
    long pages = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm) {
        long size;
        if (fscanf(statm, "%ld %ld", &size, &pages) != 2)
            pages = 0;
        fclose(statm);
    }
    gauge(f, "process_resident_memory_bytes", "Resident memory size.",
          (double)pages * (double)sysconf(_SC_PAGESIZE));
    family(f, "onair_loop_idle_seconds_total", "counter",
           "Time the media loop waited for work (its busy share is 1 - rate of this).");
    fprintf(f, "onair_loop_idle_seconds_total %.3f\n",
            (double)uv_metrics_idle_time(srv->loop) / 1e9);
    gauge(f, "onair_loop_busy_ratio",
          "The media loop's busy share over about the last second (what --max-load reads).",
          srv->load.busy);
}

/* The fan-out lanes: lane 0 is the loop's thread, the others the workers. */
static void worker_families(FILE *f, const struct server *srv)
{
    gauge(f, "onair_workers", "Threads that send to viewers (--workers), the loop's included.",
          srv->n_lanes);
    struct server_lane_stats st;
    if (!server_lane_stats(srv, 0, &st))
        return;
    family(f, "onair_worker_cpu_seconds_total", "counter", "CPU time of each fan-out thread.");
    for (unsigned i = 0; server_lane_stats(srv, i, &st); i++)
        fprintf(f, "onair_worker_cpu_seconds_total{worker=\"%u\"} %.3f\n", i, st.cpu_seconds);
    family(f, "onair_worker_fan_outs_total", "counter",
           "Shares of split fan-outs each thread has run.");
    for (unsigned i = 0; server_lane_stats(srv, i, &st); i++)
        fprintf(f, "onair_worker_fan_outs_total{worker=\"%u\"} %" PRIu64 "\n", i, st.jobs);
    family(f, "onair_worker_queue_depth", "gauge",
           "Fan-out shares handed to each worker and not yet taken.");
    for (unsigned i = 0; server_lane_stats(srv, i, &st); i++)
        fprintf(f, "onair_worker_queue_depth{worker=\"%u\"} %zu\n", i, st.queue_depth);
    family(f, "onair_worker_datagrams_sent_total", "counter",
           "Datagrams each thread sent (worker 0: the loop's, signaling and DTLS included).");
    for (unsigned i = 0; server_lane_stats(srv, i, &st); i++)
        fprintf(f, "onair_worker_datagrams_sent_total{worker=\"%u\"} %" PRIu64 "\n", i,
                st.udp->tx_packets);
}

static void stream_families(FILE *f, const struct sfu *sfu)
{
    struct sfu_stream_info info;
    family(f, "onair_stream_viewers", "gauge", "Viewers of each stream.");
    for (size_t i = 0; sfu_stream_info_at(sfu, i, &info) == 0; i++)
        fprintf(f, "onair_stream_viewers{stream=\"%s\"} %zu\n", info.name, info.viewers);
    family(f, "onair_stream_viewers_by_quality", "gauge",
           "Viewers of each stream by the quality they get (a simulcast video's layer).");
    for (size_t i = 0; sfu_stream_info_at(sfu, i, &info) == 0; i++)
        for (int q = 0; q < SFU_QUALITIES; q++)
            fprintf(f, "onair_stream_viewers_by_quality{stream=\"%s\",quality=\"%s\"} %zu\n",
                    info.name, sfu_quality_names[q], info.viewers_at[q]);
    family(f, "onair_stream_viewers_auto", "gauge",
           "Viewers of each stream whose quality the server chooses (?quality=auto).");
    for (size_t i = 0; sfu_stream_info_at(sfu, i, &info) == 0; i++)
        fprintf(f, "onair_stream_viewers_auto{stream=\"%s\"} %zu\n", info.name, info.viewers_auto);
    family(f, "onair_stream_live", "gauge", "1 when the stream has a publisher.");
    for (size_t i = 0; sfu_stream_info_at(sfu, i, &info) == 0; i++)
        fprintf(f, "onair_stream_live{stream=\"%s\"} %d\n", info.name, info.live);
    family(f, "onair_stream_bitrate_bps", "gauge", "Bits per second over the last second.");
    for (size_t i = 0; sfu_stream_info_at(sfu, i, &info) == 0; i++) {
        fprintf(f, "onair_stream_bitrate_bps{stream=\"%s\",direction=\"in\"} %" PRIu32 "\n",
                info.name, info.bitrate_in);
        fprintf(f, "onair_stream_bitrate_bps{stream=\"%s\",direction=\"out\"} %" PRIu64 "\n",
                info.name, info.bitrate_out);
    }
    family(f, "onair_stream_packets_lost", "gauge", "Packets lost on the way in, per track.");
    for (size_t i = 0; sfu_stream_info_at(sfu, i, &info) == 0; i++)
        for (size_t t = 0; t < info.n_tracks; t++)
            fprintf(f, "onair_stream_packets_lost{stream=\"%s\",kind=\"%s\"} %" PRIu64 "\n",
                    info.name, info.tracks[t].kind == SFU_VIDEO ? "video" : "audio",
                    info.tracks[t].lost);
}

/* A Prometheus histogram: cumulative buckets by "le", then _sum and _count. */
static void histogram_family(FILE *f, const char *name, const char *help, const struct histogram *h)
{
    family(f, name, "histogram", help);
    for (size_t i = 0; i < h->n_bounds; i++)
        fprintf(f, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, h->bounds[i],
                histogram_cumulative(h, i));
    fprintf(f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %g\n%s_count %" PRIu64 "\n", name,
            h->count, name, h->sum, name, h->count);
}

void metrics_render(const struct server *srv, struct http_response *res)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    size_t publishers = 0, viewers = 0;
    for (size_t i = 0; i < srv->n_sessions; i++)
        session_role(srv->sessions[i]) == SESSION_PUBLISHER ? publishers++ : viewers++;
    gauge(f, "onair_uptime_seconds", "Seconds since the server started.",
          (double)(clock_now_us() - srv->started_us) / 1e6);
    /* An info family (value 1): what a benchmark or an operator compares servers by. The name
     * holds no quote or backslash to escape. */
    family(f, "onair_srtp_gcm_info", "gauge", "The library sealing and opening SRTP's AES-GCM.");
    fprintf(f, "onair_srtp_gcm_info{library=\"%s\"} 1\n", gcm_cipher_engine());
    family(f, "onair_sessions", "gauge", "WebRTC sessions by role.");
    fprintf(f, "onair_sessions{role=\"publisher\"} %zu\nonair_sessions{role=\"viewer\"} %zu\n",
            publishers, viewers);
    gauge(f, "onair_streams", "Streams with a publisher or a viewer.",
          (double)sfu_stream_count(srv->sfu));
    const struct sfu_counters *c = sfu_counters(srv->sfu);
    counter(f, "onair_rtp_packets_received_total", "RTP packets from publishers.", c->rtp_in);
    counter(f, "onair_rtp_bytes_received_total", "RTP bytes from publishers.", c->bytes_in);
    counter(f, "onair_rtp_packets_sent_total", "RTP packets forwarded to viewers.", c->rtp_out);
    counter(f, "onair_rtp_bytes_sent_total", "RTP bytes forwarded to viewers.", c->bytes_out);
    counter(f, "onair_rtp_invalid_total", "Publisher packets dropped as malformed or unknown.",
            c->rtp_bad);
    counter(f, "onair_nacked_packets_total", "Packets viewers reported lost (NACK).", c->nacks_in);
    counter(f, "onair_retransmissions_total", "Packets resent to viewers from history.",
            c->retransmits);
    counter(f, "onair_retransmissions_refused_total",
            "Repairs viewers asked for past their budget (512 at once, 512 a second): not sent.",
            c->retransmits_refused);
    counter(f, "onair_publisher_nacked_packets_total",
            "Packets asked again of publishers (NACK): lost on their way in, or their repair lost.",
            c->nacks_out);
    counter(f, "onair_keyframe_requests_total", "PLI/FIR sent to publishers.",
            c->keyframe_requests);
    counter(f, "onair_keyframes_total", "Keyframes received from publishers.", c->keyframes);
    counter(f, "onair_fan_outs_total", "Runs of a publisher's packets handed to its viewers.",
            c->fan_outs);
    counter(f, "onair_fan_outs_split_total",
            "Fan-outs split among the worker threads (large enough to be worth it).",
            c->fan_outs_split);
    counter(f, "onair_simulcast_layer_switches_total",
            "Times a simulcast publisher's video moved to another layer (the best one flowing, "
            "or for viewers of medium and low quality the second best and the smallest).",
            c->layer_switches);
    family(f, "onair_auto_quality_steps_total", "counter",
           "Viewers of automatic quality moved to a smaller simulcast layer for the loss they "
           "reported (down), or to a larger one after a while without loss (up).");
    fprintf(f, "onair_auto_quality_steps_total{direction=\"down\"} %" PRIu64 "\n",
            c->quality_steps_down);
    fprintf(f, "onair_auto_quality_steps_total{direction=\"up\"} %" PRIu64 "\n",
            c->quality_steps_up);
    histogram_family(f, "onair_forwarding_delay_microseconds",
                     "From a publisher packet's arrival to its copy for the last viewer being "
                     "queued (sent at the end of the loop's turn).",
                     sfu_forward_delay_us(srv->sfu));
    histogram_family(f, "onair_viewer_join_milliseconds",
                     "From a viewer's DTLS handshake ending to its first keyframe.",
                     sfu_join_ms(srv->sfu));
    struct recorder_counters rc;
    recorders_counters(srv->recorders, &rc);
    gauge(f, "onair_recordings_active", "Streams being recorded now.", (double)rc.active);
    counter(f, "onair_recording_files_total", "Recording files started.", rc.files);
    counter(f, "onair_recording_bytes_total", "Media bytes written to recordings.",
            rc.bytes_written);
    counter(f, "onair_recording_dropped_packets_total",
            "Packets left out of recordings because the disk could not keep up.",
            rc.dropped_packets);
    struct room_counters room;
    rooms_counters(srv->rooms, &room);
    counter(f, "onair_chat_messages_total", "Chat messages relayed in rooms.", room.chat_messages);
    counter(f, "onair_files_offered_total", "Files accepted for relay in rooms.",
            room.files_offered);
    counter(f, "onair_files_completed_total", "Files relayed to their last chunk.",
            room.files_completed);
    counter(f, "onair_files_cancelled_total", "Files cancelled: by the sender, its leaving, or "
            "bad chunks.", room.files_cancelled);
    counter(f, "onair_file_bytes_received_total", "File bytes taken from senders.",
            room.file_bytes_in);
    counter(f, "onair_file_sender_pauses_total",
            "Times a file sender was held back because a receiver's queue was full.",
            room.file_sender_pauses);
    counter(f, "onair_file_receivers_dropped_total",
            "Receivers dropped from a file: too slow, or their channel closed.",
            room.file_receivers_dropped);
    gauge(f, "onair_file_queue_peak_bytes",
          "The most file data ever queued in the server for one receiver.",
          (double)room.file_queue_peak);
    /* The media socket's figures, sends from every thread's queue added up. */
    struct udp_stats sum = *udp_stats(srv->udp);
    struct server_lane_stats st;
    for (unsigned i = 1; server_lane_stats(srv, i, &st); i++) {
        sum.tx_packets += st.udp->tx_packets;
        sum.tx_bytes += st.udp->tx_bytes;
        sum.tx_errors += st.udp->tx_errors;
        sum.tx_syscalls += st.udp->tx_syscalls;
        sum.tx_messages += st.udp->tx_messages;
        sum.tx_oversize += st.udp->tx_oversize;
    }
    const struct udp_stats *u = &sum;
    counter(f, "onair_udp_datagrams_received_total", "Datagrams on the media port.", u->rx_packets);
    counter(f, "onair_udp_datagrams_sent_total", "Datagrams sent from the media port.",
            u->tx_packets);
    counter(f, "onair_udp_send_errors_total", "Datagrams the kernel refused to send.",
            u->tx_errors);
    counter(f, "onair_udp_send_oversize_total",
            "Datagrams not sent: over 1500 bytes once protected (a publisher's packets too large "
            "to forward).",
            u->tx_oversize);
    counter(f, "onair_udp_send_calls_total", "sendmmsg calls (datagrams are batched).",
            u->tx_syscalls);
    counter(f, "onair_udp_send_messages_total",
            "Messages handed to the kernel: a GSO message carries a run of datagrams to one peer.",
            u->tx_messages);
    counter(f, "onair_stun_plain_answers_total", "STUN binding requests without USERNAME answered.",
            srv->stun_plain);
    counter(f, "onair_stun_rejected_total", "STUN messages dropped: malformed or no session.",
            srv->stun_bad);
    counter(f, "onair_datagrams_unknown_total", "Non-STUN datagrams from unknown addresses.",
            srv->datagrams_unknown);
    counter(f, "onair_viewers_refused_total",
            "Viewer offers refused for --max-viewers or --max-load.", srv->viewers_refused);
    counter(f, "onair_viewers_refused_busy_total",
            "Viewer offers refused for --max-load: the media loop was too busy.",
            srv->viewers_refused_busy);
    counter(f, "onair_unauthorized_requests_total",
            "Requests refused (401) for a missing or wrong token.", srv->unauthorized);
    if (srv->webhook) {
        struct webhook_counters wc;
        webhook_counters(srv->webhook, &wc);
        fprintf(f, "# HELP onair_webhook_events_total Webhook events by outcome: delivered (2xx), "
                   "failed (every try), dropped (queue full).\n"
                   "# TYPE onair_webhook_events_total counter\n");
        fprintf(f, "onair_webhook_events_total{result=\"delivered\"} %" PRIu64 "\n", wc.delivered);
        fprintf(f, "onair_webhook_events_total{result=\"failed\"} %" PRIu64 "\n", wc.failed);
        fprintf(f, "onair_webhook_events_total{result=\"dropped\"} %" PRIu64 "\n", wc.dropped);
    }
    counter(f, "onair_rtcp_packets_received_total",
            "RTCP packets from publishers and viewers that passed SRTCP.", srv->rtcp_in);
    counter(f, "onair_srtp_rejected_total",
            "SRTP and SRTCP packets from peers refused: not authentic, replayed or malformed.",
            srv->srtp_rejected);
    stream_families(f, srv->sfu);
    worker_families(f, srv);
    process_families(f, srv);
    fclose(f);
    http_response_take(res, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len);
}
