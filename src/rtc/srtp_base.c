/* srtp_base: libgcrypt's start, SRTP's key derivation, the RTP header's length. */
#include "rtc/srtp_base.h"

#include <gcrypt.h>
#include <pthread.h>
#include <string.h>

/* libgcrypt is told once per process, before its first use, that the version found will do;
 * it then needs no secure memory: keys live in our own structs, as they did with OpenSSL. */
static pthread_once_t gcrypt_once = PTHREAD_ONCE_INIT;
static bool gcrypt_ready;

static void gcrypt_start(void)
{
    if (!gcry_check_version(GCRYPT_VERSION))
        return;
    gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    gcrypt_ready = true;
}

bool srtp_gcrypt_ready(void)
{
    pthread_once(&gcrypt_once, gcrypt_start);
    return gcrypt_ready;
}

int srtp_kdf(const uint8_t master_key[SRTP_KDF_KEY_LEN], const uint8_t *master_salt,
             size_t salt_len, uint8_t label, uint8_t *out, size_t out_len)
{
    /* x = (key_id XOR master salt) where key_id = label || index DIV kdr (0 here), right-
     * aligned in the 112-bit salt field. The PRF is AES-CM keyed with the master key from the
     * counter block x * 2^16. */
    uint8_t block[16] = {0};
    if (salt_len > SRTP_KDF_SALT_MAX || out_len > 64 || !srtp_gcrypt_ready())
        return -1;
    memcpy(block, master_salt, salt_len);
    block[7] ^= label;
    memset(out, 0, out_len);
    gcry_cipher_hd_t ctr = NULL;
    bool ok = gcry_cipher_open(&ctr, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CTR, 0) == 0 &&
              gcry_cipher_setkey(ctr, master_key, SRTP_KDF_KEY_LEN) == 0 &&
              gcry_cipher_setctr(ctr, block, sizeof block) == 0 &&
              gcry_cipher_encrypt(ctr, out, out_len, NULL, 0) == 0;
    gcry_cipher_close(ctr);
    return ok ? 0 : -1;
}

size_t srtp_rtp_header_length(const uint8_t *p, size_t len)
{
    if (len < 12 || (p[0] >> 6) != 2)
        return 0;
    size_t n = 12 + 4 * (size_t)(p[0] & 0x0f);
    if (p[0] & 0x10) {
        if (len < n + 4)
            return 0;
        n += 4 + 4 * (((size_t)p[n + 2] << 8) | p[n + 3]);
    }
    return n <= len ? n : 0;
}
