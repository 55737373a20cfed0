/* api_access: who may do what to a stream through the API, and the 401 or 403 telling a client
 * why not. The rules themselves (tokens, JWTs) are access.h's; this is how routes ask them. */
#ifndef ONAIR_APP_API_ACCESS_H
#define ONAIR_APP_API_ACCESS_H
#include <stdbool.h>

#include "app/access.h"
#include "app/http.h"

struct server;

/* Whether REQ may do ACTION on stream NAME (DOING says what, "publishing to"); if not, the 401
 * is in RES, as JSON or AS_JSON false as text. */
bool api_authorized(struct server *srv, const struct http_request *req, enum access_action action,
                    const char *name, const char *doing, struct http_response *res, bool as_json);

/* REQ's credentials, read once to be checked against many streams. */
void api_read_credentials(const struct server *srv, const struct http_request *req,
                          struct access_credentials *out);

/* Whether a client with CREDENTIALS may see stream NAME in the API: one that may watch it or
 * publish to it. A stream with a watch token is private, its name and figures with it. */
bool api_may_see(const struct server *srv, const struct access_credentials *credentials,
                 const char *name);

/* api_may_see for REQ and one stream; if not, the 401 that watching it would get (DOING says
 * what, "seeing") is in RES. */
bool api_visible(struct server *srv, const struct http_request *req, const char *name,
                 const char *doing, struct http_response *res);

/* Whether REQ may change stream NAME (DOING says how, "stopping the recording of"): with its
 * publish token where it has one. A stream anyone may publish to is changed only from this
 * machine, or anyone who reaches the server could stop its recordings, delete its files and
 * end its broadcast. If not, a 401 or 403 with the reason is in RES. */
bool api_may_manage(struct server *srv, const struct http_request *req, const char *name,
                    const char *doing, struct http_response *res);

#endif
