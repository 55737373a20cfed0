/* webhook: JSON events POSTed from a sender thread, over libcurl. */
#include "app/webhook.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/http_client.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "proto/hmac.h"

/* Waits between the tries of one event: the receiver restarting, say. */
static const unsigned retry_wait_ms[WEBHOOK_TRIES - 1] = {500, 2000};

struct webhook {
    char *url, *secret;
    char shown[300]; /* the URL as logs show it (url_for_logs) */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *queue[WEBHOOK_QUEUE]; /* JSON bodies, oldest at head */
    size_t head, count;
    bool stopping;
    uint64_t give_up_us; /* once stopping: when what is still queued is dropped */
    uint64_t next_id;
    struct webhook_counters counters; /* under mu */
};

/* The response body is not wanted; libcurl would print it to stdout otherwise. */
static size_t discard(char *data, size_t size, size_t n, void *opaque)
{
    (void)data;
    (void)opaque;
    return size * n;
}

/* One POST of BODY: its HTTP status, or 0 when the receiver could not be reached. */
static long post_once(const struct webhook *hook, const char *body, char *error)
{
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    if (hook->secret) {
        uint8_t mac[HMAC_SHA256_LEN];
        char header[32 + 2 * sizeof mac] = "X-Onair-Signature: sha256=";
        if (hmac_make("SHA256", hook->secret, body, strlen(body), mac, sizeof mac)) {
            for (size_t i = 0; i < sizeof mac; i++)
                sprintf(header + strlen(header), "%02x", mac[i]);
            headers = curl_slist_append(headers, header);
        }
    }
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, hook->url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "onair-webhook");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    long status = http_client_perform(curl, WEBHOOK_TIMEOUT_MS, error);
    curl_slist_free_all(headers);
    return status;
}

/* Waits MS or until the sender is stopped; returns whether it was. Called with mu held. */
static bool wait_unless_stopping(struct webhook *hook, unsigned ms)
{
    struct timespec until = clock_deadline(CLOCK_REALTIME, ms);
    while (!hook->stopping)
        if (pthread_cond_timedwait(&hook->cv, &hook->mu, &until) != 0)
            break;
    return hook->stopping;
}

/* Tries BODY until it is taken, the tries run out, or (after one try) the sender stops. */
static void deliver(struct webhook *hook, char *body)
{
    char error[CURL_ERROR_SIZE];
    long status = 0;
    for (int attempt = 0; attempt < WEBHOOK_TRIES; attempt++) {
        error[0] = 0;
        status = post_once(hook, body, error);
        if (status >= 200 && status <= 299)
            break;
        pthread_mutex_lock(&hook->mu);
        bool stop =
            attempt == WEBHOOK_TRIES - 1 || wait_unless_stopping(hook, retry_wait_ms[attempt]);
        pthread_mutex_unlock(&hook->mu);
        if (stop)
            break;
    }
    bool delivered = status >= 200 && status <= 299;
    if (!delivered) {
        if (status)
            log_warn("webhook %s: answered HTTP %ld; event not delivered: %s", hook->shown, status,
                     body);
        else
            log_warn("webhook %s: %s; event not delivered: %s", hook->shown, error, body);
    }
    pthread_mutex_lock(&hook->mu);
    delivered ? hook->counters.delivered++ : hook->counters.failed++;
    pthread_mutex_unlock(&hook->mu);
    free(body);
}

static void *sender(void *opaque)
{
    struct webhook *hook = opaque;
    pthread_mutex_lock(&hook->mu);
    for (;;) {
        while (!hook->count && !hook->stopping)
            pthread_cond_wait(&hook->cv, &hook->mu);
        if (!hook->count)
            break; /* stopping, and everything is sent */
        if (hook->stopping && clock_now_us() > hook->give_up_us) {
            log_warn("webhook %s: shutting down; %zu events not sent", hook->shown, hook->count);
            hook->counters.failed += hook->count;
            for (; hook->count; hook->count--, hook->head = (hook->head + 1) % WEBHOOK_QUEUE)
                free(hook->queue[hook->head]);
            break;
        }
        char *body = hook->queue[hook->head];
        hook->head = (hook->head + 1) % WEBHOOK_QUEUE;
        hook->count--;
        pthread_mutex_unlock(&hook->mu);
        deliver(hook, body);
        pthread_mutex_lock(&hook->mu);
    }
    pthread_mutex_unlock(&hook->mu);
    return NULL;
}

/* URL as the log shows it: its scheme, host and port, not its user information, path or query,
 * where services put their keys (https://hooks.example.net/services/KEY, ?key=KEY). */
static void url_for_logs(char *out, size_t cap, const char *url)
{
    const char *scheme_end = strstr(url, "://");
    int scheme_len = scheme_end ? (int)(scheme_end + 3 - url) : 0;
    const char *host = url + scheme_len;
    size_t len = strcspn(host, "/?#");
    const char *at = memrchr(host, '@', len);
    if (at) {
        len -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    snprintf(out, cap, "%.*s%.*s%s", scheme_len, url, (int)len, host, host[len] ? "/..." : "");
}

struct webhook *webhook_start(const char *url, const char *secret, const char **why)
{
    curl_global_init(CURL_GLOBAL_DEFAULT); /* here on the loop thread, not in the sender */
    struct webhook *hook = xcalloc(1, sizeof *hook);
    hook->url = xstrdup(url);
    url_for_logs(hook->shown, sizeof hook->shown, url);
    hook->secret = secret ? xstrdup(secret) : NULL;
    pthread_mutex_init(&hook->mu, NULL);
    pthread_cond_init(&hook->cv, NULL);
    if (pthread_create(&hook->thread, NULL, sender, hook) != 0) {
        *why = "cannot start the webhook thread";
        pthread_mutex_destroy(&hook->mu);
        pthread_cond_destroy(&hook->cv);
        free(hook->url);
        free(hook->secret);
        free(hook);
        return NULL;
    }
    return hook;
}

void webhook_post(struct webhook *hook, const char *event, const char *stream, json_t *fields)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    json_t *body = json_pack("{s:s, s:s, s:I}", "event", event, "stream", stream, "time_ms",
                             (json_int_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    if (fields)
        json_object_update(body, fields);
    json_decref(fields);
    pthread_mutex_lock(&hook->mu);
    /* Numbered in the order posted, so that a receiver can put events back in order and see
     * one sent twice (a try whose answer was lost). */
    json_object_set_new(body, "id", json_integer((json_int_t)++hook->next_id));
    char *text = json_dumps(body, JSON_COMPACT);
    if (hook->count == WEBHOOK_QUEUE) {
        hook->counters.dropped++;
        log_warn("webhook %s: %d events waiting; dropped: %s", hook->shown, WEBHOOK_QUEUE, text);
        free(text);
    } else {
        hook->queue[(hook->head + hook->count++) % WEBHOOK_QUEUE] = text;
        pthread_cond_signal(&hook->cv);
    }
    pthread_mutex_unlock(&hook->mu);
    json_decref(body);
}

void webhook_counters(struct webhook *hook, struct webhook_counters *out)
{
    pthread_mutex_lock(&hook->mu);
    *out = hook->counters;
    pthread_mutex_unlock(&hook->mu);
}

void webhook_stop(struct webhook *hook)
{
    if (!hook)
        return;
    pthread_mutex_lock(&hook->mu);
    hook->stopping = true;
    hook->give_up_us = clock_now_us() + WEBHOOK_TIMEOUT_MS * 1000ull;
    pthread_cond_signal(&hook->cv);
    pthread_mutex_unlock(&hook->mu);
    pthread_join(hook->thread, NULL);
    pthread_mutex_destroy(&hook->mu);
    pthread_cond_destroy(&hook->cv);
    free(hook->url);
    free(hook->secret);
    free(hook);
}
