/* Tests for rtc/ice: an ice_agent wired to an ice_lite (and to another agent) in-process with
 * fake addresses and a fake clock; refusals, consent expiry, a moving client, ICE restart. */
/* cmocka needs these headers first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
/* clang-format on */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <zlib.h>

#include "proto/stun.h"
#include "rtc/ice.h"

#define KEY(s) (const uint8_t *)(s), strlen(s)

static struct sockaddr_storage addr4(const char *ip, uint16_t port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
    return ss;
}

static struct sockaddr_storage addr6(const char *ip, uint16_t port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
    return ss;
}

#define SA(ss) ((const struct sockaddr *)(ss))

static bool same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
    if (!a || a->sa_family != b->ss_family)
        return false;
    size_t n = a->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    return memcmp(a, b, n) == 0;
}

/* A client agent and the server's lite responder on a fake network. Datagrams to any address
 * other than the server's are lost; `drop` loses everything. */
struct net {
    uint64_t now;
    struct ice_agent *agent;
    struct sockaddr_storage agent_addr;
    struct ice_lite *lite;
    struct sockaddr_storage lite_addr;
    bool drop;
    int checks, refused, last_error;
    uint64_t last_check_ms;
    uint64_t send_times[64];
    size_t n_sends;
};

static void net_init(struct net *net, const char *agent_remote_pwd)
{
    memset(net, 0, sizeof *net);
    net->now = 1000;
    net->agent_addr = addr4("192.0.2.10", 40000);
    net->lite_addr = addr4("198.51.100.1", 3478);
    net->lite = ice_lite_new("srvU", "server-password-0123456", "cliU", "client-password-012345");
    net->agent = ice_agent_new("cliU", "client-password-012345", "srvU", agent_remote_pwd, 42);
}

static void net_free(struct net *net)
{
    ice_agent_free(net->agent);
    ice_lite_free(net->lite);
}

/* The server's side of one datagram, as src/app/server.c does it. */
static void lite_receive(struct net *net, const uint8_t *p, size_t len)
{
    struct stun_msg m;
    const char *why;
    assert_true(stun_is_stun(p, len));
    assert_int_equal(stun_decode(&m, p, len, &why), 0);
    char ufrag[64];
    assert_int_equal(ice_username_local_ufrag(&m, ufrag, sizeof ufrag), 4);
    assert_string_equal(ufrag, "srvU");
    uint8_t out[512];
    size_t out_len;
    int rc = ice_lite_handle_request(net->lite, net->now, SA(&net->agent_addr), p, len, &m, out,
                                     sizeof out, &out_len);
    if (rc == ICE_LITE_OK) {
        net->checks++;
        net->last_check_ms = net->now;
    } else {
        assert_int_equal(rc, ICE_LITE_REFUSED);
        net->refused++;
        struct stun_msg answer;
        assert_int_equal(stun_decode(&answer, out, out_len, &why), 0);
        net->last_error = answer.error_code;
    }
    assert_true(out_len > 0);
    ice_agent_feed(net->agent, net->now, SA(&net->lite_addr), out, out_len);
}

/* Carries everything the agent has to send now, and the answers back. */
static void transmit(struct net *net)
{
    uint8_t buf[1500];
    size_t len;
    struct sockaddr_storage to;
    while (ice_agent_poll_output(net->agent, net->now, buf, sizeof buf, &len, &to) == 1) {
        if (net->n_sends < 64)
            net->send_times[net->n_sends++] = net->now;
        if (net->drop || !same_addr(SA(&to), &net->lite_addr))
            continue;
        lite_receive(net, buf, len);
    }
}

/* Runs the fake clock until UNTIL, jumping from timeout to timeout. After the agent's output
 * is drained, its next timeout must lie in the future, or a real loop would spin. */
static void run_until(struct net *net, uint64_t until)
{
    for (;;) {
        transmit(net);
        uint64_t t = ice_agent_next_timeout(net->agent);
        assert_true(t > net->now);
        if (t > until)
            break;
        net->now = t;
    }
    net->now = until;
    transmit(net);
}

static void run_until_connected(struct net *net, uint64_t limit)
{
    while (ice_agent_state(net->agent) == ICE_CHECKING && net->now < limit)
        run_until(net, net->now + 10);
}

static void agent_connects_to_lite(void **state)
{
    struct net net;
    net_init(&net, "server-password-0123456");
    /* A host candidate that never answers, with a higher priority than the server's. */
    struct sockaddr_storage dead = addr4("10.0.0.99", 9);
    assert_int_equal(ice_agent_add_remote_candidate(net.agent, SA(&dead), 2130706431), 0);
    assert_int_equal(ice_agent_add_remote_candidate(net.agent, SA(&net.lite_addr), 2113937151), 0);
    assert_null(ice_lite_selected(net.lite));
    assert_int_equal(ice_agent_state(net.agent), ICE_CHECKING);
    run_until_connected(&net, 3000);

    assert_int_equal(ice_agent_state(net.agent), ICE_CONNECTED);
    assert_true(net.now < 1000 + 200); /* the second check, one Ta after the first */
    assert_true(same_addr(ice_agent_selected(net.agent), &net.lite_addr));
    assert_true(same_addr(ice_lite_selected(net.lite), &net.agent_addr));
    assert_true(ice_lite_nominated(net.lite));
    assert_true(ice_agent_controlling(net.agent));
    assert_int_equal(net.refused, 0);
    /* The dead candidate was tried first: higher priority. */
    assert_true(net.n_sends >= 2);
    assert_true(net.send_times[1] - net.send_times[0] >= ICE_AGENT_TA_MS);
    net_free(&net);
}

/* Checks keyed with the wrong password are refused with 401; the agent gives up at 10 s. */
static void wrong_password_refused(void **state)
{
    struct net net;
    net_init(&net, "not-the-server-password");
    assert_int_equal(ice_agent_add_remote_candidate(net.agent, SA(&net.lite_addr), 1), 0);
    run_until(&net, 1000 + ICE_AGENT_FAIL_MS - 1);
    assert_true(net.refused >= 1);
    assert_int_equal(net.checks, 0);
    assert_int_equal(net.last_error, 401);
    assert_null(ice_lite_selected(net.lite));
    assert_int_equal(ice_agent_state(net.agent), ICE_CHECKING);
    run_until(&net, 1000 + ICE_AGENT_FAIL_MS);
    assert_int_equal(ice_agent_state(net.agent), ICE_FAILED);
    assert_null(ice_agent_selected(net.agent));
    assert_true(ice_agent_next_timeout(net.agent) == UINT64_MAX);
    net_free(&net);
}

/* Hands the lite responder one request made by our encoder; returns the answer's view. */
static int lite_check(struct ice_lite *lite, uint64_t now, const struct sockaddr *from,
                      const char *username, bool controlling, bool use_candidate, const char *pwd,
                      struct stun_msg *answer, uint8_t *answer_buf)
{
    static const uint8_t txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint8_t req[512];
    size_t n = stun_encode_binding_request(req, sizeof req, txid, username, 1, controlling, 7,
                                           use_candidate, pwd ? (const uint8_t *)pwd : NULL,
                                           pwd ? strlen(pwd) : 0);
    assert_true(n > 0);
    struct stun_msg m;
    const char *why;
    assert_int_equal(stun_decode(&m, req, n, &why), 0);
    size_t out_len;
    int rc = ice_lite_handle_request(lite, now, from, req, n, &m, answer_buf, 512, &out_len);
    memset(answer, 0, sizeof *answer);
    if (out_len) {
        assert_int_equal(stun_decode(answer, answer_buf, out_len, &why), 0);
        assert_memory_equal(answer->txid, txid, 12);
        assert_true(stun_check_fingerprint(answer_buf, out_len, answer));
    }
    return rc;
}

static void lite_refusals(void **state)
{
    struct ice_lite *lite = ice_lite_new("srvU", "spwd-spwd-spwd-spwd-spwd", "cliU", "cpwd");
    struct sockaddr_storage from = addr6("2001:db8::5", 5000);
    struct stun_msg a;
    uint8_t buf[512];

    /* No MESSAGE-INTEGRITY: 400. */
    assert_int_equal(lite_check(lite, 0, SA(&from), "srvU:cliU", true, true, NULL, &a, buf),
                     ICE_LITE_REFUSED);
    assert_int_equal(a.error_code, 400);
    /* No USERNAME: 400. */
    assert_int_equal(
        lite_check(lite, 0, SA(&from), NULL, true, true, "spwd-spwd-spwd-spwd-spwd", &a, buf),
        ICE_LITE_REFUSED);
    assert_int_equal(a.error_code, 400);
    /* Wrong password, or a USERNAME naming another peer: 401, unauthenticated. */
    assert_int_equal(lite_check(lite, 0, SA(&from), "srvU:cliU", true, true, "cpwd", &a, buf),
                     ICE_LITE_REFUSED);
    assert_int_equal(a.error_code, 401);
    assert_false(a.has_integrity);
    assert_int_equal(lite_check(lite, 0, SA(&from), "srvU:other", true, true,
                                "spwd-spwd-spwd-spwd-spwd", &a, buf),
                     ICE_LITE_REFUSED);
    assert_int_equal(a.error_code, 401);
    assert_int_equal(lite_check(lite, 0, SA(&from), "srvU:cliUx", true, true,
                                "spwd-spwd-spwd-spwd-spwd", &a, buf),
                     ICE_LITE_REFUSED);
    assert_int_equal(a.error_code, 401);
    /* A peer that also wants to be controlled: 487, authenticated. */
    assert_int_equal(lite_check(lite, 0, SA(&from), "srvU:cliU", false, false,
                                "spwd-spwd-spwd-spwd-spwd", &a, buf),
                     ICE_LITE_REFUSED);
    assert_int_equal(a.error_code, 487);
    assert_true(a.has_integrity);
    assert_null(ice_lite_selected(lite));

    /* The valid check, for comparison: success, authenticated, mapped address = sender. */
    assert_int_equal(lite_check(lite, 0, SA(&from), "srvU:cliU", true, false,
                                "spwd-spwd-spwd-spwd-spwd", &a, buf),
                     ICE_LITE_OK);
    assert_int_equal(a.type, STUN_BINDING_SUCCESS);
    assert_true(a.has_integrity);
    assert_true(same_addr(SA(&a.xor_mapped), &from));
    assert_true(same_addr(ice_lite_selected(lite), &from));
    assert_false(ice_lite_nominated(lite));
    ice_lite_free(lite);
}

/* A bad FINGERPRINT is dropped without an answer (RFC 8489 §7.3), and so is anything that is
 * not a Binding request. */
static void lite_ignores_non_checks(void **state)
{
    struct ice_lite *lite = ice_lite_new("srvU", "spwd", "cliU", "cpwd");
    struct sockaddr_storage from = addr4("192.0.2.7", 7);
    static const uint8_t txid[12] = {0};
    uint8_t req[256], out[512];
    size_t out_len;
    struct stun_msg m;
    const char *why;
    size_t n = stun_encode_binding_request(req, sizeof req, txid, "srvU:cliU", 1, true, 7, true,
                                           KEY("spwd"));
    req[n - 1] ^= 0x01; /* the last byte of the CRC */
    assert_int_equal(stun_decode(&m, req, n, &why), 0);
    assert_int_equal(
        ice_lite_handle_request(lite, 0, SA(&from), req, n, &m, out, sizeof out, &out_len),
        ICE_LITE_IGNORED);
    assert_int_equal(out_len, 0);

    n = stun_encode_binding_success(req, sizeof req, txid, SA(&from), KEY("spwd"), true);
    assert_int_equal(stun_decode(&m, req, n, &why), 0);
    assert_int_equal(
        ice_lite_handle_request(lite, 0, SA(&from), req, n, &m, out, sizeof out, &out_len),
        ICE_LITE_IGNORED);
    assert_int_equal(out_len, 0);
    assert_null(ice_lite_selected(lite));
    assert_false(ice_lite_consent_expired(lite, ICE_CONSENT_TIMEOUT_MS - 1));
    ice_lite_free(lite);
}

/* Signs a hand-made message the way RFC 8489 §14.5 and §14.7 say, with OpenSSL and zlib
 * directly (not through the code under test): MESSAGE-INTEGRITY at MI_AT, FINGERPRINT last. */
static void sign_by_hand(uint8_t *msg, size_t mi_at, size_t total, const char *key)
{
    msg[2] = 0;
    msg[3] = (uint8_t)(mi_at + 24 - 20);
    unsigned int mac_len = 0;
    HMAC(EVP_sha1(), key, (int)strlen(key), msg, mi_at, msg + mi_at + 4, &mac_len);
    assert_int_equal(mac_len, 20);
    msg[3] = (uint8_t)(total - 20);
    uint32_t crc = (uint32_t)crc32(0, msg, (uInt)(total - 8)) ^ 0x5354554eu;
    msg[total - 4] = (uint8_t)(crc >> 24);
    msg[total - 3] = (uint8_t)(crc >> 16);
    msg[total - 2] = (uint8_t)(crc >> 8);
    msg[total - 1] = (uint8_t)crc;
}

/* RFC 8489 §6.3.1: an authentic request with an unknown comprehension-required attribute gets
 * 420 listing it; authentication is judged first. */
static void lite_answers_420_for_unknown_attribute(void **state)
{
    /* clang-format off */
    uint8_t msg[] = {
        0x00, 0x01, 0x00, 0x34, /* Binding request, 52 bytes of attributes */
        0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, /* Transaction ID */
        0x00, 0x06, 0x00, 0x09, /* USERNAME, 9 bytes and 3 of padding */
        's', 'r', 'v', 'U', ':', 'c', 'l', 'i', 'U', 0, 0, 0,
        0x7f, 0x24, 0x00, 0x00, /* unknown comprehension-required 0x7f24, empty */
        0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY (offset 40), filled in below */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x80, 0x28, 0x00, 0x04, /* FINGERPRINT, filled in below */
        0, 0, 0, 0,
    };
    /* clang-format on */
    struct ice_lite *lite = ice_lite_new("srvU", "spwd", "cliU", "cpwd");
    struct sockaddr_storage from = addr4("192.0.2.7", 7);
    struct stun_msg m, a;
    const char *why;
    uint8_t out[512];
    size_t out_len;

    sign_by_hand(msg, 40, sizeof msg, "wrong");
    assert_int_equal(stun_decode(&m, msg, sizeof msg, &why), 0);
    assert_true(stun_check_fingerprint(msg, sizeof msg, &m));
    assert_int_equal(
        ice_lite_handle_request(lite, 0, SA(&from), msg, sizeof msg, &m, out, sizeof out, &out_len),
        ICE_LITE_REFUSED);
    assert_int_equal(stun_decode(&a, out, out_len, &why), 0);
    assert_int_equal(a.error_code, 401);

    sign_by_hand(msg, 40, sizeof msg, "spwd");
    assert_int_equal(stun_decode(&m, msg, sizeof msg, &why), 0);
    assert_true(stun_check_integrity(msg, sizeof msg, &m, KEY("spwd")));
    assert_int_equal(m.n_unknown, 1);
    assert_int_equal(
        ice_lite_handle_request(lite, 0, SA(&from), msg, sizeof msg, &m, out, sizeof out, &out_len),
        ICE_LITE_REFUSED);
    assert_int_equal(stun_decode(&a, out, out_len, &why), 0);
    assert_int_equal(a.error_code, 420);
    assert_true(stun_check_fingerprint(out, out_len, &a));
    /* UNKNOWN-ATTRIBUTES follows ERROR-CODE (8 bytes + "Unknown Attribute" padded to 20). */
    assert_int_equal(out[48] << 8 | out[49], STUN_ATTR_UNKNOWN_ATTRIBUTES);
    assert_int_equal(out[50] << 8 | out[51], 2);
    assert_int_equal(out[52] << 8 | out[53], 0x7f24);
    assert_null(ice_lite_selected(lite));
    ice_lite_free(lite);
}

/* RFC 5769 §2.1's sample request is authentic but claims ICE-CONTROLLED: a lite agent is
 * controlled itself and cannot switch, so it answers 487, signed. */
static void lite_answers_487_to_controlled_peer(void **state)
{
    /* clang-format off */
    static const uint8_t sample[] = {
        0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, /* Binding request, cookie */
        0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, /* txid */
        0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, /* SOFTWARE */
        0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,
        0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, /* PRIORITY */
        0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, /* CONTROLLED */
        0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, /* USERNAME */
        0x59, 0x20, 0x20, 0x20,
        0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, /* MI */
        0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2,
        0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf, /* FINGERPRINT */
    };
    /* clang-format on */
    struct ice_lite *lite = ice_lite_new("evtj", "VOkJxbRl1RmTxUk/WvJxBt", "h6vY", NULL);
    struct sockaddr_storage from = addr4("192.0.2.1", 32853);
    struct stun_msg m, a;
    const char *why;
    uint8_t out[512];
    size_t out_len;
    assert_int_equal(stun_decode(&m, sample, sizeof sample, &why), 0);
    assert_int_equal(ice_lite_handle_request(lite, 0, SA(&from), sample, sizeof sample, &m, out,
                                             sizeof out, &out_len),
                     ICE_LITE_REFUSED);
    assert_int_equal(stun_decode(&a, out, out_len, &why), 0);
    assert_int_equal(a.error_code, 487);
    assert_memory_equal(a.txid, sample + 8, 12);
    assert_true(stun_check_integrity(out, out_len, &a, KEY("VOkJxbRl1RmTxUk/WvJxBt")));
    assert_null(ice_lite_selected(lite));
    ice_lite_free(lite);
}

/* RFC 7675: consent lasts 30 s from the last valid check, or from creation. */
static void consent_expires_after_30s(void **state)
{
    struct ice_lite *fresh = ice_lite_new("a", "b", "c", "d");
    assert_false(ice_lite_consent_expired(fresh, 5000)); /* creation, as far as it knows */
    assert_false(ice_lite_consent_expired(fresh, 5000 + ICE_CONSENT_TIMEOUT_MS - 1));
    assert_true(ice_lite_consent_expired(fresh, 5000 + ICE_CONSENT_TIMEOUT_MS));
    ice_lite_free(fresh);

    struct net net;
    net_init(&net, "server-password-0123456");
    assert_int_equal(ice_agent_add_remote_candidate(net.agent, SA(&net.lite_addr), 1), 0);
    assert_false(ice_lite_consent_expired(net.lite, net.now));
    run_until_connected(&net, 3000);
    assert_int_equal(ice_agent_state(net.agent), ICE_CONNECTED);

    /* Two minutes of consent checks every few seconds keep both sides alive. */
    int checks_before = net.checks;
    run_until(&net, net.now + 120000);
    assert_true(net.checks - checks_before >= 120000 / (ICE_AGENT_CONSENT_INTERVAL_MS + 1000));
    assert_false(ice_lite_consent_expired(net.lite, net.now));
    assert_int_equal(ice_agent_state(net.agent), ICE_CONNECTED);

    /* Then the path dies: consent runs out 30 s after the last valid check, on both sides. */
    net.drop = true;
    checks_before = net.checks;
    uint64_t last = net.last_check_ms;
    run_until(&net, last + ICE_CONSENT_TIMEOUT_MS - 1);
    assert_int_equal(net.checks, checks_before);
    assert_false(ice_lite_consent_expired(net.lite, net.now));
    assert_int_equal(ice_agent_state(net.agent), ICE_CONNECTED);
    run_until(&net, last + ICE_CONSENT_TIMEOUT_MS);
    assert_true(ice_lite_consent_expired(net.lite, net.now));
    assert_int_equal(ice_agent_state(net.agent), ICE_FAILED);
    assert_null(ice_agent_selected(net.agent));
    net_free(&net);
}

/* A server that forgot the session (it restarted, or ended it) answers the next consent check
 * with 401: the client fails then, not 30 s later. Only the check's own answer counts. */
static void consent_refused_fails_at_once(void **state)
{
    struct net net;
    net_init(&net, "server-password-0123456");
    assert_int_equal(ice_agent_add_remote_candidate(net.agent, SA(&net.lite_addr), 1), 0);
    run_until_connected(&net, 3000);
    assert_int_equal(ice_agent_state(net.agent), ICE_CONNECTED);
    struct sockaddr_storage elsewhere = addr4("198.51.100.2", 3478);
    uint8_t other_txid[12] = {1};
    for (int round = 0; round < 2; round++) {
        /* The next consent check, answered 401 by hand. */
        uint8_t check[512], answer[128];
        size_t len;
        struct sockaddr_storage to;
        net.now = ice_agent_next_timeout(net.agent);
        assert_int_equal(
            ice_agent_poll_output(net.agent, net.now, check, sizeof check, &len, &to), 1);
        struct stun_msg m;
        const char *why;
        assert_int_equal(stun_decode(&m, check, len, &why), 0);
        size_t n = stun_encode_binding_error(answer, sizeof answer, m.txid, 401, NULL, NULL, 0);
        assert_true(n > 0);
        if (round == 0) {
            /* Not the check's answer: another transaction, or from another address. */
            size_t forged = stun_encode_binding_error(answer, sizeof answer, other_txid, 401,
                                                      NULL, NULL, 0);
            ice_agent_feed(net.agent, net.now, SA(&net.lite_addr), answer, forged);
            n = stun_encode_binding_error(answer, sizeof answer, m.txid, 401, NULL, NULL, 0);
            ice_agent_feed(net.agent, net.now, SA(&elsewhere), answer, n);
            assert_int_equal(ice_agent_state(net.agent), ICE_CONNECTED);
            continue;
        }
        ice_agent_feed(net.agent, net.now + 5, SA(&net.lite_addr), answer, n);
        assert_int_equal(ice_agent_state(net.agent), ICE_FAILED);
    }
    net_free(&net);
}

/* A client whose address changes (NAT rebinding, Wi-Fi to cellular) is followed once its
 * nominating check arrives from the new address; a non-nominating one does not move media. */
static void moving_client_followed(void **state)
{
    struct net net;
    net_init(&net, "server-password-0123456");
    assert_int_equal(ice_agent_add_remote_candidate(net.agent, SA(&net.lite_addr), 1), 0);
    run_until_connected(&net, 3000);
    assert_true(same_addr(ice_lite_selected(net.lite), &net.agent_addr));

    struct sockaddr_storage stranger = addr4("203.0.113.200", 1234);
    struct stun_msg a;
    uint8_t buf[512];
    assert_int_equal(lite_check(net.lite, net.now, SA(&stranger), "srvU:cliU", true, false,
                                "server-password-0123456", &a, buf),
                     ICE_LITE_OK);
    assert_true(same_addr(ice_lite_selected(net.lite), &net.agent_addr));

    struct sockaddr_storage old_addr = net.agent_addr;
    net.agent_addr = addr6("2001:db8:ffff::77", 41000);
    run_until(&net, net.now + ICE_AGENT_CONSENT_INTERVAL_MS + 100);
    assert_true(same_addr(ice_lite_selected(net.lite), &net.agent_addr));
    assert_false(same_addr(ice_lite_selected(net.lite), &old_addr));
    assert_int_equal(ice_agent_state(net.agent), ICE_CONNECTED);
    net_free(&net);
}

/* ICE restart: the old credentials stop working, the new ones work, and media stays on the
 * selected address until the new nomination. */
static void lite_restart(void **state)
{
    struct net net;
    net_init(&net, "server-password-0123456");
    assert_int_equal(ice_agent_add_remote_candidate(net.agent, SA(&net.lite_addr), 1), 0);
    run_until_connected(&net, 3000);
    assert_true(ice_lite_nominated(net.lite));

    ice_lite_restart(net.lite, "srv2", "server-password-2nd-gen");
    ice_lite_set_remote_credentials(net.lite, "cli2", "client-password-2nd-gen");
    assert_false(ice_lite_nominated(net.lite));
    assert_true(same_addr(ice_lite_selected(net.lite), &net.agent_addr));

    struct stun_msg a;
    uint8_t buf[512];
    assert_int_equal(lite_check(net.lite, net.now, SA(&net.agent_addr), "srvU:cliU", true, true,
                                "server-password-0123456", &a, buf),
                     ICE_LITE_REFUSED);
    assert_int_equal(a.error_code, 401);
    struct sockaddr_storage moved = addr4("192.0.2.99", 50000);
    assert_int_equal(lite_check(net.lite, net.now, SA(&moved), "srv2:cli2", true, true,
                                "server-password-2nd-gen", &a, buf),
                     ICE_LITE_OK);
    assert_true(ice_lite_nominated(net.lite));
    assert_true(same_addr(ice_lite_selected(net.lite), &moved));
    net_free(&net);
}

/* A STUN request without USERNAME is not an ICE check: the server answers it itself, with no
 * key, so its media port doubles as a STUN server. */
static void plain_stun_request_answered(void **state)
{
    /* clang-format off */
    static const uint8_t request[] = {
        0x00, 0x01, 0x00, 0x00, /* Binding request, no attributes */
        0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* txid */
    };
    /* clang-format on */
    struct stun_msg m;
    const char *why;
    assert_true(stun_is_stun(request, sizeof request));
    assert_int_equal(stun_decode(&m, request, sizeof request, &why), 0);
    assert_int_equal(m.type, STUN_BINDING_REQUEST);
    assert_null(m.username);
    char ufrag[16];
    assert_int_equal(ice_username_local_ufrag(&m, ufrag, sizeof ufrag), -1);

    struct sockaddr_storage from = addr6("2001:db8::9", 61000);
    uint8_t out[128];
    size_t n = stun_encode_binding_success(out, sizeof out, m.txid, SA(&from), NULL, 0, true);
    assert_int_equal(n, 20 + 24 + 8);
    struct stun_msg a;
    assert_int_equal(stun_decode(&a, out, n, &why), 0);
    assert_int_equal(a.type, STUN_BINDING_SUCCESS);
    assert_memory_equal(a.txid, request + 8, 12);
    assert_true(same_addr(SA(&a.xor_mapped), &from));
    assert_false(a.has_integrity);
    assert_true(stun_check_fingerprint(out, n, &a));
}

static void username_split(void **state)
{
    struct stun_msg m;
    memset(&m, 0, sizeof m);
    char dst[8];
    m.username = "abcd:efgh";
    m.username_len = 9;
    assert_int_equal(ice_username_local_ufrag(&m, dst, sizeof dst), 4);
    assert_string_equal(dst, "abcd");
    assert_int_equal(ice_username_local_ufrag(&m, dst, 5), 4);
    assert_int_equal(ice_username_local_ufrag(&m, dst, 4), -1); /* no room for the NUL */
    m.username = "abcdefgh";
    m.username_len = 8;
    assert_int_equal(ice_username_local_ufrag(&m, dst, sizeof dst), -1);
    m.username = ":efgh";
    m.username_len = 5;
    assert_int_equal(ice_username_local_ufrag(&m, dst, sizeof dst), -1);
    m.username = "ab\0d:x";
    m.username_len = 6;
    assert_int_equal(ice_username_local_ufrag(&m, dst, sizeof dst), -1);
    /* The colon must lie inside the attribute, not after it. */
    m.username = "abcd:";
    m.username_len = 4;
    assert_int_equal(ice_username_local_ufrag(&m, dst, sizeof dst), -1);
}

/* Two full agents, both starting as controlling: the larger tiebreaker keeps the role
 * (RFC 8445 §7.3.1.1), and both end up on the same pair. */
struct peer {
    struct ice_agent *agent;
    struct sockaddr_storage addr;
};

static void carry(struct peer *from, struct peer *to, uint64_t now)
{
    uint8_t buf[1500];
    size_t len;
    struct sockaddr_storage dst;
    while (ice_agent_poll_output(from->agent, now, buf, sizeof buf, &len, &dst) == 1)
        if (same_addr(SA(&dst), &to->addr))
            ice_agent_feed(to->agent, now, SA(&from->addr), buf, len);
}

/* Two full agents that know each other's credentials, at 192.0.2.1 and 192.0.2.2. */
static struct peer peer_a(uint64_t tiebreaker)
{
    return (struct peer){ice_agent_new("aaaa", "apwd-apwd-apwd-apwd-apwd", "bbbb",
                                       "bpwd-bpwd-bpwd-bpwd-bpwd", tiebreaker),
                         addr4("192.0.2.1", 1111)};
}
static struct peer peer_b(uint64_t tiebreaker)
{
    return (struct peer){ice_agent_new("bbbb", "bpwd-bpwd-bpwd-bpwd-bpwd", "aaaa",
                                       "apwd-apwd-apwd-apwd-apwd", tiebreaker),
                         addr4("192.0.2.2", 2222)};
}

/* Carries datagrams both ways every 10 ms until both agents connect, or for 5 s. */
static void run_both(struct peer *a, struct peer *b)
{
    for (uint64_t now = 0; now < 5000 && (ice_agent_state(a->agent) != ICE_CONNECTED ||
                                          ice_agent_state(b->agent) != ICE_CONNECTED);
         now += 10) {
        carry(a, b, now);
        carry(b, a, now);
    }
}

static void two_agents_settle_roles(void **state)
{
    struct peer a = peer_a(0x9000000000000000ull), b = peer_b(0x1000000000000000ull);
    assert_int_equal(ice_agent_add_remote_candidate(a.agent, SA(&b.addr), 100), 0);
    assert_int_equal(ice_agent_add_remote_candidate(b.agent, SA(&a.addr), 100), 0);
    run_both(&a, &b);
    assert_int_equal(ice_agent_state(a.agent), ICE_CONNECTED);
    assert_int_equal(ice_agent_state(b.agent), ICE_CONNECTED);
    assert_true(ice_agent_controlling(a.agent));
    assert_false(ice_agent_controlling(b.agent));
    assert_true(same_addr(ice_agent_selected(a.agent), &b.addr));
    assert_true(same_addr(ice_agent_selected(b.agent), &a.addr));
    ice_agent_free(a.agent);
    ice_agent_free(b.agent);
}

/* An answerer starts controlled (RFC 8445 §6.1.1) even with the larger tiebreaker: no role
 * conflict, the offerer keeps control, and the answerer selects the pair the offerer
 * nominated. */
static void answerer_starts_controlled(void **state)
{
    struct peer offerer = peer_a(0x1000000000000000ull), answerer = peer_b(0x9000000000000000ull);
    ice_agent_start_controlled(answerer.agent);
    assert_false(ice_agent_controlling(answerer.agent));
    /* The answerer knows no candidate of the offerer's: it learns it from the first check. */
    assert_int_equal(ice_agent_add_remote_candidate(offerer.agent, SA(&answerer.addr), 100), 0);
    run_both(&offerer, &answerer);
    assert_int_equal(ice_agent_state(answerer.agent), ICE_CONNECTED);
    assert_true(ice_agent_controlling(offerer.agent));
    assert_false(ice_agent_controlling(answerer.agent));
    assert_true(same_addr(ice_agent_selected(answerer.agent), &offerer.addr));
    ice_agent_free(offerer.agent);
    ice_agent_free(answerer.agent);
}

/* With no answer: checks are paced by Ta, retransmitted with a growing interval starting at
 * 500 ms, and the agent fails after ICE_AGENT_FAIL_MS. */
static void retransmissions_back_off(void **state)
{
    struct net net;
    net_init(&net, "server-password-0123456");
    net.drop = true;
    assert_int_equal(ice_agent_add_remote_candidate(net.agent, SA(&net.lite_addr), 1), 0);
    run_until(&net, 1000 + ICE_AGENT_FAIL_MS + 1000);
    assert_int_equal(ice_agent_state(net.agent), ICE_FAILED);
    assert_true(net.n_sends >= 4 && net.n_sends <= 7);
    assert_int_equal(net.send_times[0], 1000);
    for (size_t i = 1; i < net.n_sends; i++) {
        uint64_t gap = net.send_times[i] - net.send_times[i - 1];
        assert_true(gap >= 500);
        if (i >= 2)
            assert_true(gap >= net.send_times[i - 1] - net.send_times[i - 2]);
    }
    net_free(&net);
}

/* Responses are only believed when signed with the peer's password (RFC 8445 §7.2.5.1) and
 * when they come from where the check went (§7.2.5.2.1, the "symmetric" rule). */
static void agent_rejects_forged_and_asymmetric_answers(void **state)
{
    struct ice_agent *agent = ice_agent_new("cliU", "cpwd", "srvU", "spwd", 42);
    struct sockaddr_storage server = addr4("198.51.100.1", 3478);
    struct sockaddr_storage elsewhere = addr4("198.51.100.2", 3478);
    struct sockaddr_storage me = addr4("192.0.2.10", 40000);
    assert_int_equal(ice_agent_add_remote_candidate(agent, SA(&server), 1), 0);
    uint8_t check[512], answer[512];
    size_t len;
    struct sockaddr_storage to;
    assert_int_equal(ice_agent_poll_output(agent, 0, check, sizeof check, &len, &to), 1);
    assert_true(same_addr(SA(&to), &server));
    struct stun_msg m;
    const char *why;
    assert_int_equal(stun_decode(&m, check, len, &why), 0);
    assert_true(m.use_candidate);
    assert_true(m.ice_controlling);
    assert_int_equal(m.username_len, 9);
    assert_memory_equal(m.username, "srvU:cliU", 9);
    assert_true(stun_check_integrity(check, len, &m, KEY("spwd")));

    size_t n =
        stun_encode_binding_success(answer, sizeof answer, m.txid, SA(&me), KEY("cpwd"), true);
    assert_int_equal(ice_agent_feed(agent, 10, SA(&server), answer, n), -1); /* wrong key */
    n = stun_encode_binding_success(answer, sizeof answer, m.txid, SA(&me), NULL, 0, true);
    assert_int_equal(ice_agent_feed(agent, 10, SA(&server), answer, n), -1); /* unsigned */
    uint8_t other_txid[12] = {0};
    n = stun_encode_binding_success(answer, sizeof answer, other_txid, SA(&me), KEY("spwd"), true);
    assert_int_equal(ice_agent_feed(agent, 10, SA(&server), answer, n), -1); /* unknown txid */
    assert_int_equal(ice_agent_state(agent), ICE_CHECKING);

    n = stun_encode_binding_success(answer, sizeof answer, m.txid, SA(&me), KEY("spwd"), true);
    assert_int_equal(ice_agent_feed(agent, 10, SA(&elsewhere), answer, n), 0);
    assert_int_equal(ice_agent_state(agent), ICE_CHECKING);
    assert_null(ice_agent_selected(agent));
    /* The pair failed: nothing more to send, and the agent gives up at 10 s. */
    assert_int_equal(ice_agent_poll_output(agent, 5000, check, sizeof check, &len, &to), 0);
    assert_int_equal(ice_agent_next_timeout(agent), ICE_AGENT_FAIL_MS);
    assert_int_equal(
        ice_agent_poll_output(agent, ICE_AGENT_FAIL_MS, check, sizeof check, &len, &to), 0);
    assert_int_equal(ice_agent_state(agent), ICE_FAILED);
    ice_agent_free(agent);
}

static void free_null_is_noop(void **state)
{
    ice_lite_free(NULL);
    ice_agent_free(NULL);
    struct ice_agent *agent = ice_agent_new("a", "b", "c", "d", 1);
    struct sockaddr unix_addr = {.sa_family = AF_UNIX};
    assert_int_equal(ice_agent_add_remote_candidate(agent, &unix_addr, 1), -1);
    for (int i = 0; i < ICE_AGENT_MAX_CANDIDATES; i++) {
        struct sockaddr_storage ss = addr4("10.1.1.1", (uint16_t)(1000 + i));
        assert_int_equal(ice_agent_add_remote_candidate(agent, SA(&ss), 1), 0);
    }
    struct sockaddr_storage extra = addr4("10.1.1.1", 999);
    assert_int_equal(ice_agent_add_remote_candidate(agent, SA(&extra), 1), -1);
    /* A known address only updates its priority. */
    struct sockaddr_storage known = addr4("10.1.1.1", 1000);
    assert_int_equal(ice_agent_add_remote_candidate(agent, SA(&known), 5), 0);
    ice_agent_free(agent);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(agent_connects_to_lite),
        cmocka_unit_test(wrong_password_refused),
        cmocka_unit_test(lite_refusals),
        cmocka_unit_test(lite_ignores_non_checks),
        cmocka_unit_test(lite_answers_420_for_unknown_attribute),
        cmocka_unit_test(lite_answers_487_to_controlled_peer),
        cmocka_unit_test(consent_expires_after_30s),
        cmocka_unit_test(consent_refused_fails_at_once),
        cmocka_unit_test(moving_client_followed),
        cmocka_unit_test(lite_restart),
        cmocka_unit_test(plain_stun_request_answered),
        cmocka_unit_test(username_split),
        cmocka_unit_test(two_agents_settle_roles),
        cmocka_unit_test(answerer_starts_controlled),
        cmocka_unit_test(retransmissions_back_off),
        cmocka_unit_test(agent_rejects_forged_and_asymmetric_answers),
        cmocka_unit_test(free_null_is_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
