/* test_turn_rest: TURN REST credentials against values computed independently with
 * `printf %s USERNAME | openssl dgst -sha1 -hmac SECRET -binary | base64`. */
/* cmocka needs these headers first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "proto/turn_rest.h"

/* secret "onair-secret", expiry 1700000000 (2023-11-14), id "live":
 *   printf %s 1700000000:live | openssl dgst -sha1 -hmac onair-secret
 *     = f8c2954047362512779c8c9b5f0c1b8df596b9b4, base64 +MKVQEc2JRJ3nIybXwwbjfWWubQ= */
static void mints_the_reference_vector(void **state)
{
    struct turn_rest_credentials c;
    const char *why = NULL;
    assert_int_equal(turn_rest_mint(&c, "onair-secret", 1700000000, "live", &why), 0);
    assert_string_equal(c.username, "1700000000:live");
    assert_string_equal(c.credential, "+MKVQEc2JRJ3nIybXwwbjfWWubQ=");
}

/* A small expiry is written without padding: coturn reads the leading decimal number. */
static void short_expiry_and_id(void **state)
{
    struct turn_rest_credentials c;
    const char *why = NULL;
    assert_int_equal(turn_rest_mint(&c, "north", 86400, "x", &why), 0);
    assert_string_equal(c.username, "86400:x");
    assert_string_equal(c.credential, "YG8q/J2LuKm9ZVEueef39DjfktA=");
}

/* A secret longer than SHA-1's 64-byte block is hashed first (RFC 2104 §2), and the largest
 * expiry still fits the username buffer. */
static void long_secret_and_largest_expiry(void **state)
{
    char secret[81];
    memset(secret, 'k', 80);
    secret[80] = 0;
    struct turn_rest_credentials c;
    const char *why = NULL;
    assert_int_equal(turn_rest_mint(&c, secret, UINT64_MAX, "0123456789abcdef", &why), 0);
    assert_string_equal(c.username, "18446744073709551615:0123456789abcdef");
    assert_string_equal(c.credential, "OKOT2gHZFdk4/3DGoKIC2BRZCtk=");
}

/* Another secret gives another credential for the same username: what makes a TURN server
 * configured with a different secret refuse it. */
static void the_secret_changes_the_credential(void **state)
{
    struct turn_rest_credentials c;
    const char *why = NULL;
    assert_int_equal(turn_rest_mint(&c, "wrong-secret", 1700000000, "live", &why), 0);
    assert_string_equal(c.username, "1700000000:live");
    assert_string_equal(c.credential, "otK3mVi4KxCwiU6f79SMuyEwrJ8=");
}

static void refuses_unusable_ids_and_secrets(void **state)
{
    struct turn_rest_credentials c;
    const char *why = NULL;
    assert_int_equal(turn_rest_mint(&c, "s", 1, "", &why), -1);
    assert_non_null(why);
    why = NULL;
    assert_int_equal(turn_rest_mint(&c, "s", 1, "a:b", &why), -1);
    assert_non_null(strstr(why, "':'"));
    why = NULL;
    assert_int_equal(turn_rest_mint(&c, "", 1, "live", &why), -1);
    assert_non_null(strstr(why, "secret"));

    char id[TURN_REST_ID_MAX + 2];
    memset(id, 'a', sizeof id - 1);
    id[sizeof id - 1] = 0;
    why = NULL;
    assert_int_equal(turn_rest_mint(&c, "s", UINT64_MAX, id, &why), -1);
    assert_non_null(why);
    /* The longest id allowed fits with the longest expiry. */
    id[TURN_REST_ID_MAX] = 0;
    assert_int_equal(turn_rest_mint(&c, "s", UINT64_MAX, id, &why), 0);
    assert_int_equal(strlen(c.username), 20 + 1 + TURN_REST_ID_MAX);
    assert_int_equal(strlen(c.credential), 28);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mints_the_reference_vector),
        cmocka_unit_test(short_expiry_and_id),
        cmocka_unit_test(long_secret_and_largest_expiry),
        cmocka_unit_test(the_secret_changes_the_credential),
        cmocka_unit_test(refuses_unusable_ids_and_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
