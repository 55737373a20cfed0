/* fuzz_vp8_ids: any payload is read without reading past it, and writing back what was read
 * leaves it as it was. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/vp8_ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    struct vp8_ids ids;
    const char *why = NULL;
    if (vp8_ids_parse(&ids, copy, size, &why) == 0) {
        vp8_ids_write(copy, &ids);
        if (memcmp(copy, data, size) != 0)
            abort();
    } else if (!why) {
        abort();
    }
    free(copy);
    return 0;
}
