/* http_range: the one byte range of a Range header (RFC 9110 §14.2) that a file download
 * honours, so that a player can seek in a recording and a broken download can resume. Several
 * ranges in one header are answered with the whole file, as RFC 9110 allows a server to ignore
 * Range. Pure: no I/O. */
#ifndef ONAIR_APP_HTTP_RANGE_H
#define ONAIR_APP_HTTP_RANGE_H
#include <stdint.h>

enum http_range_result {
    HTTP_RANGE_WHOLE,         /* no Range, or one not honoured: 200 with the whole file */
    HTTP_RANGE_PARTIAL,       /* 206 with *START and *LEN, Content-Range bytes S-E/SIZE */
    HTTP_RANGE_UNSATISFIABLE, /* 416 with Content-Range: bytes star/SIZE */
};

/* Reads HEADER (NULL when absent) for a file of SIZE bytes: "bytes=A-B", "bytes=A-" or
 * "bytes=-N" (the last N bytes). */
enum http_range_result http_range_parse(const char *header, uint64_t size, uint64_t *start,
                                        uint64_t *len);

#endif
