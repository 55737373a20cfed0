/* ice_servers: the STUN and TURN servers clients are told about, with TURN REST credentials
 * minted for each answer, as JSON (/api/ice-servers, /offer) and as RFC 9725 Link headers. */
#include "app/ice_servers.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

int ice_servers_check_url(const char *url, bool *is_turn, const char **why)
{
    /* RFC 7064 §3.1 (stun, stuns) and RFC 7065 §3.1 (turn, turns): scheme ":" host [":" port],
     * and for TURN an optional "?transport=udp|tcp". */
    static const struct {
        const char *prefix;
        bool turn;
    } schemes[] = {{"stun:", false}, {"stuns:", false}, {"turn:", true}, {"turns:", true}};
    const char *host = NULL;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncmp(url, schemes[i].prefix, n) == 0) {
            host = url + n;
            *is_turn = schemes[i].turn;
        }
    }
    if (!host) {
        *why = "an ICE server URL starts with stun:, stuns:, turn: or turns:";
        return -1;
    }
    if (!*host || *host == ':' || *host == '?' || strncmp(host, "//", 2) == 0) {
        *why = "an ICE server URL names a host right after the scheme (turn:HOST:PORT)";
        return -1;
    }
    if (strlen(url) > 256) {
        *why = "an ICE server URL is at most 256 characters";
        return -1;
    }
    /* The URL goes between <> in a Link header and into a JSON string as it is. */
    for (const char *c = url; *c; c++) {
        if (*c <= ' ' || *c >= 0x7f || strchr("<>\"\\,;", *c)) {
            *why = "an ICE server URL has no spaces, quotes, <, >, \\, ',' or ';'";
            return -1;
        }
    }
    if (!*is_turn && strchr(host, '?')) {
        *why = "a STUN URL has no query (transport= is for TURN URLs)";
        return -1;
    }
    return 0;
}

int ice_servers_check_config(const struct ice_servers_config *config, const char **why)
{
    bool any_turn = false;
    for (size_t i = 0; i < config->n_urls; i++) {
        bool is_turn;
        if (ice_servers_check_url(config->urls[i], &is_turn, why) < 0)
            return -1;
        any_turn |= is_turn;
    }
    /* Browsers refuse a TURN server without a username and credential, and the only ones we
     * can give are minted from the secret. */
    if (any_turn && !config->turn_secret) {
        *why = "TURN URLs need --turn-secret (coturn's static-auth-secret) to mint credentials";
        return -1;
    }
    if (config->turn_secret && !*config->turn_secret) {
        *why = "the TURN secret is empty";
        return -1;
    }
    if (config->turn_ttl < 60 || config->turn_ttl > 30 * 86400) {
        *why = "the TURN credential lifetime is 60 seconds to 30 days";
        return -1;
    }
    return 0;
}

int ice_servers_grant(struct ice_servers_grant *out, const struct ice_servers_config *config,
                      uint64_t now, const char *id, const char **why)
{
    memset(out, 0, sizeof *out);
    bool any_turn = false;
    for (size_t i = 0; i < config->n_urls && i < ICE_SERVERS_MAX; i++) {
        bool is_turn;
        if (ice_servers_check_url(config->urls[i], &is_turn, why) < 0)
            return -1;
        out->urls[out->n_urls] = config->urls[i];
        out->is_turn[out->n_urls++] = is_turn;
        any_turn |= is_turn;
    }
    if (!any_turn || !config->turn_secret)
        return 0;
    char token[17];
    if (!id) {
        /* Random, so that two clients' usernames differ even in the same second. */
        uint8_t bytes[8];
        if (RAND_bytes(bytes, sizeof bytes) != 1) {
            *why = "no random bytes for a TURN user id";
            return -1;
        }
        for (size_t i = 0; i < sizeof bytes; i++)
            snprintf(token + 2 * i, 3, "%02x", bytes[i]);
        id = token;
    }
    /* A config made in code may leave the lifetime at zero: that means the default. */
    uint32_t ttl = config->turn_ttl ? config->turn_ttl : ICE_SERVERS_DEFAULT_TTL;
    if (turn_rest_mint(&out->credentials, config->turn_secret, now + ttl, id, why) < 0)
        return -1;
    out->has_credentials = true;
    return 0;
}

/* Adds {"urls": [...]} with the URLs whose TURN-ness is TURN, if there are any. */
static void add_group(json_t *list, const struct ice_servers_grant *grant, bool turn)
{
    json_t *urls = json_array();
    for (size_t i = 0; i < grant->n_urls; i++)
        if (grant->is_turn[i] == turn)
            json_array_append_new(urls, json_string(grant->urls[i]));
    if (json_array_size(urls) == 0) {
        json_decref(urls);
        return;
    }
    json_t *server = json_pack("{s:o}", "urls", urls);
    if (turn && grant->has_credentials) {
        json_object_set_new(server, "username", json_string(grant->credentials.username));
        json_object_set_new(server, "credential", json_string(grant->credentials.credential));
    }
    json_array_append_new(list, server);
}

json_t *ice_servers_json(const struct ice_servers_grant *grant)
{
    json_t *list = json_array();
    add_group(list, grant, false);
    add_group(list, grant, true);
    return list;
}

/* RFC 9725 §4.6: one Link per ICE server, in the form of RFC 8288 with the RTCIceServer
 * members as parameters:
 *   Link: <stun:stun.example.net>; rel="ice-server"
 *   Link: <turn:turn.example.net?transport=udp>; rel="ice-server";
 *         username="user"; credential="myPassword"; credential-type="password"
 * Neither the URL (checked) nor the username (digits, ':' and a stream name) nor the base64
 * credential holds a quote, so nothing needs escaping. */
int ice_servers_link(const struct ice_servers_grant *grant, size_t i, char *out, size_t cap)
{
    if (i >= grant->n_urls)
        return -1;
    int n;
    if (grant->is_turn[i] && grant->has_credentials)
        n = snprintf(out, cap,
                     "<%s>; rel=\"ice-server\"; username=\"%s\"; credential=\"%s\"; "
                     "credential-type=\"password\"",
                     grant->urls[i], grant->credentials.username, grant->credentials.credential);
    else
        n = snprintf(out, cap, "<%s>; rel=\"ice-server\"", grant->urls[i]);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}
