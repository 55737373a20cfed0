/* server_sources: --source streams: files looped, cameras connected off the loop and retried,
 * other servers' streams watched (whep_source). */
#include "app/server_sources.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "app/file_source.h"
#include "app/media_url.h"
#include "app/paced_sender.h"
#include "app/server.h"
#include "app/whep_source.h"
#include "base/backoff.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "sfu/sfu.h"

/* The longest wait between two attempts to reach a camera that never answered yet. */
#define SOURCE_RETRY_MAX_S 30

struct source_ctx {
    struct server *srv;
    size_t index;
    bool camera;
    /* Video goes out paced, as a browser sends it: a frame's packets over some milliseconds,
     * not in one burst (app/pacer). Audio, a packet at a time, goes at once. */
    struct paced_sender *video;
    struct whep_source *whep; /* a whep:// source: another server's stream (whep_source.c) */
    /* Cameras only: */
    uv_timer_t retry;     /* the next connection attempt */
    uv_work_t work;       /* a connection attempt on the thread pool */
    bool connecting;      /* the work is queued or running */
    atomic_bool stopping; /* server_sources_stop was called: also cuts an attempt short */
    unsigned attempts;    /* failed attempts so far */
    struct file_source_camera *connected; /* the work's result, or NULL and why */
    char why[512];
    int holds; /* the retry timer's handle, and the work while connecting: freed at 0 */
};

static const char *source_name(const struct source_ctx *ctx)
{
    return ctx->srv->config.source_names[ctx->index];
}

static void source_send(void *opaque, size_t track_index, const uint8_t *rtp, size_t len)
{
    struct source_ctx *ctx = opaque;
    struct sfu_publisher *pub = ctx->srv->source_publishers[ctx->index];
    if (pub)
        sfu_publisher_rtp(pub, clock_now_us(), rtp, len);
}

static void on_source_packet(void *opaque, size_t track_index, const uint8_t *rtp, size_t len)
{
    struct source_ctx *ctx = opaque;
    struct file_source *src = ctx->srv->sources[ctx->index];
    const struct file_source_track *track = src ? file_source_track(src, track_index) : NULL;
    if (track && track->kind == FILE_SOURCE_VIDEO && !ctx->srv->config.no_source_pacing)
        paced_sender_push(ctx->video, track_index, rtp, len);
    else
        source_send(ctx, track_index, rtp, len);
}

static void source_keyframe(void *opaque)
{
    struct source_ctx *ctx = opaque;
    if (ctx->srv->sources[ctx->index])
        file_source_request_keyframe(ctx->srv->sources[ctx->index]);
}

static void source_no_rtcp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
}

static const struct sfu_sink source_sink = {NULL, source_no_rtcp, source_keyframe, NULL};

/* Makes SRC's stream: an SFU publisher with its tracks. Returns 0, or -1 (SRC closed) with a
 * message logged. */
static int source_attach(struct source_ctx *ctx, struct file_source *src)
{
    struct server *srv = ctx->srv;
    size_t i = ctx->index;
    struct sfu_track_desc tracks[SFU_KINDS];
    size_t n = 0;
    for (size_t t = 0; t < file_source_track_count(src) && n < SFU_KINDS; t++) {
        const struct file_source_track *ft = file_source_track(src, t);
        struct sfu_track_desc *d = &tracks[n++];
        memset(d, 0, sizeof *d);
        d->kind = ft->kind ? SFU_VIDEO : SFU_AUDIO;
        snprintf(d->mid, sizeof d->mid, "%zu", t);
        d->ssrc = ft->ssrc;
        d->codec.pt = ft->pt;
        snprintf(d->codec.name, sizeof d->codec.name, "%s", ft->codec);
        d->codec.clock_rate = ft->clock_rate;
        d->codec.channels = ft->channels;
        snprintf(d->codec.fmtp, sizeof d->codec.fmtp, "%s", ft->fmtp);
    }
    const char *why;
    srv->sources[i] = src;
    srv->source_publishers[i] =
        sfu_publisher_attach(srv->sfu, source_name(ctx), tracks, n, &source_sink, ctx, &why);
    if (!srv->source_publishers[i]) {
        log_error("source %s: %s", source_name(ctx), why);
        file_source_close(src);
        srv->sources[i] = NULL;
        return -1;
    }
    char shown[512];
    media_url_redact(shown, sizeof shown, srv->config.source_paths[i]);
    log_info("source %s: publishing %s %s", source_name(ctx), shown,
             file_source_is_live(src) ? "as it arrives, reconnecting when it drops" : "in a loop");
    return 0;
}

static void source_release(struct source_ctx *ctx)
{
    if (--ctx->holds == 0)
        free(ctx);
}

static void source_connect(struct source_ctx *ctx);

static void source_on_retry(uv_timer_t *timer)
{
    source_connect(timer->data);
}

/* Schedules the next attempt to reach the camera, 1, 2, 4 ... 30 s away. */
static void source_retry(struct source_ctx *ctx, const char *why)
{
    ctx->attempts++;
    unsigned wait_s = backoff_s(ctx->attempts, SOURCE_RETRY_MAX_S);
    log_error("source %s: %s; trying again in %u s (attempt %u)", source_name(ctx), why, wait_s,
              ctx->attempts + 1);
    uv_timer_start(&ctx->retry, source_on_retry, (uint64_t)wait_s * 1000, 0);
}

/* On the thread pool: the blocking half of opening the camera. */
static void source_connect_work(uv_work_t *work)
{
    struct source_ctx *ctx = work->data;
    const struct server_config *config = &ctx->srv->config;
    struct file_source_options options = {.loop_forever = true,
                                          .rtsp_transport = config->rtsp_transport,
                                          .cancel = &ctx->stopping,
                                          .label = config->source_names[ctx->index]};
    ctx->connected = file_source_connect_camera(config->source_paths[ctx->index], &options,
                                                ctx->why, sizeof ctx->why);
}

/* Back on the loop: the camera answered (it starts sending, and its stream goes live), or not
 * (the next attempt is scheduled). */
static void source_connect_done(uv_work_t *work, int status)
{
    struct source_ctx *ctx = work->data;
    ctx->connecting = false;
    struct file_source_camera *camera = ctx->connected;
    ctx->connected = NULL;
    if (atomic_load(&ctx->stopping) || status < 0) {
        file_source_camera_free(camera);
        source_release(ctx);
        return;
    }
    source_release(ctx); /* the timer still holds it: not freed */
    if (!camera) {
        source_retry(ctx, ctx->why);
        return;
    }
    const char *why;
    struct file_source *src =
        file_source_open_camera(ctx->srv->loop, camera, on_source_packet, ctx, &why);
    if (!src) {
        source_retry(ctx, why);
        return;
    }
    if (source_attach(ctx, src) < 0) {
        source_retry(ctx, "the stream could not be made");
        return;
    }
    ctx->attempts = 0;
}

static void source_connect(struct source_ctx *ctx)
{
    ctx->connecting = true;
    ctx->holds++;
    ctx->work.data = ctx;
    uv_queue_work(ctx->srv->loop, &ctx->work, source_connect_work, source_connect_done);
}

static void source_on_retry_closed(uv_handle_t *handle)
{
    source_release(handle->data);
}

int server_sources_start(struct server *srv)
{
    for (size_t i = 0; i < srv->config.n_sources; i++) {
        struct source_ctx *ctx = xcalloc(1, sizeof *ctx);
        ctx->srv = srv;
        ctx->index = i;
        ctx->holds = 1;
        ctx->video = paced_sender_new(srv->loop, source_send, ctx);
        atomic_init(&ctx->stopping, false);
        srv->source_ctxs[i] = ctx;
        const char *path = srv->config.source_paths[i];
        struct media_url url;
        const char *why;
        /* Origins and cameras are reached here; files, stdin and URLs FFmpeg reads as files by
         * the file source. */
        bool is_url = media_url_parse(&url, path, &why) == 0;
        if (is_url && url.kind == MEDIA_URL_WHEP) {
            ctx->whep = whep_source_start(srv, source_name(ctx), path);
            if (!ctx->whep)
                return -1;
            continue;
        }
        if (is_url && url.kind == MEDIA_URL_RTSP) {
            ctx->camera = true;
            uv_timer_init(srv->loop, &ctx->retry);
            ctx->retry.data = ctx;
            source_connect(ctx);
            continue;
        }
        struct file_source_options options = {.loop_forever = true};
        struct file_source *src =
            file_source_open(srv->loop, path, &options, on_source_packet, ctx, &why);
        if (!src) {
            log_error("source %s (%s): %s", source_name(ctx), path, why);
            return -1;
        }
        if (source_attach(ctx, src) < 0)
            return -1;
    }
    return 0;
}

void server_sources_stop(struct server *srv)
{
    for (size_t i = 0; i < srv->config.n_sources; i++) {
        sfu_publisher_detach(srv->source_publishers[i]);
        srv->source_publishers[i] = NULL;
        file_source_close(srv->sources[i]);
        srv->sources[i] = NULL;
        struct source_ctx *ctx = srv->source_ctxs[i];
        srv->source_ctxs[i] = NULL;
        if (!ctx)
            continue;
        paced_sender_close(ctx->video);
        ctx->video = NULL;
        whep_source_stop(ctx->whep);
        ctx->whep = NULL;
        if (!ctx->camera) {
            free(ctx);
            continue;
        }
        atomic_store(&ctx->stopping, true);
        if (ctx->connecting)
            uv_cancel((uv_req_t *)&ctx->work); /* fails if running: its end is then awaited */
        uv_close((uv_handle_t *)&ctx->retry, source_on_retry_closed);
    }
}
