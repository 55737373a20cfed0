/* http: libmicrohttpd driven from the libuv loop (external polling through MHD's epoll fd), so
 * signaling runs on the media thread and needs no locks. Routes live in app/api.c. */
#ifndef ONAIR_APP_HTTP_H
#define ONAIR_APP_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define HTTP_MAX_BODY (64 * 1024)
/* A WHIP 201 carries Location, ETag, CORS and one Link per ICE server (up to 8). */
#define HTTP_MAX_HEADERS 16

struct http_request {
    const char *method;
    const char *path;
    const char *content_type; /* without parameters, lower case; "" when absent */
    const char *if_match;     /* NULL when absent */
    const char *origin;       /* NULL when absent */
    const char *authorization;
    const char *host;
    const char *range; /* NULL when absent */
    /* The client is on this machine (127.0.0.0/8, ::1), no proxy there forwarded it, and no page
     * of another site made it in a browser here (app/local_request). */
    bool from_loopback;
    const uint8_t *body;
    size_t body_len;
    void *conn; /* for http_request_query */
};

/* The value of query parameter NAME, or NULL. */
const char *http_request_query(const struct http_request *req, const char *name);

struct http_response {
    int status;
    const char *content_type;
    char *body; /* owned: freed after sending */
    size_t body_len;
    /* A file instead of the body (http_response_file): FILE_LEN bytes from FILE_OFFSET. */
    int file_fd; /* owned when HAS_FILE: closed after sending */
    bool has_file;
    uint64_t file_offset, file_len;
    size_t n_headers;
    char *header_names[HTTP_MAX_HEADERS]; /* owned */
    char *header_values[HTTP_MAX_HEADERS];
    struct http_disk_work *after_disk; /* http_response_after_disk's */
};

/* A response that waits for the disk. WORK runs on the server's disk thread (app/disk_reads.h)
 * and may block there; then ANSWER fills the response on the loop thread, and it is sent. The
 * request's connection waits meanwhile, holding up nothing else. A handler embeds this first in
 * a struct of its own (with what WORK needs: never the request, gone by then), which ANSWER
 * frees. */
struct http_disk_work {
    void (*work)(struct http_disk_work *w);
    /* CANCELLED: the server stops, and WORK never ran or the request is gone (its connection
     * closed): RES goes nowhere, and the request's headers are no more. Not called for a WORK
     * still stuck in the disk when the server stops (left to the process's exit). */
    void (*answer)(struct http_disk_work *w, bool cancelled, struct http_response *res);
};

/* Helpers for route handlers: each replaces the body. */
void http_response_text(struct http_response *res, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void http_response_take(struct http_response *res, int status, const char *content_type,
                        char *body, size_t len);
void http_response_header(struct http_response *res, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sends LEN bytes of FD from OFFSET as the body, read as the client takes them (never whole in
 * memory); FD is the response's, closed once sent. */
void http_response_file(struct http_response *res, int status, const char *content_type, int fd,
                        uint64_t offset, uint64_t len);

/* Answers the request once W's work is done (see struct http_disk_work), not now: RES is left
 * unfilled. */
void http_response_after_disk(struct http_response *res, struct http_disk_work *w);

typedef void (*http_handler)(void *opaque, const struct http_request *req,
                             struct http_response *res);

/* HTTPS: the certificate (chain) and its private key, PEM files. */
struct http_tls {
    const char *cert_file;
    const char *key_file;
};

/* Whether both of TLS's files read as PEM, as http_server_start reads them (for --check); if not,
 * why in WHY[0..CAP). */
bool http_tls_readable(const struct http_tls *tls, char *why, size_t cap);

struct http_server;
/* Listens on ADDR:PORT ("127.0.0.1:8080", "[::]:8080"), over TLS when TLS is given (else
 * plain HTTP). NULL with a sentence in WHY[0..cap) on failure. */
struct http_server *http_server_start(uv_loop_t *loop, const char *listen,
                                      const struct http_tls *tls, http_handler handler,
                                      void *opaque, char *why, size_t cap);
void http_server_stop(struct http_server *s);
uint16_t http_server_port(const struct http_server *s);

#endif
