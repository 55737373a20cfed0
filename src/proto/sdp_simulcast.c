/* sdp_simulcast: a=rid (RFC 8851 §10) and a=simulcast (RFC 8853 §5.1).
 *
 *   a=rid:q send max-width=320;max-height=180
 *   a=simulcast:send q;h;~f recv r1,r2
 *
 * A simulcast list is streams separated by ';', each a choice of alternatives separated by
 * ',' of which the sender picks one; '~' marks a stream offered but paused. */
#include "proto/sdp_simulcast.h"

#include <stdio.h>
#include <string.h>

static bool rid_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* The length of the rid-id at the start of [P, END): 0 when there is none or it is too long. */
static size_t rid_length(const char *p, const char *end)
{
    size_t n = 0;
    while (p + n < end && rid_char(p[n]))
        n++;
    return n <= SDP_RID_MAX ? n : 0;
}

static bool word_is(const char *p, size_t n, const char *word)
{
    return n == strlen(word) && memcmp(p, word, n) == 0;
}

/* A decimal of at most 9 digits filling [P, P+N): sizes, frame rates. */
static bool small_number(const char *p, size_t n, uint32_t *out)
{
    if (n == 0 || n > 9)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(p[i] - '0');
    }
    *out = v;
    return true;
}

/* "key=value;key=value" (RFC 8851 §10): the sizes are kept, the other restrictions (payload
 * types, frame rate, bitrate, dependencies) are checked for form only. */
static int parse_restrictions(struct sdp_rid *rid, const char *p, const char *end, const char **why)
{
    while (p < end) {
        const char *item_end = memchr(p, ';', (size_t)(end - p));
        if (!item_end)
            item_end = end;
        const char *eq = memchr(p, '=', (size_t)(item_end - p));
        if (!eq || eq == p || eq + 1 == item_end) {
            *why = "a=rid: a restriction is not key=value";
            return -1;
        }
        size_t key_len = (size_t)(eq - p), value_len = (size_t)(item_end - eq - 1);
        uint32_t *size = word_is(p, key_len, "max-width")    ? &rid->max_width
                         : word_is(p, key_len, "max-height") ? &rid->max_height
                                                             : NULL;
        if (size && !small_number(eq + 1, value_len, size)) {
            *why = "a=rid: max-width and max-height are numbers";
            return -1;
        }
        p = item_end + (item_end < end);
    }
    return 0;
}

int sdp_parse_rid(struct sdp_media *m, const char *p, const char *end, const char **why)
{
    size_t n = rid_length(p, end);
    if (n == 0 || p + n == end || p[n] != ' ') {
        *why = "a=rid needs an id of at most 16 letters, digits, '-' or '_', then send or recv";
        return -1;
    }
    struct sdp_rid rid = {0};
    memcpy(rid.id, p, n);
    p += n + 1;
    const char *dir_end = memchr(p, ' ', (size_t)(end - p));
    if (!dir_end)
        dir_end = end;
    if (word_is(p, (size_t)(dir_end - p), "send")) {
        rid.send = true;
    } else if (!word_is(p, (size_t)(dir_end - p), "recv")) {
        *why = "a=rid: the direction is send or recv";
        return -1;
    }
    if (dir_end < end && parse_restrictions(&rid, dir_end + 1, end, why) < 0)
        return -1;
    for (size_t i = 0; i < m->n_rids; i++) {
        if (strcmp(m->rids[i].id, rid.id) == 0) {
            *why = "a=rid: the same id twice in one section";
            return -1;
        }
    }
    if (m->n_rids < SDP_MAX_RIDS)
        m->rids[m->n_rids++] = rid;
    return 0;
}

/* One list, "a,~b;c" (stops at a space or END), into OUT[*N] (the first alternative of each
 * stream, at most SDP_MAX_RIDS). Returns where it stopped, or NULL when malformed. */
static const char *parse_list(const char *p, const char *end, struct sdp_simulcast_stream *out,
                              size_t *n)
{
    *n = 0;
    for (;;) {
        bool first = true;
        for (;;) {
            bool paused = p < end && *p == '~';
            p += paused;
            size_t len = rid_length(p, end);
            if (len == 0)
                return NULL;
            if (first && *n < SDP_MAX_RIDS) {
                memcpy(out[*n].rid, p, len);
                out[*n].rid[len] = 0;
                out[*n].paused = paused;
                (*n)++;
            }
            first = false;
            p += len;
            if (p == end || *p != ',')
                break;
            p++;
        }
        if (p == end || *p != ';')
            return p;
        p++;
    }
}

/* Whether [P, END) is "send LIST", "recv LIST", or both in either order, parsed into M. */
static bool parse_lists(struct sdp_media *m, const char *p, const char *end)
{
    bool seen_send = false, seen_recv = false;
    while (p < end) {
        const char *word_end = memchr(p, ' ', (size_t)(end - p));
        if (!word_end)
            return false;
        bool send = word_is(p, (size_t)(word_end - p), "send");
        if ((!send && !word_is(p, (size_t)(word_end - p), "recv")) ||
            (send ? seen_send : seen_recv))
            return false;
        *(send ? &seen_send : &seen_recv) = true;
        p = parse_list(word_end + 1, end, send ? m->simulcast_send : m->simulcast_recv,
                       send ? &m->n_simulcast_send : &m->n_simulcast_recv);
        if (!p || (p < end && *p != ' '))
            return false;
        p += p < end;
    }
    return seen_send || seen_recv;
}

int sdp_parse_simulcast(struct sdp_media *m, const char *p, const char *end, const char **why)
{
    if (parse_lists(m, p, end))
        return 0;
    *why = "a=simulcast needs \"send\" or \"recv\" and a list of rids, such as send q;h;f";
    return -1;
}
