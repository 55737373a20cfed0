/* Tests for the disk's side of app/recorder (what the recordings routes run on the disk
 * thread): a listing has the recordings under way first, with their sizes, then the other .mkv
 * files of the directory, named and timed from their names; an open and a deletion find a
 * recording, and say 404 for a name that is none. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "app/recorder.h"

static char dir[64];

static void put(const char *name, size_t bytes)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static const char zeros[4096];
    assert_int_equal(write(fd, zeros, bytes), (ssize_t)bytes);
    close(fd);
}

static int make_dir(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/onair-recording-files-XXXXXX");
    assert_non_null(mkdtemp(dir));
    put("cam-20260101T000000Z.mkv", 100);
    put("live-20260102T030405Z.mkv", 50); /* being written */
    put("notes.txt", 10);
    put("other.mkv", 20); /* no stamp: no stream, no time */
    char sub[128];
    snprintf(sub, sizeof sub, "%s/folder.mkv", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    return 0;
}

static int remove_dir(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static const struct recording_info *find(const struct recording_list *list, const char *file)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->items[i].file, file) == 0)
            return &list->items[i];
    return NULL;
}

/* A list of the one recording under way, as recorders_list_active gives it. */
static struct recording_list live_only(void)
{
    struct recording_info live = {.active = true, .started_unix_ms = 1, .dropped_packets = 3};
    snprintf(live.file, sizeof live.file, "live-20260102T030405Z.mkv");
    snprintf(live.stream, sizeof live.stream, "live");
    struct recording_list list = {.items = malloc(sizeof live), .n = 1, .cap = 1};
    assert_non_null(list.items);
    list.items[0] = live;
    return list;
}

static void a_listing_has_the_active_first_then_the_files(void **state)
{
    struct recording_list list = live_only();
    recording_list_scan(dir, &list);
    assert_int_equal(list.n, 3); /* live, cam, other: not the .txt, not the folder */
    assert_string_equal(list.items[0].file, "live-20260102T030405Z.mkv");
    assert_true(list.items[0].active);
    assert_int_equal(list.items[0].bytes, 50);
    assert_int_equal(list.items[0].dropped_packets, 3);
    const struct recording_info *cam = find(&list, "cam-20260101T000000Z.mkv");
    assert_non_null(cam);
    assert_false(cam->active);
    assert_string_equal(cam->stream, "cam");
    assert_int_equal(cam->bytes, 100);
    assert_int_equal(cam->started_unix_ms, 1767225600000);
    const struct recording_info *other = find(&list, "other.mkv");
    assert_non_null(other);
    assert_string_equal(other->stream, "");
    assert_int_equal(other->started_unix_ms, -1);
    recording_list_free(&list);
    assert_null(list.items);
}

static void a_listing_of_a_missing_directory_has_the_active_only(void **state)
{
    struct recording_list list = live_only();
    recording_list_scan("/tmp/onair-no-such-dir-for-sure", &list);
    assert_int_equal(list.n, 1);
    assert_int_equal(list.items[0].bytes, 0); /* no size to read */
    recording_list_free(&list);
}

static void open_finds_a_file_and_nothing_else(void **state)
{
    int fd = 7;
    uint64_t size = 0;
    assert_int_equal(recording_open(dir, "cam-20260101T000000Z.mkv", &fd, &size), 0);
    assert_true(fd >= 0);
    assert_int_equal(size, 100);
    close(fd);
    assert_int_equal(recording_open(dir, "gone-20260101T000000Z.mkv", &fd, &size), 404);
    assert_int_equal(fd, -1);
    assert_int_equal(recording_open(dir, "folder.mkv", &fd, &size), 404);
    assert_int_equal(fd, -1); /* not a closed descriptor's number left for a second close */
}

static void delete_removes_a_file_once(void **state)
{
    put("old-20250101T000000Z.mkv", 5);
    assert_int_equal(recording_delete(dir, "old-20250101T000000Z.mkv"), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/old-20250101T000000Z.mkv", dir);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(recording_delete(dir, "old-20250101T000000Z.mkv"), 404);
    assert_int_equal(recording_delete(dir, "folder.mkv"), 404);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_listing_has_the_active_first_then_the_files),
        cmocka_unit_test(a_listing_of_a_missing_directory_has_the_active_only),
        cmocka_unit_test(open_finds_a_file_and_nothing_else),
        cmocka_unit_test(delete_removes_a_file_once),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
