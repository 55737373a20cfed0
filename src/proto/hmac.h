/* hmac: keyed hashes (RFC 2104), made by OpenSSL, for what we sign: JWTs (HS256), TURN REST
 * credentials (HMAC-SHA1) and webhook bodies (HMAC-SHA256). Pure. */
#ifndef ONAIR_PROTO_HMAC_H
#define ONAIR_PROTO_HMAC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HMAC_SHA1_LEN 20
#define HMAC_SHA256_LEN 32

/* The HMAC of DATA[0..LEN) keyed with the string KEY, by DIGEST ("SHA1" or "SHA256"), into
 * MAC[0..MAC_LEN), MAC_LEN being that digest's size. Returns false when OpenSSL cannot make it
 * (a FIPS provider refusing SHA-1, say). */
bool hmac_make(const char *digest, const char *key, const void *data, size_t len, uint8_t *mac,
               size_t mac_len);

#endif
