/* sfu_fixture: what the SFU's unit tests start from (test_sfu, test_sfu_simulcast): publishers
 * and viewers as plain sinks that record what the SFU hands them, the usual tracks, packets to
 * publish, and readers of what was captured. Functions are static inline: each test file uses
 * some of them. */
#ifndef ONAIR_TESTS_SFU_FIXTURE_H
#define ONAIR_TESTS_SFU_FIXTURE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h> /* after the headers above, which it needs */

#include "base/bytes.h"
#include "proto/rtcp.h"
#include "proto/rtp.h"
#include "sfu/sfu.h"

#define MAX_CAPTURE 64

struct capture {
    size_t n_rtp, n_rtcp, keyframe_requests;
    uint8_t rtp[MAX_CAPTURE][1600];
    size_t rtp_len[MAX_CAPTURE];
    uint8_t rtcp[MAX_CAPTURE][1600];
    size_t rtcp_len[MAX_CAPTURE];
};

static inline void cap_rtp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    struct capture *c = opaque;
    assert_true(cap >= len + 16); /* room for the SRTP tag */
    assert_true(c->n_rtp < MAX_CAPTURE);
    memcpy(c->rtp[c->n_rtp], pkt, len);
    c->rtp_len[c->n_rtp++] = len;
}

static inline void cap_rtcp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    struct capture *c = opaque;
    assert_true(c->n_rtcp < MAX_CAPTURE);
    memcpy(c->rtcp[c->n_rtcp], pkt, len);
    c->rtcp_len[c->n_rtcp++] = len;
}

static const struct sfu_sink webrtc_sink = {cap_rtp, cap_rtcp, NULL, NULL};

enum {
    PUB_VP8_PT = 96,
    PUB_OPUS_PT = 111,
    VIEW_VP8_PT = 100,
    VIEW_RTX_PT = 101,
    VIEW_OPUS_PT = 109
};
enum { VIEW_VIDEO_SSRC = 0x5555, VIEW_RTX_SSRC = 0x5556, VIEW_AUDIO_SSRC = 0x6666 };

static inline void codec(struct sdp_codec *c, const char *name, uint8_t pt, uint32_t rate,
                         uint8_t rtx)
{
    memset(c, 0, sizeof *c);
    strcpy(c->name, name);
    c->pt = pt;
    c->clock_rate = rate;
    c->channels = rate == 48000 ? 2 : 0;
    c->rtx_pt = rtx;
    c->fb_nack = c->fb_nack_pli = true;
}

static inline void publisher_tracks(struct sfu_track_desc t[2], uint32_t video_ssrc,
                                    uint32_t audio_ssrc)
{
    memset(t, 0, 2 * sizeof *t);
    t[0].kind = SFU_VIDEO;
    strcpy(t[0].mid, "1");
    codec(&t[0].codec, "VP8", PUB_VP8_PT, 90000, 0);
    t[0].ssrc = video_ssrc;
    t[0].ext_ids[SFU_EXT_MID] = 4;
    t[0].ext_ids[SFU_EXT_ABS_SEND_TIME] = 2;
    t[1].kind = SFU_AUDIO;
    strcpy(t[1].mid, "0");
    codec(&t[1].codec, "opus", PUB_OPUS_PT, 48000, 0);
    t[1].ssrc = audio_ssrc;
}

static inline void viewer_tracks(struct sfu_viewer_track_desc t[2])
{
    memset(t, 0, 2 * sizeof *t);
    t[0].kind = SFU_VIDEO;
    strcpy(t[0].mid, "v");
    codec(&t[0].codecs[0], "H264", 102, 90000, 103);
    codec(&t[0].codecs[1], "VP8", VIEW_VP8_PT, 90000, VIEW_RTX_PT);
    t[0].n_codecs = 2;
    t[0].ssrc = VIEW_VIDEO_SSRC;
    t[0].rtx_ssrc = VIEW_RTX_SSRC;
    t[0].ext_ids[SFU_EXT_MID] = 9;
    t[0].ext_ids[SFU_EXT_ABS_SEND_TIME] = 3;
    t[1].kind = SFU_AUDIO;
    strcpy(t[1].mid, "a");
    codec(&t[1].codecs[0], "opus", VIEW_OPUS_PT, 48000, 0);
    t[1].n_codecs = 1;
    t[1].ssrc = VIEW_AUDIO_SSRC;
}

/* A VP8 packet: descriptor S bit set or not; frame tag P bit 0 on keyframes (RFC 7741 §4). */
static inline size_t vp8_packet(uint8_t *buf, uint32_t ssrc, uint16_t seq, uint32_t ts, bool start,
                                bool keyframe)
{
    uint8_t *p = buf;
    *p++ = 0x90; /* V=2, X=1 */
    *p++ = PUB_VP8_PT;
    p = be16_write(p, seq);
    p = be32_write(p, ts);
    p = be32_write(p, ssrc);
    /* One-byte extensions: abs-send-time (id 2, 3 bytes) and mid (id 4, "1"). */
    p = be16_write(p, 0xBEDE);
    p = be16_write(p, 2);
    *p++ = 0x22;
    *p++ = 0xaa;
    *p++ = 0xbb;
    *p++ = 0xcc;
    *p++ = 0x40;
    *p++ = '1';
    *p++ = 0;
    *p++ = 0;
    *p++ = start ? 0x10 : 0x00;
    if (start)
        *p++ = keyframe ? 0x50 : 0x51;
    for (int i = 0; i < 20; i++)
        *p++ = (uint8_t)(seq + i);
    return (size_t)(p - buf);
}

static inline size_t opus_packet(uint8_t *buf, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
    uint8_t *p = buf;
    *p++ = 0x80;
    *p++ = PUB_OPUS_PT;
    p = be16_write(p, seq);
    p = be32_write(p, ts);
    p = be32_write(p, ssrc);
    for (int i = 0; i < 30; i++)
        *p++ = (uint8_t)i;
    return (size_t)(p - buf);
}

/* A publisher's packet, then the end of the receive batch it came in. */
static inline void publish(struct sfu *sfu, struct sfu_publisher *pub, uint64_t now_us,
                           const uint8_t *pkt, size_t len)
{
    sfu_publisher_rtp(pub, now_us, pkt, len);
    sfu_flush(sfu);
}

static inline struct rtp_view parse(const uint8_t *p, size_t len)
{
    struct rtp_view v;
    const char *why;
    assert_int_equal(rtp_parse(&v, p, len, &why), 0);
    return v;
}

static inline bool has_keyframe_request(const struct capture *c)
{
    for (size_t i = 0; i < c->n_rtcp; i++) {
        struct rtcp_iter it;
        struct rtcp_view v;
        const char *why;
        rtcp_iter_init(&it, c->rtcp[i], c->rtcp_len[i]);
        while (rtcp_next(&it, &v, &why) > 0)
            if (v.type == RTCP_PSFB && (v.fmt == RTCP_FMT_PLI || v.fmt == RTCP_FMT_FIR))
                return true;
    }
    return false;
}

/* What most tests start from: an SFU, the usual publisher and viewer tracks, and a capture for
 * each side. teardown_sfu frees the SFU with whatever is still attached to it. */
struct fixture {
    struct sfu *sfu;
    struct sfu_track_desc pt[2];
    struct sfu_viewer_track_desc vt[2];
    struct capture pub_cap, view_cap;
    const char *why;
};

static inline int setup_sfu(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    struct sfu_config config = {.max_bitrate = 2500000};
    f->sfu = sfu_new(&config);
    publisher_tracks(f->pt, 0x1111, 0x2222);
    viewer_tracks(f->vt);
    *state = f;
    return f->sfu ? 0 : -1;
}

static inline int teardown_sfu(void **state)
{
    struct fixture *f = *state;
    sfu_free(f->sfu);
    free(f);
    return 0;
}

/* Stream NAME's publisher with the fixture's tracks, handing what the SFU sends it to SINK with
 * CAP; NULL when refused (the reason in f->why). */
static inline struct sfu_publisher *attach_publisher(struct fixture *f, const char *name,
                                                     const struct sfu_sink *sink,
                                                     struct capture *cap)
{
    return sfu_publisher_attach(f->sfu, name, f->pt, 2, sink, cap, &f->why);
}

/* A WebRTC viewer of stream NAME with the fixture's tracks, capturing into CAP, started at
 * NOW_US. */
static inline struct sfu_viewer *watch(struct fixture *f, const char *name, struct capture *cap,
                                       uint64_t now_us)
{
    struct sfu_viewer *viewer = sfu_viewer_attach(f->sfu, name, f->vt, 2, &webrtc_sink, cap);
    assert_non_null(viewer);
    sfu_viewer_start(viewer, now_us);
    return viewer;
}

/* How many NACKs in C's RTCP from FROM on ask for SEQ. */
static inline size_t nacks_asking(const struct capture *c, size_t from, uint16_t seq)
{
    size_t asking = 0;
    for (size_t i = from; i < c->n_rtcp; i++) {
        struct rtcp_iter it;
        struct rtcp_view v;
        struct rtcp_nack nack;
        const char *why;
        rtcp_iter_init(&it, c->rtcp[i], c->rtcp_len[i]);
        while (rtcp_next(&it, &v, &why) == 1) {
            if (rtcp_nack_decode(&nack, &v, &why) < 0)
                continue;
            uint16_t lost[RTCP_NACK_MAX_LOST];
            size_t n = rtcp_nack_lost(&nack, lost, RTCP_NACK_MAX_LOST);
            for (size_t k = 0; k < n; k++)
                asking += lost[k] == seq;
        }
    }
    return asking;
}

/* A test that starts from the fixture. */
#define WITH_SFU(test) cmocka_unit_test_setup_teardown(test, setup_sfu, teardown_sfu)
#endif
