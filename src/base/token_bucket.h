/* token_bucket: a rate limit that lets a burst through at once and then RATE a second (a chat
 * member's messages, a viewer's repairs). Pure: the caller passes the time. */
#ifndef ONAIR_BASE_TOKEN_BUCKET_H
#define ONAIR_BASE_TOKEN_BUCKET_H
#include <stdbool.h>
#include <stdint.h>

struct token_bucket {
    double tokens;  /* what may go now */
    uint64_t at_us; /* as of this time */
};

/* A full bucket: BURST at once from the start. */
static inline struct token_bucket token_bucket_full(double burst, uint64_t now_us)
{
    return (struct token_bucket){burst, now_us};
}

/* Whether one more may go at NOW_US, refilled at RATE a second up to BURST; takes it if so. A
 * time before the last is taken as the last (no refill). */
static inline bool token_bucket_take(struct token_bucket *b, double rate, double burst,
                                     uint64_t now_us)
{
    if (now_us > b->at_us) {
        b->tokens += (double)(now_us - b->at_us) * rate / 1e6;
        if (b->tokens > burst)
            b->tokens = burst;
        b->at_us = now_us;
    }
    if (b->tokens < 1)
        return false;
    b->tokens -= 1;
    return true;
}

#endif
