/* mux_params: codec private data for the containers recordings are written in. */
#include "app/mux_params.h"

#include <libavutil/channel_layout.h>
#include <string.h>

#include "app/depacketize.h"

void mux_params_track(AVCodecParameters *par, int codec, const uint8_t *key, size_t key_len)
{
    static const enum AVCodecID ids[] = {AV_CODEC_ID_OPUS, AV_CODEC_ID_VP8, AV_CODEC_ID_VP9,
                                         AV_CODEC_ID_H264, AV_CODEC_ID_AV1};
    par->codec_id = ids[codec];
    if (codec == DEPACK_OPUS) {
        par->codec_type = AVMEDIA_TYPE_AUDIO;
        par->sample_rate = 48000;
        av_channel_layout_default(&par->ch_layout, 2);
        mux_params_opus_head(par);
        return;
    }
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    int w = 0, h = 0;
    if (codec == DEPACK_VP8 && key)
        depack_vp8_size(key, key_len, &w, &h);
    if (codec == DEPACK_H264 && key)
        mux_params_h264_extradata(par, key, key_len);
    const uint8_t *seq;
    size_t seq_len;
    if (codec == DEPACK_AV1 && key && depack_av1_sequence_header(key, key_len, &seq, &seq_len) == 0) {
        /* Matroska's and MP4's av1C is made from the sequence header OBU. */
        par->extradata = av_mallocz(seq_len + AV_INPUT_BUFFER_PADDING_SIZE);
        memcpy(par->extradata, seq, seq_len);
        par->extradata_size = (int)seq_len;
    }
    /* Containers want dimensions; a decoder takes the real ones from the bitstream. */
    par->width = w ? w : 640;
    par->height = h ? h : 480;
    /* WebRTC video is 8-bit 4:2:0; MP4's vpcC box is written from it. */
    par->format = AV_PIX_FMT_YUV420P;
}

void mux_params_opus_head(AVCodecParameters *par)
{
    /* RFC 7845 §5.1: the identification header Matroska and MP4 carry as codec private data. */
    uint8_t head[19] = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2};
    head[10] = 0x38; /* pre-skip 312 samples, little-endian */
    head[11] = 0x01;
    head[12] = 0x80; /* input sample rate 48000, little-endian */
    head[13] = 0xbb;
    par->extradata = av_mallocz(sizeof head + AV_INPUT_BUFFER_PADDING_SIZE);
    memcpy(par->extradata, head, sizeof head);
    par->extradata_size = sizeof head;
}

void mux_params_h264_extradata(AVCodecParameters *par, const uint8_t *p, size_t len)
{
    uint8_t *extra = av_mallocz(len + AV_INPUT_BUFFER_PADDING_SIZE);
    size_t n = 0;
    for (size_t i = 0; i + 4 < len; i++) {
        if (p[i] || p[i + 1] || p[i + 2] || p[i + 3] != 1)
            continue;
        size_t end = i + 4;
        while (end + 3 < len && !(p[end] == 0 && p[end + 1] == 0 && p[end + 2] == 0 && p[end + 3] == 1))
            end++;
        if (end + 3 >= len)
            end = len;
        uint8_t type = p[i + 4] & 0x1f;
        if (type == 7 || type == 8) {
            memcpy(extra + n, p + i, end - i);
            n += end - i;
        }
        i = end - 1;
    }
    par->extradata = extra;
    par->extradata_size = (int)n;
}
