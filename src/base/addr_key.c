/* addr_key: socket addresses as hash-map keys. */
#include "base/addr_key.h"

#include <netinet/in.h>
#include <string.h>

size_t addr_key(const struct sockaddr *addr, uint8_t key[ADDR_KEY_MAX])
{
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
        /* An IPv4-mapped IPv6 address is the same peer as the plain IPv4 one. */
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
            key[0] = 4;
            memcpy(key + 1, &v6->sin6_port, 2);
            memcpy(key + 3, &v6->sin6_addr.s6_addr[12], 4);
            return 7;
        }
        key[0] = 6;
        memcpy(key + 1, &v6->sin6_port, 2);
        memcpy(key + 3, &v6->sin6_addr, 16);
        return 19;
    }
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;
    key[0] = 4;
    memcpy(key + 1, &v4->sin_port, 2);
    memcpy(key + 3, &v4->sin_addr, 4);
    return 7;
}
