/* ice_server_url: what onair's clients read about STUN and TURN servers: a turn:/stun: URL
 * (RFC 7064, RFC 7065) and an RFC 9725 Link header naming one, with its credentials. Pure. */
#ifndef ONAIR_PROTO_ICE_SERVER_URL_H
#define ONAIR_PROTO_ICE_SERVER_URL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ice_server_url {
    bool turn;       /* turn: or turns: (else stun: or stuns:) */
    bool secure;     /* turns: or stuns: (TLS) */
    bool tcp;        /* ?transport=tcp (turns: is always TCP) */
    char host[256];  /* a name or an address, IPv6 without its brackets */
    uint16_t port;   /* 3478, or 5349 for the secure schemes, when the URL names none */
};

/* Parses URL into *OUT. Returns 0, or -1 with *WHY a sentence. */
int ice_server_url_parse(const char *url, struct ice_server_url *out, const char **why);

/* One ICE server from a Link header value. */
struct ice_server_link {
    char url[512];
    char username[256];
    char credential[256];
};

/* Reads the links of one Link header VALUE (LEN bytes; links separated by commas) whose rel is
 * "ice-server" into OUT[0..MAX), and returns how many; other links are skipped. */
size_t ice_server_link_parse(const char *value, size_t len, struct ice_server_link *out,
                             size_t max);

#endif
