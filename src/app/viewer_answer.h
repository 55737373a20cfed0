/* viewer_answer: the SDP answer of onair's receive-only clients to a server that offers (Janus's
 * streaming plugin): each audio and video section received with its first media codec, the
 * rest rejected, everything bundled. */
#ifndef ONAIR_APP_VIEWER_ANSWER_H
#define ONAIR_APP_VIEWER_ANSWER_H
#include "proto/sdp.h"

/* Fills ANSWER (zeroed first) from OFFER with a random origin; the caller adds its transport
 * attributes (peer_client_describe after peer_client_set_answerer). */
void viewer_answer_build(struct sdp_session *answer, const struct sdp_session *offer);

#endif
