/* Tests for rtc/dtls: a client and a server endpoint wired in-process with a transmit loop;
 * handshake, SRTP keys, fingerprint checks, a lost flight, application data, garbage, close. */
/* cmocka needs these headers first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
/* clang-format on */

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "rtc/dtls.h"

/* A client and a server with their own certificates, each expecting the other's fingerprint
 * unless told otherwise. */
struct link {
    struct dtls_cert *client_cert, *server_cert;
    struct dtls *client, *server;
    uint64_t now;
};

static void link_init(struct link *l, const char *client_expects, const char *server_expects)
{
    l->client_cert = dtls_cert_generate();
    l->server_cert = dtls_cert_generate();
    assert_non_null(l->client_cert);
    assert_non_null(l->server_cert);
    if (!client_expects)
        client_expects = dtls_cert_fingerprint(l->server_cert);
    if (!server_expects)
        server_expects = dtls_cert_fingerprint(l->client_cert);
    l->client = dtls_new(l->client_cert, DTLS_ROLE_CLIENT, client_expects);
    l->server = dtls_new(l->server_cert, DTLS_ROLE_SERVER, server_expects);
    l->now = clock_now_ms();
}

static void link_free(struct link *l)
{
    dtls_free(l->client);
    dtls_free(l->server);
    dtls_cert_free(l->client_cert);
    dtls_cert_free(l->server_cert);
}

/* Moves every datagram FROM has queued into TO; returns how many. Each must look like DTLS to
 * the RFC 7983 demultiplexer and, while handshaking, fit DTLS_MTU. */
static int transmit(struct dtls *from, struct dtls *to, uint64_t now)
{
    uint8_t buf[DTLS_MAX_MESSAGE + 256];
    ssize_t n;
    int count = 0;
    bool handshaking = dtls_state(from) != DTLS_STATE_CONNECTED;
    while ((n = dtls_poll_output(from, buf, sizeof buf)) > 0) {
        assert_true(buf[0] >= 20 && buf[0] <= 63);
        if (handshaking)
            assert_true(n <= DTLS_MTU);
        dtls_feed(to, now, buf, (size_t)n);
        count++;
    }
    assert_int_equal(n, 0);
    return count;
}

/* Throws away what D has queued; returns how many datagrams. */
static int drop_output(struct dtls *d)
{
    uint8_t buf[DTLS_MAX_MESSAGE + 256];
    int count = 0;
    while (dtls_poll_output(d, buf, sizeof buf) > 0)
        count++;
    return count;
}

/* Runs the transmit loop until neither side has anything to say. */
static void pump(struct link *l)
{
    for (int round = 0; round < 50; round++)
        if (transmit(l->client, l->server, l->now) + transmit(l->server, l->client, l->now) == 0)
            return;
    fail_msg("the endpoints keep talking");
}

static void connect_link(struct link *l)
{
    assert_int_equal(dtls_start(l->client, l->now), 0);
    pump(l);
    assert_int_equal(dtls_state(l->client), DTLS_STATE_CONNECTED);
    assert_int_equal(dtls_state(l->server), DTLS_STATE_CONNECTED);
}

/* Sleeps until the caller's clock (base/clock) reaches DEADLINE_MS. OpenSSL 3.0's DTLS timer runs
 * on the wall clock, so advancing only a fake clock would not make it expire. */
static uint64_t wait_until(uint64_t deadline_ms)
{
    uint64_t now;
    while ((now = clock_now_ms()) < deadline_ms)
        usleep((useconds_t)((deadline_ms - now) * 1000));
    return now;
}

/* Waits for D's retransmission timer and fires it; returns the time it fired. The reported
 * deadline is early by however much the NOW it was computed from lagged OpenSSL's clock; firing
 * early only restates the rest, so try again until the timer re-arms with a doubled period. */
static uint64_t fire_timer(struct dtls *d)
{
    uint64_t now = 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        now = wait_until(dtls_next_timeout(d));
        dtls_handle_timeout(d, now);
        if (dtls_next_timeout(d) > now + 500)
            break;
    }
    return now;
}

static void handshake_agrees_on_gcm_and_keys(void **state)
{
    (void)state;
    struct link l;
    link_init(&l, NULL, NULL);
    assert_int_equal(dtls_state(l.client), DTLS_STATE_NEW);
    assert_int_equal(dtls_state(l.server), DTLS_STATE_NEW);
    connect_link(&l);
    assert_string_equal(dtls_error(l.client), "");

    struct srtp_keys ck, sk;
    assert_int_equal(dtls_srtp_keys(l.client, &ck), 0);
    assert_int_equal(dtls_srtp_keys(l.server, &sk), 0);
    /* Both offer GCM first, so GCM wins (RFC 7714 §14.2: 12-byte salts). */
    assert_int_equal(ck.profile, SRTP_PROFILE_AEAD_AES_128_GCM);
    assert_int_equal(sk.profile, SRTP_PROFILE_AEAD_AES_128_GCM);
    assert_int_equal(ck.key_len, 16);
    assert_int_equal(ck.salt_len, 12);
    assert_int_equal(sk.salt_len, 12);
    /* What one side writes with, the other reads with; the two directions differ. */
    assert_memory_equal(ck.local_key, sk.remote_key, 16);
    assert_memory_equal(ck.remote_key, sk.local_key, 16);
    assert_memory_equal(ck.local_salt, sk.remote_salt, 12);
    assert_memory_equal(ck.remote_salt, sk.local_salt, 12);
    assert_memory_not_equal(ck.local_key, ck.remote_key, 16);
    assert_memory_not_equal(ck.local_salt, ck.remote_salt, 12);
    /* The last flight was answered: no retransmission timer is left running. */
    assert_true(dtls_next_timeout(l.client) == UINT64_MAX);
    assert_true(dtls_next_timeout(l.server) == UINT64_MAX);
    link_free(&l);
}

/* Walks the DTLS records of one datagram for a Certificate handshake message and returns the
 * first certificate's DER. Record header (RFC 6347 §4.1):
 *   type(1) version(2) epoch(2) sequence_number(6) length(2) fragment
 * Handshake header (RFC 6347 §4.2.2):
 *   msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3) body
 * Certificate body (RFC 5246 §7.4.2): certificate_list<3 bytes> of ASN.1Cert<3 bytes>. */
static bool find_certificate(const uint8_t *p, size_t len, const uint8_t **der, size_t *der_len)
{
    while (len >= 13) {
        size_t record_len = be16_read(p + 11);
        assert_true(13 + record_len <= len);
        const uint8_t *h = p + 13;
        if (p[0] == 22 && record_len >= 12 && h[0] == 11) {
            size_t msg_len = be24_read(h + 1);
            assert_int_equal(be24_read(h + 6), 0);       /* one fragment holds it all */
            assert_int_equal(be24_read(h + 9), msg_len); /* (well under the MTU) */
            const uint8_t *body = h + 12;
            size_t list_len = be24_read(body);
            assert_true(list_len + 3 == msg_len);
            *der_len = be24_read(body + 3);
            *der = body + 6;
            assert_true(*der_len + 3 <= list_len);
            return true;
        }
        p += 13 + record_len;
        len -= 13 + record_len;
    }
    return false;
}

static void digest_text(char *out, const char *name, const EVP_MD *md, const uint8_t *der,
                        size_t der_len, bool lower)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    assert_int_equal(EVP_Digest(der, der_len, digest, &n, md, NULL), 1);
    size_t pos = (size_t)sprintf(out, "%s ", name);
    for (unsigned i = 0; i < n; i++)
        pos += (size_t)sprintf(out + pos, lower ? "%s%02x" : "%s%02X", i ? ":" : "", digest[i]);
}

/* The certificate the server sends on the wire is the one its fingerprint names, and has the
 * promised properties; a peer may name it with any of the RFC 8122 hashes we accept. */
static void certificate_on_the_wire(void **state)
{
    (void)state;
    struct link l;
    link_init(&l, NULL, NULL);
    const char *fp = dtls_cert_fingerprint(l.server_cert);
    assert_int_equal(strlen(fp), 8 + 32 * 3 - 1);
    assert_memory_equal(fp, "sha-256 ", 8);
    for (size_t i = 8; fp[i]; i++)
        assert_true((i - 8) % 3 == 2 ? fp[i] == ':' : strchr("0123456789ABCDEF", fp[i]) != NULL);
    assert_string_not_equal(fp, dtls_cert_fingerprint(l.client_cert));

    /* Capture the server's first flight. */
    assert_int_equal(dtls_start(l.client, l.now), 0);
    assert_int_equal(transmit(l.client, l.server, l.now), 1);
    uint8_t flight[8][DTLS_MTU];
    size_t sizes[8], count = 0;
    const uint8_t *der = NULL;
    size_t der_len = 0;
    ssize_t n;
    while (count < 8 && (n = dtls_poll_output(l.server, flight[count], DTLS_MTU)) > 0) {
        sizes[count] = (size_t)n;
        if (!der)
            find_certificate(flight[count], sizes[count], &der, &der_len);
        count++;
    }
    assert_non_null(der);

    char text[8 + 3 * EVP_MAX_MD_SIZE + 1];
    digest_text(text, "sha-256", EVP_sha256(), der, der_len, false);
    assert_string_equal(text, fp);

    const uint8_t *q = der;
    X509 *x509 = d2i_X509(NULL, &q, (long)der_len);
    assert_non_null(x509);
    char cn[16];
    assert_int_equal(
        X509_NAME_get_text_by_NID(X509_get_subject_name(x509), NID_commonName, cn, sizeof cn), 5);
    assert_string_equal(cn, "onair");
    EVP_PKEY *key = X509_get0_pubkey(x509);
    assert_true(EVP_PKEY_is_a(key, "EC"));
    char group[32];
    assert_int_equal(EVP_PKEY_get_group_name(key, group, sizeof group, NULL), 1);
    assert_string_equal(group, "prime256v1");
    assert_int_equal(X509_verify(x509, key), 1); /* self-signed */
    time_t now = time(NULL), day = 24 * 60 * 60;
    time_t early = now - day - 60, late = now - day + 60;
    assert_int_equal(X509_cmp_time(X509_get0_notBefore(x509), &early), 1);
    assert_int_equal(X509_cmp_time(X509_get0_notBefore(x509), &late), -1);
    early = now + 30 * day - 60;
    late = now + 30 * day + 60;
    assert_int_equal(X509_cmp_time(X509_get0_notAfter(x509), &early), 1);
    assert_int_equal(X509_cmp_time(X509_get0_notAfter(x509), &late), -1);
    X509_free(x509);

    for (size_t i = 0; i < count; i++)
        dtls_feed(l.client, l.now, flight[i], sizes[i]);
    pump(&l);
    assert_int_equal(dtls_state(l.client), DTLS_STATE_CONNECTED);

    /* Other hashes, lowercase hex and an upper-case hash name all name the same certificate. */
    static const struct {
        const char *name;
        const EVP_MD *(*md)(void);
        bool lower;
    } forms[] = {{"sha-1", EVP_sha1, true},
                 {"sha-384", EVP_sha384, false},
                 {"sha-512", EVP_sha512, true},
                 {"SHA-256", EVP_sha256, true}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        digest_text(text, forms[i].name, forms[i].md(), der, der_len, forms[i].lower);
        struct dtls *client = dtls_new(l.client_cert, DTLS_ROLE_CLIENT, text);
        struct dtls *server =
            dtls_new(l.server_cert, DTLS_ROLE_SERVER, dtls_cert_fingerprint(l.client_cert));
        assert_int_equal(dtls_start(client, l.now), 0);
        for (int round = 0; round < 10; round++) {
            transmit(client, server, l.now);
            transmit(server, client, l.now);
        }
        assert_int_equal(dtls_state(client), DTLS_STATE_CONNECTED);
        assert_int_equal(dtls_state(server), DTLS_STATE_CONNECTED);
        dtls_free(client);
        dtls_free(server);
    }
    link_free(&l);
}

/* The client expects another certificate than the server has: it refuses the server's
 * Certificate with an alert, and both sides fail without keys. */
static void wrong_fingerprint_fails_client_side(void **state)
{
    (void)state;
    struct dtls_cert *other = dtls_cert_generate();
    struct link l;
    link_init(&l, dtls_cert_fingerprint(other), NULL);
    assert_int_equal(dtls_start(l.client, l.now), 0);
    pump(&l);
    assert_int_equal(dtls_state(l.client), DTLS_STATE_FAILED);
    assert_non_null(strstr(dtls_error(l.client), "fingerprint"));
    assert_int_equal(dtls_state(l.server), DTLS_STATE_FAILED);
    assert_non_null(strstr(dtls_error(l.server), "alert"));
    struct srtp_keys keys;
    assert_int_equal(dtls_srtp_keys(l.client, &keys), -1);
    assert_int_equal(dtls_srtp_keys(l.server, &keys), -1);
    assert_true(dtls_next_timeout(l.client) == UINT64_MAX);
    assert_int_equal(dtls_feed(l.client, l.now, (const uint8_t *)"\x16", 1), -1);
    link_free(&l);
    dtls_cert_free(other);
}

/* The server expects another client certificate: the same, the other way round. */
static void wrong_fingerprint_fails_server_side(void **state)
{
    (void)state;
    struct dtls_cert *other = dtls_cert_generate();
    struct link l;
    link_init(&l, NULL, dtls_cert_fingerprint(other));
    assert_int_equal(dtls_start(l.client, l.now), 0);
    pump(&l);
    assert_int_equal(dtls_state(l.server), DTLS_STATE_FAILED);
    assert_non_null(strstr(dtls_error(l.server), "fingerprint"));
    assert_int_equal(dtls_state(l.client), DTLS_STATE_FAILED);
    struct srtp_keys keys;
    assert_int_equal(dtls_srtp_keys(l.server, &keys), -1);
    link_free(&l);
    dtls_cert_free(other);
}

static void malformed_fingerprints_fail_at_once(void **state)
{
    (void)state;
    struct dtls_cert *cert = dtls_cert_generate();
    char truncated[128];
    snprintf(truncated, sizeof truncated, "%s", dtls_cert_fingerprint(cert));
    truncated[strlen(truncated) - 3] = 0;
    char extra[128];
    snprintf(extra, sizeof extra, "%s:00", dtls_cert_fingerprint(cert));
    char md5[128];
    snprintf(md5, sizeof md5, "md5 %s", dtls_cert_fingerprint(cert) + 8);
    const char *bad[] = {
        NULL,      "",    "sha-256", "sha-256 ",          "sha-256 zz", "sha-1 AB:CD",
        truncated, extra, md5,       "sha-256 AB:CD:EF:", "sha256 AB",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dtls *d = dtls_new(cert, DTLS_ROLE_SERVER, bad[i]);
        assert_int_equal(dtls_state(d), DTLS_STATE_FAILED);
        assert_non_null(strstr(dtls_error(d), "fingerprint"));
        assert_int_equal(dtls_feed(d, 0, (const uint8_t *)"\x16\xfe\xfd", 3), -1);
        assert_int_equal(dtls_start(d, 0), -1);
        assert_int_equal(dtls_poll_output(d, (uint8_t[64]){0}, 64), 0);
        dtls_free(d);
    }
    /* Surrounding blanks and a trailing CRLF, as an SDP line may carry, are fine. */
    char padded[160];
    snprintf(padded, sizeof padded, "  %s \r\n", dtls_cert_fingerprint(cert));
    struct dtls *d = dtls_new(cert, DTLS_ROLE_SERVER, padded);
    assert_int_equal(dtls_state(d), DTLS_STATE_NEW);
    dtls_free(d);
    dtls_cert_free(cert);
}

/* The ClientHello is lost: nothing happens before the retransmission timer (RFC 6347 §4.2.4.1:
 * 1 s), then dtls_handle_timeout resends it and the handshake completes. */
static void lost_client_hello_is_retransmitted(void **state)
{
    (void)state;
    struct link l;
    link_init(&l, NULL, NULL);
    assert_true(dtls_next_timeout(l.client) == UINT64_MAX);
    assert_int_equal(dtls_start(l.client, l.now), 0);
    assert_int_equal(drop_output(l.client), 1);
    uint64_t deadline = dtls_next_timeout(l.client);
    assert_true(deadline >= l.now + 900 && deadline <= l.now + 1100);

    /* Early: nothing to resend. */
    dtls_handle_timeout(l.client, l.now);
    assert_int_equal(drop_output(l.client), 0);
    assert_true(dtls_next_timeout(l.client) == deadline);

    l.now = fire_timer(l.client);
    assert_int_equal(dtls_state(l.client), DTLS_STATE_HANDSHAKING);
    /* The timer backs off (to 2 s) while the resent flight is outstanding. */
    assert_true(dtls_next_timeout(l.client) >= l.now + 1900);
    pump(&l);
    assert_int_equal(dtls_state(l.client), DTLS_STATE_CONNECTED);
    assert_int_equal(dtls_state(l.server), DTLS_STATE_CONNECTED);
    link_free(&l);
}

/* The server's last flight (ChangeCipherSpec, Finished) is lost after the server has
 * connected: the client's timer resends its flight, and the connected server answers it by
 * resending its own. */
static void lost_server_finished_is_recovered(void **state)
{
    (void)state;
    struct link l;
    link_init(&l, NULL, NULL);
    assert_int_equal(dtls_start(l.client, l.now), 0);
    assert_true(transmit(l.client, l.server, l.now) > 0); /* ClientHello */
    assert_true(transmit(l.server, l.client, l.now) > 0); /* ServerHello .. HelloDone */
    assert_true(transmit(l.client, l.server, l.now) > 0); /* Certificate .. Finished */
    assert_int_equal(dtls_state(l.server), DTLS_STATE_CONNECTED);
    assert_true(drop_output(l.server) > 0);
    assert_int_equal(dtls_state(l.client), DTLS_STATE_HANDSHAKING);

    assert_true(dtls_next_timeout(l.client) != UINT64_MAX);
    l.now = fire_timer(l.client);
    assert_true(transmit(l.client, l.server, l.now) > 0);
    assert_true(transmit(l.server, l.client, l.now) > 0);
    assert_int_equal(dtls_state(l.client), DTLS_STATE_CONNECTED);
    assert_int_equal(dtls_state(l.server), DTLS_STATE_CONNECTED);

    struct srtp_keys ck, sk;
    assert_int_equal(dtls_srtp_keys(l.client, &ck), 0);
    assert_int_equal(dtls_srtp_keys(l.server, &sk), 0);
    assert_memory_equal(ck.local_key, sk.remote_key, 16);
    link_free(&l);
}

static void application_data_both_ways(void **state)
{
    (void)state;
    struct link l;
    link_init(&l, NULL, NULL);
    uint8_t buf[DTLS_MAX_MESSAGE];
    assert_int_equal(dtls_write(l.client, (const uint8_t *)"early", 5), -1);
    connect_link(&l);
    assert_int_equal(dtls_read(l.server, buf, sizeof buf), 0);

    assert_int_equal(dtls_write(l.client, (const uint8_t *)"hello", 5), 0);
    uint8_t datagram[DTLS_MAX_MESSAGE + 256];
    ssize_t n = dtls_poll_output(l.client, datagram, sizeof datagram);
    assert_true(n > 5);
    assert_int_equal(datagram[0], 23); /* application_data record (RFC 5246 §6.2.1) */
    assert_null(memmem(datagram, (size_t)n, "hello", 5));
    assert_int_equal(dtls_feed(l.server, l.now, datagram, (size_t)n), 0);
    assert_int_equal(dtls_read(l.server, buf, sizeof buf), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(dtls_read(l.server, buf, sizeof buf), 0);

    /* Several messages the other way keep their boundaries and order. */
    uint8_t big[1100];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    assert_int_equal(dtls_write(l.server, big, sizeof big), 0);
    assert_int_equal(dtls_write(l.server, (const uint8_t *)"x", 1), 0);
    assert_int_equal(dtls_write(l.server, (const uint8_t *)"last", 4), 0);
    assert_int_equal(transmit(l.server, l.client, l.now), 3);
    assert_int_equal(dtls_read(l.client, buf, sizeof buf), sizeof big);
    assert_memory_equal(buf, big, sizeof big);
    /* A message too large for the caller's buffer is dropped, not split. */
    assert_int_equal(dtls_read(l.client, buf, 0), -1);
    assert_int_equal(dtls_read(l.client, buf, sizeof buf), 4);
    assert_memory_equal(buf, "last", 4);

    assert_int_equal(dtls_write(l.client, buf, 0), -1);
    assert_int_equal(dtls_write(l.client, buf, DTLS_MAX_MESSAGE + 1), -1);
    assert_int_equal(dtls_write(l.client, buf, DTLS_MAX_MESSAGE), 0);
    assert_int_equal(transmit(l.client, l.server, l.now), 1);
    assert_int_equal(dtls_read(l.server, buf, sizeof buf), DTLS_MAX_MESSAGE);
    link_free(&l);
}

/* Fills BUF with noise whose first byte is in the DTLS range of RFC 7983. */
static void noise(uint8_t *buf, size_t len, unsigned *seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)rand_r(seed);
    buf[0] = (uint8_t)(20 + rand_r(seed) % 44);
}

static void garbage_neither_crashes_nor_connects(void **state)
{
    (void)state;
    unsigned seed = 7;
    uint8_t buf[1500];

    /* Noise is dropped record by record (RFC 6347 §4.1.2.7): the server is still there for the
     * real client afterwards. */
    struct link l;
    link_init(&l, NULL, NULL);
    for (int i = 0; i < 2000; i++) {
        size_t len = 1 + (size_t)rand_r(&seed) % sizeof buf;
        noise(buf, len, &seed);
        assert_int_equal(dtls_feed(l.server, l.now, buf, len), 0);
        assert_int_not_equal(dtls_state(l.server), DTLS_STATE_CONNECTED);
    }
    drop_output(l.server);
    connect_link(&l);

    /* Noise behind a plausible record header (handshake, DTLS 1.2, epoch 0) reaches the
     * handshake parser, which may fail the endpoint but never connects it. */
    struct dtls *server =
        dtls_new(l.server_cert, DTLS_ROLE_SERVER, dtls_cert_fingerprint(l.client_cert));
    for (int i = 0; i < 2000; i++) {
        size_t len = 14 + (size_t)rand_r(&seed) % (sizeof buf - 14);
        noise(buf, len, &seed);
        buf[0] = 22;
        buf[1] = 0xfe;
        buf[2] = 0xfd;
        buf[3] = buf[4] = 0;
        be16_write(buf + 11, (uint16_t)(len - 13));
        if (i % 2)
            buf[13] = 1; /* claims to be a ClientHello */
        dtls_feed(server, l.now, buf, len);
        assert_int_not_equal(dtls_state(server), DTLS_STATE_CONNECTED);
    }
    struct srtp_keys keys;
    assert_int_equal(dtls_srtp_keys(server, &keys), -1);
    drop_output(server);
    dtls_free(server);

    /* A connected pair shrugs off noise: records that do not authenticate are dropped. */
    for (int i = 0; i < 500; i++) {
        size_t len = 1 + (size_t)rand_r(&seed) % 200;
        noise(buf, len, &seed);
        if (i % 2)
            buf[0] = 23; /* application data */
        assert_int_equal(dtls_feed(l.client, l.now, buf, len), 0);
        assert_int_equal(dtls_state(l.client), DTLS_STATE_CONNECTED);
    }
    assert_int_equal(dtls_read(l.client, buf, sizeof buf), 0);
    assert_int_equal(dtls_write(l.server, (const uint8_t *)"still", 5), 0);
    transmit(l.server, l.client, l.now);
    assert_int_equal(dtls_read(l.client, buf, sizeof buf), 5);
    link_free(&l);
}

static void close_notify_closes_the_peer(void **state)
{
    (void)state;
    struct link l;
    link_init(&l, NULL, NULL);
    connect_link(&l);
    dtls_close(l.client);
    assert_int_equal(dtls_state(l.client), DTLS_STATE_CLOSED);
    assert_int_equal(transmit(l.client, l.server, l.now), 1);
    assert_int_equal(dtls_state(l.server), DTLS_STATE_CLOSED);
    assert_non_null(strstr(dtls_error(l.server), "close_notify"));
    assert_int_equal(dtls_write(l.server, (const uint8_t *)"x", 1), -1);
    assert_int_equal(dtls_write(l.client, (const uint8_t *)"x", 1), -1);
    assert_int_equal(dtls_feed(l.client, l.now, (const uint8_t *)"\x17", 1), -1);
    struct srtp_keys keys;
    assert_int_equal(dtls_srtp_keys(l.client, &keys), -1);
    dtls_close(l.client); /* twice is harmless */
    link_free(&l);
}

static void idle_endpoints(void **state)
{
    (void)state;
    dtls_free(NULL);
    dtls_cert_free(NULL);
    struct dtls_cert *cert = dtls_cert_generate();
    struct dtls *server = dtls_new(cert, DTLS_ROLE_SERVER, dtls_cert_fingerprint(cert));
    /* A server waits for the ClientHello: starting it sends nothing and arms no timer. */
    assert_int_equal(dtls_start(server, 0), 0);
    assert_int_equal(dtls_state(server), DTLS_STATE_NEW);
    assert_int_equal(drop_output(server), 0);
    assert_true(dtls_next_timeout(server) == UINT64_MAX);
    dtls_handle_timeout(server, 123456);
    assert_int_equal(drop_output(server), 0);
    struct srtp_keys keys;
    assert_int_equal(dtls_srtp_keys(server, &keys), -1);
    uint8_t buf[16];
    assert_int_equal(dtls_read(server, buf, sizeof buf), 0);
    dtls_close(server);
    assert_int_equal(dtls_state(server), DTLS_STATE_CLOSED);
    assert_int_equal(drop_output(server), 0);
    dtls_free(server);
    dtls_cert_free(cert);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handshake_agrees_on_gcm_and_keys),
        cmocka_unit_test(certificate_on_the_wire),
        cmocka_unit_test(wrong_fingerprint_fails_client_side),
        cmocka_unit_test(wrong_fingerprint_fails_server_side),
        cmocka_unit_test(malformed_fingerprints_fail_at_once),
        cmocka_unit_test(lost_client_hello_is_retransmitted),
        cmocka_unit_test(lost_server_finished_is_recovered),
        cmocka_unit_test(application_data_both_ways),
        cmocka_unit_test(garbage_neither_crashes_nor_connects),
        cmocka_unit_test(close_notify_closes_the_peer),
        cmocka_unit_test(idle_endpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
