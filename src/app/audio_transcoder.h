/* audio_transcoder: any audio libavcodec decodes (AAC, MP3, ...) to Opus, 48 kHz, 20 ms frames,
 * so that a file's or a camera's audio plays in browsers. Video is never re-encoded. */
#ifndef ONAIR_APP_AUDIO_TRANSCODER_H
#define ONAIR_APP_AUDIO_TRANSCODER_H
#include <libavcodec/avcodec.h>

/* Opus's clock, and its frame: 20 ms (RFC 7587 §4.2: what browsers send and expect). */
#define AUDIO_TRANSCODER_RATE 48000
#define AUDIO_TRANSCODER_FRAME 960

struct audio_transcoder;

/* Makes a transcoder for a stream with parameters IN whose packets are timed in IN_TB. Returns
 * NULL and sets *WHY when there is no decoder for it or no Opus encoder. */
struct audio_transcoder *audio_transcoder_new(const AVCodecParameters *in, AVRational in_tb,
                                              const char **why);
/* The Opus stream's parameters (for the RTP muxer); its packets are timed in 1/48000. */
const AVCodecParameters *audio_transcoder_params(const struct audio_transcoder *t);

/* Decodes IN (a packet of the input stream; not taken). A packet the decoder refuses is
 * dropped (returns the AVERROR; the stream goes on with the next one). */
int audio_transcoder_send(struct audio_transcoder *t, const AVPacket *in);
/* The next Opus packet into OUT (pts and dts in 1/48000, duration 960): 0, or AVERROR(EAGAIN)
 * when more input is needed. */
int audio_transcoder_receive(struct audio_transcoder *t, AVPacket *out);
/* Forgets buffered audio and the timeline: the next packet starts a new one (a looping file
 * read again from its start). */
void audio_transcoder_reset(struct audio_transcoder *t);

/* NULL is a no-op. */
void audio_transcoder_free(struct audio_transcoder *t);

#endif
