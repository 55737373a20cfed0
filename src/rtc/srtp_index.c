/* srtp_index: rollover counters and replay windows of SRTP contexts, one entry an SSRC. */
#include "rtc/srtp_index.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

#define WINDOW_WORDS (SRTP_REPLAY_WINDOW / 64)

void srtp_index_free(struct srtp_index_table *t)
{
    free(t->streams);
    memset(t, 0, sizeof *t);
}

static struct srtp_index_stream *find_stream(const struct srtp_index_table *t, uint32_t ssrc)
{
    for (size_t i = 0; i < t->n_streams; i++)
        if (t->streams[i].ssrc == ssrc)
            return &t->streams[i];
    return NULL;
}

/* A new SSRC's state with INDEX the newest (an RTP sealer's first SEQ: rollover counter 0, what
 * its receiver assumes, RFC 3711 §3.3.1): a new slot, or the least recently used one once the
 * table is full. */
static struct srtp_index_stream *add_stream(struct srtp_index_table *t, uint32_t ssrc,
                                            uint64_t index)
{
    struct srtp_index_stream *s;
    if (t->n_streams < SRTP_INDEX_MAX_STREAMS) {
        if (t->n_streams == t->cap_streams) {
            t->cap_streams = t->cap_streams ? 2 * t->cap_streams : 4;
            t->streams = xrealloc(t->streams, t->cap_streams * sizeof *t->streams);
        }
        s = &t->streams[t->n_streams++];
    } else {
        s = &t->streams[0];
        for (size_t i = 1; i < t->n_streams; i++)
            if (t->streams[i].last_use < s->last_use)
                s = &t->streams[i];
    }
    memset(s, 0, sizeof *s);
    s->ssrc = ssrc;
    s->roc = (uint32_t)(index >> 16);
    s->highest = (uint16_t)index;
    return s;
}

uint64_t srtp_index_to_seal(struct srtp_index_table *t, uint32_t ssrc, uint16_t seq)
{
    struct srtp_index_stream *s = find_stream(t, ssrc);
    if (!s)
        s = add_stream(t, ssrc, seq); /* SEQ the newest, at 0: the code below gives 0 */
    s->last_use = ++t->uses;
    int16_t ahead = (int16_t)(uint16_t)(seq - s->highest);
    uint32_t roc = s->roc;
    if (ahead > 0) {
        if (seq < s->highest)
            roc = ++s->roc; /* wrapped past 65535 */
        s->highest = seq;
    } else if (seq > s->highest && roc > 0) {
        roc--; /* behind the newest, numerically above it: from before the wrap */
    }
    return ((uint64_t)roc << 16) | seq;
}

/* The replay window's bit for the packet BEHIND the newest (less than the window). */
static bool window_has(const struct srtp_index_stream *s, uint64_t behind)
{
    return (s->seen[behind / 64] >> (behind % 64)) & 1;
}

static void window_set(struct srtp_index_stream *s, uint64_t behind)
{
    s->seen[behind / 64] |= (uint64_t)1 << (behind % 64);
}

/* A newer packet, AHEAD of the newest, becomes the newest: every bit moves AHEAD further back. */
static void window_advance(struct srtp_index_stream *s, uint64_t ahead)
{
    if (ahead >= SRTP_REPLAY_WINDOW) {
        memset(s->seen, 0, sizeof s->seen);
        return;
    }
    size_t words = (size_t)(ahead / 64), bits = (size_t)(ahead % 64);
    for (size_t i = WINDOW_WORDS; i-- > 0;) {
        uint64_t w = i >= words ? s->seen[i - words] << bits : 0;
        if (bits && i >= words + 1)
            w |= s->seen[i - words - 1] >> (64 - bits);
        s->seen[i] = w;
    }
}

static uint64_t newest_index(const struct srtp_index_stream *s)
{
    return ((uint64_t)s->roc << 16) | s->highest;
}

/* Whether packet INDEX of S was opened already or is older than the window. */
static bool replayed(const struct srtp_index_stream *s, uint64_t index)
{
    uint64_t newest = newest_index(s);
    return index <= newest &&
           (newest - index >= SRTP_REPLAY_WINDOW || window_has(s, newest - index));
}

bool srtp_index_rtp_to_open(struct srtp_index_table *t, uint32_t ssrc, uint16_t seq,
                            struct srtp_index_pending *p)
{
    struct srtp_index_stream *s = find_stream(t, ssrc);
    *p = (struct srtp_index_pending){s, ssrc, seq};
    if (!s)
        return true;
    uint32_t roc = s->roc;
    if (s->highest < 32768 && seq > s->highest + 32768) {
        if (roc == 0)
            return false; /* before the stream's first packet: its counter would be below 0 */
        roc--;            /* a late packet from before the newest's wrap */
    } else if (s->highest >= 32768 && seq < s->highest - 32768) {
        roc++; /* the sender has wrapped */
    }
    p->index = ((uint64_t)roc << 16) | seq;
    return !replayed(s, p->index);
}

bool srtp_index_rtcp_to_open(struct srtp_index_table *t, uint32_t ssrc, uint32_t index,
                             struct srtp_index_pending *p)
{
    *p = (struct srtp_index_pending){find_stream(t, ssrc), ssrc, index};
    return !p->stream || !replayed(p->stream, index);
}

void srtp_index_opened(struct srtp_index_table *t, const struct srtp_index_pending *p)
{
    struct srtp_index_stream *s = p->stream;
    uint64_t index = p->index;
    if (!s) {
        s = add_stream(t, p->ssrc, index);
        window_set(s, 0);
    } else if (index > newest_index(s)) {
        window_advance(s, index - newest_index(s));
        window_set(s, 0);
        s->roc = (uint32_t)(index >> 16);
        s->highest = (uint16_t)index;
    } else {
        window_set(s, newest_index(s) - index);
    }
    s->last_use = ++t->uses;
}

size_t srtp_index_spans(const struct srtp_index_table *t, struct mem_span *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_streams && n < max; i++)
        out[n++] = (struct mem_span){&t->streams[i], offsetof(struct srtp_index_stream, seen)};
    return n;
}
