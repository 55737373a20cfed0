/* turn_rest: time-limited TURN credentials for coturn's use-auth-secret (the "TURN REST API"). */
#ifndef ONAIR_PROTO_TURN_REST_H
#define ONAIR_PROTO_TURN_REST_H
#include <stddef.h>
#include <stdint.h>

/* Room for "EXPIRY:ID" with a 20-digit expiry and an ID of up to 100 bytes. */
#define TURN_REST_USERNAME_MAX 128
/* Base64 of a 20-byte HMAC-SHA1 is 28 characters. */
#define TURN_REST_CREDENTIAL_MAX 32
#define TURN_REST_ID_MAX 100

struct turn_rest_credentials {
    char username[TURN_REST_USERNAME_MAX];     /* "EXPIRY:ID", NUL-terminated */
    char credential[TURN_REST_CREDENTIAL_MAX]; /* base64(HMAC-SHA1(secret, username)) */
};

/* Mints the credentials a TURN server sharing SECRET accepts until EXPIRY (Unix seconds):
 * username "EXPIRY:ID", credential base64(HMAC-SHA1(SECRET, username)). ID names the user in
 * the TURN server's logs; it must be 1..TURN_REST_ID_MAX bytes without ':' (the separator).
 * Returns 0, or -1 with *why set when ID is unusable or SECRET is empty. */
int turn_rest_mint(struct turn_rest_credentials *out, const char *secret, uint64_t expiry,
                   const char *id, const char **why);

#endif
