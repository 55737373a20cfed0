/* recorder: the server records streams to Matroska files, without re-encoding (`onair serve
 * --record-dir DIR [--record NAME]...`, POST/DELETE /api/streams/NAME/recording, GET
 * /api/recordings). The loop thread only copies each packet of a recorded stream into a bounded
 * queue; a writer thread per recording depacketizes and muxes, so a slow disk costs the
 * recording packets (counted and logged), never a viewer one. */
#ifndef ONAIR_APP_RECORDER_H
#define ONAIR_APP_RECORDER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfu/sfu.h"

#define RECORDER_MAX_NAMES 16

struct recording_info;

struct recorder_config {
    const char *dir;                         /* NULL: recording is off */
    const char *names[RECORDER_MAX_NAMES];   /* streams recorded whenever they are live */
    size_t n_names;                          /* 0 with a dir: every stream */
    /* Hears each file once it is finished, on the loop thread (the server's webhooks); a
     * recording that ended before its first keyframe made no file and is not heard of. */
    void (*on_finished)(void *opaque, const struct recording_info *info, bool failed);
    void *on_finished_opaque;
};

struct recorders;

/* Makes the recorders and installs them as SFU's tap. Returns NULL with *why when DIR is not a
 * writable directory. */
struct recorders *recorders_new(const struct recorder_config *config, struct sfu *sfu,
                                const char **why);
/* Finishes every recording (trailers written) and frees. A writer still busy after 5 s has its
 * queue given up, and one still stuck in the disk 2 s later is left to the process's exit (the
 * file is live-safe). NULL is a no-op. */
void recorders_free(struct recorders *r);
/* Reaps recordings whose writers finished their files; call from the loop's tick. Stopping a
 * recording never waits for the disk. */
void recorders_tick(struct recorders *r);

/* Starts recording NAME's current publisher. Returns 0 and the file's name in FILE, or an HTTP
 * status (409 recording off or already recording, 404 no publisher) with *why. */
int recorders_start(struct recorders *r, const char *name, char *file, size_t cap,
                    const char **why);
/* Stops NAME's recording (the file is finished). Returns 0, or 404 when none. */
int recorders_stop(struct recorders *r, const char *name);

/* Finds recording FILE, a name GET /api/recordings lists (no '/', ends in .mkv): its stream
 * into STREAM[0..CAP) and whether it is being written, from the name and the recordings under
 * way, without the disk (whether a finished one exists is for recording_open and
 * recording_delete to find). Returns 0, or 404: recording off, or not a recording's name. */
int recorders_find_file(struct recorders *r, const char *file, char *stream, size_t cap,
                        bool *active);
/* --record-dir, NULL when recording is off: for the calls below. */
const char *recorders_dir(const struct recorders *r);

/* One recording, for GET /api/recordings: the files in the directory, active ones first. */
struct recording_info {
    char file[256];
    char stream[64];
    uint64_t bytes;
    int64_t started_unix_ms;
    bool active;
    uint64_t dropped_packets;
};
struct recording_list {
    struct recording_info *items;
    size_t n, cap;
};
/* On the loop thread: the recordings being written, into LIST (their sizes not read yet). */
void recorders_list_active(struct recorders *r, struct recording_list *list);
void recording_list_free(struct recording_list *list);

/* The calls that touch the disk, made on a thread that may wait for it (app/http.h's
 * http_response_after_disk), never on the loop: they read nothing but DIR and their
 * arguments. */
/* Opens FILE in DIR for reading: its descriptor and size now. 0, or 404 (no such file) with
 * *FD -1. */
int recording_open(const char *dir, const char *file, int *fd, uint64_t *size);
/* Deletes FILE from DIR (found first, and not being written). 0, or 404. */
int recording_delete(const char *dir, const char *file);
/* Reads the sizes of LIST's recordings (those of recorders_list_active), then adds the other
 * recording files in DIR. */
void recording_list_scan(const char *dir, struct recording_list *list);

struct recorder_counters {
    size_t active;
    uint64_t dropped_packets, bytes_written, files;
};
void recorders_counters(struct recorders *r, struct recorder_counters *out);

#endif
