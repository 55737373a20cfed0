/* dtls_fingerprint: the a=fingerprint value of RFC 8122 §5, kept apart from the DTLS engine
 * (OpenSSL) so that it is a pure parser with a fuzz target. */
#include "rtc/dtls_fingerprint.h"

#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    size_t size;
} hashes[] = {
    [DTLS_FINGERPRINT_SHA1] = {"sha-1", 20},     [DTLS_FINGERPRINT_SHA224] = {"sha-224", 28},
    [DTLS_FINGERPRINT_SHA256] = {"sha-256", 32}, [DTLS_FINGERPRINT_SHA384] = {"sha-384", 48},
    [DTLS_FINGERPRINT_SHA512] = {"sha-512", 64},
};

const char *dtls_fingerprint_hash_name(enum dtls_fingerprint_hash hash)
{
    return hashes[hash].name;
}

size_t dtls_fingerprint_digest_size(enum dtls_fingerprint_hash hash)
{
    return hashes[hash].size;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The hash-func token at P[0..LEN), matched without regard to case: the parser did so when it
 * lived in dtls.c, and refusing "SHA-256" now would fail a peer that connects today. */
static int hash_lookup(const char *p, size_t len, enum dtls_fingerprint_hash *hash)
{
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
        if (strlen(hashes[i].name) == len && strncasecmp(p, hashes[i].name, len) == 0) {
            *hash = (enum dtls_fingerprint_hash)i;
            return 0;
        }
    return -1;
}

int dtls_fingerprint_parse(struct dtls_fingerprint *out, const char *text)
{
    memset(out, 0, sizeof *out);
    const char *p = text + strspn(text, " \t");
    size_t name_len = strcspn(p, " \t");
    if (hash_lookup(p, name_len, &out->hash) < 0)
        return -1;
    p += name_len;
    p += strspn(p, " \t");
    size_t want = hashes[out->hash].size, n = 0;
    for (;;) {
        int hi = hex_value(p[0]), lo = hi < 0 ? -1 : hex_value(p[1]);
        if (lo < 0 || n == want)
            return -1;
        out->digest[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
        if (*p != ':')
            break;
        p++;
    }
    p += strspn(p, " \t\r\n");
    if (*p || n != want)
        return -1;
    out->digest_len = n;
    return 0;
}

void dtls_fingerprint_format(char *out, const char *prefix, const uint8_t *digest, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t pos = strlen(prefix);
    memcpy(out, prefix, pos);
    for (size_t i = 0; i < len; i++) {
        if (i)
            out[pos++] = ':';
        out[pos++] = hex[digest[i] >> 4];
        out[pos++] = hex[digest[i] & 15];
    }
    out[pos] = 0;
}
