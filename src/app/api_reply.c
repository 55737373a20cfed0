/* api_reply: the JSON answers of the API. */
#include "app/api_reply.h"

#include <string.h>

void api_json_reply(struct http_response *res, int status, json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT);
    json_decref(value);
    http_response_take(res, status, "application/json", text, strlen(text));
}

void api_json_error(struct http_response *res, int status, const char *reason)
{
    api_json_reply(res, status, json_pack("{s:s}", "error", reason));
}
