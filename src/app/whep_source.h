/* whep_source: `onair serve --source NAME=whep://HOST[:PORT]/whep/STREAM`: another server's
 * stream, watched over WHEP and published here as NAME, so that this server is an edge in front
 * of an origin (one viewer there, any number here). Its packets go into the SFU untouched;
 * keyframe requests and the SFU's reports go back to the origin. The offer is posted off the
 * loop; when it fails, or the connection drops, it is made again after 1, 2, 4 ... 30 s, and
 * the stream is live while the connection is up. */
#ifndef ONAIR_APP_WHEP_SOURCE_H
#define ONAIR_APP_WHEP_SOURCE_H

struct server;
struct whep_source;

/* Starts watching URL (whep:// or wheps://, checked by media_url_parse) for stream NAME. NAME
 * and URL must outlive the source. */
struct whep_source *whep_source_start(struct server *srv, const char *name, const char *url);

/* Ends the stream and the connection; an offer being posted ends on its own, its result then
 * dropped. */
void whep_source_stop(struct whep_source *ws);

#endif
