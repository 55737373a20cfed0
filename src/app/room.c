/* room: chat relay and presence per stream. The server, not the clients, names senders and
 * orders messages, so every participant sees the same conversation. */
#include "app/room.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/server.h"
#include "app/session.h"
#include "base/clock.h"
#include "base/hmap.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "sfu/sfu.h"

struct room_member {
    struct room *room;
    struct session *session;
    char name[4 * ROOM_MAX_NAME + 1]; /* UTF-8: up to 4 bytes a character */
    double tokens; /* rate limit: a token bucket of ROOM_RATE per second */
    uint64_t tokens_ms;
    struct room_member *next;
};

struct room {
    struct rooms *rooms;
    char stream[64];
    struct room_member *members;
    unsigned next_viewer, next_id;
    json_t *history[ROOM_HISTORY]; /* a ring of the last chat messages */
    size_t history_start, history_len;
};

struct rooms {
    struct server *srv;
    struct hmap by_stream;
    bool chat_on;         /* the default */
    struct hmap flipped;  /* streams set against the default (values unused) */
};

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

static void send_json(struct room_member *to, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    session_send_chat(to->session, text, strlen(text));
    free(text);
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
        snprintf(room->stream, sizeof room->stream, "%s", stream);
        hmap_put(&rooms->by_stream, room->stream, strlen(room->stream), room);
    }
    struct room_member *member = xcalloc(1, sizeof *member);
    member->room = room;
    member->session = session;
    member->tokens = ROOM_RATE;
    member->tokens_ms = clock_now_ms();
    if (publisher)
        snprintf(member->name, sizeof member->name, "publisher");
    else
        snprintf(member->name, sizeof member->name, "viewer-%u", ++room->next_viewer);
    size_t viewers = viewer_count(room);
    broadcast(room, json_pack("{s:s, s:s, s:i}", "type", "join", "name", member->name, "viewers",
                              (int)viewers));
    member->next = room->members;
    room->members = member;
    json_t *welcome = json_pack("{s:s, s:s, s:i, s:b}", "type", "welcome", "you", member->name,
                                "viewers", (int)viewers, "chat",
                                rooms_chat_on(rooms, stream));
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
    broadcast(room, json_pack("{s:s, s:s, s:i}", "type", "leave", "name", member->name, "viewers",
                              (int)viewer_count(room)));
    free(member);
    if (!room->members) {
        hmap_del(&room->rooms->by_stream, room->stream, strlen(room->stream));
        room_free(room);
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

static bool take_token(struct room_member *m, uint64_t now_ms)
{
    m->tokens += (double)(now_ms - m->tokens_ms) * ROOM_RATE / 1000.0;
    if (m->tokens > ROOM_RATE)
        m->tokens = ROOM_RATE;
    m->tokens_ms = now_ms;
    if (m->tokens < 1)
        return false;
    m->tokens -= 1;
    return true;
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
    if (!take_token(m, now_ms)) {
        send_error(m, "too many messages: at most 5 a second");
        return;
    }
    struct room *room = m->room;
    json_t *msg = json_pack("{s:s, s:i, s:s, s:s, s:I}", "type", "chat", "id", (int)++room->next_id,
                            "from", m->name, "text", text, "time", (json_int_t)clock_wall_ms());
    remember(room, msg);
    broadcast(room, msg);
}

static void hello(struct room_member *m, const char *name)
{
    size_t n = utf8_length(name);
    if (n == 0 || n > ROOM_MAX_NAME) {
        send_error(m, "names are 1 to 32 characters");
        return;
    }
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
