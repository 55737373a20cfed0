/* base64url: RFC 4648 §5, unpadded, as JOSE writes it. */
#include "proto/base64url.h"

#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_value(char c)
{
    const char *at = c ? strchr(alphabet, c) : NULL;
    return at ? (int)(at - alphabet) : -1;
}

long base64url_decode(const char *text, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4 == 1)
        return -1; /* one character is 6 bits: no whole byte */
    size_t n = 0;
    uint32_t bits = 0;
    int have = 0;
    for (size_t i = 0; i < len; i++) {
        int v = base64url_value(text[i]);
        if (v < 0)
            return -1;
        bits = (bits << 6) | (uint32_t)v;
        have += 6;
        if (have >= 8) {
            have -= 8;
            if (n == cap)
                return -1;
            out[n++] = (uint8_t)(bits >> have);
            bits &= (1u << have) - 1;
        }
    }
    return (long)n;
}

size_t base64url_encode(const uint8_t *in, size_t len, char *out)
{
    size_t n = 0;
    uint32_t bits = 0;
    int have = 0;
    for (size_t i = 0; i < len; i++) {
        bits = (bits << 8) | in[i];
        have += 8;
        while (have >= 6) {
            have -= 6;
            out[n++] = alphabet[(bits >> have) & 63];
        }
        bits &= (1u << have) - 1;
    }
    if (have)
        out[n++] = alphabet[(bits << (6 - have)) & 63];
    out[n] = 0;
    return n;
}
