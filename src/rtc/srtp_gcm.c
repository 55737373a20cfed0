/* srtp_gcm: RFC 7714 sealing and opening of RTP, or of RTCP, on one libgcrypt AES-128-GCM
 * handle. */
#include "rtc/srtp_gcm.h"

#include <gcrypt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
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

/* One SSRC's newest packet index and, in an opener, its replay window. For RTP the index is
 * ROC * 65536 + SEQ (RFC 3711 §3.3.1); for RTCP it is the 31-bit SRTCP index, kept the same way
 * (its top 15 bits in ROC) so that one window code serves both. */
struct srtp_gcm_stream {
    uint32_t ssrc;
    uint32_t roc;
    uint16_t highest; /* the newest index's low 16 bits: sealed, or opened and authentic */
    uint64_t last_use;
    /* Bit i set: the packet i behind the newest was opened (bit 0: the newest itself). */
    uint64_t seen[WINDOW_WORDS];
};

struct srtp_gcm {
    gcry_cipher_hd_t aead;
    bool opener;
    bool rtcp;                       /* RTCP's keys and framing, not RTP's */
    uint32_t next_index;             /* an RTCP sealer's: the SRTCP index of its next packet */
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
                             const uint8_t master_salt[SRTP_GCM_SALT_LEN], bool opener, bool rtcp)
{
    /* In FIPS mode libgcrypt will not encrypt GCM under an IV it did not make, and RFC 7714's
     * IV is made from the packet: leave both directions to libsrtp there (rtc/srtp.c). */
    if (!gcrypt_started() || gcry_fips_mode_active())
        return NULL;
    uint8_t key[SRTP_GCM_KEY_LEN];
    struct srtp_gcm *g = xcalloc(1, sizeof *g);
    g->opener = opener;
    g->rtcp = rtcp;
    /* The first SRTCP packet carries index 1, as libsrtp's and Pion's do: a receiver that
     * counts index 0 as seen before the first packet still takes it. */
    g->next_index = 1;
    /* RFC 3711 §4.3.1's labels: 0x00/0x02 the SRTP key and salt, 0x03/0x05 the SRTCP ones. */
    bool ok = srtp_gcm_derive(master_key, master_salt, rtcp ? 0x03 : 0x00, key, sizeof key) == 0 &&
              srtp_gcm_derive(master_key, master_salt, rtcp ? 0x05 : 0x02, g->salt,
                              sizeof g->salt) == 0 &&
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
    gcry_cipher_close(g->aead);
    free(g->streams);
    memset(g, 0, sizeof *g);
    free(g);
}

/* The size of libgcrypt's cipher handle for AES-128-GCM: 1,967 bytes allocated by gcry_cipher_open
 * in Debian's 1.10.1 (its key schedule and GHASH key among them). libgcrypt does not tell; a
 * prefetch past the handle's end costs a wasted fetch. */
#define GCRY_GCM_HANDLE_BYTES 1968

size_t srtp_gcm_spans(const struct srtp_gcm *g, struct mem_span *out, size_t max)
{
    size_t n = 0;
    if (n < max)
        out[n++] = (struct mem_span){g, sizeof *g};
    if (n < max)
        out[n++] = (struct mem_span){g->aead, GCRY_GCM_HANDLE_BYTES};
    /* A sealer reads each entry's counters up to its replay window, which it never uses. */
    for (size_t i = 0; i < g->n_streams && n < max; i++)
        out[n++] = (struct mem_span){&g->streams[i], offsetof(struct srtp_gcm_stream, seen)};
    return n;
}

static struct srtp_gcm_stream *find_stream(struct srtp_gcm *g, uint32_t ssrc)
{
    for (size_t i = 0; i < g->n_streams; i++)
        if (g->streams[i].ssrc == ssrc)
            return &g->streams[i];
    return NULL;
}

/* A new SSRC's state with INDEX the newest (an RTP sealer's first SEQ: rollover counter 0, what
 * its receiver assumes, RFC 3711 §3.3.1): a new slot, or the least recently used one once the
 * table is full. */
static struct srtp_gcm_stream *add_stream(struct srtp_gcm *g, uint32_t ssrc, uint64_t index)
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
    s->roc = (uint32_t)(index >> 16);
    s->highest = (uint16_t)index;
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

static uint32_t read_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Starts one GCM message under IV: AAD then AAD2 (AAD2_LEN may be 0) authenticated, and the
 * next encrypt or decrypt call marked the last. */
static bool start(struct srtp_gcm *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                  const uint8_t *aad2, size_t aad2_len)
{
    gcry_cipher_hd_t h = g->aead;
    return !gcry_cipher_setiv(h, iv, 12) && !gcry_cipher_authenticate(h, aad, aad_len) &&
           !(aad2_len && gcry_cipher_authenticate(h, aad2, aad2_len)) && !gcry_cipher_final(h);
}

/* GCM under IV: the AADs authenticated, DATA[0..LEN) encrypted in place, the tag written to
 * TAG. */
static int seal(struct srtp_gcm *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                const uint8_t *aad2, size_t aad2_len, uint8_t *data, size_t len, uint8_t *tag)
{
    if (!start(g, iv, aad, aad_len, aad2, aad2_len) ||
        gcry_cipher_encrypt(g->aead, data, len, NULL, 0) ||
        gcry_cipher_gettag(g->aead, tag, SRTP_GCM_TAG_LEN))
        return SRTPX_ERR_FAILED;
    return 0;
}

/* The reverse of seal: DATA decrypted in place, then TAG checked in constant time. */
static int open_sealed(struct srtp_gcm *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                       const uint8_t *aad2, size_t aad2_len, uint8_t *data, size_t len,
                       const uint8_t *tag)
{
    if (!start(g, iv, aad, aad_len, aad2, aad2_len) ||
        gcry_cipher_decrypt(g->aead, data, len, NULL, 0))
        return SRTPX_ERR_FAILED;
    gcry_error_t checked = gcry_cipher_checktag(g->aead, tag, SRTP_GCM_TAG_LEN);
    if (checked) /* GPG_ERR_CHECKSUM is a mismatch; anything else, a failure */
        return gcry_err_code(checked) == GPG_ERR_CHECKSUM ? SRTPX_ERR_AUTH : SRTPX_ERR_FAILED;
    return 0;
}

int srtp_gcm_seal_rtp(struct srtp_gcm *g, uint8_t *buf, size_t *len, size_t cap)
{
    size_t header = header_length(buf, *len);
    if (!header || *len > 65535)
        return SRTPX_ERR_MALFORMED;
    if (cap < *len || cap - *len < SRTP_GCM_TAG_LEN)
        return SRTPX_ERR_NO_ROOM;
    if (g->opener || g->rtcp)
        return SRTPX_ERR_FAILED;
    uint32_t ssrc = read_u32(buf + 8);
    uint16_t seq = (uint16_t)((buf[2] << 8) | buf[3]);
    uint8_t iv[12];
    make_iv(g, ssrc, ((uint64_t)rollover(g, ssrc, seq) << 16) | seq, iv);
    /* The header is the additional authenticated data; the payload (padding included) is
     * encrypted in place (RFC 7714 §8.2). */
    int err = seal(g, iv, buf, header, NULL, 0, buf + header, *len - header, buf + *len);
    if (!err)
        *len += SRTP_GCM_TAG_LEN;
    return err;
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

static uint64_t newest_index(const struct srtp_gcm_stream *s)
{
    return ((uint64_t)s->roc << 16) | s->highest;
}

/* Whether packet INDEX of S was opened already or is older than the window. */
static bool replayed(const struct srtp_gcm_stream *s, uint64_t index)
{
    uint64_t newest = newest_index(s);
    return index <= newest &&
           (newest - index >= SRTP_GCM_REPLAY_WINDOW || window_has(s, newest - index));
}

/* An authentic packet INDEX of SSRC (its state S, NULL for an SSRC not seen yet): only now may
 * a packet move the stream's state. */
static void note_opened(struct srtp_gcm *g, struct srtp_gcm_stream *s, uint32_t ssrc,
                        uint64_t index)
{
    if (!s) {
        s = add_stream(g, ssrc, index);
        window_set(s, 0);
    } else if (index > newest_index(s)) {
        window_advance(s, index - newest_index(s));
        window_set(s, 0);
        s->roc = (uint32_t)(index >> 16);
        s->highest = (uint16_t)index;
    } else {
        window_set(s, newest_index(s) - index);
    }
    s->last_use = ++g->uses;
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
    if (!g->opener || g->rtcp)
        return SRTPX_ERR_FAILED;
    uint32_t ssrc = read_u32(buf + 8);
    uint16_t seq = (uint16_t)((buf[2] << 8) | buf[3]);
    struct srtp_gcm_stream *s = find_stream(g, ssrc);
    uint64_t index = seq;
    if (s && (!estimate_index(s, seq, &index) || replayed(s, index)))
        return SRTPX_ERR_REPLAY;
    uint8_t iv[12];
    make_iv(g, ssrc, index, iv);
    size_t sealed = *len - header - SRTP_GCM_TAG_LEN;
    int err = open_sealed(g, iv, buf, header, NULL, 0, buf + header, sealed, buf + header + sealed);
    if (err)
        return err;
    note_opened(g, s, ssrc, index);
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
    make_iv(g, read_u32(buf + 4), index, iv);
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
    uint32_t e_index = read_u32(trailer), index = e_index & ~SRTCP_E_FLAG;
    uint32_t ssrc = read_u32(buf + 4);
    struct srtp_gcm_stream *s = find_stream(g, ssrc);
    if (s && replayed(s, index))
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
    note_opened(g, s, ssrc, index);
    *len = plain_len;
    return 0;
}
