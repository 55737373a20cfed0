/* fuzz_local_request: any Host and Origin. Trusted only when Host names this machine: so a Host
 * with neither "localhost" nor "127." in it, nor an IPv6 address, is never trusted, and an
 * Origin is trusted only when it ends with the Host. The input is Host, a NUL, then Origin. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/local_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 300)
        return 0;
    char text[302];
    memcpy(text, data, size);
    text[size] = 0;
    text[size + 1] = 0;
    const char *host = text, *origin = text + strlen(text) + 1;
    if (origin > text + size)
        origin = NULL;
    bool trusted = local_request_trusted(host, origin);
    bool names_local = strcasestr(host, "localhost") || strstr(host, "127.") || host[0] == '[';
    if (trusted && !names_local)
        abort();
    if (trusted && origin) {
        size_t h = strlen(host), o = strlen(origin);
        if (o < h || strcasecmp(origin + o - h, host) != 0)
            abort();
    }
    (void)local_request_trusted(NULL, origin);
    return 0;
}
