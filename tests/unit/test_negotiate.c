/* Tests for sfu/negotiate: the server's answers to real publisher and viewer offers, the 400 and
 * 406 refusals, and matching a publisher's codec to a viewer's payload types. */
/* cmocka needs these headers first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>

#include "proto/sdp.h"
#include "sdp_samples.h"
#include "sfu/negotiate.h"

static const char server_ips[][64] = {"192.0.2.1", "2001:db8::1"};

static const struct negotiate_local local = {
    .origin_id = 77,
    .ice_ufrag = "srvufrag",
    .ice_pwd = "srvpassword0123456789abc",
    .fingerprint = "sha-256 AA:BB:CC",
    .candidate_ips = server_ips,
    .n_candidate_ips = 2,
    .port = 50000,
    .cname = "onair",
    .stream_id = "cam1",
    .ssrcs = {[SFU_AUDIO] = 1001, [SFU_VIDEO] = 2001},
    .rtx_ssrcs = {[SFU_AUDIO] = 1002, [SFU_VIDEO] = 2002},
};

static const struct negotiate_prefs default_prefs = {"VP8,H264,VP9,AV1", "opus"};

/* Offer, answer and their written form, off the stack. */
struct fixture {
    struct sdp_session offer, answer, reparsed;
    char text[32768];
    struct sfu_track_desc tracks[SFU_KINDS];
    struct sfu_viewer_track_desc viewer_tracks[SFU_KINDS];
    size_t n_tracks;
    const char *why;
};

static int setup(void **state)
{
    *state = calloc(1, sizeof(struct fixture));
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void parse_offer(struct fixture *f, const char *text)
{
    const char *why = NULL;
    if (sdp_parse(&f->offer, text, strlen(text), &why) != 0)
        fail_msg("offer does not parse: %s", why);
}

static int publish(struct fixture *f, const char *text, const struct negotiate_prefs *prefs)
{
    parse_offer(f, text);
    f->why = NULL;
    int rc =
        negotiate_publisher(&f->offer, prefs, &local, &f->answer, f->tracks, &f->n_tracks, &f->why);
    assert_true(rc == 0 || f->why != NULL);
    return rc;
}

static int view(struct fixture *f, const char *text, const struct sfu_track_desc *const *live)
{
    parse_offer(f, text);
    f->why = NULL;
    int rc = negotiate_viewer(&f->offer, &local, live, &f->answer, f->viewer_tracks, &f->n_tracks,
                              &f->why);
    assert_true(rc == 0 || f->why != NULL);
    return rc;
}

/* Writes the answer and parses it back into f->reparsed, as the peer will read it. */
static void write_answer(struct fixture *f)
{
    assert_true(sdp_write(&f->answer, f->text, sizeof f->text) > 0);
    const char *why = NULL;
    if (sdp_parse(&f->reparsed, f->text, strlen(f->text), &why) != 0)
        fail_msg("answer does not parse: %s\n%s", why, f->text);
}

/* TEXT with every line that starts with PREFIX left out, in a static buffer. */
static const char *without(const char *text, const char *prefix)
{
    static char out[16384];
    size_t n = 0, plen = strlen(prefix);
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p + 1) : strlen(p);
        if (strncmp(p, prefix, plen) != 0) {
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    out[n] = 0;
    return out;
}

/* TEXT with the first occurrence of FROM replaced by TO, in one of a few static buffers taken in
 * turn, so that calls can nest. */
static const char *replace(const char *text, const char *from, const char *to)
{
    static char outs[4][16384];
    static size_t next;
    char *out = outs[next++ % 4];
    const char *at = strstr(text, from);
    assert_non_null(at);
    snprintf(out, sizeof outs[0], "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

static uint8_t extmap_id(const struct sdp_media *m, const char *uri)
{
    for (size_t i = 0; i < m->n_extmaps; i++)
        if (strcmp(m->extmaps[i].uri, uri) == 0)
            return m->extmaps[i].id;
    return 0;
}

#define URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define URI_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define URI_AST "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define URI_CVO "urn:3gpp:video-orientation"
#define URI_DELAY "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
#define URI_TWCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* What every answer has, whoever asked: ICE-lite, our credentials and candidates in every
 * accepted section, BUNDLE of what was accepted, setup passive to an actpass offer. */
static void assert_server_transport(struct fixture *f, const char *bundle)
{
    write_answer(f);
    const struct sdp_session *a = &f->reparsed;
    assert_true(a->ice_lite);
    assert_false(a->extmap_allow_mixed);
    assert_string_equal(a->bundle, bundle);
    assert_int_equal(a->origin_id, 77);
    for (size_t i = 0; i < a->n_media; i++) {
        const struct sdp_media *m = &a->media[i];
        assert_string_equal(m->mid, f->offer.media[i].mid);
        if (m->port == 0)
            continue;
        assert_int_equal(m->port, 50000);
        assert_string_equal(m->connection, "192.0.2.1");
        assert_string_equal(m->ice_ufrag, "srvufrag");
        assert_string_equal(m->ice_pwd, "srvpassword0123456789abc");
        assert_string_equal(m->fingerprint, "sha-256 AA:BB:CC");
        assert_int_equal(m->setup, SDP_SETUP_PASSIVE);
        assert_int_equal(m->rtcp_mux, m->kind != SDP_APPLICATION);
        assert_int_equal(m->n_candidates, 2);
        assert_string_equal(m->candidates[0].address, "192.0.2.1");
        assert_string_equal(m->candidates[1].address, "2001:db8::1");
        assert_true(m->end_of_candidates);
    }
    assert_non_null(strstr(f->text, "a=candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host\r\n"));
    assert_int_equal(f->answer.setup, SDP_SETUP_PASSIVE); /* what the session reads */
}

static void test_publisher_chrome(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(publish(f, SDP_CHROME_PUBLISHER, &default_prefs), 0);
    assert_server_transport(f, "0 1");
    const struct sdp_media *audio = &f->reparsed.media[0], *video = &f->reparsed.media[1];
    assert_int_equal(audio->direction, SDP_RECVONLY);
    assert_int_equal(video->direction, SDP_RECVONLY);
    /* Exactly one codec each, without RTX and transport-cc. */
    assert_int_equal(audio->n_codecs, 1);
    assert_int_equal(audio->codecs[0].pt, 111);
    assert_string_equal(audio->codecs[0].name, "opus");
    assert_string_equal(audio->codecs[0].fmtp, "minptime=10;useinbandfec=1");
    assert_false(audio->codecs[0].fb_transport_cc);
    assert_int_equal(video->n_codecs, 1);
    const struct sdp_codec *vp8 = &video->codecs[0];
    assert_int_equal(vp8->pt, 96);
    assert_string_equal(vp8->name, "VP8");
    assert_int_equal(vp8->rtx_pt, 0);
    assert_true(vp8->fb_nack && vp8->fb_nack_pli && vp8->fb_ccm_fir && vp8->fb_goog_remb);
    assert_false(vp8->fb_transport_cc);
    assert_null(strstr(f->text, "rtx"));
    assert_null(strstr(f->text, "transport-cc"));
    assert_null(strstr(f->text, "extmap-allow-mixed"));
    assert_null(strstr(f->text, "a=ssrc"));
    /* The offer's extension ids for the URIs the relay carries, and no others. */
    assert_int_equal(audio->n_extmaps, 3);
    assert_int_equal(extmap_id(audio, URI_LEVEL), 1);
    assert_int_equal(extmap_id(audio, URI_AST), 2);
    assert_int_equal(extmap_id(audio, URI_MID), 4);
    assert_int_equal(video->n_extmaps, 4);
    assert_int_equal(extmap_id(video, URI_AST), 2);
    assert_int_equal(extmap_id(video, URI_CVO), 13);
    assert_int_equal(extmap_id(video, URI_DELAY), 5);
    assert_int_equal(extmap_id(video, URI_MID), 4);
    assert_int_equal(extmap_id(video, URI_TWCC), 0);
}

/* Ids above 14 need the two-byte header form (RFC 8285 §4.3), which the answer does not allow
 * (no extmap-allow-mixed): such an extension is left out. */
static void test_publisher_two_byte_id(void **state)
{
    struct fixture *f = *state;
    const char *text =
        replace(SDP_CHROME_PUBLISHER, "a=extmap:13 " URI_CVO, "a=extmap:15 " URI_CVO);
    assert_int_equal(publish(f, text, &default_prefs), 0);
    assert_int_equal(f->tracks[1].ext_ids[SFU_EXT_VIDEO_ORIENTATION], 0);
    assert_int_equal(f->tracks[1].ext_ids[SFU_EXT_PLAYOUT_DELAY], 5);
    write_answer(f);
    assert_int_equal(extmap_id(&f->reparsed.media[1], URI_CVO), 0);
    assert_int_equal(f->reparsed.media[1].n_extmaps, 3);
}

static void test_publisher_chrome_tracks(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(publish(f, SDP_CHROME_PUBLISHER, &default_prefs), 0);
    assert_int_equal(f->n_tracks, 2);
    const struct sfu_track_desc *audio = &f->tracks[0], *video = &f->tracks[1];
    assert_int_equal(audio->kind, SFU_AUDIO);
    assert_string_equal(audio->mid, "0");
    assert_int_equal(audio->ssrc, 1416298095u);
    assert_string_equal(audio->codec.name, "opus");
    assert_int_equal(audio->codec.clock_rate, 48000);
    assert_int_equal(audio->codec.channels, 2);
    assert_int_equal(audio->ext_ids[SFU_EXT_AUDIO_LEVEL], 1);
    assert_int_equal(audio->ext_ids[SFU_EXT_MID], 4);
    assert_int_equal(audio->ext_ids[SFU_EXT_VIDEO_ORIENTATION], 0);
    assert_int_equal(video->kind, SFU_VIDEO);
    assert_string_equal(video->mid, "1");
    assert_int_equal(video->ssrc, 3635073207u);
    assert_int_equal(video->codec.pt, 96);
    assert_int_equal(video->codec.rtx_pt, 0);
    assert_true(video->codec.fb_nack);
    assert_false(video->codec.fb_transport_cc);
    assert_int_equal(video->ext_ids[SFU_EXT_ABS_SEND_TIME], 2);
    assert_int_equal(video->ext_ids[SFU_EXT_VIDEO_ORIENTATION], 13);
    assert_int_equal(video->ext_ids[SFU_EXT_PLAYOUT_DELAY], 5);
    assert_int_equal(video->ext_ids[SFU_EXT_AUDIO_LEVEL], 0);
}

/* A simulcast offer: every layer is taken (else the browser sends only its first encoding),
 * with the rtp-stream-id extension, and the track says how many. A list of one is not
 * simulcast, and a rid in the list without its a=rid line is not taken. */
static void test_publisher_simulcast(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(publish(f, SDP_CHROME_SIMULCAST, &default_prefs), 0);
    assert_int_equal(f->n_tracks, 1);
    assert_int_equal(f->tracks[0].layers, 3);
    assert_int_equal(f->tracks[0].ssrc, 0);
    write_answer(f);
    assert_non_null(strstr(f->text, "a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\n"
                                    "a=simulcast:recv q;h;f\r\n"));
    assert_int_equal(
        extmap_id(&f->reparsed.media[0], "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"), 10);

    const char *one = replace(SDP_CHROME_SIMULCAST, "a=simulcast:send q;h;f", "a=simulcast:send q");
    assert_int_equal(publish(f, one, &default_prefs), 0);
    assert_int_equal(f->tracks[0].layers, 0);
    write_answer(f);
    assert_null(strstr(f->text, "a=rid:"));
    assert_null(strstr(f->text, "a=simulcast"));

    const char *unnamed = replace(SDP_CHROME_SIMULCAST, "a=rid:f send\r\n", "");
    assert_int_equal(publish(f, unnamed, &default_prefs), 0);
    assert_int_equal(f->tracks[0].layers, 2);
    write_answer(f);
    assert_non_null(strstr(f->text, "a=simulcast:recv q;h\r\n"));
}

/* The preference list picks; among H.264 entries constrained baseline 42e01f, mode 1. */
static void test_publisher_codec_preference(void **state)
{
    struct fixture *f = *state;
    struct negotiate_prefs h264 = {"H264,VP8", "opus"};
    assert_int_equal(publish(f, SDP_CHROME_PUBLISHER, &h264), 0);
    assert_int_equal(f->tracks[1].codec.pt, 108);
    assert_non_null(strstr(f->tracks[1].codec.fmtp, "profile-level-id=42e01f"));
    assert_non_null(strstr(f->tracks[1].codec.fmtp, "packetization-mode=1"));
    /* aiortc lists 42001f first; 42e01f is still chosen. */
    assert_int_equal(publish(f, SDP_AIORTC_PUBLISHER, &h264), 0);
    assert_int_equal(f->tracks[1].codec.pt, 101);
    /* Firefox's H.264 without packetization-mode (PT 97) is never taken. */
    assert_int_equal(publish(f, SDP_FIREFOX_PUBLISHER, &h264), 0);
    assert_int_equal(f->tracks[1].codec.pt, 126);
    struct negotiate_prefs unset = {NULL, NULL}; /* the defaults: VP8 first, Opus */
    assert_int_equal(publish(f, SDP_CHROME_PUBLISHER, &unset), 0);
    assert_int_equal(f->tracks[0].codec.pt, 111);
    assert_int_equal(f->tracks[1].codec.pt, 96);
    struct negotiate_prefs av1 = {"AV1, VP9", "opus"}, vp9 = {"VP9", "opus"};
    assert_int_equal(publish(f, SDP_CHROME_PUBLISHER, &av1), 0);
    assert_int_equal(f->tracks[1].codec.pt, 45);
    assert_int_equal(publish(f, SDP_AIORTC_PUBLISHER, &av1), NEGOTIATE_ENOCODEC);
    assert_non_null(strstr(f->why, "video"));
    assert_int_equal(publish(f, SDP_CHROME_PUBLISHER, &vp9), 0);
    assert_int_equal(f->tracks[1].codec.pt, 98);
    /* Only H.264 in packetization mode 0 on offer: nothing the relay can pass on. */
    const char *mode0 =
        replace(replace(SDP_AIORTC_PUBLISHER, "packetization-mode=1;profile-level-id=42001f",
                        "packetization-mode=0;profile-level-id=42001f"),
                "packetization-mode=1;profile-level-id=42e01f",
                "packetization-mode=0;profile-level-id=42e01f");
    assert_int_equal(publish(f, mode0, &h264), 0); /* VP8 is next in the list */
    assert_int_equal(f->tracks[1].codec.pt, 97);
    struct negotiate_prefs only_h264 = {"H264", "opus"};
    assert_int_equal(publish(f, mode0, &only_h264), NEGOTIATE_ENOCODEC);
}

static void test_publisher_firefox_aiortc(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(publish(f, SDP_FIREFOX_PUBLISHER, &default_prefs), 0);
    assert_server_transport(f, "0 1");
    assert_int_equal(f->tracks[0].codec.pt, 109);
    assert_int_equal(f->tracks[1].codec.pt, 120);
    assert_int_equal(f->tracks[1].ssrc, 1393419151u);
    assert_int_equal(f->tracks[1].ext_ids[SFU_EXT_ABS_SEND_TIME], 4);
    assert_int_equal(f->tracks[1].ext_ids[SFU_EXT_MID], 3);

    /* aiortc sends and receives: the answer only receives. */
    assert_int_equal(publish(f, SDP_AIORTC_PUBLISHER, &default_prefs), 0);
    assert_server_transport(f, "0 1");
    assert_int_equal(f->reparsed.media[0].direction, SDP_RECVONLY);
    assert_int_equal(f->reparsed.media[1].direction, SDP_RECVONLY);
    assert_int_equal(f->tracks[0].codec.pt, 96);
    assert_int_equal(f->tracks[1].codec.pt, 97);
    assert_int_equal(f->tracks[1].ssrc, 308077950u);
}

/* GStreamer's webrtcbin: sendrecv, the audio section bundle-only at port 0 (answered on the
 * bundle's port), VP8 and OPUS with "nack pli" but no plain NACK, ssrc lines without a=msid. */
static void test_publisher_gstreamer(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(publish(f, SDP_GSTREAMER_PUBLISHER, &default_prefs), 0);
    assert_server_transport(f, "video0 audio1");
    const struct sdp_media *video = &f->reparsed.media[0], *audio = &f->reparsed.media[1];
    assert_int_equal(video->direction, SDP_RECVONLY);
    assert_int_equal(audio->direction, SDP_RECVONLY);
    assert_int_equal(audio->port, 50000);
    assert_false(audio->bundle_only);
    assert_int_equal(video->n_codecs, 1);
    assert_string_equal(video->codecs[0].name, "VP8");
    assert_false(video->codecs[0].fb_nack); /* not offered: not answered */
    assert_true(video->codecs[0].fb_nack_pli && video->codecs[0].fb_ccm_fir);
    assert_false(video->codecs[0].fb_transport_cc);
    assert_int_equal(video->n_extmaps, 0);
    assert_int_equal(f->n_tracks, 2);
    assert_int_equal(f->tracks[0].kind, SFU_VIDEO);
    assert_string_equal(f->tracks[0].mid, "video0");
    assert_int_equal(f->tracks[0].ssrc, 856946734u);
    assert_int_equal(f->tracks[0].codec.pt, 96);
    assert_int_equal(f->tracks[1].kind, SFU_AUDIO);
    assert_string_equal(f->tracks[1].mid, "audio1");
    assert_int_equal(f->tracks[1].ssrc, 2518079566u);
    assert_string_equal(f->tracks[1].codec.name, "OPUS");
    assert_string_equal(f->tracks[1].codec.fmtp, "sprop-stereo=0;sprop-maxcapturerate=48000");
}

/* Chromium's offer as it leaves createOffer(), before gathering (port 9, no candidates). */
static void test_publisher_chrome_trickle(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(publish(f, SDP_CHROME_PUBLISHER_TRICKLE, &default_prefs), 0);
    assert_server_transport(f, "0 1");
    assert_int_equal(f->n_tracks, 2);
    assert_int_equal(f->tracks[0].ssrc, 830519009u);
    assert_int_equal(f->tracks[0].codec.pt, 111);
    assert_int_equal(f->tracks[1].ssrc, 3577872793u);
    assert_int_equal(f->tracks[1].codec.pt, 96);
    assert_int_equal(f->tracks[1].codec.rtx_pt, 0);
    assert_int_equal(f->tracks[1].ext_ids[SFU_EXT_VIDEO_ORIENTATION], 13);
    struct negotiate_prefs h264 = {"H264,VP8", "opus"};
    assert_int_equal(publish(f, SDP_CHROME_PUBLISHER_TRICKLE, &h264), 0);
    assert_string_equal(f->tracks[1].codec.name, "H264");
    assert_non_null(strstr(f->tracks[1].codec.fmtp, "packetization-mode=1"));
    assert_non_null(strstr(f->tracks[1].codec.fmtp, "profile-level-id=42e01f"));
}

/* A publisher whose only codec of a kind is one the relay cannot pass on: 406. */
static void test_publisher_no_codec(void **state)
{
    struct fixture *f = *state;
    const char *pcmu =
        replace(SDP_GSTREAMER_PUBLISHER, "a=rtpmap:111 OPUS/48000/2", "a=rtpmap:111 PCMU/8000");
    assert_int_equal(publish(f, pcmu, &default_prefs), NEGOTIATE_ENOCODEC);
    assert_non_null(strstr(f->why, "Opus"));
    const char *mode0 = replace(SDP_GSTREAMER_PUBLISHER, "a=rtpmap:96 VP8/90000\r\n",
                                "a=rtpmap:96 H264/90000\r\n"
                                "a=fmtp:96 packetization-mode=0;profile-level-id=42e01f\r\n");
    assert_int_equal(publish(f, mode0, &default_prefs), NEGOTIATE_ENOCODEC);
    assert_non_null(strstr(f->why, "packetization-mode=1"));
    /* The same with packetization-mode=1 is relayed. */
    const char *mode1 = replace(mode0, "packetization-mode=0", "packetization-mode=1");
    assert_int_equal(publish(f, mode1, &default_prefs), 0);
    assert_string_equal(f->tracks[0].codec.name, "H264");
    /* H.264 without packetization-mode means mode 0 (RFC 6184 §8.1). */
    const char *no_mode = replace(mode0, "packetization-mode=0;", "");
    assert_int_equal(publish(f, no_mode, &default_prefs), NEGOTIATE_ENOCODEC);
}

/* A publisher's recvonly section is answered inactive (and stays in the BUNDLE group, only
 * quiet); its data channel, and any other kind of section, is rejected with port 0. */
static void test_publisher_sections(void **state)
{
    struct fixture *f = *state;
    const char *audio_recv = replace(SDP_CHROME_PUBLISHER, "a=sendonly", "a=recvonly");
    assert_int_equal(publish(f, audio_recv, &default_prefs), 0);
    assert_server_transport(f, "0 1");
    assert_int_equal(f->reparsed.media[0].direction, SDP_INACTIVE);
    assert_int_equal(f->reparsed.media[1].direction, SDP_RECVONLY);
    assert_int_equal(f->n_tracks, 1);
    assert_int_equal(f->tracks[0].kind, SFU_VIDEO);

    assert_int_equal(publish(f, SDP_CHROME_DATACHANNEL, &default_prefs), 0);
    assert_server_transport(f, "0 1");
    assert_int_equal(f->answer.media[2].port, 0);
    assert_int_equal(f->reparsed.media[2].kind, SDP_APPLICATION);
    assert_non_null(strstr(f->text, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
    assert_int_equal(f->n_tracks, 2);

    /* Something that is neither audio, video nor a data channel: rejected too. */
    char text[16384];
    snprintf(text, sizeof text, "%sm=text 9 RTP/AVP 98\r\na=rtpmap:98 t140/1000\r\na=mid:9\r\n",
             SDP_AIORTC_PUBLISHER);
    assert_int_equal(publish(f, text, &default_prefs), 0);
    assert_int_equal(f->answer.n_media, 3);
    assert_int_equal(f->answer.media[2].port, 0);
    assert_string_equal(f->answer.bundle, "0 1");
}

/* a=setup in the answer: passive to actpass or active, active to passive (RFC 8842 §5.3). */
static void test_setup_role(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(publish(f, SDP_CHROME_PUBLISHER, &default_prefs), 0);
    assert_int_equal(f->answer.setup, SDP_SETUP_PASSIVE);
    const char *passive =
        replace(replace(SDP_AIORTC_PUBLISHER, "a=setup:actpass", "a=setup:passive"),
                "a=setup:actpass", "a=setup:passive");
    assert_int_equal(publish(f, passive, &default_prefs), 0);
    assert_int_equal(f->answer.setup, SDP_SETUP_ACTIVE);
    write_answer(f);
    assert_int_equal(f->reparsed.media[1].setup, SDP_SETUP_ACTIVE);
    const char *active = replace(replace(SDP_AIORTC_PUBLISHER, "a=setup:actpass", "a=setup:active"),
                                 "a=setup:actpass", "a=setup:active");
    assert_int_equal(publish(f, active, &default_prefs), 0);
    assert_int_equal(f->answer.setup, SDP_SETUP_PASSIVE);
}

/* What the server cannot work with is a 400, with a reason. */
static void test_bad_offers(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *drop, *reason;
    } cases[] = {
        {"a=group:BUNDLE", "BUNDLE"}, {"a=rtcp-mux", "rtcp-mux"},       {"a=ice-ufrag", "ICE"},
        {"a=ice-pwd", "ICE"},         {"a=fingerprint", "fingerprint"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *text = without(SDP_CHROME_PUBLISHER, cases[i].drop);
        assert_int_equal(publish(f, text, &default_prefs), NEGOTIATE_EBADSDP);
        assert_non_null(strstr(f->why, cases[i].reason));
        assert_int_equal(view(f, text, NULL), NEGOTIATE_EBADSDP);
        assert_non_null(strstr(f->why, cases[i].reason));
    }
    /* A BUNDLE group that leaves a section out. */
    const char *partial = replace(SDP_CHROME_PUBLISHER, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0");
    assert_int_equal(publish(f, partial, &default_prefs), NEGOTIATE_EBADSDP);
    /* Two ICE-lite agents cannot connect (RFC 8445 §2.5). */
    const char *lite = replace(SDP_AIORTC_PUBLISHER, "t=0 0\r\n", "t=0 0\r\na=ice-lite\r\n");
    assert_int_equal(publish(f, lite, &default_prefs), NEGOTIATE_EBADSDP);
    /* Plain RTP: no DTLS-SRTP. */
    const char *avp = replace(replace(SDP_AIORTC_PUBLISHER, "UDP/TLS/RTP/SAVPF", "RTP/AVP"),
                              "UDP/TLS/RTP/SAVPF", "RTP/AVP");
    assert_int_equal(publish(f, avp, &default_prefs), NEGOTIATE_EBADSDP);
    /* A viewer's offer to publish: nothing is sent, and the reason points to the other URL;
     * a publisher's offer to watch the same way. */
    assert_int_equal(publish(f, SDP_CHROME_VIEWER, &default_prefs), NEGOTIATE_EBADSDP);
    assert_non_null(strstr(f->why, "as a viewer's does (watch at /whep/NAME)"));
    assert_int_equal(view(f, SDP_CHROME_PUBLISHER, NULL), NEGOTIATE_EBADSDP);
    assert_non_null(strstr(f->why, "as a publisher's does (publish at /whip/NAME)"));
    /* A data channel alone. */
    const char *app_only = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                           "a=group:BUNDLE 0\r\n"
                           "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                           "a=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
                           "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\n"
                           "a=sctp-port:5000\r\n";
    assert_int_equal(publish(f, app_only, &default_prefs), NEGOTIATE_EBADSDP);
    assert_null(strstr(f->why, "/whep/"));
    assert_int_equal(view(f, app_only, NULL), NEGOTIATE_EBADSDP);
    assert_null(strstr(f->why, "/whip/"));
}

static void test_offer_sends_media(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *text;
        bool sends;
    } cases[] = {
        {SDP_CHROME_PUBLISHER, true},   {SDP_CHROME_PUBLISHER_TRICKLE, true},
        {SDP_CHROME_DATACHANNEL, true}, {SDP_FIREFOX_PUBLISHER, true},
        {SDP_AIORTC_PUBLISHER, true},   {SDP_GSTREAMER_PUBLISHER, true},
        {SDP_CHROME_VIEWER, false},     {SDP_CHROME_VIEWER_TRICKLE, false},
        {SDP_AIORTC_VIEWER, false},     {SDP_GSTREAMER_VIEWER, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parse_offer(f, cases[i].text);
        if (negotiate_offer_sends_media(&f->offer) != cases[i].sends)
            fail_msg("sample %zu: sends media is not %d", i, cases[i].sends);
    }
    /* A viewer's offer turned sendrecv sends; sections rejected (port 0 without bundle-only)
     * send nothing, whatever their direction. */
    parse_offer(f, replace(SDP_GSTREAMER_VIEWER, "a=recvonly", "a=sendrecv"));
    assert_true(negotiate_offer_sends_media(&f->offer));
    parse_offer(
        f, without(replace(SDP_GSTREAMER_PUBLISHER, "m=video 9 ", "m=video 0 "), "a=bundle-only"));
    assert_false(negotiate_offer_sends_media(&f->offer));
}

static const struct sdp_codec *answer_codec(const struct sdp_media *m, uint8_t pt)
{
    for (size_t i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    return NULL;
}

/* A Chromium player before the publisher is live: every codec the relay could pass on, each with
 * its RTX, under the viewer's payload types; H.264 in mode 0, RED, ULPFEC, flexfec left out. */
static void test_viewer_chrome(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(view(f, SDP_CHROME_VIEWER, NULL), 0);
    assert_server_transport(f, "0 1");
    const struct sdp_media *video = &f->reparsed.media[0], *audio = &f->reparsed.media[1];
    assert_int_equal(video->direction, SDP_SENDONLY);
    assert_int_equal(audio->direction, SDP_SENDONLY);
    static const uint8_t video_pts[][2] = {{96, 97}, {98, 99},   {100, 101}, {35, 36},
                                           {37, 38}, {102, 103}, {108, 109}, {116, 117},
                                           {41, 42}, {45, 46},   {47, 48}};
    size_t n = sizeof video_pts / sizeof video_pts[0];
    /* The reparsed answer holds the rtx entries as codecs of their own. */
    assert_int_equal(video->n_codecs, 2 * n);
    assert_int_equal(f->viewer_tracks[0].n_codecs, n);
    for (size_t i = 0; i < n; i++) {
        const struct sdp_codec *c = answer_codec(video, video_pts[i][0]);
        assert_non_null(c);
        assert_int_equal(c->rtx_pt, video_pts[i][1]);
        assert_false(c->fb_transport_cc);
        assert_true(c->fb_nack && c->fb_nack_pli && c->fb_ccm_fir && c->fb_goog_remb);
        assert_int_equal(f->viewer_tracks[0].codecs[i].pt, video_pts[i][0]);
        assert_int_equal(f->viewer_tracks[0].codecs[i].rtx_pt, video_pts[i][1]);
    }
    assert_null(answer_codec(video, 104)); /* H.264 packetization-mode=0 */
    assert_null(answer_codec(video, 118)); /* red */
    assert_null(answer_codec(video, 49));  /* flexfec */
    assert_int_equal(audio->n_codecs, 1);
    assert_int_equal(audio->codecs[0].pt, 111);
    /* The server's SSRCs, with a FID group where RTX is negotiated. */
    assert_int_equal(video->ssrc, 2001);
    assert_int_equal(video->rtx_ssrc, 2002);
    assert_string_equal(video->cname, "onair");
    assert_string_equal(video->msid, "cam1 cam1-video");
    assert_int_equal(audio->ssrc, 1001);
    assert_int_equal(audio->rtx_ssrc, 0);
    assert_string_equal(audio->msid, "cam1 cam1-audio");
    assert_non_null(strstr(f->text, "a=ssrc-group:FID 2001 2002\r\n"));
    assert_null(strstr(f->text, "a=ssrc-group:FID 1001"));
    /* Extension ids as the viewer numbered them. */
    assert_int_equal(extmap_id(video, URI_AST), 2);
    assert_int_equal(extmap_id(video, URI_CVO), 3);
    assert_int_equal(extmap_id(video, URI_DELAY), 5);
    assert_int_equal(extmap_id(video, URI_MID), 9);
    assert_int_equal(extmap_id(video, URI_TWCC), 0);
    /* The description the SFU gets. */
    assert_int_equal(f->n_tracks, 2);
    const struct sfu_viewer_track_desc *t = &f->viewer_tracks[0];
    assert_int_equal(t->kind, SFU_VIDEO);
    assert_string_equal(t->mid, "0");
    assert_int_equal(t->ssrc, 2001);
    assert_int_equal(t->rtx_ssrc, 2002);
    assert_int_equal(t->ext_ids[SFU_EXT_VIDEO_ORIENTATION], 3);
    assert_int_equal(t->ext_ids[SFU_EXT_MID], 9);
    assert_int_equal(f->viewer_tracks[1].kind, SFU_AUDIO);
    assert_int_equal(f->viewer_tracks[1].ssrc, 1001);
}

/* A publisher's track as negotiate_publisher would describe it. */
static struct sfu_track_desc live_track(enum sfu_kind kind, const char *name, uint32_t rate,
                                        const char *fmtp)
{
    struct sfu_track_desc t = {.kind = kind, .codec = {.pt = 100, .clock_rate = rate}};
    snprintf(t.codec.name, sizeof t.codec.name, "%s", name);
    snprintf(t.codec.fmtp, sizeof t.codec.fmtp, "%s", fmtp);
    return t;
}

static void test_viewer_live(void **state)
{
    struct fixture *f = *state;
    struct sfu_track_desc vp8 = live_track(SFU_VIDEO, "VP8", 90000, "");
    struct sfu_track_desc opus = live_track(SFU_AUDIO, "opus", 48000, "useinbandfec=1");
    struct sfu_track_desc h264 =
        live_track(SFU_VIDEO, "H264", 90000, "packetization-mode=1;profile-level-id=42e01f");
    struct sfu_track_desc high =
        live_track(SFU_VIDEO, "H264", 90000, "packetization-mode=1;profile-level-id=640c1f");
    const struct sfu_track_desc *vp8_live[SFU_KINDS] = {[SFU_AUDIO] = &opus, [SFU_VIDEO] = &vp8};
    const struct sfu_track_desc *h264_live[SFU_KINDS] = {[SFU_AUDIO] = &opus, [SFU_VIDEO] = &h264};
    const struct sfu_track_desc *high_live[SFU_KINDS] = {[SFU_VIDEO] = &high};

    /* GStreamer: VP8 and OPUS, the audio section bundle-only at port 0. */
    assert_int_equal(view(f, SDP_GSTREAMER_VIEWER, vp8_live), 0);
    assert_server_transport(f, "video0 audio1");
    assert_int_equal(f->n_tracks, 2);
    assert_int_equal(f->answer.media[1].port, 50000);
    assert_string_equal(f->viewer_tracks[1].codecs[0].name, "OPUS");
    assert_int_equal(view(f, SDP_GSTREAMER_VIEWER, h264_live), NEGOTIATE_ENOCODEC);
    assert_non_null(strstr(f->why, "H264"));
    assert_int_equal(view(f, SDP_CHROME_VIEWER, h264_live), 0);
    /* Chromium receives H.264 up to 4d001f and f4001f, but not constrained high. */
    assert_int_equal(view(f, SDP_CHROME_VIEWER, high_live), NEGOTIATE_ENOCODEC);
    assert_non_null(strstr(f->why, "H264"));
    /* A VP8-only viewer of a stream that has no audio yet: fine. */
    const struct sfu_track_desc *video_only[SFU_KINDS] = {[SFU_VIDEO] = &vp8};
    assert_int_equal(view(f, SDP_GSTREAMER_VIEWER, video_only), 0);
    /* aiortc's viewer-like offer lacks no codec of a VP8 and Opus stream. */
    assert_int_equal(view(f, SDP_AIORTC_PUBLISHER, vp8_live), 0);
    assert_int_equal(f->reparsed.media[0].direction, SDP_SENDONLY);
}

static void test_viewer_no_codec(void **state)
{
    struct fixture *f = *state;
    /* Audio in PCMU only and no video: nothing the relay passes through. */
    const char *pcmu = replace(
        replace(SDP_GSTREAMER_VIEWER, "a=rtpmap:97 OPUS/48000\r\n", "a=rtpmap:97 PCMU/8000\r\n"),
        "a=rtpmap:96 VP8/90000", "a=rtpmap:96 H263/90000");
    assert_int_equal(view(f, pcmu, NULL), NEGOTIATE_ENOCODEC);
    assert_non_null(strstr(f->why, "codec"));
    struct sfu_track_desc opus = live_track(SFU_AUDIO, "opus", 48000, "");
    const struct sfu_track_desc *opus_live[SFU_KINDS] = {[SFU_AUDIO] = &opus};
    assert_int_equal(view(f, pcmu, opus_live), NEGOTIATE_ENOCODEC);
    assert_non_null(strstr(f->why, "Opus"));
    /* Only the audio unplayable: the video goes ahead, the audio is answered inactive. */
    const char *pcmu_audio =
        replace(SDP_GSTREAMER_VIEWER, "a=rtpmap:97 OPUS/48000\r\n", "a=rtpmap:97 PCMU/8000\r\n");
    assert_int_equal(view(f, pcmu_audio, NULL), 0);
    assert_int_equal(f->n_tracks, 1);
    assert_int_equal(f->answer.media[1].direction, SDP_INACTIVE);
}

/* aiortc watching: recvonly sections that still announce SSRCs, and a data channel in the older
 * form, which negotiate_viewer leaves rejected. */
static void test_viewer_aiortc(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(view(f, SDP_AIORTC_VIEWER, NULL), 0);
    assert_server_transport(f, "0 1");
    const struct sdp_media *video = &f->reparsed.media[0], *audio = &f->reparsed.media[1];
    assert_int_equal(video->direction, SDP_SENDONLY);
    assert_int_equal(video->n_codecs, 6); /* VP8, H.264 42001f and 42e01f, each with RTX */
    assert_int_equal(answer_codec(video, 97)->rtx_pt, 98);
    assert_int_equal(answer_codec(video, 99)->rtx_pt, 100);
    assert_int_equal(answer_codec(video, 101)->rtx_pt, 102);
    assert_true(answer_codec(video, 97)->fb_goog_remb);
    assert_int_equal(video->ssrc, 2001); /* ours, not the viewer's */
    assert_int_equal(video->rtx_ssrc, 2002);
    assert_int_equal(audio->n_codecs, 1);
    assert_string_equal(audio->codecs[0].name, "opus");
    assert_int_equal(audio->ssrc, 1001);
    /* aiortc binds id 2 to abs-send-time in the video section and to ssrc-audio-level in the
     * audio one, against RFC 8285 §6, and parses the whole transport with one map. The answer
     * keeps id 2 for abs-send-time and leaves audio-level out, so no audio packet reaches
     * aiortc with a 1-byte element under its abs-send-time id. */
    assert_int_equal(extmap_id(video, URI_AST), 2);
    assert_int_equal(extmap_id(audio, URI_LEVEL), 0);
    assert_int_equal(extmap_id(audio, URI_MID), 1);
    assert_int_equal(f->viewer_tracks[1].ext_ids[SFU_EXT_AUDIO_LEVEL], 0);
    assert_int_equal(f->viewer_tracks[0].ext_ids[SFU_EXT_ABS_SEND_TIME], 2);
    assert_int_equal(f->answer.media[2].port, 0);
    assert_int_equal(f->reparsed.media[2].kind, SDP_APPLICATION);
    assert_int_equal(f->n_tracks, 2);
    struct sfu_track_desc h264 =
        live_track(SFU_VIDEO, "H264", 90000, "packetization-mode=1;profile-level-id=42e01f");
    uint8_t rtx = 0;
    const struct sfu_viewer_track_desc *video_track = &f->viewer_tracks[0];
    assert_int_equal(
        negotiate_match_codec(video_track->codecs, video_track->n_codecs, &h264.codec, &rtx), 101);
    assert_int_equal(rtx, 102);
    /* A live VP9 stream: aiortc cannot play it. */
    struct sfu_track_desc vp9 = live_track(SFU_VIDEO, "VP9", 90000, "profile-id=0");
    const struct sfu_track_desc *vp9_live[SFU_KINDS] = {[SFU_VIDEO] = &vp9};
    assert_int_equal(view(f, SDP_AIORTC_VIEWER, vp9_live), NEGOTIATE_ENOCODEC);
    assert_non_null(strstr(f->why, "VP9"));
}

/* Chromium's player before gathering, audio first: the track descriptions follow the
 * sections' order. */
static void test_viewer_chrome_trickle(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(view(f, SDP_CHROME_VIEWER_TRICKLE, NULL), 0);
    assert_server_transport(f, "0 1");
    assert_int_equal(f->n_tracks, 2);
    assert_int_equal(f->viewer_tracks[0].kind, SFU_AUDIO);
    assert_string_equal(f->viewer_tracks[0].mid, "0");
    assert_int_equal(f->viewer_tracks[0].ssrc, 1001);
    assert_int_equal(f->viewer_tracks[0].rtx_ssrc, 0);
    assert_int_equal(f->viewer_tracks[1].kind, SFU_VIDEO);
    assert_int_equal(f->viewer_tracks[1].rtx_ssrc, 2002);
    assert_int_equal(f->reparsed.media[0].ssrc, 1001);
    assert_int_equal(f->reparsed.media[1].ssrc, 2001);
    assert_int_equal(f->reparsed.media[1].rtx_ssrc, 2002);
    assert_non_null(strstr(f->text, "a=ssrc-group:FID 2001 2002\r\n"));
    /* No RTX offered at all: no RTX SSRC and no FID group. */
    assert_int_equal(view(f, SDP_GSTREAMER_VIEWER, NULL), 0);
    write_answer(f);
    assert_int_equal(f->viewer_tracks[0].rtx_ssrc, 0);
    assert_int_equal(f->reparsed.media[0].ssrc, 2001);
    assert_int_equal(f->reparsed.media[0].rtx_ssrc, 0);
    assert_null(strstr(f->text, "FID"));
}

/* negotiate_data_channel: the offer's data channel section accepted on the bundle, in the form
 * the offer used. */
static void test_data_channel(void **state)
{
    struct fixture *f = *state;
    struct negotiate_data data = {0};
    assert_int_equal(publish(f, SDP_CHROME_DATACHANNEL, &default_prefs), 0);
    assert_true(negotiate_data_channel(&f->offer, &local, &f->answer, &data));
    assert_int_equal(data.remote_sctp_port, 5000);
    assert_int_equal(data.remote_max_message_size, 262144);
    assert_server_transport(f, "0 1 2");
    const struct sdp_media *app = &f->reparsed.media[2];
    assert_int_equal(app->kind, SDP_APPLICATION);
    assert_int_equal(app->port, 50000);
    assert_string_equal(app->proto, "UDP/DTLS/SCTP");
    assert_int_equal(app->sctp_port, NEGOTIATE_SCTP_PORT);
    assert_int_equal(app->max_message_size, NEGOTIATE_MAX_MESSAGE_SIZE);
    assert_false(app->rtcp_mux);
    assert_int_equal(app->n_codecs, 0);
    assert_non_null(strstr(f->text, "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
    /* The media answer is as it was. */
    assert_int_equal(f->reparsed.media[1].direction, SDP_RECVONLY);
    assert_int_equal(f->n_tracks, 2);

    /* A viewer's data channel in the older form (aiortc) is answered in it. */
    assert_int_equal(view(f, SDP_AIORTC_VIEWER, NULL), 0);
    assert_true(negotiate_data_channel(&f->offer, &local, &f->answer, &data));
    assert_int_equal(data.remote_sctp_port, 5000);
    assert_int_equal(data.remote_max_message_size, 65536);
    assert_server_transport(f, "0 1 2");
    assert_non_null(strstr(f->text, "m=application 50000 DTLS/SCTP 5000\r\n"));
    assert_non_null(strstr(f->text, "a=sctpmap:5000 webrtc-datachannel 1024\r\n"));
    assert_null(strstr(f->text, "a=sctp-port"));
    assert_int_equal(f->reparsed.media[2].sctp_port, 5000);

    /* Without a=sctp-port and a=max-message-size: the defaults of RFC 8841 §5 and §6. */
    const char *bare = without(without(SDP_CHROME_DATACHANNEL, "a=sctp-port"), "a=max-message");
    assert_int_equal(publish(f, bare, &default_prefs), 0);
    assert_true(negotiate_data_channel(&f->offer, &local, &f->answer, &data));
    assert_int_equal(data.remote_sctp_port, 5000);
    assert_int_equal(data.remote_max_message_size, 65536);
    const char *other_port =
        replace(SDP_CHROME_DATACHANNEL, "a=sctp-port:5000", "a=sctp-port:5002");
    assert_int_equal(publish(f, other_port, &default_prefs), 0);
    assert_true(negotiate_data_channel(&f->offer, &local, &f->answer, &data));
    assert_int_equal(data.remote_sctp_port, 5002);
    assert_int_equal(f->answer.media[2].sctp_port, NEGOTIATE_SCTP_PORT); /* ours stays */
}

/* What negotiate_data_channel declines, leaving the answer untouched. */
static void test_data_channel_refused(void **state)
{
    struct fixture *f = *state;
    static struct sdp_session before;
    struct negotiate_data data = {1, 2};
    const char *cases[] = {
        SDP_CHROME_PUBLISHER, /* none offered */
        replace(SDP_CHROME_DATACHANNEL, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1"),
        replace(SDP_CHROME_DATACHANNEL, "m=application 9 ", "m=application 0 "),
        replace(SDP_CHROME_DATACHANNEL, "UDP/DTLS/SCTP webrtc-datachannel", "UDP/BFCP *"),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = publish(f, cases[i], &default_prefs);
        if (rc != 0)
            fail_msg("case %zu: %s", i, f->why);
        before = f->answer;
        assert_false(negotiate_data_channel(&f->offer, &local, &f->answer, &data));
        assert_memory_equal(&before, &f->answer, sizeof before);
        assert_int_equal(data.remote_sctp_port, 1);
        assert_int_equal(data.remote_max_message_size, 2);
    }
}

static void test_match_codec(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(view(f, SDP_CHROME_VIEWER, NULL), 0);
    const struct sfu_viewer_track_desc *video = &f->viewer_tracks[0], *audio = &f->viewer_tracks[1];
    static const struct {
        const char *name, *fmtp;
        int pt, rtx;
    } cases[] = {
        {"VP8", "", 96, 97},
        {"H264", "packetization-mode=1;profile-level-id=42e01f", 108, 109},
        {"H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e034", 108,
         109},
        {"H264", "packetization-mode=1;profile-level-id=4d801f", 108, 109}, /* constr. baseline */
        {"H264", "packetization-mode=1;profile-level-id=42001f", 102, 103},
        {"H264", "packetization-mode=1;profile-level-id=4d0032", 116, 117},
        {"H264", "packetization-mode=1;profile-level-id=f4001f", 41, 42},
        {"H264", "packetization-mode=0;profile-level-id=42e01f", -1, 0},
        {"H264", "packetization-mode=1;profile-level-id=640c1f", -1, 0},
        {"VP9", "profile-id=2", 100, 101},
        {"VP9", "", 98, 99},
        {"VP9", "profile-id=1", 35, 36},
        {"AV1", "level-idx=5;profile=1;tier=0", 47, 48},
        {"AV1", "", 45, 46},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sfu_track_desc t = live_track(SFU_VIDEO, cases[i].name, 90000, cases[i].fmtp);
        uint8_t rtx = 0xff;
        int pt = negotiate_match_codec(video->codecs, video->n_codecs, &t.codec, &rtx);
        if (pt != cases[i].pt)
            print_error("%s %s: %d, not %d\n", cases[i].name, cases[i].fmtp, pt, cases[i].pt);
        assert_int_equal(pt, cases[i].pt);
        if (pt >= 0)
            assert_int_equal(rtx, cases[i].rtx);
    }
    struct sfu_track_desc opus = live_track(SFU_AUDIO, "opus", 48000, "");
    uint8_t rtx = 0xff;
    assert_int_equal(negotiate_match_codec(audio->codecs, audio->n_codecs, &opus.codec, &rtx), 111);
    assert_int_equal(rtx, 0);
    assert_int_equal(negotiate_match_codec(audio->codecs, audio->n_codecs, &opus.codec, NULL), 111);
    assert_int_equal(negotiate_match_codec(video->codecs, video->n_codecs, &opus.codec, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publisher_chrome, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publisher_chrome_tracks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publisher_two_byte_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publisher_simulcast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publisher_codec_preference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publisher_firefox_aiortc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publisher_gstreamer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publisher_chrome_trickle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publisher_no_codec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publisher_sections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setup_role, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_offers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offer_sends_media, setup, teardown),
        cmocka_unit_test_setup_teardown(test_viewer_chrome, setup, teardown),
        cmocka_unit_test_setup_teardown(test_viewer_live, setup, teardown),
        cmocka_unit_test_setup_teardown(test_viewer_no_codec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_viewer_aiortc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_viewer_chrome_trickle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_channel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_channel_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_match_codec, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
