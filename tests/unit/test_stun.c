/* Tests for proto/stun: RFC 5769 test vectors, our encoders read back, and malformed input. */
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
#include <string.h>

#include "proto/stun.h"

/* RFC 5769 §2.1, Sample Request. Username "evtj:h6vY", password "VOkJxbRl1RmTxUk/WvJxBt". */
/* clang-format off */
static const uint8_t rfc5769_request[] = {
    0x00, 0x01, 0x00, 0x58, /* Request type and message length */
    0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
    0xb7, 0xe7, 0xa7, 0x01, /* } */
    0xbc, 0x34, 0xd6, 0x86, /* }  Transaction ID */
    0xfa, 0x87, 0xdf, 0xae, /* } */
    0x80, 0x22, 0x00, 0x10, /* SOFTWARE attribute header */
    0x53, 0x54, 0x55, 0x4e, /* } */
    0x20, 0x74, 0x65, 0x73, /* }  User-agent... */
    0x74, 0x20, 0x63, 0x6c, /* }  ...name */
    0x69, 0x65, 0x6e, 0x74, /* } */
    0x00, 0x24, 0x00, 0x04, /* PRIORITY attribute header */
    0x6e, 0x00, 0x01, 0xff, /* ICE priority value */
    0x80, 0x29, 0x00, 0x08, /* ICE-CONTROLLED attribute header */
    0x93, 0x2f, 0xf9, 0xb1, /* }  Pseudo-random tie breaker... */
    0x51, 0x26, 0x3b, 0x36, /* }   ...for ICE control */
    0x00, 0x06, 0x00, 0x09, /* USERNAME attribute header */
    0x65, 0x76, 0x74, 0x6a, /* } */
    0x3a, 0x68, 0x36, 0x76, /* }  Username (9 bytes) and padding (3 bytes) */
    0x59, 0x20, 0x20, 0x20, /* } */
    0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY attribute header */
    0x9a, 0xea, 0xa7, 0x0c, /* } */
    0xbf, 0xd8, 0xcb, 0x56, /* } */
    0x78, 0x1e, 0xf2, 0xb5, /* }  HMAC-SHA1 fingerprint */
    0xb2, 0xd3, 0xf2, 0x49, /* } */
    0xc1, 0xb5, 0x71, 0xa2, /* } */
    0x80, 0x28, 0x00, 0x04, /* FINGERPRINT attribute header */
    0xe5, 0x7a, 0x3b, 0xcf, /* CRC32 fingerprint */
};
/* clang-format on */

/* RFC 5769 §2.2, Sample IPv4 Response: 192.0.2.1 port 32853, same password. */
/* clang-format off */
static const uint8_t rfc5769_response_v4[] = {
    0x01, 0x01, 0x00, 0x3c, /* Response type and message length */
    0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
    0xb7, 0xe7, 0xa7, 0x01, /* } */
    0xbc, 0x34, 0xd6, 0x86, /* }  Transaction ID */
    0xfa, 0x87, 0xdf, 0xae, /* } */
    0x80, 0x22, 0x00, 0x0b, /* SOFTWARE attribute header */
    0x74, 0x65, 0x73, 0x74, /* } */
    0x20, 0x76, 0x65, 0x63, /* }  UTF-8 server name */
    0x74, 0x6f, 0x72, 0x20, /* } */
    0x00, 0x20, 0x00, 0x08, /* XOR-MAPPED-ADDRESS attribute header */
    0x00, 0x01, 0xa1, 0x47, /* Address family (IPv4) and xor'd mapped port number */
    0xe1, 0x12, 0xa6, 0x43, /* Xor'd mapped IPv4 address */
    0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY attribute header */
    0x2b, 0x91, 0xf5, 0x99, /* } */
    0xfd, 0x9e, 0x90, 0xc3, /* } */
    0x8c, 0x74, 0x89, 0xf9, /* }  HMAC-SHA1 fingerprint */
    0x2a, 0xf9, 0xba, 0x53, /* } */
    0xf0, 0x6b, 0xe7, 0xd7, /* } */
    0x80, 0x28, 0x00, 0x04, /* FINGERPRINT attribute header */
    0xc0, 0x7d, 0x4c, 0x96, /* CRC32 fingerprint */
};
/* clang-format on */

/* RFC 5769 §2.3, Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853. */
/* clang-format off */
static const uint8_t rfc5769_response_v6[] = {
    0x01, 0x01, 0x00, 0x48, /* Response type and message length */
    0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
    0xb7, 0xe7, 0xa7, 0x01, /* } */
    0xbc, 0x34, 0xd6, 0x86, /* }  Transaction ID */
    0xfa, 0x87, 0xdf, 0xae, /* } */
    0x80, 0x22, 0x00, 0x0b, /* SOFTWARE attribute header */
    0x74, 0x65, 0x73, 0x74, /* } */
    0x20, 0x76, 0x65, 0x63, /* }  UTF-8 server name */
    0x74, 0x6f, 0x72, 0x20, /* } */
    0x00, 0x20, 0x00, 0x14, /* XOR-MAPPED-ADDRESS attribute header */
    0x00, 0x02, 0xa1, 0x47, /* Address family (IPv6) and xor'd mapped port number */
    0x01, 0x13, 0xa9, 0xfa, /* } */
    0xa5, 0xd3, 0xf1, 0x79, /* }  Xor'd mapped IPv6 address */
    0xbc, 0x25, 0xf4, 0xb5, /* } */
    0xbe, 0xd2, 0xb9, 0xd9, /* } */
    0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY attribute header */
    0xa3, 0x82, 0x95, 0x4e, /* } */
    0x4b, 0xe6, 0x7b, 0xf1, /* } */
    0x17, 0x84, 0xc9, 0x7c, /* }  HMAC-SHA1 fingerprint */
    0x82, 0x92, 0xc2, 0x75, /* } */
    0xbf, 0xe3, 0xed, 0x41, /* } */
    0x80, 0x28, 0x00, 0x04, /* FINGERPRINT attribute header */
    0xc8, 0xfb, 0x0b, 0x4c, /* CRC32 fingerprint */
};
/* clang-format on */

static const char rfc5769_password[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t rfc5769_txid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                         0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

#define KEY(s) (const uint8_t *)(s), strlen(s)

static struct sockaddr_in ipv4(const char *ip, uint16_t port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
    return sin;
}

static struct sockaddr_in6 ipv6(const char *ip, uint16_t port)
{
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    assert_int_equal(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
    return sin6;
}

static void assert_ipv4(const struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    struct sockaddr_in want = ipv4(ip, port);
    const struct sockaddr_in *got = (const struct sockaddr_in *)ss;
    assert_int_equal(got->sin_family, AF_INET);
    assert_int_equal(ntohs(got->sin_port), port);
    assert_memory_equal(&got->sin_addr, &want.sin_addr, 4);
}

static void assert_ipv6(const struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    struct sockaddr_in6 want = ipv6(ip, port);
    const struct sockaddr_in6 *got = (const struct sockaddr_in6 *)ss;
    assert_int_equal(got->sin6_family, AF_INET6);
    assert_int_equal(ntohs(got->sin6_port), port);
    assert_memory_equal(&got->sin6_addr, &want.sin6_addr, 16);
}

static void rfc5769_request_decodes(void **state)
{
    const uint8_t *p = rfc5769_request;
    size_t len = sizeof rfc5769_request;
    struct stun_msg m;
    const char *why = NULL;
    assert_true(stun_is_stun(p, len));
    assert_int_equal(stun_decode(&m, p, len, &why), 0);
    assert_int_equal(m.type, STUN_BINDING_REQUEST);
    assert_int_equal(stun_class(m.type), STUN_CLASS_REQUEST);
    assert_int_equal(stun_method(m.type), 1);
    assert_int_equal(m.length, 0x58);
    assert_memory_equal(m.txid, rfc5769_txid, 12);
    assert_non_null(m.username);
    assert_int_equal(m.username_len, 9);
    assert_memory_equal(m.username, "evtj:h6vY", 9);
    assert_true(m.has_priority);
    assert_int_equal(m.priority, 0x6e0001ff);
    assert_true(m.ice_controlled);
    assert_false(m.ice_controlling);
    assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
    assert_false(m.use_candidate);
    assert_false(m.has_xor_mapped);
    assert_int_equal(m.n_unknown, 0);
    assert_true(m.has_integrity);
    assert_int_equal(m.integrity_offset, 76);
    assert_true(m.has_fingerprint);
    assert_int_equal(m.fingerprint_offset, 100);

    assert_true(stun_check_integrity(p, len, &m, KEY(rfc5769_password)));
    assert_false(stun_check_integrity(p, len, &m, KEY("VOkJxbRl1RmTxUk/WvJxBu")));
    assert_false(stun_check_integrity(p, len, &m, KEY("")));
    assert_true(stun_check_fingerprint(p, len, &m));
}

static void rfc5769_ipv4_response_decodes(void **state)
{
    const uint8_t *p = rfc5769_response_v4;
    size_t len = sizeof rfc5769_response_v4;
    struct stun_msg m;
    const char *why = NULL;
    assert_int_equal(stun_decode(&m, p, len, &why), 0);
    assert_int_equal(m.type, STUN_BINDING_SUCCESS);
    assert_int_equal(stun_class(m.type), STUN_CLASS_SUCCESS);
    assert_memory_equal(m.txid, rfc5769_txid, 12);
    assert_null(m.username);
    assert_true(m.has_xor_mapped);
    assert_ipv4(&m.xor_mapped, "192.0.2.1", 32853);
    assert_true(stun_check_integrity(p, len, &m, KEY(rfc5769_password)));
    assert_false(stun_check_integrity(p, len, &m, KEY("wrong")));
    assert_true(stun_check_fingerprint(p, len, &m));
}

static void rfc5769_ipv6_response_decodes(void **state)
{
    const uint8_t *p = rfc5769_response_v6;
    size_t len = sizeof rfc5769_response_v6;
    struct stun_msg m;
    const char *why = NULL;
    assert_int_equal(stun_decode(&m, p, len, &why), 0);
    assert_int_equal(m.type, STUN_BINDING_SUCCESS);
    assert_true(m.has_xor_mapped);
    assert_ipv6(&m.xor_mapped, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
    assert_true(stun_check_integrity(p, len, &m, KEY(rfc5769_password)));
    assert_false(stun_check_integrity(p, len, &m, KEY("wrong")));
    assert_true(stun_check_fingerprint(p, len, &m));
}

/* A flipped bit anywhere before FINGERPRINT breaks it; one before MESSAGE-INTEGRITY also breaks
 * integrity, while the message still decodes. */
static void corrupted_vectors_fail_checks(void **state)
{
    uint8_t p[sizeof rfc5769_request];
    for (size_t i = 24; i < 100; i++) {
        memcpy(p, rfc5769_request, sizeof p);
        p[i] ^= 0x01;
        struct stun_msg m;
        const char *why = NULL;
        if (stun_decode(&m, p, sizeof p, &why) < 0)
            continue; /* e.g. an attribute length changed */
        assert_false(stun_check_fingerprint(p, sizeof p, &m));
        if (i < 76 && m.has_integrity)
            assert_false(stun_check_integrity(p, sizeof p, &m, KEY(rfc5769_password)));
    }
}

static void demux_recognises_only_stun(void **state)
{
    assert_true(stun_is_stun(rfc5769_request, sizeof rfc5769_request));
    assert_false(stun_is_stun(rfc5769_request, 19));
    uint8_t p[20];
    memcpy(p, rfc5769_request, 20);
    p[0] = 22; /* DTLS handshake */
    assert_false(stun_is_stun(p, 20));
    p[0] = 0x80; /* RTP version 2 */
    assert_false(stun_is_stun(p, 20));
    p[0] = 0x00;
    p[4] = 0x21 ^ 1; /* not the cookie: an RFC 3489 message */
    assert_false(stun_is_stun(p, 20));
}

/* Every prefix of a valid message is refused, with a reason. */
static void truncated_input_rejected(void **state)
{
    for (size_t len = 0; len < sizeof rfc5769_request; len++) {
        struct stun_msg m;
        const char *why = NULL;
        assert_int_equal(stun_decode(&m, rfc5769_request, len, &why), -1);
        assert_non_null(why);
    }
}

/* Edits at OFFSET of the sample request, each of which must be refused. */
struct corruption {
    size_t offset;
    uint8_t value;
};

static void corrupt_input_rejected(void **state)
{
    /* clang-format off */
    static const struct corruption cases[] = {
        {0, 0x40},  /* top bits of the type set */
        {4, 0x22},  /* magic cookie */
        {3, 0x59},  /* length not a multiple of 4 */
        {3, 0x5c},  /* length longer than the datagram */
        {3, 0x54},  /* length shorter than the datagram */
        {23, 0x60}, /* SOFTWARE runs past the end */
        {43, 0x05}, /* PRIORITY of 5 bytes */
        {51, 0x07}, /* ICE-CONTROLLED of 7 bytes */
        {79, 0x10}, /* MESSAGE-INTEGRITY of 16 bytes */
        {103, 0x08}, /* FINGERPRINT of 8 bytes, past the end */
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t p[sizeof rfc5769_request];
        memcpy(p, rfc5769_request, sizeof p);
        p[cases[i].offset] = cases[i].value;
        struct stun_msg m;
        const char *why = NULL;
        assert_int_equal(stun_decode(&m, p, sizeof p, &why), -1);
        assert_non_null(why);
    }
}

/* Hand-made messages covering the attribute rules of RFC 8489 §14.5 and §14.7. */
static void attributes_after_integrity_ignored(void **state)
{
    /* clang-format off */
    static const uint8_t p[] = {
        0x00, 0x01, 0x00, 0x34, /* Binding request, 52 bytes of attributes */
        0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, /* Transaction ID */
        0x7f, 0x01, 0x00, 0x00, /* unknown comprehension-required 0x7f01, empty */
        0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY (value not checked here) */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x00, 0x24, 0x00, 0x04, /* PRIORITY after MI: ignored */
        0x00, 0x00, 0x00, 0x01,
        0x7f, 0x02, 0x00, 0x00, /* unknown after MI: ignored */
        0x00, 0x25, 0x00, 0x00, /* USE-CANDIDATE after MI: ignored */
        0x80, 0x28, 0x00, 0x04, /* FINGERPRINT: still located */
        0, 0, 0, 0,
    };
    /* clang-format on */
    struct stun_msg m;
    const char *why = NULL;
    assert_int_equal(stun_decode(&m, p, sizeof p, &why), 0);
    assert_int_equal(m.n_unknown, 1);
    assert_int_equal(m.unknown[0], 0x7f01);
    assert_true(m.has_integrity);
    assert_int_equal(m.integrity_offset, 24);
    assert_false(m.has_priority);
    assert_false(m.use_candidate);
    assert_true(m.has_fingerprint);
    assert_int_equal(m.fingerprint_offset, 64);
    assert_false(stun_check_fingerprint(p, sizeof p, &m));
}

static void attribute_after_fingerprint_rejected(void **state)
{
    /* clang-format off */
    static const uint8_t p[] = {
        0x00, 0x01, 0x00, 0x10, /* Binding request, 16 bytes of attributes */
        0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, /* Transaction ID */
        0x80, 0x28, 0x00, 0x04, /* FINGERPRINT */
        0, 0, 0, 0,
        0x00, 0x24, 0x00, 0x04, /* PRIORITY after FINGERPRINT: malformed */
        0x00, 0x00, 0x00, 0x01,
    };
    /* clang-format on */
    struct stun_msg m;
    const char *why = NULL;
    assert_int_equal(stun_decode(&m, p, sizeof p, &why), -1);
    assert_string_equal(why, "an attribute follows FINGERPRINT");
}

static void bad_address_family_rejected(void **state)
{
    /* clang-format off */
    static const uint8_t p[] = {
        0x01, 0x01, 0x00, 0x0c, /* Binding success, 12 bytes of attributes */
        0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, /* Transaction ID */
        0x00, 0x20, 0x00, 0x08, /* XOR-MAPPED-ADDRESS */
        0x00, 0x03, 0xa1, 0x47, /* family 3: neither IPv4 nor IPv6 */
        0xe1, 0x12, 0xa6, 0x43,
    };
    /* clang-format on */
    struct stun_msg m;
    const char *why = NULL;
    assert_int_equal(stun_decode(&m, p, sizeof p, &why), -1);
    assert_non_null(why);
}

static void error_code_decodes(void **state)
{
    /* clang-format off */
    static const uint8_t p[] = {
        0x01, 0x11, 0x00, 0x14, /* Binding error, 20 bytes of attributes */
        0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, /* Transaction ID */
        0x00, 0x09, 0x00, 0x10, /* ERROR-CODE, 16 bytes */
        0x00, 0x00, 0x04, 0x01, /* class 4, number 1: 401 */
        'U', 'n', 'a', 'u', 't', 'h', 'o', 'r', 'i', 'z', 'e', 'd',
    };
    /* clang-format on */
    struct stun_msg m;
    const char *why = NULL;
    assert_int_equal(stun_decode(&m, p, sizeof p, &why), 0);
    assert_int_equal(m.type, STUN_BINDING_ERROR);
    assert_int_equal(stun_class(m.type), STUN_CLASS_ERROR);
    assert_true(m.has_error);
    assert_int_equal(m.error_code, 401);
    assert_int_equal(m.error_reason_len, 12);
    assert_memory_equal(m.error_reason, "Unauthorized", 12);

    uint8_t bad[sizeof p];
    memcpy(bad, p, sizeof p);
    bad[26] = 0x07; /* class 7 */
    assert_int_equal(stun_decode(&m, bad, sizeof bad, &why), -1);
    memcpy(bad, p, sizeof p);
    bad[27] = 100; /* number 100 */
    assert_int_equal(stun_decode(&m, bad, sizeof bad, &why), -1);
}

static void encoded_success_reads_back(void **state)
{
    uint8_t txid[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
    uint8_t buf[256];
    struct stun_msg m;
    const char *why = NULL;

    struct sockaddr_in v4 = ipv4("203.0.113.7", 50000);
    size_t n = stun_encode_binding_success(buf, sizeof buf, txid, (struct sockaddr *)&v4,
                                           KEY("secret"), true);
    assert_int_equal(n, 20 + 12 + 24 + 8);
    assert_true(stun_is_stun(buf, n));
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_int_equal(m.type, STUN_BINDING_SUCCESS);
    assert_memory_equal(m.txid, txid, 12);
    assert_ipv4(&m.xor_mapped, "203.0.113.7", 50000);
    assert_true(stun_check_integrity(buf, n, &m, KEY("secret")));
    assert_false(stun_check_integrity(buf, n, &m, KEY("secreT")));
    assert_true(stun_check_fingerprint(buf, n, &m));

    struct sockaddr_in6 v6 = ipv6("2001:db8::42", 443);
    n = stun_encode_binding_success(buf, sizeof buf, txid, (struct sockaddr *)&v6, KEY("k"), false);
    assert_int_equal(n, 20 + 24 + 24);
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_ipv6(&m.xor_mapped, "2001:db8::42", 443);
    assert_true(stun_check_integrity(buf, n, &m, KEY("k")));
    assert_false(m.has_fingerprint);

    /* A dual-stack socket's IPv4 peer is reported as plain IPv4. */
    struct sockaddr_in6 mapped = ipv6("::ffff:198.51.100.9", 3478);
    n = stun_encode_binding_success(buf, sizeof buf, txid, (struct sockaddr *)&mapped, NULL, 0,
                                    true);
    assert_int_equal(n, 20 + 12 + 8);
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_ipv4(&m.xor_mapped, "198.51.100.9", 3478);
}

/* The plain STUN server answer (a request without USERNAME): no key, with FINGERPRINT. The
 * RFC 5769 IPv4 response without SOFTWARE and MESSAGE-INTEGRITY, byte for byte. */
static void plain_stun_answer_matches_vector(void **state)
{
    /* clang-format off */
    static const uint8_t want_prefix[] = {
        0x01, 0x01, 0x00, 0x14, /* Binding success, 20 bytes of attributes */
        0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
        0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
        0x00, 0x20, 0x00, 0x08, /* XOR-MAPPED-ADDRESS, as in RFC 5769 §2.2 */
        0x00, 0x01, 0xa1, 0x47,
        0xe1, 0x12, 0xa6, 0x43,
        0x80, 0x28, 0x00, 0x04, /* FINGERPRINT header; the CRC is checked below */
    };
    /* clang-format on */
    struct sockaddr_in from = ipv4("192.0.2.1", 32853);
    uint8_t buf[64];
    size_t n = stun_encode_binding_success(buf, sizeof buf, rfc5769_txid, (struct sockaddr *)&from,
                                           NULL, 0, true);
    assert_int_equal(n, sizeof want_prefix + 4);
    assert_memory_equal(buf, want_prefix, sizeof want_prefix);
    struct stun_msg m;
    const char *why = NULL;
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_false(m.has_integrity);
    assert_true(stun_check_fingerprint(buf, n, &m));
    assert_false(stun_check_integrity(buf, n, &m, KEY(rfc5769_password)));
}

static void encoded_request_reads_back(void **state)
{
    uint8_t buf[256];
    struct stun_msg m;
    const char *why = NULL;
    size_t n =
        stun_encode_binding_request(buf, sizeof buf, rfc5769_txid, "evtj:h6vY", 0x6e0001ff, true,
                                    0x0102030405060708ull, true, KEY(rfc5769_password));
    /* header, USERNAME 4+12, PRIORITY 8, ICE-CONTROLLING 12, USE-CANDIDATE 4, MI 24, FP 8 */
    assert_int_equal(n, 20 + 16 + 8 + 12 + 4 + 24 + 8);
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_int_equal(m.type, STUN_BINDING_REQUEST);
    assert_int_equal(m.username_len, 9);
    assert_memory_equal(m.username, "evtj:h6vY", 9);
    assert_int_equal(m.priority, 0x6e0001ff);
    assert_true(m.ice_controlling);
    assert_false(m.ice_controlled);
    assert_true(m.tiebreaker == 0x0102030405060708ull);
    assert_true(m.use_candidate);
    assert_true(stun_check_integrity(buf, n, &m, KEY(rfc5769_password)));
    assert_true(stun_check_fingerprint(buf, n, &m));

    /* Controlled: ICE-CONTROLLED and never USE-CANDIDATE. */
    n = stun_encode_binding_request(buf, sizeof buf, rfc5769_txid, "a:b", 1, false, 7, true, NULL,
                                    0);
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_true(m.ice_controlled);
    assert_false(m.use_candidate);
    assert_false(m.has_integrity);
    assert_true(stun_check_fingerprint(buf, n, &m));
}

static void encoded_errors_read_back(void **state)
{
    uint8_t buf[256];
    struct stun_msg m;
    const char *why = NULL;
    size_t n =
        stun_encode_binding_error(buf, sizeof buf, rfc5769_txid, 401, "Unauthorized", NULL, 0);
    assert_true(n > 0);
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_int_equal(m.type, STUN_BINDING_ERROR);
    assert_int_equal(m.error_code, 401);
    assert_int_equal(m.error_reason_len, 12);
    assert_memory_equal(m.error_reason, "Unauthorized", 12);
    assert_false(m.has_integrity);
    assert_true(stun_check_fingerprint(buf, n, &m));

    n = stun_encode_binding_error(buf, sizeof buf, rfc5769_txid, 487, "Role Conflict", KEY("pwd"));
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_int_equal(m.error_code, 487);
    assert_true(stun_check_integrity(buf, n, &m, KEY("pwd")));
    assert_true(stun_check_fingerprint(buf, n, &m));

    n = stun_encode_binding_error(buf, sizeof buf, rfc5769_txid, 400, NULL, NULL, 0);
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_int_equal(m.error_code, 400);
    assert_int_equal(m.error_reason_len, 0);

    assert_int_equal(stun_encode_binding_error(buf, sizeof buf, rfc5769_txid, 200, "", NULL, 0), 0);
    assert_int_equal(stun_encode_binding_error(buf, sizeof buf, rfc5769_txid, 700, "", NULL, 0), 0);

    const uint16_t unknown[] = {0x7f01, 0x0031, 0x0032};
    n = stun_encode_binding_error_unknown(buf, sizeof buf, rfc5769_txid, unknown, 3);
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_int_equal(m.error_code, 420);
    assert_true(stun_check_fingerprint(buf, n, &m));
    /* UNKNOWN-ATTRIBUTES follows ERROR-CODE (4 + 4 + 17 reason bytes padded to 20). */
    size_t at = 20 + 4 + 4 + 20;
    assert_int_equal(buf[at] << 8 | buf[at + 1], STUN_ATTR_UNKNOWN_ATTRIBUTES);
    assert_int_equal(buf[at + 3], 6);
    assert_int_equal(buf[at + 4] << 8 | buf[at + 5], 0x7f01);
    assert_int_equal(buf[at + 8] << 8 | buf[at + 9], 0x0032);
}

/* Every capacity below the message size fails with 0 and writes nothing past the capacity. */
static void encoders_respect_capacity(void **state)
{
    struct sockaddr_in6 v6 = ipv6("2001:db8::1", 9);
    uint8_t full[256];
    size_t need = stun_encode_binding_request(full, sizeof full, rfc5769_txid, "user:name", 5, true,
                                              6, true, KEY("pw"));
    assert_true(need > 0);
    for (size_t cap = 0; cap < need; cap++) {
        uint8_t buf[256];
        memset(buf, 0xAA, sizeof buf);
        assert_int_equal(stun_encode_binding_request(buf, cap, rfc5769_txid, "user:name", 5, true,
                                                     6, true, KEY("pw")),
                         0);
        for (size_t i = cap; i < sizeof buf; i++)
            assert_int_equal(buf[i], 0xAA);
    }
    need = stun_encode_binding_success(full, sizeof full, rfc5769_txid, (struct sockaddr *)&v6,
                                       KEY("pw"), true);
    for (size_t cap = 0; cap < need; cap++) {
        uint8_t buf[256];
        memset(buf, 0xAA, sizeof buf);
        assert_int_equal(stun_encode_binding_success(buf, cap, rfc5769_txid, (struct sockaddr *)&v6,
                                                     KEY("pw"), true),
                         0);
        for (size_t i = cap; i < sizeof buf; i++)
            assert_int_equal(buf[i], 0xAA);
    }
    uint8_t buf[256];
    assert_int_equal(stun_encode_binding_success(buf, need, rfc5769_txid, (struct sockaddr *)&v6,
                                                 KEY("pw"), true),
                     need);
    assert_memory_equal(buf, full, need);
}

/* RFC 5769 §2.4: a request with long-term authentication. The username is "マトリックス"
 * (already SASLprep'd), the password "TheMatrIX"; the key is MD5(user:realm:password). */
static void long_term_vector_checks(void **state)
{
    (void)state;
    static const uint8_t msg[] = {
        0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
        0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3,
        0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9,
        0x00, 0x00, 0x00, 0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39,
        0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54,
        0x76, 0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
        0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70,
        0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2,
        0x8c, 0xa8, 0x96, 0x66};
    struct stun_msg m;
    const char *why;
    assert_int_equal(stun_decode(&m, msg, sizeof msg, &why), 0);
    assert_int_equal(m.realm_len, 11);
    assert_memory_equal(m.realm, "example.org", 11);
    assert_int_equal(m.nonce_len, 28);
    assert_memory_equal(m.nonce, "f//499k954d6OL34oL9FSTvy64sA", 28);
    uint8_t key[16];
    stun_long_term_key("\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9",
                       m.realm, m.realm_len, "TheMatrIX", key);
    assert_true(stun_check_integrity(msg, sizeof msg, &m, key, sizeof key));
    stun_long_term_key("\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9",
                       m.realm, m.realm_len, "TheMatrix", key);
    assert_false(stun_check_integrity(msg, sizeof msg, &m, key, sizeof key));
}

/* TURN messages as the client writes them read back: an authenticated Allocate, a Send
 * indication to an IPv4 peer, a CreatePermission for an IPv6 one. */
static void turn_messages_read_back(void **state)
{
    (void)state;
    uint8_t txid[STUN_TXID_SIZE] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint8_t buf[1500], key[16];
    stun_long_term_key("alice", "onair", 5, "secret", key);
    struct stun_turn_attrs a = {.requested_udp = true, .has_lifetime = true, .lifetime = 600,
                                .username = "alice", .realm = "onair", .nonce = "abc123"};
    size_t n = stun_encode_turn(buf, sizeof buf, STUN_ALLOCATE_REQUEST, txid, &a, key, 16);
    assert_true(n > 0);
    struct stun_msg m;
    const char *why;
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_int_equal(m.type, STUN_ALLOCATE_REQUEST);
    assert_true(m.has_lifetime);
    assert_int_equal(m.lifetime, 600);
    assert_int_equal(m.n_unknown, 1); /* REQUESTED-TRANSPORT is the server's to read */
    assert_int_equal(m.unknown[0], STUN_ATTR_REQUESTED_TRANSPORT);
    assert_int_equal(m.nonce_len, 6);
    assert_memory_equal(m.username, "alice", 5);
    assert_true(stun_check_integrity(buf, n, &m, key, 16));

    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(8443)};
    inet_pton(AF_INET, "192.0.2.7", &peer.sin_addr);
    static const uint8_t payload[] = {0x16, 0xfe, 0xfd, 0x00, 0x01};
    struct stun_turn_attrs s = {.peer = (struct sockaddr *)&peer, .data = payload,
                                .data_len = sizeof payload};
    n = stun_encode_turn(buf, sizeof buf, STUN_SEND_INDICATION, txid, &s, NULL, 0);
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    assert_true(m.has_xor_peer && m.has_data);
    const struct sockaddr_in *got = (const struct sockaddr_in *)&m.xor_peer;
    assert_int_equal(got->sin_family, AF_INET);
    assert_int_equal(got->sin_port, htons(8443));
    assert_memory_equal(&got->sin_addr, &peer.sin_addr, 4);
    assert_int_equal(m.data_len, sizeof payload);
    assert_memory_equal(m.data, payload, sizeof payload);

    struct sockaddr_in6 peer6 = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
    inet_pton(AF_INET6, "2001:db8::5", &peer6.sin6_addr);
    struct stun_turn_attrs c = {.peer = (struct sockaddr *)&peer6, .username = "alice",
                                .realm = "onair", .nonce = "abc123"};
    n = stun_encode_turn(buf, sizeof buf, STUN_CREATE_PERMISSION_REQUEST, txid, &c, key, 16);
    assert_int_equal(stun_decode(&m, buf, n, &why), 0);
    const struct sockaddr_in6 *got6 = (const struct sockaddr_in6 *)&m.xor_peer;
    assert_int_equal(got6->sin6_family, AF_INET6);
    assert_memory_equal(&got6->sin6_addr, &peer6.sin6_addr, 16);
    assert_true(stun_check_integrity(buf, n, &m, key, 16));
    /* No room: nothing half-written is reported as a message. */
    assert_int_equal(stun_encode_turn(buf, 40, STUN_CREATE_PERMISSION_REQUEST, txid, &c, key, 16), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc5769_request_decodes),
        cmocka_unit_test(rfc5769_ipv4_response_decodes),
        cmocka_unit_test(rfc5769_ipv6_response_decodes),
        cmocka_unit_test(corrupted_vectors_fail_checks),
        cmocka_unit_test(demux_recognises_only_stun),
        cmocka_unit_test(truncated_input_rejected),
        cmocka_unit_test(corrupt_input_rejected),
        cmocka_unit_test(attributes_after_integrity_ignored),
        cmocka_unit_test(attribute_after_fingerprint_rejected),
        cmocka_unit_test(bad_address_family_rejected),
        cmocka_unit_test(error_code_decodes),
        cmocka_unit_test(encoded_success_reads_back),
        cmocka_unit_test(plain_stun_answer_matches_vector),
        cmocka_unit_test(encoded_request_reads_back),
        cmocka_unit_test(encoded_errors_read_back),
        cmocka_unit_test(encoders_respect_capacity),
        cmocka_unit_test(long_term_vector_checks),
        cmocka_unit_test(turn_messages_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
