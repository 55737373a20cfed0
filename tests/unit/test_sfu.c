/* Tests for sfu/: forwarding rewrites, keyframe gating, continuity across a publisher's return,
 * NACKs answered from history (as RTX), losses and lost repairs asked of the publisher again,
 * repairs from before a viewer's join kept from it, duplicates, a viewer that comes first, a
 * frame's shorter packets padded for one GSO message, a fan-out split among lanes on real
 * threads, and a source's GOP replayed to a joiner (simulcast: test_sfu_simulcast). Publishers
 * and viewers are plain sinks that record what the SFU hands them (sfu_fixture.h). */
#include <pthread.h>

#include "base/worker_pool.h"
#include "sfu_fixture.h"

static void rewrites_and_gates_on_keyframe(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap, *view_cap = &f->view_cap;
    struct sfu_publisher *pub = attach_publisher(f, "cam", &webrtc_sink, pub_cap);
    assert_non_null(pub);
    assert_null(attach_publisher(f, "cam", &webrtc_sink, pub_cap));
    struct sfu_viewer *viewer = watch(f, "cam", view_cap, 1000);
    assert_true(has_keyframe_request(pub_cap)); /* a new viewer asks for a keyframe */

    uint8_t pkt[200];
    size_t n = vp8_packet(pkt, 0x1111, 500, 9000, true, false); /* a delta frame */
    publish(sfu, pub, 2000, pkt, n);
    assert_int_equal(view_cap->n_rtp, 0); /* video waits for a keyframe */

    n = opus_packet(pkt, 0x2222, 70, 48000);
    publish(sfu, pub, 3000, pkt, n);
    assert_int_equal(view_cap->n_rtp, 1); /* audio needs none */
    struct rtp_view a = parse(view_cap->rtp[0], view_cap->rtp_len[0]);
    assert_int_equal(a.ssrc, VIEW_AUDIO_SSRC);
    assert_int_equal(a.payload_type, VIEW_OPUS_PT);
    assert_int_equal(a.payload_len, 30);

    n = vp8_packet(pkt, 0x1111, 501, 12000, true, true);
    publish(sfu, pub, 4000, pkt, n);
    n = vp8_packet(pkt, 0x1111, 502, 12000, false, false);
    publish(sfu, pub, 5000, pkt, n);
    assert_int_equal(view_cap->n_rtp, 3);
    struct rtp_view k = parse(view_cap->rtp[1], view_cap->rtp_len[1]);
    struct rtp_view c = parse(view_cap->rtp[2], view_cap->rtp_len[2]);
    assert_int_equal(k.ssrc, VIEW_VIDEO_SSRC);
    assert_int_equal(k.payload_type, VIEW_VP8_PT);
    assert_int_equal((uint16_t)(c.seq - k.seq), 1);
    assert_int_equal(c.timestamp, k.timestamp);
    /* Extensions carried under the viewer's ids; mid rewritten to the viewer's mid. */
    size_t ext_len;
    const uint8_t *ext = rtp_ext_find(&k, 3, &ext_len);
    assert_non_null(ext);
    assert_int_equal(ext_len, 3);
    assert_int_equal(ext[0], 0xaa);
    ext = rtp_ext_find(&k, 9, &ext_len);
    assert_non_null(ext);
    assert_memory_equal(ext, "v", 1);
    assert_null(rtp_ext_find(&k, 2, &ext_len));
    assert_null(rtp_ext_find(&k, 4, &ext_len));

    /* The same packet again (a publisher retransmission) is not sent twice. */
    publish(sfu, pub, 6000, pkt, n);
    assert_int_equal(view_cap->n_rtp, 3);

    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
    assert_int_equal(sfu_stream_count(sfu), 0);
}

/* A sink that offers the SFU a slot to build packets in (struct sfu_sink's rtp_slot), and
 * counts where each packet it was handed had been built. */
struct slot_sink {
    struct capture cap; /* first: cap_rtcp, its RTCP sink, takes the struct as its capture */
    uint8_t slot[1600];
    size_t slot_cap; /* what the slot offers; 0: no slot (NULL) */
    size_t in_slot, elsewhere;
};

static uint8_t *offer_slot(void *opaque, size_t *cap)
{
    struct slot_sink *k = opaque;
    *cap = k->slot_cap;
    return k->slot_cap ? k->slot : NULL;
}

static void slot_rtp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    struct slot_sink *k = opaque;
    if (pkt == k->slot) {
        assert_int_equal(cap, k->slot_cap);
        k->in_slot++;
    } else {
        k->elsewhere++;
    }
    cap_rtp(&k->cap, pkt, len, cap);
}

static const struct sfu_sink slot_sink = {slot_rtp, cap_rtcp, NULL, offer_slot};

/* A viewer whose sink offers a slot gets each packet built there, the same bytes as a viewer
 * whose sink does not; a slot too small for the packet with SRTP's room, or none offered, and
 * the packet is built elsewhere, still the same. */
static void built_in_the_sinks_slot(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct sfu_publisher *pub = attach_publisher(f, "cam", &webrtc_sink, &f->pub_cap);
    struct sfu_viewer *plain = watch(f, "cam", &f->view_cap, 0);
    struct slot_sink *k = calloc(1, sizeof *k);
    assert_non_null(k);
    struct sfu_viewer *viewer = sfu_viewer_attach(sfu, "cam", f->vt, 2, &slot_sink, k);
    assert_non_null(viewer);
    sfu_viewer_start(viewer, 0);

    /* The VP8 packets here are 46 bytes, the Opus ones 42: a slot of 109 is a byte short for
     * VP8 with SRTP's room (SFU_SRTP_ROOM, 64) and holds Opus. */
    static const size_t offers[] = {1500, 46 + 63, 0};
    static const size_t want_in_slot[] = {2, 1, 0};
    uint8_t pkt[200];
    uint16_t seq = 100;
    for (size_t i = 0; i < 3; i++) {
        k->slot_cap = offers[i];
        k->in_slot = k->elsewhere = 0;
        size_t n = vp8_packet(pkt, 0x1111, seq, 3000u * seq, true, true);
        assert_int_equal(n, 46);
        publish(sfu, pub, 1000u * seq, pkt, n);
        seq++;
        n = opus_packet(pkt, 0x2222, seq, 960u * seq);
        publish(sfu, pub, 1000u * seq, pkt, n);
        seq++;
        assert_int_equal(k->in_slot, want_in_slot[i]);
        assert_int_equal(k->in_slot + k->elsewhere, 2);
    }
    assert_int_equal(k->cap.n_rtp, 6);
    assert_int_equal(f->view_cap.n_rtp, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(k->cap.rtp_len[i], f->view_cap.rtp_len[i]);
        assert_memory_equal(k->cap.rtp[i], f->view_cap.rtp[i], f->view_cap.rtp_len[i]);
    }
    sfu_viewer_detach(viewer);
    sfu_viewer_detach(plain);
    sfu_publisher_detach(pub);
    free(k);
}

static void nack_answered_as_rtx(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap, *view_cap = &f->view_cap;
    struct sfu_publisher *pub = attach_publisher(f, "cam", &webrtc_sink, pub_cap);
    struct sfu_viewer *viewer = watch(f, "cam", view_cap, 0);
    uint8_t pkt[200];
    for (uint16_t i = 0; i < 5; i++) {
        size_t n = vp8_packet(pkt, 0x1111, (uint16_t)(65534 + i), 90000, i == 0, i == 0);
        publish(sfu, pub, 1000 + i, pkt, n);
    }
    assert_int_equal(view_cap->n_rtp, 5);
    struct rtp_view lost = parse(view_cap->rtp[2], view_cap->rtp_len[2]);
    uint16_t want = lost.seq;
    uint8_t nack[64];
    size_t nn = rtcp_nack_encode(nack, sizeof nack, 0x77, VIEW_VIDEO_SSRC, &want, 1);
    sfu_viewer_rtcp(viewer, 9000, nack, nn);
    assert_int_equal(view_cap->n_rtp, 6);
    struct rtp_view rtx = parse(view_cap->rtp[5], view_cap->rtp_len[5]);
    assert_int_equal(rtx.ssrc, VIEW_RTX_SSRC);
    assert_int_equal(rtx.payload_type, VIEW_RTX_PT);
    assert_int_equal(be16_read(rtx.payload), want); /* RFC 4588 §4: OSN first */
    assert_int_equal(rtx.payload_len, lost.payload_len + 2);
    assert_memory_equal(rtx.payload + 2, lost.payload, lost.payload_len);

    /* A gap from the publisher is NACKed to it at once. */
    size_t before = pub_cap->n_rtcp;
    size_t n = vp8_packet(pkt, 0x1111, 5, 93000, false, false); /* 3 and 4 skipped */
    publish(sfu, pub, 10000, pkt, n);
    assert_int_equal(pub_cap->n_rtcp, before + 1);
    struct rtcp_iter it;
    struct rtcp_view v;
    struct rtcp_nack decoded;
    const char *why;
    rtcp_iter_init(&it, pub_cap->rtcp[before], pub_cap->rtcp_len[before]);
    assert_int_equal(rtcp_next(&it, &v, &why), 1);
    assert_int_equal(rtcp_nack_decode(&decoded, &v, &why), 0);
    uint16_t seqs[8];
    assert_int_equal(rtcp_nack_lost(&decoded, seqs, 8), 2);
    assert_int_equal(seqs[0], 3);
    assert_int_equal(seqs[1], 4);
    assert_int_equal(decoded.media_ssrc, 0x1111);

    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
}

/* What a counting viewer got: packets, their bytes, and the sequence number of its first. */
struct count {
    size_t n;
    uint64_t bytes;
    uint16_t first_seq;
};

static void count_rtp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    (void)cap;
    struct count *c = opaque;
    c->bytes += len;
    if (!c->n++)
        c->first_seq = parse(pkt, len).seq;
}

static void ignore_rtcp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    (void)opaque, (void)pkt, (void)len, (void)cap;
}

/* A viewer NACKing a packet it has over and over is resent it 512 times at most at once, then
 * 512 a second (sfu_internal.h's SFU_RESEND_BURST and SFU_RESEND_PER_SECOND), not once per NACK;
 * the rest are counted as refused. */
static void repairs_kept_to_a_budget(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct sfu_publisher *pub = attach_publisher(f, "cam", &webrtc_sink, &f->pub_cap);
    static const struct sfu_sink counting_sink = {count_rtp, ignore_rtcp, NULL, NULL};
    struct count got = {0};
    struct sfu_viewer *viewer = sfu_viewer_attach(sfu, "cam", f->vt, 2, &counting_sink, &got);
    assert_non_null(viewer);
    sfu_viewer_start(viewer, 0);
    uint8_t pkt[200];
    publish(sfu, pub, 1000, pkt, vp8_packet(pkt, 0x1111, 10, 90000, true, true));
    assert_int_equal(got.n, 1);
    uint16_t want = got.first_seq;
    uint8_t nack[64];
    size_t nn = rtcp_nack_encode(nack, sizeof nack, 0x77, VIEW_VIDEO_SSRC, &want, 1);
    for (int i = 0; i < 600; i++)
        sfu_viewer_rtcp(viewer, 2000, nack, nn);
    assert_int_equal(got.n, 1 + 512);
    assert_int_equal(sfu_counters(sfu)->retransmits_refused, 88);
    for (int i = 0; i < 600; i++) /* 100 ms later: 51 more */
        sfu_viewer_rtcp(viewer, 102000, nack, nn);
    assert_int_equal(got.n, 1 + 512 + 51);
    for (int i = 0; i < 600; i++) /* and after 2 s of quiet, the whole burst again */
        sfu_viewer_rtcp(viewer, 2102000, nack, nn);
    assert_int_equal(got.n, 1 + 512 + 51 + 512);
    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
}

/* A packet lost on the way in whose repair is lost too: the viewers' NACKs for it ask the
 * publisher again, once per 50 ms (sfu_internal.h's SFU_REASK_US) however many ask, and the
 * repair reaches them. */
enum { REASK_US = 50000 };
static void lost_repair_asked_again(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap, *view_cap = &f->view_cap;
    struct sfu_publisher *pub = attach_publisher(f, "cam", &webrtc_sink, pub_cap);
    struct sfu_viewer *viewer = watch(f, "cam", view_cap, 0);
    uint8_t pkt[200];
    for (uint16_t seq = 10; seq < 13; seq++)
        publish(sfu, pub, 1000 + seq, pkt, vp8_packet(pkt, 0x1111, seq, 90000, seq == 10, true));
    publish(sfu, pub, 20000, pkt, vp8_packet(pkt, 0x1111, 14, 93000, true, true));
    assert_int_equal(view_cap->n_rtp, 4);
    assert_int_equal(nacks_asking(pub_cap, 0, 13), 1); /* the gap, asked at once */
    assert_int_equal(sfu_counters(sfu)->nacks_out, 1);
    struct rtp_view first = parse(view_cap->rtp[0], view_cap->rtp_len[0]);
    uint16_t want = (uint16_t)(first.seq + 3); /* 13, as the viewer numbers it */
    uint8_t nack[64];
    size_t nn = rtcp_nack_encode(nack, sizeof nack, 0x77, VIEW_VIDEO_SSRC, &want, 1);

    size_t before = pub_cap->n_rtcp;
    sfu_viewer_rtcp(viewer, 20000 + 10000, nack, nn); /* the repair may be on its way */
    assert_int_equal(nacks_asking(pub_cap, before, 13), 0);
    sfu_viewer_rtcp(viewer, 20000 + REASK_US + 1000, nack, nn); /* it was lost: again */
    assert_int_equal(nacks_asking(pub_cap, before, 13), 1);
    for (int i = 1; i <= 20; i++) /* the other viewers' NACKs for it, in the next 40 ms */
        sfu_viewer_rtcp(viewer, 20000 + REASK_US + 1000 + 2000 * i, nack, nn);
    assert_int_equal(nacks_asking(pub_cap, before, 13), 1);
    sfu_viewer_rtcp(viewer, 20000 + 2 * REASK_US + 2000, nack, nn);
    assert_int_equal(nacks_asking(pub_cap, before, 13), 2);
    assert_int_equal(sfu_counters(sfu)->nacks_out, 3); /* onair_publisher_nacked_packets_total */

    /* The repair goes to the viewer under the number it asked for. */
    assert_int_equal(view_cap->n_rtp, 4);
    publish(sfu, pub, 200000, pkt, vp8_packet(pkt, 0x1111, 13, 90000, false, true));
    assert_int_equal(view_cap->n_rtp, 5);
    assert_int_equal(parse(view_cap->rtp[4], view_cap->rtp_len[4]).seq, want);
    /* A packet the viewer was never sent is not asked for. */
    before = pub_cap->n_rtcp;
    uint16_t ahead = (uint16_t)(first.seq + 9);
    nn = rtcp_nack_encode(nack, sizeof nack, 0x77, VIEW_VIDEO_SSRC, &ahead, 1);
    sfu_viewer_rtcp(viewer, 400000, nack, nn);
    assert_int_equal(nacks_asking(pub_cap, before, 19), 0);

    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
}

/* A repair that does not come is asked for again without any viewer's NACK, every 50 ms while
 * packets flow, five times in all; one that comes is not asked for again. */
static void unrepaired_loss_asked_again_unprompted(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap;
    struct sfu_publisher *pub = attach_publisher(f, "cam", &webrtc_sink, pub_cap);
    uint8_t pkt[200];
    uint64_t now = 1000;
    for (uint16_t seq = 10; seq < 28; seq++) { /* 13 and 21 lost */
        if (seq != 13 && seq != 21)
            publish(sfu, pub, now, pkt, vp8_packet(pkt, 0x1111, seq, 90000, true, seq == 10));
        now += 10000;
    }
    /* 13 asked when 14 came, and again 50 ms on at 19 and 24; 21 at 22 and 27. */
    assert_int_equal(nacks_asking(pub_cap, 0, 13), 3);
    assert_int_equal(nacks_asking(pub_cap, 0, 21), 2);
    publish(sfu, pub, now, pkt, vp8_packet(pkt, 0x1111, 21, 90000, false, false));
    for (uint16_t seq = 28; seq < 60; seq++) {
        now += 10000;
        publish(sfu, pub, now, pkt, vp8_packet(pkt, 0x1111, seq, 90000, true, false));
    }
    assert_int_equal(nacks_asking(pub_cap, 0, 13), 5);
    assert_int_equal(nacks_asking(pub_cap, 0, 21), 2);
    assert_int_equal(sfu_counters(sfu)->nacks_out, 7);
    sfu_publisher_detach(pub);
}

/* A repair of a packet lost before the viewer's first (its keyframe) is not sent to it:
 * libwebrtc would take it for the start of the stream and count every number between as lost
 * for good. A repair after its first goes, under the number the viewer expects. */
static void repair_from_before_the_join_not_sent(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *view_cap = &f->view_cap;
    struct sfu_publisher *pub = attach_publisher(f, "cam", &webrtc_sink, &f->pub_cap);
    struct sfu_viewer *viewer = watch(f, "cam", view_cap, 0);
    uint8_t pkt[200];
    /* 11 and 15 are lost on the way in; 13 is a keyframe. */
    static const uint16_t arrive[] = {10, 12, 13, 14, 16};
    for (size_t i = 0; i < 5; i++) {
        uint16_t seq = arrive[i];
        publish(sfu, pub, 1000u * seq, pkt,
                vp8_packet(pkt, 0x1111, seq, 3000u * seq, true, seq == 13));
    }
    assert_int_equal(view_cap->n_rtp, 3); /* 13, 14, 16 */
    struct rtp_view first = parse(view_cap->rtp[0], view_cap->rtp_len[0]);

    publish(sfu, pub, 30000, pkt, vp8_packet(pkt, 0x1111, 11, 33000, true, false));
    assert_int_equal(view_cap->n_rtp, 3);
    publish(sfu, pub, 31000, pkt, vp8_packet(pkt, 0x1111, 15, 45000, true, false));
    assert_int_equal(view_cap->n_rtp, 4);
    assert_int_equal(parse(view_cap->rtp[3], view_cap->rtp_len[3]).seq, (uint16_t)(first.seq + 2));

    /* 40,000 packets on (past half the sequence space, where 13 looks newer again), a late
     * repair is sent as any other. */
    uint16_t lost = 13 + 40000 - 5;
    for (uint16_t seq = 17; seq != (uint16_t)(13 + 40000); seq++) {
        view_cap->n_rtp = 0;
        if (seq != lost)
            publish(sfu, pub, 1000u * seq, pkt,
                    vp8_packet(pkt, 0x1111, seq, 3000u * seq, true, false));
    }
    view_cap->n_rtp = 0;
    publish(sfu, pub, 1000u * 40013, pkt, vp8_packet(pkt, 0x1111, lost, 3000u * lost, true, false));
    assert_int_equal(view_cap->n_rtp, 1);

    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
}

/* A crowd's outgoing rate passes 2^32 bits a second at ~3,000 viewers of a 1.5 Mbit/s stream
 * (seen in a benchmark as a negative bitrate_out in the API): it is told whole. */
static void crowd_bitrate_past_32_bits(void **state)
{
    enum { VIEWERS = 1000, PACKETS = 480, SIZE = 1200 };
    struct fixture *f = *state;
    static const struct sfu_sink counting = {count_rtp, ignore_rtcp, NULL, NULL};
    struct count got = {0}, publisher_got = {0};
    struct sfu_publisher *pub =
        sfu_publisher_attach(f->sfu, "crowd", f->pt, 2, &counting, &publisher_got, &f->why);
    struct sfu_viewer **viewers = calloc(VIEWERS, sizeof *viewers);
    assert_non_null(viewers);
    for (size_t i = 0; i < VIEWERS; i++) {
        viewers[i] = sfu_viewer_attach(f->sfu, "crowd", f->vt, 2, &counting, &got);
        assert_non_null(viewers[i]);
        sfu_viewer_start(viewers[i], 0);
    }
    const uint64_t t0 = 1000000;
    sfu_tick(f->sfu, t0); /* the rate's window opens here */
    uint8_t pkt[SIZE];
    for (uint16_t seq = 0; seq < PACKETS; seq++) {
        size_t n = vp8_packet(pkt, 0x1111, seq, 3000u * (seq / 8), seq % 8 == 0, seq == 0);
        memset(pkt + n, 0x5a, SIZE - n); /* the frame's data: the SFU does not read it */
        publish(f->sfu, pub, t0 + 1000u * seq, pkt, SIZE);
    }
    sfu_tick(f->sfu, t0 + 1000000);
    assert_true(got.bytes * 8 > UINT32_MAX); /* else this tests nothing */
    struct sfu_stream_info info;
    assert_int_equal(sfu_stream_info(f->sfu, "crowd", &info), 0);
    assert_true(info.bitrate_out == got.bytes * 8); /* over exactly one second */
    for (size_t i = 0; i < VIEWERS; i++)
        sfu_viewer_detach(viewers[i]);
    free(viewers);
    sfu_publisher_detach(pub);
}

static void viewer_first_then_publisher_returns(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap, *view_cap = &f->view_cap;
    struct sfu_viewer *viewer = watch(f, "late", view_cap, 0);
    struct sfu_stream_info info;
    assert_int_equal(sfu_stream_info(sfu, "late", &info), 0);
    assert_false(info.live);
    assert_int_equal(info.viewers, 1);

    uint8_t pkt[200];
    struct sfu_publisher *pub = attach_publisher(f, "late", &webrtc_sink, pub_cap);
    for (uint16_t i = 0; i < 3; i++) {
        size_t n = vp8_packet(pkt, 0x1111, (uint16_t)(100 + i), 3000u * i, true, i == 0);
        publish(sfu, pub, 1000000u + i * 33000u, pkt, n);
    }
    assert_int_equal(view_cap->n_rtp, 3);
    struct rtp_view last = parse(view_cap->rtp[2], view_cap->rtp_len[2]);
    sfu_publisher_detach(pub);
    assert_int_equal(sfu_stream_info(sfu, "late", &info), 0); /* kept for its viewer */

    /* It returns with a new SSRC and unrelated numbering, half a second later. */
    publisher_tracks(f->pt, 0x9999, 0x8888);
    pub = attach_publisher(f, "late", &webrtc_sink, pub_cap);
    assert_non_null(pub);
    size_t n = vp8_packet(pkt, 0x9999, 40000, 777777, true, false);
    publish(sfu, pub, 1600000, pkt, n);
    assert_int_equal(view_cap->n_rtp, 3); /* waits for the new source's keyframe */
    n = vp8_packet(pkt, 0x9999, 40001, 780000, true, true);
    publish(sfu, pub, 1700000, pkt, n);
    assert_int_equal(view_cap->n_rtp, 4);
    struct rtp_view next = parse(view_cap->rtp[3], view_cap->rtp_len[3]);
    assert_int_equal(next.ssrc, VIEW_VIDEO_SSRC);
    assert_int_equal((uint16_t)(next.seq - last.seq), 1);
    uint32_t advance = next.timestamp - last.timestamp;
    /* About the 0.634 s that passed, at 90 kHz. */
    assert_in_range(advance, 90000 * 6 / 10, 90000 * 7 / 10);

    sfu_publisher_detach(pub);
    sfu_viewer_detach(viewer);
    assert_int_equal(sfu_stream_count(sfu), 0);
}

static void viewer_without_the_codec_gets_no_video(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap, *view_cap = &f->view_cap;
    f->vt[0].n_codecs = 1; /* H264 only */
    struct sfu_publisher *pub = attach_publisher(f, "x", &webrtc_sink, pub_cap);
    struct sfu_viewer *viewer = watch(f, "x", view_cap, 0);
    uint8_t pkt[200];
    size_t n = vp8_packet(pkt, 0x1111, 1, 0, true, true);
    publish(sfu, pub, 1000, pkt, n);
    assert_int_equal(view_cap->n_rtp, 0);
    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
}

/* Who got what, in the order the sinks were called. */
struct order_log {
    size_t n;
    char viewer[128];
    uint32_t ssrc[128];
    uint16_t seq[128];
};
struct tagged_sink {
    char tag;
    struct order_log *log;
};

static void log_rtp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    struct tagged_sink *t = opaque;
    struct rtp_view v = parse(pkt, len);
    assert_true(t->log->n < 128);
    t->log->viewer[t->log->n] = t->tag;
    t->log->ssrc[t->log->n] = v.ssrc;
    t->log->seq[t->log->n++] = v.seq;
}

static const struct sfu_sink logging_sink = {log_rtp, cap_rtcp, NULL, NULL};

/* Packets wait for sfu_flush, then each viewer gets its whole run (video, then audio) before
 * the next viewer gets any: its datagrams sit together for one GSO message. More packets than
 * the SFU holds go out in order all the same, and a publisher leaving delivers what waits. */
static void burst_reaches_each_viewer_as_a_run(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    static struct order_log log;
    memset(&log, 0, sizeof log);
    struct tagged_sink a = {'a', &log}, b = {'b', &log};
    struct sfu_publisher *pub = attach_publisher(f, "run", &webrtc_sink, &f->pub_cap);
    struct sfu_viewer *va = sfu_viewer_attach(sfu, "run", f->vt, 2, &logging_sink, &a);
    struct sfu_viewer *vb = sfu_viewer_attach(sfu, "run", f->vt, 2, &logging_sink, &b);
    sfu_viewer_start(va, 0);
    sfu_viewer_start(vb, 0);

    uint8_t pkt[200];
    size_t n = vp8_packet(pkt, 0x1111, 10, 3000, true, true);
    sfu_publisher_rtp(pub, 1000, pkt, n);
    n = opus_packet(pkt, 0x2222, 70, 48000);
    sfu_publisher_rtp(pub, 1100, pkt, n);
    n = vp8_packet(pkt, 0x1111, 11, 3000, false, false);
    sfu_publisher_rtp(pub, 1200, pkt, n);
    n = vp8_packet(pkt, 0x1111, 12, 3000, false, false);
    sfu_publisher_rtp(pub, 1300, pkt, n);
    assert_int_equal(log.n, 0); /* nothing before the flush */
    sfu_flush(sfu);
    assert_int_equal(log.n, 8);
    static const char who[] = "aaaabbbb";
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(log.viewer[i], who[i]);
        bool audio = i % 4 == 3;
        assert_int_equal(log.ssrc[i], audio ? VIEW_AUDIO_SSRC : VIEW_VIDEO_SSRC);
        if (!audio && i % 4)
            assert_int_equal((uint16_t)(log.seq[i] - log.seq[i - 1]), 1);
    }
    sfu_flush(sfu);
    assert_int_equal(log.n, 8); /* sent once */

    /* 40 video packets before one flush: all of them, in order, to both. */
    memset(&log, 0, sizeof log);
    for (uint16_t i = 0; i < 40; i++) {
        n = vp8_packet(pkt, 0x1111, (uint16_t)(13 + i), 6000, false, false);
        sfu_publisher_rtp(pub, 2000 + i, pkt, n);
    }
    sfu_flush(sfu);
    assert_int_equal(log.n, 80);
    uint16_t last[2] = {0, 0};
    size_t count[2] = {0, 0};
    for (size_t i = 0; i < log.n; i++) {
        int v = log.viewer[i] == 'b';
        if (count[v])
            assert_int_equal((uint16_t)(log.seq[i] - last[v]), 1);
        last[v] = log.seq[i];
        count[v]++;
    }
    assert_int_equal(count[0], 40);
    assert_int_equal(count[1], 40);

    /* A publisher leaving hands over what waits. */
    memset(&log, 0, sizeof log);
    n = vp8_packet(pkt, 0x1111, 53, 9000, false, false);
    sfu_publisher_rtp(pub, 3000, pkt, n);
    sfu_publisher_detach(pub);
    assert_int_equal(log.n, 2);
    sfu_flush(sfu); /* nothing left that points at the publisher */
    assert_int_equal(log.n, 2);

    sfu_viewer_detach(va);
    sfu_viewer_detach(vb);
}

/* A frame split as libwebrtc splits one, its last packets a byte longer than the others (the
 * first's VP8 descriptor is a byte longer too), reaches the viewer as packets of one size: the
 * shorter ones carry a byte of RTP padding, so the run leaves as one GSO message. The payloads
 * are the publisher's, byte for byte. */
static void frame_split_about_equally_is_padded_to_one_size(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap, *view_cap = &f->view_cap;
    struct sfu_publisher *pub = attach_publisher(f, "pad", &webrtc_sink, pub_cap);
    struct sfu_viewer *viewer = watch(f, "pad", view_cap, 0);

    static const size_t longer[] = {0, 0, 0, 1, 1};
    uint8_t sent[5][200];
    size_t sent_len[5];
    for (uint16_t i = 0; i < 5; i++) {
        sent_len[i] = vp8_packet(sent[i], 0x1111, (uint16_t)(20 + i), 9000, i == 0, i == 0);
        memset(sent[i] + sent_len[i], 0x77, 100 + longer[i]);
        sent_len[i] += 100 + longer[i];
        sfu_publisher_rtp(pub, 1000 + i, sent[i], sent_len[i]);
    }
    uint8_t audio[200];
    sfu_publisher_rtp(pub, 1010, audio, opus_packet(audio, 0x2222, 70, 48000));
    sfu_flush(sfu);

    assert_int_equal(view_cap->n_rtp, 6);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(view_cap->rtp_len[i], view_cap->rtp_len[4]);
        struct rtp_view out = parse(view_cap->rtp[i], view_cap->rtp_len[i]);
        struct rtp_view in = parse(sent[i], sent_len[i]);
        assert_int_equal(out.padding_len, sent_len[4] - sent_len[i]);
        assert_int_equal(out.payload_len, in.payload_len);
        assert_memory_equal(out.payload, in.payload, in.payload_len);
    }
    /* The audio packet after the run, shorter, is its message's short last segment as it is. */
    struct rtp_view opus = parse(view_cap->rtp[5], view_cap->rtp_len[5]);
    assert_int_equal(opus.ssrc, VIEW_AUDIO_SSRC);
    assert_int_equal(opus.padding_len, 0);

    /* A repair of a padded packet is the packet without the padding. */
    struct rtp_view first = parse(view_cap->rtp[0], view_cap->rtp_len[0]);
    view_cap->n_rtp = 0;
    uint8_t nack[64];
    size_t nack_len = rtcp_nack_encode(nack, sizeof nack, 1, VIEW_VIDEO_SSRC, &first.seq, 1);
    sfu_viewer_rtcp(viewer, 2000, nack, nack_len);
    assert_int_equal(view_cap->n_rtp, 1);
    struct rtp_view repair = parse(view_cap->rtp[0], view_cap->rtp_len[0]);
    assert_int_equal(repair.padding_len, 0);
    assert_int_equal(repair.ssrc, VIEW_RTX_SSRC);

    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
}

/* A viewer of the lanes tests: what it got, on which thread, and in which lane when the lanes
 * run on this thread (no cmocka asserts in a sink that runs on a worker thread: they would jump
 * into the main thread's stack). */
#define LANE_VIEWERS 40
struct lane_viewer {
    size_t n_video, n_audio, out_of_order;
    uint16_t last_seq;
    pthread_t threads[2];
    size_t n_threads;
    unsigned lanes_seen;  /* a bit for each lane seen, with run_in_turn */
    unsigned split_lanes; /* lanes_seen after the split fan-out */
};

/* The lane run_in_turn is running now. */
static unsigned lane_running;

static void lane_rtp(void *opaque, uint8_t *pkt, size_t len, size_t cap)
{
    struct lane_viewer *lv = opaque;
    pthread_t self = pthread_self();
    if (lv->n_threads == 0 || !pthread_equal(lv->threads[lv->n_threads - 1], self)) {
        if (lv->n_threads < 2)
            lv->threads[lv->n_threads] = self;
        lv->n_threads++;
    }
    lv->lanes_seen |= 1u << lane_running;
    struct rtp_view v;
    const char *why;
    if (rtp_parse(&v, pkt, len, &why) < 0)
        return;
    if (v.ssrc == VIEW_AUDIO_SSRC) {
        lv->n_audio++;
        return;
    }
    if (lv->n_video && (uint16_t)(v.seq - lv->last_seq) != 1)
        lv->out_of_order++;
    lv->last_seq = v.seq;
    lv->n_video++;
}

static const struct sfu_sink lane_sink = {lane_rtp, cap_rtcp, NULL, NULL};

static void run_on_pool(void *opaque, void (*part)(void *arg, unsigned lane), void *arg)
{
    worker_pool_run(opaque, part, arg);
}

/* The three lanes one after the other on this thread, the loop's own (0) last: as when the
 * workers wake before the loop starts on its share. */
static void run_in_turn(void *opaque, void (*part)(void *arg, unsigned lane), void *arg)
{
    (void)opaque;
    static const unsigned order[] = {1, 2, 0};
    for (size_t i = 0; i < 3; i++) {
        lane_running = order[i];
        part(arg, order[i]);
    }
    lane_running = 0;
}

/* 40 viewers and a keyframe of 10 packets plus audio, the fan-out split among 3 lanes run by
 * RUN_LANES: every viewer gets each packet once, in order, all from one thread (and lane), and
 * the SFU's figures add up as if one thread had sent them. Then one audio packet, under the
 * copies set for a split: this thread sends it all. Fills LV. */
static void fan_out_among_lanes(void (*run_lanes)(void *, void (*)(void *, unsigned), void *),
                                void *opaque, struct lane_viewer *lv)
{
    const char *why = NULL;
    struct sfu_config config = {.max_bitrate = 2500000,
                                .lanes = 3,
                                .run_lanes = run_lanes,
                                .lanes_opaque = opaque,
                                .lane_min_sends = 48};
    struct sfu *sfu = sfu_new(&config);
    struct sfu_track_desc pt[2];
    struct sfu_viewer_track_desc vt[2];
    publisher_tracks(pt, 0x1111, 0x2222);
    viewer_tracks(vt);
    static struct capture pub_cap;
    memset(&pub_cap, 0, sizeof pub_cap);
    memset(lv, 0, LANE_VIEWERS * sizeof *lv);
    struct sfu_publisher *pub =
        sfu_publisher_attach(sfu, "lanes", pt, 2, &webrtc_sink, &pub_cap, &why);
    struct sfu_viewer *viewers[LANE_VIEWERS];
    for (size_t i = 0; i < LANE_VIEWERS; i++) {
        viewers[i] = sfu_viewer_attach(sfu, "lanes", vt, 2, &lane_sink, &lv[i]);
        sfu_viewer_start(viewers[i], 0);
    }
    uint8_t pkt[200];
    for (uint16_t i = 0; i < 10; i++) {
        size_t n = vp8_packet(pkt, 0x1111, (uint16_t)(500 + i), 9000, i == 0, i == 0);
        sfu_publisher_rtp(pub, 1000 + i, pkt, n);
    }
    size_t n = opus_packet(pkt, 0x2222, 70, 48000);
    sfu_publisher_rtp(pub, 1100, pkt, n);
    memset(&pub_cap, 0, sizeof pub_cap); /* the joins' own keyframe requests */
    sfu_flush(sfu);

    for (size_t i = 0; i < LANE_VIEWERS; i++) {
        assert_int_equal(lv[i].n_video, 10);
        assert_int_equal(lv[i].n_audio, 1);
        assert_int_equal(lv[i].out_of_order, 0);
        assert_int_equal(lv[i].n_threads, 1);
        lv[i].split_lanes = lv[i].lanes_seen;
    }
    const struct sfu_counters *c = sfu_counters(sfu);
    assert_int_equal(c->rtp_out, LANE_VIEWERS * 11);
    assert_int_equal(c->fan_outs, 1);
    assert_int_equal(c->fan_outs_split, 1);
    assert_int_equal(sfu_join_ms(sfu)->count, LANE_VIEWERS); /* each one's first keyframe */
    assert_int_equal(has_keyframe_request(&pub_cap), false); /* nobody waits any more */

    n = opus_packet(pkt, 0x2222, 71, 48960);
    sfu_publisher_rtp(pub, 1200, pkt, n);
    sfu_flush(sfu);
    for (size_t i = 0; i < LANE_VIEWERS; i++)
        assert_int_equal(lv[i].n_audio, 2);
    assert_int_equal(c->fan_outs, 2);
    assert_int_equal(c->fan_outs_split, 1);

    for (size_t i = 0; i < LANE_VIEWERS; i++)
        sfu_viewer_detach(viewers[i]);
    sfu_publisher_detach(pub);
    sfu_free(sfu);
}

/* On real threads: which lane takes which viewers depends on when each wakes, so only what
 * every viewer got is asserted. */
static void fan_out_split_among_lanes(void **state)
{
    const char *why = NULL;
    struct worker_pool *pool = worker_pool_new(3, &why);
    assert_non_null(pool);
    static struct lane_viewer lv[LANE_VIEWERS];
    fan_out_among_lanes(run_on_pool, pool, lv);
    worker_pool_free(pool);
}

/* The lanes take viewers as they come, not a fixed share each: the first lane to run takes them
 * all, and the later ones, finding none left, send nothing, while every viewer still gets its
 * copies once. (A fixed share would make the loop's lane wait for a worker slow to wake.) */
static void fan_out_first_lane_takes_what_is_left(void **state)
{
    static struct lane_viewer lv[LANE_VIEWERS];
    fan_out_among_lanes(run_in_turn, NULL, lv);
    for (size_t i = 0; i < LANE_VIEWERS; i++)
        assert_int_equal(lv[i].split_lanes, 1u << 1);
}

static void note_keyframe_request(void *opaque)
{
    ((struct capture *)opaque)->keyframe_requests++;
}

/* A publisher that is not a WebRTC peer (a file, a camera): it cannot make a keyframe on request. */
static const struct sfu_sink source_sink = {cap_rtp, cap_rtcp, note_keyframe_request, NULL};

/* Publishes the frames of a GOP on stream NAME's publisher: a keyframe of two packets at SEQ, then
 * one-packet delta frames, each 3000 ticks (30 fps) after the last. */
static void publish_gop(struct sfu *sfu, struct sfu_publisher *pub, uint16_t seq, uint32_t ts,
                        int deltas)
{
    uint8_t pkt[200];
    size_t n = vp8_packet(pkt, 0x1111, seq, ts, true, true);
    publish(sfu, pub, 1000, pkt, n);
    n = vp8_packet(pkt, 0x1111, (uint16_t)(seq + 1), ts, false, false);
    publish(sfu, pub, 1000, pkt, n);
    for (int i = 1; i <= deltas; i++) {
        n = vp8_packet(pkt, 0x1111, (uint16_t)(seq + 1 + i), ts + 3000u * (uint32_t)i, true, false);
        publish(sfu, pub, 1000, pkt, n);
    }
}

/* A viewer joining a source that cannot make a keyframe gets the frames since its last one as
 * soon as its keys are ready, not at the source's next packet, their timestamps squeezed
 * towards the newest frame's; a NACK for one is answered with the same timestamp. A WebRTC
 * publisher's viewer waits for the keyframe it asks for instead. */
static void source_gop_replayed_to_joiner(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap, *view_cap = &f->view_cap;
    static struct capture web_pub_cap, web_view_cap;
    memset(&web_pub_cap, 0, sizeof web_pub_cap);
    memset(&web_view_cap, 0, sizeof web_view_cap);
    struct sfu_publisher *pub = attach_publisher(f, "file", &source_sink, pub_cap);
    struct sfu_publisher *web = attach_publisher(f, "web", &webrtc_sink, &web_pub_cap);
    publish_gop(sfu, pub, 100, 90000, 2);  /* 100-101 keyframe (90000), 102 (93000), 103 (96000) */
    publish_gop(sfu, web, 100, 90000, 2);

    struct sfu_viewer *viewer = watch(f, "file", view_cap, 2000);
    struct sfu_viewer *web_viewer = watch(f, "web", &web_view_cap, 2000);
    assert_int_equal(view_cap->n_rtp, 4);         /* the GOP so far, at once */
    assert_int_equal(sfu_join_ms(sfu)->count, 1); /* the replayed keyframe was its first */
    uint8_t pkt[200];
    size_t n = vp8_packet(pkt, 0x1111, 104, 99000, true, false);
    publish(sfu, pub, 3000, pkt, n);
    publish(sfu, web, 3000, pkt, n);

    assert_int_equal(web_view_cap.n_rtp, 0); /* waits for the keyframe its request brings */
    assert_true(has_keyframe_request(&web_pub_cap));
    assert_int_equal(view_cap->n_rtp, 5); /* then the next frame, as it came */
    /* Frames 6000 and 3000 ticks before the newest now lie 200 and 100 before it. */
    const uint32_t want_ts[5] = {95800, 95800, 95900, 96000, 99000};
    for (size_t i = 0; i < 5; i++) {
        struct rtp_view v = parse(view_cap->rtp[i], view_cap->rtp_len[i]);
        assert_int_equal(v.ssrc, VIEW_VIDEO_SSRC);
        assert_int_equal(v.seq, 100 + i);
        assert_int_equal(v.timestamp, want_ts[i]);
    }
    uint8_t original[200];
    size_t original_len = vp8_packet(original, 0x1111, 100, 90000, true, true);
    struct rtp_view key = parse(view_cap->rtp[0], view_cap->rtp_len[0]);
    struct rtp_view sent = parse(original, original_len);
    assert_int_equal(key.payload_len, sent.payload_len);
    assert_memory_equal(key.payload, sent.payload, sent.payload_len);
    assert_int_equal(sfu_join_ms(sfu)->count, 1);

    /* The next frame goes on at the source's own timestamps (no offset: the viewer's first). */
    n = vp8_packet(pkt, 0x1111, 105, 102000, true, false);
    publish(sfu, pub, 4000, pkt, n);
    assert_int_equal(view_cap->n_rtp, 6);
    assert_int_equal(parse(view_cap->rtp[5], view_cap->rtp_len[5]).timestamp, 102000);

    /* A replayed packet lost on the way is resent with the timestamp it went with. */
    uint16_t lost = 102;
    uint8_t nack[64];
    size_t nn = rtcp_nack_encode(nack, sizeof nack, 0x77, VIEW_VIDEO_SSRC, &lost, 1);
    sfu_viewer_rtcp(viewer, 5000, nack, nn);
    assert_int_equal(view_cap->n_rtp, 7);
    struct rtp_view rtx = parse(view_cap->rtp[6], view_cap->rtp_len[6]);
    assert_int_equal(rtx.ssrc, VIEW_RTX_SSRC);
    assert_int_equal(be16_read(rtx.payload), 102);
    assert_int_equal(rtx.timestamp, 95900);

    sfu_viewer_detach(web_viewer);
    sfu_viewer_detach(viewer);
    sfu_publisher_detach(web);
    sfu_publisher_detach(pub);
}

/* No replay when the GOP so far is longer than a replay may be, or a packet of it is missing:
 * the joiner waits for the next keyframe, as from any source. */
static void source_gop_not_replayed_when_long_or_incomplete(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap;
    static struct capture long_cap, gap_cap;
    memset(&long_cap, 0, sizeof long_cap);
    memset(&gap_cap, 0, sizeof gap_cap);
    struct sfu_publisher *pub = attach_publisher(f, "long", &source_sink, pub_cap);
    struct sfu_publisher *gap = attach_publisher(f, "gap", &source_sink, pub_cap);
    publish_gop(sfu, pub, 1000, 90000, 600); /* 602 packets since the keyframe */
    publish_gop(sfu, gap, 1000, 90000, 2);
    uint8_t pkt[200];
    size_t n = vp8_packet(pkt, 0x1111, 1005, 90000 + 12000, true, false); /* 1004 never came */
    publish(sfu, gap, 2000, pkt, n);

    struct sfu_viewer *long_viewer = watch(f, "long", &long_cap, 3000);
    struct sfu_viewer *gap_viewer = watch(f, "gap", &gap_cap, 3000);
    n = vp8_packet(pkt, 0x1111, 1603, 90000 + 3000u * 601, true, false);
    publish(sfu, pub, 4000, pkt, n);
    n = vp8_packet(pkt, 0x1111, 1006, 90000 + 15000, true, false);
    publish(sfu, gap, 4000, pkt, n);
    assert_int_equal(long_cap.n_rtp, 0);
    assert_int_equal(gap_cap.n_rtp, 0);
    assert_true(pub_cap->keyframe_requests > 0); /* asked, for what it is worth */

    sfu_viewer_detach(gap_viewer);
    sfu_viewer_detach(long_viewer);
    sfu_publisher_detach(gap);
    sfu_publisher_detach(pub);
}

/* A joiner that waits for a packet of the GOP lost on the way in gets the GOP when its repair
 * comes: every packet from the keyframe to the newest, the ones that came after the loss too,
 * each once and in order (not from the repair on, leaving the viewer to NACK what came
 * between), then the next as it comes. */
static void gop_replayed_to_the_newest_when_a_late_repair_completes_it(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap, *view_cap = &f->view_cap;
    struct sfu_publisher *pub = attach_publisher(f, "file", &source_sink, pub_cap);
    publish_gop(sfu, pub, 100, 90000, 2); /* 100-101 keyframe, 102, 103 */
    uint8_t pkt[200];
    size_t n;
    for (uint16_t seq = 105; seq <= 107; seq++) { /* 104 lost on the way */
        n = vp8_packet(pkt, 0x1111, seq, 90000 + 3000u * (seq - 101), true, false);
        publish(sfu, pub, 2000, pkt, n);
    }
    struct sfu_viewer *viewer = watch(f, "file", view_cap, 3000);
    n = vp8_packet(pkt, 0x1111, 108, 90000 + 3000u * 7, true, false);
    publish(sfu, pub, 4000, pkt, n);
    assert_int_equal(view_cap->n_rtp, 0); /* no keyframe, and no GOP whole */

    /* Its repair, and the next packet, in one flush: the replay has the next one already. */
    n = vp8_packet(pkt, 0x1111, 104, 90000 + 3000u * 3, true, false);
    sfu_publisher_rtp(pub, 5000, pkt, n);
    n = vp8_packet(pkt, 0x1111, 109, 90000 + 3000u * 8, true, false);
    sfu_publisher_rtp(pub, 5000, pkt, n);
    sfu_flush(sfu);
    n = vp8_packet(pkt, 0x1111, 110, 90000 + 3000u * 9, true, false);
    publish(sfu, pub, 6000, pkt, n);
    assert_int_equal(view_cap->n_rtp, 11);
    for (size_t i = 0; i < 11; i++)
        assert_int_equal(parse(view_cap->rtp[i], view_cap->rtp_len[i]).seq, 100 + i);
    assert_int_equal(sfu_join_ms(sfu)->count, 1);
    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
}

/* A viewer that joined by a replay, still watching when the source's sequence numbers have
 * wrapped around to the replayed ones and its timestamps run more than 2^31 ticks past the
 * replay's newest (6.6 hours at 90 kHz; here at 40,000 ticks a packet): those packets go at
 * their own timestamps, not squeezed as the replay's were. */
static void replay_window_closes_before_numbers_wrap(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap, *view_cap = &f->view_cap;
    struct sfu_publisher *pub = attach_publisher(f, "file", &source_sink, pub_cap);
    publish_gop(sfu, pub, 100, 90000, 2); /* 100-103, replayed: the window is 100-102 */
    struct sfu_viewer *viewer = watch(f, "file", view_cap, 2000);
    assert_int_equal(view_cap->n_rtp, 4);
    uint8_t pkt[200];
    uint32_t ts = 96000;
    for (uint32_t i = 1; i <= 65534; i++) { /* up to 101, wrapped around */
        ts += 40000;
        size_t n = vp8_packet(pkt, 0x1111, (uint16_t)(103 + i), ts, true, false);
        view_cap->n_rtp = 0; /* only the last is looked at */
        publish(sfu, pub, 3000 + i, pkt, n);
    }
    assert_int_equal(view_cap->n_rtp, 1);
    struct rtp_view last = parse(view_cap->rtp[0], view_cap->rtp_len[0]);
    assert_int_equal(last.seq, 101);
    assert_int_equal(last.timestamp, ts);
    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
}

/* A viewer whose keys are ready while the source's packets wait for the loop's flush gets its
 * replay with them, up to the newest. A replayed frame stamped after the current one (a source
 * whose timestamps went back) keeps its timestamp: squeezing it would wrap it around to days
 * before. */
static void replayed_timestamp_after_the_anchor_is_kept(void **state)
{
    struct fixture *f = *state;
    struct sfu *sfu = f->sfu;
    struct capture *pub_cap = &f->pub_cap, *view_cap = &f->view_cap;
    struct sfu_publisher *pub = attach_publisher(f, "file", &source_sink, pub_cap);
    publish_gop(sfu, pub, 100, 90000, 0); /* 100-101 keyframe (90000) */
    uint8_t pkt[200];
    size_t n = vp8_packet(pkt, 0x1111, 102, 120000, true, false);
    publish(sfu, pub, 1000, pkt, n);
    /* The viewer is there (its DTLS under way) when 103 comes, so 103 waits for the flush. */
    struct sfu_viewer *viewer = sfu_viewer_attach(sfu, "file", f->vt, 2, &webrtc_sink, view_cap);
    n = vp8_packet(pkt, 0x1111, 103, 99000, true, false);
    sfu_publisher_rtp(pub, 3000, pkt, n);
    sfu_viewer_start(viewer, 3000);
    assert_int_equal(view_cap->n_rtp, 0);
    sfu_flush(sfu);
    assert_int_equal(view_cap->n_rtp, 4);
    const uint32_t want_ts[4] = {98700, 98700, 120000, 99000};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(parse(view_cap->rtp[i], view_cap->rtp_len[i]).timestamp, want_ts[i]);
    sfu_viewer_detach(viewer);
    sfu_publisher_detach(pub);
}

struct live_log {
    char names[4][16];
    size_t n_tracks[4];
    char video[4][16];
    size_t n;
};

static void log_live(void *opaque, const char *name, const struct sfu_track_desc *tracks,
                     size_t n_tracks)
{
    struct live_log *log = opaque;
    assert_true(log->n < 4);
    snprintf(log->names[log->n], sizeof log->names[0], "%s", name);
    log->n_tracks[log->n] = n_tracks;
    for (size_t i = 0; i < n_tracks; i++)
        if (tracks[i].kind == SFU_VIDEO)
            snprintf(log->video[log->n], sizeof log->video[0], "%s", tracks[i].codec.name);
    log->n++;
}

/* A stream goes live on its publisher's first packet, not when its offer is answered: one whose
 * media never comes is never live, and its leaving is not an end either. */
static void live_on_the_first_packet(void **state)
{
    struct fixture *f = *state;
    struct live_log log = {0};
    sfu_set_on_live(f->sfu, log_live, &log);
    struct sfu_publisher *silent = attach_publisher(f, "silent", &webrtc_sink, &f->pub_cap);
    struct sfu_publisher *pub = attach_publisher(f, "cam", &webrtc_sink, &f->pub_cap);
    assert_int_equal(log.n, 0);
    sfu_publisher_detach(silent);
    assert_int_equal(log.n, 0);
    uint8_t pkt[200];
    size_t n = opus_packet(pkt, 0x2222, 70, 48000);
    publish(f->sfu, pub, 1000, pkt, n);
    publish(f->sfu, pub, 1020, pkt, n);
    assert_int_equal(log.n, 1); /* once */
    assert_string_equal(log.names[0], "cam");
    assert_int_equal(log.n_tracks[0], 2);
    assert_string_equal(log.video[0], "VP8");
    sfu_publisher_detach(pub);
    assert_int_equal(log.n, 2);
    assert_string_equal(log.names[1], "cam");
    assert_int_equal(log.n_tracks[1], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        WITH_SFU(rewrites_and_gates_on_keyframe),
        WITH_SFU(built_in_the_sinks_slot),
        WITH_SFU(nack_answered_as_rtx),
        WITH_SFU(repairs_kept_to_a_budget),
        WITH_SFU(lost_repair_asked_again),
        WITH_SFU(unrepaired_loss_asked_again_unprompted),
        WITH_SFU(repair_from_before_the_join_not_sent),
        WITH_SFU(viewer_first_then_publisher_returns),
        WITH_SFU(viewer_without_the_codec_gets_no_video),
        WITH_SFU(burst_reaches_each_viewer_as_a_run),
        WITH_SFU(frame_split_about_equally_is_padded_to_one_size),
        cmocka_unit_test(fan_out_split_among_lanes),
        cmocka_unit_test(fan_out_first_lane_takes_what_is_left),
        WITH_SFU(source_gop_replayed_to_joiner),
        WITH_SFU(source_gop_not_replayed_when_long_or_incomplete),
        WITH_SFU(replayed_timestamp_after_the_anchor_is_kept),
        WITH_SFU(gop_replayed_to_the_newest_when_a_late_repair_completes_it),
        WITH_SFU(replay_window_closes_before_numbers_wrap),
        WITH_SFU(live_on_the_first_packet),
        WITH_SFU(crowd_bitrate_past_32_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
