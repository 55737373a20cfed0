/* sdp_simulcast: the a=rid and a=simulcast attributes of an m-section (RFC 8851, RFC 8853), for
 * sdp.c. Pure, like it. */
#ifndef ONAIR_PROTO_SDP_SIMULCAST_H
#define ONAIR_PROTO_SDP_SIMULCAST_H
#include "proto/sdp.h"

/* Each parses the attribute's value [P, END) (after "a=rid:" or "a=simulcast:") into M.
 * Returns 0, or -1 with *WHY a static sentence when it is malformed. */
int sdp_parse_rid(struct sdp_media *m, const char *p, const char *end, const char **why);
int sdp_parse_simulcast(struct sdp_media *m, const char *p, const char *end, const char **why);

#endif
