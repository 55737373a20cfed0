/* janus_client: create, attach, watch, long-poll for the offer, start, keepalive, destroy. The
 * message formats are those of Janus's HTTP transport (janus.transport.http) and streaming
 * plugin; every request carries a transaction string, which a blocking client need not match. */
#include "app/janus_client.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/http_client.h"
#include "base/xmalloc.h"

#define JANUS_CLIENT_TIMEOUT_S 10L
/* Janus holds a long poll for up to 30 s and then answers with a keepalive event. */
#define JANUS_CLIENT_POLL_TIMEOUT_S 40L
/* Events that may come before the offer (a keepalive, a plugin notice) before we give up. */
#define JANUS_CLIENT_MAX_POLLS 4

/* POSTs BODY (steals the reference), or GETs when BODY is NULL, to URL and parses the JSON
 * reply. Returns it (the caller decrefs), or NULL with MESSAGE when Janus could not be reached,
 * did not answer JSON, or answered {"janus":"error"}. */
static json_t *janus_client_call(const char *url, json_t *body, long timeout_s, char *message,
                                 size_t cap)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    char *reply = NULL;
    size_t reply_len = 0;
    /* curl's default write function fwrite()s into WRITEDATA: a memory stream collects it. */
    FILE *sink = open_memstream(&reply, &reply_len);
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (text)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    char why[CURL_ERROR_SIZE];
    long status = http_client_perform(curl, timeout_s * 1000, why);
    fclose(sink);
    json_t *root = NULL;
    if (!status) {
        snprintf(message, cap, "cannot reach Janus at %s: %s", url, why);
    } else if (!(root = json_loads(reply, 0, NULL))) {
        snprintf(message, cap, "Janus answered HTTP %ld without JSON", status);
    } else if (strcmp(json_string_value(json_object_get(root, "janus")) ?: "", "error") == 0) {
        json_t *error = json_object_get(root, "error");
        snprintf(message, cap, "Janus refused: %s (%" JSON_INTEGER_FORMAT ")",
                 json_string_value(json_object_get(error, "reason")) ?: "no reason",
                 json_integer_value(json_object_get(error, "code")));
        json_decref(root);
        root = NULL;
    }
    free(reply);
    free(text);
    return root;
}

/* The "id" in a success reply's "data" (a new session's or handle's); 0 when absent. */
static uint64_t janus_client_new_id(json_t *reply)
{
    json_int_t id = json_integer_value(json_object_get(json_object_get(reply, "data"), "id"));
    json_decref(reply);
    return id > 0 ? (uint64_t)id : 0;
}

/* Waits for the event that carries the plugin's offer. Returns it as xmalloc'ed SDP, or NULL
 * with MESSAGE (the plugin's error, when it sent one). */
static char *janus_client_wait_offer(const struct janus_client *jc, char *message, size_t cap)
{
    char url[600];
    snprintf(url, sizeof url, "%s/%" PRIu64 "?maxev=1", jc->url, jc->session_id);
    for (int i = 0; i < JANUS_CLIENT_MAX_POLLS; i++) {
        json_t *event = janus_client_call(url, NULL, JANUS_CLIENT_POLL_TIMEOUT_S, message, cap);
        if (!event)
            return NULL;
        const char *sdp = json_string_value(json_object_get(json_object_get(event, "jsep"), "sdp"));
        const char *error = json_string_value(json_object_get(
            json_object_get(json_object_get(event, "plugindata"), "data"), "error"));
        char *offer = sdp ? xstrdup(sdp) : NULL;
        if (error)
            snprintf(message, cap, "Janus's streaming plugin refused: %s", error);
        json_decref(event);
        if (offer || error)
            return offer;
    }
    snprintf(message, cap, "Janus sent no offer after %d events", JANUS_CLIENT_MAX_POLLS);
    return NULL;
}

int janus_client_watch(struct janus_client *jc, const char *url, long mountpoint,
                       char **offer_sdp, char *message, size_t cap)
{
    memset(jc, 0, sizeof *jc);
    snprintf(jc->url, sizeof jc->url, "%s", url);
    *offer_sdp = NULL;
    char session_url[600], handle_url[640];
    json_t *reply = janus_client_call(url, json_pack("{s:s, s:s}", "janus", "create",
                                                      "transaction", "create"),
                                      JANUS_CLIENT_TIMEOUT_S, message, cap);
    if (!reply || !(jc->session_id = janus_client_new_id(reply)))
        return -1;
    snprintf(session_url, sizeof session_url, "%s/%" PRIu64, url, jc->session_id);
    reply = janus_client_call(session_url,
                              json_pack("{s:s, s:s, s:s}", "janus", "attach", "plugin",
                                        "janus.plugin.streaming", "transaction", "attach"),
                              JANUS_CLIENT_TIMEOUT_S, message, cap);
    if (!reply || !(jc->handle_id = janus_client_new_id(reply)))
        return -1;
    snprintf(handle_url, sizeof handle_url, "%s/%" PRIu64, session_url, jc->handle_id);
    /* The plugin acknowledges at once and sends the offer as an event on the session. */
    reply = janus_client_call(handle_url,
                              json_pack("{s:s, s:s, s:{s:s, s:I}}", "janus", "message",
                                        "transaction", "watch", "body", "request", "watch", "id",
                                        (json_int_t)mountpoint),
                              JANUS_CLIENT_TIMEOUT_S, message, cap);
    if (!reply)
        return -1;
    json_decref(reply);
    *offer_sdp = janus_client_wait_offer(jc, message, cap);
    return *offer_sdp ? 0 : -1;
}

int janus_client_start(const struct janus_client *jc, const char *answer_sdp, char *message,
                       size_t cap)
{
    char handle_url[640];
    snprintf(handle_url, sizeof handle_url, "%s/%" PRIu64 "/%" PRIu64, jc->url, jc->session_id,
             jc->handle_id);
    json_t *reply = janus_client_call(
        handle_url,
        json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:s}}", "janus", "message", "transaction", "start",
                  "body", "request", "start", "jsep", "type", "answer", "sdp", answer_sdp),
        JANUS_CLIENT_TIMEOUT_S, message, cap);
    json_decref(reply);
    return reply ? 0 : -1;
}

/* Sends {"janus": VERB} to the session. */
static int janus_client_session_request(const struct janus_client *jc, const char *verb)
{
    char session_url[600], message[256];
    snprintf(session_url, sizeof session_url, "%s/%" PRIu64, jc->url, jc->session_id);
    json_t *reply =
        janus_client_call(session_url, json_pack("{s:s, s:s}", "janus", verb, "transaction", verb),
                          JANUS_CLIENT_TIMEOUT_S, message, sizeof message);
    json_decref(reply);
    return reply ? 0 : -1;
}

int janus_client_keepalive(const struct janus_client *jc)
{
    return jc->session_id ? janus_client_session_request(jc, "keepalive") : -1;
}

void janus_client_destroy(struct janus_client *jc)
{
    if (jc->session_id)
        janus_client_session_request(jc, "destroy");
    jc->session_id = jc->handle_id = 0;
}
