/* srtp_cm: RFC 3711's default transforms, AES-128 in counter mode and HMAC-SHA1, for RTP or
 * RTCP on libgcrypt handles made when the keys are. */
#include "rtc/srtp_cm.h"

#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "rtc/srtp.h"
#include "rtc/srtp_base.h"
#include "rtc/srtp_index.h"

#define AUTH_KEY_LEN 20 /* HMAC-SHA1's key, n_a = 160 bits (RFC 3711 §8.2) */

struct srtp_cm {
    gcry_cipher_hd_t ctr;
    gcry_mac_hd_t mac;
    bool opener;
    bool rtcp;                      /* RTCP's keys and framing, not RTP's */
    uint32_t next_index;            /* an RTCP sealer's: the SRTCP index of its next packet */
    uint8_t salt[SRTP_CM_SALT_LEN]; /* the session salt */
    struct srtp_index_table index;
};

struct srtp_cm *srtp_cm_new(const uint8_t master_key[SRTP_CM_KEY_LEN],
                            const uint8_t master_salt[SRTP_CM_SALT_LEN], bool rtcp, bool opener)
{
    if (!srtp_gcrypt_ready())
        return NULL;
    uint8_t key[SRTP_CM_KEY_LEN], auth_key[AUTH_KEY_LEN];
    struct srtp_cm *c = xcalloc(1, sizeof *c);
    c->opener = opener;
    c->rtcp = rtcp;
    c->next_index = 1; /* as srtp_gcm's: libsrtp's and Pion's first SRTCP index */
    /* RFC 3711 §4.3.1's labels: 0x00-0x02 the SRTP key, authentication key and salt; 0x03-0x05
     * the SRTCP ones. */
    uint8_t label = rtcp ? 0x03 : 0x00;
    bool ok = srtp_kdf(master_key, master_salt, SRTP_CM_SALT_LEN, label, key, sizeof key) == 0 &&
              srtp_kdf(master_key, master_salt, SRTP_CM_SALT_LEN, label + 1, auth_key,
                       sizeof auth_key) == 0 &&
              srtp_kdf(master_key, master_salt, SRTP_CM_SALT_LEN, label + 2, c->salt,
                       sizeof c->salt) == 0 &&
              gcry_cipher_open(&c->ctr, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CTR, 0) == 0 &&
              gcry_cipher_setkey(c->ctr, key, sizeof key) == 0 &&
              gcry_mac_open(&c->mac, GCRY_MAC_HMAC_SHA1, 0, NULL) == 0 &&
              gcry_mac_setkey(c->mac, auth_key, sizeof auth_key) == 0;
    memset(key, 0, sizeof key);
    memset(auth_key, 0, sizeof auth_key);
    if (!ok) {
        srtp_cm_free(c);
        return NULL;
    }
    return c;
}

void srtp_cm_free(struct srtp_cm *c)
{
    if (!c)
        return;
    gcry_cipher_close(c->ctr);
    gcry_mac_close(c->mac);
    srtp_index_free(&c->index);
    memset(c, 0, sizeof *c);
    free(c);
}

size_t srtp_cm_spans(const struct srtp_cm *c, struct mem_span *out, size_t max)
{
    size_t n = 0;
    if (n < max)
        out[n++] = (struct mem_span){c, sizeof *c};
    return n + srtp_index_spans(&c->index, out + n, max - n);
}

/* RFC 3711 §4.1.1: the counter block starts as (salt * 2^16) XOR (SSRC * 2^64) XOR (INDEX *
 * 2^16), INDEX the 48-bit packet index (RTP) or the 31-bit SRTCP index; DATA[0..LEN) is XORed
 * with the key stream from it, which encrypts and decrypts alike. */
static bool apply_keystream(struct srtp_cm *c, uint32_t ssrc, uint64_t index, uint8_t *data,
                            size_t len)
{
    uint8_t iv[16] = {0};
    memcpy(iv, c->salt, SRTP_CM_SALT_LEN);
    for (int i = 0; i < 4; i++)
        iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; i++)
        iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
    return len == 0 || (!gcry_cipher_setctr(c->ctr, iv, sizeof iv) &&
                        !gcry_cipher_encrypt(c->ctr, data, len, NULL, 0));
}

/* HMAC-SHA1 of DATA[0..LEN) then TAIL[0..4) (RTP's rollover counter, or SRTCP's E || index),
 * truncated: written to TAG, or with CHECK compared with TAG in constant time. 0, or an enum
 * srtpx_error. */
static int authenticate(struct srtp_cm *c, const uint8_t *data, size_t len, const uint8_t tail[4],
                        uint8_t *tag, bool check)
{
    if (gcry_mac_reset(c->mac) || gcry_mac_write(c->mac, data, len) ||
        gcry_mac_write(c->mac, tail, 4))
        return SRTPX_ERR_FAILED;
    if (check) {
        gcry_error_t checked = gcry_mac_verify(c->mac, tag, SRTP_CM_TAG_LEN);
        if (checked) /* GPG_ERR_CHECKSUM is a mismatch; anything else, a failure */
            return gcry_err_code(checked) == GPG_ERR_CHECKSUM ? SRTPX_ERR_AUTH : SRTPX_ERR_FAILED;
        return 0;
    }
    size_t tag_len = SRTP_CM_TAG_LEN; /* libgcrypt truncates the 20-byte MAC to this */
    return gcry_mac_read(c->mac, tag, &tag_len) || tag_len != SRTP_CM_TAG_LEN ? SRTPX_ERR_FAILED
                                                                              : 0;
}

static void write_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int srtp_cm_seal_rtp(struct srtp_cm *c, uint8_t *buf, size_t *len, size_t cap)
{
    size_t header = srtp_rtp_header_length(buf, *len);
    if (!header || *len > 65535)
        return SRTPX_ERR_MALFORMED;
    if (cap < *len || cap - *len < SRTP_CM_TAG_LEN)
        return SRTPX_ERR_NO_ROOM;
    if (c->opener || c->rtcp)
        return SRTPX_ERR_FAILED;
    uint32_t ssrc = srtp_read_u32(buf + 8);
    uint16_t seq = (uint16_t)((buf[2] << 8) | buf[3]);
    uint64_t index = srtp_index_to_seal(&c->index, ssrc, seq);
    uint8_t roc[4];
    write_u32(roc, (uint32_t)(index >> 16));
    /* RFC 3711 §3.1: the payload (padding included) encrypted, then the authentication tag
     * over the header, the encrypted payload and the rollover counter (§4.2). */
    if (!apply_keystream(c, ssrc, index, buf + header, *len - header))
        return SRTPX_ERR_FAILED;
    int err = authenticate(c, buf, *len, roc, buf + *len, false);
    if (!err)
        *len += SRTP_CM_TAG_LEN;
    return err;
}

int srtp_cm_open_rtp(struct srtp_cm *c, uint8_t *buf, size_t *len)
{
    size_t header = srtp_rtp_header_length(buf, *len);
    if (!header || *len > 65535 || *len - header < SRTP_CM_TAG_LEN)
        return SRTPX_ERR_MALFORMED;
    if (!c->opener || c->rtcp)
        return SRTPX_ERR_FAILED;
    uint32_t ssrc = srtp_read_u32(buf + 8);
    uint16_t seq = (uint16_t)((buf[2] << 8) | buf[3]);
    struct srtp_index_pending pending;
    if (!srtp_index_rtp_to_open(&c->index, ssrc, seq, &pending))
        return SRTPX_ERR_REPLAY;
    uint64_t index = pending.index;
    uint8_t roc[4];
    write_u32(roc, (uint32_t)(index >> 16));
    size_t sealed = *len - SRTP_CM_TAG_LEN;
    int err = authenticate(c, buf, sealed, roc, buf + sealed, true);
    if (err)
        return err;
    if (!apply_keystream(c, ssrc, index, buf + header, sealed - header))
        return SRTPX_ERR_FAILED;
    srtp_index_opened(&c->index, &pending);
    *len = sealed;
    return 0;
}

/* SRTCP's E flag, set when the packet is encrypted (RFC 3711 §3.4), over its 31-bit index. */
#define SRTCP_E_FLAG 0x80000000u
/* The first RTCP packet's header and sender SSRC, sent in the clear. */
#define SRTCP_CLEAR_LEN 8

int srtp_cm_seal_rtcp(struct srtp_cm *c, uint8_t *buf, size_t *len, size_t cap)
{
    if (*len < SRTCP_CLEAR_LEN || (buf[0] >> 6) != 2 || *len > 65535)
        return SRTPX_ERR_MALFORMED;
    if (cap < *len || cap - *len < SRTP_CM_RTCP_TRAILER_LEN)
        return SRTPX_ERR_NO_ROOM;
    if (c->opener || !c->rtcp || c->next_index > 0x7fffffffu)
        return SRTPX_ERR_FAILED;
    uint32_t index = c->next_index;
    if (!apply_keystream(c, srtp_read_u32(buf + 4), index, buf + SRTCP_CLEAR_LEN,
                         *len - SRTCP_CLEAR_LEN))
        return SRTPX_ERR_FAILED;
    /* The tag covers the packet and E || index, which go out between the two. */
    uint8_t *trailer = buf + *len;
    write_u32(trailer, SRTCP_E_FLAG | index);
    int err = authenticate(c, buf, *len, trailer, trailer + 4, false);
    if (err)
        return err;
    *len += SRTP_CM_RTCP_TRAILER_LEN;
    c->next_index++;
    return 0;
}

int srtp_cm_open_rtcp(struct srtp_cm *c, uint8_t *buf, size_t *len)
{
    if (*len < SRTCP_CLEAR_LEN + SRTP_CM_RTCP_TRAILER_LEN || (buf[0] >> 6) != 2 || *len > 65535)
        return SRTPX_ERR_MALFORMED;
    if (!c->opener || !c->rtcp)
        return SRTPX_ERR_FAILED;
    size_t plain_len = *len - SRTP_CM_RTCP_TRAILER_LEN;
    const uint8_t *trailer = buf + plain_len;
    uint32_t e_index = srtp_read_u32(trailer), index = e_index & ~SRTCP_E_FLAG;
    uint32_t ssrc = srtp_read_u32(buf + 4);
    struct srtp_index_pending pending;
    if (!srtp_index_rtcp_to_open(&c->index, ssrc, index, &pending))
        return SRTPX_ERR_REPLAY;
    int err = authenticate(c, buf, plain_len, trailer, (uint8_t *)trailer + 4, true);
    if (err)
        return err;
    if ((e_index & SRTCP_E_FLAG) &&
        !apply_keystream(c, ssrc, index, buf + SRTCP_CLEAR_LEN, plain_len - SRTCP_CLEAR_LEN))
        return SRTPX_ERR_FAILED;
    srtp_index_opened(&c->index, &pending);
    *len = plain_len;
    return 0;
}
