/* fuzz_jwt_key: any bytes as --token-public-key's PEM file. A key comes back for one of the
 * three algorithms, or none with a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/jwt_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    struct jwt_key *key = jwt_key_from_pem((const char *)data, size, &why);
    if (key) {
        const char *alg = jwt_key_alg(key);
        if (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0 && strcmp(alg, "EdDSA") != 0)
            abort();
        /* No signature of these bytes by the key can be them. */
        if (jwt_key_verify(key, data, size, data, size < 64 ? size : 64))
            abort();
        jwt_key_free(key);
    } else if (!why || !why[0]) {
        abort();
    }
    return 0;
}
