/* hmac: OpenSSL's one-shot MAC, checked for the size we expect. */
#include "proto/hmac.h"

#include <openssl/evp.h>
#include <string.h>

bool hmac_make(const char *digest, const char *key, const void *data, size_t len, uint8_t *mac,
               size_t mac_len)
{
    size_t made = 0;
    return EVP_Q_mac(NULL, "HMAC", NULL, digest, NULL, key, strlen(key), data, len, mac, mac_len,
                     &made) &&
           made == mac_len;
}
