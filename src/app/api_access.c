/* api_access: the API's questions to the access rules, and its refusals. */
#include "app/api_access.h"

#include <stdio.h>
#include <time.h>

#include "app/api_reply.h"
#include "app/server.h"
#include "base/log.h"

/* Refuses REQ doing something (DOING says what, "publishing to") on stream NAME for the
 * reason V, and JWT_WHY when a JWT was refused: a 401 with the reason and a WWW-Authenticate
 * challenge (RFC 6750 §3) in RES. */
static void refuse(struct server *srv, const struct http_request *req, enum access_verdict v,
                   const char *jwt_why, const char *name, const char *doing,
                   struct http_response *res, bool as_json)
{
    char why[256];
    if (v == ACCESS_NO_TOKEN)
        snprintf(why, sizeof why, "%s '%s' needs a token: send Authorization: Bearer TOKEN", doing,
                 name);
    else
        snprintf(why, sizeof why, "the token is not one for %s '%s'%s%s", doing, name,
                 jwt_why ? ": " : "", jwt_why ? jwt_why : "");
    as_json ? api_json_error(res, 401, why) : http_response_text(res, 401, "%s\n", why);
    http_response_header(res, "WWW-Authenticate", "Bearer realm=\"onair\"%s",
                         v == ACCESS_BAD_TOKEN ? ", error=\"invalid_token\"" : "");
    srv->unauthorized++;
    log_info("%s %s: %s", req->method, req->path, why);
}

bool api_authorized(struct server *srv, const struct http_request *req, enum access_action action,
                    const char *name, const char *doing, struct http_response *res, bool as_json)
{
    const char *jwt_why = NULL;
    enum access_verdict v = access_check(&srv->config.access, action, name, req->authorization,
                                         (int64_t)time(NULL), &jwt_why);
    if (v == ACCESS_GRANTED)
        return true;
    refuse(srv, req, v, jwt_why, name, doing, res, as_json);
    return false;
}

void api_read_credentials(const struct server *srv, const struct http_request *req,
                          struct access_credentials *out)
{
    access_read(out, &srv->config.access, req->authorization, (int64_t)time(NULL));
}

bool api_may_see(const struct server *srv, const struct access_credentials *credentials,
                 const char *name)
{
    const struct access_rules *rules = &srv->config.access;
    /* A publisher's token shows the stream too; but where publishing needs none, anyone "may
     * publish", and that must not open a stream whose watch token makes it private. */
    return access_allows(rules, credentials, ACCESS_WATCH, name, NULL) == ACCESS_GRANTED ||
           (access_needs_token(rules, ACCESS_PUBLISH, name) &&
            access_allows(rules, credentials, ACCESS_PUBLISH, name, NULL) == ACCESS_GRANTED);
}

bool api_visible(struct server *srv, const struct http_request *req, const char *name,
                 const char *doing, struct http_response *res)
{
    struct access_credentials credentials;
    api_read_credentials(srv, req, &credentials);
    if (api_may_see(srv, &credentials, name))
        return true;
    /* Refused as a viewer would be: a publisher's token is not what a reader is asked for. */
    const char *jwt_why = NULL;
    enum access_verdict v =
        access_allows(&srv->config.access, &credentials, ACCESS_WATCH, name, &jwt_why);
    refuse(srv, req, v, jwt_why, name, doing, res, true);
    return false;
}

bool api_may_manage(struct server *srv, const struct http_request *req, const char *name,
                    const char *doing, struct http_response *res)
{
    if (access_needs_token(&srv->config.access, ACCESS_PUBLISH, name))
        return api_authorized(srv, req, ACCESS_PUBLISH, name, doing, res, true);
    if (req->from_loopback)
        return true;
    char why[256];
    snprintf(why, sizeof why,
             "%s '%s' is done from the server's own machine: the stream has no publish token "
             "(--publish-token) to send",
             doing, name);
    api_json_error(res, 403, why);
    srv->unauthorized++;
    log_info("%s %s: %s", req->method, req->path, why);
    return false;
}
