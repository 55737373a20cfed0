/* fuzz_jwks: any bytes as a JWK Set given to --token-public-key. Keys come back for the three
 * algorithms, as many as there is room for, or none with a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/jwks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jwt_key *keys[4];
    struct jwks_result got;
    const char *why = NULL;
    if (jwks_read((const char *)data, size, keys, 4, &got, &why) < 0) {
        if (!why || !why[0] || got.n_keys)
            abort();
        return 0;
    }
    if (got.n_keys == 0 || got.n_keys > 4 || (got.skipped && !got.skip_why))
        abort();
    for (size_t i = 0; i < got.n_keys; i++) {
        const char *alg = jwt_key_alg(keys[i]);
        if (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0 && strcmp(alg, "EdDSA") != 0)
            abort();
        jwt_key_free(keys[i]);
    }
    return 0;
}
