/* Tests for app/ice_servers: which URLs are accepted, the JSON list and the RFC 9725 Link
 * headers, with TURN credentials checked against an openssl-computed value. */
/* cmocka needs these headers first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>

#include "app/ice_servers.h"

static void accepts_stun_and_turn_urls(void **state)
{
    static const struct {
        const char *url;
        bool turn;
    } good[] = {
        {"stun:stun.example.net", false},
        {"stun:192.0.2.1:3478", false},
        {"stuns:stun.example.net:5349", false},
        {"turn:turn.example.net:3478?transport=udp", true},
        {"turn:[2001:db8::1]:3478?transport=tcp", true},
        {"turns:turn.example.net:443?transport=tcp", true},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        bool is_turn = !good[i].turn;
        const char *why = NULL;
        assert_int_equal(ice_servers_check_url(good[i].url, &is_turn, &why), 0);
        assert_int_equal(is_turn, good[i].turn);
    }
}

static void refuses_other_urls(void **state)
{
    static const char *const bad[] = {
        "http://turn.example.net",         /* not a STUN or TURN scheme */
        "turn:",                           /* no host */
        "turn::3478",                      /* no host */
        "turn://turn.example.net",         /* RFC 7065 URIs have no authority part */
        "stun:example.net?transport=udp",  /* transport is for TURN */
        "turn:a b",                        /* space */
        "turn:a\"b",                       /* would end the Link header's quoted string */
        "turn:a>b",                        /* would end the Link header's <URL> */
        "turn:a,b",                        /* would split the Link header */
        "TURN:example.net",                /* schemes are matched as browsers write them */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool is_turn;
        const char *why = NULL;
        assert_int_equal(ice_servers_check_url(bad[i], &is_turn, &why), -1);
        assert_non_null(why);
    }
}

static void config_needs_a_secret_for_turn(void **state)
{
    const char *why = NULL;
    struct ice_servers_config config = {.urls = {"stun:s.example.net"}, .n_urls = 1, .turn_ttl = 600};
    assert_int_equal(ice_servers_check_config(&config, &why), 0);
    config.urls[1] = "turn:t.example.net";
    config.n_urls = 2;
    assert_int_equal(ice_servers_check_config(&config, &why), -1);
    assert_non_null(strstr(why, "--turn-secret"));
    config.turn_secret = "s";
    assert_int_equal(ice_servers_check_config(&config, &why), 0);
    config.turn_ttl = 59;
    assert_int_equal(ice_servers_check_config(&config, &why), -1);
}

/* now 1699913600 + ttl 86400 = 1700000000, so the credentials are those of the reference
 * vector: printf %s 1700000000:live | openssl dgst -sha1 -hmac onair-secret -binary | base64 */
static const struct ice_servers_config reference = {
    .urls = {"stun:127.0.0.1:3478", "turn:127.0.0.1:3478?transport=udp",
             "turns:t.example.net:443?transport=tcp"},
    .n_urls = 3,
    .turn_secret = "onair-secret",
    .turn_ttl = 0, /* the default, 86400 */
};

static void json_groups_stun_and_turn(void **state)
{
    struct ice_servers_grant grant;
    const char *why = NULL;
    assert_int_equal(ice_servers_grant(&grant, &reference, 1699913600, "live", &why), 0);
    json_t *list = ice_servers_json(&grant);
    char *text = json_dumps(list, JSON_COMPACT);
    assert_string_equal(text, "[{\"urls\":[\"stun:127.0.0.1:3478\"]},"
                              "{\"urls\":[\"turn:127.0.0.1:3478?transport=udp\","
                              "\"turns:t.example.net:443?transport=tcp\"],"
                              "\"username\":\"1700000000:live\","
                              "\"credential\":\"+MKVQEc2JRJ3nIybXwwbjfWWubQ=\"}]");
    free(text);
    json_decref(list);
}

static void link_headers_follow_rfc9725(void **state)
{
    struct ice_servers_grant grant;
    const char *why = NULL;
    assert_int_equal(ice_servers_grant(&grant, &reference, 1699913600, "live", &why), 0);
    char link[512];
    int n = ice_servers_link(&grant, 0, link, sizeof link);
    assert_int_equal(n, (int)strlen(link));
    assert_string_equal(link, "<stun:127.0.0.1:3478>; rel=\"ice-server\"");
    assert_true(ice_servers_link(&grant, 1, link, sizeof link) > 0);
    assert_string_equal(link, "<turn:127.0.0.1:3478?transport=udp>; rel=\"ice-server\"; "
                              "username=\"1700000000:live\"; "
                              "credential=\"+MKVQEc2JRJ3nIybXwwbjfWWubQ=\"; "
                              "credential-type=\"password\"");
    assert_int_equal(ice_servers_link(&grant, 3, link, sizeof link), -1);
    /* One byte short of the NUL does not fit. */
    size_t len = strlen("<stun:127.0.0.1:3478>; rel=\"ice-server\"");
    assert_int_equal(ice_servers_link(&grant, 0, link, len), -1);
    assert_int_equal(ice_servers_link(&grant, 0, link, len + 1), (int)len);
}

static void random_ids_differ_and_stun_only_needs_none(void **state)
{
    struct ice_servers_grant a, b;
    const char *why = NULL;
    assert_int_equal(ice_servers_grant(&a, &reference, 1000, NULL, &why), 0);
    assert_int_equal(ice_servers_grant(&b, &reference, 1000, NULL, &why), 0);
    assert_true(a.has_credentials && b.has_credentials);
    assert_int_equal(strncmp(a.credentials.username, "87400:", 6), 0);
    assert_int_equal(strlen(a.credentials.username), 6 + 16);
    assert_string_not_equal(a.credentials.username, b.credentials.username);

    struct ice_servers_config stun_only = {.urls = {"stun:s.example.net"}, .n_urls = 1};
    assert_int_equal(ice_servers_grant(&a, &stun_only, 1000, NULL, &why), 0);
    assert_false(a.has_credentials);
    json_t *list = ice_servers_json(&a);
    char *text = json_dumps(list, JSON_COMPACT);
    assert_string_equal(text, "[{\"urls\":[\"stun:s.example.net\"]}]");
    free(text);
    json_decref(list);

    struct ice_servers_config none = {0};
    assert_int_equal(ice_servers_grant(&a, &none, 1000, NULL, &why), 0);
    list = ice_servers_json(&a);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_stun_and_turn_urls),
        cmocka_unit_test(refuses_other_urls),
        cmocka_unit_test(config_needs_a_secret_for_turn),
        cmocka_unit_test(json_groups_stun_and_turn),
        cmocka_unit_test(link_headers_follow_rfc9725),
        cmocka_unit_test(random_ids_differ_and_stun_only_needs_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
