/* test_ice_server_url: the TURN/STUN URLs and Link headers onair's clients take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/ice_server_url.h"

static void test_urls(void **state)
{
    (void)state;
    struct ice_server_url u;
    const char *why;
    assert_int_equal(ice_server_url_parse("turn:127.0.0.1:3478?transport=tcp", &u, &why), 0);
    assert_true(u.turn && u.tcp && !u.secure);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 3478);
    assert_int_equal(ice_server_url_parse("turn:turn.example.net", &u, &why), 0);
    assert_true(u.turn && !u.tcp);
    assert_int_equal(u.port, 3478);
    assert_int_equal(ice_server_url_parse("turns:[2001:db8::1]:443", &u, &why), 0);
    assert_true(u.secure && u.tcp);
    assert_string_equal(u.host, "2001:db8::1");
    assert_int_equal(u.port, 443);
    assert_int_equal(ice_server_url_parse("stun:stun.example.net", &u, &why), 0);
    assert_false(u.turn);
    static const char *bad[] = {"http://x", "turn:", "turn:host:0", "turn:host:99999",
                                "turn:host?transport=sctp", "turn:[::1", "turn:host:12ab",
                                "turns:host?transport=udp"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ice_server_url_parse(bad[i], &u, &why), -1);
}

static void test_links(void **state)
{
    (void)state;
    /* onair's own form (RFC 9725 §4.6), two links in one header, and a link of another rel. */
    static const char value[] =
        "<stun:127.0.0.1:3478>; rel=\"ice-server\", "
        "<turn:127.0.0.1:3478?transport=udp>; rel=\"ice-server\"; username=\"1700000000:cam\"; "
        "credential=\"abc/+=\"; credential-type=\"password\", "
        "</other>; rel=\"next\"";
    struct ice_server_link links[4];
    size_t n = ice_server_link_parse(value, strlen(value), links, 4);
    assert_int_equal(n, 2);
    assert_string_equal(links[0].url, "stun:127.0.0.1:3478");
    assert_string_equal(links[0].username, "");
    assert_string_equal(links[1].url, "turn:127.0.0.1:3478?transport=udp");
    assert_string_equal(links[1].username, "1700000000:cam");
    assert_string_equal(links[1].credential, "abc/+=");
    /* Garbage yields nothing, and never reads past LEN. */
    assert_int_equal(ice_server_link_parse("<<<;;==\"", 8, links, 4), 0);
    assert_int_equal(ice_server_link_parse("<turn:x>; rel=\"ice-server", 24, links, 4), 0);
    assert_int_equal(ice_server_link_parse(value, 10, links, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
