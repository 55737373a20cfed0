/* jwt: JSON Web Tokens, checked (HS256, and the algorithms of proto/jwt_key) and made (HS256).
 * OpenSSL does the HMAC, jansson the JSON. */
#include "proto/jwt.h"

#include <jansson.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "proto/base64url.h"
#include "proto/hmac.h"
#include "proto/jwt_key.h"

bool jwt_shaped(const char *text, size_t len)
{
    int dots = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '.') {
            /* no empty part: a JWS with a detached payload is no grant */
            if (i == 0 || text[i - 1] == '.' || ++dots > 2)
                return false;
        } else if (base64url_value(text[i]) < 0) {
            return false;
        }
    }
    return dots == 2 && text[len - 1] != '.';
}

/* The JSON object in the base64url part TEXT[0..LEN), or NULL. */
static json_t *decode_object(const char *text, size_t len)
{
    uint8_t bytes[JWT_MAX_LEN];
    long n = base64url_decode(text, len, bytes, sizeof bytes);
    if (n < 0)
        return NULL;
    json_t *value = json_loadb((const char *)bytes, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (value && !json_is_object(value)) {
        json_decref(value);
        return NULL;
    }
    return value;
}

/* Why a header's "alg" is refused, by what the server checks with: KEY_ALG is the algorithm of
 * all its keys, NULL when they have several or there are none (MIXED says which). */
static const char *alg_refusal(const char *key_alg, bool mixed, bool secret)
{
    static const struct {
        const char *alg, *alone, *or_hs256;
    } refusals[] = {
        {"RS256", "the token is not signed with RS256 (its header's \"alg\")",
         "the token is not signed with HS256 or RS256 (its header's \"alg\")"},
        {"ES256", "the token is not signed with ES256 (its header's \"alg\")",
         "the token is not signed with HS256 or ES256 (its header's \"alg\")"},
        {"EdDSA", "the token is not signed with EdDSA (its header's \"alg\")",
         "the token is not signed with HS256 or EdDSA (its header's \"alg\")"},
    };
    if (!key_alg && !mixed && !secret) /* keys to be fetched (--token-jwks-url), none yet */
        return "the server has no key to check the token with yet";
    for (size_t i = 0; key_alg && i < sizeof refusals / sizeof refusals[0]; i++)
        if (strcmp(refusals[i].alg, key_alg) == 0)
            return secret ? refusals[i].or_hs256 : refusals[i].alone;
    if (mixed)
        return secret ? "the token is not signed with HS256 or the algorithm of a public key "
                        "(its header's \"alg\")"
                      : "the token is not signed with the algorithm of a public key (its header's "
                        "\"alg\")";
    return "the token is not signed with HS256 (its header's \"alg\")";
}

/* Checks the header: an "alg" the server checks (HS256 with SECRET, that of one of KEYS[0..N))
 * and nothing the reader must understand ("crit", RFC 7515 §4.1.11). Sets *BY_ALG to the
 * algorithm when keys of it are to check the signature, else NULL (the secret is). */
static int check_header(const char *text, size_t len, const char *secret,
                        struct jwt_key *const *keys, size_t n, const char **by_alg,
                        const char **why)
{
    json_t *header = decode_object(text, len);
    const char *alg = json_string_value(json_object_get(header, "alg"));
    const char *key_alg = n ? jwt_key_alg(keys[0]) : NULL;
    bool mixed = false;
    *by_alg = NULL;
    for (size_t i = 0; i < n; i++) {
        if (alg && strcmp(alg, jwt_key_alg(keys[i])) == 0)
            *by_alg = jwt_key_alg(keys[i]);
        mixed |= strcmp(key_alg, jwt_key_alg(keys[i])) != 0;
    }
    int rc = -1;
    if (!header)
        *why = "the token's header is not a JSON object";
    else if (!*by_alg && !(secret && alg && strcmp(alg, "HS256") == 0))
        *why = alg_refusal(mixed ? NULL : key_alg, mixed, secret != NULL);
    else if (json_object_get(header, "crit"))
        *why = "the token's header has \"crit\" extensions onair does not know";
    else
        rc = 0;
    json_decref(header);
    return rc;
}

/* Whether SIGNATURE[0..N) signs SIGNED[0..LEN) by SECRET (HS256) or, when BY_ALG is not NULL,
 * by one of KEYS[0..N_KEYS) of that algorithm. */
static bool signature_matches(const uint8_t *signature, long n, const char *signed_part, size_t len,
                              const char *secret, struct jwt_key *const *keys, size_t n_keys,
                              const char *by_alg)
{
    if (n < 0)
        return false;
    if (by_alg) {
        bool any = false;
        /* Every key of the algorithm is tried, so that which one signed does not show in the
         * time taken. */
        for (size_t i = 0; i < n_keys; i++)
            if (strcmp(jwt_key_alg(keys[i]), by_alg) == 0)
                any |= jwt_key_verify(keys[i], signed_part, len, signature, (size_t)n);
        return any;
    }
    uint8_t expected[HMAC_SHA256_LEN];
    return n == HMAC_SHA256_LEN &&
           hmac_make("SHA256", secret, signed_part, len, expected, sizeof expected) &&
           CRYPTO_memcmp(signature, expected, HMAC_SHA256_LEN) == 0;
}

/* Reads the claims into OUT, checking their times against NOW. */
static int read_claims(struct jwt_grant *out, json_t *claims, int64_t now, const char **why)
{
    json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
    const char *stream = json_string_value(json_object_get(claims, "stream"));
    const char *role = json_string_value(json_object_get(claims, "role"));
    /* NumericDate (RFC 7519 §2) may have a fraction; a time past int64's is refused with it. */
    double expires = json_is_number(exp) ? json_number_value(exp) : NAN;
    if (!(expires > -9.2e18 && expires < 9.2e18)) {
        *why = "the token has no \"exp\" (when it expires, seconds since 1970)";
        return -1;
    }
    if (expires + JWT_LEEWAY_S <= (double)now) {
        *why = "the token has expired";
        return -1;
    }
    if (nbf && (!json_is_number(nbf) || json_number_value(nbf) > (double)now + JWT_LEEWAY_S)) {
        *why = "the token is not valid yet (its \"nbf\")";
        return -1;
    }
    if (!stream || !stream[0] || strlen(stream) >= sizeof out->stream) {
        *why = "the token has no \"stream\" claim (a stream name, or \"*\" for every stream)";
        return -1;
    }
    if (!role || (strcmp(role, "publish") != 0 && strcmp(role, "watch") != 0)) {
        *why = "the token's \"role\" claim is not \"publish\" or \"watch\"";
        return -1;
    }
    strcpy(out->stream, stream);
    out->publish = strcmp(role, "publish") == 0;
    out->expires = (int64_t)expires;
    return 0;
}

int jwt_verify(struct jwt_grant *out, const char *token, size_t len, const char *secret,
               struct jwt_key *const *keys, size_t n_keys, int64_t now, const char **why)
{
    memset(out, 0, sizeof *out);
    if (len > JWT_MAX_LEN || !jwt_shaped(token, len)) {
        *why = "not a JWT (three base64url parts joined by '.')";
        return -1;
    }
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
    const char *by_alg;
    if (check_header(token, (size_t)(dot1 - token), secret, keys, n_keys, &by_alg, why) < 0)
        return -1;
    uint8_t signature[JWT_KEY_MAX_SIG];
    long n =
        base64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), signature, sizeof signature);
    if (!signature_matches(signature, n, token, (size_t)(dot2 - token), secret, keys, n_keys,
                           by_alg)) {
        *why = !by_alg      ? "the token's signature does not match the secret"
               : n_keys > 1 ? "the token's signature does not match any of the public keys"
                            : "the token's signature does not match the public key";
        return -1;
    }
    json_t *claims = decode_object(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!claims) {
        *why = "the token's claims are not a JSON object";
        return -1;
    }
    int rc = read_claims(out, claims, now, why);
    json_decref(claims);
    return rc;
}

/* Writes the JWT granting ROLE on STREAM until EXPIRES into OUT[0..CAP), signed with SECRET
 * (HS256) when KEY is NULL, else with KEY's private half. */
static int sign_token(char *out, size_t cap, const char *secret, const struct jwt_key *key,
                      const char *stream, const char *role, int64_t expires)
{
    json_t *header = json_pack("{s:s, s:s}", "alg", key ? jwt_key_alg(key) : "HS256", "typ", "JWT");
    json_t *claims =
        json_pack("{s:s, s:s, s:I}", "stream", stream, "role", role, "exp", (json_int_t)expires);
    char *header_text = header ? json_dumps(header, JSON_COMPACT) : NULL;
    char *claims_text = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
    json_decref(header);
    json_decref(claims);
    int rc = -1;
    uint8_t sig[JWT_KEY_MAX_SIG];
    if (header_text && claims_text) {
        size_t header_len = strlen(header_text), claims_len = strlen(claims_text);
        size_t n = 0, sig_len = 0;
        if (4 * (header_len + 2) / 3 + 4 * (claims_len + 2) / 3 + 2 <= cap) {
            n = base64url_encode((const uint8_t *)header_text, header_len, out);
            out[n++] = '.';
            n += base64url_encode((const uint8_t *)claims_text, claims_len, out + n);
            if (key)
                sig_len = jwt_key_sign(key, out, n, sig, sizeof sig);
            else if (hmac_make("SHA256", secret, out, n, sig, HMAC_SHA256_LEN))
                sig_len = HMAC_SHA256_LEN;
        }
        if (sig_len && n + 1 + 4 * (sig_len + 2) / 3 + 1 <= cap) {
            out[n++] = '.';
            n += base64url_encode(sig, sig_len, out + n);
            rc = (int)n;
        }
    }
    free(header_text);
    free(claims_text);
    return rc;
}

int jwt_sign(char *out, size_t cap, const char *secret, const char *stream, const char *role,
             int64_t expires)
{
    return sign_token(out, cap, secret, NULL, stream, role, expires);
}

int jwt_sign_with_key(char *out, size_t cap, const struct jwt_key *key, const char *stream,
                      const char *role, int64_t expires)
{
    return sign_token(out, cap, NULL, key, stream, role, expires);
}
