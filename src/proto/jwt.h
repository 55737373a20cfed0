/* jwt: JSON Web Tokens (RFC 7519) signed with HMAC-SHA256 (JWS "HS256", RFC 7515) or with the
 * private half of a key pair (RS256, ES256, EdDSA: proto/jwt_key.h), as an application's backend
 * mints them for its users with any JWT library: the token says which stream its holder may
 * publish to or watch, and until when; onair checks it with the secret it shares with the
 * backend, or the public key, and needs no list of tokens. Pure: no I/O, no clock (the caller
 * gives the time). */
#ifndef ONAIR_PROTO_JWT_H
#define ONAIR_PROTO_JWT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longer tokens are refused unread: a grant is a few claims, ~200 characters. */
#define JWT_MAX_LEN 4096
/* Clocks differ: a token is taken this many seconds past its "exp", and as many before its
 * "nbf" (the leeway RFC 7519 §4.1.4 allows), so that one minted with "nbf" at its backend's
 * now works at once on a server whose clock is a little behind. */
#define JWT_LEEWAY_S 30

struct jwt_grant {
    char stream[64]; /* the "stream" claim: a stream name, or "*" for every stream */
    bool publish;    /* the "role" claim: "publish" (true) or "watch" (false) */
    int64_t expires; /* the "exp" claim, seconds since 1970 */
};

/* Whether TEXT[0..LEN) has a JWT's shape, three base64url parts joined by '.': a bearer token
 * that does not is a plain one. */
bool jwt_shaped(const char *text, size_t len);

struct jwt_key;

/* Checks TOKEN[0..LEN) at NOW (seconds since 1970) against SECRET when its header's "alg" is
 * "HS256", against those of KEYS[0..N_KEYS) (proto/jwt_key.h) whose algorithm it names
 * otherwise: any one of them may have signed it (a rotation has the old key and the new). SECRET
 * may be NULL, and N_KEYS 0, not both. Returns 0 with the grant in *OUT, or -1 with *WHY, for a
 * user: a header whose "alg" is neither of those (so the unsigned "none" is refused, and so is an
 * HS256 token without a secret) or that has "crit", a wrong signature, no "exp" or one
 * JWT_LEEWAY_S or more before NOW, an "nbf" more than JWT_LEEWAY_S after NOW, or a "stream" or
 * "role" claim missing or not as above. */
int jwt_verify(struct jwt_grant *out, const char *token, size_t len, const char *secret,
               struct jwt_key *const *keys, size_t n_keys, int64_t now, const char **why);

/* Writes a JWT granting ROLE ("publish" or "watch") on STREAM (a name or "*") until EXPIRES,
 * signed with SECRET, into OUT[0..CAP). Returns its length, or -1 when CAP is too small or
 * HMAC-SHA256 is not available. */
int jwt_sign(char *out, size_t cap, const char *secret, const char *stream, const char *role,
             int64_t expires);

/* jwt_sign for a server started with --token-public-key: signed with KEY, read from the private
 * key's PEM (jwt_key_from_private_pem), by its algorithm. Returns the length, or -1 when CAP is
 * too small or OpenSSL cannot sign. */
int jwt_sign_with_key(char *out, size_t cap, const struct jwt_key *key, const char *stream,
                      const char *role, int64_t expires);

#endif
