/* fuzz_ice_server_url: any text as an ICE server URL and as a Link header value: a parse or a
 * refusal, strings always terminated within their fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ice_server_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    struct ice_server_url u;
    const char *why;
    if (ice_server_url_parse(text, &u, &why) == 0 && (strlen(u.host) == 0 || u.port == 0))
        abort();
    struct ice_server_link links[4];
    size_t n = ice_server_link_parse((const char *)data, size, links, 4);
    for (size_t i = 0; i < n; i++)
        if (strnlen(links[i].url, sizeof links[i].url) == sizeof links[i].url)
            abort();
    free(text);
    return 0;
}
