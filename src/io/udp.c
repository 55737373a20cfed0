/* udp: a non-blocking UDP socket driven by a libuv poll handle, with recvmmsg, and sendmmsg of
 * GSO messages. */
#include "io/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmalloc.h"

/* Room for a source address (IPv6 or IPv4 packet info) and a segment size: the uint16_t GSO
 * takes, or the int GRO gives. */
#define UDP_CONTROL_SPACE                                                                         \
    (CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) +            \
     CMSG_SPACE(sizeof(int)))

/* Receive slots once coalesced receive is on: fewer, each large enough for a whole GRO message
 * (UDP_GSO_MAX_SEGMENTS datagrams). */
#define UDP_GRO_SLOTS 16
#define UDP_GRO_SLOT_BYTES 65536

union udp_control {
    struct cmsghdr align;
    uint8_t buf[UDP_CONTROL_SPACE];
};

/* A send batch: tx_count datagrams (one iovec each) in tx_nmsgs messages, each a run of
 * consecutive iovecs with one destination, source and segment size. */
struct udp_sendq {
    int fd;
    bool owns_fd; /* a lane's own socket on the port (udp_sendq_new), closed with the queue */
    int family;
    bool gso;
    struct udp_stats *stats; /* the socket's own for its loop's queue, else own_stats */
    struct udp_stats own_stats;
    size_t tx_count, tx_nmsgs;
    struct iovec tx_iov[UDP_SEND_BATCH];
    uint8_t tx_buf[UDP_SEND_BATCH][UDP_MAX_DATAGRAM];
    struct mmsghdr tx_msgs[UDP_SEND_BATCH];
    struct sockaddr_storage tx_addr[UDP_SEND_BATCH];
    union udp_control tx_control[UDP_SEND_BATCH];
    size_t tx_segment[UDP_SEND_BATCH];   /* each message's first datagram's size */
    size_t tx_msg_bytes[UDP_SEND_BATCH]; /* each message's bytes in all */
};

struct udp {
    uv_poll_t poll;
    int fd;
    int family;
    uint16_t port;
    struct sockaddr_storage bound; /* what lanes' sockets bind to (udp_sendq_new) */
    udp_recv_cb on_recv;
    udp_batch_done_cb on_batch_done;
    void *opaque;
    struct udp_stats stats;
    /* Receive batch: rx_slots slots of rx_slot_bytes each, back to back in rx_store (one
     * datagram a slot, or larger slots once udp_receive_coalesced replaced the store). */
    int rx_slots;
    size_t rx_slot_bytes;
    uint8_t *rx_store;
    struct mmsghdr rx_msgs[UDP_BATCH];
    struct iovec rx_iov[UDP_BATCH];
    struct sockaddr_storage rx_addr[UDP_BATCH];
    union udp_control rx_control[UDP_BATCH];
    struct udp_sendq tx; /* the loop's own send batch */
};

static socklen_t addr_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* What the control messages of a received message say: its destination address (IP_PKTINFO /
 * IPV6_PKTINFO) into LOCAL; returns the size of the datagrams GRO joined into it, or 0. */
static size_t read_control(struct msghdr *msg, struct udp_local *local)
{
    memset(local, 0, sizeof *local);
    size_t segment = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
            int size;
            memcpy(&size, CMSG_DATA(c), sizeof size);
            segment = size > 0 ? (size_t)size : 0;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            local->family = AF_INET6;
            local->addr6 = info.ipi6_addr;
            local->ifindex = (int)info.ipi6_ifindex;
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            local->family = AF_INET;
            local->addr4 = info.ipi_addr;
            local->ifindex = info.ipi_ifindex;
        }
    }
    return segment;
}

/* Sets the source of an outgoing datagram, in the form of the socket's family. */
static size_t control_from_local(int family, const struct udp_local *local, uint8_t *buf)
{
    if (!local || !local->family)
        return 0;
    struct cmsghdr *c = (struct cmsghdr *)buf;
    if (family == AF_INET6) {
        struct in6_pktinfo info = {0};
        if (local->family == AF_INET6) {
            info.ipi6_addr = local->addr6;
        } else {
            info.ipi6_addr.s6_addr[10] = info.ipi6_addr.s6_addr[11] = 0xff;
            memcpy(&info.ipi6_addr.s6_addr[12], &local->addr4, 4);
        }
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof info);
        memcpy(CMSG_DATA(c), &info, sizeof info);
        return CMSG_SPACE(sizeof info);
    }
    if (local->family != AF_INET)
        return 0;
    struct in_pktinfo info = {0};
    info.ipi_spec_dst = local->addr4;
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    memcpy(CMSG_DATA(c), &info, sizeof info);
    return CMSG_SPACE(sizeof info);
}

/* Readies receive slot I for the next recvmmsg: the kernel writes each used slot's address and
 * control lengths and flags. */
static void rx_slot_reset(struct udp *u, int i)
{
    u->rx_iov[i].iov_base = u->rx_store + (size_t)i * u->rx_slot_bytes;
    u->rx_iov[i].iov_len = u->rx_slot_bytes;
    memset(&u->rx_msgs[i].msg_hdr, 0, sizeof u->rx_msgs[i].msg_hdr);
    u->rx_msgs[i].msg_hdr.msg_name = &u->rx_addr[i];
    u->rx_msgs[i].msg_hdr.msg_namelen = sizeof u->rx_addr[i];
    u->rx_msgs[i].msg_hdr.msg_iov = &u->rx_iov[i];
    u->rx_msgs[i].msg_hdr.msg_iovlen = 1;
    u->rx_msgs[i].msg_hdr.msg_control = u->rx_control[i].buf;
    u->rx_msgs[i].msg_hdr.msg_controllen = sizeof u->rx_control[i].buf;
}

static void on_readable(uv_poll_t *handle, int status, int events)
{
    struct udp *u = handle->data;
    if (status < 0)
        return;
    /* Bound the work per wake-up so timers and HTTP get their turn under a flood. */
    for (int round = 0; round < 16; round++) {
        int n = recvmmsg(u->fd, u->rx_msgs, (unsigned)u->rx_slots, MSG_DONTWAIT, NULL);
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++) {
            if (u->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
                continue; /* larger than any datagram we accept: not ours */
            u->stats.rx_messages++;
            struct udp_local local;
            size_t segment = read_control(&u->rx_msgs[i].msg_hdr, &local);
            uint8_t *data = u->rx_iov[i].iov_base;
            size_t len = u->rx_msgs[i].msg_len;
            if (!segment || segment > len)
                segment = len;
            /* A GRO message is its datagrams end to end, all of SEGMENT bytes but the last. */
            for (size_t at = 0; at < len; at += segment) {
                size_t part = len - at < segment ? len - at : segment;
                u->stats.rx_packets++;
                u->stats.rx_bytes += part;
                u->on_recv(u->opaque, (struct sockaddr *)&u->rx_addr[i], &local, data + at, part);
            }
        }
        /* Only the headers the kernel filled in changed: most wake-ups bring one datagram. */
        for (int i = 0; i < n; i++)
            rx_slot_reset(u, i);
        if (u->on_batch_done)
            u->on_batch_done(u->opaque);
        udp_sendq_flush(&u->tx);
        if (n < u->rx_slots)
            break;
    }
}

static int parse_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        return 0;
    }
    return -1;
}

/* Sets what every socket on the media port needs, the loop's and the lanes'. */
static void set_media_options(int fd, int family)
{
    int on = 1;
    if (family == AF_INET6) {
        int off = 0; /* [::] also takes IPv4, so one port serves both families */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    } else {
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    }
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

static void set_reuse_port(int fd, int on)
{
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
}

/* Each fan-out lane sends from a socket of its own bound to the media port: one socket's send
 * accounting (its sk_wmem_alloc, touched at every datagram sent and freed) shared by two CPUs
 * took 4.6 % of the server's CPU at 2,400 viewers, 1.6 % with one lane (perf; bench/RESULTS.md,
 * session 35). A lane's socket joins the port with SO_REUSEPORT, which the loop's socket turns
 * on only while a lane binds: the loop's socket is bound without it, so another program binding
 * the port still fails as before. This program, attached to the port's group (again at each
 * lane's join, which replaces it: start-up only), sends every datagram that arrives to the
 * group's first socket, the loop's, whichever of the port's sockets the kernel's lookup meets
 * first. */
static bool steer_receives_to_first(int fd)
{
    struct sock_filter first[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_fprog prog = {.len = 1, .filter = first};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) == 0;
}

struct udp *udp_open(uv_loop_t *loop, const char *addr, uint16_t port, udp_recv_cb on_recv,
                     udp_batch_done_cb on_batch_done, void *opaque, const char **why)
{
    struct sockaddr_storage ss;
    if (parse_addr(addr, port, &ss) < 0) {
        *why = "media address is not an IP address";
        return NULL;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *why = strerror(errno);
        return NULL;
    }
    set_media_options(fd, ss.ss_family);
    if (bind(fd, (struct sockaddr *)&ss, addr_len((struct sockaddr *)&ss)) < 0) {
        int err = errno;
        *why = strerror(err);
        close(fd);
        errno = err; /* for the caller, which may try another family */
        return NULL;
    }
    socklen_t len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    struct udp *u = xcalloc(1, sizeof *u);
    u->fd = fd;
    u->family = ss.ss_family;
    u->bound = ss;
    u->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    /* UDP_SEGMENT exists since Linux 4.18: asking for its value tells whether this kernel has
     * it. */
    int segment = 0;
    socklen_t segment_len = sizeof segment;
    u->tx.gso = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, &segment_len) == 0;
    u->tx.fd = fd;
    u->tx.family = u->family;
    u->tx.stats = &u->stats;
    u->rx_slots = UDP_BATCH;
    u->rx_slot_bytes = UDP_MAX_DATAGRAM;
    u->rx_store = xmalloc((size_t)UDP_BATCH * UDP_MAX_DATAGRAM);
    for (int i = 0; i < UDP_BATCH; i++)
        rx_slot_reset(u, i);
    u->on_recv = on_recv;
    u->on_batch_done = on_batch_done;
    u->opaque = opaque;
    uv_poll_init(loop, &u->poll, fd);
    u->poll.data = u;
    uv_poll_start(&u->poll, UV_READABLE, on_readable);
    return u;
}

static void on_closed(uv_handle_t *handle)
{
    struct udp *u = handle->data;
    close(u->fd);
    free(u->rx_store);
    free(u);
}

int udp_receive_coalesced(struct udp *u)
{
    int on = 1;
    if (setsockopt(u->fd, SOL_UDP, UDP_GRO, &on, sizeof on) < 0)
        return -1;
    if (u->rx_slot_bytes != UDP_GRO_SLOT_BYTES) {
        /* Virtual until the kernel writes to it: most wake-ups fill one slot. The datagram
         * store it replaces holds nothing between reads. */
        free(u->rx_store);
        u->rx_store = xmalloc((size_t)UDP_GRO_SLOTS * UDP_GRO_SLOT_BYTES);
        u->rx_slots = UDP_GRO_SLOTS;
        u->rx_slot_bytes = UDP_GRO_SLOT_BYTES;
        for (int i = 0; i < UDP_GRO_SLOTS; i++)
            rx_slot_reset(u, i);
    }
    return 0;
}

void udp_close(struct udp *u)
{
    if (!u)
        return;
    udp_sendq_flush(&u->tx);
    uv_poll_stop(&u->poll);
    uv_close((uv_handle_t *)&u->poll, on_closed);
}

uint16_t udp_local_port(const struct udp *u) { return u->port; }

int udp_family(const struct udp *u) { return u->family; }

const struct udp_stats *udp_stats(const struct udp *u) { return &u->stats; }

bool udp_gso(const struct udp *u) { return u->tx.gso; }

void udp_set_gso(struct udp *u, bool on) { u->tx.gso = on; }

void udp_queue(struct udp *u, const uint8_t *data, size_t len, const struct sockaddr *to,
               const struct udp_local *from)
{
    udp_sendq_queue(&u->tx, data, len, to, from);
}

uint8_t *udp_slot(struct udp *u, size_t *cap) { return udp_sendq_slot(&u->tx, cap); }

void udp_flush(struct udp *u) { udp_sendq_flush(&u->tx); }

/* A socket of the lane's own on U's port; -1 where it cannot join (the loop's socket then
 * carries the lane's sends too). The first lane's bind makes the port's group (the loop's
 * socket first in it), which the program then steers: the lanes are made before the server
 * takes sessions, so nothing meant for the loop waits on a lane's socket in between. */
static int open_lane_socket(const struct udp *u)
{
    int fd = socket(u->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    set_media_options(fd, u->family);
    set_reuse_port(fd, 1);
    set_reuse_port(u->fd, 1);
    const char *failed = NULL;
    if (bind(fd, (const struct sockaddr *)&u->bound, addr_len((const struct sockaddr *)&u->bound)) <
        0)
        failed = "bind";
    else if (!steer_receives_to_first(u->fd))
        failed = "SO_ATTACH_REUSEPORT_CBPF";
    int err = errno;
    set_reuse_port(u->fd, 0);
    if (failed) {
        log_warn("udp: a lane's socket could not join port %u (%s: %s); it sends from the "
                 "loop's",
                 u->port, failed, strerror(err));
        close(fd);
        return -1;
    }
    return fd;
}

struct udp_sendq *udp_sendq_new(const struct udp *u)
{
    struct udp_sendq *q = xcalloc(1, sizeof *q);
    q->fd = open_lane_socket(u);
    q->owns_fd = q->fd >= 0;
    if (!q->owns_fd)
        q->fd = u->fd;
    q->family = u->family;
    q->gso = u->tx.gso;
    q->stats = &q->own_stats;
    return q;
}

void udp_sendq_free(struct udp_sendq *q)
{
    if (!q)
        return;
    udp_sendq_flush(q);
    if (q->owns_fd)
        close(q->fd);
    free(q);
}

bool udp_sendq_own_socket(const struct udp_sendq *q)
{
    return q->owns_fd;
}

const struct udp_stats *udp_sendq_stats(const struct udp_sendq *q) { return q->stats; }

/* Whether a datagram of LEN bytes to the message's destination and source (ADDR, CONTROL) can be
 * the next segment of message M. */
static bool joins_message(const struct udp_sendq *q, size_t m, const struct sockaddr *addr,
                          socklen_t addr_size, const uint8_t *control, size_t control_len,
                          size_t len)
{
    const struct msghdr *h = &q->tx_msgs[m].msg_hdr;
    size_t last = (size_t)(h->msg_iov - q->tx_iov) + h->msg_iovlen - 1;
    return q->gso && h->msg_iovlen < UDP_GSO_MAX_SEGMENTS &&
           q->tx_iov[last].iov_len == q->tx_segment[m] && len <= q->tx_segment[m] &&
           q->tx_msg_bytes[m] + len <= UDP_GSO_MAX_BYTES && h->msg_namelen == addr_size &&
           memcmp(h->msg_name, addr, addr_size) == 0 && h->msg_controllen == control_len &&
           (control_len == 0 || memcmp(h->msg_control, control, control_len) == 0);
}

void udp_sendq_queue(struct udp_sendq *q, const uint8_t *data, size_t len,
                     const struct sockaddr *to, const struct udp_local *from)
{
    if (len > UDP_MAX_DATAGRAM) {
        q->stats->tx_oversize++; /* counted: a viewer's gap would otherwise have no trace */
        return;
    }
    if (q->tx_count == UDP_SEND_BATCH)
        udp_sendq_flush(q);
    struct sockaddr_in6 mapped;
    if (q->family == AF_INET6 && to->sa_family == AF_INET) {
        /* A dual-stack socket reaches IPv4 peers at their v4-mapped address (RFC 4291 §2.5.5.2). */
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)to;
        memset(&mapped, 0, sizeof mapped);
        mapped.sin6_family = AF_INET6;
        mapped.sin6_port = v4->sin_port;
        mapped.sin6_addr.s6_addr[10] = mapped.sin6_addr.s6_addr[11] = 0xff;
        memcpy(&mapped.sin6_addr.s6_addr[12], &v4->sin_addr, 4);
        to = (const struct sockaddr *)&mapped;
    }
    /* Zeroed first, so two controls for one source compare equal byte for byte. */
    union udp_control control;
    memset(&control, 0, sizeof control);
    size_t control_len = control_from_local(q->family, from, control.buf);

    size_t i = q->tx_count++;
    if (data != q->tx_buf[i]) /* else built in place (udp_sendq_slot) */
        memcpy(q->tx_buf[i], data, len);
    q->tx_iov[i].iov_base = q->tx_buf[i];
    q->tx_iov[i].iov_len = len;
    socklen_t to_size = addr_len(to);
    if (q->tx_nmsgs &&
        joins_message(q, q->tx_nmsgs - 1, to, to_size, control.buf, control_len, len)) {
        size_t m = q->tx_nmsgs - 1;
        q->tx_msgs[m].msg_hdr.msg_iovlen++;
        q->tx_msg_bytes[m] += len;
        return;
    }
    size_t m = q->tx_nmsgs++;
    struct msghdr *h = &q->tx_msgs[m].msg_hdr;
    memset(h, 0, sizeof *h);
    memcpy(&q->tx_addr[m], to, to_size);
    h->msg_name = &q->tx_addr[m];
    h->msg_namelen = to_size;
    h->msg_iov = &q->tx_iov[i];
    h->msg_iovlen = 1;
    q->tx_control[m] = control;
    h->msg_control = control_len ? q->tx_control[m].buf : NULL;
    h->msg_controllen = control_len;
    q->tx_segment[m] = len;
    q->tx_msg_bytes[m] = len;
}

uint8_t *udp_sendq_slot(struct udp_sendq *q, size_t *cap)
{
    if (q->tx_count == UDP_SEND_BATCH)
        udp_sendq_flush(q);
    *cap = sizeof q->tx_buf[q->tx_count];
    return q->tx_buf[q->tx_count];
}

/* Tells the kernel to cut message M into segments of its first datagram's size. */
static void add_segment_size(struct udp_sendq *q, size_t m)
{
    struct msghdr *h = &q->tx_msgs[m].msg_hdr;
    uint8_t *at = q->tx_control[m].buf + h->msg_controllen;
    struct cmsghdr *c = (struct cmsghdr *)at;
    uint16_t segment = (uint16_t)q->tx_segment[m];
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof segment);
    memcpy(CMSG_DATA(c), &segment, sizeof segment);
    h->msg_control = q->tx_control[m].buf;
    h->msg_controllen += CMSG_SPACE(sizeof segment);
}

/* The kernel refused GSO message M (a device or route without segmentation: EIO, EINVAL): turn
 * GSO off for good and send its datagrams one by one. */
static void send_segments_alone(struct udp_sendq *q, size_t m)
{
    struct msghdr h = q->tx_msgs[m].msg_hdr;
    h.msg_controllen -= CMSG_SPACE(sizeof(uint16_t));
    if (!h.msg_controllen)
        h.msg_control = NULL;
    struct iovec *iov = h.msg_iov;
    size_t n = h.msg_iovlen;
    h.msg_iovlen = 1;
    for (size_t k = 0; k < n; k++) {
        h.msg_iov = &iov[k];
        q->stats->tx_syscalls++;
        q->stats->tx_messages++;
        if (sendmsg(q->fd, &h, 0) < 0) {
            q->stats->tx_errors++;
            continue;
        }
        q->stats->tx_packets++;
        q->stats->tx_bytes += iov[k].iov_len;
    }
}

void udp_sendq_flush(struct udp_sendq *q)
{
    for (size_t m = 0; m < q->tx_nmsgs; m++)
        if (q->tx_msgs[m].msg_hdr.msg_iovlen > 1)
            add_segment_size(q, m);
    size_t done = 0;
    while (done < q->tx_nmsgs) {
        int n = sendmmsg(q->fd, q->tx_msgs + done, (unsigned)(q->tx_nmsgs - done), 0);
        q->stats->tx_syscalls++;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            size_t segments = q->tx_msgs[done].msg_hdr.msg_iovlen;
            if (segments > 1 && (errno == EIO || errno == EINVAL)) {
                log_warn("udp: the kernel refused a GSO send (%s); sending datagrams one by one",
                         strerror(errno));
                q->gso = false;
                send_segments_alone(q, done);
            } else {
                /* A full socket buffer or an unreachable peer costs that message only: skip it
                 * so one bad destination never holds up the other viewers in the batch. */
                q->stats->tx_errors += segments;
            }
            done++;
            continue;
        }
        for (size_t k = done; k < done + (size_t)n; k++) {
            q->stats->tx_messages++;
            q->stats->tx_packets += q->tx_msgs[k].msg_hdr.msg_iovlen;
            q->stats->tx_bytes += q->tx_msg_bytes[k];
        }
        done += (size_t)n;
    }
    q->tx_count = 0;
    q->tx_nmsgs = 0;
}
