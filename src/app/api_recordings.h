/* api_recordings: GET /api/recordings and GET, HEAD or DELETE /api/recordings/FILE. What they
 * need from the disk (a listing, an open, an unlink) is done on the HTTP server's disk thread,
 * so a slow or stuck disk holds up those requests and nothing else. */
#ifndef ONAIR_APP_API_RECORDINGS_H
#define ONAIR_APP_API_RECORDINGS_H
#include "app/http.h"

struct server;

/* GET /api/recordings: the files in --record-dir, those being written first, of the streams
 * REQ may see. */
void api_recordings(struct server *srv, const struct http_request *req, struct http_response *res);

/* GET (or HEAD) /api/recordings/FILE downloads a recording, with one byte range if asked (a
 * player seeks, a download resumes), by those who may see its stream; DELETE removes a finished
 * one, with the stream's publish token. A file being written is sent as far as it is now. */
void api_recording_file(struct server *srv, const struct http_request *req, const char *file,
                        struct http_response *res);

#endif
