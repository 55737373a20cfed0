/* addr_key: peer addresses as hash-map keys. */
#include "base/addr_key.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

size_t addr_key(const struct sockaddr *addr, enum addr_transport transport,
                uint8_t key[ADDR_KEY_MAX])
{
    key[1] = (uint8_t)transport;
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
        /* An IPv4-mapped IPv6 address is the same peer as the plain IPv4 one. */
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
            key[0] = 4;
            memcpy(key + 2, &v6->sin6_port, 2);
            memcpy(key + 4, &v6->sin6_addr.s6_addr[12], 4);
            return 8;
        }
        key[0] = 6;
        memcpy(key + 2, &v6->sin6_port, 2);
        memcpy(key + 4, &v6->sin6_addr, 16);
        return 20;
    }
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;
    key[0] = 4;
    memcpy(key + 2, &v4->sin_port, 2);
    memcpy(key + 4, &v4->sin_addr, 4);
    return 8;
}

bool addr_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
    uint8_t ka[ADDR_KEY_MAX], kb[ADDR_KEY_MAX];
    size_t na = addr_key(a, ADDR_UDP, ka), nb = addr_key(b, ADDR_UDP, kb);
    /* Bytes 2 and 3 hold the port; the family (byte 0) and the address (from byte 4) count. */
    return na == nb && ka[0] == kb[0] && memcmp(ka + 4, kb + 4, na - 4) == 0;
}

const char *addr_text(const struct sockaddr *addr, char *buf, size_t cap)
{
    char ip[INET6_ADDRSTRLEN];
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
            inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], ip, sizeof ip);
            snprintf(buf, cap, "%s:%u", ip, ntohs(v6->sin6_port));
        } else {
            inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
            snprintf(buf, cap, "[%s]:%u", ip, ntohs(v6->sin6_port));
        }
        return buf;
    }
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;
    inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
    snprintf(buf, cap, "%s:%u", ip, ntohs(v4->sin_port));
    return buf;
}
