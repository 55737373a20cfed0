/* patch_rules: what a PATCH on a WHIP/WHEP session asks for (RFC 9725 §4.3, RFC 8840): a trickle
 * of candidates, an ICE restart, or a refusal with its status and reason. No I/O: unit-tested. */
#ifndef ONAIR_APP_PATCH_RULES_H
#define ONAIR_APP_PATCH_RULES_H
#include <stddef.h>

#include "proto/sdp.h"

enum patch_action { PATCH_REFUSE, PATCH_TRICKLE, PATCH_RESTART };

struct patch_decision {
    enum patch_action action;
    int status;         /* the HTTP status to answer a refusal with */
    char reason[256];   /* for the refusal's body */
    char ufrag[64];     /* RESTART: the client's new credentials */
    char pwd[128];
};

/* Decides on a PATCH with CONTENT_TYPE, IF_MATCH (NULL when absent) and BODY[0..LEN) for a
 * session whose entity tag is ETAG (without quotes) and whose client's ICE ufrag is
 * REMOTE_UFRAG. FRAG is scratch space for the parsed fragment (it is large). */
void patch_decide(struct patch_decision *out, const char *content_type, const char *if_match,
                  const char *etag, const char *remote_ufrag, const char *body, size_t len,
                  struct sdp_session *frag);

#endif
