/* udp's send batch through the real kernel on loopback: datagrams coalesced into GSO messages
 * must arrive as the datagrams they were, in order, whatever their sizes and destinations, and
 * from send queues of other threads as well; a receiver that takes them coalesced (GRO) must
 * cut them back into those datagrams. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/udp.h"

static void ignore_datagram(void *opaque, const struct sockaddr *from,
                            const struct udp_local *local, uint8_t *data, size_t len)
{
}

/* A plain socket on 127.0.0.1 that the test reads. */
static int open_receiver(struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0);
    socklen_t len = sizeof *addr;
    getsockname(fd, (struct sockaddr *)addr, &len);
    struct timeval timeout = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    return fd;
}

static struct udp *open_sender(uv_loop_t *loop, const char *bind_addr)
{
    uv_loop_init(loop);
    const char *why = NULL;
    struct udp *u = udp_open(loop, bind_addr, 0, ignore_datagram, NULL, NULL, &why);
    assert_non_null(u);
    return u;
}

static void close_sender(uv_loop_t *loop, struct udp *u)
{
    udp_close(u);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
}

/* Datagram K: LEN bytes, each the datagram's number, so a mix-up or a cut shows. */
static void fill(uint8_t *buf, size_t len, int k) { memset(buf, k, len); }

static void expect_datagram(int fd, size_t len, int k)
{
    uint8_t got[UDP_MAX_DATAGRAM + 1], want[UDP_MAX_DATAGRAM];
    ssize_t n = recv(fd, got, sizeof got, 0);
    assert_int_equal(n, (ssize_t)len);
    fill(want, len, k);
    assert_memory_equal(got, want, len);
}

/* A datagram over UDP_MAX_DATAGRAM is counted and not sent; what follows it goes. */
static void oversize_datagram_counted_not_sent(void **state)
{
    (void)state;
    uv_loop_t loop;
    struct udp *u = open_sender(&loop, "127.0.0.1");
    struct sockaddr_in to;
    int fd = open_receiver(&to);
    uint8_t buf[UDP_MAX_DATAGRAM + 1];
    fill(buf, sizeof buf, 1);
    udp_queue(u, buf, sizeof buf, (struct sockaddr *)&to, NULL);
    fill(buf, 1200, 2);
    udp_queue(u, buf, 1200, (struct sockaddr *)&to, NULL);
    udp_flush(u);
    expect_datagram(fd, 1200, 2);
    assert_int_equal(recv(fd, buf, sizeof buf, MSG_DONTWAIT), -1);
    const struct udp_stats *st = udp_stats(u);
    assert_int_equal(st->tx_oversize, 1);
    assert_int_equal(st->tx_packets, 1);
    close_sender(&loop, u);
    close(fd);
}

/* Sizes that differ: full segments, a short last one, a larger one after it, repeats. */
static void check_sizes(const char *bind_addr)
{
    uv_loop_t loop;
    struct udp *u = open_sender(&loop, bind_addr);
    assert_true(udp_gso(u)); /* Linux >= 4.18 */
    struct sockaddr_in to;
    int fd = open_receiver(&to);

    static const size_t sizes[] = {1200, 1200, 1200, 800, 1200, 100, 100, 1200, 1200, 1236};
    enum { N = sizeof sizes / sizeof sizes[0] };
    uint8_t buf[UDP_MAX_DATAGRAM];
    for (int k = 0; k < N; k++) {
        fill(buf, sizes[k], k + 1);
        udp_queue(u, buf, sizes[k], (struct sockaddr *)&to, NULL);
    }
    udp_flush(u);
    for (int k = 0; k < N; k++)
        expect_datagram(fd, sizes[k], k + 1);
    const struct udp_stats *st = udp_stats(u);
    assert_int_equal(st->tx_packets, N);
    assert_int_equal(st->tx_errors, 0);
    /* [1200 1200 1200 800] [1200 100] [100] [1200 1200] [1236]: a segment after a short one,
     * or larger than the first, starts a message. */
    assert_int_equal(st->tx_messages, 5);

    close_sender(&loop, u);
    close(fd);
}

static void test_sizes_ipv4(void **state) { check_sizes("127.0.0.1"); }

/* A dual-stack socket sends to IPv4 peers at v4-mapped addresses: GSO works there too. */
static void test_sizes_dual_stack(void **state) { check_sizes("::"); }

/* Alternating destinations never merge; each receiver gets exactly its own datagrams. */
static void test_destinations(void **state)
{
    uv_loop_t loop;
    struct udp *u = open_sender(&loop, "127.0.0.1");
    struct sockaddr_in a, b;
    int fa = open_receiver(&a), fb = open_receiver(&b);
    uint8_t buf[UDP_MAX_DATAGRAM];
    /* a a b a b b: messages [a a] [b] [a] [b b]. */
    static const char order[] = "aababb";
    for (int k = 0; order[k]; k++) {
        fill(buf, 1000, k + 1);
        udp_queue(u, buf, 1000, (struct sockaddr *)(order[k] == 'a' ? &a : &b), NULL);
    }
    udp_flush(u);
    for (int k = 0; order[k]; k++)
        expect_datagram(order[k] == 'a' ? fa : fb, 1000, k + 1);
    assert_int_equal(udp_stats(u)->tx_messages, 4);
    close_sender(&loop, u);
    close(fa);
    close(fb);
}

/* More datagrams than a batch and than a GSO message holds: every one arrives, in order, in
 * as few GSO messages as their sizes allow. With SLOTS, a third are built in their slot
 * (udp_slot) and a third written into theirs and then queued from elsewhere: what was written
 * in an abandoned slot must not be what is sent, and past the full batch the slot asked for
 * comes after the batch went out. */
static void check_long_burst(bool slots)
{
    uv_loop_t loop;
    struct udp *u = open_sender(&loop, "127.0.0.1");
    struct sockaddr_in to;
    int fd = open_receiver(&to);
    enum { N = UDP_SEND_BATCH + 40 };
    uint8_t buf[UDP_MAX_DATAGRAM];
    for (int k = 0; k < N; k++) {
        int id = k % 250 + 1;
        if (slots) {
            size_t cap = 0;
            uint8_t *slot = udp_slot(u, &cap);
            assert_int_equal(cap, UDP_MAX_DATAGRAM);
            fill(slot, 1236, k % 3 == 0 ? id : 255);
            if (k % 3 == 0) {
                udp_queue(u, slot, 1236, (struct sockaddr *)&to, NULL);
                continue;
            }
        }
        fill(buf, 1236, id);
        udp_queue(u, buf, 1236, (struct sockaddr *)&to, NULL);
    }
    udp_flush(u);
    for (int k = 0; k < N; k++)
        expect_datagram(fd, 1236, k % 250 + 1);
    const struct udp_stats *st = udp_stats(u);
    assert_int_equal(st->tx_packets, N);
    /* 1236-byte segments: 48 fit in UDP_GSO_MAX_BYTES; the batch is sent when it holds
     * UDP_SEND_BATCH datagrams. */
    size_t per_message = UDP_GSO_MAX_BYTES / 1236;
    size_t full = UDP_SEND_BATCH, rest = N - UDP_SEND_BATCH;
    size_t want = (full + per_message - 1) / per_message + (rest + per_message - 1) / per_message;
    assert_int_equal(st->tx_messages, want);
    close_sender(&loop, u);
    close(fd);
}

static void test_long_burst(void **state) { check_long_burst(false); }

static void test_built_in_slot(void **state) { check_long_burst(true); }

/* With GSO off every datagram is its own message, and all still arrive. */
static void test_gso_off(void **state)
{
    uv_loop_t loop;
    struct udp *u = open_sender(&loop, "127.0.0.1");
    udp_set_gso(u, false);
    struct sockaddr_in to;
    int fd = open_receiver(&to);
    uint8_t buf[UDP_MAX_DATAGRAM];
    for (int k = 0; k < 5; k++) {
        fill(buf, 1200, k + 1);
        udp_queue(u, buf, 1200, (struct sockaddr *)&to, NULL);
    }
    udp_flush(u);
    for (int k = 0; k < 5; k++)
        expect_datagram(fd, 1200, k + 1);
    assert_int_equal(udp_stats(u)->tx_messages, 5);
    close_sender(&loop, u);
    close(fd);
}

/* What a coalescing receiver got: each datagram's size and first byte, in order. */
struct received {
    int n;
    size_t sizes[16];
    uint8_t first[16];
    bool whole[16]; /* every byte equal to the first */
};

static void record_datagram(void *opaque, const struct sockaddr *from,
                            const struct udp_local *local, uint8_t *data, size_t len)
{
    struct received *r = opaque;
    if (r->n == 16)
        return;
    r->sizes[r->n] = len;
    r->first[r->n] = data[0];
    r->whole[r->n] = true;
    for (size_t i = 1; i < len; i++)
        r->whole[r->n] &= data[i] == data[0];
    r->n++;
}

/* A GSO message to a socket that receives coalesced (UDP_GRO) arrives as one message, and the
 * receiver hands on the datagrams it was made of, the short last one too; a datagram sent
 * alone stays alone. */
static void test_receive_coalesced(void **state)
{
    uv_loop_t loop;
    struct udp *sender = open_sender(&loop, "127.0.0.1");
    struct received got = {0};
    const char *why = NULL;
    struct udp *receiver = udp_open(&loop, "127.0.0.1", 0, record_datagram, NULL, &got, &why);
    assert_non_null(receiver);
    assert_int_equal(udp_receive_coalesced(receiver), 0); /* Linux >= 5.0 */
    struct sockaddr_in to = {.sin_family = AF_INET};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(udp_local_port(receiver));

    static const size_t sizes[] = {1200, 1200, 1200, 500, 1100};
    enum { N = sizeof sizes / sizeof sizes[0] };
    uint8_t buf[UDP_MAX_DATAGRAM];
    for (int k = 0; k < N; k++) {
        fill(buf, sizes[k], k + 1);
        udp_queue(sender, buf, sizes[k], (struct sockaddr *)&to, NULL);
        if (k == 3)
            udp_flush(sender); /* [1200 1200 1200 500], then [1100] on its own */
    }
    udp_flush(sender);
    assert_int_equal(udp_stats(sender)->tx_messages, 2);
    for (int spins = 0; got.n < N && spins < 2000; spins++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        if (got.n < N)
            usleep(1000);
    }
    assert_int_equal(got.n, N);
    for (int k = 0; k < N; k++) {
        assert_int_equal(got.sizes[k], sizes[k]);
        assert_int_equal(got.first[k], k + 1);
        assert_true(got.whole[k]);
    }
    const struct udp_stats *st = udp_stats(receiver);
    assert_int_equal(st->rx_packets, N);
    assert_int_equal(st->rx_messages, 2);
    udp_close(receiver);
    close_sender(&loop, sender);
}

/* Two threads, each with its own send batch on the one socket, each to its own receiver (as
 * two fan-out lanes send to their own viewers): every datagram arrives, in its queue's order,
 * and each queue counts its own. */
struct lane_sends {
    struct udp_sendq *q;
    struct sockaddr_in to;
    int first;
};

static void *send_from_thread(void *opaque)
{
    struct lane_sends *l = opaque;
    uint8_t buf[UDP_MAX_DATAGRAM];
    for (int k = 0; k < 100; k++) {
        fill(buf, 1200, l->first + k);
        udp_sendq_queue(l->q, buf, 1200, (struct sockaddr *)&l->to, NULL);
    }
    udp_sendq_flush(l->q);
    return NULL;
}

static void test_queues_of_two_threads(void **state)
{
    uv_loop_t loop;
    struct udp *u = open_sender(&loop, "127.0.0.1");
    struct lane_sends lanes[2];
    int fds[2];
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) {
        fds[i] = open_receiver(&lanes[i].to);
        lanes[i].q = udp_sendq_new(u);
        lanes[i].first = 1 + 100 * i;
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, send_from_thread, &lanes[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < 2; i++) {
        assert_true(udp_sendq_own_socket(lanes[i].q));
        /* From the media port, as the viewer's ICE pair expects, though from another socket. */
        struct sockaddr_in from;
        socklen_t from_len = sizeof from;
        uint8_t first[UDP_MAX_DATAGRAM];
        assert_int_equal(
            recvfrom(fds[i], first, sizeof first, MSG_PEEK, (struct sockaddr *)&from, &from_len),
            1200);
        assert_int_equal(ntohs(from.sin_port), udp_local_port(u));
        for (int k = 0; k < 100; k++)
            expect_datagram(fds[i], 1200, lanes[i].first + k);
        const struct udp_stats *st = udp_sendq_stats(lanes[i].q);
        assert_int_equal(st->tx_packets, 100);
        assert_true(st->tx_messages < 100); /* GSO, as on the loop's own queue */
        udp_sendq_free(lanes[i].q);
        close(fds[i]);
    }
    assert_int_equal(udp_stats(u)->tx_packets, 0);
    close_sender(&loop, u);
}

/* With lanes' sockets on the port, everything that arrives still reaches the loop's socket
 * (the kernel would otherwise spread the senders over the port's sockets by their addresses),
 * and another socket cannot bind the port unless it asks to share it (SO_REUSEPORT). */
static void count_datagram(void *opaque, const struct sockaddr *from, const struct udp_local *local,
                           uint8_t *data, size_t len)
{
    (*(int *)opaque)++;
}

static void check_lanes_take_no_receives(const char *bind_addr)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    int received = 0;
    const char *why = NULL;
    struct udp *u = udp_open(&loop, bind_addr, 0, count_datagram, NULL, &received, &why);
    assert_non_null(u);
    struct udp_sendq *lanes[3];
    for (int i = 0; i < 3; i++) {
        lanes[i] = udp_sendq_new(u);
        assert_true(udp_sendq_own_socket(lanes[i]));
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(udp_local_port(u))};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    enum { SENDERS = 64 };
    for (int k = 0; k < SENDERS; k++) { /* each from a port of its own */
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof to), 1);
        close(fd);
    }
    for (int tries = 0; received < SENDERS && tries < 200; tries++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
    assert_int_equal(received, SENDERS);

    /* Another program on the port, or another onair: refused as with no lanes. */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&to, sizeof to), -1);
    assert_int_equal(errno, EADDRINUSE);
    close(fd);
    uv_loop_t other_loop;
    uv_loop_init(&other_loop);
    assert_null(udp_open(&other_loop, "127.0.0.1", udp_local_port(u), count_datagram, NULL,
                         &received, &why));
    assert_string_equal(why, strerror(EADDRINUSE));
    uv_loop_close(&other_loop);

    for (int i = 0; i < 3; i++)
        udp_sendq_free(lanes[i]);
    close_sender(&loop, u);
}

static void test_lanes_take_no_receives_ipv4(void **state)
{
    check_lanes_take_no_receives("127.0.0.1");
}

static void test_lanes_take_no_receives_dual_stack(void **state)
{
    check_lanes_take_no_receives("::");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(oversize_datagram_counted_not_sent),
        cmocka_unit_test(test_sizes_ipv4),
        cmocka_unit_test(test_sizes_dual_stack),
        cmocka_unit_test(test_destinations),
        cmocka_unit_test(test_long_burst),
        cmocka_unit_test(test_built_in_slot),
        cmocka_unit_test(test_gso_off),
        cmocka_unit_test(test_receive_coalesced),
        cmocka_unit_test(test_queues_of_two_threads),
        cmocka_unit_test(test_lanes_take_no_receives_ipv4),
        cmocka_unit_test(test_lanes_take_no_receives_dual_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
