/* test_dtls_fingerprint: the a=fingerprint parser (RFC 8122 §5) on what browsers send and on
 * the near misses that must be refused, and the writer read back by the parser. */
/* cmocka needs these headers first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <string.h>

#include "rtc/dtls_fingerprint.h"

/* A SHA-256 fingerprint in the form browsers write. */
#define CHROME_SHA256                                                                              \
    "sha-256 "                                                                                     \
    "0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:"   \
    "A8:8E"

static void parses_a_browser_fingerprint(void **state)
{
    struct dtls_fingerprint fp;
    assert_int_equal(dtls_fingerprint_parse(&fp, CHROME_SHA256), 0);
    assert_int_equal(fp.hash, DTLS_FINGERPRINT_SHA256);
    assert_int_equal(fp.digest_len, 32);
    assert_int_equal(fp.digest[0], 0x0f);
    assert_int_equal(fp.digest[31], 0x8e);
    /* Blanks around and the line end are the SDP line's, not the value's. */
    assert_int_equal(dtls_fingerprint_parse(&fp, "  \t" CHROME_SHA256 " \r\n"), 0);
    /* Names and hex digits in either case, as the parser in dtls.c always took them. */
    assert_int_equal(dtls_fingerprint_parse(&fp, "SHA-1 00:11:22:33:44:55:66:77:88:99:aa:bb:"
                                                 "cc:dd:ee:ff:00:11:22:33"),
                     0);
    assert_int_equal(fp.hash, DTLS_FINGERPRINT_SHA1);
    assert_int_equal(fp.digest[10], 0xaa);
}

static void refuses_near_misses(void **state)
{
    static const char *bad[] = {
        "",
        "sha-256",
        "sha-256 ",
        "md5 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2",   /* refused hash */
        "sha-1 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2", /* too short for SHA-1 */
        CHROME_SHA256 ":00",                                     /* one pair too many */
        CHROME_SHA256 ":",                                       /* a trailing separator */
        CHROME_SHA256 "0",                                       /* half a pair */
        CHROME_SHA256 " x",                                      /* something after it */
        "sha-256 F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:"
        "33:0C:A4:60:A8:8E:0", /* pairs out of step */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dtls_fingerprint fp;
        assert_int_equal(dtls_fingerprint_parse(&fp, bad[i]), -1);
    }
}

/* Every accepted hash: a digest of its size written out reads back the same. */
static void format_reads_back(void **state)
{
    for (int hash = DTLS_FINGERPRINT_SHA1; hash <= DTLS_FINGERPRINT_SHA512; hash++) {
        uint8_t digest[DTLS_FINGERPRINT_DIGEST_MAX];
        size_t size = dtls_fingerprint_digest_size(hash);
        for (size_t i = 0; i < size; i++)
            digest[i] = (uint8_t)(i * 37 + hash);
        char prefix[16], text[16 + 3 * DTLS_FINGERPRINT_DIGEST_MAX];
        snprintf(prefix, sizeof prefix, "%s ", dtls_fingerprint_hash_name(hash));
        dtls_fingerprint_format(text, prefix, digest, size);
        assert_int_equal(strlen(text), strlen(prefix) + 3 * size - 1);
        struct dtls_fingerprint fp;
        assert_int_equal(dtls_fingerprint_parse(&fp, text), 0);
        assert_int_equal(fp.hash, hash);
        assert_int_equal(fp.digest_len, size);
        assert_memory_equal(fp.digest, digest, size);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_a_browser_fingerprint),
        cmocka_unit_test(refuses_near_misses),
        cmocka_unit_test(format_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
