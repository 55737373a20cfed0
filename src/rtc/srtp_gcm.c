/* srtp_gcm: RFC 7714 sealing and opening of RTP, or of RTCP, on one AES-128-GCM cipher
 * (rtc/gcm_cipher). */
#include "rtc/srtp_gcm.h"

#include <gcrypt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "rtc/gcm_cipher.h"
#include "rtc/srtp.h"
#include "rtc/srtp_base.h"
#include "rtc/srtp_index.h"

struct srtp_gcm {
    struct gcm_cipher *aead;
    bool opener;
    bool rtcp;                       /* RTCP's keys and framing, not RTP's */
    uint32_t next_index;             /* an RTCP sealer's: the SRTCP index of its next packet */
    uint8_t salt[SRTP_GCM_SALT_LEN]; /* the session salt */
    struct srtp_index_table index;
};

static struct srtp_gcm *make(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                             const uint8_t master_salt[SRTP_GCM_SALT_LEN], bool opener, bool rtcp)
{
    /* In FIPS mode libgcrypt will not encrypt GCM under an IV it did not make (RFC 7714's is
     * made from the packet), and libipsec-mb is no validated module: leave both directions to
     * libsrtp there (rtc/srtp.c). */
    if (!srtp_gcrypt_ready() || gcry_fips_mode_active())
        return NULL;
    uint8_t key[SRTP_GCM_KEY_LEN];
    struct srtp_gcm *g = xcalloc(1, sizeof *g);
    g->opener = opener;
    g->rtcp = rtcp;
    /* The first SRTCP packet carries index 1, as libsrtp's and Pion's do: a receiver that
     * counts index 0 as seen before the first packet still takes it. */
    g->next_index = 1;
    /* RFC 3711 §4.3.1's labels: 0x00/0x02 the SRTP key and salt, 0x03/0x05 the SRTCP ones. */
    bool ok = srtp_kdf(master_key, master_salt, SRTP_GCM_SALT_LEN, rtcp ? 0x03 : 0x00, key,
                       sizeof key) == 0 &&
              srtp_kdf(master_key, master_salt, SRTP_GCM_SALT_LEN, rtcp ? 0x05 : 0x02, g->salt,
                       sizeof g->salt) == 0 &&
              (g->aead = gcm_cipher_new(key)) != NULL;
    memset(key, 0, sizeof key);
    if (!ok) {
        srtp_gcm_free(g);
        return NULL;
    }
    return g;
}

struct srtp_gcm *srtp_gcm_new(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                              const uint8_t master_salt[SRTP_GCM_SALT_LEN])
{
    return make(master_key, master_salt, false, false);
}

struct srtp_gcm *srtp_gcm_new_opener(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                                     const uint8_t master_salt[SRTP_GCM_SALT_LEN])
{
    return make(master_key, master_salt, true, false);
}

struct srtp_gcm *srtp_gcm_new_rtcp(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                                   const uint8_t master_salt[SRTP_GCM_SALT_LEN])
{
    return make(master_key, master_salt, false, true);
}

struct srtp_gcm *srtp_gcm_new_rtcp_opener(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                                          const uint8_t master_salt[SRTP_GCM_SALT_LEN])
{
    return make(master_key, master_salt, true, true);
}

void srtp_gcm_free(struct srtp_gcm *g)
{
    if (!g)
        return;
    gcm_cipher_free(g->aead);
    srtp_index_free(&g->index);
    memset(g, 0, sizeof *g);
    free(g);
}

size_t srtp_gcm_spans(const struct srtp_gcm *g, struct mem_span *out, size_t max)
{
    size_t n = 0;
    if (n < max)
        out[n++] = (struct mem_span){g, sizeof *g};
    if (n < max)
        out[n++] = gcm_cipher_span(g->aead);
    return n + srtp_index_spans(&g->index, out + n, max - n);
}

/* RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR the session salt, for RTP's packet
 * INDEX (ROC * 65536 + SEQ). RTCP's (§9.1) is 00 00 || SSRC || 00 00 || 0 || SRTCP index (31
 * bits): the same bytes for its index. */
static void make_iv(const struct srtp_gcm *g, uint32_t ssrc, uint64_t index, uint8_t iv[12])
{
    const uint8_t plain[12] = {0,
                               0,
                               (uint8_t)(ssrc >> 24),
                               (uint8_t)(ssrc >> 16),
                               (uint8_t)(ssrc >> 8),
                               (uint8_t)ssrc,
                               (uint8_t)(index >> 40),
                               (uint8_t)(index >> 32),
                               (uint8_t)(index >> 24),
                               (uint8_t)(index >> 16),
                               (uint8_t)(index >> 8),
                               (uint8_t)index};
    for (size_t i = 0; i < sizeof plain; i++)
        iv[i] = plain[i] ^ g->salt[i];
}

/* GCM under IV: the AADs authenticated, DATA[0..LEN) encrypted in place, the tag written to
 * TAG. */
static int seal(struct srtp_gcm *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                const uint8_t *aad2, size_t aad2_len, uint8_t *data, size_t len, uint8_t *tag)
{
    return gcm_cipher_seal(g->aead, iv, aad, aad_len, aad2, aad2_len, data, len, tag)
               ? 0
               : SRTPX_ERR_FAILED;
}

/* The reverse of seal: DATA decrypted in place, then TAG checked in constant time. */
static int open_sealed(struct srtp_gcm *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                       const uint8_t *aad2, size_t aad2_len, uint8_t *data, size_t len,
                       const uint8_t *tag)
{
    switch (gcm_cipher_open(g->aead, iv, aad, aad_len, aad2, aad2_len, data, len, tag)) {
    case GCM_OPENED:
        return 0;
    case GCM_FORGED:
        return SRTPX_ERR_AUTH;
    default:
        return SRTPX_ERR_FAILED;
    }
}

int srtp_gcm_seal_rtp(struct srtp_gcm *g, uint8_t *buf, size_t *len, size_t cap)
{
    size_t header = srtp_rtp_header_length(buf, *len);
    if (!header || *len > 65535)
        return SRTPX_ERR_MALFORMED;
    if (cap < *len || cap - *len < SRTP_GCM_TAG_LEN)
        return SRTPX_ERR_NO_ROOM;
    if (g->opener || g->rtcp)
        return SRTPX_ERR_FAILED;
    uint32_t ssrc = srtp_read_u32(buf + 8);
    uint16_t seq = (uint16_t)((buf[2] << 8) | buf[3]);
    uint8_t iv[12];
    make_iv(g, ssrc, srtp_index_to_seal(&g->index, ssrc, seq), iv);
    /* The header is the additional authenticated data; the payload (padding included) is
     * encrypted in place (RFC 7714 §8.2). */
    int err = seal(g, iv, buf, header, NULL, 0, buf + header, *len - header, buf + *len);
    if (!err)
        *len += SRTP_GCM_TAG_LEN;
    return err;
}

int srtp_gcm_open_rtp(struct srtp_gcm *g, uint8_t *buf, size_t *len)
{
    size_t header = srtp_rtp_header_length(buf, *len);
    if (!header || *len > 65535 || *len - header < SRTP_GCM_TAG_LEN)
        return SRTPX_ERR_MALFORMED;
    if (!g->opener || g->rtcp)
        return SRTPX_ERR_FAILED;
    uint32_t ssrc = srtp_read_u32(buf + 8);
    uint16_t seq = (uint16_t)((buf[2] << 8) | buf[3]);
    struct srtp_index_pending pending;
    if (!srtp_index_rtp_to_open(&g->index, ssrc, seq, &pending))
        return SRTPX_ERR_REPLAY;
    uint64_t index = pending.index;
    uint8_t iv[12];
    make_iv(g, ssrc, index, iv);
    size_t sealed = *len - header - SRTP_GCM_TAG_LEN;
    int err = open_sealed(g, iv, buf, header, NULL, 0, buf + header, sealed, buf + header + sealed);
    if (err)
        return err;
    srtp_index_opened(&g->index, &pending);
    *len -= SRTP_GCM_TAG_LEN;
    return 0;
}

/* SRTCP's E flag, set when the packet is encrypted (RFC 3711 §3.4), over its 31-bit index. */
#define SRTCP_E_FLAG 0x80000000u
/* The first RTCP packet's header and sender SSRC, sent in the clear (RFC 7714 §9.1). */
#define SRTCP_CLEAR_LEN 8

int srtp_gcm_seal_rtcp(struct srtp_gcm *g, uint8_t *buf, size_t *len, size_t cap)
{
    if (*len < SRTCP_CLEAR_LEN || (buf[0] >> 6) != 2 || *len > 65535)
        return SRTPX_ERR_MALFORMED;
    if (cap < *len || cap - *len < SRTP_GCM_RTCP_TRAILER_LEN)
        return SRTPX_ERR_NO_ROOM;
    /* An index is never used twice under one key: past 2^31 packets the session needs new keys
     * (at the few RTCP packets a second a peer sends, years). */
    if (g->opener || !g->rtcp || g->next_index > 0x7fffffffu)
        return SRTPX_ERR_FAILED;
    uint32_t index = g->next_index;
    uint32_t e_index = SRTCP_E_FLAG | index;
    uint8_t trailer[4] = {(uint8_t)(e_index >> 24), (uint8_t)(e_index >> 16),
                          (uint8_t)(e_index >> 8), (uint8_t)e_index};
    uint8_t iv[12];
    make_iv(g, srtp_read_u32(buf + 4), index, iv);
    /* RFC 7714 §9.2: the AAD is the clear header and the E flag with the index; what follows
     * the header is encrypted; then come the tag and E || index. */
    int err = seal(g, iv, buf, SRTCP_CLEAR_LEN, trailer, sizeof trailer, buf + SRTCP_CLEAR_LEN,
                   *len - SRTCP_CLEAR_LEN, buf + *len);
    if (err)
        return err;
    memcpy(buf + *len + SRTP_GCM_TAG_LEN, trailer, sizeof trailer);
    *len += SRTP_GCM_RTCP_TRAILER_LEN;
    g->next_index++;
    return 0;
}

int srtp_gcm_open_rtcp(struct srtp_gcm *g, uint8_t *buf, size_t *len)
{
    if (*len < SRTCP_CLEAR_LEN + SRTP_GCM_RTCP_TRAILER_LEN || (buf[0] >> 6) != 2 || *len > 65535)
        return SRTPX_ERR_MALFORMED;
    if (!g->opener || !g->rtcp)
        return SRTPX_ERR_FAILED;
    size_t plain_len = *len - SRTP_GCM_RTCP_TRAILER_LEN;
    const uint8_t *tag = buf + plain_len, *trailer = tag + SRTP_GCM_TAG_LEN;
    uint32_t e_index = srtp_read_u32(trailer), index = e_index & ~SRTCP_E_FLAG;
    uint32_t ssrc = srtp_read_u32(buf + 4);
    struct srtp_index_pending pending;
    if (!srtp_index_rtcp_to_open(&g->index, ssrc, index, &pending))
        return SRTPX_ERR_REPLAY;
    uint8_t iv[12];
    make_iv(g, ssrc, index, iv);
    /* Encrypted (E set): as sealed above. Not (RFC 7714 §9.3): the whole packet is AAD, with
     * E || index after it, and nothing is encrypted. */
    bool encrypted = e_index & SRTCP_E_FLAG;
    size_t clear = encrypted ? SRTCP_CLEAR_LEN : plain_len;
    int err = open_sealed(g, iv, buf, clear, trailer, 4, buf + clear, plain_len - clear, tag);
    if (err)
        return err;
    srtp_index_opened(&g->index, &pending);
    *len = plain_len;
    return 0;
}
