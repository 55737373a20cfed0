/* server_lanes: a worker lane finds its send queue through a thread-local pointer, set for the
 * length of its share of a run. The session code that protects and sends a viewer's packet runs
 * unchanged on either kind of thread; only server_send asks where it is. */
#include "app/server_lanes.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app/server.h"
#include "base/worker_pool.h"
#include "base/xmalloc.h"

/* A datagram for an ICE-TCP peer, made on a worker lane: libuv's TCP handles belong to the loop's
 * thread, which sends it once the run is over. */
struct lane_tcp_send {
    struct sockaddr_storage to;
    size_t len;
    uint8_t *data;
};

struct server_lane {
    struct udp_sendq *q;
    struct lane_tcp_send *tcp;
    size_t n_tcp, cap_tcp;
};

static _Thread_local struct server_lane *running_lane;

unsigned server_lanes_wanted(unsigned workers)
{
    if (workers)
        return workers;
    unsigned cpus = uv_available_parallelism();
    return cpus < 1 ? 1 : cpus > WORKER_POOL_MAX_LANES ? WORKER_POOL_MAX_LANES : cpus;
}

int server_lanes_start(struct server *srv, const char **why)
{
    if (srv->n_lanes < 2)
        return 0;
    srv->pool = worker_pool_new(srv->n_lanes, why);
    if (!srv->pool)
        return -1;
    srv->lanes = xcalloc(srv->n_lanes, sizeof *srv->lanes);
    for (unsigned i = 1; i < srv->n_lanes; i++)
        srv->lanes[i].q = udp_sendq_new(srv->udp);
    return 0;
}

void server_lanes_stop(struct server *srv)
{
    worker_pool_free(srv->pool);
    srv->pool = NULL;
    if (!srv->lanes)
        return;
    for (unsigned i = 1; i < srv->n_lanes; i++) {
        udp_sendq_free(srv->lanes[i].q);
        free(srv->lanes[i].tcp);
    }
    free(srv->lanes);
    srv->lanes = NULL;
}

struct lane_call {
    struct server *srv;
    void (*part)(void *arg, unsigned lane);
    void *arg;
};

static void run_lane(void *opaque, unsigned lane)
{
    struct lane_call *call = opaque;
    if (lane == 0) {
        call->part(call->arg, 0);
        return;
    }
    struct server_lane *l = &call->srv->lanes[lane];
    running_lane = l;
    call->part(call->arg, lane);
    udp_sendq_flush(l->q);
    running_lane = NULL;
}

void server_run_lanes(void *opaque, void (*part)(void *arg, unsigned lane), void *arg)
{
    struct server *srv = opaque;
    if (!srv->pool) {
        for (unsigned lane = 0; lane < srv->n_lanes; lane++)
            part(arg, lane);
        return;
    }
    struct lane_call call = {srv, part, arg};
    worker_pool_run(srv->pool, run_lane, &call);
    /* The lanes take a run's viewers as they come (sfu/forward.c), so a viewer's next run may be
     * another lane's: what the loop's lane queued for it leaves now, before the other lanes'
     * queues, which they flush as they finish, can overtake it. */
    udp_flush(srv->udp);
    for (unsigned i = 1; i < srv->n_lanes; i++) {
        struct server_lane *l = &srv->lanes[i];
        for (size_t k = 0; k < l->n_tcp; k++) {
            server_send(srv, l->tcp[k].data, l->tcp[k].len, (struct sockaddr *)&l->tcp[k].to,
                        ADDR_TCP, NULL);
            free(l->tcp[k].data);
        }
        l->n_tcp = 0;
    }
}

bool server_lane_send(const uint8_t *data, size_t len, const struct sockaddr *to,
                      enum addr_transport transport, const struct udp_local *from)
{
    struct server_lane *l = running_lane;
    if (!l)
        return false;
    if (transport == ADDR_UDP) {
        udp_sendq_queue(l->q, data, len, to, from);
        return true;
    }
    if (l->n_tcp == l->cap_tcp) {
        l->cap_tcp = l->cap_tcp ? l->cap_tcp * 2 : 16;
        l->tcp = xrealloc(l->tcp, l->cap_tcp * sizeof *l->tcp);
    }
    struct lane_tcp_send *t = &l->tcp[l->n_tcp++];
    memset(&t->to, 0, sizeof t->to);
    memcpy(&t->to, to, to->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                 : sizeof(struct sockaddr_in));
    t->len = len;
    t->data = xmalloc(len);
    memcpy(t->data, data, len);
    return true;
}

bool server_lane_slot(enum addr_transport transport, uint8_t **slot, size_t *cap)
{
    struct server_lane *l = running_lane;
    if (!l)
        return false;
    *slot = transport == ADDR_UDP ? udp_sendq_slot(l->q, cap) : NULL;
    return true;
}

bool server_lane_stats(const struct server *srv, unsigned lane, struct server_lane_stats *out)
{
    if (!srv->pool || lane >= srv->n_lanes)
        return false;
    struct worker_stats ws;
    worker_pool_stats(srv->pool, lane, &ws);
    out->jobs = ws.jobs;
    out->cpu_seconds = ws.cpu_seconds;
    out->queue_depth = ws.queue_depth;
    out->udp = lane == 0 ? udp_stats(srv->udp) : udp_sendq_stats(srv->lanes[lane].q);
    return true;
}
