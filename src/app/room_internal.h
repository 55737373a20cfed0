/* room_internal: the room's state, shared by room.c (chat and presence) and room_files.c (file
 * relay). Nothing outside those two files includes this. */
#ifndef ONAIR_APP_ROOM_INTERNAL_H
#define ONAIR_APP_ROOM_INTERNAL_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/room.h"
#include "base/hmap.h"
#include "base/token_bucket.h"

struct file_transfer;

struct room_member {
    struct room *room;
    struct session *session;
    char name[4 * ROOM_MAX_NAME + 1]; /* UTF-8: up to 4 bytes a character */
    struct token_bucket messages;     /* chat rate limit: ROOM_RATE a second, as many at once */
    bool announced;        /* the others were told it joined (presence is sent in batches) */
    bool publisher;        /* names are anyone's to take; this mark is the server's */
    unsigned number;       /* unique in the room: tells a page its own messages from a namesake's */
    uint64_t joined_ms;
    uint64_t paused_ms;    /* when its receiving was paused for a slow file receiver, or 0 */
    struct room_member *next;
};

struct room {
    struct rooms *rooms;
    char stream[64];
    struct room_member *members;
    unsigned next_viewer, next_member, next_id;
    json_t *history[ROOM_HISTORY]; /* a ring of the last chat messages */
    size_t history_start, history_len;
    /* Presence not yet sent: names that left, and [old, new] pairs of members who renamed
     * themselves after their join was announced (joins are members with announced false). */
    json_t *left, *renamed;
    int viewers_sent; /* the viewer count last pushed, or -1 */
    struct file_transfer *transfers;
    struct room *next_room; /* every room, for the tick */
};

struct rooms {
    struct server *srv;
    struct hmap by_stream;
    struct room *all;
    bool chat_on;        /* the default */
    struct hmap flipped; /* streams set against the default (values unused) */
    uint64_t next_presence_ms;
    struct room_counters counters;
};

/* Sends MSG (not consumed) on the member's chat channel / file channel. */
void room_send_chat_json(struct room_member *to, json_t *msg);
void room_send_file_json(struct room_member *to, json_t *msg);

#endif
