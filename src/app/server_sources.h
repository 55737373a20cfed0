/* server_sources: the streams a server publishes itself, `onair serve --source NAME=FILE` (or
 * NAME=rtsp://...). A file plays in a loop from the start. A camera is connected to on libuv's
 * thread pool, so that one that is off or slow when the server starts neither stops the server
 * nor holds up its loop: it is tried again after 1, 2, 4 ... up to 30 s until it answers, and
 * its stream goes live then (once live, its drops are file_source's to reconnect). */
#ifndef ONAIR_APP_SERVER_SOURCES_H
#define ONAIR_APP_SERVER_SOURCES_H

struct server;

/* Starts every --source of srv->config. Returns -1 with a message logged when a file cannot be
 * played (a camera that cannot be reached is only logged, and tried again). */
int server_sources_start(struct server *srv);
/* Stops them; a connection attempt in progress finishes (within the camera's open timeout) on
 * the thread pool while the loop runs. */
void server_sources_stop(struct server *srv);

#endif
