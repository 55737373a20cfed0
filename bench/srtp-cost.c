/* bench/srtp-cost: what one direction of SRTP costs a peer under each profile onair negotiates,
 * as the server makes it (rtc/srtp: libgcrypt) and as libsrtp2 would (Debian's, on NSS): heap
 * bytes a context (mallinfo2 over 200 of them, each having sealed or opened one packet, so lazy
 * state is counted) and CPU a 1,200-byte RTP packet sealed, and opened. Usage:
 * build/srtp-cost [PACKETS] */
#include <malloc.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtc/srtp.h"

#define CONTEXTS 200
#define PAYLOAD 1188

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t packet(uint8_t *buf, uint16_t seq)
{
    memset(buf, 0, 12 + PAYLOAD);
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    buf[11] = 0x42; /* SSRC */
    return 12 + PAYLOAD;
}

/* One side's context, either way, through onair's srtpx or straight on libsrtp. */
struct side {
    struct srtpx *ours;
    srtp_t theirs;
};

static struct side make(enum srtp_profile profile, bool libsrtp, bool outbound)
{
    static const uint8_t key[30] = {7, 6, 5, 4, 3, 2, 1};
    struct side s = {0};
    if (!libsrtp) {
        struct srtp_keys k = {.profile = profile, .key_len = SRTP_KEYS_KEY_LEN};
        k.salt_len = profile == SRTP_PROFILE_AEAD_AES_128_GCM ? SRTP_KEYS_SALT_LEN_GCM
                                                              : SRTP_KEYS_SALT_LEN_CM;
        memcpy(k.local_key, key, 16);
        memcpy(k.remote_key, key, 16);
        memcpy(k.local_salt, key + 16, k.salt_len);
        memcpy(k.remote_salt, key + 16, k.salt_len);
        s.ours = srtpx_new(&k, outbound);
        return s;
    }
    srtp_profile_t p = profile == SRTP_PROFILE_AEAD_AES_128_GCM ? srtp_profile_aead_aes_128_gcm
                                                                : srtp_profile_aes128_cm_sha1_80;
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, p);
    srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, p);
    policy.key = (uint8_t *)key;
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.window_size = 1024;
    policy.allow_repeat_tx = outbound;
    if (srtp_create(&s.theirs, &policy) != srtp_err_status_ok)
        abort();
    return s;
}

static void drop(struct side *s)
{
    if (s->ours)
        srtpx_free(s->ours);
    else
        srtp_dealloc(s->theirs);
}

static int seal(struct side *s, uint8_t *buf, size_t *len)
{
    if (s->ours)
        return srtpx_protect_rtp(s->ours, buf, len, 1500);
    int n = (int)*len;
    int rc = srtp_protect(s->theirs, buf, &n) == srtp_err_status_ok ? 0 : -1;
    *len = (size_t)n;
    return rc;
}

static int open_sealed(struct side *s, uint8_t *buf, size_t *len)
{
    if (s->ours)
        return srtpx_unprotect_rtp(s->ours, buf, len);
    int n = (int)*len;
    int rc = srtp_unprotect(s->theirs, buf, &n) == srtp_err_status_ok ? 0 : -1;
    *len = (size_t)n;
    return rc;
}

static void measure(const char *name, enum srtp_profile profile, bool libsrtp, long packets)
{
    static struct side sides[CONTEXTS];
    uint8_t buf[1600];
    size_t len;
    double bytes[2];
    for (int outbound = 0; outbound < 2; outbound++) {
        size_t before = mallinfo2().uordblks;
        for (int i = 0; i < CONTEXTS; i++) {
            sides[i] = make(profile, libsrtp, outbound);
            struct side sealer = outbound ? sides[i] : make(profile, libsrtp, true);
            len = packet(buf, 1);
            if (seal(&sealer, buf, &len) || (!outbound && open_sealed(&sides[i], buf, &len)))
                abort();
            if (!outbound)
                drop(&sealer);
        }
        bytes[outbound] = (double)(mallinfo2().uordblks - before) / CONTEXTS;
        for (int i = 0; i < CONTEXTS; i++)
            drop(&sides[i]);
    }
    struct side sealer = make(profile, libsrtp, true), opener = make(profile, libsrtp, false);
    static uint8_t sealed[4096][1600];
    static size_t sealed_len[4096];
    double t0 = cpu_seconds();
    for (long i = 0; i < packets; i++) {
        uint8_t *b = sealed[i % 4096];
        sealed_len[i % 4096] = packet(b, (uint16_t)i);
        if (seal(&sealer, b, &sealed_len[i % 4096]))
            abort();
        if (i % 4096 == 4095) /* opened in the same order, once a batch is sealed */
            for (int j = 0; j < 4096; j++)
                if (open_sealed(&opener, sealed[j], &sealed_len[j]))
                    abort();
    }
    double t1 = cpu_seconds();
    double seal_open_us = (t1 - t0) / (double)packets * 1e6;
    /* Sealing alone, to split the two; the sequence goes on (libsrtp refuses to seal an index
     * far behind the newest again). */
    t0 = cpu_seconds();
    for (long i = packets; i < 2 * packets; i++) {
        len = packet(buf, (uint16_t)i);
        if (seal(&sealer, buf, &len))
            abort();
    }
    double seal_us = (cpu_seconds() - t0) / (double)packets * 1e6;
    printf("%-28s %10.0f %10.0f %10.2f %10.2f\n", name, bytes[1], bytes[0], seal_us,
           seal_open_us - seal_us);
    drop(&sealer);
    drop(&opener);
}

int main(int argc, char **argv)
{
    long packets = argc > 1 ? atol(argv[1]) : 200000;
    packets = (packets + 4095) / 4096 * 4096;
    srtp_global_init();
    printf("%-28s %10s %10s %10s %10s\n", "", "B sealer", "B opener", "us seal", "us open");
    measure("AEAD_AES_128_GCM onair", SRTP_PROFILE_AEAD_AES_128_GCM, false, packets);
    measure("AEAD_AES_128_GCM libsrtp", SRTP_PROFILE_AEAD_AES_128_GCM, true, packets);
    measure("AES128_CM_SHA1_80 onair", SRTP_PROFILE_AES128_CM_SHA1_80, false, packets);
    measure("AES128_CM_SHA1_80 libsrtp", SRTP_PROFILE_AES128_CM_SHA1_80, true, packets);
    return 0;
}
