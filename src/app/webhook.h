/* webhook: tells an application what happens on the server (a stream goes live or ends, a
 * recording is finished) by POSTing a JSON event to its URL, as MediaMTX's hooks and LiveKit's
 * webhooks do. Events go out from a thread of their own, so that a slow or dead receiver never
 * holds the loop; they wait in a bounded queue, and each is tried up to WEBHOOK_TRIES times.
 * With a secret, each POST carries X-Onair-Signature: sha256=HEX, the HMAC-SHA256 of its body,
 * so that the receiver knows it came from this server. */
#ifndef ONAIR_APP_WEBHOOK_H
#define ONAIR_APP_WEBHOOK_H
#include <jansson.h>
#include <stdint.h>

#define WEBHOOK_QUEUE 256
#define WEBHOOK_TRIES 3
#define WEBHOOK_TIMEOUT_MS 5000

struct webhook;

struct webhook_counters {
    uint64_t delivered; /* answered 2xx */
    uint64_t failed;    /* not delivered after every try */
    uint64_t dropped;   /* the queue was full: the receiver is far behind */
};

/* Starts the sender for URL (http:// or https://); SECRET may be NULL. NULL with *WHY when the
 * thread cannot start. */
struct webhook *webhook_start(const char *url, const char *secret, const char **why);

/* Sends {"event": EVENT, "stream": STREAM, "id": N, "time_ms": ...} with FIELDS' members
 * added (FIELDS may be NULL; its reference is taken). Never blocks. */
void webhook_post(struct webhook *hook, const char *event, const char *stream, json_t *fields);

void webhook_counters(struct webhook *hook, struct webhook_counters *out);

/* Sends what is queued (one try each, for at most about twice WEBHOOK_TIMEOUT_MS in all, so
 * that a dead receiver cannot hold shutdown), then stops the thread and frees HOOK. NULL is
 * fine. */
void webhook_stop(struct webhook *hook);

#endif
