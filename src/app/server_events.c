/* server_events: SFU and recorder events as webhook posts. */
#include "app/server_events.h"

#include <jansson.h>
#include <stdio.h>

#include "app/recorder.h"
#include "app/server.h"
#include "app/webhook.h"
#include "sfu/sfu.h"

static void on_live(void *opaque, const char *name, const struct sfu_track_desc *tracks,
                    size_t n_tracks)
{
    struct server *srv = opaque;
    if (n_tracks == 0) {
        webhook_post(srv->webhook, "stream.ended", name, NULL);
        return;
    }
    json_t *fields = json_object();
    for (size_t i = 0; i < n_tracks; i++) /* the first of a kind is the one the SFU keeps */
        if (!json_object_get(fields, tracks[i].kind == SFU_AUDIO ? "audio" : "video"))
            json_object_set_new(fields, tracks[i].kind == SFU_AUDIO ? "audio" : "video",
                                json_string(tracks[i].codec.name));
    webhook_post(srv->webhook, "stream.live", name, fields);
}

static void on_recording_finished(void *opaque, const struct recording_info *info, bool failed)
{
    struct server *srv = opaque;
    char download[300];
    snprintf(download, sizeof download, "/api/recordings/%s", info->file);
    webhook_post(srv->webhook, "recording.finished", info->stream,
                 json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b}", "file", info->file, "download",
                           download, "dir", srv->config.record.dir, "bytes",
                           (json_int_t)info->bytes, "started_ms", (json_int_t)info->started_unix_ms,
                           "dropped_packets", (json_int_t)info->dropped_packets, "failed", failed));
}

int server_events_start(struct server *srv, const char **why)
{
    if (!srv->config.webhook_url)
        return 0;
    srv->webhook = webhook_start(srv->config.webhook_url, srv->config.webhook_secret, why);
    if (!srv->webhook)
        return -1;
    sfu_set_on_live(srv->sfu, on_live, srv);
    srv->config.record.on_finished = on_recording_finished;
    srv->config.record.on_finished_opaque = srv;
    return 0;
}

void server_events_stop(struct server *srv)
{
    webhook_stop(srv->webhook);
    srv->webhook = NULL;
}
