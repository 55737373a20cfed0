/* Tests audio_transcoder: one second of a 440 Hz tone encoded as AAC at 44.1 kHz (by FFmpeg's
 * encoder, in the test) comes out as 20 ms Opus packets on a 48 kHz timeline that an Opus
 * decoder turns back into a tone, not silence. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libavutil/channel_layout.h>

#include "app/audio_transcoder.h"

#define AAC_RATE 44100
#define TONE_HZ 440.0

/* AAC packets of the tone, with their stream's parameters and time base (1/44100). */
struct aac_clip {
    AVPacket **packets;
    size_t n;
    AVCodecParameters *params;
    AVRational tb;
};

/* Encodes SECONDS of the tone into CLIP. */
static void aac_clip_make(struct aac_clip *clip, double seconds)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    assert_non_null(codec);
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    enc->sample_rate = AAC_RATE;
    enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    av_channel_layout_default(&enc->ch_layout, 1);
    enc->bit_rate = 96000;
    enc->time_base = (AVRational){1, AAC_RATE};
    assert_int_equal(avcodec_open2(enc, codec, NULL), 0);
    clip->params = avcodec_parameters_alloc();
    avcodec_parameters_from_context(clip->params, enc);
    clip->tb = enc->time_base;
    clip->packets = NULL;
    clip->n = 0;

    AVFrame *frame = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    int64_t total = (int64_t)(seconds * AAC_RATE), done = 0;
    for (bool flushing = false;;) {
        if (!flushing) {
            if (done >= total) {
                avcodec_send_frame(enc, NULL);
                flushing = true;
            } else {
                frame->format = enc->sample_fmt;
                frame->sample_rate = AAC_RATE;
                av_channel_layout_copy(&frame->ch_layout, &enc->ch_layout);
                frame->nb_samples = enc->frame_size;
                assert_int_equal(av_frame_get_buffer(frame, 0), 0);
                float *samples = (float *)frame->data[0];
                for (int i = 0; i < frame->nb_samples; i++)
                    samples[i] = 0.5f * (float)sin(2 * M_PI * TONE_HZ * (double)(done + i) / AAC_RATE);
                frame->pts = done;
                done += frame->nb_samples;
                assert_int_equal(avcodec_send_frame(enc, frame), 0);
                av_frame_unref(frame);
            }
        }
        int rc;
        while ((rc = avcodec_receive_packet(enc, pkt)) == 0) {
            clip->packets = realloc(clip->packets, (clip->n + 1) * sizeof *clip->packets);
            clip->packets[clip->n++] = av_packet_clone(pkt);
            av_packet_unref(pkt);
        }
        if (rc == AVERROR_EOF)
            break;
    }
    av_packet_free(&pkt);
    av_frame_free(&frame);
    avcodec_free_context(&enc);
}

static void aac_clip_free(struct aac_clip *clip)
{
    for (size_t i = 0; i < clip->n; i++)
        av_packet_free(&clip->packets[i]);
    free(clip->packets);
    avcodec_parameters_free(&clip->params);
}

/* Decodes Opus packets and returns the RMS of the samples after the first 100 ms (the
 * encoder's start-up). */
static double opus_rms(AVPacket **packets, size_t n)
{
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_OPUS);
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    dec->sample_rate = AUDIO_TRANSCODER_RATE;
    av_channel_layout_default(&dec->ch_layout, 2);
    assert_int_equal(avcodec_open2(dec, codec, NULL), 0);
    AVFrame *frame = av_frame_alloc();
    double sum = 0;
    long count = 0, seen = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(avcodec_send_packet(dec, packets[i]), 0);
        while (avcodec_receive_frame(dec, frame) == 0) {
            assert_int_equal(frame->format, AV_SAMPLE_FMT_FLTP);
            const float *left = (const float *)frame->data[0];
            for (int s = 0; s < frame->nb_samples; s++, seen++) {
                if (seen < AUDIO_TRANSCODER_RATE / 10)
                    continue;
                sum += (double)left[s] * left[s];
                count++;
            }
            av_frame_unref(frame);
        }
    }
    av_frame_free(&frame);
    avcodec_free_context(&dec);
    return count ? sqrt(sum / (double)count) : 0;
}

static void test_aac_to_opus(void **state)
{
    struct aac_clip clip;
    aac_clip_make(&clip, 1.0);
    assert_true(clip.n > 40);
    const char *why = NULL;
    struct audio_transcoder *t = audio_transcoder_new(clip.params, clip.tb, &why);
    assert_non_null(t);
    const AVCodecParameters *out = audio_transcoder_params(t);
    assert_int_equal(out->codec_id, AV_CODEC_ID_OPUS);
    assert_int_equal(out->sample_rate, AUDIO_TRANSCODER_RATE);

    AVPacket *opus[128];
    size_t n = 0;
    AVPacket *pkt = av_packet_alloc();
    for (size_t i = 0; i < clip.n; i++) {
        assert_int_equal(audio_transcoder_send(t, clip.packets[i]), 0);
        while (audio_transcoder_receive(t, pkt) == 0) {
            assert_true(n < 128);
            opus[n++] = av_packet_clone(pkt);
            av_packet_unref(pkt);
        }
    }
    /* One second is 50 frames of 20 ms; AAC's priming and padding add about two, the Opus
     * encoder keeps a few back for its look-ahead. */
    assert_in_range(n, 44, 54);
    for (size_t i = 1; i < n; i++)
        assert_int_equal(opus[i]->pts - opus[i - 1]->pts, AUDIO_TRANSCODER_FRAME);
    /* The tone survives: a sine of amplitude 0.5 has an RMS of 0.35. */
    double rms = opus_rms(opus, n);
    assert_true(rms > 0.2 && rms < 0.5);

    /* A packet the decoder refuses is an error for that packet only. */
    AVPacket *junk = av_packet_alloc();
    assert_int_equal(av_new_packet(junk, 64), 0);
    memset(junk->data, 0xff, 64);
    junk->pts = clip.packets[clip.n - 1]->pts + 1024;
    audio_transcoder_send(t, junk);
    av_packet_free(&junk);

    /* After a reset (a looping file read again), the timeline starts from the new packets. */
    audio_transcoder_reset(t);
    size_t before = n;
    for (size_t i = 0; i < clip.n; i++) {
        assert_int_equal(audio_transcoder_send(t, clip.packets[i]), 0);
        while (audio_transcoder_receive(t, pkt) == 0 && n < 128) {
            opus[n++] = av_packet_clone(pkt);
            av_packet_unref(pkt);
        }
    }
    assert_in_range(n - before, 44, 54);
    assert_true(opus[before]->pts < AUDIO_TRANSCODER_FRAME * 2);

    for (size_t i = 0; i < n; i++)
        av_packet_free(&opus[i]);
    av_packet_free(&pkt);
    audio_transcoder_free(t);
    aac_clip_free(&clip);
}

static void test_no_decoder(void **state)
{
    AVCodecParameters *par = avcodec_parameters_alloc();
    par->codec_type = AVMEDIA_TYPE_AUDIO;
    par->codec_id = AV_CODEC_ID_NONE;
    const char *why = NULL;
    assert_null(audio_transcoder_new(par, (AVRational){1, 1000}, &why));
    assert_string_equal(why, "no decoder for the audio");
    avcodec_parameters_free(&par);
    audio_transcoder_free(NULL);
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aac_to_opus),
        cmocka_unit_test(test_no_decoder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
