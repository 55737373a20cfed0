/* byte_size: sizes as people write them on a command line: "104857600", "100M", "512K", "1G"
 * (binary units: K is 1024). */
#ifndef ONAIR_BASE_BYTE_SIZE_H
#define ONAIR_BASE_BYTE_SIZE_H
#include <stddef.h>
#include <stdint.h>

/* Parses the NUL-terminated TEXT into *BYTES: digits, then optionally one of K, M, G (or KiB,
 * MiB, GiB, any case). Returns 0, or -1 for anything else, an empty number or an overflow of
 * 2^63. Pure. */
int byte_size_parse(const char *text, uint64_t *bytes);

#endif
