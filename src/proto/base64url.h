/* base64url: the URL-safe base64 of RFC 4648 §5, without padding, as JWTs and JWKs write
 * bytes. Pure. */
#ifndef ONAIR_PROTO_BASE64URL_H
#define ONAIR_PROTO_BASE64URL_H
#include <stddef.h>
#include <stdint.h>

/* The 6-bit value of the base64url character C, or -1. */
int base64url_value(char c);

/* Decodes unpadded base64url TEXT[0..LEN) into OUT[0..CAP): its length, or -1 when TEXT is not
 * base64url or does not fit. */
long base64url_decode(const char *text, size_t len, uint8_t *out, size_t cap);

/* Encodes IN[0..LEN) as unpadded base64url into OUT, which has room for 4 * (LEN + 2) / 3 + 1
 * characters; returns the length written (OUT is NUL-terminated). */
size_t base64url_encode(const uint8_t *in, size_t len, char *out);

#endif
