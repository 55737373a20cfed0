/* viewer_offer: the SDP offer of onair's own receive-only clients (`onair record`, `onair
 * bench`): audio then video, recvonly, bundled, with every codec the relay forwards. */
#ifndef ONAIR_APP_VIEWER_OFFER_H
#define ONAIR_APP_VIEWER_OFFER_H
#include "proto/sdp.h"

/* Fills OFFER (zeroed first) with a random origin and the two sections; the caller adds its
 * transport attributes (peer_client_describe). */
void viewer_offer_build(struct sdp_session *offer);

#endif
