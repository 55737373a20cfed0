/* disk_reads: file reads, and other calls to the disk (opening, listing and deleting
 * recordings), on a thread of their own, so a slow or stuck disk never stalls the loop (the
 * loop also carries media). They are done one at a time, in the order asked: the files handled
 * this way (recordings) are on one disk, which a second thread would not make faster. */
#ifndef ONAIR_APP_DISK_READS_H
#define ONAIR_APP_DISK_READS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

struct disk_read {
    int fd;
    uint64_t offset;
    uint8_t *buf;
    size_t len;
    ssize_t result; /* bytes read (0 at the end of the file), or -errno */
    /* Set: called on the thread instead of the read (FD, OFFSET, BUF, LEN unused), to make
     * whatever calls it needs; RESULT is its own to set, but for -ECANCELED. */
    void (*work)(struct disk_read *read);
    /* Called on the loop's thread once the read is done (or cancelled by disk_reads_stop). */
    void (*done)(struct disk_read *read);
    struct disk_read *next; /* the queue's */
};

struct disk_reads;
/* Starts the thread; NULL with the reason in WHY[0..cap) when it cannot be made. */
struct disk_reads *disk_reads_start(uv_loop_t *loop, char *why, size_t cap);
/* Queues READ, which must stay valid until its DONE is called. */
void disk_reads_submit(struct disk_reads *reads, struct disk_read *read);
/* Stops the thread. Reads done and not yet told are told now; reads still queued are done with
 * -ECANCELED. A read (or work) the disk has not returned after a moment never calls DONE: it is
 * left to the thread, and the thread to the process's exit. NULL is a no-op. */
void disk_reads_stop(struct disk_reads *reads);

#endif
