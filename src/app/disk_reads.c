/* disk_reads: one reader thread; finished reads go back to the loop through a uv_async. */
#include "app/disk_reads.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"

/* How long a stop waits for a call under way before leaving it to the thread. */
#define DISK_READS_STOP_WAIT_MS 500

struct read_list {
    struct disk_read *head, *tail;
};

struct disk_reads {
    uv_async_t async;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct read_list todo, done; /* under mu */
    bool stopping;               /* under mu */
    bool abandoned;              /* under mu: the stop did not wait for the call under way */
    bool joined;
};

static void list_push(struct read_list *list, struct disk_read *read)
{
    read->next = NULL;
    if (list->tail)
        list->tail->next = read;
    else
        list->head = read;
    list->tail = read;
}

static void *reader_main(void *arg)
{
    struct disk_reads *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->stopping && !r->todo.head)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->stopping)
            break;
        struct disk_read *read = r->todo.head;
        r->todo.head = read->next;
        if (!r->todo.head)
            r->todo.tail = NULL;
        pthread_mutex_unlock(&r->mu);
        if (read->work) {
            read->work(read);
        } else {
            ssize_t n;
            do
                n = pread(read->fd, read->buf, read->len, (off_t)read->offset);
            while (n < 0 && errno == EINTR);
            read->result = n < 0 ? -errno : n;
        }
        pthread_mutex_lock(&r->mu);
        if (r->abandoned) /* the stop gave up waiting: nobody is told */
            break;
        list_push(&r->done, read);
        if (r->stopping) /* the stop, waiting for this thread, tells it */
            break;
        uv_async_send(&r->async);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Calls DONE for every read of LIST, which is the caller's now. */
static void tell(struct disk_read *read)
{
    while (read) {
        struct disk_read *next = read->next; /* DONE may free READ */
        read->done(read);
        read = next;
    }
}

static void on_reads_done(uv_async_t *async)
{
    struct disk_reads *r = async->data;
    pthread_mutex_lock(&r->mu);
    struct disk_read *done = r->done.head;
    r->done.head = r->done.tail = NULL;
    pthread_mutex_unlock(&r->mu);
    tell(done);
}

struct disk_reads *disk_reads_start(uv_loop_t *loop, char *why, size_t cap)
{
    struct disk_reads *r = xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    int err = pthread_create(&r->thread, NULL, reader_main, r);
    if (err) {
        snprintf(why, cap, "cannot start the thread that reads files: %s", strerror(err));
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r);
        return NULL;
    }
    uv_async_init(loop, &r->async, on_reads_done);
    r->async.data = r;
    return r;
}

void disk_reads_submit(struct disk_reads *r, struct disk_read *read)
{
    pthread_mutex_lock(&r->mu);
    list_push(&r->todo, read);
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void on_async_closed(uv_handle_t *handle)
{
    struct disk_reads *r = handle->data;
    if (!r->joined) /* the thread is still in a read and will look at R when it returns */
        return;
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

void disk_reads_stop(struct disk_reads *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    struct timespec until = clock_deadline(CLOCK_REALTIME, DISK_READS_STOP_WAIT_MS);
    r->joined = pthread_timedjoin_np(r->thread, NULL, &until) == 0;
    if (!r->joined) {
        log_warn("a call to the disk has not returned in %d ms: the request it was for ends "
                 "here, the call is left to the process's exit",
                 DISK_READS_STOP_WAIT_MS);
        pthread_detach(r->thread);
    }
    pthread_mutex_lock(&r->mu);
    r->abandoned = !r->joined;
    struct disk_read *done = r->done.head, *queued = r->todo.head;
    r->done.head = r->done.tail = r->todo.head = r->todo.tail = NULL;
    pthread_mutex_unlock(&r->mu);
    tell(done);
    for (struct disk_read *read = queued; read; read = read->next)
        read->result = -ECANCELED;
    tell(queued);
    uv_close((uv_handle_t *)&r->async, on_async_closed);
}
