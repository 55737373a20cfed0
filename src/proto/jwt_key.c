/* jwt_key: keys for RS256, ES256 and EdDSA JWTs, read and used by OpenSSL. */
#include "proto/jwt_key.h"

#include <limits.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

struct jwt_key {
    EVP_PKEY *pkey;
    const char *alg;
    const EVP_MD *md; /* NULL for EdDSA, which hashes as it signs */
    bool es256;       /* signatures are R||S in the JWT, DER for OpenSSL */
};

/* What kind of key PKEY is for a JWT: its "alg" in *ALG and *MD, or -1 with *WHY. */
static int key_algorithm(EVP_PKEY *pkey, const char **alg, const EVP_MD **md, const char **why)
{
    char curve[64] = "";
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
        if (EVP_PKEY_get_bits(pkey) < JWT_KEY_MIN_RSA_BITS) {
            *why = "an RSA key shorter than 2048 bits, too weak for RS256 (RFC 7518 §3.3)";
            return -1;
        }
        *alg = "RS256";
        *md = EVP_sha256();
        return 0;
    case EVP_PKEY_EC:
        EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, NULL);
        if (strcmp(curve, SN_X9_62_prime256v1) != 0) {
            *why = "an EC key on another curve than P-256 (ES256 is P-256 and SHA-256)";
            return -1;
        }
        *alg = "ES256";
        *md = EVP_sha256();
        return 0;
    case EVP_PKEY_ED25519:
        *alg = "EdDSA";
        *md = NULL;
        return 0;
    default:
        *why = "a key of a type onair does not check JWTs with: RSA (RS256), EC P-256 (ES256) "
               "or Ed25519 (EdDSA)";
        return -1;
    }
}

/* A jwt_key of PKEY (taken), or NULL with *WHY when no JWT is signed with its kind. */
static struct jwt_key *key_of(EVP_PKEY *pkey, const char **why)
{
    const char *alg = NULL;
    const EVP_MD *md = NULL;
    if (key_algorithm(pkey, &alg, &md, why) < 0) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    struct jwt_key *key = xmalloc(sizeof *key);
    *key = (struct jwt_key){.pkey = pkey, .alg = alg, .md = md, .es256 = !strcmp(alg, "ES256")};
    return key;
}

/* OpenSSL asks for a key's passphrase on the terminal unless told otherwise: there is none. */
static int no_passphrase(char *buf, int size, int rwflag, void *opaque)
{
    (void)buf, (void)size, (void)rwflag, (void)opaque;
    return -1;
}

/* The key PEM[0..LEN) holds, public (PRIVATE false) or private, or NULL. */
static EVP_PKEY *read_pem(const char *pem, size_t len, bool private)
{
    if (len > INT_MAX)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey = !bio      ? NULL
                     : private ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
                               : PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    /* What OpenSSL queued about this text must not be read as the next DTLS handshake's. */
    ERR_clear_error();
    return pkey;
}

/* The key of PEM[0..LEN), public or PRIVATE, or NULL with *WHY: what the text is instead. */
static struct jwt_key *from_pem(const char *pem, size_t len, bool private, const char **why)
{
    EVP_PKEY *pkey = read_pem(pem, len, private);
    if (pkey)
        return key_of(pkey, why);
    if (!private)
        *why = memmem(pem, len, "PRIVATE KEY-----", 16)
                   ? "a private key: onair needs only the public one (openssl pkey -in KEY -pubout)"
                   : "not a PEM public key (-----BEGIN PUBLIC KEY-----)";
    else
        *why = memmem(pem, len, "ENCRYPTED", 9)
                   ? "a private key with a passphrase: give one without (openssl pkey -in KEY)"
                   : "not a PEM private key (-----BEGIN PRIVATE KEY-----)";
    return NULL;
}

struct jwt_key *jwt_key_from_pem(const char *pem, size_t len, const char **why)
{
    return from_pem(pem, len, false, why);
}

struct jwt_key *jwt_key_from_private_pem(const char *pem, size_t len, const char **why)
{
    return from_pem(pem, len, true, why);
}

/* The public key of PARAMS for OpenSSL's key type TYPE ("RSA", "EC"), or NULL: the numbers are
 * no such key (an EC point off the curve, say). */
static EVP_PKEY *from_params(const char *type, OSSL_PARAM *params)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    if (pkey) { /* the import takes any numbers: check they are a public key */
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        if (!ctx || EVP_PKEY_public_check(ctx) != 1) {
            EVP_PKEY_free(pkey);
            pkey = NULL;
        }
        EVP_PKEY_CTX_free(ctx);
    }
    ERR_clear_error();
    return pkey;
}

struct jwt_key *jwt_key_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                                 const char **why)
{
    if (n_len > INT_MAX || e_len > INT_MAX) {
        *why = "an RSA modulus or exponent too long";
        return NULL;
    }
    BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL), *bn_e = BN_bin2bn(e, (int)e_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
        params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY *pkey = params ? from_params("RSA", params) : NULL;
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    ERR_clear_error();
    if (!pkey) {
        *why = "the RSA members n and e are no public key";
        return NULL;
    }
    return key_of(pkey, why);
}

struct jwt_key *jwt_key_from_p256(const uint8_t x[32], const uint8_t y[32], const char **why)
{
    uint8_t point[65] = {4}; /* uncompressed: 04 || X || Y (SEC 1 §2.3.3) */
    memcpy(point + 1, x, 32);
    memcpy(point + 33, y, 32);
    char group[] = SN_X9_62_prime256v1;
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
        OSSL_PARAM_END,
    };
    EVP_PKEY *pkey = from_params("EC", params);
    if (!pkey) {
        *why = "the EC members x and y are no point of P-256";
        return NULL;
    }
    return key_of(pkey, why);
}

struct jwt_key *jwt_key_from_ed25519(const uint8_t x[32], const char **why)
{
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
    ERR_clear_error();
    if (!pkey) {
        *why = "the OKP member x is no Ed25519 public key";
        return NULL;
    }
    return key_of(pkey, why);
}

bool jwt_key_equal(const struct jwt_key *a, const struct jwt_key *b)
{
    bool same = EVP_PKEY_eq(a->pkey, b->pkey) == 1;
    ERR_clear_error();
    return same;
}

const char *jwt_key_alg(const struct jwt_key *key)
{
    return key->alg;
}

/* SIG[0..64), ES256's R then S (RFC 7518 §3.4), as the DER that OpenSSL checks, into
 * DER[0..CAP): its length, or 0. */
static size_t es256_der(const uint8_t *sig, uint8_t *der, size_t cap)
{
    ECDSA_SIG *pair = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    int n = 0;
    if (pair && r && s && ECDSA_SIG_set0(pair, r, s) == 1) {
        r = s = NULL; /* the pair's now */
        if (i2d_ECDSA_SIG(pair, NULL) <= (int)cap) {
            uint8_t *at = der;
            n = i2d_ECDSA_SIG(pair, &at);
        }
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(pair);
    return n > 0 ? (size_t)n : 0;
}

bool jwt_key_verify(const struct jwt_key *key, const void *data, size_t len, const uint8_t *sig,
                    size_t sig_len)
{
    uint8_t der[80]; /* 2 + 2 * (2 + 33) at most */
    if (key->es256) {
        if (sig_len != 64 || !(sig_len = es256_der(sig, der, sizeof der)))
            return false;
        sig = der;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, key->md, NULL, key->pkey) == 1 &&
              EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

/* ES256's signature DER[0..LEN) from OpenSSL as the 64 bytes of R then S a JWS carries, into
 * SIG[0..64). */
static bool es256_raw(const uint8_t *der, size_t len, uint8_t *sig)
{
    ECDSA_SIG *pair = d2i_ECDSA_SIG(NULL, &der, (long)len);
    bool ok = pair && BN_bn2binpad(ECDSA_SIG_get0_r(pair), sig, 32) == 32 &&
              BN_bn2binpad(ECDSA_SIG_get0_s(pair), sig + 32, 32) == 32;
    ECDSA_SIG_free(pair);
    return ok;
}

size_t jwt_key_sign(const struct jwt_key *key, const void *data, size_t len, uint8_t *sig,
                    size_t cap)
{
    bool es256 = key->es256;
    uint8_t der[80];
    size_t n = es256 ? sizeof der : cap;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestSignInit(ctx, NULL, key->md, NULL, key->pkey) == 1 &&
              EVP_DigestSign(ctx, es256 ? der : sig, &n, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (ok && es256) {
        ok = cap >= 64 && es256_raw(der, n, sig);
        n = 64;
    }
    return ok ? n : 0;
}

void jwt_key_free(struct jwt_key *key)
{
    if (!key)
        return;
    EVP_PKEY_free(key->pkey);
    free(key);
}
