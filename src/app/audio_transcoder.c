/* audio_transcoder: decode with libavcodec, resample with libswresample to Opus's 48 kHz stereo,
 * cut into 20 ms frames through an audio FIFO, encode with libopus. */
#include "app/audio_transcoder.h"

#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>
#include <stdlib.h>

#include "base/xmalloc.h"

/* Stereo at 96 kbit/s: music from files keeps its quality; speech would need far less. */
#define AUDIO_TRANSCODER_BITRATE 96000

struct audio_transcoder {
    AVCodecContext *dec, *enc;
    SwrContext *swr; /* made from the first decoded frame: only then is its format certain */
    AVAudioFifo *fifo;
    AVCodecParameters *params;
    AVFrame *decoded, *converted, *frame;
    AVRational in_tb;
    int64_t next_pts; /* in 1/48000, of the FIFO's first sample; AV_NOPTS_VALUE until known */
};

static AVCodecContext *open_encoder(void)
{
    /* libopus first: FFmpeg's own Opus encoder is marked experimental. */
    const AVCodec *codec = avcodec_find_encoder_by_name("libopus");
    if (!codec)
        codec = avcodec_find_encoder(AV_CODEC_ID_OPUS);
    if (!codec)
        return NULL;
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    if (!enc)
        abort();
    enc->sample_rate = AUDIO_TRANSCODER_RATE;
    av_channel_layout_default(&enc->ch_layout, 2);
    enc->sample_fmt = codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_FLT;
    enc->bit_rate = AUDIO_TRANSCODER_BITRATE;
    enc->time_base = (AVRational){1, AUDIO_TRANSCODER_RATE};
    enc->frame_size = AUDIO_TRANSCODER_FRAME;
    enc->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;
    if (avcodec_open2(enc, codec, NULL) < 0)
        avcodec_free_context(&enc);
    return enc;
}

struct audio_transcoder *audio_transcoder_new(const AVCodecParameters *in, AVRational in_tb,
                                              const char **why)
{
    const AVCodec *decoder = avcodec_find_decoder(in->codec_id);
    if (!decoder) {
        *why = "no decoder for the audio";
        return NULL;
    }
    struct audio_transcoder *t = xcalloc(1, sizeof *t);
    t->in_tb = in_tb;
    t->next_pts = AV_NOPTS_VALUE;
    t->dec = avcodec_alloc_context3(decoder);
    if (!t->dec || avcodec_parameters_to_context(t->dec, in) < 0)
        abort();
    t->dec->pkt_timebase = in_tb;
    if (avcodec_open2(t->dec, decoder, NULL) < 0) {
        *why = "the audio decoder would not open";
        goto fail;
    }
    t->enc = open_encoder();
    if (!t->enc) {
        *why = "no Opus encoder in this FFmpeg";
        goto fail;
    }
    t->fifo = av_audio_fifo_alloc(t->enc->sample_fmt, t->enc->ch_layout.nb_channels,
                                  AUDIO_TRANSCODER_FRAME * 4);
    t->params = avcodec_parameters_alloc();
    t->decoded = av_frame_alloc();
    t->converted = av_frame_alloc();
    t->frame = av_frame_alloc();
    if (!t->fifo || !t->params || !t->decoded || !t->converted || !t->frame ||
        avcodec_parameters_from_context(t->params, t->enc) < 0)
        abort(); /* out of memory, as xmalloc does */
    return t;
fail:
    audio_transcoder_free(t);
    return NULL;
}

const AVCodecParameters *audio_transcoder_params(const struct audio_transcoder *t)
{
    return t->params;
}

/* Resamples one decoded frame into the FIFO, starting the timeline at the first one. */
static int queue_decoded(struct audio_transcoder *t, AVFrame *in)
{
    if (!t->swr) {
        if (swr_alloc_set_opts2(&t->swr, &t->enc->ch_layout, t->enc->sample_fmt,
                                AUDIO_TRANSCODER_RATE, &in->ch_layout, in->format,
                                in->sample_rate, 0, NULL) < 0 ||
            swr_init(t->swr) < 0)
            return AVERROR(EINVAL);
    }
    if (t->next_pts == AV_NOPTS_VALUE) {
        int64_t ts = in->best_effort_timestamp != AV_NOPTS_VALUE ? in->best_effort_timestamp : 0;
        t->next_pts = av_rescale_q(ts, t->in_tb, t->enc->time_base);
    }
    AVFrame *out = t->converted;
    av_frame_unref(out);
    out->format = t->enc->sample_fmt;
    out->sample_rate = AUDIO_TRANSCODER_RATE;
    if (av_channel_layout_copy(&out->ch_layout, &t->enc->ch_layout) < 0)
        abort();
    out->nb_samples = swr_get_out_samples(t->swr, in->nb_samples);
    if (out->nb_samples <= 0)
        return 0;
    if (av_frame_get_buffer(out, 0) < 0)
        abort();
    int n = swr_convert(t->swr, out->data, out->nb_samples, (const uint8_t **)in->data,
                        in->nb_samples);
    if (n < 0)
        return n;
    if (n > 0 && av_audio_fifo_write(t->fifo, (void **)out->data, n) < n)
        abort();
    return 0;
}

int audio_transcoder_send(struct audio_transcoder *t, const AVPacket *in)
{
    int rc = avcodec_send_packet(t->dec, in);
    if (rc < 0)
        return rc;
    while ((rc = avcodec_receive_frame(t->dec, t->decoded)) == 0) {
        rc = queue_decoded(t, t->decoded);
        av_frame_unref(t->decoded);
        if (rc < 0)
            return rc;
    }
    return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF ? 0 : rc;
}

/* Hands the encoder the FIFO's next 20 ms. */
static int encode_one_frame(struct audio_transcoder *t)
{
    AVFrame *f = t->frame;
    av_frame_unref(f);
    f->format = t->enc->sample_fmt;
    f->sample_rate = AUDIO_TRANSCODER_RATE;
    f->nb_samples = AUDIO_TRANSCODER_FRAME;
    if (av_channel_layout_copy(&f->ch_layout, &t->enc->ch_layout) < 0 ||
        av_frame_get_buffer(f, 0) < 0)
        abort();
    if (av_audio_fifo_read(t->fifo, (void **)f->data, AUDIO_TRANSCODER_FRAME) <
        AUDIO_TRANSCODER_FRAME)
        return AVERROR(EAGAIN);
    f->pts = t->next_pts;
    t->next_pts += AUDIO_TRANSCODER_FRAME;
    return avcodec_send_frame(t->enc, f);
}

int audio_transcoder_receive(struct audio_transcoder *t, AVPacket *out)
{
    for (;;) {
        int rc = avcodec_receive_packet(t->enc, out);
        if (rc != AVERROR(EAGAIN))
            return rc;
        if (av_audio_fifo_size(t->fifo) < AUDIO_TRANSCODER_FRAME)
            return AVERROR(EAGAIN);
        rc = encode_one_frame(t);
        if (rc < 0)
            return rc;
    }
}

void audio_transcoder_reset(struct audio_transcoder *t)
{
    avcodec_flush_buffers(t->dec);
    av_audio_fifo_reset(t->fifo);
    swr_free(&t->swr);
    t->next_pts = AV_NOPTS_VALUE;
    /* A fresh encoder: the old one holds look-ahead frames stamped with the previous pass's
     * times, which would come out in the middle of the new one. */
    AVCodecContext *enc = open_encoder();
    if (enc) {
        avcodec_free_context(&t->enc);
        t->enc = enc;
    }
}

void audio_transcoder_free(struct audio_transcoder *t)
{
    if (!t)
        return;
    avcodec_free_context(&t->dec);
    avcodec_free_context(&t->enc);
    swr_free(&t->swr);
    if (t->fifo)
        av_audio_fifo_free(t->fifo);
    avcodec_parameters_free(&t->params);
    av_frame_free(&t->decoded);
    av_frame_free(&t->converted);
    av_frame_free(&t->frame);
    free(t);
}
