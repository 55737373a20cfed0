/* leb128: the unsigned LEB128 numbers of AV1 (AV1 spec §4.10.5), at most 8 bytes, as the AV1 RTP
 * format and OBU size fields use them. Pure. */
#ifndef ONAIR_BASE_LEB128_H
#define ONAIR_BASE_LEB128_H
#include <stddef.h>
#include <stdint.h>

/* Reads one at P[*OFF..LEN) into *VALUE and moves *OFF past it. Returns 0, or -1 when it runs
 * past LEN or over 8 bytes. */
static inline int leb128_read(const uint8_t *p, size_t len, size_t *off, uint64_t *value)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        if (*off >= len)
            return -1;
        uint8_t b = p[(*off)++];
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *value = v;
            return 0;
        }
    }
    return -1;
}

/* The bytes V takes. */
static inline size_t leb128_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes V at P (leb128_size(V) bytes) and returns how many. */
static inline size_t leb128_write(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    do {
        p[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            p[n] |= 0x80;
        n++;
    } while (v);
    return n;
}

#endif
