/* gcm_cipher_gcrypt: AES-128-GCM on one libgcrypt cipher handle, where libipsec-mb is not
 * installed (rtc/gcm_cipher.h). */
#include "rtc/gcm_cipher.h"

#include <gcrypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "rtc/srtp_base.h"

struct gcm_cipher {
    gcry_cipher_hd_t aead;
};

struct gcm_cipher *gcm_cipher_new(const uint8_t key[GCM_CIPHER_KEY_LEN])
{
    if (!srtp_gcrypt_ready())
        return NULL;
    struct gcm_cipher *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (gcry_cipher_open(&c->aead, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0) ||
        gcry_cipher_setkey(c->aead, key, GCM_CIPHER_KEY_LEN)) {
        gcm_cipher_free(c);
        return NULL;
    }
    return c;
}

void gcm_cipher_free(struct gcm_cipher *c)
{
    if (!c)
        return;
    gcry_cipher_close(c->aead); /* libgcrypt wipes the key it held */
    free(c);
}

/* The size of libgcrypt's cipher handle for AES-128-GCM: 1,967 bytes allocated by
 * gcry_cipher_open in Debian's 1.10.1 (its key schedule and GHASH key among them). libgcrypt
 * does not tell; a prefetch past the handle's end costs a wasted fetch. */
#define GCRY_GCM_HANDLE_BYTES 1968

struct mem_span gcm_cipher_span(const struct gcm_cipher *c)
{
    return (struct mem_span){c->aead, GCRY_GCM_HANDLE_BYTES};
}

/* Starts one message under IV: AAD then AAD2 authenticated, and the next encrypt or decrypt
 * call marked the last. */
static bool start(struct gcm_cipher *c, const uint8_t iv[GCM_CIPHER_IV_LEN], const uint8_t *aad,
                  size_t aad_len, const uint8_t *aad2, size_t aad2_len)
{
    gcry_cipher_hd_t h = c->aead;
    return !gcry_cipher_setiv(h, iv, GCM_CIPHER_IV_LEN) &&
           !gcry_cipher_authenticate(h, aad, aad_len) &&
           !(aad2_len && gcry_cipher_authenticate(h, aad2, aad2_len)) && !gcry_cipher_final(h);
}

bool gcm_cipher_seal(struct gcm_cipher *c, const uint8_t iv[GCM_CIPHER_IV_LEN], const uint8_t *aad,
                     size_t aad_len, const uint8_t *aad2, size_t aad2_len, uint8_t *data,
                     size_t len, uint8_t tag[GCM_CIPHER_TAG_LEN])
{
    return start(c, iv, aad, aad_len, aad2, aad2_len) &&
           !gcry_cipher_encrypt(c->aead, data, len, NULL, 0) &&
           !gcry_cipher_gettag(c->aead, tag, GCM_CIPHER_TAG_LEN);
}

enum gcm_open_result gcm_cipher_open(struct gcm_cipher *c, const uint8_t iv[GCM_CIPHER_IV_LEN],
                                     const uint8_t *aad, size_t aad_len, const uint8_t *aad2,
                                     size_t aad2_len, uint8_t *data, size_t len,
                                     const uint8_t tag[GCM_CIPHER_TAG_LEN])
{
    if (!start(c, iv, aad, aad_len, aad2, aad2_len) ||
        gcry_cipher_decrypt(c->aead, data, len, NULL, 0))
        return GCM_FAILED;
    /* The comparison is libgcrypt's, in constant time; GPG_ERR_CHECKSUM is a mismatch. */
    gcry_error_t checked = gcry_cipher_checktag(c->aead, tag, GCM_CIPHER_TAG_LEN);
    if (!checked)
        return GCM_OPENED;
    return gcry_err_code(checked) == GPG_ERR_CHECKSUM ? GCM_FORGED : GCM_FAILED;
}

static char engine_name[48];

static void describe_engine(void)
{
    snprintf(engine_name, sizeof engine_name, "libgcrypt %s",
             srtp_gcrypt_ready() ? gcry_check_version(NULL) : "(unusable)");
}

const char *gcm_cipher_engine(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, describe_engine);
    return engine_name;
}
