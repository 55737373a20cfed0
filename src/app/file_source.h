/* file_source: plays a media file as RTP in real time on a libuv loop (the demo broadcast,
 * `onair serve --source NAME=FILE` and `onair publish FILE URL`), looping if asked; or an IP
 * camera's rtsp:// stream as it arrives, read on a thread of its own (app/live_reader). */
#ifndef ONAIR_APP_FILE_SOURCE_H
#define ONAIR_APP_FILE_SOURCE_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

enum file_source_kind { FILE_SOURCE_AUDIO = 0, FILE_SOURCE_VIDEO = 1 };

/* One track the source sends: what an SDP offer needs to describe it. */
struct file_source_track {
    int kind;            /* enum file_source_kind: 0 audio, 1 video */
    char codec[16];      /* "VP8", "VP9", "H264", "AV1" or "opus", as SDP names them */
    uint32_t clock_rate; /* RTP clock: 90000 for video, 48000 for Opus */
    uint8_t channels;    /* as the SDP rtpmap says it: 2 for Opus (RFC 7587), 0 for video */
    uint8_t pt;          /* VP8 96, VP9 98, H264 102, AV1 45, opus 111 */
    uint32_t ssrc;       /* random, nonzero, different per track */
    char fmtp[256];      /* "" or e.g. "packetization-mode=1;profile-level-id=42e01f" */
};

/* Called once per RTP packet, from the loop's timer, when the packet is due. RTP points into
 * the source's buffer and is valid only during the call. The callback may call
 * file_source_close() on its own source; no packet follows that call. */
typedef void (*file_source_packet_cb)(void *opaque, size_t track_index, const uint8_t *rtp,
                                      size_t len);

struct file_source_options {
    /* A file starts again at its end; a camera is connected again when it drops (after 1, 2,
     * 4 ... up to 30 s). Either way RTP timestamps and sequence numbers carry on. Without it, a
     * file ends at its end and a camera when it drops. */
    bool loop_forever;
    const char *rtsp_transport; /* a camera's: "tcp" (also when NULL) or "udp" */
    /* Or NULL: set from another thread, it makes file_source_connect_camera give up at once. */
    const atomic_bool *cancel;
    /* Or NULL: a camera's name in the lines its reconnections log (the server's stream name),
     * before its URL. */
    const char *label;
};

/* Opens PATH (any file libavformat reads, "-" for standard input, or an rtsp:// URL), keeps its
 * first video stream whose codec browsers play (sent untouched) and its first audio stream
 * (Opus as it is; other audio libavcodec decodes, such as AAC or MP3, transcoded to Opus), and
 * starts sending them on LOOP, the first packets on the loop's next turn (never from inside this
 * call). A file is sent in real time by its timestamps; reading it is blocking file I/O on the
 * loop's thread. A camera must have video; it is connected to from this call (blocking for at
 * most a few seconds), then read on a thread and sent as it arrives. Returns NULL and sets *WHY
 * when the input cannot be opened or has no playable track: a short static reason for a file,
 * a sentence naming the URL for a camera ("cannot open rtsp://cam/live: Connection refused",
 * valid until the next call). */
struct file_source *file_source_open(uv_loop_t *loop, const char *path,
                                     const struct file_source_options *options,
                                     file_source_packet_cb on_packet, void *opaque,
                                     const char **why);

/* Opening a camera in two halves, for a caller whose loop must not wait for the camera (the
 * server's --source): file_source_connect_camera is the blocking half (at most a few seconds),
 * safe on any thread; it returns the connected camera, or NULL with a sentence naming the URL in
 * WHY[0..CAP). file_source_open_camera is the loop's half: it takes CAMERA (whatever the result)
 * and starts sending it as file_source_open does, or returns NULL with *WHY when the camera has
 * no video browsers play. file_source_camera_free frees a camera never opened; NULL is a no-op. */
struct file_source_camera;
struct file_source_camera *file_source_connect_camera(const char *url,
                                                      const struct file_source_options *options,
                                                      char *why, size_t cap);
struct file_source *file_source_open_camera(uv_loop_t *loop, struct file_source_camera *camera,
                                            file_source_packet_cb on_packet, void *opaque,
                                            const char **why);
void file_source_camera_free(struct file_source_camera *camera);

/* The tracks, video first: index I is the track_index the callback is given. */
size_t file_source_track_count(const struct file_source *source);
const struct file_source_track *file_source_track(const struct file_source *source, size_t i);

/* A viewer asked for a keyframe. A file has them where it has them (the demo: every second), so
 * this only notes it in the log. */
void file_source_request_keyframe(struct file_source *source);

/* Whether the source still sends: false once a file that does not loop has ended, or after a
 * read error it cannot recover from, or once a camera that does not reconnect dropped. */
bool file_source_running(const struct file_source *source);
/* The file's duration in microseconds, or -1 when it has none (a camera, standard input, a
 * file that does not say). */
int64_t file_source_duration_us(const struct file_source *source);

/* Whether the source is a camera (read as it arrives), not a file. */
bool file_source_is_live(const struct file_source *source);

/* Why a camera's source stopped ("the camera ended the stream", "no data for 5 s", ...), or
 * NULL while it runs and for files. */
const char *file_source_stop_reason(const struct file_source *source);

/* Stops sending and frees the source. NULL is a no-op. The last of its memory is released when
 * the loop runs the timer's close callback, so the loop must run once more after this call. */
void file_source_close(struct file_source *source);

#endif
