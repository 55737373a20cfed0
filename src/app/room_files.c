/* room_files: the file relay of a stream's room. The server is a switch, not a store: chunks go
 * out as they come in and nothing of a file is kept after its last chunk is queued. */
#include "app/room_files.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/room_internal.h"
#include "app/server.h"
#include "app/session.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"

struct file_transfer {
    struct room *room;
    struct room_member *sender;
    char id[ROOM_FILE_ID_MAX + 1];
    uint64_t size, received;
    struct room_member **receivers; /* NULL entries were dropped */
    size_t n_receivers;
    struct file_transfer *next;
};

static uint64_t max_size(const struct room *room)
{
    uint64_t max = room->rooms->srv->config.max_file_size;
    return max ? max : ROOM_FILE_DEFAULT_MAX_SIZE;
}

static void send_cancel(struct room_member *to, const char *id, const char *reason)
{
    json_t *msg = json_pack("{s:s, s:s, s:s}", "type", "file-cancel", "id", id, "reason", reason);
    room_send_file_json(to, msg);
    json_decref(msg);
}

static struct room_counters *counters(struct room *room)
{
    return &room->rooms->counters;
}

static struct file_transfer *find(struct room *room, const char *id, size_t id_len)
{
    for (struct file_transfer *t = room->transfers; t; t = t->next)
        if (strlen(t->id) == id_len && memcmp(t->id, id, id_len) == 0)
            return t;
    return NULL;
}

static size_t live_receivers(const struct file_transfer *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_receivers; i++)
        n += t->receivers[i] != NULL;
    return n;
}

static void transfer_free(struct file_transfer *t)
{
    for (struct file_transfer **p = &t->room->transfers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    free(t->receivers);
    free(t);
}

/* The sender stays paused only while one of its files has a receiver over the high water. */
static bool sender_blocked(const struct room *room, const struct room_member *sender,
                           size_t threshold)
{
    for (const struct file_transfer *t = room->transfers; t; t = t->next) {
        if (t->sender != sender)
            continue;
        for (size_t i = 0; i < t->n_receivers; i++)
            if (t->receivers[i] && session_file_buffered(t->receivers[i]->session) > threshold)
                return true;
    }
    return false;
}

static void resume(struct room_member *sender)
{
    if (!sender->paused_ms)
        return;
    sender->paused_ms = 0;
    session_pause_receive(sender->session, false);
}

/* Ends T for everyone: RECEIVER_REASON to the receivers, SENDER_REASON (when not NULL) to the
 * sender. */
static void cancel(struct file_transfer *t, const char *receiver_reason, const char *sender_reason)
{
    for (size_t i = 0; i < t->n_receivers; i++)
        if (t->receivers[i])
            send_cancel(t->receivers[i], t->id, receiver_reason);
    if (sender_reason)
        send_cancel(t->sender, t->id, sender_reason);
    log_info("room %s: file %s from %s cancelled: %s", t->room->stream, t->id, t->sender->name,
             sender_reason ? sender_reason : receiver_reason);
    struct room_member *sender = t->sender;
    struct room *room = t->room;
    counters(room)->files_cancelled++;
    transfer_free(t);
    if (!sender_blocked(room, sender, ROOM_FILE_LOW_WATER))
        resume(sender);
}

static void drop_receiver(struct file_transfer *t, size_t i, const char *reason)
{
    struct room_member *r = t->receivers[i];
    t->receivers[i] = NULL;
    counters(t->room)->file_receivers_dropped++;
    send_cancel(r, t->id, reason);
    json_t *msg = json_pack("{s:s, s:s, s:s, s:s}", "type", "file-skipped", "id", t->id, "name",
                            r->name, "reason", reason);
    room_send_file_json(t->sender, msg);
    json_decref(msg);
    log_info("room %s: file %s from %s not delivered to %s: %s", t->room->stream, t->id,
             t->sender->name, r->name, reason);
}

static bool valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > ROOM_FILE_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > ROOM_FILE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    return true;
}

static bool valid_sha256(const char *hex)
{
    if (strlen(hex) != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return false;
    return true;
}

static size_t active_sends(const struct room *room, const struct room_member *m)
{
    size_t n = 0;
    for (const struct file_transfer *t = room->transfers; t; t = t->next)
        n += t->sender == m;
    return n;
}

/* Sizes for people: "100 MiB", or bytes when not a whole number of MiB. */
static void format_size(char *out, size_t cap, uint64_t bytes)
{
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
        snprintf(out, cap, "%llu MiB", (unsigned long long)(bytes / (1024 * 1024)));
    else
        snprintf(out, cap, "%llu bytes", (unsigned long long)bytes);
}

/* Why the offer cannot be accepted, or NULL. REASON_BUF holds reasons that need numbers. */
static const char *refusal(struct room_member *m, json_t *msg, char *reason_buf, size_t cap)
{
    struct room *room = m->room;
    const char *id = json_string_value(json_object_get(msg, "id"));
    const char *name = json_string_value(json_object_get(msg, "name"));
    const char *sha = json_string_value(json_object_get(msg, "sha256"));
    json_t *size = json_object_get(msg, "size");
    if (!rooms_chat_on(room->rooms, room->stream))
        return "files are off for this stream";
    if (!name || !valid_name(name))
        return "a file name is 1 to 255 bytes with no control characters";
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return "the size must be a whole number of bytes";
    if (!sha || !valid_sha256(sha))
        return "sha256 must be 64 lowercase hexadecimal digits";
    if ((uint64_t)json_integer_value(size) > max_size(room)) {
        char limit[32];
        format_size(limit, sizeof limit, max_size(room));
        snprintf(reason_buf, cap, "files are at most %s here", limit);
        return reason_buf;
    }
    if (find(room, id, strlen(id)))
        return "a file with this id is already being sent";
    if (active_sends(room, m) >= ROOM_FILE_MAX_ACTIVE)
        return "at most 3 files at a time: wait for one to finish";
    return NULL;
}

static void offer(struct room_member *m, json_t *msg)
{
    struct room *room = m->room;
    const char *id = json_string_value(json_object_get(msg, "id"));
    if (!id || !valid_id(id)) {
        /* No id to answer under: say it on the chat channel's error line. */
        json_t *err = json_pack("{s:s, s:s}", "type", "error", "reason",
                                "a file id is 1 to 64 letters, digits, '-' or '_'");
        room_send_file_json(m, err);
        json_decref(err);
        return;
    }
    char reason_buf[96];
    const char *why = refusal(m, msg, reason_buf, sizeof reason_buf);
    if (why) {
        send_cancel(m, id, why);
        return;
    }
    struct file_transfer *t = xcalloc(1, sizeof *t);
    t->room = room;
    t->sender = m;
    snprintf(t->id, sizeof t->id, "%s", id);
    t->size = (uint64_t)json_integer_value(json_object_get(msg, "size"));
    size_t cap = 0;
    for (struct room_member *r = room->members; r; r = r->next)
        cap++;
    t->receivers = xcalloc(cap ? cap : 1, sizeof *t->receivers);
    json_t *out =
        json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:b}", "type", "file-offer", "id", id,
                  "name", json_string_value(json_object_get(msg, "name")), "size",
                  (json_int_t)t->size, "sha256", json_string_value(json_object_get(msg, "sha256")),
                  "from", m->name, "time", (json_int_t)clock_wall_ms(), "publisher", m->publisher);
    for (struct room_member *r = room->members; r; r = r->next) {
        if (r == m || !session_has_file_channel(r->session))
            continue;
        t->receivers[t->n_receivers++] = r;
        room_send_file_json(r, out);
    }
    json_decref(out);
    t->next = room->transfers;
    room->transfers = t;
    counters(room)->files_offered++;
    json_t *ack = json_pack("{s:s, s:s, s:i}", "type", "file-accepted", "id", id, "receivers",
                            (int)t->n_receivers);
    room_send_file_json(m, ack);
    json_decref(ack);
    log_info("room %s: %s sends file %s (%llu bytes) to %zu", room->stream, m->name, id,
             (unsigned long long)t->size, t->n_receivers);
}

static void end(struct room_member *m, const char *id)
{
    struct file_transfer *t = id ? find(m->room, id, strlen(id)) : NULL;
    if (!t || t->sender != m)
        return; /* already cancelled, or never accepted: the sender was told then */
    if (t->received != t->size) {
        char reason[128];
        snprintf(reason, sizeof reason, "the sender ended the file at %llu of %llu bytes",
                 (unsigned long long)t->received, (unsigned long long)t->size);
        cancel(t, reason, reason);
        return;
    }
    json_t *msg = json_pack("{s:s, s:s}", "type", "file-end", "id", t->id);
    for (size_t i = 0; i < t->n_receivers; i++)
        if (t->receivers[i])
            room_send_file_json(t->receivers[i], msg);
    json_decref(msg);
    json_t *done = json_pack("{s:s, s:s, s:i}", "type", "file-sent", "id", t->id, "receivers",
                             (int)live_receivers(t));
    room_send_file_json(m, done);
    json_decref(done);
    log_info("room %s: file %s from %s sent to %zu", m->room->stream, t->id, m->name,
             live_receivers(t));
    counters(m->room)->files_completed++;
    transfer_free(t);
    /* The sender may still be paused for this file's slow receivers; the tick resumes it once
     * the others have no such receiver left. */
}

/* A file-cancel from the sender ends the transfer; from a receiver it declines the file. */
static void cancel_request(struct room_member *m, const char *id)
{
    struct file_transfer *t = id ? find(m->room, id, strlen(id)) : NULL;
    if (!t)
        return;
    if (t->sender == m) {
        cancel(t, "the sender cancelled", NULL);
        return;
    }
    for (size_t i = 0; i < t->n_receivers; i++)
        if (t->receivers[i] == m)
            drop_receiver(t, i, "declined");
}

static void chunk(struct room_member *m, uint64_t now_ms, const uint8_t *data, size_t len)
{
    size_t id_len = len ? data[0] : 0;
    if (id_len == 0 || id_len > ROOM_FILE_ID_MAX || len < 1 + id_len)
        return;
    struct file_transfer *t = find(m->room, (const char *)data + 1, id_len);
    if (!t || t->sender != m)
        return; /* a chunk of a refused or cancelled file, already answered */
    size_t payload = len - 1 - id_len;
    if (t->received + payload > t->size) {
        cancel(t, "the sender sent more than it offered",
               "more bytes than the offer's size: cancelled");
        return;
    }
    t->received += payload;
    counters(m->room)->file_bytes_in += payload;
    bool over = false;
    for (size_t i = 0; i < t->n_receivers; i++) {
        struct room_member *r = t->receivers[i];
        if (!r)
            continue;
        if (session_send_file(r->session, data, len) < 0) {
            drop_receiver(t, i, "the receiver's file channel closed");
            continue;
        }
        size_t queued = session_file_buffered(r->session);
        if (queued > counters(m->room)->file_queue_peak)
            counters(m->room)->file_queue_peak = queued;
        over = over || queued > ROOM_FILE_HIGH_WATER;
    }
    if (over && !m->paused_ms) {
        counters(m->room)->file_sender_pauses++;
        m->paused_ms = now_ms ? now_ms : 1;
        session_pause_receive(m->session, true);
    }
}

void room_file_message(struct room_member *m, uint64_t now_ms, bool binary, const uint8_t *data,
                       size_t len)
{
    if (binary) {
        chunk(m, now_ms, data, len);
        return;
    }
    json_error_t err;
    json_t *msg = json_loadb((const char *)data, len, 0, &err);
    const char *type = msg ? json_string_value(json_object_get(msg, "type")) : NULL;
    const char *id = msg ? json_string_value(json_object_get(msg, "id")) : NULL;
    if (type && strcmp(type, "file-offer") == 0) {
        offer(m, msg);
    } else if (type && strcmp(type, "file-end") == 0) {
        end(m, id);
    } else if (type && strcmp(type, "file-cancel") == 0) {
        cancel_request(m, id);
    } else {
        json_t *reply = json_pack(
            "{s:s, s:s}", "type", "error", "reason",
            "unknown file message: expected file-offer, file-end or file-cancel");
        room_send_file_json(m, reply);
        json_decref(reply);
    }
    json_decref(msg);
}

void room_files_member_left(struct room_member *m)
{
    struct room *room = m->room;
    struct file_transfer *t = room->transfers;
    while (t) {
        struct file_transfer *next = t->next;
        if (t->sender == m) {
            for (size_t i = 0; i < t->n_receivers; i++)
                if (t->receivers[i])
                    send_cancel(t->receivers[i], t->id, "the sender left");
            counters(room)->files_cancelled++;
            transfer_free(t);
        } else {
            for (size_t i = 0; i < t->n_receivers; i++)
                if (t->receivers[i] == m)
                    t->receivers[i] = NULL;
        }
        t = next;
    }
    /* A sender paused for this receiver may go on. */
    for (struct room_member *s = room->members; s; s = s->next)
        if (s->paused_ms && !sender_blocked(room, s, ROOM_FILE_LOW_WATER))
            resume(s);
}

void room_files_tick(struct room *room, uint64_t now_ms)
{
    for (struct room_member *s = room->members; s; s = s->next) {
        if (!s->paused_ms)
            continue;
        if (!sender_blocked(room, s, ROOM_FILE_LOW_WATER)) {
            resume(s);
            continue;
        }
        if (now_ms - s->paused_ms < ROOM_FILE_STALL_MS)
            continue;
        for (struct file_transfer *t = room->transfers; t; t = t->next) {
            if (t->sender != s)
                continue;
            for (size_t i = 0; i < t->n_receivers; i++)
                if (t->receivers[i] &&
                    session_file_buffered(t->receivers[i]->session) > ROOM_FILE_LOW_WATER)
                    drop_receiver(t, i, "the connection is too slow for this file");
        }
        resume(s);
    }
}

void room_files_free(struct room *room)
{
    while (room->transfers)
        transfer_free(room->transfers);
}
