/* test_jwt: HS256 JSON Web Tokens as a backend's JWT library makes them: a known token from
 * elsewhere, what onair signs, and every way a token is refused, with the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "proto/jwt.h"

#define NOW 1800000000

/* Base64url of TEXT[0..LEN), no padding, into OUT. */
static void b64url(const void *text, size_t len, char *out)
{
    int n = EVP_EncodeBlock((unsigned char *)out, text, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = 0;
    for (char *c = out; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
}

/* A token of HEADER and CLAIMS (JSON) signed with SECRET, written here with OpenSSL alone. */
static const char *make(const char *header, const char *claims, const char *secret)
{
    static char token[2048];
    char part[1024];
    b64url(header, strlen(header), token);
    strcat(token, ".");
    b64url(claims, strlen(claims), part);
    strcat(token, part);
    unsigned char mac[32];
    size_t mac_len;
    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
                              (unsigned char *)token, strlen(token), mac, sizeof mac, &mac_len));
    b64url(mac, mac_len, part);
    strcat(token, ".");
    strcat(token, part);
    return token;
}

static const char *why_refused(const char *token, const char *secret)
{
    struct jwt_grant grant;
    const char *why = NULL;
    assert_int_equal(jwt_verify(&grant, token, strlen(token), secret, NOW, &why), -1);
    assert_non_null(why);
    return why;
}

static void test_token_from_elsewhere(void **state)
{
    (void)state;
    /* jwt.io's example: HS256 with the secret "your-256-bit-secret", claims without exp. That
     * it gets past the signature to the claims shows the HMAC is the one JWT libraries make. */
    static const char known[] =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwia"
        "WF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    assert_string_equal(why_refused(known, "your-256-bit-secret"),
                        "the token has no \"exp\" (when it expires, seconds since 1970)");
    assert_string_equal(why_refused(known, "another-secret"),
                        "the token's signature does not match the secret");
}

static void test_sign_and_verify(void **state)
{
    (void)state;
    char token[512];
    int n = jwt_sign(token, sizeof token, "s3cret", "cam", "publish", NOW + 60);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(token));
    struct jwt_grant grant;
    const char *why = NULL;
    assert_int_equal(jwt_verify(&grant, token, strlen(token), "s3cret", NOW, &why), 0);
    assert_string_equal(grant.stream, "cam");
    assert_true(grant.publish);
    assert_int_equal(grant.expires, NOW + 60);
    /* The same claims made by hand (as another library would) read the same. */
    const char *other = make("{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
                             "{\"role\":\"watch\",\"stream\":\"*\",\"exp\":1800000060.5,"
                             "\"nbf\":1799999999,\"sub\":\"user 7\"}",
                             "s3cret");
    assert_int_equal(jwt_verify(&grant, other, strlen(other), "s3cret", NOW, &why), 0);
    assert_string_equal(grant.stream, "*");
    assert_false(grant.publish);
    assert_int_equal(grant.expires, NOW + 60);
    /* Too small a buffer is refused whole. */
    assert_int_equal(jwt_sign(token, 100, "s3cret", "cam", "publish", NOW + 60), -1);
}

/* Within JWT_LEEWAY_S (30 s) of its "exp" or "nbf", a token is taken: the clock of the backend
 * that minted it may be a little ahead of the server's, or behind. */
static void test_clock_leeway(void **state)
{
    (void)state;
    struct jwt_grant grant;
    const char *why = NULL;
    const char *late = make("{\"alg\":\"HS256\"}",
                            "{\"stream\":\"cam\",\"role\":\"watch\",\"exp\":1799999971}", "k");
    assert_int_equal(jwt_verify(&grant, late, strlen(late), "k", NOW, &why), 0);
    const char *early = make("{\"alg\":\"HS256\"}",
                             "{\"stream\":\"cam\",\"role\":\"watch\",\"exp\":1800000060,"
                             "\"nbf\":1800000030}",
                             "k");
    assert_int_equal(jwt_verify(&grant, early, strlen(early), "k", NOW, &why), 0);
}

static void test_refused(void **state)
{
    (void)state;
    static const char hs256[] = "{\"alg\":\"HS256\"}";
    static const char good[] = "{\"stream\":\"cam\",\"role\":\"watch\",\"exp\":1800000060}";
    static const struct {
        const char *header, *claims, *why;
    } cases[] = {
        {"{\"alg\":\"none\"}", good, "the token is not signed with HS256 (its header's \"alg\")"},
        {"{\"alg\":\"HS512\"}", good, "the token is not signed with HS256 (its header's \"alg\")"},
        {"{\"typ\":\"JWT\"}", good, "the token is not signed with HS256 (its header's \"alg\")"},
        {"[\"HS256\"]", good, "the token's header is not a JSON object"},
        {"{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", good,
         "the token's header has \"crit\" extensions onair does not know"},
        {hs256, "\"cam\"", "the token's claims are not a JSON object"},
        {hs256, "{\"exp\":1800000060,\"exp\":1900000000,\"stream\":\"cam\",\"role\":\"watch\"}",
         "the token's claims are not a JSON object"}, /* which exp would be meant? */
        {hs256, "{\"stream\":\"cam\",\"role\":\"watch\",\"exp\":\"1800000060\"}",
         "the token has no \"exp\" (when it expires, seconds since 1970)"},
        {hs256, "{\"stream\":\"cam\",\"role\":\"watch\",\"exp\":1e300}",
         "the token has no \"exp\" (when it expires, seconds since 1970)"},
        {hs256, "{\"stream\":\"cam\",\"role\":\"watch\",\"exp\":1799999970}",
         "the token has expired"}, /* NOW less the leeway */
        {hs256, "{\"stream\":\"cam\",\"role\":\"watch\",\"exp\":1800000060,\"nbf\":1800000031}",
         "the token is not valid yet (its \"nbf\")"},
        {hs256, "{\"role\":\"watch\",\"exp\":1800000060}",
         "the token has no \"stream\" claim (a stream name, or \"*\" for every stream)"},
        {hs256, "{\"stream\":\"\",\"role\":\"watch\",\"exp\":1800000060}",
         "the token has no \"stream\" claim (a stream name, or \"*\" for every stream)"},
        {hs256, "{\"stream\":\"cam\",\"role\":\"admin\",\"exp\":1800000060}",
         "the token's \"role\" claim is not \"publish\" or \"watch\""},
        {hs256, "{\"stream\":\"cam\",\"exp\":1800000060}",
         "the token's \"role\" claim is not \"publish\" or \"watch\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(why_refused(make(cases[i].header, cases[i].claims, "k"), "k"),
                            cases[i].why);

    /* Changed after signing: the claims, the signature, or a signature cut short. */
    char token[2048];
    strcpy(token, make(hs256, good, "k"));
    char *claims = strchr(token, '.') + 1;
    claims[3] = claims[3] == 'A' ? 'B' : 'A';
    assert_string_equal(why_refused(token, "k"), "the token's signature does not match the secret");
    strcpy(token, make(hs256, good, "k"));
    token[strlen(token) - 2] = token[strlen(token) - 2] == 'A' ? 'B' : 'A';
    assert_string_equal(why_refused(token, "k"), "the token's signature does not match the secret");
    strcpy(token, make(hs256, good, "k"));
    token[strlen(token) - 4] = 0;
    assert_string_equal(why_refused(token, "k"), "the token's signature does not match the secret");

    /* Not a JWT's shape at all. */
    static const char *const shapeless[] = {"",     "abc",  "a.b",    "a.b.c.d", ".b.c",
                                            "a..c", "a.b.", "a.b.c=", "a+b.c.d", "a.b c.d"};
    for (size_t i = 0; i < sizeof shapeless / sizeof shapeless[0]; i++) {
        assert_false(jwt_shaped(shapeless[i], strlen(shapeless[i])));
        assert_string_equal(why_refused(shapeless[i], "k"),
                            "not a JWT (three base64url parts joined by '.')");
    }
    assert_true(jwt_shaped("a.b.c", 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_from_elsewhere),
        cmocka_unit_test(test_sign_and_verify),
        cmocka_unit_test(test_clock_leeway),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
