/* jwks: the public keys of a JSON Web Key Set (RFC 7517 §5), as identity providers publish them
 * (at /.well-known/jwks.json) for the JWTs they sign, or of a single JWK. Kinds are those of
 * proto/jwt_key: RSA (RS256), EC P-256 (ES256), OKP Ed25519 (EdDSA; RFC 8037). A key marked for
 * another use ("use": "enc") or another algorithm ("alg" not the one its kind checks) is skipped,
 * as a provider's set may hold such keys beside its signing ones; anything malformed, a private
 * key ("d") or a symmetric one refuses the whole set. Pure: the caller reads the text. */
#ifndef ONAIR_PROTO_JWKS_H
#define ONAIR_PROTO_JWKS_H
#include <stddef.h>

#include "proto/jwt_key.h"

struct jwks_result {
    size_t n_keys;        /* keys put in KEYS */
    size_t skipped;       /* keys left out for their "use" or "alg" */
    const char *skip_why; /* the first skipped key's reason, or NULL */
    size_t bad_key;       /* on failure: the 1-based index of the key refused, or 0 */
};

/* Whether TEXT[0..LEN) looks like JSON (its first non-blank character is '{') rather than PEM. */
bool jwks_looks_like_json(const char *text, size_t len);

/* Reads the set (or the one JWK) in TEXT[0..LEN) into KEYS[0..CAP). Returns 0 with *OUT filled
 * and the keys the caller's; or -1 with *WHY (and OUT->bad_key) and no key made: not JSON, no
 * "keys", more than CAP usable keys, no usable key at all, or a key refused. */
int jwks_read(const char *text, size_t len, struct jwt_key **keys, size_t cap,
              struct jwks_result *out, const char **why);

#endif
