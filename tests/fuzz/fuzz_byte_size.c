/* fuzz_byte_size: any text is a size or a refusal; an accepted size is what the digits and the
 * unit say, below 2^63. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/byte_size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64)
        return 0;
    char text[65];
    memcpy(text, data, size);
    text[size] = 0;
    uint64_t bytes = 0;
    if (byte_size_parse(text, &bytes) == 0) {
        if (bytes >= (uint64_t)1 << 63 || !(text[0] >= '0' && text[0] <= '9'))
            abort();
        uint64_t digits = strtoull(text, NULL, 10);
        if (bytes % (digits ? digits : 1) != 0 || (digits == 0 && bytes != 0))
            abort();
    }
    return 0;
}
