/* live_reader: reads a live network input (an RTSP camera) on a thread of its own, so that a
 * slow or dead camera never blocks the loop. The thread calls av_read_frame and puts each packet
 * in a bounded queue; the loop is woken (uv_async) and takes them in order. A read that gets no
 * data for LIVE_READER_READ_TIMEOUT_S, an error or the end of the stream drops the input; with
 * reconnect, the thread opens it again after 1, 2, 4 ... up to 30 s, logging each attempt. */
#ifndef ONAIR_APP_LIVE_READER_H
#define ONAIR_APP_LIVE_READER_H
#include <libavformat/avformat.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

/* The longest wait for a camera to answer (connect, DESCRIBE, SETUP, PLAY and the first
 * packets), and for the next packet once it plays. */
#define LIVE_READER_OPEN_TIMEOUT_S 8
#define LIVE_READER_READ_TIMEOUT_S 5
/* The longest wait between two reconnection attempts. */
#define LIVE_READER_RETRY_MAX_S 30

struct live_reader_options {
    const char *rtsp_transport; /* "tcp" (also when NULL) or "udp" */
    bool reconnect;             /* open the input again when it drops; else it ends */
    /* Or NULL. Set (by another thread) to give up the open in live_reader_open at once, so that
     * a server shutting down does not wait out a camera that does not answer. */
    const atomic_bool *cancel;
};

/* Called on the loop's thread when packets (or news) wait in the queue. */
typedef void (*live_reader_ready_cb)(void *opaque);

/* Opens URL on the caller's thread, blocking for at most LIVE_READER_OPEN_TIMEOUT_S. SHOWN is
 * how logs name the input (the URL with its password hidden). On success returns the reader
 * (not reading yet: see live_reader_start) and sets *STREAMS to a copy of the input's streams
 * (codec parameters, time bases, start time: what a demuxer's AVFormatContext says before
 * reading), owned by the caller and freed with avformat_close_input(). On failure returns NULL
 * and sets *ERR to the AVERROR (AVERROR_EXIT when the camera did not answer in time). */
struct live_reader *live_reader_open(const char *url, const char *shown,
                                     const struct live_reader_options *options,
                                     AVFormatContext **streams, int *err);

/* Starts the reading thread; ON_READY is then called on LOOP's thread whenever items wait. */
void live_reader_start(struct live_reader *reader, uv_loop_t *loop, live_reader_ready_cb on_ready,
                       void *opaque);

/* Takes the next item of the queue, on the loop's thread:
 *   0                 a packet, moved into PKT (its stream_index is the input's);
 *   1                 the input dropped and was opened again: *STREAMS is a copy of its
 *                     streams, as live_reader_open gives (the caller frees it); the packets
 *                     that follow are from it;
 *   AVERROR(EAGAIN)   nothing yet: ON_READY will be called when there is;
 *   another AVERROR   the input ended, or failed, without reconnect (AVERROR_EOF at its end,
 *                     AVERROR_EXIT when it sent nothing for LIVE_READER_READ_TIMEOUT_S); every
 *                     later call says the same. */
int live_reader_pop(struct live_reader *reader, AVPacket *pkt, AVFormatContext **streams);

/* A sentence for an AVERROR that ended a read: "the camera ended the stream", "no data for
 * 5 s", or FFmpeg's words. Written into BUF[0..CAP) when need be. */
const char *live_reader_describe(int rc, char *buf, size_t cap);

/* Stops the thread (an open or a read in progress is interrupted), frees what is queued, and
 * closes the input. NULL is a no-op. Once started, the last of its memory is released when the
 * loop runs the close callback of its async handle; a reader never started is freed at once. */
void live_reader_close(struct live_reader *reader);

#endif
