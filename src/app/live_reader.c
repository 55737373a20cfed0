/* live_reader: a camera read on its own thread into a bounded queue, reconnecting with backoff. */
#include "app/live_reader.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/backoff.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"

/* Queued items at most: at 30 fps plus 50 audio packets a second, about three seconds. When the
 * loop falls that far behind, the thread waits (with TCP, the camera is slowed down; with UDP,
 * the kernel drops), rather than memory growing without bound. */
#define LIVE_READER_QUEUE 256

enum live_reader_item_kind { LIVE_ITEM_PACKET, LIVE_ITEM_STREAMS, LIVE_ITEM_END };

struct live_reader_item {
    enum live_reader_item_kind kind;
    AVPacket *pkt;            /* LIVE_ITEM_PACKET */
    AVFormatContext *streams; /* LIVE_ITEM_STREAMS */
    int error;                /* LIVE_ITEM_END */
};

struct live_reader {
    uv_async_t async; /* first: the handle's close callback frees the whole struct */
    live_reader_ready_cb on_ready;
    void *opaque;
    char *url, *shown;
    struct live_reader_options options;

    /* Only the reading thread (and, before it starts, live_reader_open) uses these. */
    AVFormatContext *input;
    uint64_t deadline_us; /* the interrupt callback stops a blocking call after this */

    pthread_t thread;
    bool thread_started;
    atomic_bool stop; /* read by the interrupt callback without the lock */
    pthread_mutex_t lock;
    pthread_cond_t changed; /* the queue has room again, or stop was set */
    struct live_reader_item queue[LIVE_READER_QUEUE];
    size_t head, count;
    int end_error; /* once the END item was taken: what every later pop says */
};

/* FFmpeg calls this during every blocking operation on the input: a nonzero return aborts it
 * (with AVERROR_EXIT). That is how a dead camera, or a close, never hangs the thread. */
static int live_reader_interrupt(void *opaque)
{
    struct live_reader *reader = opaque;
    const atomic_bool *cancel = reader->options.cancel;
    return atomic_load(&reader->stop) || (cancel && atomic_load(cancel)) ||
           clock_now_us() > reader->deadline_us;
}

/* A copy of the input's streams that the loop may read while the thread reads packets: an
 * AVFormatContext with no demuxer, only streams (closing it with avformat_close_input frees it). */
static AVFormatContext *live_reader_snapshot(const AVFormatContext *input)
{
    AVFormatContext *copy = avformat_alloc_context();
    if (!copy)
        abort(); /* out of memory: as xmalloc does */
    copy->start_time = input->start_time;
    for (unsigned i = 0; i < input->nb_streams; i++) {
        const AVStream *from = input->streams[i];
        AVStream *to = avformat_new_stream(copy, NULL);
        if (!to || avcodec_parameters_copy(to->codecpar, from->codecpar) < 0)
            abort();
        to->time_base = from->time_base;
        to->start_time = from->start_time;
        to->disposition = from->disposition;
    }
    return copy;
}

/* Opens reader->url into reader->input, with its streams' parameters read. Returns 0 or an
 * AVERROR (AVERROR_EXIT after LIVE_READER_OPEN_TIMEOUT_S). */
static int live_reader_connect(struct live_reader *reader)
{
    AVFormatContext *input = avformat_alloc_context();
    if (!input)
        abort();
    input->interrupt_callback.callback = live_reader_interrupt;
    input->interrupt_callback.opaque = reader;
    AVDictionary *options = NULL;
    const char *transport = reader->options.rtsp_transport;
    av_dict_set(&options, "rtsp_transport", transport ? transport : "tcp", 0);
    /* Socket I/O timeout, in microseconds, for the RTSP control connection. */
    av_dict_set_int(&options, "timeout", (int64_t)LIVE_READER_READ_TIMEOUT_S * 1000000, 0);
    reader->deadline_us = clock_now_us() + (uint64_t)LIVE_READER_OPEN_TIMEOUT_S * 1000000u;
    int rc = avformat_open_input(&input, reader->url, NULL, &options);
    av_dict_free(&options);
    if (rc < 0)
        return rc; /* avformat_open_input freed the context */
    rc = avformat_find_stream_info(input, NULL);
    if (rc < 0) {
        avformat_close_input(&input);
        return rc;
    }
    reader->input = input;
    return 0;
}

/* Puts ITEM at the end of the queue, waiting for room; false when stopped meanwhile (the item is
 * then the caller's to free). */
static bool live_reader_push(struct live_reader *reader, const struct live_reader_item *item)
{
    pthread_mutex_lock(&reader->lock);
    while (reader->count == LIVE_READER_QUEUE && !atomic_load(&reader->stop))
        pthread_cond_wait(&reader->changed, &reader->lock);
    bool stopped = atomic_load(&reader->stop);
    if (!stopped) {
        reader->queue[(reader->head + reader->count) % LIVE_READER_QUEUE] = *item;
        reader->count++;
    }
    pthread_mutex_unlock(&reader->lock);
    if (!stopped)
        uv_async_send(&reader->async); /* the handle is closed only after the thread ended */
    return !stopped;
}

/* Waits SECONDS, or less if stopped; returns whether stopped. */
static bool live_reader_sleep(struct live_reader *reader, unsigned seconds)
{
    struct timespec until = clock_deadline(CLOCK_MONOTONIC, seconds * 1000ull);
    pthread_mutex_lock(&reader->lock);
    int rc = 0;
    while (!atomic_load(&reader->stop) && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&reader->changed, &reader->lock, &until);
    bool stopped = atomic_load(&reader->stop);
    pthread_mutex_unlock(&reader->lock);
    return stopped;
}

const char *live_reader_describe(int rc, char *buf, size_t cap)
{
    if (rc == AVERROR_EOF)
        return "the camera ended the stream";
    if (rc == AVERROR_EXIT) {
        snprintf(buf, cap, "no data for %d s", LIVE_READER_READ_TIMEOUT_S);
        return buf;
    }
    return av_make_error_string(buf, cap, rc);
}

/* Opens the input again after 1, 2, 4 ... up to 30 s, until it opens or the reader stops;
 * returns whether it opened. */
static bool live_reader_reconnect(struct live_reader *reader)
{
    for (unsigned attempt = 1;; attempt++) {
        unsigned wait_s = backoff_s(attempt, LIVE_READER_RETRY_MAX_S);
        log_info("source %s: reconnecting in %u s (attempt %u)", reader->shown, wait_s, attempt);
        if (live_reader_sleep(reader, wait_s))
            return false;
        int rc = live_reader_connect(reader);
        if (rc == 0) {
            log_info("source %s: reconnected (attempt %u)", reader->shown, attempt);
            return true;
        }
        if (atomic_load(&reader->stop))
            return false;
        char why[AV_ERROR_MAX_STRING_SIZE];
        log_warn("source %s: reconnection attempt %u failed: %s", reader->shown, attempt,
                 rc == AVERROR_EXIT ? "no answer" : av_make_error_string(why, sizeof why, rc));
    }
}

static void *live_reader_main(void *arg)
{
    struct live_reader *reader = arg;
    AVPacket *pkt = av_packet_alloc();
    if (!pkt)
        abort();
    while (!atomic_load(&reader->stop)) {
        if (!reader->input) {
            if (!live_reader_reconnect(reader))
                break;
            struct live_reader_item item = {LIVE_ITEM_STREAMS, NULL,
                                            live_reader_snapshot(reader->input), 0};
            if (!live_reader_push(reader, &item)) {
                avformat_close_input(&item.streams);
                break;
            }
        }
        reader->deadline_us = clock_now_us() + (uint64_t)LIVE_READER_READ_TIMEOUT_S * 1000000u;
        int rc = av_read_frame(reader->input, pkt);
        if (rc >= 0) {
            struct live_reader_item item = {LIVE_ITEM_PACKET, av_packet_alloc(), NULL, 0};
            if (!item.pkt)
                abort();
            av_packet_move_ref(item.pkt, pkt);
            if (!live_reader_push(reader, &item)) {
                av_packet_free(&item.pkt);
                break;
            }
            continue;
        }
        if (atomic_load(&reader->stop))
            break;
        avformat_close_input(&reader->input);
        char buf[AV_ERROR_MAX_STRING_SIZE];
        const char *reason = live_reader_describe(rc, buf, sizeof buf);
        if (!reader->options.reconnect) {
            log_warn("source %s: lost: %s", reader->shown, reason);
            struct live_reader_item item = {LIVE_ITEM_END, NULL, NULL, rc};
            live_reader_push(reader, &item);
            break;
        }
        log_warn("source %s: lost: %s; reconnecting", reader->shown, reason);
    }
    av_packet_free(&pkt);
    return NULL;
}

static void live_reader_on_async(uv_async_t *async)
{
    struct live_reader *reader = async->data;
    reader->on_ready(reader->opaque);
}

static void live_reader_free_struct(struct live_reader *reader)
{
    pthread_mutex_destroy(&reader->lock);
    pthread_cond_destroy(&reader->changed);
    free(reader->url);
    free(reader->shown);
    free(reader);
}

static void live_reader_on_closed(uv_handle_t *handle)
{
    live_reader_free_struct(handle->data);
}

struct live_reader *live_reader_open(const char *url, const char *shown,
                                     const struct live_reader_options *options,
                                     AVFormatContext **streams, int *err)
{
    avformat_network_init();
    struct live_reader *reader = xcalloc(1, sizeof *reader);
    reader->url = xstrdup(url);
    reader->shown = xstrdup(shown);
    reader->options = *options;
    atomic_init(&reader->stop, false);
    pthread_mutex_init(&reader->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&reader->changed, &attr);
    pthread_condattr_destroy(&attr);

    *err = live_reader_connect(reader);
    if (*err < 0) {
        live_reader_free_struct(reader);
        return NULL;
    }
    *streams = live_reader_snapshot(reader->input);
    reader->options.cancel = NULL; /* only meant for this open: the caller's flag may go */
    return reader;
}

void live_reader_start(struct live_reader *reader, uv_loop_t *loop, live_reader_ready_cb on_ready,
                       void *opaque)
{
    reader->on_ready = on_ready;
    reader->opaque = opaque;
    uv_async_init(loop, &reader->async, live_reader_on_async);
    reader->async.data = reader;
    if (pthread_create(&reader->thread, NULL, live_reader_main, reader) != 0)
        abort(); /* no thread to be had: as out of memory */
    reader->thread_started = true;
}

int live_reader_pop(struct live_reader *reader, AVPacket *pkt, AVFormatContext **streams)
{
    if (reader->end_error)
        return reader->end_error;
    pthread_mutex_lock(&reader->lock);
    if (reader->count == 0) {
        pthread_mutex_unlock(&reader->lock);
        return AVERROR(EAGAIN);
    }
    struct live_reader_item item = reader->queue[reader->head];
    reader->head = (reader->head + 1) % LIVE_READER_QUEUE;
    reader->count--;
    pthread_cond_signal(&reader->changed);
    pthread_mutex_unlock(&reader->lock);
    switch (item.kind) {
    case LIVE_ITEM_PACKET:
        av_packet_move_ref(pkt, item.pkt);
        av_packet_free(&item.pkt);
        return 0;
    case LIVE_ITEM_STREAMS:
        *streams = item.streams;
        return 1;
    case LIVE_ITEM_END:
    default:
        reader->end_error = item.error < 0 ? item.error : AVERROR_EOF;
        return reader->end_error;
    }
}

void live_reader_close(struct live_reader *reader)
{
    if (!reader)
        return;
    pthread_mutex_lock(&reader->lock);
    atomic_store(&reader->stop, true);
    pthread_cond_broadcast(&reader->changed);
    pthread_mutex_unlock(&reader->lock);
    if (reader->thread_started)
        pthread_join(reader->thread, NULL);
    for (size_t i = 0; i < reader->count; i++) {
        struct live_reader_item *item = &reader->queue[(reader->head + i) % LIVE_READER_QUEUE];
        av_packet_free(&item->pkt);
        avformat_close_input(&item->streams);
    }
    reader->count = 0;
    avformat_close_input(&reader->input);
    if (reader->thread_started)
        uv_close((uv_handle_t *)&reader->async, live_reader_on_closed);
    else
        live_reader_free_struct(reader);
}
