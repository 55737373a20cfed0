/* janus_client: a viewer's side of Janus's HTTP API (janus.plugin.streaming) over libcurl, for
 * `onair bench` against Janus: one session and one handle per viewer. Blocking calls, like
 * whip_client's: a viewer makes them as it joins and as it leaves. */
#ifndef ONAIR_APP_JANUS_CLIENT_H
#define ONAIR_APP_JANUS_CLIENT_H
#include <stddef.h>
#include <stdint.h>

/* One viewer's session with the streaming plugin. */
struct janus_client {
    char url[512];       /* the API root, http://host:8088/janus */
    uint64_t session_id; /* 0 until created */
    uint64_t handle_id;
};

/* Creates a session on the Janus at URL, attaches the streaming plugin, asks to watch
 * MOUNTPOINT and long-polls the session for the plugin's offer. Returns 0 with *OFFER_SDP
 * (xmalloc'ed, the caller frees), or -1 with a sentence in MESSAGE[0..CAP). JC->session_id is
 * set as soon as the session exists, so that janus_client_destroy can end it after a failure. */
int janus_client_watch(struct janus_client *jc, const char *url, long mountpoint,
                       char **offer_sdp, char *message, size_t cap);

/* Sends {"request":"start"} with ANSWER_SDP; media then flows once ICE and DTLS are done.
 * Returns 0, or -1 with MESSAGE. */
int janus_client_start(const struct janus_client *jc, const char *answer_sdp, char *message,
                       size_t cap);

/* Keeps the session alive: Janus ends a session after session_timeout (60 s by default)
 * without a request on it. Returns 0, or -1. */
int janus_client_keepalive(const struct janus_client *jc);

/* Ends the session (and so the viewer's PeerConnection in Janus). No-op without a session. */
void janus_client_destroy(struct janus_client *jc);

#endif
