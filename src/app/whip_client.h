/* whip_client: the HTTP side of a WHIP/WHEP client (RFC 9725 and the WHEP draft) and of the
 * seed's JSON /offer, over libcurl. Blocking calls: a client makes one at start and one at exit. */
#ifndef ONAIR_APP_WHIP_CLIENT_H
#define ONAIR_APP_WHIP_CLIENT_H
#include <stdbool.h>
#include <stddef.h>

/* What whip_client_offer returns besides 0. */
enum whip_client_error {
    WHIP_CLIENT_ERR_CONNECT = -1, /* the server could not be reached (or TLS failed) */
    WHIP_CLIENT_ERR_HTTP = -2,    /* the server answered with an error status */
    WHIP_CLIENT_ERR_REPLY = -3,   /* a 2xx whose body is not an answer we understand */
};

struct whip_client_result {
    long status;          /* the HTTP status, 0 when none came */
    char *answer;         /* the SDP answer (xmalloc'ed, the caller frees); NULL on error */
    char location[1024];  /* the session's absolute URL, "" when the server gave none */
    char links[4096];     /* the Link header values, joined with ", " (RFC 9725 §4.6 ICE servers) */
    char message[512];    /* on error: a sentence for the user, with the server's reason */
};

/* Where an offer goes: a WHIP or WHEP endpoint, or with SEED_OFFER the seed's /offer; with a
 * bearer TOKEN (RFC 9725 §4.5) when the server wants one (on the session's DELETE too). */
struct whip_client_target {
    const char *url;
    bool seed_offer;
    const char *token;   /* NULL: none */
    const char *ca_file; /* https: the CA (PEM) to trust instead of the system's; NULL: those */
};

/* Posts OFFER_SDP to TARGET: as application/sdp (WHIP, WHEP), or as a bare JSON string to the
 * seed's /offer, reading {"sdp"} back. Resolves the Location header against the URL. Returns 0
 * with OUT->answer set, or an enum whip_client_error with OUT->message set. */
int whip_client_offer(const struct whip_client_target *target, const char *offer_sdp,
                      struct whip_client_result *out);

/* Ends the session at LOCATION (an absolute URL) on TARGET's server with DELETE. Returns 0 on
 * a 2xx, else -1. */
int whip_client_delete(const struct whip_client_target *target, const char *location);

/* Makes URL absolute against BASE into DST[0..CAP). Returns 0, or -1 when it does not parse or
 * fit. Exposed for the unit test. */
int whip_client_resolve(const char *base, const char *url, char *dst, size_t cap);

#endif
