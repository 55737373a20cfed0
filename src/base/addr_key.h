/* addr_key: a peer's address as a short byte key (transport, family, port, address), for hash
 * maps of peers. An IPv4-mapped IPv6 address gives the same key as the plain IPv4 one. */
#ifndef ONAIR_BASE_ADDR_KEY_H
#define ONAIR_BASE_ADDR_KEY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDR_KEY_MAX 20

/* How a peer reaches us. The same ip:port over UDP and over TCP are two peers: a NAT keeps
 * source ports for both protocols where it can, and the two need not be one client. */
enum addr_transport { ADDR_UDP = 0, ADDR_TCP = 1 };

/* Writes the key of ADDR over TRANSPORT into KEY and returns its length (8 for IPv4, 20 for
 * IPv6). */
size_t addr_key(const struct sockaddr *addr, enum addr_transport transport,
                uint8_t key[ADDR_KEY_MAX]);

/* Whether A and B are the same IP address, whatever their ports: the key without its port.
 * TURN permissions are per IP address (RFC 8656 §9). */
bool addr_same_ip(const struct sockaddr *a, const struct sockaddr *b);

/* Writes ADDR as text into BUF[0..CAP) and returns BUF: "192.0.2.1:5000", "[2001:db8::1]:5000",
 * an IPv4-mapped IPv6 address as the plain IPv4 one. 48 bytes hold any. */
const char *addr_text(const struct sockaddr *addr, char *buf, size_t cap);

#endif
