/* media_url: file path, standard input or camera URL; checked and redacted without I/O. */
#include "app/media_url.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The length of the "scheme" of "scheme://" at the start of TEXT (RFC 3986 §3.1: a letter, then
 * letters, digits, '+', '-' or '.'), or 0 when TEXT does not start with one. */
static size_t media_url_scheme_len(const char *text)
{
    size_t n = 0;
    if (!((text[0] >= 'a' && text[0] <= 'z') || (text[0] >= 'A' && text[0] <= 'Z')))
        return 0;
    while ((text[n] >= 'a' && text[n] <= 'z') || (text[n] >= 'A' && text[n] <= 'Z') ||
           (text[n] >= '0' && text[n] <= '9') || text[n] == '+' || text[n] == '-' || text[n] == '.')
        n++;
    return strncmp(text + n, "://", 3) == 0 ? n : 0;
}

/* The authority's length: from after "://" to the path, query or fragment (RFC 3986 §3.2). */
static size_t media_url_authority_len(const char *authority)
{
    return strcspn(authority, "/?#");
}

/* Where the host starts in AUTHORITY[0..LEN): after the last '@' of the user information. */
static size_t media_url_host_start(const char *authority, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (authority[i] == '@')
            start = i + 1;
    }
    return start;
}

/* Parses "host[:port]" or "[v6]:port" in P[0..LEN) into OUT. */
static int media_url_parse_host(struct media_url *out, const char *p, size_t len, const char **why)
{
    size_t host_len, rest;
    const char *host = p;
    if (len > 0 && p[0] == '[') {
        const char *close = memchr(p, ']', len);
        if (!close) {
            *why = "an IPv6 address in the URL needs its closing ']'";
            return -1;
        }
        host = p + 1;
        host_len = (size_t)(close - host);
        rest = (size_t)(close - p) + 1;
        if (rest < len && p[rest] != ':') {
            *why = "after an IPv6 address in the URL only \":PORT\" may follow";
            return -1;
        }
    } else {
        const char *colon = memchr(p, ':', len);
        host_len = colon ? (size_t)(colon - p) : len;
        rest = host_len;
    }
    if (host_len == 0) {
        *why = "the URL names no host (SCHEME://HOST[:PORT]/PATH)";
        return -1;
    }
    if (host_len >= sizeof out->host) {
        *why = "the URL's host name is too long";
        return -1;
    }
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';
    if (rest < len) {
        /* ":" then 1 to 5 digits, 1..65535 (RFC 3986 §3.2.3; an empty port is refused
         * rather than taken as the default, since it is most likely a typo). */
        unsigned port = 0;
        size_t digits = len - rest - 1;
        if (digits == 0 || digits > 5) {
            *why = "the URL's port is not a number from 1 to 65535";
            return -1;
        }
        for (size_t i = rest + 1; i < len; i++) {
            if (p[i] < '0' || p[i] > '9') {
                *why = "the URL's port is not a number from 1 to 65535";
                return -1;
            }
            port = port * 10 + (unsigned)(p[i] - '0');
        }
        if (port == 0 || port > 65535) {
            *why = "the URL's port is not a number from 1 to 65535";
            return -1;
        }
        out->port = (uint16_t)port;
    }
    return 0;
}

int media_url_parse(struct media_url *out, const char *text, const char **why)
{
    memset(out, 0, sizeof *out);
    if (strcmp(text, "-") == 0) {
        out->kind = MEDIA_URL_STDIN;
        return 0;
    }
    size_t scheme = media_url_scheme_len(text);
    bool rtsp = scheme == 4 && strncasecmp(text, "rtsp", 4) == 0;
    bool rtsps = scheme == 5 && strncasecmp(text, "rtsps", 5) == 0;
    bool whep = scheme == 4 && strncasecmp(text, "whep", 4) == 0;
    bool wheps = scheme == 5 && strncasecmp(text, "wheps", 5) == 0;
    if (rtsp || rtsps) {
        out->kind = MEDIA_URL_RTSP;
        out->port = rtsps ? 322 : 554; /* RFC 7826 §19.2 (rtsps), RFC 2326 §3.2 (rtsp) */
    } else if (whep || wheps) {
        out->kind = MEDIA_URL_WHEP;
        out->port = wheps ? 443 : 80;
    } else {
        out->kind = MEDIA_URL_FILE;
        return 0;
    }
    for (const char *c = text; *c; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            *why = "the URL has a space or a control character (write a space as %20)";
            return -1;
        }
    }
    const char *authority = text + scheme + 3;
    size_t len = media_url_authority_len(authority);
    size_t host = media_url_host_start(authority, len);
    out->has_password = host > 0 && memchr(authority, ':', host - 1) != NULL;
    return media_url_parse_host(out, authority + host, len - host, why);
}

int media_url_whep_endpoint(const char *text, char *url, size_t url_cap, char *token,
                            size_t token_cap)
{
    size_t scheme = media_url_scheme_len(text);
    const char *authority = text + scheme + 3;
    size_t len = media_url_authority_len(authority);
    size_t host = media_url_host_start(authority, len);
    const char *colon = host > 0 ? memchr(authority, ':', host - 1) : NULL;
    size_t token_len = colon ? (size_t)(authority + host - 1 - (colon + 1)) : 0;
    bool secure = scheme == 5;
    int n = snprintf(url, url_cap, "%s://%s", secure ? "https" : "http", authority + host);
    int t = snprintf(token, token_cap, "%.*s", (int)token_len, colon ? colon + 1 : "");
    return n < 0 || (size_t)n >= url_cap || t < 0 || (size_t)t >= token_cap ? -1 : 0;
}

size_t media_url_redact(char *out, size_t cap, const char *text)
{
    if (cap == 0)
        return 0;
    size_t scheme = media_url_scheme_len(text);
    const char *authority = text + (scheme ? scheme + 3 : 0);
    size_t len = scheme ? media_url_authority_len(authority) : 0;
    size_t host = media_url_host_start(authority, len);
    const char *colon = host > 0 ? memchr(authority, ':', host - 1) : NULL;
    int n;
    if (!colon)
        n = snprintf(out, cap, "%s", text);
    else
        n = snprintf(out, cap, "%.*s:***%s", (int)(colon - text), text, authority + host - 1);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

const char *media_url_transport(const char *text)
{
    if (strcmp(text, "udp") == 0)
        return "udp";
    if (strcmp(text, "tcp") == 0)
        return "tcp";
    return NULL;
}
