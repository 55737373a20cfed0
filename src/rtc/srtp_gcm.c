/* srtp_gcm: RFC 7714 sealing and opening of RTP on one libgcrypt AES-128-GCM handle. */
#include "rtc/srtp_gcm.h"

#include <gcrypt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "rtc/srtp.h"

/* SSRCs one context keeps a rollover counter for. A viewer is sent video, its RTX and audio of
 * each publisher it watches (a room's viewer, several publishers); a publisher sends as many,
 * more with simulcast. The table grows to this; past it the least recently used SSRC is
 * forgotten and starts over at counter 0, which its receiver gets wrong once it has wrapped. */
#define SRTP_GCM_MAX_STREAMS 64
#define WINDOW_WORDS (SRTP_GCM_REPLAY_WINDOW / 64)

/* One SSRC's rollover counter (RFC 3711 §3.3.1) and, in an opener, its replay window. */
struct srtp_gcm_stream {
    uint32_t ssrc;
    uint32_t roc;
    uint16_t highest; /* the newest sequence number sealed, or opened and authentic */
    uint64_t last_use;
    /* Bit i set: the packet i behind the newest was opened (bit 0: the newest itself). */
    uint64_t seen[WINDOW_WORDS];
};

struct srtp_gcm {
    gcry_cipher_hd_t aead;
    bool opener;
    uint8_t salt[SRTP_GCM_SALT_LEN]; /* the session salt */
    struct srtp_gcm_stream *streams;
    size_t n_streams, cap_streams;
    uint64_t uses;
};

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

static bool gcrypt_started(void)
{
    pthread_once(&gcrypt_once, gcrypt_start);
    return gcrypt_ready;
}

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
    if (out_len > 64 || !gcrypt_started())
        return -1;
    memset(out, 0, out_len);
    gcry_cipher_hd_t ctr = NULL;
    bool ok = gcry_cipher_open(&ctr, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CTR, 0) == 0 &&
              gcry_cipher_setkey(ctr, master_key, SRTP_GCM_KEY_LEN) == 0 &&
              gcry_cipher_setctr(ctr, block, sizeof block) == 0 &&
              gcry_cipher_encrypt(ctr, out, out_len, NULL, 0) == 0;
    gcry_cipher_close(ctr);
    return ok ? 0 : -1;
}

static struct srtp_gcm *make(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                             const uint8_t master_salt[SRTP_GCM_SALT_LEN], bool opener)
{
    /* In FIPS mode libgcrypt will not encrypt GCM under an IV it did not make, and RFC 7714's
     * IV is made from the packet: leave both directions to libsrtp there (rtc/srtp.c). */
    if (!gcrypt_started() || gcry_fips_mode_active())
        return NULL;
    uint8_t key[SRTP_GCM_KEY_LEN];
    struct srtp_gcm *g = xcalloc(1, sizeof *g);
    g->opener = opener;
    bool ok = srtp_gcm_derive(master_key, master_salt, 0x00, key, sizeof key) == 0 &&
              srtp_gcm_derive(master_key, master_salt, 0x02, g->salt, sizeof g->salt) == 0 &&
              gcry_cipher_open(&g->aead, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0) == 0 &&
              gcry_cipher_setkey(g->aead, key, sizeof key) == 0;
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
    return make(master_key, master_salt, false);
}

struct srtp_gcm *srtp_gcm_new_opener(const uint8_t master_key[SRTP_GCM_KEY_LEN],
                                     const uint8_t master_salt[SRTP_GCM_SALT_LEN])
{
    return make(master_key, master_salt, true);
}

void srtp_gcm_free(struct srtp_gcm *g)
{
    if (!g)
        return;
    gcry_cipher_close(g->aead);
    free(g->streams);
    memset(g, 0, sizeof *g);
    free(g);
}

static struct srtp_gcm_stream *find_stream(struct srtp_gcm *g, uint32_t ssrc)
{
    for (size_t i = 0; i < g->n_streams; i++)
        if (g->streams[i].ssrc == ssrc)
            return &g->streams[i];
    return NULL;
}

/* A new SSRC's state, at rollover counter 0 (RFC 3711 §3.3.1: what its receiver assumes) with
 * SEQ the newest: a new slot, or the least recently used one once the table is full. */
static struct srtp_gcm_stream *add_stream(struct srtp_gcm *g, uint32_t ssrc, uint16_t seq)
{
    struct srtp_gcm_stream *s;
    if (g->n_streams < SRTP_GCM_MAX_STREAMS) {
        if (g->n_streams == g->cap_streams) {
            g->cap_streams = g->cap_streams ? 2 * g->cap_streams : 4;
            g->streams = xrealloc(g->streams, g->cap_streams * sizeof *g->streams);
        }
        s = &g->streams[g->n_streams++];
    } else {
        s = &g->streams[0];
        for (size_t i = 1; i < g->n_streams; i++)
            if (g->streams[i].last_use < s->last_use)
                s = &g->streams[i];
    }
    memset(s, 0, sizeof *s);
    s->ssrc = ssrc;
    s->highest = seq;
    return s;
}

/* The rollover counter to seal SEQ of SSRC under, updating the stream's state. */
static uint32_t rollover(struct srtp_gcm *g, uint32_t ssrc, uint16_t seq)
{
    struct srtp_gcm_stream *s = find_stream(g, ssrc);
    if (!s)
        s = add_stream(g, ssrc, seq); /* SEQ the newest, at 0: the code below returns 0 */
    s->last_use = ++g->uses;
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

/* RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR the session salt. */
static void make_iv(const struct srtp_gcm *g, uint32_t ssrc, uint32_t roc, uint16_t seq,
                    uint8_t iv[12])
{
    const uint8_t plain[12] = {0,
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
    for (size_t i = 0; i < sizeof plain; i++)
        iv[i] = plain[i] ^ g->salt[i];
}

static uint32_t packet_ssrc(const uint8_t *p)
{
    return ((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) | ((uint32_t)p[10] << 8) | p[11];
}

int srtp_gcm_seal_rtp(struct srtp_gcm *g, uint8_t *buf, size_t *len, size_t cap)
{
    size_t header = header_length(buf, *len);
    if (!header || *len > 65535)
        return SRTPX_ERR_MALFORMED;
    if (cap < *len || cap - *len < SRTP_GCM_TAG_LEN)
        return SRTPX_ERR_NO_ROOM;
    if (g->opener)
        return SRTPX_ERR_FAILED;
    uint32_t ssrc = packet_ssrc(buf);
    uint16_t seq = (uint16_t)((buf[2] << 8) | buf[3]);
    uint8_t iv[12];
    make_iv(g, ssrc, rollover(g, ssrc, seq), seq, iv);
    /* The header is the additional authenticated data; the payload (padding included) is
     * encrypted in place (RFC 7714 §8.2). */
    gcry_cipher_hd_t h = g->aead;
    if (gcry_cipher_setiv(h, iv, sizeof iv) || gcry_cipher_authenticate(h, buf, header) ||
        gcry_cipher_final(h) || gcry_cipher_encrypt(h, buf + header, *len - header, NULL, 0) ||
        gcry_cipher_gettag(h, buf + *len, SRTP_GCM_TAG_LEN))
        return SRTPX_ERR_FAILED;
    *len += SRTP_GCM_TAG_LEN;
    return 0;
}

/* The replay window's bit for the packet BEHIND the newest (less than the window). */
static bool window_has(const struct srtp_gcm_stream *s, uint64_t behind)
{
    return (s->seen[behind / 64] >> (behind % 64)) & 1;
}

static void window_set(struct srtp_gcm_stream *s, uint64_t behind)
{
    s->seen[behind / 64] |= (uint64_t)1 << (behind % 64);
}

/* A newer packet, AHEAD of the newest, becomes the newest: every bit moves AHEAD further back. */
static void window_advance(struct srtp_gcm_stream *s, uint64_t ahead)
{
    if (ahead >= SRTP_GCM_REPLAY_WINDOW) {
        memset(s->seen, 0, sizeof s->seen);
        return;
    }
    size_t words = (size_t)(ahead / 64), bits = (size_t)(ahead % 64);
    for (size_t i = WINDOW_WORDS; i-- > 0;) {
        uint64_t w = i >= words ? s->seen[i - words] << bits : 0;
        if (bits && i >= words + 1)
            w |= s->seen[i - words - 1] >> (64 - bits);
        s->seen[i] = w;
    }
}

/* The 48-bit packet index (RFC 3711 §3.3.1: ROC * 65536 + SEQ) the sender of S most likely gave
 * SEQ, judged from the newest authentic packet; false for a packet from before the stream's
 * first (its counter would be below 0). */
static bool estimate_index(const struct srtp_gcm_stream *s, uint16_t seq, uint64_t *index)
{
    uint32_t roc = s->roc;
    if (s->highest < 32768 && seq > s->highest + 32768) {
        if (roc == 0)
            return false;
        roc--; /* a late packet from before the newest's wrap */
    } else if (s->highest >= 32768 && seq < s->highest - 32768) {
        roc++; /* the sender has wrapped */
    }
    *index = ((uint64_t)roc << 16) | seq;
    return true;
}

int srtp_gcm_open_rtp(struct srtp_gcm *g, uint8_t *buf, size_t *len)
{
    size_t header = header_length(buf, *len);
    if (!header || *len > 65535 || *len - header < SRTP_GCM_TAG_LEN)
        return SRTPX_ERR_MALFORMED;
    if (!g->opener)
        return SRTPX_ERR_FAILED;
    uint32_t ssrc = packet_ssrc(buf);
    uint16_t seq = (uint16_t)((buf[2] << 8) | buf[3]);
    struct srtp_gcm_stream *s = find_stream(g, ssrc);
    uint64_t index = seq, newest = 0;
    if (s) {
        newest = ((uint64_t)s->roc << 16) | s->highest;
        if (!estimate_index(s, seq, &index))
            return SRTPX_ERR_REPLAY;
        if (index <= newest &&
            (newest - index >= SRTP_GCM_REPLAY_WINDOW || window_has(s, newest - index)))
            return SRTPX_ERR_REPLAY;
    }
    uint8_t iv[12];
    make_iv(g, ssrc, (uint32_t)(index >> 16), seq, iv);
    size_t sealed = *len - header - SRTP_GCM_TAG_LEN;
    gcry_cipher_hd_t h = g->aead;
    if (gcry_cipher_setiv(h, iv, sizeof iv) || gcry_cipher_authenticate(h, buf, header) ||
        gcry_cipher_final(h) || gcry_cipher_decrypt(h, buf + header, sealed, NULL, 0))
        return SRTPX_ERR_FAILED;
    /* A constant-time comparison; a mismatch is GPG_ERR_CHECKSUM, anything else a failure. */
    gcry_error_t tag = gcry_cipher_checktag(h, buf + header + sealed, SRTP_GCM_TAG_LEN);
    if (tag)
        return gcry_err_code(tag) == GPG_ERR_CHECKSUM ? SRTPX_ERR_AUTH : SRTPX_ERR_FAILED;
    /* Authentic: only now may the packet move the stream's state. */
    if (!s) {
        s = add_stream(g, ssrc, seq);
        window_set(s, 0);
    } else if (index > newest) {
        window_advance(s, index - newest);
        window_set(s, 0);
        s->roc = (uint32_t)(index >> 16);
        s->highest = seq;
    } else {
        window_set(s, newest - index);
    }
    s->last_use = ++g->uses;
    *len -= SRTP_GCM_TAG_LEN;
    return 0;
}
