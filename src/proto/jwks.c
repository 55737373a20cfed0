/* jwks: JSON Web Key Sets read with jansson; each key made by proto/jwt_key. */
#include "proto/jwks.h"

#include <jansson.h>
#include <string.h>

#include "proto/base64url.h"

/* The longest RSA modulus taken: 8192 bits, as JWT_KEY_MAX_SIG. */
#define JWKS_MAX_RSA_BYTES 1024

bool jwks_looks_like_json(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && text[i] && strchr(" \t\r\n", text[i]))
        i++;
    return i < len && text[i] == '{';
}

static const char *string_member(const json_t *jwk, const char *name)
{
    const json_t *v = json_object_get(jwk, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The base64url member NAME of JWK decoded into OUT[0..CAP): its length, or -1 when it is
 * absent, not base64url or longer. */
static long member_bytes(const json_t *jwk, const char *name, uint8_t *out, size_t cap)
{
    const json_t *v = json_object_get(jwk, name);
    if (!json_is_string(v))
        return -1;
    return base64url_decode(json_string_value(v), json_string_length(v), out, cap);
}

/* The key of an RSA, EC or OKP JWK, or NULL with *WHY; *SKIP when the kind is one onair does
 * not check JWTs with (another curve), which leaves the key out rather than refusing the set. */
static struct jwt_key *key_of_kind(const json_t *jwk, const char *kty, bool *skip, const char **why)
{
    static const char *const other_curve = "a key on a curve onair does not check JWTs with "
                                           "(P-256 for ES256, Ed25519 for EdDSA)";
    const char *crv = string_member(jwk, "crv");
    uint8_t x[32], y[32];
    if (strcmp(kty, "RSA") == 0) {
        uint8_t n[JWKS_MAX_RSA_BYTES], e[16];
        long n_len = member_bytes(jwk, "n", n, sizeof n),
             e_len = member_bytes(jwk, "e", e, sizeof e);
        if (n_len <= 0 || e_len <= 0) {
            *why = "an RSA key without base64url \"n\" and \"e\", or longer than 8192 bits";
            return NULL;
        }
        return jwt_key_from_rsa(n, (size_t)n_len, e, (size_t)e_len, why);
    }
    if (strcmp(kty, "EC") == 0) {
        if (!crv || strcmp(crv, "P-256") != 0) {
            *skip = true;
            *why = other_curve;
            return NULL;
        }
        if (member_bytes(jwk, "x", x, sizeof x) != 32 ||
            member_bytes(jwk, "y", y, sizeof y) != 32) {
            *why = "a P-256 key whose \"x\" and \"y\" are not 32 base64url bytes each";
            return NULL;
        }
        return jwt_key_from_p256(x, y, why);
    }
    if (strcmp(kty, "OKP") == 0) {
        if (!crv || strcmp(crv, "Ed25519") != 0) {
            *skip = true;
            *why = other_curve;
            return NULL;
        }
        if (member_bytes(jwk, "x", x, sizeof x) != 32) {
            *why = "an Ed25519 key whose \"x\" is not 32 base64url bytes";
            return NULL;
        }
        return jwt_key_from_ed25519(x, why);
    }
    *skip = true;
    *why = "a key of a type onair does not check JWTs with (RSA, EC or OKP)";
    return NULL;
}

/* The key of JWK: 1 with *KEY; 0 when it is left out; -1 when it refuses the set. *WHY says
 * why when not 1. */
static int read_jwk(const json_t *jwk, struct jwt_key **key, const char **why)
{
    if (!json_is_object(jwk)) {
        *why = "a key that is not a JSON object";
        return -1;
    }
    const char *kty = string_member(jwk, "kty");
    if (!kty) {
        *why = "a key without \"kty\"";
        return -1;
    }
    if (json_object_get(jwk, "d")) {
        *why = "a private key (it has \"d\"): the server needs the public members only";
        return -1;
    }
    if (strcmp(kty, "oct") == 0) {
        *why = "a symmetric key (\"kty\": \"oct\"): give a shared secret with --token-secret";
        return -1;
    }
    const char *use = string_member(jwk, "use");
    if (use && strcmp(use, "sig") != 0) {
        *why = "a key for another use than signatures (\"use\" is not \"sig\")";
        return 0;
    }
    bool skip = false;
    *key = key_of_kind(jwk, kty, &skip, why);
    if (!*key)
        return skip ? 0 : -1;
    const char *alg = string_member(jwk, "alg");
    if (alg && strcmp(alg, jwt_key_alg(*key)) != 0) {
        jwt_key_free(*key);
        *key = NULL;
        *why = "a key for another algorithm (its \"alg\" is not RS256, ES256 or EdDSA as its kind)";
        return 0;
    }
    return 1;
}

int jwks_read(const char *text, size_t len, struct jwt_key **keys, size_t cap,
              struct jwks_result *out, const char **why)
{
    *out = (struct jwks_result){0};
    json_error_t error;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
    const json_t *list = json_object_get(root, "keys");
    size_t count = 1;
    if (!json_is_object(root)) {
        *why = "not JSON: a JWK Set ({\"keys\": [...]}) or a JWK";
        goto fail;
    }
    if (list && !json_is_array(list)) {
        *why = "\"keys\" is not an array";
        goto fail;
    }
    if (list)
        count = json_array_size(list);
    else if (!json_object_get(root, "kty")) {
        *why = "neither a JWK Set (no \"keys\") nor a JWK (no \"kty\")";
        goto fail;
    }
    for (size_t i = 0; i < count; i++) {
        struct jwt_key *key = NULL;
        const char *reason = NULL;
        int got = read_jwk(list ? json_array_get(list, i) : root, &key, &reason);
        if (got < 0) {
            out->bad_key = i + 1;
            *why = reason;
            goto fail;
        }
        if (got == 0) {
            if (out->skipped++ == 0)
                out->skip_why = reason;
            continue;
        }
        if (out->n_keys == cap) {
            jwt_key_free(key);
            *why = "more keys than the server holds";
            goto fail;
        }
        keys[out->n_keys++] = key;
    }
    if (out->n_keys == 0) {
        *why = "no key the server checks JWTs with";
        goto fail;
    }
    json_decref(root);
    return 0;
fail:
    for (size_t i = 0; i < out->n_keys; i++)
        jwt_key_free(keys[i]);
    out->n_keys = 0;
    json_decref(root);
    return -1;
}
