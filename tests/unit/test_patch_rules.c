/* test_patch_rules: each rule of a WHIP/WHEP PATCH (RFC 9725 §4.3, RFC 8840) on a session whose
 * ETag is "etag1" and whose client's ICE ufrag is "cl1". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "app/patch_rules.h"

#define SDPFRAG "application/trickle-ice-sdpfrag"

/* A trickle from Chromium's shape: credentials, the first section, one candidate, the end. */
static const char trickle[] =
    "a=ice-ufrag:cl1\r\n"
    "a=ice-pwd:0123456789abcdefghijkl\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=mid:0\r\n"
    "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0\r\n"
    "a=end-of-candidates\r\n";

/* A restart: new credentials, in the section this time (RFC 8840 allows both places). */
static const char restart[] =
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=mid:0\r\n"
    "a=ice-ufrag:cl2\r\n"
    "a=ice-pwd:zyxwvutsrqponmlkjihgfe\r\n";

static struct patch_decision decide(const char *type, const char *if_match, const char *body)
{
    static struct sdp_session frag;
    struct patch_decision d;
    patch_decide(&d, type, if_match, "etag1", "cl1", body, strlen(body), &frag);
    return d;
}

static void test_trickle_with_etag(void **state)
{
    struct patch_decision d = decide(SDPFRAG, "\"etag1\"", trickle);
    assert_int_equal(d.action, PATCH_TRICKLE);
    /* Candidates alone, without credentials, are a trickle of the current generation. */
    d = decide(SDPFRAG, "\"etag1\"",
               "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
               "a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n");
    assert_int_equal(d.action, PATCH_TRICKLE);
}

static void test_wrong_content_type_is_415(void **state)
{
    struct patch_decision d = decide("application/sdp", "\"etag1\"", trickle);
    assert_int_equal(d.action, PATCH_REFUSE);
    assert_int_equal(d.status, 415);
    assert_non_null(strstr(d.reason, "trickle-ice-sdpfrag"));
    assert_int_equal(decide(NULL, "\"etag1\"", trickle).status, 415);
}

/* Without If-Match a trickle is taken only when it names the session's ufrag (medooze's WHEP
 * client sends no If-Match); anything else could be stale or a restart, and gets 428. */
static void test_missing_if_match(void **state)
{
    assert_int_equal(decide(SDPFRAG, NULL, trickle).action, PATCH_TRICKLE);
    const char *refused[] = {
        restart, /* new credentials: a restart needs If-Match "*" */
        "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
        "a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n", /* no ufrag: no way to tell */
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct patch_decision d = decide(SDPFRAG, NULL, refused[i]);
        assert_int_equal(d.action, PATCH_REFUSE);
        assert_int_equal(d.status, 428);
        assert_non_null(strstr(d.reason, "If-Match"));
    }
}

static void test_stale_etag_is_412(void **state)
{
    struct patch_decision d = decide(SDPFRAG, "\"etag0\"", trickle);
    assert_int_equal(d.status, 412);
    assert_non_null(strstr(d.reason, "etag1"));
    /* The tag must be quoted, and whole. */
    assert_int_equal(decide(SDPFRAG, "etag1", trickle).status, 412);
    assert_int_equal(decide(SDPFRAG, "\"etag\"", trickle).status, 412);
    assert_int_equal(decide(SDPFRAG, "\"etag1x\"", trickle).status, 412);
    /* "*" quoted is a tag, not the wildcard: the refusal says how a restart is asked. */
    d = decide(SDPFRAG, "\"*\"", trickle);
    assert_int_equal(d.status, 412);
    assert_non_null(strstr(d.reason, "an ICE restart is If-Match: * (no quotes)"));
    assert_null(strstr(decide(SDPFRAG, "\"etag0\"", trickle).reason, "no quotes"));
}

static void test_other_generation_is_422(void **state)
{
    char body[sizeof trickle];
    strcpy(body, trickle);
    memcpy(strstr(body, "cl1"), "old", 3);
    struct patch_decision d = decide(SDPFRAG, "\"etag1\"", body);
    assert_int_equal(d.action, PATCH_REFUSE);
    assert_int_equal(d.status, 422);
    assert_non_null(strstr(d.reason, "old"));
    assert_non_null(strstr(d.reason, "cl1"));
}

static void test_garbage_is_400(void **state)
{
    struct patch_decision d = decide(SDPFRAG, "\"etag1\"", "hello\r\n");
    assert_int_equal(d.status, 400);
    assert_non_null(strstr(d.reason, "malformed SDP fragment"));
    d = decide(SDPFRAG, "\"etag1\"", "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=candidate:1 1 udp\r\n");
    assert_int_equal(d.status, 400);
    assert_non_null(strstr(d.reason, "a=candidate"));
    assert_int_equal(decide(SDPFRAG, "\"etag1\"", "").status, 400);
    assert_int_equal(decide(SDPFRAG, "*", "").status, 400);
}

static void test_restart(void **state)
{
    struct patch_decision d = decide(SDPFRAG, "*", restart);
    assert_int_equal(d.action, PATCH_RESTART);
    assert_string_equal(d.ufrag, "cl2");
    assert_string_equal(d.pwd, "zyxwvutsrqponmlkjihgfe");
}

static void test_restart_needs_new_credentials(void **state)
{
    /* The current ufrag again is no restart. */
    struct patch_decision d = decide(SDPFRAG, "*", trickle);
    assert_int_equal(d.status, 400);
    assert_non_null(strstr(d.reason, "new a=ice-ufrag"));
    d = decide(SDPFRAG, "*", "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=ice-ufrag:cl2\r\n");
    assert_int_equal(d.status, 400);
    assert_non_null(strstr(d.reason, "a=ice-pwd"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trickle_with_etag),
        cmocka_unit_test(test_wrong_content_type_is_415),
        cmocka_unit_test(test_missing_if_match),
        cmocka_unit_test(test_stale_etag_is_412),
        cmocka_unit_test(test_other_generation_is_422),
        cmocka_unit_test(test_garbage_is_400),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_restart_needs_new_credentials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
