/* server_events: what the server tells an application by webhook (--webhook URL): a stream
 * going live ("stream.live", with its codecs) or ending ("stream.ended"), and a recording's
 * file finished ("recording.finished", with its name and size). */
#ifndef ONAIR_APP_SERVER_EVENTS_H
#define ONAIR_APP_SERVER_EVENTS_H

struct server;

/* Starts the webhook sender when the config names a URL, and hooks it to the SFU and the
 * recorders (so before recorders_new). Returns 0, or -1 with *WHY. */
int server_events_start(struct server *srv, const char **why);
/* Sends what is still queued (the streams that ended at shutdown too) and stops. */
void server_events_stop(struct server *srv);

#endif
