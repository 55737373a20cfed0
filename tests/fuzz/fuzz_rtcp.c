/* fuzz_rtcp: walks a compound RTCP packet, runs every decoder on every packet, and re-encodes
 * what decodes to check that the encoders say the same thing back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/rtcp.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static uint8_t out[8192]; /* more than any NACK of RTCP_NACK_MAX_LOST numbers needs */

static void decode_one(const struct rtcp_view *v, const char **why)
{
    *why = NULL;
    struct rtcp_view back;
    struct rtcp_iter it;

    struct rtcp_sr sr;
    if (rtcp_sr_decode(&sr, v, why) == 0) {
        size_t n = rtcp_sr_encode(out, sizeof out, &sr);
        CHECK(n > 0);
        struct rtcp_sr again;
        rtcp_iter_init(&it, out, n);
        CHECK(rtcp_next(&it, &back, NULL) == 1 && rtcp_sr_decode(&again, &back, NULL) == 0);
        CHECK(again.ntp == sr.ntp && again.n_blocks == sr.n_blocks);
        for (size_t i = 0; i < sr.n_blocks; i++) {
            const struct rtcp_report_block *a = &again.blocks[i], *b = &sr.blocks[i];
            CHECK(a->ssrc == b->ssrc && a->fraction_lost == b->fraction_lost &&
                  a->cumulative_lost == b->cumulative_lost && a->highest_seq == b->highest_seq &&
                  a->jitter == b->jitter && a->lsr == b->lsr && a->dlsr == b->dlsr);
        }
    }
    struct rtcp_rr rr;
    if (rtcp_rr_decode(&rr, v, why) == 0)
        CHECK(rtcp_rr_encode(out, sizeof out, rr.ssrc, rr.blocks, rr.n_blocks) ==
              8 + 24 * rr.n_blocks);
    struct rtcp_bye bye;
    if (rtcp_bye_decode(&bye, v, why) == 0 && bye.n_ssrcs > 0) {
        char reason[256];
        memcpy(reason, bye.reason ? bye.reason : "", bye.reason_len);
        reason[bye.reason_len] = 0;
        size_t n =
            rtcp_bye_encode(out, sizeof out, bye.ssrcs, bye.n_ssrcs, bye.reason ? reason : NULL);
        CHECK(n > 0 && n % 4 == 0);
    }
    uint32_t ssrc;
    const char *cname;
    size_t cname_len;
    if (rtcp_sdes_cname_decode(&ssrc, &cname, &cname_len, v, why) == 0) {
        CHECK(cname >= (const char *)v->body &&
              cname + cname_len <= (const char *)v->body + v->body_len);
        if (cname_len)
            CHECK(rtcp_sdes_cname_encode(out, sizeof out, ssrc, cname, cname_len) > 0);
    }
    struct rtcp_pli pli;
    (void)rtcp_pli_decode(&pli, v, why);
    struct rtcp_fir fir;
    if (rtcp_fir_decode(&fir, v, why) == 0) {
        uint8_t seq_nr;
        for (size_t i = 0; i < fir.n_entries; i++)
            rtcp_fir_entry(&fir, i, &ssrc, &seq_nr);
    }
    struct rtcp_remb remb;
    if (rtcp_remb_decode(&remb, v, why) == 0 && remb.n_ssrcs > 0) {
        size_t n = rtcp_remb_encode(out, sizeof out, remb.sender_ssrc, remb.bitrate, remb.ssrcs,
                                    remb.n_ssrcs);
        struct rtcp_remb again;
        rtcp_iter_init(&it, out, n);
        CHECK(rtcp_next(&it, &back, NULL) == 1 && rtcp_remb_decode(&again, &back, NULL) == 0);
        CHECK(again.bitrate <= remb.bitrate && again.n_ssrcs == remb.n_ssrcs);
    }
    (void)rtcp_is_twcc(v);
}

/* A NACK's lost numbers, packed again by our encoder, name the same set. */
static void check_nack(const struct rtcp_view *v)
{
    struct rtcp_nack nack;
    if (rtcp_nack_decode(&nack, v, NULL) < 0)
        return;
    static uint16_t lost[RTCP_NACK_MAX_LOST], again[RTCP_NACK_MAX_LOST * 2];
    size_t n = rtcp_nack_lost(&nack, lost, RTCP_NACK_MAX_LOST);
    CHECK(n >= 1 && n <= RTCP_NACK_MAX_LOST);
    size_t len = rtcp_nack_encode(out, sizeof out, 1, 2, lost, n);
    CHECK(len > 0);
    struct rtcp_iter it;
    struct rtcp_view back;
    struct rtcp_nack packed;
    rtcp_iter_init(&it, out, len);
    CHECK(rtcp_next(&it, &back, NULL) == 1 && rtcp_nack_decode(&packed, &back, NULL) == 0);
    CHECK(packed.n_items <= nack.n_items || n == RTCP_NACK_MAX_LOST);
    size_t m = rtcp_nack_lost(&packed, again, sizeof again / sizeof *again);
    static uint8_t seen_a[8192], seen_b[8192];
    memset(seen_a, 0, sizeof seen_a);
    memset(seen_b, 0, sizeof seen_b);
    for (size_t i = 0; i < n; i++)
        seen_a[lost[i] >> 3] |= (uint8_t)(1 << (lost[i] & 7));
    for (size_t i = 0; i < m; i++)
        seen_b[again[i] >> 3] |= (uint8_t)(1 << (again[i] & 7));
    CHECK(memcmp(seen_a, seen_b, sizeof seen_a) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rtcp_iter it;
    struct rtcp_view v;
    const char *why = NULL;
    int rc;
    rtcp_iter_init(&it, data, size);
    while ((rc = rtcp_next(&it, &v, &why)) > 0) {
        CHECK(v.packet >= data && v.packet + v.packet_len <= data + size);
        CHECK(v.body + v.body_len <= v.packet + v.packet_len);
        decode_one(&v, &why);
        check_nack(&v);
    }
    CHECK(rc == 0 || why != NULL);
    return 0;
}
