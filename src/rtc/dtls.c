/* dtls: a DTLS 1.2 endpoint for DTLS-SRTP over OpenSSL, driven through a datagram-preserving
 * custom BIO so that no socket is ever touched. */
#include "rtc/dtls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "rtc/dtls_fingerprint.h"

/* RFC 5764 §4.1.2 and RFC 7714 §14.2: offer GCM first, it needs no separate HMAC pass. */
#define DTLS_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
/* RFC 5764 §4.2: the exporter label for SRTP keying material. */
#define DTLS_SRTP_LABEL "EXTRACTOR-dtls_srtp"
/* Queues are bounded so a caller that stops polling costs memory once, not forever; past the
 * bound datagrams are dropped, as a full socket buffer would. */
#define OUT_QUEUE_MAX 256
#define INBOX_MAX 256

#define DAY_SECONDS (24L * 60 * 60)

struct datagram {
    struct datagram *next;
    size_t len;
    uint8_t data[];
};

struct datagram_queue {
    struct datagram *head, *tail;
    size_t count;
};

struct dtls_cert {
    X509 *x509;
    EVP_PKEY *key;
    char fingerprint[8 + 3 * 32]; /* "sha-256 " + 32 "XX:" pairs, the last ':' becomes NUL */
    BIO_METHOD *bio_method;
    pthread_mutex_t lock; /* guards contexts: sessions of several workers share the cert */
    SSL_CTX *contexts[2]; /* per enum dtls_role, made on first use */
};

struct dtls {
    SSL *ssl;
    enum dtls_role role;
    enum dtls_state state;
    const EVP_MD *remote_md; /* hash of the remote fingerprint */
    uint8_t remote_digest[EVP_MAX_MD_SIZE];
    unsigned remote_digest_len;
    const uint8_t *in; /* the datagram being fed, until OpenSSL reads it */
    size_t in_len;
    struct datagram_queue out;   /* datagrams for the peer */
    struct datagram_queue inbox; /* application messages from the peer */
    uint64_t deadline_ms;
    bool have_keys;
    struct srtp_keys keys;
    char error[160];
};

/* ---- Datagram queues ---- */

static void queue_push(struct datagram_queue *q, const void *data, size_t len, size_t max)
{
    if (q->count >= max)
        return;
    struct datagram *dg = xmalloc(sizeof *dg + len);
    dg->next = NULL;
    dg->len = len;
    memcpy(dg->data, data, len);
    if (q->tail)
        q->tail->next = dg;
    else
        q->head = dg;
    q->tail = dg;
    q->count++;
}

static struct datagram *queue_pop(struct datagram_queue *q)
{
    struct datagram *dg = q->head;
    if (!dg)
        return NULL;
    q->head = dg->next;
    if (!q->head)
        q->tail = NULL;
    q->count--;
    return dg;
}

static void queue_clear(struct datagram_queue *q)
{
    struct datagram *dg;
    while ((dg = queue_pop(q)))
        free(dg);
}

/* Hands the oldest datagram of Q to BUF[0..CAP): its size, 0 when Q is empty, -1 (dropping it)
 * when it does not fit. */
static ssize_t queue_take(struct datagram_queue *q, uint8_t *buf, size_t cap)
{
    struct datagram *dg = queue_pop(q);
    if (!dg)
        return 0;
    ssize_t n = -1;
    if (dg->len <= cap) {
        memcpy(buf, dg->data, dg->len);
        n = (ssize_t)dg->len;
    }
    free(dg);
    return n;
}

/* ---- The BIO between OpenSSL and the engine ----
 * DTLS needs datagram semantics: every BIO_write OpenSSL does is one whole datagram (during the
 * handshake OpenSSL's own buffering BIO packs records up to the MTU and flushes them here as one
 * write), and every read hands over exactly one received datagram. A memory BIO would merge
 * them into a byte stream, so this small BIO keeps the boundaries. */

static int bio_write(BIO *bio, const char *data, int len)
{
    struct dtls *d = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (len <= 0)
        return 0;
    queue_push(&d->out, data, (size_t)len, OUT_QUEUE_MAX);
    return len;
}

static int bio_read(BIO *bio, char *buf, int cap)
{
    struct dtls *d = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (!d->in) {
        BIO_set_retry_read(bio);
        return -1;
    }
    size_t n = d->in_len < (size_t)cap ? d->in_len : (size_t)cap;
    memcpy(buf, d->in, n);
    d->in = NULL;
    return (int)n;
}

/* The controls OpenSSL's DTLS code asks a datagram BIO. The MTU is fixed (SSL_set_mtu with
 * SSL_OP_NO_QUERY_MTU), so the path-MTU ones only need harmless answers. */
static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    struct dtls *d = BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
        return d && d->in ? (long)d->in_len : 0;
    case BIO_CTRL_WPENDING:
        return 0; /* every write left as a datagram already */
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return DTLS_MTU;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        return 0; /* DTLS_MTU already counts only the UDP payload */
    case BIO_CTRL_DGRAM_SET_CONNECTED:
    case BIO_CTRL_DGRAM_SET_PEER:
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
        return 1;
    default:
        /* GET_PEER, MTU_EXCEEDED, KTLS and the rest: not supported. */
        (void)num;
        (void)ptr;
        return 0;
    }
}

static int bio_create(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

static BIO_METHOD *bio_method_new(void)
{
    BIO_METHOD *method =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "onair dtls datagrams");
    if (!method)
        return NULL;
    BIO_meth_set_write(method, bio_write);
    BIO_meth_set_read(method, bio_read);
    BIO_meth_set_ctrl(method, bio_ctrl);
    BIO_meth_set_create(method, bio_create);
    return method;
}

/* ---- Certificate ---- */

static X509 *cert_build(EVP_PKEY *key)
{
    X509 *x509 = X509_new();
    if (!x509)
        return NULL;
    /* A random positive 63-bit serial: peers that cache certificates by issuer and serial must
     * not mix up two servers' self-signed certificates. */
    uint64_t serial = 0;
    while (serial == 0) {
        if (RAND_bytes((uint8_t *)&serial, sizeof serial) != 1)
            goto err;
        serial &= INT64_MAX;
    }
    X509_NAME *name = X509_get_subject_name(x509);
    if (!X509_set_version(x509, X509_VERSION_3) ||
        !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x509), serial) ||
        /* Back-dated a day so a peer whose clock is behind ours still accepts it. */
        !X509_gmtime_adj(X509_getm_notBefore(x509), -DAY_SECONDS) ||
        !X509_gmtime_adj(X509_getm_notAfter(x509), 30 * DAY_SECONDS) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const uint8_t *)"onair", -1, -1,
                                    0) ||
        !X509_set_issuer_name(x509, name) || !X509_set_pubkey(x509, key) ||
        !X509_sign(x509, key, EVP_sha256()))
        goto err;
    return x509;
err:
    X509_free(x509);
    return NULL;
}

struct dtls_cert *dtls_cert_generate(void)
{
    struct dtls_cert *cert = xcalloc(1, sizeof *cert);
    pthread_mutex_init(&cert->lock, NULL);
    uint8_t digest[32];
    unsigned digest_len = 0;
    cert->key = EVP_EC_gen("P-256");
    if (!cert->key)
        goto err;
    cert->x509 = cert_build(cert->key);
    if (!cert->x509 || !X509_digest(cert->x509, EVP_sha256(), digest, &digest_len) ||
        digest_len != sizeof digest)
        goto err;
    dtls_fingerprint_format(cert->fingerprint, "sha-256 ", digest, digest_len);
    cert->bio_method = bio_method_new();
    if (!cert->bio_method)
        goto err;
    return cert;
err:
    ERR_clear_error();
    dtls_cert_free(cert);
    return NULL;
}

void dtls_cert_free(struct dtls_cert *cert)
{
    if (!cert)
        return;
    /* Endpoints hold their own reference to the contexts; the BIO method must outlive them. */
    for (size_t i = 0; i < 2; i++)
        SSL_CTX_free(cert->contexts[i]);
    BIO_meth_free(cert->bio_method);
    X509_free(cert->x509);
    EVP_PKEY_free(cert->key);
    pthread_mutex_destroy(&cert->lock);
    free(cert);
}

const char *dtls_cert_fingerprint(const struct dtls_cert *cert)
{
    return cert->fingerprint;
}

/* ---- Peer verification ---- */

/* The OpenSSL digest for each hash dtls_fingerprint_parse accepts. */
static const EVP_MD *fingerprint_md(enum dtls_fingerprint_hash hash)
{
    switch (hash) {
    case DTLS_FINGERPRINT_SHA1:
        return EVP_sha1();
    case DTLS_FINGERPRINT_SHA224:
        return EVP_sha224();
    case DTLS_FINGERPRINT_SHA256:
        return EVP_sha256();
    case DTLS_FINGERPRINT_SHA384:
        return EVP_sha384();
    case DTLS_FINGERPRINT_SHA512:
        return EVP_sha512();
    }
    return NULL;
}

_Static_assert(DTLS_FINGERPRINT_DIGEST_MAX <= EVP_MAX_MD_SIZE,
               "a parsed digest fits remote_digest");

/* Parses an a=fingerprint value into D's expected digest. Returns 0, or -1 if malformed. */
static int fingerprint_parse(struct dtls *d, const char *text)
{
    struct dtls_fingerprint fp;
    d->remote_md = NULL;
    if (dtls_fingerprint_parse(&fp, text) < 0)
        return -1;
    d->remote_md = fingerprint_md(fp.hash);
    if (!d->remote_md || (size_t)EVP_MD_get_size(d->remote_md) != fp.digest_len)
        return -1;
    memcpy(d->remote_digest, fp.digest, fp.digest_len);
    d->remote_digest_len = (unsigned)fp.digest_len;
    return 0;
}

static bool peer_matches(const struct dtls *d, X509 *peer)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    return peer && X509_digest(peer, d->remote_md, digest, &len) && len == d->remote_digest_len &&
           CRYPTO_memcmp(digest, d->remote_digest, len) == 0;
}

/* Keeps the first reason: later ones are usually consequences of it. */
static void set_error(struct dtls *d, const char *reason)
{
    if (!d->error[0])
        snprintf(d->error, sizeof d->error, "%s", reason);
}

/* WebRTC certificates are self-signed: trust comes from the fingerprint signalled in SDP
 * (RFC 8827 §6.5), so this replaces chain verification with that comparison. Refusing here
 * makes OpenSSL send a bad_certificate alert, so the peer fails fast too. */
static int verify_peer(X509_STORE_CTX *store, void *arg)
{
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
    if (d && peer_matches(d, X509_STORE_CTX_get0_cert(store)))
        return 1;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    if (d)
        set_error(d, "the peer's certificate does not match the fingerprint in its SDP");
    return 0;
}

static SSL_CTX *context_new(struct dtls_cert *cert)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    if (!ctx)
        return NULL;
    /* SSL_CTX_set_tlsext_use_srtp returns 0 on success, unlike its neighbours. */
    if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
        SSL_CTX_use_certificate(ctx, cert->x509) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, cert->key) != 1 || SSL_CTX_check_private_key(ctx) != 1 ||
        SSL_CTX_set_tlsext_use_srtp(ctx, DTLS_SRTP_PROFILES) != 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    /* Both sides present and check a certificate (RFC 5763 §5). */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, verify_peer, NULL);
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_read_ahead(ctx, 1);
    return ctx;
}

static SSL_CTX *cert_context(struct dtls_cert *cert, enum dtls_role role)
{
    pthread_mutex_lock(&cert->lock);
    if (!cert->contexts[role])
        cert->contexts[role] = context_new(cert);
    SSL_CTX *ctx = cert->contexts[role];
    pthread_mutex_unlock(&cert->lock);
    return ctx;
}

/* ---- Endpoint ---- */

int dtls_only_srtp_profile(struct dtls *d, enum srtp_profile profile)
{
    const char *name = profile == SRTP_PROFILE_AEAD_AES_128_GCM ? "SRTP_AEAD_AES_128_GCM"
                                                                : "SRTP_AES128_CM_SHA1_80";
    /* 0 is success here too, as for SSL_CTX_set_tlsext_use_srtp. */
    return d->ssl && SSL_set_tlsext_use_srtp(d->ssl, name) == 0 ? 0 : -1;
}

struct dtls *dtls_new(struct dtls_cert *cert, enum dtls_role role, const char *remote_fingerprint)
{
    struct dtls *d = xcalloc(1, sizeof *d);
    d->role = role;
    d->state = DTLS_STATE_NEW;
    d->deadline_ms = UINT64_MAX;
    if (!remote_fingerprint || fingerprint_parse(d, remote_fingerprint) < 0) {
        d->state = DTLS_STATE_FAILED;
        set_error(d, "the peer's SDP fingerprint is missing, malformed or uses an "
                     "unsupported hash");
        return d;
    }
    SSL_CTX *ctx = cert_context(cert, role);
    BIO *bio = NULL;
    d->ssl = ctx ? SSL_new(ctx) : NULL;
    if (d->ssl)
        bio = BIO_new(cert->bio_method);
    if (!bio) {
        ERR_clear_error();
        d->state = DTLS_STATE_FAILED;
        set_error(d, "OpenSSL could not make a DTLS context");
        return d;
    }
    BIO_set_data(bio, d);
    SSL_set_bio(d->ssl, bio, bio);
    SSL_set_app_data(d->ssl, d);
    SSL_set_mtu(d->ssl, DTLS_MTU);
    if (role == DTLS_ROLE_SERVER)
        SSL_set_accept_state(d->ssl);
    else
        SSL_set_connect_state(d->ssl);
    return d;
}

void dtls_free(struct dtls *d)
{
    if (!d)
        return;
    SSL_free(d->ssl);
    queue_clear(&d->out);
    queue_clear(&d->inbox);
    OPENSSL_cleanse(&d->keys, sizeof d->keys);
    free(d);
}

static void fail(struct dtls *d, const char *context)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    char text[sizeof d->error];
    snprintf(text, sizeof text, "%s: %s", context, reason ? reason : "unknown error");
    set_error(d, text);
    d->state = DTLS_STATE_FAILED;
}

/* Sorts out an SSL call that returned RC <= 0: waiting for the peer is normal, a close_notify
 * closes, anything else is fatal. */
static void check_result(struct dtls *d, int rc, const char *context)
{
    switch (SSL_get_error(d->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        break;
    case SSL_ERROR_ZERO_RETURN:
        set_error(d, "the peer closed DTLS (close_notify)");
        d->state = DTLS_STATE_CLOSED;
        SSL_shutdown(d->ssl); /* answer with our close_notify */
        break;
    default:
        fail(d, context);
        break;
    }
}

/* RFC 5764 §4.2: the exporter yields client_write_SRTP_master_key, server_write_SRTP_master_key,
 * client_write_SRTP_master_salt, server_write_SRTP_master_salt, in that order. Our writing
 * direction is the local one. */
static void export_srtp_keys(struct dtls *d)
{
    const SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(d->ssl);
    struct srtp_keys *k = &d->keys;
    if (!profile)
        return;
    if (profile->id == SRTP_AEAD_AES_128_GCM) {
        k->profile = SRTP_PROFILE_AEAD_AES_128_GCM;
        k->salt_len = SRTP_KEYS_SALT_LEN_GCM;
    } else if (profile->id == SRTP_AES128_CM_SHA1_80) {
        k->profile = SRTP_PROFILE_AES128_CM_SHA1_80;
        k->salt_len = SRTP_KEYS_SALT_LEN_CM;
    } else {
        return;
    }
    k->key_len = SRTP_KEYS_KEY_LEN;
    uint8_t material[2 * (SRTP_KEYS_KEY_LEN + SRTP_KEYS_SALT_MAX)];
    size_t key_len = k->key_len, salt_len = k->salt_len;
    if (SSL_export_keying_material(d->ssl, material, 2 * (key_len + salt_len), DTLS_SRTP_LABEL,
                                   strlen(DTLS_SRTP_LABEL), NULL, 0, 0) != 1)
        return;
    const uint8_t *client_key = material, *server_key = material + key_len;
    const uint8_t *client_salt = material + 2 * key_len;
    const uint8_t *server_salt = client_salt + salt_len;
    bool client = d->role == DTLS_ROLE_CLIENT;
    memcpy(k->local_key, client ? client_key : server_key, key_len);
    memcpy(k->remote_key, client ? server_key : client_key, key_len);
    memcpy(k->local_salt, client ? client_salt : server_salt, salt_len);
    memcpy(k->remote_salt, client ? server_salt : client_salt, salt_len);
    OPENSSL_cleanse(material, sizeof material);
    d->have_keys = true;
}

static void handshake_done(struct dtls *d)
{
    /* verify_peer already checked; checking again guards against a handshake that skipped it
     * (no certificate, or a resumption), which must never count as authenticated. */
    if (!peer_matches(d, SSL_get0_peer_certificate(d->ssl))) {
        set_error(d, "the peer's certificate does not match the fingerprint in its SDP");
        d->state = DTLS_STATE_FAILED;
        return;
    }
    d->state = DTLS_STATE_CONNECTED;
    export_srtp_keys(d);
}

/* Queues every application message OpenSSL can decrypt now. */
static void read_application_data(struct dtls *d)
{
    uint8_t buf[DTLS_MAX_MESSAGE];
    while (d->state == DTLS_STATE_CONNECTED) {
        int n = SSL_read(d->ssl, buf, sizeof buf);
        if (n <= 0) {
            check_result(d, n, "DTLS connection failed");
            break;
        }
        queue_push(&d->inbox, buf, (size_t)n, INBOX_MAX);
    }
}

/* OpenSSL keeps the retransmission deadline on the wall clock; restate what is left of it on
 * the caller's clock, which is what dtls_next_timeout reports. */
static void update_timer(struct dtls *d, uint64_t now_ms)
{
    struct timeval left;
    d->deadline_ms = UINT64_MAX;
    if ((d->state == DTLS_STATE_HANDSHAKING || d->state == DTLS_STATE_CONNECTED) &&
        DTLSv1_get_timeout(d->ssl, &left) == 1)
        d->deadline_ms =
            now_ms + (uint64_t)left.tv_sec * 1000 + ((uint64_t)left.tv_usec + 999) / 1000;
}

/* Lets OpenSSL take the pending datagram (if any) and make progress. */
static void drive(struct dtls *d, uint64_t now_ms)
{
    ERR_clear_error();
    if (d->state == DTLS_STATE_HANDSHAKING) {
        int rc = SSL_do_handshake(d->ssl);
        if (rc == 1)
            handshake_done(d);
        else
            check_result(d, rc, "DTLS handshake failed");
    }
    /* Records that came with the last handshake flight may already hold data. */
    if (d->state == DTLS_STATE_CONNECTED)
        read_application_data(d);
    d->in = NULL; /* a datagram OpenSSL did not take is dropped, as UDP would */
    update_timer(d, now_ms);
    ERR_clear_error();
}

static bool finished(const struct dtls *d)
{
    return d->state == DTLS_STATE_FAILED || d->state == DTLS_STATE_CLOSED;
}

int dtls_start(struct dtls *d, uint64_t now_ms)
{
    if (finished(d))
        return -1;
    if (d->role == DTLS_ROLE_CLIENT && d->state == DTLS_STATE_NEW) {
        d->state = DTLS_STATE_HANDSHAKING;
        drive(d, now_ms);
    }
    return finished(d) ? -1 : 0;
}

int dtls_feed(struct dtls *d, uint64_t now_ms, const uint8_t *p, size_t len)
{
    if (d->state == DTLS_STATE_NEW) {
        if (d->role == DTLS_ROLE_CLIENT)
            dtls_start(d, now_ms);
        else
            d->state = DTLS_STATE_HANDSHAKING;
    }
    if (finished(d))
        return -1;
    if (len == 0)
        return 0;
    d->in = p;
    d->in_len = len;
    drive(d, now_ms);
    return finished(d) ? -1 : 0;
}

ssize_t dtls_poll_output(struct dtls *d, uint8_t *buf, size_t cap)
{
    return queue_take(&d->out, buf, cap);
}

uint64_t dtls_next_timeout(const struct dtls *d)
{
    return finished(d) ? UINT64_MAX : d->deadline_ms;
}

void dtls_handle_timeout(struct dtls *d, uint64_t now_ms)
{
    if (finished(d) || d->state == DTLS_STATE_NEW || now_ms < d->deadline_ms)
        return;
    ERR_clear_error();
    /* 0 means OpenSSL's wall clock says not yet: update_timer then reports the rest. */
    if (DTLSv1_handle_timeout(d->ssl) < 0)
        fail(d, "DTLS handshake timed out");
    update_timer(d, now_ms);
    ERR_clear_error();
}

int dtls_write(struct dtls *d, const uint8_t *p, size_t len)
{
    if (d->state != DTLS_STATE_CONNECTED || len == 0 || len > DTLS_MAX_MESSAGE)
        return -1;
    ERR_clear_error();
    int n = SSL_write(d->ssl, p, (int)len);
    if (n <= 0)
        check_result(d, n, "DTLS write failed");
    ERR_clear_error();
    return n == (int)len ? 0 : -1;
}

ssize_t dtls_read(struct dtls *d, uint8_t *buf, size_t cap)
{
    return queue_take(&d->inbox, buf, cap);
}

void dtls_close(struct dtls *d)
{
    if (finished(d))
        return;
    if (d->state == DTLS_STATE_CONNECTED) {
        ERR_clear_error();
        SSL_shutdown(d->ssl);
        ERR_clear_error();
    }
    set_error(d, "closed locally");
    d->state = DTLS_STATE_CLOSED;
    d->deadline_ms = UINT64_MAX;
}

enum dtls_state dtls_state(const struct dtls *d)
{
    return d->state;
}

const char *dtls_error(const struct dtls *d)
{
    return d->error;
}

int dtls_srtp_keys(const struct dtls *d, struct srtp_keys *out)
{
    if (d->state != DTLS_STATE_CONNECTED || !d->have_keys)
        return -1;
    *out = d->keys;
    return 0;
}
