/* loop_load: how busy the media loop was over about the last second, from the time libuv says
 * it waited for work (uv_metrics_idle_time), sampled a few times a second. --max-load refuses
 * new viewers while it is past a bound: a loop busy all the time answers joins late and then
 * loses its publishers' packets, which costs every viewer of the server, not only the new one.
 * Pure: the caller says what time it is and how long the loop has idled. */
#ifndef ONAIR_APP_LOOP_LOAD_H
#define ONAIR_APP_LOOP_LOAD_H
#include <stddef.h>
#include <stdint.h>

/* The share is taken over the last LOOP_LOAD_SAMPLES - 1 spans of LOOP_LOAD_SPAN_US: a second,
 * renewed every quarter of one (a crowd's joins need not wait a whole second to be seen). */
#define LOOP_LOAD_SPAN_US 250000
#define LOOP_LOAD_SAMPLES 5

struct loop_load {
    struct {
        uint64_t at_us, idle_ns;
    } sample[LOOP_LOAD_SAMPLES];
    size_t n, newest;
    double busy; /* 0..1 over the samples' span; 0 until there are two */
};

void loop_load_init(struct loop_load *l);
/* Takes a sample when a span has passed since the last one (or there is none). */
void loop_load_sample(struct loop_load *l, uint64_t now_us, uint64_t idle_ns);

#endif
