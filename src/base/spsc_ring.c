/* spsc_ring: head and tail count up without wrapping at the capacity (size_t does not wrap in
 * practice); slot = count & mask. Full is head - tail == capacity, empty is head == tail. */
#include "base/spsc_ring.h"

#include <stdlib.h>

#include "base/xmalloc.h"

void spsc_ring_init(struct spsc_ring *r, size_t capacity)
{
    size_t n = 2;
    while (n < capacity)
        n *= 2;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->mask = n - 1;
    r->slots = xcalloc(n, sizeof *r->slots);
}

void spsc_ring_free(struct spsc_ring *r)
{
    free(r->slots);
    r->slots = NULL;
}

size_t spsc_ring_capacity(const struct spsc_ring *r) { return r->mask + 1; }

bool spsc_ring_push(struct spsc_ring *r, void *item)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (head - tail > r->mask)
        return false;
    r->slots[head & r->mask] = item;
    /* Release: the slot (and what ITEM points to) is written before the consumer sees head. */
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    return true;
}

bool spsc_ring_pop(struct spsc_ring *r, void **item)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (head == tail)
        return false;
    *item = r->slots[tail & r->mask];
    /* Release: the slot is read before the producer may reuse it. */
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return true;
}

size_t spsc_ring_depth(const struct spsc_ring *r)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    return head - tail;
}
