/* test_viewer_answer: the answer onair bench gives an offering server (an offer shaped like
 * Janus 1.1.2's streaming plugin's, with a data channel section added to be refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "app/viewer_answer.h"

static const char janus_offer[] =
    "v=0\r\n"
    "o=- 1732900000000000 1 IN IP4 10.77.0.2\r\n"
    "s=Streaming Test\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE a v d\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 D2:B9:31:8F:DF:24:D8:0E:ED:D2:EF:25:9E:AF:6F:B8:34:AE:53:9C:E6:F3:8F:F2:64:15:FA:E8:7F:53:2D:38\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 10.77.0.2\r\n"
    "a=sendonly\r\n"
    "a=mid:a\r\n"
    "a=rtcp-mux\r\n"
    "a=ice-ufrag:Zsxh\r\n"
    "a=ice-pwd:fCZcZ2ODhUvfOXFwHgPxW5\r\n"
    "a=setup:actpass\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=ssrc:1111 cname:janus\r\n"
    "a=candidate:1 1 udp 2015363327 10.77.0.2 20123 typ host\r\n"
    "a=end-of-candidates\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 10.77.0.2\r\n"
    "a=sendonly\r\n"
    "a=mid:v\r\n"
    "a=rtcp-mux\r\n"
    "a=ice-ufrag:Zsxh\r\n"
    "a=ice-pwd:fCZcZ2ODhUvfOXFwHgPxW5\r\n"
    "a=setup:actpass\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=ssrc-group:FID 2222 3333\r\n"
    "a=ssrc:2222 cname:janus\r\n"
    "a=ssrc:3333 cname:janus\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 10.77.0.2\r\n"
    "a=sendrecv\r\n"
    "a=mid:d\r\n"
    "a=sctp-port:5000\r\n";

static void answers_audio_and_video_recvonly(void **state)
{
    (void)state;
    struct sdp_session *offer = malloc(sizeof *offer), *answer = malloc(sizeof *answer);
    const char *why = NULL;
    assert_int_equal(sdp_parse(offer, janus_offer, strlen(janus_offer), &why), 0);
    viewer_answer_build(answer, offer);
    /* Every offered section is answered, in order (RFC 8829 §5.3.1). */
    assert_int_equal(answer->n_media, 3);
    assert_string_equal(answer->bundle, "a v");
    for (int i = 0; i < 2; i++) {
        const struct sdp_media *m = &answer->media[i];
        assert_int_equal(m->direction, SDP_RECVONLY);
        assert_int_not_equal(m->port, 0);
        assert_true(m->rtcp_mux);
        assert_int_equal(m->n_codecs, 1);
        /* The offerer's transport and streams stay out of the answer. */
        assert_int_equal(m->n_candidates, 0);
        assert_int_equal(m->ssrc, 0);
        assert_string_equal(m->ice_ufrag, "");
    }
    assert_string_equal(answer->media[0].mid, "a");
    assert_int_equal(answer->media[0].codecs[0].pt, 111);
    assert_string_equal(answer->media[1].mid, "v");
    assert_int_equal(answer->media[1].codecs[0].pt, 96);
    assert_int_equal(answer->media[1].codecs[0].rtx_pt, 0);
    assert_true(answer->media[1].codecs[0].fb_nack);
    /* The data channel section is refused. */
    assert_int_equal(answer->media[2].port, 0);
    assert_string_equal(answer->media[2].mid, "d");
    assert_string_equal(answer->ice_ufrag, "");
    assert_string_equal(answer->fingerprint, "");
    free(offer);
    free(answer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_audio_and_video_recvonly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
