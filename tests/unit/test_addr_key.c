/* Tests for base/addr_key and the server's by-address map built on it: the same ip:port over
 * UDP and over TCP are two peers (behind one NAT they can be two clients), an IPv4-mapped IPv6
 * address is the IPv4 peer, two addresses are the same IP whatever their ports (for TURN
 * permissions), and addresses print as ip:port. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "app/server.h"
#include "base/addr_key.h"

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static struct sockaddr_in6 v6(const char *ip, uint16_t port)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
}

#define SA(a) ((const struct sockaddr *)&(a))

static bool same_key(const struct sockaddr *a, enum addr_transport ta, const struct sockaddr *b,
                     enum addr_transport tb)
{
    uint8_t ka[ADDR_KEY_MAX], kb[ADDR_KEY_MAX];
    size_t na = addr_key(a, ta, ka), nb = addr_key(b, tb, kb);
    return na == nb && memcmp(ka, kb, na) == 0;
}

static void udp_and_tcp_at_one_address_differ(void **state)
{
    struct sockaddr_in nat = v4("10.77.0.2", 45996);
    assert_false(same_key(SA(nat), ADDR_UDP, SA(nat), ADDR_TCP));
    assert_true(same_key(SA(nat), ADDR_TCP, SA(nat), ADDR_TCP));
    struct sockaddr_in other_port = v4("10.77.0.2", 45997);
    assert_false(same_key(SA(nat), ADDR_UDP, SA(other_port), ADDR_UDP));
    struct sockaddr_in6 six = v6("2001:db8::2", 45996);
    uint8_t key[ADDR_KEY_MAX];
    assert_int_equal(addr_key(SA(six), ADDR_TCP, key), 20);
    assert_int_equal(addr_key(SA(nat), ADDR_TCP, key), 8);
    assert_false(same_key(SA(six), ADDR_UDP, SA(six), ADDR_TCP));
}

static void v4_mapped_is_the_v4_peer(void **state)
{
    struct sockaddr_in plain = v4("10.77.0.2", 5000);
    struct sockaddr_in6 mapped = v6("::ffff:10.77.0.2", 5000);
    assert_true(same_key(SA(plain), ADDR_UDP, SA(mapped), ADDR_UDP));
    assert_false(same_key(SA(plain), ADDR_UDP, SA(mapped), ADDR_TCP));
}

/* TURN permissions are per IP address: the port does not count, the address and the family
 * do, and an IPv4-mapped IPv6 address is the IPv4 one, as in its key. */
static void same_ip_ignores_the_port(void **state)
{
    struct sockaddr_in a = v4("10.77.0.2", 5000), a_other_port = v4("10.77.0.2", 5001);
    struct sockaddr_in b = v4("10.77.0.3", 5000);
    struct sockaddr_in6 mapped = v6("::ffff:10.77.0.2", 6000);
    struct sockaddr_in6 six = v6("2001:db8::2", 5000), six_other_port = v6("2001:db8::2", 443);
    struct sockaddr_in6 six_other = v6("2001:db8::3", 5000);
    assert_true(addr_same_ip(SA(a), SA(a_other_port)));
    assert_false(addr_same_ip(SA(a), SA(b)));
    assert_true(addr_same_ip(SA(a), SA(mapped)));
    assert_true(addr_same_ip(SA(six), SA(six_other_port)));
    assert_false(addr_same_ip(SA(six), SA(six_other)));
    assert_false(addr_same_ip(SA(a), SA(six)));
}

static void text(void **state)
{
    char buf[48];
    struct sockaddr_in plain = v4("10.77.0.2", 5000);
    struct sockaddr_in6 mapped = v6("::ffff:10.77.0.2", 5001);
    struct sockaddr_in6 six = v6("2001:db8::1", 443);
    assert_string_equal(addr_text(SA(plain), buf, sizeof buf), "10.77.0.2:5000");
    assert_string_equal(addr_text(SA(mapped), buf, sizeof buf), "10.77.0.2:5001");
    assert_string_equal(addr_text(SA(six), buf, sizeof buf), "[2001:db8::1]:443");
}

/* The bug seen behind a port-preserving NAT: a TCP viewer's session and a UDP viewer's session
 * at one ip:port overwrote each other in the server's by-address map. */
static void server_maps_both_peers(void **state)
{
    struct server srv;
    memset(&srv, 0, sizeof srv);
    hmap_init(&srv.by_addr);
    struct sockaddr_in nat = v4("10.77.0.2", 45996);
    int tcp_viewer, udp_viewer;
    server_map_address(&srv, SA(nat), ADDR_TCP, (struct session *)&tcp_viewer);
    server_map_address(&srv, SA(nat), ADDR_UDP, (struct session *)&udp_viewer);
    uint8_t key[ADDR_KEY_MAX];
    assert_ptr_equal(hmap_get(&srv.by_addr, key, server_address_key(SA(nat), ADDR_TCP, key)),
                     &tcp_viewer);
    assert_ptr_equal(hmap_get(&srv.by_addr, key, server_address_key(SA(nat), ADDR_UDP, key)),
                     &udp_viewer);
    server_unmap_address(&srv, SA(nat), ADDR_UDP);
    assert_ptr_equal(hmap_get(&srv.by_addr, key, server_address_key(SA(nat), ADDR_TCP, key)),
                     &tcp_viewer);
    assert_null(hmap_get(&srv.by_addr, key, server_address_key(SA(nat), ADDR_UDP, key)));
    /* A TCP peer with no ICE-TCP listener is sent nothing, not a UDP datagram instead (the
     * server has no UDP socket here: a send to it would crash). */
    server_send(&srv, (const uint8_t *)"x", 1, SA(nat), ADDR_TCP, NULL);
    hmap_free(&srv.by_addr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(udp_and_tcp_at_one_address_differ),
        cmocka_unit_test(v4_mapped_is_the_v4_peer),
        cmocka_unit_test(same_ip_ignores_the_port),
        cmocka_unit_test(text),
        cmocka_unit_test(server_maps_both_peers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
