/* jwks_fetch: a thread that GETs the set with libcurl and reads it; the keys reach the loop
 * through a uv_async. */
#include "app/jwks_fetch.h"

#include <ctype.h>
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
#include "proto/jwks.h"

struct jwks_fetch {
    uv_async_t async;
    char *url;
    unsigned refresh_s;
    jwks_fetched_fn fetched;
    void *opaque;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;                              /* under mu */
    struct jwt_key *ready[JWKS_FETCH_MAX_KEYS]; /* under mu: read, not yet handed over */
    size_t n_ready;                             /* under mu; 0: nothing new */
    char failure[400]; /* the fetcher's: why the last fetch failed; "" after a success */
    bool failure_was_curl; /* ... in curl's words (report) */
    unsigned failures; /* the fetcher's: fetches failed since the last success */
    bool read_once;    /* the fetcher's: a fetch has succeeded */
};

struct body {
    char *data;
    size_t len;
};

static size_t keep(char *data, size_t size, size_t n, void *opaque)
{
    struct body *b = opaque;
    if (b->len + size * n > JWKS_FETCH_MAX_BYTES)
        return 0; /* curl fails the transfer: no set is that large */
    b->data = xrealloc(b->data, b->len + size * n + 1);
    memcpy(b->data + b->len, data, size * n);
    b->len += size * n;
    b->data[b->len] = 0;
    return size * n;
}

/* Whether A and B say the same once their runs of digits are set aside: curl's messages for one
 * failure differ in the time it took ("Failed to connect to 127.0.0.1 port 80 after 0 ms" then
 * "after 1 ms"). */
static bool same_but_numbers(const char *a, const char *b)
{
    for (;;) {
        bool digits_a = isdigit((unsigned char)*a), digits_b = isdigit((unsigned char)*b);
        if (digits_a != digits_b)
            return false;
        while (isdigit((unsigned char)*a))
            a++;
        while (isdigit((unsigned char)*b))
            b++;
        if (*a != *b)
            return false;
        if (!*a)
            return true;
        a++;
        b++;
    }
}

/* Logs a fetch's FAILURE, or NULL for a success: a failure like the last one (the provider still
 * down, a retry every few seconds) only at debug level, and the first success after failures.
 * CURL_FAILED: FAILURE is curl's own message, whose numbers (times, byte counts) are set aside;
 * an HTTP status or a set's fault must match exactly. */
static void report(struct jwks_fetch *f, const char *failure, bool curl_failed)
{
    if (!failure) {
        if (f->failures)
            log_info("--token-jwks-url %s: read%s after %u failed fetch%s", f->url,
                     f->read_once ? " again" : "", f->failures, f->failures == 1 ? "" : "es");
        f->failures = 0;
        f->read_once = true;
        f->failure[0] = 0;
        return;
    }
    f->failures++;
    bool alike = curl_failed && f->failure_was_curl ? same_but_numbers(failure, f->failure)
                                                    : strcmp(failure, f->failure) == 0;
    log_write(alike ? LOG_DEBUG : LOG_WARN, "--token-jwks-url %s: %s; the keys stay as they were",
              f->url, failure);
    snprintf(f->failure, sizeof f->failure, "%s", failure);
    f->failure_was_curl = curl_failed;
}

/* Fetches and reads the set into KEYS: their number, or 0 after logging why not. */
static size_t fetch_once(struct jwks_fetch *f, struct jwt_key **keys)
{
    char error[CURL_ERROR_SIZE];
    struct body body = {0};
    CURL *curl = curl_easy_init();
    if (!curl)
        return 0;
    curl_easy_setopt(curl, CURLOPT_URL, f->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    long status = http_client_perform(curl, JWKS_FETCH_TIMEOUT_MS, error);
    size_t n = 0;
    struct jwks_result set;
    const char *why = NULL;
    char failure[sizeof f->failure];
    if (!status)
        snprintf(failure, sizeof failure, "%s", error);
    else if (status != 200)
        snprintf(failure, sizeof failure, "answered HTTP %ld", status);
    else if (jwks_read(body.data ? body.data : "", body.len, keys, JWKS_FETCH_MAX_KEYS, &set,
                       &why) < 0) {
        char which[32] = "", skipped[200] = "";
        if (set.bad_key)
            snprintf(which, sizeof which, "key %zu: ", set.bad_key);
        if (set.skip_why)
            snprintf(skipped, sizeof skipped, " (left out: %s)", set.skip_why);
        snprintf(failure, sizeof failure, "%s%s%s", which, why, skipped);
    } else {
        n = set.n_keys;
    }
    free(body.data);
    report(f, n ? NULL : failure, !status);
    return n;
}

static void *fetcher_main(void *arg)
{
    struct jwks_fetch *f = arg;
    pthread_mutex_lock(&f->mu);
    while (!f->stopping) {
        pthread_mutex_unlock(&f->mu);
        struct jwt_key *keys[JWKS_FETCH_MAX_KEYS];
        size_t n = fetch_once(f, keys);
        pthread_mutex_lock(&f->mu);
        if (n) {
            for (size_t i = 0; i < f->n_ready; i++) /* never handed over: superseded */
                jwt_key_free(f->ready[i]);
            memcpy(f->ready, keys, n * sizeof *keys);
            f->n_ready = n;
            uv_async_send(&f->async);
        }
        unsigned wait_s =
            n || f->refresh_s < JWKS_FETCH_RETRY_S ? f->refresh_s : JWKS_FETCH_RETRY_S;
        struct timespec until = clock_deadline(CLOCK_REALTIME, wait_s * 1000ull);
        while (!f->stopping)
            if (pthread_cond_timedwait(&f->cv, &f->mu, &until) != 0)
                break;
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void on_fetched(uv_async_t *async)
{
    struct jwks_fetch *f = async->data;
    struct jwt_key *keys[JWKS_FETCH_MAX_KEYS];
    pthread_mutex_lock(&f->mu);
    size_t n = f->n_ready;
    memcpy(keys, f->ready, n * sizeof *keys);
    f->n_ready = 0;
    pthread_mutex_unlock(&f->mu);
    if (n)
        f->fetched(f->opaque, keys, n);
}

struct jwks_fetch *jwks_fetch_start(uv_loop_t *loop, const char *url, unsigned refresh_s,
                                    jwks_fetched_fn fetched, void *opaque, const char **why)
{
    curl_global_init(CURL_GLOBAL_DEFAULT); /* here on the loop thread, not in the fetcher */
    struct jwks_fetch *f = xcalloc(1, sizeof *f);
    f->url = xstrdup(url);
    f->refresh_s = refresh_s;
    f->fetched = fetched;
    f->opaque = opaque;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    uv_async_init(loop, &f->async, on_fetched);
    f->async.data = f;
    if (pthread_create(&f->thread, NULL, fetcher_main, f) != 0) {
        *why = "cannot start the thread that fetches the JWK Set";
        f->stopping = true; /* no thread to join */
        jwks_fetch_stop(f);
        return NULL;
    }
    return f;
}

static void on_closed(uv_handle_t *handle)
{
    struct jwks_fetch *f = handle->data;
    for (size_t i = 0; i < f->n_ready; i++)
        jwt_key_free(f->ready[i]);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f->url);
    free(f);
}

void jwks_fetch_stop(struct jwks_fetch *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    bool started = !f->stopping;
    f->stopping = true;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (started)
        pthread_join(f->thread, NULL);
    uv_close((uv_handle_t *)&f->async, on_closed);
}
