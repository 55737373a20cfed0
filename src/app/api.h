/* api: the HTTP routes: pages, WHIP and WHEP (RFC 9725), the seed's /offer, and the JSON API. */
#ifndef ONAIR_APP_API_H
#define ONAIR_APP_API_H
#include "app/http.h"

/* The http_handler of the server; opaque is the struct server. */
void api_handle(void *opaque, const struct http_request *req, struct http_response *res);

#endif
