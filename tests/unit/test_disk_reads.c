/* Tests for app/disk_reads: reads come back on the loop's thread with the file's bytes, the end
 * of the file and errors as results, work in place of a read runs on the thread, and a stop
 * tells every read once (done or cancelled). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "app/disk_reads.h"

#define FILE_LEN 200000

struct probe {
    struct disk_read read; /* first */
    uint8_t buf[65536];
    int told;
    pthread_t told_on;
};

static int told_total;

static void on_done(struct disk_read *read)
{
    struct probe *p = (struct probe *)read;
    p->told++;
    p->told_on = pthread_self();
    told_total++;
}

static uint8_t byte_at(uint64_t i) { return (uint8_t)(i * 7 + i / 251); }

/* A temporary file of FILE_LEN known bytes, already unlinked. */
static int make_file(void)
{
    char path[] = "/tmp/onair-disk-reads-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    static uint8_t data[FILE_LEN];
    for (uint64_t i = 0; i < FILE_LEN; i++)
        data[i] = byte_at(i);
    assert_int_equal(write(fd, data, FILE_LEN), FILE_LEN);
    return fd;
}

static void submit(struct disk_reads *reads, struct probe *p, int fd, uint64_t offset, size_t len)
{
    memset(p, 0, sizeof *p);
    p->read.fd = fd;
    p->read.offset = offset;
    p->read.buf = p->buf;
    p->read.len = len;
    p->read.done = on_done;
    disk_reads_submit(reads, &p->read);
}

static void assert_bytes(const struct probe *p, uint64_t offset, size_t len)
{
    assert_int_equal(p->read.result, (ssize_t)len);
    for (size_t i = 0; i < len; i++)
        if (p->buf[i] != byte_at(offset + i))
            fail_msg("byte %zu of the read at %llu differs", i, (unsigned long long)offset);
}

static void reads_come_back_on_the_loop_with_the_bytes(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char why[160];
    struct disk_reads *reads = disk_reads_start(&loop, why, sizeof why);
    assert_non_null(reads);
    int fd = make_file();
    static struct probe p[5];
    told_total = 0;
    submit(reads, &p[0], fd, 0, 65536);
    submit(reads, &p[1], fd, 131072, 65536);
    submit(reads, &p[2], fd, FILE_LEN - 1000, 65536); /* runs past the end: short */
    submit(reads, &p[3], fd, FILE_LEN + 5, 100);      /* after the end: 0 */
    submit(reads, &p[4], -1, 0, 100);                 /* a bad descriptor: an error */
    while (told_total < 5)
        uv_run(&loop, UV_RUN_ONCE);
    assert_bytes(&p[0], 0, 65536);
    assert_bytes(&p[1], 131072, 65536);
    assert_bytes(&p[2], FILE_LEN - 1000, 1000);
    assert_int_equal(p[3].read.result, 0);
    assert_int_equal(p[4].read.result, -EBADF);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(p[i].told, 1);
        assert_true(pthread_equal(p[i].told_on, pthread_self()));
    }
    disk_reads_stop(reads);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    close(fd);
}

static void a_stop_tells_every_read_once(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char why[160];
    struct disk_reads *reads = disk_reads_start(&loop, why, sizeof why);
    int fd = make_file();
    /* Enough reads that the thread is still at them when the stop comes (what it finished by
     * then is told as done, the rest as cancelled: the test holds either way). */
    enum { N = 256 };
    static struct probe p[N];
    told_total = 0;
    for (int i = 0; i < N; i++)
        submit(reads, &p[i], fd, (uint64_t)i * 500, 65536);
    /* No loop run: whatever the thread finished waits for the async, the rest is queued. */
    disk_reads_stop(reads);
    assert_int_equal(told_total, N);
    int cancelled = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(p[i].told, 1);
        if (p[i].read.result == -ECANCELED)
            cancelled++;
        else
            assert_bytes(&p[i], (uint64_t)i * 500, 65536);
    }
    print_message("# %d of %d reads were still queued at the stop\n", cancelled, N);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    close(fd);
}

static pthread_t worked_on;
static atomic_int work_started;

/* A call that takes 100 ms of the disk's time, well under the stop's wait. */
static void slow_work(struct disk_read *read)
{
    worked_on = pthread_self();
    atomic_store(&work_started, 1);
    usleep(100000);
    read->result = 42;
}

/* Work instead of a read runs on the thread and is told on the loop; one under way when the
 * stop comes, and returning within its wait, is told with its result, not lost. */
static void work_under_way_at_the_stop_is_told(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char why[160];
    struct disk_reads *reads = disk_reads_start(&loop, why, sizeof why);
    static struct probe p[2];
    told_total = 0;
    memset(p, 0, sizeof p);
    for (int i = 0; i < 2; i++) {
        p[i].read.work = slow_work;
        p[i].read.done = on_done;
        disk_reads_submit(reads, &p[i].read);
    }
    while (!atomic_load(&work_started))
        usleep(1000);
    disk_reads_stop(reads); /* the first is under way, the second queued */
    assert_int_equal(told_total, 2);
    assert_int_equal(p[0].read.result, 42);
    assert_int_equal(p[1].read.result, -ECANCELED);
    assert_false(pthread_equal(worked_on, pthread_self()));
    assert_true(pthread_equal(p[0].told_on, pthread_self()));
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_come_back_on_the_loop_with_the_bytes),
        cmocka_unit_test(a_stop_tells_every_read_once),
        cmocka_unit_test(work_under_way_at_the_stop_is_told),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
