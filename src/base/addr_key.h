/* addr_key: a socket address as a short byte key (family, port, address), for hash maps of
 * peers. An IPv4-mapped IPv6 address gives the same key as the plain IPv4 one. */
#ifndef ONAIR_BASE_ADDR_KEY_H
#define ONAIR_BASE_ADDR_KEY_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDR_KEY_MAX 20

/* Writes ADDR's key into KEY and returns its length (7 for IPv4, 19 for IPv6). */
size_t addr_key(const struct sockaddr *addr, uint8_t key[ADDR_KEY_MAX]);

#endif
