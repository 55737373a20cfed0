/* api: routing and the answers' shapes. Signaling errors carry the reason a user needs. */
#include "app/api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/access.h"
#include "app/api_access.h"
#include "app/api_recordings.h"
#include "app/api_reply.h"
#include "app/ice_servers.h"
#include "app/metrics.h"
#include "app/patch_rules.h"
#include "app/recorder.h"
#include "app/room.h"
#include "app/server.h"
#include "app/session.h"
#include "app/web_assets.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "proto/sdp.h"
#include "sfu/negotiate.h"
#include "sfu/sfu.h"

/* The answer to a name that cannot be a stream's (access.h's stream_name_valid). */
static const char NAME_RULE[] = "stream names are 1 to 63 letters, digits, '-', '_' or '.'";

static bool valid_stream_name(const char *name)
{
    return stream_name_valid(name, strlen(name));
}

/* If PATH starts with PREFIX, the rest; else NULL. */
static const char *after(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 ? path + n : NULL;
}

static const struct web_asset *asset(const char *name)
{
    for (const struct web_asset *a = web_assets; a->name; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

static const char *asset_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    if (strcmp(dot, ".png") == 0)
        return "image/png";
    return "application/octet-stream";
}

static void serve_asset(struct http_response *res, const char *name)
{
    const struct web_asset *a = asset(name);
    if (!a) {
        http_response_text(res, 404, "no such file: %s\n", name);
        return;
    }
    char *copy = xmalloc(a->len + 1);
    memcpy(copy, a->data, a->len);
    http_response_take(res, 200, asset_type(name), copy, a->len);
    http_response_header(res, "Cache-Control", "no-cache");
}

static json_t *stream_json(const struct sfu_stream_info *info)
{
    json_t *tracks = json_array();
    for (size_t i = 0; i < info->n_tracks; i++) {
        const struct sfu_track_info *t = &info->tracks[i];
        json_t *track = json_pack(
            "{s:s, s:s, s:i, s:I, s:I, s:I, s:i}", "kind", t->kind == SFU_VIDEO ? "video" : "audio",
            "codec", t->codec, "clock_rate", (int)t->clock_rate, "packets", (json_int_t)t->packets,
            "bytes", (json_int_t)t->bytes, "lost", (json_int_t)t->lost, "bitrate", (int)t->bitrate);
        if (t->n_layers) {
            json_t *layers = json_array();
            for (size_t l = 0; l < t->n_layers; l++)
                json_array_append_new(layers,
                                      json_pack("{s:I, s:i, s:b, s:b, s:b}", "ssrc",
                                                (json_int_t)t->layers[l].ssrc, "bitrate",
                                                (int)t->layers[l].bitrate, "forwarded",
                                                t->layers[l].forwarded, "forwarded_medium",
                                                t->layers[l].forwarded_medium, "forwarded_low",
                                                t->layers[l].forwarded_low));
            json_object_set_new(track, "layers", layers);
        }
        json_array_append_new(tracks, track);
    }
    json_t *by_quality = json_object();
    for (int q = 0; q < SFU_QUALITIES; q++)
        json_object_set_new(by_quality, sfu_quality_names[q],
                            json_integer((json_int_t)info->viewers_at[q]));
    return json_pack("{s:s, s:b, s:i, s:o, s:i, s:I, s:I, s:o}", "name", info->name, "live",
                     info->live, "viewers", (int)info->viewers, "viewers_by_quality", by_quality,
                     "viewers_auto", (int)info->viewers_auto, "bitrate_in",
                     (json_int_t)info->bitrate_in, "bitrate_out", (json_int_t)info->bitrate_out,
                     "tracks", tracks);
}

/* The ICE servers for one client, named ID in the TURN server's logs (NULL: a random token).
 * When no credentials can be minted the client gets no servers: a TURN URL without them would
 * make the browser refuse the whole configuration. */
static void grant_ice_servers(struct server *srv, const char *id, struct ice_servers_grant *grant)
{
    const char *why;
    if (ice_servers_grant(grant, &srv->config.ice, (uint64_t)time(NULL), id, &why) < 0) {
        log_warn("ICE servers for %s: %s", id ? id : "a client", why);
        memset(grant, 0, sizeof *grant);
    }
}

/* RFC 9725 §4.6: the 201 names the ICE servers the client may use, one Link header each. */
static void add_ice_server_links(struct server *srv, const char *name, struct http_response *res)
{
    struct ice_servers_grant grant;
    grant_ice_servers(srv, name, &grant);
    char link[512];
    for (size_t i = 0; i < grant.n_urls; i++)
        if (ice_servers_link(&grant, i, link, sizeof link) > 0)
            http_response_header(res, "Link", "%s", link);
}

/* GET /api/streams, or /api/streams/NAME: the streams REQ may see. */
static void api_streams(struct server *srv, const struct http_request *req, const char *name,
                        struct http_response *res)
{
    struct sfu_stream_info info;
    if (name) {
        /* A name no stream can have gets the rule, as on every route that takes a name: a
         * 404 would send its user looking for a stream that cannot exist. */
        if (!valid_stream_name(name)) {
            api_json_error(res, 400, NAME_RULE);
            return;
        }
        /* Refused before it is looked up, so that a 401 says nothing of whether it is live. */
        if (!api_visible(srv, req, name, "seeing", res))
            return;
        if (sfu_stream_info(srv->sfu, name, &info) < 0) {
            api_json_error(res, 404, "no such stream");
            return;
        }
        api_json_reply(res, 200, stream_json(&info));
        return;
    }
    struct access_credentials credentials;
    api_read_credentials(srv, req, &credentials);
    json_t *list = json_array();
    for (size_t i = 0; sfu_stream_info_at(srv->sfu, i, &info) == 0; i++)
        if (api_may_see(srv, &credentials, info.name))
            json_array_append_new(list, stream_json(&info));
    api_json_reply(res, 200, json_pack("{s:o}", "streams", list));
}

/* DELETE /api/streams/NAME: ends the session of its publisher (a moderator stopping a
 * broadcast); its viewers stay, waiting for the next one. A publisher that reconnects by itself
 * (OBS, `onair publish --reconnect`) comes back unless its token is changed. A --source is the
 * server's own and ends with it. */
static void api_end_stream(struct server *srv, const struct http_request *req, const char *name,
                           struct http_response *res)
{
    if (!valid_stream_name(name)) {
        api_json_error(res, 400, NAME_RULE);
        return;
    }
    if (!api_may_manage(srv, req, name, "ending the broadcast of", res))
        return;
    for (size_t i = 0; i < srv->n_sessions; i++) {
        struct session *s = srv->sessions[i];
        if (session_role(s) == SESSION_PUBLISHER && strcmp(session_stream(s), name) == 0) {
            session_close(s, "broadcast ended by DELETE /api/streams/NAME");
            api_json_reply(res, 200, json_pack("{s:s,s:b}", "stream", name, "live", 0));
            return;
        }
    }
    struct sfu_stream_info info;
    if (sfu_stream_info(srv->sfu, name, &info) == 0 && info.live)
        api_json_error(res, 409,
                       "the server publishes this stream itself (--source): it ends with "
                       "the server");
    else
        api_json_error(res, 404, "the stream has no publisher");
}

/* GET /api/ice-servers?stream=NAME&role=publish|watch: the servers for one client of a stream.
 * TURN credentials let their holder relay anything through the TURN server, so where streams
 * need tokens they go only to a client that may do ROLE on NAME, as a 201's Link headers do. */
static void api_ice_servers(struct server *srv, const struct http_request *req,
                            struct http_response *res)
{
    const char *name = http_request_query(req, "stream");
    const char *role = http_request_query(req, "role");
    bool publishing = role && strcmp(role, "publish") == 0;
    if (role && !publishing && strcmp(role, "watch") != 0) {
        api_json_error(res, 400, "role is publish or watch");
        return;
    }
    if (name && !valid_stream_name(name)) {
        api_json_error(res, 400, NAME_RULE);
        return;
    }
    if (!name && !access_open(&srv->config.access)) {
        api_json_error(res, 400,
                       "streams here need tokens: ask for one stream's servers, "
                       "/api/ice-servers?stream=NAME&role=publish|watch, with its token");
        return;
    }
    if (name && !api_authorized(srv, req, publishing ? ACCESS_PUBLISH : ACCESS_WATCH, name,
                                publishing ? "publishing to" : "watching", res, true))
        return;
    struct ice_servers_grant grant;
    grant_ice_servers(srv, NULL, &grant);
    api_json_reply(res, 200, json_pack("{s:o}", "iceServers", ice_servers_json(&grant)));
    /* Fresh credentials each time: a cached answer would hand out expired ones. */
    http_response_header(res, "Cache-Control", "no-store");
}

/* Makes a session for an SDP offer; on success the answer and its headers go into res. */
static struct session *create_session(struct server *srv, const struct http_request *req,
                                      enum session_role role, const char *name, const char *sdp,
                                      size_t len, char **answer, struct http_response *res,
                                      bool as_json)
{
    if (!valid_stream_name(name)) {
        const char *why = NAME_RULE;
        as_json ? api_json_error(res, 400, why) : http_response_text(res, 400, "%s\n", why);
        return NULL;
    }
    bool publishing = role == SESSION_PUBLISHER;
    if (!api_authorized(srv, req, publishing ? ACCESS_PUBLISH : ACCESS_WATCH, name,
                        publishing ? "publishing to" : "watching", res, as_json))
        return NULL;
    struct session_error err = {0};
    struct session *s = session_create(srv, role, name, sdp, len, answer, &err);
    if (!s) {
        as_json ? api_json_error(res, err.status, err.reason)
                : http_response_text(res, err.status, "%s\n", err.reason);
        if (err.status == 503) /* full or busy: viewers leave, so a later offer may be taken */
            http_response_header(res, "Retry-After", "10");
        return NULL;
    }
    return s;
}

#define QUALITY_RULE                                                                               \
    "quality is high (the best layer of a simulcast video, the default), medium, low, or auto "    \
    "(the server steps down a layer when the viewer's link loses packets, and back up)"

/* A viewer's quality by its name ("high", "medium", "low" or "auto": *AUTOMATIC), with white
 * space around it. */
static bool quality_from(const char *text, size_t len, enum sfu_quality *quality, bool *automatic)
{
    while (len && strchr(" \t\r\n", text[0])) {
        text++;
        len--;
    }
    while (len && strchr(" \t\r\n", text[len - 1]))
        len--;
    *automatic = len == 4 && memcmp(text, "auto", 4) == 0;
    if (*automatic)
        return true;
    for (int q = 0; q < SFU_QUALITIES; q++) {
        if (strlen(sfu_quality_names[q]) == len && memcmp(text, sfu_quality_names[q], len) == 0) {
            *quality = (enum sfu_quality)q;
            return true;
        }
    }
    return false;
}

static void whip_whep(struct server *srv, const struct http_request *req, const char *name,
                      enum session_role role, struct http_response *res)
{
    if (strcmp(req->content_type, "application/sdp") != 0) {
        http_response_text(res, 415, "the offer must be sent as application/sdp, not '%s'\n",
                           req->content_type);
        return;
    }
    const char *asked = role == SESSION_VIEWER ? http_request_query(req, "quality") : NULL;
    enum sfu_quality quality = SFU_QUALITY_HIGH;
    bool automatic = false;
    if (asked && !quality_from(asked, strlen(asked), &quality, &automatic)) {
        http_response_text(res, 400, "%s, not '%.40s'\n", QUALITY_RULE, asked);
        return;
    }
    char *answer;
    struct session *s = create_session(srv, req, role, name, (const char *)req->body, req->body_len,
                                       &answer, res, false);
    if (!s)
        return;
    if (asked)
        session_set_quality(s, quality, automatic);
    http_response_take(res, 201, "application/sdp", answer, strlen(answer));
    http_response_header(res, "Location", "/session/%s", session_id(s));
    http_response_header(res, "ETag", "\"%s\"", session_etag(s));
    add_ice_server_links(srv, name, res);
}

/* Whether an offer sends media; one that does not parse is treated as a viewer's and refused
 * with the parser's reason when the session is made. */
static bool offer_sends_media(const char *sdp)
{
    struct sdp_session *offer = xmalloc(sizeof *offer);
    const char *why;
    bool sends =
        sdp_parse(offer, sdp, strlen(sdp), &why) == 0 && negotiate_offer_sends_media(offer);
    free(offer);
    return sends;
}

/* The seed's endpoint: a bare JSON string holding the SDP (aiortc clients post
 * json=pc.localDescription.sdp), or {"sdp", "type", "stream"}. A peer that sends media
 * publishes; one that only receives watches. */
static void seed_offer(struct server *srv, const struct http_request *req,
                       struct http_response *res)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)req->body, req->body_len, JSON_DECODE_ANY, &jerr);
    if (!root) {
        char why[256];
        snprintf(why, sizeof why, "body is not JSON: %s (line %d)", jerr.text, jerr.line);
        api_json_error(res, 400, why);
        return;
    }
    const char *sdp = NULL, *name = http_request_query(req, "stream");
    if (json_is_string(root)) {
        sdp = json_string_value(root);
    } else if (json_is_object(root)) {
        json_t *type = json_object_get(root, "type");
        if (type && (!json_is_string(type) || strcmp(json_string_value(type), "offer") != 0)) {
            api_json_error(res, 400, "\"type\" must be \"offer\"");
            json_decref(root);
            return;
        }
        sdp = json_string_value(json_object_get(root, "sdp"));
        json_t *stream = json_object_get(root, "stream");
        if (json_is_string(stream))
            name = json_string_value(stream);
    }
    if (!sdp) {
        api_json_error(res, 400, "expected a JSON string holding the SDP offer, or {\"sdp\": ...}");
        json_decref(root);
        return;
    }
    if (!name)
        name = "live";
    enum session_role role = offer_sends_media(sdp) ? SESSION_PUBLISHER : SESSION_VIEWER;
    char *answer;
    struct session *s = create_session(srv, req, role, name, sdp, strlen(sdp), &answer, res, true);
    if (!s) {
        json_decref(root);
        return;
    }
    struct ice_servers_grant grant;
    grant_ice_servers(srv, name, &grant);
    /* NAME may point into ROOT, so ROOT lives until the reply holds its own copy. */
    json_t *reply = json_pack("{s:s, s:s, s:s, s:s, s:o}", "sdp", answer, "type", "answer",
                              "session", session_id(s), "stream", name, "iceServers",
                              ice_servers_json(&grant));
    json_decref(root);
    free(answer);
    api_json_reply(res, 200, reply);
    http_response_header(res, "Location", "/session/%s", session_id(s));
}

/* PATCH or DELETE /session/ID: an ICE restart or trickle, or the end of the session. */
static void session_resource(struct server *srv, const struct http_request *req, const char *id,
                             struct http_response *res)
{
    struct session *s = server_find_session(srv, id);
    if (!s) {
        http_response_text(res, 404, "no such session\n");
        return;
    }
    if (strcmp(req->method, "DELETE") == 0) {
        session_close(s, "ended by DELETE");
        http_response_text(res, 200, "session ended\n");
        return;
    }
    struct sdp_session *frag = xmalloc(sizeof *frag);
    struct patch_decision d;
    patch_decide(&d, req->content_type, req->if_match, session_etag(s), session_remote_ufrag(s),
                 (const char *)req->body, req->body_len, frag);
    free(frag);
    if (d.action == PATCH_REFUSE) {
        http_response_text(res, d.status, "%s\n", d.reason);
        return;
    }
    if (d.action == PATCH_TRICKLE) {
        /* The server is ICE-lite: it learns the client's addresses from its checks, so
         * trickled candidates need no action beyond being well formed. */
        http_response_take(res, 204, NULL, NULL, 0);
        return;
    }
    size_t cap = 4096;
    char *answer = xmalloc(cap);
    size_t len = session_restart_ice(s, d.ufrag, d.pwd, answer, cap);
    if (!len)
        abort(); /* a fragment of at most SERVER_MAX_ADDRS candidates fits: a bug */
    http_response_take(res, 200, "application/trickle-ice-sdpfrag", answer, len);
    http_response_header(res, "ETag", "\"%s\"", session_etag(s));
}

/* PUT /session/ID/quality: a viewer's choice of layer while it watches ("high", "medium", "low",
 * or "auto" for the server's). */
static void session_quality(struct server *srv, const struct http_request *req, const char *rest,
                            struct http_response *res)
{
    char id[64];
    size_t id_len = (size_t)(strchr(rest, '/') - rest);
    snprintf(id, sizeof id, "%.*s", (int)id_len, rest);
    struct session *s = id_len < sizeof id ? server_find_session(srv, id) : NULL;
    enum sfu_quality quality;
    bool automatic;
    if (!s)
        http_response_text(res, 404, "no such session\n");
    else if (!quality_from((const char *)req->body, req->body_len, &quality, &automatic))
        http_response_text(res, 400, "%s\n", QUALITY_RULE);
    else if (session_set_quality(s, quality, automatic) < 0)
        http_response_text(res, 409, "a publisher's session has no quality to choose\n");
    else
        http_response_take(res, 204, NULL, NULL, 0);
}

static void add_cors(const struct http_request *req, struct http_response *res)
{
    http_response_header(res, "Access-Control-Allow-Origin", "*");
    http_response_header(res, "Access-Control-Expose-Headers",
                         "Location, ETag, Link, Accept-Post, Content-Range, Retry-After");
    if (strcmp(req->method, "OPTIONS") == 0) {
        http_response_header(res, "Access-Control-Allow-Methods",
                             "GET, POST, PUT, PATCH, DELETE, OPTIONS");
        http_response_header(res, "Access-Control-Allow-Headers",
                             "Content-Type, Authorization, If-Match, Range");
        http_response_header(res, "Access-Control-Max-Age", "86400");
    }
}

/* POST or DELETE /api/streams/NAME/recording: starts or stops the server recording NAME. */
static void api_recording(struct server *srv, const struct http_request *req, const char *rest,
                          struct http_response *res)
{
    const char *slash = strchr(rest, '/');
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(slash - rest), rest);
    if ((size_t)(slash - rest) >= sizeof name || !valid_stream_name(name)) {
        api_json_error(res, 400, NAME_RULE);
        return;
    }
    if (!api_may_manage(srv, req, name, "starting or stopping the recording of", res))
        return;
    if (strcmp(req->method, "POST") == 0) {
        char file[256];
        const char *why = NULL;
        int status = recorders_start(srv->recorders, name, file, sizeof file, &why);
        if (status) {
            api_json_error(res, status, why);
            return;
        }
        api_json_reply(res, 201,
                       json_pack("{s:s,s:s,s:b}", "stream", name, "file", file, "active", 1));
    } else {
        if (recorders_stop(srv->recorders, name)) {
            api_json_error(res, 404, "the stream is not being recorded");
            return;
        }
        api_json_reply(res, 200, json_pack("{s:s,s:b}", "stream", name, "active", 0));
    }
}

/* GET /metrics, with --metrics-token only for a scraper that sends it (Prometheus's
 * `authorization: {credentials: TOKEN}`): the figures name every stream. */
static void api_metrics(struct server *srv, const struct http_request *req,
                        struct http_response *res)
{
    const char *token = srv->config.metrics_token;
    if (token && !access_bearer_is(req->authorization, token)) {
        http_response_text(res, 401, "/metrics needs the --metrics-token: send Authorization: "
                                     "Bearer TOKEN\n");
        http_response_header(res, "WWW-Authenticate", "Bearer realm=\"onair\"%s",
                             req->authorization ? ", error=\"invalid_token\"" : "");
        srv->unauthorized++;
        return;
    }
    metrics_render(srv, res);
}

/* GET or PUT /api/streams/NAME/chat: whether the stream's room carries chat messages. PUT
 * takes {"enabled": true|false}. */
static void api_chat(struct server *srv, const struct http_request *req, const char *rest,
                     struct http_response *res)
{
    char name[64];
    size_t len = (size_t)(strchr(rest, '/') - rest);
    snprintf(name, sizeof name, "%.*s", (int)len, rest);
    if (len >= sizeof name || !valid_stream_name(name)) {
        api_json_error(res, 400, NAME_RULE);
        return;
    }
    if (strcmp(req->method, "PUT") == 0) {
        if (!api_may_manage(srv, req, name, "switching the chat of", res))
            return;
        json_error_t err;
        json_t *body = json_loadb((const char *)req->body, req->body_len, 0, &err);
        json_t *enabled = body ? json_object_get(body, "enabled") : NULL;
        if (!json_is_boolean(enabled)) {
            json_decref(body);
            api_json_error(res, 400, "PUT takes {\"enabled\": true} or {\"enabled\": false}");
            return;
        }
        rooms_set_chat(srv->rooms, name, json_is_true(enabled));
        json_decref(body);
    } else if (!api_visible(srv, req, name, "seeing the chat of", res)) {
        return;
    }
    api_json_reply(res, 200,
                   json_pack("{s:s,s:b}", "stream", name, "chat", rooms_chat_on(srv->rooms, name)));
}

/* What a request's path names, whatever its method. */
enum route_kind {
    ROUTE_NONE, /* no such page */
    ROUTE_INDEX,
    ROUTE_PUBLISH_PAGE,
    ROUTE_WATCH_PAGE,
    ROUTE_STATIC,
    ROUTE_METRICS,
    ROUTE_HEALTHZ,
    ROUTE_STREAMS,
    ROUTE_STREAM,
    ROUTE_RECORDING,
    ROUTE_CHAT,
    ROUTE_RECORDINGS,
    ROUTE_RECORDING_FILE,
    ROUTE_ICE_SERVERS,
    ROUTE_WHIP,
    ROUTE_WHEP,
    ROUTE_OFFER,
    ROUTE_SESSION,
    ROUTE_SESSION_QUALITY,
};

/* The methods each route takes, as a 405's Allow header lists them; every path also answers
 * OPTIONS (a browser's CORS preflight). route() answers any other method, so a handler sees
 * only its route's. */
static const char *const route_methods[] = {
    [ROUTE_INDEX] = "GET, HEAD",
    [ROUTE_PUBLISH_PAGE] = "GET, HEAD",
    [ROUTE_WATCH_PAGE] = "GET, HEAD",
    [ROUTE_STATIC] = "GET, HEAD",
    [ROUTE_METRICS] = "GET, HEAD",
    [ROUTE_HEALTHZ] = "GET, HEAD",
    [ROUTE_STREAMS] = "GET, HEAD",
    [ROUTE_STREAM] = "GET, HEAD, DELETE",
    [ROUTE_RECORDING] = "POST, DELETE",
    [ROUTE_CHAT] = "GET, HEAD, PUT",
    [ROUTE_RECORDINGS] = "GET, HEAD",
    [ROUTE_RECORDING_FILE] = "GET, HEAD, DELETE",
    [ROUTE_ICE_SERVERS] = "GET, HEAD",
    [ROUTE_WHIP] = "POST",
    [ROUTE_WHEP] = "POST",
    [ROUTE_OFFER] = "POST",
    [ROUTE_SESSION] = "PATCH, DELETE",
    [ROUTE_SESSION_QUALITY] = "PUT",
};

/* The paths: exact, or a prefix followed by a name. */
static const struct route_path {
    const char *path;
    bool prefix;
    enum route_kind kind;
} route_paths[] = {
    {"/", false, ROUTE_INDEX},
    {"/metrics", false, ROUTE_METRICS},
    {"/healthz", false, ROUTE_HEALTHZ},
    {"/api/streams", false, ROUTE_STREAMS},
    {"/api/recordings", false, ROUTE_RECORDINGS},
    {"/api/ice-servers", false, ROUTE_ICE_SERVERS},
    {"/offer", false, ROUTE_OFFER},
    {"/publish/", true, ROUTE_PUBLISH_PAGE},
    {"/watch/", true, ROUTE_WATCH_PAGE},
    {"/static/", true, ROUTE_STATIC},
    {"/api/streams/", true, ROUTE_STREAM},
    {"/api/recordings/", true, ROUTE_RECORDING_FILE},
    {"/whip/", true, ROUTE_WHIP},
    {"/whep/", true, ROUTE_WHEP},
    {"/session/", true, ROUTE_SESSION},
};

/* The route of a path that starts with a prefix of route_paths, REST what follows: the pages
 * exist only for names that can be a stream's, and a stream has its recording and chat. */
static enum route_kind route_named(enum route_kind kind, const char *rest)
{
    const char *slash = strchr(rest, '/');
    if ((kind == ROUTE_PUBLISH_PAGE || kind == ROUTE_WATCH_PAGE) && !valid_stream_name(rest))
        return ROUTE_NONE;
    if (kind == ROUTE_STREAM && slash && strcmp(slash, "/recording") == 0)
        return ROUTE_RECORDING;
    if (kind == ROUTE_STREAM && slash && strcmp(slash, "/chat") == 0)
        return ROUTE_CHAT;
    if (kind == ROUTE_SESSION && slash && strcmp(slash, "/quality") == 0)
        return ROUTE_SESSION_QUALITY;
    return kind;
}

/* The route PATH names, and in *REST what follows its prefix (a name, a file, a session). */
static enum route_kind route_match(const char *path, const char **rest)
{
    *rest = NULL;
    for (size_t i = 0; i < sizeof route_paths / sizeof route_paths[0]; i++) {
        const struct route_path *r = &route_paths[i];
        if (!r->prefix && strcmp(path, r->path) == 0)
            return r->kind;
        if (r->prefix && (*rest = after(path, r->path)))
            return route_named(r->kind, *rest);
    }
    return ROUTE_NONE;
}

/* Whether METHOD is one of LIST's ("GET, HEAD, DELETE"); methods are case-sensitive (RFC 9110
 * §9.1). */
static bool method_listed(const char *list, const char *method)
{
    size_t n = strlen(method);
    if (n == 0)
        return false;
    for (const char *at = list; (at = strstr(at, method)); at += n)
        if ((at == list || at[-1] == ' ') && (at[n] == ',' || at[n] == 0))
            return true;
    return false;
}

/* A method the path does not take: 405 with the methods it takes in Allow (RFC 9110 §15.5.6).
 * RFC 9725 wants this for GET, HEAD and PUT on a WHIP endpoint (and the WHEP draft on its
 * own), to keep them for later versions; a 404 would say the stream's endpoint is not there. */
static void wrong_method(const struct http_request *req, const char *methods, bool as_json,
                         struct http_response *res)
{
    char why[256];
    snprintf(why, sizeof why, "%s is not allowed on %.120s: it takes %s", req->method, req->path,
             methods);
    as_json ? api_json_error(res, 405, why) : http_response_text(res, 405, "%s\n", why);
    http_response_header(res, "Allow", "%s, OPTIONS", methods);
}

/* Answers a method the route takes. */
static void route_to(struct server *srv, const struct http_request *req, enum route_kind kind,
                     const char *rest, struct http_response *res)
{
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    switch (kind) {
    case ROUTE_INDEX:
        serve_asset(res, "index.html");
        break;
    case ROUTE_PUBLISH_PAGE:
        serve_asset(res, "publish.html");
        break;
    case ROUTE_WATCH_PAGE:
        serve_asset(res, "watch.html");
        break;
    case ROUTE_STATIC:
        serve_asset(res, rest);
        break;
    case ROUTE_METRICS:
        api_metrics(srv, req, res);
        break;
    case ROUTE_HEALTHZ:
        http_response_text(res, 200, "ok\n");
        break;
    case ROUTE_STREAMS:
        api_streams(srv, req, NULL, res);
        break;
    case ROUTE_STREAM:
        get ? api_streams(srv, req, rest, res) : api_end_stream(srv, req, rest, res);
        break;
    case ROUTE_RECORDING:
        api_recording(srv, req, rest, res);
        break;
    case ROUTE_CHAT:
        api_chat(srv, req, rest, res);
        break;
    case ROUTE_RECORDINGS:
        api_recordings(srv, req, res);
        break;
    case ROUTE_RECORDING_FILE:
        api_recording_file(srv, req, rest, res);
        break;
    case ROUTE_ICE_SERVERS:
        api_ice_servers(srv, req, res);
        break;
    case ROUTE_WHIP:
        whip_whep(srv, req, rest, SESSION_PUBLISHER, res);
        break;
    case ROUTE_WHEP:
        whip_whep(srv, req, rest, SESSION_VIEWER, res);
        break;
    case ROUTE_OFFER:
        seed_offer(srv, req, res);
        break;
    case ROUTE_SESSION:
        session_resource(srv, req, rest, res);
        break;
    case ROUTE_SESSION_QUALITY:
        session_quality(srv, req, rest, res);
        break;
    case ROUTE_NONE:
        abort(); /* route() answered it */
    }
}

static void route(struct server *srv, const struct http_request *req, struct http_response *res)
{
    const char *rest;
    enum route_kind kind = route_match(req->path, &rest);
    if (strcmp(req->method, "OPTIONS") == 0) {
        http_response_take(res, 204, NULL, NULL, 0);
        if (kind == ROUTE_WHIP || kind == ROUTE_WHEP)
            http_response_header(res, "Accept-Post", "application/sdp");
    } else if (kind == ROUTE_NONE) {
        http_response_text(res, 404, "no such page: %s\n", req->path);
    } else if (!method_listed(route_methods[kind], req->method)) {
        /* The API and the seed's /offer answer in JSON, the rest in text. */
        bool as_json = after(req->path, "/api/") || kind == ROUTE_OFFER;
        wrong_method(req, route_methods[kind], as_json, res);
    } else {
        route_to(srv, req, kind, rest, res);
    }
}

void api_handle(void *opaque, const struct http_request *req, struct http_response *res)
{
    struct server *srv = opaque;
    route(srv, req, res);
    add_cors(req, res);
    log_debug("%s %s -> %d", req->method, req->path, res->status);
}
