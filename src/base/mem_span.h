/* mem_span: a stretch of memory to bring into the cache before it is used. */
#ifndef ONAIR_BASE_MEM_SPAN_H
#define ONAIR_BASE_MEM_SPAN_H

#include <stddef.h>
#include <stdint.h>

#define MEM_SPAN_LINE 64

struct mem_span {
    const void *addr;
    size_t len;
};

/* Prefetches every cache line SPANS touch, for writing (state that is read is updated too).
 * A prefetch never faults: a stale span costs a wasted fetch, nothing else. */
static inline void mem_span_prefetch(const struct mem_span *spans, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uintptr_t p = (uintptr_t)spans[i].addr & ~(uintptr_t)(MEM_SPAN_LINE - 1);
        uintptr_t end = (uintptr_t)spans[i].addr + spans[i].len;
        for (; p < end; p += MEM_SPAN_LINE)
            __builtin_prefetch((const void *)p, 1, 3);
    }
}

#endif
