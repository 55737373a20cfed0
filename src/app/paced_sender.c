/* paced_sender: sends what the pacer allows, then sleeps until it allows the next packet. */
#include "app/paced_sender.h"

#include <stdlib.h>

#include "app/pacer.h"
#include "base/clock.h"
#include "base/xmalloc.h"

struct paced_sender {
    uv_timer_t timer;
    struct pacer pacer;
    paced_sender_cb send;
    void *opaque;
};

static void paced_sender_on_timer(uv_timer_t *timer);

static void paced_sender_run(struct paced_sender *ps)
{
    uint64_t now = clock_now_us();
    const struct pacer_packet *pkt;
    while ((pkt = pacer_pop(&ps->pacer, now)))
        ps->send(ps->opaque, pkt->track, pkt->data, pkt->len);
    uint64_t next = pacer_next_us(&ps->pacer, now);
    if (!next) {
        uv_timer_stop(&ps->timer);
        return;
    }
    uint64_t wait_ms = next > now ? (next - now + 999) / 1000 : 1;
    uv_timer_start(&ps->timer, paced_sender_on_timer, wait_ms, 0);
}

static void paced_sender_on_timer(uv_timer_t *timer) { paced_sender_run(timer->data); }

struct paced_sender *paced_sender_new(uv_loop_t *loop, paced_sender_cb send, void *opaque)
{
    struct paced_sender *ps = xcalloc(1, sizeof *ps);
    uv_timer_init(loop, &ps->timer);
    ps->timer.data = ps;
    pacer_init(&ps->pacer);
    ps->send = send;
    ps->opaque = opaque;
    return ps;
}

void paced_sender_push(struct paced_sender *ps, size_t track, const uint8_t *data, size_t len)
{
    if (!pacer_push(&ps->pacer, clock_now_us(), track, data, len)) {
        ps->send(ps->opaque, track, data, len);
        return;
    }
    paced_sender_run(ps);
}

static void paced_sender_on_closed(uv_handle_t *handle)
{
    struct paced_sender *ps = handle->data;
    pacer_free(&ps->pacer);
    free(ps);
}

void paced_sender_close(struct paced_sender *ps)
{
    if (!ps)
        return;
    uv_timer_stop(&ps->timer);
    uv_close((uv_handle_t *)&ps->timer, paced_sender_on_closed);
}
