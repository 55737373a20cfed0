/* Tests for proto/sdp: real offers parsed into fields, write/parse round trips, the writer's
 * exact lines, and malformed input refused with a reason. */
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

/* Sessions are large (every section holds room for 64 codecs): keep them off the stack. */
static struct sdp_session *parse_ok(const char *text)
{
    struct sdp_session *s = malloc(sizeof *s);
    const char *why = NULL;
    int rc = sdp_parse(s, text, strlen(text), &why);
    if (rc != 0)
        print_error("sdp_parse: %s\n", why);
    assert_int_equal(rc, 0);
    return s;
}

/* Parses TEXT expecting a refusal whose reason contains EXPECT. */
static void parse_fails(const char *text, const char *expect)
{
    struct sdp_session *s = malloc(sizeof *s);
    const char *why = NULL;
    assert_int_equal(sdp_parse(s, text, strlen(text), &why), -1);
    assert_non_null(why);
    if (!strstr(why, expect))
        print_error("reason \"%s\" does not say \"%s\"\n", why, expect);
    assert_non_null(strstr(why, expect));
    free(s);
}

static const struct sdp_codec *codec(const struct sdp_media *m, uint8_t pt)
{
    for (size_t i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    fail_msg("no codec with payload type %u", pt);
    return NULL;
}

static uint8_t extmap_id(const struct sdp_media *m, const char *uri)
{
    for (size_t i = 0; i < m->n_extmaps; i++)
        if (strcmp(m->extmaps[i].uri, uri) == 0)
            return m->extmaps[i].id;
    return 0;
}

#define FP_CHROME                                                                                  \
    "sha-256 2F:B5:BC:00:AC:F3:AB:A0:78:89:CF:42:DB:D0:B5:5E:B5:E2:D1:8E:D8:2F:DF:9B:BA:4A:79:"    \
    "4A:64:77:23:7B"

static void test_chrome_publisher_session(void **state)
{
    struct sdp_session *s = parse_ok(SDP_CHROME_PUBLISHER);
    assert_int_equal(s->origin_id, 8256457538727778579ull);
    assert_int_equal(s->origin_version, 2);
    assert_string_equal(s->bundle, "0 1");
    assert_true(s->extmap_allow_mixed);
    assert_false(s->ice_lite);
    assert_int_equal(s->n_media, 2);
    assert_string_equal(s->ice_ufrag, ""); /* Chromium puts them in each section */
    const struct sdp_media *audio = &s->media[0];
    assert_int_equal(audio->kind, SDP_AUDIO);
    assert_int_equal(audio->port, 56143);
    assert_string_equal(audio->proto, "UDP/TLS/RTP/SAVPF");
    assert_string_equal(audio->connection, "192.0.2.10");
    assert_string_equal(audio->mid, "0");
    assert_int_equal(audio->direction, SDP_SENDONLY);
    assert_true(audio->rtcp_mux);
    assert_true(audio->rtcp_rsize);
    assert_string_equal(sdp_media_ice_ufrag(s, audio), "Ai/K");
    assert_string_equal(sdp_media_ice_pwd(s, audio), "GIzfjbV2li7RW2p7z+yoPCww");
    assert_string_equal(sdp_media_fingerprint(s, audio), FP_CHROME);
    assert_int_equal(sdp_media_setup(s, audio), SDP_SETUP_ACTPASS);
    assert_int_equal(audio->ssrc, 1416298095u);
    assert_int_equal(audio->rtx_ssrc, 0);
    assert_string_equal(audio->cname, "QV8EQchEZXFZFDwO");
    assert_string_equal(audio->msid, "c4a74cbd-d63e-41f2-aa65-ebadffa5d4e5 "
                                     "16270668-3280-4b29-889a-e5ae03af49be");
    free(s);
}

static void test_chrome_publisher_codecs(void **state)
{
    struct sdp_session *s = parse_ok(SDP_CHROME_PUBLISHER);
    const struct sdp_media *audio = &s->media[0], *video = &s->media[1];
    /* m=audio 56143 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126, in that order */
    static const uint8_t audio_pts[] = {111, 63, 9, 0, 8, 13, 110, 126};
    assert_int_equal(audio->n_codecs, 8);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(audio->codecs[i].pt, audio_pts[i]);
    const struct sdp_codec *opus = codec(audio, 111);
    assert_string_equal(opus->name, "opus");
    assert_int_equal(opus->clock_rate, 48000);
    assert_int_equal(opus->channels, 2);
    assert_string_equal(opus->fmtp, "minptime=10;useinbandfec=1");
    assert_true(opus->fb_transport_cc);
    assert_false(opus->fb_nack);
    assert_int_equal(opus->rtx_pt, 0);
    assert_string_equal(codec(audio, 0)->name, "PCMU");
    assert_int_equal(codec(audio, 0)->channels, 0);
    assert_int_equal(extmap_id(audio, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"), 1);
    assert_int_equal(extmap_id(audio, "urn:ietf:params:rtp-hdrext:sdes:mid"), 4);

    assert_int_equal(video->n_codecs, 23);
    const struct sdp_codec *vp8 = codec(video, 96);
    assert_string_equal(vp8->name, "VP8");
    assert_int_equal(vp8->clock_rate, 90000);
    assert_int_equal(vp8->rtx_pt, 97);
    assert_true(vp8->fb_nack && vp8->fb_nack_pli && vp8->fb_ccm_fir && vp8->fb_goog_remb &&
                vp8->fb_transport_cc);
    assert_string_equal(codec(video, 97)->name, "rtx");
    assert_string_equal(codec(video, 97)->fmtp, "apt=96");
    const struct sdp_codec *h264 = codec(video, 108);
    assert_string_equal(h264->name, "H264");
    assert_string_equal(h264->fmtp,
                        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
    assert_int_equal(h264->rtx_pt, 109);
    assert_int_equal(codec(video, 45)->rtx_pt, 46);   /* AV1 */
    assert_int_equal(codec(video, 118)->rtx_pt, 119); /* red */
    assert_int_equal(codec(video, 120)->rtx_pt, 0);   /* ulpfec */
    assert_int_equal(video->n_extmaps, 11);
    assert_int_equal(extmap_id(video, "urn:ietf:params:rtp-hdrext:toffset"), 14);
    assert_int_equal(extmap_id(video, "urn:3gpp:video-orientation"), 13);
    assert_int_equal(video->ssrc, 3635073207u);
    assert_int_equal(video->rtx_ssrc, 2906013113u);
    free(s);
}

static void test_chrome_publisher_candidates(void **state)
{
    struct sdp_session *s = parse_ok(SDP_CHROME_PUBLISHER);
    const struct sdp_media *video = &s->media[1];
    assert_int_equal(video->n_candidates, 2);
    const struct sdp_candidate *udp = &video->candidates[0], *tcp = &video->candidates[1];
    assert_string_equal(udp->foundation, "1467250027");
    assert_int_equal(udp->component, 1);
    assert_string_equal(udp->transport, "udp");
    assert_int_equal(udp->priority, 2122260223u);
    assert_string_equal(udp->address, "192.0.2.10");
    assert_int_equal(udp->port, 56143);
    assert_string_equal(udp->type, "host");
    assert_string_equal(udp->tcptype, "");
    assert_string_equal(tcp->transport, "tcp");
    assert_int_equal(tcp->port, 9);
    assert_string_equal(tcp->tcptype, "active");
    assert_false(video->end_of_candidates);
    free(s);
}

static void test_chrome_viewer(void **state)
{
    struct sdp_session *s = parse_ok(SDP_CHROME_VIEWER);
    assert_int_equal(s->n_media, 2);
    const struct sdp_media *video = &s->media[0], *audio = &s->media[1];
    assert_int_equal(video->kind, SDP_VIDEO);
    assert_int_equal(video->direction, SDP_RECVONLY);
    assert_int_equal(audio->direction, SDP_RECVONLY);
    assert_int_equal(video->n_codecs, 34); /* more than 32: once too many for this parser */
    assert_int_equal(video->codecs[33].pt, 49);
    assert_string_equal(codec(video, 49)->name, "flexfec-03");
    assert_string_equal(codec(video, 47)->fmtp, "level-idx=5;profile=1;tier=0");
    assert_int_equal(codec(video, 47)->rtx_pt, 48);
    assert_string_equal(codec(video, 37)->fmtp, "profile-id=3");
    assert_int_equal(video->ssrc, 0); /* a receiver announces none */
    assert_string_equal(video->msid, "");
    free(s);
}

/* RFC 8840 §9: a PATCH body is a fragment, with no v=/o=/s=/t= lines; sdp_parse wants them. */
static void test_fragment(void **state)
{
    static const char frag[] = "a=ice-ufrag:EsAw\r\n"
                               "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
                               "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                               "a=mid:0\r\n"
                               "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host "
                               "generation 0\r\n"
                               "a=candidate:2 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active\r\n"
                               "a=end-of-candidates\r\n";
    static struct sdp_session s;
    const char *why = NULL;
    assert_int_equal(sdp_parse_fragment(&s, frag, strlen(frag), &why), 0);
    assert_string_equal(s.ice_ufrag, "EsAw");
    assert_string_equal(s.ice_pwd, "P2uYro0UCOQ4zxjKXaWCBui1");
    assert_int_equal(s.n_media, 1);
    assert_string_equal(s.media[0].mid, "0");
    assert_int_equal(s.media[0].n_candidates, 2);
    assert_string_equal(s.media[0].candidates[0].address, "192.0.2.1");
    assert_int_equal(s.media[0].candidates[0].port, 61764);
    assert_int_equal(s.media[0].candidates[0].priority, 2122260223u);
    assert_string_equal(s.media[0].candidates[1].transport, "tcp");
    assert_string_equal(s.media[0].candidates[1].tcptype, "active");
    assert_true(s.media[0].end_of_candidates);
    assert_int_equal(sdp_parse(&s, frag, strlen(frag), &why), -1);
    assert_string_equal(why, "SDP must start with v=0");
    assert_int_equal(sdp_parse_fragment(&s, "", 0, &why), -1);
    assert_string_equal(why, "the SDP fragment is empty");
    static const char bad[] = "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=candidate:1 1 udp x\r\n";
    assert_int_equal(sdp_parse_fragment(&s, bad, strlen(bad), &why), -1);
    assert_string_equal(why, "a=candidate is malformed");
}

static void test_firefox_publisher(void **state)
{
    struct sdp_session *s = parse_ok(SDP_FIREFOX_PUBLISHER);
    assert_int_equal(s->origin_id, 2879645371935146034ull);
    assert_int_equal(s->origin_version, 0);
    const struct sdp_media *audio = &s->media[0], *video = &s->media[1];
    /* The fingerprint is at session level only; each section inherits it. */
    assert_string_equal(video->fingerprint, "");
    assert_non_null(strstr(s->fingerprint, "sha-256 3C:5A:21"));
    assert_ptr_equal(sdp_media_fingerprint(s, video), s->fingerprint);
    assert_string_equal(sdp_media_ice_ufrag(s, video), "4f2c9a1e");
    assert_string_equal(codec(audio, 9)->name, "G722");
    assert_int_equal(codec(audio, 9)->channels, 1);
    assert_string_equal(codec(audio, 109)->fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
    /* a=fmtp came before a=rtpmap: the RTX links are made once everything is read. */
    assert_int_equal(codec(video, 120)->rtx_pt, 124);
    assert_int_equal(codec(video, 121)->rtx_pt, 125);
    assert_int_equal(codec(video, 126)->rtx_pt, 127);
    assert_int_equal(codec(video, 97)->rtx_pt, 98);
    assert_int_equal(codec(video, 122)->rtx_pt, 119);
    assert_true(codec(video, 126)->fb_nack_pli && codec(video, 126)->fb_transport_cc);
    /* a=extmap:6/recvonly <uri>: the direction is skipped. */
    assert_int_equal(extmap_id(video, "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"),
                     6);
    /* a=ssrc lines first, then the FID group. */
    assert_int_equal(video->ssrc, 1393419151u);
    assert_int_equal(video->rtx_ssrc, 2817234534u);
    assert_string_equal(video->cname, "{e6a1f3b2-c4d5-4e6f-8a9b-0c1d2e3f4a5b}");
    free(s);
}

static void test_aiortc_publisher(void **state)
{
    struct sdp_session *s = parse_ok(SDP_AIORTC_PUBLISHER);
    const struct sdp_media *audio = &s->media[0], *video = &s->media[1];
    assert_int_equal(audio->direction, SDP_SENDRECV);
    assert_int_equal(video->direction, SDP_SENDRECV);
    assert_string_equal(audio->connection, "192.0.2.2");
    /* aiortc gives every section its own credentials until BUNDLE is agreed. */
    assert_string_equal(sdp_media_ice_ufrag(s, audio), "RBLf");
    assert_string_equal(sdp_media_ice_ufrag(s, video), "qw29");
    assert_int_equal(audio->n_candidates, 2);
    assert_string_equal(audio->candidates[1].address, "fd00::2");
    assert_true(audio->end_of_candidates);
    assert_int_equal(audio->ssrc, 4201387556u);
    assert_string_equal(audio->cname, "273b6b11-1bee-4015-a97f-8ef51f9c9e8b");
    assert_int_equal(video->ssrc, 308077950u);
    assert_int_equal(video->rtx_ssrc, 3445820240u);
    assert_int_equal(codec(video, 97)->rtx_pt, 98);
    assert_int_equal(codec(video, 101)->rtx_pt, 102);
    assert_true(codec(video, 101)->fb_goog_remb);
    assert_false(codec(video, 101)->fb_ccm_fir);
    free(s);
}

static void test_gstreamer_viewer(void **state)
{
    struct sdp_session *s = parse_ok(SDP_GSTREAMER_VIEWER);
    assert_int_equal(s->origin_id, 7235127686360720692ull);
    assert_string_equal(s->bundle, "video0 audio1");
    assert_true(sdp_in_bundle(s, "audio1"));
    assert_int_equal(s->n_media, 2);
    const struct sdp_media *video = &s->media[0], *audio = &s->media[1];
    assert_string_equal(video->mid, "video0");
    assert_int_equal(video->port, 9); /* webrtcbin leaves it, candidates or not */
    assert_int_equal(video->direction, SDP_RECVONLY);
    assert_true(video->rtcp_mux && video->rtcp_rsize);
    const struct sdp_codec *vp8 = codec(video, 96);
    assert_string_equal(vp8->name, "VP8");
    assert_false(vp8->fb_nack); /* "nack pli" only */
    assert_true(vp8->fb_nack_pli && vp8->fb_ccm_fir && vp8->fb_transport_cc);
    assert_int_equal(video->n_extmaps, 0);
    /* Nine candidates: the first eight are kept; transports are read in lower case. */
    assert_int_equal(video->n_candidates, SDP_MAX_CANDIDATES);
    assert_string_equal(video->candidates[0].transport, "udp");
    assert_int_equal(video->candidates[0].priority, 2015363327u);
    assert_int_equal(video->candidates[0].port, 59973);
    assert_string_equal(video->candidates[2].transport, "tcp");
    assert_string_equal(video->candidates[2].tcptype, "passive");
    assert_string_equal(video->candidates[3].address, "fd00::2");
    assert_string_equal(video->candidates[7].address, "fe80::fc:ff:fe00:1");
    /* Port 0 with a=bundle-only is in use, on the bundle's transport (RFC 8843 §6). */
    assert_int_equal(audio->port, 0);
    assert_true(audio->bundle_only);
    assert_true(sdp_media_active(audio));
    assert_int_equal(audio->n_candidates, 0);
    const struct sdp_codec *opus = codec(audio, 97);
    assert_string_equal(opus->name, "OPUS");
    assert_int_equal(opus->clock_rate, 48000);
    assert_int_equal(opus->channels, 0); /* "OPUS/48000" */
    assert_string_equal(sdp_media_ice_ufrag(s, audio), "q6Sp9E+8Tx9oY8FzB625eJaimmQ/fC9i");
    assert_string_equal(sdp_media_ice_pwd(s, audio), "cW22iZxKRbhG6GNFtspjtsJqVOQY6S2p");
    assert_string_equal(s->ice_ufrag, "");
    assert_non_null(strstr(sdp_media_fingerprint(s, audio), "sha-256 0C:50:66:B6"));
    assert_int_equal(sdp_media_setup(s, audio), SDP_SETUP_ACTPASS);
    free(s);
}

static void test_gstreamer_publisher(void **state)
{
    struct sdp_session *s = parse_ok(SDP_GSTREAMER_PUBLISHER);
    const struct sdp_media *video = &s->media[0], *audio = &s->media[1];
    assert_int_equal(video->direction, SDP_SENDRECV);
    assert_int_equal(audio->direction, SDP_SENDRECV);
    /* a=ssrc msid before cname, and no a=msid line: both come from the a=ssrc lines. */
    assert_int_equal(video->ssrc, 856946734u);
    assert_int_equal(video->rtx_ssrc, 0);
    assert_string_equal(video->cname, "user754933862@host-8c766ffa");
    assert_string_equal(video->msid, "user754933862@host-8c766ffa webrtctransceiver0");
    assert_int_equal(audio->ssrc, 2518079566u);
    assert_string_equal(audio->msid, "user754933862@host-8c766ffa webrtctransceiver1");
    const struct sdp_codec *opus = codec(audio, 111);
    assert_string_equal(opus->name, "OPUS");
    assert_int_equal(opus->channels, 2);
    assert_string_equal(opus->fmtp, "sprop-stereo=0;sprop-maxcapturerate=48000");
    assert_true(audio->bundle_only);
    assert_int_equal(audio->port, 0);
    free(s);
}

static void test_aiortc_viewer(void **state)
{
    struct sdp_session *s = parse_ok(SDP_AIORTC_VIEWER);
    assert_string_equal(s->bundle, "0 1 2");
    assert_int_equal(s->n_media, 3);
    const struct sdp_media *video = &s->media[0], *audio = &s->media[1], *app = &s->media[2];
    assert_int_equal(video->kind, SDP_VIDEO);
    assert_int_equal(video->direction, SDP_RECVONLY);
    assert_int_equal(audio->direction, SDP_RECVONLY);
    /* A receiver that still announces SSRCs, with a FID group for its video. */
    assert_int_equal(video->ssrc, 1665540997u);
    assert_int_equal(video->rtx_ssrc, 3356872277u);
    assert_int_equal(audio->ssrc, 853806936u);
    assert_string_equal(audio->cname, "04c97896-c0b7-4310-9a83-b01567b55a6d");
    assert_int_equal(codec(video, 99)->rtx_pt, 100);
    assert_string_equal(codec(audio, 8)->name, "PCMA");
    assert_string_equal(sdp_media_ice_ufrag(s, app), "AG7K");
    /* The older data channel form: the SCTP port as the m= line's format, a=sctpmap. */
    assert_int_equal(app->kind, SDP_APPLICATION);
    assert_int_equal(app->port, 58811);
    assert_string_equal(app->proto, "DTLS/SCTP");
    assert_int_equal(app->n_codecs, 0);
    assert_int_equal(app->sctp_port, 5000);
    assert_int_equal(app->max_message_size, 65536);
    assert_int_equal(app->n_candidates, 2);
    free(s);
}

/* The offers as Chromium made them, before gathering: port 9, c=0.0.0.0, no candidates. */
static void test_chrome_trickle(void **state)
{
    struct sdp_session *s = parse_ok(SDP_CHROME_PUBLISHER_TRICKLE);
    assert_int_equal(s->origin_id, 8456000927327861788ull);
    const struct sdp_media *audio = &s->media[0], *video = &s->media[1];
    assert_int_equal(audio->port, 9);
    assert_string_equal(audio->connection, "0.0.0.0");
    assert_int_equal(audio->n_candidates, 0);
    assert_int_equal(audio->direction, SDP_SENDONLY);
    assert_string_equal(audio->msid, "- 3f3f2a23-9577-4a94-ac10-d5f8cb4f33ae");
    assert_int_equal(audio->ssrc, 830519009u);
    assert_string_equal(audio->cname, "HHqgXvGhlTBJhk8G");
    assert_int_equal(video->ssrc, 3577872793u);
    assert_int_equal(video->rtx_ssrc, 3807766114u);
    assert_string_equal(sdp_media_ice_pwd(s, video), "V0GL3nUv0NkGdGjvBFWkcvjh");
    assert_int_equal(codec(video, 96)->rtx_pt, 97);
    free(s);
    s = parse_ok(SDP_CHROME_VIEWER_TRICKLE); /* ends in a blank line */
    assert_int_equal(s->n_media, 2);
    assert_int_equal(s->media[0].kind, SDP_AUDIO);
    assert_int_equal(s->media[1].kind, SDP_VIDEO);
    assert_int_equal(s->media[1].direction, SDP_RECVONLY);
    assert_int_equal(s->media[1].n_codecs, 34);
    assert_int_equal(s->media[1].n_extmaps, 11);
    assert_int_equal(codec(&s->media[1], 41)->rtx_pt, 42);
    free(s);
}

static void test_datachannel(void **state)
{
    struct sdp_session *s = parse_ok(SDP_CHROME_DATACHANNEL);
    assert_int_equal(s->n_media, 3);
    const struct sdp_media *app = &s->media[2];
    assert_int_equal(app->kind, SDP_APPLICATION);
    assert_string_equal(app->proto, "UDP/DTLS/SCTP");
    assert_string_equal(app->mid, "2");
    assert_int_equal(app->n_codecs, 0); /* "webrtc-datachannel" is no payload type */
    assert_int_equal(app->sctp_port, 5000);
    assert_int_equal(app->max_message_size, 262144);
    free(s);
}

static const char *const all_samples[] = {
    SDP_CHROME_PUBLISHER,      SDP_CHROME_VIEWER,     SDP_CHROME_PUBLISHER_TRICKLE,
    SDP_CHROME_VIEWER_TRICKLE, SDP_FIREFOX_PUBLISHER, SDP_AIORTC_PUBLISHER,
    SDP_AIORTC_VIEWER,         SDP_GSTREAMER_VIEWER,  SDP_GSTREAMER_PUBLISHER,
    SDP_CHROME_DATACHANNEL,    SDP_CHROME_SIMULCAST,
};

/* The effective values of two parses agree. */
static void assert_same_session(const struct sdp_session *a, const struct sdp_session *b)
{
    assert_int_equal(a->origin_id, b->origin_id);
    assert_string_equal(a->bundle, b->bundle);
    assert_int_equal(a->extmap_allow_mixed, b->extmap_allow_mixed);
    assert_int_equal(a->ice_lite, b->ice_lite);
    assert_int_equal(a->n_media, b->n_media);
    for (size_t i = 0; i < a->n_media; i++) {
        const struct sdp_media *x = &a->media[i], *y = &b->media[i];
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->port, y->port);
        assert_string_equal(x->proto, y->proto);
        assert_string_equal(x->mid, y->mid);
        assert_int_equal(x->direction, y->direction);
        assert_int_equal(x->bundle_only, y->bundle_only);
        assert_string_equal(sdp_media_ice_ufrag(a, x), sdp_media_ice_ufrag(b, y));
        assert_string_equal(sdp_media_ice_pwd(a, x), sdp_media_ice_pwd(b, y));
        assert_string_equal(sdp_media_fingerprint(a, x), sdp_media_fingerprint(b, y));
        assert_int_equal(sdp_media_setup(a, x), sdp_media_setup(b, y));
        assert_int_equal(x->rtcp_mux, y->rtcp_mux);
        assert_int_equal(x->rtcp_rsize, y->rtcp_rsize);
        assert_int_equal(x->ssrc, y->ssrc);
        assert_int_equal(x->rtx_ssrc, y->rtx_ssrc);
        assert_string_equal(x->cname, y->cname);
        assert_string_equal(x->msid, y->msid);
        assert_int_equal(x->sctp_port, y->sctp_port);
        assert_int_equal(x->max_message_size, y->max_message_size);
        assert_int_equal(x->n_codecs, y->n_codecs);
        assert_memory_equal(x->codecs, y->codecs, x->n_codecs * sizeof x->codecs[0]);
        assert_int_equal(x->n_extmaps, y->n_extmaps);
        assert_memory_equal(x->extmaps, y->extmaps, x->n_extmaps * sizeof x->extmaps[0]);
        assert_int_equal(x->n_candidates, y->n_candidates);
        assert_memory_equal(x->candidates, y->candidates,
                            x->n_candidates * sizeof x->candidates[0]);
        assert_int_equal(x->end_of_candidates, y->end_of_candidates);
        assert_int_equal(x->n_rids, y->n_rids);
        assert_memory_equal(x->rids, y->rids, x->n_rids * sizeof x->rids[0]);
        assert_int_equal(x->n_simulcast_send, y->n_simulcast_send);
        assert_memory_equal(x->simulcast_send, y->simulcast_send,
                            x->n_simulcast_send * sizeof x->simulcast_send[0]);
        assert_int_equal(x->n_simulcast_recv, y->n_simulcast_recv);
        assert_memory_equal(x->simulcast_recv, y->simulcast_recv,
                            x->n_simulcast_recv * sizeof x->simulcast_recv[0]);
    }
}

/* parse → write → parse keeps every value; writing again gives the same text. Lines end in
 * CRLF and nothing else. */
static void test_round_trip(void **state)
{
    static char first[65536], second[65536];
    for (size_t i = 0; i < sizeof all_samples / sizeof all_samples[0]; i++) {
        struct sdp_session *a = parse_ok(all_samples[i]);
        size_t n = sdp_write(a, first, sizeof first);
        assert_true(n > 0);
        assert_int_equal(strlen(first), n);
        for (size_t k = 0; k < n; k++)
            if (first[k] == '\n')
                assert_true(k > 0 && first[k - 1] == '\r');
        struct sdp_session *b = parse_ok(first);
        assert_same_session(a, b);
        assert_int_equal(sdp_write(b, second, sizeof second), n);
        assert_string_equal(first, second);
        free(a);
        free(b);
    }
}

/* The same offer with LF line ends parses to the same values. */
static void test_lf_only(void **state)
{
    for (size_t i = 0; i < sizeof all_samples / sizeof all_samples[0]; i++) {
        char *lf = strdup(all_samples[i]);
        size_t j = 0;
        for (size_t k = 0; lf[k]; k++)
            if (lf[k] != '\r')
                lf[j++] = lf[k];
        lf[j] = 0;
        struct sdp_session *a = parse_ok(all_samples[i]), *b = parse_ok(lf);
        assert_same_session(a, b);
        free(a);
        free(b);
        free(lf);
    }
}

/* What an answer from the server holds, for the writer tests. */
static struct sdp_session *answer_like(void)
{
    struct sdp_session *s = calloc(1, sizeof *s);
    s->origin_id = 42;
    s->origin_version = 2;
    s->ice_lite = true;
    strcpy(s->bundle, "0 1");
    strcpy(s->ice_ufrag, "srvufrag");
    strcpy(s->ice_pwd, "srvpassword0123456789abc");
    strcpy(s->fingerprint, "sha-256 AA:BB");
    s->setup = SDP_SETUP_PASSIVE;
    s->n_media = 3;
    struct sdp_media *v = &s->media[0];
    v->kind = SDP_VIDEO;
    v->port = 50000;
    strcpy(v->proto, "UDP/TLS/RTP/SAVPF");
    strcpy(v->mid, "0");
    strcpy(v->connection, "192.0.2.1");
    v->direction = SDP_SENDONLY;
    v->rtcp_mux = v->rtcp_rsize = true;
    v->n_codecs = 1;
    v->codecs[0] = (struct sdp_codec){.pt = 96,
                                      .name = "VP8",
                                      .clock_rate = 90000,
                                      .rtx_pt = 97,
                                      .fb_nack = true,
                                      .fb_nack_pli = true};
    v->n_extmaps = 1;
    v->extmaps[0] = (struct sdp_extmap){4, "urn:ietf:params:rtp-hdrext:sdes:mid"};
    v->ssrc = 1111;
    v->rtx_ssrc = 2222;
    strcpy(v->cname, "onair");
    strcpy(v->msid, "cam1 cam1-video");
    v->n_candidates = 1;
    v->candidates[0] =
        (struct sdp_candidate){"1", 1, "udp", 2130706431, "192.0.2.1", 50000, "host", ""};
    v->end_of_candidates = true;
    struct sdp_media *app = &s->media[1];
    app->kind = SDP_APPLICATION;
    app->port = 9;
    strcpy(app->proto, "UDP/DTLS/SCTP");
    strcpy(app->mid, "1");
    app->sctp_port = 5000;
    app->max_message_size = 262144;
    struct sdp_media *rejected = &s->media[2];
    rejected->kind = SDP_AUDIO;
    strcpy(rejected->proto, "UDP/TLS/RTP/SAVPF");
    strcpy(rejected->mid, "2");
    rejected->n_codecs = 1;
    rejected->codecs[0] = (struct sdp_codec){.pt = 0, .name = "PCMU", .clock_rate = 8000};
    return s;
}

static void test_write_answer(void **state)
{
    struct sdp_session *s = answer_like();
    char buf[4096];
    size_t n = sdp_write(s, buf, sizeof buf);
    assert_true(n > 0);
    /* clang-format off */
    static const char expect[] =
        "v=0\r\n"
        "o=- 42 2 IN IP4 0.0.0.0\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "a=ice-lite\r\n"
        "a=group:BUNDLE 0 1\r\n"
        "a=msid-semantic: WMS *\r\n"
        "m=video 50000 UDP/TLS/RTP/SAVPF 96 97\r\n"
        "c=IN IP4 192.0.2.1\r\n"
        "a=mid:0\r\n"
        "a=ice-ufrag:srvufrag\r\n"
        "a=ice-pwd:srvpassword0123456789abc\r\n"
        "a=fingerprint:sha-256 AA:BB\r\n"
        "a=setup:passive\r\n"
        "a=sendonly\r\n"
        "a=rtcp-mux\r\n"
        "a=rtcp-rsize\r\n"
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
        "a=rtpmap:96 VP8/90000\r\n"
        "a=rtcp-fb:96 nack\r\n"
        "a=rtcp-fb:96 nack pli\r\n"
        "a=rtpmap:97 rtx/90000\r\n"
        "a=fmtp:97 apt=96\r\n"
        "a=msid:cam1 cam1-video\r\n"
        "a=ssrc-group:FID 1111 2222\r\n"
        "a=ssrc:1111 cname:onair\r\n"
        "a=ssrc:1111 msid:cam1 cam1-video\r\n"
        "a=ssrc:2222 cname:onair\r\n"
        "a=ssrc:2222 msid:cam1 cam1-video\r\n"
        "a=candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host\r\n"
        "a=end-of-candidates\r\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "a=mid:1\r\n"
        "a=ice-ufrag:srvufrag\r\n"
        "a=ice-pwd:srvpassword0123456789abc\r\n"
        "a=fingerprint:sha-256 AA:BB\r\n"
        "a=setup:passive\r\n"
        "a=sctp-port:5000\r\n"
        "a=max-message-size:262144\r\n"
        "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "a=mid:2\r\n";
    /* clang-format on */
    assert_string_equal(buf, expect);
    assert_int_equal(n, strlen(expect));
    free(s);
}

/* Every capacity short of the text and its NUL gives 0 and leaves the bytes past the capacity
 * alone (guard bytes); exactly enough gives the length. */
static void check_capacities(const struct sdp_session *s)
{
    enum { GUARD = 64 };
    static char full[65536], buf[65536 + GUARD];
    size_t n = sdp_write(s, full, sizeof full);
    assert_true(n > 0);
    for (size_t cap = 0; cap <= n; cap++) {
        memset(buf, 0xa5, cap + GUARD);
        assert_int_equal(sdp_write(s, buf, cap), 0);
        for (size_t k = cap; k < cap + GUARD; k++)
            if ((unsigned char)buf[k] != 0xa5)
                fail_msg("capacity %zu: byte %zu written", cap, k);
    }
    memset(buf, 0xa5, n + 1 + GUARD);
    assert_int_equal(sdp_write(s, buf, n + 1), n);
    assert_string_equal(buf, full);
    for (size_t k = n + 1; k < n + 1 + GUARD; k++)
        assert_int_equal((unsigned char)buf[k], 0xa5);
}

static void test_write_capacity(void **state)
{
    struct sdp_session *s = answer_like();
    check_capacities(s);
    free(s);
    for (size_t i = 0; i < sizeof all_samples / sizeof all_samples[0]; i++) {
        s = parse_ok(all_samples[i]);
        check_capacities(s);
        free(s);
    }
}

/* A data channel offered in the older form is written back in it: the port as the m= line's
 * format and in a=sctpmap, never as a=sctp-port, which such a peer does not read. */
static void test_write_sctp_legacy(void **state)
{
    struct sdp_session *s = parse_ok(SDP_AIORTC_VIEWER);
    static char buf[16384];
    assert_true(sdp_write(s, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=application 58811 DTLS/SCTP 5000\r\n"));
    assert_non_null(strstr(buf, "a=sctpmap:5000 webrtc-datachannel 1024\r\n"));
    assert_null(strstr(buf, "a=sctp-port"));
    assert_null(strstr(buf, "webrtc-datachannel\r\n"));
    /* Another port, said only in a=sctpmap, and one never said at all (5000). */
    struct sdp_media *app = &s->media[2];
    app->sctp_port = 5001;
    assert_true(sdp_write(s, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=application 58811 DTLS/SCTP 5001\r\n"));
    assert_non_null(strstr(buf, "a=sctpmap:5001 webrtc-datachannel 1024\r\n"));
    free(s);
    s = parse_ok("v=0\r\nm=application 9 DTLS/SCTP webrtc-datachannel\r\n"
                 "a=sctpmap:6000 webrtc-datachannel 1024\r\n");
    assert_int_equal(s->media[0].sctp_port, 6000);
    s->media[0].sctp_port = 0;
    assert_true(sdp_write(s, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=application 9 DTLS/SCTP 5000\r\n"));
    free(s);
    /* The RFC 8841 form keeps its own. */
    s = parse_ok(SDP_CHROME_DATACHANNEL);
    assert_true(sdp_write(s, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, " UDP/DTLS/SCTP webrtc-datachannel\r\n"));
    assert_non_null(strstr(buf, "a=sctp-port:5000\r\n"));
    assert_null(strstr(buf, "a=sctpmap"));
    free(s);
}

/* A parsed rtx entry is written as itself, not a second time through its codec's rtx_pt. */
static void test_write_parsed_rtx_once(void **state)
{
    struct sdp_session *s = parse_ok(SDP_AIORTC_PUBLISHER);
    char buf[16384];
    assert_true(sdp_write(s, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "m=video 59971 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102\r\n"));
    const char *first = strstr(buf, "a=rtpmap:98 rtx/90000\r\n");
    assert_non_null(first);
    assert_null(strstr(first + 1, "a=rtpmap:98 rtx/90000\r\n"));
    free(s);
}

/* A valid offer to break in the tests below. */
#define HEAD "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define VIDEO "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"

static void test_minimal(void **state)
{
    struct sdp_session *s = parse_ok(HEAD VIDEO);
    assert_int_equal(s->n_media, 1);
    assert_int_equal(s->media[0].direction, SDP_SENDRECV); /* RFC 8866 §6.7: the default */
    free(s);
    s = parse_ok("v=0\n" VIDEO "a=x-unknown-thing:1 2 3\na=rtcp-xr:rcvr-rtt=all\nb=AS:500\n\n");
    assert_string_equal(s->media[0].codecs[0].name, "VP8");
    free(s);
}

static void test_malformed(void **state)
{
    parse_fails("", "empty");
    parse_fails("\r\n\r\n", "empty");
    parse_fails("o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n", "v=0");
    parse_fails("v=1\r\n", "v=0");
    parse_fails(HEAD "hello\r\n", "x=value");
    parse_fails(HEAD "A=b\r\n", "x=value");
    parse_fails(HEAD "m=video\r\n", "port");
    parse_fails(HEAD "m=video abc UDP/TLS/RTP/SAVPF 96\r\n", "port");
    parse_fails(HEAD "m=video 70000 UDP/TLS/RTP/SAVPF 96\r\n", "port");
    parse_fails(HEAD "m=video 9\r\n", "protocol");
    parse_fails(HEAD "m=video 9 UDP/TLS/RTP/SAVPF\r\n", "no formats");
    parse_fails(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96 128\r\n", "0..127");
    parse_fails(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96 vp8\r\n", "0..127");
    parse_fails(HEAD VIDEO "a=rtpmap:97 rtx/90000\r\n", "not in its m= line");
    parse_fails(HEAD VIDEO "a=rtpmap:200 VP8/90000\r\n", "payload type");
    parse_fails(HEAD VIDEO "a=rtpmap:96 /90000\r\n", "encoding name");
    parse_fails(HEAD VIDEO "a=rtpmap:96 VP8\r\n", "encoding name");
    parse_fails(HEAD VIDEO "a=rtpmap:96 VP8/fast\r\n", "clock rate");
    parse_fails(HEAD VIDEO "a=rtpmap:96 averyveryverylongname/90000\r\n", "encoding name");
    parse_fails(HEAD VIDEO "a=fmtp:x apt=96\r\n", "payload type");
    parse_fails(HEAD VIDEO "a=rtcp-fb:x nack\r\n", "payload type");
    parse_fails(HEAD VIDEO "a=extmap:0 urn:x\r\n", "id");
    parse_fails(HEAD VIDEO "a=extmap:3\r\n", "URI");
    parse_fails(HEAD VIDEO "a=ssrc:x cname:a\r\n", "SSRC");
    parse_fails(HEAD VIDEO "a=ssrc:4294967296 cname:a\r\n", "SSRC");
    parse_fails(HEAD VIDEO "a=ssrc-group:FID 1\r\n", "two SSRCs");
    parse_fails(HEAD VIDEO "a=candidate:1 1 udp 2130706431 192.0.2.1 50000 host\r\n", "candidate");
    parse_fails(HEAD VIDEO "a=candidate:1 1 udp 2130706431 192.0.2.1 99999 typ host\r\n",
                "candidate");
    parse_fails(HEAD VIDEO "a=mid:0123456789012345678901234567890123456789\r\n", "mid");
    parse_fails(HEAD "a=ice-ufrag:"
                     "0123456789012345678901234567890123456789012345678901234567890123456789\r\n",
                "ice-ufrag");
    char fmtp[512] = HEAD VIDEO "a=fmtp:96 ";
    memset(fmtp + strlen(fmtp), 'x', 300);
    parse_fails(fmtp, "too long");
    char nul[] = HEAD VIDEO "a=mid:0\0x\r\n";
    struct sdp_session *s = malloc(sizeof *s);
    const char *why = NULL;
    assert_int_equal(sdp_parse(s, nul, sizeof nul - 1, &why), -1);
    assert_non_null(strstr(why, "NUL"));
    free(s);
}

static void test_too_many_media(void **state)
{
    char text[4096] = HEAD;
    for (int i = 0; i < SDP_MAX_MEDIA; i++)
        strcat(text, VIDEO);
    struct sdp_session *s = parse_ok(text);
    assert_int_equal(s->n_media, SDP_MAX_MEDIA);
    free(s);
    strcat(text, VIDEO);
    parse_fails(text, "too many m= sections");
}

static void test_line_length(void **state)
{
    static char text[8192];
    strcpy(text, HEAD VIDEO "a=x-long:");
    size_t line = strlen(HEAD VIDEO), n = strlen(text);
    memset(text + n, 'x', SDP_MAX_LINE - (n - line));
    strcat(text, "\r\n");
    struct sdp_session *s = parse_ok(text); /* exactly SDP_MAX_LINE characters */
    free(s);
    text[strlen(text) - 2] = 0;
    strcat(text, "y\r\n");
    parse_fails(text, "longer than");
}

/* Payload types beyond SDP_MAX_CODECS are not kept, and their attributes are ignored rather than
 * taken for attributes of formats that were never offered. */
static void test_many_payload_types(void **state)
{
    static char text[8192];
    strcpy(text, HEAD "m=video 9 UDP/TLS/RTP/SAVPF");
    for (int pt = 0; pt < 100; pt++)
        sprintf(text + strlen(text), " %d", pt);
    strcat(text, "\r\na=rtpmap:1 VP8/90000\r\na=rtpmap:99 VP9/90000\r\na=fmtp:99 profile-id=0\r\n");
    struct sdp_session *s = parse_ok(text);
    assert_int_equal(s->media[0].n_codecs, SDP_MAX_CODECS);
    assert_string_equal(s->media[0].codecs[1].name, "VP8");
    free(s);
    strcat(text, "a=rtpmap:100 VP9/90000\r\n");
    parse_fails(text, "not in its m= line");
}

static void test_several_fingerprints(void **state)
{
    struct sdp_session *s = parse_ok(
        HEAD "a=fingerprint:sha-256 AA:BB\r\n"
             "a=fingerprint:sha-512 "
             "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:"
             "BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:"
             "66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" VIDEO "a=fingerprint:sha-512 "
             "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:"
             "BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:"
             "66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
             "a=fingerprint:sha-256 CC:DD\r\n");
    assert_string_equal(s->fingerprint, "sha-256 AA:BB");
    assert_int_equal(strlen(s->media[0].fingerprint), 8 + 64 * 3 - 1);
    free(s);
}

/* Simulcast: one FID group per layer; the first names the track. */
static void test_ssrc_groups(void **state)
{
    struct sdp_session *s = parse_ok(HEAD VIDEO "a=ssrc-group:FID 10 11\r\n"
                                                "a=ssrc-group:FID 20 21\r\n"
                                                "a=ssrc-group:SIM 10 20\r\n"
                                                "a=ssrc:10 cname:x\r\n"
                                                "a=ssrc:11 cname:x\r\n"
                                                "a=ssrc:20 cname:y\r\n");
    assert_int_equal(s->media[0].ssrc, 10);
    assert_int_equal(s->media[0].rtx_ssrc, 11);
    assert_string_equal(s->media[0].cname, "x");
    free(s);
    /* Without cname or msid an a=ssrc line describes nothing the relay uses. */
    s = parse_ok(HEAD VIDEO "a=ssrc:5 label:foo\r\na=ssrc:6 cname:z\r\n");
    assert_int_equal(s->media[0].ssrc, 6);
    free(s);
}

/* Chromium's simulcast offer: three rids it sends, listed in a=simulcast in its order. */
static void test_chrome_simulcast(void **state)
{
    struct sdp_session *s = parse_ok(SDP_CHROME_SIMULCAST);
    const struct sdp_media *m = &s->media[0];
    assert_int_equal(m->n_rids, 3);
    const char *ids[] = {"q", "h", "f"};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(m->rids[i].id, ids[i]);
        assert_true(m->rids[i].send);
        assert_int_equal(m->rids[i].max_width, 0);
        assert_string_equal(m->simulcast_send[i].rid, ids[i]);
        assert_false(m->simulcast_send[i].paused);
    }
    assert_int_equal(m->n_simulcast_send, 3);
    assert_int_equal(m->n_simulcast_recv, 0);
    assert_int_equal(m->ssrc, 0); /* Chromium names no SSRC: the rtp-stream-id extension does */
    assert_int_equal(extmap_id(m, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"), 10);
    free(s);
}

/* Restrictions, both lists, alternatives and paused streams; what does not fit is dropped. */
static void test_simulcast_forms(void **state)
{
    static char text[4096];
    struct sdp_session *s =
        parse_ok(HEAD VIDEO "a=rid:lo recv max-width=320;max-height=180;pt=96\r\n"
                            "a=rid:hi-1 send max-fps=30;max-height=720\r\n"
                            "a=rid:x_2 send\r\n"
                            "a=simulcast:recv lo send ~hi-1,x_2;x_2\r\n");
    const struct sdp_media *m = &s->media[0];
    assert_int_equal(m->n_rids, 3);
    assert_false(m->rids[0].send);
    assert_int_equal(m->rids[0].max_width, 320);
    assert_int_equal(m->rids[0].max_height, 180);
    assert_true(m->rids[1].send);
    assert_int_equal(m->rids[1].max_width, 0);
    assert_int_equal(m->rids[1].max_height, 720);
    assert_int_equal(m->n_simulcast_recv, 1);
    assert_string_equal(m->simulcast_recv[0].rid, "lo");
    assert_int_equal(m->n_simulcast_send, 2); /* of "~hi-1,x_2" the first alternative */
    assert_string_equal(m->simulcast_send[0].rid, "hi-1");
    assert_true(m->simulcast_send[0].paused);
    assert_string_equal(m->simulcast_send[1].rid, "x_2");
    assert_false(m->simulcast_send[1].paused);
    /* Written back as parsed. */
    assert_true(sdp_write(s, text, sizeof text) > 0);
    assert_non_null(strstr(text, "a=rid:lo recv max-width=320;max-height=180\r\n"));
    assert_non_null(strstr(text, "a=rid:hi-1 send max-height=720\r\n"));
    assert_non_null(strstr(text, "a=simulcast:send ~hi-1;x_2 recv lo\r\n"));
    free(s);

    s = parse_ok(HEAD VIDEO "a=rid:a send\r\na=rid:b send\r\na=rid:c send\r\na=rid:d send\r\n"
                            "a=rid:e send\r\na=simulcast:send a;b;c;d;e\r\n");
    assert_int_equal(s->media[0].n_rids, SDP_MAX_RIDS);
    assert_int_equal(s->media[0].n_simulcast_send, SDP_MAX_RIDS);
    assert_string_equal(s->media[0].simulcast_send[SDP_MAX_RIDS - 1].rid, "d");
    free(s);
}

static void test_simulcast_malformed(void **state)
{
    parse_fails(HEAD VIDEO "a=rid:q\r\n", "a=rid needs an id");
    parse_fails(HEAD VIDEO "a=rid: send\r\n", "a=rid needs an id");
    parse_fails(HEAD VIDEO "a=rid:q=1 send\r\n", "a=rid needs an id");
    parse_fails(HEAD VIDEO "a=rid:abcdefghijklmnopq send\r\n", "at most 16");
    parse_fails(HEAD VIDEO "a=rid:q sendrecv\r\n", "send or recv");
    parse_fails(HEAD VIDEO "a=rid:q send max-width\r\n", "key=value");
    parse_fails(HEAD VIDEO "a=rid:q send max-width=\r\n", "key=value");
    parse_fails(HEAD VIDEO "a=rid:q send max-width=wide\r\n", "numbers");
    parse_fails(HEAD VIDEO "a=rid:q send max-height=12345678901\r\n", "numbers");
    parse_fails(HEAD VIDEO "a=rid:q send\r\na=rid:q recv\r\n", "the same id twice");
    parse_fails(HEAD VIDEO "a=simulcast:\r\n", "a=simulcast needs");
    parse_fails(HEAD VIDEO "a=simulcast:send\r\n", "a=simulcast needs");
    parse_fails(HEAD VIDEO "a=simulcast:send \r\n", "a=simulcast needs");
    parse_fails(HEAD VIDEO "a=simulcast:send q;;h\r\n", "a=simulcast needs");
    parse_fails(HEAD VIDEO "a=simulcast:send q, h\r\n", "a=simulcast needs");
    parse_fails(HEAD VIDEO "a=simulcast:send q send h\r\n", "a=simulcast needs");
    parse_fails(HEAD VIDEO "a=simulcast:both q\r\n", "a=simulcast needs");
    parse_fails(HEAD VIDEO "a=simulcast: send rid=q;h\r\n", "a=simulcast needs");
}

static void test_fmtp_get(void **state)
{
    char v[16];
    const char *fmtp = "level-asymmetry-allowed=1;packetization-mode=1; profile-level-id=42e01f";
    assert_true(sdp_fmtp_get(fmtp, "packetization-mode", v, sizeof v));
    assert_string_equal(v, "1");
    assert_true(sdp_fmtp_get(fmtp, "profile-level-id", v, sizeof v));
    assert_string_equal(v, "42e01f");
    assert_false(sdp_fmtp_get(fmtp, "mode", v, sizeof v));
    assert_false(sdp_fmtp_get(fmtp, "profile-level-id", v, 6)); /* does not fit */
    assert_false(sdp_fmtp_get("0-15", "apt", v, sizeof v));
    assert_false(sdp_fmtp_get("", "apt", v, sizeof v));
}

static void test_in_bundle(void **state)
{
    struct sdp_session *s = calloc(1, sizeof *s);
    strcpy(s->bundle, "0 1 video10");
    assert_true(sdp_in_bundle(s, "0"));
    assert_true(sdp_in_bundle(s, "video10"));
    assert_false(sdp_in_bundle(s, "10"));
    assert_false(sdp_in_bundle(s, "video"));
    assert_false(sdp_in_bundle(s, ""));
    free(s);
}

static struct sdp_codec make_codec(const char *name, uint32_t rate, const char *fmtp)
{
    struct sdp_codec c = {.pt = 100, .clock_rate = rate};
    strcpy(c.name, name);
    strcpy(c.fmtp, fmtp);
    return c;
}

static bool h264_compatible(const char *a, const char *b)
{
    struct sdp_codec x = make_codec("H264", 90000, a), y = make_codec("H264", 90000, b);
    return sdp_codec_compatible(&x, &y);
}

static void test_codec_compatible(void **state)
{
    /* H.264: the profile matters, the level does not (RFC 6184 §8.1). */
    assert_true(h264_compatible("packetization-mode=1;profile-level-id=42e01f",
                                "profile-level-id=42e034;packetization-mode=1"));
    /* Constrained baseline spelt three ways: 42 with set1, 4d with set0, 58 with set0+1. */
    assert_true(h264_compatible("packetization-mode=1;profile-level-id=42e01f",
                                "packetization-mode=1;profile-level-id=4d801f"));
    assert_true(h264_compatible("packetization-mode=1;profile-level-id=42e01f",
                                "packetization-mode=1;profile-level-id=58c01f"));
    assert_true(
        h264_compatible("packetization-mode=1;profile-level-id=42E01F", "packetization-mode=1"));
    assert_false(h264_compatible("packetization-mode=1;profile-level-id=42001f",
                                 "packetization-mode=1;profile-level-id=42e01f"));
    assert_false(h264_compatible("packetization-mode=1;profile-level-id=4d001f",
                                 "packetization-mode=1;profile-level-id=42e01f"));
    assert_false(h264_compatible("packetization-mode=1;profile-level-id=640c1f",
                                 "packetization-mode=1;profile-level-id=64001f"));
    assert_true(h264_compatible("packetization-mode=1;profile-level-id=640c34",
                                "packetization-mode=1;profile-level-id=640c1f"));
    assert_false(h264_compatible("packetization-mode=0;profile-level-id=42e01f",
                                 "packetization-mode=1;profile-level-id=42e01f"));
    assert_true(h264_compatible("profile-level-id=42e01f", "packetization-mode=0"));
    /* Profiles not in the table match only themselves. */
    assert_true(h264_compatible("profile-level-id=6e001f", "profile-level-id=6e0028"));
    assert_false(h264_compatible("profile-level-id=6e001f", "profile-level-id=7a001f"));

    struct sdp_codec vp9 = make_codec("VP9", 90000, "profile-id=0");
    struct sdp_codec vp9_2 = make_codec("VP9", 90000, "profile-id=2");
    struct sdp_codec vp9_plain = make_codec("VP9", 90000, "");
    assert_false(sdp_codec_compatible(&vp9, &vp9_2));
    assert_true(sdp_codec_compatible(&vp9, &vp9_plain));
    struct sdp_codec av1 = make_codec("AV1", 90000, "level-idx=5;profile=0;tier=0");
    struct sdp_codec av1_1 = make_codec("AV1", 90000, "level-idx=5;profile=1;tier=0");
    assert_false(sdp_codec_compatible(&av1, &av1_1));
    struct sdp_codec opus = make_codec("opus", 48000, "minptime=10;useinbandfec=1");
    struct sdp_codec gst_opus = make_codec("OPUS", 48000, "sprop-stereo=0");
    struct sdp_codec vp8 = make_codec("VP8", 90000, "");
    struct sdp_codec vp8_slow = make_codec("VP8", 48000, "");
    assert_true(sdp_codec_compatible(&opus, &gst_opus));
    assert_false(sdp_codec_compatible(&vp8, &vp9));
    assert_false(sdp_codec_compatible(&vp8, &vp8_slow));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chrome_publisher_session),
        cmocka_unit_test(test_chrome_publisher_codecs),
        cmocka_unit_test(test_chrome_publisher_candidates),
        cmocka_unit_test(test_chrome_viewer),
        cmocka_unit_test(test_firefox_publisher),
        cmocka_unit_test(test_fragment),
        cmocka_unit_test(test_aiortc_publisher),
        cmocka_unit_test(test_gstreamer_viewer),
        cmocka_unit_test(test_gstreamer_publisher),
        cmocka_unit_test(test_aiortc_viewer),
        cmocka_unit_test(test_chrome_trickle),
        cmocka_unit_test(test_datachannel),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_lf_only),
        cmocka_unit_test(test_write_answer),
        cmocka_unit_test(test_write_capacity),
        cmocka_unit_test(test_write_sctp_legacy),
        cmocka_unit_test(test_write_parsed_rtx_once),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_too_many_media),
        cmocka_unit_test(test_line_length),
        cmocka_unit_test(test_many_payload_types),
        cmocka_unit_test(test_several_fingerprints),
        cmocka_unit_test(test_ssrc_groups),
        cmocka_unit_test(test_chrome_simulcast),
        cmocka_unit_test(test_simulcast_forms),
        cmocka_unit_test(test_simulcast_malformed),
        cmocka_unit_test(test_fmtp_get),
        cmocka_unit_test(test_in_bundle),
        cmocka_unit_test(test_codec_compatible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
