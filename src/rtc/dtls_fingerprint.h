/* dtls_fingerprint: the SDP a=fingerprint value (RFC 8122 §5), parsed and written without
 * OpenSSL so that the parser of a peer's SDP can be fuzzed on its own. */
#ifndef ONAIR_RTC_DTLS_FINGERPRINT_H
#define ONAIR_RTC_DTLS_FINGERPRINT_H
#include <stddef.h>
#include <stdint.h>

/* The hash functions we accept (RFC 8122 §5); MD2 and MD5 are refused. */
enum dtls_fingerprint_hash {
    DTLS_FINGERPRINT_SHA1,
    DTLS_FINGERPRINT_SHA224,
    DTLS_FINGERPRINT_SHA256,
    DTLS_FINGERPRINT_SHA384,
    DTLS_FINGERPRINT_SHA512,
};

/* SHA-512's 64 bytes, the longest digest accepted. */
#define DTLS_FINGERPRINT_DIGEST_MAX 64

struct dtls_fingerprint {
    enum dtls_fingerprint_hash hash;
    uint8_t digest[DTLS_FINGERPRINT_DIGEST_MAX];
    size_t digest_len; /* the hash's digest size */
};

/* The hash's name as SDP spells it, e.g. "sha-256", and its digest size in bytes. */
const char *dtls_fingerprint_hash_name(enum dtls_fingerprint_hash hash);
size_t dtls_fingerprint_digest_size(enum dtls_fingerprint_hash hash);

/* Parses an a=fingerprint value, "hash-func SP fingerprint" with the fingerprint hex pairs
 * joined by ':' (either case; blanks around, a line end after). Returns 0, or -1 when TEXT is
 * malformed, names another hash, or its digest is not that hash's size. */
int dtls_fingerprint_parse(struct dtls_fingerprint *out, const char *text);

/* Writes PREFIX, then DIGEST[0..LEN) as uppercase hex pairs joined by ':', NUL-terminated, into
 * OUT, which holds strlen(PREFIX) + 3 * LEN + 1 bytes. */
void dtls_fingerprint_format(char *out, const char *prefix, const uint8_t *digest, size_t len);

#endif
