/* Tests for proto/dcep: DATA_CHANNEL_OPEN and ACK decoded from annotated bytes, encoded back,
 * and every way a malformed message is refused. */
/* cmocka needs these headers first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "proto/dcep.h"

/* What Chromium sends for createDataChannel("chat", {protocol: "json"}): reliable, ordered. */
static const uint8_t open_chat[] = {
    0x03,                   /* message type: DATA_CHANNEL_OPEN */
    0x00,                   /* channel type: DATA_CHANNEL_RELIABLE */
    0x01, 0x00,             /* priority 256 (normal) */
    0x00, 0x00, 0x00, 0x00, /* reliability parameter: unused */
    0x00, 0x04,             /* label length 4 */
    0x00, 0x04,             /* protocol length 4 */
    'c',  'h',  'a',  't',  /* label */
    'j',  's',  'o',  'n',  /* protocol */
};

/* {ordered: false, maxRetransmits: 0}, label "f", no protocol. */
static const uint8_t open_lossy[] = {
    0x03,                   /* DATA_CHANNEL_OPEN */
    0x81,                   /* DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED */
    0x02, 0x00,             /* priority 512 (high) */
    0x00, 0x00, 0x00, 0x00, /* 0 retransmissions */
    0x00, 0x01,             /* label length 1 */
    0x00, 0x00,             /* protocol length 0 */
    'f',
};

/* {maxPacketLifeTime: 3000}, empty label and protocol. */
static const uint8_t open_timed[] = {
    0x03,                   /* DATA_CHANNEL_OPEN */
    0x02,                   /* DATA_CHANNEL_PARTIAL_RELIABLE_TIMED */
    0x00, 0x80,             /* priority 128 (below normal) */
    0x00, 0x00, 0x0b, 0xb8, /* lifetime 3000 ms */
    0x00, 0x00,             /* label length 0 */
    0x00, 0x00,             /* protocol length 0 */
};

static void test_decode_chat(void **state)
{
    (void)state;
    struct dcep_open o;
    const char *why = NULL;
    assert_int_equal(dcep_message_type(open_chat, sizeof open_chat), DCEP_MSG_OPEN);
    assert_int_equal(dcep_decode_open(&o, open_chat, sizeof open_chat, &why), sizeof open_chat);
    assert_int_equal(o.channel_type, DCEP_CHANNEL_RELIABLE);
    assert_true(dcep_channel_ordered(o.channel_type));
    assert_int_equal(o.priority, DCEP_PRIORITY_NORMAL);
    assert_int_equal(o.reliability, 0);
    assert_int_equal(o.label_len, 4);
    assert_memory_equal(o.label, "chat", 4);
    assert_ptr_equal(o.label, (const char *)open_chat + 12);
    assert_int_equal(o.protocol_len, 4);
    assert_memory_equal(o.protocol, "json", 4);
}

static void test_decode_partial(void **state)
{
    (void)state;
    struct dcep_open o;
    const char *why = NULL;
    assert_int_equal(dcep_decode_open(&o, open_lossy, sizeof open_lossy, &why), sizeof open_lossy);
    assert_int_equal(o.channel_type, DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED);
    assert_false(dcep_channel_ordered(o.channel_type));
    assert_int_equal(o.priority, DCEP_PRIORITY_HIGH);
    assert_int_equal(o.reliability, 0);
    assert_int_equal(o.label_len, 1);
    assert_int_equal(o.protocol_len, 0);

    assert_int_equal(dcep_decode_open(&o, open_timed, sizeof open_timed, &why), sizeof open_timed);
    assert_int_equal(o.channel_type, DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED);
    assert_true(dcep_channel_ordered(o.channel_type));
    assert_int_equal(o.reliability, 3000);
    assert_int_equal(o.label_len, 0);
    assert_int_equal(o.protocol_len, 0);
}

static void test_encode_round_trip(void **state)
{
    (void)state;
    const uint8_t *samples[] = {open_chat, open_lossy, open_timed};
    size_t sizes[] = {sizeof open_chat, sizeof open_lossy, sizeof open_timed};
    for (size_t i = 0; i < 3; i++) {
        struct dcep_open o;
        const char *why = NULL;
        assert_true(dcep_decode_open(&o, samples[i], sizes[i], &why) > 0);
        uint8_t out[64];
        assert_int_equal(dcep_open_size(&o), sizes[i]);
        assert_int_equal(dcep_encode_open(out, sizeof out, &o), sizes[i]);
        assert_memory_equal(out, samples[i], sizes[i]);
        /* One byte short of room is refused, not truncated. */
        assert_int_equal(dcep_encode_open(out, sizes[i] - 1, &o), -1);
    }
}

static void test_encode_refuses(void **state)
{
    (void)state;
    uint8_t out[64];
    struct dcep_open o = {.channel_type = 0x03, .label = "x", .label_len = 1};
    assert_int_equal(dcep_encode_open(out, sizeof out, &o), -1); /* unknown channel type */
    o.channel_type = DCEP_CHANNEL_RELIABLE;
    o.label_len = 70000;
    assert_int_equal(dcep_open_size(&o), 0);
    assert_int_equal(dcep_encode_open(out, sizeof out, &o), -1);
}

static void test_ack(void **state)
{
    (void)state;
    static const uint8_t ack[] = {0x02 /* DATA_CHANNEL_ACK */};
    static const uint8_t long_ack[] = {0x02, 0x00};
    const char *why = NULL;
    assert_int_equal(dcep_decode_ack(ack, sizeof ack, &why), 1);
    assert_int_equal(dcep_decode_ack(long_ack, sizeof long_ack, &why), -1);
    assert_non_null(why);
    why = NULL;
    assert_int_equal(dcep_decode_ack(open_chat, sizeof open_chat, &why), -1);
    assert_non_null(why);
    assert_int_equal(dcep_decode_ack(ack, 0, &why), -1);
    uint8_t out[4];
    assert_int_equal(dcep_encode_ack(out, sizeof out), 1);
    assert_int_equal(out[0], DCEP_MSG_ACK);
    assert_int_equal(dcep_encode_ack(out, 0), -1);
    assert_int_equal(dcep_message_type(out, 0), -1);
}

/* Each malformed variant is refused with a reason. */
static void expect_refused(const uint8_t *p, size_t len)
{
    struct dcep_open o;
    const char *why = NULL;
    assert_int_equal(dcep_decode_open(&o, p, len, &why), -1);
    assert_non_null(why);
}

static void test_malformed_open(void **state)
{
    (void)state;
    uint8_t m[sizeof open_chat + 1];
    for (size_t n = 0; n < sizeof open_chat; n++)
        expect_refused(open_chat, n); /* every truncation */

    memcpy(m, open_chat, sizeof open_chat);
    m[0] = 0x02; /* an ACK's type */
    expect_refused(m, sizeof open_chat);

    memcpy(m, open_chat, sizeof open_chat);
    m[1] = 0x03; /* no such channel type */
    expect_refused(m, sizeof open_chat);
    m[1] = 0x40;
    expect_refused(m, sizeof open_chat);

    memcpy(m, open_chat, sizeof open_chat);
    m[9] = 0x09; /* label length 9 > the 8 bytes left */
    expect_refused(m, sizeof open_chat);
    m[8] = 0xff, m[9] = 0xff; /* label length 65535 */
    expect_refused(m, sizeof open_chat);

    memcpy(m, open_chat, sizeof open_chat);
    m[10] = 0xff, m[11] = 0xfc; /* label fits, protocol runs past: no wrap-around */
    expect_refused(m, sizeof open_chat);

    memcpy(m, open_chat, sizeof open_chat);
    m[sizeof open_chat] = 'x'; /* a trailing byte */
    expect_refused(m, sizeof m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_chat),
        cmocka_unit_test(test_decode_partial),
        cmocka_unit_test(test_encode_round_trip),
        cmocka_unit_test(test_encode_refuses),
        cmocka_unit_test(test_ack),
        cmocka_unit_test(test_malformed_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
