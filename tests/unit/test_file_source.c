/* Tests file_source: clips made by ffmpeg at test time, played on a real libuv loop. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/file_source.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/xmalloc.h"

/* ---- clips -------------------------------------------------------------------------------- */

static char clip_dir[64];

static void clips_remove(void)
{
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", clip_dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", clip_dir);
}

/* The path of clip NAME in the test's temporary directory, made by ffmpeg with ARGS (inputs and
 * encoding options; the output path is appended) the first time it is asked for. */
static const char *clip(const char *name, const char *args)
{
    static char path[256];
    if (!clip_dir[0]) {
        snprintf(clip_dir, sizeof clip_dir, "/tmp/test_file_source.XXXXXX");
        assert_non_null(mkdtemp(clip_dir));
        atexit(clips_remove);
    }
    snprintf(path, sizeof path, "%s/%s", clip_dir, name);
    if (access(path, R_OK) != 0) {
        char command[2048];
        snprintf(command, sizeof command, "ffmpeg -nostdin -hide_banner -loglevel error -y %s '%s'",
                 args, path);
        if (system(command) != 0)
            fail_msg("ffmpeg could not make %s (is ffmpeg installed? scripts/setup)", name);
    }
    return path;
}

#define PATTERN "-f lavfi -i testsrc2=size=320x240:rate=30:duration=%s "
#define TONE "-f lavfi -i sine=frequency=440:sample_rate=48000:duration=%s "
#define VP8                                                                                        \
    "-c:v libvpx -b:v 300k -g 30 -keyint_min 30 -auto-alt-ref 0 -lag-in-frames 0 "                 \
    "-deadline realtime -cpu-used 8 "
#define OPUS "-c:a libopus -b:a 64k -ac 2 "

/* VP8 + Opus in WebM, as the demo is, only shorter and smaller. */
static const char *clip_webm(const char *seconds)
{
    char name[64], args[1024];
    snprintf(name, sizeof name, "vp8-opus-%ss.webm", seconds);
    snprintf(args, sizeof args, PATTERN TONE VP8 OPUS "-f webm", seconds, seconds);
    return clip(name, args);
}

/* H.264 Constrained Baseline (no B-frames, IDR every second) + AAC in MP4. */
static const char *clip_mp4(void)
{
    return clip("h264-aac.mp4",
                "-f lavfi -i testsrc2=size=320x240:rate=30:duration=2 "
                "-f lavfi -i sine=frequency=440:sample_rate=48000:duration=2 "
                "-c:v libx264 -profile:v baseline -pix_fmt yuv420p -preset ultrafast -bf 0 "
                "-g 30 -keyint_min 30 -sc_threshold 0 -c:a aac -b:a 64k -f mp4");
}

/* ---- capture ------------------------------------------------------------------------------ */

/* What a test keeps of one RTP packet: the RFC 3550 §5.1 fixed header, then its payload. */
struct seen {
    uint64_t at_us;
    uint8_t version, pt;
    bool marker;
    uint16_t seq;
    uint32_t timestamp, ssrc;
    size_t len;
    uint8_t payload[1200];
    size_t payload_len;
};

struct capture {
    struct file_source *source;
    struct file_source_track tracks[2]; /* copied at open: the source is gone after play() */
    size_t n_tracks;
    struct seen *packets[2];
    size_t n[2], cap[2];
    size_t bad_track;
    size_t close_after; /* if nonzero, close the source from the callback at this many packets */
    bool closed;
    bool running_at_stop; /* file_source_running() when the test's time was up */
    size_t after_close;
};

/*  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * |                           timestamp                           |
 * |           synchronization source (SSRC) identifier            |
 */
static void on_packet(void *opaque, size_t track, const uint8_t *rtp, size_t len)
{
    struct capture *c = opaque;
    if (c->closed) {
        c->after_close++;
        return;
    }
    if (track > 1 || len < 12) {
        c->bad_track++;
        return;
    }
    if (c->n[track] == c->cap[track]) {
        c->cap[track] = c->cap[track] ? 2 * c->cap[track] : 256;
        c->packets[track] = xrealloc(c->packets[track], c->cap[track] * sizeof(struct seen));
    }
    struct seen *s = &c->packets[track][c->n[track]++];
    s->at_us = clock_now_us();
    s->version = rtp[0] >> 6;
    s->marker = rtp[1] >> 7;
    s->pt = rtp[1] & 0x7f;
    s->seq = be16_read(rtp + 2);
    s->timestamp = be32_read(rtp + 4);
    s->ssrc = be32_read(rtp + 8);
    s->len = len;
    size_t header = 12 + 4u * (rtp[0] & 0x0f);
    s->payload_len = len > header ? len - header : 0;
    if (s->payload_len > sizeof s->payload)
        s->payload_len = sizeof s->payload;
    memcpy(s->payload, rtp + header, s->payload_len);
    if (c->close_after && c->n[0] + c->n[1] == c->close_after) {
        file_source_close(c->source);
        c->closed = true;
    }
}

static void capture_free(struct capture *c)
{
    free(c->packets[0]);
    free(c->packets[1]);
}

static void on_stop(uv_timer_t *timer)
{
    struct capture *c = timer->data;
    if (!c->closed) {
        c->running_at_stop = file_source_running(c->source);
        file_source_close(c->source);
        c->closed = true;
    }
    uv_close((uv_handle_t *)timer, NULL);
}

/* Opens PATH and runs a fresh loop for MS milliseconds; the loop must then end by itself (the
 * source closed all its handles). Returns the loop's wall-clock run time in microseconds. */
static uint64_t play(struct capture *c, const char *path, bool loop_forever, uint64_t ms)
{
    uv_loop_t loop;
    uv_timer_t stop;
    assert_int_equal(uv_loop_init(&loop), 0);
    const char *why = NULL;
    struct file_source_options options = {.loop_forever = loop_forever};
    c->source = file_source_open(&loop, path, &options, on_packet, c, &why);
    if (!c->source)
        fail_msg("file_source_open: %s", why);
    assert_int_equal(c->n[0] + c->n[1], 0); /* nothing is sent from inside the open */
    c->n_tracks = file_source_track_count(c->source);
    assert_true(c->n_tracks >= 1 && c->n_tracks <= 2);
    for (size_t i = 0; i < c->n_tracks; i++)
        c->tracks[i] = *file_source_track(c->source, i);
    assert_null(file_source_track(c->source, c->n_tracks));
    file_source_request_keyframe(c->source); /* only logs; must not disturb the sending */
    uv_timer_init(&loop, &stop);
    stop.data = c;
    uv_timer_start(&stop, on_stop, ms, 0);
    uint64_t start = clock_now_us();
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t elapsed = clock_now_us() - start;
    assert_int_equal(uv_loop_close(&loop), 0);
    return elapsed;
}

/* ---- checks ------------------------------------------------------------------------------- */

/* Every packet of a track is RTP version 2 with the track's payload type and SSRC, fits 1,200
 * bytes, and follows the one before with sequence number + 1. Timestamps never go back; they
 * move on by at most MAX_STEP at a time (no jump at the loop point) and strictly after a packet
 * with the marker bit (the last of a video frame) or for every packet (audio). */
static void check_stream(const struct capture *c, size_t index,
                         const struct file_source_track *track, uint32_t max_step)
{
    const struct seen *p = c->packets[index];
    assert_true(c->n[index] > 10);
    for (size_t i = 0; i < c->n[index]; i++) {
        assert_int_equal(p[i].version, 2);
        assert_int_equal(p[i].pt, track->pt);
        assert_int_equal(p[i].ssrc, track->ssrc);
        assert_true(p[i].len <= 1200);
        if (i == 0)
            continue;
        assert_int_equal((uint16_t)(p[i].seq - p[i - 1].seq), 1);
        uint32_t step = p[i].timestamp - p[i - 1].timestamp;
        if (step > max_step) /* also catches going back: it wraps to a huge step */
            fail_msg("track %zu packet %zu: timestamp %" PRIu32 " after %" PRIu32, index, i,
                     p[i].timestamp, p[i - 1].timestamp);
        bool new_frame = track->kind == FILE_SOURCE_AUDIO || p[i - 1].marker;
        if (new_frame)
            assert_true(step > 0);
        else
            assert_int_equal(step, 0);
    }
}

/* Pacing: each packet leaves when its media time is due. Its arrival after the first packet
 * matches its timestamp's distance from the first's within TOLERANCE_US. Returns the media time
 * (µs) the track covered. */
static uint64_t check_realtime(const struct capture *c, size_t index,
                               const struct file_source_track *track, uint64_t tolerance_us)
{
    const struct seen *p = c->packets[index];
    for (size_t i = 1; i < c->n[index]; i++) {
        uint64_t media = (uint64_t)(p[i].timestamp - p[0].timestamp) * 1000000 / track->clock_rate;
        int64_t wall = (int64_t)(p[i].at_us - p[0].at_us);
        int64_t off = wall - (int64_t)media;
        if (off > (int64_t)tolerance_us || off < -(int64_t)tolerance_us)
            fail_msg("track %zu packet %zu: media %" PRIu64 " us but sent at %" PRId64 " us", index,
                     i, media, wall);
    }
    return (uint64_t)(p[c->n[index] - 1].timestamp - p[0].timestamp) * 1000000 / track->clock_rate;
}

/* Whether a VP8 RTP payload starts a key frame: the descriptor (RFC 7741 §4.2) has S=1 and
 * PID=0, and the VP8 payload header after it (§4.3) has P=0. */
static bool vp8_keyframe_start(const uint8_t *payload, size_t len)
{
    size_t at = 1;
    if (len < 2 || !(payload[0] & 0x10) || (payload[0] & 0x07) != 0)
        return false;
    if (payload[0] & 0x80) { /* X: extension bits I L T K */
        uint8_t ext = payload[at++];
        if (ext & 0x80) /* I: PictureID, 15 bits when M is set */
            at += (payload[at] & 0x80) ? 2 : 1;
        if (ext & 0x40) /* L: TL0PICIDX */
            at++;
        if (ext & 0x30) /* T or K: TID/Y/KEYIDX */
            at++;
    }
    return at < len && (payload[at] & 0x01) == 0;
}

/* What the tests that expect a refusal open with. */
static const struct file_source_options looping = {.loop_forever = true};

/* ---- tests -------------------------------------------------------------------------------- */

/* The demo's shape: VP8 + Opus looped for 3 s of a 2 s clip. Both tracks arrive as valid RTP,
 * continuous over the loop point, paced in real time, and the loop restarts on a key frame. */
static void test_webm_loops_in_realtime(void **state)
{
    const char *path = clip_webm("2");
    struct capture c = {0};
    uint64_t elapsed = play(&c, path, true, 3000);

    assert_int_equal(c.bad_track, 0);
    assert_int_equal(c.after_close, 0);
    assert_true(c.running_at_stop);
    assert_int_equal(c.n_tracks, 2);
    const struct file_source_track video = c.tracks[0], audio = c.tracks[1];
    assert_int_equal(video.kind, FILE_SOURCE_VIDEO);
    assert_string_equal(video.codec, "VP8");
    assert_int_equal(video.pt, 96);
    assert_int_equal(video.clock_rate, 90000);
    assert_string_equal(video.fmtp, "");
    assert_int_equal(audio.kind, FILE_SOURCE_AUDIO);
    assert_string_equal(audio.codec, "opus");
    assert_int_equal(audio.pt, 111);
    assert_int_equal(audio.clock_rate, 48000);
    assert_int_equal(audio.channels, 2);
    assert_string_equal(audio.fmtp, "sprop-stereo=1");

    /* The SSRCs are random, nonzero and differ between tracks. */
    assert_int_not_equal(video.ssrc, 0);
    assert_int_not_equal(audio.ssrc, 0);
    assert_int_not_equal(video.ssrc, audio.ssrc);

    /* 30 fps is 3,000 ticks a frame, and 20 ms Opus frames are 960 ticks. The loop keeps the
     * tracks in sync: the next pass starts where the longer track ended. Here that is the audio,
     * which both starts 14 ms before the video (Opus pre-skip) and ends 7 ms after it, so the
     * video steps by 33 + 21 ms at the loop point, and the audio by one frame only: WebM
     * keeps milliseconds, so the 6.5 ms pre-skip makes one step 21 ms, but never a whole
     * frame more (the 20 ms hole a seek to the start would leave). */
    check_stream(&c, 0, &video, 2 * 3000);
    check_stream(&c, 1, &audio, 960 + 48);
    uint64_t video_media = check_realtime(&c, 0, &video, 150000);
    uint64_t audio_media = check_realtime(&c, 1, &audio, 150000);
    /* 3 s of media out of a 2 s clip: it looped, and sent as much as the time that passed. */
    assert_true(video_media > 2700000 && video_media < elapsed + 100000);
    assert_true(audio_media > 2700000 && audio_media < elapsed + 100000);

    /* Key frames: one a second from the first packet on, and one where the loop starts, 2 s of
     * media plus the 21 ms the audio overhangs the video: the first 2.5 s hold exactly three. */
    assert_true(vp8_keyframe_start(c.packets[0][0].payload, c.packets[0][0].payload_len));
    size_t keyframes = 0;
    bool at_loop = false;
    for (size_t i = 0; i < c.n[0]; i++) {
        const struct seen *s = &c.packets[0][i];
        if (!vp8_keyframe_start(s->payload, s->payload_len))
            continue;
        uint32_t ticks = s->timestamp - c.packets[0][0].timestamp;
        keyframes += ticks < 5 * 90000 / 2;
        at_loop = at_loop || (ticks >= 2 * 90000 && ticks <= 2 * 90000 + 3000);
    }
    assert_int_equal(keyframes, 3);
    assert_true(at_loop);
    capture_free(&c);
}

/* Whether an H.264 RTP payload (RFC 6184 §5.2) carries a NAL unit of type TYPE: as a single NAL
 * unit, inside a STAP-A (§5.7.1), or as the start of a FU-A (§5.8). */
static bool h264_has_nal(const uint8_t *payload, size_t len, uint8_t type)
{
    if (len < 1)
        return false;
    uint8_t nal = payload[0] & 0x1f;
    if (nal == 24) {
        for (size_t at = 1; at + 2 < len;) {
            size_t size = be16_read(payload + at);
            if ((payload[at + 2] & 0x1f) == type)
                return true;
            at += 2 + size;
        }
        return false;
    }
    if (nal == 28)
        return len >= 2 && (payload[1] & 0x80) && (payload[1] & 0x1f) == type;
    return nal == type;
}

/* H.264 + AAC in MP4: the video is sent untouched as packetization-mode 1 with SPS and PPS in
 * front of every IDR picture, the loop's included; the AAC is transcoded to Opus, paced in real
 * time across the loop like the video. */
static void test_mp4_h264_sends_parameter_sets(void **state)
{
    const char *path = clip_mp4();
    struct capture c = {0};
    play(&c, path, true, 2600);
    assert_int_equal(c.n_tracks, 2);
    const struct file_source_track video = c.tracks[0], audio = c.tracks[1];
    assert_int_equal(audio.kind, FILE_SOURCE_AUDIO);
    assert_string_equal(audio.codec, "opus");
    assert_int_equal(audio.clock_rate, 48000);
    assert_int_equal(audio.channels, 2);
    /* 2.6 s of 20 ms frames is 130, less the encoder's start-up. */
    assert_in_range(c.n[1], 110, 135);
    uint64_t audio_media = check_realtime(&c, 1, &audio, 150000);
    assert_true(audio_media > 2200000);
    assert_int_equal(video.kind, FILE_SOURCE_VIDEO);
    assert_string_equal(video.codec, "H264");
    assert_int_equal(video.pt, 102);
    assert_int_equal(video.clock_rate, 90000);
    /* Constrained Baseline: profile_idc 66 (0x42), constraint_set0 and set1 (0xc0); the level
     * is x264's choice. No sprop-parameter-sets (in-band), no spaces, lower-case hex. */
    assert_int_equal(strlen(video.fmtp), strlen("packetization-mode=1;profile-level-id=42c00d"));
    assert_memory_equal(video.fmtp, "packetization-mode=1;profile-level-id=42c0", 42);

    check_stream(&c, 0, &video, 3000);
    check_realtime(&c, 0, &video, 150000);

    /* Group the packets by timestamp (one picture each) and look at the IDR pictures. */
    size_t idr = 0;
    for (size_t i = 0; i < c.n[0];) {
        bool has_idr = false, has_sps = false, has_pps = false;
        size_t j = i;
        for (; j < c.n[0] && c.packets[0][j].timestamp == c.packets[0][i].timestamp; j++) {
            const struct seen *s = &c.packets[0][j];
            has_idr = has_idr || h264_has_nal(s->payload, s->payload_len, 5);
            has_sps = has_sps || h264_has_nal(s->payload, s->payload_len, 7);
            has_pps = has_pps || h264_has_nal(s->payload, s->payload_len, 8);
        }
        if (has_idr && c.packets[0][i].timestamp - c.packets[0][0].timestamp < 5 * 90000 / 2) {
            idr++;
            assert_true(has_sps);
            assert_true(has_pps);
        }
        i = j;
    }
    assert_int_equal(idr, 3); /* in the first 2.5 s: at 0 s, 1 s and the loop point, 2 s */
    capture_free(&c);
}

/* Without looping the source stops at the end of the file, having sent all of it in real
 * time, and sends nothing more. */
static void test_no_loop_stops_at_end(void **state)
{
    struct capture c = {0};
    play(&c, clip_webm("0.5"), false, 1000);
    assert_false(c.running_at_stop);
    assert_int_equal(c.n_tracks, 2);
    check_stream(&c, 0, &c.tracks[0], 2 * 3000);
    check_stream(&c, 1, &c.tracks[1], 960 + 48);
    /* 15 frames, 14 gaps of 33 ms: once through, not looped. */
    uint64_t media = check_realtime(&c, 0, &c.tracks[0], 150000);
    assert_true(media > 400000 && media < 500000);
    check_realtime(&c, 1, &c.tracks[1], 150000);
    const struct seen *v = c.packets[0];
    assert_true(v[c.n[0] - 1].at_us - v[0].at_us > 400000);
    capture_free(&c);
}

/* The callback may close its own source: nothing arrives after that, and all is freed. */
static void test_close_from_callback(void **state)
{
    struct capture c = {.close_after = 5};
    play(&c, clip_webm("2"), true, 300);
    assert_int_equal(c.n[0] + c.n[1], 5);
    assert_int_equal(c.after_close, 0);
    capture_free(&c);
}

static void test_missing_file(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    const char *why = NULL;
    assert_null(
        file_source_open(&loop, "/nonexistent/onair.webm", &looping, on_packet, NULL, &why));
    assert_string_equal(why, "no such file");
    file_source_close(NULL);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A file with nothing a browser plays (only MPEG-4 part 2 video), and a file that is not media,
 * are refused with a reason. */
static void test_no_playable_track(void **state)
{
    const char *mpeg4 = clip("mpeg4-only.avi", "-f lavfi -i testsrc=size=160x120:rate=10:duration=1 "
                                               "-c:v mpeg4 -f avi");
    uv_loop_t loop;
    uv_loop_init(&loop);
    const char *why = NULL;
    assert_null(file_source_open(&loop, mpeg4, &looping, on_packet, NULL, &why));
    assert_non_null(why);
    assert_non_null(strstr(why, "no playable track"));

    char text[128];
    snprintf(text, sizeof text, "%s/not-media.webm", clip_dir);
    FILE *f = fopen(text, "w");
    assert_non_null(f);
    fputs("this is not a media file\n", f);
    fclose(f);
    why = NULL;
    assert_null(file_source_open(&loop, text, &looping, on_packet, NULL, &why));
    assert_non_null(why);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A camera that cannot be reached, or a URL that cannot be one, is refused at once with a
 * sentence naming the URL (its password hidden), and leaves nothing on the loop. */
static void test_camera_refused(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    const char *why = NULL;
    uint64_t start = clock_now_us();
    /* Port 1 on loopback: nothing listens there, so the connection is refused. */
    assert_null(file_source_open(&loop, "rtsp://admin:s3cret@127.0.0.1:1/live", &looping,
                                 on_packet, NULL, &why));
    assert_true(clock_now_us() - start < 3000000);
    assert_non_null(why);
    assert_string_equal(why, "cannot open rtsp://admin:***@127.0.0.1:1/live: Connection refused");
    why = NULL;
    assert_null(file_source_open(&loop, "rtsp:///live", &looping, on_packet, NULL, &why));
    assert_non_null(why);
    assert_non_null(strstr(why, "no host"));
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webm_loops_in_realtime),
        cmocka_unit_test(test_mp4_h264_sends_parameter_sets),
        cmocka_unit_test(test_no_loop_stops_at_end),
        cmocka_unit_test(test_close_from_callback),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_no_playable_track),
        cmocka_unit_test(test_camera_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
