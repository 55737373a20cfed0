/* test_jwt: JSON Web Tokens as a backend's JWT library makes them: HS256 (a known token from
 * elsewhere, what onair signs, every way a token is refused, with the reason), and RS256, ES256
 * and EdDSA checked with a public key (keys made here by OpenSSL, a known token from RFC 8037,
 * the refusals, and the keys onair will not take). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "proto/jwt.h"
#include "proto/jwt_key.h"

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

/* HEADER and CLAIMS (JSON) as a token's first two parts, into TOKEN. */
static void signed_part(const char *header, const char *claims, char *token)
{
    char part[1024];
    b64url(header, strlen(header), token);
    strcat(token, ".");
    b64url(claims, strlen(claims), part);
    strcat(token, part);
}

/* A token of HEADER and CLAIMS (JSON) signed with SECRET, written here with OpenSSL alone. */
static const char *make(const char *header, const char *claims, const char *secret)
{
    static char token[2048];
    char part[1024];
    signed_part(header, claims, token);
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
    assert_int_equal(jwt_verify(&grant, token, strlen(token), secret, NULL, 0, NOW, &why), -1);
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
    assert_int_equal(jwt_verify(&grant, token, strlen(token), "s3cret", NULL, 0, NOW, &why), 0);
    assert_string_equal(grant.stream, "cam");
    assert_true(grant.publish);
    assert_int_equal(grant.expires, NOW + 60);
    /* The same claims made by hand (as another library would) read the same. */
    const char *other = make("{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
                             "{\"role\":\"watch\",\"stream\":\"*\",\"exp\":1800000060.5,"
                             "\"nbf\":1799999999,\"sub\":\"user 7\"}",
                             "s3cret");
    assert_int_equal(jwt_verify(&grant, other, strlen(other), "s3cret", NULL, 0, NOW, &why), 0);
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
    assert_int_equal(jwt_verify(&grant, late, strlen(late), "k", NULL, 0, NOW, &why), 0);
    const char *early = make("{\"alg\":\"HS256\"}",
                             "{\"stream\":\"cam\",\"role\":\"watch\",\"exp\":1800000060,"
                             "\"nbf\":1800000030}",
                             "k");
    assert_int_equal(jwt_verify(&grant, early, strlen(early), "k", NULL, 0, NOW, &why), 0);
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

/* The PEM of PKEY's public half (PUBLIC true) or of the whole key, into a static buffer. */
static const char *pem_of(EVP_PKEY *pkey, bool public)
{
    static char pem[4096];
    BIO *bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);
    if (public)
        assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
    else
        assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    assert_true(n > 0 && (size_t)n < sizeof pem);
    memcpy(pem, data, (size_t)n);
    pem[n] = 0;
    BIO_free(bio);
    return pem;
}

static struct jwt_key *key_of(EVP_PKEY *pkey)
{
    const char *pem = pem_of(pkey, true), *why = NULL;
    struct jwt_key *key = jwt_key_from_pem(pem, strlen(pem), &why);
    assert_non_null(key);
    return key;
}

/* A token of HEADER and CLAIMS signed with PKEY as ALG says (ES256's signature turned from
 * OpenSSL's DER into the 64 bytes of R then S that a JWS carries). */
static const char *sign_with(EVP_PKEY *pkey, const char *alg, const char *header,
                             const char *claims)
{
    static char token[2048];
    signed_part(header, claims, token);
    bool ed = strcmp(alg, "EdDSA") == 0, ec = strcmp(alg, "ES256") == 0;
    uint8_t sig[1024], raw[64];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, ed ? NULL : EVP_sha256(), NULL, pkey), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &sig_len, (uint8_t *)token, strlen(token)), 1);
    EVP_MD_CTX_free(ctx);
    const uint8_t *out = sig;
    if (ec) {
        const uint8_t *at = sig;
        ECDSA_SIG *pair = d2i_ECDSA_SIG(NULL, &at, (long)sig_len);
        assert_non_null(pair);
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(pair), raw, 32), 32);
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(pair), raw + 32, 32), 32);
        ECDSA_SIG_free(pair);
        out = raw;
        sig_len = sizeof raw;
    }
    char part[1400];
    b64url(out, sig_len, part);
    strcat(token, ".");
    strcat(token, part);
    return token;
}

static const char *why_key_refused(const char *token, const char *secret, struct jwt_key *key)
{
    struct jwt_grant grant;
    const char *why = NULL;
    assert_int_equal(jwt_verify(&grant, token, strlen(token), secret, &key, key != NULL, NOW, &why),
                     -1);
    assert_non_null(why);
    return why;
}

/* Each kind of key: a token its private half signs is taken, with or without a secret beside
 * it; one signed by another key, or cut short, or naming another algorithm (an HS256 token
 * keyed with the public key's text among them) is refused, with the reason. */
static void test_public_key_tokens(void **state)
{
    (void)state;
    static const char claims[] = "{\"stream\":\"cam\",\"role\":\"publish\",\"exp\":1800000060}";
    static const struct {
        const char *alg, *type, *param, *not_it;
    } kinds[] = {
        {"RS256", "RSA", NULL, "the token is not signed with RS256 (its header's \"alg\")"},
        {"ES256", "EC", "P-256", "the token is not signed with ES256 (its header's \"alg\")"},
        {"EdDSA", "ED25519", NULL, "the token is not signed with EdDSA (its header's \"alg\")"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        EVP_PKEY *pkey = kinds[i].param ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", kinds[i].param)
                         : strcmp(kinds[i].type, "RSA") == 0
                             ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
                             : EVP_PKEY_Q_keygen(NULL, NULL, kinds[i].type);
        EVP_PKEY *other = kinds[i].param ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", kinds[i].param)
                          : strcmp(kinds[i].type, "RSA") == 0
                              ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
                              : EVP_PKEY_Q_keygen(NULL, NULL, kinds[i].type);
        assert_non_null(pkey);
        assert_non_null(other);
        struct jwt_key *key = key_of(pkey);
        assert_string_equal(jwt_key_alg(key), kinds[i].alg);
        char header[64];
        snprintf(header, sizeof header, "{\"alg\":\"%s\",\"typ\":\"JWT\"}", kinds[i].alg);

        struct jwt_grant grant;
        const char *why = NULL, *token = sign_with(pkey, kinds[i].alg, header, claims);
        assert_int_equal(
            jwt_verify(&grant, token, strlen(token), NULL, &key, key != NULL, NOW, &why), 0);
        assert_string_equal(grant.stream, "cam");
        assert_true(grant.publish);
        assert_int_equal(
            jwt_verify(&grant, token, strlen(token), "k", &key, key != NULL, NOW, &why), 0);
        const char *hs256 = make("{\"alg\":\"HS256\"}", claims, "k");
        assert_int_equal(
            jwt_verify(&grant, hs256, strlen(hs256), "k", &key, key != NULL, NOW, &why), 0);

        assert_string_equal(
            why_key_refused(sign_with(other, kinds[i].alg, header, claims), NULL, key),
            "the token's signature does not match the public key");
        char cut[2048];
        strcpy(cut, token);
        cut[strlen(cut) - 4] = 0;
        assert_string_equal(why_key_refused(cut, NULL, key),
                            "the token's signature does not match the public key");
        const char *pem = pem_of(pkey, true);
        assert_string_equal(why_key_refused(make("{\"alg\":\"HS256\"}", claims, pem), NULL, key),
                            kinds[i].not_it);
        const char *none = make("{\"alg\":\"none\"}", claims, "k");
        assert_string_equal(why_key_refused(none, NULL, key), kinds[i].not_it);
        char either[128];
        snprintf(either, sizeof either,
                 "the token is not signed with HS256 or %s (its header's \"alg\")", kinds[i].alg);
        assert_string_equal(why_key_refused(none, "k", key), either);
        /* What onair signs with the private key (onair token --key) reads back, by the same
         * algorithm; the public key alone signs nothing. */
        const char *private_pem = pem_of(pkey, false);
        struct jwt_key *signer = jwt_key_from_private_pem(private_pem, strlen(private_pem), &why);
        assert_non_null(signer);
        assert_string_equal(jwt_key_alg(signer), kinds[i].alg);
        char mine[JWT_MAX_LEN];
        int n = jwt_sign_with_key(mine, sizeof mine, signer, "*", "watch", NOW + 60);
        assert_true(n > 0);
        assert_int_equal((size_t)n, strlen(mine));
        assert_int_equal(jwt_verify(&grant, mine, strlen(mine), NULL, &key, key != NULL, NOW, &why),
                         0);
        assert_string_equal(grant.stream, "*");
        assert_false(grant.publish);
        assert_int_equal(grant.expires, NOW + 60);
        assert_int_equal(jwt_sign_with_key(mine, 100, signer, "*", "watch", NOW + 60), -1);
        assert_int_equal(jwt_sign_with_key(mine, sizeof mine, key, "*", "watch", NOW + 60), -1);
        jwt_key_free(signer);
        /* Past the signature, the claims are checked as any token's. */
        const char *expired = sign_with(pkey, kinds[i].alg, header,
                                        "{\"stream\":\"cam\",\"role\":\"watch\",\"exp\":1}");
        assert_string_equal(why_key_refused(expired, NULL, key), "the token has expired");
        jwt_key_free(key);
        EVP_PKEY_free(other);
        EVP_PKEY_free(pkey);
    }
    /* A token that names one kind of key is refused by another kind. */
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    struct jwt_key *ed_key = key_of(ed);
    assert_string_equal(
        why_key_refused(sign_with(rsa, "RS256", "{\"alg\":\"RS256\"}", claims), NULL, ed_key),
        "the token is not signed with EdDSA (its header's \"alg\")");
    jwt_key_free(ed_key);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(rsa);
}

/* Several keys, as in a rotation: a token signed with any of them is taken, by its algorithm;
 * one signed with none of them, or naming an algorithm none of them has, is refused. */
static void test_several_public_keys(void **state)
{
    (void)state;
    static const char claims[] = "{\"stream\":\"cam\",\"role\":\"watch\",\"exp\":1800000060}";
    EVP_PKEY *old_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *new_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *retired = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_true(old_ec && new_ec && retired && ed);
    struct jwt_key *keys[3] = {key_of(old_ec), key_of(new_ec), key_of(ed)};
    static const char es256[] = "{\"alg\":\"ES256\"}";
    struct jwt_grant grant;
    const char *why = NULL;
    EVP_PKEY *signers[3] = {old_ec, new_ec, ed};
    for (size_t i = 0; i < 3; i++) {
        const char *alg = i < 2 ? "ES256" : "EdDSA";
        const char *token =
            sign_with(signers[i], alg, i < 2 ? es256 : "{\"alg\":\"EdDSA\"}", claims);
        assert_int_equal(jwt_verify(&grant, token, strlen(token), NULL, keys, 3, NOW, &why), 0);
        assert_string_equal(grant.stream, "cam");
    }
    const char *token = sign_with(retired, "ES256", es256, claims);
    assert_int_equal(jwt_verify(&grant, token, strlen(token), NULL, keys, 2, NOW, &why), -1);
    assert_string_equal(why, "the token's signature does not match any of the public keys");
    /* Keys of one algorithm name it when refusing another; keys of several do not. */
    token = make("{\"alg\":\"HS256\"}", claims, "k");
    assert_int_equal(jwt_verify(&grant, token, strlen(token), NULL, keys, 2, NOW, &why), -1);
    assert_string_equal(why, "the token is not signed with ES256 (its header's \"alg\")");
    assert_int_equal(jwt_verify(&grant, token, strlen(token), NULL, keys, 3, NOW, &why), -1);
    assert_string_equal(
        why, "the token is not signed with the algorithm of a public key (its header's \"alg\")");
    token = make("{\"alg\":\"RS256\"}", claims, "k");
    assert_int_equal(jwt_verify(&grant, token, strlen(token), "k", keys, 3, NOW, &why), -1);
    assert_string_equal(why, "the token is not signed with HS256 or the algorithm of a public key "
                             "(its header's \"alg\")");
    for (size_t i = 0; i < 3; i++)
        jwt_key_free(keys[i]);
    EVP_PKEY_free(old_ec);
    EVP_PKEY_free(new_ec);
    EVP_PKEY_free(retired);
    EVP_PKEY_free(ed);
}

/* RFC 8037 §A.4: Ed25519 (RFC 8032's first test key) signing "Example of Ed25519 signing". That
 * it gets past the signature to the claims (not a JSON object) shows the check is the one JWT
 * libraries make; one bit changed in the payload, and it does not. */
static void test_token_from_rfc8037(void **state)
{
    (void)state;
    static const uint8_t x[32] = {0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
                                  0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
                                  0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, sizeof x);
    assert_non_null(pkey);
    struct jwt_key *key = key_of(pkey);
    char token[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
                   "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpA"
                   "r_MuM0KAg";
    assert_string_equal(why_key_refused(token, NULL, key),
                        "the token's claims are not a JSON object");
    token[22] = token[22] == 'h' ? 'i' : 'h';
    assert_string_equal(why_key_refused(token, NULL, key),
                        "the token's signature does not match the public key");
    jwt_key_free(key);
    EVP_PKEY_free(pkey);
}

/* The keys onair will not check tokens with, each with the reason its operator reads. */
static void test_keys_refused(void **state)
{
    (void)state;
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    EVP_PKEY *short_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    EVP_PKEY *x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    assert_true(ec && p384 && short_rsa && x25519);
    const struct {
        const char *pem, *why;
    } cases[] = {
        {"", "not a PEM public key (-----BEGIN PUBLIC KEY-----)"},
        {"-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n",
         "not a PEM public key (-----BEGIN PUBLIC KEY-----)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = NULL;
        assert_null(jwt_key_from_pem(cases[i].pem, strlen(cases[i].pem), &why));
        assert_string_equal(why, cases[i].why);
    }
    const struct {
        EVP_PKEY *pkey;
        bool public;
        const char *why;
    } keys[] = {
        {ec, false,
         "a private key: onair needs only the public one (openssl pkey -in KEY -pubout)"},
        {p384, true, "an EC key on another curve than P-256 (ES256 is P-256 and SHA-256)"},
        {short_rsa, true, "an RSA key shorter than 2048 bits, too weak for RS256 (RFC 7518 §3.3)"},
        {x25519, true,
         "a key of a type onair does not check JWTs with: RSA (RS256), EC P-256 (ES256) or "
         "Ed25519 (EdDSA)"},
    };
    /* To sign with (onair token --key): a private key without a passphrase, since none is
     * asked for. */
    const char *why = NULL, *pem = pem_of(ec, true);
    assert_null(jwt_key_from_private_pem(pem, strlen(pem), &why));
    assert_string_equal(why, "not a PEM private key (-----BEGIN PRIVATE KEY-----)");
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(
        PEM_write_bio_PrivateKey(bio, ec, EVP_aes_128_cbc(), (unsigned char *)"pw", 2, NULL, NULL),
        1);
    char *encrypted;
    long n = BIO_get_mem_data(bio, &encrypted);
    assert_null(jwt_key_from_private_pem(encrypted, (size_t)n, &why));
    assert_string_equal(why,
                        "a private key with a passphrase: give one without (openssl pkey -in KEY)");
    BIO_free(bio);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        pem = pem_of(keys[i].pkey, keys[i].public);
        assert_null(jwt_key_from_pem(pem, strlen(pem), &why));
        assert_string_equal(why, keys[i].why);
        EVP_PKEY_free(keys[i].pkey);
    }
}

/* Keys to be fetched (--token-jwks-url) and none fetched yet, no secret: refused as such, not
 * as a token of another algorithm. */
static void test_no_key_yet(void **state)
{
    const char *claims = "{\"stream\":\"cam\",\"role\":\"watch\",\"exp\":1900000000}";
    assert_string_equal(why_key_refused(make("{\"alg\":\"HS256\"}", claims, "k"), NULL, NULL),
                        "the server has no key to check the token with yet");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_from_elsewhere), cmocka_unit_test(test_sign_and_verify),
        cmocka_unit_test(test_clock_leeway),         cmocka_unit_test(test_refused),
        cmocka_unit_test(test_public_key_tokens),    cmocka_unit_test(test_several_public_keys),
        cmocka_unit_test(test_token_from_rfc8037),   cmocka_unit_test(test_keys_refused),
        cmocka_unit_test(test_no_key_yet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
