/* fuzz_media_url: media_url_parse and media_url_redact on any text: a reason for every refusal,
 * a host for every camera URL, and a redacted copy that never shows a password or overruns. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/media_url.h"

/* The fuzzer aborts on any broken promise, not only on memory errors. */
static void require(int condition)
{
    if (!condition)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct media_url url;
    const char *why = NULL;
    if (media_url_parse(&url, text, &why) < 0) {
        require((url.kind == MEDIA_URL_RTSP || url.kind == MEDIA_URL_WHEP) && why && why[0]);
    } else if (url.kind == MEDIA_URL_RTSP || url.kind == MEDIA_URL_WHEP) {
        require(url.host[0] != '\0' && url.port != 0);
        require(strlen(url.host) < sizeof url.host);
    }
    if (url.kind == MEDIA_URL_WHEP) {
        /* The endpoint is http(s):// with no user information (the token stays out of it). */
        char endpoint[600], token[600];
        if (media_url_whep_endpoint(text, endpoint, sizeof endpoint, token, sizeof token) == 0) {
            require(strncmp(endpoint, "http://", 7) == 0 || strncmp(endpoint, "https://", 8) == 0);
            const char *authority = strstr(endpoint, "://") + 3;
            require(memchr(authority, '@', strcspn(authority, "/?#")) == NULL);
        }
    }
    char small[16], out[512];
    size_t n = media_url_redact(small, sizeof small, text);
    require(n < sizeof small && strlen(small) == n);
    n = media_url_redact(out, sizeof out, text);
    require(n < sizeof out && strlen(out) == n);
    /* A URL with a password never shows it: its user part ends in ":***@". */
    if (url.kind != MEDIA_URL_FILE && url.has_password && strlen(text) < 256)
        require(strstr(out, ":***@") != NULL);
    free(text);
    return 0;
}
