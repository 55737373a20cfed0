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
    size_t bytes = count * size;
    bytes = (bytes + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE; /* aligned_alloc's rule */
    void *p = check(aligned_alloc(CACHE_LINE, bytes ? bytes : CACHE_LINE), bytes);
    memset(p, 0, bytes);
    return p;
}
void *xrealloc(void *ptr, size_t size) { return check(realloc(ptr, size), size); }
char *xstrdup(const char *s) { return check(strdup(s), 1); }
char *xstrndup(const char *s, size_t n) { return check(strndup(s, n), 1); }
