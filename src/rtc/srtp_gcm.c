/* srtp_gcm: RFC 7714 sealing of outgoing RTP on one OpenSSL AES-128-GCM context. */
#include "rtc/srtp_gcm.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "rtc/srtp.h"

/* The SSRCs one peer is sent: a viewer gets video, its RTX and audio. More are possible (a
 * publisher's feedback is RTCP, not sealed here), so the least recently used slot is reused. */
#define SRTP_GCM_STREAMS 8

/* A sender's rollover counter for one SSRC (RFC 3711 §3.3.1). */
struct srtp_gcm_stream {
    uint32_t ssrc;
    uint32_t roc;
    uint16_t highest; /* the newest sequence number sealed */
    bool used;
    uint64_t last_use;
};

struct srtp_gcm {
    EVP_CIPHER_CTX *ctx;
    uint8_t salt[SRTP_GCM_SALT_LEN]; /* the session salt */
    struct srtp_gcm_stream streams[SRTP_GCM_STREAMS];
    uint64_t uses;
};

int srtp_gcm_derive(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                    const uint8_t master_salt[SRTP_GCM_SALT_LEN], uint8_t label, uint8_t *out,
                    size_t out_len)
{
    /* x = (key_id XOR master salt) where key_id = label || index DIV kdr (0 here), right-
     * aligned in the 112-bit salt field; RFC 7714's 96-bit salt fills it with two zero bytes.
     * The PRF is AES-CM keyed with the master key from the counter block x * 2^16. */
    uint8_t block[16] = {0};
    memcpy(block, master_salt, SRTP_GCM_SALT_LEN);
    block[7] ^= label;
    uint8_t zeros[64] = {0};
    if (out_len > sizeof zeros)
        return -1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    int ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, master_key, block) == 1 &&
             EVP_EncryptUpdate(ctx, out, &n, zeros, (int)out_len) == 1 && (size_t)n == out_len;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

struct srtp_gcm *srtp_gcm_new(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                              const uint8_t master_salt[SRTP_GCM_SALT_LEN])
{
    uint8_t key[SRTP_GCM_KEY_LEN];
    struct srtp_gcm *g = xcalloc(1, sizeof *g);
    g->ctx = EVP_CIPHER_CTX_new();
    bool ok = g->ctx && srtp_gcm_derive(master_key, master_salt, 0x00, key, sizeof key) == 0 &&
              srtp_gcm_derive(master_key, master_salt, 0x02, g->salt, sizeof g->salt) == 0 &&
              EVP_EncryptInit_ex(g->ctx, EVP_aes_128_gcm(), NULL, key, NULL) == 1;
    memset(key, 0, sizeof key);
    if (!ok) {
        srtp_gcm_free(g);
        return NULL;
    }
    return g;
}

void srtp_gcm_free(struct srtp_gcm *g)
{
    if (!g)
        return;
    EVP_CIPHER_CTX_free(g->ctx);
    memset(g, 0, sizeof *g);
    free(g);
}

/* The rollover counter to seal SEQ of SSRC under, updating the stream's state. */
static uint32_t rollover(struct srtp_gcm *g, uint32_t ssrc, uint16_t seq)
{
    struct srtp_gcm_stream *s = NULL, *oldest = &g->streams[0];
    for (size_t i = 0; i < SRTP_GCM_STREAMS; i++) {
        struct srtp_gcm_stream *c = &g->streams[i];
        if (c->used && c->ssrc == ssrc) {
            s = c;
            break;
        }
        if (!c->used || (oldest->used && c->last_use < oldest->last_use))
            oldest = c;
    }
    s = s ? s : oldest;
    s->last_use = ++g->uses;
    if (!s->used || s->ssrc != ssrc) {
        /* A new SSRC starts at counter 0 (RFC 3711 §3.3.1), as its receiver assumes. */
        *s = (struct srtp_gcm_stream){.ssrc = ssrc, .roc = 0, .highest = seq, .used = true,
                                      .last_use = g->uses};
        return 0;
    }
    int16_t ahead = (int16_t)(uint16_t)(seq - s->highest);
    if (ahead > 0) {
        if (seq < s->highest)
            s->roc++; /* wrapped past 65535 */
        s->highest = seq;
        return s->roc;
    }
    /* Behind the newest (a retransmission): numerically above it means before the wrap. */
    return seq > s->highest && s->roc > 0 ? s->roc - 1 : s->roc;
}

/* The RTP header's length: fixed part, CSRCs, header extension (RFC 3550 §5.3.1); 0 if LEN
 * cannot hold it. */
static size_t header_length(const uint8_t *p, size_t len)
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

int srtp_gcm_seal_rtp(struct srtp_gcm *g, uint8_t *buf, size_t *len, size_t cap)
{
    size_t header = header_length(buf, *len);
    if (!header || *len > 65535)
        return SRTPX_ERR_MALFORMED;
    if (cap < *len || cap - *len < SRTP_GCM_TAG_LEN)
        return SRTPX_ERR_NO_ROOM;
    uint32_t ssrc = ((uint32_t)buf[8] << 24) | ((uint32_t)buf[9] << 16) |
                    ((uint32_t)buf[10] << 8) | buf[11];
    uint16_t seq = (uint16_t)((buf[2] << 8) | buf[3]);
    uint32_t roc = rollover(g, ssrc, seq);
    /* RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR the session salt. */
    uint8_t iv[12] = {0,
                      0,
                      (uint8_t)(ssrc >> 24),
                      (uint8_t)(ssrc >> 16),
                      (uint8_t)(ssrc >> 8),
                      (uint8_t)ssrc,
                      (uint8_t)(roc >> 24),
                      (uint8_t)(roc >> 16),
                      (uint8_t)(roc >> 8),
                      (uint8_t)roc,
                      (uint8_t)(seq >> 8),
                      (uint8_t)seq};
    for (size_t i = 0; i < sizeof iv; i++)
        iv[i] ^= g->salt[i];
    int n = 0, tail = 0;
    size_t payload = *len - header;
    /* The header is the additional authenticated data; the payload (padding included) is
     * encrypted in place (RFC 7714 §8.2). */
    if (EVP_EncryptInit_ex(g->ctx, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(g->ctx, NULL, &n, buf, (int)header) != 1 ||
        EVP_EncryptUpdate(g->ctx, buf + header, &n, buf + header, (int)payload) != 1 ||
        EVP_EncryptFinal_ex(g->ctx, buf + header + n, &tail) != 1 ||
        EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_GET_TAG, SRTP_GCM_TAG_LEN, buf + *len) != 1)
        return SRTPX_ERR_FAILED;
    *len += SRTP_GCM_TAG_LEN;
    return 0;
}
