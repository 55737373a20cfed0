/* loop_load: the media loop's busy share over about the last second (see loop_load.h). */
#include "app/loop_load.h"

#include <string.h>

void loop_load_init(struct loop_load *l)
{
    memset(l, 0, sizeof *l);
}

void loop_load_sample(struct loop_load *l, uint64_t now_us, uint64_t idle_ns)
{
    if (l->n && now_us - l->sample[l->newest].at_us < LOOP_LOAD_SPAN_US)
        return;
    l->newest = l->n ? (l->newest + 1) % LOOP_LOAD_SAMPLES : 0;
    l->sample[l->newest].at_us = now_us;
    l->sample[l->newest].idle_ns = idle_ns;
    if (l->n < LOOP_LOAD_SAMPLES)
        l->n++;
    size_t oldest = l->n < LOOP_LOAD_SAMPLES ? 0 : (l->newest + 1) % LOOP_LOAD_SAMPLES;
    if (oldest == l->newest)
        return;
    double wall_ns = 1e3 * (double)(now_us - l->sample[oldest].at_us);
    double idle = (double)(idle_ns - l->sample[oldest].idle_ns);
    /* The two clocks are read apart: idle may come out a hair over the wall time. */
    double busy = 1 - idle / wall_ns;
    l->busy = busy < 0 ? 0 : busy > 1 ? 1 : busy;
}
