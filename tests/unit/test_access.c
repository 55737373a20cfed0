/* test_access: who may publish and watch which stream, from --publish-token and --watch-token,
 * and the Authorization headers that pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "app/access.h"
#include "proto/jwt.h"
#include "proto/jwt_key.h"

static struct access_rules rules;

static int setup(void **state)
{
    (void)state;
    memset(&rules, 0, sizeof rules);
    const char *why = NULL;
    assert_int_equal(access_add(&rules, ACCESS_PUBLISH, "cam=cam-secret", &why), 0);
    assert_int_equal(access_add(&rules, ACCESS_PUBLISH, "cam=second.one", &why), 0);
    assert_int_equal(access_add(&rules, ACCESS_PUBLISH, "everywhere/+~_-9==", &why), 0);
    assert_int_equal(access_add(&rules, ACCESS_WATCH, "private=look", &why), 0);
    return 0;
}

static void test_open_without_tokens(void **state)
{
    (void)state;
    /* Nobody needs a token to watch a stream that has none, whatever the header says. */
    assert_false(access_needs_token(&rules, ACCESS_WATCH, "cam"));
    assert_int_equal(access_check(&rules, ACCESS_WATCH, "cam", NULL, 0, NULL), ACCESS_GRANTED);
    assert_int_equal(access_check(&rules, ACCESS_WATCH, "cam", "Bearer junk", 0, NULL),
                     ACCESS_GRANTED);
    /* A server is open only while it has no token of either kind. */
    assert_false(access_open(&rules));
    struct access_rules none = {0}, watch_only = {0};
    const char *why = NULL;
    assert_int_equal(access_add(&watch_only, ACCESS_WATCH, "private=look", &why), 0);
    assert_true(access_open(&none));
    assert_false(access_open(&watch_only));
}

static void test_watch_tokens_unguarded(void **state)
{
    (void)state;
    const char *why = NULL;
    /* setup's rules: "private" has a watch token and, publishing having a token for every
     * stream, needs one to publish too. */
    assert_false(access_watch_token_unguarded(&rules, 0));
    struct access_rules r = {0};
    assert_int_equal(access_add(&r, ACCESS_WATCH, "show=look-at-the-show", &why), 0);
    assert_int_equal(access_add(&r, ACCESS_WATCH, "every-stream-watch", &why), 0);
    assert_true(access_watch_token_unguarded(&r, 0));
    assert_true(access_watch_token_unguarded(&r, 1));
    /* A publish token for "show" guards show; the watch token for every stream still covers
     * streams that have no publish token. */
    assert_int_equal(access_add(&r, ACCESS_PUBLISH, "show=publish-the-show", &why), 0);
    assert_false(access_watch_token_unguarded(&r, 0));
    assert_true(access_watch_token_unguarded(&r, 1));
    /* Neither a publish token for a name that only starts the same ... */
    struct access_rules prefix = {0};
    assert_int_equal(access_add(&prefix, ACCESS_WATCH, "show=look-at-the-show", &why), 0);
    assert_int_equal(access_add(&prefix, ACCESS_PUBLISH, "sho=publish-the-show", &why), 0);
    assert_true(access_watch_token_unguarded(&prefix, 0));
    /* ... but a secret makes every stream need a token, to publish as well. */
    prefix.secret = "a-secret-of-thirty-two-characters!";
    assert_false(access_watch_token_unguarded(&prefix, 0));
}

static void test_stream_tokens_replace_the_global_ones(void **state)
{
    (void)state;
    static const struct {
        enum access_action action;
        const char *stream, *header;
        enum access_verdict verdict;
    } cases[] = {
        {ACCESS_PUBLISH, "cam", "Bearer cam-secret", ACCESS_GRANTED},
        {ACCESS_PUBLISH, "cam", "Bearer second.one", ACCESS_GRANTED},
        /* The token for every stream does not open one with tokens of its own ... */
        {ACCESS_PUBLISH, "cam", "Bearer everywhere/+~_-9==", ACCESS_BAD_TOKEN},
        /* ... and a stream's token opens no other stream. */
        {ACCESS_PUBLISH, "lobby", "Bearer cam-secret", ACCESS_BAD_TOKEN},
        {ACCESS_PUBLISH, "lobby", "Bearer everywhere/+~_-9==", ACCESS_GRANTED},
        {ACCESS_WATCH, "private", "Bearer look", ACCESS_GRANTED},
        /* Publishing and watching are separate lists. */
        {ACCESS_PUBLISH, "private", "Bearer look", ACCESS_BAD_TOKEN},
        /* Names and tokens are whole: no prefix or longer string passes. */
        {ACCESS_PUBLISH, "ca", "Bearer cam-secret", ACCESS_BAD_TOKEN},
        {ACCESS_PUBLISH, "cam", "Bearer cam-secre", ACCESS_BAD_TOKEN},
        {ACCESS_PUBLISH, "cam", "Bearer cam-secrets", ACCESS_BAD_TOKEN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(
            access_check(&rules, cases[i].action, cases[i].stream, cases[i].header, 0, NULL),
            cases[i].verdict);
}

static void test_headers(void **state)
{
    (void)state;
    static const struct {
        const char *header;
        enum access_verdict verdict;
    } cases[] = {
        {NULL, ACCESS_NO_TOKEN},
        {"", ACCESS_NO_TOKEN},
        {"Basic Y2FtOmNhbS1zZWNyZXQ=", ACCESS_NO_TOKEN},
        {"cam-secret", ACCESS_NO_TOKEN},
        {"Bearer cam-secret", ACCESS_GRANTED},
        {"bearer cam-secret", ACCESS_GRANTED},     /* the scheme in any case (RFC 7235 §2.1) */
        {"BEARER   cam-secret  ", ACCESS_GRANTED}, /* spaces around the token */
        {"Bearer", ACCESS_BAD_TOKEN},
        {"Bearer ", ACCESS_BAD_TOKEN},
        {"Bearercam-secret", ACCESS_BAD_TOKEN},
        {"Bearer cam-secret extra", ACCESS_BAD_TOKEN},
        {"Bearer \"cam-secret\"", ACCESS_BAD_TOKEN},
        {"Bearer cam-secret,", ACCESS_BAD_TOKEN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(access_check(&rules, ACCESS_PUBLISH, "cam", cases[i].header, 0, NULL),
                         cases[i].verdict);
}

static void test_bearer_token(void **state)
{
    (void)state;
    size_t len = 0;
    const char *token = access_bearer_token("Bearer  abc== ", &len);
    assert_non_null(token);
    assert_int_equal(len, 5);
    assert_memory_equal(token, "abc==", 5);
    assert_null(access_bearer_token("Bearer =abc", &len)); /* padding only at the end */
    assert_null(access_bearer_token("Bearer ab=c", &len));
    /* One token, as --metrics-token is checked: whole, and only as a bearer token. */
    assert_true(access_bearer_is("bearer scrape-me", "scrape-me"));
    assert_false(access_bearer_is("Bearer scrape-m", "scrape-me"));
    assert_false(access_bearer_is("Bearer scrape-me2", "scrape-me"));
    assert_false(access_bearer_is("Basic scrape-me", "scrape-me"));
    assert_false(access_bearer_is(NULL, "scrape-me"));
    const char *why = NULL;
    assert_true(access_token_valid("scrape-me", &why));
    assert_false(access_token_valid("scrape me", &why));
    assert_string_equal(why, "a token is letters, digits and -._~+/ (then any '='), as a bearer "
                             "token is sent in a header");
}

static void test_specs_refused(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "=token",
        "with space",
        "cam=with space",
        "cam=tok\"en",
        "bad name=token",
        ".hidden=token",
        "a-name-of-sixty-four-characters-is-one-too-long-for-a-stream-xyz=token",
    };
    struct access_rules r = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        assert_int_equal(access_add(&r, ACCESS_PUBLISH, bad[i], &why), -1);
        assert_non_null(why);
    }
    assert_int_equal(r.n[ACCESS_PUBLISH], 0);
    /* A token made of base64 with its padding is one token, not a NAME=TOKEN. */
    const char *why = NULL;
    assert_int_equal(access_add(&r, ACCESS_PUBLISH, "c2VjcmV0==", &why), 0);
    assert_null(r.tokens[ACCESS_PUBLISH][0].stream);
    assert_int_equal(access_check(&r, ACCESS_PUBLISH, "any", "Bearer c2VjcmV0==", 0, NULL),
                     ACCESS_GRANTED);
    char longest[ACCESS_MAX_TOKEN_LEN + 2];
    memset(longest, 'x', sizeof longest - 1);
    longest[sizeof longest - 1] = 0;
    assert_int_equal(access_add(&r, ACCESS_WATCH, longest, &why), -1);
    longest[ACCESS_MAX_TOKEN_LEN] = 0;
    assert_int_equal(access_add(&r, ACCESS_WATCH, longest, &why), 0);
    for (size_t i = r.n[ACCESS_WATCH]; i < ACCESS_MAX_TOKENS; i++)
        assert_int_equal(access_add(&r, ACCESS_WATCH, "t", &why), 0);
    assert_int_equal(access_add(&r, ACCESS_WATCH, "t", &why), -1);
}

static void test_describe(void **state)
{
    (void)state;
    char text[128];
    assert_int_equal(access_describe(&rules, ACCESS_PUBLISH, text, sizeof text),
                     strlen("cam, every stream without tokens of its own"));
    assert_string_equal(text, "cam, every stream without tokens of its own"); /* cam once */
    access_describe(&rules, ACCESS_WATCH, text, sizeof text);
    assert_string_equal(text, "private");
    struct access_rules open = {0};
    assert_int_equal(access_describe(&open, ACCESS_WATCH, text, sizeof text), 0);
    assert_string_equal(text, "");
    char small[8];
    assert_int_equal(access_describe(&rules, ACCESS_PUBLISH, small, sizeof small), 7);
    assert_string_equal(small, "cam, ev"); /* cut, still a string */
}

/* With --token-secret every stream needs a token, and a JWT grants what its claims name. */
static void test_signed_tokens(void **state)
{
    (void)state;
    rules.secret = "a-secret-shared-with-the-backend";
    char publish_cam[512], watch_any[512], expired[512], other_secret[512], header[600];
    jwt_sign(publish_cam, sizeof publish_cam, rules.secret, "cam", "publish", 1000);
    jwt_sign(watch_any, sizeof watch_any, rules.secret, "*", "watch", 1000);
    jwt_sign(expired, sizeof expired, rules.secret, "cam", "publish", 999 - JWT_LEEWAY_S);
    jwt_sign(other_secret, sizeof other_secret, "another-secret", "cam", "publish", 1000);
    assert_false(access_open(&rules));
    assert_true(access_needs_token(&rules, ACCESS_WATCH, "lobby")); /* no token of its own */
    char text[64];
    access_describe(&rules, ACCESS_WATCH, text, sizeof text);
    assert_string_equal(text, "every stream");
    const struct {
        const char *token;
        enum access_action action;
        const char *stream, *why;
    } cases[] = {
        {publish_cam, ACCESS_PUBLISH, "cam", NULL},
        {publish_cam, ACCESS_PUBLISH, "cam2", "the token is for another stream"},
        {publish_cam, ACCESS_WATCH, "cam", "the token is for publishing"},
        {watch_any, ACCESS_WATCH, "lobby", NULL},
        {watch_any, ACCESS_WATCH, "private", NULL}, /* beside the stream's own watch token */
        {watch_any, ACCESS_PUBLISH, "lobby", "the token is for watching"},
        {expired, ACCESS_PUBLISH, "cam", "the token has expired"},
        {other_secret, ACCESS_PUBLISH, "cam", "the token's signature does not match the secret"},
        {"cam-secret", ACCESS_PUBLISH, "cam", NULL}, /* static tokens still count */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(header, sizeof header, "Bearer %s", cases[i].token);
        const char *why = NULL;
        enum access_verdict v =
            access_check(&rules, cases[i].action, cases[i].stream, header, 999, &why);
        assert_int_equal(v, cases[i].why ? ACCESS_BAD_TOKEN : ACCESS_GRANTED);
        if (cases[i].why)
            assert_string_equal(why, cases[i].why);
    }
    assert_int_equal(access_check(&rules, ACCESS_WATCH, "lobby", NULL, 999, NULL), ACCESS_NO_TOKEN);
}

/* With --token-public-key alone every stream needs a token too, and a JWT signed with the key's
 * private half grants what it names; one signed with a secret is refused, whatever the secret. */
static void test_public_key_tokens(void **state)
{
    (void)state;
    static const char pem[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCh7MsMpgqyYjxU27\n"
                              "86nwLANbvpUXBqoDDhbaiUKkhcShRANCAAQHFymDCSJk3Rbcaz6Db4/X6PsnNDaP\n"
                              "ImuVfJuwoPqS5AUR5F2YuGr3+0dwZeEIjDu7cJuUGw14BhcPEP1rZHpt\n"
                              "-----END PRIVATE KEY-----\n";
    const char *why = NULL;
    struct jwt_key *key = jwt_key_from_private_pem(pem, sizeof pem - 1, &why);
    assert_non_null(key);
    /* The private half checks as well. */
    struct access_rules only_key = {.public_keys = {key}, .n_public_keys = 1};
    assert_false(access_open(&only_key));
    assert_true(access_needs_token(&only_key, ACCESS_WATCH, "lobby"));
    char text[64];
    access_describe(&only_key, ACCESS_PUBLISH, text, sizeof text);
    assert_string_equal(text, "every stream");
    char watch_cam[1024], hs256[512], header[1100];
    assert_true(jwt_sign_with_key(watch_cam, sizeof watch_cam, key, "cam", "watch", 1000) > 0);
    jwt_sign(hs256, sizeof hs256, "a-secret-shared-with-the-backend", "cam", "watch", 1000);
    snprintf(header, sizeof header, "Bearer %s", watch_cam);
    assert_int_equal(access_check(&only_key, ACCESS_WATCH, "cam", header, 999, NULL),
                     ACCESS_GRANTED);
    assert_int_equal(access_check(&only_key, ACCESS_WATCH, "lobby", header, 999, &why),
                     ACCESS_BAD_TOKEN);
    assert_string_equal(why, "the token is for another stream");
    snprintf(header, sizeof header, "Bearer %s", hs256);
    assert_int_equal(access_check(&only_key, ACCESS_WATCH, "cam", header, 999, &why),
                     ACCESS_BAD_TOKEN);
    assert_string_equal(why, "the token is not signed with ES256 (its header's \"alg\")");
    assert_int_equal(access_check(&only_key, ACCESS_WATCH, "cam", NULL, 999, NULL),
                     ACCESS_NO_TOKEN);
    jwt_key_free(key);
}

/* A request's credentials, read once, answer for every stream and action as access_check does
 * (a listing reads a JWT once, not once per stream). */
static void test_credentials_read_once(void **state)
{
    (void)state;
    rules.secret = "a-secret-shared-with-the-backend";
    char watch_cam[512], header[600];
    jwt_sign(watch_cam, sizeof watch_cam, rules.secret, "cam", "watch", 1000);
    snprintf(header, sizeof header, "Bearer %s", watch_cam);
    const char *headers[] = {
        header,    "Bearer cam-secret", "Bearer look", "Bearer everywhere/+~_-9==",
        "Bearer ", "Basic cam-secret",  NULL};
    const char *streams[] = {"cam", "lobby", "private"};
    for (size_t h = 0; h < sizeof headers / sizeof headers[0]; h++) {
        struct access_credentials c;
        access_read(&c, &rules, headers[h], 999);
        for (size_t s = 0; s < sizeof streams / sizeof streams[0]; s++)
            for (int a = 0; a < ACCESS_ACTIONS; a++) {
                const char *why_read = NULL, *why_check = NULL;
                assert_int_equal(access_allows(&rules, &c, a, streams[s], &why_read),
                                 access_check(&rules, a, streams[s], headers[h], 999, &why_check));
                assert_ptr_equal(why_read, why_check);
            }
    }
    struct access_credentials c;
    access_read(&c, &rules, header, 999);
    assert_true(c.jwt);
    assert_int_equal(access_allows(&rules, &c, ACCESS_WATCH, "cam", NULL), ACCESS_GRANTED);
    const char *why = NULL;
    assert_int_equal(access_allows(&rules, &c, ACCESS_WATCH, "lobby", &why), ACCESS_BAD_TOKEN);
    assert_string_equal(why, "the token is for another stream");
    access_read(&c, &rules, header, 1000 + JWT_LEEWAY_S); /* read when it has expired */
    assert_false(c.jwt);
    assert_int_equal(access_allows(&rules, &c, ACCESS_WATCH, "cam", &why), ACCESS_BAD_TOKEN);
    assert_string_equal(why, "the token has expired");
    access_read(&c, &rules, "Bearer ", 999);
    assert_int_equal(access_allows(&rules, &c, ACCESS_WATCH, "cam", NULL), ACCESS_BAD_TOKEN);
    access_read(&c, &rules, "Basic cam-secret", 999);
    assert_int_equal(access_allows(&rules, &c, ACCESS_WATCH, "cam", NULL), ACCESS_NO_TOKEN);
}

static void test_stream_names(void **state)
{
    (void)state;
    assert_true(stream_name_valid("cam-1_b.x", 9));
    assert_true(stream_name_valid("cam=token", 3)); /* only LEN bytes count */
    assert_false(stream_name_valid("", 0));
    assert_false(stream_name_valid(".x", 2));
    assert_false(stream_name_valid("a/b", 3));
    assert_false(stream_name_valid("a\0b", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_open_without_tokens, setup),
        cmocka_unit_test_setup(test_watch_tokens_unguarded, setup),
        cmocka_unit_test_setup(test_stream_tokens_replace_the_global_ones, setup),
        cmocka_unit_test_setup(test_headers, setup),
        cmocka_unit_test(test_bearer_token),
        cmocka_unit_test(test_specs_refused),
        cmocka_unit_test_setup(test_describe, setup),
        cmocka_unit_test_setup(test_signed_tokens, setup),
        cmocka_unit_test(test_public_key_tokens),
        cmocka_unit_test_setup(test_credentials_read_once, setup),
        cmocka_unit_test(test_stream_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
