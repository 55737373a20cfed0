/* byte_size: the parser behind --max-file-size. */
#include "base/byte_size.h"

#include <strings.h>

int byte_size_parse(const char *text, uint64_t *bytes)
{
    const uint64_t limit = (uint64_t)1 << 63;
    uint64_t value = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t digit = (uint64_t)(*p - '0');
        if (value > (limit - 1 - digit) / 10)
            return -1; /* checked before multiplying: a wrapped product would look small */
        value = value * 10 + digit;
    }
    if (p == text)
        return -1;
    unsigned shift = 0;
    if (*p) {
        switch (*p) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return -1;
        }
        p++;
        if (*p && strcasecmp(p, "iB") != 0)
            return -1;
    }
    if (value > (limit - 1) >> shift)
        return -1;
    *bytes = value << shift;
    return 0;
}
