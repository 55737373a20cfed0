/* http: the libmicrohttpd adapter. MHD runs in external-polling epoll mode: libuv watches MHD's
 * epoll descriptor and a timer, and calls MHD_run, so every handler runs on the loop thread. */
#include "app/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app/disk_reads.h"
#include "app/local_request.h"
#include "base/log.h"
#include "base/xmalloc.h"

/* How much of a file a download reads at a time, a chunk ahead of the socket. */
#define DOWNLOAD_CHUNK (64 * 1024)

struct download;

struct http_server {
    struct MHD_Daemon *daemon;
    uv_poll_t poll;
    uv_timer_t timer;
    http_handler handler;
    void *opaque;
    uint16_t port;
    int closing_handles;
    char *cert_pem, *key_pem; /* HTTPS, else NULL */
    struct disk_reads *reads; /* for downloads and the responses waiting for the disk */
    struct download *downloads; /* being sent, to resume at stop */
    struct after_disk *waiting; /* responses waiting for the disk, to resume at stop */
    bool stopping;
};

struct after_disk;

/* Per-request state while the body arrives. */
struct upload {
    uint8_t *body;
    size_t len;
    int too_large;
    struct after_disk *waiting; /* the response waits for the disk */
};

/* A response waiting for the disk (http_response_after_disk): its connection is suspended
 * until the work is done and the answer made. */
struct after_disk {
    struct disk_read call; /* first: the call's DONE finds this from it */
    struct http_server *s;
    struct MHD_Connection *conn;
    struct http_disk_work *w;
    struct http_response res; /* the answer, once ANSWERED */
    bool answered;
    bool abandoned; /* the connection is gone (the server stops): the answer goes nowhere */
    struct after_disk *prev, *next;
};

const char *http_request_query(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Drops a file body not sent (a handler that replaced it, or a response never queued). */
static void drop_file(struct http_response *res)
{
    if (res->has_file)
        close(res->file_fd);
    res->has_file = false;
}

void http_response_take(struct http_response *res, int status, const char *content_type,
                        char *body, size_t len)
{
    drop_file(res);
    free(res->body);
    res->status = status;
    res->content_type = content_type;
    res->body = body;
    res->body_len = len;
}

void http_response_text(struct http_response *res, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = NULL;
    int n = vasprintf(&body, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    http_response_take(res, status, "text/plain; charset=utf-8", body, (size_t)n);
}

void http_response_header(struct http_response *res, const char *name, const char *fmt, ...)
{
    if (res->n_headers == HTTP_MAX_HEADERS)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *value = NULL;
    if (vasprintf(&value, fmt, ap) < 0)
        abort();
    va_end(ap);
    res->header_names[res->n_headers] = xstrdup(name);
    res->header_values[res->n_headers++] = value;
}

void http_response_file(struct http_response *res, int status, const char *content_type, int fd,
                        uint64_t offset, uint64_t len)
{
    http_response_take(res, status, content_type, NULL, 0);
    res->file_fd = fd;
    res->has_file = true;
    res->file_offset = offset;
    res->file_len = len;
}

void http_response_after_disk(struct http_response *res, struct http_disk_work *w)
{
    res->after_disk = w;
}

static void response_clear(struct http_response *res)
{
    drop_file(res);
    free(res->body);
    for (size_t i = 0; i < res->n_headers; i++) {
        free(res->header_names[i]);
        free(res->header_values[i]);
    }
}

/* Lower-cases the media type and drops parameters ("application/SDP; charset=x" ->
 * "application/sdp"). */
static void media_type(const char *header, char *out, size_t cap)
{
    size_t n = 0;
    if (header)
        for (; header[n] && header[n] != ';' && n + 1 < cap; n++)
            out[n] = (char)tolower((unsigned char)header[n]);
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = 0;
}

/* A file being sent (http_response_file). Its chunks are read on the disk thread, the next one
 * while the socket takes the last; while MHD waits for a chunk the connection is suspended, so
 * a slow disk holds up that download and nothing else on the loop. */
struct download {
    struct disk_read read; /* first: the read's DONE finds the download from it */
    struct http_server *s;
    struct MHD_Connection *conn;
    int fd;
    uint64_t file_offset, len; /* the body: LEN bytes of FD from FILE_OFFSET */
    uint64_t read_pos;         /* body position of the read under way */
    uint64_t have_pos;         /* body position of data[0] */
    size_t have_len;           /* bytes of data read and not yet read over */
    bool reading, suspended;
    bool gone; /* MHD is done with it while a read was out: freed when it returns */
    int error; /* errno of a failed read; EIO when the file ended early */
    struct download *prev, *next;
    uint8_t data[DOWNLOAD_CHUNK];
};

static void drive(struct http_server *s);

static void download_free(struct download *d)
{
    close(d->fd);
    free(d);
}

static void start_read(struct download *d, uint64_t pos)
{
    uint64_t left = d->len - pos;
    d->reading = true;
    d->read_pos = pos;
    d->read.fd = d->fd;
    d->read.offset = d->file_offset + pos;
    d->read.buf = d->data;
    d->read.len = left < DOWNLOAD_CHUNK ? (size_t)left : DOWNLOAD_CHUNK;
    disk_reads_submit(d->s->reads, &d->read);
}

static void on_chunk_read(struct disk_read *read)
{
    struct download *d = (struct download *)read;
    d->reading = false;
    if (d->gone) {
        download_free(d);
        return;
    }
    if (read->result < 0) {
        d->error = (int)-read->result;
        log_warn("a download stopped: cannot read its file: %s", strerror(d->error));
    } else if (read->result == 0) {
        d->error = EIO;
        log_warn("a download stopped: its file is shorter than when it was opened");
    } else {
        d->have_pos = d->read_pos;
        d->have_len = (size_t)read->result;
    }
    if (d->suspended) {
        d->suspended = false;
        MHD_resume_connection(d->conn);
        drive(d->s);
    }
}

/* MHD's content reader: bytes from POS into BUF[0..max) when the chunk read has them, else the
 * connection waits (suspended) for the read that brings them. */
static ssize_t download_bytes(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct download *d = cls;
    if (d->error || d->s->stopping)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (!d->reading && pos >= d->have_pos && pos - d->have_pos < d->have_len) {
        size_t at = (size_t)(pos - d->have_pos), n = d->have_len - at;
        if (n > max)
            n = max;
        memcpy(buf, d->data + at, n);
        if (at + n == d->have_len && pos + n < d->len)
            start_read(d, pos + n);
        return (ssize_t)n;
    }
    if (!d->reading)
        start_read(d, pos);
    d->suspended = true;
    MHD_suspend_connection(d->conn);
    return 0;
}

/* MHD is done with the response: sent, or the connection closed. */
static void download_end(void *cls)
{
    struct download *d = cls;
    if (d->prev)
        d->prev->next = d->next;
    else
        d->s->downloads = d->next;
    if (d->next)
        d->next->prev = d->prev;
    if (d->reading)
        d->gone = true;
    else
        download_free(d);
}

static struct MHD_Response *download_response(struct http_server *s, struct MHD_Connection *conn,
                                              struct http_response *res)
{
    struct download *d = xcalloc(1, sizeof *d);
    d->read.done = on_chunk_read;
    d->s = s;
    d->conn = conn;
    d->fd = res->file_fd;
    d->file_offset = res->file_offset;
    d->len = res->file_len;
    struct MHD_Response *r =
        MHD_create_response_from_callback(d->len, DOWNLOAD_CHUNK, download_bytes, d, download_end);
    if (!r) {
        free(d); /* the fd stays the response's */
        return NULL;
    }
    res->has_file = false;
    d->next = s->downloads;
    if (d->next)
        d->next->prev = d;
    s->downloads = d;
    return r;
}

static void after_disk_unlink(struct after_disk *a)
{
    if (a->prev)
        a->prev->next = a->next;
    else
        a->s->waiting = a->next;
    if (a->next)
        a->next->prev = a->prev;
}

static void after_disk_run(struct disk_read *call)
{
    struct after_disk *a = (struct after_disk *)call;
    a->w->work(a->w);
}

/* The work is done (or cancelled by the stop): the answer is made, and the connection resumed
 * so that MHD asks on_request again, which sends it. */
static void after_disk_done(struct disk_read *call)
{
    struct after_disk *a = (struct after_disk *)call;
    a->answered = true;
    a->w->answer(a->w, call->result == -ECANCELED || a->abandoned, &a->res);
    if (a->abandoned) {
        after_disk_unlink(a);
        response_clear(&a->res);
        free(a);
        return;
    }
    MHD_resume_connection(a->conn);
    drive(a->s);
}

/* Suspends CONN until W's work is done. */
static void after_disk_start(struct http_server *s, struct MHD_Connection *conn, struct upload *up,
                             struct http_disk_work *w)
{
    struct after_disk *a = xcalloc(1, sizeof *a);
    a->call.work = after_disk_run;
    a->call.done = after_disk_done;
    a->s = s;
    a->conn = conn;
    a->w = w;
    a->res.status = 500;
    a->next = s->waiting;
    if (a->next)
        a->next->prev = a;
    s->waiting = a;
    up->waiting = a;
    MHD_suspend_connection(conn);
    disk_reads_submit(s->reads, &a->call);
}

static enum MHD_Result send_response(struct http_server *s, struct MHD_Connection *conn,
                                     struct http_response *res)
{
    struct MHD_Response *r = NULL;
    if (res->has_file) {
        r = download_response(s, conn, res);
        if (!r)
            http_response_text(res, 500, "cannot send the file\n");
    }
    if (!r) {
        r = MHD_create_response_from_buffer(res->body_len, res->body, MHD_RESPMEM_MUST_FREE);
        res->body = NULL;
    }
    if (res->content_type)
        MHD_add_response_header(r, "Content-Type", res->content_type);
    for (size_t i = 0; i < res->n_headers; i++)
        MHD_add_response_header(r, res->header_names[i], res->header_values[i]);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    response_clear(res);
    return ret;
}

/* Whether the client of CONN is on this machine: an open stream is managed only from here. */
static bool client_on_loopback(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        return ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24 == 127;
    if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* Whether a proxy says it forwarded the request (RFC 7239's Forwarded, or the X- headers that
 * came before it): then the client is elsewhere, wherever the proxy runs. */
static bool forwarded(struct MHD_Connection *conn)
{
    static const char *const headers[] = {"Forwarded", "X-Forwarded-For", "X-Real-IP"};
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
        if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, headers[i]))
            return true;
    return false;
}

static void body_too_large(struct http_response *res)
{
    http_response_text(res, 413, "request body is larger than %d bytes\n", HTTP_MAX_BODY);
}

/* A body declared over the limit but at most this long, by a client that sends it without
 * waiting for 100 Continue, is read and dropped before the 413: answered early, such a client
 * (urllib, Python's requests, most libraries) is still writing when the server closes, and gets
 * a reset instead of the answer. Larger ones are answered early, reset or not: reading them
 * would cost more than the client's convenience is worth. */
#define HTTP_MAX_DRAINED (1024 * 1024)

/* Whether the request's Content-Length is over the limit; *DRAIN says whether to read the body
 * anyway (see HTTP_MAX_DRAINED). */
static bool declared_too_large(struct MHD_Connection *conn, bool *drain)
{
    const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    unsigned long long n = length ? strtoull(length, NULL, 10) : 0;
    const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
    *drain = n <= HTTP_MAX_DRAINED && !(expect && strcasecmp(expect, "100-continue") == 0);
    return n > HTTP_MAX_BODY;
}

/* Answers 413 before the body is read. MHD then sends no 100 Continue (a client that waits for
 * one, as curl does for a large body, never sends it) and reads none of the body: it closes the
 * connection after the answer (the "early response" of MHD's access handler, documented there).
 * Without this a client was made to send megabytes for nothing, or one that declared more than
 * it sent waited for the connection's timeout. */
static enum MHD_Result refuse_too_large(struct http_server *s, struct MHD_Connection *conn)
{
    struct http_response res = {.status = 500};
    body_too_large(&res);
    return send_response(s, conn, &res);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *s = cls;
    struct upload *up = *con_cls;
    if (up && up->waiting) { /* resumed: the answer is made (or the server stops) */
        struct after_disk *a = up->waiting;
        if (!a->answered)
            return MHD_NO; /* the work's DONE, still to come, frees it */
        up->waiting = NULL;
        after_disk_unlink(a);
        enum MHD_Result ret = send_response(s, conn, &a->res);
        free(a);
        return ret;
    }
    if (!up) {
        up = xcalloc(1, sizeof *up);
        *con_cls = up;
        bool drain;
        if (!declared_too_large(conn, &drain))
            return MHD_YES;
        if (!drain)
            return refuse_too_large(s, conn);
        up->too_large = 1; /* read to its end, none of it stored, then refused */
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* A chunked body has no length to refuse it by: it is read to its end (the client is
         * still sending) but none of it past the limit is stored, so it costs no memory. */
        if (up->len + *upload_data_size > HTTP_MAX_BODY)
            up->too_large = 1;
        if (!up->too_large) {
            up->body = xrealloc(up->body, up->len + *upload_data_size + 1);
            memcpy(up->body + up->len, upload_data, *upload_data_size);
            up->len += *upload_data_size;
            up->body[up->len] = 0;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    struct http_response res = {.status = 500};
    if (up->too_large) {
        body_too_large(&res);
    } else {
        char ctype[128];
        media_type(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"), ctype,
                   sizeof ctype);
        const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
        const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
        struct http_request req = {
            .method = method,
            .path = url,
            .content_type = ctype,
            .if_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Match"),
            .origin = origin,
            .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
            .host = host,
            .range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Range"),
            .from_loopback =
                client_on_loopback(conn) && !forwarded(conn) && local_request_trusted(host, origin),
            .body = up->body ? up->body : (const uint8_t *)"",
            .body_len = up->len,
            .conn = conn,
        };
        s->handler(s->opaque, &req, &res);
        if (res.after_disk) {
            response_clear(&res);
            after_disk_start(s, conn, up, res.after_disk);
            return MHD_YES;
        }
    }
    return send_response(s, conn, &res);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct upload *up = *con_cls;
    if (up) {
        struct after_disk *a = up->waiting;
        if (a && a->answered) { /* answered, never sent */
            after_disk_unlink(a);
            response_clear(&a->res);
            free(a);
        } else if (a) { /* its work's DONE, still to come, frees it */
            a->abandoned = true;
        }
        free(up->body);
        free(up);
        *con_cls = NULL;
    }
}

static void on_poll(uv_poll_t *handle, int status, int events) { drive(handle->data); }
static void on_timer(uv_timer_t *handle) { drive(handle->data); }

/* Runs MHD until it has nothing ready, then arms the timer for its next deadline. */
static void drive(struct http_server *s)
{
    MHD_run(s->daemon);
    MHD_UNSIGNED_LONG_LONG timeout;
    uint64_t ms = 1000;
    if (MHD_get_timeout(s->daemon, &timeout) == MHD_YES && timeout < ms)
        ms = timeout;
    uv_timer_start(&s->timer, on_timer, ms, 0);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = 0;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || port > 65535)
        return -1;
    memset(ss, 0, sizeof *ss);
    char *h = host;
    if (h[0] == '[') {
        h++;
        h[strlen(h) - 1] = 0;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (strcmp(h, "localhost") == 0)
        h = "127.0.0.1";
    if (inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, h, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        return 0;
    }
    return -1;
}

/* The PEM file PATH, NUL-terminated (certificates and keys are a few KiB; 1 MiB is plenty). */
static char *read_pem(const char *path, const char *what, char *why, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, cap, "cannot read the %s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    size_t max = 1 << 20;
    char *text = xmalloc(max + 1);
    size_t n = fread(text, 1, max + 1, f);
    fclose(f);
    text[n > max ? max : n] = 0;
    if (n == 0 || n > max || !strstr(text, "-----BEGIN ")) {
        snprintf(why, cap, "the %s %s is not a PEM file", what, path);
        free(text);
        return NULL;
    }
    return text;
}

bool http_tls_readable(const struct http_tls *tls, char *why, size_t cap)
{
    char *cert = read_pem(tls->cert_file, "certificate", why, cap);
    char *key = cert ? read_pem(tls->key_file, "key", why, cap) : NULL;
    bool both = key != NULL;
    free(cert);
    free(key);
    return both;
}

static void free_server(struct http_server *s)
{
    free(s->cert_pem);
    free(s->key_pem);
    free(s);
}

struct http_server *http_server_start(uv_loop_t *loop, const char *listen,
                                      const struct http_tls *tls, http_handler handler,
                                      void *opaque, char *why, size_t cap)
{
    struct sockaddr_storage ss;
    if (parse_listen(listen, &ss) < 0) {
        snprintf(why, cap, "--listen wants ADDR:PORT, e.g. 127.0.0.1:8080 or [::]:8080");
        return NULL;
    }
    struct http_server *s = xcalloc(1, sizeof *s);
    s->handler = handler;
    s->opaque = opaque;
    /* Suspend and resume: a download waits for the disk thread without holding the loop. */
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_DUAL_STACK;
    if (tls) {
        s->cert_pem = read_pem(tls->cert_file, "certificate", why, cap);
        s->key_pem = s->cert_pem ? read_pem(tls->key_file, "key", why, cap) : NULL;
        if (!s->key_pem) {
            free_server(s);
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem options[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
        {MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, 1000, NULL},
        /* Without TLS the list ends here. */
        {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, options,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(why, cap,
                 tls ? "cannot listen for HTTPS (address in use or not available, or "
                       "the key does not match the certificate)"
                     : "cannot listen for HTTP (address in use or not available)");
        free_server(s);
        return NULL;
    }
    s->reads = disk_reads_start(loop, why, cap);
    if (!s->reads) {
        MHD_stop_daemon(s->daemon);
        free_server(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    const union MHD_DaemonInfo *epoll = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    uv_poll_init(loop, &s->poll, epoll->epoll_fd);
    s->poll.data = s;
    uv_poll_start(&s->poll, UV_READABLE, on_poll);
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    drive(s);
    return s;
}

static void on_handle_closed(uv_handle_t *handle)
{
    struct http_server *s = handle->data;
    if (--s->closing_handles == 0)
        free_server(s);
}

void http_server_stop(struct http_server *s)
{
    if (!s)
        return;
    uv_poll_stop(&s->poll);
    uv_timer_stop(&s->timer);
    /* MHD stops with no connection suspended; a resumed download is ended, not read on. */
    s->stopping = true;
    for (struct download *d = s->downloads; d; d = d->next)
        if (d->suspended) {
            d->suspended = false;
            MHD_resume_connection(d->conn);
        }
    /* A response waiting for the disk is given up: its connection is closed unanswered, and
     * its work's answer (made when the disk thread tells it, at the latest in disk_reads_stop)
     * goes nowhere. */
    for (struct after_disk *a = s->waiting; a; a = a->next)
        if (!a->answered) {
            a->abandoned = true;
            MHD_resume_connection(a->conn);
        }
    MHD_stop_daemon(s->daemon);
    disk_reads_stop(s->reads); /* after MHD: the downloads it ended may still wait for a read */
    s->closing_handles = 2;
    uv_close((uv_handle_t *)&s->poll, on_handle_closed);
    uv_close((uv_handle_t *)&s->timer, on_handle_closed);
}

uint16_t http_server_port(const struct http_server *s) { return s->port; }
