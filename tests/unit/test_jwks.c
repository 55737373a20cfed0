/* Tests for proto/jwks: JWK Sets written here from keys OpenSSL makes (their members as RFC 7518
 * §6 spells them) check the tokens their private halves sign; keys for other uses, algorithms
 * and curves are left out; private, symmetric and malformed keys refuse the set with the
 * reason. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proto/base64url.h"
#include "proto/jwks.h"
#include "proto/jwt.h"

#define NOW 1800000000

struct made {
    EVP_PKEY *pkey;
    const char *alg;
    char jwk[2048]; /* its public JWK, without the closing brace: a test may add members */
};

/* base64url of BN, padded with zeros to WIDTH bytes when WIDTH is not 0, into OUT. */
static void bn_member(const BIGNUM *bn, int width, char *out)
{
    uint8_t bytes[1024];
    int n = width ? BN_bn2binpad(bn, bytes, width) : BN_bn2bin(bn, bytes);
    assert_true(n > 0);
    base64url_encode(bytes, (size_t)n, out);
}

static void make_key(struct made *m, const char *kind)
{
    char a[1400], b[100];
    BIGNUM *x = NULL, *y = NULL;
    if (strcmp(kind, "RSA") == 0) {
        m->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        m->alg = "RS256";
        assert_int_equal(EVP_PKEY_get_bn_param(m->pkey, OSSL_PKEY_PARAM_RSA_N, &x), 1);
        assert_int_equal(EVP_PKEY_get_bn_param(m->pkey, OSSL_PKEY_PARAM_RSA_E, &y), 1);
        bn_member(x, 0, a);
        bn_member(y, 0, b);
        snprintf(m->jwk, sizeof m->jwk, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"", a, b);
    } else if (strcmp(kind, "EC") == 0) {
        m->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        m->alg = "ES256";
        assert_int_equal(EVP_PKEY_get_bn_param(m->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
        assert_int_equal(EVP_PKEY_get_bn_param(m->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
        bn_member(x, 32, a);
        bn_member(y, 32, b);
        snprintf(m->jwk, sizeof m->jwk,
                 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"", a, b);
    } else {
        m->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        m->alg = "EdDSA";
        uint8_t raw[32];
        size_t len = sizeof raw;
        assert_int_equal(EVP_PKEY_get_raw_public_key(m->pkey, raw, &len), 1);
        base64url_encode(raw, len, a);
        snprintf(m->jwk, sizeof m->jwk, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"", a);
    }
    assert_non_null(m->pkey);
    BN_free(x);
    BN_free(y);
}

/* A watch token for "cam" signed with M's private key, by onair's own signer. */
static const char *token_of(const struct made *m)
{
    static char token[JWT_MAX_LEN];
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(bio, m->pkey, NULL, NULL, 0, NULL, NULL), 1);
    char *pem;
    long n = BIO_get_mem_data(bio, &pem);
    const char *why = NULL;
    struct jwt_key *signer = jwt_key_from_private_pem(pem, (size_t)n, &why);
    BIO_free(bio);
    assert_non_null(signer);
    assert_true(jwt_sign_with_key(token, sizeof token, signer, "cam", "watch", NOW + 60) > 0);
    jwt_key_free(signer);
    return token;
}

/* Whether KEYS[0..N) take M's token. */
static bool checks(struct jwt_key **keys, size_t n, const struct made *m)
{
    struct jwt_grant grant;
    const char *why = NULL, *token = token_of(m);
    return jwt_verify(&grant, token, strlen(token), NULL, keys, n, NOW, &why) == 0;
}

static int read_set(const char *text, struct jwt_key **keys, size_t cap,
                    struct jwks_result *out, const char **why)
{
    return jwks_read(text, strlen(text), keys, cap, out, why);
}

static void free_keys(struct jwt_key **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        jwt_key_free(keys[i]);
}

static void a_set_of_each_kind_checks_their_tokens(void **state)
{
    struct made rsa, ec, ed, stranger;
    make_key(&rsa, "RSA");
    make_key(&ec, "EC");
    make_key(&ed, "ED25519");
    make_key(&stranger, "EC");
    char set[8192];
    snprintf(set, sizeof set,
             " \n{\"keys\":[%s,\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"r1\"},"
             "%s,\"alg\":\"ES256\"},%s}]}",
             rsa.jwk, ec.jwk, ed.jwk);
    assert_true(jwks_looks_like_json(set, strlen(set)));
    struct jwt_key *keys[8];
    struct jwks_result got;
    const char *why = NULL;
    assert_int_equal(read_set(set, keys, 8, &got, &why), 0);
    assert_int_equal(got.n_keys, 3);
    assert_int_equal(got.skipped, 0);
    assert_string_equal(jwt_key_alg(keys[0]), "RS256");
    assert_string_equal(jwt_key_alg(keys[1]), "ES256");
    assert_string_equal(jwt_key_alg(keys[2]), "EdDSA");
    assert_true(checks(keys, 3, &rsa));
    assert_true(checks(keys, 3, &ec));
    assert_true(checks(keys, 3, &ed));
    assert_false(checks(keys, 3, &stranger));
    free_keys(keys, got.n_keys);

    /* One JWK alone is a set of one. */
    char one[2100];
    snprintf(one, sizeof one, "%s}", ed.jwk);
    assert_int_equal(read_set(one, keys, 8, &got, &why), 0);
    assert_int_equal(got.n_keys, 1);
    assert_true(checks(keys, 1, &ed));
    assert_false(checks(keys, 1, &ec));
    free_keys(keys, got.n_keys);
    EVP_PKEY *all[] = {rsa.pkey, ec.pkey, ed.pkey, stranger.pkey};
    for (size_t i = 0; i < 4; i++)
        EVP_PKEY_free(all[i]);
}

static void keys_for_other_uses_algorithms_and_curves_are_left_out(void **state)
{
    struct made ec;
    make_key(&ec, "EC");
    char set[8192];
    snprintf(set, sizeof set,
             "{\"keys\":[%s,\"use\":\"enc\"},%s,\"alg\":\"ES384\"},"
             "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"},"
             "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AA\"},{\"kty\":\"PQ\"},%s}]}",
             ec.jwk, ec.jwk, ec.jwk);
    struct jwt_key *keys[8];
    struct jwks_result got;
    const char *why = NULL;
    assert_int_equal(read_set(set, keys, 8, &got, &why), 0);
    assert_int_equal(got.n_keys, 1);
    assert_int_equal(got.skipped, 5);
    assert_string_equal(got.skip_why,
                        "a key for another use than signatures (\"use\" is not \"sig\")");
    assert_true(checks(keys, 1, &ec));
    free_keys(keys, got.n_keys);

    /* Nothing usable: refused, saying what was left out. */
    snprintf(set, sizeof set, "{\"keys\":[%s,\"alg\":\"ES384\"}]}", ec.jwk);
    assert_int_equal(read_set(set, keys, 8, &got, &why), -1);
    assert_string_equal(why, "no key the server checks JWTs with");
    assert_int_equal(got.skipped, 1);
    assert_string_equal(got.skip_why, "a key for another algorithm (its \"alg\" is not RS256, "
                                      "ES256 or EdDSA as its kind)");
    EVP_PKEY_free(ec.pkey);
}

static void bad_sets_are_refused_with_the_reason(void **state)
{
    struct made rsa, ec;
    make_key(&rsa, "RSA");
    make_key(&ec, "EC");
    char x[64];
    const char *x_at = strstr(ec.jwk, "\"x\":\"") + 5;
    size_t x_len = strcspn(x_at, "\"");
    assert_true(x_len < sizeof x);
    memcpy(x, x_at, x_len);
    x[x_len] = 0;
    /* The keys built from what OpenSSL makes, then the table: each follows a good RSA key. */
    char private_ec[2100], off_curve[200], short_y[200], weak_rsa[300], even_rsa[450];
    snprintf(private_ec, sizeof private_ec, "%s,\"d\":\"AAAA\"}", ec.jwk);
    /* X again as Y: a point off the curve (the chance it is on it is nil). */
    snprintf(off_curve, sizeof off_curve,
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", x, x);
    snprintf(short_y, sizeof short_y,
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"AAAA\"}", x);
    /* A 1024-bit key OpenSSL made. */
    EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    BIGNUM *weak_n = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(weak, OSSL_PKEY_PARAM_RSA_N, &weak_n), 1);
    char n64[200];
    bn_member(weak_n, 0, n64);
    BN_free(weak_n);
    EVP_PKEY_free(weak);
    snprintf(weak_rsa, sizeof weak_rsa, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}", n64);
    /* 2048 bits but even: no product of two primes. */
    uint8_t even[256];
    memset(even, 0xff, sizeof even);
    even[255] = 0xfe;
    char even64[400];
    base64url_encode(even, sizeof even, even64);
    snprintf(even_rsa, sizeof even_rsa, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}", even64);
    const struct {
        const char *key, *why;
    } cases[] = {
        {private_ec, "a private key (it has \"d\"): the server needs the public members only"},
        {"{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}",
         "a symmetric key (\"kty\": \"oct\"): give a shared secret with --token-secret"},
        {off_curve, "the EC members x and y are no point of P-256"},
        {short_y, "a P-256 key whose \"x\" and \"y\" are not 32 base64url bytes each"},
        {"{\"kty\":\"RSA\",\"n\":\"not base64!\",\"e\":\"AQAB\"}",
         "an RSA key without base64url \"n\" and \"e\", or longer than 8192 bits"},
        {weak_rsa, "an RSA key shorter than 2048 bits, too weak for RS256 (RFC 7518 §3.3)"},
        {"{\"n\":\"AQAB\"}", "a key without \"kty\""},
        {"\"RSA\"", "a key that is not a JSON object"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}",
         "an Ed25519 key whose \"x\" is not 32 base64url bytes"},
        {even_rsa, "the RSA members n and e are no public key"},
    };
    struct jwt_key *keys[8] = {0};
    struct jwks_result got;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char set[4400];
        snprintf(set, sizeof set, "{\"keys\":[%s},%s]}", rsa.jwk, cases[i].key);
        const char *why = NULL;
        assert_int_equal(read_set(set, keys, 8, &got, &why), -1);
        assert_string_equal(why, cases[i].why);
        assert_int_equal(got.bad_key, 2); /* the first key was fine, and is freed (LSan) */
        assert_int_equal(got.n_keys, 0);
    }
    static const struct {
        const char *text, *why;
    } whole[] = {
        {"-----BEGIN PUBLIC KEY-----", "not JSON: a JWK Set ({\"keys\": [...]}) or a JWK"},
        {"{\"keys\":[", "not JSON: a JWK Set ({\"keys\": [...]}) or a JWK"},
        {"[1]", "not JSON: a JWK Set ({\"keys\": [...]}) or a JWK"},
        {"{\"keys\":{}}", "\"keys\" is not an array"},
        {"{\"keys\":[]}", "no key the server checks JWTs with"},
        {"{\"keys\":[],\"keys\":[]}", "not JSON: a JWK Set ({\"keys\": [...]}) or a JWK"},
        {"{\"issuer\":\"x\"}", "neither a JWK Set (no \"keys\") nor a JWK (no \"kty\")"},
    };
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        const char *why = NULL;
        assert_int_equal(read_set(whole[i].text, keys, 8, &got, &why), -1);
        assert_string_equal(why, whole[i].why);
    }
    assert_false(jwks_looks_like_json("-----BEGIN PUBLIC KEY-----", 26));
    assert_false(jwks_looks_like_json("  ", 2));
    EVP_PKEY_free(rsa.pkey);
    EVP_PKEY_free(ec.pkey);
}

static void more_keys_than_room_refuses_the_set(void **state)
{
    struct made ed;
    make_key(&ed, "ED25519");
    char set[8192];
    snprintf(set, sizeof set, "{\"keys\":[%s},%s},%s}]}", ed.jwk, ed.jwk, ed.jwk);
    struct jwt_key *keys[3];
    struct jwks_result got;
    const char *why = NULL;
    assert_int_equal(read_set(set, keys, 2, &got, &why), -1);
    assert_string_equal(why, "more keys than the server holds");
    assert_int_equal(got.n_keys, 0);
    assert_int_equal(read_set(set, keys, 3, &got, &why), 0);
    assert_int_equal(got.n_keys, 3);
    free_keys(keys, got.n_keys);
    EVP_PKEY_free(ed.pkey);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_set_of_each_kind_checks_their_tokens),
        cmocka_unit_test(keys_for_other_uses_algorithms_and_curves_are_left_out),
        cmocka_unit_test(bad_sets_are_refused_with_the_reason),
        cmocka_unit_test(more_keys_than_room_refuses_the_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
