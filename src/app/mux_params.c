/* mux_params: codec private data for the containers recordings are written in. */
#include "app/mux_params.h"

#include <string.h>

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
