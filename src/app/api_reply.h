/* api_reply: the JSON answers of the API, and its errors as {"error": REASON}. */
#ifndef ONAIR_APP_API_REPLY_H
#define ONAIR_APP_API_REPLY_H
#include <jansson.h>

#include "app/http.h"

/* Answers STATUS with VALUE as compact JSON; takes VALUE's reference. */
void api_json_reply(struct http_response *res, int status, json_t *value);

/* Answers STATUS with {"error": REASON}: the reason a user reads in the client. */
void api_json_error(struct http_response *res, int status, const char *reason);

#endif
