/* The whole transport in-process, with no sockets: a client stack (ICE controlling agent, DTLS
 * client, SRTP) and a server stack (ICE-lite, DTLS server, SRTP) exchange datagrams through a
 * transmit helper that demultiplexes by first byte as the server does (RFC 7983), until media
 * flows both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "base/bytes.h"
#include "proto/rtp.h"
#include "proto/stun.h"
#include "rtc/dtls.h"
#include "rtc/ice.h"
#include "rtc/srtp.h"

struct peer {
    struct sockaddr_storage addr;
    struct dtls *dtls;
    struct srtpx *in, *out;
};

struct link {
    uint64_t now_ms;
    struct peer client, server;
    struct ice_agent *agent;
    struct ice_lite *lite;
    struct dtls_cert *client_cert, *server_cert;
    size_t stun_to_server, dtls_to_server, dtls_to_client;
};

static struct sockaddr_storage v4(const char *ip, uint16_t port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    inet_pton(AF_INET, ip, &sin->sin_addr);
    return ss;
}

/* Delivers one datagram to the server: STUN to ICE-lite (answer straight back to the agent),
 * DTLS to the server's endpoint. */
static void to_server(struct link *l, const uint8_t *p, size_t len)
{
    if (stun_is_stun(p, len)) {
        struct stun_msg m;
        const char *why;
        assert_int_equal(stun_decode(&m, p, len, &why), 0);
        uint8_t answer[512];
        size_t n = 0;
        ice_lite_handle_request(l->lite, l->now_ms, (struct sockaddr *)&l->client.addr, p, len,
                                &m, answer, sizeof answer, &n);
        l->stun_to_server++;
        if (n)
            ice_agent_feed(l->agent, l->now_ms, (struct sockaddr *)&l->server.addr, answer, n);
    } else if (p[0] >= 20 && p[0] <= 63) {
        l->dtls_to_server++;
        dtls_feed(l->server.dtls, l->now_ms, p, len);
    } else {
        fail_msg("unexpected datagram to the server, first byte %u", p[0]);
    }
}

/* Moves everything each side wants to send until nobody has anything, then advances time. */
static void run(struct link *l, int rounds)
{
    uint8_t buf[2048];
    for (int r = 0; r < rounds; r++) {
        size_t len;
        struct sockaddr_storage to;
        while (ice_agent_poll_output(l->agent, l->now_ms, buf, sizeof buf, &len, &to) == 1)
            to_server(l, buf, len);
        if (ice_agent_state(l->agent) == ICE_CONNECTED &&
            dtls_state(l->client.dtls) == DTLS_STATE_NEW)
            dtls_start(l->client.dtls, l->now_ms);
        ssize_t n;
        while ((n = dtls_poll_output(l->client.dtls, buf, sizeof buf)) > 0)
            to_server(l, buf, (size_t)n);
        while ((n = dtls_poll_output(l->server.dtls, buf, sizeof buf)) > 0) {
            l->dtls_to_client++;
            dtls_feed(l->client.dtls, l->now_ms, buf, (size_t)n);
        }
        l->now_ms += 10;
    }
}

static size_t rtp_packet(uint8_t *buf, uint32_t ssrc, uint16_t seq, const char *text)
{
    uint8_t *p = buf;
    *p++ = 0x80;
    *p++ = 96;
    p = be16_write(p, seq);
    p = be32_write(p, 1234);
    p = be32_write(p, ssrc);
    size_t n = strlen(text);
    memcpy(p, text, n);
    return 12 + n;
}

static void ice_dtls_srtp_end_to_end(void **state)
{
    srtp_global_init();
    struct link l;
    memset(&l, 0, sizeof l);
    l.now_ms = 5000;
    l.client.addr = v4("192.0.2.7", 50000);
    l.server.addr = v4("198.51.100.9", 8443);
    l.client_cert = dtls_cert_generate();
    l.server_cert = dtls_cert_generate();
    /* Each side expects the other's fingerprint, as the SDP exchange would tell it. */
    l.client.dtls = dtls_new(l.client_cert, DTLS_ROLE_CLIENT, dtls_cert_fingerprint(l.server_cert));
    l.server.dtls = dtls_new(l.server_cert, DTLS_ROLE_SERVER, dtls_cert_fingerprint(l.client_cert));
    l.lite = ice_lite_new("SRVufrag", "server-ice-password-0001", "CLIufrag",
                          "client-ice-password-0001");
    l.agent = ice_agent_new("CLIufrag", "client-ice-password-0001", "SRVufrag",
                            "server-ice-password-0001", 0x1234567890ull);
    assert_int_equal(ice_agent_add_remote_candidate(l.agent, (struct sockaddr *)&l.server.addr,
                                                    2130706431u),
                     0);

    run(&l, 200);

    assert_int_equal(ice_agent_state(l.agent), ICE_CONNECTED);
    assert_true(ice_lite_nominated(l.lite));
    assert_memory_equal(ice_lite_selected(l.lite), &l.client.addr, sizeof(struct sockaddr_in));
    assert_int_equal(dtls_state(l.client.dtls), DTLS_STATE_CONNECTED);
    assert_int_equal(dtls_state(l.server.dtls), DTLS_STATE_CONNECTED);
    assert_true(l.stun_to_server > 0 && l.dtls_to_server > 0 && l.dtls_to_client > 0);

    struct srtp_keys ck, sk;
    assert_int_equal(dtls_srtp_keys(l.client.dtls, &ck), 0);
    assert_int_equal(dtls_srtp_keys(l.server.dtls, &sk), 0);
    assert_int_equal(ck.profile, SRTP_PROFILE_AEAD_AES_128_GCM);
    l.client.out = srtpx_new(&ck, true);
    l.client.in = srtpx_new(&ck, false);
    l.server.out = srtpx_new(&sk, true);
    l.server.in = srtpx_new(&sk, false);

    /* Client to server: protected, demultiplexed as RTP (RFC 7983: 128..191), unprotected. */
    uint8_t pkt[256];
    size_t len = rtp_packet(pkt, 0xabc, 1, "from the publisher");
    assert_int_equal(srtpx_protect_rtp(l.client.out, pkt, &len, sizeof pkt), 0);
    assert_true(pkt[0] >= 128 && pkt[0] <= 191);
    assert_false(stun_is_stun(pkt, len));
    assert_int_equal(srtpx_unprotect_rtp(l.server.in, pkt, &len), 0);
    struct rtp_view v;
    const char *why;
    assert_int_equal(rtp_parse(&v, pkt, len, &why), 0);
    assert_int_equal(v.payload_len, strlen("from the publisher"));
    assert_memory_equal(v.payload, "from the publisher", v.payload_len);

    /* And back. */
    len = rtp_packet(pkt, 0xdef, 7, "to the viewer");
    assert_int_equal(srtpx_protect_rtp(l.server.out, pkt, &len, sizeof pkt), 0);
    assert_int_equal(srtpx_unprotect_rtp(l.client.in, pkt, &len), 0);
    assert_int_equal(rtp_parse(&v, pkt, len, &why), 0);
    assert_memory_equal(v.payload, "to the viewer", v.payload_len);

    /* A packet protected by the client cannot be read with the client's own inbound keys. */
    len = rtp_packet(pkt, 0xabc, 2, "tamper");
    assert_int_equal(srtpx_protect_rtp(l.client.out, pkt, &len, sizeof pkt), 0);
    assert_true(srtpx_unprotect_rtp(l.client.in, pkt, &len) < 0);

    srtpx_free(l.client.in);
    srtpx_free(l.client.out);
    srtpx_free(l.server.in);
    srtpx_free(l.server.out);
    dtls_free(l.client.dtls);
    dtls_free(l.server.dtls);
    dtls_cert_free(l.client_cert);
    dtls_cert_free(l.server_cert);
    ice_agent_free(l.agent);
    ice_lite_free(l.lite);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ice_dtls_srtp_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
