/* stun: decoding and encoding of the STUN messages ICE needs (RFC 8489, RFC 8445, RFC 7983). */
#include "proto/stun.h"

#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>
#include <zlib.h>

#include "base/bytes.h"

/* RFC 8489 §14.3 and §14.8: limits on the variable-length attributes. */
#define USERNAME_MAX 513
#define ERROR_REASON_MAX_DECODE 763
#define ERROR_REASON_MAX_ENCODE 127

/* RFC 7983 §7: a first byte of 0..3 is STUN. RFC 8489 §5: the top two bits are zero (implied
 * by the first check), the header is 20 bytes, and the cookie 0x2112A442 follows the length. */
bool stun_is_stun(const uint8_t *p, size_t len)
{
    return len >= STUN_HEADER_SIZE && p[0] <= 3 && be32_read(p + 4) == STUN_MAGIC_COOKIE;
}

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return -1;
}

/* RFC 8489 §14.2, XOR-MAPPED-ADDRESS:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0 0 0 0 0 0 0 0|    Family     |         X-Port                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                X-Address (Variable)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * The port is XORed with the cookie's top 16 bits; an IPv4 address with the cookie, an IPv6
 * address with the cookie followed by the transaction id. Family 0x01 is IPv4, 0x02 IPv6. */
static int decode_xor_address(struct sockaddr_storage *out, const uint8_t *header, const uint8_t *v,
                              size_t vlen, const char **why)
{
    if (vlen < 4)
        return fail(why, "XOR-MAPPED-ADDRESS is too short");
    uint16_t port = be16_read(v + 2) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16);
    memset(out, 0, sizeof *out);
    if (v[1] == 0x01) {
        if (vlen != 8)
            return fail(why, "XOR-MAPPED-ADDRESS for IPv4 is not 8 bytes");
        struct sockaddr_in *sin = (struct sockaddr_in *)out;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        uint8_t *a = (uint8_t *)&sin->sin_addr;
        for (int i = 0; i < 4; i++)
            a[i] = v[4 + i] ^ header[4 + i];
        return 0;
    }
    if (v[1] == 0x02) {
        if (vlen != 20)
            return fail(why, "XOR-MAPPED-ADDRESS for IPv6 is not 20 bytes");
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        for (int i = 0; i < 16; i++)
            sin6->sin6_addr.s6_addr[i] = v[4 + i] ^ header[4 + i];
        return 0;
    }
    return fail(why, "XOR-MAPPED-ADDRESS has an unknown address family");
}

/* RFC 8489 §14.8, ERROR-CODE:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Reserved, should be 0         |Class|     Number    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      Reason Phrase (variable)                                ..
 * The class is the hundreds digit (3..6) and the number the rest (0..99). */
static int decode_error_code(struct stun_msg *out, const uint8_t *v, size_t vlen, const char **why)
{
    if (vlen < 4)
        return fail(why, "ERROR-CODE is too short");
    if (vlen - 4 > ERROR_REASON_MAX_DECODE)
        return fail(why, "ERROR-CODE reason is longer than 763 bytes");
    int klass = v[2] & 0x07, number = v[3];
    if (klass < 3 || klass > 6 || number > 99)
        return fail(why, "ERROR-CODE is out of range");
    out->has_error = true;
    out->error_code = klass * 100 + number;
    out->error_reason = (const char *)v + 4;
    out->error_reason_len = vlen - 4;
    return 0;
}

/* One attribute before MESSAGE-INTEGRITY (or without one). Only the first occurrence of each
 * is kept (RFC 8489 §14). Types this code does not use but RFC 8489 defines are skipped;
 * other comprehension-required types (below 0x8000) are listed as unknown. */
static int decode_attribute(struct stun_msg *out, const uint8_t *msg, size_t offset, uint16_t type,
                            const uint8_t *v, size_t vlen, const char **why)
{
    switch (type) {
    case STUN_ATTR_USERNAME:
        if (vlen > USERNAME_MAX)
            return fail(why, "USERNAME is longer than 513 bytes");
        if (!out->username) {
            out->username = (const char *)v;
            out->username_len = vlen;
        }
        return 0;
    case STUN_ATTR_MESSAGE_INTEGRITY:
        if (vlen != STUN_INTEGRITY_SIZE)
            return fail(why, "MESSAGE-INTEGRITY is not 20 bytes");
        out->has_integrity = true;
        out->integrity_offset = offset;
        return 0;
    case STUN_ATTR_ERROR_CODE:
        return out->has_error ? 0 : decode_error_code(out, v, vlen, why);
    case STUN_ATTR_XOR_MAPPED_ADDRESS:
        if (out->has_xor_mapped)
            return 0;
        if (decode_xor_address(&out->xor_mapped, msg, v, vlen, why) < 0)
            return -1;
        out->has_xor_mapped = true;
        return 0;
    case STUN_ATTR_PRIORITY:
        if (vlen != 4)
            return fail(why, "PRIORITY is not 4 bytes");
        if (!out->has_priority) {
            out->has_priority = true;
            out->priority = be32_read(v);
        }
        return 0;
    case STUN_ATTR_USE_CANDIDATE:
        if (vlen != 0)
            return fail(why, "USE-CANDIDATE is not empty");
        out->use_candidate = true;
        return 0;
    case STUN_ATTR_ICE_CONTROLLING:
    case STUN_ATTR_ICE_CONTROLLED:
        if (vlen != 8)
            return fail(why, "ICE-CONTROLLING or ICE-CONTROLLED is not 8 bytes");
        if (!out->ice_controlling && !out->ice_controlled)
            out->tiebreaker = be64_read(v);
        if (type == STUN_ATTR_ICE_CONTROLLING)
            out->ice_controlling = true;
        else
            out->ice_controlled = true;
        return 0;
    case STUN_ATTR_REALM:
    case STUN_ATTR_NONCE:
        if (vlen > 763)
            return fail(why, "REALM or NONCE is longer than 763 bytes");
        if (type == STUN_ATTR_REALM && !out->realm) {
            out->realm = (const char *)v;
            out->realm_len = vlen;
        } else if (type == STUN_ATTR_NONCE && !out->nonce) {
            out->nonce = (const char *)v;
            out->nonce_len = vlen;
        }
        return 0;
    case STUN_ATTR_XOR_RELAYED_ADDRESS:
    case STUN_ATTR_XOR_PEER_ADDRESS: {
        bool relayed = type == STUN_ATTR_XOR_RELAYED_ADDRESS;
        if (relayed ? out->has_xor_relayed : out->has_xor_peer)
            return 0;
        if (decode_xor_address(relayed ? &out->xor_relayed : &out->xor_peer, msg, v, vlen,
                               why) < 0)
            return -1;
        if (relayed)
            out->has_xor_relayed = true;
        else
            out->has_xor_peer = true;
        return 0;
    }
    case STUN_ATTR_LIFETIME:
        if (vlen != 4)
            return fail(why, "LIFETIME is not 4 bytes");
        out->has_lifetime = true;
        out->lifetime = be32_read(v);
        return 0;
    case STUN_ATTR_DATA:
        if (!out->has_data) {
            out->has_data = true;
            out->data = v;
            out->data_len = vlen;
        }
        return 0;
    case STUN_ATTR_MAPPED_ADDRESS:
    case STUN_ATTR_UNKNOWN_ATTRIBUTES:
        return 0;
    default:
        if (type < 0x8000) {
            if (out->n_unknown < STUN_MAX_UNKNOWN)
                out->unknown[out->n_unknown] = type;
            out->n_unknown++;
        }
        return 0;
    }
}

/* RFC 8489 §5, the header:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0 0|     STUN Message Type     |         Message Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Magic Cookie                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Transaction ID (96 bits)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * then attributes (§14), each a 16-bit type, a 16-bit value length, and the value padded with
 * up to three bytes to a multiple of four. A UDP datagram holds exactly one message. */
int stun_decode(struct stun_msg *out, const uint8_t *p, size_t len, const char **why)
{
    memset(out, 0, sizeof *out);
    if (len < STUN_HEADER_SIZE)
        return fail(why, "shorter than a STUN header");
    if (p[0] & 0xC0)
        return fail(why, "the first two bits are not zero");
    if (be32_read(p + 4) != STUN_MAGIC_COOKIE)
        return fail(why, "no STUN magic cookie");
    out->type = be16_read(p);
    out->length = be16_read(p + 2);
    if (out->length & 3)
        return fail(why, "message length is not a multiple of 4");
    if ((size_t)out->length + STUN_HEADER_SIZE != len)
        return fail(why, "message length does not match the datagram");
    memcpy(out->txid, p + 8, STUN_TXID_SIZE);

    size_t offset = STUN_HEADER_SIZE;
    while (offset < len) {
        if (len - offset < 4)
            return fail(why, "truncated attribute header");
        if (out->has_fingerprint)
            return fail(why, "an attribute follows FINGERPRINT");
        uint16_t type = be16_read(p + offset);
        size_t vlen = be16_read(p + offset + 2);
        size_t padded = (vlen + 3) & ~(size_t)3;
        if (padded > len - offset - 4)
            return fail(why, "attribute runs past the end of the message");
        const uint8_t *v = p + offset + 4;
        if (type == STUN_ATTR_FINGERPRINT) {
            if (vlen != 4)
                return fail(why, "FINGERPRINT is not 4 bytes");
            out->has_fingerprint = true;
            out->fingerprint_offset = offset;
        } else if (!out->has_integrity) {
            if (decode_attribute(out, p, offset, type, v, vlen, why) < 0)
                return -1;
        }
        offset += 4 + padded;
    }
    return 0;
}

/* The header as it was when the attribute at OFFSET (SIZE bytes with its own header) was the
 * last one: RFC 8489 §14.5 and §14.7 compute over the message with the length field covering
 * exactly up to the end of MESSAGE-INTEGRITY or FINGERPRINT, whatever follows. */
static void adjusted_header(uint8_t header[STUN_HEADER_SIZE], const uint8_t *p, size_t offset,
                            size_t size)
{
    memcpy(header, p, STUN_HEADER_SIZE);
    be16_write(header + 2, (uint16_t)(offset + size - STUN_HEADER_SIZE));
}

/* HMAC-SHA1 (RFC 8489 §14.5) of P[0..OFFSET) with the adjusted header; OFFSET is where the
 * MESSAGE-INTEGRITY attribute starts. OpenSSL's EVP_MAC does the HMAC. */
static bool integrity_compute(const uint8_t *p, size_t offset, const uint8_t *key, size_t key_len,
                              uint8_t mac[STUN_INTEGRITY_SIZE])
{
    uint8_t header[STUN_HEADER_SIZE];
    adjusted_header(header, p, offset, 4 + STUN_INTEGRITY_SIZE);
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (!hmac)
        return false;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
        OSSL_PARAM_construct_end(),
    };
    size_t mac_len = 0;
    bool ok = ctx && EVP_MAC_init(ctx, key_len ? key : (const uint8_t *)"", key_len, params) &&
              EVP_MAC_update(ctx, header, sizeof header) &&
              EVP_MAC_update(ctx, p + STUN_HEADER_SIZE, offset - STUN_HEADER_SIZE) &&
              EVP_MAC_final(ctx, mac, &mac_len, STUN_INTEGRITY_SIZE) &&
              mac_len == STUN_INTEGRITY_SIZE;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    return ok;
}

/* RFC 8489 §14.7: CRC-32 (the ISO/ITU polynomial zlib implements) of P[0..OFFSET) with the
 * adjusted header, XORed with 0x5354554e. OFFSET is where FINGERPRINT starts. */
static uint32_t fingerprint_compute(const uint8_t *p, size_t offset)
{
    uint8_t header[STUN_HEADER_SIZE];
    adjusted_header(header, p, offset, 8);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, header, sizeof header);
    crc = crc32(crc, p + STUN_HEADER_SIZE, (uInt)(offset - STUN_HEADER_SIZE));
    return (uint32_t)crc ^ STUN_FINGERPRINT_XOR;
}

bool stun_check_integrity(const uint8_t *p, size_t len, const struct stun_msg *m,
                          const uint8_t *key, size_t key_len)
{
    size_t offset = m->integrity_offset;
    if (!m->has_integrity || offset < STUN_HEADER_SIZE || offset > len ||
        len - offset < 4 + STUN_INTEGRITY_SIZE)
        return false;
    uint8_t mac[STUN_INTEGRITY_SIZE];
    if (!integrity_compute(p, offset, key, key_len, mac))
        return false;
    return CRYPTO_memcmp(mac, p + offset + 4, STUN_INTEGRITY_SIZE) == 0;
}

bool stun_check_fingerprint(const uint8_t *p, size_t len, const struct stun_msg *m)
{
    size_t offset = m->fingerprint_offset;
    if (!m->has_fingerprint || offset < STUN_HEADER_SIZE || offset > len || len - offset < 8)
        return false;
    return fingerprint_compute(p, offset) == be32_read(p + offset + 4);
}

/* A message being written: every step checks room first, so a failed encode writes no more
 * than CAP bytes and reports 0. */
struct stun_writer {
    uint8_t *dst;
    size_t cap, len;
    bool full;
};

static void writer_header(struct stun_writer *w, uint16_t type, const uint8_t *txid)
{
    if (w->cap < STUN_HEADER_SIZE) {
        w->full = true;
        return;
    }
    uint8_t *p = be16_write(w->dst, type);
    p = be16_write(p, 0);
    p = be32_write(p, STUN_MAGIC_COOKIE);
    memcpy(p, txid, STUN_TXID_SIZE);
    w->len = STUN_HEADER_SIZE;
}

/* Appends an attribute header and room for VLEN value bytes, zero padded to four, and
 * updates the header's length field. Returns where the value goes, or NULL without room. */
static uint8_t *writer_attribute(struct stun_writer *w, uint16_t type, size_t vlen)
{
    size_t padded = (vlen + 3) & ~(size_t)3;
    if (w->full || vlen > 0xFFFF || w->cap - w->len < 4 + padded ||
        w->len + 4 + padded - STUN_HEADER_SIZE > 0xFFFF) {
        w->full = true;
        return NULL;
    }
    uint8_t *p = w->dst + w->len;
    be16_write(p, type);
    be16_write(p + 2, (uint16_t)vlen);
    memset(p + 4 + vlen, 0, padded - vlen);
    w->len += 4 + padded;
    be16_write(w->dst + 2, (uint16_t)(w->len - STUN_HEADER_SIZE));
    return p + 4;
}

/* RFC 8489 §14.2 (diagram above decode_xor_address). An IPv4-mapped IPv6 address (a dual-stack
 * socket's view of an IPv4 peer) is reported as the IPv4 address the peer knows itself by. */
static void writer_xor_address(struct stun_writer *w, uint16_t type, const struct sockaddr *addr)
{
    const uint8_t *ip;
    uint16_t port;
    bool v6;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
        ip = (const uint8_t *)&sin->sin_addr;
        port = ntohs(sin->sin_port);
        v6 = false;
    } else if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;
        v6 = !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr);
        ip = sin6->sin6_addr.s6_addr + (v6 ? 0 : 12);
        port = ntohs(sin6->sin6_port);
    } else {
        w->full = true;
        return;
    }
    size_t ip_len = v6 ? 16 : 4;
    uint8_t *v = writer_attribute(w, type, 4 + ip_len);
    if (!v)
        return;
    v[0] = 0;
    v[1] = v6 ? 0x02 : 0x01;
    be16_write(v + 2, port ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
    /* The cookie and the transaction id are header bytes 4..19, the XOR mask. */
    for (size_t i = 0; i < ip_len; i++)
        v[4 + i] = ip[i] ^ w->dst[4 + i];
}

/* MESSAGE-INTEGRITY when keyed, then FINGERPRINT when asked; returns the message size or 0. */
static size_t writer_finish(struct stun_writer *w, const uint8_t *key, size_t key_len,
                            bool fingerprint)
{
    if (key_len > 0) {
        size_t offset = w->len;
        uint8_t *v = writer_attribute(w, STUN_ATTR_MESSAGE_INTEGRITY, STUN_INTEGRITY_SIZE);
        if (v && !integrity_compute(w->dst, offset, key, key_len, v))
            w->full = true;
    }
    if (fingerprint) {
        size_t offset = w->len;
        uint8_t *v = writer_attribute(w, STUN_ATTR_FINGERPRINT, 4);
        if (v)
            be32_write(v, fingerprint_compute(w->dst, offset));
    }
    return w->full ? 0 : w->len;
}

size_t stun_encode_binding_success(uint8_t *dst, size_t cap, const uint8_t *txid,
                                   const struct sockaddr *mapped, const uint8_t *key,
                                   size_t key_len, bool fingerprint)
{
    struct stun_writer w = {dst, cap, 0, false};
    writer_header(&w, STUN_BINDING_SUCCESS, txid);
    writer_xor_address(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, mapped);
    return writer_finish(&w, key, key_len, fingerprint);
}

/* RFC 8489 §14.8 (diagram above decode_error_code). */
static void writer_error_code(struct stun_writer *w, int code, const char *reason)
{
    if (code < 300 || code > 699) {
        w->full = true;
        return;
    }
    size_t reason_len = reason ? strnlen(reason, ERROR_REASON_MAX_ENCODE) : 0;
    uint8_t *v = writer_attribute(w, STUN_ATTR_ERROR_CODE, 4 + reason_len);
    if (!v)
        return;
    v[0] = 0;
    v[1] = 0;
    v[2] = (uint8_t)(code / 100);
    v[3] = (uint8_t)(code % 100);
    if (reason_len)
        memcpy(v + 4, reason, reason_len);
}

size_t stun_encode_binding_error(uint8_t *dst, size_t cap, const uint8_t *txid, int code,
                                 const char *reason, const uint8_t *key, size_t key_len)
{
    struct stun_writer w = {dst, cap, 0, false};
    writer_header(&w, STUN_BINDING_ERROR, txid);
    writer_error_code(&w, code, reason);
    return writer_finish(&w, key, key_len, true);
}

/* RFC 8489 §14.9: UNKNOWN-ATTRIBUTES is a list of 16-bit attribute types. */
size_t stun_encode_binding_error_unknown(uint8_t *dst, size_t cap, const uint8_t *txid,
                                         const uint16_t *unknown, size_t n_unknown)
{
    struct stun_writer w = {dst, cap, 0, false};
    writer_header(&w, STUN_BINDING_ERROR, txid);
    writer_error_code(&w, 420, "Unknown Attribute");
    uint8_t *v = writer_attribute(&w, STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n_unknown);
    for (size_t i = 0; v && i < n_unknown; i++)
        be16_write(v + 2 * i, unknown[i]);
    return writer_finish(&w, NULL, 0, true);
}

/* RFC 8445 §7.1.1 and §16.1: PRIORITY is 32 bits; ICE-CONTROLLING and ICE-CONTROLLED carry a
 * 64-bit tiebreaker; USE-CANDIDATE is empty. */
size_t stun_encode_binding_request(uint8_t *dst, size_t cap, const uint8_t *txid,
                                   const char *username, uint32_t priority, bool controlling,
                                   uint64_t tiebreaker, bool use_candidate, const uint8_t *key,
                                   size_t key_len)
{
    struct stun_writer w = {dst, cap, 0, false};
    writer_header(&w, STUN_BINDING_REQUEST, txid);
    if (username) {
        size_t username_len = strlen(username);
        if (username_len > USERNAME_MAX)
            return 0;
        uint8_t *v = writer_attribute(&w, STUN_ATTR_USERNAME, username_len);
        if (v)
            memcpy(v, username, username_len);
    }
    uint8_t *v = writer_attribute(&w, STUN_ATTR_PRIORITY, 4);
    if (v)
        be32_write(v, priority);
    v = writer_attribute(&w, controlling ? STUN_ATTR_ICE_CONTROLLING : STUN_ATTR_ICE_CONTROLLED, 8);
    if (v)
        be64_write(v, tiebreaker);
    if (controlling && use_candidate)
        writer_attribute(&w, STUN_ATTR_USE_CANDIDATE, 0);
    return writer_finish(&w, key, key_len, true);
}

static void writer_string(struct stun_writer *w, uint16_t type, const char *text)
{
    size_t n = strlen(text);
    uint8_t *v = writer_attribute(w, type, n);
    if (v)
        memcpy(v, text, n);
}

size_t stun_encode_turn(uint8_t *dst, size_t cap, uint16_t type, const uint8_t *txid,
                        const struct stun_turn_attrs *attrs, const uint8_t *key, size_t key_len)
{
    struct stun_writer w = {dst, cap, 0, false};
    writer_header(&w, type, txid);
    if (attrs->requested_udp) {
        /* RFC 8656 §18.7: the protocol number, then three reserved bytes. */
        uint8_t *v = writer_attribute(&w, STUN_ATTR_REQUESTED_TRANSPORT, 4);
        if (v)
            v[0] = 17;
    }
    if (attrs->has_lifetime) {
        uint8_t *v = writer_attribute(&w, STUN_ATTR_LIFETIME, 4);
        if (v)
            be32_write(v, attrs->lifetime);
    }
    if (attrs->peer)
        writer_xor_address(&w, STUN_ATTR_XOR_PEER_ADDRESS, attrs->peer);
    if (attrs->data) {
        uint8_t *v = writer_attribute(&w, STUN_ATTR_DATA, attrs->data_len);
        if (v)
            memcpy(v, attrs->data, attrs->data_len);
    }
    if (attrs->username && attrs->realm && attrs->nonce) {
        if (strlen(attrs->username) > USERNAME_MAX)
            return 0;
        writer_string(&w, STUN_ATTR_USERNAME, attrs->username);
        writer_string(&w, STUN_ATTR_REALM, attrs->realm);
        writer_string(&w, STUN_ATTR_NONCE, attrs->nonce);
    }
    return writer_finish(&w, key, key_len, false);
}

void stun_long_term_key(const char *username, const char *realm, size_t realm_len,
                        const char *password, uint8_t key[16])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 16;
    EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    EVP_DigestUpdate(ctx, username, strlen(username));
    EVP_DigestUpdate(ctx, ":", 1);
    EVP_DigestUpdate(ctx, realm, realm_len);
    EVP_DigestUpdate(ctx, ":", 1);
    EVP_DigestUpdate(ctx, password, strlen(password));
    EVP_DigestFinal_ex(ctx, key, &n);
    EVP_MD_CTX_free(ctx);
}
