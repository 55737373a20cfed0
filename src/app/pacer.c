/* pacer: a leaky bucket. The budget grows at the pacing rate (bytes per microsecond) and a packet
 * leaves when the budget covers it; the rate is PACER_FACTOR times the measured bitrate, at
 * least PACER_MIN_BPS, and at least what empties the queue by the time its oldest packet has
 * waited PACER_MAX_HOLD_US. */
#include "app/pacer.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

void pacer_init(struct pacer *p) { memset(p, 0, sizeof *p); }

void pacer_free(struct pacer *p)
{
    free(p->ring);
    memset(p, 0, sizeof *p);
}

double pacer_rate_bps(const struct pacer *p, uint64_t now_us)
{
    double rate = PACER_FACTOR * p->measured_bps;
    if (rate < PACER_MIN_BPS)
        rate = PACER_MIN_BPS;
    if (!p->count)
        return rate;
    /* All that waits, sent by the time the oldest packet has waited PACER_MAX_HOLD_US. */
    uint64_t deadline = p->ring[p->head].queued_us + PACER_MAX_HOLD_US;
    uint64_t left_us = deadline > now_us + 1000 ? deadline - now_us : 1000;
    double drain = (double)p->queued_bytes * 8 * 1e6 / (double)left_us;
    return drain > rate ? drain : rate;
}

/* The pacing rate at NOW_US in bytes per microsecond, worked out once per call that needs it. */
static double bytes_per_us(const struct pacer *p, uint64_t now_us)
{
    return pacer_rate_bps(p, now_us) / 8 / 1e6;
}

/* A round's sending at PER_US (PACER_INTERVAL_US of it, or one packet if more). */
static double round_bytes(double per_us)
{
    double round = per_us * PACER_INTERVAL_US;
    return round < PACER_MAX_PACKET ? PACER_MAX_PACKET : round;
}

/* The budget at NOW_US: what the last round left over plus what the time since earned, up to a
 * round's worth more. The leftover (less than the packet that did not fit) must carry: rounds
 * are PACER_INTERVAL_US apart, so a round that dropped it would send only the whole packets
 * its own earnings cover, as little as half the rate when a round is under two packets. A
 * pause saves up no more than a round (pacer_push). */
static double budget_at(const struct pacer *p, uint64_t now_us, double per_us)
{
    uint64_t earned_us = now_us > p->budget_us ? now_us - p->budget_us : 0;
    double budget = p->budget + per_us * (double)earned_us;
    double cap = p->budget + round_bytes(per_us);
    return budget > cap ? cap : budget;
}

static void measure(struct pacer *p, uint64_t now_us, size_t len)
{
    if (!p->window_start_us)
        p->window_start_us = now_us;
    if (now_us - p->window_start_us >= 1000000) {
        p->measured_bps = (double)p->window_bytes * 8 * 1e6 / (double)(now_us - p->window_start_us);
        p->window_start_us = now_us;
        p->window_bytes = 0;
    }
    p->window_bytes += len;
}

bool pacer_push(struct pacer *p, uint64_t now_us, size_t track, const uint8_t *data, size_t len)
{
    if (len == 0 || len > PACER_MAX_PACKET)
        return false;
    if (p->count == 0) {
        /* What the time until now earned is counted at the rate that held while nothing
         * waited (a packet queued now would raise it); after a pause, a round leaves at once
         * and the rest at the rate. */
        double per_us = bytes_per_us(p, now_us);
        double round = round_bytes(per_us);
        p->budget = budget_at(p, now_us, per_us);
        if (p->budget > round)
            p->budget = round;
        p->budget_us = now_us;
    }
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct pacer_packet *ring = xmalloc(cap * sizeof *ring);
        for (size_t i = 0; i < p->count; i++)
            ring[i] = p->ring[(p->head + i) % p->cap];
        free(p->ring);
        p->ring = ring;
        p->cap = cap;
        p->head = 0;
    }
    struct pacer_packet *pkt = &p->ring[(p->head + p->count) % p->cap];
    pkt->track = track;
    pkt->len = len;
    pkt->queued_us = now_us;
    memcpy(pkt->data, data, len);
    p->count++;
    p->queued_bytes += len;
    measure(p, now_us, len);
    return true;
}

const struct pacer_packet *pacer_pop(struct pacer *p, uint64_t now_us)
{
    if (!p->count)
        return NULL;
    double budget = budget_at(p, now_us, bytes_per_us(p, now_us));
    const struct pacer_packet *pkt = &p->ring[p->head];
    if (budget < (double)pkt->len)
        return NULL;
    p->budget = budget - (double)pkt->len;
    p->budget_us = now_us;
    p->popped_us = now_us;
    p->head = (p->head + 1) % p->cap;
    p->count--;
    p->queued_bytes -= pkt->len;
    return pkt;
}

uint64_t pacer_next_us(const struct pacer *p, uint64_t now_us)
{
    if (!p->count)
        return 0;
    double per_us = bytes_per_us(p, now_us);
    double missing = (double)p->ring[p->head].len - budget_at(p, now_us, per_us);
    uint64_t next = now_us;
    if (missing > 0)
        next += (uint64_t)(missing / per_us) + 1;
    uint64_t round = p->popped_us ? p->popped_us + PACER_INTERVAL_US : 0;
    return round > next ? round : next;
}
