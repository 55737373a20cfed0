/* spsc_ring: a bounded lock-free queue of pointers between exactly one producer thread and one
 * consumer thread. The producer owns `head`, the consumer `tail`; each reads the other's with
 * acquire ordering, so what the producer wrote before a push is visible to the consumer after
 * its pop. No allocation after spsc_ring_init, no lock, no system call. */
#ifndef ONAIR_BASE_SPSC_RING_H
#define ONAIR_BASE_SPSC_RING_H
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/xmalloc.h"

/* Embedded in memory from xcalloc_lines (or static), so that the alignment holds. */
struct spsc_ring {
    /* On separate cache lines: the two threads each write one. */
    alignas(CACHE_LINE) atomic_size_t head; /* next slot to write; written by the producer only */
    alignas(CACHE_LINE) atomic_size_t tail; /* next slot to read; written by the consumer only */
    alignas(CACHE_LINE) size_t mask;        /* capacity - 1 */
    void **slots;
};

/* Makes a ring of CAPACITY slots, rounded up to a power of two (at least 2). */
void spsc_ring_init(struct spsc_ring *r, size_t capacity);
void spsc_ring_free(struct spsc_ring *r);
size_t spsc_ring_capacity(const struct spsc_ring *r);

/* Producer: appends ITEM; false when the ring is full (nothing is written). */
bool spsc_ring_push(struct spsc_ring *r, void *item);
/* Consumer: takes the oldest item into *ITEM; false when the ring is empty. */
bool spsc_ring_pop(struct spsc_ring *r, void **item);
/* Items waiting, as seen from any thread: exact from the producer or consumer, a recent value
 * from others (for metrics). */
size_t spsc_ring_depth(const struct spsc_ring *r);

#endif
