/* Tests for rtc/srtp: protect/unprotect round trips for both profiles, tampering, replay and its
 * 1024-packet window, resending, RTCP, the cap contract, keys from a real DTLS handshake, and
 * libsrtp doing GCM where libgcrypt will not. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "base/bytes.h"
#include "rtc/dtls.h"
#include "rtc/srtp.h"

/* An RTP packet (RFC 3550 §5.1) with a 100-byte payload:
 *   80        V=2, P=0, X=0, CC=0
 *   60        M=0, PT=96
 *   00 01     sequence number (set by rtp_packet)
 *   00 00 0b b8  timestamp 3000
 *   12 34 56 78  SSRC
 *   payload: 0x00, 0x01, ... 0x63 */
#define RTP_HEADER_LEN 12
#define RTP_LEN (RTP_HEADER_LEN + 100)
static const uint8_t rtp_header[RTP_HEADER_LEN] = {
    0x80, 0x60, 0x00, 0x01, 0x00, 0x00, 0x0b, 0xb8, 0x12, 0x34, 0x56, 0x78,
};

/* An RTCP receiver report with one report block (RFC 3550 §6.4.2):
 *   81        V=2, P=0, RC=1
 *   c9        PT=201 (RR)
 *   00 07     length: 7 words after this one
 *   9a bc de f0  SSRC of the sender
 *   12 34 56 78  SSRC of the source reported on
 *   00 00 00 00  fraction lost, cumulative lost
 *   00 00 03 e8  extended highest sequence number 1000
 *   00 00 00 10  interarrival jitter 16
 *   00 00 00 00  last SR
 *   00 00 00 00  delay since last SR */
#define RTCP_LEN 32
static const uint8_t rtcp_rr[RTCP_LEN] = {
    0x81, 0xc9, 0x00, 0x07, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* Room for any trailer; the packet buffers below are this large. */
#define BUF_CAP 512

static size_t rtp_packet(uint8_t *buf, uint16_t seq)
{
    memcpy(buf, rtp_header, RTP_HEADER_LEN);
    be16_write(buf + 2, seq);
    for (size_t i = 0; i < RTP_LEN - RTP_HEADER_LEN; i++)
        buf[RTP_HEADER_LEN + i] = (uint8_t)i;
    return RTP_LEN;
}

/* Keys for a sender; mirror() gives the receiver's view of the same pair of directions. The
 * key and salt are RFC 3711 Appendix B.2's master key and salt. */
static struct srtp_keys sender_keys(enum srtp_profile profile)
{
    static const uint8_t key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                    0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
    static const uint8_t salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                     0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
    struct srtp_keys k;
    memset(&k, 0, sizeof k);
    k.profile = profile;
    k.key_len = SRTP_KEYS_KEY_LEN;
    k.salt_len =
        profile == SRTP_PROFILE_AEAD_AES_128_GCM ? SRTP_KEYS_SALT_LEN_GCM : SRTP_KEYS_SALT_LEN_CM;
    memcpy(k.local_key, key, 16);
    memcpy(k.local_salt, salt, k.salt_len);
    for (size_t i = 0; i < 16; i++)
        k.remote_key[i] = (uint8_t)(key[i] ^ 0x5a);
    for (size_t i = 0; i < k.salt_len; i++)
        k.remote_salt[i] = (uint8_t)(salt[i] ^ 0xa5);
    return k;
}

static struct srtp_keys mirror(const struct srtp_keys *k)
{
    struct srtp_keys m = *k;
    memcpy(m.local_key, k->remote_key, sizeof m.local_key);
    memcpy(m.remote_key, k->local_key, sizeof m.remote_key);
    memcpy(m.local_salt, k->remote_salt, sizeof m.local_salt);
    memcpy(m.remote_salt, k->local_salt, sizeof m.remote_salt);
    return m;
}

/* One direction: the sender's outbound context and the receiver's inbound one. */
struct path {
    struct srtpx *out, *in;
};

static struct path path_new(enum srtp_profile profile)
{
    struct srtp_keys sender = sender_keys(profile), receiver = mirror(&sender);
    struct path p = {srtpx_new(&sender, true), srtpx_new(&receiver, false)};
    assert_non_null(p.out);
    assert_non_null(p.in);
    return p;
}

static void path_free(struct path *p)
{
    srtpx_free(p->out);
    srtpx_free(p->in);
}

static void rtp_round_trip(enum srtp_profile profile, size_t tag_len)
{
    struct path p = path_new(profile);
    uint8_t plain[BUF_CAP], buf[BUF_CAP];
    size_t len = rtp_packet(plain, 1);
    memcpy(buf, plain, len);
    assert_int_equal(srtpx_protect_rtp(p.out, buf, &len, sizeof buf), 0);
    assert_int_equal(len, RTP_LEN + tag_len);
    /* The header stays in clear (RFC 3711 §3.1); the payload does not. */
    assert_memory_equal(buf, plain, RTP_HEADER_LEN);
    assert_memory_not_equal(buf + RTP_HEADER_LEN, plain + RTP_HEADER_LEN, 16);
    assert_int_equal(srtpx_unprotect_rtp(p.in, buf, &len), 0);
    assert_int_equal(len, RTP_LEN);
    assert_memory_equal(buf, plain, RTP_LEN);
    path_free(&p);
}

static void rtp_round_trip_cm(void **state)
{
    (void)state;
    rtp_round_trip(SRTP_PROFILE_AES128_CM_SHA1_80, 10); /* 80-bit HMAC-SHA1 tag */
}

static void rtp_round_trip_gcm(void **state)
{
    (void)state;
    rtp_round_trip(SRTP_PROFILE_AEAD_AES_128_GCM, 16); /* RFC 7714 §8.2: 16-byte tag */
}

static void tampering_fails_authentication(void **state)
{
    (void)state;
    enum srtp_profile profiles[] = {SRTP_PROFILE_AES128_CM_SHA1_80, SRTP_PROFILE_AEAD_AES_128_GCM};
    for (size_t i = 0; i < 2; i++) {
        struct path p = path_new(profiles[i]);
        uint8_t protected[BUF_CAP], buf[BUF_CAP];
        size_t len = rtp_packet(protected, 7), n;
        assert_int_equal(srtpx_protect_rtp(p.out, protected, &len, sizeof protected), 0);
        /* A flipped bit in the header, in the payload, or in the tag. */
        size_t offsets[] = {1, RTP_HEADER_LEN + 5, len - 1};
        for (size_t j = 0; j < 3; j++) {
            memcpy(buf, protected, len);
            buf[offsets[j]] ^= 0x01;
            n = len;
            assert_int_equal(srtpx_unprotect_rtp(p.in, buf, &n), SRTPX_ERR_AUTH);
        }
        /* A receiver with the wrong key. */
        struct srtp_keys wrong = sender_keys(profiles[i]);
        struct srtpx *stranger = srtpx_new(&wrong, false);
        memcpy(buf, protected, len);
        n = len;
        assert_int_equal(srtpx_unprotect_rtp(stranger, buf, &n), SRTPX_ERR_AUTH);
        srtpx_free(stranger);
        /* The untouched packet still passes: failures did not poison the replay window. */
        n = len;
        assert_int_equal(srtpx_unprotect_rtp(p.in, protected, &n), 0);
        path_free(&p);
    }
}

static void replay_is_rejected(void **state)
{
    (void)state;
    struct path p = path_new(SRTP_PROFILE_AEAD_AES_128_GCM);
    uint8_t buf[BUF_CAP], copy[BUF_CAP];
    size_t len = rtp_packet(buf, 100);
    assert_int_equal(srtpx_protect_rtp(p.out, buf, &len, sizeof buf), 0);
    memcpy(copy, buf, len);
    size_t n = len;
    assert_int_equal(srtpx_unprotect_rtp(p.in, buf, &n), 0);
    n = len;
    assert_int_equal(srtpx_unprotect_rtp(p.in, copy, &n), SRTPX_ERR_REPLAY);
    path_free(&p);
}

/* A NACK-answered retransmission arrives ~1000 packets late and is still accepted (libsrtp's
 * default window of 128 would refuse it); one older than the 1024 window is refused. Both
 * profiles: rtc/srtp_cm checks AES-CM, rtc/srtp_gcm AEAD_AES_128_GCM. */
static void replay_window_holds_1024(void **state)
{
    (void)state;
    enum srtp_profile profiles[] = {SRTP_PROFILE_AES128_CM_SHA1_80, SRTP_PROFILE_AEAD_AES_128_GCM};
    for (size_t k = 0; k < 2; k++) {
        struct path p = path_new(profiles[k]);
        static const uint16_t seqs[] = {1000, 1001, 2000, 3100};
        uint8_t pkts[4][BUF_CAP];
        size_t lens[4];
        for (size_t i = 0; i < 4; i++) {
            lens[i] = rtp_packet(pkts[i], seqs[i]);
            assert_int_equal(srtpx_protect_rtp(p.out, pkts[i], &lens[i], BUF_CAP), 0);
        }
        assert_int_equal(srtpx_unprotect_rtp(p.in, pkts[2], &lens[2]), 0); /* 2000 */
        assert_int_equal(srtpx_unprotect_rtp(p.in, pkts[0], &lens[0]), 0); /* 1000 behind */
        assert_int_equal(srtpx_unprotect_rtp(p.in, pkts[3], &lens[3]), 0); /* 3100 */
        assert_int_equal(srtpx_unprotect_rtp(p.in, pkts[1], &lens[1]),
                         SRTPX_ERR_REPLAY); /* 1001: 2099 behind */
        path_free(&p);
    }
}

/* We resend packets from history: protecting the same index again works and gives the same
 * bytes, so the receiver sees an ordinary duplicate. */
static void resending_is_allowed(void **state)
{
    (void)state;
    struct path p = path_new(SRTP_PROFILE_AEAD_AES_128_GCM);
    uint8_t first[BUF_CAP], again[BUF_CAP];
    size_t len1 = rtp_packet(first, 42), len2 = rtp_packet(again, 42);
    assert_int_equal(srtpx_protect_rtp(p.out, first, &len1, BUF_CAP), 0);
    uint8_t later[BUF_CAP];
    size_t len3 = rtp_packet(later, 43);
    assert_int_equal(srtpx_protect_rtp(p.out, later, &len3, BUF_CAP), 0);
    assert_int_equal(srtpx_protect_rtp(p.out, again, &len2, BUF_CAP), 0);
    assert_int_equal(len1, len2);
    assert_memory_equal(first, again, len1);
    assert_int_equal(srtpx_unprotect_rtp(p.in, again, &len2), 0);
    path_free(&p);
}

static void rtcp_round_trip(enum srtp_profile profile, size_t trailer)
{
    struct path p = path_new(profile);
    uint8_t buf[BUF_CAP], copy[BUF_CAP];
    size_t len = RTCP_LEN;
    memcpy(buf, rtcp_rr, len);
    assert_int_equal(srtpx_protect_rtcp(p.out, buf, &len, sizeof buf), 0);
    assert_int_equal(len, RTCP_LEN + trailer);
    /* The first 8 bytes stay clear, and the E flag with SRTCP index 1 follows the encrypted
     * part: before the tag for AES-CM (RFC 3711 §3.4), after it for GCM, whose tag is part of
     * the ciphertext (RFC 7714 §17). */
    assert_memory_equal(buf, rtcp_rr, 8);
    assert_memory_not_equal(buf + 8, rtcp_rr + 8, RTCP_LEN - 8);
    size_t index_at = profile == SRTP_PROFILE_AEAD_AES_128_GCM ? len - 4 : RTCP_LEN;
    assert_int_equal(be32_read(buf + index_at), 0x80000001u);

    /* A failed check leaves the buffer unspecified (GCM decrypts in place), so tamper with a
     * copy. */
    memcpy(copy, buf, len);
    copy[RTCP_LEN - 1] ^= 0x80;
    size_t n = len;
    assert_int_equal(srtpx_unprotect_rtcp(p.in, copy, &n), SRTPX_ERR_AUTH);
    memcpy(copy, buf, len);
    n = len;
    assert_int_equal(srtpx_unprotect_rtcp(p.in, buf, &n), 0);
    assert_int_equal(n, RTCP_LEN);
    assert_memory_equal(buf, rtcp_rr, RTCP_LEN);
    n = len;
    assert_int_equal(srtpx_unprotect_rtcp(p.in, copy, &n), SRTPX_ERR_REPLAY);
    path_free(&p);
}

static void rtcp_round_trip_cm(void **state)
{
    (void)state;
    rtcp_round_trip(SRTP_PROFILE_AES128_CM_SHA1_80, 4 + 10);
}

static void rtcp_round_trip_gcm(void **state)
{
    (void)state;
    rtcp_round_trip(SRTP_PROFILE_AEAD_AES_128_GCM, 4 + 16);
}

/* Protect never writes at or past cap: with one byte too little room it refuses and leaves the
 * packet alone; with exactly enough, the guard bytes after cap stay untouched. */
static void protect_respects_cap(void **state)
{
    (void)state;
    enum srtp_profile profiles[] = {SRTP_PROFILE_AES128_CM_SHA1_80, SRTP_PROFILE_AEAD_AES_128_GCM};
    size_t rtp_trailer[] = {10, 16}, rtcp_trailer[] = {14, 20};
    for (size_t i = 0; i < 2; i++) {
        struct path p = path_new(profiles[i]);
        uint8_t buf[BUF_CAP], plain[BUF_CAP];
        size_t len = rtp_packet(plain, 9);
        memcpy(buf, plain, len);
        assert_true(rtp_trailer[i] <= SRTPX_MAX_TRAILER && rtcp_trailer[i] <= SRTPX_MAX_TRAILER);
        assert_int_equal(srtpx_protect_rtp(p.out, buf, &len, len + rtp_trailer[i] - 1),
                         SRTPX_ERR_NO_ROOM);
        assert_int_equal(len, RTP_LEN);
        assert_memory_equal(buf, plain, RTP_LEN);
        assert_int_equal(srtpx_protect_rtp(p.out, buf, &len, 3), SRTPX_ERR_NO_ROOM);

        size_t cap = len + rtp_trailer[i];
        memset(buf + len, 0xa5, sizeof buf - len);
        assert_int_equal(srtpx_protect_rtp(p.out, buf, &len, cap), 0);
        assert_int_equal(len, cap);
        for (size_t j = cap; j < sizeof buf; j++)
            assert_int_equal(buf[j], 0xa5);
        assert_int_equal(srtpx_unprotect_rtp(p.in, buf, &len), 0);
        assert_memory_equal(buf, plain, RTP_LEN);

        len = RTCP_LEN;
        memcpy(buf, rtcp_rr, len);
        assert_int_equal(srtpx_protect_rtcp(p.out, buf, &len, len + rtcp_trailer[i] - 1),
                         SRTPX_ERR_NO_ROOM);
        cap = len + rtcp_trailer[i];
        memset(buf + len, 0xa5, sizeof buf - len);
        assert_int_equal(srtpx_protect_rtcp(p.out, buf, &len, cap), 0);
        assert_int_equal(len, cap);
        for (size_t j = cap; j < sizeof buf; j++)
            assert_int_equal(buf[j], 0xa5);
        assert_int_equal(srtpx_unprotect_rtcp(p.in, buf, &len), 0);
        assert_memory_equal(buf, rtcp_rr, RTCP_LEN);
        path_free(&p);
    }
}

static void malformed_packets_are_refused(void **state)
{
    (void)state;
    struct path p = path_new(SRTP_PROFILE_AEAD_AES_128_GCM);
    uint8_t buf[BUF_CAP];
    size_t len = 11; /* one short of the RTP header */
    rtp_packet(buf, 1);
    assert_int_equal(srtpx_protect_rtp(p.out, buf, &len, sizeof buf), SRTPX_ERR_MALFORMED);
    assert_int_equal(srtpx_unprotect_rtp(p.in, buf, &len), SRTPX_ERR_MALFORMED);
    len = RTP_LEN;
    buf[0] = 0x40; /* version 1 */
    assert_int_equal(srtpx_protect_rtp(p.out, buf, &len, sizeof buf), SRTPX_ERR_MALFORMED);
    len = 7; /* one short of an RTCP header with SSRC */
    memcpy(buf, rtcp_rr, RTCP_LEN);
    assert_int_equal(srtpx_protect_rtcp(p.out, buf, &len, sizeof buf), SRTPX_ERR_MALFORMED);
    assert_int_equal(srtpx_unprotect_rtcp(p.in, buf, &len), SRTPX_ERR_MALFORMED);
    /* An SRTCP packet too short to hold index and tag. */
    len = 12;
    assert_true(srtpx_unprotect_rtcp(p.in, buf, &len) < 0);
    /* An RTP header whose CSRC count runs past the packet. */
    rtp_packet(buf, 2);
    buf[0] = 0x8f;
    len = 20;
    assert_true(srtpx_unprotect_rtp(p.in, buf, &len) < 0);
    path_free(&p);
}

static void bad_keys_and_strings(void **state)
{
    (void)state;
    struct srtp_keys k = sender_keys(SRTP_PROFILE_AEAD_AES_128_GCM);
    k.salt_len = SRTP_KEYS_SALT_LEN_CM; /* GCM salts are 12 bytes */
    assert_null(srtpx_new(&k, true));
    k = sender_keys(SRTP_PROFILE_AES128_CM_SHA1_80);
    k.key_len = 32;
    assert_null(srtpx_new(&k, false));
    k = sender_keys(SRTP_PROFILE_AES128_CM_SHA1_80);
    k.profile = (enum srtp_profile)2; /* SRTP_AES128_CM_SHA1_32: not negotiated by onair */
    assert_null(srtpx_new(&k, true));
    srtpx_free(NULL);

    int codes[] = {0,
                   SRTPX_ERR_AUTH,
                   SRTPX_ERR_REPLAY,
                   SRTPX_ERR_NO_ROOM,
                   SRTPX_ERR_MALFORMED,
                   SRTPX_ERR_FAILED};
    for (size_t i = 0; i < 6; i++) {
        assert_true(strlen(srtpx_strerror(codes[i])) > 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(srtpx_strerror(codes[i]), srtpx_strerror(codes[j]));
    }
    assert_string_equal(srtpx_strerror(-99), "unknown SRTP error");
}

/* Moves everything FROM has queued into TO. */
static int transmit(struct dtls *from, struct dtls *to)
{
    uint8_t buf[DTLS_MAX_MESSAGE + 256];
    ssize_t n;
    int count = 0;
    while ((n = dtls_poll_output(from, buf, sizeof buf)) > 0) {
        dtls_feed(to, 0, buf, (size_t)n);
        count++;
    }
    return count;
}

/* Keys from a real in-process DTLS handshake drive SRTP both ways: what the client protects,
 * the server unprotects, and back, for RTP and RTCP. */
static void keys_from_dtls_end_to_end(void **state)
{
    (void)state;
    struct dtls_cert *client_cert = dtls_cert_generate(), *server_cert = dtls_cert_generate();
    struct dtls *client =
        dtls_new(client_cert, DTLS_ROLE_CLIENT, dtls_cert_fingerprint(server_cert));
    struct dtls *server =
        dtls_new(server_cert, DTLS_ROLE_SERVER, dtls_cert_fingerprint(client_cert));
    assert_int_equal(dtls_start(client, 0), 0);
    for (int round = 0; round < 10; round++)
        if (transmit(client, server) + transmit(server, client) == 0)
            break;
    struct srtp_keys ck, sk;
    assert_int_equal(dtls_srtp_keys(client, &ck), 0);
    assert_int_equal(dtls_srtp_keys(server, &sk), 0);

    struct srtpx *client_out = srtpx_new(&ck, true), *client_in = srtpx_new(&ck, false);
    struct srtpx *server_out = srtpx_new(&sk, true), *server_in = srtpx_new(&sk, false);
    assert_non_null(client_out);
    assert_non_null(server_in);

    uint8_t buf[BUF_CAP], plain[BUF_CAP];
    for (uint16_t seq = 1; seq <= 3; seq++) {
        size_t len = rtp_packet(plain, seq);
        memcpy(buf, plain, len);
        assert_int_equal(srtpx_protect_rtp(client_out, buf, &len, sizeof buf), 0);
        /* The client's own inbound context must not accept its own packets. */
        uint8_t mine[BUF_CAP];
        size_t mine_len = len;
        memcpy(mine, buf, len);
        assert_int_equal(srtpx_unprotect_rtp(client_in, mine, &mine_len), SRTPX_ERR_AUTH);
        assert_int_equal(srtpx_unprotect_rtp(server_in, buf, &len), 0);
        assert_memory_equal(buf, plain, RTP_LEN);

        len = rtp_packet(plain, (uint16_t)(seq + 500));
        memcpy(buf, plain, len);
        assert_int_equal(srtpx_protect_rtp(server_out, buf, &len, sizeof buf), 0);
        assert_int_equal(srtpx_unprotect_rtp(client_in, buf, &len), 0);
        assert_memory_equal(buf, plain, RTP_LEN);
    }
    size_t len = RTCP_LEN;
    memcpy(buf, rtcp_rr, len);
    assert_int_equal(srtpx_protect_rtcp(server_out, buf, &len, sizeof buf), 0);
    assert_int_equal(srtpx_unprotect_rtcp(client_in, buf, &len), 0);
    assert_memory_equal(buf, rtcp_rr, RTCP_LEN);
    len = RTCP_LEN;
    memcpy(buf, rtcp_rr, len);
    assert_int_equal(srtpx_protect_rtcp(client_out, buf, &len, sizeof buf), 0);
    assert_int_equal(srtpx_unprotect_rtcp(server_in, buf, &len), 0);
    assert_memory_equal(buf, rtcp_rr, RTCP_LEN);

    srtpx_free(client_out);
    srtpx_free(client_in);
    srtpx_free(server_out);
    srtpx_free(server_in);
    dtls_free(client);
    dtls_free(server);
    dtls_cert_free(client_cert);
    dtls_cert_free(server_cert);
}

/* What a process without libgcrypt's AES-GCM seals, one hex line per packet ("rtp ..." then
 * "rtcp ..."), for gcm_without_libgcrypt below; its exit status says whether its own inbound
 * context opened them again. */
#define SEAL_CHILD_ARG "--seal-without-libgcrypt"

static void print_hex(const char *name, const uint8_t *buf, size_t len)
{
    printf("%s ", name);
    for (size_t i = 0; i < len; i++)
        printf("%02x", buf[i]);
    printf("\n");
}

static int seal_without_libgcrypt(void)
{
    struct srtp_keys sender = sender_keys(SRTP_PROFILE_AEAD_AES_128_GCM);
    struct srtp_keys receiver = mirror(&sender);
    struct srtpx *out = srtpx_new(&sender, true), *in = srtpx_new(&receiver, false);
    if (!out || !in)
        return 2;
    uint8_t rtp[BUF_CAP], rtcp[BUF_CAP];
    size_t rtp_len = rtp_packet(rtp, 1), rtcp_len = RTCP_LEN;
    memcpy(rtcp, rtcp_rr, RTCP_LEN);
    if (srtpx_protect_rtp(out, rtp, &rtp_len, sizeof rtp) ||
        srtpx_protect_rtcp(out, rtcp, &rtcp_len, sizeof rtcp))
        return 3;
    print_hex("rtp", rtp, rtp_len);
    print_hex("rtcp", rtcp, rtcp_len);
    fflush(stdout);
    int status =
        srtpx_unprotect_rtp(in, rtp, &rtp_len) || srtpx_unprotect_rtcp(in, rtcp, &rtcp_len) ? 4 : 0;
    srtpx_free(out);
    srtpx_free(in);
    return status;
}

/* The line of OUTPUT that starts with NAME and a space, decoded from hex into BUF; its length,
 * or 0 when there is none. */
static size_t read_hex_line(const char *output, const char *name, uint8_t *buf, size_t cap)
{
    size_t name_len = strlen(name);
    for (const char *line = output; line && *line; line = strchr(line, '\n'), line += !!line) {
        if (strncmp(line, name, name_len) != 0 || line[name_len] != ' ')
            continue;
        size_t n = 0;
        unsigned byte;
        for (const char *h = line + name_len + 1; n < cap && sscanf(h, "%2x", &byte) == 1; h += 2)
            buf[n++] = (uint8_t)byte;
        return n;
    }
    return 0;
}

/* When libgcrypt will not do AES-GCM (FIPS mode: it refuses IVs it did not make), libsrtp
 * protects GCM sessions instead: this program again, with libgcrypt forced into FIPS mode,
 * must seal the same bytes as libgcrypt does here, open them itself, and say so in one warning;
 * and what it sealed must open here. */
static void gcm_without_libgcrypt(void **state)
{
    (void)state;
    char self[4096];
    ssize_t self_len = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(self_len > 0);
    self[self_len] = 0;
    char command[4200];
    snprintf(command, sizeof command, "LIBGCRYPT_FORCE_FIPS_MODE=1 '%s' %s 2>&1", self,
             SEAL_CHILD_ARG);
    FILE *child = popen(command, "r");
    assert_non_null(child);
    char output[8192];
    size_t got = fread(output, 1, sizeof output - 1, child);
    output[got] = 0;
    int status = pclose(child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* Said once, though the child made two contexts. */
    const char *warning = strstr(output, "libsrtp protects the packets");
    assert_non_null(warning);
    assert_null(strstr(warning + 1, "libsrtp protects the packets"));

    uint8_t theirs_rtp[BUF_CAP], theirs_rtcp[BUF_CAP], rtp[BUF_CAP], rtcp[BUF_CAP];
    size_t theirs_rtp_len = read_hex_line(output, "rtp", theirs_rtp, sizeof theirs_rtp);
    size_t theirs_rtcp_len = read_hex_line(output, "rtcp", theirs_rtcp, sizeof theirs_rtcp);
    struct path p = path_new(SRTP_PROFILE_AEAD_AES_128_GCM);
    size_t rtp_len = rtp_packet(rtp, 1), rtcp_len = RTCP_LEN;
    memcpy(rtcp, rtcp_rr, RTCP_LEN);
    assert_int_equal(srtpx_protect_rtp(p.out, rtp, &rtp_len, sizeof rtp), 0);
    assert_int_equal(srtpx_protect_rtcp(p.out, rtcp, &rtcp_len, sizeof rtcp), 0);
    assert_int_equal(theirs_rtp_len, rtp_len);
    assert_memory_equal(theirs_rtp, rtp, rtp_len);
    assert_int_equal(theirs_rtcp_len, rtcp_len);
    assert_memory_equal(theirs_rtcp, rtcp, rtcp_len);
    assert_int_equal(srtpx_unprotect_rtp(p.in, theirs_rtp, &theirs_rtp_len), 0);
    assert_int_equal(srtpx_unprotect_rtcp(p.in, theirs_rtcp, &theirs_rtcp_len), 0);
    assert_int_equal(theirs_rtp_len, rtp_packet(rtp, 1));
    assert_memory_equal(theirs_rtp, rtp, RTP_LEN);
    assert_int_equal(theirs_rtcp_len, RTCP_LEN);
    assert_memory_equal(theirs_rtcp, rtcp_rr, RTCP_LEN);
    path_free(&p);
}

int main(int argc, char **argv)
{
    srtp_global_init();
    if (argc == 2 && strcmp(argv[1], SEAL_CHILD_ARG) == 0)
        return seal_without_libgcrypt();
    srtp_global_init(); /* idempotent */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rtp_round_trip_cm),
        cmocka_unit_test(rtp_round_trip_gcm),
        cmocka_unit_test(tampering_fails_authentication),
        cmocka_unit_test(replay_is_rejected),
        cmocka_unit_test(replay_window_holds_1024),
        cmocka_unit_test(resending_is_allowed),
        cmocka_unit_test(rtcp_round_trip_cm),
        cmocka_unit_test(rtcp_round_trip_gcm),
        cmocka_unit_test(protect_respects_cap),
        cmocka_unit_test(malformed_packets_are_refused),
        cmocka_unit_test(bad_keys_and_strings),
        cmocka_unit_test(keys_from_dtls_end_to_end),
        cmocka_unit_test(gcm_without_libgcrypt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
