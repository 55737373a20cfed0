/* http_client: one libcurl transfer made the way each of our clients makes it (webhooks, the
 * JWK Set fetcher, WHIP, Janus): bounded in time, without signals (they run on threads), its
 * outcome an HTTP status or the reason there was none. */
#ifndef ONAIR_APP_HTTP_CLIENT_H
#define ONAIR_APP_HTTP_CLIENT_H
#include <curl/curl.h>

/* Performs CURL's transfer (its URL and other options set by the caller) for at most
 * TIMEOUT_MS, and cleans the handle up. Returns the HTTP status the server answered, or 0 with
 * ERROR (CURL_ERROR_SIZE bytes) saying why no answer came. */
long http_client_perform(CURL *curl, long timeout_ms, char *error);

#endif
