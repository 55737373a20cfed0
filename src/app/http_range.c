/* http_range: one "bytes=" range. */
#include "app/http_range.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Reads the digits at *P into *OUT, moving *P past them; false without one, or past 2^63. */
static bool number(const char **p, uint64_t *out)
{
    uint64_t n = 0;
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (n > (UINT64_MAX / 2 - 9) / 10)
            return false;
        n = n * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *out = n;
    return true;
}

enum http_range_result http_range_parse(const char *header, uint64_t size, uint64_t *start,
                                        uint64_t *len)
{
    if (!header || strncasecmp(header, "bytes=", 6) != 0)
        return HTTP_RANGE_WHOLE; /* absent, or a unit other than bytes: ignored */
    const char *p = header + 6;
    while (*p == ' ')
        p++;
    uint64_t first = 0, last = 0;
    bool has_first = number(&p, &first);
    if (*p++ != '-')
        return HTTP_RANGE_WHOLE;
    bool has_last = number(&p, &last);
    while (*p == ' ')
        p++;
    if (*p || (!has_first && !has_last))
        return HTTP_RANGE_WHOLE; /* several ranges, or not a range: the whole file */
    if (!has_first) { /* the last LAST bytes */
        if (last == 0 || size == 0)
            return HTTP_RANGE_UNSATISFIABLE;
        *start = last < size ? size - last : 0;
        *len = size - *start;
        return HTTP_RANGE_PARTIAL;
    }
    if (has_last && last < first)
        return HTTP_RANGE_WHOLE; /* invalid: ignored (RFC 9110 §14.1.1) */
    if (first >= size)
        return HTTP_RANGE_UNSATISFIABLE;
    if (!has_last || last >= size)
        last = size - 1;
    *start = first;
    *len = last - first + 1;
    return HTTP_RANGE_PARTIAL;
}
