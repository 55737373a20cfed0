/* whep_source: another server's stream relayed as one of ours, over onair's own WHEP client. */
#include "app/whep_source.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/media_url.h"
#include "app/peer_client.h"
#include "app/server.h"
#include "app/viewer_offer.h"
#include "app/whip_client.h"
#include "base/backoff.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "proto/rtcp.h"
#include "sfu/sfu.h"

/* The longest wait between two attempts, as for cameras. */
#define WHEP_SOURCE_RETRY_MAX_S 30
#define WHEP_SOURCE_SDP_MAX 16384

struct whep_source {
    struct server *srv;
    const char *name, *url;
    char endpoint[1024], token[512], shown[1024]; /* shown: the URL with its token hidden */
    struct whip_client_target target;
    struct peer_client *pc;
    struct sdp_session *sdp; /* our offer, then the origin's answer */
    char *offer;             /* its text, posted by the work */
    struct whip_client_result res;
    uv_work_t work;
    bool posting;
    uv_timer_t retry;
    unsigned attempts;
    bool stopping;
    struct sfu_publisher *pub;
    uint32_t video_ssrc; /* the origin's, for PLIs */
    int holds;           /* the retry timer, and the work while posting: freed at 0 */
};

static void release(struct whep_source *ws)
{
    if (--ws->holds > 0)
        return;
    free(ws->sdp);
    free(ws->offer);
    free(ws);
}

static void on_sfu_rtcp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    struct whep_source *ws = opaque;
    if (ws->pc)
        peer_client_send_rtcp(ws->pc, pkt, len, cap);
}

/* A viewer here waits for a keyframe: ask the origin. The SFU's joiners meanwhile get the
 * frames since the last one from its history, as for any source that is not a WebRTC peer. */
static void on_sfu_keyframe(void *opaque)
{
    struct whep_source *ws = opaque;
    if (!ws->pc || !ws->video_ssrc)
        return;
    uint8_t buf[64 + SRTPX_MAX_TRAILER];
    size_t n = rtcp_pli_encode(buf, 64, 0x0ed6e000u, ws->video_ssrc);
    peer_client_send_rtcp(ws->pc, buf, n, sizeof buf);
}

static const struct sfu_sink whep_source_sink = {NULL, on_sfu_rtcp, on_sfu_keyframe, NULL};

static void connect_origin(struct whep_source *ws);

static void on_retry(uv_timer_t *timer)
{
    connect_origin(timer->data);
}

/* Ends the stream and the connection, and tries again 1, 2, 4 ... 30 s later. */
static void drop(struct whep_source *ws, const char *why)
{
    sfu_publisher_detach(ws->pub);
    ws->pub = NULL;
    peer_client_close(ws->pc);
    ws->pc = NULL;
    ws->attempts++;
    unsigned wait_s = backoff_s(ws->attempts, WHEP_SOURCE_RETRY_MAX_S);
    log_error("source %s: %s: %s; trying again in %u s (attempt %u)", ws->name, ws->shown, why,
              wait_s, ws->attempts + 1);
    uv_timer_start(&ws->retry, on_retry, (uint64_t)wait_s * 1000, 0);
}

/* The origin's answer, as the SFU's description of the tracks it sends. */
static size_t answer_tracks(struct whep_source *ws, struct sfu_track_desc tracks[SFU_KINDS])
{
    size_t n = 0;
    bool has[SFU_KINDS] = {false};
    for (size_t i = 0; i < ws->sdp->n_media; i++) {
        const struct sdp_media *m = &ws->sdp->media[i];
        if (!sdp_media_active(m) || (m->kind != SDP_AUDIO && m->kind != SDP_VIDEO) ||
            m->direction == SDP_INACTIVE || m->direction == SDP_RECVONLY || !m->n_codecs)
            continue;
        enum sfu_kind kind = m->kind == SDP_VIDEO ? SFU_VIDEO : SFU_AUDIO;
        if (has[kind])
            continue;
        has[kind] = true;
        struct sfu_track_desc *d = &tracks[n++];
        memset(d, 0, sizeof *d);
        d->kind = kind;
        snprintf(d->mid, sizeof d->mid, "%s", m->mid);
        d->codec = m->codecs[0];
        d->ssrc = m->ssrc;
        for (size_t e = 0; e < m->n_extmaps; e++) {
            int ext = sfu_ext_from_uri(m->extmaps[e].uri);
            if (ext >= 0 && m->extmaps[e].id >= 1 && m->extmaps[e].id <= 14)
                d->ext_ids[ext] = (uint8_t)m->extmaps[e].id;
        }
        if (kind == SFU_VIDEO)
            ws->video_ssrc = m->ssrc;
    }
    return n;
}

static void on_rtp(void *opaque, uint8_t *pkt, size_t len)
{
    struct whep_source *ws = opaque;
    if (ws->pub)
        sfu_publisher_rtp(ws->pub, clock_now_us(), pkt, len);
}

static void on_rtcp(void *opaque, uint8_t *pkt, size_t len)
{
    struct whep_source *ws = opaque;
    if (ws->pub)
        sfu_publisher_rtcp(ws->pub, clock_now_us(), pkt, len);
}

static void on_state(void *opaque, enum peer_client_state state, const char *reason)
{
    struct whep_source *ws = opaque;
    if (state == PEER_CLIENT_FAILED) {
        drop(ws, reason);
        return;
    }
    if (state != PEER_CLIENT_CONNECTED)
        return;
    struct sfu_track_desc tracks[SFU_KINDS];
    size_t n = answer_tracks(ws, tracks);
    const char *why = "the origin sends neither audio nor video";
    if (n)
        ws->pub = sfu_publisher_attach(ws->srv->sfu, ws->name, tracks, n, &whep_source_sink, ws,
                                       &why);
    if (!ws->pub) {
        drop(ws, why);
        return;
    }
    ws->attempts = 0;
    log_info("source %s: relaying %s", ws->name, ws->shown);
}

/* On the thread pool: the blocking POST of the offer. */
static void post_work(uv_work_t *work)
{
    struct whep_source *ws = work->data;
    whip_client_offer(&ws->target, ws->offer, &ws->res);
}

/* Back on the loop: the origin answered (the checks start), or not (the next attempt waits). */
static void post_done(uv_work_t *work, int status)
{
    struct whep_source *ws = work->data;
    ws->posting = false;
    char message[600];
    if (ws->stopping || status < 0) {
        peer_client_close(ws->pc);
        ws->pc = NULL;
    } else if (!ws->res.answer) {
        drop(ws, ws->res.message);
    } else if (peer_client_answered(ws->pc, &ws->res, ws->sdp, message, sizeof message) < 0) {
        drop(ws, message);
    }
    free(ws->res.answer);
    ws->res.answer = NULL;
    release(ws);
}

static void connect_origin(struct whep_source *ws)
{
    static const struct peer_client_callbacks callbacks = {
        .on_rtp = on_rtp, .on_rtcp = on_rtcp, .on_state = on_state};
    const char *why;
    ws->pc = peer_client_new(ws->srv->loop, &callbacks, ws, &why);
    if (!ws->pc) {
        drop(ws, why);
        return;
    }
    viewer_offer_build(ws->sdp);
    peer_client_describe(ws->pc, ws->sdp);
    if (!sdp_write(ws->sdp, ws->offer, WHEP_SOURCE_SDP_MAX))
        abort(); /* two sections: a failure is a bug */
    memset(&ws->res, 0, sizeof ws->res);
    ws->posting = true;
    ws->holds++;
    ws->work.data = ws;
    uv_queue_work(ws->srv->loop, &ws->work, post_work, post_done);
}

struct whep_source *whep_source_start(struct server *srv, const char *name, const char *url)
{
    struct whep_source *ws = xcalloc(1, sizeof *ws);
    ws->srv = srv;
    ws->name = name;
    ws->url = url;
    ws->holds = 1;
    ws->sdp = xmalloc(sizeof *ws->sdp);
    ws->offer = xmalloc(WHEP_SOURCE_SDP_MAX);
    media_url_redact(ws->shown, sizeof ws->shown, url);
    if (media_url_whep_endpoint(url, ws->endpoint, sizeof ws->endpoint, ws->token,
                                sizeof ws->token) < 0) {
        log_error("source %s: %s: the URL is too long", name, ws->shown);
        release(ws);
        return NULL;
    }
    ws->target = (struct whip_client_target){.url = ws->endpoint,
                                             .token = ws->token[0] ? ws->token : NULL};
    uv_timer_init(srv->loop, &ws->retry);
    ws->retry.data = ws;
    connect_origin(ws);
    return ws;
}

static void on_retry_closed(uv_handle_t *handle)
{
    release(handle->data);
}

void whep_source_stop(struct whep_source *ws)
{
    if (!ws)
        return;
    ws->stopping = true;
    sfu_publisher_detach(ws->pub);
    ws->pub = NULL;
    if (!ws->posting) { /* else post_done closes it */
        peer_client_close(ws->pc);
        ws->pc = NULL;
    }
    uv_close((uv_handle_t *)&ws->retry, on_retry_closed);
}
