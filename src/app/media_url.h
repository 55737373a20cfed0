/* media_url: what `onair publish` and `onair serve --source` are given to play: a file path,
 * "-" (standard input), a camera's rtsp:// or rtsps:// URL, or (--source only) another
 * server's stream as whep:// or wheps://. Pure: it says which, checks a
 * URL's shape before FFmpeg sees it (so a typo gets a sentence, not a timeout), and writes a
 * URL with its password hidden, for logs and messages. */
#ifndef ONAIR_APP_MEDIA_URL_H
#define ONAIR_APP_MEDIA_URL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum media_url_kind {
    MEDIA_URL_FILE,  /* a path, or a URL FFmpeg reads as a file (http://...): paced by its
                        timestamps */
    MEDIA_URL_STDIN, /* "-" */
    MEDIA_URL_RTSP,  /* rtsp:// or rtsps://: live, read as it arrives */
    MEDIA_URL_WHEP,  /* whep:// or wheps://[:TOKEN@]HOST[:PORT]/PATH: a stream of another
                        server, watched over WHEP at http:// or https:// HOST/PATH */
};

struct media_url {
    enum media_url_kind kind;
    /* For MEDIA_URL_RTSP and MEDIA_URL_WHEP: */
    char host[256]; /* as written, an IPv6 address without its brackets */
    uint16_t port;  /* as written, or the scheme's: 554 (rtsp), 322 (rtsps), 80, 443 */
    bool has_password;
};

/* Parses TEXT (NUL-terminated). Returns 0, or -1 with *WHY a static sentence when TEXT is an
 * rtsp:// URL that cannot be right (no host, a bad port, spaces). Paths are never refused
 * here: whether a file exists is for the caller to find out. */
int media_url_parse(struct media_url *out, const char *text, const char **why);

/* For a whep:// or wheps:// TEXT that media_url_parse took: writes the WHEP endpoint, the same
 * URL as http:// or https:// without its user information, into URL[0..URL_CAP), and the
 * password of that user information (the bearer token; "" when none) into TOKEN[0..TOKEN_CAP).
 * Returns 0, or -1 when either does not fit. */
int media_url_whep_endpoint(const char *text, char *url, size_t url_cap, char *token,
                            size_t token_cap);

/* Writes TEXT into OUT[0..CAP) (always NUL-terminated, cut if need be) with the password of a
 * "scheme://user:password@host" URL replaced by "***"; other text is copied as it is. Returns
 * the length written. */
size_t media_url_redact(char *out, size_t cap, const char *text);

/* The RTSP transport named by TEXT, "udp" or "tcp" (as FFmpeg's rtsp_transport option spells
 * them), or NULL for anything else. */
const char *media_url_transport(const char *text);

#endif
