/* xmalloc: allocation that aborts on exhaustion, so the rest of the code never checks for NULL. */
#ifndef ONAIR_BASE_XMALLOC_H
#define ONAIR_BASE_XMALLOC_H
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* The size of a cache line: what two threads' objects written often should not share. */
#define CACHE_LINE 64
/* COUNT zeroed objects of SIZE from a cache line's start (freed with free): with SIZE a multiple
 * of CACHE_LINE, each thread's object is on lines of its own. */
void *xcalloc_lines(size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
