/* Tests for rtc/gcm_cipher against libgcrypt's AES-128-GCM (an independent implementation when
 * the build seals with libipsec-mb): the same ciphertext and tag for every length the SRTP
 * framing hands it (an empty payload, partial blocks, additional data in one or two pieces,
 * large enough to take the joined copy); each opens what the other seals; a changed byte of
 * the tag, the payload or either additional data is refused; and threads sealing at once, each
 * on its own library state, get the same bytes. */
/* cmocka needs these headers first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
/* clang-format on */

#include <gcrypt.h>
#include <pthread.h>
#include <string.h>

#include "rtc/gcm_cipher.h"
#include "rtc/srtp_base.h"

static const uint8_t key[GCM_CIPHER_KEY_LEN] = {0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
                                                0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08};

/* Deterministic bytes, different for each SEED. */
static void fill(uint8_t *p, size_t n, unsigned seed)
{
    uint32_t x = 2463534242u ^ (seed * 2654435761u);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

/* libgcrypt's sealing of the same message: DATA encrypted in place, TAG written. Whether
 * libgcrypt did it. No cmocka assertion inside: threads call it too. */
static bool reference_seal(const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                           const uint8_t *aad2, size_t aad2_len, uint8_t *data, size_t len,
                           uint8_t tag[16])
{
    gcry_cipher_hd_t h;
    if (!srtp_gcrypt_ready() || gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0))
        return false;
    bool ok = !gcry_cipher_setkey(h, key, sizeof key) && !gcry_cipher_setiv(h, iv, 12) &&
              !gcry_cipher_authenticate(h, aad, aad_len) &&
              !(aad2_len && gcry_cipher_authenticate(h, aad2, aad2_len)) &&
              !gcry_cipher_final(h) && !gcry_cipher_encrypt(h, data, len, NULL, 0) &&
              !gcry_cipher_gettag(h, tag, 16);
    gcry_cipher_close(h);
    return ok;
}

/* One message of LEN bytes with AAD_LEN + AAD2_LEN bytes of additional data: sealed by both
 * alike, and each one's opened by ours. */
static void same_as_libgcrypt(struct gcm_cipher *c, size_t len, size_t aad_len, size_t aad2_len,
                              unsigned seed)
{
    uint8_t iv[12], aad[1600], aad2[8], plain[4096], ours[4096], theirs[4096];
    uint8_t ours_tag[16], theirs_tag[16];
    fill(iv, sizeof iv, seed);
    fill(aad, aad_len, seed + 1);
    fill(aad2, aad2_len, seed + 2);
    fill(plain, len, seed + 3);
    memcpy(ours, plain, len);
    memcpy(theirs, plain, len);
    assert_true(gcm_cipher_seal(c, iv, aad, aad_len, aad2, aad2_len, ours, len, ours_tag));
    assert_true(reference_seal(iv, aad, aad_len, aad2, aad2_len, theirs, len, theirs_tag));
    if (len) {
        assert_memory_equal(ours, theirs, len);
        assert_memory_not_equal(ours, plain, len);
    }
    assert_memory_equal(ours_tag, theirs_tag, 16);
    assert_int_equal(gcm_cipher_open(c, iv, aad, aad_len, aad2, aad2_len, theirs, len, theirs_tag),
                     GCM_OPENED);
    if (len)
        assert_memory_equal(theirs, plain, len);
}

static void seals_as_libgcrypt_does(void **state)
{
    (void)state;
    struct gcm_cipher *c = gcm_cipher_new(key);
    assert_non_null(c);
    /* RTCP's 8-byte clear header with its 4-byte index, RTP headers of 12 bytes and with CSRCs
     * and extensions; payloads from none (an RTCP header alone) to past a jumbo packet. */
    static const size_t lens[] = {0, 1, 15, 16, 17, 63, 64, 65, 255, 1188, 1200, 1500, 4000};
    static const size_t aads[] = {8, 12, 13, 16, 28, 60, 72};
    unsigned seed = 1;
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
        for (size_t j = 0; j < sizeof aads / sizeof *aads; j++) {
            same_as_libgcrypt(c, lens[i], aads[j], 0, seed++);
            same_as_libgcrypt(c, lens[i], aads[j], 4, seed++);
        }
    /* An RTCP packet sent unencrypted is authenticated whole, index after it. */
    same_as_libgcrypt(c, 0, 1500, 4, seed++);
    gcm_cipher_free(c);
}

/* Seals a message, changes byte AT of what WHICH names, and expects the open refused. */
enum part { TAG, DATA, AAD, AAD2 };

static void refused_after_change(struct gcm_cipher *c, enum part which, size_t at)
{
    uint8_t iv[12], aad[12], aad2[4], data[300], tag[16];
    fill(iv, sizeof iv, 7);
    fill(aad, sizeof aad, 8);
    fill(aad2, sizeof aad2, 9);
    fill(data, sizeof data, 10);
    assert_true(gcm_cipher_seal(c, iv, aad, sizeof aad, aad2, sizeof aad2, data, sizeof data, tag));
    uint8_t *parts[] = {[TAG] = tag, [DATA] = data, [AAD] = aad, [AAD2] = aad2};
    parts[which][at] ^= 0x01;
    assert_int_equal(
        gcm_cipher_open(c, iv, aad, sizeof aad, aad2, sizeof aad2, data, sizeof data, tag),
        GCM_FORGED);
}

static void changed_bytes_are_refused(void **state)
{
    (void)state;
    struct gcm_cipher *c = gcm_cipher_new(key);
    assert_non_null(c);
    refused_after_change(c, TAG, 0);
    refused_after_change(c, TAG, 15);
    refused_after_change(c, DATA, 0);
    refused_after_change(c, DATA, 299);
    refused_after_change(c, AAD, 0);
    refused_after_change(c, AAD, 11);
    refused_after_change(c, AAD2, 3);
    /* Another key's tag does not open either. */
    uint8_t other_key[GCM_CIPHER_KEY_LEN] = {1};
    struct gcm_cipher *other = gcm_cipher_new(other_key);
    assert_non_null(other);
    uint8_t iv[12] = {0}, aad[12] = {0x80}, data[100] = {0}, tag[16];
    assert_true(gcm_cipher_seal(other, iv, aad, sizeof aad, NULL, 0, data, sizeof data, tag));
    assert_int_equal(gcm_cipher_open(c, iv, aad, sizeof aad, NULL, 0, data, sizeof data, tag),
                     GCM_FORGED);
    gcm_cipher_free(other);
    gcm_cipher_free(c);
}

/* Each thread makes its own cipher and seals many messages while the others do, each checked
 * against libgcrypt: a thread's library state is its own. */
#define THREADS 3
#define MESSAGES 300

static void *seal_many(void *arg)
{
    unsigned first = *(const unsigned *)arg;
    struct gcm_cipher *c = gcm_cipher_new(key);
    bool ok = c != NULL;
    for (unsigned i = 0; ok && i < MESSAGES; i++) {
        uint8_t iv[12], aad[12], ours[1200], theirs[1200], ours_tag[16], theirs_tag[16];
        fill(iv, sizeof iv, first + i);
        fill(aad, sizeof aad, first + i + 1);
        fill(ours, sizeof ours, first + i + 2);
        memcpy(theirs, ours, sizeof ours);
        ok = gcm_cipher_seal(c, iv, aad, sizeof aad, NULL, 0, ours, sizeof ours, ours_tag) &&
             reference_seal(iv, aad, sizeof aad, NULL, 0, theirs, sizeof theirs, theirs_tag);
        ok = ok && !memcmp(ours, theirs, sizeof ours) && !memcmp(ours_tag, theirs_tag, 16);
    }
    gcm_cipher_free(c);
    return ok ? arg : NULL;
}

static void threads_seal_at_once(void **state)
{
    (void)state;
    assert_true(srtp_gcrypt_ready());
    pthread_t threads[THREADS];
    unsigned firsts[THREADS];
    for (unsigned t = 0; t < THREADS; t++) {
        firsts[t] = 1000 * (t + 1);
        assert_int_equal(pthread_create(&threads[t], NULL, seal_many, &firsts[t]), 0);
    }
    for (unsigned t = 0; t < THREADS; t++) {
        void *result;
        assert_int_equal(pthread_join(threads[t], &result), 0);
        assert_ptr_equal(result, &firsts[t]);
    }
}

static void names_its_library(void **state)
{
    (void)state;
    const char *engine = gcm_cipher_engine();
    assert_true(!strncmp(engine, "libipsec-mb ", 12) || !strncmp(engine, "libgcrypt ", 10));
    assert_null(strstr(engine, "unusable"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seals_as_libgcrypt_does),
        cmocka_unit_test(changed_bytes_are_refused),
        cmocka_unit_test(threads_seal_at_once),
        cmocka_unit_test(names_its_library),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
