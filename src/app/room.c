/* room: chat relay and presence per stream. The server, not the clients, names senders and
 * orders messages, so every participant sees the same conversation. */
#include "app/room.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/room_files.h"
#include "app/room_internal.h"
#include "app/server.h"
#include "app/session.h"
#include "base/clock.h"
#include "base/hmap.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "sfu/sfu.h"

/* Presence goes out at most this often: when a crowd joins at once, each participant gets one
 * message per interval, not one per arrival. */
#define PRESENCE_INTERVAL_MS 250
/* A page says its name (hello) right after its channel opens; a join waits this long so that it
 * is announced under that name rather than the server's viewer-N. */
#define PRESENCE_HELLO_GRACE_MS 100

struct rooms *rooms_new(struct server *srv, bool chat_on)
{
    struct rooms *rooms = xcalloc(1, sizeof *rooms);
    rooms->srv = srv;
    rooms->chat_on = chat_on;
    hmap_init(&rooms->by_stream);
    hmap_init(&rooms->flipped);
    return rooms;
}

bool rooms_chat_on(const struct rooms *rooms, const char *stream)
{
    bool flipped = hmap_get(&rooms->flipped, stream, strlen(stream)) != NULL;
    return rooms->chat_on != flipped;
}

static void room_free(struct room *room)
{
    room_files_free(room);
    json_decref(room->left);
    json_decref(room->renamed);
    for (size_t i = 0; i < room->history_len; i++)
        json_decref(room->history[(room->history_start + i) % ROOM_HISTORY]);
    free(room);
}

void rooms_free(struct rooms *rooms)
{
    if (!rooms)
        return;
    /* Members belong to sessions, which leave before the server frees its rooms. */
    hmap_free(&rooms->by_stream);
    hmap_free(&rooms->flipped);
    free(rooms);
}

static size_t viewer_count(const struct room *room)
{
    struct sfu_stream_info info;
    return sfu_stream_info(room->rooms->srv->sfu, room->stream, &info) == 0 ? info.viewers : 0;
}

void room_send_chat_json(struct room_member *to, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    session_send_chat(to->session, text, strlen(text));
    free(text);
}

void room_send_file_json(struct room_member *to, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    session_send_file_text(to->session, text, strlen(text));
    free(text);
}

static void send_json(struct room_member *to, json_t *msg)
{
    room_send_chat_json(to, msg);
}

/* Sends MSG (consumed) to every member. */
static void broadcast(struct room *room, json_t *msg)
{
    for (struct room_member *m = room->members; m; m = m->next)
        send_json(m, msg);
    json_decref(msg);
}

static void send_error(struct room_member *to, const char *reason)
{
    json_t *msg = json_pack("{s:s, s:s}", "type", "error", "reason", reason);
    send_json(to, msg);
    json_decref(msg);
}

struct room_member *room_join(struct rooms *rooms, const char *stream, struct session *session,
                              bool publisher)
{
    struct room *room = hmap_get(&rooms->by_stream, stream, strlen(stream));
    if (!room) {
        room = xcalloc(1, sizeof *room);
        room->rooms = rooms;
        room->left = json_array();
        room->renamed = json_array();
        room->viewers_sent = -1;
        snprintf(room->stream, sizeof room->stream, "%s", stream);
        hmap_put(&rooms->by_stream, room->stream, strlen(room->stream), room);
        room->next_room = rooms->all;
        rooms->all = room;
    }
    struct room_member *member = xcalloc(1, sizeof *member);
    member->room = room;
    member->session = session;
    member->joined_ms = clock_now_ms();
    member->messages = token_bucket_full(ROOM_RATE, member->joined_ms * 1000);
    member->publisher = publisher;
    member->number = ++room->next_member;
    if (publisher)
        snprintf(member->name, sizeof member->name, "publisher");
    else
        snprintf(member->name, sizeof member->name, "viewer-%u", ++room->next_viewer);
    /* The others hear of it with the next presence batch, by then under the name its hello
     * gave. */
    member->next = room->members;
    room->members = member;
    json_t *welcome = json_pack("{s:s, s:s, s:i, s:i, s:b}", "type", "welcome", "you", member->name,
                                "member", (int)member->number, "viewers", (int)viewer_count(room),
                                "chat", rooms_chat_on(rooms, stream));
    send_json(member, welcome);
    json_decref(welcome);
    for (size_t i = 0; i < room->history_len; i++) {
        json_t *old = json_deep_copy(room->history[(room->history_start + i) % ROOM_HISTORY]);
        json_object_set_new(old, "history", json_true());
        send_json(member, old);
        json_decref(old);
    }
    return member;
}

void room_leave(struct room_member *member)
{
    if (!member)
        return;
    struct room *room = member->room;
    for (struct room_member **p = &room->members; *p; p = &(*p)->next) {
        if (*p == member) {
            *p = member->next;
            break;
        }
    }
    room_files_member_left(member);
    if (member->announced)
        json_array_append_new(room->left, json_string(member->name));
    free(member);
    if (!room->members) {
        hmap_del(&room->rooms->by_stream, room->stream, strlen(room->stream));
        for (struct room **p = &room->rooms->all; *p; p = &(*p)->next_room) {
            if (*p == room) {
                *p = room->next_room;
                break;
            }
        }
        room_free(room);
    }
}

/* One message with who joined and left since the last, and the viewer count, to everyone; none
 * when nothing changed. */
static void send_presence(struct room *room, uint64_t now_ms)
{
    /* Names, and beside them member numbers: names are anyone's, so a page tells its own arrival
     * from a namesake's by its number. */
    json_t *joined = json_array(), *joined_members = json_array();
    for (struct room_member *m = room->members; m; m = m->next) {
        if (!m->announced && now_ms - m->joined_ms >= PRESENCE_HELLO_GRACE_MS) {
            m->announced = true;
            json_array_insert_new(joined, 0, json_string(m->name)); /* oldest first */
            json_array_insert_new(joined_members, 0, json_integer(m->number));
        }
    }
    int viewers = (int)viewer_count(room);
    if (json_array_size(joined) == 0 && json_array_size(room->left) == 0 &&
        json_array_size(room->renamed) == 0 && viewers == room->viewers_sent) {
        json_decref(joined);
        json_decref(joined_members);
        return;
    }
    room->viewers_sent = viewers;
    broadcast(room, json_pack("{s:s, s:o, s:o, s:O, s:O, s:i}", "type", "presence", "joined",
                              joined, "joined_members", joined_members, "left", room->left,
                              "renamed", room->renamed, "viewers", viewers));
    json_array_clear(room->left);
    json_array_clear(room->renamed);
}

void rooms_counters(const struct rooms *rooms, struct room_counters *out)
{
    *out = rooms->counters;
}

void rooms_tick(struct rooms *rooms, uint64_t now_ms)
{
    bool presence = now_ms >= rooms->next_presence_ms;
    if (presence)
        rooms->next_presence_ms = now_ms + PRESENCE_INTERVAL_MS;
    for (struct room *room = rooms->all; room; room = room->next_room) {
        room_files_tick(room, now_ms);
        if (presence)
            send_presence(room, now_ms);
    }
}

/* Characters, not bytes: limits are stated to people, who count letters. Counts UTF-8 lead
 * bytes; jansson has already refused invalid UTF-8. */
static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void remember(struct room *room, json_t *msg)
{
    if (room->history_len == ROOM_HISTORY) {
        json_decref(room->history[room->history_start]);
        room->history_start = (room->history_start + 1) % ROOM_HISTORY;
        room->history_len--;
    }
    json_incref(msg);
    room->history[(room->history_start + room->history_len++) % ROOM_HISTORY] = msg;
}

static void chat(struct room_member *m, uint64_t now_ms, const char *text)
{
    if (utf8_length(text) > ROOM_MAX_TEXT) {
        send_error(m, "chat messages are at most 1000 characters");
        return;
    }
    if (!token_bucket_take(&m->messages, ROOM_RATE, ROOM_RATE, now_ms * 1000)) {
        send_error(m, "too many messages: at most 5 a second");
        return;
    }
    struct room *room = m->room;
    /* Names are anyone's: "publisher" tells the broadcaster's messages from a viewer's who took
     * the same name, and "member" (the number its welcome gave) a page's own from a namesake's. */
    json_t *msg = json_pack("{s:s, s:i, s:s, s:i, s:s, s:I, s:b}", "type", "chat", "id",
                            (int)++room->next_id, "from", m->name, "member", (int)m->number, "text",
                            text, "time", (json_int_t)clock_wall_ms(), "publisher", m->publisher);
    remember(room, msg);
    broadcast(room, msg);
    room->rooms->counters.chat_messages++;
}

static void hello(struct room_member *m, const char *name)
{
    size_t n = utf8_length(name);
    if (n == 0 || n > ROOM_MAX_NAME) {
        send_error(m, "names are 1 to 32 characters");
        return;
    }
    /* Everyone was told of it under its old name: the next presence message says who it is. */
    if (m->announced && strcmp(m->name, name) != 0)
        json_array_append_new(m->room->renamed,
                              json_pack("[s,s,i]", m->name, name, (int)m->number));
    snprintf(m->name, sizeof m->name, "%s", name);
}

void rooms_set_chat(struct rooms *rooms, const char *stream, bool on)
{
    if (rooms_chat_on(rooms, stream) == on)
        return;
    if (on != rooms->chat_on)
        hmap_put(&rooms->flipped, stream, strlen(stream), rooms);
    else
        hmap_del(&rooms->flipped, stream, strlen(stream));
    struct room *room = hmap_get(&rooms->by_stream, stream, strlen(stream));
    if (room)
        broadcast(room, json_pack("{s:s, s:b}", "type", "chat-state", "chat", on));
}

void room_message(struct room_member *m, uint64_t now_ms, const uint8_t *data, size_t len)
{
    if (len > 4 * ROOM_MAX_TEXT + 256) {
        send_error(m, "chat messages are at most 1000 characters");
        return;
    }
    json_error_t err;
    json_t *msg = json_loadb((const char *)data, len, 0, &err);
    const char *type = msg ? json_string_value(json_object_get(msg, "type")) : NULL;
    const char *text = msg ? json_string_value(json_object_get(msg, "text")) : NULL;
    const char *name = msg ? json_string_value(json_object_get(msg, "name")) : NULL;
    if (!type)
        send_error(m, "expected a JSON object with a \"type\"");
    else if (strcmp(type, "chat") == 0 && text && !rooms_chat_on(m->room->rooms, m->room->stream))
        send_error(m, "chat is off for this stream");
    else if (strcmp(type, "chat") == 0 && text)
        chat(m, now_ms, text);
    else if (strcmp(type, "hello") == 0 && name)
        hello(m, name);
    else
        send_error(m, "unknown message: expected {\"type\":\"chat\",\"text\":...} or "
                      "{\"type\":\"hello\",\"name\":...}");
    json_decref(msg);
}
