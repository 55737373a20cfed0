/* fuzz_jwt: any bearer token against the secret "k", and against an EC P-256 public key (whose
 * private half signed the corpus's es256-* tokens). A token passes only with a signature by "k"
 * or the key, a role, a stream and an expiry at most JWT_LEEWAY_S ago; every refusal has a
 * reason; and whatever the input, a token onair signs for it reads back as signed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/jwt.h"
#include "proto/jwt_key.h"

#define NOW 1800000000

static const char public_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFqRs68uAliUwwkbWqTXKsWss+CjF\n"
    "0ChygL0pIUbZ8SzB4UOWWO5tu4zAcOUX65wZ4kYSqctRS/slu3vjiEEGlg==\n"
    "-----END PUBLIC KEY-----\n";

/* Whether TOKEN[0..SIZE) is a grant by SECRET or KEY, checking what a grant must hold. */
static void check_token(const char *token, size_t size, const char *secret, struct jwt_key *key)
{
    struct jwt_grant grant;
    const char *why = NULL;
    if (jwt_verify(&grant, token, size, secret, &key, key != NULL, NOW, &why) == 0) {
        if (!jwt_shaped(token, size) || !grant.stream[0] || grant.expires < NOW - JWT_LEEWAY_S)
            abort();
    } else if (!why || (!jwt_shaped(token, size) && size <= JWT_MAX_LEN &&
                        strcmp(why, "not a JWT (three base64url parts joined by '.')") != 0)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct jwt_key *key;
    const char *why = NULL;
    if (!key && !(key = jwt_key_from_pem(public_pem, strlen(public_pem), &why)))
        abort();
    const char *token = (const char *)data;
    check_token(token, size, "k", NULL);
    check_token(token, size, NULL, key);
    check_token(token, size, "k", key);
    struct jwt_grant grant;

    /* The input's first bytes as a stream name (any bytes but NUL: JSON escapes them). */
    char stream[64];
    size_t n = size < sizeof stream - 1 ? size : sizeof stream - 1;
    memcpy(stream, data, n);
    stream[n] = 0;
    if (!stream[0])
        return 0;
    char signed_token[1024];
    int len = jwt_sign(signed_token, sizeof signed_token, "k", stream,
                       size % 2 ? "publish" : "watch", NOW + 1 + (int64_t)size);
    if (len < 0)
        return 0; /* not UTF-8: jansson will not write it */
    if (jwt_verify(&grant, signed_token, (size_t)len, "k", NULL, 0, NOW, &why) != 0 ||
        strcmp(grant.stream, stream) != 0 || grant.publish != (size % 2 == 1) ||
        grant.expires != NOW + 1 + (int64_t)size)
        abort();
    return 0;
}
