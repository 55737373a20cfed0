/* Tests for sfu/'s simulcast: the video track forwards the best layer that flows, switching at
 * keyframes with the viewers' numbering continuous and the recording's too; viewers of medium
 * and low quality get the second best and the smallest, change while they watch, and a loss of a
 * layer two tracks forward is asked for once. */
#include "proto/vp8_ids.h"
#include "sfu/quality_auto.h"
#include "sfu_fixture.h"

/* Whether C holds a PLI for MEDIA_SSRC. */
static bool holds_pli_for(const struct capture *c, uint32_t media_ssrc)
{
    bool found = false;
    for (size_t i = 0; i < c->n_rtcp; i++) {
        struct rtcp_iter it;
        struct rtcp_view v;
        struct rtcp_pli pli;
        const char *why;
        rtcp_iter_init(&it, c->rtcp[i], c->rtcp_len[i]);
        while (rtcp_next(&it, &v, &why) > 0)
            if (v.type == RTCP_PSFB && v.fmt == RTCP_FMT_PLI &&
                rtcp_pli_decode(&pli, &v, &why) == 0 && pli.media_ssrc == media_ssrc)
                found = true;
    }
    return found;
}

/* Whether C holds a PLI for MEDIA_SSRC, and forgets what it holds. */
static bool took_pli_for(struct capture *c, uint32_t media_ssrc)
{
    bool found = holds_pli_for(c, media_ssrc);
    c->n_rtcp = 0;
    return found;
}

/* COUNT packets of a simulcast layer (frames of one packet each), the first a keyframe if
 * KEYFRAME, 10 ms apart from NOW_US; returns the time after them. */
static uint64_t send_layer(struct sfu *sfu, struct sfu_publisher *pub, uint32_t ssrc, uint16_t *seq,
                           uint64_t now_us, int count, bool keyframe)
{
    uint8_t pkt[200];
    for (int i = 0; i < count; i++, now_us += 10000) {
        size_t n = vp8_packet(pkt, ssrc, (*seq)++, (uint32_t)(now_us / 1000 * 90), true,
                              keyframe && i == 0);
        publish(sfu, pub, now_us, pkt, n);
    }
    return now_us;
}

/* What a recording would be handed of a stream's video: every packet's SSRC, sequence number
 * and timestamp. */
struct tapped {
    size_t n;
    uint32_t ssrc[256], ts[256];
    uint16_t seq[256];
};

static bool tap_all(void *opaque, const char *name, const struct sfu_track_desc *tracks,
                    size_t n_tracks)
{
    return n_tracks > 0;
}

static void tap_video(void *opaque, const char *name, enum sfu_kind kind, const uint8_t *pkt,
                      size_t len, uint64_t now_us)
{
    struct tapped *t = opaque;
    if (kind != SFU_VIDEO || t->n == 256)
        return;
    struct rtp_view v = parse(pkt, len);
    t->ssrc[t->n] = v.ssrc;
    t->seq[t->n] = v.seq;
    t->ts[t->n++] = v.timestamp;
}

/* Simulcast: two layers of one payload type. The first heard is forwarded; once the other
 * brings more bitrate, the SFU asks it for a keyframe and moves there at that keyframe, with
 * the viewer's numbering continuing; when it stops, back to the one still flowing. An SSRC
 * beyond the layers the answer took is none of them. A recording gets the forwarded layers as
 * one stream, numbered on across the switches. */
static void simulcast_forwards_the_best_flowing_layer(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    static struct tapped tapped;
    struct sfu_tap tap = {.on_publisher = tap_all, .on_rtp = tap_video};
    sfu_set_tap(sfu, &tap, &tapped);
    enum { SMALL = 0xa1, LARGE = 0xb2, STRAY = 0xc3 };
    f->pt[0].ssrc = 0;
    f->pt[0].layers = 2;
    struct sfu_publisher *pub = attach_publisher(f, "sim", &webrtc_sink, &f->pub_cap);
    struct sfu_viewer *viewer = watch(f, "sim", &f->view_cap, 1000);
    uint16_t small_seq = 100, large_seq = 7000, stray_seq = 1;
    uint64_t now = send_layer(sfu, pub, SMALL, &small_seq, 10000, 3, true);
    assert_int_equal(f->view_cap.n_rtp, 3); /* the first layer heard */
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 1, true);
    now = send_layer(sfu, pub, STRAY, &stray_seq, now, 1, true);
    assert_int_equal(f->view_cap.n_rtp, 3);

    /* Over a second the large layer carries only padding (a bandwidth probe), ten times the
     * small one's bytes: padding is not media, so nothing moves. */
    f->pub_cap.n_rtcp = 0;
    size_t forwarded = 0;
    for (int i = 0; i < 110; i++) {
        uint8_t probe[12 + 200] = {0xa0, PUB_VP8_PT};
        be16_write(probe + 2, large_seq++);
        be32_write(probe + 8, LARGE);
        probe[sizeof probe - 1] = 200; /* padding-only: its count covers the whole payload */
        f->view_cap.n_rtp = 0;
        publish(sfu, pub, now, probe, sizeof probe);
        now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
        forwarded += f->view_cap.n_rtp;
    }
    sfu_tick(sfu, now);
    assert_false(took_pli_for(&f->pub_cap, LARGE));
    assert_int_equal(forwarded, 110); /* the small layer's */

    /* Over a second of both, the large one at three times the packets. */
    f->pub_cap.n_rtcp = 0;
    for (int i = 0; i < 30; i++) {
        f->view_cap.n_rtp = 0;
        now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
        now = send_layer(sfu, pub, LARGE, &large_seq, now, 3, false);
        assert_int_equal(f->view_cap.n_rtp, 1); /* still the small layer's */
    }
    sfu_tick(sfu, now);
    assert_true(took_pli_for(&f->pub_cap, LARGE));
    f->view_cap.n_rtp = 0;
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 2, false); /* not yet: no keyframe */
    assert_int_equal(f->view_cap.n_rtp, 0);
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
    assert_int_equal(f->view_cap.n_rtp, 1);
    uint16_t last_seq = parse(f->view_cap.rtp[0], f->view_cap.rtp_len[0]).seq;
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 2, true);
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 2, false);
    assert_int_equal(f->view_cap.n_rtp, 3); /* the large layer's two, from its keyframe */
    struct rtp_view moved = parse(f->view_cap.rtp[1], f->view_cap.rtp_len[1]);
    assert_int_equal(moved.ssrc, VIEW_VIDEO_SSRC);
    assert_int_equal(moved.seq, (uint16_t)(last_seq + 1));
    assert_int_equal(moved.payload[1] & 0x01, 0); /* VP8 keyframe: frame tag's P bit clear */
    assert_int_equal(sfu_counters(sfu)->layer_switches, 1);

    /* The large layer stops: after a second without it, back to the small one. */
    for (int i = 0; i < 120; i++)
        now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
    sfu_tick(sfu, now);
    assert_true(took_pli_for(&f->pub_cap, SMALL));
    f->view_cap.n_rtp = 0;
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, true);
    assert_int_equal(f->view_cap.n_rtp, 1);
    assert_int_equal(sfu_counters(sfu)->layer_switches, 2);

    /* What was forwarded was tapped (the small layer's 3 + 110 + 30 + 1, the large one's 2 from
     * its keyframe, the small one's keyframe), as one stream: one SSRC, each number the one
     * before it plus one, time going on. */
    assert_int_equal(tapped.n, 147);
    for (size_t i = 1; i < tapped.n; i++) {
        assert_int_equal(tapped.ssrc[i], SMALL);
        assert_int_equal(tapped.seq[i], (uint16_t)(tapped.seq[i - 1] + 1));
        assert_true((int32_t)(tapped.ts[i] - tapped.ts[i - 1]) > 0);
    }
    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
}

/* A viewer that asks for low quality gets the smallest layer that flows while the others get
 * the best one. Changed while watching, it moves to the other layer at that layer's keyframe,
 * asked for at once, its numbering going on. A loss of a layer both forward is asked of the
 * publisher once. */
static void simulcast_low_quality_viewer_gets_the_smallest_layer(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    enum { SMALL = 0xa1, LARGE = 0xb2 };
    f->pt[0].ssrc = 0;
    f->pt[0].layers = 2;
    struct sfu_publisher *pub = attach_publisher(f, "sim", &webrtc_sink, &f->pub_cap);
    static struct capture low_cap;
    memset(&low_cap, 0, sizeof low_cap);
    struct sfu_viewer *high = watch(f, "sim", &f->view_cap, 1000);

    /* The small layer first: while nobody asks for low quality, the low track holds nothing
     * for a fan-out (only the video track's packets are timed). Then both forward it; its loss
     * is asked for once. */
    uint16_t small_seq = 100, large_seq = 7000;
    uint64_t now = send_layer(sfu, pub, SMALL, &small_seq, 10000, 3, true);
    assert_int_equal(f->view_cap.n_rtp, 3);
    assert_int_equal(sfu_forward_delay_us(sfu)->count, 3);
    struct sfu_viewer *low = watch(f, "sim", &low_cap, now);
    sfu_viewer_set_quality(low, SFU_QUALITY_LOW, now);
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 3, true);
    assert_int_equal(f->view_cap.n_rtp, 6);
    assert_int_equal(low_cap.n_rtp, 3);
    f->pub_cap.n_rtcp = 0;
    uint16_t lost = small_seq++;
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
    assert_int_equal(nacks_asking(&f->pub_cap, 0, lost), 1);

    /* A second of both, the large one at three times the packets: the video track moves to the
     * large layer at its keyframe, the low one stays. */
    for (int i = 0; i < 30; i++) {
        now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
        now = send_layer(sfu, pub, LARGE, &large_seq, now, 3, false);
    }
    sfu_tick(sfu, now);
    assert_true(took_pli_for(&f->pub_cap, LARGE));
    assert_false(took_pli_for(&f->pub_cap, SMALL));
    f->view_cap.n_rtp = low_cap.n_rtp = 0;
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 2, true);
    assert_int_equal(f->view_cap.n_rtp, 2);
    assert_int_equal(low_cap.n_rtp, 0);
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 2, false);
    assert_int_equal(f->view_cap.n_rtp, 2);
    assert_int_equal(low_cap.n_rtp, 2);
    uint16_t low_last = parse(low_cap.rtp[1], low_cap.rtp_len[1]).seq;
    struct sfu_stream_info info;
    assert_int_equal(sfu_stream_info(sfu, "sim", &info), 0);
    const struct sfu_track_info *video = &info.tracks[info.tracks[0].kind == SFU_VIDEO ? 0 : 1];
    assert_int_equal(video->n_layers, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(video->layers[i].forwarded, video->layers[i].ssrc == LARGE);
        assert_int_equal(video->layers[i].forwarded_low, video->layers[i].ssrc == SMALL);
    }

    /* The low viewer asks for high quality: a keyframe of the large layer is asked for now, and
     * until it comes the viewer keeps the small layer (its picture goes on); the keyframe is
     * asked again at each tick while it does not come. */
    f->pub_cap.n_rtcp = 0;
    sfu_viewer_set_quality(low, SFU_QUALITY_HIGH, now);
    assert_true(took_pli_for(&f->pub_cap, LARGE));
    low_cap.n_rtp = 0;
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 1, false);
    assert_int_equal(low_cap.n_rtp, 1);
    low_last = parse(low_cap.rtp[0], low_cap.rtp_len[0]).seq;
    sfu_tick(sfu, now + 1000000);
    assert_true(took_pli_for(&f->pub_cap, LARGE));
    now += 1000000;
    low_cap.n_rtp = 0;
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 1, true);
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
    assert_int_equal(low_cap.n_rtp, 1);
    struct rtp_view moved = parse(low_cap.rtp[0], low_cap.rtp_len[0]);
    assert_int_equal(moved.ssrc, VIEW_VIDEO_SSRC);
    assert_int_equal(moved.seq, (uint16_t)(low_last + 1));
    assert_int_equal(moved.payload[1] & 0x01, 0); /* VP8 keyframe: frame tag's P bit clear */

    /* The viewer NACKs the small layer's last packet, from before it moved: the large layer's
     * packet under that number (in the video track's history) is another picture, and the
     * publisher has no packet of the large layer to repair it with. Nothing is sent. */
    uint8_t nack[64];
    size_t n_nack = rtcp_nack_encode(nack, sizeof nack, 0x5eed, VIEW_VIDEO_SSRC, &low_last, 1);
    low_cap.n_rtp = f->pub_cap.n_rtcp = 0;
    sfu_viewer_rtcp(low, now, nack, n_nack);
    assert_int_equal(low_cap.n_rtp, 0);
    assert_int_equal(f->pub_cap.n_rtcp, 0);

    /* And back to low: the small layer's keyframe is asked for and taken up. */
    f->pub_cap.n_rtcp = 0;
    sfu_viewer_set_quality(low, SFU_QUALITY_LOW, now);
    assert_true(took_pli_for(&f->pub_cap, SMALL));
    low_cap.n_rtp = f->view_cap.n_rtp = 0;
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, true);
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 1, false);
    assert_int_equal(low_cap.n_rtp, 1);
    assert_int_equal(f->view_cap.n_rtp, 1);
    assert_int_equal(parse(low_cap.rtp[0], low_cap.rtp_len[0]).seq, (uint16_t)(moved.seq + 1));
    sfu_viewer_detach(high);
    sfu_viewer_detach(low);
    sfu_publisher_detach(pub);
}

/* Three layers: a viewer of medium quality gets the second best while three flow, and the best
 * of two when the largest stops, without a switch (the video track moves down to it). */
static void simulcast_medium_quality_gets_the_second_best(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    enum { SMALL = 0xa1, MID = 0xa2, LARGE = 0xa3 };
    f->pt[0].ssrc = 0;
    f->pt[0].layers = 3;
    struct sfu_publisher *pub = attach_publisher(f, "sim3", &webrtc_sink, &f->pub_cap);
    static struct capture medium_cap, low_cap;
    memset(&medium_cap, 0, sizeof medium_cap);
    memset(&low_cap, 0, sizeof low_cap);
    struct sfu_viewer *high = watch(f, "sim3", &f->view_cap, 1000);
    struct sfu_viewer *medium = watch(f, "sim3", &medium_cap, 1000);
    struct sfu_viewer *low = watch(f, "sim3", &low_cap, 1000);
    sfu_viewer_set_quality(medium, SFU_QUALITY_MEDIUM, 1000);
    sfu_viewer_set_quality(low, SFU_QUALITY_LOW, 1000);
    struct sfu_stream_info info;
    assert_int_equal(sfu_stream_info(sfu, "sim3", &info), 0);
    assert_int_equal(info.viewers_at[SFU_QUALITY_HIGH], 1);
    assert_int_equal(info.viewers_at[SFU_QUALITY_MEDIUM], 1);
    assert_int_equal(info.viewers_at[SFU_QUALITY_LOW], 1);

    /* The small layer is heard first: everyone gets it. Then a second of all three, at one, two
     * and four packets each 70 ms. */
    uint16_t small_seq = 100, mid_seq = 3000, large_seq = 7000;
    uint64_t now = send_layer(sfu, pub, SMALL, &small_seq, 10000, 2, true);
    assert_int_equal(f->view_cap.n_rtp, 2);
    assert_int_equal(medium_cap.n_rtp, 2);
    assert_int_equal(low_cap.n_rtp, 2);
    for (int i = 0; i < 16; i++) {
        now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
        now = send_layer(sfu, pub, MID, &mid_seq, now, 2, false);
        now = send_layer(sfu, pub, LARGE, &large_seq, now, 4, false);
    }
    f->pub_cap.n_rtcp = 0;
    sfu_tick(sfu, now);
    assert_true(holds_pli_for(&f->pub_cap, LARGE)); /* for the video track */
    assert_true(holds_pli_for(&f->pub_cap, MID));   /* for the medium one */
    assert_false(took_pli_for(&f->pub_cap, SMALL)); /* the low one stays */
    f->view_cap.n_rtp = medium_cap.n_rtp = low_cap.n_rtp = 0;
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 1, true);
    assert_int_equal(f->view_cap.n_rtp, 1);
    assert_int_equal(medium_cap.n_rtp, 0);
    now = send_layer(sfu, pub, MID, &mid_seq, now, 1, true);
    assert_int_equal(medium_cap.n_rtp, 1);
    assert_int_equal(f->view_cap.n_rtp, 1);
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
    assert_int_equal(low_cap.n_rtp, 1);
    assert_int_equal(f->view_cap.n_rtp + medium_cap.n_rtp, 2);
    assert_int_equal(sfu_stream_info(sfu, "sim3", &info), 0);
    const struct sfu_track_info *video = &info.tracks[info.tracks[0].kind == SFU_VIDEO ? 0 : 1];
    for (size_t i = 0; i < video->n_layers; i++) {
        assert_int_equal(video->layers[i].forwarded, video->layers[i].ssrc == LARGE);
        assert_int_equal(video->layers[i].forwarded_medium, video->layers[i].ssrc == MID);
        assert_int_equal(video->layers[i].forwarded_low, video->layers[i].ssrc == SMALL);
    }

    /* The large layer stops. A second on, the video track asks for the middle one's keyframe
     * and moves there; the medium viewer keeps getting it all along. */
    size_t medium_got = 0, mid_sent = 0;
    for (int i = 0; i < 40; i++) { /* 1.2 s */
        medium_cap.n_rtp = 0;
        now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
        now = send_layer(sfu, pub, MID, &mid_seq, now, 2, false);
        medium_got += medium_cap.n_rtp;
        mid_sent += 2;
    }
    f->pub_cap.n_rtcp = 0;
    sfu_tick(sfu, now);
    assert_true(took_pli_for(&f->pub_cap, MID));
    medium_cap.n_rtp = f->view_cap.n_rtp = 0;
    now = send_layer(sfu, pub, MID, &mid_seq, now, 2, true);
    mid_sent += 2;
    medium_got += medium_cap.n_rtp;
    assert_int_equal(f->view_cap.n_rtp, 2);
    assert_int_equal(medium_got, mid_sent);
    sfu_viewer_detach(high);
    sfu_viewer_detach(medium);
    sfu_viewer_detach(low);
    sfu_publisher_detach(pub);
}

/* What a viewer's receiver reports say so far of its video: packets expected (the extended
 * highest sequence number) and lost. */
struct reported {
    uint32_t seq;
    int32_t lost;
};

/* A receiver report from VIEWER at NOW_US: 100 more packets of its video, PERCENT of them lost
 * (its audio lost them all: automatic quality reads the video only). */
static void report_loss(struct sfu_viewer *viewer, struct reported *r, unsigned percent,
                        uint64_t now_us)
{
    r->seq += 100;
    r->lost += (int32_t)percent;
    struct rtcp_report_block blocks[2] = {
        {.ssrc = VIEW_AUDIO_SSRC, .fraction_lost = 255, .cumulative_lost = (int32_t)r->seq},
        {.ssrc = VIEW_VIDEO_SSRC,
         .fraction_lost = (uint8_t)(percent * 256 / 100),
         .cumulative_lost = r->lost,
         .highest_seq = r->seq},
    };
    uint8_t pkt[128];
    size_t n = rtcp_rr_encode(pkt, sizeof pkt, 0x5eed, blocks, 2);
    assert_true(n > 0);
    sfu_viewer_rtcp(viewer, now_us, pkt, n);
}

/* Sends a second of two layers (SMALL one packet, LARGE three, per 40 ms) and ticks; CAP (the
 * viewer's) and the publisher's RTCP in F are emptied on the way. */
static uint64_t two_layers_second(struct fixture *f, struct sfu_publisher *pub, uint32_t small,
                                  uint16_t *small_seq, uint32_t large, uint16_t *large_seq,
                                  uint64_t now)
{
    struct sfu *sfu = f->sfu;
    for (int i = 0; i < 25; i++) {
        f->view_cap.n_rtp = f->view_cap.n_rtcp = f->pub_cap.n_rtcp = 0;
        now = send_layer(sfu, pub, small, small_seq, now, 1, false);
        now = send_layer(sfu, pub, large, large_seq, now, 3, false);
    }
    sfu_tick(sfu, now);
    return now;
}

/* Automatic quality: a viewer whose reports show a second of heavy loss of its video moves to a
 * smaller layer at once (asked for with a PLI, received from its keyframe on), and back to the
 * larger after a while without loss; with two layers, down from high is low (medium would be the
 * same layer) and up from low is high. A quality chosen by the viewer ends it. Audio loss is not
 * read. */
static void simulcast_auto_quality_follows_reported_loss(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    enum { SMALL = 0xa1, LARGE = 0xb2 };
    f->pt[0].ssrc = 0;
    f->pt[0].layers = 2;
    struct sfu_publisher *pub = attach_publisher(f, "auto", &webrtc_sink, &f->pub_cap);
    struct sfu_viewer *viewer = watch(f, "auto", &f->view_cap, 1000);
    uint16_t small_seq = 100, large_seq = 7000;
    uint64_t now = send_layer(sfu, pub, SMALL, &small_seq, 10000, 2, true);
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 1, true);
    now = two_layers_second(f, pub, SMALL, &small_seq, LARGE, &large_seq, now);
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 1, true); /* the switch to it */
    f->view_cap.n_rtp = 0;
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 1, false);
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
    assert_int_equal(f->view_cap.n_rtp, 1);
    assert_int_equal(parse(f->view_cap.rtp[0], f->view_cap.rtp_len[0]).payload_type, VIEW_VP8_PT);

    sfu_viewer_set_auto_quality(viewer, now);
    assert_true(sfu_viewer_auto_quality(viewer));
    struct sfu_stream_info info;
    assert_int_equal(sfu_stream_info(sfu, "auto", &info), 0);
    assert_int_equal(info.viewers_auto, 1);
    assert_int_equal(info.viewers_at[SFU_QUALITY_HIGH], 1);

    /* A second with 40 % of the video lost steps down at once, to low. */
    struct reported r = {.seq = 5000};
    report_loss(viewer, &r, 0, now); /* where the first second starts */
    f->pub_cap.n_rtcp = 0;
    report_loss(viewer, &r, 40, now + QUALITY_AUTO_WINDOW_US);
    assert_true(took_pli_for(&f->pub_cap, SMALL));
    assert_int_equal(sfu_counters(sfu)->quality_steps_down, 1);
    /* More loss before that keyframe: the viewer is as good as at low, with nowhere smaller. */
    report_loss(viewer, &r, 60, now + 2 * QUALITY_AUTO_WINDOW_US);
    report_loss(viewer, &r, 60, now + 3 * QUALITY_AUTO_WINDOW_US);
    assert_int_equal(sfu_counters(sfu)->quality_steps_down, 1);
    now += 3 * QUALITY_AUTO_WINDOW_US;
    /* The large layer until the small one's keyframe (the viewer counts at high meanwhile); from
     * there the small one. */
    f->view_cap.n_rtp = 0;
    now = send_layer(sfu, pub, LARGE, &large_seq, now + 1000, 1, false);
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
    assert_int_equal(f->view_cap.n_rtp, 1);
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, true);
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 1, false);
    assert_int_equal(f->view_cap.n_rtp, 2);
    assert_int_equal(parse(f->view_cap.rtp[1], f->view_cap.rtp_len[1]).seq,
                     (uint16_t)(parse(f->view_cap.rtp[0], f->view_cap.rtp_len[0]).seq + 1));
    assert_int_equal(sfu_stream_info(sfu, "auto", &info), 0);
    assert_int_equal(info.viewers_at[SFU_QUALITY_LOW], 1);

    /* More loss at low: nowhere smaller to go. */
    report_loss(viewer, &r, 60, now);
    report_loss(viewer, &r, 60, now + QUALITY_AUTO_WINDOW_US);
    now += 2 * QUALITY_AUTO_WINDOW_US;
    report_loss(viewer, &r, 60, now);
    assert_int_equal(sfu_counters(sfu)->quality_steps_down, 1);
    /* Clean reports each second: high again once they have been clean long enough, from the
     * large layer's keyframe on. */
    uint64_t clean_from = now;
    int seconds = 0;
    do {
        now = two_layers_second(f, pub, SMALL, &small_seq, LARGE, &large_seq, now);
        report_loss(viewer, &r, 0, now);
    } while (sfu_counters(sfu)->quality_steps_up == 0 && ++seconds < 30);
    assert_int_equal(sfu_counters(sfu)->quality_steps_up, 1);
    assert_true(now - clean_from >= QUALITY_AUTO_WAIT_UP_US);
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 1, true);
    assert_int_equal(sfu_stream_info(sfu, "auto", &info), 0);
    assert_int_equal(info.viewers_at[SFU_QUALITY_HIGH], 1);

    /* Nobody at low now: a loss of the small layer is not asked for; one of the large is. */
    f->pub_cap.n_rtcp = 0;
    uint16_t small_lost = small_seq++, large_lost = large_seq++;
    now = send_layer(sfu, pub, SMALL, &small_seq, now, 1, false);
    now = send_layer(sfu, pub, LARGE, &large_seq, now, 1, false);
    assert_int_equal(nacks_asking(&f->pub_cap, 0, small_lost), 0);
    assert_int_equal(nacks_asking(&f->pub_cap, 0, large_lost), 1);

    /* The viewer chooses: the server no longer does. */
    sfu_viewer_set_quality(viewer, SFU_QUALITY_HIGH, now);
    assert_false(sfu_viewer_auto_quality(viewer));
    report_loss(viewer, &r, 60, now + QUALITY_AUTO_WINDOW_US);
    report_loss(viewer, &r, 60, now + 2 * QUALITY_AUTO_WINDOW_US);
    assert_int_equal(sfu_stream_info(sfu, "auto", &info), 0);
    assert_int_equal(info.viewers_auto, 0);
    assert_int_equal(info.viewers_at[SFU_QUALITY_HIGH], 1);
    assert_int_equal(sfu_counters(sfu)->quality_steps_down, 1);

    /* A change waiting for a keyframe when the publisher leaves takes effect then. */
    sfu_viewer_set_quality(viewer, SFU_QUALITY_LOW, now);
    assert_int_equal(sfu_stream_info(sfu, "auto", &info), 0);
    assert_int_equal(info.viewers_at[SFU_QUALITY_HIGH], 1);
    sfu_publisher_detach(pub);
    sfu_tick(sfu, now + 1000000);
    assert_int_equal(sfu_stream_info(sfu, "auto", &info), 0);
    assert_int_equal(info.viewers_at[SFU_QUALITY_LOW], 1);
    assert_int_equal(info.viewers_at[SFU_QUALITY_HIGH], 0);
    sfu_viewer_set_auto_quality(viewer, now);
    assert_int_equal(sfu_stream_info(sfu, "auto", &info), 0);
    assert_int_equal(info.viewers_auto, 1);
    sfu_viewer_detach(viewer);
    assert_int_equal(sfu_stream_info(sfu, "auto", &info), -1); /* nobody left: gone */
}

/* A VP8 frame of one packet with a picture ID (15 bits) and TL0PICIDX, as Chromium sends. */
static void send_vp8_ids(struct sfu *sfu, struct sfu_publisher *pub, uint32_t ssrc, uint16_t *seq,
                         uint64_t now_us, bool keyframe, uint16_t picture_id, uint8_t tl0)
{
    uint8_t pkt[64];
    uint8_t *p = pkt;
    *p++ = 0x80;
    *p++ = PUB_VP8_PT;
    p = be16_write(p, (*seq)++);
    p = be32_write(p, (uint32_t)(now_us / 1000 * 90));
    p = be32_write(p, ssrc);
    *p++ = 0x90; /* X, S */
    *p++ = 0xc0; /* I, L */
    *p++ = (uint8_t)(0x80 | picture_id >> 8);
    *p++ = (uint8_t)picture_id;
    *p++ = tl0;
    *p++ = keyframe ? 0x50 : 0x51;
    for (int i = 0; i < 20; i++)
        *p++ = (uint8_t)i;
    publish(sfu, pub, now_us, pkt, (size_t)(p - pkt));
}

/* The picture ID and TL0PICIDX of C's packet I (an RTX one's payload after its 2 bytes). */
static struct vp8_ids ids_of(const struct capture *c, size_t i, bool rtx)
{
    struct rtp_view v = parse(c->rtp[i], c->rtp_len[i]);
    struct vp8_ids ids;
    const char *why;
    assert_int_equal(vp8_ids_parse(&ids, v.payload + (rtx ? 2 : 0), v.payload_len, &why), 0);
    assert_true(ids.has_picture_id && ids.has_tl0);
    return ids;
}

/* VP8 picture IDs and TL0PICIDX go on where they were when the viewer's video moves to another
 * layer, numbered on its own (Chromium drops a frame whose picture ID is older than the last
 * it decoded), in repairs too. */
static void simulcast_vp8_picture_ids_continue(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    enum { SMALL = 0xa1, LARGE = 0xb2 };
    f->pt[0].ssrc = 0;
    f->pt[0].layers = 2;
    struct sfu_publisher *pub = attach_publisher(f, "ids", &webrtc_sink, &f->pub_cap);
    struct sfu_viewer *viewer = watch(f, "ids", &f->view_cap, 1000);
    uint16_t small_seq = 100, large_seq = 7000, small_pid = 500, large_pid = 30000;
    uint64_t now = 10000;
    send_vp8_ids(sfu, pub, SMALL, &small_seq, now, true, small_pid++, 9);
    for (int i = 0; i < 25; i++) { /* a second, the large layer at three times the packets */
        f->view_cap.n_rtp = 0;
        now += 40000;
        send_vp8_ids(sfu, pub, SMALL, &small_seq, now, false, small_pid++, 9);
        for (int k = 0; k < 3; k++)
            send_vp8_ids(sfu, pub, LARGE, &large_seq, now, k == 0, large_pid++, 77);
        assert_int_equal(f->view_cap.n_rtp, 1);
    }
    struct vp8_ids last = ids_of(&f->view_cap, 0, false);
    assert_int_equal(last.picture_id, 525); /* the small layer's own, as they came */
    assert_int_equal(last.tl0_pic_idx, 9);
    f->pub_cap.n_rtcp = 0;
    sfu_tick(sfu, now);
    assert_true(took_pli_for(&f->pub_cap, LARGE));

    /* The large layer's keyframe: the viewer moves there, its ids one on from the last. */
    f->view_cap.n_rtp = 0;
    send_vp8_ids(sfu, pub, LARGE, &large_seq, now + 1000, true, 0x7fff, 200);
    send_vp8_ids(sfu, pub, LARGE, &large_seq, now + 2000, false, 0, 200); /* wraps at 2^15 */
    assert_int_equal(f->view_cap.n_rtp, 2);
    struct vp8_ids first = ids_of(&f->view_cap, 0, false), next = ids_of(&f->view_cap, 1, false);
    assert_int_equal(first.picture_id, 526);
    assert_int_equal(first.tl0_pic_idx, 10);
    assert_int_equal(next.picture_id, 527);
    assert_int_equal(next.tl0_pic_idx, 10);

    /* The viewer lost that last one: its repair carries the same ids. */
    uint16_t lost = parse(f->view_cap.rtp[1], f->view_cap.rtp_len[1]).seq;
    uint8_t nack[64];
    size_t n = rtcp_nack_encode(nack, sizeof nack, 0x5eed, VIEW_VIDEO_SSRC, &lost, 1);
    f->view_cap.n_rtp = 0;
    sfu_viewer_rtcp(viewer, now + 3000, nack, n);
    assert_int_equal(f->view_cap.n_rtp, 1);
    assert_int_equal(parse(f->view_cap.rtp[0], f->view_cap.rtp_len[0]).ssrc, VIEW_RTX_SSRC);
    struct vp8_ids repaired = ids_of(&f->view_cap, 0, true);
    assert_int_equal(repaired.picture_id, 527);
    assert_int_equal(repaired.tl0_pic_idx, 10);

    /* A NACK for the small layer's last packet, from before the move: the track's history holds
     * only the large layer now, and the publisher is not asked for a packet of the large layer
     * under a number from before the viewer got it. */
    lost = (uint16_t)(lost - 2); /* before the large layer's keyframe and the packet after */
    n = rtcp_nack_encode(nack, sizeof nack, 0x5eed, VIEW_VIDEO_SSRC, &lost, 1);
    f->view_cap.n_rtp = f->pub_cap.n_rtcp = 0;
    sfu_viewer_rtcp(viewer, now + 4000, nack, n);
    assert_int_equal(f->view_cap.n_rtp, 0);
    assert_int_equal(f->pub_cap.n_rtcp, 0);
    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WITH_SFU(simulcast_forwards_the_best_flowing_layer),
        WITH_SFU(simulcast_low_quality_viewer_gets_the_smallest_layer),
        WITH_SFU(simulcast_medium_quality_gets_the_second_best),
        WITH_SFU(simulcast_auto_quality_follows_reported_loss),
        WITH_SFU(simulcast_vp8_picture_ids_continue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
