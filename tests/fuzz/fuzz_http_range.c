/* fuzz_http_range: any Range header against a file of a size taken from the input. A partial
 * answer always lies inside the file and is not empty. The input is 2 bytes of size, then the
 * header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/http_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 300)
        return 0;
    uint64_t file_size = (uint64_t)data[0] << 8 | data[1];
    char header[300];
    memcpy(header, data + 2, size - 2);
    header[size - 2] = 0;
    uint64_t start = UINT64_MAX, len = UINT64_MAX;
    enum http_range_result r = http_range_parse(header, file_size, &start, &len);
    if (r == HTTP_RANGE_PARTIAL && (len == 0 || start >= file_size || len > file_size - start))
        abort();
    if (r != HTTP_RANGE_WHOLE && r != HTTP_RANGE_PARTIAL && r != HTTP_RANGE_UNSATISFIABLE)
        abort();
    return 0;
}
