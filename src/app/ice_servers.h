/* ice_servers: the STUN and TURN servers clients are told about, with TURN REST credentials
 * minted for each answer, as JSON (/api/ice-servers, /offer) and as RFC 9725 Link headers. */
#ifndef ONAIR_APP_ICE_SERVERS_H
#define ONAIR_APP_ICE_SERVERS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/turn_rest.h"

#define ICE_SERVERS_MAX 8
#define ICE_SERVERS_DEFAULT_TTL 86400

/* What the operator configured (`--ice-server`, `--turn-secret`, `--turn-ttl`). The strings
 * are borrowed and must outlive the server. */
struct ice_servers_config {
    const char *urls[ICE_SERVERS_MAX]; /* stun:, stuns:, turn: or turns: URLs (RFC 7064/7065) */
    size_t n_urls;
    const char *turn_secret; /* coturn's static-auth-secret; NULL: none */
    uint32_t turn_ttl;       /* seconds the minted credentials stay valid; 0: the default */
};

/* One answer's list: the URLs and, when there are TURN URLs, the credentials for them. */
struct ice_servers_grant {
    const char *urls[ICE_SERVERS_MAX]; /* borrowed from the config */
    bool is_turn[ICE_SERVERS_MAX];
    size_t n_urls;
    bool has_credentials;
    struct turn_rest_credentials credentials;
};

/* Whether URL is a STUN or TURN URL we can hand out: scheme stun, stuns, turn or turns, a
 * host, and no characters that would break a Link header or a JSON client. Sets *is_turn.
 * Returns 0, or -1 with *why. */
int ice_servers_check_url(const char *url, bool *is_turn, const char **why);

/* Checks a whole configuration: every URL, a secret for TURN URLs, a TTL of 60 s to 30 days.
 * Returns 0, or -1 with *why. */
int ice_servers_check_config(const struct ice_servers_config *config, const char **why);

/* Fills OUT for one client at NOW (Unix seconds). ID names the client in the TURN server's
 * logs (a stream name); NULL picks a random token. Returns 0, or -1 with *why. */
int ice_servers_grant(struct ice_servers_grant *out, const struct ice_servers_config *config,
                      uint64_t now, const char *id, const char **why);

/* The RTCIceServer list: [{"urls":[STUN...]}, {"urls":[TURN...],"username","credential"}].
 * The caller owns the new reference. */
json_t *ice_servers_json(const struct ice_servers_grant *grant);

/* Writes the Link header value for URL number I (RFC 9725 §4.6) into OUT of CAP bytes:
 * `<URL>; rel="ice-server"` and, for TURN, `; username="..."; credential="...";
 * credential-type="password"`. Returns its length, or -1 when it does not fit. */
int ice_servers_link(const struct ice_servers_grant *grant, size_t i, char *out, size_t cap);

#endif
