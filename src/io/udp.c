/* udp: a non-blocking UDP socket driven by a libuv poll handle, with recvmmsg, and sendmmsg of
 * GSO messages. */
#include "io/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmalloc.h"

/* Room for a source address (IPv6 or IPv4 packet info) and a GSO segment size. */
#define UDP_CONTROL_SPACE                                                                         \
    (CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) +            \
     CMSG_SPACE(sizeof(uint16_t)))

union udp_control {
    struct cmsghdr align;
    uint8_t buf[UDP_CONTROL_SPACE];
};

struct udp {
    uv_poll_t poll;
    int fd;
    int family;
    uint16_t port;
    bool gso;
    udp_recv_cb on_recv;
    udp_batch_done_cb on_batch_done;
    void *opaque;
    struct udp_stats stats;
    /* Receive batch. */
    struct mmsghdr rx_msgs[UDP_BATCH];
    struct iovec rx_iov[UDP_BATCH];
    struct sockaddr_storage rx_addr[UDP_BATCH];
    union udp_control rx_control[UDP_BATCH];
    uint8_t rx_buf[UDP_BATCH][UDP_MAX_DATAGRAM];
    /* Send batch: tx_count datagrams (one iovec each) in tx_nmsgs messages, each a run of
     * consecutive iovecs with one destination, source and segment size. */
    size_t tx_count, tx_nmsgs;
    struct iovec tx_iov[UDP_SEND_BATCH];
    uint8_t tx_buf[UDP_SEND_BATCH][UDP_MAX_DATAGRAM];
    struct mmsghdr tx_msgs[UDP_SEND_BATCH];
    struct sockaddr_storage tx_addr[UDP_SEND_BATCH];
    union udp_control tx_control[UDP_SEND_BATCH];
    size_t tx_segment[UDP_SEND_BATCH]; /* each message's first datagram's size */
    size_t tx_msg_bytes[UDP_SEND_BATCH]; /* each message's bytes in all */
};

static socklen_t addr_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* The destination address of a received datagram, from its IP_PKTINFO / IPV6_PKTINFO. */
static void local_from_control(struct msghdr *msg, struct udp_local *local)
{
    memset(local, 0, sizeof *local);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
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
}

/* Sets the source of an outgoing datagram, in the form of the socket's family. */
static size_t control_from_local(struct udp *u, const struct udp_local *local, uint8_t *buf)
{
    if (!local || !local->family)
        return 0;
    struct cmsghdr *c = (struct cmsghdr *)buf;
    if (u->family == AF_INET6) {
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

static void on_readable(uv_poll_t *handle, int status, int events)
{
    struct udp *u = handle->data;
    if (status < 0)
        return;
    /* Bound the work per wake-up so timers and HTTP get their turn under a flood. */
    for (int round = 0; round < 16; round++) {
        for (int i = 0; i < UDP_BATCH; i++) {
            u->rx_iov[i].iov_base = u->rx_buf[i];
            u->rx_iov[i].iov_len = UDP_MAX_DATAGRAM;
            memset(&u->rx_msgs[i].msg_hdr, 0, sizeof u->rx_msgs[i].msg_hdr);
            u->rx_msgs[i].msg_hdr.msg_name = &u->rx_addr[i];
            u->rx_msgs[i].msg_hdr.msg_namelen = sizeof u->rx_addr[i];
            u->rx_msgs[i].msg_hdr.msg_iov = &u->rx_iov[i];
            u->rx_msgs[i].msg_hdr.msg_iovlen = 1;
            u->rx_msgs[i].msg_hdr.msg_control = u->rx_control[i].buf;
            u->rx_msgs[i].msg_hdr.msg_controllen = sizeof u->rx_control[i].buf;
        }
        int n = recvmmsg(u->fd, u->rx_msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++) {
            if (u->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
                continue; /* larger than any datagram we accept: not ours */
            u->stats.rx_packets++;
            u->stats.rx_bytes += u->rx_msgs[i].msg_len;
            struct udp_local local;
            local_from_control(&u->rx_msgs[i].msg_hdr, &local);
            u->on_recv(u->opaque, (struct sockaddr *)&u->rx_addr[i], &local, u->rx_buf[i],
                       u->rx_msgs[i].msg_len);
        }
        if (u->on_batch_done)
            u->on_batch_done(u->opaque);
        udp_flush(u);
        if (n < UDP_BATCH)
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
    int on = 1;
    if (ss.ss_family == AF_INET6) {
        int off = 0; /* [::] also takes IPv4, so one port serves both families */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    } else {
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    }
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
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
    u->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    /* UDP_SEGMENT exists since Linux 4.18: asking for its value tells whether this kernel has
     * it. */
    int segment = 0;
    socklen_t segment_len = sizeof segment;
    u->gso = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, &segment_len) == 0;
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
    free(u);
}

void udp_close(struct udp *u)
{
    if (!u)
        return;
    udp_flush(u);
    uv_poll_stop(&u->poll);
    uv_close((uv_handle_t *)&u->poll, on_closed);
}

uint16_t udp_local_port(const struct udp *u) { return u->port; }

int udp_family(const struct udp *u) { return u->family; }

const struct udp_stats *udp_stats(const struct udp *u) { return &u->stats; }

bool udp_gso(const struct udp *u) { return u->gso; }

void udp_set_gso(struct udp *u, bool on) { u->gso = on; }

/* Whether a datagram of LEN bytes to the message's destination and source (ADDR, CONTROL) can be
 * the next segment of message M. */
static bool joins_message(const struct udp *u, size_t m, const struct sockaddr *addr,
                          socklen_t addr_size, const uint8_t *control, size_t control_len,
                          size_t len)
{
    const struct msghdr *h = &u->tx_msgs[m].msg_hdr;
    size_t last = (size_t)(h->msg_iov - u->tx_iov) + h->msg_iovlen - 1;
    return u->gso && h->msg_iovlen < UDP_GSO_MAX_SEGMENTS &&
           u->tx_iov[last].iov_len == u->tx_segment[m] && len <= u->tx_segment[m] &&
           u->tx_msg_bytes[m] + len <= UDP_GSO_MAX_BYTES && h->msg_namelen == addr_size &&
           memcmp(h->msg_name, addr, addr_size) == 0 && h->msg_controllen == control_len &&
           (control_len == 0 || memcmp(h->msg_control, control, control_len) == 0);
}

void udp_queue(struct udp *u, const uint8_t *data, size_t len, const struct sockaddr *to,
               const struct udp_local *from)
{
    if (len > UDP_MAX_DATAGRAM)
        return;
    if (u->tx_count == UDP_SEND_BATCH)
        udp_flush(u);
    struct sockaddr_in6 mapped;
    if (u->family == AF_INET6 && to->sa_family == AF_INET) {
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
    size_t control_len = control_from_local(u, from, control.buf);

    size_t i = u->tx_count++;
    memcpy(u->tx_buf[i], data, len);
    u->tx_iov[i].iov_base = u->tx_buf[i];
    u->tx_iov[i].iov_len = len;
    socklen_t to_size = addr_len(to);
    if (u->tx_nmsgs &&
        joins_message(u, u->tx_nmsgs - 1, to, to_size, control.buf, control_len, len)) {
        size_t m = u->tx_nmsgs - 1;
        u->tx_msgs[m].msg_hdr.msg_iovlen++;
        u->tx_msg_bytes[m] += len;
        return;
    }
    size_t m = u->tx_nmsgs++;
    struct msghdr *h = &u->tx_msgs[m].msg_hdr;
    memset(h, 0, sizeof *h);
    memcpy(&u->tx_addr[m], to, to_size);
    h->msg_name = &u->tx_addr[m];
    h->msg_namelen = to_size;
    h->msg_iov = &u->tx_iov[i];
    h->msg_iovlen = 1;
    u->tx_control[m] = control;
    h->msg_control = control_len ? u->tx_control[m].buf : NULL;
    h->msg_controllen = control_len;
    u->tx_segment[m] = len;
    u->tx_msg_bytes[m] = len;
}

/* Tells the kernel to cut message M into segments of its first datagram's size. */
static void add_segment_size(struct udp *u, size_t m)
{
    struct msghdr *h = &u->tx_msgs[m].msg_hdr;
    uint8_t *at = u->tx_control[m].buf + h->msg_controllen;
    struct cmsghdr *c = (struct cmsghdr *)at;
    uint16_t segment = (uint16_t)u->tx_segment[m];
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof segment);
    memcpy(CMSG_DATA(c), &segment, sizeof segment);
    h->msg_control = u->tx_control[m].buf;
    h->msg_controllen += CMSG_SPACE(sizeof segment);
}

/* The kernel refused GSO message M (a device or route without segmentation: EIO, EINVAL): turn
 * GSO off for good and send its datagrams one by one. */
static void send_segments_alone(struct udp *u, size_t m)
{
    struct msghdr h = u->tx_msgs[m].msg_hdr;
    h.msg_controllen -= CMSG_SPACE(sizeof(uint16_t));
    if (!h.msg_controllen)
        h.msg_control = NULL;
    struct iovec *iov = h.msg_iov;
    size_t n = h.msg_iovlen;
    h.msg_iovlen = 1;
    for (size_t k = 0; k < n; k++) {
        h.msg_iov = &iov[k];
        u->stats.tx_syscalls++;
        u->stats.tx_messages++;
        if (sendmsg(u->fd, &h, 0) < 0) {
            u->stats.tx_errors++;
            continue;
        }
        u->stats.tx_packets++;
        u->stats.tx_bytes += iov[k].iov_len;
    }
}

void udp_flush(struct udp *u)
{
    for (size_t m = 0; m < u->tx_nmsgs; m++)
        if (u->tx_msgs[m].msg_hdr.msg_iovlen > 1)
            add_segment_size(u, m);
    size_t done = 0;
    while (done < u->tx_nmsgs) {
        int n = sendmmsg(u->fd, u->tx_msgs + done, (unsigned)(u->tx_nmsgs - done), 0);
        u->stats.tx_syscalls++;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            size_t segments = u->tx_msgs[done].msg_hdr.msg_iovlen;
            if (segments > 1 && (errno == EIO || errno == EINVAL)) {
                log_warn("udp: the kernel refused a GSO send (%s); sending datagrams one by one",
                         strerror(errno));
                u->gso = false;
                send_segments_alone(u, done);
            } else {
                /* A full socket buffer or an unreachable peer costs that message only: skip it
                 * so one bad destination never holds up the other viewers in the batch. */
                u->stats.tx_errors += segments;
            }
            done++;
            continue;
        }
        for (size_t k = done; k < done + (size_t)n; k++) {
            u->stats.tx_messages++;
            u->stats.tx_packets += u->tx_msgs[k].msg_hdr.msg_iovlen;
            u->stats.tx_bytes += u->tx_msg_bytes[k];
        }
        done += (size_t)n;
    }
    u->tx_count = 0;
    u->tx_nmsgs = 0;
}
