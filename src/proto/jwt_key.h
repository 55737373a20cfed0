/* jwt_key: the public key that checks JWTs signed with an application backend's private key
 * (JWS RS256, ES256: RFC 7518 §3.3-3.4; EdDSA with Ed25519: RFC 8037). The server holds only the
 * public half, which lets no one who reads it mint tokens, as a shared HS256 secret would. The
 * key's type fixes the algorithm a token must name: none passes as signed by another kind of key
 * (HS256 with the public key's text as its secret is the classic forgery, RFC 8725 §2.1). Pure:
 * the caller reads the PEM text. */
#ifndef ONAIR_PROTO_JWT_KEY_H
#define ONAIR_PROTO_JWT_KEY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RS256 wants at least this many bits (RFC 7518 §3.3). */
#define JWT_KEY_MIN_RSA_BITS 2048
/* The longest signature taken: an RSA one is as long as its key, 1024 bytes at 8192 bits. */
#define JWT_KEY_MAX_SIG 1024

struct jwt_key;

/* The public key in PEM[0..LEN) ("-----BEGIN PUBLIC KEY-----"): RSA of JWT_KEY_MIN_RSA_BITS or
 * more (RS256), EC on P-256 (ES256) or Ed25519 (EdDSA). Returns it, or NULL with *WHY: not PEM,
 * a private key (the server needs only the public one), another type or curve, a short RSA key. */
struct jwt_key *jwt_key_from_pem(const char *pem, size_t len, const char **why);

/* The same for the private key in PEM[0..LEN) ("-----BEGIN PRIVATE KEY-----", or the RSA and EC
 * forms), to sign with (`onair token --key`); one with a passphrase is refused, not asked for. */
struct jwt_key *jwt_key_from_private_pem(const char *pem, size_t len, const char **why);

/* The public key of a JWK's members (RFC 7518 §6), decoded from base64url: RSA's modulus N and
 * exponent E (big-endian), a P-256 point's X and Y, an Ed25519 key's X (RFC 8037 §2). The same
 * rules as jwt_key_from_pem; NULL with *WHY also when the numbers are no such key. */
struct jwt_key *jwt_key_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                                 const char **why);
struct jwt_key *jwt_key_from_p256(const uint8_t x[32], const uint8_t y[32], const char **why);
struct jwt_key *jwt_key_from_ed25519(const uint8_t x[32], const char **why);

/* Whether A and B are the same public key. */
bool jwt_key_equal(const struct jwt_key *a, const struct jwt_key *b);

/* The JWS "alg" of tokens KEY checks: "RS256", "ES256" or "EdDSA". */
const char *jwt_key_alg(const struct jwt_key *key);

/* Whether SIG[0..SIG_LEN), as a JWS carries it (for ES256 the 64 bytes of R then S), is KEY's
 * signature of DATA[0..LEN). */
bool jwt_key_verify(const struct jwt_key *key, const void *data, size_t len, const uint8_t *sig,
                    size_t sig_len);

/* KEY's signature of DATA[0..LEN), as a JWS carries it, into SIG[0..CAP): its length, or 0 when
 * KEY has no private half or CAP is too small. */
size_t jwt_key_sign(const struct jwt_key *key, const void *data, size_t len, uint8_t *sig,
                    size_t cap);

void jwt_key_free(struct jwt_key *key);

#endif
