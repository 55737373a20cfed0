/* turn_rest: time-limited TURN credentials for coturn's use-auth-secret (the "TURN REST API"). */
#include "proto/turn_rest.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "proto/hmac.h"

/* draft-uberti-behave-turn-rest-00 §2.2, which coturn implements as use-auth-secret: the
 * username is the expiry timestamp and a user id joined by ':', and the password is the
 * base64 of HMAC-SHA1 over the username, keyed with the secret shared with the TURN server.
 * The TURN server recomputes the password from the username alone and refuses expired ones,
 * so credentials are minted per request and no state is kept. */
int turn_rest_mint(struct turn_rest_credentials *out, const char *secret, uint64_t expiry,
                   const char *id, const char **why)
{
    size_t id_len = strlen(id);
    if (id_len == 0 || id_len > TURN_REST_ID_MAX) {
        *why = "the TURN user id must be 1 to 100 bytes";
        return -1;
    }
    if (strchr(id, ':')) {
        *why = "the TURN user id must not contain ':'";
        return -1;
    }
    if (!secret || !*secret) {
        *why = "the TURN secret is empty";
        return -1;
    }
    int n = snprintf(out->username, sizeof out->username, "%" PRIu64 ":%s", expiry, id);
    if (n < 0 || (size_t)n >= sizeof out->username) {
        *why = "the TURN username does not fit";
        return -1;
    }
    uint8_t mac[HMAC_SHA1_LEN];
    if (!hmac_make("SHA1", secret, out->username, (size_t)n, mac, sizeof mac)) {
        *why = "HMAC-SHA1 is not available";
        return -1;
    }
    /* 20 bytes encode to 28 characters and a NUL, within TURN_REST_CREDENTIAL_MAX. */
    EVP_EncodeBlock((unsigned char *)out->credential, mac, (int)sizeof mac);
    return 0;
}
