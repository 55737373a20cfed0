/* mux_params: what a container needs to know of a WebRTC track that it cannot learn from RTP:
 * Opus's identification header, H.264's parameter sets. Shared by `onair record` and the
 * server's recorder. */
#ifndef ONAIR_APP_MUX_PARAMS_H
#define ONAIR_APP_MUX_PARAMS_H
#include <libavcodec/avcodec.h>
#include <stddef.h>
#include <stdint.h>

/* Fills PAR for a track of CODEC (an enum depack_codec): Opus as 48 kHz stereo with its head;
 * video with the size from a VP8 keyframe or the parameter sets of an H.264 one (KEY, may be
 * NULL), else a placeholder size (players take the real one from the bitstream). */
void mux_params_track(AVCodecParameters *par, int codec, const uint8_t *key, size_t key_len);

/* Sets PAR's extradata to an OpusHead for 48 kHz stereo (RFC 7845 §5.1). */
void mux_params_opus_head(AVCodecParameters *par);
/* Sets PAR's extradata to the SPS and PPS NAL units (Annex B) found in the keyframe
 * P[0..LEN): libavformat turns them into avcC for MP4 and Matroska. */
void mux_params_h264_extradata(AVCodecParameters *par, const uint8_t *p, size_t len);

#endif
