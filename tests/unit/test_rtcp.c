/* Tests for proto/rtcp: compound iteration, each decoder and encoder on hand-built packets. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>

#include "proto/rtcp.h"

/* A sender's compound report (RFC 3550 §6.4.1, §6.5): SR with one report block, SDES CNAME. */
static const uint8_t sr_sdes[] = {
    /* SR */
    0x81, 0xc8, 0x00, 0x0c, /* V=2 RC=1, PT=200, length 12 words (52 bytes) */
    0x11, 0x22, 0x33, 0x44, /* SSRC of sender */
    0xe7, 0xb0, 0xa1, 0xb2, /* NTP timestamp, most significant word */
    0x40, 0x00, 0x00, 0x00, /* NTP timestamp, least significant word (0.25 s) */
    0x00, 0x01, 0x5f, 0x90, /* RTP timestamp 90000 */
    0x00, 0x00, 0x00, 0x64, /* sender's packet count 100 */
    0x00, 0x01, 0x11, 0x70, /* sender's octet count 70000 */
    0x55, 0x66, 0x77, 0x88, /* report block: SSRC_1 */
    0x19, 0x00, 0x00, 0x03, /* fraction lost 25/256, cumulative lost 3 */
    0x00, 0x01, 0x00, 0x05, /* extended highest sequence number: 1 cycle, seq 5 */
    0x00, 0x00, 0x00, 0x20, /* interarrival jitter 32 */
    0xa1, 0xb2, 0x40, 0x00, /* LSR */
    0x00, 0x00, 0x80, 0x00, /* DLSR 0.5 s */
    /* SDES */
    0x81, 0xca, 0x00, 0x06, /* V=2 SC=1, PT=202, length 6 words (28 bytes) */
    0x11, 0x22, 0x33, 0x44, /* chunk: SSRC */
    0x01, 0x10, '4', 'T',   /* CNAME, 16 bytes */
    'O', 'k', '4', '2',     /* */
    'm', 'S', 'j', 'X',     /* */
    'C', 'k', 'V', 'I',     /* */
    'a', '6', 0x00, 0x00,   /* end of items, padding to 32 bits */
};

/* RFC 4585 §6.2.1 generic NACK: packet 100 lost, and with BLP 0b101, 101 and 103. */
static const uint8_t nack[] = {
    0x81, 0xcd, 0x00, 0x03, /* V=2 FMT=1, PT=205 (RTPFB), length 3 */
    0x0a, 0x1e, 0x00, 0x01, /* SSRC of packet sender */
    0x55, 0x66, 0x77, 0x88, /* SSRC of media source */
    0x00, 0x64, 0x00, 0x05, /* PID 100, BLP 0x0005 */
};

/* RFC 4585 §6.3.1 PLI. */
static const uint8_t pli[] = {
    0x81, 0xce, 0x00, 0x02, /* V=2 FMT=1, PT=206 (PSFB), length 2 */
    0x0a, 0x1e, 0x00, 0x01, /* SSRC of packet sender */
    0x55, 0x66, 0x77, 0x88, /* SSRC of media source */
};

/* RFC 5104 §4.3.1 FIR. */
static const uint8_t fir[] = {
    0x84, 0xce, 0x00, 0x04, /* V=2 FMT=4, PT=206, length 4 */
    0x0a, 0x1e, 0x00, 0x01, /* SSRC of packet sender */
    0x00, 0x00, 0x00, 0x00, /* SSRC of media source: unused, 0 */
    0x55, 0x66, 0x77, 0x88, /* FCI: SSRC */
    0x07, 0x00, 0x00, 0x00, /* Seq nr. 7, reserved */
};

/* draft-alvestrand-rmcat-remb §2.2: 1,000,000 b/s = 250000 * 2^2 for two sources. */
static const uint8_t remb[] = {
    0x8f, 0xce, 0x00, 0x06, /* V=2 FMT=15, PT=206, length 6 */
    0x0a, 0x1e, 0x00, 0x01, /* SSRC of packet sender */
    0x00, 0x00, 0x00, 0x00, /* SSRC of media source: unused */
    'R',  'E',  'M',  'B',  /* unique identifier */
    0x02, 0x0b, 0xd0, 0x90, /* Num SSRC 2, BR Exp 2, BR Mantissa 250000 (0x3d090) */
    0x55, 0x66, 0x77, 0x88, /* SSRC feedback */
    0x55, 0x66, 0x77, 0x89, /* */
};

/* RFC 3550 §6.6 BYE with a reason. */
static const uint8_t bye[] = {
    0x81, 0xcb, 0x00, 0x03, /* V=2 SC=1, PT=203, length 3 */
    0x11, 0x22, 0x33, 0x44, /* SSRC */
    0x04, 'd',  'o',  'n',  /* length 4, reason */
    'e',  0x00, 0x00, 0x00, /* padding */
};

/* Transport-wide congestion control feedback (draft-holmer-...-§3.1), only recognised. */
static const uint8_t twcc[] = {
    0x8f, 0xcd, 0x00, 0x05, /* V=2 FMT=15, PT=205, length 5 */
    0x0a, 0x1e, 0x00, 0x01, /* SSRC of packet sender */
    0x55, 0x66, 0x77, 0x88, /* SSRC of media source */
    0x00, 0x01, 0x00, 0x02, /* base sequence number 1, packet status count 2 */
    0x00, 0x00, 0x10, 0x00, /* reference time, feedback packet count */
    0x20, 0x02, 0x04, 0x04, /* run length chunk: 2 packets received small delta; deltas */
};

/* Copies P to a heap block of exactly LEN bytes, so ASan sees any read past the end. */
static uint8_t *exact_copy(const uint8_t *p, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, p, len);
    return copy;
}

static void next_ok(struct rtcp_iter *it, struct rtcp_view *v, uint8_t type, uint8_t fmt)
{
    const char *why = NULL;
    int rc = rtcp_next(it, v, &why);
    if (rc != 1)
        fail_msg("rtcp_next returned %d (%s)", rc, why ? why : "");
    assert_int_equal(v->type, type);
    assert_int_equal(v->fmt, fmt);
}

static void test_sr_sdes_compound(void **state)
{
    (void)state;
    uint8_t *p = exact_copy(sr_sdes, sizeof sr_sdes);
    struct rtcp_iter it;
    struct rtcp_view v;
    const char *why = NULL;
    rtcp_iter_init(&it, p, sizeof sr_sdes);

    next_ok(&it, &v, RTCP_SR, 1);
    assert_int_equal(v.count, 1);
    assert_int_equal(v.packet_len, 52);
    assert_int_equal(v.body_len, 48);
    struct rtcp_sr sr;
    assert_int_equal(rtcp_sr_decode(&sr, &v, &why), 0);
    assert_int_equal(sr.ssrc, 0x11223344);
    assert_true(sr.ntp == 0xe7b0a1b240000000ull);
    assert_int_equal(sr.rtp_ts, 90000);
    assert_int_equal(sr.packet_count, 100);
    assert_int_equal(sr.octet_count, 70000);
    assert_int_equal(sr.n_blocks, 1);
    assert_int_equal(sr.blocks[0].ssrc, 0x55667788);
    assert_int_equal(sr.blocks[0].fraction_lost, 25);
    assert_int_equal(sr.blocks[0].cumulative_lost, 3);
    assert_int_equal(sr.blocks[0].highest_seq, 0x00010005);
    assert_int_equal(sr.blocks[0].jitter, 32);
    assert_int_equal(sr.blocks[0].lsr, 0xa1b24000);
    assert_int_equal(sr.blocks[0].dlsr, 0x8000);
    uint8_t out[64];
    assert_int_equal(rtcp_sr_encode(out, sizeof out, &sr), 52);
    assert_memory_equal(out, sr_sdes, 52);
    assert_int_equal(rtcp_sr_encode(out, 51, &sr), 0);
    assert_int_equal(rtcp_rr_decode(&(struct rtcp_rr){0}, &v, &why), -1);

    next_ok(&it, &v, RTCP_SDES, 1);
    uint32_t ssrc;
    const char *cname;
    size_t cname_len;
    assert_int_equal(rtcp_sdes_cname_decode(&ssrc, &cname, &cname_len, &v, &why), 0);
    assert_int_equal(ssrc, 0x11223344);
    assert_int_equal(cname_len, 16);
    assert_memory_equal(cname, "4TOk42mSjXCkVIa6", 16);
    assert_int_equal(rtcp_sdes_cname_encode(out, sizeof out, ssrc, cname, cname_len), 28);
    assert_memory_equal(out, sr_sdes + 52, 28);
    assert_int_equal(rtcp_sdes_cname_encode(out, 27, ssrc, cname, cname_len), 0);

    assert_int_equal(rtcp_next(&it, &v, &why), 0);
    assert_int_equal(rtcp_next(&it, &v, &why), 0);
    free(p);
}

static void test_sdes_padding_sizes(void **state)
{
    (void)state;
    /* Every CNAME length gives a whole number of words with at least one zero after it. */
    uint8_t out[300];
    char name[255];
    memset(name, 'x', sizeof name);
    for (size_t len = 1; len <= 255; len++) {
        size_t n = rtcp_sdes_cname_encode(out, sizeof out, 9, name, len);
        assert_int_equal(n % 4, 0);
        assert_true(n >= 8 + 2 + len + 1 && n <= 8 + 2 + len + 4);
        assert_int_equal(out[10 + len], 0);
        struct rtcp_iter it;
        struct rtcp_view v;
        rtcp_iter_init(&it, out, n);
        next_ok(&it, &v, RTCP_SDES, 1);
        uint32_t ssrc;
        const char *cname;
        size_t cname_len;
        assert_int_equal(rtcp_sdes_cname_decode(&ssrc, &cname, &cname_len, &v, NULL), 0);
        assert_int_equal(cname_len, len);
    }
    assert_int_equal(rtcp_sdes_cname_encode(out, sizeof out, 9, name, 0), 0);
}

static void test_rr(void **state)
{
    (void)state;
    static const uint8_t empty_rr[] = {
        0x80, 0xc9, 0x00, 0x01, /* V=2 RC=0, PT=201, length 1 */
        0x0a, 0x1e, 0x00, 0x01, /* SSRC of the receive-only reporter */
    };
    uint8_t out[64];
    assert_int_equal(rtcp_rr_encode(out, sizeof out, 0x0a1e0001, NULL, 0), 8);
    assert_memory_equal(out, empty_rr, 8);
    assert_int_equal(rtcp_rr_encode(out, 7, 0x0a1e0001, NULL, 0), 0);

    static const uint8_t rr_negative[] = {
        0x81, 0xc9, 0x00, 0x07, /* V=2 RC=1, PT=201, length 7 */
        0x0a, 0x1e, 0x00, 0x01, /* reporter */
        0x55, 0x66, 0x77, 0x88, /* SSRC_1 */
        0x00, 0xff, 0xff, 0xfe, /* fraction 0, cumulative lost -2 (duplicates) */
        0x00, 0x00, 0x12, 0x34, /* highest sequence */
        0x00, 0x00, 0x00, 0x00, /* jitter */
        0x00, 0x00, 0x00, 0x00, /* LSR: no SR yet */
        0x00, 0x00, 0x00, 0x00, /* DLSR */
    };
    struct rtcp_iter it;
    struct rtcp_view v;
    struct rtcp_rr rr;
    rtcp_iter_init(&it, rr_negative, sizeof rr_negative);
    next_ok(&it, &v, RTCP_RR, 1);
    assert_int_equal(rtcp_rr_decode(&rr, &v, NULL), 0);
    assert_int_equal(rr.ssrc, 0x0a1e0001);
    assert_int_equal(rr.n_blocks, 1);
    assert_int_equal(rr.blocks[0].cumulative_lost, -2);
    assert_int_equal(rr.blocks[0].highest_seq, 0x1234);
    assert_int_equal(rtcp_rr_encode(out, sizeof out, rr.ssrc, rr.blocks, rr.n_blocks),
                     sizeof rr_negative);
    assert_memory_equal(out, rr_negative, sizeof rr_negative);

    /* A loss too large for 24 bits is clamped to the largest one. */
    rr.blocks[0].cumulative_lost = 10000000;
    assert_int_equal(rtcp_rr_encode(out, sizeof out, 1, rr.blocks, 1), 32);
    assert_memory_equal(out + 13, "\x7f\xff\xff", 3);
    rr.blocks[0].cumulative_lost = -10000000;
    rtcp_rr_encode(out, sizeof out, 1, rr.blocks, 1);
    assert_memory_equal(out + 13, "\x80\x00\x00", 3);

    /* 31 blocks at most. */
    struct rtcp_report_block many[32];
    memset(many, 0, sizeof many);
    uint8_t big[1024];
    assert_int_equal(rtcp_rr_encode(big, sizeof big, 1, many, 31), 8 + 31 * 24);
    assert_int_equal(rtcp_rr_encode(big, sizeof big, 1, many, 32), 0);
}

static void test_bye(void **state)
{
    (void)state;
    struct rtcp_iter it;
    struct rtcp_view v;
    struct rtcp_bye b;
    rtcp_iter_init(&it, bye, sizeof bye);
    next_ok(&it, &v, RTCP_BYE, 1);
    assert_int_equal(rtcp_bye_decode(&b, &v, NULL), 0);
    assert_int_equal(b.n_ssrcs, 1);
    assert_int_equal(b.ssrcs[0], 0x11223344);
    assert_int_equal(b.reason_len, 4);
    assert_memory_equal(b.reason, "done", 4);
    uint8_t out[32];
    assert_int_equal(rtcp_bye_encode(out, sizeof out, b.ssrcs, 1, "done"), sizeof bye);
    assert_memory_equal(out, bye, sizeof bye);
    /* Without a reason: just the SSRCs. */
    assert_int_equal(rtcp_bye_encode(out, sizeof out, b.ssrcs, 1, NULL), 8);
    rtcp_iter_init(&it, out, 8);
    next_ok(&it, &v, RTCP_BYE, 1);
    assert_int_equal(rtcp_bye_decode(&b, &v, NULL), 0);
    assert_null(b.reason);
    /* A reason longer than the packet. */
    uint8_t bad[sizeof bye];
    memcpy(bad, bye, sizeof bye);
    bad[8] = 8;
    rtcp_iter_init(&it, bad, sizeof bad);
    next_ok(&it, &v, RTCP_BYE, 1);
    const char *why = NULL;
    assert_int_equal(rtcp_bye_decode(&b, &v, &why), -1);
    assert_non_null(why);
}

static void expect_lost(const uint8_t *p, size_t len, const uint16_t *want, size_t n_want)
{
    struct rtcp_iter it;
    struct rtcp_view v;
    struct rtcp_nack n;
    rtcp_iter_init(&it, p, len);
    next_ok(&it, &v, RTCP_RTPFB, RTCP_FMT_NACK);
    assert_int_equal(rtcp_nack_decode(&n, &v, NULL), 0);
    uint16_t lost[RTCP_NACK_MAX_LOST];
    size_t got = rtcp_nack_lost(&n, lost, RTCP_NACK_MAX_LOST);
    assert_int_equal(got, n_want);
    assert_memory_equal(lost, want, n_want * sizeof *want);
}

static void test_nack(void **state)
{
    (void)state;
    struct rtcp_iter it;
    struct rtcp_view v;
    struct rtcp_nack n;
    rtcp_iter_init(&it, nack, sizeof nack);
    next_ok(&it, &v, RTCP_RTPFB, RTCP_FMT_NACK);
    assert_int_equal(rtcp_nack_decode(&n, &v, NULL), 0);
    assert_int_equal(n.sender_ssrc, 0x0a1e0001);
    assert_int_equal(n.media_ssrc, 0x55667788);
    assert_int_equal(n.n_items, 1);
    uint16_t pid, blp;
    rtcp_nack_item(&n, 0, &pid, &blp);
    assert_int_equal(pid, 100);
    assert_int_equal(blp, 5);
    static const uint16_t want[] = {100, 101, 103};
    expect_lost(nack, sizeof nack, want, 3);
    /* Expansion stops at the caller's limit. */
    uint16_t two[2];
    assert_int_equal(rtcp_nack_lost(&n, two, 2), 2);
    assert_int_equal(two[1], 101);

    uint8_t out[64];
    assert_int_equal(rtcp_nack_encode(out, sizeof out, 0x0a1e0001, 0x55667788, want, 3),
                     sizeof nack);
    assert_memory_equal(out, nack, sizeof nack);
    assert_int_equal(rtcp_nack_encode(out, sizeof nack - 1, 0x0a1e0001, 0x55667788, want, 3), 0);
    assert_int_equal(rtcp_nack_encode(out, sizeof out, 1, 2, want, 0), 0);
}

/* A NACK naming its numbers many times (61 entries of PID 100 with all 16 bits: the same 17
 * numbers over and over) lists each once: each listed number costs the SFU a resend. */
static void test_nack_repeats_listed_once(void **state)
{
    (void)state;
    uint8_t pkt[12 + 61 * 4];
    memcpy(pkt, nack, 12);
    pkt[2] = 0;
    pkt[3] = 2 + 61; /* length in words, minus one */
    for (size_t i = 0; i < 61; i++)
        memcpy(pkt + 12 + 4 * i, "\x00\x64\xff\xff", 4);
    uint16_t want[17];
    for (uint16_t i = 0; i < 17; i++)
        want[i] = (uint16_t)(100 + i);
    expect_lost(pkt, sizeof pkt, want, 17);
}

static void test_nack_packing(void **state)
{
    (void)state;
    uint8_t out[256];
    /* Across the wrap: one entry. */
    static const uint16_t wrap[] = {65534, 65535, 0, 1};
    size_t len = rtcp_nack_encode(out, sizeof out, 1, 2, wrap, 4);
    assert_int_equal(len, 16);
    assert_memory_equal(out + 12, "\xff\xfe\x00\x07", 4);
    expect_lost(out, len, wrap, 4);

    /* 16 ahead is the last bit of the mask; 17 ahead needs a new entry. */
    static const uint16_t gap[] = {10, 26, 27};
    len = rtcp_nack_encode(out, sizeof out, 1, 2, gap, 3);
    assert_int_equal(len, 20);
    assert_memory_equal(out + 12,
                        "\x00\x0a\x80\x00"
                        "\x00\x1b\x00\x00",
                        8);
    expect_lost(out, len, gap, 3);

    /* Repeats fold away; a number behind the open entry opens another. */
    static const uint16_t repeats[] = {5, 5, 6, 3};
    len = rtcp_nack_encode(out, sizeof out, 1, 2, repeats, 4);
    assert_int_equal(len, 20);
    assert_memory_equal(out + 12,
                        "\x00\x05\x00\x01"
                        "\x00\x03\x00\x00",
                        8);

    /* A long run: 40 consecutive numbers from 65530 take 3 entries (17 + 17 + 6). */
    uint16_t run[40];
    for (int i = 0; i < 40; i++)
        run[i] = (uint16_t)(65530 + i);
    len = rtcp_nack_encode(out, sizeof out, 1, 2, run, 40);
    assert_int_equal(len, 12 + 3 * 4);
    assert_memory_equal(out + 12,
                        "\xff\xfa\xff\xff"
                        "\x00\x0b\xff\xff"
                        "\x00\x1c\x00\x1f",
                        12);
    expect_lost(out, len, run, 40);
    assert_int_equal(rtcp_nack_encode(out, 23, 1, 2, run, 40), 0);
}

static void test_pli_fir(void **state)
{
    (void)state;
    struct rtcp_iter it;
    struct rtcp_view v;
    uint8_t compound[sizeof pli + sizeof fir];
    memcpy(compound, pli, sizeof pli);
    memcpy(compound + sizeof pli, fir, sizeof fir);
    rtcp_iter_init(&it, compound, sizeof compound);

    next_ok(&it, &v, RTCP_PSFB, RTCP_FMT_PLI);
    struct rtcp_pli p;
    assert_int_equal(rtcp_pli_decode(&p, &v, NULL), 0);
    assert_int_equal(p.sender_ssrc, 0x0a1e0001);
    assert_int_equal(p.media_ssrc, 0x55667788);
    struct rtcp_fir f;
    assert_int_equal(rtcp_fir_decode(&f, &v, NULL), -1); /* a PLI is not a FIR */

    next_ok(&it, &v, RTCP_PSFB, RTCP_FMT_FIR);
    assert_int_equal(rtcp_fir_decode(&f, &v, NULL), 0);
    assert_int_equal(f.sender_ssrc, 0x0a1e0001);
    assert_int_equal(f.n_entries, 1);
    uint32_t ssrc;
    uint8_t seq_nr;
    rtcp_fir_entry(&f, 0, &ssrc, &seq_nr);
    assert_int_equal(ssrc, 0x55667788);
    assert_int_equal(seq_nr, 7);
    assert_int_equal(rtcp_next(&it, &v, NULL), 0);

    uint8_t out[32];
    assert_int_equal(rtcp_pli_encode(out, sizeof out, 0x0a1e0001, 0x55667788), sizeof pli);
    assert_memory_equal(out, pli, sizeof pli);
    assert_int_equal(rtcp_pli_encode(out, 11, 1, 2), 0);
    assert_int_equal(rtcp_fir_encode(out, sizeof out, 0x0a1e0001, 0x55667788, 7), sizeof fir);
    assert_memory_equal(out, fir, sizeof fir);
    assert_int_equal(rtcp_fir_encode(out, 19, 1, 2, 3), 0);

    /* A FIR whose entries are cut short. */
    uint8_t cut[16];
    memcpy(cut, fir, 16);
    cut[3] = 3;
    rtcp_iter_init(&it, cut, sizeof cut);
    next_ok(&it, &v, RTCP_PSFB, RTCP_FMT_FIR);
    assert_int_equal(rtcp_fir_decode(&f, &v, NULL), -1);
}

static void test_remb(void **state)
{
    (void)state;
    struct rtcp_iter it;
    struct rtcp_view v;
    struct rtcp_remb r;
    rtcp_iter_init(&it, remb, sizeof remb);
    next_ok(&it, &v, RTCP_PSFB, RTCP_FMT_AFB);
    assert_true(rtcp_is_remb(&v));
    assert_int_equal(rtcp_remb_decode(&r, &v, NULL), 0);
    assert_int_equal(r.sender_ssrc, 0x0a1e0001);
    assert_int_equal(r.bitrate, 1000000);
    assert_int_equal(r.n_ssrcs, 2);
    assert_int_equal(r.ssrcs[0], 0x55667788);
    assert_int_equal(r.ssrcs[1], 0x55667789);
    uint8_t out[64];
    assert_int_equal(rtcp_remb_encode(out, sizeof out, 0x0a1e0001, 1000000, r.ssrcs, 2),
                     sizeof remb);
    assert_memory_equal(out, remb, sizeof remb);
    assert_int_equal(rtcp_remb_encode(out, sizeof remb - 1, 1, 1000000, r.ssrcs, 2), 0);
    assert_int_equal(rtcp_remb_encode(out, sizeof out, 1, 1000000, r.ssrcs, 0), 0);

    /* A count claiming more SSRCs than the packet has. */
    uint8_t bad[sizeof remb];
    memcpy(bad, remb, sizeof remb);
    bad[16] = 3;
    rtcp_iter_init(&it, bad, sizeof bad);
    next_ok(&it, &v, RTCP_PSFB, RTCP_FMT_AFB);
    assert_int_equal(rtcp_remb_decode(&r, &v, NULL), -1);
    /* Another application's feedback is not a REMB. */
    bad[12] = 'X';
    assert_false(rtcp_is_remb(&v));
    assert_int_equal(rtcp_remb_decode(&r, &v, NULL), -1);
}

/* Encodes BITRATE, decodes it back and returns what a receiver reads. */
static uint64_t remb_round_trip(uint64_t bitrate, unsigned *exp)
{
    uint8_t out[32];
    uint32_t ssrc = 1;
    size_t n = rtcp_remb_encode(out, sizeof out, 1, bitrate, &ssrc, 1);
    assert_int_equal(n, 24);
    *exp = out[17] >> 2;
    struct rtcp_iter it;
    struct rtcp_view v;
    struct rtcp_remb r;
    rtcp_iter_init(&it, out, n);
    next_ok(&it, &v, RTCP_PSFB, RTCP_FMT_AFB);
    assert_int_equal(rtcp_remb_decode(&r, &v, NULL), 0);
    return r.bitrate;
}

static void test_remb_exponent(void **state)
{
    (void)state;
    unsigned exp;
    assert_int_equal(remb_round_trip(0, &exp), 0);
    assert_int_equal(exp, 0);
    assert_int_equal(remb_round_trip(262143, &exp), 262143); /* the largest mantissa */
    assert_int_equal(exp, 0);
    assert_int_equal(remb_round_trip(262144, &exp), 262144); /* 131072 * 2 */
    assert_int_equal(exp, 1);
    assert_int_equal(remb_round_trip(262145, &exp), 262144);   /* rounded down, never up */
    assert_int_equal(remb_round_trip(2500000, &exp), 2500000); /* 156250 * 2^4 */
    assert_int_equal(exp, 4);
    assert_int_equal(remb_round_trip(2500015, &exp), 2500000);
    /* Whatever the rate: at most it, and less than one step of the exponent below. */
    static const uint64_t rates[] = {1, 30000, 999999, 10000003, 123456789012ull, UINT64_MAX};
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        uint64_t got = remb_round_trip(rates[i], &exp);
        assert_true(got <= rates[i]);
        assert_true(rates[i] - got < (1ull << exp));
        assert_true(exp == 0 || got >= (1ull << 17) << exp); /* the smallest exponent */
    }
    /* A received exponent of 63 would overflow: the bitrate saturates. */
    uint8_t big[24];
    memcpy(big, remb, 20);
    big[3] = 0x05;
    big[16] = 1;
    big[17] = 0xff;
    big[18] = 0xff;
    big[19] = 0xff;
    memcpy(big + 20, "\x00\x00\x00\x01", 4);
    struct rtcp_iter it;
    struct rtcp_view v;
    struct rtcp_remb r;
    rtcp_iter_init(&it, big, sizeof big);
    next_ok(&it, &v, RTCP_PSFB, RTCP_FMT_AFB);
    assert_int_equal(rtcp_remb_decode(&r, &v, NULL), 0);
    assert_true(r.bitrate == UINT64_MAX);
}

static void test_twcc_recognised(void **state)
{
    (void)state;
    struct rtcp_iter it;
    struct rtcp_view v;
    rtcp_iter_init(&it, twcc, sizeof twcc);
    next_ok(&it, &v, RTCP_RTPFB, RTCP_FMT_TWCC);
    assert_true(rtcp_is_twcc(&v));
    struct rtcp_nack n;
    assert_int_equal(rtcp_nack_decode(&n, &v, NULL), -1);
    rtcp_iter_init(&it, nack, sizeof nack);
    next_ok(&it, &v, RTCP_RTPFB, RTCP_FMT_NACK);
    assert_false(rtcp_is_twcc(&v));
}

static void expect_iter_error(const uint8_t *p, size_t len, int good_before, const char *part)
{
    uint8_t *copy = exact_copy(p, len);
    struct rtcp_iter it;
    struct rtcp_view v;
    const char *why = NULL;
    rtcp_iter_init(&it, copy, len);
    for (int i = 0; i < good_before; i++)
        assert_int_equal(rtcp_next(&it, &v, &why), 1);
    assert_int_equal(rtcp_next(&it, &v, &why), -1);
    assert_non_null(why);
    if (!strstr(why, part))
        fail_msg("reason \"%s\" does not mention \"%s\"", why, part);
    /* The walk stays stopped. */
    why = NULL;
    assert_int_equal(rtcp_next(&it, &v, &why), -1);
    assert_non_null(why);
    free(copy);
}

static void test_malformed_compounds(void **state)
{
    (void)state;
    uint8_t p[128];
    /* A length past the end: the SR cut to 20 bytes. */
    expect_iter_error(sr_sdes, 20, 0, "length runs past");
    /* A stray 2 bytes after a whole packet. */
    memcpy(p, pli, sizeof pli);
    p[12] = 0x80;
    p[13] = 0xc9;
    expect_iter_error(p, 14, 1, "4-byte header");
    /* Version 1. */
    memcpy(p, pli, sizeof pli);
    p[0] = 0x41;
    expect_iter_error(p, sizeof pli, 0, "version");
    /* Padding on the first of two packets. */
    memcpy(p, pli, sizeof pli);
    memcpy(p + sizeof pli, pli, sizeof pli);
    p[0] |= 0x20;
    p[11] = 4; /* a padding count that would fit the first packet */
    expect_iter_error(p, 2 * sizeof pli, 0, "not the last");
    /* Padding counts of 0, and past the body. */
    static const uint8_t padded_rr[] = {
        0xa0, 0xc9, 0x00, 0x02, /* V=2 P=1 RC=0, RR, length 2 */
        0x0a, 0x1e, 0x00, 0x01, /* reporter */
        0x00, 0x00, 0x00, 0x04, /* 4 bytes of padding */
    };
    struct rtcp_iter it;
    struct rtcp_view v;
    rtcp_iter_init(&it, padded_rr, sizeof padded_rr);
    next_ok(&it, &v, RTCP_RR, 0);
    assert_int_equal(v.body_len, 4);
    assert_int_equal(v.packet_len, 12);
    memcpy(p, padded_rr, sizeof padded_rr);
    p[11] = 0;
    expect_iter_error(p, sizeof padded_rr, 0, "padding");
    p[11] = 9;
    expect_iter_error(p, sizeof padded_rr, 0, "padding");
    /* An empty buffer is an empty compound. */
    rtcp_iter_init(&it, NULL, 0);
    assert_int_equal(rtcp_next(&it, &v, NULL), 0);
}

/* Every prefix of a compound of every packet type: the walk ends or fails, and never reads
 * past the prefix (the copies are exactly sized for ASan). */
static void test_every_prefix(void **state)
{
    (void)state;
    uint8_t all[512];
    size_t len = 0;
    const struct {
        const uint8_t *p;
        size_t len;
    } parts[] = {{sr_sdes, sizeof sr_sdes}, {nack, sizeof nack}, {pli, sizeof pli},
                 {fir, sizeof fir},         {remb, sizeof remb}, {bye, sizeof bye},
                 {twcc, sizeof twcc}};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        memcpy(all + len, parts[i].p, parts[i].len);
        len += parts[i].len;
    }
    for (size_t cut = 0; cut <= len; cut++) {
        uint8_t *copy = exact_copy(all, cut);
        struct rtcp_iter it;
        struct rtcp_view v;
        rtcp_iter_init(&it, copy, cut);
        int rc, packets = 0;
        while ((rc = rtcp_next(&it, &v, NULL)) > 0) {
            assert_true(v.body + v.body_len <= copy + cut);
            packets++;
        }
        if (cut == len) {
            assert_int_equal(rc, 0);
            assert_int_equal(packets, 8);
        }
        free(copy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sr_sdes_compound),
        cmocka_unit_test(test_sdes_padding_sizes),
        cmocka_unit_test(test_rr),
        cmocka_unit_test(test_bye),
        cmocka_unit_test(test_nack),
        cmocka_unit_test(test_nack_repeats_listed_once),
        cmocka_unit_test(test_nack_packing),
        cmocka_unit_test(test_pli_fir),
        cmocka_unit_test(test_remb),
        cmocka_unit_test(test_remb_exponent),
        cmocka_unit_test(test_twcc_recognised),
        cmocka_unit_test(test_malformed_compounds),
        cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
