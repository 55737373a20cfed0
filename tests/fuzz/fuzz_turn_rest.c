/* fuzz_turn_rest: TURN REST credentials minted from any expiry, secret and user id. The input
 * is 8 bytes of expiry (big-endian), then the secret, a NUL, and the id. Credentials are minted
 * exactly when the id and secret are usable, the username is "EXPIRY:ID", and the credential
 * is the base64 of the HMAC-SHA1 that OpenSSL's one-shot HMAC computes on its own. */
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/turn_rest.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > 512)
        return 0;
    uint64_t expiry = 0;
    for (int i = 0; i < 8; i++)
        expiry = expiry << 8 | data[i];
    /* Both strings end at their first NUL, as they would coming from C strings. */
    char strings[512] = {0};
    memcpy(strings, data + 8, size - 8);
    const char *secret = strings;
    const char *id = strings + strlen(secret) + 1;
    if (id > strings + (size - 8))
        id = "";

    struct turn_rest_credentials c;
    const char *why = NULL;
    int r = turn_rest_mint(&c, secret, expiry, id, &why);
    size_t id_len = strlen(id);
    int usable = id_len >= 1 && id_len <= TURN_REST_ID_MAX && !strchr(id, ':') && secret[0];
    if (r < 0) {
        CHECK(!usable && why && why[0]);
        return 0;
    }
    CHECK(r == 0 && usable);

    char want[TURN_REST_USERNAME_MAX];
    snprintf(want, sizeof want, "%" PRIu64 ":%s", expiry, id);
    CHECK(strcmp(c.username, want) == 0);

    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    CHECK(HMAC(EVP_sha1(), secret, (int)strlen(secret), (const uint8_t *)want, strlen(want), mac,
               &mac_len) != NULL);
    CHECK(mac_len == 20);
    /* 20 bytes are 28 base64 characters, the last one padding; decoding gives 21 bytes, the
     * last one from the padding. */
    CHECK(strlen(c.credential) == 28 && c.credential[27] == '=');
    uint8_t decoded[32];
    CHECK(EVP_DecodeBlock(decoded, (const uint8_t *)c.credential, 28) == 21);
    CHECK(memcmp(decoded, mac, 20) == 0);
    return 0;
}
