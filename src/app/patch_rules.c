/* patch_rules: the decision on a WHIP/WHEP PATCH, kept apart from the session so that each rule
 * of RFC 9725 §4.3 has a unit test. */
#include "app/patch_rules.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void refuse(struct patch_decision *out, int status, const char *reason)
{
    out->action = PATCH_REFUSE;
    out->status = status;
    snprintf(out->reason, sizeof out->reason, "%s", reason);
}

/* A fragment's credentials: the session-level lines, else the first section's (RFC 8840 §9
 * allows either place). */
static const char *frag_ufrag(const struct sdp_session *f)
{
    if (f->ice_ufrag[0] || !f->n_media)
        return f->ice_ufrag;
    return f->media[0].ice_ufrag;
}

static const char *frag_pwd(const struct sdp_session *f)
{
    if (f->ice_pwd[0] || !f->n_media)
        return f->ice_pwd;
    return f->media[0].ice_pwd;
}

/* If-Match carries the entity tag quoted (RFC 9110 §8.8.3), e.g. "abc". */
static int matches_etag(const char *if_match, const char *etag)
{
    size_t n = strlen(etag);
    return strlen(if_match) == n + 2 && if_match[0] == '"' && if_match[n + 1] == '"' &&
           memcmp(if_match + 1, etag, n) == 0;
}

void patch_decide(struct patch_decision *out, const char *content_type, const char *if_match,
                  const char *etag, const char *remote_ufrag, const char *body, size_t len,
                  struct sdp_session *frag)
{
    memset(out, 0, sizeof *out);
    if (!content_type || strcmp(content_type, "application/trickle-ice-sdpfrag") != 0) {
        refuse(out, 415, "PATCH takes application/trickle-ice-sdpfrag");
        return;
    }
    /* RFC 9725 §4.3: a client sends the session's ETag with a trickle and "*" with an ICE
     * restart. A trickle without If-Match is taken when its fragment names the session's
     * current ufrag, which tells a stale trickle from a current one as well: the WHEP client
     * of medooze's whip-whep (by an author of RFC 9725) never reads the ETag. */
    bool restart = if_match && strcmp(if_match, "*") == 0;
    if (if_match && !restart && !matches_etag(if_match, etag)) {
        /* "*" quoted is an entity tag spelled *, not the wildcard: say how a restart is asked. */
        bool quoted_star = strcmp(if_match, "\"*\"") == 0;
        snprintf(out->reason, sizeof out->reason,
                 "If-Match %.60s is not the session's ETag \"%.40s\" (it changes at an ICE "
                 "restart)%s",
                 if_match, etag, quoted_star ? "; an ICE restart is If-Match: * (no quotes)" : "");
        out->action = PATCH_REFUSE;
        out->status = 412;
        return;
    }
    const char *why = NULL;
    if (sdp_parse_fragment(frag, body, len, &why) < 0) {
        snprintf(out->reason, sizeof out->reason, "malformed SDP fragment: %s", why);
        out->action = PATCH_REFUSE;
        out->status = 400;
        return;
    }
    const char *ufrag = frag_ufrag(frag), *pwd = frag_pwd(frag);
    if (!if_match && (!ufrag[0] || strcmp(ufrag, remote_ufrag) != 0)) {
        refuse(out, 428,
               "PATCH needs If-Match: the session's ETag for new candidates (or "
               "their a=ice-ufrag, the session's), \"*\" for an ICE restart");
        return;
    }
    if (restart) {
        /* RFC 8445 §9: a restart is new credentials; without them there is nothing to do. */
        if (!ufrag[0] || !pwd[0]) {
            refuse(out, 400, "an ICE restart needs a=ice-ufrag and a=ice-pwd");
            return;
        }
        if (strcmp(ufrag, remote_ufrag) == 0) {
            refuse(out, 400, "an ICE restart needs a new a=ice-ufrag");
            return;
        }
        out->action = PATCH_RESTART;
        snprintf(out->ufrag, sizeof out->ufrag, "%s", ufrag);
        snprintf(out->pwd, sizeof out->pwd, "%s", pwd);
        return;
    }
    /* Candidates of another ICE generation than the session's: RFC 9725 §4.3.1 answers 422. */
    if (ufrag[0] && strcmp(ufrag, remote_ufrag) != 0) {
        snprintf(out->reason, sizeof out->reason,
                 "the candidates are for ICE ufrag %.40s; the session's is %.40s", ufrag,
                 remote_ufrag);
        out->action = PATCH_REFUSE;
        out->status = 422;
        return;
    }
    out->action = PATCH_TRICKLE;
}
