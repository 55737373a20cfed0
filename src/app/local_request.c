/* local_request: see local_request.h. */
#include "app/local_request.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Whether TEXT[0..LEN) is a port number: 1 to 5 digits. */
static bool is_port(const char *text, size_t len)
{
    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    return true;
}

/* Whether the host name or address NAME[0..LEN) (brackets removed) is this machine's. */
static bool loopback_name(const char *name, size_t len, bool bracketed)
{
    char text[64];
    if (len == 0 || len >= sizeof text)
        return false;
    memcpy(text, name, len);
    text[len] = 0;
    unsigned char addr[16];
    if (bracketed)
        return inet_pton(AF_INET6, text, addr) == 1 && memcmp(addr, &in6addr_loopback, 16) == 0;
    if (inet_pton(AF_INET, text, addr) == 1)
        return addr[0] == 127;
    return strcasecmp(text, "localhost") == 0;
}

/* Whether HOST ("name", "name:port", "[v6]" or "[v6]:port") names this machine. */
static bool loopback_host(const char *host)
{
    size_t n = strlen(host);
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close)
            return false;
        size_t after = n - (size_t)(close + 1 - host);
        if (after && (close[1] != ':' || !is_port(close + 2, after - 1)))
            return false;
        return loopback_name(host + 1, (size_t)(close - host - 1), true);
    }
    const char *colon = strchr(host, ':');
    if (colon && !is_port(colon + 1, n - (size_t)(colon + 1 - host)))
        return false;
    return loopback_name(host, colon ? (size_t)(colon - host) : n, false);
}

/* Whether ORIGIN is SCHEME://HOST for http or https. */
static bool same_origin(const char *origin, const char *host)
{
    static const char *const schemes[] = {"http://", "https://"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(schemes[i]);
        if (strncasecmp(origin, schemes[i], n) == 0 && strcasecmp(origin + n, host) == 0)
            return true;
    }
    return false;
}

bool local_request_trusted(const char *host, const char *origin)
{
    if (!host)
        return !origin;
    return loopback_host(host) && (!origin || same_origin(origin, host));
}
