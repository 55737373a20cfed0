/* api_recordings: the recordings' routes, each in two halves: the checks on the loop, then the
 * disk's part on the disk thread (WORK), then the answer on the loop (ANSWER). */
#include "app/api_recordings.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/api_access.h"
#include "app/api_reply.h"
#include "app/http_range.h"
#include "app/recorder.h"
#include "app/server.h"
#include "base/log.h"
#include "base/xmalloc.h"

/* One request's call to the disk: what WORK needs, copied from the request, and what it found. */
struct recording_call {
    struct http_disk_work w; /* first: http.c hands it back */
    const struct server *srv;
    const char *dir; /* --record-dir: the server's, for as long as it runs */
    char file[256];
    /* The listing's: the credentials point into the request's headers, which live while its
     * connection waits (the answer is not made once it is gone). */
    struct access_credentials credentials;
    struct recording_list list;
    /* The download's */
    char *range; /* the request's Range, NULL when absent */
    int fd;
    uint64_t size;
    int status; /* 0 or 404, from WORK; -1 until it has run */
};

static struct recording_call *
call_new(const struct server *srv, const char *file, void (*work)(struct http_disk_work *),
         void (*answer)(struct http_disk_work *, bool, struct http_response *))
{
    struct recording_call *c = xcalloc(1, sizeof *c);
    c->w.work = work;
    c->w.answer = answer;
    c->srv = srv;
    c->dir = recorders_dir(srv->recorders);
    c->fd = -1;
    c->status = -1;
    if (file)
        snprintf(c->file, sizeof c->file, "%s", file);
    return c;
}

static void list_work(struct http_disk_work *w)
{
    struct recording_call *c = (struct recording_call *)w;
    recording_list_scan(c->dir, &c->list);
}

/* Whether a .mkv of the directory may be shown as the rules of STREAM, the one its name gives:
 * one named otherwise (put there by hand, or renamed) belongs to no stream, whose rules would be
 * an open stream's; it is shown only by a server that has no tokens at all. */
static bool of_a_stream_or_open(const struct server *srv, const char *stream)
{
    return stream[0] || access_open(&srv->config.access);
}

static void list_answer(struct http_disk_work *w, bool cancelled, struct http_response *res)
{
    struct recording_call *c = (struct recording_call *)w;
    if (!cancelled) {
        json_t *list = json_array();
        for (size_t i = 0; i < c->list.n; i++) {
            const struct recording_info *info = &c->list.items[i];
            if (!of_a_stream_or_open(c->srv, info->stream) ||
                !api_may_see(c->srv, &c->credentials, info->stream))
                continue;
            json_array_append_new(
                list, json_pack("{s:s,s:s,s:I,s:I,s:b,s:I}", "file", info->file, "stream",
                                info->stream, "bytes", (json_int_t)info->bytes, "started_ms",
                                (json_int_t)info->started_unix_ms, "active", info->active,
                                "dropped_packets", (json_int_t)info->dropped_packets));
        }
        api_json_reply(res, 200, json_pack("{s:o,s:b}", "recordings", list, "enabled", 1));
    }
    recording_list_free(&c->list);
    free(c);
}

void api_recordings(struct server *srv, const struct http_request *req, struct http_response *res)
{
    if (!recorders_dir(srv->recorders)) {
        api_json_reply(res, 200, json_pack("{s:[],s:b}", "recordings", "enabled", 0));
        return;
    }
    struct recording_call *c = call_new(srv, NULL, list_work, list_answer);
    api_read_credentials(srv, req, &c->credentials);
    recorders_list_active(srv->recorders, &c->list);
    http_response_after_disk(res, &c->w);
}

static void delete_work(struct http_disk_work *w)
{
    struct recording_call *c = (struct recording_call *)w;
    c->status = recording_delete(c->dir, c->file);
}

static void delete_answer(struct http_disk_work *w, bool cancelled, struct http_response *res)
{
    struct recording_call *c = (struct recording_call *)w;
    if (c->status == 0) /* logged even when the client is gone: the file is gone all the same */
        log_info("recording %s/%s deleted", c->dir, c->file);
    if (!cancelled)
        c->status ? api_json_error(res, 404, "no such recording")
                  : api_json_reply(res, 200, json_pack("{s:s,s:b}", "file", c->file, "deleted", 1));
    free(c);
}

static void open_work(struct http_disk_work *w)
{
    struct recording_call *c = (struct recording_call *)w;
    c->status = recording_open(c->dir, c->file, &c->fd, &c->size);
}

static void open_answer(struct http_disk_work *w, bool cancelled, struct http_response *res)
{
    struct recording_call *c = (struct recording_call *)w;
    uint64_t size = c->size, start = 0, len = 0;
    enum http_range_result range = HTTP_RANGE_WHOLE;
    if (!cancelled && !c->status)
        range = http_range_parse(c->range, size, &start, &len);
    if (cancelled || c->status) {
        api_json_error(res, 404, "no such recording");
    } else if (range == HTTP_RANGE_UNSATISFIABLE) {
        http_response_text(res, 416, "the file has %" PRIu64 " bytes\n", size);
        http_response_header(res, "Content-Range", "bytes */%" PRIu64, size);
    } else {
        if (range == HTTP_RANGE_WHOLE)
            len = size;
        http_response_file(res, range == HTTP_RANGE_PARTIAL ? 206 : 200, "video/x-matroska", c->fd,
                           start, len);
        c->fd = -1; /* the response's now */
        if (range == HTTP_RANGE_PARTIAL)
            http_response_header(res, "Content-Range", "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
                                 start, start + len - 1, size);
        http_response_header(res, "Accept-Ranges", "bytes");
        http_response_header(res, "Content-Disposition", "attachment; filename=\"%s\"", c->file);
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c->range);
    free(c);
}

void api_recording_file(struct server *srv, const struct http_request *req, const char *file,
                        struct http_response *res)
{
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0; /* or DELETE */
    char stream[64];
    bool active = false;
    if (recorders_find_file(srv->recorders, file, stream, sizeof stream, &active)) {
        api_json_error(res, 404,
                       recorders_dir(srv->recorders)
                           ? "no such recording"
                           : "no such recording: recording is off (start the server with "
                             "--record-dir DIR)");
        return;
    }
    if (!of_a_stream_or_open(srv, stream)) {
        api_json_error(res, 403,
                       "the file's name names no stream (NAME-YYYYMMDDTHHMMSSZ.mkv): "
                       "a server with tokens serves only a stream's recordings");
        return;
    }
    if (!get) {
        if (!api_may_manage(srv, req, stream, "deleting the recordings of", res))
            return;
        if (active) {
            char why[160];
            snprintf(why, sizeof why,
                     "%s is being written: stop it first (DELETE /api/streams/%s/recording)", file,
                     stream);
            api_json_error(res, 409, why);
            return;
        }
        http_response_after_disk(res, &call_new(srv, file, delete_work, delete_answer)->w);
        return;
    }
    if (!api_visible(srv, req, stream, "downloading the recordings of", res))
        return;
    struct recording_call *c = call_new(srv, file, open_work, open_answer);
    c->range = req->range ? xstrdup(req->range) : NULL;
    http_response_after_disk(res, &c->w);
}
