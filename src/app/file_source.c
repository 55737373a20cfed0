/* file_source: plays a media file as RTP in real time, or a camera as it arrives, packetized by
 * libavformat's RTP muxer. */
#include "app/file_source.h"

#include <ctype.h>
#include <inttypes.h>
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/opt.h>
#include <libavutil/random_seed.h>
#include <stdlib.h>
#include <string.h>

#include "app/audio_transcoder.h"
#include "app/av1_packetize.h"
#include "app/live_reader.h"
#include "app/media_url.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"

/* The largest RTP packet the muxer may write, header included: it leaves room for SRTP's tag,
 * header extensions the server may add, and IPv6/UDP/TURN headers under a 1,280-byte MTU. */
#define FILE_SOURCE_MAX_RTP 1200
/* Packets due within this much of now go out in the same wake-up (timers have 1 ms grain). */
#define FILE_SOURCE_SLACK_US 1000
/* If the loop fell this far behind (a stall, a slow disk), the timeline moves forward instead of
 * bursting everything that was missed. */
#define FILE_SOURCE_RESYNC_US 500000
/* Most packets handled in one wake-up before the loop gets its turn back (a 4K keyframe is
 * ~300 RTP packets). */
#define FILE_SOURCE_MAX_BURST 1000
/* After a read error in a looping source, the wait before reading from the start again. */
#define FILE_SOURCE_RETRY_MS 1000
/* At most one "keyframe request noted" line per this many microseconds. */
#define FILE_SOURCE_KEYFRAME_LOG_US 10000000

/* FFmpeg 7 made the AVIO write callback's buffer const. */
#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define FILE_SOURCE_AVIO_CONST const
#else
#define FILE_SOURCE_AVIO_CONST
#endif

/* A codec browsers decode as it is in the file, with its SDP name and the payload type we use. */
struct file_source_codec {
    enum AVCodecID id;
    int kind;
    const char *sdp_name;
    uint8_t pt;
};

static const struct file_source_codec file_source_codecs[] = {
    {AV_CODEC_ID_VP8, FILE_SOURCE_VIDEO, "VP8", 96},
    {AV_CODEC_ID_VP9, FILE_SOURCE_VIDEO, "VP9", 98},
    {AV_CODEC_ID_H264, FILE_SOURCE_VIDEO, "H264", 102},
    {AV_CODEC_ID_AV1, FILE_SOURCE_VIDEO, "AV1", 45},
    {AV_CODEC_ID_OPUS, FILE_SOURCE_AUDIO, "opus", 111},
};

/* What other decodable audio (AAC, MP3, ...) is sent as, through an audio_transcoder. */
static const struct file_source_codec file_source_transcoded_audio = {AV_CODEC_ID_OPUS,
                                                                      FILE_SOURCE_AUDIO, "opus", 111};

/* One kept stream of the file and the RTP muxer that packetizes it. */
struct file_source_output {
    struct file_source_track track;
    struct file_source *source; /* for the AVIO write callback */
    size_t index;
    int input_stream;
    AVBSFContext *bsf; /* H.264 in MP4 form to Annex B with SPS/PPS at keyframes; or NULL */
    struct audio_transcoder *transcoder; /* audio browsers cannot play, to Opus; or NULL */
    enum AVCodecID input_codec;          /* the file stream's codec and time base, to check */
    AVRational input_tb;                 /* that a reopened file still has the same stream */
    AVRational in_tb;  /* time base of the packets given to the muxer */
    AVFormatContext *rtp; /* FFmpeg's RTP muxer; NULL for AV1, which we packetize ourselves */
    bool av1;
    uint16_t av1_seq;     /* AV1: the next RTP sequence number */
    uint32_t av1_ts_base; /* AV1: the RTP timestamp of media time 0 */
    int64_t default_duration_us; /* for packets with no duration: the last gap seen */
    int64_t last_start_us;       /* media time of the last packet, this pass */
    bool write_failed_logged;
};

struct file_source {
    uv_timer_t timer;
    char *path;               /* as logs show it: a camera URL's password hidden */
    struct live_reader *live; /* a camera's reading thread, or NULL for a file */
    char stop_reason[160];    /* why a camera source stopped, or "" */
    bool loop_forever;
    file_source_packet_cb on_packet;
    void *opaque;
    AVFormatContext *input;
    struct file_source_output outputs[2];
    size_t n_outputs;

    /* The packet read but not yet due, with its output, or pending_output < 0. */
    AVPacket *pending;
    int pending_output;

    /* Media time: microseconds since the start of the first pass. A packet's media time is its
     * time in the file minus file_start_us plus loop_offset_us, and it is due on the wall clock
     * at clock_base_us plus its media time. */
    int64_t file_start_us;
    int64_t loop_offset_us;
    int64_t pass_end_us;   /* the furthest end of a packet in this pass, in file time */
    uint64_t pass_packets; /* packets sent in this pass */
    uint64_t clock_base_us;

    bool running;
    bool busy;            /* inside the timer callback: closing must wait for it to return */
    bool close_requested; /* file_source_close() was called while busy */
    bool read_error_logged;
    bool filter_error_logged;
    bool decode_error_logged;
    uint64_t keyframe_requests;
    uint64_t keyframe_logged_us;
};

static void file_source_on_timer(uv_timer_t *timer);

/* Which codec table entry, if any, a stream is sent as: browsers' codecs as they are, and other
 * audio that FFmpeg decodes as Opus, transcoded (AAC from OBS and most MP4 files would
 * otherwise be silent in a browser). Video is never re-encoded. */
static const struct file_source_codec *file_source_codec_choice(const char *path,
                                                                const AVStream *stream)
{
    const AVCodecParameters *par = stream->codecpar;
    for (size_t i = 0; i < sizeof file_source_codecs / sizeof file_source_codecs[0]; i++) {
        if (file_source_codecs[i].id == par->codec_id)
            return &file_source_codecs[i];
    }
    const char *name = avcodec_get_name(par->codec_id);
    if (par->codec_type == AVMEDIA_TYPE_AUDIO && avcodec_find_decoder(par->codec_id)) {
        log_info("file source %s: stream %d, %s audio, is transcoded to Opus", path,
                 stream->index, name);
        return &file_source_transcoded_audio;
    }
    if (par->codec_type == AVMEDIA_TYPE_AUDIO || par->codec_type == AVMEDIA_TYPE_VIDEO)
        log_info("file source %s: skipping stream %d, %s is not a WebRTC codec", path,
                 stream->index, name);
    return NULL;
}

/* A random SSRC (RFC 3550 §8.1), nonzero and different from the tracks made before. */
static uint32_t file_source_new_ssrc(const struct file_source *src)
{
    for (;;) {
        uint32_t ssrc = av_get_random_seed();
        bool taken = ssrc == 0;
        for (size_t i = 0; i < src->n_outputs; i++)
            taken = taken || src->outputs[i].track.ssrc == ssrc;
        if (!taken)
            return ssrc;
    }
}

/* The AVIO write callback of a track's RTP muxer: the muxer flushes after each RTP packet (and
 * its packets fit the buffer), so every call is exactly one packet. */
static int file_source_on_rtp(void *opaque, FILE_SOURCE_AVIO_CONST uint8_t *buf, int size)
{
    struct file_source_output *out = opaque;
    struct file_source *src = out->source;
    if (src->running && !src->close_requested && size >= 12)
        src->on_packet(src->opaque, out->index, buf, (size_t)size);
    return size;
}

/* Sets up the bitstream filter H.264 from MP4/MOV needs: length-prefixed NAL units become Annex
 * B and the SPS/PPS from the avcC box go in front of every IDR picture, so a viewer that joins
 * at any keyframe can decode. Streams already in Annex B (TS, raw .h264) pass untouched, except
 * a camera's: many send their SPS/PPS only in the RTSP SDP (sprop-parameter-sets, which FFmpeg
 * puts in the extradata), so dump_extra puts them in front of every keyframe. */
static int file_source_open_bsf(struct file_source_output *out, const AVStream *stream, bool live)
{
    const AVCodecParameters *par = stream->codecpar;
    out->in_tb = stream->time_base;
    if (par->codec_id != AV_CODEC_ID_H264 || par->extradata_size < 4)
        return 0;
    bool avcc = par->extradata_size >= 7 && par->extradata[0] == 1;
    if (!avcc && !live)
        return 0;
    const AVBitStreamFilter *filter = av_bsf_get_by_name(avcc ? "h264_mp4toannexb" : "dump_extra");
    if (!filter || av_bsf_alloc(filter, &out->bsf) < 0)
        return -1;
    if (avcodec_parameters_copy(out->bsf->par_in, par) < 0)
        return -1;
    out->bsf->time_base_in = stream->time_base;
    if (!avcc && av_opt_set(out->bsf->priv_data, "freq", "keyframe", 0) < 0)
        return -1;
    if (av_bsf_init(out->bsf) < 0)
        return -1;
    out->in_tb = out->bsf->time_base_out;
    return 0;
}

/* Copies the fmtp line of the muxer's SDP into the track, without sprop-parameter-sets: the
 * parameter sets travel in-band before every keyframe, and they can be long. The parameters are
 * joined with ";" and no spaces, as browsers write them. */
static void file_source_fill_fmtp(struct file_source_output *out)
{
    char sdp[4096];
    out->track.fmtp[0] = '\0';
    if (av_sdp_create(&out->rtp, 1, sdp, sizeof sdp) < 0)
        return;
    const char *line = strstr(sdp, "a=fmtp:");
    const char *params = line ? strchr(line, ' ') : NULL;
    if (!params)
        return;
    size_t end = strcspn(params, "\r\n");
    char *copy = xstrndup(params, end);
    char *save = NULL;
    for (char *p = strtok_r(copy, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
        while (*p == ' ')
            p++;
        size_t n = strlen(p);
        while (n > 0 && p[n - 1] == ' ')
            p[--n] = '\0';
        if (n == 0 || strncmp(p, "sprop-parameter-sets=", 21) == 0)
            continue;
        /* FFmpeg writes the H.264 profile in upper case; browsers write and expect lower. */
        if (strncmp(p, "profile-level-id=", 17) == 0) {
            for (char *c = p + 17; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        }
        if (out->track.fmtp[0])
            av_strlcat(out->track.fmtp, ";", sizeof out->track.fmtp);
        av_strlcat(out->track.fmtp, p, sizeof out->track.fmtp);
    }
    free(copy);
}

/* Makes the track's RTP muxer: one "rtp" AVFormatContext whose AVIO hands each packet to
 * file_source_on_rtp. The payload type and SSRC are ours; RTCP is off because the server
 * writes its own sender reports. */
static int file_source_open_muxer(struct file_source_output *out, const AVStream *stream)
{
    if (avformat_alloc_output_context2(&out->rtp, NULL, "rtp", NULL) < 0)
        return -1;
    /* VP9 (and AV1 where FFmpeg has it) are "experimental" RTP payloads to FFmpeg. */
    out->rtp->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;
    uint8_t *buffer = av_malloc(FILE_SOURCE_MAX_RTP);
    if (!buffer)
        return -1;
    out->rtp->pb =
        avio_alloc_context(buffer, FILE_SOURCE_MAX_RTP, 1, out, NULL, file_source_on_rtp, NULL);
    if (!out->rtp->pb) {
        av_free(buffer);
        return -1;
    }
    out->rtp->pb->max_packet_size = FILE_SOURCE_MAX_RTP;
    out->rtp->flags |= AVFMT_FLAG_CUSTOM_IO;

    AVStream *rtp_stream = avformat_new_stream(out->rtp, NULL);
    if (!rtp_stream)
        return -1;
    const AVCodecParameters *par = out->transcoder ? audio_transcoder_params(out->transcoder)
                                   : out->bsf      ? out->bsf->par_out
                                                   : stream->codecpar;
    if (avcodec_parameters_copy(rtp_stream->codecpar, par) < 0)
        return -1;
    rtp_stream->codecpar->codec_tag = 0;
    rtp_stream->time_base = out->in_tb;

    char pt[8], ssrc[16];
    snprintf(pt, sizeof pt, "%u", out->track.pt);
    /* The option is a signed int: pass the same 32 bits as one. */
    snprintf(ssrc, sizeof ssrc, "%" PRId32, (int32_t)out->track.ssrc);
    AVDictionary *options = NULL;
    av_dict_set(&options, "payload_type", pt, 0);
    av_dict_set(&options, "ssrc", ssrc, 0);
    av_dict_set(&options, "rtpflags", "skip_rtcp", 0);
    int rc = avformat_write_header(out->rtp, &options);
    av_dict_free(&options);
    if (rc < 0)
        return -1;
    out->track.clock_rate = (uint32_t)rtp_stream->time_base.den;
    file_source_fill_fmtp(out);
    return 0;
}

/* Frees what file_source_add_output made; safe on a half-made output. */
static void file_source_free_output(struct file_source_output *out)
{
    if (out->rtp) {
        if (out->rtp->pb) {
            av_freep(&out->rtp->pb->buffer);
            avio_context_free(&out->rtp->pb);
        }
        avformat_free_context(out->rtp);
        out->rtp = NULL;
    }
    av_bsf_free(&out->bsf);
    audio_transcoder_free(out->transcoder);
    out->transcoder = NULL;
}

/* Adds STREAM as the next track, or returns -1 (with nothing added) if it cannot be packetized. */
static int file_source_add_output(struct file_source *src, const AVStream *stream,
                                  const struct file_source_codec *codec)
{
    struct file_source_output *out = &src->outputs[src->n_outputs];
    memset(out, 0, sizeof *out);
    out->source = src;
    out->index = src->n_outputs;
    out->input_stream = stream->index;
    out->track.kind = codec->kind;
    av_strlcpy(out->track.codec, codec->sdp_name, sizeof out->track.codec);
    out->track.pt = codec->pt;
    out->track.channels = codec->kind == FILE_SOURCE_AUDIO ? 2 : 0;
    out->track.ssrc = file_source_new_ssrc(src);
    out->default_duration_us = codec->kind == FILE_SOURCE_AUDIO ? 20000 : 33333;
    out->last_start_us = -1;
    out->input_codec = stream->codecpar->codec_id;
    out->input_tb = stream->time_base;
    if (codec == &file_source_transcoded_audio) {
        const char *why = NULL;
        out->transcoder = audio_transcoder_new(stream->codecpar, stream->time_base, &why);
        if (!out->transcoder) {
            log_warn("file source %s: cannot transcode stream %d to Opus: %s", src->path,
                     stream->index, why);
            memset(out, 0, sizeof *out);
            return -1;
        }
    }
    int rc = 0;
    if (codec->id == AV_CODEC_ID_AV1) {
        /* FFmpeg before 7 has no AV1 RTP muxer: av1_packetize does it (random bases, as the
         * muxer would pick). */
        out->av1 = true;
        out->in_tb = stream->time_base;
        out->track.clock_rate = 90000;
        out->av1_seq = (uint16_t)av_get_random_seed();
        out->av1_ts_base = av_get_random_seed();
    } else if (out->transcoder) {
        out->in_tb = (AVRational){1, AUDIO_TRANSCODER_RATE}; /* what the encoder stamps */
    } else {
        rc = file_source_open_bsf(out, stream, src->live != NULL);
    }
    if (rc < 0 || (!out->av1 && file_source_open_muxer(out, stream) < 0)) {
        log_warn("file source %s: cannot packetize stream %d (%s) as RTP with this FFmpeg",
                 src->path, stream->index, codec->sdp_name);
        file_source_free_output(out);
        memset(out, 0, sizeof *out);
        return -1;
    }
    src->n_outputs++;
    log_info("file source %s: track %zu from stream %d: %s/%" PRIu32 " pt %u ssrc %08" PRIx32
             "%s%s",
             src->path, out->index, stream->index, out->track.codec, out->track.clock_rate,
             out->track.pt, out->track.ssrc, out->track.fmtp[0] ? " fmtp " : "", out->track.fmtp);
    return 0;
}

/* Keeps the first video and the first audio stream that can be sent, video first. */
static void file_source_pick_tracks(struct file_source *src)
{
    static const int kinds[] = {FILE_SOURCE_VIDEO, FILE_SOURCE_AUDIO};
    for (size_t k = 0; k < 2; k++) {
        for (unsigned i = 0; i < src->input->nb_streams; i++) {
            const AVStream *stream = src->input->streams[i];
            enum AVMediaType type = stream->codecpar->codec_type;
            if ((kinds[k] == FILE_SOURCE_VIDEO) != (type == AVMEDIA_TYPE_VIDEO))
                continue;
            if (type != AVMEDIA_TYPE_VIDEO && type != AVMEDIA_TYPE_AUDIO)
                continue;
            if (stream->disposition & AV_DISPOSITION_ATTACHED_PIC)
                continue;
            const struct file_source_codec *codec = file_source_codec_choice(src->path, stream);
            if (codec && file_source_add_output(src, stream, codec) == 0)
                break;
        }
    }
}

/* Frees the FFmpeg side; the timer and the struct are the caller's business. */
static void file_source_free_media(struct file_source *src)
{
    for (size_t i = 0; i < src->n_outputs; i++) {
        /* The trailer frees the muxer's packet buffer; no RTCP BYE is asked for, so it writes
         * nothing (and the write callback would drop it: running is false). */
        if (src->outputs[i].rtp)
            av_write_trailer(src->outputs[i].rtp);
        file_source_free_output(&src->outputs[i]);
    }
    src->n_outputs = 0;
    av_packet_free(&src->pending);
    avformat_close_input(&src->input);
}

/* Opens src->path into src->input and reads its stream parameters. Returns 0, or an AVERROR
 * with *WHY set. */
static int file_source_open_input(struct file_source *src, const char **why)
{
    /* "-" is standard input: a pipe FFmpeg probes for its format (MPEG-TS, typically). */
    const char *url = strcmp(src->path, "-") == 0 ? "pipe:0" : src->path;
    int rc = avformat_open_input(&src->input, url, NULL, NULL);
    if (rc < 0) {
        *why = rc == AVERROR(ENOENT) ? "no such file" : "cannot open the file as media";
        return rc;
    }
    rc = avformat_find_stream_info(src->input, NULL);
    if (rc < 0) {
        avformat_close_input(&src->input);
        *why = "cannot read the file's streams";
        return rc;
    }
    src->file_start_us = src->input->start_time != AV_NOPTS_VALUE ? src->input->start_time : 0;
    return 0;
}

static void file_source_on_live_ready(void *opaque)
{
    struct file_source *src = opaque;
    if (!src->busy)
        uv_timer_start(&src->timer, file_source_on_timer, 0, 0);
}

/* The sentence a failed open of a camera leaves in *WHY: it names the URL, since it stands
 * alone in a message ("cannot open rtsp://cam/live: Connection refused"). */
static _Thread_local char file_source_why[512];

/* A camera connected to, not yet sending: file_source_connect_camera's result. */
struct file_source_camera {
    char *path; /* as logs show it */
    bool loop_forever;
    struct live_reader *reader;
    AVFormatContext *streams;
};

struct file_source_camera *file_source_connect_camera(const char *url,
                                                      const struct file_source_options *options,
                                                      char *why, size_t cap)
{
    char shown[512], label[600];
    media_url_redact(shown, sizeof shown, url);
    if (options->label)
        snprintf(label, sizeof label, "%s (%s)", options->label, shown);
    else
        snprintf(label, sizeof label, "%s", shown);
    struct live_reader_options live = {options->rtsp_transport, options->loop_forever,
                                       options->cancel};
    struct file_source_camera *camera = xcalloc(1, sizeof *camera);
    int rc = 0;
    camera->reader = live_reader_open(url, label, &live, &camera->streams, &rc);
    if (!camera->reader) {
        char error[AV_ERROR_MAX_STRING_SIZE];
        snprintf(why, cap, "cannot open %s: %s", shown,
                 rc == AVERROR_EXIT ? "no answer in time"
                 : rc == AVERROR_INVALIDDATA
                     ? "no RTSP answer it could read (is this the camera's RTSP port?)"
                     : av_make_error_string(error, sizeof error, rc));
        free(camera);
        return NULL;
    }
    camera->path = xstrdup(shown);
    camera->loop_forever = options->loop_forever;
    return camera;
}

void file_source_camera_free(struct file_source_camera *camera)
{
    if (!camera)
        return;
    live_reader_close(camera->reader); /* never started: freed at once */
    avformat_close_input(&camera->streams);
    free(camera->path);
    free(camera);
}

/* Says what a camera without a video track browsers play sends instead, in *WHY. */
static void file_source_no_live_video(struct file_source *src, const char **why)
{
    const char *video = NULL;
    for (unsigned i = 0; i < src->input->nb_streams && !video; i++) {
        const AVCodecParameters *par = src->input->streams[i]->codecpar;
        if (par->codec_type == AVMEDIA_TYPE_VIDEO)
            video = avcodec_get_name(par->codec_id);
    }
    if (video)
        snprintf(file_source_why, sizeof file_source_why,
                 "%s sends %s video; browsers need H.264 (or VP8, VP9, AV1): set the camera's "
                 "stream to H.264",
                 src->path, video);
    else
        snprintf(file_source_why, sizeof file_source_why, "%s sends no video", src->path);
    *why = file_source_why;
}

/* What opening a file and a camera share, once the input is open: picks the tracks and starts
 * sending on LOOP. On failure frees SRC and returns NULL with *WHY set. */
/* H.264 with B-frames: frames come in decode order with presentation times going back and
 * forth, which WebRTC's receivers do not reorder (RTP timestamps must rise in sending order),
 * so browsers stutter or freeze. Such a file is refused with the command that fixes it rather
 * than sent badly. Says so in *WHY and returns true. */
static bool file_source_has_b_frames(struct file_source *src, const char **why)
{
    for (unsigned i = 0; i < src->input->nb_streams; i++) {
        const AVCodecParameters *par = src->input->streams[i]->codecpar;
        if (par->codec_type != AVMEDIA_TYPE_VIDEO || par->codec_id != AV_CODEC_ID_H264)
            continue;
        if (par->video_delay <= 0)
            return false;
        snprintf(file_source_why, sizeof file_source_why,
                 "its H.264 uses B-frames, which WebRTC cannot carry (browsers would play it out "
                 "of order); re-encode the video without them: ffmpeg -i IN -c:v libx264 -bf 0 "
                 "-c:a copy OUT");
        *why = file_source_why;
        return true;
    }
    return false;
}

static struct file_source *file_source_start(struct file_source *src, uv_loop_t *loop,
                                             const char **why)
{
    if (file_source_has_b_frames(src, why))
        goto err;
    file_source_pick_tracks(src);
    if (src->live && (src->n_outputs == 0 || src->outputs[0].track.kind != FILE_SOURCE_VIDEO)) {
        file_source_no_live_video(src, why);
        goto err;
    }
    if (src->n_outputs == 0) {
        *why = "no playable track (needs VP8, VP9, H264 or AV1 video, or audio FFmpeg decodes)";
        goto err;
    }
    src->pending = av_packet_alloc();
    if (!src->pending)
        abort(); /* out of memory: as xmalloc does */
    uv_timer_init(loop, &src->timer);
    src->timer.data = src;
    if (src->live)
        live_reader_start(src->live, loop, file_source_on_live_ready, src);
    src->running = true;
    src->clock_base_us = clock_now_us();
    uv_timer_start(&src->timer, file_source_on_timer, 0, 0);
    return src;

err:
    live_reader_close(src->live); /* never started: freed at once */
    file_source_free_media(src);
    free(src->path);
    free(src);
    return NULL;
}

static struct file_source *file_source_new(char *path, bool loop_forever,
                                           file_source_packet_cb on_packet, void *opaque)
{
    struct file_source *src = xcalloc(1, sizeof *src);
    src->path = path;
    src->loop_forever = loop_forever;
    src->on_packet = on_packet;
    src->opaque = opaque;
    src->pending_output = -1;
    return src;
}

struct file_source *file_source_open_camera(uv_loop_t *loop, struct file_source_camera *camera,
                                            file_source_packet_cb on_packet, void *opaque,
                                            const char **why)
{
    struct file_source *src =
        file_source_new(camera->path, camera->loop_forever, on_packet, opaque);
    src->live = camera->reader;
    src->input = camera->streams;
    free(camera);
    src->file_start_us = src->input->start_time != AV_NOPTS_VALUE ? src->input->start_time : 0;
    return file_source_start(src, loop, why);
}

struct file_source *file_source_open(uv_loop_t *loop, const char *path,
                                     const struct file_source_options *options,
                                     file_source_packet_cb on_packet, void *opaque,
                                     const char **why)
{
    struct media_url url;
    const char *url_why = NULL;
    if (media_url_parse(&url, path, &url_why) < 0) {
        *why = url_why;
        return NULL;
    }
    if (url.kind == MEDIA_URL_RTSP) {
        struct file_source_camera *camera =
            file_source_connect_camera(path, options, file_source_why, sizeof file_source_why);
        if (!camera) {
            *why = file_source_why;
            return NULL;
        }
        return file_source_open_camera(loop, camera, on_packet, opaque, why);
    }
    struct file_source *src =
        file_source_new(xstrdup(path), options->loop_forever, on_packet, opaque);
    int rc = file_source_open_input(src, why);
    if (rc < 0) {
        log_warn("file source %s: %s: %s", src->path, *why, av_err2str(rc));
        file_source_free_media(src);
        free(src->path);
        free(src);
        return NULL;
    }
    return file_source_start(src, loop, why);
}

size_t file_source_track_count(const struct file_source *source)
{
    return source->n_outputs;
}

const struct file_source_track *file_source_track(const struct file_source *source, size_t i)
{
    return i < source->n_outputs ? &source->outputs[i].track : NULL;
}

int64_t file_source_duration_us(const struct file_source *source)
{
    if (source->live || !source->input || source->input->duration == AV_NOPTS_VALUE ||
        source->input->duration <= 0)
        return -1;
    return source->input->duration; /* AV_TIME_BASE is microseconds */
}

bool file_source_running(const struct file_source *source)
{
    return source->running;
}

bool file_source_is_live(const struct file_source *source)
{
    return source->live != NULL;
}

const char *file_source_stop_reason(const struct file_source *source)
{
    return source->stop_reason[0] ? source->stop_reason : NULL;
}

void file_source_request_keyframe(struct file_source *source)
{
    source->keyframe_requests++;
    uint64_t now = clock_now_us();
    uint64_t since = now - source->keyframe_logged_us;
    if (source->keyframe_logged_us && since < FILE_SOURCE_KEYFRAME_LOG_US)
        return;
    source->keyframe_logged_us = now;
    log_info("file source %s: keyframe request noted (%" PRIu64 " so far); %s", source->path,
             source->keyframe_requests,
             source->live ? "a camera sends keyframes at its own interval"
                          : "a file sends the keyframes it has");
}

/* Microseconds of file time of a packet timestamp in an output's time base. */
static int64_t file_source_us(const struct file_source_output *out, int64_t ts)
{
    return av_rescale_q(ts, out->in_tb, AV_TIME_BASE_Q);
}

/* A camera's packet without a timestamp (FFmpeg's RTSP demuxer leaves the first H.264 frame
 * without one, and it is the keyframe) gets its track's last one: a live source is sent as it
 * arrives, so the timestamp only has to keep the track's order. */
static void file_source_live_stamp(const struct file_source *src,
                                   const struct file_source_output *out, AVPacket *pkt)
{
    int64_t us = src->file_start_us + (out->last_start_us >= 0 ? out->last_start_us : 0);
    pkt->pts = pkt->dts = av_rescale_q(us, AV_TIME_BASE_Q, out->input_tb);
}

static bool file_source_same_streams(const struct file_source *src);
static void file_source_new_pass(struct file_source *src);

/* The camera was connected again (STREAMS: its new connection's streams). Its packets carry on
 * from where the wall clock is, so the RTP timestamps jump by as long as the outage lasted, as a
 * receiver expects of a pause; the muxers, kept, keep the SSRCs and carry the sequence numbers
 * on, so viewers stay and their decoders wait for the keyframe that comes. Returns 0, or -1
 * (the source stopped) when the camera now sends other codecs. */
static int file_source_live_reopened(struct file_source *src, AVFormatContext *streams)
{
    avformat_close_input(&src->input);
    src->input = streams;
    if (!file_source_same_streams(src)) {
        snprintf(src->stop_reason, sizeof src->stop_reason,
                 "after reconnecting, the camera sends other codecs than before");
        log_error("source %s: %s; stopping", src->path, src->stop_reason);
        src->running = false;
        return -1;
    }
    file_source_new_pass(src);
    /* The camera may have new parameter sets (its resolution changed while it was away): the
     * filter that puts them in front of keyframes takes the new connection's. */
    for (size_t i = 0; i < src->n_outputs; i++) {
        struct file_source_output *out = &src->outputs[i];
        if (!out->bsf)
            continue;
        av_bsf_free(&out->bsf);
        if (file_source_open_bsf(out, streams->streams[out->input_stream], true) < 0) {
            av_bsf_free(&out->bsf);
            log_warn("source %s: the camera's new H.264 parameter sets cannot be used; keyframes "
                     "go without them",
                     src->path);
        }
    }
    int64_t now_media = (int64_t)(clock_now_us() - src->clock_base_us);
    if (now_media > src->loop_offset_us)
        src->loop_offset_us = now_media;
    src->file_start_us = streams->start_time != AV_NOPTS_VALUE ? streams->start_time : 0;
    return 0;
}

/* The next packet of the input: read from the file, or taken from the camera's queue, where a
 * reconnection also shows up (handled here: the caller only sees packets). */
static int file_source_next(struct file_source *src, AVPacket *pkt)
{
    if (!src->live)
        return av_read_frame(src->input, pkt);
    for (;;) {
        AVFormatContext *streams = NULL;
        int rc = live_reader_pop(src->live, pkt, &streams);
        if (rc != 1)
            return rc;
        if (file_source_live_reopened(src, streams) < 0)
            return AVERROR(EINVAL);
    }
}

/* Gets the next packet of a kept stream into src->pending, through the output's bitstream
 * filter if it has one. Returns 0, AVERROR_EOF at the end, or another AVERROR from reading. A
 * packet the filter refuses (malformed NAL unit lengths) is dropped, not a reason to stop. */
static int file_source_read(struct file_source *src)
{
    AVPacket *pkt = src->pending;
    for (size_t i = 0; i < src->n_outputs; i++) {
        struct file_source_output *out = &src->outputs[i];
        if ((out->bsf && av_bsf_receive_packet(out->bsf, pkt) == 0) ||
            (out->transcoder && audio_transcoder_receive(out->transcoder, pkt) == 0)) {
            src->pending_output = (int)i;
            return 0;
        }
    }
    for (;;) {
        int rc = file_source_next(src, pkt);
        if (rc < 0)
            return rc;
        struct file_source_output *out = NULL;
        for (size_t i = 0; i < src->n_outputs; i++) {
            if (src->outputs[i].input_stream == pkt->stream_index)
                out = &src->outputs[i];
        }
        if (out && src->live && pkt->pts == AV_NOPTS_VALUE && pkt->dts == AV_NOPTS_VALUE)
            file_source_live_stamp(src, out, pkt);
        if (!out || (pkt->pts == AV_NOPTS_VALUE && pkt->dts == AV_NOPTS_VALUE)) {
            av_packet_unref(pkt);
            continue;
        }
        if (out->transcoder) {
            rc = audio_transcoder_send(out->transcoder, pkt);
            av_packet_unref(pkt);
            if (rc < 0 && !src->decode_error_logged) {
                log_warn("file source %s: dropping audio packets the decoder refuses (%s)",
                         src->path, av_err2str(rc));
                src->decode_error_logged = true;
            }
            if (audio_transcoder_receive(out->transcoder, pkt) != 0)
                continue;
        } else if (out->bsf) {
            rc = av_bsf_send_packet(out->bsf, pkt);
            av_packet_unref(pkt);
            if (rc >= 0)
                rc = av_bsf_receive_packet(out->bsf, pkt);
            if (rc == AVERROR(EAGAIN))
                continue;
            if (rc < 0) {
                if (!src->filter_error_logged)
                    log_warn("file source %s: dropping malformed H.264 packets (%s)", src->path,
                             av_err2str(rc));
                src->filter_error_logged = true;
                continue;
            }
        }
        src->pending_output = (int)out->index;
        return 0;
    }
}

/* Whether the reopened file still has the streams the outputs were made for. */
static bool file_source_same_streams(const struct file_source *src)
{
    for (size_t i = 0; i < src->n_outputs; i++) {
        const struct file_source_output *out = &src->outputs[i];
        if (out->input_stream >= (int)src->input->nb_streams)
            return false;
        const AVStream *stream = src->input->streams[out->input_stream];
        if (stream->codecpar->codec_id != out->input_codec ||
            av_cmp_q(stream->time_base, out->input_tb) != 0)
            return false;
    }
    return true;
}

/* Moves the media time past the pass that ended and forgets what the filters buffered. */
static void file_source_new_pass(struct file_source *src)
{
    src->loop_offset_us += src->pass_end_us;
    src->pass_end_us = 0;
    src->pass_packets = 0;
    for (size_t i = 0; i < src->n_outputs; i++) {
        if (src->outputs[i].bsf)
            av_bsf_flush(src->outputs[i].bsf);
        if (src->outputs[i].transcoder)
            audio_transcoder_reset(src->outputs[i].transcoder);
        src->outputs[i].last_start_us = -1;
    }
}

/* Starts the next pass of a looping source, by opening the file again: a seek to the start is
 * not exact (Matroska's drops the packets of other streams that come before the first video
 * keyframe, and WebM's first Opus packet has a negative timestamp: a 20 ms hole in the audio
 * at every loop), while a fresh open gives the same packets every pass, in any format. The next
 * pass's media time begins where this pass's furthest packet ended, so timestamps keep
 * increasing; the muxers, kept, keep their sequence numbers and timestamp base.
 * Returns true when reading may go on at once; otherwise the source either stopped or waits for
 * its timer to try again (src->input is then NULL). */
static bool file_source_restart(struct file_source *src)
{
    file_source_new_pass(src);
    avformat_close_input(&src->input);
    const char *why = NULL;
    int rc = file_source_open_input(src, &why);
    if (rc < 0) {
        if (!src->read_error_logged)
            log_error("file source %s: cannot open again to loop (%s: %s); retrying every %d ms",
                      src->path, why, av_err2str(rc), FILE_SOURCE_RETRY_MS);
        src->read_error_logged = true;
        uv_timer_start(&src->timer, file_source_on_timer, FILE_SOURCE_RETRY_MS, 0);
        return false;
    }
    if (!file_source_same_streams(src)) {
        log_error("file source %s: the file's streams changed; stopping", src->path);
        src->running = false;
        return false;
    }
    return true;
}

/* Handles the end of a pass (READ_RC is AVERROR_EOF or a read error): loop, retry or stop.
 * Returns true when reading may go on at once. */
static bool file_source_end_of_pass(struct file_source *src, int read_rc)
{
    if (src->live) {
        /* A camera that reconnects never ends here: its thread logged the loss and the
         * attempts. This one was not to reconnect, or now sends other codecs. */
        char buf[AV_ERROR_MAX_STRING_SIZE];
        if (!src->stop_reason[0])
            snprintf(src->stop_reason, sizeof src->stop_reason, "%s",
                     live_reader_describe(read_rc, buf, sizeof buf));
        src->running = false;
        return false;
    }
    bool eof = read_rc == AVERROR_EOF;
    if (!eof && !src->read_error_logged) {
        log_error("file source %s: read error: %s%s", src->path, av_err2str(read_rc),
                  src->loop_forever ? "; starting again from the beginning" : "");
        src->read_error_logged = true;
    }
    if (!src->loop_forever) {
        if (eof)
            log_info("file source %s: ended", src->path);
        src->running = false;
        return false;
    }
    if (src->pass_packets == 0) {
        /* Nothing was sent in a whole pass: at EOF the file has no packet of its tracks; after
         * an error, opening again at once could spin. */
        if (eof) {
            log_error("file source %s: a whole pass gave no packet; stopping", src->path);
            src->running = false;
            return false;
        }
        avformat_close_input(&src->input);
        uv_timer_start(&src->timer, file_source_on_timer, FILE_SOURCE_RETRY_MS, 0);
        return false;
    }
    return file_source_restart(src);
}

/* The media time (microseconds from the first pass's start) of a packet of OUT. */
static int64_t file_source_media_us(const struct file_source *src,
                                    const struct file_source_output *out, int64_t ts)
{
    int64_t t = file_source_us(out, ts) - src->file_start_us;
    return (t < 0 ? 0 : t) + src->loop_offset_us;
}

/* One AV1 RTP payload from av1_packetize: our RTP header in front, and out. */
struct file_source_av1_emit {
    struct file_source *src;
    struct file_source_output *out;
    uint32_t timestamp;
};

static void file_source_av1_emit(void *opaque, const uint8_t *payload, size_t len, bool last)
{
    struct file_source_av1_emit *e = opaque;
    struct file_source_output *out = e->out;
    uint8_t pkt[FILE_SOURCE_MAX_RTP];
    uint16_t seq = out->av1_seq++;
    uint32_t ts = e->timestamp, ssrc = out->track.ssrc;
    uint8_t header[12] = {0x80, (uint8_t)(out->track.pt | (last ? 0x80 : 0)), (uint8_t)(seq >> 8),
                          (uint8_t)seq, (uint8_t)(ts >> 24), (uint8_t)(ts >> 16),
                          (uint8_t)(ts >> 8), (uint8_t)ts, (uint8_t)(ssrc >> 24),
                          (uint8_t)(ssrc >> 16), (uint8_t)(ssrc >> 8), (uint8_t)ssrc};
    memcpy(pkt, header, sizeof header);
    memcpy(pkt + sizeof header, payload, len);
    if (e->src->running && !e->src->close_requested)
        e->src->on_packet(e->src->opaque, out->index, pkt, sizeof header + len);
}

/* Hands the pending packet to its muxer, which calls back once per RTP packet. Timestamps go in
 * as media time, so the RTP timestamps (the muxer's random base plus them) carry on over loops. */
static void file_source_send(struct file_source *src)
{
    struct file_source_output *out = &src->outputs[src->pending_output];
    AVPacket *pkt = src->pending;
    src->pending_output = -1;

    AVRational rtp_tb = out->rtp ? out->rtp->streams[0]->time_base : (AVRational){1, 90000};
    int64_t pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    int64_t start_us = file_source_us(out, pts) - src->file_start_us;
    int64_t duration_us = pkt->duration > 0 ? file_source_us(out, pkt->duration) : 0;
    if (out->last_start_us >= 0 && start_us > out->last_start_us)
        out->default_duration_us = start_us - out->last_start_us;
    out->last_start_us = start_us;
    int64_t end_us = start_us + (duration_us > 0 ? duration_us : out->default_duration_us);
    if (end_us > src->pass_end_us)
        src->pass_end_us = end_us;

    pkt->pts = av_rescale_q(file_source_media_us(src, out, pts), AV_TIME_BASE_Q, rtp_tb);
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts = av_rescale_q(file_source_media_us(src, out, pkt->dts), AV_TIME_BASE_Q, rtp_tb);
    pkt->duration = av_rescale_q(pkt->duration, out->in_tb, rtp_tb);
    pkt->stream_index = 0;
    pkt->pos = -1;
    int rc = 0;
    if (out->av1) {
        struct file_source_av1_emit e = {src, out, out->av1_ts_base + (uint32_t)pkt->pts};
        if (av1_packetize(pkt->data, (size_t)pkt->size, FILE_SOURCE_MAX_RTP - 12,
                          file_source_av1_emit, &e) < 0)
            rc = AVERROR_INVALIDDATA;
    } else {
        rc = av_write_frame(out->rtp, pkt);
    }
    if (rc < 0 && !out->write_failed_logged) {
        log_warn("file source %s: track %zu: a packet could not be sent (%s); dropping such "
                 "packets",
                 src->path, out->index, av_err2str(rc));
        out->write_failed_logged = true;
    }
    src->pass_packets++;
    av_packet_unref(pkt);
}

/* Sends every packet that is due, then sleeps until the next one is. */
static void file_source_pump(struct file_source *src)
{
    for (size_t steps = 0; src->running && !src->close_requested; steps++) {
        if (steps == FILE_SOURCE_MAX_BURST) {
            /* 1 ms, not 0: libuv 1.44 runs a timer re-armed at 0 from its own callback again in
             * the same turn, which would starve the loop all the same. */
            uv_timer_start(&src->timer, file_source_on_timer, 1, 0);
            return;
        }
        if (!src->input && !file_source_restart(src))
            return; /* waiting to open the file again after an error */
        if (src->pending_output < 0) {
            int rc = file_source_read(src);
            if (rc == AVERROR(EAGAIN)) {
                /* A camera's thread wakes the loop when it has more; files never say "not
                 * yet", but other live inputs FFmpeg reads might. */
                if (!src->live)
                    uv_timer_start(&src->timer, file_source_on_timer, 5, 0);
                return;
            }
            if (rc < 0) {
                if (file_source_end_of_pass(src, rc))
                    continue;
                return;
            }
        }
        if (src->live) {
            /* A camera is paced by its arrival: it already came in real time, and timing it
             * again by its timestamps would only add their jitter as delay. */
            file_source_send(src);
            continue;
        }
        const struct file_source_output *out = &src->outputs[src->pending_output];
        int64_t ts = src->pending->dts != AV_NOPTS_VALUE ? src->pending->dts : src->pending->pts;
        uint64_t due = src->clock_base_us + (uint64_t)file_source_media_us(src, out, ts);
        uint64_t now = clock_now_us();
        if (due > now + FILE_SOURCE_SLACK_US) {
            uint64_t wait_ms = (due - now + 999) / 1000;
            uv_timer_start(&src->timer, file_source_on_timer, wait_ms, 0);
            return;
        }
        if (now > due + FILE_SOURCE_RESYNC_US) {
            log_debug("file source %s: %" PRIu64 " ms behind; moving the timeline", src->path,
                      (now - due) / 1000);
            src->clock_base_us += now - due;
        }
        file_source_send(src);
    }
}

static void file_source_on_closed(uv_handle_t *handle)
{
    free(handle->data);
}

/* Frees everything; the struct itself goes when the timer handle is closed. */
static void file_source_destroy(struct file_source *src)
{
    src->running = false;
    uv_timer_stop(&src->timer);
    /* The reading thread goes first: it may be using the input's packets' memory. */
    live_reader_close(src->live);
    src->live = NULL;
    file_source_free_media(src);
    free(src->path);
    src->path = NULL;
    uv_close((uv_handle_t *)&src->timer, file_source_on_closed);
}

static void file_source_on_timer(uv_timer_t *timer)
{
    struct file_source *src = timer->data;
    src->busy = true;
    file_source_pump(src);
    src->busy = false;
    if (src->close_requested)
        file_source_destroy(src);
}

void file_source_close(struct file_source *source)
{
    if (!source)
        return;
    if (source->busy) {
        source->close_requested = true;
        return;
    }
    file_source_destroy(source);
}
