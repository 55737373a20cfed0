/* recorder: per recording, a bounded packet queue filled on the loop thread and a writer
 * thread that depacketizes and writes Matroska (live-safe: a cluster a second, flushed). */
#include "app/recorder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libavformat/avformat.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/depacketize.h"
#include "app/mux_params.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"

/* A directory's path (PATH_MAX) and a file name, with the slash between. */
#define RECORDING_PATH_CAP (4096 + 256)
/* Packets a recording may have waiting for its writer: about two seconds of a 2.5 Mbit/s
 * stream. A disk slower than that loses packets for the recording, not for viewers. */
#define RECORDER_QUEUE 1024
#define RECORDER_PACKET_MAX 1500
#define RECORDER_BATCH 64
#define RECORDER_MAX_ACTIVE 64
/* At most one "the disk cannot keep up" line per recording this often. */
#define RECORDER_DROP_LOG_US 5000000
/* At shutdown, how long the writers get to finish their files, and then to give up what is
 * still queued and close them. */
#define RECORDER_SHUTDOWN_DRAIN_MS 5000
#define RECORDER_SHUTDOWN_ABANDON_MS 2000

struct rec_slot {
    uint8_t kind;
    uint16_t len;
    uint64_t at_us;
    uint8_t data[RECORDER_PACKET_MAX];
};

/* A recorded track, as the writer thread sees it. */
struct rec_track {
    bool present;
    int codec; /* enum depack_codec */
    uint32_t clock_rate;
    struct depacketizer *depack;
    AVStream *stream;
    bool anchored; /* anchor_us is the arrival time of RTP timestamp anchor_ts */
    int64_t anchor_us;
    uint32_t anchor_ts;
    int64_t last_pts_ms;
    uint64_t frames;
};

struct recording {
    struct recorders *owner;
    struct recording *next_abandoned; /* on the abandoned list (recorders_free) */
    char stream[64];
    char file[256];
    char path[RECORDING_PATH_CAP];
    int64_t started_unix_ms;
    /* The queue, shared by the loop thread (producer) and the writer. */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rec_slot *ring;
    size_t head, count;
    bool stopping;
    bool abandon; /* shutting down: what is queued is not written */
    _Atomic bool done; /* the writer has closed the file and is about to return */
    /* Loop thread only. */
    bool finishing; /* stopped; its writer is still writing the queue and the trailer */
    uint64_t dropped, dropped_logged_us;
    /* Written by the writer, read by the API. */
    _Atomic uint64_t bytes;
    /* Writer thread only. */
    struct rec_track tracks[SFU_KINDS];
    AVFormatContext *mux;
    int64_t start_us;
    bool failed;
    bool made_file; /* a file was made (read by the loop once the writer is joined) */
};

struct recorders {
    struct recorder_config config;
    struct sfu *sfu;
    struct recording *active[RECORDER_MAX_ACTIVE];
    size_t n_active;
    uint64_t dropped_finished, bytes_finished, files;
};

/* ---- the writer thread -------------------------------------------------------------------- */

static int open_mux(struct recording *rec, const struct depack_frame *key)
{
    if (avformat_alloc_output_context2(&rec->mux, NULL, "matroska", rec->path) < 0 || !rec->mux)
        return -1;
    for (int k = SFU_KINDS - 1; k >= 0; k--) {
        struct rec_track *t = &rec->tracks[k];
        if (!t->present)
            continue;
        AVStream *st = avformat_new_stream(rec->mux, NULL);
        bool with_key = key && k == SFU_VIDEO;
        mux_params_track(st->codecpar, t->codec, with_key ? key->data : NULL,
                         with_key ? key->len : 0);
        st->time_base = (AVRational){1, 1000};
        t->stream = st;
    }
    AVDictionary *options = NULL;
    /* Live-safe: a cluster at least every second, written out at once, so a file cut by a
     * crash plays up to the cut, and a file read while it grows plays too. */
    av_dict_set(&options, "cluster_time_limit", "1000", 0);
    rec->mux->flags |= AVFMT_FLAG_FLUSH_PACKETS;
    int rc = avio_open(&rec->mux->pb, rec->path, AVIO_FLAG_WRITE);
    if (rc >= 0)
        rc = avformat_write_header(rec->mux, &options);
    av_dict_free(&options);
    if (rc < 0) {
        log_error("recording %s: cannot write %s: %s", rec->stream, rec->path, av_err2str(rc));
        return -1;
    }
    return 0;
}

/* Times a frame on the arrival clock both tracks share: the arrival of its track's first
 * frame plus its RTP timestamp's distance from that one's. Until the file opens, the anchor
 * moves to the least-delayed frame seen (a frame that came late, behind a burst or a busy
 * loop, must not shift the whole track), so audio and video line up within the jitter of their
 * fastest packets. The file starts at the first video keyframe (or the first audio frame
 * without video); what comes before is not written. */
static void write_frame(struct recording *rec, int kind, const struct depack_frame *f,
                        uint64_t at_us)
{
    struct rec_track *t = &rec->tracks[kind];
    if (!t->anchored) {
        t->anchored = true;
        t->anchor_us = (int64_t)at_us;
        t->anchor_ts = f->timestamp;
    }
    int64_t media_us = (int64_t)(int32_t)(f->timestamp - t->anchor_ts) * 1000000 /
                       (int64_t)t->clock_rate;
    if (!rec->mux && (int64_t)at_us - media_us < t->anchor_us)
        t->anchor_us = (int64_t)at_us - media_us;
    int64_t pts = t->anchor_us + media_us;
    if (rec->failed)
        return;
    if (!rec->mux) {
        if (rec->tracks[SFU_VIDEO].present && !(kind == SFU_VIDEO && f->keyframe))
            return;
        rec->made_file = true;
        if (open_mux(rec, kind == SFU_VIDEO ? f : NULL) < 0) {
            rec->failed = true;
            return;
        }
        rec->start_us = pts;
    }
    int64_t rel = (pts - rec->start_us) / 1000;
    if (rel < 0 || !t->stream)
        return;
    if (t->frames && rel <= t->last_pts_ms)
        rel = t->last_pts_ms + 1; /* strictly increasing per stream */
    AVPacket *pkt = av_packet_alloc();
    if (!pkt || av_new_packet(pkt, (int)f->len) < 0)
        abort();
    memcpy(pkt->data, f->data, f->len);
    pkt->stream_index = t->stream->index;
    pkt->pts = pkt->dts = rel;
    if (f->keyframe)
        pkt->flags |= AV_PKT_FLAG_KEY;
    t->last_pts_ms = rel;
    t->frames++;
    int rc = av_interleaved_write_frame(rec->mux, pkt);
    av_packet_free(&pkt);
    if (rc < 0) {
        log_error("recording %s: writing %s failed: %s; the recording stops", rec->stream,
                  rec->path, av_err2str(rc));
        rec->failed = true;
        return;
    }
    atomic_fetch_add(&rec->bytes, f->len);
}

static void process(struct recording *rec, const struct rec_slot *slot)
{
    struct rec_track *t = &rec->tracks[slot->kind];
    if (!t->present)
        return;
    uint64_t now_ms = slot->at_us / 1000;
    depack_push(t->depack, slot->data, slot->len, now_ms);
    struct depack_frame f;
    while (depack_pop(t->depack, now_ms, &f) > 0)
        write_frame(rec, slot->kind, &f, slot->at_us);
}

static void *writer_main(void *arg)
{
    struct recording *rec = arg;
    struct rec_slot *batch = xmalloc(RECORDER_BATCH * sizeof *batch);
    for (;;) {
        pthread_mutex_lock(&rec->mu);
        while (rec->count == 0 && !rec->stopping)
            pthread_cond_wait(&rec->cv, &rec->mu);
        if (rec->abandon)
            rec->count = 0;
        if (rec->count == 0 && rec->stopping) {
            pthread_mutex_unlock(&rec->mu);
            break;
        }
        size_t n = 0;
        while (rec->count && n < RECORDER_BATCH) {
            const struct rec_slot *s = &rec->ring[rec->head];
            batch[n].kind = s->kind;
            batch[n].len = s->len;
            batch[n].at_us = s->at_us;
            memcpy(batch[n].data, s->data, s->len);
            n++;
            rec->head = (rec->head + 1) % RECORDER_QUEUE;
            rec->count--;
        }
        pthread_mutex_unlock(&rec->mu);
        for (size_t i = 0; i < n; i++)
            process(rec, &batch[i]);
    }
    free(batch);
    if (rec->mux) {
        av_write_trailer(rec->mux);
        avio_closep(&rec->mux->pb);
        avformat_free_context(rec->mux);
        rec->mux = NULL;
    }
    atomic_store(&rec->done, true);
    return NULL;
}

/* ---- the loop thread ---------------------------------------------------------------------- */

static bool wanted(const struct recorders *r, const char *name)
{
    if (!r->config.dir)
        return false;
    if (r->config.n_names == 0)
        return true;
    for (size_t i = 0; i < r->config.n_names; i++)
        if (strcmp(r->config.names[i], name) == 0)
            return true;
    return false;
}

/* The stream's recording taking packets (not one that is finishing). */
static struct recording *find(struct recorders *r, const char *name, size_t *index)
{
    for (size_t i = 0; i < r->n_active; i++) {
        if (!r->active[i]->finishing && strcmp(r->active[i]->stream, name) == 0) {
            if (index)
                *index = i;
            return r->active[i];
        }
    }
    return NULL;
}

/* DIR/FILE into PATH, which returns. */
static const char *recording_path(char path[static RECORDING_PATH_CAP], const char *dir,
                                  const char *file)
{
    snprintf(path, RECORDING_PATH_CAP, "%s/%s", dir, file);
    return path;
}

/* DIR/NAME-20261124T011500Z.mkv, or with -2, -3... when a recording of the same second exists. */
static void name_file(struct recording *rec, const char *dir)
{
    time_t now = (time_t)(rec->started_unix_ms / 1000);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    for (int n = 1;; n++) {
        if (n == 1)
            snprintf(rec->file, sizeof rec->file, "%s-%s.mkv", rec->stream, stamp);
        else
            snprintf(rec->file, sizeof rec->file, "%s-%s-%d.mkv", rec->stream, stamp, n);
        if (access(recording_path(rec->path, dir, rec->file), F_OK) != 0)
            return;
    }
}

/* Starts a recording of NAME's tracks. Returns NULL when none can be recorded. */
static struct recording *start(struct recorders *r, const char *name,
                               const struct sfu_track_desc *tracks, size_t n_tracks)
{
    if (r->n_active == RECORDER_MAX_ACTIVE)
        return NULL;
    struct recording *rec = xcalloc(1, sizeof *rec);
    rec->owner = r;
    snprintf(rec->stream, sizeof rec->stream, "%s", name);
    bool any = false;
    for (size_t i = 0; i < n_tracks; i++) {
        struct rec_track *t = &rec->tracks[tracks[i].kind];
        int codec = depack_codec_from_name(tracks[i].codec.name);
        if (codec < 0) {
            log_warn("recording %s: %s is not recorded (no depacketizer for it)", name,
                     tracks[i].codec.name);
            continue;
        }
        t->present = any = true;
        t->codec = codec;
        t->clock_rate = tracks[i].codec.clock_rate ? tracks[i].codec.clock_rate : 90000;
        t->depack = depack_new((enum depack_codec)codec);
    }
    if (!any) {
        free(rec);
        return NULL;
    }
    rec->started_unix_ms = (int64_t)clock_wall_ms();
    name_file(rec, r->config.dir);
    rec->ring = xmalloc(RECORDER_QUEUE * sizeof *rec->ring);
    pthread_mutex_init(&rec->mu, NULL);
    pthread_cond_init(&rec->cv, NULL);
    if (pthread_create(&rec->thread, NULL, writer_main, rec) != 0)
        abort();
    r->active[r->n_active++] = rec;
    r->files++;
    log_info("recording %s to %s", name, rec->path);
    return rec;
}

/* Ends a recording: it takes no more packets, and its writer drains the queue and writes the
 * trailer on its own time. The loop never waits for the disk: recorders_tick reaps the writer
 * once it is done. */
static void finish(struct recorders *r, size_t index)
{
    struct recording *rec = r->active[index];
    rec->finishing = true;
    pthread_mutex_lock(&rec->mu);
    rec->stopping = true;
    pthread_cond_signal(&rec->cv);
    pthread_mutex_unlock(&rec->mu);
}

/* Joins a finished writer (done, so at once), accounts for its file and frees it. */
static void reap(struct recorders *r, size_t index)
{
    struct recording *rec = r->active[index];
    r->active[index] = r->active[--r->n_active];
    pthread_join(rec->thread, NULL);
    uint64_t bytes = atomic_load(&rec->bytes);
    if (rec->made_file)
        log_info("recording %s ended: %s, %" PRIu64 " bytes of media%s", rec->stream, rec->path,
                 bytes, rec->failed ? " (it failed to write)" : "");
    else
        log_info("recording %s ended before its first %s: no file was made", rec->stream,
                 rec->tracks[SFU_VIDEO].present ? "keyframe" : "packet");
    if (rec->dropped)
        log_warn("recording %s: %" PRIu64 " packets were dropped because the disk could not keep "
                 "up", rec->stream, rec->dropped);
    r->dropped_finished += rec->dropped;
    r->bytes_finished += bytes;
    if (r->config.on_finished && rec->made_file) {
        struct recording_info info = {.bytes = bytes,
                                      .started_unix_ms = rec->started_unix_ms,
                                      .dropped_packets = rec->dropped};
        snprintf(info.file, sizeof info.file, "%s", rec->file);
        snprintf(info.stream, sizeof info.stream, "%s", rec->stream);
        r->config.on_finished(r->config.on_finished_opaque, &info, rec->failed);
    }
    for (int k = 0; k < SFU_KINDS; k++)
        depack_free(rec->tracks[k].depack);
    pthread_mutex_destroy(&rec->mu);
    pthread_cond_destroy(&rec->cv);
    free(rec->ring);
    free(rec);
}

void recorders_tick(struct recorders *r)
{
    for (size_t i = r->n_active; i-- > 0;)
        if (r->active[i]->finishing && atomic_load(&r->active[i]->done))
            reap(r, i);
}

/* Waits up to MS for every finishing writer; returns how many are still writing. */
static size_t wait_writers(struct recorders *r, uint64_t ms)
{
    uint64_t deadline = clock_now_ms() + ms;
    for (;;) {
        recorders_tick(r);
        if (r->n_active == 0 || clock_now_ms() >= deadline)
            return r->n_active;
        struct timespec pause = {.tv_nsec = 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

static bool on_publisher(void *opaque, const char *name, const struct sfu_track_desc *tracks,
                         size_t n_tracks)
{
    struct recorders *r = opaque;
    size_t index;
    if (find(r, name, &index))
        finish(r, index); /* the publisher left (or, defensively, a new one replaced it) */
    if (n_tracks == 0 || !wanted(r, name))
        return false;
    return start(r, name, tracks, n_tracks) != NULL;
}

static void on_rtp(void *opaque, const char *name, enum sfu_kind kind, const uint8_t *pkt,
                   size_t len, uint64_t now_us)
{
    struct recorders *r = opaque;
    struct recording *rec = find(r, name, NULL);
    if (!rec || len > RECORDER_PACKET_MAX)
        return;
    pthread_mutex_lock(&rec->mu);
    bool full = rec->count == RECORDER_QUEUE;
    if (!full) {
        struct rec_slot *s = &rec->ring[(rec->head + rec->count) % RECORDER_QUEUE];
        s->kind = (uint8_t)kind;
        s->len = (uint16_t)len;
        s->at_us = now_us;
        memcpy(s->data, pkt, len);
        rec->count++;
        pthread_cond_signal(&rec->cv);
    }
    pthread_mutex_unlock(&rec->mu);
    if (full) {
        rec->dropped++;
        if (!rec->dropped_logged_us || now_us - rec->dropped_logged_us >= RECORDER_DROP_LOG_US) {
            rec->dropped_logged_us = now_us;
            log_warn("recording %s: the disk cannot keep up; %" PRIu64 " packets dropped from the "
                     "recording so far (viewers are not affected)", name, rec->dropped);
        }
    }
}

struct recorders *recorders_new(const struct recorder_config *config, struct sfu *sfu,
                                const char **why)
{
    if (config->dir) {
        struct stat st;
        if (stat(config->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            *why = "--record-dir is not a directory";
            return NULL;
        }
        if (access(config->dir, W_OK) != 0) {
            *why = "--record-dir is not writable";
            return NULL;
        }
    }
    struct recorders *r = xcalloc(1, sizeof *r);
    r->config = *config;
    r->sfu = sfu;
    struct sfu_tap tap = {.on_publisher = on_publisher, .on_rtp = on_rtp};
    sfu_set_tap(sfu, &tap, r);
    return r;
}

/* Recordings whose writer was still inside a write to the disk at shutdown: left to the
 * process's exit, but kept reachable here, so that a writer returning from the disk and ending
 * before the process does leaves no memory that LeakSanitizer would call lost. Only the loop
 * thread, at shutdown, adds to it. Volatile: nothing reads it, and the compiler would otherwise
 * drop a variable that is only written, and the list with it. */
static struct recording *volatile abandoned;

void recorders_free(struct recorders *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_active; i++)
        if (!r->active[i]->finishing)
            finish(r, i);
    if (wait_writers(r, RECORDER_SHUTDOWN_DRAIN_MS)) {
        /* A disk this slow would hold the shutdown for as long as the queue takes: give up the
         * queue; the files are live-safe and end at the last frame written. */
        for (size_t i = 0; i < r->n_active; i++) {
            pthread_mutex_lock(&r->active[i]->mu);
            r->active[i]->abandon = true;
            pthread_mutex_unlock(&r->active[i]->mu);
            log_warn("recording %s: the disk is too slow to finish %s; what is still queued is "
                     "left out", r->active[i]->stream, r->active[i]->file);
        }
        wait_writers(r, RECORDER_SHUTDOWN_ABANDON_MS);
    }
    for (size_t i = 0; i < r->n_active; i++) {
        /* Still inside a write to the disk: left to the process's exit, memory and all. */
        log_warn("recording %s: the disk did not return in time; %s ends where it stopped",
                 r->active[i]->stream, r->active[i]->file);
        pthread_detach(r->active[i]->thread);
        r->active[i]->next_abandoned = abandoned;
        abandoned = r->active[i];
    }
    free(r);
}

int recorders_start(struct recorders *r, const char *name, char *file, size_t cap,
                    const char **why)
{
    if (!r->config.dir) {
        *why = "recording is off: start the server with --record-dir DIR";
        return 409; /* not 503: the server's setting, no retry changes it */
    }
    if (find(r, name, NULL)) {
        *why = "the stream is being recorded already";
        return 409;
    }
    struct sfu_track_desc tracks[SFU_KINDS];
    size_t n = 0;
    for (int k = 0; k < SFU_KINDS; k++) {
        const struct sfu_track_desc *t = sfu_stream_track(r->sfu, name, (enum sfu_kind)k);
        if (t)
            tracks[n++] = *t;
    }
    if (n == 0) {
        *why = "the stream has no publisher to record";
        return 404;
    }
    struct recording *rec = start(r, name, tracks, n);
    if (!rec) {
        *why = "the stream has no track the recorder can write";
        return 415;
    }
    sfu_tap_stream(r->sfu, name, true, clock_now_us());
    snprintf(file, cap, "%s", rec->file);
    return 0;
}

int recorders_stop(struct recorders *r, const char *name)
{
    size_t index;
    if (!find(r, name, &index))
        return 404;
    sfu_tap_stream(r->sfu, name, false, clock_now_us());
    finish(r, index);
    return 0;
}

/* The stream and start time (Unix ms) in a file name NAME-YYYYMMDDTHHMMSSZ[-N].mkv: the last
 * dash followed by such a stamp ends the stream's name. Returns -1 (and STREAM empty) for a
 * file named otherwise. */
static int64_t file_stamp(const char *file, char *stream, size_t cap)
{
    stream[0] = '\0';
    int64_t when = -1;
    for (const char *p = strchr(file, '-'); p; p = strchr(p + 1, '-')) {
        struct tm tm = {0};
        char z = 0;
        int used = 0;
        if (sscanf(p + 1, "%4d%2d%2dT%2d%2d%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z, &used) != 7 || z != 'Z' || used != 16)
            continue;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        when = (int64_t)timegm(&tm) * 1000;
        size_t len = (size_t)(p - file);
        snprintf(stream, cap, "%.*s", (int)(len < cap - 1 ? len : cap - 1), file);
    }
    return when;
}

static void list_add(struct recording_list *list, const struct recording_info *info)
{
    if (list->n == list->cap) {
        list->cap = list->cap ? 2 * list->cap : 16;
        list->items = xrealloc(list->items, list->cap * sizeof *list->items);
    }
    list->items[list->n++] = *info;
}

void recorders_list_active(struct recorders *r, struct recording_list *list)
{
    for (size_t i = 0; i < r->n_active; i++) {
        const struct recording *rec = r->active[i];
        struct recording_info info = {.active = true, .started_unix_ms = rec->started_unix_ms,
                                      .dropped_packets = rec->dropped};
        snprintf(info.file, sizeof info.file, "%s", rec->file);
        snprintf(info.stream, sizeof info.stream, "%s", rec->stream);
        list_add(list, &info);
    }
}

void recording_list_free(struct recording_list *list)
{
    free(list->items);
    *list = (struct recording_list){0};
}

/* The size of DIR/FILE, if it is a regular file. */
static bool regular_file_size(const char *dir, const char *file, uint64_t *size)
{
    char path[RECORDING_PATH_CAP];
    struct stat st;
    if (stat(recording_path(path, dir, file), &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    *size = (uint64_t)st.st_size;
    return true;
}

void recording_list_scan(const char *dir, struct recording_list *list)
{
    size_t n_active = list->n;
    for (size_t i = 0; i < n_active; i++) /* 0 bytes until its writer has made the file */
        (void)regular_file_size(dir, list->items[i].file, &list->items[i].bytes);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".mkv") != 0)
            continue;
        bool active = false;
        for (size_t i = 0; i < n_active && !active; i++)
            active = strcmp(list->items[i].file, e->d_name) == 0;
        struct recording_info info = {0};
        if (active || !regular_file_size(dir, e->d_name, &info.bytes)) /* gone since, or no file */
            continue;
        snprintf(info.file, sizeof info.file, "%s", e->d_name);
        info.started_unix_ms = file_stamp(e->d_name, info.stream, sizeof info.stream);
        list_add(list, &info);
    }
    closedir(d);
}

/* Whether FILE can name a recording in the directory: a plain name, never a path. */
static bool recording_name(const char *file)
{
    size_t n = strlen(file);
    return n > 4 && n < 256 && file[0] != '.' && !strchr(file, '/') &&
           strcmp(file + n - 4, ".mkv") == 0;
}

int recorders_find_file(struct recorders *r, const char *file, char *stream, size_t cap,
                        bool *active)
{
    if (!r->config.dir || !recording_name(file))
        return 404;
    for (size_t i = 0; i < r->n_active; i++)
        if (strcmp(r->active[i]->file, file) == 0) {
            snprintf(stream, cap, "%s", r->active[i]->stream);
            *active = true;
            return 0;
        }
    file_stamp(file, stream, cap);
    *active = false;
    return 0;
}

const char *recorders_dir(const struct recorders *r)
{
    return r ? r->config.dir : NULL;
}

int recording_open(const char *dir, const char *file, int *fd, uint64_t *size)
{
    char path[RECORDING_PATH_CAP];
    *fd = open(recording_path(path, dir, file), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (*fd < 0)
        return 404;
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return 404;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

int recording_delete(const char *dir, const char *file)
{
    char path[RECORDING_PATH_CAP];
    return unlink(recording_path(path, dir, file)) == 0 ? 0 : 404;
}

void recorders_counters(struct recorders *r, struct recorder_counters *out)
{
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    for (size_t i = 0; i < r->n_active; i++)
        out->active += !r->active[i]->finishing;
    out->files = r->files;
    out->dropped_packets = r->dropped_finished;
    out->bytes_written = r->bytes_finished;
    for (size_t i = 0; i < r->n_active; i++) {
        out->dropped_packets += r->active[i]->dropped;
        out->bytes_written += atomic_load(&r->active[i]->bytes);
    }
}
