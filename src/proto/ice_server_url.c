/* ice_server_url: turn:/stun: URLs and RFC 9725 Link headers, as onair's clients read them. */
#include "proto/ice_server_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

int ice_server_url_parse(const char *url, struct ice_server_url *out, const char **why)
{
    memset(out, 0, sizeof *out);
    static const struct { const char *scheme; bool turn, secure; } schemes[] = {
        {"turn:", true, false}, {"turns:", true, true}, {"stun:", false, false},
        {"stuns:", false, true}};
    const char *p = NULL;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0] && !p; i++) {
        size_t n = strlen(schemes[i].scheme);
        if (strncasecmp(url, schemes[i].scheme, n) == 0) {
            p = url + n;
            out->turn = schemes[i].turn;
            out->secure = out->tcp = schemes[i].secure;
        }
    }
    if (!p)
        return fail(why, "an ICE server URL starts with turn:, turns:, stun: or stuns:");
    const char *host_end;
    if (*p == '[') {
        host_end = strchr(p, ']');
        if (!host_end)
            return fail(why, "an IPv6 address in an ICE server URL needs its closing ]");
        p++;
    } else {
        host_end = p + strcspn(p, ":?");
    }
    size_t host_len = (size_t)(host_end - p);
    if (host_len == 0 || host_len >= sizeof out->host)
        return fail(why, "an ICE server URL needs a host");
    memcpy(out->host, p, host_len);
    p = host_end + (*host_end == ']');
    out->port = out->secure ? 5349 : 3478;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535)
            return fail(why, "the port of an ICE server URL is a number from 1 to 65535");
        out->port = (uint16_t)port;
        p = end;
    }
    if (*p == '?') {
        if (strcasecmp(p, "?transport=udp") == 0 && !out->secure)
            out->tcp = false;
        else if (strcasecmp(p, "?transport=tcp") == 0)
            out->tcp = true;
        else
            return fail(why, "an ICE server URL may end with ?transport=udp or ?transport=tcp");
    } else if (*p) {
        return fail(why, "unexpected characters after the host and port of an ICE server URL");
    }
    return 0;
}

/* Copies the quoted or bare parameter value at P (up to END) into OUT; returns 0, or -1. */
static int param_value(const char *p, const char *end, char *out, size_t cap)
{
    size_t n;
    if (p < end && *p == '"') {
        const char *close = memchr(p + 1, '"', (size_t)(end - p - 1));
        if (!close)
            return -1;
        p++;
        n = (size_t)(close - p);
    } else {
        n = (size_t)(end - p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
    }
    if (n >= cap)
        return -1;
    memcpy(out, p, n);
    out[n] = 0;
    return 0;
}

size_t ice_server_link_parse(const char *value, size_t len, struct ice_server_link *out,
                             size_t max)
{
    size_t found = 0;
    const char *p = value, *end = value + len;
    while (p < end && found < max) {
        const char *open = memchr(p, '<', (size_t)(end - p));
        if (!open)
            break;
        const char *close = memchr(open, '>', (size_t)(end - open));
        if (!close)
            break;
        struct ice_server_link link;
        memset(&link, 0, sizeof link);
        bool ice = false, ok = (size_t)(close - open - 1) < sizeof link.url;
        if (ok)
            memcpy(link.url, open + 1, (size_t)(close - open - 1));
        /* Parameters run to the next link: a comma outside quotes, before a '<'. */
        const char *q = close + 1;
        while (q < end && *q != ',' && *q != '<') {
            while (q < end && (*q == ';' || *q == ' ' || *q == '\t'))
                q++;
            const char *name = q;
            while (q < end && *q != '=' && *q != ';' && *q != ',')
                q++;
            size_t name_len = (size_t)(q - name);
            if (q >= end || *q != '=')
                continue;
            const char *v = ++q;
            bool quoted = q < end && *q == '"';
            if (quoted) {
                const char *qe = memchr(q + 1, '"', (size_t)(end - q - 1));
                q = qe ? qe + 1 : end;
            }
            while (q < end && *q != ';' && *q != ',')
                q++;
            char text[256];
            if (param_value(v, q, text, sizeof text) < 0) {
                ok = false;
                continue;
            }
            if (name_len == 3 && strncasecmp(name, "rel", 3) == 0)
                ice = strcasecmp(text, "ice-server") == 0;
            else if (name_len == 8 && strncasecmp(name, "username", 8) == 0)
                snprintf(link.username, sizeof link.username, "%s", text);
            else if (name_len == 10 && strncasecmp(name, "credential", 10) == 0)
                snprintf(link.credential, sizeof link.credential, "%s", text);
        }
        if (ice && ok)
            out[found++] = link;
        p = q < end && *q == ',' ? q + 1 : q;
        if (p == open)
            p = close + 1;
    }
    return found;
}
