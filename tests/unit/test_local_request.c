/* Tests for app/local_request: a loopback request manages open streams only when its Host names
 * this machine and its Origin, if any, is this server; a page of another site (its Origin) and a
 * name rebound to 127.0.0.1 (its Host) do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/local_request.h"

static void tools_on_this_machine_are_trusted(void **state)
{
    (void)state;
    /* curl, scripts: no Origin. */
    assert_true(local_request_trusted("127.0.0.1:8080", NULL));
    assert_true(local_request_trusted("localhost", NULL));
    assert_true(local_request_trusted("LocalHost:8080", NULL));
    assert_true(local_request_trusted("127.3.4.5:1", NULL));
    assert_true(local_request_trusted("[::1]:8080", NULL));
    assert_true(local_request_trusted("[::1]", NULL));
    assert_true(local_request_trusted(NULL, NULL)); /* HTTP/1.0 sends no Host; no browser does */
}

static void this_servers_own_pages_are_trusted(void **state)
{
    (void)state;
    assert_true(local_request_trusted("127.0.0.1:8080", "http://127.0.0.1:8080"));
    assert_true(local_request_trusted("localhost:8443", "https://localhost:8443"));
    assert_true(local_request_trusted("[::1]:8080", "http://[::1]:8080"));
}

static void other_sites_pages_are_not(void **state)
{
    (void)state;
    assert_false(local_request_trusted("127.0.0.1:8080", "https://evil.example"));
    assert_false(local_request_trusted("127.0.0.1:8080", "null")); /* a sandboxed frame, a file */
    assert_false(local_request_trusted("127.0.0.1:8080", "http://127.0.0.1:9090"));
    assert_false(local_request_trusted("127.0.0.1:8080", "ftp://127.0.0.1:8080"));
    assert_false(local_request_trusted(NULL, "http://127.0.0.1:8080"));
}

static void names_that_are_not_this_machine_are_not(void **state)
{
    (void)state;
    /* DNS rebinding: the page's own name, resolved to 127.0.0.1, is its Host and Origin. */
    assert_false(local_request_trusted("evil.example:8080", "http://evil.example:8080"));
    assert_false(local_request_trusted("evil.example:8080", NULL));
    assert_false(local_request_trusted("localhost.evil.example", NULL));
    assert_false(local_request_trusted("127.0.0.1.evil.example", NULL));
    assert_false(local_request_trusted("128.0.0.1", NULL));
    assert_false(local_request_trusted("[::2]:8080", NULL));
    assert_false(local_request_trusted("::1", NULL)); /* an IPv6 Host has brackets */
    assert_false(local_request_trusted("127.0.0.1:80x", NULL));
    assert_false(local_request_trusted("127.0.0.1:", NULL));
    assert_false(local_request_trusted("[::1]x", NULL));
    assert_false(local_request_trusted("[::1", NULL));
    assert_false(local_request_trusted("", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tools_on_this_machine_are_trusted),
        cmocka_unit_test(this_servers_own_pages_are_trusted),
        cmocka_unit_test(other_sites_pages_are_not),
        cmocka_unit_test(names_that_are_not_this_machine_are_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
