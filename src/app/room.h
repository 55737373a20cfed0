/* room: what a stream's participants say to each other over data channels: chat messages on the
 * "chat" channel stamped by the server (sender's name and member number, id, time, and whether
 * the publisher sent it), the last 50 replayed to late joiners, presence (who joined and left,
 * the viewer count) in batches at most four times a second, and files on the "file" channel
 * (room_files.h). */
#ifndef ONAIR_APP_ROOM_H
#define ONAIR_APP_ROOM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct session;
struct rooms;
struct room_member;

#define ROOM_HISTORY 50
#define ROOM_MAX_TEXT 1000
#define ROOM_MAX_NAME 32
/* Chat messages a participant may send per second (a burst of as many is allowed). */
#define ROOM_RATE 5

/* CHAT_ON is the default for every stream (off with `onair serve --no-chat`). */
struct rooms *rooms_new(struct server *srv, bool chat_on);
/* Turns chat on or off for STREAM (PUT /api/streams/NAME/chat); its members are told. When off,
 * members still join (the viewer count and join/leave events go on) but chat messages are
 * refused with a reason. */
void rooms_set_chat(struct rooms *rooms, const char *stream, bool on);
bool rooms_chat_on(const struct rooms *rooms, const char *stream);
void rooms_free(struct rooms *rooms);

/* SESSION's chat or file channel opened: it joins its stream's room and gets a welcome and the
 * history; everyone hears of it in the next presence message. */
struct room_member *room_join(struct rooms *rooms, const char *stream, struct session *session,
                              bool publisher);
/* The member's session ended: the next presence message says so, and its files are
 * cancelled. NULL is a no-op. */
void room_leave(struct room_member *member);
/* A message from the member's chat channel (JSON text). */
void room_message(struct room_member *member, uint64_t now_ms, const uint8_t *data, size_t len);

/* What the rooms did, for /metrics. */
struct room_counters {
    uint64_t chat_messages;
    uint64_t files_offered, files_completed, files_cancelled;
    uint64_t file_bytes_in;          /* chunk bytes taken from senders */
    uint64_t file_sender_pauses;     /* times a sender was held for a slow receiver */
    uint64_t file_receivers_dropped; /* receivers dropped from a file (too slow, closed) */
    uint64_t file_queue_peak;        /* the most ever queued for one receiver's file channel */
};
void rooms_counters(const struct rooms *rooms, struct room_counters *out);

/* Presence batches and file backpressure; call every few tens of ms. */
void rooms_tick(struct rooms *rooms, uint64_t now_ms);

#endif
