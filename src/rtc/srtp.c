/* srtp: SRTP/SRTCP protection for one direction of a peer: RTP and RTCP are sealed and opened
 * by rtc/srtp_gcm under AEAD_AES_128_GCM (libipsec-mb or libgcrypt) and rtc/srtp_cm under
 * AES128_CM_SHA1_80 (libgcrypt), see there why; libsrtp2 only in FIPS mode. */
#include "rtc/srtp.h"

#include <pthread.h>
#include <srtp2/srtp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "rtc/srtp_cm.h"
#include "rtc/srtp_gcm.h"
#include "rtc/srtp_index.h"

/* RTP's fixed header is 12 bytes (RFC 3550 §5.1), RTCP's common header plus sender SSRC 8
 * (RFC 3550 §6.4); anything longer than a UDP payload cannot be a packet. */
#define RTP_MIN_LEN 12
#define RTCP_MIN_LEN 8
#define PACKET_MAX_LEN 65535
/* Packets up to this size can be protected through a stack copy when the caller's room is
 * short of libsrtp's contract (see protect); WebRTC keeps packets under ~1200 bytes. */
#define BOUNCE_MAX_LEN 2048

/* A 1024-packet replay window: a NACK answered from history can arrive well behind newer
 * packets, and libsrtp's default of 128 would reject it (RFC 3711 §3.3.2 allows any size). */
#define REPLAY_WINDOW SRTP_REPLAY_WINDOW

struct srtpx {
    srtp_t ctx; /* libsrtp's; NULL while our own contexts do the work */
    /* AEAD_AES_128_GCM: seal (outbound) or open RTP, and RTCP; NULL otherwise. */
    struct srtp_gcm *gcm, *gcm_rtcp;
    /* AES128_CM_SHA1_80: the same. */
    struct srtp_cm *cm, *cm_rtcp;
    /* An inbound RTP opener is made at the first RTP packet, not before: a viewer sends none, and
     * a cipher's keys are 1-2 KiB, a tenth of a viewer's memory. Its master key and salt wait
     * here meanwhile, wiped once used: no more than the opener itself would hold. */
    bool opener_pending;
    uint8_t pending_master[SRTP_KEYS_KEY_LEN + SRTP_KEYS_SALT_MAX];
    size_t rtp_trailer;  /* bytes srtp_protect adds: the authentication tag */
    size_t rtcp_trailer; /* bytes srtp_protect_rtcp adds: E flag + SRTCP index + tag */
};

static pthread_once_t srtp_once = PTHREAD_ONCE_INIT;

static void srtp_init_once(void)
{
    /* srtp_init only fails when libsrtp's own self-tests fail: nothing can work then. */
    if (srtp_init() != srtp_err_status_ok)
        abort();
}

void srtp_global_init(void)
{
    pthread_once(&srtp_once, srtp_init_once);
}

static int map_status(srtp_err_status_t status)
{
    switch (status) {
    case srtp_err_status_ok:
        return 0;
    case srtp_err_status_auth_fail:
        return SRTPX_ERR_AUTH;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
    case srtp_err_status_pkt_idx_old:
        return SRTPX_ERR_REPLAY;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
        return SRTPX_ERR_MALFORMED;
    default:
        return SRTPX_ERR_FAILED;
    }
}

const char *srtpx_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
    case SRTPX_ERR_AUTH:
        return "SRTP authentication failed";
    case SRTPX_ERR_REPLAY:
        return "SRTP replayed or too old packet";
    case SRTPX_ERR_NO_ROOM:
        return "no room for the SRTP trailer";
    case SRTPX_ERR_MALFORMED:
        return "malformed RTP or RTCP packet";
    case SRTPX_ERR_FAILED:
        return "SRTP failure";
    default:
        return "unknown SRTP error";
    }
}

struct srtpx *srtpx_new(const struct srtp_keys *keys, bool outbound)
{
    srtp_profile_t profile;
    size_t salt_len;
    if (keys->profile == SRTP_PROFILE_AEAD_AES_128_GCM) {
        profile = srtp_profile_aead_aes_128_gcm;
        salt_len = SRTP_KEYS_SALT_LEN_GCM;
    } else if (keys->profile == SRTP_PROFILE_AES128_CM_SHA1_80) {
        profile = srtp_profile_aes128_cm_sha1_80;
        salt_len = SRTP_KEYS_SALT_LEN_CM;
    } else {
        return NULL;
    }
    if (keys->key_len != SRTP_KEYS_KEY_LEN || keys->salt_len != salt_len)
        return NULL;

    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    if (srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, profile) != srtp_err_status_ok ||
        srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, profile) != srtp_err_status_ok)
        return NULL;

    /* libsrtp takes the master key and the master salt as one string, key first. */
    uint8_t master[SRTP_KEYS_KEY_LEN + SRTP_KEYS_SALT_MAX];
    memcpy(master, outbound ? keys->local_key : keys->remote_key, SRTP_KEYS_KEY_LEN);
    memcpy(master + SRTP_KEYS_KEY_LEN, outbound ? keys->local_salt : keys->remote_salt, salt_len);
    policy.key = master;
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.window_size = REPLAY_WINDOW;
    /* We resend packets from history with the same index and payload; RFC 3711 §3.3.2's
     * replay check is for the receiver. */
    policy.allow_repeat_tx = outbound ? 1 : 0;

    struct srtpx *s = xcalloc(1, sizeof *s);
    const uint8_t *salt = master + SRTP_KEYS_KEY_LEN;
    bool gcm = profile == srtp_profile_aead_aes_128_gcm;
    if (gcm) {
        s->gcm_rtcp =
            outbound ? srtp_gcm_new_rtcp(master, salt) : srtp_gcm_new_rtcp_opener(master, salt);
        if (outbound)
            s->gcm = srtp_gcm_new(master, salt);
    } else {
        s->cm_rtcp = srtp_cm_new(master, salt, true, !outbound);
        if (outbound)
            s->cm = srtp_cm_new(master, salt, false, false);
    }
    bool ours = gcm ? s->gcm_rtcp && (!outbound || s->gcm) : s->cm_rtcp && (!outbound || s->cm);
    if (!ours) {
        /* Ours were refused (in FIPS mode, or the library failed): libsrtp protects RTP and
         * RTCP, the same bytes at a higher cost per packet. Said once a process, not every
         * peer's. */
        static atomic_flag warned = ATOMIC_FLAG_INIT;
        if (!atomic_flag_test_and_set(&warned))
            log_warn("srtp: no %s context of our own (FIPS mode?); libsrtp protects the packets",
                     gcm ? "AES-GCM" : "AES-CM");
        srtp_gcm_free(s->gcm);
        srtp_gcm_free(s->gcm_rtcp);
        srtp_cm_free(s->cm);
        srtp_cm_free(s->cm_rtcp);
        s->gcm = s->gcm_rtcp = NULL;
        s->cm = s->cm_rtcp = NULL;
    } else if (!outbound) {
        memcpy(s->pending_master, master, SRTP_KEYS_KEY_LEN + salt_len);
        s->opener_pending = true;
    }
    /* No libsrtp context beside ours: Debian's libsrtp keeps its keys in NSS contexts,
     * about 17 KiB a direction, which would be most of a viewer's memory and never used. */
    srtp_err_status_t status = srtp_err_status_ok;
    if (!ours)
        status = srtp_create(&s->ctx, &policy);
    memset(master, 0, sizeof master);
    if (status != srtp_err_status_ok) {
        free(s);
        return NULL;
    }
    s->rtp_trailer = (size_t)policy.rtp.auth_tag_len;
    s->rtcp_trailer = 4 + (size_t)policy.rtcp.auth_tag_len;
    return s;
}

void srtpx_free(struct srtpx *s)
{
    if (!s)
        return;
    if (s->ctx)
        srtp_dealloc(s->ctx);
    srtp_gcm_free(s->gcm);
    srtp_gcm_free(s->gcm_rtcp);
    srtp_cm_free(s->cm);
    srtp_cm_free(s->cm_rtcp);
    memset(s->pending_master, 0, sizeof s->pending_master);
    free(s);
}

/* RTP and RTCP both carry version 2 in the top two bits of the first byte (RFC 3550 §5.1,
 * §6.4.1); libsrtp checks the rest of the header itself. */
static bool plausible(const uint8_t *buf, size_t len, size_t min_len)
{
    return len >= min_len && len <= PACKET_MAX_LEN && (buf[0] >> 6) == 2;
}

/* libsrtp's protect functions may write anything up to SRTP_MAX_TRAILER_LEN (144 bytes: tag and
 * MKI) past the packet by their contract, though without MKI they write only the trailer. When
 * the caller's room is below that contract, protect a copy in a buffer that has it, so the
 * caller's cap holds whatever libsrtp does. */
static int protect(struct srtpx *s, uint8_t *buf, size_t *len, size_t cap, size_t trailer,
                   bool rtcp)
{
    if (!plausible(buf, *len, rtcp ? RTCP_MIN_LEN : RTP_MIN_LEN))
        return SRTPX_ERR_MALFORMED;
    if (cap < *len || cap - *len < trailer)
        return SRTPX_ERR_NO_ROOM;
    int n = (int)*len;
    srtp_err_status_t status;
    if (cap - *len >= SRTP_MAX_TRAILER_LEN) {
        status = rtcp ? srtp_protect_rtcp(s->ctx, buf, &n) : srtp_protect(s->ctx, buf, &n);
    } else if (*len > BOUNCE_MAX_LEN) {
        return SRTPX_ERR_NO_ROOM;
    } else {
        uint8_t copy[BOUNCE_MAX_LEN + SRTP_MAX_TRAILER_LEN];
        memcpy(copy, buf, *len);
        status = rtcp ? srtp_protect_rtcp(s->ctx, copy, &n) : srtp_protect(s->ctx, copy, &n);
        if (status == srtp_err_status_ok) {
            if ((size_t)n > cap)
                return SRTPX_ERR_NO_ROOM;
            memcpy(buf, copy, (size_t)n);
        }
    }
    if (status != srtp_err_status_ok)
        return map_status(status);
    *len = (size_t)n;
    return 0;
}

static int unprotect(struct srtpx *s, uint8_t *buf, size_t *len, bool rtcp)
{
    if (!plausible(buf, *len, rtcp ? RTCP_MIN_LEN : RTP_MIN_LEN))
        return SRTPX_ERR_MALFORMED;
    int n = (int)*len;
    srtp_err_status_t status =
        rtcp ? srtp_unprotect_rtcp(s->ctx, buf, &n) : srtp_unprotect(s->ctx, buf, &n);
    if (status != srtp_err_status_ok)
        return map_status(status);
    *len = (size_t)n;
    return 0;
}

size_t srtpx_rtp_trailer(const struct srtpx *s)
{
    return s->rtp_trailer;
}

size_t srtpx_spans(const struct srtpx *s, struct mem_span *out, size_t max)
{
    if (!max)
        return 0;
    out[0] = (struct mem_span){s, sizeof *s};
    if (s->gcm)
        return 1 + srtp_gcm_spans(s->gcm, out + 1, max - 1);
    return 1 + (s->cm ? srtp_cm_spans(s->cm, out + 1, max - 1) : 0);
}

int srtpx_protect_rtp(struct srtpx *s, uint8_t *buf, size_t *len, size_t cap)
{
    if (s->gcm)
        return srtp_gcm_seal_rtp(s->gcm, buf, len, cap);
    if (s->cm)
        return srtp_cm_seal_rtp(s->cm, buf, len, cap);
    return protect(s, buf, len, cap, s->rtp_trailer, false);
}

int srtpx_unprotect_rtp(struct srtpx *s, uint8_t *buf, size_t *len)
{
    if (s->opener_pending) {
        const uint8_t *salt = s->pending_master + SRTP_KEYS_KEY_LEN;
        if (s->gcm_rtcp)
            s->gcm = srtp_gcm_new_opener(s->pending_master, salt);
        else
            s->cm = srtp_cm_new(s->pending_master, salt, false, true);
        memset(s->pending_master, 0, sizeof s->pending_master);
        s->opener_pending = false;
    }
    /* They check the version and lengths themselves. */
    if (s->gcm)
        return srtp_gcm_open_rtp(s->gcm, buf, len);
    if (s->cm)
        return srtp_cm_open_rtp(s->cm, buf, len);
    if (!s->ctx) /* the RTCP opener was made but not, later, this one */
        return SRTPX_ERR_FAILED;
    return unprotect(s, buf, len, false);
}

int srtpx_protect_rtcp(struct srtpx *s, uint8_t *buf, size_t *len, size_t cap)
{
    if (s->gcm_rtcp)
        return srtp_gcm_seal_rtcp(s->gcm_rtcp, buf, len, cap);
    if (s->cm_rtcp)
        return srtp_cm_seal_rtcp(s->cm_rtcp, buf, len, cap);
    return protect(s, buf, len, cap, s->rtcp_trailer, true);
}

int srtpx_unprotect_rtcp(struct srtpx *s, uint8_t *buf, size_t *len)
{
    if (s->gcm_rtcp)
        return srtp_gcm_open_rtcp(s->gcm_rtcp, buf, len);
    if (s->cm_rtcp)
        return srtp_cm_open_rtcp(s->cm_rtcp, buf, len);
    return unprotect(s, buf, len, true);
}
