/* room_files: files sent among a stream's participants over the data channel labelled "file".
 *
 * The wire protocol, all on the "file" channel (ordered, reliable):
 *   sender -> server  {"type":"file-offer","id","name","size","sha256"}  (string)
 *                     binary chunks: one byte L (1..64), the L bytes of the id, then file bytes
 *                     {"type":"file-end","id"} after the last chunk
 *                     {"type":"file-cancel","id"} to give up
 *   server -> others  the offer with "from" (the sender's name), "time" and "publisher" (true
 *                     when the stream's publisher sent it) added, the chunks as they came, then
 *                     {"type":"file-end","id"}; or {"type":"file-cancel","id","reason"} when the
 *                     sender gives up or leaves, or when this receiver is too slow
 *   server -> sender  {"type":"file-accepted","id","receivers"}, {"type":"file-sent","id",
 *                     "receivers"}, {"type":"file-skipped","id","name","reason"} when one
 *                     receiver was dropped, {"type":"file-cancel","id","reason"} when refused
 *   receiver -> server {"type":"file-cancel","id"} to decline a file
 * The server checks sizes and ids, not content: the receivers check the SHA-256 themselves.
 *
 * Backpressure: a receiver whose queue passes ROOM_FILE_HIGH_WATER pauses the sender's whole
 * association (sctp_pause_receive), so the sender's browser slows down instead of the server
 * buffering; when every receiver is back under ROOM_FILE_LOW_WATER the sender resumes. A receiver
 * still over it after ROOM_FILE_STALL_MS is dropped from the transfer with a reason. */
#ifndef ONAIR_APP_ROOM_FILES_H
#define ONAIR_APP_ROOM_FILES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct room;
struct room_member;

#define ROOM_FILE_DEFAULT_MAX_SIZE (100ull * 1024 * 1024)
#define ROOM_FILE_MAX_ACTIVE 3 /* files one participant sends at a time */
#define ROOM_FILE_ID_MAX 64
#define ROOM_FILE_NAME_MAX 255 /* bytes, as file systems count */
#define ROOM_FILE_HIGH_WATER (1024 * 1024)
#define ROOM_FILE_LOW_WATER (256 * 1024)
#define ROOM_FILE_STALL_MS 10000

/* A message from the member's file channel. */
void room_file_message(struct room_member *m, uint64_t now_ms, bool binary, const uint8_t *data,
                       size_t len);
/* The member leaves: files it sends are cancelled for their receivers, and it stops receiving
 * the others'. */
void room_files_member_left(struct room_member *m);
/* Resumes senders whose receivers caught up; drops receivers stalled too long. */
void room_files_tick(struct room *room, uint64_t now_ms);
/* Frees every transfer (the room is going away; no one is told). */
void room_files_free(struct room *room);

#endif
