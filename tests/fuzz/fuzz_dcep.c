/* fuzz_dcep: dcep_decode_open / dcep_decode_ack, with every decoded OPEN encoded back to the
 * same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dcep.h"

/* The fuzzer aborts on any broken promise, not only on memory errors. */
static void require(int condition)
{
    if (!condition)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    (void)dcep_message_type(data, size);
    if (dcep_decode_ack(data, size, &why) < 0)
        require(why != NULL);
    else
        require(size == 1 && data[0] == DCEP_MSG_ACK);

    struct dcep_open o;
    why = NULL;
    if (dcep_decode_open(&o, data, size, &why) < 0) {
        require(why != NULL);
        return 0;
    }
    require(dcep_channel_type_valid(o.channel_type));
    require((const uint8_t *)o.label >= data &&
            (const uint8_t *)o.label + o.label_len <= data + size);
    require((const uint8_t *)o.protocol >= data &&
            (const uint8_t *)o.protocol + o.protocol_len <= data + size);
    require(dcep_open_size(&o) == size);
    uint8_t *out = malloc(size);
    require(out != NULL);
    require(dcep_encode_open(out, size, &o) == (ssize_t)size);
    require(memcmp(out, data, size) == 0);
    free(out);
    return 0;
}
