/* whip_client: WHIP/WHEP offer and DELETE over libcurl, and the seed's JSON /offer. */
#include "app/whip_client.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/http_client.h"
#include "base/xmalloc.h"

/* Signaling answers are small; anything larger is not an SDP answer. */
#define WHIP_CLIENT_MAX_BODY (256 * 1024)
#define WHIP_CLIENT_TIMEOUT_S 10L
/* A DELETE at the end: a server that does not answer soon is let go (the session times out). */
#define WHIP_CLIENT_DELETE_TIMEOUT_MS 3000L

struct whip_client_buffer {
    char *data;
    size_t len;
    char location[1024];
    char links[4096];
};

static size_t whip_client_on_body(char *p, size_t size, size_t n, void *opaque)
{
    struct whip_client_buffer *b = opaque;
    size_t len = size * n;
    if (b->len + len > WHIP_CLIENT_MAX_BODY)
        return 0; /* makes curl fail the transfer */
    b->data = xrealloc(b->data, b->len + len + 1);
    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = 0;
    return len;
}

/* Keeps the Location and Link headers of the final response (curl calls this for each header
 * line; a new status line starts a new response, as after a redirect). */
static size_t whip_client_on_header(char *p, size_t size, size_t n, void *opaque)
{
    struct whip_client_buffer *b = opaque;
    size_t len = size * n;
    static const char location[] = "location:", link[] = "link:";
    if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
        b->location[0] = b->links[0] = 0;
        return len;
    }
    bool is_location = len > sizeof location - 1 &&
                       strncasecmp(p, location, sizeof location - 1) == 0;
    bool is_link = len > sizeof link - 1 && strncasecmp(p, link, sizeof link - 1) == 0;
    if (!is_location && !is_link)
        return len;
    const char *v = p + (is_location ? sizeof location : sizeof link) - 1;
    const char *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    if (is_location) {
        snprintf(b->location, sizeof b->location, "%.*s", (int)(end - v), v);
    } else {
        size_t used = strlen(b->links);
        snprintf(b->links + used, sizeof b->links - used, "%s%.*s", used ? ", " : "",
                 (int)(end - v), v);
    }
    return len;
}

int whip_client_resolve(const char *base, const char *url, char *dst, size_t cap)
{
    CURLU *u = curl_url();
    char *full = NULL;
    int rc = -1;
    /* Setting a relative URL on a handle that holds BASE resolves it (RFC 3986 §5). */
    if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK && strlen(full) < cap) {
        memcpy(dst, full, strlen(full) + 1);
        rc = 0;
    }
    curl_free(full);
    curl_url_cleanup(u);
    return rc;
}

/* The server's reason from an error body: {"error": "..."} or plain text, trimmed. */
static void whip_client_reason(const struct whip_client_buffer *b, char *dst, size_t cap)
{
    dst[0] = 0;
    if (!b->data)
        return;
    json_t *root = json_loads(b->data, 0, NULL);
    const char *error = root ? json_string_value(json_object_get(root, "error")) : NULL;
    snprintf(dst, cap, "%s", error ? error : b->data);
    json_decref(root);
    size_t len = strlen(dst);
    while (len && (dst[len - 1] == '\n' || dst[len - 1] == '\r' || dst[len - 1] == ' '))
        dst[--len] = 0;
}

/* The answer in a 2xx body: the SDP itself, or the seed's {"sdp": ...}. */
static char *whip_client_answer(const struct whip_client_buffer *b, bool seed_offer)
{
    if (!b->data)
        return NULL;
    if (!seed_offer)
        return strncmp(b->data, "v=0", 3) == 0 ? xstrdup(b->data) : NULL;
    json_t *root = json_loads(b->data, JSON_DECODE_ANY, NULL);
    const char *sdp = root ? json_string_value(json_object_get(root, "sdp")) : NULL;
    char *answer = sdp ? xstrdup(sdp) : NULL;
    json_decref(root);
    return answer;
}

static void whip_client_explain(struct whip_client_result *out, const char *url,
                                const struct whip_client_buffer *b)
{
    char reason[400];
    whip_client_reason(b, reason, sizeof reason);
    if (out->status == 409)
        snprintf(out->message, sizeof out->message,
                 "the stream is taken: %s already has a publisher (409%s%s)", url,
                 reason[0] ? ": " : "", reason);
    else if (out->status == 401)
        snprintf(out->message, sizeof out->message,
                 "the server wants a token (--token, or ONAIR_TOKEN): HTTP 401%s%s",
                 reason[0] ? ": " : "", reason);
    else
        snprintf(out->message, sizeof out->message, "the server refused the offer: HTTP %ld%s%s",
                 out->status, reason[0] ? ": " : "", reason);
}

/* TARGET's token as an Authorization header added to HEADERS (returned), and its CA as the one
 * CURL trusts. */
static struct curl_slist *whip_client_authorize(CURL *curl, const struct whip_client_target *target,
                                                struct curl_slist *headers)
{
    if (target->ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, target->ca_file);
    if (target->token) {
        char authorization[300];
        snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", target->token);
        headers = curl_slist_append(headers, authorization); /* copies it */
    }
    return headers;
}

int whip_client_offer(const struct whip_client_target *target, const char *offer_sdp,
                      struct whip_client_result *out)
{
    const char *url = target->url;
    bool seed_offer = target->seed_offer;
    memset(out, 0, sizeof *out);
    struct whip_client_buffer b = {0};
    char *body = NULL;
    if (seed_offer) {
        json_t *s = json_string(offer_sdp);
        body = json_dumps(s, JSON_ENCODE_ANY);
        json_decref(s);
    }
    char error[CURL_ERROR_SIZE];
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(
        NULL, seed_offer ? "Content-Type: application/json" : "Content-Type: application/sdp");
    headers = curl_slist_append(headers, "Expect:");
    headers = whip_client_authorize(curl, target, headers);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : offer_sdp);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, whip_client_on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, whip_client_on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &b);
    out->status = http_client_perform(curl, WHIP_CLIENT_TIMEOUT_S * 1000L, error);
    int result = 0;
    if (!out->status) {
        snprintf(out->message, sizeof out->message, "cannot reach %s: %s", url, error);
        result = WHIP_CLIENT_ERR_CONNECT;
        goto out;
    }
    if (out->status < 200 || out->status > 299) {
        whip_client_explain(out, url, &b);
        result = WHIP_CLIENT_ERR_HTTP;
        goto out;
    }
    out->answer = whip_client_answer(&b, seed_offer);
    if (!out->answer) {
        snprintf(out->message, sizeof out->message,
                 "the server answered %ld without an SDP answer", out->status);
        result = WHIP_CLIENT_ERR_REPLY;
        goto out;
    }
    if (b.location[0] && whip_client_resolve(url, b.location, out->location,
                                             sizeof out->location) < 0)
        out->location[0] = 0;
    snprintf(out->links, sizeof out->links, "%s", b.links);
out:
    curl_slist_free_all(headers);
    free(b.data);
    free(body);
    return result;
}

int whip_client_delete(const struct whip_client_target *target, const char *location)
{
    struct whip_client_buffer b = {0};
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = whip_client_authorize(curl, target, NULL);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_URL, location);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, whip_client_on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    char error[CURL_ERROR_SIZE];
    long status = http_client_perform(curl, WHIP_CLIENT_DELETE_TIMEOUT_MS, error);
    curl_slist_free_all(headers);
    free(b.data);
    return status >= 200 && status <= 299 ? 0 : -1;
}
