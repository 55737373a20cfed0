/* xmalloc: the one place that handles out-of-memory, by aborting with a message. */
#include "base/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p, size_t size)
{
    if (!p && size) {
        fprintf(stderr, "onair: out of memory allocating %zu bytes\n", size);
        abort();
    }
    return p;
}

void *xmalloc(size_t size) { return check(malloc(size), size); }
void *xcalloc(size_t count, size_t size) { return check(calloc(count, size), count * size); }
void *xcalloc_lines(size_t count, size_t size)
{
    /* aligned_alloc takes whole lines, and at least one. */
    size_t lines = (count * size + CACHE_LINE - 1) / CACHE_LINE;
    size_t bytes = (lines ? lines : 1) * CACHE_LINE;
    return memset(check(aligned_alloc(CACHE_LINE, bytes), bytes), 0, bytes);
}
void *xrealloc(void *ptr, size_t size) { return check(realloc(ptr, size), size); }
char *xstrdup(const char *s) { return check(strdup(s), 1); }
char *xstrndup(const char *s, size_t n) { return check(strndup(s, n), 1); }
