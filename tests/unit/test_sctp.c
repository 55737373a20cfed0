/* Tests for rtc/sctp: a client and a server engine wired in-process through a transmit loop on
 * a fake clock: association, DCEP and negotiated channels, message kinds, large messages,
 * partial reliability over a lossy link, close, garbage. */
/* cmocka needs these headers first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
/* clang-format on */

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>
#include <usrsctp.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "proto/dcep.h"
#include "rtc/sctp.h"

/* One fake clock for the whole process: usrsctp's timers are process-wide, so it must never go
 * back between tests. */
static uint64_t fake_now = 1000000;

#define MAX_EVENTS 512

/* A copy of an event, kept after the engine moves on. */
struct got_event {
    struct sctp_dc_event ev;
    char label[64], protocol[64];
    uint8_t *data;
};

struct side {
    struct sctp *sctp;
    struct got_event events[MAX_EVENTS];
    size_t n_events;
};

struct link {
    struct side client, server;
    /* Loss on the client-to-server direction, in percent, from a fixed-seed generator. */
    unsigned loss_percent;
    uint32_t rng;
    size_t dropped;
};

static void side_collect(struct side *side)
{
    struct sctp_dc_event ev;
    while (sctp_poll_event(side->sctp, &ev) == 1) {
        assert_true(side->n_events < MAX_EVENTS);
        struct got_event *g = &side->events[side->n_events++];
        memset(g, 0, sizeof *g);
        g->ev = ev;
        if (ev.type == SCTP_DC_CHANNEL_OPEN) {
            snprintf(g->label, sizeof g->label, "%s", ev.label);
            snprintf(g->protocol, sizeof g->protocol, "%s", ev.protocol);
        }
        if (ev.type == SCTP_DC_MESSAGE) {
            g->data = xmalloc(ev.len + 1);
            if (ev.len)
                memcpy(g->data, ev.data, ev.len);
        }
        g->ev.label = g->ev.protocol = NULL;
        g->ev.data = g->data;
    }
}

static void side_clear(struct side *side)
{
    for (size_t i = 0; i < side->n_events; i++)
        free(side->events[i].data);
    side->n_events = 0;
}

/* The first event of TYPE (and channel ID when ID >= 0), or NULL. */
static struct got_event *side_find(struct side *side, enum sctp_dc_event_type type, int id)
{
    for (size_t i = 0; i < side->n_events; i++)
        if (side->events[i].ev.type == type && (id < 0 || side->events[i].ev.id == id))
            return &side->events[i];
    return NULL;
}

static size_t side_count(struct side *side, enum sctp_dc_event_type type, int id)
{
    size_t n = 0;
    for (size_t i = 0; i < side->n_events; i++)
        n += side->events[i].ev.type == type && (id < 0 || side->events[i].ev.id == id);
    return n;
}

static bool link_drop(struct link *l)
{
    if (!l->loss_percent)
        return false;
    l->rng = l->rng * 1103515245u + 12345u;
    return (l->rng >> 16) % 100 < l->loss_percent;
}

/* Moves every packet FROM has queued into TO; returns how many moved. */
static int transmit(struct link *l, struct side *from, struct side *to, bool lossy)
{
    uint8_t buf[2048];
    ssize_t n;
    int moved = 0;
    while ((n = sctp_poll_output(from->sctp, buf, sizeof buf)) > 0) {
        assert_true(n <= SCTP_DC_MTU);
        moved++;
        if (lossy && link_drop(l)) {
            l->dropped++;
            continue;
        }
        sctp_feed(to->sctp, fake_now, buf, (size_t)n);
    }
    assert_int_equal(n, 0);
    return moved;
}

/* Runs the link for MS of fake time: packets both ways until quiet, then a timer tick. */
static void link_run(struct link *l, uint64_t ms)
{
    for (uint64_t t = 0; t <= ms; t += SCTP_DC_TICK_MS) {
        for (int round = 0; round < 1000; round++)
            if (!transmit(l, &l->client, &l->server, true) &&
                !transmit(l, &l->server, &l->client, false))
                break;
        side_collect(&l->client);
        side_collect(&l->server);
        fake_now += SCTP_DC_TICK_MS;
        assert_true(sctp_next_timeout(l->client.sctp) <= fake_now ||
                    sctp_next_timeout(l->client.sctp) == UINT64_MAX);
        sctp_handle_timeout(l->client.sctp, fake_now);
        sctp_handle_timeout(l->server.sctp, fake_now);
    }
}

/* Like link_run, but the clock follows the wall clock. usrsctp reads the wall clock itself for
 * RTT samples and, when its T3 timer fires, retransmits only chunks sent at least an RTO ago by
 * that clock; on the accelerated fake clock a lost tail would never be retransmitted. */
static void link_run_real(struct link *l, uint64_t ms)
{
    uint64_t start = clock_now_ms(), last = start;
    while (last - start < ms) {
        for (int round = 0; round < 1000; round++)
            if (!transmit(l, &l->client, &l->server, true) &&
                !transmit(l, &l->server, &l->client, false))
                break;
        side_collect(&l->client);
        side_collect(&l->server);
        struct timespec pause = {.tv_nsec = 1000 * 1000};
        nanosleep(&pause, NULL);
        uint64_t now = clock_now_ms();
        fake_now += now - last;
        last = now;
        sctp_handle_timeout(l->client.sctp, fake_now);
        sctp_handle_timeout(l->server.sctp, fake_now);
    }
}

static struct link *link_new(void)
{
    struct link *l = xcalloc(1, sizeof *l);
    l->rng = 12345;
    l->client.sctp = sctp_new(SCTP_DC_DEFAULT_PORT, SCTP_DC_DEFAULT_PORT, true, 0);
    l->server.sctp = sctp_new(SCTP_DC_DEFAULT_PORT, SCTP_DC_DEFAULT_PORT, false, 0);
    return l;
}

static struct link *link_connected(void)
{
    struct link *l = link_new();
    link_run(l, 200);
    assert_non_null(side_find(&l->client, SCTP_DC_CONNECTED, -1));
    assert_non_null(side_find(&l->server, SCTP_DC_CONNECTED, -1));
    side_clear(&l->client);
    side_clear(&l->server);
    return l;
}

static void link_free(struct link *l)
{
    sctp_free(l->client.sctp);
    sctp_free(l->server.sctp);
    side_clear(&l->client);
    side_clear(&l->server);
    free(l);
}

static void test_connect(void **state)
{
    (void)state;
    struct link *l = link_new();
    assert_false(sctp_connected(l->client.sctp));
    link_run(l, 200);
    assert_int_equal(side_count(&l->client, SCTP_DC_CONNECTED, -1), 1);
    assert_int_equal(side_count(&l->server, SCTP_DC_CONNECTED, -1), 1);
    assert_true(sctp_connected(l->client.sctp));
    assert_true(sctp_connected(l->server.sctp));
    /* Both ends offer I-DATA, so it is in use. */
    assert_true(sctp_interleaving(l->client.sctp));
    assert_true(sctp_interleaving(l->server.sctp));
    link_free(l);
}

/* A channel opened with DCEP appears on the other side as asked, and the opener sees the ACK. */
static void test_dcep_open(void **state)
{
    (void)state;
    struct link *l = link_connected();
    int chat = sctp_open_channel(l->client.sctp, -1, "chat", "json", DCEP_CHANNEL_RELIABLE, 0,
                                 DCEP_PRIORITY_NORMAL);
    int lossy =
        sctp_open_channel(l->client.sctp, -1, "game", "",
                          DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED, 3, DCEP_PRIORITY_HIGH);
    int timed =
        sctp_open_channel(l->server.sctp, -1, "ticker", "v1", DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED,
                          1500, DCEP_PRIORITY_BELOW_NORMAL);
    /* RFC 8832 §6: the DTLS client takes even ids, the server odd ones. */
    assert_int_equal(chat, 0);
    assert_int_equal(lossy, 2);
    assert_int_equal(timed, 1);
    assert_int_equal(sctp_open_channel(l->client.sctp, 0, "again", "", DCEP_CHANNEL_RELIABLE, 0, 0),
                     -EBUSY);
    assert_int_equal(sctp_open_channel(l->client.sctp, 4, "x", "", 0x42, 0, 0), -EINVAL);
    link_run(l, 50);

    struct got_event *g = side_find(&l->server, SCTP_DC_CHANNEL_OPEN, chat);
    assert_non_null(g);
    assert_true(g->ev.remote);
    assert_string_equal(g->label, "chat");
    assert_string_equal(g->protocol, "json");
    assert_int_equal(g->ev.channel_type, DCEP_CHANNEL_RELIABLE);
    assert_int_equal(g->ev.priority, DCEP_PRIORITY_NORMAL);

    g = side_find(&l->server, SCTP_DC_CHANNEL_OPEN, lossy);
    assert_non_null(g);
    assert_string_equal(g->label, "game");
    assert_string_equal(g->protocol, "");
    assert_int_equal(g->ev.channel_type, DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED);
    assert_false(dcep_channel_ordered(g->ev.channel_type));
    assert_int_equal(g->ev.reliability, 3);
    assert_int_equal(g->ev.priority, DCEP_PRIORITY_HIGH);

    g = side_find(&l->client, SCTP_DC_CHANNEL_OPEN, timed);
    assert_non_null(g);
    assert_true(g->ev.remote);
    assert_string_equal(g->label, "ticker");
    assert_string_equal(g->protocol, "v1");
    assert_int_equal(g->ev.channel_type, DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED);
    assert_int_equal(g->ev.reliability, 1500);

    /* Each opener learns of the ACK. */
    g = side_find(&l->client, SCTP_DC_CHANNEL_OPEN, chat);
    assert_non_null(g);
    assert_false(g->ev.remote);
    assert_string_equal(g->label, "chat");
    assert_non_null(side_find(&l->client, SCTP_DC_CHANNEL_OPEN, lossy));
    g = side_find(&l->server, SCTP_DC_CHANNEL_OPEN, timed);
    assert_non_null(g);
    assert_false(g->ev.remote);
    link_free(l);
}

static void expect_message(struct side *side, size_t index, uint16_t id, bool binary,
                           const void *data, size_t len)
{
    size_t seen = 0;
    for (size_t i = 0; i < side->n_events; i++) {
        struct got_event *g = &side->events[i];
        if (g->ev.type != SCTP_DC_MESSAGE || g->ev.id != id)
            continue;
        if (seen++ != index)
            continue;
        assert_int_equal(g->ev.binary, binary);
        assert_int_equal(g->ev.len, len);
        if (len)
            assert_memory_equal(g->ev.data, data, len);
        return;
    }
    fail_msg("message %zu on channel %u not received", index, id);
}

/* String, binary and empty messages both ways; messages sent before the ACK arrive too. */
static void test_messages(void **state)
{
    (void)state;
    struct link *l = link_connected();
    int id = sctp_open_channel(l->client.sctp, -1, "chat", "", DCEP_CHANNEL_RELIABLE, 0, 256);
    assert_true(id >= 0);
    static const uint8_t bin[] = {0x00, 0xff, 0x10, 0x00};
    /* Sent right after the OPEN, before any ACK (RFC 8832 §6 allows it). */
    assert_int_equal(sctp_send(l->client.sctp, (uint16_t)id, false, (const uint8_t *)"hi", 2), 0);
    link_run(l, 30);
    assert_int_equal(sctp_send(l->client.sctp, (uint16_t)id, true, bin, sizeof bin), 0);
    assert_int_equal(sctp_send(l->client.sctp, (uint16_t)id, false, NULL, 0), 0);
    assert_int_equal(sctp_send(l->client.sctp, (uint16_t)id, true, NULL, 0), 0);
    assert_int_equal(sctp_send(l->server.sctp, (uint16_t)id, false, (const uint8_t *)"yo!", 3), 0);
    assert_int_equal(sctp_send(l->server.sctp, (uint16_t)id, true, bin, sizeof bin), 0);
    assert_int_equal(sctp_send(l->server.sctp, (uint16_t)id, false, NULL, 0), 0);
    assert_int_equal(sctp_send(l->server.sctp, (uint16_t)id, true, NULL, 0), 0);
    assert_int_equal(sctp_send(l->server.sctp, 77, true, bin, 1), -ENOENT);
    link_run(l, 30);

    assert_int_equal(side_count(&l->server, SCTP_DC_MESSAGE, id), 4);
    expect_message(&l->server, 0, (uint16_t)id, false, "hi", 2);
    expect_message(&l->server, 1, (uint16_t)id, true, bin, sizeof bin);
    expect_message(&l->server, 2, (uint16_t)id, false, NULL, 0);
    expect_message(&l->server, 3, (uint16_t)id, true, NULL, 0);
    assert_int_equal(side_count(&l->client, SCTP_DC_MESSAGE, id), 4);
    expect_message(&l->client, 0, (uint16_t)id, false, "yo!", 3);
    expect_message(&l->client, 1, (uint16_t)id, true, bin, sizeof bin);
    expect_message(&l->client, 2, (uint16_t)id, false, NULL, 0);
    expect_message(&l->client, 3, (uint16_t)id, true, NULL, 0);
    link_free(l);
}

/* 1 MiB as four max-size messages arrives intact, a chat message sent after them is not held
 * behind all of them, and a message over the limit is refused. */
static void test_large(void **state)
{
    (void)state;
    struct link *l = link_connected();
    int file = sctp_open_channel(l->client.sctp, -1, "file", "", DCEP_CHANNEL_RELIABLE, 0, 256);
    int chat = sctp_open_channel(l->client.sctp, -1, "chat", "", DCEP_CHANNEL_RELIABLE, 0, 256);
    link_run(l, 30);
    size_t total = 1024 * 1024, chunk = SCTP_DC_MAX_MESSAGE_SIZE;
    uint8_t *big = xmalloc(total);
    for (size_t i = 0; i < total; i++)
        big[i] = (uint8_t)(i * 7 + (i >> 12));
    assert_int_equal(sctp_send(l->client.sctp, (uint16_t)file, true, big, chunk + 1), -EMSGSIZE);
    for (size_t off = 0; off < total; off += chunk)
        assert_int_equal(sctp_send(l->client.sctp, (uint16_t)file, true, big + off, chunk), 0);
    /* usrsctp's send buffer cannot take all four at once: the rest waits, visibly. */
    assert_true(sctp_buffered(l->client.sctp, (uint16_t)file) > 0);
    assert_true(sctp_buffered_association(l->client.sctp) > 0);
    assert_int_equal(sctp_send(l->client.sctp, (uint16_t)chat, false, (const uint8_t *)"hey", 3),
                     0);
    assert_int_equal(sctp_buffered(l->client.sctp, (uint16_t)chat), 0);
    link_run(l, 3000);
    assert_int_equal(sctp_buffered(l->client.sctp, (uint16_t)file), 0);
    assert_int_equal(side_count(&l->server, SCTP_DC_MESSAGE, file), total / chunk);
    for (size_t i = 0; i < total / chunk; i++)
        expect_message(&l->server, i, (uint16_t)file, true, big + i * chunk, chunk);
    expect_message(&l->server, 0, (uint16_t)chat, false, "hey", 3);
    /* Interleaving: the chat message came before the last file chunk. */
    size_t chat_at = 0, last_file_at = 0;
    for (size_t i = 0; i < l->server.n_events; i++) {
        if (l->server.events[i].ev.type != SCTP_DC_MESSAGE)
            continue;
        if (l->server.events[i].ev.id == chat)
            chat_at = i;
        else
            last_file_at = i;
    }
    assert_true(chat_at < last_file_at);
    free(big);
    link_free(l);
}

/* A paused receiver takes nothing: its window fills, the sender's messages back up where the
 * sender can see them (the relay's backpressure), and on resume all of it arrives in order. */
static void test_pause_receive(void **state)
{
    (void)state;
    struct link *l = link_connected();
    int file = sctp_open_channel(l->client.sctp, -1, "file", "", DCEP_CHANNEL_RELIABLE, 0, 256);
    link_run(l, 30);
    side_clear(&l->server);
    sctp_pause_receive(l->server.sctp, true);
    assert_true(sctp_receive_paused(l->server.sctp));
    size_t chunk = 64 * 1024, count = 40; /* 2.5 MiB: more than the window and send buffer */
    uint8_t *data = xmalloc(chunk);
    for (size_t i = 0; i < count; i++) {
        memset(data, (int)i, chunk);
        assert_int_equal(sctp_send(l->client.sctp, (uint16_t)file, true, data, chunk), 0);
    }
    link_run(l, 2000);
    assert_int_equal(side_count(&l->server, SCTP_DC_MESSAGE, file), 0);
    assert_true(sctp_buffered(l->client.sctp, (uint16_t)file) > 0);
    sctp_pause_receive(l->server.sctp, false);
    assert_false(sctp_receive_paused(l->server.sctp));
    link_run(l, 5000);
    assert_int_equal(side_count(&l->server, SCTP_DC_MESSAGE, file), count);
    for (size_t i = 0; i < count; i++) {
        memset(data, (int)i, chunk);
        expect_message(&l->server, i, (uint16_t)file, true, data, chunk);
    }
    assert_int_equal(sctp_buffered(l->client.sctp, (uint16_t)file), 0);
    free(data);
    link_free(l);
}

/* negotiated: true channels: both sides declare the id, no DCEP goes over the wire. */
static void test_negotiated(void **state)
{
    (void)state;
    struct link *l = link_connected();
    assert_int_equal(
        sctp_accept_negotiated(l->client.sctp, 10, "state", "", DCEP_CHANNEL_RELIABLE, 0, 256), 0);
    assert_int_equal(
        sctp_accept_negotiated(l->server.sctp, 10, "state", "", DCEP_CHANNEL_RELIABLE, 0, 256), 0);
    assert_int_equal(
        sctp_accept_negotiated(l->server.sctp, 10, "state", "", DCEP_CHANNEL_RELIABLE, 0, 256),
        -EBUSY);
    assert_int_equal(sctp_send(l->client.sctp, 10, false, (const uint8_t *)"ping", 4), 0);
    assert_int_equal(sctp_send(l->server.sctp, 10, true, (const uint8_t *)"pong", 4), 0);
    link_run(l, 30);
    assert_int_equal(side_count(&l->server, SCTP_DC_CHANNEL_OPEN, -1), 0);
    assert_int_equal(side_count(&l->client, SCTP_DC_CHANNEL_OPEN, -1), 0);
    expect_message(&l->server, 0, 10, false, "ping", 4);
    expect_message(&l->client, 0, 10, true, "pong", 4);
    link_free(l);
}

/* Over a link losing a fifth of the client's packets, an unordered channel with no
 * retransmissions loses messages while a reliable ordered one loses none, in order. Run on the
 * wall clock (see link_run_real) with short RTO bounds so it takes a few seconds. */
static void test_partial_reliability(void **state)
{
    (void)state;
    sctp_global_setup();
    uint32_t rto_min = usrsctp_sysctl_get_sctp_rto_min_default();
    uint32_t rto_max = usrsctp_sysctl_get_sctp_rto_max_default();
    uint32_t rto_initial = usrsctp_sysctl_get_sctp_rto_initial_default();
    usrsctp_sysctl_set_sctp_rto_min_default(30);
    usrsctp_sysctl_set_sctp_rto_max_default(200);
    usrsctp_sysctl_set_sctp_rto_initial_default(100);
    struct link *l = link_connected();
    int lossy = sctp_open_channel(l->client.sctp, -1, "lossy", "",
                                  DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED, 0, 256);
    int sure = sctp_open_channel(l->client.sctp, -1, "sure", "", DCEP_CHANNEL_RELIABLE, 0, 256);
    link_run(l, 50);
    assert_non_null(side_find(&l->client, SCTP_DC_CHANNEL_OPEN, lossy));
    assert_non_null(side_find(&l->client, SCTP_DC_CHANNEL_OPEN, sure));
    l->loss_percent = 20;
    enum { N = 150 };
    for (unsigned i = 0; i < N; i++) {
        uint8_t msg[4] = {(uint8_t)(i >> 8), (uint8_t)i, 0xaa, 0x55};
        assert_int_equal(sctp_send(l->client.sctp, (uint16_t)lossy, true, msg, sizeof msg), 0);
        assert_int_equal(sctp_send(l->client.sctp, (uint16_t)sure, true, msg, sizeof msg), 0);
        link_run_real(l, 3);
    }
    link_run_real(l, 2500);
    assert_true(l->dropped > 0);
    size_t got_lossy = side_count(&l->server, SCTP_DC_MESSAGE, lossy);
    assert_int_equal(side_count(&l->server, SCTP_DC_MESSAGE, sure), N);
    for (unsigned i = 0; i < N; i++) {
        uint8_t msg[4] = {(uint8_t)(i >> 8), (uint8_t)i, 0xaa, 0x55};
        expect_message(&l->server, i, (uint16_t)sure, true, msg, sizeof msg);
    }
    assert_true(got_lossy < N);
    assert_true(got_lossy > N / 2);
    assert_true(sctp_connected(l->client.sctp));
    /* Everything reliable was acknowledged; what usrsctp still counts is abandoned data. */
    assert_int_equal(sctp_buffered(l->client.sctp, (uint16_t)sure), 0);
    link_free(l);
    usrsctp_sysctl_set_sctp_rto_min_default(rto_min);
    usrsctp_sysctl_set_sctp_rto_max_default(rto_max);
    usrsctp_sysctl_set_sctp_rto_initial_default(rto_initial);
}

/* Closing a channel resets its streams on both sides and frees the id; stopping the association
 * closes it on both sides. */
static void test_close(void **state)
{
    (void)state;
    struct link *l = link_connected();
    int id = sctp_open_channel(l->client.sctp, -1, "chat", "", DCEP_CHANNEL_RELIABLE, 0, 256);
    link_run(l, 30);
    assert_int_equal(sctp_close_channel(l->server.sctp, (uint16_t)id), 0);
    assert_int_equal(sctp_send(l->server.sctp, (uint16_t)id, false, (const uint8_t *)"x", 1),
                     -EPIPE);
    link_run(l, 100);
    assert_non_null(side_find(&l->client, SCTP_DC_CHANNEL_CLOSED, id));
    assert_non_null(side_find(&l->server, SCTP_DC_CHANNEL_CLOSED, id));
    assert_int_equal(sctp_send(l->client.sctp, (uint16_t)id, false, (const uint8_t *)"x", 1),
                     -ENOENT);
    assert_int_equal(sctp_close_channel(l->client.sctp, (uint16_t)id), -ENOENT);

    /* The id can be used again, and the new channel works. */
    side_clear(&l->client);
    side_clear(&l->server);
    assert_int_equal(
        sctp_open_channel(l->client.sctp, id, "chat2", "", DCEP_CHANNEL_RELIABLE, 0, 256), id);
    assert_int_equal(sctp_send(l->client.sctp, (uint16_t)id, false, (const uint8_t *)"again", 5),
                     0);
    link_run(l, 30);
    struct got_event *g = side_find(&l->server, SCTP_DC_CHANNEL_OPEN, id);
    assert_non_null(g);
    assert_string_equal(g->label, "chat2");
    expect_message(&l->server, 0, (uint16_t)id, false, "again", 5);

    sctp_stop(l->client.sctp);
    link_run(l, 100);
    assert_non_null(side_find(&l->client, SCTP_DC_CLOSED, -1));
    assert_non_null(side_find(&l->server, SCTP_DC_CLOSED, -1));
    assert_false(sctp_connected(l->client.sctp));
    assert_false(sctp_connected(l->server.sctp));
    assert_int_equal(sctp_next_timeout(l->server.sctp), UINT64_MAX);
    assert_int_equal(sctp_send(l->client.sctp, (uint16_t)id, false, (const uint8_t *)"x", 1),
                     -EPIPE);
    link_free(l);
}

/* Garbage and truncated packets are dropped; the association carries on. A malformed DCEP
 * OPEN opens nothing. */
static void test_garbage(void **state)
{
    (void)state;
    struct link *l = link_connected();
    uint8_t junk[300];
    uint32_t x = 99;
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)round % sizeof junk;
        for (size_t i = 0; i < n; i++) {
            x = x * 1664525u + 1013904223u;
            junk[i] = (uint8_t)(x >> 24);
        }
        sctp_feed(l->server.sctp, fake_now, junk, n);
    }
    int id = sctp_open_channel(l->client.sctp, -1, "chat", "", DCEP_CHANNEL_RELIABLE, 0, 256);
    assert_int_equal(sctp_send(l->client.sctp, (uint16_t)id, false, (const uint8_t *)"ok", 2), 0);
    link_run(l, 50);
    expect_message(&l->server, 0, (uint16_t)id, false, "ok", 2);
    assert_true(sctp_connected(l->server.sctp));
    link_free(l);
}

/* libusrsctp exports its internals unprefixed (sctp_close, sctp_init, ...); none of our public
 * names may be among them, or ours would interpose on usrsctp's own calls. */
static void test_names_do_not_clash(void **state)
{
    (void)state;
    void *lib = dlopen("libusrsctp.so.2", RTLD_LAZY | RTLD_NOLOAD);
    if (!lib)
        lib = dlopen("libusrsctp.so.2", RTLD_LAZY);
    assert_non_null(lib);
    assert_non_null(dlsym(lib, "sctp_close")); /* the hazard is real */
    static const char *ours[] = {
        "sctp_global_setup",
        "sctp_new",
        "sctp_free",
        "sctp_feed",
        "sctp_poll_output",
        "sctp_next_timeout",
        "sctp_handle_timeout",
        "sctp_poll_event",
        "sctp_open_channel",
        "sctp_accept_negotiated",
        "sctp_send",
        "sctp_buffered",
        "sctp_buffered_association",
        "sctp_close_channel",
        "sctp_stop",
        "sctp_connected",
        "sctp_interleaving",
        "sctp_pause_receive",
        "sctp_receive_paused",
    };
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
        void *theirs = dlsym(lib, ours[i]);
        if (theirs)
            fail_msg("libusrsctp also defines %s", ours[i]);
    }
    dlclose(lib);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_do_not_clash),
        cmocka_unit_test(test_connect),
        cmocka_unit_test(test_dcep_open),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_negotiated),
        cmocka_unit_test(test_pause_receive),
        cmocka_unit_test(test_partial_reliability),
        cmocka_unit_test(test_close),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
