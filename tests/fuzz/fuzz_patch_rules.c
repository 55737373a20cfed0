/* fuzz_patch_rules: patch_decide on any If-Match and SDP fragment, for a session whose ETag is
 * "etag1" and whose client's ufrag is "cl1". The input is a flags byte (bit 0: a wrong
 * Content-Type; bit 1: no If-Match), then If-Match, a NUL, and the body. Whatever the input,
 * the decision is one of the three, a refusal carries a 4xx status and a reason, and each
 * status is the one RFC 9725 §4.3 gives for the headers it was handed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/patch_rules.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#define ETAG "etag1"
#define UFRAG "cl1"

/* A C string that ends inside its buffer. */
static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sdp_session frag; /* large: kept off the stack */
    if (size < 1 || size > 8192)
        return 0;
    uint8_t flags = data[0];
    const char *content_type = flags & 1 ? "application/sdp" : "application/trickle-ice-sdpfrag";
    /* If-Match runs to the first NUL; the body is the rest, NULs and all. */
    const char *rest = (const char *)data + 1;
    size_t rest_len = size - 1;
    const char *nul = memchr(rest, '\0', rest_len);
    size_t if_match_len = nul ? (size_t)(nul - rest) : rest_len;
    char if_match_buf[8192];
    memcpy(if_match_buf, rest, if_match_len);
    if_match_buf[if_match_len] = '\0';
    const char *if_match = flags & 2 ? NULL : if_match_buf;
    const char *body = nul ? nul + 1 : rest + rest_len;
    size_t body_len = nul ? rest_len - if_match_len - 1 : 0;

    struct patch_decision d;
    memset(&d, 0xa5, sizeof d); /* patch_decide must set every field it promises */
    patch_decide(&d, content_type, if_match, ETAG, UFRAG, body, body_len, &frag);

    CHECK(d.action == PATCH_REFUSE || d.action == PATCH_TRICKLE || d.action == PATCH_RESTART);
    CHECK(terminated(d.reason, sizeof d.reason) && terminated(d.ufrag, sizeof d.ufrag) &&
          terminated(d.pwd, sizeof d.pwd));
    int is_star = if_match && strcmp(if_match, "*") == 0;
    int is_etag = if_match && strcmp(if_match, "\"" ETAG "\"") == 0;
    if (d.action == PATCH_REFUSE) {
        CHECK(d.status >= 400 && d.status <= 499 && d.reason[0] != '\0');
        /* The headers are judged before the body, in this order. */
        if (flags & 1)
            CHECK(d.status == 415);
        else if (if_match && !is_star && !is_etag)
            CHECK(d.status == 412);
        else
            CHECK(d.status == 400 || d.status == 422 || d.status == 428);
        CHECK(d.status != 428 || !if_match);
        return 0;
    }
    CHECK(!(flags & 1));
    CHECK(d.status == 0 && d.reason[0] == '\0');
    if (d.action == PATCH_RESTART) {
        /* RFC 8445 §9: a restart is asked with "*" and brings new, complete credentials. */
        CHECK(is_star);
        CHECK(d.ufrag[0] != '\0' && d.pwd[0] != '\0' && strcmp(d.ufrag, UFRAG) != 0);
        return 0;
    }
    /* A trickle: with the session's ETag, or without If-Match naming the session's ufrag. */
    CHECK(!if_match || is_etag);
    CHECK(d.ufrag[0] == '\0' && d.pwd[0] == '\0');
    return 0;
}
